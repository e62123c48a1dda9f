//! Project settings, input actions, autoloads and the main scene.
//!
//! These are not scene edits: each change goes through the editor's global
//! (project) history as `ProjectSettings.set_setting` calls followed by
//! `save()`, so undoing it also restores project.godot.

use godot::classes::{
    EditorPlugin, InputEvent, InputEventJoypadButton, InputEventJoypadMotion, InputEventKey,
    InputEventMouseButton, Os, ProjectSettings, ResourceUid,
};
use godot::global::{JoyAxis, JoyButton, Key, MouseButton};
use godot::obj::EngineEnum;
use godot::prelude::*;
use godot_mcp_protocol::commands::project::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths, suggest};
use serde_json::Value;

use super::undo::{Journal, undo_action};
use super::{Ctx, fs_path, scene_file};
use crate::convert;

const MAIN_SCENE: &str = "application/run/main_scene";

pub fn get_project_setting(
    _: &mut Ctx,
    params: GetProjectSetting,
) -> Result<ProjectSetting, ErrorBody> {
    let settings = ProjectSettings::singleton();
    if !settings.has_setting(&params.name) {
        return Err(setting_not_found(
            "project setting",
            &params.name,
            &setting_names(""),
        ));
    }
    Ok(ProjectSetting {
        value: convert::to_json(&settings.get_setting(&params.name)),
        name: params.name,
        previous: None,
    })
}

pub fn set_project_setting(
    ctx: &mut Ctx,
    params: SetProjectSetting,
) -> Result<ProjectSetting, ErrorBody> {
    let settings = ProjectSettings::singleton();
    let name = params.name.trim();
    if name.is_empty() || !name.contains('/') {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("invalid setting name {name:?}"),
        )
        .with_hint("settings are named section/key, e.g. application/config/name"));
    }
    // An autoload is loaded at once: the same checks as add_autoload.
    if let Some(autoload) = name.strip_prefix("autoload/")
        && !params.value.is_null()
    {
        let (path, singleton) = match params.value.as_str() {
            Some(v) => match v.trim().strip_prefix('*') {
                Some(path) => (path, true),
                None => (v, false),
            },
            None => {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidValue,
                    format!("{name} takes a path, got {}", params.value),
                )
                .with_hint("give \"*res://path.gd\" for a singleton, or use add_autoload"));
            }
        };
        let previous = put_autoload(&mut ctx.journal, autoload, path, singleton, true)?;
        return Ok(ProjectSetting {
            name: name.to_owned(),
            value: current(name),
            previous: Some(previous),
        });
    }
    let exists = settings.has_setting(name);
    let value = if params.value.is_null() {
        Variant::nil()
    } else if exists {
        let info = convert::find_property(&settings.clone().upcast(), name)?;
        match params.value.as_str() {
            // A setting that holds a path (a log file, say) keeps to the path rules.
            Some(path) if holds_path(name) && !path.trim().is_empty() => {
                GString::from(&convert::checked_path(path, true)?).to_variant()
            }
            _ => convert::to_variant(&params.value, &info)?,
        }
    } else {
        convert::json_to_variant(&params.value)
    };
    let previous = change(&mut ctx.journal, &format!("set {name}"), name, value)?;
    Ok(ProjectSetting {
        name: name.to_owned(),
        value: current(name),
        previous: Some(previous),
    })
}

pub fn set_main_scene(ctx: &mut Ctx, params: SetMainScene) -> Result<ProjectSetting, ErrorBody> {
    let path = scene_file(&params.scene_path)?;
    let previous = change(
        &mut ctx.journal,
        "set main scene",
        MAIN_SCENE,
        GString::from(&path).to_variant(),
    )?;
    Ok(ProjectSetting {
        name: MAIN_SCENE.into(),
        value: current(MAIN_SCENE),
        previous: Some(previous),
    })
}

pub fn list_input_actions(
    _: &mut Ctx,
    params: ListInputActions,
) -> Result<InputActions, ErrorBody> {
    let actions = setting_names("input/")
        .into_iter()
        .filter_map(|key| key.strip_prefix("input/").map(str::to_owned))
        .filter(|name| params.include_builtin || !name.starts_with("ui_"))
        .map(|name| read_action(&name))
        .collect();
    Ok(InputActions { actions })
}

