//! Rules for node names, shared by the live editor and offline edits.

use crate::{ErrorBody, ErrorCode};

/// Checks a node name: not empty, none of the characters Godot reserves in
/// paths. Returns it trimmed.
pub fn valid_node_name(name: &str) -> Result<String, ErrorBody> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.contains(['.', ':', '@', '/', '"', '%']) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("invalid node name {name:?}"),
        )
        .with_hint("node names may not be empty or contain . : @ / \" %"));
    }
    Ok(trimmed.to_owned())
}

/// A root node name from a file stem: `my_level-2` becomes `MyLevel2`.
pub fn pascal_case(stem: &str) -> String {
    let name: String = stem
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|f| f.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    if name.is_empty() { "Root".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal_case("my_level-2"), "MyLevel2");
        assert_eq!(pascal_case("__"), "Root");
        assert_eq!(valid_node_name(" Hero ").unwrap(), "Hero");
        assert!(valid_node_name("a/b").is_err());
        assert!(valid_node_name("").is_err());
    }
}
