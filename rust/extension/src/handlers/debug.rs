//! The script debugger, editor side.
//!
//! Breakpoints are the script editor's own: they are set through the signal
//! the debugger panel's breakpoint list uses, so the script editor keeps
//! them (in its open tabs, or its cache for closed scripts) across runs and
//! editor restarts, passes them to every game it starts, and sends each
//! change to the games already running. The stack and variables of a
//! stopped game are read by the game's agent ([`crate::play`]) inside the
//! stopped call; steps are the engine's own debugger messages.

use std::cell::Cell;
use std::time::{Duration, Instant};

use godot::classes::{EditorInterface, Node, ResourceLoader, Script};
use godot::prelude::*;
use godot_mcp_protocol::commands::debug::*;
use godot_mcp_protocol::commands::play::Played;
use godot_mcp_protocol::play::GameRequest;
use godot_mcp_protocol::router::Answer;
use godot_mcp_protocol::{Command, ErrorBody, ErrorCode, errors, paths};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::play::{decode, next_id, not_running, running_game};
use super::{Ctx, fs_path};
use crate::debugger::GodotMcpDebugger;

/// How long a step or eval waits for the game, at most.
pub(super) const DEBUG_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `continue` waits for the game to stop again before answering
/// that it runs.
const CONTINUE_GRACE: Duration = Duration::from_millis(400);
/// The same for the other steps, which stop again at the next line run.
const STEP_GRACE: Duration = Duration::from_secs(3);

/// The editor's class holding the debugger sessions, whose signals the
/// script editor listens to for breakpoints set in the debugger panel.
const DEBUGGER_NODE: &str = "EditorDebuggerNode";

thread_local! {
    /// Whether the last command sent to the stopped game was a step.
    static STEPPING: Cell<bool> = const { Cell::new(false) };
}

pub fn set_breakpoint(_: &mut Ctx, p: SetBreakpoint) -> Result<Breakpoints, ErrorBody> {
    let path = script_file(&p.script_path)?;
    let lines = std::fs::read_to_string(fs_path(&path)?)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    if p.line == 0 || p.line as usize > lines {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("line {} is outside {path}, which has {lines} lines", p.line),
        )
        .with_hint("lines count from 1; read_script shows the numbered text"));
    }
    let script = ResourceLoader::singleton()
        .load(&path)
        .and_then(|r| r.try_cast::<Script>().ok())
        .ok_or_else(|| errors::script_not_found(&path))?;
    let enabled = p.enabled.unwrap_or(true);
    toggle(&mut debugger_node()?, &script.upcast(), p.line, enabled);
    let list = list();
    let has = list.iter().any(|b| b.script == path && b.line == p.line);
    if has != enabled {
        return Err(ErrorBody::new(
            ErrorCode::GodotError,
            format!(
                "the script editor did not take the breakpoint at {path}:{}",
                p.line
            ),
        ));
    }
    Ok(Breakpoints { breakpoints: list })
}

pub fn clear_breakpoints(_: &mut Ctx, p: ClearBreakpoints) -> Result<Breakpoints, ErrorBody> {
    let mut node = debugger_node()?;
    match p.script_path {
        None => {
            node.emit_signal("breakpoints_cleared_in_tree", &[]);
        }
        Some(input) => {
            let path = script_file(&input)?;
            for b in list().into_iter().filter(|b| b.script == path) {
                if let Some(script) = ResourceLoader::singleton().load(&path) {
                    toggle(&mut node, &script, b.line, false);
                }
            }
        }
    }
    Ok(Breakpoints {
        breakpoints: list(),
    })
}

pub fn debug_state(ctx: &mut Ctx, p: DebugState) -> Result<Answer<Debugged>, ErrorBody> {
    let Ok(run_id) = running_game(ctx) else {
        return Ok(Answer::Now(no_game()));
    };
    let mut asked = Ask::state(ctx, run_id, p.frame)?;
    Ok(Answer::Later {
        poll: Box::new(move || asked.poll()),
        waiting_for: "the game's debugger state",
    })
}

