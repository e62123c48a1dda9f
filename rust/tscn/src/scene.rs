//! The typed model of a scene file: its node tree with paths, its resources,
//! and edits that keep the file valid for Godot.
//!
//! Node sections name their parent by path (`parent="A/B"`), so renaming or
//! moving a node rewrites its descendants' `parent`, the connections and
//! `[editable]` paths that name it. Ids stay unique, a `load_steps` (written
//! by older Godot versions) stays equal to the resource count plus one, and
//! new uids and ids take Godot's own forms.

use std::collections::HashSet;

use godot_mcp_protocol::listing::child_path;

use crate::document::{Document, Header, Section};
use crate::{Error, Value, ids};

/// A `.tscn` file.
#[derive(Debug, Clone)]
pub struct Scene {
    doc: Document,
}

/// One `[node]` section, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Index of the section in the document.
    pub section: usize,
    /// Path from the root; the root is `.`.
    pub path: String,
    pub name: String,
    /// `type=`; None for an instanced scene or a node inside one.
    pub class: Option<String>,
    /// The `res://` path of the scene this node instances.
    pub instance: Option<String>,
    pub groups: Vec<String>,
    /// `res://` path of an attached script file, or `<scene>::<id>` for a built-in one.
    pub script: Option<String>,
}

impl Node {
    /// True for nodes this scene owns: its own nodes and instanced scenes'
    /// roots, not overrides of nodes inside instances.
    pub fn is_owned(&self) -> bool {
        self.class.is_some() || self.instance.is_some() || self.path == "."
    }
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// Child path under `parent` (`.` is the root).
fn join(parent: &str, name: &str) -> String {
    let mut path = String::new();
    child_path(&mut path, Some(parent), name);
    path
}

/// True when `path` is `base` or below it.
fn within(path: &str, base: &str) -> bool {
    base == "."
        || path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Replaces the `from` prefix of `path` with `to`.
fn rebase(path: &str, from: &str, to: &str) -> String {
    if path == from {
        to.to_owned()
    } else {
        join(to, &path[from.len() + 1..])
    }
}

/// Checks a node name with the same rule as the live editor.
pub fn valid_node_name(name: &str) -> Result<String, Error> {
    godot_mcp_protocol::names::valid_node_name(name)
        .map_err(|_| Error::InvalidName(name.to_owned()))
}

impl Scene {
    /// Parses a scene file; the first section must be `[gd_scene]`.
    pub fn parse(text: &str) -> Result<Scene, Error> {
        let doc = Document::parse(text)?;
        match doc.sections().first() {
            Some(s) if s.tag() == "gd_scene" => {}
            _ => {
                return Err(Error::invalid(
                    "not a scene file: it must start with [gd_scene]",
                ));
            }
        }
        let scene = Scene { doc };
        if scene.root().is_none() {
            return Err(Error::invalid("the scene has no root [node] section"));
        }
        Ok(scene)
    }

    /// A new scene with one root node, as the editor would save it.
    pub fn new(root_class: &str, root_name: &str) -> Result<Scene, Error> {
        let name = valid_node_name(root_name)?;
        let header = Header::new("gd_scene")
            .with("format", Value::Int(3))
            .with("uid", Value::String(ids::new_uid()));
        let mut doc = Document::new(header);
        let root = Header::new("node")
            .with("name", string(&name))
            .with("type", string(root_class))
            .with("unique_id", Value::Int(ids::node_unique_id()));
        doc.insert_after(0, Section::new(root, Vec::new()), "\n\n");
        Ok(Scene { doc })
    }

    pub fn document(&self) -> &Document {
        &self.doc
    }

    pub fn write(&self) -> String {
        self.doc.write()
    }

    /// The scene's own `uid://`, if it has one.
    pub fn uid(&self) -> Option<&str> {
        self.doc.sections()[0].header().str("uid")
    }

    fn root(&self) -> Option<usize> {
        self.doc
            .sections()
            .iter()
            .position(|s| s.tag() == "node" && s.header().attr("parent").is_none())
    }

    /// Every node section, in file order.
    pub fn nodes(&self) -> Vec<Node> {
        self.doc
            .sections()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.tag() == "node")
            .map(|(i, s)| self.node_at(i, s))
            .collect()
    }

    fn node_at(&self, index: usize, s: &Section) -> Node {
        let h = s.header();
        let name = h.str("name").unwrap_or_default().to_owned();
        let path = match h.str("parent") {
            None => ".".to_owned(),
            Some(parent) => join(parent, &name),
        };
        let groups = match h.attr("groups") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let script = s.property("script").and_then(|v| {
            if let Some(id) = v.ext_resource() {
                self.ext_path(id).map(str::to_owned)
            } else {
                v.sub_resource().map(|id| format!("::{id}"))
            }
        });
        Node {
            section: index,
            path,
            name,
            class: h.str("type").map(str::to_owned),
            instance: h
                .attr("instance")
                .and_then(Value::ext_resource)
                .and_then(|id| self.ext_path(id))
                .map(str::to_owned),
            groups,
            script,
        }
    }

    /// The `res://` path of an ext_resource.
    pub fn ext_path(&self, id: &str) -> Option<&str> {
        self.sections_tagged("ext_resource")
            .find(|(_, s)| s.header().str("id") == Some(id))
            .and_then(|(_, s)| s.header().str("path"))
    }

    fn sections_tagged<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = (usize, &'a Section)> {
        self.doc
            .sections()
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.tag() == tag)
    }

