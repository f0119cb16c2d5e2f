//! Small languages that tools carry in their arguments and files: sed scripts, awk
//! programs, vim's ex commands, gdb and lldb commands, ssh options, git configuration,
//! tar's checkpoint actions, less's commands, fzf's key bindings and socat's addresses.
//! Each reader says what the text makes its tool do beyond reading: the commands it
//! runs, the files it writes, and anything the reader does not know, which the walker
//! counts as at least `change`. Readers only look; they never run anything.

/// One thing a piece of embedded text makes its tool do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    /// Runs this command line.
    Runs(String),
    /// Runs this command line on the remote host the tool connects to.
    RunsRemote(String),
    /// Runs code in a language the walker reads (`python`, `perl`, `ruby`).
    Code(&'static str, String),
    /// Starts the program being debugged, with these arguments (gdb's `run`).
    RunsProgram(String),
    /// Writes over this file.
    Writes(String),
    /// Appends to this file.
    Appends(String),
    /// Reads more text of the same language from this file.
    Includes(String),
    /// Runs something that cannot be read before it runs; the sentence says what.
    Unseen(String),
    /// Does something the reader does not know to be harmless; the sentence says what.
    Unknown(String),
}

/// How deeply readers may call themselves (`:g/x/normal …`, `Match exec`).
const DEPTH: u8 = 4;

/// The text up to the end of the line at `i`, and the index after it.
fn to_line_end(chars: &[char], i: usize) -> (String, usize) {
    let mut j = i;
    let mut out = String::new();
    while let Some(&c) = chars.get(j) {
        if c == '\n' {
            break;
        }
        out.push(c);
        j += 1;
    }
    (out, j)
}

/// A word that ends at `;`, a newline or the end (sed labels, `v`).
fn to_separator(chars: &[char], i: usize) -> usize {
    let mut j = i;
    while let Some(&c) = chars.get(j) {
        if c == ';' || c == '\n' {
            break;
        }
        j += 1;
    }
    j
}

/// Skips a delimited part (`/regex/`) starting after its opening delimiter; returns the
/// index after the closing one.
fn skip_delimited(chars: &[char], mut i: usize, delimiter: char) -> usize {
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            i += 2;
            continue;
        }
        if c == delimiter {
            return i + 1;
        }
        if c == '\n' && delimiter != '\n' {
            return i;
        }
        i += 1;
    }
    i
}

// ---------------------------------------------------------------------------------------
// sed

/// A GNU sed script: `e` and the `e` flag run commands, `w`, `W` and the `w` flag write
/// files; `r` and `R` only read.
pub(crate) fn sed(script: &str) -> Vec<Act> {
    let chars: Vec<char> = script.chars().collect();
    let mut acts = Vec::new();
    let mut i = 0;
    loop {
        while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ';') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        i = skip_sed_address(&chars, i);
        while chars
            .get(i)
            .is_some_and(|c| *c == ' ' || *c == '\t' || *c == '!')
        {
            i += 1;
        }
        let Some(&command) = chars.get(i) else {
            break;
        };
        i += 1;
        match command {
            '{' | '}' | '=' | 'd' | 'D' | 'g' | 'G' | 'h' | 'H' | 'n' | 'N' | 'p' | 'P' | 'x'
            | 'z' | 'F' => {}
            '#' => i = to_line_end(&chars, i).1,
            ':' | 'b' | 't' | 'T' | 'v' => i = to_separator(&chars, i),
            'a' | 'i' | 'c' => {
                // Text to the end of the line, continued by a final backslash.
                loop {
                    let (line, end) = to_line_end(&chars, i);
                    i = end + 1;
                    if !line.ends_with('\\') {
                        break;
                    }
                }
            }
            'r' | 'R' => i = to_line_end(&chars, i).1,
            'w' | 'W' => {
                let (file, end) = to_line_end(&chars, i);
                i = end;
                acts.push(Act::Writes(file.trim().to_owned()));
            }
            'e' => {
                let (command, end) = to_line_end(&chars, i);
                i = end;
                let command = command.trim();
                if command.is_empty() {
                    acts.push(Act::Unseen(
                        "sed's `e` runs each line it reads as a command".to_owned(),
                    ));
                } else {
                    acts.push(Act::Runs(command.to_owned()));
                }
            }
            's' | 'y' => {
                let Some(&delimiter) = chars.get(i) else {
                    break;
                };
                i = skip_delimited(&chars, i + 1, delimiter);
                i = skip_delimited(&chars, i, delimiter);
                if command == 'y' {
                    continue;
                }
                while let Some(&flag) = chars.get(i) {
                    match flag {
                        'g' | 'p' | 'i' | 'I' | 'm' | 'M' | '0'..='9' => i += 1,
                        'e' => {
                            acts.push(Act::Unseen(
                                "sed's `s///e` runs what it makes as a command".to_owned(),
                            ));
                            i += 1;
                        }
                        'w' => {
                            let (file, end) = to_line_end(&chars, i + 1);
                            i = end;
                            acts.push(Act::Writes(file.trim().to_owned()));
                        }
                        _ => break,
                    }
                }
            }
            'l' | 'q' | 'Q' | 'L' => {
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == ' ')
                {
                    i += 1;
                }
            }
            other => {
                acts.push(Act::Unknown(format!(
                    "sed command `{other}` that holdpoint does not know"
                )));
                i = to_line_end(&chars, i).1;
            }
        }
    }
    acts
}

fn skip_sed_address(chars: &[char], mut i: usize) -> usize {
    let mut after_regex = false;
    while let Some(&c) = chars.get(i) {
        match c {
            '0'..='9' | '$' | '~' | '+' | ',' => {
                after_regex = false;
                i += 1;
            }
            '/' => {
                i = skip_delimited(chars, i + 1, '/');
                after_regex = true;
            }
            '\\' => {
                let Some(&delimiter) = chars.get(i + 1) else {
                    return i + 1;
                };
                i = skip_delimited(chars, i + 2, delimiter);
                after_regex = true;
            }
            'I' | 'M' if after_regex => i += 1,
            ' ' | '\t' if after_regex => i += 1,
            _ => return i,
        }
    }
    i
}

// ---------------------------------------------------------------------------------------
// awk

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Str(String),
    Regex,
    Word(String),
    Op(String),
    Newline,
}

fn awk_tokens(program: &str) -> Vec<Token> {
    let chars: Vec<char> = program.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
            '\n' => {
                out.push(Token::Newline);
                i += 1;
            }
            '#' => i = to_line_end(&chars, i).1,
            '"' => {
                let mut text = String::new();
                i += 1;
                while let Some(&c) = chars.get(i) {
                    match c {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\\' => {
                            match chars.get(i + 1) {
                                Some('n') => text.push('\n'),
                                Some('t') => text.push('\t'),
                                Some(&other) => text.push(other),
                                None => {}
                            }
                            i += 2;
                        }
                        _ => {
                            text.push(c);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(text));
            }
            '/' if regex_may_start(out.last()) => {
                i = skip_delimited(&chars, i + 1, '/');
                out.push(Token::Regex);
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut word = String::new();
                while let Some(&c) = chars.get(i) {
                    if !(c.is_alphanumeric()
                        || c == '_'
                        || c == '.' && word.starts_with(|d: char| d.is_ascii_digit()))
                    {
                        break;
                    }
                    word.push(c);
                    i += 1;
                }
                if word.is_empty() {
                    word.push(c);
                    i += 1;
                }
                out.push(Token::Word(word));
            }
            _ => {
                let two: String = chars.iter().skip(i).take(2).collect();
                let op = if matches!(
                    two.as_str(),
                    "||" | "&&"
                        | "|&"
                        | ">>"
                        | ">="
                        | "<="
                        | "=="
                        | "!="
                        | "++"
                        | "--"
                        | "+="
                        | "-="
                        | "*="
                        | "/="
                        | "%="
                        | "^="
                        | "!~"
                ) {
                    two
                } else {
                    c.to_string()
                };
                i += op.chars().count();
                out.push(Token::Op(op));
            }
        }
    }
    out
}

/// Whether a `/` after this token starts a regular expression rather than a division.
fn regex_may_start(previous: Option<&Token>) -> bool {
    match previous {
        None | Some(Token::Newline) => true,
        Some(Token::Op(op)) => op != ")" && op != "]" && op != "++" && op != "--",
        Some(Token::Word(word)) => matches!(word.as_str(), "print" | "printf" | "return"),
        Some(Token::Str(_) | Token::Regex) => false,
    }
}

