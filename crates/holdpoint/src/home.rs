//! `$HOLDPOINT_HOME` on disk: the configuration file, the signing key, the policies and
//! the store, and `holdpoint init`, which creates them.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use holdpoint_core::Environment;
use holdpoint_ledger::{SigningKey, VerifyingKey};
use holdpoint_store::SqlStore;
use serde::Deserialize;

use crate::local::holdpoint_home;
use crate::telemetry::TelemetryConfig;
use crate::{Failure, exit};

/// The files under `$HOLDPOINT_HOME`.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn locate() -> Self {
        Home {
            dir: holdpoint_home(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("holdpoint.toml")
    }

    pub fn store(&self) -> PathBuf {
        self.dir.join("store.db")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("keys").join("ledger.key")
    }

    pub fn public_key(&self) -> PathBuf {
        self.dir.join("keys").join("ledger.pub")
    }

    pub fn policies(&self) -> PathBuf {
        self.dir.join("policies")
    }

    /// A copy of the latest signed checkpoint, outside the database.
    pub fn anchor(&self) -> PathBuf {
        self.dir.join("checkpoint.json")
    }

    pub(crate) fn not_set_up(&self) -> Failure {
        Failure::usage(format!(
            "holdpoint is not set up in `{}`: run `holdpoint init` (or set HOLDPOINT_HOME to where it is)",
            self.dir.display()
        ))
    }

    /// The settings in `holdpoint.toml`; defaults when the file does not exist.
    pub fn load_config(&self) -> Result<Config, Failure> {
        let path = self.config();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot read `{}`: {e}",
                    path.display()
                )));
            }
        };
        let raw: RawConfig = toml::from_str(&text).map_err(|e| {
            Failure::usage(format!(
                "`{}` is not valid: {}",
                path.display(),
                e.message()
            ))
        })?;
        raw.resolve(&self.dir)
            .map_err(|e| Failure::usage(format!("`{}`: {e}", path.display())))
    }

    pub fn signing_key(&self) -> Result<SigningKey, Failure> {
        let path = self.key();
        let text = fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                self.not_set_up()
            } else {
                Failure::internal(format!(
                    "cannot read the signing key `{}`: {e}",
                    path.display()
                ))
            }
        })?;
        SigningKey::from_text(&text).map_err(|e| {
            Failure::internal(format!(
                "the signing key `{}` is damaged: {e}",
                path.display()
            ))
        })
    }

    pub fn verifying_key(&self, file: Option<&Path>) -> Result<VerifyingKey, Failure> {
        let path = file.map_or_else(|| self.public_key(), Path::to_owned);
        let text = fs::read_to_string(&path).map_err(|e| {
            Failure::usage(format!(
                "cannot read the public key `{}`: {e}",
                path.display()
            ))
        })?;
        VerifyingKey::from_text(&text)
            .map_err(|e| Failure::usage(format!("`{}`: {e}", path.display())))
    }

    /// Refuses when root would open a home that belongs to another user (the system
    /// home of `holdpoint setup --system`): SQLite would create its log files as root,
    /// and the server, running as the home's owner, could no longer write the store.
    pub fn check_owner(&self) -> Result<(), Failure> {
        use std::os::unix::fs::MetadataExt as _;
        if !rustix::process::geteuid().is_root() {
            return Ok(());
        }
        let Ok(meta) = fs::metadata(&self.dir) else {
            return Ok(());
        };
        if meta.uid() == 0 {
            return Ok(());
        }
        let owner = crate::setup::user_name(meta.uid()).unwrap_or_else(|| meta.uid().to_string());
        Err(Failure::usage(format!(
            "`{}` belongs to {owner}: run this as that user, so that the files holdpoint writes stay its own: `runuser -u {owner} -- env HOLDPOINT_HOME={} holdpoint …`",
            self.dir.display(),
            self.dir.display()
        )))
    }

    /// Opens the store for a process that lives for a command or a hook; fails with a
    /// clear message when holdpoint is not set up.
    pub fn open_store(&self) -> Result<SqlStore, Failure> {
        self.open_store_as(&self.load_config()?, Opening::ShortLived)
    }

    /// Opens the store to read and verify it, without the signing key: what someone
    /// auditing a copy of the store has.
    pub fn open_store_to_read(&self) -> Result<SqlStore, Failure> {
        self.open_store_as(&self.load_config()?, Opening::ToRead)
    }

    /// Whether holdpoint's store is there to open: the SQLite file `holdpoint init`
    /// creates, or a PostgreSQL store (`[store] url`), which is reached when opened.
    pub fn has_store(&self, config: &Config) -> bool {
        config.store.url.is_some() || self.store().exists()
    }

    /// Where the store is, for messages: the SQLite file, or the PostgreSQL database's
    /// address (never with a password).
    pub fn store_place(&self, config: &Config) -> String {
        match &config.store.url {
            Some(url) => url.clone(),
            None => self.store().display().to_string(),
        }
    }

    /// Opens the store where `config` keeps it: `store.db` in the home, or the
    /// PostgreSQL database of `[store] url`.
    pub fn open_store_as(&self, config: &Config, opening: Opening) -> Result<SqlStore, Failure> {
        self.check_owner()?;
        if !self.has_store(config) {
            return Err(self.not_set_up());
        }
        let key = match opening {
            Opening::ToRead => None,
            Opening::ShortLived | Opening::KeptOpen => Some(self.signing_key()?),
        };
        let opened = match (&config.store.url, key) {
            (Some(url), key) => {
                let password = config.store.password()?;
                SqlStore::connect(url, password.as_deref(), key)
            }
            (None, None) => SqlStore::open_to_read(&self.store()),
            (None, Some(key)) if opening == Opening::ShortLived => {
                SqlStore::open_short_lived(&self.store(), key)
            }
            // A long-lived connection: the log is checkpointed as SQLite normally does.
            (None, Some(key)) => SqlStore::open(&self.store(), key),
        };
        let store = opened.map_err(|e| Failure::internal(e.to_string()))?;
        Ok(match opening {
            Opening::ToRead => store,
            Opening::ShortLived | Opening::KeptOpen => store.with_anchor(self.anchor()),
        })
    }

    /// Hears every change to an approval request committed to the store by any process
    /// and calls `heard` with its id (`""`: any may have changed): on a PostgreSQL store
    /// only, which other machines share. `None` on SQLite, whose waiters look again
    /// often.
    pub(crate) fn listen_to_store(
        &self,
        config: &Config,
        heard: impl Fn(&str) + Send + 'static,
    ) -> Result<Option<holdpoint_store::Listener>, Failure> {
        let Some(url) = &config.store.url else {
            return Ok(None);
        };
        let password = config.store.password()?;
        SqlStore::listen(url, password.as_deref(), heard)
            .map(Some)
            .map_err(|e| Failure::internal(e.to_string()))
    }
}

