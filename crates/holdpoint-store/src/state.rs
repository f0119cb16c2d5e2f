//! The store's logic, written once over [`Db`]: what each state change reads and
//! writes, and the ledger records it appends in the same transaction. It runs on SQLite
//! ([`SqlStore::open`]) and on PostgreSQL ([`SqlStore::connect`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use holdpoint_ledger::{
    Actors, ApprovalRequest, ApprovalState, Body, Checkpoint, Entry, Frontier, Hash, Kind,
    SigningKey, StoredRecord, Vote, VoteKind, encode,
};
use holdpoint_policy::Outcome;

use crate::bodies::{self, json};
use crate::db::{Arg, Connection, Db, Row, args};
use crate::postgresql::{Listener, Postgres};
use crate::sqlite::Sqlite;
use crate::{
    AgentIdentity, CHECKPOINT_EVERY, ExportState, Human, Proposal, RecoveryPoint, Settlement,
    SignIn, Store, StoreError, StoredFreeze, StoredGrant, StoredPasskey, extend_checked, new_id,
};

/// The most judgements remembered; the oldest are forgotten first.
const JUDGEMENTS_KEPT: i64 = 10_000;

/// The store, in one SQLite database or in a PostgreSQL database that several processes
/// share.
pub struct SqlStore {
    connection: Mutex<Box<dyn Connection>>,
    /// Where the store is, for messages: a path, or a URL without its password.
    place: String,
    /// Signs checkpoints; a store opened only to read has none.
    key: Option<SigningKey>,
    /// A copy of the latest signed checkpoint kept outside the database, so that deleting
    /// checkpoints from the database is found too.
    anchor: Option<PathBuf>,
    /// The size of the checkpoint last found in or copied to the anchor file.
    anchored: AtomicU64,
    /// Where the chain stood after this process's last batch of decisions
    /// ([`Store::settle_all`]), for the next one to go on from.
    chain: Mutex<Option<Chain>>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqlStore({})", self.place)
    }
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
    /// Records numbered in this transaction but not inserted yet: inserted together (one
    /// statement on PostgreSQL), before anything reads the records back, before a
    /// savepoint, and before the commit ([`write_out`]).
    unwritten: Vec<StoredRecord>,
}

