//! Nothing lost under pressure: two MCP clients (two shims) editing the
//! same scene concurrently each see only their own results, every edit
//! lands exactly once as one undo step, and undoing them all gives back the
//! scene as it was; a game flooding its output keeps the editor answering
//! while what is kept stays bounded and what is dropped is counted; and a
//! handler that panics halfway through an edit leaves the scene and the
//! undo history exactly as they were.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, Instant};

use godot_mcp_e2e::{Mcp, RawClient, TestResult, descendants, rss_bytes};
use serde_json::{Value, json};

use crate::foundation::{F, follow, ok, test_fn};
use crate::tools::MAIN;
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        (
            "reliability_concurrent_agents_lose_nothing",
            concurrent_agents,
        ),
        ("reliability_game_output_flood", output_flood),
        (
            "reliability_panic_leaves_the_editor_as_it_was",
            panic_changes_nothing,
        ),
        (
            "reliability_games_end_with_their_editor",
            games_end_with_editor,
        ),
    ];
    F::run_tests_with("reliability", prepare, suite, filter, tests).await;
}

fn prepare(project: &Path) -> Result<(), String> {
    add_flood(project)?;
    add_user(project)
}

/// An editor plugin standing in for a person editing the open scene the
/// way the scene dock does, through the editor's undo-redo: once the start
/// file appears it adds `User<i>` every few frames and renames every other
/// one to `UserRenamed<i>`, until the stop file appears; then it writes how
/// many edits it made and the names it left into the done file.
const USER_PLUGIN: &str = r#"@tool
extends EditorPlugin

var folder := ProjectSettings.globalize_path("res://").path_join("..")
var running := false
var frames := 0
var edits := 0
var names: Array[String] = []

func _process(_delta: float) -> void:
	if not running:
		running = FileAccess.file_exists(folder.path_join("user.start")) and not FileAccess.file_exists(folder.path_join("user.done"))
		return
	if FileAccess.file_exists(folder.path_join("user.stop")):
		running = false
		var done := FileAccess.open(folder.path_join("user.done"), FileAccess.WRITE)
		done.store_string(JSON.stringify({"edits": edits, "names": names}))
		done.close()
		return
	frames += 1
	if frames % 2 != 0:
		return
	var root := EditorInterface.get_edited_scene_root()
	var undo := get_undo_redo()
	var i := names.size()
	if i % 2 == 1 and names[i - 1] == "User%d" % (i - 1):
		var node := root.get_node(NodePath(names[i - 1]))
		var renamed := "UserRenamed%d" % (i - 1)
		undo.create_action("Rename Node")
		undo.add_do_method(node, "set_name", renamed)
		undo.add_undo_method(node, "set_name", node.name)
		undo.commit_action()
		names[i - 1] = renamed
	else:
		var node := Node.new()
		node.name = "User%d" % i
		undo.create_action("Add Node")
		undo.add_do_method(root, "add_child", node, true)
		undo.add_do_method(node, "set_owner", root)
		undo.add_do_reference(node)
		undo.add_undo_method(root, "remove_child", node)
		undo.commit_action()
		names.append(node.name)
	edits += 1
"#;

/// Installs and enables the simulated user's plugin in a project copy.
fn add_user(project: &Path) -> Result<(), String> {
    let dir = project.join("addons/user_sim");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("user_sim.gd"), USER_PLUGIN).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("plugin.cfg"),
        "[plugin]\n\nname=\"user_sim\"\ndescription=\"A simulated user\"\nauthor=\"e2e\"\nversion=\"1\"\nscript=\"user_sim.gd\"\n",
    )
    .map_err(|e| e.to_string())?;
    let settings = project.join("project.godot");
    let mut text = std::fs::read_to_string(&settings).map_err(|e| e.to_string())?;
    text.push_str(
        "\n[editor_plugins]\n\nenabled=PackedStringArray(\"res://addons/user_sim/plugin.cfg\")\n",
    );
    std::fs::write(&settings, text).map_err(|e| e.to_string())
}

/// Stops the simulated user however the test ends.
struct StopUser(std::path::PathBuf);

impl Drop for StopUser {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, "");
    }
}

