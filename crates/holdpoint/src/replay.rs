//! `holdpoint replay`: an agent's past sessions, decided as if holdpoint had been
//! installed. Every tool call in the transcripts is turned into the action its hook
//! would have proposed (`hook::tool_call`, the same conversion), analysed where it ran,
//! and decided by the policies in the environment given, with no grants or freezes.
//! Nothing runs and nothing is written to the ledger.
//!
//! Transcripts are read a line at a time, their format recognised by their content:
//! Claude Code's (`~/.claude/projects/*/SESSION.jsonl`), Codex's rollouts
//! (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`) and Gemini CLI's chats
//! (`~/.gemini/tmp/HASH/chats/`, a JSON log or one JSON object, whose project directory
//! is found from the hash it is named by). A line that is not JSON, or a tool
//! call that cannot be read, is counted and named (file and line) and skipped; a file
//! that is neither is named and skipped.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use holdpoint_core::Risk;
use holdpoint_policy::{DecisionRequest, Outcome, PolicyEngine};
use serde::Serialize;
use serde_json::Value;

use crate::home::Home;
use crate::hook::Agent;
use crate::pipeline::{Request, action_for};
use crate::shown::one_line;
use crate::{Failure, exit, local};

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Transcript files, or directories to search for them (`.jsonl`, and `.json` in a
    /// `chats` directory) [default: each agent's own: ~/.claude/projects,
    /// ~/.codex/sessions and ~/.gemini/tmp]. A file's format is recognised by its
    /// content.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only this agent's own directory, when no PATH is given: claude-code, codex or
    /// gemini.
    #[arg(long, value_enum)]
    agent: Option<ReplayAgent>,
    /// Only calls made within this long before now, e.g. 30d or 12h (a call whose time
    /// the transcript does not say is kept) [default: all].
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
    /// The environment the calls are decided in: production, staging or development
    /// [default: $HOLDPOINT_ENV, else holdpoint.toml's, else production].
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// A directory of `.cedar` policies to decide with instead of those in force
    /// ($HOLDPOINT_POLICIES, else $HOLDPOINT_HOME/policies when it exists, else the
    /// built-in pack): a what-if, which also lists every call decided otherwise.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// `text` for a person at a terminal, `json` for a program, `html` for a page that
    /// opens anywhere (one file, nothing fetched).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReplayAgent {
    ClaudeCode,
    Codex,
    Gemini,
}

/// One tool call, as the transcript recorded it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    /// Whose transcript it came from: the hook that would have decided it.
    pub agent: Agent,
    pub session: String,
    pub cwd: String,
    pub tool: String,
    pub input: Value,
    /// When it was made, in seconds since the epoch, where the transcript says.
    pub at: Option<i64>,
    /// The transcript's id for the call, which its result names.
    pub id: String,
    pub file: PathBuf,
    pub line: usize,
}

/// What the transcripts held, read.
#[derive(Debug, Default)]
pub(crate) struct Transcripts {
    pub calls: Vec<Call>,
    /// The calls whose result the transcript marks as an error: their file and id.
    pub failed: std::collections::HashSet<(PathBuf, String)>,
    /// The calls the transcript shows undone afterwards (by file and id), with how.
    pub undone: HashMap<(PathBuf, String), String>,
    /// Lines and files skipped, with why.
    pub skipped: Vec<Skipped>,
    pub lines: usize,
}

impl Transcripts {
    /// Drops the copies of calls made before: a Codex session forked from another
    /// (`forked_from_id`), or a Claude Code session resumed into a new transcript,
    /// begins with the history it came from written again, calls included, under their
    /// ids, which these agents never give two calls. The first of each is kept.
    pub(crate) fn drop_copies(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.calls.retain(|call| {
            !matches!(call.agent, Agent::ClaudeCode | Agent::Codex)
                || call.id.is_empty()
                || seen.insert((call.agent, call.id.clone()))
        });
    }

    /// Marks as undone each edit that a later edit of the same session put back: the
    /// same file, with the edit's new text replaced by its old text (Claude Code's
    /// `Edit`, Gemini CLI's `replace`).
    pub(crate) fn find_edits_put_back(&mut self) {
        // From the last call back: each edit looks among those after it for one that
        // swaps its texts back, keeping the earliest of each.
        let mut later: HashMap<(&str, String, &str, &str), &Call> = HashMap::new();
        for call in self.calls.iter().rev() {
            let Some((path, old, new)) = exact_edit(call) else {
                continue;
            };
            let back = (call.session.as_str(), path, new, old);
            if let Some(by) = later.get(&back) {
                self.undone.insert(
                    (call.file.clone(), call.id.clone()),
                    format!(
                        "put back by a later edit ({}:{})",
                        by.file.display(),
                        by.line
                    ),
                );
            }
            let (session, path, new, old) = back;
            later.insert((session, path, old, new), call);
        }
    }
}

/// An edit that replaces one exact text of a file with another: the file (as the call
/// names it, made absolute in its directory), the old text and the new.
fn exact_edit(call: &Call) -> Option<(String, &str, &str)> {
    if !matches!(call.tool.as_str(), "Edit" | "replace") {
        return None;
    }
    let path = call.input.get("file_path")?.as_str()?;
    let old = call.input.get("old_string")?.as_str()?;
    let new = call.input.get("new_string")?.as_str()?;
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{}/{path}", call.cwd)
    };
    (old != new).then_some((path, old, new))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub file: String,
    /// 0 for a whole file.
    pub line: usize,
    pub why: String,
}

/// The format a transcript's lines are in, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Claude Code: each line carries `sessionId` (or is a `summary`).
    ClaudeCode,
    /// Codex: each line is `{"type": …, "payload": {…}}`.
    Codex,
    /// Gemini CLI's chat log: a first line naming the session and `projectHash`, then
    /// its messages, and `$`-operations that change them.
    Gemini,
}

/// What a Codex rollout said so far: the session and the directory its calls run in.
#[derive(Debug, Default)]
struct Rollout {
    session: String,
    cwd: String,
}

/// Reads one transcript, a line at a time: Claude Code's or Codex's, whichever its
/// lines are.
pub(crate) fn read_transcript(
    file: &Path,
    reader: impl BufRead,
    projects: &mut Projects,
    into: &mut Transcripts,
) -> Result<(), String> {
    let mut shape = None;
    let mut unknown_lines = 0;
    let mut rollout = Rollout::default();
    let mut chat = Chat::default();
    for (n, line) in reader.split(b'\n').enumerate() {
        let number = n + 1;
        let bytes = line.map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        into.lines += 1;
        let value: Value = match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(e) => {
                into.skipped.push(Skipped {
                    file: file.display().to_string(),
                    line: number,
                    why: format!("not JSON ({e})"),
                });
                continue;
            }
        };
        let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
        if shape == Some(Shape::Gemini) {
            chat.line(value, number);
            continue;
        }
        let this = if value.get("projectHash").is_some() && value.get("sessionId").is_some() {
            Some(Shape::Gemini)
        } else if value.get("sessionId").is_some()
            || matches!(kind, "summary" | "file-history-snapshot")
        {
            Some(Shape::ClaudeCode)
        } else if value.get("payload").is_some_and(Value::is_object)
            && matches!(
                kind,
                "session_meta" | "response_item" | "event_msg" | "turn_context" | "compacted"
            )
        {
            Some(Shape::Codex)
        } else {
            None
        };
        let Some(this) = this else {
            unknown_lines += 1;
            if shape.is_none() && unknown_lines >= 5 {
                break;
            }
            continue;
        };
        shape.get_or_insert(this);
        let at = timestamp(&value);
        let place = Place {
            file,
            line: number,
            at,
        };
        match this {
            Shape::ClaudeCode => claude_code_line(&value, kind, &place, into),
            Shape::Codex => codex_line(&value, kind, &place, &mut rollout, into),
            Shape::Gemini => chat.line(value, number),
        }
    }
    if shape == Some(Shape::Gemini) {
        chat.calls(file, projects, into);
    }
    if shape.is_none() && unknown_lines > 0 {
        return Err(format!(
            "{} is not a transcript holdpoint reads: its lines are neither Claude Code's (with `sessionId`) nor Codex's (`type` and `payload`)",
            file.display()
        ));
    }
    Ok(())
}

