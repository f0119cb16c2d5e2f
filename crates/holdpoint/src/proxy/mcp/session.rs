//! The MCP gateway's session machine: one agent's connection to one MCP server, as
//! plain data. Events go in (a message from either side, a decision, the server's
//! end), outputs come out ([`Output`]: messages to send, calls to decide, outcomes to
//! record); it does no I/O, and time is an argument.
//!
//! What it keeps: the server's identity (launch command, name, trust, and the
//! `serverInfo` its `initialize` answer announced), the annotations of the tools it has
//! listed, the client's requests not yet answered and where each stands (waiting for
//! its decision, or forwarded under an id of the machine's own), and the server's
//! requests forwarded to the client under ids of the machine's own; the catalogue of
//! tools the server listed in this session (a call to any other tool is refused, and
//! tools hidden by configuration are neither listed nor called; tools the policy
//! refuses this agent whatever the arguments are left out of the list or marked, and a
//! call to one is still decided); the roots the server
//! is told (answered from configuration, never from the client); and calls held for a
//! human, kept open with progress notifications while the client allows it.
//!
//! INVARIANT: nothing reaches the server that has not been decided. A request whose
//! method is in [`DECIDED`] becomes [`Output::Decide`] and is forwarded only from
//! [`Session::handle_decision`] on [`Verdict::Allow`]; a notification with such a
//! method is dropped; everything else the client sends passes through.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use std::sync::Arc;

use holdpoint_core::{McpCall, McpServer, McpServerInfo, Risk, lowest_risk};
use holdpoint_ledger::ApprovalState;
use holdpoint_store::Executed;
use serde_json::{Value, json};

use super::codec::{CodecError, Id, Message, Reply, code};

/// The client requests decided before they are forwarded.
pub const DECIDED: &[&str] = &["tools/call", "resources/read", "prompts/get"];

/// The JSON-RPC error code of a refused `resources/read` or `prompts/get` (a refused
/// `tools/call` is a tool result with `isError`, which the model reads).
pub const REFUSED: i64 = -32001;

/// Who records outcomes in the ledger.
pub const OBSERVED_BY: &str = "holdpoint mcp";

/// The longest a held call is kept open: the common SDKs give up on a request after
/// 60 seconds unless progress resets their clock, and not all of them let it.
pub const MOST_WAIT: Duration = Duration::from_secs(55);

/// How often a held call's client is told it is still held.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What the gateway was configured with for this session.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Tools neither listed to the client nor called.
    pub hidden: BTreeSet<String>,
    /// The roots the server is told, whatever the client would say.
    pub roots: Vec<Root>,
    /// How long a held call stays open when its client asked for progress; zero answers
    /// at once. At most [`MOST_WAIT`].
    pub wait: Duration,
    /// What the server may ask of the client: text from the agent's model
    /// (`sampling/createMessage`), answers from its user (`elicitation/create`).
    pub asks: Asks,
    /// What becomes of a listed tool the policy refuses this agent whatever the call's
    /// arguments.
    pub refused_tools: RefusedTools,
    /// What the policy says before any call; `None` where the gateway cannot ask it
    /// (deciding through `holdpoint serve`): no tool is then left out for it.
    pub policy: Option<PolicyView>,
}

/// What the gateway does with a tool the policy refuses this agent whatever the call:
/// leave it out of `tools/list` (`hide`, the default: the model does not spend turns on
/// it), keep it with its description saying so (`mark`), or list it as it is (`show`).
/// Calls to it are decided either way, and refused by that decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefusedTools {
    #[default]
    Hide,
    Mark,
    Show,
}

/// Whether the policy refuses the session's agent every call at a risk class and every
/// class above it, whatever the rest of the call: how a tool list is judged, by the
/// lowest class a call of each tool can have.
#[derive(Clone)]
pub struct PolicyView(Arc<dyn Fn(Risk) -> bool + Send + Sync>);

impl PolicyView {
    pub fn new(refuses_from: impl Fn(Risk) -> bool + Send + Sync + 'static) -> Self {
        PolicyView(Arc::new(refuses_from))
    }
}

impl std::fmt::Debug for PolicyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PolicyView")
    }
}

/// What a tool the policy refuses has in front of its description when marked.
pub const REFUSED_MARK: &str =
    "[holdpoint: the policy refuses every call of this tool by this agent]";

/// The error a server answers a request with to ask for a URL elicitation (MCP
/// 2025-11-25), its `data` the URLs to show the person.
const URL_ELICITATION_REQUIRED: i64 = -32042;

/// The requests a server may make of the client, each passed on only when configured:
/// sampling spends the agent's model on text the server chooses, and elicitation puts
/// the server's questions to the person. Neither is a tool call the gateway decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Asks {
    pub sampling: bool,
    pub elicitation: bool,
}

impl Asks {
    /// The client capability that lets a server make requests of `method`'s kind, and
    /// whether this configuration passes them; `None` for other methods.
    fn gate(self, method: &str) -> Option<(&'static str, bool)> {
        // Their notifications (`notifications/elicitation/complete`) too.
        let method = method.strip_prefix("notifications/").unwrap_or(method);
        if method.starts_with("sampling/") {
            Some(("sampling", self.sampling))
        } else if method.starts_with("elicitation/") {
            Some(("elicitation", self.elicitation))
        } else {
            None
        }
    }
}

/// One root the server is told of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// A `file://` URI.
    pub uri: String,
    pub name: String,
}

/// What was decided for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Held for a human: the sentence names the request, how a human approves it, and
    /// that the identical retry runs once.
    Ask {
        message: String,
        approval: Option<String>,
    },
    Deny {
        message: String,
    },
    /// It could not be decided or recorded: refused, never forwarded.
    Failed,
}

/// What the machine asks its driver to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    ToServer(Message),
    ToClient(Message),
    /// Decide this call and answer with [`Session::handle_decision`] and this ticket.
    Decide {
        ticket: u64,
        call: McpCall,
    },
    /// Record what a forwarded call did; `ticket` is the one its decision came with.
    Record {
        ticket: u64,
        call: McpCall,
        executed: Executed,
    },
    /// Record a call refused before any decision, by the gateway's configuration or
    /// the server's tool list: proposed, and denied for `reason`.
    Refused {
        call: McpCall,
        reason: String,
    },
    /// Watch this approval request and answer with [`Session::handle_approval`] once it
    /// is no longer pending.
    WatchApproval(String),
    /// Stop watching it: nothing waits for it any more.
    Unwatch(String),
    /// A line for the gateway's log (standard error).
    Log(String),
    /// The session is over: end the server and exit with a failure.
    End {
        reason: String,
    },
}

/// One client request not yet answered.
#[derive(Debug)]
struct Pending {
    method: String,
    state: State,
}

#[derive(Debug)]
enum State {
    /// A `tools/call` waiting for the server's tool list, which says whether the tool
    /// exists; nothing of it has reached the server.
    Listing {
        params: Option<Value>,
        call: McpCall,
    },
    /// Waiting for its decision; nothing of it has reached the server. `approved`: this
    /// is the decision asked again after a human approved it, which is not held again.
    Deciding {
        ticket: u64,
        params: Option<Value>,
        call: McpCall,
        approved: bool,
    },
    /// Held for a human, kept open: its client gave a progress token.
    Held {
        approval: String,
        token: Value,
        params: Option<Value>,
        call: McpCall,
        /// The answer it gets if nobody approves in time.
        message: String,
        until: Instant,
        next_progress: Instant,
        progress: u64,
    },
    /// Sent to the server under the machine's id `upstream`; a decided call with the
    /// ticket of its decision.
    Forwarded {
        upstream: u64,
        call: Option<(u64, McpCall)>,
        sent: Instant,
    },
}

/// One gateway session.
#[derive(Debug)]
pub struct Session {
    server: McpServer,
    config: Config,
    /// Annotations of the tools the server listed, by name.
    tools: HashMap<String, Value>,
    /// The tools the server listed since the session began or its list last changed;
    /// `None` until a list is known.
    listed: Option<HashSet<String>>,
    /// The machine's own `tools/list` sent to the server and not yet answered.
    listing: Option<u64>,
    next_id: u64,
    next_ticket: u64,
    /// The client's requests not yet answered, by the client's id.
    pending: HashMap<Id, Pending>,
    /// Ids the server was sent, to the client's ids they stand for.
    upstream: HashMap<u64, Id>,
    /// Decisions awaited, to the client's ids.
    tickets: HashMap<u64, Id>,
    /// Ids the client was sent (the server's requests), to the server's own ids.
    downstream: HashMap<u64, Id>,
    out: VecDeque<Output>,
    ended: bool,
}

impl Session {
    /// A session with the server as launched (name, command, trust); what it announces
    /// is learnt from its `initialize` answer.
    pub fn new(server: McpServer, mut config: Config) -> Self {
        config.wait = config.wait.min(MOST_WAIT);
        Session {
            server,
            config,
            tools: HashMap::new(),
            listed: None,
            listing: None,
            next_id: 1,
            next_ticket: 1,
            pending: HashMap::new(),
            upstream: HashMap::new(),
            tickets: HashMap::new(),
            downstream: HashMap::new(),
            out: VecDeque::new(),
            ended: false,
        }
    }

