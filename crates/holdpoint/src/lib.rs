//! The `holdpoint` command: parses arguments, calls the code for each subcommand, maps
//! errors to exit statuses. `main.rs` only calls [`run`]; the library exists so that
//! tests can drive the server's router without a socket.

mod agents;
mod approvals;
mod check;
mod client;
mod doctor;
mod enforcer;
mod exec;
mod gates;
mod home;
mod hook;
mod humans;
mod install;
mod keep;
mod local;
mod log_cmd;
mod pipeline;
mod policy_cmd;
mod proxy;
mod recovery_cmd;
mod replay;
mod report;
mod sandbox;
mod scope_cmd;
pub mod serve;
mod setup;
mod shown;
mod store_cmd;
mod supervisor;
mod telemetry;
mod throttle;
mod time;
mod turn;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit statuses, as documented in `--help`.
pub(crate) mod exit {
    pub const ALLOW: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const ASK: u8 = 3;
    pub const DENY: u8 = 4;
    /// `holdpoint sandbox` could not confine the command, so it did not run it (125, as
    /// `env` and `timeout` use for their own failures, apart from the command's).
    pub const NOT_CONFINED: u8 = 125;
    /// Standard output was closed before everything was written (`holdpoint log tail |
    /// head -1`): nothing more is said, and the status is a shell's for a process ended
    /// by SIGPIPE, never success, so that no caller takes a cut answer for a whole one.
    pub const CLOSED_OUTPUT: u8 = 141;
}

