//! Frames from the other side of a socket: client requests, editor answers
//! and events (parsed, and kept raw as the shim does), and the game link's
//! newline framing fed in arbitrary chunks. Decoding answers or refuses; it
//! never panics.

#![no_main]

use godot_mcp_protocol::link::Lines;
use godot_mcp_protocol::{ErrorCode, Request, ServerMessage};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Request::decode(&text) {
        Ok(request) => assert!(!text.trim().is_empty(), "{request:?}"),
        Err(response) => {
            let error = response.error.expect("a refusal carries an error");
            assert_eq!(error.code, ErrorCode::MalformedRequest);
            assert!(error.hint.is_some());
        }
    }
    let _ = ServerMessage::<serde_json::Value>::decode(&text);
    let _ = ServerMessage::<Box<RawValue>>::decode(&text);

    // The first byte picks the chunk size, so lines split anywhere.
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let mut lines = Lines::default();
    for piece in rest.chunks(usize::from(chunk % 16) + 1) {
        lines.feed(piece);
        while let Some(line) = lines.next_line() {
            if let Ok((_, body)) = line {
                assert!(!body.contains('\n'));
            }
        }
    }
});
