//! `holdpoint approvals`: list, show, approve and refuse held actions. Answering needs a
//! human's secret typed at a terminal.

use clap::{Args, Subcommand, ValueEnum};
use holdpoint_ledger::{ApprovalRequest, ApprovalState, Vote, VoteKind};
use holdpoint_store::Store as _;

use crate::home::{Home, now_ms, os_user};
use crate::humans::{authenticate, read_line, require_terminal, store_failure};
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
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalsCommand {
    /// List approval requests: the pending ones, or all with --all.
    List(ListArgs),
    /// Show one request in full: the exact action, what it would do, why it is held.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Approve a request (at a terminal, with your secret). The identical action may
    /// then run once; the agent retries it.
    Approve {
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
        id: String,
        /// Why: the agent and the ledger see it.
        #[arg(long)]
        reason: String,
        #[arg(long = "as", value_name = "NAME")]
        human: Option<String>,
    },
}

pub(crate) fn run(command: &ApprovalsCommand) -> Result<u8, Failure> {
    let store = Home::locate().open_store()?;
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
                Format::Text if requests.is_empty() => {
                    println!(
                        "{}",
                        if *all {
                            "no approval requests"
                        } else {
                            "no pending approval requests"
                        }
                    );
                }
                Format::Text => {
                    println!(
                        "{:<13} {:<9} {:<8} {:<12} {:<13} {:<10} ACTION",
                        "ID", "STATE", "RISK", "ENV", "AGENT", "EXPIRES"
                    );
                    for r in &requests {
                        println!(
                            "{:<13} {:<9} {:<8} {:<12} {:<13} {:<10} {}",
                            r.id,
                            r.state.as_str(),
                            r.risk,
                            action_field(r, "environment"),
                            one_line(&r.agent, 13),
                            if r.state == ApprovalState::Pending {
                                remaining(r.expires_ms - now)
                            } else {
                                "-".to_owned()
                            },
                            one_line(&action_field(r, "input"), 60),
                        );
                    }
                }
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
                Format::Text => print_request(&request, now),
            }
        }
        ApprovalsCommand::Approve { id, human, reason } => {
            require_terminal("approve")?;
            let request = store
                .approval(id)
                .map_err(store_failure)?
                .ok_or_else(|| no_request(id))?;
            print_request(&request, now);
            println!();
            let name = authenticate(&store, human.as_deref(), "approve")?;
            let confirmed = match &request.confirm_target {
                Some(target) => Some(read_line(&format!(
                    "this destroys something in {}: type the target name `{target}` to confirm: ",
                    action_field(&request, "environment")
                ))?),
                None => None,
            };
            let vote = Vote {
                human: name.clone(),
                kind: VoteKind::Approve,
                reason: reason.clone(),
                at_ms: now_ms(),
            };
            let request = store
                .answer(id, vote, confirmed.as_deref(), os_user())
                .map_err(store_failure)?;
            match request.state {
                ApprovalState::Approved => println!(
                    "approved {id} as {name}: the agent may now retry exactly this action, once, within {}",
                    remaining(request.expires_ms - now_ms())
                ),
                _ => println!(
                    "recorded {name}'s approval of {id}: {} of {} distinct humans so far",
                    request.approvals(),
                    request.quorum
                ),
            }
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
            };
            store
                .answer(id, vote, None, os_user())
                .map_err(store_failure)?;
            println!("refused {id} as {name}");
        }
    }
    Ok(exit::ALLOW)
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

/// Text an agent wrote, made safe to show a person: control characters (a carriage
/// return, an escape sequence) are shown as escapes, never sent to the terminal, so an
/// action cannot disguise itself as another on the approver's screen.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

pub(crate) fn one_line(text: &str, max: usize) -> String {
    let flat: String = printable(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() > max {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

fn print_request(r: &ApprovalRequest, now: i64) {
    println!("request   {} ({})", r.id, r.state);
    println!(
        "action    {} in {}",
        action_field(r, "surface"),
        printable(&action_field(r, "cwd"))
    );
    for line in printable(&action_field(r, "input")).lines() {
        println!("          | {line}");
    }
    println!(
        "target    {} ({})",
        action_field(r, "target"),
        action_field(r, "environment")
    );
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
    if r.state == ApprovalState::Pending {
        println!("expires   in {}", remaining(r.expires_ms - now));
    }
    println!(
        "quorum    {} of {} distinct humans{}",
        r.approvals(),
        r.quorum,
        if r.confirm_target.is_some() {
            "; each types the target's name to confirm"
        } else {
            ""
        }
    );
    for vote in &r.votes {
        println!(
            "  {} {} at {}{}",
            match vote.kind {
                VoteKind::Approve => "approved by",
                VoteKind::Refuse => "refused by",
            },
            printable(&vote.human),
            datetime(vote.at_ms),
            vote.reason
                .as_deref()
                .map(|r| format!(": {}", printable(r)))
                .unwrap_or_default()
        );
    }
}
