//! Where hooks and `holdpoint exec` get their decisions: from the store on this machine,
//! or from `holdpoint serve` when `holdpoint.toml` names one. A named server that cannot
//! be reached is a failure, and every failure refuses the action.

use std::time::Duration;

use holdpoint_ledger::ApprovalState;
use holdpoint_policy::Outcome;
use holdpoint_store::{Executed, Store as _};
use serde::Serialize;

use crate::Failure;
use crate::client::{self, Peer};
use crate::home::{Config, Home, ServerUrl, now_ms};
use crate::humans::store_failure;
use crate::pipeline::{Pipeline, Request, explain};
use crate::serve::api::{ApprovalView, DecideResponse, Recorded, TurnAccount};

/// How long a client waits for the server: well inside the hooks' own deadline.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(6);

/// What was decided, as a hook or `exec` needs it.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub outcome: Outcome,
    /// The sentence for the agent or the person at the terminal.
    pub message: String,
    /// The request that holds the action, when it is held.
    pub approval: Option<String>,
    /// Allowed only inside `holdpoint sandbox` (the request asked for that).
    pub confine: bool,
}

pub(crate) enum Enforcer {
    Local(Box<Pipeline>),
    Remote(Box<Remote>),
}

pub(crate) struct Remote {
    server: Server,
    token: String,
    pub config: Config,
}

/// A `holdpoint serve` to ask, over its Unix socket or HTTP.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub url: ServerUrl,
    peer: Peer,
}

/// Why a server did not give the answer asked for.
#[derive(Debug)]
pub(crate) enum ServerError {
    /// It could not be reached, or did not answer in time.
    Unreachable(String),
    /// It answered with this status and this error message.
    Refused { status: u16, message: String },
    /// It answered 200 with a body this holdpoint cannot read.
    Unreadable(String),
}

impl Server {
    pub fn new(url: ServerUrl) -> Self {
        Server {
            peer: Peer::from(&url),
            url,
        }
    }

    /// One request, with `token` as the bearer credential when given; the JSON answer.
    pub fn call<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ServerError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ServerError::Unreadable(e.to_string()))?;
        let authorization = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ];
        if let Some(value) = &authorization {
            headers.push(("Authorization", value.as_str()));
        }
        let response = client::send(
            &self.peer,
            method,
            path,
            &headers,
            body.as_deref(),
            CLIENT_TIMEOUT + Duration::from_secs(if method == "GET" { 5 } else { 0 }),
        )
        .map_err(ServerError::Unreachable)?;
        if response.status != 200 {
            let message = serde_json::from_slice::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
            return Err(ServerError::Refused {
                status: response.status,
                message,
            });
        }
        serde_json::from_slice(&response.body).map_err(|e| ServerError::Unreadable(e.to_string()))
    }

    /// The failure to report for `error`, in the words every client uses.
    pub fn failure(&self, error: ServerError) -> Failure {
        match error {
            ServerError::Unreachable(e) => Failure::internal(format!(
                "holdpoint serve at {} cannot be reached ({e}); start it with `holdpoint serve`, or remove [server] url from holdpoint.toml",
                self.url
            )),
            ServerError::Refused { status, message } => Failure::internal(format!(
                "holdpoint serve at {} answered {status}: {message}",
                self.url
            )),
            ServerError::Unreadable(e) => Failure::internal(format!(
                "holdpoint serve at {} sent an answer this holdpoint cannot read: {e}",
                self.url
            )),
        }
    }
}

impl Enforcer {
    /// The server `holdpoint.toml` names, else the store on this machine.
    pub fn open(env_flag: Option<&str>) -> Result<Self, Failure> {
        let home = Home::locate();
        let config = home.load_config()?;
        let Some(url) = config.server.url.clone() else {
            return Ok(Enforcer::Local(Box::new(Pipeline::open(
                &home, config, env_flag,
            )?)));
        };
        if env_flag.is_some() {
            return Err(Failure::usage(format!(
                "holdpoint.toml sends decisions to the server at {url}, which decides the environment: leave out --env"
            )));
        }
        Ok(Enforcer::Remote(Box::new(Remote::open(config, url)?)))
    }

