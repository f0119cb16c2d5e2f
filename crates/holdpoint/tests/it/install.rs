//! `holdpoint install` and `uninstall`: the agents' settings files, merged and restored.

use serde_json::{Value, json};

use crate::setup::Setup;
use crate::{stderr, stdout};

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn our_commands(settings: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (_, groups) in settings["hooks"].as_object().unwrap() {
        for group in groups.as_array().unwrap() {
            let inner = group["hooks"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![group.clone()]);
            for hook in inner {
                let command = hook["command"].as_str().unwrap().to_owned();
                if command.contains("holdpoint") {
                    found.push(command);
                }
            }
        }
    }
    found
}

#[test]
fn claude_code_settings_are_merged_not_clobbered() {
    let setup = Setup::new("install-claude");
    let path = setup.user_home.join(".claude/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let existing = json!({
        "model": "opus",
        "permissions": {"allow": ["Bash(npm test)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/audit-bash"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
        }
    });
    std::fs::write(&path, existing.to_string()).unwrap();

    for _ in 0..2 {
        let output = setup.run(&["install", "claude-code"], "");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let settings = read(&path);
    assert_eq!(settings["model"], "opus");
    assert_eq!(settings["permissions"], existing["permissions"]);
    // The user's own end-of-turn hook stays, first; holdpoint's account comes after it.
    let stop = settings["hooks"]["Stop"].as_array().unwrap();
    assert_eq!(stop[0], existing["hooks"]["Stop"][0]);
    assert_eq!(stop.len(), 2, "installing twice adds one entry: {settings}");
    assert!(
        stop[1]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with(" hook claude-code")
    );
    assert!(settings["hooks"]["SubagentStop"].is_array());
    let pre = settings["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre[0], existing["hooks"]["PreToolUse"][0]);
    assert_eq!(pre.len(), 2, "installing twice adds one entry: {settings}");
    assert_eq!(pre[1]["matcher"], "*");
    assert_eq!(pre[1]["hooks"][0]["type"], "command");
    assert_eq!(pre[1]["hooks"][0]["timeout"], 30);
    let command = pre[1]["hooks"][0]["command"].as_str().unwrap();
    assert!(command.ends_with(" hook claude-code"), "{command}");
    assert!(command.starts_with('/'), "an absolute path: {command}");
    assert!(settings["hooks"]["PostToolUse"].is_array());

    let output = setup.run(&["uninstall", "claude-code"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(read(&path), existing);
}

#[test]
fn each_agent_gets_its_own_file_and_shape() {
    let setup = Setup::new("install-agents");
    let project = setup.work().to_str().unwrap().to_owned();
    for (agent, file, event) in [
        ("claude-code", ".claude/settings.json", "PreToolUse"),
        ("codex", ".codex/hooks.json", "PreToolUse"),
        ("gemini", ".gemini/settings.json", "BeforeTool"),
        ("cursor", ".cursor/hooks.json", "beforeShellExecution"),
    ] {
        let output = setup.run(&["install", agent, "--project", &project], "");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let settings = read(&setup.work().join(file));
        assert!(settings["hooks"][event].is_array(), "{agent}: {settings}");
        let commands = our_commands(&settings);
        assert!(!commands.is_empty());
        assert!(
            commands
                .iter()
                .all(|c| c.ends_with(&format!("hook {agent}")))
        );
        match agent {
            "gemini" => assert_eq!(
                settings["hooks"]["BeforeTool"][0]["hooks"][0]["timeout"],
                30_000
            ),
            "cursor" => {
                assert_eq!(settings["version"], 1);
                assert!(settings["hooks"]["beforeMCPExecution"].is_array());
            }
            "codex" => assert!(stdout(&output).contains("/hooks")),
            // A hook that cannot answer blocks the call instead of letting it through.
            "claude-code" => {
                assert_eq!(
                    settings["hooks"]["PreToolUse"][0]["hooks"][0]["onFailure"],
                    "block"
                );
                assert!(stdout(&output).contains("2.1.295"));
            }
            _ => {}
        }
        if agent != "claude-code" {
            assert!(
                stdout(&output).contains("no setting to block a call"),
                "{agent}: {}",
                stdout(&output)
            );
        }
        let output = setup.run(&["uninstall", agent, "--project", &project], "");
        assert_eq!(output.status.code(), Some(0));
        let settings = read(&setup.work().join(file));
        assert!(settings.get("hooks").is_none(), "{agent}: {settings}");
    }
}

#[test]
fn a_broken_settings_file_is_left_alone() {
    let setup = Setup::new("install-broken");
    let path = setup.user_home.join(".gemini/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{ \"theme\": \"dark\", }").unwrap();
    let output = setup.run(&["install", "gemini"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not valid JSON"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{ \"theme\": \"dark\", }"
    );
}

#[test]
fn a_home_that_is_not_the_default_is_pinned_in_the_installed_command() {
    // The home lives elsewhere; the agent is started without HOLDPOINT_HOME.
    let setup = Setup::new("install-pinned");
    let elsewhere = setup.scratch.0.join("elsewhere-home");
    std::fs::rename(&setup.home, &elsewhere).unwrap();
    let mut install = setup.command(&["install", "claude-code"]);
    install.env("HOLDPOINT_HOME", &elsewhere);
    let installed = crate::setup::pipe(install, "");
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    let settings = read(&setup.user_home.join(".claude/settings.json"));
    let command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(command.starts_with("env HOLDPOINT_HOME="), "{command}");
    let input = json!({
        "session_id": "s", "cwd": setup.work().to_str().unwrap(),
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "ls"}
    });
    let mut shell = std::process::Command::new("sh");
    shell.args(["-c", &command]);
    setup.environment(&mut shell);
    shell.env_remove("HOLDPOINT_HOME");
    let output = crate::setup::pipe(shell, &input.to_string());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "a read through the pinned home runs");
    // Uninstalling finds the pinned command as holdpoint's own.
    let mut uninstall = setup.command(&["uninstall", "claude-code"]);
    uninstall.env("HOLDPOINT_HOME", &elsewhere);
    let removed = crate::setup::pipe(uninstall, "");
    assert_eq!(removed.status.code(), Some(0), "{}", stderr(&removed));
    let settings = std::fs::read_to_string(setup.user_home.join(".claude/settings.json")).unwrap();
    assert!(!settings.contains("holdpoint"), "{settings}");
}

#[test]
fn an_installed_hook_decides_the_agents_calls() {
    // The command written into the settings is the one the agent will run.
    let setup = Setup::new("install-run");
    setup.run(&["install", "claude-code"], "");
    let settings = read(&setup.user_home.join(".claude/settings.json"));
    let command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_owned();
    // As the agent runs it: through a shell. A hook that fails also ends in a refusal,
    // so the harmless call must pass and the refusal must give holdpoint's reason.
    let run = |line: &str| {
        let input = json!({
            "session_id": "s", "cwd": setup.work().to_str().unwrap(),
            "hook_event_name": "PreToolUse", "tool_name": "Bash",
            "tool_input": {"command": line}
        });
        let mut shell = std::process::Command::new("sh");
        shell.args(["-c", &command]);
        setup.environment(&mut shell);
        let output = crate::setup::pipe(shell, &input.to_string());
        assert_eq!(output.status.code(), Some(0), "{line}: {}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(
        run("ls"),
        "",
        "a harmless call gets no answer, which lets it run"
    );
    let answer: Value = serde_json::from_str(&run("rm -rf ~/.holdpoint")).unwrap();
    let output = &answer["hookSpecificOutput"];
    assert_eq!(output["permissionDecision"], "deny", "{answer}");
    let reason = output["permissionDecisionReason"].as_str().unwrap();
    assert!(reason.contains("holdpoint"), "{reason}");
}

/// `holdpoint doctor` says what to fix, and only that: no hooks at first; nothing once
/// Claude Code's are installed; hooks that run another holdpoint binary; policies that
/// do not load; a server named but not running; a home not set up.
#[test]
fn doctor_says_what_to_fix() {
    let setup = Setup::new("doctor");
    let doctor = |setup: &Setup| {
        let output = setup.run(&["doctor"], "");
        (output.status.code(), stdout(&output))
    };
    let (code, text) = doctor(&setup);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("ok    policies"), "{text}");
    assert!(text.contains("ok    store"), "{text}");
    assert!(
        text.contains("FIX   hooks       no agent's hooks are installed"),
        "{text}"
    );
    assert!(text.ends_with("1 thing to fix\n"), "{text}");

    let output = setup.run(&["install", "claude-code"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (code, text) = doctor(&setup);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("ok    claude-code Claude Code's hooks"),
        "{text}"
    );
    assert!(text.contains("note  codex"), "{text}");
    assert!(text.ends_with("nothing to fix\n"), "{text}");

    // The hooks still run a binary that moved away.
    let path = setup.user_home.join(".claude/settings.json");
    let settings = std::fs::read_to_string(&path).unwrap();
    let moved = settings.replace(env!("CARGO_BIN_EXE_holdpoint"), "/opt/old/holdpoint");
    assert_ne!(moved, settings);
    std::fs::write(&path, moved).unwrap();
    let (code, text) = doctor(&setup);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FIX   claude-code") && text.contains("/opt/old/holdpoint hook claude-code"),
        "{text}"
    );
    assert!(text.contains("run it again"), "{text}");
    std::fs::write(&path, settings).unwrap();

    // Policies that do not load, and a server that is not there.
    std::fs::write(setup.home.join("policies/broken.cedar"), "permit(").unwrap();
    setup.config("[server]\nurl = \"http://127.0.0.1:9\"\n");
    let (code, text) = doctor(&setup);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FIX   policies"), "{text}");
    assert!(
        text.contains("FIX   server      http://127.0.0.1:9 does not answer"),
        "{text}"
    );
    assert!(text.ends_with("2 things to fix\n"), "{text}");

    // A home that is not set up.
    let output = setup
        .command(&["doctor"])
        .env("HOLDPOINT_HOME", setup.user_home.join("nowhere"))
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FIX   home        holdpoint is not set up"),
        "{text}"
    );
}
