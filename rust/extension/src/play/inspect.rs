//! Reading and changing the running game: its tree, node properties,
//! method calls, expressions and visible Controls. Values use the editor
//! tools' forms ([`crate::convert`]), so what game_get reads game_set takes.

use godot::classes::{Control, Expression, Node, Object, SceneTree};
use godot::prelude::*;
use godot::register::info::PropertyUsageFlags;
use godot_mcp_protocol::commands::Properties;
use godot_mcp_protocol::commands::play::{
    GameCall, GameEval, GameGet, GameNode, GameNodes, GameSet, GameTree, GameUi, GameValue,
    GameValues, UiControl, UiControls,
};
use godot_mcp_protocol::value::Kind;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Map, Value};

use crate::convert;

/// Most nodes or controls one answer lists.
const LIST_CAP: usize = 200;
const DEFAULT_DEPTH: u32 = 8;

pub fn tree_of() -> Option<Gd<SceneTree>> {
    godot::classes::Engine::singleton()
        .get_main_loop()
        .and_then(|m| m.try_cast::<SceneTree>().ok())
}

fn scene_root() -> Result<Gd<Node>, ErrorBody> {
    tree_of()
        .and_then(|t| t.get_current_scene())
        .ok_or_else(|| {
            ErrorBody::new(ErrorCode::NodeNotFound, "the game has no current scene")
                .with_hint("the game may be changing scenes; step a frame and try again")
        })
}

/// A node by path from the current scene's root (`.` is the root), or an
/// absolute `/root/...` path.
pub fn node(path: &str) -> Result<Gd<Node>, ErrorBody> {
    let root = scene_root()?;
    let trimmed = path.trim();
    let found = if trimmed.starts_with('/') {
        root.get_tree()
            .get_root()
            .and_then(|r| r.get_node_or_null(trimmed))
    } else if trimmed.is_empty() || trimmed == "." {
        Some(root.clone())
    } else {
        root.get_node_or_null(trimmed.trim_start_matches("./"))
    };
    found.ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::NodeNotFound,
            format!(
                "no node {path:?} in the running scene {}",
                root.get_scene_file_path()
            ),
        )
        .with_hint("game_tree lists the running nodes and their paths")
    })
}

pub fn node_or_scene(path: Option<&str>) -> Result<Gd<Node>, ErrorBody> {
    node(path.unwrap_or("."))
}

/// A node's path from the current scene's root, or absolute outside it.
fn path_of(root: &Gd<Node>, node: &Gd<Node>) -> String {
    if node == root {
        ".".into()
    } else if root.is_ancestor_of(node) {
        root.get_path_to(node).to_string()
    } else {
        node.get_path().to_string()
    }
}

/// Reads a property or sub-property (`position:x`) in the editor's forms.
pub fn read(node: &Gd<Node>, name: &str) -> Result<Value, ErrorBody> {
    let object: Gd<Object> = node.clone().upcast();
    let base = name.split(':').next().unwrap_or(name);
    convert::find_property(&object, base)?;
    let value = if name.contains(':') {
        object.get_indexed(&NodePath::from(name))
    } else {
        object.get(name)
    };
    Ok(convert::to_json(&value))
}

pub fn tree(p: GameTree) -> Result<GameNodes, ErrorBody> {
    let root = scene_root()?;
    let start = node_or_scene(p.node_path.as_deref())?;
    let depth = p.max_depth.unwrap_or(DEFAULT_DEPTH);
    let mut out = GameNodes {
        scene: root.get_scene_file_path().to_string(),
        ..GameNodes::default()
    };
    let mut stack = vec![(start, 0u32)];
    while let Some((node, level)) = stack.pop() {
        let matches = p.class.as_deref().is_none_or(|c| node.is_class(c))
            && p.group.as_deref().is_none_or(|g| node.is_in_group(g))
            && p.name_pattern.as_deref().is_none_or(|pat| {
                godot_mcp_protocol::glob::matches(pat, &node.get_name().to_string())
            });
        if matches {
            if out.nodes.len() < LIST_CAP {
                out.nodes.push(describe(&root, &node));
            } else {
                out.truncated += 1;
            }
        }
        if level < depth {
            let children: Vec<Gd<Node>> = node.get_children().iter_shared().collect();
            for child in children.into_iter().rev() {
                stack.push((child, level + 1));
            }
        }
    }
    if out.truncated > 0 {
        out.hint = Some(format!(
            "{} more nodes matched; narrow with node_path, type, group, name_pattern or max_depth",
            out.truncated
        ));
    }
    Ok(out)
}

