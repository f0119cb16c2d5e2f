//! Shell analysis: parse a command line with a real bash parser and walk into everything
//! that would run, including strings handed to `bash -c`, `eval`, `ssh`, interpreters and
//! database clients.

mod calls;
mod code;
mod embedded;
mod gate;
mod identity;
mod options;
pub(crate) mod paths;
mod project;
mod reads;
mod terminal;
mod terraform;
pub(crate) mod tools;
mod words;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use brush_parser::ast::{
    Command, CommandPrefixOrSuffixItem, CompoundCommand, CompoundList, CompoundListItem,
    ElseClause, IoFileRedirectKind, IoFileRedirectTarget, IoRedirect, Pipeline, Program,
    SeparatorOperator, SimpleCommand,
};
use brush_parser::{Parser, ParserOptions};

use crate::analysis::{AnalysisContext, Files};
use crate::effect::{Analysis, Effect, ObjectKind, Risk, Scope, Verb};
use crate::nesting::{Nesting, openers};
use crate::{sql, sql_settings};

use code::Language;
use paths::{Location, Reach, Zone};
pub(crate) use reads::human_only_route;
use words::Expanded;

/// Command lines longer than this are not analysed: they are opaque.
const MAX_INPUT: usize = 256 * 1024;
/// How many commands one analysis walks before the rest is opaque.
const MAX_STEPS: u32 = 20_000;
/// The longest value a variable is followed with; a longer one is unknown.
const MAX_VALUE: usize = 64 * 1024;

/// Analyses a shell command line.
pub fn analyse(script: &str, ctx: &AnalysisContext, files: &dyn Files) -> Analysis {
    if script.len() > MAX_INPUT {
        return Analysis::unanalysable(
            format!(
                "the command is {} bytes long; holdpoint analyses at most {MAX_INPUT}",
                script.len()
            ),
            "a command too long to analyse".to_owned(),
        );
    }
    let nesting = match Nesting::start(script) {
        Ok(nesting) => nesting,
        Err(too_deep) => {
            return Analysis::unanalysable(
                format!("the command {}", too_deep.reason()),
                "a command nested too deeply to analyse".to_owned(),
            );
        }
    };
    let mut walker = Walker::new(ctx, files);
    walker.nesting = nesting;
    match walker.parse(script) {
        Ok(program) => {
            walker.gate_open = !ctx.gates.is_empty() && one_psql_line(&program, files);
            walker.program(&program);
            Analysis {
                effects: walker.effects,
                unanalysable: walker.unanalysable_reason,
                shown: None,
            }
        }
        Err(error) => Analysis::unanalysable(
            format!("the shell command could not be parsed: {error}"),
            "a shell command that does not parse".to_owned(),
        ),
    }
}

/// Variables a `psql` line may set for itself and still be left to a proxy: none of
/// them moves where it connects.
const PSQL_SETTINGS: [&str; 5] = [
    "PGPASSWORD",
    "PGUSER",
    "PGDATABASE",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
];

/// Whether the line is one `psql` command and nothing else: no other command, pipe or
/// list, nothing defined before it, no variable set for it but `PSQL_SETTINGS`, and the
/// program a system `psql` (a bare name found under a system directory, or such a
/// path). Only then can its connection settings be read whole from its arguments.
fn one_psql_line(program: &Program, files: &dyn Files) -> bool {
    let [list] = program.complete_commands.as_slice() else {
        return false;
    };
    let [item] = list.0.as_slice() else {
        return false;
    };
    if !item.0.additional.is_empty() {
        return false;
    }
    let [Command::Simple(simple)] = item.0.first.seq.as_slice() else {
        return false;
    };
    let system = |path: &str| {
        ["/usr/", "/bin/", "/opt/homebrew/"]
            .iter()
            .any(|dir| path.starts_with(dir))
            && !path.contains("/../")
    };
    let program_is_psql = simple.word_or_name.as_ref().is_some_and(|word| {
        let name = word.value.as_str();
        if name == "psql" {
            files
                .which(name)
                .map(|found| files.real_path(&found).unwrap_or(found))
                .is_some_and(|found| system(&found))
        } else {
            basename(name) == "psql" && system(name)
        }
    });
    program_is_psql
        && simple
            .prefix
            .iter()
            .flat_map(|p| p.0.iter())
            .all(|item| match item {
                CommandPrefixOrSuffixItem::AssignmentWord(assignment, _) => matches!(
                    &assignment.name,
                    brush_parser::ast::AssignmentName::VariableName(name)
                        if PSQL_SETTINGS.contains(&name.as_str())
                ),
                CommandPrefixOrSuffixItem::IoRedirect(_) => true,
                _ => false,
            })
}

/// What a command substitution prints, when it is one command whose output its words
/// fix (`$(echo rm)`, `$(printf 'r%s' m)`, `$(command -v holdpoint)`), or a pipeline of
/// such a command into filters that decode or unscramble it (`$(echo … | base64 -d)`,
/// `$(rev <<< …)`).
fn static_output(
    ctx: &AnalysisContext,
    files: &dyn Files,
    script: &str,
) -> Option<words::Substituted> {
    if script.len() > 4096 || openers(script) > 4 {
        return None;
    }
    let mut walker = Walker::new(ctx, &crate::analysis::NoFiles);
    let program = walker.parse(script).ok()?;
    let [list] = program.complete_commands.as_slice() else {
        return None;
    };
    let [item] = list.0.as_slice() else {
        return None;
    };
    if !item.0.additional.is_empty() || item.0.first.seq.len() > 8 {
        return None;
    }
    let which = |name: &str| {
        // Where no machine can be asked, a program named without a path is taken to be
        // a system program of that name.
        files
            .which(name)
            .unwrap_or_else(|| format!("/usr/bin/{name}"))
    };
    let mut text: Option<String> = None;
    let mut decoded = false;
    for command in &item.0.first.seq {
        let Command::Simple(simple) = command else {
            return None;
        };
        if simple.prefix.is_some() {
            return None;
        }
        let mut argv = vec![simple.word_or_name.as_ref()?.value.clone()];
        let mut here: Option<String> = None;
        for part in simple.suffix.iter().flat_map(|s| s.0.iter()) {
            match part {
                // A word that looks like an assignment (`…==` in base64) is a word here.
                CommandPrefixOrSuffixItem::Word(word)
                | CommandPrefixOrSuffixItem::AssignmentWord(_, word) => {
                    argv.push(word.value.clone())
                }
                CommandPrefixOrSuffixItem::IoRedirect(IoRedirect::HereString(None, word)) => {
                    here = Some(word.value.clone());
                }
                _ => return None,
            }
        }
        let mut known = |raw: &str| {
            let expanded = walker.expand(raw);
            if expanded.glob || !expanded.substitutions.is_empty() {
                None
            } else {
                expanded.value
            }
        };
        let values: Vec<String> = argv.iter().map(|raw| known(raw)).collect::<Option<_>>()?;
        let input = match (text.take(), here) {
            (None, Some(word)) => Some(format!("{}\n", known(&word)?)),
            (previous, None) => previous,
            (Some(_), Some(_)) => return None,
        };
        text = Some(match input {
            None => words::printed(&values, &which)?,
            Some(input) => {
                decoded |= values.first().is_some_and(|name| name != "cat");
                words::transform(&values, &input)?
            }
        });
    }
    Some(words::Substituted {
        text: text?.trim_end_matches('\n').to_owned(),
        decoded,
    })
}

/// Whether a function's body starts copies of itself in the background or in a pipeline
/// (`:(){ :|:& };:`): a fork bomb. Only the body's own list is looked at, which is where
/// the forms in use put it, so the check costs no more than the list is long.
fn forks_itself(name: &str, body: &CompoundCommand) -> bool {
    let list = match body {
        CompoundCommand::BraceGroup(group) => &group.list,
        CompoundCommand::Subshell(subshell) => &subshell.list,
        _ => return false,
    };
    list.0.iter().any(|CompoundListItem(and_or, separator)| {
        let background = matches!(separator, SeparatorOperator::Async);
        let pipelines =
            std::iter::once(&and_or.first).chain(and_or.additional.iter().map(|next| match next {
                brush_parser::ast::AndOr::And(pipeline)
                | brush_parser::ast::AndOr::Or(pipeline) => pipeline,
            }));
        pipelines.into_iter().any(|pipeline| {
            (background || pipeline.seq.len() > 1)
                && pipeline.seq.iter().any(|command| {
                    matches!(command, Command::Simple(simple)
                        if simple.word_or_name.as_ref().is_some_and(|word| word.value == name))
                })
        })
    })
}

/// Analyses a command that runs on another machine, where no path is in the workspace.
pub(crate) fn analyse_remote(script: &str, host: &str, nesting: Nesting) -> Analysis {
    let ctx = AnalysisContext::new("/");
    let mut walker = Walker::new(&ctx, &crate::analysis::NoFiles);
    walker.nesting = nesting;
    walker.remote(script, host, "a remote command");
    Analysis {
        effects: walker.effects,
        unanalysable: walker.unanalysable_reason,
        shown: None,
    }
}

/// What a command writes to its standard output, as far as the next command in a
/// pipeline is concerned.
#[derive(Clone, Debug)]
enum Stream {
    /// Nothing known is piped in: the terminal, or no input.
    Terminal,
    /// Text known in full (an `echo`, a here-document, a readable file).
    Text(String),
    /// Content fetched from the network.
    Network,
    /// Content decoded from an encoding (base64, hex, compression): unseen.
    Decoded,
    /// Output of some other command, with that command's text: what it prints is not
    /// known, but what it mentions may tell what it generates.
    Generated(String),
    /// Output of nothing analysis can name.
    Unknown,
}

impl Stream {
    /// What `echo` or `printf` printed, as a stream: text, or encoded code where escapes
    /// spelled out letters (`printf '\x72\x6d …'`), which hides what it says from a
    /// reader, so that what runs it runs encoded code.
    fn printed(printed: Option<(String, bool)>) -> Option<Stream> {
        printed.map(|(text, hidden)| {
            if hidden {
                Stream::Decoded
            } else {
                Stream::Text(text)
            }
        })
    }

    /// Whether the command producing this stream visibly generates destructive code.
    fn generates_destruction(&self) -> bool {
        let Stream::Generated(producer) = self else {
            return false;
        };
        let upper = producer.to_ascii_uppercase();
        let words: Vec<&str> = upper
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        words.iter().enumerate().any(|(i, word)| {
            matches!(
                *word,
                "DROP"
                    | "TRUNCATE"
                    | "DELETE"
                    | "FLUSHALL"
                    | "FLUSHDB"
                    | "DROPDATABASE"
                    | "DEL"
                    | "UNLINK"
                    | "SHRED"
                    | "MKFS"
            ) || (*word == "RM" && words.get(i + 1).is_some_and(|next| next.starts_with('-')))
        })
    }
}

struct Walker<'a> {
    ctx: &'a AnalysisContext,
    files: &'a dyn Files,
    options: ParserOptions,
    effects: Vec<Effect>,
    location: Location,
    vars: HashMap<String, String>,
    functions: HashSet<String>,
    /// A Python virtual environment inside the workspace is active, so package installs
    /// land in the workspace.
    virtualenv: bool,
    /// Arrays with known elements; `@` holds the positional parameters.
    arrays: HashMap<String, Vec<String>>,
    /// Aliases (`alias ll='…'`, `hash -p PATH NAME`): a name and what it stands for.
    aliases: HashMap<String, String>,
    /// Functions defined so far, walked when they are called, each with the number of
    /// its definition (a function may define another of the same name).
    function_bodies: HashMap<String, (u32, Rc<CompoundCommand>)>,
    /// How many function definitions were walked so far.
    definitions: u32,
    /// Files written earlier on the same command line with known text (`printf … >
    /// x.sql`), by absolute path: later commands that read them see that text.
    written: HashMap<String, String>,
    /// Files of `written` already judged as code planted for a later command.
    planted_judged: HashSet<String>,
    /// Files changed earlier on the same command line in ways whose result is unknown
    /// (appended to, edited in place, copied over): running or reading them later sees
    /// unknown text, not what is on disk now.
    changed: HashSet<String>,
    /// Files the current command's standard output is redirected to, and whether the
    /// redirection truncates (`>`) rather than appends (`>>`).
    stdout_targets: Vec<(String, bool, Option<String>)>,
    /// Symbolic links made so far, as absolute link and target paths.
    links: Vec<(String, String)>,
    /// Commands walked so far, against `MAX_STEPS`.
    steps: u32,
    /// The definitions of the functions being walked, innermost last.
    calling: Vec<u32>,
    /// Some text parsed so far has `( (`: two nested subshells, which the parser reads
    /// as an arithmetic command `((…))`.
    spaced_parens: bool,
    /// The text being walked was handed on to be run (`sh -c`, a make recipe, a package
    /// script, a git hook, a remote login shell), perhaps by a shell that is not bash:
    /// dash runs `((cmd))` as two nested subshells where bash reads arithmetic, so both
    /// readings are walked. Only the agent's own command line is bash's for certain.
    posix_parens: bool,
    /// What this chain of analysis has used of its nesting budget.
    nesting: Nesting,
    /// Git configuration set earlier on the same line (`git config KEY VALUE`), which
    /// later git commands take.
    git_planted: Vec<(String, String)>,
    /// Why some of what runs was not analysed (a budget ran out, the code was encoded or
    /// downloaded): the whole action is then unanalysable, held in every environment,
    /// whatever else is known.
    unanalysable_reason: Option<String>,
    /// How many credential reads were found so far (counted even when the same effect
    /// was already recorded), so that a pipe or a command substitution can tell that
    /// what it carries holds credentials.
    secret_reads: u32,
    /// The current command's standard input comes from a pipe that carries credentials.
    pipe_secret: bool,
    /// The current command's standard input is a credential file (`< ~/.ssh/id_rsa`),
    /// its own or the one it inherits from the command that runs it.
    redirect_secret: bool,
    /// The current command's arguments were made from credentials (`dig $(cat .env)`).
    args_secret: bool,
    /// Credentials were added to git earlier on the line; a push sends them.
    staged_secret: bool,
    /// Program files made earlier on the line (copied, linked, built, downloaded), by
    /// absolute path: running one runs what it was made from.
    programs: HashMap<String, identity::Made>,
    /// Directories the line put in front of `PATH`, searched first for a program named
    /// without a path.
    path_prefix: Vec<String>,
    /// The next command's name is the program it was found to be, not a claim to check.
    identified: bool,
    /// The line is one `psql` command and nothing else (`one_psql_line`): its SQL may be
    /// left to a proxy of holdpoint's it connects to. Taken by the first client.
    gate_open: bool,
    /// The proxy the statements being walked go through, which decides them.
    gate: Option<String>,
}

/// One command after word expansion.
struct Invocation {
    argv: Vec<Expanded>,
    stdin: Stream,
}

impl Invocation {
    fn name(&self) -> &str {
        self.argv.first().map(Expanded::best).unwrap_or("")
    }

    fn args(&self) -> &[Expanded] {
        self.argv.get(1..).unwrap_or(&[])
    }

    /// The arguments as text: values where known, as written otherwise.
    fn arg_strings(&self) -> Vec<String> {
        self.args().iter().map(|a| a.best().to_owned()).collect()
    }

    /// The command line for display, shortened.
    fn display(&self) -> String {
        shorten(&joined(&self.argv), 120)
    }

    /// A new invocation of the arguments from `start` on, with the same input.
    fn tail(&self, start: usize) -> Invocation {
        Invocation {
            argv: self.argv.get(start..).unwrap_or(&[]).to_vec(),
            stdin: self.stdin.clone(),
        }
    }
}

/// The language of a file planted for a later command, by its name.
fn planted_language(path: &str) -> Option<Language> {
    let name = basename(path);
    let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match extension {
        "py" | "pth" | "pyw" => Some(Language::Python),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => Some(Language::JavaScript),
        "rb" | "rake" | "gemspec" => Some(Language::Ruby),
        "pl" | "pm" => Some(Language::Perl),
        "php" => Some(Language::Php),
        _ if matches!(name, "Rakefile" | "Gemfile" | "Guardfile" | "Vagrantfile") => {
            Some(Language::Ruby)
        }
        _ => None,
    }
}

/// The command lines a file of instructions may hold: each line, the value of a
/// `key: value` or `key = value` line, and each quoted string, as far as a sane number.
fn planted_commands(text: &str) -> Vec<String> {
    const MOST: usize = 256;
    let mut found: Vec<String> = Vec::new();
    let mut add = |candidate: &str| {
        let candidate = candidate
            .trim()
            .trim_matches(|c| matches!(c, '[' | ']' | ',' | '"' | '\''))
            .trim();
        if !candidate.is_empty()
            && candidate.len() < 4096
            && candidate.contains(' ')
            && !found.iter().any(|f| f == candidate)
        {
            found.push(candidate.to_owned());
        }
    };
    for line in text.lines().take(MOST) {
        let line = line.trim().trim_start_matches("- ").trim();
        // `key: value` and `key = value` hold their command in the value; any other
        // line may be one.
        match line.split_once([':', '=']) {
            Some((key, value))
                if !key.trim().is_empty()
                    && key.trim().chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')
                    }) =>
            {
                add(value)
            }
            _ => add(line),
        }
        for quote in ['"', '\'', '`'] {
            let mut parts = line.split(quote);
            parts.next();
            while let Some(inside) = parts.next() {
                add(inside);
                parts.next();
            }
        }
    }
    found
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// Whether a tool, with these arguments, runs code the project itself holds: test
/// runners, build tools (build scripts, makefiles) and package managers (package and
/// lifecycle scripts). Such code is the agent's own to write.
fn runs_project_code(tool: &str, args: &[String]) -> bool {
    let first = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
        .unwrap_or("");
    match tool {
        "npm" | "pnpm" | "yarn" | "bun" | "composer" | "make" | "gmake" | "just" | "task"
        | "ninja" | "meson" | "ctest" | "pytest" | "py.test" | "tox" | "nox" | "mvn" | "mvnw"
        | "gradle" | "gradlew" | "rake" | "ant" | "sbt" | "lein" | "bazel" | "bazelisk"
        | "buck2" | "scons" | "jest" | "vitest" | "mocha" | "playwright" | "cypress"
        | "phpunit" | "rspec" | "tsx" | "ts-node" => true,
        "cargo" => !matches!(
            first,
            "fmt" | "tree" | "metadata" | "search" | "locate-project" | "pkgid" | "version"
        ),
        "go" => matches!(first, "test" | "build" | "run" | "generate" | "install"),
        "dotnet" => matches!(first, "test" | "build" | "run" | "publish" | "pack"),
        "mix" => matches!(first, "test" | "compile" | "run" | "deps.compile"),
        "swift" => matches!(first, "build" | "test" | "run"),
        "deno" => matches!(first, "test" | "run" | "task" | "bench"),
        // Configuring runs the project's CMakeLists.txt (`execute_process`), building
        // its rules; `-E` is cmake's own command mode.
        "cmake" => !args
            .iter()
            .any(|a| matches!(a.as_str(), "-E" | "--version" | "--help" | "-h")),
        // The hooks a project's .pre-commit-config.yaml names.
        "pre-commit" => matches!(first, "run" | "try-repo" | "install-hooks"),
        // The stages of dvc.yaml, which are the project's commands.
        "dvc" => matches!(first, "repro" | "run" | "exp" | "experiments"),
        // `.envrc`, which direnv runs as a shell script.
        "direnv" => matches!(first, "exec" | "reload" | "export"),
        // A playbook's tasks, local ones included, even under `--check`
        // (`check_mode: false`).
        "ansible-playbook" => true,
        "bundle" => first == "exec",
        "python" | "python3" => args.windows(2).any(|w| {
            w.first().is_some_and(|a| a == "-m")
                && w.get(1)
                    .is_some_and(|m| matches!(m.as_str(), "pytest" | "unittest" | "tox" | "nox"))
        }),
        _ => false,
    }
}

/// Words as a command line: each as it is best known, joined by spaces.
fn joined(words: &[Expanded]) -> String {
    words
        .iter()
        .map(Expanded::best)
        .collect::<Vec<_>>()
        .join(" ")
}

fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

fn verb_for(risk: Risk) -> Verb {
    match risk {
        Risk::Read => Verb::Read,
        Risk::Workspace | Risk::Change => Verb::Write,
        Risk::Destroy => Verb::Delete,
    }
}

/// Index of the first positional argument in `args`, skipping flags and the values of
/// `value_flags`, and `skip` positionals before it.
fn command_start(args: &[String], value_flags: &[&str], mut skip: usize) -> Option<usize> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "--" {
            return (skip == 0).then_some(i + 1).filter(|&at| at < args.len());
        }
        if arg.starts_with('-') && arg.len() > 1 {
            i += if value_flags.contains(&arg.as_str()) {
                2
            } else {
                1
            };
            continue;
        }
        if skip == 0 {
            return Some(i);
        }
        skip -= 1;
        i += 1;
    }
    None
}

/// The value of the first of `flags` in `args`: `-c VALUE`, `-cVALUE`, `--flag=VALUE`.
fn flag_value<'s>(args: &'s [String], flags: &[&str]) -> Option<&'s str> {
    flag_values(args, flags).next()
}

/// The value of each of `flags` in `args`, in order, up to `--`: `-c VALUE`,
/// `-cVALUE`, `--flag=VALUE`.
fn flag_values<'s>(args: &'s [String], flags: &[&str]) -> impl Iterator<Item = &'s str> {
    let mut iter = args.iter();
    std::iter::from_fn(move || {
        while let Some(arg) = iter.next() {
            if arg == "--" {
                return None;
            }
            for flag in flags {
                if arg == flag {
                    return iter.next().map(String::as_str);
                }
                if let Some(rest) = arg.strip_prefix(flag) {
                    if flag.starts_with("--") {
                        if let Some(value) = rest.strip_prefix('=') {
                            return Some(value);
                        }
                    } else if !rest.is_empty() && flag.len() == 2 {
                        return Some(rest);
                    }
                }
            }
        }
        None
    })
}

impl<'a> Walker<'a> {
    fn new(ctx: &'a AnalysisContext, files: &'a dyn Files) -> Self {
        Walker {
            ctx,
            files,
            options: ParserOptions::default(),
            effects: Vec::new(),
            location: Location::Local(Some(paths::normalise("/", &ctx.cwd))),
            vars: HashMap::new(),
            functions: HashSet::new(),
            virtualenv: false,
            arrays: HashMap::new(),
            aliases: HashMap::new(),
            function_bodies: HashMap::new(),
            definitions: 0,
            calling: Vec::new(),
            steps: 0,
            links: Vec::new(),
            written: HashMap::new(),
            planted_judged: HashSet::new(),
            changed: HashSet::new(),
            stdout_targets: Vec::new(),
            spaced_parens: false,
            posix_parens: false,
            nesting: Nesting::default(),
            git_planted: Vec::new(),
            unanalysable_reason: None,
            secret_reads: 0,
            pipe_secret: false,
            redirect_secret: false,
            args_secret: false,
            staged_secret: false,
            programs: HashMap::new(),
            path_prefix: Vec::new(),
            identified: false,
            gate_open: false,
            gate: None,
        }
    }

    fn parse(&mut self, script: &str) -> Result<Program, NotParsed> {
        // The parser's time doubles with each parenthesis left open (it tries every way
        // to close them before it fails): text with many is refused before it is tried.
        let unclosed = unclosed_parens(script);
        if unclosed > MAX_UNCLOSED_PARENS {
            return Err(NotParsed::Unclosed(unclosed));
        }
        self.spaced_parens |= has_spaced_parens(script);
        let mut parser = Parser::new(std::io::Cursor::new(script), &self.options);
        parser.parse_program().map_err(NotParsed::Parser)
    }

    fn push(&mut self, effect: Effect) {
        if !self.effects.contains(&effect) {
            self.effects.push(effect);
        }
    }

    /// Counts one step of the walk (a command, a list item, a loop's turn); `false` once
    /// the budget is spent, when nothing more is walked.
    fn step(&mut self) -> bool {
        if self.steps > MAX_STEPS {
            return false;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.cannot_analyse(format!(
                "the command runs more than {MAX_STEPS} commands through functions and loops: too many to analyse"
            ));
            return false;
        }
        true
    }

    /// Part of what runs cannot be seen (a budget ran out, or the code is encoded or
    /// downloaded): it is opaque, and the whole action unanalysable.
    fn cannot_analyse(&mut self, reason: String) {
        self.push(Effect::opaque("input", Risk::Change, reason.clone()));
        self.unanalysable_reason.get_or_insert(reason);
    }

