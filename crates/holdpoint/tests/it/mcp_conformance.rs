//! The MCP conformance suite (`@modelcontextprotocol/conformance`, which needs Node 22)
//! against two servers over Streamable HTTP on loopback, first directly and then through
//! `holdpoint mcp --listen` (`[[mcp]] url` entries), side by side: the reference server
//! `@modelcontextprotocol/server-everything`, which has few of the tools, prompts and
//! resources the suite calls, and a server written here for the suite's scenarios with
//! the Python MCP SDK (`tests/data/mcp/conformance_server.py`), which passes them all.
//! The gateway must pass every scenario a server passes alone, and the DNS-rebinding one
//! besides. The suite's client sends no credential, so it reaches the gateway through a
//! relay that adds the agent's (`tests/data/mcp/relay.mjs`). The suite's 0.2 alpha, whose
//! client speaks 2026-07-28, runs the scenarios that revision requires against the
//! fixture (which speaks the revision before) directly and through the gateway.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::data;
use crate::mcp_http::Gateway;
use crate::setup::Setup;

/// The versions measured: the suite's release for the 2025-11-25 revision, the reference
/// server it was run against, and the Node.js it needs.
const PACKAGES: [&str; 3] = [
    "@modelcontextprotocol/conformance@0.1.16",
    "@modelcontextprotocol/server-everything@2026.8.31",
    "node@22",
];

/// Where the packages are installed: a prefix of their own, since other tests install
/// into theirs at the same time.
fn installed() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
        let prefix = PathBuf::from(home).join(".cache/holdpoint-test-conformance");
        if !prefix.join(NODE).exists() || !prefix.join(SUITE).exists() || !prefix.join(EVERYTHING).exists() {
            let status = Command::new("npm")
                .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .args(PACKAGES)
                .status()
                .unwrap_or_else(|e| panic!("the conformance test needs npm to install {PACKAGES:?}: {e}; install Node.js and npm (apt-get install nodejs npm)"));
            assert!(status.success(), "npm install {PACKAGES:?} failed");
        }
        prefix
    })
}

const NODE: &str = "node_modules/node/bin/node";
const SUITE: &str = "node_modules/@modelcontextprotocol/conformance/dist/index.js";
const EVERYTHING: &str = "node_modules/@modelcontextprotocol/server-everything/dist/index.js";

/// A process that is killed when the value drops.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts server-everything over Streamable HTTP on 127.0.0.1; its `/mcp` URL.
fn everything(prefix: &Path) -> (Running, String) {
    let port = free_port();
    let mut command = Command::new(prefix.join(NODE));
    command
        .arg("-r")
        .arg(data("mcp/loopback.cjs"))
        .arg(prefix.join(EVERYTHING))
        .arg("streamableHttp")
        .env("PORT", port.to_string());
    serving(command, port, "server-everything")
}

/// Starts `command`, a server that listens on 127.0.0.1:`port`, and waits until it
/// does; its `/mcp` URL.
fn serving(mut command: Command, port: u16, what: &str) -> (Running, String) {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} did not listen on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (running, format!("http://127.0.0.1:{port}/mcp"))
}

/// Starts the relay to `target` with `token`; its URL.
fn relay(prefix: &Path, target: &str, token: &str) -> (Running, String) {
    let mut child = Command::new(prefix.join(NODE))
        .arg(data("mcp/relay.mjs"))
        .env("TARGET", target)
        .env("TOKEN", token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let path = target.split_once("/mcp").unwrap().1;
    (Running(child), format!("{}/mcp{path}", line.trim()))
}

/// The scenario a result directory is for: `server-<scenario>-<timestamp>`, the
/// timestamp like `2026-12-06T16-55-38-381Z`.
fn scenario_of(directory: &str) -> Option<&str> {
    const TIMESTAMP: usize = "-2026-12-06T16-55-38-381Z".len();
    let name = directory.strip_prefix("server-")?;
    let (scenario, timestamp) = name.split_at_checked(name.len().checked_sub(TIMESTAMP)?)?;
    (timestamp.starts_with('-') && timestamp.ends_with('Z')).then_some(scenario)
}

/// Runs the whole suite against `url`; each scenario and whether it passed (no check
/// failed), with the failures' messages.
fn suite(prefix: &Path, url: &str, results: &Path) -> BTreeMap<String, Result<(), String>> {
    let scenarios = run_suite(prefix, url, results, &["--suite", "all"]);
    assert!(
        scenarios.len() >= 30,
        "{} scenarios ran against {url}",
        scenarios.len()
    );
    scenarios
}

/// Runs the suite with `selection` (`--suite …` or `--scenario …`) against `url`.
fn run_suite(
    prefix: &Path,
    url: &str,
    results: &Path,
    selection: &[&str],
) -> BTreeMap<String, Result<(), String>> {
    run_suite_with(prefix, prefix, url, results, selection)
}

/// [`run_suite`] with the suite installed under `suite` and Node.js under `node`.
fn run_suite_with(
    suite: &Path,
    node: &Path,
    url: &str,
    results: &Path,
    selection: &[&str],
) -> BTreeMap<String, Result<(), String>> {
    let output = Command::new(node.join(NODE))
        .arg(suite.join(SUITE))
        .arg("server")
        .args(selection)
        .args(["--url", url, "-o"])
        .arg(results)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "the conformance suite did not run against {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut scenarios = BTreeMap::new();
    for run in std::fs::read_dir(results).unwrap().flatten() {
        let name = run.file_name().to_string_lossy().into_owned();
        // `server-<scenario>-<timestamp>`; the timestamp begins with the year. The 0.2
        // suite also writes a summary beside the scenarios' directories.
        if !run.path().is_dir() {
            continue;
        }
        let scenario = scenario_of(&name).unwrap_or(&name).to_owned();
        // A scenario that stopped before writing its checks failed.
        let Ok(text) = std::fs::read_to_string(run.path().join("checks.json")) else {
            scenarios.insert(scenario, Err("the suite wrote no checks".to_owned()));
            continue;
        };
        let checks: Vec<Value> = serde_json::from_str(&text).unwrap();
        let failures: Vec<String> = checks
            .iter()
            .filter(|c| c["status"] == "FAILURE")
            .map(|c| format!("{}: {}", c["id"], c["errorMessage"]))
            .collect();
        let verdict = if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        };
        scenarios.insert(scenario, verdict);
    }
    scenarios
}

