//! Inline code handed to an interpreter (`python -c`, `node -e`, `perl -e`, `mongosh
//! --eval`): what it writes, deletes, runs and connects to. Python and JavaScript are
//! parsed (`calls.rs`), and their calls, aliases followed, are matched with the markers
//! below as well as their text; other languages are judged by what is visibly there.
//! Code is `read` only when nothing in it can write, delete, run a command, talk to the
//! network or evaluate more code; commands and SQL written out as string literals are
//! analysed as such when the code visibly runs them.

use crate::effect::{Effect, ObjectKind, Risk, Verb};

/// The interpreter family, which decides a few language-specific markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Language {
    Python,
    JavaScript,
    Perl,
    Ruby,
    Php,
    /// The MongoDB shell's JavaScript.
    Mongo,
    /// Anything else: only the generic markers apply.
    Other,
}

/// Markers of code that kills processes.
const KILL: &[&str] = &[
    "os.kill",
    "process.kill",
    "SIGKILL",
    "killpg",
    "Process.kill",
    "signal.SIG",
];

/// Markers of code that deletes files.
const FILE_DELETE: &[&str] = &[
    "rmtree",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "removedirs",
    ".unlink(",
    "unlinkSync",
    "rmSync",
    "rmdirSync",
    "fs.rm(",
    "fs.rmdir(",
    "fs.unlink(",
    "promises.rm",
    "rimraf",
    "FileUtils.rm",
    "FileUtils.remove",
    "rm_rf",
    "File.delete",
    "Dir.delete",
    "Files.delete",
    "remove_tree",
    "unlink ",
    "unlink(",
    "rmdir(",
    "rmdir ",
    "truncate(",
    "os.truncate",
    "deleteSync",
    ".delete()",
    "File::Path",
    "Path.unlink",
];

/// Markers of code that writes files.
const FILE_WRITE: &[&str] = &[
    "write(",
    "writeFile",
    "appendFile",
    "write_text",
    "write_bytes",
    "writelines",
    "File.write",
    "IO.write",
    "file_put_contents",
    "fwrite",
    "os.rename",
    "os.replace",
    "shutil.move",
    "shutil.copy",
    "copyfile",
    "copyFile",
    "chmod",
    "chown",
    "makedirs",
    "mkdir",
    "rename",
    "symlink",
    "Deno.write",
    "Bun.write",
    "print >",
    ">>",
    "O_TRUNC",
    "O_WRONLY",
    "O_RDWR",
    "O_APPEND",
    "truncateSync",
    "ftruncate",
    "createWriteStream",
];

/// File modes that open a file for writing.
const WRITE_MODES: &[&str] = &[
    "w", "a", "x", "w+", "a+", "r+", "wb", "ab", "xb", "wt", "at", "w+b", "a+b", "r+b",
];

/// Markers of code that runs other programs; its string literals are then read as
/// shell commands.
const PROCESS: &[&str] = &[
    "os.system",
    "subprocess",
    "popen",
    "Popen",
    "child_process",
    "execSync",
    "spawnSync",
    "execFileSync",
    "spawn(",
    "exec(",
    "system(",
    "system ",
    "qx",
    "%x",
    "Open3",
    "shell_exec",
    "passthru",
    "proc_open",
    "pcntl_exec",
    "os.exec",
    "Deno.run",
    "Deno.Command",
    "Bun.spawn",
    // Tagged templates that run their text as a shell command line (Bun, zx, execa).
    "$`",
    "$(",
    "Kernel.exec",
    "IO.popen",
    "spawnl",
    "spawnv",
    "posix_spawn",
    "pty.spawn",
    "execv",
    "execl",
    "startfile",
];

/// Markers of code that runs database statements; its string literals are then read as
/// SQL.
const DATABASE: &[&str] = &[
    "execute(",
    ".query(",
    ".exec(",
    "cursor",
    ".raw(",
    ".sql(",
    "executescript",
    "session.run",
    "$queryRaw",
    "$executeRaw",
    "db.run",
    "knex",
    "psycopg",
    "sqlite3",
    "mysql",
    "sequelize",
    "pg.",
    "DBI",
    "PDO",
    "ActiveRecord",
];

