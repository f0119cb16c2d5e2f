//! `holdpoint mcp --listen` serving agents of MCP's 2026-07-28 revision (no
//! `initialize`, no sessions, per-request `_meta`, headers that mirror the body). The
//! agent is the TypeScript SDK's client from npm, pinned to that revision; behind the
//! gateway is the reference filesystem server, which speaks 2025-11-25. What the
//! revision says a server must refuse is sent by hand.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::mcp_gateway::{Outside, agent_lines, npm_cache};
use crate::mcp_http::{Gateway, files_entry};
use crate::setup::Setup;
use crate::{data, stdout};

/// The client package and the version its tests were written against.
const CLIENT: &str = "@modelcontextprotocol/client@2.4.0";

/// The TypeScript SDK's client, installed with npm when missing: its ESM entry.
fn ts_client() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let cache = npm_cache();
            let entry = cache.join("node_modules/@modelcontextprotocol/client/dist/index.mjs");
            if !entry.exists() {
                let status = Command::new("npm")
                    .args(["install", "--silent", "--prefix"])
                    .arg(&cache)
                    .arg(CLIENT)
                    .status()
                    .unwrap_or_else(|e| {
                        panic!("the 2026-07-28 tests need npm to install {CLIENT}: {e}; install Node.js and npm, or run .ci/run")
                    });
                assert!(status.success(), "npm install {CLIENT} failed");
            }
            assert!(entry.exists(), "{} is missing after npm install", entry.display());
            entry
        })
        .clone()
}

/// Runs the 2026-07-28 agent against `url` with `token`, making `calls`; the lines it
/// printed.
fn modern_agent(setup: &Setup, url: &str, token: &str, calls: &[Value]) -> Vec<Value> {
    let plan = json!({"url": url, "token": token, "calls": calls});
    let file = setup.scratch.0.join("modern-plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut command = Command::new("node");
    command
        .arg(data("mcp/modern_agent.mjs"))
        .arg(&file)
        .env("MCP_CLIENT", ts_client());
    agent_lines(command, calls.len() + 2)
}

#[test]
fn a_2026_07_28_agent_is_served_without_a_session_and_every_call_is_decided() {
    let setup = Setup::new("mcp-modern-sdk");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let work = setup.work().to_str().unwrap().to_owned();
    std::fs::write(setup.work().join("notes.md"), "hello in 2026\n").unwrap();
    let outside = Outside::new("modern-sdk");
    let target = outside.0.join("release.txt");
    setup.config(&files_entry(&[&work, outside.0.to_str().unwrap()]));
    let mut gateway = Gateway::start(&setup, &[]);
    let lines = modern_agent(
        &setup,
        &gateway.url("files"),
        &token,
        &[
            json!({"tool": "read_text_file", "arguments": {"path": format!("{work}/notes.md")}}),
            json!({"tool": "write_file", "arguments": {"path": target.to_str().unwrap(), "content": "v1"}}),
        ],
    );
    // The client pinned to 2026-07-28 found it served: the revision, and the server's
    // name from server/discover.
    assert_eq!(
        lines[0],
        json!({"version": "2026-07-28", "server": "secure-filesystem-server"}),
        "{}",
        gateway.log()
    );
    let tools = lines[1]["tools"].as_array().unwrap();
    assert!(tools.contains(&json!("read_text_file")), "{lines:?}");
    assert_eq!(
        lines[2],
        json!({"isError": false, "text": "hello in 2026\n"})
    );
    assert_eq!(lines[3]["isError"], true, "{lines:?}");
    let held = lines[3]["text"].as_str().unwrap();
    assert!(
        held.contains("holdpoint held this action for human approval"),
        "{held}"
    );
    assert!(!target.exists(), "the held write reached the server");
    // A second run of the agent goes through the same link.
    let again = modern_agent(&setup, &gateway.url("files"), &token, &[]);
    assert_eq!(again[0]["version"], "2026-07-28");
    assert_eq!(gateway.process.terminate(), Some(0), "{}", gateway.log());
    let log = gateway.log();
    assert_eq!(
        log.matches("serving `claude` in MCP 2026-07-28 through session")
            .count(),
        1,
        "{log}"
    );
    let records: Vec<Value> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "decided")
        .collect();
    let outcomes: Vec<&str> = records
        .iter()
        .map(|r| r["body"]["outcome"].as_str().unwrap())
        .collect();
    // The two tool lists are not decided; the read is allowed, the write held.
    assert_eq!(outcomes, ["allow", "ask"], "{records:#?}");
    for record in &records {
        assert_eq!(record["actors"]["agent"], "claude", "{record}");
    }
}

