//! MCP calls: what a `tools/call`, `resources/read` or `prompts/get` sent to an MCP
//! server would do, judged by what the server is and by what the arguments say.
//!
//! A server is recognised by what it is (the package or image that launches it, the
//! host it is served from, the name it announces), never by the name a configuration
//! gives it; where none of that is known (an agent's hook sees only `mcp__NAME__TOOL`),
//! a tool is recognised by its name and the shape of its arguments. A recognised tool
//! is judged by the catalogue (`catalogue.rs`): SQL it runs goes to the SQL analyser,
//! command lines to the shell analyser, paths to the zones of the file surface, URLs to
//! the network rules. An unknown tool is at least a change, and a destroy where its
//! name or arguments name a destructive verb; its annotations count only when its
//! server is configured as trusted, and its arguments are judged by their shape.

mod catalogue;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::analysis::{AnalysisContext, Files};
use crate::effect::{Analysis, Effect, ObjectKind, Risk, Verb};
use crate::nesting::Nesting;
use crate::shell::paths::{self, Location, Zone};
use crate::shell::tools::{Verbs, destructive_verb};
use crate::sql::Dialect;
use crate::{file, shell, sql};

use catalogue::{Does, SERVERS, Server, Tool};

/// The server a call goes to, as the caller knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServer {
    /// The name the user's configuration gives it. Never used to recognise it: a
    /// configuration can call anything `db` or `readonly`.
    pub name: String,
    /// The command that launches it (stdio), empty when unknown (the hook path).
    #[serde(default)]
    pub command: Vec<String>,
    /// Its URL (HTTP), when known.
    #[serde(default)]
    pub url: Option<String>,
    /// What it announced in its `initialize` answer (`serverInfo`).
    #[serde(default)]
    pub info: Option<McpServerInfo>,
    /// Configured as trusted: only then do its tools' annotations count.
    #[serde(default)]
    pub trusted: bool,
}

/// A server's `serverInfo`: what it says it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerInfo {
    pub name: String,
    #[serde(default)]
    pub version: String,
}

/// One request to an MCP server that holdpoint decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpCall {
    pub server: McpServer,
    /// `tools/call`, `resources/read` or `prompts/get`.
    pub method: String,
    /// The tool's name, the resource's URI or the prompt's name.
    pub name: String,
    /// The call's arguments (an object), `Null` when none.
    #[serde(default)]
    pub arguments: Value,
    /// The tool's annotations from `tools/list`, if the caller saw them.
    #[serde(default)]
    pub annotations: Option<Value>,
}

impl McpCall {
    /// The call as canonical JSON text: every field present, object keys sorted by
    /// their bytes, no white space outside strings, one line. This is `Action.input`
    /// for the `mcp` surface, so two calls that mean the same have the same digest
    /// whichever adapter (a hook, the gateway) saw them.
    pub fn to_input(&self) -> String {
        let server = &self.server;
        // Fields in the order of their names' bytes, as `Canonical` orders an object's.
        #[derive(Serialize)]
        struct Input<'a> {
            annotations: Option<Canonical<'a>>,
            arguments: Canonical<'a>,
            method: &'a str,
            name: &'a str,
            server: InputServer<'a>,
        }
        #[derive(Serialize)]
        struct InputServer<'a> {
            command: &'a [String],
            info: Option<&'a McpServerInfo>,
            name: &'a str,
            trusted: bool,
            url: Option<&'a str>,
        }
        let input = Input {
            annotations: self.annotations.as_ref().map(Canonical),
            arguments: Canonical(&self.arguments),
            method: &self.method,
            name: &self.name,
            server: InputServer {
                command: &server.command,
                info: server.info.as_ref(),
                name: &server.name,
                trusted: server.trusted,
                url: server.url.as_deref(),
            },
        };
        // Writing JSON to memory fails only for a map whose keys are not strings, which
        // none here is; an empty input would not read as a call, and is refused.
        serde_json::to_string(&input).unwrap_or_default()
    }

    /// Reads a call back from its input text (canonical or not).
    pub fn from_input(input: &str) -> Result<McpCall, String> {
        serde_json::from_str(input).map_err(|e| format!("not an MCP call: {e}"))
    }
}

/// A JSON value written canonically: object keys sorted by their bytes, no
/// insignificant white space (serde_json's compact form otherwise).
struct Canonical<'a>(&'a Value);

impl Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Canonical(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Canonical(item))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// What an MCP call would do: the analyser of the `mcp` surface. Input that is not an
/// [`McpCall`] is unanalysable.
pub fn analyse(input: &str, ctx: &AnalysisContext, files: &dyn Files) -> Analysis {
    let call = match McpCall::from_input(input) {
        Ok(call) => call,
        Err(why) => {
            return Analysis::unanalysable(why, "an MCP call holdpoint cannot read".to_owned());
        }
    };
    let empty = Map::new();
    let arguments = match &call.arguments {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            return Analysis::unanalysable(
                format!(
                    "the arguments of the MCP call `{}` are not an object",
                    call.name
                ),
                "an MCP call whose arguments holdpoint cannot read".to_owned(),
            );
        }
    };
    if let Some(gateway) = through_gateway(&call.server, ctx, files) {
        return Analysis {
            effects: vec![Effect::new(
                Verb::Execute,
                ObjectKind::Service,
                &gateway,
                Risk::Read,
                format!(
                    "sends `{}` through holdpoint's MCP gateway (`{gateway}`), which decides the call itself as it arrives",
                    call.name
                ),
            )],
            ..Analysis::default()
        };
    }
    let mut judge = Judge {
        call: &call,
        args: arguments,
        ctx,
        files,
        server: recognise(&call.server),
        analysis: Analysis::default(),
    };
    match call.method.as_str() {
        "tools/call" => judge.tool_call(),
        "resources/read" => judge.resource(),
        "prompts/get" => {
            let effect = Effect::new(
                Verb::Read,
                ObjectKind::Service,
                judge.target(),
                Risk::Read,
                format!(
                    "gets the prompt `{}` from {}",
                    call.name,
                    judge.server_title()
                ),
            );
            judge.push(effect);
        }
        other => {
            return Analysis::unanalysable(
                format!("holdpoint does not analyse the MCP method `{other}`"),
                format!("an MCP `{other}` request holdpoint does not know"),
            );
        }
    }
    judge.analysis
}

