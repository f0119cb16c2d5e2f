//! `holdpoint mcp` between real MCP parts nobody here wrote: the reference filesystem
//! server from npm behind the gateway, driven by the Python MCP client SDK as the agent,
//! and by JSON lines written by hand for the protocol's edge cases.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::setup::Setup;
use crate::{data, stderr};

/// Where the tests' npm packages are installed, once per machine.
pub(crate) fn npm_cache() -> PathBuf {
    let home = std::env::var("HOME").unwrap();
    PathBuf::from(home).join(".cache/holdpoint-test-npm")
}

/// The filesystem server's entry point, installed with npm when missing.
pub fn filesystem_server() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let cache = npm_cache();
            let entry =
                cache.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
            if !entry.exists() {
                let status = Command::new("npm")
                    .args(["install", "--silent", "--prefix"])
                    .arg(&cache)
                    .arg("@modelcontextprotocol/server-filesystem")
                    .status()
                    .unwrap_or_else(|e| {
                        panic!("the MCP gateway tests need npm to install @modelcontextprotocol/server-filesystem: {e}; install Node.js and npm (apt-get install nodejs npm), or run .ci/run")
                    });
                assert!(status.success(), "npm install @modelcontextprotocol/server-filesystem failed");
            }
            assert!(entry.exists(), "{} is missing after npm install", entry.display());
            entry
        })
        .clone()
}

