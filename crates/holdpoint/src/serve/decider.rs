//! The threads that decide and record proposals in batches.
//!
//! A decision is durable before it is answered (except the reads a proxy may run at
//! once, and the changes it may send inside a transaction, which cannot become
//! permanent before a `Durable` says their records are), and a durable commit costs a
//! sync of the disk. One thread takes every proposal
//! waiting and decides each with the grants and freezes as they stand; another settles
//! everything decided meanwhile in one transaction: one sync for many decisions (group
//! commit). Under light load a batch is one proposal and nothing waits.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use holdpoint_core::{Action, Analysis, Risk};
use holdpoint_ledger::Entry;
use holdpoint_policy::{Decision, Freeze, Grant, Outcome, PolicyEngine};
use holdpoint_store::{Executed, SqlStore, Store as _};
use tokio::sync::oneshot;

use crate::home::{Config, now_ms};
use crate::pipeline::{Decided, decide, executed_entry, proposal, ran_entry, scope, settled};
use crate::{Failure, local};

/// The most proposals settled in one transaction.
const MAX_BATCH: usize = 256;
/// Proposals waiting beyond this are refused at once rather than queued without end.
const QUEUE: usize = 8192;

struct Job {
    action: Action,
    analysis: Analysis,
    reply: Reply,
}

/// How a proposal is answered.
enum Reply {
    /// After its records are durable.
    Settled(oneshot::Sender<Result<Decided, String>>),
    /// At once when policy allows it as a read (or, with `changes`, as a change), before
    /// its records are durable (they are within the batch); otherwise after, as
    /// `Settled`.
    Early {
        reply: oneshot::Sender<Result<Early, String>>,
        changes: bool,
    },
    /// Once the records of a change answered early are durable, or could not be made so.
    Durable(oneshot::Sender<Result<(), String>>),
}

/// The answer to [`Decider::decide_early`].
pub(crate) enum Early {
    /// Allowed as a read; its records follow in the same batch.
    Read(Action),
    /// Allowed as a change; its records follow in the same batch, and `Durable` says
    /// when they are on disk. Whoever forwards it waits for that before anything that
    /// could make the change permanent.
    Change(Action, Durable),
    Settled(Box<Decided>),
}

/// When the records of a change answered early are durable.
#[derive(Debug)]
pub(crate) struct Durable {
    receiver: oneshot::Receiver<Result<(), String>>,
    /// For a change allowed in the caller's task: its records, while they wait for its
    /// outcome, and the writer to hand them to.
    owed: Option<(Shared, Writer)>,
}

impl Durable {
    /// Waits until the records are durable; `Err` when they could not be written. The
    /// records of a change allowed in the caller's task that are still waiting for its
    /// outcome (its statement has not finished) are handed over now, as its proposal and
    /// decision; its outcome follows on its own. Those already handed are written at
    /// once rather than with the next batch.
    pub async fn written(self) -> Result<(), String> {
        let Durable { mut receiver, owed } = self;
        match receiver.try_recv() {
            Ok(written) => return written,
            Err(oneshot::error::TryRecvError::Closed) => return Err(DROPPED.to_owned()),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        if let Some((owed, persist)) = owed {
            let item = match lock(&owed).take() {
                Some(owed) => owed.decided(),
                None => Persist::Hurry,
            };
            if !persist.hand(item) {
                return Err("the ledger thread has stopped".to_owned());
            }
        }
        receiver.await.map_err(|_| DROPPED.to_owned())?
    }
}

/// The handle request handlers send proposals to.
#[derive(Debug, Clone)]
pub(crate) struct Decider {
    jobs: SyncSender<Job>,
    inline: Arc<Inline>,
    pub holdpoint_home: PathBuf,
}

/// What a connection's task needs to decide a read itself, without a trip to the
/// deciding thread: the policies in force, the grants and freezes as of a moment ago,
/// and the writer to hand the records to.
struct Inline {
    engine: Arc<RwLock<Option<Arc<PolicyEngine>>>>,
    scope: Mutex<Option<Arc<Scope>>>,
    reader: SqlStore,
    persist: Writer,
    config: Config,
}

/// The policies a [`Decider`] decides with, reloaded when their files change.
#[derive(Clone)]
pub(crate) struct InForce(Arc<RwLock<Option<Arc<PolicyEngine>>>>);

impl InForce {
    /// The policies now; `None` while they fail to load (every decision is then a
    /// refusal).
    pub fn current(&self) -> Option<Arc<PolicyEngine>> {
        self.0.read().ok()?.clone()
    }
}

/// Grants and freezes, and when they were read.
struct Scope {
    grants: Vec<Grant>,
    freezes: Vec<Freeze>,
    read: Instant,
}

/// What an inline decision was made with: the same stamp, the same decision.
#[derive(Clone)]
pub(crate) struct Stamp {
    engine: Arc<PolicyEngine>,
    scope: Arc<Scope>,
    /// Policies may read the time, to the second.
    second: i64,
}

impl PartialEq for Stamp {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.engine, &other.engine)
            && Arc::ptr_eq(&self.scope, &other.scope)
            && self.second == other.second
    }
}

