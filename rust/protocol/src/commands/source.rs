//! Reading, patching and checking GDScript source.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// Read a script file's source. Resource godot://script/{path}.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadScript {
    /// res:// path of the script.
    pub script_path: String,
}
command!(
    ReadScript,
    "read_script",
    title = "Read script",
    toolset = Scripts,
    read_only = true,
    output = ScriptSource
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptSource {
    pub script_path: String,
    pub content: String,
    pub lines: usize,
}

/// Edit a script by exact-text replacement. Each `old` must occur exactly once; if any does not, nothing is written. The result reports whether the new source parses.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchScript {
    /// res:// path of the .gd file.
    pub script_path: String,
    /// Replacements, applied in order.
    pub edits: Vec<TextEdit>,
}
command!(
    PatchScript,
    "patch_script",
    title = "Patch script",
    toolset = Scripts,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = ScriptChecked
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextEdit {
    /// Exact text to replace, including enough context to be unique.
    pub old: String,
    /// Replacement text.
    pub new: String,
}

/// Check GDScript with Godot's own parser and analyzer, from a file or from text, without saving anything.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateScript {
    /// res:// path of a .gd file to check.
    #[serde(default)]
    pub script_path: Option<String>,
    /// Source text to check instead of a file.
    #[serde(default)]
    pub content: Option<String>,
}
command!(
    ValidateScript,
    "validate_script",
    title = "Validate script",
    toolset = Scripts,
    read_only = true,
    output = ScriptCheck
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptCheck {
    /// True when Godot parses and compiles the script.
    pub valid: bool,
    pub errors: Vec<ScriptError>,
}

/// A parse or compile error as Godot reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptError {
    /// 1-based line number.
    pub line: u32,
    pub message: String,
}

/// A script file after a change, with Godot's verdict on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptChecked {
    pub script_path: String,
    pub bytes: u64,
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ScriptError>,
}
