//! Answering approval requests from Slack. A `format = "slack"` webhook posts each new
//! request as a Block Kit message with Approve and Refuse buttons (and a box for the
//! typed confirmation where policy asks for one, and one for a refusal's reason); the
//! Slack app's Interactivity Request URL is `/slack/actions` here.
//!
//! A press counts only when all of this holds, checked in this order:
//! - Slack's signature (`v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's
//!   signing secret) fits the exact bytes received, the timestamp is within five
//!   minutes, and this press has not been taken before;
//! - it comes from the configured workspace, from a Slack user linked to a holdpoint
//!   human in `[slack.humans]`;
//! - for Approve: the message showed the action whole (`shown_whole`), the human has no
//!   passkey, and `passkey_required` does not cover the request. Anyone else is sent the
//!   request's page, where the console asks for the passkey.
//!
//! Only a person in a Slack client makes a press: a program holding a Slack token can
//! post messages, not press buttons. The answer is recorded as the human's, with proof
//! `slack`, and the typed confirmation is checked as everywhere else. What happened is
//! posted back to the press's `response_url`, which must be on a Slack webhook's origin.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use holdpoint_ledger::{ApprovalRequest, ApprovalState, Proof, Vote, VoteKind};
use holdpoint_store::Store as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::AppState;
use super::passkeys;
use crate::home::{SlackConfig, Webhook, WebhookFormat, now_ms, os_user};
use crate::shown::{one_line, visible};
use crate::{Failure, approvals::action_field};

/// How far a press's timestamp may be from now, in seconds: older presses are refused
/// as replays, and the presses taken are remembered for as long.
const FRESH_S: i64 = 5 * 60;

/// The most presses remembered at once; past it, presses are refused until old ones
/// age out (never forgotten early, which would let one be replayed).
const MOST_TAKEN: usize = 10_000;

/// The longest action or content a message shows; longer ones are not approved from
/// Slack, since the approver would not see all of what they approve.
const MOST_SHOWN: usize = 2_500;

/// Where Slack's answers go when no `format = "slack"` webhook names another origin.
const SLACK_ORIGIN: &str = "https://hooks.slack.com";

/// `[slack]`, loaded: the signing secret, who may press, and the presses taken.
pub(crate) struct Slack {
    secret: Vec<u8>,
    team: Option<String>,
    humans: BTreeMap<String, String>,
    /// The origins a press's `response_url` may be on: those of the Slack webhooks.
    reply_origins: Vec<String>,
    /// Signatures of the presses taken, with their timestamps.
    taken: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slack")
            .field("team", &self.team)
            .field("humans", &self.humans)
            .finish_non_exhaustive()
    }
}

impl Slack {
    /// Reads the signing secret; a server set up for Slack without one does not start.
    pub(crate) fn open(config: &SlackConfig, webhooks: &[Webhook]) -> Result<Self, Failure> {
        let file = &config.signing_secret_file;
        let secret = std::fs::read_to_string(file).map_err(|e| {
            Failure::usage(format!(
                "`[slack] signing_secret_file` names `{}`, which cannot be read ({e}): put the Slack app's signing secret (Basic Information, App Credentials) alone in it",
                file.display()
            ))
        })?;
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(Failure::usage(format!(
                "`{}` is empty: put the Slack app's signing secret in it",
                file.display()
            )));
        }
        let mut reply_origins: Vec<String> = webhooks
            .iter()
            .filter(|w| w.format == WebhookFormat::Slack)
            .filter_map(|w| origin(&w.url))
            .collect();
        if reply_origins.is_empty() {
            reply_origins.push(SLACK_ORIGIN.to_owned());
        }
        Ok(Slack {
            secret: secret.as_bytes().to_vec(),
            team: config.team.clone(),
            humans: config.humans.clone(),
            reply_origins,
            taken: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a press whose signature fits and which was not taken before, at `now_s`.
    fn take(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now_s: i64,
    ) -> Result<(), &'static str> {
        verify(&self.secret, timestamp, signature, body, now_s)?;
        let sent_s: i64 = timestamp.parse().map_err(|_| "a bad timestamp")?;
        let mut taken = self
            .taken
            .lock()
            .map_err(|_| "holdpoint's memory of presses failed")?;
        taken.retain(|_, at| now_s.saturating_sub(*at) <= FRESH_S);
        if taken.contains_key(signature) {
            return Err("this press was already taken");
        }
        if taken.len() >= MOST_TAKEN {
            return Err("too many presses in the last five minutes");
        }
        taken.insert(signature.to_owned(), sent_s);
        Ok(())
    }

    /// Whether answers may be posted to `url`.
    fn may_reply_to(&self, url: &str) -> bool {
        self.reply_origins.iter().any(|o| {
            url.strip_prefix(o.as_str())
                .is_some_and(|r| r.starts_with('/'))
        })
    }
}

/// `scheme://authority` of an http(s) address.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (matches!(scheme, "http" | "https") && !authority.is_empty())
        .then(|| format!("{scheme}://{authority}"))
}

