//! Writing GDScript files and attaching scripts to nodes.

use godot::classes::{ResourceLoader, Script};
use godot::prelude::*;
use godot_mcp_protocol::commands::script::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::{Ctx, find_node, fs_path, relative_path, target_scene, undo::undo_action};

pub fn write_script(_: &mut Ctx, params: WriteScript) -> Result<ScriptWritten, ErrorBody> {
    let path = paths::normalize_file(&params.script_path, &["gd"])?;
    let created = !fs_path(&path)?.exists();
    let saved = super::source::save(&path, &params.content)?;
    Ok(ScriptWritten {
        script_path: saved.script_path,
        bytes: saved.bytes,
        created,
        valid: Some(saved.valid),
        errors: saved.errors,
    })
}

pub fn attach_script(ctx: &mut Ctx, params: AttachScript) -> Result<ScriptAttached, ErrorBody> {
    let script_path = paths::normalize_file(&params.script_path, &["gd", "cs"])?;
    if !fs_path(&script_path)?.is_file() {
        return Err(ErrorBody::new(
            ErrorCode::ScriptNotFound,
            format!("no script file at {script_path}"),
        )
        .with_hint("create it first with write_script"));
    }
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    let script = ResourceLoader::singleton()
        .load_ex(&script_path)
        .type_hint("Script")
        .done()
        .and_then(|r| r.try_cast::<Script>().ok())
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::ScriptNotFound,
                format!("{script_path} could not be loaded as a script"),
            )
        })?;
    let base = script.get_instance_base_type().to_string();
    if !base.is_empty() && !node.is_class(&base) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!(
                "{script_path} extends {base}, but the node is a {}",
                node.get_class()
            ),
        )
        .with_hint("attach it to a node of that class, or change the script's `extends`"));
    }
    let mut undo = undo_action(&format!("attach script to {}", node.get_name()))?;
    undo.add_do_property(&node, "script", &script.to_variant());
    undo.add_undo_property(&node, "script", &node.get("script"));
    undo.commit(&mut ctx.journal);
    Ok(ScriptAttached {
        scene_path: scene.path,
        node_path: relative_path(&scene.root, &node),
        script_path,
    })
}
