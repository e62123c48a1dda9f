//! Offline mode against the real engine: the parser round-trips every file
//! Godot writes, and scenes edited with no editor running load in headless
//! Godot exactly as the offline tools described them.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use godot_mcp_e2e::{
    Mcp, TestResult, copy_tree, free_port, godot_binary, signal_group, test_runtime_dir,
    workspace_root,
};
use godot_mcp_protocol::ErrorCode;
use godot_mcp_protocol::discovery;
use godot_mcp_tscn::{Document, Value};
use serde_json::{Value as Json, json};

use crate::{Suite, ensure};

const GODOT_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, ()>)] = &[
        ("offline_corpus_round_trips_byte_identical", corpus),
        ("offline_edits_load_cleanly_in_godot", edits),
        ("offline_tiles_load_in_godot", tiles),
        (
            "offline_writes_refused_under_a_live_editor",
            under_live_editor,
        ),
        (
            "offline_writes_refused_under_an_unreachable_editor",
            under_unreachable_editor,
        ),
    ];
    suite.run_all(&(), filter, tests).await;
}

fn scratch(tag: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("godot-mcp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Runs headless Godot on `project` with `args`, in its own process group
/// that is killed on time-out. Returns everything it printed.
fn run_godot(project: &Path, args: &[&str]) -> Result<String, String> {
    let log = project.join("godot.log");
    match godot_mcp_e2e::run_godot(&godot_binary()?, project, args, &log, GODOT_TIMEOUT)? {
        (Some(status), text) if status.success() => Ok(text),
        (Some(status), text) => Err(format!("Godot {args:?} exited with {status}:\n{text}")),
        (None, _) => Err(format!("Godot {args:?} did not finish in time")),
    }
}

/// Lines where Godot reports an error or a warning.
fn complaints(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARNING"))
        .collect()
}

fn files_with(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != ".godot" {
                files_with(&path, exts, out);
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
        {
            out.push(path);
        }
    }
}

/// Formats a value and parses it back: the writer's output means the same.
fn rewrites_faithfully(v: &Value) -> bool {
    let text = v.to_string();
    Value::parse(&text).is_ok_and(|again| again.to_string() == text)
}

fn corpus(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let project = scratch("corpus")?;
        std::fs::write(
            project.join("project.godot"),
            "config_version=5\n\n[application]\n\nconfig/name=\"corpus\"\n",
        )
        .map_err(|e| e.to_string())?;
        std::fs::copy(
            workspace_root().join("tests/offline/make_corpus.gd"),
            project.join("make_corpus.gd"),
        )
        .map_err(|e| e.to_string())?;
        let log = run_godot(&project, &["--script", "res://make_corpus.gd"])?;
        ensure!(log.contains("corpus: saved 22 files"), "corpus run:\n{log}");
        ensure!(complaints(&log).is_empty(), "Godot complained:\n{log}");
        let mut files = Vec::new();
        files_with(&project.join("corpus"), &["tscn", "tres"], &mut files);
        files_with(
            &workspace_root().join("godot_project"),
            &["tscn", "tres"],
            &mut files,
        );
        ensure!(files.len() >= 24, "only {} corpus files", files.len());
        let (mut bytes, mut values) = (0, 0);
        for file in &files {
            let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
            let doc = Document::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            ensure!(
                doc.write() == text,
                "{} did not write back identically",
                file.display()
            );
            for section in doc.sections() {
                for e in section.entries() {
                    values += 1;
                    ensure!(
                        rewrites_faithfully(e.value()),
                        "{}: {} = {} does not re-parse to itself",
                        file.display(),
                        e.key(),
                        e.value()
                    );
                }
            }
            bytes += text.len();
        }
        println!(
            "    {} files ({} KiB, {values} property values) round-tripped byte-identical",
            files.len(),
            bytes / 1024
        );
        let _ = std::fs::remove_dir_all(&project);
        Ok(())
    })
}

/// A copy of the sample project without the editor addon: a plain game
/// project, as a user's would be with no editor around.
fn plain_project() -> Result<PathBuf, String> {
    plain_project_in("offline")
}