/// Markers of code that talks to the network, evaluates more code or changes the
/// process's surroundings.
const OTHER_CHANGE: &[&str] = &[
    "requests.post",
    "requests.put",
    "requests.delete",
    "requests.patch",
    "urlopen",
    "fetch(",
    "http.request",
    "https.request",
    "axios",
    "socket",
    "smtplib",
    "ftplib",
    "paramiko",
    "boto3",
    "eval(",
    "__import__",
    "importlib",
    "compile(",
    "Function(",
    "vm.run",
    "pickle",
    "marshal",
    "ctypes",
    "setattr",
    "http.client",
    "urllib",
    "net.",
    "Net::",
    "LWP",
    "environ[",
    "putenv",
    "setenv",
    "process.env.",
    "shutdown",
    "sys.stdout.buffer",
];

/// Where a path named in code lies, as the caller judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The workspace or scratch space.
    Workspace,
    /// Anywhere else.
    Outside,
    /// holdpoint's files or an agent's hook settings.
    Protected(ObjectKind),
}

/// What a MongoDB shell script does to the database.
const MONGO_DESTROY: &[&str] = &[
    "dropDatabase",
    ".drop(",
    "deleteMany",
    ".remove(",
    "dropUser",
    "dropAllUsers",
    "dropRole",
    "shutdownServer",
    "shutdown",
    "findOneAndDelete",
    "dropIndexes",
    "$out",
];
const MONGO_CHANGE: &[&str] = &[
    "insert",
    "update",
    "replaceOne",
    "deleteOne",
    "createCollection",
    "createIndex",
    "dropIndex",
    "bulkWrite",
    "save(",
    "renameCollection",
    "createUser",
    "grantRolesTo",
    "adminCommand",
    "runCommand",
    "eval(",
    "load(",
];

/// The string literals of `code`, in order.
fn literals(code: &str) -> Vec<String> {
    quoted(code).into_iter().map(|(_, text, _)| text).collect()
}

/// Each closed string literal of `code`: where its opening quote is, its text unescaped,
/// and where it ends (just past its closing quote).
fn quoted(code: &str) -> Vec<(usize, String, usize)> {
    let mut out = Vec::new();
    let mut chars = code.char_indices();
    while let Some((start, c)) = chars.next() {
        if c != '"' && c != '\'' && c != '`' {
            continue;
        }
        let mut literal = String::new();
        let mut end = None;
        while let Some((at, d)) = chars.next() {
            if d == '\\' {
                if let Some((_, escaped)) = chars.next() {
                    literal.push(escaped);
                }
            } else if d == c {
                end = Some(at + d.len_utf8());
                break;
            } else {
                literal.push(d);
            }
        }
        match end {
            Some(end) => out.push((start, literal, end)),
            None => break,
        }
    }
    out
}

/// Absolute and home paths written without quotes (`[open /srv/x]` in Tcl, `.read
/// /srv/x` in SQLite's shell, `cat(readLines(/x))`): a `/` or `~/` that starts a word
/// and is followed by a name.
fn bare_paths(code: &str) -> Vec<String> {
    code.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '[' | ']' | '(' | ')' | '{' | '}' | ';' | ',' | '"' | '\'' | '`' | '<' | '>' | '='
            )
    })
    .filter(|word| {
        let rest = word.strip_prefix("~/").or_else(|| word.strip_prefix('/'));
        rest.and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_'))
    })
    .map(str::to_owned)
    .collect()
}

/// How code names the user's home directory.
const HOME_DIRECTORY: &[&str] = &[
    "expanduser(",
    "Path.home()",
    "homedir()",
    "environ['HOME']",
    "environ[\"HOME\"]",
    "getenv('HOME')",
    "getenv(\"HOME\")",
    "ENV['HOME']",
    "ENV[\"HOME\"]",
    "$ENV{HOME}",
    "Dir.home",
    "process.env.HOME",
    "UserHomeDir",
];