    /// Analyses a command line found inside another one (`bash -c`, `eval`, `ssh`).
    fn nested(&mut self, script: &str, what: &str, stdin: Stream) {
        let inner = match self.nesting.enter_shell(script) {
            Ok(inner) => inner,
            Err(too_deep) => {
                self.cannot_analyse(format!("{what} {}", too_deep.reason()));
                return;
            }
        };
        match self.parse(script) {
            Ok(program) => {
                let outer = std::mem::replace(&mut self.nesting, inner);
                let saved = self.location.clone();
                let posix_parens = std::mem::replace(&mut self.posix_parens, true);
                self.program_with_stdin(&program, stdin);
                self.posix_parens = posix_parens;
                self.location = saved;
                self.nesting = outer;
            }
            Err(error) => self.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} runs a command that does not parse ({error})"),
            )),
        }
    }

    /// Analyses a command line in another place (a remote host, a container).
    fn remote(&mut self, script: &str, host: &str, what: &str) {
        self.remote_with_input(script, host, what, Stream::Terminal);
    }

    /// Analyses a command line run elsewhere that reads `stdin` (`ssh host bash -s <<EOF`).
    fn remote_with_input(&mut self, script: &str, host: &str, what: &str, stdin: Stream) {
        let saved = std::mem::replace(&mut self.location, Location::Remote(host.to_owned()));
        let before = self.effects.len();
        self.nested(script, what, stdin);
        self.location = saved;
        for effect in self.effects.iter_mut().skip(before) {
            if !effect.summary.contains(host) {
                effect.summary = format!("on `{host}`: {}", effect.summary);
            }
        }
    }

    fn program(&mut self, program: &Program) {
        self.program_with_stdin(program, Stream::Terminal);
    }

    fn program_with_stdin(&mut self, program: &Program, stdin: Stream) {
        for list in &program.complete_commands {
            self.list(list, &stdin);
        }
    }

    fn list(&mut self, list: &CompoundList, stdin: &Stream) {
        for item in &list.0 {
            if !self.step() {
                return;
            }
            let and_or = &item.0;
            self.pipeline(&and_or.first, stdin);
            // `true || cmd` and `false && cmd` never run `cmd`.
            let mut status = constant_status(&and_or.first);
            for next in &and_or.additional {
                let (pipeline, skipped) = match next {
                    brush_parser::ast::AndOr::And(p) => (p, status == Some(false)),
                    brush_parser::ast::AndOr::Or(p) => (p, status == Some(true)),
                };
                if !skipped {
                    self.pipeline(pipeline, stdin);
                    status = constant_status(pipeline);
                }
            }
        }
    }

    fn pipeline(&mut self, pipeline: &Pipeline, stdin: &Stream) {
        let several = pipeline.seq.len() > 1;
        let saved = self.location.clone();
        let mut input = stdin.clone();
        // Credentials read by one stage flow through the pipe to every later one.
        let inherited = self.pipe_secret;
        let mut carried = inherited;
        for command in &pipeline.seq {
            self.pipe_secret = carried;
            let before = self.secret_reads;
            input = self.command(command, input);
            carried |= self.secret_reads != before;
        }
        self.pipe_secret = inherited;
        if several {
            self.location = saved;
        }
    }

    fn command(&mut self, command: &Command, stdin: Stream) -> Stream {
        match command {
            Command::Simple(simple) => self.simple(simple, stdin),
            Command::Compound(compound, redirects) => {
                let mut stdin = stdin;
                if let Some(redirects) = redirects {
                    for redirect in &redirects.0 {
                        if let Some(input) = self.redirect(redirect) {
                            stdin = input;
                        }
                    }
                }
                self.compound(compound, &stdin);
                Stream::Unknown
            }
            Command::Function(definition) => {
                let name = definition.fname.value.clone();
                if forks_itself(&name, &definition.body.0) {
                    self.push(Effect::new(Verb::Execute, ObjectKind::Host, &name, Risk::Destroy, format!("function `{name}` starts copies of itself until the machine runs out of processes")));
                }
                self.functions.insert(name.clone());
                self.definitions += 1;
                let body = Rc::new(definition.body.0.clone());
                self.function_bodies
                    .insert(name.clone(), (self.definitions, Rc::clone(&body)));
                // bash and zsh run this one for any command they do not find, which a
                // name analysis does not know may be: it is walked as if it runs.
                if matches!(
                    name.as_str(),
                    "command_not_found_handle" | "command_not_found_handler"
                ) {
                    match self.nesting.deeper() {
                        Ok(inner) => {
                            let outer = std::mem::replace(&mut self.nesting, inner);
                            self.compound(&body, &Stream::Terminal);
                            self.nesting = outer;
                        }
                        Err(_) => self.cannot_analyse(format!(
                            "function `{name}` is nested too deeply to analyse"
                        )),
                    }
                }
                Stream::Unknown
            }
            Command::ExtendedTest(test, _) => {
                self.extended_test(&test.expr);
                Stream::Unknown
            }
        }
    }

    fn compound(&mut self, compound: &CompoundCommand, stdin: &Stream) {
        match compound {
            CompoundCommand::BraceGroup(group) => self.list(&group.list, stdin),
            CompoundCommand::Subshell(subshell) => {
                let saved = self.location.clone();
                self.list(&subshell.list, stdin);
                self.location = saved;
            }
            CompoundCommand::ForClause(clause) => {
                let mut loop_values: Vec<String> = Vec::new();
                let mut all_known = true;
                for value in clause.values.iter().flatten() {
                    let expanded = self.expand(&value.value);
                    match (&expanded.fields, &expanded.value) {
                        (Some(fields), _) => loop_values.extend(fields.iter().cloned()),
                        (None, Some(known)) if !expanded.glob => loop_values.push(known.clone()),
                        _ => all_known = false,
                    }
                }
                // With a few known values, the body is walked once for each, so that
                // every target is named; otherwise the variable is unknown.
                if all_known && !loop_values.is_empty() && loop_values.len() <= 16 {
                    for value in loop_values {
                        if !self.step() {
                            break;
                        }
                        self.vars.insert(clause.variable_name.clone(), value);
                        self.list(&clause.body.list, stdin);
                    }
                } else {
                    self.vars.remove(&clause.variable_name);
                    self.list(&clause.body.list, stdin);
                }
            }
            CompoundCommand::ArithmeticForClause(clause) => {
                for expr in [&clause.initializer, &clause.condition, &clause.updater]
                    .into_iter()
                    .flatten()
                {
                    self.arithmetic(&expr.value);
                }
                self.list(&clause.body.list, stdin);
            }
            CompoundCommand::CaseClause(clause) => {
                self.expand(&clause.value.value);
                for item in &clause.cases {
                    if let Some(cmd) = &item.cmd {
                        self.list(cmd, stdin);
                    }
                }
            }
            CompoundCommand::IfClause(clause) => {
                self.list(&clause.condition, stdin);
                // `if false; then …` never runs its body.
                let condition = match clause.condition.0.as_slice() {
                    [item] if item.0.additional.is_empty() => constant_status(&item.0.first),
                    _ => None,
                };
                if condition == Some(true) {
                    self.list(&clause.then, stdin);
                    return;
                }
                if condition != Some(false) {
                    self.list(&clause.then, stdin);
                }
                for ElseClause { condition, body } in clause.elses.iter().flatten() {
                    if let Some(condition) = condition {
                        self.list(condition, stdin);
                    }
                    self.list(body, stdin);
                }
            }
            CompoundCommand::WhileClause(clause) | CompoundCommand::UntilClause(clause) => {
                self.list(&clause.0, stdin);
                self.list(&clause.1.list, stdin);
            }
            CompoundCommand::Coprocess(coprocess) => {
                self.command(&coprocess.body, stdin.clone());
            }
            CompoundCommand::Arithmetic(arithmetic) => {
                // bash runs `( ( cmd ) )` as nested subshells, while the parser takes it for
                // arithmetic; where the text has that shape, the inside is walked as commands.
                let inner = arithmetic.expr.value.clone();
                if self.spaced_parens || self.posix_parens {
                    self.nested(&inner, "a nested subshell", stdin.clone());
                }
                if !self.spaced_parens {
                    self.arithmetic(&inner);
                }
            }
        }
    }

    /// Expands a word and analyses the command substitutions inside it, which run.
    fn expand(&mut self, raw: &str) -> Expanded {
        let scope = words::Scope {
            home: self.ctx.home.as_deref(),
            cwd: match &self.location {
                Location::Local(Some(dir)) => dir,
                _ => &self.ctx.cwd,
            },
            holdpoint_home: self.ctx.holdpoint_home.as_deref(),
            vars: &self.vars,
            arrays: &self.arrays,
            substitute: &|script| static_output(self.ctx, self.files, script),
        };
        let expanded = words::expand(raw, &scope, &self.options);
        for script in &expanded.substitutions {
            self.nested(script, "a command substitution", Stream::Terminal);
        }
        if expanded.unreadable {
            self.cannot_analyse(format!(
                "`{raw}` uses expansion syntax holdpoint cannot read, which may run commands"
            ));
        }
        expanded
    }

    /// Analyses the command substitutions an arithmetic expression runs.
    fn arithmetic(&mut self, expr: &str) {
        let mut scripts = Vec::new();
        {
            let scope = words::Scope {
                home: self.ctx.home.as_deref(),
                cwd: &self.ctx.cwd,
                holdpoint_home: self.ctx.holdpoint_home.as_deref(),
                vars: &self.vars,
                arrays: &self.arrays,
                substitute: &|_| None,
            };
            words::arithmetic_substitutions(expr, &scope, &self.options, &mut scripts, 0);
        }
        for script in scripts {
            self.nested(
                &script,
                "a command substitution in arithmetic",
                Stream::Terminal,
            );
        }
    }

    /// Walks the words of a `[[ … ]]` test, whose expansions run.
    fn extended_test(&mut self, expr: &brush_parser::ast::ExtendedTestExpr) {
        use brush_parser::ast::ExtendedTestExpr as Test;
        match expr {
            Test::And(left, right) | Test::Or(left, right) => {
                self.extended_test(left);
                self.extended_test(right);
            }
            Test::Not(inner) | Test::Parenthesized(inner) => self.extended_test(inner),
            Test::UnaryTest(_, word) => {
                self.expand(&word.value);
            }
            Test::BinaryTest(_, left, right) => {
                self.expand(&left.value);
                self.expand(&right.value);
            }
        }
    }

    fn simple(&mut self, simple: &SimpleCommand, stdin: Stream) -> Stream {
        // A command's siblings share the standard input it was given: what its own
        // redirections and arguments carry ends with it.
        let outer = (self.redirect_secret, self.args_secret);
        let output = self.simple_command(simple, stdin);
        (self.redirect_secret, self.args_secret) = outer;
        output
    }

    fn simple_command(&mut self, simple: &SimpleCommand, stdin: Stream) -> Stream {
        let secret_reads_before = self.secret_reads;
        let mut argv: Vec<Expanded> = Vec::new();
        let mut redirects: Vec<&IoRedirect> = Vec::new();
        let mut assignments: Vec<(String, Expanded)> = Vec::new();

        let prefix = simple.prefix.iter().flat_map(|p| p.0.iter());
        for item in prefix {
            match item {
                CommandPrefixOrSuffixItem::AssignmentWord(assignment, word) => {
                    // An array subscript is arithmetic: `a[$(cmd)]=1` runs `cmd`.
                    if let brush_parser::ast::AssignmentName::ArrayElementName(_, index) =
                        &assignment.name
                    {
                        self.arithmetic(&index.clone());
                    }
                    let value = match &assignment.value {
                        brush_parser::ast::AssignmentValue::Scalar(value) => {
                            self.expand(&value.value)
                        }
                        brush_parser::ast::AssignmentValue::Array(elements) => {
                            let mut known = Vec::new();
                            let mut all_known = true;
                            for (_, element) in elements {
                                let expanded = self.expand(&element.value);
                                match (&expanded.fields, &expanded.value) {
                                    (Some(fields), _) => known.extend(fields.iter().cloned()),
                                    (None, Some(value)) if !expanded.glob => {
                                        known.push(value.clone())
                                    }
                                    _ => all_known = false,
                                }
                            }
                            if let brush_parser::ast::AssignmentName::VariableName(name) =
                                &assignment.name
                            {
                                if all_known {
                                    self.arrays.insert(name.clone(), known);
                                } else {
                                    self.arrays.remove(name);
                                }
                            }
                            self.expand(&word.value)
                        }
                    };
                    if let brush_parser::ast::AssignmentName::VariableName(name) = &assignment.name
                    {
                        if name == "PATH"
                            && let brush_parser::ast::AssignmentValue::Scalar(raw) =
                                &assignment.value
                        {
                            self.note_path(&raw.value);
                        }
                        assignments.push((name.clone(), value));
                    }
                }
                CommandPrefixOrSuffixItem::IoRedirect(redirect) => redirects.push(redirect),
                CommandPrefixOrSuffixItem::Word(word) => {
                    let expanded = self.expand(&word.value);
                    push_fields(&mut argv, expanded);
                }
                CommandPrefixOrSuffixItem::ProcessSubstitution(_, subshell) => {
                    let saved = self.location.clone();
                    self.list(&subshell.list, &Stream::Terminal);
                    self.location = saved;
                }
            }
        }
        if let Some(name) = &simple.word_or_name {
            let expanded = self.expand(&name.value);
            push_fields(&mut argv, expanded);
        }
        for item in simple.suffix.iter().flat_map(|s| s.0.iter()) {
            match item {
                CommandPrefixOrSuffixItem::IoRedirect(redirect) => redirects.push(redirect),
                CommandPrefixOrSuffixItem::Word(word)
                | CommandPrefixOrSuffixItem::AssignmentWord(_, word) => {
                    let expanded = self.expand(&word.value);
                    push_fields(&mut argv, expanded);
                }
                CommandPrefixOrSuffixItem::ProcessSubstitution(_, subshell) => {
                    let saved = self.location.clone();
                    self.list(&subshell.list, &Stream::Terminal);
                    self.location = saved;
                    argv.push(Expanded {
                        text: "/dev/fd/63".to_owned(),
                        ..Expanded::default()
                    });
                }
            }
        }

        // A command substitution in the words that read a credential put it there.
        let args_secret = self.secret_reads != secret_reads_before;
        let mut stdin = stdin;
        self.stdout_targets.clear();
        for redirect in redirects {
            if let Some(input) = self.redirect(redirect) {
                stdin = input;
            }
        }

        // Pointing holdpoint's own variables elsewhere moves its state, policies or
        // environment out from under it.
        for (name, value) in &assignments {
            if name.starts_with("HOLDPOINT_") {
                self.push(Effect::self_protection(
                    ObjectKind::Holdpoint,
                    name,
                    format!("sets `{name}={}`, which redirects holdpoint", value.best()),
                ));
            }
        }
        let bare_assignment = argv.is_empty();
        // Variables that make later programs run code or go elsewhere.
        for (name, value) in &assignments {
            self.environment(name, value);
        }
        for (name, value) in assignments {
            match value.value {
                // A value built to grow without end (`x=$x$x` again and again) stops
                // being followed past this size.
                Some(known) if !value.glob && known.len() <= MAX_VALUE => {
                    self.vars.insert(name, known);
                }
                _ => {
                    self.vars.remove(&name);
                }
            }
        }
        if bare_assignment {
            return Stream::Unknown;
        }
        let invocation = Invocation { argv, stdin };
        let producer = invocation.display();
        let targets = std::mem::take(&mut self.stdout_targets);
        // `cat FILE > COPY` copies FILE: a program copied so is still that program.
        let copied = match invocation.argv.as_slice() {
            [name, file]
                if basename(name.best()) == "cat"
                    && file.value.as_deref().is_some_and(|f| !f.starts_with('-')) =>
            {
                file.value.as_deref().and_then(|f| self.absolute_of(f))
            }
            _ => None,
        };
        self.args_secret = args_secret;
        let output = self.invoke(invocation);
        if let Some(source) = copied {
            for (target, truncates, _) in &targets {
                if *truncates {
                    let made = self.made_from(&source);
                    self.programs.insert(target.clone(), made);
                }
            }
        }
        if let Stream::Text(text) = &output {
            for (target, truncates, before) in targets {
                // Settings for holdpoint's variables written into a shell's start-up file
                // take effect in every later shell.
                if text.contains("HOLDPOINT_") {
                    self.push(Effect::self_protection(
                        ObjectKind::Holdpoint,
                        &target,
                        format!("writes holdpoint's variables into `{target}`"),
                    ));
                }
                match paths::startup_file(&target) {
                    Some(paths::Startup::Shell) => {
                        let what = format!("`{target}`, which every later shell runs");
                        self.nested(text, &what, Stream::Terminal);
                    }
                    Some(paths::Startup::Python) => {
                        let what = format!("`{target}`, which every later Python runs");
                        self.code(text, Language::Python, &what);
                    }
                    None => {}
                }
                if truncates {
                    self.written.insert(target, text.clone());
                } else if let Some(before) = before {
                    // Appending known text to known text: the file is both.
                    self.written.insert(target, format!("{before}\n{text}"));
                }
            }
        }
        match output {
            Stream::Unknown => Stream::Generated(producer),
            other => other,
        }
    }

    /// Records the effect of a redirection and returns the input it provides, if any.
    fn redirect(&mut self, redirect: &IoRedirect) -> Option<Stream> {
        match redirect {
            IoRedirect::File(fd, kind, target) => {
                let word = match target {
                    IoFileRedirectTarget::Filename(word) => word,
                    IoFileRedirectTarget::ProcessSubstitution(_, subshell) => {
                        let saved = self.location.clone();
                        self.list(&subshell.list, &Stream::Terminal);
                        self.location = saved;
                        return None;
                    }
                    IoFileRedirectTarget::Fd(_) | IoFileRedirectTarget::Duplicate(_) => {
                        return None;
                    }
                };
                let path = self.expand(&word.value);
                match kind {
                    IoFileRedirectKind::Read => {
                        let secret = self.input_redirect(&path);
                        if fd.is_some_and(|fd| fd != 0) {
                            return None;
                        }
                        // Standard input is this file now, whatever it was.
                        self.redirect_secret = secret;
                        // `< /dev/null`: the command reads nothing.
                        if path.value.as_deref() == Some("/dev/null") {
                            return Some(Stream::Text(String::new()));
                        }
                        return Some(self.file_stream(&path));
                    }
                    IoFileRedirectKind::Write
                    | IoFileRedirectKind::Clobber
                    | IoFileRedirectKind::ReadAndWrite => {
                        if let (None | Some(1), Some(value), Location::Local(Some(dir))) =
                            (fd, &path.value, &self.location)
                        {
                            self.stdout_targets
                                .push((paths::normalise(dir, value), true, None));
                        }
                        self.write_path(&path, WriteKind::Truncate, "`>` redirection");
                    }
                    IoFileRedirectKind::Append => {
                        if let (None | Some(1), Some(value), Location::Local(Some(dir))) =
                            (fd, &path.value, &self.location)
                        {
                            let target = paths::normalise(dir, value);
                            // What the file holds before: known text written earlier on
                            // the line, what is on disk, or nothing for a file that is not
                            // there.
                            let before = self.read_file(&target).or_else(|| {
                                let (parent, name) = target.rsplit_once('/')?;
                                let parent = if parent.is_empty() { "/" } else { parent };
                                let absent = self
                                    .files
                                    .entries(parent)
                                    .is_some_and(|names| !names.iter().any(|n| n == name));
                                (absent && !self.changed.contains(&target)).then(String::new)
                            });
                            self.stdout_targets.push((target, false, before));
                        }
                        self.write_path(&path, WriteKind::Append, "`>>` redirection")
                    }
                    IoFileRedirectKind::DuplicateInput | IoFileRedirectKind::DuplicateOutput => {}
                }
                None
            }
            IoRedirect::OutputAndError(word, append) => {
                let path = self.expand(&word.value);
                let kind = if *append {
                    WriteKind::Append
                } else {
                    WriteKind::Truncate
                };
                self.write_path(&path, kind, "`&>` redirection");
                None
            }
            IoRedirect::HereDocument(fd, doc) => {
                if fd.is_some_and(|fd| fd != 0) {
                    return None;
                }
                if doc.requires_expansion {
                    for script in heredoc_substitutions(&doc.doc.value) {
                        self.nested(&script, "a command substitution", Stream::Terminal);
                    }
                }
                Some(Stream::Text(doc.doc.value.clone()))
            }
            IoRedirect::HereString(fd, word) => {
                if fd.is_some_and(|fd| fd != 0) {
                    return None;
                }
                let value = self.expand(&word.value);
                Some(Stream::Text(value.best().to_owned()))
            }
        }
    }

    /// The text of a file read as input, if it can be known.
    fn file_stream(&self, path: &Expanded) -> Stream {
        match path.value.as_deref().and_then(|p| self.read_file(p)) {
            Some(text) => Stream::Text(text),
            None => Stream::Unknown,
        }
    }

    fn read_file(&self, path: &str) -> Option<String> {
        match &self.location {
            Location::Local(Some(dir)) => {
                let absolute = paths::normalise(dir, path);
                if let Some(text) = self.written.get(&absolute) {
                    return Some(text.clone());
                }
                if self.changed.contains(&absolute) {
                    return None;
                }
                self.files.read(&absolute)
            }
            _ => None,
        }
    }

    /// What a container tool writes on this machine where its `-o`/`--output` says:
    /// `docker build -o DIR` (or `--output type=local|tar,dest=PATH`) exports the
    /// build's result there, `docker save -o FILE` and `docker export -o FILE` write the
    /// image or the container's files to FILE.
    fn container_outputs(&mut self, base: &str, args: &[String]) {
        if !matches!(base, "docker" | "podman" | "nerdctl" | "buildah") {
            return;
        }
        let words: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
            .take(2)
            .collect();
        let kind = match words.as_slice() {
            ["build" | "bud", ..] | ["buildx" | "builder" | "image", "build"] => WriteKind::Modify,
            ["save" | "export", ..] | ["image", "save"] | ["container", "export"] => {
                WriteKind::Truncate
            }
            _ => return,
        };
        let how = format!("`{base} {}`", words.join(" "));
        for value in flag_values(args, &["-o", "--output"]) {
            // `type=local,dest=PATH`, `dest=PATH`, or a path (`-o=PATH` too); `-` is
            // standard output.
            let value = value.trim_start_matches('=');
            let target = if value.contains('=') {
                value
                    .split(',')
                    .find_map(|part| part.strip_prefix("dest="))
                    .map(str::to_owned)
            } else {
                Some(value.to_owned())
            };
            match target {
                Some(path) if path == "-" => {}
                Some(path) => self.write_path(&Expanded::literal(&path), kind, &how),
                // An exporter that names no place on this machine (a registry, an image).
                None => {}
            }
        }
    }

    /// Reads the files a command takes its instructions from (`kubectl apply -f`, `helm
    /// --values`, `terraform -var-file`, `xargs -a`, `curl -d @file`…). Every file
    /// analysis reads is bound to the action's digest, so an approval covers the
    /// manifest the human saw: edited afterwards, the same command is a new action.
    fn bind_inputs(&mut self, base: &str, args: &[String]) {
        let flags: &[&str] = match base {
            "kubectl" | "oc" | "kubecolor" | "k" => &[
                "-f",
                "--filename",
                "-k",
                "--kustomize",
                "--from-file",
                "--from-env-file",
                "--env-file",
            ],
            "helm" => &["-f", "--values", "--set-file"],
            "terraform" | "tofu" | "terragrunt" => &["-var-file", "--var-file"],
            "xargs" => &["-a", "--arg-file"],
            "docker" | "podman" | "nerdctl" | "docker-compose" => &["-f", "--file", "--env-file"],
            "ansible-playbook" | "ansible" => &["-i", "--inventory", "-e", "--extra-vars"],
            "aws" => &["--cli-input-json", "--cli-input-yaml"],
            "gcloud" => &["--flags-file"],
            "curl" => &[
                "-d",
                "--data",
                "--data-binary",
                "--data-raw",
                "-T",
                "--upload-file",
                "-K",
                "--config",
            ],
            "kustomize" | "skaffold" | "kompose" | "argocd" | "flux" | "kapp" => {
                &["-f", "--filename", "--file"]
            }
            _ => return,
        };
        let mut files = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let value = flags.iter().find_map(|flag| {
                if arg == flag {
                    args.get(i + 1).map(String::as_str)
                } else {
                    arg.strip_prefix(flag)
                        .and_then(|rest| rest.strip_prefix('='))
                }
            });
            if let Some(value) = value {
                let path = value
                    .strip_prefix('@')
                    .or_else(|| value.strip_prefix("file://"))
                    .or_else(|| value.strip_prefix("fileb://"))
                    .unwrap_or(value);
                if !path.is_empty() && path != "-" {
                    files.push(path.to_owned());
                }
            }
        }
        for file in files.iter().take(16) {
            // Read for its content hash; a directory or an unreadable file is not bound.
            let _ = self.read_file(file);
        }
    }

    fn zone(&self, path: &Expanded) -> Zone {
        self.zone_reaching(path, Reach::One)
    }

    /// The zone of a path word for an operation that reaches `reach` of it: through
    /// symbolic links made on the line or already on disk, and for a glob, the strictest
    /// of what it could match and of what it matches on disk.
    fn zone_reaching(&self, path: &Expanded, reach: Reach) -> Zone {
        let Some(value) = path.value.as_deref() else {
            let unknown = paths::zone_reaching(None, &path.text, &self.location, self.ctx, reach);
            // A name decoded on the same line is judged by what it decodes to as well.
            return match &path.decoded {
                Some(decoded) => paths::stricter(
                    unknown,
                    self.zone_reaching(&Expanded::literal(decoded), reach),
                ),
                None => unknown,
            };
        };
        if path.found {
            return self.found_zone(value);
        }
        let Some(absolute) = self.absolute_of(value) else {
            return paths::zone_reaching(Some(value), &path.text, &self.location, self.ctx, reach);
        };
        // A path through a symbolic link made earlier in the same command line lies where
        // the link points. `rm -rf link` removes only the link; `rm -rf link/` follows it.
        let linked = self.through_links(&absolute, value.ends_with('/'));
        if linked != absolute {
            return paths::zone_reaching(Some(&linked), &linked, &self.location, self.ctx, reach);
        }
        // A path through a symbolic link that already exists lies where the link points;
        // it is judged by the stricter of the two places.
        let mut zone =
            paths::zone_reaching(Some(value), &path.text, &self.location, self.ctx, reach);
        let mut places = Vec::new();
        if let Some(real) = self.files.real_path(&absolute)
            && real != absolute
        {
            places.push(real);
        }
        if crate::pattern::has_glob(&absolute)
            && let Some(matches) = paths::expand_glob(self.files, &absolute)
        {
            for found in matches {
                if let Some(real) = self.files.real_path(&found)
                    && real != found
                {
                    places.push(real);
                }
                places.push(found);
            }
        }
        for place in places {
            zone = paths::stricter(
                zone,
                paths::zone_reaching(Some(&place), &place, &self.location, self.ctx, reach),
            );
        }
        zone
    }

    /// The zone of what `find` finds below a directory (`value` is the directory and the
    /// `-name` pattern): the pattern as a path in the directory, and anything deeper that
    /// is holdpoint's or hook settings.
    fn found_zone(&self, value: &str) -> Zone {
        let (root, name) = value.rsplit_once('/').unwrap_or(("", value));
        let root = if root.is_empty() { "/" } else { root };
        // Without a name, what is found is filtered by other tests: it is some of what is
        // below, not all of it.
        let one = if name == "*" {
            format!("{root}/found")
        } else {
            value.to_owned()
        };
        let mut zone = paths::zone(Some(&one), &one, &self.location, self.ctx);
        let Some(root) = self.absolute_of(root) else {
            return zone;
        };
        let root = self.through_links(&root, true);
        let found = paths::Found { root: &root, name };
        if found.reaches_holdpoint(self.ctx, self.files) {
            return Zone::Protected(ObjectKind::Holdpoint);
        }
        if found.reaches_hooks(self.ctx) {
            return Zone::Protected(ObjectKind::HookSettings);
        }
        let workspace = paths::normalise("/", self.ctx.workspace());
        if root == workspace && name != "*" && crate::pattern::name_match(name, ".git") {
            zone = paths::stricter(zone, Zone::WholeWorkspace);
        }
        zone
    }

    fn in_workspace(&self) -> bool {
        match &self.location {
            Location::Local(Some(dir)) => {
                let here = Expanded::literal(dir);
                matches!(
                    self.zone(&here),
                    Zone::Workspace | Zone::WholeWorkspace | Zone::Temp
                )
            }
            _ => false,
        }
    }

    /// Records a write to a path by a redirection or a file-writing command.
    fn write_path(&mut self, path: &Expanded, kind: WriteKind, how: &str) {
        self.write_path_reaching(path, kind, how, Reach::One);
    }

    /// Records a write to a path, or to the whole tree below it (`chmod -R`).
    fn write_path_reaching(&mut self, path: &Expanded, kind: WriteKind, how: &str, reach: Reach) {
        // Opening a file to write it follows a symbolic link: one the line made to
        // another place writes that place as well.
        if let Some(target) = path
            .value
            .as_deref()
            .and_then(|value| self.absolute_of(value))
            .and_then(|absolute| self.link_target(&absolute))
        {
            let through = format!("{how} (through the link `{}`)", path.best());
            self.write_resolved(&Expanded::literal(&target), kind, &through, reach);
        }
        self.write_resolved(path, kind, how, reach);
    }

    /// Where the symbolic links made earlier on the line lead `absolute`, the last one
    /// followed too, when that is elsewhere (a chain of links followed as far as eight).
    fn link_target(&self, absolute: &str) -> Option<String> {
        let mut at = absolute.to_owned();
        for _ in 0..8 {
            let next = self.through_links(&at, true);
            if next == at {
                break;
            }
            at = next;
        }
        (at != absolute).then_some(at)
    }

    /// Records a write to a path as it is named, links made on the line not followed
    /// past it.
    fn write_resolved(&mut self, path: &Expanded, kind: WriteKind, how: &str, reach: Reach) {
        let name = path.best().to_owned();
        // Whatever the file held before is no longer what a later command sees; a write
        // of known text records that text afterwards. Metadata leaves the text as it was.
        if let (Some(value), Location::Local(Some(dir)), false) =
            (&path.value, &self.location, kind == WriteKind::Metadata)
        {
            let absolute = paths::normalise(dir, value);
            self.written.remove(&absolute);
            self.programs.remove(&absolute);
            self.changed.insert(absolute);
        }
        // A file written under the name `holdpoint` can stand in for holdpoint on the PATH.
        if name.trim_end_matches('/').rsplit('/').next() == Some("holdpoint") {
            self.push(Effect::self_protection(
                ObjectKind::Holdpoint,
                &name,
                format!("{how} writes `{name}`, which would stand in for holdpoint"),
            ));
            return;
        }
        let effect = match self.zone_reaching(path, reach) {
            Zone::Harmless => return,
            Zone::Protected(object) => Effect::self_protection(
                object,
                &name,
                format!("{how} writes `{name}`, which protects holdpoint or holds what does"),
            ),
            Zone::Device => Effect::new(
                Verb::Write,
                ObjectKind::Device,
                &name,
                Risk::Destroy,
                format!("{how} overwrites device `{name}`"),
            ),
            Zone::Workspace | Zone::Temp => Effect::new(
                Verb::Write,
                ObjectKind::File,
                &name,
                Risk::Workspace,
                format!("{how} writes `{name}` in the workspace"),
            ),
            Zone::WholeWorkspace => Effect::new(
                Verb::Write,
                ObjectKind::File,
                &name,
                Risk::Workspace,
                format!("{how} writes `{name}` in the workspace"),
            ),
            Zone::Outside => match kind {
                WriteKind::Append => Effect::new(
                    Verb::Write,
                    ObjectKind::File,
                    &name,
                    Risk::Change,
                    format!("{how} appends to `{name}` outside the workspace"),
                ),
                WriteKind::Truncate if path.value.is_none() => Effect::opaque(
                    &name,
                    Risk::Change,
                    format!("{how} writes a file whose name is known only when it runs (`{name}`)"),
                ),
                WriteKind::Truncate => Effect::new(
                    Verb::Write,
                    ObjectKind::File,
                    &name,
                    Risk::Destroy,
                    format!("{how} truncates `{name}` outside the workspace"),
                ),
                WriteKind::Modify | WriteKind::Metadata => Effect::new(
                    Verb::Write,
                    ObjectKind::File,
                    &name,
                    Risk::Change,
                    format!("{how} modifies `{name}` outside the workspace"),
                ),
                WriteKind::Rewrite => Effect::new(
                    Verb::Write,
                    ObjectKind::File,
                    &name,
                    Risk::Destroy,
                    format!("{how} rewrites `{name}` outside the workspace, keeping no copy"),
                ),
            },
        };
        self.push(effect);
    }

    /// Records the deletion of a path.
    fn delete_path(&mut self, path: &Expanded, recursive: bool, how: &str) {
        let name = path.best().to_owned();
        let scope = if recursive || path.glob {
            Scope::All
        } else {
            Scope::One
        };
        let reach = if recursive { Reach::Tree } else { Reach::One };
        let effect = match self.zone_reaching(path, reach) {
            Zone::Harmless => return,
            Zone::Protected(object) => Effect::self_protection(
                object,
                &name,
                format!("{how} deletes `{name}`, which protects holdpoint or holds what does"),
            ),
            Zone::Workspace | Zone::Temp => Effect::new(
                Verb::Delete,
                ObjectKind::File,
                &name,
                Risk::Workspace,
                format!("{how} deletes `{name}` in the workspace"),
            ),
            Zone::WholeWorkspace => Effect::new(
                Verb::Delete,
                ObjectKind::Repository,
                &name,
                Risk::Destroy,
                format!("{how} deletes `{name}`: the whole workspace or its history"),
            ),
            Zone::Device => Effect::new(
                Verb::Delete,
                ObjectKind::Device,
                &name,
                Risk::Destroy,
                format!("{how} deletes device `{name}`"),
            ),
            Zone::Outside if path.value.is_none() => Effect::new(
                Verb::Delete,
                ObjectKind::File,
                &name,
                Risk::Destroy,
                format!("{how} deletes `{name}`, known only when it runs"),
            ),
            Zone::Outside => Effect::new(
                Verb::Delete,
                ObjectKind::File,
                &name,
                Risk::Destroy,
                format!("{how} deletes `{name}` outside the workspace"),
            ),
        };
        self.push(effect.with_scope(scope));
    }

    /// Records a risk from the command table or a handler, scaled to where it runs.
    fn tool_effect(&mut self, inv: &Invocation, object: ObjectKind, risk: Risk, what: &str) {
        let text = inv.display();
        // The table names secret stores and key-value services by what they hold; a read
        // of one is a credential read only where `reads.rs` knows it prints credentials.
        let object = if object == ObjectKind::Secret && risk == Risk::Read {
            ObjectKind::Service
        } else {
            object
        };
        let (risk, summary) = if risk == Risk::Workspace && !self.in_workspace() {
            (
                Risk::Change,
                format!("`{text}` {what}, outside the workspace"),
            )
        } else {
            (risk, format!("`{text}` {what}"))
        };
        let mut effect = Effect::new(verb_for(risk), object, text, risk, summary);
        effect.runs_project_code =
            risk == Risk::Workspace && runs_project_code(basename(inv.name()), &inv.arg_strings());
        self.push(effect);
    }

    fn unknown_command(&mut self, inv: &Invocation) {
        // Its arguments may still say what it destroys (`zfs destroy`, `--delete`).
        if self.destructive_arguments(inv, &inv.arg_strings(), tools::Verbs::Unknown) {
            return;
        }
        self.credential_to_network(inv.name(), inv, &inv.arg_strings(), ObjectKind::Command);
        let text = inv.display();
        let name = inv.name().to_owned();
        self.push(Effect::new(
            Verb::Execute,
            ObjectKind::Command,
            &text,
            Risk::Change,
            format!("`{text}` runs `{name}`, which holdpoint does not know"),
        ));
    }

    /// Runs the command named by `inv.argv[0]`, and records the program files it makes.
    fn invoke(&mut self, inv: Invocation) -> Stream {
        let made = self.programs_made(&inv);
        let before = self.effects.len();
        let stream = self.invoke_command(inv);
        self.programs.extend(made);
        let runs_something = self.effects.get(before..).is_some_and(|new| {
            new.iter().any(|e| {
                e.runs_project_code || (e.risk >= Risk::Change && e.object != ObjectKind::File)
            })
        });
        if runs_something && !self.written.is_empty() {
            self.planted_code();
        }
        stream
    }

    /// Code written earlier on the line, then left for a program to find: a `setup.py`
    /// before `pip install`, a compose file before `docker compose up`, a `.pth` file
    /// before python starts, a Rakefile before `rake`. Once the line runs something that
    /// can run it, what the text would destroy counts: its code where its language is
    /// known, and every command line it holds (a value, a quoted string, a line). Only
    /// what destroys or touches holdpoint is taken; the rest is the running command's own
    /// judgement.
    fn planted_code(&mut self) {
        let mut planted: Vec<(String, String)> = self
            .written
            .iter()
            .filter(|(path, _)| !self.planted_judged.contains(*path))
            .map(|(path, text)| (path.clone(), text.clone()))
            .collect();
        planted.sort();
        for (path, text) in planted {
            self.planted_judged.insert(path.clone());
            let what = format!("`{path}`, written on this line before a command that can run it");
            let before = self.effects.len();
            let reason = self.unanalysable_reason.clone();
            if let Some(language) = planted_language(&path) {
                self.code(&text, language, &what);
            }
            for candidate in planted_commands(&text) {
                let (found, _) = self.scratch_walk(&candidate);
                for effect in found {
                    self.push(effect);
                }
            }
            let new = self.effects.split_off(before.min(self.effects.len()));
            self.unanalysable_reason = reason;
            for mut effect in new {
                if (effect.risk == Risk::Destroy && !effect.opaque) || effect.self_protection {
                    effect.summary = format!("{} (in {what})", effect.summary);
                    self.push(effect);
                }
            }
        }
    }

    /// The effects of a command line walked on its own, at the current place, with
    /// nothing it does kept in this walk's state; and why part of it cannot be
    /// analysed, if so. Text that does not parse has no effects.
    fn scratch_walk(&self, command: &str) -> (Vec<Effect>, Option<String>) {
        let mut inner = Walker::new(self.ctx, self.files);
        inner.location = self.location.clone();
        inner.nesting = match self.nesting.enter_shell(command) {
            Ok(nesting) => nesting,
            Err(too_deep) => {
                let reason = format!("inline code runs a command that {}", too_deep.reason());
                return (
                    vec![Effect::opaque(command, Risk::Change, reason.clone())],
                    Some(reason),
                );
            }
        };
        match inner.parse(command) {
            Ok(program) => {
                inner.program(&program);
                (inner.effects, inner.unanalysable_reason)
            }
            Err(_) => (Vec::new(), None),
        }
    }

    fn invoke_command(&mut self, mut inv: Invocation) -> Stream {
        // Functions calling functions can multiply the work without bound; past a budget
        // the rest is opaque.
        if !self.step() {
            return Stream::Unknown;
        }
        // zsh's `=rm` is the path of `rm`: judged as the program it names.
        if let Some(first) = inv.argv.first_mut()
            && let Some(program) = first
                .value
                .as_deref()
                .and_then(|v| v.strip_prefix('='))
                .filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic()))
                .map(str::to_owned)
        {
            *first = Expanded::literal(&program);
        }
        let Some(first) = inv.argv.first() else {
            return Stream::Unknown;
        };
        let Some(name) = first.value.clone() else {
            // What runs is not known, so nothing can be said of what it does.
            let text = inv.display();
            self.cannot_analyse(format!(
                "`{text}`: the command name is known only when it runs"
            ));
            return Stream::Unknown;
        };
        let base = basename(&name).to_owned();
        let args = inv.arg_strings();
        self.reads(&inv, &base, &args);
        self.bind_inputs(&base, &args);
        self.container_outputs(&base, &args);

        if let Some((definition, body)) = self.function_bodies.get(&name).cloned() {
            // A function runs its body with the call's arguments as `$@`. A call to a
            // function already running adds nothing new, so recursion stops there; a
            // function its caller defined anew under the same name is new.
            // Regression: `f() { f() { rm -rf /x; }; f; }; f` was judged by the name
            // alone and the inner `rm` never walked.
            if self.calling.contains(&definition) {
                return Stream::Unknown;
            }
            let Ok(inner) = self.nesting.deeper() else {
                self.cannot_analyse(format!(
                    "function `{name}` calls functions too deeply to analyse"
                ));
                return Stream::Unknown;
            };
            let saved = self.arrays.insert("@".to_owned(), args.clone());
            let outer = std::mem::replace(&mut self.nesting, inner);
            self.calling.push(definition);
            self.compound(&body, &inv.stdin);
            self.calling.pop();
            self.nesting = outer;
            match saved {
                Some(previous) => self.arrays.insert("@".to_owned(), previous),
                None => self.arrays.remove("@"),
            };
            return Stream::Unknown;
        }
        if self.functions.contains(&name) {
            return Stream::Unknown;
        }
        if let Some(expansion) = self.aliases.get(&name).cloned() {
            let rest = inv
                .args()
                .iter()
                .map(|a| shell_quote(a.best()))
                .collect::<Vec<_>>()
                .join(" ");
            self.aliases.remove(&name);
            self.nested(
                &format!("{expansion} {rest}"),
                &format!("alias `{name}`"),
                inv.stdin.clone(),
            );
            self.aliases.insert(name, expansion);
            return Stream::Unknown;
        }
        // A program reached by a path the agent can write is what its content says.
        if let Some((path, identity)) = self.program_identity(&name)
            && let Some(stream) = self.run_identified(&inv, &path, identity)
        {
            return stream;
        }
        // `direnv exec DIR CMD` runs DIR/.envrc with bash first.
        if base == "direnv"
            && args.first().is_some_and(|a| a == "exec")
            && let Some(dir) = args.get(1).filter(|d| !d.starts_with('-'))
        {
            let envrc = format!("{}/.envrc", dir.trim_end_matches('/'));
            if self.changed_on_line(&envrc) {
                self.cannot_analyse(format!(
                    "`{}` runs `{envrc}`, which the line changed in a way analysis cannot follow",
                    inv.display()
                ));
            } else if let Some(text) = self.read_file(&envrc) {
                self.nested(
                    &text,
                    &format!("`{envrc}`, which direnv runs,"),
                    Stream::Terminal,
                );
            }
        }
        if let Some(stream) = self.wrapper(&base, &inv, &args) {
            return stream;
        }
        if let Some(driven) = terminal::driven(&base, &args) {
            self.drive(&base, &inv, &args, driven);
            return Stream::Unknown;
        }
        // `--help` and `--version` make a tool print and exit, whatever else is given;
        // programs that run other code are left to their handlers.
        let asks_for_help = args
            .iter()
            .take_while(|a| *a != "--")
            .any(|a| a == "--help" || a == "--version" || a == "-help");
        if asks_for_help && !RUNS_OTHER_CODE.contains(&base.as_str()) && !is_interpreter(&base) {
            self.tool_effect(&inv, ObjectKind::Command, Risk::Read, "only prints help");
            return Stream::Unknown;
        }
        match base.as_str() {
            "cd" | "pushd" => {
                let target = inv.args().iter().find(|a| !a.best().starts_with('-'));
                if self.cd_path(target) {
                    // `CDPATH` may find the directory elsewhere: where is not known.
                    self.location = Location::Local(None);
                } else {
                    self.change_directory(target);
                }
                Stream::Unknown
            }
            "export" | "declare" | "typeset" | "local" | "readonly" => {
                // `declare -n r=cmd`: `r` names the variable `cmd`, whatever it comes to hold.
                let nameref = base != "export"
                    && args
                        .iter()
                        .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('n'));
                for setting in args.iter().filter(|a| !a.starts_with('-')) {
                    let (name, value) = setting.split_once('=').unwrap_or((setting.as_str(), ""));
                    if nameref {
                        self.vars.remove(name);
                        continue;
                    }
                    if name.starts_with("HOLDPOINT_") && setting.contains('=') {
                        self.push(Effect::self_protection(
                            ObjectKind::Holdpoint,
                            name,
                            format!("sets `{setting}`, which redirects holdpoint"),
                        ));
                    }
                    if setting.contains('=') {
                        self.vars.insert(name.to_owned(), value.to_owned());
                    }
                    if name == "PATH" && setting.contains('=') {
                        self.note_path(value);
                    }
                }
                for word in inv.args() {
                    // `export NAME`: the value it already has goes to later programs.
                    if !word.text.contains('=') && !word.text.starts_with('-') {
                        let value = match self.vars.get(&word.text) {
                            Some(known) => Expanded::literal(known),
                            None => Expanded {
                                text: format!("${}", word.text),
                                ..Expanded::default()
                            },
                        };
                        self.environment(&word.text, &value);
                        continue;
                    }
                    if let Some((name, value)) = word.text.split_once('=')
                        && !name.starts_with('-')
                    {
                        let value = match &word.value {
                            Some(known) => {
                                Expanded::literal(known.split_once('=').map_or("", |(_, v)| v))
                            }
                            None => Expanded {
                                text: value.to_owned(),
                                ..Expanded::default()
                            },
                        };
                        self.environment(name, &value);
                    }
                }
                Stream::Unknown
            }
            "set" if args.first().is_some_and(|a| a == "--") => {
                self.arrays
                    .insert("@".to_owned(), args.iter().skip(1).cloned().collect());
                Stream::Unknown
            }
            "alias" => {
                for definition in &args {
                    if let Some((alias, value)) = definition.split_once('=') {
                        self.aliases.insert(alias.to_owned(), value.to_owned());
                    }
                }
                Stream::Unknown
            }
            "hash" if args.first().is_some_and(|a| a == "-p") => {
                if let (Some(path), Some(alias)) = (args.get(1), args.get(2)) {
                    self.aliases.insert(alias.clone(), shell_quote(path));
                }
                Stream::Unknown
            }
            "trap" => {
                // The handler runs later, when the signal or exit comes.
                if let Some(handler) = args
                    .first()
                    .filter(|h| !h.is_empty() && *h != "-" && !h.starts_with('-'))
                {
                    let handler = handler.clone();
                    self.nested(&handler, "a `trap` handler", Stream::Terminal);
                }
                Stream::Unknown
            }
            "popd" => {
                self.location = Location::Local(None);
                Stream::Unknown
            }
            "printf" if inv.args().iter().all(|a| a.value.is_some()) => {
                // What it prints, as the shell's printf would; `-v NAME` prints nothing.
                if args.first().is_some_and(|a| a == "-v") {
                    return Stream::Text(String::new());
                }
                let printed = words::printf_arguments(&args)
                    .and_then(|(format, rest)| words::printf(format, rest));
                Stream::printed(printed).unwrap_or(Stream::Unknown)
            }
            "echo" | "printf" => {
                let words: Vec<&str> = inv.args().iter().map(Expanded::best).collect();
                let printed = match (base.as_str(), words.split_first()) {
                    ("echo", _) => words::echo(&words),
                    (_, Some((format, rest))) if *format != "-v" => words::printf(format, rest),
                    _ => None,
                };
                Stream::printed(printed).unwrap_or_else(|| {
                    let shown: Vec<Expanded> = inv
                        .args()
                        .iter()
                        .filter(|a| !(a.best().starts_with('-') && a.best().len() == 2))
                        .cloned()
                        .collect();
                    Stream::Text(joined(&shown))
                })
            }
            "cat" | "tac" => {
                self.table_options(&base, &inv, &args);
                if args.is_empty() || args.iter().all(|a| a == "-") {
                    return inv.stdin;
                }
                let texts: Vec<Stream> = inv
                    .args()
                    .iter()
                    .filter(|a| !a.best().starts_with('-'))
                    .map(|a| self.file_stream(a))
                    .collect();
                match texts.as_slice() {
                    [Stream::Text(text)] => Stream::Text(text.clone()),
                    _ => Stream::Unknown,
                }
            }
            "base64" | "base32" | "xxd" | "gunzip" | "zcat" | "gzip" | "bunzip2" | "bzcat"
            | "xz" | "unxz" | "xzcat" | "zstd" | "rev" | "tr" | "openssl" | "uudecode"
            | "basenc" => {
                let decodes = args.iter().any(|a| {
                    matches!(
                        a.as_str(),
                        "-d" | "--decode" | "-D" | "-r" | "-c" | "-dc" | "enc" | "-p"
                    )
                }) || matches!(
                    base.as_str(),
                    "gunzip"
                        | "zcat"
                        | "bunzip2"
                        | "bzcat"
                        | "unxz"
                        | "xzcat"
                        | "rev"
                        | "tr"
                        | "uudecode"
                );
                if base == "openssl"
                    && args
                        .iter()
                        .find(|a| !a.starts_with('-'))
                        .is_some_and(|a| a == "s_client")
                {
                    // `openssl s_client` sends its input to the host it connects to.
                    self.network_client(&base, &inv, &args);
                    return Stream::Network;
                }
                self.tool_from_table(&base, &inv, &args);
                if decodes {
                    Stream::Decoded
                } else {
                    Stream::Unknown
                }
            }
            "eval" => {
                let joined = joined(inv.args());
                if inv.args().iter().all(|a| a.value.is_some()) {
                    self.nested(&joined, "`eval`", inv.stdin.clone());
                } else {
                    self.cannot_analyse(format!(
                        "`eval {joined}` runs text known only when it runs"
                    ));
                }
                Stream::Unknown
            }
            "source" | "." => {
                let script = inv.args().first();
                if let Some(script) = script.filter(|s| s.best().ends_with("/bin/activate")) {
                    self.virtualenv = matches!(self.zone(script), Zone::Workspace | Zone::Temp);
                    return Stream::Unknown;
                }
                self.run_script(script, &inv, Language::Other, true);
                Stream::Unknown
            }
            "git" => {
                self.git(&inv, &args);
                Stream::Unknown
            }
            // JavaScript given inline to deno and bun is read as node's is.
            "deno" | "bun"
                if args.first().is_some_and(|a| a == "eval")
                    || (base == "bun"
                        && args
                            .iter()
                            .any(|a| matches!(a.as_str(), "-e" | "--eval" | "-p" | "--print"))) =>
            {
                let what = format!("`{}`", inv.display());
                let code = inv
                    .args()
                    .iter()
                    .skip_while(|a| {
                        !matches!(a.best(), "eval" | "-e" | "--eval" | "-p" | "--print")
                    })
                    .skip(1)
                    .find(|a| !a.best().starts_with('-'));
                match code {
                    Some(code) if code.value.is_some() => {
                        let code = code.best().to_owned();
                        self.code(&code, Language::JavaScript, &what);
                    }
                    _ => self.push(Effect::opaque(
                        &what,
                        Risk::Change,
                        format!("{what} runs code known only when it runs"),
                    )),
                }
                Stream::Unknown
            }
            "at" | "batch"
                if !args
                    .iter()
                    .any(|a| matches!(a.as_str(), "-l" | "-r" | "-d" | "-c" | "-V")) =>
            {
                // at(1) runs its standard input, or `-f FILE`, later.
                match flag_value(&args, &["-f"]) {
                    Some(file) => {
                        let file = Expanded::literal(file);
                        self.run_script(Some(&file), &inv, Language::Other, false);
                    }
                    None => self.stdin_code(&inv, Language::Other),
                }
                Stream::Unknown
            }
            "npm" | "pnpm" | "yarn"
                if matches!(args.first().map(String::as_str), Some("pkg" | "set-script")) =>
            {
                // A script planted in package.json runs on the next `npm run`/`install`.
                for setting in args.iter().skip(1) {
                    if let Some((key, command)) = setting
                        .split_once('=')
                        .filter(|(k, _)| k.starts_with("scripts."))
                    {
                        self.nested(
                            command,
                            &format!("the package script `{key}`"),
                            Stream::Terminal,
                        );
                    }
                }
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "make" | "gmake" => {
                self.make(&inv, &args);
                Stream::Unknown
            }
            "history" => {
                self.history(&inv, &args);
                Stream::Unknown
            }
            "tar" | "bsdtar" | "gtar" if args.iter().any(|a| a == "--remove-files") => {
                let dir = flag_value(&args, &["-C", "--directory"]).map(str::to_owned);
                let archive = flag_value(&args, &["-f", "--file"]).map(str::to_owned);
                let members: Vec<Expanded> = self
                    .positional_paths(
                        &inv,
                        &[
                            "-C",
                            "--directory",
                            "-f",
                            "--file",
                            "-T",
                            "--files-from",
                            "-X",
                            "--exclude-from",
                            "--exclude",
                        ],
                    )
                    .into_iter()
                    .filter(|p| {
                        Some(p.best()) != archive.as_deref()
                            && !p.best().chars().all(|c| c.is_ascii_alphabetic())
                            || p.best().starts_with('.')
                    })
                    .collect();
                for member in members {
                    let path = match (&dir, &member.value) {
                        (Some(dir), Some(value)) if !value.starts_with('/') => {
                            Expanded::literal(&format!("{dir}/{value}"))
                        }
                        _ => member.clone(),
                    };
                    self.delete_path(&path, true, "`tar --remove-files`");
                }
                // `-T LIST`: the members, and so what is removed, are named in a file.
                let list = flag_value(&args, &["-T", "--files-from"])
                    .map(str::to_owned)
                    .or_else(|| {
                        args.iter()
                            .find_map(|a| a.strip_prefix("--files-from="))
                            .map(str::to_owned)
                    });
                if let Some(list) = list {
                    match self.read_file(&list).filter(|_| list != "-") {
                        Some(text) => {
                            for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                                let path = match &dir {
                                    Some(dir) if !name.starts_with('/') => format!("{dir}/{name}"),
                                    _ => name.to_owned(),
                                };
                                self.delete_path(&Expanded::literal(&path), true, "`tar --remove-files`");
                            }
                        }
                        None => self.push(Effect::opaque(
                            &list,
                            Risk::Destroy,
                            format!("`tar --remove-files` removes the files listed in `{list}`, which could not be read"),
                        )),
                    }
                }
                self.tar(&base, &inv, &args);
                Stream::Unknown
            }
            "terraform" | "tofu"
                if args
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .is_some_and(|sub| {
                        matches!(
                            sub.as_str(),
                            "plan" | "apply" | "refresh" | "console" | "import" | "destroy"
                        )
                    }) =>
            {
                self.terraform_programs(&inv, &args);
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "ansible-playbook" if args.iter().any(|a| a == "--check" || a == "-C") => {
                // Tasks marked `check_mode: false` run for real under `--check`.
                for playbook in args
                    .iter()
                    .filter(|a| a.ends_with(".yml") || a.ends_with(".yaml"))
                {
                    if self.changed_on_line(playbook) {
                        self.cannot_analyse(format!(
                            "`{}` runs `{playbook}`, which the line changed in a way analysis cannot follow",
                            inv.display()
                        ));
                    } else if let Some(text) = self.read_file(playbook)
                        && text.lines().any(|line| {
                            let line = line.trim().replace(' ', "");
                            matches!(
                                line.to_ascii_lowercase().as_str(),
                                "check_mode:false" | "check_mode:no" | "check_mode:off"
                            )
                        })
                    {
                        self.push(Effect::opaque(
                            playbook,
                            Risk::Change,
                            format!("`{playbook}` has tasks with `check_mode: false`, which run for real under `--check`"),
                        ));
                    }
                }
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "fc" if !args.iter().any(|a| a.starts_with('-') && a.contains('l')) => {
                // `fc -s`, `fc N`: runs commands again from the shell's history, which
                // analysis cannot see.
                self.cannot_analyse(format!(
                    "`{}` runs commands again from the shell's history",
                    inv.display()
                ));
                Stream::Unknown
            }
            "tar" | "bsdtar" | "gtar" => {
                self.tar(&base, &inv, &args);
                Stream::Unknown
            }
            "cargo" => {
                self.cargo_settings(&args);
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" => {
                self.compiler(&base, &args);
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "emacs" | "emacsclient" if args.iter().any(|a| options::runs_lisp(a)) => {
                self.lisp(&base, &args);
                Stream::Unknown
            }
            "sort" => {
                if let Some(output) = flag_value(&args, &["-o", "--output"]) {
                    let output = Expanded::literal(output);
                    self.write_path(&output, WriteKind::Truncate, "`sort -o`");
                }
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "ansible" => {
                let module = flag_value(&args, &["-m", "--module-name"]).unwrap_or("command");
                let command = flag_value(&args, &["-a", "--args"]);
                let host = args.first().cloned().unwrap_or_default();
                match (module, command) {
                    (
                        "shell"
                        | "command"
                        | "raw"
                        | "ansible.builtin.shell"
                        | "ansible.builtin.command"
                        | "ansible.builtin.raw",
                        Some(command),
                    ) => {
                        let command = command.to_owned();
                        self.remote(&command, &host, "an ansible command");
                    }
                    _ => self.tool_from_table(&base, &inv, &args),
                }
                Stream::Unknown
            }
            "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "mksh" | "fish" | "busybox"
            | "tcsh" | "csh" => {
                self.shell(&inv, &args);
                Stream::Unknown
            }
            "su" | "runuser" | "sg" | "script" | "nix-shell" => {
                // `script -qec CMD`: the command may follow a cluster of short flags.
                let clustered = args
                    .iter()
                    .position(|a| {
                        a.len() > 2
                            && a.starts_with('-')
                            && !a.starts_with("--")
                            && a.ends_with('c')
                            && a.chars().skip(1).all(|c| c.is_ascii_alphabetic())
                    })
                    .and_then(|i| args.get(i + 1))
                    .map(String::as_str);
                let command = flag_value(&args, &["-c", "--command", "--run"]).or(clustered);
                match command {
                    Some(command) => self.nested(command, &format!("`{base}`"), Stream::Terminal),
                    None if base == "runuser" => {
                        if let Some(start) =
                            command_start(&args, &["-u", "--user", "-g", "--group", "-G"], 0)
                        {
                            return self.invoke(inv.tail(start + 1));
                        }
                        self.push(Effect::opaque(
                            inv.display(),
                            Risk::Change,
                            format!("`{}` opens a shell as another user", inv.display()),
                        ));
                    }
                    None => self.push(Effect::opaque(
                        inv.display(),
                        Risk::Change,
                        format!("`{}` opens an interactive shell", inv.display()),
                    )),
                }
                Stream::Unknown
            }
            "ssh" | "mosh" | "autossh" => {
                self.ssh(&inv, &args);
                Stream::Unknown
            }
            "xargs" | "parallel" => {
                self.xargs(&inv, &args);
                Stream::Unknown
            }
            "find" => {
                self.find(&inv);
                Stream::Unknown
            }
            "dc" => {
                // With no program named, dc reads one from its standard input.
                let named = args.iter().any(|a| {
                    !a.starts_with('-')
                        || a.starts_with("-e")
                        || a.starts_with("-f")
                        || a.starts_with("--e")
                        || a.starts_with("--f")
                });
                if !named {
                    self.editor_stdin(&inv, "dc");
                }
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => {
                // gawk's `-i inplace` rewrites the files it reads; the program (or `-f
                // FILE`) is read by the table's `awk` language.
                let mut keep = vec![true; args.len()];
                let mut inplace = false;
                for (i, arg) in args.iter().enumerate() {
                    let next_inplace = args
                        .get(i + 1)
                        .is_some_and(|n| n == "inplace" || n == "inplace.awk");
                    if (arg == "-i" || arg == "--include") && next_inplace {
                        inplace = true;
                        for k in keep.iter_mut().skip(i).take(2) {
                            *k = false;
                        }
                    } else if matches!(arg.as_str(), "-iinplace" | "--include=inplace") {
                        inplace = true;
                        if let Some(k) = keep.get_mut(i) {
                            *k = false;
                        }
                    }
                }
                let filtered: Vec<String> = args
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(a, _)| a.clone())
                    .collect();
                let words: Vec<Expanded> =
                    std::iter::once(inv.argv.first().cloned().unwrap_or_default())
                        .chain(
                            inv.args()
                                .iter()
                                .zip(&keep)
                                .filter(|(_, k)| **k)
                                .map(|(a, _)| a.clone()),
                        )
                        .collect();
                let inv = Invocation {
                    argv: words,
                    stdin: inv.stdin,
                };
                if inplace {
                    let program_from_file = filtered
                        .iter()
                        .any(|a| a == "-f" || a.starts_with("--file"));
                    self.edit_in_place(&inv, usize::from(!program_from_file));
                }
                self.tool_from_table(&base, &inv, &filtered);
                Stream::Unknown
            }
            "rm" | "rmdir" | "unlink" | "shred" | "srm" | "trash" | "trash-put" | "gio"
            | "rimraf" => {
                self.remove(&base, &inv);
                Stream::Unknown
            }
            "mv" | "cp" | "install" | "ln" | "link" | "scp" | "rsync" | "rclone" => {
                self.copy(&base, &inv, &args);
                Stream::Unknown
            }
            "ex" | "ed" | "red" => {
                // Scripted editors rewrite the file in place, with the commands they
                // read from their standard input.
                self.edit_in_place(&inv, 0);
                if base == "ex" {
                    self.plus_commands("ex", &base, &inv, &args);
                    self.editor_stdin(&inv, "ex");
                } else {
                    self.editor_stdin(&inv, "ed");
                }
                Stream::Unknown
            }
            "less" | "more" | "most" => {
                self.plus_commands("less", &base, &inv, &args);
                Stream::Unknown
            }
            "vim" | "vi" | "nvim" | "gvim" | "rvim" | "vimx" | "view" | "rview" | "gview"
            | "vimdiff" | "nvimdiff" | "evim" => {
                self.plus_commands("ex", &base, &inv, &args);
                // In Ex mode vim reads its commands from its standard input.
                if args
                    .iter()
                    .any(|a| matches!(a.as_str(), "-e" | "-E" | "-es" | "-Es"))
                {
                    self.editor_stdin(&inv, "ex");
                }
                Stream::Unknown
            }
            "touch" | "mkdir" | "chmod" | "chown" | "chgrp" | "setfacl" | "chattr" | "nano"
            | "emacs" | "pico" | "micro" | "hx" | "kak" => {
                self.touch(&base, &inv);
                Stream::Unknown
            }
            "truncate" | "fallocate" => {
                for path in
                    self.positional_paths(&inv, &["-s", "--size", "-r", "--reference", "-l", "-o"])
                {
                    self.write_path(&path, WriteKind::Truncate, &format!("`{base}`"));
                }
                Stream::Unknown
            }
            "tee" | "sponge" => {
                let append = args.iter().any(|a| a == "-a" || a == "--append");
                for path in self.positional_paths(&inv, &[]) {
                    let kind = if append {
                        WriteKind::Append
                    } else {
                        WriteKind::Truncate
                    };
                    self.write_path(&path, kind, &format!("`{base}`"));
                }
                inv.stdin
            }
            "dd" => {
                for arg in inv.args() {
                    if let Some(target) = arg.best().strip_prefix("of=") {
                        let target = Expanded {
                            value: arg.value.as_ref().map(|_| target.to_owned()),
                            text: target.to_owned(),
                            ..Expanded::default()
                        };
                        self.write_path(&target, WriteKind::Truncate, "`dd`");
                    }
                }
                Stream::Unknown
            }
            "sed" | "gsed" => {
                if args.iter().any(|a| {
                    a == "-i"
                        || a.starts_with("-i")
                        || a.starts_with("--in-place")
                        || (a.starts_with('-') && !a.starts_with("--") && a.contains('i'))
                }) {
                    let has_script_flag = args
                        .iter()
                        .any(|a| a == "-e" || a == "-f" || a == "--expression" || a == "--file");
                    self.edit_in_place(&inv, if has_script_flag { 0 } else { 1 });
                }
                self.tool_from_table(&base, &inv, &args);
                Stream::Unknown
            }
            "holdpoint" => {
                self.holdpoint(&inv, &args);
                Stream::Unknown
            }
            "psql" | "mysql" | "mariadb" | "sqlite3" | "sqlite" | "duckdb"
            | "clickhouse-client" | "clickhouse" | "cockroach" | "usql" | "pgcli" | "mycli"
            | "litecli" | "cqlsh" => {
                self.database_client(&base, &inv, &args);
                Stream::Unknown
            }
            "mongosh" | "mongo" => {
                self.mongo(&inv, &args);
                Stream::Unknown
            }
            "redis-cli" | "valkey-cli" | "keydb-cli" => {
                self.redis(&inv, &args);
                Stream::Unknown
            }
            "nc" | "ncat" | "netcat" | "nc.openbsd" | "nc.traditional" | "socat" | "telnet" => {
                self.network_client(&base, &inv, &args);
                Stream::Network
            }
            "gdb" | "lldb" => {
                self.debugger_input(&base, &inv, &args);
                Stream::Unknown
            }
            "curl" | "wget" => {
                self.tool_from_table(&base, &inv, &args);
                // What a download prints is code from the network, should a shell or an
                // interpreter read it next. curl prints unless told to write a file; wget
                // writes a file unless told `-O -`.
                let to_stdout = if base == "curl" {
                    !args.iter().any(|a| {
                        matches!(
                            a.as_str(),
                            "-o" | "--output" | "-O" | "--remote-name" | "--remote-name-all"
                        )
                    })
                } else {
                    args.iter().any(|a| matches!(a.as_str(), "-O-" | "-qO-" | "--output-document=-"))
                        || args.windows(2).any(|w| matches!(w, [flag, dash] if (flag == "-O" || flag == "-qO") && dash == "-"))
                };
                if to_stdout {
                    Stream::Network
                } else {
                    Stream::Unknown
                }
            }
            _ if is_interpreter(&base) => {
                self.interpreter(&base, &inv, &args);
                Stream::Unknown
            }
            _ => {
                if base == "docker-compose" || base == "podman-compose" {
                    let mut argv = vec![Expanded::literal("docker"), Expanded::literal("compose")];
                    argv.extend(inv.args().iter().cloned());
                    return self.invoke(Invocation {
                        argv,
                        stdin: inv.stdin,
                    });
                }
                if self.exec_in_container(&base, &inv, &args) {
                    return Stream::Unknown;
                }
                if self.package_runner(&base, &inv, &args) {
                    return Stream::Unknown;
                }
                if matches!(base.as_str(), "npm" | "pnpm" | "yarn" | "bun") {
                    self.package_scripts(&base, &inv, &args);
                }
                if self.runs_command(&base, &inv, &args) {
                    return Stream::Unknown;
                }
                let name_in_table = name.strip_prefix("./").unwrap_or(&name).to_owned();
                if tools::lookup(&base).is_some() || tools::lookup(&name_in_table).is_some() {
                    self.tool_from_table(&base, &inv, &args);
                } else if name.contains('/') {
                    self.run_script(
                        Some(&Expanded::literal(&name)),
                        &inv,
                        Language::Other,
                        false,
                    );
                } else {
                    self.unknown_command(&inv);
                }
                Stream::Unknown
            }
        }
    }

    /// A terminal driver: what it types or starts runs as commands; the driver itself is
    /// judged by the table.
    fn drive(
        &mut self,
        base: &str,
        inv: &Invocation,
        args: &[String],
        mut driven: Vec<terminal::Driven>,
    ) {
        if base == "expect" && !args.iter().any(|a| a == "-c") {
            // An expect script from a file or from standard input.
            let script = match args.iter().find(|a| !a.starts_with('-')) {
                Some(file) => self.read_file(file),
                None => match &inv.stdin {
                    Stream::Text(text) => Some(text.clone()),
                    _ => None,
                },
            };
            match script {
                Some(script) => driven.extend(terminal::expect_script(&script)),
                None => self.push(Effect::opaque(
                    inv.display(),
                    Risk::Change,
                    format!(
                        "`{}` runs an expect script that could not be read",
                        inv.display()
                    ),
                )),
            }
        }
        let what = format!("`{}`", inv.display());
        for one in driven {
            match one {
                terminal::Driven::Typed(text) => {
                    self.nested(
                        &text,
                        &format!("text {what} types into a terminal"),
                        Stream::Terminal,
                    );
                }
                terminal::Driven::Command(command) => {
                    self.nested(
                        &command,
                        &format!("a command {what} starts"),
                        Stream::Terminal,
                    );
                }
                terminal::Driven::Argv(argv) => {
                    self.invoke(Invocation {
                        argv: argv.iter().map(|a| Expanded::literal(a)).collect(),
                        stdin: Stream::Terminal,
                    });
                }
            }
        }
        self.tool_from_table(base, inv, args);
    }

    /// git: its `-C` directory, aliases given with `-c alias.NAME=…`, and writes to
    /// protected files; then the table.
    fn git(&mut self, inv: &Invocation, args: &[String]) {
        let mut i = 0;
        let mut aliases: Vec<(String, String)> = Vec::new();
        let mut dir: Option<String> = None;
        // `-c KEY=VALUE` settings, keys in lower case: they win over every file's.
        let mut given: Vec<(String, String)> = Vec::new();
        while let Some(arg) = args.get(i) {
            match arg.as_str() {
                "-C" => {
                    dir = args.get(i + 1).cloned();
                    i += 2;
                }
                "-c" => {
                    if let Some((key, value)) = args.get(i + 1).and_then(|kv| kv.split_once('=')) {
                        if let Some(name) = key.strip_prefix("alias.") {
                            aliases.push((name.to_owned(), value.to_owned()));
                        }
                        given.push((key.to_ascii_lowercase(), value.to_owned()));
                    }
                    i += 2;
                }
                "--git-dir" | "--work-tree" | "--namespace" | "--exec-path" => i += 2,
                flag if flag.starts_with('-') => i += 1,
                _ => break,
            }
        }
        let sub = args.get(i).cloned().unwrap_or_default();
        let rest: Vec<Expanded> = inv.args().get(i + 1..).unwrap_or(&[]).to_vec();
        let rest_args: Vec<String> = args.get(i + 1..).unwrap_or(&[]).to_vec();
        // What the repository's configuration and hooks make this subcommand run.
        aliases.extend(self.git_triggers(&sub, dir.as_deref(), &rest_args, &given));
        // Configuration given on the command line or through the environment, and
        // `ext::` remotes: commands git runs.
        self.git_configuration(inv, args, i);
        if let Some((_, expansion)) = aliases.iter().find(|(name, _)| *name == sub) {
            let rest = rest
                .iter()
                .map(|a| shell_quote(a.best()))
                .collect::<Vec<_>>()
                .join(" ");
            let what = format!("git alias `{sub}`");
            match expansion.strip_prefix('!') {
                Some(command) => {
                    self.nested(&format!("{command} {rest}"), &what, inv.stdin.clone())
                }
                None => self.nested(&format!("git {expansion} {rest}"), &what, inv.stdin.clone()),
            }
            return;
        }
        // `git submodule foreach CMD` runs CMD in every submodule.
        if sub == "submodule" && rest.first().is_some_and(|w| w.best() == "foreach") {
            let command: Vec<String> = rest
                .iter()
                .skip(1)
                .map(|a| a.best().to_owned())
                .filter(|a| !a.starts_with("--"))
                .collect();
            self.nested(
                &command.join(" "),
                "`git submodule foreach`",
                Stream::Terminal,
            );
            return;
        }
        // `git update-ref --stdin` applies reference commands read from its input.
        if sub == "update-ref" && rest.iter().any(|a| a.best() == "--stdin") {
            let deletes = match &inv.stdin {
                Stream::Text(text) => text.split_whitespace().any(|w| w == "delete"),
                other => other.generates_destruction(),
            };
            if deletes {
                self.tool_effect(
                    inv,
                    ObjectKind::Repository,
                    Risk::Destroy,
                    "deletes references read from its input",
                );
                return;
            }
        }
        if matches!(
            sub.as_str(),
            "checkout"
                | "restore"
                | "rm"
                | "mv"
                | "apply"
                | "reset"
                | "clean"
                | "stash"
                | "am"
                | "switch"
                | "merge"
                | "pull"
        ) {
            for path in &rest {
                if let Zone::Protected(object) = self.zone(path) {
                    let name = path.best().to_owned();
                    self.push(Effect::self_protection(
                        object,
                        &name,
                        format!("`git {sub}` rewrites `{name}`, which protects holdpoint"),
                    ));
                }
            }
        }
        let saved = self.location.clone();
        if let Some(dir) = dir {
            self.change_directory(Some(&Expanded::literal(&dir)));
        }
        self.tool_from_table("git", inv, args);
        self.location = saved;
    }

    /// make: the makefile (`-f FILE`, `-f -` with a here-document, or `GNUmakefile`,
    /// `makefile` or `Makefile` in `-C DIR` or the working directory) and what it
    /// includes decide what runs: the recipes of the targets asked for and what they
    /// depend on, and every `$(shell …)`, which runs whenever the makefile is read (so
    /// also with `-n`, which runs only recipe lines marked `+`). A makefile holdpoint
    /// cannot read runs what it cannot see.
    fn make(&mut self, inv: &Invocation, args: &[String]) {
        let value_flags = [
            "-f",
            "--file",
            "--makefile",
            "-C",
            "--directory",
            "-I",
            "--include-dir",
            "-j",
            "--jobs",
            "-l",
            "-o",
            "-W",
            "--what-if",
            "-O",
        ];
        let split = tools::Args::split(args, &value_flags);
        let dry = split.has_flag("-n")
            || args.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "--dry-run" | "--just-print" | "--recon" | "-q" | "--question"
                )
            });
        let informational = args.iter().any(|a| {
            matches!(
                a.as_str(),
                "--version" | "-v" | "--help" | "-h" | "-p" | "--print-data-base"
            )
        });
        let dir = flag_value(args, &["-C", "--directory"]).map(str::to_owned);
        let saved = self.location.clone();
        if let (Some(dir), Location::Local(Some(here))) = (&dir, &self.location) {
            self.location = Location::Local(Some(paths::normalise(here, dir)));
        }
        // Variables given on the command line, and those MAKEFLAGS carries from the
        // environment (as a parent make passes them on), win over the makefile's.
        let from_environment: Vec<String> = ["MAKEFLAGS", "MFLAGS"]
            .iter()
            .filter_map(|name| self.vars.get(*name))
            .flat_map(|flags| project::make_flags_words(flags))
            .collect();
        let defined: Vec<(String, String)> = from_environment
            .iter()
            .map(String::as_str)
            .chain(split.positionals.iter().copied())
            .filter_map(project::command_line_variable)
            .collect();
        let text = match flag_value(args, &["-f", "--file", "--makefile"]) {
            Some("-") => match &inv.stdin {
                Stream::Text(text) => Some(text.clone()),
                _ => None,
            },
            Some(file) => self.read_file(file),
            None => ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .find_map(|f| self.read_file(f)),
        };
        let Some(mut text) = text else {
            self.location = saved;
            if informational {
                return self.tool_from_table("make", inv, args);
            }
            // Whatever the recipes are, a shell or its flags given on the command line
            // runs each of them.
            if let Some(shell) = project::makefile("", &[], &defined).shell
                && !dry
            {
                self.nested(
                    &format!("{shell} \"$HOLDPOINT_MAKE_VALUE\""),
                    "a make recipe",
                    Stream::Terminal,
                );
            }
            let where_ = dir.map_or_else(String::new, |d| format!(" in `{d}`"));
            self.push(Effect::opaque(
                inv.display(),
                Risk::Change,
                format!(
                    "`{}` runs a makefile{where_} that holdpoint cannot read",
                    inv.display()
                ),
            ));
            return;
        };
        let targets: Vec<String> = split
            .positionals
            .iter()
            .filter(|p| !p.contains('='))
            .map(|p| (*p).to_owned())
            .collect();
        let mut made = project::makefile(&text, &targets, &defined);
        // Included makefiles, one level, as far as they can be read.
        let includes = std::mem::take(&mut made.includes);
        let mut unread = Vec::new();
        for include in includes.iter().take(16) {
            match self.read_file(include) {
                Some(more) => {
                    text.push('\n');
                    text.push_str(&more);
                }
                None if include.starts_with('$') || include.contains('%') => {
                    unread.push(include.clone())
                }
                None => unread.push(include.clone()),
            }
        }
        if !includes.is_empty() {
            made = project::makefile(&text, &targets, &defined);
        }
        for include in unread {
            self.push(Effect::opaque(
                &include,
                Risk::Change,
                format!(
                    "`{}` includes `{include}`, which holdpoint cannot read",
                    inv.display()
                ),
            ));
        }
        self.tool_effect(
            inv,
            ObjectKind::Command,
            if dry { Risk::Read } else { Risk::Workspace },
            if dry {
                "prints the makefile's recipes"
            } else {
                "runs the makefile's recipes"
            },
        );
        // What make runs is the shell it is told to use, given each line: a `SHELL` or
        // `.SHELLFLAGS` of the makefile's or the command line's is part of the command.
        let through_shell = |line: &str| match &made.shell {
            Some(shell) => format!("{shell} {}", shell_quote(line)),
            None => line.to_owned(),
        };
        for call in &made.shell_calls {
            self.nested(
                &through_shell(call),
                "a makefile's `$(shell …)`",
                Stream::Terminal,
            );
        }
        for (recipe, forced) in &made.recipes {
            if !dry || *forced {
                self.nested(&through_shell(recipe), "a make recipe", Stream::Terminal);
            }
        }
        self.location = saved;
    }

    /// `hatch run NAME`, `pdm run NAME`, `rye run NAME`, `pixi run NAME`, `pipenv run
    /// NAME`: when the project defines a script of that name, that is what runs, not a
    /// command of the name. Whether it was one (and so analysed here).
    fn runner_script(&mut self, base: &str, inv: &Invocation, rest: &[String]) -> bool {
        let Some(name) = rest.iter().find(|a| !a.starts_with('-')) else {
            return false;
        };
        let what = format!("`{}`", inv.display());
        for file in project::runner_script_files(base) {
            let Some(text) = self.read_file(file) else {
                if self.changed_on_line(file) {
                    self.cannot_analyse(format!(
                        "{what} reads its scripts from `{file}`, which the line changed in a way analysis cannot follow"
                    ));
                    return true;
                }
                continue;
            };
            match project::runner_script(base, file, &text, name) {
                Ok(None) => {}
                Ok(Some(commands)) => {
                    for command in commands {
                        self.nested(
                            &command,
                            &format!("the script `{name}` of `{file}`"),
                            Stream::Terminal,
                        );
                    }
                    return true;
                }
                Err(why) => {
                    self.push(Effect::opaque(
                        &what,
                        Risk::Change,
                        format!("{what} runs a script of the project, but {why}"),
                    ));
                    return true;
                }
            }
        }
        false
    }

    /// npm, pnpm, yarn and bun: the package's scripts their subcommand runs (`test`,
    /// `run NAME`, the install lifecycle) are what runs, read from `package.json` in the
    /// package's directory (`--prefix`, `-C`, `--cwd`, `--dir`, or the working directory).
    fn package_scripts(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        let dir = flag_value(args, &["--prefix", "-C", "--cwd", "--dir"]).map(str::to_owned);
        let saved = self.location.clone();
        if let (Some(dir), Location::Local(Some(here))) = (&dir, &self.location) {
            self.location = Location::Local(Some(paths::normalise(here, dir)));
        }
        let package = self.read_file("package.json");
        match project::package_scripts(base, args, package.as_deref()) {
            None => {}
            Some(Err(why)) => self.push(Effect::opaque(
                inv.display(),
                Risk::Change,
                format!("`{}` runs the package's scripts, but {why}", inv.display()),
            )),
            Some(Ok(scripts)) => {
                for (name, script) in scripts {
                    self.nested(
                        &script,
                        &format!("the package script `{name}`"),
                        Stream::Terminal,
                    );
                }
            }
        }
        self.location = saved;
    }

    fn tool_from_table(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        let name = inv
            .name()
            .strip_prefix("./")
            .unwrap_or(inv.name())
            .to_owned();
        if self.copies_to_local_path(base, inv, args) {
            return;
        }
        // `rails runner CODE` runs Ruby code in the application.
        if matches!(base, "rails")
            && matches!(args.first().map(String::as_str), Some("runner" | "r"))
            && let Some(code) = args.get(1)
        {
            let what = format!("`{}`", inv.display());
            self.code(&code.clone(), Language::Ruby, &what);
            return;
        }
        match tools::lookup(&name).or_else(|| tools::lookup(base)) {
            Some(tool) => {
                let (mut risk, mut what, decided) = tools::classify(tool, args);
                // A package manager from a virtual environment in the workspace installs
                // into the workspace.
                let local_binary = name.contains('/')
                    && matches!(
                        self.zone(&Expanded::literal(&name)),
                        Zone::Workspace | Zone::Temp
                    );
                if risk == Risk::Change
                    && tool.names.first() == Some(&"pip")
                    && (self.virtualenv || local_binary)
                {
                    risk = Risk::Workspace;
                    what = "installs into the workspace's virtual environment";
                }
                // Arguments no rule decided that name a destructive verb (`gcloud
                // storage rm`, `mvn flyway:clean`, `gradle flywayClean`).
                let reading = if tool.otherwise.0 == Risk::Change {
                    tools::Verbs::Undecided
                } else {
                    tools::Verbs::Routine
                };
                if !decided
                    && risk < Risk::Destroy
                    && self.destructive_arguments(inv, args, reading)
                {
                    return;
                }
                // Disk tools pointed at an image file in the workspace touch no device. A
                // target is a file only when it is written as a path (`./disk.img`,
                // `/tmp/x.img`) or has an extension; `tank/data` and `vg0/data` name a
                // dataset and a volume.
                if tool.object == ObjectKind::Device && risk == Risk::Destroy {
                    let targets: Vec<Expanded> = self
                        .positional_paths(inv, tool.value_flags)
                        .into_iter()
                        .filter(|p| {
                            let path = p.best();
                            let leaf = path.rsplit('/').next().unwrap_or(path);
                            path.starts_with(['/', '.', '~'])
                                || (leaf.contains('.') && !leaf.starts_with('.'))
                        })
                        .collect();
                    if !targets.is_empty()
                        && targets
                            .iter()
                            .all(|t| matches!(self.zone(t), Zone::Workspace | Zone::Temp))
                    {
                        risk = Risk::Workspace;
                        what = "writes an image file in the workspace";
                    }
                }
                self.tool_effect(inv, tool.object, risk, what);
                // What its options and arguments write and run; options the table does
                // not know make it at least `change`.
                let unknown = self.apply_options(tool, inv, args);
                if risk < Risk::Change {
                    self.unknown_options(inv, &unknown);
                }
                self.credential_to_network(base, inv, args, tool.object);
            }
            None => self.unknown_command(inv),
        }
    }

    /// `kubectl cp pod:/x ./y`, `docker cp`, `aws s3 cp s3://b/k ./y`, `gsutil cp`: a copy
    /// whose destination is a local path is judged by where that path is.
    fn copies_to_local_path(&mut self, base: &str, inv: &Invocation, args: &[String]) -> bool {
        let split = tools::Args::split(
            args,
            &[
                "-n",
                "--namespace",
                "-c",
                "--container",
                "--profile",
                "--region",
                "--exclude",
                "--include",
            ],
        );
        let words: Vec<&str> = split.positionals.iter().take(2).copied().collect();
        let remote_prefix = match (base, words.as_slice()) {
            ("kubectl" | "oc" | "docker" | "podman", ["cp", ..]) => ":",
            ("aws", ["s3", "cp" | "mv" | "sync", ..]) => "s3://",
            ("gsutil", ["cp" | "mv" | "rsync", ..]) | ("gcloud", ["storage", ..]) => "gs://",
            _ => return false,
        };
        let Some(destination) = split.positionals.last().copied() else {
            return false;
        };
        let remote = if remote_prefix == ":" {
            destination.contains(':')
        } else {
            destination.starts_with(remote_prefix)
        };
        if remote || split.positionals.len() < 3 {
            return false;
        }
        let destination = inv
            .args()
            .iter()
            .rev()
            .find(|a| a.best() == destination)
            .cloned()
            .unwrap_or_else(|| Expanded::literal(destination));
        self.write_path(&destination, WriteKind::Modify, &format!("`{base}` copy"));
        true
    }

    fn change_directory(&mut self, target: Option<&Expanded>) {
        let Some(target) = target else {
            self.location = Location::Local(self.ctx.home.clone());
            return;
        };
        let next = match (&self.location, target.value.as_deref()) {
            (Location::Remote(host), _) => Location::Remote(host.clone()),
            (Location::Local(Some(dir)), Some(path)) if path != "-" => {
                Location::Local(Some(paths::normalise(dir, path)))
            }
            (Location::Local(None), Some(path)) if path.starts_with('/') => {
                Location::Local(Some(paths::normalise("/", path)))
            }
            _ => Location::Local(None),
        };
        self.location = next;
    }

    /// Commands that run another command: `sudo`, `env`, `timeout`, `nohup` and friends.
    /// Returns `None` when `base` is not one of them.
    fn wrapper(&mut self, base: &str, inv: &Invocation, args: &[String]) -> Option<Stream> {
        let (value_flags, skip): (&[&str], usize) = match base {
            "sudo" => (
                &[
                    "-u",
                    "-g",
                    "-h",
                    "-p",
                    "-C",
                    "-D",
                    "-r",
                    "-t",
                    "-U",
                    "-T",
                    "--user",
                    "--group",
                    "--host",
                    "--prompt",
                    "--chdir",
                    "--role",
                    "--type",
                    "--close-from",
                    "--other-user",
                    "--command-timeout",
                ],
                0,
            ),
            "doas" => (&["-u", "-C"], 0),
            "timeout" => (&["-s", "--signal", "-k", "--kill-after"], 1),
            "nice" => (&["-n", "--adjustment"], 0),
            "ionice" => (&["-c", "--class", "-n", "--classdata", "-p", "--pid"], 0),
            "nohup" | "setsid" | "unbuffer" | "builtin" | "caffeinate" | "xvfb-run"
            | "dbus-run-session" | "catchsegv" | "proxychains" | "proxychains4" | "torsocks"
            | "tsocks" | "faketime-off" | "stdbuf" | "then" | "do" | "else" => {
                (&["-i", "-o", "-e", "-w"], 0)
            }
            "time" => {
                // GNU time writes its report to `-o FILE` (appends with `-a`).
                const TIME: &[&str] = &["-f", "--format", "-o", "--output"];
                self.wrapper_output(
                    args,
                    TIME,
                    &["-o", "--output"],
                    &["-a", "--append"],
                    "`time -o`",
                );
                (TIME, 0)
            }
            "command" => {
                if args.iter().any(|a| a == "-v" || a == "-V") {
                    return Some(Stream::Unknown);
                }
                (&[], 0)
            }
            "exec" => (&["-a"], 0),
            "chrt" | "taskset" => (&[], 1),
            "chroot" => (&["--userspec", "--groups"], 1),
            "strace" | "ltrace" => {
                // The trace goes to `-o FILE` (strace appends with `-A`).
                const TRACE: &[&str] = &[
                    "-o", "-e", "-p", "-s", "-u", "-a", "-E", "-O", "-S", "-P", "-I", "-b", "-X",
                    "-U", "--output", "--attach", "--user", "--env",
                ];
                self.wrapper_output(
                    args,
                    TRACE,
                    &["-o", "--output"],
                    &["-A", "--output-append-mode"],
                    &format!("`{base} -o`"),
                );
                (TRACE, 0)
            }
            // unshare(1): `-R`, `-w`, `-S`, `-G` and `--propagation`, `--setgroups`,
            // `--monotonic`, `--boottime` take a value; `-r` is `--map-root-user`.
            "unshare" => (
                &[
                    "-S",
                    "--setuid",
                    "-G",
                    "--setgid",
                    "-w",
                    "--wd",
                    "-R",
                    "--root",
                    "--propagation",
                    "--setgroups",
                    "--monotonic",
                    "--boottime",
                ],
                0,
            ),
            // nsenter(1): `-t`, `-S`, `-G` take a value; `-r` and `-w` only attached.
            "nsenter" => (&["-t", "--target", "-S", "--setuid", "-G", "--setgid"], 0),
            "systemd-run" => (
                &[
                    "-p",
                    "--property",
                    "-u",
                    "--unit",
                    "-M",
                    "--machine",
                    "--uid",
                    "--gid",
                    "-E",
                    "--setenv",
                    "--description",
                    "--slice",
                    "--working-directory",
                ],
                0,
            ),
            // The dynamic loader runs the program it is given (`ld-linux-x86-64.so.2
            // /bin/rm …`); `--argv0` only renames it.
            loader if is_loader(loader) => (
                &[
                    "--library-path",
                    "--preload",
                    "--argv0",
                    "--audit",
                    "--glibc-hwcaps-prefix",
                ],
                0,
            ),
            "env" => {
                let mut i = 0;
                while let Some(arg) = args.get(i) {
                    if arg == "-u" || arg == "--unset" || arg == "-C" || arg == "--chdir" {
                        i += 2;
                    } else if arg == "-S" || arg == "--split-string" {
                        if let Some(script) = args.get(i + 1) {
                            self.nested(script, "`env -S`", inv.stdin.clone());
                        }
                        return Some(Stream::Unknown);
                    } else if arg.starts_with('-') || arg.contains('=') {
                        if let Some((name, value)) = arg.split_once('=')
                            && !name.starts_with('-')
                        {
                            let word = inv.args().get(i).cloned().unwrap_or_default();
                            let value_word = match word.value {
                                Some(_) => Expanded::literal(value),
                                None => Expanded {
                                    text: value.to_owned(),
                                    ..Expanded::default()
                                },
                            };
                            self.environment(name, &value_word);
                            self.vars.insert(name.to_owned(), value.to_owned());
                            if name == "PATH" {
                                self.note_path(value);
                            }
                        }
                        i += 1;
                    } else {
                        return Some(self.invoke(inv.tail(i + 1)));
                    }
                }
                return Some(Stream::Unknown);
            }
            _ => return None,
        };
        let numeric_flag = |a: &String| {
            a.starts_with('-')
                && a.get(1..)
                    .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
        };
        let filtered: Vec<String> = args
            .iter()
            .map(|a| {
                if numeric_flag(a) {
                    "-n0".to_owned()
                } else {
                    a.clone()
                }
            })
            .collect();
        match command_start(&filtered, value_flags, skip) {
            Some(start) => Some(self.invoke(inv.tail(start + 1))),
            None => {
                if (base == "sudo" || base == "doas")
                    && args
                        .iter()
                        .any(|a| matches!(a.as_str(), "-i" | "-s" | "--login" | "--shell" | "-su"))
                {
                    self.push(Effect::opaque(
                        inv.display(),
                        Risk::Change,
                        format!("`{}` opens a root shell", inv.display()),
                    ));
                } else if base == "sudo"
                    && args.iter().any(|a| matches!(a.as_str(), "-e" | "--edit"))
                {
                    self.touch("sudoedit", inv);
                }
                Some(Stream::Unknown)
            }
        }
    }

    /// A wrapper's own output file (`time -o`, `strace -o`), before its command.
    fn wrapper_output(
        &mut self,
        args: &[String],
        value_flags: &[&str],
        flags: &[&str],
        append: &[&str],
        how: &str,
    ) {
        let start = command_start(args, value_flags, 0).unwrap_or(args.len());
        let own = args.get(..start).unwrap_or(args);
        if let Some(file) = flag_value(own, flags).filter(|f| *f != "-") {
            // strace(1), ltrace(1): `-o '|CMD'` (or `'!CMD'`) pipes the trace into a
            // command rather than writing a file.
            if let Some(command) = file.strip_prefix('|').or_else(|| file.strip_prefix('!')) {
                self.nested(command, &format!("{how}'s command"), Stream::Unknown);
                return;
            }
            let kind = if own.iter().any(|a| append.contains(&a.as_str())) {
                WriteKind::Append
            } else {
                WriteKind::Truncate
            };
            self.write_path(&Expanded::literal(file), kind, how);
        }
    }

    /// `bash -c '…'`, `bash script.sh`, `bash` reading its standard input.
    fn shell(&mut self, inv: &Invocation, args: &[String]) {
        // `bash -n script` only checks the script's syntax.
        if args
            .iter()
            .take_while(|a| a.starts_with('-'))
            .any(|a| a == "-n" || a == "--noexec")
            && !args.iter().any(|a| a == "-c")
        {
            return self.tool_effect(
                inv,
                ObjectKind::Code,
                Risk::Read,
                "only checks the script's syntax",
            );
        }
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            if arg == "-c"
                || (arg.starts_with('-')
                    && !arg.starts_with("--")
                    && arg.contains('c')
                    && arg.len() <= 5)
            {
                match inv.args().get(i + 1) {
                    Some(script) if script.value.is_some() => self.nested(
                        script.best(),
                        &format!("`{}`", inv.name()),
                        Stream::Terminal,
                    ),
                    Some(script) => {
                        let text = script.best().to_owned();
                        self.push(Effect::opaque(
                            &text,
                            Risk::Change,
                            format!("`{}` runs a command known only when it runs", inv.display()),
                        ));
                    }
                    None => self.push(Effect::opaque(
                        inv.display(),
                        Risk::Change,
                        format!("`{}` has no command", inv.display()),
                    )),
                }
                return;
            }
            if arg == "-o"
                || arg == "+o"
                || arg == "-O"
                || arg == "+O"
                || arg == "--rcfile"
                || arg == "--init-file"
            {
                i += 2;
                continue;
            }
            if arg.starts_with('-') || arg.starts_with('+') {
                if arg == "-s" || arg == "--" {
                    break;
                }
                i += 1;
                continue;
            }
            if inv.name().ends_with("busybox") && i == 0 {
                return self.invoke_tail_as_is(inv, 1);
            }
            self.run_script(inv.args().get(i), inv, Language::Other, true);
            return;
        }
        self.stdin_code(inv, Language::Other);
    }

    fn invoke_tail_as_is(&mut self, inv: &Invocation, start: usize) {
        self.invoke(inv.tail(start));
    }

    /// A program that reads its commands from its standard input: `ed`'s, vim's Ex
    /// commands or `dc`'s (`lang`). With none (the terminal), it reads nothing and quits.
    fn editor_stdin(&mut self, inv: &Invocation, lang: &'static str) {
        let acts = match &inv.stdin {
            Stream::Terminal => return,
            Stream::Text(text) if lang == "ed" => embedded::ed_script(text),
            Stream::Text(text) if lang == "dc" => embedded::dc(text),
            Stream::Text(text) => embedded::ex_script(text),
            _ => {
                self.stdin_code(inv, Language::Other);
                return;
            }
        };
        let what = format!("`{}`", inv.display());
        self.acts(lang, acts, &what, None);
    }

    /// A program that reads code from its standard input.
    fn stdin_code(&mut self, inv: &Invocation, language: Language) {
        let what = format!("`{}`", inv.display());
        match &inv.stdin {
            Stream::Text(text) => {
                let text = text.clone();
                // Another language's interpreter (`tclsh`, `pwsh`, `lua`) reads code in its
                // own language, not a command line.
                if language == Language::Other && !is_interpreter(basename(inv.name())) {
                    self.nested(&text, &what, Stream::Terminal);
                } else {
                    self.code(&text, language, &what);
                }
            }
            // Hiding what runs is itself the signal: held everywhere.
            Stream::Network => {
                self.cannot_analyse(format!("{what} runs code downloaded from the network"));
            }
            Stream::Decoded => self.cannot_analyse(format!(
                "{what} runs encoded code that cannot be read before it runs"
            )),
            generated @ Stream::Generated(_) if generated.generates_destruction() => {
                self.push(Effect::opaque(&what, Risk::Destroy, format!("{what} runs code generated by another command that mentions deleting or dropping")));
            }
            Stream::Generated(_) | Stream::Unknown => self.push(Effect::opaque(
                &what,
                Risk::Change,
                format!("{what} runs code produced by another command"),
            )),
            Stream::Terminal => self.push(Effect::opaque(
                &what,
                Risk::Change,
                format!("{what} starts an interactive session"),
            )),
        }
    }

    /// Runs a script file: analysed when it can be read, opaque otherwise.
    fn run_script(
        &mut self,
        path: Option<&Expanded>,
        inv: &Invocation,
        language: Language,
        sourced: bool,
    ) {
        let Some(path) = path else {
            self.stdin_code(inv, language);
            return;
        };
        let what = format!("`{}`", inv.display());
        // A shell reading holdpoint's files as a script shows them in its errors.
        if let Some(absolute) = path.value.as_deref().and_then(|p| self.absolute_of(p))
            && paths::in_holdpoint_home(&absolute, self.ctx)
        {
            self.push(Effect::self_protection(
                ObjectKind::Holdpoint,
                &absolute,
                format!(
                    "{what} reads `{absolute}`, holdpoint's own file, as a script; only a human may"
                ),
            ));
            return;
        }
        let text = path.value.as_deref().and_then(|p| self.read_file(p));
        let piped =
            path.best().starts_with("/dev/fd/") || path.best().starts_with("/proc/self/fd/");
        match text {
            Some(text) => self.run_script_text(&text, inv, language, sourced),
            // `sh <(…)`: the script is another command's output, not a file to look at.
            None if piped => self.cannot_analyse(format!(
                "{what} runs the output of another command as a script"
            )),
            None if self.changed_on_line(path.best()) => self.cannot_analyse(format!(
                "{what} runs the script `{}`, which the line changed in a way analysis cannot follow",
                path.best()
            )),
            // What the script does may still be said by its arguments
            // (`php bin/console doctrine:schema:drop`, `python manage.py flush`).
            None if self.destructive_arguments(
                inv,
                &inv.args()
                    .iter()
                    .skip_while(|a| a.best() != path.best())
                    .skip(1)
                    .map(|a| a.best().to_owned())
                    .collect::<Vec<_>>(),
                tools::Verbs::Undecided,
            ) => {}
            None => self.push(Effect::opaque(
                path.best(),
                Risk::Change,
                format!(
                    "{what} runs the script `{}`, which could not be read",
                    path.best()
                ),
            )),
        }
    }

    /// Runs a script's text: shell, or the language its first line names.
    fn run_script_text(&mut self, text: &str, inv: &Invocation, language: Language, sourced: bool) {
        let what = format!("`{}`", inv.display());
        let language = if language == Language::Other {
            shebang_language(text)
        } else {
            language
        };
        if language == Language::Other {
            let saved = self.location.clone();
            self.nested(text, &what, Stream::Terminal);
            if !sourced {
                self.location = saved;
            }
        } else {
            self.code(text, language, &what);
        }
    }

    fn code(&mut self, code: &str, language: Language, what: &str) {
        let ctx = self.ctx;
        let files = self.files;
        let nesting = self.nesting;
        let unanalysable_reason: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
        let this = &*self;
        let mut shell = |command: &str| {
            let (effects, reason) = this.scratch_walk(command);
            if let Some(reason) = reason {
                unanalysable_reason.borrow_mut().get_or_insert(reason);
            }
            effects
        };
        let sql = |statement: &str| {
            let (analysis, ran_out) =
                sql::analyse_within(statement, sql::Dialect::Postgres, nesting);
            if let Some(reason) = ran_out {
                unanalysable_reason.borrow_mut().get_or_insert(reason);
            }
            analysis.effects
        };
        let location = &this.location;
        let place = |path: &str| match paths::zone(Some(path), path, location, ctx) {
            Zone::Workspace | Zone::Temp | Zone::Harmless => code::Place::Workspace,
            Zone::Protected(kind) => code::Place::Protected(kind),
            Zone::WholeWorkspace | Zone::Device | Zone::Outside => code::Place::Outside,
        };
        // A module imported by name is loaded from the working directory first: as the
        // line wrote it, or as it is on disk.
        let written = &this.written;
        let module = |name: &str| -> Option<String> {
            let Location::Local(Some(dir)) = location else {
                return None;
            };
            let extension = match language {
                Language::Python => "py",
                Language::JavaScript => "js",
                _ => return None,
            };
            [
                format!("{dir}/{name}.{extension}"),
                format!("{dir}/{name}/__init__.py"),
            ]
            .iter()
            .find_map(|path| written.get(path).cloned().or_else(|| files.read(path)))
        };
        let judged = code::analyse(code, language, what, &mut shell, &sql, &place, &module);
        for effect in judged.effects {
            self.push(effect);
        }
        // Code that walks a tree reads below every directory it names, as `grep -r` does.
        let reach = if code::walks_trees(code) {
            Reach::Tree
        } else {
            Reach::One
        };
        let mut named = code::path_candidates(code);
        named.extend(code::home_paths(code));
        self.reads_named(named, reach, what);
        // A route of holdpoint's own server that only a human may use, named by the code
        // (`urlopen('…/approvals/apr-…/approve', data=…)`), is judged as `curl` naming it
        // is; code may send anything, so it counts as a request that writes.
        if code::urls(code)
            .iter()
            .any(|url| reads::human_only_route(url, true))
        {
            let command = what.trim_matches('`');
            self.push(Effect::self_protection(
                ObjectKind::Holdpoint,
                command,
                format!("`{command}` asks holdpoint's own server for what only a human may do (approve, refuse, grant, end a freeze, add an agent, sign in)"),
            ));
        }
        if let Some(reason) = judged.unanalysable {
            self.cannot_analyse(reason);
        }
        if let Some(reason) = unanalysable_reason.borrow_mut().take() {
            self.unanalysable_reason.get_or_insert(reason);
        }
    }

    /// Judges the paths code names (inline code, a local database engine's SQL) as what
    /// it reads.
    // INVARIANT: a path code names is read by it, as a command's operands are
    // (`reads.rs`), whatever the code does with it, which is known only when it runs:
    // holdpoint's own files are refused (`open(…ledger.key).read()`,
    // `sqlite3.connect(…store.db)`, `readfile('…')`), credentials are `read:secret`.
    fn reads_named(&mut self, paths: Vec<String>, reach: Reach, what: &str) {
        let command = what.trim_matches('`');
        // A path found twice (a literal that is also a bare word) is read once.
        let mut seen = HashSet::new();
        for path in paths {
            // `os.path.expanduser('~/.aws/credentials')`, `File.expand_path('~/…')`:
            // code names the home as a shell would.
            let path = match (path.strip_prefix("~/"), self.ctx.home.as_deref()) {
                (Some(rest), Some(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
                _ => path,
            };
            if !seen.insert(path.clone()) {
                continue;
            }
            let operand = Expanded::literal(&path);
            if let reads::OperandRead::Holdpoint = self.operand_read(&operand, reach, command) {
                break;
            }
        }
    }

    fn ssh(&mut self, inv: &Invocation, args: &[String]) {
        // Its options: `-o ProxyCommand=…`, `-F FILE`, `-E LOG`.
        if let Some(tool) = tools::lookup("ssh") {
            let unknown = self.apply_options(tool, inv, args);
            self.unknown_options(inv, &unknown);
        }
        if self.secret_input() || self.args_secret {
            self.credentials_sent(&inv.display());
        }
        let value_flags = [
            "-i", "-p", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-W", "-b", "-c", "-E", "-e",
            "-m", "-O", "-Q", "-S", "-w", "-B", "-P",
        ];
        let Some(host_at) = command_start(args, &value_flags, 0) else {
            self.push(Effect::opaque(
                inv.display(),
                Risk::Change,
                format!("`{}` has no host", inv.display()),
            ));
            return;
        };
        let host = args.get(host_at).cloned().unwrap_or_default();
        let rest: Vec<&str> = args.iter().skip(host_at + 1).map(String::as_str).collect();
        if rest.is_empty() {
            match &inv.stdin {
                Stream::Text(text) => {
                    let text = text.clone();
                    self.remote(&text, &host, "a remote command");
                }
                _ => self.push(Effect::opaque(
                    &host,
                    Risk::Change,
                    format!("`{}` opens a shell on `{host}`", inv.display()),
                )),
            }
            return;
        }
        let stdin = inv.stdin.clone();
        self.remote_with_input(&rest.join(" "), &host, "a remote command", stdin);
    }

    /// `kubectl exec POD -- CMD`, `docker exec CONTAINER CMD`, `docker compose exec SVC CMD`.
    fn exec_in_container(&mut self, base: &str, inv: &Invocation, args: &[String]) -> bool {
        // Global options may come before the subcommand: `kubectl -n prod exec …`.
        let global_value_flags = [
            "-n",
            "--namespace",
            "--context",
            "--kubeconfig",
            "--cluster",
            "--user",
            "-s",
            "--server",
            "--token",
            "--as",
            "-H",
            "--host",
            "--config",
            "-l",
            "--log-level",
        ];
        let lead = command_start(args, &global_value_flags, 0).unwrap_or(0);
        if lead > 0
            && matches!(
                base,
                "kubectl" | "oc" | "k" | "docker" | "podman" | "nerdctl"
            )
        {
            let mut argv = vec![inv.argv.first().cloned().unwrap_or_default()];
            argv.extend(inv.args().get(lead..).unwrap_or(&[]).iter().cloned());
            let shifted = Invocation {
                argv,
                stdin: inv.stdin.clone(),
            };
            let rest: Vec<String> = args.get(lead..).unwrap_or(&[]).to_vec();
            return self.exec_in_container(base, &shifted, &rest);
        }
        let (offset, value_flags): (usize, &[&str]) = match (
            base,
            args.first().map(String::as_str),
            args.get(1).map(String::as_str),
        ) {
            ("kubectl" | "oc" | "k", Some("exec"), _) => (
                1,
                &[
                    "-n",
                    "--namespace",
                    "-c",
                    "--container",
                    "--context",
                    "-f",
                    "--filename",
                    "--pod-running-timeout",
                    "--kubeconfig",
                ],
            ),
            ("docker" | "podman" | "nerdctl", Some("exec"), _) => (
                1,
                &[
                    "-e",
                    "--env",
                    "-u",
                    "--user",
                    "-w",
                    "--workdir",
                    "--env-file",
                    "--detach-keys",
                ],
            ),
            ("docker" | "podman", Some("compose"), Some("exec" | "run")) => (
                2,
                &[
                    "-e",
                    "--env",
                    "-u",
                    "--user",
                    "-w",
                    "--workdir",
                    "--index",
                    "--name",
                    "--entrypoint",
                    "-v",
                    "--volume",
                    "-p",
                    "--publish",
                ],
            ),
            // A container with host directories mounted can reach the host's files.
            ("docker" | "podman" | "nerdctl", Some("run"), _)
                if args.iter().any(|a| {
                    a == "-v"
                        || a.starts_with("--volume")
                        || a.starts_with("--mount")
                        || a.starts_with("-v")
                }) =>
            {
                self.push(Effect::new(
                    Verb::Execute,
                    ObjectKind::Container,
                    inv.display(),
                    Risk::Change,
                    format!(
                        "`{}` runs a container with host directories mounted",
                        inv.display()
                    ),
                ));
                (
                    1,
                    &[
                        "-v",
                        "--volume",
                        "--mount",
                        "-e",
                        "--env",
                        "--env-file",
                        "-p",
                        "--publish",
                        "--name",
                        "-w",
                        "--workdir",
                        "--entrypoint",
                        "-u",
                        "--user",
                        "--network",
                        "--net",
                        "-l",
                        "--label",
                        "--platform",
                        "-m",
                        "--memory",
                        "--cpus",
                        "-h",
                        "--hostname",
                        "--add-host",
                        "--restart",
                        "--log-driver",
                        "--cap-add",
                        "--cap-drop",
                        "--device",
                        "--tmpfs",
                        "--volumes-from",
                        "--pull",
                        "--ipc",
                        "--pid",
                        "--security-opt",
                        "--ulimit",
                        "--gpus",
                        "--shm-size",
                        "--dns",
                        "--expose",
                        "--health-cmd",
                        "--stop-signal",
                        "--runtime",
                        "--group-add",
                        "--cidfile",
                        "-a",
                        "--attach",
                    ],
                )
            }
            _ => return false,
        };
        let rest: Vec<String> = args.iter().skip(offset).cloned().collect();
        if let Some(dash) = rest.iter().position(|a| a == "--") {
            let target = rest
                .iter()
                .take(dash)
                .find(|a| !a.starts_with('-'))
                .cloned()
                .unwrap_or_default();
            if dash + 1 < rest.len() {
                return self.container_command(inv, offset + dash + 2, &target);
            }
        }
        match command_start(&rest, value_flags, 0) {
            Some(target_at) if base != "kubectl" && base != "oc" && base != "k" => {
                let target = rest.get(target_at).cloned().unwrap_or_default();
                if target_at + 1 < rest.len() {
                    return self.container_command(inv, offset + target_at + 2, &target);
                }
                false
            }
            _ => false,
        }
    }

    fn container_command(&mut self, inv: &Invocation, start: usize, target: &str) -> bool {
        let saved = std::mem::replace(&mut self.location, Location::Remote(target.to_owned()));
        let before = self.effects.len();
        self.invoke(inv.tail(start));
        self.location = saved;
        for effect in self.effects.iter_mut().skip(before) {
            effect.summary = format!("in `{target}`: {}", effect.summary);
        }
        true
    }

    /// `npx prisma …`, `poetry run alembic …`, `bundle exec rails …`: the command after
    /// the runner's own words is what runs.
    fn package_runner(&mut self, base: &str, inv: &Invocation, args: &[String]) -> bool {
        let sub = args.first().map(String::as_str);
        let (skip_words, extra): (usize, usize) = match (base, sub) {
            ("npx" | "bunx" | "pnpx" | "dotenv" | "with-contenv" | "dotenvx", _) => (0, 0),
            ("npm", Some("exec" | "x"))
            | ("pnpm", Some("exec" | "dlx"))
            | ("yarn", Some("dlx" | "exec"))
            | ("bun", Some("x")) => (1, 0),
            ("bundle" | "bundler" | "asdf" | "mise" | "rtx", Some("exec" | "x")) => (1, 0),
            (
                "poetry" | "uv" | "pipenv" | "pdm" | "rye" | "hatch" | "conda" | "mamba"
                | "micromamba" | "op" | "doppler" | "infisical" | "pixi" | "uvx",
                Some("run"),
            ) => (1, 0),
            ("uvx" | "pipx", Some(_)) if base == "uvx" || sub == Some("run") => {
                (usize::from(base == "pipx"), 0)
            }
            ("direnv", Some("exec")) | ("aws-vault", Some("exec")) => (1, 1),
            ("yarn" | "pnpm" | "bun", Some(tool))
                if tools::lookup(tool).is_some_and(|t| {
                    t.object != ObjectKind::Package && t.object != ObjectKind::Command
                }) =>
            {
                (0, 0)
            }
            _ => return false,
        };
        // A name the project defines as a script (hatch's and pdm's `scripts`, rye's,
        // Pipfile's `[scripts]`, pixi's tasks, an entry point of `[project.scripts]`)
        // runs what the project says, whatever command of that name it stands for: the
        // project's own code, which the hooks run inside holdpoint's sandbox.
        if sub == Some("run")
            && matches!(
                base,
                "poetry" | "uv" | "pipenv" | "pdm" | "rye" | "hatch" | "pixi"
            )
        {
            let text = format!("`{}`", inv.display());
            let mut effect = Effect::new(
                Verb::Execute,
                ObjectKind::Code,
                &text,
                Risk::Workspace,
                format!(
                    "{text} runs the project's own script of that name where the project defines one"
                ),
            );
            effect.runs_project_code = true;
            self.push(effect);
        }
        let rest: Vec<String> = args.iter().skip(skip_words).cloned().collect();
        if sub == Some("run") && self.runner_script(base, inv, &rest) {
            return true;
        }
        if let Some(code) = flag_value(&rest, &["-c", "--call"]) {
            self.nested(code, &format!("`{base}`"), Stream::Terminal);
            return true;
        }
        let value_flags = [
            "-p",
            "--package",
            "-n",
            "--name",
            "-e",
            "--env-file",
            "--with",
            "--python",
            "--directory",
            "--project",
            "--from",
            "--config",
            "-C",
            "--cwd",
            "--filter",
            "-F",
            "--env",
            "--environment",
            "--project-dir",
        ];
        match command_start(&rest, &value_flags, extra) {
            Some(start) => {
                self.invoke(inv.tail(start + skip_words + 1));
            }
            None => self.tool_from_table(base, inv, args),
        }
        true
    }

    fn xargs(&mut self, inv: &Invocation, args: &[String]) {
        if inv.name().ends_with("parallel")
            && args.iter().any(|a| a == "--dry-run" || a == "--dryrun")
        {
            return self.tool_effect(
                inv,
                ObjectKind::Command,
                Risk::Read,
                "only prints the commands it would run",
            );
        }
        let value_flags = [
            "-I",
            "-i",
            "-n",
            "-P",
            "-L",
            "-l",
            "-d",
            "-E",
            "-e",
            "-s",
            "-a",
            "--max-args",
            "--max-procs",
            "--delimiter",
            "--arg-file",
            "--replace",
            "-j",
            "--jobs",
            "-S",
            "--joblog",
        ];
        let Some(start) = command_start(args, &value_flags, 0) else {
            return;
        };
        let mut argv: Vec<Expanded> = inv.args().get(start..).unwrap_or(&[]).to_vec();
        // The arguments xargs appends come from its input: unknown to analysis, unless
        // the input is what `find` or `locate` finds, which is judged as such.
        let from_input = match found_by(&inv.stdin) {
            Some(found) => found,
            None => Expanded {
                value: None,
                text: "{input}".to_owned(),
                ..Expanded::default()
            },
        };
        let replace = flag_value(args, &["-I", "--replace", "-i"]);
        match replace {
            Some(token) => {
                for arg in &mut argv {
                    let text = arg.best().to_owned();
                    if text == token {
                        *arg = from_input.clone();
                    } else if text.contains(token) {
                        // The input lands inside a longer word (`sh -c 'rm -rf /srv/{}'`):
                        // the rest of the word is still known.
                        let placed = text.replace(token, "input");
                        *arg = Expanded {
                            value: arg.value.as_ref().map(|_| placed.clone()),
                            text: placed,
                            glob: true,
                            ..Expanded::default()
                        };
                    }
                }
            }
            None => argv.push(from_input),
        }
        self.invoke(Invocation {
            argv,
            stdin: Stream::Terminal,
        });
    }

    fn find(&mut self, inv: &Invocation) {
        let args = inv.args();
        let mut roots: Vec<Expanded> = Vec::new();
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            let text = arg.best();
            if text.starts_with('-') && !matches!(text, "-H" | "-L" | "-P")
                || text == "("
                || text == "!"
            {
                break;
            }
            if !matches!(text, "-H" | "-L" | "-P") {
                roots.push(arg.clone());
            }
            i += 1;
        }
        if roots.is_empty() {
            roots.push(Expanded::literal("."));
        }
        let mut writes = false;
        while let Some(arg) = args.get(i) {
            match arg.best() {
                "-delete" => {
                    writes = true;
                    // With tests before it, -delete removes what matched below the root;
                    // without, everything below it.
                    let filtered = args.iter().take(i).any(|a| FIND_TESTS.contains(&a.best()));
                    for root in roots.clone() {
                        let target = if filtered {
                            found_below(&root, name_pattern(args))
                        } else {
                            root
                        };
                        self.delete_path(&target, true, "`find -delete`");
                    }
                }
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    let mut argv = Vec::new();
                    let mut j = i + 1;
                    while let Some(part) = args.get(j) {
                        if part.best() == ";" || part.best() == "+" {
                            break;
                        }
                        argv.push(part.clone());
                        j += 1;
                    }
                    for root in roots.clone() {
                        let found = found_below(&root, name_pattern(args));
                        let substituted: Vec<Expanded> = argv
                            .iter()
                            .map(|a| {
                                if a.best().contains("{}") {
                                    found.clone()
                                } else {
                                    a.clone()
                                }
                            })
                            .collect();
                        self.invoke(Invocation {
                            argv: substituted,
                            stdin: Stream::Terminal,
                        });
                    }
                    writes = true;
                    i = j;
                }
                "-fprint" | "-fprint0" | "-fprintf" | "-fls" => {
                    if let Some(target) = args.get(i + 1) {
                        let target = target.clone();
                        self.write_path(&target, WriteKind::Truncate, "`find`");
                    }
                    writes = true;
                }
                _ => {}
            }
            i += 1;
        }
        if !writes {
            self.tool_effect(inv, ObjectKind::File, Risk::Read, "only lists files");
        }
    }

    fn remove(&mut self, base: &str, inv: &Invocation) {
        let args = inv.args();
        let recursive = args.iter().any(|a| {
            let t = a.best();
            t == "--recursive"
                || (t.starts_with('-')
                    && !t.starts_with("--")
                    && (t.contains('r') || t.contains('R')))
        });
        let how = format!("`{base}`");
        let targets = self.positional_paths(inv, &[]);
        if base == "trash" || base == "trash-put" {
            for path in targets {
                self.write_path(&path, WriteKind::Modify, &how);
            }
            return;
        }
        if base == "gio"
            && args
                .first()
                .is_none_or(|a| a.best() != "remove" && a.best() != "trash")
        {
            return self.tool_effect(inv, ObjectKind::File, Risk::Read, "only reads files");
        }
        for path in targets {
            if base == "gio" && matches!(path.best(), "remove" | "trash") {
                continue;
            }
            if base == "shred" || base == "srm" {
                match self.zone(&path) {
                    Zone::Temp | Zone::Harmless => self.delete_path(&path, recursive, &how),
                    Zone::Protected(object) => self.push(Effect::self_protection(
                        object,
                        path.best(),
                        format!("{how} destroys `{}`, which protects holdpoint", path.best()),
                    )),
                    _ => self.push(Effect::new(
                        Verb::Delete,
                        ObjectKind::File,
                        path.best(),
                        Risk::Destroy,
                        format!("{how} overwrites `{}` beyond recovery", path.best()),
                    )),
                }
                continue;
            }
            self.delete_path(&path, recursive, &how);
        }
    }

    /// Positional arguments of a command treated as paths, skipping flags and the values
    /// of `value_flags`.
    fn positional_paths(&self, inv: &Invocation, value_flags: &[&str]) -> Vec<Expanded> {
        let mut out = Vec::new();
        let mut args = inv.args().iter();
        let mut after_dashes = false;
        while let Some(arg) = args.next() {
            let text = arg.best();
            if after_dashes {
                out.push(arg.clone());
            } else if text == "--" {
                after_dashes = true;
            } else if text.starts_with('-') && text.len() > 1 {
                if value_flags.contains(&text) {
                    args.next();
                }
            } else {
                out.push(arg.clone());
            }
        }
        out
    }

    fn copy(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        let how = format!("`{base}`");
        if base == "rsync" && tools::Args::split(args, &[]).has_flag("-n")
            || args.iter().any(|a| a == "--dry-run" || a == "--list-only")
        {
            return self.tool_effect(
                inv,
                ObjectKind::File,
                Risk::Read,
                "only shows what would be copied",
            );
        }
        let value_flags: &[&str] = match base {
            "rsync" => tools::lookup("rsync").map_or(&[][..], |t| t.value_flags),
            "scp" => &["-i", "-P", "-o", "-F", "-J", "-l", "-c", "-S"],
            "install" => &[
                "-m",
                "--mode",
                "-o",
                "--owner",
                "-g",
                "--group",
                "-t",
                "--target-directory",
                "-S",
                "--suffix",
            ],
            "rclone" => &[
                "--config",
                "--exclude",
                "--include",
                "--filter",
                "--transfers",
                "--checkers",
            ],
            _ => &["-t", "--target-directory", "-S", "--suffix", "--backup"],
        };
        if matches!(base, "scp" | "rsync")
            && let Some(tool) = tools::lookup(base)
        {
            // `rsync -e CMD`, `--rsync-path`, `scp -S PROGRAM`, `-o ProxyCommand=…`.
            let unknown = self.apply_options(tool, inv, args);
            if base == "scp" {
                self.unknown_options(inv, &unknown);
            }
        }
        let mut paths = self.positional_paths(inv, value_flags);
        if base == "rclone" && !paths.is_empty() {
            let sub = paths.remove(0);
            if matches!(
                sub.best(),
                "ls" | "lsd"
                    | "lsl"
                    | "lsf"
                    | "cat"
                    | "size"
                    | "check"
                    | "about"
                    | "tree"
                    | "listremotes"
                    | "lsjson"
                    | "md5sum"
                    | "sha1sum"
                    | "hashsum"
                    | "checksum"
                    | "cryptcheck"
                    | "version"
                    | "help"
            ) || (sub.best() == "config"
                && paths.first().is_some_and(|p| {
                    matches!(
                        p.best(),
                        "file" | "paths" | "providers" | "redacted" | "show" | "dump"
                    )
                }))
            {
                return self.tool_effect(
                    inv,
                    ObjectKind::Storage,
                    Risk::Read,
                    "only reads storage",
                );
            }
            if matches!(
                sub.best(),
                "delete" | "deletefile" | "purge" | "rmdir" | "rmdirs" | "cleanup" | "dedupe"
            ) {
                for path in &paths {
                    // `remote:path` names a remote, not a file in the working directory.
                    if path.best().contains(':') && !path.best().starts_with('/') {
                        self.tool_effect(
                            inv,
                            ObjectKind::Storage,
                            Risk::Destroy,
                            "deletes files in remote storage",
                        );
                    } else {
                        self.delete_path(path, true, &how);
                    }
                }
                return;
            }
            if !matches!(
                sub.best(),
                "copy" | "copyto" | "move" | "moveto" | "sync" | "bisync" | "copyurl"
            ) {
                // `mkdir`, `touch`, `rcat`, `link`, `mount`, `serve`, `config create`, …:
                // nothing here only reads.
                return self.tool_effect(
                    inv,
                    ObjectKind::Storage,
                    Risk::Change,
                    "changes storage or rclone's configuration",
                );
            }
        }
        // `install -d DIR…` makes each directory, and sets the mode, owner and group it
        // is given on each, one that already exists too. Short options bundle (`-dm000`):
        // a value option takes the rest of its word.
        let (mut directory, mut sets) = (false, false);
        for arg in args.iter().filter(|_| base == "install") {
            match arg.as_str() {
                "--directory" => directory = true,
                "--mode" | "--owner" | "--group" => sets = true,
                long if long.starts_with("--") => {
                    sets |= ["--mode=", "--owner=", "--group="]
                        .iter()
                        .any(|p| long.starts_with(p));
                }
                short if short.starts_with('-') => {
                    for c in short.chars().skip(1) {
                        match c {
                            'd' => directory = true,
                            'm' | 'o' | 'g' => {
                                sets = true;
                                break;
                            }
                            't' | 'S' => break,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if base == "install" && directory {
            let kind = if sets {
                WriteKind::Metadata
            } else {
                WriteKind::Modify
            };
            for path in &paths {
                self.write_path(path, kind, "`install -d`");
            }
            return;
        }
        let target_flag = flag_value(args, &["-t", "--target-directory"]).map(Expanded::literal);
        let destination = match target_flag {
            Some(dir) => Some(dir),
            None if paths.len() >= 2 || base == "ln" => paths.pop(),
            None => None,
        };
        let Some(destination) = destination else {
            return;
        };
        // `--remove-source-files` deletes what was sent: a move.
        if base == "rsync" && args.iter().any(|a| a == "--remove-source-files") {
            for source in &paths {
                self.delete_path(source, true, "`rsync --remove-source-files`");
            }
        }
        let deletes = base == "rsync" && args.iter().any(|a| a.starts_with("--delete"))
            || base == "rclone"
                && inv
                    .args()
                    .first()
                    .is_some_and(|a| a.best() == "sync" || a.best() == "move");
        let remote = destination.best().contains(':') && !destination.best().starts_with('/');
        if remote && paths.iter().any(|p| self.names_credential(p)) {
            // A credential copied to another host cannot be taken back.
            self.credentials_sent(&inv.display());
        }
        if remote {
            let risk = if deletes { Risk::Destroy } else { Risk::Change };
            let summary = if deletes {
                format!(
                    "{how} deletes files on `{}` that the source lacks",
                    destination.best()
                )
            } else {
                format!("{how} copies files to `{}`", destination.best())
            };
            self.push(Effect::new(
                verb_for(risk),
                ObjectKind::File,
                destination.best(),
                risk,
                summary,
            ));
        } else if deletes {
            self.delete_path(&destination, true, &format!("{how} --delete"));
        } else if paths
            .iter()
            .any(|p| matches!(p.best(), "/dev/null" | "/dev/zero"))
        {
            self.write_path(
                &destination,
                WriteKind::Truncate,
                &format!("{how} from /dev/null"),
            );
        } else if names_a_file(destination.best()) && base != "ln" {
            // Copying or moving onto a file replaces what was there.
            self.write_path(&destination, WriteKind::Rewrite, &how);
        } else {
            self.write_path(&destination, WriteKind::Modify, &how);
        }
        // Links: symbolic (`ln -s`, `cp -s`) or hard (`ln`, `cp -l`), through which a
        // later write on the line writes what they name.
        let flags = tools::Args::split(args, &[]);
        let symbolic = match base {
            "ln" => flags.has_flag("-s") || flags.has_flag("--symbolic"),
            "cp" => flags.has_flag("-s") || flags.has_flag("--symbolic-link"),
            _ => false,
        };
        let hard = match base {
            "ln" => !symbolic,
            "cp" => flags.has_flag("-l") || flags.has_flag("--link"),
            _ => false,
        };
        if (symbolic || hard)
            && let (Some(target), Some(link), Location::Local(Some(dir))) = (
                paths.first().and_then(|p| p.value.clone()),
                destination.value.clone(),
                &self.location,
            )
        {
            let link = paths::normalise(dir, &link);
            // A symbolic link's relative target is relative to the directory the link is
            // in; a hard link's, to the current directory.
            let link_dir = link.rsplit_once('/').map_or("/", |(d, _)| d);
            let target = if symbolic {
                paths::normalise(if link_dir.is_empty() { "/" } else { link_dir }, &target)
            } else {
                paths::normalise(dir, &target)
            };
            if let Zone::Protected(kind) =
                paths::zone(Some(&target), &target, &self.location, self.ctx)
            {
                // A link into holdpoint's files or the hook settings is a way to write
                // them under another name.
                self.push(Effect::self_protection(
                    kind,
                    &target,
                    format!("`ln` links `{link}` to `{target}`, which protects holdpoint"),
                ));
            }
            self.links.push((link, target));
        }
        if base == "mv" {
            let to_nothing = destination
                .value
                .as_deref()
                .is_some_and(|d| d == "/dev/null");
            for source in &paths {
                if to_nothing {
                    self.push(Effect::new(
                        Verb::Delete,
                        ObjectKind::File,
                        source.best(),
                        Risk::Destroy,
                        format!(
                            "`mv` moves `{}` into /dev/null, destroying it",
                            source.best()
                        ),
                    ));
                } else {
                    match self.zone(source) {
                        Zone::WholeWorkspace => self.delete_path(source, true, &how),
                        _ => self.write_path(source, WriteKind::Modify, &how),
                    }
                }
            }
        }
    }

    fn touch(&mut self, base: &str, inv: &Invocation) {
        let how = format!("`{base}`");
        let mut paths = self.positional_paths(
            inv,
            &[
                "-m",
                "--mode",
                "-d",
                "--date",
                "-t",
                "-r",
                "--reference",
                "--from",
            ],
        );
        let metadata = matches!(
            base,
            "chmod" | "chown" | "chgrp" | "setfacl" | "chattr" | "touch"
        );
        if matches!(base, "chmod" | "chown" | "chgrp" | "setfacl" | "chattr") && !paths.is_empty() {
            paths.remove(0);
        }
        // `chmod -R 000 ~` reaches everything below, holdpoint's home included.
        let reach = if metadata
            && inv.args().iter().any(|a| {
                let a = a.best();
                a == "--recursive"
                    || (a.starts_with('-') && !a.starts_with("--") && a.contains('R'))
            }) {
            Reach::Tree
        } else {
            Reach::One
        };
        // Modes, owners, attributes and times leave what a file holds as it was.
        let kind = if metadata || base == "mkdir" {
            WriteKind::Metadata
        } else {
            WriteKind::Modify
        };
        for path in paths {
            self.write_path_reaching(&path, kind, &how, reach);
        }
    }

    /// `sed -i`, `perl -i`, `awk -i inplace`: edits the named files.
    fn edit_in_place(&mut self, inv: &Invocation, skip_script: usize) {
        let how = format!("`{}` in place", basename(inv.name()));
        // `-i.bak` keeps a copy of each file; a bare `-i` rewrites it with none.
        let keeps_backup = inv.args().iter().any(|a| {
            let t = a.best();
            t.strip_prefix("-i")
                .is_some_and(|s| !s.is_empty() && !s.starts_with('-'))
                || t.strip_prefix("--in-place=").is_some_and(|s| !s.is_empty())
        });
        let kind = if keeps_backup {
            WriteKind::Modify
        } else {
            WriteKind::Rewrite
        };
        let paths = self.positional_paths(
            inv,
            &[
                "-e",
                "-f",
                "--expression",
                "--file",
                "-E",
                "-l",
                "--line-length",
            ],
        );
        for path in paths.into_iter().skip(skip_script) {
            self.write_path(&path, kind, &how);
        }
    }

    fn holdpoint(&mut self, inv: &Invocation, args: &[String]) {
        let split = tools::Args::split(
            args,
            &[
                "--env",
                "--format",
                "--policies",
                "--cwd",
                "--reason",
                "--agent",
                "--task",
                "--target",
                "--max-risk",
                "--ttl",
                "--until",
                "--batch",
                "--project",
                "--listen",
            ],
        );
        let words: Vec<&str> = split.positionals.iter().take(2).copied().collect();
        let read = matches!(
            words.as_slice(),
            [] | ["check", ..]
                | ["policy", "validate" | "test", ..]
                | ["log", "show" | "tail" | "export" | "verify" | "receipt", ..]
                | ["approvals", "list" | "show", ..]
                | ["grant" | "freeze", "list", ..]
                | ["report", ..]
                | ["help", ..]
                | ["version", ..]
        ) || split.has_flag("--help")
            || split.has_flag("-h")
            || split.has_flag("--version")
            || split.has_flag("-V");
        let limiting = matches!(
            words.as_slice(),
            ["freeze", "start", ..] | ["grant", "revoke", ..] | ["exec", ..]
        );
        if matches!(words.as_slice(), ["hook", ..]) {
            // The hook is the agent runtime's voice: what the person asked for a turn,
            // what a call did, where a turn ended. An agent that runs it itself speaks
            // for the person and for its runtime.
            let text = inv.display();
            self.push(Effect::self_protection(
                ObjectKind::Holdpoint,
                &text,
                format!("`{text}` speaks as the agent's runtime (the person's instruction, what a call did, the end of a turn); only the runtime may"),
            ));
            return;
        }
        if matches!(words.as_slice(), ["exec", ..]) {
            // `holdpoint exec [OPTIONS] [--] CMD…` runs CMD: analyse that. Choosing the
            // environment or the agent identity is the agent claiming a weaker policy.
            let start = args.iter().position(|a| a == "exec").map(|i| i + 1);
            let mut index = start.unwrap_or(args.len());
            let mut command = None;
            while let Some(arg) = args.get(index) {
                match arg.as_str() {
                    "--" => {
                        command = Some(index + 1);
                        break;
                    }
                    "--env" | "--agent" | "--session" | "--wait" => index += 2,
                    a if a.starts_with("--") => index += 1,
                    _ => {
                        command = Some(index);
                        break;
                    }
                }
            }
            let claims = args.iter().any(|a| {
                ["--env", "--agent"]
                    .iter()
                    .any(|f| a == f || a.starts_with(&format!("{f}=")))
            });
            if claims {
                let text = inv.display();
                self.push(Effect::self_protection(
                    ObjectKind::Holdpoint,
                    &text,
                    format!("`{text}` chooses the environment or agent holdpoint judges it by; only a human may"),
                ));
            }
            match command.filter(|c| *c < args.len()) {
                Some(command) => {
                    self.invoke(inv.tail(command + 1));
                }
                None => self.push(Effect::opaque(
                    inv.display(),
                    Risk::Change,
                    "`holdpoint exec` with a command holdpoint cannot find",
                )),
            }
            return;
        }
        if read {
            self.tool_effect(
                inv,
                ObjectKind::Holdpoint,
                Risk::Read,
                "only reads holdpoint's state",
            );
        } else if limiting {
            self.tool_effect(
                inv,
                ObjectKind::Holdpoint,
                Risk::Change,
                "only restricts what agents may do",
            );
        } else {
            let text = inv.display();
            self.push(Effect::self_protection(
                ObjectKind::Holdpoint,
                &text,
                format!("`{text}` would approve, grant, end a freeze or change holdpoint itself; only a human may"),
            ));
        }
    }

    fn database_client(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        let what = format!("`{}`", inv.display());
        // Only the line's one psql may leave its SQL to a proxy, and only when all its
        // connection settings name the same one.
        let gate = if std::mem::take(&mut self.gate_open) && base == "psql" {
            gate::psql_destination(args).and_then(|(hosts, port)| {
                self.ctx
                    .gates
                    .iter()
                    .find(|g| gate::only_through(g, &hosts, port))
                    .map(|g| g.name.clone())
            })
        } else {
            None
        };
        if base == "psql" {
            self.psql_output(args, &what);
        }
        let dialect = match base {
            "mysql" | "mariadb" | "mycli" => sql::Dialect::MySql,
            "sqlite3" | "sqlite" | "litecli" | "duckdb" => sql::Dialect::Sqlite,
            _ => sql::Dialect::Postgres,
        };
        let mut scripts: Vec<String> = Vec::new();
        let value_flags: &[&str] = match base {
            "psql" | "pgcli" | "usql" => &[
                "-d",
                "--dbname",
                "-h",
                "--host",
                "-p",
                "--port",
                "-U",
                "--username",
                "-v",
                "--set",
                "--variable",
                "-P",
                "--pset",
                "-F",
                "--field-separator",
                "-R",
                "--record-separator",
                "-o",
                "--output",
                "-L",
                "--log-file",
                "-T",
                "--table-attr",
            ],
            "mysql" | "mariadb" | "mycli" => &[
                "-u",
                "--user",
                "-h",
                "--host",
                "-P",
                "--port",
                "-D",
                "--database",
                "-S",
                "--socket",
                "--default-character-set",
                "--defaults-file",
                "--login-path",
            ],
            "sqlite3" | "sqlite" | "litecli" | "duckdb" => {
                &["-cmd", "-separator", "-nullvalue", "-newline"]
            }
            _ => &[
                "-h",
                "--host",
                "--port",
                "-u",
                "--user",
                "--password",
                "-d",
                "--database",
                "--url",
                "--certs-dir",
            ],
        };
        // Statements given on the command line.
        let mut iter = args.iter().enumerate();
        let mut files: Vec<String> = Vec::new();
        while let Some((_, arg)) = iter.next() {
            let statement_flags: &[&str] = match base {
                "psql" | "pgcli" | "usql" => &["-c", "--command"],
                "cockroach" => &["-e", "--execute"],
                // `--init-command` runs its statement on connecting, before the rest.
                "mysql" | "mariadb" | "mycli" => &["-e", "--execute", "--init-command"],
                "clickhouse-client" | "clickhouse" => &["-q", "--query"],
                "sqlite3" | "sqlite" | "litecli" => &["-cmd"],
                // DuckDB's `-c COMMAND` runs it and exits; `-s` is its older spelling.
                "duckdb" => &["-cmd", "-c", "-s"],
                _ => &["-e", "--execute", "-c", "--command"],
            };
            // Bundled one-letter flags ending in the statement flag: `psql -Atc 'SQL'`.
            let statement_letter = if matches!(base, "mysql" | "mariadb" | "mycli") {
                'e'
            } else {
                'c'
            };
            if arg.len() > 2
                && arg.starts_with('-')
                && !arg.starts_with("--")
                && arg.ends_with(statement_letter)
                && arg.chars().skip(1).all(|c| c.is_ascii_alphabetic())
            {
                if let Some((_, statement)) = iter.next() {
                    scripts.push(statement.clone());
                }
                continue;
            }
            let file_flags = ["-f", "--file", "--queries-file"];
            if statement_flags.contains(&arg.as_str()) {
                if let Some((_, statement)) = iter.next() {
                    scripts.push(statement.clone());
                }
            } else if let Some(statement) = [
                "--command=",
                "--execute=",
                "--query=",
                "--eval=",
                "--init-command=",
            ]
            .iter()
            .find_map(|p| arg.strip_prefix(p))
            {
                scripts.push(statement.to_owned());
            } else if let Some(statement) = arg
                .strip_prefix("-e")
                .filter(|s| !s.is_empty() && matches!(base, "mysql" | "mariadb"))
            {
                // mysql takes `-eSQL` with the statement attached.
                scripts.push(statement.to_owned());
            } else if file_flags.contains(&arg.as_str())
                && let Some((_, file)) = iter.next()
            {
                files.push(file.clone());
            }
        }
        if matches!(base, "sqlite3" | "sqlite" | "litecli" | "duckdb") {
            let positionals = tools::Args::split(args, value_flags).positionals;
            let database = positionals.first().map(|d| (*d).to_owned());
            scripts.extend(positionals.iter().skip(1).map(|s| (*s).to_owned()));
            if let Some(database) = database {
                let path = Expanded::literal(&database);
                if let Zone::Protected(object) = self.zone(&path) {
                    let texts: Vec<String> = scripts.clone();
                    let writes = texts.is_empty()
                        || texts.iter().any(|t| {
                            sql::analyse_within(t, dialect, self.nesting).0.risk() > Risk::Read
                        });
                    if writes {
                        self.push(Effect::self_protection(
                            object,
                            &database,
                            format!("{what} writes holdpoint's store"),
                        ));
                        return;
                    }
                }
            }
        }
        for file in files {
            let path = Expanded::literal(&file);
            match self.file_stream(&path) {
                Stream::Text(text) => scripts.push(text),
                _ if file == "-" => {}
                _ if self.changed_on_line(&file) => self.cannot_analyse(format!(
                    "{what} runs the SQL file `{file}`, which the line changed in a way analysis cannot follow"
                )),
                _ => self.push(Effect::opaque(
                    &file,
                    Risk::Change,
                    format!("{what} runs the SQL file `{file}`, which could not be read"),
                )),
            }
        }
        let listing = args.iter().any(|a| {
            matches!(
                a.as_str(),
                "-l" | "--list" | "--version" | "-V" | "--help" | "-?"
            )
        });
        if scripts.is_empty() && !listing {
            match &inv.stdin {
                Stream::Text(text) => scripts.push(text.clone()),
                Stream::Terminal => {
                    self.push(Effect::opaque(
                        &what,
                        Risk::Change,
                        format!("{what} opens an interactive database session"),
                    ));
                    return;
                }
                generated @ Stream::Generated(_) if generated.generates_destruction() => {
                    self.push(Effect::opaque(&what, Risk::Destroy, format!("{what} runs SQL generated by another command that mentions dropping or deleting")));
                    return;
                }
                Stream::Network | Stream::Decoded | Stream::Unknown | Stream::Generated(_) => {
                    self.push(Effect::opaque(
                        &what,
                        Risk::Change,
                        format!("{what} runs SQL produced by another command"),
                    ));
                    return;
                }
            }
        }
        if scripts.is_empty() {
            self.tool_effect(
                inv,
                ObjectKind::Database,
                Risk::Read,
                "only lists databases",
            );
            return;
        }
        // The client may be told to read with other settings than holdpoint's; then only
        // SQL that every setting reads alike is what holdpoint reads.
        if matches!(base, "psql" | "pgcli" | "usql")
            && let Some(setting) = self.client_settings(args)
            && let Some(unlike) = scripts
                .iter()
                .find(|script| !sql_settings::reads_the_same_everywhere(script))
        {
            self.push(sql_settings::effect(
                &setting,
                &format!("{what} is told to use it"),
            ));
            self.push(Effect::opaque(
                &what,
                Risk::Destroy,
                format!(
                    "{what} sends SQL with backslashes or non-ASCII text (`{}`) that the database reads with `{setting}` differently from holdpoint: it could do anything",
                    unlike.chars().take(60).collect::<String>()
                ),
            ));
        }
        let before = self.effects.len();
        // An engine that runs in this process reads the files its SQL names
        // (`readfile('…')`, `read_csv('…')`, `.read …`, `ATTACH '…'`), with this user's
        // rights.
        if matches!(base, "sqlite3" | "sqlite" | "litecli" | "duckdb") {
            let named: Vec<String> = scripts
                .iter()
                .flat_map(|script| code::path_candidates(script))
                .collect();
            self.reads_named(named, Reach::One, &what);
            // And writes the files the SQLite shell's `writefile('…', …)` names.
            for file in scripts
                .iter()
                .flat_map(|script| written_by_writefile(script))
            {
                self.write_path(
                    &Expanded::literal(&file),
                    WriteKind::Truncate,
                    &format!("{what}'s `writefile`"),
                );
            }
        }
        self.gate = gate;
        for script in scripts {
            self.client_script(&script, dialect, &what);
        }
        self.gate = None;
        // A database file in the workspace is the agent's own scratch data: changing it is
        // workspace work, though deleting its rows is still loss.
        let local_file = if matches!(base, "sqlite3" | "sqlite" | "litecli" | "duckdb") {
            // An in-memory or local database is scratch, unless the SQL attaches or
            // opens another one (`ATTACH '/var/lib/app.db' AS p; DROP TABLE p.users`),
            // whose place is not known here.
            let attaches = args
                .iter()
                .chain(match &inv.stdin {
                    Stream::Text(text) => Some(text),
                    _ => None,
                })
                .any(|text| {
                    let lowered = text.to_ascii_lowercase();
                    lowered.contains("attach")
                        || lowered.contains(".open")
                        || lowered.contains(".restore")
                });
            tools::Args::split(args, value_flags)
                .positionals
                .first()
                .filter(|_| !attaches)
                .map(|db| match *db {
                    ":memory:" | "" => Zone::Temp,
                    _ => self.zone(&Expanded::literal(db)),
                })
                .filter(|zone| matches!(zone, Zone::Workspace | Zone::Temp))
        } else {
            None
        };
        if let Some(zone) = local_file {
            for effect in self.effects.iter_mut().skip(before) {
                // A database in a temporary directory is scratch: even dropping from it
                // loses nothing that matters.
                let scratch = zone == Zone::Temp && effect.risk == Risk::Destroy;
                let on_data = matches!(
                    effect.object,
                    ObjectKind::Table
                        | ObjectKind::Row
                        | ObjectKind::Schema
                        | ObjectKind::Database
                        | ObjectKind::Role
                );
                if (effect.risk == Risk::Change || scratch) && on_data && !effect.opaque {
                    effect.risk = Risk::Workspace;
                }
            }
        }
    }

    /// A meta-command that sends output to `file`: a file written, a command run
    /// (`|COMMAND`), another program (the SQLite shell's `-e` and `-x`), or with no file
    /// the terminal again.
    fn meta_output(&mut self, file: &str, typed: &str, what: &str) {
        if let Some(command) = file.trim_start().strip_prefix('|') {
            self.nested(command, what, Stream::Terminal);
            self.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} sends query output to a command"),
            ));
            return;
        }
        if file.split_whitespace().any(|w| matches!(w, "-e" | "-x")) {
            self.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} opens query output in another program (`{typed}`)"),
            ));
            return;
        }
        let target = file
            .split_whitespace()
            .rfind(|word| !word.starts_with('-'))
            .unwrap_or("");
        if !target.is_empty() && !matches!(target, "stdout" | "stderr" | "off") {
            self.write_path(
                &Expanded::literal(target),
                WriteKind::Truncate,
                &format!("{what} `{typed}`"),
            );
        }
    }

    /// One meta-command of a database client's script (`\\o FILE`, `.backup FILE`), as
    /// the client names it (`command`; `typed` is what the script says), with the rest
    /// of its line. Those not known to be harmless are changes.
    fn meta_command(
        &mut self,
        command: &str,
        typed: &str,
        rest: &str,
        statements: &mut String,
        dialect: sql::Dialect,
        what: &str,
    ) {
        let file = rest.trim_matches(['\'', '"']).to_owned();
        match command {
            "!" | "shell" | "system" => self.nested(rest, what, Stream::Terminal),
            "i" | "ir" | "include" | "include_relative" | "read" | "." | "source" => {
                // The SQLite shell's `.read |COMMAND` runs the command and reads its output.
                if let Some(command) = file.strip_prefix('|') {
                    self.nested(command, what, Stream::Terminal);
                    self.push(Effect::opaque(
                        what,
                        Risk::Change,
                        format!("{what} runs SQL a command prints (`{typed}`)"),
                    ));
                } else {
                    self.include_sql_file(&file, dialect, what);
                }
            }
            // Output to a file, or to a command; with no file, back to the terminal. The
            // SQLite shell's `-e` and `-x` open the output in another program.
            "o" | "out" | "w" | "write" | "output" | "once" | "save" | "backup" | "s" | "log"
            | "trace" | "iotrace" | "clone" => self.meta_output(&file, typed, what),
            // MySQL's `\\T FILE` (`tee`) copies everything after it to the file.
            "T" | "tee" if dialect == sql::Dialect::MySql => self.meta_output(&file, typed, what),
            "restore" => {
                self.push(Effect::new(
                    Verb::Delete,
                    ObjectKind::Database,
                    what,
                    Risk::Destroy,
                    format!("{what} replaces the whole database from a backup (`.restore`)"),
                ));
            }
            // `.open --new FILE` deletes the file first; another file opened is where later
            // SQL goes, which the caller counts.
            "open" => {
                if file.split_whitespace().any(|w| w == "--new") {
                    let target = file
                        .split_whitespace()
                        .rfind(|w| !w.starts_with("--"))
                        .unwrap_or("")
                        .to_owned();
                    self.delete_path(
                        &Expanded::literal(&target),
                        false,
                        &format!("{what} `{typed} --new`"),
                    );
                }
            }
            "gexec" | "g" | "gset" | "gx" => {
                // `\gexec` runs every value the query returns as a statement.
                let generated = Stream::Generated(statements.clone());
                let risk = if command == "gexec" && generated.generates_destruction() {
                    Risk::Destroy
                } else {
                    Risk::Change
                };
                self.push(Effect::opaque(
                    what,
                    risk,
                    format!("{what} runs statements the query generates (`\\{command}`)"),
                ));
            }
            // `\encoding X` is `SET client_encoding`, for what follows it.
            "encoding" => {
                if !rest.is_empty() {
                    statements.push_str(&format!(
                        "SET client_encoding = '{}';\n",
                        rest.replace('\'', "")
                    ));
                }
            }
            _ if harmless_meta(command, dialect) => {}
            _ => self.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} runs `{typed}`, which holdpoint does not know to be harmless"),
            )),
        }
    }

    /// The setting a PostgreSQL client is told to read SQL with when it is not holdpoint's:
    /// `PGCLIENTENCODING`, `PGOPTIONS`, or a connection string's `client_encoding` or
    /// `options`.
    fn client_settings(&self, args: &[String]) -> Option<String> {
        if let Some(encoding) = self.vars.get("PGCLIENTENCODING")
            && sql_settings::pinned("client_encoding", encoding) != Some(true)
        {
            return Some("client_encoding".to_owned());
        }
        if self
            .vars
            .get("PGOPTIONS")
            .is_some_and(|options| !options.trim().is_empty())
        {
            return Some("PGOPTIONS".to_owned());
        }
        args.iter()
            .find(|arg| arg.contains("client_encoding") || arg.contains("options"))
            .map(|_| "client_encoding".to_owned())
    }

    /// A SQL file a client script includes (`\i FILE`, `source FILE`): analysed when it
    /// can be read, including one written earlier on the same command line.
    fn include_sql_file(&mut self, file: &str, dialect: sql::Dialect, what: &str) {
        match (self.read_file(file), self.nesting.deeper()) {
            (Some(text), Ok(inner)) => {
                let outer = std::mem::replace(&mut self.nesting, inner);
                self.client_script(&text, dialect, what);
                self.nesting = outer;
            }
            (Some(_), Err(too_deep)) => self.cannot_analyse(format!(
                "{what} runs the SQL file `{file}`, which {}",
                too_deep.reason()
            )),
            (None, _) if self.changed_on_line(file) => self.cannot_analyse(format!(
                "{what} runs the SQL file `{file}`, which the line changed in a way analysis cannot follow"
            )),
            (None, _) => self.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} runs the SQL file `{file}`, which could not be read"),
            )),
        }
    }

    /// The programs a terraform configuration runs on the machine: every `external` data
    /// source's `program` when it is read (`plan` included), and `local-exec`
    /// provisioners' `command` when it applies. The configuration is the `.tf` files of
    /// the working directory (`-chdir=DIR`), as the line wrote them or as they are on
    /// disk; one that cannot be listed runs nothing analysis can see.
    fn terraform_programs(&mut self, inv: &Invocation, args: &[String]) {
        let Location::Local(Some(here)) = &self.location else {
            return;
        };
        let dir = args
            .iter()
            .find_map(|a| a.strip_prefix("-chdir="))
            .map_or_else(|| here.clone(), |d| paths::normalise(here, d));
        let mut names: Vec<String> = self
            .files
            .entries(&dir)
            .unwrap_or_default()
            .into_iter()
            .map(|name| format!("{dir}/{name}"))
            .collect();
        names.extend(
            self.written
                .keys()
                .chain(self.changed.iter())
                .filter(|p| p.rsplit_once('/').is_some_and(|(d, _)| d == dir))
                .cloned(),
        );
        names.retain(|p| p.ends_with(".tf") || p.ends_with(".tf.json"));
        names.sort();
        names.dedup();
        let applies = args
            .iter()
            .find(|a| !a.starts_with('-'))
            .is_some_and(|sub| matches!(sub.as_str(), "apply" | "destroy"));
        let what = format!("`{}`", inv.display());
        for file in names.into_iter().take(64) {
            if self.changed_on_line(&file) {
                self.cannot_analyse(format!(
                    "{what} reads `{file}`, which the line changed in a way analysis cannot follow"
                ));
                continue;
            }
            let Some(text) = self.read_file(&file) else {
                continue;
            };
            for (program, local_exec) in terraform::programs(&text) {
                if local_exec && !applies {
                    continue;
                }
                match program {
                    terraform::Program::Line(line) => self.nested(
                        &line,
                        &format!("a command {what} runs from `{file}`"),
                        Stream::Terminal,
                    ),
                    terraform::Program::Argv(argv) => {
                        self.invoke(Invocation {
                            argv: argv.iter().map(|a| Expanded::literal(a)).collect(),
                            stdin: Stream::Unknown,
                        });
                    }
                    terraform::Program::Unknown => self.push(Effect::opaque(
                        &file,
                        Risk::Change,
                        format!(
                            "{what} runs a program `{file}` names in a way analysis cannot read"
                        ),
                    )),
                }
            }
        }
    }

    /// Whether the line changed `file` earlier in a way analysis cannot follow (moved or
    /// copied over, edited in place, appended to): what it holds when it is used is then
    /// not known, and may be what the line put there to be run.
    fn changed_on_line(&self, file: &str) -> bool {
        self.absolute_of(file).is_some_and(|absolute| {
            self.changed.contains(&absolute) && !self.written.contains_key(&absolute)
        })
    }

    /// What git runs for `sub` from the configuration (the repository's, the user's, and
    /// what `git config` set earlier on the same line) and from the repository's hooks:
    /// those commands are analysed as run. Returns the aliases the configuration defines.
    fn git_triggers(
        &mut self,
        sub: &str,
        dir: Option<&str>,
        rest: &[String],
        given: &[(String, String)],
    ) -> Vec<(String, String)> {
        if sub == "config" {
            // `git config [--local|--global] KEY VALUE` plants configuration for later.
            let words: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
            let reads = rest.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "--get"
                        | "--get-all"
                        | "--get-regexp"
                        | "-l"
                        | "--list"
                        | "--unset"
                        | "--unset-all"
                )
            }) || matches!(
                words.first().map(|w| w.as_str()),
                Some("get" | "list" | "unset")
            );
            if let [key, value] = words.as_slice()
                && !reads
            {
                self.git_planted
                    .push(((*key).to_ascii_lowercase(), (*value).clone()));
                // A command planted in configuration runs on a later git command, the
                // agent's or a human's: it is judged as run. (An alias runs only when
                // called by its name, and is followed there.)
                let acts: Vec<embedded::Act> = if key.to_ascii_lowercase().starts_with("alias.") {
                    Vec::new()
                } else {
                    embedded::git_config(key, value)
                        .into_iter()
                        .filter(|act| {
                            matches!(act, embedded::Act::Runs(_) | embedded::Act::Code(..))
                        })
                        .collect()
                };
                let what = format!("`git config {key}`, which a later git command runs");
                self.acts("git", acts, &what, None);
            }
            return Vec::new();
        }
        let Location::Local(Some(here)) = &self.location else {
            return Vec::new();
        };
        let base = paths::normalise(here, dir.unwrap_or("."));
        // The repository: the nearest `.git` above the working directory.
        let mut repository = None;
        let mut at = base.as_str();
        for _ in 0..64 {
            let git = format!("{}/.git", at.trim_end_matches('/'));
            if let Some(config) = self.read_file(&format!("{git}/config")) {
                repository = Some((at.to_owned(), git, config));
                break;
            }
            // A repository the line made (`git init`, files written into `.git/`).
            let inside = format!("{git}/");
            if self
                .written
                .keys()
                .chain(self.changed.iter())
                .any(|p| p.starts_with(&inside))
            {
                repository = Some((at.to_owned(), git, String::new()));
                break;
            }
            match at.rfind('/') {
                Some(0) | None => break,
                Some(cut) => at = at.get(..cut).unwrap_or("/"),
            }
        }
        // `git config` earlier on the line writes a repository's configuration, which
        // only works in one: the working directory is taken as in a repository, whose
        // hooks the settings planted may name.
        if repository.is_none() && !self.git_planted.is_empty() {
            repository = Some((base.clone(), format!("{base}/.git"), String::new()));
        }
        // Configuration the line changed in a way analysis cannot follow (appended to by
        // a command whose output is not known, copied over, edited in place) may name
        // any command.
        let configs = repository
            .iter()
            .map(|(_, git, _)| format!("{git}/config"))
            .chain(self.ctx.home.iter().flat_map(|home| {
                [
                    format!("{home}/.gitconfig"),
                    format!("{home}/.config/git/config"),
                ]
            }));
        for file in configs.collect::<Vec<_>>() {
            if self.changed_on_line(&file) {
                self.cannot_analyse(format!(
                    "`git {sub}` reads `{file}`, which the line changed in a way analysis cannot follow"
                ));
            }
        }
        let mut config = String::new();
        for (key, value) in &self.git_planted {
            let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
            config.push_str(&format!("[{section}]\n{name} = {value}\n"));
        }
        if let Some((_, _, text)) = &repository {
            config.push_str(text);
            config.push('\n');
        }
        let mut user_config = String::new();
        if let Some(home) = self.ctx.home.clone() {
            for file in [
                format!("{home}/.gitconfig"),
                format!("{home}/.config/git/config"),
            ] {
                if let Some(text) = self.read_file(&file) {
                    user_config.push_str(&text);
                    user_config.push('\n');
                }
            }
        }
        config.push_str(&user_config);
        for (key, command) in project::git_config_commands(&config, sub) {
            let command = command.strip_prefix('!').unwrap_or(&command).to_owned();
            self.nested(&command, &format!("git's `{key}`"), Stream::Terminal);
        }
        let skip_hooks = rest.iter().any(|a| a == "--no-verify" || a == "-n")
            && matches!(sub, "commit" | "push" | "merge");
        if let Some((root, git, text)) = &repository
            && !skip_hooks
        {
            // Where the hooks are: `core.hooksPath` as git takes it, from `-c`, then what
            // `git config` set earlier on the line, then the repository's configuration,
            // then the user's; relative to the working tree, `~/` the home.
            const HOOKS_PATH: &str = "core.hookspath";
            let last = |settings: &[(String, String)]| {
                settings
                    .iter()
                    .rev()
                    .find(|(key, _)| key == HOOKS_PATH)
                    .map(|(_, value)| value.clone())
            };
            let hooks_path = last(given)
                .or_else(|| last(&self.git_planted))
                .or_else(|| project::git_config_value(text, HOOKS_PATH))
                .or_else(|| project::git_config_value(&user_config, HOOKS_PATH))
                .filter(|path| !path.is_empty())
                .map(|path| match (path.strip_prefix("~/"), &self.ctx.home) {
                    (Some(rest), Some(home)) => paths::normalise(home, rest),
                    _ => paths::normalise(root, &path),
                });
            let hooks = hooks_path.unwrap_or_else(|| format!("{git}/hooks"));
            for hook in project::git_hooks(sub) {
                let file = format!("{hooks}/{hook}");
                if self.changed_on_line(&file) {
                    self.cannot_analyse(format!(
                        "`git {sub}` runs the git hook `{hook}`, which the line changed in a way analysis cannot follow"
                    ));
                    continue;
                }
                if let Some(script) = self.read_file(&file) {
                    let interpreted = script
                        .lines()
                        .next()
                        .and_then(|line| line.strip_prefix("#!"))
                        .is_some_and(|shebang| {
                            !["sh", "bash", "dash", "zsh", "ksh"]
                                .iter()
                                .any(|s| shebang.trim().ends_with(s))
                        });
                    if interpreted {
                        self.push(Effect::opaque(
                            *hook,
                            Risk::Change,
                            format!("`git {sub}` runs the git hook `{hook}`, a program holdpoint does not analyse"),
                        ));
                    } else {
                        self.nested(&script, &format!("the git hook `{hook}`"), Stream::Terminal);
                    }
                }
            }
        }
        // Aliases the configuration defines.
        let mut section = String::new();
        let mut aliases = Vec::new();
        for line in config.lines() {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = header.trim().to_ascii_lowercase();
            } else if section == "alias"
                && let Some((name, value)) = line.split_once('=')
            {
                aliases.push((
                    name.trim().to_owned(),
                    value.trim().trim_matches('"').to_owned(),
                ));
            }
        }
        aliases
    }

    /// A script for a database client: meta-commands (`\dt`, `.tables`) and SQL.
    fn client_script(&mut self, script: &str, dialect: sql::Dialect, what: &str) {
        let mut statements = String::new();
        // A meta-command may end a line of SQL (`SELECT … \\gexec`): it gets its own line.
        let script = script
            .replace("\\gexec", "\n\\gexec")
            .replace("\\g ", "\n\\g ");
        for line in script.lines() {
            let trimmed = line.trim_start();
            if let Some(meta) = trimmed.strip_prefix('\\').or_else(|| {
                trimmed
                    .strip_prefix('.')
                    .filter(|_| dialect == sql::Dialect::Sqlite)
            }) {
                let typed = meta.split_whitespace().next().unwrap_or("");
                let rest = meta.get(typed.len()..).unwrap_or("").trim();
                for command in meta_commands(typed, dialect) {
                    self.meta_command(command, typed, rest, &mut statements, dialect, what);
                }
            } else if let Some(file) = trimmed
                .strip_prefix("source ")
                .filter(|_| dialect == sql::Dialect::MySql)
            {
                let file = file
                    .trim()
                    .trim_end_matches(';')
                    .trim_matches(['\'', '"'])
                    .to_owned();
                self.include_sql_file(&file, dialect, what);
            } else {
                statements.push_str(line);
                statements.push('\n');
            }
        }
        if statements.trim().is_empty() {
            self.push(Effect::new(
                Verb::Read,
                ObjectKind::Database,
                what,
                Risk::Read,
                format!("{what} only inspects the database"),
            ));
            return;
        }
        let (analysis, ran_out) = sql::analyse_within(&statements, dialect, self.nesting);
        if let Some(reason) = ran_out {
            self.unanalysable_reason.get_or_insert(reason);
        }
        if let Some(gate) = self.gate.clone()
            && !analysis.effects.iter().any(|e| e.self_protection)
        {
            // The proxy reads each statement as the database will, and decides it there.
            let mut said: Vec<String> =
                analysis.effects.iter().map(|e| e.summary.clone()).collect();
            if let Some(reason) = &analysis.unanalysable {
                said.push(format!("SQL holdpoint cannot analyse here ({reason})"));
            }
            said.dedup();
            self.push(Effect::new(
                Verb::Execute,
                ObjectKind::Database,
                &gate,
                Risk::Read,
                format!(
                    "{what} sends its SQL through {gate}, which decides each statement as it arrives{}",
                    if said.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", said.join("; "))
                    }
                ),
            ));
            return;
        }
        if let Some(reason) = analysis.unanalysable {
            self.push(Effect::opaque(
                what,
                Risk::Change,
                format!("{what} runs SQL that holdpoint cannot analyse ({reason})"),
            ));
        }
        for effect in analysis.effects {
            self.push(effect);
        }
    }

    /// Where psql writes query results and its session log on this machine (`-o FILE`,
    /// `-o |COMMAND`, `-L FILE`): what no database proxy sees.
    fn psql_output(&mut self, args: &[String], what: &str) {
        for (flags, kind) in [
            (&["-o", "--output"][..], WriteKind::Truncate),
            (&["-L", "--log-file"][..], WriteKind::Append),
        ] {
            let Some(file) = flag_value(args, flags) else {
                continue;
            };
            if let Some(command) = file.strip_prefix('|') {
                let command = command.to_owned();
                self.nested(
                    &command,
                    &format!("{what}'s output command"),
                    Stream::Unknown,
                );
            } else {
                self.write_path(
                    &Expanded::literal(file),
                    kind,
                    &format!("{what} `{}`", flags.first().copied().unwrap_or("-o")),
                );
            }
        }
    }

    fn mongo(&mut self, inv: &Invocation, args: &[String]) {
        let what = format!("`{}`", inv.display());
        if let Some(code) = flag_value(args, &["--eval"]) {
            let code = code.to_owned();
            self.code(&code, Language::Mongo, &what);
            return;
        }
        if args.iter().any(|a| a == "--version" || a == "--help") {
            return self.tool_effect(inv, ObjectKind::Database, Risk::Read, "prints its version");
        }
        let script = args.iter().find(|a| a.ends_with(".js")).cloned();
        match script {
            Some(script) => self.run_script(
                Some(&Expanded::literal(&script)),
                inv,
                Language::Mongo,
                false,
            ),
            None => self.stdin_code(inv, Language::Mongo),
        }
    }

    fn redis(&mut self, inv: &Invocation, args: &[String]) {
        let value_flags = [
            "-h",
            "-p",
            "-a",
            "-n",
            "-u",
            "-s",
            "--user",
            "--pass",
            "-r",
            "-i",
            "--tls",
            "--cacert",
            "--cert",
            "--key",
            "--sni",
            "--pattern",
            "-d",
            "--count",
        ];
        let split = tools::Args::split(args, &value_flags);
        let Some(command) = split.positionals.first().map(|c| c.to_ascii_lowercase()) else {
            if split.has_flag("--scan")
                || split.has_flag("--bigkeys")
                || split.has_flag("--memkeys")
                || split.has_flag("--stat")
                || split.has_flag("--latency")
                || split.has_flag("--version")
            {
                return self.tool_effect(
                    inv,
                    ObjectKind::Database,
                    Risk::Read,
                    "only inspects Redis",
                );
            }
            return self.stdin_code(inv, Language::Other);
        };
        let second = split
            .positionals
            .get(1)
            .map(|c| c.to_ascii_lowercase())
            .unwrap_or_default();
        let deletes = matches!(
            command.as_str(),
            "del" | "unlink" | "getdel" | "expire" | "pexpire" | "expireat"
        );
        // Keys named only at run time (`xargs redis-cli DEL`) may be any number of keys.
        if deletes && inv.args().iter().any(|a| a.value.is_none()) {
            return self.tool_effect(
                inv,
                ObjectKind::Database,
                Risk::Destroy,
                "deletes keys known only when it runs",
            );
        }
        let (risk, what) = match command.as_str() {
            "flushall" | "flushdb" | "shutdown" | "swapdb" => {
                (Risk::Destroy, "deletes every key or stops the server")
            }
            "del" | "unlink" | "getdel" | "hdel" | "srem" | "zrem" | "lrem" | "ltrim" | "xdel"
            | "xtrim" | "expire" | "pexpire" | "expireat" | "rename" | "spop" | "lpop" | "rpop"
            | "zremrangebyscore" | "zremrangebyrank" => (Risk::Change, "deletes or expires keys"),
            "debug" if second == "sleep" => (Risk::Read, "pauses the server"),
            "debug" | "failover" | "replicaof" | "slaveof" | "cluster"
                if matches!(
                    second.as_str(),
                    "reset"
                        | "forget"
                        | "failover"
                        | "flushslots"
                        | "delslots"
                        | "segfault"
                        | "crash-and-recover"
                        | "no"
                        | ""
                ) =>
            {
                (Risk::Destroy, "reconfigures or stops the server")
            }
            "client" if second == "kill" => (Risk::Destroy, "kills client connections"),
            "config" if second == "get" => (Risk::Read, "reads configuration"),
            "client" | "cluster" | "memory" | "slowlog" | "latency" | "acl" | "module"
            | "object" | "command" | "xinfo" | "pubsub"
                if matches!(
                    second.as_str(),
                    "list"
                        | "info"
                        | "get"
                        | "getname"
                        | "nodes"
                        | "slots"
                        | "shards"
                        | "usage"
                        | "stats"
                        | "doctor"
                        | "latest"
                        | "history"
                        | "whoami"
                        | "users"
                        | "cat"
                        | "encoding"
                        | "freq"
                        | "idletime"
                        | "refcount"
                        | "count"
                        | "docs"
                        | "channels"
                        | "numsub"
                        | "stream"
                        | "groups"
                        | "consumers"
                        | "id"
                        | "len"
                        | "myid"
                        | "countkeysinslot"
                        | "getkeysinslot"
                        | "keyslot"
                ) =>
            {
                (Risk::Read, "only reads")
            }
            "get" | "mget" | "keys" | "scan" | "info" | "ping" | "ttl" | "pttl" | "type"
            | "exists" | "hget" | "hgetall" | "hkeys" | "hvals" | "hlen" | "hmget" | "hexists"
            | "hscan" | "lrange" | "llen" | "lindex" | "smembers" | "scard" | "sismember"
            | "sscan" | "zrange" | "zrangebyscore" | "zrevrange" | "zcard" | "zscore" | "zscan"
            | "zrank" | "dbsize" | "monitor" | "strlen" | "getrange" | "bitcount" | "pfcount"
            | "xrange" | "xrevrange" | "xlen" | "xread" | "time" | "lastsave" | "role" | "echo"
            | "randomkey" | "dump" | "geopos" | "geodist" | "georadius" | "subscribe"
            | "psubscribe" | "lolwut" | "hello" | "auth" | "select" | "wait" | "sinter"
            | "sunion" | "sdiff" | "touch" => (Risk::Read, "only reads"),
            "eval" | "evalsha" | "fcall" | "script" | "function" => {
                let script = split
                    .positionals
                    .get(1)
                    .map(|s| s.to_ascii_uppercase())
                    .unwrap_or_default();
                if ["FLUSHALL", "FLUSHDB", "SHUTDOWN", "SWAPDB"]
                    .iter()
                    .any(|k| script.contains(k))
                {
                    (
                        Risk::Destroy,
                        "runs a server-side script that deletes every key or stops the server",
                    )
                } else {
                    (Risk::Change, "runs a server-side script")
                }
            }
            _ => (Risk::Change, "writes to Redis"),
        };
        self.tool_effect(inv, ObjectKind::Database, risk, what);
    }

    fn interpreter(&mut self, base: &str, inv: &Invocation, args: &[String]) {
        let language = interpreter_language(base);
        let what = format!("`{}`", inv.display());
        // PowerShell's parameters are words, any case, any unambiguous prefix:
        // `-Command`/`-c` takes code, `-EncodedCommand`/`-enc`/`-e`/`-ec` base64 of it.
        let powershell: Vec<String>;
        let args = if matches!(
            base,
            "pwsh" | "powershell" | "powershell.exe" | "pwsh-preview"
        ) {
            let is = |arg: &str, name: &str, shortest: usize| {
                let arg = arg.to_ascii_lowercase();
                arg.len() >= shortest && name.starts_with(&arg)
            };
            if args
                .iter()
                .any(|a| is(a, "-encodedcommand", 2) || a.eq_ignore_ascii_case("-ec"))
            {
                return self.cannot_analyse(format!("{what} runs encoded code"));
            }
            powershell = args
                .iter()
                .map(|a| {
                    if is(a, "-command", 2)
                        || is(a, "-commandwithargs", 9)
                        || a.eq_ignore_ascii_case("-cwa")
                    {
                        "-c".to_owned()
                    } else {
                        a.clone()
                    }
                })
                .collect();
            &powershell[..]
        } else {
            args
        };
        let code_flags: &[&str] = match language {
            Language::Python => &["-c"],
            Language::JavaScript => &["-e", "--eval", "-p", "--print"],
            Language::Perl | Language::Ruby => &["-e", "-E"],
            Language::Php => &["-r"],
            // `erl -eval`, `julia -e`, `Rscript -e`, `lua -e`, `groovy -e`, `pwsh -c`.
            _ => &["-e", "-c", "-eval"],
        };
        if args
            .iter()
            .any(|a| matches!(a.as_str(), "--version" | "-V" | "-v" | "--help" | "-h"))
            && args.len() == 1
        {
            return self.tool_effect(inv, ObjectKind::Code, Risk::Read, "prints its version");
        }
        // `perl -i -pe 's/a/b/' file`: the code edits files in place; with no backup
        // suffix (`-i.bak`), nothing of what they held is kept.
        let in_place: Vec<bool> = if language == Language::Perl {
            args.iter()
                .take_while(|a| *a != "--")
                .filter_map(|a| perl_in_place(a))
                .collect()
        } else {
            Vec::new()
        };
        if !in_place.is_empty() {
            let keeps_backup = in_place.iter().any(|backup| *backup);
            let kind = if keeps_backup {
                WriteKind::Modify
            } else {
                WriteKind::Rewrite
            };
            // A bundle that ends in `e` (`-pe`) takes the code as its value.
            let mut paths = Vec::new();
            let mut takes_value = false;
            for arg in inv.args() {
                let word = arg.best();
                if std::mem::take(&mut takes_value) {
                    continue;
                }
                if word.starts_with('-') && word.len() > 1 {
                    takes_value = matches!(word, "-e" | "-E" | "-M" | "-I")
                        || (!word.starts_with("--")
                            && (word.ends_with('e') || word.ends_with('E')));
                    continue;
                }
                paths.push(arg.clone());
            }
            for path in paths {
                self.write_path(&path, kind, "`perl -i`");
            }
        }
        let mut codes: Vec<String> = Vec::new();
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            if code_flags.contains(&arg.as_str()) {
                if let Some(code) = inv.args().get(i + 1) {
                    if code.value.is_none() {
                        self.push(Effect::opaque(
                            code.best(),
                            Risk::Change,
                            format!("{what} runs code known only when it runs"),
                        ));
                        return;
                    }
                    codes.push(code.best().to_owned());
                }
                i += 2;
                continue;
            }
            // Bundled flags ending in the code flag: `perl -pe CODE`, `python -Bc CODE`.
            // Other interpreters take whole words (`pwsh -NoProfile`).
            if language != Language::Other
                && arg.starts_with('-')
                && !arg.starts_with("--")
                && arg.len() > 2
                && arg.chars().skip(1).all(|c| c.is_ascii_alphabetic())
                && code_flags
                    .iter()
                    .any(|f| arg.ends_with(f.trim_start_matches('-')))
                && code_flags.iter().all(|f| f.len() == 2)
            {
                if let Some(code) = args.get(i + 1) {
                    codes.push(code.clone());
                }
                i += 2;
                continue;
            }
            if arg == "-m" && language == Language::Python {
                let module = args.get(i + 1).cloned().unwrap_or_default();
                let local = inv.name().contains('/')
                    && matches!(
                        self.zone(&Expanded::literal(inv.name())),
                        Zone::Workspace | Zone::Temp
                    );
                let saved = self.virtualenv;
                self.virtualenv |= local;
                self.python_module(&module, inv, i + 2);
                self.virtualenv = saved;
                return;
            }
            if arg.starts_with('-') {
                i += 1 + usize::from(matches!(
                    arg.as_str(),
                    "-W" | "-X" | "-r" | "--require" | "-M" | "-I" | "--import" | "--loader" | "-C"
                ));
                continue;
            }
            if !codes.is_empty() {
                break;
            }
            // A script file: a framework entry point the table knows, or code to read.
            let script = arg.clone();
            let script_base = basename(&script).to_owned();
            if tools::lookup(&script_base).is_some() || tools::lookup(&script).is_some() {
                let mut argv = vec![Expanded::literal(&script_base)];
                argv.extend(inv.args().get(i + 1..).unwrap_or(&[]).iter().cloned());
                self.invoke(Invocation {
                    argv,
                    stdin: inv.stdin.clone(),
                });
                return;
            }
            if script == "-" {
                return self.stdin_code(inv, language);
            }
            return self.run_script(inv.args().get(i), inv, language, false);
        }
        if codes.is_empty() {
            return self.stdin_code(inv, language);
        }
        for code in codes {
            self.code(&code, language, &what);
        }
    }

    fn python_module(&mut self, module: &str, inv: &Invocation, rest: usize) {
        let mut argv = vec![Expanded::literal(module)];
        argv.extend(inv.args().get(rest..).unwrap_or(&[]).iter().cloned());
        let as_tool = Invocation {
            argv,
            stdin: inv.stdin.clone(),
        };
        match module {
            "json.tool" | "this" | "site" | "sysconfig" | "platform" | "calendar" | "tokenize"
            | "dis" | "pydoc" | "pyclbr" | "tabnanny" | "timeit" | "cProfile" | "profile"
            | "trace" | "pdb" | "doctest" | "unittest" | "zipfile" | "tarfile" | "base64"
            | "uuid" | "webbrowser" | "ensurepip" | "venv" | "virtualenv" | "compileall"
            | "py_compile" | "http.server" | "pstats" | "ast" | "inspect" | "pip_audit" => {
                if matches!(module, "venv" | "virtualenv") {
                    // `venv DIR…` writes each DIR; `--clear` deletes what it held first.
                    let clear = inv.args().iter().any(|a| a.best() == "--clear");
                    let dirs: Vec<Expanded> = inv
                        .args()
                        .get(rest..)
                        .unwrap_or(&[])
                        .iter()
                        .filter(|a| !a.best().starts_with('-'))
                        .cloned()
                        .collect();
                    for dir in &dirs {
                        if clear {
                            self.delete_path(dir, true, "`venv --clear`");
                        } else {
                            self.write_path(dir, WriteKind::Modify, "`venv`");
                        }
                    }
                }
                let risk = if matches!(
                    module,
                    "json.tool"
                        | "this"
                        | "site"
                        | "sysconfig"
                        | "platform"
                        | "calendar"
                        | "tokenize"
                        | "dis"
                        | "pydoc"
                        | "pyclbr"
                        | "tabnanny"
                        | "pstats"
                        | "ast"
                        | "inspect"
                        | "uuid"
                        | "base64"
                ) {
                    Risk::Read
                } else {
                    Risk::Workspace
                };
                self.tool_effect(inv, ObjectKind::Code, risk, "runs a standard Python module");
            }
            "django" => {
                let mut argv = vec![Expanded::literal("django-admin")];
                argv.extend(inv.args().get(rest..).unwrap_or(&[]).iter().cloned());
                self.invoke(Invocation {
                    argv,
                    stdin: inv.stdin.clone(),
                });
            }
            _ if tools::lookup(module).is_some() => {
                self.invoke(as_tool);
            }
            _ => self.unknown_command(inv),
        }
    }
}

