//! Offline mode: scene tools work on the project's files when no editor
//! answers.
//!
//! Each edit reads the `.tscn`, changes only what it must through
//! `godot-mcp-tscn` (node types and properties checked against Godot's class
//! list), and writes the file atomically, so `save_scene` has nothing left to
//! do. Results have the live tools' shapes plus `"mode": "offline"`. The
//! project is `GODOT_MCP_PROJECT`, else the nearest folder holding
//! `project.godot` above the current one or `CLAUDE_PROJECT_DIR`.

use std::path::{Path, PathBuf};

use godot_mcp_protocol::catalog::{Command, parse};
use godot_mcp_protocol::commands::node::*;
use godot_mcp_protocol::commands::scene::*;
use godot_mcp_protocol::commands::script::*;
use godot_mcp_protocol::commands::{NodeInfo, Properties};
use godot_mcp_protocol::names::pascal_case;
use godot_mcp_protocol::suggest::closest;
use godot_mcp_protocol::value::{Hint, Kind};
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};
use godot_mcp_tscn::convert::{Converted, from_json, to_json};
use godot_mcp_tscn::{ClassDb, Error, Scene, Value, ids};
use serde_json::{Map, Value as Json};

/// Environment variable naming the project folder for offline mode.
pub const PROJECT_ENV: &str = "GODOT_MCP_PROJECT";

const SCENE_EXTENSIONS: &[&str] = &["tscn"];

/// Answers a call the editor could not take, when it has an offline form
/// and a project is found; otherwise passes the editor's error on.
pub fn fallback(action: &str, params: Json, error: ErrorBody) -> Result<Json, ErrorBody> {
    if error.code != ErrorCode::EditorNotConnected {
        return Err(error);
    }
    match project() {
        Some(root) => Project { root }.call(action, params).unwrap_or(Err(error)),
        None => Err(error),
    }
}

fn project() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(PROJECT_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    godot_mcp_protocol::discovery::client_places()
        .iter()
        .find_map(|place| {
            place
                .ancestors()
                .find(|d| d.join("project.godot").is_file())
                .map(Path::to_path_buf)
        })
}

struct Project {
    root: PathBuf,
}

fn offline<C: Command>(output: Result<C::Output, ErrorBody>) -> Result<Json, ErrorBody> {
    let mut value = serde_json::to_value(output?)
        .map_err(|e| ErrorBody::new(ErrorCode::InternalError, e.to_string()))?;
    if let Json::Object(map) = &mut value {
        map.insert("mode".into(), Json::from("offline"));
    }
    Ok(value)
}

fn run<C: Command>(
    params: Json,
    handler: impl FnOnce(C) -> Result<C::Output, ErrorBody>,
) -> Result<Json, ErrorBody> {
    offline::<C>(parse::<C>(params).and_then(handler))
}

impl Project {
    fn call(&self, action: &str, params: Json) -> Option<Result<Json, ErrorBody>> {
        Some(match action {
            GetSceneTree::NAME => run(params, |p| self.get_scene_tree(p)),
            OpenScene::NAME => run(params, |p| self.open_scene(p)),
            CreateScene::NAME => run(params, |p| self.create_scene(p)),
            SaveScene::NAME => run(params, |p| self.save_scene(p)),
            AddNode::NAME => run(params, |p| self.add_node(p)),
            EditNode::NAME => run(params, |p| self.edit_node(p)),
            RemoveNode::NAME => run(params, |p| self.remove_node(p)),
            WriteScript::NAME => run(params, |p| self.write_script(p)),
            AttachScript::NAME => run(params, |p| self.attach_script(p)),
            _ => return None,
        })
    }

    fn file(&self, res_path: &str) -> Result<PathBuf, ErrorBody> {
        paths::to_fs(&self.root, res_path)
    }

