//! Writes a scene tree listing node by node, as a walk meets the nodes.
//!
//! The editor lists big trees: building a [`NodeInfo`] per node, nesting
//! them, then encoding and freeing them all cost more than walking the tree.
//! A [`TreeWriter`] takes the nodes in pre-order instead, one reused record
//! at a time, and writes exactly the JSON the nested records encode to.

use serde_json::value::RawValue;

use crate::commands::NodeInfo;

/// A listed node whose children are being written.
#[derive(Default)]
struct Open {
    path: String,
    /// Whether a child has been written (the next one needs a comma).
    written: bool,
}

/// The JSON of a tree listing, written in pre-order.
#[derive(Default)]
pub struct TreeWriter {
    json: Vec<u8>,
    /// The nodes on the path to the last one written whose children follow:
    /// `open[d]` is at depth `d`. Only the first `depth` are open; the rest
    /// keep their buffers for reuse.
    open: Vec<Open>,
    depth: usize,
}

impl TreeWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            json: Vec::with_capacity(bytes),
            ..Self::default()
        }
    }

    /// Starts the node at `depth` (the root is 0) and returns its parent's
    /// path, `None` for the root. In pre-order, every open node at this
    /// depth or deeper is complete, and the one left open above is the parent.
    pub fn start(&mut self, depth: usize) -> Option<&str> {
        while self.depth > depth {
            self.close();
        }
        let parent = depth.checked_sub(1).filter(|&d| d < self.depth)?;
        let open = &mut self.open[parent];
        if std::mem::replace(&mut open.written, true) {
            self.json.push(b',');
        }
        Some(&open.path)
    }

    /// Writes the node [`start`](Self::start)ed at `depth` from `record`,
    /// whose `children` are ignored: with `children` true its children
    /// follow, started at `depth + 1`.
    pub fn write(
        &mut self,
        depth: usize,
        record: &NodeInfo,
        children: bool,
    ) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut self.json, record)?;
        if !children {
            return Ok(());
        }
        // The record's closing brace waits for the children.
        self.json.pop();
        self.json.extend_from_slice(b",\"children\":[");
        if self.open.len() <= depth {
            self.open.resize_with(depth + 1, Open::default);
        }
        let open = &mut self.open[depth];
        open.path.clear();
        open.path.push_str(&record.path);
        open.written = false;
        self.depth = depth + 1;
        Ok(())
    }

    fn close(&mut self) {
        self.json.extend_from_slice(b"]}");
        self.depth -= 1;
    }

    /// The root's JSON, with every node closed.
    pub fn finish(mut self) -> Result<Box<RawValue>, serde_json::Error> {
        while self.depth > 0 {
            self.close();
        }
        // Checked, not trusted: a wrong listing must fail here, not in a client.
        let json = String::from_utf8(self.json).map_err(serde::ser::Error::custom)?;
        RawValue::from_string(json)
    }
}

/// The path of a node named `name` under the node at `parent` (`None` for
/// the root, whose path is `.`): the one rule for scene-relative paths.
pub fn child_path(out: &mut String, parent: Option<&str>, name: &str) {
    out.clear();
    match parent {
        None => out.push('.'),
        Some(".") => out.push_str(name),
        Some(parent) => {
            out.push_str(parent);
            out.push('/');
            out.push_str(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// Writes `node` and its descendants as a walk would.
    fn walk(w: &mut TreeWriter, node: &NodeInfo, depth: usize) {
        let mut path = String::new();
        child_path(&mut path, w.start(depth), &node.name);
        let record = NodeInfo {
            path,
            children: Vec::new(),
            ..node.clone()
        };
        w.write(depth, &record, !node.children.is_empty()).unwrap();
        for child in &node.children {
            walk(w, child, depth + 1);
        }
    }

    /// A tree with paths as a walk builds them.
    fn with_paths(mut node: NodeInfo, parent: Option<&str>) -> NodeInfo {
        child_path(&mut node.path, parent, &node.name.clone());
        let path = node.path.clone();
        node.children = node
            .children
            .into_iter()
            .map(|c| with_paths(c, Some(&path)))
            .collect();
        node
    }

    fn written(tree: &NodeInfo) -> String {
        let mut w = TreeWriter::default();
        walk(&mut w, tree, 0);
        w.finish().unwrap().get().to_owned()
    }

    fn node() -> impl Strategy<Value = NodeInfo> {
        let leaf = (
            "[a-zA-Z0-9_\" \\\\é]{1,6}",
            prop::sample::select(vec!["Node", "Node2D", "Label"]),
            prop::option::of("res://[a-z]{1,4}\\.gd"),
            prop::collection::vec("[a-z]{1,3}", 0..2),
            0usize..3,
        )
            .prop_map(|(name, class, script, groups, hidden)| NodeInfo {
                name,
                class: class.into(),
                script,
                groups,
                hidden_children: hidden,
                ..NodeInfo::default()
            });
        leaf.prop_recursive(4, 40, 5, |inner| {
            (inner.clone(), prop::collection::vec(inner, 0..5)).prop_map(|(mut n, children)| {
                n.hidden_children = 0;
                n.children = children;
                n
            })
        })
    }

    proptest! {
        #[test]
        fn written_as_the_nested_records_encode(tree in node()) {
            let tree = with_paths(tree, None);
            prop_assert_eq!(written(&tree), serde_json::to_string(&tree).unwrap());
        }
    }

    #[test]
    fn an_encoded_root_is_sent_and_read_as_its_nodes() {
        use crate::commands::scene::{SceneTree, TreeRoot};
        let node = with_paths(
            NodeInfo {
                name: "R".into(),
                class: "Node".into(),
                children: vec![NodeInfo {
                    name: "A".into(),
                    class: "Label".into(),
                    groups: vec!["g".into()],
                    ..NodeInfo::default()
                }],
                ..NodeInfo::default()
            },
            None,
        );
        let tree = |root| SceneTree {
            scene_path: "res://a.tscn".into(),
            node_count: 2,
            root,
        };
        let mut w = TreeWriter::default();
        walk(&mut w, &node, 0);
        let encoded = tree(TreeRoot::Encoded(w.finish().unwrap()));
        let built = tree(TreeRoot::Nodes(node.clone()));
        let text = serde_json::to_string(&encoded).unwrap();
        assert_eq!(text, serde_json::to_string(&built).unwrap());
        let read = serde_json::from_str::<SceneTree>(&text).unwrap();
        assert!(matches!(read.root, TreeRoot::Nodes(ref n) if *n == node));
    }

    #[test]
    fn a_deep_branch_closes_before_its_uncle() {
        let tree: NodeInfo = serde_json::from_value(json!({
            "name": "R", "type": "Node", "path": ".",
            "children": [
                {"name": "A", "type": "Node", "path": "A", "children": [
                    {"name": "B", "type": "Node", "path": "A/B", "children": [
                        {"name": "C", "type": "Node", "path": "A/B/C"}]}]},
                {"name": "D", "type": "Node", "path": "D", "hidden_children": 4}
            ]
        }))
        .unwrap();
        assert_eq!(written(&tree), serde_json::to_string(&tree).unwrap());
    }
}
