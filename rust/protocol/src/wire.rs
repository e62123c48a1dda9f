//! The JSON text frames exchanged over the WebSocket.
//!
//! Client to editor: [`Request`]. Editor to client: a [`Response`] to each
//! request, in request order per connection, and unsolicited [`Event`]s.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ErrorBody, ErrorCode};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The request's id; `null` when the request was too malformed to have one.
    pub id: Option<u64>,
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl Response {
    pub fn ok(id: u64, result: Value) -> Self {
        Self {
            id: Some(id),
            success: true,
            result: Some(result),
            error: None,
        }
    }

    pub fn err(id: Option<u64>, error: ErrorBody) -> Self {
        Self {
            id,
            success: false,
            result: None,
            error: Some(error),
        }
    }

    /// The outcome as a `Result`, treating an inconsistent frame as an error.
    pub fn into_result(self) -> Result<Value, ErrorBody> {
        match (self.success, self.result, self.error) {
            (true, result, _) => Ok(result.unwrap_or(Value::Null)),
            (false, _, Some(error)) => Err(error),
            (false, _, None) => Err(ErrorBody::new(
                ErrorCode::InternalError,
                "the editor reported a failure without an error body",
            )),
        }
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

/// Any frame the editor sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServerMessage {
    Response(Response),
    Event(Event),
}

impl Request {
    /// Decodes a client frame. On failure returns the error response to send,
    /// carrying the id when one could still be read.
    pub fn decode(text: &str) -> Result<Self, Response> {
        serde_json::from_str::<Request>(text).map_err(|e| {
            let id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_u64));
            Response::err(
                id,
                ErrorBody::new(
                    ErrorCode::MalformedRequest,
                    format!("bad request frame: {e}"),
                )
                .with_hint(r#"send {"id": <u64>, "action": "<command>", "params": {...}}"#),
            )
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
    }

    #[test]
    fn response_shapes_match_the_spec() {
        let ok = serde_json::to_value(Response::ok(1, json!({"a": 1}))).unwrap();
        assert_eq!(ok, json!({"id": 1, "success": true, "result": {"a": 1}}));
        let err = Response::err(
            Some(2),
            ErrorBody::new(ErrorCode::NodeNotFound, "no").with_hint("h"),
        );
        assert_eq!(
            serde_json::to_value(err).unwrap(),
            json!({"id": 2, "success": false, "error": {"code": "NODE_NOT_FOUND", "message": "no", "hint": "h"}})
        );
    }

    #[test]
    fn server_message_tells_events_from_responses() {
        let m: ServerMessage =
            serde_json::from_str(r#"{"event":"scene_changed","data":{}}"#).unwrap();
        assert!(matches!(m, ServerMessage::Event(_)));
        let m: ServerMessage =
            serde_json::from_str(r#"{"id":1,"success":true,"result":null}"#).unwrap();
        assert!(matches!(m, ServerMessage::Response(_)));
    }
}