/// holdpoint: the checkpoint between AI agents and production.
///
/// Every action an agent proposes (a shell command, a SQL statement, a file edit, an MCP
/// call) is analysed for what it would really do and decided by policy: allow, ask (hold
/// for a human) or deny. Held actions run only once a human approves that exact action;
/// everything is recorded in a signed, hash-chained ledger.
///
/// Start with `holdpoint init`, `holdpoint human add NAME` and `holdpoint install
/// claude-code` (or codex, gemini, cursor).
#[derive(Debug, Parser)]
#[command(name = "holdpoint", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide one action, or a batch of them, without running anything
    ///
    /// Examples:
    ///   holdpoint check shell -- 'rm -rf /var/lib/postgresql'
    ///   holdpoint check --env staging sql -- 'DELETE FROM users WHERE 1=1'
    ///   holdpoint check --format json shell -- 'git push --force'
    ///   holdpoint check --batch actions.jsonl
    ///
    /// Exit status: 0 allow, 3 ask, 4 deny, 2 bad input, 1 internal error. With --batch:
    /// 0 once every line has an answer (bad lines get an error object).
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
    /// Decide an agent's past tool calls as if holdpoint had been installed
    ///
    /// Reads Claude Code's transcripts, Codex's rollouts and Gemini CLI's chats
    /// (~/.claude/projects, ~/.codex/sessions and ~/.gemini/tmp, or the files and
    /// directories given, each recognised by its content), turns each tool call into the
    /// action its hook would have proposed, and
    /// decides it in the environment given, with no grants or freezes. Nothing runs and
    /// nothing is recorded. Reports how many calls would have been allowed, held for a
    /// human and refused, by risk and by session, and each held or refused call with its
    /// reasons. Lines that cannot be read are counted and named, never a failure.
    ///
    /// Examples:
    ///   holdpoint replay
    ///   holdpoint replay --since 30d --env staging
    ///   holdpoint replay ~/.claude/projects/-home-dev-app --format json
    #[command(verbatim_doc_comment)]
    Replay(replay::ReplayArgs),
    /// Validate or test policies.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Set up $HOLDPOINT_HOME: configuration, policies, signing key, store
    ///
    /// $HOLDPOINT_HOME is ~/.holdpoint unless set. Writes holdpoint.toml (commented),
    /// policies/default.cedar (the default pack, for editing), keys/ledger.key (Ed25519,
    /// readable only by you) and keys/ledger.pub, and store.db. Keeps whatever already
    /// exists.
    Init,
    /// Check a setup and say what to fix: home, configuration, policies, the store and
    /// its key (or the server named in holdpoint.toml), and each agent's hooks
    ///
    /// Changes nothing. Exit status: 0 when nothing needs fixing, 1 otherwise.
    Doctor {
        /// Check the hooks in this project's settings instead of the user's.
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Answer an agent's hook (agents run this; `holdpoint install` sets it up)
    ///
    /// Reads the agent's tool-call JSON on standard input, decides, records, and answers
    /// in the agent's protocol.
    ///
    /// A held action (`ask`) is answered as a denial naming the approval request; the
    /// identical retry after a human approves is allowed once. Any failure answers deny
    /// (exit status 2), also when the process that decides crashes or takes longer than
    /// 10 s: it is a separate worker, and the hook answers for it.
    Hook {
        /// The agent: claude-code, codex, gemini or cursor.
        #[arg(value_enum)]
        agent: hook::Agent,
        /// The process that does the work for a hook's supervisor.
        #[arg(long, hide = true)]
        worker: bool,
    },
    /// Add holdpoint's hooks to an agent's settings, keeping the rest of the file
    ///
    /// Files: claude-code ~/.claude/settings.json, codex ~/.codex/hooks.json, gemini
    /// ~/.gemini/settings.json, cursor ~/.cursor/hooks.json; with --project DIR, the
    /// same names under DIR.
    ///
    /// `holdpoint install mcp AGENT` puts the agent's MCP servers behind holdpoint
    /// instead (see `holdpoint install mcp --help`).
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        disable_help_subcommand = true
    )]
    Install {
        #[command(subcommand)]
        mcp: Option<McpTarget>,
        /// The agent: claude-code, codex, gemini or cursor.
        #[arg(value_enum, required = true)]
        agent: Option<hook::Agent>,
        /// Install into this project's settings instead of the user's.
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Remove holdpoint's hooks from an agent's settings
    ///
    /// `holdpoint uninstall mcp AGENT` takes the agent's MCP servers out from behind
    /// holdpoint instead.
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        disable_help_subcommand = true
    )]
    Uninstall {
        #[command(subcommand)]
        mcp: Option<McpTarget>,
        /// The agent: claude-code, codex, gemini or cursor.
        #[arg(value_enum, required = true)]
        agent: Option<hook::Agent>,
        /// Remove them from this project's settings instead of the user's.
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Run a command through holdpoint: decide, wait for approval, run or refuse, record
    ///
    /// Example: holdpoint exec -- psql -c 'DROP TABLE sessions'
    ///
    /// Exit status: the command's own, or 4 when refused (3 held with --no-wait), 2 bad
    /// input, 127 when it cannot start.
    Exec(exec::ExecArgs),
    /// Run a command confined by the kernel: writes only in the workspace, no network
    ///
    /// What the command may do (Linux; Landlock, a user namespace, no new privileges):
    ///   - write only in the workspace (the current directory, or --workspace DIR), in
    ///     /tmp, /var/tmp and $TMPDIR (unless it is / or holds $HOME), and to harmless
    ///     devices (/dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/tty, /dev/ptmx,
    ///     /dev/pts/*, /dev/shm);
    ///   - read and run everything else, except holdpoint's home ($HOLDPOINT_HOME, else
    ///     ~/.holdpoint): no file there can be read or written, though names can be
    ///     listed. A workspace that holds the home, or lies inside it, is refused;
    ///   - no network unless --net: the command gets a network namespace of its own
    ///     whose only interface is a loopback that is down, and Landlock refuses TCP
    ///     bind and connect besides;
    ///   - no privileges: it keeps its user and group ids, but in a user namespace of
    ///     its own (root inside is not root outside), set-user-id programs such as sudo
    ///     gain nothing, it cannot signal or trace processes outside the sandbox, reach
    ///     their abstract Unix sockets, or type into the terminal (TIOCSTI).
    ///
    /// Not confined: reading what the user may read outside holdpoint's home (~/.ssh,
    /// say: with --net it can leave the machine); Unix sockets that are files (a
    /// database's in /run/postgresql, holdpoint's serve.sock) even without --net;
    /// whatever the workspace holds that runs later outside the sandbox (.git/hooks,
    /// build scripts); CPU, memory and time. Only entries that exist when the command
    /// starts are reachable in a directory on the way to holdpoint's home; 32-bit x86
    /// programs are stopped. A sandbox cannot be started inside another.
    ///
    /// Fails closed: where the kernel cannot do all of the above (no Landlock, or one
    /// older than Linux 6.12; no unprivileged user namespaces), holdpoint says what is
    /// missing and runs nothing, unless --allow-unconfined.
    ///
    /// Examples:
    ///   holdpoint sandbox -- cargo test
    ///   holdpoint sandbox --net -- npm install
    ///   holdpoint sandbox --workspace ~/src/app -- make -C ~/src/app check
    ///
    /// Exit status: the command's own; 125 when it could not be confined (it did not
    /// run), 126 when it cannot be run, 127 when it is not found, 2 for bad input.
    #[command(verbatim_doc_comment)]
    Sandbox(sandbox::SandboxArgs),
    /// Approval requests: list, show, approve, deny.
    #[command(subcommand)]
    Approvals(approvals::ApprovalsCommand),
    /// Task-scoped grants for agents: create, list, revoke.
    #[command(subcommand)]
    Grant(scope_cmd::GrantCommand),
    /// Freezes: start, end, list.
    #[command(subcommand)]
    Freeze(scope_cmd::FreezeCommand),
    /// The ledger: show, tail, export, verify, checkpoint, receipt.
    #[command(subcommand)]
    Log(log_cmd::LogCommand),
    /// Where the state is kept: copy it to another store (a team's PostgreSQL database).
    #[command(subcommand)]
    Store(store_cmd::StoreCommand),
    /// Sending the ledger to an OpenTelemetry collector (`[telemetry]`): status, send
    ///
    /// Every record goes as an OTLP log record and every decided action as a span of its
    /// session's trace, over OTLP/HTTP. `holdpoint serve`, `pg` and `mcp` send while they
    /// run; a collector that is down delays no decision and misses nothing.
    #[command(subcommand)]
    Telemetry(telemetry::TelemetryCommand),
    /// What an agent session did, from the ledger
    ///
    /// Every action proposed, the decision, who approved, what happened, what is blocked
    /// or still pending: built from the ledger, never from the agent's own account.
    Report {
        /// The agent's session id (Claude Code, Codex and Gemini `session_id`, Cursor
        /// `conversation_id`, or `holdpoint exec --session`).
        #[arg(long)]
        session: String,
        /// `text` for a person, `json` for a program, `md` for a document to keep.
        #[arg(long, value_enum, default_value_t = report::ReportFormat::Text)]
        format: report::ReportFormat,
    },
    /// Humans who may approve, grant and end freezes.
    #[command(subcommand)]
    Human(humans::HumanCommand),
    /// Agent identities: the credentials agents present to `holdpoint serve` and `holdpoint
    /// pg`.
    #[command(subcommand)]
    Agent(agents::AgentCommand),
    /// Run the server: decisions for hooks and exec, the JSON API and the web console
    ///
    /// Serves the console and the API at http://127.0.0.1:7878 and a Unix socket at
    /// $HOLDPOINT_HOME/serve.sock (see [server] in holdpoint.toml). Hooks and `holdpoint
    /// exec` use it once holdpoint.toml says `url = "unix"` (or an http:// address) and
    /// they have an agent credential (`holdpoint agent add NAME --write agent.token`).
    ///
    /// Humans sign in to the console with the name and secret of `holdpoint human add`.
    /// The API is described at /api/v1/openapi.json.
    Serve(serve::ServeArgs),
    /// Set up this machine so that the agents cannot touch holdpoint (as root)
    ///
    /// --system: a `holdpoint` system user and group (no log-in shell); its home
    /// /var/lib/holdpoint (0700) with holdpoint.toml, keys, policies, the store and
    /// credentials/ for upstream passwords; the socket's directory /run/holdpoint, which
    /// only the `holdpoint-agents` group may enter (the socket is 0660); a tmpfiles.d
    /// rule; and hardened systemd units for `holdpoint serve` (holdpoint.service) and
    /// the proxies (holdpoint-gateway@pg.service runs `holdpoint pg`). Where systemd runs,
    /// the server is enabled and started; elsewhere setup says how to start it by hand.
    ///
    /// --user NAME: lets that OS user's agents be governed: adds it to the agents' group,
    /// issues it an agent credential in ~NAME/.holdpoint/agent.token (0600, its own),
    /// points its hooks at the server's socket (~NAME/.holdpoint/holdpoint.toml; the
    /// hooks never open a store), installs them (--agent, default claude-code), and
    /// checks that NAME can read or write nothing under holdpoint's home.
    ///
    /// Running either again changes nothing that is already right, and says so;
    /// --dry-run says what would be done.
    ///
    /// Examples:
    ///   sudo holdpoint setup --system
    ///   sudo holdpoint setup --user agent --agent claude-code --agent codex
    #[command(verbatim_doc_comment)]
    Setup(setup::SetupArgs),
    /// Steps of `holdpoint setup` run as another user.
    #[command(hide = true)]
    SetupStep {
        #[command(subcommand)]
        step: setup::Step,
    },
    /// Run the PostgreSQL proxy: agents reach a database only through holdpoint
    ///
    /// Agents connect with their holdpoint credential (user: the agent's name, password:
    /// its token from `holdpoint agent add`); only holdpoint holds the database's
    /// credentials. Every statement is analysed and decided by policy before it is
    /// forwarded: refused statements get SQLSTATE 42501 with the reasons; held ones wait
    /// for a human's approval (with notices naming the request) or, with --no-wait, are
    /// refused at once naming it. What each statement did is recorded in the ledger.
    /// Before an allowed destructive statement runs, what it would destroy is kept in the
    /// database's holdpoint_recovery schema (see `holdpoint recovery` and `holdpoint
    /// restore`).
    ///
    /// Example:
    ///   holdpoint pg --listen 127.0.0.1:6432 --upstream postgres://app@db:5432/app --env production
    ///   PGPASSWORD=$TOKEN psql -h 127.0.0.1 -p 6432 -U claude-code app
    #[command(verbatim_doc_comment)]
    Pg(proxy::pg::PgArgs),
    /// Put holdpoint between an agent and its MCP servers (stdio, or Streamable HTTP)
    ///
    /// The agent's MCP configuration launches `holdpoint mcp -- COMMAND ARGS…` instead of
    /// the server; holdpoint starts the server as its child and relays every message.
    /// Each tools/call, resources/read and prompts/get is analysed by what the server is
    /// and what its arguments say (SQL, command lines, paths, URLs), decided by policy
    /// and recorded before it is forwarded; nothing undecided reaches the server. Other
    /// messages (initialize, ping, the lists, notifications) pass through. What each
    /// call did (error or not, size, duration) is recorded in the ledger, under one
    /// session per gateway process.
    ///
    /// An .mcp.json entry, before:
    ///   "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv/app"]}
    /// after:
    ///   "files": {"command": "holdpoint", "args": ["mcp", "--name", "files", "--",
    ///             "npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv/app"]}
    ///
    /// What the agent sees:
    ///   allow  the server's own answer.
    ///   deny   a tool result with "isError": true whose text gives holdpoint's reasons
    ///          (for resources/read and prompts/get, a JSON-RPC error, code -32001).
    ///   ask    the same, naming the approval request (apr-…), how a human approves it
    ///          (`holdpoint approvals approve ID`, at their own terminal), and that the
    ///          identical call, retried after approval, runs once; a changed argument is
    ///          a new request.
    ///   Freezes and grants apply as everywhere. A call holdpoint cannot decide or
    ///   record is refused, never forwarded.
    ///
    /// Standard output carries only the protocol; holdpoint's own lines and the
    /// server's standard error go to standard error. A malformed or oversized (16 MiB)
    /// message from the agent is answered with a JSON-RPC error and the session goes
    /// on; from the server it ends the session.
    ///
    /// Exit status: 0 when the agent closed the session and the server exited cleanly;
    /// the server's status, or 1, when the server ended first or broke the protocol; 2
    /// bad input; 127 when the server cannot start.
    ///
    /// Over Streamable HTTP: `holdpoint mcp --listen 127.0.0.1:7900` serves every
    /// [[mcp]] server of holdpoint.toml at http://ADDRESS/mcp/NAME, deciding the same
    /// way. A server is started for each agent session (`command`, `args`, `env`) or
    /// reached at its `url` with credentials only holdpoint holds (`bearer`, `headers`,
    /// each written `env:VARIABLE` or `file:PATH`, never in plain text):
    ///   [[mcp]]
    ///   name = "files"
    ///   command = "npx"
    ///   args = ["-y", "@modelcontextprotocol/server-filesystem", "/srv/app"]
    ///   [[mcp]]
    ///   name = "github"
    ///   url = "https://api.githubcopilot.com/mcp/"
    ///   bearer = "file:credentials/github.token"
    /// Other fields: environment (else --env, $HOLDPOINT_ENV, holdpoint.toml's), env =
    /// { NAME = "value" or "env:…" or "file:…" } (a command's), headers = { NAME =
    /// "env:…" } (a url's), trusted, hide_tools, refused_tools ("hide", "mark" or
    /// "show", as --refused-tools), roots, wait ("50s"), sampling and elicitation
    /// (true: the server's requests of those kinds reach the agent).
    /// Agents send their holdpoint credential (`Authorization: Bearer hpa.…`, from
    /// `holdpoint agent add`): without it, 401 and nothing is forwarded. A page from
    /// another web origin than this machine's (or --allow-origin) gets 403. Requests
    /// are answered as event streams; `Mcp-Session-Id` names the session; DELETE ends
    /// it; GET with it opens a stream for the server's own messages. Stops on SIGTERM
    /// or Ctrl-C, ending every session and writing the ledger's last records; exit
    /// status 2 for a bad [[mcp]] entry.
    #[command(verbatim_doc_comment)]
    Mcp(proxy::mcp::McpArgs),
    /// Recovery points the PostgreSQL proxy kept before destructive statements: list,
    /// purge.
    #[command(subcommand)]
    Recovery(recovery_cmd::RecoveryCommand),
    /// Put a recovery point back (a human, at a terminal)
    ///
    /// A dropped table comes back with every row, index and constraint; rows a
    /// TRUNCATE, DELETE or UPDATE removed or overwrote are put back. Refused, changing
    /// nothing, when the table changed in a way that makes it unsafe (a new table of the
    /// same name, other columns, no primary key to match overwritten rows by). Connects
    /// as the proxy's database user, with the proxy's password (the [[database]]'s
    /// password_file, else $HOLDPOINT_UPSTREAM_PASSWORD_FILE or $HOLDPOINT_UPSTREAM_PASSWORD).
    Restore(recovery_cmd::RestoreArgs),
}

