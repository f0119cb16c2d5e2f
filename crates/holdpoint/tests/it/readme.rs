//! The README's quick start with Claude Code, followed as written in a fresh home.

use serde_json::json;

use crate::setup::{SECRET, Setup};
use crate::{stderr, stdout};

/// The README's text between `heading` and the next heading.
fn section(heading: &str) -> &'static str {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("the README has no `{heading}`"));
    let rest = &readme[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The first fenced block of `language` in `text`.
fn block<'a>(text: &'a str, language: &str) -> &'a str {
    let open = format!("```{language}\n");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("no ```{language} block"))
        + open.len();
    &text[start..start + text[start..].find("```").unwrap()]
}

/// Words joined by single spaces, as a wrapped paragraph reads.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every command of the quick start's block runs as written (the binary cargo built
/// stands in for `cargo install`); then the destroy it describes is held with the
/// message it quotes, approved at the terminal as it shows, and retried once.
#[test]
fn the_readme_quick_start_works_as_written() {
    let text = section("## Quick start with Claude Code");
    let setup = Setup::bare("readme-quick-start");
    assert!(!setup.home.exists());
    let mut ran = Vec::new();
    for line in block(text, "sh").lines() {
        let command = line.split(" #").next().unwrap_or("").trim();
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            [] | ["cargo", "install", ..] => continue,
            ["holdpoint", "human", "add", name] => {
                let mut t = setup.terminal(&["human", "add", name]);
                t.answer("new secret", SECRET);
                t.answer("repeat the secret", SECRET);
                let (code, said) = t.finish();
                assert_eq!(code, Some(0), "{command}: {said}");
            }
            ["holdpoint", args @ ..] => {
                let output = setup.run(args, "");
                assert_eq!(
                    output.status.code(),
                    Some(0),
                    "{command}: {}{}",
                    stdout(&output),
                    stderr(&output)
                );
                if args == ["doctor"] {
                    assert!(stdout(&output).ends_with("nothing to fix\n"));
                }
            }
            _ => panic!("the quick start runs `{command}`, which this test does not follow"),
        }
        ran.push(command.to_owned());
    }
    assert_eq!(
        ran,
        [
            "holdpoint init",
            "holdpoint human add alice",
            "holdpoint install claude-code",
            "holdpoint doctor"
        ]
    );

    // Claude Code asks to clear out /var/lib/app/releases: held, and told so as quoted.
    let settings = std::fs::read_to_string(setup.user_home.join(".claude/settings.json")).unwrap();
    assert!(settings.contains("hook claude-code"), "{settings}");
    let call = |setup: &Setup| {
        let input = json!({
            "session_id": "3f1c9a2e-5d7b-4e11-9c0a-8b2f6d4e1a77",
            "transcript_path": "/home/dev/.claude/projects/p/3f1c9a2e-5d7b-4e11-9c0a-8b2f6d4e1a77.jsonl",
            "cwd": setup.work().to_str().unwrap(),
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "rm -rf /var/lib/app/releases", "description": ""},
            "tool_use_id": "toolu_1",
        });
        let (output, answer) = setup.hook("claude-code", &input);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        answer.map(|a| a["hookSpecificOutput"].clone())
    };
    let held = call(&setup).expect("the destroy was let through");
    assert_eq!(held["permissionDecision"], "deny", "{held}");
    let told = held["permissionDecisionReason"].as_str().unwrap();
    let quoted = flat(block(text, "text"));
    let id_at = told.find("request apr-").unwrap() + "request ".len();
    let id = &told[id_at..id_at + 12];
    let quoted = quoted.replace("apr-63ur27x8", id);
    // Up to the time left, which moves, the agent is told what the README says.
    let until = quoted.find(" it expires in").unwrap();
    assert!(
        flat(told).starts_with(&quoted[..until]),
        "the README quotes:\n{quoted}\nthe agent is told:\n{told}"
    );

    // In your own terminal: listed, then approved by typing the secret and the name.
    let listed = stdout(&setup.run(&["approvals", "list"], ""));
    assert!(
        listed.contains(id) && listed.contains("rm -rf /var/lib/app/releases"),
        "{listed}"
    );
    let mut t = setup.terminal(&["approvals", "approve", id]);
    t.answer("secret for alice", SECRET);
    t.answer("to confirm", "/var/lib/app/releases");
    let (code, said) = t.finish();
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains(&format!("approved {id} as alice")), "{said}");

    // The identical command now runs, once.
    assert_eq!(call(&setup), None, "the retry after approval is allowed");
    let again = call(&setup).expect("a second retry was let through");
    assert_eq!(again["permissionDecision"], "deny");
}