/// Commands whose arguments are another command or code, where `--help` may belong to
/// what they run.
const RUNS_OTHER_CODE: &[&str] = &[
    "bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox", "eval", "source", ".",
    "ssh", "xargs", "parallel", "find", "su", "runuser", "env", "sudo", "doas", "npx", "bunx",
    "pnpx", "watch", "script",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteKind {
    /// Replaces the file's content (`>`, `tee`, `dd of=`).
    Truncate,
    /// Adds to the file (`>>`, `tee -a`).
    Append,
    /// Creates, edits or copies over a file.
    Modify,
    /// Changes a file's metadata (mode, owner, attributes, times), not what it holds.
    Metadata,
    /// Rewrites the file's content with no copy kept (`sed -i`).
    Rewrite,
}

/// The SQLite shell's dot-commands (3.40 and later), which it also takes by any prefix.
const SQLITE_DOT_COMMANDS: &[&str] = &[
    "archive",
    "auth",
    "backup",
    "bail",
    "binary",
    "cd",
    "changes",
    "check",
    "clone",
    "connection",
    "crnl",
    "databases",
    "dbconfig",
    "dbinfo",
    "dump",
    "echo",
    "eqp",
    "excel",
    "exit",
    "expert",
    "explain",
    "filectrl",
    "fullschema",
    "headers",
    "help",
    "import",
    "imposter",
    "indexes",
    "indices",
    "iotrace",
    "limit",
    "lint",
    "load",
    "log",
    "mode",
    "nonce",
    "nullvalue",
    "once",
    "open",
    "output",
    "parameter",
    "print",
    "progress",
    "prompt",
    "quit",
    "read",
    "recover",
    "restore",
    "save",
    "scanstats",
    "schema",
    "selftest",
    "separator",
    "session",
    "sha3sum",
    "shell",
    "show",
    "stats",
    "system",
    "tables",
    "testcase",
    "testctrl",
    "timeout",
    "timer",
    "trace",
    "unmodule",
    "vfsinfo",
    "vfslist",
    "vfsname",
    "width",
];

/// The commands a client takes a meta-command's name for: the SQLite shell runs the
/// first of its commands the name begins (`.sys` is `.system`, `.s` could be `.shell`),
/// so a name stands for every one it begins, and one that begins none is unknown.
/// Other clients take names whole.
fn meta_commands(typed: &str, dialect: sql::Dialect) -> Vec<&str> {
    if dialect != sql::Dialect::Sqlite || typed.is_empty() {
        return vec![typed];
    }
    let begun: Vec<&str> = SQLITE_DOT_COMMANDS
        .iter()
        .copied()
        .filter(|name| name.starts_with(typed))
        .collect();
    if begun.is_empty() { vec![typed] } else { begun }
}

/// Meta-commands known to change nothing: they describe, list, print or format, set
/// how results are shown, or end the session.
fn harmless_meta(command: &str, dialect: sql::Dialect) -> bool {
    match dialect {
        sql::Dialect::Sqlite => matches!(
            command,
            "bail"
                | "binary"
                | "changes"
                | "check"
                | "crnl"
                | "databases"
                | "dbinfo"
                | "dump"
                | "echo"
                | "eqp"
                | "exit"
                | "explain"
                | "fullschema"
                | "headers"
                | "help"
                | "indexes"
                | "indices"
                | "limit"
                | "lint"
                | "mode"
                | "nullvalue"
                | "print"
                | "quit"
                | "recover"
                | "scanstats"
                | "schema"
                | "selftest"
                | "separator"
                | "sha3sum"
                | "show"
                | "stats"
                | "tables"
                | "timeout"
                | "timer"
                | "vfsinfo"
                | "vfslist"
                | "vfsname"
                | "width"
        ),
        sql::Dialect::Postgres => {
            // `\d…`: every describe command (`\dt`, `\df+`, `\dx`).
            command.starts_with('d')
                || matches!(
                    command,
                    "a" | "c"
                        | "connect"
                        | "C"
                        | "conninfo"
                        | "copyright"
                        | "crosstabview"
                        | "echo"
                        | "qecho"
                        | "warn"
                        | "errverbose"
                        | "f"
                        | "H"
                        | "html"
                        | "l"
                        | "list"
                        | "q"
                        | "quit"
                        | "x"
                        | "t"
                        | "T"
                        | "timing"
                        | "pset"
                        | "z"
                        | "sf"
                        | "sv"
                        | "p"
                        | "print"
                        | "r"
                        | "reset"
                        | "if"
                        | "elif"
                        | "else"
                        | "endif"
                        | "bind"
                        | "bind_named"
                        | "close"
                        | "close_prepared"
                        | "parse"
                        | "startpipeline"
                        | "endpipeline"
                        | "syncpipeline"
                        | "sendpipeline"
                        | "flushrequest"
                        | "flush"
                        | "getresults"
                        | "?"
                        | "h"
                        | "help"
                        | "unset"
                        | "gdesc"
                        | "watch"
                        | "lo_list"
                        | "prompt"
                        | "getenv"
                        | "restrict"
                        | "unrestrict"
                )
        }
        sql::Dialect::MySql => matches!(
            command,
            "G" | "g"
                | "c"
                | "q"
                | "h"
                | "?"
                | "s"
                | "W"
                | "w"
                | "C"
                | "R"
                | "t"
                | "n"
                | "#"
                | "d"
                | "u"
                | "r"
        ),
    }
}

/// The files the SQLite shell's `writefile(PATH, DATA)` calls in `script` name, where
/// the path is a string literal (one that is not is a change of its own, in the SQL).
fn written_by_writefile(script: &str) -> Vec<String> {
    let lowered = script.to_ascii_lowercase();
    let mut files = Vec::new();
    for (at, _) in lowered.match_indices("writefile") {
        let rest = script.get(at + "writefile".len()..).unwrap_or("");
        let Some(rest) = rest.trim_start().strip_prefix('(') else {
            continue;
        };
        let Some(quoted) = rest.trim_start().strip_prefix('\'') else {
            continue;
        };
        // `''` is a quote inside the literal.
        let mut file = String::new();
        let mut chars = quoted.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    file.push('\'');
                    continue;
                }
                files.push(std::mem::take(&mut file));
                break;
            }
            file.push(c);
        }
    }
    files
}

