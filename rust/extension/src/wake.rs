//! Keeps the editor awake while an agent works with it.
//!
//! In low-processor mode the editor sleeps between frames (6.9 ms by
//! default, 100 ms when its window is unfocused, always when headless), and
//! a request that lands just after a frame waits out that sleep: nothing in
//! the engine ends that sleep early on Linux (a plain `nanosleep`, resumed
//! after signals; the Windows and macOS loops wake for window events only
//! while accessibility is on). So the sleep itself is shortened, in two
//! steps: while requests arrive, to almost nothing (`awake`); then, while a
//! client stays connected and has called within the linger window, to a
//! value short enough that the next call waits a few milliseconds and long
//! enough that an idle editor costs next to nothing (`linger`). With no
//! client connected the editor's own value is in force. Only the running
//! value is changed, never the saved editor settings, and a value the
//! editor sets meanwhile (a focus change) is the one given back.

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

/// The sleeps to use and how long each lasts.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Sleep while requests arrive...
    pub awake_sleep_us: i64,
    /// ...until this long after the last one.
    pub quiet: Duration,
    /// Sleep between calls while a client is connected...
    pub linger_sleep_us: i64,
    /// ...until this long after the last call (zero: not at all).
    pub linger: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The editor's own value.
    Asleep,
    Linger,
    Awake,
}

pub struct Wake<S: SleepSetting> {
    setting: S,
    enabled: bool,
    pace: Pace,
    level: Level,
    /// The editor's value while ours is in force.
    saved: Option<i64>,
    /// The value we last set, to notice the editor changing it.
    applied: Option<i64>,
    last_call: Option<Instant>,
    clients: usize,
}

impl<S: SleepSetting> Wake<S> {
    pub fn new(setting: S, enabled: bool, pace: Pace) -> Self {
        Self {
            setting,
            enabled,
            pace,
            level: Level::Asleep,
            saved: None,
            applied: None,
            last_call: None,
            clients: 0,
        }
    }

    /// Called once a frame: `busy` when requests were handled or are
    /// waiting, `clients` connected now.
    pub fn tick(&mut self, busy: bool, clients: usize, now: Instant) {
        self.clients = clients;
        if !self.enabled {
            return;
        }
        if busy {
            self.last_call = Some(now);
        } else if clients == 0 {
            // The next client starts afresh: connecting alone wakes nothing.
            self.last_call = None;
        }
        let since = self.last_call.map(|t| now.saturating_duration_since(t));
        self.level = match since {
            _ if busy => Level::Awake,
            Some(d) if d < self.pace.quiet => Level::Awake,
            Some(d) if d < self.pace.linger => Level::Linger,
            _ => Level::Asleep,
        };
        let target = match self.level {
            Level::Asleep => None,
            Level::Linger => Some(self.pace.linger_sleep_us),
            Level::Awake => Some(self.pace.awake_sleep_us),
        };
        self.apply(target);
    }

    fn apply(&mut self, target: Option<i64>) {
        let current = self.setting.get();
        // The editor changed its value while ours was in force (focus
        // change, settings edit): that is the one to give back later.
        if self.applied.is_some_and(|a| a != current) {
            self.saved = Some(current);
            self.applied = None;
        }
        let Some(target) = target else {
            return self.restore();
        };
        let editor = self.saved.unwrap_or(current);
        if editor <= target {
            // Never raise a shorter sleep.
            return self.restore();
        }
        self.saved = Some(editor);
        if current != target {
            self.setting.set(target);
        }
        self.applied = Some(target);
    }

    /// Gives the editor its own value back.
    pub fn restore(&mut self) {
        let applied = self.applied.take();
        if let Some(saved) = self.saved.take()
            && applied == Some(self.setting.get())
        {
            self.setting.set(saved);
        }
    }

    /// True while requests arrive (or just did): frames now are not the
    /// editor's idle pace.
    pub fn is_awake(&self) -> bool {
        self.saved.is_some() && self.level == Level::Awake
    }

