//! `holdpoint mcp -- COMMAND ARGS…`: the MCP gateway over stdio. The agent launches it
//! instead of the MCP server; it starts the server as its child and sits between them.
//!
//! The shape every proxy takes: a codec ([`codec`]: lines to JSON-RPC messages), a
//! session machine ([`session`]: what is pending, what waits for a decision, whose id is
//! whose) and this thin loop, which only moves bytes, decisions and records. Threads,
//! not tasks: one reads the client, one the server, one decides and records (so the
//! loop serves other messages while a call is decided), and the loop writes, once no
//! event is waiting, so that the messages of a burst go together.
//!
//! Deciding on this machine goes through the [`Decider`] `holdpoint serve` and
//! `holdpoint pg` use: a call policy simply allows as a read is decided in the deciding
//! thread itself and forwarded at once, its records written with the next batch (within
//! milliseconds); every other call is handed to the decider's threads, which decide what
//! is waiting and settle it in one commit, and is answered once durable. With a
//! `[server] url` the server is asked, one call at a time, as before.
//!
//! Standard output belongs to the protocol: nothing else is ever printed there; the
//! gateway's own lines go to standard error, which the server shares.

pub(crate) mod codec;
pub(crate) mod http;
pub(crate) mod modern;
pub(crate) mod params;
pub(crate) mod session;
pub(crate) mod upstream;

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use clap::Args;
use holdpoint_core::{Action, Analysis, Environment, McpCall, McpServer, Surface};
use holdpoint_ledger::ApprovalState;
use holdpoint_policy::{Decision, Outcome};
use holdpoint_store::Executed;

use crate::enforcer::{self, Enforcer};
use crate::home::Home;
use crate::pipeline::{Decided, Request, action_for, confined, explain};
use crate::serve::decider::{Allowed, Decider, Early, InForce, Pending, Stamp};
use crate::{Failure, exit, local};

use codec::{CodecError, Line, Lines, Message};
use session::{Config, Output, Session, Verdict};

#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    /// The server's name, for people and the ledger [default: the command's file name].
    /// Never used to recognise the server: that is done by its command and what it
    /// announces.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The environment the server acts in [default: $HOLDPOINT_ENV, else holdpoint.toml,
    /// else production]. With --listen, that of every [[mcp]] entry that names none.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// Trust the server's own tool annotations (readOnlyHint, destructiveHint, …) for
    /// tools holdpoint does not know. Without it an unknown tool is at least a change.
    #[arg(long)]
    trusted: bool,
    /// The agent identity to record.
    #[arg(long, default_value = "mcp")]
    agent: String,
    /// Hide this tool: it is left out of `tools/list` and a call to it is refused.
    /// Repeatable.
    #[arg(long = "hide-tool", value_name = "NAME")]
    hide_tool: Vec<String>,
    /// What `tools/list` does with a tool the policy refuses this agent whatever the
    /// call's arguments (judged by the lowest risk class a call of it can have): leave
    /// it out (`hide`), say so in its description (`mark`), or list it as it is
    /// (`show`). Calls to it are decided, and refused, either way.
    #[arg(
        long = "refused-tools",
        value_name = "WHAT",
        value_enum,
        default_value_t
    )]
    refused_tools: session::RefusedTools,
    /// A root the server is told of when it asks (`roots/list`); the client is never
    /// asked, so it cannot widen them. Repeatable [default: the working directory].
    #[arg(long = "root", value_name = "DIR")]
    root: Vec<std::path::PathBuf>,
    /// How long a held call stays open, with progress notifications, when the client
    /// asked for progress; approved within it, the call runs. At most 55, inside the
    /// common SDKs' 60 s timeout; 0 answers at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 50)]
    wait: u64,
    /// Pass the server's sampling requests (`sampling/createMessage`: text from the
    /// agent's model, on a prompt the server writes) to the client. Without it they are
    /// refused and the client is announced to the server without the capability.
    #[arg(long)]
    allow_sampling: bool,
    /// Pass the server's elicitation requests (`elicitation/create`: questions put to
    /// the person) to the client. Without it they are refused, as sampling is.
    #[arg(long)]
    allow_elicitation: bool,
    /// Serve every `[[mcp]]` server of holdpoint.toml over Streamable HTTP at this
    /// address, each at /mcp/NAME, instead of one server over stdio. Agents present their
    /// holdpoint credential (`Authorization: Bearer hpa.…`, from `holdpoint agent add`).
    #[arg(
        long,
        value_name = "ADDRESS",
        conflicts_with_all = [
            "name",
            "trusted",
            "agent",
            "hide_tool",
            "refused_tools",
            "root",
            "wait",
            "allow_sampling",
            "allow_elicitation",
        ]
    )]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// With --listen: a web origin (`https://app.example.com`) whose pages may call the
    /// gateway, besides this machine's own (`http://localhost:PORT`, `http://127.0.0.1`,
    /// `http://[::1]`); any other `Origin` is refused (403), against DNS rebinding.
    /// Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "listen")]
    pub(crate) allow_origin: Vec<String>,
    /// The server's command and its arguments, after `--`.
    #[arg(
        required_unless_present = "listen",
        conflicts_with = "listen",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<String>,
}

/// How long the server may take to exit once the client has gone and its input is
/// closed, before it is stopped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How long, at most, the records still on their way to the ledger may take to be
/// written when the gateway stops.
const FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// How long outcomes wait to be recorded together, and how many at most: a decision
/// never waits behind them, and under load one sync records many.
const RECORD_DELAY: Duration = Duration::from_millis(20);
const RECORD_BATCH: usize = 64;

