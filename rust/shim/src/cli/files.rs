//! Copying files into a user's project safely: a copy goes to a temporary
//! file beside the target and is renamed over it, so a reader (an editor,
//! an MCP client) sees the old file or the new one, never half of one.
//! Contents written whole go through `paths::write_atomically`.

use std::path::{Path, PathBuf};

/// Copies `from` to `to` atomically.
pub fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = temp_beside(to);
    std::fs::copy(from, &tmp)?;
    replace(&tmp, to).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn temp_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        ".{}.godot-mcp-{}.tmp",
        name.unwrap_or_default(),
        std::process::id()
    ))
}

/// Renames `tmp` over `path`. Windows cannot replace a library an editor
/// has loaded, but it can rename it away first.
fn replace(tmp: &Path, path: &Path) -> std::io::Result<()> {
    match std::fs::rename(tmp, path) {
        Ok(()) => Ok(()),
        #[cfg(windows)]
        Err(_) if path.exists() => {
            let aside = path.with_extension(format!("old-{}", std::process::id()));
            std::fs::rename(path, &aside)?;
            std::fs::rename(tmp, path)
        }
        Err(e) => Err(e),
    }
}

/// Whether two files hold the same bytes.
pub fn same_content(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_copy_replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("godot-mcp-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("a/b.json");
        let source = dir.join("source");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&source, b"one").unwrap();
        copy_atomic(&source, &path).unwrap();
        std::fs::write(&source, b"two").unwrap();
        copy_atomic(&source, &path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.join("a")).unwrap().collect();
        assert_eq!(names.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
