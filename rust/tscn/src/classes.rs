//! The engine's classes and their stored properties, as extracted from
//! Godot by `cargo xtask classes` (see `data/classes.txt`).
//!
//! Offline edits check node types and property names here so they cannot
//! write what Godot would refuse, and take each property's Variant type from
//! here to turn JSON values into the right text.

use std::collections::HashMap;
use std::sync::OnceLock;

use godot_mcp_protocol::value::{Hint, Kind};

const DATA: &str = include_str!("../data/classes.txt");

/// One engine class.
#[derive(Debug)]
pub struct Class {
    pub name: String,
    pub parent: Option<String>,
    pub instantiable: bool,
    properties: Vec<Property>,
}

/// A stored property: name, declared type, and its enum if it takes one.
#[derive(Debug)]
pub struct Property {
    pub name: String,
    /// The type as the API spells it: `Vector2`, `Texture2D`, `typedarray::Node`.
    pub type_name: String,
    /// `(is_flags, qualified enum name)`.
    enumeration: Option<(bool, String)>,
}

/// Every class, enum and named colour.
#[derive(Debug)]
pub struct ClassDb {
    classes: HashMap<String, Class>,
    /// Enum hint strings in the editor's form, `"Inherit:0,When Paused:2"`.
    enums: HashMap<String, String>,
    colors: HashMap<String, [f32; 4]>,
}

impl Class {
    /// The properties this class declares itself (not its ancestors').
    pub fn property_names(&self) -> impl Iterator<Item = &str> {
        self.properties.iter().map(|p| p.name.as_str())
    }
}

impl ClassDb {
    /// The class list compiled into this crate.
    pub fn get() -> &'static ClassDb {
        static DB: OnceLock<ClassDb> = OnceLock::new();
        DB.get_or_init(|| ClassDb::parse(DATA).expect("data/classes.txt is well-formed"))
    }

    fn parse(text: &str) -> Result<ClassDb, String> {
        let mut db = ClassDb {
            classes: HashMap::new(),
            enums: HashMap::new(),
            colors: HashMap::new(),
        };
        let mut current: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let bad = || format!("classes.txt:{}: malformed line {line:?}", n + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('\t') {
                let mut parts = rest.split(' ');
                let (Some(name), Some(type_name)) = (parts.next(), parts.next()) else {
                    return Err(bad());
                };
                let enumeration = match parts.next() {
                    None => None,
                    Some(e) => match e.split_once(':') {
                        Some(("enum", q)) => Some((false, q.to_owned())),
                        Some(("flags", q)) => Some((true, q.to_owned())),
                        _ => return Err(bad()),
                    },
                };
                let class = current
                    .as_ref()
                    .and_then(|c| db.classes.get_mut(c))
                    .ok_or_else(bad)?;
                class.properties.push(Property {
                    name: name.to_owned(),
                    type_name: type_name.to_owned(),
                    enumeration,
                });
            } else if let Some(rest) = line.strip_prefix('=') {
                let (name, values) = rest.split_once(' ').ok_or_else(bad)?;
                db.enums.insert(name.to_owned(), display_names(values));
            } else if let Some(rest) = line.strip_prefix('@') {
                let (name, rgba) = rest.split_once(' ').ok_or_else(bad)?;
                let c: Vec<f32> = rgba.split(',').filter_map(|v| v.parse().ok()).collect();
                let c: [f32; 4] = c.try_into().map_err(|_| bad())?;
                db.colors.insert(normalize_color(name), c);
            } else {
                let mut parts = line.split(' ');
                let (Some(name), Some(parent), Some(flags)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(bad());
                };
                db.classes.insert(
                    name.to_owned(),
                    Class {
                        name: name.to_owned(),
                        parent: (parent != "-").then(|| parent.to_owned()),
                        instantiable: flags.contains('i'),
                        properties: Vec::new(),
                    },
                );
                current = Some(name.to_owned());
            }
        }
        Ok(db)
    }

    pub fn class(&self, name: &str) -> Option<&Class> {
        self.classes.get(name)
    }

    /// True when `class` is `base` or inherits from it.
    pub fn is_a(&self, class: &str, base: &str) -> bool {
        let mut at = self.class(class);
        while let Some(c) = at {
            if c.name == base {
                return true;
            }
            at = c.parent.as_deref().and_then(|p| self.class(p));
        }
        false
    }

    /// A property declared by `class` or one of its ancestors.
    pub fn property(&self, class: &str, name: &str) -> Option<&Property> {
        let mut at = self.class(class);
        while let Some(c) = at {
            if let Some(p) = c.properties.iter().find(|p| p.name == name) {
                return Some(p);
            }
            at = c.parent.as_deref().and_then(|p| self.class(p));
        }
        None
    }

    /// The property's Variant kind and hint, as `value::plan` takes them.
    pub fn kind_of<'a>(&'a self, property: &'a Property) -> (Kind, Hint<'a>) {
        let t = property.type_name.as_str();
        let builtin = (0..39)
            .filter_map(Kind::from_ord)
            .find(|k| k.name() == t && *k != Kind::Nil);
        let kind = match builtin {
            Some(k) => k,
            None if t == "Variant" => Kind::Nil,
            None if t.starts_with("typedarray::") => Kind::Array,
            None if t.starts_with("typeddictionary::") => Kind::Dictionary,
            None => Kind::Object,
        };
        let hint = match (&property.enumeration, kind) {
            (Some((flags, q)), _) => match self.enums.get(q) {
                Some(h) if *flags => Hint::Flags(h),
                Some(h) => Hint::Enum(h),
                None => Hint::None,
            },
            (None, Kind::Object) => Hint::Resource(t),
            _ => Hint::None,
        };
        (kind, hint)
    }

    /// A named colour (`"red"`, `"Dark Green"`, `"DARK_GREEN"`).
    pub fn color(&self, name: &str) -> Option<[f32; 4]> {
        self.colors.get(&normalize_color(name)).copied()
    }

    /// Instantiable Node classes, for suggestions.
    pub fn node_classes(&self) -> impl Iterator<Item = &str> {
        self.classes
            .values()
            .filter(|c| c.instantiable && self.is_a(&c.name, "Node"))
            .map(|c| c.name.as_str())
    }
}