/// What the loop waits for.
enum Event {
    Client(Result<(Message, usize), CodecError>),
    /// The client's input ended; `partial`: inside a message.
    ClientClosed {
        partial: bool,
    },
    Server(Result<(Message, usize), CodecError>),
    ServerClosed {
        partial: bool,
    },
    Decided(u64, Verdict),
    /// A watched approval request is no longer pending.
    Approval(String, ApprovalState),
    /// A message an agent posted over HTTP, and where the answers to it go when it is a
    /// request.
    Posted {
        message: Message,
        answers: Option<http::Answers>,
    },
    /// A stream an agent opened over HTTP (GET) for the server's own messages.
    Listening(http::Listening),
}

/// What the approval watcher is asked to do.
enum Watch {
    Start(String),
    Stop(String),
}

/// What the deciding thread is asked to do.
enum Job {
    Decide(u64, Request),
    /// What the call decided with that ticket did.
    Record(u64, Call, Executed),
    /// Record a call refused before any decision, and why.
    Refused(Request, String),
}

/// Who asks for a session's calls: what each of its requests says besides the call.
struct Asker {
    cwd: String,
    agent: String,
    session: String,
}

impl Asker {
    /// The request an MCP call is proposed as.
    fn request(&self, call: &McpCall) -> Request {
        Request {
            surface: Surface::Mcp,
            input: call.to_input(),
            cwd: self.cwd.clone(),
            workspace: None,
            agent: self.agent.clone(),
            session: Some(self.session.clone()),
            content: Vec::new(),
            written: None,
            confined: false,
            home: None,
        }
    }
}

/// A call with who asked for it, made a request only where one is needed: the outcome
/// of a read allowed at once needs none.
struct Call {
    call: McpCall,
    asker: Arc<Asker>,
}

impl Call {
    fn request(&self) -> Request {
        self.asker.request(&self.call)
    }
}

pub(crate) fn run(args: &McpArgs) -> Result<u8, Failure> {
    if let Some(listen) = args.listen {
        return http::run(listen, args.env.as_deref(), &args.allow_origin);
    }
    let Some((program, rest)) = args.command.split_first() else {
        return Err(Failure::usage(
            "give the MCP server's command after `--`, e.g. holdpoint mcp -- npx -y @modelcontextprotocol/server-filesystem .",
        ));
    };
    let name = args.name.clone().unwrap_or_else(|| {
        std::path::Path::new(program)
            .file_name()
            .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned())
    });
    let server = McpServer {
        name: name.clone(),
        command: args.command.clone(),
        url: None,
        info: None,
        trusted: args.trusted,
    };
    let cwd = local::current_dir()?;
    let mut config = config(args, &cwd)?;
    let session_id = format!(
        "mcp-{}-{}",
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
            .take(32)
            .collect::<String>(),
        holdpoint_store::new_id("")
            .map_err(|e| Failure::internal(e.to_string()))?
            .trim_start_matches('-')
    );

    let (events, inbox) = mpsc::channel::<Event>();
    let (jobs, decider, judged) = start_decider(args.env.clone(), events.clone())?;
    match judged {
        Some((in_force, environment)) => {
            config.policy = Some(policy_view(in_force, &args.agent, environment));
        }
        None if config.refused_tools != session::RefusedTools::Show => eprintln!(
            "holdpoint mcp: tools the policy refuses outright are listed as they are when deciding through `holdpoint serve` or `$HOLDPOINT_POLICIES`; their calls are decided all the same"
        ),
        None => {}
    }
    let watcher = WatcherHandle {
        env: args.env.clone(),
        events: events.clone(),
        sender: None,
    };

    let mut child = Command::new(program)
        .args(rest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Failure {
            message: format!("cannot start the MCP server `{program}`: {e}"),
            code: 127,
        })?;
    let server_in = child.stdin.take();
    let server_out = child.stdout.take();
    let (Some(server_in), Some(server_out)) = (server_in, server_out) else {
        let _ = child.kill();
        return Err(Failure::internal("the MCP server's pipes were not made"));
    };
    eprintln!(
        "holdpoint mcp: {name} started (pid {}); every tools/call, resources/read and prompts/get is decided first, recorded as session {session_id}",
        child.id()
    );
    let to_client = events.clone();
    spawn_reader(
        "holdpoint-mcp-client",
        std::io::stdin(),
        to_client,
        Event::Client,
        |partial| Event::ClientClosed { partial },
    )?;
    spawn_reader(
        "holdpoint-mcp-server",
        server_out,
        events,
        Event::Server,
        |partial| Event::ServerClosed { partial },
    )?;

    let mut driver = Driver {
        session: Session::new(server, config),
        watcher,
        server: Upstream::Child {
            child,
            input: Some(server_in),
        },
        client: Downstream::Stdout(std::io::stdout()),
        jobs,
        undecided: VecDeque::new(),
        asker: Arc::new(Asker {
            cwd,
            agent: args.agent.clone(),
            session: session_id,
        }),
        label: String::new(),
        outbox: Outbox::default(),
    };
    let code = driver.run(&inbox);
    // Every outcome given to the deciding thread is recorded before the gateway exits.
    drop(driver);
    let _ = decider.join();
    Ok(code)
}