fn describe(root: &Gd<Node>, node: &Gd<Node>) -> GameNode {
    let script = node
        .get_script()
        .and_then(|s| s.try_cast::<godot::classes::Script>().ok())
        .map(|s| s.get_path().to_string())
        .filter(|s| !s.is_empty());
    let groups = node
        .get_groups()
        .iter_shared()
        .map(|g| g.to_string())
        .filter(|g| !g.starts_with('_'))
        .collect();
    let mut names = Vec::new();
    let mut put = |name: &'static str| names.push(name);
    if node.is_class("Node2D") || node.is_class("Node3D") {
        put("position");
        put("rotation");
    }
    if node.is_class("CanvasItem") {
        put("visible");
    }
    let control = node.clone().try_cast::<Control>().ok();
    if let Some(control) = &control
        && control.get("text").get_type() == VariantType::STRING
    {
        put("text");
    }
    if node.is_class("CollisionObject2D") || node.is_class("CollisionObject3D") {
        put("collision_layer");
        put("collision_mask");
    }
    if node.is_class("AnimationPlayer") {
        put("current_animation");
    }
    if node.is_class("Timer") {
        put("time_left");
    }
    let mut values: Map<String, Value> = names
        .into_iter()
        .filter_map(|n| Some((n.to_owned(), read(node, n).ok()?)))
        .collect();
    if let Some(control) = &control {
        values.insert("rect".into(), rect_json(control));
    }
    GameNode {
        name: node.get_name().to_string(),
        path: path_of(root, node),
        class: node.get_class().to_string(),
        script,
        groups,
        values,
    }
}

fn rect(control: &Gd<Control>) -> [f64; 4] {
    let r = control.get_global_rect();
    [
        f64::from(r.position.x),
        f64::from(r.position.y),
        f64::from(r.size.x),
        f64::from(r.size.y),
    ]
}

fn rect_json(control: &Gd<Control>) -> Value {
    Value::from(rect(control).to_vec())
}

pub fn get(p: GameGet) -> Result<GameValues, ErrorBody> {
    let node = node(&p.node_path)?;
    let names = match p.properties {
        Some(names) => names,
        None => default_properties(&node),
    };
    let mut properties = Properties::new();
    for name in names {
        properties.insert(name.clone(), read(&node, &name)?);
    }
    Ok(GameValues {
        node_path: path_of(&scene_root()?, &node),
        class: node.get_class().to_string(),
        properties,
        previous: None,
    })
}

/// The script's variables and the editor-visible properties.
fn default_properties(node: &Gd<Node>) -> Vec<String> {
    let script_var = PropertyUsageFlags::SCRIPT_VARIABLE.ord();
    convert::properties(&node.clone().upcast())
        .into_iter()
        .filter(|p| p.usage & script_var != 0 || (p.is_shown() && p.is_stored()))
        .filter(|p| p.name != "script")
        .map(|p| p.name)
        .collect()
}

pub fn set(p: GameSet) -> Result<GameValues, ErrorBody> {
    let node = node(&p.node_path)?;
    if p.properties.is_empty() {
        return Err(
            ErrorBody::new(ErrorCode::InvalidParams, "no properties to set")
                .with_hint("pass properties as {\"name\": value}"),
        );
    }
    let mut object: Gd<Object> = node.clone().upcast();
    // Convert everything first, so a bad value changes nothing.
    let mut values = Vec::new();
    for (name, json) in &p.properties {
        let value = if name.contains(':') {
            let base = name.split(':').next().unwrap_or(name);
            convert::find_property(&object, base)?;
            let current = object.get_indexed(&NodePath::from(name.as_str()));
            let kind = Kind::from_ord(current.get_type().ord() as i64).unwrap_or(Kind::Nil);
            convert::to_variant(json, &convert::PropertyInfo::of_kind(name, kind))?
        } else {
            convert::to_variant(json, &convert::find_property(&object, name)?)?
        };
        values.push((name.clone(), value));
    }
    let mut previous = Properties::new();
    for (name, _) in &values {
        previous.insert(name.clone(), read(&node, name)?);
    }
    for (name, value) in &values {
        if name.contains(':') {
            object.set_indexed(&NodePath::from(name.as_str()), value);
        } else {
            object.set(name.as_str(), value);
        }
    }
    let mut properties = Properties::new();
    for (name, _) in &values {
        properties.insert(name.clone(), read(&node, name)?);
    }
    Ok(GameValues {
        node_path: path_of(&scene_root()?, &node),
        class: node.get_class().to_string(),
        properties,
        previous: Some(previous),
    })
}

