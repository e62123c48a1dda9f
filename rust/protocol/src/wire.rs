//! The JSON text frames exchanged over the WebSocket.
//!
//! A connection opens with a handshake: the client's first frame is a
//! [`Hello`] carrying the editor's per-launch token and a fresh nonce, and
//! the editor answers with a [`Welcome`] that proves it holds the token too
//! (an HMAC of the nonce, see [`proof`]), or refuses with an error
//! [`Response`] and closes. A client sends nothing more to an editor that
//! cannot prove it: a planted discovery record could point anywhere.
//! After that, client to editor: [`Request`]. Editor to client: a
//! [`Response`] to each request, stamped with the editor's [`Readiness`],
//! and unsolicited [`Event`]s.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ErrorBody, ErrorCode};

/// The client's first frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub protocol_version: u32,
    pub client_name: String,
    pub client_version: String,
    /// The editor's per-launch token, read from its discovery file.
    pub token: String,
    /// Random hex chosen by the client for this connection; the welcome's
    /// `proof` answers it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
}

/// The editor's answer to an accepted [`Hello`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    /// `<project-slug>@<4 hex>`, unique per editor launch.
    pub session_id: String,
    pub godot_version: String,
    pub project_path: String,
    pub project_name: String,
    pub plugin_version: String,
    pub protocol_version: u32,
    pub readiness: Readiness,
    pub editor_pid: u32,
    /// [`proof`] of the hello's nonce with the token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proof: String,
}

/// HMAC-SHA256 of `nonce` keyed with `token`, in lowercase hex: shows that
/// whoever sent it knows the token, without revealing it.
pub fn proof(token: &str, nonce: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(nonce.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `claimed` is the [`proof`] of `nonce` with `token`, compared in
/// constant time. An empty nonce proves nothing.
pub fn proves(token: &str, nonce: &str, claimed: &str) -> bool {
    let expected = proof(token, nonce);
    !nonce.is_empty()
        && expected.len() == claimed.len()
        && expected
            .bytes()
            .zip(claimed.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// What the editor can do right now, computed live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Ready,
    /// The editor is scanning or importing files; edits wait for it.
    Importing,
    /// The game is running; edits still apply to the edited scene.
    Playing,
    /// No scene is open in the editor.
    NoScene,
}

impl Readiness {
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::Importing => "importing",
            Readiness::Playing => "playing",
            Readiness::NoScene => "no_scene",
        }
    }

    /// A compact code, for sharing the state between threads in one atomic.
    pub fn to_u8(self) -> u8 {
        self as u8
    }

    pub fn from_u8(n: u8) -> Readiness {
        match n {
            1 => Readiness::Importing,
            2 => Readiness::Playing,
            3 => Readiness::NoScene,
            _ => Readiness::Ready,
        }
    }
}

impl Hello {
    /// Decodes and checks the first frame of a connection against the
    /// editor's token and protocol version. On failure returns why, to send
    /// as the refusal before closing.
    pub fn accept(text: &str, token: &str) -> Result<Hello, ErrorBody> {
        let refuse =
            |code, message: String, hint: &str| Err(ErrorBody::new(code, message).with_hint(hint));
        let hello = match from_object::<Hello>(text) {
            Ok(h) => h,
            Err(e) => {
                return refuse(
                    ErrorCode::Unauthorized,
                    format!("the first frame must be a hello: {e}"),
                    r#"send {"protocol_version", "client_name", "client_version", "token", "nonce"} first"#,
                );
            }
        };
        // Compare in constant time so the token cannot be guessed byte by byte.
        let matches = hello.token.len() == token.len()
            && hello
                .token
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !matches {
            return refuse(
                ErrorCode::Unauthorized,
                "wrong or missing token".into(),
                "read the token from the editor's discovery file; it changes at every editor launch",
            );
        }
        if let Some(message) = version_mismatch(hello.protocol_version, crate::PROTOCOL_VERSION) {
            return refuse(
                ErrorCode::ProtocolMismatch,
                message,
                "install matching versions of the godot-mcp binary and the addon",
            );
        }
        Ok(hello)
    }
}

/// Deserializes a JSON object only: serde would also take a struct from an
/// array of its fields in order, which no client means to send.
fn from_object<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    if !text.trim_start().starts_with('{') {
        return Err(serde::de::Error::custom("expected a JSON object"));
    }
    serde_json::from_str(text)
}

