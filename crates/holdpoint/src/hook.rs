//! `holdpoint hook AGENT`: an agent's pre-tool and post-tool hooks. Reads the JSON the
//! agent writes on standard input, decides, records, and answers in that agent's own
//! protocol.
//!
//! Hooks cannot hold a call open for a human (they time out and the call proceeds), so
//! `ask` is answered as a denial at once, naming the approval request; the identical
//! retry after approval finds the approval by digest and is allowed once. Any failure
//! answers deny: the agent's protocol is told to block, and the exit status is 2, which
//! every supported agent treats as a block.

use std::io::{Read as _, Write as _};
use std::sync::Mutex;
use std::time::Duration;

use clap::ValueEnum;
use holdpoint_core::{McpCall, McpServer, Surface, content_hash};
use holdpoint_policy::Outcome;
use holdpoint_store::Executed;
use serde_json::{Value, json};

use crate::enforcer::Enforcer;
use crate::pipeline::Request;
use crate::{Failure, exit};

/// The agents holdpoint has hooks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub(crate) enum Agent {
    ClaudeCode,
    Codex,
    Gemini,
    Cursor,
}

impl Agent {
    /// The agent's product name, for people.
    pub fn display_name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "Claude Code",
            Agent::Codex => "Codex",
            Agent::Gemini => "Gemini CLI",
            Agent::Cursor => "Cursor",
        }
    }

    /// The agent identity recorded in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::Cursor => "cursor",
        }
    }
}

/// Hook input larger than this is refused: no agent sends megabytes of tool input.
const MAX_INPUT: u64 = 8 * 1024 * 1024;

/// Which side of the tool call the hook runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Before,
    After { failed: bool },
}

/// A tool call as holdpoint reads it from any agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolCall {
    event: Event,
    pub request: Request,
    /// For `After`: what the agent reported.
    outcome: Option<Executed>,
    /// The input of a shell call whose command the agent lets the hook replace (Claude
    /// Code, Codex, Gemini CLI): how the project's own code is run in the sandbox.
    shell_input: Option<Value>,
    /// The agent's permission mode (Claude Code, Codex), which decides how a replaced
    /// command is answered.
    permission_mode: Option<String>,
}

/// The hook answers within this time or denies: an agent whose hook times out lets the
/// call through, so a slow store must never be waited out. Installed hooks allow 30 s.
pub(crate) const DEADLINE: Duration = Duration::from_secs(8);

/// Held while a decision is being made and recorded; `true` once it is recorded. The
/// deadline waits for it, so that a decision already in the ledger is never answered
/// with the deadline's denial (the store's own lock wait is shorter than the deadline).
static RECORDED: Mutex<bool> = Mutex::new(false);

/// A panic would end the process with a status the agents read as "no objection".
pub(crate) fn answer_panics(agent: Agent) {
    std::panic::set_hook(Box::new(move |info| {
        let reason = format!("holdpoint failed ({info}), so the action is refused");
        println!("{}", deny_answer(agent, &reason));
        eprintln!("{reason}");
        std::process::exit(i32::from(exit::USAGE));
    }));
}

/// The most memory a worker may map: far more than any analysis needs, and far less
/// than a machine has, so that input built to exhaust memory ends the worker, not the
/// machine's other processes.
const WORKER_MEMORY: u64 = 4 * 1024 * 1024 * 1024;

