//! The engine-free half of play-testing: the messages the editor and the
//! game exchange over Godot's debugger channel, the input event forms, the
//! frame schedule of timed inputs, and the statistics of watched values.
//!
//! Over the channel a request is `godot_mcp:request [id, json]` where the
//! JSON is a [`GameRequest`]; the game answers `godot_mcp:reply [id, json]`
//! with a [`GameAnswer`]. Both ends are this crate's types, so they cannot
//! drift.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ErrorBody, ErrorCode};

/// The debugger message prefix both sides register.
pub const CAPTURE: &str = "godot_mcp";
/// Editor to game: `[id, json request]`.
pub const REQUEST: &str = "godot_mcp:request";
/// Game to editor: `[id, json answer]`.
pub const REPLY: &str = "godot_mcp:reply";
/// Game to editor, `[reason, suspended]`: the game has stopped its main
/// loop and waits to be suspended (or thawed); the editor answers with the
/// engine's suspend message and [`RELEASE`].
pub const HOLD: &str = "godot_mcp:hold";
/// Game to editor, `[]`: the game is quitting and waits until the editor
/// has read everything it sent before (the editor drops what it has not
/// read when the game's session ends); the editor answers with [`RELEASE`].
pub const BYE: &str = "godot_mcp:bye";
/// Editor to game: end a hold or a bye.
pub const RELEASE: &str = "godot_mcp:release";
/// Command-line flag of a game that must start frozen.
pub const FROZEN_FLAG: &str = "--godot-mcp-frozen";

/// One call the editor forwards to the game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameRequest {
    /// The command name, e.g. `game_get`.
    pub op: String,
    pub params: Value,
}

/// The game's answer to a [`GameRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameAnswer {
    Ok(Value),
    Error(ErrorBody),
}

/// An input event in the forms game_input accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum EventForm {
    Action {
        action: String,
        pressed: bool,
        strength: f64,
    },
    Key {
        key: String,
        pressed: bool,
        shift: bool,
        ctrl: bool,
        alt: bool,
        meta: bool,
    },
    MouseButton {
        button: MouseButton,
        position: [f64; 2],
        pressed: bool,
    },
    MouseMotion {
        position: [f64; 2],
    },
    JoypadButton {
        button: i64,
        pressed: bool,
        device: i64,
    },
    JoypadAxis {
        axis: i64,
        value: f64,
        device: i64,
    },
    Text(String),
    /// Press and release at the centre of the visible Control with this
    /// text or node path.
    Click(String),
}

impl EventForm {
    /// The same event released, for the pressable forms.
    fn released(&self) -> Option<EventForm> {
        let mut e = self.clone();
        match &mut e {
            EventForm::Action { pressed, .. }
            | EventForm::Key { pressed, .. }
            | EventForm::MouseButton { pressed, .. }
            | EventForm::JoypadButton { pressed, .. } => {
                if !*pressed {
                    return None;
                }
                *pressed = false;
                Some(e)
            }
            _ => None,
        }
    }
}

/// Mouse buttons by name; the wheel is four buttons in Godot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseButton {
    Left = 1,
    Right = 2,
    Middle = 3,
    WheelUp = 4,
    WheelDown = 5,
    WheelLeft = 6,
    WheelRight = 7,
}

impl MouseButton {
    fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "left" => Self::Left,
            "right" => Self::Right,
            "middle" => Self::Middle,
            "wheel_up" | "up" => Self::WheelUp,
            "wheel_down" | "down" => Self::WheelDown,
            "wheel_left" => Self::WheelLeft,
            "wheel_right" => Self::WheelRight,
            _ => return None,
        })
    }
}

/// An event due at a physics frame, counted from the start of a step (or
/// from now for game_input).
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    pub frame: u32,
    pub event: EventForm,
}

