//! Offline writes never go under a live editor. An editor may have the
//! project open without answering us (the addon missing, disabled, old,
//! or on another port); a file written behind its back is overwritten
//! the next time it saves, and what the user had not saved is lost. So
//! before any offline write the shim looks for a running Godot editor on
//! the project: a process named like Godot, started as an editor
//! (`-e`/`--editor`), whose `--path` or working folder is the project; a
//! discovery record for the project whose process lives (an editor under
//! another name, or one too busy to answer); or, when `GODOT_MCP_PORT`
//! names the editor, anything accepting connections on that port.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use godot_mcp_protocol::discovery::{self, Discovery};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// A Godot editor process that has the project open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEditor {
    pub pid: u32,
    pub command: String,
}

/// How long a connection to `GODOT_MCP_PORT` may take to count as accepted.
const PORT_PROBE: Duration = Duration::from_millis(300);

/// Refuses a write when an editor has `root` open.
pub fn check(root: &Path) -> Result<(), ErrorBody> {
    let Some(why) = blocker(root) else {
        return Ok(());
    };
    Err(ErrorBody::new(
        ErrorCode::EditorUnreachable,
        format!("{why}; an offline write would be lost when it saves"),
    )
    .with_hint(
        "enable the godot_mcp addon in that editor (Project Settings > Plugins) and check \
         `godot-mcp doctor`, or close the editor; reads still work offline",
    ))
}

/// What says an editor may have `root` open, in words for the error.
fn blocker(root: &Path) -> Option<String> {
    if let Some(editor) = live_editor(root) {
        return Some(format!(
            "a Godot editor has this project open but does not answer through godot-mcp \
             (pid {}: {})",
            editor.pid, editor.command
        ));
    }
    if let Some(record) = recorded_editor(root, &discovery::dirs()) {
        return Some(format!(
            "an editor's discovery record says it has this project open (pid {}, port {}), \
             but it does not answer",
            record.pid, record.port
        ));
    }
    let port = godot_mcp_protocol::port_from_env().ok().flatten()?;
    accepts(port).then(|| {
        format!(
            "127.0.0.1:{port} (GODOT_MCP_PORT) accepts connections, but no godot-mcp editor \
             answers there"
        )
    })
}

/// A live editor's discovery record, in any of `dirs`, for the project at `root`.
fn recorded_editor(root: &Path, dirs: &[PathBuf]) -> Option<Discovery> {
    let root = canonical(root);
    Discovery::list_all(dirs)
        .into_iter()
        .find(|d| canonical(Path::new(&d.project_path)) == root)
}

fn accepts(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&address, PORT_PROBE).is_ok()
}

/// The first Godot editor process with `root` open.
pub fn live_editor(root: &Path) -> Option<LiveEditor> {
    let root = canonical(root);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_cwd(UpdateKind::Always),
    );
    let mut found: Vec<LiveEditor> = system
        .processes()
        .values()
        .filter(|p| {
            let args: Vec<&OsStr> = p.cmd().iter().map(|a| a.as_os_str()).collect();
            is_editor_of(p.name(), &args, p.cwd(), &root)
        })
        .map(|p| LiveEditor {
            pid: p.pid().as_u32(),
            command: p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    found.sort_by_key(|e| e.pid);
    found.into_iter().next()
}

/// Whether a process with this name, arguments and working folder is a
/// Godot editor with the project at `root` open.
fn is_editor_of(name: &OsStr, args: &[&OsStr], cwd: Option<&Path>, root: &Path) -> bool {
    let godot = |s: &OsStr| s.to_string_lossy().to_ascii_lowercase().contains("godot");
    if !godot(name) && !args.first().is_some_and(|a| godot(a)) {
        return false;
    }
    let editor = args.iter().skip(1).any(|a| *a == "-e" || *a == "--editor");
    if !editor {
        return false;
    }
    let path_arg = args
        .windows(2)
        .find(|w| w[0] == "--path")
        .map(|w| PathBuf::from(w[1]));
    let project = match (path_arg, cwd) {
        (Some(path), Some(cwd)) if path.is_relative() => cwd.join(path),
        (Some(path), _) => path,
        (None, Some(cwd)) => cwd.to_path_buf(),
        (None, None) => return false,
    };
    canonical(&project) == root
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&'static str]) -> Vec<&'static OsStr> {
        args.iter().map(|a| OsStr::new(*a)).collect()
    }

    #[test]
    fn an_editor_is_known_by_its_flag_and_its_project() {
        let root = Path::new("/no/such/project");
        let name = OsStr::new("godot-bin");
        let editor = os(&["godot", "--editor", "--path", "/no/such/project"]);
        assert!(is_editor_of(name, &editor, None, root));
        let short = os(&["godot", "-e"]);
        assert!(is_editor_of(name, &short, Some(root), root));
        let relative = os(&["godot", "-e", "--path", "project"]);
        assert!(is_editor_of(
            name,
            &relative,
            Some(Path::new("/no/such")),
            root
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_live_record_for_the_project_blocks_and_others_do_not() {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(format!("godot-mcp-guard-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
        let project = dir.join("project");
        std::fs::create_dir_all(&project).unwrap();
        let record = |pid: u32, path: &Path, random: u16| Discovery {
            session_id: discovery::session_id("guarded", random),
            port: 1,
            token: String::new(),
            project_path: path.display().to_string(),
            project_name: "guarded".into(),
            pid,
            protocol_version: godot_mcp_protocol::PROTOCOL_VERSION,
        };
        let dirs = [dir.clone()];
        record(std::process::id(), &dir.join("other"), 1)
            .write(&dir)
            .unwrap();
        assert_eq!(recorded_editor(&project, &dirs), None);
        let mine = record(std::process::id(), &project, 2);
        mine.write(&dir).unwrap();
        assert_eq!(recorded_editor(&project, &dirs), Some(mine));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_port_counts_only_while_something_accepts_on_it() {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(accepts(port));
        drop(listener);
        assert!(!accepts(port));
    }

    #[test]
    fn games_other_projects_and_other_programs_are_not_editors() {
        let root = Path::new("/no/such/project");
        let game = os(&["godot", "--path", "/no/such/project", "res://level.tscn"]);
        assert!(!is_editor_of(OsStr::new("godot"), &game, None, root));
        let other = os(&["godot", "-e", "--path", "/no/such/other"]);
        assert!(!is_editor_of(OsStr::new("godot"), &other, None, root));
        let vim = os(&["vim", "-e", "--path", "/no/such/project"]);
        assert!(!is_editor_of(OsStr::new("vim"), &vim, None, root));
    }
}
