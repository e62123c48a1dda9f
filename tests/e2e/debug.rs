//! The script debugger through the debug tools, on a small script the test
//! adds to its copy of the sample project: a breakpoint in a function called
//! in a loop, the stack and variables where it stops, expressions, continue
//! and step over, a breakpoint set in a game already running, a runtime
//! error that stops the game, every error code, and a game started with the
//! editor's Play button.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use godot_mcp_e2e::TestResult;
use godot_mcp_protocol::ErrorCode;
use serde_json::{Value, json};

use crate::ensure;
use crate::foundation::{F, follow, test_fn};

const SCRIPT: &str = "res://e2e_debug/loop.gd";
const SCENE: &str = "res://e2e_debug/loop.tscn";
/// The first line of `twice`, where the test stops.
const IN_TWICE: u64 = 14;
/// A line `_process` runs every frame.
const EVERY_FRAME: u64 = 20;

/// Line numbers matter: see the constants above.
const LOOP_GD: &str = r#"extends Node

var total := 0
var frames := 0


func _ready() -> void:
	for i in range(3):
		total += twice(i + 1)
	print("total=", total)


func twice(n: int) -> int:
	var doubled := n * 2
	var result := doubled
	return result


func _process(_delta: float) -> void:
	frames += 1
	if frames == 3:
		var items := {"a": 1}
		print("broken=", broken(items))
	if frames == 6:
		print("moved on")


func broken(d: Dictionary) -> int:
	var key := "missing"
	return d[key].size()


var big := range(50)
"#;

/// A tool script that presses Play the way the editor's button does.
const PRESS_PLAY_GD: &str = "@tool\nextends Node\n\n\nfunc _ready() -> void:\n\tif Engine.is_editor_hint():\n\t\tEditorInterface.play_custom_scene.call_deferred(\"res://e2e_debug/loop.tscn\")\n";

fn prepare(project: &std::path::Path) -> Result<(), String> {
    let dir = project.join("e2e_debug");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("loop.gd"), LOOP_GD).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("press_play.gd"), PRESS_PLAY_GD).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("press_play.tscn"),
        godot_mcp_e2e::script_scene("Press", "res://e2e_debug/press_play.gd"),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("loop.tscn"),
        godot_mcp_e2e::script_scene("Loop", "res://e2e_debug/loop.gd"),
    )
    .map_err(|e| e.to_string())
}

pub async fn run(suite: &mut crate::Suite, filter: Option<&str>) {
    F::run_tests_with(
        "debug",
        prepare,
        suite,
        filter,
        &[
            ("debug_errors_without_a_game", errors_without_a_game),
            ("debug_breakpoint_stack_eval_continue_over", loop_session),
            ("debug_runtime_error_pauses_then_moves_on", runtime_error),
            ("debug_stops_a_game_started_by_the_run_button", play_button),
        ],
    )
    .await;
}

