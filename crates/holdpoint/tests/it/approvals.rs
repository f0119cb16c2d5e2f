//! Approvals, grants and freezes end to end: an agent's hook call held, a human at a
//! terminal answering, the identical retry let through once.

use serde_json::{Value, json};

use crate::setup::{SECRET, Setup};
use crate::{stderr, stdout};

/// Claude Code's PreToolUse call for a Bash command in the set-up's workspace.
pub(crate) fn bash(setup: &Setup, session: &str, command: &str) -> Value {
    json!({
        "session_id": session,
        "transcript_path": "/home/dev/.claude/projects/p/s.jsonl",
        "cwd": setup.work().to_str().unwrap(),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "", "timeout": 120_000},
        "tool_use_id": "toolu_1",
    })
}

/// The decision and reason holdpoint gave Claude Code.
pub(crate) fn claude(setup: &Setup, session: &str, command: &str) -> (String, String) {
    decided(setup, &bash(setup, session, command))
}

/// The decision and reason holdpoint gave Claude Code's hook `input`.
fn decided(setup: &Setup, input: &Value) -> (String, String) {
    let output = setup.run(&["hook", "claude-code"], &input.to_string());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    answer_of(&output)
}

/// The decision and reason in what the Claude Code hook printed.
pub(crate) fn answer_of(output: &std::process::Output) -> (String, String) {
    let text = crate::stdout(output);
    // No answer is no objection: holdpoint allows by saying nothing.
    if text.trim().is_empty() {
        return ("allow".to_owned(), String::new());
    }
    let answer: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text} {}", stderr(output)));
    let out = &answer["hookSpecificOutput"];
    (
        out["permissionDecision"].as_str().unwrap().to_owned(),
        out["permissionDecisionReason"].as_str().unwrap().to_owned(),
    )
}

/// The approval request a refusal names.
pub(crate) fn request_id(reason: &str) -> String {
    let at = reason
        .find("request apr-")
        .unwrap_or_else(|| panic!("no request in: {reason}"));
    reason[at + 8..at + 20].to_owned()
}

const CHANGE: &str = "systemctl restart nginx";
const DESTROY: &str = "rm -rf /srv/app/releases";

#[test]
fn an_approved_action_runs_once_and_only_as_approved() {
    let setup = Setup::new("approve-once");
    setup.add_human("alice", None);
    let (decision, reason) = claude(&setup, "s1", CHANGE);
    assert_eq!(decision, "deny");
    let id = request_id(&reason);

    // Retrying before anyone answers finds the same request.
    let (_, again) = claude(&setup, "s1", CHANGE);
    assert_eq!(request_id(&again), id);

    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("approved {id} as alice")), "{text}");

    // One changed byte is another action: not approved.
    let (decision, other) = claude(&setup, "s1", "systemctl restart nginy");
    assert_eq!(decision, "deny");
    assert_ne!(request_id(&other), id);

    // The identical retry is allowed once, from any session.
    let (decision, reason) = claude(&setup, "s2", CHANGE);
    assert_eq!(decision, "allow", "{reason}");
    let decided = setup
        .records()
        .into_iter()
        .rfind(|r| r["kind"] == "decided")
        .unwrap();
    assert_eq!(decided["body"]["outcome"], "allow");
    assert_eq!(decided["body"]["approved_by"], json!(["alice"]));
    assert_eq!(decided["approval"], id.as_str());

    // Used: the next identical call is held again under a new request.
    let (decision, reason) = claude(&setup, "s2", CHANGE);
    assert_eq!(decision, "deny");
    assert_ne!(request_id(&reason), id);

    // Approving a used request is refused.
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("is used, not pending"), "{text}");
}

#[test]
fn the_trailing_space_case_is_the_same_digest() {
    // Regression: surrounding white space is normalised, so an agent that adds a newline
    // on retry still matches its approval.
    let setup = Setup::new("approve-whitespace");
    setup.add_human("alice", None);
    let (_, reason) = claude(&setup, "s1", CHANGE);
    let id = request_id(&reason);
    let (_, again) = claude(&setup, "s1", &format!("{CHANGE}\n"));
    assert_eq!(request_id(&again), id);
}

