//! The store in one SQLite database: write-ahead logging, full sync on commit, and every
//! write in an immediate transaction so that concurrent writers (several hook processes
//! at once) take turns instead of interleaving.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use holdpoint_ledger::{
    Actors, ApprovalRequest, ApprovalState, Body, Checkpoint, Entry, Frontier, Hash, Kind,
    SigningKey, StoredRecord, Vote, VoteKind, encode,
};
use holdpoint_policy::Outcome;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::bodies::{self, json};
use crate::{
    AgentIdentity, CHECKPOINT_EVERY, ExportState, Human, Proposal, RecoveryPoint, Settlement,
    SignIn, Store, StoreError, StoredFreeze, StoredGrant, StoredPasskey, extend_checked, new_id,
};

/// Schema migrations, in order; `PRAGMA user_version` is how many have run.
// INVARIANT: migrations are only ever appended; a released one never changes.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE records (
    seq      INTEGER PRIMARY KEY,
    hash     TEXT NOT NULL,
    at_ms    INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    session  TEXT,
    digest   TEXT,
    text     TEXT NOT NULL
);
CREATE INDEX records_session ON records (session, seq);
CREATE INDEX records_digest ON records (digest, seq);
CREATE TABLE checkpoints (
    size      INTEGER PRIMARY KEY,
    root      TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL,
    frontier  TEXT NOT NULL
);
CREATE TABLE approvals (
    id         TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX approvals_digest ON approvals (digest, state);
CREATE TABLE grants (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE freezes (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE humans (
    name        TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
",
    r"
CREATE TABLE validated_policies (
    fingerprint TEXT PRIMARY KEY,
    at_ms       INTEGER NOT NULL
);
",
    r"
ALTER TABLE humans ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
UPDATE humans SET admin = 1 WHERE created_ms = (SELECT MIN(created_ms) FROM humans);
CREATE TABLE agents (
    name       TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE sign_ins (
    token_hash TEXT PRIMARY KEY,
    human      TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
",
    r"
CREATE TABLE recovery_points (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
",
    // Records were never looked up by digest; the index cost a random page write per
    // record.
    r"
DROP INDEX records_digest;
",
    r"
CREATE TABLE passkeys (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
ALTER TABLE sign_ins ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_ins ADD COLUMN browser TEXT NOT NULL DEFAULT '';
",
    r"
CREATE TABLE judgements (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    judged      TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX judgements_fingerprint ON judgements (fingerprint);
CREATE INDEX judgements_at ON judgements (at_ms);
",
    r"
CREATE TABLE turns (
    session     TEXT PRIMARY KEY,
    through_seq INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL
);
",
    // A session's instructions are looked up at every request it opens (and by policies
    // that read `context.instructed`) without reading the rest of the session; only
    // `instructed` records are in the index, so no other record pays for it.
    r"
CREATE INDEX records_instructed ON records (session, seq) WHERE kind = 'instructed';
",
    // Where sending the ledger to each OpenTelemetry collector stands: the ledger is
    // the queue, this is its read mark, and the lease says which process sends.
    r"
CREATE TABLE exports (
    sink           TEXT PRIMARY KEY,
    next_seq       INTEGER NOT NULL DEFAULT 0,
    holder         TEXT,
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    sent_ms        INTEGER,
    failure        TEXT,
    failed_ms      INTEGER
);
",
];

/// The most judgements remembered; the oldest are forgotten first.
const JUDGEMENTS_KEPT: i64 = 10_000;

/// How long a writer waits for another to finish before giving up. Well below the
/// hook's own deadline, so that a store held locked is answered with a denial rather
/// than left to the agent's hook timeout, which lets the call through.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(4);

/// The SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
    /// Signs checkpoints; a store opened only to read has none.
    key: Option<SigningKey>,
    /// A copy of the latest signed checkpoint kept outside the database, so that deleting
    /// checkpoints from the database is found too.
    anchor: Option<PathBuf>,
    /// The size of the checkpoint last found in or copied to the anchor file.
    anchored: std::sync::atomic::AtomicU64,
    /// The write-ahead log beside the database, whose size decides when to checkpoint.
    wal: PathBuf,
    /// See [`SqliteStore::open_short_lived`].
    short_lived: bool,
    /// Where the chain stood after this process's last batch of decisions
    /// ([`Store::settle_all`]), for the next one to go on from.
    chain: Mutex<Option<Chain>>,
}

/// Where the ledger's chain stands, as one writer knows it: the last record and, when
/// this process wrote or checked every record since a checkpoint, the Merkle frontier
/// over all of them, so that signing the next checkpoint reads and hashes no record again.
#[derive(Clone, Debug, Default)]
struct Chain {
    /// The last record's number and hash; `None`: read from the database at the next
    /// append.
    last: Option<(u64, Hash)>,
    // INVARIANT: when set, its size is `last`'s number, and every hash in it was computed
    // by this process from the text it wrote, or checked against the text it read. A
    // checkpoint signed with it vouches for the records as they were written, so a
    // record rewritten in the database since does not verify against it.
    frontier: Option<Frontier>,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, bringing its schema up to date,
    /// for a process that keeps it open. `key` signs checkpoints.
    pub fn open(path: &Path, key: SigningKey) -> Result<Self, StoreError> {
        Self::open_with(path, Some(key), false)
    }

    /// Opens the store to read it (and verify it) without the signing key: anything
    /// that would sign a checkpoint fails.
    pub fn open_to_read(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, None, true)
    }

    /// Keeps a copy of the latest signed checkpoint in `file`, written after each commit
    /// that signs one.
    pub fn with_anchor(mut self, file: PathBuf) -> Self {
        self.anchor = Some(file);
        self
    }

    /// Opens the store for a process that lives for one or two transactions, such as a
    /// hook. Such a process leaves the write-ahead log as it is on close instead of
    /// checkpointing it (which would cost every decision a second sync), and empties the
    /// log into the database once it passes 256 KiB, because the next process to open
    /// the store cannot tell which frames were copied and reads all of them.
    pub fn open_short_lived(path: &Path, key: SigningKey) -> Result<Self, StoreError> {
        Self::open_with(path, Some(key), true)
    }

    fn open_with(
        path: &Path,
        key: Option<SigningKey>,
        short_lived: bool,
    ) -> Result<Self, StoreError> {
        let open_error = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut connection = Connection::open(path).map_err(open_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // FULL syncs the log on every commit, so an acknowledged record survives a crash
        // or power loss. (Write-ahead logging is set once, when the store is created:
        // it is a property of the file.)
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;

        if short_lived {
            connection
                .set_db_config(
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                    true,
                )
                .map_err(open_error)?;
        }
        migrate(&mut connection)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(SqliteStore {
            connection: Mutex::new(connection),
            key,
            anchor: None,
            anchored: std::sync::atomic::AtomicU64::new(0),
            wal: PathBuf::from(wal),
            short_lived,
            chain: Mutex::new(None),
        })
    }

    /// The key that signs checkpoints, also used for receipts.
    pub fn key(&self) -> Option<&SigningKey> {
        self.key.as_ref()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self
            .connection
            .lock()
            .map_err(|_| StoreError::Database("the store connection was poisoned".into()))?;
        f(&mut connection)
    }

    /// Runs `f` in an immediate transaction and commits.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            // INVARIANT: the log stays short. What was committed is already durable in
            // it; emptying it into the database is housekeeping, so a failure here (a
            // reader holding the log) is left for the next writer.
            if self.short_lived && std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
                // Never wait for it: a reader holding the log (a long `log verify`) would
                // otherwise hold up every decision.
                let _ = connection.busy_timeout(Duration::ZERO);
                let _ = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                let _ = connection.busy_timeout(BUSY_TIMEOUT);
            }
            if let Some(anchor) = &self.anchor {
                keep_anchor(connection, anchor, &self.anchored);
            }
            Ok(value)
        })
    }
}

/// Copies the latest signed checkpoint to `file` when the file holds an older one.
/// Best effort: the checkpoint is already durable in the database.
fn keep_anchor(connection: &Connection, file: &Path, anchored: &std::sync::atomic::AtomicU64) {
    use std::sync::atomic::Ordering;
    let newest: Option<i64> = connection
        .prepare_cached("SELECT MAX(size) FROM checkpoints")
        .and_then(|mut query| query.query_row([], |row| row.get(0)))
        .ok()
        .flatten();
    if newest.and_then(|n| u64::try_from(n).ok()).unwrap_or(0) <= anchored.load(Ordering::Relaxed) {
        return;
    }
    let latest = connection
        .query_row(
            "SELECT size, root, at_ms, key_id, signature FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .optional();
    let Ok(Some((size, root, at_ms, key_id, signature))) = latest else {
        return;
    };
    let (Ok(size), Ok(root)) = (u64::try_from(size), root.parse()) else {
        return;
    };
    let kept = read_anchor(file).map_or(0, |c| c.size);
    if kept >= size {
        anchored.store(kept, Ordering::Relaxed);
        return;
    }
    let checkpoint = Checkpoint {
        size,
        root,
        at_ms,
        key_id,
        signature,
    };
    let Ok(text) = serde_json::to_string(&checkpoint) else {
        return;
    };
    let temp = file.with_extension("tmp");
    if std::fs::write(&temp, text + "\n").is_ok() && std::fs::rename(&temp, file).is_ok() {
        anchored.store(size, Ordering::Relaxed);
    }
}

/// The checkpoint kept in `file`, if it holds one.
pub fn read_anchor(file: &Path) -> Option<Checkpoint> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

/// The size of the write-ahead log past which a writer empties it into the database.
const WAL_LIMIT: u64 = 256 * 1024;

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    // Most opens find the schema current: check without taking the write lock.
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version == known {
        return Ok(());
    }
    // WAL lets readers run beside the one writer. It cannot change inside a transaction.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > known {
        return Err(StoreError::NewerSchema {
            found: version,
            known,
        });
    }
    for sql in MIGRATIONS
        .iter()
        .skip(usize::try_from(version).unwrap_or(usize::MAX))
    {
        tx.execute_batch(sql)?;
    }
    if version < known {
        tx.pragma_update(None, "user_version", known)?;
    }
    tx.commit()?;
    Ok(())
}

/// The task of `agent`'s grant in force at `now_ms` that lasts longest, if any.
fn task_in_force(
    tx: &Transaction<'_>,
    agent: &str,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let now = now_ms.div_euclid(1000);
    Ok(GRANTS
        .all(tx)?
        .into_iter()
        .map(|stored: StoredGrant| stored.grant)
        .filter(|g| g.agent == agent && !g.revoked && now < g.expires_at)
        .max_by_key(|g| g.expires_at)
        .map(|g| g.task))
}

/// What the person asked `agent` for in `session`'s latest recorded instruction: its
/// text, or a note that only its hash was kept. A session id is the agent's to name, so
/// another agent's instruction under the same id is never taken.
fn latest_instruction(
    tx: &Connection,
    agent: &str,
    session: &str,
) -> Result<Option<String>, StoreError> {
    let mut query = tx.prepare_cached(
        // The kind written out, so that SQLite takes the `records_instructed` index.
        "SELECT text FROM records WHERE session = ?1 AND kind = 'instructed' ORDER BY seq DESC LIMIT 16",
    )?;
    let texts = query
        .query_map(params![session], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let parse = |text: &str| {
        serde_json::from_str::<holdpoint_ledger::Record>(text)
            .map_err(|e| StoreError::Database(format!("an `instructed` record: {e}")))
    };
    let mut found = None;
    for text in &texts {
        let record = parse(text)?;
        if record.actors.agent.as_deref() == Some(agent) {
            found = Some(record);
            break;
        }
    }
    let Some(record) = found else {
        return Ok(None);
    };
    let body: bodies::Instructed = serde_json::from_value(record.body)
        .map_err(|e| StoreError::Database(format!("an `instructed` record: {e}")))?;
    Ok(Some(body.text.unwrap_or_else(|| {
        format!("(kept only as its hash, {})", body.sha256)
    })))
}

/// A `records` row as read, before its values are checked.
type RawRecord = (
    i64,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
);

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn stored(raw: RawRecord) -> Result<StoredRecord, StoreError> {
    let (seq, hash, at_ms, kind, session, digest, text) = raw;
    Ok(StoredRecord {
        seq: u64::try_from(seq).map_err(corrupt)?,
        // A hash column that does not parse is reported as a changed record by the
        // verifier rather than stopping every read.
        hash: hash.parse().unwrap_or(Hash::ZERO),
        text,
        at_ms,
        kind,
        session,
        digest,
    })
}

const RECORD_COLUMNS: &str = "seq, hash, at_ms, kind, session, digest, text";

/// The last record's sequence number and hash.
fn head(tx: &Transaction<'_>) -> Result<(u64, Hash), StoreError> {
    // Prepared once per connection: every batch reads it.
    let row: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match row {
        None => Ok((0, Hash::ZERO)),
        Some((seq, hash)) => Ok((
            u64::try_from(seq).map_err(corrupt)?,
            hash.parse().map_err(corrupt)?,
        )),
    }
}

fn as_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(corrupt)
}

/// Appends entries inside `tx`, signing a checkpoint whenever the size passes a multiple
/// of [`CHECKPOINT_EVERY`].
fn append_in(
    tx: &Transaction<'_>,
    key: Option<&SigningKey>,
    entries: &[Entry],
    now_ms: i64,
) -> Result<Vec<StoredRecord>, StoreError> {
    append_at(tx, key, entries, now_ms, &mut Chain::default())
}

/// [`append_in`] after the last record `chain` holds, when it holds one (else read from
/// the database); `chain` is left holding where the chain now stands, for the next
/// append in `tx`.
fn append_at(
    tx: &Transaction<'_>,
    key: Option<&SigningKey>,
    entries: &[Entry],
    now_ms: i64,
    chain: &mut Chain,
) -> Result<Vec<StoredRecord>, StoreError> {
    let (mut seq, mut prev) = match chain.last.take() {
        Some(head) => head,
        None => head(tx)?,
    };
    let mut frontier = chain.frontier.take().filter(|f| f.size() == seq);
    let mut out = Vec::with_capacity(entries.len());
    let mut insert = tx.prepare_cached(
        "INSERT INTO records (seq, hash, at_ms, kind, session, digest, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for entry in entries {
        seq += 1;
        let record = encode(seq, now_ms, prev, entry).map_err(corrupt)?;
        insert.execute(params![
            as_i64(seq)?,
            record.hash.to_string(),
            record.at_ms,
            record.kind,
            record.session,
            record.digest,
            record.text,
        ])?;
        prev = record.hash;
        if let Some(frontier) = &mut frontier {
            frontier.push(record.hash);
        }
        out.push(record);
        // INVARIANT: every multiple of CHECKPOINT_EVERY has a checkpoint, also when one
        // append crosses several.
        if seq.is_multiple_of(CHECKPOINT_EVERY) {
            frontier = Some(checkpoint_in(tx, key, seq, now_ms, frontier.take())?.1);
        }
    }
    *chain = Chain {
        last: Some((seq, prev)),
        frontier,
    };
    Ok(out)
}

/// Signs a checkpoint at `size` with `known`, the frontier this process holds over the
/// records up to it (see [`Chain`]), or else by extending the frontier of the last
/// checkpoint below it; returns the checkpoint and its frontier.
fn checkpoint_in(
    tx: &Transaction<'_>,
    key: Option<&SigningKey>,
    size: u64,
    now_ms: i64,
    known: Option<Frontier>,
) -> Result<(Checkpoint, Frontier), StoreError> {
    let Some(key) = key else {
        return Err(StoreError::Invalid(
            "this store was opened without the signing key, so it cannot sign a checkpoint"
                .to_owned(),
        ));
    };
    let frontier = match known.filter(|f| f.size() == size && size > 0) {
        Some(frontier) => frontier,
        None => checked_frontier(tx, size)?,
    };
    let checkpoint = Checkpoint::sign(size, frontier.root(), now_ms, key);
    tx.execute(
        "INSERT INTO checkpoints (size, root, at_ms, key_id, signature, frontier) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            as_i64(size)?,
            checkpoint.root.to_string(),
            checkpoint.at_ms,
            checkpoint.key_id,
            checkpoint.signature,
            serde_json::to_string(&frontier).map_err(corrupt)?,
        ],
    )?;
    Ok((checkpoint, frontier))
}

/// The frontier over the records up to `size`: the last checkpoint's below it, extended
/// by the records since, each checked first.
fn checked_frontier(tx: &Transaction<'_>, size: u64) -> Result<Frontier, StoreError> {
    let last: Option<String> = tx
        .query_row(
            "SELECT frontier FROM checkpoints WHERE size <= ?1 ORDER BY size DESC LIMIT 1",
            [as_i64(size)?],
            |row| row.get(0),
        )
        .optional()?;
    let mut frontier: Frontier = match last {
        Some(text) => serde_json::from_str(&text).map_err(corrupt)?,
        None => Frontier::default(),
    };
    if size == 0 || size == frontier.size() {
        return Err(StoreError::Invalid(format!(
            "the ledger has no records beyond #{size} to sign"
        )));
    }
    {
        let prev: Hash = if frontier.size() == 0 {
            Hash::ZERO
        } else {
            tx.query_row(
                "SELECT hash FROM records WHERE seq = ?1",
                [as_i64(frontier.size())?],
                |row| row.get::<_, String>(0),
            )?
            .parse()
            .map_err(corrupt)?
        };
        let mut rows = tx.prepare_cached(
            "SELECT seq, hash, text FROM records WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        )?;
        let rows = rows.query_map(params![as_i64(frontier.size())?, as_i64(size)?], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        extend_checked(
            &mut frontier,
            prev,
            size,
            rows.map(|row| row.map_err(StoreError::from)),
        )?;
    }
    Ok(frontier)
}

/// A table that keeps one JSON body per id: grants and freezes.
#[derive(Clone, Copy, Debug)]
struct Bodies {
    table: &'static str,
    /// What one row is, for messages.
    what: &'static str,
}

const GRANTS: Bodies = Bodies {
    table: "grants",
    what: "grant",
};
const FREEZES: Bodies = Bodies {
    table: "freezes",
    what: "freeze",
};
const PASSKEYS: Bodies = Bodies {
    table: "passkeys",
    what: "passkey",
};
const RECOVERIES: Bodies = Bodies {
    table: "recovery_points",
    what: "recovery point",
};

impl Bodies {
    /// Every body, oldest first.
    fn all<T: serde::de::DeserializeOwned>(self, c: &Connection) -> Result<Vec<T>, StoreError> {
        let mut query =
            c.prepare_cached(&format!("SELECT body FROM {} ORDER BY rowid", self.table))?;
        let rows = query.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|b| serde_json::from_str(&b?).map_err(corrupt))
            .collect()
    }

    /// The body of `id`, or `NotFound`.
    fn get<T: serde::de::DeserializeOwned>(
        self,
        c: &Connection,
        id: &str,
    ) -> Result<T, StoreError> {
        let body: Option<String> = c
            .query_row(
                &format!("SELECT body FROM {} WHERE id = ?1", self.table),
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let body = body.ok_or_else(|| StoreError::NotFound {
            what: self.what,
            id: id.to_owned(),
        })?;
        serde_json::from_str(&body).map_err(corrupt)
    }

    fn insert<T: serde::Serialize>(
        self,
        c: &Connection,
        id: &str,
        body: &T,
    ) -> Result<(), StoreError> {
        c.execute(
            &format!("INSERT INTO {} (id, body) VALUES (?1, ?2)", self.table),
            params![id, serde_json::to_string(body).map_err(corrupt)?],
        )?;
        Ok(())
    }

    fn update<T: serde::Serialize>(
        self,
        c: &Connection,
        id: &str,
        body: &T,
    ) -> Result<(), StoreError> {
        c.execute(
            &format!("UPDATE {} SET body = ?2 WHERE id = ?1", self.table),
            params![id, serde_json::to_string(body).map_err(corrupt)?],
        )?;
        Ok(())
    }
}

fn load_approval(tx: &Connection, id: &str) -> Result<Option<ApprovalRequest>, StoreError> {
    let body: Option<String> = tx
        .query_row("SELECT body FROM approvals WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(corrupt))
        .transpose()
}

fn save_approval(tx: &Transaction<'_>, request: &ApprovalRequest) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR REPLACE INTO approvals (id, digest, state, created_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            request.id,
            request.digest,
            request.state.as_str(),
            request.created_ms,
            serde_json::to_string(request).map_err(corrupt)?,
        ],
    )?;
    Ok(())
}

/// Marks the open requests whose time is up as expired, with a ledger entry each.
fn expire_in(
    tx: &Transaction<'_>,
    digest: Option<&str>,
    now_ms: i64,
) -> Result<Vec<Entry>, StoreError> {
    let bodies: Vec<String> = {
        let mut query = tx.prepare_cached(
            "SELECT body FROM approvals WHERE state IN ('pending', 'approved') AND (?1 IS NULL OR digest = ?1)",
        )?;
        query
            .query_map([digest], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut entries = Vec::new();
    for body in bodies {
        let mut request: ApprovalRequest = serde_json::from_str(&body).map_err(corrupt)?;
        if request.expired_at(now_ms) {
            request.state = ApprovalState::Expired;
            save_approval(tx, &request)?;
            entries.push(
                Entry::new(
                    Kind::ApprovalExpired,
                    Actors {
                        agent: Some(request.agent.clone()),
                        session: request.session.clone(),
                        ..Actors::default()
                    },
                    serde_json::json!({}),
                )
                .digest(request.digest.clone())
                .approval(request.id.clone()),
            );
        }
    }
    Ok(entries)
}

/// The latest refused request for `digest` whose time is not up.
fn refused_in(
    tx: &Transaction<'_>,
    digest: &str,
    now_ms: i64,
) -> Result<Option<ApprovalRequest>, StoreError> {
    let id: Option<String> = tx
        .query_row(
            "SELECT id FROM approvals WHERE digest = ?1 AND state = 'refused' ORDER BY created_ms DESC LIMIT 1",
            [digest],
            |row| row.get(0),
        )
        .optional()?;
    let request = match id {
        Some(id) => load_approval(tx, &id)?,
        None => None,
    };
    Ok(request.filter(|r| !r.expired_at(now_ms)))
}

fn approvers(request: &ApprovalRequest) -> Vec<String> {
    request
        .votes
        .iter()
        .filter(|v| v.kind == VoteKind::Approve)
        .map(|v| v.human.clone())
        .collect()
}

/// The retry protocol for one proposal, inside `tx`.
fn settle_in(
    tx: &Transaction<'_>,
    key: Option<&SigningKey>,
    proposal: &Proposal<'_>,
    now_ms: i64,
    chain: &mut Chain,
) -> Result<Settlement, StoreError> {
    let action = proposal.action;
    let decision = proposal.decision;
    let digest = action.digest().to_string();
    let actors = Actors {
        agent: Some(action.agent.clone()),
        session: action.session.clone(),
        human: None,
        grant: decision.grant.clone(),
        os_user: proposal.os_user.clone(),
    };
    let mut entries = vec![
        Entry::new(
            Kind::Proposed,
            actors.clone(),
            Body::of(&bodies::Proposed::from_action(action)),
        )
        .digest(digest.clone()),
    ];
    let mut outcome = decision.outcome;
    let mut approval = None;
    let mut new_request = false;
    let mut approved_by = Vec::new();
    let mut decided = bodies::Decided::new(outcome.as_str(), decision, &proposal.effects);
    let mut decided_actors = actors.clone();
    if outcome == Outcome::Ask {
        entries.extend(expire_in(tx, Some(&digest), now_ms)?);
        let open: Vec<String> = {
            let mut query = tx.prepare_cached(
                "SELECT id FROM approvals WHERE digest = ?1 AND state IN ('approved', 'pending') ORDER BY state, created_ms",
            )?;
            query
                .query_map([&digest], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut found = None;
        for id in open {
            if let Some(request) = load_approval(tx, &id)? {
                found = Some(request);
                break;
            }
        }
        match found {
            Some(mut request) if request.usable(&digest, now_ms) => {
                // INVARIANT: an approval lets exactly one action through: it is
                // marked used in the same transaction that records the allow.
                request.state = ApprovalState::Used;
                save_approval(tx, &request)?;
                approved_by = approvers(&request);
                entries.push(
                    Entry::new(
                        Kind::ApprovalUsed,
                        actors.clone(),
                        json(&bodies::ApprovalUsed {
                            approved_by: approved_by.clone(),
                        }),
                    )
                    .digest(digest.clone())
                    .approval(request.id.clone()),
                );
                outcome = Outcome::Allow;
                decided = bodies::Decided::new("allow", decision, &proposal.effects);
                decided.approved_by = approved_by.clone();
                decided.reasons.push(format!(
                    "approved by {} in request `{}`",
                    approved_by.join(", "),
                    request.id
                ));
                decided_actors.human = Some(approved_by.join(","));
                approval = Some(request);
            }
            Some(request) => approval = Some(request),
            None if let Some(refused) = refused_in(tx, &digest, now_ms)? => {
                // A human refused this exact action and the refusal still stands:
                // asking again is answered with their reason, not a new request.
                outcome = Outcome::Deny;
                decided = bodies::Decided::new("deny", decision, &proposal.effects);
                let by = refused.votes.iter().find(|v| v.kind == VoteKind::Refuse);
                decided.reasons.push(format!(
                    "{} refused this exact action in request `{}`{}",
                    by.map_or("a human", |v| v.human.as_str()),
                    refused.id,
                    by.and_then(|v| v.reason.as_deref())
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ));
                approval = Some(refused);
            }
            None => {
                let request = ApprovalRequest {
                    id: new_id("apr")?,
                    digest: digest.clone(),
                    action: json(&bodies::Proposed::from_action(action)),
                    effects: proposal.effects.clone(),
                    risk: decision.risk.as_str().to_owned(),
                    reasons: decision.reasons.clone(),
                    policies: decision.policies.clone(),
                    quorum: decision.quorum.max(1),
                    confirm_target: decision.confirm_target.then(|| {
                        proposal
                            .confirm
                            .clone()
                            .unwrap_or_else(|| action.target.clone())
                    }),
                    agent: action.agent.clone(),
                    session: action.session.clone(),
                    created_ms: now_ms,
                    expires_ms: now_ms.saturating_add(proposal.approval_ttl_ms),
                    state: ApprovalState::Pending,
                    votes: Vec::new(),
                    shown: proposal.shown.clone(),
                    asked: match &action.session {
                        Some(session) => latest_instruction(tx, &action.agent, session)?,
                        None => None,
                    },
                    task: task_in_force(tx, &action.agent, now_ms)?,
                };
                save_approval(tx, &request)?;
                new_request = true;
                approval = Some(request);
            }
        }
    }
    let reasons = decided.reasons.clone();
    let approval_id = approval.as_ref().map(|r| r.id.clone());
    let mut decided_entry =
        Entry::new(Kind::Decided, decided_actors, Body::of(&decided)).digest(digest.clone());
    if let Some(id) = &approval_id {
        decided_entry = decided_entry.approval(id.clone());
    }
    entries.push(decided_entry);
    if new_request && let Some(request) = &approval {
        entries.push(
            Entry::new(
                Kind::ApprovalRequested,
                actors.clone(),
                json(&bodies::ApprovalRequested {
                    risk: request.risk.clone(),
                    quorum: request.quorum,
                    confirm_target: request.confirm_target.clone(),
                    expires_ms: request.expires_ms,
                }),
            )
            .digest(digest.clone())
            .approval(request.id.clone()),
        );
    }
    let records = append_at(tx, key, &entries, now_ms, chain)?;
    let decided = records
        .into_iter()
        .find(|r| r.kind == Kind::Decided.as_str())
        .ok_or_else(|| StoreError::Database("the decision was not recorded".into()))?;
    Ok(Settlement {
        outcome,
        approval,
        new_request,
        decided,
        approved_by,
        reasons,
    })
}

impl Store for SqliteStore {
    fn append(&self, entries: &[Entry], now_ms: i64) -> Result<Vec<StoredRecord>, StoreError> {
        self.write(|tx| append_in(tx, self.key.as_ref(), entries, now_ms))
    }

    fn records(&self, from: u64, limit: usize) -> Result<Vec<StoredRecord>, StoreError> {
        // Sequence numbers are SQLite integers: there is nothing beyond i64::MAX.
        if i64::try_from(from).is_err() {
            return Ok(Vec::new());
        }
        self.with(|c| {
            let mut query = c.prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE seq >= ?1 ORDER BY seq LIMIT ?2"
            ))?;
            let rows = query.query_map(
                params![as_i64(from)?, i64::try_from(limit).unwrap_or(i64::MAX)],
                record_from_row,
            )?;
            rows.map(|r| stored(r?)).collect()
        })
    }

    fn session_records(&self, session: &str) -> Result<Vec<StoredRecord>, StoreError> {
        self.with(|c| {
            let mut query = c.prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE session = ?1 ORDER BY seq"
            ))?;
            let rows = query.query_map([session], record_from_row)?;
            rows.map(|r| stored(r?)).collect()
        })
    }

    fn scan(
        &self,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), String>,
    ) -> Result<Result<(), String>, StoreError> {
        self.with(|c| {
            // One read transaction: the scan sees one consistent ledger even while
            // writers append.
            let tx = c.transaction()?;
            let result = {
                let mut query = tx.prepare(&format!(
                    "SELECT {RECORD_COLUMNS} FROM records ORDER BY seq"
                ))?;
                let mut rows = query.query([])?;
                let mut result = Ok(());
                while let Some(row) = rows.next()? {
                    if let Err(e) = each(stored(record_from_row(row)?)?) {
                        result = Err(e);
                        break;
                    }
                }
                result
            };
            tx.commit()?;
            Ok(result)
        })
    }

    fn size(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let n: i64 = c.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| {
                r.get(0)
            })?;
            u64::try_from(n).map_err(corrupt)
        })
    }

    fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.with(|c| {
            let mut query = c.prepare_cached(
                "SELECT size, root, at_ms, key_id, signature FROM checkpoints ORDER BY size",
            )?;
            let rows = query.query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })?;
            rows.map(|row| {
                let (size, root, at_ms, key_id, signature) = row?;
                Ok(Checkpoint {
                    size: u64::try_from(size).map_err(corrupt)?,
                    root: root.parse().map_err(corrupt)?,
                    at_ms,
                    key_id,
                    signature,
                })
            })
            .collect()
        })
    }

    fn checkpoint(&self, now_ms: i64) -> Result<Checkpoint, StoreError> {
        self.write(|tx| {
            let (size, _) = head(tx)?;
            Ok(checkpoint_in(tx, self.key.as_ref(), size, now_ms, None)?.0)
        })
    }

    fn settle(&self, proposal: &Proposal<'_>, now_ms: i64) -> Result<Settlement, StoreError> {
        self.write(|tx| {
            settle_in(
                tx,
                self.key.as_ref(),
                proposal,
                now_ms,
                &mut Chain::default(),
            )
        })
    }

    fn settle_all(
        &self,
        proposals: &[Proposal<'_>],
        also: &[Entry],
        now_ms: i64,
    ) -> Result<Vec<Result<Settlement, StoreError>>, StoreError> {
        let cached = self
            .chain
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let (out, chain) = self.write(|tx| {
            // Where the last batch left the chain, unless the ledger has grown since (only
            // an append moves its last number). Its own hash, not the database's: a last
            // record rewritten since is not chained to.
            let head = head(tx)?;
            let mut chain = cached
                .filter(|chain| chain.last.is_some_and(|(seq, _)| seq == head.0))
                .unwrap_or(Chain {
                    last: Some(head),
                    frontier: None,
                });
            let mut out = Vec::with_capacity(proposals.len());
            for proposal in proposals {
                if proposal.decision.outcome != Outcome::Ask {
                    // Only records to append: what fails here fails the whole batch.
                    out.push(Ok(settle_in(
                        tx,
                        self.key.as_ref(),
                        proposal,
                        now_ms,
                        &mut chain,
                    )?));
                    continue;
                }
                // A savepoint per held proposal, which also looks up and changes
                // approval requests: one that fails leaves no half of itself behind and
                // does not take the others with it.
                // Prepared once per connection: these run for every proposal.
                tx.prepare_cached("SAVEPOINT proposal")?.execute([])?;
                match settle_in(tx, self.key.as_ref(), proposal, now_ms, &mut chain) {
                    Ok(settlement) => {
                        tx.prepare_cached("RELEASE proposal")?.execute([])?;
                        out.push(Ok(settlement));
                    }
                    Err(e) => {
                        tx.prepare_cached("ROLLBACK TO proposal")?.execute([])?;
                        tx.prepare_cached("RELEASE proposal")?.execute([])?;
                        // What it appended is undone: the chain is read again.
                        chain = Chain::default();
                        out.push(Err(e));
                    }
                }
            }
            // After the proposals: an outcome may be of one decided in this batch.
            if !also.is_empty() {
                append_at(tx, self.key.as_ref(), also, now_ms, &mut chain)?;
            }
            Ok((out, chain))
        })?;
        // Kept for the next batch once committed.
        *self.chain.lock().unwrap_or_else(PoisonError::into_inner) = Some(chain);
        Ok(out)
    }

    fn note_approval(&self, id: &str, note: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            let Some(mut request) = load_approval(tx, id)? else {
                return Err(StoreError::NotFound {
                    what: "approval request",
                    id: id.to_owned(),
                });
            };
            request.effects.push(note.to_owned());
            save_approval(tx, &request)?;
            let entry = Entry::new(
                Kind::ApprovalNoted,
                Actors {
                    agent: Some(request.agent.clone()),
                    session: request.session.clone(),
                    ..Actors::default()
                },
                json(&bodies::ApprovalNoted {
                    note: note.to_owned(),
                }),
            )
            .digest(request.digest.clone())
            .approval(request.id.clone());
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(())
        })
    }

    fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>, StoreError> {
        self.with(|c| load_approval(c, id))
    }

    fn approvals(&self, now_ms: i64) -> Result<Vec<ApprovalRequest>, StoreError> {
        self.write(|tx| {
            let expired = expire_in(tx, None, now_ms)?;
            if !expired.is_empty() {
                append_in(tx, self.key.as_ref(), &expired, now_ms)?;
            }
            let mut query =
                tx.prepare_cached("SELECT body FROM approvals ORDER BY created_ms DESC, id")?;
            let rows = query.query_map([], |row| row.get::<_, String>(0))?;
            rows.map(|b| serde_json::from_str(&b?).map_err(corrupt))
                .collect()
        })
    }

    fn answer(
        &self,
        id: &str,
        vote: Vote,
        confirmed: Option<&str>,
        os_user: Option<String>,
    ) -> Result<ApprovalRequest, StoreError> {
        let now_ms = vote.at_ms;
        // A refusal still commits: an expiry found while answering is recorded.
        self.write(|tx| {
            let expired = expire_in(tx, None, now_ms)?;
            if !expired.is_empty() {
                append_in(tx, self.key.as_ref(), &expired, now_ms)?;
            }
            let Some(mut request) = load_approval(tx, id)? else {
                return Ok(Err(StoreError::NotFound {
                    what: "approval request",
                    id: id.to_owned(),
                }));
            };
            let human = vote.human.clone();
            let reason = vote.reason.clone();
            let kind = vote.kind;
            let proof = vote.proof.map(|p| p.as_str().to_owned());
            if let Err(refusal) = request.answer(vote, confirmed) {
                return Ok(Err(StoreError::Refused(refusal)));
            }
            save_approval(tx, &request)?;
            let entry = Entry::new(
                match kind {
                    VoteKind::Approve => Kind::ApprovalGiven,
                    VoteKind::Refuse => Kind::ApprovalRefused,
                },
                Actors {
                    agent: Some(request.agent.clone()),
                    session: request.session.clone(),
                    human: Some(human),
                    grant: None,
                    os_user,
                },
                json(&bodies::ApprovalAnswered {
                    reason,
                    approvals: request.approvals(),
                    quorum: request.quorum,
                    state: request.state.as_str().to_owned(),
                    proof,
                }),
            )
            .digest(request.digest.clone())
            .approval(request.id.clone());
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(Ok(request))
        })?
    }

    fn grants(&self) -> Result<Vec<StoredGrant>, StoreError> {
        self.with(|c| GRANTS.all(c))
    }

    fn instructed(&self, agent: &str, session: &str) -> Result<bool, StoreError> {
        self.with(|c| Ok(latest_instruction(c, agent, session)?.is_some()))
    }

    fn issue_grant(
        &self,
        grant: StoredGrant,
        os_user: Option<String>,
    ) -> Result<StoredGrant, StoreError> {
        self.write(|tx| {
            GRANTS.insert(tx, &grant.grant.id, &grant)?;
            let entry = Entry::new(
                Kind::GrantIssued,
                Actors {
                    agent: Some(grant.grant.agent.clone()),
                    human: Some(grant.issued_by.clone()),
                    grant: Some(grant.grant.id.clone()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::GrantIssued {
                    id: grant.grant.id.clone(),
                    task: grant.grant.task.clone(),
                    targets: grant.grant.targets.clone(),
                    max_risk: grant.grant.max_risk.as_str().to_owned(),
                    expires_at: grant.grant.expires_at,
                }),
            );
            append_in(tx, self.key.as_ref(), &[entry], grant.created_ms)?;
            Ok(grant)
        })
    }

    fn revoke_grant(
        &self,
        id: &str,
        human: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredGrant, StoreError> {
        self.write(|tx| {
            let mut grant: StoredGrant = GRANTS.get(tx, id)?;
            if grant.grant.revoked {
                return Err(StoreError::Invalid(format!(
                    "grant `{id}` is already revoked"
                )));
            }
            grant.grant.revoked = true;
            GRANTS.update(tx, id, &grant)?;
            let entry = Entry::new(
                Kind::GrantRevoked,
                Actors {
                    agent: Some(grant.grant.agent.clone()),
                    human: Some(human.to_owned()),
                    grant: Some(id.to_owned()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::GrantRevoked { id: id.to_owned() }),
            );
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(grant)
        })
    }

    fn freezes(&self) -> Result<Vec<StoredFreeze>, StoreError> {
        self.with(|c| FREEZES.all(c))
    }

    fn start_freeze(
        &self,
        freeze: StoredFreeze,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredFreeze, StoreError> {
        self.write(|tx| {
            FREEZES.insert(tx, &freeze.id, &freeze)?;
            let entry = Entry::new(
                Kind::FreezeStarted,
                Actors {
                    human: Some(freeze.started_by.clone()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::FreezeStarted {
                    id: freeze.id.clone(),
                    environment: freeze.freeze.environment.as_str().to_owned(),
                    reason: freeze.freeze.reason.clone(),
                    until: freeze.freeze.until,
                }),
            );
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(freeze)
        })
    }

    fn end_freeze(
        &self,
        id: &str,
        human: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredFreeze, StoreError> {
        self.write(|tx| {
            let mut freeze: StoredFreeze = FREEZES.get(tx, id)?;
            if freeze.freeze.ended {
                return Err(StoreError::Invalid(format!(
                    "freeze `{id}` has already ended"
                )));
            }
            freeze.freeze.ended = true;
            freeze.ended_by = Some(human.to_owned());
            FREEZES.update(tx, id, &freeze)?;
            let entry = Entry::new(
                Kind::FreezeEnded,
                Actors {
                    human: Some(human.to_owned()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::FreezeEnded { id: id.to_owned() }),
            );
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(freeze)
        })
    }

    fn policies_validated(&self, fingerprint: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let found: Option<i64> = c
                .query_row(
                    "SELECT at_ms FROM validated_policies WHERE fingerprint = ?1",
                    [fingerprint],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(found.is_some())
        })
    }

    fn mark_policies_validated(&self, fingerprint: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO validated_policies (fingerprint, at_ms) VALUES (?1, ?2)",
                params![fingerprint, now_ms],
            )?;
            Ok(())
        })
    }

    fn remembered(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT judged FROM judgements WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()?)
        })
    }

    fn remembers(&self, fingerprint: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT 1 FROM judgements WHERE fingerprint = ?1 LIMIT 1",
                [fingerprint],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
        })
    }

    fn remember(
        &self,
        fingerprint: &str,
        key: &str,
        judged: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM judgements WHERE fingerprint <> ?1",
                [fingerprint],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO judgements (key, fingerprint, judged, at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![key, fingerprint, judged, now_ms],
            )?;
            // With fewer rows than are kept, the bound is NULL and nothing is deleted.
            tx.execute(
                "DELETE FROM judgements WHERE at_ms < (SELECT at_ms FROM judgements ORDER BY at_ms DESC LIMIT 1 OFFSET ?1)",
                [JUDGEMENTS_KEPT - 1],
            )?;
            Ok(())
        })
    }

    fn turn_ended(&self, session: &str) -> Result<Option<(u64, i64)>, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT through_seq, at_ms FROM turns WHERE session = ?1",
                [session],
                |row| Ok((row.get::<_, i64>(0)?.max(0).cast_unsigned(), row.get(1)?)),
            )
            .optional()?)
        })
    }

    fn end_turn(&self, session: &str, through_seq: u64, now_ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO turns (session, through_seq, at_ms) VALUES (?1, ?2, ?3)",
                params![
                    session,
                    i64::try_from(through_seq).unwrap_or(i64::MAX),
                    now_ms
                ],
            )?;
            Ok(())
        })
    }

    fn export_state(&self, sink: &str) -> Result<Option<ExportState>, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT next_seq, holder, lease_until_ms, sent_ms, failure, failed_ms
                 FROM exports WHERE sink = ?1",
                [sink],
                |row| {
                    Ok(ExportState {
                        next_seq: row.get::<_, i64>(0)?.max(0).cast_unsigned(),
                        holder: row.get(1)?,
                        lease_until_ms: row.get(2)?,
                        sent_ms: row.get(3)?,
                        failure: row.get(4)?,
                        failed_ms: row.get(5)?,
                    })
                },
            )
            .optional()?)
        })
    }

    fn claim_export(
        &self,
        sink: &str,
        holder: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Result<u64, String>, StoreError> {
        // A lease with more than two thirds to run is not renewed: an idle sender
        // reads, and writes only every third of a lease.
        if let Some(state) = self.export_state(sink)?
            && state.holder.as_deref() == Some(holder)
            && state.lease_until_ms - now_ms > lease_ms / 3 * 2
        {
            return Ok(Ok(state.next_seq));
        }
        self.write(|tx| {
            tx.execute("INSERT OR IGNORE INTO exports (sink) VALUES (?1)", [sink])?;
            let (next, current, until): (i64, Option<String>, i64) = tx.query_row(
                "SELECT next_seq, holder, lease_until_ms FROM exports WHERE sink = ?1",
                [sink],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            if let Some(current) = current.filter(|c| c != holder && until > now_ms) {
                return Ok(Err(current));
            }
            tx.execute(
                "UPDATE exports SET holder = ?2, lease_until_ms = ?3 WHERE sink = ?1",
                params![sink, holder, now_ms.saturating_add(lease_ms)],
            )?;
            Ok(Ok(next.max(0).cast_unsigned()))
        })
    }

    fn exported(
        &self,
        sink: &str,
        holder: &str,
        next_seq: u64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE exports SET next_seq = MAX(next_seq, ?3), sent_ms = ?4,
                     failure = NULL, failed_ms = NULL
                 WHERE sink = ?1 AND holder = ?2",
                params![sink, holder, as_i64(next_seq)?, now_ms],
            )?;
            Ok(changed == 1)
        })
    }

    fn export_failed(
        &self,
        sink: &str,
        holder: &str,
        failure: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE exports SET failure = ?3, failed_ms = ?4 WHERE sink = ?1 AND holder = ?2",
                params![sink, holder, failure, now_ms],
            )?;
            Ok(())
        })
    }

    fn release_export(&self, sink: &str, holder: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE exports SET holder = NULL, lease_until_ms = 0 WHERE sink = ?1 AND holder = ?2",
                params![sink, holder],
            )?;
            Ok(())
        })
    }

    fn humans(&self) -> Result<Vec<Human>, StoreError> {
        self.with(|c| {
            let mut query = c.prepare_cached(
                "SELECT name, secret_hash, created_ms, admin FROM humans ORDER BY name",
            )?;
            let rows = query.query_map([], |row| {
                Ok(Human {
                    name: row.get(0)?,
                    secret_hash: row.get(1)?,
                    created_ms: row.get(2)?,
                    admin: row.get(3)?,
                })
            })?;
            rows.map(|r| r.map_err(StoreError::from)).collect()
        })
    }

    fn add_human(
        &self,
        human: Human,
        added_by: Option<&str>,
        os_user: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: Option<String> = tx
                .query_row(
                    "SELECT name FROM humans WHERE name = ?1",
                    [&human.name],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::Invalid(format!(
                    "a human named `{}` already exists",
                    human.name
                )));
            }
            if agent_exists(tx, &human.name)? {
                return Err(StoreError::Invalid(format!(
                    "an agent named `{}` exists; a human needs another name",
                    human.name
                )));
            }
            tx.execute(
                "INSERT INTO humans (name, secret_hash, created_ms, admin) VALUES (?1, ?2, ?3, ?4)",
                params![human.name, human.secret_hash, human.created_ms, human.admin],
            )?;
            let entry = Entry::new(
                Kind::HumanAdded,
                Actors {
                    human: added_by.map(str::to_owned),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::HumanAdded {
                    name: human.name.clone(),
                    admin: human.admin,
                }),
            );
            append_in(tx, self.key.as_ref(), &[entry], human.created_ms)?;
            Ok(())
        })
    }

    fn passkeys(&self, human: &str) -> Result<Vec<StoredPasskey>, StoreError> {
        let all: Vec<StoredPasskey> = self.with(|c| PASSKEYS.all(c))?;
        Ok(all.into_iter().filter(|p| p.human == human).collect())
    }

    fn add_passkey(
        &self,
        passkey: &StoredPasskey,
        os_user: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let human: Option<String> = tx
                .query_row(
                    "SELECT name FROM humans WHERE name = ?1",
                    [&passkey.human],
                    |r| r.get(0),
                )
                .optional()?;
            if human.is_none() {
                return Err(StoreError::NotFound {
                    what: "human",
                    id: passkey.human.clone(),
                });
            }
            let taken: Option<String> = tx
                .query_row(
                    "SELECT id FROM passkeys WHERE id = ?1",
                    [&passkey.id],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(StoreError::Invalid(
                    "that passkey is already registered".to_owned(),
                ));
            }
            PASSKEYS.insert(tx, &passkey.id, passkey)?;
            let entry = Entry::new(
                Kind::PasskeyAdded,
                Actors {
                    human: Some(passkey.human.clone()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::PasskeyAdded {
                    id: passkey.id.clone(),
                    name: passkey.name.clone(),
                }),
            );
            append_in(tx, self.key.as_ref(), &[entry], passkey.created_ms)?;
            Ok(())
        })
    }

    fn remove_passkey(
        &self,
        id: &str,
        removed_by: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<StoredPasskey, StoreError> {
        self.write(|tx| {
            let passkey: StoredPasskey = PASSKEYS.get(tx, id)?;
            tx.execute("DELETE FROM passkeys WHERE id = ?1", [id])?;
            let entry = Entry::new(
                Kind::PasskeyRemoved,
                Actors {
                    human: Some(removed_by.to_owned()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::PasskeyRemoved {
                    human: passkey.human.clone(),
                    id: passkey.id.clone(),
                    name: passkey.name.clone(),
                }),
            );
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(passkey)
        })
    }

    fn passkey_used(
        &self,
        id: &str,
        credential: &serde_json::Value,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut passkey: StoredPasskey = PASSKEYS.get(tx, id)?;
            passkey.credential = credential.clone();
            passkey.used_ms = Some(now_ms);
            PASSKEYS.update(tx, id, &passkey)?;
            Ok(())
        })
    }

    fn agents(&self) -> Result<Vec<AgentIdentity>, StoreError> {
        self.with(|c| {
            let mut query =
                c.prepare_cached("SELECT name, token_hash, created_ms FROM agents ORDER BY name")?;
            let rows = query.query_map([], |row| {
                Ok(AgentIdentity {
                    name: row.get(0)?,
                    token_hash: row.get(1)?,
                    created_ms: row.get(2)?,
                })
            })?;
            rows.map(|r| r.map_err(StoreError::from)).collect()
        })
    }

    fn add_agent(
        &self,
        agent: AgentIdentity,
        added_by: &str,
        os_user: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let human: Option<String> = tx
                .query_row("SELECT name FROM humans WHERE name = ?1", [&agent.name], |r| {
                    r.get(0)
                })
                .optional()?;
            if human.is_some() {
                // INVARIANT: no name is both a human and an agent, so an agent can never
                // pass for an approver in the ledger.
                return Err(StoreError::Invalid(format!(
                    "a human named `{}` exists; an agent needs another name",
                    agent.name
                )));
            }
            // Adding an agent that exists issues it a new credential: the old one stops
            // working at once.
            tx.execute(
                "INSERT INTO agents (name, token_hash, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, created_ms = excluded.created_ms",
                params![agent.name, agent.token_hash, agent.created_ms],
            )?;
            let entry = Entry::new(
                Kind::AgentAdded,
                Actors {
                    agent: Some(agent.name.clone()),
                    human: Some(added_by.to_owned()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::AgentAdded {
                    name: agent.name.clone(),
                }),
            );
            append_in(tx, self.key.as_ref(), &[entry], agent.created_ms)?;
            Ok(())
        })
    }

    fn keep_recovery(&self, point: &RecoveryPoint, now_ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            RECOVERIES.insert(tx, &point.id, point)?;
            let entry = Entry::new(
                Kind::RecoveryKept,
                Actors {
                    agent: Some(point.agent.clone()),
                    session: point.session.clone(),
                    ..Actors::default()
                },
                json(point),
            )
            .digest(point.digest.clone());
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(())
        })
    }

    fn recoveries(&self) -> Result<Vec<RecoveryPoint>, StoreError> {
        self.with(|c| RECOVERIES.all(c))
    }

    fn settle_recovery(
        &self,
        id: &str,
        state: &str,
        human: &str,
        os_user: Option<String>,
        now_ms: i64,
    ) -> Result<RecoveryPoint, StoreError> {
        self.write(|tx| {
            let mut point: RecoveryPoint = RECOVERIES.get(tx, id)?;
            if point.state != "kept" {
                return Err(StoreError::Invalid(format!(
                    "recovery point `{id}` was already {}",
                    point.state
                )));
            }
            point.state = state.to_owned();
            RECOVERIES.update(tx, id, &point)?;
            let kind = if state == "restored" {
                Kind::RecoveryRestored
            } else {
                Kind::RecoveryPurged
            };
            let entry = Entry::new(
                kind,
                Actors {
                    agent: Some(point.agent.clone()),
                    session: point.session.clone(),
                    human: Some(human.to_owned()),
                    os_user,
                    ..Actors::default()
                },
                json(&bodies::RecoverySettled {
                    id: id.to_owned(),
                    table: point.table.clone(),
                }),
            )
            .digest(point.digest.clone());
            append_in(tx, self.key.as_ref(), &[entry], now_ms)?;
            Ok(point)
        })
    }

    fn open_sign_in(&self, sign_in: &SignIn) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM sign_ins WHERE expires_ms <= ?1",
                [sign_in.created_ms],
            )?;
            c.execute(
                "INSERT INTO sign_ins (token_hash, human, csrf, created_ms, expires_ms, client, browser) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    sign_in.token_hash,
                    sign_in.human,
                    sign_in.csrf,
                    sign_in.created_ms,
                    sign_in.expires_ms,
                    sign_in.client,
                    sign_in.browser
                ],
            )?;
            Ok(())
        })
    }

    fn sign_in(&self, token_hash: &str, now_ms: i64) -> Result<Option<SignIn>, StoreError> {
        self.with(|c| {
            let found = c
                .prepare_cached(
                    "SELECT token_hash, human, csrf, created_ms, expires_ms, client, browser FROM sign_ins WHERE token_hash = ?1 AND expires_ms > ?2",
                )?
                .query_row(params![token_hash, now_ms], sign_in_row)
                .optional()?;
            Ok(found)
        })
    }

    fn sign_ins_of(&self, human: &str, now_ms: i64) -> Result<Vec<SignIn>, StoreError> {
        self.with(|c| {
            let mut query = c.prepare_cached(
                "SELECT token_hash, human, csrf, created_ms, expires_ms, client, browser FROM sign_ins WHERE human = ?1 AND expires_ms > ?2 ORDER BY created_ms DESC",
            )?;
            let rows = query.query_map(params![human, now_ms], sign_in_row)?;
            rows.map(|r| r.map_err(StoreError::from)).collect()
        })
    }

    fn close_sign_in(&self, token_hash: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM sign_ins WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
    }
}

