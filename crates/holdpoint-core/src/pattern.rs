//! Word patterns where `*` stands for any run of characters: command names in the
//! command table, and target patterns in grants; and the shell's own patterns for one
//! component of a path (`*`, `?`, `[...]`, `[!...]`), which decide what a glob can name.

/// Whether `word` matches a pattern word where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, word: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == word;
    }
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

/// Whether a word holds a character the shell's pattern matching gives a meaning to.
pub(crate) fn has_glob(word: &str) -> bool {
    // By bytes: these are ASCII, which never occurs inside another character's encoding.
    word.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Whether one component of a path, `name`, matches the shell pattern `pattern` as bash
/// matches it by default: `*` any run, `?` any character, `[...]` a set (`[!...]` or
/// `[^...]` its complement, ranges and `[:class:]`), a backslash quotes the next
/// character. A name that starts with `.` is matched only by a pattern that starts with a
/// literal `.`, and `.` and `..` by no pattern but themselves (bash 5.2's `globskipdots`).
pub(crate) fn component_match(pattern: &str, name: &str) -> bool {
    if pattern == name {
        return true;
    }
    if name == "." || name == ".." {
        return false;
    }
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    matched(pattern, name)
}

/// Whether `name` matches `pattern` as `find -name` matches it: like
/// [`component_match`], but a leading `.` needs no literal `.` in the pattern.
pub(crate) fn name_match(pattern: &str, name: &str) -> bool {
    matched(pattern, name)
}

/// [`matches_from`] on the bytes of ASCII text (nearly every name), on its characters
/// otherwise.
fn matched(pattern: &str, name: &str) -> bool {
    if pattern.is_ascii() && name.is_ascii() {
        let (pattern, name) = (pattern.as_bytes(), name.as_bytes());
        return !ends_differ(pattern, name) && matches_from(pattern, name);
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    matches_from(&pattern, &name)
}

/// Whether a pattern's first or last byte is a plain character (not `*`, `?`, a set or
/// a quoted one) that `name` does not start or end with: then it cannot match, which
/// rules out most patterns tried against a name without matching them through.
fn ends_differ(pattern: &[u8], name: &[u8]) -> bool {
    let plain = |b: &u8| !matches!(b, b'*' | b'?' | b'[' | b']' | b'\\');
    let first_differs = pattern
        .first()
        .is_some_and(|first| plain(first) && name.first() != Some(first));
    let last_differs = match pattern {
        [.., before, last] => plain(last) && plain(before) && name.last() != Some(last),
        _ => false,
    };
    first_differs || last_differs
}

/// One unit of a pattern or a name: a character, or a byte of ASCII text.
trait Unit: Copy {
    fn char(self) -> char;
}

impl Unit for char {
    fn char(self) -> char {
        self
    }
}

impl Unit for u8 {
    fn char(self) -> char {
        char::from(self)
    }
}

/// Iterative wildcard matching with one point to come back to, as in fnmatch.
fn matches_from<U: Unit>(pattern: &[U], name: &[U]) -> bool {
    let at = |i: usize| pattern.get(i).map(|u| u.char());
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let Some(c) = name.get(n).map(|u| u.char()) else {
            break;
        };
        match at(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => {
                p += 1;
                n += 1;
                continue;
            }
            Some('[') => {
                if let Some((matched, next)) = bracket(pattern, p, c) {
                    if matched {
                        p = next;
                        n += 1;
                        continue;
                    }
                } else if c == '[' {
                    // An unclosed `[` is an ordinary character.
                    p += 1;
                    n += 1;
                    continue;
                }
            }
            Some('\\') if at(p + 1) == Some(c) => {
                p += 2;
                n += 1;
                continue;
            }
            Some(literal) if literal == c => {
                p += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_n)) => {
                p = star_p + 1;
                n = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            None => return false,
        }
    }
    pattern
        .get(p..)
        .unwrap_or(&[])
        .iter()
        .all(|u| u.char() == '*')
}

/// The bracket expression starting at `pattern[start]` (a `[`) applied to `c`: whether it
/// matches and where the pattern goes on; `None` when the bracket never closes.
fn bracket<U: Unit>(pattern: &[U], start: usize, c: char) -> Option<(bool, usize)> {
    let at = |i: usize| pattern.get(i).map(|u| u.char());
    let mut i = start + 1;
    let negated = matches!(at(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let here = at(i)?;
        if here == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if here == '[' && at(i + 1) == Some(':') {
            let rest: String = pattern.get(i + 2..)?.iter().map(|u| u.char()).collect();
            if let Some(end) = rest.find(":]") {
                let class = rest.get(..end).unwrap_or("");
                matched |= match class {
                    "alpha" => c.is_alphabetic(),
                    "digit" => c.is_ascii_digit(),
                    "alnum" => c.is_alphanumeric(),
                    "upper" => c.is_uppercase(),
                    "lower" => c.is_lowercase(),
                    "space" => c.is_whitespace(),
                    "punct" => c.is_ascii_punctuation(),
                    "xdigit" => c.is_ascii_hexdigit(),
                    "print" | "graph" => !c.is_control(),
                    "cntrl" => c.is_control(),
                    _ => false,
                };
                // `end` counts bytes of `rest`, which are its characters only for
                // ASCII: the units it spans are counted instead.
                i += 2 + rest.get(..end).map_or(0, |r| r.chars().count()) + 2;
                continue;
            }
        }
        let (low, next) = if here == '\\' {
            (at(i + 1)?, i + 2)
        } else {
            (here, i + 1)
        };
        if at(next) == Some('-') && at(next + 1).is_some_and(|h| h != ']') {
            let high = at(next + 1)?;
            matched |= low <= c && c <= high;
            i = next + 2;
        } else {
            matched |= low == c;
            i = next;
        }
    }
}

/// Whether a pattern component can match nearly every name: it has no literal character
/// outside a bracket expression (`*`, `?*`, `[!.]*`, `[a-z]*`).
pub(crate) fn matches_nearly_everything(pattern: &str) -> bool {
    if !has_glob(pattern) {
        return false;
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '*' | '?' => i += 1,
            '[' => match bracket(&chars, i, 'a').map(|(_, next)| next) {
                Some(next) => i = next,
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{component_match, ends_differ, glob_match, matches_from};

    /// Every word of up to `len` units drawn from `units`.
    fn words(units: &[u8], len: usize) -> Vec<Vec<u8>> {
        let mut all = vec![Vec::new()];
        let mut last = vec![Vec::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|w| {
                    units.iter().map(move |u| {
                        let mut w = w.clone();
                        w.push(*u);
                        w
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn a_pattern_ruled_out_by_its_ends_never_matches() {
        // Every pattern of up to four units over characters that mean something to a
        // pattern, against every name of up to three: the shortcut never rules out a
        // pattern that matches.
        let patterns = words(b"a.-*?[]!\\", 4);
        let names = words(b"a.[]\\", 3);
        let mut ruled_out = 0;
        for pattern in &patterns {
            for name in &names {
                if ends_differ(pattern, name) {
                    ruled_out += 1;
                    assert!(
                        !matches_from(pattern, name),
                        "{} ~ {}",
                        String::from_utf8_lossy(pattern),
                        String::from_utf8_lossy(name)
                    );
                }
            }
        }
        // And it rules out most of them.
        assert!(ruled_out > patterns.len() * names.len() / 4, "{ruled_out}");
    }

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

    #[test]
    fn components_match_as_bash_does() {
        for (pattern, name, expected) in [
            ("*", "src", true),
            ("*", ".git", false),
            (".*", ".git", true),
            (".*", "..", false),
            (".[!.]*", ".holdpoint", true),
            (".[!.]*", "..x", false),
            (".[g]it", ".git", true),
            (".g?t", ".git", true),
            (".git*", ".gitignore", true),
            ("?*", "a", true),
            ("?*", ".env", false),
            (".holdpoin?", ".holdpoint", true),
            (".[a-z]*", ".holdpoint", true),
            (".[^h]*", ".holdpoint", false),
            (".clau?e", ".claude", true),
            ("[[:alpha:]]*", "x1", true),
            ("*.rs", "main.rs", true),
            ("*.rs", "main.py", false),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("[", "[", true),
            ("settings*.json", "settings.local.json", true),
        ] {
            assert_eq!(
                component_match(pattern, name),
                expected,
                "{pattern} ~ {name}"
            );
        }
    }

    #[test]
    fn broad_patterns() {
        for (pattern, expected) in [
            ("*", true),
            ("?*", true),
            ("[!.]*", true),
            ("[a-z]*", true),
            ("*.rs", false),
            (".*", false),
            ("src", false),
        ] {
            assert_eq!(
                super::matches_nearly_everything(pattern),
                expected,
                "{pattern}"
            );
        }
    }
}
