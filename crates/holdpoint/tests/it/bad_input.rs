//! Bad input: one clear message, never an `allow`, nothing half-done.

use serde_json::Value;

use crate::{Scratch, holdpoint, stderr, stdout};

#[test]
fn unparseable_shell_is_held_not_allowed() {
    for env in ["production", "staging", "development"] {
        let output = holdpoint(
            &[
                "check",
                "--env",
                env,
                "--format",
                "json",
                "shell",
                "--",
                "echo 'unterminated",
            ],
            "",
        );
        let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(answer["outcome"], "ask", "{env}: {answer}");
        assert!(
            answer["unanalysable"]
                .as_str()
                .unwrap()
                .contains("could not be parsed"),
            "{answer}"
        );
    }
}

#[test]
fn invalid_sql_is_held_not_allowed() {
    for env in ["production", "development"] {
        let output = holdpoint(
            &[
                "check",
                "--env",
                env,
                "--format",
                "json",
                "sql",
                "--",
                "SELEC * FRM users",
            ],
            "",
        );
        let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(answer["outcome"], "ask", "{env}: {answer}");
    }
}

#[test]
fn an_unknown_surface_is_a_usage_error() {
    let output = holdpoint(&["check", "ftp", "--", "get x"], "");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "holdpoint: unknown surface `ftp`: expected `shell` or `sql`"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn an_unknown_environment_is_a_usage_error() {
    let output = holdpoint(&["check", "--env", "qa", "shell", "--", "ls"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown environment `qa`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_input_says_how_to_give_it() {
    let output = holdpoint(&["check", "shell"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("give it after `--`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn malformed_batch_lines_get_an_error_object_and_the_rest_go_on() {
    let input = [
        r#"{"surface":"shell","input":"ls"}"#,
        r#"{"surface":"shell","input":"#,
        r#"{"surface":"ftp","input":"get x"}"#,
        r#"{"surface":"sql","input":"SELECT 1","env":"moon"}"#,
        r#"{"surface":"sql"}"#,
        r#"{"surface":"sql","input":"SELECT 1","extra":true}"#,
        r#"{"surface":"sql","input":"SELECT 1"}"#,
    ]
    .join("\n");
    let output = holdpoint(&["check", "--batch", "-"], &input);
    assert_eq!(output.status.code(), Some(0));
    let answers: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 7);
    assert_eq!(answers[0]["outcome"], "allow");
    for (i, answer) in answers.iter().enumerate().take(6).skip(1) {
        assert_eq!(answer["outcome"], "deny", "line {}: {answer}", i + 1);
        assert_eq!(answer["line"], i + 1);
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
    }
    assert_eq!(answers[6]["outcome"], "allow");
}

#[test]
fn a_missing_batch_file_is_a_usage_error() {
    let output = holdpoint(&["check", "--batch", "/nonexistent/actions.jsonl"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot open `/nonexistent/actions.jsonl`"));
}

#[test]
fn an_invalid_policy_stops_every_decision() {
    let dir = Scratch::new("bad-policy");
    // A forbid that names an attribute holdpoint does not supply: Cedar would skip it at
    // evaluation and let everything through, so holdpoint refuses to load it.
    dir.write(
        "freeze-fridays.cedar",
        "forbid (principal, action, resource) when { context.is_friday };",
    );
    let output = holdpoint(
        &["check", "--policies", dir.path(), "shell", "--", "ls"],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty(), "no decision may be printed");
    assert!(stderr(&output).contains("is_friday"), "{}", stderr(&output));

    dir.write(
        "freeze-fridays.cedar",
        "forbid (principal, action, resource) when { context.frozen ",
    );
    let output = holdpoint(
        &["check", "--policies", dir.path(), "shell", "--", "ls"],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not parse"),
        "{}",
        stderr(&output)
    );
}
