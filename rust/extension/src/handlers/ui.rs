//! UI themes: items of a Theme resource file, set as one undoable action
//! that also saves the file.

use godot::classes::theme::DataType;
use godot::classes::{ResourceLoader, ResourceSaver, Theme};
use godot::obj::EngineEnum;
use godot::prelude::*;
use godot_mcp_protocol::commands::ui::*;
use godot_mcp_protocol::value::Kind;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};
use serde_json::Value;

use super::{Ctx, fs_path, save_resource, undo::undo_action, written};
use crate::convert::{self, PropertyInfo};

/// The kinds of theme item, as the tool names them, with their type.
const KINDS: &[(&str, DataType)] = &[
    ("color", DataType::COLOR),
    ("constant", DataType::CONSTANT),
    ("font", DataType::FONT),
    ("font_size", DataType::FONT_SIZE),
    ("icon", DataType::ICON),
    ("stylebox", DataType::STYLEBOX),
];

struct Item {
    kind: DataType,
    name: String,
    control: String,
    /// `None` removes the item.
    value: Option<Variant>,
}

pub fn set_theme_items(ctx: &mut Ctx, params: SetThemeItems) -> Result<ThemeItemsSet, ErrorBody> {
    let path = paths::normalize_file(&params.theme_path, &["tres", "res"])?;
    let items = parse(&params.items)?;
    let created = !fs_path(&path)?.exists();
    let theme = if created {
        let mut theme = Theme::new_gd();
        save_resource(&theme.clone().upcast(), &path)?;
        theme.take_over_path(&path);
        theme
    } else {
        ResourceLoader::singleton()
            .load(&path)
            .and_then(|r| r.try_cast::<Theme>().ok())
            .ok_or_else(|| {
                ErrorBody::new(
                    ErrorCode::InvalidResourceType,
                    format!("{path} is not a Theme"),
                )
                .with_hint("pass the path of a Theme .tres, or a new path to create one")
            })?
    };
    let saver = ResourceSaver::singleton();
    let save_args = vslice![theme.clone(), GString::from(&path)];
    let mut undo = undo_action(&format!("set theme items of {path}"))?;
    for item in &items {
        let (kind, name, control) = (
            item.kind.ord(),
            StringName::from(&item.name),
            StringName::from(&item.control),
        );
        match &item.value {
            Some(v) => undo.add_do_method(
                &theme,
                "set_theme_item",
                vslice![kind, name.clone(), control.clone(), v.clone()],
            ),
            None => undo.add_do_method(
                &theme,
                "clear_theme_item",
                vslice![kind, name.clone(), control.clone()],
            ),
        }
        if theme.has_theme_item(item.kind, &name, &control) {
            let old = theme.get_theme_item(item.kind, &name, &control);
            undo.add_undo_method(&theme, "set_theme_item", vslice![kind, name, control, old]);
        } else {
            undo.add_undo_method(&theme, "clear_theme_item", vslice![kind, name, control]);
        }
    }
    undo.add_do_method(&saver, "save", save_args);
    undo.add_undo_method(&saver, "save", save_args);
    let before = written::before(&path);
    undo.commit(&mut ctx.journal);
    written::verify(&path, before)?;
    Ok(ThemeItemsSet {
        theme_path: path,
        created,
        changed: items.len(),
    })
}

/// Every item, converted, before anything changes.
fn parse(items: &serde_json::Map<String, Value>) -> Result<Vec<Item>, ErrorBody> {
    let shape = || {
        ErrorBody::new(
            ErrorCode::InvalidParams,
            "items maps a control type to kinds, each mapping item names to values",
        )
        .with_hint(r##"e.g. {"Button": {"color": {"font_color": "#ffffff"}, "constant": {"h_separation": 4}}}"##)
    };
    let mut out = Vec::new();
    for (control, kinds) in items {
        let kinds = kinds.as_object().ok_or_else(shape)?;
        for (kind_name, named) in kinds {
            let Some(&(_, kind)) = KINDS.iter().find(|(k, _)| k == kind_name) else {
                let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                return Err(ErrorBody::new(
                    ErrorCode::InvalidParams,
                    format!("{kind_name:?} is not a kind of theme item"),
                )
                .with_hint(format!("use one of: {}", known.join(", "))));
            };
            for (name, value) in named.as_object().ok_or_else(shape)? {
                let value = if value.is_null() {
                    None
                } else {
                    Some(convert::to_variant(value, &slot(kind, name))?)
                };
                out.push(Item {
                    kind,
                    name: name.clone(),
                    control: control.clone(),
                    value,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(shape());
    }
    Ok(out)
}

/// What a value of this kind of item must be, as a property would say it.
fn slot(kind: DataType, name: &str) -> PropertyInfo {
    match kind {
        DataType::COLOR => PropertyInfo::of_kind(name, Kind::Color),
        DataType::CONSTANT | DataType::FONT_SIZE => PropertyInfo::of_kind(name, Kind::Int),
        DataType::FONT => PropertyInfo::resource(name, "Font"),
        DataType::ICON => PropertyInfo::resource(name, "Texture2D"),
        _ => PropertyInfo::resource(name, "StyleBox"),
    }
}