#[test]
fn the_approver_sees_control_characters_escaped() {
    // An agent's command that would redraw the approver's terminal line to look harmless.
    let setup = Setup::new("approve-display");
    let (_, reason) = claude(&setup, "s1", "rm -rf /srv/data #\r\u{1b}[2Kls -la docs");
    let id = request_id(&reason);
    // Both the request and the list show the whole command with its control characters
    // written out, and none of them raw.
    let escaped = "rm -rf /srv/data #\\r\\u{1b}[2Kls -la docs";
    let shown = stdout(&setup.run(&["approvals", "show", &id], ""));
    assert!(shown.contains(escaped), "{shown}");
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    let listed = stdout(&setup.run(&["approvals", "list"], ""));
    assert!(listed.contains(escaped), "{listed}");
    assert!(
        !listed.contains('\r') && !listed.contains('\u{1b}'),
        "{listed:?}"
    );
}

#[test]
fn destroy_in_production_needs_the_target_typed() {
    let setup = Setup::new("approve-confirm");
    setup.add_human("alice", None);
    let (_, reason) = claude(&setup, "s1", DESTROY);
    let id = request_id(&reason);
    assert!(
        reason.contains("typing the name of what it destroys"),
        "{reason}"
    );
    let (code, text) = setup.approve(&id, "alice", Some("production"));
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("does not match `/srv/app/releases`"),
        "{text}"
    );
    let (code, text) = setup.approve(&id, "alice", Some("/srv/app/releases"));
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(claude(&setup, "s1", DESTROY).0, "allow");
}

#[test]
fn answers_that_must_be_refused() {
    let setup = Setup::new("approve-refusals");
    setup.config("destroy_quorum = 2\n");
    setup.add_human("alice", None);
    setup.add_human("bob", Some("alice"));
    // A human account with the agent's name is still the requester.
    setup.add_human("claude-code", Some("alice"));
    let (_, reason) = claude(&setup, "s1", DESTROY);
    let id = request_id(&reason);
    assert!(
        reason.contains("2 distinct humans must approve"),
        "{reason}"
    );

    // The requester cannot approve its own request.
    let mut t = setup.terminal(&["approvals", "approve", &id, "--as", "claude-code"]);
    t.answer("secret for", crate::setup::SECRET);
    t.answer("to confirm", "/srv/app/releases");
    let (code, text) = t.finish();
    assert_eq!(code, Some(2));
    assert!(text.contains("cannot approve its own request"), "{text}");

    // No terminal: an agent's tool call has none, so no secret is even asked for.
    let output = setup.run(
        &["approvals", "approve", &id, "--as", "alice"],
        "correct horse battery\n",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("only a human at a terminal can approve"));

    // Several humans and no `--as`: said at once, before the request is shown or a
    // secret asked for.
    let t = setup.terminal(&["approvals", "approve", &id]);
    let (code, text) = t.finish();
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("say which one you are with `--as NAME`"),
        "{text}"
    );
    assert!(
        !text.contains("rm -rf"),
        "the request was shown first: {text}"
    );
    assert!(!text.contains("secret for"), "{text}");

    // A wrong secret.
    let mut t = setup.terminal(&["approvals", "approve", &id, "--as", "alice"]);
    t.answer("secret for", "not the secret");
    let (code, text) = t.finish();
    assert_eq!(code, Some(2));
    assert!(text.contains("wrong secret"), "{text}");

    // Quorum of two: the same human twice counts once.
    let (code, text) = setup.approve(&id, "alice", Some("/srv/app/releases"));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 of 2 distinct humans"), "{text}");
    let (code, text) = setup.approve(&id, "alice", Some("/srv/app/releases"));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("already answered"), "{text}");
    assert_eq!(
        claude(&setup, "s1", DESTROY).0,
        "deny",
        "one human is not a quorum"
    );
    let (code, text) = setup.approve(&id, "bob", Some("/srv/app/releases"));
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(claude(&setup, "s1", DESTROY).0, "allow");
    let decided = setup
        .records()
        .into_iter()
        .rfind(|r| r["kind"] == "decided")
        .unwrap();
    assert_eq!(decided["body"]["approved_by"], json!(["alice", "bob"]));

    // Every refused attempt is in the ledger only as what succeeded: two approvals, each
    // proved by a secret typed at this machine's terminal.
    let given: Vec<Value> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "approval_given")
        .collect();
    assert_eq!(given.len(), 2);
    assert!(
        given.iter().all(|r| r["body"]["proof"] == "terminal"),
        "{given:#?}"
    );
}

