//! `godot-mcp`: an MCP server on stdio that drives a live Godot editor.
//!
//! The tool list comes from the protocol crate's catalog, so it is complete
//! even before an editor is running; each call is forwarded over WebSocket
//! to the editor extension. Standard output belongs to MCP: logs go to
//! standard error only.

#![forbid(unsafe_code)]

mod error;
mod link;
mod local;
mod offline;
mod resources;
mod server;
mod sessions;
#[cfg(test)]
mod snapshot;

use std::process::ExitCode;

use rmcp::ServiceExt;

pub use error::ShimError;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        None => {}
        Some("--version" | "-V") => {
            println!("godot-mcp {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--tools") => {
            // The exact tool list an MCP client receives, for inspection.
            println!("{}", server::tools_json());
            return ExitCode::SUCCESS;
        }
        Some(_) => {
            eprintln!(
                "usage: godot-mcp [--version | --tools]\n\
                 Speaks MCP on stdin/stdout; finds running Godot editors through their discovery files\n\
                 (or talks to the one on 127.0.0.1:$GODOT_MCP_PORT when that is set)."
            );
            return ExitCode::from(2);
        }
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("godot-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Locks a mutex even if a task panicked while holding it: the data is
/// plain state that stays usable, and the shim must keep serving.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn run() -> Result<(), ShimError> {
    // With GODOT_MCP_PORT set, talk to that editor only; otherwise find
    // editors through their discovery files.
    let port = godot_mcp_protocol::port_from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let handler = server::GodotMcp::new(sessions::Registry::new(port));
        let service = handler
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| ShimError::Mcp(e.to_string()))?;
        service
            .waiting()
            .await
            .map_err(|e| ShimError::Mcp(e.to_string()))?;
        Ok(())
    })
}