pub fn debug_step(ctx: &mut Ctx, p: DebugStep) -> Result<Answer<Debugged>, ErrorBody> {
    let run_id = running_game(ctx)?;
    paused(ctx)?;
    let debugger = ctx.debugger.clone().ok_or_else(not_running)?;
    let breaks = ctx.runs.borrow().breaks;
    STEPPING.set(p.mode != StepMode::Continue);
    if !debugger
        .bind()
        .send_to_game(p.mode.message(), &VarArray::new())
    {
        return Err(not_running());
    }
    let grace = if p.mode == StepMode::Continue {
        CONTINUE_GRACE
    } else {
        STEP_GRACE
    };
    let runs = ctx.runs.clone();
    let sent = Instant::now();
    let mut state: Option<Ask> = None;
    let mut resumed: Option<Instant> = None;
    Ok(Answer::Later {
        poll: Box::new(move || {
            if let Some(asked) = state.as_mut() {
                return asked.poll();
            }
            if !debugger.bind().game_connected() {
                return Some(Ok(no_game()));
            }
            let (now_breaks, stopped) = {
                let r = runs.borrow();
                (r.breaks, r.paused_at_error().is_some())
            };
            if now_breaks > breaks && stopped {
                match Ask::send(&debugger, &runs, run_id, p.frame) {
                    Ok(asked) => state = Some(asked),
                    Err(e) => return Some(Err(e)),
                }
                return None;
            }
            // Running again: answer so once it has stayed so a moment.
            if !stopped {
                let since = *resumed.get_or_insert_with(Instant::now);
                if since.elapsed() >= grace || sent.elapsed() >= DEBUG_TIMEOUT / 2 {
                    return Some(Ok(Debugged {
                        game: GameDebug::Running,
                        run_id: Some(run_id),
                        breakpoints: list(),
                        ..no_game()
                    }));
                }
            }
            None
        }),
        waiting_for: "the game to stop again or run",
    })
}

pub fn debug_eval(ctx: &mut Ctx, p: DebugEval) -> Result<Answer<Evaluated>, ErrorBody> {
    let run_id = running_game(ctx)?;
    paused(ctx)?;
    let debugger = ctx.debugger.clone().ok_or_else(not_running)?;
    // The engine names a frame's `self` only in its own listing of the
    // frame's variables: ask for it, then for a reply that comes after it.
    let frame = i64::from(p.frame.unwrap_or(0));
    debugger
        .bind()
        .send_to_game("get_stack_frame_vars", &varray![frame]);
    let ping = send_op(&debugger, "ping", serde_json::Value::Null, false)?;
    let mut eval: Option<i64> = None;
    Ok(Answer::Later {
        poll: Box::new(move || {
            if let Some(id) = eval {
                return reply::<Evaluated>(&debugger, id, DebugEval::NAME, run_id);
            }
            let pinged = debugger.clone().bind_mut().take_reply(ping).is_some();
            if !pinged {
                return (!debugger.bind().game_connected()).then(|| Err(not_running()));
            }
            let params = FrameEval {
                expression: p.expression.clone(),
                frame: p.frame,
                self_id: debugger.bind().frame_self.get(),
            };
            let sent = serde_json::to_value(&params)
                .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))
                .and_then(|v| send_op(&debugger, DebugEval::NAME, v, false));
            match sent {
                Ok(id) => eval = Some(id),
                Err(e) => return Some(Err(e)),
            }
            None
        }),
        waiting_for: "the game to evaluate",
    })
}

/// A `debug_state` request to the game, answered with the breakpoints and
/// why the game stopped.
struct Ask {
    debugger: Gd<GodotMcpDebugger>,
    runs: std::rc::Rc<std::cell::RefCell<crate::runs::Runs>>,
    run_id: u64,
    id: i64,
    frame: Option<u32>,
    /// Sent over the direct link, which a game that stops meanwhile no
    /// longer reads.
    direct: bool,
}

impl Ask {
    fn state(ctx: &Ctx, run_id: u64, frame: Option<u32>) -> Result<Ask, ErrorBody> {
        let debugger = ctx.debugger.clone().ok_or_else(not_running)?;
        Ask::send(&debugger, &ctx.runs, run_id, frame)
    }

    fn send(
        debugger: &Gd<GodotMcpDebugger>,
        runs: &std::rc::Rc<std::cell::RefCell<crate::runs::Runs>>,
        run_id: u64,
        frame: Option<u32>,
    ) -> Result<Ask, ErrorBody> {
        // A stopped game reads only the debugger channel.
        let direct = runs.borrow().paused_at_error().is_none();
        let id = request(debugger, &DebugState { frame }, direct)?;
        Ok(Ask {
            debugger: debugger.clone(),
            runs: runs.clone(),
            run_id,
            id,
            frame,
            direct,
        })
    }

    fn poll(&mut self) -> Option<Result<Debugged, ErrorBody>> {
        let answer = reply::<Snapshot>(&self.debugger, self.id, DebugState::NAME, self.run_id);
        if answer.is_none() && self.direct && self.runs.borrow().paused_at_error().is_some() {
            match Ask::send(&self.debugger, &self.runs, self.run_id, self.frame) {
                Ok(again) => *self = again,
                Err(e) => return Some(Err(e)),
            }
            return None;
        }
        let snapshot = match answer? {
            Ok(s) => s,
            Err(e) if e.code == ErrorCode::GameNotRunning => return Some(Ok(no_game())),
            Err(e) => return Some(Err(e)),
        };
        let breakpoints = list();
        let run_id = Some(self.run_id);
        if snapshot.stack.is_empty() {
            let game = if snapshot.frozen {
                GameDebug::Frozen
            } else {
                GameDebug::Running
            };
            return Some(Ok(Debugged {
                game,
                run_id,
                breakpoints,
                hint: Some(
                    "not paused in the debugger: set_breakpoint stops it at a line; game_pause only freezes time"
                        .into(),
                ),
                ..no_game()
            }));
        }
        let message = self
            .runs
            .borrow()
            .paused_at_error()
            .unwrap_or_default()
            .to_owned();
        let top = &snapshot.stack[0];
        let on_breakpoint = breakpoints
            .iter()
            .any(|b| b.script == top.file && b.line == top.line);
        let reason = stop_reason(&message, STEPPING.get(), on_breakpoint);
        Some(Ok(Debugged {
            game: GameDebug::Paused,
            run_id,
            reason: Some(reason),
            error: (reason == StopReason::Error).then_some(message),
            stack: snapshot.stack,
            frame: snapshot.frame,
            breakpoints,
            hint: None,
        }))
    }
}

