//! Reading a node's properties, finding nodes, and rearranging the tree:
//! duplicate, rename, move, instance scenes, groups.

use godot::classes::{Node, PackedScene, ResourceLoader, packed_scene::GenEditState};
use godot::prelude::*;
use godot_mcp_protocol::commands::tree::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, glob};

use super::node::scene_children;
use super::{
    Ctx, find_node, free_name, not_root, relative_path, scene_file, target_scene, undo::undo_action,
};
use crate::convert::{self, PropertyInfo};
use crate::saved::{self, Saved};

/// Properties worth seeing at a glance, by the class that has them, listed
/// by default even when unchanged.
const KEY_PROPERTIES: &[(&str, &[&str])] = &[
    ("Node2D", &["position", "rotation", "scale"]),
    ("Node3D", &["position", "rotation", "scale"]),
    ("Control", &["position", "size", "text"]),
    ("CanvasItem", &["visible"]),
    ("CollisionObject2D", &["collision_layer", "collision_mask"]),
    ("CollisionObject3D", &["collision_layer", "collision_mask"]),
    ("Area2D", &["monitoring"]),
    ("Area3D", &["monitoring"]),
    ("CollisionShape2D", &["shape", "disabled"]),
    ("CollisionShape3D", &["shape", "disabled"]),
    ("Sprite2D", &["texture"]),
    ("Sprite3D", &["texture"]),
    ("MeshInstance3D", &["mesh"]),
    ("Timer", &["wait_time", "one_shot", "autostart"]),
    ("AnimationPlayer", &["autoplay", "current_animation"]),
    ("AudioStreamPlayer", &["stream", "autoplay"]),
    ("AudioStreamPlayer2D", &["stream", "autoplay"]),
    ("AudioStreamPlayer3D", &["stream", "autoplay"]),
    ("Camera2D", &["enabled", "zoom"]),
    ("Camera3D", &["current", "fov"]),
];

pub fn get_node_properties(
    _: &mut Ctx,
    params: GetNodeProperties,
) -> Result<NodeProperties, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    let node_path = relative_path(&scene.root, &node);
    let object = node.clone().upcast::<Object>();
    let infos = convert::properties(&object);
    let changed = saved::changed_of(
        &object,
        &infos,
        &Saved::of_node(&scene.root, &node, &node_path),
    );
    let shown = infos.iter().filter(|p| p.is_shown()).count();
    let listed: Vec<PropertyInfo> = match &params.names {
        Some(names) => names
            .iter()
            .map(|n| convert::find_property(&object, n))
            .collect::<Result<_, _>>()?,
        None if params.all => infos.into_iter().filter(|p| p.is_shown()).collect(),
        None => {
            let key = |name: &str| {
                KEY_PROPERTIES
                    .iter()
                    .any(|(class, names)| names.contains(&name) && node.is_class(*class))
            };
            infos
                .into_iter()
                .filter(|p| changed.contains_key(&p.name) || (p.is_shown() && key(&p.name)))
                .collect()
        }
    };
    let class = node.get_class().to_string();
    let omitted = if params.names.is_none() && !params.all {
        shown.saturating_sub(listed.iter().filter(|p| p.is_shown()).count())
    } else {
        0
    };
    let properties = listed
        .into_iter()
        .map(|p| PropertyValue {
            changed: changed.contains_key(&p.name),
            kind: p.type_name(),
            value: convert::to_json(&object.get(&p.name)),
            default: params
                .all
                .then(|| convert::to_json(&convert::class_default(&class, &p.name))),
            name: p.name,
        })
        .collect();
    Ok(NodeProperties {
        scene_path: scene.path,
        node_path,
        class,
        properties,
        omitted,
        hint: (omitted > 0).then(|| {
            format!(
                "{omitted} unchanged properties left out: all: true lists them, names picks some"
            )
        }),
    })
}

