//! Remote (Streamable HTTP) MCP servers in an agent's configuration, moved behind
//! `holdpoint mcp --listen`: the server's address and credentials go to an `[[mcp]]`
//! entry of `holdpoint.toml` (each credential in a file of holdpoint's home, mode 0600,
//! or named as the environment variable it already came from), and the agent's entry
//! points at the gateway with the agent's own holdpoint credential instead. The agent
//! then holds nothing that reaches the server without holdpoint.
//!
//! Nothing is kept on the side: `uninstall` finds the entries that point at the gateway
//! and puts back the address and credentials from the `[[mcp]]` entry of the same name.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::Failure;
use crate::hook::Agent;

/// A credential as an agent's entry gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Secret {
    /// Named by an environment variable of the agent's (and so, to the gateway, of
    /// holdpoint's own environment).
    Env(String),
    /// Written out in the entry.
    Literal(String),
}

/// A remote server as the agent's entry describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Remote {
    pub url: String,
    /// `Authorization: Bearer …`, apart, because every agent and holdpoint has a field
    /// of its own for it.
    pub bearer: Option<Secret>,
    pub headers: Vec<(String, Secret)>,
}

/// How an agent writes a reference to an environment variable in a JSON entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syntax {
    /// Claude Code: `${VAR}`.
    Braces,
    /// Cursor: `${env:VAR}`.
    EnvBraces,
    /// Gemini CLI: `$VAR` or `${VAR}`.
    Dollar,
}

impl Syntax {
    pub(super) fn of(agent: Agent) -> Self {
        match agent {
            Agent::ClaudeCode | Agent::Codex => Syntax::Braces,
            Agent::Cursor => Syntax::EnvBraces,
            Agent::Gemini => Syntax::Dollar,
        }
    }

    fn reference(self, variable: &str) -> String {
        match self {
            Syntax::Braces | Syntax::Dollar => format!("${{{variable}}}"),
            Syntax::EnvBraces => format!("${{env:{variable}}}"),
        }
    }

    /// The variable `text` names when it is nothing but a reference to one.
    fn variable(self, text: &str) -> Option<String> {
        let inner = match self {
            Syntax::Braces => text.strip_prefix("${")?.strip_suffix('}')?,
            Syntax::EnvBraces => text.strip_prefix("${env:")?.strip_suffix('}')?,
            Syntax::Dollar => match text.strip_prefix("${") {
                Some(rest) => rest.strip_suffix('}')?,
                None => text.strip_prefix('$')?,
            },
        };
        is_variable(inner).then(|| inner.to_owned())
    }
}

/// Whether `name` can name an environment variable in every agent's configuration.
pub(super) fn is_variable(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What a header's value is: a variable, text, or a mixture holdpoint cannot carry
/// over (`None`).
fn secret(text: &str, syntax: Syntax) -> Option<Secret> {
    if let Some(variable) = syntax.variable(text) {
        return Some(Secret::Env(variable));
    }
    (!text.contains('$')).then(|| Secret::Literal(text.to_owned()))
}

/// The field of a JSON entry that holds a Streamable HTTP server's address, or why the
/// entry is not one the gateway can stand in front of.
pub(super) fn json_url_field(
    entry: &Map<String, Value>,
    agent: Agent,
) -> Result<&'static str, String> {
    let text = |field: &str| entry.get(field).and_then(Value::as_str);
    let sse = || {
        Err("speaks the older HTTP+SSE transport; the gateway speaks Streamable HTTP".to_owned())
    };
    match agent {
        Agent::Gemini => {
            if text("httpUrl").is_some() {
                Ok("httpUrl")
            } else {
                sse()
            }
        }
        _ => {
            let Some(field) = ["url", "serverUrl"].into_iter().find(|f| text(f).is_some()) else {
                return Err("has an address that is not text".to_owned());
            };
            // An entry without a `type` (Cursor's) is taken at its address's word: an
            // address ending in `/sse` is the older transport's by convention.
            let path = text(field)
                .unwrap_or_default()
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .trim_end_matches('/');
            match text("type") {
                Some("sse") => sse(),
                None if path.ends_with("/sse") => sse(),
                _ => Ok(field),
            }
        }
    }
}

