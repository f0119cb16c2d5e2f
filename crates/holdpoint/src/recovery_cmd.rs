//! `holdpoint recovery list|purge` and `holdpoint restore ID`: the recovery points the
//! PostgreSQL proxy kept before destructive statements ran, and putting them back.
//!
//! A recovery point lives in the database itself, in the `holdpoint_recovery` schema:
//! a dropped table moved there under the point's name, or a copy of the rows a
//! `TRUNCATE`, `DELETE` or `UPDATE` removed or overwrote, and a row in
//! `holdpoint_recovery.points` saying where it came from. What the statement destroyed
//! beyond its table is kept as the point's parts, rows of `holdpoint_recovery.parts` in
//! the order they go back: the rows its foreign keys cascaded to (deleted, or
//! overwritten by `SET NULL`, `SET DEFAULT` or `ON UPDATE CASCADE`), the views a
//! `DROP … CASCADE` took (set aside with the table), and the foreign keys it dropped
//! (their definitions). The ledger records each point kept, restored and purged.
//!
//! Restoring is one transaction: the table or its rows first, then the parts' views,
//! the rows deleted (parents before children: rows that refer to rows not back yet wait
//! for them), then the rows overwritten, set back by primary key (a row's key is never
//! among what holdpoint let a statement overwrite), then the foreign keys, which check
//! every row again. Anything that cannot be put back exactly stops it, and nothing
//! changes.

use std::time::Duration;

use clap::Subcommand;
use holdpoint_store::{RecoveryPoint, SqlStore, Store as _};

use crate::home::{Config, Home, now_ms, os_user};
use crate::humans::{authenticate, store_failure};
use crate::time::datetime;
use crate::{Failure, exit};

#[derive(Debug, Subcommand)]
pub(crate) enum RecoveryCommand {
    /// The recovery points kept, newest first.
    List {
        /// Also those already restored or purged.
        #[arg(long)]
        all: bool,
        /// `text` for a person, `json` for a program.
        #[arg(long, value_enum, default_value_t = crate::approvals::Format::Text)]
        format: crate::approvals::Format,
    },
    /// Delete recovery points for good (a human, at a terminal).
    Purge {
        /// Only those older than this, e.g. 7d.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
        /// Which human you are [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        human: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct RestoreArgs {
    /// The recovery point, e.g. rcv-7kq2mxtd (`holdpoint recovery list`).
    id: String,
    /// The human restoring it [default: the only human].
    #[arg(long = "as", value_name = "NAME")]
    human: Option<String>,
}

pub(crate) fn run(command: &RecoveryCommand) -> Result<u8, Failure> {
    let store = Home::locate().open_store()?;
    match command {
        RecoveryCommand::List { all, format } => {
            let mut points = store.recoveries().map_err(store_failure)?;
            points.retain(|p| *all || p.state == "kept");
            points.sort_by_key(|p| std::cmp::Reverse(p.created_ms));
            if *format == crate::approvals::Format::Json {
                crate::approvals::print_json(&points)?;
                return Ok(exit::ALLOW);
            }
            if points.is_empty() {
                println!("no recovery points{}", if *all { "" } else { " kept" });
            }
            for p in points {
                println!(
                    "{}  {:<8} {:<9} {}.{}  {}  {} by {}: {}",
                    p.id,
                    p.state,
                    p.loss,
                    p.database,
                    p.table,
                    p.rows
                        .map(|r| crate::log_cmd::counted(r, "row"))
                        .unwrap_or_else(|| "table".to_owned()),
                    datetime(p.created_ms),
                    p.agent,
                    crate::approvals::one_line(&p.statement, 80)
                );
            }
            Ok(exit::ALLOW)
        }
        RecoveryCommand::Purge { older_than, human } => {
            let age = humantime::parse_duration(older_than).map_err(|e| {
                Failure::usage(format!(
                    "--older-than `{older_than}` is not a duration ({e}); write e.g. 7d"
                ))
            })?;
            let cutoff = now_ms() - crate::home::millis(age);
            let points: Vec<RecoveryPoint> = store
                .recoveries()
                .map_err(store_failure)?
                .into_iter()
                .filter(|p| p.state == "kept" && p.created_ms < cutoff)
                .collect();
            if points.is_empty() {
                println!("no recovery points older than {older_than}");
                return Ok(exit::ALLOW);
            }
            let name = authenticate(&store, human.as_deref(), "purge recovery points")?;
            let config = Home::locate().load_config()?;
            for point in points {
                database(&config, &point, |client| {
                    let kept_as = point.id.replace('-', "_");
                    let tx = client.transaction().map_err(db)?;
                    // The views set aside depend on the table and on each other: the
                    // deepest go first.
                    for part in parts(&tx, &kept_as)?.iter().rev() {
                        if let Some(kept) = &part.kept_as {
                            drop_kept(&tx, &format!("holdpoint_recovery.{}", ident(kept)))?;
                        }
                    }
                    tx.batch_execute(&format!("DROP TABLE IF EXISTS {}", point.kept_table()))
                        .map_err(db)?;
                    tx.execute(
                        "DELETE FROM holdpoint_recovery.points WHERE id = $1",
                        &[&kept_as],
                    )
                    .map_err(db)?;
                    forget_parts(&tx, &kept_as)?;
                    tx.commit().map_err(db)
                })?;
                store
                    .settle_recovery(&point.id, "purged", &name, os_user(), now_ms())
                    .map_err(store_failure)?;
                println!("purged {} ({}.{})", point.id, point.database, point.table);
            }
            Ok(exit::ALLOW)
        }
    }
}

pub(crate) fn restore(args: &RestoreArgs) -> Result<u8, Failure> {
    let home = Home::locate();
    let store = home.open_store()?;
    let point = kept(&store, &args.id)?;
    let name = authenticate(&store, args.human.as_deref(), "restore a recovery point")?;
    let done = put_back_recorded(&store, &home.load_config()?, &point, &name)?;
    println!("restored {}: {done}", point.id);
    Ok(exit::ALLOW)
}

/// Recovery point `id`, which must still be kept.
pub(crate) fn kept(store: &SqlStore, id: &str) -> Result<RecoveryPoint, Failure> {
    let point = store
        .recoveries()
        .map_err(store_failure)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| {
            Failure::usage(format!(
                "no recovery point `{id}`: see `holdpoint recovery list`"
            ))
        })?;
    if point.state != "kept" {
        return Err(Failure::usage(format!(
            "recovery point `{}` was already {}",
            point.id, point.state
        )));
    }
    Ok(point)
}

