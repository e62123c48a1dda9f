//! `godot-mcp doctor`: checks, in the order an agent depends on them, that
//! a call would reach the user's editor right now, and prints one line per
//! check with the fix when it fails. Exits 0 only when nothing failed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use godot_mcp_protocol::discovery::{self, Discovery};
use godot_mcp_protocol::wire::{self, version_mismatch};
use godot_mcp_protocol::{Handshake, Hello, PROTOCOL_VERSION, Welcome};
use tokio_tungstenite::tungstenite::Message;

use super::clients::{CLIENTS, Places, SERVER, Scope, Shape};
use super::project::{self, ADDON_DIR, MIN_GODOT};
use super::{edit, flag_value, install, setup};

const USAGE: &str = "usage: godot-mcp doctor [--project DIR]
Checks that an agent can drive the Godot editor of DIR (default: the project containing
this folder) right now; one line per check, with the fix when it fails.";

#[derive(Default)]
struct Report {
    failed: usize,
}

impl Report {
    fn ok(&mut self, what: &str) {
        println!("ok    {what}");
    }

    fn warn(&mut self, what: &str, fix: &str) {
        println!("warn  {what} — fix: {fix}");
    }

    fn fail(&mut self, what: &str, fix: &str) {
        self.failed += 1;
        println!("FAIL  {what} — fix: {fix}");
    }
}

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut given = None;
    let mut i = 0;
    while i < args.len() {
        if let Some(v) = flag_value(args, &mut i, "--project")? {
            given = Some(v);
        } else if args[i] == "-h" || args[i] == "--help" {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        } else {
            return Err(USAGE.into());
        }
        i += 1;
    }
    let mut report = Report::default();
    println!(
        "godot-mcp {} ({})",
        env!("CARGO_PKG_VERSION"),
        super::this_binary()?.display()
    );
    godot(&mut report);
    match project::resolve(given.as_deref()) {
        Ok(project) => {
            report.ok(&format!("project {}", project.display()));
            addon(&mut report, &project);
            editor(&mut report, &project);
            clients(&mut report, &project);
        }
        Err(e) => {
            report.fail(
                &e,
                "run `godot-mcp doctor` inside your Godot project or pass --project DIR",
            );
            clients(&mut report, &std::env::current_dir().unwrap_or_default());
        }
    }
    if report.failed == 0 {
        println!("all good: an agent can drive this editor now");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} check(s) failed", report.failed);
        Ok(ExitCode::FAILURE)
    }
}

/// A Godot 4.6+ to open the project with (`GODOT`, else on `PATH`). Only
/// a warning: an editor the user started from elsewhere serves as well.
fn godot(report: &mut Report) {
    let fix = "install Godot 4.6+ and put it on PATH or set GODOT to it";
    let found = std::env::var_os("GODOT")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| {
            ["godot", "godot4"]
                .iter()
                .find_map(|n| setup::find_on_path(n))
        });
    let Some(path) = found else {
        report.warn("no Godot on PATH or in GODOT", fix);
        return;
    };
    let version = Command::new(&path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let numbers: Vec<u32> = version
        .split('.')
        .take(2)
        .filter_map(|p| p.parse().ok())
        .collect();
    match numbers[..] {
        [major, minor] if (major, minor) >= MIN_GODOT => {
            report.ok(&format!("Godot {version} at {}", path.display()));
        }
        _ => report.warn(
            &format!(
                "Godot at {} says {version:?}, not 4.6 or newer",
                path.display()
            ),
            fix,
        ),
    }
}

fn addon(report: &mut Report, project: &Path) {
    let fix = format!("godot-mcp install {}", project.display());
    match project::source_addon() {
        Ok(source) => match install::matches(&source, project) {
            Ok(()) => report.ok(&format!("{ADDON_DIR} matches this godot-mcp and platform")),
            Err(e) => report.fail(&e, &fix),
        },
        // Without our own copy, presence is all that can be checked.
        Err(_) => match project
            .join(ADDON_DIR)
            .join("bin")
            .join(project::LIBRARY)
            .is_file()
        {
            true => report.ok(&format!("{ADDON_DIR} has {}", project::LIBRARY)),
            false => report.fail(
                &format!("{ADDON_DIR}/bin/{} is missing", project::LIBRARY),
                &fix,
            ),
        },
    }
}