    /// The next thing to do, until there is none.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn log(&mut self, line: String) {
        self.out.push_back(Output::Log(line));
    }

    /// A message the client sent.
    pub fn handle_client(&mut self, now: Instant, message: Message) {
        match message {
            Message::Request { id, method, params } => self.client_request(now, id, method, params),
            Message::Notification { method, params } => self.client_notification(method, params),
            Message::Response { id, reply } => {
                let theirs = id
                    .as_ref()
                    .and_then(machine_id)
                    .and_then(|n| self.downstream.remove(&n));
                match theirs {
                    Some(id) if !self.ended => {
                        self.out.push_back(Output::ToServer(Message::Response {
                            id: Some(id),
                            reply,
                        }))
                    }
                    Some(_) => {}
                    None => self.log(format!(
                        "dropped the client's response to {}, which the server did not ask",
                        describe(id.as_ref())
                    )),
                }
            }
        }
    }

    /// A line from the client that is not a message: answered with its error, never
    /// forwarded.
    pub fn handle_client_invalid(&mut self, error: &CodecError) {
        self.log(format!("refused a message from the client: {error}"));
        self.out.push_back(Output::ToClient(error.answer()));
    }

    fn client_request(&mut self, now: Instant, id: Id, method: String, params: Option<Value>) {
        if self.ended {
            self.out.push_back(Output::ToClient(Message::error(
                Some(id),
                code::INTERNAL_ERROR,
                "the MCP server has ended",
            )));
            return;
        }
        if self.pending.contains_key(&id) {
            self.out.push_back(Output::ToClient(Message::error(
                Some(id),
                code::INVALID_REQUEST,
                "this id is already used by a request not yet answered",
            )));
            return;
        }
        if DECIDED.contains(&method.as_str()) {
            match self.call(&method, params.as_ref()) {
                Ok(call) if method == "tools/call" => self.tool_call(id, params, call),
                Ok(call) => self.decide(id, method, params, call, false),
                Err(why) => self.out.push_back(Output::ToClient(Message::error(
                    Some(id),
                    code::INVALID_PARAMS,
                    &why,
                ))),
            }
            return;
        }
        let params = if method == "initialize" {
            self.without_refused_capabilities(params)
        } else {
            params
        };
        self.forward(now, id, method, params, None);
    }

    /// The client's `initialize` parameters without the capabilities whose requests the
    /// gateway would refuse, so that the server does not count on them.
    fn without_refused_capabilities(&mut self, mut params: Option<Value>) -> Option<Value> {
        let mut removed = Vec::new();
        if let Some(capabilities) = params
            .as_mut()
            .and_then(|p| p.get_mut("capabilities"))
            .and_then(Value::as_object_mut)
        {
            for (capability, passed) in [
                ("sampling", self.config.asks.sampling),
                ("elicitation", self.config.asks.elicitation),
            ] {
                if passed {
                    continue;
                }
                let direct = capabilities.remove(capability).is_some();
                // 2025-11-25's tasks: the client can also take the same request as a
                // task (`tasks.requests.sampling`, `tasks.requests.elicitation`).
                let as_task = capabilities
                    .get_mut("tasks")
                    .and_then(|tasks| tasks.get_mut("requests"))
                    .and_then(Value::as_object_mut)
                    .is_some_and(|requests| requests.remove(capability).is_some());
                if direct || as_task {
                    removed.push(capability);
                }
            }
        }
        if !removed.is_empty() {
            self.log(format!(
                "told the server the client cannot do {}: not configured",
                removed.join(" or ")
            ));
        }
        params
    }

    /// A `tools/call`: refused when its tool is hidden or was not listed, decided when
    /// it was, and kept until the list is known otherwise.
    fn tool_call(&mut self, id: Id, params: Option<Value>, call: McpCall) {
        if self.config.hidden.contains(&call.name) {
            let text = format!(
                "holdpoint refused this call: the tool `{}` is hidden from this agent by the gateway's configuration, so it was not run",
                call.name
            );
            self.log(format!("refused a call to the hidden tool `{}`", call.name));
            self.answer_tool(id, text);
            let reason = format!(
                "the tool `{}` is hidden from this agent by the gateway's configuration",
                call.name
            );
            self.out.push_back(Output::Refused { call, reason });
            return;
        }
        match &self.listed {
            Some(listed) if listed.contains(&call.name) => {
                self.decide(id, "tools/call".to_owned(), params, call, false);
            }
            Some(_) => {
                let text = format!(
                    "holdpoint refused this call: the server did not list the tool `{}` in this session, so it was not run; call one of the tools `tools/list` gives",
                    call.name
                );
                self.log(format!(
                    "refused a call to `{}`, which the server did not list",
                    call.name
                ));
                self.answer_tool(id, text);
                let reason = format!(
                    "the server did not list the tool `{}` in this session",
                    call.name
                );
                self.out.push_back(Output::Refused { call, reason });
            }
            None => {
                self.pending.insert(
                    id,
                    Pending {
                        method: "tools/call".to_owned(),
                        state: State::Listing { params, call },
                    },
                );
                self.fetch_tools(None);
            }
        }
    }

    /// Asks the server for its tools under the machine's own id, unless it is already
    /// asked (or `cursor` names the next page).
    fn fetch_tools(&mut self, cursor: Option<Value>) {
        if self.listing.is_some() && cursor.is_none() {
            return;
        }
        let ours = self.fresh_id();
        self.listing = Some(ours);
        self.out.push_back(Output::ToServer(Message::Request {
            id: Id::from(ours),
            method: "tools/list".to_owned(),
            params: cursor.map(|c| json!({"cursor": c})),
        }));
    }

    /// The calls that waited for the tool list, now that it is known.
    fn release_listed(&mut self) {
        let mut waiting: Vec<Id> = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p.state, State::Listing { .. }))
            .map(|(id, _)| id.clone())
            .collect();
        waiting.sort_by_key(|id| format!("{id:?}"));
        for id in waiting {
            if let Some(Pending {
                state: State::Listing { params, call },
                ..
            }) = self.pending.remove(&id)
            {
                self.tool_call(id, params, call);
            }
        }
    }

    /// Asks for the call's decision.
    fn decide(
        &mut self,
        id: Id,
        method: String,
        params: Option<Value>,
        call: McpCall,
        approved: bool,
    ) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.tickets.insert(ticket, id.clone());
        self.out.push_back(Output::Decide {
            ticket,
            call: call.clone(),
        });
        self.pending.insert(
            id,
            Pending {
                method,
                state: State::Deciding {
                    ticket,
                    params,
                    call,
                    approved,
                },
            },
        );
    }

    /// Answers a `tools/call` with a tool result the model reads as an error.
    fn answer_tool(&mut self, id: Id, text: String) {
        self.out.push_back(Output::ToClient(Message::Response {
            id: Some(id),
            reply: Reply::Result(json!({
                "content": [{"type": "text", "text": text}],
                "isError": true,
            })),
        }));
    }

    /// Sends a client request to the server under an id of the machine's own.
    fn forward(
        &mut self,
        now: Instant,
        id: Id,
        method: String,
        params: Option<Value>,
        call: Option<(u64, McpCall)>,
    ) {
        let upstream = self.fresh_id();
        self.upstream.insert(upstream, id.clone());
        self.out.push_back(Output::ToServer(Message::Request {
            id: Id::from(upstream),
            method: method.clone(),
            params,
        }));
        self.pending.insert(
            id,
            Pending {
                method,
                state: State::Forwarded {
                    upstream,
                    call,
                    sent: now,
                },
            },
        );
    }

    fn client_notification(&mut self, method: String, params: Option<Value>) {
        if self.ended {
            return;
        }
        if DECIDED.contains(&method.as_str()) {
            self.log(format!(
                "dropped a `{method}` notification: calls are decided, and a notification cannot be answered"
            ));
            return;
        }
        if method == "notifications/roots/list_changed" {
            self.log(
                "dropped the client's `notifications/roots/list_changed`: the server's roots come from the gateway's configuration".to_owned(),
            );
            return;
        }
        if method != "notifications/cancelled" {
            let initialized = method == "notifications/initialized";
            self.out
                .push_back(Output::ToServer(Message::Notification { method, params }));
            // The catalogue is fetched as soon as the server may be asked, so that
            // calls need not wait for it.
            if initialized && self.listed.is_none() {
                self.fetch_tools(None);
            }
            return;
        }
        let id = params
            .as_ref()
            .and_then(|p| p.get("requestId"))
            .and_then(Id::from_value);
        let pending = id.as_ref().and_then(|id| self.pending.remove(id));
        match pending {
            // Nothing of it reached the server: nothing to tell it, nothing to answer
            // (a cancelled request is not answered). Its decision, when it comes, is
            // dropped.
            Some(Pending {
                state: State::Deciding { ticket, call, .. },
                ..
            }) => {
                self.tickets.remove(&ticket);
                self.log(format!(
                    "the client cancelled `{}` while it waited for its decision; it was not forwarded",
                    call.name
                ));
            }
            Some(Pending {
                state: State::Listing { call, .. },
                ..
            }) => self.log(format!(
                "the client cancelled `{}` while it waited for the tool list; it was not forwarded",
                call.name
            )),
            Some(Pending {
                state: State::Held { approval, call, .. },
                ..
            }) => {
                self.log(format!(
                    "the client cancelled `{}` while it was held for request {approval}; it was not forwarded",
                    call.name
                ));
                self.unwatch(&approval);
            }
            Some(Pending {
                state:
                    State::Forwarded {
                        upstream,
                        call,
                        sent,
                    },
                ..
            }) => {
                self.upstream.remove(&upstream);
                let mut params = params.unwrap_or_else(|| json!({}));
                if let Some(object) = params.as_object_mut() {
                    object.insert("requestId".to_owned(), Id::from(upstream).to_value());
                }
                self.out.push_back(Output::ToServer(Message::Notification {
                    method,
                    params: Some(params),
                }));
                if let Some((ticket, call)) = call {
                    let executed = Executed {
                        outcome: "cancelled".to_owned(),
                        exit_status: None,
                        duration_ms: None,
                        detail: Some(format!(
                            "the client cancelled it {} ms after it was forwarded; what the server did is not known",
                            millis(sent)
                        )),
                        observed_by: OBSERVED_BY.to_owned(),
                    };
                    self.out.push_back(Output::Record {
                        ticket,
                        call,
                        executed,
                    });
                }
            }
            None => self.log(format!(
                "dropped a cancellation of {}, which is not pending",
                describe(id.as_ref())
            )),
        }
    }

    /// The call a decided request makes, as analysis reads it.
    fn call(&self, method: &str, params: Option<&Value>) -> Result<McpCall, String> {
        let text = |key: &str| {
            params
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("`{method}` needs a string `{key}` in its params"))
        };
        let (name, arguments) = match method {
            "resources/read" => (text("uri")?, Value::Null),
            _ => (
                text("name")?,
                params
                    .and_then(|p| p.get("arguments"))
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
        };
        // Annotations count only for a trusted server, so only then are they part of
        // the call (and its digest): an untrusted server's call is the same call
        // whether or not the client listed the tools first.
        let annotations = (self.server.trusted && method == "tools/call")
            .then(|| self.tools.get(&name).cloned())
            .flatten();
        Ok(McpCall {
            server: self.server.clone(),
            method: method.to_owned(),
            name,
            arguments,
            annotations,
        })
    }

    /// The decision for the call holding `ticket`.
    pub fn handle_decision(&mut self, now: Instant, ticket: u64, verdict: Verdict) {
        let Some(id) = self.tickets.remove(&ticket) else {
            self.log(format!(
                "decision {ticket} came for a call no longer waiting (cancelled, or the server ended)"
            ));
            return;
        };
        let Some(Pending {
            method,
            state:
                State::Deciding {
                    params,
                    call,
                    approved,
                    ..
                },
        }) = self.pending.remove(&id)
        else {
            return;
        };
        let (message, approval, outcome) = match verdict {
            // INVARIANT: the only place a decided request is forwarded.
            Verdict::Allow => {
                self.forward(now, id, method, params, Some((ticket, call)));
                return;
            }
            Verdict::Ask {
                message,
                approval: Some(approval),
            } if !approved && !self.config.wait.is_zero() => {
                match progress_token(params.as_ref()) {
                    Some(token) => {
                        self.hold(now, id, method, params, call, message, approval, token);
                        return;
                    }
                    None => (message, Some(approval), "ask"),
                }
            }
            Verdict::Ask { message, approval } => (message, approval, "ask"),
            Verdict::Deny { message } => (message, None, "deny"),
            Verdict::Failed => (
                "holdpoint could not decide this call, so it was not run (the gateway's log says why); retry it later".to_owned(),
                None,
                "deny",
            ),
        };
        self.refuse(id, &method, message, approval, outcome);
    }

    /// Answers a call that was not run, in the terms its method allows.
    fn refuse(
        &mut self,
        id: Id,
        method: &str,
        message: String,
        approval: Option<String>,
        outcome: &str,
    ) {
        let reply = if method == "tools/call" {
            Reply::Result(json!({
                "content": [{"type": "text", "text": message}],
                "isError": true,
            }))
        } else {
            let mut data = json!({"holdpoint": outcome});
            if let (Some(object), Some(approval)) = (data.as_object_mut(), approval) {
                object.insert("approval".to_owned(), Value::from(approval));
            }
            Reply::Error(json!({"code": REFUSED, "message": message, "data": data}))
        };
        self.out.push_back(Output::ToClient(Message::Response {
            id: Some(id),
            reply,
        }));
    }

    /// Keeps a held call open, telling its client so at once and every
    /// [`PROGRESS_EVERY`] until a human answers or the wait ends.
    #[expect(
        clippy::too_many_arguments,
        reason = "everything a held call keeps, moved in from the decision"
    )]
    fn hold(
        &mut self,
        now: Instant,
        id: Id,
        method: String,
        params: Option<Value>,
        call: McpCall,
        message: String,
        approval: String,
        token: Value,
    ) {
        self.log(format!(
            "`{}` is held for request {approval}; the client is kept waiting up to {}s",
            call.name,
            self.config.wait.as_secs()
        ));
        let watched = self.held(&approval) > 0;
        self.pending.insert(
            id.clone(),
            Pending {
                method,
                state: State::Held {
                    approval: approval.clone(),
                    token,
                    params,
                    call,
                    message,
                    until: now + self.config.wait,
                    next_progress: now,
                    progress: 0,
                },
            },
        );
        if !watched {
            self.out.push_back(Output::WatchApproval(approval));
        }
        self.handle_timeout(now);
    }

    /// How many calls are held for `approval`.
    fn held(&self, approval: &str) -> usize {
        self.pending
            .values()
            .filter(|p| matches!(&p.state, State::Held { approval: a, .. } if a == approval))
            .count()
    }

    fn unwatch(&mut self, approval: &str) {
        if self.held(approval) == 0 {
            self.out.push_back(Output::Unwatch(approval.to_owned()));
        }
    }

    /// The held calls, by the client's id, in a stable order.
    fn held_ids(&self, approval: Option<&str>) -> Vec<Id> {
        let mut ids: Vec<Id> = self
            .pending
            .iter()
            .filter(|(_, p)| match &p.state {
                State::Held { approval: a, .. } => approval.is_none_or(|x| x == a),
                _ => false,
            })
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort_by_key(|id| format!("{id:?}"));
        ids
    }

    /// Where an approval request watched for a held call now stands.
    pub fn handle_approval(&mut self, approval: &str, state: ApprovalState) {
        if state == ApprovalState::Pending {
            return;
        }
        for id in self.held_ids(Some(approval)) {
            let Some(Pending {
                method,
                state:
                    State::Held {
                        params,
                        call,
                        message,
                        ..
                    },
            }) = self.pending.remove(&id)
            else {
                continue;
            };
            match state {
                // Let through as the approved action, exactly as the identical retry
                // would be: proposed again, and forwarded only on allow.
                ApprovalState::Approved => {
                    self.log(format!(
                        "request {approval} was approved while `{}` waited; deciding it again",
                        call.name
                    ));
                    self.decide(id, method, params, call, true);
                }
                ApprovalState::Refused => {
                    let text = format!(
                        "holdpoint refused this action: a human refused request {approval}, so it was not run"
                    );
                    self.refuse(id, &method, text, Some(approval.to_owned()), "deny");
                }
                ApprovalState::Pending | ApprovalState::Used | ApprovalState::Expired => {
                    self.refuse(id, &method, message, Some(approval.to_owned()), "ask");
                }
            }
        }
    }

    /// The time has come for what [`Session::poll_timeout`] gave: held calls whose wait
    /// is over are answered as held, the others are told they still are.
    pub fn handle_timeout(&mut self, now: Instant) {
        for id in self.held_ids(None) {
            let expired = matches!(
                self.pending.get(&id),
                Some(Pending { state: State::Held { until, .. }, .. }) if *until <= now
            );
            if expired {
                if let Some(Pending {
                    method,
                    state:
                        State::Held {
                            approval, message, ..
                        },
                }) = self.pending.remove(&id)
                {
                    self.refuse(id, &method, message, Some(approval.clone()), "ask");
                    self.unwatch(&approval);
                }
                continue;
            }
            let wait = self.config.wait.as_secs();
            let Some(Pending {
                state:
                    State::Held {
                        approval,
                        token,
                        next_progress,
                        progress,
                        until,
                        ..
                    },
                ..
            }) = self.pending.get_mut(&id)
            else {
                continue;
            };
            if *next_progress > now {
                continue;
            }
            *progress += 1;
            *next_progress = now + PROGRESS_EVERY;
            let left = until.saturating_duration_since(now).as_secs();
            let text = format!(
                "holdpoint holds this call for human approval: request {approval} (holdpoint approvals approve {approval}); waiting {left}s more of {wait}s"
            );
            let params =
                json!({"progressToken": token.clone(), "progress": *progress, "message": text});
            self.out.push_back(Output::ToClient(Message::Notification {
                method: "notifications/progress".to_owned(),
                params: Some(params),
            }));
        }
    }

    /// When [`Session::handle_timeout`] must next be called, if at all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending
            .values()
            .filter_map(|p| match &p.state {
                State::Held {
                    until,
                    next_progress,
                    ..
                } => Some(*until.min(next_progress)),
                _ => None,
            })
            .min()
    }

    /// A message the server sent; `size` is the length of its line.
    pub fn handle_server(&mut self, now: Instant, message: Message, size: usize) {
        if self.ended {
            return;
        }
        match message {
            Message::Response { id, reply } => {
                let ours = id.as_ref().and_then(machine_id);
                if ours.is_some() && ours == self.listing {
                    self.listing = None;
                    self.listed_by_server(&reply);
                    return;
                }
                let client = ours.and_then(|n| self.upstream.remove(&n));
                let pending = client.as_ref().and_then(|c| self.pending.remove(c));
                let (Some(client), Some(pending)) = (client, pending) else {
                    self.log(format!(
                        "dropped the server's response to {}, which is not pending",
                        describe(id.as_ref())
                    ));
                    return;
                };
                if let State::Forwarded {
                    call: Some((ticket, call)),
                    sent,
                    ..
                } = pending.state
                {
                    let executed = outcome(&reply, size, millis_between(sent, now));
                    self.out.push_back(Output::Record {
                        ticket,
                        call,
                        executed,
                    });
                }
                let mut reply = reply;
                // A server may ask for a URL elicitation by answering any request with
                // -32042 and the URLs to show the person: not without elicitation.
                if let Reply::Error(error) = &mut reply
                    && error.get("code").and_then(Value::as_i64) == Some(URL_ELICITATION_REQUIRED)
                    && !self.config.asks.elicitation
                {
                    self.log(
                        "removed the URLs of the server's URL elicitation: elicitation is passed to the client only when configured"
                            .to_owned(),
                    );
                    *error = json!({
                        "code": URL_ELICITATION_REQUIRED,
                        "message": "the MCP server asked for the person to visit a URL; holdpoint does not pass elicitation from this server to the client (its operator can allow it: `holdpoint mcp --allow-elicitation`, or `elicitation = true` in its [[mcp]] entry)",
                    });
                }
                if let Reply::Result(result) = &mut reply {
                    match pending.method.as_str() {
                        "initialize" => self.learn_server(result),
                        "tools/list" => {
                            self.learn_tools(result);
                            self.hide_tools(result);
                            self.judge_tools(result);
                        }
                        _ => {}
                    }
                }
                self.out.push_back(Output::ToClient(Message::Response {
                    id: Some(client),
                    reply,
                }));
            }
            // The roots are the gateway's to say: the client is not asked, so it can
            // neither widen nor change them.
            Message::Request { id, method, .. } if method == "roots/list" => {
                let roots: Vec<Value> = self
                    .config
                    .roots
                    .iter()
                    .map(|r| json!({"uri": r.uri, "name": r.name}))
                    .collect();
                self.out.push_back(Output::ToServer(Message::Response {
                    id: Some(id),
                    reply: Reply::Result(json!({ "roots": roots })),
                }));
            }
            Message::Request { id, method, .. }
                if self
                    .config
                    .asks
                    .gate(&method)
                    .is_some_and(|(_, passed)| !passed) =>
            {
                let capability = self.config.asks.gate(&method).map_or("", |(c, _)| c);
                self.log(format!(
                    "refused the server's `{method}`: it is passed to the client only when configured"
                ));
                self.out.push_back(Output::ToServer(Message::error(
                    Some(id),
                    code::METHOD_NOT_FOUND,
                    &format!(
                        "holdpoint does not pass `{method}` from this server to the client; its operator can allow it (`holdpoint mcp --allow-{capability}`, or `{capability} = true` in its [[mcp]] entry)"
                    ),
                )));
            }
            Message::Request { id, method, params } => {
                let ours = self.fresh_id();
                self.downstream.insert(ours, id);
                self.out.push_back(Output::ToClient(Message::Request {
                    id: Id::from(ours),
                    method,
                    params,
                }));
            }
            Message::Notification { method, .. }
                if self
                    .config
                    .asks
                    .gate(&method)
                    .is_some_and(|(_, passed)| !passed) =>
            {
                self.log(format!(
                    "dropped the server's `{method}`: it is passed to the client only when configured"
                ));
            }
            Message::Notification { method, params } => {
                if method == "notifications/tools/list_changed" {
                    // Forget the old list and fetch the new one; calls wait for it.
                    self.tools.clear();
                    self.listed = None;
                    self.listing = None;
                    self.fetch_tools(None);
                }
                if method != "notifications/cancelled" {
                    self.out
                        .push_back(Output::ToClient(Message::Notification { method, params }));
                    return;
                }
                let theirs = params
                    .as_ref()
                    .and_then(|p| p.get("requestId"))
                    .and_then(Id::from_value);
                let ours = self
                    .downstream
                    .iter()
                    .find(|(_, id)| Some(*id) == theirs.as_ref())
                    .map(|(ours, _)| *ours);
                match ours {
                    Some(ours) => {
                        self.downstream.remove(&ours);
                        let mut params = params.unwrap_or_else(|| json!({}));
                        if let Some(object) = params.as_object_mut() {
                            object.insert("requestId".to_owned(), Id::from(ours).to_value());
                        }
                        self.out.push_back(Output::ToClient(Message::Notification {
                            method,
                            params: Some(params),
                        }));
                    }
                    None => self.log(format!(
                        "dropped the server's cancellation of {}, which is not pending",
                        describe(theirs.as_ref())
                    )),
                }
            }
        }
    }

    /// A line from the server that is not a message: the session ends.
    pub fn handle_server_invalid(&mut self, now: Instant, error: &CodecError) {
        self.end(now, format!("the MCP server sent {error}"));
    }

    /// The server's output ended (it exited, or closed it).
    pub fn handle_server_exited(&mut self, now: Instant, how: &str) {
        self.end(now, format!("the MCP server {how}"));
    }

    /// Ends the session: every request not yet answered gets an error, calls forwarded
    /// are recorded as failed.
    fn end(&mut self, now: Instant, reason: String) {
        if self.ended {
            return;
        }
        self.ended = true;
        let mut pending: Vec<(Id, Pending)> = self.pending.drain().collect();
        pending.sort_by_key(|(id, _)| format!("{id:?}"));
        for (id, pending) in pending {
            if let State::Forwarded {
                call: Some((ticket, call)),
                sent,
                ..
            } = pending.state
            {
                let executed = Executed {
                    outcome: "failed".to_owned(),
                    exit_status: None,
                    duration_ms: Some(millis_between(sent, now)),
                    detail: Some(format!("{reason} before answering")),
                    observed_by: OBSERVED_BY.to_owned(),
                };
                self.out.push_back(Output::Record {
                    ticket,
                    call,
                    executed,
                });
            }
            self.out.push_back(Output::ToClient(Message::error(
                Some(id),
                code::INTERNAL_ERROR,
                &format!("{reason} before answering this request"),
            )));
        }
        self.upstream.clear();
        self.tickets.clear();
        self.downstream.clear();
        self.listing = None;
        self.out.push_back(Output::End { reason });
    }

    fn learn_server(&mut self, result: &Value) {
        let info = result.get("serverInfo");
        if let Some(name) = info.and_then(|i| i.get("name")).and_then(Value::as_str) {
            self.server.info = Some(McpServerInfo {
                name: name.to_owned(),
                version: info
                    .and_then(|i| i.get("version"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }

    /// The answer to the machine's own `tools/list`: the catalogue, or, when the server
    /// gave none, an empty one (every call is then refused as not listed).
    fn listed_by_server(&mut self, reply: &Reply) {
        match reply {
            Reply::Result(result) => {
                self.learn_tools(result);
                if let Some(cursor) = result.get("nextCursor").filter(|c| !c.is_null()) {
                    self.fetch_tools(Some(cursor.clone()));
                    return;
                }
            }
            Reply::Error(error) => {
                self.log(format!(
                    "the server gave no tool list ({}); every tool call is refused",
                    error.get("message").and_then(Value::as_str).unwrap_or("")
                ));
                self.listed.get_or_insert_with(HashSet::new);
            }
        }
        self.release_listed();
    }

    /// Removes the hidden tools from a `tools/list` result the client is sent.
    fn hide_tools(&self, result: &mut Value) {
        if let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut) {
            tools.retain(|tool| {
                tool.get("name")
                    .and_then(Value::as_str)
                    .is_none_or(|name| !self.config.hidden.contains(name))
            });
        }
    }

    /// Leaves out of a `tools/list` result the client is sent, or marks, the tools the
    /// policy refuses this agent whatever the arguments: those whose lowest possible
    /// risk class, and every class above it, the policy refuses.
    fn judge_tools(&mut self, result: &mut Value) {
        let mode = self.config.refused_tools;
        let Some(policy) = self
            .config
            .policy
            .clone()
            .filter(|_| mode != RefusedTools::Show)
        else {
            return;
        };
        let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut) else {
            return;
        };
        let mut refuses: [Option<bool>; 4] = [None; 4];
        let mut refused = Vec::new();
        tools.retain_mut(|tool| {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                return true;
            };
            let lowest = lowest_risk(&self.server, name, tool.get("annotations"));
            let index = Risk::ALL.iter().position(|r| *r == lowest).unwrap_or(0);
            let Some(known) = refuses.get_mut(index) else {
                return true;
            };
            if !*known.get_or_insert_with(|| (policy.0)(lowest)) {
                return true;
            }
            refused.push(name.to_owned());
            match mode {
                RefusedTools::Hide => false,
                RefusedTools::Mark | RefusedTools::Show => {
                    let description = tool
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let marked = format!("{REFUSED_MARK} {description}");
                    if let Some(object) = tool.as_object_mut() {
                        object.insert("description".to_owned(), Value::from(marked.trim_end()));
                    }
                    true
                }
            }
        });
        if !refused.is_empty() {
            let done = if mode == RefusedTools::Hide {
                "left out of the list"
            } else {
                "marked in the list"
            };
            self.log(format!(
                "{done} the tools the policy refuses this agent whatever the arguments: {}",
                refused.join(", ")
            ));
        }
    }

    fn learn_tools(&mut self, result: &Value) {
        let Some(tools) = result.get("tools").and_then(Value::as_array) else {
            return;
        };
        let listed = self.listed.get_or_insert_with(HashSet::new);
        for tool in tools {
            if let Some(name) = tool.get("name").and_then(Value::as_str) {
                listed.insert(name.to_owned());
            }
        }
        for tool in tools {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            match tool.get("annotations") {
                Some(annotations) if annotations.is_object() => {
                    self.tools.insert(name.to_owned(), annotations.clone());
                }
                _ => {
                    self.tools.remove(name);
                }
            }
        }
    }
}

/// The progress token a request's client gave (`_meta.progressToken`), if any.
fn progress_token(params: Option<&Value>) -> Option<Value> {
    params?
        .get("_meta")?
        .get("progressToken")
        .filter(|t| t.is_string() || t.is_number())
        .cloned()
}

/// A directory as a root: a `file://` URI, its path percent-encoded.
pub fn root(path: &std::path::Path) -> Root {
    let text = path.to_string_lossy();
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    let name = path.file_name().map_or_else(
        || text.clone().into_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    Root { uri, name }
}

/// The machine's own id in a response, if it is one (ids it sends are integers).
fn machine_id(id: &Id) -> Option<u64> {
    match id {
        Id::Number(text) => text.parse().ok(),
        Id::Text(_) => None,
    }
}

fn describe(id: Option<&Id>) -> String {
    match id {
        Some(Id::Number(n)) => format!("id {n}"),
        Some(Id::Text(t)) => format!("id {t:?}"),
        None => "a message without an id".to_owned(),
    }
}

fn millis(since: Instant) -> u64 {
    millis_between(since, Instant::now())
}

fn millis_between(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_millis()).unwrap_or(u64::MAX)
}

/// What a forwarded call's answer says happened: an error, a tool result with
/// `isError`, or a result of so many bytes.
fn outcome(reply: &Reply, size: usize, duration_ms: u64) -> Executed {
    let excerpt = |text: &str| {
        let mut cut: String = text.trim().chars().take(300).collect();
        if cut.len() < text.trim().len() {
            cut.push('…');
        }
        cut
    };
    let (failed, detail) = match reply {
        Reply::Error(error) => (
            true,
            format!(
                "the server answered with error {}: {}",
                error.get("code").unwrap_or(&Value::Null),
                excerpt(error.get("message").and_then(Value::as_str).unwrap_or(""))
            ),
        ),
        Reply::Result(result) if result.get("isError") == Some(&Value::Bool(true)) => {
            let text = result
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find_map(|c| c.get("text").and_then(Value::as_str))
                .unwrap_or("");
            (
                true,
                format!(
                    "the tool reported an error ({size} bytes): {}",
                    excerpt(text)
                ),
            )
        }
        Reply::Result(_) => (false, format!("answered with {size} bytes")),
    };
    Executed {
        outcome: if failed { "failed" } else { "succeeded" }.to_owned(),
        exit_status: None,
        duration_ms: Some(duration_ms),
        detail: Some(detail),
        observed_by: OBSERVED_BY.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    //! Transcripts: messages and decisions in, what the machine does out, one line per
    //! output (`server …` and `client …` are the lines sent, `decide #N` a call to
    //! decide, `record` an outcome).

    use super::*;
    use crate::proxy::mcp::codec::{encode, parse};

    fn server() -> McpServer {
        McpServer {
            name: "files".into(),
            command: vec![
                "npx".into(),
                "@modelcontextprotocol/server-filesystem".into(),
            ],
            url: None,
            info: None,
            trusted: false,
        }
    }

    struct Run {
        session: Session,
        now: Instant,
    }

    impl Run {
        /// A session whose server listed `read_file` and `write_file`.
        fn new() -> Self {
            Run::with(server(), Config::default())
        }

        fn trusted() -> Self {
            let mut server = server();
            server.trusted = true;
            Run::with(server, Config::default())
        }

        fn with(server: McpServer, config: Config) -> Self {
            let mut session = Session::new(server, config);
            session.listed = Some(["read_file", "write_file"].map(String::from).into());
            Run {
                session,
                now: Instant::now(),
            }
        }

        fn outputs(&mut self) -> Vec<String> {
            std::iter::from_fn(|| self.session.poll_output())
                .map(|output| match output {
                    Output::ToServer(m) => format!("server {}", line(&m)),
                    Output::ToClient(m) => format!("client {}", line(&m)),
                    Output::Decide { ticket, call } => {
                        format!(
                            "decide #{ticket} {} {} {}",
                            call.method,
                            call.name,
                            sorted(&call.arguments)
                        )
                    }
                    Output::Record { call, executed, .. } => format!(
                        "record {} {} {}",
                        call.name,
                        executed.outcome,
                        executed.detail.unwrap_or_default()
                    ),
                    Output::Refused { call, reason } => format!("refused {}: {reason}", call.name),
                    Output::Log(text) => format!("log {text}"),
                    Output::WatchApproval(id) => format!("watch {id}"),
                    Output::Unwatch(id) => format!("unwatch {id}"),
                    Output::End { reason } => format!("end {reason}"),
                })
                .collect()
        }

        /// The client sends `text`; the machine's outputs must be `expected`.
        fn client(&mut self, text: &str, expected: &[&str]) {
            match parse(text.as_bytes()) {
                Ok(message) => self.session.handle_client(self.now, message),
                Err(e) => self.session.handle_client_invalid(&e),
            }
            assert_eq!(self.outputs(), expected, "after the client sent {text}");
        }

        fn server(&mut self, text: &str, expected: &[&str]) {
            match parse(text.as_bytes()) {
                Ok(message) => self.session.handle_server(self.now, message, text.len()),
                Err(e) => self.session.handle_server_invalid(self.now, &e),
            }
            assert_eq!(self.outputs(), expected, "after the server sent {text}");
        }

        /// What the machine does with a message from the server.
        fn server_outputs(&mut self, text: &str) -> Vec<String> {
            let message = parse(text.as_bytes()).unwrap();
            self.session.handle_server(self.now, message, text.len());
            self.outputs()
        }

        fn decide(&mut self, ticket: u64, verdict: Verdict, expected: &[&str]) {
            self.session.handle_decision(self.now, ticket, verdict);
            assert_eq!(self.outputs(), expected, "after decision #{ticket}");
        }

        fn exited(&mut self, expected: &[&str]) {
            self.session.handle_server_exited(self.now, "exited");
            assert_eq!(self.outputs(), expected, "after the server exited");
        }
    }

    /// A message as sent, with object keys sorted so transcripts read the same
    /// whatever order the encoder keeps.
    fn line(message: &Message) -> String {
        let sent: Value = serde_json::from_slice(&encode(message)).unwrap();
        sorted(&sent).to_string()
    }

    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }

    const WRITE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"/etc/x","content":"y"}}}"#;

    #[test]
    fn requests_that_are_not_calls_pass_through_under_the_machines_ids() {
        let mut run = Run::new();
        run.client(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"result":{"serverInfo":{"name":"secure-filesystem-server","version":"0.2.0"}}}"#,
            &[r#"client {"id":0,"jsonrpc":"2.0","result":{"serverInfo":{"name":"secure-filesystem-server","version":"0.2.0"}}}"#],
        );
        assert_eq!(
            run.session.server.info,
            Some(McpServerInfo {
                name: "secure-filesystem-server".into(),
                version: "0.2.0".into()
            })
        );
        run.client(
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            &[r#"server {"jsonrpc":"2.0","method":"notifications/initialized"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":"p","method":"ping"}"#,
            &[r#"server {"id":2,"jsonrpc":"2.0","method":"ping"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":2,"result":{}}"#,
            &[r#"client {"id":"p","jsonrpc":"2.0","result":{}}"#],
        );
    }

    #[test]
    fn a_call_is_decided_before_anything_of_it_reaches_the_server() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            1,
            Verdict::Allow,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}"#,
            &[
                "record write_file succeeded answered with 75 bytes",
                r#"client {"id":0,"jsonrpc":"2.0","result":{"content":[{"text":"ok","type":"text"}]}}"#,
            ],
        );
    }

    #[test]
    fn deny_and_ask_answer_the_model_in_its_own_terms_and_forward_nothing() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            1,
            Verdict::Deny {
                message: "holdpoint refused this action: frozen".into(),
            },
            &[r#"client {"id":0,"jsonrpc":"2.0","result":{"content":[{"text":"holdpoint refused this action: frozen","type":"text"}],"isError":true}}"#],
        );
        run.client(
            WRITE,
            &[r#"decide #2 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            2,
            Verdict::Ask {
                message: "held: request apr-1".into(),
                approval: Some("apr-1".into()),
            },
            &[r#"client {"id":0,"jsonrpc":"2.0","result":{"content":[{"text":"held: request apr-1","type":"text"}],"isError":true}}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"file:///etc/shadow"}}"#,
            &[r#"decide #3 resources/read file:///etc/shadow null"#],
        );
        run.decide(
            3,
            Verdict::Ask {
                message: "held: request apr-2".into(),
                approval: Some("apr-2".into()),
            },
            &[r#"client {"error":{"code":-32001,"data":{"approval":"apr-2","holdpoint":"ask"},"message":"held: request apr-2"},"id":5,"jsonrpc":"2.0"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":6,"method":"prompts/get","params":{"name":"p","arguments":{"a":"b"}}}"#,
            &[r#"decide #4 prompts/get p {"a":"b"}"#],
        );
        run.decide(
            4,
            Verdict::Failed,
            &[r#"client {"error":{"code":-32001,"data":{"holdpoint":"deny"},"message":"holdpoint could not decide this call, so it was not run (the gateway's log says why); retry it later"},"id":6,"jsonrpc":"2.0"}"#],
        );
    }

    #[test]
    fn calls_that_cannot_be_read_and_calls_sent_as_notifications_never_reach_the_server() {
        let mut run = Run::new();
        run.client(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}"#,
            &[r#"client {"error":{"code":-32602,"message":"`tools/call` needs a string `name` in its params"},"id":1,"jsonrpc":"2.0"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":7}}"#,
            &[r#"client {"error":{"code":-32602,"message":"`resources/read` needs a string `uri` in its params"},"id":2,"jsonrpc":"2.0"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"write_file"}}"#,
            &["log dropped a `tools/call` notification: calls are decided, and a notification cannot be answered"],
        );
    }

    #[test]
    fn the_client_is_served_while_a_call_waits_for_its_decision() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#,
            &[r#"client {"id":1,"jsonrpc":"2.0","result":{"tools":[]}}"#],
        );
        // A second request may not reuse the id of one still waiting.
        run.client(
            WRITE,
            &[r#"client {"error":{"code":-32600,"message":"this id is already used by a request not yet answered"},"id":0,"jsonrpc":"2.0"}"#],
        );
        run.decide(1, Verdict::Allow, &[r#"server {"id":2,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#]);
    }

    #[test]
    fn a_cancelled_call_waiting_for_its_decision_is_neither_answered_nor_forwarded() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":0,"reason":"user"}}"#,
            &["log the client cancelled `write_file` while it waited for its decision; it was not forwarded"],
        );
        run.decide(
            1,
            Verdict::Allow,
            &["log decision 1 came for a call no longer waiting (cancelled, or the server ended)"],
        );
        // The id is free again, and a new call with it is decided afresh.
        run.client(
            WRITE,
            &[r#"decide #2 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
    }

    #[test]
    fn a_cancellation_of_a_forwarded_request_names_the_id_the_server_knows() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(1, Verdict::Allow, &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#]);
        let out = {
            run.session.handle_client(
                run.now,
                parse(br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":0}}"#).unwrap(),
            );
            run.outputs()
        };
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[0],
            r#"server {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#
        );
        assert!(
            out[1].starts_with("record write_file cancelled the client cancelled it"),
            "{out:?}"
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            &["log dropped the server's response to id 1, which is not pending"],
        );
    }

    #[test]
    fn server_requests_get_ids_that_cannot_collide_with_the_clients() {
        let asks = Asks {
            sampling: true,
            elicitation: true,
        };
        let mut run = Run::with(
            server(),
            Config {
                asks,
                ..Config::default()
            },
        );
        // Both sides use id 0 at once.
        run.client(
            r#"{"jsonrpc":"2.0","id":0,"method":"tools/list"}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}"#,
            &[r#"client {"id":2,"jsonrpc":"2.0","method":"elicitation/create","params":{}}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":2,"result":{"action":"decline"}}"#,
            &[r#"server {"id":0,"jsonrpc":"2.0","result":{"action":"decline"}}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#,
            &[r#"client {"id":0,"jsonrpc":"2.0","result":{"tools":[]}}"#],
        );
        // A response to a request nobody sent goes nowhere.
        run.client(
            r#"{"jsonrpc":"2.0","id":2,"result":{}}"#,
            &["log dropped the client's response to id 2, which the server did not ask"],
        );
        // The server's cancellation of its own request is rewritten the same way.
        run.server(
            r#"{"jsonrpc":"2.0","id":"s","method":"sampling/createMessage","params":{}}"#,
            &[r#"client {"id":3,"jsonrpc":"2.0","method":"sampling/createMessage","params":{}}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"s"}}"#,
            &[r#"client {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#],
        );
    }

    #[test]
    fn sampling_and_elicitation_reach_the_client_only_when_configured() {
        let initialize = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"elicitation":{},"roots":{},"sampling":{},"tasks":{"list":{},"requests":{"elicitation":{"create":{}},"sampling":{"createMessage":{}}}}},"protocolVersion":"2025-11-25"}}"#;
        // Not configured: the server is told the client can do neither, directly or as a
        // task, and asking anyway is refused without reaching the client.
        let mut run = Run::new();
        run.client(
            initialize,
            &[
                "log told the server the client cannot do sampling or elicitation: not configured",
                r#"server {"id":1,"jsonrpc":"2.0","method":"initialize","params":{"capabilities":{"roots":{},"tasks":{"list":{},"requests":{}}},"protocolVersion":"2025-11-25"}}"#,
            ],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage","params":{"messages":[]}}"#,
            &[
                "log refused the server's `sampling/createMessage`: it is passed to the client only when configured",
                r#"server {"error":{"code":-32601,"message":"holdpoint does not pass `sampling/createMessage` from this server to the client; its operator can allow it (`holdpoint mcp --allow-sampling`, or `sampling = true` in its [[mcp]] entry)"},"id":7,"jsonrpc":"2.0"}"#,
            ],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":8,"method":"elicitation/create","params":{}}"#,
            &[
                "log refused the server's `elicitation/create`: it is passed to the client only when configured",
                r#"server {"error":{"code":-32601,"message":"holdpoint does not pass `elicitation/create` from this server to the client; its operator can allow it (`holdpoint mcp --allow-elicitation`, or `elicitation = true` in its [[mcp]] entry)"},"id":8,"jsonrpc":"2.0"}"#,
            ],
        );
        // Nor its notifications, nor URLs to visit in an error.
        run.server(
            r#"{"jsonrpc":"2.0","method":"notifications/elicitation/complete","params":{"elicitationId":"e"}}"#,
            &["log dropped the server's `notifications/elicitation/complete`: it is passed to the client only when configured"],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":5,"method":"resources/list"}"#,
            &[r#"server {"id":2,"jsonrpc":"2.0","method":"resources/list"}"#],
        );
        let answer = run.server_outputs(
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32042,"message":"visit","data":{"elicitations":[{"mode":"url","url":"https://evil.example/login"}]}}}"#,
        );
        assert!(
            !answer.iter().any(|line| line.contains("evil.example")),
            "{answer:?}"
        );
        assert!(
            answer
                .iter()
                .any(|line| line.contains("-32042") && line.contains(r#""id":5"#)),
            "{answer:?}"
        );
        // Sampling configured, elicitation not.
        let mut run = Run::with(
            server(),
            Config {
                asks: Asks {
                    sampling: true,
                    elicitation: false,
                },
                ..Config::default()
            },
        );
        run.client(
            initialize,
            &[
                "log told the server the client cannot do elicitation: not configured",
                r#"server {"id":1,"jsonrpc":"2.0","method":"initialize","params":{"capabilities":{"roots":{},"sampling":{},"tasks":{"list":{},"requests":{"sampling":{"createMessage":{}}}}},"protocolVersion":"2025-11-25"}}"#,
            ],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage","params":{"messages":[]}}"#,
            &[r#"client {"id":2,"jsonrpc":"2.0","method":"sampling/createMessage","params":{"messages":[]}}"#],
        );
    }

    #[test]
    fn tool_annotations_are_part_of_a_call_only_for_a_trusted_server() {
        let list = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"wipe","annotations":{"readOnlyHint":true}}]}}"#;
        let call = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wipe"}}"#;
        for (mut run, expected) in [
            (Run::new(), None),
            (Run::trusted(), Some(json!({"readOnlyHint": true}))),
        ] {
            run.client(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
                &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
            );
            run.session
                .handle_server(run.now, parse(list.as_bytes()).unwrap(), list.len());
            run.outputs();
            run.session
                .handle_client(run.now, parse(call.as_bytes()).unwrap());
            let Some(Output::Decide { call, .. }) = run.session.poll_output() else {
                panic!("no decision asked");
            };
            assert_eq!(call.annotations, expected);
            assert_eq!(call.server.trusted, expected.is_some());
        }
        // A changed list forgets what the old one said.
        let mut run = Run::trusted();
        run.client(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.session
            .handle_server(run.now, parse(list.as_bytes()).unwrap(), list.len());
        run.outputs();
        run.server(
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
            &[
                r#"server {"id":2,"jsonrpc":"2.0","method":"tools/list"}"#,
                r#"client {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
            ],
        );
        run.client(call, &[]);
        run.server(
            r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"wipe"}]}}"#,
            &["decide #1 tools/call wipe null"],
        );
        let Some(Pending {
            state: State::Deciding { call, .. },
            ..
        }) = run.session.pending.get(&Id::from(2))
        else {
            panic!("not deciding");
        };
        assert_eq!(call.annotations, None);
    }

    fn hiding(tools: &[&str]) -> Run {
        let config = Config {
            hidden: tools.iter().map(|t| (*t).to_owned()).collect(),
            ..Config::default()
        };
        let mut run = Run::with(server(), config);
        run.session.listed = None;
        run
    }

    #[test]
    fn hidden_tools_are_not_listed_and_calls_to_them_or_to_tools_never_listed_are_refused() {
        let mut run = hiding(&["move_file"]);
        run.client(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"initialize","params":{}}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            &[r#"client {"id":0,"jsonrpc":"2.0","result":{}}"#],
        );
        // The catalogue is fetched as soon as the session is initialized; a call made
        // before it arrives waits for it.
        run.client(
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            &[
                r#"server {"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                r#"server {"id":2,"jsonrpc":"2.0","method":"tools/list"}"#,
            ],
        );
        run.client(WRITE, &[]);
        run.client(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm_rf"}}"#,
            &[],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"write_file"},{"name":"move_file"}],"nextCursor":"p2"}}"#,
            &[r#"server {"id":3,"jsonrpc":"2.0","method":"tools/list","params":{"cursor":"p2"}}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"read_file"}]}}"#,
            &[
                r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#,
                "log refused a call to `rm_rf`, which the server did not list",
                r#"client {"id":1,"jsonrpc":"2.0","result":{"content":[{"text":"holdpoint refused this call: the server did not list the tool `rm_rf` in this session, so it was not run; call one of the tools `tools/list` gives","type":"text"}],"isError":true}}"#,
                "refused rm_rf: the server did not list the tool `rm_rf` in this session",
            ],
        );
        // The client's list leaves the hidden tool out; a call to it is refused.
        run.client(
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            &[r#"server {"id":4,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":4,"result":{"tools":[{"name":"write_file"},{"name":"move_file"},{"name":"read_file"}]}}"#,
            &[r#"client {"id":2,"jsonrpc":"2.0","result":{"tools":[{"name":"write_file"},{"name":"read_file"}]}}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"move_file","arguments":{}}}"#,
            &[
                "log refused a call to the hidden tool `move_file`",
                r#"client {"id":3,"jsonrpc":"2.0","result":{"content":[{"text":"holdpoint refused this call: the tool `move_file` is hidden from this agent by the gateway's configuration, so it was not run","type":"text"}],"isError":true}}"#,
                "refused move_file: the tool `move_file` is hidden from this agent by the gateway's configuration",
            ],
        );
        // A changed list is fetched again and filtered the same way: a tool it drops
        // is refused, one it adds is decided, a hidden one stays hidden.
        run.server(
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
            &[
                r#"server {"id":5,"jsonrpc":"2.0","method":"tools/list"}"#,
                r#"client {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
            ],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":5,"result":{"tools":[{"name":"rm_rf"},{"name":"move_file"}]}}"#,
            &[],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_file"}}"#,
            &[
                "log refused a call to `read_file`, which the server did not list",
                r#"client {"id":4,"jsonrpc":"2.0","result":{"content":[{"text":"holdpoint refused this call: the server did not list the tool `read_file` in this session, so it was not run; call one of the tools `tools/list` gives","type":"text"}],"isError":true}}"#,
                "refused read_file: the server did not list the tool `read_file` in this session",
            ],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"rm_rf"}}"#,
            &["decide #2 tools/call rm_rf null"],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/list"}"#,
            &[r#"server {"id":6,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":6,"result":{"tools":[{"name":"rm_rf"},{"name":"move_file"}]}}"#,
            &[r#"client {"id":6,"jsonrpc":"2.0","result":{"tools":[{"name":"rm_rf"}]}}"#],
        );
    }

    #[test]
    fn tools_the_policy_refuses_whatever_the_arguments_are_left_out_or_marked_and_still_decided() {
        // This agent's policy refuses changes and destroys, not reads or workspace work:
        // `frobnicate`, which nobody catalogued, is at least a change; `write_file` can
        // be workspace work, `read_text_file` a read.
        let policy = PolicyView::new(|lowest| lowest >= Risk::Change);
        let list = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"read_text_file","description":"Reads a file."},{"name":"write_file"},{"name":"frobnicate","description":"Does things."}]}}"#;
        let cases = [
            (
                RefusedTools::Hide,
                vec![
                    "log left out of the list the tools the policy refuses this agent whatever the arguments: frobnicate",
                    r#"client {"id":7,"jsonrpc":"2.0","result":{"tools":[{"description":"Reads a file.","name":"read_text_file"},{"name":"write_file"}]}}"#,
                ],
            ),
            (
                RefusedTools::Mark,
                vec![
                    "log marked in the list the tools the policy refuses this agent whatever the arguments: frobnicate",
                    r#"client {"id":7,"jsonrpc":"2.0","result":{"tools":[{"description":"Reads a file.","name":"read_text_file"},{"name":"write_file"},{"description":"[holdpoint: the policy refuses every call of this tool by this agent] Does things.","name":"frobnicate"}]}}"#,
                ],
            ),
            (
                RefusedTools::Show,
                vec![
                    r#"client {"id":7,"jsonrpc":"2.0","result":{"tools":[{"description":"Reads a file.","name":"read_text_file"},{"name":"write_file"},{"description":"Does things.","name":"frobnicate"}]}}"#,
                ],
            ),
        ];
        for (mode, expected) in cases {
            let config = Config {
                refused_tools: mode,
                policy: Some(policy.clone()),
                ..Config::default()
            };
            let mut run = Run::with(server(), config);
            run.client(
                r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#,
                &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
            );
            run.server(list, &expected);
            // A call to a tool left out is not refused by the list: it is decided, and
            // the policy refuses it there, on the record.
            run.client(
                r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"frobnicate","arguments":{}}}"#,
                &[r#"decide #1 tools/call frobnicate {}"#],
            );
        }
        // A policy that refuses nothing outright leaves the list as the server gave it.
        let config = Config {
            policy: Some(PolicyView::new(|_| false)),
            ..Config::default()
        };
        let mut run = Run::with(server(), config);
        run.client(
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            list,
            &[r#"client {"id":7,"jsonrpc":"2.0","result":{"tools":[{"description":"Reads a file.","name":"read_text_file"},{"name":"write_file"},{"description":"Does things.","name":"frobnicate"}]}}"#],
        );
    }

    #[test]
    fn a_server_without_a_tool_list_gets_no_calls() {
        let mut run = hiding(&[]);
        run.client(
            WRITE,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#,
            &[
                "log the server gave no tool list (Method not found); every tool call is refused",
                "log refused a call to `write_file`, which the server did not list",
                r#"client {"id":0,"jsonrpc":"2.0","result":{"content":[{"text":"holdpoint refused this call: the server did not list the tool `write_file` in this session, so it was not run; call one of the tools `tools/list` gives","type":"text"}],"isError":true}}"#,
                "refused write_file: the server did not list the tool `write_file` in this session",
            ],
        );
    }

    #[test]
    fn roots_come_from_configuration_and_the_client_cannot_change_them() {
        let config = Config {
            roots: vec![root(std::path::Path::new("/srv/my docs"))],
            ..Config::default()
        };
        let mut run = Run::with(server(), config);
        run.server(
            r#"{"jsonrpc":"2.0","id":0,"method":"roots/list"}"#,
            &[r#"server {"id":0,"jsonrpc":"2.0","result":{"roots":[{"name":"my docs","uri":"file:///srv/my%20docs"}]}}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#,
            &["log dropped the client's `notifications/roots/list_changed`: the server's roots come from the gateway's configuration"],
        );
        // An answer to a `roots/list` the client was never sent goes nowhere.
        run.client(
            r#"{"jsonrpc":"2.0","id":1,"result":{"roots":[{"uri":"file:///"}]}}"#,
            &["log dropped the client's response to id 1, which the server did not ask"],
        );
    }

    const WAITING: &str = r#"{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"_meta":{"progressToken":"t"},"name":"write_file","arguments":{"path":"/etc/x","content":"y"}}}"#;

    fn waiting(seconds: u64) -> Run {
        let config = Config {
            wait: Duration::from_secs(seconds),
            ..Config::default()
        };
        Run::with(server(), config)
    }

    fn held() -> Verdict {
        Verdict::Ask {
            message: "held: request apr-1".into(),
            approval: Some("apr-1".into()),
        }
    }

    fn progress(n: u64, left: u64) -> String {
        format!(
            r#"client {{"jsonrpc":"2.0","method":"notifications/progress","params":{{"message":"holdpoint holds this call for human approval: request apr-1 (holdpoint approvals approve apr-1); waiting {left}s more of 10s","progress":{n},"progressToken":"t"}}}}"#
        )
    }

    const HELD_ANSWER: &str = r#"client {"id":0,"jsonrpc":"2.0","result":{"content":[{"text":"held: request apr-1","type":"text"}],"isError":true}}"#;

    #[test]
    fn a_held_call_approved_while_it_waits_is_decided_again_and_runs() {
        let mut run = waiting(10);
        run.client(
            WAITING,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            1,
            held(),
            &[
                "log `write_file` is held for request apr-1; the client is kept waiting up to 10s",
                "watch apr-1",
                &progress(1, 10),
            ],
        );
        assert_eq!(run.session.poll_timeout(), Some(run.now + PROGRESS_EVERY));
        run.session.handle_timeout(run.now + Duration::from_secs(1));
        assert_eq!(
            run.outputs(),
            Vec::<String>::new(),
            "too early for progress"
        );
        run.now += PROGRESS_EVERY;
        run.session.handle_timeout(run.now);
        assert_eq!(run.outputs(), [progress(2, 5)]);
        run.session.handle_approval("apr-1", ApprovalState::Pending);
        assert_eq!(run.outputs(), Vec::<String>::new());
        run.session
            .handle_approval("apr-1", ApprovalState::Approved);
        assert_eq!(
            run.outputs(),
            [
                "log request apr-1 was approved while `write_file` waited; deciding it again",
                r#"decide #2 tools/call write_file {"content":"y","path":"/etc/x"}"#,
            ]
        );
        assert_eq!(run.session.poll_timeout(), None);
        run.decide(2, Verdict::Allow, &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/call","params":{"_meta":{"progressToken":"t"},"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#]);
    }

    #[test]
    fn a_held_call_decided_again_is_not_held_twice() {
        let mut run = waiting(10);
        run.client(
            WAITING,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            1,
            held(),
            &[
                "log `write_file` is held for request apr-1; the client is kept waiting up to 10s",
                "watch apr-1",
                &progress(1, 10),
            ],
        );
        run.session
            .handle_approval("apr-1", ApprovalState::Approved);
        run.outputs();
        run.decide(2, held(), &[HELD_ANSWER]);
    }

    #[test]
    fn a_held_call_is_answered_as_held_when_the_wait_ends_or_a_human_refuses() {
        let mut run = waiting(10);
        run.client(
            WAITING,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            1,
            held(),
            &[
                "log `write_file` is held for request apr-1; the client is kept waiting up to 10s",
                "watch apr-1",
                &progress(1, 10),
            ],
        );
        run.now += Duration::from_secs(10);
        run.session.handle_timeout(run.now);
        assert_eq!(run.outputs(), [HELD_ANSWER, "unwatch apr-1"]);
        assert_eq!(run.session.poll_timeout(), None);

        run.client(
            WAITING,
            &[r#"decide #2 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            2,
            held(),
            &[
                "log `write_file` is held for request apr-1; the client is kept waiting up to 10s",
                "watch apr-1",
                &progress(1, 10),
            ],
        );
        run.session.handle_approval("apr-1", ApprovalState::Refused);
        assert_eq!(
            run.outputs(),
            [
                r#"client {"id":0,"jsonrpc":"2.0","result":{"content":[{"text":"holdpoint refused this action: a human refused request apr-1, so it was not run","type":"text"}],"isError":true}}"#
            ]
        );
    }

    #[test]
    fn a_held_call_is_answered_at_once_without_a_progress_token_and_a_cancel_ends_its_wait() {
        let mut run = waiting(10);
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(1, held(), &[HELD_ANSWER]);

        run.client(
            WAITING,
            &[r#"decide #2 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(
            2,
            held(),
            &[
                "log `write_file` is held for request apr-1; the client is kept waiting up to 10s",
                "watch apr-1",
                &progress(1, 10),
            ],
        );
        run.client(
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":0}}"#,
            &[
                "log the client cancelled `write_file` while it was held for request apr-1; it was not forwarded",
                "unwatch apr-1",
            ],
        );
        assert_eq!(run.session.poll_timeout(), None);
        run.session
            .handle_approval("apr-1", ApprovalState::Approved);
        assert_eq!(
            run.outputs(),
            Vec::<String>::new(),
            "nothing waits any more"
        );
        // A wait is never longer than the clients allow.
        assert_eq!(waiting(600).session.config.wait, MOST_WAIT);
    }

    #[test]
    fn outcomes_say_whether_the_call_failed() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(1, Verdict::Allow, &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#]);
        let text = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Access denied"}],"isError":true}}"#;
        run.session
            .handle_server(run.now, parse(text.as_bytes()).unwrap(), text.len());
        let out = run.outputs();
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[0],
            "record write_file failed the tool reported an error (101 bytes): Access denied"
        );
        run.client(
            WRITE,
            &[r#"decide #2 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(2, Verdict::Allow, &[r#"server {"id":2,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#]);
        run.server(
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"disk full"}}"#,
            &[
                "record write_file failed the server answered with error -32603: disk full",
                r#"client {"error":{"code":-32603,"message":"disk full"},"id":0,"jsonrpc":"2.0"}"#,
            ],
        );
    }

    #[test]
    fn when_the_server_ends_every_pending_request_gets_an_error_and_nothing_more_is_sent() {
        let mut run = Run::new();
        run.client(
            WRITE,
            &[r#"decide #1 tools/call write_file {"content":"y","path":"/etc/x"}"#],
        );
        run.decide(1, Verdict::Allow, &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"content":"y","path":"/etc/x"},"name":"write_file"}}"#]);
        run.client(
            r#"{"jsonrpc":"2.0","id":"w","method":"tools/call","params":{"name":"read_file","arguments":{"path":"a"}}}"#,
            &[r#"decide #2 tools/call read_file {"path":"a"}"#],
        );
        run.exited(&[
            "record write_file failed the MCP server exited before answering",
            r#"client {"error":{"code":-32603,"message":"the MCP server exited before answering this request"},"id":0,"jsonrpc":"2.0"}"#,
            r#"client {"error":{"code":-32603,"message":"the MCP server exited before answering this request"},"id":"w","jsonrpc":"2.0"}"#,
            "end the MCP server exited",
        ]);
        run.decide(
            2,
            Verdict::Allow,
            &["log decision 2 came for a call no longer waiting (cancelled, or the server ended)"],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#,
            &[r#"client {"error":{"code":-32603,"message":"the MCP server has ended"},"id":9,"jsonrpc":"2.0"}"#],
        );
    }

    #[test]
    fn bad_input_from_the_client_is_answered_and_from_the_server_ends_the_session() {
        let mut run = Run::new();
        run.client(
            "{not json",
            &[
                "log refused a message from the client: not JSON: key must be a string at line 1 column 2",
                r#"client {"error":{"code":-32700,"message":"not JSON: key must be a string at line 1 column 2"},"id":null,"jsonrpc":"2.0"}"#,
            ],
        );
        run.client(
            r#"{"jsonrpc":"1.0","id":4,"method":"ping"}"#,
            &[
                "log refused a message from the client: not a JSON-RPC 2.0 message: `jsonrpc` is not \"2.0\"",
                r#"client {"error":{"code":-32600,"message":"not a JSON-RPC 2.0 message: `jsonrpc` is not \"2.0\""},"id":4,"jsonrpc":"2.0"}"#,
            ],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            "[1]",
            &[
                r#"client {"error":{"code":-32603,"message":"the MCP server sent a batch (JSON array), which MCP does not use before answering this request"},"id":1,"jsonrpc":"2.0"}"#,
                "end the MCP server sent a batch (JSON array), which MCP does not use",
            ],
        );
    }
}
