//! Word patterns where `*` stands for any run of characters: command names in the
//! command table, and target patterns in grants.

/// Whether `word` matches a pattern word where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, word: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == word;
    };
    let Some(mut rest) = word.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = rest.get(at + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn stars_match_any_run() {
        for (pattern, word, expected) in [
            ("mkfs.*", "mkfs.ext4", true),
            ("mkfs.*", "mkfs", false),
            ("*", "", true),
            ("db:*", "db:drop", true),
            ("*-prod", "deploy-prod", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxcyyb", false),
            ("shell:*@production", "shell:web1@production", true),
            ("shell:*@production", "shell:web1@staging", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            assert_eq!(glob_match(pattern, word), expected, "{pattern} ~ {word}");
        }
    }
}
