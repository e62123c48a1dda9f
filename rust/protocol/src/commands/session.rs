//! Choosing among several open editors. The shim answers these itself.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;
use crate::Readiness;

/// List the open Godot editors with their session id, project and state. With several open, pass `session` to any tool or call select_session.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSessions {}
command!(
    ListSessions,
    "list_sessions",
    title = "List editors",
    toolset = Sessions,
    read_only = true,
output = Sessions,
    LOCAL: bool = true,
);

/// Make one editor the target of every later call that passes no `session`.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectSession {
    /// A session id from list_sessions, e.g. `my-game@3f2a`.
    pub session: String,
}
command!(
    SelectSession,
    "select_session",
    title = "Select editor",
    toolset = Sessions,
    read_only = true,
output = Sessions,
    LOCAL: bool = true,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sessions {
    pub sessions: Vec<SessionInfo>,
    /// The session calls without `session` go to, if one is chosen or only one is open.
    pub selected: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub session_id: String,
    pub project_name: String,
    pub project_path: String,
    pub port: u16,
    pub pid: u32,
    /// Whether this shim has a live connection to it right now.
    pub connected: bool,
    /// Last known readiness, when connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
}
