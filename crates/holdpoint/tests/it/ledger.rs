//! The ledger: tampering is found and the first bad record named; acknowledged records
//! survive writers killed mid-write; concurrent writers keep one chain; receipts verify.

use std::process::Stdio;
use std::time::Duration;

use holdpoint_ledger::{Actors, Entry, Hash, Kind, Receipt, VerifyingKey};
use holdpoint_store::{CHECKPOINT_EVERY, Store as _};
use rusqlite::Connection;
use serde_json::{Value, json};

use crate::setup::Setup;
use crate::{stderr, stdout};

/// A set-up home whose ledger holds `n` records.
fn ledger(name: &str, n: u64) -> Setup {
    let setup = Setup::new(name);
    let store = setup.open_store();
    let mut seq = 0;
    while seq < n {
        let batch: Vec<Entry> = (seq..n.min(seq + 50))
            .map(|i| {
                Entry::new(
                    Kind::Proposed,
                    Actors {
                        agent: Some("claude-code".into()),
                        session: Some(format!("s{}", i % 3)),
                        ..Actors::default()
                    },
                    json!({"surface": "shell", "input": format!("ls /srv/{i}")}),
                )
                .digest(format!("sha256:{i:064x}"))
            })
            .collect();
        seq += batch.len() as u64;
        store
            .append(&batch, 1_700_000_000_000 + seq as i64)
            .unwrap();
    }
    setup
}

/// The store's own tables, reached past holdpoint as someone with write access to its
/// database would: the SQLite file, or the PostgreSQL database.
enum Tables {
    Sqlite(Connection),
    Postgres(String),
}

fn db(setup: &Setup) -> Tables {
    match &setup.store {
        Some(database) => Tables::Postgres(database.name.clone()),
        None => Tables::Sqlite(Connection::open(setup.home.join("store.db")).unwrap()),
    }
}

/// What `sql` printed, run by psql on the store's schema in `database`.
fn psql(database: &str, sql: &str) -> String {
    let output = crate::pg::superuser_command(database, sql)
        .env("PGOPTIONS", "-c search_path=holdpoint")
        .output()
        .unwrap();
    assert!(output.status.success(), "{sql}: {}", stderr(&output));
    stdout(&output)
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Tables {
    /// Runs statements.
    fn run(&self, sql: &str) {
        match self {
            Tables::Sqlite(conn) => conn.execute_batch(sql).unwrap(),
            Tables::Postgres(database) => {
                psql(database, sql);
            }
        }
    }

    /// The first column of every row a query returns, as text.
    fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            Tables::Sqlite(conn) => conn
                .prepare(sql)
                .unwrap()
                .query_map([], |r| {
                    Ok(match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                        value => value.as_str()?.to_owned(),
                    })
                })
                .unwrap()
                .map(Result::unwrap)
                .collect(),
            Tables::Postgres(database) => psql(database, sql).lines().map(str::to_owned).collect(),
        }
    }

    /// The one value a query returns, as text.
    fn one(&self, sql: &str) -> String {
        let texts = self.texts(sql);
        assert_eq!(texts.len(), 1, "{sql}: {texts:?}");
        texts.into_iter().next().unwrap()
    }
}

