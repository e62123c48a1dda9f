//! Lists a scene's tree in time slices, so a scene of tens of thousands of
//! nodes is answered over several frames instead of stalling one. Each
//! node's record is read into one reused [`NodeInfo`] with [`NodeCalls`] and
//! written out at once by a [`TreeWriter`].

use std::time::{Duration, Instant};

use godot::classes::{Node, Script};
use godot::prelude::*;
use godot_mcp_protocol::commands::NodeInfo;
use godot_mcp_protocol::commands::scene::{SceneTree, TreeRoot};
use godot_mcp_protocol::listing::{TreeWriter, child_path};
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::node::visible_groups;
use super::node_calls::{NodeCalls, RawNode};
use crate::saved::{self, Saved};

/// Nodes visited between looks at the clock.
const CHECK_EVERY: usize = 64;

/// The listing's first buffer: most scenes fit.
const FIRST_BUFFER: usize = 16 << 10;

struct Pending {
    /// Read only after `id` is found to still name it.
    node: RawNode,
    id: u64,
    depth: u32,
    /// False for nodes only counted (deeper than `max_depth`).
    listed: bool,
}

pub struct TreeWalk {
    root: Gd<Node>,
    /// The root's pointer, to compare owners with; valid while `root` is.
    root_node: RawNode,
    calls: NodeCalls,
    scene_path: String,
    max_depth: u32,
    /// What the scene saves, when properties are listed.
    saved: Option<Saved>,
    stack: Vec<Pending>,
    out: TreeWriter,
    /// The record read for each node, reused.
    record: NodeInfo,
    count: usize,
}

impl TreeWalk {
    pub fn new(
        root: Gd<Node>,
        scene_path: String,
        max_depth: u32,
        properties: bool,
    ) -> Result<Self, ErrorBody> {
        let calls = NodeCalls::new()?;
        let root_node = RawNode::of(&root);
        Ok(Self {
            stack: vec![Pending {
                node: root_node,
                id: root.instance_id().to_i64() as u64,
                depth: 0,
                listed: true,
            }],
            saved: properties.then(|| Saved::of_scene(&root)),
            root_node,
            calls,
            root,
            scene_path,
            max_depth,
            out: TreeWriter::with_capacity(FIRST_BUFFER),
            record: NodeInfo::default(),
            count: 0,
        })
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
        let mut visited = 0usize;
        while let Some(p) = self.stack.pop() {
            // A node freed since it was queued (in an earlier frame, or by
            // a tool script reading a property) is simply gone.
            if !self.calls.is_alive(p.node, p.id) {
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
        let children = self.queue_children(p.node, p.depth + 1, expand);
        if !p.listed {
            return Ok(());
        }
        let depth = p.depth as usize;
        let calls = &self.calls;
        let record = &mut self.record;
        // SAFETY (every call on `p.node`): `step` has just found it alive,
        // and these getters run no script that could free it; properties,
        // which may, are read last and through a checked `Gd`.
        let name = unsafe { calls.name(p.node) };
        record.name.clear();
        record.name.extend(name.chars());
        child_path(&mut record.path, self.out.start(depth), &record.name);
        record.class.clear();
        record.class.extend(unsafe { calls.class(p.node) }.chars());
        // Only an instanced scene's root (never the scene's own root) names a file.
        record.instance = (depth > 0)
            .then(|| unsafe { calls.scene_file_path(p.node) })
            .filter(|path| !path.is_empty())
            .map(|path| path.to_string());
        let script = unsafe { calls.script(p.node) };
        record.script = None;
        // Most nodes have none: skip the conversion's error.
        if !script.is_nil()
            && let Ok(script) = script.try_to::<Gd<Script>>()
        {
            let path = script.get_path().to_string();
            record.script = (!path.is_empty()).then_some(path);
        }
        let groups = unsafe { calls.groups(p.node) };
        record.groups.clear();
        if !groups.is_empty() {
            record.groups.extend(visible_groups(&groups));
        }
        // Alive (see above), but read through a checked `Gd`: reading
        // properties may run a tool script.
        record.properties = self.saved.as_ref().and_then(|saved| {
            let node = Gd::<Node>::try_from_instance_id(InstanceId::from_i64(p.id as i64)).ok()?;
            Some(saved::changed(&node, saved.names(&record.path)))
        });
        record.hidden_children = if expand { 0 } else { children };
        self.out
            .write(depth, record, expand && children > 0)
            .map_err(|e| cannot_encode(&record.path, e))
    }

    /// Queues the children the scene owns so they pop in order; returns
    /// how many.
    fn queue_children(&mut self, node: RawNode, depth: u32, listed: bool) -> usize {
        let before = self.stack.len();
        let root = self.root_node;
        let calls = &self.calls;
        // SAFETY: `node` is alive (see `visit`), and each child is alive
        // from when it is returned until it is queued: nothing runs between.
        unsafe {
            for i in (0..calls.child_count(node)).rev() {
                let child = calls.child(node, i);
                if child.is_null() || calls.owner(child) != root {
                    continue;
                }
                self.stack.push(Pending {
                    node: child,
                    id: calls.id(child),
                    depth,
                    listed,
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
