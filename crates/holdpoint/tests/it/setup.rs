//! A set-up holdpoint for one test: its own `$HOLDPOINT_HOME`, a home directory for the
//! agents' settings, a workspace, and a terminal for the human.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Scratch, stdout};

pub const SECRET: &str = "correct horse battery";

#[derive(Debug)]
pub struct Setup {
    pub scratch: Scratch,
    /// `$HOLDPOINT_HOME`.
    pub home: PathBuf,
    /// `$HOME` of the user the agent and the human run as.
    pub user_home: PathBuf,
    /// The agent's workspace.
    pub work: PathBuf,
    /// The PostgreSQL database the store is kept in, under `HOLDPOINT_TEST_STORE=postgres`.
    pub store: Option<crate::pg::Database>,
}

/// Another writer holding the store ([`Setup::hold_writes`]).
pub enum WritesHeld {
    Sqlite(rusqlite::Connection),
    Postgres(Child, std::process::ChildStdin),
}

impl Drop for WritesHeld {
    fn drop(&mut self) {
        match self {
            WritesHeld::Sqlite(store) => {
                let _ = store.execute_batch("ROLLBACK");
            }
            WritesHeld::Postgres(psql, stdin) => {
                let _ = stdin.write_all(b"ROLLBACK;\n");
                let _ = psql.kill();
                let _ = psql.wait();
            }
        }
    }
}

/// How many set-ups this test process has made, so that each has a database of its own.
static SET_UPS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Under `HOLDPOINT_TEST_STORE=postgres`, a database of its own for one set-up's store,
/// so that the whole suite runs against the PostgreSQL store as it does against SQLite
/// (the default, `HOLDPOINT_TEST_STORE=sqlite`).
fn store_database() -> Option<crate::pg::Database> {
    match std::env::var("HOLDPOINT_TEST_STORE").as_deref() {
        Err(_) | Ok("" | "sqlite") => None,
        Ok("postgres") => {
            let n = SET_UPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Some(crate::pg::Database::new(&format!("store{n}")))
        }
        Ok(other) => panic!("HOLDPOINT_TEST_STORE={other}: write `sqlite` or `postgres`"),
    }
}

impl Setup {
    /// A fresh home, set up with `holdpoint init`.
    pub fn new(name: &str) -> Self {
        Self::with_store(name, store_database())
    }

    /// A fresh home whose store is a PostgreSQL database of its own, whatever
    /// `HOLDPOINT_TEST_STORE` says: a team's.
    pub fn on_postgres(name: &str) -> Self {
        let n = SET_UPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::with_store(name, Some(crate::pg::Database::new(&format!("store{n}"))))
    }

    fn with_store(name: &str, store: Option<crate::pg::Database>) -> Self {
        let mut setup = Self::bare(name);
        let init = setup.run(&["init"], "");
        assert_eq!(init.status.code(), Some(0), "{}", crate::stderr(&init));
        // With a PostgreSQL store, the configuration `init` wrote names it, and the
        // SQLite file is gone.
        setup.store = store;
        if setup.store.is_some() {
            let config = std::fs::read_to_string(setup.home.join("holdpoint.toml")).unwrap();
            setup.config(&config);
            for file in ["store.db", "store.db-wal", "store.db-shm"] {
                let _ = std::fs::remove_file(setup.home.join(file));
            }
            let init = setup.run(&["init"], "");
            assert_eq!(init.status.code(), Some(0), "{}", crate::stderr(&init));
        }
        setup
    }

    /// A fresh home directory with nothing of holdpoint's in it yet: `$HOLDPOINT_HOME`
    /// is `~/.holdpoint`, the default, and does not exist.
    pub fn bare(name: &str) -> Self {
        let scratch = Scratch::new(name);
        let user_home = scratch.0.join("home");
        let work = user_home.join("project");
        std::fs::create_dir_all(&work).unwrap();
        Setup {
            home: user_home.join(".holdpoint"),
            user_home,
            work,
            scratch,
            store: None,
        }
    }

