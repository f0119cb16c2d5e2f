//! `holdpoint mcp --listen ADDRESS`: the MCP gateway over Streamable HTTP. Each
//! `[[mcp]]` server of holdpoint.toml is served at `/mcp/NAME`; the server behind it is
//! a child holdpoint starts for each agent session (`command`) or a Streamable HTTP
//! server it reaches with credentials of its own (`url`, see [`super::upstream`]).
//!
//! One gateway, two ways in: each MCP session here is the stdio gateway's session
//! machine and loop ([`super::Driver`]) on a thread of its own, deciding through the
//! same [`crate::serve::decider::Decider`]. This module only turns HTTP into the loop's
//! events and its messages back into HTTP:
//!
//! - Who: every request carries the agent's holdpoint credential (`Authorization:
//!   Bearer hpa.…`), checked as `holdpoint serve` checks it (failures counted per
//!   address); without one it is answered 401 and nothing is forwarded. A session
//!   belongs to the agent that opened it.
//! - Where from: a request whose `Origin` is not this machine's (`localhost`,
//!   `127.0.0.1`, `[::1]`) or one given with `--allow-origin` is refused 403, so a web
//!   page cannot reach the gateway through DNS rebinding.
//! - POST: one JSON-RPC message. A request is answered with an event stream
//!   (`text/event-stream`) carrying what the server sends about it (progress, its own
//!   requests) and then its response; a notification or response with 202. `initialize`
//!   without `Mcp-Session-Id` opens a session, whose id comes back in that header; any
//!   other message must carry it (400 without, 404 for a session that is over).
//! - GET with `Mcp-Session-Id`: an event stream for the server's own notifications
//!   (a changed list, a log line), bounded; the server's requests and anything else
//!   go on the oldest request stream open, and on the GET stream when none is.
//! - DELETE: ends the session (and the child, or the upstream's session).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use holdpoint_core::{Environment, McpServer};
use serde_json::{Value, json};

use super::codec::{self, Id, Message};
use super::session::{self, Session};
use super::{Downstream, Driver, Event, Job, Upstream, WatcherHandle, upstream};
use crate::home::{McpConfig, McpUpstream};
use crate::serve::AppState;
use crate::serve::auth::verify_agent;
use crate::throttle::Client;
use crate::{Failure, exit, local};

/// Where the messages for one request of the agent's go: the event stream that answers
/// its POST.
pub(crate) type Answers = tokio::sync::mpsc::UnboundedSender<Message>;

/// The protocol revisions the gateway speaks over HTTP (`MCP-Protocol-Version`).
const VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// The variables of the gateway's environment a server it starts gets; the others
/// (among them the `env:` credentials of other entries) it does not.
const INHERITED: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ",
];

/// The most sessions served at once: each may be a child process.
const MOST_SESSIONS: usize = 64;

/// The most sessions one agent holds at once.
const MOST_PER_AGENT: usize = MOST_SESSIONS / 2;

/// The JSON-RPC error code of a request the transport refused (no credential, a foreign
/// origin, no session).
const TRANSPORT_REFUSED: i64 = -32000;

/// The streams of the agent's requests still open in one session, and which of them
/// each message for the agent belongs on.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    /// In the order the requests came.
    open: Vec<(Id, Answers)>,
    /// Progress tokens (as JSON text) to the requests that gave them.
    tokens: HashMap<String, Id>,
    /// The server's questions the agent has not answered yet, each with the request
    /// whose stream carried it: a stream that carries one is not given another while
    /// some other stream is free (a 2026-07-28 agent answers each request's question
    /// by retrying that request).
    asking: HashMap<Id, Id>,
    /// The stream the agent opened for the server's own messages (a GET, or a
    /// 2026-07-28 `subscriptions/listen`), if any; a later one takes its place.
    listening: Option<Listening>,
}

/// The sending side of an agent's stream of what the server says outside its
/// requests: bounded, so that an agent that does not read it cannot make the gateway
/// hold what a chatty server says without end.
#[derive(Debug)]
pub(crate) struct Listening {
    sender: tokio::sync::mpsc::Sender<Message>,
    /// Whether it takes a notification, by method, the others going where they would
    /// with no such stream; `None`: all the server's own messages (a GET stream).
    only: Option<fn(&str) -> bool>,
}

/// How many of the server's messages a GET stream holds for an agent that is slow to
/// read it; past that, notifications are dropped.
const LISTEN_BACKLOG: usize = 256;

impl Streams {
    /// The stream answering `message`, a request; `false` when a request of the same
    /// id is still open, which is then answered with an error on its own stream (the
    /// responses could not tell the two apart).
    pub fn open(&mut self, message: &Message, answers: Answers) -> bool {
        if let Message::Request { id, params, .. } = message {
            if self.open.iter().any(|(open, _)| open == id) {
                let _ = answers.send(Message::error(
                    Some(id.clone()),
                    codec::code::INVALID_REQUEST,
                    "this id is already used by a request not yet answered",
                ));
                return false;
            }
            if let Some(token) = params
                .as_ref()
                .and_then(|p| p.get("_meta"))
                .and_then(|m| m.get("progressToken"))
            {
                self.tokens.insert(token.to_string(), id.clone());
            }
            self.open.push((id.clone(), answers));
        }
        true
    }

    /// The agent answered the server's question `id`: its stream may carry another.
    pub fn answered(&mut self, id: &Id) {
        self.asking.remove(id);
    }