impl std::fmt::Debug for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stamp(second {})", self.second)
    }
}

/// How old the grants and freezes an inline read decision uses may be.
const SCOPE_AGE: Duration = Duration::from_millis(50);

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inline")
    }
}

impl Decider {
    /// Starts the two threads: one decides (reading grants and freezes through
    /// `reader`, a connection of its own), one writes through `store`.
    pub fn start(
        store: Arc<SqlStore>,
        reader: SqlStore,
        inline_reader: SqlStore,
        engine: PolicyEngine,
        config: Config,
        holdpoint_home: PathBuf,
    ) -> Result<Self, Failure> {
        // A process that decides also sends the ledger on, when a collector is set.
        if let Some(telemetry) = &config.telemetry {
            let home = crate::home::Home {
                dir: holdpoint_home.clone(),
            };
            crate::telemetry::start(&home, telemetry)?;
        }
        let (jobs, queue) = std::sync::mpsc::sync_channel(QUEUE);
        let (queue_records, persisting) = std::sync::mpsc::sync_channel(QUEUE);
        let writer_config = config.clone();
        let writer = std::thread::Builder::new()
            .name("holdpoint-writer".to_owned())
            .spawn(move || write(&persisting, &store, &writer_config))
            .map_err(|e| Failure::internal(format!("cannot start the ledger thread: {e}")))?;
        let persist = Writer {
            queue: queue_records,
            thread: writer.thread().clone(),
        };
        let published = Arc::new(RwLock::new(None));
        let mut policies = Policies::new(
            engine,
            holdpoint_home.join("policies"),
            Arc::clone(&published),
        );
        let inline = Arc::new(Inline {
            engine: published,
            scope: Mutex::new(None),
            reader: inline_reader,
            persist: persist.clone(),
            config: config.clone(),
        });
        std::thread::Builder::new()
            .name("holdpoint-decider".to_owned())
            .spawn(move || run(&queue, &persist, &reader, &mut policies, &config))
            .map_err(|e| Failure::internal(format!("cannot start the decision thread: {e}")))?;
        Ok(Decider {
            jobs,
            inline,
            holdpoint_home,
        })
    }

    /// Decides a read in the caller's own task when policy allows it as one: `Some` says
    /// the action may run at once, and holds its records until the caller says what it
    /// did. `None` when it is not a read, policy does not simply allow it, or the
    /// policies or grants cannot be had this moment: then the caller goes the usual way.
    ///
    /// `memo` keeps the decision for the caller's next read of the same analysis: policy
    /// decides on the analysis, the agent, the target and the session, never on the text,
    /// so the decision stands while the policies, the grants and freezes read and the
    /// second are the same.
    pub fn allow_read_inline(
        &self,
        action: &Action,
        analysis: &Analysis,
        memo: &mut Option<(Stamp, Decision)>,
    ) -> Option<Allowed> {
        self.allow_inline(action, analysis, memo, false)
            .map(|(allowed, _)| allowed)
    }

