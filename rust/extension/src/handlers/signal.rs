//! Signals and their connections, made the way the editor's Node dock makes
//! them: persistent, so they are saved with the scene.

use godot::classes::Node;
use godot::classes::object::ConnectFlags;
use godot::obj::EngineBitfield;
use godot::prelude::*;
use godot_mcp_protocol::commands::signal::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, suggest};

use super::{Ctx, Scene, find_node, relative_path, target_scene, undo::undo_action};

pub fn list_signals(_: &mut Ctx, params: ListSignals) -> Result<SignalList, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let node = find_node(&scene.root, &params.node_path)?;
    let signals = node
        .get_signal_list()
        .iter_shared()
        .filter_map(|d| {
            let name = d.get("name")?.to_string();
            let args = super::docs::arguments(&d);
            let connections = connections(&scene, &node, &name)
                .into_iter()
                .map(|(to, method, flags)| SignalTarget {
                    to: relative_path(&scene.root, &to),
                    method,
                    flags,
                })
                .collect();
            Some(SignalInfo {
                name,
                args,
                connections,
            })
        })
        .collect();
    Ok(SignalList {
        scene_path: scene.path.clone(),
        node_path: relative_path(&scene.root, &node),
        signals,
    })
}

/// The connections of `signal` to nodes of the scene, as (target, method, flags).
fn connections(scene: &Scene, node: &Gd<Node>, signal: &str) -> Vec<(Gd<Node>, String, u32)> {
    node.get_signal_connection_list(signal)
        .iter_shared()
        .filter_map(|c| {
            let callable = c.get("callable")?.try_to::<Callable>().ok()?;
            let target = callable.object()?.try_cast::<Node>().ok()?;
            if target != scene.root && !scene.root.is_ancestor_of(&target) {
                return None;
            }
            let flags = c
                .get("flags")
                .and_then(|f| f.try_to::<i64>().ok())
                .unwrap_or(0);
            Some((target, callable.method_name()?.to_string(), flags as u32))
        })
        .collect()
}

pub fn connect_signal(ctx: &mut Ctx, params: ConnectSignal) -> Result<SignalConnection, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let (from, to) = endpoints(&scene, &params.from, &params.signal, &params.to)?;
    if !to.has_method(&params.method) {
        return Err(ErrorBody::new(
            ErrorCode::MethodNotFound,
            format!(
                "{} ({}) has no method {:?}",
                relative_path(&scene.root, &to),
                to.get_class(),
                params.method
            ),
        )
        .with_hint(
            "add the function to the target's script first (write_script or patch_script)",
        ));
    }
    let callable = Callable::from_object_method(&to, &*params.method);
    if from.is_connected(&*params.signal, &callable) {
        return Err(ErrorBody::new(
            ErrorCode::AlreadyExists,
            format!(
                "{} is already connected to {}",
                params.signal, params.method
            ),
        )
        .with_hint("list_signals shows the existing connections"));
    }
    let flags = params.flags | ConnectFlags::PERSIST.ord() as u32;
    let mut undo = undo_action(&format!("connect {}", params.signal))?;
    undo.add_do_method(
        &from,
        "connect",
        vslice![
            StringName::from(&params.signal),
            callable.clone(),
            flags as i64
        ],
    );
    undo.add_undo_method(
        &from,
        "disconnect",
        vslice![StringName::from(&params.signal), callable],
    );
    undo.commit(&mut ctx.journal);
    Ok(connection(&scene, &from, &to, params.signal, params.method))
}

pub fn disconnect_signal(
    ctx: &mut Ctx,
    params: DisconnectSignal,
) -> Result<SignalConnection, ErrorBody> {
    let scene = target_scene(params.scene_path.as_deref())?;
    let (from, to) = endpoints(&scene, &params.from, &params.signal, &params.to)?;
    let flags = connections(&scene, &from, &params.signal)
        .into_iter()
        .find(|(target, method, _)| *target == to && *method == params.method)
        .map(|(_, _, flags)| flags)
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::SignalNotFound,
                format!(
                    "{} is not connected to {} on {}",
                    params.signal,
                    params.method,
                    relative_path(&scene.root, &to)
                ),
            )
            .with_hint("list_signals shows the existing connections")
        })?;
    let callable = Callable::from_object_method(&to, &*params.method);
    let mut undo = undo_action(&format!("disconnect {}", params.signal))?;
    undo.add_do_method(
        &from,
        "disconnect",
        vslice![StringName::from(&params.signal), callable.clone()],
    );
    undo.add_undo_method(
        &from,
        "connect",
        vslice![StringName::from(&params.signal), callable, flags as i64],
    );
    undo.commit(&mut ctx.journal);
    Ok(connection(&scene, &from, &to, params.signal, params.method))
}

/// The emitting and receiving nodes, checking the signal exists.
fn endpoints(
    scene: &Scene,
    from: &str,
    signal: &str,
    to: &str,
) -> Result<(Gd<Node>, Gd<Node>), ErrorBody> {
    let from = find_node(&scene.root, from)?;
    let to = find_node(&scene.root, to)?;
    if !from.has_signal(signal) {
        let names: Vec<String> = from
            .get_signal_list()
            .iter_shared()
            .filter_map(|d| d.get("name").map(|n| n.to_string()))
            .collect();
        let near = suggest::closest(signal, names.iter().map(String::as_str), 6);
        return Err(ErrorBody::new(
            ErrorCode::SignalNotFound,
            format!("{} has no signal {signal:?}", from.get_class()),
        )
        .with_hint(if near.is_empty() {
            "list_signals shows the node's signals".to_owned()
        } else {
            format!("did you mean: {}", near.join(", "))
        }));
    }
    Ok((from, to))
}

fn connection(
    scene: &Scene,
    from: &Gd<Node>,
    to: &Gd<Node>,
    signal: String,
    method: String,
) -> SignalConnection {
    SignalConnection {
        scene_path: scene.path.clone(),
        from: relative_path(&scene.root, from),
        signal,
        to: relative_path(&scene.root, to),
        method,
    }
}
