//! Property tests of everything that decodes bytes from the other side of a
//! socket: request frames and the hello. Whatever arrives, decoding answers
//! with a value or a structured error and never panics.

use godot_mcp_protocol::{ErrorCode, Hello, PROTOCOL_VERSION, Request};
use proptest::prelude::*;
use serde_json::{Value, json};

/// JSON values of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("action".to_owned()),
                    Just("params".to_owned()),
                    Just("token".to_owned()),
                    Just("protocol_version".to_owned()),
                    ".{0,8}".prop_map(String::from),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid frame with some bytes replaced, inserted or cut.
fn mutated(base: String) -> impl Strategy<Value = String> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..8).prop_map(
        move |edits| {
            let mut bytes = base.clone().into_bytes();
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => {
                        bytes.truncate(i);
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn request_decoding_never_panics(text in ".{0,200}") {
        let _ = Request::decode(&text);
    }

    #[test]
    fn request_decoding_of_any_json(value in any_json()) {
        match Request::decode(&value.to_string()) {
            Ok(r) => prop_assert!(value.get("action").is_some_and(|a| a == &json!(r.action))),
            Err(response) => {
                let error = response.error.expect("an error body");
                prop_assert_eq!(error.code, ErrorCode::MalformedRequest);
                prop_assert!(error.hint.is_some());
            }
        }
    }

    #[test]
    fn mutated_requests_never_panic(text in mutated(r#"{"id":12,"action":"add_node","params":{"type":"Node2D","name":"A"}}"#.to_owned())) {
        let _ = Request::decode(&text);
    }

    #[test]
    fn hello_with_anything_is_refused_unless_exact(value in any_json(), token in "[0-9a-f]{32}") {
        match Hello::accept(&value.to_string(), &token) {
            Ok(_) => prop_assert!(false, "accepted {}", value),
            Err(refusal) => {
                let code = refusal.code;
                prop_assert!(code == ErrorCode::Unauthorized || code == ErrorCode::ProtocolMismatch);
            }
        }
    }

    #[test]
    fn mutated_hellos_never_panic_nor_pass_with_a_wrong_token(
        text in mutated(format!(r#"{{"protocol_version":{PROTOCOL_VERSION},"client_name":"c","client_version":"1","token":"{}"}}"#, "a".repeat(32)))
    ) {
        if let Ok(hello) = Hello::accept(&text, &"a".repeat(32)) {
            prop_assert_eq!(hello.token, "a".repeat(32));
            prop_assert_eq!(hello.protocol_version, PROTOCOL_VERSION);
        }
        prop_assert!(Hello::accept(&text, &"b".repeat(32)).is_err());
    }
}

#[test]
fn exact_hello_is_accepted() {
    let token = "0123456789abcdef0123456789abcdef";
    let hello = json!({"protocol_version": PROTOCOL_VERSION, "client_name": "c", "client_version": "1", "token": token});
    assert!(Hello::accept(&hello.to_string(), token).is_ok());
    let mut extra = hello.clone();
    extra["admin"] = json!(true);
    assert!(
        Hello::accept(&extra.to_string(), token).is_err(),
        "unknown fields are refused"
    );
    let mut shorter = hello;
    shorter["token"] = json!(&token[..31]);
    assert!(Hello::accept(&shorter.to_string(), token).is_err());
}
