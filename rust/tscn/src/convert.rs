//! JSON property values to file text and back, offline.
//!
//! Takes exactly the JSON forms the live editor takes: the protocol's
//! [`plan`] decides by the property's Variant kind, and this module turns
//! each plan into the [`Value`] Godot would write, where the editor would
//! build a Variant instead. Results are reported the way the live editor
//! reports them: scalars as JSON, math types in Godot's text syntax.

use godot_mcp_protocol::value::{Hint, Kind, Plan, ValueError, plan};
use serde_json::Value as Json;

use crate::{ClassDb, Value, from_html};

/// A value ready for the file, or a resource file to reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    Value(Value),
    /// A `res://` (or `uid://`) path to reference through an ext_resource.
    Resource(String),
    /// A new resource to embed as a sub_resource: its class and its
    /// properties, still JSON because their kinds depend on the class.
    NewResource {
        class: String,
        properties: serde_json::Map<String, Json>,
    },
}

/// Converts `json` for a property of `kind`.
pub fn from_json(json: &Json, kind: Kind, hint: &Hint<'_>) -> Result<Converted, ValueError> {
    let fail = |got: &str| ValueError {
        expected: kind.name().to_owned(),
        got: got.to_owned(),
        forms: godot_mcp_protocol::value::forms(kind),
    };
    Ok(Converted::Value(match plan(json, kind, hint)? {
        Plan::Null => Value::Nil,
        Plan::Bool(b) => Value::Bool(b),
        Plan::Int(i) => Value::Int(i),
        Plan::Float(f) => Value::Float(f),
        Plan::Str(s) => match kind {
            Kind::StringName => Value::StringName(s),
            Kind::NodePath => Value::NodePath(s),
            _ => Value::String(s),
        },
        Plan::Text(text) => {
            let value = Value::parse(&text).map_err(|_| fail(&text))?;
            integral_args(value, kind)
        }
        Plan::ColorHtml(s) => {
            let rgba = from_html(&s)
                .or_else(|| ClassDb::get().color(&s))
                .ok_or_else(|| fail(&s))?;
            Value::Call(
                "Color".into(),
                rgba.iter().map(|c| Value::Float(f64::from(*c))).collect(),
            )
        }
        Plan::Resource(path) => return Ok(Converted::Resource(path)),
        Plan::NewResource { class, properties } => {
            return Ok(Converted::NewResource { class, properties });
        }
        Plan::Json(j) => structural(&j),
    }))
}

/// Integer types get integer arguments (`Vector2i(1, 2)`, not `1.0, 2.0`).
fn integral_args(value: Value, kind: Kind) -> Value {
    let integral = matches!(
        kind,
        Kind::Vector2i
            | Kind::Vector3i
            | Kind::Vector4i
            | Kind::Rect2i
            | Kind::PackedByteArray
            | Kind::PackedInt32Array
            | Kind::PackedInt64Array
    );
    match value {
        Value::Call(name, args) if integral => Value::Call(
            name,
            args.into_iter()
                .map(|a| match a {
                    Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// An untyped, Array or Dictionary value from plain JSON. Strings in
/// constructor syntax become those values, but never objects or resources.
fn structural(json: &Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or_default())),
        Json::String(s) => constructor(s).unwrap_or_else(|| Value::String(s.clone())),
        Json::Array(items) => Value::Array(items.iter().map(structural).collect()),
        Json::Object(map) => Value::Dictionary(
            map.iter()
                .map(|(k, v)| (Value::String(k.clone()), structural(v)))
                .collect(),
        ),
    }
}

fn constructor(s: &str) -> Option<Value> {
    let value = Value::parse(s).ok()?;
    let mut safe = matches!(value, Value::Call(..));
    value.walk(&mut |v| {
        if let Value::Call(name, _) | Value::Object(name, _) = v
            && matches!(
                name.as_str(),
                "Object" | "Resource" | "ExtResource" | "SubResource"
            )
        {
            safe = false;
        }
    });
    safe.then_some(value)
}

/// A value from the file as the live editor would report it.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| Json::String(value.to_string()), Json::Number),
        Value::String(s) | Value::StringName(s) | Value::NodePath(s) => Json::String(s.clone()),
        Value::Array(items) | Value::TypedArray(_, items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
        Value::Dictionary(entries) | Value::TypedDictionary(_, entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().map_or_else(|| k.to_string(), str::to_owned),
                        to_json(v),
                    )
                })
                .collect(),
        ),
        other => Json::String(other.to_string()),
    }
}

/// A value from `scene`'s file as the live editor reports it, resources
/// included: a file reference as its path, an embedded resource as the
/// form that creates it anew (`{"type": ..., saved properties}`).
pub fn to_live_json(value: &Value, scene: &crate::Scene) -> Json {
    to_live_json_at(value, scene, 0)
}

