//! Plain files inside the project: listing, searching, reading, writing.
//! Every path goes through [`super::fs_path`], so none leaves `res://`.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use godot_mcp_protocol::commands::files::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, glob, paths};

use super::{Ctx, editor_interface, fs_path, project_root, write_file};

/// Files larger than this are not searched.
const SEARCH_MAX_BYTES: u64 = 2 << 20;

pub fn list_files(_: &mut Ctx, params: ListFiles) -> Result<FileList, ErrorBody> {
    let dir = paths::normalize(&params.dir)?;
    let folder = fs_path(&dir)?;
    if !folder.is_dir() {
        return Err(not_found(&dir, "folder"));
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let errors = walk(
        &project_root(),
        &folder,
        params.recursive,
        &mut |res, _, is_dir| {
            if is_dir {
                dirs.push(res);
            } else if match &params.pattern {
                Some(p) => glob::matches(p, res.rsplit('/').next().unwrap_or_default()),
                None => !res.ends_with(".import") && !res.ends_with(".uid"),
            } {
                files.push(res);
            }
        },
    );
    files.sort();
    dirs.sort();
    Ok(FileList {
        dir,
        files,
        dirs,
        errors,
    })
}

pub fn search_files(_: &mut Ctx, params: SearchFiles) -> Result<SearchHits, ErrorBody> {
    if params.text.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "the search text is empty")
                .with_hint("pass the text to find"),
        );
    }
    let mut paths = Vec::new();
    let root = project_root();
    let errors = walk(&root, &root, true, &mut |res, real, is_dir| {
        let name = res.rsplit('/').next().unwrap_or_default();
        if !is_dir
            && params
                .pattern
                .as_deref()
                .is_none_or(|p| glob::matches(p, name))
        {
            paths.push((res, real.to_path_buf()));
        }
    });
    paths.sort();
    let mut hits = Vec::new();
    let mut truncated = false;
    'files: for (path, real) in paths {
        let Some(text) = read_text(&real) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains(&params.text) {
                if hits.len() == params.max_results {
                    truncated = true;
                    break 'files;
                }
                hits.push(SearchHit {
                    path: path.clone(),
                    line: i + 1,
                    text: line.trim().chars().take(200).collect(),
                });
            }
        }
    }
    Ok(SearchHits {
        hits,
        truncated,
        errors,
    })
}

pub fn read_text_file(_: &mut Ctx, params: ReadTextFile) -> Result<TextFile, ErrorBody> {
    let path = paths::normalize(&params.path)?;
    let file = fs_path(&path)?;
    if !file.is_file() {
        return Err(not_found(&path, "file"));
    }
    let content = std::fs::read_to_string(&file).map_err(|e| {
        ErrorBody::new(
            ErrorCode::IoError,
            format!("cannot read {path} as text: {e}"),
        )
        .with_hint("only UTF-8 text files can be read")
    })?;
    Ok(TextFile { path, content })
}

pub fn write_text_file(_: &mut Ctx, params: WriteTextFile) -> Result<FileWritten, ErrorBody> {
    let path = paths::normalize(&params.path)?;
    if path.ends_with('/') || path == "res://" || path.split('/').any(|p| p.starts_with('.')) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidPath,
            format!("{path} is not a writable file path"),
        )
        .with_hint("write a visible file inside the project, e.g. res://data/levels.json"));
    }
    let file = fs_path(&path)?;
    let created = !file.exists();
    let new_folder = file.parent().is_some_and(|d| !d.exists());
    write_file(&path, &params.content)?;
    if new_folder && let Some(mut fs) = editor_interface().get_resource_filesystem() {
        fs.scan();
    }
    Ok(FileWritten {
        path,
        bytes: params.content.len() as u64,
        created,
    })
}

/// Folders deeper than this under the walk's start are not entered.
const MAX_DEPTH: usize = 64;
/// Entries a walk visits at most.
const MAX_ENTRIES: usize = 200_000;

