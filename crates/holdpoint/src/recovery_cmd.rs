//! `holdpoint recovery list|purge` and `holdpoint restore ID`: the recovery points the
//! PostgreSQL proxy kept before destructive statements ran, and putting them back.
//!
//! A recovery point lives in the database itself, in the `holdpoint_recovery` schema:
//! a dropped table moved there under the point's name, or a copy of the rows a
//! `TRUNCATE`, `DELETE` or `UPDATE` removed or overwrote, and a row in
//! `holdpoint_recovery.points` saying where it came from. The ledger records each one
//! kept, restored and purged.

use std::time::Duration;

use clap::Subcommand;
use holdpoint_store::{RecoveryPoint, Store as _};

use crate::home::{Home, now_ms, os_user};
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
    },
    /// Delete recovery points for good (a human, at a terminal).
    Purge {
        /// Only those older than this, e.g. 7d.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
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
        RecoveryCommand::List { all } => {
            let mut points = store.recoveries().map_err(store_failure)?;
            points.retain(|p| *all || p.state == "kept");
            points.sort_by_key(|p| std::cmp::Reverse(p.created_ms));
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
                        .map(|r| format!("{r} rows"))
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
            for point in points {
                database(&point, |client| {
                    let tx = client.transaction().map_err(db)?;
                    tx.batch_execute(&format!("DROP TABLE IF EXISTS {}", point.kept_table()))
                        .map_err(db)?;
                    tx.execute(
                        "DELETE FROM holdpoint_recovery.points WHERE id = $1",
                        &[&point.id.replace('-', "_")],
                    )
                    .map_err(db)?;
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
    let store = Home::locate().open_store()?;
    let point = store
        .recoveries()
        .map_err(store_failure)?
        .into_iter()
        .find(|p| p.id == args.id)
        .ok_or_else(|| {
            Failure::usage(format!(
                "no recovery point `{}`: see `holdpoint recovery list`",
                args.id
            ))
        })?;
    if point.state != "kept" {
        return Err(Failure::usage(format!(
            "recovery point `{}` was already {}",
            point.id, point.state
        )));
    }
    let name = authenticate(&store, args.human.as_deref(), "restore a recovery point")?;
    let done = database(&point, |client| put_back(client, &point))?;
    store
        .settle_recovery(&point.id, "restored", &name, os_user(), now_ms())
        .map_err(store_failure)?;
    println!("restored {}: {done}", point.id);
    Ok(exit::ALLOW)
}

fn db(e: tokio_postgres::Error) -> Failure {
    let text = e.as_db_error().map_or_else(
        || e.to_string(),
        |d| format!("{}: {}", d.code().code(), d.message()),
    );
    Failure::internal(format!("the database refused: {text}"))
}

/// Runs `work` with a connection to the point's database, as holdpoint's user; the
/// password comes from `$HOLDPOINT_UPSTREAM_PASSWORD`.
fn database<T>(
    point: &RecoveryPoint,
    work: impl FnOnce(&mut Blocking) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let password = std::env::var("HOLDPOINT_UPSTREAM_PASSWORD").ok();
    let config = crate::pg::client_config(
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
        .block_on(config.connect(tokio_postgres::NoTls))
        .map_err(|e| {
            Failure::internal(format!(
                "cannot connect to {} (database {}, user {}): {e}; give the password in $HOLDPOINT_UPSTREAM_PASSWORD",
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
    let done = match point.loss.as_str() {
        "drop" => {
            if !shape(&tx, &target)?.is_empty() {
                return Err(Failure::usage(format!(
                    "a table {target} exists again: restoring would replace it; rename or drop it first, then restore"
                )));
            }
            tx.batch_execute(&format!(
                "ALTER TABLE {kept} SET SCHEMA {schema_id}; ALTER TABLE {schema_id}.{kept_id} RENAME TO {name_id}",
                schema_id = ident(&schema),
                kept_id = ident(&kept_as),
                name_id = ident(&name),
            ))
            .map_err(db)?;
            format!("table {target} is back, with every row, index and constraint it had")
        }
        loss => {
            let now = shape(&tx, &target)?;
            if now.is_empty() {
                return Err(Failure::usage(format!(
                    "the table {target} no longer exists: create it again (or restore its drop first), then restore"
                )));
            }
            if now != shape(&tx, &kept)? {
                return Err(Failure::usage(format!(
                    "the table {target} changed shape since the rows were kept (its columns are not the same), so putting them back is unsafe"
                )));
            }
            if loss == "update" {
                let keys = tx
                    .query(
                        "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                         WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
                        &[&target],
                    )
                    .map_err(db)?;
                if keys.is_empty() {
                    return Err(Failure::usage(format!(
                        "the table {target} has no primary key, so the overwritten rows cannot be matched to put them back"
                    )));
                }
                let on: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        let column = ident(&k.get::<_, String>(0));
                        format!("t.{column} = k.{column}")
                    })
                    .collect();
                tx.batch_execute(&format!(
                    "DELETE FROM {target} t USING {kept} k WHERE {}",
                    on.join(" AND ")
                ))
                .map_err(db)?;
            }
            let inserted = tx
                .execute(&format!("INSERT INTO {target} SELECT * FROM {kept}"), &[])
                .map_err(|e| {
                    Failure::usage(format!(
                        "putting the rows back failed, so nothing changed: {}",
                        db(e).message
                    ))
                })?;
            tx.batch_execute(&format!("DROP TABLE {kept}"))
                .map_err(db)?;
            format!("{inserted} rows are back in {target}")
        }
    };
    tx.execute(
        "DELETE FROM holdpoint_recovery.points WHERE id = $1",
        &[&kept_as],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(done)
}

/// A name as a quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
