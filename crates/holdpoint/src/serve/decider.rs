//! The thread that decides and records proposals in batches.
//!
//! Every decision is durable before it is answered, and a durable commit costs a sync of
//! the disk. One thread takes every proposal waiting, decides each with the grants and
//! freezes as they stand, and settles the batch in one transaction: one sync for many
//! decisions (group commit). Under light load a batch is one proposal and nothing waits.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use holdpoint_core::{Action, Analysis};
use holdpoint_policy::PolicyEngine;
use holdpoint_store::{SqliteStore, Store as _};
use tokio::sync::oneshot;

use crate::Failure;
use crate::home::{Config, now_ms};
use crate::pipeline::{Decided, decide, proposal, scope, settled};

/// The most proposals settled in one transaction.
const MAX_BATCH: usize = 256;
/// Proposals waiting beyond this are refused at once rather than queued without end.
const QUEUE: usize = 8192;

struct Job {
    action: Action,
    analysis: Analysis,
    reply: oneshot::Sender<Result<Decided, String>>,
}

/// The handle request handlers send proposals to.
#[derive(Debug, Clone)]
pub(crate) struct Decider {
    jobs: SyncSender<Job>,
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
        std::thread::Builder::new()
            .name("holdpoint-decider".to_owned())
            .spawn(move || run(&queue, &store, &engine, &config))
            .map_err(|e| Failure::internal(format!("cannot start the decision thread: {e}")))?;
        Ok(Decider {
            jobs,
            holdpoint_home,
        })
    }

    /// Decides and records one analysed action. An error means nothing was allowed.
    pub async fn decide(&self, action: Action, analysis: Analysis) -> Result<Decided, String> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(Job {
            action,
            analysis,
            reply,
        }) {
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

fn run(queue: &Receiver<Job>, store: &SqliteStore, engine: &PolicyEngine, config: &Config) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        settle_batch(batch, store, engine, config);
    }
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
        .map(|(job, decision)| proposal(&job.action, &job.analysis, decision, config))
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
