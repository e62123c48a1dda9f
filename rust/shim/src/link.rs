//! The WebSocket link to the editor.
//!
//! Connects lazily, on the first call that needs the editor, and again after
//! the link drops. Requests are multiplexed by id over one connection; a
//! reader task routes each response to its caller. When the link breaks,
//! every call still waiting is failed at once rather than left to time out.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use godot_mcp_protocol::{ErrorBody, ErrorCode, Request, Response, ServerMessage};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Response>>>>;

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

pub struct EditorLink {
    port: u16,
    next_id: AtomicU64,
    connection: Mutex<Option<Connection>>,
}

impl EditorLink {
    pub fn new(port: u16) -> Self {
        Self {
            port,
            next_id: AtomicU64::new(1),
            connection: Mutex::new(None),
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Sends one request and waits for its response.
    pub async fn call(
        &self,
        action: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, ErrorBody> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let text = serde_json::to_string(&Request {
            id,
            action: action.to_owned(),
            params,
        })
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?;
        let (tx, rx) = oneshot::channel();
        {
            let mut guard = self.connection.lock().await;
            if !guard.as_ref().is_some_and(Connection::is_open) {
                *guard = Some(self.connect().await?);
            }
            let conn = guard.as_ref().expect("just connected");
            lock(&conn.pending).insert(id, tx);
            // The reader marks the link dead before failing waiters, so a
            // waiter added after that is caught here instead of timing out.
            if !conn.is_open() || conn.outbound.send(text).is_err() {
                lock(&conn.pending).remove(&id);
                return Err(interrupted(action));
            }
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(response)) => response.into_result(),
            Ok(Err(_)) => Err(interrupted(action)),
            Err(_) => {
                if let Some(conn) = self.connection.lock().await.as_ref() {
                    lock(&conn.pending).remove(&id);
                }
                Err(ErrorBody::new(
                    ErrorCode::Timeout,
                    format!(
                        "{action}: the editor did not answer within {} s",
                        timeout.as_secs()
                    ),
                )
                .with_hint(
                    "the editor may be busy (importing, or a modal dialog is open); try again",
                ))
            }
        }
    }

    async fn connect(&self) -> Result<Connection, ErrorBody> {
        let url = self.url();
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
        tokio::spawn(async move {
            while let Some(Ok(message)) = source.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                match serde_json::from_str::<ServerMessage>(text.as_str()) {
                    Ok(ServerMessage::Response(response)) => {
                        let waiter = response.id.and_then(|id| lock(&routes).remove(&id));
                        match waiter {
                            Some(waiter) => {
                                let _ = waiter.send(response);
                            }
                            None => eprintln!(
                                "godot-mcp: dropped a reply nobody waits for (id {:?})",
                                response.id
                            ),
                        }
                    }
                    Ok(ServerMessage::Event(_)) => {}
                    Err(e) => eprintln!("godot-mcp: unreadable frame from the editor: {e}"),
                }
            }
            reader_alive.store(false, Ordering::Release);
            writer.abort();
            // Dropping the senders fails every waiting call with TRANSPORT_INTERRUPTED.
            lock(&routes).clear();
            eprintln!("godot-mcp: the editor connection closed");
        });
        eprintln!("godot-mcp: connected to the editor at {url}");
        Ok(Connection {
            outbound,
            pending,
            alive,
        })
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn not_connected(url: &str, why: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::EditorNotConnected,
        format!("no Godot editor is answering at {url} ({why})"),
    )
    .with_hint(
        "open the project in Godot 4.6+ with addons/godot_mcp installed (in the godot-mcp repo: cargo xtask run); \
         if the editor uses another port, set GODOT_MCP_PORT for both",
    )
}

fn interrupted(action: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::TransportInterrupted,
        format!("{action}: the connection to the editor closed before it answered"),
    )
    .with_hint("the action may or may not have run; check the editor state (get_editor_state) before retrying")
}
