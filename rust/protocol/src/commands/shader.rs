//! Shader files and the uniforms of shader materials.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{PropertyChanges, command};

/// Write a .gdshader; answers Godot's compile errors (line, message).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteShader {
    /// res:// path.
    pub path: String,
    /// Full code.
    pub content: String,
}
command!(
    WriteShader,
    "write_shader",
    title = "Write shader",
    toolset = Shaders,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = ShaderWritten
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShaderWritten {
    pub path: String,
    pub bytes: u64,
    pub created: bool,
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<super::source::ScriptError>,
}

/// Set a ShaderMaterial's uniforms. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetShaderParams {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// Its `material` (3D: `material_override`).
    #[serde(default)]
    pub node_path: Option<String>,
    /// Or a .tres.
    #[serde(default)]
    pub material_path: Option<String>,
    /// Uniform to value.
    pub params: PropertyChanges,
    /// .gdshader: new material on the node.
    #[serde(default)]
    pub shader: Option<String>,
}
command!(
    SetShaderParams,
    "set_shader_params",
    title = "Set shader params",
    toolset = Shaders,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = ShaderParamsSet
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShaderParamsSet {
    /// The node path or material path.
    pub target: String,
    /// New values, read back.
    pub params: super::Properties,
}
