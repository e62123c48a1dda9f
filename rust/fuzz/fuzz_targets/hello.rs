//! The first frame of a connection: only the exact token and protocol pass,
//! anything else is refused with a reason; the editor's welcome or refusal
//! decodes or fails cleanly on the client.

#![no_main]

use godot_mcp_protocol::{ErrorCode, Handshake, Hello, PROTOCOL_VERSION};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Hello::accept(&text, TOKEN) {
        Ok(hello) => {
            assert_eq!(hello.token, TOKEN);
            assert_eq!(hello.protocol_version, PROTOCOL_VERSION);
        }
        Err(refusal) => {
            assert!(matches!(
                refusal.code,
                ErrorCode::Unauthorized | ErrorCode::ProtocolMismatch
            ));
            assert!(refusal.hint.is_some());
        }
    }
    let other = TOKEN.replace('0', "x");
    if let Ok(hello) = Hello::accept(&text, &other) {
        assert_eq!(hello.token, other);
    }
    let _ = serde_json::from_str::<Handshake>(&text);
});
