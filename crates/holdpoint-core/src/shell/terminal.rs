//! Programs that drive a terminal: what they type into one (`tmux send-keys`, `screen
//! -X stuff`, `expect`'s `send`, `xdotool type`) runs there as a command line, and what
//! they start under one (`tmux new-window CMD`, `expect`'s `spawn`, `dtach -n S CMD`)
//! runs as a command (`socat EXEC:…,pty` is read with socat's other addresses, in
//! `embedded.rs`). Both are analysed like the
//! commands they are, so that driving a human's terminal to run holdpoint's human-only
//! commands is self-protection like running them.

/// What a terminal driver makes run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Driven {
    /// Text typed into a terminal, run as command lines by whatever reads it there.
    Typed(String),
    /// A command line run by a shell.
    Command(String),
    /// A program and its arguments.
    Argv(Vec<String>),
}

/// What the driver `base` with `args` makes run; `None` when it is not a terminal driver.
pub(super) fn driven(base: &str, args: &[String]) -> Option<Vec<Driven>> {
    match base {
        "tmux" => Some(tmux(args)),
        "screen" => Some(screen(args)),
        "expect" => Some(expect_args(args)),
        "zellij" => Some(zellij(args)),
        "kitty" | "kitten" => Some(kitty(args)),
        "wezterm" => Some(wezterm(args)),
        "xdotool" | "ydotool" | "wtype" => Some(typing(base, args)),
        "ttyecho" | "writevt" => {
            let text: Vec<&str> = args
                .iter()
                .filter(|a| !a.starts_with('-') && !a.starts_with("/dev/"))
                .map(String::as_str)
                .collect();
            Some(vec![Driven::Typed(text.join(" "))])
        }
        "dtach" | "abduco" => {
            // `dtach -n SOCKET [options] CMD…`, `abduco -c NAME CMD…`.
            let mut rest = args.iter().skip_while(|a| a.starts_with('-'));
            rest.next();
            let command: Vec<String> = rest.skip_while(|a| a.starts_with('-')).cloned().collect();
            Some(if command.is_empty() {
                Vec::new()
            } else {
                vec![Driven::Argv(command)]
            })
        }
        _ => None,
    }
}

/// Key names that end a typed line.
fn key_text(key: &str) -> Option<&'static str> {
    match key {
        "Enter" | "C-m" | "KPEnter" | "C-j" | "Return" | "KP_Enter" => Some("\n"),
        "Space" => Some(" "),
        "Tab" | "C-i" => Some("\t"),
        _ => None,
    }
}

