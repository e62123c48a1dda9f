//! Scene tabs and the node selection of the editor.

use godot::prelude::*;
use godot_mcp_protocol::commands::workspace::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::{
    Ctx, SCENE_EXTENSIONS, edited_scene, editor_interface, find_node, godot_result, relative_path,
};

pub fn get_open_scenes(_: &mut Ctx, _: GetOpenScenes) -> Result<OpenScenes, ErrorBody> {
    Ok(open_scenes())
}

pub fn close_scene(_: &mut Ctx, params: CloseScene) -> Result<OpenScenes, ErrorBody> {
    let scene = match params.scene_path {
        Some(requested) => {
            let path = paths::normalize_file(&requested, SCENE_EXTENSIONS)?;
            if !open_scenes().scenes.contains(&path) {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidOperation,
                    format!("{path} is not open"),
                )
                .with_hint("get_open_scenes lists the open scenes"));
            }
            super::target_scene(Some(&path))?
        }
        None => super::target_scene(None)?,
    };
    let mut editor = editor_interface();
    if params.save {
        let before = super::written::before(&scene.path);
        super::save_edited(&scene.path)?;
        if !scene.path.is_empty() {
            super::written::verify(&scene.path, before)?;
        }
    }
    godot_result(editor.close_scene(), &format!("closing {}", scene.path))?;
    Ok(open_scenes())
}

pub fn get_selection(_: &mut Ctx, _: GetSelection) -> Result<Selection, ErrorBody> {
    let scene = super::target_scene(None)?;
    Ok(selection(&scene.root, scene.path))
}

pub fn select_nodes(_: &mut Ctx, params: SelectNodes) -> Result<Selection, ErrorBody> {
    let scene = super::target_scene(params.scene_path.as_deref())?;
    let nodes = params
        .node_paths
        .iter()
        .map(|p| find_node(&scene.root, p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut selected = editor_interface()
        .get_selection()
        .ok_or_else(|| ErrorBody::new(ErrorCode::GodotError, "the editor has no selection"))?;
    selected.clear();
    for node in &nodes {
        selected.add_node(node);
    }
    Ok(selection(&scene.root, scene.path))
}

fn selection(root: &Gd<godot::classes::Node>, scene_path: String) -> Selection {
    let nodes = editor_interface()
        .get_selection()
        .map(|s| {
            s.get_selected_nodes()
                .iter_shared()
                .filter(|n| n == root || root.is_ancestor_of(n))
                .map(|n| relative_path(root, &n))
                .collect()
        })
        .unwrap_or_default();
    Selection { scene_path, nodes }
}

fn open_scenes() -> OpenScenes {
    OpenScenes {
        edited: edited_scene().map(|s| s.path).filter(|p| !p.is_empty()),
        scenes: open_scene_paths(),
    }
}

/// The res:// paths of the scenes open in editor tabs.
pub(super) fn open_scene_paths() -> Vec<String> {
    editor_interface()
        .get_open_scenes()
        .to_vec()
        .iter()
        .map(|s| s.to_string())
        .collect()
}
