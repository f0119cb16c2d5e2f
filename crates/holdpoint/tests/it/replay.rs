//! `holdpoint replay` on a Claude Code transcript (tests/data/replay, its origin noted
//! there): every tool call decided as its hook would have had it decided, nothing run or
//! recorded, unreadable lines named.

use serde_json::Value;

use crate::setup::Setup;
use crate::{data, stderr, stdout};

fn replay(setup: &Setup, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    let output = setup.run(&all, "");
    (output.status.code(), stdout(&output), stderr(&output))
}

#[test]
fn a_claude_code_transcript_is_decided_call_by_call_as_the_hook_would_and_nothing_is_recorded() {
    let setup = Setup::new("replay");
    let transcript = data("replay/claude-code-session.jsonl");
    let before = setup.records().len();
    let (code, out, err) = replay(&setup, &[&transcript, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();

    // Nine tool calls, in one session, in production; a line cut off mid-write between
    // them is named.
    assert_eq!(report["environment"], "production");
    assert_eq!(report["total"]["calls"], 9, "{report:#}");
    assert_eq!(report["sessions"].as_object().unwrap().len(), 1);
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["line"], 10);
    assert!(skipped[0]["why"].as_str().unwrap().contains("not JSON"));

    // What would have waited for a human, in order, with the session it came from.
    let stopped: Vec<(&str, &str)> = report["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap(),
                s["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stopped,
        [
            ("shell: rm -rf /var/lib/app/releases", "ask"),
            ("file: write /etc/hosts", "ask"),
            (
                r#"mcp: {"annotations":null,"arguments":{"sql":"DROP TABLE sessions"},"method":"tools/call","name":"query","server":{"command":[],"info":null,"name":"db","trusted":false,"url":null}}"#,
                "ask"
            ),
        ],
        "{report:#}"
    );
    let rm = &report["stopped"][0];
    assert_eq!(rm["risk"], "destroy");
    assert_eq!(rm["cwd"], "/home/dev/app");
    assert_eq!(
        rm["failed"], true,
        "the transcript shows it failed when it ran"
    );
    assert!(!rm["reasons"].as_array().unwrap().is_empty());
    assert_eq!(report["approvals_needed"], 3);
    assert_eq!(report["destroys_stopped"], 3);

    // The same decisions `holdpoint check` gives each shell command where it ran.
    for (command, held) in [
        ("ls -la /var/lib/app/releases", false),
        ("git status --short", false),
        ("rm -rf /var/lib/app/releases", true),
        ("cargo test --workspace 2>&1 | tail -20", false),
    ] {
        let checked = setup.run(
            &[
                "check",
                "--format",
                "json",
                "--cwd",
                "/home/dev/app",
                "shell",
                "--",
                command,
            ],
            "",
        );
        let answer: Value = serde_json::from_str(&stdout(&checked)).unwrap();
        assert_eq!(answer["outcome"] != "allow", held, "{command}: {answer}");
        let replayed = report["stopped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["action"] == format!("shell: {command}").as_str());
        assert_eq!(replayed, held, "{command}");
    }

    // Nothing ran and nothing was written to the ledger.
    assert_eq!(setup.records().len(), before);

    // In development, changes run; destroys still wait.
    let (_, out, _) = replay(
        &setup,
        &[&transcript, "--env", "development", "--format", "json"],
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["environment"], "development");
    assert_eq!(report["total"]["calls"], 9);
    assert_eq!(report["total"]["asked"], 3, "{report:#}");

    // For a person: the totals, the cost and the value, each stopped call and where.
    let (code, out, _) = replay(&setup, &[&transcript]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("9 tool calls in 1 session from 1 file, decided in production: 6 allowed, 3 held for a human, 0 refused"),
        "{out}"
    );
    assert!(
        out.contains(
            "cost: 3 calls a human would have approved; value: 3 destroys it would have stopped"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "HELD     [destroy] shell: rm -rf /var/lib/app/releases  (it failed when it ran)"
        ),
        "{out}"
    );
    assert!(
        out.contains("claude-code-session.jsonl:10: not JSON"),
        "{out}"
    );
}

#[test]
fn what_is_not_a_transcript_and_what_cannot_be_found_are_named() {
    let setup = Setup::new("replay-other");
    let (code, out, _) = replay(
        &setup,
        &[&data("replay/not-a-transcript.jsonl"), "--format", "json"],
    );
    assert_eq!(code, Some(0));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["total"]["calls"], 0);
    let why = report["skipped"][0]["why"].as_str().unwrap();
    assert!(why.contains("is not a transcript holdpoint reads"), "{why}");

    // No transcripts where the agents keep them, and none named.
    let (code, _, err) = replay(&setup, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains(".claude/projects"), "{err}");
    assert!(err.contains(".gemini/tmp"), "{err}");

    let (code, _, err) = replay(&setup, &["--since", "a while", &data("replay")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--since `a while` is not a duration"), "{err}");

    let (code, _, err) = replay(&setup, &["/no/such/place"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read `/no/such/place`"), "{err}");
}

/// The README's "Try it on your own history first", as written: with a transcript of
/// yesterday in `~/.claude/projects`, its replay command finds and decides it.
#[test]
fn the_readmes_replay_command_finds_the_agents_own_history() {
    let readme = include_str!("../../../../README.md");
    let section = &readme[readme.find("### Try it on your own history first").unwrap()..];
    let block = &section[section.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    let command: Vec<&str> = block
        .lines()
        .find(|l| l.starts_with("holdpoint replay"))
        .unwrap()
        .split(" #")
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let setup = Setup::new("replay-readme");
    let project = setup.user_home.join(".claude/projects/-home-dev-app");
    std::fs::create_dir_all(&project).unwrap();
    // The fixture's calls, made yesterday and three months ago.
    let yesterday = humantime::format_rfc3339(
        std::time::SystemTime::now() - std::time::Duration::from_secs(86_400),
    )
    .to_string();
    let fixture = std::fs::read_to_string(data("replay/claude-code-session.jsonl")).unwrap();
    std::fs::write(
        project.join("recent.jsonl"),
        fixture.replace("2026-11-30T", &yesterday[..11]),
    )
    .unwrap();
    // Another session's calls have ids of their own (a call written again under its id
    // is a copy, counted once).
    std::fs::write(
        project.join("old.jsonl"),
        fixture
            .replace("2026-11-30T", "2020-01-01T")
            .replace("toolu_", "toolu_old_"),
    )
    .unwrap();
    let output = setup.run(&command[1..], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    // The recent session only, as `--since 30d` asks.
    assert!(
        out.starts_with("9 tool calls in 1 session from 2 files"),
        "{out}"
    );
}

/// A what-if: the same history under a policy that forbids dropping tables; the one
/// call it changes is listed beside what the policies in force made of it.
#[test]
fn other_policies_show_the_calls_whose_decision_they_change() {
    let setup = Setup::new("replay-what-if");
    let proposed = setup.scratch.0.join("proposed");
    std::fs::create_dir_all(&proposed).unwrap();
    std::fs::write(
        proposed.join("no-drop-table.cedar"),
        "@id(\"no-drop-table\")\n@reason(\"tables are never dropped by agents\")\nforbid (principal, action == Action::\"destroy\", resource)\nwhen { context.effects.contains(\"delete:table\") };\n",
    )
    .unwrap();
    let transcript = data("replay/claude-code-session.jsonl");
    let (code, out, err) = replay(
        &setup,
        &[
            &transcript,
            "--policies",
            proposed.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let changed = report["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert!(
        changed[0]["action"]
            .as_str()
            .unwrap()
            .contains("DROP TABLE sessions")
    );
    assert_eq!(changed[0]["in_force"], "ask");
    assert_eq!(changed[0]["with"], "deny");
    assert!(
        changed[0]["reasons"]
            .to_string()
            .contains("tables are never dropped by agents"),
        "{changed:#?}"
    );
    assert_eq!(report["total"]["refused"], 1);

    let (_, out, _) = replay(
        &setup,
        &[&transcript, "--policies", proposed.to_str().unwrap()],
    );
    assert!(
        out.contains("decided otherwise than by the policies in force: 1 call"),
        "{out}"
    );
    assert!(
        out.contains("HELD     [destroy] -> REFUSED  [destroy]"),
        "{out}"
    );

    // Without --policies there is nothing to compare.
    let (_, out, _) = replay(&setup, &[&transcript, "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(report.get("changed").is_none());
}

/// A Codex rollout: its shell calls (given as words, as a line, or as a local shell
/// call), its patches, each in the directory the rollout says, and the outputs that say
/// a call failed.
#[test]
fn a_codex_rollout_is_decided_call_by_call_in_the_directory_each_ran_in() {
    let setup = Setup::new("replay-codex");
    let rollout = data("replay/codex-rollout.jsonl");
    let (code, out, err) = replay(&setup, &[&rollout, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["total"]["calls"], 5, "{report:#}");
    assert!(
        report["sessions"]
            .as_object()
            .unwrap()
            .contains_key("019a3c7e-5b1d-7f20-9c4e-2d8b6a1f0e35")
    );
    let stopped: Vec<(&str, &str, &str, bool)> = report["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap(),
                s["risk"].as_str().unwrap(),
                s["cwd"].as_str().unwrap(),
                s["failed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stopped,
        [
            (
                "shell: bash -lc './deploy/run.sh --dry-run'",
                "change",
                "/home/dev/service",
                true
            ),
            (
                "shell: rm -rf /var/lib/app/releases",
                "destroy",
                "/srv/app",
                false
            ),
            (
                "shell: git push --force origin main",
                "destroy",
                "/home/dev/service",
                false
            ),
        ],
        "{report:#}"
    );
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["line"], 17);
    assert!(
        skipped[0]["why"]
            .as_str()
            .unwrap()
            .contains("arguments are not JSON")
    );

    // The same decisions `holdpoint check` gives each command where it ran.
    for (command, cwd, held) in [
        (
            "bash -lc 'git status --short && ls deploy'",
            "/home/dev/service",
            false,
        ),
        (
            "bash -lc './deploy/run.sh --dry-run'",
            "/home/dev/service",
            true,
        ),
        ("rm -rf /var/lib/app/releases", "/srv/app", true),
        ("git push --force origin main", "/home/dev/service", true),
    ] {
        let checked = setup.run(
            &[
                "check", "--format", "json", "--cwd", cwd, "shell", "--", command,
            ],
            "",
        );
        let answer: Value = serde_json::from_str(&stdout(&checked)).unwrap();
        assert_eq!(answer["outcome"] != "allow", held, "{command}: {answer}");
    }

    // Every history in one run, each file read in its own format: these two, and the
    // five the agents recorded (12 calls) in the directory below.
    let (_, out, _) = replay(&setup, &[&data("replay"), "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["total"]["calls"], 14 + 12, "{report:#}");
    assert_eq!(report["sessions"].as_object().unwrap().len(), 2 + 5);
}

/// Gemini CLI's chats, in both shapes it keeps them in: the project's directory is found
/// from the hash the chat names it by, and each call is decided there.
#[test]
fn gemini_chats_are_decided_in_the_project_their_hash_names() {
    use sha2::Digest as _;
    let setup = Setup::new("replay-gemini");
    let project = setup.user_home.join("code").join("service");
    std::fs::create_dir_all(project.join("config")).unwrap();
    let project_dir = project.to_str().unwrap().to_owned();
    let hash: String = sha2::Sha256::digest(project_dir.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let chats = setup
        .user_home
        .join(".gemini/tmp")
        .join(&hash)
        .join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    for (name, file) in [
        ("gemini-chat.json", "session-2026-11-30T16-00-7c1e4b2a.json"),
        (
            "gemini-chat.jsonl",
            "session-2026-12-01T09-00-3a9f0c1d.jsonl",
        ),
    ] {
        let text = std::fs::read_to_string(data(&format!("replay/{name}")))
            .unwrap()
            .replace("PROJECT_HASH", &hash)
            .replace("PROJECT_DIR", &project_dir);
        std::fs::write(chats.join(file), text).unwrap();
    }

    let (code, out, err) = replay(&setup, &["--agent", "gemini", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    // Four calls in the object, and in the log two: the call written again with its new
    // status is one call, and the one a `$patch` added is there.
    assert_eq!(report["total"]["calls"], 6, "{report:#}");
    assert_eq!(report["sessions"].as_object().unwrap().len(), 2);
    let stopped: Vec<(&str, &str, bool)> = report["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap(),
                s["cwd"].as_str().unwrap(),
                s["failed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stopped,
        [
            (
                "shell: rm -rf /var/lib/app/releases",
                project_dir.as_str(),
                true
            ),
            ("file: write /etc/hosts", project_dir.as_str(), false),
            ("shell: rm -rf /srv/data", project_dir.as_str(), true),
        ],
        "{report:#}"
    );
    // The chat was rewound past that last call: it ran, and the chat took it back.
    assert_eq!(report["undone_afterwards"], 1, "{report:#}");
    assert_eq!(
        report["stopped"][2]["undone"],
        "taken back by a rewind of the chat (line 8)"
    );
    assert!(report["stopped"][0].get("undone").is_none(), "{report:#}");

    // A chat whose project is nowhere to be found is named, not guessed at.
    std::fs::remove_dir_all(&project).unwrap();
    let (_, out, _) = replay(&setup, &["--agent", "gemini", "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["total"]["calls"], 0, "{report:#}");
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped[0]["why"]
            .as_str()
            .unwrap()
            .contains("a hash of its directory"),
        "{skipped:?}"
    );
}

#[test]
fn sessions_the_agents_recorded_are_decided_as_holdpoint_check_decides_their_commands() {
    let setup = Setup::new("replay-recorded");
    let recorded = data("replay/recorded");
    let (code, out, err) = replay(&setup, &[&recorded, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    // Five sessions, twelve calls, every line read; the three commands that failed are
    // known as failed however each agent said so.
    assert_eq!(report["total"]["calls"], 12, "{report:#}");
    assert_eq!(report["sessions"].as_object().unwrap().len(), 5);
    assert_eq!(report["skipped"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["failed_when_run"], 3, "{report:#}");
    assert_eq!(report["undone_afterwards"], 0, "{report:#}");
    // The same decisions `holdpoint check` gives each command where it ran.
    let stopped: Vec<&str> = report["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    for (cwd, command) in [
        (
            "/Users/ingo/projects/irrlicht/.claude/worktrees/268/.build/refresh/claudecode/self-correction-iteration-20260517T221630/cwd",
            "false",
        ),
        (
            "/Users/ingo/projects/irrlicht/.claude/worktrees/268/.build/refresh/claudecode/self-correction-iteration-20260517T221630/cwd",
            "echo recovered",
        ),
        (
            "/Users/ingo/projects/irrlicht/.claude/worktrees/442/.build/refresh/codex/self-correction-iteration-20260523T205606/cwd",
            "cat /nonexistent_file_xyz.txt",
        ),
        (
            "/Users/ingo/projects/irrlicht/.build/refresh/codex/5-4_architect-editor-pair-20260530T231044/cwd",
            "ls",
        ),
    ] {
        let checked = setup.run(
            &[
                "check", "--format", "json", "--cwd", cwd, "shell", "--", command,
            ],
            "",
        );
        let answer: Value = serde_json::from_str(&stdout(&checked)).unwrap();
        let held = answer["outcome"] != "allow";
        assert_eq!(
            stopped.contains(&format!("shell: {command}").as_str()),
            held,
            "{command}: {answer}"
        );
    }
    assert_eq!(stopped.len(), 0, "{report:#}");

    // For a person, the same, in a sentence.
    let (_, out, _) = replay(&setup, &[&recorded]);
    assert!(
        out.contains("the transcripts show 3 calls failed when they ran"),
        "{out}"
    );
}
