//! Deciding one statement: its analysis (learnt per statement shape for reads, `Memo`),
//! holdpoint's own settings and recovery points as self-protection, the decider, and for
//! a held statement the wait for a human's answer, with a reminder every 10 s and the
//! client's cancel request ending it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use holdpoint_core::{
    Action, Analysis, AnalysisContext, Effect, ObjectKind, Risk, Surface, Verb, sql_shape,
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
use crate::serve::decider::{Durable, Early, Stamp};

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

/// How a statement stands to the transaction it runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bearing {
    /// Reads rows and tables and does nothing else: it cannot end a transaction.
    Reads,
    /// Changes rows and tables and does nothing else: a rollback undoes it.
    Changes,
    /// Anything else: it may end the transaction (`COMMIT`, `END`, `PREPARE
    /// TRANSACTION`), or act where a rollback does not reach (a file, another
    /// connection, code holdpoint cannot see into).
    Other,
}

/// How the statement analysed as `analysis` stands to its transaction. Only what
/// analysis positively knows to touch nothing but rows and tables is `Reads` or
/// `Changes`: `COMMIT` reads the database, an unknown function is opaque code.
pub(super) fn bearing(analysis: &Analysis) -> Bearing {
    let on_data = |e: &Effect| {
        matches!(e.object, ObjectKind::Table | ObjectKind::Row) && !e.opaque && !e.self_protection
    };
    if analysis.unanalysable.is_some() || analysis.effects.is_empty() {
        return Bearing::Other;
    }
    if analysis
        .effects
        .iter()
        .all(|e| on_data(e) && e.verb == Verb::Read)
    {
        Bearing::Reads
    } else if analysis.risk() == Risk::Change
        && analysis
            .effects
            .iter()
            .all(|e| on_data(e) && matches!(e.verb, Verb::Read | Verb::Write | Verb::Delete))
    {
        Bearing::Changes
    } else {
        Bearing::Other
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
    /// A change policy allows inside an explicit transaction block goes on at once, its
    /// records not yet durable: its `Durable` joins `owed`, and before anything that
    /// could end the transaction goes on (`Bearing::Other`), `written` waits for all of
    /// them. A proxy that stops before then leaves a transaction the server rolls back.
    pub(super) async fn decide(
        &self,
        sql: &str,
        memo: &mut Memo,
        owed: &mut Vec<Durable>,
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
        // A cancel request from now on ends a wait for an approval.
        let cancels_seen = self.link.cancelled.seen();
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
            let bearing = bearing(&analysis);
            if bearing == Bearing::Other {
                if let Some(refusal) = self.written(owed).await {
                    return Ok(Verdict::Refuse(refusal));
                }
                self.statements().sent_ender();
            }
            let mut unkept = None;
            let kept = shape
                .and_then(|shape| memo.shapes.get_mut(&shape))
                .and_then(Option::as_mut)
                .map_or(&mut unkept, |learnt| &mut learnt.decision);
            let early = bearing == Bearing::Changes && self.statements().in_transaction();
            if unreadable.is_none()
                && let Some((allowed, durable)) = proxy
                    .state
                    .decider
                    .allow_inline(&action, &analysis, kept, early)
            {
                let risk = match durable {
                    Some(durable) => {
                        owed.push(durable);
                        Risk::Change
                    }
                    None => Risk::Read,
                };
                return Ok(Verdict::Forward(action, risk, bearing, Some(allowed)));
            }
            let decided = match proxy
                .state
                .decider
                .decide_early(action.clone(), analysis, early)
                .await
            {
                Ok(Early::Read(action)) => {
                    return Ok(Verdict::Forward(action, Risk::Read, bearing, None));
                }
                Ok(Early::Change(action, durable)) => {
                    owed.push(durable);
                    return Ok(Verdict::Forward(action, Risk::Change, bearing, None));
                }
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
                    return Ok(Verdict::Forward(
                        decided.action,
                        decided.decision.risk,
                        bearing,
                        None,
                    ));
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
                        .wait_for(
                            &approval.id,
                            &how,
                            wait.saturating_sub(started.elapsed()),
                            cancels_seen,
                        )
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

    /// Waits until the records of every change sent early (`owed`) are durable; the
    /// refusal to send in place of what could make them permanent, when they are not.
    pub(super) async fn written(&self, owed: &mut Vec<Durable>) -> Option<Fields> {
        let mut failed = None;
        for durable in owed.drain(..) {
            if let Err(e) = durable.written().await {
                failed.get_or_insert(e);
            }
        }
        failed.map(|e| {
            Fields::new(
                "ERROR",
                "58030",
                &format!(
                    "holdpoint could not record this transaction's changes, so it refuses what could make them permanent: {e}"
                ),
            )
            .with(b'H', "roll the transaction back and run it again")
        })
    }

    /// Waits for a request to be answered, telling the client now and then; `None` when
    /// the client cancelled the statement (a cancel request after the `cancels_seen`
    /// first).
    pub(super) async fn wait_for(
        &self,
        id: &str,
        how: &str,
        wait: Duration,
        cancels_seen: u64,
    ) -> Result<Option<Answer>, Fault> {
        let started = Instant::now();
        let mut told = None::<Instant>;
        let cancelled = self.link.cancelled.after(cancels_seen);
        tokio::pin!(cancelled);
        // Answers any process commits to a PostgreSQL store are heard at once; on
        // SQLite the store is asked every 250 ms.
        let mut changes = self.proxy.state.changes.subscribe();
        let again = self.proxy.state.look_again(Duration::from_millis(250));
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
                _ = tokio::time::timeout(again.min(NOTICE_EVERY), changes.changed()) => {}
                () = &mut cancelled => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(sql: &str) -> Bearing {
        bearing(&holdpoint_core::sql::analyse(
            sql,
            holdpoint_core::sql::Dialect::Postgres,
        ))
    }

    #[test]
    fn only_what_touches_nothing_but_rows_and_tables_stays_inside_a_transaction() {
        assert_eq!(
            of("SELECT abalance FROM accounts WHERE aid = 5"),
            Bearing::Reads
        );
        assert_eq!(
            of("UPDATE accounts SET abalance = abalance + 5 WHERE aid = 3"),
            Bearing::Changes
        );
        assert_eq!(
            of("INSERT INTO history (tid, delta, mtime) VALUES (1, 4, CURRENT_TIMESTAMP)"),
            Bearing::Changes
        );
        assert_eq!(
            of("UPDATE a SET x = 1 WHERE id = 1; DELETE FROM b WHERE id = 2"),
            Bearing::Changes
        );
        // What ends a transaction, or acts where its rollback does not reach.
        for sql in [
            "COMMIT",
            "END",
            "COMMIT AND CHAIN",
            "ROLLBACK",
            "BEGIN",
            "PREPARE TRANSACTION 'x'",
            "COMMIT PREPARED 'x'",
            "UPDATE a SET x = 1 WHERE id = 1; COMMIT",
            "UPDATE t SET x = f(1) WHERE id = 2",
            "SELECT dblink_exec('host=db', 'DELETE FROM t')",
            "COPY t TO '/tmp/out.csv'",
            "SELECT f(1)",
            "SELECT pg_notify('c', 'x')",
            "DROP TABLE t",
            "not sql at all",
        ] {
            assert_eq!(of(sql), Bearing::Other, "{sql}");
        }
    }
}
