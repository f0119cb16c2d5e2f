//! `holdpoint pg` against a real PostgreSQL server, with the real `psql` client and a
//! Rust client (tokio-postgres, extended protocol): statements decided and recorded,
//! the freeze incident replayed, approvals, bad input from either side.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::setup::{Background, Setup};
use crate::stderr;

/// A database of its own on the machine's PostgreSQL server, dropped at the end.
#[derive(Debug)]
pub struct Database {
    pub name: String,
}

/// The server the tests use: 127.0.0.1:5432, trust authentication for `postgres`.
pub(crate) const SERVER: &str = "127.0.0.1";

pub(crate) fn superuser(database: &str, sql: &str) -> Output {
    superuser_command(database, sql)
        .output()
        .unwrap_or_else(|e| {
            panic!("psql is missing ({e}): `apt-get install postgresql-client`, or run .ci/run")
        })
}

/// psql running `sql` in `database` as `postgres`, not yet started.
pub(crate) fn superuser_command(database: &str, sql: &str) -> Command {
    let mut command = Command::new("psql");
    command.args([
        "-X",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        SERVER,
        "-U",
        "postgres",
        "-d",
        database,
        "-c",
        sql,
    ]);
    command
}

/// Starts the machine's PostgreSQL server when it is not running.
fn server_running() {
    let ready = || {
        Command::new("pg_isready")
            .args(["-h", SERVER, "-p", "5432"])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "pg_isready is missing ({e}): `apt-get install postgresql postgresql-client`, or run .ci/run"
                )
            })
            .status
            .success()
    };
    if ready() {
        return;
    }
    let versions = std::fs::read_dir("/etc/postgresql").unwrap_or_else(|e| {
        panic!(
            "no PostgreSQL server on this machine ({e}): `apt-get install postgresql`, or run .ci/run"
        )
    });
    for version in versions.flatten() {
        let _ = Command::new("pg_ctlcluster")
            .args([
                "--skip-systemctl-redirect",
                &version.file_name().to_string_lossy(),
                "main",
                "start",
            ])
            .status();
    }
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "PostgreSQL did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Database {
    pub fn new(name: &str) -> Self {
        server_running();
        let name = format!("hp_{name}_{}", std::process::id());
        superuser("postgres", &format!("DROP DATABASE IF EXISTS {name}"));
        let created = superuser("postgres", &format!("CREATE DATABASE {name}"));
        assert!(created.status.success(), "{}", stderr(&created));
        Database { name }
    }

    /// Runs SQL directly, as the database's owner, bypassing holdpoint.
    pub fn direct(&self, sql: &str) -> String {
        let output = superuser(&self.name, sql);
        assert!(output.status.success(), "{sql}: {}", stderr(&output));
        crate::stdout(&output).trim().to_owned()
    }

    /// Waits until this database runs `query` (its exact text), for at most 10 s.
    pub fn until_running(&self, query: &str) {
        let started = Instant::now();
        while self.direct(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query = '{query}' AND state = 'active'",
            self.name
        )) != "1"
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the database never ran `{query}`"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A table `users` with `rows` rows.
    pub fn seed(&self, rows: u32) {
        self.direct(&format!(
            "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL); INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, {rows}) g"
        ));
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = superuser(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// A running `holdpoint pg`.
pub struct Proxy {
    process: Background,
    pub address: String,
    pub port: String,
}

impl Proxy {
    pub fn start(setup: &Setup, database: &Database, extra: &[&str]) -> Self {
        let upstream = format!("postgres://postgres@{SERVER}:5432/{}", database.name);
        Self::before(setup, &upstream, extra, &[])
    }

    /// A proxy before the database at `upstream`, with `env` set for it.
    pub fn before(setup: &Setup, upstream: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut args = vec!["pg", "--listen", "127.0.0.1:0", "--upstream", upstream];
        args.extend_from_slice(extra);
        let mut command = setup.command(&args);
        command.envs(env.iter().copied());
        let (process, address) = Background::start(command, "connect to ");
        let port = address.rsplit(':').next().unwrap().to_owned();
        Proxy {
            process,
            address,
            port,
        }
    }

    /// `psql` through the proxy as `agent`, with `token`, not yet started.
    pub fn psql_command(&self, agent: &str, token: &str, database: &str, sql: &[&str]) -> Command {
        let mut command = Command::new("psql");
        command
            .args([
                "-X",
                "-At",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port,
                "-U",
                agent,
                "-d",
                database,
            ])
            .env("PGPASSWORD", token)
            .env("PGCONNECT_TIMEOUT", "10");
        for statement in sql {
            command.args(["-c", statement]);
        }
        command
    }

    /// Runs `psql` through the proxy as `agent` with its credential.
    pub fn psql(&self, agent: &str, token: &str, database: &str, sql: &[&str]) -> Output {
        self.psql_command(agent, token, database, sql)
            .output()
            .unwrap()
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// SIGTERM; the proxy's exit status.
    pub fn terminate(&mut self) -> Option<i32> {
        self.process.terminate()
    }
}

fn request_id(text: &str) -> String {
    let at = text
        .find("request apr-")
        .unwrap_or_else(|| panic!("no request named in: {text}"))
        + "request ".len();
    text[at..at + 12].to_owned()
}

/// The ledger once `ready` says it holds what the test waits for (outcomes are written
/// with the batch after the reply); fails when it does not within 10 seconds.
pub(crate) fn records_once(
    setup: &Setup,
    ready: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let started = Instant::now();
    loop {
        let records = setup.records();
        if ready(&records) {
            return records;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the ledger never held what the test waits for; its records:\n{}",
            records
                .iter()
                .map(|r| format!("{} {} {}", r["seq"], r["kind"], r["body"]))
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A set-up home with the human alice and the agent `claude`.
pub(crate) fn world(name: &str) -> (Setup, String) {
    let setup = Setup::new(name);
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    (setup, token)
}

#[test]
fn statements_are_decided_forwarded_and_what_they_did_is_recorded() {
    let (setup, token) = world("pg-basic");
    let db = Database::new("basic");
    db.seed(25);
    let proxy = Proxy::start(&setup, &db, &["--no-wait"]);
    let output = proxy.psql(
        "claude",
        &token,
        &db.name,
        &[
            "SELECT count(*) FROM users",
            "SELECT email FROM users WHERE id = 7",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        stderr(&output),
        proxy.log()
    );
    assert_eq!(crate::stdout(&output), "25\nuser7@example.com\n");
    assert!(
        stderr(&output).contains("recorded as session pg-claude-"),
        "{}",
        stderr(&output)
    );

    // A statement the database rejects: the error comes back as the database said it.
    let output = proxy.psql("claude", &token, &db.name, &["SELECT * FROM no_such_table"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("relation \"no_such_table\" does not exist"),
        "{}",
        stderr(&output)
    );

    // The ledger: each statement proposed, decided and its outcome with the tag.
    // Outcomes are written with the next batch, a moment after the reply.
    let records = records_once(&setup, |r| {
        r.iter().filter(|r| r["kind"] == "executed").count() >= 3
    });
    let outcomes: Vec<String> = records
        .iter()
        .filter(|r| r["kind"] == "executed")
        .map(|r| {
            format!(
                "{} {}",
                r["body"]["outcome"].as_str().unwrap(),
                r["body"]["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "succeeded SELECT 1",
            "succeeded SELECT 1",
            "failed 42P01: relation \"no_such_table\" does not exist"
        ],
        "{records:#?}"
    );
    // One decision per statement, each bound to the agent that sent it.
    let decided: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["kind"] == "decided").collect();
    assert_eq!(decided.len(), 3, "{records:#?}");
    assert!(
        decided.iter().all(|r| r["actors"]["agent"] == "claude"),
        "{decided:#?}"
    );
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));

    // Reads are decided without a trip to the deciding thread, but with the policies in
    // force: broken policies refuse them within seconds, and fixed ones allow them again.
    let broken = setup.home.join("policies/broken.cedar");
    std::fs::write(&broken, "forbid(principal, action, resource) when {").unwrap();
    let until = |allowed: bool| {
        let started = Instant::now();
        loop {
            let output = proxy.psql("claude", &token, &db.name, &["SELECT 1"]);
            if output.status.success() == allowed {
                return stderr(&output);
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "reads stayed {}",
                if allowed { "refused" } else { "allowed" }
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let refused = until(false);
    assert!(refused.contains("policies do not load"), "{refused}");
    std::fs::remove_file(&broken).unwrap();
    until(true);
}

#[test]
fn the_freeze_incident_replayed_nothing_destructive_runs_and_the_record_shows_it() {
    let (setup, token) = world("pg-incident");
    let db = Database::new("incident");
    db.seed(1206);
    let frozen = setup.run(
        &[
            "freeze",
            "start",
            "--env",
            "production",
            "--reason",
            "code freeze until the launch",
        ],
        "",
    );
    assert_eq!(frozen.status.code(), Some(0), "{}", stderr(&frozen));
    let proxy = Proxy::start(&setup, &db, &[]);
    // The agent tries, one connection each, what the agent in the incident did.
    let mut sessions = Vec::new();
    for sql in [
        "DROP TABLE users",
        "DELETE FROM users",
        "TRUNCATE users",
        "UPDATE users SET email = ''",
    ] {
        let output = proxy.psql("claude", &token, &db.name, &[sql]);
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{sql} was not refused: {err}"
        );
        assert!(
            err.contains("ERROR:  holdpoint refused this statement")
                && err.contains("code freeze until the launch"),
            "{sql}: {err}"
        );
        let at = err.find("session pg-").unwrap() + "session ".len();
        sessions.push(err[at..].split_whitespace().next().unwrap().to_owned());
    }
    // SQLSTATE 42501, as a driver sees it.
    let output = Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &proxy.port,
            "-U",
            "claude",
            "-d",
            &db.name,
            "-v",
            "VERBOSITY=verbose",
            "-c",
            "DROP TABLE users",
        ])
        .env("PGPASSWORD", &token)
        .output()
        .unwrap();
    assert!(stderr(&output).contains("42501"), "{}", stderr(&output));
    // Every row is still there.
    assert_eq!(
        db.direct("SELECT count(*) FROM users WHERE email <> ''"),
        "1206"
    );
    // Reads still work during the freeze.
    let output = proxy.psql("claude", &token, &db.name, &["SELECT count(*) FROM users"]);
    assert_eq!(crate::stdout(&output), "1206\n", "{}", stderr(&output));
    // The report of each session, built from the ledger, shows the attempt blocked.
    for session in &sessions {
        let report = setup.run(&["report", "--session", session, "--format", "json"], "");
        assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
        let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
        assert_eq!(
            (report["proposed"].as_u64(), report["blocked"].as_u64()),
            (Some(1), Some(1)),
            "{report}"
        );
    }
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

#[test]
fn a_held_statement_runs_once_after_a_human_approves_it() {
    let (setup, token) = world("pg-approve");
    let db = Database::new("approve");
    db.seed(10);
    let proxy = Proxy::start(&setup, &db, &["--no-wait"]);
    let output = proxy.psql("claude", &token, &db.name, &["DROP TABLE users"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("held this statement for approval") && err.contains("HINT:"),
        "{err}"
    );
    let id = request_id(&err);
    assert_eq!(
        db.direct("SELECT count(*) FROM users"),
        "10",
        "nothing ran while held"
    );
    // The approver sees the blast radius, counted before asking.
    let shown = setup.run(&["approvals", "show", &id], "");
    assert!(
        crate::stdout(&shown).contains("would drop table `users`: 10 rows"),
        "{}",
        crate::stdout(&shown)
    );
    let output = proxy.psql(
        "claude",
        &token,
        &db.name,
        &["DELETE FROM users WHERE id > 4"],
    );
    let other = request_id(&stderr(&output));
    let shown = setup.run(&["approvals", "show", &other], "");
    assert!(
        crate::stdout(&shown).contains("would delete 6 rows of table `users`"),
        "{}",
        crate::stdout(&shown)
    );

    // The approver types the table's name, not the database's target.
    assert_eq!(setup.confirm_of(&id).as_deref(), Some("users"));
    let (code, text) = setup.approve(&id, "alice", Some("users"));
    assert_eq!(code, Some(0), "{text}");
    // A different statement is not covered by the approval.
    let output = proxy.psql("claude", &token, &db.name, &["DROP TABLE IF EXISTS users"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("held this statement"),
        "{}",
        stderr(&output)
    );
    // The identical one runs, once.
    let output = proxy.psql("claude", &token, &db.name, &["DROP TABLE users"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        db.direct("SELECT count(*) FROM pg_tables WHERE tablename = 'users'"),
        "0"
    );
    db.seed(3);
    let output = proxy.psql("claude", &token, &db.name, &["DROP TABLE users"]);
    assert_eq!(output.status.code(), Some(1), "an approval is used once");
    assert_eq!(db.direct("SELECT count(*) FROM users"), "3");
}

#[test]
fn a_waiting_proxy_tells_the_client_and_runs_the_statement_once_approved() {
    let (setup, token) = world("pg-wait");
    let db = Database::new("wait");
    db.seed(5);
    let proxy = Proxy::start(&setup, &db, &["--wait", "60s"]);
    let mut child = proxy
        .psql_command("claude", &token, &db.name, &["TRUNCATE users"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let id = loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "psql ended: {seen}");
        seen.push_str(&line);
        if line.contains("waiting for approval of request") {
            break request_id(&line);
        }
    };
    assert_eq!(
        db.direct("SELECT count(*) FROM users"),
        "5",
        "nothing ran while it waited"
    );
    let (code, text) = setup.approve(&id, "alice", setup.confirm_of(&id).as_deref());
    assert_eq!(code, Some(0), "{text}");
    let status = child.wait().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{seen}{rest}");
    assert_eq!(db.direct("SELECT count(*) FROM users"), "0");
}

#[test]
fn wrong_credentials_databases_and_upstreams_are_refused_with_one_clear_message() {
    let (setup, token) = world("pg-refuse");
    let other = setup.add_agent("other");
    let db = Database::new("refuse");
    let proxy = Proxy::start(&setup, &db, &[]);
    for (user, password, database, expected) in [
        (
            "claude",
            "hpa.claude.wrong",
            db.name.as_str(),
            "password authentication failed for agent `claude`",
        ),
        (
            "claude",
            other.as_str(),
            db.name.as_str(),
            "that credential is agent `other`'s",
        ),
        (
            "claude",
            "postgres",
            db.name.as_str(),
            "not an agent credential",
        ),
        (
            "claude",
            token.as_str(),
            "postgres",
            "this proxy serves the database",
        ),
    ] {
        let output = proxy.psql(user, password, database, &["SELECT 1"]);
        assert_eq!(output.status.code(), Some(2), "{user}/{database}");
        assert!(
            stderr(&output).contains(expected),
            "{expected}: {}",
            stderr(&output)
        );
    }
    // An upstream that is not there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = setup
        .command(&[
            "pg",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &format!("postgres://postgres@{closed}/x"),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    let port = line
        .split("connect to 127.0.0.1:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let output = Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "claude",
            "-d",
            "x",
            "-c",
            "SELECT 1",
        ])
        .env("PGPASSWORD", &token)
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        stderr(&output).contains("cannot reach the database"),
        "{}",
        stderr(&output)
    );

    // Guessing costs a password hash each time: after ten failures in a minute an
    // address is turned away without one, even with the right credential.
    let mut guesses = 3;
    let barred = loop {
        let output = proxy.psql("claude", "hpa.claude.guess", &db.name, &["SELECT 1"]);
        assert_eq!(output.status.code(), Some(2));
        if stderr(&output).contains("too many failed sign-ins from 127.0.0.1") {
            break guesses;
        }
        guesses += 1;
        assert!(guesses <= 10, "{}", stderr(&output));
    };
    assert_eq!(barred, 10, "three failed above, seven here");
    let output = proxy.psql("claude", &token, &db.name, &["SELECT 1"]);
    assert!(
        stderr(&output).contains("too many failed sign-ins"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn malformed_and_oversized_messages_and_vanishing_clients_leave_the_proxy_serving() {
    let (setup, token) = world("pg-bad");
    let db = Database::new("bad");
    db.seed(2);
    let proxy = Proxy::start(&setup, &db, &[]);
    let attempts: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        vec![0, 0, 0, 8, 0, 2, 0, 0],
        vec![0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0],
        vec![0, 0, 0, 4],
        holdpoint_pgwire::startup_message(&[("user", "claude")])[..10].to_vec(),
    ];
    for bytes in attempts {
        let mut socket = TcpStream::connect(&proxy.address).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = socket.write_all(&bytes);
        let _ = socket.shutdown(std::net::Shutdown::Write);
        // Either an error message or a closed connection; never a hang.
        let answer = until_closed(&mut socket);
        assert!(answer.is_empty() || answer[0] == b'E', "{answer:?}");
    }
    // An authenticated client that sends an oversized message, and one that leaves in
    // the middle of a message.
    for tail in [&b"Q\x7f\xff\xff\xff"[..], &b"Q\x00\x00\x00\x40SELECT"[..]] {
        let mut socket = authenticated(&proxy, &token, &db.name);
        socket.write_all(tail).unwrap();
        if tail.len() < 8 {
            let answer = until_closed(&mut socket);
            assert!(
                String::from_utf8_lossy(&answer).contains("larger than"),
                "{answer:?}"
            );
        }
        drop(socket);
    }
    // A client that leaves while its statement runs: the record says nobody saw the end.
    let mut socket = authenticated(&proxy, &token, &db.name);
    let sql = b"SELECT pg_sleep(3)\0";
    let mut message = vec![b'Q'];
    message.extend_from_slice(&u32::try_from(sql.len() + 4).unwrap().to_be_bytes());
    message.extend_from_slice(sql);
    socket.write_all(&message).unwrap();
    // It leaves once the database is running the statement.
    db.until_running("SELECT pg_sleep(3)");
    drop(socket);
    let output = proxy.psql("claude", &token, &db.name, &["SELECT count(*) FROM users"]);
    assert_eq!(
        crate::stdout(&output),
        "2\n",
        "{}\n{}",
        stderr(&output),
        proxy.log()
    );
    // Nothing undecided was forwarded: every statement the server saw was proposed. (A
    // read's records are written with the batch after it ran: wait for its outcome.)
    let records = records_once(&setup, |r| {
        r.iter().filter(|r| r["kind"] == "executed").count() == 2
    });
    let proposed = records.iter().filter(|r| r["kind"] == "proposed").count();
    assert_eq!(proposed, 2);
    let unknown = records
        .iter()
        .find(|r| r["kind"] == "executed" && r["body"]["outcome"] == "unknown")
        .expect("the statement its client left is recorded as unknown");
    assert_eq!(
        unknown["body"]["detail"],
        "the connection closed before the database answered"
    );
}

/// Everything the proxy sends until it closes the connection. A proxy that stops
/// answering but keeps the connection open fails here at the socket's read timeout; a
/// reset (the proxy closing with bytes unread) counts as closed.
fn until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return answer,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return answer,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("the proxy neither answered nor closed: {e} (after {answer:?})"),
        }
    }
}

/// A raw connection through the proxy, past start-up.
pub(crate) fn authenticated(proxy: &Proxy, token: &str, database: &str) -> TcpStream {
    let mut socket = TcpStream::connect(&proxy.address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
        .write_all(&holdpoint_pgwire::startup_message(&[
            ("user", "claude"),
            ("database", database),
        ]))
        .unwrap();
    let mut out = bytes::BytesMut::new();
    holdpoint_pgwire::password_message(token).encode(&mut out);
    let mut buf = [0u8; 9];
    socket.read_exact(&mut buf).unwrap();
    assert_eq!(buf[0], b'R');
    socket.write_all(&out).unwrap();
    // Read until ready for query.
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(&[b'Z', 0, 0, 0, 5, b'I']) {
        socket.read_exact(&mut byte).unwrap();
        seen.push(byte[0]);
    }
    socket
}

/// A world with the agent `claude`, a database seeded with `rows` users, a proxy started
/// with `proxy_args`, and a tokio-postgres client connected through it as `claude`.
async fn connected(
    name: &'static str,
    rows: u32,
    proxy_args: &[&str],
) -> (Setup, Database, Proxy, tokio_postgres::Client) {
    let (setup, token) = tokio::task::spawn_blocking(move || world(name))
        .await
        .unwrap();
    let db = Database::new(&name.replace('-', "_"));
    db.seed(rows);
    let proxy = Proxy::start(&setup, &db, proxy_args);
    let config = format!(
        "host=127.0.0.1 port={} user=claude password={token} dbname={}",
        proxy.port, db.name
    );
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    (setup, db, proxy, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_client_over_the_extended_protocol_is_decided_per_statement() {
    let (setup, db, _proxy, client) =
        connected("pg-extended", 40, &["--no-wait", "--env", "development"]).await;
    let setup = Arc::new(setup);

    // Prepared, bound with parameters, run several times: decided once, at Parse.
    let statement = client
        .prepare("SELECT email FROM users WHERE id = $1")
        .await
        .unwrap();
    for id in [1i32, 2, 40] {
        let row = client.query_one(&statement, &[&id]).await.unwrap();
        assert_eq!(row.get::<_, String>(0), format!("user{id}@example.com"));
    }
    // A change is allowed in development and runs with its parameters.
    let updated = client
        .execute(
            "UPDATE users SET email = $1 WHERE id = $2",
            &[&"new@example.com", &3i32],
        )
        .await
        .unwrap();
    assert_eq!(updated, 1);
    // A change prepared once runs on its decision once; every later run is decided
    // again: a freeze started since it was prepared refuses it.
    let update = client
        .prepare("UPDATE users SET email = $1 WHERE id = $2")
        .await
        .unwrap();
    for email in ["first@example.com", "second@example.com"] {
        assert_eq!(client.execute(&update, &[&email, &5i32]).await.unwrap(), 1);
    }
    // Anyone may start a freeze; only a human, at a terminal, ends it.
    let freezing = Arc::clone(&setup);
    tokio::task::spawn_blocking(move || {
        let output = freezing.run(
            &[
                "freeze",
                "start",
                "--env",
                "development",
                "--reason",
                "migration window",
            ],
            "",
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    })
    .await
    .unwrap();
    let error = client
        .execute(&update, &[&"frozen@example.com", &5i32])
        .await
        .unwrap_err();
    let db_error = error.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "42501", "{db_error}");
    assert!(
        db_error.message().contains("migration window"),
        "{db_error}"
    );
    assert_eq!(
        db.direct("SELECT email FROM users WHERE id = 5"),
        "second@example.com"
    );
    let thawing = Arc::clone(&setup);
    tokio::task::spawn_blocking(move || {
        let mut t = thawing.terminal(&["freeze", "end", "--env", "development"]);
        t.answer("secret for", crate::setup::SECRET);
        let (code, text) = t.finish();
        assert_eq!(code, Some(0), "{text}");
    })
    .await
    .unwrap();
    assert_eq!(
        client
            .execute(&update, &[&"thawed@example.com", &5i32])
            .await
            .unwrap(),
        1
    );
    // A destroy is held: the error reaches the client as SQLSTATE 42501, the table stays.
    let error = client.execute("DELETE FROM users", &[]).await.unwrap_err();
    let db_error = error.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "42501", "{db_error}");
    assert!(
        db_error.message().contains("held this statement"),
        "{db_error}"
    );
    // The connection is still good after the refusal.
    let count: i64 = client
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 40);
    // A transaction with a refused statement in it cannot commit what came before.
    client
        .batch_execute("BEGIN; UPDATE users SET email = 'in-tx' WHERE id = 4")
        .await
        .unwrap();
    assert!(client.execute("TRUNCATE users", &[]).await.is_err());
    let _ = client.batch_execute("COMMIT").await;
    assert_eq!(
        db.direct("SELECT email FROM users WHERE id = 4"),
        "user4@example.com"
    );

    // A cancel request reaches the server through the proxy.
    let cancel = client.cancel_token();
    let sleeper = tokio::spawn(async move { client.execute("SELECT pg_sleep(30)", &[]).await });
    tokio::task::block_in_place(|| db.until_running("SELECT pg_sleep(30)"));
    let started = Instant::now();
    cancel.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let result = sleeper.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let error = result.unwrap_err();
    assert_eq!(
        error.as_db_error().unwrap().code().code(),
        "57014",
        "{error}"
    );

    let records = tokio::task::spawn_blocking(move || {
        records_once(&setup, |r| {
            r.iter().any(|r| r["body"]["detail"] == "UPDATE 1")
        })
    })
    .await
    .unwrap();
    let decided = records.iter().filter(|r| r["kind"] == "decided").count();
    let proposed_select = records
        .iter()
        .filter(|r| {
            r["kind"] == "proposed" && r["body"]["input"] == "SELECT email FROM users WHERE id = $1"
        })
        .count();
    assert_eq!(proposed_select, 1, "a prepared statement is decided once");
    assert!(decided >= 7, "{decided}");
    let tags: Vec<&str> = records
        .iter()
        .filter(|r| r["kind"] == "executed")
        .filter_map(|r| r["body"]["detail"].as_str())
        .collect();
    assert!(tags.contains(&"UPDATE 1"), "{tags:?}");
}

#[test]
fn copy_in_both_directions_passes_through_once_decided() {
    let (setup, token) = world("pg-copy");
    let db = Database::new("copy");
    db.seed(3);
    let proxy = Proxy::start(&setup, &db, &["--env", "development"]);
    let output = proxy.psql(
        "claude",
        &token,
        &db.name,
        &["COPY users TO STDOUT WITH (FORMAT csv)"],
    );
    assert_eq!(
        crate::stdout(&output),
        "1,user1@example.com\n2,user2@example.com\n3,user3@example.com\n",
        "{}",
        stderr(&output)
    );
    let output = crate::setup::pipe(
        proxy.psql_command(
            "claude",
            &token,
            &db.name,
            &["COPY users (email) FROM STDIN"],
        ),
        "a@example.com\nb@example.com\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");
    // Each COPY was proposed, decided and then run, in that order, and what it did is
    // recorded against the same action.
    let records = records_once(&setup, |r| {
        r.iter().filter(|r| r["kind"] == "executed").count() == 2
    });
    let statements = [
        ("COPY users TO STDOUT WITH (FORMAT csv)", "COPY 3"),
        ("COPY users (email) FROM STDIN", "COPY 2"),
    ];
    for (sql, tag) in statements {
        let proposed = records
            .iter()
            .position(|r| r["kind"] == "proposed" && r["body"]["input"] == sql)
            .unwrap_or_else(|| panic!("{sql} was never proposed: {records:#?}"));
        let digest = &records[proposed]["digest"];
        let decided = records
            .iter()
            .position(|r| r["kind"] == "decided" && &r["digest"] == digest)
            .unwrap_or_else(|| panic!("{sql} was never decided: {records:#?}"));
        let executed = records
            .iter()
            .position(|r| r["kind"] == "executed" && &r["digest"] == digest)
            .unwrap_or_else(|| panic!("{sql} never ran: {records:#?}"));
        assert!(proposed < decided && decided < executed, "{records:#?}");
        assert_eq!(records[decided]["body"]["outcome"], "allow");
        assert_eq!(records[executed]["body"]["detail"], tag, "{sql}");
    }
    assert_eq!(
        records.iter().filter(|r| r["kind"] == "proposed").count(),
        2,
        "{records:#?}"
    );
}

/// A read that was allowed and ran is one record, `ran`, holding what its proposal,
/// decision and outcome would have said; a change outside a transaction is still
/// proposed, decided (durably, before it runs) and recorded as it ran, each on its own.
/// Every reader of the ledger still sees all three: the chain verifies, the read's
/// decision has a signed receipt, and the report shows the read with what it did.
#[test]
fn a_read_that_ran_is_one_record_and_a_change_is_three() {
    let (setup, token) = world("pg-lean");
    let db = Database::new("lean");
    db.seed(3);
    let proxy = Proxy::start(&setup, &db, &["--env", "development"]);
    let read = "SELECT email FROM users WHERE id = 2";
    let change = "UPDATE users SET email = 'x@example.com' WHERE id = 3";
    let output = proxy.psql("claude", &token, &db.name, &[read, change]);
    assert_eq!(
        crate::stdout(&output),
        "user2@example.com\nUPDATE 1\n",
        "{}",
        stderr(&output)
    );
    // Outcomes are written with the batch after the reply.
    records_once(&setup, |r| {
        r.iter().filter(|r| r["kind"] == "executed").count() == 2
    });
    let stored = setup.stored_records();
    let ran = ran_alone(&stored, read, "read", "SELECT 1");
    assert_eq!(ran["v"], 2, "a new kind is a new record version");
    assert_eq!(ran["body"]["proposed"]["surface"], "sql");
    assert_eq!(ran["actors"]["agent"], "claude");
    assert_eq!(kinds(&stored, change), ["proposed", "decided", "executed"]);

    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let receipt = setup.run(&["log", "receipt", &ran["seq"].to_string()], "");
    assert_eq!(receipt.status.code(), Some(0), "{}", stderr(&receipt));
    let receipt: serde_json::Value = serde_json::from_slice(&receipt.stdout).unwrap();
    assert_eq!(receipt["decision"], "allow");
    assert_eq!(receipt["record"], ran["seq"]);
    let session = ran["actors"]["session"].as_str().unwrap();
    let report = setup.run(&["report", "--session", session, "--format", "json"], "");
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let item = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["input"] == read)
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(item["status"], "allowed");
    assert!(
        item["outcomes"][0]
            .as_str()
            .unwrap()
            .starts_with("succeeded"),
        "{item:#}"
    );
    let shown = setup.run(&["log", "show"], "");
    assert!(
        crate::stdout(&shown).contains(&format!("sql: {read} (allowed, read; succeeded)")),
        "{}",
        crate::stdout(&shown)
    );
}

/// A change inside a transaction goes on at once and is written with what it did as one
/// `ran` record, durable before its COMMIT goes on. Pipelined with its COMMIT (its own
/// reply cannot come before the Sync that follows the COMMIT), it is written as its
/// decision first, durable before the COMMIT, and its outcome after.
#[test]
fn a_change_inside_a_transaction_is_one_record_durable_before_its_commit() {
    use by_hand::{bind, execute, parse, sync};
    let (setup, token) = world("pg-lean-tx");
    let db = Database::new("leantx");
    db.seed(3);
    let proxy = Proxy::start(&setup, &db, &["--env", "development"]);
    let change = "UPDATE users SET email = 'one@example.com' WHERE id = 1";
    let output = proxy.psql("claude", &token, &db.name, &["BEGIN", change, "COMMIT"]);
    assert_eq!(
        crate::stdout(&output),
        "BEGIN\nUPDATE 1\nCOMMIT\n",
        "{}",
        stderr(&output)
    );
    let committed = |r: &[serde_json::Value]| {
        r.iter().any(|r| {
            r["kind"] == "executed"
                && r["body"]["detail"] == "COMMIT"
                && r["body"]["outcome"] == "succeeded"
        })
    };
    records_once(&setup, committed);
    let stored = setup.stored_records();
    let ran = ran_alone(&stored, change, "change", "UPDATE 1");
    let commit = about(&stored, "COMMIT");
    assert!(
        commit
            .iter()
            .all(|c| c["seq"].as_u64() > ran["seq"].as_u64()),
        "the COMMIT was recorded before the change it made permanent: {commit:#?}"
    );

    // The change and its COMMIT in one pipeline, one Sync for both.
    let pipelined = "UPDATE users SET email = 'two@example.com' WHERE id = 2";
    let mut socket = authenticated(&proxy, &token, &db.name);
    let begun = exchange(&mut socket, &[holdpoint_pgwire::query_message("BEGIN")]);
    assert_eq!(begun, ["C BEGIN", "Z"]);
    let replies = exchange(
        &mut socket,
        &[
            parse("", pipelined),
            bind("", ""),
            execute(""),
            parse("", "COMMIT"),
            bind("", ""),
            execute(""),
            sync(),
        ],
    );
    assert_eq!(
        replies,
        ["1", "2", "C UPDATE 1", "1", "2", "C COMMIT", "Z"],
        "{}",
        proxy.log()
    );
    assert_eq!(
        db.direct("SELECT email FROM users WHERE id = 2"),
        "two@example.com"
    );
    let records = records_once(&setup, |r| {
        r.iter()
            .filter(|r| r["kind"] == "executed" && r["body"]["detail"] == "COMMIT")
            .count()
            == 2
    });
    assert_eq!(
        kinds(&records, pipelined),
        ["proposed", "decided", "executed"]
    );
    let decided = about(&records, pipelined)[1]["seq"].as_u64();
    let commits: Vec<_> = about(&records, "COMMIT")
        .into_iter()
        .filter(|r| r["kind"] != "executed")
        .collect();
    assert!(
        commits.iter().any(|c| c["seq"].as_u64() > decided),
        "the pipelined COMMIT was decided before the change's decision was written: {commits:#?}"
    );

    // Decided in the connection's task, a change still meets a freeze started while its
    // transaction is open, within the 50 ms the grants and freezes it uses may be old.
    let change = "UPDATE users SET email = 'three@example.com' WHERE id = 3";
    let query = |socket: &mut TcpStream, sql: &str| {
        exchange(socket, &[holdpoint_pgwire::query_message(sql)])
    };
    assert_eq!(query(&mut socket, "BEGIN"), ["C BEGIN", "Z"]);
    assert_eq!(query(&mut socket, change), ["C UPDATE 1", "Z"]);
    let frozen = setup.run(
        &[
            "freeze",
            "start",
            "--env",
            "development",
            "--reason",
            "quarter close",
        ],
        "",
    );
    assert_eq!(frozen.status.code(), Some(0), "{}", stderr(&frozen));
    std::thread::sleep(Duration::from_millis(100));
    let refused_change = query(&mut socket, change);
    assert!(
        refused(&refused_change, "42501", "quarter close"),
        "{refused_change:?}"
    );
    assert_eq!(query(&mut socket, "ROLLBACK"), ["C ROLLBACK", "Z"]);
    assert_eq!(
        db.direct("SELECT email FROM users WHERE id = 3"),
        "user3@example.com"
    );

    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
}

/// A proxy stopped (SIGTERM) while a read runs writes that read's decision before it
/// exits: a read's records wait for its outcome, but never past the proxy's end.
#[test]
fn a_read_still_running_when_the_proxy_stops_leaves_its_decision() {
    let (setup, token) = world("pg-lean-stop");
    let db = Database::new("lean_stop");
    db.seed(1);
    let mut proxy = Proxy::start(&setup, &db, &["--env", "development"]);
    let sleeping = "SELECT pg_sleep(30)";
    let mut client = proxy
        .psql_command("claude", &token, &db.name, &[sleeping])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    db.until_running(sleeping);
    assert!(
        !setup
            .stored_records()
            .iter()
            .any(|r| r.to_string().contains("pg_sleep")),
        "a running read is recorded with its outcome"
    );
    assert_eq!(proxy.terminate(), Some(0), "{}", proxy.log());
    let _ = client.kill();
    let _ = client.wait();
    let records = setup.records();
    let about: Vec<(&str, &str)> = about(&records, sleeping)
        .into_iter()
        .map(|r| {
            let kind = r["kind"].as_str().unwrap();
            (kind, r["body"]["outcome"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        about,
        [("proposed", ""), ("decided", "allow")],
        "{records:#?}"
    );
}

/// A read prepared over the extended protocol is decided when it is prepared: its first
/// run writes that decision with what it did, in one record; a later run is recorded on
/// its own; and one prepared but never run still leaves its decision in the ledger, once
/// its connection ends, rather than nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_read_is_recorded_with_its_first_run_or_on_its_own() {
    let (setup, _db, proxy, client) = connected(
        "pg-lean-prepared",
        3,
        &["--no-wait", "--env", "development"],
    )
    .await;
    let ran_twice = client
        .prepare("SELECT email FROM users WHERE id = $1")
        .await
        .unwrap();
    for id in [1i32, 2] {
        client.query_one(&ran_twice, &[&id]).await.unwrap();
    }
    let never_ran = client.prepare("SELECT count(*) FROM users").await.unwrap();
    drop(never_ran);
    drop(client);
    let setup = Arc::new(setup);
    let reader = Arc::clone(&setup);
    let stored = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        loop {
            let stored = reader.stored_records();
            if stored
                .iter()
                .filter(|r| r["kind"] == "executed" || r["kind"] == "ran")
                .count()
                >= 2
                && stored
                    .iter()
                    .any(|r| r["body"]["input"] == "SELECT count(*) FROM users")
                || started.elapsed() > Duration::from_secs(10)
            {
                return stored;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    assert_eq!(
        kinds(&stored, "SELECT email FROM users WHERE id = $1"),
        ["ran", "executed"],
        "{stored:#?}"
    );
    assert_eq!(
        kinds(&stored, "SELECT count(*) FROM users"),
        ["proposed", "decided"],
        "{stored:#?}"
    );
    drop(proxy);
    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
}

/// The records about the statement `sql`, in order: those with the digest of the first
/// record that proposes it (a `proposed` record, or a `ran` record's proposal).
fn about<'a>(records: &'a [serde_json::Value], sql: &str) -> Vec<&'a serde_json::Value> {
    let digest = &records
        .iter()
        .find(|r| r["body"]["input"] == sql || r["body"]["proposed"]["input"] == sql)
        .unwrap_or_else(|| panic!("{sql} is not in the ledger: {records:#?}"))["digest"];
    records.iter().filter(|r| &r["digest"] == digest).collect()
}

/// The one record about `sql` as stored: a `ran` record, allowed at `risk`, that
/// succeeded with the tag `tag`.
fn ran_alone<'a>(
    stored: &'a [serde_json::Value],
    sql: &str,
    risk: &str,
    tag: &str,
) -> &'a serde_json::Value {
    let records = about(stored, sql);
    assert_eq!(records.len(), 1, "{records:#?}");
    let ran = records[0];
    assert_eq!(ran["kind"], "ran", "{ran:#}");
    assert_eq!(ran["body"]["decided"]["outcome"], "allow", "{ran:#}");
    assert_eq!(ran["body"]["decided"]["risk"], risk, "{ran:#}");
    assert_eq!(ran["body"]["executed"]["outcome"], "succeeded", "{ran:#}");
    assert_eq!(ran["body"]["executed"]["detail"], tag, "{ran:#}");
    ran
}

/// The kinds of the records about `sql`, in ledger order.
fn kinds<'a>(records: &'a [serde_json::Value], sql: &str) -> Vec<&'a str> {
    about(records, sql)
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect()
}

/// Runs `sql` through the proxy, which holds it; alice approves; the retry runs.
fn approved(setup: &Setup, proxy: &Proxy, token: &str, db: &Database, sql: &[&str]) -> Output {
    let (_, output) = shown_and_approved(setup, proxy, token, db, sql);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{sql:?} after approval: {}",
        stderr(&output)
    );
    output
}

/// Runs `sql` through the proxy, which holds it; alice reads the request
/// (`approvals show`, returned) and approves it; the retry's output.
fn shown_and_approved(
    setup: &Setup,
    proxy: &Proxy,
    token: &str,
    db: &Database,
    sql: &[&str],
) -> (String, Output) {
    let output = proxy.psql("claude", token, &db.name, sql);
    let err = stderr(&output);
    assert!(
        err.contains("held this statement"),
        "{sql:?} was not held: {err}"
    );
    let id = request_id(&err);
    let shown = crate::stdout(&setup.run(&["approvals", "show", &id], ""));
    let (code, text) = setup.approve(&id, "alice", setup.confirm_of(&id).as_deref());
    assert_eq!(code, Some(0), "{text}");
    (shown, proxy.psql("claude", token, &db.name, sql))
}

/// The newest recovery point's id, from `holdpoint recovery list`.
fn newest_recovery(setup: &Setup) -> (String, String) {
    let list = setup.run(&["recovery", "list"], "");
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let text = crate::stdout(&list);
    let line = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no recovery point: {text}"))
        .to_owned();
    (line.split_whitespace().next().unwrap().to_owned(), line)
}

fn restore(setup: &Setup, id: &str) -> (Option<i32>, String) {
    let mut t = setup.terminal(&["restore", id, "--as", "alice"]);
    t.answer("secret for", crate::setup::SECRET);
    t.finish()
}

#[test]
fn an_approved_drop_leaves_a_recovery_point_and_restore_brings_back_every_row() {
    let (setup, token) = world("pg-recovery");
    let db = Database::new("recovery");
    db.seed(1206);
    db.direct("CREATE INDEX users_email ON users (email)");
    let proxy = Proxy::start(&setup, &db, &["--no-wait"]);

    // DROP TABLE: the table is moved aside, not dropped; the client sees DROP TABLE.
    let output = approved(&setup, &proxy, &token, &db, &["DROP TABLE users"]);
    assert!(
        crate::stdout(&output).contains("DROP TABLE"),
        "{}",
        crate::stdout(&output)
    );
    assert_eq!(
        db.direct("SELECT to_regclass('public.users') IS NULL"),
        "t",
        "the table is gone for the agent"
    );
    let (id, line) = newest_recovery(&setup);
    assert!(line.contains("drop") && line.contains("users"), "{line}");
    let (code, text) = restore(&setup, &id);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        db.direct("SELECT count(*) FROM users"),
        "1206",
        "every row is back"
    );
    assert_eq!(
        db.direct("SELECT count(*) FROM pg_indexes WHERE tablename = 'users'"),
        "2",
        "with its indexes"
    );
    let again = setup.run(&["restore", &id], "");
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already restored"),
        "{}",
        stderr(&again)
    );

    // TRUNCATE and a whole-table DELETE: the rows are copied first, in the same
    // transaction, and put back.
    for sql in ["TRUNCATE users", "DELETE FROM users"] {
        approved(&setup, &proxy, &token, &db, &[sql]);
        assert_eq!(db.direct("SELECT count(*) FROM users"), "0", "{sql} ran");
        let (id, line) = newest_recovery(&setup);
        assert!(line.contains("1206 rows"), "{line}");
        let (code, text) = restore(&setup, &id);
        assert_eq!(code, Some(0), "{text}");
        assert_eq!(
            db.direct("SELECT count(*) FROM users"),
            "1206",
            "{sql} undone"
        );
    }

    // A whole-table UPDATE: the old values come back by primary key.
    approved(
        &setup,
        &proxy,
        &token,
        &db,
        &["UPDATE users SET email = 'x'"],
    );
    assert_eq!(db.direct("SELECT count(DISTINCT email) FROM users"), "1");
    let (id, _) = newest_recovery(&setup);
    let (code, text) = restore(&setup, &id);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        db.direct("SELECT email FROM users WHERE id = 77"),
        "user77@example.com"
    );

    // Restoring over a table of the same name made since is refused, changing nothing.
    approved(&setup, &proxy, &token, &db, &["DROP TABLE users"]);
    let (id, _) = newest_recovery(&setup);
    db.direct("CREATE TABLE users (note text)");
    let (code, text) = restore(&setup, &id);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("exists again"), "{text}");
    assert_eq!(
        db.direct("SELECT count(*) FROM holdpoint_recovery.points"),
        "1",
        "still kept"
    );

    // DROP TABLE IF EXISTS of a table that is not there succeeds, as it would directly.
    let output = approved(
        &setup,
        &proxy,
        &token,
        &db,
        &["DROP TABLE IF EXISTS nothing_here"],
    );
    assert!(
        crate::stdout(&output).contains("DROP TABLE"),
        "{}",
        stderr(&output)
    );

    // The agent cannot touch the recovery points themselves: refused outright, not held.
    for sql in [
        "DROP SCHEMA holdpoint_recovery CASCADE",
        "DELETE FROM holdpoint_recovery.points",
    ] {
        let output = proxy.psql("claude", &token, &db.name, &[sql]);
        let err = stderr(&output);
        assert!(
            err.contains("refused this statement") && err.contains("recovery points"),
            "{sql}: {err}"
        );
    }
    let output = proxy.psql(
        "claude",
        &token,
        &db.name,
        &["SELECT count(*) FROM holdpoint_recovery.points"],
    );
    assert_eq!(
        crate::stdout(&output),
        "1\n",
        "reading them is fine: {}",
        stderr(&output)
    );

    // The ledger has each point kept and restored (the DROP TABLE IF EXISTS of nothing
    // kept none), and verifies.
    let records = setup.records();
    let kinds = |k: &str| records.iter().filter(|r| r["kind"] == k).count();
    assert_eq!((kinds("recovery_kept"), kinds("recovery_restored")), (5, 4));
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

/// A parent table and what refers to it: `orders` (ON DELETE CASCADE) with its `lines`
/// (ON DELETE CASCADE, a grandchild), `notes` (ON DELETE SET NULL; two of its rows refer
/// to no parent), `labels` (by the parent's `code`, ON UPDATE CASCADE and ON DELETE
/// CASCADE) and a view on the parent.
fn family(db: &Database) {
    db.direct(
        "CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE NOT NULL, name text); \
         CREATE TABLE orders (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent ON DELETE CASCADE, total numeric); \
         CREATE TABLE lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders ON DELETE CASCADE, item text); \
         CREATE TABLE notes (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE SET NULL, body text); \
         CREATE TABLE labels (id int PRIMARY KEY, parent_code text REFERENCES parent (code) ON UPDATE CASCADE ON DELETE CASCADE, label text); \
         CREATE VIEW parent_names AS SELECT id, name FROM parent; \
         INSERT INTO parent SELECT g, 'p' || g, 'parent ' || g FROM generate_series(1, 10) g; \
         INSERT INTO orders SELECT g, 1 + g % 10, g * 1.5 FROM generate_series(1, 12) g; \
         INSERT INTO lines SELECT g, 1 + g % 12, 'item ' || g FROM generate_series(1, 30) g; \
         INSERT INTO notes SELECT g, CASE WHEN g <= 3 THEN g END, 'note ' || g FROM generate_series(1, 5) g; \
         INSERT INTO labels SELECT g, 'p' || g, 'label ' || g FROM generate_series(1, 4) g",
    );
}

/// The tables of `family`.
const FAMILY: [&str; 5] = ["parent", "orders", "lines", "notes", "labels"];

/// Every row of each table, in order: what a restore must give back exactly.
fn contents(db: &Database, tables: &[&str]) -> Vec<String> {
    tables
        .iter()
        .map(|table| {
            let rows = db.direct(&format!(
                "SELECT coalesce(string_agg(t::text, ' ' ORDER BY t::text), '') FROM {table} t"
            ));
            format!("{table}: {rows}")
        })
        .collect()
}

/// Restores the newest recovery point and checks every row of the family is back.
fn restored_whole(setup: &Setup, db: &Database, before: &[String]) -> String {
    let (id, line) = newest_recovery(setup);
    let (code, text) = restore(setup, &id);
    assert_eq!(code, Some(0), "{line}: {text}");
    assert_eq!(contents(db, &FAMILY), before, "{line}: {text}");
    text
}

#[test]
fn what_foreign_keys_cascade_to_is_shown_kept_and_restored_with_the_table() {
    // Regression: an approved `DELETE FROM parent` and `TRUNCATE parent CASCADE` kept
    // only the parent's rows; the rows the foreign keys took were gone for good, and the
    // approver was never told of them.
    let (setup, token) = world("pg-cascade");
    let db = Database::new("cascade");
    family(&db);
    let before = contents(&db, &FAMILY);
    let proxy = Proxy::start(&setup, &db, &["--no-wait"]);

    // DELETE: the approver reads every table and count; the child rows are kept with
    // the parent's, the overwritten ones as they were.
    let (shown, output) = shown_and_approved(&setup, &proxy, &token, &db, &["DELETE FROM parent"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for words in [
        "would delete 10 rows of table `parent`",
        "4 rows of `labels` by ON DELETE CASCADE",
        "3 rows of `notes` have `parent_id` set to NULL",
        "12 rows of `orders` by ON DELETE CASCADE",
        "30 rows of `lines` by ON DELETE CASCADE",
    ] {
        assert!(shown.contains(words), "{words}: {shown}");
    }
    assert_eq!(
        db.direct(
            "SELECT (SELECT count(*) FROM parent) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM lines) \
             + (SELECT count(*) FROM labels) + (SELECT count(parent_id) FROM notes)"
        ),
        "0",
        "the cascade ran"
    );
    // Restore puts everything back or nothing: with one of the overwritten rows gone
    // since, it refuses and changes nothing.
    db.direct("DELETE FROM notes WHERE id = 1");
    let (id, _) = newest_recovery(&setup);
    let (code, text) = restore(&setup, &id);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("only 2 of the 3 overwritten rows of \"public\".\"notes\""),
        "{text}"
    );
    assert_eq!(
        db.direct("SELECT count(*) FROM parent"),
        "0",
        "nothing changed"
    );
    db.direct("INSERT INTO notes VALUES (1, NULL, 'note 1')");
    let text = restored_whole(&setup, &db, &before);
    assert!(
        text.contains("12 rows are back in \"public\".\"orders\" (ON DELETE CASCADE)")
            && text.contains("3 rows of \"public\".\"notes\" have their old values back"),
        "{text}"
    );

    // TRUNCATE … CASCADE empties every table that refers to the parent, whatever the
    // foreign key's action.
    let (shown, output) =
        shown_and_approved(&setup, &proxy, &token, &db, &["TRUNCATE parent CASCADE"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for words in [
        "would empty table `parent`",
        "table `labels` (4 rows) by TRUNCATE … CASCADE",
        "table `notes` (5 rows)",
        "table `orders` (12 rows)",
        "table `lines` (30 rows)",
    ] {
        assert!(shown.contains(words), "{words}: {shown}");
    }
    assert_eq!(contents(&db, &FAMILY), FAMILY.map(|t| format!("{t}: ")));
    restored_whole(&setup, &db, &before);

    // An UPDATE of a referenced key overwrites the keys that follow it; restore sets
    // both back by primary key.
    let (shown, output) = shown_and_approved(
        &setup,
        &proxy,
        &token,
        &db,
        &["UPDATE parent SET code = upper(code)"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        shown.contains("would overwrite 10 rows of table `parent`")
            && shown.contains("4 rows of `labels` have `parent_code` changed by ON UPDATE CASCADE"),
        "{shown}"
    );
    assert_eq!(db.direct("SELECT min(parent_code) FROM labels"), "P1");
    restored_whole(&setup, &db, &before);

    // DROP … CASCADE takes the other tables' foreign keys and the view, not their rows:
    // the view is set aside with the table, the keys are kept and added back.
    let (shown, output) =
        shown_and_approved(&setup, &proxy, &token, &db, &["DROP TABLE parent CASCADE"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        shown.contains("view parent_names")
            && shown.contains("constraint orders_parent_id_fkey on table orders"),
        "{shown}"
    );
    let keys = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('orders'::regclass, 'notes'::regclass, 'labels'::regclass)";
    assert_eq!(db.direct(keys), "0", "the keys to the parent went");
    assert_eq!(
        db.direct("SELECT to_regclass('parent_names') IS NULL AND to_regclass('parent') IS NULL"),
        "t"
    );
    assert_eq!(
        db.direct("SELECT count(*) FROM orders"),
        "12",
        "the rows that referred to it stay"
    );
    restored_whole(&setup, &db, &before);
    assert_eq!(db.direct(keys), "3", "the keys are back");
    assert_eq!(db.direct("SELECT count(*) FROM parent_names"), "10");

    // Where holdpoint cannot keep what a cascade overwrites (rows with no primary key to
    // set them back by), the approver is told, and the approved statement is refused.
    db.direct(
        "CREATE TABLE loose (parent_id int REFERENCES parent ON DELETE SET NULL); INSERT INTO loose VALUES (1), (2)",
    );
    let (shown, output) = shown_and_approved(&setup, &proxy, &token, &db, &["DELETE FROM parent"]);
    assert!(
        shown.contains("holdpoint cannot keep what it destroys (foreign key `loose_parent_id_fkey` would overwrite rows of `loose`, which has no primary key to put them back by)"),
        "{shown}"
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("holdpoint refused this statement: foreign key `loose_parent_id_fkey`"),
        "{err}"
    );
    assert_eq!(contents(&db, &FAMILY), before, "nothing ran");
    assert_eq!(db.direct("SELECT count(parent_id) FROM loose"), "2");

    // A point with parts is purged whole: the table, the rows and views kept with it.
    db.direct("DROP TABLE loose");
    approved(&setup, &proxy, &token, &db, &["DROP TABLE parent CASCADE"]);
    let mut t = setup.terminal(&["recovery", "purge", "--older-than", "0s", "--as", "alice"]);
    t.answer("secret for", crate::setup::SECRET);
    let (code, text) = t.finish();
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        db.direct(
            "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'holdpoint_recovery'::regnamespace AND relname LIKE 'rcv%') \
             + (SELECT count(*) FROM holdpoint_recovery.parts) + (SELECT count(*) FROM holdpoint_recovery.points)"
        ),
        "0",
        "{text}"
    );

    // The outcome names what was kept with the point; the ledger verifies.
    let records = records_once(&setup, |r| {
        r.iter()
            .filter(|r| r["kind"] == "recovery_restored")
            .count()
            == 4
    });
    let details: Vec<&str> = records
        .iter()
        .filter(|r| r["kind"] == "executed")
        .filter_map(|r| r["body"]["detail"].as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("DELETE 10, recovery point rcv-")
                && d.ends_with("kept, with 49 rows its foreign keys cascade to")),
        "{details:?}"
    );
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

#[test]
fn the_databases_listed_in_holdpoint_toml_are_served_by_one_proxy() {
    let (setup, token) = world("pg-config");
    let prod = Database::new("config_prod");
    let dev = Database::new("config_dev");
    prod.seed(3);
    dev.seed(4);
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (prod_port, dev_port) = (free(), free());
    setup.config(&format!(
        "[[database]]\nlisten = \"127.0.0.1:{prod_port}\"\nupstream = \"postgres://postgres@{SERVER}:5432/{}\"\nenvironment = \"production\"\nwait = \"0s\"\n\n\
         [[database]]\nlisten = \"127.0.0.1:{dev_port}\"\nupstream = \"postgres://postgres@{SERVER}:5432/{}\"\nenvironment = \"development\"\n",
        prod.name, dev.name
    ));
    let mut child = setup
        .command(&["pg"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    for _ in 0..2 {
        let mut line = String::new();
        log.read_line(&mut line).unwrap();
        assert!(line.contains("agents connect to"), "{line}");
    }
    let psql = |port: u16, database: &str, sql: &str| {
        Command::new("psql")
            .args([
                "-X",
                "-At",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "claude",
                "-d",
                database,
                "-c",
                sql,
            ])
            .env("PGPASSWORD", &token)
            .output()
            .unwrap()
    };
    // Each listener serves its own database in its own environment.
    assert_eq!(
        crate::stdout(&psql(prod_port, &prod.name, "SELECT count(*) FROM users")),
        "3\n"
    );
    assert_eq!(
        crate::stdout(&psql(dev_port, &dev.name, "SELECT count(*) FROM users")),
        "4\n"
    );
    let prod_update = psql(
        prod_port,
        &prod.name,
        "UPDATE users SET email = 'x' WHERE id = 1",
    );
    assert!(
        stderr(&prod_update).contains("held this statement"),
        "production asks, at once: {}",
        stderr(&prod_update)
    );
    let dev_update = psql(
        dev_port,
        &dev.name,
        "UPDATE users SET email = 'x' WHERE id = 1",
    );
    assert_eq!(
        dev_update.status.code(),
        Some(0),
        "development allows a change: {}",
        stderr(&dev_update)
    );
    let _ = child.kill();
    let _ = child.wait();
    // Without a database named anywhere, one clear line.
    setup.config("");
    let output = setup.run(&["pg"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("[[database]]"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_one_shape_are_each_recorded_and_a_policy_change_reaches_them() {
    let (setup, db, _proxy, client) =
        connected("pg-shapes", 20, &["--no-wait", "--env", "development"]).await;
    let email = |rows: Vec<tokio_postgres::SimpleQueryMessage>| {
        rows.into_iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
    };

    // One shape, different numbers: each statement is its own decision and outcome.
    for id in 1..=5 {
        let rows = client
            .simple_query(&format!("SELECT email FROM users WHERE id = {id}"))
            .await
            .unwrap();
        assert_eq!(email(rows), Some(format!("user{id}@example.com")));
    }
    // A statement of a read's shape with a change in it is judged as itself.
    let error = client
        .simple_query("SELECT email FROM users WHERE id = 6; DELETE FROM users")
        .await
        .unwrap_err();
    assert_eq!(
        error.as_db_error().unwrap().code().code(),
        "42501",
        "{error}"
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "20");

    // Reads forbidden while the connection is open: the learnt shape is refused too.
    let forbid = setup.home.join("policies/no-reads.cedar");
    std::fs::write(
        &forbid,
        "@id(\"no-reads\")\n@reason(\"reads are closed for maintenance\")\nforbid (principal, action == Action::\"read\", resource);\n",
    )
    .unwrap();
    let started = Instant::now();
    let error = loop {
        match client
            .simple_query("SELECT email FROM users WHERE id = 7")
            .await
        {
            Err(error) => break error,
            Ok(_) => {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the new policy never reached the learnt read"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let db_error = error.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "42501", "{db_error}");
    assert!(
        db_error
            .message()
            .contains("reads are closed for maintenance"),
        "{db_error}"
    );

    let records = tokio::task::spawn_blocking(move || {
        records_once(&setup, |r| {
            (1..=5).all(|id| {
                r.iter().any(|r| {
                    r["kind"] == "executed"
                        && r["body"]["detail"] == "SELECT 1"
                        && r["digest"].is_string()
                }) && r.iter().any(|r| {
                    r["kind"] == "proposed"
                        && r["body"]["input"] == format!("SELECT email FROM users WHERE id = {id}")
                })
            })
        })
    })
    .await
    .unwrap();
    for id in 1..=5 {
        let input = format!("SELECT email FROM users WHERE id = {id}");
        let digest = records
            .iter()
            .find(|r| r["kind"] == "proposed" && r["body"]["input"] == input)
            .unwrap_or_else(|| panic!("{input} was not recorded"))["digest"]
            .clone();
        let kinds: Vec<&str> = records
            .iter()
            .filter(|r| r["digest"] == digest)
            .filter_map(|r| r["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["proposed", "decided", "executed"], "{input}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cancelling_a_statement_held_for_approval_stops_waiting_at_once() {
    let (setup, db, _proxy, client) = connected(
        "pg-cancel-wait",
        10,
        &["--wait", "120s", "--env", "development"],
    )
    .await;
    let cancel = client.cancel_token();
    let held = tokio::spawn(async move {
        let result = client.simple_query("DELETE FROM users").await;
        (client, result)
    });
    // Held: the proxy waits for a human (its request is listed as pending) and the
    // statement has not reached the server.
    let pending = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        loop {
            let text = crate::stdout(&setup.run(&["approvals", "list"], ""));
            if text.contains("DELETE FROM users") {
                return setup;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the DELETE was never held: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let setup = pending.await.unwrap();
    assert!(!held.is_finished(), "the DELETE was answered while held");
    let started = Instant::now();
    cancel.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let (client, result) = held.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the wait went on"
    );
    let error = result.unwrap_err();
    let db_error = error.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "57014", "{db_error}");
    assert!(
        db_error
            .message()
            .contains("stopped waiting for request apr-"),
        "{db_error}"
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "10");
    // The connection goes on, and the request is still open for a human.
    let rows = client.simple_query("SELECT 1").await.unwrap();
    assert!(rows.len() >= 2);
    let pending =
        tokio::task::spawn_blocking(move || crate::stdout(&setup.run(&["approvals", "list"], "")))
            .await
            .unwrap();
    assert!(pending.contains("DELETE FROM users"), "{pending}");
}

/// Runs `sql` over the extended protocol: held, approved by alice, prepared and run
/// again; the second run's result.
async fn approve_and_run(
    setup: &Arc<Setup>,
    client: &tokio_postgres::Client,
    sql: &str,
) -> Result<u64, tokio_postgres::Error> {
    let error = client.execute(sql, &[]).await.unwrap_err();
    let message = error.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("held this statement"), "{sql}: {message}");
    let approver = Arc::clone(setup);
    tokio::task::spawn_blocking(move || {
        let id = request_id(&message);
        let (code, text) = approver.approve(&id, "alice", approver.confirm_of(&id).as_deref());
        assert_eq!(code, Some(0), "{text}");
    })
    .await
    .unwrap();
    client.execute(sql, &[]).await
}

/// Restores the newest recovery point; its line in `recovery list`.
async fn restore_newest(setup: &Arc<Setup>) -> String {
    let setup = Arc::clone(setup);
    tokio::task::spawn_blocking(move || {
        let (id, line) = newest_recovery(&setup);
        let (code, text) = restore(&setup, &id);
        assert_eq!(code, Some(0), "{text}");
        line
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroys_prepared_over_the_extended_protocol_keep_a_recovery_point() {
    let (setup, db, _proxy, client) = connected("pg-extended-keep", 30, &["--no-wait"]).await;
    let setup = Arc::new(setup);
    let db = Arc::new(db);

    // A whole-table DELETE: the client gets its own count, the rows are kept.
    assert_eq!(
        approve_and_run(&setup, &client, "DELETE FROM users")
            .await
            .unwrap(),
        30
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "0");
    let line = restore_newest(&setup).await;
    assert!(
        line.contains("delete") && line.contains("30 rows"),
        "{line}"
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "30");

    // Prepared once and run twice: the second run would need a recovery point of its
    // own, so it is refused and nothing more is deleted.
    let error = client.prepare("DELETE FROM users").await.unwrap_err();
    let message = error.as_db_error().unwrap().message().to_owned();
    let id = request_id(&message);
    let approver = Arc::clone(&setup);
    tokio::task::spawn_blocking(move || {
        let (code, text) = approver.approve(&id, "alice", approver.confirm_of(&id).as_deref());
        assert_eq!(code, Some(0), "{text}");
    })
    .await
    .unwrap();
    let delete = client.prepare("DELETE FROM users").await.unwrap();
    assert_eq!(client.execute(&delete, &[]).await.unwrap(), 30);
    db.direct("INSERT INTO users (email) VALUES ('late@example.com')");
    let error = client.execute(&delete, &[]).await.unwrap_err();
    let db_error = error.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "42501", "{db_error}");
    assert!(
        db_error.message().contains("prepare the statement again"),
        "{db_error}"
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "1");
    db.direct("DELETE FROM users WHERE email = 'late@example.com'");
    restore_newest(&setup).await;
    assert_eq!(db.direct("SELECT count(*) FROM users"), "30");

    // An approval covers one run: a change prepared on it runs once, and its next run
    // is held again as a new request.
    let change = "UPDATE users SET email = $1 WHERE id = $2";
    let error = client.prepare(change).await.unwrap_err();
    let first = request_id(error.as_db_error().unwrap().message());
    let (approver, id) = (Arc::clone(&setup), first.clone());
    tokio::task::spawn_blocking(move || {
        // A change, not a destroy: the approver does not type the target.
        let (code, text) = approver.approve(&id, "alice", None);
        assert_eq!(code, Some(0), "{text}");
    })
    .await
    .unwrap();
    let update = client.prepare(change).await.unwrap();
    assert_eq!(
        client
            .execute(&update, &[&"approved@example.com", &7i32])
            .await
            .unwrap(),
        1
    );
    let error = client
        .execute(&update, &[&"unapproved@example.com", &8i32])
        .await
        .unwrap_err();
    let message = error.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("held this statement"), "{message}");
    assert_ne!(request_id(&message), first);
    assert_eq!(
        db.direct("SELECT email FROM users WHERE id = 8"),
        "user8@example.com"
    );

    // DROP TABLE: moved aside, the client sees DROP TABLE, restore brings it back.
    approve_and_run(&setup, &client, "DROP TABLE users")
        .await
        .unwrap();
    assert_eq!(
        db.direct(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'users' AND schemaname = 'public'"
        ),
        "0"
    );
    let line = restore_newest(&setup).await;
    assert!(line.contains("drop"), "{line}");
    assert_eq!(db.direct("SELECT count(*) FROM users"), "30");

    // The outcomes name the points; the ledger records them.
    let records = tokio::task::spawn_blocking(move || {
        records_once(&setup, |r| {
            r.iter()
                .filter(|r| r["kind"] == "recovery_restored")
                .count()
                == 3
        })
    })
    .await
    .unwrap();
    assert_eq!(
        records
            .iter()
            .filter(|r| r["kind"] == "recovery_kept")
            .count(),
        3
    );
    let details: Vec<&str> = records
        .iter()
        .filter(|r| r["kind"] == "executed")
        .filter_map(|r| r["body"]["detail"].as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("DELETE 30, recovery point rcv-")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("DROP TABLE, recovery point rcv-")),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascades_of_destroys_prepared_over_the_extended_protocol_are_kept_too() {
    let (setup, db, _proxy, client) = connected("pg-extended-cascade", 1, &["--no-wait"]).await;
    let setup = Arc::new(setup);
    family(&db);
    // Rows of `a_first` are reached (and kept) before the rows of `b_later` they refer
    // to: restore must not put them back in the order they were kept.
    db.direct(
        "CREATE TABLE b_later (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE); \
         CREATE TABLE a_first (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE, \
           later_id int REFERENCES b_later ON DELETE CASCADE); \
         INSERT INTO b_later VALUES (1, 1), (2, 2); INSERT INTO a_first VALUES (1, 1, 2), (2, NULL, 1)",
    );
    let tables = [FAMILY.as_slice(), &["a_first", "b_later"]].concat();
    let before = contents(&db, &tables);

    for (sql, changed) in [("DELETE FROM parent", 10), ("TRUNCATE parent CASCADE", 0)] {
        assert_eq!(
            approve_and_run(&setup, &client, sql).await.unwrap(),
            changed,
            "{sql}"
        );
        assert_eq!(
            db.direct("SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM lines) + (SELECT count(parent_id) FROM notes)"),
            "0",
            "{sql} cascaded"
        );
        let line = restore_newest(&setup).await;
        assert_eq!(contents(&db, &tables), before, "{sql}: {line}");
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made by openssl: the files
/// `NAME-cert.pem` and `NAME-key.pem`.
fn certificate(setup: &Setup, name: &str) -> (String, String) {
    let cert = setup.path(&format!("{name}-cert.pem"));
    let key = setup.path(&format!("{name}-key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            &key,
            "-out",
            &cert,
        ])
        .output()
        .unwrap_or_else(|e| panic!("openssl is missing ({e}): install openssl"));
    assert!(made.status.success(), "{}", stderr(&made));
    (cert, key)
}

#[test]
fn with_a_certificate_agents_connect_over_tls_and_only_over_tls() {
    let (setup, token) = world("pg-tls");
    let db = Database::new("tls");
    db.seed(5);
    let (cert, key) = certificate(&setup, "proxy");
    let proxy = Proxy::start(
        &setup,
        &db,
        &["--no-wait", "--tls-cert", &cert, "--tls-key", &key],
    );
    assert!(proxy.log().contains("over TLS"), "{}", proxy.log());

    // verify-full: psql checks that the proxy holds the certificate it was given.
    let mut psql = proxy.psql_command(
        "claude",
        &token,
        &db.name,
        &["SELECT count(*) FROM users", "\\conninfo"],
    );
    let output = psql
        .env("PGSSLMODE", "verify-full")
        .env("PGSSLROOTCERT", &cert)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        stderr(&output),
        proxy.log()
    );
    let shown = crate::stdout(&output);
    assert!(shown.starts_with("5\n"), "{shown}");
    assert!(
        shown.contains("SSL connection (protocol: TLSv1."),
        "{shown}"
    );

    // Decisions go on as in the clear: a held change is refused, naming the request.
    let output = proxy
        .psql_command("claude", &token, &db.name, &["DELETE FROM users"])
        .env("PGSSLMODE", "require")
        .output()
        .unwrap();
    assert!(
        stderr(&output).contains("held this statement"),
        "{}",
        stderr(&output)
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "5");

    // In the clear the proxy says how to connect, before any credential is sent.
    let output = proxy
        .psql_command("claude", &token, &db.name, &["SELECT 1"])
        .env("PGSSLMODE", "disable")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("over TLS only: connect with sslmode=require"),
        "{}",
        stderr(&output)
    );
    // A client that expects another certificate refuses the proxy.
    let (other_ca, _) = certificate(&setup, "other");
    let output = proxy
        .psql_command("claude", &token, &db.name, &["SELECT 1"])
        .env("PGSSLMODE", "verify-full")
        .env("PGSSLROOTCERT", &other_ca)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("certificate verify failed"),
        "{}",
        stderr(&output)
    );

    // The statements over TLS were recorded like any other.
    let records = records_once(&setup, |r| r.iter().any(|r| r["kind"] == "executed"));
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "executed" && r["body"]["detail"] == "SELECT 1"),
        "{records:#?}"
    );
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));

    // A certificate that cannot be read stops the proxy with one line saying which.
    let upstream = format!("postgres://postgres@{SERVER}:5432/{}", db.name);
    let missing = setup.path("missing.pem");
    let output = setup.run(
        &[
            "pg",
            "--upstream",
            &upstream,
            "--tls-cert",
            &missing,
            "--tls-key",
            &key,
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot read the TLS certificate")
            && stderr(&output).contains("missing.pem"),
        "{}",
        stderr(&output)
    );
    // Half a TLS configuration is refused, not served in the clear.
    setup.config(&format!(
        "[[database]]\nlisten = \"127.0.0.1:0\"\nupstream = \"{upstream}\"\ntls_cert = \"{cert}\"\n"
    ));
    let output = setup.run(&["pg"], "");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("names only one of tls_cert and tls_key"),
        "{}",
        stderr(&output)
    );
}

/// Protocol messages as a client would send them, built by hand.
pub(crate) mod by_hand {
    use bytes::{BufMut as _, BytesMut};
    use holdpoint_pgwire::Frame;

    fn cstring(out: &mut BytesMut, text: &str) {
        out.put_slice(text.as_bytes());
        out.put_u8(0);
    }

    pub fn parse(statement: &str, sql: &str) -> Frame {
        holdpoint_pgwire::parse_frame_for(statement, sql)
    }

    /// `B` with no parameters and text results.
    pub fn bind(portal: &str, statement: &str) -> Frame {
        let mut out = BytesMut::new();
        cstring(&mut out, portal);
        cstring(&mut out, statement);
        out.put_i16(0);
        out.put_i16(0);
        out.put_i16(0);
        Frame::new(b'B', out.freeze())
    }

    pub fn execute(portal: &str) -> Frame {
        let mut out = BytesMut::new();
        cstring(&mut out, portal);
        out.put_i32(0);
        Frame::new(b'E', out.freeze())
    }

    pub fn close_statement(statement: &str) -> Frame {
        let mut out = BytesMut::new();
        out.put_u8(b'S');
        cstring(&mut out, statement);
        Frame::new(b'C', out.freeze())
    }

    pub fn sync() -> Frame {
        Frame::new(b'S', Vec::new())
    }
}

/// Sends `frames` and reads the replies up to ready-for-query, each as a short line:
/// `C UPDATE 1`, `E 42501 message`, or the tag byte.
pub(crate) fn exchange(socket: &mut TcpStream, frames: &[holdpoint_pgwire::Frame]) -> Vec<String> {
    let mut out = bytes::BytesMut::new();
    for frame in frames {
        frame.encode(&mut out);
    }
    socket.write_all(&out).unwrap();
    let mut buf = bytes::BytesMut::new();
    let mut replies = Vec::new();
    loop {
        while let Some(frame) = holdpoint_pgwire::parse_frame(&mut buf, 1 << 20).unwrap() {
            let line = match frame.tag {
                b'C' => format!("C {}", holdpoint_pgwire::command_tag(&frame).unwrap()),
                b'E' => {
                    let fields = holdpoint_pgwire::fields(&frame).unwrap();
                    format!(
                        "E {} {}",
                        fields.get(b'C').unwrap_or(""),
                        fields.get(b'M').unwrap_or("")
                    )
                }
                tag => (tag as char).to_string(),
            };
            let done = line == "Z";
            replies.push(line);
            if done {
                return replies;
            }
        }
        let mut chunk = [0u8; 4096];
        let n = match socket.read(&mut chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            read => read.unwrap(),
        };
        assert!(n > 0, "the proxy closed the connection after {replies:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Whether `replies` hold an error with `sqlstate` whose message contains `words`.
pub(crate) fn refused(replies: &[String], sqlstate: &str, words: &str) -> bool {
    replies
        .iter()
        .any(|r| r.starts_with(&format!("E {sqlstate}")) && r.contains(words))
}

#[test]
fn a_change_cannot_run_again_under_the_name_of_a_read_the_server_never_took() {
    use by_hand::{bind, close_statement, execute, parse, sync};
    let (setup, token) = world("pg-names");
    let db = Database::new("names");
    db.seed(3);
    let proxy = Proxy::start(&setup, &db, &["--no-wait", "--env", "development"]);
    let mut socket = authenticated(&proxy, &token, &db.name);
    let change = "UPDATE users SET email = email || '+' WHERE id = 1";
    let email = || db.direct("SELECT email FROM users WHERE id = 1");

    // Prepared as `s1` and run: a change is allowed in development.
    let replies = exchange(
        &mut socket,
        &[parse("s1", change), bind("", "s1"), execute(""), sync()],
    );
    assert!(replies.contains(&"C UPDATE 1".to_owned()), "{replies:?}");
    let frozen = setup.run(
        &[
            "freeze",
            "start",
            "--env",
            "development",
            "--reason",
            "release night",
        ],
        "",
    );
    assert_eq!(frozen.status.code(), Some(0), "{}", stderr(&frozen));

    // A read prepared under the same name: the server keeps the change (42P05), and so
    // does holdpoint, which decides its next run as the change it is.
    let replies = exchange(&mut socket, &[parse("s1", "SELECT 1"), sync()]);
    assert!(refused(&replies, "42P05", ""), "{replies:?}");
    let replies = exchange(&mut socket, &[bind("", "s1"), execute(""), sync()]);
    assert!(refused(&replies, "42501", "release night"), "{replies:?}");
    assert_eq!(email(), "user1@example.com+");

    // After an error the server skips the rest of the pipeline: the Close and the new
    // Parse of `s1` never happened, and holdpoint does not pretend they did.
    let replies = exchange(
        &mut socket,
        &[
            parse("bad", "SELECT * FROM no_such_table"),
            close_statement("s1"),
            parse("s1", "SELECT 1"),
            sync(),
        ],
    );
    assert!(refused(&replies, "42P01", ""), "{replies:?}");
    let replies = exchange(&mut socket, &[bind("", "s1"), execute(""), sync()]);
    assert!(refused(&replies, "42501", "release night"), "{replies:?}");
    assert_eq!(email(), "user1@example.com+");

    // A name prepared with SQL PREPARE is not run through the protocol, where holdpoint
    // cannot see what it stands for.
    let replies = exchange(
        &mut socket,
        &[holdpoint_pgwire::query_message(
            "PREPARE p1 AS SELECT email FROM users",
        )],
    );
    assert!(replies.contains(&"C PREPARE".to_owned()), "{replies:?}");
    let replies = exchange(&mut socket, &[bind("", "p1"), execute(""), sync()]);
    assert!(
        refused(&replies, "42501", "not prepared through holdpoint"),
        "{replies:?}"
    );

    // Reads prepared and run by hand go on as ever, and the connection is still good.
    let replies = exchange(
        &mut socket,
        &[
            parse("s2", "SELECT count(*) FROM users"),
            bind("", "s2"),
            execute(""),
            sync(),
        ],
    );
    assert_eq!(replies, ["1", "2", "D", "C SELECT 1", "Z"], "{replies:?}");
    let replies = exchange(&mut socket, &[bind("", "s2"), execute(""), sync()]);
    assert_eq!(replies, ["2", "D", "C SELECT 1", "Z"], "{replies:?}");
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

/// A PostgreSQL server of the test's own, on a port of its own, run as `postgres` from a
/// directory that user owns; it can be stopped as by a crash and started again, and is
/// stopped and removed at the end. With a password, it asks every client for it by
/// SCRAM-SHA-256 (the machine's server trusts 127.0.0.1); without, it trusts them.
pub(crate) struct OwnServer {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    pub port: u16,
}

/// Runs a PostgreSQL program as `postgres`, which must succeed.
fn as_postgres(args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("runuser is missing ({e}): `apt-get install util-linux`, or run .ci/run")
        });
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
}

impl OwnServer {
    pub(crate) fn start(name: &str, password: Option<&str>) -> Self {
        server_running();
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .flatten()
            .map(|version| version.path().join("bin"))
            .find(|bin| bin.join("initdb").exists())
            .unwrap_or_else(|| {
                panic!("no initdb under /usr/lib/postgresql: `apt-get install postgresql`, or run .ci/run")
            });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::path::PathBuf::from(format!("/tmp/hp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut init = vec![
            "-D".to_owned(),
            dir.join("data").to_str().unwrap().to_owned(),
            "-U".to_owned(),
            "postgres".to_owned(),
        ];
        match password {
            Some(password) => {
                std::fs::write(dir.join("pw"), password).unwrap();
                init.push("--auth=scram-sha-256".to_owned());
                init.push(format!("--pwfile={}", dir.join("pw").display()));
            }
            None => init.push("--auth=trust".to_owned()),
        }
        Command::new("chown")
            .args(["-R", "postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        let server = OwnServer { dir, bin, port };
        let initdb = server.bin.join("initdb");
        let mut args = vec![initdb.to_str().unwrap()];
        args.extend(init.iter().map(String::as_str));
        as_postgres(&args);
        server.run();
        server
    }

    /// Starts the server (again): back once it accepts connections.
    pub(crate) fn run(&self) {
        as_postgres(&[
            self.bin.join("pg_ctl").to_str().unwrap(),
            "-D",
            self.dir.join("data").to_str().unwrap(),
            "-w",
            "-l",
            self.dir.join("log").to_str().unwrap(),
            "-o",
            &format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1",
                self.port,
                self.dir.display()
            ),
            "start",
        ]);
    }

    /// Stops the server at once, as a crash would: every connection ends, nothing is
    /// shut down cleanly, and the next start recovers from its write-ahead log.
    pub(crate) fn stop(&self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                self.dir.join("data").to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .output();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SCRAM_PASSWORD: &str = "upstream-secret-9f2";

#[test]
fn the_proxy_signs_in_to_a_server_that_asks_for_scram() {
    let (setup, token) = world("pg-scram");
    let server = OwnServer::start("scram", Some(SCRAM_PASSWORD));
    let upstream = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);
    // Seeded directly, with the password.
    let seeded = Command::new("psql")
        .args([
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
        ])
        .arg(server.port.to_string())
        .args(["-U", "postgres", "-d", "postgres", "-c"])
        .arg("CREATE TABLE users (id int); INSERT INTO users SELECT generate_series(1, 7)")
        .env("PGPASSWORD", SCRAM_PASSWORD)
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", stderr(&seeded));

    // The password from the environment: the agent reads through the proxy with its own
    // credential and never sees it.
    let proxy = Proxy::before(
        &setup,
        &upstream,
        &["--no-wait"],
        &[("HOLDPOINT_UPSTREAM_PASSWORD", SCRAM_PASSWORD)],
    );
    let output = proxy.psql(
        "claude",
        &token,
        "postgres",
        &["SELECT count(*) FROM users"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        stderr(&output),
        proxy.log()
    );
    assert_eq!(crate::stdout(&output), "7\n");

    // A wrong upstream password: the agent is told the database refused holdpoint.
    let wrong = format!(
        "postgres://postgres:not-the-password@127.0.0.1:{}/postgres",
        server.port
    );
    let proxy = Proxy::before(&setup, &wrong, &["--no-wait"], &[]);
    let output = proxy.psql("claude", &token, "postgres", &["SELECT 1"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("password authentication failed"),
        "{}",
        stderr(&output)
    );
    drop(proxy);

    // The password in a file of its own, as the system layout keeps it: named by
    // $HOLDPOINT_UPSTREAM_PASSWORD_FILE (systemd's LoadCredential), or by the
    // [[database]]'s password_file. Neither holdpoint.toml's text nor the proxy's
    // environment holds it.
    let file = setup.home.join("upstream.password");
    std::fs::write(&file, format!("{}\n", SCRAM_PASSWORD)).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let proxy = Proxy::before(
        &setup,
        &upstream,
        &["--no-wait"],
        &[("HOLDPOINT_UPSTREAM_PASSWORD_FILE", file.to_str().unwrap())],
    );
    let output = proxy.psql(
        "claude",
        &token,
        "postgres",
        &["SELECT count(*) FROM users"],
    );
    assert_eq!(
        crate::stdout(&output),
        "7\n",
        "{}\n{}",
        stderr(&output),
        proxy.log()
    );
    drop(proxy);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    setup.config(&format!(
        "[[database]]\nlisten = \"127.0.0.1:{port}\"\nupstream = \"{upstream}\"\npassword_file = \"upstream.password\"\nwait = \"0s\"\n"
    ));
    assert!(
        !std::fs::read_to_string(setup.home.join("holdpoint.toml"))
            .unwrap()
            .contains(SCRAM_PASSWORD)
    );
    let (process, address) = Background::start(setup.command(&["pg"]), "connect to ");
    let proxy = Proxy {
        process,
        address,
        port: port.to_string(),
    };
    let output = proxy.psql(
        "claude",
        &token,
        "postgres",
        &["SELECT count(*) FROM users"],
    );
    assert_eq!(
        crate::stdout(&output),
        "7\n",
        "{}\n{}",
        stderr(&output),
        proxy.log()
    );
}

#[test]
fn a_proxy_stopped_right_after_its_statements_has_recorded_what_each_did() {
    let (setup, token) = world("pg-stop");
    let db = Database::new("stop");
    db.seed(3);
    let mut proxy = Proxy::start(&setup, &db, &["--env", "development"]);
    let script: String = (1..=300).map(|n| format!("SELECT {n};\n")).collect();
    let output = crate::setup::pipe(proxy.psql_command("claude", &token, &db.name, &[]), &script);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Stopped at once: the outcomes still queued are written before it ends.
    assert_eq!(proxy.terminate(), Some(0), "{}", proxy.log());
    assert!(proxy.log().contains("stopping"), "{}", proxy.log());
    let records = setup.records();
    let count = |kind: &str| records.iter().filter(|r| r["kind"] == kind).count();
    assert_eq!(count("decided"), 300);
    assert_eq!(count("executed"), 300, "{}", proxy.log());
}

/// Signs alice in to the console over HTTP; the cookie to send.
fn console_cookie(address: &str) -> String {
    let body = format!(
        "name=alice&secret={}&next=%2Frecovery",
        crate::setup::SECRET.replace(' ', "+")
    );
    let reply = crate::http::request(
        address,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &body,
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let cookie = reply.header("set-cookie").unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// The console's recovery page as alice sees it, and the CSRF token of its forms.
fn recovery_page(address: &str, cookie: &str) -> (String, String) {
    let page = crate::http::request(address, "GET", "/recovery", &[("Cookie", cookie)], "");
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find(r#"name="csrf" value=""#).unwrap() + r#"name="csrf" value=""#.len();
    let csrf = page.body[at..].split('"').next().unwrap().to_owned();
    (page.body, csrf)
}

#[test]
fn a_human_restores_a_recovery_point_from_the_console_giving_their_secret_again() {
    let (setup, token) = world("pg-console-restore");
    let db = Database::new("console_restore");
    db.seed(40);
    let proxy = Proxy::start(&setup, &db, &["--no-wait"]);
    approved(&setup, &proxy, &token, &db, &["DROP TABLE users"]);
    let (id, _) = newest_recovery(&setup);
    let served = setup.serve();
    let cookie = console_cookie(&served.address);

    let (page, csrf) = recovery_page(&served.address, &cookie);
    let action = format!(r#"action="/recovery/{id}/restore""#);
    assert!(page.contains(&action), "no Restore for {id}: {page}");
    let restore = |secret: &str| {
        crate::http::request(
            &served.address,
            "POST",
            &format!("/recovery/{id}/restore"),
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &format!("csrf={csrf}&secret={}", secret.replace(' ', "+")),
        )
    };

    // The sign-in alone does not restore: without the secret, or with a wrong one,
    // nothing is put back.
    let refused = restore("");
    assert_eq!(refused.status, 403, "{}", refused.body);
    let refused = restore("not the secret");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(db.direct("SELECT to_regclass('public.users') IS NULL"), "t");

    let done = restore(crate::setup::SECRET);
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), Some("/recovery"));
    assert_eq!(
        db.direct("SELECT count(*) FROM users"),
        "40",
        "every row is back"
    );
    let (page, _) = recovery_page(&served.address, &cookie);
    assert!(!page.contains(&action), "restored twice offered: {page}");
    let records = setup.records();
    let restored = records
        .iter()
        .find(|r| r["kind"] == "recovery_restored")
        .unwrap_or_else(|| panic!("no recovery_restored record: {records:#?}"));
    assert_eq!(restored["actors"]["human"], "alice", "{restored}");

    // Once restored it is not restored again: the API says why.
    let bearer = crate::http::sign_in(&served.address, "alice", crate::setup::SECRET);
    let again = crate::http::json(
        &served.address,
        "POST",
        &format!("/api/v1/recovery/{id}/restore"),
        &bearer,
        &serde_json::json!({ "secret": crate::setup::SECRET }),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("already restored"), "{}", again.body);
}

/// A client that sends statements without ever reading the replies cannot make the
/// proxy hold them in memory without end: past a bound of replies owed, the proxy stops
/// reading that client, as the server would. Meanwhile it serves others.
#[test]
fn a_client_that_never_reads_its_replies_cannot_grow_the_proxy_without_end() {
    let (setup, token) = world("pg-unread");
    let db = Database::new("unread");
    db.seed(1);
    let proxy = Proxy::start(&setup, &db, &["--env", "development"]);
    let rss = || -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", proxy.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|kb| kb.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap()
    };
    let socket = authenticated(&proxy, &token, &db.name);
    let before = rss();
    let mut writer = socket.try_clone().unwrap();
    writer
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    // As many statements as the sockets take, until a write waits 2 s.
    let sender = std::thread::spawn(move || {
        let mut batch = bytes::BytesMut::new();
        for _ in 0..1000 {
            holdpoint_pgwire::query_message("SELECT 1").encode(&mut batch);
        }
        let mut sent = 0u64;
        while sent < 3_000_000 && writer.write_all(&batch).is_ok() {
            sent += 1000;
        }
        sent
    });
    let sent = sender.join().unwrap();
    let grown = rss().saturating_sub(before);
    assert!(
        sent < 3_000_000,
        "the proxy read {sent} statements nobody read the replies of"
    );
    assert!(
        grown < 100 * 1024,
        "the proxy grew by {grown} kB for {sent} statements sent without reading"
    );
    let output = proxy.psql("claude", &token, &db.name, &["SELECT 41 + 1"]);
    assert_eq!(crate::stdout(&output), "42\n", "{}", stderr(&output));
    drop(socket);

    // A pipeline owed more replies than the bound before its `Sync` still completes:
    // the server sends what it holds as its buffer fills, and that makes room.
    use by_hand::{bind, execute, parse, sync};
    let mut socket = authenticated(&proxy, &token, &db.name);
    let mut frames = Vec::new();
    for _ in 0..5000 {
        frames.extend([parse("", "SELECT 1"), bind("", ""), execute("")]);
    }
    frames.push(sync());
    let replies = exchange(&mut socket, &frames);
    let ran = replies.iter().filter(|r| *r == "C SELECT 1").count();
    assert_eq!(
        ran,
        5000,
        "{:?}",
        &replies[replies.len().saturating_sub(5)..]
    );
}
