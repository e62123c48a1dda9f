//! Keeps the editor answering at once while an agent works with it.
//!
//! In low-processor mode the editor sleeps between frames (6.9 ms by
//! default, 100 ms when its window is unfocused, always when headless), and
//! a request that lands during that sleep would wait it out: nothing in the
//! engine ends the sleep early on Linux (a plain `nanosleep`, resumed after
//! signals; the Windows and macOS loops wake for window events only while
//! accessibility is on). So while a client is connected and has called
//! within the linger window, the plugin takes the sleep over: it shortens
//! the engine's own to almost nothing and instead waits for requests itself,
//! at the end of its frame, until the editor's next frame is due. A request
//! ends that wait at once and is handled in the same frame; with none, the
//! frames keep the editor's own pace, so a quiet client costs no CPU. Frames
//! that have work waiting (queued requests, answers due in a later frame)
//! do not wait at all. A frame that is about to draw after a quiet one does
//! not wait either, so what an edit or the user changed is drawn as soon as
//! it would have been; consecutive drawing frames do, or a continuously
//! redrawing editor would run faster than its own pace. With no client
//! connected the editor's own value is in force. Only the running value is
//! changed, never the saved editor settings, and a value the editor sets
//! meanwhile (a focus change) is the one given back.

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

/// The short sleep and how long listening lasts.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The engine's sleep while the plugin works or listens.
    pub short_sleep_us: i64,
    /// Listening lasts this long after the last call (zero: not at all).
    pub linger: Duration,
}

/// A wait shorter than this is not worth a frame's detour.
const MIN_LISTEN: Duration = Duration::from_micros(500);

pub struct Wake<S: SleepSetting> {
    setting: S,
    enabled: bool,
    pace: Pace,
    /// The editor's value while ours is in force.
    saved: Option<i64>,
    /// The value we last set, to notice the editor changing it.
    applied: Option<i64>,
    last_call: Option<Instant>,
    clients: usize,
    /// Whether this frame may end by listening.
    listening: bool,
    /// Whether the previous frame had something to draw.
    drew_last: bool,
    /// When the plugin last handed the frame back to the engine.
    left: Option<Instant>,
    listens: u64,
    woken: u64,
}

impl<S: SleepSetting> Wake<S> {
    pub fn new(setting: S, enabled: bool, pace: Pace) -> Self {
        Self {
            setting,
            enabled,
            pace,
            saved: None,
            applied: None,
            last_call: None,
            clients: 0,
            listening: false,
            drew_last: false,
            left: None,
            listens: 0,
            woken: 0,
        }
    }

    /// Called once a frame after requests were drained: `busy` when
    /// requests were handled or are waiting, `clients` connected now.
    pub fn tick(&mut self, busy: bool, clients: usize, now: Instant) {
        self.clients = clients;
        self.listening = false;
        if !self.enabled {
            return;
        }
        if busy {
            self.last_call = Some(now);
        } else if clients == 0 {
            // The next client starts afresh: connecting alone wakes nothing.
            self.last_call = None;
        }
        let called_lately = clients > 0
            && self
                .last_call
                .is_some_and(|t| now.saturating_duration_since(t) < self.pace.linger);
        let short = busy || called_lately;
        self.apply(short.then_some(self.pace.short_sleep_us));
        // Work waiting needs the next frame now, not at the editor's pace;
        // an editor that does not sleep between frames (updating
        // continuously) must not be held to one.
        self.listening = !busy && called_lately && self.applied.is_some() && self.setting.enabled();
    }

    /// How long this frame should wait for a request before handing back to
    /// the engine, if at all: until the editor's next frame is due, judged
    /// by the time the engine spent since the plugin last handed back
    /// (`entered` is when this frame reached the plugin). `draws` says the
    /// engine has changes to draw after this frame.
    pub fn listen_for(&mut self, entered: Instant, draws: bool, now: Instant) -> Option<Duration> {
        let fresh_draw = draws && !self.drew_last;
        self.drew_last = draws;
        if !self.listening || fresh_draw {
            return None;
        }
        let own = Duration::from_micros(u64::try_from(self.editor_sleep_us()).unwrap_or(0));
        let engine = self
            .left
            .map_or(own, |left| entered.saturating_duration_since(left));
        let due = entered + own.saturating_sub(engine);
        let wait = due.saturating_duration_since(now);
        (wait >= MIN_LISTEN).then_some(wait)
    }

