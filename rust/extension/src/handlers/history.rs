//! Undo and redo across the editor's histories, and batches as one step.
//!
//! Every action these tools commit is in the [`Journal`] with its history,
//! and `undo` reverts the last journalled step, however many actions and
//! histories it spans (a batch). When the editor's histories no longer match
//! the journal (the user edited by hand), `undo` falls back to the edited
//! scene's history.
//!
//! Steps move through each history's `UndoRedo`, because Godot binds
//! neither `EditorUndoRedoManager::undo_history` nor `redo_history`. The
//! manager's own per-history list of actions is therefore not popped: each
//! action undone here stays in it (about 150 bytes) until the history is
//! cleared, which the next edit does once all of its actions are undone
//! (see `undo::forget_undone`); and the editor's Edit > Redo does not offer
//! it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use godot::classes::{EditorUndoRedoManager, UndoRedo};
use godot::prelude::*;
use godot_mcp_protocol::commands::history::*;
use godot_mcp_protocol::router::Answer;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

use super::undo::{Entry, Journal, Step, global_id, undo_manager};
use super::{Ctx, edited_scene, target_scene};

pub fn undo(ctx: &mut Ctx, params: Undo) -> Result<HistoryStep, ErrorBody> {
    step(&mut ctx.journal, params.scene_path.as_deref(), false)
}

pub fn redo(ctx: &mut Ctx, params: Redo) -> Result<HistoryStep, ErrorBody> {
    step(&mut ctx.journal, params.scene_path.as_deref(), true)
}

fn step(
    journal: &mut Journal,
    scene_path: Option<&str>,
    forward: bool,
) -> Result<HistoryStep, ErrorBody> {
    let manager = undo_manager()?;
    // A journalled step (a whole batch) moves as one, named scene or not,
    // when it touched that scene's history.
    let scene_history = match scene_path {
        Some(path) => Some(manager.get_object_history_id(&target_scene(Some(path))?.root)),
        None => None,
    };
    if journal_moves(journal, scene_history, forward)
        && let Some(done) = replay_journal(&manager, journal, forward)
    {
        return Ok(done);
    }
    step_scene(&manager, journal, scene_path, forward)
}

/// Whether the next journalled step is the one to move: any step when no
/// scene is named, else one with an action in that scene's history.
fn journal_moves(journal: &Journal, scene_history: Option<i32>, forward: bool) -> bool {
    let next = if forward {
        journal.undone.last()
    } else {
        journal.done.last()
    };
    match (next, scene_history) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(step), Some(id)) => step.entries.iter().any(|e| e.history == id),
    }
}

/// Moves the last journalled step, if the editor's histories still agree
/// with the journal; forgets the journal when they do not.
fn replay_journal(
    manager: &Gd<EditorUndoRedoManager>,
    journal: &mut Journal,
    forward: bool,
) -> Option<HistoryStep> {
    let step = if forward {
        journal.undone.pop()
    } else {
        journal.done.pop()
    }?;
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
        *journal = Journal::default();
        return None;
    }
    let scene_path = step
        .entries
        .iter()
        .find(|e| e.history != global_id())
        .and_then(|_| edited_scene().map(|s| s.path));
    let label = step.label.clone();
    if forward {
        journal.done.push(step);
    } else {
        journal.undone.push(step);
    }
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
    journal: &mut Journal,
    scene_path: Option<&str>,
    forward: bool,
) -> Result<HistoryStep, ErrorBody> {
    let scene = target_scene(scene_path)?;
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
    let (from, to) = if forward {
        (&mut journal.undone, &mut journal.done)
    } else {
        (&mut journal.done, &mut journal.undone)
    };
    if from.last().is_some_and(|s| s.entries == [entry.clone()]) {
        to.extend(from.pop());
    }
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

/// A batch carried on over several frames: the steps left and the answers
/// so far. While one is open, other edits wait (see `Ctx::holds_edits`), so
/// its steps stay together in the histories.
pub struct OpenBatch {
    steps: std::iter::Enumerate<std::vec::IntoIter<BatchCommand>>,
    total: usize,
    results: Vec<Value>,
    outcome: Outcome,
}

type Outcome = Rc<RefCell<Option<Result<BatchDone, ErrorBody>>>>;

/// How long a batch may take to answer: its steps never wait on anything
/// but frames.
pub const BATCH_DEADLINE: Duration = Duration::from_secs(25);

/// Time a batch runs steps in its first frame; later frames give it the
/// dispatcher's budget.
const FIRST_SLICE: Duration = Duration::from_millis(4);

pub fn batch(ctx: &mut Ctx, params: Batch) -> Result<Answer<BatchDone>, ErrorBody> {
    // A batch inside a batch would take over the outer one's journal.
    if ctx.journal.batch.is_some() {
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
    if params.commands.len() > MAX_BATCH_STEPS {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!(
                "batch has {} commands, at most {MAX_BATCH_STEPS} are allowed",
                params.commands.len()
            ),
        )
        .with_hint("split the work into several batches"));
    }
    ctx.journal.batch = Some(Vec::new());
    let outcome = Outcome::default();
    let total = params.commands.len();
    ctx.open_batch = Some(OpenBatch {
        steps: params.commands.into_iter().enumerate(),
        total,
        results: Vec::with_capacity(total),
        outcome: outcome.clone(),
    });
    resume_batch(ctx, Instant::now() + FIRST_SLICE);
    if let Some(done) = outcome.borrow_mut().take() {
        return done.map(Answer::Now);
    }
    Ok(Answer::Later {
        poll: Box::new(move || outcome.borrow_mut().take()),
        waiting_for: "the batch's steps",
    })
}