/// Sends a command's request to the game's agent; its id.
fn request<P: Command + Serialize>(
    debugger: &Gd<GodotMcpDebugger>,
    params: &P,
    direct: bool,
) -> Result<i64, ErrorBody> {
    let params = serde_json::to_value(params)
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?;
    send_op(debugger, P::NAME, params, direct)
}

/// Sends `op` to the game's agent; the request's id.
fn send_op(
    debugger: &Gd<GodotMcpDebugger>,
    op: &str,
    params: serde_json::Value,
    direct: bool,
) -> Result<i64, ErrorBody> {
    let text = serde_json::to_string(&GameRequest {
        op: op.to_owned(),
        params,
    })
    .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?;
    let id = next_id();
    if !debugger.clone().bind_mut().send_request(id, &text, direct) {
        return Err(not_running());
    }
    Ok(id)
}

/// The game's answer to request `id`, once it came (or the game ended).
fn reply<T: DeserializeOwned>(
    debugger: &Gd<GodotMcpDebugger>,
    id: i64,
    op: &str,
    run_id: u64,
) -> Option<Result<T, ErrorBody>> {
    let mut d = debugger.clone();
    if let Some(text) = d.bind_mut().take_reply(id) {
        return Some(decode::<T>(op, run_id, &text).map(|p: Played<T>| p.result));
    }
    (!d.bind().game_connected()).then(|| {
        Err(ErrorBody::new(
            ErrorCode::GameNotRunning,
            format!("the game ended before answering {op}"),
        ))
    })
}

/// Sets or removes a breakpoint as the debugger panel's list does. For a
/// script it never opened, the script editor looks up a cached state that
/// is not there and logs an error about it: that lookup is kept quiet, and
/// the caller checks the outcome in the breakpoint list instead.
fn toggle(node: &mut Gd<Node>, script: &Gd<godot::classes::Resource>, line: u32, enabled: bool) {
    let mut engine = godot::classes::Engine::singleton();
    let printing = engine.is_printing_error_messages();
    engine.set_print_error_messages(false);
    node.emit_signal(
        "breakpoint_set_in_tree",
        &[
            script.to_variant(),
            (i64::from(line) - 1).to_variant(),
            enabled.to_variant(),
        ],
    );
    engine.set_print_error_messages(printing);
}

/// Refuses a game that is not stopped in the debugger.
fn paused(ctx: &Ctx) -> Result<(), ErrorBody> {
    if ctx.runs.borrow().paused_at_error().is_some() {
        return Ok(());
    }
    Err(ErrorBody::new(
        ErrorCode::NotPaused,
        "the game runs; it is not paused in the debugger",
    )
    .with_hint(
        "set_breakpoint and wait for debug_state to say paused; a game frozen by game_pause is not a debugger pause",
    ))
}

fn no_game() -> Debugged {
    Debugged {
        game: GameDebug::None,
        run_id: None,
        reason: None,
        error: None,
        stack: Vec::new(),
        frame: None,
        breakpoints: list(),
        hint: None,
    }
}

/// The script editor's breakpoints.
fn list() -> Vec<Breakpoint> {
    let Some(editor) = EditorInterface::singleton().get_script_editor() else {
        return Vec::new();
    };
    let entries = editor.get_breakpoints();
    let texts: Vec<String> = entries.as_slice().iter().map(GString::to_string).collect();
    parse_breakpoints(texts.iter().map(String::as_str))
}

fn debugger_node() -> Result<Gd<Node>, ErrorBody> {
    EditorInterface::singleton()
        .get_base_control()
        .and_then(|base| {
            base.find_children_ex("*")
                .type_(DEBUGGER_NODE)
                .recursive(true)
                .owned(false)
                .done()
                .iter_shared()
                .next()
        })
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::GodotError,
                "the editor's debugger panel was not found",
            )
        })
}

/// The `res://` path of an existing GDScript file.
fn script_file(input: &str) -> Result<String, ErrorBody> {
    let path = paths::normalize_file(input, &["gd"])?;
    if !fs_path(&path)?.is_file() {
        return Err(errors::script_not_found(&path));
    }
    Ok(path)
}
