//! Shader files checked by Godot's own shader compiler, and the uniforms
//! of shader materials.
//!
//! A `Shader` compiles lazily, when something first asks for its
//! uniforms; the compiler reports errors through Godot's error handler
//! (type "shader", with the line), which [`crate::editor_log`] hears.

use godot::classes::{Object, ResourceLoader, ResourceSaver, Shader, ShaderMaterial};
use godot::prelude::*;
use godot_mcp_protocol::commands::Properties;
use godot_mcp_protocol::commands::shader::*;
use godot_mcp_protocol::commands::source::ScriptError;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::{
    Ctx, find_node, fs_path, relative_path, target_scene, undo::undo_action, write_file, written,
};
use crate::convert;

pub fn write_shader(_: &mut Ctx, params: WriteShader) -> Result<ShaderWritten, ErrorBody> {
    let path = paths::normalize_file(&params.path, &["gdshader", "gdshaderinc"])?;
    let created = !fs_path(&path)?.exists();
    super::create_parent_folders(&path)?;
    write_file(&path, &params.content)?;
    let errors = if path.ends_with(".gdshaderinc") {
        Vec::new()
    } else {
        check(&params.content)
    };
    Ok(ShaderWritten {
        path,
        bytes: params.content.len() as u64,
        created,
        valid: errors.is_empty(),
        errors,
    })
}

/// Godot's compile errors for `code`, empty when it compiles.
fn check(code: &str) -> Vec<ScriptError> {
    let mut shader = Shader::new_gd();
    shader.set_code(code);
    let (_, heard) = crate::editor_log::hear_script_errors(|| shader.get_shader_uniform_list());
    heard
        .into_iter()
        .filter(|e| e.kind == Some("shader"))
        .map(|e| ScriptError {
            line: e.at.line.unwrap_or(0),
            message: e.message,
        })
        .collect()
}

pub fn set_shader_params(
    ctx: &mut Ctx,
    params: SetShaderParams,
) -> Result<ShaderParamsSet, ErrorBody> {
    match (&params.node_path, &params.material_path) {
        (Some(node_path), None) => on_node(ctx, &params, node_path),
        (None, Some(material_path)) => on_file(ctx, &params, material_path),
        _ => Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            "pass exactly one of node_path and material_path",
        )),
    }
}

fn on_node(
    ctx: &mut Ctx,
    params: &SetShaderParams,
    node_path: &str,
) -> Result<ShaderParamsSet, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, node_path)?;
    let slot = if node.is_class("GeometryInstance3D") {
        "material_override"
    } else if node.is_class("CanvasItem") {
        "material"
    } else {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("a {} has no material", node.get_class()),
        )
        .with_hint("give a 2D node, a Control or a 3D mesh node, or material_path"));
    };
    let current = node.get(slot).try_to::<Gd<ShaderMaterial>>().ok();
    let fresh = match &params.shader {
        Some(shader_path) => {
            let shader = load_shader(shader_path)?;
            let mut material = ShaderMaterial::new_gd();
            material.set_shader(&shader);
            Some(material)
        }
        None => None,
    };
    let Some(material) = fresh.clone().or(current) else {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("{node_path}'s {slot} is not a ShaderMaterial"),
        )
        .with_hint("pass shader (a .gdshader path) to give it one"));
    };
    let values = convert_params(&material, &params.params)?;
    let mut undo = undo_action(&format!("set shader params of {}", node.get_name()))?;
    if let Some(mut new) = fresh {
        for (name, value) in &values {
            new.set(name.as_str(), value);
        }
        undo.add_do_property(&node, slot, &new.to_variant());
        undo.add_undo_property(&node, slot, &node.get(slot));
    } else {
        record(&mut undo, &material, &values);
    }
    undo.commit(&mut ctx.journal);
    Ok(ShaderParamsSet {
        target: relative_path(&scene.root, &node),
        params: read_back(&material, &values),
    })
}

fn on_file(
    ctx: &mut Ctx,
    params: &SetShaderParams,
    material_path: &str,
) -> Result<ShaderParamsSet, ErrorBody> {
    let path = paths::normalize(material_path)?;
    if params.shader.is_some() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "shader is only for node_path").with_hint(
                "make the material with create_resource {type: ShaderMaterial, shader: ...}",
            ),
        );
    }
    let material = ResourceLoader::singleton()
        .load(&path)
        .and_then(|r| r.try_cast::<ShaderMaterial>().ok())
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::FileNotFound,
                format!("{path} is not a ShaderMaterial"),
            )
        })?;
    let values = convert_params(&material, &params.params)?;
    let saver = ResourceSaver::singleton();
    let save_args = vslice![material.clone(), GString::from(&path)];
    let mut undo = undo_action(&format!("set shader params of {path}"))?;
    record(&mut undo, &material, &values);
    undo.add_do_method(&saver, "save", save_args);
    undo.add_undo_method(&saver, "save", save_args);
    let before = written::before(&path);
    undo.commit(&mut ctx.journal);
    written::verify(&path, before)?;
    Ok(ShaderParamsSet {
        target: path,
        params: read_back(&material, &values),
    })
}

fn record(
    undo: &mut super::undo::UndoAction,
    material: &Gd<ShaderMaterial>,
    values: &[(String, Variant)],
) {
    for (name, value) in values {
        undo.add_do_property(material, name.as_str(), value);
        undo.add_undo_property(material, name.as_str(), &material.get(name.as_str()));
    }
}

fn load_shader(input: &str) -> Result<Gd<Shader>, ErrorBody> {
    let path = convert::checked_path(input, false)?;
    ResourceLoader::singleton()
        .load(&path)
        .and_then(|r| r.try_cast::<Shader>().ok())
        .ok_or_else(|| {
            ErrorBody::new(ErrorCode::FileNotFound, format!("{path} is not a shader"))
                .with_hint("write one with write_shader")
        })
}

/// Each uniform's value converted to its type, as `shader_parameter/NAME`.
fn convert_params(
    material: &Gd<ShaderMaterial>,
    params: &Properties,
) -> Result<Vec<(String, Variant)>, ErrorBody> {
    let uniforms = uniforms(material);
    let object = material.clone().upcast::<Object>();
    params
        .iter()
        .map(|(name, value)| {
            if !uniforms.contains(name) {
                return Err(ErrorBody::new(
                    ErrorCode::PropertyNotFound,
                    format!("the shader has no uniform {name:?}"),
                )
                .with_hint(if uniforms.is_empty() {
                    "the shader declares no uniforms (or does not compile)".to_owned()
                } else {
                    format!("its uniforms: {}", uniforms.join(", "))
                }));
            }
            let property = format!("shader_parameter/{name}");
            let info = convert::find_property(&object, &property)?;
            Ok((property, convert::to_variant(value, &info)?))
        })
        .collect()
}

fn uniforms(material: &Gd<ShaderMaterial>) -> Vec<String> {
    let Some(shader) = material.get_shader() else {
        return Vec::new();
    };
    shader
        .get_shader_uniform_list()
        .iter_shared()
        .filter_map(|v| v.try_to::<VarDictionary>().ok())
        .filter_map(|d| d.get("name").map(|n| n.to_string()))
        .collect()
}

fn read_back(material: &Gd<ShaderMaterial>, values: &[(String, Variant)]) -> Properties {
    values
        .iter()
        .map(|(name, _)| {
            let short = name.trim_start_matches("shader_parameter/").to_owned();
            (short, convert::to_json(&material.get(name.as_str())))
        })
        .collect()
}
