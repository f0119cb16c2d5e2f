//! The blast radius of a held statement, for the approver: the rows and tables it would
//! touch, and what its foreign keys cascade to, counted on a connection of its own in a
//! read-only transaction.

use std::time::Duration;

use holdpoint_core::recovery::{self, Loss, Recoverable};

use super::startup::{Upstream, client_config};
use crate::keep;

/// How long counting the rows a statement would touch may take.
const COUNT_TIMEOUT: Duration = Duration::from_secs(2);

/// What a destructive statement would touch, counted on a connection of its own in a
/// read-only transaction with a statement timeout: the rows a `DELETE` or `UPDATE`
/// matches, the size and rows of a table a `DROP` or `TRUNCATE` removes, and what its
/// foreign keys cascade to (`keep::beyond`; `keeps`: the statement will keep a recovery
/// point, so where it could not keep one is said too). A sentence for the approver; one
/// saying why when it cannot be counted.
pub(super) async fn blast_radius(upstream: &Upstream, sql: &str, keeps: bool) -> Vec<String> {
    let Some(plan) = recovery::plan(sql) else {
        return Vec::new();
    };
    let walk = if keeps {
        keep::Walk::Foresee
    } else {
        keep::Walk::Count
    };
    let counted = tokio::time::timeout(COUNT_TIMEOUT * 2, count(upstream, &plan, walk)).await;
    let sentence = match counted {
        Ok(Ok(sentence)) => sentence,
        Ok(Err(e)) => format!("the rows it would touch could not be counted: {e}"),
        Err(_) => format!(
            "the rows it would touch could not be counted within {} s",
            COUNT_TIMEOUT.as_secs() * 2
        ),
    };
    vec![sentence]
}

async fn count(
    upstream: &Upstream,
    plan: &Recoverable,
    walk: keep::Walk,
) -> Result<String, String> {
    let (mut client, connection) = client_config(
        &upstream.address,
        &upstream.user,
        &upstream.database,
        upstream.password.as_deref(),
        "holdpoint blast radius",
        COUNT_TIMEOUT,
    )
    .connect(tokio_postgres::NoTls)
    .await
    .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {}",
        COUNT_TIMEOUT.as_millis()
    ))
    .await
    .map_err(|e| e.to_string())?;
    let error = |e: tokio_postgres::Error| {
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned())
    };
    let mut sentence = match plan.loss {
        Loss::Delete | Loss::Update => {
            let row = tx
                .query_one(
                    &format!("SELECT count(*) FROM ({}) affected", plan.affected_rows()),
                    &[],
                )
                .await
                .map_err(error)?;
            let rows: i64 = row.get(0);
            let verb = if plan.loss == Loss::Delete {
                "delete"
            } else {
                "overwrite"
            };
            format!(
                "would {verb} {} of table `{}` (counted just now)",
                crate::log_cmd::counted(rows, "row"),
                plan.table
            )
        }
        Loss::Drop | Loss::Truncate => {
            let row = tx
                .query_one(
                    "SELECT pg_size_pretty(pg_total_relation_size(to_regclass($1))),                      (SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1))",
                    &[&plan.table],
                )
                .await
                .map_err(error)?;
            let size: Option<String> = row.get(0);
            let estimate: Option<i64> = row.get(1);
            let Some(size) = size else {
                return Ok(format!("table `{}` does not exist now", plan.table));
            };
            let rows = match estimate {
                Some(rows) if rows >= 0 => {
                    format!("about {}", crate::log_cmd::counted(rows, "row"))
                }
                _ => {
                    let row = tx
                        .query_one(&format!("SELECT count(*) FROM {}", plan.source), &[])
                        .await
                        .map_err(error)?;
                    crate::log_cmd::counted(row.get::<_, i64>(0), "row")
                }
            };
            let verb = if plan.loss == Loss::Drop {
                "drop"
            } else {
                "empty"
            };
            format!(
                "would {verb} table `{}`: {rows}, {size} on disk",
                plan.table
            )
        }
    };
    sentence.push_str(&keep::beyond(&tx, plan, walk).await);
    let _ = tx.rollback().await;
    Ok(sentence)
}