    /// [`Decider::allow_read_inline`], and with `changes` also a change policy simply
    /// allows, for a caller that makes sure nothing could make the change permanent
    /// before the [`Durable`] given with it says its records are: what a proxy may do
    /// inside a database transaction, which rolls back when the proxy stops. The change's
    /// records wait, like a read's, to be written with what it did; the `Durable` hands
    /// them over as they are when it is waited on first.
    pub fn allow_inline(
        &self,
        action: &Action,
        analysis: &Analysis,
        memo: &mut Option<(Stamp, Decision)>,
        changes: bool,
    ) -> Option<(Allowed, Option<Durable>)> {
        let allowed_risk = match analysis.risk() {
            _ if analysis.opaque() => return None,
            Risk::Read => Risk::Read,
            Risk::Change if changes => Risk::Change,
            _ => return None,
        };
        let stamp = self.stamp()?;
        let decision = match memo {
            Some((kept, decision)) if *kept == stamp => decision.clone(),
            _ => {
                // Inline decisions are the proxies' own, whose sessions are
                // connections and gateway sessions: no person instructs them.
                let decision = decide(
                    &stamp.engine,
                    &self.inline.config,
                    (action, analysis),
                    stamp.second * 1000,
                    (&stamp.scope.grants, &stamp.scope.freezes),
                    false,
                );
                *memo = Some((stamp, decision.clone()));
                decision
            }
        };
        if decision.outcome != Outcome::Allow || decision.risk != allowed_risk {
            return None;
        }
        let (durable, written) = match allowed_risk {
            Risk::Read => (None, None),
            _ => {
                let (sender, receiver) = oneshot::channel();
                (Some(sender), Some(receiver))
            }
        };
        let owed = Arc::new(Mutex::new(Some(Owed {
            action: action.clone(),
            analysis: analysis.clone(),
            decision,
            durable,
        })));
        let written = written.map(|receiver| Durable {
            receiver,
            owed: Some((Arc::clone(&owed), self.inline.persist.clone())),
        });
        Some((
            Allowed {
                owed,
                persist: self.inline.persist.clone(),
            },
            written,
        ))
    }

    /// The policies in force, as this decider keeps them current.
    pub fn in_force(&self) -> InForce {
        InForce(Arc::clone(&self.inline.engine))
    }

    /// The policies, grants and freezes an inline decision uses now, re-reading the
    /// grants and freezes when they are older than [`SCOPE_AGE`].
    fn stamp(&self) -> Option<Stamp> {
        let inline = &self.inline;
        let engine = inline.engine.read().ok()?.clone()?;
        let mut cached = inline.scope.lock().ok()?;
        if cached.as_ref().is_none_or(|s| s.read.elapsed() > SCOPE_AGE) {
            let (grants, freezes) = scope(&inline.reader).ok()?;
            *cached = Some(Arc::new(Scope {
                grants,
                freezes,
                read: Instant::now(),
            }));
        }
        Some(Stamp {
            engine,
            scope: Arc::clone(cached.as_ref()?),
            second: now_ms().div_euclid(1000),
        })
    }

    /// Records an action refused before any policy was asked (an MCP gateway's own
    /// configuration hides the tool, or its server never listed it): its proposal and
    /// a denial giving `reason`, decided by `gateway`. Not waited for.
    pub fn refused(&self, action: Action, analysis: Analysis, reason: &str) {
        let decision = crate::pipeline::refusal(&analysis, reason);
        let handed = self.inline.persist.send(Persist::Decided {
            action,
            analysis,
            decision,
            reply: None,
        });
        if !handed {
            eprintln!("holdpoint: the ledger thread has stopped; a refusal was not recorded");
        }
    }

    /// Records what an action did, in the next batch; not waited for unless the writer
    /// is behind. Outcomes of reads are durable within a batch's time; the decision that
    /// let the action run was durable before it ran.
    ///
    /// When the writer's queue is full the caller waits for room (on a runtime worker,
    /// which hands its other tasks on meanwhile; on a thread of its own, simply waits): a
    /// connection slows to what the ledger can write rather than lose what its statements
    /// did.
    pub fn record(&self, action: &Action, executed: Executed) {
        let entry = executed_entry(action, &executed);
        if !self.inline.persist.hand(Persist::Outcome(entry)) {
            eprintln!("holdpoint: the ledger thread has stopped; an outcome was not recorded");
        }
    }