    /// Takes the stream the agent opened with GET, in place of any before it.
    pub fn listen(&mut self, listening: Listening) {
        self.listening = Some(listening);
    }

    /// Sends `message` on the agent's GET stream; gives it back when there is none (or
    /// the agent closed it, or it does not take such messages). A message the agent is
    /// too slow to read is dropped.
    fn send_listening(&mut self, message: Message) -> Option<Message> {
        let Some(listening) = self.listening.as_ref() else {
            return Some(message);
        };
        if let Some(only) = listening.only
            && !matches!(&message, Message::Notification { method, .. } if only(method))
        {
            return Some(message);
        }
        match listening.sender.try_send(message) {
            Ok(()) => None,
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                eprintln!(
                    "holdpoint mcp: dropped a message for the agent: it has not read the last {LISTEN_BACKLOG} on its GET stream"
                );
                None
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(message)) => {
                self.listening = None;
                Some(message)
            }
        }
    }

    /// Sends a message to the agent: a response on its request's stream, which it then
    /// ends; a progress notification on the stream of the request that asked for it;
    /// the server's other notifications on the agent's GET stream, else on the oldest
    /// request stream still open; the server's requests on the oldest request stream,
    /// else on the GET stream; nowhere when none is open.
    pub fn deliver(&mut self, message: Message) {
        if let Message::Response { id: Some(id), .. } = &message {
            let Some(at) = self.open.iter().position(|(open, _)| open == id) else {
                eprintln!("holdpoint mcp: dropped a response whose request's stream has closed");
                return;
            };
            let (_, answers) = self.open.remove(at);
            self.tokens.retain(|_, request| request != id);
            self.asking.retain(|_, request| request != id);
            let _ = answers.send(message);
            return;
        }
        let token = match &message {
            Message::Notification { params, .. } => params
                .as_ref()
                .and_then(|p| p.get("progressToken"))
                .map(Value::to_string),
            _ => None,
        };
        let request = token.and_then(|t| self.tokens.get(&t).cloned());
        let notification = matches!(message, Message::Notification { .. });
        let message = if request.is_none() && (notification || self.open.is_empty()) {
            match self.send_listening(message) {
                Some(message) => message,
                None => return,
            }
        } else {
            message
        };
        let question = match &message {
            Message::Request { id, .. } => Some(id.clone()),
            _ => None,
        };
        let stream = match request {
            Some(request) => self.open.iter().find(|(open, _)| *open == request),
            None if question.is_some() => self
                .open
                .iter()
                .find(|(open, _)| !self.asking.values().any(|asking| asking == open))
                .or_else(|| self.open.first()),
            None => self.open.first(),
        };
        match stream {
            Some((open, answers)) => {
                if let Some(question) = question {
                    self.asking.insert(question, open.clone());
                }
                let _ = answers.send(message);
            }
            None => eprintln!(
                "holdpoint mcp: dropped a message for the agent: no request of its is open to carry it"
            ),
        }
    }
}

/// One `[[mcp]]` server, ready to serve.
pub(super) struct Served {
    pub(super) name: String,
    environment: Environment,
    trusted: bool,
    upstream: Reached,
    config: session::Config,
}