    fn scene_path(&self, requested: Option<&str>) -> Result<String, ErrorBody> {
        let requested = requested.ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::EditorNotReady,
                "no editor is running, so there is no edited scene",
            )
            .with_sub_code(godot_mcp_protocol::Readiness::NoScene.as_str())
            .with_hint("pass scene_path; offline mode edits the scene file directly")
        })?;
        paths::normalize_file(requested, SCENE_EXTENSIONS)
    }

    fn load(&self, res_path: &str) -> Result<Scene, ErrorBody> {
        let text = std::fs::read_to_string(self.file(res_path)?).map_err(|e| {
            ErrorBody::new(
                ErrorCode::SceneNotFound,
                format!("cannot read {res_path}: {e}"),
            )
            .with_hint("check the path with get_project_info, or create it with create_scene")
        })?;
        Scene::parse(&text).map_err(|e| scene_error(res_path, e))
    }

    /// The scene file (its path and model) and one node in it.
    fn load_node(
        &self,
        scene_path: Option<&str>,
        node_path: &str,
    ) -> Result<(String, Scene, Node), ErrorBody> {
        let path = self.scene_path(scene_path)?;
        let scene = self.load(&path)?;
        let node = scene.find(node_path).map_err(|e| scene_error(&path, e))?;
        Ok((path, scene, node))
    }

    fn store(&self, res_path: &str, scene: &Scene) -> Result<u64, ErrorBody> {
        let text = scene.write();
        paths::write_atomically(&self.file(res_path)?, text.as_bytes()).map_err(|e| {
            ErrorBody::new(ErrorCode::IoError, format!("cannot write {res_path}: {e}"))
        })?;
        Ok(text.len() as u64)
    }

    // ---- scenes ----

    fn get_scene_tree(&self, p: GetSceneTree) -> Result<SceneTree, ErrorBody> {
        let path = self.scene_path(p.scene_path.as_deref())?;
        let scene = self.load(&path)?;
        let nodes: Vec<Node> = scene.nodes().into_iter().filter(|n| n.is_owned()).collect();
        let options = TreeOptions {
            max_depth: p.max_depth.unwrap_or(u32::MAX),
            properties: p.include_properties,
        };
        let root = nodes
            .iter()
            .find(|n| n.path == ".")
            .ok_or_else(|| scene_error(&path, Error::NodeNotFound(".".into())))?;
        let mut count = 0;
        let info = self.node_info(&scene, &path, &nodes, root, 0, &options, &mut count);
        Ok(SceneTree {
            scene_path: path,
            node_count: count,
            root: info,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn node_info(
        &self,
        scene: &Scene,
        scene_path: &str,
        nodes: &[Node],
        node: &Node,
        depth: u32,
        options: &TreeOptions,
        count: &mut usize,
    ) -> NodeInfo {
        *count += 1;
        let children: Vec<&Node> = nodes
            .iter()
            .filter(|c| c.path != "." && parent_of(&c.path) == node.path)
            .collect();
        let (listed, hidden) = if depth < options.max_depth {
            let listed = children
                .iter()
                .map(|c| self.node_info(scene, scene_path, nodes, c, depth + 1, options, count))
                .collect();
            (listed, 0)
        } else {
            *count += children.len();
            (Vec::new(), children.len())
        };
        let base = node
            .instance
            .as_deref()
            .and_then(|p| self.instanced_root(p, 0));
        let mut groups = node.groups.clone();
        for g in base.iter().flat_map(|b| &b.groups) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        let script = node
            .script
            .as_ref()
            .map(|s| {
                if s.starts_with("::") {
                    format!("{scene_path}{s}")
                } else {
                    s.clone()
                }
            })
            .or_else(|| base.as_ref().and_then(|b| b.script.clone()));
        let properties = options.properties.then(|| {
            scene.document().sections()[node.section]
                .entries()
                .iter()
                .filter(|e| e.key() != "script")
                .map(|e| (e.key().to_owned(), to_json(e.value())))
                .collect::<Properties>()
        });
        NodeInfo {
            name: node.name.clone(),
            class: self.class_of(node),
            path: node.path.clone(),
            script,
            instance: node.instance.clone().filter(|_| node.path != "."),
            groups,
            properties,
            children: listed,
            hidden_children: hidden,
        }
    }

    /// The root node of an instanced scene, following instances of instances.
    fn instanced_root(&self, res_path: &str, depth: usize) -> Option<Node> {
        if depth > 16 {
            return None;
        }
        let scene = self.load(res_path).ok()?;
        let mut root = scene.nodes().into_iter().find(|n| n.path == ".")?;
        if root.class.is_none()
            && let Some(base) = root
                .instance
                .as_deref()
                .and_then(|p| self.instanced_root(p, depth + 1))
        {
            root.class = base.class;
            root.script = root.script.or(base.script);
            root.groups.extend(base.groups);
        }
        Some(root)
    }

    fn class_of(&self, node: &Node) -> String {
        node.class
            .clone()
            .or_else(|| {
                node.instance
                    .as_deref()
                    .and_then(|p| self.instanced_root(p, 0))
                    .and_then(|r| r.class)
            })
            .unwrap_or_else(|| "Node".into())
    }

    fn open_scene(&self, p: OpenScene) -> Result<SceneOpened, ErrorBody> {
        let path = self.scene_path(Some(&p.scene_path))?;
        let scene = self.load(&path)?;
        let nodes: Vec<Node> = scene.nodes().into_iter().filter(|n| n.is_owned()).collect();
        let root = nodes.iter().find(|n| n.path == ".").cloned();
        let root = root.ok_or_else(|| scene_error(&path, Error::NodeNotFound(".".into())))?;
        Ok(SceneOpened {
            root_type: self.class_of(&root),
            root_name: root.name,
            node_count: nodes.len(),
            scene_path: path,
        })
    }

    fn create_scene(&self, p: CreateScene) -> Result<SceneCreated, ErrorBody> {
        let path = self.scene_path(Some(&p.scene_path))?;
        let file = self.file(&path)?;
        if file.exists() && !p.overwrite {
            return Err(
                ErrorBody::new(ErrorCode::SceneExists, format!("{path} already exists"))
                    .with_hint("pick another path, or pass overwrite: true"),
            );
        }
        check_node_class(&p.root_type)?;
        let root_name = match p.root_name {
            Some(name) => name,
            None => pascal_case(file.file_stem().and_then(|s| s.to_str()).unwrap_or("Root")),
        };
        let scene = Scene::new(&p.root_type, &root_name).map_err(|e| scene_error(&path, e))?;
        self.store(&path, &scene)?;
        Ok(SceneCreated {
            scene_path: path,
            root_type: p.root_type,
            root_name: root_name.trim().to_owned(),
        })
    }

    fn save_scene(&self, p: SaveScene) -> Result<SceneSaved, ErrorBody> {
        // Every offline edit is already on disk.
        let path = self.scene_path(p.scene_path.as_deref())?;
        let bytes = std::fs::metadata(self.file(&path)?)
            .map(|m| m.len())
            .map_err(|e| {
                ErrorBody::new(ErrorCode::SceneNotFound, format!("{path}: {e}"))
                    .with_hint("offline mode saves each edit as it happens; create the scene with create_scene")
            })?;
        Ok(SceneSaved {
            scene_path: path,
            bytes,
        })
    }

    // ---- nodes ----

    fn add_node(&self, p: AddNode) -> Result<NodeAdded, ErrorBody> {
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

    fn edit_node(&self, p: EditNode) -> Result<NodeEdited, ErrorBody> {
        if p.properties.is_empty() {
            return Err(
                ErrorBody::new(ErrorCode::InvalidParams, "no properties to set")
                    .with_hint("pass properties as {\"name\": value}"),
            );
        }
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
        let exports = script.map(|s| self.script_exports(&s)).unwrap_or_default();
        let db = ClassDb::get();
        let mut values = Vec::new();
        for (name, json) in properties {
            let converted = match db.property(&class, name) {
                Some(prop) => {
                    let (kind, hint) = db.kind_of(prop);
                    let c = from_json(json, kind, &hint).map_err(|e| invalid_value(name, &e))?;
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
                    from_json(json, Kind::Nil, &Hint::None).map_err(|e| invalid_value(name, &e))?
                }
                None => {
                    let mut names: Vec<&str> = Vec::new();
                    let mut at = db.class(&class);
                    while let Some(c) = at {
                        names.extend(c.property_names());
                        at = c.parent.as_deref().and_then(|p| db.class(p));
                    }
                    let near = closest(name, names, 5);
                    let mut err = ErrorBody::new(
                        ErrorCode::PropertyNotFound,
                        format!("{class} has no property {name:?}"),
                    );
                    if !near.is_empty() {
                        err = err.with_hint(format!("did you mean: {}", near.join(", ")));
                    }
                    return Err(err);
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
            let (kind, hint) =
                db.property(class, name)
                    .map(|p| db.kind_of(p))
                    .ok_or_else(|| {
                        ErrorBody::new(
                            ErrorCode::PropertyNotFound,
                            format!("{class} has no property {name:?}"),
                        )
                        .with_hint(format!("call get_class_info for {class}"))
                    })?;
            let path = format!("{property}.{name}");
            match from_json(json, kind, &hint).map_err(|e| invalid_value(&path, &e))? {
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
            let value = match from_json(json, kind, &hint).map_err(|e| invalid_value(name, &e))? {
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
    fn check_resource(&self, res: &str, wanted: &str, property: &str) -> Result<String, ErrorBody> {
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

    /// The ext_resource type and uid of a resource file, as the editor would
    /// record them.
    fn resource_info(&self, res: &str) -> (String, Option<String>) {
        let file = self.file(res).unwrap_or_default();
        let ext = res
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let header_uid = |text: &str| -> (Option<String>, Option<String>) {
            godot_mcp_tscn::Document::parse(text)
                .ok()
                .and_then(|d| d.sections().first().map(|s| s.header().clone()))
                .map(|h| {
                    (
                        h.str("type").map(str::to_owned),
                        h.str("uid").map(str::to_owned),
                    )
                })
                .unwrap_or_default()
        };
        let sidecar_uid = |suffix: &str| {
            let mut p = file.clone().into_os_string();
            p.push(suffix);
            std::fs::read_to_string(p).ok().and_then(|t| {
                t.lines()
                    .map(str::trim)
                    .find_map(|l| {
                        l.strip_prefix("uid=\"")
                            .and_then(|r| r.strip_suffix('"'))
                            .or_else(|| l.starts_with("uid://").then_some(l))
                    })
                    .map(str::to_owned)
            })
        };
        match ext.as_str() {
            "tscn" | "tres" => {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                let (class, uid) = header_uid(&text);
                let class = if ext == "tscn" { None } else { class };
                (class.unwrap_or_else(|| "PackedScene".into()), uid)
            }
            "gd" | "cs" => ("Script".into(), sidecar_uid(".uid")),
            "gdshader" => ("Shader".into(), sidecar_uid(".uid")),
            "png" | "jpg" | "jpeg" | "webp" | "svg" | "bmp" | "tga" | "exr" | "hdr" => {
                ("Texture2D".into(), sidecar_uid(".import"))
            }
            "wav" | "ogg" | "mp3" => ("AudioStream".into(), sidecar_uid(".import")),
            "ttf" | "otf" | "woff" | "woff2" => ("FontFile".into(), sidecar_uid(".import")),
            "glb" | "gltf" | "fbx" | "blend" => ("PackedScene".into(), sidecar_uid(".import")),
            _ => ("Resource".into(), sidecar_uid(".import")),
        }
    }

    /// Names of a GDScript's `@export` variables.
    fn script_exports(&self, script: &str) -> Vec<String> {
        let text = self
            .file(script)
            .ok()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut pending = false;
        for line in text.lines().map(str::trim) {
            let exported = pending || line.starts_with("@export");
            pending = false;
            if !exported {
                continue;
            }
            match line.split_once("var ") {
                Some((_, rest)) => out.push(
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                // An annotation on a line of its own applies to the next one.
                None => pending = true,
            }
        }
        out
    }

    fn remove_node(&self, p: RemoveNode) -> Result<NodeRemoved, ErrorBody> {
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

    // ---- scripts ----

    fn write_script(&self, p: WriteScript) -> Result<ScriptWritten, ErrorBody> {
        let path = paths::normalize_file(&p.script_path, &["gd"])?;
        let file = self.file(&path)?;
        let created = !file.exists();
        let io = |e: std::io::Error| {
            ErrorBody::new(ErrorCode::IoError, format!("cannot write {path}: {e}"))
        };
        paths::write_atomically(&file, p.content.as_bytes()).map_err(io)?;
        // The editor keeps each script's uid beside it; give a new one its own.
        let mut uid_file = file.clone().into_os_string();
        uid_file.push(".uid");
        let uid_file = PathBuf::from(uid_file);
        if !uid_file.exists() {
            paths::write_atomically(&uid_file, format!("{}\n", ids::new_uid()).as_bytes())
                .map_err(io)?;
        }
        Ok(ScriptWritten {
            script_path: path,
            bytes: p.content.len() as u64,
            created,
            valid: None,
            errors: Vec::new(),
        })
    }

    fn attach_script(&self, p: AttachScript) -> Result<ScriptAttached, ErrorBody> {
        let script_path = paths::normalize_file(&p.script_path, &["gd", "cs"])?;
        let source = std::fs::read_to_string(self.file(&script_path)?).map_err(|_| {
            ErrorBody::new(
                ErrorCode::ScriptNotFound,
                format!("no script file at {script_path}"),
            )
            .with_hint("create it first with write_script")
        })?;
        let (path, mut scene, node) = self.load_node(p.scene_path.as_deref(), &p.node_path)?;
        let class = self.class_of(&node);
        if let Some(base) = script_base(&source)
            && ClassDb::get().class(&base).is_some()
            && !ClassDb::get().is_a(&class, &base)
        {
            return Err(ErrorBody::new(
                ErrorCode::InvalidOperation,
                format!("{script_path} extends {base}, but the node is a {class}"),
            )
            .with_hint("attach it to a node of that class, or change the script's `extends`"));
        }
        let (_, uid) = self.resource_info(&script_path);
        let id = scene.ext_resource("Script", &script_path, uid.as_deref());
        scene
            .set_property(&node.path, "script", Value::ext_ref(&id))
            .map_err(|e| scene_error(&path, e))?;
        self.store(&path, &scene)?;
        Ok(ScriptAttached {
            scene_path: path,
            node_path: node.path,
            script_path,
        })
    }
}

struct TreeOptions {
    max_depth: u32,
    properties: bool,
}

type Node = godot_mcp_tscn::Node;

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(p, _)| p)
}

/// The class a GDScript `extends`, when it names one.
fn script_base(source: &str) -> Option<String> {
    source.lines().map(str::trim).find_map(|l| {
        let rest = l.strip_prefix("extends ")?;
        let name = rest.split_whitespace().next()?;
        (!name.starts_with('"')).then(|| name.to_owned())
    })
}

fn check_node_class(class: &str) -> Result<(), ErrorBody> {
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

fn invalid_value(property: &str, e: &godot_mcp_protocol::value::ValueError) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidValue, format!("{property}: {e}"))
        .with_hint(format!("accepted forms: {}", e.forms))
}

fn scene_error(scene: &str, e: Error) -> ErrorBody {
    match e {
        Error::NodeNotFound(p) => {
            ErrorBody::new(ErrorCode::NodeNotFound, format!("no node {p:?} in {scene}"))
                .with_hint("call get_scene_tree to see the node paths")
        }
        Error::NodeExists { parent, name } => ErrorBody::new(
            ErrorCode::NodeExists,
            format!("{parent} already has a child named {name:?}"),
        )
        .with_hint("choose another name, or edit the existing node with edit_node"),
        Error::InvalidName(_) => ErrorBody::new(ErrorCode::InvalidParams, e.to_string())
            .with_hint("node names may not be empty or contain . : @ / \" %"),
        Error::InvalidOperation(m) => ErrorBody::new(ErrorCode::InvalidOperation, m),
        Error::Syntax { .. } | Error::Invalid(_) => ErrorBody::new(
            ErrorCode::InvalidOperation,
            format!("{scene} cannot be read: {e}"),
        )
        .with_hint("fix the file, or open the project in the Godot editor"),
    }
}
