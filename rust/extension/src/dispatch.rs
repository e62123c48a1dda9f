//! Running requests on the main thread within a per-frame budget.
//!
//! The dispatcher takes handlers from a [`Router`] and knows nothing of what
//! they do. Each frame it takes at most `cap` requests, round-robin across
//! connections so one busy client cannot starve another, and stops early
//! once `budget` has passed; what is left waits for the next frame and is
//! counted. It also owns the rules that depend on the editor's readiness:
//! every answer is stamped with it, edits wait while the editor imports,
//! and handlers may answer in a later frame, within their route's deadline.
//! A panicking handler is caught here and answered with `INTERNAL_ERROR`: a
//! panic crossing into Godot would take the editor, and the user's unsaved
//! work, down with it. It is plain Rust (no engine calls), so the rules are
//! unit-tested below with a fake context and fake connections.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use godot_mcp_protocol::commands::editor::DispatchStats;
use godot_mcp_protocol::doorbell::NewErrors;
use godot_mcp_protocol::router::{Answer, Router};
use godot_mcp_protocol::{ErrorBody, ErrorCode, Readiness, Response};

use crate::server::{Inbound, Packet, Raw, Reply};

type Poll = Box<dyn FnMut() -> Option<Result<Raw, ErrorBody>>>;

/// Where one request's answer goes.
pub trait Outbox {
    /// The connection the answer goes to; stable for its lifetime.
    fn connection(&self) -> u64;
    /// Whether the client is still there to read an answer.
    fn is_open(&self) -> bool;
    /// The main thread has taken this request off the queue.
    fn dequeued(&self);
    fn send(&self, response: &Response<Raw>);
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
    /// Says something in the editor's output.
    fn log(&self, line: &str);
    /// Errors the client on `connection` has not been told of, now told.
    fn new_errors(&self, connection: u64) -> Option<NewErrors>;
    /// Carries on work a handler left for later frames, until `until`;
    /// true while some is left.
    fn resume(&mut self, _until: Instant) -> bool {
        false
    }
    /// Whether edits must wait for work in progress to finish.
    fn holds_edits(&self) -> bool {
        false
    }
    /// A request was answered after `took`, failing with `error` or not.
    fn called(&mut self, _action: &str, _took: Duration, _error: Option<ErrorCode>) {}
}

/// A request that answers in a later frame.
struct Deferred<R> {
    id: u64,
    action: String,
    /// Whether the command changes something (for the play-state notice).
    edit: bool,
    reply: R,
    poll: Poll,
    deadline: Instant,
    waiting_for: &'static str,
    started: Instant,
}

/// One connection's requests not yet handled, in arrival order.
struct Queue<R> {
    packets: VecDeque<Packet<R>>,
    /// When the request at the front started waiting for an import to end.
    blocked_since: Option<Instant>,
}

impl<R> Default for Queue<R> {
    fn default() -> Self {
        Self {
            packets: VecDeque::new(),
            blocked_since: None,
        }
    }
}

/// How long a deferred answer may take when its route names no deadline.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

pub struct Dispatcher<C: 'static, R = Reply> {
    router: &'static Router<C>,
    cap: u32,
    budget: Duration,
    import_wait: Duration,
    queues: HashMap<u64, Queue<R>>,
    /// Connections with queued requests, in round-robin order.
    turn: VecDeque<u64>,
    deferred: Vec<Deferred<R>>,
    last_spill_log: Option<Instant>,
    spills_unlogged: u64,
}