/// Polls debug_state until the game is paused (or `within` passes).
async fn until_paused(f: &F, within: Duration) -> Result<Value, String> {
    let start = Instant::now();
    loop {
        let s = f.call_ok("debug_state", json!({})).await?;
        if s["game"] == "paused" {
            return Ok(s);
        }
        ensure!(start.elapsed() < within, "never paused: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn top(state: &Value) -> (Value, Value, Value) {
    let t = &state["stack"][0];
    (t["file"].clone(), t["line"].clone(), t["function"].clone())
}

test_fn!(errors_without_a_game, |f| {
    f.fails(
        "set_breakpoint",
        json!({"script_path": "res://e2e_debug/nope.gd", "line": 3}),
        ErrorCode::ScriptNotFound,
    )
    .await?;
    let e = f
        .fails(
            "set_breakpoint",
            json!({"script_path": SCRIPT, "line": 999}),
            ErrorCode::InvalidParams,
        )
        .await?;
    ensure!(e.message.contains("999"), "{e:?}");
    f.fails(
        "debug_step",
        json!({"mode": "over"}),
        ErrorCode::GameNotRunning,
    )
    .await?;
    f.fails(
        "debug_eval",
        json!({"expression": "1"}),
        ErrorCode::GameNotRunning,
    )
    .await?;
    let s = f.call_ok("debug_state", json!({})).await?;
    ensure!(s["game"] == "none" && s["breakpoints"] == json!([]), "{s}");
    Ok(())
});

test_fn!(loop_session, |f| {
    let set = f
        .call_ok(
            "set_breakpoint",
            json!({"script_path": SCRIPT, "line": IN_TWICE}),
        )
        .await?;
    ensure!(
        set["breakpoints"] == json!([{"script": SCRIPT, "line": IN_TWICE}]),
        "{set}"
    );
    // The editor logs nothing about it.
    let log = f
        .call_ok("get_editor_log", json!({"level": "error"}))
        .await?;
    ensure!(!log.to_string().contains(SCRIPT), "{log}");
    // Kept by the editor with no game running.
    let s = f.call_ok("debug_state", json!({})).await?;
    ensure!(s["breakpoints"] == set["breakpoints"], "{s}");

    let run = f.call_ok("run_project", json!({"scene": SCENE})).await?;
    let run_id = run["run_id"].as_u64().ok_or("no run id")?;
    let s = until_paused(f, Duration::from_secs(10)).await?;
    ensure!(s["reason"] == "breakpoint" && s["run_id"] == run_id, "{s}");
    ensure!(
        top(&s) == (json!(SCRIPT), json!(IN_TWICE), json!("twice")),
        "{s}"
    );
    let caller = &s["stack"][1];
    ensure!(
        caller["function"] == "_ready" && caller["line"] == 9,
        "the caller is not _ready at line 9: {s}"
    );
    ensure!(s["frame"]["locals"]["n"] == 1, "n is not 1: {s}");
    ensure!(s["frame"]["members"]["total"] == 0, "{s}");
    // A long collection is cut short, with its count.
    let big = &s["frame"]["members"]["big"];
    ensure!(
        big["count"] == 50 && big["first"].as_array().map(Vec::len) == Some(20),
        "{big}"
    );
    // The caller's frame has its own locals.
    let outer = f.call_ok("debug_state", json!({"frame": 1})).await?;
    ensure!(outer["frame"]["locals"]["i"] == 0, "{outer}");

    let v = f
        .call_ok("debug_eval", json!({"expression": "n * 10 + total"}))
        .await?;
    ensure!(v["value"] == 10, "{v}");
    // The frame's `self` is the base: its properties and methods are names.
    let v = f
        .call_ok(
            "debug_eval",
            json!({"expression": "str(name, get_child_count(), n)"}),
        )
        .await?;
    ensure!(v["value"] == "Loop01", "{v}");
    let e = f
        .fails(
            "debug_eval",
            json!({"expression": "n +"}),
            ErrorCode::ExpressionError,
        )
        .await?;
    ensure!(e.message.contains("n +"), "{e:?}");

    // Continue: the next call stops at the same line with the next value.
    let next = f.call_ok("debug_step", json!({"mode": "continue"})).await?;
    ensure!(next["game"] == "paused", "{next}");
    ensure!(
        next["reason"] == "breakpoint" && next["frame"]["locals"]["n"] == 2,
        "{next}"
    );
    ensure!(top(&next).1 == json!(IN_TWICE), "{next}");

    // Over: one line on, with the new local.
    let over = f.call_ok("debug_step", json!({"mode": "over"})).await?;
    ensure!(
        over["game"] == "paused" && over["reason"] == "step",
        "{over}"
    );
    ensure!(top(&over).1 == json!(IN_TWICE + 1), "{over}");
    ensure!(over["frame"]["locals"]["doubled"] == 4, "{over}");
    // Out: back in the caller.
    let out = f.call_ok("debug_step", json!({"mode": "out"})).await?;
    ensure!(
        out["game"] == "paused" && out["reason"] == "step" && top(&out).2 == "_ready",
        "{out}"
    );

    // Without breakpoints the game finishes the loop and prints its result.
    let cleared = f.call_ok("clear_breakpoints", json!({})).await?;
    ensure!(cleared["breakpoints"] == json!([]), "{cleared}");
    let gone = f.call_ok("debug_step", json!({"mode": "continue"})).await?;
    ensure!(gone["game"] != "none", "{gone}");
    follow(f, run_id, Duration::from_secs(10), |out| {
        out["lines"]
            .as_array()
            .is_some_and(|l| l.iter().any(|l| l["text"] == "total=12"))
    })
    .await?;
    Ok(())
});

test_fn!(runtime_error, |f| {
    // The game of the previous test goes on to a script error in _process.
    let s = until_paused(f, Duration::from_secs(10)).await?;
    ensure!(s["reason"] == "error", "{s}");
    let error = s["error"].as_str().unwrap_or_default();
    ensure!(error.contains("missing"), "{s}");
    ensure!(top(&s).2 == "broken", "{s}");
    ensure!(
        s["frame"]["locals"]["key"] == "missing" && s["frame"]["locals"]["d"] == json!({"a": 1}),
        "{s}"
    );
    let run_id = s["run_id"].as_u64().ok_or("no run id")?;
    let on = f.call_ok("debug_step", json!({"mode": "continue"})).await?;
    ensure!(on["game"] == "running", "{on}");
    follow(f, run_id, Duration::from_secs(10), |out| {
        out["lines"]
            .as_array()
            .is_some_and(|l| l.iter().any(|l| l["text"] == "moved on"))
    })
    .await?;
    let e = f
        .fails(
            "debug_eval",
            json!({"expression": "1"}),
            ErrorCode::NotPaused,
        )
        .await?;
    ensure!(e.hint.is_some(), "{e:?}");
    f.fails("debug_step", json!({"mode": "over"}), ErrorCode::NotPaused)
        .await?;
    // A game frozen by the play tools is not paused in the debugger.
    f.call_ok("game_pause", json!({})).await?;
    let s = f.call_ok("debug_state", json!({})).await?;
    ensure!(s["game"] == "frozen", "{s}");
    f.fails(
        "debug_step",
        json!({"mode": "continue"}),
        ErrorCode::NotPaused,
    )
    .await?;
    f.call_ok("game_resume", json!({})).await?;
    let s = f.call_ok("debug_state", json!({})).await?;
    ensure!(s["game"] == "running", "{s}");

    // A breakpoint set while the game runs applies at once.
    f.call_ok(
        "set_breakpoint",
        json!({"script_path": SCRIPT, "line": EVERY_FRAME}),
    )
    .await?;
    let s = until_paused(f, Duration::from_secs(10)).await?;
    ensure!(
        s["reason"] == "breakpoint" && top(&s).1 == json!(EVERY_FRAME),
        "{s}"
    );
    let cleared = f
        .call_ok("clear_breakpoints", json!({"script_path": SCRIPT}))
        .await?;
    ensure!(cleared["breakpoints"] == json!([]), "{cleared}");
    let on = f.call_ok("debug_step", json!({"mode": "continue"})).await?;
    ensure!(on["game"] == "running", "{on}");
    f.call_ok("stop_project", json!({})).await?;
    let s = f.call_ok("debug_state", json!({})).await?;
    ensure!(s["game"] == "none", "{s}");
    Ok(())
});

test_fn!(play_button, |f| {
    f.call_ok(
        "set_breakpoint",
        json!({"script_path": SCRIPT, "line": IN_TWICE}),
    )
    .await?;
    f.call_ok(
        "open_scene",
        json!({"scene_path": "res://e2e_debug/press_play.tscn"}),
    )
    .await?;
    let s = until_paused(f, Duration::from_secs(15)).await?;
    ensure!(
        s["reason"] == "breakpoint"
            && top(&s) == (json!(SCRIPT), json!(IN_TWICE), json!("twice"))
            && s["frame"]["locals"]["n"] == 1,
        "{s}"
    );
    let v = f
        .call_ok("debug_eval", json!({"expression": "n + 1"}))
        .await?;
    ensure!(v["value"] == 2, "{v}");
    f.call_ok("clear_breakpoints", json!({})).await?;
    f.call_ok("debug_step", json!({"mode": "continue"})).await?;
    f.call_ok("stop_project", json!({})).await?;
    f.call_ok(
        "close_scene",
        json!({"scene_path": "res://e2e_debug/press_play.tscn"}),
    )
    .await
    .ok();
    Ok(())
});