/// Puts `point` back in its database (with the proxy's password from `config`) and
/// records that `human` restored it; says what was put back.
pub(crate) fn put_back_recorded(
    store: &SqlStore,
    config: &Config,
    point: &RecoveryPoint,
    human: &str,
) -> Result<String, Failure> {
    let done = database(config, point, |client| put_back(client, point))?;
    store
        .settle_recovery(&point.id, "restored", human, os_user(), now_ms())
        .map_err(store_failure)?;
    Ok(done)
}

fn db(e: tokio_postgres::Error) -> Failure {
    let text = e.as_db_error().map_or_else(
        || e.to_string(),
        |d| format!("{}: {}", d.code().code(), d.message()),
    );
    Failure::internal(format!("the database refused: {text}"))
}

/// Runs `work` with a connection to the point's database, as holdpoint's user; the
/// password is the proxy's (the `password_file` of the same `[[database]]`, else
/// `$HOLDPOINT_UPSTREAM_PASSWORD_FILE` or `$HOLDPOINT_UPSTREAM_PASSWORD`).
fn database<T>(
    config: &Config,
    point: &RecoveryPoint,
    work: impl FnOnce(&mut Blocking) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let password = crate::proxy::pg::upstream_password_for(
        config,
        &point.address,
        &point.user,
        &point.database,
    )?;
    let connecting = crate::proxy::pg::client_config(
        &point.address,
        &point.user,
        &point.database,
        password.as_deref(),
        "holdpoint restore",
        Duration::from_secs(10),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::internal(e.to_string()))?;
    let (client, connection) = runtime
        .block_on(connecting.connect(tokio_postgres::NoTls))
        .map_err(|e| {
            Failure::internal(format!(
                "cannot connect to {} (database {}, user {}): {e}; give the password in the [[database]]'s password_file, $HOLDPOINT_UPSTREAM_PASSWORD_FILE or $HOLDPOINT_UPSTREAM_PASSWORD",
                point.address, point.database, point.user
            ))
        })?;
    runtime.spawn(connection);
    let mut blocking = Blocking { runtime, client };
    work(&mut blocking)
}

