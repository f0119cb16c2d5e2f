//! Command knowledge as data: what common tools do, by subcommand, options and arguments.
//!
//! Each [`Tool`] lists rules in a small pattern language, tried in order; the first
//! that matches gives the risk and what the command does. A tool that no rule matches
//! gets its `otherwise` answer, and a command that no tool names is at least `change`:
//! holdpoint calls a command `read` only when this table positively knows it to be.
//!
//! A rule's pattern is a list of terms separated by spaces, all of which must hold:
//! - `push|p`: the next positional argument is one of these (`*` in a word is a
//!   wildcard; matching is exact otherwise);
//! - `-f|--force`: one of these flags is present (`--force-with-lease*` matches by
//!   prefix; one-letter flags also match inside a bundle such as `-rf`);
//! - `!-n|--dry-run`: none of these flags is present;
//! - `~:*|+*`: some positional argument after those matched so far is one of these;
//! - `--`: the arguments contain a `--` separator;
//! - `$`: no positional argument is left.
//!
//! Risk `workspace` marks work that is routine inside the agent's working directory
//! (building, testing, committing); it counts as `change` when the command runs anywhere
//! else.
//!
//! A tool's `options` say which of its options the table knows, and what their values
//! are, in a second small language. Terms are separated by spaces:
//! - `-a`, `--all`, `-noout`: an option that only changes what is read or how it is
//!   shown (`--color` also stands for `--color=WHEN`; a final `*` matches by prefix, so
//!   `-i*` is `-i` with anything attached);
//! - `-[abc]`: the one-letter options `-a`, `-b` and `-c`, which may be bundled;
//! - `-#`: a number given as an option (`head -20`);
//! - `=-w|--width`: an option with a value that only changes what is read or shown;
//! - `>-o|--output`: the value is a file the tool writes over; `>>` a file it appends
//!   to; `~` a file or directory it writes into; `%` a file it rewrites in place;
//! - `!-e|--exec`: the value is a command line the tool runs; `!LANG:-c` is code in a
//!   language the walker reads (`ex`, `gdb`, `lldb`, `sed`, `awk`, `ssh`, `git`, `tar`,
//!   `fzf`, `less`, `python`, `perl`, `js`, `ruby`);
//! - `@-f`: the value is a file of commands the tool runs (`@LANG:-f`: of code);
//! - `&-x|--exec`: the arguments after the option, up to `;`, are a command it runs;
//! - `?-I`: the value makes the tool load code analysis cannot read;
//! - `*`: options not listed are left to the rules (the tool has too many to list here;
//!   those known to run code or write files are listed).
//!
//! A value option written with a final `*` (`~-o*`) takes its value attached only. A
//! term that starts with `{sub|sub2}` holds only under those subcommands (the first
//! positional argument), one that starts with `^` only before the subcommand (a global
//! option). An option no term names, for a tool without `*`, is unknown: it makes the
//! command at least `change`, since the table cannot say that it only reads.
//!
//! A tool's `positionals` say what its positional arguments are, as rules: the first
//! whose pattern holds gives one role per positional argument, in order, and a final
//! `*` repeats the last: `-` read or a name; `>` a file written over; `>>` appended to;
//! `~` written into or created beside; `%` rewritten in place; `x` deleted; `!LANG` code
//! (`!` alone: a command line); `@LANG` a file of code; `&` the rest is a command.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use crate::effect::{ObjectKind, Risk};

use Risk::{Change, Destroy, Read, Workspace};

/// What the table knows about one tool.
#[derive(Debug)]
pub(crate) struct Tool {
    pub names: &'static [&'static str],
    pub object: ObjectKind,
    /// Flags that take the next argument as their value, so that the value is not
    /// mistaken for a subcommand.
    pub value_flags: &'static [&'static str],
    pub rules: &'static [Rule],
    pub otherwise: (Risk, &'static str),
    /// The options the table knows, in the language described above.
    pub options: &'static str,
    /// What the positional arguments are: `(pattern, roles)`, the first that holds.
    pub positionals: &'static [(&'static str, &'static str)],
}

/// The fields of a tool whose options are too many to list: options are left to the
/// rules, and positional arguments are read.
const UNLISTED: Tool = Tool {
    names: &[],
    object: ObjectKind::Command,
    value_flags: &[],
    rules: &[],
    otherwise: (Change, "runs a command holdpoint does not know"),
    options: "*",
    positionals: &[],
};

/// `(pattern, risk, what the command does)`.
pub(crate) type Rule = (&'static str, Risk, &'static str);

/// The arguments of one command split into flags and positionals.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    pub flags: Vec<&'a str>,
    pub positionals: Vec<&'a str>,
    pub double_dash: bool,
}

impl<'a> Args<'a> {
    pub fn split(args: &'a [String], value_flags: &[&str]) -> Self {
        let mut out = Args {
            flags: Vec::new(),
            positionals: Vec::new(),
            double_dash: false,
        };
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if out.double_dash {
                out.positionals.push(arg);
            } else if arg == "--" {
                out.double_dash = true;
            } else if arg.starts_with('-') && arg.len() > 1 {
                out.flags.push(arg);
                if value_flags.contains(&arg.as_str()) {
                    iter.next();
                }
            } else {
                out.positionals.push(arg);
            }
        }
        out
    }

    /// Whether the flag is present: exactly, as `--flag=value`, or (for a one-letter
    /// flag) inside a bundle of one-letter flags.
    pub fn has_flag(&self, flag: &str) -> bool {
        if let Some(prefix) = flag.strip_suffix('*') {
            return self.flags.iter().any(|f| f.starts_with(prefix));
        }
        let short = flag.len() == 2 && flag.starts_with('-') && !flag.starts_with("--");
        self.flags.iter().any(|f| {
            *f == flag
                || (flag.starts_with("--")
                    && f.strip_prefix(flag)
                        .is_some_and(|rest| rest.starts_with('=')))
                || (short
                    && !f.starts_with("--")
                    && f.len() > 2
                    && f.chars().skip(1).all(|c| c.is_ascii_alphabetic())
                    && flag.chars().nth(1).is_some_and(|c| f.contains(c)))
        })
    }
}

pub(crate) use crate::pattern::glob_match;

fn any_of(alternatives: &str, word: &str) -> bool {
    alternatives.split('|').any(|alt| glob_match(alt, word))
}

/// Whether a rule's pattern holds for these arguments.
pub(crate) fn matches(pattern: &str, args: &Args<'_>) -> bool {
    let mut next = 0;
    for term in pattern.split_whitespace() {
        let holds = if term == "$" {
            args.positionals.len() <= next
        } else if term == "--" {
            args.double_dash
        } else if let Some(flags) = term.strip_prefix('!') {
            !flags.split('|').any(|f| args.has_flag(f))
        } else if let Some(words) = term.strip_prefix('~') {
            args.positionals.iter().skip(next).any(|p| any_of(words, p))
        } else if term.starts_with('-') {
            term.split('|').any(|f| args.has_flag(f))
        } else {
            let holds = args.positionals.get(next).is_some_and(|p| any_of(term, p));
            next += 1;
            holds
        };
        if !holds {
            return false;
        }
    }
    true
}

/// The tool the table knows by this command name, if any: the first entry of the table
/// with a name that matches it.
pub(crate) fn lookup(name: &str) -> Option<&'static Tool> {
    /// The table's names without a `*`, each with the first entry it names; and the
    /// names with one, in the table's order, with their entry's place.
    struct Index {
        exact: HashMap<&'static str, usize>,
        globs: Vec<(&'static str, usize)>,
    }
    static INDEX: LazyLock<Index> = LazyLock::new(|| {
        let mut index = Index {
            exact: HashMap::new(),
            globs: Vec::new(),
        };
        for (at, tool) in TOOLS.iter().enumerate() {
            for name in tool.names {
                if name.contains('*') {
                    index.globs.push((name, at));
                } else {
                    index.exact.entry(name).or_insert(at);
                }
            }
        }
        index
    });
    let exact = INDEX.exact.get(name).copied();
    // A pattern in an earlier entry than the exact name's wins, as it would in order.
    let glob = INDEX
        .globs
        .iter()
        .take_while(|(_, at)| exact.is_none_or(|exact| *at < exact))
        .find(|(pattern, _)| glob_match(pattern, name))
        .map(|(_, at)| *at);
    TOOLS.get(glob.or(exact)?)
}

/// The first rule of `tool` that holds for `args`, or its `otherwise` answer; and
/// whether a rule (or a dry-run flag) decided.
pub(crate) fn classify(tool: &Tool, args: &[String]) -> (Risk, &'static str, bool) {
    let value_flags = tool.all_value_flags();
    let split = Args::split(args, value_flags);
    // Every tool's own dry-run flag means the same thing: show, do not do.
    let dry_run = split.flags.iter().any(|f| {
        let (name, value) = f.split_once('=').unwrap_or((f, ""));
        DRY_RUN_FLAGS.contains(&name) && !matches!(value, "none" | "false" | "0")
    });
    if dry_run {
        return (Read, "only shows what it would do (dry run)", true);
    }
    // Only the rules that can hold for the first positional argument are tried, in the
    // table's order: a tool with a hundred rules reads a handful of them.
    let index = rule_index(tool.rules);
    let keyed = split
        .positionals
        .first()
        .and_then(|word| index.by_first.get(word))
        .map_or(&[][..], Vec::as_slice);
    let (mut keyed, mut other) = (keyed.iter().peekable(), index.other.iter().peekable());
    let candidates = std::iter::from_fn(|| match (keyed.peek(), other.peek()) {
        (Some(a), Some(b)) if a < b => keyed.next(),
        (Some(_), None) => keyed.next(),
        _ => other.next(),
    });
    candidates
        .filter_map(|at| tool.rules.get(*at))
        .find(|(pattern, _, _)| matches(pattern, &split))
        .map(|(_, risk, what)| (*risk, *what, true))
        .unwrap_or((tool.otherwise.0, tool.otherwise.1, false))
}

/// A table entry's rules by the word their pattern begins with.
#[derive(Debug, Default)]
struct RuleIndex {
    /// Each word a pattern's first term names (one of its `|` alternatives), with the
    /// places of the rules that begin so.
    by_first: HashMap<&'static str, Vec<usize>>,
    /// The places of the rules that begin otherwise (an option, `$`, `~`, `!`, a glob):
    /// they are tried whatever the first argument.
    other: Vec<usize>,
}

fn rule_index(rules: &'static [(&'static str, Risk, &'static str)]) -> &'static RuleIndex {
    static INDEXES: Memo<(usize, usize), RuleIndex> = Memo::new();
    INDEXES.get((rules.as_ptr() as usize, rules.len()), || {
        let mut index = RuleIndex::default();
        for (at, (pattern, _, _)) in rules.iter().enumerate() {
            let first = pattern.split_whitespace().next().unwrap_or("");
            let word = !first.is_empty()
                && !first.starts_with(['-', '$', '~', '!'])
                && !first.contains(['*', '?', '[']);
            if word {
                for alternative in first.split('|') {
                    index.by_first.entry(alternative).or_default().push(at);
                }
            } else {
                index.other.push(at);
            }
        }
        index
    })
}

/// Flags that make a tool report what it would do instead of doing it.
const DRY_RUN_FLAGS: &[&str] = &[
    "--dry-run",
    "--dryrun",
    "--pretend",
    "--simulate",
    "--noop",
    "--what-if",
    "--whatif",
    "--preview-only",
];

/// What an option's value or a positional argument is to the tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Read, or a name: nothing to analyse.
    Plain,
    /// A file the tool writes over.
    Writes,
    /// A file the tool appends to.
    Appends,
    /// A file or directory the tool writes into, or creates files beside.
    Modifies,
    /// A file the tool rewrites in place, keeping no copy.
    Rewrites,
    /// A file the tool deletes.
    Deletes,
    /// Code the tool runs, in the language named (`sh`: a command line).
    Runs(&'static str),
    /// A file of code the tool runs, in the language named.
    RunsFile(&'static str),
    /// The arguments from here on are a command the tool runs.
    Command,
    /// Makes the tool load code analysis cannot read.
    Loads,
}

/// Where a term of an options spec holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Always,
    /// Only before the first positional argument.
    Global,
    /// Only under these subcommands (`a|b`).
    Under(&'static str),
    /// Only when one of these flags is given (`-l|-y`).
    With(&'static str),
    /// Only when none of these flags is given.
    Without(&'static str),
}

/// One term of an options spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Term {
    /// Options without a value that only change what is read or shown (`-a|--all`).
    Known(&'static str),
    /// One-letter options without a value (`-[abc]`).
    Letters(&'static str),
    /// A number given as an option.
    Numeric,
    /// Options not listed are left to the rules.
    Any,
    /// Options with a value, and what the value is.
    Value(&'static str, Role),
}

fn parse_term(raw: &'static str) -> (Scope, Term) {
    let (scope, rest) = match raw.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((flags, rest)) if flags.starts_with('-') => (Scope::With(flags), rest),
        Some((flags, rest)) if flags.starts_with('!') => {
            (Scope::Without(flags.get(1..).unwrap_or("")), rest)
        }
        Some((subs, rest)) => (Scope::Under(subs), rest),
        None => match raw.strip_prefix('^') {
            Some(rest) => (Scope::Global, rest),
            None => (Scope::Always, raw),
        },
    };
    if rest == "*" {
        return (scope, Term::Any);
    }
    if rest == "-#" {
        return (scope, Term::Numeric);
    }
    if let Some(letters) = rest.strip_prefix("-[").and_then(|r| r.strip_suffix(']')) {
        return (scope, Term::Letters(letters));
    }
    let language = |flags: &'static str| -> (&'static str, &'static str) {
        match flags.split_once(':') {
            Some((lang, flags))
                if !lang.is_empty() && lang.chars().all(|c| c.is_ascii_lowercase()) =>
            {
                (lang, flags)
            }
            _ => ("sh", flags),
        }
    };
    let value = |role: Role, flags: &'static str| (scope, Term::Value(flags, role));
    if let Some(flags) = rest.strip_prefix(">>") {
        return value(Role::Appends, flags);
    }
    let Some(sigil) = rest.chars().next() else {
        return (scope, Term::Known(rest));
    };
    let flags = rest.get(1..).unwrap_or("");
    match sigil {
        '>' => value(Role::Writes, flags),
        '~' => value(Role::Modifies, flags),
        '%' => value(Role::Rewrites, flags),
        '=' => value(Role::Plain, flags),
        '&' => value(Role::Command, flags),
        '?' => value(Role::Loads, flags),
        '!' => {
            let (lang, flags) = language(flags);
            value(Role::Runs(lang), flags)
        }
        '@' => {
            let (lang, flags) = language(flags);
            value(Role::RunsFile(lang), flags)
        }
        _ => (scope, Term::Known(rest)),
    }
}

/// What is worked out from the table's static text or slices, each entry on first use
/// and kept for the life of the process, found again by the address and length of what
/// it was worked out from. A short-lived process (a hook) pays only for the entries it
/// reads; a long-lived one (the server, the proxy) works each out once.
struct Memo<K, T: 'static>(Mutex<Option<HashMap<K, &'static T>>>);

impl<K: Eq + std::hash::Hash + Copy, T> Memo<K, T> {
    const fn new() -> Self {
        Memo(Mutex::new(None))
    }

    fn get(&self, key: K, work_out: impl FnOnce() -> T) -> &'static T {
        let lock = || {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(found) = lock().as_ref().and_then(|map| map.get(&key).copied()) {
            return found;
        }
        // Worked out without the lock held: another entry may be worked out meanwhile.
        let value: &'static T = Box::leak(Box::new(work_out()));
        let mut map = lock();
        match map.get_or_insert_with(HashMap::new).entry(key) {
            std::collections::hash_map::Entry::Occupied(found) => found.get(),
            std::collections::hash_map::Entry::Vacant(slot) => slot.insert(value),
        }
    }
}

/// The terms of an options spec, parsed once.
fn terms(spec: &'static str) -> &'static [(Scope, Term)] {
    static PARSED: Memo<(usize, usize), Vec<(Scope, Term)>> = Memo::new();
    let parsed = PARSED.get((spec.as_ptr() as usize, spec.len()), || {
        spec.split_whitespace().map(parse_term).collect()
    });
    parsed.as_slice()
}

/// The terms of `rules` that name options (`-f|--force`, `!--dry-run`).
fn rule_options(rules: &'static [(&'static str, Risk, &'static str)]) -> Vec<&'static str> {
    rules
        .iter()
        .flat_map(|(pattern, _, _)| pattern.split_whitespace())
        .map(|term| term.strip_prefix('!').unwrap_or(term))
        .filter(|term| term.starts_with('-'))
        .collect()
}

/// Whether one of the `|`-separated option names is `name` (a final `*` matches by
/// prefix).
/// The options a tool's rules name, split for looking up.
struct RuleOptions {
    whole: std::collections::HashSet<&'static str>,
    prefixes: Vec<&'static str>,
}

impl RuleOptions {
    fn of(rules: &'static [Rule]) -> Self {
        let mut whole = std::collections::HashSet::new();
        let mut prefixes = Vec::new();
        for alternative in rule_options(rules)
            .into_iter()
            .flat_map(|term| term.split('|'))
        {
            match alternative.strip_suffix('*') {
                Some(prefix) if !prefix.is_empty() => prefixes.push(prefix),
                Some(_) => {}
                None => {
                    whole.insert(alternative);
                }
            }
        }
        RuleOptions { whole, prefixes }
    }

    /// Whether `name` is one of them, as `names_option` reads a term.
    fn names(&self, name: &str) -> bool {
        self.whole.contains(name) || self.prefixes.iter().any(|p| name.starts_with(p))
    }
}

fn names_option(alternatives: &str, name: &str) -> bool {
    alternatives
        .split('|')
        .any(|alt| match alt.strip_suffix('*') {
            Some(prefix) => !prefix.is_empty() && name.starts_with(prefix),
            None => alt == name,
        })
}

/// A value option whose value is attached only (`~-o*`, `--profile*`): the value, if
/// `arg` is that option.
fn attached_value(alternatives: &'static str, arg: &str) -> Option<String> {
    alternatives
        .split('|')
        .filter_map(|alt| alt.strip_suffix('*'))
        .filter(|prefix| !prefix.is_empty())
        .find_map(|prefix| {
            let rest = arg.strip_prefix(prefix)?;
            // `--profile=FILE`, `-oFILE`; a longer option that only starts the same way
            // (`--profile-x`) is another option.
            if prefix.starts_with("--") && !rest.is_empty() && !rest.starts_with('=') {
                return None;
            }
            Some(rest.strip_prefix('=').unwrap_or(rest).to_owned())
        })
}

/// Where the value of an option is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// The argument at this index.
    Arg(usize),
    /// Attached to the option in the argument at this index (`--output=FILE`, `-oFILE`).
    Attached(usize, String),
    /// The arguments from this index on (up to `;`).
    Rest(usize),
    /// The option was given without its value.
    Missing,
}

/// What a command's arguments are, as far as its tool's `options` and `positionals`
/// say.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    /// Options the table does not know.
    pub unknown: Vec<String>,
    /// Options whose value matters: the option as written, what the value is, where.
    pub values: Vec<(String, Role, Value)>,
    /// Positional arguments with what each is, by index into the arguments.
    pub positionals: Vec<(usize, Role)>,
}

impl Tool {
    /// Every flag known to take a value: `value_flags` and the value options of
    /// `options`.
    pub fn all_value_flags(&self) -> &'static [&'static str] {
        /// What the flags depend on, found again by address: the value flags and the
        /// options spec, as static slices and text.
        type Key = (usize, usize, usize, usize);
        fn key(tool: &Tool) -> Key {
            (
                tool.value_flags.as_ptr() as usize,
                tool.value_flags.len(),
                tool.options.as_ptr() as usize,
                tool.options.len(),
            )
        }
        /// Each table entry's, found once.
        static FOUND: Memo<Key, Vec<&'static str>> = Memo::new();
        FOUND.get(key(self), || self.value_flags_of()).as_slice()
    }

    fn value_flags_of(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.value_flags.to_vec();
        for (_, term) in terms(self.options).iter() {
            if let Term::Value(flags, role) = *term
                && role != Role::Command
            {
                out.extend(flags.split('|').filter(|f| !f.ends_with('*')));
            }
        }
        out
    }

    /// Whether a flag is named by one of the rules.
    fn rules_name(&self, flag: &str) -> bool {
        /// The options each rule set in the table names, found once: whole names, and
        /// prefixes (`--force-with-lease*`).
        static NAMED: Memo<(usize, usize), RuleOptions> = Memo::new();
        let name = flag.split_once('=').map_or(flag, |(name, _)| name);
        let key = (self.rules.as_ptr() as usize, self.rules.len());
        NAMED.get(key, || RuleOptions::of(self.rules)).names(name)
    }

    /// Reads `args` against the tool's `options` and `positionals`.
    pub fn read(&self, args: &[String]) -> Reading {
        let value_flags = self.all_value_flags();
        let split = Args::split(args, value_flags);
        let sub = split.positionals.first().copied();
        let flag_given = |flags: &str| flags.split('|').any(|f| split.has_flag(f));
        let all = terms(self.options);
        let mut out = Reading::default();
        let mut positionals: Vec<usize> = Vec::new();
        let mut double_dash = false;
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            let at = i;
            i += 1;
            if double_dash || !arg.starts_with('-') || arg.len() < 2 {
                positionals.push(at);
                continue;
            }
            if arg == "--" {
                double_dash = true;
                continue;
            }
            let global = positionals.is_empty();
            let usable = |scope: Scope| match scope {
                Scope::Always => true,
                Scope::Global => global,
                Scope::Under(subs) => sub.is_some_and(|s| subs.split('|').any(|x| x == s)),
                Scope::With(flags) => flag_given(flags),
                Scope::Without(flags) => !flag_given(flags),
            };
            let (name, attached) = match arg.split_once('=') {
                Some((name, value)) if arg.starts_with("--") => (name, Some(value)),
                _ => (arg.as_str(), None),
            };
            // GNU getopt_long and git accept a long option abbreviated to any prefix
            // that names only it (`--to-comm=CMD` is `--to-command=CMD`).
            let exact = |n: &str| {
                self.value_flags.contains(&n) || self.rules_name(n) || DRY_RUN_FLAGS.contains(&n)
            };
            let name = abbreviated(all, name, &usable, &exact).unwrap_or(name);
            // An option with a value, by its whole name or with the value attached.
            let valued = all.iter().find_map(|(scope, term)| match term {
                Term::Value(flags, role) if usable(*scope) => {
                    if let Some(value) = attached_value(flags, arg) {
                        return Some((*role, Some(value)));
                    }
                    flags
                        .split('|')
                        .find_map(|alt| match alt.strip_suffix('*') {
                            // An abbreviated option whose value is attached only.
                            Some(prefix) => (prefix == name)
                                .then(|| (*role, Some(attached.unwrap_or("").to_owned()))),
                            None => (alt == name).then_some((*role, None)),
                        })
                }
                _ => None,
            });
            if let Some((role, only_attached)) = valued {
                let value = match (role, only_attached, attached) {
                    (Role::Command, _, _) => {
                        let value = Value::Rest(i);
                        i = args.len();
                        value
                    }
                    (_, Some(value), _) => Value::Attached(at, value),
                    (_, None, Some(value)) => Value::Attached(at, value.to_owned()),
                    (_, None, None) if i < args.len() => {
                        i += 1;
                        Value::Arg(at + 1)
                    }
                    _ => Value::Missing,
                };
                out.values.push((arg.clone(), role, value));
                continue;
            }
            let known = all.iter().any(|(scope, term)| match term {
                Term::Known(flags) => usable(*scope) && names_option(flags, name),
                Term::Letters(letters) => {
                    usable(*scope)
                        && arg.len() == 2
                        && arg.chars().nth(1).is_some_and(|c| letters.contains(c))
                }
                _ => false,
            }) || self.value_flags.contains(&arg.as_str())
                || self.rules_name(arg)
                || DRY_RUN_FLAGS.contains(&name);
            if known {
                if self.value_flags.contains(&arg.as_str()) {
                    i += 1;
                }
                continue;
            }
            if !arg.starts_with("--") && self.read_bundle(all, args, at, &mut i, &mut out, &usable)
            {
                continue;
            }
            let unlisted = all
                .iter()
                .any(|(scope, term)| *term == Term::Any && usable(*scope));
            if !unlisted {
                out.unknown.push(arg.clone());
            }
        }
        let split = Args::split(args, value_flags);
        let roles = self
            .positionals
            .iter()
            .find(|(pattern, _)| matches(pattern, &split))
            .map_or("", |(_, roles)| *roles);
        let roles: Vec<&str> = roles.split_whitespace().collect();
        for (n, at) in positionals.iter().enumerate() {
            let role = match roles.get(n) {
                Some(role) => *role,
                None => match roles.last() {
                    Some(last) if last.ends_with('*') => last,
                    _ => "-",
                },
            };
            let role = positional_role(role.trim_end_matches('*'));
            out.positionals.push((*at, role));
            if role == Role::Command {
                break;
            }
        }
        out
    }

    /// Reads a bundle of one-letter options (`-rn`, `-n5`, `-A3`): true when every letter
    /// is known, a value letter taking the rest of the bundle or the next argument.
    fn read_bundle(
        &self,
        all: &[(Scope, Term)],
        args: &[String],
        at: usize,
        next: &mut usize,
        out: &mut Reading,
        usable: &dyn Fn(Scope) -> bool,
    ) -> bool {
        let Some(arg) = args.get(at) else {
            return false;
        };
        let letters: Vec<(usize, char)> = arg.char_indices().skip(1).collect();
        for (offset, c) in letters {
            let flag = format!("-{c}");
            if c.is_ascii_digit()
                && all
                    .iter()
                    .any(|(scope, term)| *term == Term::Numeric && usable(*scope))
            {
                let rest = arg.get(offset..).unwrap_or("");
                return rest.chars().all(|c| c.is_ascii_digit() || c == '.');
            }
            // A value letter: exactly (the value follows), or attached only (`-o*`).
            let valued = all.iter().find_map(|(scope, term)| match term {
                Term::Value(flags, role) if usable(*scope) => {
                    flags
                        .split('|')
                        .find_map(|alt| match alt.strip_suffix('*') {
                            Some(prefix) => (prefix == flag).then_some((*role, true)),
                            None => (alt == flag).then_some((*role, false)),
                        })
                }
                _ => None,
            });
            let valued = valued.or_else(|| {
                self.value_flags
                    .contains(&flag.as_str())
                    .then_some((Role::Plain, false))
            });
            if let Some((role, only_attached)) = valued {
                let rest = arg.get(offset + c.len_utf8()..).unwrap_or("");
                let value = if only_attached {
                    Value::Attached(at, rest.to_owned())
                } else if role == Role::Command {
                    let value = Value::Rest(*next);
                    *next = args.len();
                    value
                } else if !rest.is_empty() {
                    Value::Attached(at, rest.to_owned())
                } else if *next < args.len() {
                    *next += 1;
                    Value::Arg(*next - 1)
                } else {
                    Value::Missing
                };
                out.values.push((flag, role, value));
                return true;
            }
            let known = all.iter().any(|(scope, term)| match term {
                Term::Letters(letters) => usable(*scope) && letters.contains(c),
                Term::Known(flags) => usable(*scope) && names_option(flags, &flag),
                _ => false,
            }) || self.rules_name(&flag);
            if !known {
                return false;
            }
        }
        true
    }
}

/// The long option `name` abbreviates, if it is not one itself: the first whose value
/// matters (a file written, a command run) among those it could stand for, else any.
fn abbreviated(
    all: &[(Scope, Term)],
    name: &str,
    usable: &dyn Fn(Scope) -> bool,
    exact: &dyn Fn(&str) -> bool,
) -> Option<&'static str> {
    if !name.starts_with("--") || name.len() < 3 || exact(name) {
        return None;
    }
    let mut candidates: Vec<(&'static str, Option<Role>)> = Vec::new();
    for (scope, term) in all {
        if !usable(*scope) {
            continue;
        }
        let (flags, role) = match term {
            Term::Known(flags) => (*flags, None),
            Term::Value(flags, role) => (*flags, Some(*role)),
            _ => continue,
        };
        for alt in flags.split('|').filter(|a| a.starts_with("--")) {
            let alt = alt.trim_end_matches('*');
            if alt == name {
                return None;
            }
            if alt.starts_with(name) {
                candidates.push((alt, role));
            }
        }
    }
    candidates
        .iter()
        .find(|(_, role)| role.is_some_and(|r| r != Role::Plain))
        .or_else(|| candidates.first())
        .map(|(alt, _)| *alt)
}

fn positional_role(role: &'static str) -> Role {
    match role {
        ">" => Role::Writes,
        ">>" => Role::Appends,
        "~" => Role::Modifies,
        "%" => Role::Rewrites,
        "x" => Role::Deletes,
        "&" => Role::Command,
        "?" => Role::Loads,
        "!" => Role::Runs("sh"),
        _ => match (role.strip_prefix('!'), role.strip_prefix('@')) {
            (Some(lang), _) => Role::Runs(lang),
            (_, Some(lang)) => Role::RunsFile(if lang.is_empty() { "sh" } else { lang }),
            _ => Role::Plain,
        },
    }
}

/// Verbs that destroy what a command names when its arguments say them.
const DESTRUCTIVE_VERBS: &[&str] = &[
    "delete",
    "del",
    "destroy",
    "drop",
    "dropall",
    "dropdb",
    "purge",
    "flush",
    "flushall",
    "flushdb",
    "flush_all",
    "rm",
    "rmr",
    "rmdir",
    "rmtree",
    "unlink",
    "rb",
    "remove",
    "wipe",
    "truncate",
    "erase",
    "zap",
    "nuke",
    "shred",
    "reset",
    "prune",
    "expunge",
    "obliterate",
    "forget",
    "teardown",
    "deprovision",
    "decommission",
    "undefine",
    "deregister",
    "terminate",
    "kill",
    "stop",
    "shutdown",
    "format",
];

/// Verbs that destroy only when they name what they destroy (`flyway:clean`,
/// `flywayClean`, `clearsnapshot`), where the bare word is routine (`make clean`).
const QUALIFIED_VERBS: &[&str] = &["clean", "clear"];

/// Words after a verb that only say how much (`dropAll`, `delete-all`).
const SCOPE_WORDS: &[&str] = &["all", "everything", "force", "hard", "permanently"];

/// Endings of words that start with a verb but are not one (`deleted`, `dropdown`).
const NOT_A_COMPOUND: &[&str] = &[
    "s", "d", "ed", "es", "er", "ers", "ing", "ting", "able", "ance", "al", "ion", "ions", "ment",
    "down", "box", "let", "lets", "ped", "ping",
];

/// The parts of a word: split at `-`, `_`, `.`, `:` and `/`, and where a lowercase
/// letter meets an uppercase one.
fn word_parts(word: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in word.chars() {
        if matches!(c, '-' | '_' | '.' | ':' | '/' | '=' | ',') {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

fn is_verb(word: &str, qualified: bool) -> bool {
    DESTRUCTIVE_VERBS.contains(&word) || (qualified && QUALIFIED_VERBS.contains(&word))
}

/// A word that starts with a verb and goes on to name an object (`flushall`,
/// `clearsnapshot`): the verb.
fn compound_verb(word: &str) -> Option<&'static str> {
    DESTRUCTIVE_VERBS
        .iter()
        .chain(QUALIFIED_VERBS)
        .filter(|verb| verb.len() >= 4)
        .find(|verb| {
            word.strip_prefix(**verb).is_some_and(|rest| {
                rest.len() >= 2
                    && rest.chars().all(|c| c.is_ascii_lowercase())
                    && !NOT_A_COMPOUND.contains(&rest)
            })
        })
        .copied()
}

/// The last verb-bearing part of a qualified word (`flyway:clean`, `ecto.drop`,
/// `flywayClean`, `liquibase:dropAll`): the verb, when the word ends with it.
fn qualified_verb(word: &str) -> Option<String> {
    let lowercase_start = word.chars().next().is_some_and(|c| c.is_lowercase());
    let qualified = word.contains(':')
        || word.contains('.')
        || (lowercase_start && word.chars().any(|c| c.is_uppercase()));
    if !qualified || word.contains('/') {
        return None;
    }
    let parts: Vec<String> = word.split([':', '.']).flat_map(word_parts).collect();
    if parts.len() < 2 {
        return None;
    }
    let mut tail = parts.iter().rev();
    let last = tail.next()?;
    if is_verb(last, true) {
        return Some(last.clone());
    }
    let before = tail.next()?;
    (SCOPE_WORDS.contains(&last.as_str()) && is_verb(before, true)).then(|| before.clone())
}

/// How much of a command's arguments may name a destructive verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verbs {
    /// A tool the table does not know: any verb, as a word, part of a word or option.
    Unknown,
    /// A tool the table knows, whose rules did not decide and whose other commands
    /// change things: a verb as a whole word, a qualified task, or a long option.
    Undecided,
    /// A tool whose other commands are routine (a build tool): only a qualified task
    /// (`flyway:clean`), since its bare words are its own targets (`make clean`).
    Routine,
}

/// A destructive verb among a command's arguments, if one is named: as a whole
/// argument, as the first or last part of one (`purge_queue`, `stanza-delete`), starting
/// a long option (`--delete`, `--reset-offsets`), ending a qualified task
/// (`flyway:clean`, `ecto.drop`, `flywayClean`), or starting a word that names its
/// object (`flushall`); how many of these count depends on what the table knows of the
/// tool (`Verbs`). A word that is the value of an option (`--topic delete-requests`)
/// counts only when it is the verb itself.
pub(crate) fn destructive_verb(args: &[String], reading: Verbs) -> Option<String> {
    let qualified_only = reading == Verbs::Routine;
    let dry_run = args.iter().any(|a| {
        let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n);
        DRY_RUN_FLAGS.contains(&name) || matches!(name, "-n" | "--check" | "--plan")
    });
    if dry_run {
        return None;
    }
    let mut after_flag = false;
    for arg in args {
        if arg == "--" {
            after_flag = false;
            continue;
        }
        if let Some(flag) = arg.strip_prefix("--") {
            let name = flag.split_once('=').map_or(flag, |(n, _)| n);
            after_flag = !flag.contains('=');
            if qualified_only || name.starts_with("no-") {
                continue;
            }
            let parts = word_parts(name);
            let mut parts = parts.iter().skip_while(|p| *p == "force");
            if let Some(first) = parts.next()
                && first != "rm"
                && is_verb(first, false)
            {
                return Some(format!("--{name}"));
            }
            continue;
        }
        if arg.starts_with('-') && arg.len() > 1 {
            after_flag = !arg.contains('=');
            continue;
        }
        let value_position = std::mem::replace(&mut after_flag, false);
        if let Some(verb) = qualified_verb(arg) {
            return Some(verb);
        }
        if qualified_only {
            continue;
        }
        let lowered = arg.to_lowercase();
        if is_verb(&lowered, false) {
            return Some(lowered);
        }
        // An argument of several words is a statement or a command line for the tool
        // (`cypher-shell 'MATCH (n) DETACH DELETE n'`, `snowsql -q 'DROP DATABASE x'`):
        // its words are verbs too; as an option's value, only the first that leads it.
        if reading == Verbs::Unknown && lowered.contains(char::is_whitespace) {
            let mut words = lowered
                .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ';' | ','))
                .filter(|w| !w.is_empty());
            let verb = if value_position {
                words.next().filter(|w| is_verb(w, false))
            } else {
                words.find(|w| is_verb(w, false))
            };
            if let Some(verb) = verb {
                return Some(verb.to_owned());
            }
            continue;
        }
        if reading != Verbs::Unknown || value_position || arg.contains('/') || arg.contains('=') {
            continue;
        }
        let parts = word_parts(arg);
        if parts.len() > 1
            && let Some(part) = [parts.first(), parts.last()]
                .into_iter()
                .flatten()
                .find(|p| is_verb(p, false))
        {
            return Some(part.clone());
        }
        if let Some(verb) = compound_verb(&lowered) {
            return Some(verb.to_owned());
        }
    }
    None
}