/// `holdpoint install mcp AGENT` and `holdpoint uninstall mcp AGENT`.
#[derive(Debug, Subcommand)]
enum McpTarget {
    /// The agent's MCP servers: each one is reached through holdpoint's gateway
    ///
    /// install: every stdio server entry's command and args become
    ///   holdpoint mcp --name NAME -- COMMAND ARGS…
    /// (holdpoint by its absolute path, NAME the entry's name). Every remote server
    /// (Streamable HTTP) moves behind `holdpoint mcp --listen`: its address and
    /// credentials go to an [[mcp]] entry NAME of holdpoint.toml (each credential written
    /// out in the entry is kept in $HOLDPOINT_HOME/credentials/, mode 0600; one the entry
    /// took from an environment variable stays that variable, which holdpoint's
    /// environment must then give), and the agent's entry points at GATEWAY/mcp/NAME
    /// with `Authorization: Bearer` and the agent's holdpoint credential from
    /// --credential-env, so the agent holds nothing that reaches the server without
    /// holdpoint. Every other field of an entry and everything else in the file is kept.
    /// An entry that already goes through holdpoint is left alone, so installing twice
    /// changes nothing.
    ///
    /// uninstall: each stdio entry that goes through `holdpoint mcp` gets back the
    /// command and args that follow the `--`; each remote one that points at the
    /// gateway gets back the address and credentials of holdpoint's [[mcp]] entry of
    /// its name (which is kept).
    ///
    /// Files, for the user / with --project DIR:
    ///   claude-code  ~/.claude.json (mcpServers, and projects.<dir>.mcpServers)
    ///                / DIR/.mcp.json
    ///   cursor       ~/.cursor/mcp.json / DIR/.cursor/mcp.json
    ///   gemini       ~/.gemini/settings.json / DIR/.gemini/settings.json (mcpServers)
    ///   codex        ~/.codex/config.toml / DIR/.codex/config.toml ([mcp_servers.NAME];
    ///                rewritten from its values: its comments are not kept)
    ///
    /// Left as they are, one line each on standard error: servers over the older
    /// HTTP+SSE transport (`type: "sse"`, Gemini CLI's `url`, an address ending in
    /// /sse), headers that mix text with a variable or that the transport sets itself,
    /// a name holdpoint.toml already gives another address (one it serves at the same
    /// address is used as it is, with its credentials). A file that does not parse is
    /// reported and nothing at all is written.
    ///
    /// Example: holdpoint install mcp claude-code --project .
    #[command(verbatim_doc_comment)]
    Mcp {
        /// The agent: claude-code, codex, gemini or cursor.
        #[arg(value_enum)]
        agent: hook::Agent,
        /// The project's configuration instead of the user's.
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// Where `holdpoint mcp --listen` serves, for remote servers.
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:7900")]
        gateway: String,
        /// The environment variable that gives the agent its holdpoint credential
        /// (`hpa.…`), which its remote server entries send to the gateway.
        #[arg(
            long = "credential-env",
            value_name = "VARIABLE",
            default_value = "HOLDPOINT_AGENT_TOKEN"
        )]
        credential_env: String,
    },
}

