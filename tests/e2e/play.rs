//! Play-testing the sample platformer (`godot_project/platformer/`) through
//! the game_* tools: a frozen start, exact stepping with inputs, `until`,
//! `report` and `watch`, the visible UI, calls and expressions, every error code,
//! bit-identical replays, a game started with the editor's Play button, and
//! the project's files left as they were.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use godot_mcp_e2e::TestResult;
use godot_mcp_protocol::ErrorCode;
use serde_json::{Value, json};

use crate::ensure;
use crate::foundation::{F, ok, test_fn};

const LEVEL: &str = "res://platformer/level.tscn";
const MENU: &str = "res://platformer/menu.tscn";
/// The hero's speed in px/s and the physics rate.
const SPEED: f64 = 120.0;
const TICKS: f64 = 60.0;

pub async fn run(suite: &mut crate::Suite, filter: Option<&str>) {
    F::run_tests(
        "play",
        suite,
        filter,
        &[
            ("play_frozen_start_holds_still", frozen_start),
            ("play_until_on_floor_with_report", until_on_floor),
            ("play_walk_steps_exact_distance", walk_exact),
            ("play_game_set_speed_changes_distance", set_speed),
            ("play_jump_goes_up_and_lands", jump),
            ("play_watch_samples_and_summarises", watch),
            ("play_call_eval_and_coin_raise_score", coin),
            ("play_same_inputs_same_state_bit_for_bit", determinism),
            ("play_ui_mouse_text_and_click_start", ui_and_click),
            ("play_keys_and_gamepad_drive_the_hero", keys_and_gamepad),
            ("play_error_codes", errors),
            ("play_button_game_is_driven_too", play_button),
            ("play_project_files_untouched", files_untouched),
        ],
    )
    .await;
}

/// Whether `a` is within `tolerance` of `b`.
fn near(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() < tolerance
}

fn below(a: f64, b: f64) -> bool {
    a < b
}

fn num(v: &Value) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| format!("not a number: {v}"))
}

async fn hero_x(f: &F) -> Result<f64, String> {
    let r = f
        .call_ok(
            "game_get",
            json!({"node_path": "Hero", "properties": ["position:x"]}),
        )
        .await?;
    num(&r["properties"]["position:x"])
}

/// Lands the hero on the floor (from wherever it is) and returns its x.
async fn land(f: &F) -> Result<f64, String> {
    let r = f
        .call_ok(
            "game_step",
            json!({"until": "is_on_floor()", "node_path": "Hero", "timeout_frames": 240}),
        )
        .await?;
    ensure!(r["reached"] == true, "the hero never landed: {r}");
    hero_x(f).await
}

