//! "Did you mean" for misspelt names: the candidates closest to what an
//! agent typed, so an error's hint can name the right one.

/// Up to `max` candidates that contain the input (or are contained in it),
/// or are within a small edit distance, closest first.
pub fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<&'a str> {
    let wanted = input.to_ascii_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lc = c.to_ascii_lowercase();
            let distance = edit_distance(&wanted, &lc);
            let related = lc.contains(&wanted) || (lc.len() >= 3 && wanted.contains(&lc));
            (distance <= limit || related).then_some((distance, c.len(), c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored.into_iter().take(max).map(|(_, _, c)| c).collect()
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("positon", "position"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn finds_typos_and_partial_names() {
        let props = [
            "position",
            "rotation",
            "scale",
            "global_position",
            "visible",
        ];
        assert_eq!(closest("positon", props, 3)[0], "position");
        assert!(
            closest("Sprite", ["Sprite2D", "Sprite3D", "Node"], 5)
                .starts_with(&["Sprite2D", "Sprite3D"])
        );
        assert!(closest("zzzzzz", props, 3).is_empty());
        assert!(closest("", props, 3).is_empty());
    }
}
