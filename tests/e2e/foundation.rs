//! Every foundation command through MCP, checked in the editor's answers and
//! in the files it saves.

use std::future::Future;
use std::pin::Pin;

use godot_mcp_e2e::{
    Editor, EditorOptions, Mcp, TestResult, free_port, godot_binary, run_game_headless,
    sample_project_copy,
};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Value, json};

use crate::{Suite, ensure};

/// Adds files to a project copy before its editor starts.
pub type Prepare = fn(&std::path::Path) -> Result<(), String>;

/// Reads a run's output until `done` holds, for up to `within`.
pub(crate) async fn follow(
    f: &F,
    run_id: u64,
    within: std::time::Duration,
    done: impl Fn(&Value) -> bool,
) -> Result<Value, String> {
    let start = std::time::Instant::now();
    loop {
        let out = f
            .call_ok("get_game_output", json!({"run_id": run_id}))
            .await?;
        if done(&out) {
            return Ok(out);
        }
        if start.elapsed() > within {
            return Err(format!("gave up waiting: {out}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A running editor with an MCP session to it, shared by a module's tests.
pub struct F {
    pub mcp: Mcp,
    pub editor: Editor,
}

macro_rules! test_fn {
    ($name:ident, |$f:ident| $body:block) => {
        fn $name($f: &F) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
            Box::pin(async move { $body })
        }
    };
}
pub(crate) use test_fn;

/// Asserts that a call failed with `code`, returning the error.
pub(crate) fn expect_code(
    result: Result<Value, ErrorBody>,
    code: ErrorCode,
) -> Result<ErrorBody, String> {
    match result {
        Ok(v) => Err(format!("expected {code}, got success: {v}")),
        Err(e) if e.code == code => {
            ensure!(!e.message.is_empty(), "empty message");
            ensure!(
                e.hint.as_deref().is_some_and(|h| !h.is_empty()),
                "{code} without a hint: {e}"
            );
            Ok(e)
        }
        Err(e) => Err(format!("expected {code}, got {e}")),
    }
}

pub fn ok(result: Result<Value, ErrorBody>) -> Result<Value, String> {
    result.map_err(|e| format!("unexpected error: {e}"))
}

impl F {
    /// Starts an editor on a fresh copy of the sample project, and MCP to it.
    pub async fn start(tag: &str) -> Result<F, String> {
        Self::start_with(tag, |_| Ok(())).await
    }

    /// Like [`F::start`], with `prepare` adding files to the project copy
    /// before the editor opens it.
    pub async fn start_with(tag: &str, prepare: Prepare) -> Result<F, String> {
        let project = sample_project_copy(tag)?;
        prepare(&project)?;
        // The game started from a headless editor has no display either.
        run_game_headless(&project)?;
        let editor = Editor::start(&godot_binary()?, &project, EditorOptions::default())?;
        let mcp = Mcp::start(editor.port).await?;
        Ok(F { mcp, editor })
    }

    /// Runs `tests` (those the filter selects) against an editor of their
    /// own, started only when at least one is selected.
    pub async fn run_tests(
        tag: &str,
        suite: &mut Suite,
        filter: Option<&str>,
        tests: &[(&str, crate::TestFn<'_, F>)],
    ) {
        Self::run_tests_with(tag, |_| Ok(()), suite, filter, tests).await;
    }

    /// Like [`F::run_tests`], on a project `prepare` adds files to.
    pub async fn run_tests_with(
        tag: &str,
        prepare: Prepare,
        suite: &mut Suite,
        filter: Option<&str>,
        tests: &[(&str, crate::TestFn<'_, F>)],
    ) {
        if filter.is_some_and(|f| !tests.iter().any(|(name, _)| name.contains(f))) {
            return;
        }
        let f = match F::start_with(tag, prepare).await {
            Ok(f) => f,
            Err(e) => return suite.fail(&format!("{tag}_editor_starts"), &e),
        };
        suite.run_all(&f, filter, tests).await;
        let F { mcp, mut editor } = f;
        mcp.close().await;
        editor.kill();
    }

    /// The editor log's cursor after its last entry, read page by page.
    pub async fn log_end(&self) -> Result<u64, String> {
        let mut since = 0;
        loop {
            let log = self
                .call_ok("get_editor_log", json!({"since": since, "level": "error"}))
                .await?;
            since = log["next"].as_u64().ok_or("no next")?;
            if log["more"] == false {
                return Ok(since);
            }
        }
    }

    /// Calls a tool that must succeed; an error names the tool.
    pub async fn call_ok(&self, name: &str, args: Value) -> Result<Value, String> {
        ok(self.call(name, args).await).map_err(|e| format!("{name}: {e}"))
    }

    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ErrorBody> {
        self.mcp.call(name, args).await
    }

    /// Calls a tool that must fail with `code` (and a message and hint).
    pub async fn fails(
        &self,
        name: &str,
        args: Value,
        code: ErrorCode,
    ) -> Result<ErrorBody, String> {
        expect_code(self.call(name, args).await, code)
    }

    /// Calls each `(tool, arguments, code)` in turn; each must fail with its code.
    async fn fails_each(&self, cases: &[(&str, Value, ErrorCode)]) -> Result<(), String> {
        for (name, args, code) in cases {
            self.fails(name, args.clone(), *code)
                .await
                .map_err(|e| format!("{name} {args}: {e}"))?;
        }
        Ok(())
    }

    pub fn file(&self, res: &str) -> Result<String, String> {
        let path = self.editor.project.join(res.trim_start_matches("res://"));
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))
    }
}

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    // Without an editor: the tool list is complete and calls say how to start one.
    match Mcp::start(free_port()).await {
        Ok(mcp) => {
            suite
                .run(&mcp, "tools_listed_without_editor", tools_listed)
                .await;
            suite
                .run(&mcp, "call_without_editor_says_how_to_start_one", no_editor)
                .await;
            mcp.close().await;
        }
        Err(e) => suite.fail("shim_starts", &e),
    }

    let started = F::start("foundation").await;
    let f = match started {
        Ok(f) => f,
        Err(e) => return suite.fail("editor_starts", &e),
    };
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        ("get_editor_state", editor_state),
        ("get_project_info", project_info),
        ("create_scene", create_scene),
        ("create_scene_errors", create_scene_errors),
        ("add_node_with_properties", add_node),
        ("add_node_errors", add_node_errors),
        ("edit_node_value_forms", edit_node),
        ("edit_node_errors", edit_node_errors),
        ("write_and_attach_script", scripts),
        ("script_errors", script_errors),
        ("remove_node", remove_node),
        ("each_edit_is_one_undo_step", undo_redo),
        ("save_scene_writes_tscn", save_scene),
        ("tree_values_round_trip", round_trip),
        ("scene_path_opens_other_scene", other_scene),
        ("open_scene_errors", open_scene_errors),
        ("save_scene_as_new_path", save_as),
        ("run_and_stop_project", run_and_stop),
        ("editor_log_has_no_errors", no_errors_logged),
    ];
    suite.run_all(&f, filter, tests).await;
    let F { mcp, mut editor } = f;
    mcp.close().await;
    editor.kill();
}

fn tools_listed(mcp: &Mcp) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let tools = mcp.tools().await?;
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        for expected in [
            "get_editor_state",
            "get_project_info",
            "create_scene",
            "open_scene",
            "save_scene",
            "get_scene_tree",
            "add_node",
            "edit_node",
            "remove_node",
            "write_script",
            "attach_script",
            "run_project",
            "stop_project",
            "undo",
            "redo",
        ] {
            ensure!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        // A model pays for the whole list in every conversation.
        let bytes = serde_json::to_vec(&json!({ "tools": tools }))
            .map_err(|e| e.to_string())?
            .len();
        println!("    tools/list: {} tools, {bytes} bytes", tools.len());
        ensure!(bytes < 48 * 1024, "tools/list is {bytes} bytes, over 48 KB");
        let add = tools.iter().find(|t| t.name == "add_node").unwrap();
        let props = &add.input_schema["properties"];
        for p in ["scene_path", "parent", "type", "name", "properties"] {
            ensure!(props.get(p).is_some(), "add_node schema lacks {p}: {props}");
        }
        ensure!(
            add.input_schema["required"] == json!(["type", "name"]),
            "required: {}",
            add.input_schema["required"]
        );
        Ok(())
    })
}

fn no_editor(mcp: &Mcp) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let e = expect_code(
            mcp.call("get_editor_state", json!({})).await,
            ErrorCode::EditorNotConnected,
        )?;
        ensure!(
            e.hint.unwrap().contains("Godot"),
            "hint should say how to start an editor"
        );
        // Parameters are still validated locally.
        expect_code(
            mcp.call("add_node", json!({"type": 3})).await,
            ErrorCode::InvalidParams,
        )?;
        Ok(())
    })
}

