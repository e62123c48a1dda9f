//! Offline scenes: create, open, save and list them from their files.

use godot_mcp_protocol::ErrorBody;
use godot_mcp_protocol::ErrorCode;
use godot_mcp_protocol::commands::scene::*;
use godot_mcp_protocol::commands::{NodeInfo, Properties};
use godot_mcp_protocol::names::pascal_case;
use godot_mcp_tscn::convert::to_live_json;
use godot_mcp_tscn::inspector::{self, Area};
use godot_mcp_tscn::{ClassDb, Error, Scene, Value};

use super::nodes::check_node_class;
use super::{Node, Project, scene_error};

impl Project {
    pub(super) fn get_scene_tree(&mut self, p: GetSceneTree) -> Result<SceneTree, ErrorBody> {
        let path = self.scene_path(p.scene_path.as_deref())?;
        let scene = self.load(&path)?;
        let nodes: Vec<Node> = scene.nodes().into_iter().filter(|n| n.is_owned()).collect();
        let viewport = viewport_size(&self.root);
        let options = TreeOptions {
            max_depth: p.max_depth.unwrap_or(u32::MAX),
            properties: p.include_properties,
            viewport,
        };
        let root = nodes
            .iter()
            .find(|n| n.path == ".")
            .ok_or_else(|| scene_error(&path, Error::NodeNotFound(".".into())))?;
        let mut count = 0;
        let area = Area::Size(viewport);
        let info = self.node_info(&scene, &path, &nodes, (root, area), 0, &options, &mut count);
        Ok(SceneTree {
            scene_path: path,
            node_count: count,
            root: info.into(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn node_info(
        &self,
        scene: &Scene,
        scene_path: &str,
        nodes: &[Node],
        (node, area): (&Node, Area),
        depth: u32,
        options: &TreeOptions,
        count: &mut usize,
    ) -> NodeInfo {
        *count += 1;
        let class = self.class_of(node);
        let entries: Vec<(String, Value)> = scene.document().sections()[node.section]
            .entries()
            .iter()
            .map(|e| (e.key().to_owned(), e.value().clone()))
            .collect();
        let db = ClassDb::get();
        let inner = inspector::area_for_children(db, &class, &entries, area, options.viewport);
        let children: Vec<&Node> = nodes
            .iter()
            .filter(|c| c.path != "." && parent_of(&c.path) == node.path)
            .collect();
        let (listed, hidden) = if depth < options.max_depth {
            let listed = children
                .iter()
                .map(|c| {
                    self.node_info(
                        scene,
                        scene_path,
                        nodes,
                        (c, inner),
                        depth + 1,
                        options,
                        count,
                    )
                })
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
            inspector::shown(db, &class, &entries, area)
                .iter()
                .map(|(name, value)| (name.clone(), to_live_json(value, scene)))
                .collect::<Properties>()
        });
        NodeInfo {
            name: node.name.clone(),
            class,
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
    pub(super) fn instanced_root(&self, res_path: &str, depth: usize) -> Option<Node> {
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

    pub(super) fn class_of(&self, node: &Node) -> String {
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

    pub(super) fn open_scene(&mut self, p: OpenScene) -> Result<SceneOpened, ErrorBody> {
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

    pub(super) fn create_scene(&mut self, p: CreateScene) -> Result<SceneCreated, ErrorBody> {
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
            Some(name) => name.into(),
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

    pub(super) fn save_scene(&mut self, p: SaveScene) -> Result<SceneSaved, ErrorBody> {
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
}

struct TreeOptions {
    max_depth: u32,
    properties: bool,
    viewport: [f64; 2],
}

/// The project's viewport size (`display/window/size/viewport_*`), which
/// the editor lays a scene's top controls out in.
fn viewport_size(project: &std::path::Path) -> [f64; 2] {
    let text = std::fs::read_to_string(project.join("project.godot")).unwrap_or_default();
    let mut size = inspector::DEFAULT_VIEWPORT;
    let mut section = "";
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
        } else if section == "display"
            && let Some((key, value)) = line.split_once('=')
            && let Ok(n) = value.trim().parse::<f64>()
        {
            match key.trim() {
                "window/size/viewport_width" => size[0] = n,
                "window/size/viewport_height" => size[1] = n,
                _ => {}
            }
        }
    }
    size
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(p, _)| p)
}
