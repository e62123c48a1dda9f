//! Nodes in the edited scene. Each call is one undoable editor action.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Properties, PropertyChanges, command, root_path};
use crate::names::NodeName;

/// Add a node of class `type` under `parent`, optionally setting properties. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNode {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Parent node path; default `.`, the root.
    #[serde(default = "root_path")]
    pub parent: String,
    /// Node class, e.g. `Sprite2D`, `CharacterBody2D`, `Label`.
    #[serde(rename = "type")]
    pub class: String,
    /// Name of the new node; must be unique under the parent.
    pub name: NodeName,
    /// Properties to set, name to value.
    #[serde(default)]
    pub properties: Properties,
}
command!(
    AddNode,
    "add_node",
    title = "Add node",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = NodeAdded
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeAdded {
    pub scene_path: String,
    pub node_path: String,
    #[serde(rename = "type")]
    pub class: String,
    /// The properties that were set, read back from the node.
    pub properties: Properties,
}

/// Set properties on a node, each converted to the property's type; if one does not fit, nothing changes. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditNode {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Node path; `.` is the root.
    pub node_path: String,
    /// Properties to set, name to value.
    pub properties: PropertyChanges,
}
command!(
    EditNode,
    "edit_node",
    title = "Edit node",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = NodeEdited
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeEdited {
    pub scene_path: String,
    pub node_path: String,
    /// New values, read back from the node.
    pub properties: Properties,
    /// Values before the edit.
    pub previous: Properties,
}

/// Remove a node and its children from a scene. The root cannot be removed. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveNode {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node from the scene root.
    pub node_path: String,
}
command!(
    RemoveNode,
    "remove_node",
    title = "Remove node",
    toolset = Core,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = NodeRemoved
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRemoved {
    pub scene_path: String,
    pub node_path: String,
    /// Nodes removed, counting descendants.
    pub removed: usize,
}
