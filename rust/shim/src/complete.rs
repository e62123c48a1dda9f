//! `completion/complete`: values for prompt arguments and template
//! parameters, from the project (paths, node paths) and ClassDB (classes).

use rmcp::model::CompletionInfo;
use serde_json::{Value, json};

use crate::ask::Ask;

/// What completes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidates {
    Classes,
    Scripts,
    Scenes,
    /// Node paths of the scene named by the `scene_path` argument, or the edited one.
    NodePaths,
    Files,
    /// Scripts and scenes, and the folders holding them.
    ProjectPaths,
    Fixed(&'static [&'static str]),
    /// Free text: nothing to offer.
    Free,
}

/// Offered for a class argument before anything is typed.
const COMMON_CLASSES: &[&str] = &[
    "Node",
    "Node2D",
    "Node3D",
    "Control",
    "CharacterBody2D",
    "CharacterBody3D",
    "RigidBody2D",
    "RigidBody3D",
    "Area2D",
    "Area3D",
    "StaticBody2D",
    "StaticBody3D",
    "Sprite2D",
    "Sprite3D",
    "AnimatedSprite2D",
    "AnimationPlayer",
    "Camera2D",
    "Camera3D",
    "CollisionShape2D",
    "CollisionShape3D",
    "MeshInstance3D",
    "TileMapLayer",
    "Timer",
    "Label",
    "Button",
    "AudioStreamPlayer",
    "CanvasLayer",
];

/// Completes `typed` for an argument; `scene_path` is that argument's value
/// when the prompt has one. `relative` offers paths without `res://`
/// (template parameters are relative to it).
pub async fn complete(
    ask: &Ask,
    candidates: Candidates,
    typed: &str,
    scene_path: Option<&str>,
    relative: bool,
) -> CompletionInfo {
    let values: Vec<String> = match candidates {
        Candidates::Free => Vec::new(),
        Candidates::Fixed(values) => values.iter().map(|v| (*v).to_owned()).collect(),
        Candidates::Classes => classes(ask, typed).await,
        Candidates::Scripts => project_list(ask, "scripts").await,
        Candidates::Scenes => project_list(ask, "scenes").await,
        Candidates::ProjectPaths => {
            let mut all = project_list(ask, "scenes").await;
            all.extend(project_list(ask, "scripts").await);
            let folders: Vec<String> = all.iter().filter_map(|p| folder(p)).collect();
            all.extend(folders);
            all.push("res://".into());
            all
        }
        Candidates::Files => {
            let list = ask
                .call("list_files", json!({ "dir": "res://", "recursive": true }))
                .await
                .unwrap_or_default();
            strings(&list["files"])
        }
        Candidates::NodePaths => {
            // A scene other than the edited one is read from its file, not opened.
            let tree = match scene_path {
                Some(scene) if !scene.is_empty() => crate::resources::scene_tree(ask, scene).await,
                _ => ask.call("get_scene_tree", json!({})).await,
            }
            .unwrap_or_default();
            let mut paths = Vec::new();
            node_paths(&tree["root"], &mut paths);
            paths
        }
    };
    let values = values
        .into_iter()
        .map(|v| {
            if relative {
                v.strip_prefix("res://").map(str::to_owned).unwrap_or(v)
            } else {
                v
            }
        })
        .collect();
    ranked(values, typed)
}

async fn classes(ask: &Ask, typed: &str) -> Vec<String> {
    if typed.trim().is_empty() {
        return COMMON_CLASSES.iter().map(|c| (*c).to_owned()).collect();
    }
    let found = ask
        .call("search_classes", json!({ "pattern": typed.trim() }))
        .await
        .unwrap_or_default();
    strings(&found["classes"])
}

async fn project_list(ask: &Ask, key: &str) -> Vec<String> {
    let info = ask
        .call("get_project_info", json!({}))
        .await
        .unwrap_or_default();
    strings(&info[key])
}

fn folder(path: &str) -> Option<String> {
    let (dir, _) = path.rsplit_once('/')?;
    (dir.len() > "res:/".len()).then(|| format!("{dir}/"))
}

/// The strings of a JSON array; anything else is none.
pub fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn node_paths(node: &Value, out: &mut Vec<String>) {
    if let Some(path) = node["path"].as_str() {
        out.push(path.to_owned());
    }
    for child in node["children"].as_array().into_iter().flatten() {
        node_paths(child, out);
    }
}

/// The values matching what was typed: those starting with it first, then
/// those containing it, case-insensitively, without repeats, at most 100.
fn ranked(values: Vec<String>, typed: &str) -> CompletionInfo {
    let typed = typed.trim().to_lowercase();
    let bare = typed.strip_prefix("res://").unwrap_or(&typed).to_owned();
    let key = |v: &str| {
        let v = v.to_lowercase();
        v.strip_prefix("res://").map(str::to_owned).unwrap_or(v)
    };
    let mut starts: Vec<String> = Vec::new();
    let mut contains: Vec<String> = Vec::new();
    for v in values {
        if starts.contains(&v) || contains.contains(&v) {
            continue;
        }
        let k = key(&v);
        if k.starts_with(&bare) {
            starts.push(v);
        } else if k.contains(&bare) {
            contains.push(v);
        }
    }
    starts.sort();
    contains.sort();
    starts.extend(contains);
    let total = starts.len();
    starts.truncate(CompletionInfo::MAX_VALUES);
    let has_more = total > starts.len();
    CompletionInfo::with_pagination(
        starts,
        Some(u32::try_from(total).unwrap_or(u32::MAX)),
        has_more,
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_starting_with_the_typed_text_come_first() {
        let values = vec![
            "res://enemy/player_ai.gd".to_owned(),
            "res://player.gd".to_owned(),
            "res://main.gd".to_owned(),
            "res://player.gd".to_owned(),
        ];
        let info = ranked(values.clone(), "res://PLA");
        assert_eq!(info.values, ["res://player.gd", "res://enemy/player_ai.gd"]);
        assert_eq!((info.total, info.has_more), (Some(2), Some(false)));
        assert_eq!(ranked(values, "").values.len(), 3);
        let many: Vec<String> = (0..150).map(|i| format!("n{i}")).collect();
        let info = ranked(many, "n");
        assert_eq!((info.values.len(), info.has_more), (100, Some(true)));
    }

    #[test]
    fn node_paths_come_from_the_whole_tree() {
        let tree = json!({"path": ".", "children": [
            {"path": "Player", "children": [{"path": "Player/Sprite"}]},
            {"path": "Camera"}
        ]});
        let mut out = Vec::new();
        node_paths(&tree, &mut out);
        assert_eq!(out, [".", "Player", "Player/Sprite", "Camera"]);
        assert_eq!(
            folder("res://levels/a.tscn").as_deref(),
            Some("res://levels/")
        );
        assert_eq!(folder("res://a.tscn"), None);
    }
}
