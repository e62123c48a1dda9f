//! New identifiers in the forms Godot itself generates: `uid://` resource
//! uids (`ResourceUID::id_to_text`), the five-character scene-unique ids in
//! `1_abcde` / `Type_abcde`, and node `unique_id`s.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Godot's uid alphabet is `a`..`y` then `0`..`8`: base 34 (`'z' - 'a'`
/// letters plus `'9' - '0'` digits, an off-by-one the engine keeps).
const LETTERS: u64 = 25;
const BASE: u64 = LETTERS + 9;

fn digit(c: u64) -> char {
    let c = c as u8;
    if u64::from(c) < LETTERS {
        (b'a' + c) as char
    } else {
        (b'0' + c - LETTERS as u8) as char
    }
}

/// `ResourceUID::id_to_text`: most significant digit first.
pub fn uid_text(id: u64) -> String {
    let mut digits = Vec::new();
    let mut n = id;
    loop {
        digits.push(digit(n % BASE));
        n /= BASE;
        if n == 0 {
            break;
        }
    }
    format!("uid://{}", digits.iter().rev().collect::<String>())
}

/// `ResourceUID::text_to_id`, or None for text Godot would not accept.
pub fn uid_from_text(text: &str) -> Option<u64> {
    let body = text.strip_prefix("uid://")?;
    if body.is_empty() {
        return None;
    }
    body.chars().try_fold(0u64, |acc, c| {
        let d = match c {
            'a'..='y' => c as u64 - 'a' as u64,
            '0'..='8' => c as u64 - '0' as u64 + LETTERS,
            _ => return None,
        };
        acc.checked_mul(BASE)?.checked_add(d)
    })
}

/// Random bits from the standard library's per-process random hash keys,
/// mixed with a counter and the clock; enough for ids, not for secrets.
pub fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.write_u128(now);
    h.finish()
}

/// A new resource uid, positive as Godot's `create_id` makes them.
pub fn new_uid() -> String {
    uid_text(random() & 0x7FFF_FFFF_FFFF_FFFF)
}

/// Five characters as in `Resource::generate_scene_unique_id`.
pub fn scene_unique_id() -> String {
    let mut n = random();
    (0..5)
        .map(|_| {
            let c = digit(n % BASE);
            n /= BASE;
            c
        })
        .collect()
}

/// A node `unique_id`, a positive 31-bit number like the editor's.
pub fn node_unique_id() -> i64 {
    (random() & 0x7FFF_FFFF).max(1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_text_matches_godot() {
        assert_eq!(uid_text(0), "uid://a");
        assert_eq!(uid_text(33), "uid://8");
        assert_eq!(uid_text(34), "uid://ba");
        for text in [
            "uid://cdyyuv1gng23y",
            "uid://np1mwtcypy75",
            "uid://pgst1mv4wgqa",
        ] {
            let id = uid_from_text(text).unwrap();
            assert_eq!(uid_text(id), text);
        }
        assert_eq!(uid_from_text("uid://z"), None);
        assert_eq!(uid_from_text("uid://9"), None);
        assert_eq!(uid_from_text("res://a"), None);
    }

    #[test]
    fn new_ids_are_well_formed_and_differ() {
        let a = new_uid();
        assert!(uid_from_text(&a).is_some(), "{a}");
        assert_ne!(a, new_uid());
        let s = scene_unique_id();
        assert_eq!(s.len(), 5);
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() && c != 'z' && c != '9')
        );
        assert!(node_unique_id() > 0);
    }
}
