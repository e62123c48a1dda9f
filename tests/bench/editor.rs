//! `cargo xtask bench`: how fast godot-mcp answers, against a real editor.
//!
//! Starts headless Godot editors on a generated project (with the extension,
//! with it but without the wake-up, and without it) and measures through
//! the full MCP path (client -> `godot-mcp` over stdio -> WebSocket -> the
//! editor's main thread -> back) and over the raw WebSocket. Prints a table
//! and writes `target/bench/latest.json`. Not a test: nothing here fails on
//! a slow number. `--windowed` measures a windowed editor at an agent's
//! pace instead (see `windowed.rs`).

#![forbid(unsafe_code)]

mod windowed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use godot_mcp_e2e::wire::Wire;
use godot_mcp_e2e::{
    Editor, EditorOptions, Mcp, RawClient, copy_tree, generated_scene, godot_binary,
    register_extension, run_game_headless, sample_project_copy, signal_group, test_runtime_dir,
    workspace_root,
};
use godot_mcp_protocol::commands::perf::percentile;
use godot_mcp_protocol::discovery;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Result<T = ()> = std::result::Result<T, String>;

const SIZES: [usize; 3] = [50, 2_000, 20_000];
const CHEAP: &str = "get_editor_state";
/// Time after spawning an editor before its footprint is measured.
const SETTLE: Duration = Duration::from_secs(10);
/// Idle CPU is a few ticks a second: shorter windows are mostly noise.
const CPU_WINDOW: Duration = Duration::from_secs(15);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let quick = std::env::args().any(|a| a == "--quick");
    let trees_only = std::env::args().any(|a| a == "--trees");
    // `--play`: only the play-test section.
    let play_only = std::env::args().any(|a| a == "--play");
    // `--windowed`: only a windowed editor, focused and not, at an agent's pace.
    let windowed_only = std::env::args().any(|a| a == "--windowed");
    let work = async {
        if trees_only {
            trees_alone().await
        } else if windowed_only {
            windowed_alone(quick).await
        } else {
            run(quick, play_only).await
        }
    };
    match runtime.block_on(work) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("bench failed: {e}");
            std::process::exit(1);
        }
    }
}

/// Results by section, then by measure.
#[derive(Default)]
struct Report {
    sections: BTreeMap<String, Value>,
    order: Vec<String>,
}

impl Report {
    fn add(&mut self, section: &str, value: Value) {
        println!("{section:<44} {}", line(&value));
        self.order.push(section.to_owned());
        self.sections.insert(section.to_owned(), value);
    }
}

