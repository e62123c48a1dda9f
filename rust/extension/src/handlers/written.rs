//! Telling whether a save Godot reports as done reached the disk.
//!
//! The editor's savers write a temporary file and rename it over the target;
//! when the rename fails (a folder that cannot be written, a folder in the
//! file's place) they log an error and still return OK. So every save we
//! report is checked against the file as it was before: it must now be a
//! file, and a different one. A failure names the reason the OS gives.

use std::path::Path;
use std::time::SystemTime;

use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::fs_path;

/// What identifies one version of a file on disk.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct Version {
    modified: Option<SystemTime>,
    inode: u64,
    len: u64,
}

fn version_of(meta: &std::fs::Metadata) -> Version {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Version {
        modified: meta.modified().ok(),
        inode,
        len: meta.len(),
    }
}

/// The file at `res_path` as it is now, `None` when there is none.
pub(super) fn before(res_path: &str) -> Option<Version> {
    let file = fs_path(res_path).ok()?;
    std::fs::metadata(file)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| version_of(&m))
}

/// Checks that a save wrote `res_path` (it was `before` until then);
/// returns the file's size.
pub(super) fn verify(res_path: &str, before: Option<Version>) -> Result<u64, ErrorBody> {
    let file = fs_path(res_path)?;
    let why = match std::fs::metadata(&file) {
        Ok(m) if m.is_dir() => "a folder is in its place".to_owned(),
        Ok(m) if Some(version_of(&m)) != before => return Ok(m.len()),
        Ok(_) => reason(&file).unwrap_or_else(|| "the file was left unchanged".into()),
        Err(e) => reason(&file).unwrap_or_else(|| e.to_string()),
    };
    Err(ErrorBody::new(
        ErrorCode::IoError,
        format!("{res_path} was not saved: {why}"),
    )
    .with_hint(
        "make the folder writable (or move what is in the file's place), then save again; \
             the editor output has Godot's own message",
    ))
}

/// Why nothing can be written next to `file`, found by trying.
fn reason(file: &Path) -> Option<String> {
    let dir = file.parent()?;
    let probe = dir.join(format!(".godot-mcp-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some(format!("cannot write in its folder ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewritten_file_is_a_new_version() {
        let dir = std::env::temp_dir().join(format!("gmcp-written-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.tscn");
        std::fs::write(&file, "one").unwrap();
        let first = version_of(&std::fs::metadata(&file).unwrap());
        assert_eq!(first, version_of(&std::fs::metadata(&file).unwrap()));
        let tmp = dir.join("a.tscn.tmp");
        std::fs::write(&tmp, "one").unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        assert_ne!(first, version_of(&std::fs::metadata(&file).unwrap()));
        assert_eq!(reason(&file), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
