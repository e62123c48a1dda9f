//! Nothing lost under pressure: two MCP clients (two shims) editing the
//! same scene concurrently each see only their own results, every edit
//! lands exactly once as one undo step, and undoing them all gives back the
//! scene as it was; a game flooding its output keeps the editor answering
//! while what is kept stays bounded and what is dropped is counted.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, Instant};

use godot_mcp_e2e::{Mcp, TestResult, descendants, rss_bytes};
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
            "reliability_games_end_with_their_editor",
            games_end_with_editor,
        ),
    ];
    F::run_tests_with("reliability", add_flood, suite, filter, tests).await;
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
        "[gd_scene format=3]\n\n[ext_resource type=\"Script\" path=\"res://flood/flood.gd\" id=\"1\"]\n\n\
         [node name=\"Flood\" type=\"Node\"]\nscript = ExtResource(\"1\")\n",
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
    let (a, b) = tokio::join!(agent(&f.mcp, "Alpha"), agent(&second, "Beta"));
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
    let mut expected: Vec<String> = kept_a.iter().chain(&kept_b).cloned().collect();
    expected.sort();
    let mut added: Vec<String> = names[originals.min(names.len())..].to_vec();
    added.sort();
    ensure!(
        names.len() == originals + expected.len() && added == expected,
        "children after both agents: {names:?}, expected the originals and {expected:?}"
    );
    for name in &expected {
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

    // Each call is one undo step, and undoing them all restores the scene.
    let done_after = scene_done(&ok(f.call("get_undo_history", json!({})).await)?);
    let edits = (edits_a + edits_b) as u64;
    ensure!(
        done_after == done_before + edits,
        "{edits} edits made {} undo steps",
        done_after - done_before
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