/// One line of `key value` pairs for the table.
fn line(value: &Value) -> String {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} {}", short(v)))
            .collect::<Vec<_>>()
            .join("  "),
        other => short(other),
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percentiles of durations, in milliseconds.
fn stats(samples: &[Duration]) -> Value {
    let mut us: Vec<u64> = samples
        .iter()
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .collect();
    us.sort_unstable();
    let at = |q: f64| percentile(&us, q) as f64 / 1e3;
    json!({
        "n": us.len(),
        "p50_ms": at(0.5),
        "p90_ms": at(0.9),
        "p99_ms": at(0.99),
        "max_ms": at(1.0),
    })
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

async fn run(quick: bool, play_only: bool) -> Result {
    let godot = godot_binary()?;
    let calls = if quick { 60 } else { 300 };
    let mut report = Report::default();
    let base = std::env::temp_dir().join(format!("godot-mcp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    println!(
        "godot-mcp bench: {} ({} cores)",
        godot.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    if play_only {
        return play(&godot, quick, &mut report).await;
    }
    report.add("floor: loopback WebSocket echo", echo_floor(calls).await?);

    // Without the extension: the editor's own footprint and start-up.
    let plain = generate(&base.join("plain"), false)?;
    let with = generate(&base.join("with"), true)?;
    let plain_start = startup(&godot, &plain, if quick { 1 } else { 3 })?;
    let with_start = startup(&godot, &with, if quick { 1 } else { 3 })?;
    let (plain_rss, plain_cpu) = footprint(&godot, &plain)?;

    let spawned = Instant::now();
    let editor = start(&godot, &with, &[])?;
    let pid = editor.pid();
    std::thread::sleep(SETTLE.saturating_sub(spawned.elapsed()));
    let with_rss = rss(pid)?;
    let with_cpu = cpu_share(pid, CPU_WINDOW)?;
    let perf = {
        let mut raw = RawClient::connect(&editor).await?;
        raw_call(&mut raw, "get_performance", json!({})).await?
    };
    report.add(
        "footprint: editor without the extension",
        json!({"rss_mib": mib(plain_rss), "idle_cpu_pct": plain_cpu, "start_s": plain_start}),
    );
    report.add(
        "footprint: editor with the extension",
        json!({
            "rss_mib": mib(with_rss),
            "idle_cpu_pct": with_cpu,
            "start_s": with_start,
            "added_rss_mib": mib(with_rss.saturating_sub(plain_rss)),
            "plugin_start_ms": perf["startup_us"].as_f64().unwrap_or(0.0) / 1e3,
            "plugin_us_per_idle_frame_p50": perf["idle_overhead"]["p50_us"],
            "plugin_us_per_idle_frame_p99": perf["idle_overhead"]["p99_us"],
        }),
    );
    report.add("editor: idle frame interval", frames(&perf["idle_frames"]));

    // The cheap call, sequentially, raw and through MCP.
    let mut raw = RawClient::connect(&editor).await?;
    report.add(
        "get_editor_state x sequential, raw WebSocket",
        sequential_raw(&mut raw, calls).await?,
    );
    let mcp = Mcp::start(editor.port).await?;
    let cpu_before = cpu_ticks(pid)?;
    let t = Instant::now();
    let mut row = sequential_mcp(&mcp, calls).await?;
    row["editor_cpu_pct"] = json!(pct(cpu_ticks(pid)? - cpu_before, t.elapsed()));
    report.add("get_editor_state x sequential, MCP stdio", row);

    scene_trees(
        &mcp,
        &mut raw,
        editor.port,
        &mut report,
        if quick { 5 } else { 30 },
    )
    .await?;

    // Edits: add a node, then edit it; one undo step each.
    mcp.call("open_scene", json!({"scene_path": "res://bench_50.tscn"}))
        .await
        .map_err(|e| e.to_string())?;
    let pairs = if quick { 20 } else { 100 };
    let mut add = Vec::new();
    let mut edit = Vec::new();
    let mut pair = Vec::new();
    for i in 0..pairs {
        let t = Instant::now();
        mcp.call(
            "add_node",
            json!({"type": "Sprite2D", "name": format!("Added{i}")}),
        )
        .await
        .map_err(|e| format!("add_node: {e}"))?;
        let a = t.elapsed();
        mcp.call(
            "edit_node",
            json!({"node_path": format!("Added{i}"), "properties": {"position": [i, i], "modulate": "#ff8800"}}),
        )
        .await
        .map_err(|e| format!("edit_node: {e}"))?;
        add.push(a);
        edit.push(t.elapsed() - a);
        pair.push(t.elapsed());
    }
    let (a, e, p) = (stats(&add), stats(&edit), stats(&pair));
    report.add(
        "add_node + edit_node pairs, MCP stdio",
        json!({
            "n": pairs, "pair_p50_ms": p["p50_ms"], "pair_p99_ms": p["p99_ms"],
            "add_p50_ms": a["p50_ms"], "edit_p50_ms": e["p50_ms"],
        }),
    );

    // A burst of concurrent cheap calls.
    let burst = if quick { 200 } else { 1_000 };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    raw_call(&mut raw, "get_performance", json!({"reset": true})).await?;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let idle = raw_call(&mut raw, "get_performance", json!({"reset": true})).await?;
    let t = Instant::now();
    let results =
        futures_util::future::join_all((0..burst).map(|_| mcp.call(CHEAP, json!({})))).await;
    let wall = t.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let during = raw_call(&mut raw, "get_performance", json!({"reset": true})).await?;
    report.add(
        "burst of concurrent get_editor_state, MCP stdio",
        json!({
            "calls": burst, "failed": failed, "wall_ms": ms(wall),
            "calls_per_s": (burst as f64 / wall.as_secs_f64()).round(),
            "frame_p99_ms": during["active_frames"]["p99_us"].as_f64().unwrap_or(0.0) / 1e3,
            "frame_max_ms": during["active_frames"]["max_us"].as_f64().unwrap_or(0.0) / 1e3,
            "request_ms_per_frame_max": during["request_time"]["max_us"].as_f64().unwrap_or(0.0) / 1e3,
            "idle_frame_p99_ms": idle["idle_frames"]["p99_us"].as_f64().unwrap_or(0.0) / 1e3,
            "budget_ms": 4,
        }),
    );
    let t = Instant::now();
    for id in 0..burst {
        raw.request(id as u64, CHEAP, json!({})).await?;
    }
    for _ in 0..burst {
        raw.recv(Duration::from_secs(30)).await?;
    }
    let wall = t.elapsed();
    report.add(
        "burst of pipelined get_editor_state, raw WebSocket",
        json!({"calls": burst, "wall_ms": ms(wall), "calls_per_s": (burst as f64 / wall.as_secs_f64()).round()}),
    );
    mcp.close().await;
    drop(raw);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    report.add(
        "editor with the extension, clients gone",
        json!({"idle_cpu_pct": cpu_share(pid, CPU_WINDOW)?}),
    );
    drop(editor);

    // The same cheap calls without the wake-up: what it buys, and costs.
    let spawned = Instant::now();
    let editor = start(&godot, &with, &[("GODOT_MCP_WAKE", "0")])?;
    let pid = editor.pid();
    std::thread::sleep(SETTLE.saturating_sub(spawned.elapsed()));
    let mut raw = RawClient::connect(&editor).await?;
    let mut row = sequential_raw(&mut raw, calls).await?;
    let mcp = Mcp::start(editor.port).await?;
    let cpu_before = cpu_ticks(pid)?;
    let t = Instant::now();
    let via_mcp = sequential_mcp(&mcp, calls).await?;
    row["mcp_p50_ms"] = via_mcp["p50_ms"].clone();
    row["mcp_p99_ms"] = via_mcp["p99_ms"].clone();
    row["editor_cpu_pct"] = json!(pct(cpu_ticks(pid)? - cpu_before, t.elapsed()));
    report.add("get_editor_state sequential, wake-up off", row);
    mcp.close().await;
    drop(editor);

    play(&godot, quick, &mut report).await?;

    write_report(&godot, quick, &report, "latest.json")?;
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&base);
    }
    Ok(())
}

/// `get_scene_tree` of each size, through MCP and raw, `reps` times each.
/// Through MCP it is timed three times with rmcp's client: up to the parsed
/// tool result, and with the answer's text parsed as JSON too; and with a
/// client that only writes and reads lines (parsing the message and its
/// text), which leaves out the client library's own costs. The back-to-back
/// calls queue behind the frame that answered the one before; `mcp_paced`
/// calls 150 ms apart, as an agent does.
async fn scene_trees(
    mcp: &Mcp,
    raw: &mut RawClient,
    port: u16,
    report: &mut Report,
    reps: usize,
) -> Result {
    let mut lines = Wire::start(&[
        ("GODOT_MCP_PORT", Some(port.to_string())),
        (
            discovery::DIR_ENV,
            Some(test_runtime_dir().display().to_string()),
        ),
    ])
    .await?;
    lines.initialize().await?;
    lines
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await?;
    let mut line_id = 0;
    for n in SIZES {
        let scene = format!("res://bench_{n}.tscn");
        mcp.call("open_scene", json!({"scene_path": scene}))
            .await
            .map_err(|e| format!("open {scene}: {e}"))?;
        settle(raw).await?;
        let reps = if n == 20_000 { reps.min(10) } else { reps };
        let mut mcp_times = Vec::new();
        let mut result_times = Vec::new();
        let mut bytes = 0;
        for _ in 0..reps {
            let t = Instant::now();
            let result = mcp
                .call_result("get_scene_tree", json!({}))
                .await
                .map_err(|e| format!("get_scene_tree {n}: {e}"))?;
            result_times.push(t.elapsed());
            if result.is_error == Some(true) {
                return Err(format!("{scene}: {result:?}"));
            }
            mcp_times.push(mcp_tree(mcp, &scene, n).await?);
        }
        // At an agent's pace: calls apart, so each finds the editor waiting
        // for it rather than finishing the frame of the call before.
        let mut paced_times = Vec::new();
        for _ in 0..reps.min(20) {
            tokio::time::sleep(Duration::from_millis(150)).await;
            paced_times.push(mcp_tree(mcp, &scene, n).await?);
        }
        let mut line_times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            line_id += 1;
            let (tree, _) = lines.call(line_id, "get_scene_tree", json!({})).await?;
            line_times.push(t.elapsed());
            if tree["node_count"] != n {
                return Err(format!(
                    "{scene}: node_count {} over lines",
                    tree["node_count"]
                ));
            }
        }
        let mut raw_times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            raw.request(1, "get_scene_tree", json!({})).await?;
            let text = raw.recv_text(Duration::from_secs(60)).await?;
            raw_times.push(t.elapsed());
            bytes = text.len();
        }
        let perf = raw_call(raw, "get_performance", json!({})).await?;
        let m = stats(&mcp_times);
        let paced = stats(&paced_times);
        let unparsed = stats(&result_times);
        let l = stats(&line_times);
        let r = stats(&raw_times);
        report.add(
            &format!("get_scene_tree {n} nodes"),
            json!({
                "mcp_p50_ms": m["p50_ms"], "mcp_p99_ms": m["p99_ms"],
                "mcp_paced_p50_ms": paced["p50_ms"], "mcp_paced_p99_ms": paced["p99_ms"],
                "mcp_text_unparsed_p50_ms": unparsed["p50_ms"],
                "mcp_lines_p50_ms": l["p50_ms"], "mcp_lines_p99_ms": l["p99_ms"],
                "raw_p50_ms": r["p50_ms"], "raw_p99_ms": r["p99_ms"],
                "bytes": bytes,
                "max_request_ms_per_frame": perf["request_time"]["max_us"].as_f64().unwrap_or(0.0) / 1e3,
                "request_ms_per_frame_p50": perf["request_time"]["p50_us"].as_f64().unwrap_or(0.0) / 1e3,
                "request_frames_per_call": perf["request_time"]["count"].as_f64().unwrap_or(0.0) / (3 * reps) as f64,
                "active_frame_p50_ms": perf["active_frames"]["p50_us"].as_f64().unwrap_or(0.0) / 1e3,
                "max_frame_ms": perf["active_frames"]["max_us"].as_f64().unwrap_or(0.0) / 1e3,
            }),
        );
    }
    Ok(())
}

