//! An agent's turn as its hooks mark it: its start (Claude Code's and Codex's
//! `UserPromptSubmit`, Gemini CLI's `BeforeAgent`, Cursor's `beforeSubmitPrompt`) and
//! its end (Claude Code's `Stop` and `SubagentStop`, Codex's `Stop`, Gemini CLI's
//! `AfterAgent`, Cursor's `stop`).
//!
//! Its start: the person's instruction is recorded in the ledger
//! under the session (`instructed`), its text with what looks like a secret replaced by
//! `[redacted]`, or only its hash (`instructions = "hash"`), so that an approver sees
//! what was asked beside what the agent wants to do.
//!
//! Its end: holdpoint's own account of what the turn did,
//! built from the ledger and never from the agent, put in front of the person before the
//! agent's summary.
//!
//! The account lists what was refused, what is still held and how to approve it, what
//! failed, what changed or destroyed something, and the recovery points kept with the
//! command that restores each. Nothing is shown when nothing of that happened. Where an
//! action was refused or a destroy ran, the account is also given to the agent, by
//! blocking its stop once with the account as the reason, so that the summary it then
//! writes cannot contradict it; a stop that already follows such a block
//! (`stop_hook_active`) is never blocked again. An account that cannot be built is
//! shown as such and never blocks.

use holdpoint_ledger::{Actors, Entry, Kind};
use holdpoint_store::Store as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::enforcer::Remote;
use crate::home::{Home, KeepInstructions, now_ms, os_user};
use crate::hook::{Agent, session_of};
use crate::report::{self, Item};
use crate::shown::one_line;

/// The most actions of each kind the account names; the rest are counted.
const NAMED: usize = 8;

/// How the account begins.
const HEADING: &str = "holdpoint's account of this turn, from its ledger (not from the agent):";

/// A turn's start or end.
pub(crate) enum Event {
    Start,
    End,
}

/// Whether a hook event of `agent`'s starts or ends a turn.
pub(crate) fn event(agent: Agent, name: Option<&str>) -> Option<Event> {
    match (agent, name?) {
        (Agent::ClaudeCode | Agent::Codex, "UserPromptSubmit")
        | (Agent::Gemini, "BeforeAgent")
        | (Agent::Cursor, "beforeSubmitPrompt") => Some(Event::Start),
        (Agent::ClaudeCode, "Stop" | "SubagentStop")
        | (Agent::Codex, "Stop")
        | (Agent::Gemini, "AfterAgent")
        | (Agent::Cursor, "stop") => Some(Event::End),
        _ => None,
    }
}

