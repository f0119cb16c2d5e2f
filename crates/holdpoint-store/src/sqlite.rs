//! The store in one SQLite database: write-ahead logging, full sync on commit, and every
//! write in an immediate transaction so that concurrent writers (several hook processes
//! at once) take turns instead of interleaving.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{ToSql, TransactionBehavior};

use crate::StoreError;
use crate::db::{Arg, Db, Row, Value};

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

/// How long a writer waits for another to finish before giving up. Well below the
/// hook's own deadline, so that a store held locked is answered with a denial rather
/// than left to the agent's hook timeout, which lets the call through.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(4);

/// The size of the write-ahead log past which a short-lived process empties it into the
/// database.
const WAL_LIMIT: u64 = 256 * 1024;

/// Statements kept prepared per connection: every statement the store runs.
const PREPARED: usize = 96;

/// A connection to the store's SQLite database.
#[derive(Debug)]
pub(crate) struct Sqlite {
    connection: rusqlite::Connection,
    /// The write-ahead log beside the database, whose size decides when to checkpoint.
    wal: PathBuf,
    /// See [`crate::SqlStore::open_short_lived`].
    short_lived: bool,
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path`, bringing its schema up to date.
    pub(crate) fn open(path: &Path, short_lived: bool) -> Result<Self, StoreError> {
        let open_error = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut connection = rusqlite::Connection::open(path).map_err(open_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        connection.set_prepared_statement_cache_capacity(PREPARED);
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
        Ok(Sqlite {
            connection,
            wal: PathBuf::from(wal),
            short_lived,
        })
    }
}

fn migrate(connection: &mut rusqlite::Connection) -> Result<(), StoreError> {
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

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Int(n) => ValueRef::Integer(n),
            Arg::Text(text) => ValueRef::Text(text.as_bytes()),
            Arg::Null => ValueRef::Null,
        }))
    }
}

impl Db for Sqlite {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let changed = self
            .connection
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(args))?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn each(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut query = self.connection.prepare_cached(sql)?;
        let columns = query.column_count();
        let mut rows = query.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Text(text) => Value::Text(
                        std::str::from_utf8(text)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?
                            .to_owned(),
                    ),
                    other => {
                        return Err(StoreError::Corrupt(format!(
                            "a column holds a {} where the store keeps integers and texts",
                            other.data_type()
                        )));
                    }
                });
            }
            if !each(Row(values))? {
                break;
            }
        }
        Ok(())
    }

    fn insertion_order(&self) -> &'static str {
        "rowid"
    }
}

impl crate::db::Connection for Sqlite {
    fn begin_write(&mut self) -> Result<(), StoreError> {
        // Immediate: the write lock is taken at once, so that two writers never both
        // read and then find they cannot write.
        self.execute("BEGIN IMMEDIATE", &[]).map(drop)
    }

    fn begin_read(&mut self) -> Result<(), StoreError> {
        // A deferred transaction's first read fixes what it sees until it ends.
        self.execute("BEGIN", &[]).map(drop)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.execute("COMMIT", &[]).map(drop)
    }

    fn rollback(&mut self) {
        if !self.connection.is_autocommit() {
            let _ = self.execute("ROLLBACK", &[]);
        }
    }

    fn committed(&mut self) {
        // INVARIANT: the log stays short. What was committed is already durable in it;
        // emptying it into the database is housekeeping, so a failure here (a reader
        // holding the log) is left for the next writer.
        if self.short_lived && std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
            // Never wait for it: a reader holding the log (a long `log verify`) would
            // otherwise hold up every decision.
            let connection = &self.connection;
            let _ = connection.busy_timeout(Duration::ZERO);
            let _ = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = connection.busy_timeout(BUSY_TIMEOUT);
        }
    }
}
