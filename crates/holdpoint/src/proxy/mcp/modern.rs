//! Agents that speak MCP's 2026-07-28 revision to `holdpoint mcp --listen`: no
//! `initialize` and no sessions; every request is a POST of its own carrying its
//! protocol version, the client's capabilities and name in `_meta`, and headers that
//! mirror the body (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`).
//!
//! The gateway serves such an agent through a session of its own with the server (a
//! *link*, one per agent and server): opened with `initialize` as a 2025-11-25 client
//! would, with the capabilities and name of the agent's first request, and then used
//! for each of that agent's requests, under ids of the gateway's own (requests that
//! share a link cannot collide). The link is the same session machine and loop as any
//! other, so every call is decided and recorded as before, under the agent's name.
//!
//! - `server/discover` is answered from what the server announced when the link was
//!   opened.
//! - A request is answered with an event stream: its progress (the agent's own
//!   `progressToken`, given back), its log lines when it asked for them
//!   (`io.modelcontextprotocol/logLevel`), then its response, whose result says
//!   `resultType: "complete"` (and, for lists and reads, `ttlMs: 0` and
//!   `cacheScope: "private"`: what an agent is listed depends on its policy). Nothing
//!   else the server says reaches the agent.
//! - A question the server asks in a request (an elicitation, a sampling, passed only
//!   as the entry configures) answers that request `input_required`, with the
//!   question and a `requestState` of the gateway's (random, kept per link); the
//!   request goes on running behind the gateway, decided once, until the agent retries
//!   it with that state and its answer, which goes to the server as the answer to its
//!   question. A state that is forged, used, or older than 10 minutes, a retry that is
//!   not the same request, or one without the answer, is refused and changes nothing.
//! - Closing the stream cancels the request, as the revision says: the link is told
//!   `notifications/cancelled`, so a held call is never run for nobody.
//! - `subscriptions/listen` is answered with an event stream that opens with the
//!   acknowledgement of what the agent will be told: the list changes it asked for
//!   that the server says it notifies (resource subscriptions are not passed on). The
//!   link's session then hands the server's change notifications to the link's
//!   listeners, each marked with its subscription id, and everything else where it
//!   went before; when the session ends, each listen request is answered, which ends
//!   its stream.
//! - What the revision removed (`initialize`, `ping`, `logging/setLevel`,
//!   `resources/subscribe`) and what the gateway does not serve yet (tasks) is
//!   answered 404 with -32601.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Event;
use super::codec::{self, Id, Message, Reply};
use super::http::{Gateway, Served, event_stream, make_room, parsed, start_session};
use super::params;

/// The revision served here.
pub(super) const VERSION: &str = "2026-07-28";

/// What an agent is told the gateway speaks, newest first.
pub(super) const SUPPORTED: &[&str] = &[VERSION, "2025-11-25"];

/// The requests a 2026-07-28 client sends that the gateway serves; any other method is
/// answered 404 with -32601 before anything is forwarded.
const SERVED: &[&str] = &[
    "server/discover",
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "completion/complete",
    "subscriptions/listen",
];

/// The revision's error codes.
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_VERSION: i64 = -32022;

/// The prefix of the revision's reserved `_meta` keys.
const META: &str = "io.modelcontextprotocol/";

/// The methods whose requests name a tool, a resource or a prompt (`Mcp-Name`).
const NAMED: &[&str] = &["tools/call", "resources/read", "prompts/get"];

/// The results the revision makes cacheable: they carry `ttlMs` and `cacheScope`.
const CACHEABLE: &[&str] = &[
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/read",
    "resources/templates/list",
];

/// Methods not served to a 2026-07-28 agent: removed by the revision, or not served by
/// the gateway yet.
const NOT_SERVED: &[(&str, &str)] = &[
    (
        "initialize",
        "2026-07-28 has no initialize: send each request with its _meta",
    ),
    ("ping", "2026-07-28 removed ping"),
    (
        "logging/setLevel",
        "2026-07-28 removed logging/setLevel: give io.modelcontextprotocol/logLevel in a request's _meta",
    ),
    (
        "resources/subscribe",
        "2026-07-28 replaced resources/subscribe with subscriptions/listen",
    ),
    (
        "resources/unsubscribe",
        "2026-07-28 replaced resources/unsubscribe with subscriptions/listen",
    ),
];

/// What a `subscriptions/listen` can ask to be told: the filter's key, the kind of
/// list (whose `listChanged` capability the server must declare), and the
/// notification the server sends.
const LIST_CHANGES: [(&str, &str, &str); 3] = [
    (
        "toolsListChanged",
        "tools",
        "notifications/tools/list_changed",
    ),
    (
        "promptsListChanged",
        "prompts",
        "notifications/prompts/list_changed",
    ),
    (
        "resourcesListChanged",
        "resources",
        "notifications/resources/list_changed",
    ),
];

/// Whether a notification is one a link's listeners take from its session: one of
/// [`LIST_CHANGES`].
fn list_change(method: &str) -> bool {
    LIST_CHANGES.iter().any(|(_, _, change)| *change == method)
}

