//! Tool groups a session can turn on. The shim answers this itself.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// List the tool groups, their tools and which are listed; `enable` lists one more group for this session.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toolsets {
    /// A group name to turn on, e.g. `nodes`, or `all`.
    #[serde(default)]
    pub enable: Option<String>,
}
command!(
    Toolsets,
    "toolsets",
    title = "Tool groups",
    toolset = Core,
    read_only = true,
    output = ToolsetList,
    LOCAL: bool = true,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolsetList {
    pub toolsets: Vec<ToolsetInfo>,
    /// Whether only read-only tools are served (`--read-only`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolsetInfo {
    pub name: String,
    pub about: String,
    pub enabled: bool,
    pub tools: Vec<String>,
}
