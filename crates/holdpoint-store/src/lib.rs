//! holdpoint's state and the only code that touches it: the ledger, approval requests,
//! grants, freezes and the humans who may answer.
//!
//! [`Store`] is what the rest of holdpoint programs against; [`SqlStore`] implements it
//! once over two databases: one SQLite file for a single machine (the default), or a
//! PostgreSQL database that a team's servers and proxies share. Every state change
//! appends its ledger records in the same transaction, so the ledger and the state never
//! disagree, and nothing is acknowledged before it is durable.

mod bodies;
mod db;
mod postgresql;
mod sqlite;
mod state;

use holdpoint_core::Action;
use holdpoint_ledger::{ApprovalRequest, Checkpoint, Entry, Refusal, StoredRecord, Vote};
use holdpoint_policy::{Decision, Freeze, Grant, Outcome};
use serde::{Deserialize, Serialize};

pub use bodies::{
    AgentAdded, ApprovalAnswered, ApprovalRequested, ApprovalUsed, Decided, Executed, FreezeEnded,
    FreezeStarted, GrantIssued, GrantRevoked, HumanAdded, Instructed, Proposed, Ran, json,
};
pub use postgresql::Listener;
pub use sqlite::BUSY_TIMEOUT;
pub use state::{SqlStore, read_anchor};

/// Records between two automatic signed checkpoints.
pub const CHECKPOINT_EVERY: u64 = 256;

/// The fields of a record's text that chain it to the one before: what is checked of
/// each record a checkpoint is about to sign, besides its hash.
#[derive(Deserialize)]
struct ChainLink {
    seq: u64,
    prev: holdpoint_ledger::Hash,
}

/// Extends `frontier` to `size` with `rows` (each record after it as stored: number,
/// hash, text, in order), checking each first; `prev` is the hash of the record the
/// frontier ends with. What every store runs before it signs a checkpoint.
fn extend_checked(
    frontier: &mut holdpoint_ledger::Frontier,
    mut prev: holdpoint_ledger::Hash,
    size: u64,
    rows: impl IntoIterator<Item = Result<(i64, String, String), StoreError>>,
) -> Result<(), StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
    // INVARIANT: a checkpoint signs only records that check out: each text hashes to its
    // stored hash and names the previous record's. The key never vouches for a history
    // someone rewrote in the database.
    for row in rows {
        let (seq, hash, text) = row?;
        let hash: holdpoint_ledger::Hash = hash.parse().map_err(|e| corrupt(&e))?;
        let link: ChainLink = serde_json::from_str(&text).map_err(|e| corrupt(&e))?;
        if holdpoint_ledger::Hash::leaf(text.as_bytes()) != hash
            || link.prev != prev
            || i64::try_from(link.seq).ok() != Some(seq)
        {
            return Err(StoreError::Corrupt(format!(
                "record #{seq} does not check out, so no checkpoint was signed: run `holdpoint log verify`"
            )));
        }
        prev = hash;
        frontier.push(hash);
    }
    if frontier.size() != size {
        return Err(StoreError::Corrupt(format!(
            "records are missing below #{size}: run `holdpoint log verify`"
        )));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at `{path}` cannot be opened: {message}")]
    Open { path: String, message: String },
    #[error(
        "the store was written by a newer holdpoint (schema {found}, this one knows {known}): upgrade holdpoint"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("the store failed: {0}")]
    Database(String),
    #[error("a stored value is unreadable: {0}")]
    Corrupt(String),
    #[error("no {what} `{id}`")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

/// One action as decided, to be recorded and, for `ask`, matched against approvals.
#[derive(Debug, Clone)]
pub struct Proposal<'a> {
    pub action: &'a Action,
    pub decision: &'a Decision,
    /// What analysis found, in sentences.
    pub effects: Vec<String>,
    /// The OS user whose process proposes it.
    pub os_user: Option<String>,
    /// How long a new approval request stays open, and how long an approval stays usable.
    pub approval_ttl_ms: i64,
    /// What a human types to confirm it, where policy asks for that: the name of the
    /// first thing it destroys; `None`: the action's target.
    pub confirm: Option<String>,
    /// What an approver is shown of the action's content (a file write's text).
    pub shown: Option<String>,
}

