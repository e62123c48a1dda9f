//! Property values between JSON and Godot `Variant`s.
//!
//! The decision of what a JSON value means for a property's type is made by
//! the engine-free [`godot_mcp_protocol::value::plan`]; this module only
//! carries the plan out with engine calls, and reads values back in the
//! same forms so that what `get_scene_tree` reports can be sent back as is.

use godot::classes::{ClassDb, Object, Resource, ResourceLoader, ResourceUid};
use godot::global::{str_to_var, var_to_str};
use godot::obj::EngineEnum;
use godot::prelude::*;
use godot::register::info::{PropertyHint, PropertyUsageFlags};
use godot_mcp_protocol::value::{self, Hint, Kind, Plan};
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};
use serde_json::{Map, Number, Value};

/// What an object declares about one of its properties.
pub struct PropertyInfo {
    pub name: String,
    pub kind: Kind,
    hint: i32,
    hint_string: String,
    pub usage: u64,
}

impl PropertyInfo {
    /// A property known only by its type, such as a sub-property
    /// (`position:x`) or a method argument.
    pub fn of_kind(name: &str, kind: Kind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            hint: 0,
            hint_string: String::new(),
            usage: 0,
        }
    }

    /// An Object property holding a resource of `class`.
    pub fn resource(name: &str, class: &str) -> Self {
        Self {
            hint: PropertyHint::RESOURCE_TYPE.ord(),
            hint_string: class.to_owned(),
            ..Self::of_kind(name, Kind::Object)
        }
    }

    fn hint(&self) -> Hint<'_> {
        match self.hint {
            h if h == PropertyHint::ENUM.ord() => Hint::Enum(&self.hint_string),
            h if h == PropertyHint::FLAGS.ord() => Hint::Flags(&self.hint_string),
            h if h == PropertyHint::RESOURCE_TYPE.ord() => Hint::Resource(&self.hint_string),
            _ => Hint::None,
        }
    }

    /// Whether the property is a String holding a file or folder path.
    fn holds_path(&self) -> bool {
        self.kind == Kind::String
            && [
                PropertyHint::FILE,
                PropertyHint::DIR,
                PropertyHint::GLOBAL_FILE,
                PropertyHint::GLOBAL_DIR,
                PropertyHint::SAVE_FILE,
                PropertyHint::GLOBAL_SAVE_FILE,
                PropertyHint::FILE_PATH,
            ]
            .iter()
            .any(|h| h.ord() == self.hint)
    }

    /// The type as Godot names it; a resource property names its classes.
    pub fn type_name(&self) -> String {
        match self.hint() {
            Hint::Resource(classes) => classes.to_owned(),
            _ => self.kind.name().to_owned(),
        }
    }

    /// Shown in the inspector.
    pub fn is_shown(&self) -> bool {
        self.usage & PropertyUsageFlags::EDITOR.ord() != 0
    }

    /// Saved with the scene or resource (when it differs from its default).
    pub fn is_stored(&self) -> bool {
        self.usage & PropertyUsageFlags::STORAGE.ord() != 0
    }
}

/// Every property the object declares.
pub fn properties(object: &Gd<Object>) -> Vec<PropertyInfo> {
    object
        .get_property_list()
        .iter_shared()
        .filter_map(|d| {
            let name = d.get("name")?.try_to::<GString>().ok()?.to_string();
            let kind = Kind::from_ord(d.get("type")?.try_to::<i64>().ok()?)?;
            Some(PropertyInfo {
                name,
                kind,
                hint: d
                    .get("hint")
                    .and_then(|v| v.try_to::<i32>().ok())
                    .unwrap_or(0),
                hint_string: d
                    .get("hint_string")
                    .and_then(|v| v.try_to::<GString>().ok())
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                usage: d
                    .get("usage")
                    .and_then(|v| v.try_to::<i64>().ok())
                    .unwrap_or(0) as u64,
            })
        })
        .collect()
}

/// Finds a property by name, with an error that lists near matches.
pub fn find_property(object: &Gd<Object>, name: &str) -> Result<PropertyInfo, ErrorBody> {
    let mut all = properties(object);
    if let Some(i) = all.iter().position(|p| p.name == name) {
        return Ok(all.swap_remove(i));
    }
    let visible: Vec<&str> = all
        .iter()
        .filter(|p| p.is_shown())
        .map(|p| p.name.as_str())
        .collect();
    let near = godot_mcp_protocol::suggest::closest(name, visible, 6);
    let hint = if near.is_empty() {
        "see get_scene_tree with include_properties, or the class reference".to_owned()
    } else {
        format!("did you mean: {}", near.join(", "))
    };
    Err(ErrorBody::new(
        ErrorCode::PropertyNotFound,
        format!("{} has no property {name:?}", object.get_class()),
    )
    .with_hint(hint))
}