/// A client whose calls block, for a command that does one thing at a time.
pub(crate) struct Blocking {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

pub(crate) struct BlockingTx<'a> {
    runtime: &'a tokio::runtime::Runtime,
    tx: tokio_postgres::Transaction<'a>,
}

impl Blocking {
    fn transaction(&mut self) -> Result<BlockingTx<'_>, tokio_postgres::Error> {
        let tx = self.runtime.block_on(self.client.transaction())?;
        Ok(BlockingTx {
            runtime: &self.runtime,
            tx,
        })
    }
}

impl BlockingTx<'_> {
    fn batch_execute(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.runtime.block_on(self.tx.batch_execute(sql))
    }

    fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        self.runtime.block_on(self.tx.execute(sql, params))
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        self.runtime.block_on(self.tx.query(sql, params))
    }

    fn commit(self) -> Result<(), tokio_postgres::Error> {
        self.runtime.block_on(self.tx.commit())
    }
}

/// The columns of a table, in order, as `name type`.
fn shape(tx: &BlockingTx<'_>, table: &str) -> Result<Vec<String>, Failure> {
    let rows = tx
        .query(
            "SELECT attname::text || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            &[&table],
        )
        .map_err(db)?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}

/// One more thing a recovery point kept, as `holdpoint_recovery.parts` holds it.
#[derive(Debug)]
struct Part {
    /// `delete`, `truncate` (rows removed), `update` (rows overwritten), `view` (set
    /// aside) or `constraint` (a foreign key dropped).
    kind: String,
    /// The table (or view) it came from, or the table the foreign key belongs to.
    target: String,
    /// The table or view in `holdpoint_recovery` that holds it.
    kept_as: Option<String>,
    /// How the statement reached it: `ON DELETE CASCADE`, …
    via: Option<String>,
    /// The foreign key's name and definition, and the `search_path` it was written
    /// under (its names are qualified as they were then).
    name: Option<String>,
    definition: Option<String>,
    search_path: Option<String>,
    /// The original schema and name, to put a view back under.
    schema: String,
    table: String,
}

/// Whether the database has a table of parts (points kept before holdpoint kept parts
/// have none).
fn has_parts(tx: &BlockingTx<'_>) -> Result<bool, Failure> {
    let exists = tx
        .query(
            "SELECT to_regclass('holdpoint_recovery.parts') IS NOT NULL",
            &[],
        )
        .map_err(db)?;
    Ok(exists.first().is_some_and(|row| row.get::<_, bool>(0)))
}

/// The parts of the point kept as `kept_as`, in the order they were kept.
fn parts(tx: &BlockingTx<'_>, kept_as: &str) -> Result<Vec<Part>, Failure> {
    if !has_parts(tx)? {
        return Ok(Vec::new());
    }
    let rows = tx
        .query(
            "SELECT kind, schema_name, table_name, kept_as, via, name, definition, search_path \
             FROM holdpoint_recovery.parts WHERE point = $1 ORDER BY n",
            &[&kept_as],
        )
        .map_err(db)?;
    Ok(rows
        .iter()
        .map(|row| {
            let (schema, table): (String, String) = (row.get(1), row.get(2));
            Part {
                kind: row.get(0),
                target: format!("{}.{}", ident(&schema), ident(&table)),
                kept_as: row.get(3),
                via: row.get(4),
                name: row.get(5),
                definition: row.get(6),
                search_path: row.get(7),
                schema,
                table,
            }
        })
        .collect())
}

/// Forgets the parts of the point kept as `kept_as`.
fn forget_parts(tx: &BlockingTx<'_>, kept_as: &str) -> Result<(), Failure> {
    if has_parts(tx)? {
        tx.execute(
            "DELETE FROM holdpoint_recovery.parts WHERE point = $1",
            &[&kept_as],
        )
        .map_err(db)?;
    }
    Ok(())
}

