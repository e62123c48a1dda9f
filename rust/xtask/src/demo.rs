//! `cargo xtask run`: the sample project in a real editor, served over MCP.
//!
//! With `--demo` it also drives that editor through `godot-mcp` the way an
//! AI client would, printing each call and answer, so a newcomer without an
//! AI client can watch it work.

use std::io::IsTerminal;
use std::path::Path;

use godot_mcp_e2e::{Editor, EditorOptions, Mcp, register_extension};
use serde_json::{Value, json};

use crate::{Result, root};

pub fn run(godot: &Path, shim: &Path, demo: bool) -> Result {
    let project = root().join("godot_project");
    register_extension(&project).map_err(|e| e.to_string())?;
    // A port is fixed only when asked for; otherwise the editor takes the
    // first free one from 6505 and the shim finds it by its discovery file.
    let port = godot_mcp_protocol::port_from_env().map_err(|e| e.to_string())?;
    let display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let interactive = std::io::stdin().is_terminal();
    eprintln!(
        "starting Godot ({}) on {} ...",
        if display {
            "windowed"
        } else {
            "headless: no display"
        },
        project.display()
    );
    let mut editor = Editor::start(
        godot,
        &project,
        EditorOptions {
            headless: !display,
            own_group: !interactive,
            port,
            runtime_dir: None,
            log: Some(root().join("target/godot-editor.log")),
            ..EditorOptions::default()
        },
    )?;
    print_client_config(shim, port);
    if demo {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        runtime.block_on(drive(shim, editor.port))?;
        if !interactive {
            editor.kill();
            return Ok(());
        }
    }
    eprintln!(
        "\nThe editor is running (pid {}, log {}). Close it or press Ctrl+C to stop.",
        editor.pid(),
        editor.log.display()
    );
    editor.wait().map_err(|e| e.to_string())?;
    Ok(())
}

fn print_client_config(shim: &Path, port: Option<u16>) {
    let env = port.map_or_else(String::new, |p| format!(" --env GODOT_MCP_PORT={p}"));
    let mut server = json!({ "command": shim, "args": [] });
    if let Some(port) = port {
        server["env"] = json!({ "GODOT_MCP_PORT": port.to_string() });
    }
    println!(
        "\nAdd it to Claude Code:\n  claude mcp add godot{env} -- {}",
        shim.display()
    );
    println!(
        "\nOr to any MCP client's JSON config:\n{}",
        serde_json::to_string_pretty(&json!({ "mcpServers": { "godot": server } }))
            .unwrap_or_default()
    );
}

/// Builds and saves a small scene through MCP, printing every exchange.
async fn drive(shim: &Path, port: u16) -> Result {
    let mcp = Mcp::start_with(shim, port).await?;
    println!("\n--- demo: driving the editor through godot-mcp ---");
    println!("tools/list -> {} tools", mcp.tools().await?.len());
    let source =
        "extends Sprite2D\n\n\nfunc _process(delta: float) -> void:\n\trotation += delta\n";
    let calls: Vec<(&str, Value)> = vec![
        ("get_editor_state", json!({})),
        (
            "create_scene",
            json!({"scene_path": "res://demo/spinner.tscn", "root_type": "Node2D", "overwrite": true}),
        ),
        (
            "add_node",
            json!({"type": "Sprite2D", "name": "Logo", "properties": {"texture": "res://icon.svg", "position": [320, 180]}}),
        ),
        (
            "add_node",
            json!({"type": "Label", "name": "Caption", "properties": {"text": "Built by godot-mcp", "position": "Vector2(250, 260)", "modulate": "#ffd166"}}),
        ),
        (
            "write_script",
            json!({"script_path": "res://demo/spinner.gd", "content": source}),
        ),
        (
            "attach_script",
            json!({"node_path": "Logo", "script_path": "res://demo/spinner.gd"}),
        ),
        (
            "edit_node",
            json!({"node_path": "Logo", "properties": {"scale": [0.5, 0.5]}}),
        ),
        ("save_scene", json!({})),
        ("get_scene_tree", json!({})),
    ];
    for (name, args) in calls {
        println!("\n> {name} {args}");
        match mcp.call(name, args).await {
            Ok(result) => println!("< {result}"),
            Err(error) => {
                println!("< error {error}");
                return Err(format!("demo call {name} failed: {error}"));
            }
        }
    }
    println!("\n--- demo done: res://demo/spinner.tscn is saved in godot_project/ ---");
    mcp.close().await;
    Ok(())
}
