//! Animations of an `AnimationPlayer` (any `AnimationMixer`): new
//! animations, tracks and keys, each edit one undoable action.
//!
//! Keys are edited as a whole track: the new key list is built on a scratch
//! animation, and the action sets the track's `tracks/N/keys` property,
//! whose old value is the undo. That keeps every key type (value, method,
//! bezier, audio, animation) undoable the same way.

use godot::classes::animation::{LoopMode as GodotLoop, TrackType};
use godot::classes::{Animation, AnimationLibrary, AnimationMixer, Node, Resource, ResourceLoader};
use godot::obj::EngineEnum;
use godot::prelude::*;
use godot_mcp_protocol::commands::animation::*;
use godot_mcp_protocol::value::Kind;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Map, Value, json};

use super::{Ctx, find_node, relative_path, target_scene, undo::undo_action};
use crate::convert;

/// Two keys closer than this are at the same time, as Godot judges it.
const SAME_TIME: f64 = 1e-5;

struct Player {
    scene_path: String,
    node_path: String,
    mixer: Gd<AnimationMixer>,
}

fn player(scene_path: Option<&str>, node_path: &str) -> Result<Player, ErrorBody> {
    let scene = target_scene(scene_path)?;
    let node = find_node(&scene.root, node_path)?;
    let path = relative_path(&scene.root, &node);
    let mixer = node.clone().try_cast::<AnimationMixer>().map_err(|n| {
        ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("{path} is a {}, not an AnimationPlayer", n.get_class()),
        )
        .with_hint("give the path of an AnimationPlayer; add one with add_node")
    })?;
    Ok(Player {
        scene_path: scene.path,
        node_path: path,
        mixer,
    })
}

/// `lib/name` as library and animation name; the global library is `""`.
fn split(name: &str) -> (&str, &str) {
    name.split_once('/').unwrap_or(("", name))
}

fn animation(player: &Player, name: &str) -> Result<Gd<Animation>, ErrorBody> {
    if player.mixer.has_animation(name)
        && let Some(a) = player.mixer.get_animation(name)
    {
        return Ok(a);
    }
    let known: Vec<String> = player
        .mixer
        .get_animation_list()
        .as_slice()
        .iter()
        .map(|s| s.to_string())
        .collect();
    Err(ErrorBody::new(
        ErrorCode::InvalidParams,
        format!("{} has no animation {name:?}", player.node_path),
    )
    .with_hint(if known.is_empty() {
        "create one with create_animation".to_owned()
    } else {
        format!("it has: {}", known.join(", "))
    }))
}

pub fn create_animation(
    ctx: &mut Ctx,
    params: CreateAnimation,
) -> Result<AnimationInfo, ErrorBody> {
    let player = player(params.scene_path.as_deref(), &params.node_path)?;
    let (library_name, name) = split(&params.name);
    if name.is_empty() || name.contains(['/', ':', ',', '[']) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("{:?} is not a valid animation name", params.name),
        )
        .with_hint("use letters, digits and _; `lib/name` puts it in library lib"));
    }
    if !(params.length > 0.0 && params.length.is_finite()) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            "length must be a positive number of seconds",
        ));
    }
    if player.mixer.has_animation(&params.name) {
        return Err(ErrorBody::new(
            ErrorCode::AlreadyExists,
            format!(
                "{} already has an animation {:?}",
                player.node_path, params.name
            ),
        )
        .with_hint("edit it with add_animation_track and set_animation_keys"));
    }
    let mut animation = Animation::new_gd();
    animation.set_length(params.length as f32);
    let looping = params.looping.map_or(0, LoopMode::ord);
    animation.set_loop_mode(GodotLoop::from_ord(looping));
    let existing = player.mixer.get_animation_library(library_name);
    let library = existing.clone().unwrap_or_else(AnimationLibrary::new_gd);
    let mut undo = undo_action(&format!("create animation {}", params.name))?;
    if existing.is_none() {
        undo.add_do_method(
            &player.mixer,
            "add_animation_library",
            vslice![StringName::from(library_name), library.clone()],
        );
    }
    undo.add_do_method(
        &library,
        "add_animation",
        vslice![StringName::from(name), animation.clone()],
    );
    undo.add_undo_method(
        &library,
        "remove_animation",
        vslice![StringName::from(name)],
    );
    if existing.is_none() {
        undo.add_undo_method(
            &player.mixer,
            "remove_animation_library",
            vslice![StringName::from(library_name)],
        );
    }
    undo.commit(&mut ctx.journal);
    Ok(info(&player, &params.name, &animation))
}

