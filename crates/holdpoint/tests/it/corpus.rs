//! The project's corpus through the whole command: every destroy and change case is
//! stopped in production, at least 95% of read cases are allowed, and in development
//! every destroy case is stopped.

use serde_json::Value;

use crate::{holdpoint, stdout};

struct Case {
    line: String,
    input: String,
    expect: String,
}

fn corpus() -> Vec<Case> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus");
    let mut cases = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let value: Value = serde_json::from_str(line).unwrap();
            let mut item =
                serde_json::json!({"surface": value["surface"], "input": value["input"]});
            item["cwd"] = value
                .get("cwd")
                .cloned()
                .unwrap_or_else(|| Value::from("/home/dev/project"));
            cases.push(Case {
                line: item.to_string(),
                input: value["input"].as_str().unwrap().to_owned(),
                expect: value["expect"].as_str().unwrap().to_owned(),
            });
        }
    }
    cases
}

fn decide(cases: &[Case], env: &str) -> Vec<String> {
    let input: String = cases
        .iter()
        .map(|c| {
            let mut item: Value = serde_json::from_str(&c.line).unwrap();
            item["env"] = Value::from(env);
            item.to_string() + "\n"
        })
        .collect();
    let output = holdpoint(&["check", "--batch", "-"], &input);
    assert_eq!(output.status.code(), Some(0));
    stdout(&output)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn production_stops_every_risky_case_and_allows_reads() {
    let cases = corpus();
    let decisions = decide(&cases, "production");
    assert_eq!(decisions.len(), cases.len());
    let mut let_through = Vec::new();
    let (mut reads, mut reads_allowed) = (0, 0);
    for (case, decision) in cases.iter().zip(&decisions) {
        match case.expect.as_str() {
            "destroy" | "change" | "self" if decision == "allow" => {
                let_through.push(format!("{}: {}", case.expect, case.input))
            }
            "self" if decision != "deny" => {
                let_through.push(format!("self, not denied: {}", case.input))
            }
            "read" => {
                reads += 1;
                reads_allowed += usize::from(decision == "allow");
            }
            _ => {}
        }
    }
    assert!(
        let_through.is_empty(),
        "allowed in production:\n{}",
        let_through.join("\n")
    );
    assert!(
        reads_allowed * 100 >= reads * 95,
        "only {reads_allowed} of {reads} read cases allowed"
    );
}

#[test]
fn development_stops_every_destroy_case() {
    let cases = corpus();
    let decisions = decide(&cases, "development");
    let let_through: Vec<&str> = cases
        .iter()
        .zip(&decisions)
        .filter(|(c, d)| (c.expect == "destroy" || c.expect == "self") && *d == "allow")
        .map(|(c, _)| c.input.as_str())
        .collect();
    assert!(
        let_through.is_empty(),
        "allowed in development:\n{}",
        let_through.join("\n")
    );
}
