//! The MCP gateway's session machine: one agent's connection to one MCP server, as
//! plain data. Events go in (a message from either side, a decision, the server's
//! end), outputs come out ([`Output`]: messages to send, calls to decide, outcomes to
//! record); it does no I/O, and time is an argument.
//!
//! What it keeps: the server's identity (launch command, name, trust, and the
//! `serverInfo` its `initialize` answer announced), the annotations of the tools it has
//! listed, the client's requests not yet answered and where each stands (waiting for
//! its decision, or forwarded under an id of the machine's own), and the server's
//! requests forwarded to the client under ids of the machine's own.
//!
//! INVARIANT: nothing reaches the server that has not been decided. A request whose
//! method is in [`DECIDED`] becomes [`Output::Decide`] and is forwarded only from
//! [`Session::handle_decision`] on [`Verdict::Allow`]; a notification with such a
//! method is dropped; everything else the client sends passes through.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use holdpoint_core::{McpCall, McpServer, McpServerInfo};
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
    /// Record what a forwarded call did.
    Record {
        call: McpCall,
        executed: Executed,
    },
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
    /// Waiting for its decision; nothing of it has reached the server.
    Deciding {
        ticket: u64,
        params: Option<Value>,
        call: McpCall,
    },
    /// Sent to the server under the machine's id `upstream`.
    Forwarded {
        upstream: u64,
        call: Option<McpCall>,
        sent: Instant,
    },
}

/// One gateway session.
#[derive(Debug)]
pub struct Session {
    server: McpServer,
    /// Annotations of the tools the server listed, by name.
    tools: HashMap<String, Value>,
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
    pub fn new(server: McpServer) -> Self {
        Session {
            server,
            tools: HashMap::new(),
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
                Ok(call) => {
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
                            },
                        },
                    );
                }
                Err(why) => self.out.push_back(Output::ToClient(Message::error(
                    Some(id),
                    code::INVALID_PARAMS,
                    &why,
                ))),
            }
            return;
        }
        self.forward(now, id, method, params, None);
    }

    /// Sends a client request to the server under an id of the machine's own.
    fn forward(
        &mut self,
        now: Instant,
        id: Id,
        method: String,
        params: Option<Value>,
        call: Option<McpCall>,
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
        if method != "notifications/cancelled" {
            self.out
                .push_back(Output::ToServer(Message::Notification { method, params }));
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
                if let Some(call) = call {
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
                    self.out.push_back(Output::Record { call, executed });
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
            state: State::Deciding { params, call, .. },
        }) = self.pending.remove(&id)
        else {
            return;
        };
        let (message, approval, outcome) = match verdict {
            // INVARIANT: the only place a decided request is forwarded.
            Verdict::Allow => {
                self.forward(now, id, method, params, Some(call));
                return;
            }
            Verdict::Ask { message, approval } => (message, approval, "ask"),
            Verdict::Deny { message } => (message, None, "deny"),
            Verdict::Failed => (
                "holdpoint could not decide this call, so it was not run (the gateway's log says why); retry it later".to_owned(),
                None,
                "deny",
            ),
        };
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

    /// A message the server sent; `size` is the length of its line.
    pub fn handle_server(&mut self, now: Instant, message: Message, size: usize) {
        if self.ended {
            return;
        }
        match message {
            Message::Response { id, reply } => {
                let ours = id.as_ref().and_then(machine_id);
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
                    call: Some(call),
                    sent,
                    ..
                } = pending.state
                {
                    let executed = outcome(&reply, size, millis_between(sent, now));
                    self.out.push_back(Output::Record { call, executed });
                }
                if let Reply::Result(result) = &reply {
                    match pending.method.as_str() {
                        "initialize" => self.learn_server(result),
                        "tools/list" => self.learn_tools(result),
                        _ => {}
                    }
                }
                self.out.push_back(Output::ToClient(Message::Response {
                    id: Some(client),
                    reply,
                }));
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
            Message::Notification { method, params } => {
                if method == "notifications/tools/list_changed" {
                    self.tools.clear();
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
                call: Some(call),
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
                self.out.push_back(Output::Record { call, executed });
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

    fn learn_tools(&mut self, result: &Value) {
        let Some(tools) = result.get("tools").and_then(Value::as_array) else {
            return;
        };
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
        fn new() -> Self {
            Run {
                session: Session::new(server()),
                now: Instant::now(),
            }
        }

        fn trusted() -> Self {
            let mut server = server();
            server.trusted = true;
            Run {
                session: Session::new(server),
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
                    Output::Record { call, executed } => format!(
                        "record {} {} {}",
                        call.name,
                        executed.outcome,
                        executed.detail.unwrap_or_default()
                    ),
                    Output::Log(text) => format!("log {text}"),
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
        let mut run = Run::new();
        // Both sides use id 0 at once.
        run.client(
            r#"{"jsonrpc":"2.0","id":0,"method":"tools/list"}"#,
            &[r#"server {"id":1,"jsonrpc":"2.0","method":"tools/list"}"#],
        );
        run.server(
            r#"{"jsonrpc":"2.0","id":0,"method":"roots/list"}"#,
            &[r#"client {"id":2,"jsonrpc":"2.0","method":"roots/list"}"#],
        );
        run.client(
            r#"{"jsonrpc":"2.0","id":2,"result":{"roots":[]}}"#,
            &[r#"server {"id":0,"jsonrpc":"2.0","result":{"roots":[]}}"#],
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
            &[r#"client {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#],
        );
        run.session
            .handle_client(run.now, parse(call.as_bytes()).unwrap());
        let Some(Output::Decide { call, .. }) = run.session.poll_output() else {
            panic!("no decision asked");
        };
        assert_eq!(call.annotations, None);
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
