//! `holdpoint install AGENT` and `holdpoint uninstall AGENT`: put holdpoint's hooks into
//! an agent's settings file, or take them out, keeping everything else in the file.
//! [`mcp`] does the same for the agent's MCP servers.

pub(crate) mod mcp;
mod remote;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::hook::Agent;
use crate::{Failure, exit, local};

/// The directory an agent's configuration files are under: the project, or the user's
/// home.
fn base_dir(project: Option<&Path>) -> Result<PathBuf, Failure> {
    Ok(match project {
        Some(dir) => dir.to_owned(),
        None => PathBuf::from(
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| Failure::usage("HOME is not set: give --project DIR"))?,
        ),
    })
}

/// Where an agent keeps its hook configuration: in the project, or for the user.
fn settings_path(agent: Agent, project: Option<&Path>) -> Result<PathBuf, Failure> {
    let base = base_dir(project)?;
    Ok(match agent {
        Agent::ClaudeCode => base.join(".claude").join("settings.json"),
        Agent::Codex => base.join(".codex").join("hooks.json"),
        Agent::Gemini => base.join(".gemini").join("settings.json"),
        Agent::Cursor => base.join(".cursor").join("hooks.json"),
    })
}

/// This holdpoint binary, by absolute path: what the agents are told to run.
fn holdpoint_program() -> Result<String, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::internal(format!("cannot find the holdpoint binary: {e}")))?;
    Ok(exe.to_string_lossy().into_owned())
}

/// The command the agent runs: this holdpoint binary, by absolute path, and the home it
/// is installed from when that is not the default (`~/.holdpoint`): an agent started
/// without `HOLDPOINT_HOME` would otherwise decide with a home that is not set up, and
/// refuse every call.
fn hook_command(agent: Agent) -> Result<String, Failure> {
    let exe = crate::exec::shell_quote(&holdpoint_program()?);
    let home = std::path::absolute(local::holdpoint_home())
        .map_err(|e| Failure::internal(format!("cannot resolve $HOLDPOINT_HOME: {e}")))?;
    let default = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".holdpoint");
    Ok(if home == default {
        format!("{exe} hook {}", agent.name())
    } else {
        format!(
            "env HOLDPOINT_HOME={} {exe} hook {}",
            crate::exec::shell_quote(&home.to_string_lossy()),
            agent.name()
        )
    })
}

/// Whether a hook entry's command is holdpoint's hook for this agent.
fn is_ours(command: &str, agent: Agent) -> bool {
    command.contains("holdpoint")
        && command
            .trim_end()
            .ends_with(&format!("hook {}", agent.name()))
}

/// The events holdpoint hooks into, with the entry for each.
fn entries(agent: Agent, command: &str) -> Vec<(&'static str, Value)> {
    let matcher_group = |matcher: &str, timeout: Value| {
        json!({
            "matcher": matcher,
            "hooks": [{ "type": "command", "command": command, "timeout": timeout }]
        })
    };
    match agent {
        // Timeouts in seconds; `*` matches every tool. Before the call, a hook that
        // cannot start, times out or fails blocks it (Claude Code 2.1.295 and later;
        // earlier versions ignore the field and let the call through).
        Agent::ClaudeCode => vec![
            (
                "PreToolUse",
                json!({
                    "matcher": "*",
                    "hooks": [{
                        "type": "command",
                        "command": command,
                        "timeout": 30,
                        "onFailure": "block",
                    }]
                }),
            ),
            ("PostToolUse", matcher_group("*", json!(30))),
            ("PostToolUseFailure", matcher_group("*", json!(30))),
            // A turn's start and end: the person's instruction, and holdpoint's account
            // (see `turn`).
            (
                "UserPromptSubmit",
                json!({ "hooks": [{ "type": "command", "command": command, "timeout": 30 }] }),
            ),
            (
                "Stop",
                json!({ "hooks": [{ "type": "command", "command": command, "timeout": 30 }] }),
            ),
            (
                "SubagentStop",
                json!({ "hooks": [{ "type": "command", "command": command, "timeout": 30 }] }),
            ),
        ],
        // Codex and Gemini CLI match every turn's start and end whatever the matcher.
        Agent::Codex => vec![
            ("PreToolUse", matcher_group("*", json!(30))),
            ("PostToolUse", matcher_group("*", json!(30))),
            ("UserPromptSubmit", matcher_group("*", json!(30))),
            ("Stop", matcher_group("*", json!(30))),
        ],
        // Gemini CLI's timeouts are in milliseconds and its matcher is a regex.
        Agent::Gemini => vec![
            ("BeforeTool", matcher_group(".*", json!(30_000))),
            ("AfterTool", matcher_group(".*", json!(30_000))),
            ("BeforeAgent", matcher_group(".*", json!(30_000))),
            ("AfterAgent", matcher_group(".*", json!(30_000))),
        ],
        Agent::Cursor => [
            "beforeShellExecution",
            "beforeMCPExecution",
            "beforeReadFile",
            "afterShellExecution",
            "afterMCPExecution",
            "afterFileEdit",
            "beforeSubmitPrompt",
            "stop",
        ]
        .into_iter()
        .map(|event| (event, json!({ "command": command })))
        .collect(),
    }
}