/// The paths code names below the home directory, written relative to it
/// (`os.path.join(os.path.expanduser('~'), '.aws', 'credentials')`,
/// `Path.home() / '.ssh' / 'id_rsa'`, `homedir() + '/.ssh/id_rsa'`), as `~/…`: when the
/// code names the home, each path literal, and each run of literals in one call or
/// joined by `/`, is also taken below it.
pub(super) fn home_paths(code: &str) -> Vec<String> {
    if !HOME_DIRECTORY.iter().any(|home| code.contains(home)) {
        return Vec::new();
    }
    let parts: Vec<String> = literals(code)
        .into_iter()
        .chain(joined_literals(code))
        .filter(|l| !l.is_empty() && l != "~" && !l.contains(char::is_whitespace))
        .collect();
    let mut runs = Vec::new();
    for (start, open) in code.match_indices(['(', '[']) {
        let (opening, close) = if open == "(" { ('(', ')') } else { ('[', ']') };
        let rest = code.get(start + 1..).unwrap_or("");
        // Up to the bracket that closes this one, nested calls included.
        let mut depth = 0usize;
        let end = rest
            .char_indices()
            .find(|&(_, ch)| {
                if ch == opening {
                    depth += 1;
                } else if ch == close {
                    if depth == 0 {
                        return true;
                    }
                    depth -= 1;
                }
                false
            })
            .map_or(rest.len(), |(at, _)| at);
        let inside = rest.get(..end).unwrap_or("");
        let names: Vec<String> = literals(inside)
            .into_iter()
            .filter(|l| !l.is_empty() && l != "~")
            .collect();
        if names.len() > 1 {
            runs.push(names.join("/"));
        }
    }
    // `Path.home() / '.config' / 'gh' / 'hosts.yml'`: literals joined by the path
    // operator. Split at quotes, a literal is every other piece.
    let pieces: Vec<&str> = code.split(['\'', '"']).collect();
    let mut slashed = Vec::new();
    let mut at = 1;
    while let Some(first) = pieces.get(at) {
        let mut chain = vec![*first];
        while let (Some(gap), Some(next)) = (pieces.get(at + 1), pieces.get(at + 2))
            && gap.trim() == "/"
        {
            chain.push(next);
            at += 2;
        }
        if chain.len() > 1 {
            slashed.push(chain.join("/"));
        }
        at += 2;
    }
    parts
        .into_iter()
        .chain(runs)
        .chain(slashed)
        .map(|path| format!("~/{}", path.trim_start_matches('/')))
        .collect()
}

/// The addresses code names: its literals (and those it joins) with a scheme.
pub(super) fn urls(code: &str) -> Vec<String> {
    literals(code)
        .into_iter()
        .chain(joined_literals(code))
        .filter(|l| l.contains("://"))
        .collect()
}

/// Calls that go down a directory tree: the code may read anything below a directory it
/// names.
const TREE_WALKS: &[&str] = &[
    "walk(",
    "rglob(",
    "glob(",
    "copytree(",
    "make_archive(",
    "readdirSync",
    "readdir(",
    "recursive",
    "walkdir",
    "Find.find",
    "File::Find",
    "RecursiveDirectoryIterator",
    "Dir.glob",
    "Dir[",
];

/// Whether `code` walks directory trees.
pub(super) fn walks_trees(code: &str) -> bool {
    TREE_WALKS.iter().any(|call| code.contains(call))
}

/// Literals joined into one string by the code itself: `'/srv/' + 'x'` (Python,
/// JavaScript, Ruby), `'/srv/' . 'x'` (Perl, PHP), `'/srv/' 'x'` (Python, C): each run
/// of two or more literals with only such a join between them, as one string.
fn joined_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // The run so far (its text and how many literals made it) and where its last
    // literal ended.
    let mut run: Option<(String, usize, usize)> = None;
    for (start, literal, end) in quoted(code) {
        run = match run.take() {
            Some((mut joined, parts, last))
                if matches!(code.get(last..start).map(str::trim), Some("" | "+" | ".")) =>
            {
                joined.push_str(&literal);
                Some((joined, parts + 1, end))
            }
            finished => {
                if let Some((joined, parts, _)) = finished
                    && parts > 1
                {
                    out.push(joined);
                }
                Some((literal, 1, end))
            }
        };
    }
    if let Some((joined, parts, _)) = run
        && parts > 1
    {
        out.push(joined);
    }
    out
}

