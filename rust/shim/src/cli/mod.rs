//! The commands a person runs once, beside the MCP server: `install` puts
//! the addon into a Godot project, `setup` registers this binary with an
//! MCP client, `doctor` says what stands between an agent and the editor.
//! They print for a person and exit non-zero on failure; stdout is theirs
//! because no MCP client is attached.

mod clients;
mod doctor;
mod edit;
mod files;
mod install;
mod project;
mod setup;

use std::process::ExitCode;

/// Runs the subcommand `args[0]` names; `None` when it names none, so the
/// binary serves MCP.
pub fn run(args: &[String]) -> Option<ExitCode> {
    let (command, rest) = args.split_first()?;
    let outcome = match command.as_str() {
        "install" => install::run(rest),
        "setup" => setup::run(rest),
        "doctor" => doctor::run(rest),
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

/// The value after a flag (`--flag value` or `--flag=value`), advancing `i`.
fn flag_value(args: &[String], i: &mut usize, flag: &str) -> Result<Option<String>, String> {
    let arg = &args[*i];
    if arg == flag {
        *i += 1;
        return args
            .get(*i)
            .cloned()
            .map(Some)
            .ok_or_else(|| format!("{flag} needs a value"));
    }
    Ok(arg
        .strip_prefix(flag)
        .and_then(|r| r.strip_prefix('='))
        .map(str::to_owned))
}

/// This binary's absolute path, as clients must be given it.
fn this_binary() -> Result<std::path::PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    Ok(exe.canonicalize().unwrap_or(exe))
}
