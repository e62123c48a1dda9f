//! Context for the agent, through the real shim and a real editor: the
//! new-errors doorbell on every answer, prompts filled in from the live
//! project, resources and templates for every read, and completion of
//! their arguments.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use godot_mcp_e2e::TestResult;
use rmcp::model::Reference;
use serde_json::{Value, json};

use crate::foundation::{F, test_fn};
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        // First, while nothing else has gone wrong in this editor.
        ("context_new_errors_ring_once_on_the_next_answer", doorbell),
        ("context_prompts_fill_in_live_context", prompts),
        ("context_resources_templates_and_completion", resources),
    ];
    F::run_tests_with("context", prepare, suite, filter, tests).await;
}

const FAILING_SCENE: &str = "res://context/failing.tscn";
/// A game that calls a method on null as it starts, reports a second,
/// different error three seconds later, and quits.
const FAILING_SCRIPT: &str = "extends Node

var second_sent := false

func _ready() -> void:
\tvar nothing = null
\tnothing.explode()

func _process(_delta: float) -> void:
\tif Time.get_ticks_msec() > 3000 and not second_sent:
\t\tsecond_sent = true
\t\tpush_error(\"second failure later\")
\tif Time.get_ticks_msec() > 6000:
\t\tget_tree().quit()
";

fn prepare(project: &std::path::Path) -> Result<(), String> {
    let dir = project.join("context");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    write("failing.gd", FAILING_SCRIPT)?;
    write(
        "failing.tscn",
        &godot_mcp_e2e::script_scene("Failing", "res://context/failing.gd"),
    )
}

/// The `new_errors` of a call's answer, whether it succeeded or failed.
async fn call_news(f: &F, name: &str, args: Value) -> Result<(bool, Value), String> {
    let result = f.mcp.call_result(name, args).await?;
    let Some(rmcp::model::ContentBlock::Text(text)) = result.content.first() else {
        return Err(format!("{name}: no text block: {:?}", result.content));
    };
    let value: Value = serde_json::from_str(&text.text).map_err(|e| e.to_string())?;
    Ok((result.is_error == Some(true), value["new_errors"].clone()))
}

fn mentions(news: &Value, text: &str) -> bool {
    news["first"].as_array().is_some_and(|first| {
        first
            .iter()
            .any(|e| e["message"].as_str().unwrap_or_default().contains(text))
    })
}

test_fn!(doorbell, |f| {
    let (_, quiet) = call_news(f, "get_editor_state", json!({})).await?;
    ensure!(
        quiet.is_null(),
        "nothing is new before the game runs: {quiet}"
    );
    let (failed, mut news) = call_news(f, "run_project", json!({"scene": FAILING_SCENE})).await?;
    ensure!(!failed, "run_project failed");
    // Unrelated reads until one carries the game's error.
    let start = Instant::now();
    let news = loop {
        if !news.is_null() {
            break news;
        }
        news = call_news(f, "get_editor_state", json!({})).await?.1;
        ensure!(
            start.elapsed() < Duration::from_secs(20),
            "no answer announced the game's error"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(
        mentions(&news, "explode"),
        "the null call is announced: {news}"
    );
    ensure!(news["count"].as_u64() >= Some(1), "{news}");
    let first = &news["first"][0];
    ensure!(
        first["source"] == "game"
            && first["file"] == "res://context/failing.gd"
            && first["line"] == 7,
        "the error says where: {first}"
    );
    ensure!(
        news["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("get_game_errors"),
        "the hint names the tool that lists them: {news}"
    );
    let (_, again) = call_news(f, "get_project_info", json!({})).await?;
    ensure!(
        again.is_null(),
        "announced once, not on the next answer: {again}"
    );

    // A game stopped at the error in the debugger goes on.
    let run = f.call_ok("get_game_errors", json!({})).await?;
    if run["run"]["state"] == "paused_at_error" {
        f.call_ok("game_resume", json!({})).await?;
    }
    // Its later error rings on the next answer, even when that answer is an error.
    let start = Instant::now();
    loop {
        let (failed, news) =
            call_news(f, "get_node_properties", json!({"node_path": "NoSuchNode"})).await?;
        ensure!(failed, "the call itself fails");
        if !news.is_null() {
            ensure!(
                mentions(&news, "second failure later"),
                "the error answer carries the new error: {news}"
            );
            break;
        }
        ensure!(
            start.elapsed() < Duration::from_secs(20),
            "no error answer announced the second error"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = f.call("stop_project", json!({})).await;
    Ok(())
});

/// Waits until the editor lists `script` among the scripts that do not parse.
async fn broken_listed(f: &F, script: &str) -> TestResult {
    let start = Instant::now();
    loop {
        let state = f.call_ok("get_editor_state", json!({})).await?;
        let listed = state["script_errors"]["first"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["script_path"] == script));
        if listed {
            return Ok(());
        }
        ensure!(
            start.elapsed() < Duration::from_secs(20),
            "{script} never listed: {}",
            state["script_errors"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

test_fn!(prompts, |f| {
    let listed = f.mcp.prompts().await?;
    ensure!(listed.len() >= 12, "{} prompts", listed.len());
    for name in [
        "fix_errors",
        "explain_node",
        "playtest",
        "build_scene",
        "character_controller_2d",
        "character_controller_3d",
        "enemy_ai",
        "projectile",
        "collectible",
        "ui_screen",
        "platformer_starter",
        "top_down_starter",
        "puzzle_starter",
        "review_scene",
        "optimize_scene",
        "migrate_godot3",
    ] {
        let prompt = listed
            .iter()
            .find(|p| p.name == name)
            .ok_or(format!("no prompt {name}"))?;
        ensure!(
            prompt
                .description
                .as_deref()
                .is_some_and(|d| !d.is_empty() && d.len() <= 120),
            "{name}: {:?}",
            prompt.description
        );
        for arg in prompt.arguments.iter().flatten() {
            ensure!(arg.description.is_some(), "{name}.{} undescribed", arg.name);
        }
    }

    // fix_errors: a broken script's file, line and the line itself.
    f.call_ok(
        "write_text_file",
        json!({"path": "res://context/broken.gd",
               "content": "extends Node\n\nfunc _ready() -> void:\n\tvar x = = 2\n"}),
    )
    .await?;
    broken_listed(f, "res://context/broken.gd").await?;
    let text = f.mcp.prompt("fix_errors", json!({})).await?;
    ensure!(
        text.contains("res://context/broken.gd:4") && text.contains(">   4| \tvar x = = 2"),
        "fix_errors shows the file, line and source: {text}"
    );

    // explain_node: class docs and the node's current values.
    f.call_ok(
        "create_scene",
        json!({"scene_path": "res://context/explain.tscn", "root_type": "Node2D"}),
    )
    .await?;
    f.call_ok(
        "add_node",
        json!({"parent": ".", "type": "Sprite2D", "name": "Ship",
               "properties": {"flip_h": true, "position": [12, 34]}}),
    )
    .await?;
    let text = f
        .mcp
        .prompt("explain_node", json!({"node_path": "Ship"}))
        .await?;
    ensure!(
        text.contains("General-purpose sprite node") && text.contains("displays a 2D texture"),
        "explain_node has the class description: {text}"
    );
    ensure!(
        text.contains("flip_h") && text.contains("\"position\"") && text.contains("34"),
        "explain_node has the current values: {text}"
    );
    ensure!(text.contains("texture_changed"), "and the signals: {text}");

    // playtest and build_scene: the project's own input actions and scenes.
    f.call_ok(
        "add_input_action",
        json!({"name": "context_jump", "events": [{"key": "Space"}]}),
    )
    .await?;
    let text = f
        .mcp
        .prompt("playtest", json!({"goal": "the ship reaches the top"}))
        .await?;
    ensure!(
        text.contains("the ship reaches the top")
            && text.contains("context_jump")
            && text.contains("res://scenes/main.tscn")
            && text.contains("game_step"),
        "playtest is tailored to the project: {text}"
    );
    let text = f
        .mcp
        .prompt("build_scene", json!({"description": "a title screen"}))
        .await?;
    ensure!(
        text.contains("a title screen")
            && text.contains("res://platformer/level.tscn")
            && text.contains("context_jump"),
        "build_scene lists the project: {text}"
    );
    for name in [
        "character_controller_2d",
        "character_controller_3d",
        "enemy_ai",
        "projectile",
        "collectible",
        "ui_screen",
        "platformer_starter",
        "top_down_starter",
        "puzzle_starter",
    ] {
        let text = f.mcp.prompt(name, json!({})).await?;
        ensure!(
            text.contains("context_jump") && text.contains("res://scripts/player.gd"),
            "{name} is grounded in the input map and the existing player: {text}"
        );
    }

    // review_scene and optimize_scene read scenes without opening them.
    let text = f
        .mcp
        .prompt(
            "review_scene",
            json!({"scene_path": "res://scenes/main.tscn"}),
        )
        .await?;
    ensure!(
        text.contains("\"Coin\"")
            && text.contains("res://scripts/coin.gd")
            && text.contains("_on_body_entered"),
        "review_scene has the tree and its scripts: {text}"
    );
    let text = f
        .mcp
        .prompt(
            "optimize_scene",
            json!({"scene_path": "res://scenes/player.tscn"}),
        )
        .await?;
    ensure!(
        text.contains("res://scripts/player.gd:7") && text.contains("Nodes by class"),
        "optimize_scene finds the per-frame script: {text}"
    );
    let state = f.call_ok("get_editor_state", json!({})).await?;
    ensure!(
        !state["open_scenes"]
            .as_array()
            .is_some_and(|s| s.iter().any(|p| p == "res://scenes/player.tscn")),
        "reading a scene for a prompt opened it: {}",
        state["open_scenes"]
    );

    // migrate_godot3: Godot 3 names with their line and replacement.
    f.call_ok(
        "write_text_file",
        json!({"path": "res://context/old/legacy.gd",
               "content": "extends KinematicBody2D\n\nonready var s = $Sprite\n\nfunc _ready():\n\tyield(get_tree(), \"idle_frame\")\n"}),
    )
    .await?;
    let text = f
        .mcp
        .prompt("migrate_godot3", json!({"path": "res://context/old"}))
        .await?;
    ensure!(
        text.contains("res://context/old/legacy.gd")
            && text.contains("line 1: `KinematicBody2D` → CharacterBody2D")
            && text.contains("line 3: `onready var` → @onready var")
            && text.contains("line 6: `yield(`"),
        "migrate_godot3 lists the Godot 3 names: {text}"
    );

    // A missing required argument is refused with its name.
    let refused = f.mcp.prompt("explain_node", json!({})).await;
    ensure!(
        refused.as_ref().is_err_and(|e| e.contains("node_path")),
        "{refused:?}"
    );
    Ok(())
});

test_fn!(resources, |f| {
    let listed = f.mcp.resources().await?;
    for uri in [
        "godot://editor/state",
        "godot://scene/current",
        "godot://project/info",
        "godot://project/settings",
        "godot://input_map",
        "godot://autoloads",
        "godot://errors",
        "godot://game/output",
    ] {
        ensure!(
            listed.iter().any(|u| u == uri),
            "{uri} not listed: {listed:?}"
        );
    }
    let templates = f.mcp.templates().await?;
    for t in [
        "godot://class/{name}",
        "godot://script/{path}",
        "godot://scene/{path}/tree",
        "godot://node/{path}",
        "godot://file/{path}",
    ] {
        ensure!(
            templates.iter().any(|u| u == t),
            "{t} not listed: {templates:?}"
        );
    }

    let state = f.mcp.read_resource("godot://editor/state").await?;
    ensure!(state["session_id"].is_string(), "{state}");
    let settings = f.mcp.resource_text("godot://project/settings").await?;
    ensure!(
        settings.contains("run/main_scene=\"res://scenes/main.tscn\""),
        "{settings}"
    );
    let input = f.mcp.read_resource("godot://input_map").await?;
    ensure!(input["actions"].is_array(), "{input}");
    let autoloads = f.mcp.read_resource("godot://autoloads").await?;
    ensure!(autoloads["autoloads"].is_array(), "{autoloads}");
    let errors = f.mcp.read_resource("godot://errors").await?;
    ensure!(
        errors["script_errors"].is_object()
            && errors["editor_errors"].is_array()
            && errors.get("game").is_some(),
        "{errors}"
    );
    let output = f.mcp.read_resource("godot://game/output").await?;
    ensure!(
        output["lines"].is_array() || output["error"]["code"] == "RUN_NOT_FOUND",
        "{output}"
    );

    let class = f.mcp.read_resource("godot://class/Sprite2D").await?;
    ensure!(
        class["class"] == "Sprite2D"
            && class["description"]
                .as_str()
                .is_some_and(|d| d.contains("sprite")),
        "{class}"
    );
    let script = f
        .mcp
        .resource_text("godot://script/scripts/coin.gd")
        .await?;
    ensure!(script == f.file("res://scripts/coin.gd")?, "{script}");
    let tree = f
        .mcp
        .read_resource("godot://scene/platformer/level.tscn/tree")
        .await?;
    ensure!(tree["root"]["path"] == ".", "{tree}");
    let file = f.mcp.resource_text("godot://file/project.godot").await?;
    ensure!(file.contains("config/name"), "{file}");
    f.call_ok(
        "open_scene",
        json!({"scene_path": "res://scenes/main.tscn"}),
    )
    .await?;
    let node = f.mcp.read_resource("godot://node/Coin").await?;
    ensure!(node["type"] == "Area2D", "{node}");
    let missing = f.mcp.read_resource("godot://script/no/such.gd").await?;
    ensure!(missing["error"]["code"].is_string(), "{missing}");

    // Completion: classes from ClassDB, paths and node paths from the project.
    let classes = f
        .mcp
        .complete(
            Reference::for_resource("godot://class/{name}"),
            "name",
            "Sprite",
            &[],
        )
        .await?;
    ensure!(
        classes.iter().any(|c| c == "Sprite2D") && classes.iter().any(|c| c == "Sprite3D"),
        "{classes:?}"
    );
    let scenes = f
        .mcp
        .complete(
            Reference::for_resource("godot://scene/{path}/tree"),
            "path",
            "plat",
            &[],
        )
        .await?;
    ensure!(
        scenes.iter().any(|s| s == "platformer/level.tscn")
            && scenes.iter().all(|s| !s.starts_with("res://")),
        "{scenes:?}"
    );
    let scripts = f
        .mcp
        .complete(
            Reference::for_resource("godot://script/{path}"),
            "path",
            "",
            &[],
        )
        .await?;
    ensure!(
        scripts.iter().any(|s| s == "scripts/coin.gd"),
        "{scripts:?}"
    );
    let nodes = f
        .mcp
        .complete(
            Reference::for_prompt("explain_node"),
            "node_path",
            "Co",
            &[("scene_path", "res://scenes/main.tscn")],
        )
        .await?;
    ensure!(
        nodes.first().is_some_and(|n| n == "Coin") && nodes.iter().any(|n| n == "Coin/Shape"),
        "{nodes:?}"
    );
    let prompt_scenes = f
        .mcp
        .complete(
            Reference::for_prompt("review_scene"),
            "scene_path",
            "res://sc",
            &[],
        )
        .await?;
    ensure!(
        prompt_scenes.iter().any(|s| s == "res://scenes/main.tscn"),
        "{prompt_scenes:?}"
    );
    Ok(())
});
