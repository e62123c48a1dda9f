//! The MCP side: tools from the protocol catalog, calls routed to the right
//! editor, and resources kept fresh by the editors' events.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use godot_mcp_protocol::{CATALOG, CommandSpec, ErrorBody, ErrorCode, find, image};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ResourceContents, ResourceUpdatedNotification,
    ResourceUpdatedNotificationParam, ServerCapabilities, ServerConfig, ServerNotification,
    SubscribeRequestParams, SubscriptionFilter, Tool, ToolAnnotations, UnsubscribeRequestParams,
};
use rmcp::service::{
    NotificationContext, Peer, RequestContext, SubscriptionContext, SubscriptionSink,
};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};

use crate::link::Answer;
use crate::lock;
use crate::resources;
use crate::sessions::Registry;

const INSTRUCTIONS: &str = "Drives a live Godot 4 editor. Paths are res:// paths inside the project; \
node paths are relative to the scene root ('.' is the root). Edits are undoable in the editor (Ctrl+Z). \
Start with get_editor_state or get_project_info. With several editors open, see list_sessions.";

/// The parameter every editor tool takes to pick an editor.
const SESSION_PARAM: &str = "session";

pub struct GodotMcp {
    registry: Arc<Registry>,
    /// URIs subscribed with the legacy `resources/subscribe`.
    subscribed: Arc<Mutex<HashSet<String>>>,
    /// Subscriptions opened with `subscriptions/listen`.
    sinks: Arc<Mutex<Vec<SubscriptionSink>>>,
    peer: OnceLock<Peer<RoleServer>>,
}

impl GodotMcp {
    pub fn new(registry: Registry) -> Self {
        Self {
            registry: Arc::new(registry),
            subscribed: Arc::default(),
            sinks: Arc::default(),
            peer: OnceLock::new(),
        }
    }

    /// Turns editor events into `notifications/resources/updated` for subscribers.
    fn forward_updates(&self, peer: Peer<RoleServer>) {
        let mut events = self.registry.subscribe();
        let subscribed = Arc::clone(&self.subscribed);
        let sinks = Arc::clone(&self.sinks);
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        crate::link::LinkEvent::Disconnected
                    }
                    Err(_) => return,
                };
                for uri in resources::affected(&event) {
                    if lock(&subscribed).contains(*uri)
                        && peer
                            .notify_resource_updated(ResourceUpdatedNotificationParam::new(*uri))
                            .await
                            .is_err()
                    {
                        return;
                    }
                    let open: Vec<SubscriptionSink> = lock(&sinks).clone();
                    for sink in open {
                        let note = ServerNotification::ResourceUpdatedNotification(
                            ResourceUpdatedNotification::new(
                                ResourceUpdatedNotificationParam::new(*uri),
                            ),
                        );
                        // Refused when the subscription did not ask for this URI.
                        let _ = sink.send(note).await;
                    }
                }
            }
        });
    }

    async fn call_editor(&self, spec: &CommandSpec, mut params: Value) -> CallToolResult {
        if spec.local {
            return self.call_local(spec, params);
        }
        let session = match take_session(&mut params) {
            Ok(s) => s,
            Err(error) => return error_result(&error),
        };
        if let Err(error) = spec.validate(&params) {
            return error_result(&error);
        }
        let outcome = match self.registry.resolve(session.as_deref()) {
            Ok(link) => link.call(spec.name, params.clone(), spec.timeout).await,
            Err(error) => Err(error),
        };
        // Without an editor, scene tools still work on the files.
        let outcome = outcome.or_else(|error| {
            crate::offline::fallback(spec.name, params, error).map(|result| Answer {
                result,
                notice: None,
            })
        });
        match outcome {
            Ok(answer) => {
                let mut result = success(answer.result);
                if let Some(notice) = answer.notice {
                    result
                        .content
                        .push(ContentBlock::text(format!("note: {notice}")));
                }
                result
            }
            Err(error) => error_result(&error),
        }
    }

    fn call_local(&self, spec: &CommandSpec, params: Value) -> CallToolResult {
        match crate::local::router().call_now(&mut Arc::clone(&self.registry), spec.name, params) {
            Ok(value) => CallToolResult::structured(value),
            Err(error) => error_result(&error),
        }
    }
}

/// Removes the `session` argument, which the shim consumes.
fn take_session(params: &mut Value) -> Result<Option<String>, ErrorBody> {
    let Some(map) = params.as_object_mut() else {
        return Ok(None);
    };
    match map.remove(SESSION_PARAM) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("session must be a session id string, not {other}"),
        )
        .with_hint("call list_sessions for the session ids")),
    }
}

