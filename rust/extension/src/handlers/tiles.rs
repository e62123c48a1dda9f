//! Tile maps: TileSets cut from a texture, and the cells of a
//! `TileMapLayer`, painted as one undoable change of its `tile_map_data`
//! through the same codec offline mode uses.

use godot::classes::{Node, ResourceLoader, Texture2D, TileSet, TileSetAtlasSource};
use godot::prelude::*;
use godot_mcp_protocol::commands::tiles::*;
use godot_mcp_protocol::tilemap::{self, Cells};
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::{
    Ctx, editor_interface, find_node, relative_path, save_resource, target_scene, undo::undo_action,
};
use crate::convert;

pub fn create_tileset(_: &mut Ctx, params: CreateTileset) -> Result<TilesetCreated, ErrorBody> {
    let path = paths::normalize_file(&params.path, &["tres"])?;
    let [w, h] = params.tile_size;
    if w <= 0 || h <= 0 {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            "tile_size must be positive",
        ));
    }
    let texture = texture(&params.texture)?;
    let mut source = TileSetAtlasSource::new_gd();
    source.set_texture(&texture);
    source.set_texture_region_size(Vector2i::new(w, h));
    let [sx, sy] = params.separation.unwrap_or_default();
    source.set_separation(Vector2i::new(sx, sy));
    let [mx, my] = params.margin.unwrap_or_default();
    source.set_margins(Vector2i::new(mx, my));
    let grid = source.get_atlas_grid_size();
    for y in 0..grid.y {
        for x in 0..grid.x {
            source.create_tile(Vector2i::new(x, y));
        }
    }
    let mut tileset = TileSet::new_gd();
    tileset.set_tile_size(Vector2i::new(w, h));
    let id = tileset
        .add_source_ex(&source)
        .atlas_source_id_override(0)
        .done();
    let mut resource = tileset.upcast::<godot::classes::Resource>();
    save_resource(&resource, &path)?;
    resource.take_over_path(&path);
    Ok(TilesetCreated {
        path,
        source: id,
        atlas_size: [grid.x, grid.y],
        tiles: (grid.x.max(0) * grid.y.max(0)) as usize,
    })
}

/// The texture at `input`, imported first when the editor has not yet.
fn texture(input: &str) -> Result<Gd<Texture2D>, ErrorBody> {
    let path = convert::checked_path(input, false)?;
    let mut loader = ResourceLoader::singleton();
    if !loader.exists(&path)
        && super::fs_path(&path)?.is_file()
        && let Some(mut fs) = editor_interface().get_resource_filesystem()
    {
        fs.update_file(&path);
        fs.reimport_files(&PackedStringArray::from(&[GString::from(&path)]));
    }
    loader
        .load(&path)
        .and_then(|r| r.try_cast::<Texture2D>().ok())
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::FileNotFound,
                format!("{path} is not an image Godot can load as a texture"),
            )
            .with_hint("give a res:// .png or .svg in the project")
        })
}

fn layer(
    scene_path: Option<&str>,
    node_path: &str,
) -> Result<(String, String, Gd<Node>), ErrorBody> {
    let scene = target_scene(scene_path)?;
    let node = find_node(&scene.root, node_path)?;
    let path = relative_path(&scene.root, &node);
    if !node.is_class("TileMapLayer") {
        return Err(ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("{path} is a {}, not a TileMapLayer", node.get_class()),
        )
        .with_hint("add a TileMapLayer with add_node and give it a tile_set"));
    }
    Ok((scene.path, path, node))
}

fn cells_of(node: &Gd<Node>) -> Result<(PackedByteArray, Cells), ErrorBody> {
    let bytes = node
        .get("tile_map_data")
        .try_to::<PackedByteArray>()
        .unwrap_or_default();
    let cells =
        Cells::decode(bytes.as_slice()).map_err(|e| ErrorBody::new(ErrorCode::GodotError, e))?;
    Ok((bytes, cells))
}

pub fn set_tiles(ctx: &mut Ctx, params: SetTiles) -> Result<TilesSet, ErrorBody> {
    let (scene_path, node_path, node) = layer(params.scene_path.as_deref(), &params.node_path)?;
    let (old, mut cells) = cells_of(&node)?;
    let changed = cells.apply(&params)?;
    let new = PackedByteArray::from(cells.encode().as_slice());
    let mut undo = undo_action(&format!("set tiles of {}", node.get_name()))?;
    undo.add_do_property(&node, "tile_map_data", &new.to_variant());
    undo.add_undo_property(&node, "tile_map_data", &old.to_variant());
    undo.commit(&mut ctx.journal);
    Ok(TilesSet {
        scene_path,
        node_path,
        changed,
        used: cells.len(),
    })
}

pub fn get_tiles(_: &mut Ctx, params: GetTiles) -> Result<TilePage, ErrorBody> {
    let (scene_path, node_path, node) = layer(params.scene_path.as_deref(), &params.node_path)?;
    let (_, cells) = cells_of(&node)?;
    let (cells, total, next) =
        tilemap::page(cells.listed(params.rect), params.offset.unwrap_or(0), PAGE);
    Ok(TilePage {
        scene_path,
        node_path,
        cells,
        total,
        next,
    })
}
