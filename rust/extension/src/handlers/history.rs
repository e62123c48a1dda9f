//! Undo and redo across the editor's histories, and batches as one step.
//!
//! The editor keeps one undo history per scene and a global one for the
//! project (settings, resource files), and its own Ctrl+Z picks between them
//! by time, which the API does not expose. So every action these tools
//! commit is journalled here with its history, and `undo` reverts the last
//! journalled step, however many actions and histories it spans (a batch).
//! When the editor's histories no longer match the journal (the user edited
//! by hand), `undo` falls back to the edited scene's history.

use std::cell::RefCell;
use std::collections::HashMap;

use godot::classes::{EditorUndoRedoManager, UndoRedo, editor_undo_redo_manager::SpecialHistory};
use godot::obj::EngineEnum;
use godot::prelude::*;
use godot_mcp_protocol::commands::editor::HistoryStep;
use godot_mcp_protocol::commands::history::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

use super::{Ctx, edited_scene, undo_manager};

/// One committed action and the history it went into.
#[derive(Clone, PartialEq)]
struct Entry {
    history: i32,
    action: String,
}

/// What one `undo` reverts: a single call's action, or a whole batch.
struct Step {
    label: String,
    entries: Vec<Entry>,
}

#[derive(Default)]
struct Journal {
    done: Vec<Step>,
    undone: Vec<Step>,
    /// Entries of the batch being run, if any.
    batch: Option<Vec<Entry>>,
}

thread_local! {
    static JOURNAL: RefCell<Journal> = RefCell::default();
}

fn global_id() -> i32 {
    SpecialHistory::GLOBAL_HISTORY.ord()
}

/// Commits an action started with [`super::undo_action`] and journals it.
pub(super) fn commit(mut manager: Gd<EditorUndoRedoManager>) {
    let global_version = |m: &Gd<EditorUndoRedoManager>| {
        m.get_history_undo_redo(global_id())
            .map(|h| h.get_version())
    };
    let before = global_version(&manager);
    manager.commit_action();
    let history = if global_version(&manager) != before {
        global_id()
    } else {
        match edited_scene() {
            Some(scene) => manager.get_object_history_id(&scene.root),
            None => return,
        }
    };
    let Some(undo_redo) = manager.get_history_undo_redo(history) else {
        return;
    };
    let entry = Entry {
        history,
        action: undo_redo.get_current_action_name().to_string(),
    };
    JOURNAL.with_borrow_mut(|j| match &mut j.batch {
        Some(batch) => batch.push(entry),
        None => {
            j.undone.clear();
            j.done.push(Step {
                label: entry.action.clone(),
                entries: vec![entry],
            });
        }
    });
}

pub fn undo(scene_path: Option<&str>) -> Result<HistoryStep, ErrorBody> {
    step(scene_path, false)
}

pub fn redo(scene_path: Option<&str>) -> Result<HistoryStep, ErrorBody> {
    step(scene_path, true)
}

fn step(scene_path: Option<&str>, forward: bool) -> Result<HistoryStep, ErrorBody> {
    let manager = undo_manager()?;
    if scene_path.is_none()
        && let Some(done) = replay_journal(&manager, forward)
    {
        return Ok(done);
    }
    step_scene(&manager, scene_path, forward)
}

/// Moves the last journalled step, if the editor's histories still agree
/// with the journal; forgets the journal when they do not.
fn replay_journal(manager: &Gd<EditorUndoRedoManager>, forward: bool) -> Option<HistoryStep> {
    let step = JOURNAL.with_borrow_mut(|j| {
        if forward {
            j.undone.pop()
        } else {
            j.done.pop()
        }
    })?;
    let mut moved = 0;
    let ordered: Vec<&Entry> = if forward {
        step.entries.iter().collect()
    } else {
        step.entries.iter().rev().collect()
    };
    for entry in &ordered {
        let Some(mut history) = manager.get_history_undo_redo(entry.history) else {
            break;
        };
        let matches = if forward {
            history.has_redo() && history.redo() && current_action(&history) == entry.action
        } else {
            history.has_undo() && current_action(&history) == entry.action && history.undo()
        };
        if !matches {
            break;
        }
        moved += 1;
    }
    if moved < ordered.len() {
        // Out of step with the editor: take back what moved, trust the editor from now on.
        for entry in ordered[..moved].iter().rev() {
            if let Some(mut history) = manager.get_history_undo_redo(entry.history) {
                if forward {
                    history.undo();
                } else {
                    history.redo();
                }
            }
        }
        JOURNAL.with_borrow_mut(|j| *j = Journal::default());
        return None;
    }
    let scene_path = step
        .entries
        .iter()
        .find(|e| e.history != global_id())
        .and_then(|_| edited_scene().map(|s| s.path));
    let label = step.label.clone();
    JOURNAL.with_borrow_mut(|j| {
        if forward {
            j.done.push(step);
        } else {
            j.undone.push(step);
        }
    });
    Some(HistoryStep {
        scene_path,
        action: label,
    })
}

