//! Input built to crash or hang holdpoint, at every entry point of a process: the hook,
//! the server's API and the PostgreSQL proxy answer a refusal within their deadline and
//! go on serving.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::pg::{Database, Proxy, world};
use crate::pg_hostile::psql_file;
use crate::setup::Setup;
use crate::{http, stderr, stdout};

/// The deepest nesting of `if` the analysers accept, and ten times more, around a
/// destroy.
fn deep(levels: usize) -> String {
    format!(
        "{}rm -rf /var/lib/app{}",
        "if true; then ".repeat(levels),
        "; fi".repeat(levels)
    )
}

const DEPTHS: [usize; 2] = [
    holdpoint_core::MAX_OPENERS,
    holdpoint_core::MAX_OPENERS * 10,
];

/// The Claude Code hook input for the shell command `command`.
fn bash(setup: &Setup, command: &str) -> Value {
    json!({
        "session_id": "bounded",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": setup.work,
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": "toolu_1",
    })
}

/// The hook's answer to `input`, and how long it took; the answer must be a refusal.
fn refused_by_hook(setup: &Setup, input: &Value) -> (String, Duration) {
    let started = Instant::now();
    let (output, answer) = setup.hook("claude-code", input);
    let took = started.elapsed();
    let answer = answer.unwrap_or_else(|| {
        panic!(
            "no answer (status {:?}): {}",
            output.status.code(),
            stderr(&output)
        )
    });
    let output = &answer["hookSpecificOutput"];
    assert_eq!(output["permissionDecision"], "deny", "{answer}");
    (
        output["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .to_owned(),
        took,
    )
}

#[test]
fn the_hook_refuses_nesting_devices_and_endless_files_within_its_deadline() {
    let setup = Setup::new("hook-bounded");
    for levels in DEPTHS {
        let (reason, took) = refused_by_hook(&setup, &bash(&setup, &deep(levels)));
        assert!(took < Duration::from_secs(10), "{levels}: {took:?}");
        if levels > holdpoint_core::MAX_OPENERS {
            assert!(reason.contains("too deeply"), "{reason}");
        }
    }
    // Files that are not files, or never end, or are far too long, are not read.
    let fifo = setup.work.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let big = setup.work.join("big.sh");
    std::fs::write(&big, "echo hello\n".repeat(1024 * 1024)).unwrap();
    for script in [
        "/proc/self/pagemap".to_owned(),
        "/dev/zero".to_owned(),
        "/dev/urandom".to_owned(),
        fifo.display().to_string(),
        big.display().to_string(),
    ] {
        let (reason, took) = refused_by_hook(&setup, &bash(&setup, &format!("bash {script}")));
        assert!(took < Duration::from_secs(5), "{script}: {took:?}");
        assert!(reason.contains("could not be read"), "{script}: {reason}");
    }
}

/// The pid of a child of process `parent`, once it has one.
fn child_of(parent: u32) -> u32 {
    let started = Instant::now();
    loop {
        let tasks = std::fs::read_dir(format!("/proc/{parent}/task")).unwrap();
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            if let Some(pid) = children.split_whitespace().next() {
                return pid.parse().unwrap();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no worker started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until process `pid` has the store open: it is deciding. A PostgreSQL store
/// is open once a connection of holdpoint's waits for the writer row.
fn waits_for_store(setup: &Setup, pid: u32) {
    let opened = || {
        match &setup.store {
            None => std::fs::read_dir(format!("/proc/{pid}/fd"))
                .unwrap()
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|to| to.ends_with("store.db"))),
            Some(database) => {
                // This test's database only: other tests' processes wait for their own.
                crate::stdout(&crate::pg::superuser(
                &database.name,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'holdpoint' AND wait_event_type = 'Lock'",
            ))
            .trim()
                == "1"
            }
        }
    };
    let started = Instant::now();
    while !opened() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the worker never opened the store"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `work` on a thread of its own under a seccomp filter that refuses a plain fork
/// (`clone` without `CLONE_VM`) and lets programs be started (`clone3`, or `clone` with
/// `CLONE_VM`, as `posix_spawn` does); processes it starts inherit the filter.
fn without_fork<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    use nix::libc;
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule,
    };
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let clone_vm = u64::try_from(libc::CLONE_VM).unwrap();
                let plain_fork = SeccompRule::new(vec![
                    SeccompCondition::new(
                        0,
                        SeccompCmpArgLen::Qword,
                        SeccompCmpOp::MaskedEq(clone_vm),
                        0,
                    )
                    .unwrap(),
                ])
                .unwrap();
                let filter = SeccompFilter::new(
                    std::collections::BTreeMap::from([(libc::SYS_clone, vec![plain_fork])]),
                    SeccompAction::Allow,
                    SeccompAction::Errno(libc::EPERM.cast_unsigned()),
                    std::env::consts::ARCH.try_into().unwrap(),
                )
                .unwrap();
                seccompiler::apply_filter(&BpfProgram::try_from(filter).unwrap()).unwrap();
                work()
            })
            .join()
            .unwrap()
    })
}

