//! Play-testing the running game: inspect and change it, inject input, and
//! advance it frame by frame. These commands reach the game through the
//! editor's debugger channel; each answer names the run it addressed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Properties, command};

/// A game answer, with the run it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Played<T> {
    pub run_id: u64,
    #[serde(flatten)]
    pub result: T,
}

/// List the running game's nodes below the current scene (or `node_path`), with key values per class.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameTree {
    /// Start here instead of the current scene's root (path relative to it).
    #[serde(default)]
    pub node_path: Option<String>,
    /// Levels below the start to list (default 8).
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// Only nodes of this class or a subclass.
    #[serde(default, rename = "type")]
    pub class: Option<String>,
    /// Only nodes in this group.
    #[serde(default)]
    pub group: Option<String>,
    /// Only nodes whose name matches this pattern (`*` and `?` wildcards).
    #[serde(default)]
    pub name_pattern: Option<String>,
}
command!(
    GameTree,
    "game_tree",
    title = "Game tree",
    toolset = Play,
    read_only = true,
    output = Played<GameNodes>
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GameNodes {
    /// The current scene's file.
    pub scene: String,
    pub nodes: Vec<GameNode>,
    /// Matching nodes left out because of the cap.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GameNode {
    pub name: String,
    /// Path from the current scene's root; the root is `.`.
    pub path: String,
    pub class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// A few values that matter for the class (position, text, visible...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub values: Properties,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Read a running node's properties (default: its script's and editor-visible ones), in edit_node's value forms.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameGet {
    /// Path from the current scene's root; `.` is the root.
    pub node_path: String,
    /// Only these, sub-properties allowed (`position:x`).
    #[serde(default)]
    pub properties: Option<Vec<String>>,
}
command!(
    GameGet,
    "game_get",
    title = "Read game node",
    toolset = Play,
    read_only = true,
    output = Played<GameValues>
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GameValues {
    pub node_path: String,
    pub class: String,
    pub properties: Properties,
    /// Before the change (game_set only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Properties>,
}

/// Set properties of a running node (edit_node's value forms); changes the running game only.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameSet {
    /// Path from the current scene's root; `.` is the root.
    pub node_path: String,
    /// Property (or sub-property such as `position:x`) to value.
    pub properties: Properties,
}
command!(
    GameSet,
    "game_set",
    title = "Set game values",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = Played<GameValues>
);

/// Call a method on a running node and return its value.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameCall {
    /// Path from the current scene's root; `.` is the root.
    pub node_path: String,
    /// Method name, e.g. `jump` or `set_position`.
    pub method: String,
    /// Arguments, converted to the method's declared types when it declares them.
    #[serde(default)]
    pub args: Vec<Value>,
}
command!(
    GameCall,
    "game_call",
    title = "Call game method",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Played<GameValue>
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameValue {
    pub value: Value,
}

/// Evaluate a Godot Expression in the running game, with a node (default: the current scene's root) as `self`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameEval {
    /// E.g. `position.x + 1` or `get_node("Player").velocity`.
    pub expression: String,
    /// Base instance; path from the current scene's root.
    #[serde(default)]
    pub node_path: Option<String>,
}
command!(
    GameEval,
    "game_eval",
    title = "Evaluate in game",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Played<GameValue>
);

/// Inject input events into the running game as real input (actions, keys, mouse, joypad, text, clicks); a frozen game gets them when its next frame runs.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameInput {
    /// Events: {"action","pressed"?,"strength"?} {"key","pressed"?,"shift"?,"ctrl"?,"alt"?,"meta"?} {"mouse_button":"left","position":[x,y],"pressed"?} {"mouse_motion":[x,y]} {"wheel":"up","position"?} {"joypad_button":0,"pressed"?} {"joypad_axis":0,"value"} {"text"} {"click": text or node path}; each may add "at_frame" and "hold_frames".
    pub events: Vec<Value>,
}
command!(
    GameInput,
    "game_input",
    title = "Send game input",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Played<InputQueued>
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputQueued {
    /// Events applied now.
    pub applied: usize,
    /// Events waiting for a later physics frame (all of them while frozen).
    pub scheduled: usize,
    /// The game's physics frame counter.
    pub frame: u64,
}

/// Freeze the game's time: no process or physics frame runs until game_resume or game_step.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GamePause {}
command!(
    GamePause,
    "game_pause",
    title = "Freeze game",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = Played<GameClock>
);

/// Let the game's time run again; also continues a game stopped at a script error.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameResume {}
command!(
    GameResume,
    "game_resume",
    title = "Resume game",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = Played<GameClock>
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GameClock {
    /// Whether game time is frozen by these tools.
    pub frozen: bool,
    /// The game's own pause (`get_tree().paused`), never changed by these tools.
    pub game_paused: bool,
    /// Physics frames since the game started.
    pub frame: u64,
    /// Frames advance at a fixed rate, so steps are deterministic (games started by run_project).
    pub fixed_rate: bool,
}

/// Advance the game exactly `frames` physics frames (or `seconds`), delivering `inputs` at their frames, then freeze it again.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameStep {
    /// Physics frames to advance (default 1).
    #[serde(default)]
    pub frames: Option<u32>,
    /// Or seconds, at the project's physics rate.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// game_input events; `at_frame` counts from the step's start.
    #[serde(default)]
    pub inputs: Vec<Value>,
    /// Expression checked after every frame; the step stops once it is true.
    #[serde(default)]
    pub until: Option<String>,
    /// Base instance of `until` and `report`; default the current scene's root.
    #[serde(default)]
    pub node_path: Option<String>,
    /// Most frames to wait for `until` (default 600).
    #[serde(default)]
    pub timeout_frames: Option<u32>,
    /// Expressions evaluated when the step ends, answered in order.
    #[serde(default)]
    pub report: Vec<String>,
    /// `{node_path: [properties]}` sampled every `every` frames, with first, last, min, max and the frames where each changed.
    #[serde(default)]
    pub watch: Map<String, Value>,
    /// Sampling period of `watch` in frames (default 1).
    #[serde(default)]
    pub every: Option<u32>,
}
command!(
    GameStep,
    "game_step",
    title = "Step game frames",
    toolset = Play,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Played<Stepped>,
    TIMEOUT_MS: u64 = 120_000
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stepped {
    /// Physics frames advanced.
    pub frames: u32,
    /// The game's physics frame counter after the step.
    pub frame: u64,
    /// With `until`: whether it became true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached: Option<bool>,
    /// `until` failed to run at the last frame (Godot's message); the step stopped there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report: Vec<Value>,
    /// Per node path, per property.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub watch: Map<String, Value>,
    /// Frames advance at a fixed rate, so this step is deterministic.
    pub fixed_rate: bool,
    /// Wall time the step took, in milliseconds.
    pub wall_ms: u64,
}

/// List the game's visible Controls (path, class, text, global rect, disabled, focus), optionally only those whose text contains `text`.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameUi {
    /// Case-insensitive part of the text to look for.
    #[serde(default)]
    pub text: Option<String>,
}
command!(
    GameUi,
    "game_ui",
    title = "Game UI controls",
    toolset = Play,
    read_only = true,
    output = Played<UiControls>
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiControls {
    pub controls: Vec<UiControl>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiControl {
    pub path: String,
    pub class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// [x, y, width, height] in the game window.
    pub rect: [f64; 4],
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub focused: bool,
}
