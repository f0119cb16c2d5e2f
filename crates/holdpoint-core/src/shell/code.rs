//! Inline code handed to an interpreter (`python -c`, `node -e`, `perl -e`, `mongosh
//! --eval`): holdpoint does not parse these languages, so it looks for what is visibly
//! there. Code is `read` only when nothing in it can write, delete, run a command, talk
//! to the network or evaluate more code; commands and SQL written out as string literals
//! are analysed as such when the code visibly runs them.

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
    "$(",
    "Kernel.exec",
    "IO.popen",
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

/// The string literals of `code`, in order, with whether each is directly followed by
/// another literal in the same list (`["rm", "-rf", "/x"]`).
fn literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '"' && c != '\'' && c != '`' {
            continue;
        }
        let mut literal = String::new();
        let mut closed = false;
        while let Some((_, d)) = chars.next() {
            if d == '\\' {
                if let Some((_, escaped)) = chars.next() {
                    literal.push(escaped);
                }
            } else if d == c {
                closed = true;
                break;
            } else {
                literal.push(d);
            }
        }
        if closed {
            out.push(literal);
        }
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
fn path_candidates(code: &str) -> Vec<String> {
    literals(code)
        .into_iter()
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

/// The effects of running `code` in `language`. `shell` analyses a command line found in
/// a literal; `sql` analyses a statement; `place` says where a path lies.
pub(crate) fn analyse(
    code: &str,
    language: Language,
    what: &str,
    shell: &mut dyn FnMut(&str) -> Vec<Effect>,
    sql: &dyn Fn(&str) -> Vec<Effect>,
    place: &dyn Fn(&str) -> Place,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    let has = |markers: &[&str]| markers.iter().any(|m| code.contains(m));

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

    let opens_for_writing = code.contains("open(")
        && literals(code)
            .iter()
            .any(|l| WRITE_MODES.contains(&l.as_str()));
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
        let appends =
            code.contains("appendFile") || literals(code).iter().any(|l| l.starts_with('a'));
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
