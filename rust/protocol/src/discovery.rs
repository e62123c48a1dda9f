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

    /// Writes the record atomically, readable by the user only, into a
    /// directory private to the user (created so when missing).
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        create_private_dir(dir)?;
        if let Err(why) = check_dir(dir) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("{why}; {DIR_HINT}"),
            ));
        }
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

    /// Every live editor's record in `dir`. Only regular files named like
    /// a record, owned by the user and small, are read (never through a
    /// link, and never blocking on a FIFO); a directory others may write to
    /// is not read at all (see [`check_dir`]). A record whose editor is
    /// gone is removed; nothing else is.
    pub fn list(dir: &Path) -> Vec<Discovery> {
        if check_dir(dir).is_err() {
            return Vec::new();
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut found: Vec<Discovery> = entries
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(is_record_name))
            .map(|e| e.path())
            .filter_map(|path| {
                let record = read_record(&path)?;
                if process_alive(record.pid) {
                    Some(record)
                } else {
                    let _ = std::fs::remove_file(&path);
                    None
                }
            })
            .collect();
        found.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        found
    }
}

/// What a user is told to do about a refused runtime directory.
pub const DIR_HINT: &str = "the discovery directory must belong to you with mode 0700: \
chmod 700 it, or remove it and restart the editor (GODOT_MCP_RUNTIME_DIR names another)";

/// The largest record read; a real one is a few hundred bytes.
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// `<project-slug>_<4 hex>.json`, the name [`Discovery::path_in`] gives.
fn is_record_name(name: &str) -> bool {
    let Some((slug, hex)) = name
        .strip_suffix(".json")
        .and_then(|stem| stem.rsplit_once('_'))
    else {
        return false;
    };
    (1..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && hex.len() == 4
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a discovery directory may not be trusted: it is a link, not a
/// directory, not the user's, or others may write to or read it. A
/// missing directory is fine (there is nothing in it).
pub fn check_dir(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match std::fs::symlink_metadata(dir) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("{} cannot be read: {e}", dir.display())),
        };
        if !meta.file_type().is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        if let Some(uid) = current_uid()
            && meta.uid() != uid
        {
            return Err(format!(
                "{} belongs to user {}, not to you ({uid})",
                dir.display(),
                meta.uid()
            ));
        }
        let mode = meta.mode() & 0o777;
        if mode != 0o700 {
            return Err(format!("{} has mode {mode:04o}, not 0700", dir.display()));
        }
    }
    let _ = dir;
    Ok(())
}

/// Reads one record: a regular file of the user's, opened without
/// following a link and without blocking (a FIFO opens at once and is then
/// refused), at most [`MAX_RECORD_BYTES`].
fn read_record(path: &Path) -> Option<Discovery> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_RECORD_BYTES {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if current_uid().is_some_and(|uid| meta.uid() != uid) {
            return None;
        }
    }
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// This process's user id, where it can be read without unsafe code.
#[cfg(unix)]
fn current_uid() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        // The owner of /proc/self is this process's user.
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
    #[cfg(not(target_os = "linux"))]
    None
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
    fn only_record_names_are_read() {
        assert!(is_record_name("godot-mcp-sample_0ab1.json"));
        assert!(is_record_name("a_ffff.json"));
        for name in [
            "package.json",
            "fifo.json",
            "_0ab1.json",
            "A_0ab1.json",
            "a_0ab.json",
            "a_0abg.json",
            "a_0ab1.json.tmp",
            "../a_0ab1.json",
        ] {
            assert!(!is_record_name(name), "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_open_directory_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("godot-mcp-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let why = check_dir(&dir).unwrap_err();
        assert!(why.contains("0777"), "{why}");
        let record = Discovery {
            session_id: "a@0001".into(),
            port: 6505,
            token: "t".into(),
            project_path: "/p".into(),
            project_name: "a".into(),
            pid: std::process::id(),
            protocol_version: 1,
        };
        assert!(record.write(&dir).is_err());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        record.write(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(Discovery::list(&dir).is_empty());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(Discovery::list(&dir).len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
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
        std::fs::write(dir.join("junk_0003.json"), "{").unwrap();
        std::fs::write(dir.join("package.json"), "{}").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&live_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(Discovery::list(&dir), vec![live]);
        // Only a record of a dead editor is removed.
        assert!(!dead_path.exists());
        assert!(dir.join("junk_0003.json").exists() && dir.join("package.json").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