/// Sequences of literals that sit side by side in a list, joined with spaces, as a
/// program's argument vector would be.
fn argument_vectors(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Lists in brackets (`["rm", "-rf", "/x"]`) and argument lists in parentheses
    // (`system("rm", "-rf", "/x")`).
    for (start, open) in code.match_indices(['[', '(']) {
        let close = if open == "[" { ']' } else { ')' };
        let rest = code.get(start + 1..).unwrap_or("");
        let Some(end) = rest.find(close) else {
            continue;
        };
        let inside = rest.get(..end).unwrap_or("");
        let parts = literals(inside);
        if parts.len() > 1 && !out.contains(&parts.join(" ")) {
            out.push(parts.join(" "));
        }
    }
    out
}

fn looks_like_sql(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    [
        "drop ",
        "delete ",
        "truncate ",
        "update ",
        "insert ",
        "alter ",
        "create ",
        "grant ",
        "revoke ",
        "merge ",
        "copy ",
        "vacuum",
        "reindex",
        "with ",
    ]
    .iter()
    .any(|k| lower.starts_with(k))
}

/// Literals that may name files: no white space, no URL, not a file mode.
pub(super) fn path_candidates(code: &str) -> Vec<String> {
    literals(code)
        .into_iter()
        .chain(joined_literals(code))
        .chain(bare_paths(code))
        // Perl's two-argument open carries the mode before the path (`">/var/x"`).
        .map(|l| match perl_write_mode(&l) {
            Some(path) => path.to_owned(),
            None => l,
        })
        .filter(|l| {
            !l.is_empty()
                && l.len() < 4096
                && !l.contains(char::is_whitespace)
                && !l.contains("://")
        })
        .filter(|l| {
            !WRITE_MODES.contains(&l.as_str())
                && !matches!(l.as_str(), "r" | "rb" | "rt" | "utf-8" | "utf8" | "ascii")
        })
        .collect()
}

/// The path of a Perl-style open mode that writes (`>x`, `>>x`, `+<x`, `+>x`), if the
/// literal is one.
fn perl_write_mode(literal: &str) -> Option<&str> {
    ["+<", "+>", ">>", ">"]
        .iter()
        .find_map(|mode| literal.strip_prefix(mode))
        .map(str::trim_start)
        .filter(|path| !path.is_empty() && !path.starts_with(['&', '=']))
}

/// What inline code does: its effects, and why it cannot be analysed, when it builds
/// what it calls at run time.
pub(crate) struct Judged {
    pub effects: Vec<Effect>,
    pub unanalysable: Option<String>,
}

