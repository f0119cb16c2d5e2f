//! `[telemetry]`: the ledger sent to an OpenTelemetry collector over OTLP/HTTP, received
//! by a real OTLP receiver (the OpenTelemetry project's protobuf classes, from PyPI's
//! `opentelemetry-proto`) and checked against the ledger record by record.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::setup::{Setup, parts};

const DESTROY: &str = "rm -rf /srv/app/releases";

/// The OTLP receiver of `tests/data/otlp_receiver.py` on `port`, writing what it takes
/// to a file; stopped when dropped.
struct Receiver {
    child: Child,
    out: PathBuf,
}

impl Receiver {
    fn start(port: u16, out: &Path) -> Self {
        let mut child = Command::new("python3")
            .arg(crate::data("otlp_receiver.py"))
            .arg(port.to_string())
            .arg(out)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("listening on"),
            "the OTLP receiver did not start ({line:?}): install PyPI's opentelemetry-proto"
        );
        Receiver {
            child,
            out: out.to_owned(),
        }
    }

    /// Every log record and span taken so far.
    fn taken(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// What was taken once log records for every one of `seqs` have arrived; fails
    /// after 30 s, saying which are missing.
    fn until_logs_of(&self, seqs: &BTreeSet<i64>) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let taken = self.taken();
            let logged: BTreeSet<i64> = taken
                .iter()
                .filter(|t| t["signal"] == "log")
                .map(|t| t["attributes"]["holdpoint.record.seq"].as_i64().unwrap())
                .collect();
            let missing: Vec<&i64> = seqs.difference(&logged).collect();
            if missing.is_empty() {
                return taken;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the collector never received records {missing:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ledger as `holdpoint log export` gives it: each record's exact text, by number.
fn ledger(setup: &Setup) -> BTreeMap<i64, String> {
    let output = setup.run(&["log", "export"], "");
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    crate::stdout(&output)
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            (record["seq"].as_i64().unwrap(), line.to_owned())
        })
        .collect()
}

/// `[telemetry]` for a collector on `port`, its credential in a file of the home.
fn telemetry(setup: &Setup, port: u16) -> String {
    let token = setup.home.join("otlp.token");
    std::fs::write(&token, "Bearer collector-credential-7\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    format!(
        "[telemetry]\nendpoint = \"http://127.0.0.1:{port}\"\nheaders = {{ Authorization = \"file:otlp.token\" }}\n"
    )
}

/// A Claude Code hook event of session `otel-1`.
fn event(setup: &Setup, name: &str, extra: &Value) -> Value {
    let mut input = json!({
        "session_id": "otel-1", "transcript_path": "/tmp/t.jsonl",
        "cwd": setup.work().to_str().unwrap(), "permission_mode": "default",
        "hook_event_name": name,
    });
    for (key, value) in extra.as_object().unwrap() {
        input[key] = value.clone();
    }
    input
}

fn bash(setup: &Setup, command: &str) -> Value {
    event(
        setup,
        "PreToolUse",
        &json!({"tool_name": "Bash", "tool_input": {"command": command}}),
    )
}

/// The decision the hook answered `input` with: `allow` when it said nothing, `held`
/// when it refused the call naming an approval request, else what it said.
fn decided(setup: &Setup, input: &Value) -> String {
    let (output, answer) = setup.hook("claude-code", input);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let Some(answer) = answer else {
        return "allow".to_owned();
    };
    let out = &answer["hookSpecificOutput"];
    if out["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .contains("request apr-")
    {
        return "held".to_owned();
    }
    out["permissionDecision"].as_str().unwrap().to_owned()
}

/// Waits for a connection to `listener` (the sender's), for up to 20 s.
fn accepted(listener: &TcpListener) -> std::net::TcpStream {
    listener.set_nonblocking(true).unwrap();
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "holdpoint never tried to send to the collector"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn every_record_reaches_the_collector_and_a_collector_hung_or_down_delays_no_decision() {
    let setup = Setup::new("telemetry-serve");
    setup.add_human("alice", None);
    let claude = setup.add_agent("claude");
    // The collector first takes connections and never answers.
    let hung = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hung.local_addr().unwrap().port();
    let section = telemetry(&setup, port);
    setup.config(&section);
    let served = setup.serve();
    setup.use_server(&claude);
    let server = std::fs::read_to_string(setup.home.join("holdpoint.toml")).unwrap();
    setup.config(&format!("{server}\n{section}"));

    let said = "tidy the release directory";
    let (output, _) = setup.hook(
        "claude-code",
        &event(
            &setup,
            "UserPromptSubmit",
            &json!({"prompt": said, "prompt_id": "prompt-7f3a"}),
        ),
    );
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    assert_eq!(decided(&setup, &bash(&setup, "git status")), "allow");
    // The sender is now posting to the hung collector, which holds it until it gives
    // up (10 s); every decision meanwhile is answered at once.
    let stuck = accepted(&hung);
    let started = Instant::now();
    assert_eq!(decided(&setup, &bash(&setup, DESTROY)), "held");
    let config = format!("{}/holdpoint.toml", setup.home.display());
    let refused = format!("echo 'endpoint = \"http://example.com\"' >> {config}");
    assert_eq!(decided(&setup, &bash(&setup, &refused)), "deny");
    assert_eq!(decided(&setup, &bash(&setup, "ls -la")), "allow");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "decisions waited for the hung collector: three took {waited:?}"
    );
    // Then the collector is down: refused connections, retried, while decisions go on.
    drop(stuck);
    drop(hung);
    let started = Instant::now();
    let mut post = bash(&setup, "ls -la");
    post["hook_event_name"] = json!("PostToolUse");
    post["tool_response"] = json!({"stdout": "total 0", "stderr": ""});
    let (output, _) = setup.hook("claude-code", &post);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    assert_eq!(decided(&setup, &bash(&setup, "git log -1")), "allow");
    assert!(started.elapsed() < Duration::from_secs(5));
    let status_started = Instant::now();
    let status = loop {
        let status = setup.run(&["telemetry", "status"], "");
        assert_eq!(status.status.code(), Some(0), "{}", crate::stderr(&status));
        let text = crate::stdout(&status);
        if text.contains("failed") {
            break text;
        }
        assert!(
            status_started.elapsed() < Duration::from_secs(20),
            "no failure was kept: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.contains(&format!("collector  http://127.0.0.1:{port}"))
            && status.contains("sent       through record 0 of")
            && status.contains("sender     ")
            && !status.contains("sender     none"),
        "{status}"
    );

    // The collector comes back: everything arrives, each record once.
    let receiver = Receiver::start(port, &setup.scratch.0.join("otlp.jsonl"));
    let records = ledger(&setup);
    receiver.until_logs_of(&records.keys().copied().collect());
    // A batch's spans are posted after its logs, and the mark moves once both are
    // taken: what the collector holds is read once the mark has passed every record.
    let last = records.keys().max().copied().unwrap_or_default();
    let marked = Instant::now();
    loop {
        let status = crate::stdout(&setup.run(&["telemetry", "status"], ""));
        let sent = status
            .split("through record ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<i64>().ok());
        if sent.is_some_and(|sent| sent >= last) {
            break;
        }
        assert!(
            marked.elapsed() < Duration::from_secs(30),
            "the mark never passed record {last}: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let taken = receiver.taken();
    assert!(
        served.log().contains("holdpoint: telemetry: ") && served.log().contains("nothing is lost"),
        "{}",
        served.log()
    );
    let logs: Vec<&Value> = taken.iter().filter(|t| t["signal"] == "log").collect();
    let mut seen = BTreeSet::new();
    for log in &logs {
        let seq = log["attributes"]["holdpoint.record.seq"].as_i64().unwrap();
        assert!(seen.insert(seq), "record #{seq} was sent twice");
        // Its body is the record's exact text, whose hash it names.
        let text = records.get(&seq).map(String::as_str);
        assert_eq!(log["body"].as_str(), text, "record #{seq}");
        let record: Value = serde_json::from_str(text.unwrap()).unwrap();
        assert_eq!(
            log["event_name"],
            format!("holdpoint.{}", record["kind"].as_str().unwrap())
        );
        assert_eq!(log["attributes"]["holdpoint.record.kind"], record["kind"]);
        assert_eq!(log["resource"]["service.name"], "holdpoint");
        assert_eq!(log["authorization"], "Bearer collector-credential-7");
        if record["actors"]["session"] == "otel-1" {
            assert_eq!(log["attributes"]["session.id"], "otel-1", "{log}");
            assert_eq!(log["attributes"]["gen_ai.agent.name"], "claude", "{log}");
            // Every record of the turn carries the agent's own id of its prompt, as
            // Claude Code's telemetry names it.
            assert_eq!(log["attributes"]["prompt.id"], "prompt-7f3a", "{log}");
        }
        if record["kind"] == "instructed" {
            assert_eq!(record["body"]["prompt_id"], "prompt-7f3a", "{record}");
            assert_eq!(record["body"]["text"], said, "{record}");
        }
    }
    assert_eq!(seen.len(), records.len());

    // Each decided action is one span of the session's trace, and every record about
    // the action names that span.
    let spans: Vec<&Value> = taken.iter().filter(|t| t["signal"] == "span").collect();
    let decisions: Vec<Value> = records
        .values()
        .flat_map(|text| parts(serde_json::from_str(text).unwrap()))
        .filter(|r| r["kind"] == "decided")
        .collect();
    assert_eq!(spans.len(), decisions.len(), "{spans:?}");
    let trace = spans[0]["trace_id"].as_str().unwrap();
    assert!(
        spans
            .iter()
            .all(|s| s["trace_id"] == trace && s["attributes"]["prompt.id"] == "prompt-7f3a"),
        "{spans:?}"
    );
    let span_of = |command: &str| {
        let proposed = logs
            .iter()
            .find(|l| {
                ["proposed", "ran"]
                    .contains(&l["attributes"]["holdpoint.record.kind"].as_str().unwrap())
                    && l["attributes"]["holdpoint.input"] == command
            })
            .unwrap_or_else(|| panic!("no proposal of `{command}`"));
        let id = proposed["span_id"].as_str().unwrap();
        let span = spans
            .iter()
            .find(|s| s["span_id"] == id)
            .unwrap_or_else(|| panic!("no span for `{command}`: {spans:?}"));
        let linked: Vec<&str> = logs
            .iter()
            .filter(|l| l["span_id"] == id)
            .map(|l| l["attributes"]["holdpoint.record.kind"].as_str().unwrap())
            .collect();
        (*span, linked)
    };
    let (held, linked) = span_of(DESTROY);
    assert_eq!(held["name"], "holdpoint shell");
    assert_eq!(held["attributes"]["holdpoint.decision"], "ask");
    assert_eq!(held["status_code"], 0);
    assert!(
        linked.contains(&"proposed")
            && linked.contains(&"decided")
            && linked.contains(&"approval_requested"),
        "{linked:?}"
    );
    let (denied, _) = span_of(&refused);
    assert_eq!(denied["attributes"]["holdpoint.decision"], "deny");
    assert_eq!(denied["status_code"], 2, "a refusal is an error span");
    assert!(
        denied["status_message"]
            .as_str()
            .unwrap()
            .starts_with("refused: "),
        "{denied}"
    );
    let (ran, linked) = span_of("ls -la");
    assert_eq!(ran["attributes"]["holdpoint.decision"], "allow");
    assert!(linked.contains(&"executed"), "{linked:?}");
    assert!(
        ran["start_time_unix_nano"].as_u64() <= ran["end_time_unix_nano"].as_u64(),
        "{ran}"
    );

    let status = setup.run(&["telemetry", "status"], "");
    let text = crate::stdout(&status);
    let head = records.keys().max().unwrap();
    assert!(
        text.contains(&format!(
            "sent       through record {head} of {head} (0 waiting)"
        )),
        "{text}"
    );
}

#[test]
fn telemetry_send_sends_what_is_waiting_once_and_a_collector_down_loses_nothing() {
    let setup = Setup::new("telemetry-send");
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    setup.config(&telemetry(&setup, port));
    // The hooks decide and record on this machine; no process runs to send.
    assert_eq!(decided(&setup, &bash(&setup, "git status")), "allow");
    assert_eq!(decided(&setup, &bash(&setup, DESTROY)), "held");
    let records = ledger(&setup);

    let down = setup.run(&["telemetry", "send"], "");
    assert_eq!(down.status.code(), Some(1), "{}", crate::stdout(&down));
    let said = crate::stderr(&down);
    assert!(
        said.contains(&format!(
            "cannot reach the collector at http://127.0.0.1:{port}/v1/logs"
        )) && said.contains("nothing is lost"),
        "{said}"
    );
    let status = crate::stdout(&setup.run(&["telemetry", "status"], ""));
    assert!(
        status.contains(&format!("sent       through record 0 of {}", records.len())),
        "{status}"
    );
    let doctor = crate::stdout(&setup.run(&["doctor"], ""));
    assert!(
        doctor.contains(&format!(
            "FIX   telemetry   the collector at http://127.0.0.1:{port} has not taken the last {} records",
            records.len()
        )),
        "{doctor}"
    );

    let receiver = Receiver::start(port, &setup.scratch.0.join("otlp.jsonl"));
    let sent = setup.run(&["telemetry", "send"], "");
    assert_eq!(sent.status.code(), Some(0), "{}", crate::stderr(&sent));
    assert!(
        crate::stdout(&sent).contains(&format!("has every record ({} sent now)", records.len())),
        "{}",
        crate::stdout(&sent)
    );
    let taken = receiver.until_logs_of(&records.keys().copied().collect());
    assert_eq!(
        taken.iter().filter(|t| t["signal"] == "log").count(),
        records.len()
    );
    let doctor = crate::stdout(&setup.run(&["doctor"], ""));
    assert!(
        doctor.contains(&format!(
            "ok    telemetry   the collector at http://127.0.0.1:{port} has every record"
        )),
        "{doctor}"
    );
    // Sent once: a second run sends nothing.
    let again = setup.run(&["telemetry", "send"], "");
    assert!(
        crate::stdout(&again).contains("(0 sent now)"),
        "{}",
        crate::stdout(&again)
    );
    assert_eq!(receiver.taken().len(), taken.len());
}

#[test]
fn a_telemetry_section_that_is_wrong_is_refused_with_what_to_write() {
    let setup = Setup::new("telemetry-config");
    for (section, expected) in [
        (
            "[telemetry]\nendpoint = \"collector:4318\"\n",
            "must be an http:// or https:// address",
        ),
        (
            "[telemetry]\nendpoint = \"http://collector:4318/v1/logs\"\n",
            "the collector's base address",
        ),
        (
            "[telemetry]\nendpoint = \"http://collector:4318\"\nheaders = { Authorization = \"Bearer abc\" }\n",
            "a credential never is",
        ),
        ("[telemetry]\n", "missing field `endpoint`"),
    ] {
        setup.config(section);
        let output = setup.run(&["telemetry", "status"], "");
        assert_eq!(output.status.code(), Some(2), "{section}");
        let said = crate::stderr(&output);
        assert!(said.contains(expected), "{section}: {said}");
    }
    setup.config("");
    let output = setup.run(&["telemetry", "send"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        crate::stderr(&output).contains("add `[telemetry]` with `endpoint"),
        "{}",
        crate::stderr(&output)
    );
}
