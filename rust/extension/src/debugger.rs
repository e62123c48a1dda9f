//! The editor's debugger side of game runs.
//!
//! A game started from the editor connects to the editor's debugger, which
//! is how `run_project` knows it started. Each debugger session is a
//! `ScriptEditorDebugger` node that emits `debug_data` for every message
//! the game sends, Godot's own ones (`set_pid`, `output`, `error`,
//! `debug_enter`) included; an `EditorDebuggerPlugin` capture would only
//! see messages the editor does not handle itself. So this plugin listens
//! to that signal on each session and feeds [`Runs`]. Screenshots of the
//! game use the request the editor's Game view uses (`scene:rq_screenshot`):
//! the game saves its window to a PNG and answers with the file's path.
//! The play-test agent inside the game ([`crate::play`]) talks on its own
//! `godot_mcp` prefix, which this plugin captures: replies are kept by
//! request id for the handlers, and a game that holds its main loop is
//! suspended with the engine's own message and then released.

use std::cell::RefCell;
use std::rc::Rc;

use godot::classes::{
    EditorDebuggerPlugin, EditorDebuggerSession, EditorInterface, IEditorDebuggerPlugin,
};
use godot::prelude::*;

use crate::game_link::GameLink;
use crate::runs::{Item, Runs, parse};
use godot_mcp_protocol::{link, play};

/// The signal every debugger session emits for each message from the game.
const DEBUG_DATA: &str = "debug_data";
/// The engine's suspend, as the editor's Game view sends it.
pub const SUSPEND: &str = "scene:suspend_changed";
/// Godot's class for one debugger session tab.
const SESSION_CLASS: &str = "ScriptEditorDebugger";

#[derive(GodotClass)]
#[class(tool, init, base = EditorDebuggerPlugin)]
pub struct GodotMcpDebugger {
    pub runs: Rc<RefCell<Runs>>,
    /// Answers of the game's agent not yet collected, by request id.
    replies: std::collections::HashMap<i64, String>,
    /// The direct link the running game offered, once connected.
    link: Option<GameLink>,
    /// Holds answered since the count was last read (a frozen start is one).
    pub holds: u64,
    /// The instance id of `self` in the last frame whose variables the game
    /// listed (the engine's `stack_frame_vars`), if it had one.
    pub frame_self: Rc<std::cell::Cell<Option<i64>>>,
    /// Sessions listened to, with the callable connected to each.
    listening: Vec<(InstanceId, Callable)>,
    base: Base<EditorDebuggerPlugin>,
}

#[godot_api]
impl IEditorDebuggerPlugin for GodotMcpDebugger {
    fn setup_session(&mut self, _session_id: i32) {
        self.listen();
    }

    fn has_capture(&self, capture: GString) -> bool {
        capture == play::CAPTURE
    }

    fn capture(&mut self, message: GString, data: VarArray, session_id: i32) -> bool {
        let message = message.to_string();
        if message == play::REPLY {
            let id = data.get(0).and_then(|v| v.try_to::<i64>().ok());
            let text = data.get(1).map(|v| v.to_string()).unwrap_or_default();
            if let Some(id) = id {
                self.replies.insert(id, text);
            }
        } else if message == link::OFFER {
            let text = |i: usize| data.get(i).map(|v| v.to_string()).unwrap_or_default();
            // A new game's offer replaces the link to the last one.
            self.link = GameLink::connect(&text(0), &text(1));
        } else if message == play::BYE {
            // Messages are read in order: all the game sent before is in.
            if let Some(mut session) = self.base().get_session(session_id) {
                session.send_message_ex(play::RELEASE).done();
            }
        } else if message == play::HOLD {
            // The game waits in its main loop: suspend or thaw it as it
            // asks, then let it go.
            let suspended = data
                .get(1)
                .and_then(|v| v.try_to::<bool>().ok())
                .unwrap_or(true);
            if let Some(mut session) = self.base().get_session(session_id) {
                session
                    .send_message_ex(SUSPEND)
                    .data(&varray![suspended])
                    .done();
                session.send_message_ex(play::RELEASE).done();
                self.holds += 1;
            }
        }
        true
    }
}

impl GodotMcpDebugger {
    /// Whether a running game is connected to the editor's debugger.
    pub fn game_connected(&self) -> bool {
        self.active_session().is_some()
    }

    fn active_session(&self) -> Option<Gd<EditorDebuggerSession>> {
        self.base()
            .get_sessions()
            .iter_shared()
            .filter_map(|s| s.try_to::<Gd<EditorDebuggerSession>>().ok())
            .find(|s| s.is_active())
    }