/// `passkey_required = "always"`: the command line, which cannot ask for a passkey, does
/// not approve, before any secret is asked; the request stays pending.
#[test]
fn the_command_line_does_not_approve_what_only_a_passkey_may() {
    let setup = Setup::new("approve-passkey-only");
    setup.config("passkey_required = \"always\"\n");
    setup.add_human("alice", None);
    let (_, reason) = claude(&setup, "s1", CHANGE);
    let id = request_id(&reason);
    let t = setup.terminal(&["approvals", "approve", &id, "--as", "alice"]);
    let (code, text) = t.finish();
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("may be approved only with a passkey"),
        "{text}"
    );
    assert!(!text.contains("secret for"), "{text}");
    assert!(
        !setup
            .records()
            .iter()
            .any(|r| r["kind"] == "approval_given"),
        "an approval was recorded"
    );
}

#[test]
fn requests_expire() {
    let setup = Setup::new("approve-expiry");
    setup.config("approval_ttl = \"1s\"\n");
    setup.add_human("alice", None);
    let (_, reason) = claude(&setup, "s1", CHANGE);
    let id = request_id(&reason);
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("is expired, not pending"), "{text}");
    let (decision, reason) = claude(&setup, "s1", CHANGE);
    assert_eq!(decision, "deny");
    assert_ne!(request_id(&reason), id);
    assert!(
        setup
            .records()
            .iter()
            .any(|r| r["kind"] == "approval_expired")
    );
}

#[test]
fn a_refusal_stands_for_the_identical_action() {
    let setup = Setup::new("approve-refuse");
    setup.add_human("alice", None);
    let (_, reason) = claude(&setup, "s1", CHANGE);
    let id = request_id(&reason);
    let mut t = setup.terminal(&[
        "approvals",
        "deny",
        &id,
        "--reason",
        "not during the release",
    ]);
    t.answer("secret for", crate::setup::SECRET);
    let (code, text) = t.finish();
    assert_eq!(code, Some(0), "{text}");
    let (decision, reason) = claude(&setup, "s1", CHANGE);
    assert_eq!(decision, "deny");
    assert!(
        reason.contains("alice refused this exact action"),
        "{reason}"
    );
    assert!(reason.contains("not during the release"), "{reason}");
}

