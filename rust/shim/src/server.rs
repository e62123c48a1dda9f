//! The MCP side: tools from the protocol catalog, calls routed to the right
//! editor, and resources kept fresh by the editors' events.
//!
//! Every answer is one text block of compact JSON (plus the image, for a
//! picture) and never `structuredContent`: some clients pass only one of
//! the two to the model, and Codex drops images when the latter is set.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use godot_mcp_protocol::catalog::Selection;
use godot_mcp_protocol::doorbell::NewErrors;
use godot_mcp_protocol::{CATALOG, CommandSpec, ErrorBody, ErrorCode, find, image};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Reference, ResourceContents,
    ResourceUpdatedNotification, ResourceUpdatedNotificationParam, ServerCapabilities,
    ServerConfig, ServerNotification, SubscribeRequestParams, SubscriptionFilter, Tool,
    ToolAnnotations, UnsubscribeRequestParams,
};
use rmcp::service::{
    NotificationContext, Peer, RequestContext, SubscriptionContext, SubscriptionSink,
};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Value, json};

use crate::ask::Ask;
use crate::link::Answer;
use crate::lock;
use crate::sessions::Registry;
use crate::{complete, prompts, resources};

/// What a model should know before its first call; the first 512
/// characters stand alone (Codex reads no further).
pub const INSTRUCTIONS: &str = "Drives a live Godot 4 editor. Paths are res:// inside the project; \
node paths are relative to the scene root ('.'); a scene_path other than the edited scene is opened first. \
Property values: numbers, strings, bools; vectors [x, y] or \"Vector2(1, 2)\"; colours \"#ff0000\" or [r, g, b, a]; \
enums and flags by name (\"A|B\") or number; \"res://...\" loads a resource, {\"type\": \"CircleShape2D\", ...} makes one; \
any Godot constructor (\"Transform2D(...)\"). Values read back in these forms. Each edit is one undo step.

Start with get_editor_state. Errors carry a code, a message and a hint saying what to do next. \
With no editor open, scene tools edit the files. \
More tools come in groups: call toolsets to list them and enable one. \
With several editors open, the one whose project holds your folder is used; \
else call select_session once, or add \"session\": \"<id from list_sessions>\" to any call's arguments.";

/// The argument every editor tool accepts to pick an editor. It is left
/// out of the schemas (it would cost tokens in every tool for a rare case)
/// and described once, in the instructions.
const SESSION_PARAM: &str = "session";

pub struct GodotMcp {
    registry: Arc<Registry>,
    /// Asks the editor for what resources, prompts and completions need.
    ask: Ask,
    /// The tools listed and served; the `toolsets` tool adds to it.
    selection: Arc<Mutex<Selection>>,
    /// URIs subscribed with the legacy `resources/subscribe`.
    subscribed: Arc<Mutex<HashSet<String>>>,
    /// Subscriptions opened with `subscriptions/listen`.
    sinks: Arc<Mutex<Vec<SubscriptionSink>>>,
    /// The client, for legacy notifications, once it is known.
    peer: Arc<OnceLock<Peer<RoleServer>>>,
    forwarding: std::sync::Once,
}

impl GodotMcp {
    pub fn new(registry: Registry, selection: Selection) -> Self {
        let registry = Arc::new(registry);
        Self {
            ask: Ask::new(Arc::clone(&registry)),
            registry,
            selection: Arc::new(Mutex::new(selection)),
            subscribed: Arc::default(),
            sinks: Arc::default(),
            peer: Arc::default(),
            forwarding: std::sync::Once::new(),
        }
    }

    /// Starts forwarding editor events to subscribers, once, as soon as
    /// there can be one: clients of the stateless protocol never send
    /// `notifications/initialized`.
    fn start_forwarding(&self, peer: Option<&Peer<RoleServer>>) {
        if let Some(peer) = peer {
            let _ = self.peer.set(peer.clone());
        }
        self.forwarding.call_once(|| self.forward_updates());
    }

