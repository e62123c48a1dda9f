//! Which project scripts fail to parse, kept current in the background.
//!
//! `get_editor_state` reports them so an agent notices a broken project
//! without asking. Every couple of seconds a background thread lists the
//! project's `.gd` files with their modification times (the walk can be
//! long in a big project, so it never runs on the main thread); new and
//! changed ones are queued and checked with Godot's own compiler (see
//! [`super::source::check`]), a few per frame so a large project never
//! stalls the editor.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant, SystemTime};

use godot_mcp_protocol::commands::editor::{ScriptErrors, ScriptFileError};
use godot_mcp_protocol::commands::log::Location;
use godot_mcp_protocol::doorbell::ErrorSource;

use super::{files, fs_path, project_root, source};

/// How often the file list is compared with the last one.
const SCAN_EVERY: Duration = Duration::from_secs(2);
/// Scripts listed in `get_editor_state`; the rest are only counted.
const LISTED: usize = 3;

type Listing = HashMap<String, SystemTime>;

#[derive(Default)]
pub struct ScriptHealth {
    seen: Listing,
    queue: VecDeque<String>,
    broken: BTreeMap<String, ScriptFileError>,
    last_scan: Option<Instant>,
    /// The listing being made off the main thread.
    scanning: Option<Receiver<Listing>>,
    root: Option<PathBuf>,
}

impl ScriptHealth {
    /// Takes a finished listing or starts one when due, then checks queued
    /// scripts for up to `budget`.
    pub fn tick(&mut self, budget: Duration) {
        match self.scanning.as_ref().map(Receiver::try_recv) {
            Some(Ok(listing)) => {
                self.scanning = None;
                self.compare(listing);
            }
            Some(Err(TryRecvError::Disconnected)) => self.scanning = None,
            Some(Err(TryRecvError::Empty)) => {}
            None if self.last_scan.is_none_or(|t| t.elapsed() >= SCAN_EVERY) => self.scan(),
            None => {}
        }
        let start = Instant::now();
        while start.elapsed() < budget {
            let Some(path) = self.queue.pop_front() else {
                break;
            };
            self.check(path);
        }
    }

    fn scan(&mut self) {
        self.last_scan = Some(Instant::now());
        let root = self.root.get_or_insert_with(project_root).clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("godot-mcp scripts".into())
            .spawn(move || {
                let _ = tx.send(list_scripts(&root));
            });
        if spawned.is_ok() {
            self.scanning = Some(rx);
        }
    }

    fn compare(&mut self, now: Listing) {
        for (path, modified) in &now {
            if self.seen.get(path) != Some(modified) && !self.queue.contains(path) {
                self.queue.push_back(path.clone());
            }
        }
        self.broken.retain(|path, _| now.contains_key(path));
        self.seen = now;
    }

    fn check(&mut self, path: String) {
        let Some(content) = fs_path(&path)
            .ok()
            .and_then(|p| std::fs::read_to_string(p).ok())
        else {
            return;
        };
        match source::check(&content).into_iter().next() {
            Some(error) => {
                let now = ScriptFileError {
                    script_path: path.clone(),
                    line: error.line,
                    message: error.message,
                };
                if self.broken.get(&path) != Some(&now) {
                    let at = Location::new(&path, i64::from(now.line), "");
                    crate::doorbell::ring(ErrorSource::Script, &now.message, &at);
                }
                self.broken.insert(path, now);
            }
            None => {
                self.broken.remove(&path);
            }
        }
    }

    /// How many scripts fail to parse now.
    pub fn broken_count(&self) -> usize {
        self.broken.len()
    }

    pub fn summary(&self) -> ScriptErrors {
        ScriptErrors {
            count: self.broken.len(),
            first: self.broken.values().take(LISTED).cloned().collect(),
        }
    }
}

/// The project's scripts with their modification times.
fn list_scripts(root: &std::path::Path) -> Listing {
    let mut now = HashMap::new();
    files::walk(root, root, true, &mut |res, real, is_dir| {
        if !is_dir && res.ends_with(".gd") {
            let modified = std::fs::metadata(real).and_then(|m| m.modified()).ok();
            if let Some(modified) = modified {
                now.insert(res, modified);
            }
        }
    });
    now
}