    pub fn config(&self) -> &Config {
        match self {
            Enforcer::Local(pipeline) => &pipeline.config,
            Enforcer::Remote(remote) => &remote.config,
        }
    }

    /// Decides and records one request.
    pub fn propose(&self, request: &Request) -> Result<Verdict, Failure> {
        match self {
            Enforcer::Local(pipeline) => {
                let decided = pipeline.propose(request)?;
                Ok(Verdict {
                    outcome: decided.settlement.outcome,
                    message: explain(&decided, None),
                    approval: decided.settlement.approval.as_ref().map(|a| a.id.clone()),
                    confine: crate::pipeline::confined(&decided),
                })
            }
            Enforcer::Remote(remote) => {
                let answer: DecideResponse =
                    remote.call("POST", "/api/v1/decide", Some(&ActionBody::from(request)))?;
                let outcome = match answer.outcome.as_str() {
                    "allow" => Outcome::Allow,
                    "ask" => Outcome::Ask,
                    _ => Outcome::Deny,
                };
                Ok(Verdict {
                    outcome,
                    message: answer.message,
                    approval: answer.approval.map(|a| a.id),
                    confine: answer.confine,
                })
            }
        }
    }

    /// Records a request refused before any policy was asked: its proposal and a
    /// denial giving `reason`, decided by `gateway`.
    pub fn refused(&self, request: &Request, reason: &str) -> Result<(), Failure> {
        match self {
            Enforcer::Local(pipeline) => pipeline.refused(request, reason).map(|_| ()),
            Enforcer::Remote(remote) => {
                let body = RefusedBody {
                    action: ActionBody::from(request),
                    reason,
                };
                let _: Recorded = remote.call("POST", "/api/v1/refused", Some(&body))?;
                Ok(())
            }
        }
    }

    /// Records what happened when the action ran.
    pub fn executed(&self, request: &Request, executed: &Executed) -> Result<(), Failure> {
        match self {
            Enforcer::Local(pipeline) => {
                let (action, _) = pipeline.action(request);
                pipeline.executed(&action, executed).map(|_| ())
            }
            Enforcer::Remote(remote) => {
                let body = ExecutedBody {
                    action: ActionBody::from(request),
                    outcome: &executed.outcome,
                    exit_status: executed.exit_status,
                    duration_ms: executed.duration_ms,
                    detail: executed.detail.as_deref(),
                    observed_by: &executed.observed_by,
                };
                let _: Recorded = remote.call("POST", "/api/v1/executed", Some(&body))?;
                Ok(())
            }
        }
    }

    /// Records what several actions did: on this machine in one transaction (one sync
    /// for all), through a server one by one.
    pub fn executed_all(&self, outcomes: &[(Request, Executed)]) -> Result<(), Failure> {
        match self {
            Enforcer::Local(pipeline) => {
                let entries: Vec<_> = outcomes
                    .iter()
                    .map(|(request, executed)| {
                        let (action, _) = pipeline.action(request);
                        crate::pipeline::executed_entry(&action, executed)
                    })
                    .collect();
                pipeline
                    .store
                    .append(&entries, now_ms())
                    .map(|_| ())
                    .map_err(|e| Failure::internal(format!("cannot record the outcomes: {e}")))
            }
            Enforcer::Remote(_) => outcomes
                .iter()
                .try_for_each(|(request, executed)| self.executed(request, executed)),
        }
    }

    /// Where an approval request stands; a server is asked to answer as soon as it
    /// changes, or after `wait`.
    pub fn approval_state(&self, id: &str, wait: Duration) -> Result<ApprovalState, Failure> {
        match self {
            Enforcer::Local(pipeline) => {
                std::thread::sleep(wait.min(Duration::from_millis(250)));
                Ok(pipeline.store.approval(id).map_err(store_failure)?.map_or(
                    ApprovalState::Expired,
                    |r| {
                        if r.state == ApprovalState::Pending && r.expired_at(now_ms()) {
                            ApprovalState::Expired
                        } else {
                            r.state
                        }
                    },
                ))
            }
            Enforcer::Remote(remote) => {
                let seconds = wait.as_secs().clamp(1, 5);
                let view: ApprovalView = remote.call::<(), _>(
                    "GET",
                    &format!("/api/v1/approvals/{id}?wait={seconds}"),
                    None,
                )?;
                Ok(ApprovalState::parse(&view.state).unwrap_or(ApprovalState::Expired))
            }
        }
    }
}