    /// Replaces `holdpoint.toml` (keeping the store where it is).
    pub fn config(&self, text: &str) {
        let text = match &self.store {
            Some(_) if text.contains("\n[store]\n") => text.to_owned(),
            Some(_) => format!(
                "{text}\n[store]\nurl = \"{}\"\n",
                self.store_url().unwrap_or_default()
            ),
            None => text.to_owned(),
        };
        std::fs::write(self.home.join("holdpoint.toml"), text).unwrap();
    }

    /// The address of the PostgreSQL store, under `HOLDPOINT_TEST_STORE=postgres`.
    pub fn store_url(&self) -> Option<String> {
        self.store.as_ref().map(|database| {
            format!(
                "postgres://postgres@{}:5432/{}",
                crate::pg::SERVER,
                database.name
            )
        })
    }

    /// Whether the store is the SQLite file `store.db`: what a test that reaches into
    /// the file itself needs.
    pub fn sqlite(&self) -> bool {
        self.store.is_none()
    }

    /// Holds the store's write lock, as another writer would, until the value drops.
    pub fn hold_writes(&self) -> WritesHeld {
        match &self.store {
            None => {
                let store = rusqlite::Connection::open(self.home.join("store.db")).unwrap();
                store.execute_batch("BEGIN IMMEDIATE").unwrap();
                WritesHeld::Sqlite(store)
            }
            Some(database) => {
                let mut psql = Command::new("psql")
                    .args(["-X", "-At", "-h", crate::pg::SERVER, "-U", "postgres", "-d"])
                    .arg(&database.name)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let mut stdin = psql.stdin.take().unwrap();
                stdin
                    .write_all(b"BEGIN;\nSELECT one FROM holdpoint.writer FOR UPDATE;\n")
                    .unwrap();
                // The row comes back once the lock is taken.
                let mut stdout = std::io::BufReader::new(psql.stdout.take().unwrap());
                let mut line = String::new();
                while line.trim() != "t" {
                    line.clear();
                    assert!(
                        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0,
                        "psql never took the writer row"
                    );
                }
                WritesHeld::Postgres(psql, stdin)
            }
        }
    }

    /// The set-up's store, opened with the home's signing key as a server opens it.
    pub fn open_store(&self) -> holdpoint_store::SqlStore {
        let key = std::fs::read_to_string(self.home.join("keys/ledger.key")).unwrap();
        let key = holdpoint_ledger::SigningKey::from_text(&key).unwrap();
        match self.store_url() {
            Some(url) => holdpoint_store::SqlStore::connect(&url, None, Some(key)),
            None => holdpoint_store::SqlStore::open(&self.home.join("store.db"), key),
        }
        .unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_holdpoint"));
        command.args(args);
        self.environment(&mut command);
        command
    }

    /// The environment every holdpoint process of the test runs in.
    pub fn environment(&self, command: &mut Command) {
        command
            .current_dir(&self.work)
            .env("HOLDPOINT_HOME", &self.home)
            .env("HOME", &self.user_home)
            .env("USER", "tester")
            .env_remove("HOLDPOINT_ENV")
            .env_remove("HOLDPOINT_POLICIES");
    }