/// The largest whole-file chat read (Gemini CLI's older `session-*.json`).
const MOST_CHAT: u64 = 256 * 1024 * 1024;

/// Reads a Gemini CLI chat kept as one JSON object (`sessionId`, `projectHash`,
/// `messages`).
pub(crate) fn read_chat(
    file: &Path,
    reader: impl std::io::Read,
    projects: &mut Projects,
    into: &mut Transcripts,
) -> Result<(), String> {
    let value: Value = serde_json::from_reader(std::io::BufReader::new(reader.take(MOST_CHAT)))
        .map_err(|e| format!("{} is not JSON ({e})", file.display()))?;
    if value.get("projectHash").is_none() || value.get("messages").is_none() {
        return Err(format!(
            "{} is not a Gemini CLI chat (no `projectHash` and `messages`)",
            file.display()
        ));
    }
    into.lines += 1;
    let mut chat = Chat::default();
    chat.line(value, 1);
    chat.calls(file, projects, into);
    Ok(())
}

/// A Gemini CLI chat, as its file builds it up: the session, the hash that names its
/// project's directory, and its messages by id, in order, with the line each was last
/// written on.
#[derive(Debug, Default)]
struct Chat {
    session: String,
    project_hash: String,
    messages: Vec<(Value, usize)>,
    /// The messages `$rewindTo` took back, by id: each with the line that did.
    rewound: HashMap<String, usize>,
    /// Absolute paths the user's messages name (Gemini CLI's first message names the
    /// working directory): the project's, when one's hash is the chat's.
    named: Vec<String>,
}

impl Chat {
    /// One object of the chat: its header, a message (added, or replacing the one of
    /// the same id), `{"$patch": {"id": …}}` changing one, `{"$set": {"messages": …}}`
    /// writing them again (each added or replacing its own: a call is never forgotten
    /// because the history was compacted), or `{"$rewindTo": ID}` taking back that
    /// message and every one after it (whose calls had run: they count, as undone);
    /// other `$`-operations change nothing a replay needs.
    fn line(&mut self, value: Value, number: usize) {
        if let Some(messages) = value
            .get("$set")
            .and_then(|set| set.get("messages"))
            .and_then(Value::as_array)
        {
            for message in messages {
                self.line(message.clone(), number);
            }
            return;
        }
        if let Some(to) = value.get("$rewindTo") {
            let to = to.as_str().unwrap_or_default();
            // An id the chat does not have takes back every message, as Gemini CLI
            // reads it.
            let from = self
                .messages
                .iter()
                .position(|(m, _)| text(m, "id") == to)
                .unwrap_or(0);
            for (message, _) in self.messages.iter().skip(from) {
                self.rewound.entry(text(message, "id")).or_insert(number);
            }
            return;
        }
        if value.get("projectHash").is_some() {
            self.session = text(&value, "sessionId");
            self.project_hash = text(&value, "projectHash");
            if let Some(messages) = value.get("messages").and_then(Value::as_array) {
                for message in messages {
                    self.line(message.clone(), number);
                }
            }
            return;
        }
        if let Some(patch) = value.get("$patch") {
            let id = text(patch, "id");
            if let (Some((message, line)), Some(fields)) = (
                self.messages.iter_mut().find(|(m, _)| text(m, "id") == id),
                patch.as_object(),
            ) {
                for (key, field) in fields {
                    message[key] = field.clone();
                }
                *line = number;
            }
            return;
        }
        let id = text(&value, "id");
        if id.is_empty() {
            return;
        }
        if text(&value, "type") == "user" {
            self.named.extend(absolute_paths(&value));
        }
        match self.messages.iter_mut().find(|(m, _)| text(m, "id") == id) {
            Some(kept) => *kept = (value, number),
            None => self.messages.push((value, number)),
        }
    }

    /// The tool calls of the chat's messages, in the project's directory.
    fn calls(&self, file: &Path, projects: &mut Projects, into: &mut Transcripts) {
        let has_calls = self.messages.iter().any(|(m, _)| {
            m.get("toolCalls")
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty())
        });
        if !has_calls {
            return;
        }
        let named = || {
            self.named
                .iter()
                .find(|path| sha256_hex(path) == self.project_hash)
                .cloned()
        };
        let Some(cwd) = projects.directory(&self.project_hash).or_else(named) else {
            into.skipped.push(Skipped {
                file: file.display().to_string(),
                line: 0,
                why: format!(
                    "the chat names its project only by a hash of its directory ({}), and no directory under your home or above the current one has it: run replay from inside the project",
                    one_line(&self.project_hash, 16)
                ),
            });
            return;
        };
        for (message, line) in &self.messages {
            let at = timestamp(message);
            let place = Place {
                file,
                line: *line,
                at,
            };
            for call in message
                .get("toolCalls")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let name = text(call, "name");
                let id = text(call, "id");
                if name.is_empty() {
                    into.skipped
                        .push(place.skip("a tool call without a name".to_owned()));
                    continue;
                }
                if text(call, "status") == "error"
                    || gemini_exit_status(call).is_some_and(|c| c != 0)
                {
                    into.failed.insert((file.to_owned(), id.clone()));
                }
                if let Some(by) = self.rewound.get(&text(message, "id")) {
                    into.undone.insert(
                        (file.to_owned(), id.clone()),
                        format!("taken back by a rewind of the chat (line {by})"),
                    );
                }
                let args = call.get("args").cloned().unwrap_or(Value::Null);
                into.calls
                    .push(place.call(Agent::Gemini, (&self.session, &cwd), &name, args, id));
            }
        }
    }
}

/// Finds a Gemini CLI project's directory from the hash its chats name it by (the
/// SHA-256 of the directory's path): among the current directory and those above it,
/// and the directories under the home, four levels deep, at most 100,000 of them.
#[derive(Debug, Default)]
pub(crate) struct Projects {
    by_hash: Option<HashMap<String, String>>,
}

