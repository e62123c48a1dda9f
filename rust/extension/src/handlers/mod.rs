//! Request handlers, one module per domain.
//!
//! Each handler is a plain function from a command's typed parameters to its
//! typed result; [`routes`] is the only place that lists them. Shared
//! lookups (the edited scene, nodes by path, the undo manager) live here.

mod capture;
mod docs;
mod editor;
pub use editor::godot_version;
mod files;
mod history;
mod log;
mod node;
mod perf;
mod project;
mod resource;
mod scene;
mod script;
mod script_health;
pub use script_health::ScriptHealth;
mod signal;
mod source;
mod tree;
mod walk;
mod workspace;

use godot::classes::{
    EditorInterface, EditorUndoRedoManager, Node, ProjectSettings, ResourceLoader, Script,
};
use godot::prelude::*;
use godot_mcp_protocol::commands::editor::DispatchStats;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use crate::dispatch::{Context, Route, route, route_later};

/// State handlers may use between calls.
#[derive(Default)]
pub struct Ctx {
    pub dispatch: DispatchStats,
    /// This editor's session id, as clients see it.
    pub session_id: String,
    pub debugger: Option<Gd<crate::debugger::GodotMcpDebugger>>,
    pub frames: crate::perf::FrameLog,
    /// Absent until the plugin starts keeping the editor awake.
    pub wake: Option<crate::wake::Wake<crate::wake::OsSleep>>,
    /// Game runs, fed by the debugger's messages.
    pub runs: std::rc::Rc<std::cell::RefCell<crate::runs::Runs>>,
    pub scripts: ScriptHealth,
}

impl Context for Ctx {
    fn dispatch_stats(&mut self) -> &mut DispatchStats {
        &mut self.dispatch
    }

    fn readiness(&self) -> godot_mcp_protocol::Readiness {
        crate::watch::readiness()
    }
}

pub fn routes() -> Vec<(&'static str, Route<Ctx>)> {
    vec![
        route(editor::get_editor_state),
        route(editor::get_project_info),
        route_later(editor::run_project),
        route_later(editor::stop_project),
        route(log::get_game_output),
        route(log::get_game_errors),
        route_later(capture::get_screenshot),
        route(log::get_editor_log),
        route(editor::undo),
        route(editor::redo),
        route(perf::get_performance),
        route(scene::create_scene),
        route(scene::open_scene),
        route(scene::save_scene),
        route_later(scene::get_scene_tree),
        route(node::add_node),
        route(node::edit_node),
        route(node::remove_node),
        route(script::write_script),
        route(script::attach_script),
        route(tree::get_node_properties),
        route(tree::duplicate_node),
        route(tree::rename_node),
        route(tree::move_node),
        route(tree::find_nodes),
        route(tree::instantiate_scene),
        route(tree::add_to_group),
        route(tree::remove_from_group),
        route(signal::list_signals),
        route(signal::connect_signal),
        route(signal::disconnect_signal),
        route(source::read_script),
        route(source::patch_script),
        route(source::validate_script),
        route(resource::create_resource),
        route(resource::get_resource),
        route(resource::set_resource_properties),
        route(project::get_project_setting),
        route(project::set_project_setting),
        route(project::set_main_scene),
        route(project::list_input_actions),
        route(project::add_input_action),
        route(project::remove_input_action),
        route(project::list_autoloads),
        route(project::add_autoload),
        route(project::remove_autoload),
        route(files::list_files),
        route(files::search_files),
        route(files::read_text_file),
        route(files::write_text_file),
        route(docs::get_class_info),
        route(docs::search_classes),
        route(workspace::get_open_scenes),
        route(workspace::close_scene),
        route(workspace::get_selection),
        route(workspace::select_nodes),
        route(history::get_undo_history),
        route(history::batch),
    ]
}

const SCENE_EXTENSIONS: &[&str] = &["tscn", "scn"];

fn editor() -> Gd<EditorInterface> {
    EditorInterface::singleton()
}

/// The project folder on disk.
pub fn project_root() -> std::path::PathBuf {
    ProjectSettings::singleton()
        .globalize_path("res://")
        .to_string()
        .into()
}