/// One `get_scene_tree` through rmcp's client, its text parsed, timed;
/// an error unless it lists `n` nodes.
async fn mcp_tree(mcp: &Mcp, scene: &str, n: usize) -> Result<Duration> {
    let t = Instant::now();
    let tree = mcp
        .call("get_scene_tree", json!({}))
        .await
        .map_err(|e| format!("get_scene_tree {n}: {e}"))?;
    let took = t.elapsed();
    if tree["node_count"] != n {
        return Err(format!("{scene}: node_count {}", tree["node_count"]));
    }
    Ok(took)
}

/// `--trees`: only the scene trees, on one editor, with full repetitions.
async fn trees_alone() -> Result {
    let godot = godot_binary()?;
    let base = std::env::temp_dir().join(format!("godot-mcp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let with = generate(&base.join("with"), true)?;
    let editor = start(&godot, &with, &[])?;
    let mut raw = RawClient::connect(&editor).await?;
    let mcp = Mcp::start(editor.port).await?;
    let mut report = Report::default();
    scene_trees(&mcp, &mut raw, editor.port, &mut report, 30).await?;
    mcp.close().await;
    drop(editor);
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&base);
    }
    Ok(())
}

/// `--windowed`: the windowed editor alone; writes `target/bench/windowed.json`.
async fn windowed_alone(quick: bool) -> Result {
    let godot = godot_binary()?;
    let base = std::env::temp_dir().join(format!("godot-mcp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    println!(
        "godot-mcp bench --windowed: {} ({} cores)",
        godot.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut report = Report::default();
    let outcome = windowed::run(&godot, &base, quick, &mut report).await;
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&base);
    }
    outcome?;
    write_report(&godot, quick, &report, "windowed.json")
}

