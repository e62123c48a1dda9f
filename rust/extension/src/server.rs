//! The WebSocket endpoint, on its own thread.
//!
//! Godot objects may only be touched on the main thread, so this thread does
//! nothing but move text: it checks who is connecting, decodes frames into
//! [`Packet`]s for the main thread, and writes back whatever the main thread
//! replies or broadcasts. It owns a single-threaded tokio runtime and stops
//! promptly when [`Server`] is stopped or dropped, so no thread outlives the
//! library.
//!
//! Limits live here too, so that no client can make the editor hoard memory
//! or time: a maximum frame size, a cap on requests waiting per connection
//! and overall, and a cap on bytes queued towards a client that reads slowly.

use std::net::{SocketAddr, TcpListener};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use futures_util::{SinkExt, StreamExt};
use godot_mcp_protocol::{
    ErrorBody, ErrorCode, Event, Hello, Readiness, Request, Response, Welcome, events,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as HttpRequest, Response as HttpResponse,
};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, http};

use crate::ExtensionError;
use crate::dispatch::Outbox;
use crate::gate::{Budgeted, Gate, PRE_HELLO_BYTES, Pass, PingMeter};

/// Largest frame accepted from a client.
pub const MAX_FRAME_BYTES: usize = 16 << 20;
/// Requests waiting for the main thread, across connections.
const MAX_QUEUED: usize = 4096;
/// Requests one connection may have waiting; beyond it, `EDITOR_BUSY`.
pub const MAX_WAITING_PER_CONNECTION: usize = 1024;
/// Bytes queued towards one client; a reply that would exceed it is
/// replaced by a short `RESPONSE_TOO_LARGE` error.
pub const MAX_OUTBOUND_BYTES: usize = 4 << 20;
/// Room kept for those short errors; a client that lets even them pile up
/// is not reading at all and is disconnected.
const OUTBOUND_SLACK: usize = 256 << 10;
/// How long a client may take to upgrade to WebSocket and say hello.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(5);
/// Longest pause after a failed accept (out of descriptors, say), doubling
/// from 50 ms while accepts keep failing.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Bytes tungstenite may hold unsent for a client that does not read: one
/// largest answer plus room; pongs to a ping flood hit it and end the link.
const MAX_WRITE_BUFFER: usize = MAX_OUTBOUND_BYTES + OUTBOUND_SLACK + (1 << 20);
/// Events buffered per connection before a slow one starts missing them.
const EVENT_BACKLOG: usize = 1024;
/// Ports tried upward from the default when no port is fixed.
const PORT_SEARCH: u16 = 64;

/// Which port to listen on.
pub enum PortChoice {
    /// Exactly this one (`GODOT_MCP_PORT`); fail if taken.
    Exactly(u16),
    /// The first free one from here upward.
    FirstFreeFrom(u16),
}

/// What every connection is checked against and greeted with.
pub struct Identity {
    pub token: String,
    /// The welcome, with `readiness` filled in live when sent.
    pub welcome: Welcome,
}

/// A request on its way to the main thread, with where its answer goes.
pub struct Packet<R = Reply> {
    pub frame: Inbound,
    pub reply: R,
}

pub enum Inbound {
    Request(Request),
    /// A frame that did not decode; its error response keeps its place in the
    /// connection's reply order.
    Malformed(Response),
}

impl Inbound {
    /// The id the answer must carry; `None` when the frame had none.
    pub fn id(&self) -> Option<u64> {
        match self {
            Inbound::Request(r) => Some(r.id),
            Inbound::Malformed(r) => r.id,
        }
    }
}

/// A result already encoded as JSON text: handlers' typed outputs are
/// encoded once, straight to text, without a JSON tree in between.
pub type Raw = Box<serde_json::value::RawValue>;

/// One client connection's outbound side; sending never blocks.
#[derive(Clone)]
pub struct Reply(Arc<Conn>);

struct Conn {
    id: u64,
    out: mpsc::UnboundedSender<Outgoing>,
    queued_bytes: AtomicUsize,
    waiting: AtomicUsize,
    closing: AtomicBool,
}

enum Outgoing {
    Text(String),
    Close(CloseCode, &'static str),
}

impl crate::dispatch::Outbox for Reply {
    fn connection(&self) -> u64 {
        self.0.id
    }

    fn is_open(&self) -> bool {
        !self.0.out.is_closed() && !self.0.closing.load(Ordering::Relaxed)
    }

    fn dequeued(&self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }

