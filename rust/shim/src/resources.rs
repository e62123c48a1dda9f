//! MCP resources: the editor's state, the edited scene and the project, as
//! documents a client can read and subscribe to.
//!
//! Reading asks the editor for a fresh answer. Subscribers are told when a
//! resource changed; what changed is derived from the editor's events, so
//! nothing polls.

use godot_mcp_protocol::events;
use rmcp::model::Resource;

use crate::link::LinkEvent;

pub const EDITOR_STATE: &str = "godot://editor/state";
pub const SCENE_CURRENT: &str = "godot://scene/current";
pub const PROJECT_INFO: &str = "godot://project/info";

/// A resource and the command whose answer is its content.
pub struct Doc {
    pub uri: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub command: &'static str,
}

pub const DOCS: &[Doc] = &[
    Doc {
        uri: EDITOR_STATE,
        name: "editor-state",
        description: "The editor's state: session, readiness, edited and open scenes, play state.",
        command: "get_editor_state",
    },
    Doc {
        uri: SCENE_CURRENT,
        name: "current-scene",
        description: "The node tree of the scene being edited.",
        command: "get_scene_tree",
    },
    Doc {
        uri: PROJECT_INFO,
        name: "project-info",
        description: "The project: name, main scene, scenes, scripts, autoloads.",
        command: "get_project_info",
    },
];

pub fn list() -> Vec<Resource> {
    DOCS.iter()
        .map(|d| {
            Resource::new(d.uri, d.name)
                .with_description(d.description)
                .with_mime_type("application/json")
        })
        .collect()
}

pub fn find(uri: &str) -> Option<&'static Doc> {
    DOCS.iter().find(|d| d.uri == uri)
}

/// The resources an event makes stale.
pub fn affected(event: &LinkEvent) -> &'static [&'static str] {
    match event {
        LinkEvent::Connected | LinkEvent::Disconnected => {
            &[EDITOR_STATE, SCENE_CURRENT, PROJECT_INFO]
        }
        LinkEvent::Editor(e) => match e.event.as_str() {
            events::SCENE_CHANGED => &[EDITOR_STATE, SCENE_CURRENT],
            events::SCENE_MODIFIED => &[SCENE_CURRENT],
            events::PLAY_STATE_CHANGED | events::READINESS_CHANGED => &[EDITOR_STATE],
            events::FILESYSTEM_CHANGED => &[PROJECT_INFO],
            events::EVENTS_LOST => &[EDITOR_STATE, SCENE_CURRENT, PROJECT_INFO],
            _ => &[],
        },
    }
}
