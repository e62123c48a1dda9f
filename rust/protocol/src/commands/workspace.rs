//! What the editor shows: open scene tabs and the node selection.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// List the scenes open in editor tabs and the edited one.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetOpenScenes {}
command!(
    GetOpenScenes,
    "get_open_scenes",
    title = "Open scenes",
    toolset = Editor,
    read_only = true,
    output = OpenScenes
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenScenes {
    pub edited: Option<String>,
    pub scenes: Vec<String>,
}

/// Close a scene tab. Unsaved changes are lost unless `save` is true.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseScene {
    /// res:// path of an open scene; the edited scene by default.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Save before closing.
    #[serde(default)]
    pub save: bool,
}
command!(
    CloseScene,
    "close_scene",
    title = "Close scene",
    toolset = Editor,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = OpenScenes
);

/// The nodes selected in the editor's scene tree.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSelection {}
command!(
    GetSelection,
    "get_selection",
    title = "Selection",
    toolset = Editor,
    read_only = true,
    output = Selection
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub scene_path: String,
    pub nodes: Vec<String>,
}

/// Select nodes in the editor (replacing the selection), e.g. to show the user what changed.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectNodes {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Paths of the nodes; empty clears the selection.
    pub node_paths: Vec<String>,
}
command!(
    SelectNodes,
    "select_nodes",
    title = "Select nodes",
    toolset = Editor,
    read_only = true,
    output = Selection
);
