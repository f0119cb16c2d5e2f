//! The hook's supervisor: `holdpoint hook AGENT` decides in a worker process and answers
//! for it when the worker cannot.
//!
//! An agent runs the call when its hook dies or says nothing, so a hook that aborts (a
//! stack overflow, running out of memory, a kill signal) or hangs past its deadline would
//! let the action through. The supervisor does nothing that can fail that way: the
//! worker reads the agent's input and writes its reasons to the agent directly (standard
//! input and error are shared); its answer goes to the supervisor through a pipe, and the
//! supervisor relays it only when the worker ended normally within the deadline, and
//! otherwise answers a refusal in the agent's protocol itself.
//!
//! The worker is a fork of the supervisor, made on the main thread before any other
//! thread exists (checked first in `/proc/self/task`, so that the child's state is
//! whole): a fork costs a fraction of starting the program again. Where that cannot be
//! checked or the fork fails, the worker is the program started again as `holdpoint hook
//! --worker AGENT`. The check makes no system call a seccomp profile might refuse by
//! killing the process (as `unshare` may be), which would leave no one to answer.

use std::io::{PipeReader, PipeWriter, Read as _, Write as _};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::Duration;

use crate::exit;
use crate::hook::{Agent, DEADLINE, answer_panics, deny_answer};

/// How long the worker may take: its own deadline and a little more, so that a worker
/// that answers with its own deadline's refusal is relayed rather than overtaken.
const WORKER_DEADLINE: Duration = DEADLINE.saturating_add(Duration::from_secs(2));

/// The most a worker may print; an answer is a few kilobytes.
const MAX_OUTPUT: u64 = 4 * 1024 * 1024;

/// The status a forked worker ends with when it cannot send its answer to the
/// supervisor; anything but the worker's own statuses (0 and 2) is refused.
const CANNOT_ANSWER: i32 = 70;

/// What `supervise` leaves its caller to do.
#[derive(Debug)]
pub(crate) enum Supervised {
    /// This process is the supervisor and has answered the agent: exit with this status.
    Answered(u8),
    /// This process is the forked worker, its standard output the pipe to the
    /// supervisor: decide the call (`hook::work`), then [`Finish::finish`].
    Worker(Finish),
}

/// How a forked worker ends its answer, so that neither the supervisor nor the agent
/// waits for it to exit: a NUL, a number drawn before the fork (which only the two
/// processes know, so no text the worker prints from the agent's input can stand in for
/// it) and the worker's exit status; then its standard output and error are closed.
/// Without the mark the supervisor waits for the worker's exit status, as it does for a
/// worker started again.
#[derive(Debug)]
pub(crate) struct Finish(Option<[u8; MARK]>);

const MARK: usize = 16;

impl Finish {
    pub(crate) fn finish(self, status: u8) {
        let Some(mark) = self.0 else {
            return;
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut trailer = Vec::with_capacity(MARK + 2);
        trailer.push(0);
        trailer.extend_from_slice(&mark);
        trailer.push(status);
        if out.write_all(&trailer).and_then(|()| out.flush()).is_err() {
            return;
        }
        drop(out);
        // The pipe's only writer: the supervisor reads its end now.
        if let Ok(null) = std::fs::File::options().write(true).open("/dev/null") {
            let _ = rustix::stdio::dup2_stdout(&null);
            let _ = rustix::stdio::dup2_stderr(&null);
        }
    }
}

/// How the worker's answer ended.
enum Ended {
    /// With the mark and this status: the worker is done, whether or not it has exited.
    Marked(u8),
    Exited(std::io::Result<ExitStatus>),
}

/// The answer without its trailer and the status the trailer gives, when `text` ends
/// with `mark` as [`Finish::finish`] writes it.
fn unmarked(text: &[u8], mark: &[u8; MARK]) -> Option<(usize, u8)> {
    let (&status, rest) = text.split_last()?;
    let body = rest.strip_suffix(mark.as_slice())?.strip_suffix(&[0])?;
    Some((body.len(), status))
}

/// A worker process, forked (its pid) or started again.
enum Worker {
    #[cfg(target_os = "linux")]
    Forked(i32),
    Started(std::process::Child),
}

impl Worker {
    fn pid(&self) -> u32 {
        match self {
            #[cfg(target_os = "linux")]
            Worker::Forked(pid) => pid.cast_unsigned(),
            Worker::Started(child) => child.id(),
        }
    }

