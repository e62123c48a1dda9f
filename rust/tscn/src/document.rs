//! The lossless layer: sections and `key = value` lines, each remembering
//! its original text.
//!
//! Every header and property line keeps the byte range it came from, and the
//! whitespace and comments after it are kept as they were. Writing emits
//! those bytes untouched; only an item an edit replaced is formatted anew.
//! So a parsed file writes back byte for byte, and an edit changes only the
//! lines it touches.

use std::fmt::Write;
use std::ops::Range;

use crate::parse::Parser;
use crate::value::write_string;
use crate::{Error, Value};

/// A `.tscn` or `.tres` file.
#[derive(Debug, Clone)]
pub struct Document {
    source: String,
    leading: String,
    sections: Vec<Section>,
}

/// `[tag key=value ...]` and the properties under it.
#[derive(Debug, Clone)]
pub struct Section {
    header: Header,
    raw: Option<Range<usize>>,
    trail: String,
    entries: Vec<Entry>,
}

/// A section header's tag and attributes, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub tag: String,
    pub attrs: Vec<(String, Value)>,
}

/// One `key = value` property line.
#[derive(Debug, Clone)]
pub struct Entry {
    key: String,
    value: Value,
    raw: Option<Range<usize>>,
    trail: String,
}

impl Header {
    pub fn new(tag: &str) -> Self {
        Self {
            tag: tag.to_owned(),
            attrs: Vec::new(),
        }
    }

    /// Builder form: adds an attribute.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.attrs.push((key.to_owned(), value));
        self
    }

    pub fn attr(&self, key: &str) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A string attribute's text (`name="Main"`).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.attr(key).and_then(Value::as_str)
    }
}

impl Entry {
    pub(crate) fn parsed(key: String, value: Value, span: Range<usize>, trail: String) -> Self {
        Self {
            key,
            value,
            raw: Some(span),
            trail,
        }
    }

    fn new(key: &str, value: Value) -> Self {
        Self {
            key: key.to_owned(),
            value,
            raw: None,
            trail: "\n".into(),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn value(&self) -> &Value {
        &self.value
    }
}

impl Section {
    pub(crate) fn parsed(header: Header, span: Range<usize>, trail: String) -> Self {
        Self {
            header,
            raw: Some(span),
            trail,
            entries: Vec::new(),
        }
    }

    /// A new section; its properties are written in the order given.
    pub fn new(header: Header, properties: Vec<(String, Value)>) -> Self {
        Self {
            header,
            raw: None,
            trail: "\n".into(),
            entries: properties
                .into_iter()
                .map(|(k, v)| Entry::new(&k, v))
                .collect(),
        }
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn tag(&self) -> &str {
        &self.header.tag
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub(crate) fn entries_mut(&mut self) -> &mut Vec<Entry> {
        &mut self.entries
    }

    pub fn property(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    /// Sets or adds a header attribute; the header line is rewritten.
    pub fn set_attr(&mut self, key: &str, value: Value) {
        match self.header.attrs.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) if *v == value => return,
            Some((_, v)) => *v = value,
            None => self.header.attrs.push((key.to_owned(), value)),
        }
        self.raw = None;
    }

    pub fn remove_attr(&mut self, key: &str) -> Option<Value> {
        let i = self.header.attrs.iter().position(|(k, _)| k == key)?;
        self.raw = None;
        Some(self.header.attrs.remove(i).1)
    }

    /// Sets a property in place, or appends it after the last one. Only
    /// that line is rewritten.
    pub fn set_property(&mut self, key: &str, value: Value) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.key == key) {
            if entry.value != value {
                entry.value = value;
                entry.raw = None;
            }
            return;
        }
        let mut entry = Entry::new(key, value);
        // The new last line takes over the section's closing blank line.
        entry.trail = std::mem::replace(self.trail_mut(), "\n".into());
        self.entries.push(entry);
    }

    pub fn remove_property(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        let removed = self.entries.remove(i);
        if i == self.entries.len() {
            // It was the last line: its trail now ends the section.
            *self.trail_mut() = removed.trail;
        }
        Some(removed.value)
    }

    /// The text after the section's last line.
    fn trail_mut(&mut self) -> &mut String {
        match self.entries.last_mut() {
            Some(e) => &mut e.trail,
            None => &mut self.trail,
        }
    }

    fn trail(&self) -> &str {
        self.entries.last().map_or(&self.trail, |e| &e.trail)
    }
}

impl Document {
    /// Parses a file; errors carry line and column.
    pub fn parse(text: &str) -> Result<Document, Error> {
        Parser::new(text).document()
    }

    pub(crate) fn from_parts(source: String, leading: String, sections: Vec<Section>) -> Self {
        Self {
            source,
            leading,
            sections,
        }
    }

