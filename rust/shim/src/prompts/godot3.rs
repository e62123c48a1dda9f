//! Godot 3 names that Godot 4 renamed or removed, found in script text.
//!
//! A table of what Godot's own project converter and its migration guide
//! cover most often in scripts; each hit says the line and the Godot 4 form.

/// (Godot 3 text, Godot 4 replacement). Matched as whole identifiers, so
/// `Spatial` does not match `SpatialMaterial`'s own entry twice.
pub const RENAMES: &[(&str, &str)] = &[
    ("yield(", "await (signals: `await obj.signal_name`)"),
    ("export var", "@export var"),
    (
        "export(",
        "@export with a typed var (e.g. `@export var x: int`)",
    ),
    ("onready var", "@onready var"),
    ("tool", "@tool (first line)"),
    (
        "setget",
        "property syntax: `var x: set = _set_x, get = _get_x`",
    ),
    (".instance()", ".instantiate()"),
    ("PackedScene.instance", "PackedScene.instantiate"),
    ("KinematicBody2D", "CharacterBody2D"),
    ("KinematicBody", "CharacterBody3D"),
    ("Spatial", "Node3D"),
    ("SpatialMaterial", "StandardMaterial3D"),
    ("MeshInstance", "MeshInstance3D"),
    ("CollisionShape", "CollisionShape3D"),
    ("Camera", "Camera3D"),
    ("RigidBody", "RigidBody3D"),
    ("StaticBody", "StaticBody3D"),
    ("Area", "Area3D"),
    ("Position2D", "Marker2D"),
    ("Position3D", "Marker3D"),
    ("Navigation2D", "NavigationRegion2D / NavigationServer2D"),
    ("TileMap", "TileMapLayer (one node per layer)"),
    ("YSort", "Node2D with y_sort_enabled"),
    ("VisibilityNotifier2D", "VisibleOnScreenNotifier2D"),
    (
        "Tween.interpolate_property",
        "create_tween().tween_property",
    ),
    ("PoolStringArray", "PackedStringArray"),
    ("PoolIntArray", "PackedInt32Array"),
    ("PoolRealArray", "PackedFloat32Array"),
    ("PoolVector2Array", "PackedVector2Array"),
    ("PoolByteArray", "PackedByteArray"),
    ("rand_range(", "randf_range( / randi_range("),
    ("deg2rad(", "deg_to_rad("),
    ("rad2deg(", "rad_to_deg("),
    ("stepify(", "snapped("),
    ("range_lerp(", "remap("),
    ("funcref(", "Callable(obj, \"method\")"),
    ("OS.get_ticks_msec", "Time.get_ticks_msec"),
    (
        "OS.window_size",
        "get_window().size / DisplayServer.window_get_size()",
    ),
    (
        "get_tree().change_scene(",
        "get_tree().change_scene_to_file(",
    ),
    ("is_network_master", "is_multiplayer_authority"),
    (
        "move_and_slide(",
        "move_and_slide() with the body's velocity property (no arguments)",
    ),
    ("BUTTON_LEFT", "MOUSE_BUTTON_LEFT"),
    ("KEY_CONTROL", "KEY_CTRL"),
    ("linear_interpolate(", "lerp("),
    ("update()", "queue_redraw() (for CanvasItem redraws)"),
    ("str2var(", "str_to_var("),
    ("var2str(", "var_to_str("),
    ("to_json(", "JSON.stringify("),
    ("parse_json(", "JSON.parse_string("),
];

/// A Godot 3 name found on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub line: usize,
    pub old: &'static str,
    pub new: &'static str,
    pub text: String,
}

/// The Godot 3 names in a script, line by line; comments are skipped.
pub fn scan(source: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split('#').next().unwrap_or_default();
        for (old, new) in RENAMES {
            if !contains_word(code, old) {
                continue;
            }
            // `tool` only as the keyword on its own line.
            if *old == "tool" && code.trim() != "tool" {
                continue;
            }
            hits.push(Hit {
                line: i + 1,
                old,
                new,
                text: line.trim().to_owned(),
            });
        }
    }
    hits
}

/// `needle` in `code` with no identifier character glued to either end.
fn contains_word(code: &str, needle: &str) -> bool {
    // `@` too, so `@export var` is not taken for `export var`.
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '@';
    code.match_indices(needle).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + needle.len()..].chars().next();
        let starts_ident = needle.chars().next().is_some_and(ident);
        let ends_ident = needle.chars().next_back().is_some_and(ident);
        let glued_before = starts_ident && before.is_some_and(ident);
        let glued_after = ends_ident && after.is_some_and(ident);
        !glued_before && !glued_after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn godot3_names_are_found_with_their_replacements() {
        let source = "tool\nextends KinematicBody2D\nexport var speed = 200\n\
                      onready var sprite = $Sprite # Spatial in a comment\n\
                      func _ready():\n\tyield(get_tree(), \"idle_frame\")\n\
                      \tvar s = SpatialMaterial.new()\n\tvar n = Node3D.new()\n";
        let hits: Vec<(usize, &str)> = scan(source).iter().map(|h| (h.line, h.old)).collect();
        assert_eq!(
            hits,
            [
                (1, "tool"),
                (2, "KinematicBody2D"),
                (3, "export var"),
                (4, "onready var"),
                (6, "yield("),
                (7, "SpatialMaterial"),
            ]
        );
        assert!(scan("@tool\nextends CharacterBody2D\n@export var area = 3\n").is_empty());
    }
}
