//! `holdpoint install mcp AGENT` and `holdpoint uninstall mcp AGENT`: make every stdio MCP
//! server in an agent's configuration launch `holdpoint mcp --name NAME -- COMMAND ARGS…`
//! instead of the server itself, and every remote one be reached through `holdpoint mcp
//! --listen` (see [`super::remote`]); or put the originals back.
//!
//! Nothing is kept on the side: the original command and arguments are what follows the
//! gateway's own options in the rewritten arguments, so a configuration file restores
//! itself even when it was copied to another machine; a remote server's address and
//! credentials are in holdpoint's own `[[mcp]]` entry of the same name. Every other
//! field of an entry (env, cwd, timeouts, disabled flags, keys holdpoint does not know)
//! and everything else in the file is kept.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::remote::{self, Entries, Syntax};
use super::{base_dir, holdpoint_program, write_atomically};
use crate::hook::Agent;
use crate::{Failure, exit};

/// Whether servers are put behind the gateway or taken out from behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Install,
    Uninstall,
}

/// How a configuration file lays out its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// A JSON object whose `mcpServers` maps names to entries.
    Json,
    /// Claude Code's `~/.claude.json`: `mcpServers` for the user, and one more under each
    /// `projects.<dir>`.
    ClaudeUser,
    /// Codex's `config.toml`: `[mcp_servers.NAME]` tables.
    Toml,
}

/// One file an agent reads its MCP servers from.
#[derive(Debug)]
struct ServerFile {
    path: PathBuf,
    layout: Layout,
}

/// The files `holdpoint install mcp AGENT` changes: the user's, or `project`'s.
fn server_files(agent: Agent, project: Option<&Path>) -> Result<Vec<ServerFile>, Failure> {
    let base = base_dir(project)?;
    let file = |path: PathBuf, layout| ServerFile { path, layout };
    Ok(vec![match (agent, project) {
        (Agent::ClaudeCode, Some(_)) => file(base.join(".mcp.json"), Layout::Json),
        (Agent::ClaudeCode, None) => file(base.join(".claude.json"), Layout::ClaudeUser),
        (Agent::Cursor, _) => file(base.join(".cursor").join("mcp.json"), Layout::Json),
        (Agent::Gemini, _) => file(base.join(".gemini").join("settings.json"), Layout::Json),
        (Agent::Codex, _) => file(base.join(".codex").join("config.toml"), Layout::Toml),
    }])
}

/// How an entry's server is started: a program and its arguments. `args` is `None` when
/// the entry has no `args` field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Launch {
    command: String,
    args: Option<Vec<String>>,
}

impl Launch {
    fn args(&self) -> &[String] {
        self.args.as_deref().unwrap_or_default()
    }
}

impl fmt::Display for Launch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = vec![crate::exec::shell_quote(&self.command)];
        words.extend(self.args().iter().map(|a| crate::exec::shell_quote(a)));
        f.write_str(&words.join(" "))
    }
}