/// The lowest risk class a call of `tool` on `server` can have, whatever its arguments:
/// what a tool list can be judged by before any call is made. Never above what
/// [`analyse`] finds for a call of that tool (its tests hold the two together).
pub fn lowest_risk(server: &McpServer, tool: &str, annotations: Option<&Value>) -> Risk {
    let catalogued = |t: &Tool| {
        if t.dry_run.is_some() {
            return Risk::Read;
        }
        match t.does {
            Does::Fixed(risk, ..) | Does::Sql(_, risk) => risk,
            Does::Files("read" | "list" | "search", _) => Risk::Read,
            Does::Files(..) => Risk::Workspace,
            Does::Git(Risk::Read, ..) => Risk::Read,
            Does::Git(..) => Risk::Workspace,
            Does::Secret(_)
            | Does::Shell(_)
            | Does::Remote(_)
            | Does::Url(_)
            | Does::KubeRead(..) => Risk::Read,
        }
    };
    let hint = |key: &str| {
        annotations
            .and_then(|a| a.get(key))
            .and_then(Value::as_bool)
    };
    let read_only = hint("readOnlyHint") == Some(true);
    let unknown = if hint("destructiveHint") == Some(true) && !(server.trusted && read_only) {
        Risk::Destroy
    } else if server.trusted && read_only {
        Risk::Read
    } else {
        // An unknown tool counts as a change at least; a destructive name alone does not
        // make every call `destroy` (an argument can ask for a dry run).
        Risk::Change
    };
    // The arguments an unknown tool takes are judged by their shape, which can only
    // add to what the tool itself counts as.
    match recognise(server) {
        Some(known) => known
            .tools
            .iter()
            .find(|t| catalogue::names(t, tool))
            .map_or(unknown, catalogued),
        // Unrecognised: any catalogued tool of that name may be the one meant, if the
        // arguments fit it, or none.
        None => SERVERS
            .iter()
            .flat_map(|s| s.tools.iter())
            .filter(|t| catalogue::names(t, tool))
            .map(catalogued)
            .fold(unknown, Risk::min),
    }
}

/// The gateway a call goes through, when the agent says its server is launched as
/// `holdpoint mcp …` by holdpoint's own executable (`AnalysisContext::holdpoint_program`,
/// compared by real path): that gateway decides the call, so the hook need not hold it
/// as well. The hook path knows the launch command only where the agent sends it
/// (Gemini CLI, Cursor).
fn through_gateway(server: &McpServer, ctx: &AnalysisContext, files: &dyn Files) -> Option<String> {
    let own = ctx.holdpoint_program.as_deref()?;
    let [program, subcommand, ..] = server.command.as_slice() else {
        return None;
    };
    if subcommand != "mcp" {
        return None;
    }
    let found = if program.contains('/') {
        program.clone()
    } else {
        files.which(program)?
    };
    let real = files.real_path(&found).unwrap_or(found);
    (real == own).then(|| format!("{program} mcp"))
}

/// The server the call goes to, recognised by its launch command, its URL's host or
/// the name it announced, in that order. What it depends on is all in `server`, so the
/// last server recognised on a thread is remembered: a gateway's calls all go to one.
fn recognise(server: &McpServer) -> Option<&'static Server> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(McpServer, Option<&'static Server>)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((seen, known)) if seen == server => *known,
        _ => {
            let known = recognised(server);
            *last = Some((server.clone(), known));
            known
        }
    })
}

fn recognised(server: &McpServer) -> Option<&'static Server> {
    let by_launch = server.command.iter().find_map(|word| {
        let read = without_version(word);
        let word = LaunchWord::new(&read);
        SERVERS.iter().find(|s| s.launch.iter().any(|l| word.is(l)))
    });
    let by_host = || {
        let host = server.url.as_deref().and_then(url_host)?;
        SERVERS.iter().find(|s| s.hosts.contains(&host.as_str()))
    };
    let by_info = || {
        let name = server.info.as_ref()?.name.to_ascii_lowercase();
        SERVERS
            .iter()
            .find(|s| s.announces.iter().any(|a| *a == name))
    };
    by_launch.or_else(by_host).or_else(by_info)
}

/// A word of a launch command without the version a package runner or image names
/// (`@scope/pkg@1.2`, `pkg==1.0`, `image:tag`, `image@sha256:…`), lowercase, with `_`
/// read as `-` (a Python module is its package with `_`).
fn without_version(word: &str) -> String {
    let mut word = word.trim().to_ascii_lowercase().replace('_', "-");
    let at = if word.starts_with('@') {
        word.get(1..).and_then(|rest| rest.find('@')).map(|i| i + 1)
    } else {
        word.find('@')
    };
    if let Some(at) = at {
        word.truncate(at);
    }
    if let Some(cut) = word.find(['=', '>', '<', '~', '[']) {
        word.truncate(cut);
    }
    let last_slash = word.rfind('/').map_or(0, |i| i + 1);
    if let Some(colon) = word.get(last_slash..).and_then(|tail| tail.find(':')) {
        word.truncate(last_slash + colon);
    }
    word
}

/// A word of a launch command as it is compared with catalogued names: read by
/// `without_version`, with what follows each `node_modules/` in it found once.
struct LaunchWord<'a> {
    word: &'a str,
    packages: Vec<&'a str>,
}

impl<'a> LaunchWord<'a> {
    fn new(word: &'a str) -> Self {
        LaunchWord {
            word,
            packages: word.split("node_modules/").skip(1).collect(),
        }
    }

    /// Whether it is the package or image `name`: the name itself, at the end of a path
    /// or registry (`/usr/local/bin/mcp-server-git`, `docker.io/mcp/git`), or as a
    /// package under `node_modules`.
    fn is(&self, name: &str) -> bool {
        // Launch words are read with `-` for `_`; the catalogue's names are lowercase (a
        // test holds it to that) and nearly all without `_`.
        if name.contains('_') {
            return self.is(&name.replace('_', "-"));
        }
        self.word == name
            || self
                .word
                .strip_suffix(name)
                .is_some_and(|before| before.ends_with('/'))
            || self.packages.iter().any(|package| {
                package
                    .strip_prefix(name)
                    .is_some_and(|after| after.starts_with('/'))
            })
    }
}

