//! Input schemas every MCP client accepts.
//!
//! Clients read JSON Schema very differently: Gemini-family backends reject
//! `type` arrays, Ajv-based clients warn on formats like `uint32`, Codex
//! turns `oneOf` and untyped schemas into strings and ignores bounds. So the
//! schemas schemars derives are rewritten into a small common subset:
//! single-string `type`, `properties`, `required`, `description`, `enum`,
//! `items`, `anyOf`, `minimum`/`maximum` and `default`. Unknown fields are
//! refused by the server itself, so `additionalProperties` is left out (it
//! costs tokens in every tool). [`violations`] is the check of that subset.

use serde_json::{Map, Value, json};

/// The keywords a portable schema may use.
const ALLOWED: &[&str] = &[
    "type",
    "properties",
    "required",
    "description",
    "enum",
    "items",
    "anyOf",
    "minimum",
    "maximum",
    "default",
];

/// The types a schema may name.
const TYPES: &[&str] = &["object", "string", "integer", "number", "boolean", "array"];

/// Rewrites a derived schema into the portable subset, in place.
pub fn make_portable(schema: &mut Value) {
    let Value::Object(map) = schema else {
        // `true` (anything) or `false`: spell it out.
        *schema = free_form();
        return;
    };
    map.remove("$schema");
    map.remove("title");
    map.remove("format");
    if let Some(c) = map.remove("const") {
        map.insert("enum".into(), json!([c]));
    }
    if map.get("default").is_some_and(Value::is_null) {
        map.remove("default");
    }
    // `Option<T>`: optional fields are simply not required.
    if let Some(Value::Array(types)) = map.get("type") {
        let real: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        match real.as_slice() {
            [one] => {
                map.insert("type".into(), one.clone());
            }
            _ => {
                map.remove("type");
                map.insert(
                    "anyOf".into(),
                    real.into_iter().map(|t| json!({ "type": t })).collect(),
                );
            }
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    // Unsigned integers: the implied lower bound of 0 says nothing useful.
    if map.get("minimum") == Some(&json!(0)) && map.get("type") == Some(&json!("integer")) {
        map.remove("minimum");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = map.remove(key) {
            merge_variants(map, variants);
        }
    }
    if let Some(all) = map.remove("allOf") {
        // Only ever a single wrapped schema in what schemars emits.
        if let Value::Array(mut parts) = all
            && parts.len() == 1
            && let Value::Object(inner) = parts.remove(0)
        {
            for (k, v) in inner {
                map.entry(k).or_insert(v);
            }
        }
    }
    map.remove("additionalProperties");
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for prop in props.values_mut() {
            make_portable(prop);
        }
    }
    if let Some(items) = map.get_mut("items") {
        make_portable(items);
    }
    if let Some(Value::Array(variants)) = map.get_mut("anyOf") {
        for v in variants.iter_mut() {
            make_portable(v);
        }
    }
    let typed = ["type", "anyOf", "enum", "properties"]
        .iter()
        .any(|k| map.contains_key(*k));
    if !typed {
        let description = map.remove("description");
        *map = match free_form() {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        if let Some(d) = description {
            map.insert("description".into(), d);
        }
    }
    if map.get("type") == Some(&json!("array")) && !map.contains_key("items") {
        map.insert("items".into(), free_form());
    }
    map.retain(|k, _| ALLOWED.contains(&k.as_str()));
}

/// Folds `oneOf`/`anyOf` variants into the schema: a choice of constants
/// becomes one `enum`, a nullable schema becomes the schema, anything else
/// stays an `anyOf`.
fn merge_variants(map: &mut Map<String, Value>, variants: Vec<Value>) {
    let variants: Vec<Value> = variants
        .into_iter()
        .filter(|v| v.get("type") != Some(&json!("null")))
        .collect();
    let constants: Option<Vec<Value>> = variants
        .iter()
        .map(|v| {
            v.get("const")
                .cloned()
                .map(|c| vec![c])
                .or_else(|| v.get("enum").and_then(Value::as_array).cloned())
        })
        .collect::<Option<Vec<_>>>()
        .map(|lists| lists.into_iter().flatten().collect());
    match (constants, variants.as_slice()) {
        (Some(values), _) if !values.is_empty() => {
            if values.iter().all(Value::is_string) {
                map.insert("type".into(), json!("string"));
            }
            map.insert("enum".into(), Value::Array(values));
        }
        (_, [one]) => {
            if let Value::Object(inner) = one {
                for (k, v) in inner {
                    map.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        _ => {
            map.insert("anyOf".into(), Value::Array(variants));
        }
    }
}

/// Any JSON value but null, spelled so that every client offers all forms.
pub fn free_form() -> Value {
    let scalar = || {
        vec![
            json!({"type": "string"}),
            json!({"type": "number"}),
            json!({"type": "boolean"}),
        ]
    };
    let mut item = scalar();
    item.push(json!({"type": "array", "items": {"type": "number"}}));
    item.push(json!({"type": "object"}));
    let mut any = scalar();
    any.push(json!({"type": "array", "items": {"anyOf": item}}));
    any.push(json!({"type": "object"}));
    json!({ "anyOf": any })
}

/// What keeps a schema from being portable, one line per problem, each
/// naming where it is (`$` is the root).
pub fn violations(schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if schema.get("type") != Some(&json!("object")) {
        found.push("$: the root is not an object".into());
    }
    walk(schema, "$", &mut found);
    found
}

fn walk(schema: &Value, at: &str, found: &mut Vec<String>) {
    let Value::Object(map) = schema else {
        found.push(format!("{at}: boolean schema"));
        return;
    };
    for key in map.keys() {
        if !ALLOWED.contains(&key.as_str()) {
            found.push(format!("{at}: keyword {key}"));
        }
    }
    match map.get("type") {
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        Some(other) => found.push(format!("{at}: type {other}")),
        None if map.contains_key("anyOf") || map.contains_key("enum") => {}
        None => found.push(format!("{at}: untyped")),
    }
    if map.get("type") == Some(&json!("array")) && !map.contains_key("items") {
        found.push(format!("{at}: array without items"));
    }
    if let Some(Value::Array(values)) = map.get("enum")
        && values.iter().any(Value::is_null)
    {
        found.push(format!("{at}: null in enum"));
    }
    let description = map
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    for bound in ["minimum", "maximum"] {
        if let Some(n) = map.get(bound)
            && !description.contains(&n.to_string())
        {
            found.push(format!("{at}: {bound} {n} not stated in the description"));
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, prop) in props {
            walk(prop, &format!("{at}.{name}"), found);
        }
    }
    if let Some(Value::Array(required)) = map.get("required") {
        let props = map.get("properties").and_then(Value::as_object);
        for name in required {
            if !props.is_some_and(|p| name.as_str().is_some_and(|n| p.contains_key(n))) {
                found.push(format!("{at}: required {name} is not a property"));
            }
        }
    }
    if let Some(items) = map.get("items") {
        walk(items, &format!("{at}[]"), found);
    }
    if let Some(variants) = map.get("anyOf") {
        match variants {
            Value::Array(vs) if !vs.is_empty() => {
                for (i, v) in vs.iter().enumerate() {
                    walk(v, &format!("{at}|{i}"), found);
                }
            }
            _ => found.push(format!("{at}: empty anyOf")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_formats_and_refs_become_portable() {
        let mut schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "X",
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"], "description": "A."},
                "n": {"type": ["integer", "null"], "format": "uint32", "minimum": 0, "description": "N."},
                "level": {"anyOf": [{"type": "string", "enum": ["info", "error"]}, {"type": "null"}], "description": "L."},
                "target": {"oneOf": [{"const": "editor", "description": "E."}, {"const": "game"}]},
                "value": {"description": "Anything."},
                "props": {"type": "object", "additionalProperties": true, "description": "P."},
                "list": {"type": "array", "items": true, "description": "L."}
            },
            "additionalProperties": false
        });
        make_portable(&mut schema);
        assert_eq!(violations(&schema), Vec::<String>::new(), "{schema:#}");
        let p = &schema["properties"];
        assert_eq!(p["a"], json!({"type": "string", "description": "A."}));
        assert_eq!(p["n"], json!({"type": "integer", "description": "N."}));
        assert_eq!(
            p["level"],
            json!({"type": "string", "enum": ["info", "error"], "description": "L."})
        );
        assert_eq!(
            p["target"],
            json!({"type": "string", "enum": ["editor", "game"]})
        );
        assert_eq!(p["value"]["description"], "Anything.");
        assert!(p["value"]["anyOf"].is_array());
        assert_eq!(p["props"], json!({"type": "object", "description": "P."}));
        assert!(p["list"]["items"]["anyOf"].is_array());
        assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
    }

    #[test]
    fn the_check_names_each_problem() {
        let bad = json!({
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"oneOf": [{"type": "string"}]},
                "c": true,
                "d": {"type": "integer", "format": "int64", "maximum": 9},
                "e": {"$ref": "#/$defs/E"},
                "f": {"description": "untyped"}
            }
        });
        let found = violations(&bad).join("\n");
        for problem in [
            "$.a: type",
            "$.b: keyword oneOf",
            "$.c: boolean schema",
            "$.d: keyword format",
            "$.d: maximum 9 not stated",
            "$.e: keyword $ref",
            "$.f: untyped",
        ] {
            assert!(found.contains(problem), "{problem} missing from:\n{found}");
        }
        assert_eq!(violations(&json!({"type": "string"})).len(), 1);
    }
}
