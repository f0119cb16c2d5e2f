//! How the gateway reaches an `[[mcp]] url` server: MCP's Streamable HTTP transport,
//! as a client. Each message the session machine sends is POSTed with the server's
//! credentials (the `headers` and `bearer` of its entry, which the agent never sees),
//! the server's `Mcp-Session-Id` once its `initialize` answer gave one, and the protocol
//! version it answered with; each answer (JSON, or an SSE stream of messages) is
//! parsed with the stdio codec and handed to the loop as if the server had written it.
//! A stream the server ends before the request's response, having given its events ids,
//! is resumed with a GET naming the last event seen (`Last-Event-ID`), after the wait the
//! server asked for (`retry:`), until five resumptions in a row bring nothing new; a
//! stream that ends without the response otherwise is answered with an error. Once the
//! session is set up
//! (`notifications/initialized`), a thread listens on the server's own stream (a GET)
//! for what it sends outside any request, opening it again when the server ends it.
//!
//! Threads, as the rest of the gateway: one sends in order (notifications and responses
//! are posted there, one after another, so `notifications/initialized` reaches the
//! server before any request that follows it), and each request is posted by a thread
//! that reads its answer, so that a slow tool never holds up the others. Those threads
//! are kept between requests (`Callers`): as many as the session has had requests in
//! flight at once, of which at most `KEPT_IDLE` wait idle. When the session ends the
//! server's session is ended too (`DELETE`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::Event;
use super::codec::{self, CodecError, Id, Line, Lines, Message, Reply, code};
use super::params;

/// The connections to the server kept open between requests, per session: as many as an
/// agent has calls in flight at once, within reason. ureq's default (3) made a burst of
/// calls open and close a connection for nearly every call, which cost the server more
/// than the calls themselves.
const MOST_IDLE_CONNECTIONS: usize = 32;

/// What the sending thread is asked to do.
enum Outgoing {
    Message(Message),
    /// End the server's session, then report the server closed.
    Close,
}

/// One session's link to a Streamable HTTP server.
pub(super) struct Connection {
    /// `None` once closed.
    queue: Option<Sender<Outgoing>>,
    /// Messages handed to the sending thread and not yet sent by it: while there are
    /// none, a request is handed to a posting thread at once, as the sending thread
    /// would, one thread hop fewer; otherwise it waits its turn behind them.
    queued: Arc<AtomicUsize>,
    link: Arc<Link>,
    callers: Arc<Callers>,
    events: Sender<Event>,
}

