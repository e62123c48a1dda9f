//! The forms a property value may take on the wire, and how each maps onto a
//! Godot type.
//!
//! Agents write values as JSON (`[10, 20]`, `{"r": 1, ...}`, `"#ff0000"`) or
//! in Godot's own constructor syntax (`"Vector2(10, 20)"`). Given the
//! property's declared type, [`plan`] decides, without the engine, what the
//! extension must build: a scalar, a text literal for Godot's variant parser,
//! an HTML colour, an enum value, or a resource to load. A value that does not
//! fit is an error naming the expected type, never a silent default.

use serde_json::Value;

/// Godot's `Variant.Type`, in engine order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Nil,
    Bool,
    Int,
    Float,
    String,
    Vector2,
    Vector2i,
    Rect2,
    Rect2i,
    Vector3,
    Vector3i,
    Transform2D,
    Vector4,
    Vector4i,
    Plane,
    Quaternion,
    Aabb,
    Basis,
    Transform3D,
    Projection,
    Color,
    StringName,
    NodePath,
    Rid,
    Object,
    Callable,
    Signal,
    Dictionary,
    Array,
    PackedByteArray,
    PackedInt32Array,
    PackedInt64Array,
    PackedFloat32Array,
    PackedFloat64Array,
    PackedStringArray,
    PackedVector2Array,
    PackedVector3Array,
    PackedColorArray,
    PackedVector4Array,
}

const ALL: [Kind; 39] = {
    use Kind::*;
    [
        Nil,
        Bool,
        Int,
        Float,
        String,
        Vector2,
        Vector2i,
        Rect2,
        Rect2i,
        Vector3,
        Vector3i,
        Transform2D,
        Vector4,
        Vector4i,
        Plane,
        Quaternion,
        Aabb,
        Basis,
        Transform3D,
        Projection,
        Color,
        StringName,
        NodePath,
        Rid,
        Object,
        Callable,
        Signal,
        Dictionary,
        Array,
        PackedByteArray,
        PackedInt32Array,
        PackedInt64Array,
        PackedFloat32Array,
        PackedFloat64Array,
        PackedStringArray,
        PackedVector2Array,
        PackedVector3Array,
        PackedColorArray,
        PackedVector4Array,
    ]
};

impl Kind {
    /// From the engine's `Variant.Type` ordinal.
    pub fn from_ord(ord: i64) -> Option<Kind> {
        usize::try_from(ord).ok().and_then(|i| ALL.get(i).copied())
    }

    /// The type's name as Godot spells it (and as its constructor is named).
    pub fn name(self) -> &'static str {
        use Kind::*;
        match self {
            Nil => "Variant",
            Bool => "bool",
            Int => "int",
            Float => "float",
            String => "String",
            Vector2 => "Vector2",
            Vector2i => "Vector2i",
            Rect2 => "Rect2",
            Rect2i => "Rect2i",
            Vector3 => "Vector3",
            Vector3i => "Vector3i",
            Transform2D => "Transform2D",
            Vector4 => "Vector4",
            Vector4i => "Vector4i",
            Plane => "Plane",
            Quaternion => "Quaternion",
            Aabb => "AABB",
            Basis => "Basis",
            Transform3D => "Transform3D",
            Projection => "Projection",
            Color => "Color",
            StringName => "StringName",
            NodePath => "NodePath",
            Rid => "RID",
            Object => "Object",
            Callable => "Callable",
            Signal => "Signal",
            Dictionary => "Dictionary",
            Array => "Array",
            PackedByteArray => "PackedByteArray",
            PackedInt32Array => "PackedInt32Array",
            PackedInt64Array => "PackedInt64Array",
            PackedFloat32Array => "PackedFloat32Array",
            PackedFloat64Array => "PackedFloat64Array",
            PackedStringArray => "PackedStringArray",
            PackedVector2Array => "PackedVector2Array",
            PackedVector3Array => "PackedVector3Array",
            PackedColorArray => "PackedColorArray",
            PackedVector4Array => "PackedVector4Array",
        }
    }

    /// For math types: the JSON object keys in constructor order, and the
    /// number of scalars the constructor takes.
    fn components(self) -> Option<(&'static [&'static str], usize)> {
        use Kind::*;
        Some(match self {
            Vector2 | Vector2i => (&["x", "y"], 2),
            Vector3 | Vector3i => (&["x", "y", "z"], 3),
            Vector4 | Vector4i | Quaternion => (&["x", "y", "z", "w"], 4),
            Rect2 | Rect2i | Aabb => (&["position", "size"], if self == Aabb { 6 } else { 4 }),
            Plane => (&["normal", "d"], 4),
            Transform2D => (&["x", "y", "origin"], 6),
            Basis => (&["x", "y", "z"], 9),
            Transform3D => (&["basis", "origin"], 12),
            Projection => (&["x", "y", "z", "w"], 16),
            Color => (&["r", "g", "b", "a"], 4),
            _ => return None,
        })
    }

    fn packed_element(self) -> Option<Kind> {
        use Kind::*;
        Some(match self {
            PackedByteArray | PackedInt32Array | PackedInt64Array => Int,
            PackedFloat32Array | PackedFloat64Array => Float,
            PackedStringArray => String,
            PackedVector2Array => Vector2,
            PackedVector3Array => Vector3,
            PackedColorArray => Color,
            PackedVector4Array => Vector4,
            _ => return None,
        })
    }
}

