//! Deciding one statement: its analysis (learnt per statement shape for reads, `Memo`),
//! holdpoint's own settings and recovery points as self-protection, the decider, and for
//! a held statement the wait for a human's answer, with a reminder every 10 s and the
//! client's cancel request ending it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use holdpoint_core::{
    Action, Analysis, AnalysisContext, Effect, ObjectKind, Risk, Surface, sql_shape,
};
use holdpoint_ledger::{ApprovalState, VoteKind};
use holdpoint_pgwire::Fields;
use holdpoint_policy::{Decision, Outcome};
use holdpoint_store::Store as _;

use super::blast::blast_radius;
use super::driver::{Context, Verdict};
use super::{Fault, NOTICE_EVERY};
use crate::home::now_ms;
use crate::local;
use crate::serve::decider::{Early, Stamp};

/// What a connection learnt of the statements it sent, by shape (numbers made
/// parameters: `sql_shape`): the analysis of each shape that reads, and the decision
/// policy last gave it. A shape is learnt only when the statement and its shape are both
/// analysed as reads; every other statement is analysed whole each time.
#[derive(Default)]
pub(super) struct Memo {
    shapes: HashMap<String, Option<Learnt>>,
}

struct Learnt {
    analysis: Analysis,
    decision: Option<(Stamp, Decision)>,
}

/// The most shapes a connection keeps; beyond, it starts again.
const MEMO_SHAPES: usize = 1024;

impl Memo {
    /// The analysis of `action`'s statement, and the shape under which what follows
    /// from it is kept (`None`: nothing is).
    fn analyse(&mut self, action: &Action) -> (Analysis, Option<String>) {
        let analyse = |input: &str| {
            let mut action = Action {
                input: input.to_owned(),
                ..action.clone()
            };
            local::analyse_here(&mut action, &AnalysisContext::new("/"))
        };
        let Some(shape) = sql_shape::shape(&action.input) else {
            return (analyse(&action.input), None);
        };
        match self.shapes.get(&shape) {
            Some(Some(learnt)) => return (learnt.analysis.clone(), Some(shape)),
            Some(None) => return (analyse(&action.input), None),
            None => {}
        }
        let reads = |a: &Analysis| a.risk() == Risk::Read && !a.opaque();
        let analysis = analyse(&action.input);
        let learnt =
            (reads(&analysis) && (shape == action.input || reads(&analyse(&shape)))).then(|| {
                Learnt {
                    analysis: analysis.clone(),
                    decision: None,
                }
            });
        if self.shapes.len() >= MEMO_SHAPES {
            self.shapes.clear();
        }
        let kept = learnt.is_some();
        self.shapes.insert(shape.clone(), learnt);
        (analysis, kept.then_some(shape))
    }
}

/// How a request a statement waited on was answered.
pub(super) enum Answer {
    /// Refused, with who refused and why.
    Refused(String),
    Other(ApprovalState),
}

