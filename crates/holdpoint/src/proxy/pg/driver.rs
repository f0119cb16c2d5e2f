//! The loop of one signed-in connection: two tasks, one reading the client and one
//! reading the server, that move frames and act on what `Statements` says. Every
//! statement is decided (`decide.rs`) before it is forwarded; the bookkeeping of which
//! reply answers which statement is `statements.rs`'s.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::BytesMut;
use holdpoint_core::recovery::{self, Loss};
use holdpoint_core::sql_settings::{self};
use holdpoint_core::{Action, Effect, ObjectKind, Risk};
use holdpoint_pgwire::{self as wire, Fields, Frame, Sql};
use holdpoint_store::{Executed, Store as _};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::decide::{Bearing, Memo};
use super::keeping::Keeping;
use super::startup::unpinned;
use super::statements::{
    Completion, Known, Name, Prepared, Settings, Slot, Statements, Step, lookup, simple,
    unknown_statement,
};
use super::{ClientRead, ClientStream, ClientWrite, Fault, Proxy, read_frame, write_frames};
use crate::home::now_ms;
use crate::serve::decider::Allowed;

/// The outcome of a statement its pipeline skipped.
const NOT_RUN: &str = "not run";

/// What both directions of one connection share.
pub(super) struct Link {
    /// The client's cancel requests, which end a wait for an approval.
    pub(super) cancelled: Arc<super::Cancelled>,
    client: tokio::sync::Mutex<ClientWrite>,
    statements: Mutex<Statements>,
    /// The connection's nonce, as `Statements` has it: part of every marker, notice and
    /// quote of holdpoint's.
    pub(super) nonce: String,
    /// Woken at every ready-for-query, when the steps before it are settled.
    settled: tokio::sync::Notify,
    /// Woken whenever replies go to the client, which frees the slots they answered.
    room: tokio::sync::Notify,
}

/// The most replies one connection may be owed. A client that sends without reading
/// what comes back waits here, as the server would make it wait, instead of making the
/// proxy hold its statements in memory without end. Well above what the server keeps
/// unsent in its output buffer until a `Sync` (8 KiB, five bytes or more a reply), so
/// that a pipeline never waits on replies that cannot come.
const MAX_OWED: usize = 8192;

impl Link {
    pub(super) async fn send(&self, frames: &[Frame]) -> Result<(), Fault> {
        let mut client = self.client.lock().await;
        write_frames(&mut *client, frames)
            .await
            .map_err(|e| Fault::Client(e.to_string()))
    }
}

#[derive(Clone)]
pub(super) struct Context {
    pub(super) proxy: Arc<Proxy>,
    pub(super) agent: String,
    pub(super) session: String,
    pub(super) link: Arc<Link>,
}

/// What becomes of a statement.
pub(super) enum Verdict {
    /// Forwarded; a statement allowed at once brings its records, to write with its
    /// outcome.
    Forward(Action, Risk, Bearing, Option<Allowed>),
    Refuse(Fields),
}

/// Drives one signed-in connection until either side ends: one task reads the client
/// and decides, the other reads the server and records; what was never answered is
/// recorded once both are done.
pub(super) async fn drive<S: ClientStream>(
    proxy: Arc<Proxy>,
    agent: String,
    session: String,
    (client, buf): (S, BytesMut),
    (upstream, up_buf): (TcpStream, BytesMut),
    cancelled: Arc<super::Cancelled>,
) -> Result<(), Fault> {
    let (client_read, client_write) = client.halves();
    let (upstream_read, upstream_write) = upstream.into_split();
    // Random, so that a client cannot make the server echo a marker of ours.
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| Fault::Upstream(format!("no randomness: {e}")))?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let link = Arc::new(Link {
        cancelled,
        client: tokio::sync::Mutex::new(client_write),
        statements: Mutex::new(Statements::new(nonce.clone())),
        nonce,
        settled: tokio::sync::Notify::new(),
        room: tokio::sync::Notify::new(),
    });
    let context = Context {
        proxy,
        agent,
        session,
        link: Arc::clone(&link),
    };
    let mut to_upstream = tokio::spawn(forward_client(
        context.clone(),
        client_read,
        buf,
        upstream_write,
    ));
    let mut to_client = tokio::spawn(forward_upstream(context.clone(), upstream_read, up_buf));
    let result = tokio::select! {
        done = &mut to_upstream => { to_client.abort(); done }
        done = &mut to_client => { to_upstream.abort(); done }
    };
    context.unanswered();
    match result {
        Ok(result) => result,
        Err(e) => Err(Fault::Client(e.to_string())),
    }
}