#[test]
fn grants_allow_within_their_scope_and_freezes_override_them() {
    let setup = Setup::new("grants-freezes");
    setup.add_human("alice", None);
    // Issuing a grant needs a human.
    let output = setup.run(
        &[
            "grant",
            "create",
            "--agent",
            "claude-code",
            "--task",
            "t",
            "--target",
            "shell:*@production",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("only a human at a terminal can issue a grant"),
        "{}",
        stderr(&output)
    );

    let text = setup.grant(
        "claude-code",
        "restart the web tier after the config fix",
        "shell:*@production",
        "change",
    );
    assert!(
        text.contains("claude-code may act up to `change` on shell:*@production"),
        "{text}"
    );
    assert_eq!(claude(&setup, "s1", CHANGE).0, "allow");
    // Above the grant's risk: held, and the approver is shown what the grant is for.
    let (decision, reason) = claude(&setup, "s1", DESTROY);
    assert_eq!(decision, "deny");
    let id = reason
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.starts_with("apr-"))
        .unwrap_or_else(|| panic!("{reason}"))
        .to_owned();
    let shown = setup.run(&["approvals", "show", &id], "");
    assert!(
        stdout(&shown)
            .contains("task      restart the web tier after the config fix (the agent's grant)"),
        "{}",
        stdout(&shown)
    );
    let shown = setup.run(&["approvals", "show", &id, "--format", "json"], "");
    let request: Value = serde_json::from_str(&stdout(&shown)).unwrap();
    assert_eq!(request["task"], "restart the web tier after the config fix");
    let grant = setup
        .records()
        .into_iter()
        .find(|r| r["kind"] == "grant_issued")
        .unwrap();
    assert_eq!(grant["actors"]["human"], "alice");
    assert_eq!(
        grant["body"]["task"],
        "restart the web tier after the config fix"
    );

    // A freeze denies change whatever the grant says; anyone may start one.
    let output = setup.run(
        &[
            "freeze",
            "start",
            "--env",
            "production",
            "--reason",
            "release 4.2",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("froze production"),
        "{}",
        stdout(&output)
    );
    let (decision, reason) = claude(&setup, "s1", CHANGE);
    assert_eq!(decision, "deny");
    assert!(reason.contains("release 4.2"), "{reason}");
    assert!(
        !reason.contains("request apr-"),
        "a freeze refuses; it does not hold: {reason}"
    );
    // Reads still work during a freeze.
    assert_eq!(claude(&setup, "s1", "git status").0, "allow");

    // Only a human ends it.
    let output = setup.run(&["freeze", "end", "--env", "production"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("only a human at a terminal can end a freeze"),
        "{}",
        stderr(&output)
    );
    let mut t = setup.terminal(&["freeze", "end", "--env", "production"]);
    t.answer("secret for", crate::setup::SECRET);
    let (code, text) = t.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("of production as alice"), "{text}");
    assert_eq!(claude(&setup, "s1", CHANGE).0, "allow");

    // Revoking takes the right away at once.
    let list = setup.run(&["grant", "list", "--format", "json"], "");
    let grants: Vec<Value> = serde_json::from_str(&stdout(&list)).unwrap();
    let id = grants[0]["id"].as_str().unwrap().to_owned();
    let output = setup.run(&["grant", "revoke", &id], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("revoked {id}")),
        "{}",
        stdout(&output)
    );
    assert_eq!(claude(&setup, "s1", CHANGE).0, "deny");
}