/// `holdpoint hook --worker AGENT`: decides, records and answers one hook call.
pub(crate) fn work(agent: Agent) -> Result<u8, Failure> {
    answer_panics(agent);
    let limit = rustix::process::Rlimit {
        current: Some(WORKER_MEMORY),
        maximum: Some(WORKER_MEMORY),
    };
    if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::As, limit) {
        eprintln!("holdpoint: cannot limit the hook's memory: {e}");
    }
    std::thread::spawn(move || {
        std::thread::sleep(DEADLINE);
        if RECORDED.lock().is_ok_and(|recorded| *recorded) {
            return;
        }
        let reason = format!(
            "holdpoint could not decide this action within {} s (is another process holding its store?), so it is refused",
            DEADLINE.as_secs()
        );
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let _ = writeln!(out, "{}", deny_answer(agent, &reason));
        let _ = out.flush();
        eprintln!("{reason}");
        std::process::exit(i32::from(exit::USAGE));
    });
    let mut text = String::new();
    let read = std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_string(&mut text);
    let answer = match read {
        Err(e) => Err(format!("cannot read the hook input: {e}")),
        Ok(n) if n as u64 > MAX_INPUT => Err("the hook input is larger than 8 MiB".to_owned()),
        Ok(_) => handle(agent, &text),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match answer {
        Ok(Some(answer)) => {
            if let Err(e) = writeln!(out, "{answer}").and_then(|()| out.flush()) {
                // An answer the agent cannot read must still block: exit status 2 with
                // the reason on standard error.
                eprintln!("holdpoint could not write its answer ({e}), so the action is refused");
                return Ok(exit::USAGE);
            }
            Ok(exit::ALLOW)
        }
        Ok(None) => Ok(exit::ALLOW),
        Err(message) => {
            // Fail closed: a deny in the agent's protocol, and exit status 2 with the
            // reason on standard error, which blocks even where the JSON is not read.
            let reason =
                format!("holdpoint could not decide this action, so it is refused: {message}");
            let _ = writeln!(out, "{}", deny_answer(agent, &reason));
            let _ = out.flush();
            eprintln!("{reason}");
            Ok(exit::USAGE)
        }
    }
}

/// The answer to one hook call: `None` for nothing to print.
fn handle(agent: Agent, text: &str) -> Result<Option<Value>, String> {
    let input: Value =
        serde_json::from_str(text).map_err(|e| format!("the hook input is not JSON: {e}"))?;
    // A turn's start and end decide nothing: the start records the person's
    // instruction, the end is answered with holdpoint's account, and neither is ever
    // refused (a refused stop would keep the agent working).
    match crate::turn::event(agent, input.get("hook_event_name").and_then(Value::as_str)) {
        Some(crate::turn::Event::Start) => return Ok(crate::turn::instructed(agent, &input)),
        Some(crate::turn::Event::End) => return Ok(crate::turn::answer(agent, &input)),
        None => {}
    }
    let call = parse(agent, &input)?;
    let enforcer = Enforcer::open(None).map_err(|f| f.message)?;
    match call.event {
        Event::Before => {
            let mut request = call.request.clone();
            request.confined = call.shell_input.is_some() && crate::sandbox::available().is_ok();
            let verdict = {
                let mut recorded = RECORDED
                    .lock()
                    .map_err(|_| "the decision lock was poisoned".to_owned())?;
                let verdict = enforcer.propose(&request).map_err(|f| f.message)?;
                *recorded = true;
                verdict
            };
            let reason = verdict.message;
            Ok(match (verdict.outcome, &call.shell_input) {
                (Outcome::Allow, Some(input)) if verdict.confine => {
                    let workspace = request.workspace.as_deref().unwrap_or(&request.cwd);
                    let command = crate::sandbox::wrapped(
                        &enforcer.config().sandbox,
                        workspace,
                        &request.input,
                    )
                    .map_err(|f| f.message)?;
                    Some(confined_answer(
                        agent,
                        input,
                        &command,
                        call.permission_mode.as_deref(),
                        &reason,
                    ))
                }
                (Outcome::Allow, _) => allow_answer(agent, &reason),
                (Outcome::Ask | Outcome::Deny, _) => Some(deny_answer(agent, &reason)),
            })
        }
        Event::After { .. } => {
            let outcome = call.outcome.unwrap_or(Executed {
                outcome: "observed".to_owned(),
                exit_status: None,
                duration_ms: None,
                detail: None,
                observed_by: format!("{} post-tool hook", agent.name()),
            });
            enforcer
                .executed(&call.request, &outcome)
                .map_err(|f| f.message)?;
            Ok(match agent {
                Agent::Codex | Agent::ClaudeCode => None,
                Agent::Gemini | Agent::Cursor => Some(json!({})),
            })
        }
    }
}

