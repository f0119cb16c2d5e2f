//! Fuzz target for the differential check of `holdpoint pg`: libFuzzer's bytes are a
//! statement (the first byte picks the simple or the extended protocol); whatever
//! holdpoint's analysis reads as `read` is sent through a real proxy (production, no
//! waiting: only reads are forwarded) to a real database, which must not change.
//!
//! Coverage comes from the analyser, which runs in this process; the proxy and the server
//! are the ground truth. Statements the analysis does not read as `read` are refused by
//! the proxy without reaching the server, so only one in 16 of them is sent (to check
//! that, and the proxy's memo of statement shapes). Mutations are libFuzzer's and the
//! test's own (`pg_differential/kit.rs`: quotes, escapes, dollar quotes, comments,
//! multibyte characters, bytes that are not UTF-8).
//!
//! Needs PostgreSQL at 127.0.0.1:5432 (trust authentication for `postgres`), `script`
//! (util-linux) and a built `holdpoint` (`$HOLDPOINT_BIN`, else `target/debug/holdpoint`
//! under `$CARGO_TARGET_DIR` or the repository). In `crates/holdpoint`:
//!
//! ```text
//! cargo build -p holdpoint
//! RUSTC_BOOTSTRAP=1 cargo fuzz run differential fuzz/corpus/differential fuzz/seeds/differential \
//!     -- -dict=fuzz/differential.dict -max_len=600 -max_total_time=600
//! ```
//!
//! A statement after which the database changed stops the run: the message says what
//! changed, and libFuzzer keeps the input under `fuzz/artifacts/differential/`.

#![no_main]

#[path = "../../tests/it/pg_differential/kit.rs"]
#[expect(
    dead_code,
    reason = "the test uses parts of the kit this target does not"
)]
mod kit;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use holdpoint_core::{Risk, sql};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

use kit::{Checker, Generator, Names, Protocol};

type Connect = Box<dyn FnMut() -> TcpStream + Send>;

/// What one fuzzing process sets up once: a holdpoint home with an agent, a database, a
/// proxy before it, and the checker.
struct World {
    checker: Mutex<Checker<Connect>>,
    names: Names,
    /// The shell that keeps the proxy running while this process lives.
    _proxy: Child,
}

static WORLD: OnceLock<World> = OnceLock::new();
static INPUTS: AtomicU64 = AtomicU64::new(0);
static SENT: AtomicU64 = AtomicU64::new(0);

fn world() -> &'static World {
    WORLD.get_or_init(|| set_up().unwrap_or_else(|e| panic!("setting up: {e}")))
}

fn holdpoint_binary() -> Result<PathBuf, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("HOLDPOINT_BIN").map(PathBuf::from),
        std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("debug/holdpoint")),
        Some(manifest.join("../../../target/debug/holdpoint")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|path| path.is_file())
        .ok_or_else(|| {
            "no holdpoint binary: `cargo build -p holdpoint`, or set HOLDPOINT_BIN".to_owned()
        })
}

