//! Temporary files a killed save left behind, removed when the editor starts.
//!
//! Every save writes a temporary file and renames it over its target
//! (Godot's savers name it `<file>-XXXXXX`, ours `.<file>.<pid>.tmp`), so a
//! process killed in between leaves the old file whole plus the temporary
//! one. The next editor removes those: Godot's when the file they were
//! saving exists, ours when the process that wrote them is gone.

use std::path::{Path, PathBuf};

use super::files;

/// Extensions of the files Godot's savers write through a temporary file.
const SAVED: &[&str] = &[
    "tscn", "scn", "tres", "res", "godot", "gd", "gdshader", "cfg", "import", "txt", "json",
];

/// Removes leftovers under `root`; returns what was removed.
pub fn sweep(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    files::walk(root, root, true, &mut |_, real, is_dir| {
        if is_dir {
            dirs.push(real.to_path_buf());
        }
    });
    let mut removed = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file
                && is_leftover(&dir, &name, alive)
                && std::fs::remove_file(entry.path()).is_ok()
            {
                removed.push(entry.path());
            }
        }
    }
    removed
}

fn is_leftover(dir: &Path, name: &str, alive: impl Fn(u32) -> bool) -> bool {
    if let Some(ours) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) {
        return ours
            .rsplit_once('.')
            .and_then(|(_, pid)| pid.parse().ok())
            .is_some_and(|pid| !alive(pid));
    }
    let Some((base, random)) = name.rsplit_once('-') else {
        return false;
    };
    let saved = Path::new(base)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SAVED.contains(&e));
    random.len() == 6
        && random.chars().all(|c| c.is_ascii_alphanumeric())
        && saved
        && dir.join(base).is_file()
}

#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Without a cheap check, every writer is taken to be alive.
#[cfg(not(target_os = "linux"))]
fn alive(_: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_temporaries_of_finished_saves_are_leftovers() {
        let dir = std::env::temp_dir().join(format!("godot-mcp-leftovers-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in [
            "main.tscn",
            "sub/a.gd",
            "main.tscn-Ab3xYz",
            "sub/a.gd-QQQQQQ",
            "b.tscn-Ab3xYz",
            "main.tscn-long123",
            "notes-abcdef",
            ".a.gd.1.tmp",
            "sub/.a.gd.4242.tmp",
        ] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        let dead = |pid: u32| pid != 1;
        let is = |name: &str| {
            let path = dir.join(name);
            let (folder, file) = (
                path.parent().unwrap(),
                path.file_name().unwrap().to_str().unwrap(),
            );
            is_leftover(folder, file, |p| !dead(p))
        };
        assert!(is("main.tscn-Ab3xYz") && is("sub/a.gd-QQQQQQ") && is("sub/.a.gd.4242.tmp"));
        assert!(
            !is("main.tscn") && !is("b.tscn-Ab3xYz"),
            "nothing to have saved over"
        );
        assert!(!is("main.tscn-long123") && !is("notes-abcdef"));
        assert!(!is(".a.gd.1.tmp"), "its writer is alive");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