impl Remote {
    /// The server at `url` that `config` names, with the agent credential it gives.
    pub(crate) fn open(config: Config, url: ServerUrl) -> Result<Self, Failure> {
        let token = token(&config, &url)?;
        Ok(Remote {
            server: Server::new(url),
            token,
            config,
        })
    }

    /// Records the instruction a person gave for `session`'s turn: the server records
    /// it under the agent its credential names.
    pub(crate) fn instructed(
        &self,
        session: &str,
        prompt: &str,
        prompt_id: Option<&str>,
    ) -> Result<(), Failure> {
        let body = InstructedBody {
            session,
            prompt,
            prompt_id,
        };
        let _: Recorded = self.call("POST", "/api/v1/turns/instructed", Some(&body))?;
        Ok(())
    }

    /// The server's account of `session`'s turn, from its ledger, which marks the turn
    /// ended: `None` when it did nothing worth one.
    pub(crate) fn turn_account(
        &self,
        session: &str,
    ) -> Result<Option<crate::turn::Account>, Failure> {
        let body = TurnEndBody { session };
        let answer: TurnAccount = self.call("POST", "/api/v1/turns/end", Some(&body))?;
        Ok(answer.account.map(|text| crate::turn::Account {
            text,
            tells_the_agent: answer.tells_the_agent,
        }))
    }

    fn call<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure> {
        self.server
            .call(Some(&self.token), method, path, body)
            .map_err(|e| self.server.failure(e))
    }
}

/// The agent credential: `$HOLDPOINT_TOKEN`, else the file `[server] token_file` names.
pub(crate) fn token(config: &Config, url: &ServerUrl) -> Result<String, Failure> {
    if let Ok(token) = std::env::var("HOLDPOINT_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_owned());
    }
    let missing = || {
        Failure::usage(format!(
            "holdpoint.toml sends decisions to the server at {url}, but this agent has no credential: set HOLDPOINT_TOKEN, or [server] token_file (an admin writes one with `holdpoint agent add NAME --write FILE`)"
        ))
    };
    let file = config.server.token_file.as_ref().ok_or_else(missing)?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        Failure::usage(format!(
            "cannot read the agent credential `{}`: {e}",
            file.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(missing());
    }
    Ok(token.to_owned())
}

#[derive(Debug, Serialize)]
struct ActionBody<'a> {
    surface: &'a str,
    input: &'a str,
    cwd: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    content: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    confined: bool,
    /// What `~` stands for here: the server may run as another user, with another home.
    #[serde(skip_serializing_if = "Option::is_none")]
    home: Option<String>,
}

impl<'a> From<&'a Request> for ActionBody<'a> {
    fn from(r: &'a Request) -> Self {
        ActionBody {
            surface: r.surface.as_str(),
            input: &r.input,
            cwd: &r.cwd,
            workspace: r.workspace.as_deref(),
            session: r.session.as_deref(),
            content: &r.content,
            written: r.written.as_ref(),
            confined: r.confined,
            home: r
                .home
                .clone()
                .or_else(|| std::env::var("HOME").ok().filter(|h| h.starts_with('/'))),
        }
    }
}

#[derive(Debug, Serialize)]
struct InstructedBody<'a> {
    session: &'a str,
    prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct TurnEndBody<'a> {
    session: &'a str,
}

#[derive(Debug, Serialize)]
struct RefusedBody<'a> {
    action: ActionBody<'a>,
    reason: &'a str,
}

#[derive(Debug, Serialize)]
struct ExecutedBody<'a> {
    action: ActionBody<'a>,
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    observed_by: &'a str,
}
