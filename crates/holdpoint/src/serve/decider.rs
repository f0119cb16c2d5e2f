//! The thread that decides and records proposals in batches.
//!
//! Every decision is durable before it is answered, and a durable commit costs a sync of
//! the disk. One thread takes every proposal waiting, decides each with the grants and
//! freezes as they stand, and settles the batch in one transaction: one sync for many
//! decisions (group commit). Under light load a batch is one proposal and nothing waits.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant, SystemTime};

use holdpoint_core::{Action, Analysis};
use holdpoint_ledger::Entry;
use holdpoint_policy::PolicyEngine;
use holdpoint_store::Executed;
use holdpoint_store::{SqliteStore, Store as _};
use tokio::sync::oneshot;

use crate::home::{Config, now_ms};
use crate::pipeline::{Decided, decide, executed_entry, proposal, scope, settled};
use crate::{Failure, local};

/// The most proposals settled in one transaction.
const MAX_BATCH: usize = 256;
/// Proposals waiting beyond this are refused at once rather than queued without end.
const QUEUE: usize = 8192;

struct Job {
    action: Action,
    analysis: Analysis,
    /// What the caller found out beyond the analysis (a proxy's count of the rows a
    /// statement would delete), recorded and shown to approvers with the effects.
    notes: Vec<String>,
    reply: oneshot::Sender<Result<Decided, String>>,
}

/// What the thread is given: a proposal to decide, or an outcome to record.
enum Work {
    Decide(Job),
    Record(Entry),
}

/// The handle request handlers send proposals to.
#[derive(Debug, Clone)]
pub(crate) struct Decider {
    jobs: SyncSender<Work>,
    pub holdpoint_home: PathBuf,
}

impl Decider {
    pub fn start(
        store: Arc<SqliteStore>,
        engine: PolicyEngine,
        config: Config,
        holdpoint_home: PathBuf,
    ) -> Result<Self, Failure> {
        let (jobs, queue) = std::sync::mpsc::sync_channel(QUEUE);
        let mut policies = Policies::new(engine, holdpoint_home.join("policies"));
        std::thread::Builder::new()
            .name("holdpoint-decider".to_owned())
            .spawn(move || run(&queue, &store, &mut policies, &config))
            .map_err(|e| Failure::internal(format!("cannot start the decision thread: {e}")))?;
        Ok(Decider {
            jobs,
            holdpoint_home,
        })
    }

    /// Records what an action did, in the next batch; not waited for. Outcomes of reads
    /// are durable within a batch's time; the decision that let the action run was
    /// durable before it ran.
    pub fn record(&self, action: &Action, executed: Executed) {
        let entry = executed_entry(action, &executed);
        if self.jobs.try_send(Work::Record(entry)).is_err() {
            eprintln!("holdpoint: the decision queue is full; an outcome was not recorded");
        }
    }

    /// Decides and records one analysed action. An error means nothing was allowed.
    pub async fn decide(&self, action: Action, analysis: Analysis) -> Result<Decided, String> {
        self.decide_noting(action, analysis, Vec::new()).await
    }

    /// [`Decider::decide`], with notes to record beside the analysed effects.
    pub async fn decide_noting(
        &self,
        action: Action,
        analysis: Analysis,
        notes: Vec<String>,
    ) -> Result<Decided, String> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(Work::Decide(Job {
            action,
            analysis,
            notes,
            reply,
        })) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err("holdpoint is overloaded: too many decisions are waiting".to_owned());
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err("the decision thread has stopped".to_owned());
            }
        }
        answer
            .await
            .map_err(|_| "the decision thread dropped the request".to_owned())?
    }
}

fn run(queue: &Receiver<Work>, store: &SqliteStore, policies: &mut Policies, config: &Config) {
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::new();
        let mut outcomes = Vec::new();
        let mut next = Some(first);
        while let Some(work) = next {
            match work {
                Work::Decide(job) => batch.push(job),
                Work::Record(entry) => outcomes.push(entry),
            }
            if batch.len() + outcomes.len() >= MAX_BATCH {
                break;
            }
            next = queue.try_recv().ok();
        }
        if !outcomes.is_empty()
            && let Err(e) = store.append(&outcomes, now_ms())
        {
            eprintln!(
                "holdpoint: {} outcomes were not recorded: {e}",
                outcomes.len()
            );
        }
        if batch.is_empty() {
            continue;
        }
        match policies.current() {
            Ok(engine) => settle_batch(batch, store, engine, config),
            Err(message) => {
                // Fail closed: nothing is decided with policies that do not load.
                for job in batch {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

/// How often the policy directory is looked at for changes.
const POLICY_CHECK: Duration = Duration::from_secs(1);

/// The policies in force, reloaded when the files in the policy directory change, so a
/// policy edited while the server runs takes effect within a second.
struct Policies {
    engine: Result<PolicyEngine, String>,
    dir: PathBuf,
    /// The name, size and modification time of each file, as last loaded.
    stamp: Vec<(PathBuf, u64, Option<SystemTime>)>,
    checked: Instant,
}

impl Policies {
    fn new(engine: PolicyEngine, dir: PathBuf) -> Self {
        Policies {
            engine: Ok(engine),
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
                self.engine = load(&self.dir);
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
        self.engine.as_ref().map_err(|e| {
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
    let sources = if dir.is_dir() {
        local::read_policy_dir(dir).map_err(|f| f.message)?
    } else {
        Vec::new()
    };
    PolicyEngine::load(&sources).map_err(|e| local::invalid_policy(e).message)
}

fn settle_batch(batch: Vec<Job>, store: &SqliteStore, engine: &PolicyEngine, config: &Config) {
    let now = now_ms();
    // The grants and freezes as they stand now, also those the command line changed.
    let (grants, freezes) = match scope(store) {
        Ok(scope) => scope,
        Err(failure) => {
            for job in batch {
                let _ = job.reply.send(Err(failure.message.clone()));
            }
            return;
        }
    };
    let decisions: Vec<_> = batch
        .iter()
        .map(|job| {
            decide(
                engine,
                config,
                &job.action,
                &job.analysis,
                now,
                &grants,
                &freezes,
            )
        })
        .collect();
    let proposals: Vec<_> = batch
        .iter()
        .zip(&decisions)
        .map(|(job, decision)| {
            let mut proposal = proposal(&job.action, &job.analysis, decision, config);
            proposal.effects.extend(job.notes.iter().cloned());
            proposal
        })
        .collect();
    let settled_all = store.settle_all(&proposals, now);
    drop(proposals);
    match settled_all {
        Ok(results) => {
            for ((job, decision), result) in batch.into_iter().zip(decisions).zip(results) {
                let answer = result
                    .map(|settlement| settled(job.action, job.analysis, decision, settlement))
                    .map_err(|e| format!("cannot record the decision: {e}"));
                let _ = job.reply.send(answer);
            }
        }
        Err(e) => {
            for job in batch {
                let _ = job
                    .reply
                    .send(Err(format!("cannot record the decision: {e}")));
            }
        }
    }
}
