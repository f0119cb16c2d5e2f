//! `holdpoint mcp --listen`: the MCP gateway over Streamable HTTP, between real parts
//! nobody here wrote. The Python MCP client SDK (`streamablehttp_client`) is the agent;
//! behind the gateway are the reference filesystem server from npm, started over stdio
//! from an `[[mcp]] command`, and a Streamable HTTP server built with the SDK's FastMCP
//! that demands a bearer token only holdpoint holds. The transport's refusals (no
//! credential, a foreign origin, another agent's session) are sent by hand.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::mcp_gateway::{READER_POLICY, agent_lines, approve_when_held, filesystem_server};
use crate::setup::{Background, Setup};
use crate::{data, stderr, stdout};

/// Fails, naming the package, when the Python MCP client SDK is missing.
pub fn python_sdk() {
    let found = Command::new("python3")
        .args(["-c", "import mcp.client.streamable_http, uvicorn"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "the MCP gateway's HTTP tests drive it with the Python MCP SDK: python3 -m pip install 'mcp>=1.30,<2' (or run .ci/run)"
    );
}

/// A running `holdpoint mcp --listen 127.0.0.1:0`.
pub struct Gateway {
    pub process: Background,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

impl Gateway {
    pub fn start(setup: &Setup, env: &[(&str, &str)]) -> Self {
        Gateway::start_at(setup, "127.0.0.1:0", env)
    }

    /// Listening on `listen` (`127.0.0.1:PORT`).
    pub fn start_at(setup: &Setup, listen: &str, env: &[(&str, &str)]) -> Self {
        let mut command = setup.command(&["mcp", "--listen", listen]);
        command.envs(env.iter().copied());
        let (process, address) = Background::start(command, "at http://");
        let address = address.split("/mcp").next().unwrap().to_owned();
        Gateway { process, address }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/mcp/{name}", self.address)
    }

    /// What the gateway wrote to standard error so far.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// The filesystem server reaching `dirs`, as an `[[mcp]]` entry named `files`.
pub(crate) fn files_entry(dirs: &[&str]) -> String {
    let mut args = vec![filesystem_server().to_str().unwrap().to_owned()];
    args.extend(dirs.iter().map(|d| (*d).to_owned()));
    format!(
        "[[mcp]]\nname = \"files\"\ncommand = \"node\"\nargs = {}\n",
        serde_json::to_string(&args).unwrap()
    )
}

/// Runs the SDK agent against `url` with `headers`, making `calls`; the lines it
/// printed: the server's name, its tools, one per call, the session id.
fn agent(setup: &Setup, url: &str, headers: Value, calls: &[(&str, Value)]) -> Vec<Value> {
    let plan = json!({
        "url": url,
        "headers": headers,
        "calls": calls.iter().map(|(tool, arguments)| json!({"tool": tool, "arguments": arguments})).collect::<Vec<_>>(),
    });
    run_agent(setup, &plan, calls.len() + 3)
}

/// Runs the agent with `plan`, which prints `lines` lines.
fn run_agent(setup: &Setup, plan: &Value, lines: usize) -> Vec<Value> {
    python_sdk();
    let file = setup.scratch.0.join("http-plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut command = Command::new("python3");
    command.arg(data("mcp/agent.py")).arg(&file);
    agent_lines(command, lines)
}

/// One HTTP/1.1 exchange by hand: status, headers (names lowercase), body (de-chunked).
pub(crate) fn exchange(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, HashMap<String, String>, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // A read that times out is a failure, not an empty answer.
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|t| t == "chunked")
    {
        let mut body = String::new();
        let mut rest = rest;
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            body.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        body
    } else {
        rest.to_owned()
    };
    (status, headers, body)
}

/// The JSON-RPC messages of an event stream.
pub(crate) fn events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

const ACCEPT: (&str, &str) = ("Accept", "application/json, text/event-stream");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn initialize() -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "by-hand", "version": "1"}}})
    .to_string()
}

/// Opens a session of `server` by hand with the credential header `auth`
/// (`Bearer hpa.…`), and says the client is set up; the session's id.
fn session_by_hand(address: &str, server: &str, auth: &str) -> String {
    let path = format!("/mcp/{server}");
    let (status, headers, body) = exchange(
        address,
        "POST",
        &path,
        &[ACCEPT, JSON, ("Authorization", auth)],
        &initialize(),
    );
    assert_eq!(status, 200, "{body}");
    let session = headers["mcp-session-id"].clone();
    let (status, _, body) = exchange(
        address,
        "POST",
        &path,
        &[
            ACCEPT,
            JSON,
            ("Authorization", auth),
            ("Mcp-Session-Id", &session),
        ],
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    );
    assert_eq!(status, 202, "{body}");
    session
}

/// That the agent's call `line` (one of `lines`) was answered as held for approval.
fn assert_held(line: &Value, lines: &[Value]) {
    assert_eq!(line["isError"], true, "{lines:?}");
    assert!(
        line["text"]
            .as_str()
            .unwrap()
            .contains("holdpoint held this action for human approval"),
        "{lines:?}"
    );
}

/// The records of the sessions the gateway opened for `server`.
fn mcp_records(setup: &Setup, server: &str) -> Vec<Value> {
    setup
        .records()
        .into_iter()
        .filter(|r| {
            r["actors"]["session"]
                .as_str()
                .is_some_and(|s| s.starts_with(&format!("mcp-{server}-")))
        })
        .collect()
}

