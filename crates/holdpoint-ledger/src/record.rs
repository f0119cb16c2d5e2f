//! Ledger records: their versioned form, how they are encoded and hashed.
//!
//! A record is stored as the exact JSON text it was hashed from, so verifying never
//! depends on re-serialising: the hash covers the bytes on disk.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hash::Hash;

/// What a record says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An agent proposed an action.
    Proposed,
    /// holdpoint decided it.
    Decided,
    ApprovalRequested,
    /// One human approved; the request is approved once the quorum is reached.
    ApprovalGiven,
    ApprovalRefused,
    ApprovalExpired,
    /// An approved request let its action through once.
    ApprovalUsed,
    /// What happened when the action ran, as holdpoint observed it.
    Executed,
    GrantIssued,
    GrantRevoked,
    FreezeStarted,
    FreezeEnded,
    HumanAdded,
    /// An agent identity was issued a credential.
    AgentAdded,
    /// What a destructive statement would destroy was kept before it ran.
    RecoveryKept,
    /// A recovery point was put back.
    RecoveryRestored,
    /// A recovery point was deleted for good.
    RecoveryPurged,
    /// Something found out after a request was opened (a blast radius) was added to it.
    ApprovalNoted,
    /// A human registered a passkey.
    PasskeyAdded,
    /// A passkey was taken away (a lost authenticator).
    PasskeyRemoved,
    /// The person's instruction for an agent's turn, as the agent passed it on.
    Instructed,
}

impl Kind {
    pub const ALL: [Kind; 21] = [
        Kind::Proposed,
        Kind::Decided,
        Kind::ApprovalRequested,
        Kind::ApprovalGiven,
        Kind::ApprovalRefused,
        Kind::ApprovalExpired,
        Kind::ApprovalUsed,
        Kind::Executed,
        Kind::GrantIssued,
        Kind::GrantRevoked,
        Kind::FreezeStarted,
        Kind::FreezeEnded,
        Kind::HumanAdded,
        Kind::AgentAdded,
        Kind::RecoveryKept,
        Kind::RecoveryRestored,
        Kind::RecoveryPurged,
        Kind::ApprovalNoted,
        Kind::PasskeyAdded,
        Kind::PasskeyRemoved,
        Kind::Instructed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Proposed => "proposed",
            Kind::Decided => "decided",
            Kind::ApprovalRequested => "approval_requested",
            Kind::ApprovalGiven => "approval_given",
            Kind::ApprovalRefused => "approval_refused",
            Kind::ApprovalExpired => "approval_expired",
            Kind::ApprovalUsed => "approval_used",
            Kind::Executed => "executed",
            Kind::GrantIssued => "grant_issued",
            Kind::GrantRevoked => "grant_revoked",
            Kind::FreezeStarted => "freeze_started",
            Kind::FreezeEnded => "freeze_ended",
            Kind::HumanAdded => "human_added",
            Kind::AgentAdded => "agent_added",
            Kind::RecoveryKept => "recovery_kept",
            Kind::RecoveryRestored => "recovery_restored",
            Kind::RecoveryPurged => "recovery_purged",
            Kind::ApprovalNoted => "approval_noted",
            Kind::PasskeyAdded => "passkey_added",
            Kind::PasskeyRemoved => "passkey_removed",
            Kind::Instructed => "instructed",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who took part: the agent and its session, the human, the grant in force, and the OS
/// user whose process wrote the record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
}

/// What a writer asks to append; the store gives it a sequence number, a time and the
/// previous record's hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub kind: Kind,
    pub actors: Actors,
    /// The action digest (`sha256:…`) the record is about, if any.
    pub digest: Option<String>,
    /// The approval request the record is about, if any.
    pub approval: Option<String>,
    /// Kind-specific detail, built from explicit record types by the writer.
    pub body: Value,
}

impl Entry {
    pub fn new(kind: Kind, actors: Actors, body: Value) -> Self {
        Entry {
            kind,
            actors,
            digest: None,
            approval: None,
            body,
        }
    }

    pub fn digest(mut self, digest: impl Into<String>) -> Self {
        self.digest = Some(digest.into());
        self
    }

    pub fn approval(mut self, id: impl Into<String>) -> Self {
        self.approval = Some(id.into());
        self
    }
}

/// Version 1 of a record as stored and hashed. Fields are never reordered or renamed:
/// a new shape gets a new `v`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub v: u32,
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub kind: Kind,
    pub prev: Hash,
    pub actors: Actors,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    pub body: Value,
}

/// A record as a store holds it: the exact text that was hashed, the hash kept beside
/// it, and the columns a store indexes for queries (which the verifier checks against the
/// text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    pub seq: u64,
    pub hash: Hash,
    pub text: String,
    pub at_ms: i64,
    pub kind: String,
    pub session: Option<String>,
    pub digest: Option<String>,
}

impl StoredRecord {
    /// The record, parsed from its stored text.
    pub fn record(&self) -> Result<Record, RecordError> {
        serde_json::from_str(&self.text).map_err(|e| RecordError::Malformed(e.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the record is not valid ledger JSON: {0}")]
    Malformed(String),
    #[error("cannot encode the record: {0}")]
    Encode(String),
}

/// Encodes an entry as record `seq`, returning the stored form.
pub fn encode(
    seq: u64,
    at_ms: i64,
    prev: Hash,
    entry: &Entry,
) -> Result<StoredRecord, RecordError> {
    let record = Record {
        v: 1,
        seq,
        at_ms,
        kind: entry.kind,
        prev,
        actors: entry.actors.clone(),
        digest: entry.digest.clone(),
        approval: entry.approval.clone(),
        body: entry.body.clone(),
    };
    let text = serde_json::to_string(&record).map_err(|e| RecordError::Encode(e.to_string()))?;
    Ok(StoredRecord {
        seq,
        hash: Hash::leaf(text.as_bytes()),
        at_ms,
        kind: entry.kind.as_str().to_owned(),
        session: entry.actors.session.clone(),
        digest: entry.digest.clone(),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
    }

    #[test]
    fn the_hash_covers_the_stored_text() {
        let entry = Entry::new(
            Kind::Proposed,
            Actors {
                agent: Some("claude-code".into()),
                ..Actors::default()
            },
            serde_json::json!({"input": "ls"}),
        );
        let stored = encode(1, 5, Hash::ZERO, &entry).unwrap();
        assert_eq!(stored.hash, Hash::leaf(stored.text.as_bytes()));
        assert_eq!(stored.record().unwrap().seq, 1);
        let other = encode(1, 6, Hash::ZERO, &entry).unwrap();
        assert_ne!(stored.hash, other.hash);
    }
}