/// Starts the conformance fixture (`tests/data/mcp/conformance_server.py`, the Python
/// MCP SDK) over Streamable HTTP on 127.0.0.1; its `/mcp` URL.
pub fn fixture() -> (Running, String) {
    python_server("mcp/conformance_server.py", &[])
}

/// Starts the Python MCP server `script` (under `tests/data`), given a free port and
/// `extra`, over Streamable HTTP on 127.0.0.1; its `/mcp` URL.
pub fn python_server(script: &str, extra: &[&str]) -> (Running, String) {
    crate::mcp_http::python_sdk();
    let port = free_port();
    let mut command = Command::new("python3");
    command.arg(data(script)).arg(port.to_string()).args(extra);
    serving(command, port, script)
}

/// The suite's verdicts directly and through the gateway, side by side.
struct Compared {
    direct: BTreeMap<String, Result<(), String>>,
    through: BTreeMap<String, Result<(), String>>,
}

impl Compared {
    fn run(prefix: &Path, setup: &Setup, name: &str, direct: &str, through: &str) -> Self {
        let results = setup.scratch.0.join(name);
        Compared {
            direct: suite(prefix, direct, &results.join("direct")),
            through: suite(prefix, through, &results.join("gateway")),
        }
    }

    fn table(&self) -> String {
        let mark = |r: Option<&Result<(), String>>| match r {
            Some(Ok(())) => "pass",
            Some(Err(_)) => "fail",
            None => "not run",
        };
        let mut table = String::from("scenario | directly | through holdpoint\n");
        for (scenario, alone) in &self.direct {
            table.push_str(&format!(
                "{scenario} | {} | {}\n",
                mark(Some(alone)),
                mark(self.through.get(scenario))
            ));
        }
        table
    }

    /// The scenarios that pass directly and not through the gateway, with why.
    fn lost(&self) -> Vec<String> {
        self.direct
            .iter()
            .filter(|(_, alone)| alone.is_ok())
            .filter_map(|(scenario, _)| match self.through.get(scenario) {
                Some(Ok(())) => None,
                Some(Err(why)) => Some(format!("{scenario}: {why}")),
                None => Some(format!("{scenario}: not run")),
            })
            .collect()
    }
}

#[test]
fn the_conformance_suite_passes_through_the_gateway_wherever_it_passes_directly() {
    let prefix = installed();
    let setup = Setup::new("mcp-conformance");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let (_everything, everything_url) = everything(prefix);
    let (_fixture, fixture_url) = fixture();
    // The suite's sampling and elicitation scenarios need the server's requests of
    // those kinds to reach the client, which the gateway passes only when told to.
    let entry = |name: &str, url: &str, asks: bool| {
        format!(
            "[[mcp]]\nname = \"{name}\"\nurl = \"{url}\"\nenvironment = \"development\"\nsampling = {asks}\nelicitation = {asks}\n\n"
        )
    };
    setup.config(&format!(
        "{}{}{}",
        entry("everything", &everything_url, true),
        entry("fixture", &fixture_url, true),
        entry("closed", &fixture_url, false)
    ));
    let gateway = Gateway::start(&setup, &[]);

    for (name, server_url) in [("everything", &everything_url), ("fixture", &fixture_url)] {
        let (_relay, relay_url) = relay(prefix, &gateway.url(name), &token);
        let compared = Compared::run(prefix, &setup, name, server_url, &relay_url);
        let table = compared.table();
        eprintln!("{name}:\n{table}");
        let lost = compared.lost();
        assert!(
            lost.is_empty(),
            "{name}: passed directly but not through the gateway:\n{}\n\n{table}\n{}",
            lost.join("\n"),
            gateway.log()
        );
        // The gateway refuses a foreign Origin whether the server does or not.
        assert_eq!(
            compared.through.get("dns-rebinding-protection"),
            Some(&Ok(())),
            "{name}:\n{table}"
        );
    }

    // Not told to, the gateway refuses them: the client never sees the server's question.
    let (_relay, relay_url) = relay(prefix, &gateway.url("closed"), &token);
    for scenario in ["tools-call-sampling", "tools-call-elicitation"] {
        let results = setup.scratch.0.join("closed").join(scenario);
        let verdicts = run_suite(prefix, &relay_url, &results, &["--scenario", scenario]);
        assert!(
            matches!(verdicts.get(scenario), Some(Err(_))),
            "{scenario} passed through a gateway that refuses it: {verdicts:?}"
        );
    }
    let log = gateway.log();
    assert!(
        log.contains("refused the server's `sampling/createMessage`")
            && log.contains("refused the server's `elicitation/create`"),
        "{log}"
    );
}