fn write_report(godot: &Path, quick: bool, report: &Report, name: &str) -> Result {
    let out = workspace_root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let file = out.join(name);
    let sections: serde_json::Map<String, Value> = report
        .order
        .iter()
        .map(|k| (k.clone(), report.sections[k].clone()))
        .collect();
    let doc = json!({
        "godot": godot.display().to_string(),
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "quick": quick,
        "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "results": sections,
    });
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    println!("written to {}", file.display());
    Ok(())
}

/// The play-test tools on the sample platformer: game_get round trips
/// while frozen and while running, and the wall time of a 60-frame step.
async fn play(godot: &Path, quick: bool, report: &mut Report) -> Result {
    let project = sample_project_copy("bench-play")?;
    run_game_headless(&project)?;
    let editor = start(godot, &project, &[])?;
    let mcp = Mcp::start(editor.port).await?;
    let calls = if quick { 60 } else { 300 };
    game_call(
        &mcp,
        "run_project",
        json!({"scene": "res://platformer/level.tscn", "frozen": true}),
    )
    .await?;
    report.add(
        "game_get round trip, game frozen",
        game_gets(&mcp, calls).await?,
    );
    // What a frozen game costs while nobody calls.
    let pid = game_call(
        &mcp,
        "game_eval",
        json!({"expression": "OS.get_process_id()"}),
    )
    .await?["value"]
        .as_u64()
        .and_then(|p| u32::try_from(p).ok())
        .ok_or("the game's pid")?;
    let before = cpu_ticks(pid)?;
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    report.add(
        "frozen game idle",
        json!({"cpu_pct": pct(cpu_ticks(pid)? - before, t.elapsed())}),
    );
    game_call(
        &mcp,
        "game_step",
        json!({"until": "is_on_floor()", "node_path": "Hero", "timeout_frames": 240}),
    )
    .await?;
    let mut walls = Vec::new();
    let mut inside = Vec::new();
    for i in 0..(if quick { 5 } else { 20 }) {
        let action = if i % 2 == 0 {
            "move_right"
        } else {
            "move_left"
        };
        let t = Instant::now();
        let r = game_call(
            &mcp,
            "game_step",
            json!({"frames": 60, "inputs": [{"action": action, "hold_frames": 60}]}),
        )
        .await?;
        walls.push(t.elapsed());
        inside.push(Duration::from_millis(r["wall_ms"].as_u64().unwrap_or(0)));
    }
    let mut row = stats(&walls);
    row["in_game_p50_ms"] = stats(&inside)["p50_ms"].clone();
    report.add("game_step(frames: 60) wall time", row);
    game_call(&mcp, "game_resume", json!({})).await?;
    report.add(
        "game_get round trip, game running",
        game_gets(&mcp, calls).await?,
    );
    game_call(&mcp, "stop_project", json!({})).await?;
    mcp.close().await;
    drop(editor);
    Ok(())
}

