//! `godot-mcp`: an MCP server on stdio that drives a live Godot editor.
//!
//! The tool list comes from the protocol crate's catalog, so it is complete
//! even before an editor is running; each call is forwarded over WebSocket
//! to the editor extension. Standard output belongs to MCP: logs go to
//! standard error only.

#![forbid(unsafe_code)]

mod ask;
mod cli;
mod complete;
mod error;
mod link;
mod local;
mod offline;
mod prompts;
mod resources;
mod server;
mod sessions;
#[cfg(test)]
mod snapshot;
mod stdio;

use std::process::ExitCode;

use godot_mcp_protocol::catalog::Selection;
use rmcp::ServiceExt;

pub use error::ShimError;

/// Environment variable naming the toolsets to list, like `--toolsets`.
const TOOLSETS_ENV: &str = "GODOT_MCP_TOOLSETS";
/// Environment variable that, set to 1, serves only read-only tools.
const READ_ONLY_ENV: &str = "GODOT_MCP_READ_ONLY";

const USAGE: &str = "usage: godot-mcp [--toolsets a,b | all] [--read-only] [--tools | --version]
       godot-mcp install [PROJECT] | setup CLIENT [...] | doctor [--project DIR]
Speaks MCP on stdin/stdout; finds running Godot editors through their discovery files
(or talks to the one on 127.0.0.1:$GODOT_MCP_PORT when that is set).
  --toolsets   tool groups to list besides core (GODOT_MCP_TOOLSETS); `all` lists every tool
  --read-only  list and serve only tools that change nothing (GODOT_MCP_READ_ONLY=1)
  --tools      print the tool list a client would get, as JSON";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = cli::run(&argv) {
        return code;
    }
    let mut toolsets = std::env::var(TOOLSETS_ENV).unwrap_or_default();
    let mut read_only =
        std::env::var(READ_ONLY_ENV).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "no"));
    let mut print_tools = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--version" | "-V" => {
                println!("godot-mcp {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--tools" => print_tools = true,
            "--read-only" => read_only = true,
            "--toolsets" => toolsets = args.next().unwrap_or_default(),
            other if other.starts_with("--toolsets=") => {
                toolsets = other["--toolsets=".len()..].to_owned();
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let selection = match Selection::parse(&toolsets, read_only) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("godot-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    if print_tools {
        // The exact tool list an MCP client receives, for inspection.
        println!("{}", server::tools_json(&selection));
        return ExitCode::SUCCESS;
    }
    match run(selection) {
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

fn run(selection: Selection) -> Result<(), ShimError> {
    // With GODOT_MCP_PORT set, talk to that editor only; otherwise find
    // editors through their discovery files.
    let port = godot_mcp_protocol::port_from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let handler = server::GodotMcp::new(sessions::Registry::new(port), selection);
        let service = handler
            .serve(stdio::stdio())
            .await
            .map_err(|e| ShimError::Mcp(e.to_string()))?;
        service
            .waiting()
            .await
            .map_err(|e| ShimError::Mcp(e.to_string()))?;
        Ok(())
    })
}