/// Drops a table, view or materialized view holdpoint kept, if it is there.
fn drop_kept(tx: &BlockingTx<'_>, kept: &str) -> Result<(), Failure> {
    let kind = tx
        .query(
            "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)",
            &[&kept],
        )
        .map_err(db)?;
    let what = match kind.first().map(|row| row.get::<_, String>(0)).as_deref() {
        Some("v") => "VIEW",
        Some("m") => "MATERIALIZED VIEW",
        Some(_) => "TABLE",
        None => return Ok(()),
    };
    tx.batch_execute(&format!("DROP {what} {kept}")).map_err(db)
}

/// The columns of `table` a row is written back through: all but generated ones.
fn writable(tx: &BlockingTx<'_>, table: &str) -> Result<Vec<String>, Failure> {
    let rows = tx
        .query(
            "SELECT attname::text FROM pg_attribute \
             WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
            &[&table],
        )
        .map_err(db)?;
    Ok(rows.iter().map(|r| ident(&r.get::<_, String>(0))).collect())
}

/// Checks that `kept` can go back into `target`: the table is there with the columns
/// it had.
fn same_shape(tx: &BlockingTx<'_>, target: &str, kept: &str) -> Result<(), Failure> {
    let now = shape(tx, target)?;
    if now.is_empty() {
        return Err(Failure::usage(format!(
            "the table {target} no longer exists: create it again (or restore its drop first), then restore"
        )));
    }
    if now != shape(tx, kept)? {
        return Err(Failure::usage(format!(
            "the table {target} changed shape since the rows were kept (its columns are not the same), so putting them back is unsafe"
        )));
    }
    Ok(())
}

/// Inserts the rows kept in `kept` back into `target`, as they were (identity values
/// included); returns how many, or the database's refusal of the insert.
fn insert_rows(
    tx: &BlockingTx<'_>,
    target: &str,
    kept: &str,
) -> Result<Result<u64, tokio_postgres::Error>, Failure> {
    same_shape(tx, target, kept)?;
    let columns = writable(tx, target)?.join(", ");
    Ok(tx.execute(
        &format!(
            "INSERT INTO {target} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {kept}"
        ),
        &[],
    ))
}

/// Sets the rows of `target` kept in `kept` back to what they were, matched by primary
/// key: an `UPDATE`, never a delete and insert, so that no foreign key to them cascades.
/// Every row kept must still be there; returns how many, or the database's refusal of
/// the update.
fn update_rows(
    tx: &BlockingTx<'_>,
    target: &str,
    kept: &str,
) -> Result<Result<u64, tokio_postgres::Error>, Failure> {
    same_shape(tx, target, kept)?;
    let keys: Vec<String> = tx
        .query(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
            &[&target],
        )
        .map_err(db)?
        .iter()
        .map(|k| ident(&k.get::<_, String>(0)))
        .collect();
    if keys.is_empty() {
        return Err(Failure::usage(format!(
            "the table {target} has no primary key, so the overwritten rows cannot be matched to put them back"
        )));
    }
    // Identity columns that are always generated cannot be set, and were not overwritten.
    let always: Vec<String> = tx
        .query(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attidentity = 'a'",
            &[&target],
        )
        .map_err(db)?
        .iter()
        .map(|r| ident(&r.get::<_, String>(0)))
        .collect();
    let columns: Vec<String> = writable(tx, target)?
        .into_iter()
        .filter(|c| !keys.contains(c) && !always.contains(c))
        .collect();
    let kept_rows: i64 = tx
        .query(&format!("SELECT count(*) FROM {kept}"), &[])
        .map_err(db)?
        .first()
        .map_or(0, |row| row.get(0));
    let on: Vec<String> = keys.iter().map(|k| format!("t.{k} = k.{k}")).collect();
    let updated = if columns.is_empty() {
        // Nothing but the key: nothing to set back, only to find.
        tx.query(
            &format!(
                "SELECT count(*) FROM {kept} k WHERE EXISTS (SELECT 1 FROM {target} t WHERE {})",
                on.join(" AND ")
            ),
            &[],
        )
        .map_err(db)?
        .first()
        .map_or(0, |row| row.get::<_, i64>(0))
        .unsigned_abs()
    } else {
        let values: Vec<String> = columns.iter().map(|c| format!("k.{c}")).collect();
        let set = tx.execute(
            &format!(
                "UPDATE {target} t SET ({}) = ROW({}) FROM {kept} k WHERE {}",
                columns.join(", "),
                values.join(", "),
                on.join(" AND ")
            ),
            &[],
        );
        match set {
            Ok(set) => set,
            Err(e) => return Ok(Err(e)),
        }
    };
    if updated != kept_rows.unsigned_abs() {
        return Err(Failure::usage(format!(
            "only {updated} of the {kept_rows} overwritten rows of {target} are still there under their primary key, so putting them back is unsafe; nothing changed"
        )));
    }
    Ok(Ok(updated))
}

