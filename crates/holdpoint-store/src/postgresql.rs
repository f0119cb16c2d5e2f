//! The store on PostgreSQL: one store that several holdpoint processes, on one machine
//! or several, share, each through a connection of its own.
//!
//! One writer at a time, many processes. Every write transaction first takes the one
//! row of `holdpoint.writer` `FOR UPDATE`, and holds it to its commit. That row lock is
//! what makes the store behave as the SQLite store does with its immediate
//! transactions, across processes and machines:
//!
//! - a writer waits for the one before it to commit (or roll back) and then, at
//!   `READ COMMITTED`, sees everything it wrote: records are numbered in commit order
//!   with no gap and no number twice, so the hash chain has one head; an approval is
//!   marked used by exactly one of two retries racing on two servers;
//! - the lock belongs to the transaction, so a writer that dies (its process killed, its
//!   connection or its machine lost) holds nothing: PostgreSQL rolls its transaction
//!   back, records and checkpoint with it, and the next writer goes on from the head as
//!   it was;
//! - the one writer whose batch crosses a multiple of [`crate::CHECKPOINT_EVERY`] signs
//!   that checkpoint inside the same transaction, so there is exactly one per boundary,
//!   whichever process crosses it (the size is also the table's key).
//!
//! Advisory locks would order the writers as well, but their keys are shared with
//! whatever else uses the database; `SERIALIZABLE` would make every writer but one
//! fail and retry under load. Each process batches its own decisions into one
//! transaction (group commit), so writers take the lock once per batch, not once per
//! record. Reads take no lock.
//!
//! The store is called from plain threads (the server's and the proxies' ledger
//! writers, the command line) and from inside async runtimes (their handlers). The
//! connection is `tokio-postgres`'s with a small runtime of its own ([`Driver`]): on a
//! plain thread a call runs on that runtime right there, which also drives the
//! connection while it waits, with no other thread involved; inside another runtime,
//! where a runtime cannot be entered, the call runs on a short-lived thread of its own.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::Stream;
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, Statement};

use holdpoint_ledger::StoredRecord;

use crate::StoreError;
use crate::db::{Arg, Connection as _, Db, Row, Value, dollar_parameters};

