//! Editing a client's configuration in place: our one entry is added or
//! brought up to date and every other byte (other servers, settings,
//! comments, formatting) stays. JSON files are edited through a concrete
//! syntax tree that keeps comments (Zed and VS Code write JSONC), TOML
//! through `toml_edit`.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

/// Sets the keys of `entry` on `<servers>.<name>` in a JSON(C) document.
/// Returns the new text, or `None` when the entry already says all that.
pub fn json(
    text: &str,
    servers: &str,
    name: &str,
    entry: &[(&str, Value)],
) -> Result<Option<String>, String> {
    let source = if text.trim().is_empty() { "{}\n" } else { text };
    let root = CstRootNode::parse(source, &ParseOptions::default())
        .map_err(|e| format!("not valid JSON: {e}"))?;
    let top = match root.value() {
        None => root.object_value_or_set(),
        Some(v) => v
            .as_object()
            .ok_or("the file's top level is not an object")?,
    };
    let table = child_object(&top, servers)?;
    let mut changed = false;
    match table.get(name) {
        None => {
            let fields = entry.iter().map(|(k, v)| ((*k).to_owned(), input(v)));
            table.append(name, CstInputValue::Object(fields.collect()));
            changed = true;
        }
        Some(prop) => {
            let ours = prop
                .value()
                .and_then(|v| v.as_object())
                .ok_or_else(|| format!("{servers}.{name} is not an object"))?;
            for (key, value) in entry {
                match ours.get(key) {
                    Some(p)
                        if p.value().and_then(|v| v.to_serde_value()).as_ref() == Some(value) => {}
                    Some(p) => {
                        p.set_value(input(value));
                        changed = true;
                    }
                    None => {
                        ours.append(key, input(value));
                        changed = true;
                    }
                }
            }
        }
    }
    Ok(changed.then(|| {
        let mut text = root.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }))
}

/// The object under `key`, created when absent.
fn child_object(parent: &CstObject, key: &str) -> Result<CstObject, String> {
    match parent.get(key) {
        None => Ok(parent.object_value_or_set(key)),
        Some(prop) => prop
            .value()
            .and_then(|v| v.as_object())
            .ok_or_else(|| format!("{key} is not an object")),
    }
}

fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

/// The entry `<servers>.<name>` of a JSON(C) document, if any.
pub fn json_entry(text: &str, servers: &str, name: &str) -> Option<Value> {
    let value: Value = jsonc_parser::parse_to_serde_value(text, &ParseOptions::default()).ok()?;
    value.get(servers)?.get(name).cloned()
}

/// Sets the keys of `entry` on the table `[<servers>.<name>]` of a TOML
/// document; `None` when it already says all that.
pub fn toml(
    text: &str,
    servers: &str,
    name: &str,
    entry: &[(&str, Value)],
) -> Result<Option<String>, String> {
    use toml_edit::{DocumentMut, Item, Table};
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let table = doc
        .entry(servers)
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_like_mut()
        .ok_or_else(|| format!("{servers} is not a table"))?;
    let ours = table
        .entry(name)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| format!("{servers}.{name} is not a table"))?;
    let mut changed = false;
    for (key, value) in entry {
        let new = toml_value(value)?;
        let same = ours
            .get(key)
            .and_then(Item::as_value)
            .is_some_and(|old| same_toml(old, &new));
        if !same {
            ours.insert(key, Item::Value(new));
            changed = true;
        }
    }
    Ok(changed.then(|| doc.to_string()))
}

fn toml_value(value: &Value) -> Result<toml_edit::Value, String> {
    Ok(match value {
        Value::String(s) => s.as_str().into(),
        Value::Bool(b) => (*b).into(),
        Value::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push(toml_value(item)?);
            }
            toml_edit::Value::Array(array)
        }
        other => return Err(format!("no TOML form for {other}")),
    })
}

/// Equal values, whatever their formatting.
fn same_toml(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    let plain = |v: &toml_edit::Value| {
        let mut v = v.clone();
        v.decor_mut().clear();
        if let toml_edit::Value::Array(a) = &mut v {
            a.fmt();
        }
        v.to_string()
    };
    plain(a) == plain(b)
}

/// The table `[<servers>.<name>]` of a TOML document, if any.
pub fn toml_entry(text: &str, servers: &str, name: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get(servers)?.get(name).map(ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_keeps_comments_other_servers_and_their_settings() {
        let text = "{\n  // my theme\n  \"theme\": \"dark\",\n  \"context_servers\": {\n    \"other\": { \"command\": \"x\" } // keep\n  }\n}\n";
        let entry = [("command", json!("/bin/godot-mcp")), ("args", json!([]))];
        let new = json(text, "context_servers", "godot", &entry)
            .unwrap()
            .unwrap();
        assert!(
            new.contains("// my theme") && new.contains("// keep"),
            "{new}"
        );
        let value: Value = jsonc_parser::parse_to_serde_value(&new, &Default::default()).unwrap();
        assert_eq!(value["theme"], "dark");
        assert_eq!(value["context_servers"]["other"]["command"], "x");
        assert_eq!(
            value["context_servers"]["godot"],
            json!({"command": "/bin/godot-mcp", "args": []})
        );
        assert_eq!(
            json(&new, "context_servers", "godot", &entry).unwrap(),
            None
        );
    }

    #[test]
    fn json_updates_our_keys_and_keeps_the_users() {
        let text = r#"{"mcpServers": {"godot": {"command": "/old", "alwaysLoad": true}}}"#;
        let entry = [
            ("command", json!("/new")),
            ("args", json!(["--toolsets", "all"])),
        ];
        let new = json(text, "mcpServers", "godot", &entry).unwrap().unwrap();
        let value: Value = serde_json::from_str(&new).unwrap();
        assert_eq!(value["mcpServers"]["godot"]["command"], "/new");
        assert_eq!(value["mcpServers"]["godot"]["alwaysLoad"], true);
        assert_eq!(value["mcpServers"]["godot"]["args"][1], "all");
    }

    #[test]
    fn json_refuses_what_it_cannot_edit_safely() {
        let entry = [("command", json!("/x"))];
        assert!(json("[1, 2]", "mcpServers", "godot", &entry).is_err());
        assert!(json("{\"mcpServers\": 3}", "mcpServers", "godot", &entry).is_err());
        assert!(json("{\"mcpServers\": {", "mcpServers", "godot", &entry).is_err());
        let empty = json("", "mcpServers", "godot", &entry).unwrap().unwrap();
        let value: Value = serde_json::from_str(&empty).unwrap();
        assert_eq!(value["mcpServers"]["godot"], json!({"command": "/x"}));
    }

    #[test]
    fn toml_keeps_comments_and_other_tables() {
        let text = "# mine\nmodel = \"o3\"\n\n[mcp_servers.other]\ncommand = \"x\" # keep\n";
        let entry = [
            ("command", json!("/bin/godot-mcp")),
            ("args", json!(["--toolsets", "nodes"])),
            ("env_vars", json!(["XDG_RUNTIME_DIR"])),
        ];
        let new = toml(text, "mcp_servers", "godot", &entry).unwrap().unwrap();
        assert!(
            new.starts_with("# mine\nmodel = \"o3\"") && new.contains("# keep"),
            "{new}"
        );
        assert!(new.contains("[mcp_servers.godot]"), "{new}");
        assert!(new.contains("env_vars = [\"XDG_RUNTIME_DIR\"]"), "{new}");
        assert_eq!(toml(&new, "mcp_servers", "godot", &entry).unwrap(), None);
        assert!(toml_entry(&new, "mcp_servers", "godot").is_some());
    }
}
