//! Game time as the agent controls it: frozen, running, or stepping a
//! counted number of physics frames with inputs at exact frames.

use std::time::Instant;

use godot::classes::{Engine, Node, Os, ProjectSettings};
use godot::prelude::*;
use godot_mcp_protocol::commands::play::{GameClock, GameInput, GameStep, InputQueued, Stepped};
use godot_mcp_protocol::play::{EventForm, GameAnswer, Timed, frames_for, schedule, watch_summary};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Map, Value};

use super::{input, inspect};

/// Frames `until` may wait when `timeout_frames` is not given.
const DEFAULT_UNTIL_FRAMES: u32 = 600;
/// Main-loop rate while frozen: low, so a frozen game costs little; the
/// direct link wakes it for requests in between (see `play::frame`).
const FROZEN_FPS: i32 = 200;

/// The engine's frame pacing as the game had it.
#[derive(Clone, Copy)]
struct Pace {
    max_fps: i32,
    sleep_us: i32,
    max_steps: i32,
}

impl Pace {
    fn read() -> Self {
        Self {
            max_fps: Engine::singleton().get_max_fps(),
            sleep_us: Os::singleton().get_low_processor_usage_mode_sleep_usec(),
            max_steps: Engine::singleton().get_max_physics_steps_per_frame(),
        }
    }

    fn apply(self) {
        Engine::singleton().set_max_fps(self.max_fps);
        Os::singleton().set_low_processor_usage_mode_sleep_usec(self.sleep_us);
        Engine::singleton().set_max_physics_steps_per_frame(self.max_steps);
    }
}

pub struct Clock {
    /// Run with `--fixed-fps`: frames never see the wall clock.
    fixed: bool,
    frozen: bool,
    original: Pace,
    step: Option<Step>,
    /// game_input events waiting for their physics frame (absolute).
    pending: Vec<(u64, EventForm)>,
}

impl Clock {
    pub fn new(fixed: bool) -> Self {
        Self {
            fixed,
            frozen: false,
            original: Pace::read(),
            step: None,
            pending: Vec::new(),
        }
    }

    fn ticks() -> u32 {
        u32::try_from(Engine::singleton().get_physics_ticks_per_second())
            .unwrap_or(60)
            .max(1)
    }

    /// Paces a fixed-rate game at its physics rate, so it plays in real time.
    pub fn running(&mut self) {
        self.frozen = false;
        let mut pace = self.original;
        if self.fixed && pace.max_fps == 0 {
            pace.max_fps = Self::ticks() as i32;
        }
        pace.apply();
    }

    /// The editor has suspended the game.
    pub fn frozen_by_editor(&mut self) {
        self.frozen = true;
        Pace {
            max_fps: FROZEN_FPS,
            sleep_us: self.original.sleep_us.min(1_000_000 / FROZEN_FPS),
            max_steps: self.original.max_steps,
        }
        .apply();
    }

    /// Frozen by the play-test tools.
    pub fn frozen(&self) -> bool {
        self.frozen
    }

    /// Frozen with nothing due: the main loop may wait for requests.
    pub fn idle_frozen(&self) -> bool {
        self.frozen && self.step.is_none()
    }

    fn state(&self) -> GameClock {
        let tree = inspect::tree_of();
        GameClock {
            frozen: self.frozen,
            game_paused: tree.is_some_and(|t| t.is_paused()),
            frame: Engine::singleton().get_physics_frames(),
            fixed_rate: self.fixed,
        }
    }

    pub fn pause(&mut self) -> GameClock {
        self.step = None;
        self.frozen_by_editor();
        self.state()
    }

    pub fn resume(&mut self) -> GameClock {
        self.step = None;
        self.running();
        self.state()
    }

    pub fn input(&mut self, params: GameInput) -> Result<InputQueued, ErrorBody> {
        let timed = schedule(&params.events)?;
        let now = Engine::singleton().get_physics_frames();
        let mut applied = 0;
        let mut scheduled = 0;
        // A suspended game drops input (nodes cannot process), so while
        // frozen every event waits for the frames the next step or resume runs.
        let offset = u64::from(self.frozen);
        for Timed { frame, event } in timed {
            if frame == 0 && !self.frozen {
                input::apply(&event)?;
                applied += 1;
            } else {
                input::check(&event)?;
                self.pending.push((now + offset + u64::from(frame), event));
                scheduled += 1;
            }
        }
        Ok(InputQueued {
            applied,
            scheduled,
            frame: now,
        })
    }

