//! Properties Godot stores under names the inspector does not show.
//!
//! A `Node3D` saves one `transform` while the inspector (and an agent) works
//! with `position`, `rotation` and `scale`; a `Control` saves `offset_*` and
//! `anchor_*` while the inspector shows `position` and `size` (unless the
//! anchors are custom, when it shows them as they are). Reads report such a
//! composite through the shown names, live and offline alike, so this table
//! is the one place that pairs them.

/// A stored property (or family of them) and the shown names that stand for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Composite {
    /// The stored name, or the prefix of a family of names ending in `_`.
    pub stored: &'static str,
    /// The inspector's names computed from it.
    pub shown: &'static [&'static str],
}

impl Composite {
    /// Whether `name` is this stored property or one of its family.
    pub fn matches(&self, name: &str) -> bool {
        if self.stored.ends_with('_') {
            name.starts_with(self.stored)
        } else {
            name == self.stored
        }
    }
}

/// Every composite Godot stores, with the inspector names for it.
pub const COMPOSITE_STORAGE: &[Composite] = &[
    Composite {
        stored: "transform",
        shown: &["position", "rotation", "scale", "quaternion", "basis"],
    },
    Composite {
        stored: "offset_",
        shown: &["position", "size"],
    },
    Composite {
        stored: "anchor_",
        shown: &["position", "size"],
    },
];

/// The composite `name` belongs to, if any.
pub fn composite(name: &str) -> Option<&'static Composite> {
    COMPOSITE_STORAGE.iter().find(|c| c.matches(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_families_match() {
        assert_eq!(composite("transform").unwrap().shown[0], "position");
        assert_eq!(composite("offset_right").unwrap().stored, "offset_");
        assert_eq!(
            composite("anchor_bottom").unwrap().shown,
            &["position", "size"]
        );
        assert!(composite("anchors_preset").is_none());
        assert!(composite("global_transform").is_none());
        assert!(composite("position").is_none());
    }
}