async fn game_call(mcp: &Mcp, name: &str, args: Value) -> Result<Value> {
    mcp.call(name, args)
        .await
        .map_err(|e| format!("{name}: {e}"))
}

async fn game_gets(mcp: &Mcp, calls: usize) -> Result<Value> {
    let get = json!({"node_path": "Hero", "properties": ["position"]});
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        game_call(mcp, "game_get", get.clone()).await?;
        times.push(t.elapsed());
    }
    Ok(stats(&times))
}

/// Waits until the editor's frames are short again: after opening a scene
/// it rebuilds its docks for a while, which is not ours to measure.
async fn settle(raw: &mut RawClient) -> Result {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        raw_call(raw, "get_performance", json!({"reset": true})).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let p = raw_call(raw, "get_performance", json!({})).await?;
        let longest = [&p["idle_frames"], &p["active_frames"]]
            .iter()
            .filter_map(|t| t["max_us"].as_u64())
            .max()
            .unwrap_or(0);
        if longest < 50_000 {
            break;
        }
    }
    raw_call(raw, "get_performance", json!({"reset": true})).await?;
    Ok(())
}

fn frames(timings: &Value) -> Value {
    let f = |k: &str| timings[k].as_f64().unwrap_or(0.0) / 1e3;
    json!({"frames": timings["count"], "p50_ms": f("p50_us"), "p99_ms": f("p99_us"), "max_ms": f("max_us")})
}

fn start(godot: &Path, project: &Path, env: &[(&str, &str)]) -> Result<Editor> {
    let tag: String = env.iter().map(|(k, v)| format!("-{k}={v}")).collect();
    Editor::start(
        godot,
        project,
        EditorOptions {
            log: Some(project.with_extension(format!("editor{tag}.log"))),
            extra_env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..EditorOptions::default()
        },
    )
}

async fn raw_call(raw: &mut RawClient, action: &str, params: Value) -> Result<Value> {
    raw.request(0, action, params).await?;
    let answer = raw.recv(Duration::from_secs(30)).await?;
    match answer.get("result") {
        Some(result) => Ok(result.clone()),
        None => Err(format!("{action}: {answer}")),
    }
}