/// A row of `sign_ins`, its columns in `SignIn`'s order.
fn sign_in_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SignIn> {
    Ok(SignIn {
        token_hash: row.get(0)?,
        human: row.get(1)?,
        csrf: row.get(2)?,
        created_ms: row.get(3)?,
        expires_ms: row.get(4)?,
        client: row.get(5)?,
        browser: row.get(6)?,
    })
}

fn agent_exists(tx: &Transaction<'_>, name: &str) -> Result<bool, StoreError> {
    let found: Option<String> = tx
        .query_row("SELECT name FROM agents WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sessions_instructions_are_found_through_their_own_index() {
        let dir = std::env::temp_dir().join(format!("holdpoint-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db");
        let _ = std::fs::remove_file(&path);
        let store = SqliteStore::open(&path, SigningKey::from_seed([7; 32])).unwrap();
        let instructed = |agent: &str, session: &str| {
            Entry::new(
                Kind::Instructed,
                Actors {
                    agent: Some(agent.to_owned()),
                    session: Some(session.to_owned()),
                    ..Actors::default()
                },
                json(&bodies::Instructed {
                    text: Some("clean up".to_owned()),
                    sha256: "sha256:00".to_owned(),
                    redacted: 0,
                    prompt_id: None,
                }),
            )
        };
        store
            .append(&[instructed("claude", "s1"), instructed("codex", "s2")], 1)
            .unwrap();
        assert!(store.instructed("claude", "s1").unwrap());
        // Another agent's instruction under the same id does not count.
        assert!(!store.instructed("codex", "s1").unwrap());
        assert!(!store.instructed("claude", "s2").unwrap());
        // The query written for the index is the one SQLite takes it for, and the kind
        // it spells out is the one records are written with.
        assert_eq!(Kind::Instructed.as_str(), "instructed");
        let plan: Vec<String> = store
            .with(|c| {
                let mut query = c.prepare(
                    "EXPLAIN QUERY PLAN SELECT text FROM records WHERE session = ?1 AND kind = 'instructed' ORDER BY seq DESC LIMIT 16",
                )?;
                let rows = query
                    .query_map(params!["s1"], |row| row.get::<_, String>(3))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("records_instructed")),
            "{plan:?}"
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
