//! Offline node edits: add, edit and remove nodes in a scene file, with
//! values checked against Godot's class list.

use godot_mcp_protocol::commands::Properties;
use godot_mcp_protocol::commands::node::*;
use godot_mcp_protocol::suggest::closest;
use godot_mcp_protocol::value::{Hint, Kind};
use godot_mcp_protocol::{ErrorBody, ErrorCode, errors, paths};
use godot_mcp_tscn::convert::{Converted, from_json, to_json};
use godot_mcp_tscn::{ClassDb, Scene, Value};
use serde_json::{Map, Value as Json};

use super::{Node, Project, scene_error};

impl Project {
    pub(super) fn add_node(&mut self, p: AddNode) -> Result<NodeAdded, ErrorBody> {
        let path = self.scene_path(p.scene_path.as_deref())?;
        let mut scene = self.load(&path)?;
        check_node_class(&p.class)?;
        let parent = scene.find(&p.parent).map_err(|e| scene_error(&path, e))?;
        let added = scene
            .add_node(&parent.path, &p.name, &p.class, Vec::new())
            .map_err(|e| scene_error(&path, e))?;
        let written = self.set_properties(&mut scene, &added, &p.properties)?;
        self.store(&path, &scene)?;
        Ok(NodeAdded {
            scene_path: path,
            node_path: added.path,
            class: p.class,
            properties: written,
        })
    }