/// What the property declares beyond its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Hint<'a> {
    None,
    /// `PROPERTY_HINT_ENUM` with its hint string (`"A,B:5,C"`).
    Enum(&'a str),
    /// `PROPERTY_HINT_FLAGS` with its hint string.
    Flags(&'a str),
    /// `PROPERTY_HINT_RESOURCE_TYPE` with the accepted class(es).
    Resource(&'a str),
}

/// What the extension must build for a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string for a String, StringName or NodePath property (see the kind).
    Str(String),
    /// Godot variant text to parse with `str_to_var`; the result must have the
    /// property's type.
    Text(String),
    /// An HTML colour (`#rgb`, `#rrggbbaa`) or a named colour.
    ColorHtml(String),
    /// A resource file to load and assign.
    Resource(String),
    /// A new resource of the class named by `type`, with the other members
    /// as its properties.
    NewResource {
        class: String,
        properties: serde_json::Map<String, Value>,
    },
    /// A JSON value for an untyped, Array or Dictionary property, converted
    /// structurally (strings in constructor syntax become those values).
    Json(Value),
}

/// Why a value does not fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected {expected}, got {got}")]
pub struct ValueError {
    pub expected: String,
    pub got: String,
    /// Accepted forms, for the hint.
    pub forms: String,
}

/// Decides how to build a value of `kind` from `value`.
pub fn plan(value: &Value, kind: Kind, hint: &Hint<'_>) -> Result<Plan, ValueError> {
    use Kind::*;
    let fail = || Err(mismatch(value, kind, hint));
    match kind {
        Nil | Array | Dictionary => Ok(match value {
            Value::Null => Plan::Null,
            other => Plan::Json(other.clone()),
        }),
        Bool => match value {
            Value::Bool(b) => Ok(Plan::Bool(*b)),
            Value::String(s) if s == "true" || s == "false" => Ok(Plan::Bool(s == "true")),
            _ => fail(),
        },
        Int => match (value, hint) {
            (Value::String(s), Hint::Enum(h)) => enum_value(s, h).map(Plan::Int).ok_or(()),
            (Value::String(s), Hint::Flags(h)) => flags_value(s, h).map(Plan::Int).ok_or(()),
            (Value::Array(items), Hint::Flags(h)) => items
                .iter()
                .map(|i| i.as_str().and_then(|s| flags_value(s, h)))
                .try_fold(0, |acc, v| v.map(|v| acc | v))
                .map(Plan::Int)
                .ok_or(()),
            _ => as_int(value).map(Plan::Int).ok_or(()),
        }
        .or_else(|_| fail()),
        Float => match value {
            Value::Number(n) => n.as_f64().map(Plan::Float).ok_or(()),
            Value::String(s) => parse_float(s).map(Plan::Float).ok_or(()),
            _ => Err(()),
        }
        .or_else(|_| fail()),
        String | StringName | NodePath => match value {
            Value::String(s) => Ok(Plan::Str(unwrap_literal(s, kind))),
            _ => fail(),
        },
        Object => match value {
            Value::Null => Ok(Plan::Null),
            Value::String(s) if s.starts_with("res://") || s.starts_with("uid://") => {
                Ok(Plan::Resource(s.clone()))
            }
            Value::Object(map) => match map.get("type") {
                Some(Value::String(class)) => {
                    let mut properties = map.clone();
                    properties.remove("type");
                    Ok(Plan::NewResource {
                        class: class.clone(),
                        properties,
                    })
                }
                _ => fail(),
            },
            _ => fail(),
        },
        Rid | Callable | Signal => fail(),
        Color => color_plan(value).map_or_else(fail, Ok),
        _ if kind.packed_element().is_some() => match value {
            Value::String(s) => constructor_text(s, kind).ok_or(()),
            Value::Array(items) => packed_text(kind, items).ok_or(()),
            _ => Err(()),
        }
        .or_else(|_| fail()),
        _ => {
            let (_, arity) = kind.components().expect("math type");
            match value {
                Value::String(s) => constructor_text(s, kind).ok_or(()),
                other => flatten(other, kind)
                    .and_then(|n| numbers_text(kind, &n, arity))
                    .ok_or(()),
            }
            .or_else(|_| fail())
        }
    }
}

fn color_plan(value: &Value) -> Option<Plan> {
    match value {
        Value::String(s) if looks_like_constructor(s) => constructor_text(s, Kind::Color),
        Value::String(s) => Some(Plan::ColorHtml(s.trim().to_owned())),
        other => {
            let mut n = flatten(other, Kind::Color)?;
            if n.len() == 3 {
                n.push(1.0);
            }
            numbers_text(Kind::Color, &n, 4)
        }
    }
}

fn mismatch(value: &Value, kind: Kind, hint: &Hint<'_>) -> ValueError {
    let mut got = value.to_string();
    if got.len() > 80 {
        let cut = (0..=80)
            .rev()
            .find(|i| got.is_char_boundary(*i))
            .unwrap_or(0);
        got.truncate(cut);
        got.push('…');
    }
    let (expected, forms) = match hint {
        Hint::Enum(h) => (
            format!("{} (enum)", kind.name()),
            format!("one of: {}", enum_names(h).join(", ")),
        ),
        Hint::Flags(h) => (
            format!("{} (flags)", kind.name()),
            format!(
                "a number, or names joined by | from: {}",
                enum_names(h).join(", ")
            ),
        ),
        Hint::Resource(class) => (
            format!("{class} resource"),
            "a \"res://...\" path of a resource of that type, or null".to_owned(),
        ),
        Hint::None => (kind.name().to_owned(), forms(kind)),
    };
    ValueError {
        expected,
        got,
        forms,
    }
}

/// Human description of the accepted forms for a type, used in hints.
pub fn forms(kind: Kind) -> String {
    use Kind::*;
    let name = kind.name();
    match kind {
        Bool => "true or false".into(),
        Int => "an integer".into(),
        Float => "a number".into(),
        String | StringName | NodePath => "a string".into(),
        Object => "a \"res://...\" resource path, {\"type\": \"Class\", ...properties} for a new resource, or null".into(),
        Color => "\"#rrggbb\", \"#rrggbbaa\", a colour name, [r, g, b, a], {\"r\":..,\"g\":..,\"b\":..,\"a\":..} or \"Color(r, g, b, a)\" with 0..1 components".into(),
        _ => match kind.components() {
            Some((keys, n)) => format!(
                "[{n} numbers], {{{}}} or \"{name}(...)\"",
                keys.iter().map(|k| format!("\"{k}\": ..")).collect::<Vec<_>>().join(", ")
            ),
            None if kind.packed_element().is_some() => {
                format!("a JSON array or \"{name}(...)\"")
            }
            None => format!("a value in Godot's {name} syntax"),
        },
    }
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s.trim() {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        t => t.parse().ok(),
    }
}

/// `&"a"`, `^"a"`, `StringName("a")` and `NodePath("a")` wrap the plain string.
fn unwrap_literal(s: &str, kind: Kind) -> String {
    let t = s.trim();
    let inner = match kind {
        Kind::StringName => t.strip_prefix("&\"").or_else(|| {
            t.strip_prefix("StringName(\"")
                .and_then(|r| r.strip_suffix(')'))
        }),
        Kind::NodePath => t.strip_prefix("^\"").or_else(|| {
            t.strip_prefix("NodePath(\"")
                .and_then(|r| r.strip_suffix(')'))
        }),
        _ => None,
    };
    match inner.and_then(|r| r.strip_suffix('"')) {
        Some(r) if !r.contains('"') => r.to_owned(),
        _ => s.to_owned(),
    }
}

fn looks_like_constructor(s: &str) -> bool {
    let t = s.trim_start();
    let ident = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(|i| &t[..i])
        .unwrap_or(t);
    !ident.is_empty() && t[ident.len()..].trim_start().starts_with('(')
}

/// Accepts `"Name(...)"` whose constructor is exactly the target type and
/// which cannot instantiate objects.
fn constructor_text(s: &str, kind: Kind) -> Option<Plan> {
    let t = s.trim();
    let rest = t.strip_prefix(kind.name())?.trim_start();
    if !rest.starts_with('(') || !t.ends_with(')') {
        return None;
    }
    // Variant text can build arbitrary objects and load resources; never from here.
    if ["Object(", "Resource(", "ExtResource(", "SubResource("]
        .iter()
        .any(|f| t.contains(f))
    {
        return None;
    }
    Some(Plan::Text(t.to_owned()))
}

/// Collects the scalars of a math value given as nested arrays or objects.
fn flatten(value: &Value, kind: Kind) -> Option<Vec<f64>> {
    let mut out = Vec::new();
    flatten_into(value, kind, &mut out)?;
    Some(out)
}

fn flatten_into(value: &Value, kind: Kind, out: &mut Vec<f64>) -> Option<()> {
    match value {
        Value::Number(n) => out.push(n.as_f64()?),
        Value::Array(items) => {
            for item in items {
                flatten_into(item, kind, out)?;
            }
        }
        Value::Object(map) => {
            let keys = object_keys(kind, map);
            if keys.len() != map.len() {
                return None;
            }
            for key in keys {
                let inner = match key {
                    "position" | "size" | "origin" | "normal" | "x" | "y" | "z" | "w"
                        if map[key].is_object() =>
                    {
                        vector_kind_for(kind, key)
                    }
                    _ => kind,
                };
                flatten_into(&map[key], inner, out)?;
            }
        }
        _ => return None,
    }
    Some(())
}

/// The keys of an object form, in constructor order. Rects and planes also
/// accept their flat spellings (`x, y, width, height`; `a, b, c, d`).
fn object_keys(kind: Kind, map: &serde_json::Map<String, Value>) -> Vec<&'static str> {
    let flat: &[&str] = match kind {
        Kind::Rect2 | Kind::Rect2i => &["x", "y", "width", "height"],
        Kind::Plane => &["a", "b", "c", "d"],
        Kind::Color => &["r", "g", "b", "a"],
        _ => &[],
    };
    let structured = kind.components().map(|(k, _)| k).unwrap_or(&[]);
    let present = |keys: &[&'static str]| -> Vec<&'static str> {
        keys.iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect()
    };
    let a = present(structured);
    let b = present(flat);
    if b.len() > a.len() { b } else { a }
}

fn vector_kind_for(kind: Kind, key: &str) -> Kind {
    match (kind, key) {
        (Kind::Transform3D, "basis") => Kind::Basis,
        (Kind::Transform3D | Kind::Aabb | Kind::Plane | Kind::Basis, _) => Kind::Vector3,
        (Kind::Projection, _) => Kind::Vector4,
        _ => Kind::Vector2,
    }
}

fn numbers_text(kind: Kind, numbers: &[f64], arity: usize) -> Option<Plan> {
    if numbers.len() != arity {
        return None;
    }
    let integer = matches!(
        kind,
        Kind::Vector2i | Kind::Vector3i | Kind::Vector4i | Kind::Rect2i
    );
    if integer && numbers.iter().any(|n| n.fract() != 0.0) {
        return None;
    }
    let parts: Vec<String> = numbers.iter().map(|n| number_text(*n)).collect();
    Some(Plan::Text(format!("{}({})", kind.name(), parts.join(", "))))
}

fn number_text(n: f64) -> String {
    if n.is_nan() {
        "nan".into()
    } else if n.is_infinite() {
        if n > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        // Rust's shortest round-trip form, which Godot's parser reads back exactly.
        format!("{n:?}")
    }
}

fn packed_text(kind: Kind, items: &[Value]) -> Option<Plan> {
    let element = kind.packed_element()?;
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        match element {
            Kind::Int => parts.push(as_int(item)?.to_string()),
            Kind::Float => parts.push(number_text(item.as_f64()?)),
            Kind::String => parts.push(quote(item.as_str()?)),
            Kind::Color if item.is_string() => return None,
            _ => {
                let (_, arity) = element.components()?;
                let mut n = flatten(item, element)?;
                if element == Kind::Color && n.len() == 3 {
                    n.push(1.0);
                }
                if n.len() != arity {
                    return None;
                }
                parts.extend(n.into_iter().map(number_text));
            }
        }
    }
    Some(Plan::Text(format!("{}({})", kind.name(), parts.join(", "))))
}