#[test]
fn incident_replay_agent_deletes_the_production_database_during_a_freeze() {
    // The July 2025 incident: a declared code freeze, an agent with shell access, and a
    // production database deleted. Here the freeze is a control, not a sentence.
    let setup = Setup::new("incident-replay");
    let output = setup.run(
        &[
            "freeze",
            "start",
            "--env",
            "production",
            "--reason",
            "code freeze until the launch",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0));
    let attempts = [
        "psql \"$DATABASE_URL\" -c 'DROP TABLE users'",
        "psql -h db.internal -U app -c 'DELETE FROM executives; DELETE FROM companies'",
        "dropdb -h db.internal app_production",
        "rm -rf /var/lib/postgresql/16/main",
    ];
    for attempt in attempts {
        let (decision, reason) = claude(&setup, "incident", attempt);
        assert_eq!(decision, "deny", "{attempt}");
        assert!(
            reason.contains("code freeze until the launch"),
            "{attempt}: {reason}"
        );
    }
    // The agent's post-hoc account does not matter: the report comes from the ledger.
    let output = setup.run(&["report", "--session", "incident", "--format", "json"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["proposed"], 4);
    assert_eq!(report["blocked"], 4);
    assert_eq!(report["allowed"], 0);
    let inputs: Vec<&str> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["input"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, attempts);
    for action in report["actions"].as_array().unwrap() {
        assert_eq!(action["status"], "blocked");
        assert_eq!(action["decisions"], json!(["deny"]));
        assert_eq!(action["risk"], "destroy");
    }
    let text = stdout(&setup.run(&["report", "--session", "incident"], ""));
    assert!(
        text.contains("4 proposed: 0 allowed, 4 blocked, 0 pending"),
        "{text}"
    );
    assert!(text.contains("BLOCKED"), "{text}");
    let md = stdout(&setup.run(&["report", "--session", "incident", "--format", "md"], ""));
    assert!(
        md.starts_with("# holdpoint session report: `incident`"),
        "{md}"
    );
    assert_eq!(md.matches("| blocked |").count(), 4, "{md}");
    let verify = setup.run(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

#[test]
fn exec_waits_for_approval_then_runs_and_records_the_exit_status() {
    let setup = Setup::new("exec");
    setup.add_human("alice", None);
    let outside = setup.scratch.0.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let flag = outside.join("flag");
    let flag_text = flag.to_str().unwrap().to_owned();
    // A program holdpoint cannot read (a copy of `touch`): opaque, so held in
    // production, and harmless to run.
    let mark = outside.join("mark");
    std::fs::copy("/usr/bin/touch", &mark).unwrap();
    let mark = mark.to_str().unwrap().to_owned();

    // Workspace work runs at once, with its exit status passed on and recorded.
    let output = setup.run(&["exec", "--session", "e1", "--", "sh", "-c", "exit 3"], "");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let output = setup.run(&["exec", "--session", "e1", "--", "ls"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // Held, without waiting: exit status 3 and the request named.
    let output = setup.run(&["exec", "--no-wait", "--", &mark, &flag_text], "");
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("request apr-"));

    // Held, waiting: a human approves from another terminal, and the command runs.
    let waiting = setup
        .command(&[
            "exec",
            "--session",
            "e1",
            "--wait",
            "60s",
            "--",
            &mark,
            &flag_text,
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The same command was held a moment ago: the waiting exec finds that request.
    let id = request_id(&stderr(&output));
    let started = std::time::Instant::now();
    while !setup.records().iter().any(|r| {
        r["kind"] == "decided" && r["actors"]["session"] == "e1" && r["approval"] == id.as_str()
    }) {
        assert!(started.elapsed().as_secs() < 30, "exec never asked");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!flag.exists());
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(0), "{text}");
    let output = waiting.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains(&format!("waiting for approval {id}")));
    assert!(flag.exists(), "the approved command ran");

    let report: Value = serde_json::from_str(&stdout(
        &setup.run(&["report", "--session", "e1", "--format", "json"], ""),
    ))
    .unwrap();
    let actions = report["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(
        actions[0]["outcomes"][0],
        "failed (exit 3) [holdpoint exec]"
    );
    assert_eq!(
        actions[1]["outcomes"][0],
        "succeeded (exit 0) [holdpoint exec]"
    );
    assert_eq!(actions[2]["decisions"], json!(["ask", "allow"]));
    assert_eq!(actions[2]["approved_by"], json!(["alice"]));
    assert_eq!(
        actions[2]["outcomes"][0],
        "succeeded (exit 0) [holdpoint exec]"
    );
}

#[test]
fn a_waiting_exec_that_is_refused_says_who_refused_it_and_why() {
    let setup = Setup::new("exec-refused");
    setup.add_human("alice", None);
    let outside = setup.scratch.0.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let flag = outside.join("flag");
    // A copy of `touch` holdpoint cannot read: held in production, harmless to run.
    let mark = outside.join("mark");
    std::fs::copy("/usr/bin/touch", &mark).unwrap();
    let (mark, flag_text) = (mark.to_str().unwrap(), flag.to_str().unwrap());
    let held = setup.run(
        &[
            "exec",
            "--session",
            "r1",
            "--no-wait",
            "--",
            mark,
            flag_text,
        ],
        "",
    );
    let id = request_id(&stderr(&held));
    let waiting = setup
        .command(&[
            "exec",
            "--session",
            "r1",
            "--wait",
            "60s",
            "--",
            mark,
            flag_text,
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut refuse = setup.terminal(&[
        "approvals",
        "deny",
        &id,
        "--reason",
        "that path is the release archive",
    ]);
    refuse.answer("secret for", crate::setup::SECRET);
    let (code, text) = refuse.finish();
    assert_eq!(code, Some(0), "{text}");
    let output = waiting.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("alice refused this exact action")
            && stderr(&output).contains("that path is the release archive"),
        "{}",
        stderr(&output)
    );
    assert!(!flag.exists());
    // The session's report keeps who refused and what they said.
    let text = stdout(&setup.run(&["report", "--session", "r1"], ""));
    assert!(
        text.contains("alice refused: that path is the release archive"),
        "{text}"
    );
    let report: Value = serde_json::from_str(&stdout(
        &setup.run(&["report", "--session", "r1", "--format", "json"], ""),
    ))
    .unwrap();
    assert_eq!(
        report["actions"][0]["answers"],
        json!(["alice refused: that path is the release archive"]),
        "{report}"
    );
}

#[test]
fn an_approval_covers_the_manifest_the_human_saw_not_one_edited_after() {
    // Regression: `kubectl delete -f ns.yaml` was approved, the manifest then edited to
    // name the production namespace, and the retry was allowed.
    let setup = Setup::new("approve-manifest");
    setup.add_human("alice", None);
    let manifest = setup.work.join("ns.yaml");
    let staging = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: staging\n";
    std::fs::write(&manifest, staging).unwrap();
    let command = "kubectl delete -f ns.yaml";
    let (decision, reason) = claude(&setup, "s1", command);
    assert_eq!(decision, "deny", "{reason}");
    let id = request_id(&reason);
    let (code, text) = setup.approve(&id, "alice", setup.confirm_of(&id).as_deref());
    assert_eq!(code, Some(0), "{text}");

    std::fs::write(&manifest, staging.replace("staging", "production")).unwrap();
    let (decision, reason) = claude(&setup, "s1", command);
    assert_eq!(
        decision, "deny",
        "the edited manifest was let through: {reason}"
    );
    assert_ne!(request_id(&reason), id);

    // The manifest as approved is still covered, once.
    std::fs::write(&manifest, staging).unwrap();
    let (decision, reason) = claude(&setup, "s1", command);
    assert_eq!(decision, "allow", "{reason}");
}

/// A Claude Code file tool call, as its PreToolUse hook receives it.
fn file_tool(setup: &Setup, tool: &str, tool_input: Value) -> (String, String) {
    let input = json!({
        "session_id": "s1",
        "transcript_path": "/home/dev/.claude/projects/p/s.jsonl",
        "cwd": setup.work().to_str().unwrap(),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_2",
    });
    decided(setup, &input)
}

/// A held write shows the approver the text it writes (whitespace and invisible
/// characters made visible), an edit its lines before and after; what is approved is
/// that text: the same path with other text is another request.
#[test]
fn a_held_write_shows_what_it_writes_and_the_approval_covers_exactly_that() {
    let setup = Setup::new("approve-shown");
    setup.add_human("alice", None);
    let text = "127.0.0.1 localhost\n10.0.0.5\tdb.internal \n# zero\u{200b}width\n";
    let write = json!({"file_path": "/etc/hosts", "content": text});
    let (decision, reason) = file_tool(&setup, "Write", write.clone());
    assert_eq!(decision, "deny", "{reason}");
    let id = request_id(&reason);
    let shown = setup.run(&["approvals", "show", &id], "");
    let shown = stdout(&shown);
    let head = format!(
        "writes\n          | writes 3 lines ({} bytes) to /etc/hosts, replacing what is there:\n",
        text.len()
    );
    assert!(shown.contains(&head), "{shown}");
    assert!(shown.contains("| 10.0.0.5⇥db.internal␣\n"), "{shown}");
    assert!(shown.contains("| # zero\\u{200b}width\n"), "{shown}");
    let json_view = setup.run(&["approvals", "show", &id, "--format", "json"], "");
    let view: Value = serde_json::from_str(&stdout(&json_view)).unwrap();
    assert!(view["shown"].as_str().unwrap().ends_with(text), "{view}");

    // Other text for the same path is another request, shown with its own text.
    let other = json!({"file_path": "/etc/hosts", "content": "0.0.0.0 bank.example\n"});
    let (_, reason) = file_tool(&setup, "Write", other.clone());
    let other_id = request_id(&reason);
    assert_ne!(other_id, id);
    let (code, said) = setup.approve(&id, "alice", Some("/etc/hosts"));
    assert_eq!(code, Some(0), "{said}");
    let (decision, reason) = file_tool(&setup, "Write", other);
    assert_eq!(decision, "deny", "the other text is not approved: {reason}");
    let (decision, _) = file_tool(&setup, "Write", write);
    assert_eq!(decision, "allow", "the approved text");

    // An edit: the lines it removes and the lines it adds.
    let edit = json!({"file_path": "/etc/nginx/nginx.conf", "old_string": "listen 80;", "new_string": "listen 8080;\nserver_tokens off;", "replace_all": false});
    let (_, reason) = file_tool(&setup, "Edit", edit);
    let edit_id = request_id(&reason);
    let shown = stdout(&setup.run(&["approvals", "show", &edit_id], ""));
    assert!(
        shown.contains(
            "| edits /etc/nginx/nginx.conf in 1 place:\n          | @@ edit 1\n          | -listen 80;\n          | +listen 8080;\n          | +server_tokens off;\n"
        ),
        "{shown}"
    );

    // Two held commands that differ only in whitespace do not look alike in the list.
    let (_, one) = claude(&setup, "s1", "systemctl restart  nginx");
    let (_, two) = claude(&setup, "s1", "systemctl restart nginx");
    assert_ne!(request_id(&one), request_id(&two));
    let list = stdout(&setup.run(&["approvals", "list"], ""));
    assert!(list.contains("systemctl restart ␣nginx"), "{list}");
    assert!(list.contains("systemctl restart nginx"), "{list}");
}

/// A lost authenticator's passkey is taken away at the terminal, by its human or an
/// admin, never by another human; the ledger records who did it.
#[test]
fn a_passkey_is_forgotten_at_the_terminal_by_its_human_or_an_admin() {
    use holdpoint_store::{Store as _, StoredPasskey};

    let setup = Setup::new("approve-forget-passkey");
    setup.add_human("alice", None);
    setup.add_human("bob", Some("alice"));
    let store = setup.open_store();
    for (id, human) in [
        ("AAAAAAAAlaptop", "alice"),
        ("BBBBBBBBphone", "alice"),
        ("CCCCCCCCkey", "bob"),
    ] {
        let passkey = StoredPasskey {
            id: id.to_owned(),
            human: human.to_owned(),
            name: format!("{human}'s {id}"),
            credential: json!({"cred": {}}),
            created_ms: 1,
            used_ms: None,
        };
        store.add_passkey(&passkey, None).unwrap();
    }
    drop(store);
    let listed = stdout(&setup.run(&["human", "passkeys", "alice"], ""));
    assert!(
        listed.contains("AAAAAAAAlaptop") && listed.contains("BBBBBBBBphone"),
        "{listed}"
    );
    assert!(!listed.contains("CCCCCCCCkey"), "{listed}");

    // Bob, no admin, cannot take alice's away; a prefix too short or matching nothing is
    // refused before any secret is asked.
    let t = setup.terminal(&[
        "human",
        "forget-passkey",
        "alice",
        "AAAAAAAA",
        "--as",
        "bob",
    ]);
    let (code, said) = t.finish();
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("`bob` is not an admin"), "{said}");
    assert!(!said.contains("secret for"), "{said}");
    for (id, says) in [
        ("AAA", "at least 6 characters"),
        ("ZZZZZZ", "no passkey whose id starts"),
    ] {
        let t = setup.terminal(&["human", "forget-passkey", "alice", id]);
        let (code, said) = t.finish();
        assert_eq!(code, Some(2), "{said}");
        assert!(
            said.contains(says) && !said.contains("secret for"),
            "{said}"
        );
    }

    // Alice takes her laptop's away; the admin (alice) takes bob's.
    let mut t = setup.terminal(&["human", "forget-passkey", "alice", "AAAAAAAA"]);
    t.answer("secret for alice", SECRET);
    let (code, said) = t.finish();
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("removed alice's passkey"), "{said}");
    let mut t = setup.terminal(&["human", "forget-passkey", "bob", "CCCCCC", "--as", "alice"]);
    t.answer("secret for alice", SECRET);
    let (code, said) = t.finish();
    assert_eq!(code, Some(0), "{said}");
    let listed = stdout(&setup.run(&["human", "passkeys"], ""));
    assert!(listed.contains("BBBBBBBBphone"), "{listed}");
    assert!(
        !listed.contains("AAAAAAAAlaptop") && !listed.contains("CCCCCCCCkey"),
        "{listed}"
    );
    let removed: Vec<(String, String)> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "passkey_removed")
        .map(|r| {
            (
                r["actors"]["human"].as_str().unwrap().to_owned(),
                r["body"]["human"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        removed,
        [
            ("alice".to_owned(), "alice".to_owned()),
            ("alice".to_owned(), "bob".to_owned())
        ]
    );
}