async fn sequential_raw(raw: &mut RawClient, calls: usize) -> Result<Value> {
    let mut times = Vec::with_capacity(calls);
    for id in 0..calls {
        let t = Instant::now();
        raw.request(id as u64, CHEAP, json!({})).await?;
        raw.recv(Duration::from_secs(10)).await?;
        times.push(t.elapsed());
    }
    Ok(stats(&times))
}

async fn sequential_mcp(mcp: &Mcp, calls: usize) -> Result<Value> {
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        mcp.call(CHEAP, json!({}))
            .await
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed());
    }
    Ok(stats(&times))
}

/// Round trips of a small text frame through a loopback WebSocket echo.
async fn echo_floor(calls: usize) -> Result<Value> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let server = tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}"))
        .await
        .map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(calls);
    let frame = json!({"id": 1, "action": CHEAP, "params": {}}).to_string();
    for _ in 0..calls {
        let t = Instant::now();
        ws.send(Message::text(frame.clone()))
            .await
            .map_err(|e| e.to_string())?;
        ws.next().await;
        times.push(t.elapsed());
    }
    drop(ws);
    server.abort();
    Ok(stats(&times))
}

/// A project with a main scene and scenes of each benchmark size.
fn generate(dir: &Path, with_extension: bool) -> Result<PathBuf> {
    let io = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(
        dir.join("project.godot"),
        "config_version=5\n\n[application]\n\nconfig/name=\"godot-mcp bench\"\n\
         run/main_scene=\"res://bench_50.tscn\"\nconfig/features=PackedStringArray(\"4.6\")\n",
    )
    .map_err(io)?;
    for n in SIZES {
        std::fs::write(dir.join(format!("bench_{n}.tscn")), generated_scene(n)).map_err(io)?;
    }
    if with_extension {
        copy_tree(
            &workspace_root().join("addons/godot_mcp"),
            &dir.join("addons/godot_mcp"),
        )
        .map_err(io)?;
        if !dir.join("addons/godot_mcp/bin/libgodot_mcp.so").exists() {
            return Err("the extension is not built; run `cargo xtask build`".into());
        }
        register_extension(dir).map_err(io)?;
    }
    Ok(dir.to_path_buf())
}

/// Median wall time of a headless editor that starts, runs a few frames and
/// quits; the first start (the project's first scan) is not counted.
fn startup(godot: &Path, project: &Path, runs: usize) -> Result<f64> {
    let mut times = Vec::new();
    for i in 0..=runs {
        let t = Instant::now();
        let mut child = spawn(godot, project, &["--quit-after", "2"])?;
        let finished = wait(&mut child, Duration::from_secs(120));
        if !finished {
            kill(&child);
            return Err(format!("{} did not quit", project.display()));
        }
        if i > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2] * 1000.0).round() / 1000.0)
}

/// RSS and idle CPU of an editor on `project`, started without any client.
fn footprint(godot: &Path, project: &Path) -> Result<(u64, f64)> {
    let child = spawn(godot, project, &[])?;
    std::thread::sleep(SETTLE);
    let result = rss(child.id()).and_then(|r| Ok((r, cpu_share(child.id(), CPU_WINDOW)?)));
    kill(&child);
    result
}

fn spawn(godot: &Path, project: &Path, extra: &[&str]) -> Result<Child> {
    use std::os::unix::process::CommandExt;
    Command::new(godot)
        .args(["--headless", "--editor", "--path"])
        .arg(project)
        .args(extra)
        .env(
            godot_mcp_protocol::discovery::DIR_ENV,
            project.join(".runtime"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", godot.display()))
}

fn wait(child: &mut Child, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn kill(child: &Child) {
    signal_group(child.id(), "KILL");
}

fn rss(pid: u32) -> Result<u64> {
    godot_mcp_e2e::rss_bytes(pid).ok_or_else(|| format!("no resident size for {pid}"))
}

fn mib(bytes: u64) -> f64 {
    (bytes as f64 / 1048576.0 * 10.0).round() / 10.0
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line.
    Ok(num(11) + num(12))
}

/// Percent of one core a process used over `window`.
fn cpu_share(pid: u32, window: Duration) -> Result<f64> {
    let before = cpu_ticks(pid)?;
    std::thread::sleep(window);
    Ok(pct(cpu_ticks(pid)? - before, window))
}

fn pct(ticks: u64, over: Duration) -> f64 {
    // Linux reports in USER_HZ, 100 a second on every mainstream build.
    let secs = ticks as f64 / 100.0;
    (secs / over.as_secs_f64() * 1000.0).round() / 10.0
}