fn editor(report: &mut Report, project: &Path) {
    let same = |d: &Discovery| {
        Path::new(&d.project_path)
            .canonicalize()
            .is_ok_and(|p| p == project)
    };
    // An untrusted folder is not read at all, so its editors look absent.
    for refused in discovery::dirs()
        .iter()
        .filter_map(|d| discovery::check_dir(d).err())
    {
        report.fail(
            &format!("discovery records not read: {refused}"),
            discovery::DIR_HINT,
        );
    }
    let records: Vec<Discovery> = Discovery::list_all(&discovery::dirs())
        .into_iter()
        .filter(|d| same(d) && discovery::process_alive(d.pid))
        .collect();
    let Some(record) = records.first() else {
        match crate::offline::guard::live_editor(project) {
            Some(e) => report.fail(
                &format!("a Godot editor (pid {}) has the project open but publishes no discovery file", e.pid),
                "restart that editor once so it loads the addon (it must list godot_mcp in Project > Project Settings > Plugins / GDExtensions)",
            ),
            None => report.fail(
                "no editor is running on this project",
                &format!("open it: godot -e --path {}", project.display()),
            ),
        }
        return;
    };
    report.ok(&format!(
        "editor pid {} serves session {} (discovery file in {})",
        record.pid,
        record.session_id,
        discovery::dirs()
            .iter()
            .find(|d| record.path_in(d).exists())
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    ));
    if let Ok(port) = std::env::var(godot_mcp_protocol::PORT_ENV)
        && port.trim() != record.port.to_string()
    {
        report.fail(
            &format!("GODOT_MCP_PORT={port} but the editor listens on {}", record.port),
            "unset GODOT_MCP_PORT (editors are found by themselves) or start the editor with the same value",
        );
    }
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], record.port));
    if let Err(e) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)) {
        report.fail(
            &format!("port {} does not answer: {e}", record.port),
            "restart the editor (its record is stale or its listener stopped)",
        );
        return;
    }
    report.ok(&format!("port {} reachable", record.port));
    match handshake(record) {
        Ok(welcome) => {
            report.ok(&format!(
                "hello accepted: Godot {}, addon {}, protocol {}",
                welcome.godot_version, welcome.plugin_version, welcome.protocol_version
            ));
            if welcome.plugin_version != env!("CARGO_PKG_VERSION") {
                report.warn(
                    &format!(
                        "the addon is {} and this godot-mcp {}",
                        welcome.plugin_version,
                        env!("CARGO_PKG_VERSION")
                    ),
                    &format!(
                        "godot-mcp install {}, then restart the editor",
                        project.display()
                    ),
                );
            }
        }
        Err(e) => report.fail(
            &format!("hello refused: {e}"),
            &format!(
                "godot-mcp install {} so binary and addon match, then restart the editor",
                project.display()
            ),
        ),
    }
}

/// The shim's own hello: token, protocol version, and the editor's proof.
fn handshake(record: &Discovery) -> Result<Welcome, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let url = format!("ws://127.0.0.1:{}", record.port);
        let (ws, _) = tokio::time::timeout(
            Duration::from_secs(3),
            tokio_tungstenite::connect_async(&url),
        )
        .await
        .map_err(|_| "connecting timed out".to_string())?
        .map_err(|e| e.to_string())?;
        let (mut sink, mut source) = ws.split();
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
        let nonce: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let hello = Hello {
            protocol_version: PROTOCOL_VERSION,
            client_name: "godot-mcp doctor".into(),
            client_version: env!("CARGO_PKG_VERSION").into(),
            token: record.token.clone(),
            nonce: nonce.clone(),
        };
        let hello = serde_json::to_string(&hello).map_err(|e| e.to_string())?;
        sink.send(Message::text(hello))
            .await
            .map_err(|e| e.to_string())?;
        let first = tokio::time::timeout(Duration::from_secs(5), source.next())
            .await
            .map_err(|_| "no welcome within 5 s".to_string())?;
        let welcome = match first {
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<Handshake>(text.as_str())
            {
                Ok(Handshake::Welcome(w)) => w,
                Ok(Handshake::Refused(r)) => {
                    return Err(r
                        .error
                        .map(|e| e.message)
                        .unwrap_or_else(|| "refused".into()));
                }
                Err(e) => return Err(format!("unexpected answer: {e}")),
            },
            other => return Err(format!("no welcome: {other:?}")),
        };
        let _ = sink.close().await;
        if let Some(mismatch) = version_mismatch(PROTOCOL_VERSION, welcome.protocol_version) {
            return Err(mismatch);
        }
        if !wire::proves(&record.token, &nonce, &welcome.proof) {
            return Err("the listener did not prove it holds the editor's token".into());
        }
        Ok(welcome)
    })
}

/// Which clients have us configured, and whether their command still exists.
fn clients(report: &mut Report, project: &Path) {
    let Ok(places) = Places::from_env() else {
        return;
    };
    let mut configured = Vec::new();
    for client in CLIENTS {
        for scope in [Scope::User, Scope::Project] {
            let Ok(file) = client.file(scope, &places, project) else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let key = client.shape.servers_key();
            let command = match client.shape {
                Shape::Codex => edit::toml_entry(&text, key, SERVER).map(|t| {
                    t.lines()
                        .find_map(|l| l.trim().strip_prefix("command = "))
                        .map(|c| c.trim().trim_matches('"').to_owned())
                        .unwrap_or_default()
                }),
                _ => edit::json_entry(&text, key, SERVER).map(|e| match &e["command"] {
                    serde_json::Value::Array(line) => line
                        .first()
                        .and_then(|c| c.as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    c => c.as_str().unwrap_or_default().to_owned(),
                }),
            };
            let Some(command) = command else { continue };
            if Path::new(&command).is_file() {
                configured.push(format!("{} ({})", client.name, scope.name()));
            } else {
                report.warn(
                    &format!(
                        "{} ({}) starts {command:?}, which does not exist",
                        client.name,
                        scope.name()
                    ),
                    &format!("godot-mcp setup {}", client.name),
                );
            }
        }
    }
    if configured.is_empty() {
        report.warn(
            "no MCP client has godot configured",
            "godot-mcp setup <client> (claude-code, codex, cursor, vscode, ...)",
        );
    } else {
        report.ok(&format!("configured in: {}", configured.join(", ")));
    }
}