pub fn add_input_action(ctx: &mut Ctx, params: AddInputAction) -> Result<InputAction, ErrorBody> {
    let name = params.name.trim();
    if name.is_empty() || name.contains(['/', ':', '"', '=', ' ']) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("invalid action name {name:?}"),
        )
        .with_hint("use a name like jump or move_left"));
    }
    let key = format!("input/{name}");
    if ProjectSettings::singleton().has_setting(&key) {
        return Err(ErrorBody::new(
            ErrorCode::AlreadyExists,
            format!("the input action {name:?} already exists"),
        )
        .with_hint("remove_input_action it first to redefine it"));
    }
    let mut events = VarArray::new();
    for spec in &params.events {
        events.push(&input_event(spec)?.to_variant());
    }
    let mut action = VarDictionary::new();
    action.set("deadzone", params.deadzone);
    action.set("events", &events);
    change(
        &mut ctx.journal,
        &format!("add input action {name}"),
        &key,
        action.to_variant(),
    )?;
    Ok(read_action(name))
}

pub fn remove_input_action(
    ctx: &mut Ctx,
    params: RemoveInputAction,
) -> Result<InputAction, ErrorBody> {
    let key = existing("input", &params.name)?;
    let removed = read_action(&params.name);
    change(
        &mut ctx.journal,
        &format!("remove input action {}", params.name),
        &key,
        Variant::nil(),
    )?;
    Ok(removed)
}

pub fn list_autoloads(_: &mut Ctx, _: ListAutoloads) -> Result<Autoloads, ErrorBody> {
    Ok(Autoloads {
        autoloads: setting_names("autoload/")
            .iter()
            .filter_map(|k| k.strip_prefix("autoload/"))
            .map(read_autoload)
            .collect(),
    })
}

pub fn add_autoload(ctx: &mut Ctx, params: AddAutoload) -> Result<Autoload, ErrorBody> {
    let name = params.name.trim();
    put_autoload(
        &mut ctx.journal,
        name,
        &params.path,
        params.singleton,
        false,
    )?;
    Ok(read_autoload(name))
}

/// Checks an autoload's name and file, then sets it (replacing one of that
/// name only when `replace`); returns the setting's previous value.
fn put_autoload(
    journal: &mut Journal,
    name: &str,
    path: &str,
    singleton: bool,
    replace: bool,
) -> Result<Value, ErrorBody> {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !identifier || godot::classes::ClassDb::singleton().class_exists(name) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("{name:?} cannot be an autoload name"),
        )
        .with_hint("use an identifier that is not a Godot class name, e.g. Game or Events"));
    }
    let key = format!("autoload/{name}");
    if !replace && ProjectSettings::singleton().has_setting(&key) {
        return Err(ErrorBody::new(
            ErrorCode::AlreadyExists,
            format!("the autoload {name:?} already exists"),
        )
        .with_hint("remove_autoload it first, or pick another name"));
    }
    let path = paths::normalize_file(path, &["gd", "tscn", "scn"])?;
    if !fs_path(&path)?.is_file() {
        return Err(
            ErrorBody::new(ErrorCode::FileNotFound, format!("no file at {path}"))
                .with_hint("write the script with write_script first"),
        );
    }
    let value = if singleton { format!("*{path}") } else { path };
    change_with(
        journal,
        &format!("add autoload {name}"),
        &key,
        GString::from(&value).to_variant(),
        // The editor's own autoload list makes the singleton known to
        // scripts in the editor (validate_script) right away.
        |plugin| {
            if singleton {
                plugin.add_autoload_singleton(name, value.trim_start_matches('*'));
            }
        },
    )
}

pub fn remove_autoload(ctx: &mut Ctx, params: RemoveAutoload) -> Result<Autoload, ErrorBody> {
    let key = existing("autoload", &params.name)?;
    let removed = read_autoload(&params.name);
    change_with(
        &mut ctx.journal,
        &format!("remove autoload {}", params.name),
        &key,
        Variant::nil(),
        |plugin| plugin.remove_autoload_singleton(&params.name),
    )?;
    Ok(removed)
}

