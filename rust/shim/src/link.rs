//! The WebSocket link to one editor.
//!
//! A link connects on the first call that needs it and, once it has been
//! up, keeps itself up: when the editor goes away it reconnects in the
//! background with growing pauses (and at once when a call arrives), so a
//! restarted editor needs nothing from the user. Every connection starts
//! with the hello/welcome handshake; requests are multiplexed by id and a
//! reader task routes each response to its caller and each event to the
//! shim's live picture of the editor. When the link breaks, every call still
//! waiting is failed at once rather than left to time out. After repeated
//! failed attempts calls fail fast for a moment instead of each waiting for
//! its own attempt.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use godot_mcp_protocol::discovery::Discovery;
use godot_mcp_protocol::doorbell::NewErrors;
use godot_mcp_protocol::wire::{self, version_mismatch};
use godot_mcp_protocol::{
    ErrorBody, ErrorCode, Event, Handshake, Hello, PROTOCOL_VERSION, Readiness, Request, Response,
    ServerMessage, Welcome, events,
};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::{Mutex, Notify, broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::lock;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const WELCOME_TIMEOUT: Duration = Duration::from_secs(5);
/// Pauses between background reconnection attempts.
const BACKOFF: &[u64] = &[1, 2, 4, 8, 16, 30, 60];
/// Failed attempts in a row after which calls fail fast...
const BREAKER_AFTER: u32 = 3;
/// ...for this long.
const BREAKER_OPEN: Duration = Duration::from_secs(5);

/// The MCP client this shim serves, as its `initialize` named it (name,
/// version); each hello carries it so the editor can show who is connected.
static CLIENT: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// Records the MCP client's name and version for the hellos to come.
/// Kept short: the hello must stay within the editor's pre-handshake budget.
pub fn set_client(name: &str, version: &str) {
    let short = |s: &str| s.chars().take(64).collect::<String>();
    let _ = CLIENT.set((short(name), short(version)));
}

/// Finds the editor to connect to (its port and token) at each attempt, so
/// a restarted editor's new token is picked up.
pub type Locate = Box<dyn Fn() -> Result<Discovery, ErrorBody> + Send + Sync>;

/// Something the shim's live picture of the editor should reflect.
#[derive(Debug, Clone)]
pub enum LinkEvent {
    Connected,
    Disconnected,
    Editor(Event),
}

/// What the shim knows of the editor without asking it.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    pub connected: bool,
    pub welcome: Option<Welcome>,
    pub readiness: Option<Readiness>,
}

/// A successful answer, with what the editor said about its state. The
/// result stays the editor's JSON text: most answers pass through unread.
#[derive(Debug)]
pub struct Answer {
    pub result: Box<RawValue>,
    pub notice: Option<String>,
}

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Response<Box<RawValue>>>>>>;

/// Forgets a call's waiter when the call ends, however it ends (answered,
/// timed out, or cancelled by the client), so nothing waits for nothing.
struct Waiting {
    pending: Pending,
    id: u64,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        lock(&self.pending).remove(&self.id);
    }
}

struct Connection {
    outbound: mpsc::UnboundedSender<String>,
    pending: Pending,
    alive: Arc<AtomicBool>,
}

impl Connection {
    fn is_open(&self) -> bool {
        self.alive.load(Ordering::Acquire) && !self.outbound.is_closed()
    }
}

#[derive(Default)]
struct State {
    connection: Option<Connection>,
    failures: u32,
    open_until: Option<Instant>,
    last_error: Option<ErrorBody>,
}

impl State {
    /// A new live connection; the breaker's count starts over.
    fn up(&mut self, connection: Connection) {
        *self = State {
            connection: Some(connection),
            ..State::default()
        };
    }
}

pub struct EditorLink {
    locate: Locate,
    next_id: AtomicU64,
    state: Mutex<State>,
    picture: std::sync::Mutex<Picture>,
    events: broadcast::Sender<LinkEvent>,
    /// Wakes the background reconnection loop.
    kick: Notify,
    supervised: AtomicBool,
    /// New errors the editor announced on answers no tool call showed yet.
    doorbell: std::sync::Mutex<Option<NewErrors>>,
}

impl EditorLink {
    pub fn new(locate: Locate, events: broadcast::Sender<LinkEvent>) -> Arc<Self> {
        Arc::new(Self {
            locate,
            next_id: AtomicU64::new(1),
            state: Mutex::new(State::default()),
            picture: std::sync::Mutex::new(Picture::default()),
            events,
            kick: Notify::new(),
            supervised: AtomicBool::new(false),
            doorbell: std::sync::Mutex::default(),
        })
    }

    /// The new errors to announce on the next tool answer, if any.
    pub fn take_new_errors(&self) -> Option<NewErrors> {
        lock(&self.doorbell).take()
    }

    pub fn picture(&self) -> Picture {
        lock(&self.picture).clone()
    }

