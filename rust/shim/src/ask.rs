//! Asking the editor on the shim's own behalf: resources, prompts and
//! completions are built from the same commands the tools call.
//!
//! Reads fall back to the project's files when no editor answers, as tool
//! calls do. New errors the editor announces on these answers stay with the
//! link and ring on the next tool answer.

use std::path::PathBuf;
use std::sync::Arc;

use godot_mcp_protocol::{ErrorBody, ErrorCode, find};
use serde_json::{Value, json};

use crate::sessions::Registry;

#[derive(Clone)]
pub struct Ask {
    registry: Arc<Registry>,
}

impl Ask {
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }

    /// A command's answer as JSON.
    pub async fn call(&self, command: &str, params: Value) -> Result<Value, ErrorBody> {
        let spec = find(command).ok_or_else(|| {
            ErrorBody::new(ErrorCode::InternalError, format!("no command {command}"))
        })?;
        let registry = Arc::clone(&self.registry);
        let link = tokio::task::spawn_blocking(move || registry.resolve(None))
            .await
            .unwrap_or_else(|e| {
                Err(ErrorBody::new(
                    ErrorCode::InternalError,
                    format!("the shim failed: {e}"),
                ))
            });
        let outcome = match link {
            Ok(link) => link
                .call(spec.name, params.clone(), spec.timeout)
                .await
                .map(|a| serde_json::from_str(a.result.get()).unwrap_or(Value::Null)),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(value) => Ok(value),
            Err(error) if spec.read_only => crate::offline::fallback(spec.name, params, error),
            Err(error) => Err(error),
        }
    }

    /// `call` for context that may be missing: the error becomes a line
    /// saying why, so a prompt still renders.
    pub async fn or_note(&self, command: &str, params: Value) -> Value {
        self.call(command, params)
            .await
            .unwrap_or_else(|e| json!({ "unavailable": e.message }))
    }

    /// The project folder on disk, from the editor or offline discovery.
    pub async fn project_root(&self) -> Option<PathBuf> {
        match self.call("get_editor_state", json!({})).await {
            Ok(state) => state["project_path"].as_str().map(PathBuf::from),
            Err(_) => crate::offline::project(),
        }
    }
}