/// An allowed shell call whose command runs the project's own code, answered with the
/// same call run inside `holdpoint sandbox`. Claude Code asks its user before running
/// the replaced command unless its permission mode already runs calls without asking
/// (so holdpoint never lets through what the agent would have asked about); Codex
/// takes a replaced input only with `allow`; Gemini CLI merges `tool_input` over the
/// call's arguments.
fn confined_answer(
    agent: Agent,
    input: &Value,
    command: &str,
    permission_mode: Option<&str>,
    reason: &str,
) -> Value {
    let mut updated = input.clone();
    if let Some(fields) = updated.as_object_mut() {
        fields.insert("command".to_owned(), json!(command));
    }
    let reason = format!("{reason}; it runs inside holdpoint's sandbox");
    match agent {
        Agent::ClaudeCode | Agent::Codex => {
            let unprompted = agent == Agent::Codex
                || matches!(
                    permission_mode,
                    Some("bypassPermissions" | "dontAsk" | "auto")
                );
            json!({
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": if unprompted { "allow" } else { "ask" },
                    "permissionDecisionReason": reason,
                    "updatedInput": updated,
                }
            })
        }
        Agent::Gemini => json!({
            "decision": "allow",
            "reason": reason,
            "hookSpecificOutput": { "tool_input": { "command": command } },
        }),
        // Cursor's hook cannot replace a command: its calls are never confined.
        Agent::Cursor => json!({
            "permission": "deny",
            "user_message": "holdpoint cannot confine this command in Cursor",
            "agent_message": "holdpoint cannot confine this command in Cursor",
        }),
    }
}

/// holdpoint only ever narrows what an agent may do: where the protocol lets a hook give
/// no opinion, an allowed call is answered with nothing, so the agent's own permission
/// prompts still apply. An explicit `allow` would switch them off.
fn allow_answer(agent: Agent, reason: &str) -> Option<Value> {
    match agent {
        Agent::ClaudeCode | Agent::Codex | Agent::Gemini => None,
        Agent::Cursor => Some(json!({
            "permission": "allow",
            "user_message": reason,
            "agent_message": reason,
        })),
    }
}

pub(crate) fn deny_answer(agent: Agent, reason: &str) -> Value {
    match agent {
        Agent::ClaudeCode | Agent::Codex => json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": reason,
            }
        }),
        Agent::Gemini => json!({ "decision": "deny", "reason": reason }),
        Agent::Cursor => json!({
            "permission": "deny",
            "user_message": reason,
            "agent_message": reason,
        }),
    }
}

/// The session a hook input names: Cursor's conversation, the others' session.
pub(crate) fn session_of(agent: Agent, input: &Value) -> Option<&str> {
    let key = if agent == Agent::Cursor {
        "conversation_id"
    } else {
        "session_id"
    };
    text(input, key)
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn required<'a>(value: &'a Value, key: &str, agent: Agent) -> Result<&'a str, String> {
    text(value, key).ok_or_else(|| {
        format!(
            "the {} hook input has no `{key}`; is the hook installed for the right agent?",
            agent.name()
        )
    })
}

/// Reads a tool call from an agent's hook input.
pub(crate) fn parse(agent: Agent, input: &Value) -> Result<ToolCall, String> {
    if !input.is_object() {
        return Err("the hook input is not a JSON object".to_owned());
    }
    let event_name = required(input, "hook_event_name", agent)?;
    let event = match (agent, event_name) {
        (Agent::ClaudeCode | Agent::Codex, "PreToolUse")
        | (Agent::Gemini, "BeforeTool")
        | (Agent::Cursor, "beforeShellExecution" | "beforeMCPExecution" | "beforeReadFile") => {
            Event::Before
        }
        (Agent::ClaudeCode | Agent::Codex, "PostToolUse")
        | (Agent::Gemini, "AfterTool")
        | (Agent::Cursor, "afterShellExecution" | "afterMCPExecution" | "afterFileEdit") => {
            Event::After { failed: false }
        }
        (Agent::ClaudeCode, "PostToolUseFailure") => Event::After { failed: true },
        (_, other) => {
            return Err(format!(
                "holdpoint does not handle the {} event `{other}`: install the hook with `holdpoint install {}`",
                agent.name(),
                agent.name()
            ));
        }
    };
    let session = session_of(agent, input).map(str::to_owned);
    let cwd = text(input, "cwd")
        .or_else(|| {
            input
                .get("workspace_roots")
                .and_then(|r| r.get(0))
                .and_then(Value::as_str)
        })
        .map(str::to_owned)
        .ok_or_else(|| format!("the {} hook input has no `cwd`", agent.name()))?;
    let (surface, op_input, content, written) = match agent {
        Agent::Cursor => {
            let (surface, op_input, content) = cursor_tool(input, event_name)?;
            (surface, op_input, content, None)
        }
        _ => {
            let tool = required(input, "tool_name", agent)?;
            let tool_input = input.get("tool_input").cloned().unwrap_or(Value::Null);
            tool_call(agent, tool, &tool_input, input.get("mcp_context"))?
        }
    };
    let outcome = match event {
        Event::Before => None,
        Event::After { failed } => Some(observed(agent, input, failed)),
    };
    let shell_input = input
        .get("tool_name")
        .and_then(Value::as_str)
        .filter(|tool| agent != Agent::Cursor && SHELL_TOOLS.contains(tool))
        .and_then(|_| input.get("tool_input"))
        .filter(|tool_input| text(tool_input, "command").is_some())
        .cloned();
    // After the call, a command holdpoint replaced is recorded as the one decided.
    let op_input = match event {
        Event::After { .. } => crate::sandbox::unwrapped(&op_input).unwrap_or(op_input),
        Event::Before => op_input,
    };
    Ok(ToolCall {
        event,
        request: Request {
            surface,
            input: op_input,
            workspace: workspace(agent, input),
            cwd,
            agent: agent.name().to_owned(),
            session,
            content,
            written,
            // Set once the hook knows it can run the command inside the sandbox.
            confined: false,
            home: None,
        },
        outcome,
        shell_input,
        permission_mode: text(input, "permission_mode").map(str::to_owned),
    })
}