/// How a process opens the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opening {
    /// For one command or one hook call.
    ShortLived,
    /// For a process that keeps it open: the server, the proxies, the MCP gateway.
    KeptOpen,
    /// Without the signing key, to read and verify.
    ToRead,
}

/// `[store]`: where holdpoint keeps its state. Without `url`, the SQLite file `store.db`
/// in the home.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreConfig {
    /// A PostgreSQL database, `postgres://user@host:port/database`, that several servers
    /// and proxies share.
    pub url: Option<String>,
    /// Where the database user's password comes from: `env:NAME` or `file:PATH`, never
    /// this file's text.
    pub password: Option<Setting>,
}

/// The settings holdpoint runs with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// The environment the agents on this machine act in.
    pub environment: Environment,
    pub approval_ttl: Duration,
    pub destroy_quorum: u32,
    /// Which approvals only a passkey may give.
    pub passkey_required: PasskeyRequired,
    pub exec_wait: Duration,
    pub server: ServerConfig,
    /// Incoming webhooks told about every new approval request.
    pub webhooks: Vec<Webhook>,
    /// Set: humans linked to Slack users may answer requests from Slack.
    pub slack: Option<SlackConfig>,
    /// The databases `holdpoint pg` stands in front of.
    pub databases: Vec<DatabaseConfig>,
    /// The MCP servers `holdpoint mcp --listen` serves over Streamable HTTP.
    pub mcp: Vec<McpConfig>,
    /// How commands that run the project's own code are confined.
    pub sandbox: SandboxConfig,
    /// What the ledger keeps of the person's instruction for each turn.
    pub instructions: KeepInstructions,
    /// Set: the ledger is sent to this OpenTelemetry collector (`telemetry`).
    pub telemetry: Option<TelemetryConfig>,
    /// Where the state is kept.
    pub store: StoreConfig,
}

/// `instructions`: what the ledger keeps of the instruction a person gives an agent for
/// a turn (Claude Code's `UserPromptSubmit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepInstructions {
    /// The text, with what looks like a secret replaced by `[redacted]`, and its hash.
    Text,
    /// Only its SHA-256: the approver sees that an instruction was given, not what.
    Hash,
}

/// `[[webhook]]`: an address told about every new approval request.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub url: String,
    pub format: WebhookFormat,
}

/// The shape of a webhook's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WebhookFormat {
    /// `text` for chat tools that take a paragraph, and `holdpoint` for programs.
    Text,
    /// Slack's Block Kit, with Approve and Refuse buttons when `[slack]` is set.
    Slack,
}

/// `[slack]`: answering approval requests from Slack (`serve/slack.rs`).
#[derive(Debug, Clone)]
pub(crate) struct SlackConfig {
    /// The file holding the Slack app's signing secret, which signs every press.
    pub signing_secret_file: PathBuf,
    /// Set: presses from any other Slack workspace are refused.
    pub team: Option<String>,
    /// Slack user id to holdpoint human: who may answer from Slack.
    pub humans: std::collections::BTreeMap<String, String>,
}

/// `passkey_required`: which approvals only a passkey's assertion may give (not the
/// secret, at the console, the API or the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasskeyRequired {
    Never,
    /// Requests to destroy something in production.
    ProductionDestroys,
    Always,
}

impl PasskeyRequired {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "never" => Ok(PasskeyRequired::Never),
            "production-destroys" => Ok(PasskeyRequired::ProductionDestroys),
            "always" => Ok(PasskeyRequired::Always),
            other => Err(format!(
                "`passkey_required = \"{other}\"`: write \"never\", \"production-destroys\" or \"always\""
            )),
        }
    }

    /// Whether only a passkey may approve `request`.
    pub(crate) fn covers(self, request: &holdpoint_ledger::ApprovalRequest) -> bool {
        match self {
            PasskeyRequired::Never => false,
            PasskeyRequired::Always => true,
            PasskeyRequired::ProductionDestroys => {
                request.risk == "destroy"
                    && request.action.get("environment").and_then(|e| e.as_str())
                        == Some("production")
            }
        }
    }
}

/// `[sandbox]`: what a command that runs the project's own code (tests, builds, package
/// scripts) may do when hooks and `holdpoint exec` run it inside `holdpoint sandbox`.
#[derive(Debug, Clone)]
pub(crate) struct SandboxConfig {
    /// Whether it has the network (package managers and builds fetch dependencies).
    pub network: bool,
    /// Directories beyond the workspace and the temporary directories it may write in
    /// (tool caches); `None`: those of `DEFAULT_WRITABLE` that exist.
    pub writable: Option<Vec<PathBuf>>,
}

/// The tool caches a confined build or test may write in, beneath `$HOME`.
const DEFAULT_WRITABLE: [&str; 10] = [
    ".cache",
    ".npm",
    ".cargo/registry",
    ".cargo/git",
    "go/pkg/mod",
    ".m2/repository",
    ".gradle/caches",
    ".yarn",
    ".local/share/pnpm",
    ".bun/install/cache",
];

impl SandboxConfig {
    /// The directories a confined command may write in beyond the workspace and the
    /// temporary directories, as they exist on this machine.
    pub fn writable_dirs(&self) -> Vec<PathBuf> {
        match &self.writable {
            Some(dirs) => dirs.clone(),
            None => {
                let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
                    return Vec::new();
                };
                DEFAULT_WRITABLE
                    .iter()
                    .map(|dir| PathBuf::from(&home).join(dir))
                    .filter(|dir| dir.is_dir())
                    .collect()
            }
        }
    }
}

/// One `[[database]]`: where agents connect, the real database behind it, and how held
/// statements are handled.
#[derive(Debug, Clone)]
pub(crate) struct DatabaseConfig {
    pub listen: std::net::SocketAddr,
    pub upstream: String,
    pub environment: Option<Environment>,
    /// How long a held statement waits for approval; zero refuses it at once.
    pub wait: Option<Duration>,
    /// Set: agents must connect over TLS with this certificate.
    pub tls: Option<TlsFiles>,
    /// A file holding the upstream's password, so that it is never in holdpoint.toml's
    /// text or in a process's environment.
    pub password_file: Option<PathBuf>,
}