    /// Runs holdpoint with piped standard input, as an agent's tool call would.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        pipe(self.command(args), stdin)
    }

    /// Runs `holdpoint hook AGENT` with a JSON input; returns the output and the answer.
    pub fn hook(&self, agent: &str, input: &Value) -> (Output, Option<Value>) {
        let output = self.run(&["hook", agent], &input.to_string());
        let text = stdout(&output);
        let answer = (!text.trim().is_empty()).then(|| serde_json::from_str(&text).unwrap());
        (output, answer)
    }

    /// Runs holdpoint at a pseudo-terminal, where a human can type.
    pub fn terminal(&self, args: &[&str]) -> Terminal {
        let line = std::iter::once(env!("CARGO_BIN_EXE_holdpoint"))
            .chain(args.iter().copied())
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = Command::new("script");
        command.args(["-qefc", &line, "/dev/null"]);
        self.environment(&mut command);
        Terminal::start(command)
    }

    /// Adds a human, typing the secret at a terminal.
    pub fn add_human(&self, name: &str, by: Option<&str>) {
        let mut args = vec!["human", "add", name];
        if let Some(by) = by {
            args.extend(["--as", by]);
        }
        let mut t = self.terminal(&args);
        if by.is_some() {
            t.answer("secret for", SECRET);
        }
        t.answer("new secret", SECRET);
        t.answer("repeat the secret", SECRET);
        let (code, text) = t.finish();
        assert_eq!(code, Some(0), "{text}");
    }

    /// Issues an agent a credential (as the only admin, typing the secret); returns the
    /// token.
    pub fn add_agent(&self, name: &str) -> String {
        let file = self.scratch.0.join(format!("{name}.token"));
        let mut t = self.terminal(&["agent", "add", name, "--write", file.to_str().unwrap()]);
        t.answer("secret for", SECRET);
        let (code, text) = t.finish();
        assert_eq!(code, Some(0), "{text}");
        std::fs::read_to_string(file).unwrap().trim().to_owned()
    }

    /// Starts `holdpoint serve` on a free loopback port; it stops when the value drops.
    pub fn serve(&self) -> Served {
        let (process, address) = Background::start(
            self.command(&["serve", "--listen", "127.0.0.1:0"]),
            "at http://",
        );
        Served {
            process,
            address,
            socket: self.home.join("serve.sock"),
        }
    }

    /// Points hooks and `exec` at the server's socket with an agent's credential.
    pub fn use_server(&self, token: &str) {
        let file = self.home.join("agent.token");
        std::fs::write(&file, format!("{token}\n")).unwrap();
        self.config(&format!(
            "[server]\nurl = \"unix\"\ntoken_file = \"{}\"\n",
            file.display()
        ));
    }

    /// What request `id` asks its approvers to type, if anything.
    pub fn confirm_of(&self, id: &str) -> Option<String> {
        let shown = self.run(&["approvals", "show", id, "--format", "json"], "");
        assert_eq!(shown.status.code(), Some(0), "{}", crate::stderr(&shown));
        let request: Value = serde_json::from_str(&stdout(&shown)).unwrap();
        request["confirm_target"].as_str().map(str::to_owned)
    }

    /// Issues a grant to `agent` for `task` on `target` up to `max_risk` for two hours,
    /// typing the secret at the terminal; what the command printed.
    pub fn grant(&self, agent: &str, task: &str, target: &str, max_risk: &str) -> String {
        let mut t = self.terminal(&[
            "grant",
            "create",
            "--agent",
            agent,
            "--task",
            task,
            "--target",
            target,
            "--max-risk",
            max_risk,
            "--ttl",
            "2h",
        ]);
        t.answer("secret for", SECRET);
        let (code, text) = t.finish();
        assert_eq!(code, Some(0), "{text}");
        text
    }

    /// Approves a request as `human`, typing the secret (and the target, when asked).
    pub fn approve(&self, id: &str, human: &str, confirm: Option<&str>) -> (Option<i32>, String) {
        let mut t = self.terminal(&["approvals", "approve", id, "--as", human]);
        t.answer("secret for", SECRET);
        if let Some(target) = confirm {
            t.answer("to confirm", target);
        }
        t.finish()
    }

    /// The ledger's records, as JSON, a `ran` record read as the `proposed`, `decided`
    /// and `executed` records it stands for (as holdpoint's own readers read it, each
    /// part under the record's number); [`Setup::stored_records`] gives them as stored.
    pub fn records(&self) -> Vec<Value> {
        self.stored_records().into_iter().flat_map(parts).collect()
    }

    /// The ledger's records as stored, as JSON.
    pub fn stored_records(&self) -> Vec<Value> {
        let output = self.run(&["log", "export"], "");
        assert_eq!(output.status.code(), Some(0));
        stdout(&output)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn path(&self, relative: &str) -> String {
        self.user_home.join(relative).to_str().unwrap().to_owned()
    }

    pub fn work(&self) -> &Path {
        &self.work
    }
}

/// A long-running holdpoint process (a server, a proxy), stopped when dropped, whose
/// standard error is kept.
#[derive(Debug)]
pub struct Background {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Background {
    /// Starts `command` and waits until its standard error shows `marker` followed by
    /// an address; returns the process and that address.
    pub fn start(mut command: Command, marker: &'static str) -> (Self, String) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            let mut sent = false;
            while let Ok(n) = err.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let mut seen = sink.lock().unwrap();
                seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
                if !sent && let Some(at) = seen.find(marker) {
                    let rest = &seen[at + marker.len()..];
                    if let Some(end) = rest.find(' ') {
                        tx.send(rest[..end].to_owned()).unwrap();
                        sent = true;
                    }
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("holdpoint did not start: {}", log.lock().unwrap()));
        (Background { child, log }, address)
    }