fn read_settings(path: &Path) -> Result<Map<String, Value>, Failure> {
    match fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Map::new()),
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(Failure::usage(format!(
                "`{}` is not a JSON object; fix it by hand, nothing was changed",
                path.display()
            ))),
            Err(e) => Err(Failure::usage(format!(
                "`{}` is not valid JSON ({e}); fix it by hand, nothing was changed",
                path.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(Failure::usage(format!(
            "cannot read `{}`: {e}",
            path.display()
        ))),
    }
}

fn write_settings(path: &Path, settings: &Map<String, Value>) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(settings)
        .map_err(|e| Failure::internal(format!("cannot encode the settings: {e}")))?;
    text.push('\n');
    write_atomically(path, &text)
}

/// Writes the file through a temporary file and a rename, so a crash leaves the old
/// settings or the new ones, never half of either. The file keeps its permissions.
fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    let fail =
        |e: std::io::Error| Failure::internal(format!("cannot write `{}`: {e}", path.display()));
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".holdpoint-tmp");
    let temp = PathBuf::from(temp);
    let mut file = fs::File::create(&temp).map_err(fail)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    if let Ok(meta) = fs::metadata(path) {
        fs::set_permissions(&temp, meta.permissions()).map_err(fail)?;
    }
    fs::rename(&temp, path).map_err(fail)
}

/// Removes holdpoint's entries for `agent` from the `hooks` table; returns how many.
fn remove_ours(hooks: &mut Map<String, Value>, agent: Agent) -> usize {
    let mut removed = 0;
    for (_, list) in hooks.iter_mut() {
        let Some(groups) = list.as_array_mut() else {
            continue;
        };
        groups.retain_mut(|group| {
            if let Some(command) = group.get("command").and_then(Value::as_str) {
                // Cursor's flat entries.
                if is_ours(command, agent) {
                    removed += 1;
                    return false;
                }
                return true;
            }
            if let Some(inner) = group.get_mut("hooks").and_then(Value::as_array_mut) {
                let before = inner.len();
                inner.retain(|h| {
                    !h.get("command")
                        .and_then(Value::as_str)
                        .is_some_and(|c| is_ours(c, agent))
                });
                removed += before - inner.len();
                return !inner.is_empty();
            }
            true
        });
    }
    hooks.retain(|_, list| list.as_array().is_none_or(|a| !a.is_empty()));
    removed
}

/// The hook commands of holdpoint's that `agent`'s settings file (the user's, or
/// `project`'s) holds, and the file.
pub(crate) fn installed_commands(
    agent: Agent,
    project: Option<&Path>,
) -> Result<(PathBuf, Vec<String>), Failure> {
    let path = settings_path(agent, project)?;
    let settings = read_settings(&path)?;
    let mut commands = Vec::new();
    let mut collect = |command: Option<&str>| {
        if let Some(command) = command.filter(|c| is_ours(c, agent))
            && !commands.iter().any(|c| c == command)
        {
            commands.push(command.to_owned());
        }
    };
    if let Some(hooks) = settings.get("hooks").and_then(Value::as_object) {
        for groups in hooks.values().filter_map(Value::as_array) {
            for group in groups {
                collect(group.get("command").and_then(Value::as_str));
                for hook in group
                    .get("hooks")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    collect(hook.get("command").and_then(Value::as_str));
                }
            }
        }
    }
    Ok((path, commands))
}

/// What installing did to a settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Installed {
    /// The file had no hooks of holdpoint's for the agent.
    New,
    /// Its hooks were replaced by the current ones.
    Updated,
    /// It already held exactly these hooks; nothing was written.
    Unchanged,
}