/// One `[[mcp]]`: an MCP server `holdpoint mcp --listen` serves at `/mcp/NAME`.
#[derive(Debug, Clone)]
pub(crate) struct McpConfig {
    /// The path it is served under, and its name in the ledger; never used to recognise
    /// the server (its command or URL and what it announces are).
    pub name: String,
    pub upstream: McpUpstream,
    pub environment: Option<Environment>,
    /// Its tools' own annotations count for tools holdpoint does not know.
    pub trusted: bool,
    /// Tools neither listed to the agent nor called.
    pub hide_tools: Vec<String>,
    /// What `tools/list` does with the tools the policy refuses the agent outright.
    pub refused_tools: crate::proxy::mcp::session::RefusedTools,
    /// The roots the server is told of; empty: the gateway's working directory.
    pub roots: Vec<PathBuf>,
    /// How long a held call stays open when its client asked for progress.
    pub wait: Option<Duration>,
    /// The server's sampling and elicitation requests reach the agent.
    pub sampling: bool,
    pub elicitation: bool,
}

/// Where an `[[mcp]]` server is.
#[derive(Debug, Clone)]
pub(crate) enum McpUpstream {
    /// Started as a child for each agent session, over stdio.
    Command {
        command: String,
        args: Vec<String>,
        /// Added to the child's environment.
        env: Vec<(String, Setting)>,
    },
    /// A Streamable HTTP server; `headers` (an `Authorization` from `bearer` among them)
    /// are added to every request holdpoint sends it, and never shown to the agent.
    Url {
        url: String,
        headers: Vec<(String, Setting)>,
    },
}

/// Whether `name` can name an `[[mcp]]` entry: it is served at /mcp/NAME, so up to 64
/// letters, digits, `.`, `_` or `-`, and not `.` or `..`.
pub(crate) fn servable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name != "."
        && name != ".."
}

/// The headers (lowercase) the gateway sets on its requests to a `url` server itself,
/// which an `[[mcp]]` entry's `headers` may not give.
pub(crate) const TRANSPORT_HEADERS: &[&str] = &[
    "mcp-session-id",
    "mcp-protocol-version",
    "content-type",
    "accept",
    "host",
    "content-length",
];

/// A value in `holdpoint.toml` that may be a secret: written as it is, or where it is
/// (`env:NAME`, `file:PATH`), read when a server starts, never stored in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Setting {
    Plain(String),
    /// An environment variable of holdpoint's process.
    Env(String),
    /// A file (relative to `$HOLDPOINT_HOME`) holding the value alone.
    File(PathBuf),
}

impl Setting {
    /// Reads `env:NAME` or `file:PATH`; anything else is plain text.
    fn parse(text: &str, home: &Path) -> Result<Self, String> {
        if let Some(name) = text.strip_prefix("env:") {
            if name.is_empty() {
                return Err(
                    "`env:` must name an environment variable, e.g. `env:GITHUB_TOKEN`".to_owned(),
                );
            }
            return Ok(Setting::Env(name.to_owned()));
        }
        if let Some(file) = text.strip_prefix("file:") {
            if file.is_empty() {
                return Err(
                    "`file:` must name a file, e.g. `file:credentials/github.token`".to_owned(),
                );
            }
            return Ok(Setting::File(home.join(file)));
        }
        Ok(Setting::Plain(text.to_owned()))
    }

    /// The value, read now. Fail closed: a variable unset or empty, or a file missing
    /// or empty, is an error, never an empty value.
    pub fn resolve(&self, what: &str) -> Result<String, Failure> {
        match self {
            Setting::Plain(text) => Ok(text.clone()),
            Setting::Env(name) => std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "{what} comes from the environment variable `{name}`, which is not set in holdpoint's environment: set it, or point at a file with `file:PATH`"
                    ))
                }),
            Setting::File(path) => {
                let text = fs::read_to_string(path).map_err(|e| {
                    Failure::usage(format!(
                        "{what} comes from the file `{}`, which cannot be read: {e}",
                        path.display()
                    ))
                })?;
                {
                    use std::os::unix::fs::MetadataExt as _;
                    if fs::metadata(path).is_ok_and(|m| m.mode() & 0o077 != 0) {
                        eprintln!(
                            "holdpoint: `{}` ({what}) can be read by other users: make it 0600 (`chmod 600`)",
                            path.display()
                        );
                    }
                }
                let value = text.strip_suffix('\n').unwrap_or(&text);
                let value = value.strip_suffix('\r').unwrap_or(value);
                if value.is_empty() {
                    return Err(Failure::usage(format!(
                        "{what} comes from the file `{}`, which is empty",
                        path.display()
                    )));
                }
                Ok(value.to_owned())
            }
        }
    }
}

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone)]
pub(crate) struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// `[server]`: where `holdpoint serve` listens, and how hooks and `exec` reach it.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    /// Set: hooks and `exec` ask this server instead of opening the store themselves.
    pub url: Option<ServerUrl>,
    /// The console's and the HTTP API's address.
    pub listen: std::net::SocketAddr,
    /// The Unix socket for clients on this machine.
    pub socket: PathBuf,
    /// The console's address as approvers reach it, for links in messages and webhooks.
    pub public_url: Option<String>,
    /// A file holding the agent credential that hooks and `exec` present
    /// (`$HOLDPOINT_TOKEN` takes precedence).
    pub token_file: Option<PathBuf>,
    /// Set: the socket is made `0660` and given this group, whose members (the agents'
    /// OS users) may connect; otherwise any local user may (`0666`). Either way every
    /// client proves itself with a credential.
    pub socket_group: Option<String>,
    /// How long a console sign-in lasts.
    pub sign_in_ttl: Duration,
}

/// Where a client reaches `holdpoint serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerUrl {
    Unix(PathBuf),
    /// `host:port` of a plain HTTP server.
    Http(String),
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerUrl::Unix(path) => write!(f, "unix:{}", path.display()),
            ServerUrl::Http(host) => write!(f, "http://{host}"),
        }
    }
}

impl ServerUrl {
    fn parse(text: &str, home: &Path) -> Result<Self, String> {
        if text == "unix" {
            return Ok(ServerUrl::Unix(home.join(DEFAULT_SOCKET)));
        }
        if let Some(path) = text.strip_prefix("unix:") {
            return Ok(ServerUrl::Unix(home.join(path)));
        }
        if let Some(rest) = text.strip_prefix("http://") {
            let host = rest.trim_end_matches('/');
            if !host.is_empty() && !host.contains('/') {
                return Ok(ServerUrl::Http(host.to_owned()));
            }
        }
        Err(format!(
            "`url = \"{text}\"` is not a server address: write \"unix\" (the socket in $HOLDPOINT_HOME), \"unix:/path/to/serve.sock\" or \"http://host:port\""
        ))
    }
}

