//! The ledger's pure half: what a record is and how it is hashed, the Merkle tree that
//! signed checkpoints cover (RFC 6962 / RFC 9162 hashing), receipts, the verifier that
//! finds the first bad record, and the rules an approval follows.
//!
//! Nothing here performs I/O or reads the clock: the store feeds records in and keeps
//! what comes out.

mod approval;
mod checkpoint;
mod hash;
mod merkle;
mod record;
mod verify;

pub use approval::{ApprovalRequest, ApprovalState, Proof, Refusal, Vote, VoteKind, short_id};
pub use checkpoint::{Checkpoint, KeyError, Receipt, SigningKey, VerifyingKey, key_id};
pub use hash::{Hash, ParseHashError};
pub use merkle::Frontier;
pub use record::{Actors, Body, Entry, Kind, Record, RecordError, StoredRecord, encode};
pub use verify::{Break, Verifier, VerifyReport};