/// Whether Slack's `signature` (`v0=` and hex) fits `body` sent at `timestamp`
/// (seconds), within `FRESH_S` of `now_s`.
pub(crate) fn verify(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_s: i64,
) -> Result<(), &'static str> {
    let sent_s: i64 = timestamp
        .parse()
        .map_err(|_| "X-Slack-Request-Timestamp is missing or not a number")?;
    if now_s.abs_diff(sent_s) > FRESH_S.unsigned_abs() {
        return Err("the press is more than five minutes old (or the clocks disagree)");
    }
    let sent = signature
        .strip_prefix("v0=")
        .and_then(decode_hex)
        .ok_or("X-Slack-Signature is missing or not `v0=` and hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| "a bad secret")?;
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&sent)
        .map_err(|_| "the signature does not fit: not from Slack, or another signing secret")
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The buttons that answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pressed {
    Approve,
    Refuse,
}

/// A press, from Slack's `block_actions` payload.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Press {
    user: String,
    team: Option<String>,
    /// `None`: the button that opens the request's page, which needs nothing done.
    pressed: Option<Pressed>,
    request: String,
    /// What was typed in the message's boxes.
    confirm: Option<String>,
    reason: Option<String>,
    response_url: Option<String>,
}

#[derive(Deserialize)]
struct Form {
    payload: String,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    user: PayloadUser,
    team: Option<PayloadTeam>,
    #[serde(default)]
    actions: Vec<PayloadAction>,
    state: Option<PayloadState>,
    response_url: Option<String>,
}

#[derive(Deserialize)]
struct PayloadUser {
    id: String,
    team_id: Option<String>,
}

#[derive(Deserialize)]
struct PayloadTeam {
    id: Option<String>,
}

#[derive(Deserialize)]
struct PayloadAction {
    action_id: String,
    value: Option<String>,
}

#[derive(Deserialize)]
struct PayloadState {
    #[serde(default)]
    values: HashMap<String, HashMap<String, PayloadInput>>,
}

#[derive(Deserialize)]
struct PayloadInput {
    value: Option<String>,
}

/// Reads a press from the form Slack posts (`payload=` and the JSON).
fn parse(body: &[u8]) -> Result<Press, String> {
    let form: Form = serde_urlencoded::from_bytes(body)
        .map_err(|e| format!("the body is not Slack's form with a `payload`: {e}"))?;
    let payload: Payload = serde_json::from_str(&form.payload)
        .map_err(|e| format!("the payload is not a Slack interaction: {e}"))?;
    if payload.kind != "block_actions" {
        return Err(format!(
            "a `{}` interaction: holdpoint's messages send only button presses",
            payload.kind
        ));
    }
    let [action] = payload.actions.as_slice() else {
        return Err("a press names one action".to_owned());
    };
    let pressed = match action.action_id.as_str() {
        "approve" => Some(Pressed::Approve),
        "refuse" => Some(Pressed::Refuse),
        "open" => None,
        other => return Err(format!("`{other}` is not one of holdpoint's buttons")),
    };
    let typed = |block: &str| {
        payload
            .state
            .as_ref()
            .and_then(|s| s.values.get(block))
            .and_then(|inputs| inputs.get(block))
            .and_then(|input| input.value.clone())
            .filter(|v| !v.trim().is_empty())
    };
    Ok(Press {
        team: payload.team.and_then(|t| t.id).or(payload.user.team_id),
        user: payload.user.id,
        pressed,
        request: action.value.clone().unwrap_or_default(),
        confirm: typed("confirm"),
        reason: typed("reason"),
        response_url: payload.response_url,
    })
}

