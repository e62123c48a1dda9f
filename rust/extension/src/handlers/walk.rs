//! Lists a scene's tree in time slices, so a scene of tens of thousands of
//! nodes is answered over several frames instead of stalling one. Each
//! node's record is read into one reused [`NodeInfo`] and written out at
//! once by a [`TreeWriter`].

use std::time::{Duration, Instant};

use godot::classes::Node;
use godot::prelude::*;
use godot_mcp_protocol::commands::NodeInfo;
use godot_mcp_protocol::commands::scene::{SceneTree, TreeRoot};
use godot_mcp_protocol::listing::{TreeWriter, child_path};
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::node::visible_groups;
use crate::saved::{self, Saved};

/// Nodes visited between looks at the clock.
const CHECK_EVERY: usize = 64;

/// The listing's first buffer: most scenes fit.
const FIRST_BUFFER: usize = 16 << 10;

struct Pending {
    node: Gd<Node>,
    depth: u32,
    /// False for nodes only counted (deeper than `max_depth`).
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
    out: TreeWriter,
    /// The record read for each node, reused.
    record: NodeInfo,
    count: usize,
    slice: u32,
}

impl TreeWalk {
    pub fn new(root: Gd<Node>, scene_path: String, max_depth: u32, properties: bool) -> Self {
        Self {
            stack: vec![Pending {
                node: root.clone(),
                depth: 0,
                listed: true,
                slice: 0,
            }],
            saved: properties.then(|| Saved::of_scene(&root)),
            root,
            scene_path,
            max_depth,
            out: TreeWriter::with_capacity(FIRST_BUFFER),
            record: NodeInfo::default(),
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
            self.visit(p)?;
            visited += 1;
            if visited.is_multiple_of(CHECK_EVERY) && start.elapsed() >= slice {
                return Ok(self.stack.is_empty());
            }
        }
        Ok(true)
    }

    fn visit(&mut self, p: Pending) -> Result<(), ErrorBody> {
        self.count += 1;
        let expand = p.listed && p.depth < self.max_depth;
        let children = self.queue_children(&p.node, p.depth + 1, expand);
        if !p.listed {
            return Ok(());
        }
        let depth = p.depth as usize;
        let node = &p.node;
        let record = &mut self.record;
        record.name.clear();
        record.name.extend(node.get_name().chars());
        child_path(&mut record.path, self.out.start(depth), &record.name);
        record.class.clear();
        record.class.extend(node.get_class().chars());
        // Only an instanced scene's root (never the scene's own root) names a file.
        record.instance = (depth > 0)
            .then(|| node.get_scene_file_path())
            .filter(|path| !path.is_empty())
            .map(|path| path.to_string());
        record.script = node
            .get_script()
            .map(|s| s.get_path().to_string())
            .filter(|p| !p.is_empty());
        record.groups = visible_groups(node);
        record.properties = self
            .saved
            .as_ref()
            .map(|saved| saved::changed(node, saved.names(&record.path)));
        record.hidden_children = if expand { 0 } else { children };
        self.out
            .write(depth, record, expand && children > 0)
            .map_err(|e| cannot_encode(&record.path, e))
    }

    /// Queues the children the scene owns so they pop in order; returns
    /// how many.
    fn queue_children(&mut self, node: &Gd<Node>, depth: u32, listed: bool) -> usize {
        let before = self.stack.len();
        for i in (0..node.get_child_count()).rev() {
            let Some(child) = node.get_child(i) else {
                continue;
            };
            if child.get_owner().as_ref() == Some(&self.root) {
                self.stack.push(Pending {
                    node: child,
                    depth,
                    listed,
                    slice: self.slice,
                });
            }
        }
        self.stack.len() - before
    }

    /// The whole listing.
    pub fn finish(self) -> Result<SceneTree, ErrorBody> {
        let root = self
            .out
            .finish()
            .map_err(|e| cannot_encode(&self.scene_path, e))?;
        Ok(SceneTree {
            scene_path: self.scene_path,
            node_count: self.count,
            root: TreeRoot::Encoded(root),
        })
    }
}

fn cannot_encode(what: &str, e: serde_json::Error) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::InternalError,
        format!("cannot encode the listing of {what}: {e}"),
    )
    .with_hint("this is a godot-mcp bug worth reporting")
}