fn normalize_color(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `PROCESS_MODE_WHEN_PAUSED:2,...` as the editor shows them:
/// `When Paused:2,...` (shared prefix dropped, words capitalised).
fn display_names(values: &str) -> String {
    let items: Vec<(&str, &str)> = values
        .split(',')
        .filter_map(|v| v.split_once(':'))
        .collect();
    let names: Vec<&str> = items.iter().map(|(n, _)| *n).collect();
    let mut prefix = names.first().map_or("", |n| *n);
    for n in &names {
        while !n.starts_with(prefix) {
            prefix = &prefix[..prefix.len() - 1];
        }
    }
    // Cut at a word boundary, and never swallow a whole name.
    let cut = prefix.rfind('_').map_or(0, |i| i + 1);
    let cut = if names.iter().any(|n| n.len() <= cut) {
        0
    } else {
        cut
    };
    items
        .iter()
        .map(|(name, value)| {
            let words: Vec<String> = name[cut..]
                .split('_')
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let lower = w.to_ascii_lowercase();
                    let mut chars = lower.chars();
                    chars
                        .next()
                        .map(|f| f.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect();
            format!("{}:{value}", words.join(" "))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use godot_mcp_protocol::value::enum_value;

    #[test]
    fn the_data_file_parses() {
        let db = ClassDb::get();
        assert!(db.classes.len() > 500, "{}", db.classes.len());
        assert!(db.is_a("CharacterBody2D", "Node"));
        assert!(db.is_a("CircleShape2D", "Resource"));
        assert!(!db.is_a("CircleShape2D", "Node"));
        assert!(db.class("Sprite2D").unwrap().instantiable);
        assert!(!db.class("CanvasItem").unwrap().instantiable);
        let position = db.property("Sprite2D", "position").unwrap();
        assert_eq!(db.kind_of(position).0, Kind::Vector2);
        let texture = db.property("Sprite2D", "texture").unwrap();
        assert_eq!(
            db.kind_of(texture),
            (Kind::Object, Hint::Resource("Texture2D"))
        );
        assert!(db.property("Sprite2D", "no_such_thing").is_none());
        assert_eq!(db.color("alice blue").map(|c| c[3]), Some(1.0));
    }

    #[test]
    fn enums_take_editor_names() {
        let db = ClassDb::get();
        let mode = db.property("Node2D", "process_mode").unwrap();
        let (kind, hint) = db.kind_of(mode);
        assert_eq!(kind, Kind::Int);
        let Hint::Enum(h) = hint else {
            panic!("{hint:?}")
        };
        assert!(h.starts_with("Inherit:0,Pausable:1,When Paused:2"), "{h}");
        assert_eq!(enum_value("WHEN_PAUSED", h), Some(2));
        assert_eq!(enum_value("PROCESS_MODE_ALWAYS", h), Some(3));
        assert_eq!(display_names("A:0,B:1"), "A:0,B:1");
    }
}
