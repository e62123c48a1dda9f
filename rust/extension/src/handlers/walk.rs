//! Lists a scene's tree in time slices, so a scene of tens of thousands of
//! nodes is answered over several frames instead of stalling one.

use std::time::{Duration, Instant};

use godot::classes::Node;
use godot::prelude::*;
use godot_mcp_protocol::commands::NodeInfo;
use godot_mcp_protocol::commands::scene::SceneTree;
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::node::{scene_children, visible_groups};
use crate::saved::{self, Saved};

/// Godot's characters as a Rust string. `to_string` goes through
/// `Display`, a character at a time, and takes twice as long; with a name
/// and a class per node, that is a tenth of a big tree's listing.
fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

/// Nodes visited between looks at the clock.
const CHECK_EVERY: usize = 64;

struct Pending {
    node: Gd<Node>,
    /// Index of the parent's entry; `None` for the root and for nodes only
    /// counted (deeper than `max_depth`).
    parent: Option<usize>,
    depth: u32,
    listed: bool,
    /// The slice that queued it: nodes queued in an earlier frame may have
    /// been freed since.
    slice: u32,
}

pub struct TreeWalk {
    root: Gd<Node>,
    scene_path: String,
    max_depth: u32,
    /// What the scene saves, when properties are listed.
    saved: Option<Saved>,
    stack: Vec<Pending>,
    /// Listed nodes in pre-order, each with its parent's index.
    entries: Vec<(Option<usize>, NodeInfo)>,
    count: usize,
    slice: u32,
}

impl TreeWalk {
    pub fn new(root: Gd<Node>, scene_path: String, max_depth: u32, properties: bool) -> Self {
        Self {
            stack: vec![Pending {
                node: root.clone(),
                parent: None,
                depth: 0,
                listed: true,
                slice: 0,
            }],
            saved: properties.then(|| Saved::of_scene(&root)),
            root,
            scene_path,
            max_depth,
            entries: Vec::new(),
            count: 0,
            slice: 0,
        }
    }

    /// Walks for about `slice`; true when the whole tree is done.
    pub fn step(&mut self, slice: Duration) -> Result<bool, ErrorBody> {
        if !self.root.is_instance_valid() {
            return Err(ErrorBody::new(
                ErrorCode::InvalidOperation,
                format!("{} was closed while its tree was listed", self.scene_path),
            )
            .with_hint("open the scene and call get_scene_tree again"));
        }
        let start = Instant::now();
        self.slice += 1;
        let mut visited = 0usize;
        while let Some(p) = self.stack.pop() {
            // A node freed since an earlier frame queued it is simply gone;
            // nothing runs between the calls of one slice.
            if p.slice != self.slice && !p.node.is_instance_valid() {
                continue;
            }
            self.visit(p);
            visited += 1;
            if visited.is_multiple_of(CHECK_EVERY) && start.elapsed() >= slice {
                return Ok(self.stack.is_empty());
            }
        }
        Ok(true)
    }

    fn visit(&mut self, p: Pending) {
        self.count += 1;
        let children = scene_children(&self.root, &p.node);
        if !p.listed {
            self.queue(children, None, p.depth + 1, false);
            return;
        }
        let expand = p.depth < self.max_depth;
        let node = &p.node;
        let name = text(node.get_name().chars());
        let path = match p.parent {
            None => ".".to_owned(),
            Some(i) => match self.entries[i].1.path.as_str() {
                "." => name.clone(),
                parent => {
                    let mut path = String::with_capacity(parent.len() + 1 + name.len());
                    path.push_str(parent);
                    path.push('/');
                    path.push_str(&name);
                    path
                }
            },
        };
        let class = text(node.get_class().chars());
        // Only an instanced scene's root (never the scene's own root) names a file.
        let instance = p
            .parent
            .map(|_| node.get_scene_file_path())
            .filter(|path| !path.is_empty())
            .map(|path| path.to_string());
        let script = node
            .get_script()
            .map(|s| s.get_path().to_string())
            .filter(|p| !p.is_empty());
        let groups = visible_groups(node);
        let properties = self
            .saved
            .as_ref()
            .map(|saved| saved::changed(node, saved.names(&path)));
        let info = NodeInfo {
            name,
            class,
            path,
            script,
            instance,
            groups,
            properties,
            children: Vec::new(),
            hidden_children: if expand { 0 } else { children.len() },
        };
        self.entries.push((p.parent, info));
        let index = self.entries.len() - 1;
        self.queue(children, expand.then_some(index), p.depth + 1, expand);
    }

    /// Queues children so they pop in order.
    fn queue(&mut self, children: Vec<Gd<Node>>, parent: Option<usize>, depth: u32, listed: bool) {
        let slice = self.slice;
        self.stack
            .extend(children.into_iter().rev().map(|node| Pending {
                node,
                parent,
                depth,
                listed,
                slice,
            }));
    }

    /// Listed nodes so far.
    pub fn listed(&self) -> usize {
        self.entries.len()
    }

    /// Nests the listed nodes under their parents.
    pub fn finish(self) -> SceneTree {
        let (parents, infos): (Vec<_>, Vec<_>) = self.entries.into_iter().unzip();
        let mut nodes: Vec<Option<NodeInfo>> = infos.into_iter().map(Some).collect();
        // Children come after their parents; going backwards, each node is
        // complete when it is moved into its parent.
        for i in (1..nodes.len()).rev() {
            let (Some(mut node), Some(parent)) = (nodes[i].take(), parents[i]) else {
                continue;
            };
            node.children.reverse();
            if let Some(Some(p)) = nodes.get_mut(parent) {
                p.children.push(node);
            }
        }
        let mut root = nodes.first_mut().and_then(Option::take).unwrap_or_default();
        root.children.reverse();
        SceneTree {
            scene_path: self.scene_path,
            node_count: self.count,
            root,
        }
    }
}