impl<C: Context, R: Outbox> Dispatcher<C, R> {
    pub fn new(
        router: &'static Router<C>,
        cap: u32,
        budget: Duration,
        import_wait: Duration,
    ) -> Self {
        Self {
            router,
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
    pub fn drain(&mut self, inbound: &Receiver<Packet<R>>, ctx: &mut C) -> Drained {
        let start = Instant::now();
        let resumed = ctx.resume(start + self.budget);
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
        // The first request always runs, so a tiny budget cannot stall the queue.
        while handled < self.cap && (handled == 0 || start.elapsed() < self.budget) {
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
                        answer(&packet.reply, Response::err(id, error), ctx, false);
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
            self.log_spill(waiting, ctx);
        }
        Drained {
            handled,
            polled,
            pending: waiting + self.deferred.len() + usize::from(resumed),
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
    fn must_wait(&mut self, packet: &Packet<R>, ctx: &C, conn: u64) -> Option<Wait> {
        let Inbound::Request(request) = &packet.frame else {
            return None;
        };
        let read_only = self
            .router
            .get(request.action.as_str())
            .is_none_or(|r| !r.edits_project);
        let queue = self.queues.get_mut(&conn)?;
        if !read_only && ctx.holds_edits() {
            return Some(Wait::Blocked);
        }
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

    fn handle(&mut self, packet: Packet<R>, ctx: &mut C) {
        let Packet { frame, reply } = packet;
        let request = match frame {
            Inbound::Malformed(response) => {
                let response = response
                    .map_result(|v| serde_json::value::to_raw_value(&v).unwrap_or_default());
                return answer(&reply, response, ctx, false);
            }
            Inbound::Request(request) => request,
        };
        let started = Instant::now();
        let route = match self.router.route(&request.action) {
            Ok(route) => route,
            Err(error) => {
                ctx.called(&request.action, started.elapsed(), Some(error.code));
                return answer(&reply, Response::err(Some(request.id), error), ctx, false);
            }
        };
        let edit = route.edits_project;
        let outcome = guarded(&request.action, || route.call(ctx, request.params));
        match outcome {
            Ok(Answer::Now(value)) => {
                ctx.called(&request.action, started.elapsed(), None);
                answer(&reply, Response::ok(request.id, value), ctx, edit);
            }
            Err(error) => {
                ctx.called(&request.action, started.elapsed(), Some(error.code));
                answer(&reply, Response::err(Some(request.id), error), ctx, false);
            }
            Ok(Answer::Later { poll, waiting_for }) => self.deferred.push(Deferred {
                id: request.id,
                action: request.action,
                edit,
                reply,
                poll,
                deadline: Instant::now() + route.deadline.unwrap_or(DEFAULT_DEADLINE),
                waiting_for,
                started,
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
            let error = response.error.as_ref().map(|e| e.code);
            ctx.called(&d.action, d.started.elapsed(), error);
            answer(&d.reply, response, ctx, edit);
        }
        self.deferred = still;
    }

    /// Spills are normal under load; say so at most once a second.
    fn log_spill(&mut self, waiting: usize, ctx: &C) {
        self.spills_unlogged += 1;
        let now = Instant::now();
        if self
            .last_spill_log
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            ctx.log(&format!(
                "godot-mcp: {} frame(s) reached the per-frame limit ({} requests / {} ms); {} waiting",
                self.spills_unlogged,
                self.cap,
                self.budget.as_millis(),
                waiting
            ));
            self.last_spill_log = Some(now);
            self.spills_unlogged = 0;
        }
    }
}

/// Stamps the answer with the editor's state and the client's new errors,
/// and sends it.
fn answer<C: Context>(reply: &impl Outbox, mut response: Response<Raw>, ctx: &C, edit: bool) {
    let readiness = ctx.readiness();
    response.readiness = Some(readiness);
    response.new_errors = ctx.new_errors(reply.connection());
    if edit && readiness == Readiness::Playing {
        response.notice = Some(
            "the game is running: this changed the scene in the editor, not the running game; \
             run_project again to see it"
                .into(),
        );
    }
    reply.send(&response);
}

enum Wait {
    Blocked,
    GaveUp(ErrorBody),
}

/// Runs handler code, turning a panic into an error answer.
pub fn guarded<T>(action: &str, f: impl FnOnce() -> Result<T, ErrorBody>) -> Result<T, ErrorBody> {
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

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use crossbeam_channel::{Sender, unbounded};
    use godot_mcp_protocol::Request;
    use godot_mcp_protocol::commands::editor::{
        ProjectRun, ProjectStopped, RunProject, StopProject,
    };
    use godot_mcp_protocol::commands::history::{HistoryStep, Undo};
    use godot_mcp_protocol::commands::session::{ListSessions, Sessions};
    use serde_json::{Value, json};

    use super::*;

    type Sent = Rc<RefCell<Vec<(u64, Response)>>>;

    /// A connection that records what it is sent, in order, with all others.
    #[derive(Clone)]
    struct Conn {
        id: u64,
        open: Rc<Cell<bool>>,
        sent: Sent,
    }

    impl Outbox for Conn {
        fn connection(&self) -> u64 {
            self.id
        }
        fn is_open(&self) -> bool {
            self.open.get()
        }
        fn dequeued(&self) {}
        fn send(&self, response: &Response<Raw>) {
            let value = serde_json::to_value(response).unwrap();
            self.sent
                .borrow_mut()
                .push((self.id, serde_json::from_value(value).unwrap()));
        }
    }

    struct Fake {
        stats: DispatchStats,
        readiness: Readiness,
        /// When deferred answers are ready.
        ready: Rc<Cell<bool>>,
        /// How long an edit takes.
        work: Duration,
        logs: RefCell<Vec<String>>,
        errors: RefCell<godot_mcp_protocol::doorbell::Feed>,
        /// Frames of work in progress left; edits wait while any is.
        in_progress: u32,
        calls: crate::calls::CallLog,
    }

    impl Context for Fake {
        fn dispatch_stats(&mut self) -> &mut DispatchStats {
            &mut self.stats
        }
        fn readiness(&self) -> Readiness {
            self.readiness
        }
        fn log(&self, line: &str) {
            self.logs.borrow_mut().push(line.to_owned());
        }
        fn new_errors(&self, connection: u64) -> Option<NewErrors> {
            self.errors.borrow_mut().news_for(connection)
        }
        fn resume(&mut self, _until: Instant) -> bool {
            self.in_progress = self.in_progress.saturating_sub(1);
            self.in_progress > 0
        }
        fn holds_edits(&self) -> bool {
            self.in_progress > 0
        }
        fn called(&mut self, action: &str, took: Duration, error: Option<ErrorCode>) {
            self.calls.record(action, took, error);
        }
    }

    fn read(_: &mut Fake, _: ListSessions) -> Result<Sessions, ErrorBody> {
        Ok(Sessions {
            sessions: Vec::new(),
            selected: None,
        })
    }

    fn edit(ctx: &mut Fake, p: Undo) -> Result<HistoryStep, ErrorBody> {
        if p.scene_path.as_deref() == Some("panic") {
            panic!("boom");
        }
        std::thread::sleep(ctx.work);
        Ok(HistoryStep {
            scene_path: p.scene_path,
            action: "MCP: edit".into(),
        })
    }

    fn later(ctx: &mut Fake, _: RunProject) -> Result<Answer<ProjectRun>, ErrorBody> {
        let ready = ctx.ready.clone();
        Ok(Answer::Later {
            poll: Box::new(move || {
                ready.get().then(|| {
                    Ok(ProjectRun {
                        playing: true,
                        scene: "res://main.tscn".into(),
                        run_id: 1,
                        frozen: false,
                    })
                })
            }),
            waiting_for: "the game to start",
        })
    }

    fn never(_: &mut Fake, _: StopProject) -> Result<Answer<ProjectStopped>, ErrorBody> {
        Ok(Answer::Later {
            poll: Box::new(|| None),
            waiting_for: "the game to end",
        })
    }

    struct Rig {
        dispatcher: Dispatcher<Fake, Conn>,
        ctx: Fake,
        tx: Sender<Packet<Conn>>,
        rx: Receiver<Packet<Conn>>,
        sent: Sent,
        next_id: u64,
    }

    fn rig(cap: u32, budget: Duration, import_wait: Duration) -> Rig {
        let router = Router::new()
            .now(read)
            .now(edit)
            .later(later, Duration::from_secs(3600))
            .later(never, Duration::ZERO);
        let (tx, rx) = unbounded();
        Rig {
            dispatcher: Dispatcher::new(Box::leak(Box::new(router)), cap, budget, import_wait),
            ctx: Fake {
                stats: DispatchStats::default(),
                readiness: Readiness::Ready,
                ready: Rc::default(),
                work: Duration::ZERO,
                logs: RefCell::default(),
                errors: RefCell::default(),
                in_progress: 0,
                calls: crate::calls::CallLog::default(),
            },
            tx,
            rx,
            sent: Sent::default(),
            next_id: 0,
        }
    }

    impl Rig {
        fn conn(&self, id: u64) -> Conn {
            Conn {
                id,
                open: Rc::new(Cell::new(true)),
                sent: self.sent.clone(),
            }
        }

        /// Queues a request on `conn`; returns its id.
        fn send(&mut self, conn: &Conn, action: &str, params: Value) -> u64 {
            self.next_id += 1;
            let frame = Inbound::Request(Request {
                id: self.next_id,
                action: action.into(),
                params,
            });
            self.tx
                .send(Packet {
                    frame,
                    reply: conn.clone(),
                })
                .unwrap();
            self.next_id
        }

        fn drain(&mut self) -> Drained {
            self.dispatcher.drain(&self.rx, &mut self.ctx)
        }

        /// (connection, request id) of every answer so far.
        fn answered(&self) -> Vec<(u64, u64)> {
            self.sent
                .borrow()
                .iter()
                .map(|(c, r)| (*c, r.id.unwrap_or(0)))
                .collect()
        }

        fn last(&self) -> Response {
            self.sent.borrow().last().unwrap().1.clone()
        }
    }

    fn quick() -> Rig {
        rig(32, Duration::from_secs(60), Duration::from_secs(60))
    }

    #[test]
    fn answers_each_request_in_order_stamped_with_readiness() {
        let mut r = quick();
        let a = r.conn(1);
        let first = r.send(&a, "list_sessions", json!({}));
        let second = r.send(&a, "undo", json!({"scene_path": "x"}));
        let drained = r.drain();
        assert_eq!(drained.handled, 2);
        assert!(!drained.busy() || drained.pending == 0);
        assert_eq!(r.answered(), [(1, first), (1, second)]);
        let last = r.last();
        assert!(last.success);
        assert_eq!(last.readiness, Some(Readiness::Ready));
        assert_eq!(last.result.unwrap()["scene_path"], "x");
        assert_eq!(r.ctx.stats.handled, 2);
    }

    #[test]
    fn edits_wait_while_work_is_in_progress_and_reads_do_not() {
        let mut r = quick();
        r.ctx.in_progress = 3;
        let (a, b) = (r.conn(1), r.conn(2));
        let edit = r.send(&a, "undo", json!({}));
        let after_edit = r.send(&a, "list_sessions", json!({}));
        let read = r.send(&b, "list_sessions", json!({}));
        let drained = r.drain();
        assert_eq!(r.answered(), [(2, read)], "only the other client's read");
        assert!(drained.busy() && drained.pending >= 2);
        r.drain();
        assert_eq!(r.answered(), [(2, read)]);
        // The work is done: the edit, then what queued behind it, in order.
        r.drain();
        assert_eq!(r.answered(), [(2, read), (1, edit), (1, after_edit)]);
    }

    #[test]
    fn the_cap_leaves_the_rest_for_the_next_frame_and_counts_a_spill() {
        let mut r = rig(2, Duration::from_secs(60), Duration::ZERO);
        let a = r.conn(1);
        for _ in 0..5 {
            r.send(&a, "list_sessions", json!({}));
        }
        let drained = r.drain();
        assert_eq!((drained.handled, drained.pending), (2, 3));
        assert_eq!(r.ctx.stats.spilled_frames, 1);
        assert_eq!(r.ctx.stats.max_per_frame, 2);
        assert_eq!(r.ctx.logs.borrow().len(), 1, "a spill is logged");
        r.drain();
        let drained = r.drain();
        assert_eq!((drained.handled, drained.pending), (1, 0));
        assert_eq!(
            r.ctx.stats.spilled_frames, 2,
            "the last frame did not spill"
        );
        assert_eq!(r.answered().len(), 5);
    }

    #[test]
    fn connections_take_turns() {
        let mut r = rig(3, Duration::from_secs(60), Duration::ZERO);
        let (a, b) = (r.conn(1), r.conn(2));
        for _ in 0..4 {
            r.send(&a, "list_sessions", json!({}));
        }
        r.send(&b, "list_sessions", json!({}));
        r.drain();
        let conns: Vec<u64> = r.answered().iter().map(|(c, _)| *c).collect();
        assert_eq!(
            conns,
            [1, 2, 1],
            "the busy connection does not starve the other"
        );
    }

    #[test]
    fn the_time_budget_stops_the_frame_after_slow_work() {
        let mut r = rig(32, Duration::from_millis(1), Duration::ZERO);
        r.ctx.work = Duration::from_millis(5);
        let a = r.conn(1);
        for i in 0..3 {
            r.send(&a, "undo", json!({"scene_path": i.to_string()}));
        }
        let drained = r.drain();
        assert_eq!(
            drained.handled, 1,
            "one request always runs; then the budget is spent"
        );
        assert_eq!(r.ctx.stats.frames_over_budget, 1);
        assert_eq!(r.ctx.stats.spilled_frames, 1);
    }

    #[test]
    fn unknown_actions_and_bad_params_are_answered_with_errors() {
        let mut r = quick();
        let a = r.conn(1);
        r.send(&a, "list_sesions", json!({}));
        r.send(&a, "undo", json!({"scene_path": 5}));
        r.drain();
        let sent = r.sent.borrow();
        let unknown = sent[0].1.error.clone().unwrap();
        assert_eq!(unknown.code, ErrorCode::UnknownAction);
        assert!(unknown.hint.unwrap().contains("did you mean list_sessions"));
        assert_eq!(
            sent[1].1.error.clone().unwrap().code,
            ErrorCode::InvalidParams
        );
    }

    #[test]
    fn every_answered_call_is_recorded_with_its_error_code() {
        let mut r = quick();
        let a = r.conn(1);
        r.send(&a, "list_sessions", json!({}));
        r.send(&a, "undo", json!({"scene_path": 5}));
        r.send(&a, "run_project", json!({}));
        r.drain();
        r.ctx.ready.set(true);
        r.drain();
        let calls: Vec<(String, Option<ErrorCode>)> = r
            .ctx
            .calls
            .recent()
            .map(|c| (c.action.clone(), c.error))
            .collect();
        assert_eq!(
            calls,
            [
                ("run_project".into(), None),
                ("undo".into(), Some(ErrorCode::InvalidParams)),
                ("list_sessions".into(), None),
            ]
        );
    }

    #[test]
    fn a_malformed_frame_is_answered_in_its_place() {
        let mut r = quick();
        let a = r.conn(1);
        r.send(&a, "list_sessions", json!({}));
        let bad = Request::decode("{").unwrap_err();
        r.tx.send(Packet {
            frame: Inbound::Malformed(*bad),
            reply: a.clone(),
        })
        .unwrap();
        r.send(&a, "list_sessions", json!({}));
        r.drain();
        let codes: Vec<Option<ErrorCode>> = r
            .sent
            .borrow()
            .iter()
            .map(|(_, resp)| resp.error.as_ref().map(|e| e.code))
            .collect();
        assert_eq!(codes, [None, Some(ErrorCode::MalformedRequest), None]);
    }

    #[test]
    fn a_panicking_handler_answers_internal_error_and_the_next_request_runs() {
        let mut r = quick();
        let a = r.conn(1);
        r.send(&a, "undo", json!({"scene_path": "panic"}));
        r.send(&a, "list_sessions", json!({}));
        r.drain();
        let sent = r.sent.borrow();
        let error = sent[0].1.error.clone().unwrap();
        assert_eq!(error.code, ErrorCode::InternalError);
        assert!(error.message.contains("boom"), "{}", error.message);
        assert!(sent[1].1.success);
    }

    #[test]
    fn a_deferred_answer_comes_in_a_later_frame() {
        let mut r = quick();
        let a = r.conn(1);
        let id = r.send(&a, "run_project", json!({}));
        let drained = r.drain();
        assert_eq!((drained.handled, drained.pending), (1, 1));
        assert!(r.answered().is_empty());
        let drained = r.drain();
        assert_eq!((drained.polled, drained.pending), (1, 1));
        r.ctx.ready.set(true);
        r.drain();
        assert_eq!(r.answered(), [(1, id)]);
        assert_eq!(r.last().result.unwrap()["run_id"], 1);
        assert!(!r.drain().busy());
    }

    #[test]
    fn a_deferred_answer_past_its_deadline_times_out() {
        let mut r = quick();
        let a = r.conn(1);
        r.send(&a, "stop_project", json!({}));
        r.drain();
        r.drain();
        let error = r.last().error.unwrap();
        assert_eq!(error.code, ErrorCode::Timeout);
        assert!(
            error.message.contains("the game to end"),
            "{}",
            error.message
        );
    }

    #[test]
    fn edits_wait_for_an_import_and_reads_do_not() {
        let mut r = rig(32, Duration::from_secs(60), Duration::from_secs(60));
        r.ctx.readiness = Readiness::Importing;
        let (a, b) = (r.conn(1), r.conn(2));
        r.send(&a, "undo", json!({"scene_path": "x"}));
        r.send(&a, "list_sessions", json!({}));
        let read = r.send(&b, "list_sessions", json!({}));
        r.drain();
        assert_eq!(r.answered(), [(2, read)], "a's read waits behind its edit");
        r.ctx.readiness = Readiness::Ready;
        r.drain();
        assert_eq!(r.answered().len(), 3);
    }

    #[test]
    fn an_edit_gives_up_when_the_import_lasts_too_long() {
        let mut r = rig(32, Duration::from_secs(60), Duration::ZERO);
        r.ctx.readiness = Readiness::Importing;
        let a = r.conn(1);
        r.send(&a, "undo", json!({"scene_path": "x"}));
        r.drain();
        let error = r.last().error.unwrap();
        assert_eq!(error.code, ErrorCode::EditorNotReady);
        assert_eq!(error.sub_code.as_deref(), Some("importing"));
        assert!(error.retryable);
    }

    #[test]
    fn requests_of_a_closed_connection_are_skipped() {
        let mut r = quick();
        let a = r.conn(1);
        r.send(&a, "undo", json!({"scene_path": "x"}));
        a.open.set(false);
        let drained = r.drain();
        assert_eq!(drained.handled, 0);
        assert!(r.answered().is_empty());
    }

    #[test]
    fn an_edit_while_the_game_runs_carries_a_notice() {
        let mut r = quick();
        r.ctx.readiness = Readiness::Playing;
        let a = r.conn(1);
        r.send(&a, "undo", json!({"scene_path": "x"}));
        r.send(&a, "list_sessions", json!({}));
        r.drain();
        let sent = r.sent.borrow();
        assert!(
            sent[0]
                .1
                .notice
                .as_deref()
                .unwrap()
                .contains("game is running")
        );
        assert_eq!(sent[1].1.notice, None, "reads carry no notice");
    }

    #[test]
    fn every_answer_rings_the_new_errors_once_per_connection() {
        use godot_mcp_protocol::commands::log::Location;
        use godot_mcp_protocol::doorbell::{ErrorNote, ErrorSource};
        let mut r = quick();
        let (a, b) = (r.conn(1), r.conn(2));
        r.send(&a, "list_sessions", json!({}));
        r.send(&b, "list_sessions", json!({}));
        r.drain();
        r.ctx.errors.borrow_mut().ring(ErrorNote {
            source: ErrorSource::Game,
            message: "null instance".into(),
            at: Location::new("res://p.gd", 4, "_ready"),
        });
        r.send(&a, "list_sessions", json!({}));
        r.send(&a, "unknown_action", json!({}));
        r.send(&b, "undo", json!({"scene_path": "x"}));
        r.drain();
        let sent = r.sent.borrow();
        let news: Vec<(u64, Option<u64>)> = sent
            .iter()
            .map(|(c, s)| (*c, s.new_errors.as_ref().map(|n| n.count)))
            .collect();
        assert_eq!(
            news,
            [(1, None), (2, None), (1, Some(1)), (2, Some(1)), (1, None)]
        );
        assert_eq!(
            sent[2].1.new_errors.as_ref().unwrap().first[0].message,
            "null instance"
        );
    }

    /// The shim gives up on a call after the command's timeout; a handler
    /// that answers later must give up first, so its own answer arrives.
    #[test]
    fn every_deadline_is_shorter_than_the_shims_timeout() {
        for route in crate::handlers::router().routes() {
            let Some(deadline) = route.deadline else {
                continue;
            };
            let spec = godot_mcp_protocol::find(route.name).unwrap();
            assert!(
                deadline + MARGIN <= spec.timeout,
                "{}: deadline {deadline:?} leaves less than {MARGIN:?} of the shim's {:?}",
                route.name,
                spec.timeout
            );
        }
    }

    /// Time for an answer to travel from the editor to the shim.
    const MARGIN: Duration = Duration::from_secs(2);
}
