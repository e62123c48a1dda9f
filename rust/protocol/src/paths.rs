//! Keeping every path inside the project (`res://`).
//!
//! Agents send paths in many shapes; these rules accept the reasonable ones
//! (`res://a/b.tscn`, `a/b.tscn`, `./a//b.tscn`) and refuse anything that
//! could leave the project: `..`, absolute OS paths, other schemes, and
//! symlinks that point outside it.

use std::path::{Component, Path, PathBuf};

use crate::{ErrorBody, ErrorCode};

const RES: &str = "res://";

/// Normalizes a user-supplied path to canonical `res://` form.
pub fn normalize(input: &str) -> Result<String, ErrorBody> {
    let trimmed = input.trim();
    let rest = if let Some(rest) = trimmed.strip_prefix(RES) {
        rest
    } else if trimmed.contains("://") {
        return Err(bad(input, "only res:// paths are allowed"));
    } else if trimmed.starts_with('/') || trimmed.starts_with('~') || has_drive(trimmed) {
        return Err(bad(input, "absolute file-system paths are not allowed"));
    } else {
        trimmed
    };
    if rest.contains('\0') || rest.contains('\\') {
        return Err(bad(input, "paths may not contain backslashes or NUL"));
    }
    let mut parts = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(bad(input, "`..` is not allowed")),
            p => parts.push(p),
        }
    }
    Ok(format!("{RES}{}", parts.join("/")))
}

/// Normalizes a `user://` path (the game's own data folder), refusing `..`
/// and the characters [`normalize`] refuses.
pub fn normalize_user(input: &str) -> Result<String, ErrorBody> {
    const USER: &str = "user://";
    let rest = input
        .trim()
        .strip_prefix(USER)
        .ok_or_else(|| bad(input, "not a user:// path"))?;
    normalize(rest).map(|p| p.replacen(RES, USER, 1))
}

/// Writes through a temporary file in the same folder, then renames, so a
/// crash mid-write never leaves a truncated file. Missing folders are created;
/// a file that existed keeps its permissions.
pub fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(file, bytes, false)
}

/// Like [`write_atomically`], for a file only its owner may read (mode 0600).
pub fn write_atomically_private(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(file, bytes, true)
}