/// What an entry is, as far as the gateway is concerned.
#[derive(Debug)]
enum Shape {
    Stdio(Launch),
    /// A server reached at an address (the field that holds it: `url`, `httpUrl`, …).
    Remote(&'static str),
    /// Neither: no command, or arguments that are not all strings.
    Unreadable(&'static str),
}

/// The fields that make an entry a remote server, in the agents' configurations: `url`
/// (Claude Code, Cursor, Codex; SSE in Gemini CLI), `httpUrl` (Gemini CLI's streamable
/// HTTP) and `serverUrl` (seen in Cursor's and others' examples).
const REMOTE_FIELDS: [&str; 3] = ["url", "httpUrl", "serverUrl"];

/// Whether `word` is an option of `holdpoint mcp` that takes a value (what follows it
/// is not the server's command), read from the command's own definition so that a new
/// option is known here as soon as it exists.
fn takes_value(word: &str) -> bool {
    let Some(long) = word.strip_prefix("--") else {
        return false;
    };
    let command =
        <crate::proxy::mcp::McpArgs as clap::Args>::augment_args(clap::Command::new("mcp"));
    command
        .get_arguments()
        .any(|arg| arg.get_long() == Some(long) && arg.get_action().takes_values())
}

/// Whether `command` is a holdpoint program (this one, or another installation's).
fn is_holdpoint(command: &str, exe: &str) -> bool {
    command == exe
        || Path::new(command)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == "holdpoint" || n == "holdpoint.exe")
}

/// The server behind `holdpoint mcp [OPTIONS] [--] COMMAND ARGS…`, or `None` when the
/// launch does not go through the gateway.
fn behind_gateway(launch: &Launch, exe: &str) -> Option<Launch> {
    if !is_holdpoint(&launch.command, exe) {
        return None;
    }
    let (first, options) = launch.args().split_first()?;
    if first != "mcp" {
        return None;
    }
    let mut rest = options;
    loop {
        match rest.split_first() {
            Some((word, after)) if word == "--" => {
                rest = after;
                break;
            }
            Some((word, after)) if takes_value(word) => {
                rest = after.get(1..)?;
            }
            Some((word, after)) if word.starts_with("--") => rest = after,
            _ => break,
        }
    }
    let (command, args) = rest.split_first()?;
    Some(Launch {
        command: command.clone(),
        // INVARIANT: `wrap` writes an `args` field even when the server had none; an
        // empty remainder means it had none (an empty `args` list comes back as none,
        // which starts the same program).
        args: (!args.is_empty()).then(|| args.to_vec()),
    })
}

/// `launch` behind the gateway, named `name` in holdpoint's records.
fn wrap(launch: &Launch, name: &str, exe: &str) -> Launch {
    // A name that looks like an option is given with `=`, so it is read as the value.
    let mut args = if name.starts_with('-') {
        vec!["mcp".to_owned(), format!("--name={name}")]
    } else {
        vec!["mcp".to_owned(), "--name".to_owned(), name.to_owned()]
    };
    args.push("--".to_owned());
    args.push(launch.command.clone());
    args.extend(launch.args().iter().cloned());
    Launch {
        command: exe.to_owned(),
        args: Some(args),
    }
}

/// What was done, or left, for one server.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Wrapped,
    AlreadyWrapped,
    Restored(String),
    NotWrapped,
    /// A remote server now reached through the gateway at this address.
    Moved(String),
    /// The same, through an `[[mcp]]` entry holdpoint.toml already had for its address,
    /// whose credentials the gateway sends.
    Joined(String),
    /// A remote server given back its address.
    Returned(String),
    /// A remote server left as it is, and why.
    Remote(String),
    Unreadable(&'static str),
}

/// What moving remote servers needs: where the gateway is, the variable the agent's
/// credential is in, and holdpoint's `[[mcp]]` entries (or why they cannot be read).
struct Moving {
    agent: Agent,
    gateway: String,
    variable: String,
    entries: Result<Entries, String>,
}

impl Moving {
    /// What to do with a remote server `name` whose address is `url` (as the entry has
    /// it now) and whose credentials `read` reads from the entry: the server to point
    /// the entry at the gateway for (install), or to give back (uninstall), and what to
    /// say.
    fn step(
        &mut self,
        name: &str,
        url: &str,
        direction: Direction,
        read: impl FnOnce() -> Result<remote::Remote, String>,
    ) -> (Option<remote::Remote>, Outcome) {
        // What is left after these: installing a server not behind the gateway yet
        // (`None`), or uninstalling the one it serves as `served`.
        let served = match (direction, remote::behind_gateway(url, &self.gateway)) {
            (Direction::Install, Some(_)) => return (None, Outcome::AlreadyWrapped),
            (Direction::Uninstall, None) => return (None, Outcome::NotWrapped),
            (_, served) => served,
        };
        let entries = match &mut self.entries {
            Ok(entries) => entries,
            Err(why) => return (None, Outcome::Remote(why.clone())),
        };
        let Some(served) = served else {
            if !crate::home::servable_name(name) {
                return (
                    None,
                    Outcome::Remote(
                        "has a name the gateway cannot serve (up to 64 letters, digits, `.`, `_` or `-`, not `.` or `..`): rename it".to_owned(),
                    ),
                );
            }
            let server = match read() {
                Ok(server) => server,
                Err(why) => return (None, Outcome::Remote(why)),
            };
            let at = remote::gateway_url(&self.gateway, name);
            return match entries.take(name, &server) {
                Ok(true) => (Some(server), Outcome::Moved(at)),
                Ok(false) => (Some(server), Outcome::Joined(at)),
                Err(why) => (None, Outcome::Remote(why)),
            };
        };
        match entries.remote(served) {
            Some(Ok(server)) => {
                let url = server.url.clone();
                (Some(server), Outcome::Returned(url))
            }
            Some(Err(why)) => (
                None,
                Outcome::Remote(format!("points at the gateway, but {why}")),
            ),
            None => (
                None,
                Outcome::Remote(format!(
                    "points at the gateway's `{served}`, which holdpoint.toml has no `url` entry for: give it its address by hand"
                )),
            ),
        }
    }
}

/// The new launch for an entry of this shape, if it changes, and what to say.
fn step(shape: Shape, name: &str, exe: &str, direction: Direction) -> (Option<Launch>, Outcome) {
    let launch = match shape {
        Shape::Stdio(launch) => launch,
        Shape::Remote(field) => {
            return (None, Outcome::Remote(format!("has `{field}`")));
        }
        Shape::Unreadable(why) => return (None, Outcome::Unreadable(why)),
    };
    match (direction, behind_gateway(&launch, exe)) {
        (Direction::Install, Some(_)) => (None, Outcome::AlreadyWrapped),
        (Direction::Install, None) => (Some(wrap(&launch, name, exe)), Outcome::Wrapped),
        (Direction::Uninstall, Some(server)) => {
            let said = server.to_string();
            (Some(server), Outcome::Restored(said))
        }
        (Direction::Uninstall, None) => (None, Outcome::NotWrapped),
    }
}

/// What an entry says of how its server is launched, read alike from JSON and TOML:
/// the remote field it has, if any; its `command`; and its `args` (absent: `None`; not a
/// list: `Some(None)`; else each item, `None` where it is not text).
fn shape(
    remote: Option<&'static str>,
    command: Option<&str>,
    args: Option<Option<Vec<Option<&str>>>>,
) -> Shape {
    if let Some(field) = remote {
        return Shape::Remote(field);
    }
    let Some(command) = command else {
        return Shape::Unreadable("has no `command`");
    };
    let args = match args {
        None => None,
        Some(None) => return Shape::Unreadable("has `args` that are not a list"),
        Some(Some(items)) => {
            let Some(args) = items
                .into_iter()
                .map(|a| a.map(str::to_owned))
                .collect::<Option<Vec<_>>>()
            else {
                return Shape::Unreadable("has `args` that are not all strings");
            };
            Some(args)
        }
    };
    Shape::Stdio(Launch {
        command: command.to_owned(),
        args,
    })
}

fn json_shape(entry: &Map<String, Value>) -> Shape {
    shape(
        REMOTE_FIELDS.into_iter().find(|f| entry.contains_key(*f)),
        entry.get("command").and_then(Value::as_str),
        entry.get("args").map(|args| {
            args.as_array()
                .map(|l| l.iter().map(Value::as_str).collect())
        }),
    )
}

fn set_json(entry: &mut Map<String, Value>, launch: Launch) {
    entry.insert("command".to_owned(), Value::String(launch.command));
    match launch.args {
        Some(args) => {
            entry.insert(
                "args".to_owned(),
                Value::Array(args.into_iter().map(Value::String).collect()),
            );
        }
        None => {
            entry.shift_remove("args");
        }
    }
}

fn toml_shape(entry: &toml::Table) -> Shape {
    shape(
        REMOTE_FIELDS.into_iter().find(|f| entry.contains_key(*f)),
        entry.get("command").and_then(toml::Value::as_str),
        entry.get("args").map(|args| {
            args.as_array()
                .map(|l| l.iter().map(toml::Value::as_str).collect())
        }),
    )
}

fn set_toml(entry: &mut toml::Table, launch: Launch) {
    entry.insert("command".to_owned(), toml::Value::String(launch.command));
    match launch.args {
        Some(args) => {
            entry.insert(
                "args".to_owned(),
                toml::Value::Array(args.into_iter().map(toml::Value::String).collect()),
            );
        }
        None => {
            entry.remove("args");
        }
    }
}

/// One line of the report: a server, where it is, and what happened to it.
#[derive(Debug)]
struct Report {
    server: String,
    outcome: Outcome,
}

/// A configuration file read and changed in memory.
#[derive(Debug)]
struct Planned {
    file: ServerFile,
    text: Option<String>,
    reports: Vec<Report>,
}

fn not_changed(path: &Path, what: &str) -> Failure {
    Failure::usage(format!(
        "`{}` {what}; fix it by hand (or with the agent), then run this again; nothing was changed",
        path.display()
    ))
}

/// Reads `file` and changes its servers in memory. `Ok(None)`: there is no such file.
fn plan(
    file: ServerFile,
    exe: &str,
    direction: Direction,
    moving: &mut Moving,
) -> Result<Option<Planned>, Failure> {
    let text = match fs::read_to_string(&file.path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read `{}`: {e}; nothing was changed",
                file.path.display()
            )));
        }
    };
    let mut reports = Vec::new();
    let mut changed = false;
    // A stdio server's new launch, if it changes.
    let visit = |reports: &mut Vec<Report>, server: String, shape: Shape, name: &str| {
        let (launch, outcome) = step(shape, name, exe, direction);
        reports.push(Report { server, outcome });
        launch
    };
    let new_text = if file.layout == Layout::Toml {
        let mut config: toml::Table = text
            .parse()
            .map_err(|e| not_changed(&file.path, &format!("is not valid TOML ({e})")))?;
        match config.get_mut("mcp_servers") {
            None => {}
            Some(toml::Value::Table(servers)) => {
                for (name, entry) in servers.iter_mut() {
                    let Some(entry) = entry.as_table_mut() else {
                        let shape = Shape::Unreadable("is not a table");
                        visit(&mut reports, name.clone(), shape, name);
                        continue;
                    };
                    if let Some(url) = entry.get("url").and_then(toml::Value::as_str) {
                        let url = url.to_owned();
                        let (server, outcome) =
                            moving.step(name, &url, direction, || remote::from_toml(entry));
                        if let Some(server) = server {
                            let gateway = remote::gateway_url(&moving.gateway, name);
                            match direction {
                                Direction::Install => {
                                    remote::point_toml(entry, gateway, &moving.variable);
                                }
                                Direction::Uninstall => remote::restore_toml(entry, &server),
                            }
                            changed = true;
                        }
                        reports.push(Report {
                            server: name.clone(),
                            outcome,
                        });
                        continue;
                    }
                    if let Some(launch) = visit(&mut reports, name.clone(), toml_shape(entry), name)
                    {
                        set_toml(entry, launch);
                        changed = true;
                    }
                }
            }
            Some(_) => {
                return Err(not_changed(
                    &file.path,
                    "has `mcp_servers` that is not a table",
                ));
            }
        }
        toml::to_string(&config)
            .map_err(|e| Failure::internal(format!("cannot encode the configuration: {e}")))?
    } else {
        let mut config = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(not_changed(&file.path, "is not a JSON object")),
            Err(e) => return Err(not_changed(&file.path, &format!("is not valid JSON ({e})"))),
        };
        let mut tables: Vec<(Option<String>, &mut Value)> = Vec::new();
        for (key, value) in config.iter_mut() {
            if key == "mcpServers" {
                tables.push((None, value));
            } else if key == "projects" && file.layout == Layout::ClaudeUser {
                let Some(projects) = value.as_object_mut() else {
                    return Err(not_changed(
                        &file.path,
                        "has `projects` that is not an object",
                    ));
                };
                for (dir, project) in projects.iter_mut() {
                    if let Some(servers) = project.get_mut("mcpServers") {
                        tables.push((Some(dir.clone()), servers));
                    }
                }
            }
        }
        for (project, servers) in tables {
            let Some(servers) = servers.as_object_mut() else {
                let at = project.map_or_else(String::new, |p| format!("projects.{p}."));
                return Err(not_changed(
                    &file.path,
                    &format!("has `{at}mcpServers` that is not an object"),
                ));
            };
            for (name, entry) in servers.iter_mut() {
                let label = match &project {
                    Some(dir) => format!("{name} (project {dir})"),
                    None => name.clone(),
                };
                let Some(entry) = entry.as_object_mut() else {
                    visit(
                        &mut reports,
                        label,
                        Shape::Unreadable("is not an object"),
                        name,
                    );
                    continue;
                };
                if let Shape::Remote(_) = json_shape(entry) {
                    let syntax = Syntax::of(moving.agent);
                    let (server, outcome) = match remote::json_url_field(entry, moving.agent) {
                        Err(why) => (None, Outcome::Remote(why)),
                        Ok(field) => {
                            let url = entry
                                .get(field)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned();
                            let (server, outcome) = moving.step(name, &url, direction, || {
                                remote::from_json(entry, field, syntax)
                            });
                            if let Some(server) = &server {
                                match direction {
                                    Direction::Install => remote::point_json(
                                        entry,
                                        field,
                                        remote::gateway_url(&moving.gateway, name),
                                        &moving.variable,
                                        syntax,
                                    ),
                                    Direction::Uninstall => {
                                        remote::restore_json(entry, field, server, syntax);
                                    }
                                }
                            }
                            (server, outcome)
                        }
                    };
                    changed |= server.is_some();
                    reports.push(Report {
                        server: label,
                        outcome,
                    });
                    continue;
                }
                if let Some(launch) = visit(&mut reports, label, json_shape(entry), name) {
                    set_json(entry, launch);
                    changed = true;
                }
            }
        }
        let mut out = serde_json::to_string_pretty(&config)
            .map_err(|e| Failure::internal(format!("cannot encode the configuration: {e}")))?;
        out.push('\n');
        out
    };
    Ok(Some(Planned {
        file,
        text: changed.then_some(new_text),
        reports,
    }))
}