/// A shell or an interpreter: a program that runs whatever code it is given.
fn is_shell_or_interpreter(base: &str) -> bool {
    is_interpreter(base)
        || matches!(
            base,
            "sh" | "bash"
                | "zsh"
                | "dash"
                | "ksh"
                | "ash"
                | "mksh"
                | "fish"
                | "busybox"
                | "tcsh"
                | "csh"
        )
}

/// Whether a program is the dynamic loader (`ld-linux-x86-64.so.2`, `ld.so`).
fn is_loader(base: &str) -> bool {
    base == "ld.so"
        || (base.starts_with("ld-") && base.contains(".so"))
        || (base.starts_with("ld64.so"))
}

fn is_interpreter(base: &str) -> bool {
    interpreter_language(base) != Language::Other
        || matches!(
            base,
            "lua"
                | "luajit"
                | "Rscript"
                | "tclsh"
                | "pwsh"
                | "powershell"
                | "osascript"
                | "groovy"
                | "julia"
                | "elixir"
                | "erl"
                | "escript"
        )
}

fn interpreter_language(base: &str) -> Language {
    if base == "python"
        || base.starts_with("python2")
        || base.starts_with("python3")
        || base == "pypy"
        || base == "pypy3"
    {
        Language::Python
    } else if matches!(base, "node" | "nodejs") {
        Language::JavaScript
    } else if base == "perl" || base.starts_with("perl5") {
        Language::Perl
    } else if matches!(base, "ruby" | "jruby" | "irb") {
        Language::Ruby
    } else if base == "php" || base.starts_with("php7") || base.starts_with("php8") {
        Language::Php
    } else {
        Language::Other
    }
}