/// The most `subscriptions/listen` streams one link carries at once.
const MOST_LISTENERS: usize = 16;

/// How often a link whose server says nothing looks whether anyone still listens.
const LISTENERS_CHECKED: Duration = Duration::from_secs(5);

/// How long opening a link may take: the server started and its `initialize` answered.
const OPENING: Duration = Duration::from_secs(30);

/// One agent's way to one server.
pub(super) struct Link {
    /// Its session in the gateway's table.
    session: String,
    inbox: Sender<Event>,
    /// The `server/discover` result, from what the server announced.
    discovered: Value,
    /// What the server said of itself (`serverInfo`), for each result's `_meta`.
    server_info: Value,
    /// The `Mcp-Param-*` headers of the tools the agent was listed through this link,
    /// which its calls of them must carry.
    bindings: std::sync::Mutex<params::Bindings>,
    /// The requests the server asked a question in, by the `requestState` the agent
    /// was given: each waits for the agent to retry it with the answer.
    parked: std::sync::Mutex<HashMap<String, Parked>>,
    /// The kinds of list (`tools`, `prompts`, `resources`) whose changes the server
    /// says it notifies (`listChanged`): what a `subscriptions/listen` is honoured for.
    notifies: Vec<&'static str>,
    /// The agent's `subscriptions/listen` streams through this link.
    listeners: std::sync::Mutex<Listeners>,
}

/// A link's `subscriptions/listen` streams, and whether what the session's server
/// says outside requests is being read for them.
#[derive(Default)]
struct Listeners {
    open: Vec<Listener>,
    fed: bool,
}

/// One `subscriptions/listen` stream.
struct Listener {
    /// The listen request's id, which is its subscription id.
    id: Id,
    /// The notifications it was acknowledged for.
    methods: Vec<&'static str>,
    stream: tokio::sync::mpsc::UnboundedSender<Message>,
}

/// How long a request whose server asked the agent a question waits for the retry
/// that answers it; then it is cancelled.
const PARKED_FOR: Duration = Duration::from_secs(10 * 60);

/// The most requests of one link that wait for their retries; past that, the one
/// waiting longest is cancelled.
const MOST_PARKED: usize = 64;

/// A request the server asked the agent a question in (`input_required`), still
/// running behind the gateway, waiting for the agent to retry it with the answer.
struct Parked {
    /// What else comes back for it.
    stream: tokio::sync::mpsc::UnboundedReceiver<Message>,
    /// Its id towards the link.
    ours: Id,
    asked: Asked,
    /// The question, by the key the agent answers it under, and its id as the agent's
    /// answer must carry it.
    question: (String, Id),
    since: Instant,
}

/// The links, by agent, server and the client capabilities the agent's requests
/// declare, each behind a lock of its own: two first requests of one agent open one
/// link, and an agent whose link is slow to open holds up no other. A 2026-07-28 request
/// carries its own capabilities, and a session with the server has those of its
/// `initialize`: requests that declare other capabilities go through another link, so
/// that the server never asks what the request said it cannot answer.
pub(super) type Links = std::sync::Mutex<HashMap<(String, String, String), Slot>>;

/// One agent's link to one server, once opened.
pub(super) type Slot = Arc<tokio::sync::Mutex<Option<Arc<Link>>>>;

/// Ids and progress tokens of the gateway's own, for requests sent through links.
static NEXT: AtomicU64 = AtomicU64::new(1);

fn next() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A 2026-07-28 error: the status, and a JSON-RPC error answering `id`.
fn error(
    status: StatusCode,
    id: Option<&Id>,
    code: i64,
    message: &str,
    data: Option<Value>,
) -> Response {
    let mut error = json!({"code": code, "message": message});
    if let (Some(data), Some(object)) = (data, error.as_object_mut()) {
        object.insert("data".to_owned(), data);
    }
    let body = json!({
        "jsonrpc": "2.0",
        "id": id.map_or(Value::Null, Id::to_value),
        "error": error,
    });
    (status, axum::Json(body)).into_response()
}

/// The revision's answer to headers that do not say what the body says: 400, -32020.
fn header_mismatch(id: &Id, why: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        Some(id),
        HEADER_MISMATCH,
        why,
        None,
    )
}

/// The `UnsupportedProtocolVersionError` for a version the gateway does not speak,
/// answering the request in `body` when it reads.
pub(super) fn unsupported(version: &str, body: &[u8]) -> Response {
    let id = match codec::parse(body) {
        Ok(Message::Request { id, .. }) => Some(id),
        _ => None,
    };
    error(
        StatusCode::BAD_REQUEST,
        id.as_ref(),
        UNSUPPORTED_VERSION,
        &format!("Unsupported protocol version: holdpoint's gateway does not speak `{version}`"),
        Some(json!({"supported": SUPPORTED, "requested": version})),
    )
}