test_fn!(editor_state, |f| {
    let s = ok(f.call("get_editor_state", json!({})).await)?;
    ensure!(
        s["godot_version"].as_str().unwrap_or("").starts_with("4."),
        "version: {s}"
    );
    ensure!(s["project_name"] == "godot-mcp sample", "name: {s}");
    ensure!(s["playing"] == false, "playing: {s}");
    ensure!(s["dispatch"]["cap_per_frame"] == 32, "cap: {s}");
    Ok(())
});

test_fn!(project_info, |f| {
    let p = ok(f.call("get_project_info", json!({})).await)?;
    ensure!(p["main_scene"] == "res://scenes/main.tscn", "{p}");
    let scenes = p["scenes"].as_array().cloned().unwrap_or_default();
    ensure!(scenes.contains(&json!("res://scenes/player.tscn")), "{p}");
    ensure!(
        p["scripts"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("res://scripts/player.gd"))),
        "{p}"
    );
    Ok(())
});

test_fn!(create_scene, |f| {
    let r = ok(f
        .call("create_scene", json!({"scene_path": "res://levels/level_1.tscn", "root_type": "Node2D", "root_name": "Level"}))
        .await)?;
    ensure!(
        r["scene_path"] == "res://levels/level_1.tscn" && r["root_name"] == "Level",
        "{r}"
    );
    let text = f.file("res://levels/level_1.tscn")?;
    ensure!(
        text.contains("[node name=\"Level\" type=\"Node2D\""),
        "file: {text}"
    );
    let s = ok(f.call("get_editor_state", json!({})).await)?;
    ensure!(
        s["edited_scene"] == "res://levels/level_1.tscn",
        "not opened: {s}"
    );
    // Default root name from the file name.
    let r = ok(f
        .call(
            "create_scene",
            json!({"scene_path": "ui/main_menu.tscn", "root_type": "Control"}),
        )
        .await)?;
    ensure!(
        r["root_name"] == "MainMenu" && r["scene_path"] == "res://ui/main_menu.tscn",
        "{r}"
    );
    ok(f.call(
        "open_scene",
        json!({"scene_path": "res://levels/level_1.tscn"}),
    )
    .await)?;
    Ok(())
});