/// Whether an expression may start after this token: a string there is the whole
/// command, not the end of a concatenation.
fn starts_expression(previous: Option<&Token>) -> bool {
    match previous {
        None | Some(Token::Newline) => true,
        Some(Token::Op(op)) => !matches!(op.as_str(), ")" | "]"),
        Some(Token::Word(word)) => matches!(word.as_str(), "print" | "printf" | "return"),
        Some(Token::Str(_) | Token::Regex) => false,
    }
}

/// An awk program: `system()`, `"cmd" | getline`, `print | "cmd"` and `|&` run commands;
/// `print > "file"` and `>>` write files; gawk's `@load` and `@include` read code.
pub(crate) fn awk(program: &str) -> Vec<Act> {
    let tokens = awk_tokens(program);
    // Names assigned a string literal (`c = "cmd"`, `-v c=cmd`): what they may hold.
    let mut literals: Vec<(String, String)> = Vec::new();
    for window in tokens.windows(3) {
        if let [Token::Word(name), Token::Op(op), Token::Str(value)] = window
            && op == "="
        {
            literals.push((name.clone(), value.clone()));
        }
    }
    let resolve = |token: &Token| -> Option<Vec<String>> {
        match token {
            Token::Str(text) => Some(vec![text.clone()]),
            Token::Word(name) => {
                let values: Vec<String> = literals
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .collect();
                (!values.is_empty()).then_some(values)
            }
            _ => None,
        }
    };
    let mut acts = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1);
        match token {
            Token::Word(word) if word == "system" && next == Some(&Token::Op("(".to_owned())) => {
                let argument = arguments(&tokens, i + 1);
                match argument.as_slice() {
                    [one] if resolve(one).is_some() => {
                        acts.extend(resolve(one).unwrap_or_default().into_iter().map(Act::Runs));
                    }
                    _ => acts.push(Act::Unseen(
                        "awk's `system()` runs a command built when it runs".to_owned(),
                    )),
                }
            }
            Token::Op(op)
                if (op == "|" || op == "|&")
                    && next == Some(&Token::Word("getline".to_owned())) =>
            {
                let command = i
                    .checked_sub(1)
                    .and_then(|j| tokens.get(j))
                    .filter(|_| starts_expression(i.checked_sub(2).and_then(|j| tokens.get(j))))
                    .and_then(resolve);
                match command {
                    Some(commands) => acts.extend(commands.into_iter().map(Act::Runs)),
                    _ => acts.push(Act::Unseen(
                        "awk reads the output of a command built when it runs".to_owned(),
                    )),
                }
            }
            Token::Word(word) if word == "print" || word == "printf" => {
                acts.extend(print_redirection(&tokens, i + 1, &resolve));
            }
            Token::Op(op) if op == "@" => {
                if let Some(Token::Word(word)) = next
                    && (word == "load" || word == "include")
                {
                    acts.push(Act::Unknown(format!(
                        "gawk's `@{word}` reads code holdpoint has not seen"
                    )));
                }
            }
            _ => {}
        }
    }
    acts
}

/// The tokens inside the parentheses that open at `open`.
fn arguments(tokens: &[Token], open: usize) -> Vec<Token> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for token in tokens.iter().skip(open) {
        match token {
            Token::Op(op) if op == "(" => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            Token::Op(op) if op == ")" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        out.push(token.clone());
    }
    out
}