pub fn call(p: GameCall) -> Result<GameValue, ErrorBody> {
    let mut node = node(&p.node_path)?;
    let methods: Vec<VarDictionary> = node.get_method_list().iter_shared().collect();
    let info = methods
        .iter()
        .find(|m| m.get("name").is_some_and(|n| n.to_string() == p.method));
    let Some(info) = info else {
        let names: Vec<String> = methods
            .iter()
            .filter_map(|m| m.get("name").map(|n| n.to_string()))
            .filter(|n| !n.starts_with('_'))
            .collect();
        let near =
            godot_mcp_protocol::suggest::closest(&p.method, names.iter().map(String::as_str), 5);
        return Err(ErrorBody::new(
            ErrorCode::MethodNotFound,
            format!("{} has no method {:?}", node.get_class(), p.method),
        )
        .with_hint(if near.is_empty() {
            "get_class_info lists a class's methods".to_owned()
        } else {
            format!("did you mean: {}", near.join(", "))
        }));
    };
    let declared: Vec<VarDictionary> = info.get("args").map(|a| dicts(&a)).unwrap_or_default();
    let defaults = info.get("default_args").map_or(0, |a| {
        a.try_to::<VarArray>()
            .map(|a| a.len())
            .unwrap_or_else(|_| dicts(&a).len())
    });
    let vararg = info
        .get("flags")
        .and_then(|f| f.try_to::<i64>().ok())
        .is_some_and(|f| f & 16 != 0);
    let required = declared.len().saturating_sub(defaults);
    if p.args.len() < required || (!vararg && p.args.len() > declared.len()) {
        return Err(ErrorBody::new(
            ErrorCode::MethodNotFound,
            format!(
                "{} takes {} argument(s), got {}: {}",
                p.method,
                if required == declared.len() {
                    required.to_string()
                } else {
                    format!("{required} to {}", declared.len())
                },
                p.args.len(),
                signature(&p.method, &declared, defaults)
            ),
        )
        .with_hint("pass args in the order of the signature"));
    }
    let mut args = VarArray::new();
    for (i, json) in p.args.iter().enumerate() {
        let arg = declared.get(i).map(arg_info);
        let value = match arg {
            Some(info) if info.kind != Kind::Nil => convert::to_variant(json, &info)?,
            _ => convert::json_to_variant(json),
        };
        args.push(&value);
    }
    let result = node.callv(p.method.as_str(), &args);
    Ok(GameValue {
        value: convert::to_json(&result),
    })
}

/// The dictionaries of an array, typed (`Array[Dictionary]`) or not.
fn dicts(v: &Variant) -> Vec<VarDictionary> {
    if let Ok(typed) = v.try_to::<Array<VarDictionary>>() {
        return typed.iter_shared().collect();
    }
    v.try_to::<VarArray>()
        .map(|a| a.iter_shared().filter_map(|d| d.try_to().ok()).collect())
        .unwrap_or_default()
}

fn arg_info(d: &VarDictionary) -> convert::PropertyInfo {
    let name = d.get("name").map(|n| n.to_string()).unwrap_or_default();
    let kind = d
        .get("type")
        .and_then(|t| t.try_to::<i64>().ok())
        .and_then(Kind::from_ord)
        .unwrap_or(Kind::Nil);
    convert::PropertyInfo::of_kind(&name, kind)
}

fn signature(method: &str, args: &[VarDictionary], defaults: usize) -> String {
    let optional_from = args.len().saturating_sub(defaults);
    let parts: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let info = arg_info(d);
            let mut s = if info.kind == Kind::Nil {
                info.name.clone()
            } else {
                format!("{}: {}", info.name, info.kind.name())
            };
            if i >= optional_from {
                s.push_str(" = ...");
            }
            s
        })
        .collect();
    format!("{method}({})", parts.join(", "))
}

/// A parsed Expression and the values of the names it may use besides the
/// base node's members: the engine singletons (`Input`, `Engine`...) and
/// the game's autoloads.
pub struct Expr {
    expression: Gd<Expression>,
    inputs: VarArray,
}

/// Engine singletons and autoloads, by name.
pub(super) fn globals() -> (PackedStringArray, VarArray) {
    let mut names = PackedStringArray::new();
    let mut values = VarArray::new();
    let engine = godot::classes::Engine::singleton();
    for name in engine.get_singleton_list().as_slice() {
        if let Some(object) = engine.get_singleton(&StringName::from(name)) {
            names.push(name);
            values.push(&object.to_variant());
        }
    }
    let scene = tree_of().and_then(|t| t.get_current_scene());
    if let Some(root) = tree_of().and_then(|t| t.get_root()) {
        for child in root.get_children().iter_shared() {
            if Some(&child) != scene.as_ref() {
                names.push(&child.get_name().to_string());
                values.push(&child.to_variant());
            }
        }
    }
    (names, values)
}

pub fn parse_expression(text: &str) -> Result<Expr, ErrorBody> {
    let mut expression = Expression::new_gd();
    let (names, inputs) = globals();
    if expression.parse_ex(text).input_names(&names).done() != godot::global::Error::OK {
        return Err(expression_error(
            text,
            &expression.get_error_text().to_string(),
        ));
    }
    Ok(Expr { expression, inputs })
}