/// What holdpoint does with a proposal once approvals are taken into account.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub outcome: Outcome,
    /// The request that holds the action, or the approval that let it through.
    pub approval: Option<ApprovalRequest>,
    /// `true` when a new request was opened for this proposal.
    pub new_request: bool,
    /// The `decided` record.
    pub decided: StoredRecord,
    /// The humans whose approval let the action through.
    pub approved_by: Vec<String>,
    /// The reasons recorded with the decision, including any a human gave.
    pub reasons: Vec<String>,
}

/// A grant as stored: the policy's view of it and who issued it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGrant {
    #[serde(flatten)]
    pub grant: Grant,
    pub issued_by: String,
    pub created_ms: i64,
}

/// A freeze as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFreeze {
    pub id: String,
    #[serde(flatten)]
    pub freeze: Freeze,
    pub started_by: String,
    pub ended_by: Option<String>,
}

/// A human's WebAuthn credential: a passkey, a security key or a platform authenticator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPasskey {
    /// The credential's id (base64url), as assertions name it.
    pub id: String,
    pub human: String,
    /// What the human called it ("laptop", "security key").
    pub name: String,
    /// The relying party's record of the credential (its public key and signature
    /// counter), as the server's WebAuthn library writes it.
    pub credential: serde_json::Value,
    pub created_ms: i64,
    #[serde(default)]
    pub used_ms: Option<i64>,
}

/// A human who may approve, grant and freeze, with the hash of their secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Human {
    pub name: String,
    /// A PHC-format password hash; the secret itself is never stored.
    pub secret_hash: String,
    pub created_ms: i64,
    /// An admin may add humans and agents.
    pub admin: bool,
}

/// An agent identity: it may propose actions and read its own requests, never answer
/// them. Its credential is stored only as a password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdentity {
    pub name: String,
    /// A PHC-format password hash of the agent's token.
    pub token_hash: String,
    pub created_ms: i64,
}

/// What a destructive statement would have destroyed, kept in the database's
/// `holdpoint_recovery` schema before it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPoint {
    /// `rcv-…`; the kept table is `holdpoint_recovery.rcv_…`.
    pub id: String,
    /// `drop` (the table was moved), `truncate`, `delete` or `update` (rows were copied).
    pub loss: String,
    /// The table as the statement named it.
    pub table: String,
    /// Where the database is: `host:port`, database and the user holdpoint connects as.
    pub address: String,
    pub database: String,
    pub user: String,
    pub statement: String,
    pub digest: String,
    pub agent: String,
    pub session: Option<String>,
    /// Rows copied, when the server said.
    pub rows: Option<u64>,
    pub created_ms: i64,
    /// `kept`, `restored` or `purged`.
    pub state: String,
}

impl RecoveryPoint {
    /// The table that holds what was kept.
    pub fn kept_table(&self) -> String {
        format!("holdpoint_recovery.{}", self.id.replace('-', "_"))
    }
}

/// A human signed in to the console or the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// SHA-256 of the session token, hex; the token itself is never stored.
    pub token_hash: String,
    pub human: String,
    /// What every state-changing form and cookie-authenticated API call must carry.
    pub csrf: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// The client it was made from (an address, or a local user), and the browser's
    /// `User-Agent`: a sign-in is good from there only. Empty in sign-ins made before
    /// they were kept.
    pub client: String,
    pub browser: String,
}

/// Where sending the ledger to one OpenTelemetry collector stands (`[telemetry]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportState {
    /// The first record the collector has not taken.
    pub next_seq: u64,
    /// The process that sends, and until when its lease runs unless renewed.
    pub holder: Option<String>,
    pub lease_until_ms: i64,
    /// When the collector last took a batch.
    pub sent_ms: Option<i64>,
    /// Why the last export failed, and when; cleared when one succeeds.
    pub failure: Option<String>,
    pub failed_ms: Option<i64>,
}