/// Reads game_input events into a schedule in frame order: a pressed event
/// with `hold_frames` is released that many frames later.
pub fn schedule(events: &[Value]) -> Result<Vec<Timed>, ErrorBody> {
    let mut out = Vec::new();
    for (i, raw) in events.iter().enumerate() {
        let Value::Object(map) = raw else {
            return Err(bad_event(i, raw, "an event is a JSON object"));
        };
        let mut map = map.clone();
        let at = take_u32(&mut map, "at_frame").map_err(|w| bad_event(i, raw, &w))?;
        let hold = take_u32(&mut map, "hold_frames").map_err(|w| bad_event(i, raw, &w))?;
        let event = parse_event(map).map_err(|w| bad_event(i, raw, &w))?;
        let frame = at.unwrap_or(0);
        let release = match hold {
            Some(h) => Some((
                frame + h,
                event.released().ok_or_else(|| {
                    bad_event(i, raw, "hold_frames needs a pressed action, key or button")
                })?,
            )),
            None => None,
        };
        out.push(Timed { frame, event });
        if let Some((frame, event)) = release {
            out.push(Timed { frame, event });
        }
    }
    out.sort_by_key(|t| t.frame);
    Ok(out)
}

fn bad_event(index: usize, raw: &Value, why: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::InvalidParams,
        format!("event {index} ({raw}): {why}"),
    )
    .with_hint(
        "forms: {\"action\": \"jump\"}, {\"key\": \"Space\"}, {\"mouse_button\": \"left\", \"position\": [x, y]}, \
         {\"mouse_motion\": [x, y]}, {\"wheel\": \"up\"}, {\"joypad_button\": 0}, {\"joypad_axis\": 0, \"value\": -1}, \
         {\"text\": \"hi\"}, {\"click\": \"Start\"}; optional at_frame, hold_frames",
    )
}

fn take_u32(map: &mut Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{key} must be a whole number of frames")),
    }
}

struct Fields(Map<String, Value>);

impl Fields {
    fn bool(&mut self, key: &str, default: bool) -> Result<bool, String> {
        match self.0.remove(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(v) => Err(format!("{key} must be true or false, not {v}")),
        }
    }

    fn num(&mut self, key: &str, default: Option<f64>) -> Result<f64, String> {
        match self.0.remove(key) {
            None | Some(Value::Null) => default.ok_or_else(|| format!("{key} is required")),
            Some(v) => v.as_f64().ok_or_else(|| format!("{key} must be a number")),
        }
    }

    fn int(&mut self, key: &str, default: i64) -> Result<i64, String> {
        match self.0.remove(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| format!("{key} must be an integer")),
        }
    }

    fn point(&mut self, key: &str) -> Result<[f64; 2], String> {
        match self.0.remove(key) {
            None | Some(Value::Null) => Ok([0.0, 0.0]),
            Some(v) => point(&v).ok_or_else(|| format!("{key} must be [x, y]")),
        }
    }

    fn string(&mut self, key: &str) -> Result<String, String> {
        match self.0.remove(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            _ => Err(format!("{key} must be a non-empty string")),
        }
    }

    /// Fails on fields the form does not know.
    fn done(self, form: &str) -> Result<(), String> {
        match self.0.keys().next() {
            Some(extra) => Err(format!("{form} events have no field {extra:?}")),
            None => Ok(()),
        }
    }
}

fn point(v: &Value) -> Option<[f64; 2]> {
    match v {
        Value::Array(a) if a.len() == 2 => Some([a[0].as_f64()?, a[1].as_f64()?]),
        Value::Object(o) => Some([o.get("x")?.as_f64()?, o.get("y")?.as_f64()?]),
        _ => None,
    }
}