/// Starts the hook on the destroy `rm -rf /var/lib/app` while another process holds the
/// store, kills its worker mid-decision and checks the hook answers a refusal. Returns
/// the worker's command line.
fn kill_the_worker(setup: &Setup) -> String {
    let held = setup.hold_writes();
    let mut hook = setup.command(&["hook", "claude-code"]);
    let mut child = hook
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = bash(setup, "rm -rf /var/lib/app").to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let worker = child_of(child.id());
    waits_for_store(setup, worker);
    let command_line = std::fs::read_to_string(format!("/proc/{worker}/cmdline"))
        .unwrap()
        .replace('\0', " ");
    let killed = Command::new("kill")
        .args(["-KILL", &worker.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    drop(held);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let reason = answer["hookSpecificOutput"]["permissionDecisionReason"].to_string();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");
    assert!(reason.contains("ended abnormally"), "{reason}");
    command_line
}

#[test]
fn a_hook_whose_worker_is_killed_mid_decision_answers_a_refusal() {
    let setup = Setup::new("hook-killed");
    // The worker is a fork of the hook: the same command line.
    let worker = kill_the_worker(&setup);
    assert!(!worker.contains("--worker"), "{worker}");
}

#[test]
fn a_hook_that_may_not_fork_starts_its_worker_and_answers_as_before() {
    let setup = Setup::new("hook-no-fork");
    without_fork(|| {
        // The worker is the program started again, and is answered for all the same.
        let worker = kill_the_worker(&setup);
        assert!(worker.contains("hook --worker claude-code"), "{worker}");
        // And it decides: a read passes, a destroy is refused.
        let (output, answer) = setup.hook("claude-code", &bash(&setup, "ls -la"));
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let answer = answer.map(|a| a["hookSpecificOutput"]["permissionDecision"].clone());
        assert!(
            matches!(
                answer.as_ref().and_then(Value::as_str),
                None | Some("allow")
            ),
            "{answer:?}"
        );
        let (reason, _) = refused_by_hook(&setup, &bash(&setup, "rm -rf /var/lib/app"));
        assert!(reason.contains("/var/lib/app"), "{reason}");
    });
}

#[test]
fn the_server_refuses_deep_nesting_and_goes_on_serving() {
    let setup = Setup::new("serve-bounded");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let served = setup.serve();
    let decide = |input: &str| {
        let action = json!({"surface": "shell", "input": input, "cwd": "/tmp", "session": "s"});
        http::json(&served.address, "POST", "/api/v1/decide", &token, &action)
    };
    for levels in DEPTHS {
        let reply = decide(&deep(levels));
        assert_eq!(
            reply.status,
            200,
            "{levels}: {}\n{}",
            reply.body,
            served.log()
        );
        assert_ne!(reply.json()["outcome"], "allow", "{}", reply.body);
        let started = Instant::now();
        let reply = decide("ls /tmp");
        assert_eq!(reply.json()["outcome"], "allow", "{}", reply.body);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn the_proxy_refuses_deep_nesting_on_every_path_and_goes_on_serving() {
    use crate::pg::by_hand::{bind, execute, parse, sync};
    let (setup, token) = world("pg-bounded");
    let db = Database::new("bounded");
    db.seed(3);
    let proxy = Proxy::start(&setup, &db, &["--no-wait", "--env", "development"]);
    for levels in DEPTHS {
        let copy = format!("COPY users FROM PROGRAM $p${}$p$", deep(levels));
        // The simple query path (psql).
        let output = psql_file(&proxy, &token, &db, copy.as_bytes(), &[]);
        assert!(
            stderr(&output).contains("holdpoint"),
            "{levels}: {}\n{}",
            stderr(&output),
            proxy.log()
        );
        assert!(
            stderr(&output).contains("ERROR:  holdpoint"),
            "{}",
            stderr(&output)
        );
        // The extended protocol.
        let mut socket = crate::pg::authenticated(&proxy, &token, &db.name);
        let replies = crate::pg::exchange(
            &mut socket,
            &[parse("", &copy), bind("", ""), execute(""), sync()],
        );
        assert!(
            crate::pg::refused(&replies, "42501", "holdpoint"),
            "{replies:?}"
        );
        // Another client is served, well before a stuck proxy would let psql give up
        // (its connect timeout is 10 s); the bound leaves room for a busy machine.
        let started = Instant::now();
        let output = proxy.psql("claude", &token, &db.name, &["SELECT count(*) FROM users"]);
        assert_eq!(stdout(&output).trim(), "3", "{}", stderr(&output));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "another client waited {:?}",
            started.elapsed()
        );
    }
}