/// Builds the value to assign to `property` from its JSON form.
pub fn to_variant(value: &Value, property: &PropertyInfo) -> Result<Variant, ErrorBody> {
    let invalid = |e: value::ValueError| {
        ErrorBody::new(
            ErrorCode::InvalidValue,
            format!(
                "property {:?} expects {}, got {}",
                property.name, e.expected, e.got
            ),
        )
        .with_hint(format!("give {}", e.forms))
    };
    let plan = value::plan(value, property.kind, &property.hint()).map_err(invalid)?;
    let mismatch = |what: &str| {
        ErrorBody::new(
            ErrorCode::InvalidValue,
            format!(
                "property {:?} expects {}, got {value} ({what})",
                property.name,
                property.kind.name()
            ),
        )
        .with_hint(format!("give {}", value::forms(property.kind)))
    };
    Ok(match plan {
        Plan::Null => Variant::nil(),
        Plan::Bool(b) => b.to_variant(),
        Plan::Int(i) => i.to_variant(),
        Plan::Float(f) => f.to_variant(),
        Plan::Str(s) if property.holds_path() && !s.trim().is_empty() => {
            let path = checked_path(&s, true).map_err(|e| in_property(&property.name, e))?;
            GString::from(&path).to_variant()
        }
        Plan::Str(s) => match property.kind {
            Kind::StringName => StringName::from(&s).to_variant(),
            Kind::NodePath => NodePath::from(&s).to_variant(),
            _ => GString::from(&s).to_variant(),
        },
        Plan::Text(text) => {
            let parsed = str_to_var(&text);
            if Kind::from_ord(parsed.get_type().ord() as i64) != Some(property.kind) {
                return Err(mismatch("not valid Godot syntax for that type"));
            }
            parsed
        }
        Plan::ColorHtml(s) => Color::from_html(&s)
            .or_else(|| Color::from_string(&s))
            .ok_or_else(|| mismatch("not a colour code or name"))?
            .to_variant(),
        Plan::Resource(path) => {
            let path = checked_path(&path, false).map_err(|e| in_property(&property.name, e))?;
            load_resource(&path, &property.hint_string)
                .map_err(|why| mismatch(&why))?
                .to_variant()
        }
        Plan::NewResource { class, properties } => {
            let accepted = match property.hint() {
                Hint::Resource(classes) => classes,
                _ => "",
            };
            new_resource(&class, accepted, &properties)?.to_variant()
        }
        Plan::Json(json) => json_to_variant(&json),
    })
}

/// A path inside a value, held to the rules of path parameters before
/// anything is loaded or stored: a `uid://` is resolved first; a `res://`
/// path is normalized and may not leave the project (`..`, links out);
/// `user://` is taken only where `user` allows it. Returns the path to use.
pub fn checked_path(input: &str, user: bool) -> Result<String, ErrorBody> {
    let trimmed = input.trim();
    let resolved = if trimmed.starts_with("uid://") {
        let path = ResourceUid::uid_to_path(trimmed).to_string();
        if path.is_empty() || path.starts_with("uid://") {
            return Err(ErrorBody::new(
                ErrorCode::InvalidPath,
                format!("no project file has the uid {trimmed}"),
            )
            .with_hint("give the file's res:// path"));
        }
        path
    } else {
        trimmed.to_owned()
    };
    if user && resolved.starts_with("user://") {
        return paths::normalize_user(&resolved);
    }
    let path = paths::normalize(&resolved)?;
    paths::to_fs(&crate::handlers::project_root(), &path)?;
    Ok(path)
}

/// Names the property a refused path was given for.
fn in_property(name: &str, e: ErrorBody) -> ErrorBody {
    ErrorBody {
        message: format!("property {name:?}: {}", e.message),
        ..e
    }
}