impl Projects {
    fn directory(&mut self, hash: &str) -> Option<String> {
        let index = self.by_hash.get_or_insert_with(|| {
            let mut index = HashMap::new();
            let mut add = |dir: &Path| {
                let path = dir.to_string_lossy().into_owned();
                index.insert(sha256_hex(&path), path);
            };
            if let Ok(here) = std::env::current_dir() {
                for dir in here.ancestors() {
                    add(dir);
                }
            }
            if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
                let mut budget = 100_000usize;
                let mut level = vec![PathBuf::from(home)];
                for _ in 0..=4 {
                    let mut next = Vec::new();
                    for dir in level {
                        if budget == 0 {
                            break;
                        }
                        budget -= 1;
                        add(&dir);
                        let Ok(entries) = std::fs::read_dir(&dir) else {
                            continue;
                        };
                        for entry in entries.flatten() {
                            let name = entry.file_name();
                            let skip = name.to_string_lossy().starts_with('.')
                                || matches!(name.to_str(), Some("node_modules" | "target"));
                            if !skip && entry.file_type().is_ok_and(|t| t.is_dir()) {
                                next.push(entry.path());
                            }
                        }
                    }
                    level = next;
                }
            }
            index
        });
        index.get(hash).cloned()
    }
}

/// The SHA-256 of a directory's path, as Gemini CLI names a project by it.
fn sha256_hex(path: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(path.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The absolute paths a message's text names: words that begin with `/`, without the
/// punctuation that may follow them.
fn absolute_paths(message: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    match message.get("content") {
        Some(Value::String(text)) => texts.push(text.as_str()),
        Some(Value::Array(parts)) => texts.extend(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str)),
        ),
        _ => {}
    }
    texts
        .into_iter()
        .flat_map(|text| text.split(|c: char| c.is_whitespace() || "\"'`()<>,;".contains(c)))
        .filter(|word| word.starts_with('/'))
        .map(|word| {
            let word = word.trim_end_matches(['.', ':', '!', '?']);
            if word.len() > 1 {
                word.trim_end_matches('/')
            } else {
                word
            }
        })
        .map(str::to_owned)
        .collect()
}

/// A shell call's exit status, from the text Gemini CLI gave the model (`Exit Code: N`,
/// after the output), when the call was a command and says one.
fn gemini_exit_status(call: &Value) -> Option<i64> {
    let output = call
        .get("result")?
        .as_array()?
        .iter()
        .find_map(|r| r.pointer("/functionResponse/response/output"))?
        .as_str()?;
    output
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("Exit Code: "))
        .and_then(|code| code.trim().parse().ok())
}

/// A command's exit status from the text Codex gave the model: JSON with
/// `metadata.exit_code`, or a header before `Output:` saying `Process exited with code
/// N` or `Exit code: N`.
fn codex_exit_status(output: &str) -> Option<i64> {
    if let Ok(value) = serde_json::from_str::<Value>(output) {
        return value.pointer("/metadata/exit_code").and_then(Value::as_i64);
    }
    output
        .lines()
        .take_while(|line| !line.starts_with("Output:"))
        .find_map(|line| {
            line.strip_prefix("Process exited with code ")
                .or_else(|| line.strip_prefix("Exit code: "))
        })
        .and_then(|code| code.trim().parse().ok())
}

/// Where a line is.
struct Place<'a> {
    file: &'a Path,
    line: usize,
    at: Option<i64>,
}

impl Place<'_> {
    fn skip(&self, why: String) -> Skipped {
        Skipped {
            file: self.file.display().to_string(),
            line: self.line,
            why,
        }
    }

    fn call(
        &self,
        agent: Agent,
        (session, cwd): (&str, &str),
        tool: &str,
        input: Value,
        id: String,
    ) -> Call {
        Call {
            agent,
            session: session.to_owned(),
            cwd: cwd.to_owned(),
            tool: tool.to_owned(),
            input,
            at: self.at,
            id,
            file: self.file.to_owned(),
            line: self.line,
        }
    }
}

/// A Claude Code line: an assistant's `tool_use` blocks are calls; a user's
/// `tool_result` blocks say which failed.
fn claude_code_line(value: &Value, kind: &str, place: &Place<'_>, into: &mut Transcripts) {
    let content = value
        .pointer("/message/content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    match kind {
        "assistant" => {
            let session = text(value, "sessionId");
            let cwd = text(value, "cwd");
            for block in content {
                if block.get("type").and_then(Value::as_str) != Some("tool_use") {
                    continue;
                }
                let (Some(tool), Some(input)) = (
                    block.get("name").and_then(Value::as_str),
                    block.get("input"),
                ) else {
                    into.skipped
                        .push(place.skip("a tool call without a name or an input".to_owned()));
                    continue;
                };
                if cwd.is_empty() {
                    into.skipped.push(place.skip(format!(
                        "the `{tool}` call's line says no working directory (`cwd`)"
                    )));
                    continue;
                }
                into.calls.push(place.call(
                    Agent::ClaudeCode,
                    (&session, &cwd),
                    tool,
                    input.clone(),
                    text(block, "id"),
                ));
            }
        }
        "user" => {
            for block in content {
                if block.get("type").and_then(Value::as_str) == Some("tool_result")
                    && block.get("is_error").and_then(Value::as_bool) == Some(true)
                {
                    into.failed
                        .insert((place.file.to_owned(), text(block, "tool_use_id")));
                }
            }
        }
        _ => {}
    }
}