/// A string literal in Godot's variant syntax.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `(name, value)` pairs of an enum or flags hint string.
pub fn enum_items(hint: &str) -> Vec<(String, i64)> {
    let mut next = 0i64;
    let mut out = Vec::new();
    for item in hint.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = match item.rsplit_once(':') {
            Some((n, v)) => match v.trim().parse::<i64>() {
                Ok(v) => (n.trim(), v),
                Err(_) => (item, next),
            },
            None => (item, next),
        };
        out.push((name.to_owned(), value));
        next = value + 1;
    }
    out
}

fn enum_names(hint: &str) -> Vec<String> {
    enum_items(hint).into_iter().map(|(n, _)| n).collect()
}

fn normalize_name(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Finds an enum value by display name (`"When Paused"`), constant-style name
/// (`"WHEN_PAUSED"`, `"PROCESS_MODE_WHEN_PAUSED"`), or number.
pub fn enum_value(input: &str, hint: &str) -> Option<i64> {
    if let Ok(n) = input.trim().parse::<i64>() {
        return Some(n);
    }
    let wanted = normalize_name(input);
    if wanted.is_empty() {
        return None;
    }
    let items = enum_items(hint);
    if let Some((_, v)) = items.iter().find(|(n, _)| normalize_name(n) == wanted) {
        return Some(*v);
    }
    // A constant's prefix (`PROCESS_MODE_`) is not part of the display name:
    // take the longest display name the input ends with, at a word boundary.
    items
        .iter()
        .filter_map(|(n, v)| {
            let norm = normalize_name(n);
            let input_upper = input.trim().to_ascii_uppercase();
            let boundary = input_upper
                .strip_suffix(&n.trim().to_ascii_uppercase().replace(' ', "_"))
                .is_some_and(|p| p.is_empty() || p.ends_with('_'));
            (boundary && !norm.is_empty()).then_some((norm.len(), *v))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, v)| v)
}

/// Flags given as `"A|B"` (names or numbers).
pub fn flags_value(input: &str, hint: &str) -> Option<i64> {
    let items = enum_items(hint);
    let mut bits = 0i64;
    for part in input.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        bits |= match part.parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                let w = normalize_name(part);
                items.iter().find(|(n, _)| normalize_name(n) == w)?.1
            }
        };
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: Value, kind: Kind) -> String {
        match plan(&v, kind, &Hint::None).unwrap() {
            Plan::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn kinds_follow_engine_order() {
        assert_eq!(Kind::from_ord(0), Some(Kind::Nil));
        assert_eq!(Kind::from_ord(5), Some(Kind::Vector2));
        assert_eq!(Kind::from_ord(20), Some(Kind::Color));
        assert_eq!(Kind::from_ord(24), Some(Kind::Object));
        assert_eq!(Kind::from_ord(38), Some(Kind::PackedVector4Array));
        assert_eq!(Kind::from_ord(39), None);
        assert_eq!(Kind::from_ord(-1), None);
    }

    #[test]
    fn vectors_from_every_form() {
        assert_eq!(text(json!([10, 20]), Kind::Vector2), "Vector2(10.0, 20.0)");
        assert_eq!(
            text(json!({"x": 1.5, "y": -2}), Kind::Vector2),
            "Vector2(1.5, -2.0)"
        );
        assert_eq!(
            text(json!("Vector2(10, 20)"), Kind::Vector2),
            "Vector2(10, 20)"
        );
        assert_eq!(
            text(json!([1, 2, 3]), Kind::Vector3i),
            "Vector3i(1.0, 2.0, 3.0)"
        );
        assert!(plan(&json!([1.5, 2, 3]), Kind::Vector3i, &Hint::None).is_err());
        assert!(plan(&json!([1, 2, 3]), Kind::Vector2, &Hint::None).is_err());
        assert!(plan(&json!("Vector3(1, 2, 3)"), Kind::Vector2, &Hint::None).is_err());
        assert!(plan(&json!({"x": 1, "q": 2}), Kind::Vector2, &Hint::None).is_err());
    }

    #[test]
    fn compound_math_types() {
        assert_eq!(
            text(
                json!({"position": [0, 0], "size": {"x": 4, "y": 5}}),
                Kind::Rect2
            ),
            "Rect2(0.0, 0.0, 4.0, 5.0)"
        );
        assert_eq!(
            text(
                json!({"x": 1, "y": 2, "width": 3, "height": 4}),
                Kind::Rect2
            ),
            "Rect2(1.0, 2.0, 3.0, 4.0)"
        );
        assert_eq!(
            text(json!([[1, 0], [0, 1], [5, 6]]), Kind::Transform2D),
            "Transform2D(1.0, 0.0, 0.0, 1.0, 5.0, 6.0)"
        );
        assert_eq!(
            text(
                json!({"basis": [1,0,0, 0,1,0, 0,0,1], "origin": [1, 2, 3]}),
                Kind::Transform3D
            ),
            "Transform3D(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 3.0)"
        );
        assert_eq!(
            text(json!([0, 0, 0, 1]), Kind::Quaternion),
            "Quaternion(0.0, 0.0, 0.0, 1.0)"
        );
    }

    #[test]
    fn colors() {
        assert_eq!(
            plan(&json!("#ff0000"), Kind::Color, &Hint::None).unwrap(),
            Plan::ColorHtml("#ff0000".into())
        );
        assert_eq!(
            text(json!({"r": 1, "g": 0, "b": 0, "a": 1}), Kind::Color),
            "Color(1.0, 0.0, 0.0, 1.0)"
        );
        assert_eq!(
            text(json!([1, 0.5, 0]), Kind::Color),
            "Color(1.0, 0.5, 0.0, 1.0)"
        );
        assert_eq!(
            text(json!("Color(1, 0, 0, 1)"), Kind::Color),
            "Color(1, 0, 0, 1)"
        );
        assert!(plan(&json!(5), Kind::Color, &Hint::None).is_err());
    }

    #[test]
    fn strings_and_paths() {
        assert_eq!(
            plan(&json!("hi"), Kind::String, &Hint::None).unwrap(),
            Plan::Str("hi".into())
        );
        assert_eq!(
            plan(&json!("NodePath(\"A/B\")"), Kind::NodePath, &Hint::None).unwrap(),
            Plan::Str("A/B".into())
        );
        assert_eq!(
            plan(&json!("^\"A\""), Kind::NodePath, &Hint::None).unwrap(),
            Plan::Str("A".into())
        );
        assert_eq!(
            plan(&json!("&\"n\""), Kind::StringName, &Hint::None).unwrap(),
            Plan::Str("n".into())
        );
        assert!(plan(&json!(3), Kind::String, &Hint::None).is_err());
    }

    #[test]
    fn scalars() {
        assert_eq!(
            plan(&json!(3.0), Kind::Int, &Hint::None).unwrap(),
            Plan::Int(3)
        );
        assert!(plan(&json!(3.5), Kind::Int, &Hint::None).is_err());
        assert_eq!(
            plan(&json!(2), Kind::Float, &Hint::None).unwrap(),
            Plan::Float(2.0)
        );
        assert_eq!(
            plan(&json!("true"), Kind::Bool, &Hint::None).unwrap(),
            Plan::Bool(true)
        );
        assert!(plan(&json!("yes"), Kind::Bool, &Hint::None).is_err());
        assert!(plan(&json!("abc"), Kind::Float, &Hint::None).is_err());
    }

    #[test]
    fn enums_by_name_or_number() {
        let h = "Inherit,Pausable,When Paused,Always,Disabled";
        let e = Hint::Enum(h);
        assert_eq!(plan(&json!("Always"), Kind::Int, &e).unwrap(), Plan::Int(3));
        assert_eq!(
            plan(&json!("WHEN_PAUSED"), Kind::Int, &e).unwrap(),
            Plan::Int(2)
        );
        assert_eq!(
            plan(&json!("PROCESS_MODE_DISABLED"), Kind::Int, &e).unwrap(),
            Plan::Int(4)
        );
        assert_eq!(plan(&json!(1), Kind::Int, &e).unwrap(), Plan::Int(1));
        let err = plan(&json!("Sometimes"), Kind::Int, &e).unwrap_err();
        assert!(err.forms.contains("When Paused"), "{}", err.forms);
        assert_eq!(enum_value("Center", "Left:0,Center:1,Right:2"), Some(1));
        assert_eq!(enum_value("b", "A:5,B,C"), Some(6));
    }

    #[test]
    fn flags() {
        let f = Hint::Flags("Layer 1:1,Layer 2:2,Layer 3:4");
        assert_eq!(
            plan(&json!("Layer 1|Layer 3"), Kind::Int, &f).unwrap(),
            Plan::Int(5)
        );
        assert_eq!(
            plan(&json!(["Layer 2"]), Kind::Int, &f).unwrap(),
            Plan::Int(2)
        );
        assert_eq!(plan(&json!(7), Kind::Int, &f).unwrap(), Plan::Int(7));
    }

    #[test]
    fn packed_arrays() {
        assert_eq!(
            text(json!([1, 2]), Kind::PackedInt32Array),
            "PackedInt32Array(1, 2)"
        );
        assert_eq!(
            text(json!([[0, 0], {"x": 1, "y": 2}]), Kind::PackedVector2Array),
            "PackedVector2Array(0.0, 0.0, 1.0, 2.0)"
        );
        assert_eq!(
            text(json!(["a\"b"]), Kind::PackedStringArray),
            "PackedStringArray(\"a\\\"b\")"
        );
        assert!(plan(&json!(["x"]), Kind::PackedFloat32Array, &Hint::None).is_err());
    }

    #[test]
    fn resources_and_refusals() {
        assert_eq!(
            plan(
                &json!("res://icon.svg"),
                Kind::Object,
                &Hint::Resource("Texture2D")
            )
            .unwrap(),
            Plan::Resource("res://icon.svg".into())
        );
        assert_eq!(
            plan(&json!(null), Kind::Object, &Hint::None).unwrap(),
            Plan::Null
        );
        let Plan::NewResource { class, properties } = plan(
            &json!({"type": "CircleShape2D", "radius": 8}),
            Kind::Object,
            &Hint::Resource("Shape2D"),
        )
        .unwrap() else {
            panic!("expected a new resource");
        };
        assert_eq!(class, "CircleShape2D");
        assert_eq!(Value::Object(properties), json!({"radius": 8}));
        assert!(plan(&json!({"radius": 8}), Kind::Object, &Hint::None).is_err());
        let err = plan(
            &json!("icon.svg"),
            Kind::Object,
            &Hint::Resource("Texture2D"),
        )
        .unwrap_err();
        assert_eq!(err.expected, "Texture2D resource");
        // Constructor text must not smuggle in objects.
        assert!(
            plan(
                &json!("Vector2(Object(Node), 1)"),
                Kind::Vector2,
                &Hint::None
            )
            .is_err()
        );
    }

    #[test]
    fn long_values_are_truncated_in_errors() {
        let long = "x".repeat(500);
        let err = plan(&json!(long), Kind::Vector2, &Hint::None).unwrap_err();
        assert!(err.got.chars().count() < 90);
        assert!(err.forms.contains("Vector2(...)"));
    }
}