/// The tool list, built once from the catalog.
fn tools() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        CATALOG
            .iter()
            .map(|spec| {
                let mut schema = spec.input_schema();
                if !spec.local {
                    add_session_param(&mut schema);
                }
                let mut tool = Tool::new(spec.name, spec.description(), schema);
                tool.annotations = Some(ToolAnnotations::new().read_only(spec.read_only));
                tool
            })
            .collect()
    })
}

fn add_session_param(schema: &mut Map<String, Value>) {
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.insert(
            SESSION_PARAM.into(),
            json!({"type": "string", "description": "Editor session id (list_sessions); only needed with several editors open."}),
        );
    }
}

/// The tool list as JSON, exactly as `tools/list` sends it.
pub fn tools_json() -> String {
    serde_json::to_string_pretty(&json!({ "tools": tools() })).unwrap_or_default()
}

/// A successful result; an image it carries becomes MCP image content,
/// described by its `description` (or by the rest of the result).
fn success(mut value: Value) -> CallToolResult {
    let Some(image) = image::take(&mut value) else {
        return CallToolResult::structured(value);
    };
    let text = match value.get(image::DESCRIPTION_FIELD) {
        Some(Value::String(description)) => description.clone(),
        _ => value.to_string(),
    };
    let mut result = CallToolResult::structured(value);
    result.content = vec![
        ContentBlock::image(image.data, image.mime_type),
        ContentBlock::text(text),
    ];
    result
}

fn error_result(error: &ErrorBody) -> CallToolResult {
    let mut result = CallToolResult::structured_error(json!({ "error": error }));
    let mut text = format!("{}: {}", error.code, error.message);
    if let Some(hint) = &error.hint {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    result.content = vec![ContentBlock::text(text)];
    result
}

impl ServerHandler for GodotMcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_resources()
            .enable_tools()
            .enable_resources_subscribe()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("godot-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        if self.peer.set(context.peer.clone()).is_ok() {
            self.forward_updates(context.peer);
        }
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
        Ok(self.call_editor(spec, params).await.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let Some(doc) = resources::find(&request.uri) else {
            return Err(McpError::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ));
        };
        let spec = find(doc.command).expect("resource commands are in the catalog");
        let outcome = match self.registry.resolve(None) {
            Ok(link) => link
                .call(spec.name, json!({}), spec.timeout)
                .await
                .map(|a| a.result),
            Err(e) => Err(e),
        };
        let body = match outcome {
            Ok(value) => value,
            Err(error) => json!({ "error": error }),
        };
        let text = serde_json::to_string_pretty(&body).unwrap_or_default();
        let contents = ResourceContents::TextResourceContents {
            uri: doc.uri.into(),
            mime_type: Some("application/json".into()),
            text,
            meta: None,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if resources::find(&request.uri).is_none() {
            return Err(McpError::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ));
        }
        lock(&self.subscribed).insert(request.uri);
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        lock(&self.subscribed).remove(&request.uri);
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris = requested.resource_subscriptions.as_ref().map(|uris| {
            uris.iter()
                .filter(|u| resources::find(u).is_some())
                .cloned()
                .collect()
        });
        let mut accepted = SubscriptionFilter::new();
        accepted.resource_subscriptions = uris;
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        let sink = context.sink().clone();
        let id = sink.id().clone();
        lock(&self.sinks).push(sink);
        context.cancelled().await;
        lock(&self.sinks).retain(|s| s.id() != &id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_in_a_result_becomes_image_content() {
        let result = success(json!({
            "width": 2,
            "description": "editor: 2x1 PNG",
            "image": {"mime_type": "image/png", "data": "iVBORw=="},
        }));
        assert_eq!(
            result.structured_content,
            Some(json!({"width": 2, "description": "editor: 2x1 PNG"}))
        );
        assert_eq!(result.content.len(), 2);
        match (&result.content[0], &result.content[1]) {
            (ContentBlock::Image(image), ContentBlock::Text(text)) => {
                assert_eq!(
                    (image.data.as_str(), image.mime_type.as_str()),
                    ("iVBORw==", "image/png")
                );
                assert_eq!(text.text, "editor: 2x1 PNG");
            }
            other => panic!("unexpected content: {other:?}"),
        }
    }

    #[test]
    fn results_without_images_stay_json() {
        let result = success(json!({"a": 1}));
        assert_eq!(result.structured_content, Some(json!({"a": 1})));
        assert_eq!(result.content.len(), 1);
    }
}
