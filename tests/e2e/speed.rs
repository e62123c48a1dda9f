//! Answers that do not wait for the editor's idle sleep, and big scene
//! trees listed over several frames without stalling one. Latency itself is
//! measured by `cargo xtask bench`; these tests check the mechanisms.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use godot_mcp_e2e::{
    Editor, EditorOptions, RawClient, TestResult, generated_scene, godot_binary,
    sample_project_copy,
};
use serde_json::{Value, json};

use crate::foundation::{F, ok, test_fn};
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        ("speed_answers_calls_seconds_apart_at_once", wake),
        (
            "speed_listens_only_while_a_client_stays_and_has_called",
            linger,
        ),
        ("speed_big_tree_listed_over_frames", big_tree),
        (
            "speed_tree_listing_skips_a_node_freed_meanwhile",
            freed_while_listed,
        ),
    ];
    F::run_tests("speed", suite, filter, tests).await;
}

async fn performance(f: &F, reset: bool) -> Result<Value, String> {
    ok(f.call("get_performance", json!({ "reset": reset })).await)
}

test_fn!(wake, |f| {
    let p = performance(f, false).await?;
    let wake = &p["wake"];
    ensure!(wake["enabled"] == true, "{p}");
    let editor_sleep = wake["editor_sleep_us"].as_i64().unwrap_or(0);
    ensure!(editor_sleep > 1_000, "the editor's own sleep: {wake}");
    // The call that asked was the first in a while, or not: either way the
    // engine's sleep is the short one now, and the editor's value is kept.
    let p = performance(f, true).await?;
    let (listens, woken) = (
        p["wake"]["listens"].as_u64().unwrap_or(0),
        p["wake"]["woken"].as_u64().unwrap_or(0),
    );
    ensure!(
        p["wake"]["awake"] == true
            && p["wake"]["sleep_us"] == p["wake"]["short_sleep_us"]
            && p["wake"]["editor_sleep_us"] == editor_sleep,
        "not awake while called: {}",
        p["wake"]
    );
    // Calls a fraction of a second apart, as an agent's are: the frames in
    // between wait for requests, and most calls end such a wait, handled
    // when they arrive rather than at the editor's next frame.
    const CALLS: u64 = 10;
    for i in 0..CALLS {
        tokio::time::sleep(Duration::from_millis(150 + 37 * (i % 5))).await;
        ok(f.call("get_editor_state", json!({})).await)?;
    }
    let p = performance(f, false).await?;
    let w = &p["wake"];
    let woke = w["woken"].as_u64().unwrap_or(0).saturating_sub(woken);
    ensure!(
        w["listens"].as_u64().unwrap_or(0) > listens + CALLS,
        "not listening between calls: {w}"
    );
    ensure!(
        woke * 2 >= CALLS,
        "only {woke} of {CALLS} calls ended a wait: {w}"
    );
    // Between calls the frames keep the editor's own pace: waiting for a
    // request costs no frames.
    let idle = &p["idle_frames"];
    ensure!(
        idle["count"].as_u64().unwrap_or(0) > 10,
        "no idle frames: {p}"
    );
    let p50 = idle["p50_us"].as_i64().unwrap_or(0);
    ensure!(
        p50 >= editor_sleep * 8 / 10,
        "idle frames of {p50} us with the editor's sleep at {editor_sleep} us: {p}"
    );
    Ok(())
});

/// The wake-up state as a raw client's `get_performance` reports it; the
/// call itself counts from the next frame on.
async fn wake_state(raw: &mut RawClient) -> Result<Value, String> {
    raw.request(1, "get_performance", json!({})).await?;
    let answer = raw.recv(Duration::from_secs(10)).await?;
    Ok(answer["result"]["wake"].clone())
}

test_fn!(linger, |_f| {
    // An editor of its own, with a short linger window, so that no other
    // client is connected.
    let project = sample_project_copy("speed-linger")?;
    let mut editor = Editor::start(
        &godot_binary()?,
        &project,
        EditorOptions {
            extra_env: vec![("GODOT_MCP_LINGER_MS".into(), "3000".into())],
            ..EditorOptions::default()
        },
    )?;
    let mut a = RawClient::connect(&editor).await?;
    // Connected but not yet called: the editor's own value.
    let w = wake_state(&mut a).await?;
    let own = w["sleep_us"].as_i64().unwrap_or(0);
    ensure!(
        w["awake"] == false && w["listening"] == false && w["editor_sleep_us"] == own && own > 1000,
        "{w}"
    );
    // Seconds after the call, within the window: listening.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let w = wake_state(&mut a).await?;
    ensure!(
        w["listening"] == true
            && w["sleep_us"] == w["short_sleep_us"]
            && w["editor_sleep_us"] == own
            && w["clients"] == 1
            && w["listens"].as_u64().unwrap_or(0) > 10,
        "not listening 1.5 s after a call: {w}"
    );
    // Past the window: the editor's own value.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let w = wake_state(&mut a).await?;
    ensure!(
        w["awake"] == false && w["listening"] == false && w["sleep_us"] == own,
        "still awake 3.5 s after the last call: {w}"
    );
    // Called just now, then the client goes: the value is back at once,
    // and a new client that has not called changes nothing.
    let w = wake_state(&mut a).await?;
    ensure!(w["awake"] == true, "{w}");
    a.vanish();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut b = RawClient::connect(&editor).await?;
    let w = wake_state(&mut b).await?;
    ensure!(
        w["awake"] == false && w["listening"] == false && w["sleep_us"] == own,
        "awake with no client connected: {w}"
    );
    drop(b);
    editor.kill();
    Ok(())
});