/// The effects of running `code` in `language`. `shell` analyses a command line found in
/// a literal; `sql` analyses a statement; `place` says where a path lies; `module` reads
/// the local file an imported module would be loaded from, if there is one.
pub(crate) fn analyse(
    code: &str,
    language: Language,
    what: &str,
    shell: &mut dyn FnMut(&str) -> Vec<Effect>,
    sql: &dyn Fn(&str) -> Vec<Effect>,
    place: &dyn Fn(&str) -> Place,
    module: &dyn Fn(&str) -> Option<String>,
) -> Judged {
    // Positive knowledge of the calls, where holdpoint has it for the language.
    let calls = super::calls::calls(code, language);
    let called = calls.as_ref().map(called_text).unwrap_or_default();
    let mut unseen = None;
    let mut judged = Judged {
        effects: markers(
            code,
            &called,
            language,
            what,
            shell,
            sql,
            place,
            &mut unseen,
        ),
        unanalysable: None,
    };
    // Code that runs a program it does not name, or runs what it decoded: what runs
    // cannot be seen before it runs.
    judged.unanalysable = unseen_program(code, &called, what).or(unseen);
    if let Some(calls) = calls {
        if let Some(first) = calls.dynamic.first() {
            judged.unanalysable = Some(format!(
                "{what} runs inline code that decides at run time what it calls (`{first}`)"
            ));
        }
        // INVARIANT: code that does not parse, or is past the parser's budgets, is never
        // `read`: it is unanalysable, whatever its markers say.
        if let Some(reason) = &calls.unreadable {
            judged.unanalysable = Some(format!("{what} runs inline code that {reason}"));
        }
        // A module imported from a file beside the code runs that file.
        for name in &calls.imports {
            if let Some(text) = module(name) {
                let local = format!("the local module `{name}` that {what} imports");
                let inner_calls = super::calls::calls(&text, language);
                let inner_called = inner_calls.as_ref().map(called_text).unwrap_or_default();
                let inner = markers(
                    &text,
                    &inner_called,
                    language,
                    &local,
                    shell,
                    sql,
                    place,
                    &mut None,
                );
                judged.effects.extend(inner);
                if let Some(inner_calls) = inner_calls
                    && (!inner_calls.unknown.is_empty()
                        || !inner_calls.dynamic.is_empty()
                        || inner_calls.unreadable.is_some())
                {
                    judged.effects.push(Effect::opaque(
                        name,
                        Risk::Change,
                        format!("{local} calls what holdpoint does not know to be harmless"),
                    ));
                }
            }
        }
        let changes = judged.effects.iter().any(|e| e.risk >= Risk::Change);
        // Writes, deletes, commands and queries the markers already judged by what they
        // touch are not unknown.
        let judged_names: Vec<&str> = FILE_WRITE
            .iter()
            .chain(FILE_DELETE)
            .chain(PROCESS)
            .chain(DATABASE)
            .map(|m| m.trim_end_matches(['(', ' ']).trim_start_matches('.'))
            .filter(|m| m.len() > 2)
            .collect();
        let unknown: Vec<&String> = calls
            .unknown
            .iter()
            .filter(|name| {
                let last = name.rsplit('.').next().unwrap_or(name);
                !judged_names.iter().any(|m| *m == last || name.ends_with(m))
            })
            .collect();
        if let (Some(first), false) = (unknown.first(), changes) {
            judged.effects.retain(|e| e.risk > Risk::Read);
            let names: Vec<String> = unknown.iter().map(|n| (*n).clone()).collect();
            judged.effects.push(
                match super::tools::destructive_verb(&names, super::tools::Verbs::Unknown) {
                    // `Deno.remove`, `fs.rmdirSync`: an unknown call named for destroying.
                    Some(verb) => Effect::opaque(
                        what,
                        Risk::Destroy,
                        format!("{what} runs inline code that calls `{first}`, which holdpoint does not know and whose name says it destroys (`{verb}`)"),
                    ),
                    None => Effect::opaque(
                        what,
                        Risk::Change,
                        format!("{what} runs inline code that calls `{first}`, which holdpoint does not know to be harmless"),
                    ),
                },
            );
        }
    } else if !matches!(language, Language::Mongo) && !is_plain_filter(code) {
        // Other languages keep the conservative rule: unknown code is a change, and code
        // that names a destructive verb (`deleteDir`, `Remove-Item`, `file delete`,
        // `%x(rm …)`) is judged by it, as an unknown tool's arguments are.
        let words: Vec<String> = code
            .split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')))
            .map(|w| w.trim_matches(['.', ':']).to_owned())
            .filter(|w| !w.is_empty())
            .collect();
        let verb = super::tools::destructive_verb(&words, super::tools::Verbs::Unknown);
        let destroys = judged.effects.iter().any(|e| e.risk >= Risk::Destroy);
        if let (Some(verb), false) = (verb, destroys) {
            judged.effects.retain(|e| e.risk > Risk::Read);
            judged.effects.push(Effect::opaque(
                what,
                Risk::Destroy,
                format!("{what} runs inline code in a language holdpoint does not read call by call, which names a destructive verb (`{verb}`)"),
            ));
        } else if judged.effects.iter().all(|e| e.risk == Risk::Read) {
            judged.effects = vec![Effect::opaque(
                what,
                Risk::Change,
                format!(
                    "{what} runs inline code in a language holdpoint does not read call by call"
                ),
            )];
        }
    }
    judged
}

/// Why what `code` runs cannot be seen, if it cannot because it runs what it decodes
/// (`os.system(base64.b64decode(…))`).
fn unseen_program(code: &str, called: &Called, what: &str) -> Option<String> {
    let resolved = match called {
        Called::None => "",
        Called::Text(text) | Called::Code(text) => text.as_str(),
    };
    let runs = PROCESS
        .iter()
        .any(|m| code.contains(m) || resolved.contains(m));
    if !runs {
        return None;
    }
    if DECODERS.iter().any(|m| code.contains(m)) {
        return Some(format!("{what} runs what its inline code decodes"));
    }
    None
}

