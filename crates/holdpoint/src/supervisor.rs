//! The hook's supervisor: `holdpoint hook AGENT` does its work in a child process
//! (`holdpoint hook --worker AGENT`) and answers for it when the child cannot.
//!
//! An agent runs the call when its hook dies or says nothing, so a hook that aborts (a
//! stack overflow, running out of memory, a kill signal) or hangs past its deadline would
//! let the action through. The supervisor does nothing that can fail that way: the
//! worker reads the agent's input and writes its reasons to the agent directly (standard
//! input and error are handed over as they are); the supervisor relays the worker's
//! answer only when the worker ended normally within the deadline, and otherwise answers
//! a refusal in the agent's protocol itself.

use std::io::{Read as _, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::exit;
use crate::hook::{Agent, DEADLINE, deny_answer};

/// How long the worker may take: its own deadline and a little more, so that a worker
/// that answers with its own deadline's refusal is relayed rather than overtaken.
const WORKER_DEADLINE: Duration = DEADLINE.saturating_add(Duration::from_secs(2));

/// The most a worker may print; an answer is a few kilobytes.
const MAX_OUTPUT: u64 = 4 * 1024 * 1024;

/// Runs the worker on the agent's input; prints its answer, or a refusal when it failed.
/// Returns the exit status for the agent.
pub(crate) fn supervise(agent: Agent) -> u8 {
    let refused = |reason: String| {
        let reason = format!("holdpoint could not decide this action, so it is refused: {reason}");
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let _ = writeln!(out, "{}", deny_answer(agent, &reason));
        let _ = out.flush();
        eprintln!("{reason}");
        exit::USAGE
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return refused(format!("cannot find its own program: {e}")),
    };
    let child = Command::new(exe)
        .args(["hook", "--worker", agent.name()])
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return refused(format!("cannot start its worker: {e}")),
    };
    let pid = child.id();
    let Some(stdout) = child.stdout.take() else {
        return refused("cannot read its worker's answer".to_owned());
    };
    // One thread reads the answer to its end and waits for the worker, so that the
    // deadline holds whatever the worker does.
    let (sender, finished) = mpsc::channel::<(Vec<u8>, std::io::Result<ExitStatus>)>();
    std::thread::spawn(move || {
        let mut answer = Vec::new();
        let _ = stdout.take(MAX_OUTPUT).read_to_end(&mut answer);
        let _ = sender.send((answer, child.wait()));
    });
    match finished.recv_timeout(WORKER_DEADLINE) {
        Ok((answer, Ok(status))) => match status.code() {
            // The worker's own statuses: an answer (or none), or its refusal.
            Some(code @ (0 | 2)) => {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                if out.write_all(&answer).and_then(|()| out.flush()).is_err() {
                    eprintln!("holdpoint could not write its answer, so the action is refused");
                    return exit::USAGE;
                }
                if code == 0 { exit::ALLOW } else { exit::USAGE }
            }
            _ => refused(format!("its worker ended abnormally ({status})")),
        },
        Ok((_, Err(e))) => refused(format!("cannot wait for its worker: {e}")),
        Err(_) => {
            if let Some(pid) = rustix::process::Pid::from_raw(pid.cast_signed()) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            refused(format!(
                "its worker did not answer within {} s and was stopped",
                WORKER_DEADLINE.as_secs()
            ))
        }
    }
}
