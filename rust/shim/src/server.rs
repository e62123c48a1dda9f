//! The MCP side: tools from the protocol catalog, calls forwarded to the editor.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use godot_mcp_protocol::{CATALOG, ErrorBody, ErrorCode, find};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Value, json};

use crate::link::EditorLink;

/// How long a call may take in the editor before the agent is told.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

const INSTRUCTIONS: &str = "Drives a live Godot 4 editor. Paths are res:// paths inside the project; \
node paths are relative to the scene root ('.' is the root). Edits are undoable in the editor (Ctrl+Z). \
Start with get_editor_state or get_project_info.";

pub struct GodotMcp {
    link: Arc<EditorLink>,
}

impl GodotMcp {
    pub fn new(link: EditorLink) -> Self {
        Self {
            link: Arc::new(link),
        }
    }
}

/// The tool list, built once from the catalog.
fn tools() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        CATALOG
            .iter()
            .map(|spec| {
                let mut tool = Tool::new(spec.name, spec.description(), spec.input_schema());
                tool.annotations = Some(ToolAnnotations::new().read_only(spec.read_only));
                tool
            })
            .collect()
    })
}

/// The tool list as JSON, exactly as `tools/list` sends it.
pub fn tools_json() -> String {
    serde_json::to_string_pretty(&json!({ "tools": tools() })).unwrap_or_default()
}

fn error_result(error: &ErrorBody) -> CallToolResult {
    let mut result = CallToolResult::structured_error(json!({ "error": error }));
    let mut text = format!("{}: {}", error.code, error.message);
    if let Some(hint) = &error.hint {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    result.content = vec![rmcp::model::ContentBlock::text(text)];
    result
}

impl ServerHandler for GodotMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("godot-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(spec) = find(&request.name) else {
            let error = ErrorBody::new(
                ErrorCode::UnknownAction,
                format!("unknown tool {:?}", request.name),
            )
            .with_hint("call tools/list for the available tools");
            return Ok(error_result(&error).into());
        };
        let params = Value::Object(request.arguments.unwrap_or_default());
        if let Err(error) = spec.validate(&params) {
            return Ok(error_result(&error).into());
        }
        let outcome = self
            .link
            .call(spec.name, params.clone(), CALL_TIMEOUT)
            .await;
        let result = match crate::offline::fallback(spec.name, params, outcome) {
            Ok(value) => CallToolResult::structured(value),
            Err(error) => error_result(&error),
        };
        Ok(result.into())
    }
}
