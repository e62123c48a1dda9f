//! Plain files inside the project, for what has no dedicated tool.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// List files and folders under a res:// folder. Hidden entries and Godot's .import/.uid companions are left out.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFiles {
    /// res:// folder; the project root by default.
    #[serde(default = "res_root")]
    pub dir: String,
    /// File name pattern with `*` and `?`, e.g. `*.gd`.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Include subfolders.
    #[serde(default)]
    pub recursive: bool,
}
command!(
    ListFiles,
    "list_files",
    title = "List files",
    toolset = Files,
    read_only = true,
    output = FileList
);

fn res_root() -> String {
    "res://".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileList {
    pub dir: String,
    pub files: Vec<String>,
    pub dirs: Vec<String>,
    /// What the listing could not go into (unreadable folders, broken
    /// links, limits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Search the project's text files for a literal string (case-sensitive); returns matching lines.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchFiles {
    /// Text to find.
    pub text: String,
    /// Only files whose name matches this pattern, e.g. `*.gd`.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Most matches to return.
    #[serde(default = "default_max")]
    pub max_results: usize,
}
command!(
    SearchFiles,
    "search_files",
    title = "Search files",
    toolset = Files,
    read_only = true,
    output = SearchHits
);

fn default_max() -> usize {
    100
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHits {
    pub hits: Vec<SearchHit>,
    /// More matches exist than were returned.
    pub truncated: bool,
    /// What the search could not go into, as in `list_files`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub path: String,
    /// 1-based.
    pub line: usize,
    pub text: String,
}

/// Read a text file inside the project. Resource godot://file/{path}.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadTextFile {
    /// res:// path.
    pub path: String,
}
command!(
    ReadTextFile,
    "read_text_file",
    title = "Read text file",
    toolset = Files,
    read_only = true,
    output = TextFile
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFile {
    pub path: String,
    pub content: String,
}

/// Write a text file inside the project atomically (missing folders are created), then let the editor rescan it. Not undoable. Prefer write_script for .gd files.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteTextFile {
    /// res:// path.
    pub path: String,
    /// The full text.
    pub content: String,
}
command!(
    WriteTextFile,
    "write_text_file",
    title = "Write text file",
    toolset = Files,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = FileWritten
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileWritten {
    pub path: String,
    pub bytes: u64,
    /// False when an existing file was replaced.
    pub created: bool,
}