pub fn duplicate_node(ctx: &mut Ctx, params: DuplicateNode) -> Result<NodePlaced, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    not_root(&scene.root, &node, "duplicated")?;
    let parent = match &params.parent {
        Some(p) => find_node(&scene.root, p)?,
        None => node.get_parent().expect("a non-root node has a parent"),
    };
    let name = params.name.map(String::from);
    if let Some(name) = &name {
        free_name(&scene.root, &parent, name)?;
    }
    let mut copy = node.duplicate_node();
    if let Some(name) = &name {
        copy.set_name(name);
    }
    // The copy's nodes belong to the scene where the original's did.
    let mut owned = Vec::new();
    pair_owned(&scene.root, &node, &copy, &mut owned);
    let mut undo = undo_action(&format!("duplicate {}", node.get_name()))?;
    undo.add_do_method(&parent, "add_child", vslice![copy.clone(), true]);
    if parent == node.get_parent().expect("a non-root node has a parent") {
        undo.add_do_method(
            &parent,
            "move_child",
            vslice![copy.clone(), node.get_index() + 1],
        );
    }
    for n in &owned {
        undo.add_do_method(n, "set_owner", vslice![scene.root.clone()]);
    }
    undo.add_do_reference(&copy);
    undo.add_undo_method(&parent, "remove_child", vslice![copy.clone()]);
    undo.commit(&mut ctx.journal);
    Ok(placed(scene.path, &scene.root, &copy))
}

/// The nodes of `copy` whose counterparts in `original` the scene owns.
fn pair_owned(root: &Gd<Node>, original: &Gd<Node>, copy: &Gd<Node>, out: &mut Vec<Gd<Node>>) {
    if original.get_owner().as_ref() == Some(root) || original == root {
        out.push(copy.clone());
    }
    for child in scene_children(root, original) {
        if let Some(twin) = copy.get_node_or_null(&child.get_name().to_string()) {
            pair_owned(root, &child, &twin, out);
        }
    }
}

pub fn rename_node(ctx: &mut Ctx, params: RenameNode) -> Result<NodePlaced, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    let name = String::from(params.new_name);
    let old = node.get_name();
    if old.to_string() != name
        && let Some(parent) = node.get_parent()
    {
        free_name(&scene.root, &parent, &name)?;
    }
    let mut undo = undo_action(&format!("rename {old} to {name}"))?;
    undo.add_do_method(&node, "set_name", vslice![GString::from(&name)]);
    undo.add_undo_method(&node, "set_name", vslice![old]);
    undo.commit(&mut ctx.journal);
    Ok(placed(scene.path, &scene.root, &node))
}

pub fn move_node(ctx: &mut Ctx, params: MoveNode) -> Result<NodePlaced, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    not_root(&scene.root, &node, "moved")?;
    let target = find_node(&scene.root, &params.new_parent)?;
    if target == node || node.is_ancestor_of(&target) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            "a node cannot move under itself or its descendants",
        )
        .with_hint("choose a parent outside the node's subtree"));
    }
    let parent = node.get_parent().expect("a non-root node has a parent");
    let same_parent = parent == target;
    if !same_parent {
        free_name(&scene.root, &target, &node.get_name().to_string())?;
    }
    let keep = params.keep_global_transform;
    let old_index = node.get_index();
    let mut undo = undo_action(&format!("move {}", node.get_name()))?;
    if !same_parent {
        undo.add_do_method(&node, "reparent", vslice![target.clone(), keep]);
    }
    let last = target.get_child_count() - i32::from(same_parent);
    let index = params.index.map_or(last, |i| i.clamp(0, last.max(0)));
    undo.add_do_method(&target, "move_child", vslice![node.clone(), index]);
    if !same_parent {
        undo.add_undo_method(&node, "reparent", vslice![parent.clone(), keep]);
    }
    undo.add_undo_method(&parent, "move_child", vslice![node.clone(), old_index]);
    undo.commit(&mut ctx.journal);
    Ok(placed(scene.path, &scene.root, &node))
}

pub fn find_nodes(_: &mut Ctx, params: FindNodes) -> Result<FoundNodes, ErrorBody> {
    if let Some(pattern) = &params.name_pattern
        && pattern.chars().count() > MAX_PATTERN_CHARS
    {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!(
                "name_pattern has {} characters, at most {MAX_PATTERN_CHARS} are allowed",
                pattern.chars().count()
            ),
        )
        .with_hint("use a shorter pattern with * and ?"));
    }
    let scene = target_scene(params.scene_path.as_deref())?;
    let mut nodes = Vec::new();
    let mut visit = vec![scene.root.clone()];
    while let Some(node) = visit.pop() {
        let wanted = params
            .name_pattern
            .as_deref()
            .is_none_or(|p| glob::matches(p, &node.get_name().to_string()))
            && params.class.as_deref().is_none_or(|c| node.is_class(c))
            && params.group.as_deref().is_none_or(|g| node.is_in_group(g));
        if wanted {
            nodes.push(FoundNode {
                path: relative_path(&scene.root, &node),
                class: node.get_class().to_string(),
            });
        }
        let mut children = scene_children(&scene.root, &node);
        children.reverse();
        visit.extend(children);
    }
    Ok(FoundNodes {
        scene_path: scene.path,
        nodes,
    })
}