impl Connection {
    /// Starts the thread that sends to `url`; what the server answers goes to `events`.
    pub(super) fn start(
        url: String,
        headers: Vec<(String, String)>,
        events: Sender<Event>,
    ) -> Result<Self, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .max_idle_connections(MOST_IDLE_CONNECTIONS)
            .max_idle_connections_per_host(MOST_IDLE_CONNECTIONS)
            .user_agent("holdpoint-mcp")
            .build()
            .into();
        let link = Arc::new(Link {
            agent,
            url,
            headers,
            known: Mutex::new(Known::default()),
            closed: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            in_flight: Mutex::default(),
            asked: Mutex::default(),
        });
        let (queue, outgoing) = mpsc::channel::<Outgoing>();
        let queued = Arc::new(AtomicUsize::new(0));
        let callers = Arc::new(Callers::default());
        let sending = Sending {
            link: Arc::clone(&link),
            callers: Arc::clone(&callers),
            queued: Arc::clone(&queued),
            events: events.clone(),
        };
        std::thread::Builder::new()
            .name("holdpoint-mcp-upstream".to_owned())
            .spawn(move || sending.run(&outgoing))
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        Ok(Connection {
            queue: Some(queue),
            queued,
            link,
            callers,
            events,
        })
    }

    pub(super) fn send(&mut self, message: Message) {
        let Some(queue) = &self.queue else {
            return;
        };
        // INVARIANT: nothing handed to the sending thread is overtaken: a request goes
        // straight to a posting thread only when everything handed over before it has
        // been sent (a notification, posted by the sending thread itself, included).
        if let Message::Request { id, .. } = &message
            && self.queued.load(Ordering::Acquire) == 0
        {
            let id = id.clone();
            if let Err(why) = self.callers.post(&self.link, message, &self.events) {
                failed(&self.events, id, &why);
            }
            return;
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        if queue.send(Outgoing::Message(message)).is_err() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Ends the server's session once everything sent before has gone.
    pub(super) fn close(&mut self) {
        if let Some(queue) = self.queue.take() {
            let _ = queue.send(Outgoing::Close);
        }
    }
}

/// What the server told the gateway about its session.
#[derive(Debug, Default)]
struct Known {
    session: Option<String>,
    version: Option<String>,
    /// Set when the server speaks only the 2026-07-28 revision, which has no
    /// `initialize` and no sessions: what every request then carries in its `_meta`.
    modern: Option<Modern>,
    /// The arguments each listed tool's calls mirror into `Mcp-Param-*` headers, for a
    /// server that speaks 2026-07-28.
    bindings: params::Bindings,
}

/// The revision without `initialize` (2026-07-28): each request says who the client is
/// and what it can do, and the gateway says it for the client it stands in for.
#[derive(Debug, Clone)]
struct Modern {
    /// The client's capabilities, as its `initialize` gave them (less what the gateway
    /// refuses to pass on, which the session machine has already removed).
    capabilities: Value,
    client_info: Option<Value>,
}

/// The stateless revision, and the `_meta` keys its requests carry.
const MODERN: &str = "2026-07-28";
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_CLIENT: &str = "io.modelcontextprotocol/clientInfo";
const META_SERVER: &str = "io.modelcontextprotocol/serverInfo";

struct Link {
    agent: ureq::Agent,
    url: String,
    /// The server's credentials, added to every request.
    headers: Vec<(String, String)>,
    known: Mutex<Known>,
    /// Set when the session ends, so that the stream the gateway listens on is not
    /// opened again.
    closed: AtomicBool,
    /// Set once a thread listens on the server's own stream.
    listening: AtomicBool,
    /// The requests posted to a 2026-07-28 server and not yet answered, by id: what a
    /// server that answers `input_required` is asked again, with the answers.
    in_flight: Mutex<HashMap<Id, Message>>,
    /// The questions a 2026-07-28 server asked (its `inputRequests`), passed to the
    /// client as requests of the server's own, by the id the gateway gave each.
    asked: Mutex<HashMap<Id, Arc<Mutex<Round>>>>,
}

/// A request a 2026-07-28 server answered `input_required`, while its questions are
/// put to the client.
struct Round {
    /// The request as the client sent it, to post again with the answers.
    request: Message,
    /// The server's `requestState`, given back as it was.
    state: Option<Value>,
    /// The questions not yet answered, by the id they were asked under: the key the
    /// server gave each.
    waiting: HashMap<Id, String>,
    /// The answers so far, by the server's key.
    answers: serde_json::Map<String, Value>,
}

/// Answers to a 2026-07-28 server's questions, posted with the request they belong to.
struct Input {
    responses: serde_json::Map<String, Value>,
    state: Option<Value>,
}

/// Ids of the gateway's own for the questions it passes on.
static NEXT_QUESTION: AtomicUsize = AtomicUsize::new(1);

/// The threads that post a session's requests, each reading its request's answer.
/// Kept between requests: a new request goes to an idle one, and a thread is started
/// only when none is idle. Each idle thread waits on a channel of its own, which it
/// leaves here: handing it a request wakes that thread and no other.
#[derive(Default)]
struct Callers {
    idle: Arc<Mutex<Vec<Sender<Message>>>>,
}

/// How many posting threads a session keeps idle at most, one for each connection kept
/// open; one that finishes a request when this many are idle ends.
const KEPT_IDLE: usize = MOST_IDLE_CONNECTIONS;

impl Callers {
    /// Posts `message` (a request) on a thread of the session's, which hands what the
    /// server answers to `events`.
    fn post(
        &self,
        link: &Arc<Link>,
        message: Message,
        events: &Sender<Event>,
    ) -> Result<(), String> {
        let mut message = message;
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let Some(thread) = idle else {
                break;
            };
            // A thread that has ended since it was left idle is passed over.
            match thread.send(message) {
                Ok(()) => return Ok(()),
                Err(mpsc::SendError(back)) => message = back,
            }
        }
        let link = Arc::clone(link);
        let answers = events.clone();
        // Weak: when the session ends, the idle list goes, and with it every idle
        // thread's channel, which ends the thread.
        let idle = Arc::downgrade(&self.idle);
        std::thread::Builder::new()
            .name("holdpoint-mcp-upstream-call".to_owned())
            .spawn(move || {
                let mut next = Some(message);
                while let Some(message) = next.take() {
                    link.exchange(&message, &answers);
                    let (mine, inbox) = mpsc::channel();
                    {
                        let Some(idle) = idle.upgrade() else {
                            return;
                        };
                        let mut idle = idle
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if idle.len() >= KEPT_IDLE {
                            return;
                        }
                        idle.push(mine);
                    }
                    next = inbox.recv().ok();
                }
            })
            .map(|_| ())
            .map_err(|e| format!("cannot start a thread: {e}"))
    }
}

/// The sending thread's side: what it needs to send in order.
struct Sending {
    link: Arc<Link>,
    callers: Arc<Callers>,
    queued: Arc<AtomicUsize>,
    events: Sender<Event>,
}