fn shebang_language(text: &str) -> Language {
    let first = text.lines().next().unwrap_or("");
    if !first.starts_with("#!") {
        return Language::Other;
    }
    let interpreter = first
        .split_whitespace()
        .map(basename)
        .find(|w| *w != "env" && !w.starts_with("#!") && !w.starts_with('-'));
    let interpreter = interpreter
        .or_else(|| first.strip_prefix("#!").map(basename))
        .unwrap_or("");
    interpreter_language(interpreter)
}

/// Command substitutions in an unquoted here-document, which run when it is read.
fn heredoc_substitutions(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let options = ParserOptions::default();
    if let Ok(pieces) = brush_parser::word::parse_heredoc(doc, &options) {
        collect_substitutions(&pieces, &mut out);
    }
    out
}

fn collect_substitutions(
    pieces: &[brush_parser::word::WordPieceWithSource],
    out: &mut Vec<String>,
) {
    use brush_parser::word::WordPiece;
    for piece in pieces {
        match &piece.piece {
            WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
                out.push(s.clone())
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => collect_substitutions(inner, out),
            _ => {}
        }
    }
}

/// Tests of `find` that narrow what it matches.
const FIND_TESTS: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-regex",
    "-iregex",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-size",
    "-empty",
    "-newer",
    "-inum",
    "-samefile",
    "-lname",
    "-ilname",
    "-nouser",
    "-nogroup",
];

