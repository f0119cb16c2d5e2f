//! What a command's options, arguments and environment make it do beyond its main work:
//! the files its options name for writing, the commands and code they run (read with
//! the small languages of `embedded`), options the table does not know; environment
//! variables that make a later program run code; network clients that send their input,
//! and credentials sent to the network; unknown tools whose arguments name a destructive
//! verb. The knowledge is the table's (`tools`); this module applies it for the walker.

use super::code::Language;
use super::embedded::{self, Act};
use super::tools::{self, Role, Tool, Value, Variable};
use super::words::Expanded;
use super::{
    Invocation, Stream, Walker, WriteKind, basename, heredoc_substitutions, paths, shell_quote,
};
use crate::effect::{Effect, ObjectKind, Risk, Verb};
use paths::{Location, Zone};

/// The language of inline code the walker reads with `code::analyse`.
fn code_language(lang: &str) -> Option<Language> {
    match lang {
        "python" => Some(Language::Python),
        "js" => Some(Language::JavaScript),
        "perl" => Some(Language::Perl),
        "ruby" => Some(Language::Ruby),
        "php" => Some(Language::Php),
        _ => None,
    }
}

/// A word standing for a value given inside another argument (`--output=FILE`).
fn attached(arg: &Expanded, value: &str) -> Expanded {
    Expanded {
        value: arg.value.as_ref().map(|_| value.to_owned()),
        text: value.to_owned(),
        ..Expanded::default()
    }
}

/// The archive tar is given: `-f FILE`, `--file=FILE`, or `f` in a bundle of letters
/// (`-czf FILE`, `-cfFILE`).
fn tar_archive(args: &[String]) -> Option<String> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            return None;
        }
        if let Some(file) = arg.strip_prefix("--file=") {
            return Some(file.to_owned());
        }
        if arg == "--file" {
            return iter.next().cloned();
        }
        if let Some(letters) = arg.strip_prefix('-').filter(|l| !l.starts_with('-'))
            && let Some(at) = letters.find('f')
            && letters
                .get(..at)
                .is_some_and(|before| before.chars().all(|c| c.is_ascii_alphabetic()))
        {
            let rest = letters.get(at + 1..).unwrap_or("");
            return if rest.is_empty() {
                iter.next().cloned()
            } else {
                Some(rest.to_owned())
            };
        }
    }
    None
}

