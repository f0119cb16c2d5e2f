//! What a terraform configuration runs on the machine that plans or applies it: the
//! `program` of each `external` data source (run to read it, so by `plan` too) and the
//! `command` of each `local-exec` provisioner (run when it applies). Read from the
//! configuration's text without a full HCL parser: a block is found by its header and
//! the attribute by its name; what cannot be read that way is `Unknown`, never nothing.

/// A program the configuration runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Program {
    /// A command line for a shell (`local-exec`'s `command`, `program = ["sh", "-c", …]`).
    Line(String),
    /// A program and its arguments.
    Argv(Vec<String>),
    /// A program named in a way this reader does not follow (a variable, a function).
    Unknown,
}

/// Every program `text` runs, and whether it is a `local-exec` provisioner's.
pub(super) fn programs(text: &str) -> Vec<(Program, bool)> {
    let mut out: Vec<(Program, bool)> = blocks(text, "data", "external")
        .map(|block| (external(block), false))
        .collect();
    for block in blocks(text, "provisioner", "local-exec") {
        let program = match attribute(block, "command").and_then(quoted) {
            Some(line) if !line.contains("${") => Program::Line(line),
            _ => Program::Unknown,
        };
        out.push((program, true));
    }
    out
}

/// The blocks whose header starts a line with `keyword "label"` (`data "external"`).
fn blocks<'a>(text: &'a str, keyword: &'a str, label: &str) -> impl Iterator<Item = &'a str> {
    let quoted_label = format!("\"{label}\"");
    let starts: Vec<usize> = text
        .match_indices(&quoted_label)
        .map(|(at, _)| at)
        .filter(|&at| {
            let line_start = text
                .get(..at)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |n| n + 1);
            text.get(line_start..at)
                .is_some_and(|head| head.trim() == keyword)
        })
        .collect();
    starts.into_iter().map(move |at| block_after(text, at))
}

/// The text of the block whose header is at `at`, up to its closing brace (or the end).
fn block_after(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let Some(open) = rest.find('{') else {
        return "";
    };
    let mut depth = 0usize;
    for (i, c) in rest.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return rest.get(open..=i).unwrap_or("");
                }
            }
            _ => {}
        }
    }
    rest.get(open..).unwrap_or("")
}

/// The value text of `name = …` in a block, to the end of its line (a list to its `]`).
fn attribute<'a>(block: &'a str, name: &str) -> Option<&'a str> {
    block
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim())
        })
        .map(|first| {
            // A list may go on over several lines.
            if first.starts_with('[') && !first.contains(']') {
                let from = block.find(first).unwrap_or(0);
                let rest = block.get(from..).unwrap_or(first);
                rest.find(']')
                    .and_then(|end| rest.get(..=end))
                    .unwrap_or(rest)
            } else {
                first
            }
        })
}

/// An `external` block's `program`: a list of plain strings, or `Unknown`.
fn external(block: &str) -> Program {
    let Some(list) = attribute(block, "program") else {
        return Program::Unknown;
    };
    let Some(inner) = list
        .trim()
        .strip_prefix('[')
        .and_then(|l| l.rsplit_once(']'))
        .map(|(inner, _)| inner)
    else {
        return Program::Unknown;
    };
    let items: Option<Vec<String>> = split_list(inner).into_iter().map(quoted).collect();
    match items {
        Some(items) if items.iter().all(|i| !i.contains("${")) && !items.is_empty() => {
            match items.as_slice() {
                [shell, flag, line, ..]
                    if matches!(
                        shell.rsplit('/').next().unwrap_or(shell),
                        "sh" | "bash" | "dash" | "zsh"
                    ) && flag == "-c" =>
                {
                    Program::Line(line.clone())
                }
                _ => Program::Argv(items),
            }
        }
        _ => Program::Unknown,
    }
}

/// The items of a list's inside, split at commas outside strings.
fn split_list(inner: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ',' if !in_string => {
                items.push(inner.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(inner.get(start..).unwrap_or(""));
    items
        .into_iter()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect()
}

/// The text of a double-quoted HCL string with its common escapes, or `None`.
fn quoted(value: &str) -> Option<String> {
    let inner = value.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_programs_and_local_exec_commands_are_found() {
        let text = "data \"external\" \"x\" {\n  program = [\"sh\", \"-c\", \"rm -rf /srv/data; echo {}\"]\n}\n\
            data \"external\" \"y\" {\n  program = [\n    \"python3\",\n    \"${path.module}/q.py\",\n  ]\n}\n\
            resource \"null_resource\" \"z\" {\n  provisioner \"local-exec\" {\n    command = \"make deploy\"\n  }\n}\n\
            # a comment naming \"external\" is not a block\n";
        assert_eq!(
            programs(text),
            vec![
                (Program::Line("rm -rf /srv/data; echo {}".to_owned()), false),
                (Program::Unknown, false),
                (Program::Line("make deploy".to_owned()), true),
            ]
        );
    }
}