/// The setting key of an existing input action (`input`) or autoload.
fn existing(section: &str, name: &str) -> Result<String, ErrorBody> {
    let prefix = format!("{section}/");
    let key = format!("{prefix}{name}");
    if ProjectSettings::singleton().has_setting(&key) {
        return Ok(key);
    }
    let known: Vec<String> = setting_names(&prefix)
        .iter()
        .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
        .collect();
    let what = if section == "input" {
        "input action"
    } else {
        section
    };
    Err(setting_not_found(what, name, &known))
}

/// Sets a setting (nil removes it) and saves project.godot, as one undo
/// step. Returns the previous value.
fn change(
    journal: &mut Journal,
    label: &str,
    name: &str,
    value: Variant,
) -> Result<Value, ErrorBody> {
    change_with(journal, label, name, value, |_| {})
}

/// [`change`], with what `also` adds through an editor plugin's API joining
/// the same undo step (the editor nests its actions in the open one).
fn change_with(
    journal: &mut Journal,
    label: &str,
    name: &str,
    value: Variant,
    also: impl FnOnce(&mut Gd<EditorPlugin>),
) -> Result<Value, ErrorBody> {
    let settings = ProjectSettings::singleton();
    let previous = if settings.has_setting(name) {
        settings.get_setting(name)
    } else {
        Variant::nil()
    };
    let previous_json = convert::to_json(&previous);
    let mut undo = undo_action(label)?;
    undo.add_do_method(
        &settings,
        "set_setting",
        vslice![GString::from(name), value],
    );
    undo.add_undo_method(
        &settings,
        "set_setting",
        vslice![GString::from(name), previous],
    );
    undo.open_while(|| {
        let mut plugin = EditorPlugin::new_alloc();
        also(&mut plugin);
        plugin.free();
    });
    undo.add_do_method(&settings, "save", &[]);
    undo.add_undo_method(&settings, "save", &[]);
    undo.commit(journal);
    Ok(previous_json)
}

/// Whether a String setting holds a path: its value or default is one.
fn holds_path(name: &str) -> bool {
    let settings = ProjectSettings::singleton();
    [
        settings.get_setting(name),
        settings.property_get_revert(name),
    ]
    .iter()
    .filter_map(|v| v.try_to::<GString>().ok())
    .any(|s| {
        let s = s.to_string();
        ["res://", "user://", "uid://"]
            .iter()
            .any(|scheme| s.trim_start_matches('*').starts_with(scheme))
    })
}

fn current(name: &str) -> Value {
    let settings = ProjectSettings::singleton();
    if settings.has_setting(name) {
        convert::to_json(&settings.get_setting(name))
    } else {
        Value::Null
    }
}

/// Names of all settings starting with `prefix`.
fn setting_names(prefix: &str) -> Vec<String> {
    ProjectSettings::singleton()
        .get_property_list()
        .iter_shared()
        .filter_map(|d| d.get("name").map(|n| n.to_string()))
        .filter(|n| n.starts_with(prefix) && n.contains('/'))
        .collect()
}

fn setting_not_found(what: &str, name: &str, known: &[String]) -> ErrorBody {
    let near = suggest::closest(name, known.iter().map(String::as_str), 6);
    ErrorBody::new(ErrorCode::SettingNotFound, format!("no {what} {name:?}")).with_hint(
        if near.is_empty() {
            format!("check the {what} name")
        } else {
            format!("did you mean: {}", near.join(", "))
        },
    )
}

fn read_autoload(name: &str) -> Autoload {
    let value = ProjectSettings::singleton()
        .get_setting(&format!("autoload/{name}"))
        .to_string();
    let singleton = value.starts_with('*');
    let path = value.trim_start_matches('*');
    // The editor stores autoloads it adds by uid.
    let path = if path.starts_with("uid://") {
        ResourceUid::uid_to_path(path).to_string()
    } else {
        path.to_owned()
    };
    Autoload {
        name: name.to_owned(),
        path,
        singleton,
    }
}

fn read_action(name: &str) -> InputAction {
    let action = ProjectSettings::singleton()
        .get_setting(&format!("input/{name}"))
        .try_to::<VarDictionary>()
        .unwrap_or_default();
    let deadzone = action
        .get("deadzone")
        .and_then(|d| d.try_to::<f64>().ok())
        .unwrap_or(0.5);
    let events = action
        .get("events")
        .and_then(|e| e.try_to::<VarArray>().ok())
        .map(|events| {
            events
                .iter_shared()
                .filter_map(|e| e.try_to::<Gd<InputEvent>>().ok())
                .filter_map(|e| event_spec(&e))
                .collect()
        })
        .unwrap_or_default();
    InputAction {
        name: name.to_owned(),
        deadzone,
        events,
    }
}