test_fn!(big_tree, |f| {
    const N: usize = 20_000;
    let file = f.editor.project.join("big.tscn");
    std::fs::write(&file, generated_scene(N)).map_err(|e| e.to_string())?;
    ok(
        f.call("open_scene", json!({"scene_path": "res://big.tscn"}))
            .await,
    )?;
    // The editor rebuilds its docks after opening; let that pass.
    tokio::time::sleep(Duration::from_secs(2)).await;
    performance(f, true).await?;
    let tree = ok(f.call("get_scene_tree", json!({})).await)?;
    let p = performance(f, false).await?;
    ensure!(tree["node_count"] == N, "node_count {}", tree["node_count"]);

    // Every node, in pre-order, with its path, as the file defines them.
    let mut listed = Vec::new();
    flatten(&tree["root"], &mut listed);
    let expected = preorder(N);
    ensure!(listed.len() == N, "{} nodes listed of {N}", listed.len());
    if let Some(i) = (0..N).find(|&i| listed[i] != expected[i]) {
        return Err(format!(
            "node {i}: listed {}, expected {}",
            listed[i], expected[i]
        ));
    }
    let n7 = &tree["root"]["children"][6];
    ensure!(
        n7["name"] == "N7" && n7["type"] == "Marker2D" && n7["groups"] == json!(["tagged"]),
        "N7: {} {} {}",
        n7["name"],
        n7["type"],
        n7["groups"]
    );

    // Listed over several frames, none of them held up.
    let frames = p["request_time"]["count"].as_u64().unwrap_or(0);
    ensure!(frames >= 2, "listed within {frames} frames: {p}");
    let worst = p["request_time"]["max_us"].as_u64().unwrap_or(u64::MAX);
    println!(
        "    {N} nodes over {frames} frames; longest request time in a frame {:.1} ms",
        worst as f64 / 1000.0
    );
    ensure!(worst < 50_000, "a frame spent {worst} us on requests: {p}");

    // A shallow listing counts what it leaves out.
    let shallow = ok(f.call("get_scene_tree", json!({"max_depth": 1})).await)?;
    ensure!(shallow["node_count"] == N, "{}", shallow["node_count"]);
    let first = &shallow["root"]["children"][0];
    ensure!(
        first["hidden_children"] == 10 && first.get("children").is_none(),
        "{first}"
    );
    Ok(())
});

// A node freed while a big tree is listed over several frames is left out,
// and the listing does not read it: each node is looked up again before
// it is read.
test_fn!(freed_while_listed, |f| {
    const N: usize = 50_000;
    let scene = "res://freed.tscn";
    let file = f.editor.project.join("freed.tscn");
    std::fs::write(&file, generated_scene(N)).map_err(|e| e.to_string())?;
    f.mcp.settled().await?;
    ok(f.call("open_scene", json!({"scene_path": scene})).await)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The root's last child: queued in the listing's first frame, read in
    // its last.
    ok(f.call(
        "add_node",
        json!({"scene_path": scene, "type": "Node", "name": "Late"}),
    )
    .await)?;
    // One connection's requests start in order, each while the ones before
    // may still be answering: the listing starts first. The undo takes
    // `Late` out of the tree; the next edit drops the undone step, which
    // frees it.
    let mut c = RawClient::connect(&f.editor).await?;
    c.request(1, "get_scene_tree", json!({"scene_path": scene}))
        .await?;
    c.request(2, "undo", json!({"scene_path": scene})).await?;
    c.request(
        3,
        "add_node",
        json!({"scene_path": scene, "type": "Node", "name": "After"}),
    )
    .await?;
    let mut answers = Vec::new();
    while answers.len() < 3 {
        answers.push(c.recv(Duration::from_secs(60)).await?);
    }
    let order: Vec<&Value> = answers.iter().map(|a| &a["id"]).collect();
    for a in &answers {
        ensure!(a["success"] == true, "{a}");
    }
    ensure!(
        order == [2, 3, 1],
        "answers in the order {order:?}: the listing ended before `Late` was freed"
    );
    let tree = &answers[2]["result"];
    let names: Vec<&str> = tree["root"]["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    ensure!(
        !names.contains(&"Late") && tree["node_count"] == N,
        "listed {} nodes, root's children {names:?}",
        tree["node_count"]
    );
    // The editor is sound afterwards.
    let again = ok(f
        .call(
            "get_scene_tree",
            json!({"scene_path": scene, "max_depth": 1}),
        )
        .await)?;
    ensure!(again["node_count"] == N + 1, "{}", again["node_count"]);
    ok(
        f.call("close_scene", json!({"scene_path": scene, "save": false}))
            .await,
    )?;
    Ok(())
});

fn flatten(node: &Value, out: &mut Vec<String>) {
    out.push(node["path"].as_str().unwrap_or_default().to_owned());
    for child in node["children"].as_array().into_iter().flatten() {
        flatten(child, out);
    }
}

/// Node paths of `generated_scene(n)` in pre-order.
fn preorder(n: usize) -> Vec<String> {
    fn walk(i: usize, path: String, n: usize, out: &mut Vec<String>) {
        out.push(path.clone());
        for child in (10 * i + 1..=10 * i + 10).filter(|c| *c < n) {
            let name = format!("N{child}");
            let p = if i == 0 {
                name
            } else {
                format!("{path}/{name}")
            };
            walk(child, p, n, out);
        }
    }
    let mut out = Vec::new();
    walk(0, ".".into(), n, &mut out);
    out
}