/// Fails, naming the package, when the Python MCP client SDK is missing.
fn python_sdk() {
    let found = Command::new("python3")
        .args(["-c", "import mcp.client.stdio"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "the MCP gateway tests drive the gateway with the Python MCP SDK: python3 -m pip install 'mcp>=1.30,<2' (or run .ci/run)"
    );
}

/// A directory outside every temporary directory and the workspace, where a write is a
/// change (the test's homes live under /tmp, where writes are workspace work).
pub(crate) struct Outside(pub(crate) PathBuf);

impl Outside {
    pub(crate) fn new(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("holdpoint-mcp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Outside(dir)
    }

    pub(crate) fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().unwrap().to_owned()
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The gateway's arguments in front of the filesystem server reaching `dirs`.
fn gateway_args(dirs: &[&str]) -> Vec<String> {
    gateway_args_with(&[], dirs)
}

/// The same, with the gateway's own `flags`.
fn gateway_args_with(flags: &[&str], dirs: &[&str]) -> Vec<String> {
    let mut args = vec!["mcp".to_owned(), "--name".to_owned(), "files".to_owned()];
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    args.extend([
        "--".to_owned(),
        "node".to_owned(),
        filesystem_server().to_str().unwrap().to_owned(),
    ]);
    args.extend(dirs.iter().map(|d| (*d).to_owned()));
    args
}

/// Runs the SDK agent through `holdpoint mcp`, making `calls` (tool, arguments); the
/// results, one per call (`isError`, `text`), after the server's name and tool list.
fn agent(setup: &Setup, dirs: &[&str], calls: &[(&str, Value)]) -> Vec<Value> {
    python_sdk();
    let plan = json!({
        "command": env!("CARGO_BIN_EXE_holdpoint"),
        "args": gateway_args(dirs),
        "env": {
            "HOLDPOINT_HOME": setup.home,
            "HOME": setup.user_home,
            "USER": "tester",
            "PATH": std::env::var("PATH").unwrap(),
        },
        "cwd": setup.work,
        "calls": calls.iter().map(|(tool, arguments)| json!({"tool": tool, "arguments": arguments})).collect::<Vec<_>>(),
    });
    let file = setup.scratch.0.join("plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut command = Command::new("python3");
    command
        .arg(data("mcp/agent.py"))
        .arg(&file)
        .current_dir(&setup.work);
    let lines = agent_lines(command, calls.len() + 2);
    assert_eq!(lines[0]["server"], "secure-filesystem-server", "{lines:?}");
    assert!(
        lines[1]["tools"].as_array().unwrap().len() >= 10,
        "the tool list passes through unchanged: {lines:?}"
    );
    lines[2..].to_vec()
}

/// Runs an agent program to its end; the JSON lines it printed, `expected` of them.
pub(crate) fn agent_lines(mut command: Command, expected: usize) -> Vec<Value> {
    let output = command.stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "the agent failed:\n{text}\n{}",
        stderr(&output)
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected, "{text}");
    lines
}

/// An agent that may only read through MCP, as a policy file's text.
pub(crate) const READER_POLICY: &str = r#"@id("reader-only-reads")
@reason("the reader agent only reads through MCP")
forbid (principal == Agent::"reader", action in [Action::"workspace", Action::"change", Action::"destroy"], resource)
when { context.surface == "mcp" };
"#;

/// The approval request an answer names.
fn approval_id(text: &str) -> String {
    let at = text
        .find("request apr-")
        .unwrap_or_else(|| panic!("no request named: {text}"));
    text[at + "request ".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Reads the agent's lines until its call's result; the first progress notification
/// (which says the call is held) is checked and its request approved by alice while the
/// agent waits. Returns the result, the approved request and every line seen.
pub(crate) fn approve_when_held(
    setup: &Setup,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    target: &Path,
) -> (Value, Option<String>, Vec<Value>) {
    let mut approved = None;
    let mut seen = Vec::new();
    let result = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the agent ended without a result: {seen:?}"))
            .unwrap();
        let value: Value = serde_json::from_str(&line).unwrap();
        seen.push(value.clone());
        if let Some(message) = value["progress"].as_str() {
            assert!(
                message.contains("holdpoint approvals approve apr-"),
                "{message}"
            );
            if approved.is_none() {
                assert!(!target.exists(), "held, not yet run");
                let id = approval_id(message);
                let (code, text) = setup.approve(&id, "alice", setup.confirm_of(&id).as_deref());
                assert_eq!(code, Some(0), "{text}");
                approved = Some(id);
            }
        } else if value.get("isError").is_some() {
            break value;
        }
    };
    (result, approved, seen)
}

fn write(path: &str, content: &str) -> (&'static str, Value) {
    ("write_file", json!({"path": path, "content": content}))
}

#[test]
fn an_agent_reads_through_the_gateway_and_a_write_outside_the_workspace_runs_once_after_approval() {
    let setup = Setup::new("mcp-gateway-sdk");
    setup.add_human("alice", None);
    let outside = Outside::new("sdk");
    let work = setup.work().to_str().unwrap().to_owned();
    std::fs::write(setup.work().join("notes.md"), "hello from the workspace\n").unwrap();
    let target = outside.path("release.txt");
    let dirs = [work.as_str(), outside.0.to_str().unwrap()];

    let results = agent(
        &setup,
        &dirs,
        &[
            ("list_allowed_directories", json!({})),
            (
                "read_text_file",
                json!({"path": format!("{work}/notes.md")}),
            ),
            write(&target, "v1"),
        ],
    );
    assert_eq!(results[0]["isError"], false, "{results:?}");
    assert!(
        results[0]["text"].as_str().unwrap().contains(&work),
        "{results:?}"
    );
    assert_eq!(results[1]["isError"], false, "{results:?}");
    assert_eq!(results[1]["text"], "hello from the workspace\n");
    let held = results[2]["text"].as_str().unwrap();
    assert_eq!(results[2]["isError"], true, "{results:?}");
    assert!(
        held.contains("holdpoint held this action for human approval"),
        "{held}"
    );
    assert!(held.contains("holdpoint approvals approve apr-"), "{held}");
    assert!(
        held.contains("retry exactly the same action once"),
        "{held}"
    );
    assert!(
        !Path::new(&target).exists(),
        "a held write must not reach the server"
    );
    let first = approval_id(held);

    // A write that may replace a file outside the workspace is a destroy: the human
    // types the target's name to confirm.
    assert!(
        held.contains("typing the name of what it destroys to confirm"),
        "{held}"
    );
    let (code, text) = setup.approve(&first, "alice", setup.confirm_of(&first).as_deref());
    assert_eq!(code, Some(0), "{text}");

    // The identical retry (from a new gateway process) runs once; the same call again
    // is held anew, and so is a changed one.
    let results = agent(
        &setup,
        &dirs,
        &[
            write(&target, "v1"),
            write(&target, "v1"),
            write(&target, "v2"),
        ],
    );
    assert_eq!(results[0]["isError"], false, "{results:?}");
    assert!(
        results[0]["text"]
            .as_str()
            .unwrap()
            .contains("Successfully wrote"),
        "{results:?}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "v1");
    let again = approval_id(results[1]["text"].as_str().unwrap());
    let changed = approval_id(results[2]["text"].as_str().unwrap());
    assert_eq!(results[1]["isError"], true);
    assert_eq!(results[2]["isError"], true);
    assert_ne!(again, first, "an approval lets one call through");
    assert_ne!(changed, first);
    assert_ne!(changed, again, "a changed argument is a new request");

    // The ledger: each call proposed and decided under the gateway's session, and what
    // the forwarded ones did.
    let records = setup.records();
    let mcp: Vec<&Value> = records
        .iter()
        .filter(|r| {
            r["actors"]["session"]
                .as_str()
                .is_some_and(|s| s.starts_with("mcp-files-"))
        })
        .collect();
    let kinds = |kind: &str| mcp.iter().filter(|r| r["kind"] == kind).count();
    assert_eq!(kinds("proposed"), 6, "{mcp:#?}");
    assert_eq!(kinds("decided"), 6, "{mcp:#?}");
    let executed: Vec<&&Value> = mcp.iter().filter(|r| r["kind"] == "executed").collect();
    assert_eq!(
        executed.len(),
        3,
        "list, read and the approved write: {executed:#?}"
    );
    for record in &executed {
        assert_eq!(record["body"]["observed_by"], "holdpoint mcp");
        assert_eq!(record["body"]["outcome"], "succeeded", "{record}");
        assert!(record["body"]["duration_ms"].is_u64(), "{record}");
        assert!(
            mcp.iter()
                .any(|r| r["kind"] == "decided" && r["digest"] == record["digest"]),
            "an outcome belongs to a decided call: {record}"
        );
    }
    let sessions: std::collections::BTreeSet<&str> = mcp
        .iter()
        .filter_map(|r| r["actors"]["session"].as_str())
        .collect();
    assert_eq!(
        sessions.len(),
        2,
        "one session per gateway process: {sessions:?}"
    );
    // As stored, each read policy simply allowed is one record with what it did; the
    // approved write's decision was durable before it ran, its outcome written after.
    let stored: Vec<String> = setup
        .stored_records()
        .iter()
        .filter(|r| {
            r["actors"]["session"]
                .as_str()
                .is_some_and(|s| s.starts_with("mcp-files-"))
        })
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect();
    let count = |kind: &str| stored.iter().filter(|k| *k == kind).count();
    assert_eq!(count("ran"), 2, "{stored:?}");
    assert_eq!(count("decided"), 4, "{stored:?}");
    assert_eq!(count("executed"), 1, "{stored:?}");
}

#[test]
fn a_freeze_refuses_an_agents_write_through_the_gateway_and_reads_go_on() {
    let setup = Setup::new("mcp-gateway-freeze");
    let outside = Outside::new("freeze");
    let work = setup.work().to_str().unwrap().to_owned();
    std::fs::write(setup.work().join("notes.md"), "still readable\n").unwrap();
    let output = setup.run(
        &[
            "freeze",
            "start",
            "--env",
            "production",
            "--reason",
            "release 4.2",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let target = outside.path("frozen.txt");
    let results = agent(
        &setup,
        &[work.as_str(), outside.0.to_str().unwrap()],
        &[
            write(&target, "during the freeze"),
            (
                "read_text_file",
                json!({"path": format!("{work}/notes.md")}),
            ),
        ],
    );
    let refused = results[0]["text"].as_str().unwrap();
    assert_eq!(results[0]["isError"], true, "{results:?}");
    assert!(
        refused.contains("holdpoint refused this action"),
        "{refused}"
    );
    assert!(refused.contains("release 4.2"), "{refused}");
    assert!(
        !refused.contains("request apr-"),
        "a freeze refuses; it does not hold: {refused}"
    );
    assert!(!Path::new(&target).exists());
    assert_eq!(results[1]["isError"], false, "{results:?}");
    assert_eq!(results[1]["text"], "still readable\n");
}

/// `holdpoint mcp` in front of the filesystem server, spoken to in JSON lines by hand.
struct Wire {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    log: Arc<Mutex<String>>,
}

const WAIT: Duration = Duration::from_secs(20);

impl Wire {
    fn start(setup: &Setup, dirs: &[&str]) -> Self {
        Wire::start_with(setup, &[], dirs)
    }

    fn start_with(setup: &Setup, flags: &[&str], dirs: &[&str]) -> Self {
        let args = gateway_args_with(flags, dirs);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = setup
            .command(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                let value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("the gateway wrote a line that is not JSON ({e}): {line}")
                });
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Wire {
            stdin: child.stdin.take(),
            child,
            lines,
            log,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    fn recv(&self) -> Value {
        self.lines.recv_timeout(WAIT).unwrap_or_else(|e| {
            panic!(
                "no message from the gateway ({e}); its log:\n{}",
                self.log()
            )
        })
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the gateway's log says `text`.
    fn wait_log(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let log = self.log();
            if log.contains(text) {
                return log;
            }
            assert!(
                started.elapsed() < WAIT,
                "the gateway never logged {text:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `initialize` and `notifications/initialized`, declaring `capabilities`.
    fn handshake(&mut self, capabilities: &Value) {
        self.send(
            &json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
                "protocolVersion":"2025-06-18","capabilities":capabilities,
                "clientInfo":{"name":"by-hand","version":"1"}}})
            .to_string(),
        );
        let answer = self.recv();
        assert_eq!(answer["id"], 0, "{answer}");
        assert_eq!(
            answer["result"]["serverInfo"]["name"],
            "secure-filesystem-server"
        );
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }

    fn call(&mut self, id: Value, tool: &str, arguments: &Value) {
        self.send(
            &json!({"jsonrpc":"2.0","id":id,"method":"tools/call",
                "params":{"name":tool,"arguments":arguments}})
            .to_string(),
        );
    }

    /// Closes the gateway's input and waits for it to exit; its status.
    fn close(mut self) -> Option<i32> {
        self.stdin = None;
        wait_exit(&mut self.child)
    }
}

fn wait_exit(child: &mut Child) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(started.elapsed() < WAIT, "the gateway did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The directories `list_allowed_directories` answered.
fn allowed(answer: &Value) -> Vec<&str> {
    text_of(answer).lines().skip(1).collect()
}

/// Lists the tools, so that the gateway knows them before the test's calls come.
fn list_tools(wire: &mut Wire) {
    wire.send(r#"{"jsonrpc":"2.0","id":"list","method":"tools/list"}"#);
    let listed = wire.recv();
    assert_eq!(listed["id"], "list", "{listed}");
}

fn text_of(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
}

#[test]
fn malformed_and_oversized_messages_are_answered_and_the_session_goes_on() {
    let setup = Setup::new("mcp-gateway-bad-input");
    let work = setup.work().to_str().unwrap().to_owned();
    std::fs::write(setup.work().join("a.txt"), "after the bad input\n").unwrap();
    let mut wire = Wire::start(&setup, &[work.as_str()]);
    wire.handshake(&json!({}));

    wire.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
    let answer = wire.recv();
    assert_eq!(answer["id"], Value::Null, "{answer}");
    assert_eq!(answer["error"]["code"], -32700, "{answer}");

    // 17 MiB in one line, a ping with padding: past the limit, never forwarded.
    let pad = "x".repeat(17 * 1024 * 1024);
    wire.send(&format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"ping","params":{{"pad":"{pad}"}}}}"#
    ));
    let answer = wire.recv();
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("longer than 16777216 bytes"),
        "{answer}"
    );

    wire.send(r#"[{"jsonrpc":"2.0","id":3,"method":"ping"}]"#);
    let answer = wire.recv();
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("batch"),
        "{answer}"
    );

    wire.send(r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"arguments":{}}}"#);
    let answer = wire.recv();
    assert_eq!(answer["id"], 4, "{answer}");
    assert_eq!(answer["error"]["code"], -32602, "{answer}");

    // The session still serves the next valid request.
    wire.call(
        json!(5),
        "read_text_file",
        &json!({"path": format!("{work}/a.txt")}),
    );
    let answer = wire.recv();
    assert_eq!(answer["id"], 5, "{answer}");
    assert_eq!(text_of(&answer), "after the bad input\n", "{answer}");
    let log = wire.log();
    assert_eq!(wire.close(), Some(0), "{log}");
}

#[test]
fn the_server_is_told_the_configured_roots_and_a_client_cannot_widen_them() {
    let setup = Setup::new("mcp-gateway-roots");
    let work = setup.work().to_str().unwrap().to_owned();
    let docs = setup.work().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let mut wire = Wire::start_with(&setup, &["--root", "docs"], &[work.as_str()]);
    // A client with roots of its own: the server asks for roots as soon as the session
    // is initialized, and the gateway answers; the client is never asked.
    wire.handshake(&json!({"roots": {"listChanged": true}}));
    let docs = std::fs::canonicalize(&docs)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    loop {
        wire.call(json!(1), "list_allowed_directories", &json!({}));
        let answer = wire.recv();
        assert_eq!(
            answer["id"], 1,
            "the client gets answers, never a `roots/list`: {answer}"
        );
        if allowed(&answer) == [docs.as_str()] {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "the server never took the configured roots: {answer}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The client says its roots changed and answers a `roots/list` nobody sent it with
    // the whole disk: neither reaches the server.
    wire.send(r#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#);
    wire.send(r#"{"jsonrpc":"2.0","id":0,"result":{"roots":[{"uri":"file:///","name":"all"}]}}"#);
    wire.wait_log("dropped the client's `notifications/roots/list_changed`");
    wire.wait_log("dropped the client's response to id 0");
    wire.call(json!(2), "list_allowed_directories", &json!({}));
    let answer = wire.recv();
    assert_eq!(answer["id"], 2, "{answer}");
    assert_eq!(allowed(&answer), [docs.as_str()], "{answer}");
    // A file outside the roots is out of the server's reach.
    std::fs::write(setup.work().join("secret.txt"), "no").unwrap();
    wire.call(
        json!(3),
        "read_text_file",
        &json!({"path": format!("{work}/secret.txt")}),
    );
    let answer = wire.recv();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(wire.close(), Some(0));
}

#[test]
fn hidden_tools_are_not_listed_and_calls_to_them_or_to_unlisted_tools_are_refused() {
    let setup = Setup::new("mcp-gateway-hidden");
    let work = setup.work().to_str().unwrap().to_owned();
    let mut wire = Wire::start_with(
        &setup,
        &["--hide-tool", "write_file", "--hide-tool", "move_file"],
        &[work.as_str()],
    );
    wire.handshake(&json!({}));
    wire.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    let listed = wire.recv();
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"read_text_file"), "{names:?}");
    assert!(!names.contains(&"write_file"), "{names:?}");
    assert!(!names.contains(&"move_file"), "{names:?}");

    let target = format!("{work}/hidden.txt");
    wire.call(
        json!(2),
        "write_file",
        &json!({"path": target, "content": "x"}),
    );
    let answer = wire.recv();
    assert_eq!(answer["id"], 2, "{answer}");
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        text_of(&answer).contains("the tool `write_file` is hidden from this agent"),
        "{answer}"
    );
    wire.call(json!(3), "delete_everything", &json!({"path": work}));
    let answer = wire.recv();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        text_of(&answer).contains("the server did not list the tool `delete_everything`"),
        "{answer}"
    );
    assert!(!Path::new(&target).exists());
    assert_eq!(wire.close(), Some(0));
    // Both are in the ledger: proposed, and denied by the gateway before any policy.
    let records = setup.records();
    let decided: Vec<&Value> = records.iter().filter(|r| r["kind"] == "decided").collect();
    assert_eq!(decided.len(), 2, "{records:#?}");
    for (record, why) in decided.iter().zip([
        "the tool `write_file` is hidden from this agent by the gateway's configuration",
        "the server did not list the tool `delete_everything` in this session",
    ]) {
        let text = record.to_string();
        assert!(text.contains("\"deny\""), "{text}");
        assert!(text.contains("\"gateway\""), "{text}");
        assert!(text.contains(why), "{text}");
    }
    assert_eq!(
        records.iter().filter(|r| r["kind"] == "proposed").count(),
        2
    );
}

#[test]
fn refusals_the_gateway_makes_through_holdpoint_serve_are_in_the_servers_ledger() {
    let setup = Setup::new("mcp-gateway-refused-served");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let served = setup.serve();
    setup.use_server(&token);
    let work = setup.work().to_str().unwrap().to_owned();
    let mut wire = Wire::start_with(&setup, &["--hide-tool", "write_file"], &[work.as_str()]);
    wire.handshake(&json!({}));
    let target = format!("{work}/hidden.txt");
    wire.call(
        json!(1),
        "write_file",
        &json!({"path": target, "content": "x"}),
    );
    let answer = wire.recv();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        text_of(&answer).contains("hidden from this agent"),
        "{answer}"
    );
    assert_eq!(wire.close(), Some(0));
    assert!(!Path::new(&target).exists());
    // The server recorded it under the credential's agent, decided by the gateway.
    let records = setup.records();
    let decided: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "decided" && r.to_string().contains("\"gateway\""))
        .collect();
    assert_eq!(decided.len(), 1, "{records:#?}\n{}", served.log());
    assert_eq!(decided[0]["actors"]["agent"], "claude", "{}", decided[0]);
    assert!(
        decided[0].to_string().contains("hidden from this agent"),
        "{}",
        decided[0]
    );
    // A human cannot report refusals, nor anyone without a credential, and a report
    // must say why.
    let human = crate::http::sign_in(&served.address, "alice", crate::setup::SECRET);
    let action = json!({"surface": "shell", "input": "rm -rf /", "cwd": work});
    let report = |token: &str, reason: &str| {
        crate::http::json(
            &served.address,
            "POST",
            "/api/v1/refused",
            token,
            &json!({"action": action, "reason": reason}),
        )
        .status
    };
    assert_eq!(report(&human, "hidden"), 403);
    assert_eq!(report("hpa.claude.not-the-secret", "hidden"), 401);
    assert_eq!(report(&token, " "), 400);
    assert_eq!(report(&token, "hidden"), 200);
    drop(served);
}

/// The names in a `tools/list` answer.
fn tool_names(listed: &Value) -> Vec<String> {
    listed["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("not a tool list: {listed}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn tools_the_policy_refuses_the_agent_outright_are_not_listed_and_calls_to_them_are_refused_on_the_record()
 {
    let setup = Setup::new("mcp-gateway-refused-tools");
    // An agent that may only read through MCP.
    std::fs::write(setup.home.join("policies/reader.cedar"), READER_POLICY).unwrap();
    let work = setup.work().to_str().unwrap().to_owned();
    let listed = |flags: &[&str]| {
        let mut wire = Wire::start_with(&setup, flags, &[work.as_str()]);
        wire.handshake(&json!({}));
        wire.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
        let listed = wire.recv();
        (wire, listed)
    };
    // Another agent sees every tool the server has.
    let (wire, everything) = listed(&[]);
    assert_eq!(wire.close(), Some(0));
    let everything = tool_names(&everything);
    for tool in [
        "read_text_file",
        "list_directory",
        "write_file",
        "move_file",
    ] {
        assert!(everything.iter().any(|t| t == tool), "{everything:?}");
    }
    // The reader is listed the tools that can read (`edit_file` with `dryRun` only
    // shows its change), not those that always write.
    let (mut wire, reader) = listed(&["--agent", "reader"]);
    let reader = tool_names(&reader);
    for tool in [
        "read_text_file",
        "list_directory",
        "search_files",
        "edit_file",
    ] {
        assert!(reader.iter().any(|t| t == tool), "{reader:?}");
    }
    for tool in ["write_file", "create_directory", "move_file"] {
        assert!(
            !reader.iter().any(|t| t == tool),
            "{tool} listed: {reader:?}"
        );
    }
    wire.wait_log(
        "left out of the list the tools the policy refuses this agent whatever the arguments: ",
    );
    // Reads run; a call to a tool left out is decided, refused by the policy, and on
    // the record as that refusal.
    std::fs::write(setup.work().join("notes.txt"), "kept").unwrap();
    wire.call(
        json!(2),
        "read_text_file",
        &json!({"path": format!("{work}/notes.txt")}),
    );
    let answer = wire.recv();
    assert_eq!(text_of(&answer), "kept", "{answer}");
    let target = format!("{work}/written.txt");
    wire.call(
        json!(3),
        "write_file",
        &json!({"path": target, "content": "x"}),
    );
    let answer = wire.recv();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        text_of(&answer).contains("the reader agent only reads through MCP"),
        "{answer}"
    );
    assert!(!Path::new(&target).exists());
    assert_eq!(wire.close(), Some(0));
    let records = setup.records();
    let refused = records
        .iter()
        .filter(|r| r["kind"] == "decided" && r.to_string().contains("reader-only-reads"))
        .count();
    assert_eq!(refused, 1, "{records:#?}");
    // Marked instead of left out, when configured so.
    let (wire, marked) = listed(&["--agent", "reader", "--refused-tools", "mark"]);
    assert_eq!(tool_names(&marked).len(), everything.len(), "{marked}");
    let write = marked["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "write_file")
        .unwrap();
    assert!(
        write["description"]
            .as_str()
            .unwrap()
            .starts_with("[holdpoint: the policy refuses every call of this tool by this agent] "),
        "{write}"
    );
    assert_eq!(wire.close(), Some(0));
}

#[test]
fn a_held_write_approved_while_the_agent_waits_runs_and_the_agent_gets_its_result() {
    let setup = Setup::new("mcp-gateway-wait");
    setup.add_human("alice", None);
    python_sdk();
    let outside = Outside::new("wait");
    let target = outside.path("approved.txt");
    let plan = json!({
        "command": env!("CARGO_BIN_EXE_holdpoint"),
        "args": gateway_args_with(&["--wait", "40"], &[outside.0.to_str().unwrap()]),
        "env": {
            "HOLDPOINT_HOME": setup.home,
            "HOME": setup.user_home,
            "USER": "tester",
            "PATH": std::env::var("PATH").unwrap(),
        },
        "cwd": setup.work,
        "progress": true,
        "calls": [{"tool": "write_file", "arguments": {"path": target, "content": "approved"}}],
    });
    let file = setup.scratch.0.join("plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut agent = Command::new("python3")
        .arg(data("mcp/agent.py"))
        .arg(&file)
        .current_dir(&setup.work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(agent.stdout.take().unwrap()).lines();
    let started = Instant::now();
    let (result, approved, seen) = approve_when_held(&setup, &mut lines, Path::new(&target));
    assert!(approved.is_some(), "no progress came: {seen:?}");
    assert_eq!(result["isError"], false, "{seen:?}");
    assert!(
        result["text"]
            .as_str()
            .unwrap()
            .contains("Successfully wrote"),
        "{result}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "approved");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "answered within the wait"
    );
    let status = agent.wait().unwrap();
    assert!(status.success());
    // The approval was used by this call: it is proposed twice (held, then let
    // through) and ran once.
    let records = setup.records();
    let count = |kind: &str| records.iter().filter(|r| r["kind"] == kind).count();
    assert_eq!(count("proposed"), 2, "{records:#?}");
    assert_eq!(count("executed"), 1, "{records:#?}");
}

#[test]
fn a_held_call_whose_wait_ends_answers_with_the_request_to_approve() {
    let setup = Setup::new("mcp-gateway-wait-ends");
    let outside = Outside::new("wait-ends");
    let target = outside.path("unapproved.txt");
    let mut wire = Wire::start_with(&setup, &["--wait", "2"], &[outside.0.to_str().unwrap()]);
    wire.handshake(&json!({}));
    let started = Instant::now();
    wire.send(
        &json!({"jsonrpc":"2.0","id":"w","method":"tools/call","params":{
            "_meta":{"progressToken":"tok"},"name":"write_file",
            "arguments":{"path":target,"content":"never"}}})
        .to_string(),
    );
    let first = wire.recv();
    assert_eq!(first["method"], "notifications/progress", "{first}");
    assert_eq!(first["params"]["progressToken"], "tok", "{first}");
    let request = approval_id(first["params"]["message"].as_str().unwrap());
    let answer = loop {
        let message = wire.recv();
        if message.get("id").is_some() {
            break message;
        }
        assert_eq!(message["method"], "notifications/progress", "{message}");
    };
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited");
    assert_eq!(answer["id"], "w", "{answer}");
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(approval_id(text_of(&answer)), request, "{answer}");
    assert!(
        text_of(&answer).contains("retry exactly the same action once"),
        "{answer}"
    );
    assert!(!Path::new(&target).exists());
    assert_eq!(wire.close(), Some(0));
}

#[test]
fn a_call_cancelled_while_it_waits_for_its_decision_is_neither_answered_nor_forwarded() {
    let setup = Setup::new("mcp-gateway-cancel");
    let work = setup.work().to_str().unwrap().to_owned();
    let mut wire = Wire::start(&setup, &[work.as_str()]);
    wire.handshake(&json!({}));
    list_tools(&mut wire);

    // Hold the store's write lock so the decision cannot be recorded yet.
    let held = setup.hold_writes();
    let target = format!("{work}/cancelled.txt");
    wire.call(
        json!("w"),
        "write_file",
        &json!({"path": target, "content": "no"}),
    );
    wire.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w","reason":"changed my mind"}}"#);
    wire.wait_log("the client cancelled `write_file` while it waited for its decision");
    drop(held);
    wire.wait_log("came for a call no longer waiting");

    // The next answer the client gets is for its next request: nothing for `w`.
    wire.send(r#"{"jsonrpc":"2.0","id":"p","method":"ping"}"#);
    let answer = wire.recv();
    assert_eq!(answer["id"], "p", "{answer}");
    assert!(
        !Path::new(&target).exists(),
        "a cancelled call must not reach the server"
    );
    assert_eq!(wire.close(), Some(0));
}

#[test]
fn a_server_killed_mid_call_answers_the_client_with_an_error_and_the_gateway_fails() {
    let setup = Setup::new("mcp-gateway-killed");
    let work = setup.work().to_str().unwrap().to_owned();
    std::fs::write(setup.work().join("a.txt"), "x").unwrap();
    let mut wire = Wire::start(&setup, &[work.as_str()]);
    wire.handshake(&json!({}));
    list_tools(&mut wire);
    let log = wire.wait_log("started (pid ");
    let pid: String = log[log.find("started (pid ").unwrap() + 13..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // Stopped, the server reads nothing: the call is forwarded and stays unanswered.
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    wire.call(
        json!(7),
        "read_text_file",
        &json!({"path": format!("{work}/a.txt")}),
    );
    // A read still running a second after it was allowed has its decision written:
    // the ledger shows the call while it runs.
    let started = Instant::now();
    while !setup.stored_records().iter().any(|r| {
        r["kind"] == "decided"
            && r["actors"]["session"]
                .as_str()
                .is_some_and(|s| s.starts_with("mcp-files-"))
    }) {
        assert!(started.elapsed() < WAIT, "the call was never decided");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let answer = wire.recv();
    assert_eq!(answer["id"], 7, "{answer}");
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the MCP server exited before answering"),
        "{answer}"
    );
    let code = wait_exit(&mut wire.child);
    assert!(
        code.is_some_and(|c| c != 0),
        "the gateway must fail: {code:?}\n{}",
        wire.log()
    );
    let records = setup.records();
    let executed: Vec<&Value> = records.iter().filter(|r| r["kind"] == "executed").collect();
    assert_eq!(executed.len(), 1, "{executed:#?}");
    assert_eq!(executed[0]["body"]["outcome"], "failed");
    assert!(
        executed[0]["body"]["detail"]
            .as_str()
            .unwrap()
            .contains("exited before answering"),
        "{}",
        executed[0]
    );
}