/// Runs `holdpoint ARGS` at a pseudo-terminal (`script`), typing each answer once its
/// prompt shows, as a human would.
fn at_terminal(home: &Path, args: &str, answers: &[(&str, &str)]) -> Result<(), String> {
    let binary = holdpoint_binary()?;
    let mut child = Command::new("script")
        .args([
            "-qefc",
            &format!("{} {args}", binary.display()),
            "/dev/null",
        ])
        .env("HOLDPOINT_HOME", home)
        .env("HOME", home.join("user"))
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("`script` (util-linux): {e}"))?;
    let mut out = child.stdout.take().ok_or("no output")?;
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1024];
        while let Ok(n) = out.read(&mut buffer) {
            if n == 0 {
                break;
            }
            if let Ok(mut seen) = sink.lock() {
                seen.push_str(&String::from_utf8_lossy(
                    buffer.get(..n).unwrap_or_default(),
                ));
            }
        }
    });
    for (prompt, line) in answers {
        let started = Instant::now();
        loop {
            let shown = seen.lock().map_err(|e| e.to_string())?.clone();
            if let Some(at) = shown.find(prompt) {
                if let Ok(mut seen) = seen.lock() {
                    *seen = shown
                        .get(at + prompt.len()..)
                        .unwrap_or_default()
                        .to_owned();
                }
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                return Err(format!(
                    "`holdpoint {args}` never asked `{prompt}`: {shown}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(50));
        let stdin = child.stdin.as_mut().ok_or("no input")?;
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`holdpoint {args}` failed: {}",
            seen.lock().map_err(|e| e.to_string())?
        ))
    }
}

/// Removes what earlier fuzzing processes left (libFuzzer ends a process without running
/// destructors): their databases and roles on the server, their holdpoint homes.
fn clear_leftovers() {
    let gone = |pid: &str| !Path::new("/proc").join(pid).exists();
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("holdpoint-fuzz-home-")
                && gone(pid)
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let Ok(mut admin) = kit::Direct::connect(kit::SERVER, "postgres") else {
        return;
    };
    let Ok(rows) = admin.query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'hp\\_fuzz\\_%' UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'hp\\_fuzz\\_%'",
    ) else {
        return;
    };
    for name in rows.into_iter().flatten().flatten() {
        let pid = name.rsplit('_').next().unwrap_or_default().to_owned();
        if gone(&pid) {
            kit::clean_up(&Names {
                database: name.clone(),
                role: name,
                marker: std::env::temp_dir()
                    .join(format!("holdpoint-fuzz-{pid}"))
                    .display()
                    .to_string(),
            });
        }
    }
}