    /// Waits, up to `limit`, until everything handed to the writer so far is written:
    /// what a stopping proxy does last. `false` when it was not in time.
    pub fn flush(&self, limit: Duration) -> bool {
        let (done, written) = std::sync::mpsc::channel();
        self.inline.persist.send(Persist::Barrier(done)) && written.recv_timeout(limit).is_ok()
    }

    /// Hands one proposal to the deciding thread; its answer comes through the channel
    /// `reply` wraps.
    fn send<T>(
        &self,
        action: Action,
        analysis: Analysis,
        reply: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Reply,
    ) -> Result<Pending<T>, String> {
        let (sender, answer) = oneshot::channel();
        let job = Job {
            action,
            analysis,
            reply: reply(sender),
        };
        match self.jobs.try_send(job) {
            Ok(()) => Ok(Pending(answer)),
            Err(TrySendError::Full(_)) => {
                Err("holdpoint is overloaded: too many decisions are waiting".to_owned())
            }
            Err(TrySendError::Disconnected(_)) => Err("the decision thread has stopped".to_owned()),
        }
    }

    /// Hands one proposal to the deciding thread and waits for its answer.
    async fn ask<T>(
        &self,
        action: Action,
        analysis: Analysis,
        reply: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Reply,
    ) -> Result<T, String> {
        self.send(action, analysis, reply)?
            .0
            .await
            .map_err(|_| DROPPED.to_owned())?
    }

    /// [`Decider::decide_read_early`] for a caller on a thread of its own rather than a
    /// task: hands the proposal over at once and gives what to wait on for the answer,
    /// so that one thread may hand over several proposals, decided and made durable
    /// together, before it waits.
    pub fn submit_read_early(
        &self,
        action: Action,
        analysis: Analysis,
    ) -> Result<Pending<Early>, String> {
        self.send(action, analysis, |reply| Reply::Early {
            reply,
            changes: false,
        })
    }

    /// [`Decider::decide`], handed over as [`Decider::submit_read_early`] is.
    pub fn submit(&self, action: Action, analysis: Analysis) -> Result<Pending<Decided>, String> {
        self.send(action, analysis, Reply::Settled)
    }

    /// Decides and records one analysed action; answers once the records are durable.
    /// An error means nothing was allowed.
    pub async fn decide(&self, action: Action, analysis: Analysis) -> Result<Decided, String> {
        self.ask(action, analysis, Reply::Settled).await
    }

    /// [`Decider::refused`], answered once the records are durable: a gateway that
    /// decides through `holdpoint serve` reports its refusals so.
    pub async fn refused_durably(
        &self,
        action: Action,
        analysis: Analysis,
        reason: &str,
    ) -> Result<Decided, String> {
        let decision = crate::pipeline::refusal(&analysis, reason);
        let (reply, answer) = oneshot::channel();
        match self.inline.persist.try_send(Persist::Decided {
            action,
            analysis,
            decision,
            reply: Some(Reply::Settled(reply)),
        }) {
            Ok(()) => answer.await.map_err(|_| DROPPED.to_owned())?,
            Err(TrySendError::Full(_)) => {
                Err("holdpoint is overloaded: too many records are waiting".to_owned())
            }
            Err(TrySendError::Disconnected(_)) => Err("the ledger thread has stopped".to_owned()),
        }
    }

    /// [`Decider::decide`], but an action policy allows as a read is answered as soon
    /// as it is decided, its records made durable with the rest of the batch: what a
    /// proxy's reads may do. With `changes`, so is one policy allows as a change, with
    /// a [`Durable`] to wait on before anything could make it permanent: what a proxy
    /// may do inside a database transaction, which rolls back when the proxy stops.
    /// Destroys, and changes without `changes`, still wait for durability.
    pub async fn decide_early(
        &self,
        action: Action,
        analysis: Analysis,
        changes: bool,
    ) -> Result<Early, String> {
        self.ask(action, analysis, |reply| Reply::Early { reply, changes })
            .await
    }
}