/// How its server is reached, credentials read.
enum Reached {
    Command {
        program: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
    Url {
        url: String,
        headers: Vec<(String, String)>,
    },
}

/// A session in progress.
pub(super) struct Live {
    server: String,
    agent: String,
    inbox: Sender<Event>,
    /// When the agent last sent it something.
    pub(super) last: Instant,
    /// The agent's GET stream, while it is open: a session that is listened to is not
    /// idle.
    listening: Option<tokio::sync::mpsc::WeakSender<Message>>,
}

impl Live {
    /// Whether the agent holds a GET stream of this session open.
    fn listened(&self) -> bool {
        self.listening
            .as_ref()
            .and_then(tokio::sync::mpsc::WeakSender::upgrade)
            .is_some_and(|sender| !sender.is_closed())
    }
}

/// How long a session may go without a message from its agent before it is ended, as
/// if the agent had sent DELETE: an agent that went away without saying so does not
/// keep its server running.
const IDLE: Duration = Duration::from_secs(30 * 60);

/// What every request shares.
pub(super) struct Gateway {
    state: AppState,
    servers: HashMap<String, Served>,
    pub(super) sessions: Mutex<HashMap<String, Live>>,
    /// The links through which 2026-07-28 agents are served.
    pub(super) links: super::modern::Links,
    /// Origins allowed beyond this machine's own.
    origins: Vec<String>,
    cwd: String,
}

/// `holdpoint mcp --listen ADDRESS`.
pub(crate) fn run(
    listen: SocketAddr,
    env: Option<&str>,
    allow_origin: &[String],
) -> Result<u8, Failure> {
    let (home, runtime) = crate::serve::home_and_runtime("MCP gateway")?;
    let state = AppState::open_home(home, env, None, false)?;
    if state.config.mcp.is_empty() {
        return Err(Failure::usage(format!(
            "holdpoint.toml (`{}`) lists no [[mcp]] server to serve: add one, e.g.\n\n[[mcp]]\nname = \"files\"\ncommand = \"npx\"\nargs = [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/srv/app\"]\n\nor put one server behind holdpoint over stdio: holdpoint mcp -- COMMAND ARGS…",
            state.home.config().display()
        )));
    }
    let cwd = local::current_dir()?;
    let mut servers = HashMap::new();
    for entry in &state.config.mcp {
        let served = served(entry, &cwd, state.environment)?;
        servers.insert(served.name.clone(), served);
    }
    let origins = allow_origin
        .iter()
        .map(|o| {
            let origin = o.trim_end_matches('/').to_ascii_lowercase();
            if origin.starts_with("http://") || origin.starts_with("https://") {
                Ok(origin)
            } else {
                Err(Failure::usage(format!(
                    "--allow-origin `{o}` is not an origin: write it as a browser sends it, e.g. https://app.example.com"
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let gateway = Arc::new(Gateway {
        state: state.clone(),
        servers,
        sessions: Mutex::new(HashMap::new()),
        links: super::modern::Links::default(),
        origins,
        cwd,
    });
    let served = runtime.block_on(serve(Arc::clone(&gateway), listen));
    // Every session ends, its server with it, and what their calls did is recorded.
    end_sessions(&gateway);
    let waited = Instant::now();
    while waited.elapsed() < super::SHUTDOWN_GRACE + Duration::from_secs(1)
        && gateway.sessions.lock().is_ok_and(|s| !s.is_empty())
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("holdpoint mcp: stopping; writing the records not yet written");
    if !state.decider.flush(super::FLUSH_LIMIT) {
        eprintln!(
            "holdpoint mcp: the ledger did not take every record within {}s",
            super::FLUSH_LIMIT.as_secs()
        );
    }
    served
}

/// One entry made ready: its credentials read now, so that a missing one stops the
/// gateway before it listens rather than failing an agent's session later.
fn served(entry: &McpConfig, cwd: &str, default: Environment) -> Result<Served, Failure> {
    let what = |thing: &str| format!("`[[mcp]] name = \"{}\"`'s {thing}", entry.name);
    let upstream = match &entry.upstream {
        McpUpstream::Command { command, args, env } => Reached::Command {
            program: command.clone(),
            args: args.clone(),
            env: env
                .iter()
                .map(|(name, setting)| {
                    setting
                        .resolve(&what(&format!("`env.{name}`")))
                        .map(|v| (name.clone(), v))
                })
                .collect::<Result<_, _>>()?,
        },
        McpUpstream::Url { url, headers } => Reached::Url {
            url: url.clone(),
            headers: headers
                .iter()
                .map(|(name, setting)| {
                    let value = setting.resolve(&what(&format!("header `{name}`")))?;
                    let value = if name == "Authorization" && !value.contains(' ') {
                        format!("Bearer {value}")
                    } else {
                        value
                    };
                    if HeaderValue::from_str(&value).is_err() {
                        return Err(Failure::usage(format!(
                            "{} is not a valid HTTP header value (a line break or a control character?)",
                            what(&format!("header `{name}`"))
                        )));
                    }
                    Ok((name.clone(), value))
                })
                .collect::<Result<_, _>>()?,
        },
    };
    let roots_flag = format!("[[mcp]] name = \"{}\" roots", entry.name);
    let config = super::session_config(
        &entry.hide_tools,
        &entry.roots,
        entry.wait.unwrap_or(Duration::from_secs(50)),
        super::session::Asks {
            sampling: entry.sampling,
            elicitation: entry.elicitation,
        },
        entry.refused_tools,
        cwd,
        &roots_flag,
    )?;
    Ok(Served {
        name: entry.name.clone(),
        environment: entry.environment.unwrap_or(default),
        trusted: entry.trusted,
        upstream,
        config,
    })
}

/// The gateway's routes: each server at `/mcp/NAME`.
fn app(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route(
            "/mcp/{name}",
            post(post_message).get(get_stream).delete(end_session),
        )
        .fallback(|| async {
            refusal(
                StatusCode::NOT_FOUND,
                "nothing is served here: each MCP server of holdpoint.toml is at /mcp/NAME",
            )
        })
        .layer(DefaultBodyLimit::max(codec::MAX_MESSAGE))
        .with_state(gateway)
}

async fn serve(gateway: Arc<Gateway>, listen: SocketAddr) -> Result<u8, Failure> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Failure::usage(format!(
            "cannot listen on {listen}: {e}; choose another address with --listen"
        ))
    })?;
    let bound = listener.local_addr().unwrap_or(listen);
    if !bound.ip().is_loopback() {
        eprintln!(
            "holdpoint mcp: listening on {bound}, beyond this machine, without TLS: agents' credentials cross the network in the clear; prefer a loopback address, or put a TLS proxy in front"
        );
    }
    let mut names: Vec<&str> = gateway.servers.keys().map(String::as_str).collect();
    names.sort_unstable();
    eprintln!(
        "holdpoint mcp: serving {} at http://{bound}/mcp/NAME (agents present their holdpoint credential as a bearer token); every tools/call, resources/read and prompts/get is decided first",
        names.join(", ")
    );
    let router = app(Arc::clone(&gateway));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    // An answer is written in pieces (headers, each event, the end); without this, the
    // last piece waits for the client's delayed acknowledgement, some 40 ms a call.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        let _ = stream.set_nodelay(true);
    });
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let mut stopping = stopping;
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    let mut server = tokio::spawn(async move { server.await });
    let expiring = tokio::spawn(expire_idle(Arc::clone(&gateway)));
    tokio::select! {
        () = crate::serve::shutdown_signal() => {}
        ended = &mut server => {
            return match ended {
                Ok(Ok(())) => Ok(exit::ALLOW),
                Ok(Err(e)) => Err(Failure::internal(format!("the MCP gateway stopped: {e}"))),
                Err(e) => Err(Failure::internal(format!("the MCP gateway stopped: {e}"))),
            };
        }
    }
    expiring.abort();
    eprintln!("holdpoint mcp: stopping; ending every session");
    // Ending the sessions ends their streams, so no held call keeps the server open.
    end_sessions(&gateway);
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    Ok(exit::ALLOW)
}

/// Ends, once a minute, the sessions idle for longer than [`IDLE`].
async fn expire_idle(gateway: Arc<Gateway>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let idle: Vec<(String, Live)> = match gateway.sessions.lock() {
            Ok(mut sessions) => {
                let ids: Vec<String> = sessions
                    .iter()
                    .filter(|(_, live)| live.last.elapsed() > IDLE && !live.listened())
                    .map(|(id, _)| id.clone())
                    .collect();
                ids.into_iter()
                    .filter_map(|id| sessions.remove(&id).map(|live| (id, live)))
                    .collect()
            }
            Err(_) => return,
        };
        for (_, live) in idle {
            eprintln!(
                "holdpoint mcp: /mcp/{}: ending `{}`'s session, idle for {} minutes",
                live.server,
                live.agent,
                IDLE.as_secs() / 60
            );
            let _ = live.inbox.send(Event::ClientClosed { partial: false });
        }
    }
}

/// Makes room for a session of `agent`'s when the gateway serves [`MOST_SESSIONS`], or
/// the agent [`MOST_PER_AGENT`]: clients often go away without ending their sessions
/// (DELETE), so the one of the agent's own it used least recently is ended. Other
/// agents' sessions are never ended for it: when none is the agent's, the new session
/// is refused; and no agent holds more than its share, so no agent can fill the table.
///
/// The room is held, under the same lock as the count, by a placeholder in the table
/// until the session is started (concurrent `initialize`s each count the ones before);
/// its key is returned, for the caller to remove once the session is in the table or
/// failed to start.
pub(super) fn make_room(gateway: &Gateway, agent: &str, server: &str) -> Result<String, String> {
    let reserved = format!(
        "opening-{}",
        crate::serve::auth::random_hex(8).map_err(|e| e.message().to_owned())?
    );
    let placeholder = Live {
        server: server.to_owned(),
        agent: agent.to_owned(),
        // Nothing listens: a message sent to it is refused.
        inbox: std::sync::mpsc::channel().0,
        last: Instant::now(),
        listening: None,
    };
    let ended = {
        let mut sessions = gateway
            .sessions
            .lock()
            .map_err(|_| "the gateway's session table is unusable".to_owned())?;
        let own = sessions.values().filter(|live| live.agent == agent).count();
        if sessions.len() < MOST_SESSIONS && own < MOST_PER_AGENT {
            sessions.insert(reserved.clone(), placeholder);
            return Ok(reserved);
        }
        // Sessions the agent listens to go last.
        let oldest = sessions
            .iter()
            .filter(|(id, live)| live.agent == agent && !id.starts_with("opening-"))
            .min_by_key(|(_, live)| (live.listened(), live.last))
            .map(|(id, _)| id.clone());
        let Some(oldest) = oldest else {
            return Err(format!(
                "the gateway already serves {MOST_SESSIONS} MCP sessions, none of them this agent's: try again later"
            ));
        };
        let ended = sessions.remove(&oldest);
        sessions.insert(reserved.clone(), placeholder);
        ended
    };
    if let Some(live) = ended {
        eprintln!(
            "holdpoint mcp: /mcp/{}: ending `{}`'s least recently used session to open another (the gateway serves at most {MOST_SESSIONS}, {MOST_PER_AGENT} for one agent)",
            live.server, live.agent
        );
        let _ = live.inbox.send(Event::ClientClosed { partial: false });
    }
    Ok(reserved)
}

/// Asks every session to end, as a DELETE would.
fn end_sessions(gateway: &Gateway) {
    let inboxes: Vec<Sender<Event>> = gateway
        .sessions
        .lock()
        .map(|s| s.values().map(|l| l.inbox.clone()).collect())
        .unwrap_or_default();
    for inbox in inboxes {
        let _ = inbox.send(Event::ClientClosed { partial: false });
    }
}

/// An HTTP refusal whose body is a JSON-RPC error without an id, as the transport asks.
fn refusal(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": Value::Null,
        "error": {"code": TRANSPORT_REFUSED, "message": message},
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"holdpoint\""),
        );
    }
    response
}