/// Says which side to update when the client's and editor's protocols differ.
pub fn version_mismatch(client: u32, editor: u32) -> Option<String> {
    use std::cmp::Ordering::*;
    match client.cmp(&editor) {
        Equal => None,
        Less => Some(format!(
            "protocol mismatch: the godot-mcp binary speaks v{client}, the editor addon v{editor}; update the godot-mcp binary"
        )),
        Greater => Some(format!(
            "protocol mismatch: the godot-mcp binary speaks v{client}, the editor addon v{editor}; update addons/godot_mcp in the project"
        )),
    }
}

/// The editor's first frame: a welcome, or a refusal before it closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Handshake {
    Welcome(Welcome),
    Refused(Response),
}

/// `{"id", "action", "params"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Chosen by the client and echoed in the response.
    pub id: u64,
    /// A command name from the catalog.
    pub action: String,
    /// The command's parameters; absent means `{}`.
    #[serde(default = "empty_object")]
    pub params: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// `{"id", "success": true, "result"}` or `{"id", "success": false, "error"}`.
///
/// `R` is how the result is held: a JSON tree for readers, and for the
/// editor, which answers with already-encoded text, a raw JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "R: Deserialize<'de>"))]
pub struct Response<R = Value> {
    /// The request's id; `null` when the request was too malformed to have one.
    pub id: Option<u64>,
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<R>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// The editor's state when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
    /// Something the caller should know about a success, e.g. that the game
    /// is running while the edited scene changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Errors that appeared since the previous answer on this connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_errors: Option<crate::doorbell::NewErrors>,
}

impl<R> Response<R> {
    pub fn ok(id: u64, result: R) -> Self {
        Self {
            id: Some(id),
            success: true,
            result: Some(result),
            error: None,
            readiness: None,
            notice: None,
            new_errors: None,
        }
    }

    pub fn err(id: Option<u64>, error: ErrorBody) -> Self {
        Self {
            id,
            success: false,
            result: None,
            error: Some(error),
            readiness: None,
            notice: None,
            new_errors: None,
        }
    }

    /// The same answer with its result held another way.
    pub fn map_result<S>(self, f: impl FnOnce(R) -> S) -> Response<S> {
        Response {
            id: self.id,
            success: self.success,
            result: self.result.map(f),
            error: self.error,
            readiness: self.readiness,
            notice: self.notice,
            new_errors: self.new_errors,
        }
    }
}

impl<R> Response<R> {
    /// The outcome as a `Result` (a success may lack a result), treating an
    /// inconsistent frame as an error.
    pub fn outcome(self) -> Result<Option<R>, ErrorBody> {
        match (self.success, self.result, self.error) {
            (true, result, _) => Ok(result),
            (false, _, Some(error)) => Err(error),
            (false, _, None) => Err(ErrorBody::new(
                ErrorCode::InternalError,
                "the editor reported a failure without an error body",
            )),
        }
    }
}

impl Response {
    /// The outcome as a `Result`, a missing result read as `null`.
    pub fn into_result(self) -> Result<Value, ErrorBody> {
        self.outcome().map(|r| r.unwrap_or(Value::Null))
    }
}

/// `{"event", "data"}`: something happened in the editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub event: String,
    #[serde(default)]
    pub data: Value,
}

/// The events an editor sends, by name.
pub mod events {
    /// `{"path"}`: another scene became the edited one (empty path: none).
    pub const SCENE_CHANGED: &str = "scene_changed";
    /// `{"playing", "scene"}`: the game started or stopped.
    pub const PLAY_STATE_CHANGED: &str = "play_state_changed";
    /// `{"readiness"}`.
    pub const READINESS_CHANGED: &str = "readiness_changed";
    /// `{}`: files were added, removed or reimported.
    pub const FILESYSTEM_CHANGED: &str = "filesystem_changed";
    /// `{"scene", "added", "removed", "renamed"}`: nodes changed in the edited scene.
    pub const SCENE_MODIFIED: &str = "scene_modified";
    /// `{"dropped"}`: this connection fell behind and missed events.
    pub const EVENTS_LOST: &str = "events_lost";
}

/// Any frame the editor sends; `R` holds a response's result as in [`Response`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ServerMessage<R = Value> {
    Response(Response<R>),
    Event(Event),
}