/// Inserts the records `chain` numbered and has not inserted yet.
fn write_out(tx: &mut dyn Db, chain: &mut Chain) -> Result<(), StoreError> {
    if !chain.unwritten.is_empty() {
        tx.insert_records(&chain.unwritten)?;
        chain.unwritten.clear();
    }
    Ok(())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl SqlStore {
    /// Opens (creating if needed) the SQLite database at `path`, bringing its schema up
    /// to date, for a process that keeps it open. `key` signs checkpoints.
    pub fn open(path: &Path, key: SigningKey) -> Result<Self, StoreError> {
        Ok(Self::on(
            Sqlite::open(path, false)?,
            path.display().to_string(),
            Some(key),
        ))
    }

    /// Opens the SQLite store to read it (and verify it) without the signing key:
    /// anything that would sign a checkpoint fails.
    pub fn open_to_read(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::on(
            Sqlite::open(path, true)?,
            path.display().to_string(),
            None,
        ))
    }

    /// Opens the SQLite store for a process that lives for one or two transactions, such
    /// as a hook. Such a process leaves the write-ahead log as it is on close instead of
    /// checkpointing it (which would cost every decision a second sync), and empties the
    /// log into the database once it passes 256 KiB, because the next process to open
    /// the store cannot tell which frames were copied and reads all of them.
    pub fn open_short_lived(path: &Path, key: SigningKey) -> Result<Self, StoreError> {
        Ok(Self::on(
            Sqlite::open(path, true)?,
            path.display().to_string(),
            Some(key),
        ))
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user@host:port/db`; the
    /// password, if any, given apart so that it is never part of a text that is shown),
    /// bringing its schema up to date. `key` signs checkpoints; without it the store
    /// can only be read.
    pub fn connect(
        url: &str,
        password: Option<&str>,
        key: Option<SigningKey>,
    ) -> Result<Self, StoreError> {
        let connection = Postgres::connect(url, password)?;
        // Never with a password written into the address.
        let store = Self::on(connection, crate::postgresql::shown(url), key);
        if let Some(key) = &store.key {
            store.same_signer(&holdpoint_ledger::key_id(&key.verifying_key()))?;
        }
        Ok(store)
    }

    /// Refuses a store shared by several processes whose checkpoints another key signs:
    /// each process signs the checkpoints it crosses, and a ledger signed with two keys
    /// verifies with neither. The key is named once: by the checkpoints already signed
    /// (a store copied in), else by the first process that connects with a key.
    fn same_signer(&self, ours: &str) -> Result<(), StoreError> {
        let signer = |db: &mut dyn Db| {
            db.row("SELECT key_id FROM writer", args![])?
                .map(|mut row| row.opt_text(0))
                .transpose()
                .map(Option::flatten)
        };
        let theirs = match self.read(signer)? {
            Some(theirs) => theirs,
            None => self
                .write(|tx| {
                    tx.execute(
                        "UPDATE writer SET key_id = COALESCE(
                         (SELECT key_id FROM checkpoints ORDER BY size DESC LIMIT 1), ?1)
                     WHERE key_id IS NULL",
                        args![ours],
                    )?;
                    signer(tx)
                })?
                .unwrap_or_default(),
        };
        if theirs == ours {
            return Ok(());
        }
        Err(StoreError::Open {
            path: self.place.clone(),
            message: format!(
                "its checkpoints are signed with the key {theirs}, and this home's keys/ledger.key is {ours}: \
                 every home that shares a store must have the same key (copy keys/ledger.key from a home \
                 that uses this store), or the ledger would verify with neither"
            ),
        })
    }

    fn on(connection: impl Connection + 'static, place: String, key: Option<SigningKey>) -> Self {
        SqlStore {
            connection: Mutex::new(Box::new(connection)),
            place,
            key,
            anchor: None,
            anchored: AtomicU64::new(0),
            chain: Mutex::new(None),
        }
    }

    /// Hears every change to an approval request committed to the PostgreSQL store at
    /// `url`, by any process, and calls `heard` with its id for each (see [`Listener`]).
    pub fn listen(
        url: &str,
        password: Option<&str>,
        heard: impl Fn(&str) + Send + 'static,
    ) -> Result<Listener, StoreError> {
        Listener::start(url, password, heard)
    }

    /// Keeps a copy of the latest signed checkpoint in `file`, written after each commit
    /// that signs one.
    pub fn with_anchor(mut self, file: PathBuf) -> Self {
        self.anchor = Some(file);
        self
    }

    /// The key that signs checkpoints, also used for receipts.
    pub fn key(&self) -> Option<&SigningKey> {
        self.key.as_ref()
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Box<dyn Connection>> {
        // A panic while the connection was held leaves it as it was; a transaction it
        // left open is rolled back by the next `write`.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection, outside any transaction: reads, and writes that may
    /// run twice. A connection found gone (the server ended it while it was idle) is
    /// made again and `f` run once more.
    fn with<T>(&self, f: impl Fn(&mut dyn Db) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = self.connection();
        connection.ready()?;
        match f(&mut **connection) {
            Err(_) if connection.lost() => {
                connection.ready()?;
                let result = f(&mut **connection);
                if result.is_err() {
                    connection.lost();
                }
                result
            }
            result => result,
        }
    }

    /// Runs `f` in a transaction that reads one consistent state.
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection();
        let result = connection
            .begin_read()
            .and_then(|()| f(&mut **connection))
            .and_then(|value| {
                connection.commit()?;
                Ok(value)
            });
        if result.is_err() {
            connection.rollback();
            connection.lost();
        }
        result
    }

    /// Runs `f` in a write transaction, which no other writer runs beside, and commits.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection();
        let mut newest_checkpoint = 0;
        // A transaction that failed to begin is rolled back too: it may have begun
        // before its first statement failed.
        let result = connection
            .begin_write()
            .and_then(|()| {
                let mut tx = Inserting {
                    db: &mut **connection,
                    newest_checkpoint: 0,
                };
                let value = f(&mut tx);
                newest_checkpoint = tx.newest_checkpoint;
                value
            })
            .and_then(|value| {
                connection.commit()?;
                Ok(value)
            });
        match result {
            Ok(value) => {
                connection.committed();
                if let Some(anchor) = &self.anchor {
                    keep_anchor(&mut **connection, anchor, &self.anchored, newest_checkpoint);
                }
                Ok(value)
            }
            Err(e) => {
                connection.rollback();
                connection.lost();
                Err(e)
            }
        }
    }
}

/// Every table of the store and its columns, in the order a copy writes them: the
/// ledger first, then the state beside it.
const TABLES: &[(&str, &str)] = &[
    ("records", RECORD_COLUMNS),
    (
        "checkpoints",
        "size, root, at_ms, key_id, signature, frontier",
    ),
    ("approvals", "id, digest, state, created_ms, body"),
    ("grants", "id, body"),
    ("freezes", "id, body"),
    ("passkeys", "id, body"),
    ("recovery_points", "id, body"),
    ("humans", "name, secret_hash, created_ms, admin"),
    ("agents", "name, token_hash, created_ms"),
    ("validated_policies", "fingerprint, at_ms"),
    (
        "sign_ins",
        "token_hash, human, csrf, created_ms, expires_ms, client, browser",
    ),
    ("judgements", "key, fingerprint, judged, at_ms"),
    ("turns", "session, through_seq, at_ms"),
    (
        "exports",
        "sink, next_seq, holder, lease_until_ms, sent_ms, failure, failed_ms",
    ),
];

impl SqlStore {
    /// Copies everything this store keeps into `target`, which must hold nothing yet:
    /// the ledger's records and checkpoints byte for byte (so the chain and the
    /// signatures carry over), and the state beside them, each table in the order its
    /// rows were written. What this store holds is read in one consistent state, and
    /// written to `target` in one transaction: a copy that fails leaves `target` empty.
    /// `progress` is told each table's name and rows as they are done.
    pub fn copy_to(
        &self,
        target: &SqlStore,
        progress: &mut dyn FnMut(&str, u64),
    ) -> Result<(), StoreError> {
        self.read(|source| {
            target.write(|into| {
                for (table, _) in TABLES {
                    let rows = into
                        .row(&format!("SELECT count(*) FROM {table}"), &[])?
                        .map_or(Ok(0), |row| row.int(0))?;
                    if rows > 0 {
                        return Err(StoreError::Invalid(format!(
                            "the store at `{}` already holds {rows} rows in `{table}`: copy into a store that holds nothing",
                            target.place
                        )));
                    }
                }
                for (table, columns) in TABLES {
                    // A table of bodies keeps them in the order they were written;
                    // any other is ordered by its key.
                    let order = if BODY_TABLES.iter().any(|bodies| bodies.table == *table) {
                        source.insertion_order()
                    } else {
                        columns.split(',').next().unwrap_or("1")
                    };
                    let marks = (1..=columns.split(',').count())
                        .map(|n| format!("?{n}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let insert = format!("INSERT INTO {table} ({columns}) VALUES ({marks})");
                    let mut copied = 0;
                    source.each(
                        &format!("SELECT {columns} FROM {table} ORDER BY {order}"),
                        &[],
                        &mut |row| {
                            let args: Vec<Arg<'_>> = row.0.iter().map(Arg::from).collect();
                            into.execute(&insert, &args)?;
                            copied += 1;
                            Ok(true)
                        },
                    )?;
                    progress(table, copied);
                }
                Ok(())
            })
        })
    }
}

/// A write transaction's connection, noting the newest checkpoint the ledger it wrote
/// can have: every multiple of [`CHECKPOINT_EVERY`] up to the last record it inserted
/// is signed (by this process or another), and a checkpoint asked for anywhere is
/// signed by the write that asks.
struct Inserting<'a> {
    db: &'a mut dyn Db,
    newest_checkpoint: u64,
}

impl Db for Inserting<'_> {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        self.db.execute(sql, args)
    }

    fn each(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        self.db.each(sql, args, each)
    }

    fn insertion_order(&self) -> &'static str {
        self.db.insertion_order()
    }

    fn announce_approvals(&mut self, id: &str) -> Result<(), StoreError> {
        self.db.announce_approvals(id)
    }

    fn insert_records(&mut self, records: &[StoredRecord]) -> Result<(), StoreError> {
        self.db.insert_records(records)?;
        if let Some(record) = records.last() {
            let boundary = record.seq - record.seq % CHECKPOINT_EVERY;
            self.newest_checkpoint = self.newest_checkpoint.max(boundary);
        }
        Ok(())
    }

    fn signed_checkpoint(&mut self, size: u64) {
        self.newest_checkpoint = self.newest_checkpoint.max(size);
    }
}

/// Copies the latest signed checkpoint to `file` when the file holds an older one,
/// after a write whose ledger can have a checkpoint as new as `newest` (see
/// [`Inserting`]): a write that can have none newer than the one kept asks the
/// database nothing. Best effort: the checkpoint is already durable in the database.
fn keep_anchor(db: &mut dyn Db, file: &Path, anchored: &AtomicU64, newest: u64) {
    if newest <= anchored.load(Ordering::Relaxed) {
        return;
    }
    let Ok(Some(latest)) = latest_checkpoint(db) else {
        return;
    };
    let kept = read_anchor(file).map_or(0, |c| c.size);
    if kept >= latest.size {
        anchored.store(kept, Ordering::Relaxed);
        return;
    }
    let size = latest.size;
    let Ok(text) = serde_json::to_string(&latest) else {
        return;
    };
    let temp = file.with_extension("tmp");
    if std::fs::write(&temp, text + "\n").is_ok() && std::fs::rename(&temp, file).is_ok() {
        anchored.store(size, Ordering::Relaxed);
    }
}

/// A `checkpoints` row, its columns `size, root, at_ms, key_id, signature`.
fn checkpoint_from(mut row: Row) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        size: u64::try_from(row.int(0)?).map_err(corrupt)?,
        root: row.text(1)?.parse().map_err(corrupt)?,
        at_ms: row.int(2)?,
        key_id: row.text(3)?,
        signature: row.text(4)?,
    })
}

fn latest_checkpoint(db: &mut dyn Db) -> Result<Option<Checkpoint>, StoreError> {
    db.row(
        "SELECT size, root, at_ms, key_id, signature FROM checkpoints ORDER BY size DESC LIMIT 1",
        &[],
    )?
    .map(checkpoint_from)
    .transpose()
}

/// The checkpoint kept in `file`, if it holds one.
pub fn read_anchor(file: &Path) -> Option<Checkpoint> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

/// The task of `agent`'s grant in force at `now_ms` that lasts longest, if any.
fn task_in_force(tx: &mut dyn Db, agent: &str, now_ms: i64) -> Result<Option<String>, StoreError> {
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
    tx: &mut dyn Db,
    agent: &str,
    session: &str,
) -> Result<Option<String>, StoreError> {
    let texts = tx.rows(
        // The kind written out, so that the database takes the `records_instructed`
        // index.
        "SELECT text FROM records WHERE session = ?1 AND kind = 'instructed' ORDER BY seq DESC LIMIT 16",
        args![session],
    )?;
    let parse = |text: &str| {
        serde_json::from_str::<holdpoint_ledger::Record>(text)
            .map_err(|e| StoreError::Database(format!("an `instructed` record: {e}")))
    };
    let mut found = None;
    for mut row in texts {
        let record = parse(&row.text(0)?)?;
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

/// A `records` row, its columns [`RECORD_COLUMNS`].
fn stored(mut row: Row) -> Result<StoredRecord, StoreError> {
    Ok(StoredRecord {
        seq: u64::try_from(row.int(0)?).map_err(corrupt)?,
        // A hash column that does not parse is reported as a changed record by the
        // verifier rather than stopping every read.
        hash: row.text(1)?.parse().unwrap_or(Hash::ZERO),
        at_ms: row.int(2)?,
        kind: row.text(3)?,
        session: row.opt_text(4)?,
        digest: row.opt_text(5)?,
        text: row.text(6)?,
    })
}

const RECORD_COLUMNS: &str = "seq, hash, at_ms, kind, session, digest, text";

/// The last record's sequence number and hash.
fn head(tx: &mut dyn Db) -> Result<(u64, Hash), StoreError> {
    match tx.row(
        "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1",
        &[],
    )? {
        None => Ok((0, Hash::ZERO)),
        Some(mut row) => Ok((
            u64::try_from(row.int(0)?).map_err(corrupt)?,
            row.text(1)?.parse().map_err(corrupt)?,
        )),
    }
}

fn as_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(corrupt)
}

/// Appends entries inside `tx`, signing a checkpoint whenever the size passes a multiple
/// of [`CHECKPOINT_EVERY`].
fn append_in(
    tx: &mut dyn Db,
    key: Option<&SigningKey>,
    entries: &[Entry],
    now_ms: i64,
) -> Result<Vec<StoredRecord>, StoreError> {
    let mut chain = Chain::default();
    let records = append_at(tx, key, entries, now_ms, &mut chain)?;
    write_out(tx, &mut chain)?;
    Ok(records)
}

/// [`append_in`] after the last record `chain` holds, when it holds one (else read from
/// the database); `chain` is left holding where the chain now stands, for the next
/// append in `tx`, with the records it has not inserted yet.
fn append_at(
    tx: &mut dyn Db,
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
    let mut unwritten = std::mem::take(&mut chain.unwritten);
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let record = encode(seq, now_ms, prev, entry).map_err(corrupt)?;
        prev = record.hash;
        if let Some(frontier) = &mut frontier {
            frontier.push(record.hash);
        }
        unwritten.push(record.clone());
        out.push(record);
        // INVARIANT: every multiple of CHECKPOINT_EVERY has a checkpoint, also when one
        // append crosses several. Signing may read the records back: they are inserted
        // first.
        if seq.is_multiple_of(CHECKPOINT_EVERY) {
            tx.insert_records(&unwritten)?;
            unwritten.clear();
            frontier = Some(checkpoint_in(tx, key, seq, now_ms, frontier.take())?.1);
        }
    }
    *chain = Chain {
        last: Some((seq, prev)),
        frontier,
        unwritten,
    };
    Ok(out)
}

/// Signs a checkpoint at `size` with `known`, the frontier this process holds over the
/// records up to it (see [`Chain`]), or else by extending the frontier of the last
/// checkpoint below it; returns the checkpoint and its frontier.
fn checkpoint_in(
    tx: &mut dyn Db,
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
        args![
            as_i64(size)?,
            checkpoint.root.to_string().as_str(),
            checkpoint.at_ms,
            &checkpoint.key_id,
            &checkpoint.signature,
            serde_json::to_string(&frontier).map_err(corrupt)?.as_str(),
        ],
    )?;
    tx.signed_checkpoint(size);
    Ok((checkpoint, frontier))
}

/// The frontier over the records up to `size`: the last checkpoint's below it, extended
/// by the records since, each checked first.
fn checked_frontier(tx: &mut dyn Db, size: u64) -> Result<Frontier, StoreError> {
    let last = tx.row(
        "SELECT frontier FROM checkpoints WHERE size <= ?1 ORDER BY size DESC LIMIT 1",
        args![as_i64(size)?],
    )?;
    let mut frontier: Frontier = match last {
        Some(mut row) => serde_json::from_str(&row.text(0)?).map_err(corrupt)?,
        None => Frontier::default(),
    };
    if size == 0 || size == frontier.size() {
        return Err(StoreError::Invalid(format!(
            "the ledger has no records beyond #{size} to sign"
        )));
    }
    let prev: Hash = if frontier.size() == 0 {
        Hash::ZERO
    } else {
        tx.row(
            "SELECT hash FROM records WHERE seq = ?1",
            args![as_i64(frontier.size())?],
        )?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "record #{} is missing: run `holdpoint log verify`",
                frontier.size()
            ))
        })?
        .text(0)?
        .parse()
        .map_err(corrupt)?
    };
    let rows = tx.rows(
        "SELECT seq, hash, text FROM records WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        args![as_i64(frontier.size())?, as_i64(size)?],
    )?;
    extend_checked(
        &mut frontier,
        prev,
        size,
        rows.into_iter()
            .map(|mut row| Ok((row.int(0)?, row.text(1)?, row.text(2)?))),
    )?;
    Ok(frontier)
}

/// A table that keeps one JSON body per id: grants, freezes, passkeys and recovery
/// points.
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
const BODY_TABLES: [Bodies; 4] = [GRANTS, FREEZES, PASSKEYS, RECOVERIES];

impl Bodies {
    /// Every body, oldest first.
    fn all<T: serde::de::DeserializeOwned>(self, db: &mut dyn Db) -> Result<Vec<T>, StoreError> {
        let order = db.insertion_order();
        db.rows(
            &format!("SELECT body FROM {} ORDER BY {order}", self.table),
            &[],
        )?
        .into_iter()
        .map(|mut row| serde_json::from_str(&row.text(0)?).map_err(corrupt))
        .collect()
    }

    /// The body of `id`, or `NotFound`.
    fn get<T: serde::de::DeserializeOwned>(
        self,
        db: &mut dyn Db,
        id: &str,
    ) -> Result<T, StoreError> {
        let mut row = db
            .row(
                &format!("SELECT body FROM {} WHERE id = ?1", self.table),
                args![id],
            )?
            .ok_or_else(|| StoreError::NotFound {
                what: self.what,
                id: id.to_owned(),
            })?;
        serde_json::from_str(&row.text(0)?).map_err(corrupt)
    }

    fn insert<T: serde::Serialize>(
        self,
        db: &mut dyn Db,
        id: &str,
        body: &T,
    ) -> Result<(), StoreError> {
        db.execute(
            &format!("INSERT INTO {} (id, body) VALUES (?1, ?2)", self.table),
            args![id, serde_json::to_string(body).map_err(corrupt)?.as_str()],
        )?;
        Ok(())
    }

    fn update<T: serde::Serialize>(
        self,
        db: &mut dyn Db,
        id: &str,
        body: &T,
    ) -> Result<(), StoreError> {
        db.execute(
            &format!("UPDATE {} SET body = ?2 WHERE id = ?1", self.table),
            args![id, serde_json::to_string(body).map_err(corrupt)?.as_str()],
        )?;
        Ok(())
    }
}

fn load_approval(tx: &mut dyn Db, id: &str) -> Result<Option<ApprovalRequest>, StoreError> {
    tx.row("SELECT body FROM approvals WHERE id = ?1", args![id])?
        .map(|mut row| serde_json::from_str(&row.text(0)?).map_err(corrupt))
        .transpose()
}

fn save_approval(tx: &mut dyn Db, request: &ApprovalRequest) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO approvals (id, digest, state, created_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, state = excluded.state,
             created_ms = excluded.created_ms, body = excluded.body",
        args![
            &request.id,
            &request.digest,
            request.state.as_str(),
            request.created_ms,
            serde_json::to_string(request).map_err(corrupt)?.as_str(),
        ],
    )?;
    tx.announce_approvals(&request.id)
}

/// Marks the open requests whose time is up as expired, with a ledger entry each.
fn expire_in(tx: &mut dyn Db, digest: Option<&str>, now_ms: i64) -> Result<Vec<Entry>, StoreError> {
    let bodies = tx.rows(
        "SELECT body FROM approvals WHERE state IN ('pending', 'approved') AND (CAST(?1 AS TEXT) IS NULL OR digest = ?1)",
        args![digest],
    )?;
    let mut entries = Vec::new();
    for mut row in bodies {
        let mut request: ApprovalRequest = serde_json::from_str(&row.text(0)?).map_err(corrupt)?;
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
    tx: &mut dyn Db,
    digest: &str,
    now_ms: i64,
) -> Result<Option<ApprovalRequest>, StoreError> {
    let id = tx
        .row(
            "SELECT id FROM approvals WHERE digest = ?1 AND state = 'refused' ORDER BY created_ms DESC LIMIT 1",
            args![digest],
        )?
        .map(|mut row| row.text(0))
        .transpose()?;
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
    tx: &mut dyn Db,
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
        let open = tx.rows(
            "SELECT id FROM approvals WHERE digest = ?1 AND state IN ('approved', 'pending') ORDER BY state, created_ms",
            args![&digest],
        )?;
        let mut found = None;
        for mut row in open {
            if let Some(request) = load_approval(tx, &row.text(0)?)? {
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

impl Store for SqlStore {
    fn append(&self, entries: &[Entry], now_ms: i64) -> Result<Vec<StoredRecord>, StoreError> {
        self.write(|tx| append_in(tx, self.key.as_ref(), entries, now_ms))
    }

    fn records(&self, from: u64, limit: usize) -> Result<Vec<StoredRecord>, StoreError> {
        // Sequence numbers are 64-bit signed integers: there is nothing beyond i64::MAX.
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        self.with(|db| {
            db.rows(
                &format!(
                    "SELECT {RECORD_COLUMNS} FROM records WHERE seq >= ?1 ORDER BY seq LIMIT ?2"
                ),
                args![from, i64::try_from(limit).unwrap_or(i64::MAX)],
            )?
            .into_iter()
            .map(stored)
            .collect()
        })
    }

    fn session_records(&self, session: &str) -> Result<Vec<StoredRecord>, StoreError> {
        self.with(|db| {
            db.rows(
                &format!("SELECT {RECORD_COLUMNS} FROM records WHERE session = ?1 ORDER BY seq"),
                args![session],
            )?
            .into_iter()
            .map(stored)
            .collect()
        })
    }

    fn scan(
        &self,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), String>,
    ) -> Result<Result<(), String>, StoreError> {
        // One read transaction: the scan sees one consistent ledger even while writers
        // append.
        self.read(|db| {
            let mut result = Ok(());
            db.each(
                &format!("SELECT {RECORD_COLUMNS} FROM records ORDER BY seq"),
                &[],
                &mut |row| match each(stored(row)?) {
                    Ok(()) => Ok(true),
                    Err(e) => {
                        result = Err(e);
                        Ok(false)
                    }
                },
            )?;
            Ok(result)
        })
    }

    fn size(&self) -> Result<u64, StoreError> {
        self.with(|db| {
            let n = match db.row("SELECT MAX(seq) FROM records", &[])? {
                Some(row) => row.opt_int(0)?.unwrap_or(0),
                None => 0,
            };
            u64::try_from(n).map_err(corrupt)
        })
    }

    fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.with(|db| {
            db.rows(
                "SELECT size, root, at_ms, key_id, signature FROM checkpoints ORDER BY size",
                &[],
            )?
            .into_iter()
            .map(checkpoint_from)
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
            let mut chain = Chain::default();
            let settlement = settle_in(tx, self.key.as_ref(), proposal, now_ms, &mut chain)?;
            write_out(tx, &mut chain)?;
            Ok(settlement)
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
                    unwritten: Vec::new(),
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
                // What the proposals before it appended is inserted first, so that rolling
                // back to the savepoint undoes this one's records alone.
                write_out(tx, &mut chain)?;
                tx.execute("SAVEPOINT proposal", &[])?;
                match settle_in(tx, self.key.as_ref(), proposal, now_ms, &mut chain) {
                    Ok(settlement) => {
                        tx.execute("RELEASE proposal", &[])?;
                        out.push(Ok(settlement));
                    }
                    Err(e) => {
                        tx.execute("ROLLBACK TO proposal", &[])?;
                        tx.execute("RELEASE proposal", &[])?;
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
            write_out(tx, &mut chain)?;
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
        self.with(|db| load_approval(db, id))
    }

    fn approvals(&self, now_ms: i64) -> Result<Vec<ApprovalRequest>, StoreError> {
        self.write(|tx| {
            let expired = expire_in(tx, None, now_ms)?;
            if !expired.is_empty() {
                append_in(tx, self.key.as_ref(), &expired, now_ms)?;
            }
            tx.rows(
                "SELECT body FROM approvals ORDER BY created_ms DESC, id",
                &[],
            )?
            .into_iter()
            .map(|mut row| serde_json::from_str(&row.text(0)?).map_err(corrupt))
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
        self.with(|db| GRANTS.all(db))
    }

    fn instructed(&self, agent: &str, session: &str) -> Result<bool, StoreError> {
        self.with(|db| Ok(latest_instruction(db, agent, session)?.is_some()))
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
        self.with(|db| FREEZES.all(db))
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
        self.with(|db| {
            Ok(db
                .row(
                    "SELECT at_ms FROM validated_policies WHERE fingerprint = ?1",
                    args![fingerprint],
                )?
                .is_some())
        })
    }

    fn mark_policies_validated(&self, fingerprint: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO validated_policies (fingerprint, at_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                args![fingerprint, now_ms],
            )?;
            Ok(())
        })
    }

    fn remembered(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|db| {
            db.row("SELECT judged FROM judgements WHERE key = ?1", args![key])?
                .map(|mut row| row.text(0))
                .transpose()
        })
    }

    fn remembers(&self, fingerprint: &str) -> Result<bool, StoreError> {
        self.with(|db| {
            Ok(db
                .row(
                    "SELECT 1 FROM judgements WHERE fingerprint = ?1 LIMIT 1",
                    args![fingerprint],
                )?
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
                args![fingerprint],
            )?;
            tx.execute(
                "INSERT INTO judgements (key, fingerprint, judged, at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,
                     judged = excluded.judged, at_ms = excluded.at_ms",
                args![key, fingerprint, judged, now_ms],
            )?;
            // With fewer rows than are kept, the bound is NULL and nothing is deleted.
            tx.execute(
                "DELETE FROM judgements WHERE at_ms < (SELECT at_ms FROM judgements ORDER BY at_ms DESC LIMIT 1 OFFSET ?1)",
                args![JUDGEMENTS_KEPT - 1],
            )?;
            Ok(())
        })
    }

    fn turn_ended(&self, session: &str) -> Result<Option<(u64, i64)>, StoreError> {
        self.with(|db| {
            db.row(
                "SELECT through_seq, at_ms FROM turns WHERE session = ?1",
                args![session],
            )?
            .map(|row| Ok((row.int(0)?.max(0).cast_unsigned(), row.int(1)?)))
            .transpose()
        })
    }

    fn end_turn(&self, session: &str, through_seq: u64, now_ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO turns (session, through_seq, at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (session) DO UPDATE SET through_seq = excluded.through_seq,
                     at_ms = excluded.at_ms",
                args![
                    session,
                    i64::try_from(through_seq).unwrap_or(i64::MAX),
                    now_ms
                ],
            )?;
            Ok(())
        })
    }

    fn export_state(&self, sink: &str) -> Result<Option<ExportState>, StoreError> {
        self.with(|db| {
            db.row(
                "SELECT next_seq, holder, lease_until_ms, sent_ms, failure, failed_ms
                 FROM exports WHERE sink = ?1",
                args![sink],
            )?
            .map(|mut row| {
                Ok(ExportState {
                    next_seq: row.int(0)?.max(0).cast_unsigned(),
                    holder: row.opt_text(1)?,
                    lease_until_ms: row.int(2)?,
                    sent_ms: row.opt_int(3)?,
                    failure: row.opt_text(4)?,
                    failed_ms: row.opt_int(5)?,
                })
            })
            .transpose()
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
            tx.execute(
                "INSERT INTO exports (sink) VALUES (?1) ON CONFLICT DO NOTHING",
                args![sink],
            )?;
            let mut row = tx
                .row(
                    "SELECT next_seq, holder, lease_until_ms FROM exports WHERE sink = ?1",
                    args![sink],
                )?
                .ok_or_else(|| StoreError::Database(format!("no export state for `{sink}`")))?;
            let (next, current, until) = (row.int(0)?, row.opt_text(1)?, row.int(2)?);
            if let Some(current) = current.filter(|c| c != holder && until > now_ms) {
                return Ok(Err(current));
            }
            tx.execute(
                "UPDATE exports SET holder = ?2, lease_until_ms = ?3 WHERE sink = ?1",
                args![sink, holder, now_ms.saturating_add(lease_ms)],
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
                "UPDATE exports SET
                     next_seq = CASE WHEN next_seq > ?3 THEN next_seq ELSE ?3 END,
                     sent_ms = ?4, failure = NULL, failed_ms = NULL
                 WHERE sink = ?1 AND holder = ?2",
                args![sink, holder, as_i64(next_seq)?, now_ms],
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
                args![sink, holder, failure, now_ms],
            )?;
            Ok(())
        })
    }

    fn release_export(&self, sink: &str, holder: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE exports SET holder = NULL, lease_until_ms = 0 WHERE sink = ?1 AND holder = ?2",
                args![sink, holder],
            )?;
            Ok(())
        })
    }

    fn humans(&self) -> Result<Vec<Human>, StoreError> {
        self.with(|db| {
            db.rows(
                "SELECT name, secret_hash, created_ms, admin FROM humans ORDER BY name",
                &[],
            )?
            .into_iter()
            .map(|mut row| {
                Ok(Human {
                    name: row.text(0)?,
                    secret_hash: row.text(1)?,
                    created_ms: row.int(2)?,
                    admin: row.int(3)? != 0,
                })
            })
            .collect()
        })
    }
    fn add_human(
        &self,
        human: Human,
        added_by: Option<&str>,
        os_user: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            if human_exists(tx, &human.name)? {
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
                args![
                    &human.name,
                    &human.secret_hash,
                    human.created_ms,
                    human.admin
                ],
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
        let all: Vec<StoredPasskey> = self.with(|db| PASSKEYS.all(db))?;
        Ok(all.into_iter().filter(|p| p.human == human).collect())
    }

    fn add_passkey(
        &self,
        passkey: &StoredPasskey,
        os_user: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            if !human_exists(tx, &passkey.human)? {
                return Err(StoreError::NotFound {
                    what: "human",
                    id: passkey.human.clone(),
                });
            }
            let taken = tx.row("SELECT id FROM passkeys WHERE id = ?1", args![&passkey.id])?;
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
            tx.execute("DELETE FROM passkeys WHERE id = ?1", args![id])?;
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
        self.with(|db| {
            db.rows(
                "SELECT name, token_hash, created_ms FROM agents ORDER BY name",
                &[],
            )?
            .into_iter()
            .map(|mut row| {
                Ok(AgentIdentity {
                    name: row.text(0)?,
                    token_hash: row.text(1)?,
                    created_ms: row.int(2)?,
                })
            })
            .collect()
        })
    }

    fn add_agent(
        &self,
        agent: AgentIdentity,
        added_by: &str,
        os_user: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            if human_exists(tx, &agent.name)? {
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
                args![&agent.name, &agent.token_hash, agent.created_ms],
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
        self.with(|db| RECOVERIES.all(db))
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
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sign_ins WHERE expires_ms <= ?1",
                args![sign_in.created_ms],
            )?;
            tx.execute(
                "INSERT INTO sign_ins (token_hash, human, csrf, created_ms, expires_ms, client, browser) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![
                    &sign_in.token_hash,
                    &sign_in.human,
                    &sign_in.csrf,
                    sign_in.created_ms,
                    sign_in.expires_ms,
                    &sign_in.client,
                    &sign_in.browser
                ],
            )?;
            Ok(())
        })
    }

    fn sign_in(&self, token_hash: &str, now_ms: i64) -> Result<Option<SignIn>, StoreError> {
        self.with(|db| {
            db.row(
                "SELECT token_hash, human, csrf, created_ms, expires_ms, client, browser FROM sign_ins WHERE token_hash = ?1 AND expires_ms > ?2",
                args![token_hash, now_ms],
            )?
            .map(sign_in_from)
            .transpose()
        })
    }

    fn sign_ins_of(&self, human: &str, now_ms: i64) -> Result<Vec<SignIn>, StoreError> {
        self.with(|db| {
            db.rows(
                "SELECT token_hash, human, csrf, created_ms, expires_ms, client, browser FROM sign_ins WHERE human = ?1 AND expires_ms > ?2 ORDER BY created_ms DESC",
                args![human, now_ms],
            )?
            .into_iter()
            .map(sign_in_from)
            .collect()
        })
    }

    fn close_sign_in(&self, token_hash: &str) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM sign_ins WHERE token_hash = ?1",
                args![token_hash],
            )?;
            Ok(())
        })
    }
}

/// A row of `sign_ins`, its columns in `SignIn`'s order.
fn sign_in_from(mut row: Row) -> Result<SignIn, StoreError> {
    Ok(SignIn {
        token_hash: row.text(0)?,
        human: row.text(1)?,
        csrf: row.text(2)?,
        created_ms: row.int(3)?,
        expires_ms: row.int(4)?,
        client: row.text(5)?,
        browser: row.text(6)?,
    })
}

fn human_exists(tx: &mut dyn Db, name: &str) -> Result<bool, StoreError> {
    Ok(tx
        .row("SELECT name FROM humans WHERE name = ?1", args![name])?
        .is_some())
}

fn agent_exists(tx: &mut dyn Db, name: &str) -> Result<bool, StoreError> {
    Ok(tx
        .row("SELECT name FROM agents WHERE name = ?1", args![name])?
        .is_some())
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
        let store = SqlStore::open(&path, SigningKey::from_seed([7; 32])).unwrap();
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
            .with(|db| {
                db.rows(
                    "EXPLAIN QUERY PLAN SELECT text FROM records WHERE session = ?1 AND kind = 'instructed' ORDER BY seq DESC LIMIT 16",
                    args!["s1"],
                )?
                .into_iter()
                .map(|mut row| row.text(3))
                .collect::<Result<Vec<_>, _>>()
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