/// Runs the open batch's steps until `until` (at least one); true while
/// steps remain for a later frame.
pub fn resume_batch(ctx: &mut Ctx, until: Instant) -> bool {
    let Some(mut open) = ctx.open_batch.take() else {
        return false;
    };
    let router = super::router();
    let mut first = true;
    while first || Instant::now() < until {
        first = false;
        let Some((i, command)) = open.steps.next() else {
            let entries = ctx.journal.batch.take().unwrap_or_default();
            if !entries.is_empty() {
                ctx.journal.undone.clear();
                ctx.journal.done.push(Step {
                    label: format!("MCP: batch of {}", open.total),
                    entries,
                });
            }
            let results = std::mem::take(&mut open.results);
            *open.outcome.borrow_mut() = Some(Ok(BatchDone { results }));
            return false;
        };
        // A panicking step fails the batch like an error, so it is rolled back too.
        let outcome = crate::dispatch::guarded(&command.action, || {
            router
                .route(&command.action)
                .and_then(|route| route.call_now(ctx, Value::Object(command.params)))
        });
        match outcome {
            // Each step's answer is already text; the batch answer nests them.
            Ok(result) => open
                .results
                .push(serde_json::from_str(result.get()).unwrap_or(Value::Null)),
            Err(e) => {
                let undone = roll_back(ctx.journal.batch.take().unwrap_or_default());
                *open.outcome.borrow_mut() = Some(Err(ErrorBody {
                    message: format!(
                        "step {} of {} ({}) failed, {undone}: {}",
                        i + 1,
                        open.total,
                        command.action,
                        e.message
                    ),
                    ..e
                }));
                return false;
            }
        }
    }
    ctx.open_batch = Some(open);
    true
}

/// Undoes a failed batch's committed actions, last first, and says how
/// that went. It stops at an action that is not the batch's: someone else
/// edited in between, and undoing theirs is not ours to do.
fn roll_back(entries: Vec<Entry>) -> String {
    let Ok(manager) = undo_manager() else {
        return "earlier steps not rolled back (no undo manager)".into();
    };
    for (done, entry) in entries.iter().rev().enumerate() {
        let Some(mut history) = manager.get_history_undo_redo(entry.history) else {
            continue;
        };
        if history.get_current_action_name().to_string() != entry.action {
            return format!(
                "{done} of {} earlier actions rolled back (another edit came between; undo it first)",
                entries.len()
            );
        }
        history.undo();
    }
    "earlier steps rolled back".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(histories: &[i32]) -> Step {
        Step {
            label: "MCP: batch".into(),
            entries: histories
                .iter()
                .map(|&history| Entry {
                    history,
                    action: "MCP: add".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_named_scene_moves_the_journalled_step_that_touched_it() {
        let journal = Journal {
            done: vec![step(&[0, 3, 3])],
            undone: vec![step(&[4])],
            ..Journal::default()
        };
        assert!(journal_moves(&journal, None, false));
        assert!(journal_moves(&journal, Some(3), false));
        assert!(!journal_moves(&journal, Some(4), false));
        assert!(journal_moves(&journal, Some(4), true));
        assert!(!journal_moves(&Journal::default(), None, false));
    }
}
