//! A `TileMapLayer`'s cells as Godot stores them in `tile_map_data`.
//!
//! Both the editor (which edits the property as one undoable value) and
//! offline mode (which edits the scene file) paint cells through this one
//! engine-free codec. The format (Godot's `tile_map_layer.cpp`, format 0):
//! a little-endian `u16` format number, then 12 bytes per cell: `i16` x,
//! `i16` y, `u16` source id, `u16` atlas x, `u16` atlas y, `u16`
//! alternative. An empty layer is an empty array.

use std::collections::BTreeMap;

use crate::commands::tiles::{CellInfo, SetTiles, TileRef};
use crate::{ErrorBody, ErrorCode};

const FORMAT: u16 = 0;
const CELL_BYTES: usize = 12;

/// The cells of a layer, ordered row by row (y, then x).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cells(BTreeMap<(i32, i32), TileRef>);

impl Cells {
    /// Reads `tile_map_data`.
    pub fn decode(bytes: &[u8]) -> Result<Cells, String> {
        let mut cells = Cells::default();
        if bytes.is_empty() {
            return Ok(cells);
        }
        if bytes.len() < 2 {
            return Err("tile_map_data is cut short".into());
        }
        let format = u16::from_le_bytes([bytes[0], bytes[1]]);
        if format != FORMAT {
            return Err(format!("tile_map_data has unknown format {format}"));
        }
        let body = &bytes[2..];
        if !body.len().is_multiple_of(CELL_BYTES) {
            return Err("tile_map_data is cut short".into());
        }
        for c in body.chunks_exact(CELL_BYTES) {
            let u = |i: usize| u16::from_le_bytes([c[i], c[i + 1]]);
            let x = i32::from(u(0) as i16);
            let y = i32::from(u(2) as i16);
            let tile = TileRef {
                source: i32::from(u(4)),
                atlas: [i32::from(u(6)), i32::from(u(8))],
                alternative: i32::from(u(10)),
            };
            // Godot skips erased cells (source -1) when loading.
            if tile.source != 0xFFFF {
                cells.0.insert((y, x), tile);
            }
        }
        Ok(cells)
    }

    /// Writes `tile_map_data`: empty for no cells, as Godot does.
    pub fn encode(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(2 + self.0.len() * CELL_BYTES);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        for (&(y, x), t) in &self.0 {
            for v in [
                x as i16 as u16,
                y as i16 as u16,
                t.source as u16,
                t.atlas[0] as u16,
                t.atlas[1] as u16,
                t.alternative as u16,
            ] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, x: i32, y: i32) -> Option<TileRef> {
        self.0.get(&(y, x)).copied()
    }

    /// Applies a `set_tiles` call; returns how many cells it painted or
    /// erased. Checks everything before changing anything.
    pub fn apply(&mut self, call: &SetTiles) -> Result<usize, ErrorBody> {
        let mut edits: Vec<((i32, i32), Option<TileRef>)> = Vec::new();
        let erase = call.erase.unwrap_or(false);
        for cell in call.cells.iter().flatten() {
            let tile = (!erase).then(|| cell.tile());
            edits.push((cell.coords.into(), tile));
        }
        if let Some([x, y, w, h]) = call.rect {
            if w <= 0 || h <= 0 || i64::from(w) * i64::from(h) > 1 << 20 {
                return Err(invalid(
                    "rect must have a positive width and height, at most 1048576 cells",
                ));
            }
            let tile = match (erase, call.fill) {
                (true, _) => None,
                (false, Some(t)) => Some(t),
                (false, None) => {
                    return Err(invalid(
                        "rect needs fill (the tile to paint) or erase: true",
                    ));
                }
            };
            for cy in y..y.saturating_add(h) {
                for cx in x..x.saturating_add(w) {
                    edits.push(((cx, cy), tile));
                }
            }
        } else if call.fill.is_some() {
            return Err(invalid("fill needs rect"));
        }
        if edits.is_empty() {
            return Err(invalid(
                "nothing to do: give cells, or rect with fill or erase",
            ));
        }
        for ((x, y), tile) in &edits {
            check_coord(*x)?;
            check_coord(*y)?;
            if let Some(t) = tile {
                check_tile(t)?;
            }
        }
        let changed = edits.len();
        for ((x, y), tile) in edits {
            match tile {
                Some(t) => self.0.insert((y, x), t),
                None => self.0.remove(&(y, x)),
            };
        }
        Ok(changed)
    }

    /// The cells inside `rect` (all when absent), row by row.
    pub fn listed(&self, rect: Option<[i32; 4]>) -> Vec<CellInfo> {
        let inside = |x: i32, y: i32| match rect {
            Some([rx, ry, w, h]) => {
                let (x, y) = (i64::from(x), i64::from(y));
                x >= i64::from(rx)
                    && y >= i64::from(ry)
                    && x < i64::from(rx) + i64::from(w)
                    && y < i64::from(ry) + i64::from(h)
            }
            None => true,
        };
        self.0
            .iter()
            .filter(|((y, x), _)| inside(*x, *y))
            .map(|(&(y, x), t)| CellInfo {
                coords: [x, y],
                source: t.source,
                atlas: t.atlas,
                alternative: t.alternative,
            })
            .collect()
    }
}

/// One page of `cells`: the slice from `offset`, at most `limit` long, and
/// the offset of the next page if there is one.
pub fn page<T>(mut cells: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, usize, Option<usize>) {
    let total = cells.len();
    let limit = limit.max(1);
    let start = offset.min(total);
    let end = start.saturating_add(limit).min(total);
    cells.truncate(end);
    let page = cells.split_off(start);
    (page, total, (end < total).then_some(end))
}

fn invalid(message: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidParams, message).with_hint(
        "give cells [{coords: [x, y], atlas: [x, y]}], or rect [x, y, w, h] with fill {atlas: [x, y]} or erase: true",
    )
}