    /// Turns editor events into `notifications/resources/updated` for subscribers.
    fn forward_updates(&self) {
        let mut events = self.registry.subscribe();
        let subscribed = Arc::clone(&self.subscribed);
        let sinks = Arc::clone(&self.sinks);
        let peer = Arc::clone(&self.peer);
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
                        && let Some(peer) = peer.get()
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

    async fn call_editor(
        &self,
        spec: &CommandSpec,
        mut params: Value,
        peer: &Peer<RoleServer>,
        cancelled: impl Future<Output = ()>,
    ) -> CallToolResult {
        if !spec.read_only && lock(&self.selection).read_only {
            return error_result(
                &ErrorBody::new(
                    ErrorCode::InvalidOperation,
                    format!("{} changes the project; this server is read-only", spec.name),
                )
                .with_hint("it was started with --read-only or GODOT_MCP_READ_ONLY=1; only read-only tools are served"),
            );
        }
        if spec.local {
            return self.call_local(spec, params, peer).await;
        }
        let session = match take_session(&mut params) {
            Ok(s) => s,
            Err(error) => return error_result(&error),
        };
        if let Err(error) = spec.validate(&params) {
            return error_result(&error);
        }
        let (outcome, news) = match self.resolve(session).await {
            Ok(link) => {
                // A call the client cancelled stops waiting for the editor;
                // its late answer is dropped.
                let outcome = tokio::select! {
                    answer = link.call(spec.name, params.clone(), spec.timeout) => answer,
                    () = cancelled => return error_result(&cancelled_error(spec.name)),
                };
                (outcome, link.take_new_errors())
            }
            Err(error) => (Err(error), None),
        };
        match outcome {
            Ok(answer) => answered(answer, news),
            // Without an editor, scene tools still work on the files.
            Err(error) => match crate::offline::fallback(spec.name, params, error) {
                Ok(result) => success(with_news(result, news)),
                Err(error) => error_with_news(&error, news),
            },
        }
    }

    async fn call_local(
        &self,
        spec: &CommandSpec,
        params: Value,
        peer: &Peer<RoleServer>,
    ) -> CallToolResult {
        let mut local = crate::local::Local {
            registry: Arc::clone(&self.registry),
            selection: Arc::clone(&self.selection),
            list_changed: false,
        };
        // They read discovery records: off the runtime's workers.
        let name = spec.name;
        let (outcome, list_changed) = tokio::task::spawn_blocking(move || {
            let outcome = crate::local::router().call_now(&mut local, name, params);
            (outcome, local.list_changed)
        })
        .await
        .unwrap_or_else(|e| (Err(internal(&e)), false));
        if list_changed {
            // Clients that follow it list the new tools at once.
            let _ = peer.notify_tool_list_changed().await;
            let open: Vec<SubscriptionSink> = lock(&self.sinks).clone();
            for sink in open {
                // Refused when the subscription did not ask for it.
                let _ = sink.notify_tool_list_changed().await;
            }
        }
        match outcome {
            Ok(value) => success(value),
            Err(error) => error_result(&error),
        }
    }

    /// The editor a call goes to, found through discovery records read
    /// off the runtime's workers.
    async fn resolve(
        &self,
        session: Option<String>,
    ) -> Result<Arc<crate::link::EditorLink>, ErrorBody> {
        let registry = Arc::clone(&self.registry);
        tokio::task::spawn_blocking(move || registry.resolve(session.as_deref()))
            .await
            .unwrap_or_else(|e| Err(internal(&e)))
    }

    fn listed(&self) -> Vec<Tool> {
        tools(&lock(&self.selection))
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

/// Every tool, built once from the catalog, in catalog order.
fn all_tools() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| CATALOG.iter().map(tool).collect())
}

fn tool(spec: &CommandSpec) -> Tool {
    let schema = spec.input_schema();
    let mut annotations = ToolAnnotations::with_title(spec.title)
        .read_only(spec.read_only)
        .open_world(false);
    // The spec gives these meaning only for tools that change something;
    // on a read-only tool they would cost bytes and say nothing.
    if !spec.read_only {
        annotations = annotations
            .destructive(spec.destructive)
            .idempotent(spec.idempotent);
    }
    // The title travels once, in the annotations, where every client looks.
    Tool::new(spec.name, spec.description(), schema).with_annotations(annotations)
}

/// The tools a selection lists, in catalog order (stable, for prompt caching).
pub fn tools(selection: &Selection) -> Vec<Tool> {
    CATALOG
        .iter()
        .zip(all_tools())
        .filter(|(spec, _)| selection.includes(spec))
        .map(|(_, tool)| tool.clone())
        .collect()
}

/// The tool list as compact JSON, exactly as `tools/list` sends it.
pub fn tools_json(selection: &Selection) -> String {
    serde_json::to_string(&json!({ "tools": tools(selection) })).unwrap_or_default()
}

/// The editor's answer as a tool result. The editor's compact JSON text
/// becomes the text block as it is, unparsed (a 2,000-node tree is over a
/// megabyte); only an answer that may hold an image, or comes with a
/// notice or new errors, is read and rebuilt.
fn answered(answer: Answer, news: Option<NewErrors>) -> CallToolResult {
    let image_key = format!("\"{}\"", image::IMAGE_FIELD);
    if answer.notice.is_none() && news.is_none() && !answer.result.get().contains(&image_key) {
        let text: Box<str> = answer.result.into();
        return CallToolResult::success(vec![ContentBlock::text(String::from(text))]);
    }
    let mut value: Value = serde_json::from_str(answer.result.get()).unwrap_or(Value::Null);
    if let (Some(notice), Value::Object(map)) = (answer.notice, &mut value) {
        map.insert("note".into(), Value::String(notice));
    }
    success(with_news(value, news))
}

/// An answer object with the doorbell's `new_errors` added, when there are any.
fn with_news(mut value: Value, news: Option<NewErrors>) -> Value {
    if let (Some(news), Value::Object(map)) = (news, &mut value) {
        map.insert(
            "new_errors".into(),
            serde_json::to_value(news).unwrap_or_default(),
        );
    }
    value
}

fn internal(e: &tokio::task::JoinError) -> ErrorBody {
    ErrorBody::new(ErrorCode::InternalError, format!("the shim failed: {e}"))
}

fn cancelled_error(action: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::TransportInterrupted,
        format!("{action}: cancelled by the client"),
    )
    .with_hint("the action may or may not have run; check the editor state before retrying")
}

