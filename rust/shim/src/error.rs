//! The shim's own failures (tool-call failures are protocol errors instead).

#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error(transparent)]
    Protocol(#[from] godot_mcp_protocol::ProtocolError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error("MCP session failed: {0}")]
    Mcp(String),
}