impl McpTarget {
    /// The agent, its project (if any), and where its remote servers are moved to.
    fn parts(self) -> (hook::Agent, Option<PathBuf>, install::mcp::Gateway) {
        let McpTarget::Mcp {
            agent,
            project,
            gateway,
            credential_env,
        } = self;
        let gateway = install::mcp::Gateway {
            url: gateway,
            variable: credential_env,
        };
        (agent, project, gateway)
    }
}

/// Runs the command line. The command runs on a thread of its own whose stack holds the
/// deepest nesting the analysers accept; the main thread's stack is the system's.
pub fn run() -> ExitCode {
    let mut finish = None;
    let command = match hook_command().unwrap_or_else(|| Cli::parse().command) {
        // The hook is supervised by a process that answers for its worker (see
        // `supervisor`); the worker is made here, while the process has one thread.
        Command::Hook {
            agent,
            worker: false,
        } => match supervisor::supervise(agent) {
            supervisor::Supervised::Answered(code) => return ExitCode::from(code),
            supervisor::Supervised::Worker(end) => {
                finish = Some(end);
                Command::Hook {
                    agent,
                    worker: true,
                }
            }
        },
        command => command,
    };
    let result = match command {
        // The sandbox enters a user namespace of its own, which the kernel allows only
        // to a process with one thread; it analyses nothing.
        Command::Sandbox(args) => sandbox::run(&args),
        command => {
            // A listing cut short by its reader (`| head`) ends quietly, as in
            // `Failure::writing`; any other panic is reported as it always is.
            let report = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !closed_output(info.payload()) {
                    report(info);
                }
            }));
            let command = local::analysis_thread("holdpoint").spawn(move || execute(command));
            match command.map(std::thread::JoinHandle::join) {
                Ok(Ok(result)) => result,
                Ok(Err(payload)) if closed_output(payload.as_ref()) => {
                    Err(Failure::closed_output())
                }
                Ok(Err(_)) => Err(Failure::internal("holdpoint failed unexpectedly")),
                Err(e) => Err(Failure::internal(format!("cannot start a thread: {e}"))),
            }
        }
    };
    let code = match result {
        Ok(code) => code,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("holdpoint: {}", failure.message);
            }
            failure.code
        }
    };
    if let Some(finish) = finish {
        finish.finish(code);
    }
    ExitCode::from(code)
}