impl Sending {
    fn run(self, outgoing: &Receiver<Outgoing>) {
        while let Ok(next) = outgoing.recv() {
            let close = matches!(next, Outgoing::Close);
            send_one(&self.link, &self.callers, next, &self.events);
            if close {
                return;
            }
            // Sent (a request handed to its posting thread): the loop may post the next
            // request itself once nothing else is waiting.
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
        // The session is over without a close (the loop has gone): end the server's too.
        self.link.closed.store(true, Ordering::Relaxed);
        self.link.end();
    }
}

/// Sends one message handed to the sending thread.
fn send_one(link: &Arc<Link>, callers: &Callers, next: Outgoing, events: &Sender<Event>) {
    {
        match next {
            Outgoing::Close => {
                link.closed.store(true, Ordering::Relaxed);
                link.end();
                let _ = events.send(Event::ServerClosed { partial: false });
            }
            Outgoing::Message(message) => match &message {
                Message::Notification { method, .. } if method == "notifications/initialized" => {
                    link.notify(&message);
                    // The session is set up: the server may now speak on its own. One
                    // listener, however often the client says it is set up.
                    if link.listening.swap(true, Ordering::Relaxed) {
                        return;
                    }
                    let listening = Arc::clone(link);
                    let answers = events.clone();
                    let _ = std::thread::Builder::new()
                        .name("holdpoint-mcp-upstream-listen".to_owned())
                        .spawn(move || listening.listen(&answers));
                }
                Message::Request { id, .. } => {
                    let id = id.clone();
                    if let Err(why) = callers.post(link, message, events) {
                        failed(events, id, &why);
                    }
                }
                Message::Response { id: Some(id), .. } if link.asked_under(id) => {
                    link.answered(message, events);
                }
                _ => link.notify(&message),
            },
        }
    }
}

/// A header value for `text`: as it is when it is visible ASCII without surrounding
/// spaces, otherwise in the `=?base64?…?=` form 2026-07-28 gives for the rest.
fn header_value(text: &str) -> String {
    let plain = !text.is_empty()
        && text.bytes().all(|b| (0x20..0x7f).contains(&b))
        && text.trim() == text
        && !text.starts_with("=?");
    if plain {
        text.to_owned()
    } else {
        use base64::Engine as _;
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    }
}

/// A response's media type, lowercase (empty when it names none).
fn content_type(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The result of the response to request `id` in a JSON or event-stream answer.
fn result_of(response: ureq::http::Response<ureq::Body>, id: &Id) -> Option<Value> {
    let kind = content_type(&response);
    let limit = u64::try_from(codec::MAX_MESSAGE).unwrap_or(u64::MAX);
    let mut text = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(limit)
        .read_to_end(&mut text)
        .ok()?;
    let messages: Vec<Message> = if kind.starts_with("text/event-stream") {
        let mut stream = EventStream::default();
        stream
            .push(&text)
            .into_iter()
            .filter_map(|data| codec::parse(&data.ok()?).ok())
            .collect()
    } else {
        vec![codec::parse(&text).ok()?]
    };
    messages.into_iter().find_map(|message| match message {
        Message::Response {
            id: Some(to),
            reply: Reply::Result(result),
        } if to == *id => Some(result),
        _ => None,
    })
}

/// Answers the request `id` with an error, as if the server had.
fn failed(events: &Sender<Event>, id: Id, why: &str) {
    let _ = events.send(Event::Server(Ok((
        Message::error(Some(id), code::INTERNAL_ERROR, why),
        0,
    ))));
}

impl Link {
    fn post(
        &self,
        message: &Message,
        input: Option<&Input>,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let modern = self.known.lock().ok().and_then(|k| k.modern.clone());
        match modern {
            Some(modern) => self.post_modern(message, &modern, input),
            None => self.post_as(message, &[]),
        }
    }

    /// Posts `message` with the session's headers (or `extra` instead, when it has any).
    fn post_as(
        &self,
        message: &Message,
        extra: &[(&str, String)],
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let body = codec::encode(message);
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
        request = self.credentials(request);
        if extra.is_empty() {
            request = self.session_headers(request);
        } else {
            for (name, value) in extra {
                request = request.header(*name, value.as_str());
            }
        }
        request
            .send(&body[..])
            .map_err(|e| format!("the MCP server at {} could not be reached: {e}", self.url))
    }

    /// Posts a request in the 2026-07-28 way: who the client is and what it can do in
    /// its `_meta`, and the headers that mirror the body (`MCP-Protocol-Version`,
    /// `Mcp-Method`, and `Mcp-Name` for a tool, resource or prompt).
    fn post_modern(
        &self,
        message: &Message,
        modern: &Modern,
        input: Option<&Input>,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let Message::Request { id, method, params } = message else {
            return self.post_as(message, &[]);
        };
        let mut params = params.clone().unwrap_or_else(|| serde_json::json!({}));
        // The name the body acts on, which `Mcp-Name` must say.
        let named = match method.as_str() {
            "tools/call" | "prompts/get" => Some("name"),
            "resources/read" => Some("uri"),
            _ => None,
        };
        let name = named.and_then(|key| params.get(key).and_then(Value::as_str).map(header_value));
        // The arguments the tool's schema says to mirror (`x-mcp-header`).
        let mirrored = match (method.as_str(), params.get("name").and_then(Value::as_str)) {
            ("tools/call", Some(tool)) => self
                .known
                .lock()
                .map(|known| params::mirror(known.bindings.of(tool), params.get("arguments")))
                .map_err(|_| {
                    format!(
                        "holdpoint's record of the MCP server at {} failed; nothing was sent",
                        self.url
                    )
                })?,
            _ => Vec::new(),
        };
        let Some(object) = params.as_object_mut() else {
            return Err(format!(
                "holdpoint cannot send `{method}` to the MCP server at {}: its params are not an object",
                self.url
            ));
        };
        // Answers to the server's questions (`inputResponses`, with its `requestState`)
        // come only from the client's answers to the questions the gateway put to it
        // (`input`): a client that sends them unasked does not answer for them.
        object.remove("inputResponses");
        object.remove("requestState");
        if let Some(input) = input {
            object.insert(
                "inputResponses".to_owned(),
                Value::Object(input.responses.clone()),
            );
            if let Some(state) = &input.state {
                object.insert("requestState".to_owned(), state.clone());
            }
        }
        let mut meta = match object.remove("_meta") {
            Some(Value::Object(meta)) => meta,
            _ => serde_json::Map::new(),
        };
        meta.insert(META_VERSION.to_owned(), Value::from(MODERN));
        meta.insert(META_CAPABILITIES.to_owned(), modern.capabilities.clone());
        if let Some(info) = &modern.client_info {
            meta.insert(META_CLIENT.to_owned(), info.clone());
        }
        object.insert("_meta".to_owned(), Value::Object(meta));
        let mut headers = vec![
            ("MCP-Protocol-Version", MODERN.to_owned()),
            ("Mcp-Method", header_value(method)),
        ];
        if let Some(name) = name {
            headers.push(("Mcp-Name", name));
        }
        headers.extend(
            mirrored
                .iter()
                .map(|(header, value)| (header.as_str(), value.clone())),
        );
        let message = Message::Request {
            id: id.clone(),
            method: method.clone(),
            params: Some(params),
        };
        self.post_as(&message, &headers)
    }

    /// After `initialize` was refused: asks the server whether it speaks 2026-07-28
    /// (`server/discover`) and, if so, answers the client's `initialize` for it from
    /// what the server says of itself; every later request then goes the 2026-07-28 way.
    /// `false` when the server does not.
    fn discover(&self, initialize: &Message, events: &Sender<Event>) -> bool {
        let Message::Request { id, params, .. } = initialize else {
            return false;
        };
        let params = params.clone().unwrap_or_else(|| serde_json::json!({}));
        let modern = Modern {
            capabilities: params
                .get("capabilities")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({})),
            client_info: params.get("clientInfo").cloned(),
        };
        let asked = Message::Request {
            id: id.clone(),
            method: "server/discover".to_owned(),
            params: None,
        };
        let Ok(response) = self.post_modern(&asked, &modern, None) else {
            return false;
        };
        if !response.status().is_success() {
            return false;
        }
        let Some(result) = result_of(response, id) else {
            return false;
        };
        let speaks = result
            .get("supportedVersions")
            .and_then(Value::as_array)
            .is_some_and(|versions| versions.iter().any(|v| v == MODERN));
        if !speaks {
            return false;
        }
        // The client asked for a version the gateway speaks with it; the server's own
        // is 2026-07-28, which the gateway speaks with the server.
        let version = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("2025-11-25")
            .to_owned();
        let server_info = result
            .get("_meta")
            .and_then(|m| m.get(META_SERVER))
            .cloned()
            .unwrap_or_else(|| serde_json::json!({"name": "unknown", "version": "unknown"}));
        // The gateway does not listen to such a server (`subscriptions/listen`): the
        // client is not told of changes or subscriptions it would never hear of.
        let mut capabilities = result
            .get("capabilities")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        for kind in ["tools", "prompts", "resources"] {
            if let Some(object) = capabilities.get_mut(kind).and_then(Value::as_object_mut) {
                object.remove("listChanged");
                object.remove("subscribe");
            }
        }
        let mut answer = serde_json::json!({
            "protocolVersion": version,
            "capabilities": capabilities,
            "serverInfo": server_info,
        });
        if let Some(instructions) = result.get("instructions")
            && let Some(object) = answer.as_object_mut()
        {
            object.insert("instructions".to_owned(), instructions.clone());
        }
        if let Ok(mut known) = self.known.lock() {
            known.modern = Some(modern);
        }
        eprintln!(
            "holdpoint mcp: the MCP server at {} speaks only MCP {MODERN}; holdpoint speaks it with the server for the client",
            self.url
        );
        let message = Message::Response {
            id: Some(id.clone()),
            reply: Reply::Result(answer),
        };
        let _ = events.send(Event::Server(Ok((message, 0))));
        true
    }

    /// Whether the server speaks only 2026-07-28.
    fn modern(&self) -> bool {
        self.known.lock().is_ok_and(|k| k.modern.is_some())
    }

    /// Posts a notification or a response; the server answers 202 with no body. The
    /// 2026-07-28 revision has neither from the client over HTTP (closing a request's
    /// stream is how a client cancels it): they are not sent.
    fn notify(&self, message: &Message) {
        if self.modern() {
            self.forget_cancelled(message);
            return;
        }
        match self.post(message, None) {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => eprintln!(
                "holdpoint mcp: the MCP server at {} refused a message with HTTP {}",
                self.url,
                response.status().as_u16()
            ),
            Err(why) => eprintln!("holdpoint mcp: {why}"),
        }
    }

    /// Posts a request and hands every message of its answer to the loop.
    fn exchange(&self, message: &Message, events: &Sender<Event>) {
        self.exchange_with(message, None, events);
    }

    /// Posts a request, with the answers to its server's questions when it has them,
    /// and hands every message of its answer to the loop.
    fn exchange_with(&self, message: &Message, input: Option<&Input>, events: &Sender<Event>) {
        let Message::Request { id, .. } = message else {
            return;
        };
        // What a 2026-07-28 server may ask to be asked again with answers.
        let modern = self.modern();
        if modern && let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.insert(id.clone(), message.clone());
        }
        self.post_and_hand(message, input, events);
        if modern && let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.remove(id);
        }
    }

    fn post_and_hand(&self, message: &Message, input: Option<&Input>, events: &Sender<Event>) {
        let Message::Request { id, method, .. } = message else {
            return;
        };
        let initialize = method == "initialize";
        // What 2026-07-28 removed, the gateway answers itself.
        if self.modern() && matches!(method.as_str(), "ping" | "logging/setLevel") {
            let _ = events.send(Event::Server(Ok((
                Message::Response {
                    id: Some(id.clone()),
                    reply: Reply::Result(serde_json::json!({})),
                },
                0,
            ))));
            return;
        }
        let response = match self.post(message, input) {
            Ok(response) => response,
            Err(why) => return failed(events, id.clone(), &why),
        };
        let status = response.status().as_u16();
        // A server that speaks only 2026-07-28 refuses `initialize` (404, or 400 with
        // the versions it supports).
        if initialize && matches!(status, 400 | 404 | 405) && self.discover(message, events) {
            return;
        }
        if !response.status().is_success() {
            return failed(
                events,
                id.clone(),
                &format!(
                    "the MCP server at {} answered HTTP {status}{}",
                    self.url,
                    if status == 401 || status == 403 {
                        " (holdpoint's credentials for it, `bearer` or `headers` in its [[mcp]] entry, were refused)"
                    } else {
                        ""
                    }
                ),
            );
        }
        if initialize
            && let Some(session) = response
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
            && let Ok(mut known) = self.known.lock()
        {
            known.session = Some(session.to_owned());
        }
        let kind = content_type(&response);
        let body = response.into_body().into_reader();
        if kind.starts_with("text/event-stream") {
            let mut stream = EventStream::default();
            let mut answered = self.read_events(body, &mut stream, id, method, events);
            // A server may end the stream before its answer, having given the stream's
            // events ids (MCP 2025-11-25, "resumability"): the answer then comes on a GET
            // that names the last event seen, after the wait the server asked for.
            // A server may end the stream again and again while a long call runs
            // (polling): only resumptions that brought nothing new count.
            let mut fruitless = 0;
            while !answered && fruitless < MOST_RESUMPTIONS && !self.closed.load(Ordering::Relaxed)
            {
                let Some(last) = stream.last_id.clone() else {
                    break;
                };
                std::thread::sleep(stream.wait());
                match self.resume(&last) {
                    Ok(body) => {
                        stream.restart();
                        answered = self.read_events(body, &mut stream, id, method, events);
                        if stream.last_id.as_deref() == Some(last.as_str()) {
                            fruitless += 1;
                        } else {
                            fruitless = 0;
                        }
                    }
                    Err(why) => return failed(events, id.clone(), &why),
                }
            }
            if !answered {
                failed(
                    events,
                    id.clone(),
                    &format!(
                        "the MCP server at {} ended its answer without a response",
                        self.url
                    ),
                );
            }
        } else if kind.starts_with("application/json") {
            let mut text = Vec::new();
            let limit = u64::try_from(codec::MAX_MESSAGE).unwrap_or(u64::MAX) + 1;
            if let Err(e) = body.take(limit).read_to_end(&mut text) {
                return failed(
                    events,
                    id.clone(),
                    &format!("the MCP server's answer could not be read: {e}"),
                );
            }
            let parsed = if text.len() > codec::MAX_MESSAGE {
                Err(CodecError::TooLong)
            } else {
                codec::parse(&text)
            };
            self.hand(parsed, text.len(), method, events);
        } else {
            failed(
                events,
                id.clone(),
                &format!("the MCP server answered with `{kind}`, neither JSON nor an event stream"),
            );
        }
    }

    /// Reads a server-sent event stream to its end, handing each `message` event's
    /// message to the loop; whether the response to request `id` was among them (or the
    /// stream was refused as too long, which is answered for).
    fn read_events(
        &self,
        mut body: impl Read,
        stream: &mut EventStream,
        id: &Id,
        method: &str,
        events: &Sender<Event>,
    ) -> bool {
        let mut buf = vec![0u8; 64 * 1024];
        let mut answered = false;
        loop {
            let n = match body.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(0) | Err(_) => return answered,
                Ok(n) => n,
            };
            for data in stream.push(buf.get(..n).unwrap_or_default()) {
                let size = data.as_ref().map_or(0, Vec::len);
                let parsed = data.and_then(|data| codec::parse(&data));
                let too_long = parsed == Err(CodecError::TooLong);
                answered |=
                    matches!(&parsed, Ok(Message::Response { id: Some(to), .. }) if to == id);
                self.hand(parsed, size, method, events);
                if too_long {
                    return true;
                }
            }
        }
    }

    /// Asks for the events of this session's stream after event `last` (a GET with
    /// `Last-Event-ID`); the body of the stream that continues it.
    fn resume(&self, last: &str) -> Result<impl Read + use<>, String> {
        let response = self.get(Some(last), None)?;
        if !response.status().is_success() {
            return Err(format!(
                "the MCP server at {} ended its answer early and refused to resume it (HTTP {})",
                self.url,
                response.status().as_u16()
            ));
        }
        Ok(response.into_body().into_reader())
    }

    /// Hands one message of the server's, from the answer to a request of `method`
    /// (none: the server's own stream), to the loop, learning the protocol version from
    /// the `initialize` answer.
    fn hand(
        &self,
        parsed: Result<Message, CodecError>,
        size: usize,
        method: &str,
        events: &Sender<Event>,
    ) {
        // Only these answers teach the session anything: no other takes the lock.
        if matches!(method, "initialize" | "tools/list")
            && let Ok(Message::Response {
                reply: Reply::Result(result),
                ..
            }) = &parsed
            && let Ok(mut known) = self.known.lock()
        {
            if method == "initialize"
                && let Some(version) = result.get("protocolVersion").and_then(Value::as_str)
            {
                known.version = Some(version.to_owned());
            }
            if method == "tools/list" {
                for (tool, why) in known.bindings.learn(result.get("tools")) {
                    eprintln!(
                        "holdpoint mcp: the MCP server at {} declares the tool `{tool}`'s headers wrongly ({why}); its calls carry none",
                        self.url
                    );
                }
            }
        }
        let parsed = match parsed {
            Ok(message) => match self.for_legacy_client(message, method, events) {
                Some(message) => Ok(message),
                // Its questions went to the client; the request is answered later.
                None => return,
            },
            Err(e) => Err(e),
        };
        let _ = events.send(Event::Server(parsed.map(|m| (m, size))));
    }

    /// A 2026-07-28 answer as a 2025-11-25 client reads it: a result that asks for more
    /// input (`input_required`) has its questions put to the client as requests of the
    /// server's own (`None`: the request is answered when the server has the answers
    /// and answers it); one whose questions cannot be read fails, saying so.
    fn for_legacy_client(
        &self,
        message: Message,
        method: &str,
        events: &Sender<Event>,
    ) -> Option<Message> {
        let Message::Response {
            id,
            reply: Reply::Result(result),
        } = message
        else {
            return Some(message);
        };
        if result.get("resultType").and_then(Value::as_str) != Some("input_required") {
            return Some(Message::Response {
                id,
                reply: Reply::Result(result),
            });
        }
        let request = id
            .as_ref()
            .and_then(|id| self.in_flight.lock().ok()?.get(id).cloned());
        let questions = result.get("inputRequests").and_then(Value::as_object);
        match (request, questions) {
            (Some(request), Some(questions)) if !questions.is_empty() => {
                self.put_to_client(request, questions, result.get("requestState"), events);
                None
            }
            _ => Some(self.failure(
                id,
                method,
                "asked for more input (MCP 2026-07-28's input_required) without questions holdpoint can pass on",
            )),
        }
    }

    /// The request `id` of `method` answered as failed, saying why: a tool call with a
    /// result the model reads as an error, anything else with a JSON-RPC error.
    fn failure(&self, id: Option<Id>, method: &str, why: &str) -> Message {
        let text = format!(
            "the MCP server at {} {why}; nothing further was run",
            self.url
        );
        if method != "tools/call" {
            return Message::error(id, code::INTERNAL_ERROR, &text);
        }
        Message::Response {
            id,
            reply: Reply::Result(serde_json::json!({
                "content": [{"type": "text", "text": text}],
                "isError": true,
            })),
        }
    }

    /// Puts a 2026-07-28 server's questions to the client, each as a request of the
    /// server's own under an id of the gateway's (the session machine passes them as
    /// configured, or answers them itself: roots, or a refusal).
    fn put_to_client(
        &self,
        request: Message,
        questions: &serde_json::Map<String, Value>,
        state: Option<&Value>,
        events: &Sender<Event>,
    ) {
        let round = Arc::new(Mutex::new(Round {
            request,
            state: state.cloned(),
            waiting: HashMap::new(),
            answers: serde_json::Map::new(),
        }));
        let mut put = Vec::new();
        for (key, question) in questions {
            let n = NEXT_QUESTION.fetch_add(1, Ordering::Relaxed);
            let Some(id) = Id::from_value(&Value::from(format!("hp-input-{n}"))) else {
                continue;
            };
            let method = question
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            put.push(Message::Request {
                id: id.clone(),
                method,
                params: question.get("params").cloned(),
            });
            if let Ok(mut round) = round.lock() {
                round.waiting.insert(id.clone(), key.clone());
            }
            if let Ok(mut asked) = self.asked.lock() {
                asked.insert(id, Arc::clone(&round));
            }
        }
        for message in put {
            let _ = events.send(Event::Server(Ok((message, 0))));
        }
    }

    /// A cancellation of a request whose questions are still out: the questions are
    /// forgotten with it, so that nothing of a cancelled call is kept (a late answer
    /// finds no question and is dropped), and the call is never posted again.
    fn forget_cancelled(&self, message: &Message) {
        let Message::Notification {
            method,
            params: Some(params),
        } = message
        else {
            return;
        };
        let cancelled = (method == "notifications/cancelled")
            .then(|| params.get("requestId").and_then(Id::from_value))
            .flatten();
        let Some(cancelled) = cancelled else {
            return;
        };
        if let Ok(mut asked) = self.asked.lock() {
            asked.retain(|_, round| {
                round.lock().is_ok_and(|round| {
                    !matches!(&round.request, Message::Request { id, .. } if *id == cancelled)
                })
            });
        }
    }

    /// Whether `id` is a question of the server's the gateway put to the client.
    fn asked_under(&self, id: &Id) -> bool {
        self.asked.lock().is_ok_and(|asked| asked.contains_key(id))
    }

    /// The client's answer to a question: kept, and once every question of its request
    /// is answered, the request is posted again with the answers (on a thread of its
    /// own, since the server may take long). An error for an answer fails the request.
    fn answered(self: &Arc<Self>, message: Message, events: &Sender<Event>) {
        let Message::Response {
            id: Some(id),
            reply,
        } = message
        else {
            return;
        };
        let Some(round) = self
            .asked
            .lock()
            .ok()
            .and_then(|mut asked| asked.remove(&id))
        else {
            return;
        };
        let Ok(mut round) = round.lock() else {
            return;
        };
        let Some(key) = round.waiting.remove(&id) else {
            return;
        };
        let Message::Request {
            id: request_id,
            method,
            ..
        } = &round.request
        else {
            return;
        };
        let (request_id, method) = (request_id.clone(), method.clone());
        match reply {
            Reply::Result(answer) => {
                round.answers.insert(key, answer);
            }
            Reply::Error(error) => {
                // The rest of its questions are answered for nothing.
                if let Ok(mut asked) = self.asked.lock() {
                    for other in round.waiting.keys() {
                        asked.remove(other);
                    }
                }
                round.waiting.clear();
                let why = format!(
                    "asked for more input, and the question was not answered ({})",
                    error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("an error")
                );
                let failure = self.failure(Some(request_id), &method, &why);
                let _ = events.send(Event::Server(Ok((failure, 0))));
                return;
            }
        }
        if !round.waiting.is_empty() {
            return;
        }
        let request = round.request.clone();
        let input = Input {
            responses: std::mem::take(&mut round.answers),
            state: round.state.take(),
        };
        drop(round);
        let link = Arc::clone(self);
        let answers = events.clone();
        let started = std::thread::Builder::new()
            .name("holdpoint-mcp-upstream-input".to_owned())
            .spawn(move || link.exchange_with(&request, Some(&input), &answers));
        if let Err(e) = started {
            failed(events, request_id, &format!("cannot start a thread: {e}"));
        }
    }

    /// Listens on the server's own stream (a GET), handing what it sends there to the
    /// loop, and opens it again when the server ends it (resumed from the last event
    /// when its events have ids), until the session ends. A server that offers no such
    /// stream (405) is left alone; one that fails to open it five times running too.
    /// Each opening lasts at most [`LISTEN_TURN`], so that a server that keeps the
    /// stream open after the session ended does not keep the thread.
    fn listen(&self, events: &Sender<Event>) {
        // 2026-07-28 has no such stream (change notifications come through
        // `subscriptions/listen`, which the gateway does not open yet).
        if self.modern() {
            return;
        }
        let mut stream = EventStream::default();
        let mut failures = 0;
        while !self.closed.load(Ordering::Relaxed) && failures < MOST_RESUMPTIONS {
            let response = match self.get(stream.last_id.as_deref(), Some(LISTEN_TURN)) {
                Ok(response) => response,
                Err(why) => {
                    eprintln!("holdpoint mcp: {why}");
                    failures += 1;
                    std::thread::sleep(stream.wait());
                    continue;
                }
            };
            let status = response.status().as_u16();
            if status == 405 {
                return;
            }
            if !response.status().is_success() {
                failures += 1;
                std::thread::sleep(stream.wait());
                continue;
            }
            let kind = content_type(&response);
            if !kind.starts_with("text/event-stream") {
                // A page, not a stream: the server has none to offer.
                return;
            }
            stream.restart();
            let mut delivered = false;
            let mut body = response.into_body().into_reader();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match body.read(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                for data in stream.push(buf.get(..n).unwrap_or_default()) {
                    delivered = true;
                    let size = data.as_ref().map_or(0, Vec::len);
                    self.hand(data.and_then(|data| codec::parse(&data)), size, "", events);
                }
            }
            // A stream that carried nothing counts as a failure, so that a server that
            // ends every stream at once is not asked again without end.
            if delivered {
                failures = 0;
            } else {
                failures += 1;
            }
            if !self.closed.load(Ordering::Relaxed) {
                std::thread::sleep(stream.wait());
            }
        }
    }

    /// A GET of the server's stream, after event `last` when given, its body read for
    /// at most `budget`.
    fn get(
        &self,
        last: Option<&str>,
        budget: Option<Duration>,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let mut request = self
            .agent
            .get(&self.url)
            .config()
            .timeout_recv_body(budget)
            .build()
            .header("Accept", "text/event-stream");
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        self.session_headers(self.credentials(request))
            .call()
            .map_err(|e| format!("the MCP server at {} could not be reached: {e}", self.url))
    }

    /// Ends the server's session, when it gave one.
    fn end(&self) {
        let session = self.known.lock().ok().and_then(|k| k.session.clone());
        let Some(session) = session else { return };
        let request = self
            .agent
            .delete(&self.url)
            .header("Mcp-Session-Id", session.as_str());
        let _ = self.credentials(request).call();
    }

    /// `request` with the server's credentials: its entry's `headers` and `bearer`.
    fn credentials<B>(&self, mut request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request
    }

    /// `request` with the session the server gave and the protocol version it answered
    /// with, once known.
    fn session_headers<B>(&self, mut request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        if let Ok(known) = self.known.lock() {
            if let Some(session) = &known.session {
                request = request.header("Mcp-Session-Id", session.as_str());
            }
            if let Some(version) = &known.version {
                request = request.header("MCP-Protocol-Version", version.as_str());
            }
        }
        request
    }
}