/// What an environment variable makes the programs that inherit it do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variable {
    /// The value is a command line a program runs (`GIT_SSH_COMMAND`, `PAGER`, `EDITOR`).
    Command,
    /// The value is a prompt the shell expands, running its command substitutions.
    Prompt,
    /// The value is a file of commands shells run when they start (`BASH_ENV`).
    ShellScript,
    /// The value is a file of code in this language a program runs (`PYTHONSTARTUP`).
    CodeFile(&'static str),
    /// The value is code in this language (`PERL5DB`).
    Code(&'static str),
    /// The value is more options for this tool (`TAR_OPTIONS`, `NODE_OPTIONS`).
    Options(&'static str),
    /// The value makes every program load a native library (`LD_PRELOAD`).
    Library,
    /// The value is where programs find code (`PYTHONPATH`, `LD_LIBRARY_PATH`).
    CodePath,
    /// The value points programs at configuration elsewhere (`HOME`, `KUBECONFIG`).
    Config,
    /// The value is a file a program writes its log to (`GIT_TRACE=/path`).
    Log,
    /// git configuration (`GIT_CONFIG_KEY_0`), read when git runs.
    Git,
    /// A function bash imports (`BASH_FUNC_name%%`).
    Function,
    /// Where `cd` looks for a directory.
    CdPath,
    /// The file the shell's history is written to.
    History,
}

/// Environment variables that change what a later program runs, loads or writes,
/// from each program's manual (`git help git`, bash(1), ld.so(8), less(1), node, perl,
/// python and the tools named).
const VARIABLES: &[(&str, Variable)] = &[
    ("GIT_EXTERNAL_DIFF", Variable::Command),
    ("GIT_SSH_COMMAND", Variable::Command),
    ("GIT_SSH", Variable::Command),
    ("GIT_PAGER", Variable::Command),
    ("GIT_EDITOR", Variable::Command),
    ("GIT_SEQUENCE_EDITOR", Variable::Command),
    ("GIT_ASKPASS", Variable::Command),
    ("GIT_PROXY_COMMAND", Variable::Command),
    ("GIT_MAN_VIEWER", Variable::Command),
    ("SSH_ASKPASS", Variable::Command),
    ("SUDO_ASKPASS", Variable::Command),
    ("PAGER", Variable::Command),
    ("MANPAGER", Variable::Command),
    ("SYSTEMD_PAGER", Variable::Command),
    ("BAT_PAGER", Variable::Command),
    ("DELTA_PAGER", Variable::Command),
    ("GH_PAGER", Variable::Command),
    ("GH_BROWSER", Variable::Command),
    ("GH_EDITOR", Variable::Command),
    ("GIT_EDITOR", Variable::Command),
    ("PSQL_PAGER", Variable::Command),
    ("PSQL_EDITOR", Variable::Command),
    ("MYSQL_PAGER", Variable::Command),
    ("EDITOR", Variable::Command),
    ("VISUAL", Variable::Command),
    ("SUDO_EDITOR", Variable::Command),
    ("KUBE_EDITOR", Variable::Command),
    ("FCEDIT", Variable::Command),
    ("HGEDITOR", Variable::Command),
    ("SVN_EDITOR", Variable::Command),
    ("SVN_SSH", Variable::Command),
    ("CVS_RSH", Variable::Command),
    ("LESSEDIT", Variable::Command),
    ("BROWSER", Variable::Command),
    ("PROMPT_COMMAND", Variable::Command),
    ("RUSTC_WRAPPER", Variable::Command),
    ("RUSTC_WORKSPACE_WRAPPER", Variable::Command),
    ("CARGO_BUILD_RUSTC_WRAPPER", Variable::Command),
    ("CARGO_BUILD_RUSTC", Variable::Command),
    ("CARGO_TARGET_*_RUNNER", Variable::Command),
    ("CARGO_TARGET_*_LINKER", Variable::Command),
    ("RUSTC", Variable::Command),
    ("RUSTDOC", Variable::Command),
    ("CC", Variable::Command),
    ("CXX", Variable::Command),
    ("CPP", Variable::Command),
    ("FC", Variable::Command),
    ("LD", Variable::Command),
    ("AR", Variable::Command),
    ("SHELL", Variable::Command),
    ("RSYNC_RSH", Variable::Command),
    ("RSYNC_CONNECT_PROG", Variable::Command),
    ("FZF_DEFAULT_COMMAND", Variable::Command),
    ("LESSOPEN", Variable::Command),
    ("LESSCLOSE", Variable::Command),
    ("NPM_CONFIG_SCRIPT_SHELL", Variable::Command),
    ("NPM_CONFIG_GIT", Variable::Command),
    ("npm_config_git", Variable::Command),
    ("npm_config_script_shell", Variable::Command),
    ("PS0", Variable::Prompt),
    ("PS1", Variable::Prompt),
    ("PS2", Variable::Prompt),
    ("PS4", Variable::Prompt),
    ("PROMPT", Variable::Prompt),
    ("RPROMPT", Variable::Prompt),
    ("BASH_ENV", Variable::ShellScript),
    ("ENV", Variable::ShellScript),
    ("PYTHONSTARTUP", Variable::CodeFile("python")),
    ("PERL5DB", Variable::Code("perl")),
    ("VIMINIT", Variable::Code("ex")),
    ("EXINIT", Variable::Code("ex")),
    ("NODE_OPTIONS", Variable::Options("node")),
    ("npm_config_node_options", Variable::Options("node")),
    ("PERL5OPT", Variable::Options("perl")),
    ("RUBYOPT", Variable::Options("ruby")),
    ("JAVA_TOOL_OPTIONS", Variable::Options("java")),
    ("_JAVA_OPTIONS", Variable::Options("java")),
    ("JDK_JAVA_OPTIONS", Variable::Options("java")),
    ("JAVA_OPTS", Variable::Options("java")),
    ("MAVEN_OPTS", Variable::Options("java")),
    ("GRADLE_OPTS", Variable::Options("java")),
    ("TAR_OPTIONS", Variable::Options("tar")),
    ("UNZIP", Variable::Options("unzip")),
    ("UNZIPOPT", Variable::Options("unzip")),
    ("ZIPOPT", Variable::Options("zip")),
    ("MANOPT", Variable::Options("man")),
    ("LESS", Variable::Options("less")),
    ("GZIP", Variable::Options("gzip")),
    ("XZ_OPT", Variable::Options("xz")),
    ("XZ_DEFAULTS", Variable::Options("xz")),
    ("BZIP2", Variable::Options("bzip2")),
    ("GREP_OPTIONS", Variable::Options("grep")),
    ("FZF_DEFAULT_OPTS", Variable::Options("fzf")),
    ("PARALLEL", Variable::Options("parallel")),
    ("GOFLAGS", Variable::Options("go")),
    ("RUSTFLAGS", Variable::Options("rustc")),
    ("RUSTDOCFLAGS", Variable::Options("rustc")),
    ("CARGO_BUILD_RUSTFLAGS", Variable::Options("rustc")),
    ("CARGO_ENCODED_RUSTFLAGS", Variable::Options("rustc")),
    ("CARGO_TARGET_*_RUSTFLAGS", Variable::Options("rustc")),
    ("LD_PRELOAD", Variable::Library),
    ("LD_AUDIT", Variable::Library),
    ("DYLD_INSERT_LIBRARIES", Variable::Library),
    ("LD_LIBRARY_PATH", Variable::CodePath),
    ("DYLD_LIBRARY_PATH", Variable::CodePath),
    ("DYLD_FRAMEWORK_PATH", Variable::CodePath),
    ("PYTHONPATH", Variable::CodePath),
    ("PYTHONHOME", Variable::CodePath),
    ("PYTHONUSERBASE", Variable::CodePath),
    ("NODE_PATH", Variable::CodePath),
    ("PERL5LIB", Variable::CodePath),
    ("PERLLIB", Variable::CodePath),
    ("RUBYLIB", Variable::CodePath),
    ("GEM_PATH", Variable::CodePath),
    ("CLASSPATH", Variable::CodePath),
    ("GCONV_PATH", Variable::CodePath),
    ("LUA_PATH", Variable::CodePath),
    ("LUA_CPATH", Variable::CodePath),
    ("LUA_INIT", Variable::CodePath),
    ("TCLLIBPATH", Variable::CodePath),
    ("ERL_LIBS", Variable::CodePath),
    ("R_LIBS", Variable::CodePath),
    ("JULIA_LOAD_PATH", Variable::CodePath),
    ("GIT_EXEC_PATH", Variable::CodePath),
    ("HOME", Variable::Config),
    ("XDG_CONFIG_HOME", Variable::Config),
    ("XDG_CONFIG_DIRS", Variable::Config),
    ("GIT_CONFIG_GLOBAL", Variable::Config),
    ("GIT_CONFIG_SYSTEM", Variable::Config),
    ("GIT_CONFIG", Variable::Config),
    ("GIT_TEMPLATE_DIR", Variable::Config),
    ("KUBECONFIG", Variable::Config),
    ("DOCKER_CONFIG", Variable::Config),
    ("AWS_CONFIG_FILE", Variable::Config),
    ("CLOUDSDK_CONFIG", Variable::Config),
    ("AZURE_CONFIG_DIR", Variable::Config),
    ("CURL_HOME", Variable::Config),
    ("WGETRC", Variable::Config),
    ("NPM_CONFIG_USERCONFIG", Variable::Config),
    ("NPM_CONFIG_GLOBALCONFIG", Variable::Config),
    ("npm_config_userconfig", Variable::Config),
    ("npm_config_globalconfig", Variable::Config),
    ("PIP_CONFIG_FILE", Variable::Config),
    ("PSQLRC", Variable::Config),
    ("INPUTRC", Variable::Config),
    ("SCREENRC", Variable::Config),
    ("RIPGREP_CONFIG_PATH", Variable::Config),
    ("BAT_CONFIG_PATH", Variable::Config),
    ("LESSKEY", Variable::Config),
    ("LESSKEYIN", Variable::Config),
    ("LESSKEY_SYSTEM", Variable::Config),
    ("CARGO_HOME", Variable::Config),
    ("RUSTUP_HOME", Variable::Config),
    ("ANSIBLE_CONFIG", Variable::Config),
    ("BUNDLE_GEMFILE", Variable::Config),
    ("GEMRC", Variable::Config),
    ("ZDOTDIR", Variable::Config),
    ("MYVIMRC", Variable::Config),
    ("VIMRUNTIME", Variable::Config),
    ("IPYTHONDIR", Variable::Config),
    ("JUPYTER_CONFIG_DIR", Variable::Config),
    ("PHPRC", Variable::Config),
    ("PHP_INI_SCAN_DIR", Variable::Config),
    ("HGRCPATH", Variable::Config),
    ("EDITRC", Variable::Config),
    ("GIT_TRACE*", Variable::Log),
    ("SSLKEYLOGFILE", Variable::Log),
    ("GIT_CONFIG_COUNT", Variable::Git),
    ("GIT_CONFIG_KEY_*", Variable::Git),
    ("GIT_CONFIG_VALUE_*", Variable::Git),
    ("GIT_CONFIG_PARAMETERS", Variable::Git),
    ("BASH_FUNC_*", Variable::Function),
    ("CDPATH", Variable::CdPath),
    ("HISTFILE", Variable::History),
];

/// What an environment variable makes later programs do, if it is one that matters.
pub(crate) fn variable(name: &str) -> Option<Variable> {
    VARIABLES
        .iter()
        .find(|(pattern, _)| glob_match(pattern, name))
        .map(|(_, variable)| *variable)
}

/// Options of `NODE_OPTIONS` that only tune the runtime (node's manual, "NODE_OPTIONS").
pub(crate) fn harmless_node_option(option: &str) -> bool {
    const HARMLESS: &[&str] = &[
        "--max-old-space-size*",
        "--max-semi-space-size*",
        "--stack-size*",
        "--enable-source-maps",
        "--no-warnings",
        "--no-deprecation",
        "--trace-warnings",
        "--trace-deprecation",
        "--throw-deprecation",
        "--trace-uncaught",
        "--unhandled-rejections*",
        "--experimental-vm-modules",
        "--experimental-specifier-resolution*",
        "--openssl-legacy-provider",
        "--use-openssl-ca",
        "--use-bundled-ca",
        "--dns-result-order*",
        "--tls-min-v1.*",
        "--tls-max-v1.*",
        "--no-experimental-fetch",
        "--preserve-symlinks",
        "--preserve-symlinks-main",
        "--pending-deprecation",
        "--icu-data-dir*",
        "--max-http-header-size*",
        "--heapsnapshot-near-heap-limit*",
        "--title*",
        "--disable-proto*",
        "--force-fips",
        "--enable-fips",
        "--conditions*",
        "-C",
        "--input-type*",
        "--experimental-modules",
        "--experimental-json-modules",
        "--experimental-global-webcrypto",
        "--no-network-family-autoselection",
        "--network-family-autoselection-attempt-timeout*",
        "--v8-pool-size*",
        "--zero-fill-buffers",
        "--report-on-fatalerror",
        "--abort-on-uncaught-exception",
    ];
    HARMLESS.iter().any(|h| match h.strip_suffix('*') {
        Some(prefix) => option.starts_with(prefix),
        None => option == *h,
    })
}

/// Options an interpreter's options variable (`PERL5OPT`, `RUBYOPT`, `JAVA_TOOL_OPTIONS`)
/// may hold that load no code: warnings, encodings, memory.
pub(crate) fn harmless_interpreter_option(interpreter: &str, option: &str) -> bool {
    match interpreter {
        "perl" => {
            matches!(option, "-w" | "-W" | "-X" | "-T" | "-t" | "-U") || option.starts_with("-C")
        }
        "ruby" => {
            matches!(
                option,
                "-w" | "-W" | "-W0" | "-W1" | "-W2" | "-v" | "--verbose"
            ) || option.starts_with("-E")
                || option.starts_with("--encoding")
                || option.starts_with("--disable")
                || option.starts_with("--enable=frozen")
                || option.starts_with("--jit")
                || option.starts_with("--yjit")
        }
        "java" => {
            let option = option.trim_matches('"');
            (option.starts_with("-Xm")
                || option.starts_with("-Xss")
                || option.starts_with("-XX:")
                    && !option.starts_with("-XX:OnError")
                    && !option.starts_with("-XX:OnOutOfMemoryError")
                    && !option.starts_with("-XX:+StartFlightRecording")
                || option.starts_with("-D")
                || option.starts_with("-Dfile.encoding")
                || option == "-server"
                || option == "-Djava.awt.headless=true")
                && !option.contains("agent")
        }
        _ => false,
    }
}

/// Whether an argument names another host or a remote store: a URL (`s3://b/k`,
/// `https://h/p`) or `user@host:`.
pub(crate) fn names_remote(arg: &str) -> bool {
    arg.contains("://")
        || arg.split_once('@').is_some_and(|(user, rest)| {
            !user.is_empty() && !user.contains('/') && rest.contains(':') && !rest.starts_with(':')
        })
}

/// Whether a storage tool's command copies or uploads local files to a remote store
/// (each tool's manual: `aws s3 cp`, `gsutil cp`, `gcloud storage cp`, `az storage blob
/// upload`, `azcopy copy`, `s3cmd put`, `mc cp`).
pub(crate) fn uploads_files(base: &str, args: &[String]) -> bool {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .take(3)
        .collect();
    matches!(
        (base, words.as_slice()),
        ("aws", ["s3", "cp" | "mv" | "sync", ..])
            | ("gsutil", ["cp" | "mv" | "rsync", ..])
            | ("gcloud", ["storage", "cp" | "mv" | "rsync", ..])
            | ("az", ["storage", _, "upload" | "upload-batch"])
            | ("azcopy", ["copy" | "cp" | "sync", ..])
            | ("s3cmd", ["put" | "sync", ..])
            | ("mc", ["cp" | "mirror" | "mv", ..])
            | ("gh" | "glab", ["gist" | "snippet", "create" | "edit", ..])
            | ("gh" | "glab", ["release", "create" | "upload", ..])
    )
}

/// Whether a network tool sends its standard input (`curl -d @-`, `-T -`).
pub(crate) fn network_reads_stdin(base: &str, args: &[String]) -> bool {
    match base {
        "curl" => args.iter().enumerate().any(|(i, a)| {
            a == "@-"
                || a.ends_with("=@-")
                || a.ends_with("@-")
                || a.ends_with("=<-")
                || (matches!(a.as_str(), "-T" | "--upload-file")
                    && args.get(i + 1).is_some_and(|v| v == "-" || v == "."))
                || a == "-T-"
                || a == "--upload-file=-"
        }),
        "wget" | "wget2" => args
            .iter()
            .any(|a| a == "--post-file=-" || a == "--body-file=-" || a == "--post-file=/dev/stdin"),
        "dig" | "nslookup" | "host" => args.iter().any(|a| a == "-f" || a == "-"),
        // Mail programs send what they read as the message.
        "mail" | "mailx" | "s-nail" | "sendmail" | "msmtp" | "ssmtp" | "mutt" | "neomutt" => true,
        _ => false,
    }
}

/// Whether an option of a network tool uploads a file named by its value.
pub(crate) fn uploads_file(base: &str, flag: &str) -> bool {
    let name = flag.split_once('=').map_or(flag, |(n, _)| n);
    match base {
        "curl" => matches!(
            name,
            "-d" | "--data"
                | "--data-binary"
                | "--data-ascii"
                | "--data-urlencode"
                | "-F"
                | "--form"
                | "-T"
                | "--upload-file"
                | "--json"
        ),
        "wget" | "wget2" => matches!(name, "--post-file" | "--body-file"),
        "mail" | "mailx" | "s-nail" | "mutt" | "neomutt" => {
            matches!(name, "-a" | "-A" | "--attach")
        }
        _ => false,
    }
}

/// Options of Slurm's `sbatch`, `srun` and `salloc` that take a value.
pub(crate) const SLURM_VALUE_FLAGS: &[&str] = &[
    "-A",
    "--account",
    "-p",
    "--partition",
    "-t",
    "--time",
    "-N",
    "--nodes",
    "-n",
    "--ntasks",
    "-c",
    "--cpus-per-task",
    "-J",
    "--job-name",
    "-o",
    "--output",
    "-e",
    "--error",
    "-i",
    "--input",
    "--mem",
    "--mem-per-cpu",
    "--gres",
    "-w",
    "--nodelist",
    "-x",
    "--exclude",
    "-q",
    "--qos",
    "-D",
    "--chdir",
    "-C",
    "--constraint",
    "-a",
    "--array",
    "-d",
    "--dependency",
    "--gpus",
    "-G",
    "--ntasks-per-node",
    "--mail-type",
    "--mail-user",
    "--export",
    "--begin",
];

/// Options of `hyperfine` that take a value.
pub(crate) const HYPERFINE_VALUE_FLAGS: &[&str] = &[
    "-w",
    "--warmup",
    "-m",
    "--min-runs",
    "-M",
    "--max-runs",
    "-r",
    "--runs",
    "-s",
    "--setup",
    "-p",
    "--prepare",
    "-c",
    "--cleanup",
    "--conclude",
    "-D",
    "--parameter-step-size",
    "-S",
    "--shell",
    "-u",
    "--time-unit",
    "--style",
    "--sort",
    "--export-json",
    "--export-csv",
    "--export-markdown",
    "--export-asciidoc",
    "--export-orgmode",
    "--output",
    "--reference",
    "-n",
    "--command-name",
    "--input",
];

/// Options of `perf record`, `stat` and `trace` that take a value.
pub(crate) const PERF_VALUE_FLAGS: &[&str] = &[
    "-e",
    "--event",
    "-o",
    "--output",
    "-p",
    "--pid",
    "-t",
    "--tid",
    "-c",
    "--count",
    "-F",
    "--freq",
    "--call-graph",
    "-C",
    "--cpu",
    "-r",
    "--repeat",
    "-x",
    "--field-separator",
    "-G",
    "--cgroup",
    "-m",
    "--mmap-pages",
    "-I",
    "--interval-print",
    "-u",
    "--uid",
    "--filter",
    "-j",
    "--branch-filter",
    "-D",
    "--delay",
];

/// How many values a bubblewrap option takes (bwrap(1)).
pub(crate) fn bwrap_values(option: &str) -> usize {
    match option {
        "--bind" | "--bind-try" | "--dev-bind" | "--dev-bind-try" | "--ro-bind"
        | "--ro-bind-try" | "--symlink" | "--setenv" | "--file" | "--bind-data"
        | "--ro-bind-data" | "--chmod" => 2,
        "--overlay" => 3,
        "--chdir" | "--unsetenv" | "--lock-file" | "--sync-fd" | "--tmpfs" | "--proc" | "--dev"
        | "--mqueue" | "--dir" | "--remount-ro" | "--exec-label" | "--file-label" | "--seccomp"
        | "--add-seccomp-fd" | "--userns" | "--userns2" | "--pidns" | "--uid" | "--gid"
        | "--hostname" | "--info-fd" | "--json-status-fd" | "--block-fd" | "--userns-block-fd"
        | "--cap-add" | "--cap-drop" | "--perms" | "--size" | "--args" | "--argv0"
        | "--tmp-overlay" | "--ro-overlay" | "--overlay-src" => 1,
        _ => 0,
    }
}

/// Programs that run a command given after their own options (from each manual's
/// synopsis): the options that take a value, and how many words come before the
/// command.
pub(crate) fn command_runner(base: &str) -> Option<(&'static [&'static str], usize)> {
    let found: (&'static [&'static str], usize) = match base {
        "setpriv" => (
            &[
                "--groups",
                "--inh-caps",
                "--ambient-caps",
                "--bounding-set",
                "--securebits",
                "--pdeathsig",
                "--selinux-label",
                "--apparmor-profile",
                "--rgid",
                "--egid",
                "--regid",
                "--ruid",
                "--euid",
                "--reuid",
                "--landlock-access",
                "--landlock-rule",
            ],
            0,
        ),
        "prlimit" => (&["-p", "--pid", "-o", "--output"], 0),
        "cgexec" => (&["-g"], 0),
        "numactl" => (
            &[
                "-i",
                "--interleave",
                "-p",
                "--preferred",
                "-m",
                "--membind",
                "-N",
                "--cpunodebind",
                "-C",
                "--physcpubind",
                "--preferred-many",
                "-w",
                "--weighted-interleave",
            ],
            0,
        ),
        "gosu" | "su-exec" | "setuidgid" | "envuidgid" | "envdir" | "lckdo" | "with-lock-ex" => {
            (&[], 1)
        }
        "chpst" => (
            &[
                "-u", "-U", "-b", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c",
            ],
            0,
        ),
        "softlimit" => (
            &[
                "-m", "-a", "-d", "-o", "-p", "-f", "-c", "-r", "-t", "-s", "-l",
            ],
            0,
        ),
        "pkexec" => (&["--user"], 0),
        "run0" => (
            &[
                "-u",
                "--user",
                "-g",
                "--group",
                "--nice",
                "-D",
                "--chdir",
                "--setenv",
                "--property",
                "--description",
                "--slice",
                "--unit",
            ],
            0,
        ),
        "tini" => (&["-p", "-e"], 0),
        "dumb-init" => (&["-r", "--rewrite"], 0),
        "eatmydata" | "nocache" | "chronic" | "ifne" | "grc" | "catchsegv" => (&["-c"], 0),
        "fakeroot" => (&["-l", "--lib", "--faked", "-s", "-i", "-b"], 0),
        "fakechroot" => (
            &[
                "-l",
                "--lib",
                "-d",
                "--elfloader",
                "-e",
                "--environment",
                "-c",
                "--config-dir",
            ],
            0,
        ),
        "trickle" => (&["-d", "-u", "-w", "-t", "-l", "-n"], 0),
        "rlwrap" => (
            &[
                "-a", "-b", "-f", "-g", "-H", "-l", "-m", "-o", "-p", "-P", "-q", "-S", "-t", "-w",
                "-z",
            ],
            0,
        ),
        "dtach" => (&["-n", "-c", "-A", "-N", "-e", "-r"], 0),
        "abduco" => (&["-c", "-n", "-A", "-e"], 0),
        "systemd-inhibit" => (&["--what", "--who", "--why", "--mode"], 0),
        "aa-exec" => (&["-p", "--profile", "-n", "--namespace"], 0),
        "sandbox-exec" => (&["-f", "-n", "-p", "-D"], 0),
        "schroot" => (
            &[
                "-c",
                "--chroot",
                "-u",
                "--user",
                "-d",
                "--directory",
                "-o",
                "--option",
            ],
            0,
        ),
        // Their options take values only as `--name=value`, or they take none.
        "flatpak-spawn" | "firejail" | "nq" => (&[], 0),
        "nsjail" => (
            &[
                "-C", "--config", "-c", "--chroot", "-u", "--user", "-g", "--group",
            ],
            0,
        ),
        "proot" => (&["-r", "-b", "-w", "-q", "-k", "-v", "-m", "-R", "-S"], 0),
        "tsp" => (&["-L", "-D", "-N", "-w", "-W"], 0),
        "daemonize" => (&["-c", "-e", "-E", "-o", "-p", "-l", "-u"], 0),
        "cpulimit" => (&["-l", "--limit", "-p", "--pid", "-e", "--exe"], 0),
        "ssh-agent" => (&["-a", "-E", "-O", "-P", "-t"], 0),
        "dbus-launch" => (&["--config-file", "--autolaunch"], 0),
        "xcrun" => (&["--sdk", "--toolchain"], 0),
        "arch" => (&["-d", "-e"], 0),
        _ => return None,
    };
    Some(found)
}