/// Where remote servers are moved to: the gateway's address and the environment
/// variable the agent's credential for it is in.
#[derive(Debug, Clone)]
pub(crate) struct Gateway {
    pub url: String,
    pub variable: String,
}

pub(crate) fn install(
    agent: Agent,
    project: Option<&Path>,
    gateway: &Gateway,
) -> Result<u8, Failure> {
    apply(agent, project, gateway, Direction::Install)
}

pub(crate) fn uninstall(
    agent: Agent,
    project: Option<&Path>,
    gateway: &Gateway,
) -> Result<u8, Failure> {
    apply(agent, project, gateway, Direction::Uninstall)
}

fn apply(
    agent: Agent,
    project: Option<&Path>,
    gateway: &Gateway,
    direction: Direction,
) -> Result<u8, Failure> {
    let exe = holdpoint_program()?;
    if !(gateway.url.starts_with("http://") || gateway.url.starts_with("https://")) {
        return Err(Failure::usage(format!(
            "--gateway `{}` is not an http:// or https:// address: give where `holdpoint mcp --listen` serves, e.g. http://127.0.0.1:7900",
            gateway.url
        )));
    }
    if !remote::is_variable(&gateway.variable) {
        return Err(Failure::usage(format!(
            "--credential-env `{}` is not an environment variable's name (letters, digits and `_`, not starting with a digit)",
            gateway.variable
        )));
    }
    let home = crate::local::holdpoint_home();
    let mut moving = Moving {
        agent,
        gateway: gateway.url.trim_end_matches('/').to_owned(),
        variable: gateway.variable.clone(),
        entries: Entries::read(&home),
    };
    // Every file is read and changed in memory before any is written: one that cannot
    // be read stops the command with nothing half done.
    let mut planned = Vec::new();
    for file in server_files(agent, project)? {
        let path = file.path.clone();
        match plan(file, &exe, direction, &mut moving)? {
            Some(p) => planned.push(p),
            None => println!(
                "no MCP servers of {}: `{}` does not exist",
                agent.display_name(),
                path.display()
            ),
        }
    }
    // holdpoint's side first: an agent entry never points at a server the gateway does
    // not know.
    if let Ok(entries) = &moving.entries {
        entries.write()?;
    }
    let mut moved = false;
    for p in &planned {
        if let Some(text) = &p.text {
            write_atomically(&p.file.path, text)?;
        }
        let path = p.file.path.display();
        if p.reports.is_empty() {
            println!("no MCP servers in {path}");
        }
        for Report { server, outcome } in &p.reports {
            match outcome {
                Outcome::Wrapped => {
                    println!("{server}: now goes through holdpoint mcp ({path})");
                }
                Outcome::AlreadyWrapped => {
                    println!("{server}: already goes through holdpoint mcp, left as is ({path})");
                }
                Outcome::Restored(launch) => {
                    println!("{server}: restored to `{launch}` ({path})");
                }
                Outcome::NotWrapped => {
                    println!("{server}: does not go through holdpoint, left as is ({path})");
                }
                Outcome::Moved(at) => {
                    moved = true;
                    println!(
                        "{server}: now reached through holdpoint's gateway at {at}; its address and credentials are in holdpoint.toml ({path})"
                    );
                }
                Outcome::Joined(at) => {
                    moved = true;
                    println!(
                        "{server}: now reached through holdpoint's gateway at {at}, as the [[mcp]] entry holdpoint.toml already had for its address; the gateway sends that entry's credentials, not these ({path})"
                    );
                }
                Outcome::Returned(url) => {
                    println!(
                        "{server}: reached at {url} again, with its credentials back in its entry; holdpoint.toml keeps its [[mcp]] entry ({path})"
                    );
                }
                Outcome::Remote(why) => eprintln!(
                    "holdpoint: {server} in {path} is a remote server left as it is: it {why}"
                ),
                Outcome::Unreadable(why) => eprintln!(
                    "holdpoint: {server} in {path} {why}: left as is; it is not a stdio server holdpoint can stand in front of"
                ),
            }
        }
        if p.text.is_some() && p.file.layout == Layout::Toml {
            println!("{path} was written from its values: comments and layout in it are not kept");
        }
    }
    if moved {
        println!(
            "Remote servers now need `holdpoint mcp --listen {}` running, and {} started with its holdpoint credential in ${} (a human issues one with `holdpoint agent add NAME --write FILE`).",
            moving.gateway.trim_start_matches("http://"),
            agent.display_name(),
            moving.variable
        );
    }
    if direction == Direction::Install && planned.iter().any(|p| p.text.is_some()) {
        println!(
            "Restart {} (or reload its MCP servers) to use them through holdpoint; `holdpoint uninstall mcp {}` puts them back.",
            agent.display_name(),
            agent.name()
        );
    }
    Ok(exit::ALLOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(command: &str, args: Option<&[&str]>) -> Launch {
        Launch {
            command: command.to_owned(),
            args: args.map(|a| a.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    /// Wrapping then finding the server behind the gateway gives the launch back.
    fn check_round_trip(name: &str, original: Launch) {
        let wrapped = wrap(&original, name, "/opt/bin/holdpoint");
        assert_eq!(
            behind_gateway(&wrapped, "/opt/bin/holdpoint"),
            Some(original)
        );
    }

    #[test]
    fn a_wrapped_launch_gives_back_the_server() {
        check_round_trip("files", launch("npx", Some(&["-y", "server", "/srv"])));
        check_round_trip("bare", launch("/usr/bin/server", None));
        check_round_trip("--", launch("server", Some(&["--", "--name", "x"])));
        check_round_trip("-odd", launch("server", Some(&["-v"])));
    }

    #[test]
    fn hand_written_gateway_entries_are_read_too() {
        let by_hand = launch(
            "holdpoint",
            Some(&[
                "mcp",
                "--env",
                "staging",
                "--trusted",
                "--name=db",
                "--",
                "pg",
                "x",
            ]),
        );
        assert_eq!(
            behind_gateway(&by_hand, "/elsewhere/holdpoint"),
            Some(launch("pg", Some(&["x"])))
        );
        let no_dashes = launch("holdpoint", Some(&["mcp", "--name", "db", "pg"]));
        assert_eq!(behind_gateway(&no_dashes, "/x"), Some(launch("pg", None)));
        // Every option of `holdpoint mcp` that takes a value is skipped with its value.
        let every = launch(
            "holdpoint",
            Some(&[
                "mcp",
                "--refused-tools",
                "mark",
                "--wait",
                "5",
                "--hide-tool",
                "x",
                "--root",
                "/srv",
                "--agent",
                "bot",
                "--allow-sampling",
                "pg",
            ]),
        );
        assert_eq!(behind_gateway(&every, "/x"), Some(launch("pg", None)));
        assert_eq!(behind_gateway(&launch("npx", Some(&["mcp"])), "/x"), None);
        assert_eq!(
            behind_gateway(&launch("holdpoint", Some(&["hook", "codex"])), "/x"),
            None
        );
    }
}