#[test]
fn an_agent_reads_through_the_http_gateway_and_a_write_outside_the_workspace_is_held_and_recorded()
{
    let setup = Setup::new("mcp-http-sdk");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let work = setup.work().to_str().unwrap().to_owned();
    std::fs::write(setup.work().join("notes.md"), "hello over http\n").unwrap();
    // Outside every temporary directory and the workspace, where a write is a change.
    let outside = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("holdpoint-mcp-http-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    let target = outside.join("release.txt");
    setup.config(&files_entry(&[&work, outside.to_str().unwrap()]));
    let mut gateway = Gateway::start(&setup, &[]);

    let lines = agent(
        &setup,
        &gateway.url("files"),
        json!({"Authorization": format!("Bearer {token}")}),
        &[
            ("list_allowed_directories", json!({})),
            (
                "read_text_file",
                json!({"path": format!("{work}/notes.md")}),
            ),
            (
                "write_file",
                json!({"path": target.to_str().unwrap(), "content": "v1"}),
            ),
        ],
    );
    let _ = std::fs::remove_dir_all(&outside);
    assert_eq!(lines[0]["server"], "secure-filesystem-server", "{lines:?}");
    assert!(
        lines[1]["tools"].as_array().unwrap().len() >= 10,
        "the tool list passes through: {lines:?}"
    );
    assert_eq!(lines[2]["isError"], false, "{lines:?}");
    assert!(
        lines[2]["text"].as_str().unwrap().contains(&work),
        "{lines:?}"
    );
    assert_eq!(lines[3]["isError"], false, "{lines:?}");
    assert_eq!(lines[3]["text"], "hello over http\n");
    let held = lines[4]["text"].as_str().unwrap();
    assert_eq!(lines[4]["isError"], true, "{lines:?}");
    assert!(
        held.contains("holdpoint held this action for human approval"),
        "{held}"
    );
    assert!(held.contains("holdpoint approvals approve apr-"), "{held}");
    assert!(!target.exists(), "the held write reached the server");
    let session = lines[5]["session"].as_str().unwrap();
    assert_eq!(session.len(), 32, "{lines:?}");

    // The SDK ends its session with DELETE; the gateway stops on SIGTERM and writes
    // what is left.
    assert_eq!(
        gateway.process.terminate(),
        Some(0),
        "{}",
        gateway.process.log()
    );
    let log = gateway.process.log();
    assert!(log.contains("opened for agent `claude`"), "{log}");
    let records = mcp_records(&setup, "files");
    let kind =
        |kind: &str| -> Vec<&Value> { records.iter().filter(|r| r["kind"] == kind).collect() };
    assert_eq!(kind("proposed").len(), 3, "{records:#?}");
    assert_eq!(kind("decided").len(), 3, "{records:#?}");
    let executed = kind("executed");
    assert_eq!(executed.len(), 2, "the list and the read: {executed:#?}");
    for record in &records {
        assert_eq!(record["actors"]["agent"], "claude", "{record}");
    }
    for record in &executed {
        assert_eq!(record["body"]["observed_by"], "holdpoint mcp", "{record}");
        assert_eq!(record["body"]["outcome"], "succeeded", "{record}");
    }
    let asked: Vec<&Value> = kind("decided")
        .into_iter()
        .filter(|r| r["body"]["outcome"] == "ask")
        .collect();
    assert_eq!(asked.len(), 1, "the write is held: {records:#?}");
    assert!(
        !executed.iter().any(|r| r["digest"] == asked[0]["digest"]),
        "the held write has no outcome: {records:#?}"
    );
    // A human reading the ledger sees the calls.
    let shown = setup.run(&["log", "show"], "");
    let shown = stdout(&shown);
    assert_eq!(
        shown
            .lines()
            .filter(|l| l.contains("claude") && l.contains("mcp: {"))
            .count(),
        3,
        "{shown}"
    );
    assert!(shown.contains("] ask ("), "{shown}");
}

#[test]
fn each_agent_is_listed_the_tools_its_policy_does_not_refuse_outright() {
    let setup = Setup::new("mcp-http-refused-tools");
    setup.add_human("alice", None);
    let reader = setup.add_agent("reader");
    let claude = setup.add_agent("claude");
    std::fs::write(setup.home.join("policies/reader.cedar"), READER_POLICY).unwrap();
    let work = setup.work().to_str().unwrap().to_owned();
    setup.config(&files_entry(&[&work]));
    let mut gateway = Gateway::start(&setup, &[]);
    let tools = |token: &str| -> Vec<String> {
        let lines = agent(
            &setup,
            &gateway.url("files"),
            json!({"Authorization": format!("Bearer {token}")}),
            &[],
        );
        lines[1]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    };
    let for_reader = tools(&reader);
    let for_claude = tools(&claude);
    assert!(
        for_claude.iter().any(|t| t == "write_file"),
        "{for_claude:?}"
    );
    assert!(
        !for_reader.iter().any(|t| t == "write_file"),
        "{for_reader:?}"
    );
    assert!(
        for_reader.iter().any(|t| t == "read_text_file"),
        "{for_reader:?}"
    );
    assert!(for_reader.len() < for_claude.len());
    assert_eq!(
        gateway.process.terminate(),
        Some(0),
        "{}",
        gateway.process.log()
    );
    assert!(
        gateway
            .process
            .log()
            .contains("left out of the list the tools the policy refuses this agent"),
        "{}",
        gateway.process.log()
    );
}

#[test]
fn without_an_agent_credential_or_from_a_foreign_origin_nothing_reaches_the_server() {
    let setup = Setup::new("mcp-http-refused");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let other = setup.add_agent("other");
    let work = setup.work().to_str().unwrap().to_owned();
    setup.config(&files_entry(&[&work]));
    let gateway = Gateway::start(&setup, &[]);
    let address = gateway.address.as_str();
    let bearer = format!("Bearer {token}");
    let auth = ("Authorization", bearer.as_str());

    // No credential: 401, said so, and no session (no server started).
    let (status, headers, body) = exchange(
        address,
        "POST",
        "/mcp/files",
        &[ACCEPT, JSON],
        &initialize(),
    );
    assert_eq!(status, 401, "{body}");
    assert!(
        headers["www-authenticate"].starts_with("Bearer"),
        "{headers:?}"
    );
    let error: Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer hpa."),
        "{body}"
    );
    let (status, _, body) = exchange(
        address,
        "POST",
        "/mcp/files",
        &[ACCEPT, JSON, ("Authorization", "Bearer hpa.claude.guessed")],
        &initialize(),
    );
    assert_eq!(status, 401, "{body}");
    assert!(
        !gateway.process.log().contains("opened for agent"),
        "{}",
        gateway.process.log()
    );

    // A page of another origin, even with a credential: 403.
    let (status, _, body) = exchange(
        address,
        "POST",
        "/mcp/files",
        &[ACCEPT, JSON, auth, ("Origin", "http://evil.example")],
        &initialize(),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("evil.example"), "{body}");
    assert!(!gateway.process.log().contains("opened for agent"));

    // This machine's page, with the credential: a session.
    let (status, headers, body) = exchange(
        address,
        "POST",
        "/mcp/files",
        &[
            ACCEPT,
            JSON,
            auth,
            (
                "Origin",
                &format!("http://localhost:{}", address.rsplit(':').next().unwrap()),
            ),
        ],
        &initialize(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "text/event-stream", "{headers:?}");
    assert_eq!(
        events(&body)[0]["result"]["serverInfo"]["name"],
        "secure-filesystem-server",
        "{body}"
    );
    let session = headers["mcp-session-id"].clone();
    let with_session = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut all = vec![
            ACCEPT,
            JSON,
            ("Mcp-Session-Id", session.as_str()),
            ("MCP-Protocol-Version", "2025-06-18"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect::<Vec<_>>();
        all.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        all
    };
    let send = |extra: &[(&'static str, &str)], body: &str| {
        let headers = with_session(extra);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        exchange(address, "POST", "/mcp/files", &headers, body)
    };
    let (status, _, body) = send(
        &[auth],
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
    );
    assert_eq!(status, 202, "{body}");

    // A write in the workspace, which policy allows, sent into the session without the
    // credential, with a guessed one and with another agent's: never forwarded.
    let file = setup.work().join("written.txt");
    let write = |id: u64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
            "name": "write_file", "arguments": {"path": file.to_str().unwrap(), "content": "x"}}})
        .to_string()
    };
    let (status, _, body) = send(&[], &write(2));
    assert_eq!(status, 401, "{body}");
    let (status, _, body) = send(&[("Authorization", "Bearer hpa.claude.guessed")], &write(3));
    assert_eq!(status, 401, "{body}");
    let others = format!("Bearer {other}");
    let (status, _, body) = send(&[("Authorization", &others)], &write(4));
    assert_eq!(status, 404, "another agent's session is not found: {body}");
    // Headers that name another call than the body (2026-07-28's Mcp-Method, Mcp-Name).
    let (status, _, body) = send(&[auth, ("Mcp-Name", "read_text_file")], &write(9));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Mcp-Name"), "{body}");
    assert!(!file.exists(), "a refused request reached the server");

    // The same write with the session's own credential runs: the test can see one.
    let (status, _, body) = send(&[auth], &write(5));
    assert_eq!(status, 200, "{body}");
    let answer = events(&body);
    assert_eq!(answer.last().unwrap()["id"], 5, "{body}");
    assert!(
        answer.last().unwrap()["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Successfully wrote"),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");

    // The transport's other answers.
    let (status, _, body) = send(&[auth, ("Origin", "https://evil.example")], &write(6));
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = exchange(
        address,
        "GET",
        "/mcp/files",
        &[auth, ("Accept", "text/event-stream")],
        "",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Mcp-Session-Id"), "{body}");
    let (status, _, body) = exchange(
        address,
        "POST",
        "/mcp/files",
        &[ACCEPT, JSON, auth],
        &write(7),
    );
    assert_eq!(status, 400, "no session id: {body}");
    let (status, _, body) = exchange(
        address,
        "POST",
        "/mcp/nothing",
        &[ACCEPT, JSON, auth],
        &initialize(),
    );
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("/mcp/files"), "{body}");
    let (status, _, body) = send(&[auth], "{not json");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("-32700"), "{body}");

    // DELETE ends the session; it is then gone.
    let (status, _, _) = exchange(
        address,
        "DELETE",
        "/mcp/files",
        &[auth, ("Mcp-Session-Id", session.as_str())],
        "",
    );
    assert_eq!(status, 204);
    let (status, _, body) = send(&[auth], &write(8));
    assert_eq!(status, 404, "{body}");

    // Only the write made with the credential was decided.
    let started = Instant::now();
    let records = loop {
        let records = mcp_records(&setup, "files");
        if records.iter().any(|r| r["kind"] == "executed")
            || started.elapsed() > Duration::from_secs(20)
        {
            break records;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let proposed = records.iter().filter(|r| r["kind"] == "proposed").count();
    assert_eq!(proposed, 1, "{records:#?}");
}

#[test]
fn a_held_write_approved_while_the_agent_waits_over_http_runs_once() {
    let setup = Setup::new("mcp-http-wait");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let outside = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("holdpoint-mcp-http-wait-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    let target = outside.join("approved.txt");
    setup.config(&format!(
        "{}wait = \"40s\"\n",
        files_entry(&[outside.to_str().unwrap()])
    ));
    let gateway = Gateway::start(&setup, &[]);
    python_sdk();
    let plan = json!({
        "url": gateway.url("files"),
        "headers": {"Authorization": format!("Bearer {token}")},
        "progress": true,
        "calls": [{"tool": "write_file", "arguments": {"path": target, "content": "approved"}}],
    });
    let file = setup.scratch.0.join("http-wait-plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut agent = Command::new("python3")
        .arg(data("mcp/agent.py"))
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(agent.stdout.take().unwrap()).lines();
    let started = Instant::now();
    // The agent gives up after 60 s, which ends its output.
    let (result, approved, seen) = approve_when_held(&setup, &mut lines, &target);
    let written = std::fs::read_to_string(&target);
    let _ = std::fs::remove_dir_all(&outside);
    assert!(approved.is_some(), "no progress came: {seen:?}");
    assert_eq!(result["isError"], false, "{seen:?}");
    assert_eq!(written.unwrap(), "approved");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "answered within the wait"
    );
    assert!(agent.wait().unwrap().success());
    // Proposed twice (held, then let through as the approved action) and run once.
    let records = mcp_records(&setup, "files");
    let count = |kind: &str| records.iter().filter(|r| r["kind"] == kind).count();
    assert_eq!(count("proposed"), 2, "{records:#?}");
    assert_eq!(count("executed"), 1, "{records:#?}");
}

#[test]
fn a_server_the_gateway_starts_gets_its_entrys_env_and_none_of_the_gateways_credentials() {
    let setup = Setup::new("mcp-http-env");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    setup.config(&format!(
        "[[mcp]]\nname = \"envs\"\ncommand = \"python3\"\nargs = [\"{}\"]\nenv = {{ GIVEN = \"given-value\", FROM_ENV = \"env:TEST_SECRET_FOR_ENVS\" }}\nenvironment = \"development\"\n",
        data("mcp/env_server.py")
    ));
    let mut gateway = Gateway::start(
        &setup,
        &[
            ("TEST_SECRET_FOR_ENVS", "secret-for-envs"),
            ("TEST_OTHER_CREDENTIAL", "another-servers-secret"),
        ],
    );
    let variable = |name: &str| ("variable", json!({ "name": name }));
    let lines = agent(
        &setup,
        &gateway.url("envs"),
        json!({"Authorization": format!("Bearer {token}")}),
        &[
            variable("GIVEN"),
            variable("FROM_ENV"),
            variable("TEST_OTHER_CREDENTIAL"),
            variable("PATH"),
        ],
    );
    assert_eq!(
        gateway.process.terminate(),
        Some(0),
        "{}",
        gateway.process.log()
    );
    let texts: Vec<&str> = lines[2..6]
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts[0], "given-value", "{lines:?}");
    assert_eq!(texts[1], "secret-for-envs", "{lines:?}");
    assert_eq!(texts[2], "unset", "{lines:?}");
    // What a program needs still passes (a Python shim may add to the front of PATH).
    assert!(
        texts[3].ends_with(&std::env::var("PATH").unwrap()),
        "{lines:?}"
    );
}

/// A free loopback port, for a server of the test's own.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Streamable HTTP server of `upstream.py`, stopped when dropped.
struct Upstream {
    child: std::process::Child,
    port: u16,
    journal: std::path::PathBuf,
}

impl Upstream {
    fn start(setup: &Setup, token: &str) -> Self {
        python_sdk();
        let port = free_port();
        let journal = setup.scratch.0.join("upstream.jsonl");
        let child = Command::new("python3")
            .arg(data("mcp/upstream.py"))
            .arg(port.to_string())
            .arg(token)
            .arg(&journal)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the upstream MCP server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Upstream {
            child,
            port,
            journal,
        }
    }

    /// What reached it, each request checked to carry holdpoint's credential `secret`
    /// and the `X-Upstream-Key` from holdpoint's environment, never the agent's.
    fn journal_from_holdpoint(&self, secret: &str) -> Vec<Value> {
        let journal = self.journal();
        for entry in &journal {
            assert_eq!(
                entry["authorization"],
                format!("Bearer {secret}"),
                "every request carries holdpoint's credential, never the agent's: {entry}"
            );
            assert_eq!(entry["key"], "key-from-env", "{entry}");
        }
        journal
    }

    /// What reached it: one entry per HTTP request.
    fn journal(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.journal)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_upstream_over_http_gets_holdpoints_credential_and_never_a_held_call() {
    let setup = Setup::new("mcp-http-upstream");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let secret = "upstream-secret-7f3a";
    let upstream = Upstream::start(&setup, secret);
    // The bearer token from a file, another header from holdpoint's environment.
    std::fs::create_dir_all(setup.home.join("credentials")).unwrap();
    let token_file = setup.home.join("credentials/upstream.token");
    std::fs::write(&token_file, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(
        &token_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    setup.config(&format!(
        "[[mcp]]\nname = \"remote\"\nurl = \"http://127.0.0.1:{}/mcp\"\nbearer = \"file:credentials/upstream.token\"\nheaders = {{ \"X-Upstream-Key\" = \"env:TEST_UPSTREAM_KEY\" }}\nenvironment = \"development\"\n",
        upstream.port
    ));
    let mut gateway = Gateway::start(&setup, &[("TEST_UPSTREAM_KEY", "key-from-env")]);
    let lines = agent(
        &setup,
        &gateway.url("remote"),
        json!({"Authorization": format!("Bearer {token}")}),
        &[
            ("add", json!({"a": 2, "b": 3})),
            ("drop_database", json!({"name": "orders"})),
        ],
    );
    assert_eq!(lines[0]["server"], "holdpoint-test-upstream", "{lines:?}");
    assert_eq!(
        lines[1]["tools"],
        json!(["add", "drop_database"]),
        "{lines:?}"
    );
    assert_eq!(lines[2]["isError"], false, "{lines:?}");
    assert_eq!(lines[2]["text"], "5", "{lines:?}");
    assert_held(&lines[3], &lines);
    assert_eq!(
        gateway.process.terminate(),
        Some(0),
        "{}",
        gateway.process.log()
    );

    let journal = upstream.journal_from_holdpoint(secret);
    assert!(journal.len() >= 4, "{journal:#?}");
    let calls: Vec<&Value> = journal
        .iter()
        .filter(|e| e["rpc"] == "tools/call")
        .map(|e| &e["tool"])
        .collect();
    assert_eq!(
        calls,
        [&json!("add")],
        "the held drop never reached the server: {journal:#?}"
    );
    assert!(
        journal.iter().any(|e| e["method"] == "DELETE"),
        "the upstream's session is ended with the agent's: {journal:#?}"
    );
    let records = mcp_records(&setup, "remote");
    let decided = records.iter().filter(|r| r["kind"] == "decided").count();
    assert_eq!(decided, 2, "{records:#?}");
}

#[test]
fn bursts_of_calls_to_an_upstream_reuse_its_connections() {
    // An agent with several calls in flight at once, again and again: each burst is
    // answered in full, and the server sees no more connections than calls at once
    // (plus the gateway's own stream), not a new connection for nearly every call.
    const BURST: usize = 8;
    const BURSTS: usize = 4;
    let setup = Setup::new("mcp-http-burst");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let secret = "upstream-secret-burst";
    let upstream = Upstream::start(&setup, secret);
    setup.config(&format!(
        "[[mcp]]\nname = \"remote\"\nurl = \"http://127.0.0.1:{}/mcp\"\nbearer = \"env:TEST_UPSTREAM_TOKEN\"\nenvironment = \"development\"\n",
        upstream.port
    ));
    let mut gateway = Gateway::start(&setup, &[("TEST_UPSTREAM_TOKEN", secret)]);
    let auth = format!("Bearer {token}");
    let session = session_by_hand(&gateway.address, "remote", &auth);
    let mut id = 10;
    for burst in 0..BURSTS {
        let calls: Vec<_> = (0..BURST)
            .map(|n| {
                id += 1;
                let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": "add", "arguments": {"a": burst, "b": n}}})
                .to_string();
                let (address, auth, session) =
                    (gateway.address.clone(), auth.clone(), session.clone());
                std::thread::spawn(move || {
                    let (status, _, body) = exchange(
                        &address,
                        "POST",
                        "/mcp/remote",
                        &[
                            ACCEPT,
                            JSON,
                            ("Authorization", &auth),
                            ("Mcp-Session-Id", &session),
                        ],
                        &body,
                    );
                    assert_eq!(status, 200, "{body}");
                    events(&body)
                })
            })
            .collect();
        for (n, call) in calls.into_iter().enumerate() {
            let answer = call.join().unwrap();
            let result = &answer.last().unwrap()["result"];
            assert_eq!(
                result["isError"], false,
                "burst {burst}, call {n}: {answer:?}"
            );
            assert_eq!(
                result["content"][0]["text"],
                (burst + n).to_string(),
                "burst {burst}, call {n}: {answer:?}"
            );
        }
    }
    let journal = upstream.journal();
    let calls: Vec<&Value> = journal
        .iter()
        .filter(|e| e["rpc"] == "tools/call")
        .collect();
    assert_eq!(calls.len(), BURST * BURSTS, "{journal:#?}");
    let connections: std::collections::BTreeSet<u64> =
        journal.iter().filter_map(|e| e["port"].as_u64()).collect();
    assert!(
        connections.len() <= BURST + 2,
        "{} requests came on {} connections: {connections:?}",
        journal.len(),
        connections.len()
    );
    assert_eq!(
        gateway.process.terminate(),
        Some(0),
        "{}",
        gateway.process.log()
    );
}

#[test]
fn a_remote_server_installed_behind_the_gateway_keeps_its_credentials_from_the_agent() {
    let setup = Setup::new("mcp-http-install");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let secret = "upstream-secret-install-51c2";
    let upstream = Upstream::start(&setup, secret);
    // Claude Code's project file: the server's token written out, another header from
    // the environment, as its documentation shows them.
    let mcp_json = setup.work().join(".mcp.json");
    let original = json!({"mcpServers": {"remote": {
        "type": "http",
        "url": format!("http://127.0.0.1:{}/mcp", upstream.port),
        "headers": {"Authorization": format!("Bearer {secret}"),
                    "X-Upstream-Key": "${TEST_UPSTREAM_KEY}"},
        "timeout": 20000
    }}});
    std::fs::write(&mcp_json, serde_json::to_string_pretty(&original).unwrap()).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let project = setup.work().to_str().unwrap().to_owned();
    let gateway_url = format!("http://{listen}");
    let install = [
        "install",
        "mcp",
        "claude-code",
        "--project",
        &project,
        "--gateway",
        &gateway_url,
    ];
    let output = setup.run(&install, "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!(
            "remote: now reached through holdpoint's gateway at http://{listen}/mcp/remote"
        )),
        "{}",
        stdout(&output)
    );

    // The agent's file holds no credential of the server's, only where the gateway is
    // and which variable holds the agent's own.
    let text = std::fs::read_to_string(&mcp_json).unwrap();
    assert!(!text.contains(secret), "{text}");
    let entry = &serde_json::from_str::<Value>(&text).unwrap()["mcpServers"]["remote"];
    assert_eq!(
        entry["url"],
        format!("http://{listen}/mcp/remote"),
        "{entry}"
    );
    assert_eq!(
        entry["headers"],
        json!({"Authorization": "Bearer ${HOLDPOINT_AGENT_TOKEN}"}),
        "{entry}"
    );
    assert_eq!(entry["type"], "http");
    assert_eq!(entry["timeout"], 20000);
    let kept = setup.home.join("credentials/mcp-remote.bearer");
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        format!("{secret}\n")
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&kept).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "{}", kept.display());
    // Installing again changes nothing.
    let output = setup.run(&install, "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&mcp_json).unwrap(), text);

    // The agent, with the header as Claude Code expands it, reaches the server through
    // the gateway, which sends holdpoint's credentials and decides its calls: a tool
    // holdpoint does not know is held in production, and never reaches the server.
    let mut gateway = Gateway::start_at(&setup, &listen, &[("TEST_UPSTREAM_KEY", "key-from-env")]);
    let lines = agent(
        &setup,
        entry["url"].as_str().unwrap(),
        json!({"Authorization": format!("Bearer {token}")}),
        &[("add", json!({"a": 2, "b": 3}))],
    );
    assert_eq!(lines[0]["server"], "holdpoint-test-upstream", "{lines:?}");
    assert_eq!(
        lines[1]["tools"],
        json!(["add", "drop_database"]),
        "{lines:?}"
    );
    assert_held(&lines[2], &lines);
    assert_eq!(
        gateway.process.terminate(),
        Some(0),
        "{}",
        gateway.process.log()
    );
    let journal = upstream.journal_from_holdpoint(secret);
    assert!(
        journal.iter().any(|e| e["rpc"] == "tools/list"),
        "{journal:#?}"
    );
    assert!(
        !journal.iter().any(|e| e["rpc"] == "tools/call"),
        "{journal:#?}"
    );

    // Uninstalling gives the agent its server back as it was.
    let mut uninstall = install;
    uninstall[0] = "uninstall";
    let output = setup.run(&uninstall, "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let restored: Value =
        serde_json::from_str(&std::fs::read_to_string(&mcp_json).unwrap()).unwrap();
    assert_eq!(restored, original);
}

#[test]
fn a_bad_mcp_entry_stops_the_gateway_saying_what_to_write() {
    let setup = Setup::new("mcp-http-config");
    let check = |config: &str, env: &[(&str, &str)], expected: &str| {
        setup.config(config);
        let mut command = setup.command(&["mcp", "--listen", "127.0.0.1:0"]);
        command
            .envs(env.iter().copied())
            .env_remove("TEST_MISSING_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // A gateway that took the entry would serve until stopped: it is given 20 s.
        let mut child = command.spawn().unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{config}\n{text}");
        assert!(
            text.contains(expected),
            "{config}\nwanted `{expected}` in:\n{text}"
        );
    };
    check("", &[], "lists no [[mcp]] server");
    check(
        "[[mcp]]\nname = \"gh\"\nurl = \"https://example.com/mcp\"\nbearer = \"ghp_plaintext\"\n",
        &[],
        "a credential never is",
    );
    check(
        "[[mcp]]\nname = \"gh\"\nurl = \"https://example.com/mcp\"\nheaders = { \"X-Key\" = \"plain\" }\n",
        &[],
        "write `env:VARIABLE`",
    );
    check(
        "[[mcp]]\nname = \"gh\"\nurl = \"https://example.com/mcp\"\nbearer = \"env:TEST_MISSING_TOKEN\"\n",
        &[],
        "`TEST_MISSING_TOKEN`, which is not set",
    );
    check(
        "[[mcp]]\nname = \"gh\"\nurl = \"https://example.com/mcp\"\nbearer = \"file:nowhere.token\"\n",
        &[],
        "nowhere.token",
    );
    check(
        "[[mcp]]\nname = \"x\"\nurl = \"https://example.com/mcp\"\ncommand = \"npx\"\n",
        &[],
        "has both `url` and `command`",
    );
    check(
        "[[mcp]]\nname = \"x\"\n",
        &[],
        "has neither `url` nor `command`",
    );
    check(
        "[[mcp]]\nname = \"a/b\"\ncommand = \"npx\"\n",
        &[],
        "cannot be a path",
    );
    check(
        "[[mcp]]\nname = \"x\"\nurl = \"ftp://example.com\"\n",
        &[],
        "must be an http:// or https:// address",
    );
    check(
        "[[mcp]]\nname = \"x\"\ncommand = \"npx\"\n[[mcp]]\nname = \"x\"\ncommand = \"npx\"\n",
        &[],
        "two `[[mcp]]` entries are named `x`",
    );
    check(
        "[[mcp]]\nname = \"x\"\ncommand = \"npx\"\nbearer = \"env:T\"\n",
        &[],
        "`headers` and `bearer` are for a `url` server",
    );
}

#[test]
fn a_full_gateway_ends_the_agents_own_least_recent_session_and_never_anothers() {
    let setup = Setup::new("mcp-http-full");
    setup.add_human("alice", None);
    let claude = setup.add_agent("claude");
    let codex = setup.add_agent("codex");
    let third = setup.add_agent("third");
    let (_server, url) = crate::mcp_conformance::fixture();
    setup.config(&format!(
        "[[mcp]]\nname = \"fixture\"\nurl = \"{url}\"\nenvironment = \"development\"\n"
    ));
    let gateway = Gateway::start(&setup, &[]);
    let post = |token: &str, session: Option<&str>, body: &str| {
        let auth = format!("Bearer {token}");
        let mut headers = vec![ACCEPT, JSON, ("Authorization", auth.as_str())];
        if let Some(session) = session {
            headers.push(("Mcp-Session-Id", session));
        }
        exchange(&gateway.address, "POST", "/mcp/fixture", &headers, body)
    };
    let open = |token: &str| {
        let (status, headers, body) = post(token, None, &initialize());
        assert_eq!(status, 200, "{body}\n{}", gateway.log());
        headers["mcp-session-id"].clone()
    };
    let ping = r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#;
    let alive = |token: &str, session: &str| post(token, Some(session), ping).0 == 200;
    // Clients often leave without DELETE: two agents fill the gateway, each with its
    // share of 32 sessions.
    let first = open(&claude);
    let second = open(&claude);
    for _ in 2..32 {
        open(&claude);
    }
    let codex_first = open(&codex);
    for _ in 1..32 {
        open(&codex);
    }
    // A third agent is refused; nobody's session is ended for it.
    let (status, _, body) = post(&third, None, &initialize());
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("none of them this agent's"), "{body}");
    assert!(alive(&claude, &first) && alive(&codex, &codex_first));
    // Claude's next session ends the one of its own it used least recently: not
    // `first`, which it just used, but `second`; codex's are untouched.
    open(&claude);
    assert!(alive(&claude, &first));
    let (status, _, body) = post(&claude, Some(&second), ping);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no such MCP session"), "{body}");
    assert!(alive(&codex, &codex_first));
    assert!(
        gateway
            .log()
            .contains("ending `claude`'s least recently used session to open another"),
        "{}",
        gateway.log()
    );
}

#[test]
fn the_servers_own_messages_reach_the_agent_on_its_get_stream() {
    python_sdk();
    // A server the gateway starts over stdio, and one it reaches over HTTP, where the
    // gateway listens on the server's own GET stream.
    let command = format!(
        "command = \"python3\"\nargs = [{:?}]",
        data("mcp/later_server.py")
    );
    told_later_on_the_get_stream("stdio", &command);
    let (_server, url) = crate::mcp_conformance::python_server("mcp/later_server.py", &[]);
    told_later_on_the_get_stream("http", &format!("url = \"{url}\""));
}

/// The `later` server of `entry` (its `command` or `url`) behind the gateway: the log
/// message it sends after its call was answered reaches the agent's GET stream.
fn told_later_on_the_get_stream(label: &str, entry: &str) {
    let setup = Setup::new(&format!("mcp-http-get-{label}"));
    setup.add_human("alice", None);
    let claude = setup.add_agent("claude");
    setup.config(&format!(
        "[[mcp]]\nname = \"later\"\n{entry}\nenvironment = \"development\"\n"
    ));
    let gateway = Gateway::start(&setup, &[]);
    let auth = format!("Bearer {claude}");
    let session = session_by_hand(&gateway.address, "later", &auth);
    let with_session = [
        ACCEPT,
        JSON,
        ("Authorization", auth.as_str()),
        ("Mcp-Session-Id", session.as_str()),
    ];

    // A GET without the session, or not asking for an event stream, is refused.
    let (status, _, body) = exchange(
        &gateway.address,
        "GET",
        "/mcp/later",
        &[("Accept", "text/event-stream"), ("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = exchange(
        &gateway.address,
        "GET",
        "/mcp/later",
        &[
            ("Accept", "application/json"),
            ("Authorization", &auth),
            ("Mcp-Session-Id", &session),
        ],
        "",
    );
    assert_eq!(status, 406);

    // The agent's GET stream stays open and carries what the server says on its own.
    let mut listening = TcpStream::connect(&gateway.address).unwrap();
    listening
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        listening,
        "GET /mcp/later HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nAuthorization: {auth}\r\nMcp-Session-Id: {session}\r\n\r\n",
        gateway.address
    )
    .unwrap();
    let call = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"later","arguments":{}}}"#;
    let (status, _, body) = exchange(&gateway.address, "POST", "/mcp/later", &with_session, call);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("scheduled"), "{body}");
    // The call's stream has ended; the log message comes half a second later, on the
    // GET stream.
    let mut seen = Vec::new();
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("told later") {
        let read = listening.read(&mut buffer);
        if read
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::Interrupted)
        {
            continue;
        }
        let n = read.unwrap_or_else(|e| {
            panic!(
                "the GET stream carried nothing more: {e}\n{}\n{}",
                String::from_utf8_lossy(&seen),
                gateway.log()
            )
        });
        assert!(
            n > 0,
            "the GET stream ended: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..n]);
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("text/event-stream"), "{text}");
    assert!(text.contains("notifications/message"), "{text}");
    assert!(
        !gateway.log().contains("dropped a message for the agent"),
        "{}",
        gateway.log()
    );
}