/// Calls that decode text, which run, hide what they run.
const DECODERS: &[&str] = &[
    "b64decode",
    "b32decode",
    "a85decode",
    "decodebytes",
    "fromhex",
    "unhexlify",
    "codecs.decode",
    "atob(",
    "'base64')",
    "\"base64\")",
    "decode_base64",
    "Base64.decode",
    "base64_decode",
    "unpack(\"m",
    "unpack('m",
    "str_rot13",
    "zlib.decompress",
    "gunzip",
    "inflateSync",
];

/// One-liners that only filter or print lines (`perl -ne 'print if /x/'`, `ruby -e 'puts
/// 1'`): no call but printing and matching.
fn is_plain_filter(code: &str) -> bool {
    // Single-quoted strings, and patterns where only a pattern can stand (`if /x/`,
    // `=~ /x/`, `split /,/`), hold no calls.
    let mut plain = String::new();
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        let before = plain.trim_end();
        let pattern_here = c == '/'
            && (before.is_empty()
                || [
                    "if", "unless", "=~", "!~", "(", "split", "grep", "&&", "||", "and", "or",
                ]
                .iter()
                .any(|w| before.ends_with(w)));
        // `s/a/b/g`, `tr/a/b/`, `y/a/b/`, `m/a/`: patterns and replacements, no calls.
        let boundary = !plain.ends_with(|d: char| d.is_ascii_alphanumeric() || d == '_');
        let operator = ["s/", "tr/", "y/", "m/"]
            .iter()
            .find(|op| boundary && rest.starts_with(**op));
        if let Some(op) = operator {
            let slashes = if *op == "m/" { 1 } else { 2 };
            let mut after = rest.get(op.len()..).unwrap_or("");
            for _ in 0..slashes {
                match after.find('/') {
                    Some(end) => after = after.get(end + 1..).unwrap_or(""),
                    None => return false,
                }
            }
            plain.push(' ');
            rest = after.trim_start_matches(|d: char| d.is_ascii_alphabetic());
            continue;
        }
        if c == '\'' || pattern_here {
            let after = rest.get(1..).unwrap_or("");
            match after.find(c) {
                Some(end) => {
                    plain.push(' ');
                    rest = after.get(end + 1..).unwrap_or("");
                    continue;
                }
                None => return false,
            }
        }
        plain.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    let words: Vec<&str> = plain
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .collect();
    const PRINTING: &[&str] = &[
        "print",
        "printf",
        "say",
        "puts",
        "p",
        "if",
        "unless",
        "else",
        "elsif",
        "while",
        "split",
        "join",
        "chomp",
        "chop",
        "lc",
        "uc",
        "length",
        "sprintf",
        "echo",
        "next",
        "last",
        "my",
        "local",
        "foreach",
        "for",
        "in",
        "do",
        "end",
        "each",
        "map",
        "grep",
        "sort",
        "keys",
        "values",
        "scalar",
        "defined",
        "exists",
        "and",
        "or",
        "not",
        "ne",
        "eq",
        "lt",
        "gt",
        "le",
        "ge",
        "cmp",
        "END",
        "BEGIN",
        "STDIN",
        "ARGV",
        "ENV",
        "F",
        "to_s",
        "to_i",
        "strip",
        "upcase",
        "downcase",
        "size",
        "first",
        "sum",
        "reverse",
        "gsub",
        "sub",
        "tr",
        "s",
        "y",
        "m",
        "qw",
        "x",
        "int",
        "abs",
        "substr",
        "index",
        "strlen",
        "var_dump",
        "json_encode",
        "json_decode",
        "count",
        "implode",
        "explode",
    ];
    words.iter().all(|w| {
        PRINTING.contains(w)
            || w.len() == 1
            || w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    })
}

/// What markers are matched against in parsed code: the code without its comments and
/// string texts, then the calls as resolved (`os.remove(` for `r(` after `from os import
/// remove as r`). Code that did not parse is matched as written.
fn called_text(calls: &super::calls::Calls) -> Called {
    let resolved: String = calls.called.iter().map(|c| format!("{c}( ")).collect();
    match calls.unreadable {
        Some(_) => Called::Text(resolved),
        None => Called::Code(format!("{}\n{resolved}", calls.visible)),
    }
}

