//! `holdpoint exec -- CMD ARGS…`: decide, then run the command or refuse it; for `ask`,
//! wait for a human's approval, showing that it waits; record what happened.

use std::io::{IsTerminal as _, Write as _};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Args;
use holdpoint_core::Surface;
use holdpoint_ledger::ApprovalState;
use holdpoint_policy::Outcome;
use holdpoint_store::Executed;

use crate::enforcer::Enforcer;
use crate::local;
use crate::pipeline::Request;
use crate::{Failure, exit};

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The environment the command acts in [default: $HOLDPOINT_ENV, else holdpoint.toml,
    /// else production].
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// The agent identity to record.
    #[arg(long, default_value = "exec")]
    agent: String,
    /// A session id to group this command with others in `holdpoint report`.
    #[arg(long)]
    session: Option<String>,
    /// How long to wait for an approval [default: exec_wait in holdpoint.toml, 10m].
    #[arg(long, value_name = "DURATION", conflicts_with = "no_wait")]
    wait: Option<String>,
    /// Do not wait for an approval: refuse at once, naming the request.
    #[arg(long)]
    no_wait: bool,
    /// The command and its arguments, after `--`.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    command: Vec<String>,
}

/// Quotes a word for a POSIX shell when it needs it, so that the analysed line means
/// exactly the argument vector that runs.
pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub(crate) fn run(args: &ExecArgs) -> Result<u8, Failure> {
    let enforcer = Enforcer::open(args.env.as_deref())?;
    let wait = match &args.wait {
        Some(text) => humantime::parse_duration(text).map_err(|e| {
            Failure::usage(format!(
                "--wait `{text}` is not a duration ({e}); write e.g. 5m"
            ))
        })?,
        None => enforcer.config().exec_wait,
    };
    let Some((program, rest)) = args.command.split_first() else {
        return Err(Failure::usage("give the command to run after `--`"));
    };
    let request = Request {
        surface: Surface::Shell,
        input: args
            .command
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
        cwd: local::current_dir()?,
        workspace: None,
        agent: args.agent.clone(),
        session: args.session.clone(),
        content: Vec::new(),
        written: None,
        // The project's own code (tests, builds) runs inside the sandbox, where the
        // kernel can confine it.
        confined: crate::sandbox::available().is_ok(),
        home: None,
    };
    let mut verdict = enforcer.propose(&request)?;
    if verdict.outcome == Outcome::Ask && !args.no_wait {
        let Some(approval) = verdict.approval.clone() else {
            return Err(Failure::internal("a held action has no approval request"));
        };
        eprintln!("{}", verdict.message);
        let started = Instant::now();
        let interactive = std::io::stderr().is_terminal();
        let mut tick = 0usize;
        let mut shown = Instant::now();
        let state = loop {
            if interactive {
                eprint!(
                    "\r{} waiting for approval {} ({}s of {}s; approve with `holdpoint approvals approve {}`)  ",
                    SPINNER.get(tick % SPINNER.len()).copied().unwrap_or('.'),
                    approval,
                    started.elapsed().as_secs(),
                    wait.as_secs(),
                    approval
                );
                let _ = std::io::stderr().flush();
            } else if tick == 0 || shown.elapsed() >= Duration::from_secs(5) {
                shown = Instant::now();
                eprintln!(
                    "waiting for approval {} ({}s of {}s)",
                    approval,
                    started.elapsed().as_secs(),
                    wait.as_secs()
                );
            }
            tick += 1;
            let left = wait.saturating_sub(started.elapsed());
            let current = enforcer.approval_state(&approval, left.min(Duration::from_secs(5)))?;
            if current != ApprovalState::Pending || started.elapsed() >= wait {
                break current;
            }
        };
        if interactive {
            eprintln!();
        }
        match state {
            // The retry consumes the approval, exactly as an agent's retry would; after a
            // refusal it is answered with the human's reason.
            ApprovalState::Approved | ApprovalState::Refused => {
                verdict = enforcer.propose(&request)?;
            }
            ApprovalState::Pending => {
                eprintln!(
                    "holdpoint: gave up after {} waiting for {}; it stays open until it expires",
                    humantime::format_duration(Duration::from_secs(wait.as_secs())),
                    approval
                );
                return Ok(exit::DENY);
            }
            other => {
                eprintln!("holdpoint: request {approval} was {other}; the command was not run");
                return Ok(exit::DENY);
            }
        }
    }
    if verdict.outcome != Outcome::Allow {
        eprintln!("{}", verdict.message);
        return Ok(match verdict.outcome {
            Outcome::Ask => exit::ASK,
            _ => exit::DENY,
        });
    }
    let started = Instant::now();
    let status = if verdict.confine {
        let exe = std::env::current_exe()
            .map_err(|e| Failure::internal(format!("cannot find the holdpoint binary: {e}")))?;
        Command::new(exe)
            .args(crate::sandbox::arguments(
                &enforcer.config().sandbox,
                &request.cwd,
            ))
            .arg(program)
            .args(rest)
            .status()
    } else {
        Command::new(program).args(rest).status()
    };
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (executed, code) = match &status {
        Ok(status) => (
            Executed {
                outcome: if status.success() {
                    "succeeded"
                } else {
                    "failed"
                }
                .to_owned(),
                exit_status: status.code(),
                duration_ms: Some(duration_ms),
                detail: status
                    .code()
                    .is_none()
                    .then(|| format!("ended by {status}")),
                observed_by: "holdpoint exec".to_owned(),
            },
            status.code().map_or(exit::INTERNAL, |c| {
                u8::try_from(c).unwrap_or(exit::INTERNAL)
            }),
        ),
        Err(e) => (
            Executed {
                outcome: "failed".to_owned(),
                exit_status: None,
                duration_ms: Some(duration_ms),
                detail: Some(format!("cannot start `{program}`: {e}")),
                observed_by: "holdpoint exec".to_owned(),
            },
            127,
        ),
    };
    enforcer.executed(&request, &executed)?;
    if let Err(e) = status {
        return Err(Failure {
            message: format!("cannot start `{program}`: {e}"),
            code: 127,
        });
    }
    Ok(code)
}
