//! `cargo xtask bench --windowed`: the editor as a person runs it, in a
//! window (under a private Xvfb, software GL) that has lost focus to their
//! AI client, called at an agent's pace: seconds apart.
//!
//! Focus is moved with `xdotool` (the xtask installs it) and checked in
//! the editor's own sleep value, which it sets on each focus change.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use godot_mcp_e2e::{Editor, EditorOptions, Mcp, RawClient, xdotool};
use serde_json::{Value, json};

use super::{
    CHEAP, CPU_WINDOW, Report, Result, cpu_ticks, frames, generate, ms, pct, raw_call,
    sequential_mcp, stats,
};

/// The editor's sleep between frames when unfocused, by default.
const UNFOCUSED_SLEEP_US: i64 = 100_000;

pub async fn run(godot: &Path, base: &Path, quick: bool, report: &mut Report) -> Result {
    let project = generate(&base.join("windowed"), true)?;
    let editor = Editor::start(
        godot,
        &project,
        EditorOptions {
            headless: false,
            xvfb: true,
            log: Some(project.with_extension("windowed.log")),
            ..EditorOptions::default()
        },
    )?;
    let display = editor.display.clone().ok_or("no display")?;
    let window = editor.window()?;
    let back_to_back = if quick { 60 } else { 300 };
    let spaced = if quick { 15 } else { 60 };
    let pairs = if quick { 20 } else { 60 };
    let mut raw = RawClient::connect(&editor).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;

    focus(&display, &mut raw, &window, false).await?;
    drop(raw);
    idle_cpu(&editor, if quick { 2 } else { 4 }, report).await?;

    let mcp = Mcp::start(editor.port).await?;
    let mut raw = RawClient::connect(&editor).await?;
    first_edits(&mcp, &mut raw, report).await?;

    for focused in [false, true] {
        let state = if focused { "focused" } else { "unfocused" };
        focus(&display, &mut raw, &window, focused).await?;
        let mut row = sequential_mcp(&mcp, back_to_back).await?;
        row.as_object_mut().map(|o| o.remove("p90_ms"));
        report.add(&format!("windowed, {state}: cheap calls back to back"), row);
        let (mut row, perf) = spaced_calls(&mcp, &mut raw, spaced).await?;
        row["frame_p50_ms"] = frames(&perf["idle_frames"])["p50_ms"].clone();
        report.add(
            &format!("windowed, {state}: cheap calls 1.2-2 s apart"),
            row,
        );
    }
    focus(&display, &mut raw, &window, false).await?;
    edit_pairs(&mcp, pairs, report).await?;
    mcp.close().await;
    drop(raw);
    drop(editor);
    Ok(())
}

/// Idle CPU and frame interval of the unfocused editor with no client, and
/// with a client that called once and now thinks. The two alternate in
/// `rounds` windows each, so that the editor's own background work (and
/// other load on the machine) falls on both alike.
async fn idle_cpu(editor: &Editor, rounds: u32, report: &mut Report) -> Result {
    let window = CPU_WINDOW / 2;
    let pid = editor.pid();
    let (mut alone, mut quiet) = (0, 0);
    let (mut alone_frames, mut quiet_frames) = (Value::Null, Value::Null);
    for _ in 0..rounds {
        // No client at all: the perf window is read by the next client.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let before = cpu_ticks(pid)?;
        tokio::time::sleep(window).await;
        alone += cpu_ticks(pid)? - before;
        let mut raw = RawClient::connect(editor).await?;
        alone_frames = raw_call(&mut raw, "get_performance", json!({"reset": true})).await?;

        // A client that called once and now thinks.
        let mcp = Mcp::start(editor.port).await?;
        mcp.call(CHEAP, json!({}))
            .await
            .map_err(|e| e.to_string())?;
        raw_call(&mut raw, "get_performance", json!({"reset": true})).await?;
        // Past the frames right after the call.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let before = cpu_ticks(pid)?;
        tokio::time::sleep(window).await;
        quiet += cpu_ticks(pid)? - before;
        quiet_frames = raw_call(&mut raw, "get_performance", json!({"reset": true})).await?;
        mcp.close().await;
    }
    let over = window * rounds;
    let (alone_cpu, quiet_cpu) = (pct(alone, over), pct(quiet, over));
    let sleep_ms = |p: &Value| p["wake"]["sleep_us"].as_f64().unwrap_or(0.0) / 1e3;
    report.add(
        "windowed, unfocused: no client",
        json!({
            "idle_cpu_pct": alone_cpu,
            "frame_p50_ms": frames(&alone_frames["idle_frames"])["p50_ms"],
        }),
    );
    report.add(
        "windowed, unfocused: quiet connected client",
        json!({
            "idle_cpu_pct": quiet_cpu,
            "over_no_client_pts": ((quiet_cpu - alone_cpu) * 10.0).round() / 10.0,
            "frame_p50_ms": frames(&quiet_frames["idle_frames"])["p50_ms"],
            "sleep_ms": sleep_ms(&quiet_frames),
            "listening": quiet_frames["wake"]["listening"],
        }),
    );
    Ok(())
}