/// The pattern of `find`'s `-name` or `-path` test, if it has one.
fn name_pattern(args: &[Expanded]) -> Option<&str> {
    args.windows(2)
        .find(|w| {
            matches!(
                w.first().map(Expanded::best),
                Some("-name" | "-iname" | "-path" | "-ipath")
            )
        })
        .and_then(|w| w.get(1))
        .map(Expanded::best)
}

/// What a `find` or `locate` piped in finds, as a path standing for it.
fn found_by(stream: &Stream) -> Option<Expanded> {
    let Stream::Generated(producer) = stream else {
        return None;
    };
    let words: Vec<&str> = producer.split_whitespace().collect();
    let (first, rest) = words.split_first()?;
    match basename(first) {
        "find" | "fd" | "fdfind" => {
            let roots: Vec<&str> = rest
                .iter()
                .take_while(|w| !w.starts_with('-') && **w != "(" && **w != "!")
                .copied()
                .collect();
            let root = roots.first().copied().unwrap_or(".");
            let pattern = rest
                .windows(2)
                .find(|w| matches!(w.first(), Some(&("-name" | "-iname"))))
                .and_then(|w| w.get(1).copied());
            Some(found_below(&Expanded::literal(root), pattern))
        }
        "locate" | "plocate" | "mlocate" => {
            let pattern = rest.iter().rev().find(|w| !w.starts_with('-'))?;
            let name = if crate::pattern::has_glob(pattern) {
                (*pattern).to_owned()
            } else {
                format!("*{}*", pattern.rsplit('/').next().unwrap_or(pattern))
            };
            Some(found_below(&Expanded::literal("/"), Some(&name)))
        }
        _ => None,
    }
}

