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
    run_agent(
        setup,
        json!({"url": url, "token": token, "calls": calls}),
        calls.len() + 2,
    )
}

/// Runs the 2026-07-28 agent, which accepts each elicitation with the content `answers`
/// gives its message; the lines it printed, the last the messages it was asked.
fn answering_agent(
    setup: &Setup,
    url: &str,
    token: &str,
    calls: &[Value],
    answers: Value,
) -> Vec<Value> {
    let plan = json!({"url": url, "token": token, "calls": calls, "answers": answers});
    run_agent(setup, plan, calls.len() + 3)
}

fn run_agent(setup: &Setup, plan: Value, lines: usize) -> Vec<Value> {
    let file = setup.scratch.0.join("modern-plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut command = Command::new("node");
    command
        .arg(data("mcp/modern_agent.mjs"))
        .arg(&file)
        .env("MCP_CLIENT", ts_client());
    agent_lines(command, lines)
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
    let mut outcomes: Vec<&str> = records
        .iter()
        .map(|r| r["body"]["outcome"].as_str().unwrap())
        .collect();
    // The two tool lists are not decided; the read is allowed, the write held. A read's
    // records are written a little later than a held call's (they wait for others to
    // share a commit), so the two may be in either order.
    outcomes.sort_unstable();
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

/// How many decisions the ledger holds.
fn decided(setup: &Setup) -> usize {
    setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "decided")
        .count()
}

/// A 2026-07-28 request by hand: its body with `_meta` as the revision has it, from a
/// client that declares no capabilities.
fn request(id: u64, method: &str, params: Value) -> String {
    request_declaring(id, method, params, &json!({}))
}

/// A 2026-07-28 request by hand from a client that declares `capabilities`.
fn request_declaring(id: u64, method: &str, params: Value, capabilities: &Value) -> String {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "by-hand", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": capabilities,
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
        "resources/subscribe",
        "tasks/get",
    ] {
        let (status, _, body) = post(
            &[modern, ("Mcp-Method", method)],
            &request(6, method, json!({})),
        );
        assert_eq!(status, 404, "{method}: {body}");
        assert_eq!(error(&body)["code"], -32601, "{method}: {body}");
    }
    // A listen that does not say what it listens for is refused.
    let (status, _, body) = post(
        &[modern, ("Mcp-Method", "subscriptions/listen")],
        &request(6, "subscriptions/listen", json!({})),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body)["code"], -32602, "{body}");
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
    assert_eq!(decided(&setup), 1, "{}", gateway.log());
}

