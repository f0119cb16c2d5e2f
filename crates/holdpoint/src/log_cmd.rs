//! `holdpoint log`: read, export and verify the ledger.

use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};
use holdpoint_ledger::{Record, StoredRecord, Verifier};
use holdpoint_store::Store as _;

use crate::approvals::{Format, one_line, print_json, printable};
use crate::home::{Home, now_ms};
use crate::humans::store_failure;
use crate::pipeline::receipt;
use crate::time::datetime;
use crate::{Failure, exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// One record per line, exactly the text that was hashed.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
    /// Show records: all of them, or one by sequence number.
    Show {
        /// The record's sequence number [default: every record].
        seq: Option<u64>,
        /// `text` for a person, `json` for a program (the API's field names).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the last records; with --follow, keep printing new ones.
    Tail {
        /// How many of the last records to show.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: u64,
        /// Keep printing records as they are appended, until interrupted.
        #[arg(short, long)]
        follow: bool,
    },
    /// Export every record, for archiving or a SIEM.
    Export {
        /// `jsonl`: each record's exact hashed text, one per line.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
    },
    /// Recompute every hash, the chain, the Merkle root at each signed checkpoint and each
    /// signature; name the first bad record.
    ///
    /// Exit status: 0 when the ledger verifies, 5 when it does not.
    Verify {
        /// The public key to verify with [default: $HOLDPOINT_HOME/keys/ledger.pub].
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Sign a checkpoint over the ledger as it is now.
    Checkpoint,
    /// Print the signed receipt of one decision (a `decided` record, or a `ran` record:
    /// a read that was allowed and ran), as JSON.
    Receipt {
        /// The sequence number of a `decided` or `ran` record (`holdpoint log show`).
        seq: u64,
    },
}

/// The exit status of a ledger that does not verify.
pub(crate) const TAMPERED: u8 = 5;

pub(crate) fn run(command: &LogCommand) -> Result<u8, Failure> {
    let home = Home::locate();
    // Reading and verifying need no signing key: an auditor with a copy of the store and
    // the public key can do both.
    let store = match command {
        LogCommand::Checkpoint | LogCommand::Receipt { .. } => home.open_store()?,
        _ => home.open_store_to_read()?,
    };
    match command {
        LogCommand::Show {
            seq: Some(seq),
            format,
        } => {
            let record = one(&store, *seq)?;
            match format {
                Format::Json => println!("{}", record.text),
                Format::Text => {
                    let parsed = parse(&record)?;
                    println!("record  #{} {}", record.seq, parsed.kind);
                    println!("hash    {}", record.hash);
                    println!("time    {}", datetime(record.at_ms));
                    let value: serde_json::Value = serde_json::from_str(&record.text)
                        .map_err(|e| Failure::internal(e.to_string()))?;
                    print_json(&value)?;
                }
            }
        }
        LogCommand::Show { seq: None, format } => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let mut from = 1;
            loop {
                let page = store.records(from, 1000).map_err(store_failure)?;
                let Some(last) = page.last() else { break };
                from = last.seq + 1;
                for record in &page {
                    let line = match format {
                        Format::Json => record.text.clone(),
                        Format::Text => summary(record),
                    };
                    if writeln!(out, "{line}").is_err() {
                        return Ok(exit::ALLOW);
                    }
                }
            }
            let _ = out.flush();
        }
        LogCommand::Tail { lines, follow } => {
            let size = store.size().map_err(store_failure)?;
            let mut from = size.saturating_sub(*lines) + 1;
            loop {
                let page = store.records(from, 1000).map_err(store_failure)?;
                for record in &page {
                    println!("{}", summary(record));
                    from = record.seq + 1;
                }
                if !follow {
                    break;
                }
                if page.is_empty() {
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
        LogCommand::Export {
            format: ExportFormat::Jsonl,
        } => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let mut failed = None;
            let result = store
                .scan(&mut |record| {
                    writeln!(out, "{}", record.text).map_err(|e| {
                        let text = e.to_string();
                        failed = Some(e);
                        text
                    })
                })
                .map_err(store_failure)?;
            let written = match (result, failed) {
                (_, Some(e)) => Err(e),
                (Err(e), None) => Err(std::io::Error::other(e)),
                (Ok(()), None) => out.flush(),
            };
            if let Err(e) = written {
                return Err(Failure::writing("the export", &e));
            }
        }
        LogCommand::Verify { key } => {
            let key = home.verifying_key(key.as_deref())?;
            let started = Instant::now();
            let result = verify(&store, &home, key)?;
            match result {
                Ok(report) => {
                    println!(
                        "ledger verified: {}, {} (last at #{}), root {} ({:.2?})",
                        counted(report.records, "record"),
                        counted(report.checkpoints, "signed checkpoint"),
                        report.signed_size,
                        report.root,
                        started.elapsed()
                    );
                    if report.records > report.signed_size {
                        println!(
                            "records #{}..#{} are chained but not yet under a signed checkpoint; `holdpoint log checkpoint` signs them",
                            report.signed_size + 1,
                            report.records
                        );
                    }
                }
                Err(b) => {
                    eprintln!(
                        "holdpoint: ledger verification FAILED at record #{}: {b}",
                        b.record()
                    );
                    return Ok(TAMPERED);
                }
            }
        }
        LogCommand::Checkpoint => {
            let checkpoint = store.checkpoint(now_ms()).map_err(store_failure)?;
            println!(
                "signed checkpoint at #{}: root {} (key {})",
                checkpoint.size, checkpoint.root, checkpoint.key_id
            );
        }
        LogCommand::Receipt { seq } => {
            let record = one(&store, *seq)?;
            print_json(&receipt(&store, &record)?)?;
        }
    }
    Ok(exit::ALLOW)
}

/// `n` with its noun, singular for one: "1 signed checkpoint", "300 records".
pub(crate) fn counted(n: impl std::fmt::Display, noun: &str) -> String {
    let n = n.to_string();
    if n == "1" {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Verifies the whole ledger against its signed checkpoints and the copy of the latest
/// one kept outside the database.
pub(crate) fn verify(
    store: &holdpoint_store::SqlStore,
    home: &Home,
    key: holdpoint_ledger::VerifyingKey,
) -> Result<Result<holdpoint_ledger::VerifyReport, holdpoint_ledger::Break>, Failure> {
    let mut checkpoints = store.checkpoints().map_err(store_failure)?;
    // The copy kept outside the database: deleting checkpoints from the database does
    // not make the records before it unverifiable.
    if let Some(anchor) = holdpoint_store::read_anchor(&home.anchor())
        && !checkpoints.contains(&anchor)
    {
        checkpoints.push(anchor);
    }
    let mut verifier = Verifier::new(checkpoints, key, holdpoint_store::CHECKPOINT_EVERY);
    let mut broken = None;
    let scanned = store
        .scan(&mut |record| {
            verifier.feed(&record).map_err(|b| {
                let message = b.to_string();
                broken = Some(b);
                message
            })
        })
        .map_err(store_failure)?;
    Ok(match (scanned, broken) {
        (Err(_), Some(b)) => Err(b),
        (Err(e), None) => return Err(Failure::internal(e)),
        (Ok(()), _) => verifier.finish(),
    })
}

fn one(store: &holdpoint_store::SqlStore, seq: u64) -> Result<StoredRecord, Failure> {
    store
        .records(seq, 1)
        .map_err(store_failure)?
        .into_iter()
        .find(|r| r.seq == seq)
        .ok_or_else(|| Failure::usage(format!("no record #{seq}")))
}

fn parse(record: &StoredRecord) -> Result<Record, Failure> {
    record
        .record()
        .map_err(|e| Failure::internal(format!("record #{}: {e}", record.seq)))
}

/// One line per record for people.
fn summary(record: &StoredRecord) -> String {
    let Ok(parsed) = record.record() else {
        return format!(
            "#{:<6} {}  (unreadable record)",
            record.seq,
            datetime(record.at_ms)
        );
    };
    let who = [
        parsed.actors.agent.as_deref(),
        parsed.actors.human.as_deref().map(|h| h.trim()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" / ");
    let body = &parsed.body;
    let field = |k: &str| {
        body.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    };
    let detail = match parsed.kind.as_str() {
        "proposed" => format!("{}: {}", field("surface"), one_line(field("input"), 70)),
        "decided" => format!("{} ({})", field("outcome"), field("risk")),
        "executed" => format!(
            "{}{}",
            field("outcome"),
            body.get("exit_status")
                .and_then(serde_json::Value::as_i64)
                .map(|s| format!(", exit {s}"))
                .unwrap_or_default()
        ),
        "ran" => {
            let part = |part: &str, k: &str| {
                body.get(part)
                    .and_then(|p| p.get(k))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
            };
            format!(
                "{}: {} (allowed, {}; {})",
                part("proposed", "surface"),
                one_line(part("proposed", "input"), 60),
                part("decided", "risk"),
                part("executed", "outcome")
            )
        }
        "grant_issued" => format!("{}: {}", field("id"), one_line(field("task"), 70)),
        "freeze_started" => format!(
            "{}: {}",
            field("environment"),
            one_line(field("reason"), 70)
        ),
        "human_added" => format!(
            "{}{}",
            field("name"),
            parsed
                .actors
                .os_user
                .as_deref()
                .map(|u| format!(" (by OS user {u})"))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    let who = printable(&who);
    format!(
        "#{:<6} {}  {:<18} {:<24} {}{}",
        record.seq,
        datetime(record.at_ms),
        parsed.kind.as_str(),
        who,
        parsed
            .approval
            .as_deref()
            .map(|a| format!("[{a}] "))
            .unwrap_or_default(),
        detail
    )
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_thing_is_singular_and_any_other_count_plural() {
        assert_eq!(counted(1_u64, "signed checkpoint"), "1 signed checkpoint");
        assert_eq!(counted(0_u64, "signed checkpoint"), "0 signed checkpoints");
        assert_eq!(counted(1_i64, "row"), "1 row");
        assert_eq!(counted(-1_i64, "row"), "-1 rows");
        assert_eq!(counted(12_usize, "row"), "12 rows");
    }
}
