//! Keeps the editor awake while requests arrive.
//!
//! In low-processor mode the editor sleeps between frames (6.9 ms by
//! default, 100 ms when its window is unfocused, always when headless), and
//! a request that lands just after a frame waits out that sleep. While
//! requests arrive the sleep is shortened; after a quiet period, and when the
//! plugin stops, the editor's own value comes back. Only the running value
//! is changed, never the saved editor settings.

use std::time::{Duration, Instant};

use godot::classes::Os;
use godot::obj::Singleton;

use godot_mcp_protocol::commands::perf::Wake as WakeState;

/// Where the sleep between frames is read and written; the OS singleton in
/// the editor.
pub trait SleepSetting {
    fn get(&self) -> i64;
    fn set(&mut self, usec: i64);
    /// Whether the sleep applies at all.
    fn enabled(&self) -> bool;
}

pub struct Wake<S: SleepSetting> {
    setting: S,
    enabled: bool,
    awake_sleep_us: i64,
    quiet: Duration,
    /// The editor's value while awake; `None` while asleep.
    saved: Option<i64>,
    last_busy: Option<Instant>,
}

impl<S: SleepSetting> Wake<S> {
    pub fn new(setting: S, enabled: bool, awake_sleep_us: i64, quiet: Duration) -> Self {
        Self {
            setting,
            enabled,
            awake_sleep_us,
            quiet,
            saved: None,
            last_busy: None,
        }
    }

    /// Called once a frame: `busy` when requests were handled or are waiting.
    pub fn tick(&mut self, busy: bool, now: Instant) {
        if !self.enabled {
            return;
        }
        if busy {
            self.last_busy = Some(now);
        }
        match self.saved {
            None if busy => {
                let current = self.setting.get();
                if current > self.awake_sleep_us {
                    self.saved = Some(current);
                    self.setting.set(self.awake_sleep_us);
                }
            }
            None => {}
            Some(_) if self.last_busy.is_some_and(|t| now - t >= self.quiet) => self.restore(),
            Some(_) => {
                // The editor changed its value meanwhile (focus change,
                // settings edit): that is the one to restore later.
                let current = self.setting.get();
                if current != self.awake_sleep_us {
                    self.saved = Some(current);
                    self.setting.set(self.awake_sleep_us);
                }
            }
        }
    }

    /// Gives the editor its own value back.
    pub fn restore(&mut self) {
        if let Some(saved) = self.saved.take() {
            self.setting.set(saved);
        }
    }

    pub fn is_awake(&self) -> bool {
        self.saved.is_some()
    }

    pub fn state(&self) -> WakeState {
        let sleep_us = self.setting.get();
        WakeState {
            enabled: self.enabled,
            awake: self.is_awake(),
            sleep_us,
            editor_sleep_us: self.saved.unwrap_or(sleep_us),
            awake_sleep_us: self.awake_sleep_us,
            quiet_ms: self.quiet.as_millis().try_into().unwrap_or(u64::MAX),
            low_processor_mode: self.setting.enabled(),
        }
    }
}

impl<S: SleepSetting> Drop for Wake<S> {
    fn drop(&mut self) {
        self.restore();
    }
}

/// The running editor's low-processor sleep.
pub struct OsSleep;

impl SleepSetting for OsSleep {
    fn get(&self) -> i64 {
        i64::from(Os::singleton().get_low_processor_usage_mode_sleep_usec())
    }

    fn set(&mut self, usec: i64) {
        let usec = i32::try_from(usec.max(0)).unwrap_or(i32::MAX);
        Os::singleton().set_low_processor_usage_mode_sleep_usec(usec);
    }

    fn enabled(&self) -> bool {
        Os::singleton().is_in_low_processor_usage_mode()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[derive(Clone)]
    struct Fake(Rc<Cell<i64>>);

    impl SleepSetting for Fake {
        fn get(&self) -> i64 {
            self.0.get()
        }
        fn set(&mut self, usec: i64) {
            self.0.set(usec);
        }
        fn enabled(&self) -> bool {
            true
        }
    }

    fn wake(enabled: bool) -> (Wake<Fake>, Rc<Cell<i64>>) {
        let value = Rc::new(Cell::new(6900));
        let w = Wake::new(
            Fake(value.clone()),
            enabled,
            100,
            Duration::from_millis(500),
        );
        (w, value)
    }

    #[test]
    fn wakes_while_busy_and_restores_after_quiet() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(false, t0);
        assert_eq!(value.get(), 6900);
        w.tick(true, t0);
        assert_eq!(value.get(), 100);
        assert_eq!(w.state().editor_sleep_us, 6900);
        w.tick(false, t0 + Duration::from_millis(499));
        assert_eq!(value.get(), 100);
        w.tick(false, t0 + Duration::from_millis(500));
        assert_eq!(value.get(), 6900);
        assert!(!w.is_awake());
    }

    #[test]
    fn follows_the_editor_changing_its_value_meanwhile() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(true, t0);
        // The window lost focus: the editor set its unfocused sleep.
        value.set(100_000);
        w.tick(true, t0);
        assert_eq!(value.get(), 100);
        w.tick(false, t0 + Duration::from_secs(1));
        assert_eq!(value.get(), 100_000);
    }

    #[test]
    fn restores_on_drop_and_never_raises_a_lower_sleep() {
        let (mut w, value) = wake(true);
        w.tick(true, Instant::now());
        drop(w);
        assert_eq!(value.get(), 6900);

        let (mut w, value) = wake(true);
        value.set(0);
        w.tick(true, Instant::now());
        assert_eq!(value.get(), 0);
        assert!(!w.is_awake());
    }

    #[test]
    fn disabled_changes_nothing() {
        let (mut w, value) = wake(false);
        w.tick(true, Instant::now());
        assert_eq!(value.get(), 6900);
    }
}