    /// Sends one request and waits for its response, up to `timeout`.
    pub async fn call(
        self: &Arc<Self>,
        action: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Answer, ErrorBody> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let text = serde_json::to_string(&Request {
            id,
            action: action.to_owned(),
            params,
        })
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?;
        let (tx, rx) = oneshot::channel();
        let _waiting = {
            let mut state = self.state.lock().await;
            if !state.connection.as_ref().is_some_and(Connection::is_open) {
                if let Some(until) = state.open_until.filter(|t| *t > Instant::now()) {
                    return Err(fail_fast(&state, until));
                }
                self.attempt(&mut state).await?;
            }
            let conn = state.connection.as_ref().expect("just connected");
            lock(&conn.pending).insert(id, tx);
            // The reader marks the link dead before failing waiters, so a
            // waiter added after that is caught here instead of timing out.
            let waiting = Waiting {
                pending: Arc::clone(&conn.pending),
                id,
            };
            if !conn.is_open() || conn.outbound.send(text).is_err() {
                return Err(interrupted(action));
            }
            waiting
        };
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(mut response)) => {
                if let Some(news) = response.new_errors.take() {
                    let mut held = lock(&self.doorbell);
                    *held = Some(match held.take() {
                        Some(earlier) => earlier.merge(news),
                        None => news,
                    });
                }
                let notice = response.notice.clone();
                response.outcome().map(|result| Answer {
                    result: result.unwrap_or_else(null),
                    notice,
                })
            }
            Ok(Err(_)) => Err(interrupted(action)),
            Err(_) => Err(ErrorBody::new(
                ErrorCode::Timeout,
                format!(
                    "{action}: the editor did not answer within {} s",
                    timeout.as_secs()
                ),
            )
            .with_hint(
                "the editor may be busy (importing, or a modal dialog is open); \
                 the action may still complete: check with get_editor_state before retrying",
            )),
        }
    }

    /// One connection attempt, counted by the circuit breaker.
    async fn attempt(self: &Arc<Self>, state: &mut State) -> Result<(), ErrorBody> {
        match self.connect().await {
            Ok(conn) => {
                state.up(conn);
                self.supervise();
                Ok(())
            }
            Err(error) => {
                state.failures += 1;
                if state.failures >= BREAKER_AFTER {
                    state.open_until = Some(Instant::now() + BREAKER_OPEN);
                }
                state.last_error = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Keeps the link up in the background once it has connected.
    fn supervise(self: &Arc<Self>) {
        if self.supervised.swap(true, Ordering::AcqRel) {
            return;
        }
        let link = Arc::clone(self);
        tokio::spawn(async move {
            let mut step = 0usize;
            loop {
                let connected = link
                    .state
                    .lock()
                    .await
                    .connection
                    .as_ref()
                    .is_some_and(Connection::is_open);
                if connected {
                    step = 0;
                    // Woken by the reader when the connection ends.
                    link.kick.notified().await;
                    continue;
                }
                let pause = Duration::from_secs(BACKOFF[step.min(BACKOFF.len() - 1)]);
                let _ = tokio::time::timeout(pause, link.kick.notified()).await;
                let mut state = link.state.lock().await;
                if state.connection.as_ref().is_some_and(Connection::is_open) {
                    continue;
                }
                match link.connect().await {
                    Ok(conn) => state.up(conn),
                    Err(_) => step += 1,
                }
            }
        });
    }

    async fn connect(self: &Arc<Self>) -> Result<Connection, ErrorBody> {
        // Reading discovery records touches the file system: not on a worker.
        let link = Arc::clone(self);
        let target = tokio::task::spawn_blocking(move || (link.locate)())
            .await
            .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))??;
        let url = format!("ws://127.0.0.1:{}", target.port);
        let attempt = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await;
        let ws = match attempt {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return Err(not_connected(&url, &e.to_string())),
            Err(_) => return Err(not_connected(&url, "connection attempt timed out")),
        };
        let (mut sink, mut source) = ws.split();
        let nonce = nonce()?;
        let (client_name, client_version) = CLIENT
            .get()
            .cloned()
            .unwrap_or_else(|| ("godot-mcp".to_owned(), env!("CARGO_PKG_VERSION").to_owned()));
        let hello = Hello {
            protocol_version: PROTOCOL_VERSION,
            client_name,
            client_version,
            token: target.token.clone(),
            nonce: nonce.clone(),
        };
        let hello = serde_json::to_string(&hello).unwrap_or_default();
        sink.send(Message::text(hello))
            .await
            .map_err(|e| not_connected(&url, &e.to_string()))?;
        let welcome = match tokio::time::timeout(WELCOME_TIMEOUT, source.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                match serde_json::from_str::<Handshake>(text.as_str()) {
                    Ok(Handshake::Welcome(w)) => w,
                    Ok(Handshake::Refused(r)) => return Err(refused(r)),
                    Err(e) => return Err(not_connected(&url, &format!("unexpected welcome: {e}"))),
                }
            }
            _ => return Err(not_connected(&url, "the editor did not answer the hello")),
        };
        if let Some(message) = version_mismatch(PROTOCOL_VERSION, welcome.protocol_version) {
            let _ = sink.close().await;
            return Err(ErrorBody::new(ErrorCode::ProtocolMismatch, message)
                .with_hint("install matching versions of the godot-mcp binary and the addon"));
        }
        // Nothing is sent to a listener that does not hold the record's token.
        if !wire::proves(&target.token, &nonce, &welcome.proof) {
            let _ = sink.close().await;
            return Err(ErrorBody::new(
                ErrorCode::Unauthorized,
                format!("the listener at {url} did not prove it holds the editor's token; nothing was sent to it"),
            )
            .with_hint(
                "its discovery record may be planted or stale: restart the editor; \
                 if the addon is older than the godot-mcp binary, update addons/godot_mcp",
            ));
        }
        {
            let mut picture = lock(&self.picture);
            picture.connected = true;
            picture.readiness = Some(welcome.readiness);
            picture.welcome = Some(welcome);
        }
        let _ = self.events.send(LinkEvent::Connected);

        let (outbound, mut queue) = mpsc::unbounded_channel::<String>();
        let pending: Pending = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let writer = tokio::spawn(async move {
            while let Some(text) = queue.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let routes = Arc::clone(&pending);
        let reader_alive = Arc::clone(&alive);
        let link = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(Ok(message)) = source.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                match ServerMessage::<Box<RawValue>>::decode(text.as_str()) {
                    Ok(ServerMessage::Response(response)) => {
                        if let (Some(link), Some(readiness)) = (link.upgrade(), response.readiness)
                        {
                            lock(&link.picture).readiness = Some(readiness);
                        }
                        let waiter = response.id.and_then(|id| lock(&routes).remove(&id));
                        match waiter {
                            Some(waiter) => {
                                let _ = waiter.send(response);
                            }
                            // Its caller timed out or went away.
                            None => eprintln!(
                                "godot-mcp: dropped a late reply (id {:?}, success {})",
                                response.id, response.success
                            ),
                        }
                    }
                    Ok(ServerMessage::Event(event)) => {
                        if let Some(link) = link.upgrade() {
                            link.observe(event);
                        }
                    }
                    Err(e) => eprintln!("godot-mcp: unreadable frame from the editor: {e}"),
                }
            }
            reader_alive.store(false, Ordering::Release);
            writer.abort();
            // Dropping the senders fails every waiting call with TRANSPORT_INTERRUPTED.
            lock(&routes).clear();
            if let Some(link) = link.upgrade() {
                lock(&link.picture).connected = false;
                let _ = link.events.send(LinkEvent::Disconnected);
                link.kick.notify_one();
            }
            eprintln!("godot-mcp: the editor connection closed");
        });
        eprintln!("godot-mcp: connected to the editor at {url}");
        Ok(Connection {
            outbound,
            pending,
            alive,
        })
    }

    /// Updates the picture from an editor event and passes it on.
    fn observe(&self, event: Event) {
        if event.event == events::READINESS_CHANGED {
            lock(&self.picture).readiness =
                serde_json::from_value(event.data["readiness"].clone()).ok();
        }
        let _ = self.events.send(LinkEvent::Editor(event));
    }
}