fn plain_project_in(tag: &str) -> Result<PathBuf, String> {
    let project = scratch(tag)?.join("project");
    copy_tree(&workspace_root().join("godot_project"), &project).map_err(|e| e.to_string())?;
    std::fs::remove_dir_all(project.join("addons")).map_err(|e| e.to_string())?;
    std::fs::copy(
        workspace_root().join("tests/offline/print_tree.gd"),
        project.join("print_tree.gd"),
    )
    .map_err(|e| e.to_string())?;
    Ok(project)
}

/// A shim with no editor to reach, working on `project`'s files.
async fn offline_shim(project: &Path) -> Result<Mcp, String> {
    Mcp::start_env(&[
        ("GODOT_MCP_PORT", Some(free_port().to_string())),
        (
            discovery::DIR_ENV,
            Some(test_runtime_dir().display().to_string()),
        ),
        ("GODOT_MCP_PROJECT", Some(project.display().to_string())),
    ])
    .await
}

async fn call(mcp: &Mcp, tool: &str, args: Json) -> Result<Json, String> {
    let r = mcp
        .call(tool, args.clone())
        .await
        .map_err(|e| format!("{tool} {args}: {e}"))?;
    ensure!(
        r["mode"] == "offline",
        "{tool} was not answered offline: {r}"
    );
    Ok(r)
}

async fn fails(mcp: &Mcp, tool: &str, args: Json, code: ErrorCode) -> Result<String, String> {
    match mcp.call(tool, args.clone()).await {
        Ok(r) => Err(format!("{tool} {args} should fail with {code}, got {r}")),
        Err(e) if e.code == code => Ok(e.hint.unwrap_or_default()),
        Err(e) => Err(format!("{tool} {args}: expected {code}, got {e}")),
    }
}

/// `(path, name, type, script, groups)` of every node in a tree listing.
fn flatten(node: &Json, out: &mut Vec<Json>) {
    let mut groups: Vec<String> = node["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect();
    groups.sort();
    out.push(json!([
        node["path"],
        node["name"],
        node["type"],
        node["script"].as_str().unwrap_or(""),
        groups
    ]));
    for child in node["children"].as_array().into_iter().flatten() {
        flatten(child, out);
    }
}

/// A tile set written as Godot writes one: three tiles of the icon.
const TILESET: &str = r#"[gd_resource type="TileSet" load_steps=3 format=3]

[ext_resource type="Texture2D" path="res://icon.svg" id="1_icon"]

[sub_resource type="TileSetAtlasSource" id="TileSetAtlasSource_1"]
texture = ExtResource("1_icon")
0:0/0 = 0
1:0/0 = 0
2:1/0 = 0

[resource]
sources/0 = SubResource("TileSetAtlasSource_1")
"#;

const CELLS: &str = r#"extends SceneTree

func _init():
	var map = load("res://offline/map.tscn").instantiate()
	var ground: TileMapLayer = map.get_node("Ground")
	print("CELLS ", ground.get_used_cells().size())
	for c in [Vector2i(0, 0), Vector2i(-2, 3), Vector2i(6, 5), Vector2i(5, 5)]:
		print("CELLS ", c, " ", ground.get_cell_source_id(c), " ", ground.get_cell_atlas_coords(c))
	map.free()
	quit()
"#;

fn tiles(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let project = plain_project_in("offline-tiles")?;
        std::fs::create_dir_all(project.join("offline")).map_err(|e| e.to_string())?;
        std::fs::write(project.join("offline/tiles.tres"), TILESET).map_err(|e| e.to_string())?;
        std::fs::write(project.join("cells.gd"), CELLS).map_err(|e| e.to_string())?;
        let mcp = offline_shim(&project).await?;
        let map = "res://offline/map.tscn";
        call(
            &mcp,
            "create_scene",
            json!({"scene_path": map, "root_type": "Node2D"}),
        )
        .await?;
        call(
            &mcp,
            "add_node",
            json!({"scene_path": map, "type": "TileMapLayer", "name": "Ground",
            "properties": {"tile_set": "res://offline/tiles.tres"}}),
        )
        .await?;
        let layer = |extra: Json| {
            let mut args = json!({"scene_path": map, "node_path": "Ground"});
            args.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            args
        };
        call(&mcp, "set_tiles", layer(json!({"cells": [{"coords": [0, 0], "atlas": [1, 0]}, {"coords": [-2, 3], "atlas": [2, 1]}]}))).await?;
        call(
            &mcp,
            "set_tiles",
            layer(json!({"rect": [5, 5, 2, 2], "fill": {"atlas": [0, 0]}})),
        )
        .await?;
        let erased = call(
            &mcp,
            "set_tiles",
            layer(json!({"cells": [{"coords": [5, 5]}], "erase": true})),
        )
        .await?;
        ensure!(erased["used"] == 5, "{erased}");
        let read = call(&mcp, "get_tiles", layer(json!({}))).await?;
        ensure!(
            read["total"] == 5
                && read["cells"][0] == json!({"coords": [0, 0], "source": 0, "atlas": [1, 0]}),
            "{read}"
        );
        fails(
            &mcp,
            "set_tiles",
            layer(json!({"rect": [0, 0, 1, 1]})),
            ErrorCode::InvalidParams,
        )
        .await?;
        mcp.close().await;

        run_godot(&project, &["--import"])?;
        let log = run_godot(&project, &["--script", "res://cells.gd"])?;
        ensure!(
            complaints(&log).is_empty(),
            "Godot complained loading:\n{log}"
        );
        let seen: Vec<&str> = log
            .lines()
            .filter_map(|l| l.strip_prefix("CELLS "))
            .collect();
        ensure!(
            seen == [
                "5",
                "(0, 0) 0 (1, 0)",
                "(-2, 3) 0 (2, 1)",
                "(6, 5) 0 (0, 0)",
                "(5, 5) -1 (-1, -1)"
            ],
            "{seen:?}\n{log}"
        );
        Ok(())
    })
}

