//! Scene files: create, open, save, and list their node trees.

use std::time::Duration;

use godot::classes::PackedScene;
use godot::obj::NewGd;
use godot_mcp_protocol::commands::scene::*;
use godot_mcp_protocol::names::pascal_case;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::node::{count_nodes, instantiate_node};
use super::walk::TreeWalk;
use super::{
    Ctx, SCENE_EXTENSIONS, create_parent_folders, edited_scene, fs_path, godot_result, open,
    save_resource, target_scene, written,
};
use godot_mcp_protocol::router::Answer;

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
        Some(name) => name.into(),
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
    let (path, before) = match params.scene_path {
        None => {
            let current = super::target_scene(None)?;
            if current.path.is_empty() {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidParams,
                    "the edited scene has never been saved",
                )
                .with_hint("pass scene_path to choose where to save it"));
            }
            fs_path(&current.path)?;
            let before = written::before(&current.path);
            super::save_edited(&current.path)?;
            (current.path, before)
        }
        Some(requested) => {
            let path = paths::normalize_file(&requested, SCENE_EXTENSIONS)?;
            fs_path(&path)?;
            let before = written::before(&path);
            if super::workspace::open_scene_paths().contains(&path) {
                target_scene(Some(&path))?;
                super::save_edited(&path)?;
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
                super::save_edited(&path)?;
            }
            (path, before)
        }
    };
    let bytes = written::verify(&path, before)?;
    Ok(SceneSaved {
        scene_path: path,
        bytes,
    })
}

/// Listing time per frame: a scene of a few thousand nodes is listed in
/// one; a bigger tree goes on in the next frames.
const LIST_SLICE: Duration = Duration::from_millis(8);
/// How long listing a big tree may take in all: less than the shim waits.
pub(super) const TREE_DEADLINE: Duration = Duration::from_secs(25);

pub fn get_scene_tree(_: &mut Ctx, params: GetSceneTree) -> Result<Answer<SceneTree>, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let mut walk = TreeWalk::new(
        scene.root,
        scene.path,
        params.max_depth.unwrap_or(u32::MAX),
        params.include_properties,
    )?;
    if walk.step(LIST_SLICE)? {
        return walk.finish().map(Answer::Now);
    }
    // A big tree: walk a slice a frame.
    let mut walk = Some(walk);
    let poll = move || {
        let w = walk.as_mut()?;
        match w.step(LIST_SLICE) {
            Ok(true) => walk.take().map(TreeWalk::finish),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    };
    Ok(Answer::Later {
        poll: Box::new(poll),
        waiting_for: "the scene tree listing",
    })
}