/// A command given as its words, as a shell line: `bash -lc 'ls -la'`.
fn command_line(words: &[Value]) -> Option<String> {
    let words: Vec<&str> = words.iter().map(Value::as_str).collect::<Option<_>>()?;
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| {
                if !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
                {
                    (*w).to_owned()
                } else {
                    format!("'{}'", w.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// A Codex rollout line: the session and its directory (`session_meta`,
/// `turn_context`), calls (`function_call`, `local_shell_call`, `custom_tool_call`) as
/// the hook would name them, and outputs that say a call failed.
fn codex_line(
    value: &Value,
    kind: &str,
    place: &Place<'_>,
    rollout: &mut Rollout,
    into: &mut Transcripts,
) {
    let Some(payload) = value.get("payload") else {
        return;
    };
    match kind {
        "session_meta" => {
            rollout.session = text(payload, "id");
            rollout.cwd = text(payload, "cwd");
            return;
        }
        "turn_context" => {
            let cwd = text(payload, "cwd");
            if !cwd.is_empty() {
                rollout.cwd = cwd;
            }
            return;
        }
        "response_item" => {}
        _ => return,
    }
    let item = payload.get("type").and_then(Value::as_str).unwrap_or("");
    let id = text(payload, "call_id");
    // What the call was, as the hook names it: a tool and its input, and the
    // directory it ran in when the call says.
    let (tool, input, workdir) = match item {
        "function_call" => {
            let name = text(payload, "name");
            let raw = text(payload, "arguments");
            let arguments: Value = match serde_json::from_str(&raw) {
                Ok(arguments) => arguments,
                Err(e) => {
                    into.skipped.push(
                        place.skip(format!("the `{name}` call's arguments are not JSON ({e})")),
                    );
                    return;
                }
            };
            let workdir = text(&arguments, "workdir");
            let command = match arguments.get("command").or_else(|| arguments.get("cmd")) {
                Some(Value::Array(words)) => command_line(words),
                Some(Value::String(line)) => Some(line.clone()),
                _ => None,
            };
            match (name.as_str(), command) {
                ("shell" | "container.exec" | "shell_command" | "exec_command", Some(command)) => (
                    "shell".to_owned(),
                    serde_json::json!({ "command": command }),
                    workdir,
                ),
                ("apply_patch", _) => ("apply_patch".to_owned(), arguments, workdir),
                (_, _) => (name, arguments, workdir),
            }
        }
        "local_shell_call" => {
            let action = payload.get("action").cloned().unwrap_or(Value::Null);
            let Some(command) = action
                .get("command")
                .and_then(Value::as_array)
                .and_then(|words| command_line(words))
            else {
                into.skipped
                    .push(place.skip("a local shell call without its command".to_owned()));
                return;
            };
            (
                "shell".to_owned(),
                serde_json::json!({ "command": command }),
                text(&action, "working_directory"),
            )
        }
        "custom_tool_call" => (
            text(payload, "name"),
            serde_json::json!({ "input": text(payload, "input") }),
            String::new(),
        ),
        "function_call_output" | "local_shell_call_output" | "custom_tool_call_output" => {
            let output = text(payload, "output");
            if codex_exit_status(&output).is_some_and(|code| code != 0) {
                into.failed.insert((place.file.to_owned(), id));
            }
            return;
        }
        _ => return,
    };
    let cwd = if workdir.is_empty() {
        rollout.cwd.clone()
    } else {
        workdir
    };
    if cwd.is_empty() {
        into.skipped.push(place.skip(format!(
            "the `{tool}` call comes before the rollout says its working directory"
        )));
        return;
    }
    into.calls
        .push(place.call(Agent::Codex, (&rollout.session, &cwd), &tool, input, id));
}

/// When a transcript line or a chat message says it was written, from its `timestamp`.
fn timestamp(value: &Value) -> Option<i64> {
    value
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| crate::time::parse_datetime(t).ok())
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// One call, decided.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Replayed {
    pub session: String,
    pub tool: String,
    /// The action as holdpoint would have seen it: `shell: git status`.
    pub action: String,
    pub cwd: String,
    pub outcome: Outcome,
    pub risk: Risk,
    pub reasons: Vec<String>,
    /// The transcript shows the call failed when it ran.
    pub failed: bool,
    /// The transcript shows the call undone afterwards: how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undone: Option<String>,
    pub file: String,
    pub line: usize,
}

/// A call the policies given decide otherwise than those in force.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Changed {
    pub session: String,
    pub action: String,
    pub in_force: Outcome,
    pub in_force_risk: Risk,
    pub with: Outcome,
    pub with_risk: Risk,
    /// Why, under the policies given.
    pub reasons: Vec<String>,
    pub file: String,
    pub line: usize,
}

/// Counts of outcomes.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Counts {
    pub calls: usize,
    pub allowed: usize,
    pub asked: usize,
    pub refused: usize,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Allow => self.allowed += 1,
            Outcome::Ask => self.asked += 1,
            Outcome::Deny => self.refused += 1,
        }
    }
}

/// What a replay found.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub environment: String,
    pub total: Counts,
    /// By risk class (`read`, `workspace`, `change`, `destroy`).
    pub by_risk: BTreeMap<String, Counts>,
    pub sessions: BTreeMap<String, Counts>,
    /// Calls that would have waited for a human: what adopting holdpoint costs.
    pub approvals_needed: usize,
    /// Destroys that would have been held or refused: what it would have stopped.
    pub destroys_stopped: usize,
    /// Calls the transcripts show failed when they ran.
    pub failed_when_run: usize,
    /// Calls the transcripts show undone afterwards (an edit put back, a chat
    /// rewound).
    pub undone_afterwards: usize,
    /// Every call that would have been held or refused, in order.
    pub stopped: Vec<Replayed>,
    /// With `--policies`: the calls whose decision differs from the policies in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<Changed>>,
    pub lines_read: usize,
    pub skipped: Vec<Skipped>,
}

/// One call's action and decision (and, for a what-if, the decision of the policies in
/// force), or why it could not be made.
type Decided = Result<
    (
        holdpoint_core::Action,
        holdpoint_policy::Decision,
        Option<holdpoint_policy::Decision>,
    ),
    String,
>;

/// Decides one call as its hook would have had it decided on this machine.
fn decide_one(call: &Call, how: &How<'_>) -> Decided {
    let (surface, input, content, written) =
        crate::hook::tool_call(call.agent, &call.tool, &call.input, None)?;
    let request = Request {
        surface,
        input,
        cwd: call.cwd.clone(),
        workspace: None,
        agent: call.agent.name().to_owned(),
        session: Some(call.session.clone()),
        content,
        written,
        // The hook runs an allowed shell command inside the sandbox where it can:
        // project code run so is workspace work.
        confined: how.confinable && surface == holdpoint_core::Surface::Shell,
        home: None,
    };
    let (action, analysis) = action_for(&request, how.environment, how.home, Vec::new);
    let request = DecisionRequest {
        action: &action,
        analysis: &analysis,
        now: how.now,
        grants: &[],
        freezes: &[],
        destroy_quorum: how.destroy_quorum,
        // Transcripts hold the person's prompts, but a replay decides each call as a
        // hook without a turn's start would.
        instructed: false,
    };
    let decision = how.engine.decide(&request);
    let in_force = how.in_force.map(|engine| engine.decide(&request));
    Ok((action, decision, in_force))
}

/// What every call is decided with.
struct How<'a> {
    engine: &'a PolicyEngine,
    /// For a what-if: the policies in force, to compare with.
    in_force: Option<&'a PolicyEngine>,
    environment: holdpoint_core::Environment,
    destroy_quorum: u32,
    home: &'a Path,
    confinable: bool,
    now: i64,
}

/// Calls decided by one worker before it reports progress.
const CHUNK: usize = 256;

