//! Running requests on the main thread within a per-frame budget.
//!
//! The dispatcher maps action names to handlers and knows nothing of what
//! they do. Each frame it drains at most `cap` packets and stops early once
//! `budget` has passed, so a flood of requests cannot stall the editor; what
//! is left waits for the next frame and is counted. A panicking handler is
//! caught here and answered with `INTERNAL_ERROR`: a panic crossing into
//! Godot would take the editor, and the user's unsaved work, down with it.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use godot_mcp_protocol::catalog::{self, Command};
use godot_mcp_protocol::commands::editor::DispatchStats;
use godot_mcp_protocol::{ErrorBody, ErrorCode, Response};
use serde_json::Value;

use crate::server::{Inbound, Packet};

/// A type-erased handler.
pub type Route<C> = Box<dyn Fn(&mut C, Value) -> Result<Value, ErrorBody>>;

/// Wraps a typed handler: parameters are deserialized into the command's
/// struct and the typed result serialized back.
pub fn route<C: 'static, P: Command + 'static>(
    handler: fn(&mut C, P) -> Result<P::Output, ErrorBody>,
) -> (&'static str, Route<C>) {
    let erased = move |ctx: &mut C, params: Value| {
        let params = catalog::parse::<P>(params)?;
        let output = handler(ctx, params)?;
        serde_json::to_value(output).map_err(|e| {
            ErrorBody::new(
                ErrorCode::InternalError,
                format!("cannot encode the result: {e}"),
            )
        })
    };
    (P::NAME, Box::new(erased))
}

/// A handler context that can see the dispatcher's statistics.
pub trait Context {
    fn dispatch_stats(&mut self) -> &mut DispatchStats;
}

pub struct Dispatcher<C> {
    routes: HashMap<&'static str, Route<C>>,
    cap: u32,
    budget: Duration,
    last_spill_log: Option<Instant>,
    spills_unlogged: u64,
}

impl<C: Context> Dispatcher<C> {
    pub fn new(routes: Vec<(&'static str, Route<C>)>, cap: u32, budget: Duration) -> Self {
        Self {
            routes: routes.into_iter().collect(),
            cap: cap.max(1),
            budget,
            last_spill_log: None,
            spills_unlogged: 0,
        }
    }

    /// Handles queued packets until the cap, the time budget or the queue runs out.
    pub fn drain(&mut self, inbound: &Receiver<Packet>, ctx: &mut C) {
        let start = Instant::now();
        let mut handled = 0u32;
        let stats = ctx.dispatch_stats();
        stats.cap_per_frame = self.cap;
        stats.budget_ms = self.budget.as_millis().try_into().unwrap_or(u32::MAX);
        while handled < self.cap && start.elapsed() < self.budget {
            let Ok(packet) = inbound.try_recv() else {
                break;
            };
            handled += 1;
            let stats = ctx.dispatch_stats();
            stats.handled += 1;
            stats.max_per_frame = stats.max_per_frame.max(handled);
            let response = match packet.frame {
                Inbound::Malformed(response) => response,
                Inbound::Request(request) => {
                    match self.call(ctx, &request.action, request.params) {
                        Ok(result) => Response::ok(request.id, result),
                        Err(error) => Response::err(Some(request.id), error),
                    }
                }
            };
            packet.reply.send(&response);
        }
        if !inbound.is_empty() && handled > 0 {
            ctx.dispatch_stats().spilled_frames += 1;
            self.log_spill(inbound.len());
        }
    }

    fn call(&self, ctx: &mut C, action: &str, params: Value) -> Result<Value, ErrorBody> {
        let Some(handler) = self.routes.get(action) else {
            return Err(unknown_action(action));
        };
        match catch_unwind(AssertUnwindSafe(|| handler(ctx, params))) {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown panic");
                Err(ErrorBody::new(
                    ErrorCode::InternalError,
                    format!("{action} failed inside the extension: {what}"),
                )
                .with_hint("the editor is still running; this is a godot-mcp bug worth reporting"))
            }
        }
    }

    /// Spills are normal under load; say so at most once a second.
    fn log_spill(&mut self, waiting: usize) {
        self.spills_unlogged += 1;
        let now = Instant::now();
        if self
            .last_spill_log
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            godot::global::godot_print!(
                "godot-mcp: {} frame(s) reached the per-frame limit ({} requests / {} ms); {} waiting",
                self.spills_unlogged,
                self.cap,
                self.budget.as_millis(),
                waiting
            );
            self.last_spill_log = Some(now);
            self.spills_unlogged = 0;
        }
    }
}

pub(crate) fn unknown_action(action: &str) -> ErrorBody {
    let names: Vec<&str> = godot_mcp_protocol::CATALOG.iter().map(|c| c.name).collect();
    ErrorBody::new(
        ErrorCode::UnknownAction,
        format!("unknown action {action:?}"),
    )
    .with_hint(format!("known actions: {}", names.join(", ")))
}