/// Cheap calls at random spacing of 1.2 to 2 s (a fixed spacing locks onto
/// the frame phase); also the editor's performance over that time.
async fn spaced_calls(mcp: &Mcp, raw: &mut RawClient, calls: usize) -> Result<(Value, Value)> {
    let mut random = Random::new();
    let mut times = Vec::with_capacity(calls);
    mcp.call(CHEAP, json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let before = raw_call(raw, "get_performance", json!({"reset": true})).await?;
    for _ in 0..calls {
        let pause = 1_200 + random.below(800);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let t = Instant::now();
        mcp.call(CHEAP, json!({}))
            .await
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed());
    }
    let perf = raw_call(raw, "get_performance", json!({})).await?;
    let mut row = stats(&times);
    if let Some(o) = row.as_object_mut() {
        o.remove("p90_ms");
        // How many calls ended a wait, and how many frames in between drew.
        let delta = |key: &str| {
            perf["wake"][key]
                .as_u64()
                .unwrap_or(0)
                .saturating_sub(before["wake"][key].as_u64().unwrap_or(0))
        };
        o.insert("woken".into(), json!(delta("woken")));
        o.insert("draws".into(), json!(delta("draws")));
        let mut slow: Vec<f64> = times.iter().map(|t| ms(*t)).filter(|t| *t > 15.0).collect();
        slow.sort_by(f64::total_cmp);
        o.insert("over_15_ms".into(), json!(slow));
    }
    Ok((row, perf))
}

/// The first edits after a scene opens, each timed: one of them used to
/// take tens of milliseconds in a window.
async fn first_edits(mcp: &Mcp, raw: &mut RawClient, report: &mut Report) -> Result {
    mcp.call("open_scene", json!({"scene_path": "res://bench_50.tscn"}))
        .await
        .map_err(|e| format!("open_scene: {e}"))?;
    super::settle(raw).await?;
    let mut edits = Vec::new();
    for i in 1..=5 {
        let t = Instant::now();
        mcp.call(
            "edit_node",
            json!({"node_path": format!("N{i}"), "properties": {"visible": false}}),
        )
        .await
        .map_err(|e| format!("edit_node: {e}"))?;
        edits.push(json!(ms(t.elapsed())));
    }
    let perf = raw_call(raw, "get_performance", json!({"reset": true})).await?;
    report.add(
        "windowed, unfocused: first edit_node after open_scene",
        json!({
            "ms": edits,
            "request_ms_per_frame_max": perf["request_time"]["max_us"].as_f64().unwrap_or(0.0) / 1e3,
            "frame_max_ms": perf["active_frames"]["max_us"].as_f64().unwrap_or(0.0) / 1e3,
        }),
    );
    Ok(())
}

/// Back-to-back edits: add a node, then edit it.
async fn edit_pairs(mcp: &Mcp, pairs: usize, report: &mut Report) -> Result {
    let mut add = Vec::new();
    let mut edit = Vec::new();
    for i in 0..pairs {
        let t = Instant::now();
        mcp.call(
            "add_node",
            json!({"type": "Sprite2D", "name": format!("Windowed{i}")}),
        )
        .await
        .map_err(|e| format!("add_node: {e}"))?;
        add.push(t.elapsed());
        let t = Instant::now();
        mcp.call(
            "edit_node",
            json!({"node_path": format!("Windowed{i}"), "properties": {"position": [i, i]}}),
        )
        .await
        .map_err(|e| format!("edit_node: {e}"))?;
        edit.push(t.elapsed());
    }
    let (a, e) = (stats(&add), stats(&edit));
    report.add(
        "windowed, unfocused: edits back to back",
        json!({
            "n": pairs,
            "add_p50_ms": a["p50_ms"], "add_p99_ms": a["p99_ms"],
            "edit_p50_ms": e["p50_ms"], "edit_p99_ms": e["p99_ms"],
        }),
    );
    Ok(())
}

/// Gives the editor's `window` the keyboard focus, or moves it to the root
/// window (no application focused), and waits until the editor has
/// switched its sleep. Without a window manager the editor only counts as
/// focused once it was given the focus explicitly, so it is, first.
async fn focus(display: &str, raw: &mut RawClient, window: &str, focused: bool) -> Result {
    xdotool(display, &["windowfocus", window])?;
    if !focused {
        tokio::time::sleep(Duration::from_millis(300)).await;
        xdotool(display, &["windowfocus", &root_window(display)?])?;
    }
    let start = Instant::now();
    loop {
        let p = raw_call(raw, "get_performance", json!({})).await?;
        let sleep = p["wake"]["editor_sleep_us"].as_i64().unwrap_or(0);
        if (sleep >= UNFOCUSED_SLEEP_US) != focused {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!(
                "the editor did not take the {} state: {}",
                if focused { "focused" } else { "unfocused" },
                p["wake"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn root_window(display: &str) -> Result<String> {
    let out = Command::new("xwininfo")
        .args(["-root", "-display", display])
        .output()
        .map_err(|e| format!("xwininfo: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "id:")
        .nth(1)
        .map(str::to_owned)
        .ok_or_else(|| format!("no root window id in: {text}"))
}

/// A small xorshift generator: spacing needs no more.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Self(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
