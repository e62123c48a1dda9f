//! Authoring beyond nodes (animations, tile maps, shaders, UI themes and
//! layout presets) through MCP in a real editor. Each test undoes its edits
//! and reads the editor back, then saves, and a separate headless Godot
//! loads the saved files and reports what the engine itself sees.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use godot_mcp_e2e::{TestResult, copy_tree, godot_binary};
use godot_mcp_protocol::ErrorCode;
use serde_json::{Value, json};

use crate::foundation::{F, test_fn};
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        ("authoring_animation_plays_halfway_and_loops", animation),
        ("authoring_tiles_paint_page_and_undo", tiles),
        ("authoring_shader_errors_and_params", shaders),
        ("authoring_theme_applies_to_a_button", theme),
        ("authoring_full_rect_layout_preset", layout),
        ("authoring_edit_after_undoing_everything", undo_to_start),
    ];
    F::run_tests("authoring", suite, filter, tests).await;
}

/// Runs `body` (the inside of a SceneTree script's `_init`) in a separate
/// headless Godot on a copy of the project as saved, and returns the lines
/// it printed that start with `CHECK `, without that prefix, and its
/// script errors.
fn godot_sees(f: &F, body: &str) -> Result<Vec<String>, String> {
    let copy = std::env::temp_dir().join(format!(
        "godot-mcp-authoring-check-{}-{}",
        std::process::id(),
        godot_mcp_tscn::ids::random()
    ));
    copy_tree(&f.editor.project, &copy).map_err(|e| e.to_string())?;
    // After the first frame the root is in the tree, and so are nodes
    // added to it (themes and layout apply only there).
    let script = format!(
        "extends SceneTree\n\nfunc _initialize():\n\tawait process_frame\n{body}\n\tprint(\"CHECK END\")\n\tquit()\n"
    );
    std::fs::write(copy.join("check.gd"), script).map_err(|e| e.to_string())?;
    let log = copy.join("check.log");
    let godot = godot_binary()?;
    let run = |args: &[&str]| {
        godot_mcp_e2e::run_godot(&godot, &copy, args, &log, Duration::from_secs(120))
    };
    // The copy has no import cache; textures need one.
    let result = run(&["--import"]).and_then(|_| run(&["--script", "res://check.gd"]));
    let _ = std::fs::remove_dir_all(&copy);
    let text = match result? {
        (Some(_), text) => text,
        (None, text) => return Err(format!("the check did not finish:\n{text}")),
    };
    // Script errors show in the answer, instead of only missing lines.
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("CHECK ")
                .or_else(|| l.contains("SCRIPT ERROR").then_some(l))
        })
        .map(str::to_owned)
        .collect();
    match lines.split_last() {
        Some((last, lines)) if last == "END" => Ok(lines.to_vec()),
        _ => Err(format!("the check did not run to its end:\n{text}")),
    }
}

fn indent(lines: &str) -> String {
    lines
        .lines()
        .map(|l| format!("\t{l}\n"))
        .collect::<String>()
}

async fn undo(f: &F) -> Result<Value, String> {
    f.call_ok("undo", json!({})).await
}

const ANIM: &str = "res://authoring/anim.tscn";