impl<R: serde::de::DeserializeOwned> ServerMessage<R> {
    /// Decodes a frame from the editor. Tries a response first: it refuses
    /// an event at its first key, whereas serde's untagged matching would
    /// buffer a whole (possibly megabytes large) answer before parsing it.
    /// With `R` a raw value, a result is kept as the editor's text, unparsed.
    pub fn decode(text: &str) -> serde_json::Result<ServerMessage<R>> {
        serde_json::from_str::<Response<R>>(text)
            .map(ServerMessage::Response)
            .or_else(|response_error| {
                serde_json::from_str::<Event>(text)
                    .map(ServerMessage::Event)
                    .map_err(|_| response_error)
            })
    }
}

impl Request {
    /// Decodes a client frame. On failure returns the error response to send,
    /// carrying the id when one could still be read.
    pub fn decode(text: &str) -> Result<Self, Box<Response>> {
        from_object::<Request>(text).map_err(|e| {
            let id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_u64));
            Box::new(Response::err(
                id,
                ErrorBody::new(
                    ErrorCode::MalformedRequest,
                    format!("bad request frame: {e}"),
                )
                .with_hint(r#"send {"id": <u64>, "action": "<command>", "params": {...}}"#),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_defaults_params() {
        let r = Request::decode(r#"{"id":7,"action":"get_editor_state"}"#).unwrap();
        assert_eq!(r.id, 7);
        assert_eq!(r.params, json!({}));
    }

    #[test]
    fn malformed_request_keeps_id_when_possible() {
        let e = Request::decode(r#"{"id":9,"action":5}"#).unwrap_err();
        assert_eq!(e.id, Some(9));
        assert_eq!(e.error.unwrap().code, ErrorCode::MalformedRequest);
        let e = Request::decode("not json").unwrap_err();
        assert_eq!(e.id, None);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(Request::decode(r#"{"id":1,"action":"x","extra":1}"#).is_err());
        assert!(Request::decode(r#"[1, "get_editor_state"]"#).is_err());
    }

    #[test]
    fn response_shapes_match_the_spec() {
        let ok = serde_json::to_value(Response::ok(1, json!({"a": 1}))).unwrap();
        assert_eq!(ok, json!({"id": 1, "success": true, "result": {"a": 1}}));
        let err = Response::<Value>::err(
            Some(2),
            ErrorBody::new(ErrorCode::NodeNotFound, "no").with_hint("h"),
        );
        assert_eq!(
            serde_json::to_value(err).unwrap(),
            json!({"id": 2, "success": false, "error": {"code": "NODE_NOT_FOUND", "message": "no", "hint": "h"}})
        );
    }

    #[test]
    fn a_proof_shows_the_token_for_this_nonce_only() {
        let p = proof("token", "nonce");
        // RFC 2104 HMAC-SHA256, as computed by any other implementation.
        assert_eq!(
            proof("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert!(proves("token", "nonce", &p));
        assert!(!proves("token", "other", &p));
        assert!(!proves("other", "nonce", &p));
        assert!(!proves("token", "", &proof("token", "")));
        assert!(!proves("token", "nonce", ""));
    }

    #[test]
    fn server_message_tells_events_from_responses() {
        let m = ServerMessage::<Value>::decode(r#"{"event":"scene_changed","data":{}}"#).unwrap();
        assert!(matches!(m, ServerMessage::Event(_)));
        let m = ServerMessage::<Value>::decode(r#"{"id":1,"success":true,"result":null}"#).unwrap();
        assert!(matches!(m, ServerMessage::Response(_)));
        let m = ServerMessage::<Value>::decode(r#"{"success":true,"id":1,"result":{"event":1}}"#)
            .unwrap();
        assert!(matches!(m, ServerMessage::Response(_)));
        let m = ServerMessage::<Box<serde_json::value::RawValue>>::decode(
            r#"{"id":1,"success":true,"result":{"a": [1, 2]}}"#,
        )
        .unwrap();
        let ServerMessage::Response(r) = m else {
            panic!("not a response")
        };
        assert_eq!(r.outcome().unwrap().unwrap().get(), r#"{"a": [1, 2]}"#);
        let e = ServerMessage::<Value>::decode(r#"{"id":1}"#).unwrap_err();
        assert!(e.to_string().contains("success"), "{e}");
    }
}