/// A header's value, its `=?base64?…?=` form decoded; `Err` when it is not text or not
/// valid base64 of UTF-8.
pub(super) fn header_text(headers: &HeaderMap, name: &str) -> Option<Result<String, String>> {
    let value = headers.get(name)?;
    let Ok(text) = value.to_str() else {
        return Some(Err(format!("the {name} header is not text")));
    };
    // Blanks around a field's value are not part of it (RFC 9110, 5.5).
    let text = text.trim_matches([' ', '\t']);
    let Some(encoded) = text
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(Ok(text.to_owned()));
    };
    use base64::Engine as _;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| format!("the {name} header's =?base64?…?= value does not decode")),
    )
}

/// What a 2026-07-28 request's `_meta` must hold: `None` when it does, else the
/// invalid-params error's message.
fn meta_missing(params: Option<&Value>) -> Option<String> {
    let Some(meta) = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
    else {
        return Some(format!(
            "Invalid params: a 2026-07-28 request carries _meta with {META}protocolVersion and {META}clientCapabilities"
        ));
    };
    if !meta
        .get(&format!("{META}protocolVersion"))
        .is_some_and(Value::is_string)
    {
        return Some(format!(
            "Invalid params: _meta has no {META}protocolVersion"
        ));
    }
    if !meta
        .get(&format!("{META}clientCapabilities"))
        .is_some_and(Value::is_object)
    {
        return Some(format!(
            "Invalid params: _meta has no {META}clientCapabilities object"
        ));
    }
    None
}

/// The headers a 2026-07-28 request must carry, checked against its body: `None` when
/// they match, else why not.
fn mismatch(headers: &HeaderMap, method: &str, params: Option<&Value>) -> Option<String> {
    let meta = params.and_then(|p| p.get("_meta"));
    let version = meta
        .and_then(|m| m.get(format!("{META}protocolVersion")))
        .and_then(Value::as_str);
    if version != Some(VERSION) {
        return Some(format!(
            "Header mismatch: MCP-Protocol-Version says `{VERSION}` but the body's _meta `{META}protocolVersion` says {}",
            version.map_or_else(|| "nothing".to_owned(), |v| format!("`{v}`"))
        ));
    }
    headers_say_what_the_body_says(headers, Some(method), params, true).err()
}

/// Whether the `Mcp-Method` and `Mcp-Name` headers say what the body says (its method,
/// `None` for a response; its `name` or `uri`), `=?base64?…?=` values decoded: an
/// intermediary that routes or filters by them must not be shown one call while the
/// server gets another. `required`: 2026-07-28's rule that `Mcp-Method`, and
/// `Mcp-Name` for the named methods, must be there; otherwise only those sent are
/// checked.
pub(super) fn headers_say_what_the_body_says(
    headers: &HeaderMap,
    method: Option<&str>,
    params: Option<&Value>,
    required: bool,
) -> Result<(), String> {
    match header_text(headers, "mcp-method") {
        None if required => {
            return Err("Header mismatch: the Mcp-Method header is missing".to_owned());
        }
        None => {}
        Some(Err(why)) => return Err(format!("Header mismatch: {why}")),
        Some(Ok(said)) if Some(said.as_str()) != method => {
            return Err(format!(
                "Header mismatch: Mcp-Method header value `{said}` does not match body value {}",
                method.map_or_else(|| "(a response)".to_owned(), |m| format!("`{m}`"))
            ));
        }
        Some(Ok(_)) => {}
    }
    let named = params
        .and_then(|p| p.get("name").or_else(|| p.get("uri")))
        .and_then(Value::as_str);
    match header_text(headers, "mcp-name") {
        None if required && method.is_some_and(|m| NAMED.contains(&m)) => Err(format!(
            "Header mismatch: the Mcp-Name header is missing (a {} request must carry it)",
            method.unwrap_or_default()
        )),
        None => Ok(()),
        Some(Err(why)) => Err(format!("Header mismatch: {why}")),
        Some(Ok(said)) if Some(said.as_str()) != named => Err(format!(
            "Header mismatch: Mcp-Name header value `{said}` does not match body value `{}`",
            named.unwrap_or("nothing")
        )),
        Some(Ok(_)) => Ok(()),
    }
}