/// The answer to a turn's end: `None` when the turn did nothing worth an account.
/// Claude Code, Codex and Gemini CLI show the person `systemMessage`, and hold the stop
/// once with `decision: "block"` and the account as the `reason` (Gemini CLI sends the
/// reason back as the next prompt), never when the stop already follows one
/// (`stop_hook_active`). Cursor shows its hooks' messages to no one at a turn's end: it
/// is given the account only where the agent is to be told, as a `followup_message`
/// (sent as the next prompt), and only on the first stop of a run (`loop_count` 0).
pub(crate) fn answer(agent: Agent, input: &Value) -> Option<Value> {
    let active = if agent == Agent::Cursor {
        input
            .get("loop_count")
            .and_then(Value::as_u64)
            .is_some_and(|n| n > 0)
    } else {
        input
            .get("stop_hook_active")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let account = match session_of(agent, input) {
        Some(session) => account(session),
        None => Err("the hook input names no session".to_owned()),
    };
    let told = |account: &Account| {
        format!(
            "{}\nBefore you stop, tell the person what holdpoint recorded above, in your own words and without contradicting it.",
            account.text
        )
    };
    match (agent, account) {
        (_, Ok(None)) => None,
        (Agent::Cursor, Ok(Some(account))) if account.tells_the_agent && !active => {
            Some(json!({ "followup_message": told(&account) }))
        }
        (Agent::Cursor, Err(message)) => {
            // Cursor shows a stop hook's output to no one: its log has it.
            eprintln!("holdpoint could not give its account of this turn: {message}");
            None
        }
        (Agent::Cursor, _) => None,
        (_, Ok(Some(account))) if account.tells_the_agent && !active => Some(json!({
            "decision": "block",
            "reason": told(&account),
            "systemMessage": account.text,
        })),
        (_, Ok(Some(account))) => Some(json!({ "systemMessage": account.text })),
        (_, Err(message)) => Some(json!({
            "systemMessage": format!("holdpoint could not give its account of this turn: {message}"),
        })),
    }
}

/// The answer to a turn's start: nothing (whatever Claude Code's, Codex's or Gemini
/// CLI's hook prints here is added to the agent's context; Cursor is told to go on), or
/// a note to the person when the instruction could not be recorded. A prompt is never
/// refused for that: it is not an action.
pub(crate) fn instructed(agent: Agent, input: &Value) -> Option<Value> {
    match (agent, record_instruction(agent, input)) {
        (Agent::Cursor, _) => Some(json!({ "continue": true })),
        (_, Ok(())) => None,
        (_, Err(message)) => Some(json!({
            "systemMessage": format!("holdpoint could not record this instruction: {message}"),
        })),
    }
}

fn record_instruction(agent: Agent, input: &Value) -> Result<(), String> {
    let prompt = input
        .get("prompt")
        .and_then(Value::as_str)
        .ok_or("the hook input has no `prompt`")?;
    // Gemini CLI sends a held stop's reason back as the next prompt: that is
    // holdpoint's own account, not the person's instruction.
    if prompt.starts_with(HEADING) {
        return Ok(());
    }
    let session = session_of(agent, input).ok_or("the hook input names no session")?;
    let prompt_id = prompt_id_of(agent, input);
    let agent = agent.name();
    let home = Home::locate();
    let config = home.load_config().map_err(|f| f.message)?;
    if let Some(url) = config.server.url.clone() {
        // The ledger is the server's: it records the instruction under the agent its
        // credential names, kept as its own configuration says.
        return Remote::open(config, url)
            .and_then(|server| server.instructed(session, prompt, prompt_id))
            .map_err(|f| f.message);
    }
    let entry = instruction(
        agent,
        session,
        prompt,
        prompt_id,
        config.instructions,
        os_user(),
    );
    let store = home.open_store().map_err(|f| f.message)?;
    store
        .append(&[entry], now_ms())
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The agent's own id of the prompt a turn starts with, where its hook input gives
/// one: Claude Code's `prompt_id`, Codex's `turn_id`, Cursor's `generation_id`.
fn prompt_id_of(agent: Agent, input: &Value) -> Option<&str> {
    let key = match agent {
        Agent::ClaudeCode => "prompt_id",
        Agent::Codex => "turn_id",
        Agent::Cursor => "generation_id",
        Agent::Gemini => return None,
    };
    input
        .get(key)
        .and_then(Value::as_str)
        .filter(|id| is_name(id, MOST_PROMPT_ID))
}

/// The longest prompt id kept; a longer one is not an id.
pub(crate) const MOST_PROMPT_ID: usize = 256;

/// Whether `text` can name a session or a prompt: 1 to `most` bytes, no control
/// characters.
pub(crate) fn is_name(text: &str, most: usize) -> bool {
    !text.is_empty() && text.len() <= most && !text.chars().any(char::is_control)
}

/// The `instructed` record of `prompt`, given to `agent` in `session` (the agent's
/// `prompt_id` for it, if any): its text with what looks like a secret redacted, or
/// only its hash, as `keep` says.
pub(crate) fn instruction(
    agent: &str,
    session: &str,
    prompt: &str,
    prompt_id: Option<&str>,
    keep: KeepInstructions,
    os_user: Option<String>,
) -> Entry {
    let (text, redacted) = match keep {
        KeepInstructions::Text => {
            let (text, redacted) = redact(prompt);
            (Some(text), redacted)
        }
        KeepInstructions::Hash => (None, 0),
    };
    let body = holdpoint_store::Instructed {
        text,
        sha256: holdpoint_core::content_hash(&Sha256::digest(prompt.as_bytes())),
        redacted,
        prompt_id: prompt_id.map(str::to_owned),
    };
    Entry::new(
        Kind::Instructed,
        Actors {
            agent: Some(agent.to_owned()),
            session: Some(session.to_owned()),
            os_user,
            ..Actors::default()
        },
        holdpoint_store::json(&body),
    )
}

/// What stands where a secret was.
const MARK: &str = "[redacted]";

/// `text` with each word that looks like a secret replaced by `[redacted]`, and how
/// many were: the value of a `password=`, `token:` or similar assignment, the password
/// of a URL (`postgres://app:…@db`), a known credential's prefix (`AKIA…`, `ghp_…`,
/// `sk-…`, `xoxb-…`, holdpoint's own `hpa.…`), a private key block, and any other run of
/// 32 or more letters and digits that mixes the two.
pub(crate) fn redact(text: &str) -> (String, u32) {
    let mut count = 0u32;
    let mut out = String::with_capacity(text.len());
    let mut in_key_block = false;
    for line in text.split_inclusive('\n') {
        if line.contains("-----BEGIN") && line.contains("PRIVATE KEY") {
            in_key_block = true;
            count += 1;
            out.push_str(MARK);
            out.push('\n');
            continue;
        }
        if in_key_block {
            if line.contains("-----END") {
                in_key_block = false;
            }
            continue;
        }
        let mut rest = line;
        while !rest.is_empty() {
            let start = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            let (space, word_on) = rest.split_at(start);
            out.push_str(space);
            let end = word_on.find(char::is_whitespace).unwrap_or(word_on.len());
            let (word, after) = word_on.split_at(end);
            let (kept, hidden) = redact_word(word);
            out.push_str(&kept);
            count += u32::from(hidden);
            rest = after;
        }
    }
    (out, count)
}

/// One word, with its secret part replaced; `true` when something was.
fn redact_word(word: &str) -> (String, bool) {
    const KEYS: [&str; 9] = [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "access_key",
    ];
    const PREFIXES: [&str; 9] = [
        "AKIA",
        "ASIA",
        "ghp_",
        "gho_",
        "github_pat_",
        "sk-",
        "xoxb-",
        "xoxp-",
        "hpa.",
    ];
    // `key=value` and `key:value`, the key ending in one of KEYS.
    if let Some(at) = word.find(['=', ':'])
        && let Some((key, value)) = word
            .split_at_checked(at)
            .map(|(k, v)| (k, v.get(1..).unwrap_or("")))
    {
        let key = key
            .trim_start_matches(['-', '"', '\''])
            .to_ascii_lowercase();
        if !value.is_empty() && !value.starts_with("//") && KEYS.iter().any(|k| key.ends_with(k)) {
            return (format!("{}{}", word.get(..=at).unwrap_or(""), MARK), true);
        }
    }
    // A URL's password: `scheme://user:password@host`.
    if let Some(scheme) = word.find("://") {
        let authority_at = scheme + 3;
        let authority = word.get(authority_at..).unwrap_or("");
        if let Some(at) = authority.find('@')
            && let Some(colon) = authority.get(..at).and_then(|u| u.find(':'))
        {
            let user_end = authority_at + colon + 1;
            let host = authority_at + at;
            return (
                format!(
                    "{}{MARK}{}",
                    word.get(..user_end).unwrap_or(""),
                    word.get(host..).unwrap_or("")
                ),
                true,
            );
        }
    }
    let bare = word
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && !"_-.+/=".contains(c))
        .trim_end_matches(['.', ',']);
    let token_like = |s: &str| {
        s.len() >= 32
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-+/=.".contains(c))
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_alphabetic())
            && !s.contains("://")
            && !s.contains('/')
    };
    if PREFIXES
        .iter()
        .any(|p| bare.starts_with(p) && bare.len() >= p.len() + 8)
        || token_like(bare)
    {
        return (word.replacen(bare, MARK, 1), true);
    }
    (word.to_owned(), false)
}