    /// A listen ended; `woken` when a request ended it.
    pub fn listened(&mut self, woken: bool) {
        self.listens += 1;
        self.woken += u64::from(woken);
    }

    /// The plugin hands the frame back to the engine.
    pub fn leave(&mut self, now: Instant) {
        self.left = Some(now);
    }

    fn editor_sleep_us(&self) -> i64 {
        self.saved.unwrap_or_else(|| self.setting.get())
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

    /// True while the engine's sleep is ours: frames now are not the
    /// editor's idle pace unless the plugin listens through them.
    pub fn is_awake(&self) -> bool {
        self.saved.is_some() && !self.listening
    }

    pub fn state(&self) -> WakeState {
        let sleep_us = self.setting.get();
        WakeState {
            enabled: self.enabled,
            awake: self.saved.is_some(),
            listening: self.listening,
            clients: self.clients as u64,
            sleep_us,
            editor_sleep_us: self.saved.unwrap_or(sleep_us),
            short_sleep_us: self.pace.short_sleep_us,
            linger_ms: self.pace.linger.as_millis().try_into().unwrap_or(u64::MAX),
            listens: self.listens,
            woken: self.woken,
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
    struct Fake(Rc<Cell<i64>>, Rc<Cell<bool>>);

    impl SleepSetting for Fake {
        fn get(&self) -> i64 {
            self.0.get()
        }
        fn set(&mut self, usec: i64) {
            self.0.set(usec);
        }
        fn enabled(&self) -> bool {
            self.1.get()
        }
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn wake(enabled: bool) -> (Wake<Fake>, Rc<Cell<i64>>) {
        let value = Rc::new(Cell::new(100_000));
        let pace = Pace {
            short_sleep_us: 250,
            linger: MS(60_000),
        };
        let fake = Fake(value.clone(), Rc::new(Cell::new(true)));
        (Wake::new(fake, enabled, pace), value)
    }

    /// One quiet frame entered at `t` after the engine took `engine` since
    /// the last: how long it listens.
    fn quiet_frame(w: &mut Wake<Fake>, t: Instant, engine: Duration) -> Option<Duration> {
        w.leave(t - engine);
        w.tick(false, 1, t);
        let wait = w.listen_for(t, false, t);
        w.leave(t + wait.unwrap_or_default());
        wait
    }

    #[test]
    fn listens_until_the_editors_next_frame_while_a_client_has_called() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(false, 1, t0);
        assert_eq!(w.listen_for(t0, false, t0), None, "connecting alone");
        assert_eq!(value.get(), 100_000);
        // A call: the engine's sleep is short and this frame does not wait.
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 250);
        assert_eq!(w.listen_for(t0, false, t0), None);
        assert!(w.is_awake());
        // Quiet frames listen for the rest of the editor's 100 ms.
        let t = t0 + MS(1);
        assert_eq!(quiet_frame(&mut w, t, MS(1)), Some(MS(99)));
        let s = w.state();
        assert!(s.awake && s.listening && !w.is_awake(), "{s:?}");
        assert_eq!(
            (s.sleep_us, s.editor_sleep_us, s.clients),
            (250, 100_000, 1)
        );
        // Seconds later, still within the window.
        assert_eq!(quiet_frame(&mut w, t0 + MS(59_000), MS(3)), Some(MS(97)));
        // Past the window: the editor's own value, no listening.
        assert_eq!(quiet_frame(&mut w, t0 + MS(60_000), MS(3)), None);
        assert_eq!(value.get(), 100_000);
        assert!(!w.state().awake && !w.state().listening);
    }

    #[test]
    fn a_frame_that_ran_late_does_not_listen_and_work_never_waits() {
        let (mut w, _) = wake(true);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(quiet_frame(&mut w, t0 + MS(200), MS(100)), None);
        assert_eq!(quiet_frame(&mut w, t0 + MS(300), MS(99)), Some(MS(1)));
        // Requests handled or waiting: no listening this frame.
        w.tick(true, 1, t0 + MS(400));
        assert_eq!(w.listen_for(t0 + MS(400), false, t0 + MS(400)), None);
        w.listened(true);
        assert_eq!((w.state().listens, w.state().woken), (1, 1));
    }

    #[test]
    fn a_first_drawing_frame_draws_at_once_and_later_ones_keep_the_pace() {
        let (mut w, _) = wake(true);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        w.leave(t0);
        let t = t0 + MS(1);
        w.tick(false, 1, t);
        assert_eq!(w.listen_for(t, true, t), None, "draws now");
        w.leave(t);
        let t = t + MS(1);
        w.tick(false, 1, t);
        assert_eq!(w.listen_for(t, true, t), Some(MS(99)), "draws again");
        w.leave(t + MS(99));
        let t = t + MS(100);
        w.tick(false, 1, t);
        assert_eq!(w.listen_for(t, false, t), Some(MS(99)));
    }

    #[test]
    fn an_editor_that_does_not_sleep_is_not_held_to_a_pace() {
        let (mut w, _) = wake(true);
        w.setting.1.set(false);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(quiet_frame(&mut w, t0 + MS(1), MS(1)), None);
        w.setting.1.set(true);
        assert_eq!(quiet_frame(&mut w, t0 + MS(2), MS(1)), Some(MS(99)));
    }

    #[test]
    fn no_client_gives_the_value_back_at_once_and_forgets_the_last_call() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        w.tick(false, 0, t0 + MS(10));
        assert_eq!(value.get(), 100_000);
        assert!(!w.state().awake);
        // A new client, within the window of the old one's call: nothing.
        assert_eq!(quiet_frame(&mut w, t0 + MS(20), MS(1)), None);
        assert_eq!(value.get(), 100_000);
    }

    #[test]
    fn without_linger_only_work_shortens_the_sleep() {
        let (mut w, value) = wake(true);
        w.pace.linger = Duration::ZERO;
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 250);
        assert_eq!(quiet_frame(&mut w, t0 + MS(1), MS(1)), None);
        assert_eq!(value.get(), 100_000);
    }