fn parse_event(map: Map<String, Value>) -> Result<EventForm, String> {
    let kind = [
        "action",
        "key",
        "mouse_button",
        "mouse_motion",
        "wheel",
        "joypad_button",
        "joypad_axis",
        "text",
        "click",
    ]
    .into_iter()
    .find(|k| map.contains_key(*k))
    .ok_or("no event kind (action, key, mouse_button, ...)")?;
    let mut f = Fields(map);
    let event = match kind {
        "action" => EventForm::Action {
            action: f.string("action")?,
            pressed: f.bool("pressed", true)?,
            strength: f.num("strength", Some(1.0))?,
        },
        "key" => EventForm::Key {
            key: f.string("key")?,
            pressed: f.bool("pressed", true)?,
            shift: f.bool("shift", false)?,
            ctrl: f.bool("ctrl", false)?,
            alt: f.bool("alt", false)?,
            meta: f.bool("meta", false)?,
        },
        "mouse_button" => {
            let button = match f.0.remove("mouse_button") {
                Some(Value::String(s)) => MouseButton::named(&s),
                _ => None,
            }
            .ok_or("mouse_button is left, right, middle, wheel_up, wheel_down, wheel_left or wheel_right")?;
            EventForm::MouseButton {
                button,
                position: f.point("position")?,
                pressed: f.bool("pressed", true)?,
            }
        }
        "wheel" => {
            let button = match f.0.remove("wheel") {
                Some(Value::String(s)) => {
                    MouseButton::named(&s).or_else(|| MouseButton::named(&format!("wheel_{s}")))
                }
                _ => None,
            }
            .filter(|b| (*b as i64) >= 4)
            .ok_or("wheel is up, down, left or right")?;
            EventForm::MouseButton {
                button,
                position: f.point("position")?,
                pressed: true,
            }
        }
        "mouse_motion" => EventForm::MouseMotion {
            position: f.point("mouse_motion")?,
        },
        "joypad_button" => EventForm::JoypadButton {
            button: f.int("joypad_button", 0)?,
            pressed: f.bool("pressed", true)?,
            device: f.int("device", 0)?,
        },
        "joypad_axis" => EventForm::JoypadAxis {
            axis: f.int("joypad_axis", 0)?,
            value: f.num("value", None)?,
            device: f.int("device", 0)?,
        },
        "text" => EventForm::Text(f.string("text")?),
        _ => EventForm::Click(f.string("click")?),
    };
    f.done(kind)?;
    Ok(event)
}

/// First, last, min, max and the frames where a watched value changed,
/// from its samples in frame order.
pub fn watch_summary(samples: &[(u64, Value)]) -> Value {
    let mut out = Map::new();
    let Some((_, first)) = samples.first() else {
        return Value::Object(out);
    };
    out.insert("first".into(), first.clone());
    out.insert("last".into(), samples[samples.len() - 1].1.clone());
    let numbers: Option<Vec<f64>> = samples.iter().map(|(_, v)| v.as_f64()).collect();
    if let Some(n) = numbers {
        let min = n.iter().copied().fold(f64::INFINITY, f64::min);
        let max = n.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        out.insert("min".into(), Value::from(min));
        out.insert("max".into(), Value::from(max));
    }
    let changed: Vec<u64> = samples
        .windows(2)
        .filter(|w| w[0].1 != w[1].1)
        .map(|w| w[1].0)
        .collect();
    out.insert("changed_at".into(), Value::from(changed));
    out.insert(
        "samples".into(),
        Value::Array(
            samples
                .iter()
                .map(|(f, v)| Value::Array(vec![Value::from(*f), v.clone()]))
                .collect(),
        ),
    );
    Value::Object(out)
}

/// Physics frames that make `seconds` at `ticks_per_second`, at least one.
pub fn frames_for(seconds: f64, ticks_per_second: u32) -> u32 {
    ((seconds * f64::from(ticks_per_second)).round() as u32).max(1)
}