/// A POST from an agent whose `MCP-Protocol-Version` is 2026-07-28.
pub(super) async fn post(
    gateway: &Arc<Gateway>,
    served: &Served,
    agent: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let message = match parsed(body) {
        Ok(message) => message,
        Err(response) => return *response,
    };
    let (id, method, params) = match message {
        Message::Request { id, method, params } => (id, method, params),
        // The revision defines no notification a client sends over HTTP.
        Message::Notification { .. } => return StatusCode::ACCEPTED.into_response(),
        Message::Response { .. } => {
            return error(
                StatusCode::BAD_REQUEST,
                None,
                codec::code::INVALID_REQUEST,
                "a 2026-07-28 client sends no responses: answer input requests with inputResponses on a retry of the request",
                None,
            );
        }
    };
    if let Some(why) = meta_missing(params.as_ref()) {
        return error(
            StatusCode::BAD_REQUEST,
            Some(&id),
            codec::code::INVALID_PARAMS,
            &why,
            None,
        );
    }
    if let Some(why) = mismatch(headers, &method, params.as_ref()) {
        return header_mismatch(&id, &why);
    }
    if let Some((_, why)) = NOT_SERVED.iter().find(|(m, _)| *m == method) {
        return error(
            StatusCode::NOT_FOUND,
            Some(&id),
            codec::code::METHOD_NOT_FOUND,
            &format!("Method not found: {why}"),
            None,
        );
    }
    if !SERVED.contains(&method.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            Some(&id),
            codec::code::METHOD_NOT_FOUND,
            &format!(
                "Method not found: holdpoint's gateway does not serve `{method}` to 2026-07-28 clients"
            ),
            None,
        );
    }
    let meta = params
        .as_ref()
        .and_then(|p| p.get("_meta"))
        .cloned()
        .unwrap_or(Value::Null);
    let link = match link(gateway, served, agent, &meta).await {
        Ok(link) => link,
        Err(why) => {
            eprintln!(
                "holdpoint mcp: /mcp/{}: could not reach the server for `{agent}`: {why}",
                served.name
            );
            return error(
                StatusCode::BAD_GATEWAY,
                Some(&id),
                codec::code::INTERNAL_ERROR,
                "holdpoint could not reach the MCP server (the gateway's log says why)",
                None,
            );
        }
    };
    if method == "server/discover" {
        let body = json!({"jsonrpc": "2.0", "id": id.to_value(), "result": link.discovered});
        return axum::Json(body).into_response();
    }
    if method == "subscriptions/listen" {
        return listen(gateway, &link, id, params.as_ref());
    }
    if method == "tools/call"
        && let Err(why) = link.check_params(params.as_ref(), headers)
    {
        return header_mismatch(&id, &why);
    }
    if let Some(state) = params.as_ref().and_then(|p| p.get("requestState")) {
        return resume(gateway, &link, id, &method, params.as_ref(), state);
    }
    forward(gateway, &link, id, method, params)
}

impl Link {
    /// Whether a `tools/call`'s `Mcp-Param-*` headers say what its arguments say, for
    /// a tool the agent was listed through this link (of another, the agent could not
    /// know which headers to send, and the gateway, which decides on the body and
    /// sends the server headers of its own, has nothing to check them against).
    fn check_params(&self, call: Option<&Value>, headers: &HeaderMap) -> Result<(), String> {
        let Some(tool) = call.and_then(|c| c.get("name")).and_then(Value::as_str) else {
            return Ok(());
        };
        let bindings = self
            .bindings
            .lock()
            .map_err(|_| "the gateway's record of this server's tools failed".to_owned())?;
        params::check(
            bindings.of(tool),
            call.and_then(|c| c.get("arguments")),
            headers,
        )
    }

    /// Keeps `parked` under `state` until its retry; cancels those that waited too
    /// long, and the longest waiting when too many wait.
    fn park(&self, state: String, parked: Parked) {
        let Ok(mut waiting) = self.parked.lock() else {
            self.cancel(
                &parked.ours,
                "holdpoint's record of requests awaiting input failed",
            );
            return;
        };
        let expired: Vec<String> = waiting
            .iter()
            .filter(|(_, p)| p.since.elapsed() > PARKED_FOR)
            .map(|(state, _)| state.clone())
            .collect();
        for state in expired {
            if let Some(gone) = waiting.remove(&state) {
                self.cancel(
                    &gone.ours,
                    "the agent did not answer the server's question in time",
                );
            }
        }
        if waiting.len() >= MOST_PARKED
            && let Some(oldest) = waiting
                .iter()
                .min_by_key(|(_, p)| p.since)
                .map(|(state, _)| state.clone())
            && let Some(gone) = waiting.remove(&oldest)
        {
            self.cancel(
                &gone.ours,
                "too many requests of this agent await its input",
            );
        }
        waiting.insert(state, parked);
    }

    /// Tells the server a request of the link's is cancelled.
    fn cancel(&self, ours: &Id, reason: &str) {
        let _ = self.inbox.send(Event::Posted {
            message: Message::Notification {
                method: "notifications/cancelled".to_owned(),
                params: Some(json!({"requestId": ours.to_value(), "reason": reason})),
            },
            answers: None,
        });
    }
}

