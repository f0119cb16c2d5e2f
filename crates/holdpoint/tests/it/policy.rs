//! `holdpoint policy validate` and `holdpoint policy test`, and user policies.

use crate::{Scratch, data, holdpoint, stderr, stdout};

#[test]
fn the_built_in_pack_validates() {
    let output = holdpoint(&["policy", "validate"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("policies valid (the built-in pack)"));
}

#[test]
fn the_default_pack_decides_as_documented() {
    let output = holdpoint(&["policy", "test", &data("default-policy.jsonl")], "");
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("26 passed, 0 failed"), "{text}");
}

#[test]
fn a_failing_case_is_reported_with_its_line() {
    let dir = Scratch::new("policy-test");
    dir.write(
        "cases.jsonl",
        "{\"surface\":\"sql\",\"input\":\"DROP TABLE users\",\"expect\":\"allow\"}\n",
    );
    let file = dir.0.join("cases.jsonl");
    let output = holdpoint(&["policy", "test", file.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("cases.jsonl:1") && text.contains("expected allow, got ask"),
        "{text}"
    );
    assert!(text.contains("0 passed, 1 failed"), "{text}");
}

#[test]
fn a_user_policy_extends_the_pack() {
    let dir = Scratch::new("user-policy");
    dir.write("no-dropping-tables.cedar", "@id(\"no-drop-table\")\n@reason(\"tables are never dropped by agents\")\nforbid (principal, action == Action::\"destroy\", resource)\nwhen { context.effects.contains(\"delete:table\") };\n");
    let output = holdpoint(
        &[
            "check",
            "--policies",
            dir.path(),
            "--env",
            "development",
            "sql",
            "--",
            "DROP TABLE users",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(4), "{}", stdout(&output));
    assert!(stdout(&output).contains("tables are never dropped by agents"));
    let validate = holdpoint(&["policy", "validate", dir.path()], "");
    assert!(
        stdout(&validate).contains("12 policies valid"),
        "{}",
        stdout(&validate)
    );
}

#[test]
fn a_default_cedar_file_replaces_the_pack() {
    let dir = Scratch::new("replace-policy");
    dir.write(
        "default.cedar",
        "@id(\"reads-only\")\npermit (principal, action == Action::\"read\", resource);\n",
    );
    let read = holdpoint(
        &["check", "--policies", dir.path(), "shell", "--", "ls"],
        "",
    );
    assert_eq!(read.status.code(), Some(0));
    let work = holdpoint(
        &[
            "check",
            "--policies",
            dir.path(),
            "shell",
            "--",
            "cargo build",
        ],
        "",
    );
    assert_eq!(
        work.status.code(),
        Some(4),
        "with no permit, workspace work is denied"
    );
}
