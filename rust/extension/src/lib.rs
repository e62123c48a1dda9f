//! The godot-mcp editor extension.
//!
//! A GDExtension whose [`plugin::GodotMcpPlugin`] registers itself in the
//! editor, serves a WebSocket endpoint on a background thread
//! ([`server`]), and runs each request on Godot's main thread
//! ([`dispatch`]) through one handler module per domain ([`handlers`]).

use godot::prelude::*;

mod calls;
mod convert;
mod debugger;
mod dispatch;
mod dock;
mod doorbell;
mod editor_log;
mod error;
mod game;
mod game_link;
mod gate;
mod handlers;
mod heap;
mod perf;
mod play;
mod plugin;
mod ring;
mod runs;
mod saved;
mod server;
mod wake;
mod watch;

pub use error::ExtensionError;

struct GodotMcp;

// SAFETY: the one entry point Godot loads; gdext requires the impl be
// `unsafe` because it exports the C symbol the engine calls.
#[gdextension]
unsafe impl ExtensionLibrary for GodotMcp {
    fn on_stage_init(stage: InitStage) {
        if stage == InitStage::MainLoop {
            play::main_loop_started();
        }
    }

    fn on_main_loop_frame() {
        play::frame();
    }

    fn on_stage_deinit(stage: InitStage) {
        if stage == InitStage::MainLoop {
            play::main_loop_ending();
            game::main_loop_ending();
        }
    }
}