test_fn!(create_scene_errors, |f| {
    let base = |path: &str, ty: &str| json!({"scene_path": path, "root_type": ty});
    f.fails(
        "create_scene",
        base("res://levels/level_1.tscn", "Node2D"),
        ErrorCode::SceneExists,
    )
    .await?;
    let e = f
        .fails(
            "create_scene",
            base("res://x.tscn", "Sprite"),
            ErrorCode::InvalidNodeType,
        )
        .await?;
    ensure!(e.hint.unwrap().contains("Sprite2D"), "suggests Sprite2D");
    f.fails_each(&[
        (
            "create_scene",
            base("res://x.tscn", "Resource"),
            ErrorCode::InvalidNodeType,
        ),
        (
            "create_scene",
            base("res://x.tscn", "CanvasItem"),
            ErrorCode::InvalidNodeType,
        ),
        (
            "create_scene",
            base("res://../x.tscn", "Node"),
            ErrorCode::InvalidPath,
        ),
        (
            "create_scene",
            base("/tmp/x.tscn", "Node"),
            ErrorCode::InvalidPath,
        ),
        (
            "create_scene",
            base("res://x.gd", "Node"),
            ErrorCode::InvalidPath,
        ),
        (
            "create_scene",
            json!({"scene_path": "res://x.tscn"}),
            ErrorCode::InvalidParams,
        ),
    ])
    .await?;
    ensure!(
        !f.editor.project.join("x.tscn").exists(),
        "a failed create left a file"
    );
    Ok(())
});