    pub fn state(&self) -> WakeState {
        let sleep_us = self.setting.get();
        let ms = |d: Duration| d.as_millis().try_into().unwrap_or(u64::MAX);
        WakeState {
            enabled: self.enabled,
            awake: self.saved.is_some(),
            linger: self.saved.is_some() && self.level == Level::Linger,
            clients: self.clients as u64,
            sleep_us,
            editor_sleep_us: self.saved.unwrap_or(sleep_us),
            awake_sleep_us: self.pace.awake_sleep_us,
            quiet_ms: ms(self.pace.quiet),
            linger_sleep_us: self.pace.linger_sleep_us,
            linger_ms: ms(self.pace.linger),
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

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn wake(enabled: bool) -> (Wake<Fake>, Rc<Cell<i64>>) {
        let value = Rc::new(Cell::new(6900));
        let pace = Pace {
            awake_sleep_us: 100,
            quiet: MS(500),
            linger_sleep_us: 3000,
            linger: MS(60_000),
        };
        (Wake::new(Fake(value.clone()), enabled, pace), value)
    }

    #[test]
    fn awake_while_called_then_lingers_then_sleeps() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(false, 1, t0);
        assert_eq!(value.get(), 6900, "connecting alone wakes nothing");
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 100);
        assert!(w.is_awake());
        assert_eq!(w.state().editor_sleep_us, 6900);
        w.tick(false, 1, t0 + MS(499));
        assert_eq!(value.get(), 100);
        w.tick(false, 1, t0 + MS(500));
        assert_eq!(value.get(), 3000);
        let s = w.state();
        assert!(s.awake && s.linger && !w.is_awake(), "{s:?}");
        assert_eq!((s.sleep_us, s.editor_sleep_us, s.clients), (3000, 6900, 1));
        // A call between: awake again, then lingering again.
        w.tick(true, 1, t0 + MS(30_000));
        assert_eq!(value.get(), 100);
        w.tick(false, 1, t0 + MS(31_000));
        assert_eq!(value.get(), 3000);
        w.tick(false, 1, t0 + MS(89_999));
        assert_eq!(value.get(), 3000);
        w.tick(false, 1, t0 + MS(90_000));
        assert_eq!(value.get(), 6900);
        assert!(!w.state().awake);
    }

    #[test]
    fn no_client_gives_the_value_back_at_once_and_forgets_the_last_call() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        w.tick(false, 0, t0 + MS(10));
        assert_eq!(value.get(), 6900);
        assert!(!w.state().awake);
        // A new client, within the window of the old one's call: nothing.
        w.tick(false, 1, t0 + MS(20));
        assert_eq!(value.get(), 6900);
        w.tick(false, 1, t0 + MS(1_000));
        assert_eq!(value.get(), 6900);
    }

    #[test]
    fn without_linger_the_value_comes_back_after_quiet() {
        let (mut w, value) = wake(true);
        w.pace.linger = Duration::ZERO;
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 100);
        w.tick(false, 1, t0 + MS(500));
        assert_eq!(value.get(), 6900);
    }

    #[test]
    fn follows_the_editor_changing_its_value_meanwhile() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        // The window lost focus: the editor set its unfocused sleep.
        value.set(100_000);
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 100);
        assert_eq!(w.state().editor_sleep_us, 100_000);
        w.tick(false, 1, t0 + MS(1_000));
        assert_eq!(value.get(), 3000);
        // Focus back while lingering, then the window ends.
        value.set(6900);
        w.tick(false, 1, t0 + MS(2_000));
        assert_eq!(value.get(), 3000);
        assert_eq!(w.state().editor_sleep_us, 6900);
        w.tick(false, 1, t0 + MS(61_000));
        assert_eq!(value.get(), 6900);
    }

    #[test]
    fn a_value_the_editor_set_is_not_overwritten_on_restore() {
        let (mut w, value) = wake(true);
        w.tick(true, 1, Instant::now());
        value.set(100_000);
        w.restore();
        assert_eq!(value.get(), 100_000);
    }

    #[test]
    fn restores_on_drop_and_never_raises_a_lower_sleep() {
        let (mut w, value) = wake(true);
        w.tick(true, 1, Instant::now());
        drop(w);
        assert_eq!(value.get(), 6900);

        // Shorter than the linger sleep, longer than the awake one.
        let (mut w, value) = wake(true);
        value.set(2000);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 100);
        w.tick(false, 1, t0 + MS(600));
        assert_eq!(value.get(), 2000);
        assert!(!w.state().awake);

        let (mut w, value) = wake(true);
        value.set(0);
        w.tick(true, 1, Instant::now());
        assert_eq!(value.get(), 0);
        assert!(!w.state().awake);
    }

    #[test]
    fn disabled_changes_nothing() {
        let (mut w, value) = wake(false);
        w.tick(true, 1, Instant::now());
        assert_eq!(value.get(), 6900);
    }
}
