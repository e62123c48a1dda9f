//! MCP resources: the editor's state, the edited scene, the project, its
//! errors and the game's output as documents, and templates for any class,
//! script, scene, node or file. Each is the cheap twin of a read tool.
//!
//! Reading asks the editor for a fresh answer. Subscribers are told when a
//! static resource changed; what changed is derived from the editor's
//! events, so nothing polls.

use godot_mcp_protocol::events;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use rmcp::model::{Resource, ResourceTemplate};
use serde_json::{Value, json};

use crate::ask::Ask;
use crate::complete::Candidates;
use crate::link::LinkEvent;

pub const EDITOR_STATE: &str = "godot://editor/state";
pub const SCENE_CURRENT: &str = "godot://scene/current";
pub const PROJECT_INFO: &str = "godot://project/info";
pub const PROJECT_SETTINGS: &str = "godot://project/settings";
pub const INPUT_MAP: &str = "godot://input_map";
pub const AUTOLOADS: &str = "godot://autoloads";
pub const ERRORS: &str = "godot://errors";
pub const GAME_OUTPUT: &str = "godot://game/output";

/// Editor-log errors and game-output lines a resource repeats, newest last.
const RECENT: usize = 20;
const RECENT_OUTPUT: usize = 200;

/// A resource and how its content is made.
pub struct Doc {
    pub uri: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    read: Read,
}

#[derive(Clone, Copy)]
enum Read {
    /// A command's answer to no arguments.
    Command(&'static str),
    Settings,
    Errors,
    GameOutput,
}

pub const DOCS: &[Doc] = &[
    Doc {
        uri: EDITOR_STATE,
        name: "editor-state",
        description: "The editor's state: readiness, edited and open scenes, play state, script errors.",
        read: Read::Command("get_editor_state"),
    },
    Doc {
        uri: SCENE_CURRENT,
        name: "current-scene",
        description: "The node tree of the scene being edited.",
        read: Read::Command("get_scene_tree"),
    },
    Doc {
        uri: PROJECT_INFO,
        name: "project-info",
        description: "The project: name, main scene, scenes, scripts, autoloads.",
        read: Read::Command("get_project_info"),
    },
    Doc {
        uri: PROJECT_SETTINGS,
        name: "project-settings",
        description: "project.godot: every setting that differs from Godot's default.",
        read: Read::Settings,
    },
    Doc {
        uri: INPUT_MAP,
        name: "input-map",
        description: "The project's input actions and their events.",
        read: Read::Command("list_input_actions"),
    },
    Doc {
        uri: AUTOLOADS,
        name: "autoloads",
        description: "The project's autoloads (singletons).",
        read: Read::Command("list_autoloads"),
    },
    Doc {
        uri: ERRORS,
        name: "errors",
        description: "Current errors: scripts that do not parse, the editor's latest errors, the last game run's errors.",
        read: Read::Errors,
    },
    Doc {
        uri: GAME_OUTPUT,
        name: "game-output",
        description: "The last game run: how it is doing and its latest output lines.",
        read: Read::GameOutput,
    },
];

/// A resource template: a URI with one parameter.
pub struct Template {
    pub uri_template: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    prefix: &'static str,
    suffix: &'static str,
    /// The parameter's name and what completes it.
    pub param: (&'static str, Candidates),
}

pub const TEMPLATES: &[Template] = &[
    Template {
        uri_template: "godot://class/{name}",
        name: "class",
        description: "A Godot class: what it is for, properties, methods, signals (ClassDB).",
        prefix: "godot://class/",
        suffix: "",
        param: ("name", Candidates::Classes),
    },
    Template {
        uri_template: "godot://script/{path}",
        name: "script",
        description: "A script's source; path relative to res://.",
        prefix: "godot://script/",
        suffix: "",
        param: ("path", Candidates::Scripts),
    },
    Template {
        uri_template: "godot://scene/{path}/tree",
        name: "scene-tree",
        description: "A scene's node tree, as saved (the edited scene as it is now); path relative to res://.",
        prefix: "godot://scene/",
        suffix: "/tree",
        param: ("path", Candidates::Scenes),
    },
    Template {
        uri_template: "godot://node/{path}",
        name: "node",
        description: "A node of the edited scene with its saved properties; path from the scene root.",
        prefix: "godot://node/",
        suffix: "",
        param: ("path", Candidates::NodePaths),
    },
    Template {
        uri_template: "godot://file/{path}",
        name: "file",
        description: "A project text file; path relative to res://.",
        prefix: "godot://file/",
        suffix: "",
        param: ("path", Candidates::Files),
    },
];

pub fn list() -> Vec<Resource> {
    DOCS.iter()
        .map(|d| {
            Resource::new(d.uri, d.name)
                .with_description(d.description)
                .with_mime_type(mime(d.read))
        })
        .collect()
}

pub fn templates() -> Vec<ResourceTemplate> {
    TEMPLATES
        .iter()
        .map(|t| {
            ResourceTemplate::new(t.uri_template, t.name)
                .with_description(t.description)
                .with_mime_type(if t.name == "script" || t.name == "file" {
                    "text/plain"
                } else {
                    "application/json"
                })
        })
        .collect()
}

fn mime(read: Read) -> &'static str {
    match read {
        Read::Settings => "text/plain",
        _ => "application/json",
    }
}

pub fn find(uri: &str) -> Option<&'static Doc> {
    DOCS.iter().find(|d| d.uri == uri)
}

