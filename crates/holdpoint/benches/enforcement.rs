//! Enforcement figures on this machine, printed as a table: the Claude Code hook as a
//! whole process (with its durable ledger append), deciding itself and through `holdpoint
//! serve`, against `true`; ledger appends per second with one and four writers; and
//! `log verify` over a million records.
//!
//! Run with `cargo bench -p holdpoint --bench enforcement`. Set `HOLDPOINT_BENCH_QUICK=1`
//! for a short run (fewer iterations, 100,000 records).

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark stops at the first failure, and says where"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use holdpoint_ledger::{Actors, Entry, Kind, SigningKey};
use holdpoint_store::{SqlStore, Store as _};
use serde_json::json;

const HOLDPOINT: &str = env!("CARGO_BIN_EXE_holdpoint");

fn main() {
    let quick = std::env::var_os("HOLDPOINT_BENCH_QUICK").is_some();
    let dir = std::env::temp_dir().join(format!("holdpoint-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work")).expect("create the bench directory");
    let home = dir.join("home");
    run(Command::new(HOLDPOINT)
        .arg("init")
        .env("HOLDPOINT_HOME", &home));

    let served = Served::start(&dir);
    hook_process(&dir, &home, &served, if quick { 60 } else { 300 });
    drop(served);
    appends(&home, if quick { 300 } else { 2_000 });
    verify(&dir, if quick { 100_000 } else { 1_000_000 });

    let _ = std::fs::remove_dir_all(&dir);
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a command");
    assert!(output.status.success(), "{output:?}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn row(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let median = percentile(&samples, 0.5);
    println!(
        "  {name:<44} median {:>8.2?}  p99 {:>8.2?}  ({} runs)",
        median,
        percentile(&samples, 0.99),
        samples.len()
    );
    median
}

/// One process with `input` on standard input, timed from spawn to exit.
fn time_process(program: &str, args: &[&str], home: &Path, work: &Path, input: &[u8]) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(work)
        .env("HOLDPOINT_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let _ = child.stdin.take().expect("stdin").write_all(input);
    let status = child.wait().expect("wait");
    let elapsed = started.elapsed();
    assert!(status.success() || program == "true");
    elapsed
}

/// A second home whose hooks ask a running `holdpoint serve` over its Unix socket.
struct Served {
    home: PathBuf,
    server: std::process::Child,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let home = dir.join("served-home");
        run(Command::new(HOLDPOINT)
            .arg("init")
            .env("HOLDPOINT_HOME", &home));
        // The agent's credential, made the way `holdpoint agent add` makes one.
        let token = "hpa.bench.0123456789abcdef0123456789abcdef";
        let hash = {
            use argon2::password_hash::{PasswordHasher as _, SaltString};
            let salt = SaltString::encode_b64(b"bench-salt-bytes").expect("a salt");
            argon2::Argon2::default()
                .hash_password(token.as_bytes(), &salt)
                .expect("a hash")
                .to_string()
        };
        SqlStore::open(&home.join("store.db"), key(&home))
            .expect("open the store")
            .add_agent(
                holdpoint_store::AgentIdentity {
                    name: "bench".into(),
                    token_hash: hash,
                    created_ms: 0,
                },
                "bench",
                None,
            )
            .expect("add the agent");
        std::fs::write(home.join("agent.token"), token).expect("write the token");
        std::fs::write(
            home.join("holdpoint.toml"),
            "[server]\nurl = \"unix\"\ntoken_file = \"agent.token\"\n",
        )
        .expect("write the configuration");
        let server = Command::new(HOLDPOINT)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("HOLDPOINT_HOME", &home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start holdpoint serve");
        let started = Instant::now();
        while !home.join("serve.sock").exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "serve did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Served { home, server }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn hook_process(dir: &Path, home: &Path, served: &Served, runs: usize) {
    let work = dir.join("work");
    let input = json!({
        "session_id": "bench", "transcript_path": "/tmp/t.jsonl",
        "cwd": work.to_str().expect("utf-8 path"), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "git status && cargo test --workspace 2>&1 | tail -n 20", "description": "", "timeout": 120000},
        "tool_use_id": "toolu_1"
    })
    .to_string();
    let true_path = which("true");
    // Warm the page cache and the store, then alternate the two so that a busier moment
    // of this shared machine hits both alike.
    let hook = ["hook", "claude-code"];
    for _ in 0..10 {
        time_process(HOLDPOINT, &hook, home, &work, input.as_bytes());
        time_process(HOLDPOINT, &hook, &served.home, &work, input.as_bytes());
    }
    let (mut local, mut remote, mut baseline) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        local.push(time_process(
            HOLDPOINT,
            &hook,
            home,
            &work,
            input.as_bytes(),
        ));
        remote.push(time_process(
            HOLDPOINT,
            &hook,
            &served.home,
            &work,
            input.as_bytes(),
        ));
        baseline.push(time_process(&true_path, &[], home, &work, input.as_bytes()));
    }
    println!("hook process (spawn to exit, same input on stdin):");
    let h = row(
        "holdpoint hook claude-code (decide + durable append)",
        local,
    );
    let r = row("the same, through holdpoint serve (Unix socket)", remote);
    let t = row("true", baseline);
    for (name, median) in [("deciding itself", h), ("through serve", r)] {
        println!(
            "  holdpoint's own share, {name}: {:.2?} median ({:.1}x the cost of starting `true`)",
            median.saturating_sub(t),
            median.as_secs_f64() / t.as_secs_f64()
        );
    }
}