/// The remote server a JSON entry describes.
pub(super) fn from_json(
    entry: &Map<String, Value>,
    field: &str,
    syntax: Syntax,
) -> Result<Remote, String> {
    let url = entry
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if url.contains('$') {
        return Err(format!("has an address with a variable in it (`{url}`)"));
    }
    let mut remote = Remote {
        url,
        bearer: None,
        headers: Vec::new(),
    };
    match entry.get("headers") {
        None => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                let Some(text) = value.as_str() else {
                    return Err(format!("has a header `{name}` that is not text"));
                };
                add_header(&mut remote, name, text, syntax)?;
            }
        }
        Some(_) => return Err("has `headers` that is not an object".to_owned()),
    }
    Ok(remote)
}

fn add_header(remote: &mut Remote, name: &str, text: &str, syntax: Syntax) -> Result<(), String> {
    let mixed = || {
        format!(
            "has a header `{name}` that mixes text with a variable; holdpoint.toml takes a whole value: move it by hand"
        )
    };
    if name.eq_ignore_ascii_case("authorization")
        && let Some(token) = text.strip_prefix("Bearer ")
        && !token.contains(' ')
    {
        remote.bearer = Some(secret(token, syntax).ok_or_else(mixed)?);
        return Ok(());
    }
    let value = secret(text, syntax).ok_or_else(mixed)?;
    push_header(remote, name, value)
}

/// Adds a header other than the bearer token, refusing those holdpoint.toml would.
fn push_header(remote: &mut Remote, name: &str, value: Secret) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    if crate::home::TRANSPORT_HEADERS.contains(&lower.as_str()) {
        return Err(format!(
            "has a header `{name}`, which the gateway sets itself: remove it from the entry"
        ));
    }
    if lower == "authorization" && remote.bearer.is_some() {
        return Err("gives its bearer token twice: keep one".to_owned());
    }
    remote.headers.push((name.to_owned(), value));
    Ok(())
}

/// The remote server a Codex `[mcp_servers.NAME]` table describes.
pub(super) fn from_toml(entry: &toml::Table) -> Result<Remote, String> {
    let url = entry
        .get("url")
        .and_then(toml::Value::as_str)
        .ok_or("has a `url` that is not text")?
        .to_owned();
    let mut remote = Remote {
        url,
        bearer: None,
        headers: Vec::new(),
    };
    if let Some(variable) = entry.get("bearer_token_env_var") {
        let variable = variable
            .as_str()
            .filter(|v| is_variable(v))
            .ok_or("has a `bearer_token_env_var` that is not a variable's name")?;
        remote.bearer = Some(Secret::Env(variable.to_owned()));
    }
    // Written out, as earlier Codex releases took it.
    if let Some(token) = entry.get("bearer_token") {
        let token = token
            .as_str()
            .ok_or("has a `bearer_token` that is not text")?;
        if remote.bearer.is_some() {
            return Err("gives its bearer token twice: keep one".to_owned());
        }
        remote.bearer = Some(Secret::Literal(token.to_owned()));
    }
    for (table, from_env) in [("http_headers", false), ("env_http_headers", true)] {
        let Some(headers) = entry.get(table) else {
            continue;
        };
        let headers = headers
            .as_table()
            .ok_or_else(|| format!("has `{table}` that is not a table"))?;
        for (name, value) in headers {
            let text = value
                .as_str()
                .ok_or_else(|| format!("has a header `{name}` in `{table}` that is not text"))?;
            if from_env {
                if !is_variable(text) {
                    return Err(format!(
                        "has a header `{name}` in `{table}` that does not name a variable"
                    ));
                }
                push_header(&mut remote, name, Secret::Env(text.to_owned()))?;
            } else if name.eq_ignore_ascii_case("authorization")
                && let Some(token) = text.strip_prefix("Bearer ")
                && !token.contains(' ')
                && remote.bearer.is_none()
            {
                remote.bearer = Some(Secret::Literal(token.to_owned()));
            } else {
                push_header(&mut remote, name, Secret::Literal(text.to_owned()))?;
            }
        }
    }
    Ok(remote)
}

/// The address of server `name` behind the gateway.
pub(super) fn gateway_url(gateway: &str, name: &str) -> String {
    format!("{}/mcp/{name}", gateway.trim_end_matches('/'))
}