#[test]
fn a_held_call_whose_stream_the_agent_closes_never_runs_even_when_approved() {
    let setup = Setup::new("mcp-modern-cancel");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let outside = Outside::new("modern-cancel");
    let target = outside.0.join("abandoned.txt");
    setup.config(&files_entry(&[outside.0.to_str().unwrap()]));
    let mut gateway = Gateway::start(&setup, &[]);
    let lines = modern_agent(
        &setup,
        &gateway.url("files"),
        &token,
        &[json!({
            "tool": "write_file",
            "arguments": {"path": target.to_str().unwrap(), "content": "nobody waits"},
            "close_after_ms": 1500,
        })],
    );
    assert!(lines[2]["error"].is_string(), "{lines:?}");
    // The request is still pending for a human; approving it now runs nothing.
    let started = Instant::now();
    let id = loop {
        let listed = setup.run(&["approvals", "list", "--format", "json"], "");
        let pending: Value = serde_json::from_str(&stdout(&listed)).unwrap();
        if let Some(id) = pending[0]["id"].as_str() {
            break id.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the call was never held: {}",
            gateway.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let (code, text) = setup.approve(&id, "alice", setup.confirm_of(&id).as_deref());
    assert_eq!(code, Some(0), "{text}");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        assert!(!target.exists(), "the abandoned call ran after approval");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(gateway.process.terminate(), Some(0), "{}", gateway.log());
}

/// A 2026-07-28 request by hand: its body with `_meta` as the revision has it.
fn request(id: u64, method: &str, params: Value) -> String {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "by-hand", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

#[test]
fn what_the_revision_says_a_server_refuses_is_refused_before_anything_is_forwarded() {
    let setup = Setup::new("mcp-modern-refusals");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let work = setup.work().to_str().unwrap().to_owned();
    setup.config(&files_entry(&[&work]));
    let mut gateway = Gateway::start(&setup, &[]);
    let auth = format!("Bearer {token}");
    let post = |headers: &[(&str, &str)], body: &str| {
        let mut all = vec![
            ("Accept", "application/json, text/event-stream"),
            ("Content-Type", "application/json"),
            ("Authorization", auth.as_str()),
        ];
        all.extend_from_slice(headers);
        crate::mcp_http::exchange(&gateway.address, "POST", "/mcp/files", &all, body)
    };
    let modern = ("MCP-Protocol-Version", "2026-07-28");
    let error = |body: &str| -> Value {
        let value: Value = serde_json::from_str(body).unwrap();
        value["error"].clone()
    };
    // Discovery, answered from what the server announced.
    let (status, _, body) = post(
        &[modern, ("Mcp-Method", "server/discover")],
        &request(1, "server/discover", json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let discovered: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(discovered["id"], 1);
    assert_eq!(
        discovered["result"]["supportedVersions"],
        json!(["2026-07-28", "2025-11-25"])
    );
    assert_eq!(discovered["result"]["resultType"], "complete");
    assert_eq!(
        discovered["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "secure-filesystem-server"
    );
    assert!(
        discovered["result"]["capabilities"]["tools"].is_object(),
        "{body}"
    );
    // Headers that do not say what the body says: -32020, and nothing forwarded.
    let write =
        json!({"name": "write_file", "arguments": {"path": format!("{work}/x"), "content": "x"}});
    for (headers, why) in [
        (
            vec![
                modern,
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "read_text_file"),
            ],
            "Mcp-Name header value `read_text_file`",
        ),
        (
            vec![
                modern,
                ("Mcp-Method", "tools/list"),
                ("Mcp-Name", "write_file"),
            ],
            "Mcp-Method header value `tools/list`",
        ),
        (
            vec![modern, ("Mcp-Method", "tools/call")],
            "the Mcp-Name header is missing",
        ),
        (
            vec![modern, ("Mcp-Name", "write_file")],
            "the Mcp-Method header is missing",
        ),
        // The encoded form of another name is another name.
        (
            vec![
                modern,
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "=?base64?cmVhZF90ZXh0X2ZpbGU=?="),
            ],
            "does not match body value `write_file`",
        ),
    ] {
        let (status, _, body) = post(&headers, &request(2, "tools/call", write.clone()));
        assert_eq!(status, 400, "{headers:?}: {body}");
        assert_eq!(error(&body)["code"], -32020, "{body}");
        assert!(
            error(&body)["message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    // The encoded form of the same name is that name: the call goes on to be decided.
    let (status, _, body) = post(
        &[
            modern,
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "=?base64?d3JpdGVfZmlsZQ==?="),
        ],
        &request(3, "tools/call", write.clone()),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        std::path::Path::new(&format!("{work}/x")).exists(),
        "{body}"
    );
    // A body without the _meta the revision requires: invalid params.
    for meta in [
        Value::Null,
        json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"}),
    ] {
        let mut bare = serde_json::from_str::<Value>(&request(9, "tools/list", json!({}))).unwrap();
        bare["params"]["_meta"] = meta.clone();
        let (status, _, body) = post(&[modern, ("Mcp-Method", "tools/list")], &bare.to_string());
        assert_eq!(status, 400, "{meta}: {body}");
        assert_eq!(error(&body)["code"], -32602, "{meta}: {body}");
    }
    // A method the gateway does not know is not forwarded.
    let (status, _, body) = post(
        &[modern, ("Mcp-Method", "frobnicate/all")],
        &request(10, "frobnicate/all", json!({})),
    );
    assert_eq!(status, 404, "{body}");
    assert_eq!(error(&body)["code"], -32601, "{body}");
    // A body whose _meta names another revision than the header.
    let mut other = serde_json::from_str::<Value>(&request(4, "tools/list", json!({}))).unwrap();
    other["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2025-11-25");
    let (status, _, body) = post(&[modern, ("Mcp-Method", "tools/list")], &other.to_string());
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body)["code"], -32020, "{body}");
    // A revision after 2026-07-28: -32022, naming those the gateway speaks.
    let (status, _, body) = post(
        &[
            ("MCP-Protocol-Version", "2027-01-01"),
            ("Mcp-Method", "tools/list"),
        ],
        &request(5, "tools/list", json!({})),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body)["code"], -32022, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["id"],
        5,
        "{body}"
    );
    assert_eq!(
        error(&body)["data"]["supported"],
        json!(["2026-07-28", "2025-11-25"])
    );
    // What the revision removed, and what the gateway does not serve yet: 404, -32601.
    for method in [
        "ping",
        "initialize",
        "logging/setLevel",
        "subscriptions/listen",
        "tasks/get",
    ] {
        let (status, _, body) = post(
            &[modern, ("Mcp-Method", method)],
            &request(6, method, json!({})),
        );
        assert_eq!(status, 404, "{method}: {body}");
        assert_eq!(error(&body)["code"], -32601, "{method}: {body}");
    }
    // A list is a complete, private result that is not to be cached.
    let (status, _, body) = post(
        &[modern, ("Mcp-Method", "tools/list")],
        &request(7, "tools/list", json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let listed = crate::mcp_http::events(&body);
    let result = &listed.last().unwrap()["result"];
    assert_eq!(result["resultType"], "complete", "{body}");
    assert_eq!(result["ttlMs"], 0, "{body}");
    assert_eq!(result["cacheScope"], "private", "{body}");
    assert_eq!(listed.last().unwrap()["id"], 7);
    // No session is minted.
    let (_, headers, _) = post(
        &[modern, ("Mcp-Method", "tools/list")],
        &request(8, "tools/list", json!({})),
    );
    assert!(!headers.contains_key("mcp-session-id"), "{headers:?}");
    assert_eq!(gateway.process.terminate(), Some(0), "{}", gateway.log());
    // Only the call whose headers matched was decided.
    let decided = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "decided")
        .count();
    assert_eq!(decided, 1, "{}", gateway.log());
}