/// The text markers are matched against, besides or instead of the code as written.
#[derive(Default)]
enum Called {
    /// Nothing is known of the calls: the code as written is matched.
    #[default]
    None,
    /// Resolved calls, matched besides the code as written.
    Text(String),
    /// The code as parsed (comments and string texts blanked) and its resolved calls,
    /// matched instead of the code as written.
    Code(String),
}

/// What markers of deleting, writing, running and connecting say of `code`, whose calls,
/// resolved, are `called` (see [`called_text`]).
#[expect(
    clippy::too_many_arguments,
    reason = "the callbacks are the walker's, passed through as `analyse` takes them"
)]
fn markers(
    code: &str,
    called: &Called,
    language: Language,
    what: &str,
    shell: &mut dyn FnMut(&str) -> Vec<Effect>,
    sql: &dyn Fn(&str) -> Vec<Effect>,
    place: &dyn Fn(&str) -> Place,
    unseen: &mut Option<String>,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    // What is code: the parsed code's names and calls, or all of an unparsed text.
    let (written, resolved) = match called {
        Called::None => (code, ""),
        Called::Text(resolved) => (code, resolved.as_str()),
        Called::Code(visible) => ("", visible.as_str()),
    };
    let seen = |marker: &str| written.contains(marker) || resolved.contains(marker);
    let has = |markers: &[&str]| markers.iter().any(|m| seen(m));

    if language == Language::Mongo {
        if has(MONGO_DESTROY) {
            effects.push(Effect::new(
                Verb::Delete,
                ObjectKind::Database,
                what,
                Risk::Destroy,
                format!("{what} drops or deletes MongoDB data"),
            ));
        } else if has(MONGO_CHANGE) {
            effects.push(Effect::new(
                Verb::Write,
                ObjectKind::Database,
                what,
                Risk::Change,
                format!("{what} writes to MongoDB"),
            ));
        } else {
            effects.push(Effect::new(
                Verb::Read,
                ObjectKind::Database,
                what,
                Risk::Read,
                format!("{what} only reads MongoDB"),
            ));
        }
        return effects;
    }

    let runs_processes =
        has(PROCESS) || (matches!(language, Language::Perl | Language::Ruby) && code.contains('`'));
    if runs_processes {
        let mut found = false;
        for command in literals(code).into_iter().chain(argument_vectors(code)) {
            let inner = shell(&command);
            // A literal that names a command holdpoint knows is what the code runs; text
            // that only parses as an unknown command is probably a message.
            if inner
                .iter()
                .any(|e| !e.opaque && e.object != ObjectKind::Command)
            {
                found = true;
            }
            effects.extend(
                inner
                    .into_iter()
                    .filter(|e| e.risk > Risk::Read && e.object != ObjectKind::Command),
            );
        }
        if !found {
            // `s.run(["r" + "m", …])`: a program is run, and none its literals name.
            *unseen = Some(format!(
                "{what} runs a program its inline code does not name"
            ));
            effects.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} runs other programs from inline code"),
            ));
        }
    }
    if has(DATABASE) {
        for statement in literals(code).into_iter().filter(|l| looks_like_sql(l)) {
            effects.extend(sql(&statement));
        }
    }

    let opens_for_writing = (seen("open(") || seen("open ") || seen("openSync(") || seen("fopen("))
        && literals(code)
            .iter()
            .any(|l| WRITE_MODES.contains(&l.as_str()) || perl_write_mode(l).is_some());
    let deletes = has(FILE_DELETE);
    let writes = opens_for_writing || has(FILE_WRITE);
    if deletes || writes {
        // Judge file operations by the paths the code names: all in the workspace is
        // workspace work; a path elsewhere, or none visible, is not.
        let places: Vec<(String, Place)> = path_candidates(code)
            .into_iter()
            .map(|p| {
                let at = place(&p);
                (p, at)
            })
            .collect();
        let protected = places.iter().find_map(|(p, at)| match at {
            Place::Protected(kind) => Some((p.clone(), *kind)),
            _ => None,
        });
        let outside: Vec<&String> = places
            .iter()
            .filter(|(_, at)| *at == Place::Outside)
            .map(|(p, _)| p)
            .collect();
        let local_only = !places.is_empty() && outside.is_empty();
        // Appending only: every mode given appends (`"a"`, Perl's `">>x"`), none
        // truncates.
        let modes: Vec<String> = literals(code)
            .into_iter()
            .filter(|l| WRITE_MODES.contains(&l.as_str()) || perl_write_mode(l).is_some())
            .collect();
        let appends = !deletes
            && !has(&[
                "O_TRUNC",
                "truncate",
                "writeFile",
                "write_text",
                "write_bytes",
            ])
            && (seen("appendFile") || !modes.is_empty())
            && modes
                .iter()
                .all(|m| m.starts_with('a') || m.starts_with(">>"));
        if let Some((path, kind)) = protected {
            effects.push(Effect::self_protection(
                kind,
                &path,
                format!("{what} writes `{path}`, which protects holdpoint"),
            ));
        } else if local_only {
            let verb = if deletes { "deletes" } else { "writes" };
            effects.push(Effect::new(
                if deletes { Verb::Delete } else { Verb::Write },
                ObjectKind::File,
                what,
                Risk::Workspace,
                format!("{what} {verb} files in the workspace from inline code"),
            ));
        } else if deletes {
            effects.push(Effect::new(Verb::Delete, ObjectKind::File, what, Risk::Destroy, format!("{what} deletes files outside the workspace, or files it names only at run time, from inline code")));
        } else if appends {
            effects.push(Effect::new(
                Verb::Write,
                ObjectKind::File,
                what,
                Risk::Change,
                format!("{what} appends to files outside the workspace from inline code"),
            ));
        } else {
            effects.push(Effect::new(
                Verb::Write,
                ObjectKind::File,
                what,
                Risk::Destroy,
                format!("{what} overwrites files outside the workspace from inline code"),
            ));
        }
    }
    if has(KILL) {
        effects.push(Effect::new(
            Verb::Delete,
            ObjectKind::Process,
            what,
            Risk::Destroy,
            format!("{what} kills processes from inline code"),
        ));
    }
    if has(OTHER_CHANGE) && !effects.iter().any(|e| e.risk >= Risk::Change) {
        effects.push(Effect::new(
            Verb::Write,
            ObjectKind::Code,
            what,
            Risk::Change,
            format!(
                "{what} runs inline code that may connect to other systems or evaluate more code"
            ),
        ));
    }
    if effects.is_empty() {
        effects.push(Effect::new(
            Verb::Read,
            ObjectKind::Code,
            what,
            Risk::Read,
            format!("{what} runs inline code that only computes and prints"),
        ));
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_the_home_the_code_names_are_found() {
        let found = home_paths(
            "from pathlib import Path; (Path.home() / '.config' / 'gh' / 'hosts.yml').read_text()",
        );
        assert!(
            found.contains(&"~/.config/gh/hosts.yml".to_owned()),
            "{found:?}"
        );
        let found = home_paths("os.path.join(os.path.expanduser('~'), '.aws', 'credentials')");
        assert!(
            found.contains(&"~/.aws/credentials".to_owned()),
            "{found:?}"
        );
        assert!(home_paths("open('.aws/credentials')").is_empty());
    }

    #[test]
    fn literals_the_code_joins_are_one_string() {
        assert_eq!(
            joined_literals(r#"open('/srv/' + 'a' + "b.key").read(); x = 'c' 'd'; y = '/e' . 'f'"#),
            vec!["/srv/ab.key".to_owned(), "cd".to_owned(), "/ef".to_owned()]
        );
        assert!(joined_literals("f('a', 'b')").is_empty());
    }

    #[test]
    fn literals_are_unescaped() {
        assert_eq!(
            literals(r#"a("x\"y", 'z')"#),
            vec!["x\"y".to_owned(), "z".to_owned()]
        );
        assert_eq!(
            argument_vectors(r#"run(["rm", "-rf", "/data"])"#),
            vec!["rm -rf /data".to_owned()]
        );
    }
}
