//! Editor state, project description, and running the game.

use godot::classes::{Engine, ProjectSettings};
use godot::prelude::*;
use godot_mcp_protocol::commands::editor::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use std::time::Duration;

use crate::dispatch::Answer;

use super::{Ctx, edited_scene, editor, project_root, scene_file_exists, scene_not_found};

pub fn get_editor_state(ctx: &mut Ctx, _: GetEditorState) -> Result<EditorState, ErrorBody> {
    let editor = editor();
    let playing = editor.is_playing_scene();
    Ok(EditorState {
        godot_version: godot_version(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        project_name: setting_string("application/config/name").unwrap_or_default(),
        project_path: project_root().display().to_string(),
        edited_scene: edited_scene().map(|s| s.path),
        open_scenes: editor
            .get_open_scenes()
            .to_vec()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        playing,
        playing_scene: playing
            .then(|| editor.get_playing_scene().to_string())
            .filter(|s| !s.is_empty()),
        frame: Engine::singleton().get_process_frames(),
        dispatch: ctx.dispatch.clone(),
        session_id: ctx.session_id.clone(),
        readiness: crate::watch::readiness(),
    })
}

pub fn get_project_info(_: &mut Ctx, _: GetProjectInfo) -> Result<ProjectInfo, ErrorBody> {
    let root = project_root();
    let mut scenes = Vec::new();
    let mut scripts = Vec::new();
    collect_files(&root, &root, &mut |res| {
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
    })
}

/// How long `run_project` waits for the game to connect to the editor.
const GAME_START_TIMEOUT: Duration = Duration::from_secs(20);

pub fn run_project(ctx: &mut Ctx, params: RunProject) -> Result<Answer<ProjectRun>, ErrorBody> {
    let mut editor = editor();
    let scene = match params.scene {
        Some(scene) => {
            let path = paths::normalize_file(&scene, &["tscn", "scn"])?;
            if !scene_file_exists(&path)? {
                return Err(scene_not_found(&path));
            }
            path
        }
        None => setting_string("application/run/main_scene")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ErrorBody::new(ErrorCode::InvalidOperation, "the project has no main scene")
                    .with_hint("pass scene to run a specific scene")
            })?,
    };
    // A game already running would answer for the new one.
    if editor.is_playing_scene() {
        editor.stop_playing_scene();
    }
    editor.play_custom_scene(&scene);
    let debugger = ctx.debugger.clone();
    // Answer once the game process is up (connected to the editor's
    // debugger) or has already ended.
    Ok(Answer::Later {
        poll: Box::new(move || {
            if !super::editor().is_playing_scene() {
                return Some(Err(ErrorBody::new(
                    ErrorCode::GodotError,
                    format!("the game running {scene} ended as soon as it started"),
                )
                .with_hint("check the editor output for the game's errors")));
            }
            let up = debugger.as_ref().is_none_or(|d| d.bind().game_connected());
            up.then(|| {
                Ok(ProjectRun {
                    playing: true,
                    scene: scene.clone(),
                })
            })
        }),
        timeout: GAME_START_TIMEOUT,
        waiting_for: "the game to start",
    })
}

pub fn stop_project(_: &mut Ctx, _: StopProject) -> Result<ProjectStopped, ErrorBody> {
    let mut editor = editor();
    let was_playing = editor.is_playing_scene();
    if was_playing {
        editor.stop_playing_scene();
    }
    Ok(ProjectStopped { was_playing })
}

pub fn undo(_: &mut Ctx, params: Undo) -> Result<HistoryStep, ErrorBody> {
    step_history(params.scene_path.as_deref(), false)
}

pub fn redo(_: &mut Ctx, params: Redo) -> Result<HistoryStep, ErrorBody> {
    step_history(params.scene_path.as_deref(), true)
}

/// Moves one step through the scene's undo history.
fn step_history(scene_path: Option<&str>, forward: bool) -> Result<HistoryStep, ErrorBody> {
    let scene = super::scene(scene_path)?;
    let manager = super::undo_manager()?;
    let id = manager.get_object_history_id(&scene.root);
    let mut history = manager
        .get_history_undo_redo(id)
        .ok_or_else(|| ErrorBody::new(ErrorCode::GodotError, "the scene has no undo history"))?;
    let (possible, verb) = if forward {
        (history.has_redo(), "redo")
    } else {
        (history.has_undo(), "undo")
    };
    if !possible {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("nothing to {verb} in {}", scene.path),
        )
        .with_hint("the history is empty in that direction"));
    }
    // Undo reports the action it reverts; redo the one it re-applies.
    let action = if forward {
        history.redo();
        history.get_current_action_name().to_string()
    } else {
        let name = history.get_current_action_name().to_string();
        history.undo();
        name
    };
    Ok(HistoryStep {
        scene_path: scene.path,
        action,
    })
}

pub fn godot_version() -> String {
    Engine::singleton()
        .get_version_info()
        .get("string")
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn setting_string(name: &str) -> Option<String> {
    let settings = ProjectSettings::singleton();
    settings
        .has_setting(name)
        .then(|| settings.get_setting(name).to_string())
}

/// Walks the project folder, skipping hidden folders (`.godot`, `.git`).
fn collect_files(root: &std::path::Path, dir: &std::path::Path, found: &mut dyn FnMut(String)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_files(root, &path, found);
        } else if let Ok(rel) = path.strip_prefix(root) {
            found(format!("res://{}", rel.to_string_lossy()));
        }
    }
}
