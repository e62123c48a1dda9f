//! Error codes an agent can act on, and this crate's own error type.

use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes. The spelling on the wire is part of
/// the protocol: agents and tests match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The request was not valid JSON or not a request object.
    MalformedRequest,
    /// No command has this name.
    UnknownAction,
    /// Parameters missing, of the wrong type, or unknown.
    InvalidParams,
    /// A path is outside `res://`, malformed, or of the wrong kind.
    InvalidPath,
    /// The scene file does not exist.
    SceneNotFound,
    /// A scene file already exists where one was to be created.
    SceneExists,
    /// No node at the given path in the scene.
    NodeNotFound,
    /// A node with that name already exists under the parent.
    NodeExists,
    /// The class does not exist or cannot be instantiated as a node.
    InvalidNodeType,
    /// The node has no property of that name.
    PropertyNotFound,
    /// A value does not fit the property's declared type.
    InvalidValue,
    /// The script file does not exist or cannot be loaded.
    ScriptNotFound,
    /// A patch anchor does not occur in the text, or occurs more than once.
    AnchorMismatch,
    /// The node has no signal of that name, or no such connection exists.
    SignalNotFound,
    /// The target has no method of that name, or not with that many arguments.
    MethodNotFound,
    /// A Godot `Expression` did not parse or failed to run.
    ExpressionError,
    /// No game is running (or it ended) for a game_* call.
    GameNotRunning,
    /// The game is not paused in the script debugger.
    NotPaused,
    /// The class does not exist in ClassDB.
    UnknownClass,
    /// The class exists but is not a Resource, or is abstract.
    InvalidResourceType,
    /// No file at the given path.
    FileNotFound,
    /// No project setting, input action or autoload of that name.
    SettingNotFound,
    /// A file, setting, action or autoload of that name already exists.
    AlreadyExists,
    /// The operation is not allowed on this target (e.g. removing the scene root).
    InvalidOperation,
    /// Reading or writing a file failed.
    IoError,
    /// Godot returned an error code for an engine call.
    GodotError,
    /// Too many requests are waiting; retry shortly.
    EditorBusy,
    /// The editor cannot do this now (`sub_code` says why: `importing`, `no_scene`, `rendering_off`).
    EditorNotReady,
    /// The connection did not present the editor's token, or came from a web page.
    Unauthorized,
    /// The shim and the addon speak different protocol versions.
    ProtocolMismatch,
    /// A request frame was larger than the editor accepts.
    FrameTooLarge,
    /// The answer was too large to send; ask for less.
    ResponseTooLarge,
    /// No game run has that id (runs are kept while the editor runs, the last few only).
    RunNotFound,
    /// No open editor has that session id.
    UnknownSession,
    /// Several editors are open and the call did not say which one.
    SessionRequired,
    /// No editor answered (shim side).
    EditorNotConnected,
    /// A Godot editor has the project open but does not answer through
    /// godot-mcp, so offline writes are refused (shim side).
    EditorUnreachable,
    /// The link to the editor broke while a call was in flight; the action may or may not have run.
    TransportInterrupted,
    /// The editor did not answer in time (shim side).
    Timeout,
    /// A bug: a handler panicked or an invariant broke. The editor kept running.
    InternalError,
}

impl ErrorCode {
    /// The wire spelling, e.g. `NODE_NOT_FOUND`.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// The `error` member of a failed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// One line saying what went wrong.
    pub message: String,
    /// What to do next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// A finer reason within `code`, e.g. `no_scene` for `EDITOR_NOT_READY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<String>,
    /// True when the same call may succeed if simply retried later.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retryable: bool,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            sub_code: None,
            retryable: false,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_sub_code(mut self, sub_code: impl Into<String>) -> Self {
        self.sub_code = Some(sub_code.into());
        self
    }

    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorBody {}

/// Failures of this crate's own helpers.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("GODOT_MCP_PORT={0:?} is not a port number between 1 and 65535")]
    BadPort(String),
    #[error("malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
}