/// What a `print` or `printf` statement starting at `start` redirects its output to.
fn print_redirection(
    tokens: &[Token],
    start: usize,
    resolve: &dyn Fn(&Token) -> Option<Vec<String>>,
) -> Vec<Act> {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(token) = tokens.get(i) {
        match token {
            Token::Newline => break,
            Token::Op(op) => match op.as_str() {
                "(" | "[" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                ";" | "}" if depth == 0 => break,
                ">" | ">>" | "|" | "|&" if depth == 0 => {
                    let mut target = Vec::new();
                    for t in tokens.iter().skip(i + 1) {
                        if matches!(t, Token::Newline)
                            || matches!(t, Token::Op(o) if o == ";" || o == "}")
                        {
                            break;
                        }
                        target.push(t.clone());
                    }
                    let literals = match target.as_slice() {
                        [one] => resolve(one),
                        [Token::Op(open), one, Token::Op(close)] if open == "(" && close == ")" => {
                            resolve(one)
                        }
                        _ => None,
                    };
                    return match (op.as_str(), literals) {
                        (">", Some(files)) => files.into_iter().map(Act::Writes).collect(),
                        (">>", Some(files)) => files.into_iter().map(Act::Appends).collect(),
                        (_, Some(commands)) => commands.into_iter().map(Act::Runs).collect(),
                        (">" | ">>", None) => vec![Act::Unknown(
                            "awk writes a file whose name is known only when it runs".to_owned(),
                        )],
                        (_, None) => vec![Act::Unseen(
                            "awk pipes its output into a command built when it runs".to_owned(),
                        )],
                    };
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// vim's ex commands

/// Vim functions that run commands, write or delete files, or run code.
const VIM_UNSAFE_FUNCTIONS: &[&str] = &[
    "system",
    "systemlist",
    "job_start",
    "jobstart",
    "term_start",
    "termopen",
    "delete",
    "writefile",
    "rename",
    "mkdir",
    "setfperm",
    "libcall",
    "libcallnr",
    "ch_open",
    "remote_send",
    "remote_expr",
    "feedkeys",
    "execute",
    "eval",
    "luaeval",
    "py3eval",
    "pyeval",
    "pyxeval",
    "perleval",
    "rubyeval",
    "mzeval",
    "chdir",
    "setenv",
    "call",
    "funcref",
    "function",
    "timer_start",
    "filewritable",
];

/// Vim options whose value is a command, an expression that runs, or a file vim writes.
const VIM_RUNNING_OPTIONS: &[&str] = &[
    "shell",
    "sh",
    "shellcmdflag",
    "shcf",
    "shellpipe",
    "sp",
    "shellredir",
    "srr",
    "makeprg",
    "mp",
    "grepprg",
    "gp",
    "keywordprg",
    "kp",
    "equalprg",
    "ep",
    "formatprg",
    "fp",
    "backupdir",
    "bdir",
    "directory",
    "dir",
    "undodir",
    "udir",
    "viminfo",
    "vi",
    "viminfofile",
    "vif",
    "shada",
    "sd",
    "shadafile",
    "sdf",
    "printexpr",
    "pexpr",
    "diffexpr",
    "dex",
    "patchexpr",
    "pex",
    "charconvert",
    "ccv",
    "includeexpr",
    "inex",
    "foldexpr",
    "fde",
    "indentexpr",
    "inde",
    "formatexpr",
    "fex",
    "statusline",
    "stl",
    "tabline",
    "tal",
    "titlestring",
    "rulerformat",
    "ruf",
    "iconstring",
    "balloonexpr",
    "bexpr",
    "tagfunc",
    "tfu",
    "completefunc",
    "cfu",
    "omnifunc",
    "ofu",
    "operatorfunc",
    "opfunc",
    "modelineexpr",
    "mle",
    "secure",
    "exrc",
    "ex",
    "verbosefile",
    "vfile",
    "backup",
    "bk",
    "writebackup",
    "wb",
    "backupext",
    "bex",
    "packpath",
    "pp",
    "runtimepath",
    "rtp",
    "pythonhome",
    "pythonthreehome",
    "pythondll",
    "pythonthreedll",
    "luadll",
    "perldll",
    "rubydll",
    "mzschemedll",
    "tcldll",
    "cdpath",
    "cd",
    "path",
    "pa",
];

/// Ex commands that only read, move, show or edit buffers (what is written is a
/// separate command).
const EX_HARMLESS: &[&str] = &[
    "q",
    "quit",
    "qa",
    "qall",
    "quita",
    "quitall",
    "cq",
    "cquit",
    "clo",
    "close",
    "on",
    "only",
    "hid",
    "hide",
    "ene",
    "enew",
    "b",
    "buffer",
    "bn",
    "bnext",
    "bp",
    "bprevious",
    "bN",
    "bNext",
    "br",
    "brewind",
    "bf",
    "bfirst",
    "bl",
    "blast",
    "bd",
    "bdelete",
    "bw",
    "bwipeout",
    "bun",
    "bunload",
    "N",
    "Next",
    "prev",
    "previous",
    "rew",
    "rewind",
    "fir",
    "first",
    "la",
    "last",
    "argd",
    "argdelete",
    "ls",
    "buffers",
    "files",
    "s",
    "substitute",
    "&",
    "&&",
    "~",
    "d",
    "delete",
    "y",
    "yank",
    "pu",
    "put",
    "m",
    "move",
    "t",
    "co",
    "copy",
    "j",
    "join",
    ">",
    "<",
    "le",
    "left",
    "ri",
    "right",
    "ce",
    "center",
    "ret",
    "retab",
    "sor",
    "sort",
    "u",
    "undo",
    "red",
    "redo",
    "noh",
    "nohlsearch",
    "sy",
    "syntax",
    "filet",
    "filetype",
    "colo",
    "colorscheme",
    "hi",
    "highlight",
    "p",
    "print",
    "nu",
    "number",
    "#",
    "l",
    "list",
    "=",
    "z",
    "dis",
    "display",
    "reg",
    "registers",
    "marks",
    "ju",
    "jumps",
    "changes",
    "ve",
    "version",
    "h",
    "help",
    "mes",
    "messages",
    "scr",
    "scriptnames",
    "dig",
    "digraphs",
    "redr",
    "redraw",
    "diffthis",
    "diffupdate",
    "diffu",
    "diffoff",
    "diffo",
    "diffget",
    "diffg",
    "diffput",
    "diffpu",
    "fo",
    "fold",
    "foldo",
    "foldopen",
    "foldc",
    "foldclose",
    "k",
    "mark",
    "ma",
    "delm",
    "delmarks",
    "undoj",
    "undojoin",
    "winc",
    "wincmd",
    "res",
    "resize",
    "cw",
    "cwindow",
    "cn",
    "cnext",
    "cp",
    "cprevious",
    "cope",
    "copen",
    "ccl",
    "cclose",
    "lw",
    "lwindow",
    "lne",
    "lnext",
    "lp",
    "lprevious",
    "lop",
    "lopen",
    "lcl",
    "lclose",
    "ta",
    "tag",
    "ts",
    "tselect",
    "tn",
    "tnext",
    "tp",
    "tprevious",
    "po",
    "pop",
    "checkt",
    "checktime",
    "lan",
    "language",
    "cd",
    "chd",
    "chdir",
    "lcd",
    "tcd",
    "pw",
    "pwd",
    "ec",
    "echo",
    "echom",
    "echomsg",
    "echon",
    "echoh",
    "echohl",
    "let",
    "unl",
    "unlet",
    "if",
    "el",
    "else",
    "elsei",
    "elseif",
    "en",
    "endif",
    "wh",
    "while",
    "endw",
    "endwhile",
    "for",
    "endfo",
    "endfor",
    "con",
    "continue",
    "brea",
    "break",
    "map",
    "nm",
    "nmap",
    "nn",
    "nnoremap",
    "vm",
    "vmap",
    "vn",
    "vnoremap",
    "im",
    "imap",
    "ino",
    "inoremap",
    "no",
    "noremap",
    "unm",
    "unmap",
    "ab",
    "abbreviate",
    "star",
    "startinsert",
    "stopi",
    "stopinsert",
    "go",
    "goto",
    "norm!",
    "nos",
    "noswapfile",
    "fil",
    "filter",
];

/// One line of vim's ex commands (`vim -c …`, `+…`, `--cmd …`, a sourced file's line).
pub(crate) fn ex(line: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    ex_line(line, &mut acts, 0);
    acts
}

/// Lines of a vim script file.
pub(crate) fn ex_script(text: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('"') {
            continue;
        }
        ex_line(line, &mut acts, 0);
    }
    acts
}

fn ex_line(line: &str, acts: &mut Vec<Act>, depth: u8) {
    if depth > DEPTH {
        acts.push(Act::Unknown("vim commands nested too deeply".to_owned()));
        return;
    }
    let text = line.trim_start_matches([' ', '\t', ':']);
    if text.is_empty() || text.starts_with('"') {
        return;
    }
    // A range: line numbers, marks, patterns.
    let chars: Vec<char> = text.chars().collect();
    let i = after_address(&chars, '%');
    let rest: String = chars.iter().skip(i).collect();
    if let Some(command) = rest.strip_prefix('!') {
        acts.push(Act::Runs(command.trim().to_owned()));
        return;
    }
    let name_len = rest
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(rest.len(), |(at, _)| at);
    let (mut name, mut args) = rest.split_at(name_len);
    if name.is_empty() {
        // One-character commands: `&`, `~`, `<`, `>`, `=`, `#`, `@`, `*`.
        let Some(first) = rest.chars().next() else {
            return;
        };
        let at = first.len_utf8();
        name = rest.get(..at).unwrap_or("");
        args = rest.get(at..).unwrap_or("");
    }
    let bang = args.starts_with('!');
    let args = args.strip_prefix('!').unwrap_or(args).trim_start();
    // Everything after an unescaped `|` is the next command, except for commands that
    // take `|` as part of their argument.
    let takes_bar = matches!(
        name,
        "norm"
            | "normal"
            | "g"
            | "global"
            | "v"
            | "vglobal"
            | "exe"
            | "execute"
            | "py"
            | "python"
            | "py3"
            | "python3"
            | "pyx"
            | "pythonx"
            | "pydo"
            | "py3do"
            | "lua"
            | "luado"
            | "perl"
            | "perldo"
            | "rub"
            | "ruby"
            | "rubydo"
            | "r"
            | "read"
            | "w"
            | "write"
            | "com"
            | "command"
            | "au"
            | "autocmd"
            | "map"
            | "nm"
            | "nmap"
            | "nn"
            | "nnoremap"
            | "no"
            | "noremap"
    );
    let (args, next) = if takes_bar {
        (args, None)
    } else {
        split_bar(args)
    };
    ex_command(name, bang, args, acts, depth);
    if let Some(next) = next {
        ex_line(next, acts, depth + 1);
    }
}

/// Where the command after a line address or range begins (ex's and ed's: line
/// numbers, `.`, `$`, offsets, `'x` marks, `/pattern/` and `?pattern?`), with `also`
/// the character each has beside (ex's `%`, the whole file; ed's `^`, a line back).
fn after_address(chars: &[char], also: char) -> usize {
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '0'..='9' | '.' | '$' | ',' | ';' | '+' | '-' | ' ' | '\t' => i += 1,
            c if c == also => i += 1,
            '\'' => i += 2,
            '/' | '?' => i = skip_delimited(chars, i + 1, c),
            _ => break,
        }
    }
    i
}

/// Splits at the first `|` not escaped by a backslash.
fn split_bar(text: &str) -> (&str, Option<&str>) {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            '\\' => escaped = !escaped,
            '|' if !escaped => {
                return (
                    text.get(..at).unwrap_or(text),
                    text.get(at + 1..).filter(|rest| !rest.trim().is_empty()),
                );
            }
            _ => escaped = false,
        }
    }
    (text, None)
}

