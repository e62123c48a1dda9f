//! Signals of nodes in a scene and their saved connections.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// List a node's signals (built-in and script-declared) with their arguments and the connections made from each.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSignals {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the node.
    pub node_path: String,
}
command!(
    ListSignals,
    "list_signals",
    title = "List signals",
    toolset = Signals,
    read_only = true,
    output = SignalList
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalList {
    pub scene_path: String,
    pub node_path: String,
    pub signals: Vec<SignalInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalInfo {
    pub name: String,
    /// Arguments as `name: Type`.
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<SignalTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalTarget {
    /// Path of the receiving node from the scene root.
    pub to: String,
    pub method: String,
    pub flags: u32,
}

/// Connect a node's signal to an existing method of a node; saved with the scene. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectSignal {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the emitting node.
    pub from: String,
    /// Signal name, e.g. `body_entered`.
    pub signal: String,
    /// Path of the receiving node.
    pub to: String,
    /// Method on the receiver, e.g. `_on_body_entered`.
    pub method: String,
    /// Godot ConnectFlags (4 = one-shot, 1 = deferred); saving is always on.
    #[serde(default)]
    pub flags: u32,
}
command!(
    ConnectSignal,
    "connect_signal",
    title = "Connect signal",
    toolset = Signals,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = SignalConnection
);

/// Remove a signal connection. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisconnectSignal {
    /// res:// path of the scene; default: the edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Path of the emitting node.
    pub from: String,
    /// Signal name.
    pub signal: String,
    /// Path of the receiving node.
    pub to: String,
    /// Method on the receiver.
    pub method: String,
}
command!(
    DisconnectSignal,
    "disconnect_signal",
    title = "Disconnect signal",
    toolset = Signals,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = SignalConnection
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalConnection {
    pub scene_path: String,
    pub from: String,
    pub signal: String,
    pub to: String,
    pub method: String,
}