/// Whether a message shows all of `request` that an approver approves: its action, and
/// the content a file tool writes. One that does not is approved only in the console.
pub(crate) fn shown_whole(request: &ApprovalRequest) -> bool {
    // Measured as shown: invisible characters are shown as longer escapes.
    let fits = |text: &str| visible(text).chars().count() <= MOST_SHOWN;
    fits(&action_field(request, "input")) && request.shown.as_deref().is_none_or(fits)
}

/// Plain text, shown as it is (no formatting, no emoji codes).
fn plain(text: &str) -> Value {
    json!({ "type": "plain_text", "text": text, "emoji": false })
}

/// Slack's mrkdwn with `&`, `<` and `>` escaped, as Slack asks.
fn mrkdwn(text: &str) -> Value {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    json!({ "type": "mrkdwn", "text": escaped })
}

/// The Block Kit message for a new request: who wants what, where, what it does; the
/// boxes and buttons to answer with when `buttons` (`[slack]` is set); and a button to
/// the request's page at `console`.
pub(crate) fn message(request: &ApprovalRequest, console: Option<&str>, buttons: bool) -> Value {
    let environment = action_field(request, "environment");
    let input = action_field(request, "input");
    let headline = format!(
        "holdpoint: {agent} wants to run a {risk} action in {environment}",
        agent = request.agent,
        risk = request.risk,
    );
    let mut blocks = vec![
        json!({ "type": "section", "text": mrkdwn(&format!("*{headline}*")) }),
        json!({ "type": "section", "text": plain(&cut(&visible(&input))) }),
    ];
    if let Some(asked) = &request.asked {
        let asked = format!("The person asked: {}", one_line(asked, 500));
        blocks.push(json!({ "type": "context", "elements": [plain(&visible(&asked))] }));
    }
    if let Some(task) = &request.task {
        let task = format!("Its grant is for: {}", one_line(task, 500));
        blocks.push(json!({ "type": "context", "elements": [plain(&visible(&task))] }));
    }
    if let Some(shown) = &request.shown {
        blocks.push(json!({ "type": "section", "text": plain(&cut(&visible(shown))) }));
    }
    if !request.effects.is_empty() || !request.reasons.is_empty() {
        let said: Vec<String> = request
            .effects
            .iter()
            .chain(&request.reasons)
            .take(4)
            .map(|s| one_line(s, 300))
            .collect();
        blocks.push(json!({ "type": "context", "elements": [plain(&said.join("\n"))] }));
    }
    let whole = shown_whole(request);
    if buttons
        && whole
        && let Some(target) = &request.confirm_target
    {
        blocks.push(input_box(
            "confirm",
            &format!("Type {target} to approve"),
            false,
        ));
    }
    if buttons {
        blocks.push(input_box(
            "reason",
            "Reason (required to refuse; the agent is told it)",
            true,
        ));
    }
    let mut elements = Vec::new();
    if buttons && whole {
        elements.push(
            json!({ "type": "button", "action_id": "approve", "style": "primary",
            "text": plain("Approve"), "value": request.id }),
        );
    }
    if buttons {
        elements.push(
            json!({ "type": "button", "action_id": "refuse", "style": "danger",
            "text": plain("Refuse"), "value": request.id }),
        );
    }
    if let Some(console) = console {
        elements.push(
            json!({ "type": "button", "action_id": "open", "text": plain("Open"),
            "url": format!("{console}/approvals/{}", request.id), "value": request.id }),
        );
    }
    if !elements.is_empty() {
        blocks.push(json!({ "type": "actions", "block_id": "decide", "elements": elements }));
    }
    let mut notes = vec![format!("request {}", request.id)];
    if buttons && !whole {
        notes.push("too long to show whole here: approve it in the console".to_owned());
    }
    if console.is_none() {
        notes.push(format!(
            "no console is running: `holdpoint approvals approve {}`",
            request.id
        ));
    }
    blocks.push(json!({ "type": "context", "elements": [mrkdwn(&notes.join(" · "))] }));
    json!({
        "text": format!("{headline}: {}", one_line(&input, 200)),
        "blocks": blocks,
    })
}

