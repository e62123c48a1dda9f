//! The editor's output log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// Entries returned per call when the call does not say.
pub const DEFAULT_LIMIT: u32 = 200;
/// Most entries one call returns.
pub const MAX_LIMIT: u32 = 1000;

/// Read the editor's output log (prints, warnings, errors with file and line). Pass `since` = the last answer's `next` to read only what is new. Errors: resource godot://errors.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetEditorLog {
    /// Cursor from a previous answer's `next`; omitted, the oldest entries kept.
    #[serde(default)]
    pub since: Option<u64>,
    /// Least severe level included: `info` (default), `warning` or `error`.
    #[serde(default)]
    pub level: Option<LogLevel>,
    /// Most entries to return (default 200, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}
command!(
    GetEditorLog,
    "get_editor_log",
    title = "Editor log",
    toolset = Core,
    read_only = true,
    output = EditorLog
);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    #[default]
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorLog {
    pub entries: Vec<LogEntry>,
    #[serde(flatten)]
    pub cursor: Cursor,
}

/// Where a read of a bounded log ended, to read on from there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Pass as `since` to read on from here.
    pub next: u64,
    /// Entries after `since` that the log dropped before they were read.
    pub missed: u64,
    /// True when `limit` cut the answer short: call again with `since` = `next`.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log; cursors count these.
    pub seq: u64,
    pub level: LogLevel,
    /// `script` or `shader` for errors Godot raises in those; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub message: String,
    /// Where Godot says the message comes from.
    #[serde(flatten)]
    pub at: Location,
}

/// Where a message or error comes from, as Godot reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

impl Location {
    /// From Godot's parts, where an empty string or a line below 1 means
    /// "not known".
    pub fn new(file: &str, line: i64, function: &str) -> Location {
        let known = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Location {
            file: known(file),
            line: u32::try_from(line).ok().filter(|l| *l > 0),
            function: known(function),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_leave_out_what_godot_did_not_say() {
        assert_eq!(Location::new("", 0, ""), Location::default());
        assert_eq!(Location::new("", -1, "").line, None);
        let at = Location::new("res://a.gd", 3, "_ready");
        assert_eq!(
            serde_json::to_value(&at).unwrap(),
            serde_json::json!({"file": "res://a.gd", "line": 3, "function": "_ready"})
        );
    }
}
