//! The developer toolset (nodes, signals, scripts, resources, project,
//! files, docs, editor, undo history, batch) through MCP in a real editor:
//! each tool's success path, its error codes, and that `undo` after each
//! mutating call restores what was there, read back from the editor.

use std::future::Future;
use std::pin::Pin;

use godot_mcp_e2e::TestResult;
use godot_mcp_protocol::ErrorCode;
use serde_json::{Value, json};

use crate::foundation::{F, ok, test_fn};
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        ("tools_get_node_properties", node_properties),
        ("tools_find_nodes", find_nodes),
        ("tools_rename_node_and_undo", rename_node),
        ("tools_duplicate_node_and_undo", duplicate_node),
        ("tools_move_node_and_undo", move_node),
        ("tools_instantiate_scene_and_undo", instantiate_scene),
        ("tools_groups_and_undo", groups),
        ("tools_signals_and_undo", signals),
        ("tools_validate_and_patch_script", scripts),
        ("tools_resources_and_undo", resources),
        ("tools_new_resource_in_edit_node", node_resources),
        ("tools_project_settings_and_undo", project_settings),
        ("tools_input_actions_and_undo", input_actions),
        ("tools_autoloads_and_undo", autoloads),
        ("tools_files", files),
        ("tools_class_docs", docs),
        ("tools_selection_and_scene_tabs", editor_ui),
        ("tools_undo_history", undo_history),
        ("tools_batch_is_one_undo_step", batch),
        ("tools_failed_batch_rolls_back", failed_batch),
    ];
    F::run_tests("tools", suite, filter, tests).await;
}

pub(crate) const MAIN: &str = "res://scenes/main.tscn";

