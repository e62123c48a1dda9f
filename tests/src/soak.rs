//! A long mixed workload against one real editor through the real shim:
//! reads, edits and their undo, saves, deliberate errors, game runs read to
//! their end, and screenshots when the editor renders. Each minute yields a
//! row of editor RSS, frame times, call latency and error counts, so leaks
//! and slow drifts show as trends. `cargo xtask soak` prints the rows for a
//! long run; the e2e suite runs one minute and fails on any unexpected
//! error.
//!
//! Saves are paced by time, like game runs, rather than by round: Godot's
//! own resource saver keeps about 6 KiB of its count per `.tscn` it writes
//! (measured from GDScript with `ResourceSaver.save`, nothing of ours in
//! the loop), so a save every tenth round (30 a minute headless) would
//! measure the engine's saver, not our leaks. Four a minute is still far
//! more saving than a user does.

use std::path::Path;
use std::time::{Duration, Instant};

use godot_mcp_protocol::commands::perf::percentile;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Value, json};

use crate::{Editor, EditorOptions, Mcp, rss_bytes, run_game_headless, sample_project_copy};

const MAIN: &str = "res://scenes/main.tscn";
const TALKER: &str = "res://soak/talker.tscn";
/// Lines the soak's game prints before it quits.
const TALKER_LINES: u64 = 600;
/// Pause between rounds, so the soak is steady rather than saturating.
const PAUSE: Duration = Duration::from_millis(100);
const GAME_EVERY: Duration = Duration::from_secs(20);
const SCREENSHOT_EVERY: Duration = Duration::from_secs(5);
const SAVE_EVERY: Duration = Duration::from_secs(15);

/// A game that prints 20 lines a frame for about a second, 600 in all,
/// then quits.
const TALKER_SCRIPT: &str = "extends Node

var printed := 0
var began := 0

func _ready() -> void:
\tbegan = Time.get_ticks_msec()

func _process(_delta: float) -> void:
\tvar due := mini(600, int((Time.get_ticks_msec() - began) * 0.6) + 20)
\twhile printed < due:
\t\tprint(\"soak line \", printed)
\t\tprinted += 1
\tif printed >= 600:
\t\tget_tree().quit()
";

/// One minute of the soak.
#[derive(Debug, Clone, Default)]
pub struct Minute {
    pub minute: u64,
    /// Median of the editor's RSS samples taken this minute.
    pub rss_kib: u64,
    /// At the minute's end: what Godot counts as its own memory, and what
    /// the extension holds on its heap (the rest of RSS is neither's count:
    /// drivers, allocator slack).
    pub godot_kib: u64,
    pub extension_kib: u64,
    /// The editor's frame intervals (p99) while idle and while busy with requests.
    pub idle_frame_p99_us: u64,
    pub active_frame_p99_us: u64,
    /// Time the editor spent on requests per frame (p99).
    pub request_p99_us: u64,
    /// Round-trip latency of the quick calls (reads, edits, undo).
    pub calls: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    /// Slow calls: saves, game starts, screenshots.
    pub slow_calls: usize,
    pub slow_max_us: u64,
    pub game_runs: usize,
    pub screenshots: usize,
    /// Lines the games printed that never reached the editor.
    pub lost_lines: u64,
    /// Errors the workload provokes on purpose, answered as expected.
    pub expected_errors: usize,
    pub unexpected: Vec<String>,
}

impl Minute {
    pub const HEADER: &str = "min  rss MiB  godot MiB  ours KiB  idle p99 ms  busy p99 ms  req p99 ms  calls  p50 ms  p99 ms  slow  slow max ms  games  lost  shots  expected  unexpected";

    pub fn row(&self) -> String {
        let ms = |us: u64| format!("{:.1}", us as f64 / 1000.0);
        format!(
            "{:>3}  {:>7.1}  {:>9.1}  {:>8}  {:>11}  {:>11}  {:>10}  {:>5}  {:>6}  {:>6}  {:>4}  {:>11}  {:>5}  {:>4}  {:>5}  {:>8}  {:>10}",
            self.minute,
            self.rss_kib as f64 / 1024.0,
            self.godot_kib as f64 / 1024.0,
            self.extension_kib,
            ms(self.idle_frame_p99_us),
            ms(self.active_frame_p99_us),
            ms(self.request_p99_us),
            self.calls,
            ms(self.p50_us),
            ms(self.p99_us),
            self.slow_calls,
            ms(self.slow_max_us),
            self.game_runs,
            self.lost_lines,
            self.screenshots,
            self.expected_errors,
            self.unexpected.len()
        )
    }
}

/// Adds the soak's talking game to a project copy.
fn add_talker(project: &Path) -> Result<(), String> {
    let dir = project.join("soak");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("talker.gd"), TALKER_SCRIPT).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("talker.tscn"),
        crate::script_scene("Talker", "res://soak/talker.gd"),
    )
    .map_err(|e| e.to_string())
}

