//! The script debugger of the running game: breakpoints, the stack and the
//! variables of a game paused in the debugger, stepping, and evaluating in a
//! paused frame. The engine-free parts (breakpoint lists, step messages, why
//! the game stopped, capped values) are here with their tests.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::command;
use super::runs::StackFrame;

/// Set or remove a breakpoint; kept across runs like the script editor's, and applied to a running game.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBreakpoint {
    /// E.g. `res://player.gd`.
    pub script_path: String,
    /// 1-based line.
    pub line: u32,
    /// `false` removes it.
    #[serde(default)]
    pub enabled: Option<bool>,
}
command!(
    SetBreakpoint,
    "set_breakpoint",
    title = "Set breakpoint",
    toolset = Debug,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = Breakpoints
);

/// Remove every breakpoint, or those of one script.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearBreakpoints {
    /// Only this script's.
    #[serde(default)]
    pub script_path: Option<String>,
}
command!(
    ClearBreakpoints,
    "clear_breakpoints",
    title = "Clear breakpoints",
    toolset = Debug,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = Breakpoints
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakpoints {
    pub breakpoints: Vec<Breakpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Breakpoint {
    pub script: String,
    pub line: u32,
}

/// Whether the game is paused in the debugger and why, its stack (innermost first), a frame's locals, members and globals, and the breakpoints.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebugState {
    /// Stack frame, 0 (default) is innermost.
    #[serde(default)]
    pub frame: Option<u32>,
}
command!(
    DebugState,
    "debug_state",
    title = "Debugger state",
    toolset = Debug,
    read_only = true,
    output = Debugged
);

/// Step the game paused in the debugger (`over` a line, `into` a call, `out` of the function) or `continue` it; answers with the new debug_state once it stops again or runs.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebugStep {
    /// How to step.
    pub mode: StepMode,
    /// Frame shown in the answer.
    #[serde(default)]
    pub frame: Option<u32>,
}
command!(
    DebugStep,
    "debug_step",
    title = "Debugger step",
    toolset = Debug,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Debugged
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepMode {
    Over,
    Into,
    Out,
    Continue,
}

impl StepMode {
    /// The engine's debugger message for this step.
    pub fn message(self) -> &'static str {
        match self {
            StepMode::Over => "next",
            StepMode::Into => "step",
            StepMode::Out => "out",
            StepMode::Continue => "continue",
        }
    }
}

/// Evaluate a Godot Expression in a paused frame: its locals, members and globals are names.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebugEval {
    /// E.g. `n * 2`.
    pub expression: String,
    /// Stack frame, 0 (default) is innermost.
    #[serde(default)]
    pub frame: Option<u32>,
}
command!(
    DebugEval,
    "debug_eval",
    title = "Debugger evaluate",
    toolset = Debug,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = Evaluated
);

/// What the editor asks the game's agent to evaluate: a debug_eval, with
/// the frame's `self`, which only the engine's own frame listing names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameEval {
    pub expression: String,
    #[serde(default)]
    pub frame: Option<u32>,
    /// Instance id of the frame's `self`, if it has one.
    #[serde(default)]
    pub self_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluated {
    pub frame: u32,
    pub value: Value,
}

/// Where the game is, as the debugger sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameDebug {
    /// No game runs.
    None,
    Running,
    /// Frozen by the play-test tools (game_pause, game_step): not a debugger pause.
    Frozen,
    /// Stopped in the script debugger.
    Paused,
}

/// Why a game stopped in the debugger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Breakpoint,
    Step,
    Error,
    /// The editor's pause button, or a `breakpoint` statement.
    Break,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Debugged {
    pub game: GameDebug,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<StopReason>,
    /// The error's message, when stopped at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<StackFrame>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<Variables>,
    pub breakpoints: Vec<Breakpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The variables of one stack frame, values in edit_node's forms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Variables {
    pub index: u32,
    pub locals: Map<String, Value>,
    pub members: Map<String, Value>,
    pub globals: Map<String, Value>,
}

/// What the game's agent answers to a `debug_state` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Innermost first; empty when the game is not stopped in the debugger.
    pub stack: Vec<StackFrame>,
    #[serde(default)]
    pub frame: Option<Variables>,
    /// Frozen by the play-test tools.
    #[serde(default)]
    pub frozen: bool,
}