const DROPPED: &str = "the decision thread dropped the request";

/// The writing thread's queue. Records nobody waits for are only queued: the writer
/// takes them when its window ends, without being woken for each. What someone waits
/// for also wakes it.
#[derive(Debug, Clone)]
struct Writer {
    queue: SyncSender<Persist>,
    thread: std::thread::Thread,
}

impl Writer {
    /// Hands records to the writing thread; when its queue is full, waits for room (on a
    /// runtime worker, which hands its other tasks on meanwhile; on a thread of its own,
    /// simply waits). `false` when the writer has stopped.
    fn hand(&self, item: Persist) -> bool {
        self.put(item, |queue, item| match queue.try_send(item) {
            Err(TrySendError::Full(item)) => {
                tokio::task::block_in_place(|| queue.send(item).map_err(|_| STOPPED))
            }
            tried => tried.map_err(|_| STOPPED),
        })
        .is_ok()
    }

    /// Queues `item`, waiting for room; `false` when the writer has stopped.
    fn send(&self, item: Persist) -> bool {
        self.put(item, |queue, item| queue.send(item).map_err(|_| STOPPED))
            .is_ok()
    }

    /// Queues `item` only if there is room now.
    fn try_send(&self, item: Persist) -> Result<(), TrySendError<()>> {
        self.put(item, |queue, item| {
            queue.try_send(item).map_err(|e| match e {
                TrySendError::Full(_) => TrySendError::Full(()),
                TrySendError::Disconnected(_) => STOPPED,
            })
        })
    }

    /// Queues `item` with `queue`, then wakes the writer if someone waits for it.
    fn put(
        &self,
        item: Persist,
        queue: impl FnOnce(&SyncSender<Persist>, Persist) -> Result<(), TrySendError<()>>,
    ) -> Result<(), TrySendError<()>> {
        let urgent = item.waited_for();
        queue(&self.queue, item)?;
        if urgent {
            self.thread.unpark();
        }
        Ok(())
    }
}

/// The writer has stopped.
const STOPPED: TrySendError<()> = TrySendError::Disconnected(());

/// A read, or a change inside a transaction, policy allowed at once
/// ([`Decider::allow_inline`]), whose records are still to be written: with what it did,
/// as one `ran` record ([`Allowed::ran`]), or, where no outcome follows, as its proposal
/// and decision ([`Allowed::record_decision`], or when it is dropped).
// INVARIANT: an allowed statement is recorded whatever path it takes: dropped
// unrecorded (its connection closed, its task ended, a prepared statement replaced
// before it ran), it records its decision.
#[derive(Debug)]
pub(crate) struct Allowed {
    owed: Shared,
    persist: Writer,
}

/// The records an [`Allowed`] owes, shared with the [`Durable`] of a change, which may
/// hand them over before the change has finished; `None` once handed.
type Shared = Arc<Mutex<Option<Owed>>>;

fn lock(owed: &Shared) -> std::sync::MutexGuard<'_, Option<Owed>> {
    owed.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug)]
struct Owed {
    action: Action,
    analysis: Analysis,
    decision: Decision,
    /// For a change: told once its records are durable.
    durable: Option<oneshot::Sender<Result<(), String>>>,
}

impl Owed {
    /// Its proposal and decision, to write on their own.
    fn decided(self) -> Persist {
        Persist::Decided {
            action: self.action,
            analysis: self.analysis,
            decision: self.decision,
            reply: self.durable.map(Reply::Durable),
        }
    }
}

impl Allowed {
    /// Records what `action` did: with its proposal and decision in one record, or, when
    /// those were written already (a change's `Durable` was waited on before it
    /// finished), on its own.
    pub fn ran(self, action: &Action, executed: Executed) {
        let taken = lock(&self.owed).take();
        let item = match taken {
            Some(owed) => Persist::Ran(Box::new(owed), executed),
            None => Persist::Outcome(executed_entry(action, &executed)),
        };
        if !self.persist.hand(item) {
            eprintln!("holdpoint: the ledger thread has stopped; a statement ran unrecorded");
        }
    }