/// What the simulated user did: its edits and the names of its nodes.
async fn user_edits_while<T>(
    f: &F,
    work: impl Future<Output = T>,
) -> Result<(T, u64, Vec<String>), String> {
    let folder = f.editor.project.join("..");
    for leftover in ["user.start", "user.stop", "user.done"] {
        let _ = std::fs::remove_file(folder.join(leftover));
    }
    std::fs::write(folder.join("user.start"), "").map_err(|e| e.to_string())?;
    let _stop = StopUser(folder.join("user.stop"));
    // The user is at work before the agents start.
    let started = Instant::now();
    loop {
        let tree = f
            .call_ok("get_scene_tree", json!({"scene_path": MAIN}))
            .await?;
        let tree = tree.to_string();
        if tree.contains("\"User0\"") || tree.contains("\"UserRenamed0\"") {
            break;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(20),
            "the simulated user never edited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = work.await;
    std::fs::write(folder.join("user.stop"), "").map_err(|e| e.to_string())?;
    let done = folder.join("user.done");
    let waited = Instant::now();
    while !done.exists() {
        ensure!(
            waited.elapsed() < Duration::from_secs(20),
            "the simulated user did not stop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&done).map_err(|e| e.to_string())?)
            .map_err(|e| format!("user.done: {e}"))?;
    let names = report["names"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((out, report["edits"].as_u64().unwrap_or(0), names))
}

/// A game that prints 1,000 lines and raises 20 errors a frame, for 300 frames.
const FLOOD: &str = "extends Node

var n := 0
var frames := 0

func _process(_delta: float) -> void:
\tfor i in 1000:
\t\tprint(\"flood line \", n)
\t\tn += 1
\tfor i in 20:
\t\tpush_error(\"flood error %d\" % n)
\tframes += 1
\tif frames > 300:
\t\tget_tree().quit()
";

/// Adds the flooding game's scene to the project.
fn add_flood(project: &Path) -> Result<(), String> {
    let dir = project.join("flood");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("flood.gd"), FLOOD).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("flood.tscn"),
        godot_mcp_e2e::script_scene("Flood", "res://flood/flood.gd"),
    )
    .map_err(|e| e.to_string())
}

test_fn!(output_flood, |f| {
    let pid = f.editor.pid();
    let run = f
        .call_ok("run_project", json!({"scene": "res://flood/flood.tscn"}))
        .await?;
    let run_id = run["run_id"].as_u64().ok_or("no run_id")?;
    // Measure once the flood reaches the editor.
    follow(f, run_id, Duration::from_secs(60), |o| {
        o["run"]["output_lines"].as_u64().unwrap_or(0) > 0
    })
    .await
    .map_err(|e| format!("the flood game printed nothing: {e}"))?;
    let rss_start = rss_bytes(pid).unwrap_or(0) >> 10;
    let mut slowest = Duration::ZERO;
    let mut times = Vec::new();
    let flood_for = Instant::now();
    while flood_for.elapsed() < Duration::from_secs(4) {
        let t = Instant::now();
        f.call_ok("get_editor_state", json!({})).await?;
        let took = t.elapsed();
        slowest = slowest.max(took);
        times.push(took);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rss_end = rss_bytes(pid).unwrap_or(0) >> 10;
    let out = f
        .call_ok("get_game_output", json!({"run_id": run_id, "limit": 1000}))
        .await?;
    let errors = f
        .call_ok("get_game_errors", json!({"run_id": run_id}))
        .await?;
    times.sort();
    // The game ends itself; its run must settle as exited.
    let end = follow(f, run_id, Duration::from_secs(60), |o| {
        o["run"]["state"] == "exited"
    })
    .await
    .map_err(|e| format!("the flood game did not end: {e}"))?;
    println!(
        "    flood: {} cheap calls, p50 {:?}, slowest {slowest:?}; editor RSS {} -> {} KiB; \
         output next {} missed {}",
        times.len(),
        times[times.len() / 2],
        rss_start,
        rss_end,
        out["next"],
        out["missed"]
    );
    ensure!(
        slowest < Duration::from_secs(1),
        "a cheap call took {slowest:?} during the flood"
    );
    let lines = out["lines"].as_array().map_or(0, Vec::len);
    let next = out["next"].as_u64().unwrap_or(0);
    ensure!(
        lines > 0 && lines <= 1000 && next > 2000,
        "output kept {lines} lines, next {next}: {}; at the end {}",
        out["run"],
        end["run"]
    );
    ensure!(
        out["missed"].as_u64().unwrap_or(0) > 0,
        "the oldest lines fell out of the bounded buffer without being counted: {}",
        out["missed"]
    );
    let kept_errors = errors["errors"].as_array().map_or(0, Vec::len);
    ensure!(
        kept_errors > 0 && kept_errors <= 1000,
        "{kept_errors} errors kept: {errors}"
    );
    Ok(())
});

/// Rounds each agent runs; each round is an add and an edit, and every
/// third round also removes the node it added two rounds before.
const ROUNDS: usize = 12;

/// One agent's share: adds `<tag><i>`, moves it, and removes some again.
/// Returns the names it expects to remain and the number of edits made.
async fn agent(mcp: &Mcp, tag: &str) -> Result<(Vec<String>, usize), String> {
    let mut kept = Vec::new();
    let mut edits = 0;
    for i in 0..ROUNDS {
        let name = format!("{tag}{i}");
        let added = ok(mcp
            .call(
                "add_node",
                json!({"scene_path": MAIN, "type": "Node2D", "name": name}),
            )
            .await)
        .map_err(|e| format!("{tag}: add {name}: {e}"))?;
        ensure!(added["node_path"] == name.as_str(), "{tag}: {added}");
        ok(mcp
            .call(
                "edit_node",
                json!({"scene_path": MAIN, "node_path": name, "properties": {"position": [i, 100]}}),
            )
            .await)
        .map_err(|e| format!("{tag}: edit {name}: {e}"))?;
        edits += 2;
        kept.push(name);
        if i % 3 == 2 {
            let gone = kept.remove(kept.len() - 3);
            ok(mcp
                .call(
                    "remove_node",
                    json!({"scene_path": MAIN, "node_path": gone}),
                )
                .await)
            .map_err(|e| format!("{tag}: remove {gone}: {e}"))?;
            edits += 1;
        }
    }
    Ok((kept, edits))
}

fn scene_done(history: &Value) -> u64 {
    history["scene"]["done"].as_u64().unwrap_or(0)
}

test_fn!(concurrent_agents, |f| {
    ok(f.call("open_scene", json!({"scene_path": MAIN})).await)?;
    let original = ok(f.call("get_scene_tree", json!({"scene_path": MAIN})).await)?;
    let done_before = scene_done(&ok(f.call("get_undo_history", json!({})).await)?);
    let second = Mcp::start(f.editor.port).await?;
    // A person edits the same scene in the editor meanwhile.
    let ((a, b), user_edits, user_names) = user_edits_while(f, async {
        tokio::join!(agent(&f.mcp, "Alpha"), agent(&second, "Beta"))
    })
    .await?;
    second.close().await;
    let ((kept_a, edits_a), (kept_b, edits_b)) = (a?, b?);

    // Every edit landed exactly once: the expected nodes, at their places,
    // and no others beside the original ones.
    let tree = ok(f.call("get_scene_tree", json!({"scene_path": MAIN})).await)?;
    let names: Vec<String> = tree["root"]["children"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let originals = original["root"]["children"].as_array().map_or(0, Vec::len);
    let mut expected: Vec<String> = kept_a
        .iter()
        .chain(&kept_b)
        .chain(&user_names)
        .cloned()
        .collect();
    expected.sort();
    let mut added: Vec<String> = names[originals.min(names.len())..].to_vec();
    added.sort();
    ensure!(
        names.len() == originals + expected.len() && added == expected,
        "children after both agents: {names:?}, expected the originals and {expected:?}"
    );
    for name in kept_a.iter().chain(&kept_b) {
        let i: i64 = name
            .trim_start_matches(char::is_alphabetic)
            .parse()
            .unwrap_or(-1);
        let p = ok(f
            .call(
                "get_node_properties",
                json!({"scene_path": MAIN, "node_path": name, "names": ["position"]}),
            )
            .await)?;
        let position = &p["properties"][0]["value"];
        ensure!(
            position == &json!(format!("Vector2({i}, 100)")),
            "{name} is at {position}"
        );
    }

    // Each call is one undo step, the user's edits are steps of their own
    // between them, and undoing them all restores the scene.
    let history = ok(f.call("get_undo_history", json!({})).await)?;
    let done_after = scene_done(&history);
    let agent_edits = (edits_a + edits_b) as u64;
    let edits = agent_edits + user_edits;
    ensure!(
        done_after == done_before + edits,
        "{agent_edits} agent edits and {user_edits} user edits made {} undo steps",
        done_after - done_before
    );
    let new_steps: Vec<&str> = history["scene"]["actions"]
        .as_array()
        .map(|a| {
            let done = |n: u64| (n as usize).min(a.len());
            a[done(done_before)..done(done_after)]
                .iter()
                .filter_map(Value::as_str)
                .collect()
        })
        .unwrap_or_default();
    let ours = new_steps.iter().filter(|a| a.starts_with("MCP: ")).count() as u64;
    let theirs = new_steps
        .iter()
        .filter(|a| matches!(**a, "Add Node" | "Rename Node"))
        .count() as u64;
    ensure!(
        ours == agent_edits && theirs == user_edits && new_steps.len() as u64 == edits,
        "steps after the edits: {new_steps:?}"
    );
    println!(
        "    {agent_edits} agent edits and {user_edits} user edits, {} undo steps",
        new_steps.len()
    );
    let first_agent = new_steps.iter().position(|a| a.starts_with("MCP: "));
    let last_agent = new_steps.iter().rposition(|a| a.starts_with("MCP: "));
    ensure!(
        first_agent.zip(last_agent).is_some_and(|(first, last)| {
            new_steps[first..last]
                .iter()
                .any(|a| !a.starts_with("MCP: "))
        }),
        "the user's and the agents' edits did not interleave: {new_steps:?}"
    );
    for _ in 0..edits {
        ok(f.call("undo", json!({"scene_path": MAIN})).await)?;
    }
    let restored = ok(f.call("get_scene_tree", json!({"scene_path": MAIN})).await)?;
    ensure!(
        restored == original,
        "after undoing all: {restored}\noriginal: {original}"
    );
    Ok(())
});

// A headless game outlives a killed editor unless the harness ends it:
// the harness must, or a game left running fills the disk with output.
test_fn!(games_end_with_editor, |_f| {
    let own = F::start_with("reliability-games", add_flood).await?;
    let run = own
        .call_ok("run_project", json!({"scene": "res://flood/flood.tscn"}))
        .await?;
    ensure!(run["run_id"].as_u64().is_some(), "{run}");
    let F { mcp, mut editor } = own;
    let games = descendants(editor.pid());
    ensure!(!games.is_empty(), "the editor started no game process");
    mcp.close().await;
    editor.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alive: Vec<u32> = games
        .iter()
        .copied()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                !s.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
        })
        .collect();
    ensure!(
        alive.is_empty(),
        "still running after their editor was killed: {alive:?}"
    );
    Ok(())
});

/// The scene's tree, its root's description, and the undo history: all a
/// half-done edit could have touched.
/// (The new-errors notice an answer may carry, the panic's own report
/// among them, is left out.)
async fn editor_state(f: &F) -> Result<Value, String> {
    let mut state = json!({
        "tree": f.call_ok("get_scene_tree", json!({"scene_path": MAIN})).await?,
        "root": f.call_ok("get_node_properties",
            json!({"scene_path": MAIN, "node_path": ".", "names": ["editor_description"]})).await?,
        "history": f.call_ok("get_undo_history", json!({})).await?,
    });
    for part in ["tree", "root", "history"] {
        if let Some(answer) = state[part].as_object_mut() {
            answer.remove("new_errors");
        }
    }
    Ok(state)
}

/// Sends `action` over the raw WebSocket and returns the answer.
async fn raw_call(
    raw: &mut RawClient,
    id: u64,
    action: &str,
    params: Value,
) -> Result<Value, String> {
    raw.request(id, action, params).await?;
    let answer = raw.recv(Duration::from_secs(30)).await?;
    ensure!(answer["id"] == id, "answer to another request: {answer}");
    Ok(answer)
}

// `test_panic` (compiled into the extension only with its `test-panic`
// feature, as `cargo xtask test` builds it) records an added node and a
// change of the scene's root, then panics before committing them.
test_fn!(panic_changes_nothing, |f| {
    f.call_ok("open_scene", json!({"scene_path": MAIN})).await?;
    // A history with something to redo: a panicking edit must not drop it.
    for name in ["KeptBeforePanic", "RedoableBeforePanic"] {
        f.call_ok(
            "add_node",
            json!({"scene_path": MAIN, "type": "Node", "name": name}),
        )
        .await?;
    }
    f.call_ok("undo", json!({"scene_path": MAIN})).await?;
    let before = editor_state(f).await?;

    let mut raw = RawClient::connect(&f.editor).await?;
    let answer = raw_call(&mut raw, 1, "test_panic", json!({})).await?;
    let code = &answer["error"]["code"];
    ensure!(
        code != "UNKNOWN_ACTION",
        "the extension was built without its test-panic feature (cargo xtask test builds it with): {answer}"
    );
    ensure!(
        answer["success"] == false
            && code == "INTERNAL_ERROR"
            && answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("panic"))
            && answer["error"]["hint"].is_string(),
        "a panicking handler answered {answer}"
    );
    let after = editor_state(f).await?;
    ensure!(
        after == before,
        "the panic changed the editor:\nbefore {before}\nafter  {after}"
    );

    // The next calls work, on the same connection and through MCP, and
    // the history goes on as if the panic had not happened.
    let state = raw_call(&mut raw, 2, "get_editor_state", json!({})).await?;
    ensure!(state["success"] == true, "{state}");
    let redone = f.call_ok("redo", json!({"scene_path": MAIN})).await?;
    ensure!(
        redone.to_string().contains("RedoableBeforePanic"),
        "redo after the panic: {redone}"
    );
    let done = scene_done(&f.call_ok("get_undo_history", json!({})).await?);
    f.call_ok(
        "add_node",
        json!({"scene_path": MAIN, "type": "Node", "name": "AfterPanic"}),
    )
    .await?;
    ensure!(
        scene_done(&f.call_ok("get_undo_history", json!({})).await?) == done + 1,
        "an edit after the panic is not one undo step"
    );
    for _ in 0..3 {
        f.call_ok("undo", json!({"scene_path": MAIN})).await?;
    }
    Ok(())
});
