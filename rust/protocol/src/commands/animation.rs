//! Animations of an `AnimationPlayer`: animations, tracks and keys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::command;

/// Add an animation to an AnimationPlayer. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAnimation {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// AnimationPlayer.
    pub node_path: String,
    /// `lib/name` outside the global library.
    pub name: String,
    /// Seconds.
    pub length: f64,
    /// true = linear.
    #[serde(default, rename = "loop")]
    pub looping: Option<LoopMode>,
}
command!(
    CreateAnimation,
    "create_animation",
    title = "Create animation",
    toolset = Animation,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = AnimationInfo
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LoopMode {
    Flag(bool),
    Named(LoopName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoopName {
    None,
    Linear,
    Pingpong,
}

impl LoopMode {
    /// Godot's `Animation.LoopMode`: 0 none, 1 linear, 2 ping-pong.
    pub fn ord(self) -> i32 {
        match self {
            LoopMode::Flag(false) | LoopMode::Named(LoopName::None) => 0,
            LoopMode::Flag(true) | LoopMode::Named(LoopName::Linear) => 1,
            LoopMode::Named(LoopName::Pingpong) => 2,
        }
    }

    pub fn name(ord: i64) -> &'static str {
        match ord {
            1 => "linear",
            2 => "pingpong",
            _ => "none",
        }
    }
}

/// Add a track. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAnimationTrack {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// AnimationPlayer.
    pub node_path: String,
    /// Name.
    pub animation: String,
    /// e.g. `Sprite:position`, `.` for methods.
    pub track_path: String,
    /// Track type.
    #[serde(rename = "type")]
    pub kind: TrackKind,
    /// Default linear.
    #[serde(default)]
    pub interpolation: Option<Interpolation>,
    /// Value tracks.
    #[serde(default)]
    pub update: Option<UpdateMode>,
}
command!(
    AddAnimationTrack,
    "add_animation_track",
    title = "Add animation track",
    toolset = Animation,
    read_only = false,
    destructive = false,
    idempotent = false,
    output = AnimationInfo
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TrackKind {
    Value,
    Method,
    Bezier,
    Audio,
    Animation,
}

impl TrackKind {
    /// Godot's `Animation.TrackType`.
    pub fn ord(self) -> i32 {
        match self {
            TrackKind::Value => 0,
            TrackKind::Method => 5,
            TrackKind::Bezier => 6,
            TrackKind::Audio => 7,
            TrackKind::Animation => 8,
        }
    }

    pub fn from_ord(ord: i64) -> Option<TrackKind> {
        Some(match ord {
            0 => TrackKind::Value,
            5 => TrackKind::Method,
            6 => TrackKind::Bezier,
            7 => TrackKind::Audio,
            8 => TrackKind::Animation,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    Nearest,
    Linear,
    Cubic,
    LinearAngle,
    CubicAngle,
}

impl Interpolation {
    pub const ALL: [Interpolation; 5] = [
        Interpolation::Nearest,
        Interpolation::Linear,
        Interpolation::Cubic,
        Interpolation::LinearAngle,
        Interpolation::CubicAngle,
    ];

    /// Godot's `Animation.InterpolationType`, in declaration order.
    pub fn ord(self) -> i32 {
        Self::ALL.iter().position(|i| *i == self).unwrap_or(1) as i32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    Continuous,
    Discrete,
    Capture,
}

impl UpdateMode {
    pub const ALL: [UpdateMode; 3] = [
        UpdateMode::Continuous,
        UpdateMode::Discrete,
        UpdateMode::Capture,
    ];

    /// Godot's `Animation.UpdateMode`, in declaration order.
    pub fn ord(self) -> i32 {
        Self::ALL.iter().position(|u| *u == self).unwrap_or(0) as i32
    }
}

/// Set a track's keys; old keys in their time span go. Values as in edit_node. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAnimationKeys {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// AnimationPlayer.
    pub node_path: String,
    /// Name.
    pub animation: String,
    /// As added.
    pub track_path: String,
    /// `{time, value, transition?}`; method: `{time, method, args}`.
    pub keys: Vec<serde_json::Map<String, Value>>,
    /// Drop all old keys.
    #[serde(default)]
    pub replace_all: Option<bool>,
}
command!(
    SetAnimationKeys,
    "set_animation_keys",
    title = "Set animation keys",
    toolset = Animation,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = AnimationInfo
);

/// An animation's length, loop, tracks and keys.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAnimation {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// AnimationPlayer.
    pub node_path: String,
    /// Name.
    pub animation: String,
}
command!(
    GetAnimation,
    "get_animation",
    title = "Read animation",
    toolset = Animation,
    read_only = true,
    output = AnimationInfo
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnimationInfo {
    pub scene_path: String,
    pub node_path: String,
    pub animation: String,
    pub length: f64,
    #[serde(rename = "loop")]
    pub looping: String,
    pub tracks: Vec<TrackInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackInfo {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpolation: Option<Interpolation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateMode>,
    pub keys: Vec<Value>,
}
