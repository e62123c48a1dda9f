//! Gameplay and starter prompts: what to build, grounded in what the
//! project already has (its input map, its player, its main scene).

use std::fmt::Write;

use serde_json::json;

use super::{Args, input_actions};
use crate::ask::Ask;
use crate::complete::strings;

/// What each gameplay prompt asks to build.
fn spec(name: &str, kind: Option<&str>) -> String {
    match name {
        "character_controller_2d" => "a 2D player: a CharacterBody2D scene with a CollisionShape2D, a \
            Sprite2D or AnimatedSprite2D and a Camera2D; a typed script with exported speed, \
            acceleration, jump velocity and gravity from the project setting, coyote time and jump \
            buffering for a platformer or 8-way movement for top-down (choose from the input actions), \
            and move_and_slide."
            .into(),
        "character_controller_3d" => "a 3D player: a CharacterBody3D scene with a CollisionShape3D \
            (capsule), a MeshInstance3D and a SpringArm3D + Camera3D; a typed script with exported \
            speed, jump velocity and mouse sensitivity, camera-relative movement from the input \
            actions, gravity from the project setting, and move_and_slide."
            .into(),
        "enemy_ai" => "an enemy: a CharacterBody2D/3D (match the project's dimension) with an Area \
            for detection and a hurtbox; a script with an enum state machine (IDLE, PATROL, CHASE, \
            ATTACK, DEAD), patrol between markers, chase the player (find it by the `player` group) \
            within a detection radius, attack on a cooldown Timer, exported health and a `died` signal."
            .into(),
        "projectile" => "a projectile scene: an Area2D/3D (match the project) with a collision shape \
            and a sprite or mesh; a script with exported speed, damage and lifetime, moving along its \
            facing in _physics_process, calling `take_damage(damage)` on bodies that have it, then \
            queue_free on hit or when its lifetime Timer or a VisibleOnScreenNotifier says so."
            .into(),
        "collectible" => "a collectible: an Area2D/3D with a collision shape, a sprite or mesh and an \
            idle animation (AnimationPlayer or a Tween bob); on body_entered by the player (group \
            `player`) it emits `collected(value)`, plays a sound if there is an AudioStreamPlayer, \
            and frees itself. If a score autoload exists, add to it; else say where to connect."
            .into(),
        "ui_screen" => format!(
            "a {} screen: a Control scene (CanvasLayer when it overlays the game) with containers \
             anchored full_rect so it fits any resolution, Labels and Buttons named for their role, \
             focus neighbours for keyboard and gamepad, and a script that connects each Button's \
             pressed signal. A main menu starts the main scene; a pause screen sets get_tree().paused \
             and runs with process_mode ALWAYS; a HUD reads its values through signals.",
            kind.unwrap_or("main menu").replace('_', " ")
        ),
        "platformer_starter" => "a playable side-view platformer: a player (CharacterBody2D with \
            jump, coyote time, camera follow), a level of StaticBody2D platforms or a TileMapLayer, \
            collectibles with a score in a HUD, a hazard that restarts the level, and a goal that \
            shows a win screen. Make it the main scene."
            .into(),
        "top_down_starter" => "a playable top-down game: an 8-way player (CharacterBody2D) with a \
            camera, walls, two enemies that chase within a radius, health with a HUD, and game over \
            when health reaches zero. Make it the main scene."
            .into(),
        _ => "a playable grid puzzle (sokoban-like): a board drawn from a 2D array, a player and \
            boxes moved one cell per input with an undo stack, goal cells, a move counter in a HUD, \
            and a win check that shows a message. Make it the main scene."
            .into(),
    }
}

pub async fn render(ask: &Ask, name: &str, args: &Args) -> String {
    let info = ask.or_note("get_project_info", json!({})).await;
    let mut out = format!("Build {}\n", spec(name, args.get("kind")));
    match args.get("scene_path") {
        Some(scene) => {
            let _ = writeln!(out, "\nBuild it in {scene} (open_scene first).");
        }
        None => out.push_str("\nCreate new scenes and scripts in the project's folder layout.\n"),
    }
    out.push_str(
        "Work through the tools: create_scene, add_node with properties, write_script then \
         attach_script, connect_signal, save_scene. Reuse the input actions below (add missing ones \
         with add_input_action, using the usual keys). Then play-test it: run_project frozen, \
         game_step with inputs, check reports and get_game_errors.\n",
    );
    let _ = write!(
        out,
        "\n## The project\nMain scene: {}\n",
        info["main_scene"].as_str().unwrap_or("(none)")
    );
    let _ = write!(out, "\nInput actions:\n{}\n", input_actions(ask).await);
    let autoloads = strings(&info["autoloads"]);
    if !autoloads.is_empty() {
        let _ = writeln!(out, "\nAutoloads: {}", autoloads.join(", "));
    }
    let players: Vec<String> = strings(&info["scenes"])
        .into_iter()
        .chain(strings(&info["scripts"]))
        .filter(|p| p.to_lowercase().contains("player"))
        .collect();
    if players.is_empty() {
        out.push_str("\nNo player scene or script exists yet.\n");
    } else {
        let _ = writeln!(
            out,
            "\nExisting player files (build on them, do not duplicate): {}",
            players.join(", ")
        );
        if let Some(script) = players.iter().find(|p| p.ends_with(".gd")) {
            let source = ask
                .or_note("read_script", json!({ "script_path": script }))
                .await;
            if let Some(content) = source["content"].as_str() {
                let _ = write!(out, "\n## {script}\n```gdscript\n{content}\n```\n");
            }
        }
    }
    let scenes = strings(&info["scenes"]);
    if !scenes.is_empty() {
        let _ = writeln!(out, "\nScenes: {}", scenes.join(", "));
    }
    out
}
