//! The labelled corpus in `corpus/`: every case is analysed and compared with its label.

use holdpoint_core::{AnalysisContext, Files, Risk, mcp, shell, sql};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    surface: String,
    input: String,
    expect: String,
    cwd: Option<String>,
}

/// The agent's project as the corpus assumes it: the files in `corpus/project/` stand
/// for `/home/dev/project`. Nothing else can be read.
struct Project;

impl Files for Project {
    fn read(&self, path: &str) -> Option<String> {
        let relative = path.strip_prefix("/home/dev/project/")?;
        if relative
            .split('/')
            .any(|part| part == ".." || part.is_empty())
        {
            return None;
        }
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/project/");
        std::fs::read_to_string(format!("{root}{relative}")).ok()
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
    let mut ctx = AnalysisContext::new(
        case.cwd
            .clone()
            .unwrap_or_else(|| "/home/dev/project".to_owned()),
    );
    ctx.home = Some("/home/dev".to_owned());
    ctx.holdpoint_home = Some("/home/dev/.holdpoint".to_owned());
    let analysis = match case.surface.as_str() {
        "shell" => shell::analyse(&case.input, &ctx, &Project),
        "mcp" => mcp::analyse(&case.input, &ctx, &Project),
        _ => sql::analyse(&case.input, sql::Dialect::Postgres),
    };
    if analysis.self_protection() {
        return "self".to_owned();
    }
    // Labels say what production must do: a credential read (`read:secret`) changes
    // nothing, but the default pack holds it in production like a change.
    if analysis.reads_secret() && analysis.risk() < Risk::Change {
        return "change".to_owned();
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
    assert!(cases.len() >= 1_500, "the corpus has {} cases", cases.len());
    // `corpus/mcp.jsonl`: a file that went missing would leave its labels unchecked.
    let mcp = cases.iter().filter(|c| c.surface == "mcp").count();
    assert!(mcp >= 142, "the corpus has {mcp} MCP cases");
    let mut missed = Vec::new();
    let mut over = Vec::new();
    for case in &cases {
        let got = class(case);
        if got == case.expect {
            continue;
        }
        let line = format!(
            "{} -> {} {}: {}",
            case.expect,
            got,
            case.surface,
            case.input.replace('\n', "\\n")
        );
        // Under-calling is what lets damage through; over-calling only costs a question.
        if rank(&got) < rank(&case.expect) || case.expect == "self" {
            missed.push(line);
        } else {
            over.push(line);
        }
    }
    assert!(
        missed.is_empty(),
        "{} case(s) judged less risky than labelled:\n  {}",
        missed.len(),
        missed.join("\n  ")
    );
    crate::ratchet::ratchet("analysis.txt", over);
}

#[test]
fn risk_is_ordered() {
    assert!(
        Risk::Read < Risk::Workspace
            && Risk::Workspace < Risk::Change
            && Risk::Change < Risk::Destroy
    );
}
