//! Game runs the editor started, followed through its debugger channel.
//!
//! The game talks to the editor's debugger over a socket: it announces its
//! process id, forwards its stdout and stderr, and reports every error with
//! the script stack. [`Runs`] turns those messages into a table of runs,
//! each with a bounded output log and its errors counted once per kind.
//! How a run ended comes from the operating system: a thread waits for the
//! game process (which the editor spawned, so it is our child) without
//! reaping it, and records its exit code or signal; the editor reaps it as
//! usual. (The game holds its debugger connection open until its process
//! has exited, see [`crate::game`], so the editor's kill of a game whose
//! connection closed does not pre-empt the exit code.)

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use godot_mcp_protocol::commands::log::Location;
use godot_mcp_protocol::commands::runs::{
    GameError, GameErrors, GameOutput, OutputLine, RunState, RunSummary, StackFrame,
};
use godot_mcp_protocol::doorbell::ErrorSource;
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use crate::ring::Ring;

/// Runs kept; older ones are forgotten.
const KEEP_RUNS: usize = 8;
/// Output lines kept per run.
const OUTPUT_CAPACITY: usize = 2000;
/// Lines of output a finished run's summary repeats.
const LAST_OUTPUT: usize = 20;
/// How long a run whose game is gone may wait for its exit status.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How long a run may take to start playing before it counts as gone.
const START_GRACE: Duration = Duration::from_secs(20);

/// A debugger message's data, without engine types.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Int(i64),
    Str(String),
    Bool(bool),
    Strs(Vec<String>),
    Ints(Vec<i64>),
    Other,
}

impl Item {
    fn int(&self) -> Option<i64> {
        match self {
            Item::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Item::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A game's error or warning as its debugger reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
    pub warning: bool,
    pub message: String,
    pub file: String,
    pub line: u32,
    pub function: String,
    pub stack: Vec<StackFrame>,
}

/// The debugger messages runs care about.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    Pid(u32),
    /// (stream, text) pairs.
    Output(Vec<(&'static str, String)>),
    Error(Reported),
    /// Stopped at an error in the debugger.
    Paused(String),
    Resumed,
    Screenshot {
        id: i64,
        path: String,
    },
}

/// Reads a debugger message; `None` for those runs ignore.
pub fn parse(name: &str, data: &[Item]) -> Option<Message> {
    match name {
        "set_pid" => Some(Message::Pid(u32::try_from(data.first()?.int()?).ok()?)),
        "output" => {
            let (Item::Strs(texts), Item::Ints(kinds)) = (data.first()?, data.get(1)?) else {
                return None;
            };
            // RemoteDebugger's message types: 0 log, 1 error, 2 rich log.
            let lines = texts
                .iter()
                .zip(kinds)
                .map(|(t, k)| (if *k == 1 { "stderr" } else { "stdout" }, t.clone()))
                .collect();
            Some(Message::Output(lines))
        }
        "error" => parse_error(data).map(Message::Error),
        "debug_enter" => Some(Message::Paused(
            data.get(1)
                .and_then(Item::str)
                .unwrap_or_default()
                .to_owned(),
        )),
        "debug_exit" => Some(Message::Resumed),
        "game_view:get_screenshot" => Some(Message::Screenshot {
            id: data.first()?.int()?,
            path: data.get(3)?.str()?.to_owned(),
        }),
        _ => None,
    }
}

/// Godot's serialized `OutputError`: time (4 ints), source file, function
/// and line, error, description, warning flag, then the script stack as a
/// count of items followed by (file, function, line) triples.
fn parse_error(data: &[Item]) -> Option<Reported> {
    let text = |i: usize| {
        data.get(i)
            .and_then(Item::str)
            .unwrap_or_default()
            .to_owned()
    };
    let number = |i: usize| data.get(i).and_then(Item::int).unwrap_or(0);
    let error = text(7);
    let description = text(8);
    let warning = matches!(data.get(9)?, Item::Bool(true));
    let items = usize::try_from(number(10)).unwrap_or(0);
    let stack = (0..items / 3)
        .map(|f| 11 + f * 3)
        .filter_map(|at| {
            Some(StackFrame {
                file: data.get(at)?.str()?.to_owned(),
                function: data.get(at + 1)?.str()?.to_owned(),
                line: u32::try_from(data.get(at + 2)?.int()?).unwrap_or(0),
            })
        })
        .collect();
    Some(Reported {
        warning,
        message: if description.is_empty() {
            error
        } else {
            description
        },
        file: text(4),
        function: text(5),
        line: u32::try_from(number(6)).unwrap_or(0),
        stack,
    })
}

/// How the game process ended.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(not(unix), allow(dead_code))]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Not a process this editor can wait for.
    Unknown,
}

type ExitCell = Arc<Mutex<Option<Exit>>>;

/// Waits for `pid` to end on a thread of its own, leaving it for the
/// editor to reap.
fn watch_exit(pid: u32) -> ExitCell {
    let cell: ExitCell = Arc::default();
    let report = Arc::clone(&cell);
    let spawned = std::thread::Builder::new()
        .name(format!("godot-mcp-wait-{pid}"))
        .spawn(move || {
            let exit = wait_for(pid);
            *report.lock().unwrap_or_else(|e| e.into_inner()) = Some(exit);
        });
    if spawned.is_err() {
        *cell.lock().unwrap_or_else(|e| e.into_inner()) = Some(Exit::Unknown);
    }
    cell
}

#[cfg(unix)]
fn wait_for(pid: u32) -> Exit {
    // SAFETY: waitid only writes the zeroed siginfo it is given.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let flags = libc::WEXITED | libc::WNOWAIT;
        loop {
            if libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) == 0 {
                break;
            }
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return Exit::Unknown;
            }
        }
        match info.si_code {
            libc::CLD_EXITED => Exit::Code(info.si_status()),
            libc::CLD_KILLED | libc::CLD_DUMPED => Exit::Signal(info.si_status()),
            _ => Exit::Unknown,
        }
    }
}