fn tmux(args: &[String]) -> Vec<Driven> {
    let mut out = Vec::new();
    let mut i = 0;
    // Global options before the command.
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "-c" => {
                out.extend(args.get(i + 1).map(|c| Driven::Command(c.clone())));
                i += 2;
            }
            "-L" | "-S" | "-f" | "-T" => i += 2,
            flag if flag.starts_with('-') => i += 1,
            _ => break,
        }
    }
    // Commands are separated by `;`.
    let rest = args.get(i..).unwrap_or(&[]);
    for command in rest.split(|a| a == ";" || a == "\\;") {
        let Some((name, words)) = command.split_first() else {
            continue;
        };
        let positional = |value_flags: &[&str]| -> Vec<String> {
            let mut out = Vec::new();
            let mut j = 0;
            while let Some(word) = words.get(j) {
                if word == "--" {
                    out.extend(words.get(j + 1..).unwrap_or(&[]).iter().cloned());
                    break;
                }
                if word.starts_with('-') && word.len() > 1 && out.is_empty() {
                    j += if value_flags.contains(&word.as_str()) {
                        2
                    } else {
                        1
                    };
                    continue;
                }
                out.push(word.clone());
                j += 1;
            }
            out
        };
        match name.as_str() {
            "send-keys" | "send" => {
                let hex = words.iter().any(|w| w == "-H");
                let literal = words.iter().any(|w| w == "-l");
                let mut text = String::new();
                for key in positional(&["-t", "-N", "-c"]) {
                    if hex {
                        if let Ok(byte) = u8::from_str_radix(&key, 16) {
                            text.push(char::from(byte));
                        }
                    } else if let (false, Some(typed)) = (literal, key_text(&key)) {
                        text.push_str(typed);
                    } else if !literal
                        && (key.starts_with("C-") || key.starts_with("M-"))
                        && key.len() == 3
                    {
                        // A control key: it types no text of its own.
                    } else {
                        text.push_str(&key);
                    }
                }
                out.push(Driven::Typed(text));
            }
            "set-buffer" | "setb" => {
                out.extend(
                    positional(&["-b", "-t", "-n"])
                        .into_iter()
                        .map(Driven::Typed),
                );
            }
            "new-session" | "new" | "new-window" | "neww" | "split-window" | "splitw"
            | "respawn-pane" | "respawnp" | "respawn-window" | "respawnw" | "display-popup"
            | "popup" | "run-shell" | "run" | "pipe-pane" | "pipep" => {
                let value_flags: &[&str] = match name.as_str() {
                    "new-session" | "new" => {
                        &["-c", "-e", "-F", "-n", "-s", "-t", "-x", "-y", "-f"]
                    }
                    "new-window" | "neww" => &["-c", "-e", "-F", "-n", "-t"],
                    "split-window" | "splitw" => &["-c", "-e", "-F", "-l", "-t", "-p"],
                    "display-popup" | "popup" => &[
                        "-b", "-c", "-d", "-e", "-h", "-s", "-S", "-t", "-T", "-w", "-x", "-y",
                    ],
                    "run-shell" | "run" => &["-c", "-d", "-t"],
                    _ => &["-c", "-e", "-t"],
                };
                let command = positional(value_flags);
                if !command.is_empty() {
                    out.push(Driven::Command(command.join(" ")));
                }
            }
            "if-shell" | "if" => {
                if let Some(condition) = positional(&["-t"]).first() {
                    out.push(Driven::Command(condition.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// Text as screen's `stuff` reads it: `^M` and `\n`, `\r` and octal escapes.
fn screen_text(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('^', Some('M' | 'J')) | ('\\', Some('n' | 'r')) => {
                chars.next();
                out.push('\n');
            }
            ('\\', Some(d)) if d.is_digit(8) => {
                let mut digits = String::new();
                while digits.len() < 3 && chars.peek().is_some_and(|d| d.is_digit(8)) {
                    digits.extend(chars.next());
                }
                if let Some(decoded) = u32::from_str_radix(&digits, 8)
                    .ok()
                    .and_then(char::from_u32)
                {
                    out.push(decoded);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn screen(args: &[String]) -> Vec<Driven> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "-X" => {
                let command = args.get(i + 1..).unwrap_or(&[]);
                return match command.split_first() {
                    Some((name, words)) if name == "stuff" => words
                        .iter()
                        .map(|w| Driven::Typed(screen_text(w)))
                        .collect(),
                    Some((name, words)) if name == "exec" || name == "screen" => {
                        let argv: Vec<String> = words
                            .iter()
                            .skip_while(|w| w.starts_with(['-', '.', '!', ':', '|']))
                            .cloned()
                            .collect();
                        if argv.is_empty() {
                            Vec::new()
                        } else {
                            vec![Driven::Argv(argv)]
                        }
                    }
                    _ => Vec::new(),
                };
            }
            "-S" | "-s" | "-c" | "-p" | "-t" | "-e" | "-h" | "-T" | "-r" | "-x" | "-R" => i += 2,
            flag if flag.starts_with('-') => {
                // `-dmS name`: a bundle whose last letter takes a value.
                i += if flag.len() > 2 && flag.ends_with(['S', 's', 'c', 'p', 't', 'e', 'h', 'T']) {
                    2
                } else {
                    1
                };
            }
            _ => return vec![Driven::Argv(args.get(i..).unwrap_or(&[]).to_vec())],
        }
    }
    Vec::new()
}

fn expect_args(args: &[String]) -> Vec<Driven> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "-c" {
            if let Some(script) = args.get(i + 1) {
                out.extend(expect_script(script));
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// What an expect (Tcl) script starts and types: `spawn PROGRAM ARGS`, `exec …`,
/// `system …`, and the text of `send`, read as command lines.
pub(super) fn expect_script(script: &str) -> Vec<Driven> {
    let mut out = Vec::new();
    for statement in tcl_statements(script) {
        let words = tcl_words(&statement);
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        let rest: Vec<String> = rest
            .iter()
            .skip_while(|w| {
                matches!(
                    w.as_str(),
                    "-noecho"
                        | "-h"
                        | "-s"
                        | "-i"
                        | "--"
                        | "-raw"
                        | "-ignore"
                        | "-open"
                        | "-leaveopen"
                        | "-console"
                        | "-nottycopy"
                        | "-nottyinit"
                        | "-pty"
                )
            })
            .cloned()
            .collect();
        match first.as_str() {
            "spawn" | "exp_spawn" | "exec" if !rest.is_empty() => out.push(Driven::Argv(rest)),
            "system" => out.push(Driven::Command(rest.join(" "))),
            // `send_user` only prints.
            "send" | "exp_send" => out.push(Driven::Typed(tcl_escapes(&rest.join(" ")))),
            _ => {}
        }
    }
    out
}

/// A Tcl script's statements: lines and `;`, outside quotes and braces.
fn tcl_statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in script.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                current.push(c);
                escaped = true;
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                current.push(c);
            }
            '{' if !quoted => {
                depth += 1;
                current.push(c);
            }
            '}' if !quoted => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ';' | '\n' if depth == 0 && !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The words of one Tcl statement, with quotes and braces taken off.
fn tcl_words(statement: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = statement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for inner in chars.by_ref() {
                    if inner == '"' {
                        break;
                    }
                    current.push(inner);
                }
            }
            '{' => {
                let mut depth = 1;
                for inner in chars.by_ref() {
                    match inner {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    current.push(inner);
                }
            }
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `\r` and `\n` in Tcl strings end a typed line.
fn tcl_escapes(text: &str) -> String {
    text.replace("\\r", "\n")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
}

fn zellij(args: &[String]) -> Vec<Driven> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let at = |name: &str| words.iter().position(|w| *w == name);
    if let Some(run) = at("run") {
        let rest = words.get(run + 1..).unwrap_or(&[]);
        let command: Vec<String> = match rest.iter().position(|w| *w == "--") {
            Some(dash) => rest
                .get(dash + 1..)
                .unwrap_or(&[])
                .iter()
                .map(|w| (*w).to_owned())
                .collect(),
            None => rest
                .iter()
                .skip_while(|w| w.starts_with('-'))
                .map(|w| (*w).to_owned())
                .collect(),
        };
        return if command.is_empty() {
            Vec::new()
        } else {
            vec![Driven::Argv(command)]
        };
    }
    if let Some(write) = at("write-chars") {
        return words
            .get(write + 1..)
            .unwrap_or(&[])
            .iter()
            .map(|w| Driven::Typed((*w).to_owned()))
            .collect();
    }
    if let Some(write) = at("write") {
        let text: String = words
            .get(write + 1..)
            .unwrap_or(&[])
            .iter()
            .filter_map(|w| w.parse::<u8>().ok().map(char::from))
            .collect();
        return vec![Driven::Typed(text.replace('\r', "\n"))];
    }
    Vec::new()
}

fn kitty(args: &[String]) -> Vec<Driven> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Some(send) = words.iter().position(|w| *w == "send-text") {
        let text: Vec<&str> = words
            .get(send + 1..)
            .unwrap_or(&[])
            .iter()
            .filter(|w| !w.starts_with('-'))
            .copied()
            .collect();
        return vec![Driven::Typed(tcl_escapes(&text.join(" ")))];
    }
    if let Some(launch) = words.iter().position(|w| *w == "launch") {
        let command: Vec<String> = words
            .get(launch + 1..)
            .unwrap_or(&[])
            .iter()
            .skip_while(|w| w.starts_with('-'))
            .map(|w| (*w).to_owned())
            .collect();
        if !command.is_empty() {
            return vec![Driven::Argv(command)];
        }
    }
    Vec::new()
}

fn wezterm(args: &[String]) -> Vec<Driven> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Some(send) = words.iter().position(|w| *w == "send-text") {
        let text: Vec<&str> = words
            .get(send + 1..)
            .unwrap_or(&[])
            .iter()
            .filter(|w| !w.starts_with('-'))
            .copied()
            .collect();
        return vec![Driven::Typed(text.join(" "))];
    }
    if words.iter().any(|w| matches!(*w, "spawn" | "start"))
        && let Some(dash) = words.iter().position(|w| *w == "--")
    {
        let command: Vec<String> = words
            .get(dash + 1..)
            .unwrap_or(&[])
            .iter()
            .map(|w| (*w).to_owned())
            .collect();
        if !command.is_empty() {
            return vec![Driven::Argv(command)];
        }
    }
    Vec::new()
}

/// `xdotool type TEXT`, `ydotool type TEXT`, `wtype TEXT`: keystrokes into a window.
fn typing(base: &str, args: &[String]) -> Vec<Driven> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if base == "wtype" {
        let text: Vec<&str> = words
            .iter()
            .filter(|w| !w.starts_with('-'))
            .copied()
            .collect();
        return vec![Driven::Typed(text.join(" "))];
    }
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if *word == "type" {
            let text: Vec<&str> = words
                .get(i + 1..)
                .unwrap_or(&[])
                .iter()
                .take_while(|w| !matches!(**w, "key" | "type" | "keydown" | "keyup"))
                .filter(|w| !w.starts_with("--"))
                .copied()
                .collect();
            out.push(Driven::Typed(format!("{}\n", text.join(" "))));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn what_drivers_make_run() {
        assert_eq!(
            driven(
                "tmux",
                &strings(&[
                    "send-keys",
                    "-t",
                    "0",
                    "holdpoint approvals approve x",
                    "Enter"
                ])
            ),
            Some(vec![Driven::Typed(
                "holdpoint approvals approve x\n".to_owned()
            )])
        );
        assert_eq!(
            driven(
                "screen",
                &strings(&["-S", "main", "-X", "stuff", "ls -la\\n"])
            ),
            Some(vec![Driven::Typed("ls -la\n".to_owned())])
        );
        assert_eq!(
            expect_script(
                "spawn holdpoint approvals approve x; expect \"secret\"; send \"hunter2\\r\"; interact"
            ),
            vec![
                Driven::Argv(strings(&["holdpoint", "approvals", "approve", "x"])),
                Driven::Typed("hunter2\n".to_owned()),
            ]
        );
        assert_eq!(
            driven("tmux", &strings(&["new-window", "-d", "rm -rf /srv/data"])),
            Some(vec![Driven::Command("rm -rf /srv/data".to_owned())])
        );
    }
}
