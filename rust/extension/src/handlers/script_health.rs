//! Which project scripts fail to parse, kept current in the background.
//!
//! `get_editor_state` reports them so an agent notices a broken project
//! without asking. Every couple of seconds the project's `.gd` files are
//! listed with their modification times; new and changed ones are queued
//! and checked with Godot's own compiler (see [`super::source::check`]), a
//! few per frame so a large project never stalls the editor.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use godot_mcp_protocol::commands::editor::{ScriptErrors, ScriptFileError};

use super::{files, fs_path, project_root, source};

/// How often the file list is compared with the last one.
const SCAN_EVERY: Duration = Duration::from_secs(2);
/// Scripts listed in `get_editor_state`; the rest are only counted.
const LISTED: usize = 3;

#[derive(Default)]
pub struct ScriptHealth {
    seen: HashMap<String, SystemTime>,
    queue: VecDeque<String>,
    broken: BTreeMap<String, ScriptFileError>,
    last_scan: Option<Instant>,
}

impl ScriptHealth {
    /// Rescans when due, then checks queued scripts for up to `budget`.
    pub fn tick(&mut self, budget: Duration) {
        if self.last_scan.is_none_or(|t| t.elapsed() >= SCAN_EVERY) {
            self.scan();
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
        let mut now = HashMap::new();
        files::walk(&project_root(), true, &mut |res, real, is_dir| {
            if !is_dir && res.ends_with(".gd") {
                let modified = std::fs::metadata(real).and_then(|m| m.modified()).ok();
                if let Some(modified) = modified {
                    now.insert(res, modified);
                }
            }
        });
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
                self.broken.insert(
                    path.clone(),
                    ScriptFileError {
                        script_path: path,
                        line: error.line,
                        message: error.message,
                    },
                );
            }
            None => {
                self.broken.remove(&path);
            }
        }
    }

    pub fn summary(&self) -> ScriptErrors {
        ScriptErrors {
            count: self.broken.len(),
            first: self.broken.values().take(LISTED).cloned().collect(),
        }
    }
}