/// The server an address behind the gateway names, if it is one.
pub(super) fn behind_gateway<'a>(url: &'a str, gateway: &str) -> Option<&'a str> {
    url.strip_prefix(gateway.trim_end_matches('/'))?
        .strip_prefix("/mcp/")
        .filter(|name| crate::home::servable_name(name))
}

/// A JSON entry pointed at the gateway: its address, and the agent's credential as its
/// only header.
pub(super) fn point_json(
    entry: &mut Map<String, Value>,
    field: &str,
    url: String,
    variable: &str,
    syntax: Syntax,
) {
    entry.insert(field.to_owned(), Value::String(url));
    let mut headers = Map::new();
    headers.insert(
        "Authorization".to_owned(),
        Value::String(format!("Bearer {}", syntax.reference(variable))),
    );
    entry.insert("headers".to_owned(), Value::Object(headers));
}

/// A JSON entry given back its server.
pub(super) fn restore_json(
    entry: &mut Map<String, Value>,
    field: &str,
    remote: &Remote,
    syntax: Syntax,
) {
    entry.insert(field.to_owned(), Value::String(remote.url.clone()));
    let text = |secret: &Secret| match secret {
        Secret::Env(variable) => syntax.reference(variable),
        Secret::Literal(text) => text.clone(),
    };
    let mut headers = Map::new();
    if let Some(bearer) = &remote.bearer {
        headers.insert(
            "Authorization".to_owned(),
            Value::String(format!("Bearer {}", text(bearer))),
        );
    }
    for (name, value) in &remote.headers {
        headers.insert(name.clone(), Value::String(text(value)));
    }
    if headers.is_empty() {
        entry.shift_remove("headers");
    } else {
        entry.insert("headers".to_owned(), Value::Object(headers));
    }
}

/// A Codex table pointed at the gateway.
pub(super) fn point_toml(entry: &mut toml::Table, url: String, variable: &str) {
    entry.insert("url".to_owned(), toml::Value::String(url));
    entry.insert(
        "bearer_token_env_var".to_owned(),
        toml::Value::String(variable.to_owned()),
    );
    entry.remove("bearer_token");
    entry.remove("http_headers");
    entry.remove("env_http_headers");
}

/// A Codex table given back its server.
pub(super) fn restore_toml(entry: &mut toml::Table, remote: &Remote) {
    entry.insert("url".to_owned(), toml::Value::String(remote.url.clone()));
    entry.remove("bearer_token_env_var");
    entry.remove("bearer_token");
    entry.remove("http_headers");
    entry.remove("env_http_headers");
    let mut literal = toml::Table::new();
    let mut from_env = toml::Table::new();
    match &remote.bearer {
        Some(Secret::Env(variable)) => {
            entry.insert(
                "bearer_token_env_var".to_owned(),
                toml::Value::String(variable.clone()),
            );
        }
        Some(Secret::Literal(token)) => {
            literal.insert(
                "Authorization".to_owned(),
                toml::Value::String(format!("Bearer {token}")),
            );
        }
        None => {}
    }
    for (name, value) in &remote.headers {
        match value {
            Secret::Env(variable) => {
                from_env.insert(name.clone(), toml::Value::String(variable.clone()))
            }
            Secret::Literal(text) => {
                literal.insert(name.clone(), toml::Value::String(text.clone()))
            }
        };
    }
    if !literal.is_empty() {
        entry.insert("http_headers".to_owned(), toml::Value::Table(literal));
    }
    if !from_env.is_empty() {
        entry.insert("env_http_headers".to_owned(), toml::Value::Table(from_env));
    }
}

/// The `[[mcp]]` entries of `holdpoint.toml` as far as moving servers needs them.
#[derive(Debug, Default)]
pub(super) struct Entries {
    home: PathBuf,
    /// The file's text as it was read.
    text: String,
    /// Its `[[mcp]]` entries that have a name, and the name and address of each server
    /// taken since.
    entries: Vec<toml::Table>,
    /// What moving servers appends to the file.
    added: String,
    /// What moving servers adds: files of holdpoint's home with their contents.
    files: Vec<(PathBuf, String)>,
}

