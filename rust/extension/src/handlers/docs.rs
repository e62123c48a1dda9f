//! The class reference from ClassDB, in compact signature form, with the
//! class's description from the editor's documentation cache.
//!
//! ClassDB holds no prose. The editor keeps the class reference it shows in
//! its help in a cache file; that file takes a few hundred milliseconds to
//! load, so the first call loads it on a loader thread and answers a frame
//! later, and later calls read the descriptions kept from it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use godot::classes::{ClassDb, Engine, ResourceLoader};
use godot::prelude::*;
use godot_mcp_protocol::commands::docs::*;
use godot_mcp_protocol::router::Answer;
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

/// How long the first call may wait for the documentation cache.
pub(super) const DOCS_DEADLINE: Duration = Duration::from_secs(8);
/// `ResourceLoader.ThreadLoadStatus` values.
const THREAD_LOAD_IN_PROGRESS: i64 = 1;
const THREAD_LOAD_LOADED: i64 = 3;
/// Most characters of a class description an answer carries.
const DESCRIPTION_CHARS: usize = 700;

enum Docs {
    NotLoaded,
    Loading(String),
    /// Class name to its cleaned description (empty when there is no cache).
    Loaded(HashMap<String, String>),
}

thread_local! {
    static DOCS: RefCell<Docs> = const { RefCell::new(Docs::NotLoaded) };
}

pub fn get_class_info(ctx: &mut Ctx, params: GetClassInfo) -> Result<Answer<ClassInfo>, ErrorBody> {
    let mut info = class_info(ctx, params)?;
    if let Some(description) = description(&info.class) {
        info.description = description;
        return Ok(Answer::Now(info));
    }
    Ok(Answer::Later {
        poll: Box::new(move || {
            let description = description(&info.class)?;
            let mut info = info.clone();
            info.description = description;
            Some(Ok(info))
        }),
        waiting_for: "the editor's documentation cache to load",
    })
}

/// The class's description: `Some` once the docs are loaded (or known to
/// be missing), `None` while they load. Starts loading them.
fn description(class: &str) -> Option<Option<String>> {
    DOCS.with_borrow_mut(|docs| {
        if let Docs::NotLoaded = docs {
            // Without a cache yet (a first launch writes it), ask again next time.
            let Some(loading) = start_loading() else {
                return Some(None);
            };
            *docs = loading;
        }
        if let Docs::Loading(path) = docs {
            // Godot loads it on its own loader thread; these calls are
            // dynamic because the typed API leaves threaded loading out.
            let mut loader = ResourceLoader::singleton();
            let status = loader
                .call("load_threaded_get_status", &[path.to_variant()])
                .try_to::<i64>()
                .unwrap_or(-1);
            match status {
                THREAD_LOAD_IN_PROGRESS => return None,
                THREAD_LOAD_LOADED => {
                    let cache = loader
                        .call("load_threaded_get", &[path.to_variant()])
                        .try_to::<Gd<Resource>>()
                        .ok();
                    *docs = Docs::Loaded(cache.map(|c| read_cache(&c)).unwrap_or_default());
                }
                _ => *docs = Docs::Loaded(HashMap::new()),
            }
        }
        match docs {
            Docs::Loaded(map) => Some(map.get(class).filter(|d| !d.is_empty()).cloned()),
            _ => None,
        }
    })
}

/// Asks Godot to load the documentation cache; `None` when there is none.
fn start_loading() -> Option<Docs> {
    let paths = godot::classes::EditorInterface::singleton().get_editor_paths()?;
    let info = Engine::singleton().get_version_info();
    let part = |k: &str| info.get(k).map(|v| v.to_string()).unwrap_or_default();
    let path = format!(
        "{}/editor_doc_cache-{}.{}.res",
        paths.get_cache_dir(),
        part("major"),
        part("minor")
    );
    if !std::path::Path::new(&path).exists() {
        return None;
    }
    let requested = ResourceLoader::singleton()
        .call("load_threaded_request", &[path.to_variant()])
        .try_to::<i64>()
        .ok()
        == Some(0);
    Some(if requested {
        Docs::Loading(path)
    } else {
        Docs::Loaded(HashMap::new())
    })
}

/// Class descriptions from the cache resource's `classes` metadata (the
/// editor's own format: one dictionary per class).
fn read_cache(cache: &Gd<Resource>) -> HashMap<String, String> {
    let classes = cache.get_meta("classes");
    let Ok(classes) = classes.try_to::<VarArray>() else {
        return HashMap::new();
    };
    classes
        .iter_shared()
        .filter_map(|c| c.try_to::<VarDictionary>().ok())
        .map(|c| {
            let text = format!(
                "{}\n{}",
                string(&c, "brief_description"),
                string(&c, "description")
            );
            (string(&c, "name"), plain_text(&text, DESCRIPTION_CHARS))
        })
        .collect()
}

fn class_info(_: &mut Ctx, params: GetClassInfo) -> Result<ClassInfo, ErrorBody> {
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
        description: None,
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

/// The documentation's BBCode as plain text: references become their names,
/// `[code]` becomes backticks, other tags go; paragraphs join on one line,
/// cut at a sentence end within `max` characters.
fn plain_text(bbcode: &str, max: usize) -> String {
    let mut out = String::new();
    let mut rest = bbcode;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find(']') else {
            rest = &rest[open..];
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        if tag == "code" || tag == "/code" {
            out.push('`');
        } else if tag == "codeblock" || tag.starts_with("codeblock ") || tag == "codeblocks" {
            // Code samples cost more than they say here.
            let end = rest.find("[/codeblock").unwrap_or(rest.len());
            rest = &rest[end..];
        } else if let Some((_, name)) = tag.split_once(' ') {
            // `[member position]`, `[method Node.get_node]`, `[param delta]`.
            if !tag.contains('=') {
                out.push_str(name);
            }
        } else if tag.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            out.push_str(tag);
        }
    }
    out.push_str(rest);
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut text = words.join(" ");
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        // A sentence that ends right at the cut is kept whole.
        let window = text[cut..]
            .chars()
            .next()
            .map_or(cut, |c| cut + c.len_utf8());
        let sentence = text[..window].rfind(". ").map(|i| i + 1);
        text.truncate(sentence.unwrap_or(cut));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn documentation_bbcode_reads_as_plain_text() {
        let doc = "\n\t\tGeneral-purpose sprite node.\n\t\n\n\t\tA node that displays a 2D [Texture2D]. \
                   If [code]true[/code], see [member centered] and [method Node.get_node].\n\
                   [codeblock]\nvar a = 1\n[/codeblock] Done [b]now[/b].";
        assert_eq!(
            plain_text(doc, 1000),
            "General-purpose sprite node. A node that displays a 2D Texture2D. \
             If `true`, see centered and Node.get_node. Done now."
        );
        assert_eq!(plain_text("One. Two. Three.", 9), "One. Two.");
        assert_eq!(plain_text("é".repeat(10).as_str(), 5), "éé");
    }
}
