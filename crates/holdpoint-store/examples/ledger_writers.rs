//! Durable appends per second: WRITERS threads, each with a ledger connection of its
//! own (as each process has), append batches of BATCH records for SECONDS, to the
//! PostgreSQL store at URL, or to a SQLite store at a path. Prints one line: the
//! writers, the batches and records committed per second, and the median and p99 time
//! of one append. Run by `bench/ledger.sh`.
//!
//!   cargo run --release -p holdpoint-store --example ledger_writers -- URL|PATH WRITERS BATCH SECONDS

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use holdpoint_ledger::{Actors, Body, Entry, Kind, SigningKey};
use holdpoint_store::{SqlStore, Store as _};

/// One writer's store, with a connection of its own.
struct Ledger(SqlStore);

impl Ledger {
    fn open(at: &str) -> Result<Ledger, String> {
        let key = SigningKey::from_seed([7; 32]);
        if at.starts_with("postgres://") || at.starts_with("postgresql://") {
            SqlStore::connect(at, None, Some(key))
        } else {
            SqlStore::open(std::path::Path::new(at), key)
        }
        .map(Ledger)
        .map_err(|e| e.to_string())
    }

    fn append(&self, entries: &[Entry]) -> Result<(), String> {
        self.0
            .append(entries, 1_700_000_000_000)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [at, writers, batch, seconds] = args.as_slice() else {
        return Err("usage: ledger_writers URL|PATH WRITERS BATCH SECONDS".to_owned());
    };
    let number = |text: &str| text.parse::<usize>().map_err(|e| format!("{text}: {e}"));
    let (writers, batch, seconds) = (number(writers)?, number(batch)?, number(seconds)?);
    let start = Arc::new(Barrier::new(writers));
    let threads: Vec<_> = (0..writers)
        .map(|writer| {
            let at = at.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || -> Result<Vec<Duration>, String> {
                let ledger = Ledger::open(&at)?;
                let entries: Vec<Entry> = (0..batch)
                    .map(|n| {
                        Entry::new(
                            Kind::Proposed,
                            Actors {
                                agent: Some(format!("writer-{writer}")),
                                session: Some(format!("session-{writer}")),
                                ..Actors::default()
                            },
                            Body::of(&serde_json::json!({
                                "surface": "sql", "input": format!("SELECT {n}"),
                                "cwd": "/", "target": "postgres:app@production",
                                "environment": "production"})),
                        )
                    })
                    .collect();
                start.wait();
                let until = Instant::now() + Duration::from_secs(seconds as u64);
                let mut times = Vec::new();
                while Instant::now() < until {
                    let began = Instant::now();
                    ledger.append(&entries)?;
                    times.push(began.elapsed());
                }
                Ok(times)
            })
        })
        .collect();
    let mut times = Vec::new();
    for thread in threads {
        times.extend(
            thread
                .join()
                .map_err(|_| "a writer panicked".to_owned())??,
        );
    }
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{writers} writers, batches of {batch}: {:.0} appends/s, {:.0} records/s; one append median {:.2} ms, p99 {:.2} ms",
        times.len() as f64 / seconds as f64,
        (times.len() * batch) as f64 / seconds as f64,
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0
    );
    Ok(())
}
