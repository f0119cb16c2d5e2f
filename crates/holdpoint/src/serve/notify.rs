//! Webhooks: when an action is held for approval, POST a JSON message to each configured
//! address (http or https), with a link to the approval page: `text` that chat tools'
//! incoming webhooks accept and a `holdpoint` object for programs, or Slack's Block Kit
//! with buttons to answer (`slack.rs`). Sent from a thread of its own and retried with
//! backoff; a webhook that fails never holds up a decision.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

use holdpoint_ledger::ApprovalRequest;
use serde::Serialize;

use crate::approvals::one_line;
use crate::home::{Webhook, WebhookFormat};

/// Waits between attempts: five tries over about half a minute.
const BACKOFF: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(3),
    Duration::from_secs(9),
    Duration::from_secs(20),
];

/// The message sent.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Message {
    /// For chat tools: one paragraph with the link.
    pub text: String,
    /// For programs.
    pub holdpoint: Held,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Held {
    pub event: &'static str,
    pub request: String,
    pub risk: String,
    pub agent: String,
    pub environment: String,
    pub action: String,
    pub effects: Vec<String>,
    pub expires_ms: i64,
    pub url: String,
}

/// The handle the server sends messages to: one queue and one thread per webhook, so
/// that one that is down does not delay the others.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    queues: Vec<(WebhookFormat, SyncSender<Vec<u8>>)>,
    /// Slack messages carry buttons to answer with (`[slack]` is set).
    buttons: bool,
}

impl Notifier {
    pub fn start(webhooks: Vec<Webhook>, buttons: bool) -> Self {
        let mut queues = Vec::new();
        for Webhook { url, format } in webhooks {
            let (queue, messages) = std::sync::mpsc::sync_channel(1024);
            let started = std::thread::Builder::new()
                .name("holdpoint-webhook".to_owned())
                .spawn(move || deliver_all(&messages, &url));
            match started {
                Ok(_) => queues.push((format, queue)),
                Err(e) => {
                    eprintln!("holdpoint serve: a webhook is off: cannot start its thread: {e}")
                }
            }
        }
        Notifier { queues, buttons }
    }

    /// Tells the webhooks that `request` waits for approval.
    pub fn requested(&self, request: &ApprovalRequest, console: Option<&str>) {
        if self.queues.is_empty() {
            return;
        }
        let field = |key: &str| crate::approvals::action_field(request, key);
        let url = match console {
            Some(console) => format!("{console}/approvals/{}", request.id),
            None => format!(
                "`holdpoint approvals approve {}` (no console is running)",
                request.id
            ),
        };
        let environment = field("environment");
        let action = field("input");
        let text = format!(
            "holdpoint: {agent} wants to run a {risk} action in {environment}: `{input}`{effects}. Approve or refuse: {url}",
            agent = request.agent,
            risk = request.risk,
            input = one_line(&action, 200),
            effects = request
                .effects
                .first()
                .map(|e| format!(" ({})", one_line(e, 120)))
                .unwrap_or_default(),
        );
        let message = Message {
            text,
            holdpoint: Held {
                event: "approval_requested",
                request: request.id.clone(),
                risk: request.risk.clone(),
                agent: request.agent.clone(),
                environment,
                action,
                effects: request.effects.clone(),
                expires_ms: request.expires_ms,
                url,
            },
        };
        let text = serde_json::to_vec(&message);
        let slack = serde_json::to_vec(&super::slack::message(request, console, self.buttons));
        for (format, queue) in &self.queues {
            let body = match format {
                WebhookFormat::Text => &text,
                WebhookFormat::Slack => &slack,
            };
            let Ok(body) = body else {
                eprintln!("holdpoint serve: a webhook's message could not be written");
                continue;
            };
            if let Err(TrySendError::Full(_)) = queue.try_send(body.clone()) {
                eprintln!("holdpoint serve: a webhook's queue is full; a notification was dropped");
            }
        }
    }
}

fn deliver_all(messages: &Receiver<Vec<u8>>, url: &str) {
    while let Ok(body) = messages.recv() {
        deliver(url, &body);
    }
}

/// Posts one message, retrying with backoff; gives up after the last attempt.
fn deliver(url: &str, body: &[u8]) {
    let mut waits = BACKOFF.iter();
    loop {
        let result = post(url, body);
        match result {
            Ok(()) => return,
            Err(e) => match waits.next() {
                Some(wait) => std::thread::sleep(*wait),
                None => {
                    eprintln!("holdpoint serve: webhook {url} failed, giving up: {e}");
                    return;
                }
            },
        }
    }
}

/// Posts one JSON body to `url`, once.
pub(crate) fn post(url: &str, body: &[u8]) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .user_agent("holdpoint")
        .build()
        .into();
    agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
