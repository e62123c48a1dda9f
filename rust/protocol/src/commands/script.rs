//! GDScript files and attaching them to nodes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// Create or overwrite a GDScript file atomically; the editor reloads it and the answer says whether it parses (errors with lines).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteScript {
    /// res:// path ending in `.gd`. Missing folders are created.
    pub script_path: String,
    /// The full source text.
    pub content: String,
}
command!(
    WriteScript,
    "write_script",
    title = "Write script",
    toolset = Core,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = ScriptWritten
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptWritten {
    pub script_path: String,
    pub bytes: u64,
    /// False when an existing file was replaced.
    pub created: bool,
    /// True when Godot parses and compiles the script; absent when no editor
    /// checked it (offline mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<super::source::ScriptError>,
}

/// Attach an existing script file to a node. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachScript {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Node path; `.` is the root.
    pub node_path: String,
    /// res:// path of the script, e.g. `res://player.gd`.
    pub script_path: String,
}
command!(
    AttachScript,
    "attach_script",
    title = "Attach script",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = ScriptAttached
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptAttached {
    pub scene_path: String,
    pub node_path: String,
    pub script_path: String,
}