/// The Unix socket `holdpoint serve` listens on, relative to `$HOLDPOINT_HOME`.
pub(crate) const DEFAULT_SOCKET: &str = "serve.sock";

impl Default for Config {
    fn default() -> Self {
        Config {
            environment: Environment::Production,
            approval_ttl: Duration::from_secs(3600),
            destroy_quorum: 1,
            passkey_required: PasskeyRequired::Never,
            exec_wait: Duration::from_secs(600),
            instructions: KeepInstructions::Text,
            telemetry: None,
            store: StoreConfig::default(),
            server: ServerConfig {
                url: None,
                listen: std::net::SocketAddr::from(([127, 0, 0, 1], 7878)),
                socket: PathBuf::from(DEFAULT_SOCKET),
                public_url: None,
                token_file: None,
                socket_group: None,
                sign_in_ttl: Duration::from_secs(12 * 3600),
            },
            webhooks: Vec::new(),
            slack: None,
            databases: Vec::new(),
            mcp: Vec::new(),
            sandbox: SandboxConfig {
                network: true,
                writable: None,
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    environment: Option<String>,
    approval_ttl: Option<String>,
    destroy_quorum: Option<u32>,
    passkey_required: Option<String>,
    exec_wait: Option<String>,
    instructions: Option<String>,
    server: Option<RawServer>,
    #[serde(default)]
    webhook: Vec<RawWebhook>,
    slack: Option<RawSlack>,
    #[serde(default)]
    database: Vec<RawDatabase>,
    #[serde(default)]
    mcp: Vec<RawMcp>,
    sandbox: Option<RawSandbox>,
    telemetry: Option<RawTelemetry>,
    store: Option<RawStore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<String>,
    password: Option<String>,
}

impl StoreConfig {
    /// The database user's password, read from where `password` says, if it is set.
    fn password(&self) -> Result<Option<String>, Failure> {
        self.password
            .as_ref()
            .map(|setting| setting.resolve("`[store] password`"))
            .transpose()
    }

    /// A store's address and where its password comes from, checked as `[store]` is.
    pub(crate) fn parse(
        url: String,
        password: Option<String>,
        home: &Path,
    ) -> Result<StoreConfig, String> {
        RawStore {
            url: Some(url),
            password,
        }
        .resolve(home)
    }
}

impl RawStore {
    fn resolve(self, home: &Path) -> Result<StoreConfig, String> {
        let url = match self.url {
            None => None,
            Some(url) => {
                let Some(rest) = url
                    .strip_prefix("postgres://")
                    .or_else(|| url.strip_prefix("postgresql://"))
                else {
                    return Err(format!(
                        "`[store] url = \"{url}\"` is not a PostgreSQL address: write `postgres://user@host:port/database`, or leave `url` out to keep the store in `store.db` here"
                    ));
                };
                let authority = rest.split('/').next().unwrap_or_default();
                if authority
                    .rsplit_once('@')
                    .is_some_and(|(user, _)| user.contains(':'))
                {
                    return Err(
                        "`[store] url` holds a password: take it out of the address and give it as `password = \"env:NAME\"` or `password = \"file:PATH\"`".to_owned(),
                    );
                }
                Some(url)
            }
        };
        let password = match self.password {
            None => None,
            Some(text) => match Setting::parse(&text, home)? {
                Setting::Plain(_) => {
                    return Err(
                        "`[store] password` is written here in the clear: put it in a file or the environment and write `password = \"file:PATH\"` or `password = \"env:NAME\"`".to_owned(),
                    );
                }
                setting => Some(setting),
            },
        };
        if password.is_some() && url.is_none() {
            return Err(
                "`[store] password` is set without a `url`: the SQLite store needs none".to_owned(),
            );
        }
        Ok(StoreConfig { url, password })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMcp {
    name: Option<String>,
    url: Option<String>,
    command: Option<String>,
    args: Option<Vec<String>>,
    env: Option<std::collections::BTreeMap<String, String>>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    bearer: Option<String>,
    environment: Option<String>,
    #[serde(default)]
    trusted: bool,
    #[serde(default)]
    hide_tools: Vec<String>,
    #[serde(default)]
    refused_tools: crate::proxy::mcp::session::RefusedTools,
    #[serde(default)]
    roots: Vec<String>,
    wait: Option<String>,
    #[serde(default)]
    sampling: bool,
    #[serde(default)]
    elicitation: bool,
}

impl RawMcp {
    /// One `[[mcp]]` entry, checked: every mistake says which entry, what was wrong and
    /// what to write instead.
    fn resolve(self, home: &Path) -> Result<McpConfig, String> {
        let name = match self.name {
            Some(name) if servable_name(&name) => name,
            Some(name) => {
                return Err(format!(
                    "`[[mcp]] name = \"{name}\"` cannot be a path: use up to 64 letters, digits, `.`, `_` or `-`, not `.` or `..` (it is served at /mcp/NAME)"
                ));
            }
            None => {
                return Err(
                    "an `[[mcp]]` entry has no `name`: give each a name (it is served at /mcp/NAME)".to_owned(),
                );
            }
        };
        let entry = format!("`[[mcp]] name = \"{name}\"`");
        let secret = |what: &str, text: &str| -> Result<Setting, String> {
            match Setting::parse(text, home).map_err(|e| format!("{entry}: {what}: {e}"))? {
                Setting::Plain(_) => Err(format!(
                    "{entry}: {what} is written in holdpoint.toml; a credential never is: write `env:VARIABLE` (holdpoint's environment) or `file:PATH` (a file relative to $HOLDPOINT_HOME holding it alone, mode 0600)"
                )),
                setting => Ok(setting),
            }
        };
        let upstream = match (self.url, self.command) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{entry} has both `url` and `command`: give `url` for a Streamable HTTP server, or `command` (and `args`) for one holdpoint starts"
                ));
            }
            (None, None) => {
                return Err(format!(
                    "{entry} has neither `url` nor `command`: give `url = \"https://host/mcp\"` for a Streamable HTTP server, or `command = \"npx\"` and `args = [...]` for one holdpoint starts"
                ));
            }
            (Some(url), None) => {
                if self.args.is_some() || self.env.is_some() {
                    return Err(format!(
                        "{entry}: `args` and `env` are for a server holdpoint starts (`command`); a `url` server takes `headers` and `bearer`"
                    ));
                }
                if http_host(&url).is_empty() {
                    return Err(format!(
                        "{entry}: `url = \"{url}\"` must be an http:// or https:// address, e.g. \"https://mcp.example.com/mcp\""
                    ));
                }
                let mut headers = Vec::new();
                for (header, value) in self.headers.unwrap_or_default() {
                    if !header_name(&header) {
                        return Err(format!("{entry}: `{header}` is not an HTTP header name"));
                    }
                    let lower = header.to_ascii_lowercase();
                    if TRANSPORT_HEADERS.contains(&lower.as_str()) {
                        return Err(format!(
                            "{entry}: the header `{header}` is the transport's own and holdpoint sets it; leave it out of `headers`"
                        ));
                    }
                    if lower == "authorization" && self.bearer.is_some() {
                        return Err(format!(
                            "{entry} gives both `bearer` and an `Authorization` header: keep one"
                        ));
                    }
                    headers.push((
                        header.clone(),
                        secret(&format!("the header `{header}`"), &value)?,
                    ));
                }
                if let Some(bearer) = &self.bearer {
                    let setting = secret("`bearer`", bearer)?;
                    headers.push(("Authorization".to_owned(), setting));
                }
                McpUpstream::Url { url, headers }
            }
            (None, Some(command)) => {
                if self.headers.is_some() || self.bearer.is_some() {
                    return Err(format!(
                        "{entry}: `headers` and `bearer` are for a `url` server; give the server holdpoint starts its credentials in `env` (`env = {{ TOKEN = \"env:VARIABLE\" }}`)"
                    ));
                }
                if command.is_empty() {
                    return Err(format!(
                        "{entry}: `command` is empty: name the program that starts the server, e.g. \"npx\""
                    ));
                }
                let mut env = Vec::new();
                for (variable, value) in self.env.unwrap_or_default() {
                    if variable.is_empty() || variable.contains('=') || variable.contains('\0') {
                        return Err(format!(
                            "{entry}: `{variable}` is not an environment variable's name"
                        ));
                    }
                    let setting = Setting::parse(&value, home)
                        .map_err(|e| format!("{entry}: `env.{variable}`: {e}"))?;
                    env.push((variable, setting));
                }
                McpUpstream::Command {
                    command,
                    args: self.args.unwrap_or_default(),
                    env,
                }
            }
        };
        Ok(McpConfig {
            environment: self
                .environment
                .map(|e| e.parse().map_err(|e| format!("{entry}: {e}")))
                .transpose()?,
            trusted: self.trusted,
            sampling: self.sampling,
            elicitation: self.elicitation,
            hide_tools: self.hide_tools,
            refused_tools: self.refused_tools,
            roots: self.roots.into_iter().map(PathBuf::from).collect(),
            wait: self
                .wait
                .map(|text| {
                    humantime::parse_duration(&text).map_err(|e| {
                        format!("{entry}: `wait = \"{text}\"` is not a duration ({e}); write e.g. \"50s\"")
                    })
                })
                .transpose()?,
            upstream,
            name,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTelemetry {
    endpoint: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

impl RawTelemetry {
    /// `[telemetry]`, checked: every mistake says what to write instead.
    fn resolve(self, home: &Path) -> Result<TelemetryConfig, String> {
        let written = &self.endpoint;
        let endpoint = written.trim_end_matches('/').to_owned();
        if http_host(&endpoint).is_empty() {
            return Err(format!(
                "`[telemetry] endpoint = \"{written}\"` must be an http:// or https:// address: the collector's OTLP/HTTP address, e.g. \"http://127.0.0.1:4318\""
            ));
        }
        for signal in ["/v1/logs", "/v1/traces"] {
            if let Some(base) = endpoint.strip_suffix(signal) {
                return Err(format!(
                    "`[telemetry] endpoint = \"{written}\"` names one signal's path: write the collector's base address, \"{base}\" (holdpoint sends logs to /v1/logs and spans to /v1/traces beneath it)"
                ));
            }
        }
        let mut headers = Vec::new();
        for (name, value) in self.headers {
            if !header_name(&name) {
                return Err(format!(
                    "`[telemetry] headers`: `{name}` is not an HTTP header name"
                ));
            }
            let lower = name.to_ascii_lowercase();
            let setting = Setting::parse(&value, home)
                .map_err(|e| format!("`[telemetry] headers` `{name}`: {e}"))?;
            let credential = lower == "authorization"
                || ["key", "token", "secret", "password"]
                    .iter()
                    .any(|word| lower.contains(word));
            if credential && matches!(setting, Setting::Plain(_)) {
                return Err(format!(
                    "`[telemetry] headers` `{name}` is written in holdpoint.toml; a credential never is: write `env:VARIABLE` (holdpoint's environment) or `file:PATH` (a file relative to $HOLDPOINT_HOME holding it alone, mode 0600)"
                ));
            }
            headers.push((name, setting));
        }
        Ok(TelemetryConfig { endpoint, headers })
    }
}

/// The host of an http:// or https:// address; empty for any other.
fn http_host(url: &str) -> &str {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?']).next())
        .unwrap_or("")
}

/// Whether `name` is an HTTP header name (a token, RFC 9110).
fn header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSandbox {
    network: Option<bool>,
    writable: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    listen: String,
    upstream: String,
    environment: Option<String>,
    wait: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    password_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    url: Option<String>,
    listen: Option<String>,
    socket: Option<String>,
    public_url: Option<String>,
    token_file: Option<String>,
    socket_group: Option<String>,
    sign_in_ttl: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlack {
    signing_secret_file: String,
    team: Option<String>,
    #[serde(default)]
    humans: std::collections::BTreeMap<String, String>,
}

impl RawConfig {
    fn resolve(self, home: &Path) -> Result<Config, String> {
        let defaults = Config::default();
        let duration = |name: &str, value: Option<String>, default: Duration| match value {
            None => Ok(default),
            Some(text) => humantime::parse_duration(&text).map_err(|e| {
                format!(
                    "`{name} = \"{text}\"` is not a duration ({e}); write e.g. \"30m\" or \"2h\""
                )
            }),
        };
        Ok(Config {
            environment: match self.environment {
                None => defaults.environment,
                Some(name) => name.parse().map_err(|e| format!("{e}"))?,
            },
            approval_ttl: duration("approval_ttl", self.approval_ttl, defaults.approval_ttl)?,
            destroy_quorum: match self.destroy_quorum {
                Some(0) => return Err("`destroy_quorum` must be at least 1".to_owned()),
                Some(n) => n,
                None => defaults.destroy_quorum,
            },
            passkey_required: match self.passkey_required {
                Some(text) => PasskeyRequired::parse(&text)?,
                None => defaults.passkey_required,
            },
            exec_wait: duration("exec_wait", self.exec_wait, defaults.exec_wait)?,
            instructions: match self.instructions.as_deref() {
                None | Some("text") => KeepInstructions::Text,
                Some("hash") => KeepInstructions::Hash,
                Some(other) => {
                    return Err(format!(
                        "`instructions` is `{other}`: it must be \"text\" or \"hash\""
                    ));
                }
            },
            server: {
                let raw = self.server.unwrap_or(RawServer {
                    url: None,
                    listen: None,
                    socket: None,
                    public_url: None,
                    token_file: None,
                    socket_group: None,
                    sign_in_ttl: None,
                });
                let d = defaults.server;
                ServerConfig {
                    url: raw
                        .url
                        .map(|u| ServerUrl::parse(&u, home))
                        .transpose()?,
                    listen: match raw.listen {
                        None => d.listen,
                        Some(text) => text.parse().map_err(|_| {
                            format!("`listen = \"{text}\"` is not an address: write e.g. \"127.0.0.1:7878\"")
                        })?,
                    },
                    socket: home.join(raw.socket.map_or(d.socket, PathBuf::from)),
                    public_url: raw.public_url.map(|u| u.trim_end_matches('/').to_owned()),
                    token_file: raw.token_file.map(|f| home.join(f)),
                    socket_group: raw.socket_group.filter(|g| !g.is_empty()),
                    sign_in_ttl: duration("sign_in_ttl", raw.sign_in_ttl, d.sign_in_ttl)?,
                }
            },
            webhooks: self
                .webhook
                .into_iter()
                .map(|w| {
                    let host = w
                        .url
                        .strip_prefix("https://")
                        .or_else(|| w.url.strip_prefix("http://"))
                        .and_then(|rest| rest.split('/').next())
                        .unwrap_or("");
                    if host.is_empty() {
                        return Err(format!(
                            "`[[webhook]] url = \"{}\"` must be an http:// or https:// address",
                            w.url
                        ));
                    }
                    let format = match w.format.as_deref() {
                        None | Some("text") => WebhookFormat::Text,
                        Some("slack") => WebhookFormat::Slack,
                        Some(other) => {
                            return Err(format!(
                                "`[[webhook]] format = \"{other}\"` is not a format: write \"text\" (the default) or \"slack\""
                            ));
                        }
                    };
                    Ok(Webhook { url: w.url, format })
                })
                .collect::<Result<_, _>>()?,
            slack: self
                .slack
                .map(|raw| {
                    if raw.humans.is_empty() {
                        return Err("`[slack]` links no humans: add `[slack.humans]` with lines like `U0123ABCD = \"alice\"` (Slack user id = holdpoint human)".to_owned());
                    }
                    Ok(SlackConfig {
                        signing_secret_file: home.join(raw.signing_secret_file),
                        team: raw.team.filter(|t| !t.is_empty()),
                        humans: raw.humans,
                    })
                })
                .transpose()?,
            databases: self
                .database
                .into_iter()
                .map(|d| {
                    Ok(DatabaseConfig {
                        listen: d.listen.parse().map_err(|_| {
                            format!("`[[database]] listen = \"{}\"` is not an address: write e.g. \"127.0.0.1:6432\"", d.listen)
                        })?,
                        environment: d
                            .environment
                            .map(|e| e.parse().map_err(|e| format!("[[database]]: {e}")))
                            .transpose()?,
                        wait: d
                            .wait
                            .map(|w| duration("wait", Some(w), Duration::ZERO))
                            .transpose()?,
                        tls: match (d.tls_cert, d.tls_key) {
                            (Some(cert), Some(key)) => Some(TlsFiles {
                                cert: home.join(cert),
                                key: home.join(key),
                            }),
                            (None, None) => None,
                            _ => {
                                return Err(format!(
                                    "`[[database]] listen = \"{}\"` names only one of tls_cert and tls_key: TLS needs both, the certificate and its private key",
                                    d.listen
                                ));
                            }
                        },
                        password_file: d.password_file.map(|f| home.join(f)),
                        upstream: d.upstream,
                    })
                })
                .collect::<Result<_, String>>()?,
            mcp: {
                let mut servers: Vec<McpConfig> = Vec::new();
                for raw in self.mcp {
                    let server = raw.resolve(home)?;
                    if servers.iter().any(|s| s.name == server.name) {
                        return Err(format!(
                            "two `[[mcp]]` entries are named `{}`: each is served at /mcp/NAME, so names must differ",
                            server.name
                        ));
                    }
                    servers.push(server);
                }
                servers
            },
            telemetry: self.telemetry.map(|t| t.resolve(home)).transpose()?,
            store: self
                .store
                .map(|s| s.resolve(home))
                .transpose()?
                .unwrap_or_default(),
            sandbox: match self.sandbox {
                None => defaults.sandbox,
                Some(raw) => SandboxConfig {
                    network: raw.network.unwrap_or(defaults.sandbox.network),
                    writable: raw
                        .writable
                        .map(|dirs| {
                            dirs.into_iter()
                                .map(|dir| expand_home(&dir))
                                .collect::<Result<Vec<_>, String>>()
                        })
                        .transpose()?,
                },
            },
        })
    }
}

/// `~/x` as a path beneath `$HOME`; every directory in `[sandbox] writable` must be
/// absolute.
fn expand_home(dir: &str) -> Result<PathBuf, String> {
    let path = match dir.strip_prefix("~/") {
        Some(rest) => PathBuf::from(
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    format!("`[sandbox] writable` names `{dir}`, but HOME is not set")
                })?,
        )
        .join(rest),
        None => PathBuf::from(dir),
    };
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(format!(
            "`[sandbox] writable` names `{dir}`: write an absolute path or one starting with `~/`"
        ))
    }
}

/// The commented configuration file `holdpoint init` writes.
const CONFIG_TEMPLATE: &str = r#"# holdpoint configuration. Every setting is optional; the values shown are the defaults.

# The environment the agents on this machine act in: "production", "staging" or
# "development". HOLDPOINT_ENV overrides it for one process. When nothing says otherwise
# holdpoint assumes production, the strictest.
environment = "production"

# How long an approval request stays open, and how long an approval stays usable.
approval_ttl = "1h"

# How many distinct humans must approve a destroy (a policy's @approval may ask more).
destroy_quorum = 1

# Which approvals only a passkey may give (registered in the console): "never",
# "production-destroys" or "always". For those, a secret is refused, at the console, the
# API and the command line alike.
passkey_required = "never"

# How long `holdpoint exec` waits for an approval before it gives up.
exec_wait = "10m"

# What the ledger keeps of the instruction a person gives an agent for each turn, shown
# to approvers beside the actions of that turn: "text" (with what looks like a secret
# replaced by [redacted]) or "hash" (only its SHA-256).
instructions = "text"

# `holdpoint serve`: one process that holds the state for a team, with a JSON API and a
# web console. Without `url`, hooks and `holdpoint exec` open the store themselves.
[server]
# Where hooks and `holdpoint exec` reach the server: "unix" (the socket below),
# "unix:/path/to/serve.sock" or "http://host:port". If it is unreachable they refuse
# every action until it is back.
# url = "unix"
# The console and the HTTP API.
listen = "127.0.0.1:7878"
# The Unix socket for clients on this machine, relative to this directory.
socket = "serve.sock"
# Without a group, any local user may connect to the socket (each client still shows a
# credential); with one, the socket is 0660 and only the group's members may.
# socket_group = "holdpoint-agents"
# The console's address as approvers reach it (links in messages and webhooks).
# public_url = "https://holdpoint.example.com"
# The agent credential hooks and exec present ($HOLDPOINT_TOKEN takes precedence);
# `holdpoint agent add NAME --write agent.token` writes one.
# token_file = "agent.token"
# How long a console sign-in lasts.
sign_in_ttl = "12h"

# Told about every new approval request. The "text" format is JSON with a `text` that
# chat tools' incoming webhooks accept; "slack" is a Block Kit message, with Approve and
# Refuse buttons when [slack] below is set.
# [[webhook]]
# url = "https://hooks.slack.com/services/..."
# format = "text"

# Answering from Slack: set the Slack app's Interactivity Request URL to
# `public_url` + "/slack/actions". Each press is checked against the app's signing secret
# (kept alone in this file, relative to this directory), must come from `team`, and is
# taken only from a Slack user linked below to a holdpoint human. A press approves for a
# human without a passkey, where `passkey_required` does not cover the request; anyone
# else is sent the console's link.
# [slack]
# signing_secret_file = "slack-signing-secret"
# team = "T0123ABCD"
# [slack.humans]
# U0123ABCD = "alice"

# Databases `holdpoint pg` stands in front of (several may be listed). Agents connect to
# `listen` with their holdpoint credential; only holdpoint holds the upstream's. Keep
# the password out of this file: put it alone in `password_file` (relative to this
# directory, readable only by holdpoint's user); else it comes from the file named by
# $HOLDPOINT_UPSTREAM_PASSWORD_FILE, else $HOLDPOINT_UPSTREAM_PASSWORD. `wait` is how
# long a held statement waits for approval ("0s": refuse it at once, naming the request).
# With `tls_cert` and `tls_key` (PEM files, relative to this directory), agents must
# connect over TLS (sslmode=require, or verify-full with the certificate's CA).
# [[database]]
# listen = "127.0.0.1:6432"
# upstream = "postgres://app@db.internal:5432/app"
# password_file = "credentials/app.password"
# environment = "production"
# wait = "10m"
# tls_cert = "pg-cert.pem"
# tls_key = "pg-key.pem"

# MCP servers `holdpoint mcp --listen 127.0.0.1:7900` serves over Streamable HTTP, each
# at /mcp/NAME. Agents connect with their holdpoint credential (`Authorization: Bearer
# hpa.…`); only holdpoint holds the server's. A server holdpoint starts (one per agent
# session) has `command`, `args` and `env`; a remote one has `url`, `headers` and
# `bearer`. A credential is never written here: write `env:VARIABLE` (holdpoint's
# environment) or `file:PATH` (relative to this directory, the value alone, 0600).
# [[mcp]]
# name = "files"
# command = "npx"
# args = ["-y", "@modelcontextprotocol/server-filesystem", "/srv/app"]
# environment = "production"
# [[mcp]]
# name = "github"
# url = "https://api.githubcopilot.com/mcp/"
# bearer = "file:credentials/github.token"
# headers = { "X-Team" = "env:TEAM_ID" }

# Send every ledger record to an OpenTelemetry collector over OTLP/HTTP (protobuf): each
# record as a log record, each decided action as a span of its session's trace. Sent by
# `holdpoint serve`, `pg` and `mcp` while they run (or `holdpoint telemetry send`);
# a collector that is down delays no decision, and what it missed is sent when it is
# back. `holdpoint telemetry status` shows how far it is.
# Where the state is kept: the ledger, approvals, grants, freezes, humans and agents.
# Without `url`, in `store.db` here (SQLite). With it, in a PostgreSQL database that
# several servers and proxies share: every process of the team names the same one. The
# password is never written here: `env:NAME` or `file:PATH` (relative to this
# directory).
# [store]
# url = "postgres://holdpoint@db.internal:5432/holdpoint"
# password = "file:credentials/store.password"

# [telemetry]
# endpoint = "http://127.0.0.1:4318"                  # logs to /v1/logs, spans to /v1/traces
# headers = { Authorization = "file:credentials/otlp" } # credentials as env:VAR or file:PATH

# Commands that run the project's own code (test runners, builds, package scripts) are
# workspace work only because that code is expected to stay in the workspace. Hooks
# (Claude Code, Codex, Gemini CLI) and `holdpoint exec` run them inside `holdpoint
# sandbox`, where the kernel lets them write only in the workspace, the temporary
# directories and the tool caches below, and read nothing of holdpoint's. Where that
# cannot be done (Cursor's hook cannot rewrite a command; a kernel without Landlock)
# they count as changes.
[sandbox]
# Whether they have the network: package managers and first builds fetch dependencies.
network = true
# The tool caches they may write in, beyond the workspace and temporary directories.
# Default: those of ~/.cache, ~/.npm, ~/.cargo/registry, ~/.cargo/git, ~/go/pkg/mod,
# ~/.m2/repository, ~/.gradle/caches, ~/.yarn, ~/.local/share/pnpm and
# ~/.bun/install/cache that exist.
# writable = ["~/.cache", "~/.npm"]
"#;

/// The configuration `holdpoint setup --system` writes: the commented file of `holdpoint
/// init`, with the socket where the agents' users reach it, through their group.
pub(crate) fn system_config(socket: &Path, group: &str) -> String {
    CONFIG_TEMPLATE
        .replacen(
            "# holdpoint configuration.",
            "# holdpoint configuration, written by `holdpoint setup --system`: this home belongs to\n# holdpoint's own OS user, and the agents' users can neither read nor write it.\n#",
            1,
        )
        .replacen(
            "socket = \"serve.sock\"",
            &format!("socket = \"{}\"", socket.display()),
            1,
        )
        .replacen(
            "# socket_group = \"holdpoint-agents\"",
            &format!("socket_group = \"{group}\""),
            1,
        )
}

/// The upstream database's password when its address holds none: the `password_file`
/// of its `[[database]]`, else the file `$HOLDPOINT_UPSTREAM_PASSWORD_FILE` names (with
/// systemd, `LoadCredential=` and `%d`), else `$HOLDPOINT_UPSTREAM_PASSWORD`. A file
/// holds the password alone; a final line break is not part of it.
pub(crate) fn upstream_password(file: Option<&Path>) -> Result<Option<String>, Failure> {
    let from_env = std::env::var_os("HOLDPOINT_UPSTREAM_PASSWORD_FILE")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from);
    if let Some(path) = file.map(Path::to_owned).or(from_env) {
        let text = fs::read_to_string(&path).map_err(|e| {
            Failure::usage(format!(
                "cannot read the upstream password file `{}`: {e}",
                path.display()
            ))
        })?;
        {
            use std::os::unix::fs::MetadataExt as _;
            if fs::metadata(&path).is_ok_and(|m| m.mode() & 0o077 != 0) {
                eprintln!(
                    "holdpoint: the upstream password file `{}` can be read by other users: make it 0600 (`chmod 600`)",
                    path.display()
                );
            }
        }
        let password = text.strip_suffix('\n').unwrap_or(&text);
        let password = password.strip_suffix('\r').unwrap_or(password);
        if password.is_empty() {
            return Err(Failure::usage(format!(
                "the upstream password file `{}` is empty",
                path.display()
            )));
        }
        return Ok(Some(password.to_owned()));
    }
    Ok(std::env::var("HOLDPOINT_UPSTREAM_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty()))
}

/// The environment in force: `--env`, else `$HOLDPOINT_ENV`, else the configuration.
pub(crate) fn environment(flag: Option<&str>, config: &Config) -> Result<Environment, Failure> {
    let from_env = std::env::var("HOLDPOINT_ENV")
        .ok()
        .filter(|e| !e.is_empty());
    match flag.map(str::to_owned).or(from_env) {
        Some(name) => name.parse().map_err(|e| Failure::usage(format!("{e}"))),
        None => Ok(config.environment),
    }
}

/// The OS user running this process, as recorded beside every human or agent identity.
pub(crate) fn os_user() -> Option<String> {
    // The kernel's word, not `$USER`'s, which whoever starts holdpoint can set to anyone;
    // looked up once a process.
    static USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let name = USER.get_or_init(|| {
        let uid = nix::unistd::getuid();
        match nix::unistd::User::from_uid(uid) {
            Ok(Some(user)) => user.name,
            _ => format!("uid {uid}"),
        }
    });
    Some(name.clone())
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration in milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Writes `text` to a new file with `mode`, never replacing an existing one.
fn create_file(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// `holdpoint init`: creates what is missing, keeps what exists.
pub(crate) fn init() -> Result<u8, Failure> {
    let home = Home::locate();
    home.check_owner()?;
    let (created, kept) = init_home(&home, CONFIG_TEMPLATE)?;
    for path in &created {
        println!("created  {}", path.display());
    }
    for path in &kept {
        println!("kept     {}", path.display());
    }
    println!(
        "\nholdpoint is set up in {}.\nNext: add yourself as an approver with `holdpoint human add NAME` (at a terminal),\nthen connect an agent with `holdpoint install claude-code` (or codex, gemini, cursor).",
        home.dir.display()
    );
    Ok(exit::ALLOW)
}

/// Creates what is missing in `home` (with `config` as `holdpoint.toml`) and keeps what
/// exists; returns the files created and the files kept.
pub(crate) fn init_home(
    home: &Home,
    config: &str,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Failure> {
    let fail = |what: &str, path: &Path, e: std::io::Error| {
        Failure::internal(format!("cannot create {what} `{}`: {e}", path.display()))
    };
    let mut created = Vec::new();
    let mut kept = Vec::new();
    for dir in [home.dir.clone(), home.dir.join("keys"), home.policies()] {
        if dir.is_dir() {
            continue;
        }
        fs::create_dir_all(&dir).map_err(|e| fail("the directory", &dir, e))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| fail("the directory", &dir, e))?;
    }
    let mut file = |path: PathBuf, text: &dyn Fn() -> Result<String, Failure>, mode: u32| {
        if path.exists() {
            kept.push(path);
            return Ok::<(), Failure>(());
        }
        create_file(&path, &text()?, mode).map_err(|e| fail("the file", &path, e))?;
        created.push(path);
        Ok(())
    };
    file(home.config(), &|| Ok(config.to_owned()), 0o600)?;
    file(
        home.policies().join(holdpoint_policy::DEFAULT_POLICY_FILE),
        &|| Ok(holdpoint_policy::DEFAULT_POLICIES.to_owned()),
        0o600,
    )?;
    let key_path = home.key();
    let new_key = !key_path.exists();
    file(
        key_path,
        &|| {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| {
                Failure::internal(format!("no randomness for the signing key: {e}"))
            })?;
            Ok(SigningKey::from_seed(seed).to_text())
        },
        0o600,
    )?;
    let key = home.signing_key()?;
    if new_key && home.public_key().exists() {
        fs::remove_file(home.public_key()).map_err(|e| fail("the file", &home.public_key(), e))?;
    }
    file(
        home.public_key(),
        &|| Ok(key.verifying_key().to_text()),
        0o644,
    )?;
    let config = home.load_config()?;
    if config.store.url.is_some() {
        // A PostgreSQL store: connecting creates its schema.
        drop(home.open_store_as(&config, Opening::KeptOpen)?);
        return Ok((created, kept));
    }
    let store_existed = home.store().exists();
    SqlStore::open(&home.store(), key).map_err(|e| Failure::internal(e.to_string()))?;
    if store_existed {
        kept.push(home.store());
    } else {
        fs::set_permissions(home.store(), fs::Permissions::from_mode(0o600))
            .map_err(|e| fail("the store", &home.store(), e))?;
        created.push(home.store());
    }
    Ok((created, kept))
}
