//! The class reference from ClassDB, in compact signature form.

use godot::classes::ClassDb;
use godot::prelude::*;
use godot_mcp_protocol::commands::docs::*;
use godot_mcp_protocol::value::Kind;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Map, Value};

use super::Ctx;
use crate::convert;

/// Property usage flags of inspector headings, which are not properties.
const USAGE_HEADINGS: i64 = 64 | 128 | 256;
/// A nil return that means Variant, not void.
const USAGE_NIL_IS_VARIANT: i64 = 131072;
const METHOD_FLAG_VIRTUAL: i64 = 32;
const METHOD_FLAG_VARARG: i64 = 16;

pub fn get_class_info(_: &mut Ctx, params: GetClassInfo) -> Result<ClassInfo, ErrorBody> {
    let mut db = ClassDb::singleton();
    let class = params.class.trim();
    if !db.class_exists(class) {
        return Err(convert::unknown_class(class, "Object"));
    }
    let own = !params.inherited;
    let mut inherits = Vec::new();
    let mut parent = db.get_parent_class(class).to_string();
    while !parent.is_empty() {
        inherits.push(parent.clone());
        parent = db.get_parent_class(&parent).to_string();
    }
    let properties: Vec<ClassProperty> = db
        .class_get_property_list_ex(class)
        .no_inheritance(own)
        .done()
        .iter_shared()
        .filter(|d| int(d, "usage") & USAGE_HEADINGS == 0)
        .map(|d| {
            let name = string(&d, "name");
            ClassProperty {
                kind: type_text(&d),
                default: convert::to_json(&db.class_get_property_default_value(class, &name)),
                name,
            }
        })
        .collect();
    // Accessors of properties are implied by the properties.
    let accessors: Vec<String> = properties
        .iter()
        .flat_map(|p| {
            [
                db.class_get_property_getter(class, &p.name).to_string(),
                db.class_get_property_setter(class, &p.name).to_string(),
            ]
        })
        .collect();
    let mut methods: Vec<String> = db
        .class_get_method_list_ex(class)
        .no_inheritance(own)
        .done()
        .iter_shared()
        .filter(|d| !accessors.contains(&string(d, "name")))
        .map(|d| method_text(&d))
        .collect();
    methods.sort();
    let signals = db
        .class_get_signal_list_ex(class)
        .no_inheritance(own)
        .done()
        .iter_shared()
        .map(|d| signature(&d))
        .collect();
    let mut enums = Map::new();
    let mut in_enums = Vec::new();
    for name in db
        .class_get_enum_list_ex(class)
        .no_inheritance(own)
        .done()
        .as_slice()
    {
        let values: Vec<Value> = db
            .class_get_enum_constants_ex(class, &StringName::from(name))
            .no_inheritance(own)
            .done()
            .as_slice()
            .iter()
            .map(|c| {
                in_enums.push(c.to_string());
                Value::String(c.to_string())
            })
            .collect();
        enums.insert(name.to_string(), Value::Array(values));
    }
    let constants = db
        .class_get_integer_constant_list_ex(class)
        .no_inheritance(own)
        .done()
        .as_slice()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !in_enums.contains(c))
        .map(|c| {
            let value = db.class_get_integer_constant(class, &c);
            (c, Value::from(value))
        })
        .collect();
    Ok(ClassInfo {
        class: class.to_owned(),
        inherits,
        instantiable: db.can_instantiate(class),
        properties,
        methods,
        signals,
        constants,
        enums,
    })
}

pub fn search_classes(_: &mut Ctx, params: SearchClasses) -> Result<ClassMatches, ErrorBody> {
    let db = ClassDb::singleton();
    if let Some(base) = &params.base
        && !db.class_exists(base.as_str())
    {
        return Err(convert::unknown_class(base, "Object"));
    }
    let wanted = params.pattern.trim().to_lowercase();
    if wanted.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "the pattern is empty")
                .with_hint("pass part of a class name, e.g. Body2D"),
        );
    }
    let mut classes: Vec<String> = db
        .get_class_list()
        .as_slice()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| c.to_lowercase().contains(&wanted))
        .filter(|c| {
            params
                .base
                .as_deref()
                .is_none_or(|b| db.is_parent_class(c.as_str(), b))
        })
        .collect();
    classes.sort();
    Ok(ClassMatches { classes })
}

fn string(d: &VarDictionary, key: &str) -> String {
    d.get(key).map(|v| v.to_string()).unwrap_or_default()
}

fn int(d: &VarDictionary, key: &str) -> i64 {
    d.get(key).and_then(|v| v.try_to::<i64>().ok()).unwrap_or(0)
}

/// A value's type from a property dictionary: its class for objects and
/// enums, else the Variant type.
fn type_text(d: &VarDictionary) -> String {
    let class = string(d, "class_name");
    if !class.is_empty() {
        return class;
    }
    match Kind::from_ord(int(d, "type")) {
        Some(Kind::Nil) | None if int(d, "usage") & USAGE_NIL_IS_VARIANT == 0 => "void".into(),
        Some(kind) => kind.name().into(),
        None => "Variant".into(),
    }
}

/// `name(a: T, b: T)` from a method or signal dictionary.
fn signature(d: &VarDictionary) -> String {
    format!("{}({})", string(d, "name"), arguments(d).join(", "))
}

/// `a: T = default` for each argument of a method or signal dictionary.
pub(super) fn arguments(d: &VarDictionary) -> Vec<String> {
    let args = dictionaries(d.get("args"));
    let defaults = d
        .get("default_args")
        .and_then(|a| a.try_to::<VarArray>().ok())
        .unwrap_or_default();
    let first_default = args.len().saturating_sub(defaults.len());
    let mut parts: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, arg)| {
            let mut text = format!("{}: {}", string(arg, "name"), type_text(arg));
            if i >= first_default
                && let Some(default) = defaults.get(i - first_default)
            {
                text.push_str(&format!(" = {}", convert::to_json(&default)));
            }
            text
        })
        .collect();
    if int(d, "flags") & METHOD_FLAG_VARARG != 0 {
        parts.push("...".into());
    }
    parts
}

/// The dictionaries in an array, typed (engine classes) or not (scripts).
fn dictionaries(array: Option<Variant>) -> Vec<VarDictionary> {
    let Some(array) = array else {
        return Vec::new();
    };
    if let Ok(typed) = array.try_to::<Array<VarDictionary>>() {
        return typed.iter_shared().collect();
    }
    array
        .try_to::<VarArray>()
        .map(|a| {
            a.iter_shared()
                .filter_map(|v| v.try_to::<VarDictionary>().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn method_text(d: &VarDictionary) -> String {
    let returns = d
        .get("return")
        .and_then(|r| r.try_to::<VarDictionary>().ok())
        .map(|r| type_text(&r))
        .unwrap_or_else(|| "void".into());
    let virtual_mark = if int(d, "flags") & METHOD_FLAG_VIRTUAL != 0 {
        "virtual "
    } else {
        ""
    };
    format!("{virtual_mark}{} -> {returns}", signature(d))
}
