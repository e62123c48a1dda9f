//! The WebSocket endpoint, on its own thread.
//!
//! Godot objects may only be touched on the main thread, so this thread does
//! nothing but move text: it decodes frames into [`Packet`]s for the main
//! thread and writes back whatever the main thread replies. It owns a
//! single-threaded tokio runtime and stops promptly when [`Server`] is
//! stopped or dropped, so no thread outlives the library.

use std::net::{SocketAddr, TcpListener};
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use futures_util::{SinkExt, StreamExt};
use godot_mcp_protocol::{ErrorBody, ErrorCode, Request, Response};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::ExtensionError;

/// Largest frame accepted from a client.
const MAX_FRAME_BYTES: usize = 16 << 20;
/// Requests waiting for the main thread, across connections; beyond this a
/// request is answered `EDITOR_BUSY` at once instead of queueing forever.
const MAX_QUEUED: usize = 4096;

/// A request on its way to the main thread.
pub struct Packet {
    pub frame: Inbound,
    pub reply: Reply,
}

pub enum Inbound {
    Request(Request),
    /// A frame that did not decode; its error response keeps its place in the
    /// connection's reply order.
    Malformed(Response),
}

/// Where a connection's responses go; sending never blocks.
#[derive(Clone)]
pub struct Reply(mpsc::UnboundedSender<String>);

impl Reply {
    pub fn send(&self, response: &Response) {
        let text = serde_json::to_string(response).unwrap_or_else(|e| {
            serde_json::to_string(&Response::err(
                response.id,
                ErrorBody::new(
                    ErrorCode::InternalError,
                    format!("unserializable result: {e}"),
                ),
            ))
            .unwrap_or_default()
        });
        // The client may have gone; its replies are simply dropped.
        let _ = self.0.send(text);
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub inbound: Receiver<Packet>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(port: u16) -> Result<Server, ExtensionError> {
        // Bind here, not on the thread, so a taken port is reported at once.
        let listener = TcpListener::bind(("127.0.0.1", port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| ExtensionError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ExtensionError::Bind { port, source })?;
        let (tx, inbound) = crossbeam_channel::bounded(MAX_QUEUED);
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("godot-mcp-net".into())
            .spawn(move || {
                // A panic here must not unwind into nothing: log and end the thread.
                let run = std::panic::catch_unwind(AssertUnwindSafe(|| run(listener, tx, stopped)));
                if run.is_err() {
                    eprintln!("godot-mcp: network thread panicked; the endpoint is down");
                }
            })
            .map_err(ExtensionError::Thread)?;
        Ok(Server {
            addr,
            inbound,
            stop: Some(stop),
            thread: Some(thread),
        })
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

fn run(listener: TcpListener, tx: Sender<Packet>, mut stopped: oneshot::Receiver<()>) {
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
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(connection(stream, tx.clone()));
                    }
                    Err(e) => {
                        eprintln!("godot-mcp: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
    });
    // Connections still open are cut here; nothing waits on them.
    runtime.shutdown_timeout(Duration::from_millis(200));
}

async fn connection(stream: tokio::net::TcpStream, tx: Sender<Packet>) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let ws = match tokio_tungstenite::accept_async_with_config(stream, Some(config)).await {
        Ok(ws) => ws,
        Err(_) => return,
    };
    let (mut sink, mut source) = ws.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let reply = Reply(out_tx);

    let writer = async move {
        while let Some(text) = out_rx.recv().await {
            if sink.send(Message::text(text)).await.is_err() {
                break;
            }
        }
    };
    let reader = async move {
        while let Some(Ok(message)) = source.next().await {
            let frame = match message {
                Message::Text(text) => match Request::decode(text.as_str()) {
                    Ok(request) => Inbound::Request(request),
                    Err(response) => Inbound::Malformed(response),
                },
                Message::Binary(_) => Inbound::Malformed(Response::err(
                    None,
                    ErrorBody::new(
                        ErrorCode::MalformedRequest,
                        "binary frames are not accepted",
                    )
                    .with_hint("send requests as JSON text frames"),
                )),
                Message::Close(_) => break,
                _ => continue,
            };
            let packet = Packet {
                frame,
                reply: reply.clone(),
            };
            match tx.try_send(packet) {
                Ok(()) => {}
                Err(TrySendError::Full(packet)) => {
                    let id = match &packet.frame {
                        Inbound::Request(r) => Some(r.id),
                        Inbound::Malformed(r) => r.id,
                    };
                    packet.reply.send(&Response::err(
                        id,
                        ErrorBody::new(ErrorCode::EditorBusy, "the editor's request queue is full")
                            .with_hint("wait for outstanding replies, then retry"),
                    ));
                }
                Err(TrySendError::Disconnected(_)) => break,
            }
        }
    };
    // Either side ending ends the connection; replies still owed are dropped.
    tokio::select! {
        () = reader => {},
        () = writer => {},
    }
}
