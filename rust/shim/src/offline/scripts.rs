//! Offline scripts: write them (with the uid file the editor would make)
//! and attach them to nodes.

use std::path::PathBuf;

use godot_mcp_protocol::commands::script::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, errors, paths};
use godot_mcp_tscn::{ClassDb, Value, ids};

use super::{Project, scene_error};

impl Project {
    pub(super) fn write_script(&mut self, p: WriteScript) -> Result<ScriptWritten, ErrorBody> {
        let path = paths::normalize_file(&p.script_path, &["gd"])?;
        let file = self.file(&path)?;
        let created = !file.exists();
        let io = |e: std::io::Error| errors::cannot_write(&path, &e);
        paths::write_atomically(&file, p.content.as_bytes()).map_err(io)?;
        // The editor keeps each script's uid beside it; give a new one its own.
        let mut uid_file = file.clone().into_os_string();
        uid_file.push(".uid");
        let uid_file = PathBuf::from(uid_file);
        if !uid_file.exists() {
            paths::write_atomically(&uid_file, format!("{}\n", ids::new_uid()).as_bytes())
                .map_err(io)?;
        }
        Ok(ScriptWritten {
            script_path: path,
            bytes: p.content.len() as u64,
            created,
            valid: None,
            errors: Vec::new(),
        })
    }

    pub(super) fn attach_script(&mut self, p: AttachScript) -> Result<ScriptAttached, ErrorBody> {
        let script_path = paths::normalize_file(&p.script_path, &["gd", "cs"])?;
        let source = std::fs::read_to_string(self.file(&script_path)?)
            .map_err(|_| errors::script_not_found(&script_path))?;
        let (path, mut scene, node) = self.load_node(p.scene_path.as_deref(), &p.node_path)?;
        let class = self.class_of(&node);
        if let Some(base) = godot_mcp_tscn::project::script_base(&source)
            && ClassDb::get().class(&base).is_some()
            && !ClassDb::get().is_a(&class, &base)
        {
            return Err(ErrorBody::new(
                ErrorCode::InvalidOperation,
                format!("{script_path} extends {base}, but the node is a {class}"),
            )
            .with_hint("attach it to a node of that class, or change the script's `extends`"));
        }
        let (_, uid) = self.resource_info(&script_path);
        let id = scene.ext_resource("Script", &script_path, uid.as_deref());
        scene
            .set_property(&node.path, "script", Value::ext_ref(&id))
            .map_err(|e| scene_error(&path, e))?;
        self.store(&path, &scene)?;
        Ok(ScriptAttached {
            scene_path: path,
            node_path: node.path,
            script_path,
        })
    }
}