test_fn!(add_node, |f| {
    let r = ok(f
        .call(
            "add_node",
            json!({"type": "Sprite2D", "name": "Hero", "properties": {"position": [10, 20], "modulate": "#ff0000"}}),
        )
        .await)?;
    ensure!(r["node_path"] == "Hero" && r["type"] == "Sprite2D", "{r}");
    ensure!(r["properties"]["position"] == "Vector2(10, 20)", "{r}");
    ensure!(r["properties"]["modulate"] == "Color(1, 0, 0, 1)", "{r}");
    ok(
        f.call("add_node", json!({"type": "Node2D", "name": "Group"}))
            .await,
    )?;
    let r = ok(f
        .call("add_node", json!({"parent": "Group", "type": "Label", "name": "Title", "properties": {"text": "Hi"}}))
        .await)?;
    ensure!(r["node_path"] == "Group/Title", "{r}");
    // The root's own name as a path prefix also works.
    let r = ok(f
        .call(
            "add_node",
            json!({"parent": "Level/Group", "type": "Marker2D", "name": "Spawn"}),
        )
        .await)?;
    ensure!(r["node_path"] == "Group/Spawn", "{r}");
    ok(f.call(
        "add_node",
        json!({"type": "RemoteTransform2D", "name": "Follow"}),
    )
    .await)?;
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    ensure!(tree["node_count"] == 6, "tree: {tree}");
    let children: Vec<&str> = tree["root"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    ensure!(
        children == ["Hero", "Group", "Follow"],
        "children: {children:?}"
    );
    Ok(())
});

test_fn!(add_node_errors, |f| {
    let before = ok(f.call("get_scene_tree", json!({})).await)?["node_count"].clone();
    f.fails_each(&[
        (
            "add_node",
            json!({"type": "NoSuchNode", "name": "A"}),
            ErrorCode::InvalidNodeType,
        ),
        (
            "add_node",
            json!({"type": "Node", "name": "A", "parent": "Missing"}),
            ErrorCode::NodeNotFound,
        ),
        (
            "add_node",
            json!({"type": "Node", "name": "Hero"}),
            ErrorCode::NodeExists,
        ),
        (
            "add_node",
            json!({"type": "Node", "name": "a/b"}),
            ErrorCode::InvalidParams,
        ),
    ])
    .await?;
    let e = f
        .fails(
            "add_node",
            json!({"type": "Node2D", "name": "A", "properties": {"position": "left"}}),
            ErrorCode::InvalidValue,
        )
        .await?;
    ensure!(
        e.message.contains("position")
            && e.message.contains("Vector2")
            && e.message.contains("left"),
        "{e}"
    );
    let e = f
        .fails(
            "add_node",
            json!({"type": "Node2D", "name": "A", "properties": {"positon": [1, 2]}}),
            ErrorCode::PropertyNotFound,
        )
        .await?;
    ensure!(e.hint.unwrap().contains("position"), "suggests position");
    f.fails(
        "add_node",
        json!({"type": "Node2D", "name": "A", "colour": 1}),
        ErrorCode::InvalidParams,
    )
    .await?;
    let after = ok(f.call("get_scene_tree", json!({})).await)?["node_count"].clone();
    ensure!(
        before == after,
        "a failed add changed the scene: {before} -> {after}"
    );
    Ok(())
});

test_fn!(edit_node, |f| {
    let edits = json!({
        "position": "Vector2(30, 40)",
        "rotation": 0.5,
        "scale": {"x": 2, "y": 3},
        "self_modulate": {"r": 0, "g": 1, "b": 0, "a": 0.5},
        "z_index": 3,
        "visible": false,
    });
    let r = ok(f
        .call(
            "edit_node",
            json!({"node_path": "Hero", "properties": edits}),
        )
        .await)?;
    let p = &r["properties"];
    ensure!(
        p["position"] == "Vector2(30, 40)" && p["scale"] == "Vector2(2, 3)",
        "{r}"
    );
    ensure!(
        p["self_modulate"] == "Color(0, 1, 0, 0.5)" && p["rotation"] == 0.5,
        "{r}"
    );
    ensure!(p["z_index"] == 3 && p["visible"] == false, "{r}");
    ensure!(
        r["previous"]["position"] == "Vector2(10, 20)",
        "previous: {r}"
    );
    // Enums by name, NodePath and Transform2D in constructor syntax, arrays for Rect2.
    let r = ok(f
        .call("edit_node", json!({"node_path": "Group/Title", "properties": {"horizontal_alignment": "Center", "text": "Ready"}}))
        .await)?;
    ensure!(r["properties"]["horizontal_alignment"] == 1, "{r}");
    let r = ok(f
        .call("edit_node", json!({"node_path": "Follow", "properties": {"remote_path": "NodePath(\"../Target\")", "transform": "Transform2D(1, 0, 0, 1, 5, 6)"}}))
        .await)?;
    ensure!(r["properties"]["remote_path"] == "../Target", "{r}");
    ensure!(
        r["properties"]["transform"] == "Transform2D(1, 0, 0, 1, 5, 6)",
        "{r}"
    );
    let r = ok(f
        .call("edit_node", json!({"node_path": "Hero", "properties": {"region_rect": [0, 0, 16, 16], "region_enabled": true, "texture": "res://icon.svg"}}))
        .await)?;
    ensure!(
        r["properties"]["region_rect"] == "Rect2(0, 0, 16, 16)",
        "{r}"
    );
    ensure!(r["properties"]["texture"] == "res://icon.svg", "{r}");
    Ok(())
});

test_fn!(edit_node_errors, |f| {
    let e = f.fails("edit_node", json!({"node_path": "Hero", "properties": {"rotation": 1.0, "position": "Vector3(1, 2, 3)"}}), ErrorCode::InvalidValue).await?;
    ensure!(e.message.contains("position"), "{e}");
    // Nothing from a rejected call is applied.
    let tree = ok(f
        .call("get_scene_tree", json!({"include_properties": true}))
        .await)?;
    let hero = &tree["root"]["children"][0];
    ensure!(
        hero["properties"]["rotation"] == 0.5,
        "a rejected edit was partly applied: {hero}"
    );
    let e = f
        .fails(
            "edit_node",
            json!({"node_path": "Group/Title", "properties": {"horizontal_alignment": "Middle"}}),
            ErrorCode::InvalidValue,
        )
        .await?;
    ensure!(e.hint.unwrap().contains("Center"), "enum hint lists names");
    f.fails_each(&[
        (
            "edit_node",
            json!({"node_path": "Hero", "properties": {"texture": "res://nope.png"}}),
            ErrorCode::InvalidValue,
        ),
        (
            "edit_node",
            json!({"node_path": "Hero", "properties": {"texture": "res://scripts/player.gd"}}),
            ErrorCode::InvalidValue,
        ),
        (
            "edit_node",
            json!({"node_path": "Nobody", "properties": {"visible": true}}),
            ErrorCode::NodeNotFound,
        ),
        (
            "edit_node",
            json!({"node_path": "Hero", "properties": {"visible": "maybe"}}),
            ErrorCode::InvalidValue,
        ),
        (
            "edit_node",
            json!({"node_path": "Hero", "properties": {"no_such": 1}}),
            ErrorCode::PropertyNotFound,
        ),
        (
            "edit_node",
            json!({"node_path": "Hero"}),
            ErrorCode::InvalidParams,
        ),
    ])
    .await?;
    Ok(())
});

test_fn!(scripts, |f| {
    let source = "extends Sprite2D\n\n@export var hp := 3\n\n\nfunc _ready() -> void:\n\tprint(\"hero ready\")\n";
    let r = ok(f
        .call(
            "write_script",
            json!({"script_path": "res://scripts/hero.gd", "content": source}),
        )
        .await)?;
    ensure!(r["created"] == true && r["bytes"] == source.len(), "{r}");
    ensure!(
        f.file("res://scripts/hero.gd")? == source,
        "file content differs"
    );
    let r = ok(f
        .call(
            "attach_script",
            json!({"node_path": "Hero", "script_path": "res://scripts/hero.gd"}),
        )
        .await)?;
    ensure!(
        r["node_path"] == "Hero" && r["script_path"] == "res://scripts/hero.gd",
        "{r}"
    );
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    ensure!(
        tree["root"]["children"][0]["script"] == "res://scripts/hero.gd",
        "{tree}"
    );
    // Overwriting reports it and the attached script sees the new text.
    let v2 = source.replace(":= 3", ":= 5");
    let r = ok(f
        .call(
            "write_script",
            json!({"script_path": "scripts/hero.gd", "content": v2}),
        )
        .await)?;
    ensure!(r["created"] == false, "{r}");
    let r = ok(f
        .call(
            "get_node_properties",
            json!({"node_path": "Hero", "names": ["hp"]}),
        )
        .await)?;
    ensure!(
        r["properties"][0]["value"] == 5 && r["properties"][0]["changed"] == false,
        "script not reloaded: {r}"
    );
    // At the script's own default, hp is no change to the scene.
    let tree = ok(f
        .call("get_scene_tree", json!({"include_properties": true}))
        .await)?;
    ensure!(
        tree["root"]["children"][0]["properties"]
            .get("hp")
            .is_none(),
        "{}",
        tree["root"]["children"][0]
    );
    Ok(())
});

test_fn!(script_errors, |f| {
    f.fails_each(&[
        (
            "attach_script",
            json!({"node_path": "Hero", "script_path": "res://scripts/none.gd"}),
            ErrorCode::ScriptNotFound,
        ),
        (
            "attach_script",
            json!({"node_path": "Nope", "script_path": "res://scripts/hero.gd"}),
            ErrorCode::NodeNotFound,
        ),
        // player.gd extends CharacterBody2D: not for a Label.
        (
            "attach_script",
            json!({"node_path": "Group/Title", "script_path": "res://scripts/player.gd"}),
            ErrorCode::InvalidOperation,
        ),
        (
            "write_script",
            json!({"script_path": "res://../evil.gd", "content": ""}),
            ErrorCode::InvalidPath,
        ),
        (
            "write_script",
            json!({"script_path": "res://notes.txt", "content": ""}),
            ErrorCode::InvalidPath,
        ),
    ])
    .await?;
    ensure!(
        !f.editor.project.parent().unwrap().join("evil.gd").exists(),
        "escaped the project"
    );
    Ok(())
});

test_fn!(remove_node, |f| {
    let r = ok(f.call("remove_node", json!({"node_path": "Group"})).await)?;
    ensure!(r["removed"] == 3 && r["node_path"] == "Group", "{r}");
    f.fails_each(&[
        (
            "remove_node",
            json!({"node_path": "Group"}),
            ErrorCode::NodeNotFound,
        ),
        (
            "remove_node",
            json!({"node_path": "."}),
            ErrorCode::InvalidOperation,
        ),
    ])
    .await?;
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    ensure!(tree["node_count"] == 3, "{tree}");
    Ok(())
});

test_fn!(undo_redo, |f| {
    let count = |t: &Value| t["node_count"].as_u64().unwrap_or(0);
    let before = ok(f.call("get_scene_tree", json!({})).await)?;
    // add_node with properties is one step: undo removes the node, redo restores it with its values.
    ok(f.call(
        "add_node",
        json!({"type": "Node2D", "name": "Temp", "properties": {"position": [7, 8]}}),
    )
    .await)?;
    let u = ok(f.call("undo", json!({})).await)?;
    ensure!(u["action"] == "MCP: add Temp", "{u}");
    ensure!(
        count(&ok(f.call("get_scene_tree", json!({})).await)?) == count(&before),
        "undo left the node"
    );
    let r = ok(f.call("redo", json!({})).await)?;
    ensure!(r["action"] == "MCP: add Temp", "{r}");
    let tree = ok(f
        .call("get_scene_tree", json!({"include_properties": true}))
        .await)?;
    let temp = tree["root"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Temp")
        .cloned();
    ensure!(
        temp.is_some_and(|t| t["properties"]["position"] == "Vector2(7, 8)"),
        "redo: {tree}"
    );
    // edit_node with several properties is one step.
    ok(f.call(
        "edit_node",
        json!({"node_path": "Temp", "properties": {"position": [1, 1], "rotation": 1.0}}),
    )
    .await)?;
    ok(f.call("undo", json!({})).await)?;
    let tree = ok(f
        .call("get_scene_tree", json!({"include_properties": true}))
        .await)?;
    let temp = tree["root"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Temp")
        .cloned()
        .unwrap_or_default();
    ensure!(
        temp["properties"]["position"] == "Vector2(7, 8)"
            && temp["properties"].get("rotation").is_none(),
        "{temp}"
    );
    // remove_node undo brings back the subtree, owned by the scene (so it is saved).
    ok(f.call(
        "add_node",
        json!({"parent": "Temp", "type": "Node", "name": "Child"}),
    )
    .await)?;
    ok(f.call("remove_node", json!({"node_path": "Temp"})).await)?;
    ok(f.call("undo", json!({})).await)?;
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    ensure!(count(&tree) == count(&before) + 2, "remove undo: {tree}");
    // Clean up through the same history, then nothing is left to redo past it.
    ok(f.call("remove_node", json!({"node_path": "Temp"})).await)?;
    f.fails("redo", json!({}), ErrorCode::InvalidOperation)
        .await?;
    Ok(())
});

test_fn!(save_scene, |f| {
    let since = f.log_end().await?;
    let r = ok(f.call("save_scene", json!({})).await)?;
    ensure!(
        r["scene_path"] == "res://levels/level_1.tscn" && r["bytes"].as_u64().unwrap_or(0) > 100,
        "{r}"
    );
    // This editor renders nothing, so no thumbnail is attempted (and fails).
    let errors = f
        .call_ok("get_editor_log", json!({"since": since, "level": "error"}))
        .await?;
    ensure!(
        errors["entries"] == json!([]),
        "saving logged errors: {errors}"
    );
    let text = f.file("res://levels/level_1.tscn")?;
    for needle in [
        "[node name=\"Hero\" type=\"Sprite2D\" parent=\".\"",
        "position = Vector2(30, 40)",
        "modulate = Color(1, 0, 0, 1)",
        "self_modulate = Color(0, 1, 0, 0.5)",
        "path=\"res://scripts/hero.gd\"",
        "script = ExtResource(",
        "path=\"res://icon.svg\"",
        "[node name=\"Follow\" type=\"RemoteTransform2D\" parent=\".\"",
        "remote_path = NodePath(\"../Target\")",
    ] {
        ensure!(
            text.contains(needle),
            "saved scene lacks {needle:?}:\n{text}"
        );
    }
    ensure!(
        !text.contains("Group") && !text.contains("Title"),
        "removed nodes were saved:\n{text}"
    );
    Ok(())
});

test_fn!(round_trip, |f| {
    // Every value the tree reports can be sent back unchanged.
    let tree = ok(f
        .call("get_scene_tree", json!({"include_properties": true}))
        .await)?;
    for node in tree["root"]["children"].as_array().unwrap() {
        let props = node["properties"].as_object().unwrap().clone();
        let r = ok(f
            .call(
                "edit_node",
                json!({"node_path": node["path"], "properties": props}),
            )
            .await)?;
        ensure!(
            r["properties"] == Value::Object(props.clone()),
            "{} did not round-trip: {} vs {}",
            node["path"],
            r["properties"],
            Value::Object(props)
        );
    }
    Ok(())
});

test_fn!(other_scene, |f| {
    let tree = ok(f
        .call(
            "get_scene_tree",
            json!({"scene_path": "res://scenes/player.tscn"}),
        )
        .await)?;
    ensure!(
        tree["root"]["type"] == "CharacterBody2D"
            && tree["root"]["script"] == "res://scripts/player.gd",
        "{tree}"
    );
    let names: Vec<&str> = tree["root"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    ensure!(names == ["Body", "Collision"], "{names:?}");
    let s = ok(f.call("get_editor_state", json!({})).await)?;
    ensure!(s["edited_scene"] == "res://scenes/player.tscn", "{s}");
    // Editing another scene by path switches to it.
    let r = ok(f
        .call(
            "add_node",
            json!({"scene_path": "res://levels/level_1.tscn", "type": "Camera2D", "name": "Cam"}),
        )
        .await)?;
    ensure!(r["scene_path"] == "res://levels/level_1.tscn", "{r}");
    let main = ok(f
        .call(
            "get_scene_tree",
            json!({"scene_path": "res://scenes/main.tscn", "max_depth": 1}),
        )
        .await)?;
    let player = main["root"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Player")
        .cloned()
        .unwrap_or_default();
    ensure!(
        player["instance"] == "res://scenes/player.tscn",
        "instanced scene not reported: {player}"
    );
    let coin = main["root"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Coin")
        .cloned()
        .unwrap_or_default();
    ensure!(
        coin["groups"] == json!(["pickups"]) && coin["hidden_children"] == 1,
        "{coin}"
    );
    Ok(())
});

test_fn!(open_scene_errors, |f| {
    f.fails_each(&[
        (
            "open_scene",
            json!({"scene_path": "res://missing.tscn"}),
            ErrorCode::SceneNotFound,
        ),
        (
            "get_scene_tree",
            json!({"scene_path": "res://missing.tscn"}),
            ErrorCode::SceneNotFound,
        ),
        (
            "open_scene",
            json!({"scene_path": "user://x.tscn"}),
            ErrorCode::InvalidPath,
        ),
    ])
    .await?;
    Ok(())
});

test_fn!(save_as, |f| {
    ok(f.call(
        "open_scene",
        json!({"scene_path": "res://levels/level_1.tscn"}),
    )
    .await)?;
    let r = ok(f
        .call(
            "save_scene",
            json!({"scene_path": "res://levels/level_1.tscn"}),
        )
        .await)?;
    ensure!(r["scene_path"] == "res://levels/level_1.tscn", "{r}");
    ensure!(
        f.file("res://levels/level_1.tscn")?
            .contains("[node name=\"Cam\" type=\"Camera2D\""),
        "Cam not saved"
    );
    let r = ok(f
        .call(
            "save_scene",
            json!({"scene_path": "res://levels/level_2.tscn"}),
        )
        .await)?;
    ensure!(r["scene_path"] == "res://levels/level_2.tscn", "{r}");
    ensure!(
        f.file("res://levels/level_2.tscn")?
            .contains("[node name=\"Hero\""),
        "save-as content"
    );
    // An existing scene that is not open is never overwritten.
    let spare = f.editor.project.join("spare.tscn");
    let original = "[gd_scene format=3]\n\n[node name=\"Spare\" type=\"Node\"]\n";
    std::fs::write(&spare, original).map_err(|e| e.to_string())?;
    f.fails(
        "save_scene",
        json!({"scene_path": "res://spare.tscn"}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    ensure!(
        std::fs::read_to_string(&spare).unwrap_or_default() == original,
        "an unopened scene was overwritten"
    );
    Ok(())
});

test_fn!(run_and_stop, |f| {
    let r = ok(f.call("run_project", json!({})).await)?;
    ensure!(
        r["playing"] == true && r["scene"] == "res://scenes/main.tscn",
        "{r}"
    );
    let s = ok(f.call("get_editor_state", json!({})).await)?;
    ensure!(s["playing"] == true, "{s}");
    let r = ok(f.call("stop_project", json!({})).await)?;
    ensure!(r["was_playing"] == true, "{r}");
    let r = ok(f.call("stop_project", json!({})).await)?;
    ensure!(r["was_playing"] == false, "{r}");
    let r = ok(f
        .call("run_project", json!({"scene": "res://scenes/player.tscn"}))
        .await)?;
    ensure!(r["scene"] == "res://scenes/player.tscn", "{r}");
    ok(f.call("stop_project", json!({})).await)?;
    f.fails(
        "run_project",
        json!({"scene": "res://none.tscn"}),
        ErrorCode::SceneNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(no_errors_logged, |f| {
    let errors = godot_mcp_e2e::error_lines(&f.editor.output());
    ensure!(
        errors.is_empty(),
        "the editor logged errors:\n{}",
        errors.join("\n")
    );
    Ok(())
});
