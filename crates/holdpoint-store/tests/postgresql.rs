//! The store on a real PostgreSQL server, written by several writers at once, each
//! with a connection of its own as each process has: one chain, every number once,
//! one signed checkpoint per boundary, and a writer lost mid-append leaves nothing.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test stops at the first unexpected value, and says where"
)]

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use holdpoint_ledger::{Actors, Body, Entry, Kind, StoredRecord, Verifier};
use holdpoint_store::{CHECKPOINT_EVERY, SqlStore, Store as _};

mod common;

use common::{Database, key};

fn entry(writer: usize, n: usize) -> Entry {
    Entry::new(
        Kind::Proposed,
        Actors {
            agent: Some(format!("writer-{writer}")),
            session: Some(format!("session-{writer}")),
            ..Actors::default()
        },
        Body::of(&serde_json::json!({"surface": "shell", "input": format!("echo {n}")})),
    )
}

/// Every record, checked as `holdpoint log verify` checks a ledger; the number of
/// records and of signed checkpoints.
fn verified(ledger: &SqlStore) -> (Vec<StoredRecord>, u64) {
    let records = ledger.records(0, usize::MAX).unwrap();
    let mut verifier = Verifier::new(
        ledger.checkpoints().unwrap(),
        key().verifying_key(),
        CHECKPOINT_EVERY,
    );
    for record in &records {
        verifier
            .feed(record)
            .unwrap_or_else(|e| panic!("the ledger does not verify: {e}"));
    }
    let report = verifier
        .finish()
        .unwrap_or_else(|e| panic!("the ledger does not verify: {e}"));
    (records, report.checkpoints)
}

#[test]
fn writers_appending_at_once_share_one_chain_with_one_checkpoint_per_boundary() {
    let database = Database::new("writers");
    let url = database.url();
    const WRITERS: usize = 4;
    const BATCHES: usize = 150;
    // Each writer connects (and so migrates) at the same moment, then appends batches
    // of one to three records as fast as it can.
    let start = Arc::new(Barrier::new(WRITERS));
    let threads: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let url = url.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let ledger = SqlStore::connect(&url, None, Some(key())).unwrap();
                let mut appended = Vec::new();
                for batch in 0..BATCHES {
                    let entries: Vec<Entry> = (0..=batch % 3)
                        .map(|n| entry(writer, batch * 3 + n))
                        .collect();
                    let stored = ledger.append(&entries, 1_700_000_000_000).unwrap();
                    appended.push(stored.iter().map(|r| r.seq).collect::<Vec<_>>());
                }
                appended
            })
        })
        .collect();
    let batches: Vec<Vec<u64>> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let total: u64 = batches.iter().map(|b| b.len() as u64).sum();
    assert_eq!(total, (WRITERS * BATCHES * 2) as u64);
    // A batch's records are numbered one after another: a writer holds the head from
    // its first record to its commit.
    for batch in &batches {
        assert!(
            batch.windows(2).all(|w| w[1] == w[0] + 1),
            "a batch was interleaved with another writer's: {batch:?}"
        );
    }
    let ledger = SqlStore::connect(&url, None, None).unwrap();
    let (records, checkpoints) = verified(&ledger);
    assert_eq!(records.len() as u64, total);
    assert_eq!(ledger.size().unwrap(), total);
    assert_eq!(checkpoints, total / CHECKPOINT_EVERY);
    // Every writer's records are all there.
    for writer in 0..WRITERS {
        let theirs = records
            .iter()
            .filter(|r| r.session.as_deref() == Some(format!("session-{writer}").as_str()))
            .count();
        assert_eq!(theirs, BATCHES * 2, "writer {writer}");
    }
}