pub fn template(uri_template: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.uri_template == uri_template)
}

/// The template a URI fills in, and its decoded parameter.
fn fill(uri: &str) -> Option<(&'static Template, String)> {
    TEMPLATES.iter().find_map(|t| {
        let param = uri.strip_prefix(t.prefix)?.strip_suffix(t.suffix)?;
        let param = percent_decode(param);
        (!param.is_empty()).then_some((t, param))
    })
}

/// Whether `uri` names a resource or fills a template.
pub fn exists(uri: &str) -> bool {
    find(uri).is_some() || fill(uri).is_some()
}

/// A resource's content: its MIME type and text.
pub async fn read(ask: &Ask, uri: &str) -> Result<(&'static str, String), ErrorBody> {
    if let Some(doc) = find(uri) {
        return read_doc(ask, doc.read)
            .await
            .map(|value| (mime(doc.read), text(value)));
    }
    let Some((template, param)) = fill(uri) else {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, format!("no resource {uri}"))
                .with_hint("resources/list and resources/templates/list name them all"),
        );
    };
    let res = format!("res://{}", param.trim_start_matches('/'));
    let value = match template.name {
        "class" => {
            ask.call("get_class_info", json!({ "class": param }))
                .await?
        }
        "script" => {
            let source = ask
                .call("read_script", json!({ "script_path": res }))
                .await?;
            return Ok(("text/plain", string(&source["content"])));
        }
        "file" => {
            let file = ask.call("read_text_file", json!({ "path": res })).await?;
            return Ok(("text/plain", string(&file["content"])));
        }
        "scene-tree" => scene_tree(ask, &res).await?,
        _ => {
            ask.call("get_node_properties", json!({ "node_path": param }))
                .await?
        }
    };
    Ok(("application/json", text(value)))
}

/// The edited scene from the editor, any other scene from its file, so
/// reading a resource never opens a scene in the editor.
pub async fn scene_tree(ask: &Ask, res: &str) -> Result<Value, ErrorBody> {
    let state = ask.call("get_editor_state", json!({})).await.ok();
    let edited = state
        .as_ref()
        .and_then(|s| s["edited_scene"].as_str())
        .is_some_and(|s| s == res);
    if edited {
        return ask.call("get_scene_tree", json!({})).await;
    }
    let root = match state.as_ref().and_then(|s| s["project_path"].as_str()) {
        Some(path) => std::path::PathBuf::from(path),
        None => ask.project_root().await.ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::EditorNotConnected,
                "no editor and no project found",
            )
            .with_hint("open the project in Godot, or set GODOT_MCP_PROJECT")
        })?,
    };
    crate::offline::read(&root, "get_scene_tree", json!({ "scene_path": res }))
}