/// Client to server: every statement decided before it goes on.
async fn forward_client(
    cx: Context,
    mut client: ClientRead,
    mut buf: BytesMut,
    mut upstream: OwnedWriteHalf,
) -> Result<(), Fault> {
    // What this pipeline (since the last Sync) prepared, bound and closed; what earlier
    // ones did is known from the server's replies (`Link::held`).
    let mut pipeline: Vec<Step> = Vec::new();
    let mut memo = Memo::default();
    // The changes sent inside the transaction whose records are not yet known durable.
    let mut owed = Vec::new();
    let mut out = BytesMut::new();
    loop {
        // What is decided goes on before waiting, so that its replies can come. (Counted
        // again once the wait is registered, so that no wake-up is missed.)
        while cx.statements().owed() >= MAX_OWED {
            let room = cx.link.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if cx.statements().owed() < MAX_OWED {
                break;
            }
            send_out(&mut upstream, &mut out).await?;
            room.await;
        }
        let frame = match read_frame(&mut client, &mut buf).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(e) => {
                let _ = cx
                    .link
                    .send(&[Fields::new("FATAL", "08P01", &format!("holdpoint: {e}")).frame(b'E')])
                    .await;
                return Err(Fault::Client(e));
            }
        };
        if matches!(frame.tag, b'Q' | b'P') {
            // What is already decided goes on before a decision that may wait for a human.
            send_out(&mut upstream, &mut out).await?;
        }
        // Whether what is forwarded could change how the server reads SQL.
        let mut unsure = false;
        let forward = match frame.tag {
            b'Q' => {
                let query = wire::query_text(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let (sql, unreadable) = cx.reading(query, &mut upstream, &mut out).await?;
                match cx.decide(&sql, &mut memo, &mut owed, unreadable).await? {
                    Verdict::Forward(action, risk, _, allowed) => {
                        unsure |= risk > Risk::Read;
                        let plan = (risk == Risk::Destroy)
                            .then(|| recovery::plan(&sql))
                            .flatten();
                        match plan {
                            Some(plan) => {
                                // Keep what it would destroy, in the same transaction.
                                let (query, slot) = cx.keeping(&plan, action, &sql)?;
                                cx.statements().owe(slot);
                                wire::query_message(&query)
                            }
                            None => {
                                cx.statements().owe(simple(Some(action), allowed));
                                frame
                            }
                        }
                    }
                    Verdict::Refuse(refusal) => {
                        let mut statements = cx.statements();
                        statements.owe(simple(None, None));
                        wire::query_message(&statements.marker(refusal))
                    }
                }
            }
            b'P' => {
                let parse =
                    wire::parse_message(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let (query, unreadable) = cx.reading(parse.query, &mut upstream, &mut out).await?;
                match cx.decide(&query, &mut memo, &mut owed, unreadable).await? {
                    Verdict::Forward(action, risk, bearing, allowed) => {
                        let plan = (risk == Risk::Destroy
                            && parse.declared_types == 0
                            && !query.contains('$')
                            && !query.to_ascii_lowercase().contains("returning"))
                        .then(|| recovery::plan(&query))
                        .flatten();
                        match plan {
                            Some(plan) => {
                                // Keep what it would destroy, in the same statement.
                                let (block, keeping) = cx.keeping_block(&plan, &action, &query)?;
                                let prepared = Prepared::new(
                                    action,
                                    risk,
                                    bearing,
                                    Some(Box::new(keeping)),
                                    allowed,
                                );
                                cx.statements().step(
                                    &mut pipeline,
                                    Step::Parse(parse.statement.clone(), Some(prepared)),
                                );
                                wire::parse_frame_for(&parse.statement, &block)
                            }
                            None => {
                                let prepared = Prepared::new(action, risk, bearing, None, allowed);
                                cx.statements().step(
                                    &mut pipeline,
                                    Step::Parse(parse.statement, Some(prepared)),
                                );
                                frame
                            }
                        }
                    }
                    Verdict::Refuse(refusal) => {
                        let marker = cx.statements().marker(refusal);
                        cx.statements()
                            .step(&mut pipeline, Step::Parse(parse.statement.clone(), None));
                        wire::parse_frame_for(&parse.statement, &marker)
                    }
                }
            }
            b'B' => {
                let (portal, statement) =
                    wire::bind_names(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let known = match lookup(&pipeline, &Name::Statement(&statement)) {
                    Some(known) => known,
                    None => {
                        cx.confirmed(
                            &pipeline,
                            &mut upstream,
                            &mut out,
                            &Name::Statement(&statement),
                        )
                        .await?
                    }
                };
                match known {
                    Known::Runs(prepared) => {
                        cx.statements()
                            .step(&mut pipeline, Step::Bind(portal, Some(prepared)));
                        frame
                    }
                    // The server fails it as it would without holdpoint.
                    Known::Absent => {
                        cx.statements()
                            .step(&mut pipeline, Step::Bind(portal, None));
                        frame
                    }
                    Known::Unknown => {
                        cx.statements()
                            .step(&mut pipeline, Step::Bind(portal, None));
                        let refusal = unknown_statement(&statement);
                        {
                            let mut statements = cx.statements();
                            wire::parse_frame_for(
                                &statements.refusing(),
                                &statements.marker(refusal),
                            )
                        }
                    }
                }
            }
            b'E' => {
                let portal =
                    wire::execute_portal(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let known = match lookup(&pipeline, &Name::Portal(&portal)) {
                    Some(known) => known,
                    None => {
                        cx.confirmed(&pipeline, &mut upstream, &mut out, &Name::Portal(&portal))
                            .await?
                    }
                };
                let (prepared, again) = match known {
                    Known::Runs(prepared) if prepared.decide_again() => {
                        send_out(&mut upstream, &mut out).await?;
                        let again = match prepared.keeping {
                            Some(_) => Verdict::Refuse(Fields::new(
                                "ERROR",
                                "42501",
                                "holdpoint keeps a recovery point for every run of a destroy: prepare the statement again to run it again",
                            )),
                            None => {
                                cx.decide(&prepared.action.input, &mut memo, &mut owed, None)
                                    .await?
                            }
                        };
                        (Some(prepared), Some(again))
                    }
                    // Run on the decision made when it was prepared; what could end the
                    // transaction waits for the changes sent before it to be durable.
                    Known::Runs(prepared) if prepared.bearing == Bearing::Other => {
                        send_out(&mut upstream, &mut out).await?;
                        let refused = cx.written(&mut owed).await;
                        cx.statements().sent_ender();
                        (Some(prepared), refused.map(Verdict::Refuse))
                    }
                    Known::Runs(prepared) => (Some(prepared), None),
                    Known::Absent => (None, None),
                    Known::Unknown => (None, Some(Verdict::Refuse(unknown_statement(&portal)))),
                };
                let started = Instant::now();
                match (again, prepared) {
                    (Some(Verdict::Refuse(refusal)), _) => {
                        // In place of the run, a statement the server rejects: it fails
                        // the pipeline or transaction as the run's own error would.
                        cx.statements().owe(Slot::Execute {
                            action: None,
                            allowed: None,
                            started,
                            keeping: None,
                        });
                        {
                            let mut statements = cx.statements();
                            wire::parse_frame_for(
                                &statements.refusing(),
                                &statements.marker(refusal),
                            )
                        }
                    }
                    (Some(Verdict::Forward(action, risk, _, allowed)), _) => {
                        unsure |= risk > Risk::Read;
                        cx.statements().owe(Slot::Execute {
                            action: Some(action),
                            allowed,
                            started,
                            keeping: None,
                        });
                        frame
                    }
                    (None, prepared) => {
                        unsure |= prepared.as_ref().is_some_and(|p| p.risk > Risk::Read);
                        let allowed = prepared.as_ref().and_then(Prepared::take_allowed);
                        let (action, keeping) =
                            prepared.map_or((None, None), |p| (Some(p.action), p.keeping));
                        cx.statements().owe(Slot::Execute {
                            action,
                            allowed,
                            started,
                            keeping,
                        });
                        frame
                    }
                }
            }
            b'S' => {
                cx.statements().owe(Slot::Sync);
                pipeline.clear();
                frame
            }
            b'C' => {
                if let Ok((kind, name)) = wire::close_target(&frame) {
                    let step = if kind == b'S' {
                        Step::CloseStatement(name)
                    } else {
                        Step::ClosePortal(name)
                    };
                    cx.statements().step(&mut pipeline, step);
                }
                frame
            }
            b'F' => {
                // A function call by object id runs code without any SQL to analyse.
                let refusal = Fields::new(
                    "ERROR",
                    "42501",
                    "holdpoint refused this function call: calls by object id cannot be analysed; call the function in a statement",
                );
                let mut statements = cx.statements();
                statements.owe(simple(None, None));
                wire::query_message(&statements.marker(refusal))
            }
            _ => frame,
        };
        // Set once its reply is owed (so a ready-for-query before it cannot clear it) and
        // before it is sent (so its own cannot come first).
        if unsure {
            cx.statements().sent_unsure();
        }
        let terminate = forward.tag == b'X';
        forward.encode(&mut out);
        // Send at once unless more of a pipeline is already waiting to be read.
        if buf.is_empty() || out.len() > 64 * 1024 || terminate {
            upstream
                .write_all(&out)
                .await
                .map_err(|e| Fault::Upstream(e.to_string()))?;
            out.clear();
        }
        if terminate {
            return Ok(());
        }
    }
}

/// Sends what waits in `out` to the server.
pub(super) async fn send_out(
    upstream: &mut OwnedWriteHalf,
    out: &mut BytesMut,
) -> Result<(), Fault> {
    if !out.is_empty() {
        upstream
            .write_all(out)
            .await
            .map_err(|e| Fault::Upstream(e.to_string()))?;
        out.clear();
    }
    Ok(())
}

/// Server to client: refusals rewritten, outcomes recorded.
async fn forward_upstream(
    cx: Context,
    mut upstream: OwnedReadHalf,
    mut buf: BytesMut,
) -> Result<(), Fault> {
    // Replies go out together when the server sent several at once (a row description,
    // rows, a tag and ready-for-query), in one write instead of one each.
    let mut out: Vec<Frame> = Vec::new();
    loop {
        if !out.is_empty() && !wire::frame_waiting(&buf) {
            cx.link.room.notify_waiters();
            cx.link.send(&out).await?;
            out.clear();
        }
        let frame = match read_frame(&mut upstream, &mut buf).await {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => {
                out.push(
                    Fields::new(
                        "FATAL",
                        "08006",
                        "holdpoint: the database closed the connection",
                    )
                    .frame(b'E'),
                );
                let _ = cx.link.send(&out).await;
                return Err(Fault::Upstream("closed the connection".to_owned()));
            }
        };
        let frame = match frame.tag {
            b'E' => {
                let error = wire::fields(&frame).unwrap_or_default();
                let refusal = cx.statements().refusal(&error);
                match refusal {
                    Some(refusal) => {
                        // Ours: the statement it stands for never ran, and was recorded
                        // as refused when it was decided.
                        cx.answered(Completion::Refused);
                        refusal.frame(b'E')
                    }
                    None => {
                        let text = format!(
                            "{}: {}",
                            error.get(b'C').unwrap_or("?????"),
                            error.get(b'M').unwrap_or("")
                        );
                        cx.answered(Completion::Error(text));
                        frame
                    }
                }
            }
            b'C' => {
                let tag = wire::command_tag(&frame).unwrap_or_default();
                if cx.statements().hidden(Some(&tag)) {
                    continue;
                }
                let keeping = cx.statements().take_keeping();
                match keeping {
                    Some(keeping) => {
                        // The client's statement ran inside holdpoint's block: it gets
                        // the statement's own tag.
                        let (tag, detail) = cx.kept(*keeping).await;
                        cx.answered(Completion::Tag(detail));
                        wire::command_complete(&tag)
                    }
                    None => {
                        cx.answered(Completion::Tag(tag));
                        frame
                    }
                }
            }
            b'N' if cx
                .statements()
                .counted(&wire::fields(&frame).unwrap_or_default()) =>
            {
                continue;
            }
            b'N' if cx.statements().hidden(None) => continue,
            b'I' => {
                cx.answered(Completion::Tag("EMPTY".to_owned()));
                frame
            }
            b's' => {
                cx.answered(Completion::Tag("SUSPENDED".to_owned()));
                frame
            }
            b'1' | b'2' | b'3' => {
                cx.statements().confirmed();
                frame
            }
            b'S' => {
                if let Some(message) = unpinned(&frame) {
                    // What the client sends next would be read by the server otherwise
                    // than by holdpoint: nothing more goes through this connection.
                    eprintln!(
                        "holdpoint pg: session {}: {message}; connection ended",
                        cx.session
                    );
                    out.push(
                        Fields::new(
                            "FATAL",
                            "08006",
                            &format!("holdpoint: {message}; the connection is ended"),
                        )
                        .frame(b'E'),
                    );
                    let _ = cx.link.send(&out).await;
                    return Err(Fault::Upstream(message));
                }
                frame
            }
            b'Z' => {
                let owed = cx.ready(wire::ready_status(&frame).ok()).await;
                if let Some(tag) = owed {
                    out.push(wire::command_complete(&tag));
                }
                frame
            }
            _ => frame,
        };
        out.push(frame);
    }
}

impl Context {
    /// The text of a statement from the client, and why it cannot be read as the server
    /// will read it, if it cannot: it is not UTF-8, or an earlier statement may have
    /// changed the settings it depends on and the server has not reported them yet.
    async fn reading(
        &self,
        sql: Sql,
        upstream: &mut OwnedWriteHalf,
        out: &mut BytesMut,
    ) -> Result<(String, Option<Effect>), Fault> {
        match sql {
            Sql::NotUtf8(shown) => Ok((
                shown,
                Some(Effect::self_protection(
                    ObjectKind::SqlReading,
                    "client_encoding",
                    "sends bytes that are not valid UTF-8: the database could read them otherwise than holdpoint, which reads every statement as UTF-8",
                )),
            )),
            Sql::Text(text) if sql_settings::reads_the_same_everywhere(&text) => Ok((text, None)),
            Sql::Text(text) => {
                let known = self.settings_known(upstream, out).await?;
                let unsure = (!known).then(|| {
                    Effect::self_protection(
                        ObjectKind::SqlReading,
                        "standard_conforming_strings",
                        "has backslashes or non-ASCII text and follows, in the same pipeline, a statement that could have changed how the database reads it: send Sync before it",
                    )
                });
                Ok((text, unsure))
            }
        }
    }

    /// Waits until the server has reported its settings since the last statement that
    /// could have changed them (at ready-for-query); `false` when that cannot come first,
    /// because the client has not ended its pipeline with Sync.
    async fn settings_known(
        &self,
        upstream: &mut OwnedWriteHalf,
        out: &mut BytesMut,
    ) -> Result<bool, Fault> {
        loop {
            let settled = self.link.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.statements().settings() {
                Settings::Known => return Ok(true),
                Settings::Unknowable => return Ok(false),
                Settings::AtReady => {}
            }
            send_out(upstream, out).await?;
            settled.await;
        }
    }

    /// This connection's statements, for one step (never held across an await).
    pub(super) fn statements(&self) -> MutexGuard<'_, Statements> {
        // A panic elsewhere while it was held ended that task and so the connection.
        self.link
            .statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A reply for the oldest statement still owed one, recorded when it ends a run.
    fn answered(&self, completion: Completion) {
        let done = self.statements().answered(completion);
        if let Some(done) = done {
            self.record(
                &done.action,
                done.allowed,
                done.outcome,
                done.detail,
                done.started,
            );
        }
    }

    /// What the server holds under `name`, once the steps of earlier pipelines and
    /// earlier simple queries are settled (what waits to be sent goes first, so that the
    /// server can answer them).
    async fn confirmed(
        &self,
        pipeline: &[Step],
        upstream: &mut OwnedWriteHalf,
        out: &mut BytesMut,
        name: &Name<'_>,
    ) -> Result<Known, Fault> {
        loop {
            let settled = self.link.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if !self.statements().unsettled(pipeline) {
                return Ok(self.statements().held(name));
            }
            send_out(upstream, out).await?;
            settled.await;
        }
    }

    /// Ready for the next query: simple queries and pipelines up to this point are done,
    /// and their outcomes recorded. Returns the tag the client is still owed, if any.
    async fn ready(&self, status: Option<u8>) -> Option<String> {
        let finished = self.statements().ready(status);
        self.link.settled.notify_waiters();
        let mut owed = None;
        for slot in finished {
            match slot {
                Slot::Simple {
                    action: Some(action),
                    allowed,
                    started,
                    mut tags,
                    error,
                    tag,
                    kept,
                    ..
                } => match error {
                    Some(error) => self.record(&action, allowed, "failed", error, started),
                    None => {
                        tags.extend(tag.clone());
                        owed = tag;
                        // No count: the block returned early (`DROP TABLE IF EXISTS` of a
                        // table that is not there) and nothing was kept.
                        if let Some(keeping) = kept.filter(|k| k.point.rows.is_some()) {
                            tags.push(self.record_point(*keeping).await);
                        }
                        self.record(&action, allowed, "succeeded", tags.join(", "), started);
                    }
                },
                Slot::Execute {
                    action: Some(action),
                    allowed,
                    started,
                    ..
                } => self.record(
                    &action,
                    allowed,
                    NOT_RUN,
                    "an earlier statement of the same pipeline failed".to_owned(),
                    started,
                ),
                _ => {}
            }
        }
        owed
    }

    /// Records a recovery point its statement kept; returns the tag the client is owed
    /// and the outcome to record.
    async fn kept(&self, keeping: Keeping) -> (String, String) {
        let tag = match keeping.loss {
            Loss::Drop => "DROP TABLE".to_owned(),
            Loss::Truncate => "TRUNCATE TABLE".to_owned(),
            Loss::Delete => format!("DELETE {}", keeping.changed.unwrap_or(0)),
            Loss::Update => format!("UPDATE {}", keeping.changed.unwrap_or(0)),
        };
        if keeping.point.rows.is_none() && keeping.loss == Loss::Drop {
            // `DROP TABLE IF EXISTS` of a table that is not there: nothing was kept.
            return (tag.clone(), tag);
        }
        let detail = format!("{tag}, {}", self.record_point(keeping).await);
        (tag, detail)
    }

    /// Records a recovery point the database now holds; returns the words for the
    /// statement's outcome.
    async fn record_point(&self, keeping: Keeping) -> String {
        let point = keeping.point;
        let id = point.id.clone();
        let with = match keeping.cascaded {
            (_, 0) => String::new(),
            (_, parts) if keeping.loss == Loss::Drop => {
                format!(", with the views and foreign keys around it ({parts})")
            }
            (rows, _) => format!(
                ", with {} its foreign keys cascade to",
                crate::log_cmd::counted(rows, "row")
            ),
        };
        let recorded = self
            .proxy
            .state
            .blocking(move |store| store.keep_recovery(&point, now_ms()))
            .await;
        if let Err(e) = recorded {
            eprintln!(
                "holdpoint pg: recovery point {id} was kept in the database but not recorded: {}",
                e.message()
            );
        }
        format!("recovery point {id} kept{with}")
    }

    /// Records the statements sent that were never answered, once the connection is
    /// over: that nobody saw what they did is recorded, rather than nothing.
    fn unanswered(&self) {
        let slots = self.statements().drain();
        for slot in slots {
            if let Slot::Simple {
                action: Some(action),
                allowed,
                started,
                ..
            }
            | Slot::Execute {
                action: Some(action),
                allowed,
                started,
                ..
            } = slot
            {
                self.record(
                    &action,
                    allowed,
                    "unknown",
                    "the connection closed before the database answered".to_owned(),
                    started,
                );
            }
        }
    }

    /// Records what a statement did, bound to its action's digest. Not waited for: the
    /// decision was durable before the statement went on, or, for a statement allowed at
    /// once (`allowed`), is written with what it did, in one record.
    fn record(
        &self,
        action: &Action,
        allowed: Option<Allowed>,
        outcome: &str,
        detail: String,
        started: Instant,
    ) {
        let executed = Executed {
            outcome: outcome.to_owned(),
            exit_status: None,
            duration_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            detail: Some(detail),
            observed_by: "holdpoint pg".to_owned(),
        };
        match allowed {
            Some(allowed) => {
                // A statement that never ran is a decision and, on its own, that it did
                // not run.
                if outcome == NOT_RUN {
                    allowed.record_decision();
                }
                allowed.ran(action, executed);
            }
            None => self.proxy.state.decider.record(action, executed),
        }
    }
}
