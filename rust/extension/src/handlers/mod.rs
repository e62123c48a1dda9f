//! Request handlers, one module per domain.
//!
//! Each handler is a plain function from a command's typed parameters to its
//! typed result; [`router`] is the only place that lists them. Shared
//! lookups (the edited scene, nodes by path, project files) live here;
//! undoable actions are in [`undo`].

mod animation;
mod capture;
mod debug;
mod docs;
mod editor;
#[cfg(feature = "test-panic")]
mod fault;
pub use editor::godot_version;
mod files;
mod history;
pub mod leftovers;
mod log;
mod node;
mod node_calls;
mod perf;
mod play;
mod project;
mod resource;
mod runs;
mod scene;
mod script;
mod script_health;
mod shader;
pub use script_health::ScriptHealth;
mod signal;
mod source;
mod tiles;
mod tree;
mod ui;
mod undo;
mod walk;
mod workspace;
mod written;

use godot::classes::{EditorInterface, Node, ProjectSettings, ResourceLoader, Script};
use godot::prelude::*;
use godot_mcp_protocol::commands::editor::DispatchStats;
use godot_mcp_protocol::{ErrorBody, ErrorCode, errors, paths};

use godot_mcp_protocol::router::Router;
use std::sync::OnceLock;

use crate::dispatch::Context;

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
    /// What `undo`, `redo` and `batch` know of the actions committed here.
    pub journal: undo::Journal,
    /// A batch whose steps go on in later frames.
    pub open_batch: Option<history::OpenBatch>,
    /// The last calls answered, for the dock.
    pub calls: crate::calls::CallLog,
    /// The dock, while the editor shows it.
    pub dock: Option<Gd<crate::dock::GodotMcpDock>>,
}

impl Context for Ctx {
    fn dispatch_stats(&mut self) -> &mut DispatchStats {
        &mut self.dispatch
    }

    fn readiness(&self) -> godot_mcp_protocol::Readiness {
        crate::watch::readiness()
    }

    fn log(&self, line: &str) {
        godot_print!("{line}");
    }

    fn new_errors(&self, connection: u64) -> Option<godot_mcp_protocol::doorbell::NewErrors> {
        crate::doorbell::news_for(connection)
    }

    fn resume(&mut self, until: std::time::Instant) -> bool {
        history::resume_batch(self, until)
    }

    fn holds_edits(&self) -> bool {
        self.open_batch.is_some()
    }

    fn called(
        &mut self,
        action: &str,
        took: std::time::Duration,
        error: Option<godot_mcp_protocol::ErrorCode>,
    ) {
        self.calls.record(action, took, error);
    }
}

/// Every command the editor serves, built once. Registering a command is
/// one line here, in catalog order.
pub fn router() -> &'static Router<Ctx> {
    static ROUTER: OnceLock<Router<Ctx>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let router = Router::new()
            .now(editor::get_editor_state)
            .now(editor::get_project_info)
            .now(scene::create_scene)
            .now(scene::open_scene)
            .now(scene::save_scene)
            .later(scene::get_scene_tree, scene::TREE_DEADLINE)
            .now(node::add_node)
            .now(node::edit_node)
            .now(node::remove_node)
            .now(tree::get_node_properties)
            .now(tree::duplicate_node)
            .now(tree::rename_node)
            .now(tree::move_node)
            .now(tree::find_nodes)
            .now(tree::instantiate_scene)
            .now(tree::add_to_group)
            .now(tree::remove_from_group)
            .now(signal::list_signals)
            .now(signal::connect_signal)
            .now(signal::disconnect_signal)
            .now(script::write_script)
            .now(script::attach_script)
            .now(source::read_script)
            .now(source::patch_script)
            .now(source::validate_script)
            .now(resource::create_resource)
            .now(resource::get_resource)
            .now(resource::set_resource_properties)
            .now(animation::create_animation)
            .now(animation::add_animation_track)
            .now(animation::set_animation_keys)
            .now(animation::get_animation)
            .now(tiles::create_tileset)
            .now(tiles::set_tiles)
            .now(tiles::get_tiles)
            .now(shader::write_shader)
            .now(shader::set_shader_params)
            .now(ui::set_theme_items)
            .now(project::get_project_setting)
            .now(project::set_project_setting)
            .now(project::set_main_scene)
            .now(project::list_input_actions)
            .now(project::add_input_action)
            .now(project::remove_input_action)
            .now(project::list_autoloads)
            .now(project::add_autoload)
            .now(project::remove_autoload)
            .now(files::list_files)
            .now(files::search_files)
            .now(files::read_text_file)
            .now(files::write_text_file)
            .later(docs::get_class_info, docs::DOCS_DEADLINE)
            .now(docs::search_classes)
            .now(workspace::get_open_scenes)
            .now(workspace::close_scene)
            .now(workspace::get_selection)
            .now(workspace::select_nodes)
            .later(editor::run_project, editor::GAME_START_TIMEOUT)
            .later(editor::stop_project, editor::GAME_STOP_DEADLINE)
            .now(runs::get_game_output)
            .now(runs::get_game_errors)
            .later(play::game_tree, play::ANSWER_TIMEOUT)
            .later(play::game_get, play::ANSWER_TIMEOUT)
            .later(play::game_set, play::ANSWER_TIMEOUT)
            .later(play::game_call, play::ANSWER_TIMEOUT)
            .later(play::game_eval, play::ANSWER_TIMEOUT)
            .later(play::game_input, play::ANSWER_TIMEOUT)
            .later(play::game_pause, play::ANSWER_TIMEOUT)
            .later(play::game_resume, play::ANSWER_TIMEOUT)
            .later(play::game_step, play::STEP_TIMEOUT)
            .later(play::game_ui, play::ANSWER_TIMEOUT)
            .now(debug::set_breakpoint)
            .now(debug::clear_breakpoints)
            .later(debug::debug_state, debug::DEBUG_TIMEOUT)
            .later(debug::debug_step, debug::DEBUG_TIMEOUT)
            .later(debug::debug_eval, debug::DEBUG_TIMEOUT)
            .later(capture::get_screenshot, capture::CAPTURE_TIMEOUT)
            .now(log::get_editor_log)
            .now(history::undo)
            .now(history::redo)
            .now(history::get_undo_history)
            .now(perf::get_performance)
            .later(history::batch, history::BATCH_DEADLINE);
        #[cfg(feature = "test-panic")]
        let router = router.now(fault::test_panic);
        router
    })
}

