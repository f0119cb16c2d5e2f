//! Workspace commands that run the project's own code run inside `holdpoint sandbox`:
//! the hooks hand the agent the command wrapped in the sandbox, `holdpoint exec` runs
//! it there, and where neither can (Cursor), the command is a change.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::setup::Setup;
use crate::{stderr, stdout};

/// A file outside the workspace, the temporary directories and holdpoint's home, that
/// the project's test tries to delete.
struct Precious(PathBuf);

impl Precious {
    fn new(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("holdpoint-precious-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("precious.txt");
        std::fs::write(&file, "keep me").unwrap();
        Precious(file)
    }

    fn exists(&self) -> bool {
        self.0.exists()
    }
}

impl Drop for Precious {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A crate whose test writes `tested.txt` in the workspace, then deletes `precious`:
/// code the project holds, which analysis does not see into.
fn project(setup: &Setup, precious: &Precious) {
    std::fs::create_dir_all(setup.work.join("src")).unwrap();
    std::fs::create_dir_all(setup.work.join(".tmp")).unwrap();
    std::fs::write(
        setup.work.join("Cargo.toml"),
        "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        setup.work.join("src/lib.rs"),
        format!(
            "#[test]\nfn tidy() {{\n    std::fs::write(\"tested.txt\", \"ok\").unwrap();\n    std::fs::remove_file({:?}).unwrap();\n}}\n",
            precious.0
        ),
    )
    .unwrap();
}

/// The toolchain as the test process finds it, for commands run with the set-up's own
/// `$HOME`; the build's files stay in the workspace.
fn toolchain(setup: &Setup, command: &mut Command) {
    let home = std::env::var("HOME").unwrap_or_default();
    command
        .env(
            "CARGO_HOME",
            std::env::var("CARGO_HOME").unwrap_or(format!("{home}/.cargo")),
        )
        .env(
            "RUSTUP_HOME",
            std::env::var("RUSTUP_HOME").unwrap_or(format!("{home}/.rustup")),
        )
        .env("CARGO_TARGET_DIR", setup.work.join("target"))
        .env("TMPDIR", setup.work.join(".tmp"));
}

const TEST: &str = "cargo test --offline --quiet";

fn claude_code(setup: &Setup, event: &str, command: &str, mode: &str) -> Value {
    json!({
        "session_id": "confined", "transcript_path": "/tmp/t.jsonl", "cwd": setup.work,
        "permission_mode": mode, "hook_event_name": event, "tool_name": "Bash",
        "tool_input": {"command": command, "description": "run the tests"},
        "tool_use_id": "toolu_1",
    })
}

/// Runs a command line as the agent's shell tool would.
fn shell(setup: &Setup, line: &str) -> std::process::Output {
    let mut command = Command::new("bash");
    command.args(["-c", line]);
    setup.environment(&mut command);
    toolchain(setup, &mut command);
    command.output().unwrap()
}

#[test]
fn a_test_run_through_the_claude_code_hook_cannot_delete_outside_the_workspace() {
    let setup = Setup::new("confined-claude");
    let precious = Precious::new("claude");
    project(&setup, &precious);

    let (output, answer) = setup.hook(
        "claude-code",
        &claude_code(&setup, "PreToolUse", TEST, "default"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer = answer.expect("an answer that replaces the command");
    let decided = &answer["hookSpecificOutput"];
    // Claude Code asks its user, as it would have without holdpoint, and shows the
    // command that will really run.
    assert_eq!(decided["permissionDecision"], "ask", "{answer}");
    let wrapped = decided["updatedInput"]["command"].as_str().unwrap();
    assert!(wrapped.contains(" sandbox --workspace "), "{wrapped}");
    assert_eq!(decided["updatedInput"]["description"], "run the tests");

    // Run as the agent would: the test ran, and the file outside survived.
    let ran = shell(&setup, wrapped);
    assert!(setup.work.join("tested.txt").exists(), "{}", stderr(&ran));
    assert!(precious.exists(), "{}", stderr(&ran));
    assert!(
        stdout(&ran).contains("Permission denied"),
        "{}",
        stdout(&ran)
    );

    // The outcome is recorded against the command decided, not the wrapper.
    let (output, _) = setup.hook(
        "claude-code",
        &claude_code(&setup, "PostToolUse", wrapped, "default"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = setup.records();
    let proposed = records
        .iter()
        .filter(|r| r["kind"] == "proposed")
        .map(|r| r["body"]["input"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(proposed, [TEST], "{records:#?}");
    let decided = records.iter().find(|r| r["kind"] == "decided").unwrap();
    let executed = records.iter().find(|r| r["kind"] == "executed").unwrap();
    assert_eq!(decided["digest"], executed["digest"]);
    assert!(
        decided["body"]["effects"]
            .to_string()
            .contains("inside holdpoint's sandbox"),
        "{decided}"
    );

    // In a mode where Claude Code runs calls without asking, holdpoint does not ask
    // either.
    let (_, answer) = setup.hook(
        "claude-code",
        &claude_code(&setup, "PreToolUse", TEST, "bypassPermissions"),
    );
    assert_eq!(
        answer.unwrap()["hookSpecificOutput"]["permissionDecision"],
        "allow"
    );

    // Without holdpoint the same test deletes the file: the payload is real.
    let ran = shell(&setup, TEST);
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert!(!precious.exists());
}

#[test]
fn exec_runs_the_projects_code_in_the_sandbox_and_cursor_holds_it_as_a_change() {
    let setup = Setup::new("confined-exec");
    let precious = Precious::new("exec");
    project(&setup, &precious);
    let mut exec = setup.command(&["exec", "--", "cargo", "test", "--offline", "--quiet"]);
    toolchain(&setup, &mut exec);
    let output = exec.output().unwrap();
    assert!(
        setup.work.join("tested.txt").exists(),
        "{}",
        stderr(&output)
    );
    assert!(precious.exists(), "{}", stderr(&output));
    assert_ne!(output.status.code(), Some(0));

    // Cursor's hook cannot replace the command, so running the project's code is a
    // change it cannot confine: held in production.
    let cursor = json!({
        "hook_event_name": "beforeShellExecution", "conversation_id": "c1",
        "generation_id": "g1", "workspace_roots": [setup.work], "command": TEST,
        "cwd": setup.work,
    });
    let (output, answer) = setup.hook("cursor", &cursor);
    let answer = answer.unwrap();
    assert_eq!(answer["permission"], "deny", "{}", stdout(&output));
    assert!(
        answer["agent_message"]
            .as_str()
            .unwrap()
            .contains("cannot confine"),
        "{answer}"
    );
    assert!(precious.exists());
}