    fn send(&self, response: &Response<Raw>) {
        let text = encode(response);
        let queued = self.0.queued_bytes.load(Ordering::Acquire);
        if text.len() + queued <= MAX_OUTBOUND_BYTES {
            self.push(text);
            return;
        }
        let outcome = if response.success {
            "the call succeeded, but its answer"
        } else {
            "the answer"
        };
        let error = ErrorBody::new(
            ErrorCode::ResponseTooLarge,
            format!(
                "{outcome} is {} bytes, more than the {} MiB a connection may have queued ({queued} bytes already waiting)",
                text.len(),
                MAX_OUTBOUND_BYTES >> 20
            ),
        )
        .with_hint("ask for less: a subtree (node_path), a smaller max_depth, specific property names, or a page");
        let mut small = Response::<Raw>::err(response.id, error);
        small.readiness = response.readiness;
        let small = encode(&small);
        if small.len() + queued <= MAX_OUTBOUND_BYTES + OUTBOUND_SLACK {
            self.push(small);
        } else {
            self.close(CloseCode::Policy, "client is not reading its replies");
        }
    }
}

impl Reply {
    /// Queues an event unless the client is too far behind; returns whether it was queued.
    fn send_event(&self, text: &str) -> bool {
        let queued = self.0.queued_bytes.load(Ordering::Acquire);
        if text.len() + queued > MAX_OUTBOUND_BYTES {
            return false;
        }
        self.push(text.to_owned());
        true
    }

    fn push(&self, text: String) {
        self.0.queued_bytes.fetch_add(text.len(), Ordering::AcqRel);
        // The client may have gone; its replies are simply dropped.
        let _ = self.0.out.send(Outgoing::Text(text));
    }

    fn close(&self, code: CloseCode, why: &'static str) {
        if !self.0.closing.swap(true, Ordering::AcqRel) {
            let _ = self.0.out.send(Outgoing::Close(code, why));
        }
    }
}

fn encode<T: serde::Serialize>(message: &T) -> String {
    serde_json::to_string(message).unwrap_or_else(|e| {
        serde_json::to_string(&Response::<Raw>::err(
            None,
            ErrorBody::new(
                ErrorCode::InternalError,
                format!("unserializable message: {e}"),
            ),
        ))
        .unwrap_or_default()
    })
}

/// State the main thread publishes for the network thread.
struct Shared {
    identity: Identity,
    readiness: AtomicU8,
    events: broadcast::Sender<Arc<str>>,
    next_connection: AtomicU64,
    gate: Arc<Gate>,
    /// Connections past the handshake, open now.
    clients: AtomicUsize,
    /// Who they are, for the dock; `peers_version` changes with the list.
    peers: Mutex<Vec<Peer>>,
    peers_version: AtomicU64,
}

/// A connected client, as its hello named it.
#[derive(Debug, Clone)]
pub struct Peer {
    pub connection: u64,
    pub name: String,
    pub version: String,
    pub since: SystemTime,
}

pub struct Server {
    pub addr: SocketAddr,
    pub inbound: Receiver<Packet>,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(port: PortChoice, identity: Identity) -> Result<Server, ExtensionError> {
        // Bind here, not on the thread, so a taken port is reported at once.
        let listener = bind(port)?;
        let addr = listener
            .local_addr()
            .map_err(|source| ExtensionError::Bind { port: 0, source })?;
        let (tx, inbound) = crossbeam_channel::bounded(MAX_QUEUED);
        let (stop, stopped) = oneshot::channel();
        let shared = Arc::new(Shared {
            readiness: AtomicU8::new(identity.welcome.readiness.to_u8()),
            identity,
            events: broadcast::channel(EVENT_BACKLOG).0,
            next_connection: AtomicU64::new(1),
            gate: Arc::default(),
            clients: AtomicUsize::new(0),
            peers: Mutex::default(),
            peers_version: AtomicU64::new(0),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("godot-mcp-net".into())
            .spawn(move || {
                // A panic here must not unwind into nothing: log and end the thread.
                let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    run(listener, tx, thread_shared, stopped)
                }));
                if run.is_err() {
                    eprintln!("godot-mcp: network thread panicked; the endpoint is down");
                }
            })
            .map_err(ExtensionError::Thread)?;
        Ok(Server {
            addr,
            inbound,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Publishes the editor's readiness for welcomes sent from the network thread.
    pub fn set_readiness(&self, readiness: Readiness) {
        self.shared
            .readiness
            .store(readiness.to_u8(), Ordering::Release);
    }

    /// How many clients are connected (past the handshake) now.
    pub fn clients(&self) -> usize {
        self.shared.clients.load(Ordering::Acquire)
    }

    /// Changes whenever a client connects or leaves; one atomic load.
    pub fn peers_version(&self) -> u64 {
        self.shared.peers_version.load(Ordering::Acquire)
    }

    /// The connected clients, oldest first.
    pub fn peers(&self) -> Vec<Peer> {
        self.shared
            .peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sends an event to every connected client; never blocks.
    pub fn broadcast(&self, event: &Event) {
        // No receivers means no clients, which is fine.
        let _ = self.shared.events.send(encode(event).into());
    }

    /// Stops accepting, closes every connection and joins the thread.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn bind(port: PortChoice) -> Result<TcpListener, ExtensionError> {
    let try_bind = |port: u16| {
        TcpListener::bind(("127.0.0.1", port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| ExtensionError::Bind { port, source })
    };
    match port {
        PortChoice::Exactly(port) => try_bind(port),
        PortChoice::FirstFreeFrom(first) => {
            let mut last = None;
            for port in (first..=first.saturating_add(PORT_SEARCH)).filter(|p| *p != 0) {
                match try_bind(port) {
                    Ok(listener) => return Ok(listener),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or(ExtensionError::NoFreePort(first)))
        }
    }
}

fn run(
    listener: TcpListener,
    tx: Sender<Packet>,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("godot-mcp: cannot start the network runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("godot-mcp: cannot listen: {e}");
                return;
            }
        };
        let mut backoff = Duration::ZERO;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        backoff = Duration::ZERO;
                        let _ = stream.set_nodelay(true);
                        let (tx, shared) = (tx.clone(), Arc::clone(&shared));
                        Gate::admit(&Arc::clone(&shared.gate), |pass| {
                            connection(stream, pass, tx, shared)
                        });
                    }
                    Err(e) => {
                        backoff = (backoff * 2).clamp(Duration::from_millis(50), ACCEPT_BACKOFF_MAX);
                        eprintln!("godot-mcp: accept failed: {e}; retrying in {} ms", backoff.as_millis());
                        tokio::time::sleep(backoff).await;
                    }
                },
            }
        }
    });
    // Connections still open are cut here; nothing waits on them.
    runtime.shutdown_timeout(Duration::from_millis(200));
}