/// Snapshot of the project's settings and scenes, to compare at the end.
fn project_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = path.to_string_lossy().into_owned();
            if path.is_dir() && !name.ends_with(".godot") {
                dirs.push(path);
            } else if name.ends_with(".tscn") || name.ends_with("project.godot") {
                out.insert(name, std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out
}

/// The project's files as the first test found them.
static BEFORE: std::sync::Mutex<BTreeMap<String, Vec<u8>>> = std::sync::Mutex::new(BTreeMap::new());

test_fn!(frozen_start, |f| {
    *BEFORE.lock().unwrap_or_else(|e| e.into_inner()) = project_files(&f.editor.project);
    let r = f
        .call_ok("run_project", json!({"scene": LEVEL, "frozen": true}))
        .await?;
    ensure!(r["frozen"] == true && r["run_id"].is_u64(), "{r}");
    let before = f
        .call_ok(
            "game_get",
            json!({"node_path": "Hero", "properties": ["position", "velocity", "ticks"]}),
        )
        .await?;
    ensure!(before["run_id"] == r["run_id"], "{before}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = f
        .call_ok(
            "game_get",
            json!({"node_path": "Hero", "properties": ["position", "velocity", "ticks"]}),
        )
        .await?;
    ensure!(
        before["properties"] == after["properties"],
        "the frozen game moved: {before} then {after}"
    );
    ensure!(
        after["properties"]["position"] == "Vector2(100, 250)" && after["properties"]["ticks"] == 0,
        "the hero moved or ran a physics frame before the first frame: {after}"
    );
    let clock = f.call_ok("game_pause", json!({})).await?;
    ensure!(
        clock["frozen"] == true && clock["game_paused"] == false && clock["fixed_rate"] == true,
        "{clock}"
    );
    Ok(())
});

test_fn!(until_on_floor, |f| {
    let r = f
        .call_ok(
            "game_step",
            json!({"until": "is_on_floor()", "node_path": "Hero", "timeout_frames": 240,
                   "report": ["is_on_floor()", "position.y", "velocity.y"]}),
        )
        .await?;
    ensure!(r["reached"] == true, "{r}");
    let frames = r["frames"].as_u64().unwrap_or(0);
    ensure!(
        (5..240).contains(&frames),
        "landing took {frames} frames: {r}"
    );
    ensure!(r["report"][0] == true, "{r}");
    let y = num(&r["report"][1])?;
    ensure!(near(y, 292.0, 0.5), "landed at y {y}: {r}");
    // Still frozen: nothing moves afterwards.
    let again = f
        .call_ok(
            "game_eval",
            json!({"expression": "position.y", "node_path": "Hero"}),
        )
        .await?;
    ensure!(num(&again["value"])? == y, "{again}");
    Ok(())
});

test_fn!(walk_exact, |f| {
    let x0 = land(f).await?;
    let r = f
        .call_ok(
            "game_step",
            json!({"frames": 30, "inputs": [{"action": "move_right", "hold_frames": 30}]}),
        )
        .await?;
    ensure!(r["frames"] == 30 && r["fixed_rate"] == true, "{r}");
    println!(
        "    game_step(frames: 30) took {} ms of wall time",
        r["wall_ms"]
    );
    let x1 = hero_x(f).await?;
    let expected = SPEED * 30.0 / TICKS;
    ensure!(
        near(x1 - x0, expected, 1e-3),
        "walked {} px in 30 frames, expected {expected}",
        x1 - x0
    );
    let held = f
        .call_ok(
            "game_eval",
            json!({"expression": "Input.is_action_pressed(\"move_right\")"}),
        )
        .await?;
    ensure!(held["value"] == false, "the action stayed held: {held}");
    Ok(())
});

test_fn!(set_speed, |f| {
    let r = f
        .call_ok(
            "game_set",
            json!({"node_path": "Hero", "properties": {"speed": 240}}),
        )
        .await?;
    ensure!(
        r["properties"]["speed"] == 240.0 && r["previous"]["speed"] == SPEED,
        "{r}"
    );
    let x0 = hero_x(f).await?;
    f.call_ok(
        "game_step",
        json!({"frames": 30, "inputs": [{"action": "move_left", "hold_frames": 30}]}),
    )
    .await?;
    let x1 = hero_x(f).await?;
    ensure!(
        near(x0 - x1, 240.0 * 30.0 / TICKS, 1e-3),
        "walked {} px at speed 240",
        x0 - x1
    );
    f.call_ok(
        "game_set",
        json!({"node_path": "Hero", "properties": {"speed": SPEED}}),
    )
    .await?;
    Ok(())
});

test_fn!(jump, |f| {
    land(f).await?;
    let y0 = num(&f
        .call_ok(
            "game_eval",
            json!({"expression": "position.y", "node_path": "Hero"}),
        )
        .await?["value"])?;
    let r = f
        .call_ok(
            "game_step",
            json!({"frames": 90, "inputs": [{"action": "jump", "hold_frames": 2}],
                   "watch": {"Hero": ["position:y", "jumps"]}}),
        )
        .await?;
    let w = &r["watch"]["Hero"]["position:y"];
    let top = num(&w["min"])?;
    ensure!(
        below(top, y0 - 30.0),
        "the jump peaked at {top} from {y0}: {w}"
    );
    ensure!(
        near(num(&w["last"])?, y0, 0.5),
        "the hero did not land again: {w}"
    );
    let jumps = &r["watch"]["Hero"]["jumps"];
    ensure!(
        jumps["last"].as_i64().unwrap_or(0) - jumps["first"].as_i64().unwrap_or(0) == 1,
        "one jump expected: {jumps}"
    );
    Ok(())
});

test_fn!(watch, |f| {
    let r = f
        .call_ok(
            "game_step",
            json!({"frames": 60, "every": 10,
                   "inputs": [{"action": "move_right", "hold_frames": 60}],
                   "watch": {"Hero": ["position:x"]}}),
        )
        .await?;
    let w = &r["watch"]["Hero"]["position:x"];
    let samples = w["samples"].as_array().cloned().unwrap_or_default();
    let frames: Vec<u64> = samples.iter().filter_map(|s| s[0].as_u64()).collect();
    ensure!(frames == [0, 10, 20, 30, 40, 50, 60], "{w}");
    ensure!(w["changed_at"] == json!([10, 20, 30, 40, 50, 60]), "{w}");
    let (first, last) = (num(&w["first"])?, num(&w["last"])?);
    ensure!(
        near(last - first, SPEED, 1e-3) && num(&w["max"])? == last,
        "{w}"
    );
    // Walk back so the coin is still ahead.
    f.call_ok(
        "game_step",
        json!({"frames": 60, "inputs": [{"action": "move_left", "hold_frames": 60}]}),
    )
    .await?;
    Ok(())
});

test_fn!(coin, |f| {
    let r = f
        .call_ok(
            "game_call",
            json!({"node_path": "Hero", "method": "teleport", "args": [[170, 280]]}),
        )
        .await?;
    ensure!(r["value"].is_string(), "teleport returns where it was: {r}");
    land(f).await?;
    let tree = f.call_ok("game_tree", json!({"group": "pickups"})).await?;
    ensure!(
        tree["nodes"].as_array().is_some_and(|n| n.len() == 1),
        "{tree}"
    );
    f.call_ok(
        "game_step",
        json!({"frames": 30, "inputs": [{"action": "move_right", "hold_frames": 30}]}),
    )
    .await?;
    let label = f
        .call_ok(
            "game_get",
            json!({"node_path": "Score", "properties": ["text"]}),
        )
        .await?;
    ensure!(label["properties"]["text"] == "Score: 1", "{label}");
    let score = f
        .call_ok("game_eval", json!({"expression": "score * 10"}))
        .await?;
    ensure!(score["value"] == 10, "{score}");
    let tree = f.call_ok("game_tree", json!({"group": "pickups"})).await?;
    ensure!(
        tree["nodes"] == json!([]),
        "the coin is still there: {tree}"
    );
    let all = f.call_ok("game_tree", json!({"max_depth": 1})).await?;
    let hero = all["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["path"] == "Hero").cloned())
        .unwrap_or_default();
    ensure!(
        hero["class"] == "CharacterBody2D"
            && hero["script"] == "res://platformer/hero.gd"
            && hero["values"]["position"].is_string(),
        "{all}"
    );
    Ok(())
});

// The same inputs from the same state, twice: positions and velocities
// must match to the last bit.
test_fn!(determinism, |f| {
    let mut runs = Vec::new();
    for _ in 0..2 {
        f.call_ok(
            "game_call",
            json!({"node_path": "Hero", "method": "teleport", "args": [[120, 240]]}),
        )
        .await?;
        land(f).await?;
        let r = f
            .call_ok(
                "game_step",
                json!({"frames": 75, "node_path": "Hero",
                       "inputs": [{"action": "move_right", "hold_frames": 20},
                                  {"action": "jump", "at_frame": 10, "hold_frames": 3},
                                  {"action": "move_left", "at_frame": 30, "hold_frames": 25}],
                       "report": ["position.x", "position.y", "velocity.x", "velocity.y"]}),
            )
            .await?;
        runs.push(r["report"].clone());
    }
    ensure!(
        runs[0] == runs[1],
        "replays differ: {} vs {}",
        runs[0],
        runs[1]
    );
    ensure!(
        runs[0]
            .as_array()
            .is_some_and(|r| r.iter().all(Value::is_f64)),
        "{}",
        runs[0]
    );
    Ok(())
});

test_fn!(ui_and_click, |f| {
    f.call_ok("run_project", json!({"scene": MENU, "frozen": true}))
        .await?;
    let ui = f.call_ok("game_ui", json!({"text": "start"})).await?;
    let controls = ui["controls"].as_array().cloned().unwrap_or_default();
    ensure!(
        controls.len() == 1 && controls[0]["class"] == "Button" && controls[0]["path"] == "Start",
        "{ui}"
    );
    let bad = f
        .fails(
            "game_input",
            json!({"events": [{"click": "Quit"}]}),
            ErrorCode::NodeNotFound,
        )
        .await?;
    ensure!(
        bad.hint.as_deref().is_some_and(|h| h.contains("\"Start\"")),
        "the candidates are not listed: {bad:?}"
    );
    // The mouse moves and the wheel turns, as the menu's _input sees them.
    f.call_ok(
        "game_step",
        json!({"frames": 1, "inputs": [
            {"mouse_motion": [40, 30]},
            {"mouse_button": "wheel_up", "position": [40, 30], "pressed": true},
            {"mouse_button": "wheel_up", "position": [40, 30], "pressed": false}]}),
    )
    .await?;
    let seen = f
        .call_ok(
            "game_eval",
            json!({"expression": "[wheel, last_mouse.x, last_mouse.y]"}),
        )
        .await?;
    ensure!(seen["value"] == json!([1, 40.0, 30.0]), "{seen}");
    // A click focuses the name field, and typed text lands in it.
    f.call_ok(
        "game_step",
        json!({"frames": 2, "inputs": [{"click": "PlayerName"}, {"text": "Ada 1", "at_frame": 1}]}),
    )
    .await?;
    let name = f
        .call_ok(
            "game_get",
            json!({"node_path": "PlayerName", "properties": ["text"]}),
        )
        .await?;
    ensure!(name["properties"]["text"] == "Ada 1", "{name}");
    // Clicking Start by its text presses the Button, which opens the level;
    // a frozen game gets the click with its next frame.
    let r = f
        .call_ok("game_input", json!({"events": [{"click": "Start"}]}))
        .await?;
    ensure!(r["applied"] == 0 && r["scheduled"] == 1, "{r}");
    f.call_ok("game_step", json!({"frames": 3})).await?;
    let scene = f
        .call_ok(
            "game_eval",
            json!({"expression": "get_tree().current_scene.scene_file_path"}),
        )
        .await?;
    ensure!(
        scene["value"] == LEVEL,
        "Start did not open the level: {scene}"
    );
    ensure!(
        scene.get("note").is_none(),
        "a game call is not an editor edit: {scene}"
    );
    Ok(())
});

test_fn!(keys_and_gamepad, |f| {
    f.call_ok("run_project", json!({"scene": LEVEL, "frozen": true}))
        .await?;
    let x0 = land(f).await?;
    // The D key walks right as the action does (the level maps it physically).
    f.call_ok(
        "game_step",
        json!({"frames": 30, "inputs": [{"key": "D", "pressed": true, "hold_frames": 30}]}),
    )
    .await?;
    let x1 = hero_x(f).await?;
    let expected = SPEED * 30.0 / TICKS;
    ensure!(
        near(x1 - x0, expected, 1e-3),
        "the D key walked {} px, expected {expected}",
        x1 - x0
    );
    // The left stick held fully left walks back.
    f.call_ok(
        "game_step",
        json!({"frames": 30, "inputs": [
            {"joypad_axis": 0, "value": -1.0},
            {"joypad_axis": 0, "value": 0.0, "at_frame": 30}]}),
    )
    .await?;
    let x2 = hero_x(f).await?;
    ensure!(
        near(x1 - x2, expected, 1e-3),
        "the stick walked {} px back, expected {expected}",
        x1 - x2
    );
    // Pad button A and the Space key each jump once.
    for press in [
        json!({"joypad_button": 0, "pressed": true, "hold_frames": 2}),
        json!({"key": "Space", "pressed": true, "hold_frames": 2}),
    ] {
        let r = f
            .call_ok(
                "game_step",
                json!({"frames": 90, "inputs": [press], "watch": {"Hero": ["jumps"]}}),
            )
            .await?;
        let jumps = &r["watch"]["Hero"]["jumps"];
        ensure!(
            jumps["last"].as_i64().unwrap_or(0) - jumps["first"].as_i64().unwrap_or(0) == 1,
            "{press} did not jump once: {jumps}"
        );
    }
    let unknown = f
        .fails(
            "game_input",
            json!({"events": [{"key": "NoSuchKey", "pressed": true}]}),
            ErrorCode::InvalidValue,
        )
        .await?;
    ensure!(unknown.hint.is_some(), "{unknown:?}");
    Ok(())
});

test_fn!(errors, |f| {
    f.call_ok("run_project", json!({"scene": LEVEL, "frozen": true}))
        .await?;
    f.fails(
        "game_get",
        json!({"node_path": "Nobody"}),
        ErrorCode::NodeNotFound,
    )
    .await?;
    let e = f
        .fails(
            "game_set",
            json!({"node_path": "Hero", "properties": {"speed": "fast"}}),
            ErrorCode::InvalidValue,
        )
        .await?;
    ensure!(e.message.contains("speed"), "{e:?}");
    f.fails(
        "game_call",
        json!({"node_path": "Hero", "method": "fly"}),
        ErrorCode::MethodNotFound,
    )
    .await?;
    let e = f
        .fails(
            "game_call",
            json!({"node_path": "Hero", "method": "teleport", "args": []}),
            ErrorCode::MethodNotFound,
        )
        .await?;
    ensure!(e.message.contains("teleport(to: Vector2)"), "{e:?}");
    let e = f
        .fails(
            "game_eval",
            json!({"expression": "1 +"}),
            ErrorCode::ExpressionError,
        )
        .await?;
    ensure!(e.message.contains("1 +"), "{e:?}");
    f.fails(
        "game_eval",
        json!({"expression": "no_such_method()"}),
        ErrorCode::ExpressionError,
    )
    .await?;
    f.fails(
        "game_step",
        json!({"frames": 1, "inputs": [{"action": "fly"}]}),
        ErrorCode::InvalidValue,
    )
    .await?;
    f.fails(
        "game_input",
        json!({"events": [{"teleport": true}]}),
        ErrorCode::InvalidParams,
    )
    .await?;
    // A script error stops the game in the debugger: the call says so, and
    // game_resume lets it go on.
    let e = f
        .fails(
            "game_call",
            json!({"node_path": "Hero", "method": "stumble"}),
            ErrorCode::GodotError,
        )
        .await?;
    ensure!(e.message.contains("script error"), "{e:?}");
    let resumed = f.call_ok("game_resume", json!({})).await?;
    ensure!(resumed["frozen"] == false, "{resumed}");
    f.call_ok("game_pause", json!({})).await?;
    hero_x(f).await?;
    // An `until` that fails to run ends the step at once, with Godot's message.
    let r = f
        .call_ok(
            "game_step",
            json!({"until": "get_node(\"Nobody\").is_on_floor()", "timeout_frames": 120}),
        )
        .await?;
    ensure!(
        r["frames"] == 1 && r["reached"] == false && r["until_error"].is_string(),
        "{r}"
    );
    let stopped = f.call_ok("stop_project", json!({})).await?;
    ensure!(stopped["was_playing"] == true, "{stopped}");
    f.fails(
        "game_get",
        json!({"node_path": "Hero"}),
        ErrorCode::GameNotRunning,
    )
    .await?;
    f.fails("game_step", json!({"frames": 1}), ErrorCode::GameNotRunning)
        .await?;
    Ok(())
});

/// A tool script that presses Play the way the editor's button does.
const PLAY_BUTTON: &str = "@tool\nextends Node\n\n\nfunc _ready() -> void:\n\tif Engine.is_editor_hint():\n\t\tEditorInterface.play_custom_scene.call_deferred(\"res://platformer/level.tscn\")\n";

test_fn!(play_button, |f| {
    f.call_ok(
        "write_text_file",
        json!({"path": "res://e2e_play/press_play.gd", "content": PLAY_BUTTON}),
    )
    .await?;
    f.call_ok(
        "write_text_file",
        json!({"path": "res://e2e_play/press_play.tscn", "content":
            godot_mcp_e2e::script_scene("Press", "res://e2e_play/press_play.gd")}),
    )
    .await?;
    f.call_ok(
        "open_scene",
        json!({"scene_path": "res://e2e_play/press_play.tscn"}),
    )
    .await?;
    let mut got = None;
    for _ in 0..100 {
        match f
            .call(
                "game_get",
                json!({"node_path": "Hero", "properties": ["position:x"]}),
            )
            .await
        {
            Ok(v) => {
                got = Some(v);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let got = got.ok_or("the Play-button game never answered")?;
    ensure!(got["run_id"].is_u64(), "{got}");
    f.call_ok("game_pause", json!({})).await?;
    let r = f.call_ok("game_step", json!({"frames": 10})).await?;
    ensure!(
        r["frames"] == 10 && r["fixed_rate"] == false,
        "a Play-button game steps by count, paced by the clock: {r}"
    );
    let a = f
        .call_ok(
            "game_eval",
            json!({"expression": "get_node(\"Hero\").position"}),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = f
        .call_ok(
            "game_eval",
            json!({"expression": "get_node(\"Hero\").position"}),
        )
        .await?;
    ensure!(a["value"] == b["value"], "moved while frozen: {a} {b}");
    let resumed = f.call_ok("game_resume", json!({})).await?;
    ensure!(resumed["frozen"] == false, "{resumed}");
    ok(f.call("stop_project", json!({})).await)?;
    f.call_ok(
        "close_scene",
        json!({"scene_path": "res://e2e_play/press_play.tscn"}),
    )
    .await
    .ok();
    Ok(())
});

test_fn!(files_untouched, |f| {
    let before = std::mem::take(&mut *BEFORE.lock().unwrap_or_else(|e| e.into_inner()));
    ensure!(!before.is_empty(), "no snapshot was taken");
    let after = project_files(&f.editor.project);
    for (path, bytes) in &before {
        ensure!(
            after.get(path) == Some(bytes),
            "{path} changed during the play tests"
        );
    }
    Ok(())
});
