//! Which program runs. Names are claims, content is evidence: a program reached by a
//! path the agent can write (the workspace, temporary directories, the home directory,
//! or a file made, copied, moved, linked, compiled or downloaded earlier on the same
//! line, also through a `PATH` the line changed) is judged by its content. A copy of or
//! link to a program holdpoint knows is that program, whatever it is called; a script is
//! judged by its text; anything else is a program holdpoint does not know.

use crate::analysis::Program;
use crate::effect::{Effect, ObjectKind, Risk, Verb};

use super::paths::{self, Location};
use super::tools::Args;
use super::{Invocation, Stream, Walker, basename, flag_value, words::Expanded};

/// A program file made earlier on the same command line, by what made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Made {
    /// A copy of or a link to the program holdpoint knows by this name.
    Known(String),
    /// A copy of a script, with its text.
    Script(String),
    /// Downloaded from the network.
    Downloaded,
    /// Built by a compiler, with its source where it is known.
    Compiled(Option<String>),
    /// Made in a way analysis cannot follow.
    Unknown,
}

/// What a program reached by a path turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Identity {
    Known(String),
    /// A script, with its text where it can be read.
    Script(Option<String>),
    Downloaded,
    Compiled(Option<String>),
    Unknown,
}

/// Commands the shell runs itself, never looked up on the `PATH`.
const BUILTINS: &[&str] = &[
    "alias",
    "bg",
    "bind",
    "break",
    "builtin",
    "caller",
    "cd",
    "command",
    "compgen",
    "complete",
    "compopt",
    "continue",
    "declare",
    "dirs",
    "disown",
    "echo",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "kill",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "printf",
    "pushd",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "test",
    "times",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
    ".",
    ":",
    "[",
    "[[",
];

/// Programs that are several programs in one and act as the name they are run by.
const MULTI_CALL: &[&str] = &["busybox", "toybox", "coreutils"];

/// Compilers and linkers whose `-o` names the program they build.
const COMPILERS: &[&str] = &[
    "gcc",
    "cc",
    "clang",
    "g++",
    "c++",
    "clang++",
    "tcc",
    "rustc",
    "ld",
    "gfortran",
    "zig",
    "nim",
    "ghc",
    "ocamlfind",
    "swiftc",
    "gccgo",
];

