//! The editor plugin: starts the endpoint when the editor loads it, drains
//! requests every frame, and stops everything when it leaves the tree.

use std::time::Duration;

use godot::classes::{EditorPlugin, IEditorPlugin};
use godot::prelude::*;

use crate::dispatch::Dispatcher;
use crate::handlers::{self, Ctx};
use crate::server::Server;

/// Requests handled per frame at most, unless `GODOT_MCP_MAX_PER_FRAME` says otherwise.
const DEFAULT_CAP: u32 = 32;
/// Milliseconds of handler time per frame, unless `GODOT_MCP_FRAME_BUDGET_MS` says otherwise.
const DEFAULT_BUDGET_MS: u64 = 4;

struct Running {
    server: Server,
    dispatcher: Dispatcher<Ctx>,
    ctx: Ctx,
}

#[derive(GodotClass)]
#[class(tool, init, base = EditorPlugin)]
pub struct GodotMcpPlugin {
    running: Option<Running>,
    base: Base<EditorPlugin>,
}

#[godot_api]
impl IEditorPlugin for GodotMcpPlugin {
    fn enter_tree(&mut self) {
        match start() {
            Ok(running) => {
                godot_print!("godot-mcp: listening on ws://{}", running.server.addr);
                self.running = Some(running);
            }
            Err(e) => godot_error!("godot-mcp: not started: {e}"),
        }
    }

    fn exit_tree(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.server.stop();
            godot_print!("godot-mcp: stopped");
        }
    }

    fn process(&mut self, _delta: f64) {
        if let Some(running) = &mut self.running {
            running
                .dispatcher
                .drain(&running.server.inbound, &mut running.ctx);
        }
    }
}

fn start() -> Result<Running, crate::ExtensionError> {
    let port = godot_mcp_protocol::port_from_env()?;
    let cap = env_number("GODOT_MCP_MAX_PER_FRAME", u64::from(DEFAULT_CAP)) as u32;
    let budget = Duration::from_millis(env_number("GODOT_MCP_FRAME_BUDGET_MS", DEFAULT_BUDGET_MS));
    Ok(Running {
        server: Server::start(port)?,
        dispatcher: Dispatcher::new(handlers::routes(), cap, budget),
        ctx: Ctx::default(),
    })
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}