/// The agent's link to the server, opened if it has none (or its last one ended).
async fn link(
    gateway: &Arc<Gateway>,
    served: &Served,
    agent: &str,
    meta: &Value,
) -> Result<Arc<Link>, String> {
    // serde_json's maps are ordered: equal capabilities are equal text.
    let capabilities = meta
        .get(format!("{META}clientCapabilities"))
        .filter(|c| c.is_object())
        .map_or_else(|| "{}".to_owned(), Value::to_string);
    let key = (agent.to_owned(), served.name.clone(), capabilities);
    let slot = Arc::clone(
        gateway
            .links
            .lock()
            .map_err(|_| "the gateway's link table failed".to_owned())?
            .entry(key)
            .or_default(),
    );
    let mut slot = slot.lock().await;
    if let Some(link) = slot.as_ref() {
        let alive = gateway
            .sessions
            .lock()
            .map_err(|_| "the gateway's session table failed".to_owned())?
            .get_mut(&link.session)
            .map(|live| live.last = Instant::now())
            .is_some();
        if alive {
            return Ok(Arc::clone(link));
        }
    }
    let link = Arc::new(open(gateway, served, agent, meta).await?);
    *slot = Some(Arc::clone(&link));
    Ok(link)
}

/// Opens a link: a session of the gateway's, initialized as a 2025-11-25 client would
/// with the capabilities and name the agent's request gives.
async fn open(
    gateway: &Arc<Gateway>,
    served: &Served,
    agent: &str,
    meta: &Value,
) -> Result<Link, String> {
    let reserved = make_room(gateway, agent, &served.name)?;
    let started = start_session(gateway, served, agent);
    if let Ok(mut sessions) = gateway.sessions.lock() {
        sessions.remove(&reserved);
    }
    let (session, inbox) = started.map_err(|f| f.message)?;
    let client_info = meta
        .get(format!("{META}clientInfo"))
        .filter(|i| i.is_object())
        .cloned()
        .unwrap_or_else(|| json!({"name": "2026-07-28 client", "version": ""}));
    let capabilities = meta
        .get(format!("{META}clientCapabilities"))
        .filter(|c| c.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let request = Message::Request {
        id: Id::from(next()),
        method: "initialize".to_owned(),
        params: Some(json!({
            "protocolVersion": "2025-11-25",
            "capabilities": capabilities,
            "clientInfo": client_info,
        })),
    };
    inbox
        .send(Event::Posted {
            message: request,
            answers: Some(answers),
        })
        .map_err(|_| "the server's session ended at once".to_owned())?;
    let result = tokio::time::timeout(OPENING, async {
        while let Some(message) = answered.recv().await {
            if let Message::Response { reply, .. } = message {
                return Some(reply);
            }
        }
        None
    })
    .await
    .map_err(|_| {
        format!(
            "the server did not answer initialize within {}s",
            OPENING.as_secs()
        )
    })?;
    let result = match result {
        Some(Reply::Result(result)) => result,
        Some(Reply::Error(error)) => {
            return Err(format!("the server refused initialize: {error}"));
        }
        None => return Err("the server's session ended before it answered initialize".to_owned()),
    };
    let _ = inbox.send(Event::Posted {
        message: Message::Notification {
            method: "notifications/initialized".to_owned(),
            params: None,
        },
        answers: None,
    });
    let server_info = result.get("serverInfo").cloned().unwrap_or(Value::Null);
    let mut discovered = json!({
        "resultType": "complete",
        "supportedVersions": SUPPORTED,
        "capabilities": served_capabilities(result.get("capabilities")),
        "_meta": {format!("{META}serverInfo"): server_info},
        "ttlMs": 0,
        "cacheScope": "private",
    });
    if let (Some(instructions), Some(object)) = (
        result.get("instructions").cloned(),
        discovered.as_object_mut(),
    ) {
        object.insert("instructions".to_owned(), instructions);
    }
    eprintln!(
        "holdpoint mcp: /mcp/{}: serving `{agent}` in MCP {VERSION} through session {session}",
        served.name
    );
    let notifies = LIST_CHANGES
        .iter()
        .filter(|(_, kind, _)| {
            result
                .get("capabilities")
                .and_then(|c| c.get(kind))
                .and_then(|c| c.get("listChanged"))
                == Some(&Value::Bool(true))
        })
        .map(|(_, kind, _)| *kind)
        .collect();
    Ok(Link {
        session,
        inbox,
        discovered,
        server_info,
        bindings: std::sync::Mutex::default(),
        parked: std::sync::Mutex::default(),
        notifies,
        listeners: std::sync::Mutex::default(),
    })
}

/// The server's capabilities as a 2026-07-28 agent is told them: without what the
/// gateway does not serve it (resource subscriptions and tasks). List changes it
/// serves through `subscriptions/listen`.
fn served_capabilities(capabilities: Option<&Value>) -> Value {
    let mut capabilities = capabilities
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    capabilities.remove("tasks");
    if let Some(object) = capabilities
        .get_mut("resources")
        .and_then(Value::as_object_mut)
    {
        object.remove("subscribe");
    }
    Value::Object(capabilities)
}

/// `message` marked as one of the subscription `id`'s (`_meta`'s subscription id, in
/// a notification's params or a response's result).
fn stamped(message: Message, id: &Id) -> Message {
    let key = format!("{META}subscriptionId");
    let meta = |holder: &mut Value| {
        if let Some(object) = holder.as_object_mut() {
            let meta = object.entry("_meta").or_insert_with(|| json!({}));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert(key.clone(), id.to_value());
            }
        }
    };
    match message {
        Message::Notification { method, params } => {
            let mut params = params.unwrap_or_else(|| json!({}));
            meta(&mut params);
            Message::Notification {
                method,
                params: Some(params),
            }
        }
        Message::Response {
            id: answered,
            reply: Reply::Result(mut result),
        } => {
            meta(&mut result);
            Message::Response {
                id: answered,
                reply: Reply::Result(result),
            }
        }
        other => other,
    }
}

