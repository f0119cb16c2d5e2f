//! Webhooks: when an action is held for approval, POST a JSON message to each configured
//! address (http or https), in a shape Slack-style incoming webhooks accept (`text`),
//! with a link to the approval page. Sent from a thread of its own and retried with
//! backoff; a webhook that fails never holds up a decision.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

use holdpoint_ledger::ApprovalRequest;
use serde::Serialize;

use crate::approvals::one_line;

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
    queues: Vec<SyncSender<Message>>,
}

impl Notifier {
    pub fn start(webhooks: Vec<String>) -> Self {
        let mut queues = Vec::new();
        for url in webhooks {
            let (queue, messages) = std::sync::mpsc::sync_channel(1024);
            let started = std::thread::Builder::new()
                .name("holdpoint-webhook".to_owned())
                .spawn(move || deliver_all(&messages, &url));
            match started {
                Ok(_) => queues.push(queue),
                Err(e) => {
                    eprintln!("holdpoint serve: a webhook is off: cannot start its thread: {e}")
                }
            }
        }
        Notifier { queues }
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
        for queue in &self.queues {
            if let Err(TrySendError::Full(_)) = queue.try_send(message.clone()) {
                eprintln!("holdpoint serve: a webhook's queue is full; a notification was dropped");
            }
        }
    }
}

fn deliver_all(messages: &Receiver<Message>, url: &str) {
    while let Ok(message) = messages.recv() {
        if let Ok(body) = serde_json::to_vec(&message) {
            deliver(url, &body);
        }
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

fn post(url: &str, body: &[u8]) -> Result<(), String> {
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
