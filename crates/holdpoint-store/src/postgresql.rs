//! The ledger on PostgreSQL: one ledger that several holdpoint processes, on one
//! machine or several, append to at once, each through a connection of its own.
//!
//! One chain, many writers. The head of the chain (the last record's number and hash)
//! is a row of its own, `holdpoint.head`, and every append takes it `FOR UPDATE` in the
//! transaction that inserts its records, signs the checkpoints it crosses and moves the
//! head. The row lock is what orders the writers:
//!
//! - a writer waits for the one before it to commit (or roll back), so numbers are
//!   given out in commit order, with no gap and no two records under one number, and a
//!   reader never sees record N+1 before record N;
//! - the lock belongs to the transaction, so a writer that dies (its process killed,
//!   its connection or its machine lost) holds nothing: PostgreSQL rolls its
//!   transaction back, records and checkpoint with it, and the next writer goes on from
//!   the head as it was;
//! - the one writer whose batch crosses a multiple of [`CHECKPOINT_EVERY`] signs that
//!   checkpoint, inside the same transaction, so there is exactly one per boundary,
//!   whichever process crosses it (the size is also the table's key).
//!
//! Advisory locks would order the writers as well, but the head row ties the lock to
//! the data it guards and is read in the same statement; `SERIALIZABLE` would make
//! every writer but one fail and retry under load. Each process batches its own
//! decisions into one append (group commit), so writers take the lock once per batch,
//! not once per record.

use std::sync::Mutex;
use std::time::Duration;

use holdpoint_ledger::{Checkpoint, Entry, Frontier, Hash, SigningKey, StoredRecord, encode};
use postgres::{Client, NoTls, Statement, Transaction};

use crate::{CHECKPOINT_EVERY, StoreError, extend_checked};

/// Schema migrations, in order; `holdpoint.schema`'s one row says how many have run.
// INVARIANT: migrations are only ever appended; a released one never changes.
const MIGRATIONS: &[&str] = &[r"
CREATE TABLE holdpoint.head (
    one  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO holdpoint.head (seq, hash)
    VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE holdpoint.records (
    seq     BIGINT PRIMARY KEY,
    hash    TEXT NOT NULL,
    at_ms   BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    session TEXT,
    digest  TEXT,
    text    TEXT NOT NULL
);
CREATE INDEX records_session ON holdpoint.records (session, seq);
CREATE TABLE holdpoint.checkpoints (
    size      BIGINT PRIMARY KEY,
    root      TEXT NOT NULL,
    at_ms     BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL,
    frontier  TEXT NOT NULL
);
"];

/// The advisory lock processes take while they bring the schema up to date, so that
/// two starting at once do not both run a migration.
const MIGRATING: i64 = 0x686f_6c64_706f_696e;

/// The ledger in a PostgreSQL database.
pub struct PgLedger {
    /// `None` after the connection was lost, until the next call connects again.
    connection: Mutex<Option<Connection>>,
    /// Where to connect again.
    config: postgres::Config,
    /// Signs checkpoints; a ledger opened only to read has none.
    key: Option<SigningKey>,
}

/// A connection and the statements an append runs, prepared once: an append is then
/// five round trips (begin, take the head, insert, move the head, commit) however many
/// records it holds.
struct Connection {
    client: Client,
    head: Statement,
    insert: Statement,
    moved: Statement,
}

impl std::fmt::Debug for PgLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgLedger")
    }
}

/// What the server said, with its SQLSTATE, rather than the client's bare "db error".
fn database(e: postgres::Error) -> StoreError {
    StoreError::Database(match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    })
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn as_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(corrupt)
}

impl PgLedger {
    /// Connects to the database at `url` (`postgres://user@host:port/db`; the
    /// password, if any, given apart so that it is never part of a text that is shown),
    /// bringing its schema up to date. `key` signs checkpoints.
    pub fn connect(
        url: &str,
        password: Option<&str>,
        key: Option<SigningKey>,
    ) -> Result<Self, StoreError> {
        let open = |message: String| StoreError::Open {
            path: url.to_owned(),
            message,
        };
        let mut config: postgres::Config = url.parse().map_err(|e| open(format!("{e}")))?;
        if let Some(password) = password {
            config.password(password);
        }
        let connection = Connection::open(&config).map_err(|e| open(e.to_string()))?;
        Ok(PgLedger {
            connection: Mutex::new(Some(connection)),
            config,
            key,
        })
    }

    /// Runs `f` on the connection, connecting again first when the last one was lost.
    /// A call that fails because the connection went fails (nothing is retried: what
    /// was not acknowledged is refused); the next one connects again.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
            *slot = None;
            *slot = Some(Connection::open(&self.config)?);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(StoreError::Database("no connection".to_owned()));
        };
        let result = f(connection);
        // A call that failed may have failed because the connection went, before the
        // client noticed: it is asked, and dropped if it does not answer.
        if result.is_err()
            && (connection.client.is_closed()
                || connection.client.is_valid(Duration::from_secs(2)).is_err())
        {
            *slot = None;
        }
        result
    }
}

