//! `holdpoint approvals`: list, show, approve and refuse held actions. Answering needs a
//! human's secret typed at a terminal.
//!
//! Where `holdpoint.toml` names a server (`[server] url`), the command asks it, and the
//! secret is checked there: in the system layout (`holdpoint setup --system`) the store
//! belongs to holdpoint's own OS user, which no one else can read or write.

use clap::{Args, Subcommand, ValueEnum};
use holdpoint_ledger::{ApprovalRequest, ApprovalState, Proof, Vote, VoteKind};
use holdpoint_store::Store as _;
use serde_json::json;

use crate::enforcer::{Server, ServerError};
use crate::home::{Config, Home, ServerUrl, now_ms, os_user};
use crate::humans::{authenticate, read_line, read_secret, require_terminal, store_failure};
use crate::serve::api::{ApprovalView, SignInResponse};
use crate::time::{ago, datetime, remaining};
use crate::{Failure, exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// The options of every `list` command.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct ListArgs {
    /// Include what is over (used, expired, revoked, ended), not only what is current.
    #[arg(long)]
    pub all: bool,
    /// `text` for a person, `json` for a program (the API's field names).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalsCommand {
    /// List approval requests: the pending ones, or all with --all.
    List(ListArgs),
    /// Show one request in full: the exact action, what it would do, why it is held.
    Show {
        /// The request, e.g. apr-7kq2mxtd (`holdpoint approvals list`).
        id: String,
        /// `text` for a person, `json` for a program (the API's field names).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Approve a request (at a terminal, with your secret). The identical action may
    /// then run once; the agent retries it.
    Approve {
        /// The request, e.g. apr-7kq2mxtd (`holdpoint approvals list`).
        id: String,
        /// Which human you are [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        human: Option<String>,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Refuse a request (at a terminal, with your secret).
    Deny {
        /// The request, e.g. apr-7kq2mxtd (`holdpoint approvals list`).
        id: String,
        /// Why: the agent and the ledger see it.
        #[arg(long)]
        reason: String,
        /// Which human you are [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        human: Option<String>,
    },
}

pub(crate) fn run(command: &ApprovalsCommand) -> Result<u8, Failure> {
    let home = Home::locate();
    let config = home.load_config()?;
    if let Some(url) = config.server.url.clone() {
        return remote(command, url, &config);
    }
    let store = home.open_store()?;
    let now = now_ms();
    match command {
        ApprovalsCommand::List(ListArgs { all, format }) => {
            let requests: Vec<ApprovalRequest> = store
                .approvals(now)
                .map_err(store_failure)?
                .into_iter()
                .filter(|r| *all || r.state == ApprovalState::Pending)
                .collect();
            match format {
                Format::Json => print_json(&requests)?,
                Format::Text => print_list(
                    &requests
                        .iter()
                        .map(|r| stored_view(r, now))
                        .collect::<Vec<_>>(),
                    *all,
                    now,
                ),
            }
        }
        ApprovalsCommand::Show { id, format } => {
            let _ = store.approvals(now).map_err(store_failure)?;
            let request = store
                .approval(id)
                .map_err(store_failure)?
                .ok_or_else(|| no_request(id))?;
            match format {
                Format::Json => print_json(&request)?,
                Format::Text => print_request(&stored_view(&request, now), now),
            }
        }
        ApprovalsCommand::Approve { id, human, reason } => {
            require_terminal("approve")?;
            let request = store
                .approval(id)
                .map_err(store_failure)?
                .ok_or_else(|| no_request(id))?;
            if config.passkey_required.covers(&request) {
                return Err(Failure::usage(format!(
                    "request {id} may be approved only with a passkey (`passkey_required` in holdpoint.toml), which this command line cannot ask for: approve it in the console"
                )));
            }
            // Who approves is settled before the request is shown and a secret asked.
            crate::humans::choose_human(&store, human.as_deref(), "approve")?;
            print_request(&stored_view(&request, now), now);
            println!();
            let name = authenticate(&store, human.as_deref(), "approve")?;
            let confirmed = match &request.confirm_target {
                Some(target) => Some(read_line(&format!(
                    "this destroys something in {}: type `{target}`, the name of what it destroys, to confirm: ",
                    action_field(&request, "environment")
                ))?),
                None => None,
            };
            let vote = Vote {
                human: name.clone(),
                kind: VoteKind::Approve,
                reason: reason.clone(),
                at_ms: now_ms(),
                proof: Some(Proof::Terminal),
            };
            let request = store
                .answer(id, vote, confirmed.as_deref(), os_user())
                .map_err(store_failure)?;
            print_approved(id, &name, &ApprovalView::from_request(&request, now_ms()));
        }
        ApprovalsCommand::Deny { id, reason, human } => {
            if reason.trim().is_empty() {
                return Err(Failure::usage(
                    "give a reason with --reason: the agent is told it",
                ));
            }
            if store.approval(id).map_err(store_failure)?.is_none() {
                return Err(no_request(id));
            }
            let name = authenticate(&store, human.as_deref(), "refuse")?;
            let vote = Vote {
                human: name.clone(),
                kind: VoteKind::Refuse,
                reason: Some(reason.clone()),
                at_ms: now_ms(),
                proof: Some(Proof::Terminal),
            };
            store
                .answer(id, vote, None, os_user())
                .map_err(store_failure)?;
            println!("refused {id} as {name}");
        }
    }
    Ok(exit::ALLOW)
}

/// The request as the store holds it, for printing: its state as stored.
fn stored_view(request: &ApprovalRequest, now: i64) -> ApprovalView {
    let mut view = ApprovalView::from_request(request, now);
    view.state = request.state.as_str().to_owned();
    view
}

fn print_approved(id: &str, name: &str, request: &ApprovalView) {
    if request.state == ApprovalState::Approved.as_str() {
        println!(
            "approved {id} as {name}: the agent may now retry exactly this action, once, within {}",
            remaining(request.expires_ms - now_ms())
        );
    } else {
        println!(
            "recorded {name}'s approval of {id}: {} of {} distinct humans so far",
            request.approvals, request.quorum
        );
    }
}

/// `holdpoint approvals` against the server `[server] url` names. Listing and showing
/// use the agent credential when one is configured (an agent sees its own requests);
/// otherwise, and always to answer, a human signs in with the secret typed at the
/// terminal, which the server checks.
fn remote(command: &ApprovalsCommand, url: ServerUrl, config: &Config) -> Result<u8, Failure> {
    let server = Server::new(url);
    let agent_token = || {
        let configured = config.server.token_file.is_some()
            || std::env::var("HOLDPOINT_TOKEN").is_ok_and(|t| !t.trim().is_empty());
        configured
            .then(|| crate::enforcer::token(config, &server.url))
            .transpose()
    };
    let answer = |e: ServerError, id: &str| match e {
        ServerError::Refused { status: 404, .. } => no_request(id),
        ServerError::Refused {
            status: 400 | 403 | 409 | 422,
            message,
        } => Failure::usage(format!("{message}; nothing was done")),
        other => server.failure(other),
    };
    match command {
        ApprovalsCommand::List(ListArgs { all, format }) => {
            let token = match agent_token()? {
                Some(token) => token,
                None => sign_in(&server, None, "list approval requests")?.token,
            };
            let path = if *all {
                "/api/v1/approvals"
            } else {
                "/api/v1/approvals?state=pending"
            };
            let requests: Vec<ApprovalView> = server
                .call::<(), _>(Some(&token), "GET", path, None)
                .map_err(|e| server.failure(e))?;
            match format {
                Format::Json => print_json(&requests)?,
                Format::Text => print_list(&requests, *all, now_ms()),
            }
        }
        ApprovalsCommand::Show { id, format } => {
            let token = match agent_token()? {
                Some(token) => token,
                None => sign_in(&server, None, "see approval requests")?.token,
            };
            let request: ApprovalView = server
                .call::<(), _>(Some(&token), "GET", &approval_path(id, ""), None)
                .map_err(|e| answer(e, id))?;
            match format {
                Format::Json => print_json(&request)?,
                Format::Text => print_request(&request, now_ms()),
            }
        }
        ApprovalsCommand::Approve { id, human, reason } => {
            let SignedIn {
                name,
                token,
                secret,
            } = sign_in(&server, human.as_deref(), "approve")?;
            let request: ApprovalView = server
                .call::<(), _>(Some(&token), "GET", &approval_path(id, ""), None)
                .map_err(|e| answer(e, id))?;
            print_request(&request, now_ms());
            println!();
            let confirm = match &request.confirm_target {
                Some(target) => Some(read_line(&format!(
                    "this destroys something in {}: type `{target}`, the name of what it destroys, to confirm: ",
                    request.environment
                ))?),
                None => None,
            };
            let request: ApprovalView = server
                .call(
                    Some(&token),
                    "POST",
                    &approval_path(id, "/approve"),
                    // The secret again: a sign-in alone does not approve.
                    Some(&json!({ "reason": reason, "confirm": confirm, "secret": secret })),
                )
                .map_err(|e| answer(e, id))?;
            print_approved(id, &name, &request);
        }
        ApprovalsCommand::Deny { id, reason, human } => {
            if reason.trim().is_empty() {
                return Err(Failure::usage(
                    "give a reason with --reason: the agent is told it",
                ));
            }
            let SignedIn { name, token, .. } = sign_in(&server, human.as_deref(), "refuse")?;
            let _: ApprovalView = server
                .call(
                    Some(&token),
                    "POST",
                    &approval_path(id, "/deny"),
                    Some(&json!({ "reason": reason })),
                )
                .map_err(|e| answer(e, id))?;
            println!("refused {id} as {name}");
        }
    }
    Ok(exit::ALLOW)
}

/// The API path of request `id`, followed by `tail`; an id that is not one is refused
/// here rather than sent.
fn approval_path(id: &str, tail: &str) -> String {
    let plain = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain && !id.is_empty() {
        format!("/api/v1/approvals/{id}{tail}")
    } else {
        format!("/api/v1/approvals/-{tail}")
    }
}

/// A human signed in to the server at this terminal.
struct SignedIn {
    name: String,
    token: String,
    /// What they typed, which an approval carries again as proof that they are here.
    secret: String,
}

/// Signs a human in to the server: `--as NAME`, else the OS user's name, with the
/// secret typed at the terminal.
fn sign_in(server: &Server, name: Option<&str>, what: &str) -> Result<SignedIn, Failure> {
    require_terminal(what)?;
    let name = match name.map(str::to_owned).or_else(os_user) {
        Some(name) => name,
        None => {
            return Err(Failure::usage("say which human you are with `--as NAME`"));
        }
    };
    let secret = read_secret(&format!("secret for {name}: "))?;
    let signed: SignInResponse = server
        .call(
            None,
            "POST",
            "/api/v1/sign-in",
            Some(&json!({ "name": name, "secret": secret })),
        )
        .map_err(|e| match e {
            ServerError::Refused { status: 401, .. } => Failure::usage(format!(
                "wrong secret for `{name}`, or no human of that name (say which human you are with `--as NAME`); nothing was done"
            )),
            ServerError::Refused {
                status: 429,
                message,
            } => Failure::usage(message),
            other => server.failure(other),
        })?;
    Ok(SignedIn {
        name: signed.human,
        token: signed.token,
        secret,
    })
}

fn no_request(id: &str) -> Failure {
    Failure::usage(format!(
        "no approval request `{id}`: see `holdpoint approvals list --all`"
    ))
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::internal(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

pub(crate) fn action_field(request: &ApprovalRequest, key: &str) -> String {
    request
        .action
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_owned()
}

pub(crate) use crate::shown::{one_line, visible as printable};

fn print_list(requests: &[ApprovalView], all: bool, now: i64) {
    if requests.is_empty() {
        println!(
            "{}",
            if all {
                "no approval requests"
            } else {
                "no pending approval requests"
            }
        );
        return;
    }
    println!(
        "{:<13} {:<9} {:<8} {:<12} {:<13} {:<10} ACTION",
        "ID", "STATE", "RISK", "ENV", "AGENT", "EXPIRES"
    );
    for r in requests {
        println!(
            "{:<13} {:<9} {:<8} {:<12} {:<13} {:<10} {}",
            r.id,
            r.state,
            r.risk,
            r.environment,
            one_line(&r.agent, 13),
            if r.state == ApprovalState::Pending.as_str() {
                remaining(r.expires_ms - now)
            } else {
                "-".to_owned()
            },
            one_line(&r.input, 60),
        );
    }
}

/// The most lines of what an action writes that `approvals show` prints.
const SHOWN_LINES: usize = 200;

fn print_request(r: &ApprovalView, now: i64) {
    println!("request   {} ({})", r.id, r.state);
    println!("action    {} in {}", r.surface, printable(&r.cwd));
    for line in printable(&r.input).lines() {
        println!("          | {line}");
    }
    if let Some(asked) = &r.asked {
        println!("asked     {}", printable(&one_line(asked, 500)));
    }
    if let Some(task) = &r.task {
        println!(
            "task      {} (the agent's grant)",
            printable(&one_line(task, 500))
        );
    }
    if let Some(shown) = &r.shown {
        let lines: Vec<String> = printable(shown).lines().map(str::to_owned).collect();
        println!("writes");
        for line in lines.iter().take(SHOWN_LINES) {
            println!("          | {line}");
        }
        if lines.len() > SHOWN_LINES {
            println!(
                "          … {} more lines: `holdpoint approvals show {} --format json` has them all",
                lines.len() - SHOWN_LINES,
                r.id
            );
        }
    }
    println!("target    {} ({})", r.target, r.environment);
    println!("risk      {}", r.risk);
    if !r.effects.is_empty() {
        println!("effects");
        for effect in &r.effects {
            println!("  - {}", printable(effect));
        }
    }
    println!("reasons");
    for reason in &r.reasons {
        println!("  - {}", printable(reason));
    }
    println!(
        "agent     {}{}",
        printable(&r.agent),
        r.session
            .as_deref()
            .map(|s| format!(" (session {})", printable(s)))
            .unwrap_or_default()
    );
    println!("digest    {}", r.digest);
    println!(
        "asked     {} ({})",
        datetime(r.created_ms),
        ago(now - r.created_ms)
    );
    if r.state == ApprovalState::Pending.as_str() {
        println!("expires   in {}", remaining(r.expires_ms - now));
    }
    println!(
        "quorum    {} of {} distinct humans{}",
        r.approvals,
        r.quorum,
        if r.confirm_target.is_some() {
            "; each types the name of what it destroys to confirm"
        } else {
            ""
        }
    );
    for vote in &r.votes {
        println!(
            "  {} {}{} at {}{}",
            if vote.answer == "approve" {
                "approved by"
            } else {
                "refused by"
            },
            printable(&vote.human),
            vote.proof
                .as_deref()
                .map(|p| format!(" (proved by {p})"))
                .unwrap_or_default(),
            datetime(vote.at_ms),
            vote.reason
                .as_deref()
                .map(|r| format!(": {}", printable(r)))
                .unwrap_or_default()
        );
    }
}