#[cfg(not(unix))]
fn wait_for(_pid: u32) -> Exit {
    Exit::Unknown
}

struct Run {
    id: u64,
    scene: String,
    started: Instant,
    ended: Option<Instant>,
    /// When the editor stopped playing it while its exit was still unknown.
    gone_since: Option<Instant>,
    /// Whether the editor was seen playing it; it starts playing a little
    /// after it is asked to.
    seen_playing: bool,
    pid: Option<u32>,
    exit: Option<ExitCell>,
    state: RunState,
    exit_code: Option<i32>,
    signal: Option<i32>,
    stop_requested: bool,
    paused_at: Option<String>,
    output: Ring<OutputLine>,
    errors: Vec<GameError>,
    error_total: u64,
    warnings: u64,
}

impl Run {
    fn new(id: u64, scene: String) -> Self {
        Self {
            id,
            scene,
            started: Instant::now(),
            ended: None,
            gone_since: None,
            seen_playing: false,
            pid: None,
            exit: None,
            state: RunState::Starting,
            exit_code: None,
            signal: None,
            stop_requested: false,
            paused_at: None,
            output: Ring::new(OUTPUT_CAPACITY),
            errors: Vec::new(),
            error_total: 0,
            warnings: 0,
        }
    }

    fn line(&mut self, stream: &str, text: String, at: Location) {
        let seq = self.output.end();
        self.output.push(OutputLine {
            seq,
            stream: stream.to_owned(),
            text,
            at,
        });
    }

    fn apply(&mut self, message: Message) {
        match message {
            Message::Pid(_) | Message::Screenshot { .. } => {}
            Message::Output(lines) => {
                for (stream, text) in lines {
                    for line in text.trim_end_matches('\n').split('\n') {
                        self.line(stream, line.to_owned(), Location::default());
                    }
                }
            }
            Message::Error(reported) => self.report(reported),
            Message::Paused(reason) => {
                if !self.state.ended() {
                    self.state = RunState::PausedAtError;
                    self.paused_at = Some(reason);
                }
            }
            Message::Resumed => {
                if self.state == RunState::PausedAtError {
                    self.state = RunState::Running;
                    self.paused_at = None;
                }
            }
        }
    }

