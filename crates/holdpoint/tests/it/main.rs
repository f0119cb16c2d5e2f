//! Tests of the `holdpoint` command as a user runs it: a real process, real arguments,
//! real files.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test stops at the first unexpected value, and says where"
)]

mod approvals;
mod bad_input;
mod bounded;
mod browser;
mod check;
mod confined;
mod corpus;
mod hooks;
mod http;
mod install;
mod ledger;
mod mcp_conformance;
mod mcp_gateway;
mod mcp_http;
mod mcp_install;
mod mcp_modern;
mod openapi;
mod payloads;
mod pg;
mod pg_crash;
mod pg_differential;
mod pg_hostile;
mod policy;
mod readme;
mod replay;
mod sandbox;
mod serve;
mod setup;
mod slack;
mod store;
mod system;
mod team;
mod telemetry;
mod webdriver;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `holdpoint` with `args` and `stdin`, with an empty HOLDPOINT_HOME so that no
/// policy directory of the machine's user takes part.
pub fn holdpoint(args: &[&str], stdin: &str) -> Output {
    let home = std::env::temp_dir().join(format!("holdpoint-test-home-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_holdpoint"))
        .args(args)
        .env("HOLDPOINT_HOME", &home)
        .env_remove("HOLDPOINT_ENV")
        .env_remove("HOLDPOINT_POLICIES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Write from another thread: a large input would otherwise fill the pipe while the
    // child waits for its full output pipe to be read.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_owned();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The path of a file under `tests/data`.
pub fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test, removed when the value is dropped.
#[derive(Debug)]
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("holdpoint-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.0.join(file), text).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
