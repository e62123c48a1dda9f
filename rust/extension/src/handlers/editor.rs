//! Editor state, project description, and running the game.

use godot::classes::{Engine, ProjectSettings};
use godot::prelude::*;
use godot_mcp_protocol::commands::editor::*;
use godot_mcp_protocol::commands::runs::RunState;
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use std::time::Duration;

use godot_mcp_protocol::router::Answer;

use super::{Ctx, edited_scene, editor_interface, project_root, scene_file};

pub fn get_editor_state(ctx: &mut Ctx, _: GetEditorState) -> Result<EditorState, ErrorBody> {
    let editor = editor_interface();
    let playing = editor.is_playing_scene();
    Ok(EditorState {
        godot_version: godot_version(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        project_name: setting_string("application/config/name").unwrap_or_default(),
        project_path: project_root().display().to_string(),
        edited_scene: edited_scene().map(|s| s.path),
        open_scenes: super::workspace::open_scene_paths(),
        playing,
        playing_scene: playing
            .then(|| editor.get_playing_scene().to_string())
            .filter(|s| !s.is_empty()),
        frame: Engine::singleton().get_process_frames(),
        dispatch: ctx.dispatch.clone(),
        session_id: ctx.session_id.clone(),
        readiness: crate::watch::readiness(),
        script_errors: ctx.scripts.summary(),
    })
}

pub fn get_project_info(_: &mut Ctx, _: GetProjectInfo) -> Result<ProjectInfo, ErrorBody> {
    let root = project_root();
    let mut scenes = Vec::new();
    let mut scripts = Vec::new();
    let errors = super::files::walk(&root, &root, true, &mut |res, _, _| {
        if res.ends_with(".tscn") || res.ends_with(".scn") {
            scenes.push(res);
        } else if res.ends_with(".gd") {
            scripts.push(res);
        }
    });
    scenes.sort();
    scripts.sort();
    let settings = ProjectSettings::singleton();
    let autoloads = settings
        .get_property_list()
        .iter_shared()
        .filter_map(|d| d.get("name").map(|n| n.to_string()))
        .filter_map(|n| n.strip_prefix("autoload/").map(str::to_owned))
        .collect();
    Ok(ProjectInfo {
        name: setting_string("application/config/name").unwrap_or_default(),
        project_path: root.display().to_string(),
        godot_version: godot_version(),
        main_scene: setting_string("application/run/main_scene").filter(|s| !s.is_empty()),
        scenes,
        scripts,
        autoloads,
        errors,
    })
}

/// How long `run_project` waits for the game to connect to the editor.
pub(super) const GAME_START_TIMEOUT: Duration = Duration::from_secs(20);

pub fn run_project(ctx: &mut Ctx, params: RunProject) -> Result<Answer<ProjectRun>, ErrorBody> {
    let mut editor = editor_interface();
    let scene = match params.scene {
        Some(scene) => scene_file(&scene)?,
        None => setting_string("application/run/main_scene")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ErrorBody::new(ErrorCode::InvalidOperation, "the project has no main scene")
                    .with_hint("pass scene to run a specific scene")
            })?,
    };
    // A game already running would answer for the new one: it is stopped,
    // and the new one starts once its debugger session has closed.
    let stopping = editor.is_playing_scene();
    if stopping {
        editor.stop_playing_scene();
    }
    let run_id = ctx.runs.borrow_mut().start(scene.clone());
    let frozen = params.frozen;
    let holds = ctx.debugger.as_ref().map_or(0, |d| d.bind().holds);
    let debugger = ctx.debugger.clone();
    let runs = ctx.runs.clone();
    let mut started = !stopping;
    let asked = std::time::Instant::now();
    if started {
        play_exact(&scene, frozen);
    }
    // Answer once the game process is up (connected to the editor's
    // debugger) or has already ended.
    Ok(Answer::Later {
        poll: Box::new(move || {
            if !started {
                let old_gone = debugger.as_ref().is_none_or(|d| !d.bind().game_connected());
                if !old_gone && asked.elapsed() < std::time::Duration::from_secs(3) {
                    return None;
                }
                started = true;
                play_exact(&scene, frozen);
                return None;
            }
            if !super::editor_interface().is_playing_scene() {
                // A game quick to quit may end before this poll saw it up:
                // it ran all the same once it announced itself.
                let ran = runs
                    .borrow()
                    .current()
                    .is_some_and(|r| r.run_id == run_id && r.state != RunState::Starting);
                if ran {
                    return Some(Ok(ProjectRun {
                        playing: false,
                        scene: scene.clone(),
                        run_id,
                        frozen,
                    }));
                }
                return Some(Err(ErrorBody::new(
                    ErrorCode::GodotError,
                    format!("the game running {scene} ended as soon as it started"),
                )
                .with_hint("check the editor output for the game's errors")));
            }
            // A frozen game is up once the editor has suspended it.
            let up = debugger.as_ref().is_none_or(|d| {
                let d = d.bind();
                d.game_connected() && (!frozen || d.holds > holds)
            });
            up.then(|| {
                Ok(ProjectRun {
                    playing: true,
                    scene: scene.clone(),
                    run_id,
                    frozen,
                })
            })
        }),
        waiting_for: "the game to start",
    })
}