fn edits(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let project = plain_project()?;
        let mcp = offline_shim(&project).await?;
        let level = "res://offline/level.tscn";
        let created = call(
            &mcp,
            "create_scene",
            json!({"scene_path": level, "root_type": "Node2D"}),
        )
        .await?;
        ensure!(created["root_name"] == "Level", "{created}");
        let hero = call(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "Sprite2D", "name": "Hero",
                   "properties": {"position": [10, 20], "modulate": "#ff000080", "rotation": 0.5}}),
        )
        .await?;
        ensure!(hero["node_path"] == "Hero", "{hero}");
        ensure!(
            hero["properties"]["position"] == "Vector2(10, 20)",
            "{hero}"
        );
        call(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "Label", "name": "Title",
                   "properties": {"text": "Ünïcødé \"quoted\"\nsecond line", "horizontal_alignment": "Center",
                                  "modulate": {"r": 0.2, "g": 0.6, "b": 1}}}),
        )
        .await?;
        call(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "Node2D", "name": "Group"}),
        )
        .await?;
        call(
            &mcp,
            "add_node",
            json!({"scene_path": level, "parent": "Group", "type": "Marker2D", "name": "Tip",
                   "properties": {"position": {"x": 1, "y": 2}}}),
        )
        .await?;
        let removed = call(
            &mcp,
            "remove_node",
            json!({"scene_path": level, "node_path": "Group"}),
        )
        .await?;
        ensure!(removed["removed"] == 2, "{removed}");
        let edited = call(
            &mcp,
            "edit_node",
            json!({"scene_path": level, "node_path": "Hero",
                   "properties": {"scale": "Vector2(2, 3)", "visible": false, "z_index": 3, "position": [11, 21]}}),
        )
        .await?;
        ensure!(
            edited["previous"]["position"] == "Vector2(10, 20)",
            "{edited}"
        );
        ensure!(edited["previous"]["scale"].is_null(), "{edited}");

        // A new resource given inline becomes a sub_resource.
        call(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "Area2D", "name": "Zone"}),
        )
        .await?;
        let shape = call(
            &mcp,
            "add_node",
            json!({"scene_path": level, "parent": "Zone", "type": "CollisionShape2D", "name": "Shape",
                   "properties": {"shape": {"type": "CircleShape2D", "radius": 12}}}),
        )
        .await?;
        ensure!(
            shape["properties"]["shape"] == json!({"type": "CircleShape2D", "radius": 12.0}),
            "{shape}"
        );
        fails(&mcp, "edit_node", json!({"scene_path": level, "node_path": "Zone/Shape", "properties": {"shape": {"type": "Texture2D"}}}), ErrorCode::InvalidValue).await?;
        fails(&mcp, "edit_node", json!({"scene_path": level, "node_path": "Zone/Shape", "properties": {"shape": {"type": "CircleShape2D", "radios": 1}}}), ErrorCode::PropertyNotFound).await?;

        // What Godot would refuse is refused, and nothing is written.
        let before =
            std::fs::read(project.join("offline/level.tscn")).map_err(|e| e.to_string())?;
        let hint = fails(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "Sprit2D", "name": "X"}),
            ErrorCode::InvalidNodeType,
        )
        .await?;
        ensure!(hint.contains("Sprite2D"), "{hint}");
        fails(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "CircleShape2D", "name": "X"}),
            ErrorCode::InvalidNodeType,
        )
        .await?;
        let hint = fails(
            &mcp,
            "edit_node",
            json!({"scene_path": level, "node_path": "Hero", "properties": {"positon": [1, 2]}}),
            ErrorCode::PropertyNotFound,
        )
        .await?;
        ensure!(hint.contains("position"), "{hint}");
        fails(&mcp, "edit_node", json!({"scene_path": level, "node_path": "Hero", "properties": {"z_index": 1, "position": "abc"}}), ErrorCode::InvalidValue).await?;
        fails(
            &mcp,
            "add_node",
            json!({"scene_path": level, "type": "Node", "name": "Hero"}),
            ErrorCode::NodeExists,
        )
        .await?;
        fails(
            &mcp,
            "remove_node",
            json!({"scene_path": level, "node_path": "Nope"}),
            ErrorCode::NodeNotFound,
        )
        .await?;
        let after = std::fs::read(project.join("offline/level.tscn")).map_err(|e| e.to_string())?;
        ensure!(before == after, "a refused edit changed the file");

        let script =
            "extends Sprite2D\n\n@export var speed := 1.0\n\n\nfunc _ready() -> void:\n\tpass\n";
        let written = call(
            &mcp,
            "write_script",
            json!({"script_path": "res://offline/hero.gd", "content": script}),
        )
        .await?;
        ensure!(written["created"] == true, "{written}");
        call(&mcp, "attach_script", json!({"scene_path": level, "node_path": "Hero", "script_path": "res://offline/hero.gd"})).await?;
        fails(&mcp, "attach_script", json!({"scene_path": level, "node_path": "Title", "script_path": "res://offline/hero.gd"}), ErrorCode::InvalidOperation).await?;
        call(
            &mcp,
            "edit_node",
            json!({"scene_path": level, "node_path": "Hero", "properties": {"speed": 4.5}}),
        )
        .await?;
        // The sample scene: an instanced node and a scripted one, edited in place.
        let main = "res://scenes/main.tscn";
        call(
            &mcp,
            "edit_node",
            json!({"scene_path": main, "node_path": "Player", "properties": {"position": [1, 2]}}),
        )
        .await?;
        call(&mcp, "edit_node", json!({"scene_path": main, "node_path": "Label", "properties": {"text": "changed offline"}})).await?;
        let saved = call(&mcp, "save_scene", json!({"scene_path": level})).await?;
        ensure!(saved["bytes"].as_u64().unwrap_or(0) > 0, "{saved}");

        let mut offline_trees = Vec::new();
        for scene in [level, main] {
            let tree = call(&mcp, "get_scene_tree", json!({"scene_path": scene})).await?;
            let mut flat = Vec::new();
            flatten(&tree["root"], &mut flat);
            ensure!(tree["node_count"] == flat.len(), "{tree}");
            offline_trees.push(flat);
        }
        mcp.close().await;

        let text = std::fs::read_to_string(project.join("offline/level.tscn"))
            .map_err(|e| e.to_string())?;
        let main_text =
            std::fs::read_to_string(project.join("scenes/main.tscn")).map_err(|e| e.to_string())?;
        let original_main =
            std::fs::read_to_string(workspace_root().join("godot_project/scenes/main.tscn"))
                .map_err(|e| e.to_string())?;
        let changed: Vec<&str> = main_text
            .lines()
            .filter(|l| !original_main.lines().any(|o| o == *l))
            .collect();
        ensure!(
            changed == ["position = Vector2(1, 2)", "text = \"changed offline\""],
            "editing main.tscn changed more than asked: {changed:?}\n{main_text}"
        );

        // As when the editor opens the project: it scans the files (and their
        // uids) first. Then the game loads the scenes.
        run_godot(&project, &["--import"])?;
        let log = run_godot(
            &project,
            &["--script", "res://print_tree.gd", "--", level, main],
        )?;
        ensure!(
            complaints(&log).is_empty(),
            "Godot complained loading:\n{text}\n{log}"
        );
        let trees: Vec<Json> = log
            .lines()
            .filter_map(|l| l.strip_prefix("TREE "))
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        ensure!(
            trees.len() == 2,
            "Godot printed {} trees:\n{log}",
            trees.len()
        );
        for (godot, offline) in trees.iter().zip(&offline_trees) {
            let from_godot: Vec<Json> = godot["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| json!([n["path"], n["name"], n["type"], n["script"], n["groups"]]))
                .collect();
            ensure!(
                &from_godot == offline,
                "Godot sees {}:\n{from_godot:?}\noffline said:\n{offline:?}",
                godot["scene"]
            );
        }
        let props = |tree: &Json, path: &str| -> Json {
            tree["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|n| n["path"] == path)
                .map(|n| n["props"].clone())
                .unwrap_or_default()
        };
        let hero = props(&trees[0], "Hero");
        ensure!(hero["position"] == "Vector2(11, 21)", "{hero}");
        ensure!(hero["scale"] == "Vector2(2, 3)", "{hero}");
        ensure!(
            hero["visible"] == "false" && hero["z_index"] == "3",
            "{hero}"
        );
        ensure!(hero["speed"] == "4.5", "{hero}");
        ensure!(hero["modulate"] == "Color(1, 0, 0, 0.5019608)", "{hero}");
        let title = props(&trees[0], "Title");
        ensure!(
            title["text"] == "\"Ünïcødé \\\"quoted\\\"\nsecond line\"",
            "{title}"
        );
        ensure!(title["horizontal_alignment"] == "1", "{title}");
        let shape = props(&trees[0], "Zone/Shape");
        ensure!(
            shape["shape"] == "\"CircleShape2D radius=12.0\"",
            "{shape}\n{text}"
        );
        ensure!(
            props(&trees[1], "Player")["position"] == "Vector2(1, 2)",
            "{trees:?}"
        );
        println!("    offline edits loaded by Godot without errors or warnings; trees match");
        let _ = std::fs::remove_dir_all(project.parent().unwrap_or(&project));
        Ok(())
    })
}