/// The names of the root's children in the edited scene, in order.
pub(crate) async fn children(f: &F) -> Result<Vec<String>, String> {
    let tree = ok(f.call("get_scene_tree", json!({"scene_path": MAIN})).await)?;
    Ok(tree["root"]["children"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect())
}

/// One property of a node, read back through get_node_properties.
async fn property(f: &F, node: &str, name: &str) -> Result<Value, String> {
    let r = ok(f
        .call(
            "get_node_properties",
            json!({"scene_path": MAIN, "node_path": node, "names": [name]}),
        )
        .await)?;
    Ok(r["properties"][0]["value"].clone())
}

async fn undo(f: &F) -> Result<Value, String> {
    ok(f.call("undo", json!({})).await)
}

test_fn!(node_properties, |f| {
    let r = ok(f
        .call(
            "get_node_properties",
            json!({"scene_path": MAIN, "node_path": "Coin"}),
        )
        .await)?;
    ensure!(r["type"] == "Area2D", "{r}");
    let props = r["properties"].as_array().cloned().unwrap_or_default();
    let find = |n: &str| props.iter().find(|p| p["name"] == n).cloned();
    let position = find("position").unwrap_or_default();
    ensure!(
        position["value"] == "Vector2(480, 180)"
            && position["changed"] == true
            && position["type"] == "Vector2",
        "{position}"
    );
    let monitoring = find("monitoring").unwrap_or_default();
    ensure!(
        monitoring["value"] == true && monitoring["changed"] == false,
        "{monitoring}"
    );
    let r = ok(f
        .call(
            "get_node_properties",
            json!({"node_path": "Coin/Shape", "names": ["shape"]}),
        )
        .await)?;
    ensure!(
        r["properties"][0]["value"] == json!({"type": "CircleShape2D", "radius": 8.0})
            && r["properties"][0]["type"] == "Shape2D",
        "{r}"
    );
    f.fails(
        "get_node_properties",
        json!({"node_path": "Nope"}),
        ErrorCode::NodeNotFound,
    )
    .await?;
    f.fails(
        "get_node_properties",
        json!({"node_path": "Coin", "names": ["positon"]}),
        ErrorCode::PropertyNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(find_nodes, |f| {
    let paths = |r: &Value| -> Vec<String> {
        r["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|n| n["path"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let r = ok(f
        .call("find_nodes", json!({"type": "CollisionShape2D"}))
        .await)?;
    ensure!(paths(&r) == ["Coin/Shape"], "{r}");
    let r = ok(f.call("find_nodes", json!({"group": "pickups"})).await)?;
    ensure!(paths(&r) == ["Coin"], "{r}");
    let r = ok(f
        .call(
            "find_nodes",
            json!({"name_pattern": "*o*", "type": "Node2D"}),
        )
        .await)?;
    ensure!(paths(&r) == ["Coin"], "{r}");
    let r = ok(f.call("find_nodes", json!({"type": "Node2D"})).await)?;
    ensure!(paths(&r) == [".", "Player", "Coin", "Coin/Shape"], "{r}");
    Ok(())
});

test_fn!(rename_node, |f| {
    let r = ok(f
        .call(
            "rename_node",
            json!({"node_path": "Label", "new_name": "Title"}),
        )
        .await)?;
    ensure!(r["node_path"] == "Title", "{r}");
    ensure!(children(f).await?.contains(&"Title".into()), "not renamed");
    undo(f).await?;
    let names = children(f).await?;
    ensure!(
        names.contains(&"Label".into()) && !names.contains(&"Title".into()),
        "undo: {names:?}"
    );
    f.fails(
        "rename_node",
        json!({"node_path": "Label", "new_name": "Background"}),
        ErrorCode::NodeExists,
    )
    .await?;
    f.fails(
        "rename_node",
        json!({"node_path": "Label", "new_name": "a/b"}),
        ErrorCode::InvalidParams,
    )
    .await?;
    f.fails(
        "rename_node",
        json!({"node_path": "Nope", "new_name": "X"}),
        ErrorCode::NodeNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(duplicate_node, |f| {
    let before = children(f).await?;
    let r = ok(f.call("duplicate_node", json!({"node_path": "Coin"})).await)?;
    ensure!(r["node_path"] == "Coin2" && r["index"] == 3, "{r}");
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    let copy = tree["root"]["children"][3].clone();
    ensure!(
        copy["name"] == "Coin2"
            && copy["script"] == "res://scripts/coin.gd"
            && copy["groups"] == json!(["pickups"])
            && copy["children"][0]["name"] == "Shape",
        "the copy lacks its script, group or owned child: {copy}"
    );
    undo(f).await?;
    ensure!(children(f).await? == before, "undo left the copy");
    let r = ok(f
        .call(
            "duplicate_node",
            json!({"node_path": "Coin/Shape", "name": "Shape2", "parent": "."}),
        )
        .await)?;
    ensure!(r["node_path"] == "Shape2", "{r}");
    undo(f).await?;
    f.fails(
        "duplicate_node",
        json!({"node_path": "Coin", "name": "Label"}),
        ErrorCode::NodeExists,
    )
    .await?;
    f.fails(
        "duplicate_node",
        json!({"node_path": "."}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    Ok(())
});

test_fn!(move_node, |f| {
    let before = children(f).await?;
    let r = ok(f
        .call(
            "move_node",
            json!({"node_path": "Player", "new_parent": "Coin", "keep_global_transform": true}),
        )
        .await)?;
    ensure!(r["node_path"] == "Coin/Player", "{r}");
    // The player stays where it was on screen: (320, 180) minus the coin's (480, 180).
    let position = property(f, "Coin/Player", "position").await?;
    ensure!(position == "Vector2(-160, 0)", "{position}");
    undo(f).await?;
    ensure!(
        children(f).await? == before,
        "undo did not restore the order"
    );
    let position = property(f, "Player", "position").await?;
    ensure!(position == "Vector2(320, 180)", "{position}");
    // Reordering under the same parent.
    let r = ok(f
        .call(
            "move_node",
            json!({"node_path": "Label", "new_parent": ".", "index": 0}),
        )
        .await)?;
    ensure!(r["index"] == 0, "{r}");
    ensure!(children(f).await?[0] == "Label", "not reordered");
    undo(f).await?;
    ensure!(
        children(f).await? == before,
        "undo did not restore the order"
    );
    f.fails(
        "move_node",
        json!({"node_path": "Coin", "new_parent": "Coin/Shape"}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    f.fails(
        "move_node",
        json!({"node_path": ".", "new_parent": "Coin"}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    f.fails(
        "move_node",
        json!({"node_path": "Label", "new_parent": "Nope"}),
        ErrorCode::NodeNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(instantiate_scene, |f| {
    let before = children(f).await?;
    let r = ok(f
        .call(
            "instantiate_scene",
            json!({"scene_file": "res://scenes/player.tscn", "name": "Player2"}),
        )
        .await)?;
    ensure!(r["node_path"] == "Player2", "{r}");
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    let last = tree["root"]["children"][4].clone();
    ensure!(
        last["instance"] == "res://scenes/player.tscn" && last["type"] == "CharacterBody2D",
        "{last}"
    );
    undo(f).await?;
    ensure!(children(f).await? == before, "undo left the instance");
    f.fails(
        "instantiate_scene",
        json!({"scene_file": "res://scenes/none.tscn"}),
        ErrorCode::SceneNotFound,
    )
    .await?;
    f.fails(
        "instantiate_scene",
        json!({"scene_file": MAIN}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    f.fails(
        "instantiate_scene",
        json!({"scene_file": "res://scenes/player.tscn", "name": "Coin"}),
        ErrorCode::NodeExists,
    )
    .await?;
    Ok(())
});

test_fn!(groups, |f| {
    let r = ok(f
        .call("add_to_group", json!({"node_path": "Label", "group": "ui"}))
        .await)?;
    ensure!(r["groups"] == json!(["ui"]), "{r}");
    f.fails(
        "add_to_group",
        json!({"node_path": "Label", "group": "ui"}),
        ErrorCode::AlreadyExists,
    )
    .await?;
    undo(f).await?;
    let r = ok(f.call("find_nodes", json!({"group": "ui"})).await)?;
    ensure!(r["nodes"] == json!([]), "undo left the group: {r}");
    let r = ok(f
        .call(
            "remove_from_group",
            json!({"node_path": "Coin", "group": "pickups"}),
        )
        .await)?;
    ensure!(r["groups"] == json!([]), "{r}");
    undo(f).await?;
    let r = ok(f.call("find_nodes", json!({"group": "pickups"})).await)?;
    ensure!(r["nodes"][0]["path"] == "Coin", "undo: {r}");
    f.fails(
        "remove_from_group",
        json!({"node_path": "Label", "group": "nope"}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    Ok(())
});

test_fn!(signals, |f| {
    let r = ok(f.call("list_signals", json!({"node_path": "Coin"})).await)?;
    let signals = r["signals"].as_array().cloned().unwrap_or_default();
    let find = |n: &str| signals.iter().find(|s| s["name"] == n).cloned();
    let entered = find("body_entered").unwrap_or_default();
    ensure!(
        entered["args"] == json!(["body: Node2D"])
            && entered["connections"][0]["to"] == "Coin"
            && entered["connections"][0]["method"] == "_on_body_entered",
        "{entered}"
    );
    ensure!(find("collected").is_some(), "script signal missing: {r}");
    let r = ok(f
        .call(
            "connect_signal",
            json!({"from": "Coin", "signal": "body_exited", "to": "Coin", "method": "_on_body_entered"}),
        )
        .await)?;
    ensure!(r["signal"] == "body_exited", "{r}");
    ok(f.call("save_scene", json!({})).await)?;
    let saved = f.file(MAIN)?;
    ensure!(
        saved.contains(
            "[connection signal=\"body_exited\" from=\"Coin\" to=\"Coin\" method=\"_on_body_entered\"]"
        ),
        "connection not saved:\n{saved}"
    );
    undo(f).await?;
    let r = ok(f.call("list_signals", json!({"node_path": "Coin"})).await)?;
    let exited = r["signals"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "body_exited").cloned())
        .unwrap_or_default();
    ensure!(exited.get("connections").is_none(), "undo: {exited}");
    ok(f.call(
        "disconnect_signal",
        json!({"from": "Coin", "signal": "body_entered", "to": "Coin", "method": "_on_body_entered"}),
    )
    .await)?;
    f.fails(
        "disconnect_signal",
        json!({"from": "Coin", "signal": "body_entered", "to": "Coin", "method": "_on_body_entered"}),
        ErrorCode::SignalNotFound,
    )
    .await?;
    undo(f).await?;
    f.fails(
        "connect_signal",
        json!({"from": "Coin", "signal": "body_entered", "to": "Coin", "method": "_on_body_entered"}),
        ErrorCode::AlreadyExists,
    )
    .await?;
    f.fails(
        "connect_signal",
        json!({"from": "Coin", "signal": "body_entred", "to": "Coin", "method": "_on_body_entered"}),
        ErrorCode::SignalNotFound,
    )
    .await?;
    f.fails(
        "connect_signal",
        json!({"from": "Coin", "signal": "collected", "to": ".", "method": "_on_collected"}),
        ErrorCode::MethodNotFound,
    )
    .await?;
    ok(f.call("save_scene", json!({})).await)?;
    Ok(())
});

test_fn!(scripts, |f| {
    let r = ok(f
        .call(
            "validate_script",
            json!({"content": "extends Node\n\nfunc f(:\n\tpass\n"}),
        )
        .await)?;
    ensure!(
        r["valid"] == false && r["errors"][0]["line"] == 3,
        "parse error not located: {r}"
    );
    let r = ok(f
        .call(
            "validate_script",
            json!({"content": "extends Node\n\nfunc f() -> void:\n\tvar x: int = \"a\"\n"}),
        )
        .await)?;
    ensure!(
        r["valid"] == false && r["errors"][0]["line"] == 4,
        "type error not located: {r}"
    );
    let r = ok(f
        .call(
            "validate_script",
            json!({"script_path": "res://scripts/player.gd"}),
        )
        .await)?;
    ensure!(r["valid"] == true && r["errors"] == json!([]), "{r}");
    let r = ok(f
        .call(
            "patch_script",
            json!({"script_path": "res://scripts/coin.gd", "edits": [
                {"old": "\tqueue_free()", "new": "\tprint(\"bye\")\n\tqueue_free()"}
            ]}),
        )
        .await)?;
    ensure!(r["valid"] == true, "{r}");
    let r = ok(f
        .call(
            "read_script",
            json!({"script_path": "res://scripts/coin.gd"}),
        )
        .await)?;
    ensure!(
        r["content"]
            .as_str()
            .unwrap_or_default()
            .contains("\tprint(\"bye\")\n\tqueue_free()"),
        "{r}"
    );
    let before = f.file("res://scripts/coin.gd")?;
    f.fails(
        "patch_script",
        json!({"script_path": "res://scripts/coin.gd", "edits": [
            {"old": "()", "new": "(1)"}
        ]}),
        ErrorCode::AnchorMismatch,
    )
    .await?;
    f.fails(
        "patch_script",
        json!({"script_path": "res://scripts/coin.gd", "edits": [
            {"old": "print(\"bye\")", "new": "pass"},
            {"old": "not there", "new": "x"}
        ]}),
        ErrorCode::AnchorMismatch,
    )
    .await?;
    ensure!(
        f.file("res://scripts/coin.gd")? == before,
        "a failed patch changed the file"
    );
    let r = ok(f
        .call(
            "write_script",
            json!({"script_path": "res://scripts/broken.gd", "content": "extends Node\nvar = 3\n"}),
        )
        .await)?;
    ensure!(
        r["valid"] == false && r["errors"][0]["line"] == 2 && r["created"] == true,
        "{r}"
    );
    f.fails(
        "read_script",
        json!({"script_path": "res://scripts/none.gd"}),
        ErrorCode::ScriptNotFound,
    )
    .await?;
    f.fails("validate_script", json!({}), ErrorCode::InvalidParams)
        .await?;
    Ok(())
});

test_fn!(resources, |f| {
    let r = ok(f
        .call(
            "create_resource",
            json!({"type": "RectangleShape2D", "path": "res://shapes/box.tres", "properties": {"size": [20, 30]}}),
        )
        .await)?;
    ensure!(r["properties"]["size"] == "Vector2(20, 30)", "{r}");
    ensure!(
        f.file("res://shapes/box.tres")?
            .contains("size = Vector2(20, 30)"),
        "not saved"
    );
    let r = ok(f
        .call(
            "set_resource_properties",
            json!({"path": "res://shapes/box.tres", "properties": {"size": {"x": 40, "y": 40}}}),
        )
        .await)?;
    ensure!(r["properties"]["size"] == "Vector2(40, 40)", "{r}");
    ensure!(
        f.file("res://shapes/box.tres")?
            .contains("size = Vector2(40, 40)"),
        "change not saved"
    );
    undo(f).await?;
    let r = ok(f
        .call("get_resource", json!({"path": "res://shapes/box.tres"}))
        .await)?;
    ensure!(
        r["type"] == "RectangleShape2D" && r["properties"]["size"] == "Vector2(20, 30)",
        "undo: {r}"
    );
    ensure!(
        f.file("res://shapes/box.tres")?
            .contains("size = Vector2(20, 30)"),
        "undo not saved"
    );
    f.fails(
        "create_resource",
        json!({"type": "RectangleShape2D", "path": "res://shapes/box.tres"}),
        ErrorCode::AlreadyExists,
    )
    .await?;
    f.fails(
        "create_resource",
        json!({"type": "RectangelShape2D", "path": "res://shapes/x.tres"}),
        ErrorCode::UnknownClass,
    )
    .await?;
    f.fails(
        "create_resource",
        json!({"type": "Node2D", "path": "res://shapes/x.tres"}),
        ErrorCode::InvalidResourceType,
    )
    .await?;
    f.fails(
        "create_resource",
        json!({"type": "CircleShape2D", "path": "res://shapes/x.tres", "properties": {"radius": "big"}}),
        ErrorCode::InvalidValue,
    )
    .await?;
    f.fails(
        "set_resource_properties",
        json!({"path": "res://shapes/box.tres", "properties": {"radius": 3}}),
        ErrorCode::PropertyNotFound,
    )
    .await?;
    f.fails(
        "get_resource",
        json!({"path": "res://shapes/none.tres"}),
        ErrorCode::FileNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(node_resources, |f| {
    let r = ok(f
        .call(
            "edit_node",
            json!({"scene_path": MAIN, "node_path": "Coin/Shape", "properties": {"shape": {"type": "RectangleShape2D", "size": [10, 10]}}}),
        )
        .await)?;
    ensure!(
        r["properties"]["shape"] == json!({"type": "RectangleShape2D", "size": "Vector2(10, 10)"}),
        "{r}"
    );
    undo(f).await?;
    let shape = property(f, "Coin/Shape", "shape").await?;
    ensure!(
        shape == json!({"type": "CircleShape2D", "radius": 8.0}),
        "undo: {shape}"
    );
    let r = ok(f
        .call(
            "edit_node",
            json!({"node_path": "Coin/Shape", "properties": {"shape": "res://shapes/box.tres"}}),
        )
        .await)?;
    ensure!(r["properties"]["shape"] == "res://shapes/box.tres", "{r}");
    undo(f).await?;
    f.fails(
        "edit_node",
        json!({"node_path": "Coin/Shape", "properties": {"shape": {"type": "StandardMaterial3D"}}}),
        ErrorCode::InvalidResourceType,
    )
    .await?;
    f.fails(
        "edit_node",
        json!({"node_path": "Coin/Shape", "properties": {"shape": {"type": "CircleShape2D", "radius": "x"}}}),
        ErrorCode::InvalidValue,
    )
    .await?;
    Ok(())
});

test_fn!(project_settings, |f| {
    let name = "display/window/size/viewport_width";
    let r = ok(f.call("get_project_setting", json!({"name": name})).await)?;
    ensure!(r["value"] == 640, "{r}");
    let r = ok(f
        .call("set_project_setting", json!({"name": name, "value": 800}))
        .await)?;
    ensure!(r["value"] == 800 && r["previous"] == 640, "{r}");
    ensure!(
        f.file("res://project.godot")?
            .contains("window/size/viewport_width=800"),
        "not saved"
    );
    let u = undo(f).await?;
    ensure!(
        u["action"] == format!("MCP: set {name}") && u.get("scene_path").is_none(),
        "{u}"
    );
    let r = ok(f.call("get_project_setting", json!({"name": name})).await)?;
    ensure!(r["value"] == 640, "undo: {r}");
    ensure!(
        f.file("res://project.godot")?
            .contains("window/size/viewport_width=640"),
        "undo not saved"
    );
    let r = ok(f.call("redo", json!({})).await)?;
    ensure!(r["action"] == format!("MCP: set {name}"), "{r}");
    undo(f).await?;
    f.fails(
        "get_project_setting",
        json!({"name": "display/window/size/viewport_widht"}),
        ErrorCode::SettingNotFound,
    )
    .await?;
    f.fails(
        "set_project_setting",
        json!({"name": name, "value": "wide"}),
        ErrorCode::InvalidValue,
    )
    .await?;
    let r = ok(f
        .call(
            "set_main_scene",
            json!({"scene_path": "res://scenes/player.tscn"}),
        )
        .await)?;
    ensure!(r["previous"] == MAIN, "{r}");
    undo(f).await?;
    let r = ok(f
        .call(
            "get_project_setting",
            json!({"name": "application/run/main_scene"}),
        )
        .await)?;
    ensure!(r["value"] == MAIN, "undo: {r}");
    f.fails(
        "set_main_scene",
        json!({"scene_path": "res://none.tscn"}),
        ErrorCode::SceneNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(input_actions, |f| {
    let r = ok(f
        .call(
            "add_input_action",
            json!({"name": "jump", "events": [
                {"key": "Space"},
                {"key": "Ctrl+W"},
                {"mouse_button": 1},
                {"joypad_button": 0},
                {"joypad_axis": 1, "axis_value": -1.0}
            ]}),
        )
        .await)?;
    ensure!(
        r["events"]
            == json!([
                {"key": "Space"},
                {"key": "Ctrl+W"},
                {"mouse_button": 1},
                {"joypad_button": 0},
                {"joypad_axis": 1, "axis_value": -1.0}
            ]),
        "{r}"
    );
    let list = ok(f.call("list_input_actions", json!({})).await)?;
    ensure!(
        list["actions"]
            .as_array()
            .is_some_and(|a| a.len() == 1 && a[0]["name"] == "jump"),
        "{list}"
    );
    ensure!(
        f.file("res://project.godot")?.contains("jump={"),
        "not saved"
    );
    let all = ok(f
        .call("list_input_actions", json!({"include_builtin": true}))
        .await)?;
    ensure!(
        all["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == "ui_accept")),
        "built-ins missing"
    );
    undo(f).await?;
    let list = ok(f.call("list_input_actions", json!({})).await)?;
    ensure!(list["actions"] == json!([]), "undo: {list}");
    ok(f.call("redo", json!({})).await)?;
    f.fails(
        "add_input_action",
        json!({"name": "jump", "events": []}),
        ErrorCode::AlreadyExists,
    )
    .await?;
    let r = ok(f.call("remove_input_action", json!({"name": "jump"})).await)?;
    ensure!(r["name"] == "jump", "{r}");
    ensure!(
        !f.file("res://project.godot")?.contains("jump={"),
        "removal not saved"
    );
    f.fails(
        "remove_input_action",
        json!({"name": "jump"}),
        ErrorCode::SettingNotFound,
    )
    .await?;
    f.fails(
        "add_input_action",
        json!({"name": "fire", "events": [{"key": "NoSuchKey"}]}),
        ErrorCode::InvalidValue,
    )
    .await?;
    f.fails(
        "add_input_action",
        json!({"name": "fire", "events": [{"key": "A", "mouse_button": 1}]}),
        ErrorCode::InvalidValue,
    )
    .await?;
    Ok(())
});

test_fn!(autoloads, |f| {
    ok(f.call(
        "write_script",
        json!({"script_path": "res://game_state.gd", "content": "extends Node\n\nvar score := 0\n"}),
    )
    .await)?;
    let r = ok(f
        .call(
            "add_autoload",
            json!({"name": "GameState", "path": "res://game_state.gd"}),
        )
        .await)?;
    ensure!(
        r == json!({"name": "GameState", "path": "res://game_state.gd", "singleton": true}),
        "{r}"
    );
    let list = ok(f.call("list_autoloads", json!({})).await)?;
    ensure!(list["autoloads"] == json!([r]), "{list}");
    ensure!(
        f.file("res://project.godot")?.contains("GameState=\"*"),
        "not saved"
    );
    undo(f).await?;
    let list = ok(f.call("list_autoloads", json!({})).await)?;
    ensure!(list["autoloads"] == json!([]), "undo: {list}");
    f.fails(
        "add_autoload",
        json!({"name": "Missing", "path": "res://none.gd"}),
        ErrorCode::FileNotFound,
    )
    .await?;
    f.fails(
        "add_autoload",
        json!({"name": "Node", "path": "res://game_state.gd"}),
        ErrorCode::InvalidParams,
    )
    .await?;
    f.fails(
        "remove_autoload",
        json!({"name": "GameState"}),
        ErrorCode::SettingNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(files, |f| {
    let r = ok(f.call("list_files", json!({"dir": "res://scenes"})).await)?;
    ensure!(
        r["files"] == json!(["res://scenes/main.tscn", "res://scenes/player.tscn"]),
        "{r}"
    );
    let r = ok(f
        .call("list_files", json!({"pattern": "*.gd", "recursive": true}))
        .await)?;
    let files = r["files"].as_array().cloned().unwrap_or_default();
    ensure!(
        files.contains(&json!("res://scripts/player.gd"))
            && files
                .iter()
                .all(|p| p.as_str().is_some_and(|p| p.ends_with(".gd"))),
        "{r}"
    );
    let r = ok(f
        .call(
            "search_files",
            json!({"text": "signal collected", "pattern": "*.gd"}),
        )
        .await)?;
    ensure!(
        r["hits"]
            == json!([{"path": "res://scripts/coin.gd", "line": 4, "text": "signal collected"}]),
        "{r}"
    );
    let r = ok(f
        .call(
            "write_text_file",
            json!({"path": "res://data/notes.txt", "content": "hello\n"}),
        )
        .await)?;
    ensure!(r["created"] == true && r["bytes"] == 6, "{r}");
    let r = ok(f
        .call("read_text_file", json!({"path": "data/notes.txt"}))
        .await)?;
    ensure!(r["content"] == "hello\n", "{r}");
    f.fails(
        "write_text_file",
        json!({"path": "res://../escape.txt", "content": ""}),
        ErrorCode::InvalidPath,
    )
    .await?;
    f.fails(
        "write_text_file",
        json!({"path": "res://.godot/x.cfg", "content": ""}),
        ErrorCode::InvalidPath,
    )
    .await?;
    f.fails(
        "read_text_file",
        json!({"path": "res://none.txt"}),
        ErrorCode::FileNotFound,
    )
    .await?;
    f.fails(
        "list_files",
        json!({"dir": "res://nowhere"}),
        ErrorCode::FileNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(docs, |f| {
    let r = ok(f
        .call("get_class_info", json!({"class": "CharacterBody2D"}))
        .await)?;
    ensure!(r["inherits"][0] == "PhysicsBody2D", "{}", r["inherits"]);
    let has = |list: &Value, item: &str| {
        list.as_array()
            .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(item)))
    };
    ensure!(
        has(&r["methods"], "move_and_slide() -> bool"),
        "{}",
        r["methods"]
    );
    ensure!(
        !has(&r["methods"], "get_velocity() -> Vector2"),
        "accessors listed: {}",
        r["methods"]
    );
    let velocity = r["properties"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "velocity").cloned())
        .unwrap_or_default();
    ensure!(
        velocity == json!({"name": "velocity", "type": "Vector2", "default": "Vector2(0, 0)"}),
        "{velocity}"
    );
    ensure!(
        r["enums"]["MotionMode"] == json!(["MOTION_MODE_GROUNDED", "MOTION_MODE_FLOATING"]),
        "{}",
        r["enums"]
    );
    let r = ok(f.call("get_class_info", json!({"class": "Area2D"})).await)?;
    ensure!(
        has(&r["signals"], "body_entered(body: Node2D)"),
        "{}",
        r["signals"]
    );
    let e = f
        .fails(
            "get_class_info",
            json!({"class": "CharacterBody"}),
            ErrorCode::UnknownClass,
        )
        .await?;
    ensure!(
        e.hint.unwrap_or_default().contains("CharacterBody2D"),
        "no suggestion"
    );
    let r = ok(f
        .call(
            "search_classes",
            json!({"pattern": "shape2d", "base": "Resource"}),
        )
        .await)?;
    ensure!(
        has(&r["classes"], "CircleShape2D") && !has(&r["classes"], "CollisionShape2D"),
        "{r}"
    );
    f.fails(
        "search_classes",
        json!({"pattern": "x", "base": "Nope"}),
        ErrorCode::UnknownClass,
    )
    .await?;
    Ok(())
});

test_fn!(editor_ui, |f| {
    let r = ok(f
        .call(
            "select_nodes",
            json!({"scene_path": MAIN, "node_paths": ["Coin", "Label"]}),
        )
        .await)?;
    let mut nodes: Vec<String> = serde_json::from_value(r["nodes"].clone()).unwrap_or_default();
    nodes.sort();
    ensure!(nodes == ["Coin", "Label"], "{r}");
    let r = ok(f.call("get_selection", json!({})).await)?;
    ensure!(r["nodes"].as_array().is_some_and(|n| n.len() == 2), "{r}");
    f.fails(
        "select_nodes",
        json!({"node_paths": ["Nope"]}),
        ErrorCode::NodeNotFound,
    )
    .await?;
    ok(f.call(
        "open_scene",
        json!({"scene_path": "res://scenes/player.tscn"}),
    )
    .await)?;
    let r = ok(f.call("get_open_scenes", json!({})).await)?;
    ensure!(
        r["edited"] == "res://scenes/player.tscn"
            && r["scenes"]
                .as_array()
                .is_some_and(|s| s.contains(&json!(MAIN))),
        "{r}"
    );
    let r = ok(f
        .call(
            "close_scene",
            json!({"scene_path": "res://scenes/player.tscn"}),
        )
        .await)?;
    ensure!(
        !r["scenes"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("res://scenes/player.tscn"))),
        "{r}"
    );
    f.fails(
        "close_scene",
        json!({"scene_path": "res://scenes/player.tscn"}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    Ok(())
});

test_fn!(undo_history, |f| {
    ok(f.call(
        "add_node",
        json!({"scene_path": MAIN, "type": "Node2D", "name": "Marker"}),
    )
    .await)?;
    let h = ok(f.call("get_undo_history", json!({})).await)?;
    let actions = h["scene"]["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let done = h["scene"]["done"].as_u64().unwrap_or(0) as usize;
    ensure!(
        h["scene"]["name"] == MAIN && done > 0 && actions[done - 1] == "MCP: add Marker",
        "{h}"
    );
    ensure!(
        h["project"]["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "MCP: remove input action jump")),
        "{h}"
    );
    undo(f).await?;
    let h = ok(f.call("get_undo_history", json!({})).await)?;
    ensure!(h["scene"]["done"].as_u64() == Some(done as u64 - 1), "{h}");
    Ok(())
});

test_fn!(batch, |f| {
    let before = children(f).await?;
    let r = ok(f
        .call(
            "batch",
            json!({"commands": [
                {"action": "add_node", "params": {"scene_path": MAIN, "type": "Node2D", "name": "Group"}},
                {"action": "add_node", "params": {"parent": "Group", "type": "Sprite2D", "name": "Icon", "properties": {"texture": "res://icon.svg"}}},
                {"action": "edit_node", "params": {"node_path": "Group", "properties": {"position": [5, 6]}}},
                {"action": "set_project_setting", "params": {"name": "application/config/name", "value": "Batched"}},
                {"action": "get_scene_tree", "params": {}}
            ]}),
        )
        .await)?;
    ensure!(
        r["results"].as_array().is_some_and(|a| a.len() == 5)
            && r["results"][1]["node_path"] == "Group/Icon"
            && r["results"][4]["root"]["children"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["name"] == "Group")),
        "{r}"
    );
    let u = undo(f).await?;
    ensure!(u["action"] == "MCP: batch of 5", "{u}");
    ensure!(
        children(f).await? == before,
        "one undo did not revert the nodes"
    );
    let name = ok(f
        .call(
            "get_project_setting",
            json!({"name": "application/config/name"}),
        )
        .await)?;
    ensure!(
        name["value"] == "godot-mcp sample",
        "one undo did not revert the setting: {name}"
    );
    ok(f.call("redo", json!({})).await)?;
    ensure!(
        property(f, "Group", "position").await? == "Vector2(5, 6)",
        "redo did not restore the batch"
    );
    undo(f).await?;
    Ok(())
});

test_fn!(failed_batch, |f| {
    let before = children(f).await?;
    let e = f
        .fails(
            "batch",
            json!({"commands": [
                {"action": "add_node", "params": {"scene_path": MAIN, "type": "Node2D", "name": "Doomed"}},
                {"action": "add_to_group", "params": {"node_path": "Doomed", "group": "g"}},
                {"action": "edit_node", "params": {"node_path": "Doomed", "properties": {"bogus": 1}}}
            ]}),
            ErrorCode::PropertyNotFound,
        )
        .await?;
    ensure!(
        e.message.starts_with("step 3 of 3 (edit_node) failed"),
        "{}",
        e.message
    );
    ensure!(
        children(f).await? == before,
        "the batch was not rolled back"
    );
    f.fails(
        "batch",
        json!({"commands": [{"action": "batch", "params": {"commands": []}}]}),
        ErrorCode::InvalidOperation,
    )
    .await?;
    f.fails(
        "batch",
        json!({"commands": [{"action": "no_such_tool"}]}),
        ErrorCode::UnknownAction,
    )
    .await?;
    f.fails("batch", json!({"commands": []}), ErrorCode::InvalidParams)
        .await?;
    Ok(())
});
