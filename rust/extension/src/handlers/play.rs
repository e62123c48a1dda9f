//! The play-test tools, editor side: each call is forwarded to the agent
//! inside the running game ([`crate::play`]) over the debugger channel and
//! answered when the game replies, with the run it addressed. Freezing and
//! thawing also send the engine's own suspend message, ahead of the
//! request, so the game sees both in order.

use std::cell::Cell;
use std::time::Duration;

use godot::prelude::*;
use godot_mcp_protocol::commands::play::*;
use godot_mcp_protocol::commands::runs::RunState;
use godot_mcp_protocol::play::{GameAnswer, GameRequest};
use godot_mcp_protocol::{Command, ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;

use super::{Ctx, editor_interface};
use crate::debugger::SUSPEND;
use godot_mcp_protocol::router::Answer;

/// How long a call waits for the game, except steps.
pub(super) const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a step may take.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(110);

thread_local! {
    static NEXT_ID: Cell<i64> = const { Cell::new(1) };
}

pub fn game_tree(ctx: &mut Ctx, p: GameTree) -> Result<Answer<Played<GameNodes>>, ErrorBody> {
    forward(ctx, p, None)
}

pub fn game_get(ctx: &mut Ctx, p: GameGet) -> Result<Answer<Played<GameValues>>, ErrorBody> {
    forward(ctx, p, None)
}

pub fn game_set(ctx: &mut Ctx, p: GameSet) -> Result<Answer<Played<GameValues>>, ErrorBody> {
    forward(ctx, p, None)
}

pub fn game_call(ctx: &mut Ctx, p: GameCall) -> Result<Answer<Played<GameValue>>, ErrorBody> {
    forward(ctx, p, None)
}

pub fn game_eval(ctx: &mut Ctx, p: GameEval) -> Result<Answer<Played<GameValue>>, ErrorBody> {
    forward(ctx, p, None)
}

pub fn game_input(ctx: &mut Ctx, p: GameInput) -> Result<Answer<Played<InputQueued>>, ErrorBody> {
    // Refuse malformed events here, with the same message the game would give.
    godot_mcp_protocol::play::schedule(&p.events)?;
    forward(ctx, p, None)
}

pub fn game_ui(ctx: &mut Ctx, p: GameUi) -> Result<Answer<Played<UiControls>>, ErrorBody> {
    forward(ctx, p, None)
}

pub fn game_pause(ctx: &mut Ctx, p: GamePause) -> Result<Answer<Played<GameClock>>, ErrorBody> {
    forward(ctx, p, Some(true))
}

pub fn game_resume(ctx: &mut Ctx, p: GameResume) -> Result<Answer<Played<GameClock>>, ErrorBody> {
    let paused_at_error = ctx.runs.borrow().paused_at_error().is_some();
    if paused_at_error && let Some(debugger) = &ctx.debugger {
        // Leave the script debugger's break, as its Continue button does.
        debugger.bind().send_to_game("continue", &VarArray::new());
    }
    forward(ctx, p, Some(false))
}

pub fn game_step(ctx: &mut Ctx, p: GameStep) -> Result<Answer<Played<Stepped>>, ErrorBody> {
    godot_mcp_protocol::play::schedule(&p.inputs)?;
    // The game asks to be thawed itself, exactly before the step's first frame.
    forward(ctx, p, None)
}

/// A fresh id for a request to the game's agent.
pub(super) fn next_id() -> i64 {
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    id
}

/// Sends the call to the game (after the engine's suspend change, if any)
/// and answers with the game's reply.
fn forward<P, T>(
    ctx: &mut Ctx,
    params: P,
    suspend: Option<bool>,
) -> Result<Answer<Played<T>>, ErrorBody>
where
    P: godot_mcp_protocol::Command + serde::Serialize,
    T: DeserializeOwned + 'static,
{
    let op = P::NAME;
    let run_id = running_game(ctx)?;
    let debugger = ctx.debugger.clone().ok_or_else(not_running)?;
    let request = GameRequest {
        op: op.to_owned(),
        params: serde_json::to_value(&params)
            .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?,
    };
    let text = serde_json::to_string(&request)
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?;
    let id = next_id();
    // Calls that leave the game's time alone take the direct link; pause,
    // resume and steps go with the engine's suspend over the debugger
    // channel, which is also the only one a game stopped at an error reads.
    let at_error = ctx.runs.borrow().paused_at_error().is_some();
    let direct = suspend.is_none() && op != GameStep::NAME && !at_error;
    let mut debugger = debugger;
    {
        let mut d = debugger.bind_mut();
        if let Some(suspended) = suspend {
            d.send_to_game(SUSPEND, &varray![suspended]);
        }
        if !d.send_request(id, &text, direct) {
            return Err(not_running());
        }
    }
    let runs = ctx.runs.clone();
    Ok(Answer::Later {
        poll: Box::new(move || {
            if let Some(text) = debugger.bind_mut().take_reply(id) {
                return Some(decode(op, run_id, &text));
            }
            if debugger.bind().game_connected() {
                let stopped = runs.borrow().paused_at_error().map(str::to_owned);
                return match stopped {
                    // Stopped by this call (or while it waited): the answer
                    // comes only once the game continues.
                    Some(why) if !at_error => Some(Err(ErrorBody::new(
                        ErrorCode::GodotError,
                        format!("the game stopped at a script error during {op}: {why}"),
                    )
                    .with_hint("get_game_errors shows where; game_resume continues the game"))),
                    _ => None,
                };
            }
            let mut runs = runs.borrow_mut();
            runs.refresh(editor_interface().is_playing_scene());
            let how = runs
                .current()
                .map(|r| ended_how(&r))
                .unwrap_or_else(|| "ended".into());
            Some(Err(ErrorBody::new(
                ErrorCode::GameNotRunning,
                format!("the game {how} before answering {op}"),
            )
            .with_hint(
                "get_game_output shows its last output; run_project starts it again",
            )))
        }),
        waiting_for: "the game to answer",
    })
}

pub(super) fn decode<T: DeserializeOwned>(
    op: &str,
    run_id: u64,
    text: &str,
) -> Result<Played<T>, ErrorBody> {
    let answer: GameAnswer = serde_json::from_str(text).map_err(|e| {
        ErrorBody::new(
            ErrorCode::InternalError,
            format!("unreadable answer from the game to {op}: {e}"),
        )
    })?;
    match answer {
        GameAnswer::Ok(value) => serde_json::from_value::<T>(value)
            .map(|result| Played { run_id, result })
            .map_err(|e| {
                ErrorBody::new(
                    ErrorCode::InternalError,
                    format!("unexpected answer from the game to {op}: {e}"),
                )
            }),
        GameAnswer::Error(e) => Err(e),
    }
}

fn ended_how(run: &godot_mcp_protocol::commands::runs::RunSummary) -> String {
    match (run.state, run.exit_code, run.signal) {
        (RunState::Exited, Some(code), _) => format!("exited with code {code}"),
        (RunState::Crashed, _, Some(signal)) => format!("crashed (signal {signal})"),
        (RunState::Stopped, _, _) => "was stopped".into(),
        _ => "ended".into(),
    }
}

/// The run id of the game that plays now.
pub(super) fn running_game(ctx: &Ctx) -> Result<u64, ErrorBody> {
    let connected = ctx
        .debugger
        .as_ref()
        .is_some_and(|d| d.bind().game_connected());
    let run = ctx.runs.borrow().current();
    match run {
        Some(run) if connected && !run.state.ended() => Ok(run.run_id),
        _ => Err(not_running()),
    }
}

pub(super) fn not_running() -> ErrorBody {
    ErrorBody::new(ErrorCode::GameNotRunning, "no game is running")
        .with_hint("start one with run_project (frozen: true to set it up before it moves)")
}
