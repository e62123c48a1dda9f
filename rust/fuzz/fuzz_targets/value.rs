//! Property values as agents write them: JSON forms (`[1, 2]`,
//! `{"x": 1, "y": 2}`, `"#ff0000"`) and Godot's constructor syntax
//! (`"Vector2(1, 2)"`), planned for every Variant kind and hint and
//! converted to file text offline; and Godot's text syntax parsed on its
//! own, written back and parsed again to the same value.

#![no_main]

use godot_mcp_protocol::value::{Hint, Kind, Plan, plan};
use godot_mcp_tscn::Value;
use godot_mcp_tscn::convert::{from_json, to_json};
use libfuzzer_sys::fuzz_target;

const HINTS: [&str; 4] = ["A,B:5,C", "Left:1,Right:2,Both:3", "", "Texture2D,Gradient"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let Some(kind) = Kind::from_ord(i64::from(pick % 39)) else {
        return;
    };
    let hint_text = HINTS[usize::from(pick / 40) % HINTS.len()];
    let hint = match pick / 160 {
        0 => Hint::None,
        _ => match pick % 3 {
            0 => Hint::Enum(hint_text),
            1 => Hint::Flags(hint_text),
            _ => Hint::Resource(hint_text),
        },
    };
    let mut forms = vec![serde_json::Value::String(text.clone().into_owned())];
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        forms.push(json);
    }
    for json in &forms {
        if let Ok(Plan::Text(literal)) = plan(json, kind, &hint) {
            assert!(!literal.is_empty());
        }
        let _ = from_json(json, kind, &hint);
    }

    if let Ok(value) = Value::parse(&text) {
        let written = value.to_string();
        let again = Value::parse(&written)
            .unwrap_or_else(|e| panic!("{text:?} wrote {written:?}, which does not parse: {e}"));
        assert_eq!(again.to_string(), written, "from {text:?}");
        let _ = to_json(&value);
    }
});
