//! Adding, editing and removing nodes, each as one undoable editor action,
//! and the node helpers other handlers share.

use godot::classes::{ClassDb, Node};
use godot::prelude::*;
use godot_mcp_protocol::commands::Properties;
use godot_mcp_protocol::commands::node::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

use super::{Ctx, find_node, free_name, not_root, relative_path, target_scene, undo::undo_action};
use crate::convert;

pub fn add_node(ctx: &mut Ctx, params: AddNode) -> Result<NodeAdded, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let parent = find_node(&scene.root, &params.parent)?;
    let name = String::from(params.name);
    free_name(&scene.root, &parent, &name)?;
    let mut node = instantiate_node(&params.class)?;
    node.set_name(&name);
    // Convert everything before touching the scene, so a bad value changes nothing.
    let values = match convert::to_variants(&node.clone().upcast(), &params.properties) {
        Ok(v) => v,
        Err(e) => {
            node.free();
            return Err(e);
        }
    };
    for (property, value) in &values {
        node.set(property.as_str(), value);
    }
    let mut undo = undo_action(&format!("add {name}"))?;
    undo.add_new_child(&parent, &node, &scene.root);
    undo.commit(&mut ctx.journal);
    Ok(NodeAdded {
        scene_path: scene.path,
        node_path: relative_path(&scene.root, &node),
        class: node.get_class().to_string(),
        properties: read_back(&node, values.iter().map(|(k, _)| k)),
    })
}

pub fn edit_node(ctx: &mut Ctx, params: EditNode) -> Result<NodeEdited, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    let mut values = convert::to_variants(&node.clone().upcast(), &params.properties)?;
    let preset = layout_preset(&node, &mut values);
    let previous = read_back(&node, values.iter().map(|(k, _)| k));
    let mut undo = undo_action(&format!("edit {}", node.get_name()))?;
    for (property, value) in &values {
        undo.add_do_property(&node, property.as_str(), value);
        undo.add_undo_property(&node, property.as_str(), &node.get(property.as_str()));
    }
    if preset {
        // A preset moves anchors and offsets; undo puts each one back.
        for property in LAYOUT {
            undo.add_undo_property(&node, property, &node.get(property));
        }
    }
    undo.commit(&mut ctx.journal);
    Ok(NodeEdited {
        scene_path: scene.path,
        node_path: relative_path(&scene.root, &node),
        properties: read_back(&node, values.iter().map(|(k, _)| k)),
        previous,
    })
}

pub fn remove_node(ctx: &mut Ctx, params: RemoveNode) -> Result<NodeRemoved, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    not_root(&scene.root, &node, "removed")?;
    let parent = node
        .get_parent()
        .ok_or_else(|| ErrorBody::new(ErrorCode::InternalError, "the node has no parent"))?;
    let node_path = relative_path(&scene.root, &node);
    let removed = count_nodes(&scene.root, &node);
    // Leaving the tree clears owners; undo must give them back.
    let mut owned = Vec::new();
    collect_owned(&scene.root, &node, &mut owned);
    let mut undo = undo_action(&format!("remove {}", node.get_name()))?;
    undo.add_do_method(&parent, "remove_child", vslice![node.clone()]);
    undo.add_undo_method(&parent, "add_child", vslice![node.clone(), true]);
    undo.add_undo_method(
        &parent,
        "move_child",
        vslice![node.clone(), node.get_index()],
    );
    for n in &owned {
        undo.add_undo_method(n, "set_owner", vslice![scene.root.clone()]);
    }
    undo.add_undo_reference(&node);
    undo.commit(&mut ctx.journal);
    Ok(NodeRemoved {
        scene_path: scene.path,
        node_path,
        removed,
    })
}

/// What a layout preset changes, in the order undo restores it.
const LAYOUT: [&str; 9] = [
    "layout_mode",
    "anchor_left",
    "anchor_top",
    "anchor_right",
    "anchor_bottom",
    "offset_left",
    "offset_top",
    "offset_right",
    "offset_bottom",
];

/// Makes `anchors_preset` (e.g. `full_rect`) act as the editor's layout
/// menu: Godot ignores a preset on a Control in position mode, so the
/// editor switches it to anchors mode first, and so does this. Returns
/// whether a preset is set.
fn layout_preset(node: &Gd<Node>, values: &mut Vec<(String, Variant)>) -> bool {
    let Some(at) = values.iter().position(|(k, _)| k == "anchors_preset") else {
        return false;
    };
    if !node.is_class("Control") {
        return false;
    }
    match values.iter().position(|(k, _)| k == "layout_mode") {
        Some(mode) if mode > at => {
            let mode = values.remove(mode);
            values.insert(at, mode);
        }
        Some(_) => {}
        // Position mode (0) is the one that ignores presets.
        None if node.get("layout_mode").try_to::<i64>().ok() == Some(0) => {
            values.insert(at, ("layout_mode".into(), 1.to_variant()));
        }
        None => {}
    }
    true
}

fn collect_owned(root: &Gd<Node>, node: &Gd<Node>, out: &mut Vec<Gd<Node>>) {
    if node.get_owner().as_ref() == Some(root) {
        out.push(node.clone());
    }
    for child in node.get_children().iter_shared() {
        collect_owned(root, &child, out);
    }
}

fn read_back<'a>(node: &Gd<Node>, names: impl Iterator<Item = &'a String>) -> Properties {
    names
        .map(|n| (n.clone(), convert::to_json(&node.get(n.as_str()))))
        .collect::<serde_json::Map<String, Value>>()
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
pub(super) fn visible_groups(groups: &Array<StringName>) -> impl Iterator<Item = String> + '_ {
    groups
        .iter_shared()
        .map(|g| g.to_string())
        .filter(|g| !g.starts_with('_'))
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