/// Starts an editor (rendering under Xvfb when `render`) on a copy of the
/// sample project and drives it for `minutes`, handing each minute's row to
/// `each` as it completes.
pub async fn run(
    godot: &Path,
    minutes: u64,
    render: bool,
    mut each: impl FnMut(&Minute),
) -> Result<Vec<Minute>, String> {
    let project = sample_project_copy(if render { "soak-render" } else { "soak" })?;
    add_talker(&project)?;
    run_game_headless(&project)?;
    let mut editor = Editor::start(
        godot,
        &project,
        EditorOptions {
            headless: !render,
            xvfb: render,
            ..EditorOptions::default()
        },
    )?;
    let result = async {
        let mcp = Mcp::start(editor.port).await?;
        let rows = Soak::new(&mcp, &editor, render)
            .drive(minutes, &mut each)
            .await;
        mcp.close().await;
        rows
    }
    .await;
    editor.kill();
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(project.parent().unwrap_or(&project));
    }
    result
}

struct Soak<'a> {
    mcp: &'a Mcp,
    pid: u32,
    render: bool,
    round: u64,
    minute: Minute,
    quick: Vec<u64>,
    slow: Vec<u64>,
    rss: Vec<u64>,
}

impl<'a> Soak<'a> {
    fn new(mcp: &'a Mcp, editor: &Editor, render: bool) -> Self {
        Soak {
            mcp,
            pid: editor.pid(),
            render,
            round: 0,
            minute: Minute::default(),
            quick: Vec::new(),
            slow: Vec::new(),
            rss: Vec::new(),
        }
    }

    async fn drive(
        mut self,
        minutes: u64,
        each: &mut impl FnMut(&Minute),
    ) -> Result<Vec<Minute>, String> {
        self.setup("open_scene", json!({"scene_path": MAIN}))
            .await?;
        let original = self
            .setup("get_scene_tree", json!({"scene_path": MAIN}))
            .await?;
        self.setup("get_performance", json!({"reset": true}))
            .await?;
        let start = Instant::now();
        let mut last_game = start;
        let mut last_shot = start;
        let mut last_save = start;
        let mut rows = Vec::new();
        for m in 1..=minutes {
            self.minute = Minute {
                minute: m,
                ..Minute::default()
            };
            let end = start + Duration::from_secs(60 * m);
            while Instant::now() < end {
                self.round(&original).await;
                if last_game.elapsed() >= GAME_EVERY {
                    last_game = Instant::now();
                    self.game().await;
                }
                if last_save.elapsed() >= SAVE_EVERY {
                    last_save = Instant::now();
                    self.save().await;
                }
                if self.render && last_shot.elapsed() >= SCREENSHOT_EVERY {
                    last_shot = Instant::now();
                    self.screenshot().await;
                }
                if let Some(rss) = rss_bytes(self.pid) {
                    self.rss.push(rss >> 10);
                }
                tokio::time::sleep(PAUSE).await;
            }
            self.close_minute().await;
            each(&self.minute);
            rows.push(std::mem::take(&mut self.minute));
        }
        Ok(rows)
    }