/// Refuses WebSocket upgrades from web pages: browsers always send `Origin`,
/// and a page the user happens to visit must not drive their editor.
#[allow(clippy::result_large_err)]
fn check_origin(
    request: &HttpRequest,
    response: HttpResponse,
) -> Result<HttpResponse, ErrorResponse> {
    if request.headers().contains_key(http::header::ORIGIN) {
        let mut refusal = ErrorResponse::new(Some(
            "godot-mcp does not accept connections from web pages".into(),
        ));
        *refusal.status_mut() = http::StatusCode::FORBIDDEN;
        return Err(refusal);
    }
    Ok(response)
}

async fn connection(
    stream: tokio::net::TcpStream,
    pass: Pass,
    tx: Sender<Packet>,
    shared: Arc<Shared>,
) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .max_write_buffer_size(MAX_WRITE_BUFFER);
    let (stream, budget) = Budgeted::new(stream, PRE_HELLO_BYTES);

    // The handshake: nothing else is read, and nothing reaches the main
    // thread, until the client has proved it knows the token, within one
    // deadline for the upgrade and the hello.
    let handshake = async {
        let ws =
            tokio_tungstenite::accept_hdr_async_with_config(stream, check_origin, Some(config))
                .await
                .ok()?;
        let (sink, mut source) = ws.split();
        let first = source.next().await;
        Some((sink, source, first))
    };
    let Ok(Some((mut sink, mut source, first))) =
        tokio::time::timeout(HANDSHAKE_DEADLINE, handshake).await
    else {
        return;
    };
    let hello = match first {
        Some(Ok(Message::Text(text))) => Hello::accept(text.as_str(), &shared.identity.token),
        _ => Hello::accept("", &shared.identity.token),
    };
    let hello = match hello {
        Ok(hello) => hello,
        Err(refusal) => {
            let _ = sink
                .send(Message::text(encode(&Response::<Raw>::err(None, refusal))))
                .await;
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: CloseCode::Policy,
                    reason: "handshake refused".into(),
                })))
                .await;
            return;
        }
    };
    budget.lift();
    drop(pass);
    let mut welcome = shared.identity.welcome.clone();
    welcome.readiness = Readiness::from_u8(shared.readiness.load(Ordering::Acquire));
    // Shows the client this is the editor its discovery record names; a
    // client that sent no nonce (an older one) gets the welcome it knows.
    if !hello.nonce.is_empty() {
        welcome.proof = godot_mcp_protocol::wire::proof(&shared.identity.token, &hello.nonce);
    }
    if sink.send(Message::text(encode(&welcome))).await.is_err() {
        return;
    }
    let _counted = Counted::new(&shared.clients);
    let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
    let _listed = Listed::new(
        &shared,
        Peer {
            connection: id,
            name: hello.client_name,
            version: hello.client_version,
            since: SystemTime::now(),
        },
    );

    let (out, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
    let reply = Reply(Arc::new(Conn {
        id,
        out,
        queued_bytes: AtomicUsize::new(0),
        waiting: AtomicUsize::new(0),
        closing: AtomicBool::new(false),
    }));

    let conn = Arc::clone(&reply.0);
    let writer = async move {
        while let Some(next) = out_rx.recv().await {
            match next {
                Outgoing::Text(text) => {
                    let len = text.len();
                    let sent = sink.send(Message::text(text)).await;
                    conn.queued_bytes.fetch_sub(len, Ordering::AcqRel);
                    if sent.is_err() {
                        break;
                    }
                }
                Outgoing::Close(code, why) => {
                    let frame = CloseFrame {
                        code,
                        reason: why.into(),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
            }
        }
    };

    let mut event_rx = shared.events.subscribe();
    let event_reply = reply.clone();
    let forward_events = async move {
        let mut dropped = 0u64;
        loop {
            let text = match event_rx.recv().await {
                Ok(text) => text,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    dropped += n;
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            if dropped > 0 {
                let lost = Event {
                    event: events::EVENTS_LOST.into(),
                    data: serde_json::json!({ "dropped": dropped }),
                };
                if event_reply.send_event(&encode(&lost)) {
                    dropped = 0;
                }
            }
            if !event_reply.send_event(&text) {
                dropped += 1;
            }
        }
    };

    let reader = async move {
        let mut pings = PingMeter::new();
        while let Some(message) = source.next().await {
            let frame = match message {
                Ok(Message::Text(text)) => match Request::decode(text.as_str()) {
                    Ok(request) => Inbound::Request(request),
                    Err(response) => Inbound::Malformed(*response),
                },
                Ok(Message::Binary(_)) => Inbound::Malformed(Response::err(
                    None,
                    ErrorBody::new(
                        ErrorCode::MalformedRequest,
                        "binary frames are not accepted",
                    )
                    .with_hint("send requests as JSON text frames"),
                )),
                Ok(Message::Close(_)) => break,
                // Answered by tungstenite; a flood of them is cut off, since
                // a client that pings without reading piles up pongs.
                Ok(Message::Ping(_)) if !pings.allow() => break,
                Ok(_) => continue,
                Err(WsError::Capacity(e)) => {
                    reply.send(&Response::err(
                        None,
                        ErrorBody::new(ErrorCode::FrameTooLarge, format!("frame refused: {e}"))
                            .with_hint(format!(
                                "frames are limited to {} MiB; split the work into several calls",
                                MAX_FRAME_BYTES >> 20
                            )),
                    ));
                    reply.close(CloseCode::Size, "frame too large");
                    // Keep the connection until the writer has said why.
                    return std::future::pending::<()>().await;
                }
                Err(_) => break,
            };
            enqueue(&tx, &reply, frame);
        }
    };
    // Any side ending ends the connection; replies still owed are dropped.
    tokio::select! {
        () = reader => {},
        () = writer => {},
        () = forward_events => {},
    }
}

/// Counts a connection while it lives.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Lists a connection's client while it lives.
struct Listed<'a> {
    shared: &'a Shared,
    connection: u64,
}

impl<'a> Listed<'a> {
    fn new(shared: &'a Shared, peer: Peer) -> Self {
        let connection = peer.connection;
        shared
            .peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(peer);
        shared.peers_version.fetch_add(1, Ordering::AcqRel);
        Self { shared, connection }
    }
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        self.shared
            .peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| p.connection != self.connection);
        self.shared.peers_version.fetch_add(1, Ordering::AcqRel);
    }
}

/// Hands a frame to the main thread, or refuses it when too much is waiting.
fn enqueue(tx: &Sender<Packet>, reply: &Reply, frame: Inbound) {
    let id = frame.id();
    let busy = |why: String| {
        ErrorBody::new(ErrorCode::EditorBusy, why)
            .with_hint("wait for outstanding replies, then retry")
            .retryable()
    };
    let waiting = reply.0.waiting.fetch_add(1, Ordering::AcqRel);
    if waiting >= MAX_WAITING_PER_CONNECTION {
        reply.0.waiting.fetch_sub(1, Ordering::AcqRel);
        reply.send(&Response::err(
            id,
            busy(format!(
                "this connection already has {MAX_WAITING_PER_CONNECTION} requests waiting"
            )),
        ));
        return;
    }
    let packet = Packet {
        frame,
        reply: reply.clone(),
    };
    match tx.try_send(packet) {
        Ok(()) => {}
        Err(TrySendError::Full(packet) | TrySendError::Disconnected(packet)) => {
            packet.reply.dequeued();
            packet.reply.send(&Response::err(
                id,
                busy(format!("the editor has {MAX_QUEUED} requests waiting")),
            ));
        }
    }
}
