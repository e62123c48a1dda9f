//! Edits as transactions on the editor's undo history.
//!
//! A handler opens an [`UndoAction`], records what doing and undoing the
//! edit calls, and commits it. Nothing reaches the editor's history before
//! the commit, so a handler that returns an error or panics first leaves no
//! half-done action behind; a new node it recorded is freed. Each commit is
//! written in the [`Journal`], which `undo`, `redo` and `batch` read: the
//! editor keeps one history per scene and one for the project, and its own
//! Ctrl+Z picks between them by time, which the API does not expose.

use godot::classes::{
    EditorUndoRedoManager, Node, Object, editor_undo_redo_manager::SpecialHistory,
};
use godot::obj::{EngineEnum, Inherits};
use godot::prelude::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::{edited_scene, editor_interface};

/// One committed action and the history it went into.
#[derive(Clone, PartialEq)]
pub(super) struct Entry {
    pub history: i32,
    pub action: String,
}

/// What one `undo` reverts: a single call's action, or a whole batch.
pub(super) struct Step {
    pub label: String,
    pub entries: Vec<Entry>,
}

/// The actions these tools committed, in order, for `undo` and `redo`.
#[derive(Default)]
pub struct Journal {
    pub(super) done: Vec<Step>,
    pub(super) undone: Vec<Step>,
    /// Entries of the batch being run, if any.
    pub(super) batch: Option<Vec<Entry>>,
}

impl Journal {
    /// Records a committed action: into the running batch, or as a step.
    fn record(&mut self, entry: Entry) {
        match &mut self.batch {
            Some(batch) => batch.push(entry),
            None => {
                self.undone.clear();
                self.done.push(Step {
                    label: entry.action.clone(),
                    entries: vec![entry],
                });
            }
        }
    }
}

enum Op {
    DoMethod(Gd<Object>, String, Vec<Variant>),
    UndoMethod(Gd<Object>, String, Vec<Variant>),
    DoProperty(Gd<Object>, String, Variant),
    UndoProperty(Gd<Object>, String, Variant),
    DoReference(Gd<Object>),
    UndoReference(Gd<Object>),
}

/// An undoable editor action being recorded; it reaches the editor's
/// history only through [`UndoAction::commit`].
#[must_use = "an undo action does nothing until it is committed"]
pub struct UndoAction {
    manager: Gd<EditorUndoRedoManager>,
    name: String,
    ops: Vec<Op>,
    /// Whether the action is open in the editor (see [`UndoAction::open_while`]).
    open: bool,
    committed: bool,
}

/// Opens an undoable editor action named `MCP: <name>`.
pub(super) fn undo_action(name: &str) -> Result<UndoAction, ErrorBody> {
    Ok(UndoAction {
        manager: undo_manager()?,
        name: format!("MCP: {name}"),
        ops: Vec::new(),
        open: false,
        committed: false,
    })
}

fn object<T: Inherits<Object>>(o: &Gd<T>) -> Gd<Object> {
    o.clone().upcast()
}

impl UndoAction {
    pub fn add_do_method<T: Inherits<Object>>(
        &mut self,
        o: &Gd<T>,
        method: &str,
        args: &[Variant],
    ) {
        self.push(Op::DoMethod(object(o), method.into(), args.to_vec()));
    }

    pub fn add_undo_method<T: Inherits<Object>>(
        &mut self,
        o: &Gd<T>,
        method: &str,
        args: &[Variant],
    ) {
        self.push(Op::UndoMethod(object(o), method.into(), args.to_vec()));
    }

    pub fn add_do_property<T: Inherits<Object>>(
        &mut self,
        o: &Gd<T>,
        property: &str,
        value: &Variant,
    ) {
        self.push(Op::DoProperty(object(o), property.into(), value.clone()));
    }

    pub fn add_undo_property<T: Inherits<Object>>(
        &mut self,
        o: &Gd<T>,
        property: &str,
        value: &Variant,
    ) {
        self.push(Op::UndoProperty(object(o), property.into(), value.clone()));
    }

    /// Keeps `o`, created for this action, alive as long as the history needs it.
    pub fn add_do_reference<T: Inherits<Object>>(&mut self, o: &Gd<T>) {
        self.push(Op::DoReference(object(o)));
    }

    pub fn add_undo_reference<T: Inherits<Object>>(&mut self, o: &Gd<T>) {
        self.push(Op::UndoReference(object(o)));
    }

    /// Records putting a new `node` (kept alive by the history) under
    /// `parent`, owned by the scene `root` so that it is saved.
    pub fn add_new_child(&mut self, parent: &Gd<Node>, node: &Gd<Node>, root: &Gd<Node>) {
        self.add_do_method(parent, "add_child", vslice![node.clone(), true]);
        self.add_do_method(node, "set_owner", vslice![root.clone()]);
        self.add_do_reference(node);
        self.add_undo_method(parent, "remove_child", vslice![node.clone()]);
    }

    fn push(&mut self, op: Op) {
        if self.open {
            apply(&mut self.manager, op);
        } else {
            self.ops.push(op);
        }
    }

    /// Opens the action in the editor and runs `f`, so that actions the
    /// editor's own APIs create inside `f` join this one. From here on the
    /// action is live: if it is dropped uncommitted, it is committed and
    /// undone at once, so the history still holds nothing half-done.
    pub fn open_while(&mut self, f: impl FnOnce()) {
        self.open_in_editor();
        f();
    }

