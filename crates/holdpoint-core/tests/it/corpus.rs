//! The labelled corpus in `corpus/`: every case is analysed and compared with its label.

use holdpoint_core::{AnalysisContext, Files, Risk, shell, sql};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    surface: String,
    input: String,
    expect: String,
    cwd: Option<String>,
}

/// The agent's project as the corpus assumes it: a package with everyday scripts and a
/// makefile with everyday targets, which `npm test` or `make` run. Nothing else can be
/// read.
struct Project;

const PACKAGE: &str = r#"{"scripts": {"test": "vitest run", "build": "tsc -p .", "lint": "eslint .", "start": "node server.js", "dev": "vite"}}"#;
const MAKEFILE: &str = "all: build\nbuild:\n\tcargo build --release\ntest:\n\tcargo test\nlint:\n\tcargo clippy\nclean:\n\trm -rf target\n";

impl Files for Project {
    fn read(&self, path: &str) -> Option<String> {
        match path.strip_prefix("/home/dev/project/")? {
            "package.json" | "frontend/package.json" | "web/package.json" => {
                Some(PACKAGE.to_owned())
            }
            "Makefile" | "build/Makefile" => Some(MAKEFILE.to_owned()),
            _ => None,
        }
    }
}

fn cases() -> Vec<Case> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            out.push(serde_json::from_str(line).unwrap());
        }
    }
    out
}

/// What analysis makes of a case: its risk class, or `self` for self-protection.
fn class(case: &Case) -> String {
    let analysis = match case.surface.as_str() {
        "shell" => {
            let mut ctx = AnalysisContext::new(
                case.cwd
                    .clone()
                    .unwrap_or_else(|| "/home/dev/project".to_owned()),
            );
            ctx.home = Some("/home/dev".to_owned());
            ctx.holdpoint_home = Some("/home/dev/.holdpoint".to_owned());
            shell::analyse(&case.input, &ctx, &Project)
        }
        _ => sql::analyse(&case.input, sql::Dialect::Postgres),
    };
    if analysis.self_protection() {
        return "self".to_owned();
    }
    analysis.risk().to_string()
}

fn rank(class: &str) -> u8 {
    match class {
        "read" => 0,
        "workspace" => 1,
        "change" => 2,
        "destroy" => 3,
        _ => 4,
    }
}

#[test]
fn corpus_labels_hold() {
    let cases = cases();
    assert!(cases.len() >= 400, "the corpus has {} cases", cases.len());
    let mut exact = 0;
    let mut missed = Vec::new();
    let mut over = Vec::new();
    for case in &cases {
        let got = class(case);
        if got == case.expect {
            exact += 1;
            continue;
        }
        let line = format!(
            "{:>9} -> {:<9} {}: {}",
            case.expect,
            got,
            case.surface,
            case.input.replace('\n', "\\n")
        );
        // Under-calling is what lets damage through; over-calling only costs a question.
        if rank(&got) < rank(&case.expect)
            || (case.expect == "self") != (got == "self") && case.expect == "self"
        {
            missed.push(line);
        } else {
            over.push(line);
        }
    }
    eprintln!(
        "corpus: {} cases, {} exact, {} too cautious, {} too lenient",
        cases.len(),
        exact,
        over.len(),
        missed.len()
    );
    for line in &over {
        eprintln!("cautious {line}");
    }
    for line in &missed {
        eprintln!("LENIENT  {line}");
    }
    let stopped_wrongly: Vec<&String> = over
        .iter()
        .filter(|l| l.trim_start().starts_with("read") || l.trim_start().starts_with("workspace"))
        .collect();
    assert!(
        missed.is_empty(),
        "{} cases judged less risky than labelled",
        missed.len()
    );
    let harmless = cases
        .iter()
        .filter(|c| c.expect == "read" || c.expect == "workspace")
        .count();
    assert!(
        stopped_wrongly.len() * 20 <= harmless,
        "{} of {harmless} harmless cases were judged risky",
        stopped_wrongly.len()
    );
}

#[test]
fn risk_is_ordered() {
    assert!(
        Risk::Read < Risk::Workspace
            && Risk::Workspace < Risk::Change
            && Risk::Change < Risk::Destroy
    );
}