impl Walker<'_> {
    /// The options of a tool the walker handles itself (`cat`): what they write and
    /// run, and options the table does not know.
    pub(super) fn table_options(&mut self, name: &str, inv: &Invocation, args: &[String]) {
        if let Some(tool) = tools::lookup(name) {
            let unknown = self.apply_options(tool, inv, args);
            self.unknown_options(inv, &unknown);
        }
    }

    /// Applies what the table knows of a tool's options and positional arguments: files
    /// written, commands and code run. Returns the options the table does not know.
    pub(super) fn apply_options(
        &mut self,
        tool: &Tool,
        inv: &Invocation,
        args: &[String],
    ) -> Vec<String> {
        let reading = tool.read(args);
        let words = inv.args();
        let program = self.debugged_program(tool, inv, args);
        // awk's `-v NAME=VALUE` assignments are part of what its program may run.
        let assigned: String = reading
            .values
            .iter()
            .filter(|(flag, _, _)| flag == "-v" || flag.starts_with("--assign"))
            .filter_map(|(_, _, value)| match value {
                Value::Arg(at) => words.get(*at).and_then(|w| w.value.clone()),
                Value::Attached(_, text) => Some(text.clone()),
                _ => None,
            })
            .filter_map(|setting| {
                let (name, value) = setting.split_once('=')?;
                Some(format!("{name} = \"{}\"\n", value.replace('"', "\\\"")))
            })
            .collect();
        for (flag, role, value) in &reading.values {
            let what = format!("`{} {flag}`", basename(inv.name()));
            match value {
                Value::Arg(at) => {
                    if let Some(word) = words.get(*at).cloned() {
                        self.apply_role(*role, &word, &what, program.as_deref());
                    }
                }
                Value::Attached(at, text) => {
                    if let Some(arg) = words.get(*at) {
                        let word = attached(arg, text);
                        self.apply_role(*role, &word, &what, program.as_deref());
                    }
                }
                Value::Rest(at) => self.run_arguments(inv, *at, &what),
                Value::Missing => {}
            }
        }
        for (at, role) in &reading.positionals {
            let what = format!("`{}`", basename(inv.name()));
            if *role == Role::Command {
                self.run_arguments(inv, *at, &what);
                break;
            }
            if let Some(mut word) = words.get(*at).cloned() {
                if *role == Role::Runs("awk")
                    && let Some(text) = word.value.as_mut()
                {
                    text.insert_str(0, &assigned);
                }
                self.apply_role(*role, &word, &what, program.as_deref());
            }
        }
        reading.unknown
    }

    /// Runs the arguments from `start` on, up to `;`, as a command (`fd -x`, `jobs -x`).
    /// For fd, `{}` and its forms stand for what was found below the search paths, and
    /// the path is added at the end when no placeholder is given.
    fn run_arguments(&mut self, inv: &Invocation, start: usize, what: &str) {
        let mut argv: Vec<Expanded> = inv
            .args()
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|a| a.best() != ";" && a.best() != "\\;")
            .cloned()
            .collect();
        if argv.is_empty() {
            return;
        }
        if matches!(basename(inv.name()), "fd" | "fdfind")
            && let Some(tool) = tools::lookup("fd")
        {
            let before: Vec<String> = inv
                .arg_strings()
                .get(..start.saturating_sub(1))
                .unwrap_or(&[])
                .to_vec();
            let searched: Vec<Expanded> = tool
                .read(&before)
                .positionals
                .iter()
                .skip(1)
                .filter_map(|(at, _)| inv.args().get(*at).cloned())
                .collect();
            let roots = if searched.is_empty() {
                vec![Expanded::literal(".")]
            } else {
                searched
            };
            let placeholder = |w: &str| matches!(w, "{}" | "{/}" | "{//}" | "{.}" | "{/.}");
            let given = argv.iter().any(|a| placeholder(a.best()));
            let found = super::found_below(roots.first().unwrap_or(&Expanded::literal(".")), None);
            for root in roots.iter().skip(1) {
                let mut other: Vec<Expanded> = argv
                    .iter()
                    .map(|a| {
                        if placeholder(a.best()) {
                            super::found_below(root, None)
                        } else {
                            a.clone()
                        }
                    })
                    .collect();
                if !given {
                    other.push(super::found_below(root, None));
                }
                self.invoke(Invocation {
                    argv: other,
                    stdin: Stream::Terminal,
                });
            }
            argv = argv
                .into_iter()
                .map(|a| {
                    if placeholder(a.best()) {
                        found.clone()
                    } else {
                        a
                    }
                })
                .collect();
            if !given {
                argv.push(found);
            }
        }
        let before = self.effects.len();
        self.invoke(Invocation {
            argv,
            stdin: Stream::Terminal,
        });
        self.name_effects(before, what);
    }

    /// Prefixes the summaries of the effects pushed since `before` with what ran them.
    fn name_effects(&mut self, before: usize, what: &str) {
        for effect in self.effects.iter_mut().skip(before) {
            if !effect.summary.starts_with(what) {
                effect.summary = format!("{what} runs: {}", effect.summary);
            }
        }
    }

    fn apply_role(
        &mut self,
        role: Role,
        word: &Expanded,
        what: &str,
        program: Option<&[Expanded]>,
    ) {
        let kind = match role {
            Role::Plain | Role::Command => return,
            Role::Writes => WriteKind::Truncate,
            Role::Appends => WriteKind::Append,
            Role::Modifies => WriteKind::Modify,
            Role::Rewrites => WriteKind::Rewrite,
            Role::Deletes => {
                if word.best() != "-" {
                    self.delete_path(word, false, what);
                }
                return;
            }
            Role::Runs(lang) => {
                match &word.value {
                    Some(text) => {
                        let text = text.clone();
                        self.embedded(lang, &text, what, program);
                    }
                    None => self.push(Effect::opaque(
                        word.best(),
                        Risk::Change,
                        format!("{what} runs `{}`, known only when it runs", word.best()),
                    )),
                }
                return;
            }
            Role::RunsFile(lang) => {
                self.embedded_file(lang, word, what, program);
                return;
            }
            Role::Loads => {
                self.push(Effect::new(
                    Verb::Execute,
                    ObjectKind::Code,
                    word.best(),
                    Risk::Change,
                    format!(
                        "{what} loads `{}`, code holdpoint has not read",
                        word.best()
                    ),
                ));
                return;
            }
        };
        if word.best() != "-" && !word.best().is_empty() {
            self.write_path(word, kind, what);
        }
    }

    /// Text in one of the small languages a tool runs.
    pub(super) fn embedded(
        &mut self,
        lang: &'static str,
        text: &str,
        what: &str,
        program: Option<&[Expanded]>,
    ) {
        let acts = match lang {
            "sh" => {
                self.nested(text, what, Stream::Terminal);
                return;
            }
            "remote" => {
                self.remote(text, "the remote host", what);
                return;
            }
            "ex" => embedded::ex(text),
            "gdb" => embedded::gdb(text),
            "lldb" => embedded::lldb(text),
            "sed" => embedded::sed(text),
            "awk" => embedded::awk(text),
            "dc" => embedded::dc(text),
            "ssh" => embedded::ssh_option(text),
            "git" => {
                let (key, value) = text.split_once('=').unwrap_or((text, "true"));
                embedded::git_config(key, value)
            }
            "tar" => embedded::tar_checkpoint(text),
            "less" => embedded::less_command(text),
            "fzf" => embedded::fzf_bind(text),
            "fzfcmd" => embedded::fzf_command(text),
            "socat" => embedded::socat_address(text),
            "curlw" => embedded::curl_write_out(text),
            other => match code_language(other) {
                Some(language) => {
                    self.code(text, language, what);
                    return;
                }
                None => vec![Act::Unseen(format!("{what} runs {other} code"))],
            },
        };
        self.acts(lang, acts, what, program);
    }

    /// A file of instructions a tool runs: read where it can be, `change` where not.
    fn embedded_file(
        &mut self,
        lang: &'static str,
        path: &Expanded,
        what: &str,
        program: Option<&[Expanded]>,
    ) {
        if matches!(path.value.as_deref(), Some("/dev/null" | "none" | "NONE")) {
            return;
        }
        let text = path.value.as_deref().and_then(|p| self.read_file(p));
        let Some(text) = text else {
            self.push(Effect::opaque(
                path.best(),
                Risk::Change,
                format!(
                    "{what} runs instructions from `{}`, which could not be read",
                    path.best()
                ),
            ));
            return;
        };
        let Ok(inner) = self.nesting.deeper() else {
            self.cannot_analyse(format!("{what} includes files too deeply to analyse"));
            return;
        };
        let outer = std::mem::replace(&mut self.nesting, inner);
        let acts = match lang {
            "sh" => {
                self.nested(&text, what, Stream::Terminal);
                Vec::new()
            }
            "ex" => embedded::ex_script(&text),
            "gdb" => embedded::gdb_script(&text),
            "lldb" => text.lines().flat_map(embedded::lldb).collect(),
            "sed" => embedded::sed(&text),
            "awk" => embedded::awk(&text),
            "dc" => embedded::dc(&text),
            "ssh" => embedded::ssh_config(&text),
            "git" => embedded::git_config_file(&text),
            other => {
                match code_language(other) {
                    Some(language) => self.code(&text, language, what),
                    None => self.push(Effect::opaque(
                        path.best(),
                        Risk::Change,
                        format!("{what} runs {other} code from `{}`", path.best()),
                    )),
                }
                Vec::new()
            }
        };
        self.acts(lang, acts, what, program);
        self.nesting = outer;
    }

    /// Applies what embedded text makes its tool do.
    pub(super) fn acts(
        &mut self,
        lang: &'static str,
        acts: Vec<Act>,
        what: &str,
        program: Option<&[Expanded]>,
    ) {
        for act in acts {
            match act {
                Act::Runs(command) => {
                    if !command.trim().is_empty() {
                        self.nested(&command, what, Stream::Terminal);
                    }
                }
                Act::RunsRemote(command) => self.remote(&command, "the remote host", what),
                Act::Code(lang, code) => self.embedded(lang, &code, what, program),
                Act::RunsProgram(extra) => match program {
                    Some(argv) if !argv.is_empty() => {
                        let mut argv = argv.to_vec();
                        argv.extend(extra.split_whitespace().map(Expanded::literal));
                        self.invoke(Invocation {
                            argv,
                            stdin: Stream::Terminal,
                        });
                    }
                    _ => self.push(Effect::opaque(
                        what,
                        Risk::Change,
                        format!("{what} starts a program holdpoint cannot name"),
                    )),
                },
                Act::Writes(file) => {
                    self.write_path(&Expanded::literal(&file), WriteKind::Truncate, what);
                }
                Act::Appends(file) => {
                    self.write_path(&Expanded::literal(&file), WriteKind::Append, what);
                }
                Act::Includes(file) => {
                    self.embedded_file(lang, &Expanded::literal(&file), what, program);
                }
                Act::Unseen(summary) => {
                    self.push(Effect::opaque(
                        what,
                        Risk::Change,
                        format!("{what}: {summary}"),
                    ));
                }
                Act::Unknown(summary) => self.push(Effect::new(
                    Verb::Execute,
                    ObjectKind::Command,
                    what,
                    Risk::Change,
                    format!("{what}: {summary}"),
                )),
            }
        }
    }

    /// The program a debugger starts with `run`: `--args PROGRAM ARGS…`, or its first
    /// positional argument.
    fn debugged_program(
        &self,
        tool: &Tool,
        inv: &Invocation,
        args: &[String],
    ) -> Option<Vec<Expanded>> {
        if !matches!(tool.names.first(), Some(&"gdb" | &"lldb")) {
            return None;
        }
        let words = inv.args();
        if let Some(at) = args.iter().position(|a| a == "--args" || a == "--") {
            return Some(words.get(at + 1..).unwrap_or(&[]).to_vec());
        }
        let reading = tool.read(args);
        reading
            .positionals
            .first()
            .and_then(|(at, _)| words.get(*at))
            .map(|w| vec![w.clone()])
    }

    /// Options the table does not know make a command at least `change`.
    pub(super) fn unknown_options(&mut self, inv: &Invocation, unknown: &[String]) {
        let Some(first) = unknown.first() else {
            return;
        };
        let text = inv.display();
        self.push(Effect::new(
            Verb::Execute,
            ObjectKind::Command,
            &text,
            Risk::Change,
            format!(
                "`{text}` is given `{first}`, an option holdpoint does not know: it may do more than read"
            ),
        ));
    }

    /// An unknown tool, or a known one no rule decided, whose arguments name a verb
    /// that destroys (`zfs destroy`, `--delete`, `FLUSHALL`, `flyway:clean`).
    pub(super) fn destructive_arguments(
        &mut self,
        inv: &Invocation,
        args: &[String],
        reading: tools::Verbs,
    ) -> bool {
        let Some(word) = tools::destructive_verb(args, reading) else {
            return false;
        };
        let text = inv.display();
        self.push(Effect::new(
            Verb::Delete,
            ObjectKind::Command,
            &text,
            Risk::Destroy,
            format!("`{text}`: its arguments name a destructive verb (`{word}`)"),
        ));
        true
    }

    // -----------------------------------------------------------------------------------
    // Environment

    /// A variable set for later programs (`NAME=value cmd`, `export`, `env NAME=value`).
    /// cargo's `--config KEY=VALUE` (or a file of such settings): each key is judged as
    /// the environment variable cargo reads for it (`target.<triple>.runner` is
    /// `CARGO_TARGET_<TRIPLE>_RUNNER`, `build.rustc-wrapper` is
    /// `CARGO_BUILD_RUSTC_WRAPPER`), so that the flag and the variable are one rule.
    pub(super) fn cargo_settings(&mut self, args: &[String]) {
        let mut given = Vec::new();
        let mut words = args.iter();
        while let Some(arg) = words.next() {
            if arg == "--" {
                break;
            }
            match arg.strip_prefix("--config") {
                Some("") => given.extend(words.next().cloned()),
                Some(rest) => given.extend(rest.strip_prefix('=').map(str::to_owned)),
                None => {}
            }
        }
        for setting in given {
            // A setting is TOML (`KEY = VALUE`); anything else names a file of them.
            let text = if setting.contains('=') {
                Some(setting.clone())
            } else {
                self.read_file(&setting)
            };
            let Some(settings) = text.as_deref().and_then(cargo_variables) else {
                self.push(Effect::opaque(
                    &setting,
                    Risk::Change,
                    format!("`cargo --config {setting}`: settings holdpoint cannot read"),
                ));
                continue;
            };
            for (name, value) in settings {
                self.environment(&name, &Expanded::literal(&value));
            }
        }
    }

    /// C compilers: `-wrapper PROG,ARG,…` runs every program the compiler starts through
    /// that command; `-B DIR` takes those programs (`cc1`, `as`, `ld`) from a directory;
    /// `-fplugin=`, `-specs=` load code or rules that run programs.
    pub(super) fn compiler(&mut self, base: &str, args: &[String]) {
        let mut words = args.iter();
        while let Some(arg) = words.next() {
            if arg == "-wrapper" {
                if let Some(wrapper) = words.next() {
                    let command: Vec<String> = wrapper.split(',').map(shell_quote).collect();
                    self.nested(
                        &command.join(" "),
                        &format!("`{base} -wrapper`"),
                        Stream::Terminal,
                    );
                }
                continue;
            }
            let loads = if arg == "-B" {
                words
                    .next()
                    .map(|dir| format!("takes the programs it runs from `{dir}`"))
            } else if let Some(dir) = arg.strip_prefix("-B") {
                Some(format!("takes the programs it runs from `{dir}`"))
            } else if arg.starts_with("-fplugin=")
                || arg.starts_with("-specs=")
                || arg.starts_with("--specs=")
            {
                Some(format!(
                    "`{arg}` loads code or rules holdpoint has not read"
                ))
            } else {
                None
            };
            if let Some(why) = loads {
                self.push(Effect::opaque(
                    base,
                    Risk::Change,
                    format!("`{base}` {why}"),
                ));
            }
        }
    }

    /// Emacs told to evaluate Lisp (`--eval`, `-l FILE`, `-f FUNC`, `--script`): code in a
    /// language holdpoint reads only for its generic markers, and at least a change.
    pub(super) fn lisp(&mut self, base: &str, args: &[String]) {
        let mut words = args.iter();
        while let Some(arg) = words.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            if !runs_lisp(flag) {
                continue;
            }
            let Some(value) = inline.or_else(|| words.next().cloned()) else {
                continue;
            };
            let what = format!("`{base} {flag}`");
            match flag {
                "--eval" | "-eval" | "--execute" | "-execute" => {
                    self.code(&value, Language::Other, &what);
                }
                "-l" | "--load" | "-load" | "--script" | "-script" => {
                    if let Some(text) = self.read_file(&value) {
                        self.code(&text, Language::Other, &what);
                    }
                }
                _ => {}
            }
            self.push(Effect::opaque(
                base,
                Risk::Change,
                format!("{what} runs Emacs Lisp, which holdpoint does not analyse"),
            ));
        }
    }

    pub(super) fn environment(&mut self, name: &str, value: &Expanded) {
        // `BASH_FUNC_ls%%='() { …; }'`: bash defines the function `ls` from it, which
        // runs in place of the program in any bash started with it.
        if let Some(function) = name.strip_prefix("BASH_FUNC_") {
            let function = function.trim_end_matches('%').trim_end_matches("()");
            match value.value.as_deref() {
                Some(text) => {
                    let body = text.trim_start().strip_prefix("()").unwrap_or(text);
                    self.nested(
                        body,
                        &format!("`{name}`, the function `{function}` bash defines from it,"),
                        Stream::Terminal,
                    );
                }
                None => self.cannot_analyse(format!(
                    "`{name}` defines the function `{function}` for bash from a value known only when it runs"
                )),
            }
            return;
        }
        let Some(variable) = tools::variable(name) else {
            return;
        };
        let what = format!("`{name}`");
        let shown = value.best().to_owned();
        let Some(text) = value.value.clone() else {
            if !matches!(
                variable,
                Variable::Git | Variable::History | Variable::CdPath
            ) {
                self.push(Effect::opaque(
                    &shown,
                    Risk::Change,
                    format!("`{name}={shown}` sets a variable that decides what programs run, to a value known only when it runs"),
                ));
            }
            return;
        };
        match variable {
            Variable::Command => {
                // less(1): `LESSOPEN='|cmd %s'` or `'||cmd %s'` pipes; `-` marks a
                // preprocessor for standard input too.
                let command = if name.starts_with("LESS") {
                    text.trim_start().trim_start_matches(['|', '-'])
                } else {
                    text.as_str()
                };
                if !command.trim().is_empty() {
                    self.nested(command, &format!("{what}, a command programs run,"), Stream::Terminal);
                }
            }
            Variable::Prompt => {
                for script in heredoc_substitutions(&text) {
                    self.nested(&script, &format!("{what}, a prompt the shell expands,"), Stream::Terminal);
                }
            }
            Variable::ShellScript => {
                self.embedded_file("sh", &Expanded::literal(&text), &format!("{what}, a script shells run at start,"), None);
            }
            Variable::CodeFile(lang) => {
                self.embedded_file(lang, &Expanded::literal(&text), &format!("{what}, a file of code programs run,"), None);
            }
            Variable::Code(lang) => {
                self.embedded(lang, &text, &format!("{what}, code programs run,"), None);
            }
            Variable::Options(tool) => self.environment_options(name, tool, &text),
            Variable::Library => self.push(Effect::new(
                Verb::Execute,
                ObjectKind::Code,
                &text,
                Risk::Change,
                format!("`{name}={text}` makes every program it starts load a library holdpoint has not read"),
            )),
            Variable::CodePath => {
                for entry in text.split(':').filter(|e| !e.is_empty()) {
                    let entry = Expanded::literal(entry);
                    let local = matches!(self.zone(&entry), Zone::Workspace | Zone::Temp | Zone::WholeWorkspace);
                    let risk = if local { Risk::Workspace } else { Risk::Change };
                    let place = if local { "in the workspace" } else { "outside the workspace" };
                    let mut effect = Effect::new(
                        Verb::Execute,
                        ObjectKind::Code,
                        entry.best(),
                        risk,
                        format!("`{name}` makes programs load code from `{}`, {place}", entry.best()),
                    );
                    // Code loaded from the workspace is the project's own: the hooks run
                    // it inside holdpoint's sandbox.
                    effect.runs_project_code = local;
                    self.push(effect);
                }
            }
            Variable::Config => {
                let own = self.ctx.home.as_deref().is_some_and(|home| {
                    paths::normalise("/", &text) == paths::normalise("/", home)
                });
                if !own && !text.is_empty() {
                    self.push(Effect::new(
                        Verb::Execute,
                        ObjectKind::Code,
                        &text,
                        Risk::Change,
                        format!("`{name}={text}` points programs at configuration holdpoint has not read, which may name commands they run"),
                    ));
                }
            }
            Variable::Log => {
                if text.starts_with('/') || text.starts_with("~/") {
                    self.write_path(&Expanded::literal(&text), WriteKind::Append, &what);
                }
            }
            Variable::Function => {
                let body = text.trim_start().strip_prefix("()").unwrap_or(&text);
                self.nested(body, &format!("{what}, a function bash imports from the environment,"), Stream::Terminal);
            }
            Variable::Git | Variable::History | Variable::CdPath => {}
        }
    }

    /// A variable that holds more options for a tool (`TAR_OPTIONS`, `NODE_OPTIONS`).
    fn environment_options(&mut self, name: &str, tool: &str, text: &str) {
        let what = format!("`{name}`");
        match tool {
            "node" => {
                let words: Vec<&str> = text.split_whitespace().collect();
                let mut i = 0;
                while let Some(word) = words.get(i) {
                    let (flag, inline) = word
                        .split_once('=')
                        .map_or((*word, None), |(f, v)| (f, Some(v)));
                    let loads = matches!(
                        flag,
                        "-r" | "--require"
                            | "--import"
                            | "--loader"
                            | "--experimental-loader"
                            | "--experimental-specifier-resolution"
                    );
                    if loads {
                        let module = inline.or_else(|| {
                            i += 1;
                            words.get(i).copied()
                        });
                        if let Some(module) = module {
                            let file = Expanded::literal(module);
                            let path = if module.ends_with(".js")
                                || module.ends_with(".mjs")
                                || module.ends_with(".cjs")
                                || module.contains('/')
                            {
                                file
                            } else {
                                Expanded::literal(&format!("node_modules/{module}"))
                            };
                            self.embedded_file(
                                "js",
                                &path,
                                &format!("{what}, which makes node load a module,"),
                                None,
                            );
                        }
                    } else if !tools::harmless_node_option(flag) {
                        self.push(Effect::new(
                            Verb::Execute,
                            ObjectKind::Code,
                            text,
                            Risk::Change,
                            format!(
                                "`{name}` gives node `{flag}`, an option holdpoint does not know"
                            ),
                        ));
                    }
                    i += 1;
                }
            }
            "rustc" => {
                // `-C linker=PROGRAM` (or `-Clinker=`) runs a program to link.
                let words: Vec<&str> = text.split_whitespace().collect();
                for (i, word) in words.iter().enumerate() {
                    let setting = word
                        .strip_prefix("-C")
                        .filter(|s| !s.is_empty())
                        .or_else(|| (*word == "-C").then(|| words.get(i + 1).copied()).flatten())
                        .or_else(|| {
                            word.strip_prefix("--codegen=").or_else(|| {
                                (*word == "--codegen")
                                    .then(|| words.get(i + 1).copied())
                                    .flatten()
                            })
                        });
                    if let Some(linker) = setting.and_then(|s| s.strip_prefix("linker=")) {
                        self.nested(
                            linker,
                            &format!("{what}, a linker rustc runs,"),
                            Stream::Terminal,
                        );
                    }
                }
            }
            "perl" | "ruby" | "java" | "python" => {
                if !text
                    .split_whitespace()
                    .all(|w| tools::harmless_interpreter_option(tool, w))
                {
                    self.push(Effect::new(
                        Verb::Execute,
                        ObjectKind::Code,
                        text,
                        Risk::Change,
                        format!(
                            "`{name}={text}` makes {tool} load or run code holdpoint has not read"
                        ),
                    ));
                }
            }
            _ => {
                let before = self.effects.len();
                self.nested(
                    &format!("{tool} {text}"),
                    &format!("{what}, options for `{tool}`,"),
                    Stream::Terminal,
                );
                // The tool's own effect stands for nothing here: only what its options do.
                let mut i = before;
                while i < self.effects.len() {
                    let own = self.effects.get(i).is_some_and(|e| {
                        e.name.starts_with(tool) && e.risk <= Risk::Workspace && !e.opaque
                    });
                    if own {
                        self.effects.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // git

    /// git's configuration from the command line, the environment and configuration
    /// files pointed at by the environment; and `ext::` remotes, which are commands.
    pub(super) fn git_configuration(
        &mut self,
        inv: &Invocation,
        args: &[String],
        subcommand_at: usize,
    ) {
        let mut settings: Vec<(String, String, String)> = Vec::new();
        let mut i = 0;
        while i < subcommand_at {
            let Some(arg) = args.get(i) else { break };
            if arg == "-c" {
                if let Some(setting) = args.get(i + 1) {
                    let (key, value) = setting.split_once('=').unwrap_or((setting, "true"));
                    settings.push((key.to_owned(), value.to_owned(), "`git -c`".to_owned()));
                }
                i += 2;
                continue;
            }
            let config_env = arg.strip_prefix("--config-env=").or_else(|| {
                (arg == "--config-env")
                    .then(|| args.get(i + 1).map(String::as_str))
                    .flatten()
            });
            if let Some(setting) = config_env {
                // `--config-env=KEY=ENVVAR`: the value comes from the environment.
                let (key, variable) = setting.split_once('=').unwrap_or((setting, ""));
                let value = self.vars.get(variable).cloned();
                match value {
                    Some(value) => {
                        settings.push((key.to_owned(), value, "`git --config-env`".to_owned()))
                    }
                    None => {
                        let acts = embedded::git_config(key, "value-from-environment");
                        if !acts.is_empty() {
                            self.push(Effect::opaque(
                                key,
                                Risk::Change,
                                format!("`git --config-env` sets `{key}` from `{variable}`, a value holdpoint cannot see"),
                            ));
                        }
                    }
                }
            }
            if let Some(path) = arg.strip_prefix("--exec-path=") {
                self.push(Effect::new(
                    Verb::Execute,
                    ObjectKind::Code,
                    path,
                    Risk::Change,
                    format!("`git --exec-path={path}` runs git's programs from `{path}`"),
                ));
            }
            i += 1;
        }
        // GIT_CONFIG_COUNT with GIT_CONFIG_KEY_n and GIT_CONFIG_VALUE_n.
        let count: usize = self
            .vars
            .get("GIT_CONFIG_COUNT")
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(0);
        for n in 0..count.min(64) {
            let key = self.vars.get(&format!("GIT_CONFIG_KEY_{n}")).cloned();
            let value = self.vars.get(&format!("GIT_CONFIG_VALUE_{n}")).cloned();
            match (key, value) {
                (Some(key), Some(value)) => {
                    settings.push((key, value, "`GIT_CONFIG_KEY_n`".to_owned()))
                }
                _ => self.push(Effect::opaque(
                    "GIT_CONFIG_COUNT",
                    Risk::Change,
                    "`GIT_CONFIG_COUNT` gives git configuration holdpoint cannot see",
                )),
            }
        }
        if let Some(parameters) = self.vars.get("GIT_CONFIG_PARAMETERS").cloned() {
            for setting in parameters
                .split('\'')
                .filter(|p| p.contains('=') || p.contains('.'))
            {
                let setting = setting.trim();
                if setting.is_empty() {
                    continue;
                }
                let (key, value) = setting.split_once('=').unwrap_or((setting, "true"));
                settings.push((
                    key.to_owned(),
                    value.to_owned(),
                    "`GIT_CONFIG_PARAMETERS`".to_owned(),
                ));
            }
        }
        for (key, value, how) in settings {
            // Aliases given with `-c` are followed by the walker where they are called.
            if key.to_ascii_lowercase().starts_with("alias.") {
                continue;
            }
            let acts = embedded::git_config(&key, &value);
            let what = format!("{how} `{key}`");
            self.acts("git", acts, &what, None);
        }
        // Configuration files the environment points git at.
        let mut files: Vec<String> = Vec::new();
        for name in ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG"] {
            if let Some(file) = self.vars.get(name) {
                files.push(file.clone());
            }
        }
        if let Some(home) = self.vars.get("HOME").cloned()
            && self.ctx.home.as_deref() != Some(home.as_str())
        {
            files.push(format!("{}/.gitconfig", home.trim_end_matches('/')));
            files.push(format!("{}/.config/git/config", home.trim_end_matches('/')));
        }
        if let Some(xdg) = self.vars.get("XDG_CONFIG_HOME").cloned() {
            files.push(format!("{}/git/config", xdg.trim_end_matches('/')));
        }
        // The repository's own configuration, where the command line or the
        // environment points git at another one.
        let git_dir = super::flag_value(args.get(..subcommand_at).unwrap_or(&[]), &["--git-dir"])
            .map(str::to_owned)
            .or_else(|| self.vars.get("GIT_DIR").cloned());
        if let Some(dir) = git_dir {
            files.push(format!("{}/config", dir.trim_end_matches('/')));
        }
        for file in files {
            if let Some(text) = self.read_file(&file) {
                let acts = embedded::git_config_file(&text);
                self.acts("git", acts, &format!("git configuration in `{file}`"), None);
            }
        }
        // `ext::` remotes run their command, as an argument or an option's value
        // (`--remote=ext::…`).
        for arg in inv.args().iter().skip(subcommand_at) {
            let Some(value) = arg.value.as_deref() else {
                continue;
            };
            let url = embedded::ext_url(value).or_else(|| {
                value
                    .split_once('=')
                    .and_then(|(_, v)| embedded::ext_url(v))
            });
            if let Some(act) = url {
                self.acts("git", vec![act], "an `ext::` remote", None);
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Network

    /// Whether a path names a credential: a private key, cloud or database credentials,
    /// tokens, the environment of a process.
    pub(super) fn names_credential(&self, path: &Expanded) -> bool {
        let Some(value) = &path.value else {
            return false;
        };
        let absolute = match &self.location {
            Location::Local(Some(dir)) => paths::normalise(dir, value),
            _ => value.clone(),
        };
        paths::credential(&absolute, self.ctx)
    }

    /// A program that sends its standard input, or a file, to another host: netcat,
    /// socat, telnet, `openssl s_client`. Sending is a network write; sending a
    /// credential cannot be taken back.
    pub(super) fn network_client(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        let text = inv.display();
        let sends_credential = self.secret_input() || self.args_secret;
        let Some(tool) = tools::lookup(base) else {
            return self.unknown_command(inv);
        };
        let (risk, what, _) = tools::classify(tool, args);
        let unknown = self.apply_options(tool, inv, args);
        self.unknown_options(inv, &unknown);
        // `nc -e PROGRAM`, `-c COMMAND`, `ncat --exec`, `--sh-exec`: the program runs with
        // the connection as its input; a shell or an interpreter there runs whatever the
        // other side sends.
        let exec = super::flag_value(args, &["-e", "--exec"])
            .map(|p| (p.to_owned(), false))
            .or_else(|| super::flag_value(args, &["-c", "--sh-exec"]).map(|c| (c.to_owned(), true)))
            .filter(|_| {
                matches!(
                    base,
                    "nc" | "ncat" | "netcat" | "nc.openbsd" | "nc.traditional"
                )
            });
        if let Some((program, shell)) = exec {
            let first = program.split_whitespace().next().unwrap_or("");
            let runs_code = super::is_shell_or_interpreter(basename(first))
                || shell && program.split_whitespace().count() == 1;
            let text = inv.display();
            if runs_code {
                self.push(Effect::new(
                    Verb::Execute,
                    ObjectKind::Network,
                    &text,
                    Risk::Destroy,
                    format!("`{text}` hands a shell or an interpreter to the other end of the connection: anything can run"),
                ));
            } else {
                self.nested(&program, &format!("`{base}`"), Stream::Network);
            }
        }
        // socat's addresses: commands it runs, files it writes.
        if base == "socat" {
            for address in tool
                .read(args)
                .positionals
                .iter()
                .filter_map(|(at, _)| inv.args().get(*at))
            {
                if let Some(address) = address.value.clone() {
                    let acts = embedded::socat_address(&address);
                    // A shell or an interpreter at one end runs what the other end sends.
                    let shell = acts.iter().any(|act| match act {
                        Act::Runs(command) => {
                            let first = command.split_whitespace().next().unwrap_or("");
                            super::is_shell_or_interpreter(basename(first))
                        }
                        _ => false,
                    });
                    if shell {
                        self.push(Effect::new(
                            Verb::Execute,
                            ObjectKind::Network,
                            &text,
                            Risk::Destroy,
                            format!("`{text}` hands a shell or an interpreter to the other address: anything can run"),
                        ));
                    }
                    self.acts("socat", acts, "`socat`", None);
                }
            }
        }
        // Nothing to send (`< /dev/null`, `echo | …`): it only connects and reads.
        let sends_nothing = matches!(&inv.stdin, Stream::Text(t) if t.trim().is_empty());
        if risk == Risk::Read || (sends_nothing && !sends_credential) {
            let what = if risk == Risk::Read {
                what
            } else {
                "connects to another host and sends nothing"
            };
            self.tool_effect(inv, ObjectKind::Network, Risk::Read, what);
            return;
        }
        let sent = match &inv.stdin {
            Stream::Text(sent) => Some(sent.clone()),
            _ => None,
        };
        let destructive = sent
            .as_deref()
            .and_then(|sent| {
                let words: Vec<String> = sent.split_whitespace().map(str::to_owned).collect();
                tools::destructive_verb(&words, tools::Verbs::Unknown)
            })
            .or_else(|| {
                inv.stdin
                    .generates_destruction()
                    .then(|| "a destructive command".to_owned())
            });
        if sends_credential {
            return self.credentials_sent(&text);
        }
        let (risk, summary) = if let Some(word) = destructive {
            (
                Risk::Destroy,
                format!("`{text}` sends `{word}` to a network service"),
            )
        } else {
            (risk, format!("`{text}` {what}"))
        };
        self.push(Effect::new(
            Verb::Write,
            ObjectKind::Network,
            &text,
            risk,
            summary,
        ));
    }

    /// A tool that talks to the network with a credential in its input or arguments
    /// (`curl -d @~/.aws/credentials`, `dig $(… ~/.ssh/id_ed25519 …).example`, `aws s3
    /// cp ~/.aws/credentials s3://…`, a URL with a key in it).
    pub(super) fn credential_to_network(
        &mut self,
        base: &str,
        inv: &Invocation,
        args: &[String],
        object: ObjectKind,
    ) {
        let (secret_input, secret_arguments) = (self.secret_input(), self.args_secret);
        let network = object == ObjectKind::Network;
        let remote = args.iter().any(|a| tools::names_remote(a));
        // A storage tool's copy or upload of a credential (`aws s3 cp KEY s3://…`).
        let uploads =
            tools::uploads_files(base, args) && inv.args().iter().any(|a| self.names_credential(a));
        let sends_file = network && self.network_upload(base, inv, args) || uploads;
        let stdin_sent = network && tools::network_reads_stdin(base, args);
        if sends_file || secret_arguments && (network || remote) || (stdin_sent && secret_input) {
            self.credentials_sent(&inv.display());
        }
    }

    /// Whether a network tool uploads a credential file (`-d @FILE`, `-T FILE`,
    /// `--post-file=FILE`, `-F x=@FILE`).
    fn network_upload(&self, base: &str, inv: &Invocation, args: &[String]) -> bool {
        // httpie and xh: `@FILE`, `field@FILE`, `field=@FILE` send a file.
        if matches!(base, "http" | "https" | "xh" | "xhs") {
            return inv.args().iter().any(|word| {
                word.best().split_once('@').is_some_and(|(_, file)| {
                    self.names_credential(&Expanded {
                        value: word.value.as_ref().map(|_| file.to_owned()),
                        text: file.to_owned(),
                        ..Expanded::default()
                    })
                })
            });
        }
        let Some(tool) = tools::lookup(base) else {
            return false;
        };
        let words = inv.args();
        tool.read(args).values.iter().any(|(flag, _, value)| {
            if !tools::uploads_file(base, flag) {
                return false;
            }
            let word = match value {
                Value::Arg(at) => words.get(*at).cloned(),
                Value::Attached(at, text) => words.get(*at).map(|arg| attached(arg, text)),
                _ => None,
            };
            word.is_some_and(|word| {
                let file = word
                    .best()
                    .rsplit_once('@')
                    .map_or(word.best(), |(_, file)| file)
                    .trim_start_matches('<')
                    .to_owned();
                file != "-"
                    && self.names_credential(&Expanded {
                        value: word.value.as_ref().map(|_| file.clone()),
                        text: file,
                        ..Expanded::default()
                    })
            })
        })
    }

    // -----------------------------------------------------------------------------------
    // Tools with more than the table can say

    /// `history -w` and `-a` write the history file: the argument, `$HISTFILE`, or
    /// `~/.bash_history`.
    pub(super) fn history(&mut self, inv: &Invocation, args: &[String]) {
        let writes = args
            .iter()
            .any(|a| a.starts_with('-') && (a.contains('w') || a.contains('a')));
        if writes {
            let file = args
                .iter()
                .find(|a| !a.starts_with('-'))
                .cloned()
                .or_else(|| self.vars.get("HISTFILE").cloned())
                .or_else(|| self.ctx.home.as_ref().map(|h| format!("{h}/.bash_history")));
            if let Some(file) = file {
                let kind = if args.iter().any(|a| a.starts_with('-') && a.contains('w')) {
                    WriteKind::Truncate
                } else {
                    WriteKind::Append
                };
                self.write_path(&Expanded::literal(&file), kind, "`history`");
            }
        }
        self.tool_from_table("history", inv, args);
    }

    /// tar: the old bundled form (`tar czf out.tgz dir`), the archive written when it
    /// creates, and the directory it writes when it extracts.
    pub(super) fn tar(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        // `tar czf FILE …` is `tar -c -z -f FILE …`.
        let (args, words) = match args.first() {
            Some(first)
                if !first.starts_with('-')
                    && first.chars().all(|c| c.is_ascii_alphabetic())
                    && !first.is_empty() =>
            {
                let mut out: Vec<String> = Vec::new();
                let mut words: Vec<Expanded> = vec![inv.argv.first().cloned().unwrap_or_default()];
                let mut rest = inv.args().iter().skip(1);
                for letter in first.chars() {
                    out.push(format!("-{letter}"));
                    words.push(Expanded::literal(&format!("-{letter}")));
                    if matches!(
                        letter,
                        'f' | 'b' | 'C' | 'T' | 'X' | 'g' | 'K' | 'N' | 'L' | 'V' | 'H'
                    ) && let Some(value) = rest.next()
                    {
                        out.push(value.best().to_owned());
                        words.push(value.clone());
                    }
                }
                for word in rest {
                    out.push(word.best().to_owned());
                    words.push(word.clone());
                }
                (out, words)
            }
            _ => (args.to_vec(), inv.argv.clone()),
        };
        let inv = Invocation {
            argv: words,
            stdin: inv.stdin.clone(),
        };
        let split = tools::Args::split(&args, &[]);
        let creates = split.has_flag("-c") || split.has_flag("--create");
        let updates = [
            "-r",
            "--append",
            "-u",
            "--update",
            "-A",
            "--catenate",
            "--concatenate",
            "--delete",
        ]
        .iter()
        .any(|f| split.has_flag(f));
        let extracts = ["-x", "--extract", "--get"]
            .iter()
            .any(|f| split.has_flag(f));
        let archive = tar_archive(&args);
        if let Some(archive) = archive.filter(|a| a != "-") {
            let word = inv
                .args()
                .iter()
                .find(|w| w.best() == archive || w.best().ends_with(&format!("={archive}")))
                .map(|w| {
                    if w.best() == archive {
                        w.clone()
                    } else {
                        Expanded::literal(&archive)
                    }
                })
                .unwrap_or_else(|| Expanded::literal(&archive));
            if archive.contains(':') && !archive.starts_with('/') {
                // `host:path`: tar reaches the remote host with rsh or ssh.
                self.push(Effect::new(
                    Verb::Write,
                    ObjectKind::File,
                    &archive,
                    Risk::Change,
                    format!("`{base}` uses the archive `{archive}` on another host"),
                ));
            } else if creates {
                self.write_path(
                    &word,
                    WriteKind::Truncate,
                    &format!("`{base}` creating an archive"),
                );
            } else if updates {
                self.write_path(
                    &word,
                    WriteKind::Modify,
                    &format!("`{base}` changing an archive"),
                );
            }
        }
        if extracts {
            let dir = super::flag_value(&args, &["-C", "--directory"]).map(Expanded::literal);
            if let Some(dir) = dir {
                self.write_path(&dir, WriteKind::Modify, &format!("`{base}` extracting"));
            }
            if split.has_flag("-P") || split.has_flag("--absolute-names") {
                let text = inv.display();
                self.push(Effect::new(
                    Verb::Write,
                    ObjectKind::File,
                    &text,
                    Risk::Change,
                    format!("`{text}` extracts members to the absolute paths they name"),
                ));
            }
        }
        self.tool_from_table(base, &inv, &args);
    }

    /// Vim, ex and less: a `+cmd` argument is a command the tool runs at start, as
    /// vim's `-c` ones are (`+!cmd` in less, `+:!cmd` in vim run a shell).
    pub(super) fn plus_commands(
        &mut self,
        lang: &'static str,
        base: &str,
        inv: &Invocation,
        args: &[String],
    ) {
        for arg in inv.args() {
            if let Some(command) = arg.best().strip_prefix('+') {
                if arg.value.is_none() {
                    self.push(Effect::opaque(
                        arg.best(),
                        Risk::Change,
                        format!("`{base}` runs commands known only when they run"),
                    ));
                    continue;
                }
                let command = command.to_owned();
                let acts = if lang == "less" {
                    embedded::less_command(&command)
                } else {
                    embedded::ex(&command)
                };
                self.acts(lang, acts, &format!("`{base} +…`"), None);
            }
        }
        let filtered: Vec<String> = args
            .iter()
            .filter(|a| !a.starts_with('+'))
            .cloned()
            .collect();
        let words: Vec<Expanded> = std::iter::once(inv.argv.first().cloned().unwrap_or_default())
            .chain(
                inv.args()
                    .iter()
                    .filter(|a| !a.best().starts_with('+'))
                    .cloned(),
            )
            .collect();
        let inv = Invocation {
            argv: words,
            stdin: inv.stdin.clone(),
        };
        self.tool_from_table(base, &inv, &filtered);
    }

    /// gdb and lldb reading commands from their standard input.
    pub(super) fn debugger_input(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        if let (Stream::Text(text), Some(tool)) = (&inv.stdin, tools::lookup(base)) {
            let text = text.clone();
            let program = self.debugged_program(tool, inv, args);
            let acts = if base == "lldb" {
                text.lines().flat_map(embedded::lldb).collect()
            } else {
                embedded::gdb_script(&text)
            };
            let lang = if base == "lldb" { "lldb" } else { "gdb" };
            self.acts(
                lang,
                acts,
                &format!("`{base}` reading commands"),
                program.as_deref(),
            );
        }
        self.tool_from_table(base, inv, args);
    }

    /// Programs that run their arguments, or a string, as a command, beyond the ones
    /// `wrapper` knows by their option lists: each case is from the tool's manual.
    pub(super) fn runs_command(&mut self, base: &str, inv: &Invocation, args: &[String]) -> bool {
        let words = inv.args();
        let text = |at: usize| words.get(at).cloned();
        match base {
            // `watch` joins its arguments and runs them with `sh -c`, unless `-x`.
            "watch" => {
                let start = super::command_start(
                    args,
                    &[
                        "-n",
                        "--interval",
                        "-d",
                        "--differences",
                        "-q",
                        "--equexit",
                        "-g",
                        "--chgexit",
                    ],
                    0,
                );
                let exec = args.iter().any(|a| a == "-x" || a == "--exec");
                if let Some(start) = start {
                    if exec {
                        self.invoke(inv.tail(start + 1));
                    } else {
                        let joined = super::joined(words.get(start..).unwrap_or(&[]));
                        if words
                            .get(start..)
                            .unwrap_or(&[])
                            .iter()
                            .all(|w| w.value.is_some())
                        {
                            self.nested(&joined, "`watch`", Stream::Terminal);
                        } else {
                            self.push(Effect::opaque(
                                &joined,
                                Risk::Change,
                                format!("`watch` runs `{joined}`, known only when it runs"),
                            ));
                        }
                    }
                }
                true
            }
            // `flock FILE -c COMMAND` or `flock FILE COMMAND…`.
            "flock" => {
                if let Some(command) = super::flag_value(args, &["-c", "--command"]) {
                    let command = command.to_owned();
                    self.nested(&command, "`flock -c`", Stream::Terminal);
                } else if let Some(start) = super::command_start(
                    args,
                    &["-w", "--timeout", "-E", "--conflict-exit-code"],
                    1,
                ) {
                    self.invoke(inv.tail(start + 1));
                }
                true
            }
            // `entr [-acdnprsz] UTILITY ARGS…`; with `-s` the first argument is a shell
            // command.
            "entr" => {
                let start = super::command_start(args, &[], 0);
                let shell = args
                    .iter()
                    .take_while(|a| a.starts_with('-'))
                    .any(|a| a.contains('s'));
                match (start, shell) {
                    (Some(at), true) => {
                        if let Some(command) = text(at).and_then(|w| w.value) {
                            self.nested(&command, "`entr -s`", Stream::Terminal);
                        }
                    }
                    (Some(at), false) => {
                        self.invoke(inv.tail(at + 1));
                    }
                    _ => {}
                }
                true
            }
            // tmux: the commands that start a program take it as their last arguments.
            "tmux" => {
                let split = tools::Args::split(args, &["-L", "-S", "-f", "-c", "-T"]);
                let sub = split.positionals.first().copied().unwrap_or("");
                let runs = matches!(
                    sub,
                    "new-session"
                        | "new"
                        | "new-window"
                        | "neww"
                        | "split-window"
                        | "splitw"
                        | "respawn-pane"
                        | "respawnp"
                        | "respawn-window"
                        | "respawnw"
                        | "run-shell"
                        | "run"
                        | "if-shell"
                        | "if"
                        | "display-popup"
                        | "popup"
                        | "pipe-pane"
                        | "pipep"
                );
                if let Some(command) = super::flag_value(args, &["-c"])
                    .filter(|_| args.first().is_some_and(|a| a == "-c"))
                {
                    let command = command.to_owned();
                    self.nested(&command, "`tmux -c`", Stream::Terminal);
                    return true;
                }
                if runs {
                    // tmux(1): the options of these commands that take a value.
                    const VALUED: &[&str] = &[
                        "-c", "-e", "-F", "-n", "-s", "-t", "-x", "-y", "-l", "-T", "-w", "-h",
                        "-b", "-S",
                    ];
                    let sub_at = args.iter().position(|a| a == sub).unwrap_or(0);
                    let rest: Vec<String> = args.get(sub_at + 1..).unwrap_or(&[]).to_vec();
                    if let Some(start) = super::command_start(&rest, VALUED, 0) {
                        let command_words = words.get(sub_at + 1 + start..).unwrap_or(&[]);
                        let joined = super::joined(command_words);
                        if command_words.iter().all(|w| w.value.is_some()) {
                            self.nested(&joined, &format!("`tmux {sub}`"), Stream::Terminal);
                        } else {
                            self.push(Effect::opaque(
                                &joined,
                                Risk::Change,
                                format!("`tmux {sub}` runs a command known only when it runs"),
                            ));
                        }
                    } else if matches!(
                        sub,
                        "new-session" | "new" | "new-window" | "neww" | "split-window" | "splitw"
                    ) {
                        self.tool_effect(
                            inv,
                            ObjectKind::Command,
                            Risk::Workspace,
                            "starts a shell in a terminal session",
                        );
                    }
                    return true;
                }
                false
            }
            // `screen [options] [command [args]]`; `-X` sends a command to a session.
            "screen" => {
                let value_flags = [
                    "-S", "-c", "-e", "-h", "-p", "-s", "-T", "-t", "-Logfile", "-X",
                ];
                if args.iter().any(|a| {
                    a == "-X" || a == "-ls" || a == "-list" || a == "-r" || a == "-R" || a == "-x"
                }) && !args
                    .iter()
                    .any(|a| a.starts_with("-dm") || a.starts_with("-Dm"))
                {
                    if args.iter().any(|a| a == "-X") {
                        let text = inv.display();
                        self.push(Effect::opaque(
                            &text,
                            Risk::Change,
                            format!("`{text}` sends commands to a screen session"),
                        ));
                    } else {
                        self.tool_effect(
                            inv,
                            ObjectKind::Command,
                            Risk::Read,
                            "lists or attaches to screen sessions",
                        );
                    }
                    return true;
                }
                match super::command_start(args, &value_flags, 0) {
                    Some(start) => {
                        self.invoke(inv.tail(start + 1));
                    }
                    None => self.tool_effect(
                        inv,
                        ObjectKind::Command,
                        Risk::Workspace,
                        "starts a shell in a terminal session",
                    ),
                }
                true
            }
            // `start-stop-daemon --start --exec PROGRAM -- ARGS`; `--stop` kills.
            "start-stop-daemon" => {
                let split = tools::Args::split(args, &[]);
                if split.has_flag("--stop") || split.has_flag("-K") {
                    self.tool_effect(
                        inv,
                        ObjectKind::Process,
                        Risk::Destroy,
                        "stops the daemons it matches",
                    );
                    return true;
                }
                let program = super::flag_value(args, &["--startas", "-a", "--exec", "-x"])
                    .map(Expanded::literal);
                if let Some(program) = program {
                    let after = args
                        .iter()
                        .position(|a| a == "--")
                        .map(|at| at + 1)
                        .unwrap_or(args.len());
                    let mut argv = vec![program];
                    argv.extend(words.get(after..).unwrap_or(&[]).iter().cloned());
                    self.invoke(Invocation {
                        argv,
                        stdin: Stream::Terminal,
                    });
                } else {
                    self.tool_effect(
                        inv,
                        ObjectKind::Process,
                        Risk::Change,
                        "starts or signals daemons",
                    );
                }
                true
            }
            // Slurm: `sbatch --wrap=CMD` or a script; `srun CMD`.
            "sbatch" => {
                if let Some(command) = super::flag_value(args, &["--wrap"]) {
                    let command = command.to_owned();
                    self.nested(&command, "`sbatch --wrap`", Stream::Terminal);
                } else if let Some(start) = super::command_start(args, tools::SLURM_VALUE_FLAGS, 0)
                {
                    let script = text(start);
                    self.run_script(script.as_ref(), inv, Language::Other, false);
                } else {
                    self.stdin_code(inv, Language::Other);
                }
                true
            }
            "srun" | "salloc" => {
                if let Some(start) = super::command_start(args, tools::SLURM_VALUE_FLAGS, 0) {
                    self.invoke(inv.tail(start + 1));
                } else {
                    self.tool_effect(
                        inv,
                        ObjectKind::Command,
                        Risk::Change,
                        "allocates cluster resources",
                    );
                }
                true
            }
            // bubblewrap: options with two values (`--bind SRC DEST`), then the command.
            "bwrap" => {
                let mut i = 0;
                while let Some(arg) = args.get(i) {
                    if arg == "--" {
                        i += 1;
                        break;
                    }
                    if !arg.starts_with("--") {
                        break;
                    }
                    i += 1 + tools::bwrap_values(arg);
                }
                if i < args.len() {
                    self.invoke(inv.tail(i + 1));
                }
                true
            }
            // `hyperfine CMD…` runs each command through a shell, with `--prepare`,
            // `--setup`, `--cleanup` and `--conclude` commands.
            "hyperfine" => {
                // `-P VAR MIN MAX` and `-L VAR VALUES` take more than one value.
                let mut commands: Vec<&str> = Vec::new();
                let mut i = 0;
                while let Some(arg) = args.get(i) {
                    i += 1;
                    match arg.as_str() {
                        "-P" | "--parameter-scan" => i += 3,
                        "-L" | "--parameter-list" => i += 2,
                        a if tools::HYPERFINE_VALUE_FLAGS.contains(&a) => i += 1,
                        a if a.starts_with('-') => {}
                        command => commands.push(command),
                    }
                }
                for command in commands {
                    self.nested(command, "`hyperfine`", Stream::Terminal);
                }
                for flag in [
                    "-p",
                    "--prepare",
                    "-s",
                    "--setup",
                    "-c",
                    "--cleanup",
                    "--conclude",
                ] {
                    for (i, arg) in args.iter().enumerate() {
                        let value = if arg == flag {
                            args.get(i + 1).cloned()
                        } else {
                            arg.strip_prefix(&format!("{flag}=")).map(str::to_owned)
                        };
                        if let Some(value) = value.filter(|_| flag.starts_with("--") || arg == flag)
                        {
                            self.nested(&value, &format!("`hyperfine {flag}`"), Stream::Terminal);
                        }
                    }
                }
                for (flag, value) in args.iter().zip(args.iter().skip(1)) {
                    if matches!(
                        flag.as_str(),
                        "--export-json"
                            | "--export-csv"
                            | "--export-markdown"
                            | "--export-asciidoc"
                            | "--export-orgmode"
                    ) {
                        self.write_path(
                            &Expanded::literal(value),
                            WriteKind::Truncate,
                            "`hyperfine` export",
                        );
                    }
                }
                self.tool_effect(
                    inv,
                    ObjectKind::Command,
                    Risk::Workspace,
                    "benchmarks commands",
                );
                true
            }
            // Programs that run a command when files change: `watchexec [OPTIONS] CMD…` runs
            // it through a shell; `nodemon -x CMD`; `chokidar PATTERN -c CMD`;
            // `concurrently CMD…` runs each argument as a command.
            "watchexec" => {
                let value_flags = [
                    "-w",
                    "--watch",
                    "-e",
                    "--exts",
                    "-f",
                    "--filter",
                    "-i",
                    "--ignore",
                    "-d",
                    "--debounce",
                    "-s",
                    "--signal",
                    "--shell",
                    "-E",
                    "--env",
                    "--project-origin",
                    "--workdir",
                    "--delay-run",
                    "--poll",
                    "--stop-signal",
                    "--stop-timeout",
                    "--on-busy-update",
                    "--emit-events-to",
                    "--filter-file",
                    "--ignore-file",
                    "--fs-events",
                    "--timings",
                    "--wrap-process",
                    "--color",
                    "--notify",
                    "--bell",
                    "-j",
                    "--filter-prog",
                ];
                if let Some(start) = super::command_start(args, &value_flags, 0) {
                    let command = super::joined(words.get(start..).unwrap_or(&[]));
                    self.nested(&command, "`watchexec`", Stream::Terminal);
                }
                true
            }
            "nodemon" | "chokidar" | "onchange" | "reflex" => {
                if let Some(command) = super::flag_value(args, &["-x", "--exec", "-c", "--command"])
                {
                    let command = command.to_owned();
                    self.nested(&command, &format!("`{base}`"), Stream::Terminal);
                } else if let Some(at) = args.iter().position(|a| a == "--") {
                    self.invoke(inv.tail(at + 2));
                } else {
                    self.tool_effect(
                        inv,
                        ObjectKind::Command,
                        Risk::Workspace,
                        "restarts the project's program when files change",
                    );
                }
                true
            }
            "concurrently" => {
                for word in words.iter().filter(|w| !w.best().starts_with('-')) {
                    match &word.value {
                        Some(command) => {
                            let command = command.clone();
                            self.nested(&command, "`concurrently`", Stream::Terminal);
                        }
                        None => self.push(Effect::opaque(
                            word.best(),
                            Risk::Change,
                            "`concurrently` runs a command known only when it runs",
                        )),
                    }
                }
                true
            }
            // moreutils: `ifne CMD`, `chronic CMD`, `pee CMD…` (each a shell command).
            "pee" => {
                for word in words {
                    if let Some(command) = &word.value
                        && !command.starts_with('-')
                    {
                        let command = command.clone();
                        self.nested(&command, "`pee`", Stream::Terminal);
                    }
                }
                true
            }
            // `valgrind [options] PROGRAM ARGS`, `perf record|stat|trace [options] CMD`.
            "valgrind" => {
                if let Some(start) = args.iter().position(|a| !a.starts_with('-')) {
                    self.invoke(inv.tail(start + 1));
                } else {
                    self.tool_effect(
                        inv,
                        ObjectKind::Command,
                        Risk::Read,
                        "prints its version or help",
                    );
                }
                true
            }
            "perf" => {
                let sub = args.first().map(String::as_str).unwrap_or("");
                if matches!(
                    sub,
                    "record"
                        | "stat"
                        | "trace"
                        | "mem"
                        | "c2c"
                        | "kvm"
                        | "sched"
                        | "lock"
                        | "kwork"
                        | "timechart"
                ) {
                    let rest: Vec<String> = args.get(1..).unwrap_or(&[]).to_vec();
                    if let Some(start) = super::command_start(&rest, tools::PERF_VALUE_FLAGS, 0) {
                        self.invoke(inv.tail(start + 2));
                    }
                    let output =
                        super::flag_value(args, &["-o", "--output"]).map(Expanded::literal);
                    match output {
                        Some(output) => {
                            self.write_path(&output, WriteKind::Truncate, "`perf` output")
                        }
                        None if matches!(
                            sub,
                            "record" | "mem" | "c2c" | "sched" | "lock" | "kwork" | "timechart"
                        ) =>
                        {
                            self.write_path(
                                &Expanded::literal("perf.data"),
                                WriteKind::Truncate,
                                "`perf` output",
                            )
                        }
                        None => {}
                    }
                    self.tool_effect(
                        inv,
                        ObjectKind::Process,
                        Risk::Workspace,
                        "profiles a program",
                    );
                } else {
                    self.tool_from_table("perf", inv, args);
                }
                true
            }
            // Programs whose manual gives `[options] COMMAND [ARGS]` with these value
            // options, or a fixed number of words before the command.
            _ => match tools::command_runner(base).filter(|_| !args.is_empty()) {
                Some((value_flags, skip)) => {
                    match super::command_start(args, value_flags, skip) {
                        Some(start) => {
                            self.invoke(inv.tail(start + 1));
                        }
                        None => {
                            let text = inv.display();
                            self.push(Effect::opaque(
                                &text,
                                Risk::Change,
                                format!("`{text}` runs a command holdpoint cannot find"),
                            ));
                        }
                    }
                    true
                }
                None => false,
            },
        }
    }

    /// `cd DIR` under `CDPATH`: the directory may be found there instead of here.
    pub(super) fn cd_path(&self, target: Option<&Expanded>) -> bool {
        let Some(target) = target.and_then(|t| t.value.as_deref()) else {
            return false;
        };
        self.vars
            .get("CDPATH")
            .is_some_and(|p| !p.trim().is_empty())
            && !target.starts_with('/')
            && !target.starts_with("./")
            && !target.starts_with("../")
            && target != "."
            && target != ".."
            && target != "-"
    }
}

/// Whether an Emacs option runs Lisp: evaluates an expression, loads a file, or calls a
/// function.
pub(super) fn runs_lisp(flag: &str) -> bool {
    let flag = flag.split_once('=').map_or(flag, |(flag, _)| flag);
    matches!(
        flag,
        "--eval"
            | "-eval"
            | "--execute"
            | "-execute"
            | "-l"
            | "--load"
            | "-load"
            | "-f"
            | "--funcall"
            | "-funcall"
            | "--script"
            | "-script"
            | "-x"
    )
}

/// The environment variables cargo reads for the settings of a `--config` value or
/// file (TOML): `CARGO_` and each key's path, upper case, `.` and `-` as `_`. A string
/// is the variable's value; a list of strings, its words quoted as one command line.
/// `None` when the text is not TOML.
fn cargo_variables(text: &str) -> Option<Vec<(String, String)>> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
        match value {
            toml::Value::Table(table) => {
                for (key, value) in table {
                    let name = format!(
                        "{prefix}_{}",
                        key.to_ascii_uppercase().replace(['.', '-'], "_")
                    );
                    walk(&name, value, out);
                }
            }
            toml::Value::String(text) => out.push((prefix.to_owned(), text.clone())),
            toml::Value::Array(items) => {
                let words: Option<Vec<String>> = items
                    .iter()
                    .map(|item| item.as_str().map(shell_quote))
                    .collect();
                if let Some(words) = words {
                    out.push((prefix.to_owned(), words.join(" ")));
                }
            }
            _ => {}
        }
    }
    let table: toml::Table = text.parse().ok()?;
    let mut out = Vec::new();
    walk("CARGO", &toml::Value::Table(table), &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_settings_are_the_variables_cargo_reads_for_them() {
        let vars = |text: &str| cargo_variables(text).unwrap();
        assert_eq!(
            vars("target.x86_64-unknown-linux-gnu.runner = \"rm -rf /srv/data\""),
            [(
                "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER".to_owned(),
                "rm -rf /srv/data".to_owned()
            )]
        );
        // A list is a command's words; a file may hold several tables.
        assert_eq!(
            vars("[build]\nrustc-wrapper = [\"sh\", \"-c\", \"rm -rf /srv/data\"]\njobs = 4\n"),
            [(
                "CARGO_BUILD_RUSTC_WRAPPER".to_owned(),
                "sh -c 'rm -rf /srv/data'".to_owned()
            )]
        );
        assert_eq!(cargo_variables("not toml ="), None);
        assert!(runs_lisp("--eval=(kill-emacs)") && runs_lisp("-l") && !runs_lisp("-nw"));
    }
}
