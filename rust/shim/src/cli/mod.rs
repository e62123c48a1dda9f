//! The commands a person runs once, beside the MCP server: `install` puts
//! the addon into a Godot project. They print for a person and exit
//! non-zero on failure; stdout is theirs because no MCP client is attached.

mod files;
mod install;
mod project;

use std::process::ExitCode;

/// Runs the subcommand `args[0]` names; `None` when it names none, so the
/// binary serves MCP.
pub fn run(args: &[String]) -> Option<ExitCode> {
    let (command, rest) = args.split_first()?;
    let outcome = match command.as_str() {
        "install" => install::run(rest),
        _ => return None,
    };
    Some(match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("godot-mcp {command}: {message}");
            ExitCode::FAILURE
        }
    })
}

/// This binary's absolute path, as clients must be given it.
fn this_binary() -> Result<std::path::PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    Ok(exe.canonicalize().unwrap_or(exe))
}