    fn report(&mut self, r: Reported) {
        // The innermost script frame says more than the engine's C++ source.
        let at = match r.stack.first() {
            Some(top) => Location::new(&top.file, i64::from(top.line), &top.function),
            None => Location::new(&r.file, i64::from(r.line), &r.function),
        };
        let stream = if r.warning { "warning" } else { "error" };
        self.line(stream, r.message.clone(), at.clone());
        if r.warning {
            self.warnings += 1;
            return;
        }
        self.error_total += 1;
        match self
            .errors
            .iter_mut()
            .find(|e| e.message == r.message && e.at == at)
        {
            Some(known) => known.count += 1,
            None => {
                crate::doorbell::ring(ErrorSource::Game, &r.message, &at);
                self.errors.push(GameError {
                    message: r.message,
                    at,
                    count: 1,
                    stack: r.stack,
                })
            }
        }
    }

    /// Settles how the run ended once the process is gone.
    fn refresh(&mut self, playing: bool) {
        if self.state.ended() {
            return;
        }
        self.seen_playing |= playing;
        let exit = self
            .exit
            .as_ref()
            .and_then(|cell| *cell.lock().unwrap_or_else(|e| e.into_inner()));
        let started = self.seen_playing || self.pid.is_some();
        let stopped = !playing && (started || self.started.elapsed() >= START_GRACE);
        if exit.is_none() && !stopped {
            return;
        }
        let gone_since = *self.gone_since.get_or_insert_with(Instant::now);
        // While the editor still plays, its debugger session may hold
        // messages the game sent before it exited: the run ends once the
        // editor has read them (its session stops), or after a grace.
        if exit.is_some() && playing && gone_since.elapsed() < EXIT_GRACE {
            return;
        }
        let stop = self.stop_requested;
        let (state, code, signal) = match exit {
            Some(Exit::Code(code)) if !stop => (RunState::Exited, Some(code), None),
            Some(Exit::Code(code)) => (RunState::Stopped, Some(code), None),
            Some(Exit::Signal(s)) if stop || s == 9 => (RunState::Stopped, None, Some(s)),
            Some(Exit::Signal(s)) => (RunState::Crashed, None, Some(s)),
            None if self.exit.is_some() && gone_since.elapsed() < EXIT_GRACE => return,
            _ if stop => (RunState::Stopped, None, None),
            _ => (RunState::Exited, None, None),
        };
        self.state = state;
        self.exit_code = code;
        self.signal = signal;
        self.paused_at = None;
        self.ended = Some(Instant::now());
    }

    fn summary(&self) -> RunSummary {
        let end = self.ended.unwrap_or_else(Instant::now);
        let last_output = if self.state.ended() {
            self.output
                .tail(LAST_OUTPUT)
                .map(|l| l.text.clone())
                .collect()
        } else {
            Vec::new()
        };
        RunSummary {
            run_id: self.id,
            scene: self.scene.clone(),
            state: self.state,
            exit_code: self.exit_code,
            signal: self.signal,
            duration_ms: u64::try_from(end.duration_since(self.started).as_millis())
                .unwrap_or(u64::MAX),
            errors: self.error_total,
            warnings: self.warnings,
            output_lines: self.output.end(),
            paused_at: self.paused_at.clone(),
            last_output,
        }
    }
}

/// Screenshots the game saved, by request id: (path).
pub type Shots = HashMap<i64, String>;

#[derive(Default)]
pub struct Runs {
    runs: VecDeque<Run>,
    next_id: u64,
    /// Replies to screenshot requests not yet collected.
    pub shots: Shots,
    /// Stops in the script debugger so far, in any run.
    pub breaks: u64,
}

