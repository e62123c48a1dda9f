//! The extension's agent inside a running game: it answers the play-test
//! tools (`game_*`) and reads a game stopped in the script debugger for the
//! debug tools ([`debug`]) over Godot's own debugger channel.
//!
//! A game the editor started is connected to the editor's debugger. The
//! agent registers a message capture (`godot_mcp`) with `EngineDebugger`,
//! so requests arrive as `godot_mcp:request [id, json]` and are answered
//! with `godot_mcp:reply [id, json]`. Nothing is added to the project: no
//! autoload, no extra port, no file.
//!
//! **Freezing** uses the engine's own suspend (what the editor's Game view
//! does): the editor sends `scene:suspend_changed` next to our request, so
//! the game's `get_tree().paused` stays the game's own. While suspended the
//! engine still iterates, so captures are answered at once, but nodes,
//! timers, tweens and physics do not advance.
//!
//! **Stepping**: the engine's suspend can only be changed by a message from
//! the editor, which the game handles between iterations. So the agent
//! *holds* whenever it needs the state changed at an exact frame: at the
//! end of an iteration ([`frame`]) it stops, asks the editor to suspend or
//! thaw it, and keeps polling the debugger channel until the change and a
//! release have arrived. A step is armed by the request, holds once to be
//! thawed (its first frame is the next one), counts physics frames, and
//! when the count is reached (or `until` holds) holds again to be
//! suspended, so not one frame runs too many. Inputs
//! are queued at the end of the iteration before the physics frame they
//! belong to, so `is_action_just_pressed` is true in exactly that frame.
//!
//! **Determinism**: Godot advances physics by wall-clock time (the main
//! loop's timer accumulates real time), which would leak into stepped
//! frames. Games started by `run_project` therefore run with Godot's
//! `--fixed-fps` at the project's physics rate: every iteration is exactly
//! one physics frame and one process frame of fixed length, independent
//! of the clock. While stepping, the frame limiter is lifted so frames run
//! as fast as they compute; while running, the game is paced at the
//! physics rate so it plays in real time. A game started with the editor's
//! Play button lacks the flag: it is stepped one physics frame per
//! iteration, exact in count but paced by the clock (`fixed_rate: false`).

mod clock;
mod debug;
mod input;
mod inspect;
mod link;

pub use clock::project_ticks;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use godot::classes::{Engine, EngineDebugger, Os};
use godot::prelude::*;
use godot_mcp_protocol::play::{BYE, CAPTURE, FROZEN_FLAG, GameAnswer, GameRequest, HOLD, REPLY};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

/// How long a hold waits for the editor before letting the game go on.
const HOLD_AT_MOST: Duration = Duration::from_secs(10);
/// How long a quitting game waits for the editor to have read its output.
const BYE_AT_MOST: Duration = Duration::from_secs(2);
/// How long a frozen iteration waits on the direct link: most of a frozen
/// frame, so requests wake the game at once and it does not spin.
const FROZEN_WAIT: Duration = Duration::from_millis(4);

