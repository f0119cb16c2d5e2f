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

/// Markers of code that deletes files, kills processes or drops data.
const DESTROY: &[&str] = &[
    "rmtree", "os.remove", "os.unlink", "os.rmdir", "removedirs", ".unlink(", "unlinkSync", "rmSync", "rmdirSync",
    "fs.rm(", "fs.rmdir(", "fs.unlink(", "promises.rm", "rimraf", "FileUtils.rm", "FileUtils.remove", "rm_rf",
    "File.delete", "Dir.delete", "Files.delete", "remove_tree", "unlink ", "unlink(", "rmdir(", "rmdir ",
    "os.kill", "process.kill", "SIGKILL", "killpg", "Process.kill", "truncate(", "os.truncate", "deleteSync",
    ".delete()", "shutil.rmtree", "File::Path", "FileUtils.rm_r",
];

/// Markers of code that runs other programs; its string literals are then read as
/// shell commands.
const PROCESS: &[&str] = &[
    "os.system", "subprocess", "popen", "Popen", "child_process", "execSync", "spawnSync", "execFileSync", "spawn(",
    "exec(", "system(", "system ", "qx", "%x", "Open3", "shell_exec", "passthru", "proc_open", "pcntl_exec",
    "os.exec", "Deno.run", "Deno.Command", "Bun.spawn", "$(", "Kernel.exec", "IO.popen",
];

/// Markers of code that runs database statements; its string literals are then read as
/// SQL.
const DATABASE: &[&str] = &[
    "execute(", ".query(", ".exec(", "cursor", ".raw(", ".sql(", "executescript", "session.run", "$queryRaw",
    "$executeRaw", "db.run", "knex", "psycopg", "sqlite3", "mysql", "sequelize", "pg.", "DBI", "PDO", "ActiveRecord",
];

/// Markers of code that writes, talks to the network or evaluates more code.
const CHANGE: &[&str] = &[
    "write(", "writeFile", "appendFile", "write_text", "write_bytes", "writelines", "File.write", "IO.write",
    "file_put_contents", "fwrite", "os.rename", "os.replace", "shutil.move", "shutil.copy", "copyfile", "copyFile",
    "os.chmod", "os.chown", "chmod", "chown", "makedirs", "mkdir", "rename", "symlink", "requests.post",
    "requests.put", "requests.delete", "requests.patch", "urlopen", "fetch(", "http.request", "https.request",
    "axios", "socket", "smtplib", "ftplib", "paramiko", "boto3", "eval(", "__import__", "importlib", "compile(",
    "Function(", "vm.run", "pickle", "marshal", "ctypes", "setattr", "open(", "File.open", "fopen", ">>", "print >",
    "sys.stdout.buffer", "http.client", "urllib", "net.", "Net::", "LWP", "environ[", "putenv", "setenv", "process.env.", "Deno.write", "Bun.write", "shutdown",
];

/// What a MongoDB shell script does to the database.
const MONGO_DESTROY: &[&str] = &["dropDatabase", ".drop(", "deleteMany", ".remove(", "dropUser", "dropAllUsers", "dropRole", "shutdownServer", "shutdown", "findOneAndDelete", "dropIndexes"];
const MONGO_CHANGE: &[&str] = &["insert", "update", "replaceOne", "deleteOne", "createCollection", "createIndex", "dropIndex", "bulkWrite", "save(", "renameCollection", "createUser", "grantRolesTo", "adminCommand", "runCommand", "eval(", "load("];

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
    for (start, _) in code.match_indices('[') {
        let rest = code.get(start + 1..).unwrap_or("");
        let Some(end) = rest.find(']') else { continue };
        let inside = rest.get(..end).unwrap_or("");
        let parts = literals(inside);
        if parts.len() > 1 {
            out.push(parts.join(" "));
        }
    }
    out
}

fn looks_like_sql(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    ["drop ", "delete ", "truncate ", "update ", "insert ", "alter ", "create ", "grant ", "revoke ", "merge ", "copy ", "vacuum", "reindex", "with "]
        .iter()
        .any(|k| lower.starts_with(k))
}

/// The effects of running `code` in `language`. `shell` analyses a command line found in
/// a literal; `sql` analyses a statement.
pub(crate) fn analyse(
    code: &str,
    language: Language,
    what: &str,
    shell: &mut dyn FnMut(&str) -> Vec<Effect>,
    sql: &dyn Fn(&str) -> Vec<Effect>,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    let has = |markers: &[&str]| markers.iter().any(|m| code.contains(m));

    if language == Language::Mongo {
        if has(MONGO_DESTROY) {
            effects.push(Effect::new(Verb::Delete, ObjectKind::Database, what, Risk::Destroy, format!("{what} drops or deletes MongoDB data")));
        } else if has(MONGO_CHANGE) {
            effects.push(Effect::new(Verb::Write, ObjectKind::Database, what, Risk::Change, format!("{what} writes to MongoDB")));
        } else {
            effects.push(Effect::new(Verb::Read, ObjectKind::Database, what, Risk::Read, format!("{what} only reads MongoDB")));
        }
        return effects;
    }

    let runs_processes = has(PROCESS) || (matches!(language, Language::Perl | Language::Ruby) && code.contains('`'));
    if runs_processes {
        let mut found = false;
        for command in literals(code).into_iter().chain(argument_vectors(code)) {
            let inner = shell(&command);
            if inner.iter().any(|e| e.risk > Risk::Read) {
                found = true;
            }
            effects.extend(inner.into_iter().filter(|e| e.risk > Risk::Read));
        }
        if !found {
            effects.push(Effect::opaque(what, Risk::Change, format!("{what} runs other programs from inline code")));
        }
    }
    if has(DATABASE) {
        for statement in literals(code).into_iter().filter(|l| looks_like_sql(l)) {
            effects.extend(sql(&statement));
        }
    }
    if has(DESTROY) {
        effects.push(Effect::new(Verb::Delete, ObjectKind::File, what, Risk::Destroy, format!("{what} deletes files or kills processes from inline code")));
    } else if has(CHANGE) && !effects.iter().any(|e| e.risk >= Risk::Change) {
        effects.push(Effect::new(Verb::Write, ObjectKind::Code, what, Risk::Change, format!("{what} runs inline code that may write, connect or evaluate more code")));
    }
    if effects.is_empty() {
        effects.push(Effect::new(Verb::Read, ObjectKind::Code, what, Risk::Read, format!("{what} runs inline code that only computes and prints")));
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_unescaped() {
        assert_eq!(literals(r#"a("x\"y", 'z')"#), vec!["x\"y".to_owned(), "z".to_owned()]);
        assert_eq!(argument_vectors(r#"run(["rm", "-rf", "/data"])"#), vec!["rm -rf /data".to_owned()]);
    }
}