/// A process group killed when the test ends, however it ends.
struct Group(std::process::Child);

impl Drop for Group {
    fn drop(&mut self) {
        signal_group(self.0.id(), "KILL");
        let _ = self.0.wait();
    }
}

/// An editor without the addon has the project open: offline writes are
/// refused and leave the file as it was, reads still answer, and once the
/// editor is gone the same write goes through.
fn under_live_editor(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        use std::os::unix::process::CommandExt;
        let project = plain_project_in("offline-live")?;
        let editor = std::process::Command::new(godot_binary()?)
            .args(["--headless", "--editor", "--path"])
            .arg(&project)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut editor = Group(editor);
        let pid = editor.0.id();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mcp = offline_shim(&project).await?;
        let scene = "res://platformer/level.tscn";
        let file = project.join("platformer/level.tscn");
        let before = std::fs::read(&file).map_err(|e| e.to_string())?;
        let add = json!({"scene_path": scene, "type": "Node2D", "name": "Intruder"});
        let refused = match mcp.call("add_node", add.clone()).await {
            Ok(r) => return Err(format!("add_node under a live editor went through: {r}")),
            Err(e) => e,
        };
        ensure!(
            refused.code == ErrorCode::EditorUnreachable
                && refused.message.contains(&pid.to_string())
                && refused.hint.is_some(),
            "{refused}"
        );
        let after = std::fs::read(&file).map_err(|e| e.to_string())?;
        ensure!(before == after, "the scene changed under the editor");
        let tree = call(&mcp, "get_scene_tree", json!({"scene_path": scene})).await?;
        ensure!(tree["root"]["name"] == "Level", "{tree}");
        if editor.0.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Err("the editor quit before the end of the test".into());
        }
        signal_group(pid, "KILL");
        let _ = editor.0.wait();
        let added = call(&mcp, "add_node", add).await?;
        ensure!(added["node_path"] == "Intruder", "{added}");
        mcp.close().await;
        drop(editor);
        Ok(())
    })
}

