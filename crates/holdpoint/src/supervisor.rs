//! The hook's supervisor: `holdpoint hook AGENT` does its work in a child process
//! (`holdpoint hook --worker AGENT`) and answers for it when the child cannot.
//!
//! An agent runs the call when its hook dies or says nothing, so a hook that aborts (a
//! stack overflow, running out of memory, a kill signal) or hangs past its deadline would
//! let the action through. The supervisor does nothing that can fail that way: it reads
//! the input, hands it to the worker, and relays the worker's answer only when the worker
//! ended normally within the deadline; otherwise it answers a refusal in the agent's
//! protocol itself.

use std::io::{Read as _, Write as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::exit;
use crate::hook::{Agent, DEADLINE, deny_answer};

/// How long the worker may take: its own deadline and a little more, so that a worker
/// that answers with its own deadline's refusal is relayed rather than overtaken.
const WORKER_DEADLINE: Duration = DEADLINE.saturating_add(Duration::from_secs(2));

/// The most a worker may print; an answer is a few kilobytes.
const MAX_OUTPUT: u64 = 4 * 1024 * 1024;

/// What a worker left behind.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs the worker on `input`; prints its answer, or a refusal when it failed. Returns
/// the exit status for the agent.
pub(crate) fn supervise(agent: Agent, input: &[u8]) -> u8 {
    let started = Instant::now();
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
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) => return refused(format!("cannot start its worker: {e}")),
    };
    match finish(
        child,
        input,
        WORKER_DEADLINE.saturating_sub(started.elapsed()),
    ) {
        Ok(finished) => match finished.status.code() {
            // The worker's own statuses: an answer (or none), or its refusal.
            Some(code @ (0 | 2)) => {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                let _ = std::io::stderr().write_all(&finished.stderr);
                if out
                    .write_all(&finished.stdout)
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    eprintln!("holdpoint could not write its answer, so the action is refused");
                    return exit::USAGE;
                }
                if code == 0 { exit::ALLOW } else { exit::USAGE }
            }
            _ => refused(format!("its worker ended abnormally ({})", finished.status)),
        },
        Err(reason) => refused(reason),
    }
}

/// Feeds the worker its input and collects what it prints, within `deadline`; kills it
/// past the deadline.
fn finish(mut child: Child, input: &[u8], deadline: Duration) -> Result<Finished, String> {
    let started = Instant::now();
    let (sender, received) = mpsc::channel::<(bool, Vec<u8>)>();
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        // A worker that stops reading must not hold the supervisor up.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    for (is_stdout, stream) in [
        (
            true,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ),
        (
            false,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ),
    ] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(stream) = stream {
                let _ = stream.take(MAX_OUTPUT).read_to_end(&mut bytes);
            }
            let _ = sender.send((is_stdout, bytes));
        });
    }
    drop(sender);
    let (mut stdout, mut stderr) = (None, None);
    let timed_out = |mut child: Child| {
        let _ = child.kill();
        let _ = child.wait();
        format!(
            "its worker did not answer within {} s and was stopped",
            deadline.as_secs()
        )
    };
    while stdout.is_none() || stderr.is_none() {
        match received.recv_timeout(deadline.saturating_sub(started.elapsed())) {
            Ok((true, bytes)) => stdout = Some(bytes),
            Ok((false, bytes)) => stderr = Some(bytes),
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(timed_out(child)),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Its output is closed; the process itself ends a moment later. It is waited for on
    // a thread of its own, so that its end is seen at once and the deadline still holds.
    let pid = child.id();
    let (ended, waited) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = ended.send(child.wait());
    });
    match waited.recv_timeout(deadline.saturating_sub(started.elapsed())) {
        Ok(Ok(status)) => Ok(Finished {
            status,
            stdout: stdout.unwrap_or_default(),
            stderr: stderr.unwrap_or_default(),
        }),
        Ok(Err(e)) => Err(format!("cannot wait for its worker: {e}")),
        Err(_) => {
            if let Some(pid) = rustix::process::Pid::from_raw(pid.cast_signed()) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            Err(format!(
                "its worker did not answer within {} s and was stopped",
                deadline.as_secs()
            ))
        }
    }
}
