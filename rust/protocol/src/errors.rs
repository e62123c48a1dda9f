//! The shared mistakes, each built in one place with its code, message and
//! hint, so the same mistake reads the same whether an editor or offline
//! mode answered.

use crate::{ErrorBody, ErrorCode, Readiness};

/// Parameters that do not deserialize into a command's struct.
pub fn invalid_params(name: &str, e: &dyn std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidParams, format!("{name}: {e}")).with_hint(format!(
        "check the parameter names and types in the {name} tool schema"
    ))
}

/// No command of that name; the hint lists the known ones.
pub fn unknown_action<'a>(action: &str, known: impl Iterator<Item = &'a str>) -> ErrorBody {
    let names: Vec<&str> = known.collect();
    let close = crate::suggest::closest(action, names.iter().copied(), 1);
    let hint = match close.first() {
        Some(close) => format!("did you mean {close}? known actions: {}", names.join(", ")),
        None => format!("known actions: {}", names.join(", ")),
    };
    ErrorBody::new(
        ErrorCode::UnknownAction,
        format!("unknown action {action:?}"),
    )
    .with_hint(hint)
}

/// A call that needs an open scene when none is open.
pub fn no_scene(message: &str, hint: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::EditorNotReady, message)
        .with_sub_code(Readiness::NoScene.as_str())
        .with_hint(hint)
}

/// No scene file at `path`.
pub fn scene_not_found(path: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::SceneNotFound, format!("no scene file at {path}"))
        .with_hint("get_project_info lists the project's scenes; create_scene makes a new one")
}

/// No node at `node_path` in the scene described by `scene`.
pub fn node_not_found(node_path: &str, scene: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NodeNotFound,
        format!("no node {node_path:?} in {scene}"),
    )
    .with_hint("call get_scene_tree to see the node paths")
}

/// `parent` already has a child called `name`.
pub fn node_exists(parent: &str, name: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NodeExists,
        format!("{parent} already has a child named {name:?}"),
    )
    .with_hint("choose another name, or edit the existing node with edit_node")
}

/// A value that does not fit `property`'s type; the hint gives the accepted forms.
pub fn invalid_value(property: &str, e: &crate::value::ValueError) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::InvalidValue,
        format!(
            "property {property:?} expects {}, got {}",
            e.expected, e.got
        ),
    )
    .with_hint(format!("give {}", e.forms))
}

/// `class` has no property `name`; `near` are the closest names it has.
pub fn property_not_found(class: &str, name: &str, near: &[impl AsRef<str>]) -> ErrorBody {
    let e = ErrorBody::new(
        ErrorCode::PropertyNotFound,
        format!("{class} has no property {name:?}"),
    );
    if near.is_empty() {
        return e.with_hint(format!(
            "call get_class_info for {class} to see its properties"
        ));
    }
    let near: Vec<&str> = near.iter().map(AsRef::as_ref).collect();
    e.with_hint(format!("did you mean: {}", near.join(", ")))
}

/// An edit that was given no properties to set.
pub fn no_properties() -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidParams, "no properties to set")
        .with_hint("pass properties as {\"name\": value}")
}

/// A write to a project file that failed.
pub fn cannot_write(path: &str, e: &dyn std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorCode::IoError, format!("cannot write {path}: {e}"))
}

/// No script file at `path`.
pub fn script_not_found(path: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::ScriptNotFound,
        format!("no script file at {path}"),
    )
    .with_hint("create it first with write_script")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_action_suggests_the_closest_name() {
        let e = unknown_action("add_nod", ["add_node", "edit_node"].into_iter());
        assert_eq!(e.code, ErrorCode::UnknownAction);
        assert!(e.hint.unwrap().starts_with("did you mean add_node?"));
    }

    #[test]
    fn property_not_found_hints_at_near_names_or_the_class_docs() {
        let e = property_not_found("Node2D", "positon", &["position"]);
        assert_eq!(e.hint.as_deref(), Some("did you mean: position"));
        let e = property_not_found("Node2D", "zzz", &[] as &[&str]);
        assert_eq!(
            e.hint.as_deref(),
            Some("call get_class_info for Node2D to see its properties")
        );
    }
}
