//! Plain files inside the project: listing, searching, reading, writing.
//! Every path goes through [`super::fs_path`], so none leaves `res://`.

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
    walk(&folder, params.recursive, &mut |res, _, is_dir| {
        if is_dir {
            dirs.push(res);
        } else if match &params.pattern {
            Some(p) => glob::matches(p, res.rsplit('/').next().unwrap_or_default()),
            None => !res.ends_with(".import") && !res.ends_with(".uid"),
        } {
            files.push(res);
        }
    });
    files.sort();
    dirs.sort();
    Ok(FileList { dir, files, dirs })
}

pub fn search_files(_: &mut Ctx, params: SearchFiles) -> Result<SearchHits, ErrorBody> {
    if params.text.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "the search text is empty")
                .with_hint("pass the text to find"),
        );
    }
    let mut paths = Vec::new();
    walk(&project_root(), true, &mut |res, real, is_dir| {
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
    Ok(SearchHits { hits, truncated })
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

/// Visits the entries under `dir` as `res://` paths, skipping hidden ones
/// (`.godot`, `.git`); `visit` gets each path and whether it is a folder.
pub(super) fn walk(dir: &Path, recursive: bool, visit: &mut dyn FnMut(String, &Path, bool)) {
    if let Ok(root) = project_root().canonicalize() {
        walk_in(&root, dir, recursive, visit);
    }
}

fn walk_in(root: &Path, dir: &Path, recursive: bool, visit: &mut dyn FnMut(String, &Path, bool)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(real) = path.canonicalize() else {
            continue;
        };
        let Ok(rel) = real.strip_prefix(root) else {
            // A symlink out of the project.
            continue;
        };
        let res = format!("res://{}", rel.to_string_lossy());
        let is_dir = real.is_dir();
        visit(res, &real, is_dir);
        if is_dir && recursive {
            walk_in(root, &path, true, visit);
        }
    }
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