impl Entries {
    /// Reads `holdpoint.toml` in `home`; a home without one refuses to take servers,
    /// and so does a client's home (`[server] url`): the gateway is the server's, and
    /// a credential moved there would sit where the agent's own user can read it.
    pub(super) fn read(home: &Path) -> Result<Self, String> {
        let path = home.join("holdpoint.toml");
        let text = fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                format!(
                    "needs holdpoint's `{}`, which this user cannot read: holdpoint runs as a user of its own here; have its administrator add the server to that file as that user (`[[mcp]]` with its `url`, credentials as `file:` in holdpoint's home), then point the agent at the gateway",
                    path.display()
                )
            } else {
                format!(
                    "needs holdpoint's `{}`, which cannot be read ({e}): run `holdpoint init` first (or set HOLDPOINT_HOME to holdpoint's home)",
                    path.display()
                )
            }
        })?;
        let mut table: toml::Table = text
            .parse()
            .map_err(|e| format!("`{}` is not valid TOML ({e})", path.display()))?;
        if table
            .get("server")
            .and_then(toml::Value::as_table)
            .is_some_and(|server| server.contains_key("url"))
        {
            return Err(format!(
                "would have its credentials moved to `{}`, a client's home (`[server] url`) that the agent's user can read, while the gateway is the server's: have holdpoint's administrator add it to the server's holdpoint.toml (`[[mcp]]` with its `url`, credentials as `file:` in the server's home), then point the agent at the gateway",
                home.display()
            ));
        }
        let entries = match table.remove("mcp") {
            Some(toml::Value::Array(entries)) => entries
                .into_iter()
                .filter_map(|entry| match entry {
                    toml::Value::Table(entry)
                        if entry.get("name").is_some_and(toml::Value::is_str) =>
                    {
                        Some(entry)
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Entries {
            home: home.to_owned(),
            text,
            entries,
            ..Entries::default()
        })
    }

    /// The `[[mcp]]` entry named `name`.
    fn entry(&self, name: &str) -> Option<&toml::Table> {
        self.entries
            .iter()
            .find(|entry| entry.get("name").and_then(toml::Value::as_str) == Some(name))
    }

    /// The address `name` is served from: its `url`, `Some(None)` for an entry
    /// holdpoint starts, `None` for no such entry.
    fn address(&self, name: &str) -> Option<Option<&str>> {
        self.entry(name)
            .map(|entry| entry.get("url").and_then(toml::Value::as_str))
    }

    /// The server `[[mcp]]` entry `name` reaches, with its credentials read back; `None`
    /// when it has no such `url` entry.
    pub(super) fn remote(&self, name: &str) -> Option<Result<Remote, String>> {
        let entry = self.entry(name)?;
        let url = entry.get("url").and_then(toml::Value::as_str)?;
        Some(read_back(entry, url, &self.home))
    }

    /// Takes `remote` under `name`: appends an `[[mcp]]` entry for it, with each
    /// literal credential in a file of its own. `Ok(false)`: an entry of that name
    /// already reaches the same address and is used as it is. Refused when one of
    /// that name is another server.
    pub(super) fn take(&mut self, name: &str, remote: &Remote) -> Result<bool, String> {
        if !(remote.url.starts_with("http://") || remote.url.starts_with("https://")) {
            return Err(format!(
                "has an address that is not http:// or https:// (`{}`)",
                remote.url
            ));
        }
        if let Some(url) = self.address(name) {
            return match url {
                Some(url) if url == remote.url => Ok(false),
                _ => Err(format!(
                    "has a name holdpoint.toml already gives another server (`[[mcp]] name = \"{name}\"`): rename one of them"
                )),
            };
        }
        let mut block = format!(
            "\n[[mcp]]\nname = {}\nurl = {}\n",
            quoted(name),
            quoted(&remote.url)
        );
        let mut setting = |what: &str, secret: &Secret| match secret {
            Secret::Env(variable) => format!("env:{variable}"),
            Secret::Literal(text) => {
                let file = format!("credentials/mcp-{name}.{what}");
                self.files
                    .push((self.home.join(&file), format!("{text}\n")));
                format!("file:{file}")
            }
        };
        if let Some(bearer) = &remote.bearer {
            let value = setting("bearer", bearer);
            let _ = writeln!(block, "bearer = {}", quoted(&value));
        }
        if !remote.headers.is_empty() {
            let mut pairs = Vec::new();
            for (header, value) in &remote.headers {
                let file_part: String = header
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect();
                let value = setting(&format!("header-{file_part}"), value);
                pairs.push(format!("{} = {}", quoted(header), quoted(&value)));
            }
            let _ = writeln!(block, "headers = {{ {} }}", pairs.join(", "));
        }
        self.added.push_str(&block);
        let mut taken = toml::Table::new();
        taken.insert("name".to_owned(), toml::Value::String(name.to_owned()));
        taken.insert("url".to_owned(), toml::Value::String(remote.url.clone()));
        self.entries.push(taken);
        Ok(true)
    }

    /// Writes the credential files, then `holdpoint.toml`, if servers were taken.
    pub(super) fn write(&self) -> Result<(), Failure> {
        if self.added.is_empty() {
            return Ok(());
        }
        for (path, text) in &self.files {
            write_secret(path, text).map_err(|e| {
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    Failure::internal(format!(
                        "cannot write `{}`: holdpoint's home `{}` is not this user's to write (holdpoint runs as a user of its own here); neither holdpoint.toml nor the agent's files were changed: run this as that user, or have holdpoint's administrator add the servers to its holdpoint.toml",
                        path.display(),
                        self.home.display()
                    ))
                } else {
                    Failure::internal(format!("cannot write `{}`: {e}", path.display()))
                }
            })?;
        }
        let mut text = self.text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&self.added);
        super::write_atomically(&self.home.join("holdpoint.toml"), &text)
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The server an `[[mcp]]` url entry reaches, its credentials read back: a `file:`
/// value is read, an `env:` one stays a variable.
fn read_back(entry: &toml::Table, url: &str, home: &Path) -> Result<Remote, String> {
    let value = |what: &str, text: &str| -> Result<Secret, String> {
        if let Some(variable) = text.strip_prefix("env:") {
            return Ok(Secret::Env(variable.to_owned()));
        }
        let Some(file) = text.strip_prefix("file:") else {
            return Ok(Secret::Literal(text.to_owned()));
        };
        let path = home.join(file);
        let read = fs::read_to_string(&path)
            .map_err(|e| format!("its {what} cannot be read from `{}`: {e}", path.display()))?;
        Ok(Secret::Literal(
            read.trim_end_matches(['\n', '\r']).to_owned(),
        ))
    };
    let mut remote = Remote {
        url: url.to_owned(),
        bearer: None,
        headers: Vec::new(),
    };
    if let Some(bearer) = entry.get("bearer").and_then(toml::Value::as_str) {
        remote.bearer = Some(value("`bearer`", bearer)?);
    }
    if let Some(headers) = entry.get("headers").and_then(toml::Value::as_table) {
        for (name, text) in headers {
            if let Some(text) = text.as_str() {
                remote
                    .headers
                    .push((name.clone(), value(&format!("header `{name}`"), text)?));
            }
        }
    }
    Ok(remote)
}

/// Writes a credential file readable by its owner alone.
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_names_variables_its_own_way() {
        assert_eq!(
            Syntax::Braces.variable("${GITHUB_TOKEN}"),
            Some("GITHUB_TOKEN".into())
        );
        assert_eq!(Syntax::Braces.variable("$GITHUB_TOKEN"), None);
        assert_eq!(Syntax::Braces.variable("${A:-b}"), None);
        assert_eq!(Syntax::EnvBraces.variable("${env:KEY}"), Some("KEY".into()));
        assert_eq!(Syntax::EnvBraces.variable("${KEY}"), None);
        assert_eq!(Syntax::Dollar.variable("$KEY"), Some("KEY".into()));
        assert_eq!(Syntax::Dollar.variable("${KEY}"), Some("KEY".into()));
        assert_eq!(
            secret("Bearer x", Syntax::Braces),
            Some(Secret::Literal("Bearer x".into()))
        );
        assert_eq!(secret("token ${X}", Syntax::Braces), None);
    }

    #[test]
    fn only_addresses_under_the_gateway_name_a_server() {
        let gateway = "http://127.0.0.1:7900";
        assert_eq!(
            behind_gateway(&gateway_url(gateway, "github"), gateway),
            Some("github")
        );
        assert_eq!(
            behind_gateway("http://127.0.0.1:7900/mcp/a/b", gateway),
            None
        );
        assert_eq!(
            behind_gateway("http://127.0.0.1:79001/mcp/a", gateway),
            None
        );
        assert_eq!(
            behind_gateway("https://api.example.com/mcp/a", gateway),
            None
        );
    }
}
