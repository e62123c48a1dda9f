//! Images inside command results.
//!
//! A result that carries an image puts it in its [`IMAGE_FIELD`] member as
//! an [`Image`]. The shim takes it out and hands it to the MCP client as
//! image content, so a client sees a picture rather than kilobytes of
//! base64 in the JSON; the rest of the result stays structured.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The result member that holds an [`Image`].
pub const IMAGE_FIELD: &str = "image";

/// The result member the shim shows as the image's text, when present.
pub const DESCRIPTION_FIELD: &str = "description";

/// An encoded image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// e.g. `image/png`.
    pub mime_type: String,
    /// The encoded bytes in standard base64.
    pub data: String,
}

/// Removes the image from a result object, leaving the rest of it.
/// A member that is not a well-formed [`Image`] stays where it is.
pub fn take(result: &mut Value) -> Option<Image> {
    let map = result.as_object_mut()?;
    let image = serde_json::from_value::<Image>(map.get(IMAGE_FIELD)?.clone()).ok()?;
    map.remove(IMAGE_FIELD);
    Some(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn takes_the_image_and_keeps_the_rest() {
        let mut result = json!({
            "width": 2,
            "image": {"mime_type": "image/png", "data": "iVBO"},
        });
        let image = take(&mut result).unwrap();
        assert_eq!(image.mime_type, "image/png");
        assert_eq!(image.data, "iVBO");
        assert_eq!(result, json!({"width": 2}));
    }

    #[test]
    fn leaves_results_without_an_image_alone() {
        for mut result in [
            json!({"width": 2}),
            json!({"image": "not an image"}),
            json!({"image": {"data": "x"}}),
            json!([1, 2]),
        ] {
            let before = result.clone();
            assert!(take(&mut result).is_none());
            assert_eq!(result, before);
        }
    }
}