impl Connection {
    /// Connects, brings the schema up to date and prepares an append's statements.
    fn open(config: &postgres::Config) -> Result<Self, StoreError> {
        let mut client = config.connect(NoTls).map_err(database)?;
        migrate(&mut client)?;
        // INVARIANT: the head row is locked before anything is numbered, and held to the
        // commit: no two writers number records from the same head.
        let head = client
            .prepare("SELECT seq, hash FROM holdpoint.head FOR UPDATE")
            .map_err(database)?;
        let insert = client
            .prepare(
                "INSERT INTO holdpoint.records (seq, hash, at_ms, kind, session, digest, text)
                 SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[],
                                      $5::TEXT[], $6::TEXT[], $7::TEXT[])",
            )
            .map_err(database)?;
        let moved = client
            .prepare("UPDATE holdpoint.head SET seq = $1, hash = $2")
            .map_err(database)?;
        Ok(Connection {
            client,
            head,
            insert,
            moved,
        })
    }
}

impl PgLedger {
    /// Appends `entries` after whatever any writer appended before, in one transaction,
    /// returning them as stored once they are committed.
    pub fn append(&self, entries: &[Entry], now_ms: i64) -> Result<Vec<StoredRecord>, StoreError> {
        self.with(|connection| self.append_on(connection, entries, now_ms))
    }

    fn append_on(
        &self,
        connection: &mut Connection,
        entries: &[Entry],
        now_ms: i64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let Connection {
            client,
            head,
            insert,
            moved,
        } = connection;
        let mut tx = client.transaction().map_err(database)?;
        let row = tx.query_one(&*head, &[]).map_err(database)?;
        let mut seq = u64::try_from(row.get::<_, i64>(0)).map_err(corrupt)?;
        let mut prev: Hash = row.get::<_, String>(1).parse().map_err(corrupt)?;
        let mut out = Vec::with_capacity(entries.len());
        // Inserted in one statement up to each checkpoint, which reads them back.
        let mut unwritten = 0;
        for entry in entries {
            seq += 1;
            let record = encode(seq, now_ms, prev, entry).map_err(corrupt)?;
            prev = record.hash;
            out.push(record);
            unwritten += 1;
            if seq.is_multiple_of(CHECKPOINT_EVERY) {
                insert_last(&mut tx, insert, &out, unwritten)?;
                unwritten = 0;
                checkpoint_in(&mut tx, self.key.as_ref(), seq, now_ms)?;
            }
        }
        insert_last(&mut tx, insert, &out, unwritten)?;
        tx.execute(&*moved, &[&as_i64(seq)?, &prev.to_string()])
            .map_err(database)?;
        tx.commit().map_err(database)?;
        Ok(out)
    }

    /// Up to `limit` records from `from` (a sequence number) on.
    pub fn records(&self, from: u64, limit: usize) -> Result<Vec<StoredRecord>, StoreError> {
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let rows = self.with(|connection| {
            connection
                .client
                .query(
                    "SELECT seq, hash, at_ms, kind, session, digest, text FROM holdpoint.records
                     WHERE seq >= $1 ORDER BY seq LIMIT $2",
                    &[&from, &i64::try_from(limit).unwrap_or(i64::MAX)],
                )
                .map_err(database)
        })?;
        rows.iter()
            .map(|row| {
                Ok(StoredRecord {
                    seq: u64::try_from(row.get::<_, i64>(0)).map_err(corrupt)?,
                    // A hash that does not parse is reported by the verifier as a
                    // changed record rather than stopping every read.
                    hash: row.get::<_, String>(1).parse().unwrap_or(Hash::ZERO),
                    at_ms: row.get(2),
                    kind: row.get(3),
                    session: row.get(4),
                    digest: row.get(5),
                    text: row.get(6),
                })
            })
            .collect()
    }

    /// The number of the last record; 0 for an empty ledger.
    pub fn size(&self) -> Result<u64, StoreError> {
        let row = self.with(|connection| {
            connection
                .client
                .query_one("SELECT seq FROM holdpoint.head", &[])
                .map_err(database)
        })?;
        u64::try_from(row.get::<_, i64>(0)).map_err(corrupt)
    }

    /// Every signed checkpoint, smallest first.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = self.with(|connection| {
            connection
                .client
                .query(
                    "SELECT size, root, at_ms, key_id, signature FROM holdpoint.checkpoints ORDER BY size",
                    &[],
                )
                .map_err(database)
        })?;
        rows.iter()
            .map(|row| {
                Ok(Checkpoint {
                    size: u64::try_from(row.get::<_, i64>(0)).map_err(corrupt)?,
                    root: row.get::<_, String>(1).parse().map_err(corrupt)?,
                    at_ms: row.get(2),
                    key_id: row.get(3),
                    signature: row.get(4),
                })
            })
            .collect()
    }
}

