//! `godot-mcp install [PROJECT]`: puts the addon, with the library built
//! for this platform, into a Godot project, or brings an installed one up
//! to date. Every file is replaced atomically and only when it differs, so
//! running it twice changes nothing; an editor that has the project open
//! keeps its loaded library until it restarts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use godot_mcp_protocol::clients::SHIM_RECORD;

use super::files;
use super::project::{self, ADDON_DIR, GDEXTENSION, LIBRARY, MIN_GODOT};

const USAGE: &str = "usage: godot-mcp install [PROJECT]
Copies addons/godot_mcp/ (with the library for this platform) into the Godot project
PROJECT, by default the one containing the current folder; updates it when present.";

/// The line that makes an editor load the extension at its first start,
/// before it has scanned the project's files.
const EXTENSION_LIST_LINE: &str = "res://addons/godot_mcp/godot_mcp.gdextension";

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut target = None;
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            a if a.starts_with('-') || target.is_some() => return Err(USAGE.into()),
            a => target = Some(a),
        }
    }
    let project = project::resolve(target)?;
    check_version(&project)?;
    let source = project::source_addon()?;
    let outcome = install(&source, &project, &super::this_binary()?)?;
    let addon = project.join(ADDON_DIR);
    if outcome.written.is_empty() {
        println!("{} is up to date", addon.display());
    } else {
        for path in &outcome.written {
            println!("wrote {}", path.display());
        }
        println!(
            "installed godot-mcp {} into {}",
            env!("CARGO_PKG_VERSION"),
            project.display()
        );
    }
    if outcome.library_replaced
        && let Some(editor) = crate::offline::guard::live_editor(&project)
    {
        println!(
            "a Godot editor has this project open (pid {}): restart it once to load the new library",
            editor.pid
        );
    }
    println!(
        "next: `godot-mcp setup <client>` (claude-code, codex, cursor, ...), then open the project in Godot 4.6+"
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses a project made for a Godot older than the extension needs.
fn check_version(project: &Path) -> Result<(), String> {
    let settings = std::fs::read_to_string(project.join("project.godot"))
        .map_err(|e| format!("cannot read project.godot: {e}"))?;
    match project::made_for(&settings) {
        Some(v) if v < MIN_GODOT => Err(format!(
            "project.godot says Godot {}.{} (config/features); godot-mcp needs Godot {}.{} or newer: \
             open the project in Godot {}.{}+ once to convert it, then run install again",
            v.0, v.1, MIN_GODOT.0, MIN_GODOT.1, MIN_GODOT.0, MIN_GODOT.1
        )),
        _ => Ok(()),
    }
}

/// What an install changed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub written: Vec<PathBuf>,
    pub library_replaced: bool,
}

/// Copies the addon at `source` into `project`; each differing file is
/// replaced atomically, the rest left alone. `shim` is noted for the dock.
pub fn install(source: &Path, project: &Path, shim: &Path) -> Result<Outcome, String> {
    let target = project.join(ADDON_DIR);
    let mut outcome = Outcome::default();
    // A project that links the addon (the repository's sample) has it already.
    if let (Ok(a), Ok(b)) = (source.canonicalize(), target.canonicalize())
        && a == b
    {
        return Ok(outcome);
    }
    let mut sources = Vec::new();
    list_files(source, Path::new(""), &mut sources)
        .map_err(|e| format!("reading {}: {e}", source.display()))?;
    // The library goes last: the .gdextension never names a library that is not there yet.
    sources.sort_by_key(|rel| rel.file_name().is_some_and(|n| n == LIBRARY));
    for rel in sources {
        let (from, to) = (source.join(&rel), target.join(&rel));
        if files::same_content(&from, &to) {
            continue;
        }
        files::copy_atomic(&from, &to).map_err(|e| format!("writing {}: {e}", to.display()))?;
        outcome.library_replaced |= rel.file_name().is_some_and(|n| n == LIBRARY);
        outcome.written.push(to);
    }
    if let Some(list) = register(project)? {
        outcome.written.push(list);
    }
    if let Some(record) = record_shim(project, shim)? {
        outcome.written.push(record);
    }
    Ok(outcome)
}