impl Runs {
    /// Records a run the editor is starting; a previous one still open ends.
    pub fn start(&mut self, scene: String) -> u64 {
        if let Some(last) = self.runs.back_mut() {
            last.stop_requested = true;
            last.refresh(false);
        }
        self.next_id += 1;
        if self.runs.len() == KEEP_RUNS {
            self.runs.pop_front();
        }
        self.runs.push_back(Run::new(self.next_id, scene));
        self.next_id
    }

    /// Applies a debugger message to the current run. A game nobody asked
    /// for (the user pressed Play) gets a run of its own, for `scene`.
    pub fn on_message(&mut self, message: Message, scene: impl FnOnce() -> String) {
        if let Message::Screenshot { id, path } = &message {
            self.shots.insert(*id, path.clone());
            return;
        }
        if let Message::Pid(pid) = message {
            let fresh = self
                .runs
                .back()
                .is_some_and(|r| r.pid.is_none() && !r.state.ended());
            if !fresh {
                self.start(scene());
            }
            let run = self.runs.back_mut().expect("a run was just started");
            run.pid = Some(pid);
            run.exit = Some(watch_exit(pid));
            run.state = RunState::Running;
            return;
        }
        if let Some(run) = self.runs.back_mut().filter(|r| !r.state.ended()) {
            if matches!(message, Message::Paused(_)) {
                self.breaks += 1;
            }
            run.apply(message);
        }
    }

    /// Notes that the current run is being stopped on purpose.
    pub fn stopping(&mut self) {
        if let Some(run) = self.runs.back_mut() {
            run.stop_requested = true;
        }
    }

    /// Settles runs whose game has gone; `playing` is the editor's view.
    pub fn refresh(&mut self, playing: bool) {
        let newest = self.next_id;
        for run in &mut self.runs {
            // Only the newest run can still be the game that plays.
            run.refresh(playing && run.id == newest);
        }
    }

    pub fn current(&self) -> Option<RunSummary> {
        self.runs.back().map(Run::summary)
    }

    /// The error the current run is stopped at in the debugger, if it is;
    /// cheaper than [`Runs::current`] for callers that poll every frame.
    pub fn paused_at_error(&self) -> Option<&str> {
        self.runs
            .back()
            .filter(|r| r.state == RunState::PausedAtError)
            .map(|r| r.paused_at.as_deref().unwrap_or_default())
    }

    /// Errors in the current run (the last one, if it has ended).
    pub fn error_count(&self) -> u64 {
        self.runs.back().map_or(0, |r| r.error_total)
    }

    /// Whether the current run has ended (or there is none).
    pub fn settled(&self) -> bool {
        self.runs.back().is_none_or(|r| r.state.ended())
    }

    /// The run `run_id`, or the latest one.
    fn find(&self, run_id: Option<u64>) -> Result<&Run, ErrorBody> {
        let found = match run_id {
            Some(id) => self.runs.iter().find(|r| r.id == id),
            None => self.runs.back(),
        };
        found.ok_or_else(|| {
            let known: Vec<String> = self.runs.iter().map(|r| r.id.to_string()).collect();
            let what = run_id.map_or("no game run yet".to_owned(), |id| {
                format!("no game run {id}")
            });
            ErrorBody::new(ErrorCode::RunNotFound, what).with_hint(if known.is_empty() {
                "run_project starts a run and returns its run_id".to_owned()
            } else {
                format!("known runs: {}", known.join(", "))
            })
        })
    }

    pub fn output(
        &self,
        run_id: Option<u64>,
        since: u64,
        limit: usize,
    ) -> Result<GameOutput, ErrorBody> {
        let run = self.find(run_id)?;
        let page = run.output.read(since, limit, |_| true);
        Ok(GameOutput {
            run: run.summary(),
            lines: page.entries.into_iter().map(|(_, l)| l.clone()).collect(),
            cursor: page.cursor,
        })
    }