fn ex_command(name: &str, bang: bool, args: &str, acts: &mut Vec<Act>, depth: u8) {
    let args = args.trim();
    match name {
        // Modifiers: the rest is another command.
        "sil" | "silent" | "keepj" | "keepjumps" | "noa" | "noautocmd" | "lockm" | "lockmarks"
        | "keepa" | "keepalt" | "keepp" | "keeppatterns" | "verb" | "verbose" | "uns"
        | "unsilent" | "vert" | "vertical" | "to" | "topleft" | "bo" | "botright" | "abo"
        | "aboveleft" | "bel" | "belowright" | "tab" | "conf" | "confirm" | "bro" | "browse"
        | "sandbox" | "san" | "keepmarks" | "kee" => ex_line(args, acts, depth + 1),
        "w" | "write" | "up" | "update" | "wa" | "wall" | "wq" | "wqa" | "wqall" | "x" | "xit"
        | "xa" | "xall" | "exi" | "exit" | "sav" | "saveas" | "wn" | "wnext" | "wN" | "wNext"
        | "wp" | "wprevious" => {
            let args = args.trim_start_matches("++").trim();
            if let Some(command) = args.strip_prefix('!').filter(|_| !bang) {
                acts.push(Act::Runs(command.trim().to_owned()));
            } else if let Some(file) = args.strip_prefix(">>") {
                acts.push(Act::Appends(file.trim().to_owned()));
            } else if !args.is_empty() {
                acts.push(Act::Writes(args.to_owned()));
            }
        }
        "r" | "read" => {
            if let Some(command) = args.strip_prefix('!') {
                acts.push(Act::Runs(command.trim().to_owned()));
            }
        }
        // Commands that make other files current, which `:w`, `:x` or `:wq` without a
        // name then write: each file named counts as written, as a file named on the
        // command line does.
        "e" | "edit" | "new" | "vne" | "vnew" | "sp" | "split" | "vs" | "vsplit" | "tabe"
        | "tabedit" | "tabnew" | "vie" | "view" | "sv" | "sview" | "arga" | "argadd" | "ar"
        | "args" | "n" | "next" | "bad" | "badd" | "balt" => opened_files(args, acts, depth),
        "fin" | "find" | "sf" | "sfind" => {
            if !args.is_empty() {
                acts.push(Act::Unknown(format!(
                    "vim's `:{name}` opens a file found on its search path, which a later write writes"
                )));
            }
        }
        "redi" | "redir" => {
            let target = args.trim_start_matches('!').trim();
            if let Some(file) = target.strip_prefix(">>") {
                acts.push(Act::Appends(file.trim().to_owned()));
            } else if let Some(file) = target.strip_prefix('>') {
                acts.push(Act::Writes(file.trim_start_matches('!').trim().to_owned()));
            }
        }
        "mks" | "mksession" | "mkvie" | "mkview" | "mkv" | "mkvimrc" | "mk" | "mkexrc" | "wv"
        | "wviminfo" | "wsh" | "wshada" => {
            if args.is_empty() {
                acts.push(Act::Unknown(format!(
                    "vim's `:{name}` writes its state to a file"
                )));
            } else {
                acts.push(Act::Writes(args.to_owned()));
            }
        }
        "so" | "source" => acts.push(Act::Includes(args.to_owned())),
        "py" | "python" | "py3" | "python3" | "pyx" | "pythonx" | "pydo" | "py3do" => {
            acts.push(Act::Code("python", args.to_owned()))
        }
        "perl" | "perldo" => acts.push(Act::Code("perl", args.to_owned())),
        "rub" | "ruby" | "rubydo" => acts.push(Act::Code("ruby", args.to_owned())),
        "lua" | "luado" | "luafile" | "pyf" | "pyfile" | "py3f" | "py3file" | "pyxf"
        | "pyxfile" | "rubyf" | "rubyfile" | "mz" | "mzscheme" | "mzf" | "mzfile" | "tcl"
        | "tcld" | "tcldo" | "tclf" | "tclfile" | "ru" | "runtime" => {
            acts.push(Act::Unseen(format!("vim's `:{name}` runs code")))
        }
        "ter" | "terminal" | "sh" | "shell" | "st" | "stop" | "sus" | "suspend" => acts.push(
            Act::Unseen(format!("vim's `:{name}` starts a shell or terminal")),
        ),
        "mak" | "make" | "lmak" | "lmake" => acts.push(Act::Runs(format!("make {args}"))),
        "gr" | "grep" | "lgr" | "lgrep" | "grepa" | "grepadd" | "lgrepa" | "lgrepadd" => {
            acts.push(Act::Runs(format!("grep -n {args} /dev/null")))
        }
        "g" | "global" | "v" | "vglobal" => {
            // `:g/pattern/command` runs the command on each matching line.
            let chars: Vec<char> = args.chars().collect();
            if let Some(&delimiter) = chars.first() {
                let after = skip_delimited(&chars, 1, delimiter);
                let command: String = chars.iter().skip(after).collect();
                ex_line(&command, acts, depth + 1);
            }
        }
        "cal" | "call" => {
            // A function call: the functions it names decide.
            let acts_before = acts.len();
            acts.extend(vim_expression(args));
            if acts.len() == acts_before && !args.contains('(') {
                acts.push(Act::Unknown("vim's `:call` without a function".to_owned()));
            }
        }
        "exe" | "execute" | "norm" | "normal" | "au" | "autocmd" | "com" | "command" | "cs"
        | "cscope" | "lcs" | "lcscope" | "scs" | "scscope" | "ha" | "hardcopy" | "diffp"
        | "diffpatch" | "helpt" | "helptags" | "prof" | "profile" | "o" | "open" | "f" | "file"
        | "sav!" => acts.push(Act::Unknown(format!(
            "vim's `:{name}` may run commands or write files"
        ))),
        "se" | "set" | "setl" | "setlocal" | "setg" | "setglobal" => {
            for setting in args.split_whitespace() {
                let option = setting
                    .split(['=', ':', '+', '^', '-', '!', '&', '?'])
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("no")
                    .trim_start_matches("inv");
                if VIM_RUNNING_OPTIONS.contains(&option) {
                    acts.push(Act::Unknown(format!(
                        "vim option `{option}` names a command, an expression or a file"
                    )));
                }
            }
        }
        _ if EX_HARMLESS.contains(&name) => {
            // Expressions (`:echo`, `:let`, `:if`) may call functions.
            acts.extend(vim_expression(args));
        }
        _ => acts.push(Act::Unknown(format!(
            "vim command `:{name}` that holdpoint does not know"
        ))),
    }
}

/// The files an opening command (`:e`, `:sp`, `:args`) names, counted as written: its
/// `+cmd` runs that command first, and a name in backquotes is what a command prints
/// (vim runs it), or an expression's value.
fn opened_files(args: &str, acts: &mut Vec<Act>, depth: u8) {
    if args.contains('`') {
        for (at, quoted) in args.split('`').enumerate() {
            if at % 2 == 0 {
                continue;
            }
            match quoted.strip_prefix('=') {
                Some(_) => acts.push(Act::Unknown(
                    "vim names a file with an expression's value".to_owned(),
                )),
                None => acts.push(Act::Runs(quoted.to_owned())),
            }
        }
        acts.push(Act::Unknown(
            "vim opens the files a command or an expression names".to_owned(),
        ));
        return;
    }
    for word in vim_words(args) {
        if word.starts_with("++") {
            continue;
        }
        if let Some(command) = word.strip_prefix('+') {
            ex_line(command, acts, depth + 1);
            continue;
        }
        // `%` and `#` are files already open.
        if word.starts_with(['%', '#']) {
            continue;
        }
        acts.push(Act::Writes(word));
    }
}

/// Words as vim splits a command's file arguments: at blanks a backslash does not
/// escape, the backslash then dropped.
fn vim_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ (' ' | '\t')) => word.push(next),
                Some(next) => {
                    word.push('\\');
                    word.push(next);
                }
                None => word.push('\\'),
            },
            ' ' | '\t' => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            other => word.push(other),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

// ---------------------------------------------------------------------------------------
// dc

/// A dc(1) program: `!` runs the rest of its line as a command, in a macro (`[…]x`)
/// too, except as `!<`, `!>` and `!=`, which compare.
pub(crate) fn dc(text: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '!' && !matches!(chars.get(i + 1), Some('<' | '>' | '=')) {
            let (line, end) = to_line_end(&chars, i + 1);
            // In a macro the command may end where its string does.
            if let Some((before, _)) = line.split_once(']') {
                acts.push(Act::Runs(before.to_owned()));
            }
            acts.push(Act::Runs(line));
            i = end;
        } else {
            i += 1;
        }
    }
    acts
}

// ---------------------------------------------------------------------------------------
// ed

/// An ed(1) script (what `ed` or `red` reads from its standard input): `!command`, and
/// `e`, `r` and `w` given `!command`, run it; `w` and `W` given a name write or append
/// to that file; `e`, `E` and `f` given a name make another file the one a later `w`
/// writes; `g` and `v` run their command list on matching lines. Text after `a`, `i`
/// and `c` is text up to a line holding only `.`. Commands ed does not have, or that
/// holdpoint does not know, are not known to be harmless.
pub(crate) fn ed_script(text: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    let mut inserting = false;
    for line in text.lines() {
        if inserting {
            inserting = line != ".";
            continue;
        }
        inserting = ed_command(line, &mut acts, 0);
    }
    acts
}