/// A successful result: the answer as one text block of compact JSON. An
/// image it carries becomes MCP image content with a one-line text: its
/// `description`, or else the rest of the answer.
fn success(mut value: Value) -> CallToolResult {
    let Some(image) = image::take(&mut value) else {
        return CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    };
    let text = match value.get(image::DESCRIPTION_FIELD) {
        Some(Value::String(description)) => description.clone(),
        _ => value.to_string(),
    };
    CallToolResult::success(vec![
        ContentBlock::image(image.data, image.mime_type),
        ContentBlock::text(text),
    ])
}

/// A tool error whose text is `{"error": {code, message, hint, ...}}`.
fn error_result(error: &ErrorBody) -> CallToolResult {
    error_with_news(error, None)
}

/// A tool error that also rings the doorbell.
fn error_with_news(error: &ErrorBody, news: Option<NewErrors>) -> CallToolResult {
    let text = with_news(json!({ "error": error }), news);
    CallToolResult::error(vec![ContentBlock::text(text.to_string())])
}

impl ServerHandler for GodotMcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_resources()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources_subscribe()
            .enable_prompts()
            .enable_completions()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("godot-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        // Editors show who is connected: the client behind this shim.
        crate::link::set_client(&request.client_info.name, &request.client_info.version);
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.start_forwarding(Some(&context.peer));
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.listed()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        all_tools().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
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
        Ok(self
            .call_editor(spec, params, &context.peer, context.ct.cancelled())
            .await
            .into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        if !resources::exists(&request.uri) {
            return Err(McpError::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ));
        }
        let (mime_type, text) = match resources::read(&self.ask, &request.uri).await {
            Ok(read) => read,
            Err(error) => (
                "application/json",
                serde_json::to_string_pretty(&json!({ "error": error })).unwrap_or_default(),
            ),
        };
        let contents = ResourceContents::TextResourceContents {
            uri: request.uri,
            mime_type: Some(mime_type.into()),
            text,
            meta: None,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let Some(def) = prompts::find(&request.name) else {
            return Err(McpError::invalid_params(
                format!("no prompt {}; prompts/list names them", request.name),
                None,
            ));
        };
        let args = request
            .arguments
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect();
        prompts::render(&self.ask, def, prompts::Args::new(args))
            .await
            .map(Into::into)
            .map_err(|e| {
                let text = match &e.hint {
                    Some(hint) => format!("{} ({hint})", e.message),
                    None => e.message.clone(),
                };
                McpError::invalid_params(text, Some(json!({ "error": e })))
            })
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let given = request
            .context
            .and_then(|c| c.arguments)
            .unwrap_or_default();
        let (candidates, relative) = match &request.r#ref {
            Reference::Prompt(p) => {
                let candidates = prompts::find(&p.name)
                    .and_then(|d| d.args.iter().find(|a| a.name == request.argument.name))
                    .map(|a| a.candidates);
                (candidates, false)
            }
            Reference::Resource(r) => {
                let candidates = resources::template(&r.uri)
                    .filter(|t| t.param.0 == request.argument.name)
                    .map(|t| t.param.1);
                (candidates, true)
            }
            _ => (None, false),
        };
        let Some(candidates) = candidates else {
            return Ok(CompleteResult::new(CompletionInfo::default()));
        };
        let scene = given.get("scene_path").map(String::as_str);
        let info = complete::complete(
            &self.ask,
            candidates,
            &request.argument.value,
            scene,
            relative,
        )
        .await;
        Ok(CompleteResult::new(info))
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.start_forwarding(Some(&context.peer));
        if !resources::exists(&request.uri) {
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
        accepted.tools_list_changed = requested.tools_list_changed;
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        self.start_forwarding(None);
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

    /// Room kept in the default list for the play-test tools still to come.
    #[test]
    fn an_image_in_a_result_becomes_image_content_and_nothing_else() {
        let result = success(json!({
            "width": 2,
            "description": "editor: 2x1 PNG",
            "image": {"mime_type": "image/png", "data": "iVBORw=="},
        }));
        assert_eq!(result.structured_content, None);
        assert_eq!(result.is_error, Some(false));
        match result.content.as_slice() {
            [ContentBlock::Image(image), ContentBlock::Text(text)] => {
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
    fn an_answer_is_one_compact_json_text() {
        let result = success(json!({"a": 1, "b": [1, 2]}));
        assert_eq!(result.structured_content, None);
        match result.content.as_slice() {
            [ContentBlock::Text(text)] => assert_eq!(text.text, r#"{"a":1,"b":[1,2]}"#),
            other => panic!("unexpected content: {other:?}"),
        }
    }

    #[test]
    fn an_error_is_a_tool_error_with_its_body_in_the_text() {
        let error =
            ErrorBody::new(ErrorCode::NodeNotFound, "no node Foo").with_hint("list the tree");
        let result = error_result(&error);
        assert_eq!(
            (result.is_error, &result.structured_content),
            (Some(true), &None)
        );
        let [ContentBlock::Text(text)] = result.content.as_slice() else {
            panic!("{:?}", result.content);
        };
        let body: Value = serde_json::from_str(&text.text).unwrap();
        assert_eq!(body["error"]["code"], "NODE_NOT_FOUND");
        assert_eq!(body["error"]["message"], "no node Foo");
        assert_eq!(body["error"]["hint"], "list the tree");
    }

    #[test]
    fn tool_lists_fit_client_caps() {
        let default = tools(&Selection::default());
        let default_bytes = tools_json(&Selection::default()).len();
        let all = tools(&Selection::all());
        let all_bytes = tools_json(&Selection::all()).len();
        println!(
            "default: {} tools, {default_bytes} bytes; all: {} tools, {all_bytes} bytes",
            default.len(),
            all.len()
        );
        assert!(default.len() <= 40, "{} tools", default.len());
        assert!(default_bytes <= 20_000, "{default_bytes} bytes");
        assert!(all_bytes <= 48_000, "{all_bytes} bytes");
        assert_eq!(all.len(), CATALOG.len());
    }

    #[test]
    fn every_tool_is_annotated_and_listed_in_catalog_order() {
        let all = tools(&Selection::all());
        for (tool, spec) in all.iter().zip(CATALOG) {
            assert_eq!(tool.name, spec.name);
            let a = tool.annotations.as_ref().expect("annotations");
            assert_eq!(a.title.as_deref(), Some(spec.title));
            assert_eq!(a.read_only_hint, Some(spec.read_only), "{}", spec.name);
            let (destructive, idempotent) = match spec.read_only {
                true => (None, None),
                false => (Some(spec.destructive), Some(spec.idempotent)),
            };
            assert_eq!(a.destructive_hint, destructive, "{}", spec.name);
            assert_eq!(a.idempotent_hint, idempotent, "{}", spec.name);
            assert_eq!(a.open_world_hint, Some(false), "{}", spec.name);
            assert!(tool.output_schema.is_none(), "{}", spec.name);
            let schema = Value::Object((*tool.input_schema).clone());
            let problems = godot_mcp_protocol::schema::violations(&schema);
            assert!(problems.is_empty(), "{}: {problems:?}", spec.name);
        }
        assert_eq!(tools_json(&Selection::all()), tools_json(&Selection::all()));
        let read_only = tools(&Selection::parse("all", true).unwrap());
        assert!(
            read_only
                .iter()
                .all(|t| t.annotations.as_ref().unwrap().read_only_hint == Some(true))
        );
    }

    #[test]
    fn instructions_put_the_value_forms_first() {
        assert!(INSTRUCTIONS.len() <= 2048, "{} bytes", INSTRUCTIONS.len());
        let head: String = INSTRUCTIONS.chars().take(512).collect();
        for must in ["res://", "Vector2", "#ff0000", "res://...", "undo step"] {
            assert!(
                head.contains(must),
                "{must} is not in the first 512 characters"
            );
        }
        assert!(INSTRUCTIONS.contains("toolsets"));
    }
}
