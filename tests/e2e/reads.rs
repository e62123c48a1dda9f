//! Reads tell the truth: what `get_scene_tree` and `get_node_properties`
//! call changed is exactly what Godot writes into the scene file, under the
//! names `edit_node` takes, and an offline read of the saved file says the
//! same as the live editor.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;

use godot_mcp_e2e::{Mcp, TestResult, free_port};
use godot_mcp_protocol::{discovery, stored};
use godot_mcp_tscn::Scene;
use serde_json::{Value, json};

use crate::foundation::{F, ok, test_fn};
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        ("reads_report_exactly_what_godot_saves", saves),
        ("reads_default_listing_is_short", listing),
    ];
    F::run_tests("reads", suite, filter, tests).await;
}

const SCENE: &str = "res://truth/world.tscn";

/// `(parent, class, name, properties)` of every node the scene gets, 2D,
/// 3D and UI, each with a few properties set through MCP.
fn nodes() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    vec![
        // 2D
        (
            ".",
            "Node2D",
            "Level2D",
            json!({"position": [10, 20], "rotation": 0.25}),
        ),
        (
            "Level2D",
            "Sprite2D",
            "Sprite",
            json!({"position": [5, 5], "flip_h": true, "modulate": "#ff000080"}),
        ),
        (
            "Level2D",
            "CharacterBody2D",
            "Player2D",
            json!({"position": [100, 50], "floor_max_angle": 0.9}),
        ),
        (
            "Level2D/Player2D",
            "CollisionShape2D",
            "Shape",
            json!({"shape": {"type": "RectangleShape2D", "size": [16, 32]}}),
        ),
        (
            "Level2D",
            "Area2D",
            "Coin",
            json!({"monitoring": false, "collision_layer": 4}),
        ),
        (
            "Level2D/Coin",
            "CollisionShape2D",
            "CoinShape",
            json!({"shape": {"type": "CircleShape2D", "radius": 6}}),
        ),
        (
            "Level2D",
            "StaticBody2D",
            "Floor",
            json!({"position": [0, 300]}),
        ),
        (
            "Level2D",
            "RigidBody2D",
            "Crate",
            json!({"mass": 3.5, "gravity_scale": 0.5}),
        ),
        (
            "Level2D",
            "Camera2D",
            "Cam2D",
            json!({"zoom": [2, 2], "position_smoothing_enabled": true}),
        ),
        (
            "Level2D",
            "Line2D",
            "Line",
            json!({"points": "PackedVector2Array(0, 0, 10, 10)", "width": 3}),
        ),
        (
            "Level2D",
            "Polygon2D",
            "Poly",
            json!({"polygon": "PackedVector2Array(0, 0, 10, 0, 10, 10)", "color": "#00ff00"}),
        ),
        (
            "Level2D",
            "Marker2D",
            "Spawn",
            json!({"position": [1, 2], "gizmo_extents": 20}),
        ),
        (
            "Level2D",
            "PointLight2D",
            "Lamp2D",
            json!({"energy": 2, "color": "#ffffaa"}),
        ),
        (
            "Level2D",
            "GPUParticles2D",
            "Sparks",
            json!({"amount": 16, "lifetime": 2.5}),
        ),
        (
            "Level2D",
            "CPUParticles2D",
            "Dust",
            json!({"amount": 8, "emitting": false}),
        ),
        (
            "Level2D",
            "AnimatedSprite2D",
            "Anim",
            json!({"speed_scale": 2, "flip_v": true}),
        ),
        (
            "Level2D",
            "RayCast2D",
            "Ray",
            json!({"target_position": [0, 100]}),
        ),
        // Scripts: an exported variable at its default is not a change.
        (
            "Level2D",
            "CharacterBody2D",
            "Scripted",
            json!({"script": "res://scripts/player.gd", "position": [7, 7]}),
        ),
        (
            ".",
            "Timer",
            "Clock",
            json!({"wait_time": 2.5, "autostart": true, "one_shot": true}),
        ),
        (
            ".",
            "AudioStreamPlayer",
            "Music",
            json!({"volume_db": -6, "pitch_scale": 1.5}),
        ),
        (
            "Level2D",
            "AudioStreamPlayer2D",
            "Sfx2D",
            json!({"max_distance": 500}),
        ),
        (
            ".",
            "AnimationPlayer",
            "Animator",
            json!({"speed_scale": 2}),
        ),
        // 3D
        (".", "Node3D", "Level3D", json!({"position": [9, 1, 2]})),
        (
            "Level3D",
            "MeshInstance3D",
            "Box",
            json!({"position": [1, 2, 3], "rotation": [0, 0.5, 0], "scale": [2, 2, 2], "mesh": {"type": "BoxMesh", "size": [1, 2, 1]}}),
        ),
        (
            "Level3D",
            "Camera3D",
            "Cam3D",
            json!({"position": [0, 5, 10], "fov": 60}),
        ),
        (
            "Level3D",
            "DirectionalLight3D",
            "Sun",
            json!({"rotation": [-0.8, 0.3, 0], "light_energy": 1.5, "shadow_enabled": true}),
        ),
        (
            "Level3D",
            "OmniLight3D",
            "Bulb",
            json!({"position": [0, 3, 0], "omni_range": 7, "light_color": "#ffaa00"}),
        ),
        ("Level3D", "SpotLight3D", "Spot", json!({"spot_angle": 30})),
        (
            "Level3D",
            "CharacterBody3D",
            "Hero3D",
            json!({"position": [0, 1, 0]}),
        ),
        (
            "Level3D/Hero3D",
            "CollisionShape3D",
            "HeroShape",
            json!({"shape": {"type": "CapsuleShape3D", "radius": 0.4, "height": 1.8}}),
        ),
        ("Level3D", "Area3D", "Zone", json!({"monitorable": false})),
        ("Level3D", "RigidBody3D", "Ball", json!({"mass": 2})),
        ("Level3D", "GPUParticles3D", "Smoke", json!({"amount": 32})),
        (
            "Level3D",
            "AudioStreamPlayer3D",
            "Sfx3D",
            json!({"unit_size": 5}),
        ),
        (
            "Level3D",
            "Sprite3D",
            "Billboard",
            json!({"pixel_size": 0.02, "billboard": 1}),
        ),
        (
            "Level3D",
            "WorldEnvironment",
            "Env",
            json!({"environment": {"type": "Environment", "background_mode": 1}}),
        ),
        // UI
        (".", "Control", "HUD", json!({"anchors_preset": 15})),
        (
            "HUD",
            "Label",
            "Score",
            json!({"text": "Score: 0", "position": [20, 20], "horizontal_alignment": 1}),
        ),
        (
            "HUD",
            "Button",
            "Start",
            json!({"text": "Start", "position": [500, 300], "size": [160, 48], "flat": true}),
        ),
        (
            "HUD",
            "VBoxContainer",
            "Menu",
            json!({"position": [40, 200], "theme_override_constants/separation": 12}),
        ),
        ("HUD/Menu", "Button", "Play", json!({"text": "Play"})),
        (
            "HUD/Menu",
            "CheckBox",
            "Sound",
            json!({"text": "Sound", "button_pressed": true}),
        ),
        (
            "HUD",
            "ProgressBar",
            "Health",
            json!({"value": 75, "position": [20, 60], "size": [200, 20]}),
        ),
        (
            "HUD",
            "LineEdit",
            "Name",
            json!({"placeholder_text": "Your name", "max_length": 12}),
        ),
        (
            "HUD",
            "ColorRect",
            "Tint",
            json!({"color": "#00000080", "size": [100, 100]}),
        ),
        (
            "HUD",
            "RichTextLabel",
            "Log",
            json!({"bbcode_enabled": true, "text": "[b]hi[/b]", "fit_content": true}),
        ),
        (
            "HUD",
            "HSlider",
            "Volume",
            json!({"max_value": 80, "value": 40}),
        ),
    ]
}