/// Rows of a recovery point to put back into `target` from `kept`: inserted, or (`set`)
/// set back by primary key; `words` say what they are, with `{}` for the count.
struct Rows {
    set: bool,
    target: String,
    kept: String,
    words: String,
}

/// Puts rows back, batch after batch, and drops the tables that held them. A batch the
/// database refuses only because a row it refers to is not back yet (a foreign key,
/// checked as its statement ends) is tried again after the others, so the order they
/// were kept in need not follow every foreign key; when a round puts nothing back, the
/// last refusal stops it all. Returns what was put back, in words.
fn put_rows(tx: &BlockingTx<'_>, mut batches: Vec<Rows>) -> Result<Vec<String>, Failure> {
    let mut done = Vec::new();
    while !batches.is_empty() {
        let mut waiting = Vec::new();
        let mut refused = None;
        let before = batches.len();
        for rows in batches {
            tx.batch_execute("SAVEPOINT holdpoint_rows").map_err(db)?;
            let put = if rows.set {
                update_rows(tx, &rows.target, &rows.kept)?
            } else {
                insert_rows(tx, &rows.target, &rows.kept)?
            };
            match put {
                Ok(count) => {
                    tx.batch_execute(&format!(
                        "RELEASE SAVEPOINT holdpoint_rows; DROP TABLE {}",
                        rows.kept
                    ))
                    .map_err(db)?;
                    done.push(rows.words.replace("{}", &count.to_string()));
                }
                Err(e) => {
                    tx.batch_execute("ROLLBACK TO SAVEPOINT holdpoint_rows")
                        .map_err(db)?;
                    let waits =
                        e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION);
                    let message = format!(
                        "putting the rows of {} back failed, so nothing changed: {}",
                        rows.target,
                        db(e).message
                    );
                    if !waits {
                        return Err(Failure::usage(message));
                    }
                    refused = Some(message);
                    waiting.push(rows);
                }
            }
        }
        if waiting.len() == before {
            return Err(Failure::usage(refused.unwrap_or_default()));
        }
        batches = waiting;
    }
    Ok(done)
}

/// Moves the table or view kept as `kept` (in `holdpoint_recovery`) back to `schema`
/// under `name`, unless something of that name is there again.
fn move_back(tx: &BlockingTx<'_>, kept: &str, schema: &str, name: &str) -> Result<(), Failure> {
    let target = format!("{}.{}", ident(schema), ident(name));
    let taken = tx
        .query("SELECT to_regclass($1) IS NOT NULL", &[&target])
        .map_err(db)?;
    if taken.first().is_some_and(|row| row.get::<_, bool>(0)) {
        return Err(Failure::usage(format!(
            "a table or view {target} exists again: restoring would replace it; rename or drop it first, then restore"
        )));
    }
    tx.batch_execute(&format!(
        "ALTER TABLE holdpoint_recovery.{kept_id} SET SCHEMA {schema_id}; ALTER TABLE {schema_id}.{kept_id} RENAME TO {name_id}",
        kept_id = ident(kept),
        schema_id = ident(schema),
        name_id = ident(name),
    ))
    .map_err(db)
}