const SCENE_EXTENSIONS: &[&str] = &["tscn", "scn"];

fn editor_interface() -> Gd<EditorInterface> {
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
/// checks that the file was written, and tells the editor's file system
/// about it.
fn save_resource(resource: &Gd<godot::classes::Resource>, res_path: &str) -> Result<(), ErrorBody> {
    create_parent_folders(res_path)?;
    let before = written::before(res_path);
    godot_result(
        godot::classes::ResourceSaver::singleton()
            .save_ex(resource)
            .path(res_path)
            .done(),
        &format!("saving {res_path}"),
    )?;
    written::verify(res_path, before)?;
    if let Some(mut fs) = editor_interface().get_resource_filesystem() {
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
        return Err(errors::scene_not_found(&path));
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
fn target_scene(scene_path: Option<&str>) -> Result<Scene, ErrorBody> {
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
    editor_interface().get_edited_scene_root().map(|root| {
        let path = root.get_scene_file_path().to_string();
        Scene { root, path }
    })
}

/// Opens (or switches to) a scene file and returns it as the edited scene.
fn open(path: &str) -> Result<Scene, ErrorBody> {
    let path = scene_file(path)?;
    let path = path.as_str();
    editor_interface().open_scene_from_path(path);
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
    errors::no_scene(
        message,
        "pass scene_path, or call open_scene or create_scene first",
    )
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
        .ok_or_else(|| errors::node_not_found(node_path, &scene_label(root)))
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

/// Saves the edited scene to `path` (its own file, or a new one) as the
/// editor's own save does. The scene's thumbnail is made only where
/// something is rendered: a headless editor fails to make it with an engine
/// error, and each such failure keeps about 5 KiB for good.
fn save_edited(path: &str) -> Result<(), ErrorBody> {
    if path.is_empty() {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            "the edited scene has never been saved",
        )
        .with_hint("save_scene with a scene_path first, or close it without saving"));
    }
    editor_interface()
        .save_scene_as_ex(path)
        .with_preview(!headless())
        .done();
    Ok(())
}

/// Whether the editor runs without a display, so renders nothing.
pub(super) fn headless() -> bool {
    godot::classes::DisplayServer::singleton().get_name() == "headless"
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
        return Err(errors::node_exists(&relative_path(root, parent), name));
    }
    Ok(())
}

/// Writes a project file atomically and lets the editor see the new text.
fn write_file(path: &str, content: &str) -> Result<(), ErrorBody> {
    paths::write_atomically(&fs_path(path)?, content.as_bytes())
        .map_err(|e| errors::cannot_write(path, &e))?;
    reload_if_cached(path, content);
    Ok(())
}

/// Lets a script or shader the editor already loaded (attached, or open in an
/// editor) see new text instead of its cached copy, and the file system dock
/// see the file.
fn reload_if_cached(path: &str, content: &str) {
    if ResourceLoader::singleton().has_cached(path)
        && let Some(resource) = ResourceLoader::singleton().load(path)
    {
        match resource.try_cast::<Script>() {
            Ok(mut script) => {
                script.set_source_code(content);
                script.reload_ex().keep_state(true).done();
            }
            Err(resource) => {
                if let Ok(mut shader) = resource.try_cast::<godot::classes::Shader>() {
                    shader.set_code(content);
                }
            }
        }
    }
    if let Some(mut fs) = editor_interface().get_resource_filesystem() {
        fs.update_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_editor_command_has_exactly_one_route() {
        let router = router();
        assert_eq!(router.duplicates(), [] as [&str; 0], "registered twice");
        let mut live: Vec<&str> = router.names().collect();
        #[cfg(feature = "test-panic")]
        live.retain(|name| *name != fault::NAME);
        let mut catalog: Vec<&str> = godot_mcp_protocol::CATALOG
            .iter()
            .filter(|c| !c.local)
            .map(|c| c.name)
            .collect();
        live.sort_unstable();
        catalog.sort_unstable();
        assert_eq!(live, catalog);
    }
}