/// Visits the entries under `dir` as `res://` paths (their real location,
/// so a file reached through a link inside the project has one name),
/// skipping hidden ones (`.godot`, `.git`) and folders Godot ignores (with
/// a `.gdignore`); `visit` gets each path, its real location and whether it
/// is a folder. Each real file or folder is visited once, so symlink loops
/// end; links out of the project are not followed; what could not be
/// entered (unreadable folders, broken links, limits) is returned as errors.
pub(super) fn walk(
    root: &Path,
    dir: &Path,
    recursive: bool,
    visit: &mut dyn FnMut(String, &Path, bool),
) -> Vec<String> {
    let mut errors = Vec::new();
    let (Ok(root), Ok(start)) = (root.canonicalize(), dir.canonicalize()) else {
        errors.push(format!("{} cannot be read", dir.display()));
        return errors;
    };
    let res = |p: &Path| match p.strip_prefix(&root) {
        Ok(rel) => format!("res://{}", rel.to_string_lossy()),
        Err(_) => p.display().to_string(),
    };
    let mut seen = HashSet::from([start.clone()]);
    let mut stack = vec![(start, 0usize)];
    let mut count = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(format!("{}: {e}", res(&dir)));
                continue;
            }
        };
        let mut subfolders = Vec::new();
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let real = match path.canonicalize() {
                Ok(real) => real,
                Err(e) => {
                    errors.push(format!("{}: {e}", res(&path)));
                    continue;
                }
            };
            if !real.starts_with(&root) {
                // A link out of the project (an addon linked in, say) is
                // deliberate, and not ours to list.
                continue;
            }
            if !seen.insert(real.clone()) {
                // Reached again through a link: listed once, entered once.
                continue;
            }
            let is_dir = real.is_dir();
            if is_dir && real.join(".gdignore").exists() {
                continue;
            }
            if count == MAX_ENTRIES {
                errors.push(format!("stopped after {MAX_ENTRIES} entries"));
                return errors;
            }
            count += 1;
            visit(res(&real), &real, is_dir);
            if is_dir && recursive {
                if depth + 1 < MAX_DEPTH {
                    subfolders.push((real, depth + 1));
                } else {
                    errors.push(format!("{}: deeper than {MAX_DEPTH} folders", res(&real)));
                }
            }
        }
        // Popped in name order.
        subfolders.sort_by(|a, b| b.0.cmp(&a.0));
        stack.extend(subfolders);
    }
    errors
}

/// The file's text, unless it is large or binary.
fn read_text(file: &Path) -> Option<String> {
    let f = std::fs::File::open(file).ok()?;
    if f.metadata().ok()?.len() > SEARCH_MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(SEARCH_MAX_BYTES).read_to_end(&mut bytes).ok()?;
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn not_found(path: &str, what: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::FileNotFound, format!("no {what} at {path}"))
        .with_hint("list_files shows what exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end_and_list_each_file_once() {
        use std::os::unix::fs::symlink;
        let project = std::env::temp_dir().join(format!("gmcp-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&project);
        std::fs::create_dir_all(project.join("loop")).unwrap();
        std::fs::create_dir_all(project.join("ignored/deep")).unwrap();
        std::fs::write(project.join("ignored/.gdignore"), "").unwrap();
        std::fs::write(project.join("ignored/deep/x.gd"), "").unwrap();
        std::fs::write(project.join("main.gd"), "").unwrap();
        symlink("..", project.join("loop/a")).unwrap();
        symlink("..", project.join("loop/b")).unwrap();
        symlink("nowhere", project.join("broken")).unwrap();
        let mut seen = Vec::new();
        let errors = walk(&project, &project, true, &mut |res, _, _| seen.push(res));
        seen.sort();
        assert_eq!(seen, ["res://loop", "res://main.gd"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("res://broken"), "{errors:?}");
        std::fs::remove_dir_all(&project).unwrap();
    }
}
