//! The shape of a SQL statement: its text with every number written in it replaced by a
//! parameter. Statements that differ only in their numbers (`... WHERE aid = 17` and
//! `... WHERE aid = 42`) have one shape, so what was learnt about one applies to the
//! other where numbers cannot matter: a number is data, and data does not turn a read
//! into a write.
//!
//! The scan knows what PostgreSQL's lexer knows about where a number can hide without
//! being one: quoted strings, quoted identifiers, dollar-quoted bodies, comments, names
//! that end in digits and parameters. Anything it is unsure of (a string with backslash
//! escapes, an unterminated quote, a number run into a name) has no shape, and the
//! statement is analysed as it is.

/// The statement with its numeric literals replaced by `$1`, or `None` when the text
/// holds something the scan does not follow.
pub fn shape(sql: &str) -> Option<String> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut i = 0;
    // What came last, comments and spaces aside: whether a literal may stand next.
    let mut operand_may_follow = true;
    while let Some(&c) = bytes.get(i) {
        let previous = i.checked_sub(1).and_then(|p| bytes.get(p)).copied();
        match c {
            b'\'' => {
                if matches!(previous, Some(b'e' | b'E'))
                    && i.checked_sub(2)
                        .and_then(|p| bytes.get(p))
                        .is_none_or(|b| !is_name_byte(*b))
                {
                    // E'...': backslash escapes, which this scan does not follow.
                    return None;
                }
                i = closing(bytes, i + 1, b'\'')?;
                operand_may_follow = false;
            }
            b'"' => {
                i = closing(bytes, i + 1, b'"')?;
                operand_may_follow = false;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes
                    .get(i..)?
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = comment_end(bytes, i)?,
            b'$' => {
                i = dollar(bytes, i)?;
                operand_may_follow = false;
            }
            b'0'..=b'9' | b'.' if c != b'.' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                if !operand_may_follow {
                    // After a name, a literal or a closing bracket: not where PostgreSQL
                    // reads a literal, so not something to make a parameter of.
                    return None;
                }
                let end = number_end(bytes, i)?;
                out.push_str(sql.get(copied..i)?);
                out.push_str("$1");
                copied = end;
                i = end;
                operand_may_follow = false;
            }
            c if is_name_byte(c) => {
                let rest = bytes.get(i..)?;
                let len = rest.iter().take_while(|b| is_name_byte(**b)).count();
                let word = rest.get(..len)?;
                operand_may_follow = OPERAND_AFTER
                    .iter()
                    .any(|k| k.as_bytes().eq_ignore_ascii_case(word));
                i += len;
            }
            c if c.is_ascii_whitespace() => i += 1,
            c => {
                operand_may_follow = b"(,[=<>+-*/%^|&!~;".contains(&c);
                i += 1;
            }
        }
    }
    out.push_str(sql.get(copied..)?);
    Some(out)
}