/// The session's configuration from the command line: hidden tools, roots (each an
/// existing directory), the wait, what the server may ask of the client.
fn config(args: &McpArgs, cwd: &str) -> Result<Config, Failure> {
    session_config(
        &args.hide_tool,
        &args.root,
        Duration::from_secs(args.wait),
        session::Asks {
            sampling: args.allow_sampling,
            elicitation: args.allow_elicitation,
        },
        args.refused_tools,
        cwd,
        "--root",
    )
}

/// A session's configuration: hidden tools, roots (each an existing directory, relative
/// to `cwd`; none: `cwd`), the wait, what the server may ask; `roots_named` is how the
/// user gave the roots, for the error.
fn session_config(
    hidden: &[String],
    roots: &[std::path::PathBuf],
    wait: Duration,
    asks: session::Asks,
    refused_tools: session::RefusedTools,
    cwd: &str,
    roots_named: &str,
) -> Result<Config, Failure> {
    let dirs = if roots.is_empty() {
        vec![std::path::PathBuf::from(cwd)]
    } else {
        roots.to_vec()
    };
    let mut found = Vec::new();
    for dir in dirs {
        let absolute = std::path::Path::new(cwd).join(&dir);
        let real = std::fs::canonicalize(&absolute)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "`{roots_named} {}` is not a directory; give directories the server may reach",
                    dir.display()
                ))
            })?;
        found.push(session::root(&real));
    }
    if wait > session::MOST_WAIT {
        eprintln!(
            "holdpoint mcp: a wait of {}s is past the common clients' 60 s timeout; held calls wait {}s",
            wait.as_secs(),
            session::MOST_WAIT.as_secs()
        );
    }
    Ok(Config {
        hidden: hidden.iter().cloned().collect(),
        roots: found,
        wait,
        asks,
        refused_tools,
        policy: None,
    })
}

/// What the policies in force say of `agent`'s tools in `environment` before any call:
/// whether they refuse it every call from a risk class up.
fn policy_view(in_force: InForce, agent: &str, environment: Environment) -> session::PolicyView {
    let agent = agent.to_owned();
    let target = local::default_target(Surface::Mcp, environment);
    session::PolicyView::new(move |lowest| {
        in_force.current().is_some_and(|engine| {
            engine.refuses_from(lowest, &agent, &target, environment, Surface::Mcp)
        })
    })
}

/// The thread that watches approval requests for held calls, started at the first.
struct WatcherHandle {
    env: Option<String>,
    events: Sender<Event>,
    sender: Option<Sender<Watch>>,
}

impl WatcherHandle {
    fn send(&mut self, watch: Watch) {
        if self.sender.is_none() {
            if matches!(watch, Watch::Stop(_)) {
                return;
            }
            let (sender, queue) = mpsc::channel::<Watch>();
            let env = self.env.clone();
            let events = self.events.clone();
            let started = std::thread::Builder::new()
                .name("holdpoint-mcp-approvals".to_owned())
                .spawn(move || watch_approvals(env.as_deref(), &queue, &events));
            if let Err(e) = started {
                // Held calls then wait their time out and are answered as held.
                eprintln!("holdpoint mcp: cannot watch approvals: {e}");
                return;
            }
            self.sender = Some(sender);
        }
        if let Some(sender) = &self.sender {
            let _ = sender.send(watch);
        }
    }
}

