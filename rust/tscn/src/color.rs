//! HTML colour codes (`#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`), as Godot reads them.

/// The colour's `[r, g, b, a]` in 0..1, or None when `hex` is not a colour code.
pub fn from_html(hex: &str) -> Option<[f32; 4]> {
    let hex = hex.strip_prefix('#').unwrap_or(hex);
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok();
    let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    let channels: Vec<u8> = match hex.len() {
        3 | 4 => (0..hex.len())
            .map(|i| digit(i).map(|d| d * 17))
            .collect::<Option<_>>()?,
        6 | 8 => (0..hex.len() / 2)
            .map(|i| pair(i * 2))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let mut rgba = [1.0f32; 4];
    for (slot, c) in rgba.iter_mut().zip(channels) {
        *slot = f32::from(c) / 255.0;
    }
    Some(rgba)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_codes() {
        assert_eq!(from_html("#ff0000"), Some([1.0, 0.0, 0.0, 1.0]));
        assert_eq!(from_html("0f08"), Some([0.0, 1.0, 0.0, 8.0 * 17.0 / 255.0]));
        assert_eq!(from_html("#12345"), None);
        assert_eq!(from_html("#gg0000"), None);
    }
}