/// What the person is shown, and whether the agent must be told as well.
pub(crate) struct Account {
    pub(crate) text: String,
    pub(crate) tells_the_agent: bool,
}

/// The account of `session`'s turn, from the end of its last turn to the ledger's end;
/// marks the turn ended. With a server, the server's, of this agent's session.
fn account(session: &str) -> Result<Option<Account>, String> {
    let home = Home::locate();
    let config = home.load_config().map_err(|f| f.message)?;
    if let Some(url) = config.server.url.clone() {
        return Remote::open(config, url)
            .and_then(|server| server.turn_account(session))
            .map_err(|f| f.message);
    }
    let store = home.open_store().map_err(|f| f.message)?;
    account_in(&store, session, None)
}

/// The account of `session`'s turn in `store`. Given the `agent` a server's caller is,
/// only a session whose records are all that agent's has one (a session id is the
/// agent's to name, so one agent's account is never given to another), and the turn's
/// end is marked under the agent and the session together.
pub(crate) fn account_in(
    store: &holdpoint_store::SqlStore,
    session: &str,
    agent: Option<&str>,
) -> Result<Option<Account>, String> {
    let mark = match agent {
        Some(agent) => json!([agent, session]).to_string(),
        None => session.to_owned(),
    };
    let since = store
        .turn_ended(&mark)
        .map_err(|e| e.to_string())?
        .map_or(0, |(seq, _)| seq);
    let Ok(report) = report::build(store, session) else {
        // Nothing of this session is in the ledger.
        return Ok(None);
    };
    if let Some(agent) = agent
        && report.agents.iter().any(|other| other != agent)
    {
        return Err(format!(
            "the session `{}` holds another agent's records: each agent is given the account of its own sessions only",
            one_line(session, 80)
        ));
    }
    store
        .end_turn(&mark, report.last_record, now_ms())
        .map_err(|e| e.to_string())?;
    let new: Vec<&Item> = report
        .actions
        .iter()
        .filter(|item| item.first_record > since)
        .collect();
    let failed = |item: &&Item| item.outcomes.iter().any(|o| o.starts_with("failed"));
    let ran = |item: &&Item| item.status == "allowed" && !item.outcomes.is_empty();
    let refused: Vec<&Item> = new
        .iter()
        .copied()
        .filter(|i| i.status == "blocked")
        .collect();
    // Held actions of earlier turns still wait for a human too.
    let held: Vec<&Item> = report
        .actions
        .iter()
        .filter(|i| i.status == "pending" || i.status == "approved, not yet run")
        .collect();
    let failures: Vec<&Item> = new.iter().copied().filter(failed).collect();
    let destroyed: Vec<&Item> = new
        .iter()
        .copied()
        .filter(|i| ran(i) && !failed(i) && i.risk == "destroy")
        .collect();
    let changed: Vec<&Item> = new
        .iter()
        .copied()
        .filter(|i| ran(i) && !failed(i) && i.risk == "change")
        .collect();
    let since_ms = report
        .actions
        .iter()
        .find(|i| i.first_record > since)
        .map_or(i64::MAX, |i| i.at_ms);
    let kept: Vec<_> = store
        .recoveries()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|p| p.session.as_deref() == Some(session) && p.created_ms >= since_ms)
        .filter(|p| p.state == "kept")
        .collect();
    if refused.is_empty()
        && held.is_empty()
        && failures.is_empty()
        && destroyed.is_empty()
        && changed.is_empty()
        && kept.is_empty()
    {
        return Ok(None);
    }
    let mut lines = vec![HEADING.to_owned()];
    if let Some(asked) = new.last().and_then(|item| item.asked.as_deref()) {
        lines.push(format!("- asked: \"{}\"", one_line(asked, 160)));
    }
    let mut section = |label: &str, items: &[&Item], detail: &dyn Fn(&Item) -> String| {
        for item in items.iter().take(NAMED) {
            lines.push(format!(
                "- {label}: `{}`{}",
                one_line(&item.input, 120),
                detail(item)
            ));
        }
        if items.len() > NAMED {
            lines.push(format!("- and {} more {label}", items.len() - NAMED));
        }
    };
    section("refused", &refused, &|item| {
        item.reasons
            .first()
            .map(|r| format!(" ({})", one_line(r, 160)))
            .unwrap_or_default()
    });
    section("held", &held, &|item| match &item.approval {
        Some(id) if item.status == "pending" => {
            format!(
                " (waiting for a human: `holdpoint approvals approve {id}`; the identical retry then runs once)"
            )
        }
        Some(id) => format!(" ({id} is approved: the identical retry runs once)"),
        None => String::new(),
    });
    section("failed", &failures, &|item| {
        item.outcomes
            .iter()
            .find(|o| o.starts_with("failed"))
            .map(|o| format!(" ({})", one_line(o, 160)))
            .unwrap_or_default()
    });
    section("destroyed", &destroyed, &|_| String::new());
    section("changed", &changed, &|_| String::new());
    for point in kept.iter().take(NAMED) {
        lines.push(format!(
            "- recovery point {} keeps `{}` from before `{}`: `holdpoint restore {}` puts it back",
            point.id,
            one_line(&point.table, 80),
            one_line(&point.statement, 80),
            point.id
        ));
    }
    Ok(Some(Account {
        text: lines.join("\n"),
        tells_the_agent: !refused.is_empty() || !destroyed.is_empty(),
    }))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn what_looks_like_a_secret_is_redacted_and_the_rest_kept() {
        for (said, kept, count) in [
            ("drop the staging table", "drop the staging table", 0),
            (
                "use PGPASSWORD=hunter2 now",
                "use PGPASSWORD=[redacted] now",
                1,
            ),
            ("api_key: sk-live-1234", "api_key: [redacted]", 1),
            ("say it: yes", "say it: yes", 0),
            ("api_key:sk-live-1234", "api_key:[redacted]", 1),
            (
                "connect to postgres://app:s3cret@db:5432/app please",
                "connect to postgres://app:[redacted]@db:5432/app please",
                1,
            ),
            ("key AKIAIOSFODNN7EXAMPLE.", "key [redacted].", 1),
            (
                "token ghp_0123456789abcdefABCDEF ok",
                "token [redacted] ok",
                1,
            ),
            (
                "the hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "the hash [redacted]",
                1,
            ),
            (
                "read /srv/app/config/production.yaml",
                "read /srv/app/config/production.yaml",
                0,
            ),
            (
                "key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\nthanks",
                "key:\n[redacted]\nthanks",
                1,
            ),
        ] {
            assert_eq!(redact(said), (kept.to_owned(), count), "{said}");
        }
    }
}
