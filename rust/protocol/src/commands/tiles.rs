//! Tile maps: `TileSet` resources and the cells of a `TileMapLayer`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::command;

/// Create a TileSet .tres cutting a texture into tiles (source 0).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTileset {
    /// res:// .tres.
    pub path: String,
    /// res:// image.
    pub texture: String,
    /// `[w, h]` px.
    pub tile_size: [i32; 2],
    /// `[x, y]` px.
    #[serde(default)]
    pub separation: Option<[i32; 2]>,
    /// `[x, y]` px.
    #[serde(default)]
    pub margin: Option<[i32; 2]>,
}
command!(
    CreateTileset,
    "create_tileset",
    title = "Create tile set",
    toolset = Tiles,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = TilesetCreated
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TilesetCreated {
    pub path: String,
    pub source: i32,
    /// Columns and rows of tiles.
    pub atlas_size: [i32; 2],
    pub tiles: usize,
}

/// Paint, fill or erase cells of a TileMapLayer. One undo step.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTiles {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// The TileMapLayer.
    pub node_path: String,
    /// `[{coords: [x, y], atlas: [x, y], source?, alternative?}]`.
    #[serde(default)]
    pub cells: Option<Vec<CellPaint>>,
    /// `[x, y, w, h]` cells.
    #[serde(default)]
    pub rect: Option<[i32; 4]>,
    /// `{atlas, source?, alternative?}`.
    #[serde(default)]
    pub fill: Option<TileRef>,
    /// Erase cells or rect.
    #[serde(default)]
    pub erase: Option<bool>,
}
command!(
    SetTiles,
    "set_tiles",
    title = "Set tiles",
    toolset = Tiles,
    read_only = false,
    destructive = true,
    idempotent = true,
    output = TilesSet
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellPaint {
    /// Cell `[x, y]`.
    pub coords: [i32; 2],
    /// Atlas coords `[x, y]` of the tile.
    #[serde(default)]
    pub atlas: [i32; 2],
    /// Source id; default 0.
    #[serde(default)]
    pub source: i32,
    /// Alternative tile; default 0.
    #[serde(default)]
    pub alternative: i32,
}

impl CellPaint {
    pub fn tile(&self) -> TileRef {
        TileRef {
            atlas: self.atlas,
            source: self.source,
            alternative: self.alternative,
        }
    }
}

/// A tile of the TileSet.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileRef {
    /// Atlas coords `[x, y]`.
    #[serde(default)]
    pub atlas: [i32; 2],
    /// Source id; default 0.
    #[serde(default)]
    pub source: i32,
    /// Alternative tile; default 0.
    #[serde(default)]
    pub alternative: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TilesSet {
    pub scene_path: String,
    pub node_path: String,
    /// Cells painted or erased.
    pub changed: usize,
    /// Cells in use after the call.
    pub used: usize,
}

/// A TileMapLayer's used cells, by rows, 500 a page.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTiles {
    /// Default: edited scene.
    #[serde(default)]
    pub scene_path: Option<String>,
    /// The TileMapLayer.
    pub node_path: String,
    /// `[x, y, w, h]`.
    #[serde(default)]
    pub rect: Option<[i32; 4]>,
    /// `next` of the last page.
    #[serde(default)]
    pub offset: Option<usize>,
}
command!(
    GetTiles,
    "get_tiles",
    title = "Read tiles",
    toolset = Tiles,
    read_only = true,
    output = TilePage
);

/// Cells in one page of `get_tiles`.
pub const PAGE: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TilePage {
    pub scene_path: String,
    pub node_path: String,
    pub cells: Vec<CellInfo>,
    /// Cells matching, over all pages.
    pub total: usize,
    /// Offset of the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellInfo {
    pub coords: [i32; 2],
    pub source: i32,
    pub atlas: [i32; 2],
    #[serde(default, skip_serializing_if = "is_zero")]
    pub alternative: i32,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// Described in the parameter's text instead of a nested schema, which
/// would cost every client its bytes.
macro_rules! plain_object_schema {
    ($ty:ty) => {
        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "object"})
            }
        }
    };
}
plain_object_schema!(CellPaint);
plain_object_schema!(TileRef);
