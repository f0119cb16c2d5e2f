//! `holdpoint doctor`: checks a setup, one line per check, and says what to fix. It
//! changes nothing.

use std::path::Path;
use std::time::Duration;

use crate::home::Home;
use crate::hook::Agent;
use crate::install::{Installed, installed_commands, merge_hooks};
use crate::{Failure, client, exit, local};

/// What one check found.
enum Found {
    Ok(String),
    /// Not a fault, worth knowing.
    Note(String),
    /// What is wrong, and what to do.
    Fix(String),
}

/// Runs every check, printing each as it finishes. Exit status 0 when nothing needs
/// fixing, 1 otherwise.
pub(crate) fn run(project: Option<&Path>) -> Result<u8, Failure> {
    let mut fixes = 0;
    let mut say = |what: &str, found: Found| {
        let (mark, text) = match found {
            Found::Ok(text) => ("ok  ", text),
            Found::Note(text) => ("note", text),
            Found::Fix(text) => {
                fixes += 1;
                ("FIX ", text)
            }
        };
        println!("{mark}  {what:<11} {text}");
    };
    let home = Home::locate();
    let dir = home.dir.display().to_string();
    let loaded = home.load_config();
    let kept_elsewhere = loaded
        .as_ref()
        .is_ok_and(|config| config.store.url.is_some());
    if !home.store().exists() && !kept_elsewhere {
        say(
            "home",
            Found::Fix(format!(
                "holdpoint is not set up in `{dir}`: run `holdpoint init` (or set HOLDPOINT_HOME to where it is)"
            )),
        );
        return Ok(finish(fixes));
    }
    say("home", Found::Ok(dir.clone()));
    match home.check_owner() {
        Ok(()) => {}
        Err(failure) => say("owner", Found::Fix(failure.message)),
    }
    let config = match loaded {
        Ok(config) => {
            say(
                "config",
                Found::Ok(format!(
                    "{} loads; the agents act in {}",
                    home.config().display(),
                    config.environment
                )),
            );
            Some(config)
        }
        Err(failure) => {
            say("config", Found::Fix(failure.message));
            None
        }
    };
    match local::policy_engine_in(&home.policies()) {
        Ok(_) => say(
            "policies",
            Found::Ok(format!("{} load", home.policies().display())),
        ),
        Err(failure) => say("policies", Found::Fix(failure.message)),
    }
    match config.as_ref().and_then(|c| c.server.url.clone()) {
        Some(url) => {
            // The store and its key are the server's: what counts here is reaching it.
            let reached = client::send(
                &client::Peer::from(&url),
                "GET",
                "/api/v1/openapi.json",
                &[],
                None,
                Duration::from_secs(3),
            );
            match reached {
                Ok(response) if response.status == 200 => {
                    say("server", Found::Ok(format!("{url} answers")));
                }
                Ok(response) => say(
                    "server",
                    Found::Fix(format!(
                        "{url} answered {}, not holdpoint's API: is `[server] url` in holdpoint.toml right?",
                        response.status
                    )),
                ),
                Err(e) => say(
                    "server",
                    Found::Fix(format!(
                        "{url} does not answer ({e}): start `holdpoint serve` (hooks refuse every action until it is back)"
                    )),
                ),
            }
        }
        None => {
            let store_config = config.clone().unwrap_or_default();
            let place = home.store_place(&store_config);
            match home.open_store_as(&store_config, crate::home::Opening::ToRead) {
                Ok(store) => {
                    use holdpoint_store::Store as _;
                    match store.size() {
                        Ok(size) => say(
                            "store",
                            Found::Ok(format!(
                                "{place} opens; the ledger holds {size} records (`holdpoint log verify` checks them)"
                            )),
                        ),
                        Err(e) => say(
                            "store",
                            Found::Fix(format!("the ledger cannot be read: {e}")),
                        ),
                    }
                }
                Err(e) => say(
                    "store",
                    Found::Fix(format!("{place} does not open: {}", e.message)),
                ),
            }
            match home.signing_key() {
                Ok(_) => say("key", Found::Ok(format!("{} reads", home.key().display()))),
                Err(failure) => say("key", Found::Fix(failure.message)),
            }
            if let Some(telemetry) = config.as_ref().and_then(|c| c.telemetry.as_ref()) {
                say("telemetry", telemetry_found(&home, &telemetry.endpoint));
            }
        }
    }
    let mut installed = 0;
    for agent in [
        Agent::ClaudeCode,
        Agent::Codex,
        Agent::Gemini,
        Agent::Cursor,
    ] {
        let name = agent.name();
        let found = match (
            merge_hooks(agent, project, false),
            installed_commands(agent, project),
        ) {
            (Ok((path, Installed::Unchanged)), _) => {
                installed += 1;
                Found::Ok(format!(
                    "{}'s hooks in {} run this holdpoint with this home",
                    agent.display_name(),
                    path.display()
                ))
            }
            (Ok((path, Installed::Updated)), commands) => {
                installed += 1;
                let commands = commands.map(|(_, c)| c).unwrap_or_default();
                Found::Fix(format!(
                    "{}'s hooks in {} are not the ones `holdpoint install {name}` writes now (they run `{}`): run it again",
                    agent.display_name(),
                    path.display(),
                    commands.join("`, `")
                ))
            }
            (Ok((path, Installed::New)), _) => Found::Note(format!(
                "{} has no hooks of holdpoint's in {} (`holdpoint install {name}` adds them)",
                agent.display_name(),
                path.display()
            )),
            (Err(failure), _) => Found::Fix(failure.message),
        };
        say(name, found);
    }
    if installed == 0 {
        say(
            "hooks",
            Found::Fix(
                "no agent's hooks are installed, so no agent is checked: run `holdpoint install claude-code` (or codex, gemini, cursor)"
                    .to_owned(),
            ),
        );
    }
    Ok(finish(fixes))
}

/// How far sending the ledger to the collector at `endpoint` has got.
fn telemetry_found(home: &Home, endpoint: &str) -> Found {
    use holdpoint_store::Store as _;
    let read = home
        .open_store_to_read()
        .map_err(|e| e.message)
        .and_then(|store| {
            Ok::<_, String>((
                store.size().map_err(|e| e.to_string())?,
                store.export_state(endpoint).map_err(|e| e.to_string())?,
            ))
        });
    let (head, state) = match read {
        Ok(read) => read,
        Err(e) => return Found::Fix(format!("the store cannot be read: {e}")),
    };
    let sent = state
        .as_ref()
        .map_or(0, |s| s.next_seq.saturating_sub(1))
        .min(head);
    let waiting = head - sent;
    match state.and_then(|s| s.failure.zip(s.failed_ms)) {
        Some((failure, at)) => Found::Fix(format!(
            "the collector at {endpoint} has not taken the last {waiting} records ({}: {failure}); nothing is lost, they are sent once it does (`holdpoint telemetry status`)",
            crate::time::ago(crate::home::now_ms() - at)
        )),
        None if waiting == 0 => Found::Ok(format!("the collector at {endpoint} has every record")),
        None => Found::Note(format!(
            "{waiting} records wait for the collector at {endpoint}: they are sent while `holdpoint serve`, `pg` or `mcp` runs, or by `holdpoint telemetry send`"
        )),
    }
}

fn finish(fixes: usize) -> u8 {
    if fixes == 0 {
        println!("nothing to fix");
        exit::ALLOW
    } else {
        println!("{fixes} thing{} to fix", if fixes == 1 { "" } else { "s" });
        exit::INTERNAL
    }
}
