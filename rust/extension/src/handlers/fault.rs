//! A handler that records an edit and then panics, built only with the
//! `test-panic` feature and never listed in the catalog: the e2e suite
//! proves with it that the dispatch boundary leaves the editor as it was.

use godot::classes::Node;
use godot::prelude::*;
use godot_mcp_protocol::catalog::{Command, Toolset};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde::Deserialize;

use super::undo::undo_action;
use super::{Ctx, edited_scene};

/// The action name the raw test client sends.
pub const NAME: &str = "test_panic";

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestPanic {}

impl Command for TestPanic {
    const NAME: &'static str = NAME;
    const TITLE: &'static str = "Panic";
    const TOOLSET: Toolset = Toolset::Nodes;
    const READ_ONLY: bool = false;
    const DESTRUCTIVE: bool = false;
    const IDEMPOTENT: bool = false;
    type Output = ();
}

/// Starts an undo action that adds a node and changes the root, then panics
/// before committing it.
pub fn test_panic(_: &mut Ctx, _: TestPanic) -> Result<(), ErrorBody> {
    let scene = edited_scene().ok_or_else(|| {
        ErrorBody::new(ErrorCode::EditorNotReady, "no scene is open").with_hint("open a scene")
    })?;
    let mut node = Node::new_alloc();
    node.set_name("Panicked");
    let mut undo = undo_action("panic")?;
    undo.add_new_child(&scene.root, &node, &scene.root);
    let before = scene.root.get("editor_description");
    undo.add_do_property(&scene.root, "editor_description", &"half done".to_variant());
    undo.add_undo_property(&scene.root, "editor_description", &before);
    panic!("a deliberate panic halfway through an edit");
}