/// Items of a collection shown before it is cut short.
pub const SHOWN_ITEMS: usize = 20;

/// A collection with more than [`SHOWN_ITEMS`] items, cut short: the first
/// items and how many there are in all.
pub fn capped(first: Value, count: usize) -> Value {
    let mut map = Map::new();
    map.insert("count".into(), Value::from(count));
    map.insert("first".into(), first);
    Value::Object(map)
}

/// Reads `ScriptEditor.get_breakpoints()` entries (`res://a.gd:12`), sorted.
pub fn parse_breakpoints<'a>(entries: impl IntoIterator<Item = &'a str>) -> Vec<Breakpoint> {
    let mut out: Vec<Breakpoint> = entries
        .into_iter()
        .filter_map(|e| {
            let (script, line) = e.rsplit_once(':')?;
            Some(Breakpoint {
                script: script.to_owned(),
                line: line.trim().parse().ok()?,
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Why the game stopped: `message` is what the engine's `debug_enter`
/// carries (GDScript says "Breakpoint" for breakpoints and steps alike),
/// `stepping` whether the last command sent was a step, `on_breakpoint`
/// whether the innermost frame is at a breakpoint.
pub fn stop_reason(message: &str, stepping: bool, on_breakpoint: bool) -> StopReason {
    match message {
        "Breakpoint" if on_breakpoint => StopReason::Breakpoint,
        "Breakpoint" if stepping => StopReason::Step,
        "Breakpoint" | "" => StopReason::Break,
        _ => StopReason::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn breakpoints_read_from_the_script_editor_list() {
        let list = parse_breakpoints([
            "res://b.gd:3",
            "res://a b.gd:12",
            "res://a b.gd:2",
            "res://b.gd:3",
            "bogus",
            "res://c.gd:x",
        ]);
        let pairs: Vec<(&str, u32)> = list.iter().map(|b| (b.script.as_str(), b.line)).collect();
        assert_eq!(
            pairs,
            [("res://a b.gd", 2), ("res://a b.gd", 12), ("res://b.gd", 3)]
        );
    }

    #[test]
    fn steps_map_to_the_engines_messages() {
        let names: Vec<&str> = [
            StepMode::Over,
            StepMode::Into,
            StepMode::Out,
            StepMode::Continue,
        ]
        .iter()
        .map(|m| m.message())
        .collect();
        assert_eq!(names, ["next", "step", "out", "continue"]);
        let p: DebugStep = serde_json::from_value(json!({"mode": "over"})).unwrap();
        assert_eq!(p.mode, StepMode::Over);
        assert!(serde_json::from_value::<DebugStep>(json!({"mode": "sideways"})).is_err());
    }

    #[test]
    fn the_reason_tells_breakpoints_steps_and_errors_apart() {
        assert_eq!(
            stop_reason("Breakpoint", false, true),
            StopReason::Breakpoint
        );
        assert_eq!(
            stop_reason("Breakpoint", true, true),
            StopReason::Breakpoint
        );
        assert_eq!(stop_reason("Breakpoint", true, false), StopReason::Step);
        assert_eq!(stop_reason("Breakpoint", false, false), StopReason::Break);
        assert_eq!(
            stop_reason("Division by zero error in operator '/'.", true, true),
            StopReason::Error
        );
    }

    #[test]
    fn answers_encode_compactly() {
        let d = Debugged {
            game: GameDebug::Paused,
            run_id: Some(2),
            reason: Some(StopReason::Breakpoint),
            error: None,
            stack: vec![StackFrame {
                file: "res://m.gd".into(),
                line: 4,
                function: "f".into(),
            }],
            frame: None,
            breakpoints: vec![],
            hint: None,
        };
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(
            text,
            r#"{"game":"paused","run_id":2,"reason":"breakpoint","stack":[{"file":"res://m.gd","line":4,"function":"f"}],"breakpoints":[]}"#
        );
        assert_eq!(serde_json::from_str::<Debugged>(&text).unwrap(), d);
        assert_eq!(
            capped(json!([1, 2]), 300),
            json!({"count": 300, "first": [1, 2]})
        );
    }
}