    /// Queues the game_input events due at the physics frame after `now`.
    fn deliver_due(&mut self, now: u64) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(f, _)| *f <= now + 1);
        self.pending = later;
        for (_, e) in &due {
            let _ = input::apply(e);
        }
    }

    /// Starts a step; it answers from [`Clock::after_frame`] when done.
    pub fn step(&mut self, id: i64, p: GameStep) -> Result<(), ErrorBody> {
        let base = inspect::node_or_scene(p.node_path.as_deref())?;
        let target = match (&p.until, p.frames, p.seconds) {
            (_, Some(_), Some(_)) => {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidParams,
                    "give frames or seconds, not both",
                ));
            }
            (Some(_), frames, seconds) => p
                .timeout_frames
                .or(frames)
                .or(seconds.map(|s| frames_for(s, Self::ticks())))
                .unwrap_or(DEFAULT_UNTIL_FRAMES),
            (None, frames, seconds) => frames
                .or(seconds.map(|s| frames_for(s, Self::ticks())))
                .unwrap_or(1),
        };
        if target == 0 {
            return Err(ErrorBody::new(
                ErrorCode::InvalidParams,
                "a step advances at least one frame",
            ));
        }
        let until = match &p.until {
            Some(text) => Some(inspect::parse_expression(text)?),
            None => None,
        };
        let inputs = schedule(&p.inputs)?;
        for t in &inputs {
            input::check(&t.event)?;
        }
        let mut watch = Vec::new();
        for (path, names) in &p.watch {
            let node = inspect::node(path)?;
            let names: Vec<String> = serde_json::from_value(names.clone()).map_err(|_| {
                ErrorBody::new(
                    ErrorCode::InvalidParams,
                    format!("watch[{path:?}] must be a list of property names"),
                )
            })?;
            for name in names {
                inspect::read(&node, &name)?;
                watch.push(Watched {
                    path: path.clone(),
                    name,
                    node: node.clone(),
                    samples: Vec::new(),
                });
            }
        }
        self.step = Some(Step {
            id,
            start: None,
            target,
            inputs,
            next_input: 0,
            until,
            base,
            report: p.report,
            watch,
            every: p.every.unwrap_or(1).max(1),
            reached: p.until.as_ref().map(|_| false),
            until_error: None,
            done: 0,
            fixed: self.fixed,
            started: Instant::now(),
        });
        Ok(())
    }

    /// The game has just been thawed for the armed step: its first frame is
    /// the next one.
    pub fn begin_step(&mut self) {
        let Some(step) = self.step.as_mut() else {
            return;
        };
        let now = Engine::singleton().get_physics_frames();
        step.start = Some(now);
        step.sample();
        step.queue_inputs();
        self.frozen = false;
        self.deliver_due(now);
        Pace {
            max_fps: 0,
            sleep_us: 0,
            max_steps: 1,
        }
        .apply();
    }

    /// After each main-loop iteration: whether an armed step must thaw the
    /// game, or the step that has ended.
    pub fn after_frame(&mut self) -> Next {
        let now = Engine::singleton().get_physics_frames();
        if !self.frozen {
            self.deliver_due(now);
        }
        let Some(step) = self.step.as_mut() else {
            return Next::Nothing;
        };
        let Some(start) = step.start else {
            return Next::Begin;
        };
        let done = u32::try_from(now.saturating_sub(start)).unwrap_or(u32::MAX);
        if done == step.done {
            return Next::Nothing;
        }
        step.done = done;
        if done % step.every == 0 {
            step.sample();
        }
        match step.until_holds() {
            Ok(true) => step.reached = Some(true),
            Ok(false) => {}
            Err(why) => step.until_error = Some(why),
        }
        if step.reached == Some(true) || step.until_error.is_some() || done >= step.target {
            if done % step.every != 0 {
                step.sample();
            }
            step.settle_inputs();
            return self
                .step
                .take()
                .map_or(Next::Nothing, |s| Next::Finished(Box::new(s)));
        }
        step.queue_inputs();
        Next::Nothing
    }
}