fn to_live_json_at(value: &Value, scene: &crate::Scene, depth: usize) -> Json {
    let id = |args: &[Value]| match args {
        [Value::String(id)] => Some(id.clone()),
        _ => None,
    };
    match value {
        Value::Call(name, args) if name == "ExtResource" => id(args)
            .and_then(|id| scene.ext_path(&id).map(str::to_owned))
            .map_or_else(|| to_json(value), Json::String),
        Value::Call(name, args) if name == "SubResource" && depth < 16 => {
            let section = id(args).and_then(|id| {
                scene.document().sections().iter().find(|s| {
                    s.tag() == "sub_resource" && s.header().str("id") == Some(id.as_str())
                })
            });
            let Some(section) = section else {
                return to_json(value);
            };
            let mut map: serde_json::Map<String, Json> = section
                .entries()
                .iter()
                .filter(|e| e.key() != "script")
                .map(|e| {
                    (
                        e.key().to_owned(),
                        to_live_json_at(e.value(), scene, depth + 1),
                    )
                })
                .collect();
            if let Some(class) = section.header().str("type") {
                map.insert("type".into(), Json::String(class.to_owned()));
            }
            Json::Object(map)
        }
        Value::Array(items) | Value::TypedArray(_, items) => Json::Array(
            items
                .iter()
                .map(|v| to_live_json_at(v, scene, depth))
                .collect(),
        ),
        other => to_json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(json: Json, kind: Kind) -> String {
        match from_json(&json, kind, &Hint::None).unwrap() {
            Converted::Value(v) => v.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_live_forms_become_godot_text() {
        assert_eq!(text(json!([10, 20]), Kind::Vector2), "Vector2(10, 20)");
        assert_eq!(
            text(json!({"x": 1.5, "y": 2}), Kind::Vector2),
            "Vector2(1.5, 2)"
        );
        assert_eq!(text(json!([1, 2, 3]), Kind::Vector3i), "Vector3i(1, 2, 3)");
        assert_eq!(text(json!("#ff0000"), Kind::Color), "Color(1, 0, 0, 1)");
        assert_eq!(text(json!("red"), Kind::Color), "Color(1, 0, 0, 1)");
        assert_eq!(
            text(json!([0.2, 0.6, 1]), Kind::Color),
            "Color(0.2, 0.6, 1, 1)"
        );
        assert_eq!(text(json!(2), Kind::Float), "2.0");
        assert_eq!(text(json!("hi\n\"x\""), Kind::String), "\"hi\n\\\"x\\\"\"");
        assert_eq!(text(json!("A/B"), Kind::NodePath), "NodePath(\"A/B\")");
        assert_eq!(
            text(json!([1, "Vector2(1, 2)", {"k": null}]), Kind::Array),
            "[1, Vector2(1, 2), {\n\"k\": null\n}]"
        );
        assert_eq!(
            text(json!("ExtResource(\"1\")"), Kind::Nil),
            "\"ExtResource(\\\"1\\\")\""
        );
        assert_eq!(
            from_json(
                &json!("res://a.png"),
                Kind::Object,
                &Hint::Resource("Texture2D")
            )
            .unwrap(),
            Converted::Resource("res://a.png".into())
        );
        assert!(from_json(&json!("nope"), Kind::Vector2, &Hint::None).is_err());
        assert!(from_json(&json!("not-a-colour"), Kind::Color, &Hint::None).is_err());
    }

    #[test]
    fn file_values_report_like_the_editor() {
        let v = Value::parse("Vector2(1, 2)").unwrap();
        assert_eq!(to_json(&v), json!("Vector2(1, 2)"));
        assert_eq!(to_json(&Value::Float(2.5)), json!(2.5));
        assert_eq!(
            to_json(&Value::parse("[1, &\"a\"]").unwrap()),
            json!([1, "a"])
        );
    }

    #[test]
    fn resources_read_back_as_the_live_editor_reports_them() {
        let scene = crate::Scene::parse(
            "[gd_scene load_steps=3 format=3]\n\n\
             [ext_resource type=\"Texture2D\" path=\"res://icon.svg\" id=\"1_icon\"]\n\n\
             [sub_resource type=\"CircleShape2D\" id=\"C_1\"]\nradius = 6.0\n\n\
             [node name=\"A\" type=\"Node2D\"]\n",
        )
        .unwrap();
        let ext = Value::parse("ExtResource(\"1_icon\")").unwrap();
        assert_eq!(to_live_json(&ext, &scene), json!("res://icon.svg"));
        let sub = Value::parse("SubResource(\"C_1\")").unwrap();
        assert_eq!(
            to_live_json(&sub, &scene),
            json!({"type": "CircleShape2D", "radius": 6.0})
        );
        let list = Value::parse("[SubResource(\"C_1\"), 2]").unwrap();
        assert_eq!(
            to_live_json(&list, &scene),
            json!([{"type": "CircleShape2D", "radius": 6.0}, 2])
        );
        // An unknown id stays as written.
        let missing = Value::parse("ExtResource(\"9_x\")").unwrap();
        assert_eq!(
            to_live_json(&missing, &scene),
            json!("ExtResource(\"9_x\")")
        );
    }
}
