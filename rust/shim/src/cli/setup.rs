//! `godot-mcp setup CLIENT`: registers this binary with an MCP client by
//! editing the client's own configuration file (or, for Claude Code, with
//! `claude mcp add` when that command exists). The previous file is kept
//! beside it as `<name>.godot-mcp.bak`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use godot_mcp_protocol::catalog::Selection;

use super::clients::{self, Client, Places, SERVER, Scope, Shape};
use super::{edit, flag_value, project};

const USAGE: &str = "usage: godot-mcp setup CLIENT [--project DIR] [--scope user|project] [--toolsets a,b|all] [--print|--entry]
Adds this godot-mcp to CLIENT's MCP configuration, keeping everything else in the file.
  CLIENT       claude-code, claude-desktop, codex, cursor, vscode, gemini, windsurf, zed, cline, opencode
  --project    the project whose files a project-scope entry goes into (default: the Godot
               project containing this folder, else this folder)
  --scope      user (the client's own settings) or project; each client has its usual default
  --toolsets   tool groups to list besides core; each client has a default fitting its limits
  --print      show the change; write nothing
  --entry      print only our entry, ready to paste into the client's file; write nothing";

struct Options {
    client: &'static Client,
    project: PathBuf,
    scope: Scope,
    toolsets: String,
    print: bool,
    entry: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut client, mut project, mut scope, mut toolsets, mut print, mut entry) =
        (None, None, None, None, false, false);
    let mut i = 0;
    while i < args.len() {
        if let Some(v) = flag_value(args, &mut i, "--project")? {
            project = Some(v);
        } else if let Some(v) = flag_value(args, &mut i, "--scope")? {
            scope = Some(Scope::parse(&v)?);
        } else if let Some(v) = flag_value(args, &mut i, "--toolsets")? {
            toolsets = Some(v);
        } else if args[i] == "--print" {
            print = true;
        } else if args[i] == "--entry" {
            entry = true;
        } else if args[i].starts_with('-') || client.is_some() {
            return Err(format!("unexpected {:?}\n{USAGE}", args[i]));
        } else {
            client = Some(clients::find(&args[i])?);
        }
        i += 1;
    }
    let client = client.ok_or(USAGE)?;
    let project = match project {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if !dir.is_dir() {
                return Err(format!("{} is not a folder", dir.display()));
            }
            dir.canonicalize().unwrap_or(dir)
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            project::containing(&cwd).unwrap_or(cwd)
        }
    };
    let toolsets = toolsets.unwrap_or_else(|| client.toolsets.to_owned());
    Selection::parse(&toolsets, false).map_err(|e| e.to_string())?;
    Ok(Options {
        client,
        project,
        scope: scope.unwrap_or(client.default_scope),
        toolsets,
        print,
        entry,
    })
}

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let options = parse(args)?;
    let command = super::this_binary()?;
    let mut server_args = Vec::new();
    if !options.toolsets.trim().is_empty() {
        server_args.extend(["--toolsets".to_owned(), options.toolsets.clone()]);
    }
    if options.entry {
        println!("{}", entry_text(options.client, &command, &server_args)?);
        return Ok(ExitCode::SUCCESS);
    }
    if options.client.name == "claude-code"
        && let Some(claude) = find_on_path("claude")
    {
        return claude_mcp_add(&claude, &options, &command, &server_args);
    }
    let places = Places::from_env()?;
    let file = options
        .client
        .file(options.scope, &places, &options.project)?;
    let entry = options.client.shape.entry(&command, &server_args);
    let old = match std::fs::read_to_string(&file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    let text = old.as_deref().unwrap_or_default();
    let key = options.client.shape.servers_key();
    let new = match options.client.shape {
        Shape::Codex => edit::toml(text, key, SERVER, &entry),
        _ => edit::json(text, key, SERVER, &entry),
    }
    .map_err(|e| {
        format!(
            "{}: {e}; fix it by hand, nothing was written",
            file.display()
        )
    })?;
    let Some(new) = new else {
        println!(
            "{} already has {key}.{SERVER} for {}; nothing written",
            file.display(),
            command.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    if options.print {
        println!("would write {} ({key}.{SERVER}):", file.display());
        let shown: serde_json::Map<String, serde_json::Value> = entry
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        println!("{}", serde_json::Value::Object(shown));
        return Ok(ExitCode::SUCCESS);
    }
    if old.is_some() {
        let backup = backup_path(&file);
        std::fs::copy(&file, &backup)
            .map_err(|e| format!("cannot back up {}: {e}; nothing written", file.display()))?;
        println!("kept the previous file as {}", backup.display());
    }
    godot_mcp_protocol::paths::write_atomically(&file, new.as_bytes())
        .map_err(|e| format!("writing {}: {e}", file.display()))?;
    println!(
        "{} {key}.{SERVER} in {} ({} scope): {}{}",
        if old.is_some() { "set" } else { "created" },
        file.display(),
        options.scope.name(),
        command.display(),
        if server_args.is_empty() {
            String::new()
        } else {
            format!(" {}", server_args.join(" "))
        }
    );
    println!(
        "restart {} (or reload its MCP servers) to pick it up",
        options.client.name
    );
    Ok(ExitCode::SUCCESS)
}

/// Our entry alone, as the user would paste it: Claude Code's `claude mcp
/// add` line, else a file holding only our entry in the client's format.
fn entry_text(client: &Client, command: &Path, server_args: &[String]) -> Result<String, String> {
    if client.name == "claude-code" {
        let mut line = format!(
            "claude mcp add {SERVER} -- {}",
            quoted(&command.to_string_lossy())
        );
        for arg in server_args {
            line.push(' ');
            line.push_str(&quoted(arg));
        }
        return Ok(line);
    }
    let entry = client.shape.entry(command, server_args);
    let key = client.shape.servers_key();
    let text = match client.shape {
        Shape::Codex => edit::toml("", key, SERVER, &entry),
        _ => edit::json("", key, SERVER, &entry),
    }?;
    Ok(text.unwrap_or_default().trim_end().to_owned())
}

/// A word as a POSIX shell reads it.
fn quoted(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-,:=+@".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Where the previous version of a configuration file is kept.
pub fn backup_path(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    file.with_file_name(format!("{}.godot-mcp.bak", name.unwrap_or_default()))
}

/// Registers through Claude Code's own command, which knows where its
/// settings live; an older entry of ours is replaced.
fn claude_mcp_add(
    claude: &Path,
    options: &Options,
    command: &Path,
    server_args: &[String],
) -> Result<ExitCode, String> {
    let scope = options.scope.name();
    let mut add = Command::new(claude);
    add.current_dir(&options.project)
        .args(["mcp", "add", "--scope", scope, SERVER, "--"])
        .arg(command)
        .args(server_args);
    if options.print {
        println!("would run: {add:?}");
        return Ok(ExitCode::SUCCESS);
    }
    let _ = Command::new(claude)
        .current_dir(&options.project)
        .args(["mcp", "remove", "--scope", scope, SERVER])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let status = add
        .status()
        .map_err(|e| format!("cannot run {}: {e}", claude.display()))?;
    if status.success() {
        println!("registered {SERVER} with claude mcp add ({scope} scope)");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("`claude mcp add` failed ({status})"))
    }
}

/// An executable named `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names: Vec<String> = if cfg!(windows) {
        vec![
            format!("{name}.exe"),
            format!("{name}.cmd"),
            name.to_owned(),
        ]
    } else {
        vec![name.to_owned()]
    };
    std::env::split_paths(&path)
        .find_map(|dir| names.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_what_the_files_would_hold() {
        let command = Path::new("/opt/my tools/godot-mcp");
        let args = ["--toolsets".to_owned(), "all".to_owned()];
        let claude = entry_text(clients::find("claude-code").unwrap(), command, &args).unwrap();
        assert_eq!(
            claude,
            "claude mcp add godot -- '/opt/my tools/godot-mcp' --toolsets all"
        );
        let cursor = entry_text(clients::find("cursor").unwrap(), command, &[]).unwrap();
        let cursor: serde_json::Value = serde_json::from_str(&cursor).unwrap();
        assert_eq!(
            cursor["mcpServers"]["godot"]["command"],
            "/opt/my tools/godot-mcp"
        );
        let codex = entry_text(clients::find("codex").unwrap(), command, &args).unwrap();
        let codex: toml_edit::DocumentMut = codex.parse().unwrap();
        assert_eq!(
            codex["mcp_servers"]["godot"]["env_vars"].to_string().trim(),
            r#"["XDG_RUNTIME_DIR"]"#
        );
    }
}