/// An input block whose block and action share `id`, which `parse` reads back.
fn input_box(id: &str, label: &str, optional: bool) -> Value {
    json!({ "type": "input", "block_id": id, "optional": optional, "label": plain(label),
        "element": { "type": "plain_text_input", "action_id": id } })
}

/// `text` within what a block holds, cut with a note when longer.
fn cut(text: &str) -> String {
    if text.chars().count() <= MOST_SHOWN {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MOST_SHOWN).collect();
    cut.push_str("\n… (cut: the whole text is on the request's page)");
    cut
}

/// What is posted back to the press's `response_url`.
enum Reply {
    /// To the presser alone: why nothing was done, or what is still wanted.
    Ephemeral(String),
    /// The message, replaced: the request is answered.
    Answered(String),
}

impl Reply {
    fn body(&self) -> Value {
        match self {
            Reply::Ephemeral(text) => json!({
                "response_type": "ephemeral", "replace_original": false, "text": text,
            }),
            Reply::Answered(text) => json!({
                "replace_original": true, "text": text,
                "blocks": [{ "type": "section", "text": mrkdwn(text) }],
            }),
        }
    }
}

/// `POST /slack/actions`: a button pressed in a holdpoint message. Slack is answered at
/// once (it waits three seconds); what happened is posted to the press's `response_url`.
pub(crate) async fn actions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(slack) = state.slack.as_ref() else {
        return (
            StatusCode::NOT_FOUND,
            "Slack is not set up on this server: see `[slack]` in holdpoint.toml\n",
        )
            .into_response();
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let taken = slack.take(
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        now_ms() / 1000,
    );
    if let Err(why) = taken {
        return (
            StatusCode::UNAUTHORIZED,
            format!("refused: {why}; nothing was done\n"),
        )
            .into_response();
    }
    let press = match parse(&body) {
        Ok(press) => press,
        Err(why) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("{why}; nothing was done\n"),
            )
                .into_response();
        }
    };
    let Some(pressed) = press.pressed else {
        return StatusCode::OK.into_response();
    };
    let reply = answer(&state, slack, pressed, &press).await;
    match press.response_url {
        Some(url) if slack.may_reply_to(&url) => {
            let body = reply.body().to_string();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = super::notify::post(&url, body.as_bytes()) {
                    eprintln!("holdpoint serve: Slack's response_url failed: {e}");
                }
            });
            StatusCode::OK.into_response()
        }
        // Nowhere to say it: Slack shows a body only to some kinds of press, so the
        // presser at least sees this one where it can be shown.
        _ => (StatusCode::OK, reply.body().to_string()).into_response(),
    }
}

