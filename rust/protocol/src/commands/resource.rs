//! Resource files (.tres): materials, shapes, themes, curves and the like.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Properties, PropertyChanges, command};

/// Create a .tres file holding a resource of any Resource class (e.g. `StandardMaterial3D`, `Theme`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResource {
    /// Resource class.
    #[serde(rename = "type")]
    pub class: String,
    /// res:// path ending in .tres or .res.
    pub path: String,
    /// Properties to set, name to value.
    #[serde(default)]
    pub properties: Properties,
    /// Replace an existing file.
    #[serde(default)]
    pub overwrite: bool,
}
command!(
    CreateResource,
    "create_resource",
    title = "Create resource",
    toolset = Resources,
    read_only = false,
    destructive = true,
    idempotent = false,
    output = ResourceInfo
);

/// Read a resource file's class and its properties that differ from the class default.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetResource {
    /// res:// path of the resource.
    pub path: String,
}
command!(
    GetResource,
    "get_resource",
    title = "Read resource",
    toolset = Resources,
    read_only = true,
    output = ResourceInfo
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceInfo {
    pub path: String,
    #[serde(rename = "type")]
    pub class: String,
    pub properties: Properties,
}

/// Set properties of a resource file and save it. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetResourceProperties {
    /// res:// path of the resource.
    pub path: String,
    /// Properties to set, name to value.
    pub properties: PropertyChanges,
}
command!(
    SetResourceProperties,
    "set_resource_properties",
    title = "Set resource properties",
    toolset = Resources,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = ResourceInfo
);