    /// One round of reads, an edit and its undo, and a deliberate error.
    async fn round(&mut self, original: &Value) {
        self.round += 1;
        let i = self.round;
        let _ = self.quick_call("get_editor_state", json!({})).await;
        let _ = self
            .quick_call("get_scene_tree", json!({"scene_path": MAIN}))
            .await;
        let _ = self
            .quick_call(
                "get_node_properties",
                json!({"scene_path": MAIN, "node_path": "Player", "names": ["position"]}),
            )
            .await;
        let added = self
            .quick_call(
                "add_node",
                json!({"scene_path": MAIN, "type": "Node2D", "name": "Soak"}),
            )
            .await;
        if added.is_ok() {
            let _ = self
                .quick_call(
                    "edit_node",
                    json!({"scene_path": MAIN, "node_path": "Soak", "properties": {"position": [i % 100, 5]}}),
                )
                .await;
            let _ = self.quick_call("undo", json!({"scene_path": MAIN})).await;
            let _ = self.quick_call("undo", json!({"scene_path": MAIN})).await;
        }
        let t = Instant::now();
        let missing = self
            .mcp
            .call(
                "get_node_properties",
                json!({"scene_path": MAIN, "node_path": "NoSuchNode"}),
            )
            .await;
        self.quick.push(t.elapsed().as_micros() as u64);
        match missing {
            Err(e) if e.code == ErrorCode::NodeNotFound => self.minute.expected_errors += 1,
            other => self.unexpected(format!(
                "a missing node answered {:?}",
                other.map_err(|e| e.to_string())
            )),
        }
        if i.is_multiple_of(10) {
            let _ = self.quick_call("get_undo_history", json!({})).await;
            let _ = self
                .quick_call("read_text_file", json!({"path": "res://soak/talker.gd"}))
                .await;
            if let Ok(tree) = self
                .quick_call("get_scene_tree", json!({"scene_path": MAIN}))
                .await
                && &tree != original
            {
                self.unexpected(format!("the scene drifted from its original: {tree}"));
            }
        }
    }

    async fn save(&mut self) {
        let t = Instant::now();
        let saved = self
            .mcp
            .call("save_scene", json!({"scene_path": MAIN}))
            .await;
        self.slow.push(t.elapsed().as_micros() as u64);
        if let Err(e) = saved {
            self.unexpected(format!("save_scene: {e}"));
        }
    }