fn current_action(history: &Gd<UndoRedo>) -> String {
    history.get_current_action_name().to_string()
}

/// Moves one step through a scene's own history.
fn step_scene(
    manager: &Gd<EditorUndoRedoManager>,
    scene_path: Option<&str>,
    forward: bool,
) -> Result<HistoryStep, ErrorBody> {
    let scene = super::scene(scene_path)?;
    let id = manager.get_object_history_id(&scene.root);
    let mut history = manager
        .get_history_undo_redo(id)
        .ok_or_else(|| ErrorBody::new(ErrorCode::GodotError, "the scene has no undo history"))?;
    let (possible, verb) = if forward {
        (history.has_redo(), "redo")
    } else {
        (history.has_undo(), "undo")
    };
    if !possible {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("nothing to {verb} in {}", scene.path),
        )
        .with_hint("the history is empty in that direction"));
    }
    // Undo reports the action it reverts; redo the one it re-applies.
    let action = if forward {
        history.redo();
        current_action(&history)
    } else {
        let name = current_action(&history);
        history.undo();
        name
    };
    // Keep the journal in step when this was its last single action.
    let entry = Entry {
        history: id,
        action: action.clone(),
    };
    JOURNAL.with_borrow_mut(|j| {
        let (from, to) = if forward {
            (&mut j.undone, &mut j.done)
        } else {
            (&mut j.done, &mut j.undone)
        };
        if from.last().is_some_and(|s| s.entries == [entry.clone()]) {
            to.extend(from.pop());
        }
    });
    Ok(HistoryStep {
        scene_path: Some(scene.path),
        action,
    })
}

pub fn get_undo_history(_: &mut Ctx, _: GetUndoHistory) -> Result<UndoHistories, ErrorBody> {
    let manager = undo_manager()?;
    let list = |id: i32, name: String| {
        let history = manager.get_history_undo_redo(id);
        let actions: Vec<String> = history
            .iter()
            .flat_map(|h| (0..h.get_history_count()).map(|i| h.get_action_name(i).to_string()))
            .collect();
        let done = history.map_or(0, |h| (h.get_current_action() + 1).max(0) as usize);
        UndoHistory {
            name,
            actions,
            done,
        }
    };
    Ok(UndoHistories {
        scene: edited_scene().map(|s| list(manager.get_object_history_id(&s.root), s.path)),
        project: list(global_id(), "project".into()),
    })
}

pub fn batch(ctx: &mut Ctx, params: Batch) -> Result<BatchDone, ErrorBody> {
    // A batch inside a batch would take over the outer one's journal.
    if JOURNAL.with_borrow(|j| j.batch.is_some()) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            "a batch cannot contain a batch",
        )
        .with_hint("list the inner batch's commands in the outer one"));
    }
    if params.commands.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "batch has no commands")
                .with_hint("pass commands as [{\"action\": name, \"params\": {...}}]"),
        );
    }
    JOURNAL.with_borrow_mut(|j| j.batch = Some(Vec::new()));
    // Closes the batch however the steps end, a panic included.
    let mut guard = BatchGuard { finished: false };
    let routes: HashMap<&str, _> = super::routes().into_iter().collect();
    let total = params.commands.len();
    let mut results = Vec::with_capacity(total);
    for (i, command) in params.commands.into_iter().enumerate() {
        let outcome = match routes.get(command.action.as_str()) {
            Some(route) => route.call_now(ctx, &command.action, Value::Object(command.params)),
            None => Err(crate::dispatch::unknown_action(&command.action)),
        };
        match outcome {
            // Each step's answer is already text; the batch answer nests them.
            Ok(result) => results.push(serde_json::from_str(result.get()).unwrap_or(Value::Null)),
            Err(e) => {
                drop(guard);
                return Err(ErrorBody {
                    message: format!(
                        "step {} of {total} ({}) failed, earlier steps rolled back: {}",
                        i + 1,
                        command.action,
                        e.message
                    ),
                    ..e
                });
            }
        }
    }
    guard.finished = true;
    let entries = guard.close();
    if !entries.is_empty() {
        JOURNAL.with_borrow_mut(|j| {
            j.undone.clear();
            j.done.push(Step {
                label: format!("MCP: batch of {total}"),
                entries,
            });
        });
    }
    Ok(BatchDone { results })
}

struct BatchGuard {
    finished: bool,
}

impl BatchGuard {
    fn close(&mut self) -> Vec<Entry> {
        JOURNAL
            .with_borrow_mut(|j| j.batch.take())
            .unwrap_or_default()
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        let entries = self.close();
        if self.finished {
            return;
        }
        let Ok(manager) = undo_manager() else {
            return;
        };
        for entry in entries.iter().rev() {
            if let Some(mut history) = manager.get_history_undo_redo(entry.history) {
                history.undo();
            }
        }
    }
}
