//! `holdpoint report --session ID`: what an agent's session really did, built from the
//! ledger alone, never from the agent's own account.

use clap::ValueEnum;
use holdpoint_ledger::{ApprovalState, Kind, Record};
use holdpoint_store::{SqlStore, Store as _};
use serde::Serialize;

use crate::approvals::{one_line, print_json, printable};
use crate::home::{Home, now_ms};
use crate::humans::store_failure;
use crate::time::datetime;
use crate::{Failure, exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Text,
    Json,
    Md,
}

/// One proposed action and what became of it.
#[derive(Debug, Serialize)]
pub(crate) struct Item {
    pub(crate) first_record: u64,
    #[serde(skip)]
    pub(crate) at_ms: i64,
    pub(crate) at: String,
    pub(crate) surface: String,
    pub(crate) input: String,
    pub(crate) target: String,
    pub(crate) digest: String,
    /// The person's instruction for the turn that proposed it, as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) asked: Option<String>,
    /// The decisions, in order (a held action retried after approval has two).
    pub(crate) decisions: Vec<String>,
    pub(crate) risk: String,
    pub(crate) reasons: Vec<String>,
    pub(crate) approval: Option<String>,
    /// Where the approval stands now: pending, approved, refused, used, expired.
    pub(crate) approval_state: Option<String>,
    pub(crate) approved_by: Vec<String>,
    pub(crate) refused_by: Vec<String>,
    /// What each human who answered said, as `alice approved: …`, `bob refused: …`.
    pub(crate) answers: Vec<String>,
    pub(crate) outcomes: Vec<String>,
    /// allowed, blocked, pending, or approved-not-run.
    pub(crate) status: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) session: String,
    pub(crate) agents: Vec<String>,
    pub(crate) first: Option<String>,
    pub(crate) last: Option<String>,
    pub(crate) proposed: usize,
    pub(crate) allowed: usize,
    pub(crate) blocked: usize,
    pub(crate) pending: usize,
    pub(crate) actions: Vec<Item>,
    /// The session's last record.
    #[serde(skip)]
    pub(crate) last_record: u64,
}

pub(crate) fn run(session: &str, format: ReportFormat) -> Result<u8, Failure> {
    let store = Home::locate().open_store()?;
    let report = build(&store, session)?;
    match format {
        ReportFormat::Json => print_json(&report)?,
        ReportFormat::Text => print_text(&report),
        ReportFormat::Md => print_markdown(&report),
    }
    Ok(exit::ALLOW)
}

