//! Offline mode: scene tools work on the project's files when no editor
//! answers.
//!
//! Each edit reads the `.tscn`, changes only what it must through
//! `godot-mcp-tscn` (node types and properties checked against Godot's class
//! list), and writes the file atomically, so `save_scene` has nothing left to
//! do. Results have the live tools' shapes plus `"mode": "offline"`. The
//! project is `GODOT_MCP_PROJECT`, else the nearest folder holding
//! `project.godot` above the current one or `CLAUDE_PROJECT_DIR`. Which commands work offline is [`router`].
//! Writes are refused while a Godot editor has the project open ([`guard`]).

pub(crate) mod guard;
mod nodes;
mod scenes;
mod scripts;
mod tiles;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use godot_mcp_protocol::router::{Router, Tree};
use godot_mcp_protocol::{ErrorBody, ErrorCode, errors, paths};
use godot_mcp_tscn::{Error, Scene};
use serde_json::Value as Json;

/// Environment variable naming the project folder for offline mode.
pub const PROJECT_ENV: &str = "GODOT_MCP_PROJECT";

const SCENE_EXTENSIONS: &[&str] = &["tscn"];

/// The commands offline mode serves; registering one is one line here.
pub fn router() -> &'static Router<Project, Tree> {
    static ROUTER: OnceLock<Router<Project, Tree>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .now(Project::create_scene)
            .now(Project::open_scene)
            .now(Project::save_scene)
            .now(Project::get_scene_tree)
            .now(Project::add_node)
            .now(Project::edit_node)
            .now(Project::remove_node)
            .now(Project::write_script)
            .now(Project::attach_script)
            .now(Project::set_tiles)
            .now(Project::get_tiles)
    })
}

/// Answers a call the editor could not take, when it has an offline form
/// and a project is found; otherwise passes the editor's error on.
pub fn fallback(action: &str, params: Json, error: ErrorBody) -> Result<Json, ErrorBody> {
    if error.code != ErrorCode::EditorNotConnected {
        return Err(error);
    }
    let (Some(route), Some(root)) = (router().get(action), project()) else {
        return Err(error);
    };
    if !route.read_only {
        guard::check(&root)?;
    }
    let mut value = route.call_now(&mut Project { root }, params)?;
    if let Json::Object(map) = &mut value {
        map.insert("mode".into(), Json::from("offline"));
    }
    Ok(value)
}

/// A read-only command answered from the files of the project at `root`,
/// whether or not an editor has it open.
pub fn read(root: &Path, action: &str, params: Json) -> Result<Json, ErrorBody> {
    let route = router()
        .get(action)
        .filter(|r| r.read_only)
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::InternalError,
                format!("{action} has no offline read"),
            )
        })?;
    route.call_now(
        &mut Project {
            root: root.to_path_buf(),
        },
        params,
    )
}

pub(crate) fn project() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(PROJECT_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    godot_mcp_protocol::discovery::client_places()
        .iter()
        .find_map(|place| {
            place
                .ancestors()
                .find(|d| d.join("project.godot").is_file())
                .map(Path::to_path_buf)
        })
}

/// The project folder offline handlers work in.
pub struct Project {
    root: PathBuf,
}

type Node = godot_mcp_tscn::Node;

impl Project {
    fn file(&self, res_path: &str) -> Result<PathBuf, ErrorBody> {
        paths::to_fs(&self.root, res_path)
    }

    fn scene_path(&self, requested: Option<&str>) -> Result<String, ErrorBody> {
        let requested = requested.ok_or_else(|| {
            errors::no_scene(
                "no editor is running, so there is no edited scene",
                "pass scene_path; offline mode edits the scene file directly",
            )
        })?;
        paths::normalize_file(requested, SCENE_EXTENSIONS)
    }

    fn load(&self, res_path: &str) -> Result<Scene, ErrorBody> {
        let text = std::fs::read_to_string(self.file(res_path)?).map_err(|e| {
            ErrorBody::new(
                ErrorCode::SceneNotFound,
                format!("cannot read {res_path}: {e}"),
            )
            .with_hint("check the path with get_project_info, or create it with create_scene")
        })?;
        Scene::parse(&text).map_err(|e| scene_error(res_path, e))
    }

    /// The scene file (its path and model) and one node in it.
    fn load_node(
        &self,
        scene_path: Option<&str>,
        node_path: &str,
    ) -> Result<(String, Scene, Node), ErrorBody> {
        let path = self.scene_path(scene_path)?;
        let scene = self.load(&path)?;
        let node = scene.find(node_path).map_err(|e| scene_error(&path, e))?;
        Ok((path, scene, node))
    }

    fn store(&self, res_path: &str, scene: &Scene) -> Result<u64, ErrorBody> {
        let text = scene.write();
        paths::write_atomically(&self.file(res_path)?, text.as_bytes())
            .map_err(|e| errors::cannot_write(res_path, &e))?;
        Ok(text.len() as u64)
    }

    /// The ext_resource type and uid of a resource file, as the editor would
    /// record them.
    fn resource_info(&self, res: &str) -> (String, Option<String>) {
        let file = self.file(res).unwrap_or_default();
        godot_mcp_tscn::project::resource_type_and_uid(res, &file)
    }

    /// A project file's text, empty when it cannot be read.
    fn text(&self, res_path: &str) -> String {
        self.file(res_path)
            .ok()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .unwrap_or_default()
    }
}