    /// Finds a node by path: `.`, `Child/Grand`, or the same prefixed with
    /// the root's name (as the live editor accepts).
    pub fn find(&self, node_path: &str) -> Result<Node, Error> {
        let nodes = self.nodes();
        let root_name = nodes
            .iter()
            .find(|n| n.path == ".")
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let trimmed = node_path.trim().trim_start_matches("./");
        let wanted = if trimmed.is_empty() || trimmed == "." || trimmed == root_name {
            "."
        } else {
            match trimmed.strip_prefix(&format!("{root_name}/")) {
                Some(rest) if !nodes.iter().any(|n| n.path == trimmed) => rest,
                _ => trimmed,
            }
        };
        nodes
            .into_iter()
            .find(|n| n.path == wanted)
            .ok_or_else(|| Error::NodeNotFound(node_path.to_owned()))
    }

    /// A node's property as written in the file.
    pub fn property(&self, node: &Node, key: &str) -> Option<&Value> {
        self.doc.sections()[node.section].property(key)
    }

    /// Sets a property line on a node; only that line changes.
    pub fn set_property(&mut self, node_path: &str, key: &str, value: Value) -> Result<(), Error> {
        let node = self.find(node_path)?;
        self.doc.section_mut(node.section).set_property(key, value);
        Ok(())
    }

    /// Adds a node of `class` as the last child of `parent`.
    pub fn add_node(
        &mut self,
        parent: &str,
        name: &str,
        class: &str,
        properties: Vec<(String, Value)>,
    ) -> Result<Node, Error> {
        let parent = self.find(parent)?;
        let name = valid_node_name(name)?;
        let path = join(&parent.path, &name);
        let nodes = self.nodes();
        if nodes.iter().any(|n| n.path == path) {
            return Err(Error::NodeExists {
                parent: parent.path,
                name,
            });
        }
        let last_in_subtree = nodes
            .iter()
            .filter(|n| within(&n.path, &parent.path))
            .map(|n| n.section)
            .max()
            .unwrap_or(parent.section);
        let mut header = Header::new("node")
            .with("name", string(&name))
            .with("type", string(class))
            .with("parent", string(&parent.path));
        let numbered = self
            .sections_tagged("node")
            .any(|(_, s)| s.header().attr("unique_id").is_some());
        if numbered {
            header = header.with("unique_id", Value::Int(self.fresh_node_id()));
        }
        let at = self
            .doc
            .insert_after(last_in_subtree, Section::new(header, properties), "\n\n");
        let section = &self.doc.sections()[at];
        Ok(self.node_at(at, section))
    }