thread_local! {
    static AGENT: RefCell<Option<clock::Clock>> = const { RefCell::new(None) };
    static LINK: RefCell<Option<link::Link>> = const { RefCell::new(None) };
    static RELEASED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// In a game connected to the editor's debugger: registers the capture and,
/// for a run that must start frozen, holds before the first frame.
pub fn main_loop_started() {
    if Engine::singleton().is_editor_hint() || !EngineDebugger::singleton().is_active() {
        return;
    }
    let args = cmdline();
    let fixed = args.iter().any(|a| a == "--fixed-fps");
    let frozen = args.iter().any(|a| a == FROZEN_FLAG);
    AGENT.with_borrow_mut(|a| *a = Some(clock::Clock::new(fixed)));
    let capture = Callable::from_fn("godot_mcp_capture", |args: &[&Variant]| {
        if let [message, data] = args {
            on_message(&message.to_string(), data);
        }
        true.to_variant()
    });
    EngineDebugger::singleton().register_message_capture(CAPTURE, &capture);
    if let Some(link) = link::Link::open() {
        let (path, token) = link.offer();
        EngineDebugger::singleton()
            .send_message(godot_mcp_protocol::link::OFFER, &varray![path, token]);
        LINK.with_borrow_mut(|l| *l = Some(link));
    }
    if frozen {
        hold("start", true);
        with_clock(|c| c.frozen_by_editor());
    } else {
        with_clock(|c| c.running());
    }
}

/// Called once per main-loop iteration, after its physics and process
/// frames: delivers due inputs and advances a step.
pub fn frame() {
    poll_link();
    match with_clock(clock::Clock::after_frame) {
        Some(clock::Next::Begin) => {
            hold("step", false);
            with_clock(clock::Clock::begin_step);
        }
        Some(clock::Next::Finished(step)) => {
            hold("step", true);
            let (id, answer) = step.finish();
            reply(id, answer);
            with_clock(|c| c.frozen_by_editor());
        }
        _ => {}
    }
    if with_clock(|c| c.idle_frozen()) == Some(true) {
        LINK.with_borrow(|link| {
            if let Some(link) = link {
                link.wait(FROZEN_WAIT);
            }
        });
        poll_link();
    }
}

/// Says goodbye to the editor, then ends the capture with the main loop:
/// its callable must not outlive it.
pub fn main_loop_ending() {
    LINK.with_borrow_mut(Option::take);
    if AGENT.with_borrow_mut(Option::take).is_some() {
        wait_for_editor(BYE, &varray![], BYE_AT_MOST, false);
        EngineDebugger::singleton().unregister_message_capture(CAPTURE);
    }
}

/// The game's whole command line: Godot keeps some engine flags out of
/// `OS.get_cmdline_args`.
fn cmdline() -> Vec<String> {
    match std::fs::read("/proc/self/cmdline") {
        Ok(bytes) => bytes
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
        Err(_) => Os::singleton()
            .get_cmdline_args()
            .as_slice()
            .iter()
            .map(GString::to_string)
            .collect(),
    }
}

fn with_clock<T>(f: impl FnOnce(&mut clock::Clock) -> T) -> Option<T> {
    AGENT.with_borrow_mut(|a| a.as_mut().map(f))
}

/// Stops the main loop until the editor has suspended (or thawed) the game
/// and said so: the engine's suspend can only come from the editor, and
/// waiting for it here means not one frame runs in the wrong state.
fn hold(reason: &str, suspended: bool) {
    // Before the first frame the scene is not loaded yet: link requests
    // wait for the first iteration.
    wait_for_editor(
        HOLD,
        &varray![reason, suspended],
        HOLD_AT_MOST,
        reason != "start",
    );
}

/// Sends `message` and polls the debugger channel (and the link, when
/// `link`) until the editor releases the game, for at most `at_most`.
fn wait_for_editor(message: &str, data: &VarArray, at_most: Duration, link: bool) {
    RELEASED.set(false);
    let mut debugger = EngineDebugger::singleton();
    debugger.send_message(message, data);
    let deadline = Instant::now() + at_most;
    while !RELEASED.get() && Instant::now() < deadline {
        // The engine polls the channel once every 2048 line polls.
        for _ in 0..2048 {
            debugger.line_poll();
        }
        if link {
            poll_link();
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

fn on_message(message: &str, data: &Variant) {
    let data = data.try_to::<VarArray>().unwrap_or_default();
    // The engine passes the message without its `godot_mcp:` prefix.
    let message = message.rsplit(':').next().unwrap_or(message);
    match message {
        "release" => RELEASED.set(true),
        "request" => {
            let id = data
                .get(0)
                .and_then(|v| v.try_to::<i64>().ok())
                .unwrap_or(0);
            let text = data.get(1).map(|v| v.to_string()).unwrap_or_default();
            if let Some(answer) = handle(id, &text) {
                reply(id, answer);
            }
        }
        _ => {}
    }
}

/// Answers what the editor sent over the direct link.
fn poll_link() {
    LINK.with_borrow_mut(|link| {
        if let Some(link) = link.as_mut() {
            link.poll(|id, text| handle(id, text).map(|answer| encode_answer(&answer)));
        }
    });
}

fn reply(id: i64, answer: GameAnswer) {
    EngineDebugger::singleton().send_message(REPLY, &varray![id, encode_answer(&answer)]);
}

fn encode_answer(answer: &GameAnswer) -> String {
    serde_json::to_string(answer).unwrap_or_else(|e| {
        serde_json::to_string(&GameAnswer::Error(ErrorBody::new(
            ErrorCode::InternalError,
            format!("cannot encode the game's answer: {e}"),
        )))
        .unwrap_or_default()
    })
}

/// Runs one request; `None` when it answers later (a step).
fn handle(id: i64, text: &str) -> Option<GameAnswer> {
    let request: GameRequest = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            return Some(GameAnswer::Error(ErrorBody::new(
                ErrorCode::MalformedRequest,
                format!("the game could not read the request: {e}"),
            )));
        }
    };
    let params = request.params;
    let result: Result<Value, ErrorBody> = match request.op.as_str() {
        "game_tree" => parse(params).and_then(inspect::tree).and_then(encode),
        "game_get" => parse(params).and_then(inspect::get).and_then(encode),
        "game_set" => parse(params).and_then(inspect::set).and_then(encode),
        "game_call" => parse(params).and_then(inspect::call).and_then(encode),
        "game_eval" => parse(params).and_then(inspect::eval).and_then(encode),
        "game_ui" => parse(params).and_then(inspect::ui).and_then(encode),
        "game_input" => parse(params)
            .and_then(|p| with_clock(|c| c.input(p)).unwrap_or_else(|| Err(no_agent())))
            .and_then(encode),
        "game_pause" => with_clock(|c| c.pause())
            .ok_or_else(no_agent)
            .and_then(encode),
        "game_resume" => with_clock(|c| c.resume())
            .ok_or_else(no_agent)
            .and_then(encode),
        "debug_state" => parse(params)
            .and_then(|p| debug::state(p, with_clock(|c| c.frozen()).unwrap_or(false)))
            .and_then(encode),
        "debug_eval" => parse(params).and_then(debug::eval).and_then(encode),
        "ping" => Ok(Value::Null),
        "game_step" => {
            let started = parse(params)
                .and_then(|p| with_clock(|c| c.step(id, p)).unwrap_or_else(|| Err(no_agent())));
            return started.err().map(GameAnswer::Error);
        }
        other => Err(ErrorBody::new(
            ErrorCode::UnknownAction,
            format!("the game does not know {other:?}"),
        )),
    };
    Some(match result {
        Ok(v) => GameAnswer::Ok(v),
        Err(e) => GameAnswer::Error(e),
    })
}

fn parse<P: serde::de::DeserializeOwned>(params: Value) -> Result<P, ErrorBody> {
    serde_json::from_value(params).map_err(|e| {
        ErrorBody::new(ErrorCode::InvalidParams, format!("{e}"))
            .with_hint("check the parameter names and types in the tool schema")
    })
}

fn encode<T: serde::Serialize>(value: T) -> Result<Value, ErrorBody> {
    serde_json::to_value(value)
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, format!("cannot encode: {e}")))
}

fn no_agent() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::GameNotRunning,
        "the game's godot-mcp agent is not active",
    )
    .with_hint("run the game with run_project")
}