/// Decides every call as its hook would have had it decided, on every core, and adds
/// up what they would have cost and stopped.
pub(crate) fn decide_all(
    transcripts: &Transcripts,
    (engine, in_force): (&PolicyEngine, Option<&PolicyEngine>),
    environment: holdpoint_core::Environment,
    destroy_quorum: u32,
    holdpoint_home: &Path,
) -> Result<Report, Failure> {
    let how = How {
        engine,
        in_force,
        environment,
        destroy_quorum,
        home: holdpoint_home,
        confinable: crate::sandbox::available().is_ok(),
        now: local::now(),
    };
    let calls = &transcripts.calls;
    let progress = std::io::stderr().is_terminal() && calls.len() > 2_000;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut decided: Vec<Decided> = Vec::with_capacity(calls.len());
    for round in calls.chunks(CHUNK * threads) {
        let per_thread = round.len().div_ceil(threads);
        let answers: Vec<Vec<Decided>> = std::thread::scope(|scope| {
            let workers: Vec<_> = round
                .chunks(per_thread)
                .map(|part| {
                    let how = &how;
                    local::analysis_thread("holdpoint replay worker")
                        .spawn_scoped(scope, move || {
                            part.iter().map(|call| decide_one(call, how)).collect()
                        })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.ok().and_then(|w| w.join().ok()).unwrap_or_default())
                .collect()
        });
        let before = decided.len();
        decided.extend(answers.into_iter().flatten());
        if decided.len() - before != round.len() {
            return Err(Failure::internal(
                "a replay worker failed; nothing was reported",
            ));
        }
        if progress {
            eprint!(
                "\rholdpoint replay: {} of {} calls",
                decided.len(),
                calls.len()
            );
        }
    }
    if progress {
        eprintln!();
    }
    let mut report = Report {
        environment: environment.to_string(),
        total: Counts::default(),
        by_risk: BTreeMap::new(),
        sessions: BTreeMap::new(),
        approvals_needed: 0,
        destroys_stopped: 0,
        failed_when_run: 0,
        undone_afterwards: 0,
        stopped: Vec::new(),
        changed: in_force.map(|_| Vec::new()),
        lines_read: transcripts.lines,
        skipped: transcripts.skipped.clone(),
    };
    for (call, decided) in calls.iter().zip(decided) {
        let (action, decision, before) = match decided {
            Ok(decided) => decided,
            Err(why) => {
                report.skipped.push(Skipped {
                    file: call.file.display().to_string(),
                    line: call.line,
                    why,
                });
                continue;
            }
        };
        report.total.add(decision.outcome);
        let key = (call.file.clone(), call.id.clone());
        let failed = transcripts.failed.contains(&key);
        let undone = transcripts.undone.get(&key).cloned();
        report.failed_when_run += usize::from(failed);
        report.undone_afterwards += usize::from(undone.is_some());
        report
            .by_risk
            .entry(decision.risk.to_string())
            .or_default()
            .add(decision.outcome);
        report
            .sessions
            .entry(call.session.clone())
            .or_default()
            .add(decision.outcome);
        let shown = format!("{}: {}", action.surface, one_line(&action.input, 200));
        if let (Some(changed), Some(before)) = (report.changed.as_mut(), before)
            && (before.outcome, before.risk) != (decision.outcome, decision.risk)
        {
            changed.push(Changed {
                session: call.session.clone(),
                action: shown.clone(),
                in_force: before.outcome,
                in_force_risk: before.risk,
                with: decision.outcome,
                with_risk: decision.risk,
                reasons: decision.reasons.clone(),
                file: call.file.display().to_string(),
                line: call.line,
            });
        }
        if decision.outcome == Outcome::Allow {
            continue;
        }
        if decision.outcome == Outcome::Ask {
            report.approvals_needed += 1;
        }
        if decision.risk == Risk::Destroy {
            report.destroys_stopped += 1;
        }
        report.stopped.push(Replayed {
            session: call.session.clone(),
            tool: call.tool.clone(),
            action: shown,
            cwd: call.cwd.clone(),
            outcome: decision.outcome,
            risk: decision.risk,
            reasons: decision.reasons,
            failed,
            undone,
            file: call.file.display().to_string(),
            line: call.line,
        });
    }
    Ok(report)
}

/// The transcript files under `path`: the file itself, or every `.jsonl` below a
/// directory, in name order.
fn transcript_files(path: &Path, into: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))?;
    if meta.is_file() {
        into.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Failure::usage(format!("cannot list `{}`: {e}", path.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            transcript_files(&entry, into)?;
        } else if entry.extension().is_some_and(|e| e == "jsonl")
            || (entry.extension().is_some_and(|e| e == "json")
                && path.file_name().is_some_and(|d| d == "chats"))
        {
            into.push(entry);
        }
    }
    Ok(())
}

