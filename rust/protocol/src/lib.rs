//! The contract between the `godot-mcp` shim and the editor extension.
//!
//! Everything both sides must agree on lives here exactly once: the wire
//! messages, the command catalog (names, typed parameters, descriptions), the
//! error codes, the accepted forms of property values and the rules that keep
//! paths inside `res://`. This crate never touches the engine, so all of it is
//! testable with plain `cargo test`.

#![forbid(unsafe_code)]

pub mod catalog;
pub mod clients;
pub mod commands;
pub mod discovery;
pub mod doorbell;
mod error;
pub mod errors;
pub mod glob;
pub mod image;
pub mod link;
pub mod listing;
pub mod names;
pub mod paths;
pub mod play;
pub mod router;
pub mod schema;
pub mod stored;
pub mod suggest;
pub mod tilemap;
pub mod value;
pub mod wire;

pub use catalog::{CATALOG, Command, CommandSpec, find};
pub use error::{ErrorBody, ErrorCode, ProtocolError};
pub use router::{Answer, Router};
pub use wire::{
    Event, Handshake, Hello, Readiness, Request, Response, ServerMessage, Welcome, events,
};

/// Bumped whenever a message or command changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 1;

/// Default TCP port of the editor's WebSocket endpoint; `GODOT_MCP_PORT` overrides it.
pub const DEFAULT_PORT: u16 = 6505;

/// Environment variable that overrides [`DEFAULT_PORT`] on both sides.
pub const PORT_ENV: &str = "GODOT_MCP_PORT";

/// The port fixed by [`PORT_ENV`], if it is set. Unset, editors take the
/// first free port from [`DEFAULT_PORT`] and shims find them by discovery.
pub fn port_from_env() -> Result<Option<u16>, ProtocolError> {
    match std::env::var(PORT_ENV) {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .map(Some)
            .ok_or(ProtocolError::BadPort(s)),
        _ => Ok(None),
    }
}