pub fn instantiate_scene(ctx: &mut Ctx, params: InstantiateScene) -> Result<NodePlaced, ErrorBody> {
    let file = scene_file(&params.scene_file)?;
    let scene = target_scene(params.scene_path.as_deref())?;
    if file == scene.path {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("{file} cannot be instanced inside itself"),
        )
        .with_hint("instance it in another scene"));
    }
    let parent = find_node(&scene.root, &params.parent)?;
    let name = params.name.map(String::from);
    if let Some(name) = &name {
        free_name(&scene.root, &parent, name)?;
    }
    let mut instance = ResourceLoader::singleton()
        .load_ex(&file)
        .type_hint("PackedScene")
        .done()
        .and_then(|r| r.try_cast::<PackedScene>().ok())
        .and_then(|p| p.instantiate_ex().edit_state(GenEditState::INSTANCE).done())
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::GodotError,
                format!("{file} could not be instanced"),
            )
            .with_hint("open it with open_scene to see what is wrong with it")
        })?;
    instance.set_scene_file_path(&file);
    if let Some(name) = &name {
        instance.set_name(name);
    }
    let mut undo = undo_action(&format!("instance {file}"))?;
    undo.add_new_child(&parent, &instance, &scene.root);
    undo.commit(&mut ctx.journal);
    Ok(placed(scene.path, &scene.root, &instance))
}

pub fn add_to_group(ctx: &mut Ctx, params: AddToGroup) -> Result<NodeGroups, ErrorBody> {
    change_group(
        &mut ctx.journal,
        params.scene_path.as_deref(),
        &params.node_path,
        &params.group,
        true,
    )
}

pub fn remove_from_group(ctx: &mut Ctx, params: RemoveFromGroup) -> Result<NodeGroups, ErrorBody> {
    change_group(
        &mut ctx.journal,
        params.scene_path.as_deref(),
        &params.node_path,
        &params.group,
        false,
    )
}

fn change_group(
    journal: &mut super::undo::Journal,
    scene_path: Option<&str>,
    node_path: &str,
    group: &str,
    add: bool,
) -> Result<NodeGroups, ErrorBody> {
    let scene = target_scene(scene_path)?;
    let node = find_node(&scene.root, node_path)?;
    let group = group.trim();
    if group.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "the group name is empty")
                .with_hint("pass a group name such as enemies"),
        );
    }
    let member = node.is_in_group(group);
    if member == add {
        let (code, why) = if add {
            (ErrorCode::AlreadyExists, "is already in")
        } else {
            (ErrorCode::InvalidOperation, "is not in")
        };
        return Err(ErrorBody::new(
            code,
            format!(
                "{} {why} group {group:?}",
                relative_path(&scene.root, &node)
            ),
        )
        .with_hint("get_scene_tree lists each node's groups"));
    }
    let group_name = StringName::from(group);
    let (verb, join, leave) = if add {
        ("add", "add_to_group", "remove_from_group")
    } else {
        ("remove", "remove_from_group", "add_to_group")
    };
    let mut undo = undo_action(&format!("{verb} {} group {group}", node.get_name()))?;
    let args = |method: &str| -> Vec<Variant> {
        if method == "add_to_group" {
            vec![group_name.to_variant(), true.to_variant()]
        } else {
            vec![group_name.to_variant()]
        }
    };
    undo.add_do_method(&node, join, &args(join));
    undo.add_undo_method(&node, leave, &args(leave));
    undo.commit(journal);
    Ok(NodeGroups {
        scene_path: scene.path,
        node_path: relative_path(&scene.root, &node),
        groups: super::node::visible_groups(&node.get_groups()).collect(),
    })
}

fn placed(scene_path: String, root: &Gd<Node>, node: &Gd<Node>) -> NodePlaced {
    NodePlaced {
        scene_path,
        node_path: relative_path(root, node),
        index: node.get_index(),
    }
}