/// Polls each watched approval request until it is no longer pending, reporting then.
/// Its own store or server connection, so that deciding never waits behind it.
fn watch_approvals(env: Option<&str>, queue: &Receiver<Watch>, events: &Sender<Event>) {
    let enforcer = match Enforcer::open(env) {
        Ok(enforcer) => enforcer,
        Err(failure) => {
            eprintln!(
                "holdpoint mcp: cannot watch approvals, so held calls wait their time out: {}",
                failure.message
            );
            return;
        }
    };
    let mut watched: Vec<String> = Vec::new();
    loop {
        let command = if watched.is_empty() {
            queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            queue.try_recv().map_err(|e| match e {
                mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                mpsc::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
            })
        };
        match command {
            Ok(Watch::Start(id)) => {
                if !watched.contains(&id) {
                    watched.push(id);
                }
                continue;
            }
            Ok(Watch::Stop(id)) => {
                watched.retain(|w| *w != id);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        // A local store is read every quarter second; a server answers as soon as the
        // request changes, or after a second.
        let wait = Duration::from_secs(1) / u32::try_from(watched.len()).unwrap_or(1).max(1);
        let mut settled = Vec::new();
        for id in &watched {
            match enforcer.approval_state(id, wait) {
                Ok(ApprovalState::Pending) => {}
                Ok(state) => settled.push((id.clone(), state)),
                Err(failure) => eprintln!(
                    "holdpoint mcp: cannot read approval request {id}: {}",
                    failure.message
                ),
            }
        }
        for (id, state) in settled {
            watched.retain(|w| *w != id);
            if events.send(Event::Approval(id, state)).is_err() {
                return;
            }
        }
    }
}

/// What the gateway decides with.
enum Deciding {
    /// On this machine, in batches.
    Local {
        decider: Decider,
        environment: Environment,
    },
    /// Through `holdpoint serve` (`[server] url`), or with a policy directory other than
    /// the home's (`$HOLDPOINT_POLICIES`), which the decider does not watch.
    Enforcer(Enforcer),
}

impl Deciding {
    fn open(env: Option<&str>) -> Result<Self, Failure> {
        let mut home = Home::locate();
        let config = home.load_config()?;
        let elsewhere = std::env::var_os("HOLDPOINT_POLICIES")
            .filter(|d| !d.is_empty())
            .is_some_and(|d| std::path::Path::new(&d) != home.policies());
        if config.server.url.is_some() || elsewhere {
            return Enforcer::open(env).map(Deciding::Enforcer);
        }
        home.dir = std::path::absolute(&home.dir)
            .map_err(|e| Failure::internal(format!("cannot resolve $HOLDPOINT_HOME: {e}")))?;
        home.check_owner()?;
        let environment = crate::home::environment(env, &config)?;
        let engine = local::policy_engine_in(&home.policies())?;
        // Kept open for the session.
        let store = home.open_store_as(&config, crate::home::Opening::KeptOpen)?;
        // Grants and freezes are read through connections of their own, so that
        // deciding never waits for the writer's sync.
        let reader = home.open_store_as(&config, crate::home::Opening::ToRead)?;
        let inline_reader = home.open_store_as(&config, crate::home::Opening::ToRead)?;
        let decider = Decider::start(
            std::sync::Arc::new(store),
            reader,
            inline_reader,
            engine,
            config,
            home.dir.clone(),
        )?;
        Ok(Deciding::Local {
            decider,
            environment,
        })
    }
}

/// The policies a gateway decides with on this machine, and its environment: what its
/// tool lists are judged by.
type Judged = Option<(InForce, Environment)>;

/// Starts the thread that decides and records, on a stack analysis can use, and waits
/// until it has opened the store or the server it decides with.
fn start_decider(
    env: Option<String>,
    events: Sender<Event>,
) -> Result<(Sender<Job>, std::thread::JoinHandle<()>, Judged), Failure> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let (ready, opened) = mpsc::channel::<Result<Judged, Failure>>();
    let thread = local::analysis_thread("holdpoint-mcp-decider")
        .spawn(move || match Deciding::open(env.as_deref()) {
            Ok(Deciding::Local {
                decider,
                environment,
            }) => {
                let (waits, waiting) = mpsc::channel::<(u64, Waiting)>();
                let answers = events.clone();
                let waiter = std::thread::Builder::new()
                    .name("holdpoint-mcp-settle".to_owned())
                    .spawn(move || answer_when_settled(&waiting, &answers));
                let waiter = match waiter {
                    Ok(waiter) => waiter,
                    Err(e) => {
                        let _ = ready.send(Err(Failure::internal(format!(
                            "cannot start a thread: {e}"
                        ))));
                        return;
                    }
                };
                let _ = ready.send(Ok(Some((decider.in_force(), environment))));
                decide_locally(&decider, environment, &queue, &events, &waits);
                // Every decision handed over is answered (or its answer dropped with the
                // session), then everything given to the writer is written.
                drop(waits);
                let _ = waiter.join();
                if !decider.flush(FLUSH_LIMIT) {
                    eprintln!(
                        "holdpoint mcp: the ledger did not take every record within {}s",
                        FLUSH_LIMIT.as_secs()
                    );
                }
            }
            Ok(Deciding::Enforcer(enforcer)) => {
                let _ = ready.send(Ok(None));
                decide_and_record(&enforcer, &queue, &events);
            }
            Err(failure) => {
                let _ = ready.send(Err(failure));
            }
        })
        .map_err(|e| Failure::internal(format!("cannot start a thread: {e}")))?;
    match opened.recv() {
        Ok(Ok(judged)) => Ok((jobs, thread, judged)),
        Ok(Err(failure)) => Err(failure),
        Err(_) => Err(Failure::internal(
            "the deciding thread ended before it started",
        )),
    }
}

/// A decision handed to the decider, still to be answered.
enum Waiting {
    /// Answered at once if allowed as a read, else once durable.
    Early(Pending<Early>),
    /// Answered once durable.
    Settled(Pending<Decided>),
}

/// What a call handed to the deciding thread came to, with its action, which its
/// outcome is recorded against.
enum Handed {
    /// Allowed at once as a read, its records kept to be written with its outcome.
    Allowed(Action, Allowed),
    /// Handed to the decider's threads.
    Later(Action, Waiting),
}

/// Decides each call as it comes with the decider: reads policy simply allows at once,
/// the rest handed to its threads, which decide and settle what is waiting together and
/// whose answers another thread waits for; outcomes go to the decider's writer. Returns
/// once the loop has gone.
fn decide_locally(
    decider: &Decider,
    environment: Environment,
    queue: &Receiver<Job>,
    events: &Sender<Event>,
    waits: &Sender<(u64, Waiting)>,
) {
    let holdpoint_home = local::holdpoint_home();
    // The last read's analysis and the decision kept for it.
    let mut memo: Option<(Analysis, Option<(Stamp, Decision)>)> = None;
    let mut running = Running::default();
    // The other actions decided, by their input, until their outcomes come: an outcome
    // is recorded against the action as decided, without analysing the call again.
    // Identical calls share one entry, with how many outcomes it still awaits.
    let mut actions: HashMap<String, (Action, usize)> = HashMap::new();
    // A panic while analysing a call only to record it is logged, never the end of the
    // deciding thread.
    let analysed = |request: &Request| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            action_for(request, environment, &holdpoint_home, Vec::new)
        }))
        .ok()
    };
    // Verdicts go to the loop when no job is waiting (or `DECIDED_BATCH` are ready), so
    // that the calls of a burst reach the server together.
    let mut ready: Vec<(u64, Verdict)> = Vec::new();
    let hand_back = |ready: &mut Vec<(u64, Verdict)>| {
        for (ticket, verdict) in ready.drain(..) {
            let _ = events.send(Event::Decided(ticket, verdict));
        }
    };
    loop {
        let next_due = running.record_due(Instant::now());
        let job = match queue.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {
                hand_back(&mut ready);
                let job = match next_due {
                    Some(wait) => queue.recv_timeout(wait),
                    None => queue.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                match job {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        match job {
            Job::Record(ticket, call, executed) => {
                let Err(executed) = running.ran(ticket, executed) else {
                    continue;
                };
                let request = call.request();
                let kept = match actions.get_mut(&request.input) {
                    Some((action, 1)) => {
                        let action = action.clone();
                        actions.remove(&request.input);
                        Some(action)
                    }
                    Some((action, awaited)) => {
                        *awaited -= 1;
                        Some(action.clone())
                    }
                    None => None,
                };
                let action = kept.or_else(|| analysed(&request).map(|(action, _)| action));
                match action {
                    Some(action) => decider.record(&action, executed),
                    None => eprintln!(
                        "holdpoint mcp: a call's outcome could not be recorded: analysing it failed"
                    ),
                }
            }
            Job::Refused(request, reason) => match analysed(&request) {
                Some((action, analysis)) => decider.refused(action, analysis, &reason),
                None => eprintln!(
                    "holdpoint mcp: a refused call ({reason}) could not be recorded: analysing it failed"
                ),
            },
            Job::Decide(ticket, request) => {
                // A panic while deciding is a refusal, never a call left hanging.
                let handed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let (action, analysis) =
                        action_for(&request, environment, &holdpoint_home, Vec::new);
                    hand(decider, action, analysis, &mut memo)
                }))
                .unwrap_or_else(|_| {
                    Err(Failure::internal("deciding failed unexpectedly".to_owned()))
                });
                let verdict = match handed {
                    Ok(Handed::Allowed(action, read)) => {
                        running.insert(Instant::now(), ticket, action, read);
                        Verdict::Allow
                    }
                    Ok(Handed::Later(action, waiting)) => {
                        if actions.len() >= KEPT_ACTIONS {
                            actions.clear();
                        }
                        actions
                            .entry(request.input)
                            .and_modify(|(_, awaited)| *awaited += 1)
                            .or_insert((action, 1));
                        match waits.send((ticket, waiting)) {
                            Ok(()) => continue,
                            Err(_) => verdict(Err(Failure::internal(
                                "the thread that waits for decisions has stopped",
                            ))),
                        }
                    }
                    Err(failure) => verdict(Err(failure)),
                };
                ready.push((ticket, verdict));
                if ready.len() >= DECIDED_BATCH {
                    hand_back(&mut ready);
                }
            }
        }
    }
    hand_back(&mut ready);
}

