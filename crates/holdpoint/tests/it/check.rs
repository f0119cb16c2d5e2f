//! `holdpoint check`: decisions, output formats and exit statuses.

use serde_json::Value;

use crate::{Scratch, holdpoint, stdout};

fn json(args: &[&str]) -> Value {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let output = holdpoint(&all, "");
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn a_destructive_command_in_production_waits_for_a_human() {
    let output = holdpoint(&["check", "shell", "--", "rm -rf /var/lib/postgresql"], "");
    assert_eq!(output.status.code(), Some(3));
    let text = stdout(&output);
    assert!(text.starts_with("decision  ask"), "{text}");
    assert!(text.contains("risk      destroy"), "{text}");
    assert!(
        text.contains("deletes `/var/lib/postgresql` outside the workspace"),
        "{text}"
    );
    assert!(text.contains("production-destroy-needs-approval"), "{text}");
}

#[test]
fn a_read_is_allowed_with_exit_status_zero() {
    let output = holdpoint(&["check", "sql", "--", "SELECT 'DROP TABLE users'"], "");
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("decision  allow"));
}

#[test]
fn json_output_names_decision_risk_reasons_and_digest() {
    let answer = json(&[
        "--env",
        "staging",
        "sql",
        "--",
        "DELETE FROM users WHERE 1=1",
    ]);
    assert_eq!(answer["outcome"], "ask");
    assert_eq!(answer["risk"], "destroy");
    assert_eq!(answer["environment"], "staging");
    assert!(answer["digest"].as_str().unwrap().starts_with("sha256:"));
    let reasons = answer["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str().unwrap().contains("every row of table `users`")),
        "{answer}"
    );
}

#[test]
fn the_digest_binds_the_exact_action() {
    let a = json(&["shell", "--", "rm -rf /srv/a"]);
    let b = json(&["shell", "--", "rm -rf /srv/b"]);
    let a_again = json(&["shell", "--", "rm -rf /srv/a"]);
    assert_ne!(a["digest"], b["digest"]);
    assert_eq!(a["digest"], a_again["digest"]);
}

#[test]
fn self_protection_is_denied_outright() {
    let output = holdpoint(
        &[
            "check",
            "--env",
            "development",
            "shell",
            "--",
            "holdpoint approvals approve 12",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(4));
    assert!(stdout(&output).contains("self-protection"));
}

#[test]
fn input_can_come_from_standard_input() {
    // Exit status 3 is also what unreadable input gives: the text says what was read.
    let output = holdpoint(&["check", "sql", "-"], "DROP TABLE users;\n");
    assert_eq!(output.status.code(), Some(3));
    let text = stdout(&output);
    assert!(text.starts_with("decision  ask"), "{text}");
    assert!(text.contains("risk      destroy"), "{text}");
    assert!(text.contains("`users`"), "{text}");
}

#[test]
fn the_environment_comes_from_holdpoint_env() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_holdpoint"))
        .args([
            "check",
            "--format",
            "json",
            "shell",
            "--",
            "kubectl apply -f x.yaml",
        ])
        .env("HOLDPOINT_ENV", "staging")
        .env(
            "HOLDPOINT_HOME",
            std::env::temp_dir().join("holdpoint-test-env-home"),
        )
        .output()
        .unwrap();
    let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(answer["environment"], "staging");
    assert_eq!(answer["outcome"], "allow");
}

#[test]
fn a_batch_answers_every_line_in_order() {
    let input = [
        r#"{"surface":"shell","input":"ls -la"}"#,
        r#"{"surface":"sql","input":"DROP TABLE users","env":"development"}"#,
        "",
        r#"{"surface":"shell","input":"git push --force","env":"staging"}"#,
    ]
    .join("\n");
    let output = holdpoint(&["check", "--batch", "-"], &input);
    assert_eq!(output.status.code(), Some(0));
    let answers: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["outcome"], "allow");
    assert_eq!(answers[1]["outcome"], "ask");
    assert_eq!(answers[1]["environment"], "development");
    assert_eq!(answers[2]["outcome"], "ask");
    assert_eq!(answers[2]["risk"], "destroy");
}

