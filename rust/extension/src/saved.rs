//! What Godot saves for each node, named the way an agent sets it.
//!
//! "Changed" means what the editor writes into the scene file, so the scene
//! is packed the way the editor packs it to save (`PackedScene::pack`), which
//! weighs every stored property against the class's, the script's and the
//! instanced scene's defaults. Godot stores a few properties under composite
//! names the inspector does not show (a `Node3D`'s `transform`, a
//! `Control`'s `offset_*` and `anchor_*`); those are reported through the
//! inspector's own names (`position`, `rotation`, `scale`, `size`), whose
//! values `edit_node` takes back unchanged.

use std::collections::HashMap;

use godot::builtin::Side;
use godot::builtin::math::ApproxEq;
use godot::classes::{Control, Node, PackedScene};
use godot::prelude::*;
use godot_mcp_protocol::stored;
use serde_json::{Map, Value};

use crate::convert::{self, PropertyInfo};

/// The saved property names of every node of one scene, by node path from
/// the scene root (`.` for the root, as `get_scene_tree` writes paths).
#[derive(Default)]
pub struct Saved {
    by_path: HashMap<String, Vec<String>>,
}

impl Saved {
    /// Packs the scene under `root` as saving would, keeping only the names.
    pub fn of_scene(root: &Gd<Node>) -> Saved {
        let mut packed = PackedScene::new_gd();
        let mut saved = Saved::default();
        if packed.pack(root) != godot::global::Error::OK {
            return saved;
        }
        let Some(state) = packed.get_state() else {
            return saved;
        };
        for node in 0..state.get_node_count() {
            let path = state.get_node_path(node).to_string();
            let path = match path.strip_prefix("./") {
                Some(rest) => rest.to_owned(),
                None => path,
            };
            let names = (0..state.get_node_property_count(node))
                .map(|p| state.get_node_property_name(node, p).to_string())
                .collect();
            saved.by_path.insert(path, names);
        }
        saved
    }

    /// The names saved for one node of the scene under `root`. A node of
    /// the scene's own that is no instance is packed alone (packing skips
    /// what it does not own, and weighs such a node against the same
    /// defaults either way); any other is looked up in the whole scene.
    pub fn of_node(root: &Gd<Node>, node: &Gd<Node>, path: &str) -> Vec<String> {
        let own = node != root
            && node.get_owner().as_ref() == Some(root)
            && node.get_scene_file_path().is_empty()
            && !inherits(root);
        let (packed, key) = if own {
            (Saved::of_scene(node), ".")
        } else {
            (Saved::of_scene(root), path)
        };
        packed.names(key).to_vec()
    }

    /// The names saved for the node at `path` (none for a node of an
    /// instanced scene that this scene does not override).
    pub fn names(&self, path: &str) -> &[String] {
        self.by_path.get(path).map_or(&[], Vec::as_slice)
    }
}

/// Whether the scene under `root` inherits another, whose nodes its own
/// then are, weighed against the base scene: its file's root node is an
/// instance. Only the header is read.
fn inherits(root: &Gd<Node>) -> bool {
    use std::io::BufRead;
    let path = root.get_scene_file_path().to_string();
    if path.is_empty() {
        return false;
    }
    let file = godot::classes::ProjectSettings::singleton().globalize_path(&path);
    let Ok(file) = std::fs::File::open(file.to_string()) else {
        return false;
    };
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("[node "))
        .is_some_and(|l| l.contains(" instance=") && !l.contains(" parent="))
}

/// The node's saved properties with their current values, by inspector name.
pub fn changed(node: &Gd<Node>, saved: &[String]) -> Map<String, Value> {
    let object = node.clone().upcast::<Object>();
    let infos = convert::properties(&object);
    changed_of(&object, &infos, saved)
}

/// [`changed`] for a property list already read.
pub fn changed_of(
    object: &Gd<Object>,
    infos: &[PropertyInfo],
    saved: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut composite = Vec::new();
    let mut twins: Vec<&str> = Vec::new();
    for name in saved.iter().filter(|n| *n != "script") {
        let shown = infos
            .iter()
            .find(|p| &p.name == name)
            .is_some_and(PropertyInfo::is_shown);
        match stored::composite(name) {
            Some(c) if !shown => {
                composite.push(name);
                for shown in c.shown {
                    if !twins.contains(shown) {
                        twins.push(shown);
                    }
                }
            }
            _ => {
                out.insert(name.clone(), convert::to_json(&object.get(name)));
            }
        }
    }
    if composite.is_empty() {
        return out;
    }
    // The inspector's names for a composite are computed from it: report
    // whichever of them are shown and differ from the class default.
    let class = object.get_class().to_string();
    let before = out.len();
    for p in infos
        .iter()
        .filter(|p| p.is_shown() && twins.contains(&p.name.as_str()))
    {
        let value = object.get(&p.name);
        let stored = stored_rect(object, &p.name).unwrap_or_else(|| value.clone());
        if differs(&stored, &convert::class_default(&class, &p.name)) {
            out.insert(p.name.clone(), convert::to_json(&value));
        }
    }
    if out.len() == before {
        // Nothing shown stands for it: say what Godot saved.
        for name in composite {
            out.insert(name.clone(), convert::to_json(&object.get(name)));
        }
    }
    out
}

/// A control's `position` or `size` as its saved anchors and offsets make
/// it, before the control grows to its minimum size: whether the scene
/// saves a size is a matter of the offsets, not of the text inside.
fn stored_rect(object: &Gd<Object>, name: &str) -> Option<Variant> {
    let control = object.clone().try_cast::<Control>().ok()?;
    let area = control.get_parent_area_size();
    let edge = |side: Side| {
        let span = match side {
            Side::LEFT | Side::RIGHT => area.x,
            _ => area.y,
        };
        control.get_offset(side) + control.get_anchor(side) * span
    };
    let begin = Vector2::new(edge(Side::LEFT), edge(Side::TOP));
    match name {
        "position" => Some(begin.to_variant()),
        "size" => Some((Vector2::new(edge(Side::RIGHT), edge(Side::BOTTOM)) - begin).to_variant()),
        _ => None,
    }
}

/// Whether two values differ beyond float rounding, the way the inspector
/// and the scene saver tell a changed value from a default.
pub fn differs(a: &Variant, b: &Variant) -> bool {
    fn approx<T: FromGodot + ApproxEq>(a: &Variant, b: &Variant) -> Option<bool> {
        Some(!a.try_to::<T>().ok()?.approx_eq(&b.try_to::<T>().ok()?))
    }
    if a.get_type() != b.get_type() {
        return a != b;
    }
    let approximate = match a.get_type() {
        VariantType::FLOAT => approx::<f64>(a, b),
        VariantType::VECTOR2 => approx::<Vector2>(a, b),
        VariantType::VECTOR3 => approx::<Vector3>(a, b),
        VariantType::VECTOR4 => approx::<Vector4>(a, b),
        VariantType::COLOR => approx::<Color>(a, b),
        VariantType::QUATERNION => approx::<Quaternion>(a, b),
        VariantType::RECT2 => approx::<Rect2>(a, b),
        VariantType::BASIS => approx::<Basis>(a, b),
        VariantType::TRANSFORM2D => approx::<Transform2D>(a, b),
        VariantType::TRANSFORM3D => approx::<Transform3D>(a, b),
        _ => None,
    };
    approximate.unwrap_or_else(|| a != b)
}