/// Merges holdpoint's hooks for `agent` into its settings file (the user's, or
/// `project`'s), writing only when that changes the file (and never unless `write`).
/// Returns the file and what was, or would be, done.
pub(crate) fn merge_hooks(
    agent: Agent,
    project: Option<&Path>,
    write: bool,
) -> Result<(PathBuf, Installed), Failure> {
    let path = settings_path(agent, project)?;
    let mut settings = read_settings(&path)?;
    let before = path.exists().then(|| settings.clone());
    let command = hook_command(agent)?;
    if agent == Agent::Cursor {
        settings.entry("version").or_insert(json!(1));
    }
    let hooks = settings
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(hooks) = hooks.as_object_mut() else {
        return Err(Failure::usage(format!(
            "`hooks` in `{}` is not a JSON object; fix it by hand, nothing was changed",
            path.display()
        )));
    };
    let replaced = remove_ours(hooks, agent);
    for (event, entry) in entries(agent, &command) {
        let list = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        match list.as_array_mut() {
            Some(list) => list.push(entry),
            None => {
                return Err(Failure::usage(format!(
                    "`hooks.{event}` in `{}` is not a list; fix it by hand, nothing was changed",
                    path.display()
                )));
            }
        }
    }
    if before.as_ref() == Some(&settings) {
        return Ok((path, Installed::Unchanged));
    }
    if write {
        write_settings(&path, &settings)?;
    }
    Ok((
        path,
        if replaced > 0 {
            Installed::Updated
        } else {
            Installed::New
        },
    ))
}

pub(crate) fn install(agent: Agent, project: Option<&Path>) -> Result<u8, Failure> {
    let command = hook_command(agent)?;
    let (path, installed) = merge_hooks(agent, project, true)?;
    println!(
        "{} holdpoint's hooks for {} in {}",
        match installed {
            Installed::New => "installed",
            Installed::Updated | Installed::Unchanged => "updated",
        },
        agent.name(),
        path.display()
    );
    match agent {
        Agent::Codex => println!(
            "Codex runs a hook only after you trust it: open Codex, run /hooks and approve `{command}`."
        ),
        Agent::Cursor => println!(
            "Cursor has no hook before file edits: edits are recorded after the fact (afterFileEdit)."
        ),
        Agent::ClaudeCode | Agent::Gemini => {}
    }
    // What happens when the hook itself cannot answer: holdpoint answers a refusal for
    // its own failures, but a hook that cannot start is up to the agent.
    match agent {
        Agent::ClaudeCode => println!(
            "If the hook cannot start, times out or fails, Claude Code 2.1.295 and later block the call (\"onFailure\": \"block\"); older versions let it through: keep Claude Code up to date."
        ),
        Agent::Codex | Agent::Gemini | Agent::Cursor => println!(
            "{} has no setting to block a call when its hook cannot start: holdpoint refuses on its own failures, but if the program is missing or cannot run, the call goes through.",
            agent.display_name()
        ),
    }
    println!(
        "Every tool call is now decided by holdpoint ({}); see decisions with `holdpoint log tail`.",
        match crate::home::Home::locate().load_config() {
            Ok(config) => format!("environment: {}", config.environment),
            Err(_) => "environment: see holdpoint.toml".to_owned(),
        }
    );
    Ok(exit::ALLOW)
}

pub(crate) fn uninstall(agent: Agent, project: Option<&Path>) -> Result<u8, Failure> {
    let path = settings_path(agent, project)?;
    if !path.exists() {
        println!("nothing to remove: `{}` does not exist", path.display());
        return Ok(exit::ALLOW);
    }
    let mut settings = read_settings(&path)?;
    let removed = match settings.get_mut("hooks").and_then(Value::as_object_mut) {
        Some(hooks) => remove_ours(hooks, agent),
        None => 0,
    };
    if settings
        .get("hooks")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        settings.remove("hooks");
    }
    if removed == 0 {
        println!(
            "no holdpoint hooks for {} in {}",
            agent.name(),
            path.display()
        );
        return Ok(exit::ALLOW);
    }
    write_settings(&path, &settings)?;
    println!(
        "removed {removed} holdpoint hook entries for {} from {}",
        agent.name(),
        path.display()
    );
    Ok(exit::ALLOW)
}
