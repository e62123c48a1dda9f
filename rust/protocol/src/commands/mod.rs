//! Parameter and result types of every command, one module per domain.
//!
//! Doc comments here are user-facing: they become MCP tool and parameter
//! descriptions, so they say exactly what a model needs to call the tool
//! right the first time, and nothing more.

pub mod animation;
pub mod capture;
pub mod debug;
pub mod docs;
pub mod editor;
pub mod files;
pub mod history;
pub mod log;
pub mod node;
pub mod perf;
pub mod play;
pub mod project;
pub mod resource;
pub mod runs;
pub mod scene;
pub mod script;
pub mod session;
pub mod shader;
pub mod signal;
pub mod source;
pub mod tiles;
pub mod toolsets;
pub mod tree;
pub mod ui;
pub mod workspace;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Property name to value; values take the forms described in [`crate::value`].
pub type Properties = Map<String, Value>;

/// Properties to change: at least one, checked when parameters are parsed.
/// On the wire and in the schema it is a plain [`Properties`] object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Properties", into = "Properties")]
pub struct PropertyChanges(Properties);

impl TryFrom<Properties> for PropertyChanges {
    type Error = String;
    fn try_from(properties: Properties) -> Result<Self, String> {
        if properties.is_empty() {
            let e = crate::errors::no_properties();
            return Err(format!("{} ({})", e.message, e.hint.unwrap_or_default()));
        }
        Ok(PropertyChanges(properties))
    }
}

impl From<PropertyChanges> for Properties {
    fn from(changes: PropertyChanges) -> Properties {
        changes.0
    }
}

impl std::ops::Deref for PropertyChanges {
    type Target = Properties;
    fn deref(&self) -> &Properties {
        &self.0
    }
}

impl JsonSchema for PropertyChanges {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PropertyChanges".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Properties::json_schema(generator)
    }
}

macro_rules! command {
    // A command that changes nothing.
    ($ty:ty, $name:literal, title = $title:literal, toolset = $set:ident, read_only = true,
     output = $out:ty $(, $key:ident: $t:ty = $val:expr)* $(,)?) => {
        $crate::commands::command!(@impl $ty, $name, $title, $set, true, false, true, $out $(, $key: $t = $val)*);
    };
    // A command that changes the project or the editor.
    ($ty:ty, $name:literal, title = $title:literal, toolset = $set:ident, read_only = false,
     destructive = $destructive:literal, idempotent = $idempotent:literal,
     output = $out:ty $(, $key:ident: $t:ty = $val:expr)* $(,)?) => {
        $crate::commands::command!(@impl $ty, $name, $title, $set, false, $destructive, $idempotent, $out $(, $key: $t = $val)*);
    };
    (@impl $ty:ty, $name:literal, $title:literal, $set:ident, $ro:literal, $destructive:literal,
     $idempotent:literal, $out:ty $(, $key:ident: $t:ty = $val:expr)*) => {
        impl $crate::catalog::Command for $ty {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const TOOLSET: $crate::catalog::Toolset = $crate::catalog::Toolset::$set;
            const READ_ONLY: bool = $ro;
            const DESTRUCTIVE: bool = $destructive;
            const IDEMPOTENT: bool = $idempotent;
            type Output = $out;
            $(const $key: $t = $val;)*
        }
    };
}
pub(crate) use command;

/// A node in a scene tree listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NodeInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub class: String,
    /// Path from the scene root; the root itself is `.`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// Scene file this node instances, when it is an instanced scene's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Only with `include_properties`: properties that differ from the class default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<NodeInfo>,
    /// Number of children not listed because of `max_depth`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hidden_children: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Default for optional `parent` parameters: the scene root.
pub(crate) fn root_path() -> String {
    ".".to_owned()
}
