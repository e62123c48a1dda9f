//! How fast the editor answers: frame timing and the wake-up state.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// Editor frame timing since the last reset: frame intervals, time spent on requests, wake-up state.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPerformance {
    /// Start a new measuring window after answering.
    #[serde(default)]
    pub reset: bool,
}
command!(
    GetPerformance,
    "get_performance",
    title = "Editor performance",
    toolset = Editor,
    read_only = true,
    output = Performance
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Length of the measuring window.
    pub window_ms: u64,
    /// Intervals between frames while no request was about: the editor's own pace.
    pub idle_frames: Timings,
    /// Intervals between frames while requests were arriving or waiting.
    pub active_frames: Timings,
    /// Time spent on requests, per frame that worked on any (answers spread
    /// over frames count in each).
    pub request_time: Timings,
    /// The plugin's own time per frame while no request is about.
    pub idle_overhead: Timings,
    pub wake: Wake,
    /// Godot's static memory use.
    pub static_memory_bytes: u64,
    /// What the extension itself holds on the heap.
    pub extension_heap_bytes: u64,
    /// Time the plugin took to start in this editor.
    pub startup_us: u64,
    /// The editor dock, as it shows now; absent when it is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dock: Option<DockReport>,
}

/// What the dock shows, read back from its own controls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockReport {
    /// Whether it is on screen (its tab is the one shown).
    pub visible: bool,
    /// Its visible area in the editor window: x, y, width, height.
    pub rect: [f32; 4],
    /// Its text, one line per row.
    pub rows: Vec<String>,
    /// The clients its setup menu offers.
    pub setup_clients: Vec<String>,
    /// Its buttons, so a test can press them where they are drawn.
    #[serde(default)]
    pub buttons: Vec<DockButton>,
    /// The `godot-mcp` its buttons run; absent when none was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shim: Option<String>,
}

/// A button of the dock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockButton {
    /// Its caption.
    pub text: String,
    /// Where it is in the editor window, as `DockReport::rect`.
    pub rect: [f32; 4],
}

/// A summary of durations in microseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Timings {
    /// Summarises `samples` (reordered in place).
    pub fn of(samples: &mut [u64]) -> Timings {
        if samples.is_empty() {
            return Timings::default();
        }
        samples.sort_unstable();
        Timings {
            count: samples.len() as u64,
            p50_us: percentile(samples, 0.5),
            p99_us: percentile(samples, 0.99),
            max_us: percentile(samples, 1.0),
        }
    }
}

/// The sample at quantile `q` (0 to 1) of `sorted` (nearest rank); 0 when
/// there is none.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    match sorted.len() {
        0 => 0,
        n => sorted[((n - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize],
    }
}

/// The editor sleeps between frames (low-processor mode). While a client is
/// connected and has called within `linger_ms`, the plugin shortens that
/// sleep and waits for requests itself between frames (`listening`), so a
/// request is handled when it arrives; otherwise the editor's own value is
/// in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wake {
    /// False when `GODOT_MCP_WAKE=0` turned this off.
    pub enabled: bool,
    /// True while the engine's sleep is the plugin's short one.
    pub awake: bool,
    /// True while frames end by waiting for requests.
    pub listening: bool,
    /// Clients connected now.
    pub clients: u64,
    /// The sleep between frames in force now, in microseconds.
    pub sleep_us: i64,
    /// The editor's own setting, restored when the plugin lets go.
    pub editor_sleep_us: i64,
    /// The engine's sleep while the plugin works or listens.
    pub short_sleep_us: i64,
    /// How long after the last call listening lasts (0: never).
    pub linger_ms: u64,
    /// Frames that waited for requests, and how many a request ended early.
    pub listens: u64,
    pub woken: u64,
    /// Frames while listening that had something to draw.
    pub draws: u64,
    /// Whether the editor sleeps between frames at all (off while a capture
    /// waits for drawn frames, as the editor's own setting otherwise).
    pub low_processor_mode: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_summarise_any_order() {
        assert_eq!(Timings::of(&mut []), Timings::default());
        let mut samples: Vec<u64> = (1..=100).rev().collect();
        let t = Timings::of(&mut samples);
        assert_eq!((t.count, t.p50_us, t.p99_us, t.max_us), (100, 51, 99, 100));
        assert_eq!(Timings::of(&mut [7]).p99_us, 7);
    }
}