    /// What the process wrote to standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process as a service manager would (SIGTERM) and waits up to 20 s for
    /// it to end; its exit status.
    pub fn terminate(&mut self) -> Option<i32> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still running 20 s after SIGTERM: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `holdpoint serve`.
#[derive(Debug)]
pub struct Served {
    process: Background,
    /// `host:port` of the console and API.
    pub address: String,
    pub socket: PathBuf,
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// What the server wrote to standard error so far.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// Runs `command` with `stdin` on a pipe and waits for it.
pub fn pipe(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Quotes a word for `sh`.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// holdpoint running at a terminal.
pub struct Terminal {
    child: Child,
    seen: Arc<Mutex<String>>,
    /// The thread copying what the terminal shows into `seen`; it ends when the terminal
    /// closes, and says so on `reader_done`.
    reader: std::thread::JoinHandle<()>,
    reader_done: std::sync::mpsc::Receiver<()>,
}

impl Terminal {
    /// Starts `command`, a `script -qefc LINE /dev/null` that gives the program in LINE a
    /// pseudo-terminal, and keeps what the terminal shows.
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .env("TERM", "dumb")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `script` to give holdpoint a terminal ({e}): `apt-get install bsdutils`, or run .ci/run"
                )
            });
        let seen = Arc::new(Mutex::new(String::new()));
        let mut out = child.stdout.take().unwrap();
        let sink = Arc::clone(&seen);
        let (done, reader_done) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = out.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
            let _ = done.send(());
        });
        Terminal {
            child,
            seen,
            reader,
            reader_done,
        }
    }

    /// Waits until the terminal shows `prompt`, then types `line`; what the terminal
    /// showed up to the prompt.
    pub fn answer(&mut self, prompt: &str, line: &str) -> String {
        let started = Instant::now();
        let shown = loop {
            {
                let mut seen = self.seen.lock().unwrap();
                if let Some(at) = seen.find(prompt) {
                    // Consume what was seen, so the next prompt is waited for afresh.
                    let rest = seen.split_off(at + prompt.len());
                    break std::mem::replace(&mut *seen, rest);
                }
            }
            if started.elapsed() > Duration::from_secs(30) {
                let seen = self.seen.lock().unwrap().clone();
                let _ = self.child.kill();
                panic!("the terminal never showed `{prompt}`; it showed:\n{seen}");
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let seen = self.seen.lock().unwrap().clone();
                panic!("holdpoint ended ({status}) before showing `{prompt}`:\n{seen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Let the prompt set the terminal up (no echo) before typing.
        std::thread::sleep(Duration::from_millis(50));
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
        shown
    }

    /// Waits for holdpoint to end; its exit status and everything the terminal showed.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let seen = self.seen.lock().unwrap().clone();
                panic!("holdpoint did not end at the terminal; it showed:\n{seen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Everything holdpoint wrote is in `seen` once the reader has read to the end;
        // a terminal that stays open after holdpoint ended fails here, not hangs.
        let waited = self.reader_done.recv_timeout(Duration::from_secs(10));
        if waited == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            let seen = self.seen.lock().unwrap().clone();
            panic!(
                "the terminal stayed open 10 s after holdpoint ended ({status}); it showed:\n{seen}"
            );
        }
        self.reader.join().unwrap();
        let seen = self.seen.lock().unwrap().clone();
        (status.code(), seen)
    }
}

/// A record as the records it stands for: a `ran` record's three parts, each with the
/// record's other fields; any other record as it is.
pub fn parts(record: Value) -> Vec<Value> {
    if record["kind"] != "ran" {
        return vec![record];
    }
    ["proposed", "decided", "executed"]
        .into_iter()
        .map(|kind| {
            let mut part = record.clone();
            part["kind"] = Value::from(kind);
            part["body"] = record["body"][kind].clone();
            part
        })
        .collect()
}
