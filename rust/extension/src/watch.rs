//! Noticing what changes in the editor, so clients hear of it unasked.
//!
//! State that is cheap to read (edited scene, play state, readiness) is
//! compared once per frame; what only signals reveal (file system changes,
//! nodes added, removed or renamed in the edited scene) is collected by
//! signal handlers and flushed once per frame, so a burst of changes becomes
//! one event rather than hundreds.

use std::cell::RefCell;
use std::rc::Rc;

use godot::classes::{EditorInterface, Engine, Node, SceneTree};
use godot::obj::{Gd, Singleton};
use godot::signal::{ConnectHandle, TypedSignal};
use godot_mcp_protocol::{Event, Readiness, events};
use serde_json::json;

/// Node paths listed per event; beyond it only a count is given.
const MAX_LISTED: usize = 100;

thread_local! {
    /// Between `resources_reimporting` and `resources_reimported`; Godot does
    /// not expose its own flag.
    static REIMPORTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The editor's readiness right now.
pub fn readiness() -> Readiness {
    let editor = EditorInterface::singleton();
    if REIMPORTING.get()
        || editor
            .get_resource_filesystem()
            .is_some_and(|fs| fs.is_scanning())
    {
        Readiness::Importing
    } else if editor.is_playing_scene() {
        Readiness::Playing
    } else if editor.get_edited_scene_root().is_none() {
        Readiness::NoScene
    } else {
        Readiness::Ready
    }
}

#[derive(Clone, PartialEq, Default)]
struct Snapshot {
    scene: String,
    playing: bool,
    playing_scene: String,
    readiness: Option<Readiness>,
}

impl Snapshot {
    fn take(readiness: Readiness) -> Snapshot {
        let editor = EditorInterface::singleton();
        let playing = editor.is_playing_scene();
        Snapshot {
            scene: editor
                .get_edited_scene_root()
                .map(|r| r.get_scene_file_path().to_string())
                .unwrap_or_default(),
            playing,
            playing_scene: if playing {
                editor.get_playing_scene().to_string()
            } else {
                String::new()
            },
            readiness: Some(readiness),
        }
    }
}

/// Changes seen by signal handlers since the last flush.
#[derive(Default)]
struct Seen {
    filesystem: bool,
    added: Vec<String>,
    removed: Vec<String>,
    renamed: Vec<String>,
    more: usize,
}

/// Picks the list a signal's nodes go to.
type Pick = fn(&mut Seen) -> &mut Vec<String>;

impl Seen {
    fn note(&mut self, pick: Pick, path: String) {
        if pick(self).len() < MAX_LISTED {
            pick(self).push(path);
        } else {
            self.more += 1;
        }
    }
}

/// Records the edited-scene path of each node a tree signal reports.
fn on_node(
    signal: &TypedSignal<'_, SceneTree, (Gd<Node>,)>,
    seen: &Rc<RefCell<Seen>>,
    pick: Pick,
) -> ConnectHandle {
    let seen = Rc::clone(seen);
    signal.connect(move |node: Gd<Node>| {
        if let Some(path) = scene_path_of(&node) {
            seen.borrow_mut().note(pick, path);
        }
    })
}

pub struct Watch {
    last: Snapshot,
    seen: Rc<RefCell<Seen>>,
    handles: Vec<ConnectHandle>,
}

impl Watch {
    pub fn start() -> Watch {
        let seen = Rc::new(RefCell::new(Seen::default()));
        let mut handles = Vec::new();
        if let Some(fs) = EditorInterface::singleton().get_resource_filesystem() {
            let seen = Rc::clone(&seen);
            handles.push(
                fs.signals()
                    .filesystem_changed()
                    .connect(move || seen.borrow_mut().filesystem = true),
            );
            handles.push(
                fs.signals()
                    .resources_reimporting()
                    .connect(|_| REIMPORTING.set(true)),
            );
            handles.push(
                fs.signals()
                    .resources_reimported()
                    .connect(|_| REIMPORTING.set(false)),
            );
        }
        if let Some(tree) = scene_tree() {
            handles.push(on_node(&tree.signals().node_added(), &seen, |s| {
                &mut s.added
            }));
            handles.push(on_node(&tree.signals().node_removed(), &seen, |s| {
                &mut s.removed
            }));
            handles.push(on_node(&tree.signals().node_renamed(), &seen, |s| {
                &mut s.renamed
            }));
        }
        Watch {
            last: Snapshot::default(),
            seen,
            handles,
        }
    }

    /// The events since the last call.
    pub fn poll(&mut self, readiness: Readiness) -> Vec<Event> {
        let now = Snapshot::take(readiness);
        let mut out = Vec::new();
        let first = self.last.readiness.is_none();
        let scene_changed = !first && now.scene != self.last.scene;
        if scene_changed {
            out.push(event(events::SCENE_CHANGED, json!({ "path": now.scene })));
        }
        if !first
            && (now.playing, &now.playing_scene) != (self.last.playing, &self.last.playing_scene)
        {
            out.push(event(
                events::PLAY_STATE_CHANGED,
                json!({ "playing": now.playing, "scene": now.playing_scene }),
            ));
        }
        if !first && now.readiness != self.last.readiness {
            out.push(event(
                events::READINESS_CHANGED,
                json!({ "readiness": readiness }),
            ));
        }
        let seen = std::mem::take(&mut *self.seen.borrow_mut());
        if seen.filesystem {
            out.push(event(events::FILESYSTEM_CHANGED, json!({})));
        }
        // Switching scenes adds and removes whole trees; scene_changed says it all.
        let nodes_changed =
            !(seen.added.is_empty() && seen.removed.is_empty() && seen.renamed.is_empty());
        if nodes_changed && !scene_changed {
            out.push(event(
                events::SCENE_MODIFIED,
                json!({
                    "scene": now.scene,
                    "added": seen.added,
                    "removed": seen.removed,
                    "renamed": seen.renamed,
                    "more": seen.more,
                }),
            ));
        }
        self.last = now;
        out
    }

    /// Disconnects every handler; they must not outlive the library.
    pub fn stop(&mut self) {
        REIMPORTING.set(false);
        for handle in self.handles.drain(..) {
            if handle.is_connected() {
                handle.disconnect();
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop();
    }
}

fn event(name: &str, data: serde_json::Value) -> Event {
    Event {
        event: name.into(),
        data,
    }
}

fn scene_tree() -> Option<Gd<SceneTree>> {
    Engine::singleton()
        .get_main_loop()
        .and_then(|l| l.try_cast::<SceneTree>().ok())
}

/// The node's path in the edited scene, or `None` for editor UI and other scenes.
fn scene_path_of(node: &Gd<Node>) -> Option<String> {
    let root = EditorInterface::singleton().get_edited_scene_root()?;
    if *node == root {
        Some(".".into())
    } else if root.is_ancestor_of(node) {
        Some(root.get_path_to(node).to_string())
    } else {
        None
    }
}