/// Builds an input event the way the editor's Input Map does (all devices).
fn input_event(spec: &InputEventSpec) -> Result<Gd<InputEvent>, ErrorBody> {
    let invalid = |why: String| {
        ErrorBody::new(ErrorCode::InvalidValue, why)
            .with_hint("give one of {\"key\": \"Space\"}, {\"mouse_button\": 1}, {\"joypad_button\": 0}, {\"joypad_axis\": 0, \"axis_value\": -1}")
    };
    let given = [
        spec.key.is_some(),
        spec.mouse_button.is_some(),
        spec.joypad_button.is_some(),
        spec.joypad_axis.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid(
            "an event needs exactly one of key, mouse_button, joypad_button, joypad_axis".into(),
        ));
    }
    let ord = |n: i64| i32::try_from(n).unwrap_or(-1);
    let mut event: Gd<InputEvent> = if let Some(key) = &spec.key {
        let code = Os::singleton().find_keycode_from_string(key).ord();
        const CODE_MASK: i32 = (1 << 23) - 1;
        if code & CODE_MASK == 0 {
            return Err(invalid(format!("{key:?} is not a key name")));
        }
        let mut e = InputEventKey::new_gd();
        e.set_physical_keycode(Key::from_ord(code & CODE_MASK));
        e.set_shift_pressed(code & (1 << 25) != 0);
        e.set_alt_pressed(code & (1 << 26) != 0);
        e.set_meta_pressed(code & (1 << 27) != 0);
        e.set_ctrl_pressed(code & (1 << 28) != 0);
        e.upcast()
    } else if let Some(button) = spec.mouse_button {
        let mut e = InputEventMouseButton::new_gd();
        e.set_button_index(
            MouseButton::try_from_ord(ord(button))
                .filter(|b| b.ord() > 0)
                .ok_or_else(|| invalid(format!("{button} is not a mouse button (1-9)")))?,
        );
        e.upcast()
    } else if let Some(button) = spec.joypad_button {
        let mut e = InputEventJoypadButton::new_gd();
        e.set_button_index(
            JoyButton::try_from_ord(ord(button))
                .filter(|b| b.ord() >= 0)
                .ok_or_else(|| invalid(format!("{button} is not a joypad button")))?,
        );
        e.upcast()
    } else {
        let axis = spec.joypad_axis.unwrap_or_default();
        let mut e = InputEventJoypadMotion::new_gd();
        e.set_axis(
            JoyAxis::try_from_ord(ord(axis))
                .filter(|a| a.ord() >= 0)
                .ok_or_else(|| invalid(format!("{axis} is not a joypad axis")))?,
        );
        e.set_axis_value(spec.axis_value.unwrap_or(1.0) as f32);
        e.upcast()
    };
    event.set_device(-1);
    Ok(event)
}

/// Reads an input event back in the form [`input_event`] takes.
fn event_spec(event: &Gd<InputEvent>) -> Option<InputEventSpec> {
    if let Ok(key) = event.clone().try_cast::<InputEventKey>() {
        let code = if key.get_physical_keycode().ord() != 0 {
            key.get_physical_keycode_with_modifiers()
        } else {
            key.get_keycode_with_modifiers()
        };
        return Some(InputEventSpec {
            key: Some(Os::singleton().get_keycode_string(code).to_string()),
            ..Default::default()
        });
    }
    if let Ok(mouse) = event.clone().try_cast::<InputEventMouseButton>() {
        return Some(InputEventSpec {
            mouse_button: Some(mouse.get_button_index().ord().into()),
            ..Default::default()
        });
    }
    if let Ok(button) = event.clone().try_cast::<InputEventJoypadButton>() {
        return Some(InputEventSpec {
            joypad_button: Some(button.get_button_index().ord().into()),
            ..Default::default()
        });
    }
    let motion = event.clone().try_cast::<InputEventJoypadMotion>().ok()?;
    Some(InputEventSpec {
        joypad_axis: Some(motion.get_axis().ord().into()),
        axis_value: Some(motion.get_axis_value().into()),
        ..Default::default()
    })
}