async fn read_doc(ask: &Ask, read: Read) -> Result<Value, ErrorBody> {
    match read {
        Read::Command(command) => ask.call(command, json!({})).await,
        Read::Settings => {
            let file = ask
                .call("read_text_file", json!({ "path": "res://project.godot" }))
                .await?;
            Ok(file["content"].clone())
        }
        Read::Errors => Ok(errors(ask).await),
        Read::GameOutput => {
            let mut output = ask
                .call("get_game_output", json!({ "limit": 1000 }))
                .await?;
            keep_last(&mut output["lines"], RECENT_OUTPUT);
            Ok(output)
        }
    }
}

/// Every kind of error in one document; a missing part says why.
pub async fn errors(ask: &Ask) -> Value {
    let state = ask.or_note("get_editor_state", json!({})).await;
    let mut log = ask
        .or_note("get_editor_log", json!({ "level": "error", "limit": 1000 }))
        .await;
    keep_last(&mut log["entries"], RECENT);
    let game = ask.or_note("get_game_errors", json!({})).await;
    json!({
        "script_errors": state.get("script_errors").cloned().unwrap_or(state),
        "editor_errors": log.get("entries").cloned().unwrap_or(log),
        "game": game,
    })
}

fn keep_last(list: &mut Value, n: usize) {
    if let Value::Array(items) = list {
        let cut = items.len().saturating_sub(n);
        items.drain(..cut);
    }
}

fn string(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => serde_json::to_string_pretty(&other).unwrap_or_default(),
    }
}

/// `%XX` escapes decoded; clients escape paths in URIs differently.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The resources an event makes stale.
pub fn affected(event: &LinkEvent) -> &'static [&'static str] {
    const ALL: &[&str] = &[
        EDITOR_STATE,
        SCENE_CURRENT,
        PROJECT_INFO,
        PROJECT_SETTINGS,
        INPUT_MAP,
        AUTOLOADS,
        ERRORS,
        GAME_OUTPUT,
    ];
    match event {
        LinkEvent::Connected | LinkEvent::Disconnected => ALL,
        LinkEvent::Editor(e) => match e.event.as_str() {
            events::SCENE_CHANGED => &[EDITOR_STATE, SCENE_CURRENT],
            events::SCENE_MODIFIED => &[SCENE_CURRENT],
            events::PLAY_STATE_CHANGED => &[EDITOR_STATE, GAME_OUTPUT, ERRORS],
            events::READINESS_CHANGED => &[EDITOR_STATE],
            events::FILESYSTEM_CHANGED => {
                &[PROJECT_INFO, PROJECT_SETTINGS, INPUT_MAP, AUTOLOADS, ERRORS]
            }
            events::EVENTS_LOST => ALL,
            _ => &[],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_fill_their_templates() {
        let (t, p) = fill("godot://scene/levels/main.tscn/tree").unwrap();
        assert_eq!((t.name, p.as_str()), ("scene-tree", "levels/main.tscn"));
        let (t, p) = fill("godot://script/player%20one.gd").unwrap();
        assert_eq!((t.name, p.as_str()), ("script", "player one.gd"));
        let (t, p) = fill("godot://node/Player/Sprite2D").unwrap();
        assert_eq!((t.name, p.as_str()), ("node", "Player/Sprite2D"));
        assert_eq!(fill("godot://class/").map(|(t, _)| t.name), None);
        assert!(exists("godot://class/Node2D"));
        assert!(exists(ERRORS));
        assert!(!exists("godot://nothing"));
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn there_are_enough_resources_and_templates_and_each_is_described_briefly() {
        assert!(DOCS.len() >= 8 && TEMPLATES.len() >= 5);
        for d in DOCS {
            assert!(d.description.len() <= 120, "{}", d.uri);
        }
        for t in TEMPLATES {
            assert!(t.description.len() <= 120, "{}", t.uri_template);
            assert!(t.uri_template.starts_with(t.prefix));
            assert!(t.uri_template.ends_with(t.suffix));
        }
    }
}