pub fn add_animation_track(
    ctx: &mut Ctx,
    params: AddAnimationTrack,
) -> Result<AnimationInfo, ErrorBody> {
    let player = player(params.scene_path.as_deref(), &params.node_path)?;
    let animation = animation(&player, &params.animation)?;
    let path = params.track_path.trim();
    if path.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "track_path is empty")
                .with_hint("e.g. Sprite:position, or . for a method track on the root"),
        );
    }
    let kind = TrackType::from_ord(params.kind.ord());
    if animation.find_track(&NodePath::from(path), kind) >= 0 {
        return Err(ErrorBody::new(
            ErrorCode::AlreadyExists,
            format!(
                "{} already has a {:?} track {path}",
                params.animation, params.kind
            ),
        )
        .with_hint("set its keys with set_animation_keys"));
    }
    let index = animation.get_track_count();
    let mut undo = undo_action(&format!("add track {path}"))?;
    undo.add_do_method(&animation, "add_track", vslice![params.kind.ord()]);
    undo.add_do_method(
        &animation,
        "track_set_path",
        vslice![index, NodePath::from(path)],
    );
    if let Some(i) = params.interpolation {
        undo.add_do_method(
            &animation,
            "track_set_interpolation_type",
            vslice![index, i.ord()],
        );
    }
    if let Some(u) = params.update {
        if params.kind != TrackKind::Value {
            return Err(ErrorBody::new(
                ErrorCode::InvalidParams,
                "update is only for value tracks",
            ));
        }
        undo.add_do_method(
            &animation,
            "value_track_set_update_mode",
            vslice![index, u.ord()],
        );
    }
    undo.add_undo_method(&animation, "remove_track", vslice![index]);
    undo.commit(&mut ctx.journal);
    Ok(info(&player, &params.animation, &animation))
}