/// Builds the scene through MCP once, saves it, and returns Godot's file.
async fn build(f: &F) -> Result<String, String> {
    if let Ok(text) = f.file(SCENE) {
        return Ok(text);
    }
    f.call_ok(
        "create_scene",
        json!({"scene_path": SCENE, "root_type": "Node", "root_name": "World"}),
    )
    .await?;
    for (parent, class, name, properties) in nodes() {
        f.call_ok(
            "add_node",
            json!({"parent": parent, "type": class, "name": name, "properties": properties}),
        )
        .await?;
    }
    // An instanced scene with an overridden script variable, and one without.
    for (name, props) in [
        ("Hero", json!({"speed": 300.0, "position": [64, 64]})),
        ("Plain", json!({})),
    ] {
        f.call_ok(
            "instantiate_scene",
            json!({"scene_path": SCENE, "scene_file": "res://scenes/player.tscn", "parent": "Level2D", "name": name}),
        )
        .await?;
        if !props.as_object().is_some_and(|m| m.is_empty()) {
            f.call_ok(
                "edit_node",
                json!({"node_path": format!("Level2D/{name}"), "properties": props}),
            )
            .await?;
        }
    }
    f.call_ok("save_scene", json!({})).await?;
    f.file(SCENE)
}

/// Per node path: its class and the names Godot saved (script aside).
fn saved_by_godot(text: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let scene = Scene::parse(text).map_err(|e| e.to_string())?;
    Ok(scene
        .nodes()
        .into_iter()
        .map(|n| {
            let names = scene.document().sections()[n.section]
                .entries()
                .iter()
                .map(|e| e.key().to_owned())
                .filter(|k| k != "script")
                .collect();
            (n.path, names)
        })
        .collect())
}