/// The agent's project root, as the agent itself names it: `CLAUDE_PROJECT_DIR` and
/// `GEMINI_PROJECT_DIR` in the hook's environment (set by the agent, not by the model),
/// Cursor's first workspace root. An agent that moved its shell elsewhere (`cd /srv`) is
/// then no longer "in its workspace" there.
fn workspace(agent: Agent, input: &Value) -> Option<String> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|d| d.starts_with('/'));
    match agent {
        Agent::ClaudeCode => from_env("CLAUDE_PROJECT_DIR"),
        Agent::Gemini => from_env("GEMINI_PROJECT_DIR"),
        Agent::Cursor => input
            .get("workspace_roots")
            .and_then(|r| r.get(0))
            .and_then(Value::as_str)
            .filter(|d| d.starts_with('/'))
            .map(str::to_owned),
        Agent::Codex => None,
    }
}

/// The tool names agents use for running shell commands.
const SHELL_TOOLS: &[&str] = &[
    "Bash",
    "run_shell_command",
    "shell",
    "exec_command",
    "local_shell",
];

/// Tools that only read, search or plan, or act only on the agent's own session
/// (`KillShell`, once `KillBash`, stops a command the agent itself started in the
/// background; `AskUserQuestion` asks the person at the agent).
const READ_TOOLS: &[&str] = &[
    "Read",
    "KillShell",
    "KillBash",
    "AskUserQuestion",
    "update_plan",
    "view_image",
    "Glob",
    "Grep",
    "LS",
    "NotebookRead",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "TodoRead",
    "Task",
    "Agent",
    "BashOutput",
    "ExitPlanMode",
    "read_file",
    "read_many_files",
    "glob",
    "grep_search",
    "search_file_content",
    "list_directory",
    "web_fetch",
    "google_web_search",
    "write_todos",
];