    pub fn errors(&self, run_id: Option<u64>) -> Result<GameErrors, ErrorBody> {
        let run = self.find(run_id)?;
        Ok(GameErrors {
            run: run.summary(),
            errors: run.errors.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Item {
        Item::Str(text.into())
    }

    /// An `error` message as Godot 4.6 sends it: time, source, texts,
    /// warning flag, then the script stack.
    fn error_items(
        source: (&str, &str, i64),
        texts: (&str, &str),
        warning: bool,
        stack: &[(&str, &str, i64)],
    ) -> Vec<Item> {
        let mut items = vec![Item::Int(0), Item::Int(0), Item::Int(2), Item::Int(256)];
        items.extend([s(source.0), s(source.1), Item::Int(source.2)]);
        items.extend([s(texts.0), s(texts.1), Item::Bool(warning)]);
        items.push(Item::Int(stack.len() as i64 * 3));
        for (file, function, line) in stack {
            items.extend([s(file), s(function), Item::Int(*line)]);
        }
        items
    }

    /// The error message Godot 4.6 sends for `null.foo()` at res://main.gd:8.
    fn null_call() -> Vec<Item> {
        let at = ("res://main.gd", "_ready", 8);
        let text = "Invalid call. Nonexistent function 'foo' in base 'Nil'.";
        error_items(at, (text, ""), false, &[at])
    }

    fn run_with(messages: Vec<Message>) -> Runs {
        let mut runs = Runs::default();
        runs.start("res://main.tscn".into());
        for m in messages {
            runs.on_message(m, || unreachable!("the run exists"));
        }
        runs
    }

    #[test]
    fn parses_errors_with_their_stack() {
        let Some(Message::Error(e)) = parse("error", &null_call()) else {
            panic!("not an error");
        };
        assert!(!e.warning);
        assert_eq!(
            (e.file.as_str(), e.line, e.function.as_str()),
            ("res://main.gd", 8, "_ready")
        );
        assert_eq!(
            e.stack,
            [StackFrame {
                file: "res://main.gd".into(),
                line: 8,
                function: "_ready".into()
            }]
        );
        let engine = error_items(
            ("drivers/x.cpp", "init", 90),
            ("Condition failed", "Could not open"),
            true,
            &[],
        );
        let Some(Message::Error(w)) = parse("error", &engine) else {
            panic!("not an error");
        };
        assert!(w.warning && w.stack.is_empty());
        assert_eq!(w.message, "Could not open");
        assert_eq!(parse("error", &[Item::Int(1)]), None);
    }

    #[test]
    fn parses_output_pid_pause_and_screenshots() {
        let output = [
            Item::Strs(vec!["a\nb".into(), "oops".into()]),
            Item::Ints(vec![0, 1]),
        ];
        assert_eq!(
            parse("output", &output),
            Some(Message::Output(vec![
                ("stdout", "a\nb".into()),
                ("stderr", "oops".into())
            ]))
        );
        assert_eq!(parse("set_pid", &[Item::Int(42)]), Some(Message::Pid(42)));
        assert_eq!(
            parse(
                "debug_enter",
                &[Item::Bool(false), s("boom"), Item::Bool(true), Item::Int(1)]
            ),
            Some(Message::Paused("boom".into()))
        );
        assert_eq!(
            parse(
                "game_view:get_screenshot",
                &[Item::Int(7), Item::Int(2), Item::Int(2), s("/tmp/s.png")]
            ),
            Some(Message::Screenshot {
                id: 7,
                path: "/tmp/s.png".into()
            })
        );
        assert_eq!(parse("performance:profile_frame", &[]), None);
    }

    #[test]
    fn output_splits_lines_and_errors_are_counted_once_per_kind() {
        let Some(Message::Error(err)) = parse("error", &null_call()) else {
            panic!()
        };
        let runs = run_with(vec![
            Message::Output(vec![("stdout", "one\ntwo\n".into())]),
            Message::Error(err.clone()),
            Message::Error(err.clone()),
            Message::Error(Reported {
                warning: true,
                ..err
            }),
        ]);
        let out = runs.output(Some(1), 0, 100).unwrap();
        let texts: Vec<&str> = out.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[..2], ["one", "two"]);
        assert_eq!(out.lines[2].stream, "error");
        assert_eq!(out.lines[2].at.line, Some(8));
        assert_eq!(out.cursor.next, 5);
        let errors = runs.errors(None).unwrap();
        assert_eq!(errors.errors.len(), 1);
        assert_eq!(errors.errors[0].count, 2);
        assert_eq!(errors.run.errors, 2);
        assert_eq!(errors.run.warnings, 1);
        assert_eq!(runs.output(Some(1), 4, 100).unwrap().lines.len(), 1);
        assert_eq!(
            runs.errors(Some(9)).unwrap_err().code,
            ErrorCode::RunNotFound
        );
    }

    #[test]
    fn exit_status_settles_the_state() {
        let mut runs = run_with(vec![Message::Paused("boom".into())]);
        assert_eq!(runs.current().unwrap().state, RunState::PausedAtError);
        let run = runs.runs.back_mut().unwrap();
        run.exit = Some(Arc::new(Mutex::new(Some(Exit::Code(3)))));
        runs.refresh(false);
        let summary = runs.current().unwrap();
        assert_eq!(
            (summary.state, summary.exit_code),
            (RunState::Exited, Some(3))
        );
        assert!(summary.paused_at.is_none());

        let mut runs = run_with(vec![Message::Output(vec![("stdout", "bye".into())])]);
        runs.stopping();
        runs.runs.back_mut().unwrap().exit = Some(Arc::new(Mutex::new(Some(Exit::Signal(9)))));
        runs.refresh(false);
        let summary = runs.current().unwrap();
        assert_eq!(
            (summary.state, summary.signal),
            (RunState::Stopped, Some(9))
        );
        assert_eq!(summary.last_output, ["bye"]);

        let mut runs = run_with(vec![]);
        runs.runs.back_mut().unwrap().exit = Some(Arc::new(Mutex::new(Some(Exit::Signal(11)))));
        runs.refresh(false);
        assert_eq!(runs.current().unwrap().state, RunState::Crashed);
    }

    #[test]
    fn output_the_editor_reads_after_the_exit_is_kept() {
        let mut runs = run_with(vec![Message::Output(vec![("stdout", "one".into())])]);
        runs.runs.back_mut().unwrap().exit = Some(Arc::new(Mutex::new(Some(Exit::Code(0)))));
        // The process has exited, but the editor still reads its session.
        runs.refresh(true);
        assert!(!runs.current().unwrap().state.ended());
        runs.on_message(Message::Output(vec![("stdout", "two".into())]), String::new);
        runs.refresh(false);
        let summary = runs.current().unwrap();
        assert_eq!((summary.state, summary.output_lines), (RunState::Exited, 2));
        assert_eq!(summary.last_output, ["one", "two"]);
    }

    #[test]
    fn a_game_without_an_exit_watcher_ends_when_the_editor_stops_playing() {
        let mut runs = run_with(vec![]);
        // Not playing yet, right after the start.
        runs.refresh(false);
        assert_eq!(runs.current().unwrap().state, RunState::Starting);
        runs.refresh(true);
        assert_eq!(runs.current().unwrap().state, RunState::Starting);
        runs.refresh(false);
        assert_eq!(runs.current().unwrap().state, RunState::Exited);
        assert!(runs.settled());
    }

    #[test]
    fn user_started_games_get_runs_and_old_runs_are_forgotten() {
        let mut runs = Runs::default();
        for i in 0..(KEEP_RUNS + 2) {
            runs.on_message(Message::Pid(u32::MAX - i as u32), || {
                format!("res://{i}.tscn")
            });
        }
        let current = runs.current().unwrap();
        assert_eq!(current.run_id, (KEEP_RUNS + 2) as u64);
        assert_eq!(current.scene, format!("res://{}.tscn", KEEP_RUNS + 1));
        assert!(runs.output(Some(1), 0, 1).is_err());
        assert_eq!(runs.runs.len(), KEEP_RUNS);
    }
}