/// Every node of a `get_scene_tree` answer: path -> (class, properties).
fn flatten(node: &Value, out: &mut BTreeMap<String, (String, serde_json::Map<String, Value>)>) {
    let props = node["properties"].as_object().cloned().unwrap_or_default();
    out.insert(
        node["path"].as_str().unwrap_or_default().to_owned(),
        (node["type"].as_str().unwrap_or_default().to_owned(), props),
    );
    for child in node["children"].as_array().into_iter().flatten() {
        flatten(child, out);
    }
}

/// Whether `reported` names exactly what Godot `saved`: every saved name
/// is there (a composite through at least one of its shown names), and
/// nothing else is.
fn agrees(saved: &BTreeSet<String>, reported: &BTreeSet<String>) -> Result<(), String> {
    for s in saved {
        let found = reported.contains(s)
            || stored::composite(s).is_some_and(|c| c.shown.iter().any(|n| reported.contains(*n)));
        ensure!(found, "saved {s:?} is not reported (reported {reported:?})");
    }
    for r in reported {
        let from_saved = saved.contains(r)
            || saved
                .iter()
                .any(|s| stored::composite(s).is_some_and(|c| c.shown.contains(&r.as_str())));
        ensure!(
            from_saved,
            "{r:?} reported changed but Godot did not save it (saved {saved:?})"
        );
    }
    Ok(())
}

/// Equal, numbers within float rounding (texts compared number by number).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => close(x.as_f64(), y.as_f64()),
        (Value::String(x), Value::String(y)) => same_text(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}

/// `Vector3(0, 0.5, 0)` against `Vector3(0, 0.50000006, 0)`: the same
/// words, numbers within rounding.
fn same_text(a: &str, b: &str) -> bool {
    fn parts(s: &str) -> Vec<Result<f64, String>> {
        let mut out = Vec::new();
        let mut word = String::new();
        for piece in s.split_inclusive(|c: char| "(), ".contains(c)) {
            let (token, sep) =
                piece.split_at(piece.len() - piece.ends_with(['(', ')', ',', ' ']) as usize);
            match token.parse::<f64>() {
                Ok(n) if !token.is_empty() => {
                    out.push(Err(std::mem::take(&mut word)));
                    out.push(Ok(n));
                    word.push_str(sep);
                }
                _ => word.push_str(piece),
            }
        }
        out.push(Err(word));
        out
    }
    let (pa, pb) = (parts(a), parts(b));
    pa.len() == pb.len()
        && pa.iter().zip(&pb).all(|(x, y)| match (x, y) {
            (Ok(x), Ok(y)) => close(Some(*x), Some(*y)),
            (Err(x), Err(y)) => x == y,
            _ => false,
        })
}