    /// Runs the talking game and reads its output until it has ended.
    async fn game(&mut self) {
        let t = Instant::now();
        let run = self.mcp.call("run_project", json!({"scene": TALKER})).await;
        self.slow.push(t.elapsed().as_micros() as u64);
        let run_id = match run.map(|r| r["run_id"].as_u64()) {
            Ok(Some(id)) => id,
            other => {
                return self.unexpected(format!(
                    "run_project: {:?}",
                    other.map_err(|e| e.to_string())
                ));
            }
        };
        let began = Instant::now();
        let mut cursor = 0;
        let mut lines = 0;
        loop {
            let out = self
                .quick_call(
                    "get_game_output",
                    json!({"run_id": run_id, "since": cursor, "limit": 200}),
                )
                .await;
            let Ok(out) = out else { return };
            lines += out["lines"].as_array().map_or(0, |l| {
                l.iter()
                    .filter(|line| {
                        line["text"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("soak line"))
                    })
                    .count() as u64
            });
            cursor = out["next"].as_u64().unwrap_or(cursor);
            let exited = out["run"]["state"] == "exited";
            if exited && cursor >= out["run"]["output_lines"].as_u64().unwrap_or(0) {
                if out["missed"].as_u64().unwrap_or(0) > 0 {
                    self.unexpected(format!("output of a short run was dropped: {}", out["run"]));
                }
                // Godot's editor drops the debugger messages it has not yet
                // handled when a game's session ends; a quitting game waits
                // for the editor to have read its output, and whatever is
                // lost anyway is counted here.
                self.minute.lost_lines += TALKER_LINES.saturating_sub(lines);
                self.minute.game_runs += 1;
                return;
            }
            if began.elapsed() > Duration::from_secs(60) {
                return self.unexpected(format!("the game did not end: {}", out["run"]));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&mut self) {
        let t = Instant::now();
        let shot = self
            .mcp
            .call_result(
                "get_screenshot",
                json!({"target": "viewport_2d", "max_size": 256}),
            )
            .await;
        self.slow.push(t.elapsed().as_micros() as u64);
        match shot {
            Ok(r) if r.is_error != Some(true) => self.minute.screenshots += 1,
            other => self.unexpected(format!("get_screenshot: {other:?}")),
        }
    }

    /// A read, edit or undo that must succeed; its latency counts.
    async fn quick_call(&mut self, name: &str, args: Value) -> Result<Value, ()> {
        let t = Instant::now();
        let result = self.mcp.call(name, args).await;
        self.quick.push(t.elapsed().as_micros() as u64);
        result.map_err(|e| self.unexpected(format!("{name}: {e}")))
    }

    /// A setup call outside the measurements.
    async fn setup(&self, name: &str, args: Value) -> Result<Value, String> {
        self.mcp
            .call(name, args)
            .await
            .map_err(|e: ErrorBody| format!("{name}: {e}"))
    }

    fn unexpected(&mut self, what: String) {
        self.minute.unexpected.push(what);
    }

    async fn close_minute(&mut self) {
        let perf = self
            .mcp
            .call("get_performance", json!({"reset": true}))
            .await;
        match perf {
            Ok(p) => {
                let us = |k: &str| p[k]["p99_us"].as_u64().unwrap_or(0);
                self.minute.idle_frame_p99_us = us("idle_frames");
                self.minute.active_frame_p99_us = us("active_frames");
                self.minute.request_p99_us = us("request_time");
                let kib = |k: &str| p[k].as_u64().unwrap_or(0) >> 10;
                self.minute.godot_kib = kib("static_memory_bytes");
                self.minute.extension_kib = kib("extension_heap_bytes");
            }
            Err(e) => self.unexpected(format!("get_performance: {e}")),
        }
        let m = &mut self.minute;
        self.quick.sort_unstable();
        self.slow.sort_unstable();
        self.rss.sort_unstable();
        m.calls = self.quick.len();
        m.p50_us = percentile(&self.quick, 0.5);
        m.p99_us = percentile(&self.quick, 0.99);
        m.slow_calls = self.slow.len();
        m.slow_max_us = percentile(&self.slow, 1.0);
        m.rss_kib = percentile(&self.rss, 0.5);
        self.quick.clear();
        self.slow.clear();
        self.rss.clear();
    }
}

/// Judges a run: no unexpected error; after the first `warmup` minutes,
/// editor RSS grows by at most `max_growth_kib` and no minute's p99 is more
/// than twice the median p99 (plus 5 ms of scheduling noise). Returns the
/// summary line, or why the run failed.
pub fn verdict(rows: &[Minute], warmup: usize, max_growth_kib: u64) -> Result<String, String> {
    let unexpected: Vec<&String> = rows.iter().flat_map(|m| &m.unexpected).collect();
    if let Some(first) = unexpected.first() {
        return Err(format!(
            "{} unexpected error(s); the first: {first}",
            unexpected.len()
        ));
    }
    let measured = rows
        .get(warmup.min(rows.len().saturating_sub(1))..)
        .unwrap_or(&[]);
    let (Some(first), Some(last)) = (measured.first(), measured.last()) else {
        return Err("no minute was measured".into());
    };
    let growth = last.rss_kib as i64 - first.rss_kib as i64;
    let grew = |f: fn(&Minute) -> u64| f(last) as i64 - f(first) as i64;
    let mut p99s: Vec<u64> = measured.iter().map(|m| m.p99_us).collect();
    p99s.sort_unstable();
    let median = percentile(&p99s, 0.5);
    let worst = percentile(&p99s, 1.0);
    let summary = format!(
        "after {warmup} min of warm-up: editor RSS {:+} KiB over {} min (limit {max_growth_kib}; \
         Godot's count {:+} KiB, the extension's heap {:+} KiB), call p99 median {:.1} ms, worst {:.1} ms, 0 unexpected errors; \
         {} game output lines lost at exit in {} runs",
        growth,
        measured.len() - 1,
        grew(|m| m.godot_kib),
        grew(|m| m.extension_kib),
        median as f64 / 1000.0,
        worst as f64 / 1000.0,
        rows.iter().map(|m| m.lost_lines).sum::<u64>(),
        rows.iter().map(|m| m.game_runs).sum::<usize>()
    );
    if growth > 0 && growth as u64 > max_growth_kib {
        return Err(format!("editor RSS grew too much: {summary}"));
    }
    if worst > 2 * median + 5_000 {
        return Err(format!("p99 is not stable: {summary}"));
    }
    Ok(summary)
}