/// An editor the process check cannot recognise still blocks offline
/// writes: one whose discovery record for the project names a live process,
/// and one whose fixed port accepts connections without answering.
fn under_unreachable_editor(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        use std::os::unix::fs::DirBuilderExt;
        let project = plain_project_in("offline-unreachable")?;
        let runtime = project.with_file_name("runtime");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&runtime)
            .map_err(|e| e.to_string())?;
        let scene = "res://platformer/level.tscn";
        let file = project.join("platformer/level.tscn");
        let before = std::fs::read(&file).map_err(|e| e.to_string())?;
        let add = json!({"scene_path": scene, "type": "Node2D", "name": "Intruder"});
        let shim = |port: u16| {
            let env = [
                ("GODOT_MCP_PORT", Some(port.to_string())),
                (discovery::DIR_ENV, Some(runtime.display().to_string())),
                ("GODOT_MCP_PROJECT", Some(project.display().to_string())),
            ];
            async move { Mcp::start_env(&env).await }
        };

        // A live process (not named like Godot) holds the project's record.
        let mut holder = std::process::Command::new("sleep")
            .arg("120")
            .spawn()
            .map_err(|e| e.to_string())?;
        let pid = holder.id();
        discovery::Discovery {
            session_id: discovery::session_id("unreachable", 0xbeef),
            port: free_port(),
            token: "t".into(),
            project_path: project.display().to_string(),
            project_name: "unreachable".into(),
            pid,
            protocol_version: godot_mcp_protocol::PROTOCOL_VERSION,
        }
        .write(&runtime)
        .map_err(|e| e.to_string())?;
        let mcp = shim(free_port()).await?;
        let refused = fails(&mcp, "add_node", add.clone(), ErrorCode::EditorUnreachable).await;
        let tree = call(&mcp, "get_scene_tree", json!({"scene_path": scene})).await;
        let _ = holder.kill();
        let _ = holder.wait();
        let hint = refused?;
        ensure!(!hint.is_empty(), "no hint");
        ensure!(
            tree?["root"]["name"] == "Level",
            "reads must still answer offline"
        );
        ensure!(
            std::fs::read(&file).map_err(|e| e.to_string())? == before,
            "the scene changed under a recorded editor"
        );
        mcp.close().await;

        // Something accepts on GODOT_MCP_PORT but never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = silent.local_addr().map_err(|e| e.to_string())?.port();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                open.push(socket);
            }
        });
        let mcp = shim(port).await?;
        let refused = match mcp.call("add_node", add.clone()).await {
            Ok(r) => Err(format!("add_node beside a silent port went through: {r}")),
            Err(e)
                if e.code == ErrorCode::EditorUnreachable
                    && e.message.contains(&port.to_string()) =>
            {
                Ok(())
            }
            Err(e) => Err(format!(
                "expected EDITOR_UNREACHABLE naming {port}, got {e}"
            )),
        };
        held.abort();
        mcp.close().await;
        refused?;
        ensure!(
            std::fs::read(&file).map_err(|e| e.to_string())? == before,
            "the scene changed beside a silent port"
        );

        // With neither, the same write goes through offline.
        let mcp = shim(free_port()).await?;
        let added = call(&mcp, "add_node", add).await?;
        ensure!(added["node_path"] == "Intruder", "{added}");
        mcp.close().await;
        Ok(())
    })
}