#[test]
fn a_writer_lost_mid_append_leaves_nothing_and_the_next_goes_on_from_the_head() {
    let database = Database::new("lost");
    let url = database.url();
    let ledger = SqlStore::connect(&url, None, Some(key())).unwrap();
    let before: Vec<Entry> = (0..CHECKPOINT_EVERY as usize - 2)
        .map(|n| entry(0, n))
        .collect();
    ledger.append(&before, 1_700_000_000_000).unwrap();

    // A writer takes the head and writes a record and a checkpoint's worth past it,
    // then its connection is gone (its process killed) before it commits.
    let mut lost = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = lost.transaction().unwrap();
    tx.execute("SELECT one FROM holdpoint.writer FOR UPDATE", &[])
        .unwrap();
    let head = tx
        .query_one("SELECT max(seq) FROM holdpoint.records", &[])
        .unwrap()
        .get::<_, i64>(0);
    tx.execute(
        "INSERT INTO holdpoint.records (seq, hash, at_ms, kind, text) VALUES ($1, 'x', 0, 'proposed', '{}')",
        &[&(head + 1)],
    )
    .unwrap();
    // Another writer waits on the head meanwhile.
    let waiting = {
        let url = url.clone();
        std::thread::spawn(move || {
            let ledger = SqlStore::connect(&url, None, Some(key())).unwrap();
            let entries: Vec<Entry> = (0..4).map(|n| entry(1, n)).collect();
            ledger.append(&entries, 1_700_000_000_001).unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !waiting.is_finished(),
        "the second writer did not wait for the head"
    );
    // Gone without a rollback: the socket closes with the transaction open.
    std::mem::forget(tx);
    drop(lost);
    let appended = waiting.join().unwrap();
    assert_eq!(
        appended.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (head as u64 + 1..=head as u64 + 4).collect::<Vec<_>>(),
        "the next writer numbers from the head the lost one never moved"
    );
    let (records, checkpoints) = verified(&ledger);
    assert_eq!(records.len(), CHECKPOINT_EVERY as usize + 2);
    assert_eq!(
        checkpoints, 1,
        "the boundary the second writer crossed is signed once"
    );
}

#[test]
fn one_append_across_several_boundaries_signs_each_once() {
    let database = Database::new("boundaries");
    let ledger = SqlStore::connect(&database.url(), None, Some(key())).unwrap();
    ledger.append(&[entry(0, 0)], 1_700_000_000_000).unwrap();
    let many: Vec<Entry> = (1..600).map(|n| entry(0, n)).collect();
    let stored = ledger.append(&many, 1_700_000_000_001).unwrap();
    assert_eq!(stored.first().map(|r| r.seq), Some(2));
    assert_eq!(stored.last().map(|r| r.seq), Some(600));
    let (records, checkpoints) = verified(&ledger);
    assert_eq!(records.len(), 600);
    assert_eq!(checkpoints, 2);
}

#[test]
fn a_process_whose_key_is_not_the_one_the_store_is_signed_with_is_refused() {
    let other = || holdpoint_ledger::SigningKey::from_seed([9; 32]);
    let refused = |store: Result<SqlStore, holdpoint_store::StoreError>| match store {
        Ok(_) => panic!("a store signed with another key was opened to write"),
        Err(e) => e.to_string(),
    };

    // The first process to connect with a key names it; another key is refused, saying
    // what to do, and nothing it could sign is written; readers need no key.
    let database = Database::new("signer");
    let first = SqlStore::connect(&database.url(), None, Some(key())).unwrap();
    first.append(&[entry(0, 0)], 1_700_000_000_000).unwrap();
    let why = refused(SqlStore::connect(&database.url(), None, Some(other())));
    assert!(
        why.contains("signed with the key") && why.contains("copy keys/ledger.key"),
        "{why}"
    );
    SqlStore::connect(&database.url(), None, Some(key())).unwrap();
    let reader = SqlStore::connect(&database.url(), None, None).unwrap();
    assert_eq!(reader.size().unwrap(), 1);

    // A store copied in holds checkpoints signed before anyone connected with a key:
    // they name the key.
    let copied = Database::new("signer_copied");
    let source = SqlStore::connect(&database.url(), None, Some(key())).unwrap();
    let many: Vec<Entry> = (1..300).map(|n| entry(0, n)).collect();
    source.append(&many, 1_700_000_000_001).unwrap();
    let target = SqlStore::connect(&copied.url(), None, None).unwrap();
    source.copy_to(&target, &mut |_, _| {}).unwrap();
    let why = refused(SqlStore::connect(&copied.url(), None, Some(other())));
    assert!(why.contains("signed with the key"), "{why}");
    let (records, checkpoints) =
        verified(&SqlStore::connect(&copied.url(), None, Some(key())).unwrap());
    assert_eq!((records.len(), checkpoints), (300, 1));
}

/// The store's backends in this database other than `admin`'s own, waiting for a lock
/// or not.
fn backends(admin: &mut postgres::Client, waiting: bool) -> Vec<i32> {
    admin
        .query(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND application_name = 'holdpoint'
               AND (NOT $1 OR wait_event_type = 'Lock')",
            &[&waiting],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_writer_whose_connection_is_cut_refuses_the_append_it_was_in_and_connects_again() {
    let database = Database::new("cut");
    let ledger = Arc::new(SqlStore::connect(&database.url(), None, Some(key())).unwrap());
    ledger.append(&[entry(0, 0)], 1_700_000_000_000).unwrap();
    let mut admin = postgres::Client::connect(&database.url(), postgres::NoTls).unwrap();

    // Cut between two appends (a failover, a restart, an administrator): the next
    // append connects again and is numbered after the last, nothing refused.
    for pid in backends(&mut admin, false) {
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
    }
    until("the backend did not end", || {
        backends(&mut admin, false).is_empty()
    });
    let stored = ledger.append(&[entry(0, 1)], 1_700_000_000_001).unwrap();
    assert_eq!(stored.first().map(|r| r.seq), Some(2));

    // Cut inside an append: another writer holds the store, the append waits for it,
    // and its connection is ended while it waits.
    let mut holder = postgres::Client::connect(&database.url(), postgres::NoTls).unwrap();
    let mut held = holder.transaction().unwrap();
    held.execute("SELECT one FROM holdpoint.writer FOR UPDATE", &[])
        .unwrap();
    let waiting = {
        let ledger = Arc::clone(&ledger);
        std::thread::spawn(move || ledger.append(&[entry(0, 2)], 1_700_000_000_002))
    };
    until("the append never waited for the writer row", || {
        backends(&mut admin, true).len() == 1
    });
    for pid in backends(&mut admin, true) {
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
    }
    let refused = waiting.join().unwrap();
    assert!(
        refused.is_err(),
        "an append whose connection was cut was acknowledged"
    );
    held.rollback().unwrap();
    let stored = ledger.append(&[entry(0, 3)], 1_700_000_000_003).unwrap();
    assert_eq!(
        stored.first().map(|r| r.seq),
        Some(3),
        "the refused append left nothing, and nothing was written twice"
    );
    let (records, _) = verified(&ledger);
    assert_eq!(records.len(), 3);
}

#[test]
fn each_process_keeps_the_latest_checkpoint_beside_it_whoever_signed_it() {
    let database = Database::new("anchor");
    let dir = std::env::temp_dir().join(format!("holdpoint-anchor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let open = |name: &str| {
        SqlStore::connect(&database.url(), None, Some(key()))
            .unwrap()
            .with_anchor(dir.join(name))
    };
    let (a, b) = (open("a.json"), open("b.json"));
    let kept = |name: &str| holdpoint_store::read_anchor(&dir.join(name)).map(|c| c.size);

    // One process crosses the first boundary in batches, and keeps that checkpoint.
    for batch in 0..30 {
        let entries: Vec<Entry> = (0..10).map(|n| entry(0, batch * 10 + n)).collect();
        a.append(&entries, 1_700_000_000_000).unwrap();
    }
    assert_eq!(kept("a.json"), Some(CHECKPOINT_EVERY));
    assert_eq!(kept("b.json"), None);
    // The other, writing after it, keeps the checkpoint the first signed.
    b.append(&[entry(1, 0)], 1_700_000_000_001).unwrap();
    assert_eq!(kept("b.json"), Some(CHECKPOINT_EVERY));
    // A checkpoint asked for between boundaries is kept by the process that signed it.
    b.checkpoint(1_700_000_000_002).unwrap();
    assert_eq!(kept("b.json"), Some(301));
    let _ = std::fs::remove_dir_all(&dir);
}
