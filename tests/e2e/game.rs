//! A small playable 2D scene built entirely through MCP (a player with a
//! sprite and a collision shape resource, a validated script, an input action,
//! a signal connection, an autoload), saved, then run by a headless Godot
//! that must play it without errors.

use std::time::Duration;

use godot_mcp_e2e::{godot_binary, run_scene};
use serde_json::json;

use crate::foundation::F;
use crate::{Suite, ensure};

const NAME: &str = "tools_game_built_through_mcp_runs_headless";

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    if filter.is_some_and(|f| !NAME.contains(f)) {
        return;
    }
    let f = match F::start("game").await {
        Ok(f) => f,
        Err(e) => return suite.fail("game_editor_starts", &e),
    };
    suite.run(&f, NAME, |f| Box::pin(build_and_play(f))).await;
    let F { mcp, mut editor } = f;
    mcp.close().await;
    editor.kill();
}

const PLAYER_SCRIPT: &str = r#"extends CharacterBody2D

signal hit

@export var speed := 150.0
var frames := 0


func _physics_process(_delta: float) -> void:
	var direction := Input.get_axis("move_left", "move_right")
	velocity = Vector2(direction * speed, 0.0)
	move_and_slide()
	frames += 1
	if frames == 10:
		hit.emit()


func _on_hit() -> void:
	Score.points += 1
	print("hit! points=", Score.points)
"#;

async fn build_and_play(f: &F) -> godot_mcp_e2e::TestResult {
    f.call_ok(
        "create_scene",
        json!({"scene_path": "res://game.tscn", "root_type": "Node2D"}),
    )
    .await?;
    f.call_ok(
        "write_script",
        json!({"script_path": "res://score.gd", "content": "extends Node\n\nvar points := 0\n"}),
    )
    .await?;
    f.call_ok(
        "add_autoload",
        json!({"name": "Score", "path": "res://score.gd"}),
    )
    .await?;
    let check = f
        .call_ok("validate_script", json!({"content": PLAYER_SCRIPT}))
        .await?;
    ensure!(check["valid"] == true, "the player script: {check}");
    let written = f
        .call_ok(
            "write_script",
            json!({"script_path": "res://player.gd", "content": PLAYER_SCRIPT}),
        )
        .await?;
    ensure!(written["valid"] == true, "{written}");
    f.call_ok("add_input_action",
        json!({"name": "move_left", "events": [{"key": "A"}, {"key": "Left"}, {"joypad_axis": 0, "axis_value": -1.0}]}),
    )
    .await?;
    f.call_ok(
        "add_input_action",
        json!({"name": "move_right", "events": [{"key": "D"}, {"key": "Right"}]}),
    )
    .await?;
    f.call_ok(
        "create_resource",
        json!({"type": "WorldBoundaryShape2D", "path": "res://ground.tres"}),
    )
    .await?;
    f.call_ok("batch",
        json!({"commands": [
            {"action": "add_node", "params": {"scene_path": "res://game.tscn", "type": "CharacterBody2D", "name": "Player", "properties": {"position": [320, 200]}}},
            {"action": "add_node", "params": {"parent": "Player", "type": "Sprite2D", "name": "Sprite", "properties": {"texture": "res://icon.svg", "scale": [0.25, 0.25]}}},
            {"action": "add_node", "params": {"parent": "Player", "type": "CollisionShape2D", "name": "Collision", "properties": {"shape": {"type": "RectangleShape2D", "size": [32, 32]}}}},
            {"action": "attach_script", "params": {"node_path": "Player", "script_path": "res://player.gd"}},
            {"action": "add_node", "params": {"type": "StaticBody2D", "name": "Ground", "properties": {"position": [320, 300]}}},
            {"action": "add_node", "params": {"parent": "Ground", "type": "CollisionShape2D", "name": "Shape", "properties": {"shape": "res://ground.tres"}}}
        ]}),
    )
    .await?;
    f.call_ok("connect_signal",
        json!({"scene_path": "res://game.tscn", "from": "Player", "signal": "hit", "to": "Player", "method": "_on_hit"}),
    )
    .await?;
    f.call_ok("save_scene", json!({"scene_path": "res://game.tscn"}))
        .await?;
    f.call_ok("set_main_scene", json!({"scene_path": "res://game.tscn"}))
        .await?;
    let saved = f.file("res://game.tscn")?;
    for needle in [
        "[sub_resource type=\"RectangleShape2D\"",
        "[connection signal=\"hit\" from=\"Player\" to=\"Player\" method=\"_on_hit\"]",
        "path=\"res://ground.tres\"",
    ] {
        ensure!(
            saved.contains(needle),
            "game.tscn lacks {needle:?}:\n{saved}"
        );
    }
    let output = run_scene(
        &godot_binary()?,
        &f.editor.project,
        "res://game.tscn",
        60,
        Duration::from_secs(60),
    )?;
    let errors: Vec<&str> = output.lines().filter(|l| l.contains("ERROR")).collect();
    ensure!(
        errors.is_empty(),
        "the game logged errors:\n{}\n\nfull output:\n{output}",
        errors.join("\n")
    );
    ensure!(
        output.contains("hit! points=1"),
        "the script, signal or autoload did not run:\n{output}"
    );
    Ok(())
}