/// Puts one recovery point back, in one transaction, or says why it would be unsafe.
fn put_back(client: &mut Blocking, point: &RecoveryPoint) -> Result<String, Failure> {
    let kept_as = point.id.replace('-', "_");
    let tx = client.transaction().map_err(db)?;
    let rows = tx
        .query(
            "SELECT schema_name, table_name FROM holdpoint_recovery.points WHERE id = $1",
            &[&kept_as],
        )
        .map_err(|e| {
            Failure::usage(format!(
                "the database has no recovery points ({}); the statement that kept `{}` may have been rolled back",
                db(e).message,
                point.id
            ))
        })?;
    let Some(row) = rows.first() else {
        return Err(Failure::usage(format!(
            "the database no longer holds recovery point `{}`: the transaction that kept it was rolled back, or it was purged",
            point.id
        )));
    };
    let (schema, name): (String, String) = (row.get(0), row.get(1));
    let target = format!("{}.{}", ident(&schema), ident(&name));
    let kept = point.kept_table();
    let parts = parts(&tx, &kept_as)?;
    let part_kept = |part: &Part| {
        part.kept_as
            .as_ref()
            .map(|kept_as| format!("holdpoint_recovery.{}", ident(kept_as)))
    };
    // The table and the views first (nothing refers to a view), then the rows deleted,
    // then the rows overwritten (whose foreign keys find the rows put back), then the
    // foreign keys, which check every row.
    let mut done = Vec::new();
    let (mut inserted, mut set) = (Vec::new(), Vec::new());
    match point.loss.as_str() {
        "drop" => {
            move_back(&tx, &kept_as, &schema, &name)?;
            done.push(format!(
                "table {target} is back, with every row, index and constraint it had"
            ));
        }
        loss => {
            let rows = Rows {
                set: loss == "update",
                target: target.clone(),
                kept: kept.clone(),
                words: if loss == "update" {
                    format!("{{}} rows of {target} have their old values back")
                } else {
                    format!("{{}} rows are back in {target}")
                },
            };
            if rows.set {
                set.push(rows);
            } else {
                inserted.push(rows);
            }
        }
    }
    let mut constraints = Vec::new();
    for part in &parts {
        let via = part.via.as_deref().unwrap_or("");
        match (part.kind.as_str(), part_kept(part)) {
            ("view", Some(_)) => {
                move_back(
                    &tx,
                    part.kept_as.as_deref().unwrap_or(""),
                    &part.schema,
                    &part.table,
                )?;
                done.push(format!("view {} is back", part.target));
            }
            ("delete" | "truncate", Some(kept)) => inserted.push(Rows {
                set: false,
                target: part.target.clone(),
                kept,
                words: format!("{{}} rows are back in {} ({via})", part.target),
            }),
            ("update", Some(kept)) => set.push(Rows {
                set: true,
                target: part.target.clone(),
                kept,
                words: format!(
                    "{{}} rows of {} have their old values back ({via})",
                    part.target
                ),
            }),
            ("constraint", _) => constraints.push(part),
            (kind, _) => {
                return Err(Failure::internal(format!(
                    "recovery point `{}` has a part holdpoint does not know (`{kind}`), so nothing changed",
                    point.id
                )));
            }
        }
    }
    done.extend(put_rows(&tx, inserted)?);
    done.extend(put_rows(&tx, set)?);
    for part in constraints {
        let (Some(constraint), Some(definition)) = (&part.name, &part.definition) else {
            return Err(Failure::internal(format!(
                "recovery point `{}` has a foreign key of {} with no definition, so nothing changed",
                point.id, part.target
            )));
        };
        // The definition names tables as `search_path` let it when it was kept.
        tx.query(
            "SELECT set_config('search_path', $1, true)",
            &[&part.search_path.as_deref().unwrap_or("")],
        )
        .map_err(db)?;
        // One statement (the extended protocol takes no more), whatever the text.
        tx.execute(
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                part.target,
                ident(constraint)
            ),
            &[],
        )
        .map_err(|e| {
            Failure::usage(format!(
                "foreign key {} of {} could not be added back, so nothing changed: {}",
                ident(constraint),
                part.target,
                db(e).message
            ))
        })?;
        done.push(format!(
            "foreign key {} of {} is back",
            ident(constraint),
            part.target
        ));
    }
    forget_parts(&tx, &kept_as)?;
    tx.execute(
        "DELETE FROM holdpoint_recovery.points WHERE id = $1",
        &[&kept_as],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(done.join("; "))
}

/// A name as a quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