/// One ed command; whether text to insert follows it.
fn ed_command(line: &str, acts: &mut Vec<Act>, depth: u8) -> bool {
    if depth > DEPTH {
        acts.push(Act::Unknown("ed commands nested too deeply".to_owned()));
        return false;
    }
    // The address: line numbers, `.`, `$`, offsets, marks and patterns.
    let chars: Vec<char> = line.chars().collect();
    let i = after_address(&chars, '^');
    let Some(&command) = chars.get(i) else {
        // An address alone prints a line.
        return false;
    };
    let rest: String = chars.iter().skip(i + 1).collect();
    let argument = rest.trim();
    match command {
        'a' | 'i' | 'c' => return argument.is_empty(),
        '!' => acts.push(Act::Runs(rest)),
        'e' | 'E' | 'r' | 'w' | 'W' | 'f' => {
            // `wq` writes, then quits.
            let argument = if command == 'w' {
                argument.strip_prefix('q').unwrap_or(argument).trim()
            } else {
                argument
            };
            if let Some(run) = argument.strip_prefix('!') {
                acts.push(Act::Runs(run.to_owned()));
            } else if argument.is_empty() || command == 'r' {
                // The file being edited, or a file read into it.
            } else if command == 'w' {
                acts.push(Act::Writes(argument.to_owned()));
            } else if command == 'W' {
                acts.push(Act::Appends(argument.to_owned()));
            } else {
                acts.push(Act::Unknown(format!(
                    "ed's `{command} {argument}` makes another file the one a later `w` writes"
                )));
            }
        }
        'g' | 'v' | 'G' | 'V' => {
            let after = chars
                .get(i + 1)
                .map_or(i + 1, |&delimiter| skip_delimited(&chars, i + 2, delimiter));
            let list: String = chars.iter().skip(after).collect();
            if list.trim_end().ends_with('\\') {
                acts.push(Act::Unknown(
                    "ed's global command with a command list of several lines".to_owned(),
                ));
            } else if command == 'G' || command == 'V' {
                acts.push(Act::Unknown(
                    "ed's interactive global command reads commands as it goes".to_owned(),
                ));
            } else if ed_command(&list, acts, depth + 1) {
                acts.push(Act::Unknown("ed's global command inserts text".to_owned()));
            }
        }
        // Substitution (no flag of ed's runs anything), deleting, printing, joining,
        // marking, moving, copying, undoing, quitting, help and prompts, cutting and
        // pasting (GNU ed's `x` and `y`), scrolling, and `=`.
        's' | 'd' | 'p' | 'n' | 'l' | 'j' | 'k' | 'm' | 't' | 'u' | 'q' | 'Q' | 'h' | 'H' | 'P'
        | 'x' | 'y' | 'z' | '=' | '#' => {}
        other => acts.push(Act::Unknown(format!(
            "ed command `{other}` that holdpoint does not know"
        ))),
    }
    false
}

/// Function calls in a vim expression that run commands or change files.
fn vim_expression(text: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while chars
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':' || *c == '#')
        {
            i += 1;
        }
        if i > start && chars.get(i) == Some(&'(') {
            let name: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
            let name = name.trim_start_matches("g:").trim_start_matches("s:");
            let argument: String = chars
                .iter()
                .skip(i + 1)
                .take_while(|c| **c != ')')
                .collect();
            let literal = argument
                .trim()
                .strip_prefix('\'')
                .and_then(|a| a.strip_suffix('\''))
                .or_else(|| {
                    argument
                        .trim()
                        .strip_prefix('"')
                        .and_then(|a| a.strip_suffix('"'))
                });
            if name == "system" || name == "systemlist" {
                match literal {
                    Some(command) => acts.push(Act::Runs(command.to_owned())),
                    None => acts.push(Act::Unseen(
                        "vim's `system()` runs a command built when it runs".to_owned(),
                    )),
                }
            } else if VIM_UNSAFE_FUNCTIONS.contains(&name)
                || name.contains('#')
                || name.starts_with(|c: char| c.is_ascii_uppercase())
            {
                acts.push(Act::Unknown(format!(
                    "vim function `{name}()` may run commands or change files"
                )));
            }
        }
        if i == start {
            i += 1;
        }
    }
    acts
}

// ---------------------------------------------------------------------------------------
// gdb and lldb

/// gdb commands that only inspect, set breakpoints or step the program being debugged.
const GDB_HARMLESS: &[&str] = &[
    "bt",
    "backtrace",
    "where",
    "info",
    "i",
    "list",
    "l",
    "disassemble",
    "disas",
    "frame",
    "f",
    "up",
    "down",
    "thread",
    "quit",
    "q",
    "file",
    "core-file",
    "core",
    "symbol-file",
    "directory",
    "dir",
    "help",
    "h",
    "echo",
    "ptype",
    "whatis",
    "x",
    "display",
    "undisplay",
    "break",
    "b",
    "br",
    "tbreak",
    "rbreak",
    "watch",
    "rwatch",
    "awatch",
    "delete",
    "d",
    "disable",
    "enable",
    "condition",
    "ignore",
    "continue",
    "c",
    "next",
    "n",
    "step",
    "s",
    "stepi",
    "si",
    "nexti",
    "ni",
    "finish",
    "fin",
    "until",
    "u",
    "advance",
    "show",
    "layout",
    "focus",
    "refresh",
    "end",
    "commands",
    "if",
    "else",
    "while",
    "loop_break",
    "loop_continue",
    "info",
    "frame",
    "select-frame",
    "tui",
    "catch",
    "tcatch",
    "handle",
    "checkpoint",
];

/// `set` subcommands of gdb that only change how it shows or steps.
const GDB_HARMLESS_SETTINGS: &[&str] = &[
    "var",
    "variable",
    "pagination",
    "confirm",
    "print",
    "p",
    "width",
    "height",
    "disassembly-flavor",
    "breakpoint",
    "listsize",
    "style",
    "verbose",
    "language",
    "scheduler-locking",
    "non-stop",
    "follow-fork-mode",
    "follow-exec-mode",
    "detach-on-fork",
    "debuginfod",
    "step-mode",
    "charset",
    "radix",
    "env",
    "environment",
    "substitute-path",
    "directories",
    "max-value-size",
    "trace-commands",
    "history",
    "osabi",
    "architecture",
    "endian",
    "can-use-hw-watchpoints",
    "backtrace",
    "filename-display",
    "startup-with-shell",
    "disable-randomization",
    "logging",
    "complaints",
    "demangle-style",
    "auto-solib-add",
    "stop-on-solib-events",
    "unwindonsignal",
    "python",
    "tui",
    "output-radix",
    "input-radix",
    "max-completions",
    "prompt",
];

/// One gdb command line (`gdb -ex …`).
pub(crate) fn gdb(line: &str) -> Vec<Act> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Vec::new();
    }
    if let Some(command) = line.strip_prefix('!') {
        return vec![Act::Runs(command.trim().to_owned())];
    }
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    match word {
        "shell" => vec![Act::Runs(rest.to_owned())],
        "pipe" | "|" => {
            // `pipe [COMMAND] | SHELL_COMMAND`, or with `-d DELIM` instead of `|`.
            let (delimiter, rest) = match rest.strip_prefix("-d ") {
                Some(after) => {
                    let (delimiter, rest) = after
                        .trim_start()
                        .split_once(char::is_whitespace)
                        .unwrap_or((after, ""));
                    (delimiter.to_owned(), rest)
                }
                None => ("|".to_owned(), rest),
            };
            match rest.split_once(delimiter.as_str()) {
                Some((command, shell)) => {
                    let mut acts = gdb(command);
                    acts.push(Act::Runs(shell.trim().to_owned()));
                    acts
                }
                None => vec![Act::Runs(rest.to_owned())],
            }
        }
        "python" | "py" | "python-interactive" | "pi" => {
            if rest.is_empty() {
                vec![Act::Unseen("gdb's `python` runs code".to_owned())]
            } else {
                vec![Act::Code("python", rest.to_owned())]
            }
        }
        "source" => {
            let file = rest
                .split_whitespace()
                .find(|w| !w.starts_with('-'))
                .unwrap_or("");
            vec![Act::Includes(file.to_owned())]
        }
        "run" | "r" | "start" | "starti" => vec![Act::RunsProgram(rest.to_owned())],
        "set" => {
            let setting = rest.split_whitespace().next().unwrap_or("");
            if setting == "exec-wrapper" {
                let wrapper = rest.trim_start_matches("exec-wrapper").trim();
                vec![Act::Runs(wrapper.to_owned())]
            } else if setting.starts_with('$') || GDB_HARMLESS_SETTINGS.contains(&setting) {
                Vec::new()
            } else {
                vec![Act::Unknown(format!(
                    "gdb setting `{setting}` that holdpoint does not know"
                ))]
            }
        }
        "print" | "p" | "output" | "inspect" | "printf" | "call" => {
            if word == "call" || calls_function(rest) {
                vec![Act::Unknown(
                    "gdb calls a function of the program it debugs".to_owned(),
                )]
            } else {
                Vec::new()
            }
        }
        _ if GDB_HARMLESS.contains(&word) => Vec::new(),
        _ => vec![Act::Unknown(format!(
            "gdb command `{word}` that holdpoint does not know"
        ))],
    }
}