/// `holdpoint hook AGENT` and its worker, read without building the whole command
/// line's parser: the hook runs on every tool call of every agent. Anything else
/// (help, a misspelt agent) is left to the parser.
fn hook_command() -> Option<Command> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "hook" {
        return None;
    }
    let (worker, agent) = match (args.next()?, args.next(), args.next()) {
        (flag, Some(agent), None) if flag == "--worker" => (true, agent),
        (agent, None, None) => (false, agent),
        _ => return None,
    };
    let agent = <hook::Agent as clap::ValueEnum>::from_str(agent.to_str()?, false).ok()?;
    Some(Command::Hook { agent, worker })
}

fn execute(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Check(args) => check::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Policy(command) => policy_cmd::run(&command),
        Command::Init => home::init(),
        Command::Doctor { project } => doctor::run(project.as_deref()),
        // `run` has made the worker of a supervised hook by now.
        Command::Hook { agent, .. } => hook::work(agent),
        Command::Install {
            mcp: Some(target), ..
        } => {
            let (agent, project, gateway) = target.parts();
            install::mcp::install(agent, project.as_deref(), &gateway)
        }
        Command::Uninstall {
            mcp: Some(target), ..
        } => {
            let (agent, project, gateway) = target.parts();
            install::mcp::uninstall(agent, project.as_deref(), &gateway)
        }
        Command::Install {
            agent: Some(agent),
            project,
            ..
        } => install::install(agent, project.as_deref()),
        Command::Uninstall {
            agent: Some(agent),
            project,
            ..
        } => install::uninstall(agent, project.as_deref()),
        Command::Install { agent: None, .. } | Command::Uninstall { agent: None, .. } => Err(
            Failure::usage("name the agent, e.g. holdpoint install claude-code"),
        ),
        Command::Exec(args) => exec::run(&args),
        Command::Sandbox(_) => Err(Failure::internal(
            "the sandbox runs on the main thread; this is a bug",
        )),
        Command::Approvals(command) => approvals::run(&command),
        Command::Grant(command) => scope_cmd::grant(&command),
        Command::Freeze(command) => scope_cmd::freeze(&command),
        Command::Log(command) => log_cmd::run(&command),
        Command::Store(command) => store_cmd::run(&command),
        Command::Telemetry(command) => telemetry::run(&command),
        Command::Report { session, format } => report::run(&session, format),
        Command::Human(command) => humans::run(&command),
        Command::Agent(command) => agents::run(&command),
        Command::Serve(args) => serve::run(&args),
        Command::Setup(args) => setup::run(&args),
        Command::SetupStep { step } => setup::step(&step),
        Command::Pg(args) => proxy::pg::run(&args),
        Command::Mcp(args) => proxy::mcp::run(&args),
        Command::Recovery(command) => recovery_cmd::run(&command),
        Command::Restore(args) => recovery_cmd::restore(&args),
    }
}