/// How many times one answer's stream is resumed, and the longest wait before resuming
/// that a server may ask for.
const MOST_RESUMPTIONS: u32 = 5;
const MOST_RETRY_WAIT: Duration = Duration::from_secs(10);

/// How long the server's own stream is read before it is opened again.
const LISTEN_TURN: Duration = Duration::from_secs(5 * 60);

/// A server-sent event stream cut into the data of its `message` events (events with
/// no type are messages too), keeping the last event id and the wait the server asks
/// for before a stream is resumed (`retry:`); comments are skipped. Pure.
#[derive(Debug)]
struct EventStream {
    lines: Lines,
    data: Vec<u8>,
    kind: String,
    /// The `id:` of the event being read, and of the last event ended.
    id: Option<String>,
    last_id: Option<String>,
    retry: Duration,
}

impl Default for EventStream {
    fn default() -> Self {
        EventStream {
            lines: Lines::keeping_blank_lines(),
            data: Vec::new(),
            kind: String::new(),
            id: None,
            last_id: None,
            retry: Duration::from_secs(1),
        }
    }
}

impl EventStream {
    /// How long to wait before opening the stream again: the server's `retry`, at
    /// least a second and at most [`MOST_RETRY_WAIT`].
    fn wait(&self) -> Duration {
        self.retry.clamp(Duration::from_secs(1), MOST_RETRY_WAIT)
    }