const PACKAGE_READ: &str = "list|ls|search|show|info|view|outdated|policy|depends|rdepends|why|explain|audit|check|doctor|config|help|version|-v|--version|-h|--help";

static TOOLS: &[Tool] = &[
    // Inspection tools, each with the options its manual gives. They only read under
    // the options listed; an option that is not listed makes them at least `change`,
    // and the options that write files or run commands are named with what they do.
    Tool {
        names: &["ls", "ll", "dir", "vdir"],
        object: ObjectKind::File,
        options: "-[aAbBcCdDfFgGhHiklLmnNopqQrRsStuUvxXZ1] --all --almost-all --author --escape --ignore-backups --color --directory --dired --classify --file-type --full-time --group-directories-first --no-group --human-readable --si --dereference-command-line --dereference-command-line-symlink-to-dir --hyperlink --inode --kibibytes --dereference --numeric-uid-gid --literal --hide-control-chars --show-control-chars --quote-name --reverse --recursive --size --context --zero =--block-size =--format =--hide =--indicator-style =-I|--ignore =--quoting-style =--sort =--time =--time-style =-T|--tabsize =-w|--width",
        otherwise: (Read, "lists files"),
        ..UNLISTED
    },
    Tool {
        names: &["eza", "exa"],
        object: ObjectKind::File,
        options: "-[1lGxRaAdDfFrhHTLsSuUmMnNiIgbBeEoOXZ@] --oneline --long --grid --across --recurse --tree --classify --colour --color --colour-scale --color-scale --icons --no-icons --hyperlink --all --almost-all --list-dirs --only-dirs --only-files --reverse --group-directories-first --group-directories-last --git-ignore --binary --bytes --group --smart-group --header --links --modified --changed --accessed --created --total-size --no-permissions --no-filesize --no-user --no-time --git --git-repos --git-repos-no-status --no-git --extended --context --octal-permissions --mounts --absolute --follow-symlinks --dereference --no-quotes --numeric --blocksize --inode --width =-L|--level =-s|--sort =-I|--ignore-glob =-t|--time =--time-style =-w|--width =--color-scale-mode =--colour-scale-mode",
        otherwise: (Read, "lists files"),
        ..UNLISTED
    },
    Tool {
        names: &["cat", "tac"],
        object: ObjectKind::File,
        options: "-[AbeEnstTuvrs] --show-all --number-nonblank --show-ends --number --squeeze-blank --show-tabs --show-nonprinting --before --regex =--separator",
        otherwise: (Read, "prints files"),
        ..UNLISTED
    },
    Tool {
        names: &["head", "tail"],
        object: ObjectKind::File,
        options: "-# -[qvzfF] --quiet --silent --verbose --zero-terminated --follow --retry =-c|--bytes =-n|--lines =--max-unchanged-stats =--pid =-s|--sleep-interval",
        otherwise: (Read, "prints part of files"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "grep", "egrep", "fgrep", "rgrep", "zgrep", "zegrep", "zfgrep", "bzgrep", "xzgrep",
        ],
        object: ObjectKind::File,
        options: "-# -[EFGPivwxcLloqsbHhnTZaIrRUzVy] --extended-regexp --fixed-strings --basic-regexp --perl-regexp --ignore-case --no-ignore-case --invert-match --word-regexp --line-regexp --count --color --colour --files-without-match --files-with-matches --only-matching --quiet --silent --no-messages --byte-offset --with-filename --no-filename --line-number --initial-tab --null --text --recursive --dereference-recursive --line-buffered --binary --null-data --no-group-separator =-e|--regexp =-f|--file =-m|--max-count =--label =-A|--after-context =-B|--before-context =-C|--context =--group-separator =--binary-files =-D|--devices =-d|--directories =--exclude =--exclude-from =--exclude-dir =--include",
        otherwise: (Read, "searches files"),
        ..UNLISTED
    },
    Tool {
        names: &["rg"],
        object: ObjectKind::File,
        options: "-# -[aiIjlLnNopqsSuUvwxzFHPcbe0] --text --ignore-case --no-ignore-case --case-sensitive --smart-case --fixed-strings --word-regexp --line-regexp --invert-match --count --count-matches --files --files-with-matches --files-without-match --only-matching --quiet --line-number --no-line-number --with-filename --no-filename --heading --no-heading --column --no-column --byte-offset --vimgrep --json --no-json --null --null-data --hidden --no-hidden --follow --no-follow --no-ignore --no-ignore-vcs --no-ignore-dot --no-ignore-exclude --no-ignore-files --no-ignore-global --no-ignore-parent --no-ignore-messages --no-messages --unrestricted --search-zip --no-search-zip --multiline --multiline-dotall --no-multiline --pcre2 --no-pcre2 --auto-hybrid-regex --crlf --no-crlf --trim --no-trim --sort-files --stats --no-stats --debug --trace --type-list --passthru --passthrough --pretty --one-file-system --no-config --binary --no-binary --block-buffered --line-buffered --include-zero --invert-match --mmap --no-mmap --no-unicode --unicode --max-columns-preview --no-max-columns-preview --byte-offset --no-byte-offset --glob-case-insensitive --no-glob-case-insensitive --ignore-file-case-insensitive --files-without-match --pcre2-version --generate --hyperlink-format --no-require-git --require-git =-e|--regexp =-f|--file =-g|--glob =--iglob =-t|--type =-T|--type-not =--type-add =--type-clear =-m|--max-count =-A|--after-context =-B|--before-context =-C|--context =-d|--max-depth =--maxdepth =--max-filesize =-M|--max-columns =-j|--threads =-r|--replace =-E|--encoding =--color =--colors =--sort =--sortr =--path-separator =--context-separator =--field-context-separator =--field-match-separator =--dfa-size-limit =--regex-size-limit =--engine =--ignore-file =--pre-glob =--hostname-bin !--pre",
        otherwise: (Read, "searches files"),
        ..UNLISTED
    },
    Tool {
        names: &["ag"],
        object: ObjectKind::File,
        options: "-# -[aDfhHiLlnQrSsuUvwz0] --all-types --all-text --ackmate --after --before --break --no-break --case-sensitive --color --no-color --column --no-column --count --debug --filename --no-filename --files-with-matches --files-without-matches --follow --hidden --ignore-case --literal --nomultiline --numbers --no-numbers --one-device --only-matching --passthrough --print-all-files --print-long-lines --recurse --no-recurse --search-binary --silent --skip-vcs-ignores --smart-case --stats --stats-only --unrestricted --vimgrep --word-regexp --null --print0 --search-zip =-A|--after =-B|--before =-C|--context =-G|--file-search-regex =-g =--ignore =--ignore-dir =-m|--max-count =-p|--path-to-ignore =--depth =--pager !--pager",
        otherwise: (Read, "searches files"),
        ..UNLISTED
    },
    Tool {
        names: &["ack", "ack-grep"],
        object: ObjectKind::File,
        options: "-# -[iIwvcLlhHnosfgkQxrR1] --ignore-case --no-ignore-case --smart-case --no-smart-case --word-regexp --invert-match --count --files-without-matches --files-with-matches --no-filename --with-filename --line --column --no-column --literal --flush --nocolor --color --colour --nocolour --heading --noheading --break --nobreak --group --nogroup --sort-files --recurse --no-recurse --known-types --follow --nofollow --noenv --filter --nofilter --print0 --show-types --help-types --dump --thpppt =-A|--after-context =-B|--before-context =-C|--context =-m|--max-count =--match =--output =--type =-t =-T =--type-add =--type-set =--type-del =--ignore-dir =--noignore-dir =--ignore-file =--color-match =--color-filename =--color-lineno =--ackrc !--pager",
        otherwise: (Read, "searches files"),
        ..UNLISTED
    },
    Tool {
        names: &["wc"],
        object: ObjectKind::File,
        options: "-[cmlLw] --bytes --chars --lines --max-line-length --words =--files0-from =--total",
        otherwise: (Read, "counts lines, words and bytes"),
        ..UNLISTED
    },
    Tool {
        // They ignore their arguments.
        names: &["true", "false", ":"],
        object: ObjectKind::Command,
        otherwise: (Read, "does nothing"),
        ..UNLISTED
    },
    Tool {
        // Small programs whose options only choose what is printed (each manual).
        names: &[
            "pwd", "sleep", "yes", "factor", "logname", "tty", "nproc", "whoami", "groups",
            "users", "hostid", "expr", "basename", "dirname", "arch", "getconf", "locale",
            "uptime",
        ],
        object: ObjectKind::Host,
        options: "-[LPsazavmcqkpS] --logical --physical --silent --quiet --all --multiple --zero --suffix --pretty --since --all-locales --charmaps --category-name --keyword-name --verbose --usage =--ignore =--suffix",
        otherwise: (Read, "only prints"),
        ..UNLISTED
    },
    Tool {
        names: &["free", "vmstat"],
        object: ObjectKind::Host,
        options: "-# -[bkmghwltvafnsdDSyVp] --bytes --kibi --mebi --gibi --tebi --pebi --kilo --mega --giga --tera --peta --human --wide --lohi --total --committed --si --active --forks --slabs --one-header --stats --disk --disk-sum --timestamp --no-first =-c|--count =-s|--seconds =-p|--partition =-S|--unit",
        otherwise: (Read, "shows memory and system counters"),
        ..UNLISTED
    },
    Tool {
        names: &["cal", "ncal", "clear", "tput", "help"],
        object: ObjectKind::Command,
        options: "-# -[13jyYmSsMbhwvxTVdCeopJ] --one --three --sunday --monday --julian --year --twelve --vertical --week --color --span --reform --iso --months =-n|--months =-T",
        otherwise: (Read, "only prints"),
        ..UNLISTED
    },
    Tool {
        // Shell builtins that only change the shell's own state (bash(1)).
        names: &[
            "shift", "exit", "return", "break", "continue", "let", "shopt", "ulimit", "umask",
            "disown", "dirs", "pushd", "popd", "unset", "times", "suspend", "logout", "wait", "fg",
            "bg", "local", "typeset", "readonly", "set", "caller",
        ],
        object: ObjectKind::Command,
        options: "-# -[abcdefghiklmnopqrstuvwxyABCEFHILNOPRSTV] =-o =-p =-n",
        otherwise: (Read, "changes only the shell's own settings"),
        ..UNLISTED
    },
    Tool {
        names: &["jobs"],
        object: ObjectKind::Process,
        options: "-[lnprs] &-x",
        otherwise: (Read, "lists jobs"),
        ..UNLISTED
    },
    Tool {
        // read(1p) and mapfile: `-C CALLBACK` runs a command every few lines read.
        names: &["read", "mapfile", "readarray"],
        object: ObjectKind::Command,
        options: "-[ersptT] =-a =-d =-i =-n =-N =-p =-t =-u =-c =-O =-s !-C",
        otherwise: (Read, "reads input into variables"),
        ..UNLISTED
    },
    Tool {
        // compgen and complete: `-C COMMAND` runs a command, `-F FUNCTION` a function.
        names: &["compgen", "complete", "compopt"],
        object: ObjectKind::Command,
        options: "-[abcdefgjkpsuvrDEI] =-o =-A =-G =-W =-P =-S =-X !-C !-F",
        otherwise: (Read, "lists or sets completions"),
        ..UNLISTED
    },
    Tool {
        // bind: `-x KEYSEQ:COMMAND` binds a command; `-f FILE` reads key bindings.
        names: &["bind"],
        object: ObjectKind::Command,
        options: "-[lpPsSvVX] =-m =-q =-u =-r ?-f ?-x",
        otherwise: (Read, "shows key bindings"),
        ..UNLISTED
    },
    Tool {
        // enable: `-f FILE` loads a builtin from a shared object.
        names: &["enable"],
        object: ObjectKind::Command,
        options: "-[apnsd] ?-f",
        otherwise: (Read, "lists or turns off builtins"),
        ..UNLISTED
    },
    Tool {
        names: &["echo", "printf"],
        object: ObjectKind::Command,
        options: "-[neE] =-v",
        otherwise: (Read, "prints text"),
        ..UNLISTED
    },
    Tool {
        names: &["test", "[", "[["],
        object: ObjectKind::File,
        options: "-[abcdefghkprstuwxGLNOSznov] -eq -ne -lt -le -gt -ge -ef -nt -ot -R",
        otherwise: (Read, "tests files or values"),
        ..UNLISTED
    },
    Tool {
        names: &["which", "whereis", "type", "hash"],
        object: ObjectKind::Command,
        options: "-[asbmuBMSflptPdr] --all --skip-alias --skip-functions --read-alias --read-functions --tty-only --show-dot --show-tilde =-B =-M =-S",
        otherwise: (Read, "finds programs"),
        ..UNLISTED
    },
    Tool {
        names: &["file"],
        object: ObjectKind::File,
        options: "-[bCcdEhiklLNnprsSvzZ0] --apple --brief --compile --checking-printout --exclude-quiet --extension --no-dereference --mime --mime-type --mime-encoding --keep-going --list --dereference --no-pad --no-buffer --preserve-date --raw --special-files --no-sandbox --uncompress --uncompress-noreport --print0 =-e|--exclude =-F|--separator =-f|--files-from =-m|--magic-file =-P|--parameter",
        rules: &[("-C|--compile", Workspace, "compiles a magic file")],
        otherwise: (Read, "identifies files"),
        ..UNLISTED
    },
    Tool {
        names: &["stat"],
        object: ObjectKind::File,
        options: "-[Lft] --dereference --file-system --terse =--cached =-c|--format =--printf",
        otherwise: (Read, "shows file status"),
        ..UNLISTED
    },
    Tool {
        names: &["du"],
        object: ObjectKind::File,
        options: "-[0abcDHhkLlmPSsx] --null --all --apparent-size --bytes --total --dereference-args --human-readable --inodes --dereference --count-links --no-dereference --separate-dirs --si --summarize --one-file-system --time =-B|--block-size =-d|--max-depth =--files0-from =-t|--threshold =--time-style =-X|--exclude-from =--exclude",
        otherwise: (Read, "measures disk use"),
        ..UNLISTED
    },
    Tool {
        names: &["df", "duf", "dust", "ncdu"],
        object: ObjectKind::Host,
        options: "-[aHhiklPTvbcdDprsx] --all --human-readable --si --inodes --local --no-sync --output --portability --sync --total --print-type --json =-B|--block-size =-t|--type =-x|--exclude-type =-o|--output-format =--exclude =-n|--number =-d|--depth",
        rules: &[("-o", Workspace, "writes a scan file")],
        otherwise: (Read, "shows disk space"),
        ..UNLISTED
    },
    Tool {
        names: &["tree"],
        object: ObjectKind::File,
        options: "-[adlfxqNQpugshDFvtrcUCnASRJX] --noreport --charset --filelimit --dirsfirst --filesfirst --du --si --prune --matchdirs --ignore-case --timefmt --fromfile --metafirst --gitignore --info --inodes --device --version =-L =-P =-I =--charset =--filelimit =--timefmt =--sort =-H =-T =--hintro =--houtro =--gitfile =--infofile >-o",
        otherwise: (Read, "lists a directory tree"),
        ..UNLISTED
    },
    Tool {
        names: &["locate", "mlocate", "plocate", "whatis", "apropos"],
        object: ObjectKind::File,
        options: "-[AbcehiLPqrSwdvalem] --all --basename --count --existing --follow --ignore-case --nofollow --null --statistics --quiet --wholename --regex --wildcard --exact --and --long --verbose --debug =-d|--database =-l|--limit =-n =--regextype =-s|--sections|--section =-m|--systems =-M|--manpath =-L|--locale =-C|--config-file",
        otherwise: (Read, "searches an index"),
        ..UNLISTED
    },
    Tool {
        names: &["diff", "colordiff"],
        object: ObjectKind::File,
        options: "-# -[qsceunyltTrNiEZbwBadpP] --normal --brief --report-identical-files --context --unified --ed --rcs --side-by-side --left-column --suppress-common-lines --show-c-function --expand-tabs --initial-tab --suppress-blank-empty --paginate --recursive --no-dereference --new-file --unidirectional-new-file --ignore-file-name-case --no-ignore-file-name-case --ignore-case --ignore-tab-expansion --ignore-trailing-space --ignore-space-change --ignore-all-space --ignore-blank-lines --text --strip-trailing-cr --minimal --speed-large-files --color =-C =-U =-W|--width =-F|--show-function-line =--label =--tabsize =-x|--exclude =-X|--exclude-from =-S|--starting-file =--from-file =--to-file =-I|--ignore-matching-lines =-D|--ifdef =--GTYPE-group-format =--old-group-format =--new-group-format =--changed-group-format =--unchanged-group-format =--line-format =--old-line-format =--new-line-format =--unchanged-line-format =--horizon-lines =--palette",
        otherwise: (Read, "compares files"),
        ..UNLISTED
    },
    Tool {
        names: &["cmp", "comm"],
        object: ObjectKind::File,
        options: "-[bl123zsv] --print-bytes --verbose --quiet --silent --check-order --nocheck-order --total --zero-terminated =-i|--ignore-initial =-n|--bytes =--output-delimiter",
        otherwise: (Read, "compares files"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "cut", "tr", "paste", "join", "column", "nl", "fold", "fmt", "rev", "expand",
            "unexpand", "numfmt", "seq",
        ],
        object: ObjectKind::File,
        options: "-# -[bcdfnszCtiJxeLpusaNRTEWHO123] --complement --only-delimited --zero-terminated --delete --squeeze-repeats --truncate-set1 --serial --ignore-case --check-order --nocheck-order --header --json --table --table-noheadings --fillrows --keep-empty-lines --table-noextreme --no-renumber --bytes --spaces --crown-margin --split-only --tagged-paragraph --uniform-spacing --equal-width --debug --grouping --initial --all --first-only =-b|--bytes =-c|--characters =-d|--delimiter|--delimiters =-f|--fields =--output-delimiter =-j =-o|--output-separator =-t|--separator =-v =-e =-1 =-2 =-a =-c|--output-width =-s|--separator =-N|--table-columns =-l|--table-columns-limit =-R|--table-right =-T|--table-truncate =-E|--table-noextreme =-W|--table-wrap =-H|--table-hide =-O|--table-order =-n|--table-name =-r|--tree =-i|--tree-id =-p|--tree-parent =--body-numbering =--section-delimiter =--footer-numbering =--header-numbering =--line-increment =--join-blank-lines =--number-format =--number-separator =--starting-line-number =--number-width =-w|--width =-g|--goal =-p|--prefix =-f|--format =-s|--separator =--field =--format =--from =--from-unit =--invalid =--padding =--round =--suffix =--to =--to-unit =--header =--tabs",
        otherwise: (Read, "transforms text"),
        ..UNLISTED
    },
    Tool {
        names: &["uniq"],
        object: ObjectKind::File,
        options: "-# -[cdDiuz] --count --repeated --all-repeated --group --ignore-case --unique --zero-terminated =-f|--skip-fields =-s|--skip-chars =-w|--check-chars",
        // uniq(1): `uniq [INPUT [OUTPUT]]`: the second is written over.
        positionals: &[("", "- >")],
        otherwise: (Read, "filters repeated lines"),
        ..UNLISTED
    },
    Tool {
        names: &["sort"],
        object: ObjectKind::File,
        options: "-[bdfgiMhnRrVcCmsuz] --ignore-leading-blanks --dictionary-order --ignore-case --general-numeric-sort --ignore-nonprinting --month-sort --human-numeric-sort --numeric-sort --random-sort --reverse --version-sort --check --merge --stable --unique --zero-terminated --debug =--random-source =--sort =--batch-size =--files0-from =-k|--key =-S|--buffer-size =-t|--field-separator ~-T|--temporary-directory =--parallel >-o|--output !--compress-program",
        otherwise: (Read, "sorts lines"),
        ..UNLISTED
    },
    Tool {
        names: &["shuf"],
        object: ObjectKind::File,
        options: "-[erz] --echo --repeat --zero-terminated =-i|--input-range =-n|--head-count =--random-source >-o|--output",
        otherwise: (Read, "shuffles lines"),
        ..UNLISTED
    },
    Tool {
        names: &["jq", "gojq", "jaq"],
        object: ObjectKind::File,
        options: "-[nrjaSCMcsReh0] --seq --stream --stream-errors --slurp --raw-input --null-input --compact-output --tab --color-output --monochrome-output --ascii-output --unbuffered --sort-keys --raw-output --raw-output0 --join-output --exit-status --args --jsonargs --version --build-configuration --help =--indent =-f|--from-file =-L =--arg =--argjson =--slurpfile =--rawfile =--indent",
        otherwise: (Read, "filters JSON"),
        ..UNLISTED
    },
    Tool {
        names: &["yq"],
        object: ObjectKind::File,
        options: "-[CMPrNejyYcS0] --colors --no-colors --prettyPrint --unwrapScalar --nul-output --exit-status --null-input --no-doc --header-preamble --from-file --no-colors --expression --indent --inplace --tojson --toml-output --xml-output --yaml-output --yaml-roundtrip --width --explicit-start --raw-output --sort-keys --compact-output =-o|--output-format =-p|--input-format =-I|--indent =--xml-attribute-prefix =--xml-content-name =--front-matter =--from-file =--arg =--argjson =--expression =-w|--width =-s|--split-exp",
        // mikefarah's yq: `-s EXPR` writes each document to a file it names.
        rules: &[(
            "-s|--split-exp",
            Workspace,
            "writes a file for each document",
        )],
        // yq -i rewrites the files it reads, in place.
        positionals: &[("-i|--inplace --from-file", "%*"), ("-i|--inplace", "- %*")],
        otherwise: (Read, "filters YAML"),
        ..UNLISTED
    },
    Tool {
        names: &["xxd"],
        object: ObjectKind::File,
        options: "-# -[aCeEhiprRuv] -autoskip -bits -capitalize -EBCDIC -include -ps -postscript -plain -revert -version =-b =-c|-cols =-g|-groupsize =-l|-len =-n|-name =-o =-s|-seek -bits",
        // xxd(1): `xxd [INFILE [OUTFILE]]`; with `-r` it patches OUTFILE in place.
        positionals: &[("-r|-revert", "- %"), ("", "- >")],
        otherwise: (Read, "prints a hex dump"),
        ..UNLISTED
    },
    Tool {
        names: &["od", "hexdump", "hd", "strings"],
        object: ObjectKind::File,
        options: "-# -[abcCdfilosvxXwaefFUT] --output-duplicates --traditional --one-byte-octal --one-byte-char --canonical --two-bytes-decimal --two-bytes-octal --no-squeezing --two-bytes-hex --all --data --print-file-name --include-all-whitespace --output-separator --color =-A|--address-radix =--endian =-j|--skip-bytes =-N|--read-bytes =-S|--strings =-t|--format|--radix =-w|--width =-e =-f|--format-file =-n|--length|--bytes =-s|--skip =-T|--target =-U|--unicode =--encoding",
        otherwise: (Read, "prints a dump of files"),
        ..UNLISTED
    },
    Tool {
        names: &["base64", "base32", "basenc"],
        object: ObjectKind::File,
        options: "-[dDi] --decode --ignore-garbage --base64 --base64url --base32 --base32hex --base16 --base2msbf --base2lsbf --z85 =-w|--wrap",
        otherwise: (Read, "encodes or decodes"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "md5sum",
            "sha1sum",
            "sha224sum",
            "sha256sum",
            "sha384sum",
            "sha512sum",
            "b2sum",
            "cksum",
            "sum",
            "shasum",
        ],
        object: ObjectKind::File,
        options: "-[bctzwrs0] --binary --check --tag --text --zero --ignore-missing --quiet --status --strict --warn --untagged --base64 --raw --debug =-a|--algorithm =-l|--length",
        otherwise: (Read, "checksums files"),
        ..UNLISTED
    },
    Tool {
        names: &["realpath", "readlink", "namei"],
        object: ObjectKind::File,
        options: "-[emLPqsznfvlmnox] --canonicalize --canonicalize-existing --canonicalize-missing --logical --physical --quiet --strip --no-symlinks --zero --no-newline --silent --verbose --long --modes --nosymlinks --owners --vertical --mountpoints =--relative-to =--relative-base",
        otherwise: (Read, "resolves paths"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "id", "uname", "printenv", "who", "w", "last", "lastb", "lastlog", "getent", "tty",
        ],
        object: ObjectKind::Host,
        options: "-[aZgGnruzsvmpio0bdHlqtTwfhdFiRx] --all --context --group --groups --name --real --user --zero --kernel-name --nodename --kernel-release --kernel-version --machine --processor --hardware-platform --operating-system --null --boot --dead --heading --ips --login --lookup --process --count --runlevel --short --time --mesg --users --message --writable --no-header --no-current --from --ip-addr --old-style --hostlast --dns --fulltimes --ip --nohostname --fullnames --system --no-idn --usage =-f|--file =-n|--limit =-p|--present =-s|--since|--service =-t|--until =--time-format",
        otherwise: (Read, "shows users and the system"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "ps", "pgrep", "pidof", "pstree", "procs", "top", "htop", "btop", "iotop", "iostat",
            "mpstat", "pidstat", "nvtop",
        ],
        object: ObjectKind::Process,
        options: "-# -[AadeNcfFjlMOPyHwLmTVqxXZhnbSsgGupUtCiEvoe123klr] --deselect --context --forest --headers --no-headers --cumulative --info --count --echo --full --ignore-case --list-name --list-full --newest --oldest --inverse --lightweight --exact --logpidfile --ignore-ancestors --batch --cmdline-toggle --threads-show --idle-toggle --list-fields --accum-time-toggle --secure-mode --single-cpu-toggle --tree --no-color --no-mouse --readonly --highlight-changes --only-active --human --extended --omit-pid --json =-C =-G|--group|--Group =-g|--pgroup =-p|--pid|--quick-pid =--ppid =-q =-s|--sid|--session =-t|--tty|--terminal =-U|--User|--uid =-u|--user|--euid =--format =-O =-o =--cols|--columns|--width =--lines|--rows =--sort =-d|--delimiter|--delay =-F|--pidfile =-P|--parent =-r|--runstates =--cgroup =--ns =--nslist =--signal =-n|--iterations =-E|--scale-summary-mem =-e|--scale-task-mem =--sort-override =--filter-any-user =--filter-only-euser =-w =-c|--count",
        otherwise: (Read, "shows processes"),
        ..UNLISTED
    },
    Tool {
        names: &["lsof"],
        object: ObjectKind::Process,
        options: "-[?habClnNoOPRtUVXQTwMlbcg] =-A =-c =-d =-D =-e =-E =-f =-F =-g =-i =-K =-k =-m =-o =-p =-r =-s =-S =-T =-u =-x =-z =-Z =+c =+d =+D =+e =+E =+f =+L =+m =+M =+r =+w",
        rules: &[("-D", Change, "writes lsof's device cache")],
        otherwise: (Read, "lists open files"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "netstat", "ss", "lsns", "findmnt", "lsblk", "lscpu", "lsusb", "lspci", "lsmod",
            "lshw", "lsipc", "lslocks", "lsirq", "lsmem", "blkid", "getfacl", "lsattr",
        ],
        object: ObjectKind::Host,
        options: "-# -[aAbBcCdDeEfFghHiIJklLmMnNoOpPqrRsStTuUvVwWxyzZ0468] --all --noempty --bytes --discard --nodeps --fs --ascii --json --list --merge --perms --noheadings --output-all --pairs --paths --raw --scsi --inverse --tree --topology --shell --zoned --online --offline --extended --parse --hex --physical --caches --no-header --oneline --numeric --resolve --listening --options --memory --processes --threads --info --tos --cgroup --tipcinfo --deleted --df --evaluate --first-only --invert --kernel --mtab --poll --pseudo --shadow --submounts --real --fstab --shadowed --uniq --notruncate --nofsroot --verify --verbose --vfs-all --nowrap --no-encoding --no-part-details --garbage-collect --list-filesystems --list-one --probe --program --tcp --udp --unix --raw --route --interfaces --groups --statistics --masquerade --continuous --wide --extend --timers --symbolic --numeric-hosts --numeric-ports --numeric-users --absolute --omit-header --skip-base --physical --recursive =-E|--dedup =-e|--exclude =-I|--include =-o|--output =-w|--width|--timeout =-x|--sort =--sysroot =-s|--sysroot|--source =-C|--caches =-H|--hint =-L|--label =-n|--match-types =-O|--offset|--options =-s|--match-tag =-S|--size =-t|--match-token|--type|--types =-u|--usages =-U|--uuid =-d|--direction =-F|--tab-file =-M|--mountpoint =-N|--task =-p|--task =-T|--target|--tree =-A|--family =-f|--family =-D|--diag =-K =-c|--cache-file",
        rules: &[("-K|--kill", Destroy, "kills the sockets it matches")],
        otherwise: (Read, "lists system state"),
        ..UNLISTED
    },
    Tool {
        names: &["dmesg"],
        object: ObjectKind::Host,
        options: "-[deHJkPprSTtuwWxh] --show-delta --reltime --human --json --kernel --noescape --nopager --force-prefix --raw --syslog --ctime --notime --userspace --follow --follow-new --decode --color =-F|--file =-f|--facility =-l|--level =-s|--buffer-size =--since =--until =--time-format",
        rules: &[
            (
                "-C|--clear|-c|--read-clear",
                Destroy,
                "clears the kernel's message buffer: the messages are lost",
            ),
            (
                "-D|--console-off|-E|--console-on|-n|--console-level",
                Change,
                "changes what the kernel prints on the console",
            ),
        ],
        otherwise: (Read, "prints kernel messages"),
        ..UNLISTED
    },
    Tool {
        // dos2unix(1): converts files in place; `-n IN OUT` writes a new file.
        names: &["dos2unix", "unix2dos", "mac2unix", "unix2mac"],
        object: ObjectKind::File,
        options: "-[abcdfhiklLmoqrsStuvV1] --ascii --add-bom --convmode --force --help --info --keepdate --license --newfile --oldfile --quiet --remove-bom --safe --skip-symlink --follow-symlink --replace-symlink --version --verbose --keep-bom =-c|--convmode =-D|--display-enc =-e|--add-eol =-gb|--gb18030 =-O|--to-stdout",
        positionals: &[
            ("-n|--newfile", "- >"),
            ("-i|--info|-O|--to-stdout", "-*"),
            ("", "%*"),
        ],
        otherwise: (Workspace, "converts line endings in place"),
        ..UNLISTED
    },
    Tool {
        // patch(1): `patch [FILE [PATCHFILE]]` changes FILE, or the files the patch
        // names; `-o` writes elsewhere, `-d` works in another directory.
        names: &["patch"],
        object: ObjectKind::File,
        options: "-# -[bcEefFlNnRstuvZ] --backup --context --remove-empty-files --ed --force --ignore-whitespace --normal --forward --reverse --silent --quiet --batch --unified --verbose --version --set-time --set-utc --dry-run --posix --binary --merge* --follow-symlinks --no-backup-if-mismatch --backup-if-mismatch --read-only* =-B|--prefix =-D|--ifdef =-F|--fuzz =-g|--get =-i|--input =-p|--strip =-r|--reject-file =-V|--version-control =-Y|--basename-prefix =-z|--suffix =--quoting-style ~-d|--directory >-o|--output",
        positionals: &[("", "~ -")],
        otherwise: (Workspace, "changes files by a patch"),
        ..UNLISTED
    },
    Tool {
        // Perl's rename(1) runs its first argument as Perl code on each name; util-linux
        // rename(1) replaces text in the names.
        names: &["rename", "prename", "file-rename", "perl-rename"],
        object: ObjectKind::File,
        options: "-[vnfhmVdsoail0] --verbose --no-act --force --help --man --version --filename --nopath --symlink --no-overwrite --interactive --last --all --null =-e =-E @perl:--file",
        positionals: &[("-e|-E", "~*"), ("", "!perl ~*")],
        otherwise: (Workspace, "renames files"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "mail", "mailx", "s-nail", "sendmail", "msmtp", "ssmtp", "mutt", "neomutt",
        ],
        object: ObjectKind::Network,
        options: "*",
        otherwise: (Change, "sends mail"),
        ..UNLISTED
    },
    Tool {
        names: &["history", "fc"],
        object: ObjectKind::Command,
        options: "-# -[cdanrwpselr] =-d",
        rules: &[
            ("-c|-d|-s", Change, "changes the shell's history"),
            ("-w|-a", Workspace, "writes the shell's history"),
            ("-e|-s", Change, "runs commands again from the history"),
        ],
        otherwise: (Read, "prints the shell's history"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "ping",
            "ping6",
            "traceroute",
            "traceroute6",
            "tracepath",
            "tracepath6",
            "mtr",
            "arping",
            "fping",
        ],
        object: ObjectKind::Network,
        options: "-# -[46aAbBdDfhILnOqRrUvV] --report --report-wide --json --csv --xml --raw --no-dns --show-ips --aslookup --curses --gtk =-c|--report-cycles =-i|--interval =-I|--interface =-l =-m|--max-ttl =-M =-p =-Q =-s =-S =-t =-T =-w =-W =-f|--first-ttl =-q =-N =-z =-g =-P|--port =-b =-B|--bitpattern =-G|--graceperiod =-o|--order =-F|--filename =-e",
        otherwise: (Read, "probes the network"),
        ..UNLISTED
    },
    Tool {
        names: &["dig", "host", "nslookup", "whois", "drill", "delv", "kdig"],
        object: ObjectKind::Network,
        options: "-# -[46aCdhilmnrRsTuvVwx] =-b =-c =-f =-k =-p =-q =-t =-x =-y =-N =-W =-m =-h =-H =-i =-s =-T",
        // dig's `+query-options` are positional words; none of them run or write.
        otherwise: (Read, "looks up names"),
        ..UNLISTED
    },
    Tool {
        names: &["nc", "ncat", "netcat", "nc.openbsd", "nc.traditional"],
        object: ObjectKind::Network,
        options: "-[46bCDdFhklNnrStUuvzZ8EKLacx] --listen --keep-open --udp --sctp --nodns --verbose --zero --ssl --ssl-verify --no-shutdown --recv-only --send-only --allow --deny --chat --broker --telnet --crlf --version --help =-I =-i|--delay =-M =-m =-O =-P|--proxy-auth =-p|--source-port =-q =-s|--source =-T =-V =-w|--wait =-X|--proxy-type =-x|--proxy =-g =-G =--ssl-cert =--ssl-key =--ssl-trustfile =--ssl-ciphers =--ssl-alpn =--ssl-servername =--allowfile =--denyfile =--max-conns >-o|--output|--hex-dump =--append-output =-e|--exec =-c|--sh-exec ?--lua-exec",
        rules: &[
            ("-z|--zero", Read, "checks whether a port is open"),
            (
                "-l|--listen",
                Change,
                "listens for connections and passes data between them and its input and output",
            ),
        ],
        otherwise: (Change, "sends its input to another host"),
        ..UNLISTED
    },
    Tool {
        names: &["telnet"],
        object: ObjectKind::Network,
        options: "-[78ELNacdrFfKxX46] =-e =-l =-n =-b =-k =-S",
        otherwise: (Change, "sends its input to another host"),
        ..UNLISTED
    },
    Tool {
        names: &["socat"],
        object: ObjectKind::Network,
        options: "-[VhdDlvxbsturUg46] =-b =-T =-L =-W =-lf =-lp =-ly =-lm =-lh",
        otherwise: (Change, "passes data between two addresses"),
        ..UNLISTED
    },
    Tool {
        names: &["ssh"],
        object: ObjectKind::Network,
        options: "-[46AaCfGgKkMNnqsTtVvXxYy] !ssh:-o @ssh:-F >>-E ?-I =-B =-b =-c =-D =-e =-i =-J =-L =-l =-m =-O =-P =-p =-Q =-R =-S =-W =-w",
        otherwise: (Read, "connects to another host"),
        ..UNLISTED
    },
    Tool {
        names: &["scp", "sftp"],
        object: ObjectKind::File,
        // `sftp -b FILE` runs the batch's commands, `!` ones in a local shell.
        options: "-[346ABCOpqRrsTvaNf] !ssh:-o @ssh:-F !-S !-D =-c =-i =-J =-l =-P =-X ?-b =-R =-s =-B =-z",
        otherwise: (Change, "copies files between hosts"),
        ..UNLISTED
    },
    Tool {
        names: &["ssh-keygen"],
        object: ObjectKind::Secret,
        options: "-[BcDeHiLlpqrUvyAkKQu] =-a =-b =-C =-E =-F =-G =-I =-J =-j =-m =-M =-n =-N =-O =-P =-r =-R =-s =-t =-T =-V =-w =-Y =-Z =-z {-l|-y|-B|-F|-L|-e|-i|-r|-Y|-Q|-D|-K}=-f {-p|-c|-R|-H}~-f {!-l|-y|-B|-F|-L|-e|-i|-r|-Y|-Q|-D|-K|-p|-c|-R|-H}>-f",
        rules: &[
            (
                "-l|-y|-B|-F|-L|-Q|-e|-i|-r",
                Read,
                "prints a key's fingerprint or a key",
            ),
            ("-Y", Workspace, "signs or verifies data with a key"),
            ("-R|-H", Change, "edits the known-hosts file"),
            ("-D|-K", Change, "loads keys from a security device"),
        ],
        otherwise: (
            Change,
            "creates or rewrites a key pair, replacing an existing key",
        ),
        ..UNLISTED
    },
    Tool {
        names: &["ssh-add"],
        object: ObjectKind::Secret,
        options: "-[cCdDekKlLqsTvxX] =-E =-H =-h =-S =-t",
        rules: &[
            ("-l|-L|-T", Read, "lists the identities of the ssh agent"),
            (
                "-D|-d|-x|-X|-e",
                Change,
                "removes identities from the ssh agent or locks it",
            ),
        ],
        otherwise: (Change, "adds identities to the ssh agent"),
        ..UNLISTED
    },
    Tool {
        names: &["gpg", "gpg2"],
        object: ObjectKind::Secret,
        options: "* >-o|--output >>--logger-file ?--load-extension !--photo-viewer ?--exec-path",
        rules: &[
            (
                "--delete-keys|--delete-key|--delete-secret-keys|--delete-secret-key|--delete-secret-and-public-keys|--delete-secret-and-public-key",
                Destroy,
                "deletes keys from the keyring",
            ),
            (
                "--list-keys|-k|--list-public-keys|--list-secret-keys|-K|--list-sigs|--check-sigs|--fingerprint|--list-packets|--show-keys|--verify|--card-status|--version|--list-config|--print-md|--export|--export-ownertrust|--dump-options|--list-options|--with-colons",
                Read,
                "only reads keys or verifies signatures",
            ),
            ("-d|--decrypt", Read, "decrypts to standard output"),
            (
                "-s|--sign|--clearsign|--clear-sign|-b|--detach-sign|-e|--encrypt|-c|--symmetric|--armor|-a|--store",
                Workspace,
                "signs or encrypts files into new files beside them",
            ),
            (
                "--send-keys|--send-key",
                Change,
                "sends keys to a keyserver",
            ),
        ],
        otherwise: (Change, "changes the keyring"),
        ..UNLISTED
    },
    Tool {
        names: &["openssl"],
        object: ObjectKind::Secret,
        options: "* >-out|-keyout|-sess_out|-msgfile|-writerand|-keylogfile|-reqout|-respout|-certout|-signature|-out_trusted ?-engine|-provider|-provider-path|-keygen_engine",
        rules: &[
            (
                "s_client",
                Change,
                "connects to a server and sends it its input",
            ),
            (
                "s_server|s_time|ocsp -port",
                Change,
                "listens for connections",
            ),
            ("engine", Change, "loads an engine"),
            ("ca|req -x509", Workspace, "issues certificates"),
            (
                "x509|req|verify|crl|pkcs7|asn1parse|version|ciphers|list|errstr|speed|rand|dgst|sha*|md5|base64|enc|prime|passwd|rsa|ec|pkey|pkeyparam|ecparam|dhparam|genrsa|genpkey|gendsa|dsa|dsaparam|pkcs8|pkcs12|cms|smime|storeutl|kdf|mac|pkeyutl|rsautl|nseq|spkac|sess_id|help|info|x509v3",
                Read,
                "only reads or prints",
            ),
        ],
        otherwise: (Change, "runs an openssl command holdpoint does not know"),
        ..UNLISTED
    },
    Tool {
        names: &["man"],
        object: ObjectKind::Command,
        options: "-[acdDfFhiIkKlLrtuwWZ7] --all --catman --debug --default --whatis --apropos --global-apropos --local-file --where --path --location --location-cat --ditroff --gxditroff --ignore-case --match-case --regex --wildcard --names-only --no-subpages --no-hyphenation --no-justification --update --no-justification --ascii --encoding --troff =-C|--config-file =-e|--extension =-E =-L|--locale =-m|--systems =-M|--manpath =-R|--recode =-S|-s|--sections =-T|--troff-device =-X|--gxditview =-p|--preprocessor !-P|--pager !-H|--html",
        otherwise: (Read, "shows a manual page"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "info", "pinfo", "tldr", "tealdeer", "cheat", "glow", "mdcat",
        ],
        object: ObjectKind::Command,
        options: "-[aAhHklLnpsuvwwruPt] --all --apropos --help --show-options --usage --version --list --update --render --clear-cache --pager --platform --raw --linewrap --no-pager =-d|--directory =-f|--file =-n|--node =-w|--width =-s|--style =-p|--platform =-L|--language =--index-search >-o|--output|--dribble",
        rules: &[("--restore", Change, "reads keystrokes from a file")],
        otherwise: (Read, "shows documentation"),
        ..UNLISTED
    },
    Tool {
        names: &["less", "more", "most", "pg"],
        object: ObjectKind::File,
        options: "-# -[aABcCdeEfFgGiIJKLmMnNqQrRsSuUVwWXz~dflpcsu] --search-skip-screen --SEARCH-SKIP-SCREEN --auto-buffers --clear-screen --CLEAR-SCREEN --dumb --quit-at-eof --QUIT-AT-EOF --force --quit-if-one-screen --hilite-search --HILITE-SEARCH --ignore-case --IGNORE-CASE --status-column --quit-on-intr --no-lessopen --long-prompt --LONG-PROMPT --line-numbers --LINE-NUMBERS --quiet --silent --QUIET --SILENT --raw-control-chars --RAW-CONTROL-CHARS --squeeze-blank-lines --chop-long-lines --underline-special --UNDERLINE-SPECIAL --hilite-unread --HILITE-UNREAD --no-init --tilde --shift --file-size --follow-name --incsearch --line-num-width --mouse --MOUSE --no-keypad --no-histdups --rscroll --save-marks --status-col-width --use-backslash --use-color --wheel-lines --exit-follow-on-close --no-search-headers --no-vbell --redraw-on-quit --logical --exit-on-eof --no-pause --print-over --clean-print --squeeze --plain =-b|--buffers =-D|--color =-h|--max-back-scroll =-j|--jump-target =-p|--pattern =-P|--prompt =-t|--tag =-T|--tag-file =-x|--tabs =-y|--max-forw-scroll =-z|--window =-n|--lines =--header =--lesskey-src ?-k|--lesskey-file >-o|--log-file|-O|--LOG-FILE",
        otherwise: (Read, "shows files a page at a time"),
        ..UNLISTED
    },
    Tool {
        names: &["bat", "batcat"],
        object: ObjectKind::File,
        options: "-[AplnHPuhV] --show-all --plain --number --list-languages --list-themes --unbuffered --diff --no-paging --config-file --config-dir --cache-dir --acknowledgements --no-config --no-custom-assets --chop-long-lines --strip-ansi --help --version =-l|--language =-H|--highlight-line =--file-name =--diff-context =--tabs =--wrap =--terminal-width =--color =--italic-text =--decorations =--paging =-m|--map-syntax =--ignored-suffix =--theme =--theme-light =--theme-dark =--style =-r|--line-range =--squeeze-limit =-s|--squeeze-blank =--nonprintable-notation =--binary =--completion !--pager",
        rules: &[
            ("cache", Workspace, "builds or clears bat's cache"),
            (
                "--generate-config-file",
                Change,
                "writes bat's configuration file",
            ),
        ],
        otherwise: (Read, "prints files with syntax highlighting"),
        ..UNLISTED
    },
    Tool {
        names: &["delta", "diff-so-fancy", "difftastic", "difft"],
        object: ObjectKind::File,
        options: "* !--pager",
        otherwise: (Read, "shows differences"),
        ..UNLISTED
    },
    Tool {
        names: &["fd", "fdfind"],
        object: ObjectKind::File,
        options: "-[HIuspiLFa0lgqj1] --hidden --no-hidden --no-ignore --ignore --no-ignore-vcs --ignore-vcs --no-require-git --no-ignore-parent --unrestricted --case-sensitive --ignore-case --glob --regex --absolute-path --relative-path --list-details --follow --no-follow --full-path --print0 --prune --one-file-system --show-errors --quiet --strip-cwd-prefix --no-global-ignore-file --fixed-strings --and --format --hyperlink =-d|--max-depth =--min-depth =--exact-depth =-t|--type =-e|--extension =-E|--exclude =-S|--size =--changed-within =--changed-before =--newer =--older =-o|--owner =-c|--color =-j|--threads =--max-results =--base-directory =--path-separator =--search-path =--ignore-file =--max-buffer-time =--batch-size =--format &-x|--exec &-X|--exec-batch",
        otherwise: (Read, "finds files"),
        ..UNLISTED
    },
    Tool {
        names: &["fzf", "sk"],
        object: ObjectKind::Command,
        options: "-[xeimf0123] --extended --exact --ignore-case --no-ignore-case --smart-case --literal --no-sort --tac --disabled --multi --no-multi --no-mouse --cycle --keep-right --no-hscroll --filepath-word --reverse --border --no-info --inline-info --select-1 --exit-0 --print-query --print0 --read0 --sync --ansi --no-bold --no-color --no-unicode --no-scrollbar --info --layout --height --tmux --highlight-line --wrap --track --phony --no-clear --tiebreak =-n|--nth =--with-nth =-d|--delimiter =--scheme =--algo =--tiebreak =--height =--min-height =--layout =--border =--border-label =--margin =--padding =--info =--prompt =--pointer =--marker =--header =--header-lines =--color =--history-size =-q|--query =-f|--filter =--expect =--preview-window =--preview-label =--tabstop =--separator =--scrollbar =--ellipsis =--jump-labels =--gap =--style =--walker =--walker-root =--walker-skip !fzfcmd:--preview !fzf:--bind >--history ?--listen|--listen-unsafe",
        otherwise: (Read, "selects from a list"),
        ..UNLISTED
    },
    Tool {
        names: &["tokei", "scc", "cloc", "loc"],
        object: ObjectKind::File,
        options: "-[fhlsCV] --files --hidden --no-ignore --no-ignore-parent --no-ignore-dot --no-ignore-vcs --compact --num-format --verbose --languages --wide --no-cocomo --no-complexity --no-duplicates --no-gen --no-size --no-large --no-min-gen --by-file --ci --debug --trace --count-as =-e|--exclude =-i|--input >-o|--output =-s|--sort =-t|--type|--types =-c|--columns =-x|--exclude-ext =--exclude-dir =-M|--not-match =-w|--width =--format =-z",
        rules: &[(
            "--format-multi|--report-file|--out",
            Workspace,
            "writes a report file",
        )],
        otherwise: (Read, "counts lines of code"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "nm",
            "objdump",
            "readelf",
            "size",
            "otool",
            "addr2line",
            "c++filt",
            "dwarfdump",
            "llvm-nm",
            "llvm-objdump",
            "llvm-readelf",
            "llvm-size",
        ],
        object: ObjectKind::Code,
        options: "-# -[aABCDdeEfFgGhHiIlLnoprRsStTuUvVwWxXzcP] --print-file-name --debug-syms --demangle --no-demangle --recurse-limit --no-recurse-limit --dynamic --extern-only --line-numbers --inlines --numeric-sort --no-sort --portability --reverse-sort --print-size --print-armap --undefined-only --defined-only --size-sort --special-syms --synthetic --no-weak --with-symbol-versions --without-symbol-versions --archive-header --debugging --debugging-tags --disassemble --disassemble-all --no-addresses --prefix-addresses --file-headers --file-offsets --file-start-context --section-headers --headers --info --process-links --private-headers --reloc --dynamic-reloc --full-contents --source --show-all-symbols --show-raw-insn --no-show-raw-insn --syms --dynamic-syms --all-headers --wide --disassemble-zeroes --dwarf-check --all --program-headers --segments --quiet --sections --section-groups --section-details --symbols --dyn-syms --lto-syms --notes --relocs --unwind --use-dynamic --arch-specific --lint --enable-checks --decompress --archive-index --histogram --version-info --silent-truncation --common --totals --verbose --unused --data-relocs --function-relocs --functions --basenames --pretty-print =-f|--format =-t|--radix =--target =-b =-j|--section =-m|--architecture =-M|--disassembler-options =-P|--private =--adjust-vma =--start-address =--stop-address =--prefix =--prefix-strip =--insn-width =--dwarf-depth =--dwarf-start =-x|--hex-dump =-R|--relocated-dump =-p|--string-dump =-U|--unicode =--sym-base =--plugin =--ifunc-chars =-e|--exe",
        otherwise: (Read, "inspects a binary"),
        ..UNLISTED
    },
    Tool {
        // ldd(1): ldd may run the program it inspects, as a build or a test would.
        names: &["ldd"],
        object: ObjectKind::Code,
        options: "-[vudr] --verbose --unused --data-relocs --function-relocs",
        otherwise: (Workspace, "lists a program's libraries, which may run it"),
        ..UNLISTED
    },
    Tool {
        names: &["env"],
        object: ObjectKind::Host,
        options: "-[0iv] --null --ignore-environment --debug =-u|--unset =-C|--chdir",
        otherwise: (Read, "prints the environment"),
        ..UNLISTED
    },
    Tool {
        names: &["sar"],
        object: ObjectKind::Host,
        options: "-# -[ABbdFHhqrSuvWwyz] =-I =-m =-n =-P =-f =-i =-s =-e --human --pretty --dev --fs --iface >-o",
        otherwise: (Read, "shows activity counters"),
        ..UNLISTED
    },
    Tool {
        names: &["nvidia-smi"],
        object: ObjectKind::Device,
        options: "* >-f|--filename",
        rules: &[
            (
                "-r|--gpu-reset|-pm|--persistence-mode|-e|--ecc-config|-p|--reset-ecc-errors|-c|--compute-mode|-dm|--driver-model|-ac|--applications-clocks|-rac|--reset-applications-clocks|-pl|--power-limit|-lgc|--lock-gpu-clocks|-rgc|--reset-gpu-clocks|-lmc|--lock-memory-clocks|-rmc|--reset-memory-clocks|-mig|--multi-instance-gpu|-cc|--cuda-clocks|-am|--accounting-mode|-caa|--clear-accounted-apps",
                Change,
                "changes or resets the GPU's settings",
            ),
            ("mig|drain|nvlink -r", Change, "changes the GPU's state"),
        ],
        otherwise: (Read, "shows GPU state"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "loginctl",
            "resolvectl",
            "networkctl",
            "busctl",
            "coredumpctl",
        ],
        object: ObjectKind::Host,
        options: "* >-o|--output",
        rules: &[
            (
                "terminate-session|terminate-user|kill-session|kill-user|lock-session|lock-sessions|disable-linger|delete|down|flush-caches|reset-statistics|reset-server-features|revert|kill",
                Destroy,
                "ends sessions or removes network configuration",
            ),
            (
                "list-sessions|list-users|list-seats|session-status|user-status|seat-status|show-session|show-user|show-seat|status|query|statistics|list|lldp|label|monitor|dns|domain|default-route|llmnr|mdns|dnssec|dnsovertls|nta|log-level|info|debug|$",
                Read,
                "only reads",
            ),
        ],
        otherwise: (Change, "changes sessions or network settings"),
        ..UNLISTED
    },
    Tool {
        names: &["bc", "calc", "qalc"],
        object: ObjectKind::Command,
        options: "-[hilwsqvV] --help --interactive --mathlib --warn --standard --quiet --version =-e|--expression =-f|--file",
        // GNU bc has no way to run a command.
        rules: &[],
        otherwise: (Read, "calculates"),
        ..UNLISTED
    },
    Tool {
        // dc's `!` runs a command: its programs are read as such (`embedded::dc`), from
        // `-e`, `-f`, the files it is given and, with none, its standard input.
        names: &["dc"],
        object: ObjectKind::Command,
        options: "-[hV] --help --version !dc:-e|--expression @dc:-f|--file",
        positionals: &[("", "@dc*")],
        otherwise: (Read, "calculates"),
        ..UNLISTED
    },
    Tool {
        names: &["xmllint", "yamllint", "jsonlint", "hadolint", "shellcheck"],
        object: ObjectKind::Code,
        options: "* >--output|-o",
        otherwise: (Read, "checks files"),
        ..UNLISTED
    },
    Tool {
        names: &["pg_isready", "pg_config", "pg_controldata"],
        object: ObjectKind::Database,
        options: "* ",
        otherwise: (Read, "reads a database server's status or build"),
        ..UNLISTED
    },
    Tool {
        names: &["mysqldump", "mariadb-dump", "pg_dump", "pg_dumpall"],
        object: ObjectKind::Database,
        options: "* >-f|--file >-r|--result-file ~--tab",
        otherwise: (Read, "reads a database into a dump"),
        ..UNLISTED
    },
    Tool {
        names: &["mongodump", "mongoexport"],
        object: ObjectKind::Database,
        options: "* ~-o|--out >--archive*",
        otherwise: (Read, "reads a database into a dump"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "ssh-keyscan",
            "nmap",
            "arp",
            "iw",
            "tcpdump",
            "tshark",
            "ngrep",
            "iftop",
            "nethogs",
            "bmon",
        ],
        object: ObjectKind::Network,
        options: "* >-w|-oN|-oX|-oG|-oA|-oS",
        rules: &[("--script|-sC|-A", Change, "runs nmap scripts against hosts")],
        otherwise: (Read, "only observes the network"),
        ..UNLISTED
    },
    Tool {
        names: &["gdb", "gdb-multiarch", "cgdb"],
        object: ObjectKind::Code,
        options: "-[qnwhvb] -batch -nx -nh -nw -quiet -silent -q -tui -readnow -readnever -write -statistics -version -configuration -return-child-result --batch --nx --nh --quiet --silent --tui --readnow --readnever --write --statistics --version --configuration --return-child-result --args =-cd|--cd =-d|--directory|-directory =-s|--symbols|-symbols =-e|--exec|-exec =-se =-c|--core|-core =-b =-l =-i|--interpreter|-interpreter =-D|--data-directory|-data-directory =-tty|--tty !gdb:-ex|--eval-command|-eval-command !gdb:-iex|--init-eval-command|-init-eval-command @gdb:-x|--command|-command @gdb:-ix|--init-command|-init-command ?-p|--pid|-pid",
        rules: &[("-p|--pid|-pid", Change, "attaches to a running process")],
        otherwise: (Workspace, "debugs a program"),
        ..UNLISTED
    },
    Tool {
        names: &["lldb"],
        object: ObjectKind::Code,
        options: "-[bxXQvhr] --batch --no-lldbinit --local-lldbinit --version --help --debug --repl --wait-for --no-use-colors --source-quietly =-a|--arch =-c|--core =-f|--file =-n|--attach-name =-p|--attach-pid =-l|--script-language =-d|--debug !lldb:-o|--one-line !lldb:-O|--one-line-before-file !lldb:-k|--one-line-on-crash @lldb:-s|--source @lldb:-S|--source-before-file @lldb:-K|--source-on-crash",
        rules: &[(
            "-p|--attach-pid|-n|--attach-name",
            Change,
            "attaches to a running process",
        )],
        otherwise: (Workspace, "debugs a program"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "vim", "vi", "nvim", "gvim", "rvim", "vimx", "evim", "vimdiff", "nvimdiff",
        ],
        object: ObjectKind::File,
        options: "-[bCdDeEhlLmMnNrRyZAFH] {-e|-E|-es|-Es}-s {!-e|-E|-es|-Es}?-s -es -Es --clean --noplugin --not-a-term --ttyfail --nofork --version --help --embed --headless -o* -O* -p* -V =-T >-i =-r =--startuptime =--servername =--remote =--remote-silent =--remote-wait =--remote-tab =--remote-expr =--remote-send =--listen !ex:-c !ex:--cmd @ex:-S @ex:-u ~-w|-W",
        // The files named are edited: written when vim writes them.
        positionals: &[("", "~*")],
        otherwise: (Workspace, "edits files"),
        ..UNLISTED
    },
    Tool {
        // ex(1) rewrites the files it edits (the walker records that); `-s` is silent.
        names: &["ex"],
        object: ObjectKind::File,
        options: "-[bCdDeEhlLmMnNrRsyZAFvXV] --clean --noplugin --version --help !ex:-c !ex:--cmd @ex:-S @ex:-u",
        otherwise: (Workspace, "edits files"),
        ..UNLISTED
    },
    Tool {
        names: &["view", "rview", "gview"],
        object: ObjectKind::File,
        options: "-[bCdDeEhlLmMnNrRyZAFH] {-e|-E|-es|-Es}-s {!-e|-E|-es|-Es}?-s -es -Es --clean --noplugin --not-a-term --ttyfail --nofork --version --help --embed --headless -o* -O* -p* -V =-T >-i =-r =--startuptime !ex:-c !ex:--cmd @ex:-S @ex:-u ~-w|-W",
        otherwise: (Read, "shows files read-only"),
        ..UNLISTED
    },
    Tool {
        names: &["sed", "gsed"],
        object: ObjectKind::File,
        options: "-# -[nsuzErl] -i* --quiet --silent --debug --posix --sandbox --separate --unbuffered --null-data --zero-terminated --regexp-extended --follow-symlinks --binary --in-place* =-l|--line-length {!--sandbox}!sed:-e|--expression {--sandbox}=-e|--expression {!--sandbox}@sed:-f|--file {--sandbox}=-f|--file",
        // The first positional is the script, unless `-e` or `-f` gave one; with
        // `--sandbox`, sed refuses the commands that run or write.
        positionals: &[
            ("--sandbox", "-*"),
            ("-e|--expression|-f|--file", "-*"),
            ("", "!sed -*"),
        ],
        otherwise: (Read, "transforms text"),
        ..UNLISTED
    },
    Tool {
        names: &["awk", "gawk", "mawk", "nawk", "busybox-awk"],
        object: ObjectKind::File,
        options: "-[bcCghMNnOPrstSVy] --characters-as-bytes --traditional --copyright --gen-pot --lint --bignum --no-optimize --optimize --posix --re-interval --sandbox --use-lc-numeric --version --help --non-decimal-data --csv =-F|--field-separator =-v|--assign =-W =-L|--lint @awk:-i|--include ?-l|--load @awk:-f|--file @awk:-E|--exec !awk:-e|--source >-o*|--pretty-print* >-p*|--profile* >-d*|--dump-variables* ?-D*|--debug*",
        // The first positional is the program, unless `-f` or `-e` gave one.
        positionals: &[("-f|--file|-E|--exec|-e|--source", "-*"), ("", "!awk -*")],
        otherwise: (Read, "processes text"),
        ..UNLISTED
    },
    Tool {
        names: &["csplit"],
        object: ObjectKind::File,
        options: "-[ksz] --keep-files --suppress-matched --quiet --silent --elide-empty-files =-b|--suffix-format =-n|--digits ~-f|--prefix",
        otherwise: (
            Workspace,
            "splits a file into pieces in the working directory",
        ),
        ..UNLISTED
    },
    Tool {
        names: &["split"],
        object: ObjectKind::File,
        options: "-# -[dekzsx] --numeric-suffixes --hex-suffixes --elide-empty-files --unbuffered --separator --verbose --keep-files --suppress-matched --quiet --silent --elide-empty-files =-a|--suffix-length =--additional-suffix =-b|--bytes =-C|--line-bytes =-l|--lines =-n|--number =-t|--separator !--filter",
        // split(1): `split [INPUT [PREFIX]]` writes PREFIXaa, PREFIXab… beside PREFIX.
        positionals: &[("", "- ~")],
        otherwise: (Workspace, "splits a file into pieces"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "gzip",
            "gunzip",
            "pigz",
            "unpigz",
            "compress",
            "uncompress",
            "lzma",
            "unlzma",
            "lzip",
        ],
        object: ObjectKind::File,
        options: "-# -[acdfhklLnNqrtvVZz] --ascii --stdout --to-stdout --decompress --uncompress --force --keep --list --license --no-name --name --quiet --recursive --rsyncable --synchronous --test --verbose --version --fast --best --independent --zlib --zip =-S|--suffix =-p|--processes =-b|--blocksize",
        // gzip(1) replaces each file with its compressed copy, removing the original,
        // unless told to keep it or to write to standard output.
        rules: &[(
            "-c|--stdout|--to-stdout|-l|--list|-t|--test",
            Read,
            "prints, lists or tests compressed data",
        )],
        positionals: &[
            (
                "-c|--stdout|--to-stdout|-k|--keep|-l|--list|-t|--test",
                "-*",
            ),
            ("", "x*"),
        ],
        otherwise: (Workspace, "compresses or decompresses files"),
        ..UNLISTED
    },
    Tool {
        names: &["bzip2", "bunzip2", "xz", "unxz", "pbzip2", "lbzip2"],
        object: ObjectKind::File,
        options: "-# -[cdzktfqvsLVhlQeH] --stdout --to-stdout --decompress --uncompress --compress --keep --test --force --quiet --verbose --small --license --version --help --list --single-stream --no-sparse --ignore-check --extreme --fast --best --no-adjust --robot --info-memory --long-help --no-warn --repetitive-fast --repetitive-best --lzma1* --lzma2* --x86* --arm* --armthumb* --arm64* --powerpc* --ia64* --sparc* --riscv* --delta* =-S|--suffix =--files =--files0 =-F|--format =-C|--check =--block-size =--block-list =--flush-timeout =--memlimit-compress =--memlimit-decompress =--memlimit-mt-decompress =-M|--memlimit|--memory =-T|--threads =--filters =--filters1* =--filters-help",
        rules: &[(
            "-c|--stdout|--to-stdout|-l|--list|-t|--test",
            Read,
            "prints, lists or tests compressed data",
        )],
        positionals: &[
            (
                "-c|--stdout|--to-stdout|-k|--keep|-l|--list|-t|--test",
                "-*",
            ),
            ("", "x*"),
        ],
        otherwise: (Workspace, "compresses or decompresses files"),
        ..UNLISTED
    },
    Tool {
        names: &["zstd", "unzstd", "zstdmt", "lz4", "unlz4"],
        object: ObjectKind::File,
        options: "-# -[cdzDfkqrtvVlhHjnT] --stdout --decompress --uncompress --compress --force --keep --quiet --verbose --test --list --rm --rsyncable --ultra --long* --fast* --adapt* --single-thread --sparse --no-sparse --content-size --no-content-size --check --no-check --progress --no-progress --exclude-compressed --show-default-cpu-param --patch-from* --format* --train --no-dictID --best --large-window* --favor-decSpeed --multiple --no-frame-crc --frame-crc --block-size* --zstd* --memory* =-D =-T|--threads =-B|--block-size =--maxdict =--dictID =--stream-size =--size-hint =--target-compressed-block-size =--output-dir-flat =--output-dir-mirror >-o|--output",
        // zstd(1) and lz4(1) keep the original unless `--rm`; lz4 writes `lz4 IN OUT`.
        rules: &[(
            "-c|--stdout|--to-stdout|-l|--list|-t|--test",
            Read,
            "prints, lists or tests compressed data",
        )],
        positionals: &[
            ("-c|--stdout|-l|--list|-t|--test", "-*"),
            ("--rm", "x*"),
            ("", "~*"),
        ],
        otherwise: (Workspace, "compresses or decompresses files"),
        ..UNLISTED
    },
    Tool {
        names: &["brotli", "unbrotli"],
        object: ObjectKind::File,
        options: "-# -[cdfhjkntvVZ] --stdout --decompress --force --help --rm --keep --no-copy-stat --test --verbose --version --best --large_window* =-q|--quality =-w|--lgwin =-S|--suffix =-D|--dictionary >-o|--output",
        // brotli(1) keeps the original unless `-j`/`--rm`, and writes `brotli IN OUT`.
        rules: &[(
            "-c|--stdout|--to-stdout|-l|--list|-t|--test",
            Read,
            "prints, lists or tests compressed data",
        )],
        positionals: &[
            ("-c|--stdout|-l|--list|-t|--test", "-*"),
            ("--rm|-j", "x*"),
            ("", "~*"),
        ],
        otherwise: (Workspace, "compresses or decompresses files"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "zcat", "zless", "zmore", "bzcat", "xzcat", "lzcat", "zstdcat", "lz4cat",
        ],
        object: ObjectKind::File,
        options: "-# -[fhLqVvlcdktT] --force --help --license --quiet --version --verbose --list --stdout --decompress --keep --test --suffix =-S|--suffix =-T|--threads",
        otherwise: (Read, "prints compressed files"),
        ..UNLISTED
    },
    Tool {
        names: &["zip"],
        object: ObjectKind::File,
        options: "-# -[0123456789AcdDeFfgjJkLlmoqrRSTuvwXyz@$] --adjust-sfx --append --copy --delete --no-dir-entries --entries --encrypt --fix --fixfix --grow --junk-paths --absolute-path --junk-sfx --DOS-names --license --to-crlf --from-crlf --latest-time --move --quiet --recurse-paths --recurse-patterns --split-pause --split-verbose --system-hidden --test --update --verbose --no-extra --symlinks --archive-clear --archive-set --filesync --freshen --display-bytes --display-counts --display-dots --display-globaldots --display-usize --display-volume --help --version --names-stdin --latin1 --unicode --no-wild --wild-stop-dirs --exclude* --include* =-b|--temp-path =-i|--include =-x|--exclude =-n|--suffixes =-P|--password =-s|--split-size =-sb =-sc =-sp =-sv =-t|--from-date =-tt|--before-date =-Z|--compression-method =-z|--archive-comment =-ds|--dot-size =-lf|--logfile-path >-O|--output-file !-TT|--unzip-command",
        // zip(1): `zip ARCHIVE FILES…` updates the archive; `-m` moves the files into it,
        // deleting them.
        positionals: &[("-m|--move", "~ x*"), ("-d|--delete", "~ -*"), ("", "~ -*")],
        otherwise: (Workspace, "packs files into an archive"),
        ..UNLISTED
    },
    Tool {
        names: &["unzip", "funzip", "zipinfo"],
        object: ObjectKind::File,
        options: "-# -[ZAcfflnopqtuvzabjLMCKNsSUVWX2$:^] ~-d =-x =-P =-O =-I",
        rules: &[(
            "-l|-t|-v|-Z|-z|-c|-p",
            Read,
            "lists, tests or prints an archive",
        )],
        otherwise: (Workspace, "unpacks an archive"),
        ..UNLISTED
    },
    Tool {
        names: &["7z", "7za", "7zr", "7zz"],
        object: ObjectKind::File,
        options: "-# -y -r -r- -r0 -so -si -sdel -spf -spf2 -sni -sns -ssc -ssc- -ssw -stl -slt -sa* -scrc* -scc* -scs* -ssp -snh -snl -spd -spe -spm -bb* -bs* -bt -bd -ba -i* -x* -m* -v* -t* -p* -ao* -ax* -ai* -w* -an -ad -stx* -stm* -snr -snc -sse -sccUTF-8 ~-o*",
        rules: &[
            ("l|t|h|i|b", Read, "lists, tests or hashes an archive"),
            ("d", Workspace, "deletes entries from an archive"),
        ],
        // `7z a ARCHIVE FILES…`: the archive is updated; `-sdel` deletes the files.
        positionals: &[("a|u -sdel", "- ~ x*"), ("a|u|d|rn", "- ~ -*")],
        otherwise: (Workspace, "packs or unpacks an archive"),
        ..UNLISTED
    },
    Tool {
        names: &["git"],
        object: ObjectKind::Repository,
        value_flags: &[
            "-C",
            "-c",
            "--git-dir",
            "--work-tree",
            "--namespace",
            "-m",
            "-F",
            "-b",
            "-B",
            "--message",
            "--format",
            "--author",
            "--date",
            "-n",
            "--since",
            "--until",
            "-U",
        ],
        rules: &[
            ("push -n|--dry-run", Read, "shows what a push would do"),
            (
                "push -f|--force|--force-with-lease*|--force-if-includes|--mirror|--delete|-d|--prune",
                Destroy,
                "force-pushes or deletes remote history",
            ),
            (
                "push ~:*|+*",
                Destroy,
                "deletes or force-updates a remote branch",
            ),
            ("push", Change, "pushes commits to a remote"),
            (
                "reset --hard|--merge|--keep",
                Destroy,
                "discards uncommitted work",
            ),
            ("reset", Workspace, "moves the branch head in the workspace"),
            ("clean -n|--dry-run", Read, "lists untracked files"),
            (
                "clean",
                Destroy,
                "deletes untracked files, which no history keeps",
            ),
            (
                "checkout -f|--force",
                Destroy,
                "discards uncommitted changes",
            ),
            (
                "checkout --",
                Destroy,
                "discards uncommitted changes to files",
            ),
            (
                "checkout ~.|./|:/",
                Destroy,
                "discards uncommitted changes to files",
            ),
            ("checkout", Workspace, "switches branches in the workspace"),
            (
                "restore --staged !--worktree|-W",
                Workspace,
                "unstages changes",
            ),
            ("restore", Destroy, "discards uncommitted changes to files"),
            (
                "switch --discard-changes|-f|--force",
                Destroy,
                "discards uncommitted changes",
            ),
            ("switch", Workspace, "switches branches in the workspace"),
            ("stash drop|clear", Destroy, "deletes stashed work"),
            ("stash list|show", Read, "shows stashed work"),
            ("stash", Workspace, "stashes work in the workspace"),
            (
                "branch -D|-f|--force",
                Destroy,
                "deletes or moves a branch, losing commits only it holds",
            ),
            (
                "branch --delete --force",
                Destroy,
                "deletes a branch, losing commits only it holds",
            ),
            (
                "branch -d|--delete|-m|--move|-M|-c|--copy|-u|--set-upstream-to*|--unset-upstream",
                Workspace,
                "changes local branches",
            ),
            (
                "branch -a|-r|--list|-l|-v|-vv|--contains|--merged|--no-merged|--show-current|--all|--remotes",
                Read,
                "lists branches",
            ),
            ("branch $", Read, "lists branches"),
            ("branch", Workspace, "creates a local branch"),
            ("tag -d|--delete", Workspace, "deletes a local tag"),
            ("tag -l|--list|-n", Read, "lists tags"),
            ("tag $", Read, "lists tags"),
            ("tag", Workspace, "creates a local tag"),
            (
                "reflog expire|delete",
                Destroy,
                "deletes the record of earlier states",
            ),
            ("reflog", Read, "shows the record of earlier states"),
            (
                "gc --prune*",
                Destroy,
                "prunes unreachable commits for good",
            ),
            (
                "filter-repo --analyze",
                Workspace,
                "writes an analysis of the history",
            ),
            (
                "prune|filter-branch|filter-repo",
                Destroy,
                "rewrites or prunes history for good",
            ),
            ("update-ref -d", Destroy, "deletes a reference"),
            (
                "update-ref|symbolic-ref",
                Workspace,
                "moves local references",
            ),
            ("replace", Change, "rewrites references"),
            (
                "instaweb|daemon",
                Change,
                "serves the repository and starts a web server or browser",
            ),
            (
                "read-tree --reset|-u",
                Destroy,
                "overwrites the working tree, discarding changes",
            ),
            (
                "worktree remove -f|--force",
                Destroy,
                "removes a worktree with its uncommitted changes",
            ),
            ("worktree list", Read, "lists worktrees"),
            (
                "config --global|--system",
                Change,
                "changes git configuration outside the repository",
            ),
            (
                "config --get*|--list|-l|--show-origin|--show-scope",
                Read,
                "reads git configuration",
            ),
            ("config * $", Read, "reads git configuration"),
            (
                "config",
                Workspace,
                "changes the repository's configuration",
            ),
            ("remote $", Read, "lists remotes"),
            ("remote -v|--verbose|show|get-url", Read, "lists remotes"),
            ("submodule status|summary|foreach", Read, "shows submodules"),
            (
                "status|log|diff|show|blame|annotate|shortlog|describe|rev-parse|rev-list|ls-files|ls-tree|ls-remote|cat-file|grep|whatchanged|show-ref|for-each-ref|count-objects|fsck|check-ignore|check-attr|name-rev|merge-base|var|help|version|--version|cherry|range-diff|show-branch|verify-commit|verify-tag|difftool|request-pull",
                Read,
                "only reads the repository",
            ),
            (
                "add|commit|mv|rm|init|clone|merge|rebase|cherry-pick|revert|am|apply|fetch|pull|remote|worktree|submodule|notes|bisect|archive|format-patch|gc|maintenance|repack|sparse-checkout|lfs|mergetool|stage|restore|commit-tree|read-tree|write-tree|update-index|hash-object|bundle|fast-import|credential|citool|gui|pack-refs|rerere|switch|checkout",
                Workspace,
                "changes the local repository",
            ),
        ],
        otherwise: (Change, "runs a git command holdpoint does not know"),
        // git's own options that run programs or write files (git-log(1), git-rebase(1),
        // git-difftool(1), git-grep(1), git-fetch(1), git-push(1), git-archive(1),
        // git-clone(1), git-bundle(1)); `-c` and the environment are read by the walker.
        options: "* ^=-c ^=-C ^=--git-dir ^=--work-tree ^=--namespace {diff|log|show|whatchanged|range-diff|format-patch|stash|blame|shortlog}>--output {format-patch}~-o|--output-directory {archive}>-o|--output {archive}!--exec {rebase}!-x|--exec {difftool}!-x|--extcmd {grep}!-O*|--open-files-in-pager* {clone|ls-remote}!-u|--upload-pack {fetch|pull}!--upload-pack {push|send-pack}!--receive-pack|--exec {send-email}!--sendmail-cmd|--to-cmd|--cc-cmd|--header-cmd|--smtp-server {clone}!git:-c|--config {clone|init}?--template {config}~-f|--file|--blob {apply}~--directory",
        // A clone, a new repository or a worktree is written where the last argument says.
        positionals: &[
            ("bisect run", "- - &"),
            ("bundle create", "- - >"),
            ("clone", "- - ~"),
            ("init", "- ~"),
            ("worktree add", "- - ~"),
        ],
    },
    Tool {
        names: &["terraform", "tofu", "terragrunt", "opentofu"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-var",
            "-var-file",
            "-target",
            "-chdir",
            "-out",
            "-state",
            "-replace",
        ],
        rules: &[
            (
                "plan|show|output|validate|version|providers|graph|console|-version|--version|-help|help|metadata|modules|test",
                Read,
                "only plans or inspects infrastructure",
            ),
            ("destroy", Destroy, "destroys the infrastructure it manages"),
            (
                "apply|run-all -destroy",
                Destroy,
                "destroys the infrastructure it manages",
            ),
            (
                "apply -replace*",
                Destroy,
                "destroys and recreates resources",
            ),
            (
                "run-all destroy",
                Destroy,
                "destroys the infrastructure it manages",
            ),
            (
                "apply|import|refresh|taint|untaint|force-unlock|run-all",
                Change,
                "changes real infrastructure",
            ),
            ("state list|show|pull", Read, "reads the state"),
            ("state push -force", Destroy, "overwrites the state"),
            ("state", Change, "rewrites the state"),
            (
                "workspace delete",
                Destroy,
                "deletes a workspace and its state",
            ),
            ("workspace list|show", Read, "lists workspaces"),
            ("workspace", Change, "switches or creates workspaces"),
            ("fmt -check", Read, "only checks formatting"),
            (
                "init|fmt|get|login|logout",
                Workspace,
                "prepares the working directory",
            ),
        ],
        otherwise: (Change, "runs a terraform command holdpoint does not know"),
        ..UNLISTED
    },
    Tool {
        names: &["pulumi"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-s",
            "--stack",
            "-C",
            "--cwd",
            "-m",
            "--message",
            "-t",
            "--target",
        ],
        rules: &[
            (
                "destroy|down",
                Destroy,
                "destroys the stack's infrastructure",
            ),
            ("stack rm", Destroy, "deletes a stack and its state"),
            ("state delete", Destroy, "deletes a resource from the state"),
            (
                "preview|pre|whoami|version|about|logs|--version|help",
                Read,
                "only previews or inspects",
            ),
            (
                "stack ls|output|export|history|graph|tag $",
                Read,
                "reads the stack",
            ),
            ("config get", Read, "reads configuration"),
            ("config $", Read, "reads configuration"),
            ("up|update --preview-only", Read, "only previews"),
        ],
        otherwise: (Change, "changes real infrastructure"),
        ..UNLISTED
    },
    Tool {
        names: &["kubectl", "oc", "k", "microk8s.kubectl"],
        object: ObjectKind::Cluster,
        value_flags: &[
            "-n",
            "--namespace",
            "--context",
            "--cluster",
            "--user",
            "--kubeconfig",
            "-l",
            "--selector",
            "-o",
            "--output",
            "-f",
            "--filename",
            "-c",
            "--container",
            "-s",
            "--server",
            "--field-selector",
            "--token",
            "--as",
            "-k",
            "--kustomize",
            "--template",
            "-p",
            "--patch",
            "--type",
            "--image",
            "--replicas",
            "--timeout",
            "--since",
            "--tail",
            "--sort-by",
            "-L",
            "--label-columns",
        ],
        rules: &[
            ("--dry-run*", Read, "only shows what would change"),
            (
                "get|describe|logs|top|explain|api-resources|api-versions|version|cluster-info|diff|events|wait|completion|plugin|kustomize|certificate",
                Read,
                "only reads the cluster",
            ),
            (
                "config view|get-contexts|current-context|get-clusters|get-users",
                Read,
                "reads the client configuration",
            ),
            ("auth can-i|whoami", Read, "checks permissions"),
            ("rollout status|history", Read, "reads rollout state"),
            (
                "delete|drain",
                Destroy,
                "deletes resources from the cluster",
            ),
            (
                "apply --prune",
                Destroy,
                "deletes resources not in the manifests",
            ),
            (
                "replace --force",
                Destroy,
                "deletes and recreates resources",
            ),
            (
                "scale --replicas=0",
                Destroy,
                "scales workloads to zero, stopping them",
            ),
            ("config", Workspace, "changes the client configuration"),
        ],
        otherwise: (Change, "changes the cluster"),
        ..UNLISTED
    },
    Tool {
        names: &["helm"],
        object: ObjectKind::Cluster,
        value_flags: &[
            "-n",
            "--namespace",
            "-f",
            "--values",
            "--set",
            "--set-string",
            "--kube-context",
            "--version",
            "-o",
            "--output",
            "--repo",
            "--kubeconfig",
            "--timeout",
        ],
        rules: &[
            ("--dry-run*", Read, "only shows what would change"),
            (
                "uninstall|delete|del|un",
                Destroy,
                "uninstalls a release and deletes its resources",
            ),
            (
                "template|lint|list|ls|status|get|history|hist|show|inspect|search|version|env|diff|verify|completion|help",
                Read,
                "only renders or inspects",
            ),
            ("repo list|ls", Read, "lists chart repositories"),
            (
                "package|pull|fetch|create|dependency|dep",
                Workspace,
                "works on local charts",
            ),
        ],
        otherwise: (Change, "changes releases in the cluster"),
        // helm help template: `--post-renderer` names a program helm runs on what it
        // renders, even for `template`.
        options: "* !--post-renderer",
        ..UNLISTED
    },
    Tool {
        names: &["docker", "podman", "nerdctl"],
        object: ObjectKind::Container,
        value_flags: &[
            "-H",
            "--host",
            "--context",
            "-f",
            "--file",
            "-p",
            "--project-name",
            "--env-file",
            "--profile",
            "-c",
            "--config",
            "--log-level",
        ],
        rules: &[
            (
                "ps|images|inspect|logs|version|info|stats|top|history|search|port|diff|events|--version|help",
                Read,
                "only inspects containers",
            ),
            (
                "image|container|volume|network|context|node|service|secret|config|plugin|buildx|builder|manifest|system|stack|swarm ls|list|inspect|df|ps|logs|history|events|info",
                Read,
                "only inspects containers",
            ),
            (
                "compose|stack ps|logs|config|ls|images|top|port|version|events",
                Read,
                "only inspects services",
            ),
            (
                "rm|rmi|kill|stop|prune|pause",
                Destroy,
                "stops or deletes containers or images",
            ),
            (
                "image|container|volume|network|system|builder|buildx|context|node|service|stack|secret|config|plugin rm|remove|prune|kill|stop|leave|reset",
                Destroy,
                "stops or deletes containers, volumes or images",
            ),
            ("swarm leave", Destroy, "leaves the swarm"),
            (
                "compose down|rm|kill|stop|pause",
                Destroy,
                "stops or removes services",
            ),
            (
                "build|pull|tag|login|logout|save|load|commit",
                Workspace,
                "builds or fetches images locally",
            ),
            (
                "compose|buildx build|pull|bake",
                Workspace,
                "builds or fetches images locally",
            ),
        ],
        otherwise: (Change, "runs or changes containers"),
        ..UNLISTED
    },
    Tool {
        names: &["aws"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "--profile",
            "--region",
            "--output",
            "--query",
            "--endpoint-url",
            "--cli-input-json",
            "--color",
        ],
        rules: &[
            ("--dryrun|--dry-run", Read, "only shows what would change"),
            ("s3 rm|rb", Destroy, "deletes objects or buckets"),
            (
                "s3 cp /dev/null",
                Destroy,
                "overwrites an object with nothing",
            ),
            (
                "s3 sync --delete",
                Destroy,
                "deletes objects missing from the source",
            ),
            ("s3 ls|presign", Read, "lists storage"),
            ("s3 cp|mv|sync|mb|website", Change, "writes to storage"),
            ("s3api delete-*", Destroy, "deletes objects or buckets"),
            (
                "* delete-*|terminate-*|remove-*|deregister-*|purge-*|destroy-*|stop-*|disable-*|cancel-*|revoke-*|detach-*|reset-*|batch-delete-*|empty-*|schedule-key-deletion|disassociate-*|release-*",
                Destroy,
                "deletes or stops cloud resources",
            ),
            (
                "* describe-*|list-*|get-*|lookup-*|search-*|scan|query|head-*|batch-get-*|filter-log-events|tail|validate-*|estimate-*|simulate-*|test-*|wait|help",
                Read,
                "only reads cloud resources",
            ),
            (
                "sts|pricing|configure list|list-profiles|get|export-credentials",
                Read,
                "only reads configuration",
            ),
            ("configure", Workspace, "changes local configuration"),
        ],
        otherwise: (Change, "changes cloud resources"),
        ..UNLISTED
    },
    Tool {
        names: &["gcloud", "az"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "--project",
            "--zone",
            "--region",
            "--format",
            "--filter",
            "-g",
            "--resource-group",
            "--subscription",
            "-o",
            "--output",
            "--query",
            "--configuration",
            "--account",
        ],
        rules: &[
            ("--dry-run", Read, "only shows what would change"),
            (
                "~delete|delete-*|remove|remove-*|rm|stop|reset|purge|purge-*|deallocate|destroy|disable|abandon-instances|wipe|truncate|drop|revoke|detach-disk",
                Destroy,
                "deletes or stops cloud resources",
            ),
            (
                "~list|ls|cat|describe|show|get|get-iam-policy|get-value|read|print-access-token|print-identity-token|info|version|help|search|tail|list-*|describe-*|show-*|check-*|exists|wait|query|logs|get-credentials|account",
                Read,
                "only reads cloud resources",
            ),
            (
                "config|init|login|auth",
                Workspace,
                "changes local configuration",
            ),
        ],
        otherwise: (Change, "changes cloud resources"),
        ..UNLISTED
    },
    Tool {
        names: &["gsutil"],
        object: ObjectKind::Storage,
        value_flags: &["-o", "-h", "-p"],
        rules: &[
            ("rm|rb", Destroy, "deletes objects or buckets"),
            (
                "rsync -d",
                Destroy,
                "deletes objects missing from the source",
            ),
            (
                "ls|cat|du|stat|hash|version|help|ver|ls-*",
                Read,
                "only reads storage",
            ),
        ],
        otherwise: (Change, "writes to storage"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "dropdb",
            "dropuser",
            "pg_dropcluster",
            "pg_resetwal",
            "pg_resetxlog",
            "mysqladmin-drop",
        ],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[("--help|-?|--version|-V", Read, "prints help")],
        otherwise: (Destroy, "deletes a database, role or cluster"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "createdb",
            "createuser",
            "vacuumdb",
            "reindexdb",
            "clusterdb",
            "pg_basebackup",
            "pg_upgrade",
            "initdb",
            "pg_createcluster",
            "pg_receivewal",
            "pg_rewind",
        ],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[("--help|-?|--version|-V", Read, "prints help")],
        otherwise: (Change, "changes a database server"),
        ..UNLISTED
    },
    Tool {
        names: &["pg_restore", "mongorestore"],
        object: ObjectKind::Database,
        value_flags: &[
            "-d", "--dbname", "-h", "-p", "-U", "-f", "--file", "-n", "-t", "--uri", "--db",
        ],
        rules: &[
            ("-l|--list|--help|--version", Read, "lists an archive"),
            (
                "-c|--clean|--drop|--if-exists",
                Destroy,
                "drops database objects before restoring",
            ),
        ],
        otherwise: (Change, "loads data into a database"),
        ..UNLISTED
    },
    Tool {
        names: &["pg_ctl", "pg_ctlcluster"],
        object: ObjectKind::Service,
        value_flags: &[
            "-D", "--pgdata", "-m", "--mode", "-l", "--log", "-o", "-w", "-t",
        ],
        rules: &[
            ("~stop|kill", Destroy, "stops the database server"),
            ("~status", Read, "shows the server status"),
        ],
        otherwise: (Change, "starts or restarts the database server"),
        ..UNLISTED
    },
    Tool {
        names: &["mysqladmin", "mariadb-admin"],
        object: ObjectKind::Database,
        value_flags: &[
            "-u", "--user", "-h", "--host", "-P", "--port", "-S", "--socket",
        ],
        rules: &[
            (
                "~drop|shutdown|kill|purge",
                Destroy,
                "drops a database or stops the server",
            ),
            (
                "~status|ping|processlist|variables|version|extended-status",
                Read,
                "shows server status",
            ),
        ],
        otherwise: (Change, "changes the database server"),
        ..UNLISTED
    },
    Tool {
        names: &["systemctl"],
        object: ObjectKind::Service,
        value_flags: &[
            "-H",
            "--host",
            "-M",
            "--machine",
            "-t",
            "--type",
            "--state",
            "-p",
            "--property",
            "-n",
            "--lines",
            "-o",
            "--output",
            "--signal",
            "-s",
        ],
        rules: &[
            (
                "stop|kill|mask|isolate|poweroff|reboot|halt|kexec|rescue|emergency|suspend|hibernate|hybrid-sleep|soft-reboot",
                Destroy,
                "stops services or the machine",
            ),
            ("disable --now", Destroy, "stops and disables a service"),
            (
                "status|show|cat|list-units|list-unit-files|list-timers|list-sockets|list-dependencies|list-jobs|list-machines|list-paths|is-active|is-enabled|is-failed|is-system-running|get-default|help|--version|show-environment",
                Read,
                "only reads service state",
            ),
            ("$", Read, "lists services"),
        ],
        otherwise: (Change, "changes services"),
        ..UNLISTED
    },
    Tool {
        names: &["service", "rc-service"],
        object: ObjectKind::Service,
        value_flags: &[],
        rules: &[
            ("* stop|zap", Destroy, "stops a service"),
            ("* status", Read, "shows a service's status"),
            ("--status-all|$", Read, "lists services"),
        ],
        otherwise: (Change, "changes a service"),
        ..UNLISTED
    },
    Tool {
        names: &["kill"],
        object: ObjectKind::Process,
        value_flags: &[],
        rules: &[(
            "-l|-L|--list|-0",
            Read,
            "lists signals or checks a process exists",
        )],
        otherwise: (Destroy, "kills processes"),
        ..UNLISTED
    },
    Tool {
        names: &["pkill", "killall", "skill", "xkill", "killall5"],
        object: ObjectKind::Process,
        value_flags: &[],
        rules: &[],
        otherwise: (Destroy, "kills processes"),
        ..UNLISTED
    },
    Tool {
        names: &["fuser"],
        object: ObjectKind::Process,
        value_flags: &[],
        rules: &[("-k|--kill", Destroy, "kills the processes using the files")],
        otherwise: (Read, "lists processes using files"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "pm2",
            "supervisorctl",
            "launchctl",
            "forever",
            "circusctl",
            "s6-svc",
            "sv",
        ],
        object: ObjectKind::Service,
        value_flags: &["-c", "--configuration", "-s", "--serverurl"],
        rules: &[
            (
                "delete|del|kill|stop|remove|shutdown|bootout|unload|stopall|flush|-d|-k",
                Destroy,
                "stops or removes managed processes",
            ),
            (
                "list|ls|status|logs|show|describe|monit|info|avail|tail|print|pid|jlist|prettylist|version|--version|help",
                Read,
                "only reads process state",
            ),
        ],
        otherwise: (Change, "starts or reconfigures managed processes"),
        ..UNLISTED
    },
    Tool {
        names: &["shutdown", "reboot", "halt", "poweroff", "init", "telinit"],
        object: ObjectKind::Host,
        value_flags: &[],
        rules: &[("-c|--help", Change, "cancels a pending shutdown")],
        otherwise: (Destroy, "stops or restarts the machine"),
        ..UNLISTED
    },
    Tool {
        names: &["journalctl"],
        object: ObjectKind::Service,
        value_flags: &[
            "-u",
            "--unit",
            "-n",
            "--lines",
            "-p",
            "--priority",
            "-o",
            "--output",
            "-S",
            "--since",
            "-U",
            "--until",
            "-t",
            "--identifier",
            "-b",
            "--boot",
        ],
        rules: &[
            ("--vacuum-*", Destroy, "deletes archived logs"),
            (
                "--rotate|--flush|--relinquish-var|--sync|--setup-keys|--update-catalog",
                Change,
                "changes the journal",
            ),
        ],
        otherwise: (Read, "only reads logs"),
        ..UNLISTED
    },
    Tool {
        names: &["crontab"],
        object: ObjectKind::Service,
        value_flags: &["-u"],
        rules: &[
            ("-l", Read, "lists scheduled jobs"),
            ("-r|-ri", Destroy, "deletes every scheduled job"),
            (
                "~/dev/null",
                Destroy,
                "replaces every scheduled job with none",
            ),
        ],
        otherwise: (Change, "replaces scheduled jobs"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "atrm",
            "lvreduce",
            "vgreduce",
            "userdel",
            "groupdel",
            "deluser",
            "delgroup",
            "lvremove",
            "vgremove",
            "pvremove",
            "blkdiscard",
            "srm",
            "mkswap",
            "pvcreate",
            "wipe",
        ],
        object: ObjectKind::Device,
        value_flags: &[],
        rules: &[("--help|--version", Read, "prints help")],
        otherwise: (Destroy, "deletes data, users or volumes for good"),
        ..UNLISTED
    },
    Tool {
        names: &["mkfs", "mkfs.*", "mke2fs", "mkdosfs", "mkntfs"],
        object: ObjectKind::Device,
        value_flags: &[],
        rules: &[(
            "-V|--version|--help|-n",
            Read,
            "prints help, or only shows what it would do",
        )],
        otherwise: (Destroy, "creates a file system, erasing the device"),
        ..UNLISTED
    },
    Tool {
        names: &["wipefs"],
        object: ObjectKind::Device,
        value_flags: &["-t", "-o", "--offset"],
        rules: &[
            ("-n|--no-act", Read, "only shows signatures"),
            ("!-a|--all|-o|--offset", Read, "lists signatures"),
        ],
        otherwise: (Destroy, "erases file system signatures"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "fdisk",
            "sfdisk",
            "gdisk",
            "sgdisk",
            "cfdisk",
            "parted",
            "cryptsetup",
            "mdadm",
            "hdparm",
            "sdparm",
            "nvme",
        ],
        object: ObjectKind::Device,
        value_flags: &["-t", "-u"],
        rules: &[
            (
                "-l|--list|-p|--print|-d|--dump|-s|--show|-i|--info|-V|--version|-h|--help|--query|--detail|--examine|-D|-E|-Q",
                Read,
                "only reads partitions",
            ),
            (
                "~print|list|status|isLuks|luksDump|smart-log|id-ctrl",
                Read,
                "only reads devices",
            ),
        ],
        otherwise: (Destroy, "rewrites partitions or erases devices"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "zfs",
            "zpool",
            "btrfs",
            "lvm",
            "lvcreate",
            "lvextend",
            "lvresize",
            "vgcreate",
            "vgextend",
            "tune2fs",
            "resize2fs",
            "xfs_growfs",
            "losetup",
            "swapoff",
            "swapon",
            "umount",
            "mount",
            "fsck",
            "e2fsck",
        ],
        object: ObjectKind::Device,
        value_flags: &["-o", "-t"],
        rules: &[
            (
                "~destroy|rollback|labelclear|delete|reduce|lvreduce",
                Destroy,
                "destroys volumes, snapshots or pools",
            ),
            (
                "~list|get|status|iostat|show|usage|df|history|events",
                Read,
                "only reads volumes",
            ),
            ("$", Read, "only lists"),
        ],
        otherwise: (Change, "changes volumes or file systems"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "iptables",
            "ip6tables",
            "iptables-legacy",
            "nft",
            "ufw",
            "firewall-cmd",
        ],
        object: ObjectKind::Network,
        value_flags: &["-t", "--table"],
        rules: &[
            (
                "-L|--list|-S|--list-rules|-C|--check|--list-all|--state|--get-*|--query-*",
                Read,
                "only lists rules",
            ),
            ("list|status|show", Read, "only lists rules"),
            (
                "-F|--flush|-X|--delete-chain|-Z",
                Destroy,
                "deletes firewall rules",
            ),
            (
                "flush|reset|delete|disable",
                Destroy,
                "deletes firewall rules",
            ),
        ],
        otherwise: (Change, "changes firewall rules"),
        ..UNLISTED
    },
    Tool {
        names: &["date", "sysctl", "timedatectl", "hostnamectl"],
        object: ObjectKind::Host,
        value_flags: &["-d", "--date", "-r", "--reference", "-f", "--file"],
        rules: &[
            (
                "-s|--set|-w|--write|-p|--load|--system|-b|--boot",
                Change,
                "changes the machine's settings",
            ),
            ("set-*|set", Change, "changes the machine's settings"),
            ("~*=*", Change, "changes a kernel setting"),
        ],
        otherwise: (Read, "only reads the machine's settings"),
        ..UNLISTED
    },
    Tool {
        names: &["hostname"],
        object: ObjectKind::Host,
        value_flags: &["-F", "--file"],
        rules: &[
            ("-F|--file|-b|--boot", Change, "renames the machine"),
            ("*", Change, "renames the machine"),
        ],
        otherwise: (Read, "prints the machine's name"),
        ..UNLISTED
    },
    Tool {
        names: &["ip", "route", "ifconfig"],
        object: ObjectKind::Network,
        value_flags: &["-4", "-6", "-n", "-f"],
        rules: &[
            (
                "~flush|del|delete",
                Destroy,
                "deletes network configuration",
            ),
            (
                "~add|set|change|replace|append|down|up|-w|--write|-s|--set|-p|--load",
                Change,
                "changes system configuration",
            ),
            ("hostname|date *", Change, "changes system configuration"),
        ],
        otherwise: (Read, "only reads system configuration"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "useradd",
            "usermod",
            "passwd",
            "groupadd",
            "groupmod",
            "chpasswd",
            "adduser",
            "addgroup",
            "visudo",
            "chsh",
            "gpasswd",
            "at",
            "batch",
            "mount.*",
            "modprobe",
            "rmmod",
            "insmod",
            "ldconfig",
            "update-alternatives",
            "sysctl-write",
            "setenforce",
            "chroot-setup",
            "certbot",
            "ssh-copy-id",
        ],
        object: ObjectKind::Host,
        value_flags: &[],
        rules: &[("--help|--version|-V", Read, "prints help")],
        otherwise: (Change, "changes the machine's configuration"),
        ..UNLISTED
    },
    // Package managers of the operating system.
    Tool {
        names: &[
            "apt",
            "apt-get",
            "aptitude",
            "yum",
            "dnf",
            "microdnf",
            "zypper",
            "apk",
            "snap",
            "flatpak",
            "port",
            "pkg",
            "emerge",
            "xbps-install",
            "nix-env",
        ],
        object: ObjectKind::Package,
        value_flags: &["-o", "-c", "-t", "--repo", "-R"],
        rules: &[
            (
                "-s|--simulate|--dry-run|--just-print|--no-act|--recon|--assumeno",
                Read,
                "only simulates",
            ),
            (
                "purge|autopurge|autoremove --purge",
                Destroy,
                "removes packages and their configuration",
            ),
            (
                "remove --purge",
                Destroy,
                "removes packages and their configuration",
            ),
            (PACKAGE_READ, Read, "only reads package information"),
            (
                "list-*|show*|search*|info*|query|madison|changelog|download|source|rdepends|provides|whatprovides|repolist|check-update|history|deplist|-Q*|-S?|-Si|-Ss|-Qi|-Ql|-Qs",
                Read,
                "only reads package information",
            ),
        ],
        otherwise: (Change, "installs, removes or upgrades system packages"),
        ..UNLISTED
    },
    Tool {
        names: &["dpkg", "rpm", "pacman", "brew"],
        object: ObjectKind::Package,
        value_flags: &["--root", "--admindir"],
        rules: &[
            (
                "-P|--purge|uninstall --zap|-Rns|-Rn",
                Destroy,
                "removes packages and their configuration",
            ),
            (
                "-l|--list|-L|--listfiles|-s|--status|-S|--search|-q|--query|-Q|-Qi|-Ql|-Qs|-Ss|-Si|-V|--verify|--print-architecture|--version|--get-selections|-qa|-qi|-ql|-qf",
                Read,
                "only reads package information",
            ),
            (
                "list|ls|search|info|home|deps|uses|leaves|outdated|doctor|config|--version|desc|cat|log|options|tap-info|--prefix|--cellar|--cache|--repository|commands",
                Read,
                "only reads package information",
            ),
        ],
        otherwise: (Change, "installs, removes or upgrades packages"),
        ..UNLISTED
    },
    // Language package managers and build tools: routine in the workspace.
    Tool {
        names: &["npm", "pnpm", "yarn", "bun"],
        object: ObjectKind::Package,
        value_flags: &[
            "--prefix",
            "-w",
            "--workspace",
            "--filter",
            "-F",
            "--registry",
            "--cwd",
            "-C",
            "--dir",
        ],
        rules: &[
            (
                "-g|--global|--location=global",
                Change,
                "changes packages outside the workspace",
            ),
            ("global", Change, "changes packages outside the workspace"),
            ("unpublish", Destroy, "deletes a published package version"),
            (
                "publish|deprecate|owner|access|dist-tag|adduser|login|logout|token|team|org|star|unstar|hook|profile",
                Change,
                "changes the package registry",
            ),
            (
                "ls|list|view|info|show|outdated|audit|search|whoami|help|-v|--version|version|doctor|explain|why|root|bin|prefix|config|get|fund|query|licenses|ping|bugs|docs|repo|-h|--help|sbom|diff",
                Read,
                "only reads package information",
            ),
            (
                "run|run-script|x|exec|dlx !-h",
                Workspace,
                "runs a project script",
            ),
            (
                "install|i|add|ci|uninstall|remove|rm|r|un|update|up|upgrade|test|t|tst|start|build|init|create|link|unlink|prune|pack|rebuild|dedupe|ddp|cache|install-test|it|set|shrinkwrap|stop|restart|import|patch|why|format|lint|dev|serve|typecheck|check|fmt|watch|compile|preview|bench|coverage|clean|generate|storybook|e2e|tsc|vitest|jest|eslint|prettier|$",
                Workspace,
                "works on the project's packages or scripts",
            ),
        ],
        otherwise: (Change, "runs a project script holdpoint does not know"),
        // Scripts run through `--script-shell`'s program; configuration files and node's
        // options can name other programs and code to load.
        options: "* @--script-shell ?--userconfig|--globalconfig|--node-options",
        ..UNLISTED
    },
    Tool {
        // Data Version Control (dvc.org's command reference).
        names: &["dvc"],
        object: ObjectKind::Storage,
        value_flags: &["-r", "--remote", "-j", "--jobs", "--rev", "-R", "--cwd"],
        rules: &[
            (
                "-h|--help|-V|--version",
                Read,
                "only shows dvc's help or version",
            ),
            (
                "version|doctor|status|diff|dag|list|ls|ls-url|check-ignore",
                Read,
                "only reads the project's data state",
            ),
            (
                "metrics|params|plots show|diff",
                Read,
                "only shows the project's metrics",
            ),
            (
                "data|remote|exp status|list|show|default",
                Read,
                "only reads the project's data state",
            ),
            (
                "gc -c|--cloud",
                Destroy,
                "deletes data from the remote storage that the current commits do not use",
            ),
            (
                "gc|destroy",
                Destroy,
                "deletes cached data, or the project's DVC files and cache",
            ),
            (
                "exp|experiments remove|rm|gc",
                Destroy,
                "deletes experiments",
            ),
            (
                "remove|cache|unprotect|move|mv",
                Change,
                "changes which data DVC tracks",
            ),
            (
                "push|exp push|import|import-url|get|get-url|update|remote|config",
                Change,
                "changes remote storage or DVC's configuration",
            ),
            (
                "init|add|commit|checkout|co|pull|fetch|repro|stage|run|freeze|unfreeze|install|exp|experiments",
                Workspace,
                "works on the project's tracked data",
            ),
        ],
        otherwise: (Change, "runs a dvc command holdpoint does not know"),
        ..UNLISTED
    },
    Tool {
        names: &["cargo"],
        object: ObjectKind::Package,
        value_flags: &[
            "-p",
            "--package",
            "--manifest-path",
            "--target",
            "--target-dir",
            "--features",
            "-F",
            "-j",
            "--jobs",
            "--color",
            "-Z",
            "--bin",
            "--example",
            "--test",
            "--bench",
            "--profile",
            "--config",
        ],
        rules: &[
            ("yank", Destroy, "withdraws a published version"),
            (
                "publish|owner|login|logout",
                Change,
                "changes the package registry",
            ),
            (
                "install|uninstall",
                Change,
                "changes installed binaries outside the workspace",
            ),
            (
                "tree|metadata|search|--version|-V|version|help|locate-project|pkgid|read-manifest|verify-project|info|--list",
                Read,
                "only reads package information",
            ),
        ],
        otherwise: (Workspace, "builds, tests or formats the project"),
        ..UNLISTED
    },
    Tool {
        names: &["go"],
        object: ObjectKind::Package,
        value_flags: &[
            "-C", "-o", "-run", "-tags", "-ldflags", "-gcflags", "-mod", "-p", "-timeout",
            "-bench", "-count",
        ],
        rules: &[
            ("install", Change, "installs binaries outside the workspace"),
            (
                "run *@*",
                Change,
                "downloads a module and runs it: code nobody here has read",
            ),
            ("env -w|-u", Change, "changes the Go environment"),
            ("env|version|list|doc|help", Read, "only reads"),
        ],
        otherwise: (Workspace, "builds or tests the project"),
        // go help build, go help test: `-exec` runs the built binary through a program,
        // `-toolexec` every tool through one; `-o` names the file written.
        options: "* !-exec|-toolexec >-o",
        ..UNLISTED
    },
    Tool {
        names: &["pip", "pip3", "pipx", "pip3.*", "easy_install"],
        object: ObjectKind::Package,
        value_flags: &[
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-t",
            "--target",
            "--prefix",
            "--root",
            "-f",
            "--find-links",
        ],
        rules: &[
            ("--dry-run", Read, "only shows what would be installed"),
            (
                "list|show|freeze|check|search|index|--version|-V|help|config|debug|inspect|hash",
                Read,
                "only reads package information",
            ),
            ("cache list|info|dir", Read, "only reads the cache"),
            ("cache purge|remove", Change, "clears pip's cache"),
            (
                "download|wheel",
                Workspace,
                "downloads packages into the workspace",
            ),
        ],
        otherwise: (Change, "installs or removes Python packages"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "uv",
            "poetry",
            "pdm",
            "pipenv",
            "hatch",
            "rye",
            "conda",
            "mamba",
            "micromamba",
        ],
        object: ObjectKind::Package,
        value_flags: &[
            "-p",
            "--python",
            "--directory",
            "-C",
            "-n",
            "--name",
            "-e",
            "--env",
            "--project",
        ],
        rules: &[
            ("publish|upload", Change, "publishes a package"),
            ("env remove", Change, "removes an environment"),
            (
                "tool|self|global|--global|-g",
                Change,
                "changes tools outside the workspace",
            ),
            (
                "pip install|uninstall --system",
                Change,
                "changes system Python packages",
            ),
            (
                "show|list|info|version|--version|help|search|tree|check|config|--help",
                Read,
                "only reads package information",
            ),
            ("env info|list", Read, "only reads environments"),
            (
                "pip list|show|freeze|check|tree",
                Read,
                "only reads package information",
            ),
        ],
        otherwise: (Workspace, "works on the project's environment"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "bundle", "bundler", "composer", "mix", "rebar3", "dotnet", "mvn", "mvnw", "gradle",
            "gradlew", "sbt", "lein", "cabal", "stack", "dune", "opam", "swift", "nuget",
        ],
        object: ObjectKind::Package,
        value_flags: &[
            "-f",
            "--file",
            "-p",
            "--project",
            "-c",
            "--configuration",
            "-s",
            "--settings",
            "-P",
        ],
        rules: &[
            ("yank|unpublish", Destroy, "withdraws a published version"),
            ("ef database drop", Destroy, "drops the database"),
            (
                "ef database update|migrations remove",
                Change,
                "changes the database schema",
            ),
            (
                "deploy|publish|push|release|release:perform|upload|owner|signin|login|-g|--global|global",
                Change,
                "publishes or changes things outside the workspace",
            ),
            (
                "ecto.drop|ecto.reset|ecto.rollback",
                Destroy,
                "drops or rolls back the database",
            ),
            (
                "ecto.migrate|ecto.create|ecto.setup|ecto.load",
                Change,
                "changes the database",
            ),
            ("nuget push", Change, "publishes a package"),
            (
                "nuget delete",
                Destroy,
                "deletes or unlists a published package",
            ),
            ("delete", Destroy, "deletes or unlists a published package"),
            (
                "list|search|info|env|query|contents|which|spec|outdated|show|--version|-v|version|help|dependency|dependencies|licenses|audit|check|doctor|tree",
                Read,
                "only reads package information",
            ),
        ],
        otherwise: (Workspace, "builds, tests or fetches for the project"),
        ..UNLISTED
    },
    Tool {
        names: &["gem"],
        object: ObjectKind::Package,
        value_flags: &[],
        rules: &[(
            "list|search|info|env|query|contents|which|spec|outdated|help|--version|-v|dependency",
            Read,
            "only reads gem information",
        )],
        otherwise: (Change, "installs or removes gems"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "make",
            "gmake",
            "just",
            "task",
            "ninja",
            "cmake",
            "meson",
            "bazel",
            "bazelisk",
            "buck",
            "buck2",
            "scons",
            "invoke",
            "nox",
            "tox",
            "pre-commit",
            "lefthook",
            "earthly",
        ],
        object: ObjectKind::Command,
        value_flags: &[
            "-C",
            "-f",
            "--file",
            "-j",
            "--jobs",
            "-B",
            "-S",
            "-G",
            "-D",
            "--build",
            "-e",
            "-o",
            "-l",
            "--justfile",
            "-d",
            "--directory",
            "--target",
        ],
        rules: &[
            (
                "-n|--dry-run|--just-print|--recon|-q|--question|-p|--print-data-base|--list|-l|--summary|--help|--version|-h|--show|query|info|--evaluate",
                Read,
                "only shows what would run",
            ),
            (
                "~install|deploy|deploy-*|release|publish|push|upload|uninstall|prod|production|prod-*|migrate|migrate-*|db-*|db:*|*-prod|*-production|destroy|teardown|drop|reset|rollback|apply|terraform*|k8s*|kube*|helm*|docker-push|ship|promote|provision|seed|backup|restore|purge|nuke|wipe",
                Change,
                "runs a build target that may act outside the workspace",
            ),
        ],
        otherwise: (Workspace, "builds or tests the project"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "pytest",
            "py.test",
            "jest",
            "vitest",
            "mocha",
            "ava",
            "tap",
            "karma",
            "playwright",
            "cypress",
            "tsc",
            "eslint",
            "prettier",
            "black",
            "ruff",
            "mypy",
            "pyright",
            "flake8",
            "pylint",
            "isort",
            "autopep8",
            "yapf",
            "rustfmt",
            "gofmt",
            "goimports",
            "golangci-lint",
            "clang-format",
            "clang-tidy",
            "rubocop",
            "standardrb",
            "phpunit",
            "phpstan",
            "psalm",
            "stylelint",
            "biome",
            "deno",
            "tsx",
            "ts-node",
            "esbuild",
            "vite",
            "webpack",
            "rollup",
            "parcel",
            "turbo",
            "nx",
            "lerna",
            "rustc",
            "gcc",
            "g++",
            "cc",
            "c++",
            "clang",
            "clang++",
            "javac",
            "java",
            "kotlinc",
            "scalac",
            "ghc",
            "zig",
            "nim",
            "tflint",
            "tfsec",
            "checkov",
            "trivy",
            "semgrep",
            "bandit",
            "safety",
            "codespell",
            "markdownlint",
            "actionlint",
            "buf",
            "protoc",
            "sqlfluff",
            "sqlc",
            "swag",
            "mkdocs",
            "sphinx-build",
            "hugo",
            "jekyll",
            "asciidoctor",
            "pandoc",
            "cloc",
            "ctags",
            "coverage",
            "nyc",
            "c8",
            "criterion",
            "grpcurl-local",
            "jupyter",
            "ipython",
            "nbconvert",
            "cargo-nextest",
            "nextest",
            "wasm-pack",
            "trunk",
            "tauri",
            "expo",
            "react-native",
            "flutter",
            "dart",
            "elm",
            "gleam",
            "crystal",
            "shards",
            "zola",
            "storybook",
            "next",
            "nuxt",
            "astro",
            "svelte-kit",
            "ng",
            "vue-cli-service",
            "tailwindcss",
            "postcss",
            "sass",
            "lessc",
            "diff3",
            "unrar",
            "cpio",
            "ar",
            "mktemp",
            "mkfifo",
            "direnv",
            "asdf",
            "mise",
            "rtx",
            "nvm",
            "pyenv",
            "rbenv",
            "rustup",
            "volta",
            "fnm",
            "corepack",
            "git-lfs",
            "pnpx",
            "code",
            "codium",
            "subl",
            "idea",
            "xdg-open",
            "open",
        ],
        object: ObjectKind::Command,
        value_flags: &[],
        rules: &[("--version|-V|--help|-h", Read, "prints its version")],
        otherwise: (
            Workspace,
            "works on the project's files: builds, tests, checks, formats or archives them",
        ),
        ..UNLISTED
    },
    // Migration and framework tools.
    Tool {
        names: &["rails", "rake", "bin/rails", "bin/rake"],
        object: ObjectKind::Database,
        value_flags: &["-e", "--environment", "-f", "--rakefile"],
        rules: &[
            (
                "-T|--tasks|-P|--prereqs|-D|--describe|-W|--where|--version|-v|-h|--help",
                Read,
                "lists tasks",
            ),
            (
                "db:drop*|db:reset|db:purge|db:schema:load|db:structure:load|db:setup|db:rollback|db:migrate:reset|db:migrate:redo|db:migrate:down|db:truncate_all|db:seed:replant|db:fixtures:load|db:test:purge|db:environment:set|tmp:clear|log:clear|assets:clobber",
                Destroy,
                "drops, resets or rolls back the database",
            ),
            (
                "db:migrate*|db:seed|db:create*|db:prepare|db:schema:cache:*|db:encryption:init|data:migrate",
                Change,
                "changes the database",
            ),
            (
                "db:version|db:migrate:status|routes|about|stats|notes|middleware|secret|credentials:show|db:schema:dump|db:abort_if_pending_migrations|time:zones*|initializers|zeitwerk:check|version",
                Read,
                "only reads",
            ),
            (
                "test|test:*|spec|spec:*|assets:precompile|assets:clean|generate|g|new|destroy|d|lint|rubocop|yarn:install|javascript:*|css:*|tailwindcss:*|dartsass:*|app:update",
                Workspace,
                "works on the project",
            ),
        ],
        otherwise: (Change, "runs a task holdpoint does not know"),
        ..UNLISTED
    },
    Tool {
        names: &["manage.py", "django-admin"],
        object: ObjectKind::Database,
        value_flags: &[
            "--settings",
            "--database",
            "--pythonpath",
            "-v",
            "--verbosity",
        ],
        rules: &[
            (
                "flush|reset_db|reset_schema|drop_test_database|clear_cache|clearsessions",
                Destroy,
                "deletes all data from the database",
            ),
            (
                "migrate * zero",
                Destroy,
                "unapplies every migration, dropping the tables",
            ),
            (
                "migrate * *",
                Destroy,
                "migrates backwards, which may drop tables",
            ),
            ("migrate --plan", Read, "only shows the migration plan"),
            (
                "migrate|createsuperuser|loaddata|changepassword|createcachetable|remove_stale_contenttypes|collectstatic|shell|shell_plus|dbshell|runscript|update_index|rebuild_index|sync_*",
                Change,
                "changes the database or the deployment",
            ),
            (
                "showmigrations|check|sqlmigrate|diffsettings|inspectdb|help|version|--version|dumpdata|sqlflush|sqlsequencereset|show_urls|validate_templates|findstatic|print_settings",
                Read,
                "only reads",
            ),
            (
                "makemigrations|startapp|startproject|test|runserver|compilemessages|makemessages|squashmigrations|optimizemigration|graph_models|test_coverage",
                Workspace,
                "works on the project",
            ),
        ],
        otherwise: (Change, "runs a management command holdpoint does not know"),
        ..UNLISTED
    },
    Tool {
        names: &["prisma"],
        object: ObjectKind::Database,
        value_flags: &["--schema", "--name", "-n", "--file", "--url"],
        rules: &[
            (
                "migrate reset",
                Destroy,
                "drops the database and reapplies migrations",
            ),
            (
                "db push --force-reset|--accept-data-loss",
                Destroy,
                "resets the database or accepts data loss",
            ),
            (
                "migrate resolve|deploy|dev",
                Change,
                "applies migrations to the database",
            ),
            ("migrate status|diff", Read, "only compares schemas"),
            ("db push|seed|execute|pull", Change, "changes the database"),
            (
                "validate|version|-v|--version|help|--help|debug",
                Read,
                "only checks",
            ),
            ("generate|format|init", Workspace, "works on the project"),
        ],
        otherwise: (Change, "changes the database"),
        ..UNLISTED
    },
    Tool {
        names: &["alembic"],
        object: ObjectKind::Database,
        value_flags: &["-c", "--config", "-n", "--name", "-x", "-m", "--message"],
        rules: &[
            ("--sql|upgrade|downgrade --sql", Read, "only prints SQL"),
            ("~--sql", Read, "only prints SQL"),
            (
                "downgrade",
                Destroy,
                "rolls back migrations, which drops schema objects",
            ),
            (
                "upgrade|stamp|merge-heads",
                Change,
                "changes the database schema",
            ),
            (
                "current|history|heads|branches|show|check|list_templates|--version|--help|-h",
                Read,
                "only reads",
            ),
            (
                "revision|init|merge|edit|ensure_version",
                Workspace,
                "works on migration files",
            ),
        ],
        otherwise: (Change, "changes the database"),
        ..UNLISTED
    },
    Tool {
        names: &["flyway"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[
            ("~clean|undo", Destroy, "drops every object in the schemas"),
            (
                "~info|validate|check|version|help|-v|-?",
                Read,
                "only reads",
            ),
        ],
        otherwise: (Change, "changes the database schema"),
        ..UNLISTED
    },
    Tool {
        names: &["liquibase", "lb"],
        object: ObjectKind::Database,
        value_flags: &[
            "--changelog-file",
            "--changeLogFile",
            "--url",
            "--username",
            "--password",
            "--defaults-file",
            "--tag",
            "--count",
        ],
        rules: &[
            (
                "~rollbackSQL|rollback-sql|rollbackCountSQL|rollback-count-sql|rollbackToDateSQL|rollback-to-date-sql|updateSQL|update-sql|updateCountSQL|update-count-sql|futureRollbackSQL|future-rollback-sql|status|history|diff|validate|snapshot|generateChangeLog|generate-changelog|diffChangeLog|diff-changelog|--version|unexpected-changesets|unexpectedChangeSets|list-locks|listLocks|dbDoc|db-doc|help|checks|connect",
                Read,
                "only reads or prints SQL",
            ),
            (
                "~dropAll|drop-all|rollback*|rollbackCount|rollbackToDate|update-testing-rollback|updateTestingRollback",
                Destroy,
                "drops objects or rolls back changes",
            ),
        ],
        otherwise: (Change, "changes the database schema"),
        ..UNLISTED
    },
    Tool {
        names: &["knex"],
        object: ObjectKind::Database,
        value_flags: &["--knexfile", "--env", "--cwd", "--specific"],
        rules: &[
            (
                "migrate:rollback|migrate:down|migrate:unlock",
                Destroy,
                "rolls back migrations, which drops schema objects",
            ),
            (
                "migrate:status|migrate:list|migrate:currentVersion|--version|--help",
                Read,
                "only reads",
            ),
            (
                "migrate:make|seed:make|init",
                Workspace,
                "works on migration files",
            ),
        ],
        otherwise: (Change, "changes the database"),
        ..UNLISTED
    },
    Tool {
        names: &["sequelize", "sequelize-cli"],
        object: ObjectKind::Database,
        value_flags: &["--env", "--config", "--to", "--name", "--seed"],
        rules: &[
            (
                "db:drop|db:migrate:undo*|db:seed:undo*",
                Destroy,
                "drops the database or undoes migrations",
            ),
            (
                "db:migrate:status|--version|--help|help",
                Read,
                "only reads",
            ),
            (
                "migration:*|model:*|seed:generate|seed:create|init*",
                Workspace,
                "works on migration files",
            ),
        ],
        otherwise: (Change, "changes the database"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "typeorm",
            "typeorm-ts-node-commonjs",
            "typeorm-ts-node-esm",
            "mikro-orm",
            "drizzle-kit",
            "diesel",
            "sqlx",
            "dbmate",
            "goose",
            "migrate",
            "atlas",
            "sqitch",
            "refinery",
            "artisan",
            "supabase",
            "hasura",
            "php-artisan",
        ],
        object: ObjectKind::Database,
        value_flags: &[
            "-d",
            "--dataSource",
            "--config",
            "-c",
            "--database-url",
            "--path",
            "-path",
            "-database",
            "--env",
            "--url",
            "--dir",
            "--schema",
            "--source",
            "-dir",
        ],
        rules: &[
            (
                "~schema:drop|migration:revert|migration:down|drop|down|reset|rollback|redo|revert|down-to|wipe|fresh|migrate:fresh|migrate:reset|migrate:refresh|migrate:rollback|db:wipe|clean|schema:fresh|force",
                Destroy,
                "drops the database or rolls back migrations",
            ),
            (
                "~status|version|info|list|show|check|schema:log|migration:show|migrate:status|route:list|about|--version|--help|inspect|lint|validate|print-schema|diff",
                Read,
                "only reads",
            ),
            (
                "~generate|new|create|make:*|migration:generate|migration:create|add|init|prepare|print|dump",
                Workspace,
                "works on migration files",
            ),
        ],
        otherwise: (Change, "changes the database"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "heroku",
            "fly",
            "flyctl",
            "vercel",
            "netlify",
            "railway",
            "render",
            "doctl",
            "linode-cli",
            "hcloud",
            "scw",
            "ibmcloud",
            "oci",
            "exoscale",
            "upcloud",
            "vultr-cli",
            "wrangler",
            "firebase",
            "amplify",
            "eb",
            "serverless",
            "sls",
            "sam",
            "cdk",
            "cdktf",
            "copilot",
            "ansible-playbook",
            "argocd",
            "flux",
            "istioctl",
            "linkerd",
            "eksctl",
            "kind",
            "minikube",
            "k3d",
            "k9s",
            "skaffold",
            "tilt",
            "kustomize",
            "kubeadm",
            "velero",
            "stern",
            "kubectx",
            "kubens",
        ],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-a",
            "--app",
            "-r",
            "--remote",
            "--project",
            "--context",
            "-n",
            "--namespace",
            "-o",
            "--output",
            "--region",
            "-i",
            "--inventory",
            "-e",
            "--stage",
            "--profile",
            "-c",
            "--config",
        ],
        rules: &[
            (
                "--check|--diff|--dry-run|--dryrun|-C|--list-hosts|--list-tasks|--syntax-check|--preview|--plan",
                Read,
                "only shows what would change",
            ),
            (
                "~destroy|delete|remove|rm|pg:reset|pg:killall|apps:destroy|addons:destroy|ps:kill|ps:stop|stop|uninstall|purge|wipe|teardown|scale=0|sites:delete|down|prune|reset|terminate|cordon|drain|projects:delete|deprovision",
                Destroy,
                "deletes or stops deployed resources",
            ),
            (
                "~logs|status|list|ls|info|show|get|describe|whoami|version|--version|help|releases|ps|config|inspect|diff|synth|template|build|lint|validate|dashboard|context|history|top|tail|env|open|doctor|preview|plan|graph|ping",
                Read,
                "only reads deployed resources",
            ),
        ],
        otherwise: (Change, "changes deployed resources"),
        ..UNLISTED
    },
    Tool {
        names: &["vault"],
        object: ObjectKind::Secret,
        value_flags: &[
            "-address",
            "-namespace",
            "-format",
            "-field",
            "-mount",
            "-path",
            "-method",
        ],
        rules: &[
            ("kv delete|destroy", Destroy, "deletes secrets"),
            (
                "kv metadata delete",
                Destroy,
                "deletes secrets with their history",
            ),
            ("kv metadata get|list", Read, "reads secret metadata"),
            ("delete|destroy", Destroy, "deletes secrets"),
            (
                "secrets|auth|audit disable",
                Destroy,
                "disables a secrets engine, auth method or audit log",
            ),
            ("policy delete", Destroy, "deletes a policy"),
            ("token|lease revoke", Destroy, "revokes credentials"),
            (
                "operator seal|step-down|raft",
                Destroy,
                "seals or reconfigures the vault",
            ),
            ("kv get|list", Read, "reads secrets"),
            (
                "read|list|status|version|login|print|path-help|-version",
                Read,
                "only reads",
            ),
            ("token lookup|capabilities", Read, "only reads"),
            (
                "policy|secrets|auth|audit|namespace read|list",
                Read,
                "only reads",
            ),
        ],
        otherwise: (Change, "changes secrets or vault configuration"),
        ..UNLISTED
    },
    Tool {
        names: &["consul"],
        object: ObjectKind::Secret,
        value_flags: &["-http-addr", "-token", "-datacenter", "-format"],
        rules: &[
            ("kv delete", Destroy, "deletes keys"),
            ("services deregister", Destroy, "deregisters services"),
            (
                "leave|force-leave",
                Destroy,
                "removes a node from the cluster",
            ),
            (
                "snapshot restore",
                Destroy,
                "replaces the cluster's state with a snapshot",
            ),
            (
                "acl * delete",
                Destroy,
                "deletes ACL tokens, policies or roles",
            ),
            (
                "config|intention|namespace|peering|partition delete",
                Destroy,
                "deletes configuration entries, intentions or namespaces",
            ),
            (
                "operator raft remove-peer",
                Destroy,
                "removes a server from the cluster",
            ),
            ("kv get|export", Read, "reads keys"),
            ("snapshot inspect", Read, "only reads a snapshot"),
            ("snapshot save", Workspace, "saves a snapshot to a file"),
            ("acl * list|read", Read, "only reads ACLs"),
            (
                "config|intention|namespace|peering|partition list|read|get|check|match",
                Read,
                "only reads",
            ),
            (
                "operator raft list-peers",
                Read,
                "lists the cluster's servers",
            ),
            ("operator autopilot get-config|state", Read, "only reads"),
            (
                "members|catalog|info|version|monitor|rtt|-version|--version|help",
                Read,
                "only reads",
            ),
        ],
        otherwise: (Change, "changes the cluster"),
        ..UNLISTED
    },
    Tool {
        names: &["etcdctl"],
        object: ObjectKind::Secret,
        value_flags: &[
            "--endpoints",
            "--cacert",
            "--cert",
            "--key",
            "-w",
            "--write-out",
            "--user",
            "--dial-timeout",
        ],
        rules: &[
            (
                "del|rm|rmdir|compaction|compact|defrag",
                Destroy,
                "deletes keys or history",
            ),
            (
                "lease revoke",
                Destroy,
                "revokes a lease and deletes its keys",
            ),
            (
                "member|user|role remove|delete",
                Destroy,
                "removes members, users or roles",
            ),
            ("auth disable", Destroy, "disables authentication"),
            (
                "snapshot restore",
                Destroy,
                "replaces the data directory from a snapshot",
            ),
            ("get|ls|endpoint|version|watch|check", Read, "only reads"),
            ("alarm|member|user|role list|get", Read, "only reads"),
            ("snapshot status|save", Read, "only reads"),
        ],
        otherwise: (Change, "changes keys or cluster membership"),
        ..UNLISTED
    },
    // Backup tools, object stores, brokers, configuration management, schedulers and
    // secret stores, each from its manual: the everyday reads, what changes things, and
    // what deletes data for good (forgetting snapshots, pruning, purging queues).
    Tool {
        names: &["restic"],
        object: ObjectKind::Storage,
        value_flags: &[
            "-r",
            "--repo",
            "--repository-file",
            "-p",
            "--password-file",
            "--password-command",
            "--cache-dir",
            "--cacert",
            "--tls-client-cert",
            "--key-hint",
            "-o",
            "--option",
            "--limit-upload",
            "--limit-download",
            "--pack-size",
            "--compression",
            "-H",
            "--host",
            "--tag",
            "--path",
            "--keep-last",
            "--keep-hourly",
            "--keep-daily",
            "--keep-weekly",
            "--keep-monthly",
            "--keep-yearly",
            "--keep-within",
            "--keep-tag",
            "--max-unused",
            "--max-repack-size",
            "-t",
            "--target",
        ],
        rules: &[
            (
                "forget|prune|backup|rewrite -n",
                Read,
                "only shows what it would do (dry run)",
            ),
            (
                "forget|prune",
                Destroy,
                "removes snapshots or the data no snapshot needs, for good",
            ),
            (
                "rewrite --forget",
                Destroy,
                "rewrites snapshots and removes the originals",
            ),
            (
                "repair snapshots --forget",
                Destroy,
                "removes damaged snapshots",
            ),
            ("key remove|rm", Destroy, "removes a key to the repository"),
            (
                "restore --delete",
                Destroy,
                "deletes files in the target that the snapshot lacks",
            ),
            (
                "dump -t|--target",
                Change,
                "writes backed-up files to a path",
            ),
            ("cat masterkey", Read, "prints the repository's master key"),
            (
                "snapshots|ls|cat|diff|find|stats|check|list|version|help|--help|--version",
                Read,
                "only reads the repository",
            ),
            ("dump", Read, "prints backed-up files"),
            ("key list|ls", Read, "lists the repository's keys"),
        ],
        otherwise: (Change, "writes to a backup repository or restores from it"),
        // restic(1): `--password-command` is a command restic runs for the password.
        options: "* !--password-command",
        ..UNLISTED
    },
    Tool {
        names: &["borg", "borg2", "borgbackup"],
        object: ObjectKind::Storage,
        value_flags: &[
            "--remote-path",
            "--rsh",
            "--repo",
            "-r",
            "--lock-wait",
            "--upload-ratelimit",
            "--upload-buffer",
            "--format",
            "-a",
            "--match-archives",
            "--glob-archives",
            "-P",
            "--prefix",
            "--sort-by",
            "--first",
            "--last",
            "-e",
            "--exclude",
            "--exclude-from",
            "--pattern",
            "--patterns-from",
            "-C",
            "--compression",
            "--comment",
            "--keep-within",
            "--keep-last",
            "--keep-secondly",
            "--keep-minutely",
            "-H",
            "--keep-hourly",
            "-d",
            "--keep-daily",
            "-w",
            "--keep-weekly",
            "-m",
            "--keep-monthly",
            "-y",
            "--keep-yearly",
            "--strip-components",
        ],
        rules: &[
            (
                "create|extract|delete|prune|recreate|repo-delete|rdelete -n|--dry-run",
                Read,
                "only shows what it would do (dry run)",
            ),
            (
                "delete|prune|compact|recreate|repo-delete|rdelete|repo-compress",
                Destroy,
                "deletes archives or frees their space, for good",
            ),
            ("check --repair", Change, "repairs the repository"),
            ("key export", Read, "prints the repository key"),
            (
                "list|info|diff|check|rlist|rinfo|repo-list|repo-info|repo-space|version|help|--version|-V",
                Read,
                "only reads the repository",
            ),
            ("config", Change, "changes repository settings"),
            (
                "extract|export-tar",
                Workspace,
                "extracts an archive into the working directory",
            ),
        ],
        otherwise: (Change, "writes to a backup repository"),
        // borg(1): `--rsh` is the command that reaches the repository; `--remote-path`
        // is the borg run on the other end.
        options: "* !--rsh !remote:--remote-path",
        positionals: &[("export-tar", "- - >")],
    },
    Tool {
        names: &["kopia"],
        object: ObjectKind::Storage,
        value_flags: &[
            "--config-file",
            "--password",
            "--cache-directory",
            "--log-dir",
            "--log-level",
            "--file-log-level",
            "--max-results",
            "--description",
            "--tags",
            "--target",
        ],
        rules: &[
            (
                "snapshot|snap delete|expire|rm",
                Destroy,
                "deletes snapshots",
            ),
            (
                "content|blob|manifest|user|acl delete|rm|remove|gc",
                Destroy,
                "deletes repository contents or access",
            ),
            ("policy delete|remove|rm", Destroy, "deletes a policy"),
            (
                "repository|repo sync-to --delete",
                Destroy,
                "deletes blobs missing from the source",
            ),
            (
                "maintenance run --full",
                Destroy,
                "deletes data no snapshot needs",
            ),
            (
                "snapshot|snap list|ls|verify|estimate",
                Read,
                "only reads snapshots",
            ),
            (
                "repository|repo status|validate-provider",
                Read,
                "only reads the repository",
            ),
            ("policy show|list|ls|get", Read, "only reads policies"),
            (
                "content|blob|manifest|index|user|acl|cache|maintenance|server|logs list|ls|show|stats|info|verify|inspect|status",
                Read,
                "only reads the repository",
            ),
            (
                "ls|list|show|cat|diff|version|help|--version|--help",
                Read,
                "only reads the repository",
            ),
        ],
        otherwise: (Change, "writes to a backup repository or restores from it"),
        ..UNLISTED
    },
    Tool {
        names: &["duplicity"],
        object: ObjectKind::Storage,
        value_flags: &[
            "-t",
            "--time",
            "--file-to-restore",
            "--path-to-restore",
            "--encrypt-key",
            "--sign-key",
            "--hidden-encrypt-key",
            "--archive-dir",
            "--name",
            "--log-file",
            "--gpg-options",
            "--ssh-options",
            "--full-if-older-than",
            "--volsize",
            "--exclude",
            "--include",
            "--exclude-filelist",
            "--include-filelist",
            "--tempdir",
            "--verbosity",
        ],
        rules: &[
            (
                "remove-older-than|remove-all-but-n-full|remove-all-inc-of-but-n-full|cleanup --force",
                Destroy,
                "deletes backup sets for good",
            ),
            (
                "remove-older-than|remove-all-but-n-full|remove-all-inc-of-but-n-full|cleanup",
                Read,
                "only lists what it would delete (without --force)",
            ),
            (
                "collection-status|list-current-files|verify|--version|--help|-h",
                Read,
                "only reads the backup",
            ),
        ],
        otherwise: (Change, "writes a backup or restores from one"),
        ..UNLISTED
    },
    Tool {
        names: &["mc", "mcli"],
        object: ObjectKind::Storage,
        value_flags: &[
            "-C",
            "--config-dir",
            "--limit-upload",
            "--limit-download",
            "-H",
            "--custom-header",
            "--resolve",
            "--older-than",
            "--newer-than",
            "--rewind",
            "--version-id",
            "--vid",
            "--name",
            "--storage-class",
            "--attr",
            "--tags",
        ],
        rules: &[
            ("rm|rb", Destroy, "deletes objects or buckets"),
            (
                "mirror --remove",
                Destroy,
                "deletes objects missing from the source",
            ),
            (
                "admin * rm|remove|delete|clear|purge",
                Destroy,
                "deletes users, policies or configuration on the server",
            ),
            ("admin service stop", Destroy, "stops the storage server"),
            (
                "ilm|event|tag|replicate|idp|encrypt|cors|retention rm|remove|clear|delete",
                Destroy,
                "deletes bucket rules or settings",
            ),
            (
                "ilm rule|tier rm|remove",
                Destroy,
                "deletes lifecycle rules or tiers",
            ),
            (
                "ilm rule|tier ls|list|export|info",
                Read,
                "only reads lifecycle rules",
            ),
            ("alias list|ls|export", Read, "prints the client's aliases"),
            (
                "alias set|remove|rm|import",
                Workspace,
                "changes the client's configuration",
            ),
            (
                "ls|cat|head|stat|du|find|tree|diff|sql|watch|ping|ready|--version|-v|help",
                Read,
                "only reads storage",
            ),
            (
                "version|anonymous|legalhold|retention|tag|ilm|event|replicate|quota|encrypt|cors|license list|ls|info|get|get-json|export|status",
                Read,
                "only reads bucket settings",
            ),
            (
                "admin user|group|policy|heal|scanner|replicate|tier list|ls|info|status",
                Read,
                "only reads the server",
            ),
            ("admin info|trace|top|logs", Read, "only reads the server"),
        ],
        otherwise: (Change, "writes to storage"),
        // mc-find(1): `--exec` runs a command for each object found.
        options: "* {find}!--exec",
        ..UNLISTED
    },
    Tool {
        names: &["s3cmd"],
        object: ObjectKind::Storage,
        value_flags: &[
            "-c",
            "--config",
            "--access_key",
            "--secret_key",
            "--access_token",
            "--host",
            "--host-bucket",
            "--region",
            "--bucket-location",
            "--exclude",
            "--include",
            "--exclude-from",
            "--include-from",
            "--rexclude",
            "--rinclude",
            "--storage-class",
            "--expiry-days",
            "--expiry-date",
            "--expiry-prefix",
            "-m",
            "--mime-type",
            "--add-header",
            "--encoding",
        ],
        rules: &[
            (
                "-n|--dry-run",
                Read,
                "only shows what it would do (dry run)",
            ),
            (
                "del|rm|rb|abortmp|delpolicy|delcors|dellifecycle|deletepolicy|ws-delete",
                Destroy,
                "deletes objects, buckets or their settings",
            ),
            (
                "sync --delete-removed",
                Destroy,
                "deletes objects missing from the source",
            ),
            (
                "expire",
                Destroy,
                "makes the bucket delete its objects when they expire",
            ),
            (
                "ls|la|du|info|listmp|multipart|signurl|ws-info|--version|--help|-h",
                Read,
                "only reads storage",
            ),
            (
                "get",
                Workspace,
                "downloads objects into the working directory",
            ),
            (
                "--configure",
                Workspace,
                "writes the client's configuration",
            ),
            ("--dump-config", Read, "prints the client's configuration"),
        ],
        otherwise: (Change, "writes to storage"),
        // s3cmd(1): `get` writes the objects to the local path named last.
        positionals: &[("get", "- - ~")],
        ..UNLISTED
    },
    Tool {
        names: &["azcopy"],
        object: ObjectKind::Storage,
        value_flags: &["--log-level", "--output-type", "--cap-mbps"],
        rules: &[
            ("remove|rm", Destroy, "deletes blobs or files"),
            (
                "sync --delete-destination=false",
                Change,
                "copies what changed",
            ),
            (
                "sync --delete-destination",
                Destroy,
                "deletes what the source lacks",
            ),
            (
                "list|ls|env|--version|-v|help|--help|-h",
                Read,
                "only reads storage",
            ),
            ("jobs list|ls|show", Read, "lists transfer jobs"),
            (
                "login|logout|jobs",
                Workspace,
                "changes the client's sign-in or job logs",
            ),
        ],
        otherwise: (Change, "copies to or changes storage"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "rabbitmqctl",
            "rabbitmq-diagnostics",
            "rabbitmq-queues",
            "rabbitmq-streams",
            "rabbitmq-plugins",
            "rabbitmq-upgrade",
        ],
        object: ObjectKind::Service,
        value_flags: &[
            "-n",
            "--node",
            "-t",
            "--timeout",
            "-p",
            "--vhost",
            "--formatter",
        ],
        rules: &[
            (
                "delete_*|purge_*|clear_*|forget_cluster_node|reset|force_reset|stop|stop_app|shutdown|close_*",
                Destroy,
                "deletes queues, users, messages or settings, or stops the broker",
            ),
            (
                "list|list_*|status|cluster_status|environment|report|ping|version|help|--help|--version|await_startup|node_health_check|check_*|is_*|listeners|memory_breakdown|log_tail|log_tail_stream|log_location|server_version|erlang_version|os_env|alarms|runtime_thread_stats|schema_info|maybe_stuck|command_line_arguments|discover_peers|tls_versions|cipher_suites|certificates|resolve_hostname|resolver_info|quorum_status|stream_status|observer|directories|enabled_plugins_file|plugins_dir|consume_event_stream|decode",
                Read,
                "only reads the broker",
            ),
        ],
        otherwise: (Change, "changes the broker"),
        ..UNLISTED
    },
    Tool {
        names: &["rabbitmqadmin"],
        object: ObjectKind::Service,
        value_flags: &[
            "-H",
            "--host",
            "-P",
            "--port",
            "-V",
            "--vhost",
            "-u",
            "--username",
            "-p",
            "--password",
            "-c",
            "--config",
            "-N",
            "--node",
            "-f",
            "--format",
            "-d",
            "--depth",
            "--path-prefix",
            "--base-uri",
            "--ssl-key-file",
            "--ssl-cert-file",
            "--ssl-ca-cert-file",
        ],
        rules: &[
            (
                "delete|purge|close",
                Destroy,
                "deletes queues, exchanges, users or messages, or closes connections",
            ),
            (
                "get ~ackmode=ack_requeue_false|ackmode=reject_requeue_false|requeue=false",
                Destroy,
                "takes messages off the queue for good",
            ),
            (
                "list|show|get|help|--help|--version|health_check",
                Read,
                "only reads the broker",
            ),
            (
                "export",
                Workspace,
                "writes the broker's definitions to a file",
            ),
        ],
        otherwise: (Change, "changes the broker"),
        ..UNLISTED
    },
    Tool {
        names: &[
            "kafka-topics",
            "kafka-topics.sh",
            "kafka-consumer-groups",
            "kafka-consumer-groups.sh",
            "kafka-configs",
            "kafka-configs.sh",
            "kafka-acls",
            "kafka-acls.sh",
        ],
        object: ObjectKind::Service,
        value_flags: &[
            "--bootstrap-server",
            "--zookeeper",
            "--command-config",
            "--topic",
            "--group",
            "--partitions",
            "--replication-factor",
            "--replica-assignment",
            "--config",
            "--entity-type",
            "--entity-name",
            "--to-datetime",
            "--to-offset",
            "--shift-by",
            "--by-duration",
            "--from-file",
            "--allow-principal",
            "--deny-principal",
            "--operation",
            "--resource-pattern-type",
            "--cluster",
            "--transactional-id",
        ],
        rules: &[
            (
                "--delete|--delete-offsets|--remove",
                Destroy,
                "deletes topics, consumer groups, their offsets or ACLs",
            ),
            (
                "--reset-offsets --execute",
                Destroy,
                "moves consumer offsets, so messages are skipped or read again",
            ),
            (
                "--reset-offsets",
                Read,
                "only shows the offsets it would set (no --execute)",
            ),
            (
                "--alter ~*retention.*|*cleanup.policy*",
                Destroy,
                "changes how long the topic keeps data, which may delete it",
            ),
            (
                "--list|--describe|--version|--help",
                Read,
                "only reads the cluster",
            ),
        ],
        otherwise: (Change, "changes topics, consumer groups or configuration"),
        ..UNLISTED
    },
    Tool {
        names: &["kafka-delete-records", "kafka-delete-records.sh"],
        object: ObjectKind::Service,
        value_flags: &[],
        rules: &[("--help|--version", Read, "prints help")],
        otherwise: (Destroy, "deletes records from topics"),
        ..UNLISTED
    },
    Tool {
        names: &["kafka-console-consumer", "kafka-console-consumer.sh"],
        object: ObjectKind::Service,
        value_flags: &[
            "--bootstrap-server",
            "--topic",
            "--partition",
            "--offset",
            "--max-messages",
            "--timeout-ms",
            "--property",
            "--formatter",
            "--isolation-level",
            "--include",
            "--whitelist",
        ],
        rules: &[(
            "--group|--consumer-property|--consumer.config",
            Change,
            "consumes as a consumer group, moving its offsets",
        )],
        otherwise: (Read, "only prints messages"),
        ..UNLISTED
    },
    Tool {
        names: &["kcat", "kafkacat"],
        object: ObjectKind::Service,
        value_flags: &[
            "-b", "-t", "-p", "-o", "-c", "-f", "-X", "-k", "-K", "-D", "-s", "-G",
        ],
        rules: &[
            ("-P|-G", Change, "produces messages or consumes as a group"),
            ("-L|-C|-Q|-V|-h", Read, "only reads the cluster"),
        ],
        otherwise: (Change, "runs a kcat command holdpoint does not know"),
        ..UNLISTED
    },
    Tool {
        names: &["nats"],
        object: ObjectKind::Service,
        value_flags: &[
            "-s",
            "--server",
            "--context",
            "--creds",
            "--nkey",
            "--user",
            "--password",
            "--token",
            "--tlscert",
            "--tlskey",
            "--tlsca",
            "--timeout",
            "--js-domain",
            "--js-api-prefix",
            "--inbox-prefix",
            "--connection-name",
        ],
        rules: &[
            (
                "stream|str|consumer|con|kv|object|obj|account|server|auth rm|delete|del|purge|rmm|restore|remove",
                Destroy,
                "deletes streams, consumers, buckets, keys or messages",
            ),
            (
                "stream|str|consumer|con ls|list|info|report|subjects|view|get|find|state",
                Read,
                "only reads streams",
            ),
            (
                "kv|object|obj ls|list|get|history|status|info|watch|keys",
                Read,
                "only reads buckets",
            ),
            (
                "server|account|micro|schema|events ls|list|info|ping|report|check|request|stats|search",
                Read,
                "only reads the server",
            ),
            (
                "sub|subscribe|rtt|events|--version|help|--help",
                Read,
                "only reads the server",
            ),
        ],
        otherwise: (Change, "publishes messages or changes the server"),
        ..UNLISTED
    },
    Tool {
        names: &["pulsar-admin", "pulsarctl"],
        object: ObjectKind::Service,
        value_flags: &[
            "--admin-url",
            "--auth-plugin",
            "--auth-params",
            "--tls-trust-cert-path",
        ],
        rules: &[
            (
                "* delete|delete-*|remove-*|unsubscribe|clear-backlog|skip|skip-all|expire-messages|expire-messages-all-subscriptions|truncate|terminate|reset-cursor|unload|compact",
                Destroy,
                "deletes topics, subscriptions, backlog or settings",
            ),
            (
                "* list|list-*|get|get-*|stats|stats-internal|info-internal|partitioned-stats|partitioned-stats-internal|lookup|subscriptions|peek-messages|examine-message|policies|status|healthcheck|health-check|permissions|last-message-id|topics|bundle-range|version",
                Read,
                "only reads the cluster",
            ),
            ("--version|help|--help", Read, "prints help"),
        ],
        otherwise: (Change, "changes the cluster"),
        ..UNLISTED
    },
    Tool {
        names: &["memcrm", "memcflush"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[("--help|--version", Read, "prints help")],
        otherwise: (Destroy, "deletes cached keys"),
        ..UNLISTED
    },
    Tool {
        names: &["memcdump", "memcstat", "memcping", "memcexist", "memcerror"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[],
        otherwise: (Read, "only reads the cache"),
        ..UNLISTED
    },
    Tool {
        names: &["memccat"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[],
        otherwise: (Read, "prints cached values"),
        // memccat(1): `--file` writes the value to a file.
        options: "* >--file",
        ..UNLISTED
    },
    Tool {
        names: &["memcached-tool"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[
            (
                "* display|stats|settings|sizes|dump",
                Read,
                "only reads the cache",
            ),
            ("* $", Read, "shows the cache's slabs"),
        ],
        otherwise: (Change, "changes the cache"),
        ..UNLISTED
    },
    Tool {
        names: &["ansible-inventory"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "--vault-id",
            "--vault-password-file",
            "--vault-pass-file",
            "--playbook-dir",
            "-e",
            "--extra-vars",
            "-l",
            "--limit",
            "--host",
        ],
        rules: &[
            (
                "~*.py|*.sh|*.rb|*.pl|*.php|*.js|*.ps1",
                Change,
                "runs an inventory script",
            ),
            (
                "--list|--graph|--host|--version|-h|--help",
                Read,
                "only reads the inventory",
            ),
        ],
        otherwise: (
            Change,
            "runs an ansible-inventory command holdpoint does not know",
        ),
        // ansible-inventory(1): `--output` names the file written.
        options: "* >--output",
        ..UNLISTED
    },
    Tool {
        names: &["ansible-galaxy"],
        object: ObjectKind::Package,
        value_flags: &[
            "-s",
            "--server",
            "--api-key",
            "--token",
            "-p",
            "--roles-path",
            "--collections-path",
            "-r",
            "--role-file",
            "--requirements-file",
            "--init-path",
            "--output-path",
        ],
        rules: &[
            (
                "role delete",
                Destroy,
                "deletes a role from the Galaxy server",
            ),
            (
                "collection|role list|verify|info|search",
                Read,
                "only reads installed or published content",
            ),
            (
                "list|info|search|--version|--help|-h",
                Read,
                "only reads installed or published content",
            ),
            (
                "collection|role init|build|download",
                Workspace,
                "works on content in the working directory",
            ),
        ],
        otherwise: (
            Change,
            "installs, removes or publishes roles and collections",
        ),
        ..UNLISTED
    },
    Tool {
        names: &["ansible-vault"],
        object: ObjectKind::Secret,
        value_flags: &[
            "--vault-id",
            "--vault-password-file",
            "--vault-pass-file",
            "--encrypt-vault-id",
            "--new-vault-id",
            "--new-vault-password-file",
            "-n",
            "--name",
        ],
        rules: &[
            ("view", Read, "shows decrypted vault files"),
            ("--version|--help|-h", Read, "prints help"),
            ("encrypt_string", Read, "prints a value encrypted"),
        ],
        otherwise: (Change, "encrypts, decrypts or edits vault files in place"),
        // ansible-vault(1): `--output` names the file written (`-` for standard output).
        options: "* >--output",
        ..UNLISTED
    },
    Tool {
        names: &["ansible-config"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-c", "--config", "-t", "--type", "-f", "--format"],
        rules: &[(
            "list|dump|view|validate|--version|--help|-h",
            Read,
            "only reads configuration",
        )],
        otherwise: (Change, "writes configuration"),
        ..UNLISTED
    },
    Tool {
        names: &["salt", "salt-ssh"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-t",
            "--timeout",
            "-b",
            "--batch",
            "--batch-size",
            "--out",
            "--output",
            "--out-indent",
            "--return",
            "-c",
            "--config-dir",
            "-l",
            "--log-level",
            "--log-file",
            "--priv",
            "--roster",
            "--roster-file",
            "--user",
            "--passwd",
        ],
        rules: &[
            (
                "-r|--raw|--raw-shell",
                Change,
                "runs a shell command on the minions",
            ),
            (
                "* *.remove|*.delete|*.delete_*|*.remove_*|*.purge|*.wipe|*.destroy|*.stop|*.kill|*.kill_*|*.absent|*.uninstall|*.db_remove|*.user_remove|*.reboot|*.shutdown|*.poweroff|*.halt|*.truncate|*.drop",
                Destroy,
                "deletes or stops things on the minions",
            ),
            (
                "* state.* ~test=True|test=true",
                Read,
                "only shows what the state would change",
            ),
            (
                "* test.ping|test.version|test.echo|grains.*|pillar.*|sys.*|state.show_*|state.sls_exists|pkg.list_pkgs|pkg.version|pkg.latest_version|pkg.info_installed|service.status|service.get_all|service.available|disk.usage|status.*|network.interfaces|network.ip_addrs|saltutil.running|cp.list_*|file.file_exists|file.directory_exists|file.stats|jobs.*",
                Read,
                "only gathers facts from the minions",
            ),
            (
                "--version|-V|--versions-report|--help|-h",
                Read,
                "prints help",
            ),
        ],
        otherwise: (Change, "changes the minions"),
        // salt(1): `--out-file` names the file written.
        options: "* >--out-file",
        ..UNLISTED
    },
    Tool {
        names: &["salt-call"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "--out",
            "--output",
            "-c",
            "--config-dir",
            "-l",
            "--log-level",
            "--return",
            "--id",
        ],
        rules: &[
            (
                "*.remove|*.delete|*.delete_*|*.remove_*|*.purge|*.wipe|*.destroy|*.stop|*.kill|*.kill_*|*.absent|*.uninstall|*.reboot|*.shutdown|*.poweroff|*.halt|*.truncate|*.drop",
                Destroy,
                "deletes or stops things on this minion",
            ),
            (
                "state.* ~test=True|test=true",
                Read,
                "only shows what the state would change",
            ),
            (
                "test.ping|test.version|grains.*|pillar.*|sys.*|state.show_*|pkg.list_pkgs|pkg.version|service.status|service.get_all|disk.usage|status.*|network.interfaces|--version|--help|-h",
                Read,
                "only gathers facts",
            ),
        ],
        otherwise: (Change, "changes this minion"),
        options: "* >--out-file",
        ..UNLISTED
    },
    Tool {
        names: &["salt-key"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-c", "--config-dir", "--out", "--gen-keys-dir"],
        rules: &[
            (
                "-d|--delete|-D|--delete-all",
                Destroy,
                "deletes minion keys",
            ),
            (
                "-a|--accept|-A|--accept-all|-r|--reject|-R|--reject-all|--gen-keys|--gen-signature",
                Change,
                "accepts, rejects or makes keys",
            ),
        ],
        otherwise: (Read, "only lists minion keys"),
        ..UNLISTED
    },
    Tool {
        names: &["salt-run"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-c", "--config-dir", "--out", "-t", "--timeout"],
        rules: &[(
            "jobs.*|manage.status|manage.up|manage.down|manage.present|manage.not_present|manage.versions|fileserver.file_list|fileserver.dir_list|cache.grains|cache.pillar|--version|--help|-h",
            Read,
            "only reads the master",
        )],
        otherwise: (Change, "runs a runner on the master"),
        ..UNLISTED
    },
    Tool {
        names: &["puppet", "puppetserver"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "--environment",
            "--server",
            "--certname",
            "--confdir",
            "--vardir",
            "--logdest",
            "--render-as",
            "--modulepath",
            "-e",
            "--execute",
            "--section",
            "--node",
            "--tags",
        ],
        rules: &[
            (
                "node clean|deactivate",
                Destroy,
                "removes a node's certificates and data",
            ),
            (
                "cert|ssl clean|revoke",
                Destroy,
                "revokes or deletes certificates",
            ),
            (
                "ca clean|revoke",
                Destroy,
                "revokes or deletes certificates",
            ),
            (
                "resource ~ensure=absent|ensure=stopped|ensure=purged",
                Destroy,
                "removes or stops a resource",
            ),
            ("resource ~*=*", Change, "changes a resource"),
            ("resource", Read, "lists resources as they are"),
            ("parser|epp validate|dump", Read, "only validates manifests"),
            ("config print", Read, "only reads configuration"),
            (
                "module|facts|ca|cert|ssl list|search|show|find|print|verify|changes",
                Read,
                "only reads",
            ),
            (
                "lookup|describe|help|--version|-V|--help",
                Read,
                "only reads",
            ),
        ],
        otherwise: (Change, "changes the managed node or its configuration"),
        ..UNLISTED
    },
    Tool {
        names: &["chef-client", "chef-solo", "cinc-client"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-c",
            "--config",
            "-o",
            "--override-runlist",
            "-j",
            "--json-attributes",
            "-E",
            "--environment",
            "-l",
            "--log_level",
            "-L",
            "--logfile",
            "-N",
            "--node-name",
            "-r",
            "--runlist",
        ],
        rules: &[(
            "-W|--why-run|--version|-v|--help|-h",
            Read,
            "only shows what a run would change",
        )],
        otherwise: (Change, "converges the node"),
        ..UNLISTED
    },
    Tool {
        names: &["knife"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-c",
            "--config",
            "-s",
            "--server-url",
            "-u",
            "--user",
            "-k",
            "--key",
            "-E",
            "--environment",
            "-F",
            "--format",
            "-a",
            "--attribute",
            "-m",
            "--method",
            "--secret",
            "--secret-file",
            "--config-option",
            "--profile",
        ],
        rules: &[
            (
                "* delete|bulk|remove",
                Destroy,
                "deletes nodes, clients, roles, cookbooks, data or vault items",
            ),
            ("data bag delete", Destroy, "deletes data bags"),
            ("delete", Destroy, "deletes objects on the Chef server"),
            (
                "upload --purge",
                Destroy,
                "deletes objects the upload lacks",
            ),
            ("download --purge", Destroy, "deletes local files"),
            (
                "raw -m|--method ~DELETE|delete",
                Destroy,
                "sends a DELETE request to the Chef server",
            ),
            ("raw -m|--method", Change, "sends a writing request"),
            ("ssh|exec|bootstrap", Change, "runs commands on nodes"),
            ("* list|show|status", Read, "only reads the Chef server"),
            ("data bag list|show", Read, "only reads data bags"),
            ("vault list|show", Read, "shows vault items"),
            (
                "search|status|list|show|diff|deps|raw|version|--version|-v|help|--help",
                Read,
                "only reads the Chef server",
            ),
            (
                "download",
                Workspace,
                "downloads into the working directory",
            ),
        ],
        otherwise: (Change, "changes the Chef server or the nodes"),
        ..UNLISTED
    },
    Tool {
        names: &["nomad"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-address",
            "-region",
            "-namespace",
            "-token",
            "-ca-cert",
            "-client-cert",
            "-client-key",
            "-var",
            "-var-file",
            "-task",
            "-job",
            "-group",
            "-t",
            "-deadline",
        ],
        rules: &[
            (
                "job|alloc stop|deregister",
                Destroy,
                "stops a job or allocation",
            ),
            ("stop", Destroy, "stops a job"),
            (
                "namespace|var|volume|quota|sentinel|acl|node-pool delete|purge|deregister",
                Destroy,
                "deletes a namespace, variables, a volume or a policy",
            ),
            (
                "acl token|policy|role|auth-method|binding-rule delete",
                Destroy,
                "deletes ACL tokens or policies",
            ),
            (
                "node drain -enable",
                Destroy,
                "drains a node, stopping its work",
            ),
            (
                "operator raft remove-peer",
                Destroy,
                "removes a server from the cluster",
            ),
            (
                "operator snapshot restore",
                Destroy,
                "replaces the cluster's state with a snapshot",
            ),
            ("alloc exec", Change, "runs a command in an allocation"),
            (
                "job status|plan|inspect|history|validate|allocs|deployments|eval|periodic",
                Read,
                "only reads jobs",
            ),
            (
                "alloc|node|deployment|eval|namespace|var|volume|server|operator|quota|acl|service|plugin|node-pool status|logs|fs|list|info|get|members|checks|self|usage|inspect",
                Read,
                "only reads the cluster",
            ),
            (
                "operator raft list-peers",
                Read,
                "lists the cluster's servers",
            ),
            (
                "operator autopilot get-config|health|state",
                Read,
                "only reads the cluster",
            ),
            (
                "status|plan|inspect|validate|logs|version|-version|--version|agent-info|monitor|node-status|alloc-status|server-members|help|fmt -check",
                Read,
                "only reads the cluster",
            ),
        ],
        otherwise: (Change, "changes jobs or the cluster"),
        ..UNLISTED
    },
    Tool {
        names: &["airflow"],
        object: ObjectKind::Service,
        value_flags: &[
            "-S",
            "--subdir",
            "-o",
            "--output",
            "-s",
            "--start-date",
            "-e",
            "--end-date",
            "-t",
            "--task-regex",
            "--clean-before-timestamp",
            "--tables",
        ],
        rules: &[
            (
                "dags|connections|users|roles|pools|variables delete",
                Destroy,
                "deletes DAGs and their history, connections, users or variables",
            ),
            (
                "db reset|clean|downgrade|drop-archived",
                Destroy,
                "deletes the metadata database's records",
            ),
            (
                "tasks clear",
                Change,
                "clears task state so tasks run again",
            ),
            (
                "dags list|list-runs|list-jobs|list-import-errors|show|details|state|next-execution|report|list-warnings",
                Read,
                "only reads DAGs",
            ),
            (
                "tasks list|state|states-for-dag-run|render|failed-deps",
                Read,
                "only reads tasks",
            ),
            (
                "connections|variables|users|roles|pools export",
                Workspace,
                "writes them to a file",
            ),
            (
                "connections|variables|users|roles|pools|providers|plugins|jobs|config list|get|get-value|check",
                Read,
                "only reads",
            ),
            (
                "db check|check-migrations",
                Read,
                "only checks the database",
            ),
            (
                "version|info|cheat-sheet|plugins|--version|-h|--help",
                Read,
                "only reads",
            ),
        ],
        otherwise: (Change, "changes DAGs, tasks or the scheduler"),
        ..UNLISTED
    },
    Tool {
        names: &["sops"],
        object: ObjectKind::Secret,
        value_flags: &[
            "--output",
            "--extract",
            "--input-type",
            "--output-type",
            "-k",
            "--kms",
            "--pgp",
            "-p",
            "--age",
            "-a",
            "--gcp-kms",
            "--azure-kv",
            "--hc-vault-transit",
            "--aws-profile",
            "--config",
            "--encryption-context",
            "--unencrypted-suffix",
            "--encrypted-suffix",
            "--encrypted-regex",
            "--unencrypted-regex",
            "--shamir-secret-sharing-threshold",
        ],
        rules: &[
            ("-i|--in-place", Change, "rewrites the file in place"),
            (
                "-d|--decrypt|-e|--encrypt|--version|-v|--help|-h",
                Read,
                "prints the file decrypted or encrypted",
            ),
            (
                "decrypt|encrypt|filestatus|help",
                Read,
                "prints the file decrypted or encrypted",
            ),
        ],
        otherwise: (Change, "edits or re-keys encrypted files"),
        // sops(1): `--output` names the file written; `exec-env` and `exec-file` run
        // the command given after the file.
        options: "* >--output",
        positionals: &[("exec-env|exec-file", "- - !")],
    },
    Tool {
        names: &["doppler"],
        object: ObjectKind::Secret,
        value_flags: &[
            "-p",
            "--project",
            "-c",
            "--config",
            "--token",
            "--api-host",
            "--scope",
            "--configuration",
            "--format",
        ],
        rules: &[
            (
                "secrets|projects|environments|configs|enclave delete|rm",
                Destroy,
                "deletes secrets, projects or configs",
            ),
            ("secrets $", Read, "prints secrets"),
            ("secrets download --no-file", Read, "prints secrets"),
            ("secrets download", Workspace, "writes secrets to a file"),
            ("secrets get|names", Read, "prints secrets"),
            (
                "projects|environments|configs|activity|me $",
                Read,
                "only reads",
            ),
            (
                "projects|environments|configs|activity list|get|ls",
                Read,
                "only reads",
            ),
            ("me|--version|-v|version|help|--help", Read, "only reads"),
            (
                "login|logout|setup|configure",
                Workspace,
                "changes the client's configuration",
            ),
        ],
        otherwise: (Change, "changes secrets or projects"),
        ..UNLISTED
    },
    Tool {
        names: &["op"],
        object: ObjectKind::Secret,
        value_flags: &[
            "--account",
            "--vault",
            "--format",
            "--session",
            "--config",
            "--fields",
            "--categories",
            "--tags",
            "-o",
            "--out-file",
        ],
        rules: &[
            (
                "item|document delete|rm --archive",
                Change,
                "moves items to the archive",
            ),
            (
                "item|document|vault|user|group|connect|service-account delete|rm|remove|revoke",
                Destroy,
                "deletes items, vaults or users",
            ),
            (
                "document get -o|--out-file",
                Change,
                "writes a document to a file",
            ),
            (
                "item|document|vault|user|group|account|connect|plugin|events-api list|ls|get",
                Read,
                "only reads 1Password",
            ),
            (
                "read|inject -o|--out-file",
                Change,
                "writes secrets to a file",
            ),
            (
                "read|inject|whoami|--version|help|--help",
                Read,
                "only reads 1Password",
            ),
            ("signin|signout", Workspace, "changes the client's sign-in"),
            (
                "account add|forget",
                Workspace,
                "changes the client's accounts",
            ),
        ],
        otherwise: (Change, "changes items or vaults"),
        ..UNLISTED
    },
    Tool {
        names: &["gh", "glab", "hub"],
        object: ObjectKind::Repository,
        value_flags: &[
            "-R",
            "--repo",
            "-q",
            "--jq",
            "-t",
            "--template",
            "-H",
            "--header",
            "-b",
            "--body",
            "--title",
            "-L",
            "--limit",
            "-s",
            "--state",
            "-a",
            "--assignee",
            "--base",
            "--head",
            "-m",
        ],
        rules: &[
            (
                "repo|release|secret|variable|run|cache|label|gist|ssh-key|gpg-key|codespace|project|environment|deploy-key|ruleset delete|remove|rm",
                Destroy,
                "deletes repositories, releases, secrets or history",
            ),
            ("repo archive", Destroy, "archives the repository"),
            ("extension remove", Change, "removes an extension"),
            (
                "api -X|--method ~DELETE|delete",
                Destroy,
                "sends a DELETE request to the forge",
            ),
            (
                "api -XDELETE|--method=DELETE",
                Destroy,
                "sends a DELETE request to the forge",
            ),
            (
                "api -X|--method|-f|-F|--field|--raw-field|--input",
                Change,
                "sends a writing request to the forge",
            ),
            (
                "api|search|browse|status|--version|version|help|completion",
                Read,
                "only reads",
            ),
            ("auth status|token", Read, "only reads"),
            (
                "pr|issue|repo|run|workflow|release|gist|cache|label|secret|variable|ruleset|project|codespace|org|extension|alias|config|auth view|list|diff|status|checks|watch|get|ls|show",
                Read,
                "only reads",
            ),
            (
                "pr|repo checkout|clone",
                Workspace,
                "fetches into the workspace",
            ),
        ],
        otherwise: (
            Change,
            "changes the forge: comments, merges, releases or settings",
        ),
        ..UNLISTED
    },
    Tool {
        names: &["curl"],
        object: ObjectKind::Network,
        value_flags: &[
            "-H",
            "--header",
            "-u",
            "--user",
            "-A",
            "--user-agent",
            "-e",
            "--referer",
            "-b",
            "--cookie",
            "-c",
            "--cookie-jar",
            "--cacert",
            "--cert",
            "--key",
            "-w",
            "--write-out",
            "-m",
            "--max-time",
            "--connect-timeout",
            "--retry",
            "--resolve",
            "-x",
            "--proxy",
            "--url",
            "-r",
            "--range",
            "--limit-rate",
            "-K",
            "--config",
        ],
        rules: &[
            (
                "-X|--request ~DELETE|delete",
                Destroy,
                "sends a DELETE request",
            ),
            (
                "-XDELETE|--request=DELETE",
                Destroy,
                "sends a DELETE request",
            ),
            (
                "-X|--request ~GET|HEAD|OPTIONS|get|head",
                Read,
                "sends a reading request",
            ),
            (
                "-XGET|-XHEAD|--request=GET|--request=HEAD",
                Read,
                "sends a reading request",
            ),
            (
                "-X*|--request*|-d|--data*|-F|--form*|-T|--upload-file|--json|-P|--ftp-port",
                Change,
                "sends a writing request",
            ),
            (
                "-o|--output|-O|--remote-name|--remote-name-all|--output-dir",
                Workspace,
                "downloads to a file",
            ),
        ],
        otherwise: (Read, "fetches a URL to standard output"),
        // curl(1): every option that writes a file; `-K` reads more options from a file.
        options: "* !curlw:-w|--write-out =-d|--data|--data-binary|--data-ascii|--data-raw|--data-urlencode|--json|-F|--form|--form-string|-T|--upload-file >-o|--output ~--output-dir >-D|--dump-header >-c|--cookie-jar >--trace|--trace-ascii >>--stderr >--libcurl >--etag-save >--hsts >--alt-svc ?-K|--config",
        ..UNLISTED
    },
    Tool {
        names: &["wget", "wget2", "aria2c"],
        object: ObjectKind::Network,
        value_flags: &[
            "-O",
            "--output-document",
            "-P",
            "--directory-prefix",
            "-o",
            "--output-file",
            "--header",
            "--user",
            "--password",
            "-U",
            "--user-agent",
        ],
        rules: &[
            ("--spider", Read, "only checks that a URL exists"),
            (
                "--method=DELETE|--method=delete",
                Destroy,
                "sends a DELETE request",
            ),
            (
                "--post-data*|--post-file*|--method*|--body-data*|--body-file*",
                Change,
                "sends a writing request",
            ),
        ],
        otherwise: (Workspace, "downloads into the workspace"),
        // wget(1): files it writes; `-e` runs a wgetrc command; `--use-askpass` a program.
        options: "* =--post-file|--body-file|--post-data|--body-data >-O|--output-document >>-a|--append-output >-o|--output-file ~-P|--directory-prefix >--save-cookies >--warc-file >--rejected-log ?-e|--execute ?--config !--use-askpass !--on-download-start|--on-download-complete|--on-download-error|--on-download-pause|--on-download-stop|--on-bt-download-complete",
        ..UNLISTED
    },
    Tool {
        names: &["http", "https", "xh", "xhs"],
        object: ObjectKind::Network,
        value_flags: &[
            "-a",
            "--auth",
            "-A",
            "--auth-type",
            "--session",
            "-o",
            "--output",
            "--verify",
            "--cert",
        ],
        rules: &[
            ("DELETE|delete", Destroy, "sends a DELETE request"),
            ("GET|HEAD|OPTIONS|get|head", Read, "sends a reading request"),
            (
                "POST|PUT|PATCH|post|put|patch",
                Change,
                "sends a writing request",
            ),
            (
                "-f|--form|--raw|-d|--download",
                Change,
                "sends a writing request",
            ),
            ("~*=*|*:=*|*@*", Change, "sends data in a writing request"),
        ],
        otherwise: (Read, "sends a reading request"),
        ..UNLISTED
    },
    Tool {
        names: &["tar", "bsdtar", "gtar"],
        object: ObjectKind::File,
        value_flags: &[
            "-f",
            "--file",
            "-C",
            "--directory",
            "-T",
            "--files-from",
            "-X",
            "--exclude-from",
            "--exclude",
        ],
        rules: &[(
            "-t|--list|--diff|-d|--compare",
            Read,
            "only lists an archive",
        )],
        otherwise: (Workspace, "packs or unpacks an archive"),
        // tar(1): options that run programs, and files besides the archive it writes.
        options: "* !-I|--use-compress-program !--to-command !--rsh-command !remote:--rmt-command !-F|--info-script|--new-volume-script !tar:--checkpoint-action --checkpoint >--index-file ~-g|--listed-incremental",
        ..UNLISTED
    },
    Tool {
        names: &["ansible"],
        object: ObjectKind::Infrastructure,
        value_flags: &[
            "-i",
            "--inventory",
            "-u",
            "--user",
            "-e",
            "--extra-vars",
            "-f",
            "--forks",
            "-l",
            "--limit",
            "-M",
            "--module-path",
            "-t",
            "--tree",
            "-B",
            "-P",
            "--become-user",
            "-c",
            "--connection",
        ],
        rules: &[
            (
                "--check|-C|--list-hosts|--syntax-check",
                Read,
                "only shows what would change",
            ),
            (
                "~*state=absent*|*state=stopped*|*state=killed*|*state=unmounted*|*force=yes*",
                Destroy,
                "removes or stops things on the managed hosts",
            ),
            (
                "-m|--module-name ~ping|setup|gather_facts|stat|find|slurp|*_info|*_facts|debug",
                Read,
                "only gathers facts from the managed hosts",
            ),
        ],
        otherwise: (Change, "changes the managed hosts"),
        ..UNLISTED
    },
    Tool {
        names: &["rsync"],
        object: ObjectKind::File,
        value_flags: &[
            "-e",
            "--rsh",
            "--exclude",
            "--include",
            "--exclude-from",
            "--include-from",
            "--filter",
            "-f",
            "--chmod",
            "--chown",
            "--port",
            "--password-file",
            "--log-file",
            "-T",
            "--temp-dir",
            "--partial-dir",
            "--backup-dir",
            "--suffix",
        ],
        rules: &[(
            "-n|--dry-run|--list-only",
            Read,
            "only shows what would be copied",
        )],
        otherwise: (Change, "copies files"),
        // rsync(1): the remote shell and the remote rsync are commands; logs and batch
        // files are written.
        options: "* !-e|--rsh !remote:--rsync-path >>--log-file >--write-batch|--only-write-batch ~--backup-dir|--partial-dir|--temp-dir|-T ?--config --backup --partial",
        ..UNLISTED
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The index finds what reading the table in order finds, for every name in it and
    /// for names its patterns match.
    #[test]
    fn lookup_finds_the_first_entry_that_names_a_command() {
        let in_order = |name: &str| {
            TOOLS
                .iter()
                .position(|tool| tool.names.iter().any(|n| glob_match(n, name)))
        };
        let mut names: Vec<String> = Vec::new();
        for tool in TOOLS {
            for name in tool.names {
                names.push(name.replace('*', ""));
                names.push(name.replace('*', "x1"));
            }
        }
        names.extend(["no-such-tool", "", "x"].map(str::to_owned));
        assert!(names.len() > 1_000, "{} names", names.len());
        for name in &names {
            let found =
                lookup(name).and_then(|tool| TOOLS.iter().position(|t| std::ptr::eq(t, tool)));
            assert_eq!(found, in_order(name), "{name}");
        }
    }
}