#[test]
fn a_script_is_read_and_its_text_is_part_of_the_digest() {
    let dir = Scratch::new("script");
    let cwd = dir.path();
    dir.write("cleanup.sh", "#!/bin/sh\nrm -rf build\n");
    let harmless = json(&["--cwd", cwd, "shell", "--", "./cleanup.sh"]);
    assert_eq!(harmless["risk"], "workspace", "{harmless}");
    dir.write("cleanup.sh", "#!/bin/sh\nrm -rf /var/backups\n");
    let harmful = json(&["--cwd", cwd, "shell", "--", "./cleanup.sh"]);
    assert_eq!(harmful["risk"], "destroy", "{harmful}");
    assert_ne!(
        harmless["digest"], harmful["digest"],
        "an approval must not carry over to a changed script"
    );
}

/// Inline code that names holdpoint's files reads them, as a command's operand would:
/// refused outright even in development, where a change (an UPDATE with a WHERE) is
/// otherwise allowed, and even where the home is not `~/.holdpoint`.
#[test]
fn inline_code_naming_holdpoints_files_is_refused_as_self_protection() {
    let home = std::env::temp_dir().join(format!("holdpoint-test-home-{}", std::process::id()));
    let home = home.display().to_string();
    // The home's path cut in two and joined by the code itself.
    let (head, tail) = home.split_at(home.len() / 2);
    for code in [
        format!("python3 -c \"print(open('{head}' + '{tail}/keys/ledger.key').read())\""),
        format!("php -r \"echo file_get_contents('{head}' . '{tail}/store.db');\""),
        // A path written without quotes, in Tcl.
        format!("tclsh <<< 'puts [read [open {home}/keys/ledger.key]]'"),
        // A local database engine reads the files its SQL names.
        format!("sqlite3 :memory: \"select readfile('{home}/keys/ledger.key')\""),
        format!("sqlite3 :memory: \".read {home}/keys/ledger.key\""),
        format!("duckdb -c \"select * from read_csv('{home}/keys/ledger.key')\""),
        // A route of holdpoint's server only a human may use, asked from code.
        "python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:7878/api/v1/approvals/apr-1/approve', data=b'{}')\"".to_owned(),
        // Every file below the directory that holds the home.
        format!(
            "python3 -c \"import os; [print(open(os.path.join(r, f)).read()) for r, _, fs in os.walk('{}') for f in fs]\"",
            std::env::temp_dir().display()
        ),
        format!("python3 -c \"print(open('{home}/keys/ledger.key').read())\""),
        format!(
            "node -e \"console.log(require('fs').readFileSync('{home}/keys/ledger.key', 'utf8'))\""
        ),
        format!(
            "python3 -c \"import sqlite3; c = sqlite3.connect('{home}/store.db'); c.execute(\\\"UPDATE approvals SET state = 'approved' WHERE id = 'apr-1'\\\"); c.commit()\""
        ),
        format!(
            "python3 -c \"import sqlite3; print(sqlite3.connect('{home}/store.db').execute('SELECT text FROM records').fetchall())\""
        ),
    ] {
        let output = holdpoint(&["check", "--env", "development", "shell", "--", &code], "");
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(4), "{code}: {text}");
        assert!(
            text.contains("holdpoint's own") && text.contains("[self-protection]"),
            "{code}: {text}"
        );
    }
    // A credential it names is a credential read, held in production as `cat` is; `~`
    // is the home, as `os.path.expanduser` makes it.
    let user_home = std::env::var("HOME").unwrap();
    for (code, path) in [
        (
            "python3 -c \"print(open('/home/dev/.aws/credentials').read())\"",
            "/home/dev/.aws/credentials".to_owned(),
        ),
        (
            "python3 -c \"import os; print(open(os.path.expanduser('~/.aws/credentials')).read())\"",
            format!("{}/.aws/credentials", user_home.trim_end_matches('/')),
        ),
        // Below the home the code names: joined by a call, by `+`, by the path operator.
        (
            "python3 -c \"import os; print(open(os.path.join(os.path.expanduser('~'), '.aws', 'credentials')).read())\"",
            format!("{}/.aws/credentials", user_home.trim_end_matches('/')),
        ),
        (
            "python3 -c \"import os; print(open(os.environ['HOME'] + '/.aws/credentials').read())\"",
            format!("{}/.aws/credentials", user_home.trim_end_matches('/')),
        ),
        (
            "python3 -c \"from pathlib import Path; print((Path.home() / '.ssh' / 'id_rsa').read_text())\"",
            format!("{}/.ssh/id_rsa", user_home.trim_end_matches('/')),
        ),
    ] {
        let output = holdpoint(&["check", "shell", "--", code], "");
        let text = stdout(&output);
        assert!(text.starts_with("decision  ask"), "{code}: {text}");
        assert!(
            text.contains(&format!("reads credentials (`{path}`)")),
            "{code}: {text}"
        );
    }
}
