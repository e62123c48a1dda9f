//! UI themes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Properties, command};

/// Set Theme items; creates the .tres. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetThemeItems {
    /// res:// path.
    pub theme_path: String,
    /// `{Button: {color: {font_color: "#fff"}, stylebox: {normal: {type: "StyleBoxFlat", ...}}}}`; also constant, font_size, font, icon; null removes.
    pub items: Properties,
}
command!(
    SetThemeItems,
    "set_theme_items",
    title = "Set theme items",
    toolset = Ui,
    read_only = false,
    destructive = false,
    idempotent = true,
    output = ThemeItemsSet
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeItemsSet {
    pub theme_path: String,
    pub created: bool,
    /// Items set or removed.
    pub changed: usize,
}
