//! Frame timing, measured where the requests are handled.
//!
//! The plugin records each frame's interval (split by whether requests were
//! about) and the time it spent on requests; `get_performance` summarises
//! the window since the last reset.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use godot_mcp_protocol::commands::perf::{Performance, Timings, Wake as WakeState};

/// Samples kept per series; older ones are dropped (about 7 minutes of idle
/// frames at the editor's default pace).
const KEEP: usize = 65_536;

pub struct FrameLog {
    since: Instant,
    last_frame: Option<Instant>,
    idle: Series,
    active: Series,
    requests: Series,
    overhead: Series,
    /// How long the plugin took to start.
    pub startup: Duration,
}

#[derive(Default)]
struct Series(VecDeque<u64>);

impl Series {
    fn push(&mut self, d: Duration) {
        if self.0.len() == KEEP {
            self.0.pop_front();
        }
        self.0
            .push_back(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    fn timings(&self) -> Timings {
        Timings::of(self.0.iter().copied().collect::<Vec<_>>().as_mut_slice())
    }
}

impl Default for FrameLog {
    fn default() -> Self {
        Self {
            since: Instant::now(),
            last_frame: None,
            idle: Series::default(),
            active: Series::default(),
            requests: Series::default(),
            overhead: Series::default(),
            startup: Duration::ZERO,
        }
    }
}

impl FrameLog {
    /// Records a frame that began at `now`; `active` when requests were
    /// about, `request_time` when it handled any.
    pub fn frame(&mut self, now: Instant, active: bool, request_time: Option<Duration>) {
        if let Some(last) = self.last_frame.replace(now) {
            let series = if active {
                &mut self.active
            } else {
                &mut self.idle
            };
            series.push(now - last);
        }
        if let Some(t) = request_time {
            self.requests.push(t);
        }
    }

    /// Records request time spent later in the same frame.
    pub fn requests(&mut self, spent: Duration) {
        self.requests.push(spent);
    }

    /// Records the plugin's time in a frame with no request about.
    pub fn idle_overhead(&mut self, spent: Duration) {
        self.overhead.push(spent);
    }

    pub fn summary(&self, wake: WakeState, static_memory_bytes: u64) -> Performance {
        Performance {
            window_ms: u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX),
            idle_frames: self.idle.timings(),
            active_frames: self.active.timings(),
            request_time: self.requests.timings(),
            idle_overhead: self.overhead.timings(),
            wake,
            static_memory_bytes,
            extension_heap_bytes: crate::heap::live_bytes(),
            startup_us: u64::try_from(self.startup.as_micros()).unwrap_or(u64::MAX),
            dock: None,
        }
    }

    /// Starts a new window.
    pub fn reset(&mut self) {
        self.since = Instant::now();
        self.idle.0.clear();
        self.active.0.clear();
        self.requests.0.clear();
        self.overhead.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_intervals_by_activity() {
        let mut log = FrameLog::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        log.frame(t0, false, None);
        log.frame(t0 + ms(7), false, None);
        log.frame(t0 + ms(8), true, Some(ms(2)));
        log.frame(t0 + ms(9), true, None);
        let p = log.summary(WakeState::default(), 0);
        assert_eq!((p.idle_frames.count, p.idle_frames.max_us), (1, 7000));
        assert_eq!((p.active_frames.count, p.active_frames.p50_us), (2, 1000));
        assert_eq!((p.request_time.count, p.request_time.max_us), (1, 2000));
        log.reset();
        let p = log.summary(WakeState::default(), 0);
        assert_eq!(p.idle_frames.count + p.active_frames.count, 0);
    }

    #[test]
    fn keeps_a_bounded_window() {
        let mut s = Series::default();
        for _ in 0..KEEP + 10 {
            s.push(Duration::from_micros(1));
        }
        assert_eq!(s.0.len(), KEEP);
    }
}