/// A failure to report: one line for the user and the exit status that goes with it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad input from the user: exit status 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: exit::USAGE,
        }
    }

    /// Something holdpoint itself could not do: exit status 1.
    pub fn internal(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: exit::INTERNAL,
        }
    }

    /// A write to standard output failed: quietly [`exit::CLOSED_OUTPUT`] when the reader
    /// went away, else an internal failure saying what was being written.
    pub fn writing(what: &str, error: &std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::closed_output()
        } else {
            Failure::internal(format!("cannot write {what}: {error}"))
        }
    }

    /// Standard output was closed: [`exit::CLOSED_OUTPUT`], and nothing said.
    fn closed_output() -> Self {
        Failure {
            message: String::new(),
            code: exit::CLOSED_OUTPUT,
        }
    }
}

/// Whether a panic is `print!`'s on a closed standard output.
fn closed_output(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to stdout") && text.contains("Broken pipe")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    /// Every command, option and argument of the command line, with where it is.
    fn undocumented(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        let path = format!("{path} {}", command.get_name());
        if command.get_about().is_none() && command.get_long_about().is_none() {
            missing.push(format!("{path}: the command"));
        }
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") || arg.is_hide_set() {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                let name = arg
                    .get_long()
                    .map_or_else(|| format!("<{id}>"), |long| format!("--{long}"));
                missing.push(format!("{path}: {name}"));
            }
        }
        for sub in command.get_subcommands() {
            if sub.get_name() != "help" && !sub.is_hide_set() {
                undocumented(sub, &path, missing);
            }
        }
    }

    #[test]
    fn every_command_option_and_argument_says_what_it_is_for() {
        let mut missing = Vec::new();
        undocumented(&Cli::command(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "without help text:\n{}",
            missing.join("\n")
        );
    }
}
