//! Scene files: create, open, save, and list their node trees.

use std::time::Duration;

use godot::classes::{ClassDb, Node, PackedScene};
use godot::obj::{Gd, NewGd, Singleton};
use godot_mcp_protocol::catalog::Command;
use godot_mcp_protocol::commands::scene::*;
use godot_mcp_protocol::names::{pascal_case, valid_node_name};
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::walk::TreeWalk;
use super::{
    Ctx, SCENE_EXTENSIONS, create_parent_folders, edited_scene, editor, fs_path, godot_result,
    open, save_resource, scene,
};
use crate::convert;
use crate::dispatch::Answer;

pub fn create_scene(_: &mut Ctx, params: CreateScene) -> Result<SceneCreated, ErrorBody> {
    let path = paths::normalize_file(&params.scene_path, SCENE_EXTENSIONS)?;
    let file = fs_path(&path)?;
    if file.exists() && !params.overwrite {
        return Err(
            ErrorBody::new(ErrorCode::SceneExists, format!("{path} already exists"))
                .with_hint("open it with open_scene, pick another path, or pass overwrite: true"),
        );
    }
    let root_name = match params.root_name {
        Some(name) => valid_node_name(&name)?,
        None => pascal_case(file.file_stem().and_then(|s| s.to_str()).unwrap_or("Root")),
    };
    let mut root = instantiate_node(&params.root_type)?;
    root.set_name(&root_name);
    let mut packed = PackedScene::new_gd();
    let packed_ok = packed.pack(&root);
    root.free();
    godot_result(packed_ok, "packing the scene")?;
    save_resource(&packed.upcast(), &path)?;
    open(&path)?;
    Ok(SceneCreated {
        scene_path: path,
        root_type: params.root_type,
        root_name,
    })
}

pub fn open_scene(_: &mut Ctx, params: OpenScene) -> Result<SceneOpened, ErrorBody> {
    let path = paths::normalize_file(&params.scene_path, SCENE_EXTENSIONS)?;
    let scene = open(&path)?;
    Ok(SceneOpened {
        scene_path: path,
        root_type: scene.root.get_class().to_string(),
        root_name: scene.root.get_name().to_string(),
        node_count: count_nodes(&scene.root, &scene.root),
    })
}

pub fn save_scene(_: &mut Ctx, params: SaveScene) -> Result<SceneSaved, ErrorBody> {
    let mut editor = editor();
    let path = match params.scene_path {
        None => {
            let current = super::scene(None)?;
            if current.path.is_empty() {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidParams,
                    "the edited scene has never been saved",
                )
                .with_hint("pass scene_path to choose where to save it"));
            }
            godot_result(editor.save_scene(), &format!("saving {}", current.path))?;
            current.path
        }
        Some(requested) => {
            let path = paths::normalize_file(&requested, SCENE_EXTENSIONS)?;
            if super::workspace::open_scene_paths().contains(&path) {
                scene(Some(&path))?;
                godot_result(editor.save_scene(), &format!("saving {path}"))?;
            } else if fs_path(&path)?.exists() {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidOperation,
                    format!("{path} exists but is not open; saving over it would replace that scene"),
                )
                .with_hint("open_scene it first to save it, or choose a new path to save the edited scene as"));
            } else {
                edited_scene().ok_or_else(|| {
                    super::no_scene("no scene is open to save")
                        .with_hint("call open_scene or create_scene first")
                })?;
                create_parent_folders(&path)?;
                editor.save_scene_as(&path);
            }
            path
        }
    };
    let bytes = std::fs::metadata(fs_path(&path)?)
        .map(|m| m.len())
        .map_err(|e| ErrorBody::new(ErrorCode::IoError, format!("{path} was not written: {e}")))?;
    Ok(SceneSaved {
        scene_path: path,
        bytes,
    })
}

/// Listing time per frame; a bigger tree goes on in the next frames.
const LIST_SLICE: Duration = Duration::from_millis(3);

pub fn get_scene_tree(_: &mut Ctx, params: GetSceneTree) -> Result<Answer<SceneTree>, ErrorBody> {
    let scene = scene(params.scene_path.as_deref())?;
    let mut walk = TreeWalk::new(
        scene.root,
        scene.path,
        params.max_depth.unwrap_or(u32::MAX),
        params.include_properties,
    );
    if walk.step(LIST_SLICE)? {
        return Ok(Answer::Now(walk.finish()));
    }
    // A big tree: walk a slice a frame, then nest the nodes in a frame of
    // their own, and leave encoding the answer to the frame after.
    let mut walk = Some(walk);
    let mut done = None;
    let poll = move || {
        if let Some(tree) = done.take() {
            return Some(Ok(tree));
        }
        match walk.as_mut()?.step(LIST_SLICE) {
            Ok(true) => {
                done = walk.take().map(TreeWalk::finish);
                None
            }
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    };
    Ok(Answer::Later {
        poll: Box::new(poll),
        timeout: Duration::from_millis(GetSceneTree::TIMEOUT_MS),
        waiting_for: "the scene tree listing",
    })
}

/// Children that belong to the scene (owned by its root); the insides of
/// instanced scenes are theirs, not ours.
pub(super) fn scene_children(root: &Gd<Node>, node: &Gd<Node>) -> Vec<Gd<Node>> {
    (0..node.get_child_count())
        .filter_map(|i| node.get_child(i))
        .filter(|c| c.get_owner().as_ref() == Some(root))
        .collect()
}

pub(super) fn count_nodes(root: &Gd<Node>, node: &Gd<Node>) -> usize {
    1 + scene_children(root, node)
        .iter()
        .map(|c| count_nodes(root, c))
        .sum::<usize>()
}

/// The node's groups, without the editor's internal ones (`_...`).
pub(super) fn visible_groups(node: &Gd<Node>) -> Vec<String> {
    node.get_groups()
        .iter_shared()
        .map(|g| g.to_string())
        .filter(|g| !g.starts_with('_'))
        .collect()
}

/// Instantiates a class that must be a Node, with errors an agent can act on.
pub(super) fn instantiate_node(class: &str) -> Result<Gd<Node>, ErrorBody> {
    let db = ClassDb::singleton();
    let invalid = |why: &str| {
        ErrorBody::new(ErrorCode::InvalidNodeType, format!("{class:?} {why}"))
            .with_hint(suggest_classes(class))
    };
    if class.is_empty() || !db.class_exists(class) {
        return Err(invalid("is not a Godot class"));
    }
    if !db.is_parent_class(class, "Node") {
        return Err(invalid("is not a Node class"));
    }
    if !db.can_instantiate(class) {
        return Err(invalid("is abstract and cannot be instantiated"));
    }
    db.instantiate(class)
        .try_to::<Gd<Node>>()
        .map_err(|_| invalid("could not be instantiated"))
}

fn suggest_classes(class: &str) -> String {
    let near = convert::near_classes(class, "Node");
    if near.is_empty() {
        "use a Node class such as Node2D, Node3D, Sprite2D, CharacterBody2D, Control or Label"
            .into()
    } else {
        format!("did you mean: {}", near.join(", "))
    }
}