    pub(super) fn edit_node(&mut self, p: EditNode) -> Result<NodeEdited, ErrorBody> {
        let (path, mut scene, node) = self.load_node(p.scene_path.as_deref(), &p.node_path)?;
        let previous = p
            .properties
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    scene.property(&node, k).map_or(Json::Null, to_json),
                )
            })
            .collect();
        let written = self.set_properties(&mut scene, &node, &p.properties)?;
        self.store(&path, &scene)?;
        Ok(NodeEdited {
            scene_path: path,
            node_path: node.path,
            properties: written,
            previous,
        })
    }

    /// Converts every value first, so a bad one changes nothing, then sets
    /// them. Returns the values as written.
    fn set_properties(
        &self,
        scene: &mut Scene,
        node: &Node,
        properties: &Properties,
    ) -> Result<Properties, ErrorBody> {
        let class = self.class_of(node);
        let script = node.script.clone().or_else(|| {
            node.instance
                .as_deref()
                .and_then(|p| self.instanced_root(p, 0))
                .and_then(|r| r.script)
        });
        let exports = script
            .map(|s| godot_mcp_tscn::project::script_exports(&self.text(&s)))
            .unwrap_or_default();
        let db = ClassDb::get();
        let mut values = Vec::new();
        for (name, json) in properties {
            let converted = match db.property(&class, name) {
                Some(prop) => {
                    let (kind, hint) = db.kind_of(prop);
                    let c = from_json(json, kind, &hint)
                        .map_err(|e| errors::invalid_value(name, &e))?;
                    match c {
                        Converted::Resource(res) => {
                            Converted::Resource(self.check_resource(&res, &prop.type_name, name)?)
                        }
                        Converted::NewResource { class, properties } => {
                            self.check_new_resource(&class, &properties, &prop.type_name, name)?;
                            Converted::NewResource { class, properties }
                        }
                        other => other,
                    }
                }
                None if name.starts_with("metadata/") || exports.contains(name) => {
                    from_json(json, Kind::Nil, &Hint::None)
                        .map_err(|e| errors::invalid_value(name, &e))?
                }
                None => {
                    let mut names: Vec<&str> = Vec::new();
                    let mut at = db.class(&class);
                    while let Some(c) = at {
                        names.extend(c.property_names());
                        at = c.parent.as_deref().and_then(|p| db.class(p));
                    }
                    let near = closest(name, names, 5);
                    return Err(errors::property_not_found(&class, name, &near));
                }
            };
            values.push((name.clone(), converted));
        }
        let mut written = Map::new();
        for (name, converted) in values {
            let value = match converted {
                Converted::Value(v) => v,
                Converted::Resource(res) => {
                    let (class, uid) = self.resource_info(&res);
                    let id = scene.ext_resource(&class, &res, uid.as_deref());
                    written.insert(name.clone(), Json::String(res));
                    scene
                        .set_property(&node.path, &name, Value::ext_ref(&id))
                        .map_err(|e| scene_error("", e))?;
                    continue;
                }
                Converted::NewResource { class, properties } => {
                    let (id, json) = self.embed(scene, &class, &properties)?;
                    written.insert(name.clone(), json);
                    scene
                        .set_property(&node.path, &name, Value::sub_ref(&id))
                        .map_err(|e| scene_error("", e))?;
                    continue;
                }
            };
            written.insert(name.clone(), to_json(&value));
            scene
                .set_property(&node.path, &name, value)
                .map_err(|e| scene_error("", e))?;
        }
        Ok(written)
    }

    /// Checks that a new resource's class exists, fits the property, and
    /// takes every given property in an accepted form.
    fn check_new_resource(
        &self,
        class: &str,
        properties: &Map<String, Json>,
        wanted: &str,
        property: &str,
    ) -> Result<(), ErrorBody> {
        let db = ClassDb::get();
        if db.class(class).is_none() || !db.is_a(class, "Resource") {
            return Err(ErrorBody::new(
                ErrorCode::InvalidValue,
                format!("{property}: {class:?} is not a resource class"),
            )
            .with_hint("give \"type\" as a Resource class such as CircleShape2D"));
        }
        if db.class(wanted).is_some() && !db.is_a(class, wanted) {
            return Err(ErrorBody::new(
                ErrorCode::InvalidValue,
                format!("{property}: expected a {wanted}, {class} is not one"),
            )
            .with_hint(format!("give \"type\" as a {wanted} class")));
        }
        for (name, json) in properties {
            let (kind, hint) = db
                .property(class, name)
                .map(|p| db.kind_of(p))
                .ok_or_else(|| errors::property_not_found(class, name, &[] as &[&str]))?;
            let path = format!("{property}.{name}");
            match from_json(json, kind, &hint).map_err(|e| errors::invalid_value(&path, &e))? {
                Converted::Resource(res) => {
                    let wanted = db.property(class, name).map(|p| p.type_name.clone());
                    self.check_resource(&res, wanted.as_deref().unwrap_or(""), &path)?;
                }
                Converted::NewResource {
                    class: c,
                    properties: p,
                } => {
                    let wanted = db.property(class, name).map(|p| p.type_name.clone());
                    self.check_new_resource(&c, &p, wanted.as_deref().unwrap_or(""), &path)?;
                }
                Converted::Value(_) => {}
            }
        }
        Ok(())
    }

    /// Writes a checked new resource (and any it holds) as sub_resources;
    /// returns its id and the JSON the live editor would report.
    fn embed(
        &self,
        scene: &mut Scene,
        class: &str,
        properties: &Map<String, Json>,
    ) -> Result<(String, Json), ErrorBody> {
        let db = ClassDb::get();
        let mut values = Vec::new();
        let mut reported = Map::new();
        reported.insert("type".into(), Json::String(class.to_owned()));
        for (name, json) in properties {
            let Some(prop) = db.property(class, name) else {
                continue;
            };
            let (kind, hint) = db.kind_of(prop);
            let value =
                match from_json(json, kind, &hint).map_err(|e| errors::invalid_value(name, &e))? {
                    Converted::Value(v) => {
                        reported.insert(name.clone(), to_json(&v));
                        v
                    }
                    Converted::Resource(res) => {
                        let res = paths::normalize(&res)?;
                        let (c, uid) = self.resource_info(&res);
                        reported.insert(name.clone(), Json::String(res.clone()));
                        Value::ext_ref(&scene.ext_resource(&c, &res, uid.as_deref()))
                    }
                    Converted::NewResource {
                        class: c,
                        properties: p,
                    } => {
                        let (id, json) = self.embed(scene, &c, &p)?;
                        reported.insert(name.clone(), json);
                        Value::sub_ref(&id)
                    }
                };
            values.push((name.clone(), value));
        }
        Ok((scene.sub_resource(class, values), Json::Object(reported)))
    }

    /// Checks a resource file exists and fits the property's class.
    pub(super) fn check_resource(
        &self,
        res: &str,
        wanted: &str,
        property: &str,
    ) -> Result<String, ErrorBody> {
        let path = paths::normalize(res)?;
        if !self.file(&path)?.is_file() {
            return Err(ErrorBody::new(
                ErrorCode::InvalidValue,
                format!("{property}: no file at {path}"),
            )
            .with_hint("give the res:// path of an existing resource"));
        }
        let (class, _) = self.resource_info(&path);
        let db = ClassDb::get();
        if db.class(wanted).is_some() && !db.is_a(&class, wanted) && !db.is_a(wanted, &class) {
            return Err(ErrorBody::new(
                ErrorCode::InvalidValue,
                format!("{property}: expected a {wanted} resource, {path} is a {class}"),
            )
            .with_hint(format!("give the path of a {wanted}")));
        }
        Ok(path)
    }

    pub(super) fn remove_node(&mut self, p: RemoveNode) -> Result<NodeRemoved, ErrorBody> {
        let (path, mut scene, node) = self.load_node(p.scene_path.as_deref(), &p.node_path)?;
        let removed = scene
            .remove_node(&node.path)
            .map_err(|e| scene_error(&path, e))?;
        self.store(&path, &scene)?;
        Ok(NodeRemoved {
            scene_path: path,
            node_path: node.path,
            removed,
        })
    }
}

pub(super) fn check_node_class(class: &str) -> Result<(), ErrorBody> {
    let db = ClassDb::get();
    let why = match db.class(class) {
        None => "is not a Godot class",
        Some(_) if !db.is_a(class, "Node") => "is not a Node class",
        Some(c) if !c.instantiable => "is abstract and cannot be instantiated",
        Some(_) => return Ok(()),
    };
    let near = closest(class, db.node_classes(), 6);
    let hint = if near.is_empty() {
        "use a Node class such as Node2D, Node3D, Sprite2D, CharacterBody2D, Control or Label"
            .into()
    } else {
        format!("did you mean: {}", near.join(", "))
    };
    Err(ErrorBody::new(ErrorCode::InvalidNodeType, format!("{class:?} {why}")).with_hint(hint))
}