/// A path standing for what `find` matched below `root`: the `-name` pattern where there
/// is one.
fn found_below(root: &Expanded, pattern: Option<&str>) -> Expanded {
    let leaf = pattern
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .filter(|p| !p.is_empty())
        .unwrap_or("*");
    Expanded {
        value: root
            .value
            .as_ref()
            .map(|r| format!("{}/{leaf}", r.trim_end_matches('/'))),
        text: format!("{}/…", root.best().trim_end_matches('/')),
        glob: true,
        found: true,
        ..Expanded::default()
    }
}

/// Whether the text has an opening parenthesis, white space, and another one.
fn has_spaced_parens(script: &str) -> bool {
    let mut after_paren = false;
    let mut saw_space = false;
    for c in script.chars() {
        match c {
            '(' if after_paren && saw_space => return true,
            '(' => {
                after_paren = true;
                saw_space = false;
            }
            c if c.is_whitespace() && after_paren => saw_space = true,
            _ => after_paren = false,
        }
    }
    false
}

/// Adds a word to an argument list, as the several words it splits into where it does.
fn push_fields(argv: &mut Vec<Expanded>, expanded: Expanded) {
    match expanded.fields {
        Some(ref fields) if expanded.substitutions.is_empty() => {
            argv.extend(fields.iter().map(|f| Expanded::literal(f)));
        }
        _ => argv.push(expanded),
    }
}