    /// Reads a new stream that continues this one: what was cut off is dropped, the
    /// last event id and the wait are kept.
    fn restart(&mut self) {
        self.lines = Lines::keeping_blank_lines();
        self.data.clear();
        self.kind.clear();
        self.id = None;
    }

    /// Takes bytes read; the data of each event they complete, or `TooLong`.
    fn push(&mut self, bytes: &[u8]) -> Vec<Result<Vec<u8>, CodecError>> {
        self.lines.push(bytes);
        let mut done = Vec::new();
        while let Some(line) = self.lines.next_line() {
            let Line::Text(text) = line else {
                done.push(Err(CodecError::TooLong));
                continue;
            };
            if text.is_empty() {
                // The end of an event; its id counts even when it carries no data (a
                // server's first event on a stream it may end early).
                // An empty id clears it: such a stream cannot be resumed.
                if let Some(id) = self.id.take() {
                    self.last_id = (!id.is_empty()).then_some(id);
                }
                let data = std::mem::take(&mut self.data);
                if !data.is_empty() && (self.kind.is_empty() || self.kind == "message") {
                    done.push(Ok(data));
                }
                self.kind.clear();
            } else if let Some(value) = text.strip_prefix(b"data:") {
                if !self.data.is_empty() {
                    self.data.push(b'\n');
                }
                self.data
                    .extend_from_slice(value.strip_prefix(b" ").unwrap_or(value));
                if self.data.len() > codec::MAX_MESSAGE {
                    self.data = Vec::new();
                    done.push(Err(CodecError::TooLong));
                }
            } else if let Some(value) = text.strip_prefix(b"event:") {
                self.kind = String::from_utf8_lossy(value).trim().to_owned();
            } else if let Some(value) = text.strip_prefix(b"id:") {
                let value = value.strip_prefix(b" ").unwrap_or(value);
                // An id with a NUL is ignored, as a browser ignores it.
                if !value.contains(&0) {
                    self.id = Some(String::from_utf8_lossy(value).into_owned());
                }
            } else if let Some(value) = text.strip_prefix(b"retry:")
                && let Some(ms) = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
            {
                self.retry = Duration::from_millis(ms);
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&str]) -> Vec<String> {
        let mut stream = EventStream::default();
        chunks
            .iter()
            .flat_map(|c| stream.push(c.as_bytes()))
            .map(|d| String::from_utf8(d.unwrap()).unwrap())
            .collect()
    }

    /// A link to a 2026-07-28 server that is never reached: the questions of a round
    /// are kept in memory only.
    fn modern_link() -> Arc<Link> {
        let known = Known {
            modern: Some(Modern {
                capabilities: serde_json::json!({}),
                client_info: None,
            }),
            ..Known::default()
        };
        Arc::new(Link {
            agent: ureq::Agent::new_with_defaults(),
            url: "http://127.0.0.1:9/mcp".to_owned(),
            headers: Vec::new(),
            known: Mutex::new(known),
            closed: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            in_flight: Mutex::default(),
            asked: Mutex::default(),
        })
    }

    fn call(id: u64) -> Message {
        Message::Request {
            id: Id::from(id),
            method: "tools/call".to_owned(),
            params: Some(serde_json::json!({"name": "ask", "arguments": {}})),
        }
    }

    fn questions() -> serde_json::Map<String, Value> {
        serde_json::json!({
            "a": {"method": "elicitation/create", "params": {"message": "a?"}},
            "b": {"method": "elicitation/create", "params": {"message": "b?"}},
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn a_cancelled_calls_questions_are_forgotten_and_its_late_answers_dropped() {
        let link = modern_link();
        let (events, seen) = mpsc::channel();
        link.put_to_client(call(7), &questions(), None, &events);
        link.put_to_client(call(8), &questions(), None, &events);
        let asked: Vec<Id> = seen
            .try_iter()
            .filter_map(|event| match event {
                Event::Server(Ok((Message::Request { id, .. }, _))) => Some(id),
                _ => None,
            })
            .collect();
        assert_eq!(asked.len(), 4);
        assert_eq!(link.asked.lock().unwrap().len(), 4);
        // The client cancels call 7 (the session machine names it by the id it was
        // posted under): its two questions go, call 8's stay.
        link.notify(&Message::Notification {
            method: "notifications/cancelled".to_owned(),
            params: Some(serde_json::json!({"requestId": 7, "reason": "user"})),
        });
        let kept: Vec<Id> = link.asked.lock().unwrap().keys().cloned().collect();
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().all(|id| asked[2..].contains(id)), "{kept:?}");
        // A late answer to a cancelled call's question finds nothing: no post, no event.
        let answer = |id: &Id| Message::Response {
            id: Some(id.clone()),
            reply: Reply::Result(serde_json::json!({"action": "accept"})),
        };
        link.answered(answer(&asked[0]), &events);
        link.answered(answer(&asked[1]), &events);
        assert!(seen.try_recv().is_err());
        assert_eq!(link.asked.lock().unwrap().len(), 2);
        // Another notification, or a cancellation of nothing kept, changes nothing.
        link.notify(&Message::Notification {
            method: "notifications/cancelled".to_owned(),
            params: Some(serde_json::json!({"requestId": 99})),
        });
        assert_eq!(link.asked.lock().unwrap().len(), 2);
    }

    #[test]
    fn an_event_stream_gives_the_data_of_each_message_event_however_it_is_cut() {
        let text = "event: message\r\ndata: {\"a\":1}\r\n\r\n: comment\nid: 7\ndata: {\"b\":\ndata: 2}\n\nevent: ping\ndata: x\n\n";
        let whole = events(&[text]);
        assert_eq!(whole, ["{\"a\":1}", "{\"b\":\n2}"]);
        let bytes: Vec<String> = text.chars().map(String::from).collect();
        let cut: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(events(&cut), whole);
        // An event not yet ended gives nothing.
        assert!(events(&["data: {}\n"]).is_empty());
    }

    #[test]
    fn an_event_stream_keeps_the_last_event_id_and_the_wait_it_asks_for() {
        let mut stream = EventStream::default();
        assert_eq!(stream.retry, Duration::from_secs(1));
        // A priming event: an id and a wait, no data.
        assert!(stream.push(b"id: e-1\nretry: 250\ndata:\n\n").is_empty());
        assert_eq!(stream.last_id.as_deref(), Some("e-1"));
        assert_eq!(stream.retry, Duration::from_millis(250));
        // An id counts only once its event has ended; a cut-off event is dropped on
        // restart and its id never counts.
        stream.push(b"id: e-2\ndata: {\"a\"");
        assert_eq!(stream.last_id.as_deref(), Some("e-1"));
        stream.restart();
        let data = stream.push(b"id: e-3\ndata: {}\n\n");
        assert_eq!(data.len(), 1);
        assert_eq!(stream.last_id.as_deref(), Some("e-3"));
        // An empty id clears it: the stream can no longer be resumed.
        stream.push(b"id:\ndata: {}\n\n");
        assert_eq!(stream.last_id, None);
        // The wait asked for is kept within a second and ten.
        assert_eq!(stream.wait(), Duration::from_secs(1));
        stream.push(b"retry: 60000\n\n");
        assert_eq!(stream.wait(), MOST_RETRY_WAIT);
    }
}
