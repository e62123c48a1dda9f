//! Scene files: create, open, save, inspect.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{NodeInfo, command};
use crate::names::NodeName;

/// Create a new scene file with a root node of `root_type`, save it, and open it in the editor.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScene {
    /// res:// path of the new .tscn; missing folders are created.
    pub scene_path: String,
    /// Class of the root node, e.g. `Node2D`, `Node3D`, `Control`.
    pub root_type: String,
    /// Name of the root node; defaults to the file name in PascalCase.
    #[serde(default)]
    pub root_name: Option<NodeName>,
    /// Replace an existing file at `scene_path`.
    #[serde(default)]
    pub overwrite: bool,
}
command!(
    CreateScene,
    "create_scene",
    title = "Create scene",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = SceneCreated
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneCreated {
    pub scene_path: String,
    pub root_type: String,
    pub root_name: String,
}

/// Open a scene file in the editor and make it the edited scene.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenScene {
    /// res:// path of an existing .tscn/.scn file.
    pub scene_path: String,
}
command!(
    OpenScene,
    "open_scene",
    title = "Open scene",
    toolset = Core,
    read_only = true,
    output = SceneOpened
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneOpened {
    pub scene_path: String,
    pub root_type: String,
    pub root_name: String,
    pub node_count: usize,
}

/// Save the edited scene, or the open scene at `scene_path`. A `scene_path` that does not exist yet saves the edited scene under that new path.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveScene {
    /// res:// path of an open scene to save, or a new path to save the edited scene as.
    #[serde(default)]
    pub scene_path: Option<String>,
}
command!(
    SaveScene,
    "save_scene",
    title = "Save scene",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = SceneSaved
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneSaved {
    pub scene_path: String,
    /// Size of the saved file in bytes.
    pub bytes: u64,
}

/// List a scene's node tree: names, types, paths, scripts, instanced scenes and groups. Resources godot://scene/current, godot://scene/{path}/tree.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSceneTree {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Deepest level to list (root is 0); deeper children are only counted.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// Also list the properties Godot saves for each node, by the names edit_node takes.
    #[serde(default)]
    pub include_properties: bool,
}
command!(
    GetSceneTree,
    "get_scene_tree",
    title = "Scene tree",
    toolset = Core,
    read_only = true,
    output = SceneTree
);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SceneTree {
    pub scene_path: String,
    pub node_count: usize,
    pub root: TreeRoot,
}

/// A listed tree's root node with its descendants: built as [`NodeInfo`]s,
/// or already encoded by a walker that writes the same JSON as it goes (see
/// [`crate::listing`]). Both are the same on the wire; decoding always
/// gives nodes.
#[derive(Debug, Clone)]
pub enum TreeRoot {
    Nodes(NodeInfo),
    Encoded(Box<RawValue>),
}

impl From<NodeInfo> for TreeRoot {
    fn from(node: NodeInfo) -> Self {
        TreeRoot::Nodes(node)
    }
}

impl Serialize for TreeRoot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TreeRoot::Nodes(node) => node.serialize(s),
            TreeRoot::Encoded(json) => json.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for TreeRoot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        NodeInfo::deserialize(d).map(TreeRoot::Nodes)
    }
}