pub(crate) fn tool_call(
    agent: Agent,
    tool: &str,
    tool_input: &Value,
    mcp_context: Option<&Value>,
) -> Result<(Surface, String, Vec<String>, Option<Value>), String> {
    let field = |key: &str| {
        text(tool_input, key).map(str::to_owned).ok_or_else(|| {
            format!(
                "the {} `{tool}` call has no `tool_input.{key}`",
                agent.name()
            )
        })
    };
    let digest_of_input = || vec![content_hash(tool_input.to_string().as_bytes())];
    if SHELL_TOOLS.contains(&tool) {
        return Ok((Surface::Shell, field("command")?, Vec::new(), None));
    }
    match tool {
        // What a file tool writes is shown to an approver and its hash joins the digest,
        // both made from this input (`pipeline::action_for`).
        "Write" | "write_file" => Ok((
            Surface::File,
            format!("write {}", field("file_path")?),
            Vec::new(),
            Some(tool_input.clone()),
        )),
        "Edit" | "MultiEdit" | "replace" => Ok((
            Surface::File,
            format!("edit {}", field("file_path")?),
            Vec::new(),
            Some(tool_input.clone()),
        )),
        "NotebookEdit" => Ok((
            Surface::File,
            format!("edit {}", field("notebook_path")?),
            Vec::new(),
            Some(tool_input.clone()),
        )),
        "apply_patch" => {
            let patch = text(tool_input, "command")
                .or_else(|| text(tool_input, "patch"))
                .or_else(|| text(tool_input, "input"))
                .ok_or_else(|| "the codex `apply_patch` call has no patch text".to_owned())?;
            Ok((
                Surface::Shell,
                patch_as_shell(patch)?,
                vec![content_hash(patch.as_bytes())],
                None,
            ))
        }
        _ if READ_TOOLS.contains(&tool) => {
            // Every path the tool names (`read_many_files` takes a list), each judged on a
            // line of its own: searches read the contents of everything below a path,
            // listings only names.
            let op = match tool {
                "Grep" | "grep_search" | "search_file_content" | "read_many_files" => "search",
                "Glob" | "LS" | "glob" | "list_directory" => "list",
                _ => "read",
            };
            let mut named: Vec<&str> = ["file_path", "path", "absolute_path", "notebook_path"]
                .iter()
                .filter_map(|k| text(tool_input, k))
                .collect();
            for key in ["paths", "include"] {
                match tool_input.get(key) {
                    Some(Value::Array(items)) => {
                        named.extend(items.iter().filter_map(Value::as_str))
                    }
                    Some(Value::String(one)) => named.push(one),
                    _ => {}
                }
            }
            named.retain(|p| !p.contains('\n'));
            if named.is_empty() {
                // A search without a path searches the working directory.
                let what = ["pattern", "url", "query"]
                    .iter()
                    .find_map(|k| text(tool_input, k))
                    .filter(|_| op == "read")
                    .unwrap_or(".");
                let what = what.replace('\n', " ");
                return Ok((
                    Surface::File,
                    format!("{op} {what}"),
                    digest_of_input(),
                    None,
                ));
            }
            let lines: Vec<String> = named.iter().map(|p| format!("{op} {p}")).collect();
            Ok((Surface::File, lines.join("\n"), digest_of_input(), None))
        }
        // MCP tools (`mcp__server__tool`) are MCP calls, judged as the gateway judges the
        // same call; a tool holdpoint does not know otherwise is judged as an unknown
        // tool of a server it cannot name (at least a change).
        _ => Ok((
            Surface::Mcp,
            mcp_call(tool, tool_input.clone(), mcp_context).to_input(),
            Vec::new(),
            None,
        )),
    }
}