fn check_coord(v: i32) -> Result<(), ErrorBody> {
    if i16::try_from(v).is_err() {
        return Err(invalid(&format!(
            "cell coordinate {v} is outside what a TileMapLayer stores (-32768..32767)"
        )));
    }
    Ok(())
}

fn check_tile(t: &TileRef) -> Result<(), ErrorBody> {
    let fits = |v: i32| (0..0xFFFF).contains(&v);
    if ![t.source, t.atlas[0], t.atlas[1], t.alternative]
        .into_iter()
        .all(fits)
    {
        return Err(invalid(
            "source, atlas coords and alternative must be between 0 and 65534",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::tiles::CellPaint;

    fn call(
        cells: Vec<CellPaint>,
        rect: Option<[i32; 4]>,
        fill: Option<TileRef>,
        erase: bool,
    ) -> SetTiles {
        SetTiles {
            scene_path: None,
            node_path: "Ground".into(),
            cells: Some(cells),
            rect,
            fill,
            erase: Some(erase),
        }
    }

    fn paint(x: i32, y: i32, ax: i32, ay: i32) -> CellPaint {
        CellPaint {
            coords: [x, y],
            atlas: [ax, ay],
            source: 0,
            alternative: 0,
        }
    }

    #[test]
    fn one_cell_encodes_as_godot_writes_it() {
        let mut cells = Cells::default();
        cells
            .apply(&call(
                vec![CellPaint {
                    coords: [-1, 2],
                    atlas: [3, 4],
                    source: 1,
                    alternative: 5,
                }],
                None,
                None,
                false,
            ))
            .unwrap();
        assert_eq!(
            cells.encode(),
            [0, 0, 0xFF, 0xFF, 2, 0, 1, 0, 3, 0, 4, 0, 5, 0]
        );
        assert_eq!(Cells::decode(&cells.encode()).unwrap(), cells);
        assert_eq!(Cells::default().encode(), Vec::<u8>::new());
    }

    #[test]
    fn painting_filling_and_erasing() {
        let mut cells = Cells::default();
        let fill = TileRef {
            atlas: [1, 0],
            ..TileRef::default()
        };
        assert_eq!(
            cells.apply(&call(vec![], Some([0, 0, 3, 2]), Some(fill), false)),
            Ok(6)
        );
        cells
            .apply(&call(vec![paint(1, 1, 2, 2)], None, None, false))
            .unwrap();
        assert_eq!(cells.get(1, 1).unwrap().atlas, [2, 2]);
        cells
            .apply(&call(vec![paint(0, 0, 0, 0)], None, None, true))
            .unwrap();
        assert_eq!(cells.get(0, 0), None);
        cells
            .apply(&call(vec![], Some([2, 0, 1, 2]), None, true))
            .unwrap();
        assert_eq!(cells.len(), 3);
        let listed: Vec<[i32; 2]> = cells.listed(None).iter().map(|c| c.coords).collect();
        assert_eq!(listed, [[1, 0], [0, 1], [1, 1]]);
        let round = Cells::decode(&cells.encode()).unwrap();
        assert_eq!(round, cells);
        assert_eq!(cells.listed(Some([1, 1, 5, 5])).len(), 1);
    }

    #[test]
    fn bad_calls_change_nothing() {
        let mut cells = Cells::default();
        for bad in [
            call(vec![], None, None, false),
            call(vec![], Some([0, 0, 2, 2]), None, false),
            call(vec![], None, Some(TileRef::default()), false),
            call(
                vec![paint(0, 0, 0, 0), paint(40000, 0, 0, 0)],
                None,
                None,
                false,
            ),
            call(vec![paint(0, 0, -1, 0)], None, None, false),
            call(vec![], Some([0, 0, 0, 5]), Some(TileRef::default()), false),
        ] {
            let e = cells.apply(&bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParams);
        }
        assert!(cells.is_empty());
    }

    #[test]
    fn damaged_data_is_refused() {
        assert!(Cells::decode(&[0]).is_err());
        assert!(Cells::decode(&[1, 0]).is_err());
        assert!(Cells::decode(&[0, 0, 1, 2, 3]).is_err());
        // An erased cell (source 0xFFFF) is skipped, as Godot does.
        let erased = [0, 0, 1, 0, 1, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0];
        assert!(Cells::decode(&erased).unwrap().is_empty());
    }

    #[test]
    fn pages() {
        let all: Vec<u32> = (0..5).collect();
        assert_eq!(page(all.clone(), 0, 2), (vec![0, 1], 5, Some(2)));
        assert_eq!(page(all.clone(), 4, 2), (vec![4], 5, None));
        assert_eq!(page(all, 9, 2), (vec![], 5, None));
    }
}
