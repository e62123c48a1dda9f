//! Running requests on the main thread within a per-frame budget.
//!
//! The dispatcher maps action names to handlers and knows nothing of what
//! they do. Each frame it takes at most `cap` requests, round-robin across
//! connections so one busy client cannot starve another, and stops early
//! once `budget` has passed; what is left waits for the next frame and is
//! counted. It also owns the rules that depend on the editor's readiness:
//! every answer is stamped with it, edits wait while the editor imports,
//! and handlers may answer in a later frame. A panicking handler is caught
//! here and answered with `INTERNAL_ERROR`: a panic crossing into Godot
//! would take the editor, and the user's unsaved work, down with it.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use godot_mcp_protocol::catalog::{self, Command};
use godot_mcp_protocol::commands::editor::DispatchStats;
use godot_mcp_protocol::{ErrorBody, ErrorCode, Readiness, Response};
use serde_json::Value;

use crate::server::{Inbound, Packet, Raw, Reply};

/// A result that may only be known in a later frame.
pub enum Answer<T> {
    Now(T),
    /// Polled once per frame until it yields or `timeout` passes.
    Later {
        poll: Box<dyn FnMut() -> Option<Result<T, ErrorBody>>>,
        timeout: Duration,
        /// What is awaited, for the timeout message, e.g. "the game to start".
        waiting_for: &'static str,
    },
}

type Erased = Box<dyn FnMut() -> Option<Result<Raw, ErrorBody>>>;
type Handler<C> = Box<dyn Fn(&mut C, Value) -> Result<Answer<Raw>, ErrorBody>>;

/// A type-erased handler.
pub struct Route<C> {
    handler: Handler<C>,
    read_only: bool,
}

/// Wraps a typed handler: parameters are deserialized into the command's
/// struct and the typed result serialized back.
pub fn route<C: 'static, P: Command + 'static>(
    handler: fn(&mut C, P) -> Result<P::Output, ErrorBody>,
) -> (&'static str, Route<C>) {
    route_later::<C, P>(move |ctx, params| handler(ctx, params).map(Answer::Now))
}

/// Like [`route`], for handlers that may answer in a later frame.
pub fn route_later<C: 'static, P: Command + 'static>(
    handler: impl Fn(&mut C, P) -> Result<Answer<P::Output>, ErrorBody> + 'static,
) -> (&'static str, Route<C>) {
    let erased = move |ctx: &mut C, params: Value| {
        let params = catalog::parse::<P>(params)?;
        Ok(match handler(ctx, params)? {
            Answer::Now(output) => Answer::Now(encode(&output)?),
            Answer::Later {
                mut poll,
                timeout,
                waiting_for,
            } => Answer::Later {
                poll: Box::new(move || poll().map(|r| r.and_then(|o| encode(&o)))),
                timeout,
                waiting_for,
            },
        })
    };
    (
        P::NAME,
        Route {
            handler: Box::new(erased),
            read_only: P::READ_ONLY,
        },
    )
}

impl<C> Route<C> {
    /// Runs the handler for a caller that needs the answer in this frame,
    /// such as a batch step.
    pub fn call_now(&self, ctx: &mut C, action: &str, params: Value) -> Result<Raw, ErrorBody> {
        match (self.handler)(ctx, params)? {
            Answer::Now(value) => Ok(value),
            Answer::Later { .. } => Err(ErrorBody::new(
                ErrorCode::InvalidOperation,
                format!("{action} answers in a later frame and cannot run inside a batch"),
            )
            .with_hint(format!("call {action} on its own"))),
        }
    }
}

fn encode<T: serde::Serialize>(output: &T) -> Result<Raw, ErrorBody> {
    serde_json::value::to_raw_value(output).map_err(|e| {
        ErrorBody::new(
            ErrorCode::InternalError,
            format!("cannot encode the result: {e}"),
        )
    })
}

/// What one frame's drain did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub handled: u32,
    /// Answers from earlier frames that were given a turn.
    pub polled: usize,
    /// Requests still queued or waiting to answer.
    pub pending: usize,
}

impl Drained {
    pub fn busy(&self) -> bool {
        self.handled > 0 || self.pending > 0
    }

    /// Whether the frame did any request work.
    pub fn worked(&self) -> bool {
        self.handled > 0 || self.polled > 0
    }
}

/// What the dispatcher needs from its handlers' context.
pub trait Context {
    fn dispatch_stats(&mut self) -> &mut DispatchStats;
    /// The editor's state right now.
    fn readiness(&self) -> Readiness;
}

/// A request that answers in a later frame.
struct Deferred {
    id: u64,
    action: String,
    /// Whether the command changes something (for the play-state notice).
    edit: bool,
    reply: Reply,
    poll: Erased,
    deadline: Instant,
    waiting_for: &'static str,
}

