//! The end of an agent's turn (Claude Code's `Stop` and `SubagentStop`): holdpoint's own
//! account of what the turn did, built from the ledger and never from the agent, put in
//! front of the person before the agent's summary.
//!
//! The account lists what was refused, what is still held and how to approve it, what
//! failed, what changed or destroyed something, and the recovery points kept with the
//! command that restores each. Nothing is shown when nothing of that happened. Where an
//! action was refused or a destroy ran, the account is also given to the agent, by
//! blocking its stop once with the account as the reason, so that the summary it then
//! writes cannot contradict it; a stop that already follows such a block
//! (`stop_hook_active`) is never blocked again. An account that cannot be built is
//! shown as such and never blocks.

use holdpoint_store::Store as _;
use serde_json::{Value, json};

use crate::home::{Home, now_ms};
use crate::report::{self, Item};
use crate::shown::one_line;

/// The most actions of each kind the account names; the rest are counted.
const NAMED: usize = 8;

/// The answer to a `Stop` or `SubagentStop` input: `None` when the turn did nothing
/// worth an account.
pub(crate) fn answer(input: &Value) -> Option<Value> {
    let active = input
        .get("stop_hook_active")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(session) = input.get("session_id").and_then(Value::as_str) else {
        return Some(json!({
            "systemMessage": "holdpoint could not give its account of this turn: the hook input names no session",
        }));
    };
    match account(session) {
        Ok(None) => None,
        Ok(Some(account)) if account.tells_the_agent && !active => Some(json!({
            "decision": "block",
            "reason": format!(
                "{}\nBefore you stop, tell the person what holdpoint recorded above, in your own words and without contradicting it.",
                account.text
            ),
            "systemMessage": account.text,
        })),
        Ok(Some(account)) => Some(json!({ "systemMessage": account.text })),
        Err(message) => Some(json!({
            "systemMessage": format!("holdpoint could not give its account of this turn: {message}"),
        })),
    }
}

/// What the person is shown, and whether the agent must be told as well.
struct Account {
    text: String,
    tells_the_agent: bool,
}

/// The account of `session`'s turn, from the end of its last turn to the ledger's end;
/// marks the turn ended.
fn account(session: &str) -> Result<Option<Account>, String> {
    let home = Home::locate();
    if home
        .load_config()
        .map_err(|f| f.message)?
        .server
        .url
        .is_some()
    {
        // The ledger is the server's: this machine's store has no account to give.
        return Ok(None);
    }
    let store = home.open_store().map_err(|f| f.message)?;
    let since = store
        .turn_ended(session)
        .map_err(|e| e.to_string())?
        .map_or(0, |(seq, _)| seq);
    let Ok(report) = report::build(&store, session) else {
        // Nothing of this session is in the ledger.
        return Ok(None);
    };
    store
        .end_turn(session, report.last_record, now_ms())
        .map_err(|e| e.to_string())?;
    let new: Vec<&Item> = report
        .actions
        .iter()
        .filter(|item| item.first_record > since)
        .collect();
    let failed = |item: &&Item| item.outcomes.iter().any(|o| o.starts_with("failed"));
    let ran = |item: &&Item| item.status == "allowed" && !item.outcomes.is_empty();
    let refused: Vec<&Item> = new
        .iter()
        .copied()
        .filter(|i| i.status == "blocked")
        .collect();
    // Held actions of earlier turns still wait for a human too.
    let held: Vec<&Item> = report
        .actions
        .iter()
        .filter(|i| i.status == "pending" || i.status == "approved, not yet run")
        .collect();
    let failures: Vec<&Item> = new.iter().copied().filter(failed).collect();
    let destroyed: Vec<&Item> = new
        .iter()
        .copied()
        .filter(|i| ran(i) && !failed(i) && i.risk == "destroy")
        .collect();
    let changed: Vec<&Item> = new
        .iter()
        .copied()
        .filter(|i| ran(i) && !failed(i) && i.risk == "change")
        .collect();
    let since_ms = report
        .actions
        .iter()
        .find(|i| i.first_record > since)
        .map_or(i64::MAX, |i| i.at_ms);
    let kept: Vec<_> = store
        .recoveries()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|p| p.session.as_deref() == Some(session) && p.created_ms >= since_ms)
        .filter(|p| p.state == "kept")
        .collect();
    if refused.is_empty()
        && held.is_empty()
        && failures.is_empty()
        && destroyed.is_empty()
        && changed.is_empty()
        && kept.is_empty()
    {
        return Ok(None);
    }
    let mut lines =
        vec!["holdpoint's account of this turn, from its ledger (not from the agent):".to_owned()];
    let mut section = |label: &str, items: &[&Item], detail: &dyn Fn(&Item) -> String| {
        for item in items.iter().take(NAMED) {
            lines.push(format!(
                "- {label}: `{}`{}",
                one_line(&item.input, 120),
                detail(item)
            ));
        }
        if items.len() > NAMED {
            lines.push(format!("- and {} more {label}", items.len() - NAMED));
        }
    };
    section("refused", &refused, &|item| {
        item.reasons
            .first()
            .map(|r| format!(" ({})", one_line(r, 160)))
            .unwrap_or_default()
    });
    section("held", &held, &|item| match &item.approval {
        Some(id) if item.status == "pending" => {
            format!(
                " (waiting for a human: `holdpoint approvals approve {id}`; the identical retry then runs once)"
            )
        }
        Some(id) => format!(" ({id} is approved: the identical retry runs once)"),
        None => String::new(),
    });
    section("failed", &failures, &|item| {
        item.outcomes
            .iter()
            .find(|o| o.starts_with("failed"))
            .map(|o| format!(" ({})", one_line(o, 160)))
            .unwrap_or_default()
    });
    section("destroyed", &destroyed, &|_| String::new());
    section("changed", &changed, &|_| String::new());
    for point in kept.iter().take(NAMED) {
        lines.push(format!(
            "- recovery point {} keeps `{}` from before `{}`: `holdpoint restore {}` puts it back",
            point.id,
            one_line(&point.table, 80),
            one_line(&point.statement, 80),
            point.id
        ));
    }
    Ok(Some(Account {
        text: lines.join("\n"),
        tells_the_agent: !refused.is_empty() || !destroyed.is_empty(),
    }))
}