/// Inserts the last `count` of `records` in one statement.
fn insert_last(
    tx: &mut Transaction<'_>,
    insert: &Statement,
    records: &[StoredRecord],
    count: usize,
) -> Result<(), StoreError> {
    let Some(batch) = records.get(records.len().saturating_sub(count)..) else {
        return Ok(());
    };
    if batch.is_empty() {
        return Ok(());
    }
    let seqs = batch
        .iter()
        .map(|r| as_i64(r.seq))
        .collect::<Result<Vec<i64>, _>>()?;
    let hashes: Vec<String> = batch.iter().map(|r| r.hash.to_string()).collect();
    let times: Vec<i64> = batch.iter().map(|r| r.at_ms).collect();
    let kinds: Vec<&str> = batch.iter().map(|r| r.kind.as_str()).collect();
    let sessions: Vec<Option<&str>> = batch.iter().map(|r| r.session.as_deref()).collect();
    let digests: Vec<Option<&str>> = batch.iter().map(|r| r.digest.as_deref()).collect();
    let texts: Vec<&str> = batch.iter().map(|r| r.text.as_str()).collect();
    tx.execute(
        insert,
        &[&seqs, &hashes, &times, &kinds, &sessions, &digests, &texts],
    )
    .map_err(database)?;
    Ok(())
}

/// Brings the schema up to date, one process at a time.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(database)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATING])
        .map_err(database)?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS holdpoint;
         CREATE TABLE IF NOT EXISTS holdpoint.schema (
             one     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
             version INTEGER NOT NULL
         );
         INSERT INTO holdpoint.schema (version) VALUES (0) ON CONFLICT DO NOTHING;",
    )
    .map_err(database)?;
    let found = i64::from(
        tx.query_one("SELECT version FROM holdpoint.schema", &[])
            .map_err(database)?
            .get::<_, i32>(0),
    );
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    for migration in MIGRATIONS
        .iter()
        .skip(usize::try_from(found).unwrap_or(usize::MAX))
    {
        tx.batch_execute(migration).map_err(database)?;
    }
    tx.execute(
        "UPDATE holdpoint.schema SET version = $1",
        &[&i32::try_from(known).unwrap_or(i32::MAX)],
    )
    .map_err(database)?;
    tx.commit().map_err(database)
}

/// Signs the checkpoint at `size` inside `tx`: the frontier of the last checkpoint
/// below it, extended by the records since, each checked first.
fn checkpoint_in(
    tx: &mut Transaction<'_>,
    key: Option<&SigningKey>,
    size: u64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let Some(key) = key else {
        return Err(StoreError::Invalid(
            "this ledger was opened without the signing key, so it cannot sign a checkpoint"
                .to_owned(),
        ));
    };
    let last = tx
        .query_opt(
            "SELECT frontier FROM holdpoint.checkpoints WHERE size <= $1 ORDER BY size DESC LIMIT 1",
            &[&as_i64(size)?],
        )
        .map_err(database)?;
    let mut frontier: Frontier = match last {
        Some(row) => serde_json::from_str(&row.get::<_, String>(0)).map_err(corrupt)?,
        None => Frontier::default(),
    };
    let prev = if frontier.size() == 0 {
        Hash::ZERO
    } else {
        tx.query_one(
            "SELECT hash FROM holdpoint.records WHERE seq = $1",
            &[&as_i64(frontier.size())?],
        )
        .map_err(database)?
        .get::<_, String>(0)
        .parse()
        .map_err(corrupt)?
    };
    let rows = tx
        .query(
            "SELECT seq, hash, text FROM holdpoint.records WHERE seq > $1 AND seq <= $2 ORDER BY seq",
            &[&as_i64(frontier.size())?, &as_i64(size)?],
        )
        .map_err(database)?;
    extend_checked(
        &mut frontier,
        prev,
        size,
        rows.iter()
            .map(|row| Ok((row.get(0), row.get(1), row.get(2)))),
    )?;
    let checkpoint = Checkpoint::sign(size, frontier.root(), now_ms, key);
    tx.execute(
        "INSERT INTO holdpoint.checkpoints (size, root, at_ms, key_id, signature, frontier)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &as_i64(size)?,
            &checkpoint.root.to_string(),
            &checkpoint.at_ms,
            &checkpoint.key_id,
            &checkpoint.signature,
            &serde_json::to_string(&frontier).map_err(corrupt)?,
        ],
    )
    .map_err(database)?;
    Ok(())
}