/// Whether a browser page from `Origin` may call the gateway: this machine's pages, and
/// the origins given with `--allow-origin`. No `Origin` (a program, not a page) may.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if allowed.contains(&origin) {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if rest.starts_with('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h).to_owned() + "]"
    } else {
        rest.split(':').next().unwrap_or(rest).to_owned()
    };
    matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]")
}

/// The checks every request passes first: where it comes from, then who sends it.
async fn admit(gateway: &Gateway, headers: &HeaderMap, client: Client) -> Result<String, Response> {
    if !origin_allowed(headers, &gateway.origins) {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .unwrap_or("?");
        eprintln!("holdpoint mcp: refused a request from the web origin `{origin}`");
        return Err(refusal(
            StatusCode::FORBIDDEN,
            &format!(
                "holdpoint's MCP gateway refuses requests from the web origin `{origin}` (pages may reach it only from this machine, or from origins given with --allow-origin)"
            ),
        ));
    }
    let token = match headers.get(header::AUTHORIZATION) {
        None => {
            return Err(refusal(
                StatusCode::UNAUTHORIZED,
                "holdpoint's MCP gateway needs the agent's holdpoint credential: send `Authorization: Bearer hpa.…` (a human issues one with `holdpoint agent add NAME`)",
            ));
        }
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or(""),
    };
    verify_agent(&gateway.state, token, client)
        .await
        .map_err(|e| {
            let mut response = refusal(e.status(), e.message());
            if let Some(seconds) = e.retry_after()
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        })
}