/// A `res://` path's location on disk, refusing escapes through symlinks.
fn fs_path(res_path: &str) -> Result<std::path::PathBuf, ErrorBody> {
    paths::to_fs(&project_root(), res_path)
}

/// Saves a resource (a scene, too) to `res_path`, creating missing folders,
/// and tells the editor's file system about it.
fn save_resource(resource: &Gd<godot::classes::Resource>, res_path: &str) -> Result<(), ErrorBody> {
    create_parent_folders(res_path)?;
    godot_result(
        godot::classes::ResourceSaver::singleton()
            .save_ex(resource)
            .path(res_path)
            .done(),
        &format!("saving {res_path}"),
    )?;
    if let Some(mut fs) = editor().get_resource_filesystem() {
        fs.update_file(res_path);
    }
    Ok(())
}

/// Creates the missing folders for a new file at `res_path`.
fn create_parent_folders(res_path: &str) -> Result<(), ErrorBody> {
    match fs_path(res_path)?.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| {
            ErrorBody::new(
                ErrorCode::IoError,
                format!("cannot create the folder for {res_path}: {e}"),
            )
        }),
        None => Ok(()),
    }
}

/// The `res://` path of an existing scene file named by `input`.
fn scene_file(input: &str) -> Result<String, ErrorBody> {
    let path = paths::normalize_file(input, SCENE_EXTENSIONS)?;
    if !fs_path(&path)?.is_file() {
        return Err(scene_not_found(&path));
    }
    Ok(path)
}

/// The scene a call acts on, with its `res://` path (empty if never saved).
struct Scene {
    root: Gd<Node>,
    path: String,
}

/// The edited scene, or the scene at `scene_path`, opened in the editor if
/// it is not the edited one.
fn scene(scene_path: Option<&str>) -> Result<Scene, ErrorBody> {
    let Some(requested) = scene_path else {
        return edited_scene().ok_or_else(|| no_scene("no scene is open in the editor"));
    };
    let path = paths::normalize_file(requested, SCENE_EXTENSIONS)?;
    if let Some(current) = edited_scene().filter(|s| s.path == path) {
        return Ok(current);
    }
    open(&path)
}

fn edited_scene() -> Option<Scene> {
    editor().get_edited_scene_root().map(|root| {
        let path = root.get_scene_file_path().to_string();
        Scene { root, path }
    })
}

/// Opens (or switches to) a scene file and returns it as the edited scene.
fn open(path: &str) -> Result<Scene, ErrorBody> {
    let path = scene_file(path)?;
    let path = path.as_str();
    editor().open_scene_from_path(path);
    edited_scene().filter(|s| s.path == path).ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::GodotError,
            format!("the editor could not open {path}"),
        )
        .with_hint(
            "the file may be corrupt or depend on missing resources; check the editor output",
        )
    })
}

/// The error for calls that need an open scene when none is open.
fn no_scene(message: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::EditorNotReady, message)
        .with_sub_code(godot_mcp_protocol::Readiness::NoScene.as_str())
        .with_hint("pass scene_path, or call open_scene or create_scene first")
}

fn scene_not_found(path: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::SceneNotFound, format!("no scene file at {path}"))
        .with_hint("get_project_info lists the project's scenes; create_scene makes a new one")
}

/// Finds a node by its path from the scene root. Accepts `.`, `Child/Grand`,
/// and the same prefixed with the root's name.
fn find_node(root: &Gd<Node>, node_path: &str) -> Result<Gd<Node>, ErrorBody> {
    let trimmed = node_path.trim().trim_start_matches("./");
    let root_name = root.get_name().to_string();
    let relative = if trimmed.is_empty() || trimmed == "." || trimmed == root_name {
        return Ok(root.clone());
    } else if let Some(rest) = trimmed.strip_prefix(&format!("{root_name}/")) {
        // `Main/Player` where `Main` is the root, unless the root has a child `Main`.
        if root.has_node(trimmed) {
            trimmed
        } else {
            rest
        }
    } else {
        trimmed
    };
    if relative.starts_with('/') {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("node path {node_path:?} is absolute"),
        )
        .with_hint("give node paths relative to the scene root, e.g. Player/Sprite2D"));
    }
    root.get_node_or_null(relative)
        .filter(|n| n == root || root.is_ancestor_of(n))
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::NodeNotFound,
                format!("no node {node_path:?} in {}", scene_label(root)),
            )
            .with_hint("call get_scene_tree to see the node paths")
        })
}