test_fn!(saves, |f| {
    let text = build(f).await?;
    let saved = saved_by_godot(&text)?;
    let tree = ok(f
        .call(
            "get_scene_tree",
            json!({"scene_path": SCENE, "include_properties": true}),
        )
        .await)?;
    let mut live = BTreeMap::new();
    flatten(&tree["root"], &mut live);
    ensure!(
        live.len() >= 30,
        "{} nodes listed, expected the whole scene",
        live.len()
    );
    let mut classes = BTreeSet::new();
    let mut checked = 0;
    for (path, (class, props)) in &live {
        let names: BTreeSet<String> = props.keys().cloned().collect();
        let godot = saved.get(path).cloned().unwrap_or_default();
        agrees(&godot, &names).map_err(|e| format!("{path} ({class}), get_scene_tree: {e}"))?;
        // get_node_properties calls the same properties changed.
        let r = f
            .call_ok("get_node_properties", json!({"node_path": path}))
            .await?;
        let changed: BTreeSet<String> = r["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["changed"] == true)
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        ensure!(
            changed == names,
            "{path}: get_node_properties calls {changed:?} changed, get_scene_tree {names:?}"
        );
        classes.insert(class.clone());
        checked += godot.len();
    }
    ensure!(
        classes.len() >= 30,
        "only {} classes: {classes:?}",
        classes.len()
    );
    // The exported variable at its default is not a change; overridden, it is.
    ensure!(
        !live["Level2D/Scripted"].1.contains_key("speed"),
        "{:?}",
        live["Level2D/Scripted"]
    );
    ensure!(
        live["Level2D/Hero"].1.get("speed") == Some(&json!(300.0)),
        "{:?}",
        live["Level2D/Hero"]
    );
    // 3D positions and UI sizes are there, in the forms edit_node takes.
    let box_props = &live["Level3D/Box"].1;
    for name in ["position", "rotation", "scale"] {
        ensure!(
            box_props.contains_key(name),
            "Box lacks {name}: {box_props:?}"
        );
    }
    ensure!(
        same(&box_props["position"], &json!("Vector3(1, 2, 3)")),
        "{box_props:?}"
    );
    ensure!(
        same(&live["HUD/Start"].1["size"], &json!("Vector2(160, 48)")),
        "{:?}",
        live["HUD/Start"]
    );
    println!(
        "    {} nodes of {} classes, {checked} saved properties checked",
        live.len(),
        classes.len()
    );

    // Offline, from the same file, the same nodes, classes and properties.
    let offline = Mcp::start_env(&[
        ("GODOT_MCP_PORT", Some(free_port().to_string())),
        (
            discovery::DIR_ENV,
            Some(f.editor.project.join(".no-editors").display().to_string()),
        ),
        (
            "GODOT_MCP_PROJECT",
            Some(f.editor.project.display().to_string()),
        ),
    ])
    .await?;
    let read = offline
        .call(
            "get_scene_tree",
            json!({"scene_path": SCENE, "include_properties": true}),
        )
        .await;
    offline.close().await;
    let read = ok(read)?;
    ensure!(read["mode"] == "offline", "{read}");
    let mut files = BTreeMap::new();
    flatten(&read["root"], &mut files);
    ensure!(
        files.keys().collect::<Vec<_>>() == live.keys().collect::<Vec<_>>(),
        "offline nodes {:?} != live {:?}",
        files.keys(),
        live.keys()
    );
    for (path, (class, props)) in &live {
        let (offline_class, offline_props) = &files[path];
        ensure!(
            class == offline_class,
            "{path}: {class} live, {offline_class} offline"
        );
        let a: BTreeSet<&String> = props.keys().collect();
        let b: BTreeSet<&String> = offline_props.keys().collect();
        ensure!(a == b, "{path}: live {a:?}, offline {b:?}");
        for (name, value) in props {
            ensure!(
                same(value, &offline_props[name]),
                "{path}.{name}: live {value}, offline {}",
                offline_props[name]
            );
        }
    }
    Ok(())
});

test_fn!(listing, |f| {
    build(f).await?;
    for (path, class) in [
        ("HUD/Start", "Button"),
        ("Level3D", "Node3D"),
        ("Level2D/Player2D", "CharacterBody2D"),
    ] {
        let short = f
            .call_ok("get_node_properties", json!({"node_path": path}))
            .await?;
        let all = f
            .call_ok(
                "get_node_properties",
                json!({"node_path": path, "all": true}),
            )
            .await?;
        ensure!(short["type"] == class, "{short}");
        let bytes = |v: &Value| serde_json::to_string(v).map(|s| s.len()).unwrap_or(0);
        let listed = |v: &Value| v["properties"].as_array().map_or(0, Vec::len);
        let omitted = short["omitted"].as_u64().unwrap_or(0) as usize;
        ensure!(
            omitted > 0 && listed(&short) + omitted == listed(&all),
            "{path}: {} listed + {omitted} omitted != {} in all",
            listed(&short),
            listed(&all)
        );
        ensure!(
            short["hint"].as_str().is_some_and(|h| h.contains("all")),
            "{short}"
        );
        ensure!(
            all["properties"]
                .as_array()
                .is_some_and(|p| p.iter().all(|p| p.get("default").is_some())),
            "all lists defaults: {all}"
        );
        ensure!(
            bytes(&short) < 2_000,
            "{path}: default listing {} B",
            bytes(&short)
        );
        println!(
            "    {class}: default listing {} B ({} properties), all {} B ({})",
            bytes(&short),
            listed(&short),
            bytes(&all),
            listed(&all)
        );
    }
    // Key properties are there even unchanged; position of a 3D node is one.
    let r = f
        .call_ok("get_node_properties", json!({"node_path": "Level3D/Zone"}))
        .await?;
    let names: Vec<&str> = r["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    ensure!(
        names.contains(&"position") && names.contains(&"monitorable"),
        "{r}"
    );
    Ok(())
});