/// Schema migrations, in order, run in the `holdpoint` schema; `schema_version`'s one
/// row says how many have run.
// INVARIANT: migrations are only ever appended; a released one never changes.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE writer (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one)
);
INSERT INTO writer DEFAULT VALUES;
CREATE TABLE records (
    seq     BIGINT PRIMARY KEY,
    hash    TEXT NOT NULL,
    at_ms   BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    session TEXT,
    digest  TEXT,
    text    TEXT NOT NULL
);
CREATE INDEX records_session ON records (session, seq);
CREATE INDEX records_instructed ON records (session, seq) WHERE kind = 'instructed';
CREATE TABLE checkpoints (
    size      BIGINT PRIMARY KEY,
    root      TEXT NOT NULL,
    at_ms     BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL,
    frontier  TEXT NOT NULL
);
CREATE TABLE approvals (
    id         TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX approvals_digest ON approvals (digest, state);
CREATE TABLE grants (
    ord  BIGINT GENERATED ALWAYS AS IDENTITY,
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE freezes (
    ord  BIGINT GENERATED ALWAYS AS IDENTITY,
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE passkeys (
    ord  BIGINT GENERATED ALWAYS AS IDENTITY,
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE recovery_points (
    ord  BIGINT GENERATED ALWAYS AS IDENTITY,
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE humans (
    name        TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    admin       BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE agents (
    name       TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE validated_policies (
    fingerprint TEXT PRIMARY KEY,
    at_ms       BIGINT NOT NULL
);
CREATE TABLE sign_ins (
    token_hash TEXT PRIMARY KEY,
    human      TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    client     TEXT NOT NULL DEFAULT '',
    browser    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE judgements (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    judged      TEXT NOT NULL,
    at_ms       BIGINT NOT NULL
);
CREATE INDEX judgements_fingerprint ON judgements (fingerprint);
CREATE INDEX judgements_at ON judgements (at_ms);
CREATE TABLE turns (
    session     TEXT PRIMARY KEY,
    through_seq BIGINT NOT NULL,
    at_ms       BIGINT NOT NULL
);
CREATE TABLE exports (
    sink           TEXT PRIMARY KEY,
    next_seq       BIGINT NOT NULL DEFAULT 0,
    holder         TEXT,
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    sent_ms        BIGINT,
    failure        TEXT,
    failed_ms      BIGINT
);
",
    r"
-- The key every process that writes the store signs checkpoints with, by its id
-- (`SqlStore::same_signer`).
ALTER TABLE writer ADD COLUMN key_id TEXT;
",
];

/// The advisory lock processes take while they bring the schema up to date, so that
/// two starting at once do not both run a migration.
const MIGRATING: i64 = 0x686f_6c64_706f_696e;

/// How long connecting may take before the store is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to the store's PostgreSQL database, made again when it is lost.
pub(crate) struct Postgres {
    config: tokio_postgres::Config,
    driver: Driver,
    /// `None` after the connection was lost, until the next transaction connects again.
    client: Option<Client>,
    /// Statements prepared on this connection, by their text as the store writes it.
    prepared: HashMap<String, Statement>,
    /// Whether a transaction is open: a connection lost inside one is never replaced
    /// silently, since what the transaction did went with it.
    in_transaction: bool,
}

/// What the server said, with its SQLSTATE, rather than the client's bare "db error".
fn database(e: &tokio_postgres::Error) -> StoreError {
    StoreError::Database(match e.as_db_error() {
        // Said as SQLite says it, so that the reason reads the same on either store.
        Some(db) if db.code() == &tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE => format!(
            "database is locked: another writer held the store for {} s ({})",
            crate::BUSY_TIMEOUT.as_secs(),
            db.code().code()
        ),
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    })
}

/// `url` as it may be shown: without a password written into it.
pub(crate) fn shown(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The connection settings for the store at `url`.
fn config_for(url: &str, password: Option<&str>) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Open {
        path: shown(url),
        message: format!("{e}"),
    })?;
    if let Some(password) = password {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    // Every statement names the store's tables unqualified. A writer waits for
    // another as long as on SQLite, and then fails: a decision is refused in time,
    // never left to the agent's hook timeout, which would let the call through.
    config.options(format!(
        "-c search_path=holdpoint -c lock_timeout={}",
        crate::BUSY_TIMEOUT.as_millis()
    ));
    config.application_name("holdpoint");
    Ok(config)
}

/// The channel every change to an approval request is announced on, when it commits.
pub(crate) const APPROVALS_CHANNEL: &str = "holdpoint_approvals";

/// Hears, on a connection of its own, every change to an approval request that any
/// process commits to the store (`NOTIFY`, sent by `Db::announce_approvals` inside the
/// writing transaction, so heard only once it commits), and calls `heard` with the
/// request's id for each, until it is dropped. A lost connection is made again every
/// second; `heard` is called with `""` (any request) each time it listens, since a
/// change may have been missed meanwhile. Waiters still look again now and then:
/// hearing is what makes them quick, never what makes them right.
#[derive(Debug)]
pub struct Listener {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Listener {
    pub(crate) fn start(
        url: &str,
        password: Option<&str>,
        heard: impl Fn(&str) + Send + 'static,
    ) -> Result<Self, StoreError> {
        let config = config_for(url, password)?;
        let driver = Driver::new()?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        std::thread::Builder::new()
            .name("holdpoint-listen".to_owned())
            .spawn(move || {
                let Ok(runtime) = driver.runtime() else {
                    return;
                };
                let mut first = true;
                while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    if !first {
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    first = false;
                    runtime.block_on(listen(&config, &heard, &stopped));
                }
            })
            .map_err(|e| StoreError::Database(format!("no thread to listen on: {e}")))?;
        Ok(Listener { stop })
    }
}

impl Drop for Listener {
    /// Tells the thread to stop, without waiting for it: it may be waiting to connect.
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Listens on one connection until it is lost or `stop` is set.
async fn listen(
    config: &tokio_postgres::Config,
    heard: &impl Fn(&str),
    stop: &std::sync::atomic::AtomicBool,
) {
    let Ok((client, mut connection)) = config.connect(NoTls).await else {
        return;
    };
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    // The LISTEN goes out while the loop below drives the connection.
    let sql = format!("LISTEN {APPROVALS_CHANNEL}");
    let mut listening = pin!(client.batch_execute(&sql));
    let mut listens = false;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        tokio::select! {
            done = &mut listening, if !listens => {
                if done.is_err() {
                    return;
                }
                listens = true;
                heard("");
            }
            message = futures_util::StreamExt::next(&mut messages) => match message {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(notice))) => heard(notice.payload()),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            // Looks at `stop` now and then.
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

impl Postgres {
    /// Connects to the database at `url`, bringing its schema up to date.
    pub(crate) fn connect(url: &str, password: Option<&str>) -> Result<Self, StoreError> {
        let open = |message: String| StoreError::Open {
            path: shown(url),
            message,
        };
        let config = config_for(url, password)?;
        let mut connection = Postgres {
            config,
            driver: Driver::new().map_err(|e| open(e.to_string()))?,
            client: None,
            prepared: HashMap::new(),
            in_transaction: false,
        };
        connection.ready().map_err(|e| open(e.to_string()))?;
        Ok(connection)
    }

    fn client(&self) -> Result<&Client, StoreError> {
        self.client
            .as_ref()
            .ok_or_else(|| StoreError::Database("the connection to the store was lost".to_owned()))
    }

    /// The statement `sql`, prepared once per connection.
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let text = dollar_parameters(sql);
        let statement = self
            .driver
            .run(self.client()?.prepare(&text))?
            .map_err(|e| database(&e))?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs a statement that takes no parameters and returns no rows as a simple query:
    /// transaction control, which is not prepared.
    fn simple(&mut self, sql: &str) -> Result<(), StoreError> {
        self.driver
            .run(self.client()?.batch_execute(sql))?
            .map_err(|e| database(&e))
    }
}

/// Statements that control the transaction, run as they are.
fn controls_transaction(sql: &str) -> bool {
    ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
        .iter()
        .any(|word| sql.starts_with(word))
}

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Arg::Int(n) if *ty == Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
            Arg::Int(n) => n.to_sql(ty, out),
            Arg::Text(text) => text.to_sql(ty, out),
            Arg::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty) || <i32 as ToSql>::accepts(ty) || <&str as ToSql>::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A row as the store reads it: integers, texts and nulls.
fn row_of(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let unreadable = |e: tokio_postgres::Error| StoreError::Corrupt(e.to_string());
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)
                .map_err(unreadable)?
                .map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)
                .map_err(unreadable)?
                .map(|n| Value::Int(i64::from(n)))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)
                .map_err(unreadable)?
                .map(|b| Value::Int(i64::from(b)))
        } else if <String as tokio_postgres::types::FromSql>::accepts(ty) {
            row.try_get::<_, Option<String>>(i)
                .map_err(unreadable)?
                .map(Value::Text)
        } else {
            return Err(StoreError::Corrupt(format!(
                "column `{}` is of type {ty}, where the store keeps integers and texts",
                column.name()
            )));
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

fn parameters<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect()
}

impl Db for Postgres {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        if args.is_empty() && controls_transaction(sql) {
            return self.simple(sql).map(|()| 0);
        }
        let statement = self.statement(sql)?;
        self.driver
            .run(self.client()?.execute(&statement, &parameters(args)))?
            .map_err(|e| database(&e))
    }

    fn each(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        let client = self.client()?;
        let query = async {
            let rows = client.query_raw(&statement, parameters(args)).await?;
            Ok::<_, tokio_postgres::Error>(rows)
        };
        // On a plain thread, each row is handed on as it comes; inside another runtime
        // they are all read first, on the call's own thread.
        if let Some(runtime) = self.driver.here() {
            return runtime.block_on(async {
                let mut rows = pin!(query.await.map_err(|e| database(&e))?);
                while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
                    if !each(row_of(&row.map_err(|e| database(&e))?)?)? {
                        break;
                    }
                }
                Ok(())
            });
        }
        let rows = self
            .driver
            .run(async {
                let mut rows = pin!(query.await?);
                let mut all = Vec::new();
                while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
                    all.push(row?);
                }
                Ok::<_, tokio_postgres::Error>(all)
            })?
            .map_err(|e| database(&e))?;
        for row in &rows {
            if !each(row_of(row)?)? {
                break;
            }
        }
        Ok(())
    }

    fn insertion_order(&self) -> &'static str {
        "ord"
    }

    fn announce_approvals(&mut self, id: &str) -> Result<(), StoreError> {
        self.execute(
            "SELECT pg_notify(?1, ?2)",
            &[Arg::Text(APPROVALS_CHANNEL), Arg::Text(id)],
        )
        .map(|_| ())
    }

    /// All in one statement: one round trip however many records a batch holds.
    fn insert_records(&mut self, records: &[StoredRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let statement = self.statement(
            "INSERT INTO records (seq, hash, at_ms, kind, session, digest, text)
             SELECT * FROM unnest(?1::BIGINT[], ?2::TEXT[], ?3::BIGINT[], ?4::TEXT[],
                                  ?5::TEXT[], ?6::TEXT[], ?7::TEXT[])",
        )?;
        let seqs = records
            .iter()
            .map(|r| i64::try_from(r.seq).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<Vec<i64>, _>>()?;
        let hashes: Vec<String> = records.iter().map(|r| r.hash.to_string()).collect();
        let times: Vec<i64> = records.iter().map(|r| r.at_ms).collect();
        let kinds: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
        let sessions: Vec<Option<&str>> = records.iter().map(|r| r.session.as_deref()).collect();
        let digests: Vec<Option<&str>> = records.iter().map(|r| r.digest.as_deref()).collect();
        let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
        self.driver
            .run(self.client()?.execute(
                &statement,
                &[&seqs, &hashes, &times, &kinds, &sessions, &digests, &texts],
            ))?
            .map_err(|e| database(&e))?;
        Ok(())
    }
}

impl Postgres {
    /// Begins a transaction with `sql`. A connection the server ended while it was idle
    /// is found only when it is next used: when `BEGIN` finds it gone, nothing was
    /// started, so it connects again and begins once more.
    ///
    /// `sql` may be several statements, sent at once: one round trip. What fails
    /// after `BEGIN` leaves the transaction open, so it counts as open from the start
    /// and the caller's rollback ends it.
    fn begin(&mut self, sql: &str) -> Result<(), StoreError> {
        use crate::db::Connection as _;
        self.ready()?;
        match self.simple(sql) {
            Err(_) if self.lost() => {
                self.ready()?;
                self.in_transaction = true;
                self.simple(sql)
            }
            begun => {
                self.in_transaction = true;
                begun
            }
        }
    }
}

impl crate::db::Connection for Postgres {
    fn begin_write(&mut self) -> Result<(), StoreError> {
        // INVARIANT: the writer row is locked before anything is read or numbered, and
        // held to the commit: no two writers act on the same state.
        self.begin("BEGIN; SELECT one FROM writer FOR UPDATE")
    }

    fn begin_read(&mut self) -> Result<(), StoreError> {
        self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let committed = self.simple("COMMIT");
        self.in_transaction = false;
        committed
    }

    fn rollback(&mut self) {
        if self.in_transaction {
            let _ = self.simple("ROLLBACK");
            self.in_transaction = false;
        }
    }

    fn ready(&mut self) -> Result<(), StoreError> {
        if self.client.as_ref().is_some_and(|c| !c.is_closed()) {
            return Ok(());
        }
        if self.in_transaction {
            return Err(StoreError::Database(
                "the connection to the store was lost inside a transaction".to_owned(),
            ));
        }
        self.client = None;
        self.prepared.clear();
        let client = connect(&self.config, &self.driver)?;
        migrate(&client, &self.driver)?;
        self.client = Some(client);
        Ok(())
    }

    fn lost(&mut self) -> bool {
        // A call that failed may have failed because the connection went (the server
        // ended it, its socket failed) before the client noticed: it is asked, and
        // dropped if it does not answer.
        let driver = &self.driver;
        let gone = self.client.as_ref().is_none_or(|client| {
            client.is_closed()
                || driver
                    .run(async {
                        // The timer is made inside the runtime, which keeps time.
                        tokio::time::timeout(Duration::from_secs(2), client.simple_query("")).await
                    })
                    .map_or(true, |answered| !matches!(answered, Ok(Ok(_))))
        });
        if gone {
            self.client = None;
            self.prepared.clear();
            self.in_transaction = false;
        }
        gone
    }
}

/// Connects; the connection is driven by `driver`'s runtime while calls wait.
fn connect(config: &tokio_postgres::Config, driver: &Driver) -> Result<Client, StoreError> {
    let (client, connection) = driver
        .run(config.connect(NoTls))?
        .map_err(|e| database(&e))?;
    driver.spawn(async move {
        // Until the server or the client ends it; its error, if any, is what the next
        // call fails with.
        let _ = connection.await;
    })?;
    Ok(client)
}

/// The runtime a connection's calls run on (see the module's documentation).
struct Driver(Option<tokio::runtime::Runtime>);

impl Driver {
    fn new() -> Result<Self, StoreError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|runtime| Driver(Some(runtime)))
            .map_err(|e| {
                StoreError::Database(format!("no runtime for the store's connection: {e}"))
            })
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime, StoreError> {
        self.0
            .as_ref()
            .ok_or_else(|| StoreError::Database("the store's connection was closed".to_owned()))
    }

    /// The runtime, when this thread may enter it: it is in no other runtime.
    fn here(&self) -> Option<&tokio::runtime::Runtime> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return None;
        }
        self.0.as_ref()
    }

    /// Runs `future` to its end.
    fn run<F>(&self, future: F) -> Result<F::Output, StoreError>
    where
        F: Future + Send,
        F::Output: Send,
    {
        if let Some(runtime) = self.here() {
            return Ok(runtime.block_on(future));
        }
        let runtime = self.runtime()?;
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("holdpoint-store-pg".to_owned())
                .spawn_scoped(scope, || runtime.block_on(future))
                .map_err(|e| StoreError::Database(format!("no thread for a store call: {e}")))?
                .join()
                .map_err(|_| StoreError::Database("a store call failed on its thread".to_owned()))
        })
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Result<(), StoreError> {
        drop(self.runtime()?.spawn(task));
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Dropped anywhere, inside a runtime too: never waits for the connection.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Brings the schema up to date, one process at a time.
fn migrate(client: &Client, driver: &Driver) -> Result<(), StoreError> {
    let run = |sql: &str| {
        driver
            .run(client.batch_execute(sql))?
            .map_err(|e| database(&e))
    };
    run("BEGIN")?;
    let migrated = migrate_in(client, driver);
    match &migrated {
        Ok(()) => run("COMMIT")?,
        Err(_) => {
            let _ = run("ROLLBACK");
        }
    }
    migrated
}

fn migrate_in(client: &Client, driver: &Driver) -> Result<(), StoreError> {
    let run = |sql: &str| {
        driver
            .run(client.batch_execute(sql))?
            .map_err(|e| database(&e))
    };
    driver
        .run(client.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATING]))?
        .map_err(|e| database(&e))?;
    run("CREATE SCHEMA IF NOT EXISTS holdpoint;
         CREATE TABLE IF NOT EXISTS holdpoint.schema_version (
             one     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
             version BIGINT NOT NULL
         );
         INSERT INTO holdpoint.schema_version (version) VALUES (0) ON CONFLICT DO NOTHING;")?;
    let found: i64 = driver
        .run(client.query_one("SELECT version FROM holdpoint.schema_version", &[]))?
        .map_err(|e| database(&e))?
        .get(0);
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    for migration in MIGRATIONS
        .iter()
        .skip(usize::try_from(found).unwrap_or(usize::MAX))
    {
        run(migration)?;
    }
    if found < known {
        driver
            .run(client.execute(
                "UPDATE holdpoint.schema_version SET version = $1",
                &[&known],
            ))?
            .map_err(|e| database(&e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_shown_without_the_password_written_into_it() {
        for (url, expected) in [
            (
                "postgres://app:s3cret@db.internal:5432/app",
                "postgres://app@db.internal:5432/app",
            ),
            ("postgres://app:p@ss@db/app", "postgres://app@db/app"),
            ("postgresql://app@db/app", "postgresql://app@db/app"),
            ("postgres://db/app", "postgres://db/app"),
        ] {
            assert_eq!(shown(url), expected);
        }
    }
}
