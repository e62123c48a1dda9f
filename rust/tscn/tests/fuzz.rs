//! Arbitrary and mutated input never panics or hangs the parser, and every
//! rejection says where (line:column) the text went wrong.

use std::time::{Duration, Instant};

use godot_mcp_tscn::{Document, Error, Scene, Value};
use proptest::prelude::*;

const SAMPLE: &str = include_str!("../../../godot_project/scenes/main.tscn");

const VALUES: &str = "[gd_scene format=3]\n\n[node name=\"V\" type=\"Node\"]\nmetadata/a = [1, \"two\", 3.0, null, {\n\"k\": Vector2(1, 2)\n}]\nmetadata/b = Array[int]([1, 2])\nmetadata/c = Dictionary[String, int]({\n\"x\": 1\n})\nmetadata/d = PackedByteArray(\"AAH/\")\nmetadata/e = &\"sn\"\nmetadata/f = NodePath(\"a:b\")\nmetadata/g = -inf\nmetadata/h = Object(Node,\"name\":\"x\")\n";

/// Parses with a time bound; a failure must carry a position inside the text.
fn check(text: &str) {
    let start = Instant::now();
    let result = Document::parse(text);
    assert!(start.elapsed() < Duration::from_secs(2), "slow on {text:?}");
    match result {
        Ok(doc) => {
            assert_eq!(doc.write(), text);
            let _ = Scene::parse(text);
        }
        Err(Error::Syntax { line, column, .. }) => {
            let lines = text.split('\n').count();
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            assert!(column >= 1);
        }
        Err(other) => panic!("a syntax failure must be Error::Syntax, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_syntax_soup(text in "[\\[\\]{}()\",:=&^#;\\\\a-zA-Z0-9_./ \n-]{0,300}") {
        check(&text);
        let _ = Value::parse(&text);
    }

    #[test]
    fn mutated_scenes(
        base in prop_oneof![Just(SAMPLE), Just(VALUES)],
        at in any::<prop::sample::Index>(),
        cut in 0usize..40,
        insert in "[\\[\\]{}()\",:=\\\\\n a-z0-9]{0,8}",
    ) {
        let chars: Vec<char> = base.chars().collect();
        let i = at.index(chars.len());
        let j = (i + cut).min(chars.len());
        let text: String = chars[..i].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(&chars[j..]).collect();
        check(&text);
    }
}

#[test]
fn malformed_files_say_where() {
    let cases = [
        (
            "[gd_scene format=3]\n\n[node name=\"A\" type=\"Node\"\n",
            "4:1",
        ),
        ("[gd_scene]\nposition = Vector2(1, \n", "3:1"),
        ("[gd_scene]\nkey value\n", "2:1"),
        ("text before\n", "1:1"),
        ("[gd_scene]\nk = \"open\n", "2:5"),
        ("[gd_scene]\nk = [1, 2 3]\n", "2:11"),
    ];
    for (text, at) in cases {
        let e = Document::parse(text).unwrap_err().to_string();
        assert!(e.starts_with(at), "{text:?}: {e}");
    }
    assert!(Document::parse(&"[".repeat(100_000)).is_err());
    assert!(Value::parse(&"{\"a\": ".repeat(100_000)).is_err());
}
