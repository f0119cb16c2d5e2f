//! The `holdpoint` command: parses arguments, calls the library code, maps errors to exit
//! statuses.

mod check;
mod local;
mod policy_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit statuses, as documented in `--help`.
pub(crate) mod exit {
    pub const ALLOW: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const ASK: u8 = 3;
    pub const DENY: u8 = 4;
}

/// holdpoint: the checkpoint between AI agents and production.
///
/// Every action an agent proposes (a shell command, a SQL statement) is analysed for what
/// it would really do and decided by policy: allow, ask (hold for a human) or deny.
#[derive(Debug, Parser)]
#[command(name = "holdpoint", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide one action, or a batch of them, without running anything
    ///
    /// Examples:
    ///   holdpoint check shell -- 'rm -rf /var/lib/postgresql'
    ///   holdpoint check --env staging sql -- 'DELETE FROM users WHERE 1=1'
    ///   holdpoint check --format json shell -- 'git push --force'
    ///   holdpoint check --batch actions.jsonl
    ///
    /// Exit status: 0 allow, 3 ask, 4 deny, 2 bad input, 1 internal error. With --batch:
    /// 0 once every line has an answer (bad lines get an error object).
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
    /// Validate or test policies.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Policy(command) => policy_cmd::run(&command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("holdpoint: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A failure to report: one line for the user and the exit status that goes with it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad input from the user: exit status 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: exit::USAGE,
        }
    }

    /// Something holdpoint itself could not do: exit status 1.
    pub fn internal(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: exit::INTERNAL,
        }
    }
}