/// A refusal's status and message.
type Refused = (StatusCode, &'static str);

/// The session a request names, if it is this agent's and this server's; otherwise
/// the status and message that refuse it.
fn session_of(
    gateway: &Gateway,
    headers: &HeaderMap,
    name: &str,
    agent: &str,
) -> Result<Option<(String, Sender<Event>)>, Refused> {
    let Some(id) = headers.get("mcp-session-id") else {
        return Ok(None);
    };
    let id = id.to_str().unwrap_or("").to_owned();
    let mut sessions = gateway
        .sessions
        .lock()
        .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "the gateway failed"))?;
    match sessions.get_mut(&id) {
        Some(live) if live.server == name && live.agent == agent => {
            live.last = Instant::now();
            Ok(Some((id, live.inbox.clone())))
        }
        _ => Err((
            StatusCode::NOT_FOUND,
            "no such MCP session (it ended, or it is not this agent's): start a new one with initialize, without Mcp-Session-Id",
        )),
    }
}

async fn post_message(
    State(gateway): State<Arc<Gateway>>,
    Path(name): Path<String>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let agent = match admit(&gateway, &headers, client).await {
        Ok(agent) => agent,
        Err(response) => return response,
    };
    let Some(served) = gateway.servers.get(&name) else {
        return unknown_server(&gateway, &name);
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(accept.contains("*/*")
        || accept.contains("application/json") && accept.contains("text/event-stream"))
    {
        return refusal(
            StatusCode::NOT_ACCEPTABLE,
            "send `Accept: application/json, text/event-stream`: the gateway answers requests with an event stream",
        );
    }
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_body {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send one JSON-RPC message with `Content-Type: application/json`",
        );
    }
    if let Some(version) = headers.get("mcp-protocol-version") {
        let version = version.to_str().unwrap_or("");
        if version == super::modern::VERSION {
            return super::modern::post(&gateway, served, &agent, &headers, &body).await;
        }
        // A revision after the ones the gateway speaks is answered the 2026-07-28 way,
        // naming those it does.
        if version > super::modern::VERSION {
            return super::modern::unsupported(version, &body);
        }
        if !VERSIONS.contains(&version) {
            return refusal(
                StatusCode::BAD_REQUEST,
                &format!(
                    "MCP-Protocol-Version `{version}` is not one this gateway speaks ({}, {})",
                    super::modern::VERSION,
                    VERSIONS.join(", ")
                ),
            );
        }
    }
    let message = match parsed(&body) {
        Ok(message) => message,
        Err(response) => return *response,
    };
    if let Err(why) = headers_match_body(&headers, &message) {
        return refusal(StatusCode::BAD_REQUEST, &why);
    }
    let (session, inbox, opened) = match session_of(&gateway, &headers, &name, &agent) {
        Err((status, message)) => return refusal(status, message),
        Ok(Some((id, inbox))) => (id, inbox, false),
        Ok(None) => {
            let initialize =
                matches!(&message, Message::Request { method, .. } if method == "initialize");
            if !initialize {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "this message carries no Mcp-Session-Id: send initialize first, then the session id its answer gives with every message",
                );
            }
            let reserved = match make_room(&gateway, &agent, &name) {
                Ok(reserved) => reserved,
                Err(why) => return refusal(StatusCode::SERVICE_UNAVAILABLE, &why),
            };
            let started = start_session(&gateway, served, &agent);
            if let Ok(mut sessions) = gateway.sessions.lock() {
                sessions.remove(&reserved);
            }
            match started {
                Ok((id, inbox)) => (id, inbox, true),
                Err(failure) => {
                    eprintln!(
                        "holdpoint mcp: /mcp/{name}: could not start a session for `{agent}`: {}",
                        failure.message
                    );
                    return refusal(
                        StatusCode::BAD_GATEWAY,
                        "holdpoint could not start the MCP server (the gateway's log says why)",
                    );
                }
            }
        }
    };
    let is_request = matches!(message, Message::Request { .. });
    if !is_request {
        let sent = inbox.send(Event::Posted {
            message,
            answers: None,
        });
        return if sent.is_ok() {
            StatusCode::ACCEPTED.into_response()
        } else {
            ended(&gateway, &session)
        };
    }
    let (answers, stream) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let sent = inbox.send(Event::Posted {
        message,
        answers: Some(answers),
    });
    if sent.is_err() {
        return ended(&gateway, &session);
    }
    let mut response = event_stream(futures_util::stream::unfold(
        stream,
        |mut stream| async move { stream.recv().await.map(|message| (message, stream)) },
    ));
    if opened && let Ok(value) = HeaderValue::from_str(&session) {
        response.headers_mut().insert("mcp-session-id", value);
    }
    response
}

/// A posted body as one JSON-RPC message; one that is not, answered 400 with the
/// JSON-RPC error that says why.
pub(super) fn parsed(body: &[u8]) -> Result<Message, Box<Response>> {
    codec::parse(body).map_err(|error| {
        Box::new(
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                codec::encode(&error.answer()),
            )
                .into_response(),
        )
    })
}