/// What the main loop must do after an iteration.
pub enum Next {
    Nothing,
    /// Thaw the game: an armed step starts with the next frame.
    Begin,
    /// Freeze the game and answer the step.
    Finished(Box<Step>),
}

struct Watched {
    path: String,
    name: String,
    node: Gd<Node>,
    samples: Vec<(u64, Value)>,
}

pub struct Step {
    id: i64,
    /// The physics frame counter when the step began; `None` while armed.
    start: Option<u64>,
    target: u32,
    inputs: Vec<Timed>,
    next_input: usize,
    until: Option<inspect::Expr>,
    base: Gd<Node>,
    report: Vec<String>,
    watch: Vec<Watched>,
    every: u32,
    reached: Option<bool>,
    until_error: Option<String>,
    /// Physics frames advanced so far.
    done: u32,
    fixed: bool,
    started: Instant,
}

impl Step {
    /// Queues the inputs of the next physics frame; the engine flushes them
    /// just before it, so they are "just pressed" in exactly that frame.
    fn queue_inputs(&mut self) {
        while let Some(t) = self.inputs.get(self.next_input) {
            if t.frame > self.done {
                break;
            }
            let _ = input::apply(&t.event);
            self.next_input += 1;
        }
    }

    /// At the end: inputs of the next frame are queued, and a held press
    /// that would have been released later is released now, so nothing
    /// stays held past the step.
    fn settle_inputs(&mut self) {
        self.queue_inputs();
        for t in &self.inputs[self.next_input..] {
            if is_release(&t.event) {
                let _ = input::apply(&t.event);
            }
        }
        self.next_input = self.inputs.len();
    }

    fn sample(&mut self) {
        let frame = u64::from(self.done);
        for w in &mut self.watch {
            if w.node.is_instance_valid() {
                let value = inspect::read(&w.node, &w.name).unwrap_or(Value::Null);
                w.samples.push((frame, value));
            }
        }
    }

    /// Whether `until` holds now; an expression that fails to run ends the
    /// step rather than counting as false until the timeout.
    fn until_holds(&mut self) -> Result<bool, String> {
        let Some(expr) = self.until.as_mut() else {
            return Ok(false);
        };
        if !self.base.is_instance_valid() {
            return Err("the base node left the tree".into());
        }
        inspect::execute(expr, &self.base).map(|v| v.booleanize())
    }

    /// The step's answer, once the game is frozen again.
    pub fn finish(self) -> (i64, GameAnswer) {
        let wall_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut report = Vec::new();
        for text in &self.report {
            let value = if self.base.is_instance_valid() {
                inspect::eval_text(text, &self.base)
                    .unwrap_or_else(|e| serde_json::json!({"error": e.message}))
            } else {
                serde_json::json!({"error": "the base node left the tree"})
            };
            report.push(value);
        }
        let mut watch: Map<String, Value> = Map::new();
        for w in self.watch {
            let entry = watch
                .entry(w.path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(props) = entry {
                props.insert(w.name, watch_summary(&w.samples));
            }
        }
        let stepped = Stepped {
            frames: self.done,
            frame: Engine::singleton().get_physics_frames(),
            reached: self.reached,
            until_error: self.until_error,
            report,
            watch,
            fixed_rate: self.fixed,
            wall_ms,
        };
        let answer = match serde_json::to_value(stepped) {
            Ok(v) => GameAnswer::Ok(v),
            Err(e) => GameAnswer::Error(ErrorBody::new(ErrorCode::InternalError, e.to_string())),
        };
        (self.id, answer)
    }
}

fn is_release(e: &EventForm) -> bool {
    matches!(
        e,
        EventForm::Action { pressed: false, .. }
            | EventForm::Key { pressed: false, .. }
            | EventForm::MouseButton { pressed: false, .. }
            | EventForm::JoypadButton { pressed: false, .. }
    )
}

/// The project's physics rate, for the editor's run arguments.
pub fn project_ticks() -> u32 {
    let settings = ProjectSettings::singleton();
    settings
        .get_setting("physics/common/physics_ticks_per_second")
        .try_to::<i64>()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(60)
}