/// Keywords a literal may follow directly.
const OPERAND_AFTER: &[&str] = &[
    "select", "distinct", "limit", "offset", "fetch", "first", "next", "then", "else", "when",
    "case", "by", "and", "or", "not", "in", "is", "between", "like", "ilike", "return",
];

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The index after the quote that closes one opened before `from` (a doubled quote is
/// part of the text).
fn closing(bytes: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    loop {
        let at = from + bytes.get(from..)?.iter().position(|&b| b == quote)?;
        if bytes.get(at + 1) == Some(&quote) {
            from = at + 2;
        } else {
            return Some(at + 1);
        }
    }
}

/// The index after a block comment starting at `start`; block comments nest.
fn comment_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        match (bytes.get(i)?, bytes.get(i + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
}

/// The index after what starts with `$` at `start`: a parameter (`$3`), or a
/// dollar-quoted body (`$$...$$`, `$tag$...$tag$`).
fn dollar(bytes: &[u8], start: usize) -> Option<usize> {
    let after = start + 1;
    if bytes.get(after).is_some_and(u8::is_ascii_digit) {
        let digits = bytes
            .get(after..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        return Some(after + digits);
    }
    let tag_len = bytes
        .get(after..)?
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
        .count();
    if bytes.get(after + tag_len) != Some(&b'$') {
        return None;
    }
    let tag = bytes.get(start..=after + tag_len)?;
    let body = after + tag_len + 1;
    let end = bytes
        .get(body..)?
        .windows(tag.len())
        .position(|w| w == tag)?;
    Some(body + end + tag.len())
}

/// The index after a decimal numeric literal starting at `start`: digits with an
/// optional fraction and exponent. `None` when anything but a space, a bracket, a comma,
/// a cast or a plain operator follows it, and for the forms PostgreSQL versions read
/// differently (`0x1F`, `1_000`).
fn number_end(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |from: usize| {
        bytes.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let mut i = start + digits(start);
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1) != Some(&b'.') {
        i += 1 + digits(i + 1);
    }
    if bytes.get(i).is_some_and(|b| *b == b'e' || *b == b'E') {
        let sign = usize::from(bytes.get(i + 1).is_some_and(|b| *b == b'+' || *b == b'-'));
        let n = digits(i + 1 + sign);
        if n == 0 {
            return None;
        }
        i += 1 + sign + n;
    }
    match (bytes.get(i), bytes.get(i + 1)) {
        (None, _) | (Some(b':'), Some(b':')) => Some(i),
        (Some(b), _) if b.is_ascii_whitespace() || b"),];+-*/%<>=|".contains(b) => Some(i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn numbers_become_parameters() {
        let cases = [
            (
                "SELECT abalance FROM pgbench_accounts WHERE aid = 852445;",
                "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
            ),
            ("SELECT 1.5, .5, 1e-3, 2E+10,7", "SELECT $1, $1, $1, $1,$1"),
            ("SELECT -7", "SELECT -$1"),
            (
                "SELECT a[1] FROM t LIMIT 10 OFFSET 20",
                "SELECT a[$1] FROM t LIMIT $1 OFFSET $1",
            ),
            ("SELECT a[1:2]", "SELECT a[1:2]"),
            ("SELECT 3::int8", "SELECT $1::int8"),
            ("SELECT 1..2", "SELECT 1..2"),
        ];
        for (sql, expected) in cases {
            if expected == sql {
                assert_eq!(shape(sql), None, "{sql}");
            } else {
                assert_eq!(shape(sql).as_deref(), Some(expected), "{sql}");
            }
        }
    }

    #[test]
    fn numbers_that_are_not_literals_stay() {
        let kept = [
            "SELECT t1.c2 FROM t1",
            "SELECT '42' AS \"7\"",
            "SELECT 'it''s 9'",
            "SELECT $1, $12",
            "SELECT $$ 5 $$, $body$ 6 $ 7 $body$",
            "SELECT x -- 8\nFROM y",
            "SELECT /* 9 /* 10 */ 11 */ x",
            "SELECT a$1, a$b FROM t",
            "SELECT U&'d\\0061t' , B'101', X'1F'",
        ];
        for sql in kept {
            assert_eq!(shape(sql).as_deref(), Some(sql), "{sql}");
        }
        assert_eq!(
            shape("SELECT 'x' || 5 -- 6\n, 7").as_deref(),
            Some("SELECT 'x' || $1 -- 6\n, $1")
        );
    }

    #[test]
    fn what_the_scan_does_not_follow_has_no_shape() {
        for sql in [
            "SELECT E'\\' 5'",
            "SELECT e'x'",
            "SELECT 'unterminated 5",
            "SELECT \"unterminated",
            "SELECT $tag$ never closed",
            "SELECT /* open",
            "SELECT 123abc",
            "SELECT 0x1F",
            "SELECT 1_000",
            "SELECT 1e",
            "SELECT version()5",
            "SELECT 'a'5",
            "SELECT 1@@x",
            "SELECT 1.2.3",
            "SELECT $",
        ] {
            assert_eq!(shape(sql), None, "{sql}");
        }
    }

    #[test]
    fn every_shape_is_the_text_when_there_are_no_numbers() {
        let sql = "SELECT name FROM users WHERE email = 'a@b.c' AND note <> \"x\"";
        assert_eq!(shape(sql).as_deref(), Some(sql));
    }
}