/// The host of a URL, lowercase, without user or port.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    Some(host.to_ascii_lowercase())
}

/// Argument names (lowercase, without `_` and `-`) that an unknown tool's arguments are
/// judged by.
const SQL_KEYS: &[&str] = &["sql", "query", "statement", "statements", "sqlquery"];
const SHELL_KEYS: &[&str] = &["command", "cmd", "script", "commandline", "shellcommand"];
const PATH_KEYS: &[&str] = &[
    "path",
    "paths",
    "filepath",
    "file",
    "filename",
    "directory",
    "dir",
    "source",
    "destination",
    "repopath",
    "absolutepath",
];
const URL_KEYS: &[&str] = &["url", "uri", "href", "endpoint"];
/// Argument names of code a tool runs, in the language its `language` argument, its
/// name or its server's name says.
const CODE_KEYS: &[&str] = &["code", "program", "snippet", "sourcecode", "expression"];
const LANGUAGE_KEYS: &[&str] = &["language", "lang", "runtime", "interpreter"];
const CWD_KEYS: &[&str] = &["cwd", "workdir", "workingdirectory", "directory"];

/// The words SQL text starts with: text in a `query` argument that starts otherwise
/// is a search, not SQL.
const SQL_WORDS: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "drop",
    "create",
    "alter",
    "truncate",
    "with",
    "grant",
    "revoke",
    "copy",
    "merge",
    "replace",
    "upsert",
    "call",
    "exec",
    "execute",
    "do",
    "set",
    "begin",
    "start",
    "commit",
    "rollback",
    "end",
    "vacuum",
    "analyze",
    "analyse",
    "explain",
    "show",
    "describe",
    "desc",
    "pragma",
    "attach",
    "detach",
    "reindex",
    "cluster",
    "comment",
    "lock",
    "load",
    "values",
    "table",
    "listen",
    "notify",
    "prepare",
    "deallocate",
    "discard",
    "reset",
    "savepoint",
    "release",
    "use",
    "rename",
    "optimize",
    "import",
    "refresh",
    "reassign",
    "checkpoint",
    "security",
    "unlisten",
    "abort",
    "handler",
];

/// At most this many argument values are read for destructive verbs.
const MAX_WORDS: usize = 512;

/// One call being judged.
struct Judge<'a> {
    call: &'a McpCall,
    args: &'a Map<String, Value>,
    ctx: &'a AnalysisContext,
    files: &'a dyn Files,
    server: Option<&'static Server>,
    analysis: Analysis,
}

impl<'a> Judge<'a> {
    fn push(&mut self, effect: Effect) {
        if !self.analysis.effects.contains(&effect) {
            self.analysis.effects.push(effect);
        }
    }

    /// Adds another analyser's findings; `label` goes before summaries that do not
    /// name what they come from (the file surface's "reads `x`").
    fn absorb(&mut self, part: Analysis, label: Option<&str>) {
        for mut effect in part.effects {
            if let Some(label) = label {
                effect.summary = format!("{label} {}", effect.summary);
            }
            self.push(effect);
        }
        if self.analysis.unanalysable.is_none() {
            self.analysis.unanalysable = part.unanalysable;
        }
    }

    fn server_title(&self) -> String {
        match self.server {
            Some(server) => server.title.to_owned(),
            None if self.call.server.name.is_empty() => "a server holdpoint cannot name".to_owned(),
            None => format!("the MCP server `{}`", self.call.server.name),
        }
    }

    /// The call as a person reads it: "`query` on the PostgreSQL server".
    fn label(&self) -> String {
        format!("`{}` on {}", self.call.name, self.server_title())
    }

    /// What the call acts on, as far as its arguments say: a repository, or the
    /// server and tool.
    fn target(&self) -> String {
        let text = |key: &str| self.args.get(key).and_then(Value::as_str);
        if let (Some(owner), Some(repo)) = (text("owner"), text("repo")) {
            return format!("{owner}/{repo}");
        }
        if self.call.server.name.is_empty() {
            self.call.name.clone()
        } else {
            format!("{}/{}", self.call.server.name, self.call.name)
        }
    }

    fn tool_call(&mut self) {
        let name = self.call.name.as_str();
        if let Some(server) = self.server {
            match server.tools.iter().find(|t| catalogue::names(t, name)) {
                Some(tool) => self.known(tool, server.dialect),
                None => self.unknown(),
            }
            return;
        }
        // Nothing says what the server is: a tool is recognised by its name and the
        // shape of its arguments, in any server of the catalogue that has it (the
        // strictest reading where several do). Its SQL may be any dialect.
        let matches: Vec<&'static Tool> = SERVERS
            .iter()
            .flat_map(|s| s.tools.iter())
            .filter(|t| catalogue::names(t, name) && self.fits(t))
            .collect();
        if matches.is_empty() {
            self.unknown();
        }
        for tool in matches {
            self.known(tool, None);
        }
    }

    /// Whether the arguments have the shape the tool takes.
    fn fits(&self, tool: &Tool) -> bool {
        let required = tool
            .args
            .iter()
            .filter_map(|a| a.strip_prefix('!'))
            .all(|a| self.args.contains_key(a));
        let open = tool.args.contains(&"*") || catalogue::named_by_glob(tool, &self.call.name);
        let listed = |key: &str| {
            tool.args
                .iter()
                .any(|a| a.strip_prefix('!').unwrap_or(a) == key)
        };
        required && (open || self.args.keys().all(|k| listed(k)))
    }