    fn fresh_node_id(&self) -> i64 {
        let used: HashSet<i64> = self
            .sections_tagged("node")
            .filter_map(|(_, s)| s.header().attr("unique_id").and_then(Value::as_int))
            .collect();
        loop {
            let id = ids::node_unique_id();
            if !used.contains(&id) {
                return id;
            }
        }
    }

    /// Removes a node, its descendants, the connections and `[editable]`
    /// entries naming them, and resources only they used. Returns how many
    /// nodes of this scene went.
    pub fn remove_node(&mut self, node_path: &str) -> Result<usize, Error> {
        let node = self.find(node_path)?;
        if node.path == "." {
            return Err(Error::InvalidOperation(
                "the scene root cannot be removed".into(),
            ));
        }
        let doomed_nodes: Vec<Node> = self
            .nodes()
            .into_iter()
            .filter(|n| within(&n.path, &node.path))
            .collect();
        let removed = doomed_nodes.iter().filter(|n| n.is_owned()).count();
        let mut doomed: Vec<usize> = doomed_nodes.iter().map(|n| n.section).collect();
        for (i, s) in self.doc.sections().iter().enumerate() {
            let names = |key: &str| s.header().str(key).is_some_and(|p| within(p, &node.path));
            let hit = match s.tag() {
                "connection" => names("from") || names("to"),
                "editable" => names("path"),
                _ => false,
            };
            if hit {
                doomed.push(i);
            }
        }
        let mut candidates = HashSet::new();
        for &i in &doomed {
            collect_refs(&self.doc.sections()[i], &mut candidates);
        }
        self.remove_sections(doomed);
        self.drop_unused(candidates);
        self.fix_load_steps();
        Ok(removed)
    }

    fn remove_sections(&mut self, mut indices: Vec<usize>) {
        indices.sort_unstable();
        indices.dedup();
        for i in indices.into_iter().rev() {
            self.doc.remove(i);
        }
    }