/// Runs `log verify`; the exit status and what it printed.
fn verify(setup: &Setup) -> (Option<i32>, String) {
    let output = setup.run(&["log", "verify"], "");
    (
        output.status.code(),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

fn assert_broken(setup: &Setup, expected: &str) {
    let (code, text) = verify(setup);
    assert_eq!(code, Some(5), "{text}");
    assert!(text.contains(expected), "expected `{expected}` in: {text}");
}

#[test]
fn an_untouched_ledger_verifies_with_its_checkpoints() {
    let setup = ledger("ledger-clean", 600);
    let (code, text) = verify(&setup);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("600 records, 2 signed checkpoints (last at #512)"),
        "{text}"
    );
    assert!(text.contains("records #513..#600 are chained but not yet under a signed checkpoint"));
    let output = setup.run(&["log", "checkpoint"], "");
    assert!(stdout(&output).contains("signed checkpoint at #600"));
    let (_, text) = verify(&setup);
    assert!(
        text.contains("3 signed checkpoints (last at #600)"),
        "{text}"
    );
}

#[test]
fn a_changed_record_is_named() {
    let setup = ledger("ledger-changed", 600);
    db(&setup)
        .run("UPDATE records SET text = replace(text, 'ls /srv', 'rm -rf /srv') WHERE seq = 100");
    assert_broken(&setup, "FAILED at record #100: record #100 was changed");
}

#[test]
fn a_changed_record_with_its_hash_rewritten_is_named() {
    let setup = ledger("ledger-rehashed", 600);
    let conn = db(&setup);
    let text = conn.one("SELECT text FROM records WHERE seq = 100");
    let forged = text.replace("ls /srv", "rm -rf /srv");
    conn.run(&format!(
        "UPDATE records SET text = {}, hash = {} WHERE seq = 100",
        literal(&forged),
        literal(&Hash::leaf(forged.as_bytes()).to_string())
    ));
    assert_broken(
        &setup,
        "FAILED at record #100: record #100 was changed or replaced",
    );
}

#[test]
fn a_deleted_record_is_named() {
    let setup = ledger("ledger-deleted", 600);
    db(&setup).run("DELETE FROM records WHERE seq = 100");
    assert_broken(&setup, "record #100 is missing: the next record is #101");
}

#[test]
fn reordered_records_are_named() {
    let setup = ledger("ledger-reordered", 600);
    db(&setup).run(
        "UPDATE records SET seq = -1 WHERE seq = 100;
         UPDATE records SET seq = 100 WHERE seq = 101;
         UPDATE records SET seq = 101 WHERE seq = -1;",
    );
    assert_broken(&setup, "record #100 holds the text of record #101");
}

#[test]
fn a_truncated_tail_below_the_last_checkpoint_is_found() {
    let setup = ledger("ledger-truncated", 600);
    db(&setup).run("DELETE FROM records WHERE seq > 300");
    assert_broken(
        &setup,
        "a checkpoint signed 512 records but only 300 remain; record #301 onwards is gone",
    );
}

#[test]
fn a_rewritten_history_fails_the_signed_root() {
    // Someone with write access to the database but not the key rewrites record #100
    // and re-chains every later record: the chain is whole, the signed root is not.
    let setup = ledger("ledger-rewritten", 300);
    let conn = db(&setup);
    let texts = conn.texts("SELECT text FROM records WHERE seq >= 100 ORDER BY seq");
    assert_eq!(texts.len(), 201);
    let mut prev = conn.one("SELECT hash FROM records WHERE seq = 99");
    let mut rewrite = String::new();
    for (seq, text) in (100..).zip(texts) {
        let mut record: Value = serde_json::from_str(&text).unwrap();
        if seq == 100 {
            record["body"]["input"] = json!("rm -rf /srv");
        }
        record["prev"] = json!(prev);
        let text = serde_json::to_string(&record).unwrap();
        let hash = Hash::leaf(text.as_bytes()).to_string();
        rewrite.push_str(&format!(
            "UPDATE records SET text = {}, hash = {} WHERE seq = {seq};\n",
            literal(&text),
            literal(&hash)
        ));
        prev = hash;
    }
    conn.run(&rewrite);
    assert_broken(
        &setup,
        "the records up to #256 do not give the Merkle root signed at that size",
    );
}

#[test]
fn an_indexed_column_cannot_be_changed_behind_the_text() {
    let setup = ledger("ledger-column", 50);
    db(&setup).run("UPDATE records SET session = 'other' WHERE seq = 7");
    assert_broken(
        &setup,
        "record #7 was changed: its `session` column disagrees",
    );
}

/// A hook call for a command, as Claude Code sends it.
fn bash(setup: &Setup, command: &str) -> String {
    json!({
        "session_id": "crash",
        "cwd": setup.work().to_str().unwrap(),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    })
    .to_string()
}

/// The ledger sequence number an answer acknowledges.
fn acknowledged(answer: &str) -> Option<u64> {
    let at = answer.find("ledger #")?;
    answer[at + 8..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

#[test]
fn writers_killed_mid_write_lose_nothing_acknowledged() {
    let setup = Setup::new("ledger-crash");
    let mut acked: Vec<(u64, String)> = Vec::new();
    let mut killed = 0;
    for round in 0..30u64 {
        let children: Vec<(String, std::process::Child)> = (0..3)
            .map(|i| {
                let command = format!("systemctl restart app-{round}-{i}");
                let mut child = setup
                    .command(&["hook", "claude-code"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(bash(&setup, &command).as_bytes())
                    .unwrap();
                (command, child)
            })
            .collect();
        // Kill at a different moment each round: before, during and after the write.
        // The last writer of each round is left to finish, so that some records are
        // acknowledged however slow the machine is.
        std::thread::sleep(Duration::from_millis((round * 7) % 40));
        let last = children.len() - 1;
        for (index, (command, mut child)) in children.into_iter().enumerate() {
            if index != last && child.try_wait().unwrap().is_none() {
                let _ = child.kill();
                killed += 1;
            }
            let output = child.wait_with_output().unwrap();
            if output.status.success()
                && let Some(seq) = acknowledged(&String::from_utf8_lossy(&output.stdout))
            {
                acked.push((seq, command));
            }
        }
    }
    assert!(killed > 0, "no writer was killed: the test proves nothing");
    assert!(
        !acked.is_empty(),
        "no writer finished: the test proves nothing"
    );
    let records = setup.records();
    for (seq, command) in &acked {
        let decided = &records[usize::try_from(*seq).unwrap() - 1];
        assert_eq!(decided["seq"], *seq);
        assert_eq!(decided["kind"], "decided");
        let proposed = records
            .iter()
            .rev()
            .find(|r| r["kind"] == "proposed" && r["digest"] == decided["digest"])
            .unwrap();
        assert_eq!(proposed["body"]["input"], command.as_str());
    }
    let (code, text) = verify(&setup);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn concurrent_writers_keep_one_chain() {
    let setup = Setup::new("ledger-concurrent");
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let setup = &setup;
            scope.spawn(move || {
                for i in 0..15 {
                    let input = bash(setup, &format!("ls /srv/{writer}/{i}"));
                    let output = setup.run(&["hook", "claude-code"], &input);
                    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
                }
            });
        }
    });
    let records = setup.records();
    assert_eq!(records.len(), 120);
    // Regression: each short process opening the store reads the whole write-ahead log,
    // which grew without end when nothing emptied it.
    let wal = std::fs::metadata(setup.home.join("store.db-wal")).map_or(0, |m| m.len());
    assert!(wal < 512 * 1024, "the log is {wal} bytes");
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["seq"], i + 1);
    }
    assert_eq!(verify(&setup).0, Some(0));
}

#[test]
fn receipts_are_signed_and_verify_offline() {
    let setup = Setup::new("ledger-receipt");
    let output = setup.run(&["hook", "claude-code"], &bash(&setup, "rm -rf /srv/www"));
    let seq = acknowledged(&stdout(&output)).unwrap();
    let output = setup.run(&["log", "receipt", &seq.to_string()], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let receipt: Receipt = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(receipt.record, seq);
    assert_eq!(receipt.agent.as_deref(), Some("claude-code"));
    assert_eq!(receipt.session.as_deref(), Some("crash"));
    assert_eq!(receipt.decision, "ask");
    assert_eq!(receipt.risk, "destroy");
    assert!(receipt.approval.as_deref().unwrap().starts_with("apr-"));
    // The OS user is the process's, as the kernel knows it: `$USER` (set to `tester`
    // here) could name anyone.
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let me = String::from_utf8_lossy(&id.stdout).trim().to_owned();
    assert_ne!(me, "tester");
    assert_eq!(receipt.os_user.as_deref(), Some(me.as_str()));
    // The receipt names the hash of the record exactly as stored.
    let stored = stdout(&setup.run(&["log", "show", &seq.to_string(), "--format", "json"], ""));
    assert_eq!(
        receipt.record_hash,
        Hash::leaf(stored.trim_end().as_bytes())
    );
    let public = std::fs::read_to_string(setup.home.join("keys/ledger.pub")).unwrap();
    let key = VerifyingKey::from_text(&public).unwrap();
    assert!(receipt.verify(&key));
    let forged = Receipt {
        decision: "allow".into(),
        ..receipt
    };
    assert!(!forged.verify(&key));

    // A record that is not a decision has no receipt.
    let output = setup.run(&["log", "receipt", &(seq - 1).to_string()], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a decision"));
}

#[test]
fn deleted_checkpoints_are_found() {
    let setup = ledger("ledger-no-checkpoints", 600);
    db(&setup).run("DELETE FROM checkpoints");
    assert_broken(&setup, "the signed checkpoint at #256 is missing");
}

#[test]
fn the_key_never_signs_a_rewritten_history() {
    // Someone rewrote record #300 with its hash and deleted the checkpoints; asking for
    // a new checkpoint must not vouch for it.
    let setup = ledger("ledger-no-resign", 300);
    let conn = db(&setup);
    let text = conn.one("SELECT text FROM records WHERE seq = 290");
    let forged = text.replace("ls /srv", "rm -rf /srv");
    conn.run(&format!(
        "UPDATE records SET text = {}, hash = {} WHERE seq = 290",
        literal(&forged),
        literal(&Hash::leaf(forged.as_bytes()).to_string())
    ));
    let output = setup.run(&["log", "checkpoint"], "");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("record #291 does not check out"),
        "{}",
        stderr(&output)
    );
}

/// A long-running writer (a server, a proxy) signs each checkpoint from the hashes of the
/// records it wrote itself, without reading them back: someone who rewrites, between its
/// batches, the records since the last checkpoint (a consistent chain, every hash redone)
/// does not get the rewrite signed. The checkpoint's root is that of the history as
/// written, and verifying finds the break where the rewrite meets what the writer wrote
/// next.
#[test]
fn a_writer_signs_what_it_wrote_and_never_a_rewrite_made_between_its_batches() {
    let setup = Setup::new("ledger-writer-rewrite");
    let store = setup.open_store();
    let base: u64 = db(&setup)
        .one("SELECT count(*) FROM records")
        .parse()
        .unwrap();
    let entries = |from: u64, to: u64| -> Vec<Entry> {
        (from..to)
            .map(|i| {
                Entry::new(
                    Kind::Executed,
                    Actors::default(),
                    json!({"outcome": "succeeded", "detail": format!("run {i}")}),
                )
            })
            .collect()
    };
    // Past the first checkpoint, in batches as a server writes them.
    let mut written = base;
    while written < 300 {
        let batch = entries(written, (written + 40).min(300));
        written += batch.len() as u64;
        store.settle_all(&[], &batch, 1_700_000_000_000).unwrap();
    }
    let texts = |conn: &Tables| conn.texts("SELECT text FROM records ORDER BY seq");
    let conn = db(&setup);
    let mut original = texts(&conn);
    // The rewrite: every record after #256 says something else, chained anew.
    let mut prev: Hash = conn
        .one("SELECT hash FROM records WHERE seq = 256")
        .parse()
        .unwrap();
    let mut rewrite = String::new();
    for seq in 257..=300u64 {
        let mut record: Value = serde_json::from_str(&original[seq as usize - 1]).unwrap();
        record["prev"] = Value::from(prev.to_string());
        record["body"]["detail"] = Value::from("rm -rf /srv");
        let text = record.to_string();
        prev = Hash::leaf(text.as_bytes());
        rewrite.push_str(&format!(
            "UPDATE records SET text = {}, hash = {} WHERE seq = {seq};\n",
            literal(&text),
            literal(&prev.to_string())
        ));
    }
    conn.run(&rewrite);
    // The writer goes on, past the next checkpoint.
    store
        .settle_all(&[], &entries(300, 520), 1_700_000_000_001)
        .unwrap();
    original.extend(texts(&conn).into_iter().skip(300));
    let mut frontier = holdpoint_ledger::Frontier::default();
    for text in original.iter().take(512) {
        frontier.push(Hash::leaf(text.as_bytes()));
    }
    let signed = store
        .checkpoints()
        .unwrap()
        .into_iter()
        .find(|c| c.size == 512)
        .expect("a checkpoint at #512");
    assert_eq!(
        signed.root,
        frontier.root(),
        "signed over the records as written"
    );
    assert_broken(&setup, "#301");
}

#[test]
fn a_locked_store_is_answered_with_a_denial_in_time() {
    // Another process holds the store's write lock: the hook must deny before the
    // agent's own hook timeout, which would let the call through.
    let setup = Setup::new("ledger-locked");
    let held = setup.hold_writes();
    let started = std::time::Instant::now();
    let output = setup.run(&["hook", "claude-code"], &bash(&setup, "rm -rf /srv/www"));
    let elapsed = started.elapsed();
    drop(held);
    assert_eq!(output.status.code(), Some(2));
    let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");
    // The agent and the person running it are told why: the store is busy, not the
    // action refused by a policy.
    let reason = answer["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains("could not decide this action") && reason.contains("database is locked"),
        "{reason}"
    );
    assert!(
        stderr(&output).contains("database is locked"),
        "{}",
        stderr(&output)
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn a_checkpoint_kept_outside_the_database_survives_their_deletion() {
    // Fewer records than the automatic interval: the only checkpoint is one a human
    // asked for. Deleting it from the database must not make a rewrite pass.
    let setup = Setup::new("ledger-anchor");
    for i in 0..5 {
        setup.run(
            &["hook", "claude-code"],
            &bash(&setup, &format!("rm -rf /srv/{i}")),
        );
    }
    let output = setup.run(&["log", "checkpoint"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Any later write keeps a copy of the latest checkpoint beside the store.
    setup.run(&["hook", "claude-code"], &bash(&setup, "ls"));
    assert!(setup.home.join("checkpoint.json").exists());
    let conn = db(&setup);
    let text = conn.one("SELECT text FROM records WHERE seq = 1");
    let forged = text.replace("rm -rf /srv/0", "ls /srv/0");
    conn.run(&format!(
        "UPDATE records SET text = {}, hash = {} WHERE seq = 1;
         DELETE FROM checkpoints",
        literal(&forged),
        literal(&Hash::leaf(forged.as_bytes()).to_string())
    ));
    let (code, text) = verify(&setup);
    assert_eq!(code, Some(5), "{text}");
    assert!(text.contains("record #1"), "{text}");
}

#[test]
fn an_auditor_verifies_a_copy_with_the_public_key_alone() {
    let setup = ledger("ledger-offline", 300);
    let audit = setup.scratch.0.join("audit");
    std::fs::create_dir_all(&audit).unwrap();
    match setup.store_url() {
        // A copy of the file, or the database itself, read with its address alone.
        None => {
            std::fs::copy(setup.home.join("store.db"), audit.join("store.db")).unwrap();
        }
        Some(url) => std::fs::write(
            audit.join("holdpoint.toml"),
            format!("[store]\nurl = \"{url}\"\n"),
        )
        .unwrap(),
    }
    let public = setup.scratch.0.join("ledger.pub");
    std::fs::copy(setup.home.join("keys/ledger.pub"), &public).unwrap();
    let output = setup
        .command(&["log", "verify", "--key", public.to_str().unwrap()])
        .env("HOLDPOINT_HOME", &audit)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // 300 records hold one automatic checkpoint, made when the interval's last record
    // was written.
    let expected = format!("300 records, 1 signed checkpoint (last at #{CHECKPOINT_EVERY})");
    assert!(stdout(&output).contains(&expected), "{}", stdout(&output));
    assert!(!audit.join("keys").exists(), "no key was needed or made");
}

/// Every listing, its reader gone before it writes a line (`holdpoint log tail | head -1`
/// where `head` has already exited): it ends quietly, 0 or 141 as a shell reports a
/// process ended by SIGPIPE, never with a panic.
#[test]
fn every_listing_whose_reader_goes_away_ends_quietly() {
    let setup = Setup::new("closed-output");
    setup.add_human("alice", None);
    for _ in 0..3 {
        let ran = setup.run(&["exec", "--session", "s1", "--", "ls", "/"], "");
        assert_eq!(ran.status.code(), Some(0), "{}", crate::stderr(&ran));
    }
    let session = "s1";
    let transcript = crate::data("replay/claude-code-session.jsonl");
    let listings: Vec<Vec<&str>> = vec![
        vec!["log", "show"],
        vec!["log", "show", "1"],
        vec!["log", "tail", "-n", "50"],
        vec!["log", "export"],
        vec!["log", "verify"],
        vec!["approvals", "list", "--all"],
        vec!["approvals", "list", "--all", "--format", "json"],
        vec!["grant", "list"],
        vec!["freeze", "list"],
        vec!["recovery", "list"],
        vec!["agent", "list"],
        vec!["human", "list"],
        vec!["report", "--session", session],
        vec!["check", "shell", "--", "ls"],
        vec!["replay", &transcript],
    ];
    let mut quiet = 0;
    for args in &listings {
        let mut child = setup
            .command(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let said = crate::stderr(&output);
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert!(
            matches!(output.status.code(), Some(0 | 141)),
            "{args:?}: {:?} {said}",
            output.status
        );
        if output.status.code() == Some(141) {
            assert!(said.is_empty(), "{args:?}: {said}");
            quiet += 1;
        }
    }
    // The closed pipe was met, not avoided: most listings write before they end.
    assert!(
        quiet >= listings.len() / 2,
        "only {quiet} met the closed pipe"
    );
}

/// Every listing speaks JSON with `--format json`, for programs, and none of it is a
/// secret's hash.
#[test]
fn every_listing_speaks_json_when_asked() {
    let setup = Setup::new("json-listings");
    setup.add_human("alice", None);
    let _token = setup.add_agent("claude");
    let ran = setup.run(&["exec", "--session", "s1", "--", "ls", "/"], "");
    assert_eq!(ran.status.code(), Some(0), "{}", crate::stderr(&ran));
    let transcript = crate::data("replay/claude-code-session.jsonl");
    for args in [
        &["approvals", "list", "--all"][..],
        &["grant", "list", "--all"],
        &["freeze", "list", "--all"],
        &["recovery", "list", "--all"],
        &["agent", "list"],
        &["human", "list"],
        &["log", "show"],
        &["report", "--session", "s1"],
        &["replay", &transcript],
    ] {
        let mut with_json = args.to_vec();
        with_json.extend(["--format", "json"]);
        let output = setup.run(&with_json, "");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            crate::stderr(&output)
        );
        let text = stdout(&output);
        let parsed: Result<Value, _> = serde_json::from_str(&text);
        let parsed = parsed.or_else(|_| {
            // `log show` writes one record per line.
            text.lines()
                .map(serde_json::from_str)
                .collect::<Result<Vec<Value>, _>>()
                .map(Value::from)
        });
        assert!(parsed.is_ok(), "{args:?} is not JSON: {text}");
        assert!(
            !text.contains("$argon2"),
            "{args:?} shows a secret's hash: {text}"
        );
    }
    let humans = setup.run(&["human", "list", "--format", "json"], "");
    let humans: Value = serde_json::from_str(&stdout(&humans)).unwrap();
    assert_eq!(humans[0]["name"], "alice", "{humans}");
    assert_eq!(humans[0]["admin"], true, "{humans}");
    let agents = setup.run(&["agent", "list", "--format", "json"], "");
    let agents: Value = serde_json::from_str(&stdout(&agents)).unwrap();
    assert_eq!(agents.as_array().map(Vec::len), Some(1), "{agents}");
    assert_eq!(agents[0]["name"], "claude", "{agents}");
}