    /// A tool the catalogue knows.
    fn known(&mut self, tool: &Tool, dialect: Option<Dialect>) {
        let label = self.label();
        if let Some(flag) = tool.dry_run
            && self.args.get(flag) == Some(&Value::Bool(true))
        {
            if let Does::Files(_, keys) = tool.does {
                self.paths("read", keys, &label);
            } else {
                let effect = Effect::new(
                    Verb::Read,
                    ObjectKind::Service,
                    self.target(),
                    Risk::Read,
                    format!("{label} only shows what it would do (`{flag}`)"),
                );
                self.push(effect);
            }
            return;
        }
        match tool.does {
            Does::Fixed(risk, object, says) => {
                let verb = match risk {
                    Risk::Read => Verb::Read,
                    Risk::Workspace | Risk::Change => Verb::Write,
                    Risk::Destroy => Verb::Delete,
                };
                let effect =
                    Effect::new(verb, object, self.target(), risk, format!("{label} {says}"));
                self.push(effect);
            }
            Does::Secret(says) => {
                let effect = Effect::secret_read(self.target(), format!("{label} {says}"));
                self.push(effect);
            }
            Does::Files(op, keys) => self.paths(op, keys, &label),
            Does::Git(risk, sub, refs) => self.git(risk, sub, refs, &label),
            Does::Sql(keys, at_least) => self.sql(keys, dialect, at_least, &label),
            Does::Shell(keys) => self.shell(keys, &label),
            Does::Remote(keys) => self.remote(keys, &label),
            Does::Url(keys) => self.urls(keys, &label, true),
            Does::KubeRead(keys, says) => {
                let secrets = keys.iter().filter_map(|k| self.args.get(*k)).any(|v| {
                    v.as_str()
                        .is_some_and(|s| s.to_ascii_lowercase().contains("secret"))
                });
                let effect = if secrets {
                    Effect::secret_read(
                        self.target(),
                        format!("{label} reads the cluster's secrets, which hold credentials"),
                    )
                } else {
                    Effect::new(
                        Verb::Read,
                        ObjectKind::Cluster,
                        self.target(),
                        Risk::Read,
                        format!("{label} {says}"),
                    )
                };
                self.push(effect);
            }
        }
    }

