//! Scene and resource files: any text parses or fails with a position inside
//! it, and what parses writes back byte for byte.

#![no_main]

use godot_mcp_tscn::{Document, Error, Scene};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Document::parse(&text) {
        Ok(doc) => {
            assert_eq!(doc.write(), text);
            let _ = Scene::parse(&text);
        }
        Err(Error::Syntax { line, column, .. }) => {
            let lines = text.split('\n').count();
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            assert!(column >= 1);
        }
        Err(other) => panic!("a syntax failure must be Error::Syntax, got {other:?}"),
    }
});