/// A `subscriptions/listen`: an event stream that opens with the acknowledgement of
/// what the agent will be told (the list changes it asked for that the server
/// notifies; resource subscriptions are not passed on), then carries each such change
/// the server announces, until the agent closes it, or the link ends and a result
/// says so.
fn listen(gateway: &Arc<Gateway>, link: &Arc<Link>, id: Id, params: Option<&Value>) -> Response {
    let Some(filter) = params
        .and_then(|p| p.get("notifications"))
        .and_then(Value::as_object)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            Some(&id),
            codec::code::INVALID_PARAMS,
            "Invalid params: subscriptions/listen names what the agent is to be told in a `notifications` object",
            None,
        );
    };
    let mut honoured = Map::new();
    let mut methods = Vec::new();
    for (key, kind, method) in LIST_CHANGES {
        if filter.get(key) == Some(&Value::Bool(true)) && link.notifies.contains(&kind) {
            honoured.insert(key.to_owned(), Value::Bool(true));
            methods.push(method);
        }
    }
    let (stream, heard) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let acknowledged = Message::Notification {
        method: "notifications/subscriptions/acknowledged".to_owned(),
        params: Some(json!({"notifications": honoured})),
    };
    let _ = stream.send(stamped(acknowledged, &id));
    let listener = Listener {
        id: id.clone(),
        methods,
        stream,
    };
    if let Err((status, code, why)) = Arc::clone(link).add_listener(gateway, listener) {
        return error(status, Some(&id), code, &why, None);
    }
    unbuffered(event_stream(futures_util::stream::unfold(
        heard,
        |mut heard| async move { heard.recv().await.map(|message| (message, heard)) },
    )))
}

impl Link {
    /// Adds a listener, reading what the session's server says outside requests for
    /// the link's listeners if nothing reads it yet.
    fn add_listener(
        self: Arc<Self>,
        gateway: &Gateway,
        listener: Listener,
    ) -> Result<(), (StatusCode, i64, String)> {
        let failed = || {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                codec::code::INTERNAL_ERROR,
                "holdpoint's record of this agent's listeners failed".to_owned(),
            )
        };
        let mut listeners = self.listeners.lock().map_err(|_| failed())?;
        listeners.open.retain(|open| !open.stream.is_closed());
        if listeners.open.len() >= MOST_LISTENERS {
            return Err((
                StatusCode::OK,
                codec::code::INVALID_REQUEST,
                format!(
                    "this agent already listens to this server on {MOST_LISTENERS} streams: close one first"
                ),
            ));
        }
        if !listeners.fed {
            let heard =
                super::http::listen_to(gateway, &self.session, &self.inbox, Some(list_change))
                    .ok_or_else(|| {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            codec::code::INTERNAL_ERROR,
                            "the server's session ended: send the request again".to_owned(),
                        )
                    })?;
            listeners.fed = true;
            tokio::spawn(Arc::clone(&self).feed(heard));
        }
        listeners.open.push(listener);
        Ok(())
    }

    /// Passes each change the server announces to the listeners that asked for it,
    /// until none listens (the stream is then left to the session, which takes it
    /// back) or the session ends (each listener is then answered, which ends it).
    async fn feed(self: Arc<Self>, mut heard: tokio::sync::mpsc::Receiver<Message>) {
        loop {
            let message = tokio::select! {
                message = heard.recv() => message,
                () = tokio::time::sleep(LISTENERS_CHECKED) => {
                    let Ok(mut listeners) = self.listeners.lock() else { return };
                    listeners.open.retain(|open| !open.stream.is_closed());
                    if listeners.open.is_empty() {
                        listeners.fed = false;
                        return;
                    }
                    continue;
                }
            };
            let Some(message) = message else { break };
            let Message::Notification { method, .. } = &message else {
                continue;
            };
            let Ok(mut listeners) = self.listeners.lock() else {
                return;
            };
            listeners.open.retain(|open| {
                if open.methods.contains(&method.as_str()) {
                    open.stream.send(stamped(message.clone(), &open.id)).is_ok()
                } else {
                    !open.stream.is_closed()
                }
            });
        }
        // The session ended: the subscriptions with it.
        if let Ok(mut listeners) = self.listeners.lock() {
            listeners.fed = false;
            for open in listeners.open.drain(..) {
                let ended = Message::Response {
                    id: Some(open.id.clone()),
                    reply: Reply::Result(json!({})),
                };
                let _ = open.stream.send(stamped(ended, &open.id));
            }
        }
    }
}