    #[test]
    fn follows_the_editor_changing_its_value_meanwhile() {
        let (mut w, value) = wake(true);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        // The window gained focus: the editor set its focused sleep.
        value.set(6900);
        assert_eq!(
            quiet_frame(&mut w, t0 + MS(1), MS(1)),
            Some(Duration::from_micros(5900))
        );
        assert_eq!(value.get(), 250);
        assert_eq!(w.state().editor_sleep_us, 6900);
        assert_eq!(quiet_frame(&mut w, t0 + MS(61_000), MS(1)), None);
        assert_eq!(value.get(), 6900);
    }

    #[test]
    fn a_value_the_editor_set_is_not_overwritten_on_restore() {
        let (mut w, value) = wake(true);
        w.tick(true, 1, Instant::now());
        value.set(6900);
        w.restore();
        assert_eq!(value.get(), 6900);
    }

    #[test]
    fn restores_on_drop_and_never_raises_a_lower_sleep() {
        let (mut w, value) = wake(true);
        w.tick(true, 1, Instant::now());
        drop(w);
        assert_eq!(value.get(), 100_000);

        let (mut w, value) = wake(true);
        value.set(100);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 100);
        assert_eq!(quiet_frame(&mut w, t0 + MS(1), MS(1)), None);
        assert!(!w.state().awake);
    }

    #[test]
    fn disabled_changes_nothing() {
        let (mut w, value) = wake(false);
        let t0 = Instant::now();
        w.tick(true, 1, t0);
        assert_eq!(value.get(), 100_000);
        assert_eq!(quiet_frame(&mut w, t0 + MS(1), MS(1)), None);
    }
}