fn load_resource(path: &str, accepted: &str) -> Result<Gd<Resource>, String> {
    let mut loader = ResourceLoader::singleton();
    if !loader.exists(path) {
        return Err(format!("no resource at {path}"));
    }
    let resource = loader
        .load(path)
        .ok_or_else(|| format!("{path} could not be loaded"))?;
    let classes: Vec<&str> = accepted
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if !classes.is_empty() && !classes.iter().any(|c| resource.is_class(*c)) {
        return Err(format!(
            "{path} is a {}, not a {accepted}",
            resource.get_class()
        ));
    }
    Ok(resource)
}

/// Instantiates a Resource class, one of `accepted` (comma-separated; any
/// when empty), and sets its properties from their JSON forms.
pub fn new_resource(
    class: &str,
    accepted: &str,
    properties: &Map<String, Value>,
) -> Result<Gd<Resource>, ErrorBody> {
    let db = ClassDb::singleton();
    if !db.class_exists(class) {
        return Err(unknown_class(class, "Resource"));
    }
    let wrong = |why: String| {
        ErrorBody::new(ErrorCode::InvalidResourceType, format!("{class} {why}"))
            .with_hint("search_classes with base Resource lists the resource classes")
    };
    if !db.is_parent_class(class, "Resource") {
        return Err(wrong("is not a Resource class".into()));
    }
    if !db.can_instantiate(class) {
        return Err(wrong("is abstract".into()));
    }
    let fits = accepted
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>();
    if !fits.is_empty() && !fits.iter().any(|c| db.is_parent_class(class, *c)) {
        return Err(wrong(format!("does not fit here; expected a {accepted}")));
    }
    let mut resource = db
        .instantiate(class)
        .try_to::<Gd<Resource>>()
        .map_err(|_| wrong("could not be instantiated".into()))?;
    for (name, value) in to_variants(&resource.clone().upcast(), properties)? {
        resource.set(name.as_str(), &value);
    }
    Ok(resource)
}

/// Converts each JSON value for `object`'s property of that name, failing
/// on the first that does not fit, before anything is set.
pub fn to_variants(
    object: &Gd<Object>,
    properties: &Map<String, Value>,
) -> Result<Vec<(String, Variant)>, ErrorBody> {
    properties
        .iter()
        .map(|(name, value)| {
            let info = find_property(object, name)?;
            Ok((name.clone(), to_variant(value, &info)?))
        })
        .collect()
}

/// The error for a class ClassDB does not know, with near names of `base`'s
/// subclasses.
pub fn unknown_class(class: &str, base: &str) -> ErrorBody {
    let near = near_classes(class, base);
    let hint = if near.is_empty() {
        "search_classes finds classes by part of their name".to_owned()
    } else {
        format!("did you mean: {}", near.join(", "))
    };
    ErrorBody::new(
        ErrorCode::UnknownClass,
        format!("{class:?} is not a Godot class"),
    )
    .with_hint(hint)
}

/// Instantiable subclasses of `base` whose names are close to `class`.
pub fn near_classes(class: &str, base: &str) -> Vec<String> {
    let db = ClassDb::singleton();
    let names: Vec<String> = db
        .get_inheriters_from_class(base)
        .to_vec()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| db.can_instantiate(c.as_str()))
        .collect();
    godot_mcp_protocol::suggest::closest(class, names.iter().map(String::as_str), 6)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The properties a resource saver writes for `resource`: stored ones
/// unlike the class default (an empty object only when it must be kept).
pub fn saved_resource_properties(resource: &Gd<Object>) -> Map<String, Value> {
    let class = resource.get_class().to_string();
    properties(resource)
        .into_iter()
        .filter(|p| p.is_stored() && p.name != "script")
        .filter_map(|p| {
            let value = resource.get(&p.name);
            let default = class_default(&class, &p.name);
            let unchanged = !default.is_nil() && value == default;
            let store_if_null = p.usage & PropertyUsageFlags::STORE_IF_NULL.ord() != 0;
            let empty = p.kind == Kind::Object && !value.booleanize() && !store_if_null;
            (!unchanged && !empty).then(|| (p.name, to_json(&value)))
        })
        .collect()
}