/// A request's params as its retry must repeat them: without `_meta` (a retry may
/// carry other progress tokens or log levels), `inputResponses` and `requestState`.
fn repeated(params: Option<&Value>) -> Value {
    let mut params = params.cloned().unwrap_or_else(|| json!({}));
    if let Some(object) = params.as_object_mut() {
        for key in ["_meta", "inputResponses", "requestState"] {
            object.remove(key);
        }
    }
    params
}

/// A retry that answers the server's question (`requestState` and `inputResponses`):
/// the answer goes to the server as the agent's answer to its question, and the
/// request, still running behind the gateway and decided once, goes on answering on
/// this retry's stream. Refused, changing nothing, when the state is not one this
/// link gave (forged, changed, used, or waited too long), when the retry is not the
/// request that was asked, or when it carries no answer to the question.
fn resume(
    gateway: &Arc<Gateway>,
    link: &Arc<Link>,
    id: Id,
    method: &str,
    params: Option<&Value>,
    state: &Value,
) -> Response {
    let invalid = |why: &str| {
        error(
            StatusCode::OK,
            Some(&id),
            codec::code::INVALID_PARAMS,
            &format!("Invalid params: {why}"),
            None,
        )
    };
    let Ok(mut waiting) = link.parked.lock() else {
        return invalid("holdpoint's record of requests awaiting input failed");
    };
    let parked = state
        .as_str()
        .and_then(|state| waiting.remove_entry(state))
        .filter(|(_, parked)| parked.since.elapsed() <= PARKED_FOR);
    let Some((state, parked)) = parked else {
        return invalid(&format!(
            "requestState is not one holdpoint gave this agent, or its request has ended (answered, or not retried within {} minutes); send the request again without it",
            PARKED_FOR.as_secs() / 60
        ));
    };
    if parked.asked.method != method || parked.asked.repeated != repeated(params) {
        waiting.insert(state, parked);
        return invalid(
            "a retry with requestState must repeat the request it answers for; this one is another request",
        );
    }
    let (key, question) = &parked.question;
    let Some(answer) = params
        .and_then(|p| p.get("inputResponses"))
        .and_then(|r| r.get(key))
        .filter(|a| a.is_object())
    else {
        let why = format!("inputResponses has no answer (an object) under `{key}`");
        waiting.insert(state, parked);
        return invalid(&why);
    };
    drop(waiting);
    let sent = link.inbox.send(Event::Posted {
        message: Message::Response {
            id: Some(question.clone()),
            reply: Reply::Result(answer.clone()),
        },
        answers: None,
    });
    if sent.is_err() {
        if let Ok(mut sessions) = gateway.sessions.lock() {
            sessions.remove(&link.session);
        }
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&id),
            codec::code::INTERNAL_ERROR,
            "the server's session ended: send the request again without requestState",
            None,
        );
    }
    let mut asked = parked.asked;
    asked.id = id;
    let meta = params.and_then(|p| p.get("_meta"));
    asked.logs |= meta.is_some_and(|m| m.get(format!("{META}logLevel")).is_some());
    if let (Some(token), Some((theirs, _))) = (
        meta.and_then(|m| m.get("progressToken")),
        asked.progress.as_mut(),
    ) {
        *theirs = token.clone();
    }
    streamed(Answering {
        stream: parked.stream,
        link: Arc::clone(link),
        ours: parked.ours,
        asked,
        answered: false,
    })
}

/// What the agent's request asked of the stream that answers it.
#[derive(Clone)]
struct Asked {
    id: Id,
    method: String,
    /// Its params as a retry must repeat them (see [`repeated`]).
    repeated: Value,
    /// The agent's progress token and the gateway's in its place.
    progress: Option<(Value, Value)>,
    /// It asked for log lines (`io.modelcontextprotocol/logLevel`).
    logs: bool,
}

/// Sends the request through the link under an id of the gateway's own and answers
/// with the stream of what comes back for it.
fn forward(
    gateway: &Arc<Gateway>,
    link: &Arc<Link>,
    id: Id,
    method: String,
    params: Option<Value>,
) -> Response {
    let mut params = params;
    let mut asked = Asked {
        id,
        method: method.clone(),
        repeated: repeated(params.as_ref()),
        progress: None,
        logs: false,
    };
    if let Some(meta) = params
        .as_mut()
        .and_then(|p| p.get_mut("_meta"))
        .and_then(Value::as_object_mut)
    {
        asked.logs = meta.contains_key(&format!("{META}logLevel"));
        meta.retain(|key, _| !key.starts_with(META));
        if let Some(token) = meta.get_mut("progressToken") {
            let ours = Value::from(format!("hp-{}", next()));
            asked.progress = Some((std::mem::replace(token, ours.clone()), ours));
        }
    }
    if let Some(object) = params.as_mut().and_then(Value::as_object_mut)
        && object
            .get("_meta")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
    {
        object.remove("_meta");
    }
    let ours = Id::from(next());
    let (answers, stream) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let sent = link.inbox.send(Event::Posted {
        message: Message::Request {
            id: ours.clone(),
            method,
            params,
        },
        answers: Some(answers),
    });
    if sent.is_err() {
        if let Ok(mut sessions) = gateway.sessions.lock() {
            sessions.remove(&link.session);
        }
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&asked.id),
            codec::code::INTERNAL_ERROR,
            "the server's session ended: send the request again",
            None,
        );
    }
    streamed(Answering {
        stream,
        link: Arc::clone(link),
        ours,
        asked,
        answered: false,
    })
}