/// A gateway in front of `modern_server.py`, a server of MCP 2026-07-28 alone, as the
/// entry `modern` with `extra` lines: the setup, the agent `claude`'s credential, the
/// server's journal, the server and the gateway.
pub(crate) fn modern_world(
    label: &str,
    extra: &str,
) -> (
    Setup,
    String,
    std::path::PathBuf,
    crate::mcp_conformance::Running,
    Gateway,
) {
    let setup = Setup::new(label);
    setup.add_human("alice", None);
    let claude = setup.add_agent("claude");
    let journal = setup.scratch.0.join("modern.jsonl");
    let (server, url) =
        crate::mcp_conformance::python_server("mcp/modern_server.py", &[journal.to_str().unwrap()]);
    setup.config(&format!(
        "[[mcp]]\nname = \"modern\"\nurl = \"{url}\"\nenvironment = \"development\"\n{extra}"
    ));
    let gateway = Gateway::start(&setup, &[]);
    (setup, claude, journal, server, gateway)
}

#[test]
fn a_2026_07_28_servers_question_reaches_a_2025_11_25_agent_and_its_answer_goes_back() {
    let (setup, claude, journal, _server, gateway) =
        modern_world("mcp-http-modern-ask", "elicitation = true\n");
    // The server answers `ask` with `input_required`; the agent, which speaks
    // 2025-11-25, is asked the question as an elicitation of the server's, and its
    // answer goes back with the server's own requestState.
    let plan = json!({
        "url": gateway.url("modern"),
        "headers": {"Authorization": format!("Bearer {claude}")},
        "calls": [{"tool": "ask", "arguments": {}}],
        "answers": {"Which one?": {"pick": "b"}},
    });
    let lines = run_agent(&setup, &plan, 5);
    assert_eq!(lines[2], json!({"asked": "Which one?"}), "{lines:?}");
    assert_eq!(
        lines[3],
        json!({"isError": false, "text": "chose accept {\"pick\": \"b\"}"}),
        "{lines:?}\n{}",
        gateway.log()
    );
    let asks: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["body"]["params"]["name"] == "ask")
        .collect();
    assert_eq!(asks.len(), 2, "{asks:#?}");
    assert!(asks[0]["body"]["params"].get("inputResponses").is_none());
    let again = &asks[1]["body"]["params"];
    assert_eq!(again["requestState"], "ask-state-1", "{again}");
    assert_eq!(
        again["inputResponses"],
        json!({"q": {"action": "accept", "content": {"pick": "b"}}}),
        "{again}"
    );
    // The same call, asked twice of the server, was decided once.
    let decided = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "decided")
        .count();
    assert_eq!(decided, 1, "{}", gateway.log());
}

