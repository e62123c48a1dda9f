//! Offline tile painting: a `TileMapLayer`'s cells read from and written to
//! its `tile_map_data` line in the scene file, through the codec the
//! editor uses ([`godot_mcp_protocol::tilemap`]).
//!
//! Godot 4.3 and later write the array as base64 text,
//! `PackedByteArray("AAAB...")`; older files list the bytes as numbers.
//! Both are read; base64 is written.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use godot_mcp_protocol::commands::tiles::*;
use godot_mcp_protocol::tilemap::{self, Cells};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use godot_mcp_tscn::{ClassDb, Value};

use super::{Node, Project};

const DATA: &str = "tile_map_data";

impl Project {
    pub(super) fn set_tiles(&mut self, p: SetTiles) -> Result<TilesSet, ErrorBody> {
        let (path, mut scene, node) = self.load_node(p.scene_path.as_deref(), &p.node_path)?;
        self.check_layer(&node)?;
        let mut cells = decode(scene.property(&node, DATA))?;
        let changed = cells.apply(&p)?;
        let value = Value::Call(
            "PackedByteArray".into(),
            vec![Value::String(STANDARD.encode(cells.encode()))],
        );
        scene
            .set_property(&node.path, DATA, value)
            .map_err(|e| super::scene_error(&path, e))?;
        self.store(&path, &scene)?;
        Ok(TilesSet {
            scene_path: path,
            node_path: node.path,
            changed,
            used: cells.len(),
        })
    }

    pub(super) fn get_tiles(&mut self, p: GetTiles) -> Result<TilePage, ErrorBody> {
        let (path, scene, node) = self.load_node(p.scene_path.as_deref(), &p.node_path)?;
        self.check_layer(&node)?;
        let cells = decode(scene.property(&node, DATA))?;
        let (cells, total, next) = tilemap::page(cells.listed(p.rect), p.offset.unwrap_or(0), PAGE);
        Ok(TilePage {
            scene_path: path,
            node_path: node.path,
            cells,
            total,
            next,
        })
    }

    fn check_layer(&self, node: &Node) -> Result<(), ErrorBody> {
        let class = self.class_of(node);
        if !ClassDb::get().is_a(&class, "TileMapLayer") {
            return Err(ErrorBody::new(
                ErrorCode::InvalidOperation,
                format!("{} is a {class}, not a TileMapLayer", node.path),
            )
            .with_hint("add a TileMapLayer with add_node and give it a tile_set"));
        }
        Ok(())
    }
}

/// The cells of a `tile_map_data` value; none when the line is absent.
fn decode(value: Option<&Value>) -> Result<Cells, ErrorBody> {
    let damaged = |why: String| {
        ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("the layer's tile_map_data cannot be read: {why}"),
        )
        .with_hint("open the project in the Godot editor to repair the scene")
    };
    let bytes = match value {
        None => Vec::new(),
        Some(Value::Call(name, args)) if name == "PackedByteArray" => match args.as_slice() {
            [Value::String(text)] => STANDARD.decode(text).map_err(|e| damaged(e.to_string()))?,
            numbers => numbers
                .iter()
                .map(|n| match n {
                    Value::Int(b) => {
                        u8::try_from(*b).map_err(|_| damaged(format!("{b} is not a byte")))
                    }
                    _ => Err(damaged("not a list of bytes".into())),
                })
                .collect::<Result<_, _>>()?,
        },
        Some(other) => return Err(damaged(format!("unexpected value {other:?}"))),
    };
    Cells::decode(&bytes).map_err(damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_the_array_decode_alike() {
        let bytes = [0u8, 0, 1, 0, 2, 0, 0, 0, 3, 0, 4, 0, 0, 0];
        let b64 =
            Value::parse(&format!("PackedByteArray(\"{}\")", STANDARD.encode(bytes))).unwrap();
        let listed =
            Value::parse("PackedByteArray(0, 0, 1, 0, 2, 0, 0, 0, 3, 0, 4, 0, 0, 0)").unwrap();
        let a = decode(Some(&b64)).unwrap();
        assert_eq!(a, decode(Some(&listed)).unwrap());
        assert_eq!(a.get(1, 2).unwrap().atlas, [3, 4]);
        assert!(decode(None).unwrap().is_empty());
        assert!(decode(Some(&Value::parse("PackedByteArray(\"!!\")").unwrap())).is_err());
        assert!(decode(Some(&Value::parse("PackedByteArray(0, 300)").unwrap())).is_err());
    }
}