/// The most verdicts held back while more calls wait to be decided.
const DECIDED_BATCH: usize = 32;

/// The reads allowed at once whose outcomes are still to come, by ticket. Each is
/// written with its outcome as one `ran` record; one still running after
/// [`SHOWN_AFTER`] has its decision written then, so that the ledger shows a long call
/// while it runs, and its outcome follows on its own.
#[derive(Default)]
struct Running {
    reads: HashMap<u64, (Action, Allowed)>,
    /// The tickets in the order they were allowed, with when their decisions are due.
    due: VecDeque<(Instant, u64)>,
}

/// How long a read allowed at once may run before its decision is written on its own.
const SHOWN_AFTER: Duration = Duration::from_secs(1);

impl Running {
    fn insert(&mut self, now: Instant, ticket: u64, action: Action, allowed: Allowed) {
        // Past the bound, the reads kept have their decisions written (as they are
        // dropped) and their outcomes follow on their own.
        if self.reads.len() >= KEPT_ACTIONS {
            self.reads.clear();
            self.due.clear();
        }
        self.reads.insert(ticket, (action, allowed));
        self.due.push_back((now + SHOWN_AFTER, ticket));
    }

    /// Records what the read allowed with `ticket` did; gives `executed` back when no
    /// such read is kept.
    fn ran(&mut self, ticket: u64, executed: Executed) -> Result<(), Executed> {
        match self.reads.remove(&ticket) {
            Some((action, allowed)) => {
                allowed.ran(&action, executed);
                Ok(())
            }
            None => Err(executed),
        }
    }

    /// Writes the decisions due by `now`; returns how long until the next is due.
    fn record_due(&mut self, now: Instant) -> Option<Duration> {
        while let Some(&(due, ticket)) = self.due.front() {
            if due > now {
                return Some(due - now);
            }
            self.due.pop_front();
            if let Some((_, allowed)) = self.reads.get(&ticket) {
                allowed.record_decision();
            }
        }
        None
    }
}

/// How many decided actions are kept for their outcomes; past it they are forgotten
/// (calls refused never have one) and an outcome's call is analysed again, or for a
/// read allowed at once, its decision written and its outcome on its own.
const KEPT_ACTIONS: usize = 4096;

