//! Undo and redo, the editor's undo history, and running several commands
//! as one step.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Properties, command};

/// Undo the last edit (the editor's Ctrl+Z): one whole tool call or batch, in the scene or the project history.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Undo {
    /// Use this scene's history instead of the last edit made through these tools.
    #[serde(default)]
    pub scene_path: Option<String>,
}
command!(
    Undo,
    "undo",
    title = "Undo",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = HistoryStep
);

/// Redo the last undone edit (the editor's Ctrl+Shift+Z).
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redo {
    /// Use this scene's history instead of the last edit undone through these tools.
    #[serde(default)]
    pub scene_path: Option<String>,
}
command!(
    Redo,
    "redo",
    title = "Redo",
    toolset = Core,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = HistoryStep
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryStep {
    /// The scene whose history moved; absent for the project history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_path: Option<String>,
    /// Name of the action undone or redone, e.g. `MCP: add Hero`.
    pub action: String,
}

/// List the actions in the edited scene's undo history and in the project history (settings, resources), oldest first.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUndoHistory {}
command!(
    GetUndoHistory,
    "get_undo_history",
    title = "Undo history",
    toolset = Editor,
    read_only = true,
    output = UndoHistories
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoHistories {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<UndoHistory>,
    pub project: UndoHistory,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoHistory {
    /// The scene's res:// path, or `project`.
    pub name: String,
    pub actions: Vec<String>,
    /// Actions from the start of the list that are done; the rest can be redone.
    pub done: usize,
}

/// Run several commands in order as one undo step. If one fails, the steps already done are rolled back and the error names the failed step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The commands, e.g. `[{"action": "add_node", "params": {...}}]`; at most 1000.
    pub commands: Vec<BatchCommand>,
}

/// Steps one batch may hold: a bigger one would hold the editor (and every
/// other client) for seconds.
pub const MAX_BATCH_STEPS: usize = 1000;
command!(
    Batch,
    "batch",
    title = "Batch",
    toolset = Core,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = BatchDone
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCommand {
    /// A tool name.
    pub action: String,
    /// That tool's arguments.
    #[serde(default)]
    pub params: Properties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchDone {
    /// Each command's result, in order.
    pub results: Vec<Value>,
}