    /// Records the proposal and the decision now, if they are not written yet, keeping
    /// the statement: what it did, given later to [`Allowed::ran`], is recorded on its
    /// own.
    pub fn record_decision(&self) {
        let taken = lock(&self.owed).take();
        if let Some(owed) = taken
            && !self.persist.hand(owed.decided())
        {
            eprintln!(
                "holdpoint: the ledger thread has stopped; an allowed statement was not recorded"
            );
        }
    }
}

impl Drop for Allowed {
    fn drop(&mut self) {
        self.record_decision();
    }
}

/// An answer still to come from the deciding thread, for a caller on a thread of its own.
#[derive(Debug)]
pub(crate) struct Pending<T>(oneshot::Receiver<Result<T, String>>);

impl<T> Pending<T> {
    /// Blocks until the answer comes; never call it from a task.
    pub fn wait(self) -> Result<T, String> {
        self.0.blocking_recv().map_err(|_| DROPPED.to_owned())?
    }
}

impl Reply {
    fn fail(self, message: String) {
        match self {
            Reply::Settled(reply) => {
                let _ = reply.send(Err(message));
            }
            Reply::Early { reply, .. } => {
                let _ = reply.send(Err(message));
            }
            Reply::Durable(reply) => {
                let _ = reply.send(Err(message));
            }
        }
    }
}

/// What the deciding thread hands the writing thread.
enum Persist {
    Decided {
        action: Action,
        analysis: Analysis,
        decision: Decision,
        /// `None` when the answer was already given (an allowed read).
        reply: Option<Reply>,
    },
    Outcome(Entry),
    /// A statement allowed at once, and what it did: one `ran` record.
    Ran(Box<Owed>, Executed),
    /// Write what is waiting now: something waits for it.
    Hurry,
    /// Answered once everything sent before it is durable.
    Barrier(std::sync::mpsc::Sender<()>),
}

impl Persist {
    /// Whether someone waits for it to be written: then it is written without waiting
    /// for more to join it.
    fn waited_for(&self) -> bool {
        match self {
            Persist::Decided { reply, .. } => reply.is_some(),
            Persist::Hurry | Persist::Barrier(_) => true,
            Persist::Outcome(_) | Persist::Ran(..) => false,
        }
    }
}

/// The deciding thread: decides what is waiting, answers allowed reads that may go at
/// once, and hands everything to the writing thread. While the writer waits for the
/// disk, the next decisions are made, and they are written together.
fn run(
    queue: &Receiver<Job>,
    persist: &Writer,
    reader: &SqlStore,
    policies: &mut Policies,
    config: &Config,
) {
    loop {
        let first = match queue.recv_timeout(POLICY_CHECK) {
            Ok(first) => first,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                // Reads may be decided elsewhere for a long while: the policies are
                // still looked at for changes.
                let _ = policies.current();
                continue;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            batch.push(job);
            if batch.len() >= MAX_BATCH {
                break;
            }
            next = queue.try_recv().ok();
        }
        let engine = match policies.current() {
            Ok(engine) => engine,
            Err(message) => {
                // Fail closed: nothing is decided with policies that do not load.
                for job in batch {
                    job.reply.fail(message.clone());
                }
                continue;
            }
        };
        // The grants and freezes as they stand now, also those the command line changed.
        let (grants, freezes) = match scope(reader) {
            Ok(scope) => scope,
            Err(failure) => {
                for job in batch {
                    job.reply.fail(failure.message.clone());
                }
                continue;
            }
        };
        let now = now_ms();
        let reads_instructed = engine.reads_instructed();
        for job in batch {
            // Whether the session has an instruction on record, as the hook deciding
            // by itself reads it, for policies that read it; unreadable, nothing is
            // decided.
            let looked_up = if reads_instructed {
                crate::pipeline::instructed(reader, &job.action)
            } else {
                Ok(false)
            };
            let instructed = match looked_up {
                Ok(instructed) => instructed,
                Err(failure) => {
                    job.reply.fail(failure.message);
                    continue;
                }
            };
            let decision = decide(
                engine,
                config,
                (&job.action, &job.analysis),
                now,
                (&grants, &freezes),
                instructed,
            );
            let (reply, early) = match job.reply {
                Reply::Early { reply, .. }
                    if decision.outcome == Outcome::Allow && decision.risk == Risk::Read =>
                {
                    (None, Some((reply, Early::Read(job.action.clone()))))
                }
                Reply::Early {
                    reply,
                    changes: true,
                } if decision.outcome == Outcome::Allow && decision.risk == Risk::Change => {
                    let (written, receiver) = oneshot::channel();
                    let durable = Durable {
                        receiver,
                        owed: None,
                    };
                    (
                        Some(Reply::Durable(written)),
                        Some((reply, Early::Change(job.action.clone(), durable))),
                    )
                }
                other => (Some(other), None),
            };
            let handed = persist.send(Persist::Decided {
                action: job.action,
                analysis: job.analysis,
                decision,
                reply,
            });
            if !handed {
                return;
            }
            // Answered once its records are queued, so that its outcome, recorded when
            // it has run, comes after them.
            if let Some((reply, early)) = early {
                let _ = reply.send(Ok(early));
            }
        }
    }
}

