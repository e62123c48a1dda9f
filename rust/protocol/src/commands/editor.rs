//! Editor- and project-wide commands.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// The editor's state: Godot version, project, open and edited scenes, whether the game runs, scripts that fail to parse. Resource godot://editor/state.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetEditorState {}
command!(
    GetEditorState,
    "get_editor_state",
    title = "Editor state",
    toolset = Core,
    read_only = true,
    output = EditorState
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorState {
    pub godot_version: String,
    pub plugin_version: String,
    pub project_name: String,
    /// Absolute path of the project folder on disk.
    pub project_path: String,
    /// The scene shown in the editor, if any.
    pub edited_scene: Option<String>,
    pub open_scenes: Vec<String>,
    pub playing: bool,
    pub playing_scene: Option<String>,
    /// The editor's process frame counter when the request was handled.
    pub frame: u64,
    pub dispatch: DispatchStats,
    /// This editor's session id (see list_sessions).
    pub session_id: String,
    pub readiness: crate::Readiness,
    /// Project scripts that do not parse or compile.
    pub script_errors: ScriptErrors,
}

/// Scripts that fail to parse, as the editor last checked them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScriptErrors {
    /// Scripts with an error.
    pub count: usize,
    /// The first few, by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first: Vec<ScriptFileError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptFileError {
    pub script_path: String,
    /// 1-based line number.
    pub line: u32,
    pub message: String,
}

/// How the editor's main thread has been draining requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DispatchStats {
    /// Requests handled so far.
    pub handled: u64,
    /// Most requests handled in one frame.
    pub max_per_frame: u32,
    /// Per-frame request cap.
    pub cap_per_frame: u32,
    /// Per-frame time budget in milliseconds.
    pub budget_ms: u32,
    /// Frames that left requests for the next frame.
    pub spilled_frames: u64,
    /// Longest time one frame spent handling requests, in microseconds.
    pub max_frame_us: u64,
    /// Frames that spent more than the budget plus 2 ms on requests (a
    /// single slow request, such as opening a big scene, can do that).
    pub frames_over_budget: u64,
}

/// The project: name, folder, main scene, Godot version, every scene and script under res://. Resource godot://project/info.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectInfo {}
command!(
    GetProjectInfo,
    "get_project_info",
    title = "Project info",
    toolset = Core,
    read_only = true,
    output = ProjectInfo
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectInfo {
    pub name: String,
    pub project_path: String,
    pub godot_version: String,
    pub main_scene: Option<String>,
    pub scenes: Vec<String>,
    pub scripts: Vec<String>,
    pub autoloads: Vec<String>,
    /// What listing the project could not go into, as in `list_files`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Start the game from the editor, like pressing Play. Runs the main scene, or `scene` when given. Answers once the game is up, with a run_id for get_game_output and get_game_errors.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunProject {
    /// res:// path of a scene to run instead of the main scene.
    #[serde(default)]
    pub scene: Option<String>,
    /// Start with game time frozen before the first frame (see game_step).
    #[serde(default)]
    pub frozen: bool,
}
command!(
    RunProject,
    "run_project",
    title = "Run game",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = ProjectRun
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRun {
    pub playing: bool,
    /// The scene that was started.
    pub scene: String,
    /// Identifies this run in get_game_output and get_game_errors.
    pub run_id: u64,
    /// Whether game time is frozen (run with `frozen`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub frozen: bool,
}

/// Stop the game started from the editor and summarise its run. Succeeds (with `was_playing: false`) when nothing runs.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopProject {}
command!(
    StopProject,
    "stop_project",
    title = "Stop game",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = ProjectStopped
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectStopped {
    pub was_playing: bool,
    /// The last run: how it ended, its error counts and last output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<super::runs::RunSummary>,
}
