//! GDScript source: reading, patching by exact text, and checking it with
//! Godot's own parser.
//!
//! Godot reports a script's first parse or compile error only through its
//! error log (with the line), not through `reload()`'s return value. So the
//! check compiles a private copy of the source and keeps what the editor's
//! logger hears meanwhile on the main thread.

use godot::classes::GDScript;
use godot::prelude::*;
use godot_mcp_protocol::commands::source::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::{Ctx, fs_path, write_file};

pub fn read_script(_: &mut Ctx, params: ReadScript) -> Result<ScriptSource, ErrorBody> {
    let (path, content) = read(&params.script_path)?;
    Ok(ScriptSource {
        script_path: path,
        lines: content.lines().count(),
        content,
    })
}

pub fn patch_script(_: &mut Ctx, params: PatchScript) -> Result<ScriptChecked, ErrorBody> {
    let (path, mut content) = read(&params.script_path)?;
    if params.edits.is_empty() {
        return Err(ErrorBody::new(ErrorCode::InvalidParams, "no edits given")
            .with_hint("pass edits as [{\"old\": text, \"new\": text}]"));
    }
    for (i, edit) in params.edits.iter().enumerate() {
        let count = if edit.old.is_empty() {
            0
        } else {
            content.matches(edit.old.as_str()).count()
        };
        if count != 1 {
            let why = if count == 0 {
                "does not occur"
            } else {
                "occurs more than once"
            };
            return Err(ErrorBody::new(
                ErrorCode::AnchorMismatch,
                format!("edit {} of {}: its old text {why} in {path} ({count} matches); nothing was written", i + 1, params.edits.len()),
            )
            .with_hint(if count == 0 {
                "read_script shows the current text; copy the old text exactly, whitespace included"
            } else {
                "include more surrounding lines in old so it matches once"
            }));
        }
        content = content.replacen(edit.old.as_str(), &edit.new, 1);
    }
    save(&path, &content)
}

pub fn validate_script(_: &mut Ctx, params: ValidateScript) -> Result<ScriptCheck, ErrorBody> {
    let source = match (params.script_path, params.content) {
        (Some(path), None) => read(&path)?.1,
        (None, Some(content)) => content,
        _ => {
            return Err(ErrorBody::new(
                ErrorCode::InvalidParams,
                "pass exactly one of script_path and content",
            )
            .with_hint("script_path checks a file, content checks text"));
        }
    };
    let errors = check(&source);
    Ok(ScriptCheck {
        valid: errors.is_empty(),
        errors,
    })
}

/// Writes a script atomically, lets the editor see it, and checks it.
pub(super) fn save(path: &str, content: &str) -> Result<ScriptChecked, ErrorBody> {
    write_file(path, content)?;
    let errors = check(content);
    Ok(ScriptChecked {
        script_path: path.to_owned(),
        bytes: content.len() as u64,
        valid: errors.is_empty(),
        errors,
    })
}

fn read(script_path: &str) -> Result<(String, String), ErrorBody> {
    let path = paths::normalize_file(script_path, &["gd"])?;
    let content = std::fs::read_to_string(fs_path(&path)?).map_err(|e| {
        ErrorBody::new(
            ErrorCode::ScriptNotFound,
            format!("cannot read {path}: {e}"),
        )
        .with_hint("get_project_info lists the project's scripts")
    })?;
    Ok((path, content))
}

/// Godot's parse and compile errors for `source`, empty when it compiles.
pub(super) fn check(source: &str) -> Vec<ScriptError> {
    let mut script = GDScript::new_gd();
    // `class_name` would clash with the real script that declares it; a
    // comment keeps the line numbers.
    let source: String = source
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("class_name ") {
                format!("#{l}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    script.set_source_code(&source);
    let (result, heard) = crate::editor_log::hear_script_errors(|| script.reload());
    if result == godot::global::Error::OK {
        return Vec::new();
    }
    let errors: Vec<ScriptError> = heard
        .into_iter()
        .filter(|e| e.level == godot_mcp_protocol::commands::log::LogLevel::Error)
        .map(|e| ScriptError {
            line: e.at.line.unwrap_or(0),
            message: e
                .message
                .strip_prefix("Parse Error: ")
                .unwrap_or(&e.message)
                .to_owned(),
        })
        .collect();
    if errors.is_empty() {
        return vec![ScriptError {
            line: 0,
            message: format!("Godot could not compile the script ({result:?})"),
        }];
    }
    errors
}
