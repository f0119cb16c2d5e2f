//! Ledger records: their versioned form, how they are encoded and hashed.
//!
//! A record is stored as the exact JSON text it was hashed from, so verifying never
//! depends on re-serialising: the hash covers the bytes on disk.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

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
    /// A read that was allowed and ran: what was proposed, the decision and what it did,
    /// in one record where `proposed`, `decided` and `executed` would say nothing more.
    Ran,
}

impl Kind {
    pub const ALL: [Kind; 22] = [
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
        Kind::Ran,
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
            Kind::Ran => "ran",
        }
    }

    /// The record version that introduced this kind, which its records carry as `v`: a
    /// reader that knows only an older version refuses them by their version, rather
    /// than misreading them.
    pub fn version(self) -> u32 {
        match self {
            Kind::Ran => 2,
            _ => 1,
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
    pub body: Body,
}

/// A record's body as the JSON text it goes into the record as: serialised once, from
/// the writer's own record type, and copied as it is.
#[derive(Clone, Debug)]
pub struct Body(Box<RawValue>);

impl Body {
    /// The body of `value`; `null` for what cannot be JSON (a map with keys that are not
    /// strings), which no record type has.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Body {
        Body(serde_json::value::to_raw_value(value).unwrap_or_else(|_| null()))
    }

    pub fn text(&self) -> &str {
        self.0.get()
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).unwrap_or_default()
}

impl From<Value> for Body {
    fn from(value: Value) -> Self {
        Body::of(&value)
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Entry {
    pub fn new(kind: Kind, actors: Actors, body: impl Into<Body>) -> Self {
        Entry {
            kind,
            actors,
            digest: None,
            approval: None,
            body: body.into(),
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

/// A record as stored and hashed. Fields are never reordered or renamed: a new shape gets
/// a new `v`. Version 1 is every kind but `ran`; version 2 has the same fields and adds
/// the kind `ran` ([`Kind::version`]).
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
        let record: Record =
            serde_json::from_str(&self.text).map_err(|e| RecordError::Malformed(e.to_string()))?;
        if record.v != record.kind.version() {
            return Err(RecordError::Malformed(format!(
                "a `{}` record is version {}, not {}",
                record.kind,
                record.kind.version(),
                record.v
            )));
        }
        Ok(record)
    }
}

impl Record {
    /// What the record says, as the kinds of version 1 would say it: a `ran` record is
    /// its `proposed`, `decided` and `executed` parts, in that order; any other record
    /// is itself. Readers that follow an action through the ledger read these.
    pub fn parts(&self) -> Vec<(Kind, &Value)> {
        if self.kind != Kind::Ran {
            return vec![(self.kind, &self.body)];
        }
        [
            (Kind::Proposed, "proposed"),
            (Kind::Decided, "decided"),
            (Kind::Executed, "executed"),
        ]
        .into_iter()
        .filter_map(|(kind, key)| Some((kind, self.body.get(key)?)))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the record is not valid ledger JSON: {0}")]
    Malformed(String),
    #[error("cannot encode the record: {0}")]
    Encode(String),
}

/// [`Record`] as it is written: the same fields in the same order, borrowed from the
/// entry rather than copied.
#[derive(Serialize)]
struct Encoded<'a> {
    v: u32,
    seq: u64,
    at_ms: i64,
    kind: Kind,
    prev: Hash,
    actors: &'a Actors,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approval: Option<&'a str>,
    body: &'a RawValue,
}

/// Encodes an entry as record `seq`, returning the stored form.
pub fn encode(
    seq: u64,
    at_ms: i64,
    prev: Hash,
    entry: &Entry,
) -> Result<StoredRecord, RecordError> {
    let record = Encoded {
        v: entry.kind.version(),
        seq,
        at_ms,
        kind: entry.kind,
        prev,
        actors: &entry.actors,
        digest: entry.digest.as_deref(),
        approval: entry.approval.as_deref(),
        body: &entry.body.0,
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

    /// The text a record is hashed from never changes for an entry: a store written by an
    /// earlier holdpoint verifies, and so do the records written now.
    #[test]
    fn records_are_written_in_one_stable_form() {
        let entry = Entry::new(
            Kind::Decided,
            Actors {
                agent: Some("ci".into()),
                session: Some("s1".into()),
                ..Actors::default()
            },
            serde_json::json!({"outcome": "allow", "risk": "read"}),
        )
        .digest("sha256:ab");
        let stored = encode(7, 1_700_000_000_000, Hash::leaf(b"x"), &entry).unwrap();
        assert_eq!(
            stored.text,
            format!(
                r#"{{"v":1,"seq":7,"at_ms":1700000000000,"kind":"decided","prev":"{}","actors":{{"agent":"ci","session":"s1"}},"digest":"sha256:ab","body":{{"outcome":"allow","risk":"read"}}}}"#,
                Hash::leaf(b"x")
            )
        );
        assert_eq!(stored.record().unwrap().body["risk"], "read");
    }

    #[test]
    fn a_ran_record_is_version_2_and_reads_as_its_three_parts() {
        let entry = Entry::new(
            Kind::Ran,
            Actors::default(),
            serde_json::json!({
                "proposed": {"input": "SELECT 1"},
                "decided": {"outcome": "allow"},
                "executed": {"outcome": "succeeded"},
            }),
        );
        let stored = encode(1, 5, Hash::ZERO, &entry).unwrap();
        assert!(stored.text.starts_with(r#"{"v":2,"#), "{}", stored.text);
        let record = stored.record().unwrap();
        let parts: Vec<_> = record
            .parts()
            .into_iter()
            .map(|(kind, body)| (kind, body["outcome"].as_str().unwrap_or("-").to_owned()))
            .collect();
        assert_eq!(
            parts,
            [
                (Kind::Proposed, "-".to_owned()),
                (Kind::Decided, "allow".to_owned()),
                (Kind::Executed, "succeeded".to_owned()),
            ]
        );
        // A record claiming a version its kind does not have is not read as one.
        let claimed = StoredRecord {
            text: stored.text.replacen(r#""v":2"#, r#""v":1"#, 1),
            ..stored
        };
        assert!(claimed.record().is_err());
    }
}