/// The report of one session, from the ledger.
pub(crate) fn build(store: &SqlStore, session: &str) -> Result<Report, Failure> {
    let records = store.session_records(session).map_err(store_failure)?;
    if records.is_empty() {
        return Err(Failure::usage(format!(
            "the ledger has nothing for session `{session}`: check the id with `holdpoint log show`"
        )));
    }
    let approvals = store.approvals(now_ms()).map_err(store_failure)?;
    let mut items: Vec<Item> = Vec::new();
    let mut agents: Vec<String> = Vec::new();
    // The latest instruction of the session so far.
    let mut asked: Option<String> = None;
    for stored in &records {
        let record: Record = stored
            .record()
            .map_err(|e| Failure::internal(format!("record #{}: {e}", stored.seq)))?;
        if let Some(agent) = &record.actors.agent
            && !agents.contains(agent)
        {
            agents.push(agent.clone());
        }
        let digest = record.digest.clone().unwrap_or_default();
        // A `ran` record is read as the proposal, decision and outcome it stands for.
        for (kind, body) in record.parts() {
            let field = |k: &str| {
                body.get(k)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let strings = |k: &str| -> Vec<String> {
                body.get(k)
                    .and_then(serde_json::Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if kind == Kind::Instructed {
                asked = Some(match body.get("text").and_then(serde_json::Value::as_str) {
                    Some(text) => text.to_owned(),
                    None => format!("(kept only as its hash, {})", field("sha256")),
                });
                continue;
            }
            if kind == Kind::Proposed {
                // A retry of an action still held is the same item; once an action was
                // allowed or denied, proposing it again is a new one.
                if items
                    .iter()
                    .rev()
                    .find(|i| i.digest == digest)
                    .is_some_and(|i| i.decisions.last().is_some_and(|d| d == "ask"))
                {
                    continue;
                }
                items.push(Item {
                    first_record: stored.seq,
                    at_ms: stored.at_ms,
                    at: datetime(stored.at_ms),
                    surface: field("surface"),
                    input: field("input"),
                    target: field("target"),
                    digest: digest.clone(),
                    asked: asked.clone(),
                    decisions: Vec::new(),
                    risk: String::new(),
                    reasons: Vec::new(),
                    approval: None,
                    approval_state: None,
                    approved_by: Vec::new(),
                    refused_by: Vec::new(),
                    answers: Vec::new(),
                    outcomes: Vec::new(),
                    status: String::new(),
                });
                continue;
            }
            let Some(item) = items.iter_mut().rev().find(|i| i.digest == digest) else {
                continue;
            };
            match kind {
                Kind::Decided => {
                    item.decisions.push(field("outcome"));
                    item.risk = field("risk");
                    item.reasons = strings("reasons");
                    // The decision names who approved, even when the request was opened
                    // outside this session.
                    for human in strings("approved_by") {
                        if !item.approved_by.contains(&human) {
                            item.approved_by.push(human);
                        }
                    }
                    if record.approval.is_some() {
                        item.approval = record.approval.clone();
                    }
                }
                Kind::ApprovalGiven | Kind::ApprovalRefused => {
                    let human = record.actors.human.clone().unwrap_or_default();
                    let (answered, names) = if kind == Kind::ApprovalGiven {
                        ("approved", &mut item.approved_by)
                    } else {
                        ("refused", &mut item.refused_by)
                    };
                    if !names.contains(&human) {
                        names.push(human.clone());
                    }
                    let said = body
                        .get("reason")
                        .and_then(serde_json::Value::as_str)
                        .filter(|r| !r.trim().is_empty());
                    item.answers.push(match said {
                        Some(reason) => format!("{human} {answered}: {}", one_line(reason, 200)),
                        None => format!("{human} {answered}"),
                    });
                }
                Kind::Executed => {
                    let status = body
                        .get("exit_status")
                        .and_then(serde_json::Value::as_i64)
                        .map(|s| format!(" (exit {s})"))
                        .unwrap_or_default();
                    let detail = body
                        .get("detail")
                        .and_then(serde_json::Value::as_str)
                        .map(|d| format!(": {}", one_line(d, 80)))
                        .unwrap_or_default();
                    item.outcomes.push(format!(
                        "{}{status} [{}]{detail}",
                        field("outcome"),
                        field("observed_by")
                    ));
                }
                _ => {}
            }
        }
    }
    for item in &mut items {
        item.approval_state = item.approval.as_ref().and_then(|id| {
            approvals
                .iter()
                .find(|a| &a.id == id)
                .map(|a| a.state.as_str().to_owned())
        });
        let last = item.decisions.last().map(String::as_str).unwrap_or("");
        item.status = match (last, item.approval_state.as_deref()) {
            ("allow", _) => "allowed",
            ("ask", Some(state)) if state == ApprovalState::Pending.as_str() => "pending",
            ("ask", Some(state)) if state == ApprovalState::Approved.as_str() => {
                "approved, not yet run"
            }
            _ => "blocked",
        }
        .to_owned();
    }
    let count = |s: &str| items.iter().filter(|i| i.status == s).count();
    let report = Report {
        session: session.to_owned(),
        agents,
        first: records.first().map(|r| datetime(r.at_ms)),
        last: records.last().map(|r| datetime(r.at_ms)),
        proposed: items.len(),
        allowed: count("allowed"),
        blocked: count("blocked"),
        pending: count("pending") + count("approved, not yet run"),
        actions: items,
        last_record: records.last().map_or(0, |r| r.seq),
    };
    Ok(report)
}

impl Report {
    fn span(&self) -> String {
        format!(
            "{} to {}",
            self.first.as_deref().unwrap_or("-"),
            self.last.as_deref().unwrap_or("-")
        )
    }

    pub(crate) fn counts(&self) -> String {
        format!(
            "{} proposed: {} allowed, {} blocked, {} pending",
            self.proposed, self.allowed, self.blocked, self.pending
        )
    }
}

impl Item {
    /// The approval and where it stands: `apr-… (used), approved by alice`.
    fn approval_text(&self) -> Option<String> {
        let id = self.approval.as_ref()?;
        let by = if self.approved_by.is_empty() {
            String::new()
        } else {
            format!(", approved by {}", self.approved_by.join(", "))
        };
        Some(format!(
            "{id} ({}){by}",
            self.approval_state.as_deref().unwrap_or("unknown")
        ))
    }
}

fn print_text(r: &Report) {
    println!(
        "session   {} ({})",
        printable(&r.session),
        printable(&r.agents.join(", "))
    );
    println!("from      {}", r.span());
    println!("actions   {}", r.counts());
    println!("(built from the ledger, records as holdpoint saw them)");
    for item in &r.actions {
        println!();
        println!(
            "#{} {}  {}  [{}]",
            item.first_record,
            item.at,
            item.status.to_uppercase(),
            item.risk
        );
        println!("  {}: {}", item.surface, one_line(&item.input, 100));
        if let Some(asked) = &item.asked {
            println!("  asked: {}", printable(&one_line(asked, 200)));
        }
        println!("  decided {}", item.decisions.join(" → "));
        if let Some(approval) = item.approval_text() {
            println!("  approval {approval}");
        }
        for answer in &item.answers {
            println!("  {}", printable(answer));
        }
        if item.status == "blocked"
            && let Some(reason) = item.reasons.first()
        {
            println!("  why: {}", printable(reason));
        }
        for outcome in &item.outcomes {
            println!("  outcome {outcome}");
        }
    }
}

fn print_markdown(r: &Report) {
    println!("# holdpoint session report: `{}`", r.session);
    println!();
    println!("- agents: {}", r.agents.join(", "));
    println!("- from {}", r.span());
    println!("- actions: {}", r.counts());
    println!();
    println!("| record | time | status | risk | action | approval | outcome |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for item in &r.actions {
        println!(
            "| #{} | {} | {} | {} | `{}` | {} | {} |",
            item.first_record,
            item.at,
            item.status,
            item.risk,
            cell(&one_line(&item.input, 80)).replace('`', "'"),
            cell(&item.approval_text().unwrap_or_default()),
            cell(&item.outcomes.join("; ")),
        );
    }
}