impl Context {
    /// Analyses and decides one statement; waits for an approval when it is held and the
    /// proxy waits. `unreadable`, when given, is why the statement cannot be analysed: it
    /// is then decided on that alone.
    pub(super) async fn decide(
        &self,
        sql: &str,
        memo: &mut Memo,
        unreadable: Option<Effect>,
    ) -> Result<Verdict, Fault> {
        let proxy = &self.proxy;
        let action = Action {
            surface: Surface::Sql,
            input: sql.to_owned(),
            cwd: "/".to_owned(),
            target: format!("postgres:{}@{}", proxy.upstream.database, proxy.environment),
            environment: proxy.environment,
            agent: self.agent.clone(),
            session: Some(self.session.clone()),
            executed_content: Vec::new(),
        };
        let started = Instant::now();
        loop {
            let (mut analysis, shape) = match &unreadable {
                Some(effect) => (
                    Analysis {
                        effects: vec![effect.clone()],
                        unanalysable: None,
                        shown: None,
                    },
                    None,
                ),
                None => memo.analyse(&action),
            };
            // This connection reads SQL with pinned settings: changing them is changing
            // holdpoint.
            if let Some(change) = analysis
                .effects
                .iter()
                .find(|e| e.object == ObjectKind::SqlReading && !e.self_protection)
            {
                let name = change.name.clone();
                analysis.effects.push(Effect::self_protection(
                    ObjectKind::SqlReading,
                    &name,
                    format!("changes `{name}`, which holdpoint pins on this connection so that the database reads every statement as holdpoint does"),
                ));
            }
            // The recovery points are holdpoint's: an agent reads them, never changes them.
            if analysis.risk() > Risk::Read
                && sql.to_ascii_lowercase().contains("holdpoint_recovery")
            {
                analysis.effects.push(Effect::self_protection(
                    ObjectKind::Schema,
                    "holdpoint_recovery",
                    "changes holdpoint's recovery points, which only `holdpoint restore` and `holdpoint recovery purge` change",
                ));
            }
            let mut unkept = None;
            let kept = shape
                .and_then(|shape| memo.shapes.get_mut(&shape))
                .and_then(Option::as_mut)
                .map_or(&mut unkept, |learnt| &mut learnt.decision);
            if proxy
                .state
                .decider
                .allow_read_inline(&action, &analysis, kept)
            {
                return Ok(Verdict::Forward(action, Risk::Read));
            }
            let decided = match proxy
                .state
                .decider
                .decide_read_early(action.clone(), analysis)
                .await
            {
                Ok(Early::Read(action)) => return Ok(Verdict::Forward(action, Risk::Read)),
                Ok(Early::Settled(decided)) => *decided,
                Err(e) => {
                    return Ok(Verdict::Refuse(Fields::new(
                        "ERROR",
                        "42501",
                        &format!(
                            "holdpoint could not decide this statement, so it is refused: {e}"
                        ),
                    )));
                }
            };
            if decided.settlement.new_request
                && let Some(approval) = &decided.settlement.approval
            {
                // The blast radius, for the approver, counted once the statement is held.
                let keeps = decided.decision.risk == Risk::Destroy;
                for note in blast_radius(&proxy.upstream, sql, keeps).await {
                    let (id, note) = (approval.id.clone(), note.clone());
                    if let Err(e) = proxy
                        .state
                        .blocking(move |store| store.note_approval(&id, &note, now_ms()))
                        .await
                    {
                        eprintln!(
                            "holdpoint pg: the blast radius was not added: {}",
                            e.message()
                        );
                    }
                }
                proxy.state.changed();
                proxy
                    .state
                    .notifier
                    .requested(approval, proxy.state.console_url().as_deref());
            }
            let reasons = decided.decision.reasons.join("; ");
            let record = decided.settlement.decided.seq;
            match decided.settlement.outcome {
                // What could not be read is never forwarded, whatever a policy says.
                Outcome::Allow if unreadable.is_none() => {
                    return Ok(Verdict::Forward(decided.action, decided.decision.risk));
                }
                Outcome::Allow => {
                    return Ok(Verdict::Refuse(Fields::new(
                        "ERROR",
                        "42501",
                        &format!("holdpoint refused this statement: {reasons}"),
                    )));
                }
                Outcome::Deny => {
                    return Ok(Verdict::Refuse(
                        Fields::new(
                            "ERROR",
                            "42501",
                            &format!("holdpoint refused this statement: {reasons}"),
                        )
                        .with(
                            b'D',
                            &format!("{} risk; ledger record #{record}", decided.decision.risk),
                        ),
                    ));
                }
                Outcome::Ask => {
                    let Some(approval) = decided.settlement.approval.clone() else {
                        return Ok(Verdict::Refuse(Fields::new(
                            "ERROR",
                            "42501",
                            "holdpoint held this statement but opened no request",
                        )));
                    };
                    let how = match proxy.state.console_url() {
                        Some(url) => format!(
                            "a human approves it with `holdpoint approvals approve {id}` or in the console at {url}/approvals/{id}",
                            id = approval.id
                        ),
                        None => format!(
                            "a human approves it with `holdpoint approvals approve {id}` (no holdpoint console is running for this proxy)",
                            id = approval.id
                        ),
                    };
                    let Some(wait) = proxy.wait else {
                        return Ok(Verdict::Refuse(
                            Fields::new(
                                "ERROR",
                                "42501",
                                &format!("holdpoint held this statement for approval: request {}: {reasons}", approval.id),
                            )
                            .with(b'H', &format!("{how}; then run exactly the same statement again")),
                        ));
                    };
                    match self
                        .wait_for(&approval.id, &how, wait.saturating_sub(started.elapsed()))
                        .await?
                    {
                        None => {
                            return Ok(Verdict::Refuse(
                                Fields::new(
                                    "ERROR",
                                    "57014",
                                    &format!(
                                        "canceling statement due to user request: holdpoint stopped waiting for request {}",
                                        approval.id
                                    ),
                                )
                                .with(b'H', "the request stays open; once a human approves it, run exactly the same statement again"),
                            ));
                        }
                        Some(Answer::Other(ApprovalState::Approved)) => continue,
                        Some(Answer::Refused(why)) => {
                            // The human's own words reach the agent.
                            return Ok(Verdict::Refuse(
                                Fields::new(
                                    "ERROR",
                                    "42501",
                                    &format!(
                                        "holdpoint did not run this statement: request {} is refused: {why}",
                                        approval.id
                                    ),
                                )
                                .with(b'D', &why),
                            ));
                        }
                        Some(Answer::Other(state)) => {
                            return Ok(Verdict::Refuse(Fields::new(
                                "ERROR",
                                "42501",
                                &format!(
                                    "holdpoint did not run this statement: request {} is {}",
                                    approval.id,
                                    if state == ApprovalState::Pending {
                                        "still waiting; the wait is over"
                                    } else {
                                        state.as_str()
                                    }
                                ),
                            )));
                        }
                    }
                }
            }
        }
    }