/// 32 random bytes in hex, for one hello.
fn nonce() -> Result<String, ErrorBody> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".into()).expect("null is JSON")
}

fn refused(response: Response) -> ErrorBody {
    let mut error = response.into_result().err().unwrap_or_else(|| {
        ErrorBody::new(ErrorCode::Unauthorized, "the editor refused the connection")
    });
    if error.code == ErrorCode::Unauthorized {
        error = error.with_hint(
            "the editor's token did not match its discovery file; restart the editor or check GODOT_MCP_RUNTIME_DIR",
        );
    }
    error
}

pub fn not_connected(url: &str, why: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::EditorNotConnected,
        format!("no Godot editor is answering at {url} ({why})"),
    )
    .with_hint(
        "open the project in Godot 4.6+ with addons/godot_mcp installed (in the godot-mcp repo: cargo xtask run); \
         if the editor uses another port, set GODOT_MCP_PORT for both",
    )
    .retryable()
}

fn fail_fast(state: &State, until: Instant) -> ErrorBody {
    let wait = until.saturating_duration_since(Instant::now()).as_secs() + 1;
    let why = state
        .last_error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_else(|| "the editor is unreachable".into());
    let mut error = ErrorBody::new(
        state
            .last_error
            .as_ref()
            .map_or(ErrorCode::EditorNotConnected, |e| e.code),
        format!(
            "{why} (after {} failed attempts; next try in {wait} s)",
            state.failures
        ),
    )
    .retryable();
    error.hint = state.last_error.as_ref().and_then(|e| e.hint.clone());
    error
}

fn interrupted(action: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::TransportInterrupted,
        format!("{action}: the connection to the editor closed before it answered"),
    )
    .with_hint("the action may or may not have run; check the editor state (get_editor_state) before retrying")
    .retryable()
}