/// The event stream that carries what `answering` gets to the agent.
fn streamed(answering: Answering) -> Response {
    unbuffered(event_stream(futures_util::stream::unfold(
        answering,
        |mut answering| async move { answering.next().await.map(|message| (message, answering)) },
    )))
}

/// An event stream that a proxy in front of the gateway is asked not to hold back.
fn unbuffered(mut response: Response) -> Response {
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

/// One request's answers on their way to the agent. Dropped before its response (the
/// agent closed the stream), it cancels the request.
struct Answering {
    stream: tokio::sync::mpsc::UnboundedReceiver<Message>,
    link: Arc<Link>,
    ours: Id,
    asked: Asked,
    answered: bool,
}

impl Answering {
    /// The next message for the agent, in its terms; `None` once the response is sent.
    async fn next(&mut self) -> Option<Message> {
        if self.answered {
            return None;
        }
        while let Some(message) = self.stream.recv().await {
            if let Some(message) = self.for_agent(message) {
                return Some(message);
            }
        }
        None
    }

    fn for_agent(&mut self, message: Message) -> Option<Message> {
        match message {
            Message::Response { reply, .. } => {
                self.answered = true;
                let reply = match reply {
                    Reply::Result(Value::Object(mut result)) => {
                        result
                            .entry("resultType")
                            .or_insert_with(|| Value::from("complete"));
                        if self.asked.method == "tools/list"
                            && let Ok(mut bindings) = self.link.bindings.lock()
                        {
                            bindings.learn(result.get("tools"));
                        }
                        if CACHEABLE.contains(&self.asked.method.as_str()) {
                            result.entry("ttlMs").or_insert_with(|| Value::from(0));
                            result
                                .entry("cacheScope")
                                .or_insert_with(|| Value::from("private"));
                        }
                        if let Some(meta) = result
                            .entry("_meta")
                            .or_insert_with(|| json!({}))
                            .as_object_mut()
                        {
                            meta.entry(format!("{META}serverInfo"))
                                .or_insert_with(|| self.link.server_info.clone());
                        }
                        Reply::Result(Value::Object(result))
                    }
                    other => other,
                };
                Some(Message::Response {
                    id: Some(self.asked.id.clone()),
                    reply,
                })
            }
            Message::Notification { method, mut params } if method == "notifications/progress" => {
                let (theirs, ours) = self.asked.progress.as_ref()?;
                let token = params.as_mut()?.get_mut("progressToken")?;
                if token != ours {
                    return None;
                }
                *token = theirs.clone();
                Some(Message::Notification { method, params })
            }
            Message::Notification { method, params }
                if method == "notifications/message" && self.asked.logs =>
            {
                Some(Message::Notification { method, params })
            }
            Message::Request { id, method, params } => Some(self.ask(id, method, params)),
            _ => None,
        }
    }

    /// The server asked a question in this request (an elicitation, a sampling; the
    /// gateway passed it as configured): the request is answered `input_required`
    /// with the question and a `requestState` of the gateway's, and is kept running
    /// until the agent retries it with the answer.
    fn ask(&mut self, question: Id, method: String, params: Option<Value>) -> Message {
        self.answered = true;
        let state = match crate::serve::auth::random_hex(16) {
            Ok(state) => state,
            Err(_) => {
                self.link.cancel(
                    &self.ours,
                    "holdpoint could not pass the server's question on",
                );
                return Message::error(
                    Some(self.asked.id.clone()),
                    codec::code::INTERNAL_ERROR,
                    "holdpoint could not pass the server's question on; the request was cancelled",
                );
            }
        };
        let key = format!("{}-{}", method.replace('/', "-"), next());
        let mut request = json!({"method": method});
        if let (Some(params), Some(object)) = (params, request.as_object_mut()) {
            object.insert("params".to_owned(), params);
        }
        let (_, closed) = tokio::sync::mpsc::unbounded_channel();
        let asked = self.asked.clone();
        self.link.park(
            state.clone(),
            Parked {
                stream: std::mem::replace(&mut self.stream, closed),
                ours: self.ours.clone(),
                asked,
                question: (key.clone(), question),
                since: Instant::now(),
            },
        );
        Message::Response {
            id: Some(self.asked.id.clone()),
            reply: Reply::Result(json!({
                "resultType": "input_required",
                "inputRequests": {key: request},
                "requestState": state,
            })),
        }
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if !self.answered {
            self.link
                .cancel(&self.ours, "the agent closed the request's stream");
        }
    }
}