#[test]
fn a_server_that_speaks_only_2026_07_28_is_reached_for_a_2025_11_25_agent() {
    let (setup, claude, journal, _server, gateway) = modern_world("mcp-http-modern", "");
    let lines = agent(
        &setup,
        &gateway.url("modern"),
        json!({"Authorization": format!("Bearer {claude}")}),
        &[
            ("echo", json!({"text": "hi"})),
            ("ask", json!({})),
            ("route", json!({"region": "Région Nord", "priority": 3})),
        ],
    );
    // The agent's `initialize` is answered from what the server says of itself.
    assert_eq!(lines[0]["server"], "holdpoint-test-modern", "{lines:?}");
    assert_eq!(
        lines[1]["tools"],
        json!(["ask", "echo", "route"]),
        "{lines:?}"
    );
    assert_eq!(lines[2], json!({"isError": false, "text": "echo: hi"}));
    // The arguments `route`'s schema marks with `x-mcp-header` went as headers too,
    // which the server requires: the non-ASCII one wrapped in base64.
    assert_eq!(
        lines[4],
        json!({"isError": false, "text": "routed to Région Nord at 3"}),
        "{lines:?}"
    );
    // A result that asks for more input puts its question to the agent only where the
    // entry passes elicitation: here the call fails, saying so.
    assert_eq!(lines[3]["isError"], true, "{lines:?}");
    let text = lines[3]["text"].as_str().unwrap();
    assert!(
        text.contains("asked for more input, and the question was not answered")
            && text.contains("holdpoint does not pass `elicitation/create`"),
        "{lines:?}"
    );
    let log = gateway.log();
    assert!(log.contains("speaks only MCP 2026-07-28"), "{log}");

    // What the server received: `initialize` once (refused), then requests in the
    // 2026-07-28 way, and no session, notification or GET.
    let requests: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let methods: Vec<&str> = requests
        .iter()
        .map(|r| r["body"]["method"].as_str().unwrap_or("(none)"))
        .collect();
    assert_eq!(methods.first(), Some(&"initialize"), "{methods:?}");
    assert!(methods.contains(&"server/discover"), "{methods:?}");
    assert_eq!(methods.iter().filter(|m| **m == "tools/call").count(), 3);
    let routed = requests
        .iter()
        .find(|r| r["body"]["params"]["name"] == "route")
        .unwrap();
    assert_eq!(
        routed["headers"]["mcp-param-region"], "=?base64?UsOpZ2lvbiBOb3Jk?=",
        "{routed}"
    );
    assert_eq!(routed["headers"]["mcp-param-priority"], "3", "{routed}");
    // Only the marked arguments are mirrored, and only on the calls of that tool.
    for request in &requests {
        let mirrored = request["headers"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("mcp-param-"))
            .count();
        let expected = if request == routed { 2 } else { 0 };
        assert_eq!(mirrored, expected, "{request}");
    }
    for request in requests.iter().skip(1) {
        let headers = &request["headers"];
        let body = &request["body"];
        assert!(
            body.get("id").is_some(),
            "a notification reached it: {request}"
        );
        assert_eq!(headers["mcp-protocol-version"], "2026-07-28", "{request}");
        assert_eq!(headers["mcp-method"], body["method"], "{request}");
        assert!(headers.get("mcp-session-id").is_none(), "{request}");
        let meta = &body["params"]["_meta"];
        assert_eq!(
            meta["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        assert!(meta["io.modelcontextprotocol/clientCapabilities"].is_object());
        assert!(meta["io.modelcontextprotocol/clientInfo"]["name"].is_string());
        if body["method"] == "tools/call" {
            assert_eq!(headers["mcp-name"], body["params"]["name"], "{request}");
        }
    }
    // A client that sends answers to questions it was never asked (`inputResponses`,
    // `requestState`) or a `_meta` of its own does not get them past the gateway.
    let auth = format!("Bearer {claude}");
    let session = session_by_hand(&gateway.address, "modern", &auth);
    let with_session = [
        ACCEPT,
        JSON,
        ("Authorization", auth.as_str()),
        ("Mcp-Session-Id", session.as_str()),
    ];
    let smuggled = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "ask", "arguments": {},
        "inputResponses": {"q": {"action": "accept", "content": {"confirm": true}}},
        "requestState": "forged",
        "_meta": "not an object"}});
    let (status, _, body) = exchange(
        &gateway.address,
        "POST",
        "/mcp/modern",
        &with_session,
        &smuggled.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let calls: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["body"]["method"] == "tools/call")
        .collect();
    // The agent's three calls and this one.
    assert_eq!(calls.len(), 4, "{calls:#?}");
    let last_call = &calls[3];
    let params = &last_call["body"]["params"];
    assert_eq!(params["name"], "ask", "{last_call}");
    assert!(params.get("inputResponses").is_none(), "{last_call}");
    assert!(params.get("requestState").is_none(), "{last_call}");
    assert_eq!(
        params["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28",
        "{last_call}"
    );

    // The calls were decided and recorded like any other.
    let records = mcp_records(&setup, "modern");
    assert!(
        records.iter().filter(|r| r["kind"] == "decided").count() >= 2,
        "{records:#?}"
    );
}