/// For fault-injection tests: how long each batch waits before it is written
/// (`HOLDPOINT_TEST_WRITE_DELAY_MS`, at most a second), which widens the time in which a
/// killed process has sent on what is not yet durable. Zero unless set.
fn write_delay() -> Duration {
    std::env::var("HOLDPOINT_TEST_WRITE_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map_or(Duration::ZERO, |ms| Duration::from_millis(ms.min(1000)))
}

/// The writing thread: settles everything waiting in one transaction (one sync), then
/// answers those that wait for durability.
fn write(queue: &Receiver<Persist>, store: &SqlStore, config: &Config) {
    let delay = write_delay();
    while let Ok(first) = queue.recv() {
        let mut decided = Vec::new();
        let mut outcomes = Vec::new();
        let mut barriers = Vec::new();
        let mut durables = Vec::new();
        let mut next = Some(first);
        let window = Instant::now() + UNWAITED_WINDOW;
        let mut waited_for = false;
        while let Some(item) = next {
            match item {
                Persist::Decided {
                    action,
                    analysis,
                    decision,
                    reply,
                } => {
                    waited_for |= reply.is_some();
                    decided.push((action, analysis, decision, reply));
                }
                Persist::Outcome(entry) => outcomes.push(entry),
                Persist::Ran(owed, executed) => {
                    let Owed {
                        action,
                        analysis,
                        decision,
                        durable,
                    } = *owed;
                    outcomes.push(ran_entry(&action, &analysis, &decision, executed));
                    durables.extend(durable);
                }
                Persist::Hurry => waited_for = true,
                Persist::Barrier(done) => {
                    barriers.push(done);
                    waited_for = true;
                }
            }
            if decided.len() + outcomes.len() >= 4 * MAX_BATCH {
                break;
            }
            next = queue.try_recv().ok();
            while next.is_none() && !waited_for {
                // Nobody waits for this batch: what comes within the window joins it. The
                // writer sleeps through the window instead of waking for each record;
                // what someone waits for wakes it (`Writer`).
                let left = window.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::park_timeout(left);
                next = queue.try_recv().ok();
            }
        }
        if decided.is_empty() && outcomes.is_empty() {
            for done in barriers {
                let _ = done.send(());
            }
            continue;
        }
        let now = now_ms();
        let proposals: Vec<_> = decided
            .iter()
            .map(|(action, analysis, decision, _)| proposal(action, analysis, decision, config))
            .collect();
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let written = store.settle_all(&proposals, &outcomes, now);
        drop(proposals);
        // A barrier is answered only when what came before it was written; dropped,
        // it tells its waiter it was not.
        if written.is_ok() {
            for done in barriers {
                let _ = done.send(());
            }
        }
        for durable in durables {
            let _ = durable.send(
                written
                    .as_ref()
                    .map(|_| ())
                    .map_err(|e| format!("cannot record the statement: {e}")),
            );
        }
        match written {
            Ok(results) => {
                for ((action, analysis, decision, reply), result) in
                    decided.into_iter().zip(results)
                {
                    let answer = result
                        .map(|settlement| settled(action, analysis, decision, settlement))
                        .map_err(|e| format!("cannot record the decision: {e}"));
                    match (reply, answer) {
                        (Some(Reply::Settled(reply)), answer) => {
                            let _ = reply.send(answer);
                        }
                        (Some(Reply::Early { reply, .. }), answer) => {
                            let _ = reply.send(answer.map(|d| Early::Settled(Box::new(d))));
                        }
                        (Some(Reply::Durable(reply)), answer) => {
                            let _ = reply.send(answer.map(|_| ()));
                        }
                        (None, Err(e)) => eprintln!("holdpoint: a read ran, but {e}"),
                        (None, Ok(_)) => {}
                    }
                }
            }
            Err(e) => {
                if !outcomes.is_empty() {
                    eprintln!(
                        "holdpoint: {} outcomes were not recorded: {e}",
                        outcomes.len()
                    );
                }
                for (_, _, _, reply) in decided {
                    if let Some(reply) = reply {
                        reply.fail(format!("cannot record the decision: {e}"));
                    } else {
                        eprintln!("holdpoint: a read ran, but its decision was not recorded: {e}");
                    }
                }
            }
        }
    }
}

/// How long records nobody waits for (reads already answered, outcomes) may wait for
/// more to be written with them: fewer commits, each durable within this much more.
/// Each commit syncs the ledger, which under a stream of reads cost the writer more
/// CPU than the records did at 2 ms; a record someone waits for never waits for this.
const UNWAITED_WINDOW: Duration = Duration::from_millis(10);

/// How often the policy directory is looked at for changes.
const POLICY_CHECK: Duration = Duration::from_secs(1);

/// The policies in force, reloaded when the files in the policy directory change, so a
/// policy edited while the server runs takes effect within a second.
struct Policies {
    engine: Result<Arc<PolicyEngine>, String>,
    /// Where the policies in force are published for the inline path.
    published: Arc<RwLock<Option<Arc<PolicyEngine>>>>,
    dir: PathBuf,
    /// The name, size and modification time of each file, as last loaded.
    stamp: Vec<(PathBuf, u64, Option<SystemTime>)>,
    checked: Instant,
}

impl Policies {
    fn new(
        engine: PolicyEngine,
        dir: PathBuf,
        published: Arc<RwLock<Option<Arc<PolicyEngine>>>>,
    ) -> Self {
        let engine = Arc::new(engine);
        if let Ok(mut slot) = published.write() {
            *slot = Some(Arc::clone(&engine));
        }
        Policies {
            engine: Ok(engine),
            published,
            stamp: stamp(&dir),
            dir,
            checked: Instant::now(),
        }
    }

    fn current(&mut self) -> Result<&PolicyEngine, String> {
        if self.checked.elapsed() >= POLICY_CHECK {
            self.checked = Instant::now();
            let now = stamp(&self.dir);
            if now != self.stamp {
                self.stamp = now;
                self.engine = load(&self.dir).map(Arc::new);
                if let Ok(mut slot) = self.published.write() {
                    *slot = self.engine.as_ref().ok().map(Arc::clone);
                }
                match &self.engine {
                    Ok(_) => eprintln!(
                        "holdpoint serve: policies reloaded from {}",
                        self.dir.display()
                    ),
                    Err(e) => eprintln!(
                        "holdpoint serve: the policies in {} do not load, so every action is refused until they do: {e}",
                        self.dir.display()
                    ),
                }
            }
        }
        self.engine.as_deref().map_err(|e| {
            format!("the policies do not load, so holdpoint refuses every action until they are fixed: {e}")
        })
    }
}

fn stamp(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            Some((entry.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

fn load(dir: &Path) -> Result<PolicyEngine, String> {
    local::policy_engine_in(dir).map_err(|f| f.message)
}