/// Godot's class for the Run Instances dialog, whose "main run arguments"
/// field the editor reads as it starts a game.
const RUN_INSTANCES: &str = "RunInstancesDialog";

/// Plays `scene` at a fixed frame rate (and frozen before its first frame
/// when asked), so stepped frames never see the wall clock. The flags ride
/// on the editor's run-arguments field for this one launch: its text is
/// swapped in memory and put back at once (setting it programmatically
/// emits no change, so nothing is saved to the project).
fn play_exact(scene: &str, frozen: bool) {
    let field = run_args_field();
    let original = field
        .as_ref()
        .map(|f| f.get_text().to_string())
        .unwrap_or_default();
    let ticks = crate::play::project_ticks();
    if let Some(mut field) = field.clone() {
        field.set_text(&godot_mcp_protocol::play::run_args(
            &original, ticks, frozen,
        ));
    }
    editor_interface().play_custom_scene(scene);
    if let Some(mut field) = field {
        field.set_text(&original);
    }
}

/// The Run Instances dialog's main arguments field: its first line edit,
/// which shows the project's `editor/run/main_run_args`.
fn run_args_field() -> Option<Gd<godot::classes::LineEdit>> {
    let base = editor_interface().get_base_control()?;
    let dialog = base
        .find_children_ex("*")
        .type_(RUN_INSTANCES)
        .recursive(true)
        .owned(false)
        .done()
        .iter_shared()
        .next()?;
    let edits: Vec<Gd<godot::classes::LineEdit>> = dialog
        .find_children_ex("*")
        .type_("LineEdit")
        .recursive(true)
        .owned(false)
        .done()
        .iter_shared()
        .filter_map(|n| n.try_cast().ok())
        .collect();
    let setting = setting_string("editor/run/main_run_args").unwrap_or_default();
    edits
        .iter()
        .find(|e| e.get_text().to_string() == setting)
        .or(edits.first())
        .cloned()
}

/// How long `stop_project` waits for the game's exit status.
const GAME_STOP_WAIT: Duration = Duration::from_secs(3);
/// How long `stop_project` may take in all.
pub(super) const GAME_STOP_DEADLINE: Duration = Duration::from_secs(6);

pub fn stop_project(ctx: &mut Ctx, _: StopProject) -> Result<Answer<ProjectStopped>, ErrorBody> {
    let mut editor = editor_interface();
    let runs = ctx.runs.clone();
    // The editor notices a game that quit by itself a little after its run
    // has recorded the exit: that game was not playing any more.
    let ended = runs.borrow().current().is_some_and(|r| r.state.ended());
    let was_playing = editor.is_playing_scene() && !ended;
    if !was_playing {
        if ended && editor.is_playing_scene() {
            editor.stop_playing_scene();
        }
        runs.borrow_mut().refresh(false);
        let run = runs.borrow().current();
        return Ok(Answer::Now(ProjectStopped { was_playing, run }));
    }
    runs.borrow_mut().stopping();
    editor.stop_playing_scene();
    let since = std::time::Instant::now();
    // Answer once the run has settled how it ended.
    Ok(Answer::Later {
        poll: Box::new(move || {
            let mut runs = runs.borrow_mut();
            runs.refresh(false);
            (runs.settled() || since.elapsed() >= GAME_STOP_WAIT).then(|| {
                Ok(ProjectStopped {
                    was_playing,
                    run: runs.current(),
                })
            })
        }),
        waiting_for: "the game to end",
    })
}

pub fn godot_version() -> String {
    Engine::singleton()
        .get_version_info()
        .get("string")
        .map(|v| v.to_string())
        .unwrap_or_default()
}

pub(super) fn setting_string(name: &str) -> Option<String> {
    let settings = ProjectSettings::singleton();
    settings
        .has_setting(name)
        .then(|| settings.get_setting(name).to_string())
}