#[test]
fn arguments_mirrored_into_headers_must_say_what_the_body_says_on_both_sides_of_the_gateway() {
    // A server of the revision too, whose `route` marks `region` and `priority` with
    // `x-mcp-header` and refuses a call whose headers do not carry them.
    let (setup, token, journal, _server, mut gateway) =
        crate::mcp_http::modern_world("mcp-modern-params", "");
    let routed = || {
        std::fs::read_to_string(&journal)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| r["body"]["params"]["name"] == "route")
            .collect::<Vec<_>>()
    };
    // The SDK's client mirrors the marked arguments; the gateway checks them against
    // the body, decides the call, and mirrors them again for the server.
    let arguments = json!({"region": "Région Nord", "priority": 3});
    let lines = modern_agent(
        &setup,
        &gateway.url("modern"),
        &token,
        &[json!({"tool": "route", "arguments": arguments})],
    );
    assert_eq!(
        lines[2],
        json!({"isError": false, "text": "routed to Région Nord at 3"}),
        "{lines:?}\n{}",
        gateway.log()
    );
    assert_eq!(routed().len(), 1);
    // By hand, as the same agent: headers that lie about the arguments, or leave one
    // out, are refused with -32020 before anything is decided or forwarded.
    let auth = format!("Bearer {token}");
    let post = |params: &[(&str, &str)]| {
        let mut all = vec![
            ("Accept", "application/json, text/event-stream"),
            ("Content-Type", "application/json"),
            ("Authorization", auth.as_str()),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "route"),
        ];
        all.extend_from_slice(params);
        let body = request(
            20,
            "tools/call",
            json!({"name": "route", "arguments": arguments}),
        );
        crate::mcp_http::exchange(&gateway.address, "POST", "/mcp/modern", &all, &body)
    };
    // The server says its tool list changes, but the gateway does not listen to a
    // server of the revision: the agent is not told that it could be told.
    let (status, _, body) = crate::mcp_http::exchange(
        &gateway.address,
        "POST",
        "/mcp/modern",
        &[
            ("Accept", "application/json, text/event-stream"),
            ("Content-Type", "application/json"),
            ("Authorization", auth.as_str()),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "server/discover"),
        ],
        &request(19, "server/discover", json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let discovered: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        discovered["result"]["capabilities"],
        json!({"tools": {}}),
        "{body}"
    );
    // As an agent would, list the tools first: the headers checked are those of the
    // tools listed through the same link (requests that declare the same capabilities).
    let listing = [
        ("Accept", "application/json, text/event-stream"),
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/list"),
    ];
    let (status, _, body) = crate::mcp_http::exchange(
        &gateway.address,
        "POST",
        "/mcp/modern",
        &listing,
        &request(19, "tools/list", json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let wrapped = "=?base64?UsOpZ2lvbiBOb3Jk?=";
    for (params, why) in [
        (
            vec![
                ("Mcp-Param-Region", "Region Sud"),
                ("Mcp-Param-Priority", "3"),
            ],
            "Mcp-Param-Region header value `Region Sud` does not match body value `Région Nord`",
        ),
        (
            vec![("Mcp-Param-Priority", "3")],
            "the Mcp-Param-Region header is missing",
        ),
        (
            vec![("Mcp-Param-Region", wrapped), ("Mcp-Param-Priority", "1")],
            "Mcp-Param-Priority header value `1` does not match body value `3`",
        ),
        (
            vec![
                ("Mcp-Param-Region", "=?base64?UsOpZ2lvbiBOb3Jk?"),
                ("Mcp-Param-Priority", "3"),
            ],
            "Mcp-Param-Region header value `=?base64?UsOpZ2lvbiBOb3Jk?` does not match",
        ),
        (
            vec![
                ("Mcp-Param-Region", "=?base64?UsOp!!Z2lvbiBOb3Jk?="),
                ("Mcp-Param-Priority", "3"),
            ],
            "does not decode",
        ),
    ] {
        let (status, _, body) = post(&params);
        assert_eq!(status, 400, "{params:?}: {body}");
        let error = &serde_json::from_str::<Value>(&body).unwrap()["error"];
        assert_eq!(error["code"], -32020, "{body}");
        assert!(error["message"].as_str().unwrap().contains(why), "{body}");
    }
    assert_eq!(routed().len(), 1, "a refused call reached the server");
    // Headers that agree (the number written another way) are served.
    let (status, _, body) = post(&[("Mcp-Param-Region", wrapped), ("Mcp-Param-Priority", "3.0")]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("routed to Région Nord at 3"), "{body}");
    assert_eq!(routed().len(), 2);
    for call in routed() {
        assert_eq!(call["headers"]["mcp-param-region"], wrapped, "{call}");
        assert_eq!(call["headers"]["mcp-param-priority"], "3", "{call}");
    }
    assert_eq!(gateway.process.terminate(), Some(0), "{}", gateway.log());
    assert_eq!(decided(&setup), 2, "{}", gateway.log());
}

#[test]
fn a_2026_07_28_agent_that_listens_is_told_of_the_list_changes_it_asked_for() {
    let setup = Setup::new("mcp-modern-listen");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    // A server of 2025-11-25 that says its tool, prompt and resource lists change, and
    // tells its session so (on its own stream) when a call adds a tool.
    let (_fixture, url) = crate::mcp_conformance::fixture();
    setup.config(&format!(
        "[[mcp]]\nname = \"changing\"\nurl = \"{url}\"\nenvironment = \"development\"\n"
    ));
    let mut gateway = Gateway::start(&setup, &[]);
    let plan = json!({
        "url": gateway.url("changing"),
        "token": token,
        "listen": {
            "toolsListChanged": true,
            "promptsListChanged": true,
            "resourceSubscriptions": ["test://static-text"],
        },
        "calls": [{"tool": "test_add_tool", "arguments": {"name": "added_later"}}],
    });
    let lines = run_agent(&setup, plan, 5);
    // Acknowledged: the list changes asked for, not resource subscriptions, which the
    // gateway does not pass on.
    assert_eq!(
        lines[2],
        json!({"honoured": {"toolsListChanged": true, "promptsListChanged": true}}),
        "{lines:?}\n{}",
        gateway.log()
    );
    assert!(
        !lines[1]["tools"].to_string().contains("added_later"),
        "{lines:?}"
    );
    assert_eq!(
        lines[3],
        json!({"isError": false, "text": "added added_later"}),
        "{lines:?}"
    );
    // The change reached the agent once, on its listen stream, and the list it then
    // asked for has the new tool.
    assert_eq!(
        lines[4]["changes"],
        json!(["notifications/tools/list_changed"]),
        "{lines:?}\n{}",
        gateway.log()
    );
    assert!(
        lines[4]["tools"].to_string().contains("added_later"),
        "{lines:?}"
    );
    assert_eq!(gateway.process.terminate(), Some(0), "{}", gateway.log());
}

#[test]
fn a_servers_questions_reach_a_2026_07_28_agent_as_input_required_and_only_its_answers_go_back() {
    let setup = Setup::new("mcp-modern-input");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    // A server of 2025-11-25 that asks its questions with requests of its own; one
    // entry passes them to the agent, the other (the default) does not.
    let (_fixture, url) = crate::mcp_conformance::fixture();
    setup.config(&format!(
        "[[mcp]]\nname = \"asks\"\nurl = \"{url}\"\nenvironment = \"development\"\nelicitation = true\n\n\
         [[mcp]]\nname = \"quiet\"\nurl = \"{url}\"\nenvironment = \"development\"\n"
    ));
    let mut gateway = Gateway::start(&setup, &[]);
    let answers = json!({
        "What is your name?": {"name": "Alice"},
        "What is your favorite color?": {"color": "blue"},
    });
    let two_rounds = json!({"tool": "test_input_required_result_multi_round", "arguments": {}});
    // The SDK's client gets each question as input_required, answers it, and retries;
    // the server gets both answers, in two rounds, and finishes the call.
    let lines = answering_agent(
        &setup,
        &gateway.url("asks"),
        &token,
        std::slice::from_ref(&two_rounds),
        answers.clone(),
    );
    assert_eq!(
        lines[2],
        json!({"isError": false, "text": "Alice likes blue"}),
        "{lines:?}\n{}",
        gateway.log()
    );
    assert_eq!(
        lines[3],
        json!({"asked": ["What is your name?", "What is your favorite color?"]})
    );
    // Where elicitation is not configured, the agent is never asked.
    let quiet = answering_agent(
        &setup,
        &gateway.url("quiet"),
        &token,
        &[two_rounds],
        answers,
    );
    assert_eq!(quiet[3], json!({"asked": []}), "{quiet:?}");
    assert_eq!(quiet[2]["isError"], true, "{quiet:?}");

    // By hand: the question, then retries that do not answer it as it was asked.
    let auth = format!("Bearer {token}");
    let post = |id: u64, params: Value| {
        let headers = [
            ("Accept", "application/json, text/event-stream"),
            ("Content-Type", "application/json"),
            ("Authorization", auth.as_str()),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "test_input_required_result_elicitation"),
        ];
        let (status, _, body) = crate::mcp_http::exchange(
            &gateway.address,
            "POST",
            "/mcp/asks",
            &headers,
            &request_declaring(
                id,
                "tools/call",
                params,
                &json!({"elicitation": {"form": {}}}),
            ),
        );
        assert_eq!(status, 200, "{body}");
        // A refusal is plain JSON; what the server answers comes as an event stream.
        match serde_json::from_str::<Value>(&body) {
            Ok(answer) => answer,
            Err(_) => crate::mcp_http::events(&body).pop().unwrap(),
        }
    };
    let call = json!({"name": "test_input_required_result_elicitation", "arguments": {}});
    let first = post(30, call.clone());
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let questions = result["inputRequests"].as_object().unwrap();
    assert_eq!(questions.len(), 1, "{first}");
    let (key, question) = questions.iter().next().unwrap();
    assert_eq!(question["method"], "elicitation/create");
    assert_eq!(question["params"]["message"], "What is your name?");
    let state = result["requestState"].as_str().unwrap().to_owned();
    let with = |state: &str, arguments: Value, answer: Option<Value>| {
        let mut params = json!({"name": "test_input_required_result_elicitation",
                                "arguments": arguments, "requestState": state});
        if let Some(answer) = answer {
            params["inputResponses"] = json!({key.as_str(): answer});
        }
        params
    };
    let bob = json!({"action": "accept", "content": {"name": "Bob"}});
    for (params, why) in [
        (
            with(&format!("{state}-TAMPERED"), json!({}), Some(bob.clone())),
            "requestState is not one holdpoint gave this agent",
        ),
        (
            with(&state, json!({"extra": 1}), Some(bob.clone())),
            "this one is another request",
        ),
        (
            with(&state, json!({}), None),
            "inputResponses has no answer",
        ),
        (
            with(&state, json!({}), Some(json!("Bob"))),
            "inputResponses has no answer",
        ),
    ] {
        let refused = post(31, params.clone());
        assert_eq!(refused["error"]["code"], -32602, "{params}: {refused}");
        assert!(
            refused["error"]["message"].as_str().unwrap().contains(why),
            "{params}: {refused}"
        );
    }
    // None of that changed anything: the right answer still finishes the call, once.
    let answered = post(32, with(&state, json!({}), Some(bob.clone())));
    assert_eq!(answered["id"], 32, "{answered}");
    assert_eq!(answered["result"]["resultType"], "complete", "{answered}");
    assert_eq!(answered["result"]["content"][0]["text"], "Hello, Bob!");
    let again = post(33, with(&state, json!({}), Some(bob)));
    assert_eq!(again["error"]["code"], -32602, "{again}");

    assert_eq!(gateway.process.terminate(), Some(0), "{}", gateway.log());
    // Each call was decided once, however many rounds it took.
    let decided: Vec<String> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "decided")
        .map(|r| r["body"]["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(decided, ["allow", "allow", "allow"], "{}", gateway.log());
}