/// The suite's release that tests the 2026-07-28 revision (an alpha, pinned).
const MODERN_SUITE: &str = "@modelcontextprotocol/conformance@0.2.0-alpha.12";

/// Where the 2026-07-28 suite is installed: a prefix of its own beside the other's.
fn modern_installed() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
        let prefix = PathBuf::from(home).join(".cache/holdpoint-test-conformance-2026");
        if !prefix.join(SUITE).exists() {
            let status = Command::new("npm")
                .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(MODERN_SUITE)
                .status()
                .unwrap_or_else(|e| panic!("the conformance test needs npm to install {MODERN_SUITE}: {e}; install Node.js and npm (apt-get install nodejs npm)"));
            assert!(status.success(), "npm install {MODERN_SUITE} failed");
        }
        prefix
    })
}

/// Runs the scenarios the 2026-07-28 revision requires against `url`.
fn modern_suite(url: &str, results: &Path) -> BTreeMap<String, Result<(), String>> {
    let scenarios = run_suite_with(
        modern_installed(),
        installed(),
        url,
        results,
        &["--requirements", "2026-07-28"],
    );
    assert!(
        scenarios.len() >= 40,
        "{} scenarios ran against {url}",
        scenarios.len()
    );
    scenarios
}

/// The scenarios of 2026-07-28 the gateway passes in front of a server of the revision
/// before (the conformance fixture), which alone fails nearly all of them.
const MODERN_PASSED: &[&str] = &[
    "caching",
    "completion-complete",
    "dns-rebinding-protection",
    "http-custom-header-server-validation",
    "http-header-validation",
    "input-required-result-basic-sampling",
    "input-required-result-capability-check",
    "input-required-result-ignore-extra-params",
    "input-required-result-missing-input-response",
    "input-required-result-multi-round",
    "input-required-result-non-tool-request",
    "input-required-result-request-state",
    "input-required-result-result-type",
    "input-required-result-tampered-state",
    "input-required-result-unsupported-methods",
    "input-required-result-validate-input",
    "prompts-get-embedded-resource",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-with-image",
    "prompts-list",
    "resources-list",
    "resources-read-binary",
    "resources-read-text",
    "resources-templates-read",
    "sep-2164-resource-not-found",
    "server-sse-multiple-streams",
    "tasks-status-notifications",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-error",
    "tools-call-image",
    "tools-call-mixed-content",
    "tools-call-simple-text",
    "tools-call-with-progress",
    "tools-list",
];

#[test]
fn the_2026_07_28_requirements_pass_through_the_gateway_in_front_of_a_server_of_the_revision_before()
 {
    let setup = Setup::new("mcp-conformance-2026");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let (_fixture, fixture_url) = fixture();
    // The server's questions reach the agent: the input_required scenarios answer them.
    setup.config(&format!(
        "[[mcp]]\nname = \"fixture\"\nurl = \"{fixture_url}\"\nenvironment = \"development\"\nsampling = true\nelicitation = true\n"
    ));
    let gateway = Gateway::start(&setup, &[]);
    let (_relay, relay_url) = relay(installed(), &gateway.url("fixture"), &token);
    let results = setup.scratch.0.join("2026");
    let compared = Compared {
        direct: modern_suite(&fixture_url, &results.join("direct")),
        through: modern_suite(&relay_url, &results.join("gateway")),
    };
    let table = compared.table();
    eprintln!("2026-07-28:\n{table}");
    let lost = compared.lost();
    assert!(
        lost.is_empty(),
        "passed directly but not through the gateway:\n{}\n\n{table}",
        lost.join("\n")
    );
    let failed: Vec<String> = MODERN_PASSED
        .iter()
        .filter(|s| !matches!(compared.through.get(**s), Some(Ok(()))))
        .map(|s| format!("{s}: {:?}", compared.through.get(*s)))
        .collect();
    assert!(
        failed.is_empty(),
        "failed through the gateway:\n{}\n\n{table}\n{}",
        failed.join("\n"),
        gateway.log()
    );
}