/// A node's path from the scene root; the root is `.`.
fn relative_path(root: &Gd<Node>, node: &Gd<Node>) -> String {
    if node == root {
        ".".into()
    } else {
        root.get_path_to(node).to_string()
    }
}

fn scene_label(root: &Gd<Node>) -> String {
    let path = root.get_scene_file_path().to_string();
    if path.is_empty() {
        format!("the unsaved scene {}", root.get_name())
    } else {
        path
    }
}

use history::commit;

/// Starts one undoable editor action; the caller adds operations and
/// finishes with [`commit`].
fn undo_action(name: &str) -> Result<Gd<EditorUndoRedoManager>, ErrorBody> {
    let mut undo = undo_manager()?;
    undo.create_action(&format!("MCP: {name}"));
    Ok(undo)
}

/// Records putting a new `node` (kept alive by the history) under `parent`,
/// owned by the scene `root` so that it is saved.
fn add_new_child(
    undo: &mut Gd<EditorUndoRedoManager>,
    parent: &Gd<Node>,
    node: &Gd<Node>,
    root: &Gd<Node>,
) {
    undo.add_do_method(parent, "add_child", vslice![node.clone(), true]);
    undo.add_do_method(node, "set_owner", vslice![root.clone()]);
    undo.add_do_reference(node);
    undo.add_undo_method(parent, "remove_child", vslice![node.clone()]);
}

fn undo_manager() -> Result<Gd<EditorUndoRedoManager>, ErrorBody> {
    editor()
        .get_editor_undo_redo()
        .ok_or_else(|| ErrorBody::new(ErrorCode::GodotError, "the editor has no undo manager"))
}

/// Maps a Godot error code to a protocol error.
fn godot_result(err: godot::global::Error, what: &str) -> Result<(), ErrorBody> {
    if err == godot::global::Error::OK {
        Ok(())
    } else {
        Err(ErrorBody::new(
            ErrorCode::GodotError,
            format!("{what} failed: {err:?}"),
        ))
    }
}

/// Refuses the scene root for an operation only its descendants allow.
pub(super) fn not_root(root: &Gd<Node>, node: &Gd<Node>, what: &str) -> Result<(), ErrorBody> {
    if node == root {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("the scene root cannot be {what}"),
        )
        .with_hint("pick one of its descendants"));
    }
    Ok(())
}

/// Refuses a name already taken under `parent`.
pub(super) fn free_name(root: &Gd<Node>, parent: &Gd<Node>, name: &str) -> Result<(), ErrorBody> {
    if parent.has_node(name) {
        return Err(ErrorBody::new(
            ErrorCode::NodeExists,
            format!(
                "{} already has a child named {name:?}",
                relative_path(root, parent)
            ),
        )
        .with_hint("choose another name, or edit the existing node with edit_node"));
    }
    Ok(())
}

/// Writes a project file atomically and lets the editor see the new text.
fn write_file(path: &str, content: &str) -> Result<(), ErrorBody> {
    paths::write_atomically(&fs_path(path)?, content.as_bytes())
        .map_err(|e| ErrorBody::new(ErrorCode::IoError, format!("cannot write {path}: {e}")))?;
    reload_if_cached(path, content);
    Ok(())
}

/// Lets a script the editor already loaded (attached, or open in the script
/// editor) see new text instead of its cached copy, and the file system dock
/// see the file.
fn reload_if_cached(path: &str, content: &str) {
    if ResourceLoader::singleton().has_cached(path)
        && let Some(mut script) = ResourceLoader::singleton()
            .load(path)
            .and_then(|r| r.try_cast::<Script>().ok())
    {
        script.set_source_code(content);
        script.reload_ex().keep_state(true).done();
    }
    if let Some(mut fs) = editor().get_resource_filesystem() {
        fs.update_file(path);
    }
}