/// A gdb script file: lines of commands, with `python` … `end` blocks of Python.
pub(crate) fn gdb_script(text: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    let mut python: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(code) = python.as_mut() {
            if trimmed == "end" {
                acts.push(Act::Code("python", std::mem::take(code)));
                python = None;
            } else {
                code.push_str(line);
                code.push('\n');
            }
            continue;
        }
        if matches!(trimmed, "python" | "py" | "python-interactive" | "pi") {
            python = Some(String::new());
            continue;
        }
        acts.extend(gdb(trimmed));
    }
    if let Some(code) = python {
        acts.push(Act::Code("python", code));
    }
    acts
}

/// Whether an expression calls a function: a name followed by `(`.
fn calls_function(expression: &str) -> bool {
    let chars: Vec<char> = expression.chars().collect();
    chars
        .windows(2)
        .any(|pair| matches!(pair, [name, '('] if name.is_ascii_alphanumeric() || *name == '_'))
}

/// One lldb command line (`lldb -o …`).
pub(crate) fn lldb(line: &str) -> Vec<Act> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let rest_after = |n: usize| -> String {
        let mut rest = line.trim_start();
        for _ in 0..n {
            rest = rest
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r)
                .trim_start();
        }
        rest.to_owned()
    };
    match words.as_slice() {
        [] => Vec::new(),
        ["platform", "shell", ..] => vec![Act::Runs(rest_after(2))],
        ["script", ..] if words.len() > 1 => vec![Act::Code("python", rest_after(1))],
        ["command", "source", file, ..] => vec![Act::Includes((*file).to_owned())],
        ["process", "launch", ..] => vec![Act::RunsProgram(rest_after(2))],
        ["run" | "r", ..] => vec![Act::RunsProgram(rest_after(1))],
        [
            "bt" | "thread" | "frame" | "register" | "image" | "target" | "settings" | "breakpoint"
            | "b" | "br" | "watchpoint" | "continue" | "c" | "next" | "n" | "step" | "s" | "finish"
            | "quit" | "q" | "disassemble" | "di" | "help" | "version" | "source" | "type"
            | "language" | "up" | "down" | "f" | "v" | "var" | "apropos",
            ..,
        ] => Vec::new(),
        ["expression" | "expr" | "e" | "p" | "print" | "po", ..] if !calls_function(line) => {
            Vec::new()
        }
        [word, ..] => vec![Act::Unknown(format!(
            "lldb command `{word}` that holdpoint does not know"
        ))],
    }
}

// ---------------------------------------------------------------------------------------
// ssh options and configuration

/// ssh options (`-o Key=Value`, lines of `ssh_config`) that only choose how to connect.
const SSH_HARMLESS: &[&str] = &[
    "addressfamily",
    "addkeystoagent",
    "batchmode",
    "bindaddress",
    "bindinterface",
    "canonicaldomains",
    "canonicalizefallbacklocal",
    "canonicalizehostname",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "casignaturealgorithms",
    "certificatefile",
    "channeltimeout",
    "checkhostip",
    "ciphers",
    "clearallforwardings",
    "compression",
    "connectionattempts",
    "connecttimeout",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "dynamicforward",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fingerprinthash",
    "forkafterauthentication",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gatewayports",
    "globalknownhostsfile",
    "gssapiauthentication",
    "gssapidelegatecredentials",
    "hashknownhosts",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostkeyalgorithms",
    "hostkeyalias",
    "hostname",
    "identitiesonly",
    "identityagent",
    "identityfile",
    "ignoreunknown",
    "ipqos",
    "kbdinteractiveauthentication",
    "kbdinteractivedevices",
    "kexalgorithms",
    "localforward",
    "loglevel",
    "logverbose",
    "macs",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "obscurekeystroketiming",
    "passwordauthentication",
    "permitlocalcommand",
    "permitremoteopen",
    "port",
    "preferredauthentications",
    "proxyjump",
    "proxyusefdpass",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthentication",
    "rekeylimit",
    "remoteforward",
    "requesttty",
    "requiredrsasize",
    "revokedhostkeys",
    "sendenv",
    "serveraliveinterval",
    "serveralivecountmax",
    "sessiontype",
    "setenv",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "stricthostkeychecking",
    "tcpkeepalive",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "user",
    "verifyhostkeydns",
    "visualhostkey",
    "host",
];

/// One ssh option: `Key=Value`, `Key Value`.
pub(crate) fn ssh_option(option: &str) -> Vec<Act> {
    let option = option.trim();
    let (key, value) = option
        .split_once(['=', ' ', '\t'])
        .map_or((option, ""), |(k, v)| {
            (k, v.trim_start_matches(['=', ' ', '\t']))
        });
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let key = key.to_ascii_lowercase();
    match key.as_str() {
        "proxycommand" | "localcommand" | "knownhostscommand" | "xauthlocation" => {
            if value.eq_ignore_ascii_case("none") || value.is_empty() {
                Vec::new()
            } else {
                vec![Act::Runs(value.to_owned())]
            }
        }
        "remotecommand" => vec![Act::RunsRemote(value.to_owned())],
        "userknownhostsfile" => value
            .split_whitespace()
            .map(|file| Act::Appends(file.to_owned()))
            .collect(),
        "include" => value
            .split_whitespace()
            .map(|file| Act::Includes(file.to_owned()))
            .collect(),
        "pkcs11provider" | "securitykeyprovider" => {
            if value.eq_ignore_ascii_case("none") || value.eq_ignore_ascii_case("internal") {
                Vec::new()
            } else {
                vec![Act::Unknown(format!(
                    "ssh loads the library `{value}` ({key})"
                ))]
            }
        }
        "match" => {
            // `Match exec "command"` runs the command to decide whether the block applies.
            let mut acts = Vec::new();
            let mut words = value.split_whitespace();
            while let Some(word) = words.next() {
                if word.eq_ignore_ascii_case("exec") {
                    let rest: Vec<&str> = words.by_ref().collect();
                    let command = rest.join(" ");
                    let command = command.trim_matches('"');
                    acts.push(Act::Runs(command.to_owned()));
                    break;
                }
            }
            acts
        }
        _ if SSH_HARMLESS.contains(&key.as_str()) => Vec::new(),
        _ => vec![Act::Unknown(format!(
            "ssh option `{key}` that holdpoint does not know"
        ))],
    }
}

/// An ssh configuration file.
pub(crate) fn ssh_config(text: &str) -> Vec<Act> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .flat_map(ssh_option)
        .collect()
}

// ---------------------------------------------------------------------------------------
// git configuration

/// Configuration keys whose value is a command git runs (`section.variable`, with `*`
/// for a subsection).
const GIT_COMMAND_KEYS: &[&str] = &[
    "core.sshcommand",
    "core.pager",
    "core.editor",
    "core.askpass",
    "core.gitproxy",
    "diff.external",
    "diff.*.command",
    "diff.*.textconv",
    "merge.*.driver",
    "filter.*.clean",
    "filter.*.smudge",
    "filter.*.process",
    "sequence.editor",
    "interactive.difffilter",
    "gpg.program",
    "gpg.*.program",
    "gpg.ssh.defaultkeycommand",
    "difftool.*.cmd",
    "mergetool.*.cmd",
    "man.*.cmd",
    "browser.*.cmd",
    "browser.*.path",
    "remote.*.uploadpack",
    "remote.*.receivepack",
    "uploadpack.packobjectshook",
    "sendemail.tocmd",
    "sendemail.cccmd",
    "sendemail.sendmailcmd",
    "sendemail.headercmd",
];

