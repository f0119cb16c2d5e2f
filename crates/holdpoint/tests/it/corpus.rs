//! The project's corpus through the whole command, on this machine's files, in
//! production and in development: every case is decided as the default policies
//! promise for its label, or held more strictly and listed in `corpus/known/`.

use serde_json::Value;

#[path = "../../../holdpoint-core/tests/it/ratchet.rs"]
mod ratchet;

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
            serde_json::from_str::<Value>(l).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// What each environment's default policies promise for a case with `label`.
fn promised(label: &str, env: &str) -> &'static str {
    match (label, env) {
        ("self", _) => "deny",
        ("read" | "workspace", _) | ("change", "development") => "allow",
        _ => "ask",
    }
}

fn strictness(decision: &str) -> u8 {
    match decision {
        "allow" => 0,
        "ask" => 1,
        _ => 2,
    }
}

/// How many cases of each label the corpus held when this was written. The corpus only
/// grows: fewer means cases went missing (a file not read, a label misspelt), and what
/// is promised for them would pass unchecked.
const AT_LEAST: [(&str, usize); 5] = [
    ("read", 500),
    ("workspace", 214),
    ("change", 350),
    ("destroy", 553),
    ("self", 119),
];

/// Every case in both environments: none may be decided more leniently than its label
/// promises, and those decided more strictly are exactly the ones checked in at
/// `corpus/known/decisions.txt`.
#[test]
fn every_case_is_decided_as_its_label_promises_in_both_environments() {
    let cases = corpus();
    for (label, least) in AT_LEAST {
        let count = cases.iter().filter(|c| c.expect == label).count();
        assert!(
            count >= least,
            "{count} `{label}` cases in the corpus, fewer than the {least} it had"
        );
    }
    let unknown: Vec<&str> = cases
        .iter()
        .filter(|c| !AT_LEAST.iter().any(|(label, _)| c.expect == *label))
        .map(|c| c.input.as_str())
        .collect();
    assert!(unknown.is_empty(), "cases with no known label: {unknown:?}");
    let mut lenient = Vec::new();
    let mut strict = Vec::new();
    for env in ["production", "development"] {
        let decisions = decide(&cases, env);
        assert_eq!(decisions.len(), cases.len());
        for (case, decision) in cases.iter().zip(&decisions) {
            let promised = promised(&case.expect, env);
            if decision == promised {
                continue;
            }
            let line = format!(
                "{env} {} -> {decision}: {}",
                case.expect,
                case.input.replace('\n', "\\n")
            );
            if strictness(decision) < strictness(promised) {
                lenient.push(line);
            } else {
                strict.push(line);
            }
        }
    }
    assert!(
        lenient.is_empty(),
        "{} case(s) decided more leniently than their label:\n  {}",
        lenient.len(),
        lenient.join("\n  ")
    );
    ratchet::ratchet("decisions.txt", strict);
}