test_fn!(animation, |f| {
    f.call_ok(
        "create_scene",
        json!({"scene_path": ANIM, "root_type": "Node2D"}),
    )
    .await?;
    for (class, name) in [("Sprite2D", "Sprite"), ("AnimationPlayer", "Player")] {
        f.call_ok(
            "add_node",
            json!({"scene_path": ANIM, "type": class, "name": name}),
        )
        .await?;
    }
    let player = |extra: Value| {
        let mut args = json!({"scene_path": ANIM, "node_path": "Player"});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let r = f
        .call_ok(
            "create_animation",
            player(json!({"name": "move", "length": 1.0, "loop": true})),
        )
        .await?;
    ensure!(r["loop"] == "linear" && r["length"] == 1.0, "{r}");
    f.fails(
        "create_animation",
        player(json!({"name": "move", "length": 1.0})),
        ErrorCode::AlreadyExists,
    )
    .await?;
    f.call_ok(
        "add_animation_track",
        player(json!({"animation": "move", "track_path": "Sprite:position", "type": "value"})),
    )
    .await?;
    let r = f
        .call_ok(
            "set_animation_keys",
            player(json!({"animation": "move", "track_path": "Sprite:position",
                "keys": [{"time": 0, "value": [0, 0]}, {"time": 1, "value": {"x": 100, "y": 40}}]})),
        )
        .await?;
    let keys = r["tracks"][0]["keys"].clone();
    ensure!(
        keys == json!([{"time": 0.0, "value": "Vector2(0, 0)"}, {"time": 1.0, "value": "Vector2(100, 40)"}]),
        "{r}"
    );
    let e = f
        .fails(
            "set_animation_keys",
            player(json!({"animation": "move", "track_path": "Sprite:position",
                "keys": [{"time": 0.5, "value": "fast"}]})),
            ErrorCode::InvalidValue,
        )
        .await?;
    ensure!(e.message.contains("keys[0]"), "{e}");
    f.fails(
        "set_animation_keys",
        player(json!({"animation": "move", "track_path": "Sprite:scale", "keys": []})),
        ErrorCode::InvalidParams,
    )
    .await?;

    // Each edit is one undo step.
    f.call_ok(
        "set_animation_keys",
        player(json!({"animation": "move", "track_path": "Sprite:position",
            "keys": [{"time": 0.5, "value": [7, 7]}]})),
    )
    .await?;
    undo(f).await?;
    let r = f
        .call_ok("get_animation", player(json!({"animation": "move"})))
        .await?;
    ensure!(r["tracks"][0]["keys"] == keys, "undo of keys: {r}");
    f.call_ok(
        "add_animation_track",
        player(json!({"animation": "move", "track_path": ".", "type": "method"})),
    )
    .await?;
    f.call_ok(
        "set_animation_keys",
        player(json!({"animation": "move", "track_path": ".",
            "keys": [{"time": 0.25, "method": "set_meta", "args": ["hit", 1]}]})),
    )
    .await?;
    let r = f
        .call_ok("get_animation", player(json!({"animation": "move"})))
        .await?;
    ensure!(
        r["tracks"][1]["type"] == "method"
            && r["tracks"][1]["keys"]
                == json!([{"time": 0.25, "method": "set_meta", "args": ["hit", 1]}]),
        "{r}"
    );
    undo(f).await?;
    undo(f).await?;
    let r = f
        .call_ok("get_animation", player(json!({"animation": "move"})))
        .await?;
    ensure!(
        r["tracks"].as_array().map(Vec::len) == Some(1),
        "undo of the track: {r}"
    );
    f.call_ok(
        "create_animation",
        player(json!({"name": "fx/blink", "length": 0.5, "loop": "pingpong"})),
    )
    .await?;
    let r = f
        .call_ok("get_animation", player(json!({"animation": "fx/blink"})))
        .await?;
    ensure!(r["loop"] == "pingpong", "{r}");
    undo(f).await?;
    f.fails(
        "get_animation",
        player(json!({"animation": "fx/blink"})),
        ErrorCode::InvalidParams,
    )
    .await?;
    f.call_ok("save_scene", json!({"scene_path": ANIM})).await?;

    let seen = godot_sees(
        f,
        &indent(&format!(
            r#"var scene = load("{ANIM}").instantiate()
root.add_child(scene)
var player: AnimationPlayer = scene.get_node("Player")
var sprite: Sprite2D = scene.get_node("Sprite")
print("CHECK libraries ", player.get_animation_library_list())
player.play("move")
player.seek(0.5, true)
print("CHECK half ", sprite.position)
player.advance(1.0)
print("CHECK looped ", sprite.position)"#
        )),
    )?;
    ensure!(
        seen == [
            "libraries [&\"\"]",
            "half (50.0, 20.0)",
            "looped (50.0, 20.0)"
        ],
        "{seen:?}"
    );
    Ok(())
});

const TILES: &str = "res://authoring/tiles.tscn";

async fn used(f: &F) -> Result<Value, String> {
    f.call_ok(
        "get_tiles",
        json!({"scene_path": TILES, "node_path": "Ground"}),
    )
    .await
}

test_fn!(tiles, |f| {
    let r = f
        .call_ok(
            "create_tileset",
            json!({"path": "res://authoring/tiles.tres", "texture": "res://icon.svg", "tile_size": [16, 16]}),
        )
        .await?;
    ensure!(r["atlas_size"] == json!([8, 8]) && r["tiles"] == 64, "{r}");
    f.call_ok(
        "create_scene",
        json!({"scene_path": TILES, "root_type": "Node2D"}),
    )
    .await?;
    f.call_ok(
        "add_node",
        json!({"scene_path": TILES, "type": "TileMapLayer", "name": "Ground",
            "properties": {"tile_set": "res://authoring/tiles.tres"}}),
    )
    .await?;
    let paint = |extra: Value| {
        let mut args = json!({"scene_path": TILES, "node_path": "Ground"});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let r = f
        .call_ok(
            "set_tiles",
            paint(json!({"cells": [{"coords": [0, 0], "atlas": [1, 2]}, {"coords": [-3, 5], "atlas": [7, 7]}]})),
        )
        .await?;
    ensure!(r["changed"] == 2 && r["used"] == 2, "{r}");
    f.call_ok(
        "set_tiles",
        paint(json!({"rect": [0, 1, 3, 2], "fill": {"atlas": [2, 0]}})),
    )
    .await?;
    let r = used(f).await?;
    ensure!(r["total"] == 8 && r.get("next").is_none(), "{r}");
    ensure!(
        r["cells"][0] == json!({"coords": [0, 0], "source": 0, "atlas": [1, 2]}),
        "cells are listed row by row: {r}"
    );
    f.fails(
        "set_tiles",
        paint(json!({"rect": [0, 0, 2, 2]})),
        ErrorCode::InvalidParams,
    )
    .await?;
    f.fails(
        "set_tiles",
        json!({"scene_path": TILES, "node_path": ".", "cells": [{"coords": [0, 0]}]}),
        ErrorCode::InvalidOperation,
    )
    .await?;

    // A big fill is one undo step, and reads back a page at a time.
    f.call_ok(
        "set_tiles",
        paint(json!({"rect": [10, 10, 30, 30], "fill": {"atlas": [3, 3]}})),
    )
    .await?;
    let first = used(f).await?;
    ensure!(
        first["total"] == 908
            && first["cells"].as_array().map(Vec::len) == Some(500)
            && first["next"] == 500,
        "{}",
        first["total"]
    );
    let rest = f
        .call_ok(
            "get_tiles",
            json!({"scene_path": TILES, "node_path": "Ground", "offset": 500}),
        )
        .await?;
    ensure!(
        rest["cells"].as_array().map(Vec::len) == Some(408) && rest.get("next").is_none(),
        "{}",
        rest["total"]
    );
    let r = f
        .call_ok(
            "get_tiles",
            json!({"scene_path": TILES, "node_path": "Ground", "rect": [-5, 0, 6, 6]}),
        )
        .await?;
    ensure!(r["total"] == 4, "rect: {r}");
    undo(f).await?;
    ensure!(used(f).await?["total"] == 8, "undo of the fill");
    f.call_ok(
        "set_tiles",
        paint(json!({"cells": [{"coords": [0, 0]}], "erase": true})),
    )
    .await?;
    ensure!(used(f).await?["total"] == 7, "erase");
    undo(f).await?;
    ensure!(
        used(f).await?["cells"][0]["atlas"] == json!([1, 2]),
        "undo of the erase"
    );
    f.call_ok("save_scene", json!({"scene_path": TILES}))
        .await?;

    let seen = godot_sees(
        f,
        &indent(&format!(
            r#"var scene = load("{TILES}").instantiate()
var ground: TileMapLayer = scene.get_node("Ground")
print("CHECK used ", ground.get_used_cells().size())
for c in [Vector2i(0, 0), Vector2i(-3, 5), Vector2i(2, 2)]:
	print("CHECK ", c, " ", ground.get_cell_source_id(c), " ", ground.get_cell_atlas_coords(c), " ", ground.get_cell_tile_data(c) != null)"#
        )),
    )?;
    ensure!(
        seen == [
            "used 8",
            "(0, 0) 0 (1, 2) true",
            "(-3, 5) 0 (7, 7) true",
            "(2, 2) 0 (2, 0) true"
        ],
        "{seen:?}"
    );
    Ok(())
});

const SHADED: &str = "res://authoring/shaded.tscn";
const GOOD: &str = "shader_type canvas_item;\nuniform vec4 tint : source_color = vec4(1.0);\nuniform float speed = 1.0;\n\nvoid fragment() {\n\tCOLOR = tint;\n}\n";

test_fn!(shaders, |f| {
    let bad = "shader_type canvas_item;\nuniform float speed = 1.0;\n\nvoid fragment() {\n\tCOLOR = vec4(1.0) +;\n}\n";
    let r = f
        .call_ok(
            "write_shader",
            json!({"path": "res://authoring/bad.gdshader", "content": bad}),
        )
        .await?;
    ensure!(
        r["valid"] == false && r["created"] == true && r["errors"][0]["line"] == 5,
        "{r}"
    );
    ensure!(
        f.file("res://authoring/bad.gdshader")? == bad,
        "a shader with errors is still written"
    );
    let r = f
        .call_ok(
            "write_shader",
            json!({"path": "res://authoring/glow.gdshader", "content": GOOD}),
        )
        .await?;
    ensure!(r["valid"] == true && r.get("errors").is_none(), "{r}");
    f.call_ok(
        "create_scene",
        json!({"scene_path": SHADED, "root_type": "Node2D"}),
    )
    .await?;
    f.call_ok(
        "add_node",
        json!({"scene_path": SHADED, "type": "Sprite2D", "name": "Glow"}),
    )
    .await?;
    let r = f
        .call_ok(
            "set_shader_params",
            json!({"scene_path": SHADED, "node_path": "Glow", "shader": "res://authoring/glow.gdshader",
                "params": {"tint": "#ff0000", "speed": 2}}),
        )
        .await?;
    ensure!(
        r["params"] == json!({"tint": "Color(1, 0, 0, 1)", "speed": 2.0}),
        "{r}"
    );
    let e = f
        .fails(
            "set_shader_params",
            json!({"scene_path": SHADED, "node_path": "Glow", "params": {"sped": 3}}),
            ErrorCode::PropertyNotFound,
        )
        .await?;
    ensure!(
        e.hint
            .as_deref()
            .is_some_and(|h| h.contains("tint") && h.contains("speed")),
        "{e}"
    );
    f.fails(
        "set_shader_params",
        json!({"scene_path": SHADED, "node_path": "Glow", "params": {"speed": "fast"}}),
        ErrorCode::InvalidValue,
    )
    .await?;
    f.call_ok(
        "set_shader_params",
        json!({"scene_path": SHADED, "node_path": "Glow", "params": {"speed": 3}}),
    )
    .await?;
    undo(f).await?;
    let r = f
        .call_ok(
            "get_node_properties",
            json!({"scene_path": SHADED, "node_path": "Glow", "names": ["material"]}),
        )
        .await?;
    ensure!(
        r["properties"][0]["value"]["shader_parameter/speed"] == 2.0,
        "undo of a param: {r}"
    );
    f.call_ok("save_scene", json!({"scene_path": SHADED}))
        .await?;

    // A material file: saved with the change, and again by its undo.
    let tres = "res://authoring/glow.tres";
    f.call_ok(
        "create_resource",
        json!({"type": "ShaderMaterial", "path": tres, "properties": {"shader": "res://authoring/glow.gdshader"}}),
    )
    .await?;
    let r = f
        .call_ok(
            "set_shader_params",
            json!({"material_path": tres, "params": {"speed": 5}}),
        )
        .await?;
    ensure!(r["params"]["speed"] == 5.0, "{r}");
    ensure!(
        f.file(tres)?.contains("shader_parameter/speed = 5.0"),
        "{}",
        f.file(tres)?
    );
    undo(f).await?;
    ensure!(
        !f.file(tres)?.contains("shader_parameter/speed = 5.0"),
        "undo: {}",
        f.file(tres)?
    );

    let seen = godot_sees(
        f,
        &indent(&format!(
            r#"var glow = load("{SHADED}").instantiate().get_node("Glow")
print("CHECK ", glow.material.shader.resource_path, " ", glow.material.get_shader_parameter("speed"), " ", glow.material.get_shader_parameter("tint"))"#
        )),
    )?;
    ensure!(
        seen == ["res://authoring/glow.gdshader 2.0 (1.0, 0.0, 0.0, 1.0)"],
        "{seen:?}"
    );
    Ok(())
});

const THEME: &str = "res://authoring/ui_theme.tres";

test_fn!(theme, |f| {
    let r = f
        .call_ok(
            "set_theme_items",
            json!({"theme_path": THEME, "items": {"Button": {
                "color": {"font_color": "#ff0000"},
                "constant": {"h_separation": 7},
                "stylebox": {"normal": {"type": "StyleBoxFlat", "bg_color": "#00ff00"}}}}}),
        )
        .await?;
    ensure!(r["created"] == true && r["changed"] == 3, "{r}");
    f.call_ok(
        "set_theme_items",
        json!({"theme_path": THEME, "items": {"Button": {"color": {"font_color": "#0000ff"}, "font_size": {"font_size": 30}}}}),
    )
    .await?;
    let text = f.file(THEME)?;
    ensure!(
        text.contains("Button/colors/font_color = Color(0, 0, 1, 1)")
            && text.contains("Button/font_sizes/font_size = 30"),
        "{text}"
    );
    undo(f).await?;
    let text = f.file(THEME)?;
    ensure!(
        text.contains("Button/colors/font_color = Color(1, 0, 0, 1)")
            && !text.contains("font_sizes"),
        "undo: {text}"
    );
    f.fails(
        "set_theme_items",
        json!({"theme_path": THEME, "items": {"Button": {"colour": {"font_color": "#fff"}}}}),
        ErrorCode::InvalidParams,
    )
    .await?;
    f.fails(
        "set_theme_items",
        json!({"theme_path": THEME, "items": {"Button": {"stylebox": {"normal": {"type": "Node2D"}}}}}),
        ErrorCode::InvalidResourceType,
    )
    .await?;

    let seen = godot_sees(
        f,
        &indent(&format!(
            r#"var button = Button.new()
button.theme = load("{THEME}")
root.add_child(button)
print("CHECK ", button.get_theme_color("font_color"), " ", button.get_theme_constant("h_separation"))
var box = button.get_theme_stylebox("normal")
print("CHECK ", box.get_class(), " ", box.bg_color)"#
        )),
    )?;
    ensure!(
        seen == [
            "(1.0, 0.0, 0.0, 1.0) 7",
            "StyleBoxFlat (0.0, 1.0, 0.0, 1.0)"
        ],
        "{seen:?}"
    );
    Ok(())
});

const UI: &str = "res://authoring/ui.tscn";

test_fn!(layout, |f| {
    f.call_ok(
        "create_scene",
        json!({"scene_path": UI, "root_type": "Control"}),
    )
    .await?;
    f.call_ok(
        "add_node",
        json!({"scene_path": UI, "type": "Panel", "name": "Panel", "properties": {"position": [5, 6], "size": [40, 30]}}),
    )
    .await?;
    let props = |names: Value| json!({"scene_path": UI, "node_path": "Panel", "names": names});
    let layout = json!([
        "anchor_right",
        "anchor_bottom",
        "offset_left",
        "offset_right",
        "offset_bottom"
    ]);
    let values = |r: &Value| -> Vec<Value> {
        r["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["value"].clone())
            .collect()
    };
    let before = values(
        &f.call_ok("get_node_properties", props(layout.clone()))
            .await?,
    );
    ensure!(
        before == [json!(0.0), json!(0.0), json!(5.0), json!(45.0), json!(36.0)],
        "{before:?}"
    );
    let r = f
        .call_ok(
            "edit_node",
            json!({"scene_path": UI, "node_path": "Panel", "properties": {"anchors_preset": "full_rect"}}),
        )
        .await?;
    ensure!(r["properties"]["anchors_preset"] == 15, "{r}");
    let after = values(
        &f.call_ok("get_node_properties", props(layout.clone()))
            .await?,
    );
    ensure!(
        after == [json!(1.0), json!(1.0), json!(0.0), json!(0.0), json!(0.0)],
        "{after:?}"
    );
    undo(f).await?;
    let undone = values(
        &f.call_ok("get_node_properties", props(layout.clone()))
            .await?,
    );
    ensure!(undone == before, "undo: {undone:?}");
    f.call_ok(
        "edit_node",
        json!({"scene_path": UI, "node_path": "Panel", "properties": {"anchors_preset": "full_rect"}}),
    )
    .await?;
    f.call_ok("save_scene", json!({"scene_path": UI})).await?;
    let seen = godot_sees(
        f,
        &indent(&format!(
            r#"var ui = load("{UI}").instantiate()
root.add_child(ui)
ui.size = Vector2(200, 100)
var panel = ui.get_node("Panel")
print("CHECK ", panel.anchor_right, " ", panel.anchor_bottom, " ", panel.size)"#
        )),
    )?;
    ensure!(seen == ["1.0 1.0 (200.0, 100.0)"], "{seen:?}");
    Ok(())
});

const FRESH: &str = "res://authoring/fresh.tscn";

// An edit after every action of a scene's history was undone starts the
// history afresh (the extension clears it first): undo and redo still
// work, nothing undone comes back, and no engine error is logged.
test_fn!(undo_to_start, |f| {
    f.call_ok(
        "create_scene",
        json!({"scene_path": FRESH, "root_type": "Node2D"}),
    )
    .await?;
    let since = f.log_end().await?;
    let add = |name: &str| json!({"scene_path": FRESH, "type": "Node2D", "name": name});
    f.call_ok("add_node", add("First")).await?;
    f.call_ok("undo", json!({"scene_path": FRESH})).await?;
    f.call_ok("add_node", add("Second")).await?;
    let history = f.call_ok("get_undo_history", json!({})).await?;
    let actions = history["scene"]["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!(
        actions
            .last()
            .and_then(Value::as_str)
            .is_some_and(|a| a.contains("Second"))
            && !actions
                .iter()
                .any(|a| a.as_str().is_some_and(|a| a.contains("First")))
            && history["scene"]["done"] == actions.len(),
        "{history}"
    );
    f.call_ok("undo", json!({"scene_path": FRESH})).await?;
    f.call_ok("redo", json!({"scene_path": FRESH})).await?;
    let tree = f
        .call_ok("get_scene_tree", json!({"scene_path": FRESH}))
        .await?;
    let names: Vec<&str> = tree["root"]["children"]
        .as_array()
        .map(|c| c.iter().filter_map(|n| n["name"].as_str()).collect())
        .unwrap_or_default();
    ensure!(names == ["Second"], "{tree}");
    let errors = f
        .call_ok("get_editor_log", json!({"since": since, "level": "error"}))
        .await?;
    ensure!(errors["entries"] == json!([]), "{errors}");
    Ok(())
});
