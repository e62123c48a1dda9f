//! The editor's debugger side of a game run: the game process connects to
//! it when it is really up, which is how `run_project` knows it started.

use godot::classes::{EditorDebuggerPlugin, EditorDebuggerSession, IEditorDebuggerPlugin};
use godot::prelude::*;

#[derive(GodotClass)]
#[class(tool, init, base = EditorDebuggerPlugin)]
pub struct GodotMcpDebugger {
    base: Base<EditorDebuggerPlugin>,
}

#[godot_api]
impl IEditorDebuggerPlugin for GodotMcpDebugger {
    fn setup_session(&mut self, _session_id: i32) {}
}

impl GodotMcpDebugger {
    /// Whether a running game is connected to the editor's debugger.
    pub fn game_connected(&self) -> bool {
        self.base()
            .get_sessions()
            .iter_shared()
            .filter_map(|s| s.try_to::<Gd<EditorDebuggerSession>>().ok())
            .any(|s| s.is_active())
    }
}