fn write_atomically_with(file: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    let dir = file
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent folder"))?;
    std::fs::create_dir_all(dir)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut out = options.open(&tmp)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        if !private && let Ok(old) = std::fs::metadata(file) {
            std::fs::set_permissions(&tmp, old.permissions())?;
        }
        std::fs::rename(&tmp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Normalizes and checks the file extension (case-insensitive).
pub fn normalize_file(input: &str, extensions: &[&str]) -> Result<String, ErrorBody> {
    let path = normalize(input)?;
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext {
        Some(e) if extensions.contains(&e.as_str()) && !path.ends_with('/') => Ok(path),
        _ => Err(bad(
            input,
            &format!("expected a file ending in .{}", extensions.join(" or .")),
        )),
    }
}

/// Maps a normalized `res://` path to a file-system path under `project_root`,
/// refusing one with a symlink on the way that leads outside the project or
/// nowhere (a dangling link would be written through, outside). Every
/// existing component is looked at without following it (`lstat`), up to
/// the first that does not exist yet.
pub fn to_fs(project_root: &Path, res_path: &str) -> Result<PathBuf, ErrorBody> {
    let rel = res_path
        .strip_prefix(RES)
        .ok_or_else(|| bad(res_path, "not a res:// path"))?;
    let root = project_root
        .canonicalize()
        .map_err(|e| ErrorBody::new(ErrorCode::IoError, format!("project folder: {e}")))?;
    let full = root.join(rel);
    debug_assert!(full.components().all(|c| c != Component::ParentDir));
    let mut probe = root.clone();
    for part in Path::new(rel).components() {
        probe.push(part);
        let Ok(meta) = std::fs::symlink_metadata(&probe) else {
            // Nothing further exists, so nothing further can be a link.
            break;
        };
        if meta.file_type().is_symlink() {
            match probe.canonicalize() {
                Ok(real) if real.starts_with(&root) => {}
                // The same words either way: which outside files exist is
                // none of the caller's business.
                _ => {
                    return Err(bad(
                        res_path,
                        "it goes through a symlink that leads out of the project",
                    ));
                }
            }
        }
    }
    Ok(full)
}

fn has_drive(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

fn bad(input: &str, why: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::InvalidPath,
        format!("invalid path {input:?}: {why}"),
    )
    .with_hint("use a path inside the project such as res://scenes/main.tscn")
}

#[cfg(test)]
mod tests {

    #[cfg(unix)]
    #[test]
    fn an_atomic_write_keeps_the_old_permissions_and_leaves_no_temporary() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("godot-mcp-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("a/b.toml");
        write_atomically(&file, b"one").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_dir(dir.join("a")).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    use super::*;

    #[test]
    fn accepts_reasonable_forms() {
        assert_eq!(normalize("res://a/b.tscn").unwrap(), "res://a/b.tscn");
        assert_eq!(normalize("a/b.tscn").unwrap(), "res://a/b.tscn");
        assert_eq!(normalize(" ./a//./b.tscn ").unwrap(), "res://a/b.tscn");
        assert_eq!(normalize("res://").unwrap(), "res://");
    }

    #[test]
    fn refuses_escapes() {
        for p in [
            "res://../x.tscn",
            "res://a/../../x",
            "/etc/passwd",
            "user://save.tres",
            "C:/x.tscn",
            "~/x",
            "a\\b",
            "http://x/y",
        ] {
            let e = normalize(p).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPath, "{p}");
        }
    }

    #[test]
    fn user_paths() {
        assert_eq!(
            normalize_user("user://logs//a.log").unwrap(),
            "user://logs/a.log"
        );
        for p in [
            "user://../x.log",
            "res://a.log",
            "/tmp/a.log",
            "user://a\\b",
        ] {
            assert_eq!(
                normalize_user(p).unwrap_err().code,
                ErrorCode::InvalidPath,
                "{p}"
            );
        }
    }

    #[test]
    fn checks_extensions() {
        assert!(normalize_file("res://a.TSCN", &["tscn", "scn"]).is_ok());
        assert!(normalize_file("res://a.gd", &["tscn"]).is_err());
        assert!(normalize_file("res://a", &["tscn"]).is_err());
    }

    #[test]
    fn refuses_symlink_escape() {
        let dir = std::env::temp_dir().join(format!("gmcp-paths-{}", std::process::id()));
        let outside = dir.join("outside");
        let project = dir.join("project");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, project.join("link")).unwrap();
        assert!(to_fs(&project, "res://inside/new.gd").is_ok());
        #[cfg(unix)]
        assert_eq!(
            to_fs(&project, "res://link/evil.gd").unwrap_err().code,
            ErrorCode::InvalidPath
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_dangling_and_chained_links() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("gmcp-links-{}", std::process::id()));
        let project = dir.join("project");
        std::fs::create_dir_all(project.join("real")).unwrap();
        std::fs::create_dir_all(dir.join("outside")).unwrap();
        // A dangling link to a file that does not exist yet, outside.
        symlink("../outside/res.tres", project.join("dl_res.tres")).unwrap();
        // A dangling folder link, and a link inside that leads to it.
        symlink("../outside/missing", project.join("dl_dir")).unwrap();
        symlink("dl_dir", project.join("hop")).unwrap();
        // A link that stays inside is fine.
        symlink("real", project.join("alias")).unwrap();
        for p in [
            "res://dl_res.tres",
            "res://dl_dir/x.tres",
            "res://dl_dir/a/b/x.tres",
            "res://hop/x.tres",
        ] {
            assert_eq!(
                to_fs(&project, p).unwrap_err().code,
                ErrorCode::InvalidPath,
                "{p}"
            );
        }
        assert!(to_fs(&project, "res://alias/x.tres").is_ok());
        assert!(to_fs(&project, "res://real/new/x.tres").is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