/// The `Mcp-Method` and `Mcp-Name` headers (MCP's 2026-07-28 revision), when sent,
/// must say what the body says: an intermediary that routes or filters by them must not
/// be shown one call while the server gets another.
fn headers_match_body(headers: &HeaderMap, message: &Message) -> Result<(), String> {
    let (method, params) = match message {
        Message::Request { method, params, .. } | Message::Notification { method, params } => {
            (Some(method.as_str()), params.as_ref())
        }
        Message::Response { .. } => (None, None),
    };
    super::modern::headers_say_what_the_body_says(headers, method, params, false)
}

/// A session whose loop has gone: forgotten, and answered as over.
fn ended(gateway: &Gateway, session: &str) -> Response {
    if let Ok(mut sessions) = gateway.sessions.lock() {
        sessions.remove(session);
    }
    refusal(
        StatusCode::NOT_FOUND,
        "this MCP session is over (its server ended): start a new one with initialize",
    )
}

fn unknown_server(gateway: &Gateway, name: &str) -> Response {
    let mut names: Vec<&str> = gateway.servers.keys().map(String::as_str).collect();
    names.sort_unstable();
    refusal(
        StatusCode::NOT_FOUND,
        &format!(
            "no MCP server is named `{name}` here; served: {}",
            names
                .iter()
                .map(|n| format!("/mcp/{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// GET: the agent opens a stream for the server's own requests and notifications, those
/// that belong to none of its requests (a changed tool list, a log line, a resource
/// updated). It stays open until the agent closes it or the session ends.
async fn get_stream(
    State(gateway): State<Arc<Gateway>>,
    Path(name): Path<String>,
    client: Client,
    headers: HeaderMap,
) -> Response {
    let agent = match admit(&gateway, &headers, client).await {
        Ok(agent) => agent,
        Err(response) => return response,
    };
    if !gateway.servers.contains_key(&name) {
        return unknown_server(&gateway, &name);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(accept.contains("text/event-stream") || accept.contains("*/*")) {
        return refusal(
            StatusCode::NOT_ACCEPTABLE,
            "send `Accept: text/event-stream`: a GET opens an event stream",
        );
    }
    let (session, inbox) = match session_of(&gateway, &headers, &name, &agent) {
        Err((status, message)) => return refusal(status, message),
        Ok(None) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "name the session whose server's messages to receive with its Mcp-Session-Id header",
            );
        }
        Ok(Some(found)) => found,
    };
    let Some(stream) = listen_to(&gateway, &session, &inbox, None) else {
        return ended(&gateway, &session);
    };
    event_stream(futures_util::stream::unfold(
        stream,
        |mut stream| async move { stream.recv().await.map(|message| (message, stream)) },
    ))
}

/// Takes the session's own stream of what the server says outside the agent's
/// requests (`only` those notifications, when given), in place of any taken before;
/// `None` when the session has ended. While the stream is held, the session is not
/// ended for being idle.
pub(super) fn listen_to(
    gateway: &Gateway,
    session: &str,
    inbox: &Sender<Event>,
    only: Option<fn(&str) -> bool>,
) -> Option<tokio::sync::mpsc::Receiver<Message>> {
    let (sender, stream) = tokio::sync::mpsc::channel::<Message>(LISTEN_BACKLOG);
    if let Ok(mut sessions) = gateway.sessions.lock()
        && let Some(live) = sessions.get_mut(session)
    {
        live.listening = Some(sender.downgrade());
    }
    inbox
        .send(Event::Listening(Listening { sender, only }))
        .ok()
        .map(|()| stream)
}

/// An event stream of `messages`, each a `message` event.
pub(super) fn event_stream(
    messages: impl futures_util::Stream<Item = Message> + Send + 'static,
) -> Response {
    use futures_util::StreamExt as _;
    let events = messages.map(|message| {
        let mut event = b"event: message\ndata: ".to_vec();
        event.extend(codec::encode(&message));
        event.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(event))
    });
    let mut response = Body::from_stream(events).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn end_session(
    State(gateway): State<Arc<Gateway>>,
    Path(name): Path<String>,
    client: Client,
    headers: HeaderMap,
) -> Response {
    let agent = match admit(&gateway, &headers, client).await {
        Ok(agent) => agent,
        Err(response) => return response,
    };
    match session_of(&gateway, &headers, &name, &agent) {
        Err((status, message)) => refusal(status, message),
        Ok(None) => refusal(
            StatusCode::BAD_REQUEST,
            "name the session to end with its Mcp-Session-Id header",
        ),
        Ok(Some((id, inbox))) => {
            let _ = inbox.send(Event::ClientClosed { partial: false });
            if let Ok(mut sessions) = gateway.sessions.lock() {
                sessions.remove(&id);
            }
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

/// Opens a session of `served` for `agent`: its server (a child, or a link to the
/// upstream), the threads that decide its calls, and the loop; its id. The server's
/// sampling and elicitation requests reach the agent as the entry configures.
pub(super) fn start_session(
    gateway: &Arc<Gateway>,
    served: &Served,
    agent: &str,
) -> Result<(String, Sender<Event>), Failure> {
    let random = || {
        crate::serve::auth::random_hex(16).map_err(|e| Failure::internal(e.message().to_owned()))
    };
    let id = random()?;
    let ledger_session = format!(
        "mcp-{}-{}",
        served.name.chars().take(32).collect::<String>(),
        random()?.get(..12).unwrap_or_default()
    );
    let (events, inbox) = mpsc::channel::<Event>();
    let (jobs, decider) = start_deciding(&gateway.state, served.environment, events.clone())?;
    let (server, upstream) = match &served.upstream {
        Reached::Command { program, args, env } => {
            // Only what any program needs passes from the gateway's environment, which
            // may hold other servers' credentials; the entry's `env` adds the rest.
            let inherited = INHERITED
                .iter()
                .filter_map(|name| std::env::var_os(name).map(|value| (*name, value)));
            let mut child = std::process::Command::new(program)
                .args(args)
                .env_clear()
                .envs(inherited)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .current_dir(&gateway.cwd)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::inherit())
                .spawn()
                .map_err(|e| {
                    Failure::internal(format!("cannot start the MCP server `{program}`: {e}"))
                })?;
            let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::internal("the MCP server's pipes were not made"));
            };
            super::spawn_reader(
                "holdpoint-mcp-server",
                output,
                events.clone(),
                Event::Server,
                |partial| Event::ServerClosed { partial },
            )?;
            let mut command = vec![program.clone()];
            command.extend(args.iter().cloned());
            let server = McpServer {
                name: served.name.clone(),
                command,
                url: None,
                info: None,
                trusted: served.trusted,
            };
            (
                server,
                Upstream::Child {
                    child,
                    input: Some(input),
                },
            )
        }
        Reached::Url { url, headers } => {
            let connection =
                upstream::Connection::start(url.clone(), headers.clone(), events.clone())
                    .map_err(Failure::internal)?;
            let server = McpServer {
                name: served.name.clone(),
                command: Vec::new(),
                url: Some(url.clone()),
                info: None,
                trusted: served.trusted,
            };
            (server, Upstream::Http(connection))
        }
    };
    let label = format!("/mcp/{} {ledger_session}: ", served.name);
    let mut config = served.config.clone();
    config.policy = Some(super::policy_view(
        gateway.state.decider.in_force(),
        agent,
        served.environment,
    ));
    let mut driver = Driver {
        session: Session::new(server, config),
        watcher: WatcherHandle {
            env: Some(served.environment.to_string()),
            events: events.clone(),
            sender: None,
        },
        server: upstream,
        client: Downstream::Http(Streams::default()),
        jobs,
        undecided: std::collections::VecDeque::new(),
        asker: Arc::new(super::Asker {
            cwd: gateway.cwd.clone(),
            agent: agent.to_owned(),
            session: ledger_session.clone(),
        }),
        label: label.clone(),
        outbox: super::Outbox::default(),
    };
    gateway
        .sessions
        .lock()
        .map_err(|_| Failure::internal("the gateway's session table failed"))?
        .insert(
            id.clone(),
            Live {
                server: served.name.clone(),
                agent: agent.to_owned(),
                inbox: events.clone(),
                last: Instant::now(),
                listening: None,
            },
        );
    eprintln!(
        "holdpoint mcp: {label}opened for agent `{agent}`; its calls are recorded as session {ledger_session}"
    );
    let table = Arc::clone(gateway);
    let session = id.clone();
    std::thread::Builder::new()
        .name("holdpoint-mcp-session".to_owned())
        .spawn(move || {
            let code = driver.run(&inbox);
            // The deciding threads finish with the loop's queue, outcomes recorded.
            drop(driver);
            let _ = decider.join();
            if let Ok(mut sessions) = table.sessions.lock() {
                sessions.remove(&session);
            }
            eprintln!("holdpoint mcp: {label}closed (status {code})");
        })
        .map_err(|e| Failure::internal(format!("cannot start a thread: {e}")))?;
    Ok((id, events))
}

/// Starts the threads that decide one session's calls with the gateway's decider: one
/// that analyses and hands them over, one that waits for their answers.
fn start_deciding(
    state: &AppState,
    environment: Environment,
    events: Sender<Event>,
) -> Result<(Sender<Job>, std::thread::JoinHandle<()>), Failure> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let state = state.clone();
    let thread = local::analysis_thread("holdpoint-mcp-decider")
        .spawn(move || {
            let (waits, waiting) = mpsc::channel::<(u64, super::Waiting)>();
            let answers = events.clone();
            let waiter = std::thread::Builder::new()
                .name("holdpoint-mcp-settle".to_owned())
                .spawn(move || super::answer_when_settled(&waiting, &answers));
            let Ok(waiter) = waiter else {
                // Nothing can be decided: every call is refused.
                while let Ok(job) = queue.recv() {
                    if let Job::Decide(ticket, _) = job {
                        let _ = events.send(Event::Decided(ticket, session::Verdict::Failed));
                    }
                }
                return;
            };
            super::decide_locally(&state.decider, environment, &queue, &events, &waits);
            drop(waits);
            let _ = waiter.join();
        })
        .map_err(|e| Failure::internal(format!("cannot start a thread: {e}")))?;
    Ok((jobs, thread))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(value: &str, allowed: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_str(value).unwrap());
        let allowed: Vec<String> = allowed.iter().map(|a| (*a).to_owned()).collect();
        origin_allowed(&headers, &allowed)
    }

    #[test]
    fn only_this_machines_pages_and_the_origins_given_may_call() {
        assert!(origin_allowed(&HeaderMap::new(), &[]));
        assert!(origin("http://localhost:7900", &[]));
        assert!(origin("http://127.0.0.1", &[]));
        assert!(origin("https://[::1]:8080", &[]));
        assert!(origin(
            "https://app.example.com",
            &["https://app.example.com"]
        ));
        assert!(!origin("https://evil.example", &[]));
        assert!(!origin("http://localhost.evil.example", &[]));
        assert!(!origin("http://127.0.0.1.nip.io", &[]));
        assert!(!origin("null", &[]));
        assert!(!origin("file://", &[]));
    }

    #[test]
    fn the_mcp_method_and_name_headers_must_say_what_the_body_says() {
        let call = Message::Request {
            id: Id::from(1),
            method: "tools/call".to_owned(),
            params: Some(json!({"name": "write_file", "arguments": {}})),
        };
        let check = |pairs: &[(&'static str, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, HeaderValue::from_str(value).unwrap());
            }
            headers_match_body(&headers, &call).is_ok()
        };
        assert!(check(&[]));
        assert!(check(&[
            ("mcp-method", "tools/call"),
            ("mcp-name", "write_file")
        ]));
        assert!(!check(&[("mcp-method", "tools/list")]));
        assert!(!check(&[("mcp-name", "read_text_file")]));
        // Encoded values are compared decoded; one that does not decode matches nothing.
        assert!(check(&[("mcp-name", "=?base64?d3JpdGVfZmlsZQ==?=")]));
        assert!(!check(&[("mcp-name", "=?base64?cmVhZF90ZXh0X2ZpbGU=?=")]));
        assert!(!check(&[("mcp-name", "=?base64?!!!?=")]));
    }

    fn request(id: u64, token: Option<u64>) -> Message {
        let params = token.map(|t| json!({"_meta": {"progressToken": t}}));
        Message::Request {
            id: Id::from(id),
            method: "tools/call".to_owned(),
            params,
        }
    }

    #[test]
    fn each_message_goes_on_the_stream_it_belongs_to() {
        let mut streams = Streams::default();
        let (one, mut first) = tokio::sync::mpsc::unbounded_channel();
        let (two, mut second) = tokio::sync::mpsc::unbounded_channel();
        assert!(streams.open(&request(1, None), one));
        assert!(streams.open(&request(2, Some(7)), two));
        // A second request of an open id is answered on its own stream.
        let (three, mut third) = tokio::sync::mpsc::unbounded_channel();
        assert!(!streams.open(&request(1, None), three));
        assert!(matches!(
            third.try_recv().unwrap(),
            Message::Response {
                reply: codec::Reply::Error(_),
                ..
            }
        ));
        assert!(matches!(
            third.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
        ));
        let progress = Message::Notification {
            method: "notifications/progress".to_owned(),
            params: Some(json!({"progressToken": 7, "progress": 1})),
        };
        streams.deliver(progress.clone());
        assert_eq!(second.try_recv().unwrap(), progress);
        assert!(first.try_recv().is_err());
        let other = Message::Notification {
            method: "notifications/message".to_owned(),
            params: None,
        };
        streams.deliver(other.clone());
        assert_eq!(first.try_recv().unwrap(), other);
        let answer = Message::Response {
            id: Some(Id::from(2)),
            reply: codec::Reply::Result(json!({})),
        };
        streams.deliver(answer.clone());
        assert_eq!(second.try_recv().unwrap(), answer);
        // Answered, its stream ends.
        assert!(matches!(
            second.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
        ));
        assert_eq!(streams.open.len(), 1);
        assert!(streams.tokens.is_empty());

        // With a GET stream open, the server's notifications go there and its requests
        // still go on the oldest request stream; a full GET stream drops, a closed one
        // hands back to the request streams.
        let (sender, mut heard) = tokio::sync::mpsc::channel(LISTEN_BACKLOG);
        streams.listen(Listening { sender, only: None });
        streams.deliver(other.clone());
        assert_eq!(heard.try_recv().unwrap(), other);
        assert!(first.try_recv().is_err());
        let asked = Message::Request {
            id: Id::from(9),
            method: "elicitation/create".to_owned(),
            params: None,
        };
        streams.deliver(asked.clone());
        assert_eq!(first.try_recv().unwrap(), asked);
        for _ in 0..LISTEN_BACKLOG + 3 {
            streams.deliver(other.clone());
        }
        assert!(first.try_recv().is_err());
        let mut held = 0;
        while heard.try_recv().is_ok() {
            held += 1;
        }
        assert_eq!(held, LISTEN_BACKLOG);
        drop(heard);
        streams.deliver(other.clone());
        assert_eq!(first.try_recv().unwrap(), other);

        // A stream that takes only list changes (a 2026-07-28 agent's listen) leaves
        // the rest where it would go without one.
        let (sender, mut changes) = tokio::sync::mpsc::channel(LISTEN_BACKLOG);
        streams.listen(Listening {
            sender,
            only: Some(|method| method == "notifications/tools/list_changed"),
        });
        let changed = Message::Notification {
            method: "notifications/tools/list_changed".to_owned(),
            params: None,
        };
        streams.deliver(other.clone());
        streams.deliver(changed.clone());
        streams.deliver(asked.clone());
        assert_eq!(first.try_recv().unwrap(), other);
        assert_eq!(first.try_recv().unwrap(), asked);
        assert!(first.try_recv().is_err());
        assert_eq!(changes.try_recv().unwrap(), changed);
        assert!(changes.try_recv().is_err());
    }
}
