//! Discovery files: how a shim finds the editors running on this machine.
//!
//! Each editor writes one small JSON file, readable only by its user, into a
//! per-user runtime directory and removes it when it stops. The file holds
//! everything a client needs to connect: the port and the per-launch token.
//! A file whose process is gone is stale (the editor crashed) and is removed
//! by whoever reads it.
//!
//! Clients start shims with different environments (Codex passes no
//! `XDG_RUNTIME_DIR`), so a shim looks in every place an editor may have
//! written to, and an editor writes to the first of them that exists.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Environment variable that overrides the discovery directory (tests use it
/// to keep their editors apart from the user's).
pub const DIR_ENV: &str = "GODOT_MCP_RUNTIME_DIR";

/// One running editor, as its discovery file describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Discovery {
    pub session_id: String,
    pub port: u16,
    /// Secret; never shown to the agent.
    #[schemars(skip)]
    #[serde(default)]
    pub token: String,
    pub project_path: String,
    pub project_name: String,
    pub pid: u32,
    pub protocol_version: u32,
}

/// The directory an editor writes its discovery file to: the first of [`dirs`].
pub fn dir() -> PathBuf {
    dirs().remove(0)
}

/// Every directory a shim looks in, most specific first:
/// `GODOT_MCP_RUNTIME_DIR` alone when set; else `$XDG_RUNTIME_DIR/godot-mcp`,
/// `/run/user/<uid>/godot-mcp` when that runtime folder exists, and a
/// per-user folder in the temp dir.
pub fn dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = Vec::new();
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(runtime).join("godot-mcp"));
    }
    if let Some(runtime) = user_runtime_dir() {
        let dir = runtime.join("godot-mcp");
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "user".into());
    dirs.push(std::env::temp_dir().join(format!("godot-mcp-{user}")));
    dirs
}

/// `/run/user/<uid>`, the desktop session's runtime folder, when it exists.
fn user_runtime_dir() -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        // The owner of /proc/self is this process's user.
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let dir = PathBuf::from(format!("/run/user/{uid}"));
        dir.is_dir().then_some(dir)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Where the client works: the current folder and `CLAUDE_PROJECT_DIR`.
/// An editor whose project holds one of them is the one meant.
pub fn client_places() -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    if let Some(dir) = std::env::var_os("CLAUDE_PROJECT_DIR").filter(|d| !d.is_empty()) {
        places.push(PathBuf::from(dir));
    }
    places
}

/// The one editor whose project folder holds one of `places` (the deepest
/// project wins); `None` when no project or several equally deep do.
pub fn preferred<'a>(found: &'a [Discovery], places: &[PathBuf]) -> Option<&'a Discovery> {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let places: Vec<PathBuf> = places.iter().map(|p| real(p)).collect();
    let depth = |d: &Discovery| {
        let project = real(Path::new(&d.project_path));
        places
            .iter()
            .any(|p| p.starts_with(&project))
            .then(|| project.components().count())
    };
    let mut best: Option<(&Discovery, usize)> = None;
    let mut tied = false;
    for d in found {
        let Some(n) = depth(d) else { continue };
        match best {
            Some((_, m)) if m > n => {}
            Some((_, m)) if m == n => tied = true,
            _ => {
                best = Some((d, n));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(d, _)| d)
}

/// A lowercase ASCII slug of a project name: `My Game!` becomes `my-game`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "project".into()
    } else {
        out.chars().take(40).collect()
    }
}

/// `<project-slug>@<4 hex>`.
pub fn session_id(project_name: &str, random: u16) -> String {
    format!("{}@{random:04x}", slug(project_name))
}

impl Discovery {
    /// The file this session's record lives in.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.json", self.session_id.replace('@', "_")))
    }

    /// Writes the record atomically, readable by the user only.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        create_private_dir(dir)?;
        let path = self.path_in(dir);
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::paths::write_atomically_private(&path, &text)?;
        Ok(path)
    }

    /// Every live editor's record in any of `dirs`, each once.
    pub fn list_all(dirs: &[PathBuf]) -> Vec<Discovery> {
        let mut found: Vec<Discovery> = Vec::new();
        for dir in dirs {
            for d in Discovery::list(dir) {
                if !found.iter().any(|f| f.session_id == d.session_id) {
                    found.push(d);
                }
            }
        }
        found.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        found
    }

    /// Every live editor's record; stale and unreadable files are removed.
    pub fn list(dir: &Path) -> Vec<Discovery> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut found: Vec<Discovery> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|path| {
                let record = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Discovery>(&b).ok());
                match record {
                    Some(d) if process_alive(d.pid) => Some(d),
                    _ => {
                        let _ = std::fs::remove_file(&path);
                        None
                    }
                }
            })
            .collect();
        found.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        found
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Whether a process with this id still runs.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        Path::new("/proc").join(pid.to_string()).exists()
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_ascii() {
        assert_eq!(slug("My Game!"), "my-game");
        assert_eq!(slug("  Jeu été 2 "), "jeu-t-2");
        assert_eq!(slug("!!!"), "project");
        assert_eq!(
            session_id("godot-mcp sample", 0xab1),
            "godot-mcp-sample@0ab1"
        );
    }

    #[test]
    fn the_editor_holding_the_client_folder_is_preferred() {
        let record = |id: &str, path: &str| Discovery {
            session_id: id.into(),
            port: 1,
            token: String::new(),
            project_path: path.into(),
            project_name: id.into(),
            pid: 1,
            protocol_version: 1,
        };
        let found = [
            record("a@1", "/nowhere/games/a"),
            record("b@1", "/nowhere/games/b/"),
            record("c@1", "/nowhere/games/b/sub"),
        ];
        let pick =
            |place: &str| preferred(&found, &[PathBuf::from(place)]).map(|d| d.session_id.as_str());
        assert_eq!(pick("/nowhere/games/a/scenes"), Some("a@1"));
        assert_eq!(pick("/nowhere/games/b"), Some("b@1"));
        assert_eq!(pick("/nowhere/games/b/sub/x"), Some("c@1"));
        assert_eq!(pick("/nowhere/games"), None);
        assert_eq!(pick("/nowhere/games/ab"), None);
        let twins = [record("a@1", "/nowhere/a"), record("a@2", "/nowhere/a")];
        assert_eq!(preferred(&twins, &[PathBuf::from("/nowhere/a")]), None);
    }

    #[test]
    fn shims_look_where_editors_write() {
        let dirs = dirs();
        assert!(!dirs.is_empty());
        assert_eq!(dir(), dirs[0]);
        if std::env::var_os(DIR_ENV).is_none() {
            assert!(dirs.last().unwrap().starts_with(std::env::temp_dir()));
        }
    }

    #[test]
    fn records_round_trip_and_stale_ones_are_cleaned() {
        let dir = std::env::temp_dir().join(format!("godot-mcp-discovery-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let live = Discovery {
            session_id: "a@0001".into(),
            port: 6505,
            token: "t".into(),
            project_path: "/p".into(),
            project_name: "a".into(),
            pid: std::process::id(),
            protocol_version: 1,
        };
        let dead = Discovery {
            session_id: "b@0002".into(),
            pid: u32::MAX - 1,
            ..live.clone()
        };
        let live_path = live.write(&dir).unwrap();
        let dead_path = dead.write(&dir).unwrap();
        std::fs::write(dir.join("junk.json"), "{").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&live_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(Discovery::list(&dir), vec![live]);
        assert!(!dead_path.exists() && !dir.join("junk.json").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
