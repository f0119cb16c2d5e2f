//! The API of `holdpoint serve` against its own OpenAPI document: the document validates
//! (openapi-spec-validator), and schemathesis's property-based runs, once with a human's
//! token and once with an agent's, find no server error and no response that breaks the
//! documented schema.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::http;
use crate::setup::{SECRET, Setup};

/// How to get the Python tools this test runs.
const INSTALL: &str = "python3 -m pip install 'schemathesis>=4.32,<5' \
                       'openapi-spec-validator>=0.9,<1' (or run .ci/run)";

/// Test cases per operation and phase: a run takes seconds, not minutes.
const MAX_EXAMPLES: &str = "30";

/// schemathesis's configuration: nothing is left out. (A regression test: `GET
/// /ledger?from=9223372036854775808`, past SQLite's integers, once answered 500.)
const CONFIG: &str = "";

#[test]
fn the_api_keeps_its_openapi_document() {
    let schemathesis = schemathesis();
    let setup = Setup::new("openapi");
    setup.add_human("alice", None);
    let agent = setup.add_agent("bot");
    let served = setup.serve();
    let human = http::sign_in(&served.address, "alice", SECRET);

    let document = http::request(&served.address, "GET", "/api/v1/openapi.json", &[], "");
    assert_eq!(document.status, 200, "{}", document.body);
    let operations = operations(&document.json());
    assert!(operations > 0, "no operations in {}", document.body);
    let file = setup.scratch.0.join("openapi.json");
    std::fs::write(&file, &document.body).unwrap();
    validate(&file);

    let dir = setup.scratch.0.join("schemathesis");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("schemathesis.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let url = served.url("/api/v1/openapi.json");
    // The agent's run goes first: the human's may issue `bot` a new credential (POST
    // /agents), which ends the old one.
    for (who, token) in [("agent", &agent), ("human", &human)] {
        let started = Instant::now();
        let mut command = schemathesis.command();
        command
            .arg("--config-file")
            .arg(&config)
            .args(["run", &url, "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--seed",
                "1",
                "--generation-deterministic",
                "--max-examples",
                MAX_EXAMPLES,
                "--workers",
                "1",
                // Hypothesis's health checks judge the generator's speed on a busy machine,
                // not the API.
                "--suppress-health-check",
                "all",
                // Above the longest long-poll (60 s): a hung server fails the run.
                "--request-timeout",
                "75",
                "--no-color",
            ])
            // It keeps its state (.hypothesis, .schemathesis) in the working directory.
            .current_dir(&dir);
        for proxy in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
        ] {
            command.env_remove(proxy);
        }
        let output = command.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "schemathesis found problems in the API as the {who}:\n{text}\nThe server's log:\n{}",
            served.log()
        );
        assert!(
            text.contains(&format!("Tested: {operations}")),
            "schemathesis did not test all {operations} operations as the {who}:\n{text}"
        );
        eprintln!(
            "schemathesis as the {who}: {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    // The server still answers, and the ledger it wrote all the while verifies.
    let verified = http::json(
        &served.address,
        "GET",
        "/api/v1/ledger/verify",
        &human,
        &Value::Null,
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.json()["verified"], true, "{}", verified.body);
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        crate::stdout(&verify),
        crate::stderr(&verify)
    );
}

/// The installed schemathesis (4.x): its command, or its module under `python3`.
struct Schemathesis(Vec<&'static str>);

impl Schemathesis {
    fn command(&self) -> Command {
        let mut command = Command::new(self.0[0]);
        command.args(&self.0[1..]);
        command
    }
}

/// Finds schemathesis 4, or stops the test saying how to install it.
fn schemathesis() -> Schemathesis {
    let candidates: [&[&'static str]; 3] = [
        &["schemathesis"],
        &["python3", "-m", "schemathesis.cli"],
        &["st"],
    ];
    let mut seen = Vec::new();
    for candidate in candidates {
        let found = Schemathesis(candidate.to_vec());
        let Ok(output) = found.command().arg("--version").output() else {
            continue;
        };
        let version = crate::stdout(&output);
        if !output.status.success() || !version.contains("schemathesis") {
            continue;
        }
        if version.contains("version 4.") {
            return found;
        }
        seen.push(format!("`{}`: {}", candidate.join(" "), version.trim()));
    }
    panic!(
        "this test needs schemathesis 4 and openapi-spec-validator (PyPI); install them with \
         {INSTALL}{}",
        if seen.is_empty() {
            String::new()
        } else {
            format!("; found only {}", seen.join(", "))
        }
    );
}

/// Validates an OpenAPI document with openapi-spec-validator.
fn validate(file: &Path) {
    let output = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 for openapi-spec-validator ({e}): {INSTALL}")
        });
    let text = format!("{}{}", crate::stdout(&output), crate::stderr(&output));
    assert!(
        !text.contains("No module named openapi_spec_validator"),
        "this test needs openapi-spec-validator (PyPI); install it with {INSTALL}"
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "the OpenAPI document does not validate:\n{text}"
    );
}

/// How many operations (path and method) a document describes.
fn operations(document: &Value) -> usize {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
                .sum()
        })
        .unwrap_or(0)
}