    /// The string values of these arguments (a string, or an array of strings); an
    /// argument of another type is reported in the second list.
    fn strings(&self, keys: &[&str]) -> (Vec<String>, Vec<String>) {
        let mut found = Vec::new();
        let mut odd = Vec::new();
        for key in keys {
            match self.args.get(*key) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => found.push(s.clone()),
                Some(Value::Array(items)) => {
                    for item in items {
                        match item {
                            Value::String(s) => found.push(s.clone()),
                            _ => odd.push((*key).to_owned()),
                        }
                    }
                }
                Some(_) => odd.push((*key).to_owned()),
            }
        }
        (found, odd)
    }

    /// A path as the server reads it: `~` is the home directory.
    fn expand(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix('~') else {
            return path.to_owned();
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return path.to_owned();
        }
        // Without a known home, `~` is somewhere outside the workspace.
        let home = self.ctx.home.as_deref().unwrap_or("/~");
        format!("{}{rest}", home.trim_end_matches('/'))
    }

    /// An opaque effect: the call is judged without seeing what it does.
    fn opaque(&mut self, risk: Risk, summary: String) {
        let effect = Effect::opaque(self.target(), risk, summary);
        self.push(effect);
    }

    /// A file operation on every path these arguments name, as the file surface
    /// judges it.
    fn paths(&mut self, op: &str, keys: &[&str], label: &str) {
        let (found, odd) = self.strings(keys);
        if !odd.is_empty() || found.is_empty() {
            self.opaque(
                Risk::Change,
                format!("{label} names its files in a way holdpoint cannot read"),
            );
        }
        for path in found {
            self.path(op, &path, label);
        }
    }

    fn path(&mut self, op: &str, path: &str, label: &str) {
        if path.trim().is_empty() || path.contains(['\n', '\r', '\0']) {
            self.opaque(
                Risk::Change,
                format!("{label} names a path holdpoint cannot read"),
            );
            return;
        }
        let path = self.expand(path);
        let part = file::analyse(&format!("{op} {path}"), self.ctx, self.files);
        self.absorb(part, Some(label));
    }

    /// A git operation on the repository at `repo_path`.
    fn git(&mut self, risk: Risk, sub: &str, refs: &[&str], label: &str) {
        let Some(repo) = self.args.get("repo_path").and_then(Value::as_str) else {
            self.opaque(
                Risk::Change,
                format!("{label} names no repository holdpoint can read"),
            );
            return;
        };
        let repo = self.expand(repo);
        // A revision or branch name starting with `-` reaches git as an option
        // (`--output=FILE` writes a file): judged as the git command it makes.
        let (values, _) = self.strings(refs);
        for value in values.iter().filter(|v| v.starts_with('-')) {
            let line = format!("git {sub} {}", shell::shell_quote(value));
            let ctx = self.ctx_in(&repo);
            let part = shell::analyse(&line, &ctx, self.files);
            self.absorb(part, None);
            let effect = Effect::new(
                Verb::Execute,
                ObjectKind::Repository,
                &repo,
                Risk::Change,
                format!("{label} passes `{value}` to git, which takes it as an option"),
            );
            self.push(effect);
        }
        if risk == Risk::Read {
            self.path("read", &repo, label);
            return;
        }
        let does = match sub {
            "add" => "stages files",
            "commit" => "commits",
            "branch" => "makes a branch",
            "checkout" => "switches branches",
            "reset" => "unstages every staged change",
            _ => "makes a repository",
        };
        let location = Location::Local(Some(self.ctx.cwd.clone()));
        let effect = match paths::zone(Some(&repo), &repo, &location, self.ctx) {
            Zone::Protected(kind) => Effect::self_protection(
                kind,
                &repo,
                format!("{label} {does} in `{repo}`, which protects holdpoint; only a human may"),
            ),
            Zone::Workspace | Zone::WholeWorkspace | Zone::Temp => Effect::new(
                Verb::Write,
                ObjectKind::Repository,
                &repo,
                Risk::Workspace,
                format!("{label} {does} in the workspace's repository `{repo}`"),
            ),
            _ => Effect::new(
                Verb::Write,
                ObjectKind::Repository,
                &repo,
                Risk::Change,
                format!("{label} {does} in the repository `{repo}`, outside the workspace"),
            ),
        };
        self.push(effect);
    }

    /// The context for a command that runs in `dir`: the workspace stays where it is.
    fn ctx_in(&self, dir: &str) -> AnalysisContext {
        let mut ctx = self.ctx.clone();
        ctx.workspace = Some(self.ctx.workspace().to_owned());
        ctx.cwd = paths::normalise(&self.ctx.cwd, dir);
        ctx
    }

    /// The SQL in the first of these arguments that holds some, in the server's
    /// dialect, or in every dialect holdpoint reads when the server is not known.
    fn sql(&mut self, keys: &[&str], dialect: Option<Dialect>, at_least: Risk, label: &str) {
        let Some(text) = keys
            .iter()
            .find_map(|k| self.args.get(*k).and_then(Value::as_str))
        else {
            self.opaque(
                Risk::Change,
                format!("{label} is called without SQL holdpoint can read"),
            );
            return;
        };
        self.sql_text(text, dialect, label);
        if at_least > Risk::Read {
            let effect = Effect::new(
                Verb::Write,
                ObjectKind::Database,
                self.target(),
                at_least,
                format!("{label} runs statements that change the database"),
            );
            self.push(effect);
        }
    }

    fn sql_text(&mut self, text: &str, dialect: Option<Dialect>, label: &str) {
        let dialects = match dialect {
            Some(one) => vec![one],
            None => vec![Dialect::Postgres, Dialect::MySql, Dialect::Sqlite],
        };
        for dialect in dialects {
            let part = sql::analyse(text, dialect);
            self.absorb(part, Some(&format!("{label}:")));
        }
        // A file the SQL names (`readfile('…')`, `read_csv('…')`, `ATTACH '…'`,
        // `pg_read_file('…')`) is read by the engine, which runs beside the agent: judged
        // as a read of it, so holdpoint's own files are refused and credentials held.
        for path in sql_paths(text) {
            self.path("read", &path, label);
        }
    }

    /// A command line: a string, or an array of words run without a shell.
    fn command_line(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| match self.args.get(*k)? {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => {
                let words: Option<Vec<String>> = items
                    .iter()
                    .map(|w| w.as_str().map(shell::shell_quote))
                    .collect();
                words.filter(|w| !w.is_empty()).map(|w| w.join(" "))
            }
            _ => None,
        })
    }

    /// The directory a command is run in, when the arguments name one.
    fn command_dir(&self) -> Option<String> {
        self.args.iter().find_map(|(key, value)| {
            let dir = value.as_str()?;
            CWD_KEYS
                .contains(&normal_key(key).as_str())
                .then(|| self.expand(dir))
        })
    }

    /// A command line run on the server's machine, analysed as the shell would run it.
    fn shell(&mut self, keys: &[&str], label: &str) {
        let Some(line) = self.command_line(keys) else {
            self.opaque(
                Risk::Change,
                format!("{label} is called without a command holdpoint can read"),
            );
            return;
        };
        let ctx = match self.command_dir() {
            Some(dir) => self.ctx_in(&dir),
            None => self.ctx.clone(),
        };
        let part = shell::analyse(&line, &ctx, self.files);
        self.absorb(part, Some(&format!("{label}:")));
    }

    /// A command run in a container of the cluster.
    fn remote(&mut self, keys: &[&str], label: &str) {
        let Some(line) = self.command_line(keys) else {
            self.opaque(
                Risk::Change,
                format!("{label} is called without a command holdpoint can read"),
            );
            return;
        };
        let pod = self
            .args
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("a pod");
        let part = shell::analyse_remote(&line, &format!("pod {pod}"), Nesting::default());
        self.absorb(part, Some(&format!("{label}:")));
    }

    /// The URLs in these arguments, fetched by the server; `declared` says whether the
    /// tool is known to fetch (otherwise only what a URL reaches counts).
    fn urls(&mut self, keys: &[&str], label: &str, declared: bool) {
        let (found, _) = self.strings(keys);
        if found.is_empty() && declared {
            let effect = Effect::new(
                Verb::Read,
                ObjectKind::Network,
                self.target(),
                Risk::Read,
                format!("{label} fetches what its arguments name"),
            );
            self.push(effect);
        }
        for url in found {
            self.url(&url, label, declared);
        }
    }

    fn url(&mut self, url: &str, label: &str, declared: bool) {
        if let Some(path) = file_url_path(url) {
            match path {
                Some(path) => self.path("read", &path, label),
                None => self.opaque(
                    Risk::Change,
                    format!("{label} names a file URL holdpoint cannot read"),
                ),
            }
            return;
        }
        if shell::human_only_route(url, true) {
            let effect = Effect::self_protection(
                ObjectKind::Holdpoint,
                url,
                format!(
                    "{label} calls `{url}`, a route of holdpoint's server that only a human may use"
                ),
            );
            self.push(effect);
        } else if declared {
            let effect = Effect::new(
                Verb::Read,
                ObjectKind::Network,
                url,
                Risk::Read,
                format!("{label} fetches `{url}`"),
            );
            self.push(effect);
        }
    }

    /// `resources/read`: a read of the server's resource; a `file://` resource is a
    /// read of that file.
    fn resource(&mut self) {
        let uri = self.call.name.clone();
        let label = format!("reading the resource `{uri}` from {}", self.server_title());
        match file_url_path(&uri) {
            Some(Some(path)) => self.path("read", &path, &format!("{label}:")),
            Some(None) => self.opaque(
                Risk::Change,
                format!("{label}: a file URL holdpoint cannot read"),
            ),
            None => {
                let effect = Effect::new(
                    Verb::Read,
                    ObjectKind::Service,
                    &uri,
                    Risk::Read,
                    format!("reads the resource `{uri}` of {}", self.server_title()),
                );
                self.push(effect);
            }
        }
    }

    /// A tool the catalogue does not know: at least a change, a destroy where its name
    /// or arguments name a destructive verb; a trusted server's annotations count.
    fn unknown(&mut self) {
        let label = self.label();
        let hint = |key: &str| {
            self.call
                .annotations
                .as_ref()
                .and_then(|a| a.get(key))
                .and_then(Value::as_bool)
        };
        // The arguments that hold SQL or a command line are judged by their analysers,
        // not by their first word; what the tool itself is comes first.
        let shaped = self.analysis.effects.len();
        let analysed = self.shapes(&label);
        let trusted = self.call.server.trusted;
        let read_only = hint("readOnlyHint") == Some(true);
        let destructive = hint("destructiveHint");
        let target = self.target();
        // A hint that makes a tool riskier counts from any server.
        let tool = if destructive == Some(true) && !(trusted && read_only) {
            Effect::new(
                Verb::Delete,
                ObjectKind::Service,
                target,
                Risk::Destroy,
                format!("{label} is declared destructive by its server"),
            )
        } else if trusted && read_only {
            Effect::new(
                Verb::Read,
                ObjectKind::Service,
                target,
                Risk::Read,
                format!(
                    "{label} is declared read-only by its server, which is configured as trusted"
                ),
            )
        } else if trusted && destructive == Some(false) {
            Effect::new(
                Verb::Write,
                ObjectKind::Service,
                target,
                Risk::Change,
                format!(
                    "{label} is declared by its server, which is configured as trusted, to change things without destroying any"
                ),
            )
        } else {
            let words = self.verb_words(&analysed);
            let untrusted_claim = if read_only && !trusted {
                "; its server says it only reads, but the server is not configured as trusted"
            } else {
                ""
            };
            match destructive_verb(&words, Verbs::Unknown) {
                Some(verb) => Effect::opaque(
                    target,
                    Risk::Destroy,
                    format!(
                        "{label} is a tool holdpoint does not know, and it names a destructive verb (`{verb}`){untrusted_claim}"
                    ),
                ),
                None => Effect::opaque(
                    target,
                    Risk::Change,
                    format!(
                        "{label} is a tool holdpoint does not know, so it counts as a change{untrusted_claim}"
                    ),
                ),
            }
        };
        self.analysis.effects.insert(shaped, tool);
    }

    /// The words of an unknown call that may name a destructive verb: the tool's name,
    /// arguments set to `true` (`force_delete`), and values (a single word, or the
    /// first word of several: `DELETE FROM …`), nested ones too.
    fn verb_words(&self, analysed: &[&str]) -> Vec<String> {
        fn collect(value: &Value, key: Option<&str>, depth: usize, out: &mut Vec<String>) {
            if out.len() >= MAX_WORDS || depth > 4 {
                return;
            }
            match value {
                Value::Bool(true) => out.extend(key.map(str::to_owned)),
                Value::String(s) => {
                    let mut words = s.split_whitespace();
                    if let Some(first) = words.next() {
                        out.push(first.to_owned());
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        collect(item, None, depth + 1, out);
                    }
                }
                Value::Object(map) => {
                    for (k, v) in map {
                        collect(v, Some(k), depth + 1, out);
                    }
                }
                _ => {}
            }
        }
        let mut words = vec![self.call.name.clone()];
        for (key, value) in self.args {
            if !analysed.contains(&key.as_str()) {
                collect(value, Some(key), 0, &mut words);
            }
        }
        words
    }

    /// An unknown tool's arguments judged by their shape: SQL, a command line, paths,
    /// URLs. Returns the arguments read as SQL or command lines, whose words those
    /// analysers have judged.
    fn shapes(&mut self, label: &str) -> Vec<&'a str> {
        let args = self.args;
        let mut analysed = Vec::new();
        for (key, value) in args {
            let key_name = normal_key(key);
            let key = key.as_str();
            if SQL_KEYS.contains(&key_name.as_str())
                && let Some(text) = value.as_str()
                && looks_like_sql(text)
            {
                self.sql_text(text, None, label);
                analysed.push(key);
            } else if SHELL_KEYS.contains(&key_name.as_str()) {
                if let Some(line) = self.command_line(&[key]) {
                    self.walk_line(&line, label);
                    analysed.push(key);
                }
            } else if PATH_KEYS.contains(&key_name.as_str()) {
                let (found, _) = self.strings(&[key]);
                for path in found {
                    self.unknown_path(&path, label);
                }
            } else if URL_KEYS.contains(&key_name.as_str()) {
                self.urls(&[key], label, false);
            } else if CODE_KEYS.contains(&key_name.as_str())
                && let Some(code) = value.as_str()
                && let Some(line) = self
                    .code_language()
                    .and_then(|l| shell::interpreter_line(&l, code))
            {
                self.walk_line(&line, label);
                analysed.push(key);
            }
        }
        analysed
    }

    /// A command line an unknown tool runs, analysed in the directory its arguments
    /// name.
    fn walk_line(&mut self, line: &str, label: &str) {
        let ctx = match self.command_dir() {
            Some(dir) => self.ctx_in(&dir),
            None => self.ctx.clone(),
        };
        let part = shell::analyse(line, &ctx, self.files);
        self.absorb(part, Some(&format!("{label}:")));
    }

    /// The language an unknown tool's code is in: its `language` argument, else the
    /// first word of the tool's name or its server's that names one (`run_python`).
    /// Reading code as a language it is not adds nothing a wrong guess could allow: the
    /// tool stays at least a change.
    fn code_language(&self) -> Option<String> {
        let given = self.args.iter().find_map(|(key, value)| {
            LANGUAGE_KEYS
                .contains(&normal_key(key).as_str())
                .then(|| value.as_str())
                .flatten()
        });
        let names = [self.call.name.as_str(), self.call.server.name.as_str()];
        given
            .into_iter()
            .chain(
                names
                    .iter()
                    .flat_map(|name| name.split(|c: char| !c.is_ascii_alphanumeric())),
            )
            .map(str::to_ascii_lowercase)
            .find(|word| shell::interpreter_line(word, "").is_some())
    }

    /// A path an unknown tool names. Whether it reads or writes is not known, so both
    /// count where they matter beyond the change it already is: what the file surface
    /// says of reading it (holdpoint's files, credentials), and a path whose writing
    /// would weaken holdpoint or reach a device.
    fn unknown_path(&mut self, path: &str, label: &str) {
        self.path("read", path, label);
        if path.contains(['\n', '\r', '\0']) {
            return;
        }
        let expanded = self.expand(path);
        let location = Location::Local(Some(self.ctx.cwd.clone()));
        let absolute = paths::normalise(&self.ctx.cwd, &expanded);
        let real = self
            .files
            .real_path(&absolute)
            .unwrap_or_else(|| absolute.clone());
        let zone = paths::stricter(
            paths::zone(Some(&expanded), &expanded, &location, self.ctx),
            paths::zone(Some(&real), &real, &location, self.ctx),
        );
        let effect = match zone {
            Zone::Protected(kind) => Effect::self_protection(
                kind,
                path,
                format!(
                    "{label} names `{path}`, which protects holdpoint; only a human may change it"
                ),
            ),
            Zone::Device => Effect::new(
                Verb::Write,
                ObjectKind::Device,
                path,
                Risk::Destroy,
                format!("{label} names the device `{path}`"),
            ),
            _ => return,
        };
        self.push(effect);
    }
}