impl Walker<'_> {
    /// What the program `name` (the command word as written) is, where it is reached by
    /// a path the agent can write; `None` where its name is what it is.
    pub(super) fn program_identity(&mut self, name: &str) -> Option<(String, Identity)> {
        if std::mem::take(&mut self.identified) {
            return None;
        }
        if name.contains('/') {
            let absolute = match &self.location {
                Location::Remote(_) => return None,
                Location::Local(None) if !name.starts_with('/') => {
                    // Relative to a directory analysis lost track of.
                    return Some((name.to_owned(), Identity::Unknown));
                }
                Location::Local(_) => self.absolute_of(name)?,
            };
            let reached = self.through_links(&absolute, true);
            if self.made_here(&absolute)
                || self.made_here(&reached)
                || paths::agent_writable(&absolute, self.ctx)
                || paths::agent_writable(&reached, self.ctx)
            {
                return Some((absolute, self.identity_at(&reached)));
            }
            return None;
        }
        if BUILTINS.contains(&name)
            || self.function_bodies.contains_key(name)
            || self.functions.contains(name)
            || matches!(self.location, Location::Remote(_))
        {
            return None;
        }
        // A `PATH` the line put in front: its directories are searched first, on disk
        // and among what the line made.
        for dir in self.path_prefix.clone() {
            let candidate = paths::normalise(&dir, name);
            if self.made_here(&candidate)
                || (paths::agent_writable(&candidate, self.ctx)
                    && self.files.program(&candidate).is_some())
            {
                return Some((candidate.clone(), self.identity_at(&candidate)));
            }
        }
        // A program the line made in a directory of the `PATH` can stand in for the
        // program of that name.
        if self.programs.is_empty()
            && self.written.is_empty()
            && self.changed.is_empty()
            && self.links.is_empty()
        {
            return None;
        }
        for dir in &self.ctx.path {
            let candidate = paths::normalise("/", &format!("{dir}/{name}"));
            if self.made_here(&candidate) {
                return Some((candidate.clone(), self.identity_at(&candidate)));
            }
        }
        None
    }

    /// Whether the line made, changed or linked the file at `absolute`.
    fn made_here(&self, absolute: &str) -> bool {
        self.programs.contains_key(absolute)
            || self.written.contains_key(absolute)
            || self.changed.contains(absolute)
            || self.links.iter().any(|(link, _)| link == absolute)
    }

    /// What the program file at `absolute` (links on the line already followed) is.
    pub(super) fn identity_at(&self, absolute: &str) -> Identity {
        if let Some(made) = self.programs.get(absolute) {
            return match made {
                Made::Known(name) => Identity::Known(name.clone()),
                Made::Script(text) => Identity::Script(Some(text.clone())),
                Made::Downloaded => Identity::Downloaded,
                Made::Compiled(source) => Identity::Compiled(source.clone()),
                Made::Unknown => Identity::Unknown,
            };
        }
        if let Some(text) = self.written.get(absolute) {
            return Identity::Script(Some(text.clone()));
        }
        if self.changed.contains(absolute) {
            return Identity::Unknown;
        }
        // `/proc/self/exe` is the program running it: the shell.
        if let Some(rest) = absolute.strip_prefix("/proc/") {
            return match rest.split_once('/') {
                Some(("self" | "thread-self", "exe")) => Identity::Known("bash".to_owned()),
                _ => Identity::Unknown,
            };
        }
        match self.files.program(absolute) {
            Some(Program::Known(name)) => Identity::Known(name),
            Some(Program::Script) => Identity::Script(self.files.read(absolute)),
            Some(Program::Unknown) => Identity::Unknown,
            // What can be read as text is a script, even where nothing else is known.
            None => match self.files.read(absolute) {
                Some(text) => Identity::Script(Some(text)),
                None => self.unseen(absolute),
            },
        }
    }

    /// A program file that cannot be looked at.
    fn unseen(&self, absolute: &str) -> Identity {
        if paths::agent_writable(absolute, self.ctx) {
            Identity::Unknown
        } else {
            // A system program that cannot be looked at is what its name says.
            Identity::Known(basename(absolute).to_owned())
        }
    }

    /// What a file copied or linked from `absolute` will be.
    pub(super) fn made_from(&self, absolute: &str) -> Made {
        match self.identity_at(&self.through_links(absolute, true)) {
            Identity::Known(name) => Made::Known(name),
            Identity::Script(Some(text)) => Made::Script(text),
            Identity::Downloaded => Made::Downloaded,
            Identity::Compiled(source) => Made::Compiled(source),
            Identity::Script(None) | Identity::Unknown => Made::Unknown,
        }
    }

    /// Runs a program whose identity was found by its content.
    pub(super) fn run_identified(
        &mut self,
        inv: &Invocation,
        path: &str,
        identity: Identity,
    ) -> Option<Stream> {
        let base = basename(inv.name()).to_owned();
        let written = inv.name().to_owned();
        match identity {
            Identity::Known(name) if same_program(&name, &base) => None,
            Identity::Known(name) => {
                let mut argv = inv.argv.clone();
                if let Some(first) = argv.first_mut() {
                    *first = Expanded::literal(&name);
                }
                let before = self.effects.len();
                self.identified = true;
                let stream = self.invoke(Invocation {
                    argv,
                    stdin: inv.stdin.clone(),
                });
                for effect in self.effects.iter_mut().skip(before) {
                    effect.summary = format!("`{written}` is `{name}`: {}", effect.summary);
                }
                Some(stream)
            }
            Identity::Script(Some(text)) => {
                if let Some(tool) = launcher(&text) {
                    // A package's entry point: the tool it starts, as the name would run it.
                    let local = matches!(
                        self.zone(&Expanded::literal(path)),
                        paths::Zone::Workspace | paths::Zone::Temp
                    );
                    let saved = self.virtualenv;
                    self.virtualenv |= local;
                    let mut argv = inv.argv.clone();
                    if let Some(first) = argv.first_mut() {
                        *first = Expanded::literal(&tool);
                    }
                    self.identified = true;
                    self.invoke(Invocation {
                        argv,
                        stdin: inv.stdin.clone(),
                    });
                    self.virtualenv = saved;
                } else {
                    self.run_script_text(&text, inv, super::code::Language::Other, false);
                }
                Some(Stream::Unknown)
            }
            Identity::Script(None) => {
                let what = inv.display();
                self.push(Effect::opaque(
                    path,
                    Risk::Change,
                    format!("`{what}` runs the script `{written}`, which could not be read"),
                ));
                Some(Stream::Unknown)
            }
            Identity::Downloaded => {
                self.cannot_analyse(format!(
                    "`{}` runs `{written}`, downloaded on the same line",
                    inv.display()
                ));
                Some(Stream::Unknown)
            }
            Identity::Compiled(source) => {
                self.unknown_program(inv, &written, "built on the same line");
                if let Some(source) = source {
                    let what = format!("`{written}`, built on the same line");
                    self.code(&source, super::code::Language::Other, &what);
                }
                Some(Stream::Unknown)
            }
            Identity::Unknown => {
                // Its name is only a claim: it may be anything, and it is at least what
                // the name says (a program called `holdpoint` may be holdpoint).
                self.unknown_program(inv, &written, "reached by a path the agent can write");
                None
            }
        }
    }

    fn unknown_program(&mut self, inv: &Invocation, written: &str, how: &str) {
        let text = inv.display();
        self.push(Effect::new(
            Verb::Execute,
            ObjectKind::Command,
            &text,
            Risk::Change,
            format!(
                "`{text}` runs `{written}`, {how}, a program holdpoint does not know by its content"
            ),
        ));
    }

    /// The program files a command makes (copies, links, moves, builds, downloads,
    /// virtual environments), to be recorded once it has run.
    pub(super) fn programs_made(&self, inv: &Invocation) -> Vec<(String, Made)> {
        let Some(name) = inv.argv.first().and_then(|a| a.value.as_deref()) else {
            return Vec::new();
        };
        if !matches!(self.location, Location::Local(Some(_))) {
            return Vec::new();
        }
        let base = basename(name);
        let args = inv.arg_strings();
        let mut made = Vec::new();
        match base {
            "cp" | "install" | "mv" | "rsync" | "ln" | "link" => {
                let value_flags: &[&str] = &[
                    "-t",
                    "--target-directory",
                    "-S",
                    "--suffix",
                    "-m",
                    "--mode",
                    "-o",
                    "--owner",
                    "-g",
                    "--group",
                    "-e",
                    "--rsh",
                    "--exclude",
                    "--include",
                    "--chmod",
                ];
                let split = Args::split(&args, value_flags);
                let mut operands: Vec<&str> = split.positionals.clone();
                let target_dir = flag_value(&args, &["-t", "--target-directory"]);
                let destination = match target_dir {
                    Some(dir) => Some(format!("{}/", dir.trim_end_matches('/'))),
                    None if operands.len() >= 2 => operands.pop().map(str::to_owned),
                    None if matches!(base, "ln" | "link") => Some("./".to_owned()),
                    None => None,
                };
                let Some(destination) = destination else {
                    return made;
                };
                let Some(dest_abs) = self.absolute_of(&destination) else {
                    return made;
                };
                let into_dir = destination.ends_with('/')
                    || matches!(destination.as_str(), "." | ".." | "~")
                    || operands.len() > 1
                    || self.files.entries(&dest_abs).is_some();
                let symbolic = matches!(base, "ln") && split.has_flag("-s");
                for source in operands {
                    let Some(mut src_abs) = self.absolute_of(source) else {
                        continue;
                    };
                    let target = if into_dir {
                        format!("{dest_abs}/{}", basename(source.trim_end_matches('/')))
                    } else {
                        dest_abs.clone()
                    };
                    if symbolic && !source.starts_with('/') {
                        // A relative link target is relative to the link's directory.
                        let dir = target.rsplit_once('/').map_or("/", |(d, _)| d);
                        src_abs = paths::normalise(if dir.is_empty() { "/" } else { dir }, source);
                    }
                    made.push((target, self.made_from(&src_abs)));
                }
            }
            "dd" => {
                let value = |key: &str| {
                    args.iter()
                        .find_map(|a| a.strip_prefix(&format!("{key}=")))
                        .map(str::to_owned)
                };
                if let (Some(source), Some(output)) = (value("if"), value("of"))
                    && let (Some(src), Some(out)) =
                        (self.absolute_of(&source), self.absolute_of(&output))
                {
                    let partial = args.iter().any(|a| {
                        a.starts_with("count=") || a.starts_with("skip=") || a.starts_with("seek=")
                    });
                    let what = if partial {
                        Made::Unknown
                    } else {
                        self.made_from(&src)
                    };
                    made.push((out, what));
                }
            }
            "curl" | "wget" => {
                let output = if base == "curl" {
                    flag_value(&args, &["-o", "--output"])
                        .map(str::to_owned)
                        .or_else(|| {
                            args.iter()
                                .any(|a| a == "-O" || a == "--remote-name")
                                .then(|| url_name(&args))
                                .flatten()
                        })
                } else {
                    match flag_value(&args, &["-O", "--output-document"]) {
                        Some("-") => None,
                        Some(file) => Some(file.to_owned()),
                        None => url_name(&args),
                    }
                };
                if let Some(output) = output.and_then(|o| self.absolute_of(&o)) {
                    made.push((output, Made::Downloaded));
                }
            }
            _ if COMPILERS.contains(&base)
                || (base == "go" && args.first().is_some_and(|a| a == "build")) =>
            {
                let output = flag_value(&args, &["-o"]).map(str::to_owned).or_else(|| {
                    matches!(
                        base,
                        "gcc" | "cc" | "clang" | "g++" | "c++" | "clang++" | "tcc"
                    )
                    .then(|| "a.out".to_owned())
                });
                let source = match &inv.stdin {
                    Stream::Text(text) if args.iter().any(|a| a == "-") => Some(text.clone()),
                    _ => args
                        .iter()
                        .filter(|a| {
                            a.ends_with(".c")
                                || a.ends_with(".cc")
                                || a.ends_with(".cpp")
                                || a.ends_with(".go")
                                || a.ends_with(".rs")
                        })
                        .find_map(|file| self.read_file(file)),
                };
                if let Some(output) = output.and_then(|o| self.absolute_of(&o)) {
                    made.push((output, Made::Compiled(source)));
                }
            }
            _ => {
                // `python -m venv DIR`, `virtualenv DIR`, `uv venv [DIR]`: the
                // environment's interpreter and pip are the ones on the machine.
                let split = Args::split(&args, &["-p", "--python", "--prompt"]);
                let dir = match (base, split.positionals.as_slice()) {
                    (_, ["venv" | "virtualenv", dir, ..])
                        if super::interpreter_language(base) == super::code::Language::Python
                            && args.iter().position(|a| a == "-m").is_some() =>
                    {
                        Some((*dir).to_owned())
                    }
                    ("virtualenv", [dir, ..]) => Some((*dir).to_owned()),
                    ("uv", ["venv", dir, ..]) => Some((*dir).to_owned()),
                    ("uv", ["venv"]) => Some(".venv".to_owned()),
                    _ => None,
                };
                if let Some(dir) = dir.and_then(|d| self.absolute_of(&d)) {
                    for (file, program) in [
                        ("python", "python3"),
                        ("python3", "python3"),
                        ("pip", "pip"),
                        ("pip3", "pip"),
                    ] {
                        made.push((format!("{dir}/bin/{file}"), Made::Known(program.to_owned())));
                    }
                }
            }
        }
        made
    }

    /// Records that the line set `PATH` (`PATH=.:$PATH cmd`, `export PATH=…`): the
    /// directories in front of the old `PATH` are searched first from now on.
    pub(super) fn note_path(&mut self, text: &str) {
        let mut front = Vec::new();
        for part in text.split(':') {
            if part.contains("$PATH") || part.contains("${PATH") {
                break;
            }
            if part.contains('$') || part.contains('`') {
                // A directory known only when it runs: nothing can be said about it.
                continue;
            }
            let dir = if part.is_empty() { "." } else { part };
            if let Some(absolute) = self.absolute_of(dir) {
                front.push(absolute);
            }
        }
        self.path_prefix = front;
    }
}