    /// Removes resources among `candidates` that nothing references any more.
    fn drop_unused(&mut self, mut candidates: HashSet<Ref>) {
        loop {
            let mut used = HashSet::new();
            for s in self.doc.sections() {
                collect_refs(s, &mut used);
            }
            let unused: Vec<usize> = self
                .doc
                .sections()
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    resource_ref(s).is_some_and(|r| candidates.contains(&r) && !used.contains(&r))
                })
                .map(|(i, _)| i)
                .collect();
            if unused.is_empty() {
                return;
            }
            for &i in &unused {
                let s = &self.doc.sections()[i];
                if let Some(r) = resource_ref(s) {
                    candidates.remove(&r);
                }
                collect_refs(s, &mut candidates);
            }
            self.remove_sections(unused);
        }
    }

    /// Renames a node, rewriting every path that names it or its descendants.
    pub fn rename_node(&mut self, node_path: &str, new_name: &str) -> Result<String, Error> {
        let node = self.find(node_path)?;
        let name = valid_node_name(new_name)?;
        let new_path = match self.doc.sections()[node.section].header().str("parent") {
            None => {
                self.doc
                    .section_mut(node.section)
                    .set_attr("name", string(&name));
                return Ok(".".into());
            }
            Some(parent) => join(parent, &name),
        };
        if new_path != node.path && self.nodes().iter().any(|n| n.path == new_path) {
            return Err(Error::NodeExists {
                parent: new_path,
                name,
            });
        }
        self.doc
            .section_mut(node.section)
            .set_attr("name", string(&name));
        self.rewrite_paths(&node.path, &new_path, node.section);
        Ok(new_path)
    }

    /// Moves a node (with its subtree) to be the last child of `new_parent`.
    pub fn reparent_node(&mut self, node_path: &str, new_parent: &str) -> Result<String, Error> {
        let node = self.find(node_path)?;
        let parent = self.find(new_parent)?;
        if node.path == "." || within(&parent.path, &node.path) {
            return Err(Error::InvalidOperation(format!(
                "cannot move {:?} under {:?}",
                node.path, parent.path
            )));
        }
        let new_path = join(&parent.path, &node.name);
        if self.nodes().iter().any(|n| n.path == new_path) {
            return Err(Error::NodeExists {
                parent: parent.path,
                name: node.name,
            });
        }
        let moving: Vec<usize> = self
            .nodes()
            .iter()
            .filter(|n| within(&n.path, &node.path))
            .map(|n| n.section)
            .collect();
        let section = self.doc.section_mut(node.section);
        section.set_attr("parent", string(&parent.path));
        section.remove_attr("index");
        self.rewrite_paths(&node.path, &new_path, node.section);
        // Take the subtree out, then put it back after the new parent's subtree.
        let mut taken = Vec::new();
        for &i in moving.iter().rev() {
            taken.push(self.doc.remove(i));
        }
        taken.reverse();
        let parent_now = self.find(&parent.path)?;
        let mut at = self
            .nodes()
            .iter()
            .filter(|n| within(&n.path, &parent_now.path))
            .map(|n| n.section)
            .max()
            .unwrap_or(parent_now.section);
        for s in taken {
            at = self.doc.insert_after(at, s, "\n\n");
        }
        Ok(new_path)
    }

    /// After `old` became `new`: descendants' `parent=`, connection ends and
    /// `[editable]` paths. `skip` is the moved node's own section.
    fn rewrite_paths(&mut self, old: &str, new: &str, skip: usize) {
        let count = self.doc.sections().len();
        for i in (0..count).filter(|i| *i != skip) {
            let keys: &[&str] = match self.doc.sections()[i].tag() {
                "node" => &["parent"],
                "connection" => &["from", "to"],
                "editable" => &["path"],
                _ => &[],
            };
            for key in keys {
                let current = self.doc.sections()[i].header().str(key).map(str::to_owned);
                if let Some(p) = current.filter(|p| p != "." && within(p, old)) {
                    self.doc
                        .section_mut(i)
                        .set_attr(key, string(&rebase(&p, old, new)));
                }
            }
        }
    }

    /// The id of the ext_resource for `path`, adding one if there is none.
    pub fn ext_resource(&mut self, class: &str, path: &str, uid: Option<&str>) -> String {
        if let Some((_, s)) = self
            .sections_tagged("ext_resource")
            .find(|(_, s)| s.header().str("path") == Some(path))
        {
            return s.header().str("id").unwrap_or_default().to_owned();
        }
        let existing: Vec<(usize, String)> = self
            .sections_tagged("ext_resource")
            .map(|(i, s)| (i, s.header().str("id").unwrap_or_default().to_owned()))
            .collect();
        let next = existing
            .iter()
            .filter_map(|(_, id)| id.split('_').next()?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let id = loop {
            let id = format!("{next}_{}", ids::scene_unique_id());
            if !existing.iter().any(|(_, e)| *e == id) {
                break id;
            }
        };
        let mut header = Header::new("ext_resource").with("type", string(class));
        if let Some(uid) = uid {
            header = header.with("uid", string(uid));
        }
        header = header.with("path", string(path)).with("id", string(&id));
        let (after, gap) = match existing.last() {
            Some((i, _)) => (*i, "\n"),
            None => (0, "\n\n"),
        };
        self.doc
            .insert_after(after, Section::new(header, Vec::new()), gap);
        self.fix_load_steps();
        id
    }

    /// Adds a `[sub_resource]` of `class` with `properties`, after the last
    /// resource section, and returns its id.
    pub fn sub_resource(&mut self, class: &str, properties: Vec<(String, Value)>) -> String {
        let resources: Vec<(usize, String)> = self
            .doc
            .sections()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.tag() == "ext_resource" || s.tag() == "sub_resource")
            .map(|(i, s)| (i, s.header().str("id").unwrap_or_default().to_owned()))
            .collect();
        let id = loop {
            let id = format!("{class}_{}", ids::scene_unique_id());
            if !resources.iter().any(|(_, e)| *e == id) {
                break id;
            }
        };
        let header = Header::new("sub_resource")
            .with("type", string(class))
            .with("id", string(&id));
        let after = resources.last().map_or(0, |(i, _)| *i);
        self.doc
            .insert_after(after, Section::new(header, properties), "\n\n");
        self.fix_load_steps();
        id
    }

    /// Keeps `load_steps`, where a file has it, equal to resources + 1.
    fn fix_load_steps(&mut self) {
        if self.doc.sections()[0].header().attr("load_steps").is_none() {
            return;
        }
        let resources = self
            .doc
            .sections()
            .iter()
            .filter(|s| s.tag() == "ext_resource" || s.tag() == "sub_resource")
            .count();
        self.doc
            .section_mut(0)
            .set_attr("load_steps", Value::Int(resources as i64 + 1));
    }
}