    fn open_in_editor(&mut self) {
        if !self.open {
            self.open = true;
            if let Some(first) = self.ops.first() {
                forget_undone(&mut self.manager, first.object());
            }
            self.manager.create_action(&self.name);
            for op in std::mem::take(&mut self.ops) {
                apply(&mut self.manager, op);
            }
        }
    }

    /// Hands the action to the editor, which does it, and journals it.
    pub fn commit(mut self, journal: &mut Journal) {
        self.open_in_editor();
        self.committed = true;
        let mut manager = self.manager.clone();
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
        if let Some(undo_redo) = manager.get_history_undo_redo(history) {
            journal.record(Entry {
                history,
                action: undo_redo.get_current_action_name().to_string(),
            });
        }
    }
}

impl Drop for UndoAction {
    /// An action dropped before its commit never reached the history; a
    /// node made for it, in no tree, would leak.
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if self.open {
            let before = global_version(&self.manager);
            self.manager.commit_action();
            let history = if global_version(&self.manager) != before {
                Some(global_id())
            } else {
                edited_scene().map(|s| self.manager.get_object_history_id(&s.root))
            };
            if let Some(mut h) = history.and_then(|id| self.manager.get_history_undo_redo(id)) {
                h.undo();
            }
            return;
        }
        for op in self.ops.drain(..) {
            if let Op::DoReference(o) = op
                && let Ok(node) = o.try_cast::<Node>()
                && node.get_parent().is_none()
                && !node.is_inside_tree()
            {
                node.free();
            }
        }
    }
}

impl Op {
    fn object(&self) -> &Gd<Object> {
        match self {
            Op::DoMethod(o, ..)
            | Op::UndoMethod(o, ..)
            | Op::DoProperty(o, ..)
            | Op::UndoProperty(o, ..)
            | Op::DoReference(o)
            | Op::UndoReference(o) => o,
        }
    }
}

/// Steps undone through a history's `UndoRedo` stay in the manager's own
/// list for that history (see `history.rs`), about 150 bytes each. When
/// every action of the history a new action goes to (the one its first
/// object picks) is undone, committing would drop them all anyway; clearing
/// the history first also frees that list, and loses nothing. Godot tells
/// a saved scene by its history's version, which clearing moves so that a
/// later version may match the saved one by chance: the scene is marked
/// unsaved outright. Only the project's and the edited scene's histories
/// are looked at: they always exist, and asking for one that does not
/// prints an engine error.
fn forget_undone(manager: &mut Gd<EditorUndoRedoManager>, first: &Gd<Object>) {
    let id = manager.get_object_history_id(first);
    let scene = id != global_id();
    let known =
        !scene || edited_scene().is_some_and(|s| manager.get_object_history_id(&s.root) == id);
    if known
        && manager
            .get_history_undo_redo(id)
            .is_some_and(|h| !h.has_undo() && h.has_redo())
    {
        manager
            .clear_history_ex()
            .id(id)
            .increase_version(true)
            .done();
        if scene {
            editor_interface().mark_scene_as_unsaved();
        }
    }
}

fn apply(manager: &mut Gd<EditorUndoRedoManager>, op: Op) {
    match op {
        Op::DoMethod(o, m, args) => manager.add_do_method(&o, m.as_str(), &args),
        Op::UndoMethod(o, m, args) => manager.add_undo_method(&o, m.as_str(), &args),
        Op::DoProperty(o, p, v) => manager.add_do_property(&o, p.as_str(), &v),
        Op::UndoProperty(o, p, v) => manager.add_undo_property(&o, p.as_str(), &v),
        Op::DoReference(o) => manager.add_do_reference(&o),
        Op::UndoReference(o) => manager.add_undo_reference(&o),
    }
}

fn global_version(manager: &Gd<EditorUndoRedoManager>) -> Option<u64> {
    manager
        .get_history_undo_redo(global_id())
        .map(|h| h.get_version())
}

/// The id of the project's own (global) history.
pub(super) fn global_id() -> i32 {
    SpecialHistory::GLOBAL_HISTORY.ord()
}

pub(super) fn undo_manager() -> Result<Gd<EditorUndoRedoManager>, ErrorBody> {
    editor_interface()
        .get_editor_undo_redo()
        .ok_or_else(|| ErrorBody::new(ErrorCode::GodotError, "the editor has no undo manager"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> Entry {
        Entry {
            history: 1,
            action: action.into(),
        }
    }

    #[test]
    fn a_commit_is_one_step_and_forgets_what_was_undone() {
        let mut journal = Journal::default();
        journal.undone.push(Step {
            label: "old".into(),
            entries: vec![entry("old")],
        });
        journal.record(entry("MCP: add A"));
        assert_eq!(journal.done.len(), 1);
        assert_eq!(journal.done[0].label, "MCP: add A");
        assert!(journal.undone.is_empty(), "a new edit ends the redo chain");
    }

    #[test]
    fn commits_in_a_batch_wait_in_it() {
        let mut journal = Journal {
            batch: Some(Vec::new()),
            ..Journal::default()
        };
        journal.record(entry("MCP: add A"));
        journal.record(entry("MCP: add B"));
        assert!(journal.done.is_empty());
        assert_eq!(journal.batch.map(|b| b.len()), Some(2));
    }
}
