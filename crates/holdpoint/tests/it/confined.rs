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

/// A project whose `npm test` writes `tested.txt` in the workspace, then deletes
/// `precious`.
fn project(setup: &Setup, precious: &Precious) {
    let script = format!(
        "node -e \"require('fs').writeFileSync('tested.txt', 'ok'); require('fs').rmSync('{}')\"",
        precious.0.display()
    );
    let package = json!({"name": "p", "version": "1.0.0", "scripts": {"test": script}});
    std::fs::write(setup.work.join("package.json"), package.to_string()).unwrap();
}

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
    command.output().unwrap()
}

#[test]
fn a_test_run_through_the_claude_code_hook_cannot_delete_outside_the_workspace() {
    let setup = Setup::new("confined-claude");
    let precious = Precious::new("claude");
    project(&setup, &precious);

    let (output, answer) = setup.hook(
        "claude-code",
        &claude_code(&setup, "PreToolUse", "npm test", "default"),
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
        stderr(&ran).contains("EACCES") || stderr(&ran).contains("permission denied"),
        "{}",
        stderr(&ran)
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
    assert_eq!(proposed, ["npm test"], "{records:#?}");
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
        &claude_code(&setup, "PreToolUse", "npm test", "bypassPermissions"),
    );
    assert_eq!(
        answer.unwrap()["hookSpecificOutput"]["permissionDecision"],
        "allow"
    );

    // Without holdpoint the same test deletes the file: the payload is real.
    let ran = shell(&setup, "npm test");
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert!(!precious.exists());
}

#[test]
fn exec_runs_the_projects_code_in_the_sandbox_and_cursor_holds_it_as_a_change() {
    let setup = Setup::new("confined-exec");
    let precious = Precious::new("exec");
    project(&setup, &precious);
    let output = setup.run(&["exec", "--", "npm", "test"], "");
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
        "generation_id": "g1", "workspace_roots": [setup.work], "command": "npm test",
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
