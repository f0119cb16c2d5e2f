//! Verifying a ledger: recompute every record's hash, the chain, the Merkle root at each
//! checkpoint and each checkpoint's signature, and name the first record where anything
//! disagrees.

use std::collections::VecDeque;
use std::fmt;

use crate::checkpoint::{Checkpoint, VerifyingKey};
use crate::hash::Hash;
use crate::merkle::Frontier;
use crate::record::StoredRecord;

/// The first thing found wrong with a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// A record is missing or out of place: `expected` was due, `found` came.
    Missing { expected: u64, found: u64 },
    /// The record's text does not hash to the hash stored beside it.
    Changed { seq: u64 },
    /// The record's text cannot be read as a ledger record.
    Malformed { seq: u64, error: String },
    /// The text says a different sequence number than its place in the ledger.
    Misplaced { seq: u64, says: u64 },
    /// The record does not name the previous record's hash: the previous record was
    /// rewritten together with its stored hash.
    Chain { seq: u64 },
    /// An indexed column disagrees with the record's text.
    Column { seq: u64, column: &'static str },
    /// The records up to a checkpoint do not give its signed root.
    Root { size: u64 },
    /// A checkpoint's signature does not verify with the key.
    Signature { size: u64 },
    /// A checkpoint covers more records than the ledger holds.
    Truncated { size: u64, records: u64 },
    /// A checkpoint that every ledger of this size has is gone.
    MissingCheckpoint { size: u64 },
}

impl Break {
    /// The record to look at first.
    pub fn record(&self) -> u64 {
        match *self {
            Break::Missing { expected, .. } => expected,
            Break::Changed { seq }
            | Break::Malformed { seq, .. }
            | Break::Misplaced { seq, .. }
            | Break::Column { seq, .. } => seq,
            // The link into `seq` is broken: the record before it is the one that no
            // longer matches (or `seq` was inserted after it).
            Break::Chain { seq } => seq.saturating_sub(1),
            Break::Root { size }
            | Break::Signature { size }
            | Break::MissingCheckpoint { size } => size,
            Break::Truncated { records, .. } => records + 1,
        }
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Missing { expected, found } => write!(
                f,
                "record #{expected} is missing: the next record is #{found} (deleted or reordered)"
            ),
            Break::Changed { seq } => write!(
                f,
                "record #{seq} was changed: its text no longer matches its hash"
            ),
            Break::Malformed { seq, error } => write!(f, "record #{seq} is unreadable: {error}"),
            Break::Misplaced { seq, says } => write!(
                f,
                "record #{seq} holds the text of record #{says} (reordered or replaced)"
            ),
            Break::Chain { seq } => write!(
                f,
                "record #{} was changed or replaced: record #{seq} names a different hash for it",
                seq.saturating_sub(1)
            ),
            Break::Column { seq, column } => write!(
                f,
                "record #{seq} was changed: its `{column}` column disagrees with the signed text"
            ),
            Break::Root { size } => write!(
                f,
                "the records up to #{size} do not give the Merkle root signed at that size (records were changed and rehashed)"
            ),
            Break::Signature { size } => write!(
                f,
                "the checkpoint at #{size} has a signature that does not verify with this key"
            ),
            Break::MissingCheckpoint { size } => write!(
                f,
                "the signed checkpoint at #{size} is missing: checkpoints were deleted, so the records up to #{size} cannot be trusted"
            ),
            Break::Truncated { size, records } => write!(
                f,
                "the ledger was truncated: a checkpoint signed {size} records but only {records} remain; record #{} onwards is gone",
                records + 1
            ),
        }
    }
}

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub checkpoints: u64,
    pub root: Hash,
    /// The size of the last signed checkpoint; records after it are chained but not yet
    /// signed.
    pub signed_size: u64,
}

/// Checks records fed in sequence order against the checkpoints.
#[derive(Debug)]
pub struct Verifier {
    key: VerifyingKey,
    /// Every ledger has a checkpoint at each multiple of this size.
    interval: u64,
    pending: VecDeque<Checkpoint>,
    frontier: Frontier,
    prev: Hash,
    checked: u64,
    signed_size: u64,
    checkpoints: u64,
}

impl Verifier {
    /// A verifier for a ledger that signs a checkpoint at every multiple of `interval`
    /// records (and may sign more in between).
    pub fn new(mut checkpoints: Vec<Checkpoint>, key: VerifyingKey, interval: u64) -> Self {
        checkpoints.sort_by_key(|c| c.size);
        Verifier {
            key,
            interval,
            pending: checkpoints.into(),
            frontier: Frontier::default(),
            prev: Hash::ZERO,
            checked: 0,
            signed_size: 0,
            checkpoints: 0,
        }
    }

    /// Checks the next record.
    pub fn feed(&mut self, stored: &StoredRecord) -> Result<(), Break> {
        let seq = self.frontier.size() + 1;
        if stored.seq != seq {
            return Err(Break::Missing {
                expected: seq,
                found: stored.seq,
            });
        }
        if Hash::leaf(stored.text.as_bytes()) != stored.hash {
            return Err(Break::Changed { seq });
        }
        let record = stored.record().map_err(|e| Break::Malformed {
            seq,
            error: e.to_string(),
        })?;
        if record.seq != seq {
            return Err(Break::Misplaced {
                seq,
                says: record.seq,
            });
        }
        if record.prev != self.prev {
            return Err(Break::Chain { seq });
        }
        let column = if record.kind.as_str() != stored.kind {
            Some("kind")
        } else if record.actors.session != stored.session {
            Some("session")
        } else if record.digest != stored.digest {
            Some("digest")
        } else if record.at_ms != stored.at_ms {
            Some("time")
        } else {
            None
        };
        if let Some(column) = column {
            return Err(Break::Column { seq, column });
        }
        self.prev = stored.hash;
        self.frontier.push(stored.hash);
        self.checked += 1;
        let due = self.interval > 0 && seq.is_multiple_of(self.interval);
        if due && self.pending.front().is_none_or(|c| c.size != seq) {
            return Err(Break::MissingCheckpoint { size: seq });
        }
        while let Some(checkpoint) = self.pending.front() {
            if checkpoint.size > seq {
                break;
            }
            if checkpoint.size == seq {
                if !checkpoint.verify(&self.key) {
                    return Err(Break::Signature { size: seq });
                }
                if checkpoint.root != self.frontier.root() {
                    return Err(Break::Root { size: seq });
                }
                self.signed_size = seq;
                self.checkpoints += 1;
            }
            self.pending.pop_front();
        }
        Ok(())
    }

    /// Ends the run: every checkpoint must have been reached.
    pub fn finish(self) -> Result<VerifyReport, Break> {
        if let Some(last) = self.pending.back() {
            return Err(Break::Truncated {
                size: last.size,
                records: self.checked,
            });
        }
        Ok(VerifyReport {
            records: self.checked,
            checkpoints: self.checkpoints,
            root: self.frontier.root(),
            signed_size: self.signed_size,
        })
    }
}