/// Decides an analysed call at once when policy simply allows it as a read, else hands
/// it to the decider's threads.
fn hand(
    decider: &Decider,
    action: Action,
    analysis: Analysis,
    memo: &mut Option<(Analysis, Option<(Stamp, Decision)>)>,
) -> Result<Handed, Failure> {
    // What would run the project's own code needs a sandbox this gateway does not have:
    // decided and settled, it is refused below.
    let waiting = if analysis.runs_project_code() {
        decider
            .submit(action.clone(), analysis)
            .map(Waiting::Settled)
    } else {
        // A decision is kept for the same analysis only (see `allow_read_inline`).
        if memo.as_ref().is_none_or(|(kept, _)| *kept != analysis) {
            *memo = Some((analysis.clone(), None));
        }
        let decision = match memo {
            Some((_, decision)) => decision,
            None => &mut None,
        };
        if let Some(allowed) = decider.allow_read_inline(&action, &analysis, decision) {
            return Ok(Handed::Allowed(action, allowed));
        }
        decider
            .submit_read_early(action.clone(), analysis)
            .map(Waiting::Early)
    };
    waiting
        .map(|waiting| Handed::Later(action, waiting))
        .map_err(Failure::internal)
}

/// Waits for each decision handed over, in the order handed, and tells the loop.
fn answer_when_settled(waiting: &Receiver<(u64, Waiting)>, events: &Sender<Event>) {
    while let Ok((ticket, waiting)) = waiting.recv() {
        let decided = match waiting {
            Waiting::Early(pending) => match pending.wait() {
                Ok(Early::Read(_)) => {
                    let _ = events.send(Event::Decided(ticket, Verdict::Allow));
                    continue;
                }
                Ok(Early::Settled(decided)) => Ok(*decided),
                // Never asked for: a call is not a transaction that could roll back.
                Ok(Early::Change(..)) => {
                    Err("holdpoint answered a change before its records were durable".to_owned())
                }
                Err(e) => Err(e),
            },
            Waiting::Settled(pending) => pending.wait(),
        };
        let decided = decided.map(|decided| enforcer::Verdict {
            outcome: decided.settlement.outcome,
            message: explain(&decided, None),
            approval: decided.settlement.approval.as_ref().map(|a| a.id.clone()),
            confine: confined(&decided),
        });
        // The loop may be gone (the session ended): the records are written all the same.
        let _ = events.send(Event::Decided(
            ticket,
            verdict(decided.map_err(Failure::internal)),
        ));
    }
}

/// The verdict for the session. Fail closed: an error, or an allow that asks for a
/// sandbox this gateway does not have, is a refusal.
fn verdict(proposed: Result<enforcer::Verdict, Failure>) -> Verdict {
    match proposed {
        Ok(v) if v.outcome == Outcome::Allow && !v.confine => Verdict::Allow,
        Ok(v) if v.outcome == Outcome::Ask => Verdict::Ask {
            message: v.message,
            approval: v.approval,
        },
        Ok(v) if v.outcome == Outcome::Deny => Verdict::Deny { message: v.message },
        Ok(_) => Verdict::Failed,
        Err(failure) => {
            eprintln!(
                "holdpoint mcp: could not decide a call, so it was refused: {}",
                failure.message
            );
            Verdict::Failed
        }
    }
}

/// Decides each call as it comes; records outcomes a little later, several at once, so
/// that a decision never waits for them. Returns once the loop has gone, after
/// recording every outcome it was given.
fn decide_and_record(enforcer: &Enforcer, queue: &Receiver<Job>, events: &Sender<Event>) {
    let mut outcomes: Vec<(Request, Executed)> = Vec::new();
    let record = |outcomes: &mut Vec<(Request, Executed)>| {
        if outcomes.is_empty() {
            return;
        }
        if let Err(failure) = enforcer.executed_all(outcomes) {
            eprintln!(
                "holdpoint mcp: could not record {} calls' outcomes: {}",
                outcomes.len(),
                failure.message
            );
        }
        outcomes.clear();
    };
    loop {
        let job = if outcomes.is_empty() {
            queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            queue.recv_timeout(RECORD_DELAY)
        };
        match job {
            Err(RecvTimeoutError::Timeout) => record(&mut outcomes),
            Err(RecvTimeoutError::Disconnected) => {
                record(&mut outcomes);
                return;
            }
            Ok(Job::Record(_, call, executed)) => {
                outcomes.push((call.request(), executed));
                if outcomes.len() >= RECORD_BATCH {
                    record(&mut outcomes);
                }
            }
            // A refusal no policy made is recorded as the gateway's, through the
            // server when there is one.
            Ok(Job::Refused(request, reason)) => {
                if let Err(failure) = enforcer.refused(&request, &reason) {
                    eprintln!(
                        "holdpoint mcp: refused a call ({reason}), and could not record the refusal: {}",
                        failure.message
                    );
                }
            }
            Ok(Job::Decide(ticket, request)) => {
                // Fail closed: an error, or an allow that asks for a sandbox this
                // gateway does not have, is a refusal.
                // A panic while deciding is a refusal too, never a call left hanging.
                let proposed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    enforcer.propose(&request)
                }))
                .unwrap_or_else(|_| Err(Failure::internal("deciding failed unexpectedly")));
                let verdict = verdict(proposed);
                // The loop may be gone (the session ended); outcomes are still
                // recorded once it drops its side of the queue.
                let _ = events.send(Event::Decided(ticket, verdict));
            }
        }
    }
}