pub fn execute(expr: &mut Expr, base: &Gd<Node>) -> Result<Variant, String> {
    let value = expr
        .expression
        .execute_ex()
        .inputs(&expr.inputs)
        .base_instance(&base.clone().upcast::<Object>())
        .show_error(false)
        .done();
    if expr.expression.has_execute_failed() {
        return Err(expr.expression.get_error_text().to_string());
    }
    Ok(value)
}

pub fn eval_text(text: &str, base: &Gd<Node>) -> Result<Value, ErrorBody> {
    let mut expr = parse_expression(text)?;
    execute(&mut expr, base)
        .map(|v| convert::to_json(&v))
        .map_err(|e| expression_error(text, &e))
}

fn expression_error(text: &str, why: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::ExpressionError, format!("{text:?}: {why}"))
        .with_hint("a Godot Expression: properties and methods of the base node, e.g. position.x > 100 or get_node(\"Player\").is_on_floor()")
}

pub fn eval(p: GameEval) -> Result<GameValue, ErrorBody> {
    let base = node_or_scene(p.node_path.as_deref())?;
    Ok(GameValue {
        value: eval_text(&p.expression, &base)?,
    })
}

/// The visible Controls of the game's windows, in tree order.
pub fn visible_controls() -> Vec<Gd<Control>> {
    let mut out = Vec::new();
    let Some(root) = tree_of().and_then(|t| t.get_root()) else {
        return out;
    };
    let mut stack: Vec<Gd<Node>> = vec![root.upcast()];
    while let Some(node) = stack.pop() {
        if let Ok(control) = node.clone().try_cast::<Control>()
            && control.is_visible_in_tree()
        {
            out.push(control);
        }
        let children: Vec<Gd<Node>> = node.get_children().iter_shared().collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

pub fn text_of(control: &Gd<Control>) -> Option<String> {
    let text = control.get("text");
    (text.get_type() == VariantType::STRING).then(|| text.to_string())
}

pub fn ui(p: GameUi) -> Result<UiControls, ErrorBody> {
    let root = scene_root()?;
    let needle = p.text.map(|t| t.to_lowercase());
    let mut out = UiControls::default();
    for control in visible_controls() {
        let text = text_of(&control);
        if let Some(n) = &needle
            && !text.as_ref().is_some_and(|t| t.to_lowercase().contains(n))
        {
            continue;
        }
        if out.controls.len() >= LIST_CAP {
            out.truncated += 1;
            continue;
        }
        let disabled = control.get("disabled").try_to::<bool>().unwrap_or(false);
        out.controls.push(UiControl {
            path: path_of(&root, &control.clone().upcast()),
            class: control.get_class().to_string(),
            text: text.filter(|t| !t.is_empty()),
            rect: rect(&control),
            disabled,
            focused: control.has_focus(),
        });
    }
    Ok(out)
}

/// The topmost visible Control that takes the mouse at `at` (window
/// coordinates): the last in drawing order whose rectangle holds it.
pub fn control_at(at: Vector2) -> Option<Gd<Control>> {
    visible_controls().into_iter().rev().find(|c| {
        if c.get_mouse_filter() == godot::classes::control::MouseFilter::IGNORE {
            return false;
        }
        let to_canvas = c
            .get_viewport()
            .map(|v| v.get_final_transform())
            .filter(|t| t.determinant().abs() > 1e-6)
            .map_or(at, |t| t.affine_inverse() * at);
        c.get_global_rect().contains_point(to_canvas)
    })
}

/// The one visible Control whose text (or path) is `target`.
pub fn click_target(target: &str) -> Result<Gd<Control>, ErrorBody> {
    let root = scene_root()?;
    let controls = visible_controls();
    let wanted = target.trim();
    let found: Vec<&Gd<Control>> = controls
        .iter()
        .filter(|c| {
            text_of(c).is_some_and(|t| t.trim().eq_ignore_ascii_case(wanted))
                || path_of(&root, &(*c).clone().upcast()) == wanted
        })
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        many => {
            let candidates: Vec<String> = controls
                .iter()
                .filter_map(|c| text_of(c).filter(|t| !t.trim().is_empty()))
                .map(|t| format!("{t:?}"))
                .take(20)
                .collect();
            Err(ErrorBody::new(
                ErrorCode::NodeNotFound,
                if many.is_empty() {
                    format!("no visible Control has the text or path {target:?}")
                } else {
                    format!("{} visible Controls match {target:?}", many.len())
                },
            )
            .with_hint(if candidates.is_empty() {
                "no visible Control shows text; click by node path (game_ui lists them)".to_owned()
            } else {
                format!("visible texts: {}", candidates.join(", "))
            }))
        }
    }
}