    fn wait(self) -> std::io::Result<ExitStatus> {
        match self {
            #[cfg(target_os = "linux")]
            Worker::Forked(pid) => {
                use std::os::unix::process::ExitStatusExt as _;
                fork::waitpid(pid).map(ExitStatus::from_raw)
            }
            Worker::Started(mut child) => child.wait(),
        }
    }
}

/// Whether this process has one thread, as `/proc/self/task` says; `false` when it
/// cannot be read.
#[cfg(target_os = "linux")]
fn one_thread() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.take(2).count() == 1)
}

/// Makes the worker. Called on the main thread before any other thread is started;
/// returns `Supervised::Worker` in the worker, and the agent's answer in the supervisor.
pub(crate) fn supervise(agent: Agent) -> Supervised {
    answer_panics(agent);
    let (answer, answer_end) = match std::io::pipe() {
        Ok(pipe) => pipe,
        Err(e) => return Supervised::Answered(refused(agent, &format!("cannot make a pipe: {e}"))),
    };
    #[cfg(target_os = "linux")]
    if one_thread() {
        let mut mark = [0u8; MARK];
        let mark = getrandom::fill(&mut mark).ok().map(|()| mark);
        match fork::fork() {
            Ok(fork::Fork::Child) => {
                if rustix::stdio::dup2_stdout(&answer_end).is_err() {
                    std::process::exit(CANNOT_ANSWER);
                }
                drop((answer, answer_end));
                return Supervised::Worker(Finish(mark));
            }
            Ok(fork::Fork::Parent(pid)) => {
                drop(answer_end);
                return Supervised::Answered(relay(agent, answer, Worker::Forked(pid), mark));
            }
            Err(_) => {}
        }
    }
    Supervised::Answered(match start(agent, answer_end) {
        Ok(child) => relay(agent, answer, Worker::Started(child), None),
        Err(reason) => refused(agent, &reason),
    })
}

/// Starts the program again as the worker, its standard output the pipe's end.
fn start(agent: Agent, answer_end: PipeWriter) -> Result<std::process::Child, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find its own program: {e}"))?;
    Command::new(exe)
        .args(["hook", "--worker", agent.name()])
        .stdout(answer_end)
        .spawn()
        .map_err(|e| format!("cannot start its worker: {e}"))
}

/// Waits for the worker's answer; prints it, or a refusal when the worker failed.
/// Returns the exit status for the agent.
fn relay(agent: Agent, answer: PipeReader, worker: Worker, mark: Option<[u8; MARK]>) -> u8 {
    let pid = worker.pid();
    // One thread reads the answer to its end and, unless it ends with the mark, waits for
    // the worker, so that the deadline holds whatever the worker does.
    let (sender, finished) = mpsc::channel::<(Vec<u8>, Ended)>();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = answer.take(MAX_OUTPUT).read_to_end(&mut text);
        let marked = mark.as_ref().and_then(|mark| unmarked(&text, mark));
        let ended = match marked {
            Some((length, status)) => {
                text.truncate(length);
                Ended::Marked(status)
            }
            None => Ended::Exited(worker.wait()),
        };
        let _ = sender.send((text, ended));
    });
    let relayed = |text: &[u8], code: u8| {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if out.write_all(text).and_then(|()| out.flush()).is_err() {
            eprintln!("holdpoint could not write its answer, so the action is refused");
            return exit::USAGE;
        }
        if code == 0 { exit::ALLOW } else { exit::USAGE }
    };
    match finished.recv_timeout(WORKER_DEADLINE) {
        // The worker's own statuses: an answer (or none), or its refusal.
        Ok((text, Ended::Marked(code @ (0 | 2)))) => relayed(&text, code),
        Ok((_, Ended::Marked(code))) => {
            refused(agent, &format!("its worker ended with status {code}"))
        }
        Ok((text, Ended::Exited(Ok(status)))) => match status.code() {
            Some(code @ (0 | 2)) => relayed(&text, u8::try_from(code).unwrap_or(2)),
            _ => refused(agent, &format!("its worker ended abnormally ({status})")),
        },
        Ok((_, Ended::Exited(Err(e)))) => {
            refused(agent, &format!("cannot wait for its worker: {e}"))
        }
        Err(_) => {
            if let Some(pid) = rustix::process::Pid::from_raw(pid.cast_signed()) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            refused(
                agent,
                &format!(
                    "its worker did not answer within {} s and was stopped",
                    WORKER_DEADLINE.as_secs()
                ),
            )
        }
    }
}

/// Answers a refusal in the agent's protocol; returns the exit status that blocks.
fn refused(agent: Agent, reason: &str) -> u8 {
    let reason = format!("holdpoint could not decide this action, so it is refused: {reason}");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "{}", deny_answer(agent, &reason));
    let _ = out.flush();
    eprintln!("{reason}");
    exit::USAGE
}