/// Reads lines from `input` on a thread of its own, parsing each, until it ends.
fn spawn_reader<R: Read + Send + 'static>(
    name: &str,
    mut input: R,
    events: Sender<Event>,
    message: fn(Result<(Message, usize), CodecError>) -> Event,
    closed: fn(bool) -> Event,
) -> Result<(), Failure> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let mut lines = Lines::default();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match input.read(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                lines.push(buf.get(..n).unwrap_or_default());
                while let Some(line) = lines.next_line() {
                    let parsed = match line {
                        Line::Text(text) => codec::parse(&text).map(|m| (m, text.len())),
                        Line::TooLong => Err(CodecError::TooLong),
                    };
                    if events.send(message(parsed)).is_err() {
                        return;
                    }
                }
            }
            let _ = events.send(closed(lines.partial()));
        })
        .map(|_| ())
        .map_err(|e| Failure::internal(format!("cannot start a thread: {e}")))
}

/// The server's side of a session: a child over stdio, or a Streamable HTTP server.
enum Upstream {
    Child {
        child: Child,
        /// `None` once closed (the client went away).
        input: Option<ChildStdin>,
    },
    Http(upstream::Connection),
}

impl Upstream {
    fn send(&mut self, messages: Vec<Message>) {
        match self {
            Upstream::Child { input, .. } => {
                let Some(server_in) = input else { return };
                let mut bytes = Vec::new();
                for message in &messages {
                    codec::encode_into(message, &mut bytes);
                }
                // A server that stopped reading has exited or will be seen to: its output
                // ends, and that ends the session.
                if server_in
                    .write_all(&bytes)
                    .and_then(|()| server_in.flush())
                    .is_err()
                {
                    *input = None;
                }
            }
            Upstream::Http(connection) => {
                for message in messages {
                    connection.send(message);
                }
            }
        }
    }

    /// The client has gone: asks the server to end (closing its input, or ending the
    /// HTTP session), which it reports as [`Event::ServerClosed`].
    fn close(&mut self) {
        match self {
            Upstream::Child { input, .. } => *input = None,
            Upstream::Http(connection) => connection.close(),
        }
    }

    /// The session's exit status, once the server has ended or is stopped.
    fn finish(&mut self, stop: bool) -> u8 {
        match self {
            Upstream::Child { child, .. } => finish(child, stop),
            Upstream::Http(connection) => {
                connection.close();
                if stop { exit::INTERNAL } else { exit::ALLOW }
            }
        }
    }
}

/// The client's side of a session: standard output, or the HTTP responses of the
/// requests the agent posted.
enum Downstream {
    Stdout(std::io::Stdout),
    Http(http::Streams),
}

impl Downstream {
    fn send(&mut self, messages: Vec<Message>) {
        match self {
            Downstream::Stdout(out) => {
                let mut bytes = Vec::new();
                for message in &messages {
                    codec::encode_into(message, &mut bytes);
                }
                let mut out = out.lock();
                let _ = out.write_all(&bytes).and_then(|()| out.flush());
            }
            Downstream::Http(streams) => {
                for message in messages {
                    streams.deliver(message);
                }
            }
        }
    }
}

/// The loop: feeds events to the session and carries out what it asks.
struct Driver {
    session: Session,
    watcher: WatcherHandle,
    server: Upstream,
    client: Downstream,
    jobs: Sender<Job>,
    /// Calls whose decisions could not be asked for (the deciding thread is gone): each
    /// is given a failed decision as the next event.
    undecided: VecDeque<u64>,
    asker: Arc<Asker>,
    /// What the gateway's log lines about this session start with: nothing for the one
    /// session of the stdio gateway, the server's path and session over HTTP.
    label: String,
    /// Messages for the server and the client, and jobs for the deciding thread, handed
    /// over when no event is waiting (or [`OUTBOX_LIMIT`] are), so that a burst crosses
    /// each pipe in one write and wakes the deciding thread once.
    outbox: Outbox,
}

#[derive(Default)]
struct Outbox {
    server: Vec<Message>,
    client: Vec<Message>,
    /// For the deciding thread.
    jobs: Vec<Job>,
}

/// The most messages held for writing while events keep coming.
const OUTBOX_LIMIT: usize = 64;

