//! Godot 4 text scenes and resources (`.tscn`/`.tres`, `format=3`/`4`),
//! read and written without the engine.
//!
//! When no editor is running, the MCP tools still have to edit scene files,
//! the way a careful person would by hand: change what was asked and leave
//! every other byte alone. [`Document`] is that lossless layer (parse, then
//! write, gives back the same bytes); [`Scene`] is the typed model on top
//! (node tree, resources, edits that keep ids, `load_steps` and uids valid);
//! [`ClassDb`] is the engine's class list, extracted from Godot, so offline
//! edits cannot write what Godot would refuse. [`project`] knows the rest
//! of Godot's file conventions offline edits need (resource types, uids,
//! what a script declares).

#![forbid(unsafe_code)]

mod classes;
mod color;
pub mod convert;
mod document;
mod error;
pub mod ids;
pub mod inspector;
mod parse;
pub mod project;
mod scene;
mod value;

pub use classes::{Class, ClassDb, Property};
pub use color::from_html;
pub use document::{Document, Entry, Header, Section};
pub use error::Error;
pub use scene::{Node, Scene, valid_node_name};
pub use value::{Value, float_text, number_text};

impl Value {
    /// Parses one value in Godot's text syntax, e.g. `Vector2(1, 2)`.
    pub fn parse(text: &str) -> Result<Value, Error> {
        parse::Parser::new(text).only_value()
    }
}