/// The exit status of a pipeline that is only `true`, `:` or `false`.
fn constant_status(pipeline: &Pipeline) -> Option<bool> {
    let [Command::Simple(simple)] = pipeline.seq.as_slice() else {
        return None;
    };
    if simple.prefix.is_some() || simple.suffix.is_some() {
        return None;
    }
    let status = match simple.word_or_name.as_ref()?.value.as_str() {
        "true" | ":" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    status.map(|s| s != pipeline.bang)
}

/// The command line that runs `code` as the interpreter a language's name says would be
/// given it (`python3 -c`, `node -e`, `ruby -e`, `perl -e`, `php -r`, or a shell's
/// text as it is), for a caller that has code without a command: an MCP tool's `code`
/// argument, a PostgreSQL function in an untrusted language. `None` for a language
/// analysis does not read.
pub(crate) fn interpreter_line(language: &str, code: &str) -> Option<String> {
    let quoted = shell_quote(code);
    let line = match language {
        "python" | "python3" | "py" | "ipython" | "jupyter" | "plpython3u" | "plpythonu"
        | "plpython2u" => format!("python3 -c {quoted}"),
        "javascript" | "js" | "node" | "nodejs" | "typescript" | "ts" | "deno" => {
            format!("node -e {quoted}")
        }
        "ruby" | "rb" => format!("ruby -e {quoted}"),
        "perl" | "pl" | "plperlu" => format!("perl -e {quoted}"),
        "php" => format!("php -r {quoted}"),
        "bash" | "sh" | "shell" | "zsh" | "plsh" => code.to_owned(),
        _ => return None,
    };
    Some(line)
}

/// Why a command line was not parsed.
#[derive(Debug)]
enum NotParsed {
    Parser(brush_parser::ParseError),
    /// This many parentheses are never closed.
    Unclosed(usize),
}

impl std::fmt::Display for NotParsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotParsed::Parser(error) => write!(f, "{error}"),
            NotParsed::Unclosed(n) => write!(f, "{n} parentheses are never closed"),
        }
    }
}

/// The most parentheses a command line may leave open and still be given to the
/// parser, whose time doubles with each (a line with any open does not parse; this
/// many leaves room for a count that a here-document's text threw off).
const MAX_UNCLOSED_PARENS: usize = 8;

/// How many `(` a command line leaves open: counted outside quotes and comments, a `)`
/// closing the last one open, except one that ends a `case` pattern (a `case` opened
/// after that `(` is still open), which closes nothing.
fn unclosed_parens(script: &str) -> usize {
    enum Frame {
        Paren,
        Case,
    }
    let mut frames: Vec<Frame> = Vec::new();
    let mut word = String::new();
    let mut at_word_start = true;
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut String, frames: &mut Vec<Frame>| {
        match word.as_str() {
            "case" => frames.push(Frame::Case),
            "esac" if frames.iter().any(|f| matches!(f, Frame::Case)) => {
                while let Some(frame) = frames.pop() {
                    if matches!(frame, Frame::Case) {
                        break;
                    }
                }
            }
            _ => {}
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
                word.push('x');
                at_word_start = false;
                continue;
            }
            '\'' => {
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                }
                word.push('x');
                at_word_start = false;
                continue;
            }
            '#' if at_word_start => {
                for q in chars.by_ref() {
                    if q == '\n' {
                        break;
                    }
                }
                at_word_start = true;
                continue;
            }
            '(' => {
                end_word(&mut word, &mut frames);
                frames.push(Frame::Paren);
            }
            ')' => {
                end_word(&mut word, &mut frames);
                if matches!(frames.last(), Some(Frame::Paren)) {
                    frames.pop();
                }
            }
            c if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '<' | '>' | '`') => {
                end_word(&mut word, &mut frames);
            }
            // Double quotes hold `$(…)`, whose parentheses count as any others.
            '"' => {
                word.push('x');
                at_word_start = false;
                continue;
            }
            c => word.push(c),
        }
        at_word_start = c != '$' && !c.is_alphanumeric();
    }
    end_word(&mut word, &mut frames);
    frames.iter().filter(|f| matches!(f, Frame::Paren)).count()
}

/// A word quoted for the shell, so that a value rebuilt into a command line stays one
/// word.
pub(crate) fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^~".contains(c))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Whether a destination path names a file rather than a directory to copy into: it
/// does not end in `/`, and its last part has a dot or is a well-known file name.
fn names_a_file(path: &str) -> bool {
    if path.ends_with('/') {
        return false;
    }
    let leaf = path.rsplit('/').next().unwrap_or(path);
    leaf.contains('.')
        || matches!(
            leaf,
            "hosts"
                | "passwd"
                | "shadow"
                | "group"
                | "sudoers"
                | "authorized_keys"
                | "known_hosts"
                | "crontab"
                | "fstab"
                | "environment"
                | "config"
                | "credentials"
                | "id_rsa"
                | "id_ed25519"
                | "Makefile"
                | "Dockerfile"
        )
}

/// What a `perl` argument says of editing in place: `Some(true)` for `-i` with a backup
/// suffix (`-i.bak`, `-pi.orig`), `Some(false)` for a bare `-i` (`-pi`, `-i -pe`), `None`
/// when it has no `-i` switch (`-MFile::Path=remove_tree`: a value, not switches).
fn perl_in_place(arg: &str) -> Option<bool> {
    let switches = arg.strip_prefix('-').filter(|s| !s.starts_with('-'))?;
    let mut chars = switches.chars();
    while let Some(c) = chars.next() {
        match c {
            'i' => return Some(!chars.as_str().is_empty()),
            // `-l` and `-0` take the digits that follow (`-0777`, `-l012`).
            'l' | '0' => {
                let rest = chars
                    .as_str()
                    .trim_start_matches(|d: char| d.is_ascii_hexdigit());
                chars = rest.chars();
            }
            // Switches that take the rest of the word as their value.
            'e' | 'E' | 'M' | 'm' | 'I' | 'x' | 'C' | 'd' | 'D' | 'V' => return None,
            _ => {}
        }
    }
    None
}