/// Everything holdpoint keeps. Every method that changes state appends its ledger
/// records in the same transaction and returns only once they are durable.
pub trait Store: Send + Sync {
    /// Appends records, returning them as stored.
    fn append(&self, entries: &[Entry], now_ms: i64) -> Result<Vec<StoredRecord>, StoreError>;
    /// Up to `limit` records from `from` (a sequence number) on.
    fn records(&self, from: u64, limit: usize) -> Result<Vec<StoredRecord>, StoreError>;
    /// Every record of one agent session, in order.
    fn session_records(&self, session: &str) -> Result<Vec<StoredRecord>, StoreError>;
    /// Calls `each` for every record in order; stops at the first error it returns.
    fn scan(
        &self,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), String>,
    ) -> Result<Result<(), String>, StoreError>;
    /// The number of records.
    fn size(&self) -> Result<u64, StoreError>;
    fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError>;
    /// Signs a checkpoint at the current size; refused when the last one already covers
    /// it or a record since then does not check out.
    fn checkpoint(&self, now_ms: i64) -> Result<Checkpoint, StoreError>;

    /// Records a decided action; for `ask`, uses a matching approval once or opens (or
    /// finds) the request that holds it.
    fn settle(&self, proposal: &Proposal<'_>, now_ms: i64) -> Result<Settlement, StoreError>;
    /// Settles several proposals in one transaction, so that they share one sync: what a
    /// server does under load; `also` are further entries appended after them in the same
    /// transaction (outcomes waiting to be recorded, which may be of these proposals).
    /// Each proposal succeeds or fails on its own; the outer error means none was
    /// recorded.
    fn settle_all(
        &self,
        proposals: &[Proposal<'_>],
        also: &[Entry],
        now_ms: i64,
    ) -> Result<Vec<Result<Settlement, StoreError>>, StoreError>;
    fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>, StoreError>;
    /// Adds a sentence to a pending request's effects (what approvers read), recorded.
    fn note_approval(&self, id: &str, note: &str, now_ms: i64) -> Result<(), StoreError>;
    /// Requests, newest first; pending ones whose time is up are marked expired first.
    fn approvals(&self, now_ms: i64) -> Result<Vec<ApprovalRequest>, StoreError>;
    /// One human's answer to a request.
    fn answer(
        &self,
        id: &str,
        vote: Vote,
        confirmed: Option<&str>,
        os_user: Option<String>,
    ) -> Result<ApprovalRequest, StoreError>;

    fn grants(&self) -> Result<Vec<StoredGrant>, StoreError>;
    fn issue_grant(
        &self,
        grant: StoredGrant,
        os_user: Option<String>,
    ) -> Result<StoredGrant, StoreError>;
    fn revoke_grant(
        &self,
        id: &str,
        human: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredGrant, StoreError>;

    fn freezes(&self) -> Result<Vec<StoredFreeze>, StoreError>;
    fn start_freeze(
        &self,
        freeze: StoredFreeze,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredFreeze, StoreError>;
    fn end_freeze(
        &self,
        id: &str,
        human: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredFreeze, StoreError>;

    /// Whether policies with this fingerprint passed validation before.
    fn policies_validated(&self, fingerprint: &str) -> Result<bool, StoreError>;
    fn mark_policies_validated(&self, fingerprint: &str, now_ms: i64) -> Result<(), StoreError>;

    /// Whether `agent`'s `session` has a recorded instruction from its person
    /// (`instructed`): another agent's under the same session id does not count.
    fn instructed(&self, agent: &str, session: &str) -> Result<bool, StoreError>;
    /// Where an agent session's last turn ended: the last ledger record it covered and
    /// when it ended.
    fn turn_ended(&self, session: &str) -> Result<Option<(u64, i64)>, StoreError>;
    /// Records that a session's turn ended, covering the ledger through `through_seq`.
    fn end_turn(&self, session: &str, through_seq: u64, now_ms: i64) -> Result<(), StoreError>;

    /// Where sending the ledger to the collector `sink` stands; `None` before anything
    /// was sent there.
    fn export_state(&self, sink: &str) -> Result<Option<ExportState>, StoreError>;
    /// Takes or renews the lease to send to `sink` for `lease_ms`: `Ok(next)`, the first
    /// record the collector has not taken, when `holder` has it; `Err(other)` naming the
    /// holder whose lease still runs.
    fn claim_export(
        &self,
        sink: &str,
        holder: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Result<u64, String>, StoreError>;
    /// Marks the records before `next_seq` as taken by `sink`, if `holder` still holds
    /// the lease; whether it did.
    fn exported(
        &self,
        sink: &str,
        holder: &str,
        next_seq: u64,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Keeps why sending to `sink` failed, until an export succeeds.
    fn export_failed(
        &self,
        sink: &str,
        holder: &str,
        failure: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Gives up `holder`'s lease on `sink`, so that another sender may start at once.
    fn release_export(&self, sink: &str, holder: &str) -> Result<(), StoreError>;

    /// The judgement remembered under `key` (a `holdpoint_policy::Memo` key), as it was
    /// stored.
    fn remembered(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Whether any judgement of the policies of `fingerprint` is remembered.
    fn remembers(&self, fingerprint: &str) -> Result<bool, StoreError>;
    /// Remembers `judged` under `key` for the policies of `fingerprint`, forgetting the
    /// judgements of any other policies, and the oldest beyond a bound.
    fn remember(
        &self,
        fingerprint: &str,
        key: &str,
        judged: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;

    fn humans(&self) -> Result<Vec<Human>, StoreError>;
    fn add_human(
        &self,
        human: Human,
        added_by: Option<&str>,
        os_user: Option<String>,
    ) -> Result<(), StoreError>;

    /// A human's passkeys, oldest first.
    fn passkeys(&self, human: &str) -> Result<Vec<StoredPasskey>, StoreError>;
    /// Registers a passkey, recorded as `passkey_added`.
    fn add_passkey(
        &self,
        passkey: &StoredPasskey,
        os_user: Option<String>,
    ) -> Result<(), StoreError>;
    /// Takes passkey `id` away, recorded as `passkey_removed` by `removed_by`.
    fn remove_passkey(
        &self,
        id: &str,
        removed_by: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredPasskey, StoreError>;
    /// A passkey was used: its credential (the signature counter moves) and when.
    fn passkey_used(
        &self,
        id: &str,
        credential: &serde_json::Value,
        now_ms: i64,
    ) -> Result<(), StoreError>;

    fn agents(&self) -> Result<Vec<AgentIdentity>, StoreError>;
    fn add_agent(
        &self,
        agent: AgentIdentity,
        added_by: &str,
        os_user: Option<String>,
    ) -> Result<(), StoreError>;

    /// Records a recovery point that was kept.
    fn keep_recovery(&self, point: &RecoveryPoint, now_ms: i64) -> Result<(), StoreError>;
    fn recoveries(&self) -> Result<Vec<RecoveryPoint>, StoreError>;
    /// Marks a recovery point restored or purged, by a human.
    fn settle_recovery(
        &self,
        id: &str,
        state: &str,
        human: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<RecoveryPoint, StoreError>;

    /// Records a sign-in; expired ones are removed on the way.
    fn open_sign_in(&self, sign_in: &SignIn) -> Result<(), StoreError>;
    /// The sign-in a session token hash names, if it has not expired.
    fn sign_in(&self, token_hash: &str, now_ms: i64) -> Result<Option<SignIn>, StoreError>;
    fn close_sign_in(&self, token_hash: &str) -> Result<(), StoreError>;
    /// A human's sign-ins still open, newest first.
    fn sign_ins_of(&self, human: &str, now_ms: i64) -> Result<Vec<SignIn>, StoreError>;
}

/// A fresh random id with a prefix, e.g. `apr-7kq2mxtd`.
pub fn new_id(prefix: &str) -> Result<String, StoreError> {
    let mut random = [0u8; 5];
    getrandom::fill(&mut random)
        .map_err(|e| StoreError::Database(format!("no randomness for an id: {e}")))?;
    Ok(holdpoint_ledger::short_id(prefix, random))
}