fn set_up() -> Result<World, String> {
    let pid = std::process::id();
    clear_leftovers();
    let home = std::env::temp_dir().join(format!("holdpoint-fuzz-home-{pid}"));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join("user")).map_err(|e| e.to_string())?;
    at_terminal(&home, "init", &[])?;
    let secret = "correct horse battery";
    at_terminal(
        &home,
        "human add fuzzer",
        &[("new secret", secret), ("repeat the secret", secret)],
    )?;
    let token_file = home.join("agent.token");
    at_terminal(
        &home,
        &format!("agent add fuzz --write {}", token_file.display()),
        &[("secret for", secret)],
    )?;
    let token = std::fs::read_to_string(&token_file)
        .map_err(|e| e.to_string())?
        .trim()
        .to_owned();

    let names = Names {
        database: format!("hp_fuzz_{pid}"),
        role: format!("hp_fuzz_{pid}"),
        marker: std::env::temp_dir()
            .join(format!("holdpoint-fuzz-{pid}"))
            .display()
            .to_string(),
    };
    kit::make_database(&names)?;

    // The proxy runs under a shell that stops it when this process ends, however it
    // ends (a finding aborts it): the shell waits on its standard input, which closes.
    let binary = holdpoint_binary()?;
    let mut proxy = Command::new("sh")
        .args([
            "-c",
            "\"$@\" & child=$!; read _; kill $child",
            "sh",
            &binary.display().to_string(),
            "pg",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &format!("postgres://postgres@{}/{}", kit::SERVER, names.database),
            "--env",
            "production",
            "--no-wait",
        ])
        .env("HOLDPOINT_HOME", &home)
        .env("HOME", home.join("user"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut err = proxy.stderr.take().ok_or("no proxy output")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buffer = [0u8; 4096];
        let mut sent = false;
        while let Ok(n) = err.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(
                buffer.get(..n).unwrap_or_default(),
            ));
            if !sent
                && let Some(at) = seen.find("connect to ")
                && let Some(address) = seen.get(at + 11..).and_then(|r| r.split(' ').next())
                && seen
                    .get(at + 11 + address.len()..)
                    .is_some_and(|r| r.starts_with(' '))
            {
                let _ = tx.send(address.to_owned());
                sent = true;
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the proxy did not start".to_owned())?;

    let database = names.database.clone();
    let connect: Connect = Box::new(move || {
        agent_connection(&address, &token, &database)
            .unwrap_or_else(|e| panic!("connecting through the proxy: {e}"))
    });
    let checker = Checker::new(names.clone(), connect)?;
    Ok(World {
        checker: Mutex::new(checker),
        names,
        _proxy: proxy,
    })
}

/// An agent's connection through the proxy, past start-up.
fn agent_connection(address: &str, token: &str, database: &str) -> Result<TcpStream, String> {
    let mut socket = TcpStream::connect(address).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    socket
        .write_all(&holdpoint_pgwire::startup_message(&[
            ("user", "fuzz"),
            ("database", database),
        ]))
        .map_err(|e| e.to_string())?;
    let mut request = [0u8; 9];
    socket.read_exact(&mut request).map_err(|e| e.to_string())?;
    let mut out = BytesMut::new();
    holdpoint_pgwire::password_message(token).encode(&mut out);
    socket.write_all(&out).map_err(|e| e.to_string())?;
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(&[b'Z', 0, 0, 0, 5, b'I']) {
        socket.read_exact(&mut byte).map_err(|e| e.to_string())?;
        seen.extend_from_slice(&byte);
        if seen.first() == Some(&b'E') && seen.len() > 200 {
            return Err(String::from_utf8_lossy(&seen).into_owned());
        }
    }
    Ok(socket)
}

/// Whether holdpoint's analysis reads `statement` as `read` (what the proxy could forward).
fn analysed_as_read(statement: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(statement) else {
        return false;
    };
    if text.contains('\0') {
        return false;
    }
    let analysis = sql::analyse(text, sql::Dialect::Postgres);
    analysis.risk() == Risk::Read && !analysis.opaque()
}

fuzz_target!(init: {
    let world = world();
    eprintln!(
        "differential: a proxy in production before database {}, role {}",
        world.names.database, world.names.role
    );
}, |data: &[u8]| {
    let Some((&first, statement)) = data.split_first() else {
        return;
    };
    let protocol = if first & 1 == 0 {
        Protocol::Simple
    } else {
        Protocol::Extended
    };
    let inputs = INPUTS.fetch_add(1, Ordering::Relaxed);
    if !analysed_as_read(statement) && !inputs.is_multiple_of(16) {
        return;
    }
    let sent = SENT.fetch_add(1, Ordering::Relaxed) + 1;
    let Some(world) = WORLD.get() else {
        return;
    };
    let Ok(mut checker) = world.checker.lock() else {
        return;
    };
    let mut finding = checker
        .check(statement, protocol)
        .unwrap_or_else(|e| panic!("{e}, after {}", kit::shown(statement)));
    // A refused statement is compared with others later; here each input is compared on
    // its own, so that the input libFuzzer keeps is the one.
    if finding.is_none() {
        finding = checker.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    if let Some(finding) = finding {
        panic!("the database changed:\n{finding}");
    }
    if sent.is_multiple_of(1000) {
        eprintln!(
            "differential: {inputs} inputs, {sent} sent through the proxy, {} forwarded",
            checker.forwarded
        );
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    // Half libFuzzer's own mutations, half the test's: pieces that split text
    // differently, spans cut or repeated, other whitespace, statements joined on.
    if seed.is_multiple_of(2) {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let names = match WORLD.get() {
        Some(world) => world.names.clone(),
        None => return libfuzzer_sys::fuzzer_mutate(data, size, max_size),
    };
    let mut generator = Generator::new(u64::from(seed) << 1 | 1, names);
    let mut bytes = data.get(..size).unwrap_or_default().to_vec();
    if bytes.len() < 2 || seed % 7 == 1 {
        let protocol = bytes.first().copied().unwrap_or(0);
        bytes = vec![protocol];
        bytes.extend(generator.instance());
    }
    let mut statement = bytes.split_off(1);
    for _ in 0..=seed % 3 {
        generator.mutate(&mut statement);
    }
    bytes.extend(statement);
    bytes.truncate(max_size);
    if let Some(target) = data.get_mut(..bytes.len()) {
        target.copy_from_slice(&bytes);
    }
    bytes.len()
});