/// Notes `shim` in the project: the dock's setup buttons run it.
fn record_shim(project: &Path, shim: &Path) -> Result<Option<PathBuf>, String> {
    let record = project.join(SHIM_RECORD);
    let text = format!("{}\n", shim.display());
    if std::fs::read_to_string(&record).is_ok_and(|old| old == text) {
        return Ok(None);
    }
    godot_mcp_protocol::paths::write_atomically(&record, text.as_bytes())
        .map_err(|e| format!("writing {}: {e}", record.display()))?;
    Ok(Some(record))
}

/// The addon's files, relative to `dir`, without hidden ones (temporaries).
fn list_files(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = rel.join(&name);
        if std::fs::metadata(entry.path())?.is_dir() {
            list_files(root, &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Adds the extension to `.godot/extension_list.cfg`, Godot's own list of
/// extensions to load at start-up, so the first start already serves MCP.
fn register(project: &Path) -> Result<Option<PathBuf>, String> {
    let list = project.join(".godot/extension_list.cfg");
    let text = std::fs::read_to_string(&list).unwrap_or_default();
    if text.lines().any(|l| l.trim() == EXTENSION_LIST_LINE) {
        return Ok(None);
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(EXTENSION_LIST_LINE);
    new.push('\n');
    godot_mcp_protocol::paths::write_atomically(&list, new.as_bytes())
        .map_err(|e| format!("writing {}: {e}", list.display()))?;
    Ok(Some(list))
}

/// Whether the addon in `project` has this platform's library and the same
/// files as `source`.
pub fn matches(source: &Path, project: &Path) -> Result<(), String> {
    let target = project.join(ADDON_DIR);
    if !target.join(GDEXTENSION).is_file() {
        return Err(format!("{ADDON_DIR}/{GDEXTENSION} is missing"));
    }
    if !target.join("bin").join(LIBRARY).is_file() {
        return Err(format!(
            "{ADDON_DIR}/bin/{LIBRARY} (the library for this platform) is missing"
        ));
    }
    let mut sources = Vec::new();
    if list_files(source, Path::new(""), &mut sources).is_ok() {
        for rel in sources {
            if !files::same_content(&source.join(&rel), &target.join(&rel)) {
                return Err(format!(
                    "{ADDON_DIR}/{} differs from the one of this godot-mcp {}",
                    rel.display(),
                    env!("CARGO_PKG_VERSION")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("godot-mcp-install-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn installing_twice_writes_once_and_keeps_other_extensions() {
        let root = scratch("twice");
        let source = root.join("src/addons/godot_mcp");
        std::fs::create_dir_all(source.join("bin")).unwrap();
        std::fs::write(source.join(GDEXTENSION), "[configuration]\n").unwrap();
        std::fs::write(source.join("bin").join(LIBRARY), "lib v1").unwrap();
        std::fs::write(source.join("bin/.partial.tmp"), "half").unwrap();
        let project = root.join("game");
        std::fs::create_dir_all(project.join(".godot")).unwrap();
        std::fs::write(project.join("project.godot"), "config_version=5\n").unwrap();
        std::fs::write(
            project.join(".godot/extension_list.cfg"),
            "res://other.gdextension",
        )
        .unwrap();

        let shim = root.join("bin/godot-mcp");
        let first = install(&source, &project, &shim).unwrap();
        assert_eq!(first.written.len(), 4, "{first:?}");
        assert_eq!(
            std::fs::read_to_string(project.join(SHIM_RECORD)).unwrap(),
            format!("{}\n", shim.display())
        );
        assert!(first.library_replaced);
        assert!(!project.join(ADDON_DIR).join("bin/.partial.tmp").exists());
        let list = std::fs::read_to_string(project.join(".godot/extension_list.cfg")).unwrap();
        assert_eq!(
            list,
            format!("res://other.gdextension\n{EXTENSION_LIST_LINE}\n")
        );
        assert!(matches(&source, &project).is_ok());

        let second = install(&source, &project, &shim).unwrap();
        assert!(second.written.is_empty(), "{second:?}");

        std::fs::write(source.join("bin").join(LIBRARY), "lib v2").unwrap();
        assert!(matches(&source, &project).is_err());
        let update = install(&source, &project, &shim).unwrap();
        assert!(update.library_replaced);
        assert_eq!(update.written.len(), 1);
        let _ = std::fs::remove_dir_all(&root);
    }
}
