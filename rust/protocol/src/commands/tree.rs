//! Reading and rearranging the nodes of a scene beyond adding, editing and
//! removing them. Each mutating call is one undoable editor action.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{command, root_path};
use crate::names::NodeName;

/// Read a node's properties: by default the ones Godot saves for it (`changed`) plus a few key ones for its class; `all` lists every editor-visible property with its default. Resource godot://node/{path}.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetNodeProperties {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Node path; `.` is the root.
    pub node_path: String,
    /// Only these properties (any the node has, shown or not).
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// Every editor-visible property, each with its default.
    #[serde(default)]
    pub all: bool,
}
command!(
    GetNodeProperties,
    "get_node_properties",
    title = "Node properties",
    toolset = Nodes,
    read_only = true,
    output = NodeProperties
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeProperties {
    pub scene_path: String,
    pub node_path: String,
    #[serde(rename = "type")]
    pub class: String,
    pub properties: Vec<PropertyValue>,
    /// Editor-visible properties left out of the default listing.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted: usize,
    /// How to get what was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyValue {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Value,
    /// True when Godot saves this property with the scene (it differs from
    /// the class's, the script's or the instanced scene's default).
    pub changed: bool,
    /// The default value, listed with `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// Duplicate a node and its children next to it (or under `parent`). One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateNode {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node to copy.
    pub node_path: String,
    /// Name of the copy; Godot picks a free one (e.g. `Enemy2`) when omitted.
    #[serde(default)]
    pub name: Option<NodeName>,
    /// Parent of the copy; the original's parent when omitted.
    #[serde(default)]
    pub parent: Option<String>,
}
command!(
    DuplicateNode,
    "duplicate_node",
    title = "Duplicate node",
    toolset = Nodes,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = NodePlaced
);

/// Rename a node. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameNode {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node.
    pub node_path: String,
    /// New name; must be unique under the parent.
    pub new_name: NodeName,
}
command!(
    RenameNode,
    "rename_node",
    title = "Rename node",
    toolset = Nodes,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = NodePlaced
);

/// Move a node under a new parent and/or to a child index. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveNode {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node to move.
    pub node_path: String,
    /// Path of the new parent (may be the current one, to reorder).
    pub new_parent: String,
    /// Position among the new parent's children; last when omitted.
    #[serde(default)]
    pub index: Option<i32>,
    /// Keep the node's global position, rotation and scale (2D/3D nodes).
    #[serde(default)]
    pub keep_global_transform: bool,
}
command!(
    MoveNode,
    "move_node",
    title = "Move node",
    toolset = Nodes,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = NodePlaced
);

/// Where a node is after a duplicate, rename or move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodePlaced {
    pub scene_path: String,
    pub node_path: String,
    /// Position among its siblings.
    pub index: i32,
}

/// Find nodes in a scene by name pattern (`*` and `?` wildcards), class (subclasses included) and/or group.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindNodes {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Name pattern, e.g. `Enemy*`; case-sensitive; at most 256 characters.
    #[serde(default)]
    pub name_pattern: Option<String>,
    /// Class name, e.g. `CollisionShape2D` or `Node2D`.
    #[serde(default, rename = "type")]
    pub class: Option<String>,
    /// Group name.
    #[serde(default)]
    pub group: Option<String>,
}
/// Longest `name_pattern`: node names are short, and matching a long
/// pattern against every node of a big scene costs seconds.
pub const MAX_PATTERN_CHARS: usize = 256;

command!(
    FindNodes,
    "find_nodes",
    title = "Find nodes",
    toolset = Nodes,
    read_only = true,
    output = FoundNodes
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundNodes {
    pub scene_path: String,
    pub nodes: Vec<FoundNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundNode {
    pub path: String,
    #[serde(rename = "type")]
    pub class: String,
}

/// Add an instance of a scene file (e.g. a player or enemy .tscn) under `parent`. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstantiateScene {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// res:// path of the .tscn to instance.
    pub scene_file: String,
    /// Path of the parent node; the root by default.
    #[serde(default = "root_path")]
    pub parent: String,
    /// Name of the instance; the instanced scene's root name by default.
    #[serde(default)]
    pub name: Option<NodeName>,
}
command!(
    InstantiateScene,
    "instantiate_scene",
    title = "Instance scene",
    toolset = Nodes,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = NodePlaced
);

/// Add a node to a group (saved with the scene). One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToGroup {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node.
    pub node_path: String,
    /// Group name.
    pub group: String,
}
command!(
    AddToGroup,
    "add_to_group",
    title = "Add to group",
    toolset = Nodes,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = NodeGroups
);

/// Remove a node from a group. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveFromGroup {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node.
    pub node_path: String,
    /// Group name.
    pub group: String,
}
command!(
    RemoveFromGroup,
    "remove_from_group",
    title = "Remove from group",
    toolset = Nodes,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = NodeGroups
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeGroups {
    pub scene_path: String,
    pub node_path: String,
    /// The node's groups after the change.
    pub groups: Vec<String>,
}
