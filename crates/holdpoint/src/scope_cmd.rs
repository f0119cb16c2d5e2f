//! `holdpoint grant` and `holdpoint freeze`: task-scoped permissions for agents, and
//! windows in which an environment takes no changes.

use std::time::Duration;

use clap::Subcommand;
use holdpoint_core::{Environment, Risk};
use holdpoint_policy::{Freeze, Grant};
use holdpoint_store::{Store as _, StoredFreeze, StoredGrant, new_id};

use crate::approvals::{Format, ListArgs, print_json, printable};
use crate::home::{Home, now_ms, os_user};
use crate::humans::{authenticate, store_failure};
use crate::time::{datetime, parse_datetime, remaining};
use crate::{Failure, exit};

#[derive(Debug, Subcommand)]
pub(crate) enum GrantCommand {
    /// Issue a grant (at a terminal, with your secret): this agent may act on these
    /// targets up to this risk, for this task, until it expires, without new approvals.
    ///
    /// Example:
    ///   holdpoint grant create --agent claude-code --task "rotate the staging certs" \
    ///     --target 'shell:*@staging' --max-risk change --ttl 2h
    #[command(verbatim_doc_comment)]
    Create {
        /// The agent it is for, as it is recorded (`holdpoint agent list`, or a hook's
        /// agent name).
        #[arg(long)]
        agent: String,
        /// What the agent is trying to do, in words, for the record.
        #[arg(long)]
        task: String,
        /// A target pattern; `*` matches anything (`shell:*@staging`). Repeatable.
        #[arg(long = "target", value_name = "PATTERN", required = true)]
        targets: Vec<String>,
        /// The highest risk allowed: read, workspace, change or destroy.
        #[arg(long, default_value = "change")]
        max_risk: String,
        /// How long it lasts, e.g. 30m, 2h.
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// Which human you are [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        human: Option<String>,
    },
    /// List grants: the active ones, or all with --all.
    List(ListArgs),
    /// Revoke a grant at once. Anyone may: revoking only takes rights away.
    Revoke {
        /// The grant, e.g. grt-7kq2mxtd (`holdpoint grant list`).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum FreezeCommand {
    /// Start a freeze: change and destroy actions in the environment are denied, whatever
    /// any grant says, until it ends. Anyone may start one.
    Start {
        /// The environment frozen: production, staging or development.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// Why, shown to every agent that is refused.
        #[arg(long)]
        reason: String,
        /// When it ends by itself (RFC 3339, e.g. 2026-11-26T18:00:00Z).
        #[arg(long, conflicts_with = "for_")]
        until: Option<String>,
        /// How long it lasts, e.g. 4h.
        #[arg(long = "for", value_name = "DURATION")]
        for_: Option<String>,
    },
    /// End a freeze early (at a terminal, with your secret): only a human may.
    End {
        /// The freeze id; or use --env to end the active freeze of an environment.
        id: Option<String>,
        /// End the active freeze of this environment instead of naming its id.
        #[arg(long, value_name = "ENV", conflicts_with = "id")]
        env: Option<String>,
        /// Which human you are [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        human: Option<String>,
    },
    /// List freezes: the active ones, or all with --all.
    List(ListArgs),
}

fn duration(text: &str, what: &str) -> Result<Duration, Failure> {
    humantime::parse_duration(text).map_err(|e| {
        Failure::usage(format!(
            "{what} `{text}` is not a duration ({e}); write e.g. 30m or 2h"
        ))
    })
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// A grant from what a human asked for, checked: `issued_by` is filled in by the caller
/// once the human is authenticated.
pub(crate) fn new_grant(
    agent: &str,
    task: &str,
    targets: &[String],
    max_risk: &str,
    ttl: &str,
    issued_by: String,
) -> Result<StoredGrant, Failure> {
    let max_risk: Risk = max_risk
        .parse()
        .map_err(|e| Failure::usage(format!("max risk: {e}")))?;
    let ttl = duration(ttl, "the grant's duration")?;
    if agent.trim().is_empty() {
        return Err(Failure::usage("name the agent the grant is for"));
    }
    if task.trim().is_empty() {
        return Err(Failure::usage("the task must say what the grant is for"));
    }
    if targets.is_empty() || targets.iter().any(|t| t.trim().is_empty()) {
        return Err(Failure::usage(
            "give at least one target, none of them empty",
        ));
    }
    let now = now_ms();
    Ok(StoredGrant {
        grant: Grant {
            id: new_id("grt").map_err(store_failure)?,
            agent: agent.to_owned(),
            task: task.to_owned(),
            targets: targets.to_vec(),
            max_risk,
            expires_at: now / 1000 + secs(ttl),
            revoked: false,
        },
        issued_by,
        created_ms: now,
    })
}

/// A freeze from what a human asked for, checked. `until` is a date and time, `for_` a
/// duration; neither means until a human ends it.
pub(crate) fn new_freeze(
    environment: &str,
    reason: &str,
    until: Option<&str>,
    for_: Option<&str>,
    started_by: String,
) -> Result<StoredFreeze, Failure> {
    let environment: Environment = environment
        .parse()
        .map_err(|e| Failure::usage(format!("environment: {e}")))?;
    if reason.trim().is_empty() {
        return Err(Failure::usage(
            "the reason must say why: refused agents are told it",
        ));
    }
    let now = now_ms();
    let until = match (until, for_) {
        (Some(text), _) => Some(parse_datetime(text).map_err(Failure::usage)?),
        (None, Some(text)) => Some(now / 1000 + secs(duration(text, "the freeze's duration")?)),
        (None, None) => None,
    };
    if until.is_some_and(|u| u <= now / 1000) {
        return Err(Failure::usage("the freeze would end before it starts"));
    }
    Ok(StoredFreeze {
        id: new_id("frz").map_err(store_failure)?,
        freeze: Freeze {
            environment,
            reason: reason.to_owned(),
            starts_at: now / 1000,
            until,
            ended: false,
        },
        started_by,
        ended_by: None,
    })
}

/// Where a grant stands, in words: `revoked`, `expired` or the time left (`now` and
/// `expires_at` in seconds).
pub(crate) fn grant_state(revoked: bool, expires_at: i64, now: i64) -> String {
    if revoked {
        "revoked".to_owned()
    } else if now >= expires_at {
        "expired".to_owned()
    } else {
        format!("{} left", remaining((expires_at - now) * 1000))
    }
}

/// Where a freeze stands, in words.
pub(crate) fn freeze_state(
    ended: bool,
    ended_by: Option<&str>,
    active: bool,
    until: Option<i64>,
) -> String {
    if ended {
        format!("ended by {}", ended_by.unwrap_or("a human"))
    } else if active {
        match until {
            Some(u) => format!("active until {}", datetime(u * 1000)),
            None => "active until ended".to_owned(),
        }
    } else {
        "over".to_owned()
    }
}

pub(crate) fn grant(command: &GrantCommand) -> Result<u8, Failure> {
    let store = Home::locate().open_store()?;
    match command {
        GrantCommand::Create {
            agent,
            task,
            targets,
            max_risk,
            ttl,
            human,
        } => {
            let mut grant = new_grant(agent, task, targets, max_risk, ttl, String::new())?;
            grant.issued_by = authenticate(&store, human.as_deref(), "issue a grant")?;
            let grant = store.issue_grant(grant, os_user()).map_err(store_failure)?;
            println!(
                "granted {}: {} may act up to `{}` on {} until {} ({})",
                grant.grant.id,
                grant.grant.agent,
                grant.grant.max_risk,
                grant.grant.targets.join(", "),
                datetime(grant.grant.expires_at * 1000),
                grant.grant.task
            );
        }
        GrantCommand::List(ListArgs { all, format }) => {
            let now = now_ms() / 1000;
            let grants: Vec<StoredGrant> = store
                .grants()
                .map_err(store_failure)?
                .into_iter()
                .filter(|g| *all || (!g.grant.revoked && now < g.grant.expires_at))
                .collect();
            match format {
                Format::Json => print_json(&grants)?,
                Format::Text if grants.is_empty() => println!("no active grants"),
                Format::Text => {
                    for g in grants {
                        let state = grant_state(g.grant.revoked, g.grant.expires_at, now);
                        println!(
                            "{}  {} up to {} on {}  [{}]  issued by {}: {}",
                            g.grant.id,
                            g.grant.agent,
                            g.grant.max_risk,
                            g.grant.targets.join(", "),
                            state,
                            g.issued_by,
                            printable(&g.grant.task)
                        );
                    }
                }
            }
        }
        GrantCommand::Revoke { id } => {
            let by = os_user().unwrap_or_else(|| "unknown".to_owned());
            let grant = store
                .revoke_grant(id, &by, os_user(), now_ms())
                .map_err(store_failure)?;
            println!("revoked {} ({})", grant.grant.id, grant.grant.task);
        }
    }
    Ok(exit::ALLOW)
}

pub(crate) fn freeze(command: &FreezeCommand) -> Result<u8, Failure> {
    let store = Home::locate().open_store()?;
    match command {
        FreezeCommand::Start {
            env,
            reason,
            until,
            for_,
        } => {
            let freeze = new_freeze(
                env,
                reason,
                until.as_deref(),
                for_.as_deref(),
                os_user().unwrap_or_else(|| "unknown".to_owned()),
            )?;
            let (environment, until) = (freeze.freeze.environment, freeze.freeze.until);
            let freeze = store
                .start_freeze(freeze, os_user(), now_ms())
                .map_err(store_failure)?;
            println!(
                "froze {} ({}): change and destroy actions are denied {}",
                environment,
                freeze.id,
                match until {
                    Some(u) => format!("until {}", datetime(u * 1000)),
                    None => "until a human ends it with `holdpoint freeze end`".to_owned(),
                }
            );
        }
        FreezeCommand::End { id, env, human } => {
            let now = now_ms() / 1000;
            let id = match (id, env) {
                (Some(id), _) => id.clone(),
                (None, Some(env)) => {
                    let environment: Environment = env
                        .parse()
                        .map_err(|e| Failure::usage(format!("--env: {e}")))?;
                    let active: Vec<StoredFreeze> = store
                        .freezes()
                        .map_err(store_failure)?
                        .into_iter()
                        .filter(|f| f.freeze.active(environment, now))
                        .collect();
                    match active.as_slice() {
                        [one] => one.id.clone(),
                        [] => {
                            return Err(Failure::usage(format!(
                                "no active freeze in {environment}"
                            )));
                        }
                        _ => {
                            return Err(Failure::usage(format!(
                                "several freezes are active in {environment}: name one by id (`holdpoint freeze list`)"
                            )));
                        }
                    }
                }
                (None, None) => {
                    return Err(Failure::usage(
                        "say which freeze: an id, or --env ENV for the active one",
                    ));
                }
            };
            let name = authenticate(&store, human.as_deref(), "end a freeze")?;
            let freeze = store
                .end_freeze(&id, &name, os_user(), now_ms())
                .map_err(store_failure)?;
            println!(
                "ended freeze {} of {} as {name}",
                freeze.id, freeze.freeze.environment
            );
        }
        FreezeCommand::List(ListArgs { all, format }) => {
            let now = now_ms() / 1000;
            let freezes: Vec<StoredFreeze> = store
                .freezes()
                .map_err(store_failure)?
                .into_iter()
                .filter(|f| *all || f.freeze.active(f.freeze.environment, now))
                .collect();
            match format {
                Format::Json => print_json(&freezes)?,
                Format::Text if freezes.is_empty() => println!("no active freezes"),
                Format::Text => {
                    for f in freezes {
                        let state = freeze_state(
                            f.freeze.ended,
                            f.ended_by.as_deref(),
                            f.freeze.active(f.freeze.environment, now),
                            f.freeze.until,
                        );
                        println!(
                            "{}  {}  [{}]  started by {} at {}: {}",
                            f.id,
                            f.freeze.environment,
                            state,
                            f.started_by,
                            datetime(f.freeze.starts_at * 1000),
                            printable(&f.freeze.reason)
                        );
                    }
                }
            }
        }
    }
    Ok(exit::ALLOW)
}