/// A reference to an ext_resource or sub_resource by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ref {
    Ext(String),
    Sub(String),
}

fn resource_ref(s: &Section) -> Option<Ref> {
    let id = s.header().str("id")?.to_owned();
    match s.tag() {
        "ext_resource" => Some(Ref::Ext(id)),
        "sub_resource" => Some(Ref::Sub(id)),
        _ => None,
    }
}

fn collect_refs(s: &Section, out: &mut HashSet<Ref>) {
    let mut visit = |v: &Value| {
        if let Some(id) = v.ext_resource() {
            out.insert(Ref::Ext(id.to_owned()));
        } else if let Some(id) = v.sub_resource() {
            out.insert(Ref::Sub(id.to_owned()));
        }
    };
    for (_, v) in &s.header().attrs {
        v.walk(&mut visit);
    }
    for e in s.entries() {
        e.value().walk(&mut visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = include_str!("../../../godot_project/scenes/main.tscn");

    #[test]
    fn tree_and_paths() {
        let scene = Scene::parse(MAIN).unwrap();
        let paths: Vec<String> = scene.nodes().into_iter().map(|n| n.path).collect();
        assert_eq!(
            paths,
            [".", "Background", "Player", "Coin", "Coin/Shape", "Label"]
        );
        let coin = scene.find("Main/Coin").unwrap();
        assert_eq!(coin.script.as_deref(), Some("res://scripts/coin.gd"));
        assert_eq!(coin.groups, ["pickups"]);
        let player = scene.find("Player").unwrap();
        assert_eq!(player.instance.as_deref(), Some("res://scenes/player.tscn"));
        assert!(scene.find("Nope").is_err());
    }

    #[test]
    fn add_then_remove_restores_the_file() {
        let mut scene = Scene::parse(MAIN).unwrap();
        scene
            .add_node(
                "Coin",
                "Glow",
                "PointLight2D",
                vec![("energy".into(), Value::Float(2.0))],
            )
            .unwrap();
        let text = scene.write();
        assert!(
            text.contains("shape = SubResource(\"CircleShape2D_coin\")\n\n[node name=\"Glow\" type=\"PointLight2D\" parent=\"Coin\"]\nenergy = 2.0\n\n[node name=\"Label\""),
            "{text}"
        );
        let mut again = Scene::parse(&text).unwrap();
        assert!(matches!(
            again.add_node(".", "Coin", "Node", vec![]),
            Err(Error::NodeExists { .. })
        ));
        assert_eq!(again.remove_node("Coin/Glow").unwrap(), 1);
        assert_eq!(again.write(), MAIN);
    }

    #[test]
    fn removing_drops_connections_and_unused_resources() {
        let mut scene = Scene::parse(MAIN).unwrap();
        assert_eq!(scene.remove_node("Coin").unwrap(), 2);
        let text = scene.write();
        assert!(!text.contains("[connection"), "{text}");
        assert!(!text.contains("CircleShape2D"), "{text}");
        assert!(!text.contains("coin.gd"), "{text}");
        assert!(text.contains("[gd_scene load_steps=2 format=3]"), "{text}");
        assert!(text.ends_with("text = \"Collect the coin\"\n"), "{text}");
        Scene::parse(&text).unwrap();
        assert!(scene.remove_node(".").is_err());
    }

    #[test]
    fn rename_and_reparent_rewrite_paths() {
        let mut scene = Scene::parse(MAIN).unwrap();
        assert_eq!(scene.rename_node("Coin", "Gem").unwrap(), "Gem");
        let text = scene.write();
        assert!(text.contains("parent=\"Gem\""), "{text}");
        assert!(text.contains("from=\"Gem\" to=\"Gem\""), "{text}");
        assert_eq!(
            scene.reparent_node("Gem", "Background").unwrap(),
            "Background/Gem"
        );
        let paths: Vec<String> = scene.nodes().into_iter().map(|n| n.path).collect();
        assert_eq!(
            paths,
            [
                ".",
                "Background",
                "Background/Gem",
                "Background/Gem/Shape",
                "Player",
                "Label"
            ]
        );
        assert!(scene.reparent_node("Background", "Background/Gem").is_err());
    }

    #[test]
    fn new_scenes_and_resources() {
        let mut scene = Scene::new("Node2D", "Level").unwrap();
        let uid = scene.uid().unwrap().to_owned();
        assert!(ids::uid_from_text(&uid).is_some());
        let id = scene.ext_resource("Script", "res://a.gd", None);
        assert!(id.starts_with("1_") && id.len() == 7, "{id}");
        assert_eq!(scene.ext_resource("Script", "res://a.gd", None), id);
        let second = scene.ext_resource("Texture2D", "res://b.png", Some("uid://abc"));
        assert!(second.starts_with("2_"));
        scene.add_node(".", "Hero", "Sprite2D", vec![]).unwrap();
        let text = scene.write();
        let expected_start = format!(
            "[gd_scene format=3 uid=\"{uid}\"]\n\n[ext_resource type=\"Script\" path=\"res://a.gd\" id=\"{id}\"]\n[ext_resource type=\"Texture2D\" uid=\"uid://abc\" path=\"res://b.png\" id=\"{second}\"]\n\n[node name=\"Level\" type=\"Node2D\" unique_id="
        );
        assert!(text.starts_with(&expected_start), "{text}");
        assert!(text.contains("[node name=\"Hero\" type=\"Sprite2D\" parent=\".\" unique_id="));
        assert!(Scene::parse("[gd_resource]\n").is_err());
    }

    #[test]
    fn sub_resources_follow_the_resources() {
        let mut scene = Scene::new("Node2D", "Level").unwrap();
        let ext = scene.ext_resource("Script", "res://a.gd", None);
        let sub = scene.sub_resource("CircleShape2D", vec![("radius".into(), Value::Float(8.0))]);
        assert!(sub.starts_with("CircleShape2D_"), "{sub}");
        scene
            .set_property(
                ".",
                "shape",
                Value::Call("SubResource".into(), vec![Value::String(sub.clone())]),
            )
            .unwrap();
        let text = scene.write();
        let expected = format!(
            "[ext_resource type=\"Script\" path=\"res://a.gd\" id=\"{ext}\"]\n\n[sub_resource type=\"CircleShape2D\" id=\"{sub}\"]\nradius = 8.0\n\n[node name=\"Level\""
        );
        assert!(text.contains(&expected), "{text}");
        let reparsed = Scene::parse(&text).unwrap();
        assert_eq!(reparsed.write(), text);
    }
}