    /// A new document holding just a file header section.
    pub fn new(header: Header) -> Self {
        Self {
            source: String::new(),
            leading: String::new(),
            sections: vec![Section::new(header, Vec::new())],
        }
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    pub fn section_mut(&mut self, index: usize) -> &mut Section {
        &mut self.sections[index]
    }

    /// Inserts `section` right after the one at `after`. `gap` is what then
    /// separates the two: `"\n"` between siblings written as a block (ext
    /// resources, connections), `"\n\n"` otherwise.
    pub fn insert_after(&mut self, after: usize, mut section: Section, gap: &str) -> usize {
        let prev = &mut self.sections[after];
        *section.trail_mut() = std::mem::replace(prev.trail_mut(), gap.to_owned());
        self.sections.insert(after + 1, section);
        after + 1
    }

    /// Removes a section, keeping the blank lines between its neighbours as
    /// Godot writes them.
    pub fn remove(&mut self, index: usize) -> Section {
        let removed = self.sections.remove(index);
        let next_same_kind = self
            .sections
            .get(index)
            .is_some_and(|s| s.tag() == removed.tag());
        if index > 0 && !next_same_kind {
            *self.sections[index - 1].trail_mut() = removed.trail().to_owned();
        }
        removed
    }

    /// The file's text: original bytes for every untouched item.
    pub fn write(&self) -> String {
        let mut out = String::with_capacity(self.source.len() + 256);
        out.push_str(&self.leading);
        for section in &self.sections {
            match &section.raw {
                Some(span) => out.push_str(&self.source[span.clone()]),
                None => write_header(&mut out, &section.header),
            }
            out.push_str(&section.trail);
            for entry in &section.entries {
                match &entry.raw {
                    Some(span) => out.push_str(&self.source[span.clone()]),
                    None => write_entry(&mut out, &entry.key, &entry.value),
                }
                out.push_str(&entry.trail);
            }
        }
        out
    }
}

fn write_header(out: &mut String, header: &Header) {
    out.push('[');
    out.push_str(&header.tag);
    for (key, value) in &header.attrs {
        let _ = write!(out, " {key}={value}");
    }
    out.push(']');
}

fn write_entry(out: &mut String, key: &str, value: &Value) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '/' | ':' | '.' | '-'));
    if plain {
        out.push_str(key);
    } else {
        let _ = write_string(out, key);
    }
    let _ = write!(out, " = {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENE: &str = "[gd_scene format=3]\n\n[ext_resource type=\"Script\" path=\"res://a.gd\" id=\"1_a\"]\n\n[node name=\"Root\" type=\"Node2D\"]\nscript = ExtResource(\"1_a\")\n\n[node name=\"A\" type=\"Node\" parent=\".\"]\n\n[connection signal=\"ready\" from=\"A\" to=\".\" method=\"f\"]\n";

    #[test]
    fn writes_back_the_same_bytes() {
        for text in [SCENE, "", "\n\n", "[a]", "; c\n[a] ; x\nk = 1 ; y\n\n"] {
            assert_eq!(Document::parse(text).unwrap().write(), text);
        }
    }

    #[test]
    fn edits_touch_only_their_lines() {
        let mut doc = Document::parse(SCENE).unwrap();
        doc.section_mut(2).set_property(
            "position",
            Value::Call("Vector2".into(), vec![Value::Int(1), Value::Int(2)]),
        );
        doc.section_mut(3)
            .set_property("visible", Value::Bool(false));
        let out = doc.write();
        assert_eq!(
            out,
            SCENE
                .replace(
                    "script = ExtResource(\"1_a\")\n",
                    "script = ExtResource(\"1_a\")\nposition = Vector2(1, 2)\n"
                )
                .replace("parent=\".\"]\n", "parent=\".\"]\nvisible = false\n")
        );
        let mut doc = Document::parse(&out).unwrap();
        doc.section_mut(2).remove_property("position");
        doc.section_mut(3).remove_property("visible");
        assert_eq!(doc.write(), SCENE);
    }

    #[test]
    fn sections_keep_godot_spacing() {
        let mut doc = Document::parse(SCENE).unwrap();
        let ext = Section::new(
            Header::new("ext_resource").with("id", Value::String("2_b".into())),
            vec![],
        );
        doc.insert_after(1, ext, "\n");
        let node = Section::new(
            Header::new("node").with("name", Value::String("B".into())),
            vec![("z".into(), Value::Int(1))],
        );
        doc.insert_after(4, node, "\n\n");
        let out = doc.write();
        assert!(
            out.contains("id=\"1_a\"]\n[ext_resource id=\"2_b\"]\n\n[node name=\"Root\""),
            "{out}"
        );
        assert!(
            out.contains("parent=\".\"]\n\n[node name=\"B\"]\nz = 1\n\n[connection"),
            "{out}"
        );
        let mut doc = Document::parse(&out).unwrap();
        doc.remove(5);
        doc.remove(2);
        assert_eq!(doc.write(), SCENE);
    }

    #[test]
    fn quoted_keys() {
        let text = "[resource]\n\"key with space\" = 1\n";
        let mut doc = Document::parse(text).unwrap();
        assert_eq!(
            doc.sections()[0].property("key with space"),
            Some(&Value::Int(1))
        );
        doc.section_mut(0)
            .set_property("key with space", Value::Int(2));
        assert_eq!(doc.write(), "[resource]\n\"key with space\" = 2\n");
    }
}
