//! Screenshots of the editor and of the running game.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;
use crate::image::Image;

/// Longest side of a screenshot when the call does not say.
pub const DEFAULT_MAX_SIZE: u32 = 1024;
/// Bounds of `max_size`.
pub const MAX_SIZE_RANGE: std::ops::RangeInclusive<u32> = 16..=4096;

/// Capture what the editor or the running game shows, as a PNG image. Needs an editor that renders (not --headless).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetScreenshot {
    /// The `editor` window, its `viewport_2d` / `viewport_3d` view of the edited scene, or the running `game`.
    pub target: CaptureTarget,
    /// Longest side of the image in pixels (16-4096, default 1024); larger captures are scaled down.
    #[serde(default)]
    pub max_size: Option<u32>,
}
command!(
    GetScreenshot,
    "get_screenshot",
    title = "Screenshot",
    toolset = Core,
    read_only = true,
    output = Screenshot
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CaptureTarget {
    #[serde(rename = "editor")]
    Editor,
    #[serde(rename = "viewport_2d")]
    Viewport2d,
    #[serde(rename = "viewport_3d")]
    Viewport3d,
    #[serde(rename = "game")]
    Game,
}

impl CaptureTarget {
    /// The wire spelling, e.g. `viewport_2d`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureTarget::Editor => "editor",
            CaptureTarget::Viewport2d => "viewport_2d",
            CaptureTarget::Viewport3d => "viewport_3d",
            CaptureTarget::Game => "game",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screenshot {
    pub target: CaptureTarget,
    /// Size of the returned image.
    pub width: u32,
    pub height: u32,
    /// Size of the capture before scaling.
    pub source_width: u32,
    pub source_height: u32,
    /// Size of the PNG in bytes.
    pub png_bytes: usize,
    /// One line saying what was captured.
    pub description: String,
    /// The PNG; the shim returns it as MCP image content.
    pub image: Image,
}

/// The size that fits `width` x `height` into `max` pixels on the longest
/// side, keeping the aspect ratio; never larger than the original.
pub fn fit(width: u32, height: u32, max: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max || longest == 0 {
        return (width, height);
    }
    let scale = f64::from(max) / f64::from(longest);
    let side = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
    (side(width), side(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_longest_side() {
        assert_eq!(fit(1280, 720, 1024), (1024, 576));
        assert_eq!(fit(720, 1280, 1024), (576, 1024));
        assert_eq!(fit(640, 360, 1024), (640, 360));
        assert_eq!(fit(1000, 1, 100), (100, 1));
        assert_eq!(fit(0, 0, 16), (0, 0));
    }

    #[test]
    fn targets_spell_as_on_the_wire() {
        for t in [
            CaptureTarget::Editor,
            CaptureTarget::Viewport2d,
            CaptureTarget::Viewport3d,
            CaptureTarget::Game,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }
}
