//! Following a game run: what it printed, its errors, how it ended.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// Read a game run's output in order: stdout and stderr lines, errors and warnings (file, line, function). Pass `since` = the last answer's `next` to read only what is new. Resource godot://game/output.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetGameOutput {
    /// Run id from run_project; default: the latest run.
    #[serde(default)]
    pub run_id: Option<u64>,
    /// Cursor from a previous answer's `next`; omitted, the oldest lines kept.
    #[serde(default)]
    pub since: Option<u64>,
    /// Most lines to return (default 200, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}
command!(
    GetGameOutput,
    "get_game_output",
    title = "Game output",
    toolset = Core,
    read_only = true,
    output = GameOutput
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameOutput {
    pub run: RunSummary,
    pub lines: Vec<OutputLine>,
    #[serde(flatten)]
    pub cursor: super::log::Cursor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputLine {
    pub seq: u64,
    /// `stdout`, `stderr`, `error` or `warning`.
    pub stream: String,
    pub text: String,
    /// For errors and warnings: where, as the game reported it.
    #[serde(flatten)]
    pub at: super::log::Location,
}

/// List a game run's errors, each once with how often it happened and its script stack. All errors: resource godot://errors.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetGameErrors {
    /// Run id from run_project; default: the latest run.
    #[serde(default)]
    pub run_id: Option<u64>,
}
command!(
    GetGameErrors,
    "get_game_errors",
    title = "Game errors",
    toolset = Core,
    read_only = true,
    output = GameErrors
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameErrors {
    pub run: RunSummary,
    pub errors: Vec<GameError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameError {
    pub message: String,
    /// The innermost script frame when there is one, else the engine source.
    #[serde(flatten)]
    pub at: super::log::Location,
    /// How many times it happened.
    pub count: u64,
    /// Script call stack, innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<StackFrame>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StackFrame {
    pub file: String,
    pub line: u32,
    pub function: String,
}

/// Where a game run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Started; the game has not connected to the editor yet.
    Starting,
    Running,
    /// Stopped in the debugger at an error; the editor's Debugger panel can continue it.
    PausedAtError,
    /// Ended by itself; `exit_code` says how.
    Exited,
    /// Ended by a signal other than the editor's stop.
    Crashed,
    /// Stopped by stop_project or the editor's Stop button.
    Stopped,
}

impl RunState {
    pub fn ended(self) -> bool {
        matches!(
            self,
            RunState::Exited | RunState::Crashed | RunState::Stopped
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: u64,
    pub scene: String,
    pub state: RunState,
    /// The game's exit code, once it exited by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the game, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Milliseconds since the run started, or how long it lasted once ended.
    pub duration_ms: u64,
    pub errors: u64,
    pub warnings: u64,
    /// Output lines so far (the cursor of the next line).
    pub output_lines: u64,
    /// The error the game is paused at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<String>,
    /// Once ended: the last lines it printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_output: Vec<String>,
}