/// Takes one press from a human, or says why not.
async fn answer(state: &AppState, slack: &Slack, pressed: Pressed, press: &Press) -> Reply {
    if let Some(team) = &slack.team
        && press.team.as_ref() != Some(team)
    {
        return Reply::Ephemeral(
            "This Slack workspace is not the one holdpoint takes answers from; nothing was done."
                .to_owned(),
        );
    }
    let Some(human) = slack.humans.get(&press.user).cloned() else {
        return Reply::Ephemeral(format!(
            "Your Slack user ({}) is not linked to a holdpoint human, so your press was not taken: an admin adds `{} = \"NAME\"` under `[slack.humans]` in holdpoint.toml.",
            press.user, press.user
        ));
    };
    let page = state
        .console_url()
        .map(|c| format!("{c}/approvals/{}", press.request))
        .unwrap_or_else(|| format!("`holdpoint approvals approve {}`", press.request));
    let who = human.clone();
    let known = state
        .blocking(move |store| {
            let humans = store.humans()?;
            let passkeys = store.passkeys(&who)?;
            Ok((humans.iter().any(|h| h.name == who), !passkeys.is_empty()))
        })
        .await;
    let (exists, has_passkey) = match known {
        Ok(known) => known,
        Err(e) => return Reply::Ephemeral(format!("{}; nothing was done.", e.message())),
    };
    if !exists {
        return Reply::Ephemeral(format!(
            "Your Slack user is linked to `{human}`, who is not a holdpoint human; nothing was done."
        ));
    }
    let (kind, proof, reason) = match pressed {
        Pressed::Approve => {
            let request = match passkeys::approving(state, &press.request).await {
                Ok((_, request)) => request,
                Err(e) => return Reply::Ephemeral(format!("{}.", e.message())),
            };
            if state.config.passkey_required.covers(&request) || has_passkey {
                return Reply::Ephemeral(format!(
                    "Request {} is approved only with a passkey, which Slack cannot ask for: approve it at {page}",
                    request.id
                ));
            }
            if !shown_whole(&request) {
                return Reply::Ephemeral(format!(
                    "Request {} is too long to show whole in Slack: approve it at {page}",
                    request.id
                ));
            }
            (VoteKind::Approve, Some(Proof::Slack), press.reason.clone())
        }
        Pressed::Refuse => match &press.reason {
            Some(reason) => (VoteKind::Refuse, None, Some(reason.clone())),
            None => {
                return Reply::Ephemeral(
                    "Write why in the Reason box, then press Refuse: the agent is told the reason."
                        .to_owned(),
                );
            }
        },
    };
    let vote = Vote {
        human: human.clone(),
        kind,
        reason,
        at_ms: now_ms(),
        proof,
    };
    let id = press.request.clone();
    let confirm = press.confirm.clone();
    let answered = state
        .blocking(move |store| store.answer(&id, vote, confirm.as_deref(), os_user()))
        .await;
    let request = match answered {
        Ok(request) => request,
        Err(e) => return Reply::Ephemeral(format!("{}; nothing was done.", e.message())),
    };
    state.changed();
    let input = one_line(&action_field(&request, "input"), 200);
    match request.state {
        ApprovalState::Approved => Reply::Answered(format!(
            "Approved by {human} in Slack: `{input}` ({id}). The agent's identical retry runs once.",
            id = request.id
        )),
        ApprovalState::Refused => Reply::Answered(format!(
            "Refused by {human} in Slack: `{input}` ({id}).",
            id = request.id
        )),
        _ => Reply::Ephemeral(format!(
            "Your approval of {} is counted: {} of the {} needed.",
            request.id,
            request
                .votes
                .iter()
                .filter(|v| v.kind == VoteKind::Approve)
                .count(),
            request.quorum
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";

    fn sign(timestamp: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(format!("v0:{timestamp}:").as_bytes());
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        format!(
            "v0={}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    }

    #[test]
    fn slacks_published_example_signature_is_accepted() {
        // The example in Slack's "Verifying requests from Slack".
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(
            verify(SECRET, "1531420618", signature, body, 1_531_420_618),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_an_old_press_or_a_bad_header_is_refused() {
        let body = b"payload=%7B%7D";
        let good = sign("1000", body);
        assert_eq!(verify(SECRET, "1000", &good, body, 1000), Ok(()));
        assert!(verify(SECRET, "1000", &good, b"payload=%7B%20%7D", 1000).is_err());
        assert!(verify(b"another secret", "1000", &good, body, 1000).is_err());
        assert!(verify(SECRET, "1000", &good, body, 1000 + FRESH_S + 1).is_err());
        assert!(verify(SECRET, "1000", &good, body, 1000 - FRESH_S - 1).is_err());
        assert!(verify(SECRET, "", &good, body, 1000).is_err());
        assert!(verify(SECRET, "1000", &good[3..], body, 1000).is_err());
        assert!(verify(SECRET, "1000", "v0=zz", body, 1000).is_err());
        // The timestamp is signed too: a fresh one on an old press does not fit.
        assert!(verify(SECRET, "1001", &good, body, 1000).is_err());
    }

    fn slack() -> Slack {
        Slack {
            secret: SECRET.to_vec(),
            team: Some("T1".to_owned()),
            humans: BTreeMap::new(),
            reply_origins: vec!["https://hooks.slack.com".to_owned()],
            taken: Mutex::new(HashMap::new()),
        }
    }

    #[test]
    fn a_press_is_taken_once() {
        let slack = slack();
        let body = b"payload=%7B%7D";
        let signature = sign("1000", body);
        assert_eq!(slack.take("1000", &signature, body, 1000), Ok(()));
        assert_eq!(
            slack.take("1000", &signature, body, 1010),
            Err("this press was already taken")
        );
    }

    #[test]
    fn an_action_is_shown_whole_or_not_approved_here() {
        let request = |input: &str| ApprovalRequest {
            id: "apr-1".to_owned(),
            digest: "sha256:0".to_owned(),
            action: json!({ "input": input, "environment": "production" }),
            effects: Vec::new(),
            risk: "destroy".to_owned(),
            reasons: Vec::new(),
            policies: Vec::new(),
            quorum: 1,
            confirm_target: None,
            agent: "bot".to_owned(),
            session: None,
            created_ms: 0,
            expires_ms: 1,
            state: holdpoint_ledger::ApprovalState::Pending,
            votes: Vec::new(),
            shown: None,
            asked: None,
            task: None,
        };
        assert!(shown_whole(&request(&"a".repeat(MOST_SHOWN))));
        assert!(!shown_whole(&request(&"a".repeat(MOST_SHOWN + 1))));
        // Short, but longer once its invisible characters are shown as escapes.
        let hidden = "\u{200b}".repeat(MOST_SHOWN / 4);
        assert!(hidden.chars().count() < MOST_SHOWN);
        assert!(!shown_whole(&request(&hidden)));
        let approve = message(&request(&hidden), None, true)["blocks"]
            .to_string()
            .contains("\"approve\"");
        assert!(
            !approve,
            "a message that cannot show the action offers no Approve"
        );
    }

    #[test]
    fn answers_go_only_to_the_slack_webhooks_origin() {
        let slack = slack();
        assert!(slack.may_reply_to("https://hooks.slack.com/actions/T1/1/abc"));
        assert!(!slack.may_reply_to("https://hooks.slack.com.example.net/actions"));
        assert!(!slack.may_reply_to("https://hooks.slack.com@example.net/actions"));
        assert!(!slack.may_reply_to("http://hooks.slack.com/actions"));
        assert!(!slack.may_reply_to("https://example.net/?https://hooks.slack.com/"));
        assert_eq!(
            origin("http://127.0.0.1:9/services/T/B/x").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(origin("ftp://example.net/"), None);
    }

    fn form(payload: &Value) -> Vec<u8> {
        serde_urlencoded::to_string([("payload", payload.to_string())])
            .unwrap()
            .into_bytes()
    }

    #[test]
    fn a_press_is_read_from_slacks_payload() {
        let payload = json!({
            "type": "block_actions",
            "user": { "id": "U1", "username": "alice", "team_id": "T1" },
            "team": { "id": "T1", "domain": "example" },
            "response_url": "https://hooks.slack.com/actions/T1/1/abc",
            "state": { "values": {
                "confirm": { "confirm": { "type": "plain_text_input", "value": "/srv/data" } },
                "reason": { "reason": { "type": "plain_text_input", "value": null } },
            } },
            "actions": [{ "action_id": "approve", "block_id": "decide", "type": "button",
                "value": "apr_1", "action_ts": "1" }],
        });
        let press = parse(&form(&payload)).unwrap();
        assert_eq!(
            press,
            Press {
                user: "U1".to_owned(),
                team: Some("T1".to_owned()),
                pressed: Some(Pressed::Approve),
                request: "apr_1".to_owned(),
                confirm: Some("/srv/data".to_owned()),
                reason: None,
                response_url: Some("https://hooks.slack.com/actions/T1/1/abc".to_owned()),
            }
        );
        let mut other = payload.clone();
        other["actions"][0]["action_id"] = json!("delete_everything");
        assert!(parse(&form(&other)).is_err());
        other["type"] = json!("view_submission");
        assert!(parse(&form(&other)).is_err());
        assert!(parse(b"payload=not json").is_err());
        assert!(parse(b"nothing=here").is_err());
    }
}