/// An agent's MCP tool call as an [`McpCall`]: the server's name from `mcp__NAME__TOOL`
/// (only a name: analysis never trusts it), and what the agent says of how the server
/// is launched or reached (Gemini CLI's `mcp_context`, Cursor's `command` and `url`).
fn mcp_call(tool: &str, arguments: Value, context: Option<&Value>) -> McpCall {
    let (server_name, name) = tool
        .strip_prefix("mcp__")
        .and_then(|rest| rest.split_once("__"))
        .unwrap_or(("", tool));
    let field = |key: &str| context.and_then(|c| text(c, key));
    let mut command: Vec<String> = field("command")
        .map(|c| c.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if let Some(Value::Array(args)) = context.and_then(|c| c.get("args")) {
        command.extend(args.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    McpCall {
        server: McpServer {
            name: field("server_name").unwrap_or(server_name).to_owned(),
            command,
            url: field("url").or_else(|| field("httpUrl")).map(str::to_owned),
            info: None,
            trusted: false,
        },
        method: "tools/call".to_owned(),
        name: name.to_owned(),
        arguments,
        annotations: None,
    }
}

/// A Codex patch as the file operations it performs, written as a shell line so that the
/// shell analyser judges each path: `: > path` for added or rewritten files, `rm path`
/// for deleted ones.
fn patch_as_shell(patch: &str) -> Result<String, String> {
    let mut ops = Vec::new();
    for line in patch.lines() {
        // Codex reads headers with surrounding white space trimmed; so must holdpoint.
        let line = line.trim();
        let (op, path) = if let Some(p) = line.strip_prefix("*** Add File: ") {
            ("write", p)
        } else if let Some(p) = line.strip_prefix("*** Update File: ") {
            ("edit", p)
        } else if let Some(p) = line.strip_prefix("*** Move to: ") {
            ("write", p)
        } else if let Some(p) = line.strip_prefix("*** Delete File: ") {
            ("delete", p)
        } else {
            continue;
        };
        let quoted = format!("'{}'", path.trim().replace('\'', r"'\''"));
        ops.push(match op {
            "delete" => format!("rm -f -- {quoted}"),
            "edit" => format!("sed -i -e '' -- {quoted}"),
            _ => format!(": > {quoted}"),
        });
    }
    if ops.is_empty() {
        return Err("the codex patch names no file (`*** Add File:`, `*** Update File:`, `*** Delete File:`)".to_owned());
    }
    Ok(ops.join("; "))
}

fn cursor_tool(input: &Value, event: &str) -> Result<(Surface, String, Vec<String>), String> {
    match event {
        "beforeShellExecution" | "afterShellExecution" => Ok((
            Surface::Shell,
            required(input, "command", Agent::Cursor)?.to_owned(),
            Vec::new(),
        )),
        "beforeMCPExecution" | "afterMCPExecution" => {
            let tool = required(input, "tool_name", Agent::Cursor)?;
            // Cursor sends the arguments as JSON text; text that is not JSON stays a
            // string, which analysis cannot read (unanalysable).
            let arguments = match input.get("tool_input") {
                Some(Value::String(s)) => {
                    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
                }
                Some(other) => other.clone(),
                None => Value::Null,
            };
            Ok((
                Surface::Mcp,
                mcp_call(tool, arguments, Some(input)).to_input(),
                Vec::new(),
            ))
        }
        "beforeReadFile" => Ok((
            Surface::File,
            format!("read {}", required(input, "file_path", Agent::Cursor)?),
            Vec::new(),
        )),
        "afterFileEdit" => Ok((
            Surface::File,
            format!("edit {}", required(input, "file_path", Agent::Cursor)?),
            vec![content_hash(
                input
                    .get("edits")
                    .map(Value::to_string)
                    .unwrap_or_default()
                    .as_bytes(),
            )],
        )),
        other => Err(format!(
            "holdpoint does not handle the cursor event `{other}`"
        )),
    }
}

/// What the agent reports after the tool ran: holdpoint records it as observed by the
/// hook, never as proven.
fn observed(agent: Agent, input: &Value, failed: bool) -> Executed {
    let response = input.get("tool_response");
    let excerpt = |s: &str| {
        let s = s.trim();
        let mut cut: String = s.chars().take(300).collect();
        if cut.len() < s.len() {
            cut.push('…');
        }
        (!cut.is_empty()).then_some(cut)
    };
    let error = text(input, "error")
        .map(str::to_owned)
        .or_else(|| response.and_then(|r| text(r, "error")).map(str::to_owned))
        .or_else(|| {
            response
                .and_then(|r| r.get("error"))
                .filter(|e| e.is_object())
                .map(Value::to_string)
        });
    let interrupted = response
        .and_then(|r| r.get("interrupted"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || input
            .get("is_interrupt")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let failed = failed || error.is_some() || interrupted;
    let detail = error
        .as_deref()
        .and_then(excerpt)
        .or_else(|| match response {
            Some(Value::String(s)) => excerpt(s),
            Some(r) => text(r, "stderr")
                .and_then(excerpt)
                .or_else(|| text(r, "stdout").and_then(excerpt))
                .or_else(|| text(r, "returnDisplay").and_then(excerpt)),
            None => text(input, "output").and_then(excerpt),
        });
    Executed {
        outcome: if failed { "failed" } else { "observed" }.to_owned(),
        exit_status: None,
        duration_ms: input.get("duration").and_then(Value::as_u64),
        detail,
        observed_by: format!("{} post-tool hook", agent.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_patches_become_file_operations() {
        let patch = "*** Begin Patch\n*** Update File: src/main.rs\n@@\n-a\n+b\n*** Delete File: /etc/motd\n*** End Patch\n";
        assert_eq!(
            patch_as_shell(patch).unwrap(),
            "sed -i -e '' -- 'src/main.rs'; rm -f -- '/etc/motd'"
        );
        assert!(patch_as_shell("no files").is_err());
    }
}
