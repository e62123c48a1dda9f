//! This crate's error type, for failures outside request handling (which
//! answer with a protocol [`godot_mcp_protocol::ErrorBody`] instead).

#[derive(Debug, thiserror::Error)]
pub enum ExtensionError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("no free port from {0} upward; set GODOT_MCP_PORT to a free port")]
    NoFreePort(u16),
    #[error("cannot get random bytes for the session token: {0}")]
    Random(String),
    #[error("cannot start the network thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error(transparent)]
    Protocol(#[from] godot_mcp_protocol::ProtocolError),
}
