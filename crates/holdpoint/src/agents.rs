//! `holdpoint agent`: agent identities and their credentials. An agent credential lets
//! an agent propose actions to `holdpoint serve`, connect to a database through
//! `holdpoint pg`, and read its own requests; it can never approve, grant or end a
//! freeze.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;

use clap::Subcommand;
use holdpoint_store::Store as _;

use crate::home::{Home, os_user};
use crate::humans::{authenticate_admin, store_failure, valid_name};
use crate::time::datetime;
use crate::{Failure, exit};

#[derive(Debug, Subcommand)]
pub(crate) enum AgentCommand {
    /// Issue an agent a credential (an admin, at a terminal)
    ///
    /// Prints the token once; holdpoint keeps only its Argon2id hash. Adding an agent
    /// that exists replaces its credential. Hooks and `holdpoint exec` present it from
    /// $HOLDPOINT_TOKEN or from `[server] token_file` in holdpoint.toml.
    Add {
        /// The agent's name, as the ledger records it, e.g. `claude-code` or `ci-bot`.
        name: String,
        /// The admin who issues it [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        by: Option<String>,
        /// Write the token to this file (readable only by you) instead of printing it.
        #[arg(long, value_name = "FILE")]
        write: Option<PathBuf>,
    },
    /// List agent identities (names only).
    List {
        /// `text` for a person, `json` for a program.
        #[arg(long, value_enum, default_value_t = crate::approvals::Format::Text)]
        format: crate::approvals::Format,
    },
}

pub(crate) fn run(command: &AgentCommand) -> Result<u8, Failure> {
    let store = Home::locate().open_store()?;
    match command {
        AgentCommand::List { format } => {
            let agents = store.agents().map_err(store_failure)?;
            if *format == crate::approvals::Format::Json {
                let view: Vec<serde_json::Value> = agents
                    .iter()
                    .map(|a| serde_json::json!({"name": a.name, "created_ms": a.created_ms}))
                    .collect();
                crate::approvals::print_json(&view)?;
                return Ok(exit::ALLOW);
            }
            if agents.is_empty() {
                println!("no agents yet: add one with `holdpoint agent add NAME`");
            }
            for agent in agents {
                println!(
                    "{}  (credential issued {})",
                    agent.name,
                    datetime(agent.created_ms)
                );
            }
        }
        AgentCommand::Add { name, by, write } => {
            valid_name(name)?;
            let admin = authenticate_admin(&store, by.as_deref(), "add an agent")?;
            let (token, identity) = crate::serve::new_agent(name, new_secret()?)?;
            if let Some(path) = write {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(path)
                    .and_then(|mut f| {
                        f.write_all(format!("{token}\n").as_bytes())
                            .and_then(|()| f.sync_all())
                            .map(|()| f)
                    })
                    .map_err(|e| {
                        Failure::usage(format!("cannot write `{}`: {e}", path.display()))
                    })?;
                let _ = file.flush();
            }
            store
                .add_agent(identity, &admin, os_user())
                .map_err(store_failure)?;
            match write {
                Some(path) => println!(
                    "added agent {name}; its credential is in {}",
                    path.display()
                ),
                None => {
                    println!(
                        "added agent {name}. Its credential, shown only this once:\n\n{token}\n"
                    );
                    println!(
                        "Give it to the agent as HOLDPOINT_TOKEN, or save it in a file named by [server] token_file."
                    );
                }
            }
        }
    }
    Ok(exit::ALLOW)
}

/// A new agent secret: 32 random bytes, in hex.
pub(crate) fn new_secret() -> Result<String, Failure> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| Failure::internal(format!("no randomness for a credential: {e}")))?;
    Ok(secret.iter().map(|b| format!("{b:02x}")).collect())
}