pub fn set_animation_keys(
    ctx: &mut Ctx,
    params: SetAnimationKeys,
) -> Result<AnimationInfo, ErrorBody> {
    let player = player(params.scene_path.as_deref(), &params.node_path)?;
    let animation = animation(&player, &params.animation)?;
    let track = find_track(&animation, &params.track_path)?;
    let kind = animation.track_get_type(track);
    let slot = format!("tracks/{track}/keys");
    let old = animation.get(&slot);
    // The new key list, built on a one-track scratch copy.
    let mut scratch = Animation::new_gd();
    scratch.add_track(kind);
    scratch.set("tracks/0/keys", &old);
    let keys = params
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| parse_key(&player, &params.track_path, kind, k).map_err(|e| at_key(i, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let span = keys.iter().fold(None, |span: Option<(f64, f64)>, k| {
        Some(span.map_or((k.time, k.time), |(a, b)| (a.min(k.time), b.max(k.time))))
    });
    for i in (0..scratch.track_get_key_count(0)).rev() {
        let t = scratch.track_get_key_time(0, i);
        let inside = span.is_some_and(|(a, b)| t >= a - SAME_TIME && t <= b + SAME_TIME);
        if params.replace_all.unwrap_or(false) || inside {
            scratch.track_remove_key(0, i);
        }
    }
    for key in keys {
        insert(&mut scratch, kind, key);
    }
    let new = scratch.get("tracks/0/keys");
    let mut undo = undo_action(&format!("set keys of {}", params.track_path))?;
    undo.add_do_property(&animation, &slot, &new);
    undo.add_undo_property(&animation, &slot, &old);
    undo.commit(&mut ctx.journal);
    Ok(info(&player, &params.animation, &animation))
}

pub fn get_animation(_: &mut Ctx, params: GetAnimation) -> Result<AnimationInfo, ErrorBody> {
    let player = player(params.scene_path.as_deref(), &params.node_path)?;
    let animation = animation(&player, &params.animation)?;
    Ok(info(&player, &params.animation, &animation))
}

fn at_key(i: usize, e: ErrorBody) -> ErrorBody {
    ErrorBody {
        message: format!("keys[{i}]: {}", e.message),
        ..e
    }
}

fn find_track(animation: &Gd<Animation>, path: &str) -> Result<i32, ErrorBody> {
    let count = animation.get_track_count();
    let paths: Vec<String> = (0..count)
        .map(|i| animation.track_get_path(i).to_string())
        .collect();
    let wanted = path.trim();
    if let Some(i) = paths.iter().position(|p| p == wanted) {
        return Ok(i as i32);
    }
    Err(ErrorBody::new(
        ErrorCode::InvalidParams,
        format!("the animation has no track {wanted:?}"),
    )
    .with_hint(if paths.is_empty() {
        "add one with add_animation_track".to_owned()
    } else {
        format!("its tracks: {}", paths.join(", "))
    }))
}

struct Key {
    time: f64,
    value: Variant,
    transition: f32,
}

fn parse_key(
    player: &Player,
    track_path: &str,
    kind: TrackType,
    key: &Map<String, Value>,
) -> Result<Key, ErrorBody> {
    let invalid = |m: &str| ErrorBody::new(ErrorCode::InvalidValue, m.to_owned());
    let time = key
        .get("time")
        .and_then(Value::as_f64)
        .filter(|t| *t >= 0.0 && t.is_finite())
        .ok_or_else(|| invalid("needs a time: seconds, 0 or more"))?;
    let transition = match key.get("transition") {
        None => 1.0,
        Some(t) => t
            .as_f64()
            .ok_or_else(|| invalid("transition must be a number"))? as f32,
    };
    let value = key.get("value").cloned().unwrap_or(Value::Null);
    let value = match kind {
        TrackType::METHOD => {
            let method = key
                .get("method")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("a method key needs a method name"))?;
            let args = match key.get("args") {
                None => VarArray::new(),
                Some(Value::Array(_)) => convert::json_to_variant(&key["args"]).to(),
                Some(_) => return Err(invalid("args must be an array")),
            };
            let mut call = VarDictionary::new();
            call.set("method", &StringName::from(method).to_variant());
            call.set("args", &args.to_variant());
            call.to_variant()
        }
        TrackType::BEZIER => value
            .as_f64()
            .ok_or_else(|| invalid("a bezier key's value is a number"))?
            .to_variant(),
        TrackType::AUDIO => {
            let path = value
                .as_str()
                .ok_or_else(|| invalid("an audio key's value is a res:// path of a stream"))?;
            let path = convert::checked_path(path, false)?;
            ResourceLoader::singleton()
                .load(&path)
                .ok_or_else(|| invalid(&format!("{path} could not be loaded")))?
                .to_variant()
        }
        TrackType::ANIMATION => StringName::from(
            value
                .as_str()
                .ok_or_else(|| invalid("an animation key's value is an animation name"))?,
        )
        .to_variant(),
        _ => property_value(player, track_path, &value)?,
    };
    Ok(Key {
        time,
        value,
        transition,
    })
}

/// Converts `value` for the property a value track animates, as edit_node
/// would; structurally when the node or property cannot be found.
fn property_value(player: &Player, track_path: &str, value: &Value) -> Result<Variant, ErrorBody> {
    let (node_part, property) = track_path.split_once(':').unwrap_or((".", track_path));
    let root_path = player.mixer.get_root_node();
    let root = player.mixer.get_node_or_null(&root_path);
    let target: Option<Gd<Node>> = root.and_then(|r| r.get_node_or_null(node_part));
    let Some(target) = target else {
        return Ok(convert::json_to_variant(value));
    };
    let object = target.upcast::<godot::classes::Object>();
    if !property.contains(':') {
        let info = convert::find_property(&object, property)?;
        return convert::to_variant(value, &info);
    }
    let current = object.get_indexed(&NodePath::from(property));
    match Kind::from_ord(current.get_type().ord() as i64).filter(|k| *k != Kind::Nil) {
        Some(kind) => convert::to_variant(value, &convert::PropertyInfo::of_kind(property, kind)),
        None => Ok(convert::json_to_variant(value)),
    }
}

fn insert(scratch: &mut Gd<Animation>, kind: TrackType, key: Key) {
    match kind {
        TrackType::BEZIER => {
            scratch.bezier_track_insert_key(0, key.time, key.value.to::<f64>() as f32);
        }
        TrackType::AUDIO => {
            scratch.audio_track_insert_key(
                0,
                key.time,
                key.value.try_to::<Gd<Resource>>().ok().as_ref(),
            );
        }
        TrackType::ANIMATION => {
            scratch.animation_track_insert_key(0, key.time, &key.value.to::<StringName>());
        }
        _ => {
            scratch
                .track_insert_key_ex(0, key.time, &key.value)
                .transition(key.transition)
                .done();
        }
    }
}

fn track_kind_name(kind: TrackType) -> String {
    match TrackKind::from_ord(kind.ord() as i64) {
        Some(k) => serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        None => match kind {
            TrackType::POSITION_3D => "position_3d".into(),
            TrackType::ROTATION_3D => "rotation_3d".into(),
            TrackType::SCALE_3D => "scale_3d".into(),
            TrackType::BLEND_SHAPE => "blend_shape".into(),
            _ => format!("{}", kind.ord()),
        },
    }
}

fn info(player: &Player, name: &str, animation: &Gd<Animation>) -> AnimationInfo {
    let tracks = (0..animation.get_track_count())
        .map(|t| {
            let kind = animation.track_get_type(t);
            let keys = (0..animation.track_get_key_count(t))
                .map(|k| key_json(animation, t, k, kind))
                .collect();
            let interpolation = animation.track_get_interpolation_type(t).ord();
            TrackInfo {
                path: animation.track_get_path(t).to_string(),
                kind: track_kind_name(kind),
                interpolation: Interpolation::ALL.get(interpolation as usize).copied(),
                update: (kind == TrackType::VALUE)
                    .then(|| animation.value_track_get_update_mode(t).ord())
                    .and_then(|u| UpdateMode::ALL.get(u as usize).copied()),
                keys,
            }
        })
        .collect();
    AnimationInfo {
        scene_path: player.scene_path.clone(),
        node_path: player.node_path.clone(),
        animation: name.to_owned(),
        length: f64::from(animation.get_length()),
        looping: LoopMode::name(i64::from(animation.get_loop_mode().ord())).to_owned(),
        tracks,
    }
}

fn key_json(animation: &Gd<Animation>, t: i32, k: i32, kind: TrackType) -> Value {
    let time = animation.track_get_key_time(t, k);
    match kind {
        TrackType::METHOD => json!({
            "time": time,
            "method": animation.method_track_get_name(t, k).to_string(),
            "args": convert::to_json(&animation.method_track_get_params(t, k).to_variant()),
        }),
        TrackType::BEZIER => json!({
            "time": time,
            "value": animation.bezier_track_get_key_value(t, k),
        }),
        _ => {
            let mut key = json!({
                "time": time,
                "value": convert::to_json(&animation.track_get_key_value(t, k)),
            });
            let transition = animation.track_get_key_transition(t, k);
            if kind == TrackType::VALUE && (transition - 1.0).abs() > f32::EPSILON {
                key["transition"] = json!(transition);
            }
            key
        }
    }
}