/// Whether a program holdpoint knows by `known` is the one its name `called` says: the
/// same name, the same interpreter under another version's name, or a multi-call program
/// that acts as the name it is run by.
fn same_program(known: &str, called: &str) -> bool {
    known == called
        || MULTI_CALL.contains(&known)
        || (super::is_interpreter(known)
            && super::interpreter_language(known) == super::interpreter_language(called))
        || called.strip_prefix(known).is_some_and(|rest| {
            rest.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        })
}

/// The file name a download without an output name takes: the URL's last part.
fn url_name(args: &[String]) -> Option<String> {
    let url = args.iter().find(|a| a.contains("://"))?;
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    (!name.is_empty() && !name.contains(':')).then(|| name.to_owned())
}

/// The tool a script only launches, when its whole text is a package's entry point: a
/// Python console script (`from pip._internal.cli.main import main … sys.exit(main())`),
/// a Rails or Bundler binstub.
pub(super) fn launcher(text: &str) -> Option<String> {
    let mut module: Option<String> = None;
    let mut tool: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("from ") {
            let (path, _) = rest.split_once(" import ")?;
            if module.is_some() {
                return None;
            }
            module = Some(path.split('.').next()?.to_owned());
            continue;
        }
        if let Some(gem) = line
            .strip_prefix("load Gem.bin_path(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let exe = gem.split(',').nth(1)?.trim().trim_matches(['"', '\'']);
            tool = Some(exe.to_owned());
            continue;
        }
        if matches!(
            line,
            "require \"rails/commands\"" | "require 'rails/commands'"
        ) {
            tool = Some("rails".to_owned());
            continue;
        }
        if matches!(line, "require \"rake\"" | "require 'rake'") {
            tool = Some("rake".to_owned());
            continue;
        }
        let harmless = matches!(
            line,
            "import re"
                | "import sys"
                | "import os"
                | "if __name__ == '__main__':"
                | "if __name__ == \"__main__\":"
                | "else:"
                | "Rake.application.run"
                | "require \"rubygems\""
                | "require 'rubygems'"
                | "require \"bundler/setup\""
                | "require 'bundler/setup'"
        ) || line.starts_with("sys.argv[0] = ")
            || line.starts_with("if sys.argv[0].endswith(")
            || line.starts_with("elif sys.argv[0].endswith(")
            || line.starts_with("sys.exit(")
            || line.starts_with("APP_PATH = File.expand_path(")
            || line.starts_with("require_relative \"../config/boot\"")
            || line.starts_with("require_relative '../config/boot'")
            || line.starts_with("ENV[\"BUNDLE_GEMFILE\"] ||=")
            || line.starts_with("ENV['BUNDLE_GEMFILE'] ||=");
        if !harmless {
            return None;
        }
    }
    tool.or(module)
}