/// An argument's name as the shape rules compare it: lowercase, without `_` and `-`.
fn normal_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether text in a `query`-like argument is SQL: its first word, after comments and
/// parentheses, is one SQL starts with.
fn looks_like_sql(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix('(') {
            rest = after.trim_start();
        } else {
            break;
        }
    }
    let word: String = rest
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    SQL_WORDS.contains(&word.as_str())
}

/// The path a `file:` URL names, percent-decoded: `None` when it is not a file URL,
/// `Some(None)` when it is one that cannot be read.
/// The absolute and home paths SQL names in its string literals.
fn sql_paths(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .filter(|literal| {
            let rest = literal
                .strip_prefix("~/")
                .or_else(|| literal.strip_prefix('/'));
            rest.and_then(|r| r.chars().next())
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_'))
                && !literal.contains(char::is_whitespace)
        })
        .map(str::to_owned)
        .collect()
}

fn file_url_path(url: &str) -> Option<Option<String>> {
    let (scheme, rest) = url.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = rest.strip_prefix("//").map_or(rest, |after| {
        // `file://host/path`: the path starts at the first `/`.
        after
            .find('/')
            .map_or("", |at| after.get(at..).unwrap_or(""))
    });
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    Some(percent_decode(rest).filter(|p| p.starts_with('/')))
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The canonical form as it was first written, value by value: the input text of
    /// every call decided so far, which digests and approvals are bound to.
    fn canonical_as_first_written(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push(':');
                    canonical_as_first_written(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical_as_first_written(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }

    #[test]
    fn a_calls_input_text_is_what_it_always_was() {
        let server = |info: bool, url: Option<&str>| McpServer {
            name: "db \"prod\"".to_owned(),
            command: vec!["npx".to_owned(), "-y".to_owned(), "@x/ünïcode".to_owned()],
            url: url.map(str::to_owned),
            info: info.then(|| McpServerInfo {
                name: "srv".to_owned(),
                version: "1.0".to_owned(),
            }),
            trusted: info,
        };
        let arguments = [
            Value::Null,
            json!({}),
            json!({"z": 1, "a": [3, 2.5, -1e300, null, true], "é": {"y": "\n\t\u{1}", "b": {}}}),
            json!({"sql": "SELECT 1; -- \"q\"", "limit": 18446744073709551615u64, "neg": -9223372036854775808i64}),
            json!([{"b": 1, "a": 2}]),
        ];
        for (i, arguments) in arguments.into_iter().enumerate() {
            let call = McpCall {
                server: server(i % 2 == 0, (i % 3 == 0).then_some("https://h.example/mcp")),
                method: "tools/call".to_owned(),
                name: "query\u{2028}".to_owned(),
                arguments,
                annotations: (i % 2 == 1).then(|| json!({"readOnlyHint": true, "b": [1]})),
            };
            let info = call
                .server
                .info
                .as_ref()
                .map(|info| json!({"name": info.name, "version": info.version}));
            let value = json!({
                "server": {
                    "name": call.server.name,
                    "command": call.server.command,
                    "url": call.server.url,
                    "info": info,
                    "trusted": call.server.trusted,
                },
                "method": call.method,
                "name": call.name,
                "arguments": call.arguments,
                "annotations": call.annotations,
            });
            let mut expected = String::new();
            canonical_as_first_written(&value, &mut expected);
            assert_eq!(call.to_input(), expected);
            assert_eq!(McpCall::from_input(&expected).unwrap(), call);
        }
    }

    /// A launch word is compared as `without_version` leaves it (lowercase, with `-`
    /// for `_`) with a catalogued name, which is lowercase and names no version.
    #[test]
    fn launch_words_are_recognised_as_the_catalogue_names_them() {
        for server in SERVERS {
            for name in server.launch {
                assert_eq!(without_version(name), name.replace('_', "-"), "{name}");
            }
        }
        for (word, name, expected) in [
            ("mcp-server-git", "mcp-server-git", true),
            ("/usr/local/bin/mcp-server-git", "mcp-server-git", true),
            ("docker.io/mcp/git", "mcp/git", true),
            (
                "/opt/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
                "@modelcontextprotocol/server-filesystem",
                true,
            ),
            (
                "quay.io/containers/kubernetes-mcp-server",
                "quay.io/containers/kubernetes_mcp_server",
                true,
            ),
            ("not-mcp-server-git", "mcp-server-git", false),
            ("mcp-server-git-extra", "mcp-server-git", false),
            (
                "/x/node_modules/mcp-server-gitx/index.js",
                "mcp-server-git",
                false,
            ),
        ] {
            assert_eq!(LaunchWord::new(word).is(name), expected, "{word} {name}");
        }
    }

    /// Every catalogued tool (and tools nobody catalogued), called with many shapes of
    /// arguments, on a recognised server and on one known only by a name: no call is
    /// judged below the risk its tool list entry was judged by.
    #[test]
    fn no_call_is_judged_below_its_tools_lowest_risk() {
        let mut ctx = AnalysisContext::new("/home/dev/project");
        ctx.home = Some("/home/dev".to_owned());
        let values = [
            Value::Null,
            json!(""),
            json!("x"),
            json!("."),
            json!("notes.txt"),
            json!("/tmp/x"),
            json!("/home/dev/project/src/a.rs"),
            json!("SELECT 1"),
            json!("DROP TABLE t"),
            json!("ls -l"),
            json!("rm -rf /tmp/x"),
            json!("--dry-run"),
            json!("https://example.com/"),
            json!(["a", "b"]),
            json!(true),
            json!(false),
            json!(3),
            json!({"a": "b"}),
        ];
        // A tool's names (globs made concrete) and the arguments it takes.
        type Entries = Vec<(String, Vec<String>)>;
        let entries = |tools: &[Tool]| -> Entries {
            tools
                .iter()
                .flat_map(|t| {
                    t.names.iter().map(|n| {
                        let args = t
                            .args
                            .iter()
                            .map(|a| a.trim_start_matches('!').to_owned())
                            .chain(t.dry_run.map(str::to_owned))
                            .filter(|a| a != "*")
                            .collect();
                        (n.replace('*', "x"), args)
                    })
                })
                .chain([
                    (
                        "frobnicate".to_owned(),
                        vec!["path".to_owned(), "sql".to_owned()],
                    ),
                    ("delete_everything".to_owned(), vec!["command".to_owned()]),
                ])
                .collect()
        };
        let every: Vec<Tool> = Vec::new();
        let everything = SERVERS
            .iter()
            .flat_map(|s| entries(s.tools))
            .chain(entries(&every))
            .collect::<Vec<_>>();
        // Each recognised server with its own tools; a server known only by a name
        // (untrusted, then trusted) with every tool.
        let mut cases: Vec<(McpServer, Entries)> = SERVERS
            .iter()
            .filter_map(|s| s.launch.first().map(|launch| (s, launch)))
            .map(|(s, launch)| {
                let server = McpServer {
                    name: "s".to_owned(),
                    command: vec!["npx".to_owned(), (*launch).to_owned()],
                    url: None,
                    info: None,
                    trusted: false,
                };
                (server, entries(s.tools))
            })
            .collect();
        let unrecognised = McpServer {
            name: "unrecognised".to_owned(),
            command: Vec::new(),
            url: None,
            info: None,
            trusted: false,
        };
        let trusted = McpServer {
            trusted: true,
            ..unrecognised.clone()
        };
        cases.push((unrecognised.clone(), everything));
        // Annotations count only where the catalogue does not know the tool.
        cases.push((trusted.clone(), entries(&every)));
        let annotations = [
            None,
            Some(json!({"readOnlyHint": true})),
            Some(json!({"destructiveHint": true})),
            Some(json!({"readOnlyHint": true, "destructiveHint": true})),
            Some(json!({"destructiveHint": false})),
        ];
        let mut calls = 0;
        for (server, tools) in &cases {
            for (tool, args) in tools {
                let catalogued = !["frobnicate", "delete_everything"].contains(&tool.as_str());
                let hinted = if catalogued && !server.command.is_empty() {
                    &annotations[..1]
                } else if catalogued {
                    &annotations[..2]
                } else {
                    &annotations[..]
                };
                for hints in hinted {
                    let lowest = lowest_risk(server, tool, hints.as_ref());
                    for value in &values {
                        // Every argument set to the value, and each alone.
                        let mut shapes = vec![json!({})];
                        shapes.push(Value::Object(
                            args.iter().map(|a| (a.clone(), value.clone())).collect(),
                        ));
                        shapes.extend(args.iter().map(|a| json!({ a: value })));
                        for arguments in shapes {
                            let call = McpCall {
                                server: server.clone(),
                                method: "tools/call".to_owned(),
                                name: tool.clone(),
                                arguments,
                                annotations: hints.clone(),
                            };
                            let judged = analyse(&call.to_input(), &ctx, &crate::NoFiles);
                            calls += 1;
                            assert!(
                                judged.risk() >= lowest,
                                "{} is judged {:?}, below its tool's lowest risk {lowest:?}",
                                call.to_input(),
                                judged.risk()
                            );
                        }
                    }
                }
            }
        }
        assert!(calls > 10_000, "{calls}");
        // What a tool list is judged by, for tools a user would see.
        let filesystem = &cases[0].0;
        assert_eq!(lowest_risk(filesystem, "read_text_file", None), Risk::Read);
        assert_eq!(lowest_risk(filesystem, "write_file", None), Risk::Workspace);
        assert_eq!(lowest_risk(filesystem, "frobnicate", None), Risk::Change);
        let wipe = json!({"readOnlyHint": true});
        assert_eq!(
            lowest_risk(&unrecognised, "wipe", Some(&wipe)),
            Risk::Change
        );
        assert_eq!(lowest_risk(&trusted, "wipe", Some(&wipe)), Risk::Read);
    }

    #[test]
    fn the_input_is_canonical_and_reads_back() {
        let call = McpCall::from_input(
            r#"{ "server": {"name": "db", "trusted": false}, "name": "query",
                "method": "tools/call", "arguments": {"sql": "SELECT 1", "a": [1, {"z": 1, "b": 2}]} }"#,
        )
        .unwrap();
        let input = call.to_input();
        assert_eq!(
            input,
            r#"{"annotations":null,"arguments":{"a":[1,{"b":2,"z":1}],"sql":"SELECT 1"},"method":"tools/call","name":"query","server":{"command":[],"info":null,"name":"db","trusted":false,"url":null}}"#
        );
        assert_eq!(McpCall::from_input(&input).unwrap(), call);
        assert_eq!(McpCall::from_input(&input).unwrap().to_input(), input);
    }

    #[test]
    fn unknown_fields_and_other_text_do_not_read() {
        assert!(McpCall::from_input("mcp__db__query {}").is_err());
        assert!(
            McpCall::from_input(
                r#"{"server":{"name":"db","trusted":false,"trused":true},"method":"tools/call","name":"q"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn launch_words_lose_their_versions() {
        for (word, expected) in [
            (
                "@modelcontextprotocol/server-filesystem@2025.8.21",
                "@modelcontextprotocol/server-filesystem",
            ),
            ("mcp-server-git==0.6.2", "mcp-server-git"),
            ("mcp_server_git", "mcp-server-git"),
            ("docker.io/mcp/postgres:latest", "docker.io/mcp/postgres"),
            ("mcp/git@sha256:abc", "mcp/git"),
            ("localhost:5000/mcp/time", "localhost:5000/mcp/time"),
        ] {
            assert_eq!(without_version(word), expected, "{word}");
        }
    }

    #[test]
    fn file_urls_are_decoded() {
        assert_eq!(
            file_url_path("file:///home/dev/%2Eholdpoint/store.db"),
            Some(Some("/home/dev/.holdpoint/store.db".to_owned()))
        );
        assert_eq!(
            file_url_path("file://localhost/etc/passwd"),
            Some(Some("/etc/passwd".to_owned()))
        );
        assert_eq!(file_url_path("file:///x/%zz"), Some(None));
        assert_eq!(file_url_path("postgres://db/users/schema"), None);
    }

    #[test]
    fn sql_is_told_from_searches() {
        assert!(looks_like_sql("SELECT 1"));
        assert!(looks_like_sql("/* hi */ (select 1)"));
        assert!(looks_like_sql("-- note\nDROP TABLE x"));
        assert!(!looks_like_sql("rust async runtime"));
        assert!(!looks_like_sql(""));
    }
}