pub(crate) fn run(args: &ReplayArgs) -> Result<u8, Failure> {
    let home = Home::locate();
    let config = home.load_config()?;
    let environment = crate::home::environment(args.env.as_deref(), &config)?;
    let engine = local::policy_engine(args.policies.as_deref())?;
    // A what-if: the policies given against those in force.
    let in_force = args
        .policies
        .as_ref()
        .map(|_| local::policy_engine(None))
        .transpose()?;
    let since = args
        .since
        .as_deref()
        .map(|text| {
            humantime::parse_duration(text)
                .map(|d| local::now() - i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .map_err(|e| {
                    Failure::usage(format!(
                        "--since `{text}` is not a duration ({e}); write e.g. 30d or 12h"
                    ))
                })
        })
        .transpose()?;
    let roots = if args.paths.is_empty() {
        let user_home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
        let own: Vec<PathBuf> = [
            (ReplayAgent::ClaudeCode, ".claude/projects"),
            (ReplayAgent::Codex, ".codex/sessions"),
            (ReplayAgent::Gemini, ".gemini/tmp"),
        ]
        .into_iter()
        .filter(|(agent, _)| args.agent.is_none_or(|a| a == *agent))
        .map(|(_, dir)| user_home.join(dir))
        .collect();
        let found: Vec<PathBuf> = own.iter().filter(|d| d.is_dir()).cloned().collect();
        if found.is_empty() {
            return Err(Failure::usage(format!(
                "no transcripts at {}: name transcript files or directories, e.g. `holdpoint replay ~/somewhere/*.jsonl`",
                own.iter()
                    .map(|d| format!("`{}`", d.display()))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        found
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        transcript_files(root, &mut files)?;
    }
    let mut transcripts = Transcripts::default();
    let mut projects = Projects::default();
    for file in &files {
        let opened = std::fs::File::open(file)
            .map_err(|e| format!("cannot open {}: {e}", file.display()))
            .and_then(|f| {
                if file.extension().is_some_and(|e| e == "json") {
                    read_chat(file, f, &mut projects, &mut transcripts)
                } else {
                    read_transcript(file, BufReader::new(f), &mut projects, &mut transcripts)
                }
            });
        if let Err(why) = opened {
            transcripts.skipped.push(Skipped {
                file: file.display().to_string(),
                line: 0,
                why,
            });
        }
    }
    transcripts.drop_copies();
    transcripts.find_edits_put_back();
    if let Some(since) = since {
        transcripts
            .calls
            .retain(|call| call.at.is_none_or(|at| at >= since));
    }
    let report = decide_all(
        &transcripts,
        (&engine, in_force.as_ref()),
        environment,
        config.destroy_quorum,
        &home.dir,
    )?;
    match args.format {
        Format::Json => crate::approvals::print_json(&report)?,
        Format::Text => print_text(&report, files.len())?,
        Format::Html => {
            let page = html(&report, files.len());
            // The reader going away (`| head`) is no failure.
            let _ = std::io::stdout().lock().write_all(page.as_bytes());
        }
    }
    Ok(exit::ALLOW)
}

/// An outcome as the report names it.
/// What the transcripts show became of the calls after they ran, when anything:
/// `2 calls failed when they ran and 1 call was undone afterwards`.
fn aftermath(report: &Report) -> Option<String> {
    let failed = (report.failed_when_run > 0).then(|| {
        format!(
            "{} failed when {} ran",
            crate::log_cmd::counted(report.failed_when_run, "call"),
            if report.failed_when_run == 1 {
                "it"
            } else {
                "they"
            }
        )
    });
    let undone = (report.undone_afterwards > 0).then(|| {
        format!(
            "{} {} undone afterwards",
            crate::log_cmd::counted(report.undone_afterwards, "call"),
            if report.undone_afterwards == 1 {
                "was"
            } else {
                "were"
            }
        )
    });
    match (failed, undone) {
        (Some(failed), Some(undone)) => Some(format!("{failed} and {undone}")),
        (one, other) => one.or(other),
    }
}

fn verdict(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ask => "HELD",
        Outcome::Deny => "REFUSED",
        Outcome::Allow => "ALLOWED",
    }
}

fn print_text(report: &Report, files: usize) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut lines = Vec::new();
    let t = &report.total;
    lines.push(format!(
        "{} in {} from {}, decided in {}: {} allowed, {} held for a human, {} refused",
        crate::log_cmd::counted(t.calls, "tool call"),
        crate::log_cmd::counted(report.sessions.len(), "session"),
        crate::log_cmd::counted(files, "file"),
        report.environment,
        t.allowed,
        t.asked,
        t.refused
    ));
    lines.push(format!(
        "cost: {} a human would have approved; value: {} it would have stopped",
        crate::log_cmd::counted(report.approvals_needed, "call"),
        crate::log_cmd::counted(report.destroys_stopped, "destroy"),
    ));
    if let Some(aftermath) = aftermath(report) {
        lines.push(format!("the transcripts show {aftermath}"));
    }
    lines.push(String::new());
    lines.push(format!(
        "{:<10} {:>7} {:>8} {:>6} {:>8}",
        "RISK", "CALLS", "ALLOWED", "HELD", "REFUSED"
    ));
    for (risk, c) in &report.by_risk {
        lines.push(format!(
            "{risk:<10} {:>7} {:>8} {:>6} {:>8}",
            c.calls, c.allowed, c.asked, c.refused
        ));
    }
    if !report.stopped.is_empty() {
        lines.push(String::new());
        lines.push("held or refused, in order:".to_owned());
    }
    for s in &report.stopped {
        lines.push(format!(
            "  {:<8} [{}] {}{}",
            verdict(s.outcome),
            s.risk,
            s.action,
            match (&s.undone, s.failed) {
                (Some(how), _) => format!("  (undone afterwards: {how})"),
                (None, true) => "  (it failed when it ran)".to_owned(),
                (None, false) => String::new(),
            }
        ));
        lines.push(format!(
            "           session {} ({}:{}) in {}",
            s.session, s.file, s.line, s.cwd
        ));
        for reason in &s.reasons {
            lines.push(format!("           {}", one_line(reason, 200)));
        }
    }
    if let Some(changed) = &report.changed {
        lines.push(String::new());
        lines.push(format!(
            "decided otherwise than by the policies in force: {}",
            crate::log_cmd::counted(changed.len(), "call")
        ));
        for c in changed {
            lines.push(format!(
                "  {:<8} [{}] -> {:<8} [{}]  {}",
                verdict(c.in_force),
                c.in_force_risk,
                verdict(c.with),
                c.with_risk,
                c.action
            ));
            lines.push(format!(
                "           session {} ({}:{})",
                c.session, c.file, c.line
            ));
        }
    }
    if !report.skipped.is_empty() {
        lines.push(String::new());
        lines.push(format!(
            "skipped (lines and files that could not be read): {}",
            report.skipped.len()
        ));
        let mut by_file: HashMap<&str, usize> = HashMap::new();
        for s in &report.skipped {
            let seen = by_file.entry(s.file.as_str()).or_default();
            *seen += 1;
            if *seen <= 5 {
                if s.line == 0 {
                    lines.push(format!("  {}: {}", s.file, s.why));
                } else {
                    lines.push(format!("  {}:{}: {}", s.file, s.line, s.why));
                }
            }
        }
    }
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            // The reader went away (`| head`): nothing more to say.
            return Ok(());
        }
    }
    Ok(())
}

/// The report as one self-contained page: its style inline, no script, nothing fetched
/// (its content security policy forbids it).
fn html(report: &Report, files: usize) -> String {
    use crate::serve::html::{e, rich};
    use std::fmt::Write as _;
    let t = &report.total;
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>holdpoint replay</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1d2433; overflow-wrap: anywhere; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
.totals {{ display: flex; flex-wrap: wrap; gap: .75rem; }}
.totals div {{ border: 1px solid #d5dae3; border-radius: 8px; padding: .5rem .9rem; min-width: 7rem; }}
.totals b {{ display: block; font-size: 1.5rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e4e7ee; vertical-align: top; }}
code {{ font: 13px/1.4 ui-monospace, monospace; overflow-wrap: anywhere; white-space: pre-wrap; }}
.ask {{ color: #8a5a00; font-weight: 600; }} .deny {{ color: #a3161c; font-weight: 600; }}
.verdict {{ white-space: nowrap; overflow-wrap: normal; }}
.muted {{ color: #5b6477; font-size: .9rem; }}
@media (max-width: 640px) {{
  thead {{ display: none; }} tr {{ display: block; border-bottom: 1px solid #d5dae3; padding: .4rem 0; }}
  td {{ display: block; border: 0; padding: .1rem 0; }}
}}
</style></head><body>
<h1>holdpoint replay</h1>
<p>{calls} in {sessions} from {files}, decided in <b>{env}</b>, as if holdpoint had been installed. Nothing ran and nothing was recorded.</p>
<div class="totals"><div><b>{allowed}</b>allowed</div><div><b>{asked}</b>held for a human</div><div><b>{refused}</b>refused</div><div><b>{cost}</b>approvals it would have cost</div><div><b>{value}</b>destroys it would have stopped</div></div>
{aftermath}<h2>By risk</h2>
<table><thead><tr><th>Risk</th><th>Calls</th><th>Allowed</th><th>Held</th><th>Refused</th></tr></thead><tbody>"#,
        calls = crate::log_cmd::counted(t.calls, "tool call"),
        sessions = crate::log_cmd::counted(report.sessions.len(), "session"),
        files = crate::log_cmd::counted(files, "file"),
        env = e(&report.environment),
        allowed = t.allowed,
        asked = t.asked,
        refused = t.refused,
        cost = report.approvals_needed,
        value = report.destroys_stopped,
        aftermath = aftermath(report)
            .map(|a| format!("<p class=\"muted\">The transcripts show {}.</p>\n", e(&a)))
            .unwrap_or_default(),
    );
    for (risk, c) in &report.by_risk {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(risk),
            c.calls,
            c.allowed,
            c.asked,
            c.refused
        );
    }
    page.push_str("</tbody></table>\n<h2>Held or refused, in order</h2>\n");
    if report.stopped.is_empty() {
        page.push_str("<p class=\"muted\">Nothing: every call would have run.</p>\n");
    } else {
        page.push_str("<table id=\"stopped\"><thead><tr><th class=\"verdict\">Decision</th><th>Action</th><th>Why</th><th>Where</th></tr></thead><tbody>");
        for s in &report.stopped {
            let class = if s.outcome == Outcome::Deny {
                "deny"
            } else {
                "ask"
            };
            let _ = write!(
                page,
                r#"<tr><td class="verdict {class}">{verdict}<br>{risk}{failed}</td><td><code>{action}</code></td><td>{reasons}</td><td class="muted">session {session}<br>{file}:{line}<br>in {cwd}</td></tr>"#,
                verdict = verdict(s.outcome),
                risk = s.risk,
                failed = match (&s.undone, s.failed) {
                    (Some(how), _) => format!(
                        "<br><span class=\"muted\">undone afterwards: {}</span>",
                        e(how)
                    ),
                    (None, true) =>
                        "<br><span class=\"muted\">failed<br>when it ran</span>".to_owned(),
                    (None, false) => String::new(),
                },
                action = e(&s.action),
                reasons = s
                    .reasons
                    .iter()
                    .map(|r| rich(r))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                session = e(&s.session),
                file = e(&s.file),
                line = s.line,
                cwd = e(&s.cwd),
            );
        }
        page.push_str("</tbody></table>\n");
    }
    if let Some(changed) = &report.changed {
        let _ = write!(
            page,
            "<h2>Decided otherwise than by the policies in force ({})</h2>\n<table id=\"changed\"><thead><tr><th>In force</th><th>With these policies</th><th>Action</th></tr></thead><tbody>",
            changed.len()
        );
        for c in changed {
            let _ = write!(
                page,
                "<tr><td>{} [{}]</td><td>{} [{}]</td><td><code>{}</code></td></tr>",
                verdict(c.in_force),
                c.in_force_risk,
                verdict(c.with),
                c.with_risk,
                e(&c.action)
            );
        }
        page.push_str("</tbody></table>\n");
    }
    let _ = write!(
        page,
        "<h2>Sessions</h2>\n<table><thead><tr><th>Session</th><th>Calls</th><th>Allowed</th><th>Held</th><th>Refused</th></tr></thead><tbody>"
    );
    for (session, c) in &report.sessions {
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(session),
            c.calls,
            c.allowed,
            c.asked,
            c.refused
        );
    }
    page.push_str("</tbody></table>\n");
    if !report.skipped.is_empty() {
        let _ = write!(
            page,
            "<h2>Could not be read ({})</h2>\n<ul class=\"muted\">",
            report.skipped.len()
        );
        for s in &report.skipped {
            let _ = write!(page, "<li>{}:{}: {}</li>", e(&s.file), s.line, e(&s.why));
        }
        page.push_str("</ul>\n");
    }
    page.push_str(&format!(
        "<p class=\"muted\">{} lines read.</p>\n</body></html>\n",
        report.lines_read
    ));
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a session the agent itself recorded (tests/data/replay/recorded).
    fn recorded(name: &str) -> Transcripts {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/replay/recorded")
            .join(name);
        let file = std::fs::File::open(&path).unwrap();
        let mut read = Transcripts::default();
        read_transcript(
            &path,
            BufReader::new(file),
            &mut Projects::default(),
            &mut read,
        )
        .unwrap();
        assert!(read.skipped.is_empty(), "{name}: {:?}", read.skipped);
        read
    }

    /// Each call as (tool, its command or input, directory, line), and the lines of
    /// those that failed.
    /// A call as a test compares it: tool, command or input, directory, line.
    type Listed = (String, String, String, usize);

    fn listed(read: &Transcripts) -> (Vec<Listed>, Vec<usize>) {
        let calls = read
            .calls
            .iter()
            .map(|c| {
                let what = c
                    .input
                    .get("command")
                    .or_else(|| c.input.get("input"))
                    .and_then(Value::as_str)
                    .map_or_else(
                        || c.input.to_string(),
                        |t| t.lines().take(2).collect::<Vec<_>>().join(" | "),
                    );
                (c.tool.clone(), what, c.cwd.clone(), c.line)
            })
            .collect();
        let mut failed: Vec<usize> = read
            .calls
            .iter()
            .filter(|c| read.failed.contains(&(c.file.clone(), c.id.clone())))
            .map(|c| c.line)
            .collect();
        failed.sort_unstable();
        (calls, failed)
    }

    fn owned(calls: &[(&str, &str, &str, usize)]) -> Vec<Listed> {
        calls
            .iter()
            .map(|(t, w, c, l)| ((*t).to_owned(), (*w).to_owned(), (*c).to_owned(), *l))
            .collect()
    }

    #[test]
    fn sessions_each_agent_recorded_are_read_call_by_call_with_their_directory_and_failures() {
        let claude = "/Users/ingo/projects/irrlicht/.claude/worktrees/268/.build/refresh/claudecode/self-correction-iteration-20260517T221630/cwd";
        let (calls, failed) = listed(&recorded("claude-code-self-correction.jsonl"));
        assert_eq!(
            calls,
            owned(&[
                ("Bash", "false", claude, 9),
                ("Bash", "echo recovered", claude, 11)
            ])
        );
        assert_eq!(failed, [9], "its tool_result says is_error");

        // Codex: the directory from the session (no workdir), a failure said only in
        // the output's text.
        let codex = "/Users/ingo/projects/irrlicht/.claude/worktrees/442/.build/refresh/codex/self-correction-iteration-20260523T205606/cwd";
        let (calls, failed) = listed(&recorded("codex-self-correction.jsonl"));
        assert_eq!(
            calls,
            owned(&[
                ("shell", "cat /nonexistent_file_xyz.txt", codex, 9),
                ("shell", "ls", codex, 12)
            ])
        );
        assert_eq!(failed, [9], "Process exited with code 1");
        let codex = "/Users/ingo/projects/irrlicht/.build/refresh/codex/5-4_architect-editor-pair-20260530T231044/cwd";
        let (calls, failed) = listed(&recorded("codex-architect-editor.jsonl"));
        assert_eq!(
            calls,
            owned(&[
                (
                    "apply_patch",
                    "*** Begin Patch | *** Add File: calc.py",
                    codex,
                    20
                ),
                ("shell", "ls", codex, 28)
            ])
        );
        assert!(failed.is_empty(), "{failed:?}");

        // Gemini CLI: the project's directory from the chat's first message, whose hash
        // the chat is named by; each call once, though its message is written twice; a
        // failure said only by the exit code in the output it gave the model.
        let gemini = "/Users/ingo/projects/irrlicht/.claude/worktrees/gemini-cli-onboard/.build/refresh/gemini-cli/2-4_self-correction-iteration-20260611T210816/cwd";
        let (calls, failed) = listed(&recorded("gemini-self-correction.jsonl"));
        assert_eq!(
            calls,
            owned(&[
                ("run_shell_command", "false", gemini, 7),
                ("run_shell_command", "echo recovered", gemini, 12)
            ])
        );
        assert_eq!(failed, [7]);
        // A real rewind took back a prompt that made no call: the four reads after it
        // are all there, none of them undone.
        let read = recorded("gemini-checkpoint-rewind.jsonl");
        let tools: Vec<(&str, usize)> = read
            .calls
            .iter()
            .map(|c| (c.tool.as_str(), c.line))
            .collect();
        assert_eq!(
            tools,
            [
                ("list_directory", 17),
                ("list_directory", 22),
                ("glob", 27),
                ("read_file", 32)
            ]
        );
        assert!(read.undone.is_empty(), "{:?}", read.undone);
        assert!(
            read.calls
                .iter()
                .all(|c| c.cwd.ends_with("1-6_checkpoint-rewind-20260612T105513/cwd"))
        );
    }

    #[test]
    fn a_forked_session_that_writes_its_history_again_counts_each_call_once() {
        let meta = |id: &str, from: Option<&str>| {
            let from = from.map_or(String::new(), |f| format!(r#","forked_from_id":"{f}""#));
            format!(
                r#"{{"timestamp":"2026-12-01T10:00:00Z","type":"session_meta","payload":{{"id":"{id}"{from},"cwd":"/srv/app"}}}}"#
            ) + "\n"
        };
        let call = |id: &str, cmd: &str| {
            format!(
                r#"{{"timestamp":"2026-12-01T10:00:01Z","type":"response_item","payload":{{"type":"function_call","name":"exec_command","arguments":"{{\"cmd\":\"{cmd}\"}}","call_id":"{id}"}}}}"#
            ) + "\n"
        };
        // The parent's rollout, then the fork's: the parent's history again (its
        // session_meta and its call), then the fork's own call.
        let parent = [meta("p", None), call("call_1", "rm -rf build")].concat();
        let fork = [
            meta("f", Some("p")),
            meta("p", None),
            call("call_1", "rm -rf build"),
            call("call_2", "ls"),
        ]
        .concat();
        let mut read = Transcripts::default();
        for (name, text) in [("parent.jsonl", &parent), ("fork.jsonl", &fork)] {
            read_transcript(
                Path::new(name),
                text.as_bytes(),
                &mut Projects::default(),
                &mut read,
            )
            .unwrap();
        }
        assert_eq!(read.calls.len(), 3);
        read.drop_copies();
        let calls: Vec<(&str, &str)> = read
            .calls
            .iter()
            .map(|c| (c.id.as_str(), c.input["command"].as_str().unwrap()))
            .collect();
        assert_eq!(calls, [("call_1", "rm -rf build"), ("call_2", "ls")]);
        assert_eq!(read.calls[0].file, Path::new("parent.jsonl"));
    }

    #[test]
    fn calls_a_rewind_takes_back_and_edits_put_back_later_are_undone_afterwards() {
        // Gemini CLI: a rewind to a message takes back it and every message after it.
        let chat = concat!(
            r#"{"sessionId":"g","projectHash":"PROJECT","startTime":"2026-12-01T09:00:00Z","kind":"main"}"#,
            "\n",
            r#"{"id":"u1","type":"user","content":[{"text":"I work in /srv/app."}]}"#,
            "\n",
            r#"{"id":"g1","type":"gemini","content":"","toolCalls":[{"id":"c1","name":"run_shell_command","args":{"command":"ls"},"status":"success"}]}"#,
            "\n",
            r#"{"id":"u2","type":"user","content":[{"text":"now clean up"}]}"#,
            "\n",
            r#"{"id":"g2","type":"gemini","content":"","toolCalls":[{"id":"c2","name":"run_shell_command","args":{"command":"rm -rf build"},"status":"success","result":[{"functionResponse":{"response":{"output":"Output: (empty)\nExit Code: 0"}}}]}]}"#,
            "\n",
            r#"{"$rewindTo":"u2"}"#,
            "\n",
            r#"{"id":"u3","type":"user","content":[{"text":"just list it"}]}"#,
            "\n",
            r#"{"id":"g3","type":"gemini","content":"","toolCalls":[{"id":"c3","name":"run_shell_command","args":{"command":"ls build"},"status":"success"}]}"#,
            "\n",
        )
        .replace("PROJECT", &sha256_hex("/srv/app"));
        let mut read = Transcripts::default();
        read_transcript(
            Path::new("chat.jsonl"),
            chat.as_bytes(),
            &mut Projects::default(),
            &mut read,
        )
        .unwrap();
        let calls: Vec<(&str, &str)> = read
            .calls
            .iter()
            .map(|c| (c.id.as_str(), c.cwd.as_str()))
            .collect();
        assert_eq!(
            calls,
            [("c1", "/srv/app"), ("c2", "/srv/app"), ("c3", "/srv/app")]
        );
        let undone: Vec<(&str, &str)> = read
            .undone
            .iter()
            .map(|((_, id), how)| (id.as_str(), how.as_str()))
            .collect();
        assert_eq!(
            undone,
            [("c2", "taken back by a rewind of the chat (line 6)")]
        );
        assert!(read.failed.is_empty());

        // Claude Code: an edit a later edit of the same file puts back.
        let line = |id: &str, input: &str| {
            format!(
                r#"{{"sessionId":"s","cwd":"/srv/app","type":"assistant","message":{{"content":[{{"type":"tool_use","id":"{id}","name":"Edit","input":{input}}}]}}}}"#
            ) + "\n"
        };
        let transcript = [
            line(
                "e1",
                r#"{"file_path":"/srv/app/a.py","old_string":"x = 1","new_string":"x = 2"}"#,
            ),
            line(
                "e2",
                r#"{"file_path":"b.py","old_string":"y","new_string":"z"}"#,
            ),
            line(
                "e3",
                r#"{"file_path":"a.py","old_string":"x = 2","new_string":"x = 1"}"#,
            ),
            line(
                "e4",
                r#"{"file_path":"/srv/app/b.py","old_string":"y","new_string":"z"}"#,
            ),
        ]
        .concat();
        let mut read = Transcripts::default();
        read_transcript(
            Path::new("edits.jsonl"),
            transcript.as_bytes(),
            &mut Projects::default(),
            &mut read,
        )
        .unwrap();
        read.find_edits_put_back();
        let undone: Vec<(&str, &str)> = read
            .undone
            .iter()
            .map(|((_, id), how)| (id.as_str(), how.as_str()))
            .collect();
        assert_eq!(undone, [("e1", "put back by a later edit (edits.jsonl:3)")]);
    }

    #[test]
    fn tool_calls_are_read_in_order_with_their_directory_and_bad_lines_are_named() {
        let transcript = concat!(
            r#"{"type":"summary","summary":"Clean up","leafUuid":"u0"}"#,
            "\n",
            r#"{"parentUuid":null,"sessionId":"s1","cwd":"/home/dev/app","type":"user","message":{"role":"user","content":"clean up"},"uuid":"u1","timestamp":"2026-12-01T10:00:00.000Z"}"#,
            "\n",
            r#"{"parentUuid":"u1","sessionId":"s1","cwd":"/home/dev/app","type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}},{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"rm -rf /srv/data"}}]},"uuid":"u2","timestamp":"2026-12-01T10:00:01.000Z"}"#,
            "\n",
            "{\"truncated\n",
            r#"{"parentUuid":"u2","sessionId":"s1","cwd":"/home/dev/app","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t2","content":"permission denied","is_error":true}]},"uuid":"u3"}"#,
            "\n",
        );
        let mut read = Transcripts::default();
        read_transcript(
            Path::new("s1.jsonl"),
            transcript.as_bytes(),
            &mut Projects::default(),
            &mut read,
        )
        .unwrap();
        let commands: Vec<(&str, &str, usize)> = read
            .calls
            .iter()
            .map(|c| (c.input["command"].as_str().unwrap(), c.cwd.as_str(), c.line))
            .collect();
        assert_eq!(
            commands,
            [
                ("ls", "/home/dev/app", 3),
                ("rm -rf /srv/data", "/home/dev/app", 3)
            ]
        );
        assert!(
            read.failed
                .contains(&(PathBuf::from("s1.jsonl"), "t2".to_owned()))
        );
        assert_eq!(read.skipped.len(), 1);
        assert_eq!(read.skipped[0].line, 4);
    }

    #[test]
    fn a_file_that_is_not_a_transcript_is_named() {
        let other = "{\"a\":1}\n{\"b\":2}\n";
        let mut read = Transcripts::default();
        let error = read_transcript(
            Path::new("x.jsonl"),
            other.as_bytes(),
            &mut Projects::default(),
            &mut read,
        )
        .unwrap_err();
        assert!(
            error.contains("is not a transcript holdpoint reads"),
            "{error}"
        );
    }
}
