//! The proxy against a client that tries to make the database read a statement otherwise
//! than holdpoint does: other client encodings, `standard_conforming_strings` off, bytes
//! that are not UTF-8, and settings changed where holdpoint cannot see them.

use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::pg::by_hand::{bind, execute, parse, sync};
use crate::pg::{Database, Proxy, authenticated, exchange, records_once, refused, world};
use crate::setup::Setup;
use crate::stderr;

/// The denials in the ledger whose reasons mention `words`.
fn denials(setup: &Setup, words: &str, at_least: usize) -> Vec<Value> {
    let denied = |records: &[Value]| -> Vec<Value> {
        records
            .iter()
            .filter(|r| {
                r["kind"] == "decided"
                    && r["body"]["outcome"] == "deny"
                    && r["body"]["reasons"].to_string().contains(words)
            })
            .cloned()
            .collect()
    };
    denied(&records_once(setup, |records| {
        denied(records).len() >= at_least
    }))
}

/// `psql` through the proxy running the script `sql` (raw bytes, as a file), with
/// `env` set.
pub(crate) fn psql_file(
    proxy: &Proxy,
    token: &str,
    db: &Database,
    sql: &[u8],
    env: &[(&str, &str)],
) -> Output {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let file = std::env::temp_dir().join(format!(
        "holdpoint-hostile-{}-{}.sql",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, sql).unwrap();
    let mut command = proxy.psql_command("claude", token, &db.name, &[]);
    command.args(["-f", file.to_str().unwrap()]);
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    let _ = std::fs::remove_file(&file);
    output
}

/// The smuggling statement for an encoding whose characters may end in the byte of a
/// backslash: `lead 0x5C` is one character to the server, so the string ends at the
/// next quote and `DROP TABLE users` runs; to a reader in UTF-8 it is a backslash that
/// escapes that quote, and everything is one string.
fn smuggled(lead: u8) -> Vec<u8> {
    let mut sql = b"SELECT E'".to_vec();
    sql.extend([lead, b'\\']);
    sql.extend_from_slice(b"' ; DROP TABLE users; -- ';\n");
    sql
}

#[test]
fn encodings_the_client_asks_for_cannot_split_a_statement_differently() {
    let (setup, token) = world("pg-encodings");
    let db = Database::new("encodings");
    db.seed(5);
    let proxy = Proxy::start(&setup, &db, &["--no-wait", "--env", "development"]);

    // Every encoding PostgreSQL takes only from clients, with a character whose last
    // byte is a backslash's.
    let encodings: [(&str, u8); 6] = [
        ("GBK", 0x81),
        ("SJIS", 0x81),
        ("BIG5", 0xA4),
        ("GB18030", 0x81),
        ("UHC", 0x81),
        ("JOHAB", 0x84),
    ];
    for (encoding, lead) in encodings {
        // Asked for at start-up (`PGCLIENTENCODING`): the session reads UTF-8 anyway.
        let output = psql_file(
            &proxy,
            &token,
            &db,
            b"SHOW client_encoding;\n",
            &[("PGCLIENTENCODING", encoding)],
        );
        assert_eq!(
            crate::stdout(&output).trim(),
            "UTF8",
            "{encoding}: {}",
            stderr(&output)
        );
        let output = psql_file(
            &proxy,
            &token,
            &db,
            &smuggled(lead),
            &[("PGCLIENTENCODING", encoding)],
        );
        assert!(
            stderr(&output).contains("not valid UTF-8"),
            "{encoding}: {}",
            stderr(&output)
        );
        // Asked for with SET: refused before anything after it is read.
        let mut script = format!("SET client_encoding = '{encoding}';\n").into_bytes();
        script.extend(smuggled(lead));
        let output = psql_file(&proxy, &token, &db, &script, &[]);
        assert!(
            stderr(&output).contains("holdpoint pins"),
            "{encoding}: {}",
            stderr(&output)
        );
        assert_eq!(db.direct("SELECT count(*) FROM users"), "5", "{encoding}");
    }
    // Each attempt is in the ledger as refused.
    assert!(denials(&setup, "not valid UTF-8", 12).len() >= 12);
    assert!(denials(&setup, "changes `client_encoding`", 6).len() >= 6);
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

/// With `standard_conforming_strings` off, `'a\'` does not end the string: the server
/// would run `DROP TABLE users` where holdpoint reads two strings.
const BACKSLASHED: &str = "SELECT 'a\\' , ' ; DROP TABLE users; -- ';\n";

#[test]
fn standard_conforming_strings_stays_on_however_it_is_turned_off() {
    let (setup, token) = world("pg-conforming");
    let db = Database::new("conforming");
    db.seed(5);
    let proxy = Proxy::start(&setup, &db, &["--no-wait", "--env", "development"]);
    let show = "SHOW standard_conforming_strings;\n";

    // At start-up, through `options`: not passed on; the statement reads as two strings.
    let options = [("PGOPTIONS", "-c standard_conforming_strings=off")];
    let output = psql_file(&proxy, &token, &db, show.as_bytes(), &options);
    assert_eq!(crate::stdout(&output).trim(), "on", "{}", stderr(&output));
    let output = psql_file(&proxy, &token, &db, BACKSLASHED.as_bytes(), &options);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");

    // With SET (and SET LOCAL) or set_config: refused, and so is what follows.
    for change in [
        "SET standard_conforming_strings = off;",
        "BEGIN; SET LOCAL standard_conforming_strings TO false;",
        "SELECT set_config('standard_conforming_strings', 'off', false);",
        "SELECT pg_catalog.set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', false);",
        "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings';",
    ] {
        let script = format!("{change}\n{BACKSLASHED}");
        let output = psql_file(&proxy, &token, &db, script.as_bytes(), &[]);
        assert!(
            stderr(&output).contains("holdpoint pins"),
            "{change}: {}",
            stderr(&output)
        );
        assert_eq!(db.direct("SELECT count(*) FROM users"), "5", "{change}");
    }

    // For the role in this database, then a new connection: the start-up setting wins.
    let alter = format!(
        "ALTER ROLE postgres IN DATABASE {} SET standard_conforming_strings = off;\n",
        db.name
    );
    let output = psql_file(&proxy, &token, &db, alter.as_bytes(), &[]);
    assert!(
        stderr(&output).contains("holdpoint pins"),
        "{}",
        stderr(&output)
    );
    // Set behind holdpoint's back, by the database's owner.
    db.direct(&format!(
        "ALTER ROLE postgres IN DATABASE {} SET standard_conforming_strings = off",
        db.name
    ));
    let output = psql_file(&proxy, &token, &db, show.as_bytes(), &[]);
    assert_eq!(crate::stdout(&output).trim(), "on", "{}", stderr(&output));
    let output = psql_file(&proxy, &token, &db, BACKSLASHED.as_bytes(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");
    db.direct(&format!(
        "ALTER ROLE postgres IN DATABASE {} RESET standard_conforming_strings",
        db.name
    ));
    assert!(denials(&setup, "holdpoint pins", 6).len() >= 6);
}

#[test]
fn a_setting_changed_where_holdpoint_cannot_see_ends_the_connection() {
    let (setup, token) = world("pg-unseen-setting");
    let db = Database::new("unseen_setting");
    db.seed(5);
    // A function whose body changes the setting, made behind holdpoint's back: calling
    // it is a change holdpoint cannot see into, allowed in development.
    db.direct(
        "CREATE FUNCTION tidy() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN PERFORM set_config(chr(115) || 'tandard_conforming_strings', 'off', false); RETURN 1; END $f$",
    );
    let proxy = Proxy::start(&setup, &db, &["--no-wait", "--env", "development"]);
    let script = format!("SELECT tidy();\n{BACKSLASHED}");
    let output = psql_file(&proxy, &token, &db, script.as_bytes(), &[]);
    assert!(
        stderr(&output).contains("not how holdpoint reads it"),
        "{}",
        stderr(&output)
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");

    // In one pipeline, a statement with a backslash after a call holdpoint cannot see
    // into is not read until the server has said what its settings are, which only a
    // Sync brings.
    db.direct("CREATE FUNCTION noop() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    let mut socket = authenticated(&proxy, &token, &db.name);
    let replies = exchange(
        &mut socket,
        &[
            parse("", "SELECT noop()"),
            bind("", ""),
            execute(""),
            parse("", BACKSLASHED.trim_end().trim_end_matches(';')),
            bind("", ""),
            execute(""),
            sync(),
        ],
    );
    assert!(refused(&replies, "42501", "send Sync"), "{replies:?}");
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");
    // Statements that read the same under any settings go on in such a pipeline.
    let mut socket = authenticated(&proxy, &token, &db.name);
    let replies = exchange(
        &mut socket,
        &[
            parse("", "SELECT 1"),
            bind("", ""),
            execute(""),
            parse("", "SELECT 2"),
            bind("", ""),
            execute(""),
            sync(),
        ],
    );
    assert_eq!(
        replies.iter().filter(|r| r.starts_with("C SELECT")).count(),
        2,
        "{replies:?}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_refused_on_every_path() {
    let (setup, token) = world("pg-not-utf8");
    let db = Database::new("not_utf8");
    db.seed(5);
    let proxy = Proxy::start(&setup, &db, &["--no-wait", "--env", "development"]);
    let mut socket = authenticated(&proxy, &token, &db.name);
    let bytes = smuggled(0x81);
    // A simple query.
    let mut body = bytes.clone();
    body.push(0);
    let replies = exchange(&mut socket, &[holdpoint_pgwire::Frame::new(b'Q', body)]);
    assert!(refused(&replies, "42501", "not valid UTF-8"), "{replies:?}");
    // A prepared statement.
    let mut body = b"\0".to_vec();
    body.extend(&bytes);
    body.extend([0, 0, 0]);
    let replies = exchange(
        &mut socket,
        &[
            holdpoint_pgwire::Frame::new(b'P', body),
            bind("", ""),
            execute(""),
            sync(),
        ],
    );
    assert!(refused(&replies, "42501", "not valid UTF-8"), "{replies:?}");
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");
    assert!(denials(&setup, "not valid UTF-8", 2).len() >= 2);
}

/// The session a connection's statements are recorded under, from the proxy's greeting.
fn session_of(output: &Output) -> String {
    let text = stderr(output);
    let at = text
        .find("recorded as session ")
        .unwrap_or_else(|| panic!("no session named: {text}"))
        + "recorded as session ".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

#[test]
fn session_ids_never_repeat_and_an_agent_can_name_its_own() {
    let (setup, token) = world("pg-sessions");
    let db = Database::new("sessions");
    db.seed(1);
    // psql shows notices, the greeting's among them, on standard error.
    let greeted =
        |proxy: &Proxy, env: &[(&str, &str)]| psql_file(proxy, &token, &db, b"SELECT 1;\n", env);
    let mut first = Proxy::start(&setup, &db, &["--env", "development"]);
    let mut seen = vec![
        session_of(&greeted(&first, &[])),
        session_of(&greeted(&first, &[])),
    ];
    assert_eq!(first.terminate(), Some(0));
    // The same proxy started again, and another one beside it.
    let again = Proxy::start(&setup, &db, &["--env", "development"]);
    let other = Proxy::start(&setup, &db, &["--env", "development"]);
    seen.push(session_of(&greeted(&again, &[])));
    seen.push(session_of(&greeted(&other, &[])));
    let distinct: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "{seen:?}");

    // Named through application_name: the report shows the statement with the agent's
    // shell action of the same session.
    let named = greeted(
        &other,
        &[("PGAPPNAME", "migrate holdpoint-session=task-42")],
    );
    assert_eq!(session_of(&named), "task-42");
    let hook = serde_json::json!({
        "session_id": "task-42", "transcript_path": "/tmp/t.jsonl", "cwd": setup.work,
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "ls"}, "tool_use_id": "toolu_1",
    });
    let (output, _) = setup.hook("claude-code", &hook);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = setup.run(&["report", "--session", "task-42", "--format", "json"], "");
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["proposed"].as_u64(), Some(2), "{report}");
    // A name with other characters is not taken.
    let odd = greeted(&other, &[("PGAPPNAME", "holdpoint-session=a/b")]);
    assert!(
        session_of(&odd).starts_with("pg-claude-"),
        "{}",
        stderr(&odd)
    );
}

#[test]
fn a_refusal_reaches_the_waiting_client_with_the_humans_reason_and_links_name_a_real_console() {
    use std::io::{BufRead as _, BufReader, Read as _};
    use std::process::Stdio;
    let (setup, token) = world("pg-refusal");
    let db = Database::new("refusal");
    db.seed(5);
    let proxy = Proxy::start(&setup, &db, &["--wait", "60s"]);
    #[expect(
        clippy::zombie_processes,
        reason = "the child is handed to the caller, which waits for it"
    )]
    let wait_for_request = |sql: &str| {
        let mut child = proxy
            .psql_command("claude", &token, &db.name, &[sql])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("psql ended: {seen}");
            }
            seen.push_str(&line);
            if line.contains("waiting for approval of request") {
                let at = line.find("request apr-").unwrap() + "request ".len();
                return (child, err, line[at..at + 12].to_owned(), line);
            }
        }
    };
    // No server runs: the notice says so instead of linking to nothing.
    let (mut child, mut err, id, notice) = wait_for_request("TRUNCATE users");
    assert!(
        notice.contains("no holdpoint console is running"),
        "{notice}"
    );
    let mut refuse = setup.terminal(&[
        "approvals",
        "deny",
        &id,
        "--as",
        "alice",
        "--reason",
        "not during the audit",
    ]);
    refuse.answer("secret for", crate::setup::SECRET);
    let (code, text) = refuse.finish();
    assert_eq!(code, Some(0), "{text}");
    child.wait().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains("alice refused it: not during the audit"),
        "{rest}"
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");

    // With a server running on this home, the link is its real address.
    let served = setup.serve();
    let (mut child, _err, _, notice) = wait_for_request("DELETE FROM users");
    assert!(
        notice.contains(&format!("http://{}/approvals/", served.address)),
        "{notice}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