fn which(name: &str) -> String {
    ["/usr/bin/", "/bin/"]
        .iter()
        .map(|d| format!("{d}{name}"))
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| name.to_owned())
}

fn key(home: &Path) -> SigningKey {
    let text = std::fs::read_to_string(home.join("keys/ledger.key")).expect("read the key");
    SigningKey::from_text(&text).expect("a key")
}

fn entry(i: usize) -> Entry {
    Entry::new(
        Kind::Proposed,
        Actors {
            agent: Some("claude-code".into()),
            session: Some("bench".into()),
            ..Actors::default()
        },
        json!({"surface": "shell", "input": format!("ls /srv/{i}"), "cwd": "/srv", "target": "shell:local@production", "environment": "production"}),
    )
    .digest(format!("sha256:{i:064x}"))
}

fn appends(home: &Path, total: usize) {
    println!("ledger appends, one record per durable transaction (fsync on commit):");
    let store_path = home.join("store.db");
    let store = SqlStore::open(&store_path, key(home)).expect("open the store");
    let started = Instant::now();
    for i in 0..total {
        store.append(&[entry(i)], 0).expect("append");
    }
    let single = total as f64 / started.elapsed().as_secs_f64();
    println!("  1 writer:  {single:>8.0} appends/s ({total} appends)");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..4 {
            let store_path = store_path.clone();
            scope.spawn(move || {
                // Each writer has its own connection, as separate hook processes do.
                let store = SqlStore::open(&store_path, key(home)).expect("open the store");
                for i in 0..total / 4 {
                    store.append(&[entry(w * total + i)], 0).expect("append");
                }
            });
        }
    });
    let four = (total / 4 * 4) as f64 / started.elapsed().as_secs_f64();
    println!(
        "  4 writers: {four:>8.0} appends/s in total ({:.2}x one writer)",
        four / single
    );
}

fn verify(dir: &Path, records: usize) {
    let home: PathBuf = dir.join("verify-home");
    run(Command::new(HOLDPOINT)
        .arg("init")
        .env("HOLDPOINT_HOME", &home));
    let store = SqlStore::open(&home.join("store.db"), key(&home)).expect("open the store");
    let started = Instant::now();
    let batch = 10_000;
    for start in (0..records).step_by(batch) {
        let entries: Vec<Entry> = (start..(start + batch).min(records)).map(entry).collect();
        store.append(&entries, 0).expect("append");
    }
    println!(
        "log verify ({records} records, {} signed checkpoints; built in {:.1?}):",
        records as u64 / holdpoint_store::CHECKPOINT_EVERY,
        started.elapsed()
    );
    drop(store);
    let mut samples = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        run(Command::new(HOLDPOINT)
            .args(["log", "verify"])
            .env("HOLDPOINT_HOME", &home));
        samples.push(started.elapsed());
    }
    row("holdpoint log verify (whole process)", samples);
}
