//! What the store's tests share: a PostgreSQL database of its own per test, on the
//! machine's server (started when it is installed but stopped), and the signing key.

use std::process::Command;
use std::time::{Duration, Instant};

use holdpoint_ledger::SigningKey;

pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// Starts the machine's PostgreSQL server when it is installed but not running.
pub fn server_running() {
    let ready = || {
        Command::new("pg_isready")
            .args(["-q", "-h", "127.0.0.1"])
            .status()
            .is_ok_and(|s| s.success())
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
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A database of its own for one test, dropped when the value is.
pub struct Database {
    name: String,
}

impl Database {
    pub fn new(test: &str) -> Self {
        server_running();
        let name = format!("hp_store_{test}_{}", std::process::id());
        let mut admin =
            postgres::Client::connect(&format!("{SERVER}/postgres"), postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        Database { name }
    }

    pub fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) =
            postgres::Client::connect(&format!("{SERVER}/postgres"), postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

pub fn key() -> SigningKey {
    SigningKey::from_seed([7; 32])
}
