//! What an approver is shown: a file tool's text or edits (`written`), and any text an
//! agent wrote made visible (`visible`), so that two actions that differ only in
//! whitespace or in a character nobody can see do not look alike.

use serde_json::Value;

/// The most of a file tool's text kept with a request for approvers to read; the digest
/// covers all of it.
pub(crate) const MOST_SHOWN: usize = 256 * 1024;

/// What a file tool's input does, for an approver: the text a write puts in the file, or
/// each edit's lines before (`-`) and after (`+`). Made from the same JSON whose hash is
/// in the action's digest; at most [`MOST_SHOWN`] bytes of it.
pub(crate) fn written(input: &Value) -> String {
    let text = |key: &str| input.get(key).and_then(Value::as_str);
    let path = text("file_path")
        .or_else(|| text("notebook_path"))
        .or_else(|| text("path"))
        .unwrap_or("?");
    let mut out = String::new();
    if let Some(content) = text("content").or_else(|| text("new_source")) {
        out.push_str(&format!(
            "writes {} to {path}, replacing what is there:\n",
            lines(content)
        ));
        out.push_str(content);
    } else {
        let mut edits: Vec<(&str, &str, bool)> = Vec::new();
        if let (Some(old), Some(new)) = (text("old_string"), text("new_string")) {
            let all = input.get("replace_all").and_then(Value::as_bool) == Some(true)
                || input
                    .get("expected_replacements")
                    .and_then(Value::as_u64)
                    .is_some_and(|n| n > 1);
            edits.push((old, new, all));
        }
        if let Some(Value::Array(list)) = input.get("edits") {
            for edit in list {
                let field = |key: &str| edit.get(key).and_then(Value::as_str);
                if let (Some(old), Some(new)) = (field("old_string"), field("new_string")) {
                    let all = edit.get("replace_all").and_then(Value::as_bool) == Some(true);
                    edits.push((old, new, all));
                }
            }
        }
        if edits.is_empty() {
            // A tool whose shape is not known: its input as it is.
            out.push_str(&format!("changes {path} with:\n"));
            out.push_str(&serde_json::to_string_pretty(input).unwrap_or_default());
        } else {
            out.push_str(&format!(
                "edits {path} in {} place{}:\n",
                edits.len(),
                if edits.len() == 1 { "" } else { "s" }
            ));
            for (n, (old, new, all)) in edits.iter().enumerate() {
                out.push_str(&format!(
                    "@@ edit {}{}\n",
                    n + 1,
                    if *all { ", every occurrence" } else { "" }
                ));
                for line in old.split('\n') {
                    out.push_str(&format!("-{line}\n"));
                }
                for line in new.split('\n') {
                    out.push_str(&format!("+{line}\n"));
                }
            }
        }
    }
    if out.len() > MOST_SHOWN {
        let mut cut = MOST_SHOWN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        let rest = out.len() - cut;
        out.truncate(cut);
        out.push_str(&format!(
            "\n… {rest} more bytes not kept here; the approval covers all of them"
        ));
    }
    out
}

fn lines(text: &str) -> String {
    let n = text.lines().count();
    format!(
        "{n} line{} ({} bytes)",
        if n == 1 { "" } else { "s" },
        text.len()
    )
}

/// Text an agent wrote, on one line for a list, with what tells two actions apart kept
/// visible (see `visible`): a newline as `⏎`, each space beyond the first of a run as
/// `␣`; at most `max` characters, the rest cut with `…`.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut flat = String::with_capacity(text.len());
    for (n, line) in visible(text).split('\n').enumerate() {
        if n > 0 {
            flat.push_str(" ⏎ ");
        }
        let mut spaces = 0;
        for c in line.chars() {
            if c == ' ' {
                spaces += 1;
                flat.push(if spaces == 1 { ' ' } else { '␣' });
            } else {
                spaces = 0;
                flat.push(c);
            }
        }
    }
    if flat.chars().count() > max {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

/// Whether `c` is a character a person cannot see for what it is: a control or format
/// character (a carriage return, an escape, a zero-width space, a direction override,
/// a byte-order mark, a tag), other than newline and tab.
pub(crate) fn invisible(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}')
}

/// Text an agent wrote, made visible for a person, line by line: invisible characters as
/// escapes (`\r`, `\u{200b}`), never sent to a terminal or a page as they are, so that
/// an action cannot disguise itself as another; a tab as `⇥`, a no-break space as `⍽`,
/// and spaces that end a line as `␣`. Newlines stay newlines.
pub(crate) fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let body = line.trim_end_matches(' ');
        for c in body.chars() {
            match c {
                '\t' => out.push('⇥'),
                '\u{a0}' => out.push('⍽'),
                c if invisible(c) => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
        for _ in body.len()..line.len() {
            out.push('␣');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_write_shows_its_text_and_an_edit_its_lines_before_and_after() {
        let write =
            written(&json!({"file_path": "/etc/hosts", "content": "127.0.0.1 a\n10.0.0.1 b\n"}));
        assert_eq!(
            write,
            "writes 2 lines (23 bytes) to /etc/hosts, replacing what is there:\n127.0.0.1 a\n10.0.0.1 b\n"
        );
        let edit = written(
            &json!({"file_path": "/srv/app.conf", "old_string": "port = 80", "new_string": "port = 8080\nhost = x", "replace_all": true}),
        );
        assert_eq!(
            edit,
            "edits /srv/app.conf in 1 place:\n@@ edit 1, every occurrence\n-port = 80\n+port = 8080\n+host = x\n"
        );
        let multi = written(&json!({"file_path": "/a", "edits": [
            {"old_string": "x", "new_string": "y"}, {"old_string": "p", "new_string": "q"}]}));
        assert!(
            multi.starts_with("edits /a in 2 places:\n@@ edit 1\n-x\n+y\n@@ edit 2\n"),
            "{multi}"
        );
        let unknown = written(&json!({"file_path": "/a", "mode": "0777"}));
        assert!(unknown.contains("\"mode\": \"0777\""), "{unknown}");
    }

    #[test]
    fn a_long_text_is_cut_at_a_character_and_says_so() {
        let content = "é".repeat(MOST_SHOWN);
        let shown = written(&json!({"file_path": "/a", "content": content}));
        assert!(shown.len() < MOST_SHOWN + 200);
        assert!(shown.ends_with("more bytes not kept here; the approval covers all of them"));
    }

    #[test]
    fn whitespace_and_invisible_characters_are_made_visible() {
        assert_eq!(visible("rm -rf /srv/data"), "rm -rf /srv/data");
        assert_eq!(visible("a\tb  \nc "), "a⇥b␣␣\nc␣");
        assert_eq!(visible("rm\u{200b} -rf"), "rm\\u{200b} -rf");
        assert_eq!(visible("a\u{202e}b\rc\u{a0}d"), "a\\u{202e}b\\rc⍽d");
        assert_eq!(visible("\u{1b}[2J"), "\\u{1b}[2J");
    }

    #[test]
    fn one_line_keeps_what_tells_two_actions_apart() {
        assert_eq!(one_line("rm -rf /srv/data", 80), "rm -rf /srv/data");
        assert_eq!(one_line("ls  -la", 80), "ls ␣-la");
        assert_eq!(one_line("echo a\necho b", 80), "echo a ⏎ echo b");
        assert_eq!(one_line("a\tb", 80), "a⇥b");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }
}