/// Structural conversion for untyped, Array and Dictionary values. Strings in
/// a math type's constructor syntax become that type.
pub fn json_to_variant(json: &Value) -> Variant {
    match json {
        Value::Null => Variant::nil(),
        Value::Bool(b) => b.to_variant(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_variant(),
            None => n.as_f64().unwrap_or_default().to_variant(),
        },
        Value::String(s) => constructor_value(s).unwrap_or_else(|| GString::from(s).to_variant()),
        Value::Array(items) => {
            let mut array = VarArray::new();
            for item in items {
                array.push(&json_to_variant(item));
            }
            array.to_variant()
        }
        Value::Object(map) => {
            let mut dict = VarDictionary::new();
            for (k, v) in map {
                dict.set(&GString::from(k).to_variant(), &json_to_variant(v));
            }
            dict.to_variant()
        }
    }
}

fn constructor_value(s: &str) -> Option<Variant> {
    let name = s.split('(').next()?.trim();
    let kind = (5..=38)
        .filter_map(Kind::from_ord)
        .find(|k| k.name() == name)?;
    match value::plan(&Value::String(s.to_owned()), kind, &Hint::None) {
        Ok(Plan::Text(text)) => {
            let v = str_to_var(&text);
            (v.get_type().ord() as i64 == kind as i64).then_some(v)
        }
        _ => None,
    }
}

/// Reads a value back in the forms [`to_variant`] accepts.
pub fn to_json(v: &Variant) -> Value {
    match Kind::from_ord(v.get_type().ord() as i64) {
        Some(Kind::Nil) | None => Value::Null,
        Some(Kind::Bool) => Value::Bool(v.to::<bool>()),
        Some(Kind::Int) => Value::from(v.to::<i64>()),
        Some(Kind::Float) => {
            let f = v.to::<f64>();
            Number::from_f64(f)
                .map_or_else(|| Value::String(var_to_str(v).to_string()), Value::Number)
        }
        Some(Kind::String | Kind::StringName | Kind::NodePath) => {
            Value::String(v.stringify().to_string())
        }
        Some(Kind::Object) => object_json(v),
        Some(Kind::Array) => match v.try_to::<VarArray>() {
            Ok(a) => Value::Array(a.iter_shared().map(|x| to_json(&x)).collect()),
            Err(_) => Value::String(var_to_str(v).to_string()),
        },
        Some(Kind::Dictionary) => match v.try_to::<VarDictionary>() {
            Ok(d) => Value::Object(
                d.iter_shared()
                    .map(|(k, x)| (k.stringify().to_string(), to_json(&x)))
                    .collect::<Map<_, _>>(),
            ),
            Err(_) => Value::String(var_to_str(v).to_string()),
        },
        Some(_) => Value::String(var_to_str(v).to_string()),
    }
}

/// [`to_json`] with long collections cut short at `shown` items, at every
/// depth, each with its full count (see `commands::debug::capped`).
pub fn to_json_capped(v: &Variant, shown: usize) -> Value {
    let ty = v.get_type();
    if ty == VariantType::DICTIONARY
        && let Ok(d) = v.try_to::<VarDictionary>()
    {
        let items: Map<String, Value> = d
            .iter_shared()
            .take(shown)
            .map(|(k, x)| (k.stringify().to_string(), to_json_capped(&x, shown)))
            .collect();
        return cut(Value::Object(items), d.len(), shown);
    }
    if ty == VariantType::ARRAY
        && let Ok(a) = v.try_to::<VarArray>()
    {
        let items: Vec<Value> = a
            .iter_shared()
            .take(shown)
            .map(|x| to_json_capped(&x, shown))
            .collect();
        return cut(Value::Array(items), a.len(), shown);
    }
    to_json(v)
}

fn cut(first: Value, count: usize, shown: usize) -> Value {
    if count > shown {
        godot_mcp_protocol::commands::debug::capped(first, count)
    } else {
        first
    }
}

fn object_json(v: &Variant) -> Value {
    let Ok(object) = v.try_to::<Gd<Object>>() else {
        return Value::Null;
    };
    if let Ok(resource) = object.clone().try_cast::<Resource>() {
        let path = resource.get_path().to_string();
        // Built-in sub-resources have paths like `res://a.tscn::Shape_1`.
        if !path.is_empty() && !path.contains("::") {
            return Value::String(path);
        }
    }
    // A built-in resource reads back as the form that creates it anew.
    let mut map = if object.is_class("Resource") {
        saved_resource_properties(&object)
    } else {
        Map::new()
    };
    map.insert("type".into(), Value::String(object.get_class().to_string()));
    Value::Object(map)
}

/// The class default of a property, when ClassDB knows it.
pub fn class_default(class: &str, property: &str) -> Variant {
    ClassDb::singleton().class_get_property_default_value(class, property)
}