    /// Takes the game's answer to request `id`, once it has come.
    pub fn take_reply(&mut self, id: i64) -> Option<String> {
        if let Some(link) = self.link.as_mut()
            && !link.pump(&mut self.replies)
        {
            self.link = None;
        }
        self.replies.remove(&id)
    }

    /// Sends a request to the game's agent: over the direct link when asked
    /// and connected, else over the debugger channel. False when no game
    /// is connected.
    pub fn send_request(&mut self, id: i64, text: &str, direct: bool) -> bool {
        if direct
            && self.game_connected()
            && let Some(link) = self.link.as_mut()
        {
            if link.send(id, text) {
                return true;
            }
            self.link = None;
        }
        self.send_to_game(play::REQUEST, &varray![id, text])
    }

    /// Sends a message to the running game; false when none is connected.
    pub fn send_to_game(&self, message: &str, data: &VarArray) -> bool {
        let Some(mut session) = self.active_session() else {
            return false;
        };
        session.send_message_ex(message).data(data).done();
        true
    }

    /// Connects to every debugger session not yet listened to.
    fn listen(&mut self) {
        let Some(base) = EditorInterface::singleton().get_base_control() else {
            return;
        };
        let sessions = base
            .find_children_ex("*")
            .type_(SESSION_CLASS)
            .recursive(true)
            .owned(false)
            .done();
        for mut session in sessions.iter_shared() {
            let id = session.instance_id();
            if self.listening.iter().any(|(known, _)| *known == id)
                || !session.has_signal(DEBUG_DATA)
            {
                continue;
            }
            let runs = Rc::clone(&self.runs);
            let frame_self = Rc::clone(&self.frame_self);
            let callable = Callable::from_fn("godot_mcp_debug_data", move |args: &[&Variant]| {
                if let [name, data] = args {
                    let name = name.to_string();
                    note_frame_self(&frame_self, &name, data);
                    on_debug_data(&runs, &name, data);
                }
                Variant::nil()
            });
            session.connect(DEBUG_DATA, &callable);
            self.listening.push((id, callable));
        }
    }

    /// Disconnects from the sessions; the callables must not outlive the plugin.
    pub fn stop(&mut self) {
        for (id, callable) in self.listening.drain(..) {
            if let Ok(mut session) = Gd::<Object>::try_from_instance_id(id)
                && session.is_connected(DEBUG_DATA, &callable)
            {
                session.disconnect(DEBUG_DATA, &callable);
            }
        }
    }
}

/// Follows the engine's listing of a frame's variables: `stack_frame_vars`
/// starts it, then each `stack_frame_var` is `[name, kind, type, value]`
/// (kind 1 a member), `self` first among the members, its value the
/// object's id as the editor decodes it.
fn note_frame_self(cell: &std::cell::Cell<Option<i64>>, name: &str, data: &Variant) {
    match name {
        "stack_frame_vars" => cell.set(None),
        "stack_frame_var" => {
            let Ok(data) = data.try_to::<VarArray>() else {
                return;
            };
            let is_self = data.get(0).is_some_and(|n| n.to_string() == "self")
                && data.get(1).and_then(|k| k.try_to::<i64>().ok()) == Some(1);
            if let Some(Ok(mut object)) = data
                .get(3)
                .filter(|_| is_self)
                .map(|v| v.try_to::<Gd<Object>>())
                && object.has_method("get_object_id")
            {
                cell.set(object.call("get_object_id", &[]).try_to::<i64>().ok());
            }
        }
        _ => {}
    }
}

fn on_debug_data(runs: &Rc<RefCell<Runs>>, name: &str, data: &Variant) {
    let Ok(data) = data.try_to::<VarArray>() else {
        return;
    };
    let items: Vec<Item> = data.iter_shared().map(|v| item(&v)).collect();
    if let Some(message) = parse(name, &items) {
        runs.borrow_mut().on_message(message, || {
            EditorInterface::singleton().get_playing_scene().to_string()
        });
    }
}

fn item(value: &Variant) -> Item {
    match value.get_type() {
        VariantType::INT => Item::Int(value.to::<i64>()),
        VariantType::BOOL => Item::Bool(value.to::<bool>()),
        VariantType::STRING | VariantType::STRING_NAME => Item::Str(value.to_string()),
        VariantType::PACKED_STRING_ARRAY => Item::Strs(
            value
                .to::<PackedStringArray>()
                .as_slice()
                .iter()
                .map(GString::to_string)
                .collect(),
        ),
        VariantType::PACKED_INT32_ARRAY => Item::Ints(
            value
                .to::<PackedInt32Array>()
                .as_slice()
                .iter()
                .map(|n| i64::from(*n))
                .collect(),
        ),
        _ => Item::Other,
    }
}