fn scene_error(scene: &str, e: Error) -> ErrorBody {
    match e {
        Error::NodeNotFound(p) => errors::node_not_found(&p, scene),
        Error::NodeExists { parent, name } => errors::node_exists(&parent, &name),
        Error::InvalidName(_) => ErrorBody::new(ErrorCode::InvalidParams, e.to_string())
            .with_hint("node names may not be empty or contain . : @ / \" %"),
        Error::InvalidOperation(m) => ErrorBody::new(ErrorCode::InvalidOperation, m),
        Error::Syntax { .. } | Error::Invalid(_) => ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("{scene} cannot be read: {e}"),
        )
        .with_hint("fix the file, or open the project in the Godot editor"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's "Offline mode" paragraph lists the commands offline
    /// mode serves; it must list exactly the router's.
    #[test]
    fn the_readme_lists_the_offline_commands() {
        let readme = include_str!("../../../../README.md");
        let paragraph = readme
            .split("\n\n")
            .find(|p| p.starts_with("**Offline mode**"))
            .expect("README has an Offline mode paragraph");
        let listed = paragraph.split(" work directly").next().unwrap_or_default();
        let mut listed: Vec<&str> = listed.split('`').skip(1).step_by(2).collect();
        let mut served: Vec<&str> = router().names().collect();
        listed.sort_unstable();
        served.sort_unstable();
        assert_eq!(listed, served);
        assert!(router().duplicates().is_empty());
    }

    #[test]
    fn offline_commands_are_editor_commands() {
        for name in router().names() {
            let spec = godot_mcp_protocol::find(name).unwrap();
            assert!(!spec.local, "{name} is answered by the shim itself");
        }
    }

    fn project() -> (Project, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "godot-mcp-offline-{}-{}",
            std::process::id(),
            godot_mcp_tscn::ids::random()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("project.godot"), "config_version=5\n").unwrap();
        (Project { root: dir.clone() }, dir)
    }

    fn call(project: &mut Project, action: &str, params: Json) -> Result<Json, ErrorBody> {
        router().call_now(project, action, params)
    }

    #[test]
    fn a_scene_is_built_edited_and_read_back_on_disk() {
        let (mut p, dir) = project();
        let scene = serde_json::json!("res://levels/a.tscn");
        call(
            &mut p,
            "create_scene",
            serde_json::json!({"scene_path": scene, "root_type": "Node2D"}),
        )
        .unwrap();
        let added = call(&mut p, "add_node", serde_json::json!({"scene_path": scene, "type": "Sprite2D", "name": "Hero", "properties": {"position": [1, 2]}})).unwrap();
        assert_eq!(added["node_path"], "Hero");
        let e = call(&mut p, "edit_node", serde_json::json!({"scene_path": scene, "node_path": "Hero", "properties": {"positon": [1, 2]}})).unwrap_err();
        assert_eq!(e.code, ErrorCode::PropertyNotFound);
        assert!(e.hint.unwrap().contains("position"));
        let e = call(
            &mut p,
            "remove_node",
            serde_json::json!({"scene_path": scene, "node_path": "Nope"}),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NodeNotFound);
        let tree = call(
            &mut p,
            "get_scene_tree",
            serde_json::json!({"scene_path": scene}),
        )
        .unwrap();
        assert_eq!(tree["node_count"], 2);
        let text = std::fs::read_to_string(dir.join("levels/a.tscn")).unwrap();
        assert!(
            text.contains("[node name=\"Hero\" type=\"Sprite2D\" parent=\".\""),
            "{text}"
        );
        let e = call(&mut p, "get_scene_tree", serde_json::json!({})).unwrap_err();
        assert_eq!(e.code, ErrorCode::EditorNotReady);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn tiles_are_painted_into_the_scene_file_and_read_back() {
        let (mut p, dir) = project();
        let scene = serde_json::json!("res://map.tscn");
        call(
            &mut p,
            "create_scene",
            serde_json::json!({"scene_path": scene, "root_type": "Node2D"}),
        )
        .unwrap();
        call(
            &mut p,
            "add_node",
            serde_json::json!({"scene_path": scene, "type": "TileMapLayer", "name": "Ground"}),
        )
        .unwrap();
        let painted = call(&mut p, "set_tiles", serde_json::json!({"scene_path": scene, "node_path": "Ground", "cells": [{"coords": [1, -2], "atlas": [3, 4]}], "rect": [0, 0, 2, 1], "fill": {"atlas": [5, 0]}})).unwrap();
        assert_eq!(
            (painted["changed"].as_u64(), painted["used"].as_u64()),
            (Some(3), Some(3))
        );
        let text = std::fs::read_to_string(dir.join("map.tscn")).unwrap();
        assert!(
            text.contains("tile_map_data = PackedByteArray(\""),
            "{text}"
        );
        let read = call(
            &mut p,
            "get_tiles",
            serde_json::json!({"scene_path": scene, "node_path": "Ground"}),
        )
        .unwrap();
        assert_eq!(read["total"], 3);
        assert_eq!(
            read["cells"][0],
            serde_json::json!({"coords": [1, -2], "source": 0, "atlas": [3, 4]})
        );
        let e = call(&mut p, "set_tiles", serde_json::json!({"scene_path": scene, "node_path": ".", "cells": [{"coords": [0, 0]}]})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOperation);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