impl Driver {
    /// Runs until the session ends; the gateway's exit status.
    fn run(&mut self, inbox: &Receiver<Event>) -> u8 {
        let mut deadline: Option<Instant> = None;
        loop {
            let wake = match (deadline, self.session.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // A call that could not be given to the deciding thread is answered before
            // anything else is taken from the inbox.
            let event = if self.undecided.is_empty() {
                match inbox.try_recv() {
                    Ok(event) => Ok(event),
                    Err(mpsc::TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                    Err(mpsc::TryRecvError::Empty) => {
                        self.flush();
                        match wake {
                            _ if !self.undecided.is_empty() => Ok(self.undecidable()),
                            None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
                            Some(at) => {
                                inbox.recv_timeout(at.saturating_duration_since(Instant::now()))
                            }
                        }
                    }
                }
            } else {
                Ok(self.undecidable())
            };
            let now = Instant::now();
            match event {
                Ok(Event::Client(Ok((message, _)))) => self.session.handle_client(now, message),
                Ok(Event::Posted { message, answers }) => {
                    let taken = match (&mut self.client, answers) {
                        (Downstream::Http(streams), Some(answers)) => {
                            !streams.open(&message, answers)
                        }
                        (Downstream::Http(streams), None) => {
                            if let Message::Response { id: Some(id), .. } = &message {
                                streams.answered(id);
                            }
                            false
                        }
                        _ => false,
                    };
                    // A request whose id another one still open holds was answered on
                    // its own stream; the session never sees it.
                    if !taken {
                        self.session.handle_client(now, message);
                    }
                }
                Ok(Event::Listening(answers)) => {
                    if let Downstream::Http(streams) = &mut self.client {
                        streams.listen(answers);
                    }
                }
                Ok(Event::Client(Err(error))) => self.session.handle_client_invalid(&error),
                Ok(Event::ClientClosed { partial }) => {
                    if partial {
                        eprintln!("holdpoint mcp: the client's input ended inside a message");
                    }
                    // Closing the server's input is how MCP's stdio transport asks it
                    // to exit; it gets a moment to answer what is pending.
                    self.server.close();
                    deadline = Some(now + SHUTDOWN_GRACE);
                }
                Ok(Event::Server(Ok((message, size)))) => {
                    self.session.handle_server(now, message, size);
                }
                Ok(Event::Server(Err(error))) => self.session.handle_server_invalid(now, &error),
                Ok(Event::ServerClosed { partial }) => {
                    let how = if deadline.is_some() {
                        // The client went first: an orderly end.
                        self.drain();
                        self.flush();
                        return self.server.finish(false);
                    } else if partial {
                        "ended inside a message"
                    } else {
                        "exited"
                    };
                    self.session.handle_server_exited(now, how);
                }
                Ok(Event::Decided(ticket, verdict)) => {
                    self.session.handle_decision(now, ticket, verdict);
                }
                Ok(Event::Approval(id, state)) => self.session.handle_approval(&id, state),
                Err(RecvTimeoutError::Timeout) if deadline.is_none_or(|at| at > now) => {
                    self.session.handle_timeout(now);
                }
                Err(RecvTimeoutError::Timeout) => {
                    eprintln!(
                        "holdpoint mcp: the server did not exit within {}s of its input closing; stopping it",
                        SHUTDOWN_GRACE.as_secs()
                    );
                    self.flush();
                    return self.server.finish(true);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.flush();
                    return self.server.finish(true);
                }
            }
            if self.drain() {
                self.flush();
                let status = self.server.finish(true);
                return if status == exit::ALLOW {
                    exit::INTERNAL
                } else {
                    status
                };
            }
        }
    }

    /// A failed decision for a call the deciding thread could not be given.
    fn undecidable(&mut self) -> Event {
        let ticket = self.undecided.pop_front().unwrap_or_default();
        Event::Decided(ticket, Verdict::Failed)
    }

    /// Writes the messages held for the server and the client, and hands the deciding
    /// thread the jobs held for it.
    fn flush(&mut self) {
        if !self.outbox.server.is_empty() {
            self.server.send(std::mem::take(&mut self.outbox.server));
        }
        if !self.outbox.client.is_empty() {
            self.client.send(std::mem::take(&mut self.outbox.client));
        }
        // After the messages, which the client and server wait for; handed together, they
        // wake the deciding thread once.
        for job in self.outbox.jobs.drain(..) {
            let Err(mpsc::SendError(job)) = self.jobs.send(job) else {
                continue;
            };
            match job {
                // Nothing can be decided: the call gets a failed decision.
                Job::Decide(ticket, _) => self.undecided.push_back(ticket),
                Job::Record(..) => eprintln!(
                    "holdpoint mcp: could not record a call's outcome: the deciding thread is gone"
                ),
                Job::Refused(..) => eprintln!(
                    "holdpoint mcp: could not record a refused call: the deciding thread is gone"
                ),
            }
        }
    }

    /// Carries out everything the session asked for; whether it ended.
    fn drain(&mut self) -> bool {
        let mut ended = false;
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::ToClient(message) => self.outbox.client.push(message),
                Output::ToServer(message) => self.outbox.server.push(message),
                Output::Decide { ticket, call } => {
                    let request = self.asker.request(&call);
                    self.outbox.jobs.push(Job::Decide(ticket, request));
                }
                Output::Record {
                    ticket,
                    call,
                    executed,
                } => {
                    let call = Call {
                        call,
                        asker: Arc::clone(&self.asker),
                    };
                    self.outbox.jobs.push(Job::Record(ticket, call, executed));
                }
                Output::Refused { call, reason } => {
                    let request = self.asker.request(&call);
                    self.outbox.jobs.push(Job::Refused(request, reason));
                }
                Output::WatchApproval(id) => self.watcher.send(Watch::Start(id)),
                Output::Unwatch(id) => self.watcher.send(Watch::Stop(id)),
                Output::Log(line) => eprintln!("holdpoint mcp: {}{line}", self.label),
                Output::End { reason } => {
                    eprintln!("holdpoint mcp: {}{reason}; the session is over", self.label);
                    ended = true;
                }
            }
        }
        if self.outbox.server.len() + self.outbox.client.len() + self.outbox.jobs.len()
            >= OUTBOX_LIMIT
        {
            self.flush();
        }
        ended
    }
}

/// Waits for the server, stopping it if it has not exited (at once when `stop`,
/// otherwise after a moment); its status as the gateway's.
fn finish(child: &mut Child, stop: bool) -> u8 {
    let waited = Instant::now();
    let grace = if stop {
        Duration::from_millis(200)
    } else {
        SHUTDOWN_GRACE
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if waited.elapsed() < grace => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                break child.wait().ok();
            }
        }
    };
    match status.and_then(|s| s.code()) {
        Some(code) => u8::try_from(code).unwrap_or(exit::INTERNAL),
        None => exit::INTERNAL,
    }
}
