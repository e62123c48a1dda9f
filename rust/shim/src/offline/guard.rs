//! Offline writes never go under a live editor. An editor may have the
//! project open without answering us (the addon missing, disabled, old,
//! or on another port); a file written behind its back is overwritten
//! the next time it saves, and what the user had not saved is lost. So
//! before any offline write the shim looks for a running Godot editor on
//! the project: a process named like Godot, started as an editor
//! (`-e`/`--editor`), whose `--path` or working folder is the project.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use godot_mcp_protocol::{ErrorBody, ErrorCode};
use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// A Godot editor process that has the project open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEditor {
    pub pid: u32,
    pub command: String,
}

/// Refuses a write when an editor has `root` open.
pub fn check(root: &Path) -> Result<(), ErrorBody> {
    match live_editor(root) {
        None => Ok(()),
        Some(editor) => Err(ErrorBody::new(
            ErrorCode::EditorUnreachable,
            format!(
                "a Godot editor has this project open but does not answer through godot-mcp \
                 (pid {}: {}); an offline write would be lost when it saves",
                editor.pid, editor.command
            ),
        )
        .with_hint(
            "enable the godot_mcp addon in that editor (Project Settings > Plugins) and check \
             `godot-mcp doctor`, or close the editor; reads still work offline",
        )),
    }
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
