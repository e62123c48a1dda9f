//! The engine's class reference, from ClassDB, so an agent never needs the web
//! to know an API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::command;

/// Describe a Godot class: what it is for, inheritance chain, properties with types and defaults, method signatures, signals, constants and enums. Resource godot://class/{name}.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetClassInfo {
    /// Class name, e.g. `CharacterBody2D`.
    pub class: String,
    /// Also list members inherited from base classes.
    #[serde(default)]
    pub inherited: bool,
}
command!(
    GetClassInfo,
    "get_class_info",
    title = "Class reference",
    toolset = Docs,
    read_only = true,
    output = ClassInfo
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassInfo {
    pub class: String,
    /// What the class is for, from the editor's class reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Base classes, nearest first.
    pub inherits: Vec<String>,
    pub instantiable: bool,
    pub properties: Vec<ClassProperty>,
    /// Signatures, e.g. `move_and_slide() -> bool`.
    pub methods: Vec<String>,
    /// Signatures, e.g. `body_entered(body: Node2D)`.
    pub signals: Vec<String>,
    /// Constants not in an enum, name to value.
    pub constants: Map<String, Value>,
    /// Enum name to its constants.
    pub enums: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassProperty {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub default: Value,
}

/// Find Godot classes whose name contains `pattern` (case-insensitive), optionally only those inheriting `base`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchClasses {
    /// Part of a class name, e.g. `Shape2D` or `light`.
    pub pattern: String,
    /// Only classes that inherit this one, e.g. `Resource` or `Node`.
    #[serde(default)]
    pub base: Option<String>,
}
command!(
    SearchClasses,
    "search_classes",
    title = "Search classes",
    toolset = Docs,
    read_only = true,
    output = ClassMatches
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMatches {
    pub classes: Vec<String>,
}