    /// Waits for a request to be answered, telling the client now and then; `None` when
    /// the client cancelled the statement.
    pub(super) async fn wait_for(
        &self,
        id: &str,
        how: &str,
        wait: Duration,
    ) -> Result<Option<Answer>, Fault> {
        let started = Instant::now();
        let mut told = None::<Instant>;
        let cancelled = self.link.cancelled.notified();
        tokio::pin!(cancelled);
        cancelled.as_mut().enable();
        loop {
            if told.is_none_or(|t| t.elapsed() >= NOTICE_EVERY) {
                told = Some(Instant::now());
                let notice = Fields::new(
                    "NOTICE",
                    "00000",
                    &format!(
                        "holdpoint: waiting for approval of request {id} ({}s of {}s): {how}",
                        started.elapsed().as_secs(),
                        wait.as_secs()
                    ),
                );
                self.link.send(&[notice.frame(b'N')]).await?;
            }
            let lookup = id.to_owned();
            let request = self
                .proxy
                .state
                .blocking(move |store| store.approval(&lookup))
                .await
                .map_err(|e| Fault::Upstream(e.message().to_owned()))?;
            let state = request.as_ref().map_or(ApprovalState::Expired, |r| {
                if r.state == ApprovalState::Pending && r.expired_at(now_ms()) {
                    ApprovalState::Expired
                } else {
                    r.state
                }
            });
            if state == ApprovalState::Refused {
                let vote = request
                    .as_ref()
                    .and_then(|r| r.votes.iter().find(|v| v.kind == VoteKind::Refuse));
                let why = match vote {
                    Some(vote) => format!(
                        "{} refused it{}",
                        vote.human,
                        vote.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_else(|| " without giving a reason".to_owned())
                    ),
                    None => "a human refused it".to_owned(),
                };
                return Ok(Some(Answer::Refused(why)));
            }
            if state != ApprovalState::Pending || started.elapsed() >= wait {
                return Ok(Some(Answer::Other(state)));
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
                () = &mut cancelled => return Ok(None),
            }
        }
    }
}