/// The game's command-line arguments for a run that must be exact: a fixed
/// frame rate (so stepped frames never see wall-clock time), and, when
/// `frozen`, the flag that makes the game wait to be suspended before its
/// first frame. `user` is the project's own run arguments, which may wrap
/// the command with `%command%`.
pub fn run_args(user: &str, ticks_per_second: u32, frozen: bool) -> String {
    let mut ours = format!("--fixed-fps {ticks_per_second}");
    if frozen {
        ours.push(' ');
        ours.push_str(FROZEN_FLAG);
    }
    if user.contains("%command%") {
        user.replacen("%command%", &format!("%command% {ours}"), 1)
    } else if user.trim().is_empty() {
        ours
    } else {
        format!("{ours} {user}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_parse_with_defaults_and_holds_release_later() {
        let s = schedule(&[
            json!({"action": "walk_right", "hold_frames": 30}),
            json!({"key": "Space", "at_frame": 5, "shift": true}),
            json!({"click": "Start", "at_frame": 2}),
        ])
        .unwrap();
        let frames: Vec<u32> = s.iter().map(|t| t.frame).collect();
        assert_eq!(frames, [0, 2, 5, 30]);
        assert_eq!(
            s[0].event,
            EventForm::Action {
                action: "walk_right".into(),
                pressed: true,
                strength: 1.0
            }
        );
        assert!(matches!(
            &s[3].event,
            EventForm::Action { pressed: false, .. }
        ));
        assert!(matches!(&s[2].event, EventForm::Key { shift: true, .. }));
    }

    #[test]
    fn every_form_parses() {
        let forms = [
            json!({"mouse_button": "left", "position": [3, 4], "pressed": false}),
            json!({"mouse_motion": [1.5, 2]}),
            json!({"wheel": "down", "position": {"x": 1, "y": 2}}),
            json!({"joypad_button": 0, "pressed": true}),
            json!({"joypad_axis": 1, "value": -1.0}),
            json!({"text": "hello"}),
        ];
        let s = schedule(&forms).unwrap();
        assert_eq!(s.len(), 6);
        assert_eq!(
            s[2].event,
            EventForm::MouseButton {
                button: MouseButton::WheelDown,
                position: [1.0, 2.0],
                pressed: true
            }
        );
        assert_eq!(
            s[4].event,
            EventForm::JoypadAxis {
                axis: 1,
                value: -1.0,
                device: 0
            }
        );
    }

    #[test]
    fn bad_events_say_which_and_why() {
        for (bad, why) in [
            (json!({"jump": true}), "no event kind"),
            (json!({"action": "a", "bogus": 1}), "bogus"),
            (json!({"mouse_button": "thumb"}), "mouse_button is"),
            (json!({"text": "x", "hold_frames": 3}), "hold_frames needs"),
            (json!({"action": "a", "at_frame": -1}), "at_frame"),
            (json!({"joypad_axis": 0}), "value is required"),
            (json!(5), "JSON object"),
        ] {
            let e = schedule(&[json!({"action": "ok"}), bad.clone()]).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParams);
            assert!(e.message.starts_with("event 1"), "{}", e.message);
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn watch_summaries() {
        let s = watch_summary(&[
            (0, json!(1.0)),
            (1, json!(1.0)),
            (2, json!(3.5)),
            (3, json!(-2)),
        ]);
        assert_eq!(s["first"], 1.0);
        assert_eq!(s["last"], -2);
        assert_eq!(s["min"], -2.0);
        assert_eq!(s["max"], 3.5);
        assert_eq!(s["changed_at"], json!([2, 3]));
        assert_eq!(s["samples"][2], json!([2, 3.5]));
        let t = watch_summary(&[(0, json!("a")), (5, json!("b"))]);
        assert!(t.get("min").is_none());
        assert_eq!(t["changed_at"], json!([5]));
        assert_eq!(watch_summary(&[]), json!({}));
    }

    #[test]
    fn seconds_and_run_arguments() {
        assert_eq!(frames_for(0.5, 60), 30);
        assert_eq!(frames_for(0.0, 60), 1);
        assert_eq!(run_args("", 60, false), "--fixed-fps 60");
        assert_eq!(
            run_args("--verbose", 30, true),
            "--fixed-fps 30 --godot-mcp-frozen --verbose"
        );
        assert_eq!(
            run_args("prime-run %command% -- x", 60, false),
            "prime-run %command% --fixed-fps 60 -- x"
        );
    }

    #[test]
    fn messages_round_trip() {
        let a = GameAnswer::Error(ErrorBody::new(ErrorCode::NodeNotFound, "no"));
        let text = serde_json::to_string(&a).unwrap();
        assert!(text.starts_with("{\"error\""), "{text}");
        assert_eq!(serde_json::from_str::<GameAnswer>(&text).unwrap(), a);
        let r = GameRequest {
            op: "game_get".into(),
            params: json!({"node_path": "."}),
        };
        let back: GameRequest = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
