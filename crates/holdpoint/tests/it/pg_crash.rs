//! The proxy killed mid-load: a change inside a transaction goes on before its records
//! are durable, and only what could commit it waits for them. So whatever the moment of
//! the kill, every transaction the database committed has all its changes in the
//! ledger, and the ledger verifies.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::pg::{Database, Proxy, world};
use crate::{stderr, stdout};

/// How many times the proxy is killed.
const KILLS: u32 = 8;

/// How many transactions commit before the kill is timed: it lands in the middle of
/// the load, not while the client is still connecting.
const BEFORE_KILL: u32 = 3;

/// A delay between 0 and 200 ms, different each time.
fn random_delay() -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap();
    let mixed = u32::from_le_bytes(bytes) ^ nanos;
    Duration::from_millis(u64::from(mixed % 200))
}

/// Runs TPC-B-like transactions through the proxy at `port` until the connection
/// fails, sent three ways in turn; each transaction's changes name `tag-N`. Counts
/// in `seen` the transactions it saw committed.
async fn load(
    port: String,
    token: String,
    database: String,
    tag: String,
    seen: Arc<AtomicU32>,
) -> u32 {
    let config = format!(
        "host=127.0.0.1 port={port} user=claude password={token} dbname={database} connect_timeout=5"
    );
    let Ok((client, connection)) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await
    else {
        return 0;
    };
    tokio::spawn(connection);
    let mut committed = 0;
    for n in 0.. {
        let id = format!("{tag}-{n}");
        let statements = [
            "BEGIN".to_owned(),
            format!(
                "UPDATE accounts SET balance = balance + 1, last = '{id}' WHERE id = {}",
                n % 10
            ),
            format!("SELECT balance FROM accounts WHERE id = {}", n % 10),
            format!("INSERT INTO history (id, delta) VALUES ('{id}', 1)"),
            "COMMIT".to_owned(),
        ];
        let ran = match n % 3 {
            // One simple query holding the whole transaction.
            0 => client.batch_execute(&statements.join(";\n")).await.err(),
            // One simple query per statement.
            1 => {
                let mut failed = None;
                for statement in &statements {
                    if let Err(e) = client.simple_query(statement).await {
                        failed = Some(e);
                        break;
                    }
                }
                failed
            }
            // The extended protocol, a statement at a time.
            _ => {
                let mut failed = None;
                for statement in &statements {
                    if let Err(e) = client.execute(statement.as_str(), &[]).await {
                        failed = Some(e);
                        break;
                    }
                }
                failed
            }
        };
        match ran {
            None => {
                committed += 1;
                seen.store(committed, Ordering::SeqCst);
            }
            Some(_) => return committed,
        }
    }
    committed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transaction_the_database_committed_has_all_its_changes_in_the_ledger() {
    let (setup, token) = tokio::task::spawn_blocking(|| world("pg-crash"))
        .await
        .unwrap();
    let db = Database::new("crash");
    db.direct(
        "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, last text); \
         INSERT INTO accounts SELECT g, 0, NULL FROM generate_series(0, 9) g; \
         CREATE TABLE history (id text PRIMARY KEY, delta int NOT NULL)",
    );
    let mut committed = 0;
    for kill in 0..KILLS {
        // Changes are allowed in development: they go on inside the transaction, and
        // only COMMIT waits for their records.
        // Each ledger batch is slowed, so that a kill lands while records are still
        // on their way far more often than it would.
        let upstream = format!("postgres://postgres@127.0.0.1:5432/{}", db.name);
        let proxy = Proxy::before(
            &setup,
            &upstream,
            &["--env", "development"],
            &[("HOLDPOINT_TEST_WRITE_DELAY_MS", "25")],
        );
        let seen = Arc::new(AtomicU32::new(0));
        let load = tokio::spawn(load(
            proxy.port.clone(),
            token.clone(),
            db.name.clone(),
            format!("k{kill}"),
            Arc::clone(&seen),
        ));
        let started = Instant::now();
        while seen.load(Ordering::SeqCst) < BEFORE_KILL {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the load never got going: {}",
                proxy.log()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(random_delay()).await;
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &proxy.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let seen = tokio::time::timeout(Duration::from_secs(30), load)
            .await
            .expect("the client noticed the proxy was gone")
            .unwrap();
        committed += seen;
        drop(proxy);
    }

    // What the database holds: every transaction that committed.
    let ids: Vec<String> = db
        .direct("SELECT id FROM history ORDER BY id")
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(
        ids.len() >= committed as usize && committed >= BEFORE_KILL * KILLS,
        "{} rows, {committed} seen committed",
        ids.len()
    );
    let started = Instant::now();
    let export = setup.run(&["log", "export"], "");
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    let records: Vec<serde_json::Value> = stdout(&export)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every committed transaction: its UPDATE and its INSERT (each naming its id once)
    // were proposed in records the ledger kept, one statement a record or all in one: a
    // `proposed` record, or a change allowed at once, written with what it did as a
    // `ran` record.
    let allowed: Vec<String> = records
        .iter()
        .filter_map(|r| match r["kind"].as_str() {
            Some("proposed") => r["body"]["input"].as_str(),
            Some("ran") => r["body"]["proposed"]["input"].as_str(),
            _ => None,
        })
        .map(str::to_owned)
        .collect();
    for id in &ids {
        let quoted = format!("'{id}'");
        let changes: usize = allowed
            .iter()
            .map(|input| input.matches(&quoted).count())
            .sum();
        assert!(
            changes >= 2,
            "transaction {id} committed, but the ledger holds {changes} of its 2 changes"
        );
    }
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    eprintln!(
        "{} committed transactions checked across {KILLS} kills in {:?}",
        ids.len(),
        started.elapsed()
    );
}