/// Configuration keys known to change only how git reads, shows or records.
const GIT_HARMLESS_KEYS: &[&str] = &[
    "color.*",
    "user.*",
    "author.*",
    "committer.*",
    "log.*",
    "format.*",
    "pretty.*",
    "status.*",
    "column.*",
    "grep.*",
    "blame.*",
    "tag.*",
    "advice.*",
    "i18n.*",
    "help.*",
    "init.defaultbranch",
    "pull.*",
    "push.*",
    "fetch.*",
    "branch.*",
    "rebase.*",
    "merge.conflictstyle",
    "merge.ff",
    "merge.tool",
    "merge.log",
    "merge.renames",
    "merge.verbosity",
    "merge.autostash",
    "diff.algorithm",
    "diff.renames",
    "diff.renamelimit",
    "diff.noprefix",
    "diff.mnemonicprefix",
    "diff.tool",
    "diff.guitool",
    "diff.colormoved",
    "diff.colormovedws",
    "diff.context",
    "diff.interhunkcontext",
    "diff.indentheuristic",
    "diff.submodule",
    "diff.relative",
    "diff.ignoresubmodules",
    "diff.statgraphwidth",
    "diff.wordregex",
    "diff.dirstat",
    "diff.suppressblankempty",
    "diff.orderfile",
    "difftool.prompt",
    "mergetool.prompt",
    "mergetool.keepbackup",
    "core.quotepath",
    "core.autocrlf",
    "core.eol",
    "core.safecrlf",
    "core.filemode",
    "core.ignorecase",
    "core.precomposeunicode",
    "core.longpaths",
    "core.abbrev",
    "core.compression",
    "core.whitespace",
    "core.excludesfile",
    "core.attributesfile",
    "core.commentchar",
    "core.commentstring",
    "core.logallrefupdates",
    "core.symlinks",
    "core.untrackedcache",
    "core.preloadindex",
    "core.splitindex",
    "core.checkstat",
    "core.trustctime",
    "core.multipackindex",
    "core.packedgitlimit",
    "core.packedgitwindowsize",
    "core.bigfilethreshold",
    "core.fsyncmethod",
    "core.fsync",
    "core.repositoryformatversion",
    "core.bare",
    "core.sparsecheckout",
    "core.sparsecheckoutcone",
    "core.fsmonitorhookversion",
    "core.hidedotfiles",
    "core.protecthfs",
    "core.protectntfs",
    "core.warnambiguousrefs",
    "core.notesref",
    "commit.gpgsign",
    "commit.verbose",
    "commit.cleanup",
    "commit.status",
    "tag.gpgsign",
    "tag.sort",
    "safe.directory",
    "protocol.version",
    "protocol.allow",
    "protocol.*.allow",
    "http.sslverify",
    "http.version",
    "http.postbuffer",
    "http.lowspeedlimit",
    "http.lowspeedtime",
    "http.proxy",
    "http.extraheader",
    "http.*.extraheader",
    "https.*",
    "credential.usehttppath",
    "credential.username",
    "credential.*.username",
    "gc.auto",
    "gc.autodetach",
    "maintenance.auto",
    "transfer.fsckobjects",
    "receive.fsckobjects",
    "fetch.fsckobjects",
    "feature.*",
    "index.*",
    "pack.*",
    "repack.*",
    "stash.*",
    "worktree.*",
    "versionsort.*",
    "rerere.*",
    "am.*",
    "apply.*",
    "interactive.singlekey",
    "submodule.recurse",
    "submodule.fetchjobs",
    "remote.*.url",
    "remote.*.pushurl",
    "remote.*.fetch",
    "remote.*.push",
    "remote.*.tagopt",
    "remote.*.prune",
    "remote.*.mirror",
    "advice",
    "checkout.*",
    "clone.*",
    "gui.*",
    "sendemail.smtpencryption",
    "sendemail.smtpuser",
    "sendemail.smtpserverport",
    "notes.*",
    "trace2.*",
    "mailmap.*",
    "uploadpack.allowfilter",
    "lfs.*",
];

/// Whether a `section.variable` pattern (with `*` for a subsection) names `key`.
fn git_key_matches(pattern: &str, key: &str) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    match parts.as_slice() {
        [section, "*"] => key.split_once('.').is_some_and(|(s, _)| s == *section),
        [section, "*", variable] => key.strip_prefix(section).is_some_and(|rest| {
            rest.starts_with('.')
                && rest
                    .rsplit_once('.')
                    .is_some_and(|(sub, v)| !sub.is_empty() && v == *variable)
        }),
        _ => pattern == key,
    }
}

/// A git configuration key and value (`git -c key=value`, `GIT_CONFIG_KEY_0`, a config
/// file).
pub(crate) fn git_config(key: &str, value: &str) -> Vec<Act> {
    // Sections and variable names are case-insensitive; subsections are not, and only
    // the section and variable are compared here.
    let lowered = {
        let (section, rest) = key.split_once('.').unwrap_or((key, ""));
        match rest.rsplit_once('.') {
            Some((sub, variable)) => format!(
                "{}.{sub}.{}",
                section.to_ascii_lowercase(),
                variable.to_ascii_lowercase()
            ),
            None => format!(
                "{}.{}",
                section.to_ascii_lowercase(),
                rest.to_ascii_lowercase()
            ),
        }
    };
    let key = lowered.as_str();
    // A remote URL given as `ext::COMMAND` runs the command when git uses it.
    if let Some(act) = ext_url(value.trim()) {
        return vec![act];
    }
    let boolean = matches!(
        value.to_ascii_lowercase().as_str(),
        "" | "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0"
    );
    if key == "core.fsmonitor" || key.starts_with("pager.") {
        return if boolean {
            Vec::new()
        } else {
            vec![Act::Runs(value.to_owned())]
        };
    }
    if GIT_COMMAND_KEYS.iter().any(|p| git_key_matches(p, key)) {
        return if value.is_empty() {
            Vec::new()
        } else {
            vec![Act::Runs(value.to_owned())]
        };
    }
    if key.starts_with("alias.") {
        return match value.strip_prefix('!') {
            Some(command) => vec![Act::Runs(command.to_owned())],
            None => vec![Act::Runs(format!("git {value}"))],
        };
    }
    if key == "credential.helper" || git_key_matches("credential.*.helper", key) {
        return credential_helper(value);
    }
    if key.starts_with("submodule.") && key.ends_with(".update") {
        return match value.strip_prefix('!') {
            Some(command) => vec![Act::Runs(command.to_owned())],
            None => Vec::new(),
        };
    }
    if key.starts_with("url.") && (key.contains("ext::") || key.contains("fd::")) {
        return ext_url(key.trim_start_matches("url."))
            .into_iter()
            .collect();
    }
    if key == "include.path" || git_key_matches("includeif.*.path", key) {
        return vec![Act::Includes(value.to_owned())];
    }
    if GIT_HARMLESS_KEYS.iter().any(|p| git_key_matches(p, key)) {
        return Vec::new();
    }
    vec![Act::Unknown(format!(
        "git configuration `{key}` that holdpoint does not know"
    ))]
}

/// A credential helper: `!command`, a path, or `git credential-NAME`.
fn credential_helper(value: &str) -> Vec<Act> {
    if value.is_empty() {
        return Vec::new();
    }
    if let Some(command) = value.strip_prefix('!') {
        return vec![Act::Runs(command.to_owned())];
    }
    if value.starts_with('/') || value.starts_with('~') {
        return vec![Act::Runs(value.to_owned())];
    }
    let name = value.split_whitespace().next().unwrap_or("");
    if matches!(
        name,
        "cache"
            | "osxkeychain"
            | "manager"
            | "manager-core"
            | "libsecret"
            | "wincred"
            | "gnome-keyring"
    ) {
        return Vec::new();
    }
    vec![Act::Unknown(format!(
        "git credential helper `{value}` that holdpoint does not know"
    ))]
}

/// The command of an `ext::` remote URL, which git runs to talk to the remote: `% ` is a
/// space inside an argument, `%%` a percent sign, `%s` the service name.
pub(crate) fn ext_url(url: &str) -> Option<Act> {
    let command = url.strip_prefix("ext::")?;
    let mut words: Vec<String> = vec![String::new()];
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some(' ') => words.last_mut()?.push(' '),
                Some('%') => words.last_mut()?.push('%'),
                Some('s') => words.last_mut()?.push_str("git-upload-pack"),
                Some('S') => words.last_mut()?.push_str("git-upload-pack"),
                Some(other) => {
                    words.last_mut()?.push('%');
                    words.last_mut()?.push(other);
                }
                None => {}
            },
            ' ' => words.push(String::new()),
            other => words.last_mut()?.push(other),
        }
    }
    let line = words
        .iter()
        .filter(|w| !w.is_empty())
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    Some(Act::Runs(line))
}

fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^~".contains(c))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// A git configuration file: `[section "sub"]` headers and `key = value` lines.
pub(crate) fn git_config_file(text: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or("");
            section = match header.split_once(char::is_whitespace) {
                Some((name, sub)) => format!("{name}.{}", sub.trim().trim_matches('"')),
                None => header.to_owned(),
            };
            // `[core] fsmonitor = …` on the same line.
            let after = line.split_once(']').map_or("", |(_, rest)| rest).trim();
            if !after.is_empty() {
                acts.extend(git_config_line(&section, after));
            }
            continue;
        }
        acts.extend(git_config_line(&section, line));
    }
    acts
}

fn git_config_line(section: &str, line: &str) -> Vec<Act> {
    let (name, value) = line.split_once('=').unwrap_or((line, "true"));
    let mut value = value.trim();
    // A comment after the value, outside quotes.
    if !value.starts_with('"')
        && let Some((before, _)) = value.split_once([' ', '\t']).filter(|(_, after)| {
            after.trim_start().starts_with('#') || after.trim_start().starts_with(';')
        })
    {
        value = before;
    }
    let value = value.trim_matches('"');
    git_config(&format!("{section}.{}", name.trim()), value)
}

// ---------------------------------------------------------------------------------------
// Other tools' small languages

/// curl's `--write-out` format: `%output{FILE}` (and `%output{>>FILE}`) writes the rest
/// to a file.
pub(crate) fn curl_write_out(format: &str) -> Vec<Act> {
    let mut acts = Vec::new();
    let mut rest = format;
    while let Some(at) = rest.find("%output{") {
        let after = rest.get(at + "%output{".len()..).unwrap_or("");
        let file = after.split('}').next().unwrap_or("");
        match file.strip_prefix(">>") {
            Some(file) => acts.push(Act::Appends(file.to_owned())),
            None => acts.push(Act::Writes(file.to_owned())),
        }
        rest = after;
    }
    acts
}

/// A tar `--checkpoint-action`: `exec=COMMAND` runs a command; the others print or wait.
pub(crate) fn tar_checkpoint(action: &str) -> Vec<Act> {
    let (name, value) = action.split_once('=').unwrap_or((action, ""));
    match name {
        "exec" => vec![Act::Runs(value.to_owned())],
        "bell" | "dot" | "." | "echo" | "ttyout" | "sleep" | "totals" | "wait" => Vec::new(),
        _ => vec![Act::Unknown(format!(
            "tar checkpoint action `{name}` that holdpoint does not know"
        ))],
    }
}

/// A command less runs at start (`+cmd`, `LESS=+…`): searching and moving only read;
/// `!` runs a command, `|` pipes to one, `s` saves a file, `v` starts an editor.
pub(crate) fn less_command(command: &str) -> Vec<Act> {
    let command = command.trim_start_matches('+');
    let Some(first) = command.chars().next() else {
        return Vec::new();
    };
    match first {
        '!' => vec![Act::Runs(command.get(1..).unwrap_or("").to_owned())],
        '|' => vec![Act::Runs(command.get(2..).unwrap_or("").to_owned())],
        's' => vec![Act::Writes(
            command.get(1..).unwrap_or("").trim().to_owned(),
        )],
        '0'..='9'
        | 'G'
        | 'g'
        | 'F'
        | '/'
        | '?'
        | '&'
        | 'p'
        | '%'
        | 'j'
        | 'k'
        | 'N'
        | 'n'
        | 'e'
        | 'y'
        | 'f'
        | 'b'
        | 'd'
        | 'u'
        | 'q'
        | 'Q'
        | 'R'
        | 'r'
        | 'z'
        | 'w'
        | ' '
        | '<'
        | '>'
        | 'P'
        | 'm'
        | '\''
        | '=' => Vec::new(),
        _ => vec![Act::Unknown(format!(
            "less command `{command}` that holdpoint does not know"
        ))],
    }
}

/// Placeholders fzf fills with the selection (`{}`, `{q}`, `{+}`, `{1..3}`), made into a
/// plain word so that the command's shape stays readable.
fn fzf_placeholders(command: &str) -> String {
    let mut out = String::new();
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' {
            let mut inner = String::new();
            let mut closed = false;
            for d in chars.by_ref() {
                if d == '}' {
                    closed = true;
                    break;
                }
                inner.push(d);
            }
            if closed
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-fsqn".contains(c))
            {
                out.push_str("selection");
            } else {
                out.push('{');
                out.push_str(&inner);
                if closed {
                    out.push('}');
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An fzf command (`--preview`), with its placeholders.
pub(crate) fn fzf_command(command: &str) -> Vec<Act> {
    vec![Act::Runs(fzf_placeholders(command))]
}

/// fzf key bindings (`--bind`): actions such as `execute(…)`, `become(…)` and
/// `reload(…)` run commands.
pub(crate) fn fzf_bind(bindings: &str) -> Vec<Act> {
    const RUNNING: &[&str] = &[
        "execute",
        "execute-silent",
        "become",
        "reload",
        "reload-sync",
        "preview",
        "change-preview",
        "transform",
        "bg-transform",
    ];
    let mut acts = Vec::new();
    let chars: Vec<char> = bindings.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while chars
            .get(i)
            .is_some_and(|c| c.is_ascii_lowercase() || *c == '-')
        {
            i += 1;
        }
        let word: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
        let runs = RUNNING.iter().any(|action| {
            word == *action || (word.starts_with(action) && action.contains("transform"))
        });
        if runs && let Some(&open) = chars.get(i) {
            let close = match open {
                '(' => Some(')'),
                '[' => Some(']'),
                '{' => Some('}'),
                '<' => Some('>'),
                ':' => None,
                c if "~!@#$%^&*;/|".contains(c) => Some(c),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let command: String = match close {
                Some(close) => chars
                    .iter()
                    .skip(i + 1)
                    .take_while(|c| **c != close)
                    .collect(),
                None => chars.iter().skip(i + 1).collect(),
            };
            i += command.chars().count() + 2;
            acts.push(Act::Runs(fzf_placeholders(&command)));
            continue;
        }
        if i == start {
            i += 1;
        }
    }
    acts
}

/// A socat address: `EXEC:` and `SYSTEM:` run commands, `CREATE:` and `OPEN:` write
/// files; network, pipe and terminal addresses only carry data.
pub(crate) fn socat_address(address: &str) -> Vec<Act> {
    let (kind, rest) = address.split_once([':', ',']).unwrap_or((address, ""));
    let parameter = rest.split(',').next().unwrap_or("");
    match kind.to_ascii_uppercase().as_str() {
        "EXEC" | "SYSTEM" => vec![Act::Runs(parameter.to_owned())],
        "CREATE" | "CREAT" => vec![Act::Writes(parameter.to_owned())],
        "OPEN" | "GOPEN" | "FILE" => vec![Act::Unknown(format!(
            "socat opens `{parameter}` for reading and writing"
        ))],
        "-" | "STDIO" | "STDIN" | "STDOUT" | "STDERR" | "TCP" | "TCP4" | "TCP6" | "UDP"
        | "UDP4" | "UDP6" | "SSL" | "OPENSSL" | "OPENSSL-CONNECT" | "TCP-CONNECT"
        | "TCP4-CONNECT" | "TCP6-CONNECT" | "UDP-CONNECT" | "UNIX-CONNECT" | "UNIX-CLIENT"
        | "ABSTRACT-CONNECT" | "PROXY" | "SOCKS4" | "SOCKS4A" | "SOCKS5" | "PIPE" | "PTY"
        | "READLINE" | "TCP-LISTEN" | "TCP4-LISTEN" | "TCP6-LISTEN" | "UDP-LISTEN" | "UDP-RECV"
        | "UDP-RECVFROM" | "UNIX-LISTEN" | "OPENSSL-LISTEN" | "SSL-LISTEN" | "VSOCK-CONNECT"
        | "SCTP-CONNECT" | "DCCP-CONNECT" | "IP-SENDTO" | "IP4-SENDTO" | "UDP-SENDTO" | "FD"
        | "STDOUT-" => Vec::new(),
        other => vec![Act::Unknown(format!(
            "socat address type `{other}` that holdpoint does not know"
        ))],
    }
}
