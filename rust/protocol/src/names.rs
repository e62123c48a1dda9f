//! Rules for node names, shared by the live editor and offline edits.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use crate::{ErrorBody, ErrorCode};

/// A node name checked when parameters are parsed (see [`valid_node_name`]),
/// so handlers receive only valid, trimmed names. On the wire and in the
/// schema it is a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeName(String);

impl TryFrom<String> for NodeName {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        valid_node_name(&name)
            .map(NodeName)
            .map_err(|e| format!("{} ({})", e.message, e.hint.as_deref().unwrap_or_default()))
    }
}

impl From<NodeName> for String {
    fn from(name: NodeName) -> String {
        name.0
    }
}

impl std::ops::Deref for NodeName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for NodeName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "NodeName".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        String::json_schema(generator)
    }
}

/// Checks a node name: not empty, none of the characters Godot reserves in
/// paths. Returns it trimmed.
pub fn valid_node_name(name: &str) -> Result<String, ErrorBody> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.contains(['.', ':', '@', '/', '"', '%']) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("invalid node name {name:?}"),
        )
        .with_hint("node names may not be empty or contain . : @ / \" %"));
    }
    Ok(trimmed.to_owned())
}

/// A root node name from a file stem: `my_level-2` becomes `MyLevel2`.
pub fn pascal_case(stem: &str) -> String {
    let name: String = stem
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|f| f.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    if name.is_empty() { "Root".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal_case("my_level-2"), "MyLevel2");
        assert_eq!(pascal_case("__"), "Root");
        assert_eq!(valid_node_name(" Hero ").unwrap(), "Hero");
        assert!(valid_node_name("a/b").is_err());
        assert!(valid_node_name("").is_err());
    }

    #[test]
    fn node_names_are_checked_when_parsed() {
        let name: NodeName = serde_json::from_str("\" Hero \"").unwrap();
        assert_eq!(&*name, "Hero");
        let e = serde_json::from_str::<NodeName>("\"a/b\"").unwrap_err();
        assert!(e.to_string().contains("invalid node name"), "{e}");
        assert_eq!(
            schemars::schema_for!(NodeName).get("type"),
            schemars::schema_for!(String).get("type")
        );
    }
}
