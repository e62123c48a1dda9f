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
    #[error("cannot start the network thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error(transparent)]
    Protocol(#[from] godot_mcp_protocol::ProtocolError),
}
