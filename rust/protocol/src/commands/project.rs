//! Project settings, input actions, autoloads and the main scene. Each change
//! is saved to project.godot and is one step in the editor's project history.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::command;

/// Read a project setting, e.g. `display/window/size/viewport_width`. All: resource godot://project/settings.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectSetting {
    /// Setting name as in project.godot, `section/key`.
    pub name: String,
}
command!(
    GetProjectSetting,
    "get_project_setting",
    title = "Project setting",
    toolset = Project,
    read_only = true,
    output = ProjectSetting
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSetting {
    pub name: String,
    pub value: Value,
    /// The value before a change; absent for reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Value>,
}

/// Set a project setting (converted to its declared type) and save project.godot. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetProjectSetting {
    /// Setting name, `section/key`.
    pub name: String,
    /// New value; null removes a custom setting.
    pub value: Value,
}
command!(
    SetProjectSetting,
    "set_project_setting",
    title = "Set project setting",
    toolset = Project,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = ProjectSetting
);

/// Point the project's main scene (run by Play and exports) at a scene file. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMainScene {
    /// res:// path of an existing .tscn.
    pub scene_path: String,
}
command!(
    SetMainScene,
    "set_main_scene",
    title = "Set main scene",
    toolset = Project,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = ProjectSetting
);

/// List the project's input actions with their events. Godot's built-in `ui_*` actions are left out unless asked for. Resource godot://input_map.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInputActions {
    /// Include the built-in `ui_*` actions.
    #[serde(default)]
    pub include_builtin: bool,
}
command!(
    ListInputActions,
    "list_input_actions",
    title = "Input actions",
    toolset = Project,
    read_only = true,
    output = InputActions
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputActions {
    pub actions: Vec<InputAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputAction {
    pub name: String,
    pub deadzone: f64,
    pub events: Vec<InputEventSpec>,
}

/// One input event: exactly one of `key`, `mouse_button`, `joypad_button`, `joypad_axis`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputEventSpec {
    /// Key by name, e.g. `A`, `Space`, `Left`, `Ctrl+S`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Mouse button number: 1 left, 2 right, 3 middle, 4/5 wheel up/down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mouse_button: Option<i64>,
    /// Joypad button number (0 = A/Cross).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joypad_button: Option<i64>,
    /// Joypad axis number (0/1 = left stick x/y).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joypad_axis: Option<i64>,
    /// Axis direction for `joypad_axis`: -1 or 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axis_value: Option<f64>,
}

/// Add an input action with its events (keys, mouse buttons, joypad buttons or axes) and save project.godot. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddInputAction {
    /// Action name, e.g. `jump`.
    pub name: String,
    /// Events that trigger it.
    pub events: Vec<InputEventSpec>,
    /// Analog deadzone, 0..1.
    #[serde(default = "default_deadzone")]
    pub deadzone: f64,
}
command!(
    AddInputAction,
    "add_input_action",
    title = "Add input action",
    toolset = Project,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = InputAction
);

fn default_deadzone() -> f64 {
    0.5
}

/// Remove an input action and save project.godot. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveInputAction {
    /// Action name.
    pub name: String,
}
command!(
    RemoveInputAction,
    "remove_input_action",
    title = "Remove input action",
    toolset = Project,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = InputAction
);

/// List the project's autoloads (scripts or scenes loaded at start-up, optionally as global singletons). Resource godot://autoloads.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAutoloads {}
command!(
    ListAutoloads,
    "list_autoloads",
    title = "Autoloads",
    toolset = Project,
    read_only = true,
    output = Autoloads
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Autoloads {
    pub autoloads: Vec<Autoload>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Autoload {
    pub name: String,
    pub path: String,
    /// Reachable by `name` from every script.
    pub singleton: bool,
}

/// Register a script or scene as an autoload and save project.godot. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAutoload {
    /// Autoload name, e.g. `Game`.
    pub name: String,
    /// res:// path of a .gd or .tscn.
    pub path: String,
    /// Make it a global singleton named `name` (the default).
    #[serde(default = "yes")]
    pub singleton: bool,
}
command!(
    AddAutoload,
    "add_autoload",
    title = "Add autoload",
    toolset = Project,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Autoload
);

fn yes() -> bool {
    true
}

/// Remove an autoload and save project.godot. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveAutoload {
    /// Autoload name.
    pub name: String,
}
command!(
    RemoveAutoload,
    "remove_autoload",
    title = "Remove autoload",
    toolset = Project,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = Autoload
);