/// One connection's requests not yet handled, in arrival order.
#[derive(Default)]
struct Queue {
    packets: VecDeque<Packet>,
    /// When the request at the front started waiting for an import to end.
    blocked_since: Option<Instant>,
}

pub struct Dispatcher<C> {
    routes: HashMap<&'static str, Route<C>>,
    cap: u32,
    budget: Duration,
    import_wait: Duration,
    queues: HashMap<u64, Queue>,
    /// Connections with queued requests, in round-robin order.
    turn: VecDeque<u64>,
    deferred: Vec<Deferred>,
    last_spill_log: Option<Instant>,
    spills_unlogged: u64,
}

impl<C: Context> Dispatcher<C> {
    pub fn new(
        routes: Vec<(&'static str, Route<C>)>,
        cap: u32,
        budget: Duration,
        import_wait: Duration,
    ) -> Self {
        Self {
            routes: routes.into_iter().collect(),
            cap: cap.max(1),
            budget,
            import_wait,
            queues: HashMap::new(),
            turn: VecDeque::new(),
            deferred: Vec::new(),
            last_spill_log: None,
            spills_unlogged: 0,
        }
    }

    /// Finishes deferred answers that are ready, then handles queued
    /// requests until the cap, the time budget or the queues run out.
    /// Returns how many requests it handled, and whether any are left.
    pub fn drain(&mut self, inbound: &Receiver<Packet>, ctx: &mut C) -> Drained {
        let start = Instant::now();
        let polled = self.deferred.len();
        self.poll_deferred(ctx);
        while let Ok(packet) = inbound.try_recv() {
            let conn = packet.reply.connection();
            let queue = self.queues.entry(conn).or_default();
            if queue.packets.is_empty() {
                self.turn.push_back(conn);
            }
            queue.packets.push_back(packet);
        }
        let stats = ctx.dispatch_stats();
        stats.cap_per_frame = self.cap;
        stats.budget_ms = self.budget.as_millis().try_into().unwrap_or(u32::MAX);
        let mut handled = 0u32;
        let mut blocked = Vec::new();
        while handled < self.cap && start.elapsed() < self.budget {
            let Some(conn) = self.turn.pop_front() else {
                break;
            };
            let Some(queue) = self.queues.get_mut(&conn) else {
                continue;
            };
            let Some(packet) = queue.packets.pop_front() else {
                self.queues.remove(&conn);
                continue;
            };
            if !packet.reply.is_open() {
                packet.reply.dequeued();
                // Nobody will read the answer: skip the work.
                self.requeue(conn);
                continue;
            }
            if let Some(wait) = self.must_wait(&packet, ctx, conn) {
                match wait {
                    Wait::Blocked => {
                        let queue = self.queues.get_mut(&conn).expect("queue exists");
                        queue.packets.push_front(packet);
                        blocked.push(conn);
                        continue;
                    }
                    Wait::GaveUp(error) => {
                        packet.reply.dequeued();
                        let id = packet.frame.id();
                        self.answer(&packet.reply, Response::err(id, error), ctx, false);
                        self.requeue(conn);
                        continue;
                    }
                }
            }
            packet.reply.dequeued();
            handled += 1;
            let stats = ctx.dispatch_stats();
            stats.handled += 1;
            stats.max_per_frame = stats.max_per_frame.max(handled);
            self.handle(packet, ctx);
            self.requeue(conn);
        }
        // Connections waiting on an import keep their place for next frame.
        self.turn.extend(blocked);
        let spent = start.elapsed();
        let stats = ctx.dispatch_stats();
        stats.max_frame_us = stats
            .max_frame_us
            .max(u64::try_from(spent.as_micros()).unwrap_or(u64::MAX));
        if spent > self.budget + Duration::from_millis(2) {
            stats.frames_over_budget += 1;
        }
        let waiting: usize =
            self.queues.values().map(|q| q.packets.len()).sum::<usize>() + inbound.len();
        if waiting > 0 && handled > 0 {
            ctx.dispatch_stats().spilled_frames += 1;
            self.log_spill(waiting);
        }
        Drained {
            handled,
            polled,
            pending: waiting + self.deferred.len(),
        }
    }

    /// Puts a connection back in line if it has more to do.
    fn requeue(&mut self, conn: u64) {
        match self.queues.get(&conn) {
            Some(q) if !q.packets.is_empty() => self.turn.push_back(conn),
            _ => {
                self.queues.remove(&conn);
            }
        }
    }

    /// Edits wait while the editor imports, up to `import_wait`; later
    /// requests on the same connection wait behind them, keeping order.
    fn must_wait(&mut self, packet: &Packet, ctx: &C, conn: u64) -> Option<Wait> {
        let Inbound::Request(request) = &packet.frame else {
            return None;
        };
        let read_only = self
            .routes
            .get(request.action.as_str())
            .is_none_or(|r| r.read_only);
        let queue = self.queues.get_mut(&conn)?;
        if read_only || ctx.readiness() != Readiness::Importing {
            queue.blocked_since = None;
            return None;
        }
        let since = *queue.blocked_since.get_or_insert_with(Instant::now);
        if since.elapsed() < self.import_wait {
            return Some(Wait::Blocked);
        }
        queue.blocked_since = None;
        Some(Wait::GaveUp(
            ErrorBody::new(
                ErrorCode::EditorNotReady,
                format!(
                    "{}: the editor is still importing files after {} s",
                    request.action,
                    self.import_wait.as_secs()
                ),
            )
            .with_sub_code(Readiness::Importing.as_str())
            .with_hint("retry when the import has finished (get_editor_state shows readiness)")
            .retryable(),
        ))
    }

    fn handle(&mut self, packet: Packet, ctx: &mut C) {
        let Packet { frame, reply } = packet;
        let request = match frame {
            Inbound::Malformed(response) => {
                let response = response
                    .map_result(|v| serde_json::value::to_raw_value(&v).unwrap_or_default());
                return self.answer(&reply, response, ctx, false);
            }
            Inbound::Request(request) => request,
        };
        let Some(route) = self.routes.get(request.action.as_str()) else {
            let response = Response::err(Some(request.id), unknown_action(&request.action));
            return self.answer(&reply, response, ctx, false);
        };
        let edit = !route.read_only;
        let handler = &route.handler;
        let outcome = guarded(&request.action, || handler(ctx, request.params));
        match outcome {
            Ok(Answer::Now(value)) => {
                self.answer(&reply, Response::ok(request.id, value), ctx, edit)
            }
            Err(error) => self.answer(&reply, Response::err(Some(request.id), error), ctx, false),
            Ok(Answer::Later {
                poll,
                timeout,
                waiting_for,
            }) => self.deferred.push(Deferred {
                id: request.id,
                action: request.action,
                edit,
                reply,
                poll,
                deadline: Instant::now() + timeout,
                waiting_for,
            }),
        }
    }

    fn poll_deferred(&mut self, ctx: &mut C) {
        let mut still = Vec::with_capacity(self.deferred.len());
        for mut d in std::mem::take(&mut self.deferred) {
            if !d.reply.is_open() {
                continue;
            }
            let outcome = guarded(&d.action, || Ok((d.poll)()));
            let response = match outcome {
                Ok(Some(Ok(value))) => Response::ok(d.id, value),
                Ok(Some(Err(error))) | Err(error) => Response::err(Some(d.id), error),
                Ok(None) if Instant::now() >= d.deadline => Response::err(
                    Some(d.id),
                    ErrorBody::new(
                        ErrorCode::Timeout,
                        format!("{}: gave up waiting for {}", d.action, d.waiting_for),
                    )
                    .with_hint(
                        "check the editor output; get_editor_state shows what the editor is doing",
                    ),
                ),
                Ok(None) => {
                    still.push(d);
                    continue;
                }
            };
            let edit = d.edit && response.success;
            self.answer(&d.reply, response, ctx, edit);
        }
        self.deferred = still;
    }

    /// Stamps the answer with the editor's state and sends it.
    fn answer(&self, reply: &Reply, mut response: Response<Raw>, ctx: &C, edit: bool) {
        let readiness = ctx.readiness();
        response.readiness = Some(readiness);
        if edit && readiness == Readiness::Playing {
            response.notice = Some(
                "the game is running: this changed the scene in the editor, not the running game; \
                 run_project again to see it"
                    .into(),
            );
        }
        reply.send(&response);
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

enum Wait {
    Blocked,
    GaveUp(ErrorBody),
}

/// Runs handler code, turning a panic into an error answer.
fn guarded<T>(action: &str, f: impl FnOnce() -> Result<T, ErrorBody>) -> Result<T, ErrorBody> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
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
    })
}

pub(crate) fn unknown_action(action: &str) -> ErrorBody {
    let names: Vec<&str> = godot_mcp_protocol::CATALOG
        .iter()
        .filter(|c| !c.local)
        .map(|c| c.name)
        .collect();
    let close = godot_mcp_protocol::suggest::closest(action, names.iter().copied(), 1);
    let hint = match close.first() {
        Some(close) => format!("did you mean {close}? known actions: {}", names.join(", ")),
        None => format!("known actions: {}", names.join(", ")),
    };
    ErrorBody::new(
        ErrorCode::UnknownAction,
        format!("unknown action {action:?}"),
    )
    .with_hint(hint)
}
