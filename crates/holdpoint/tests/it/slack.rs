//! Answering from Slack: a local stand-in for Slack receives holdpoint's message on its
//! incoming webhook, and sends button presses as Slack sends them (a form holding the
//! `block_actions` JSON, signed with the app's signing secret) to `/slack/actions`;
//! holdpoint's answers come back to the stand-in's `response_url`.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::http;
use crate::setup::{Served, Setup};

const SIGNING_SECRET: &str = "0f3c1a2b4d5e6f708192a3b4c5d6e7f8";
const TEAM: &str = "T0HOLD";
const ALICE: &str = "U0ALICE";
const DESTROY: &str = "rm -rf /srv/data";

/// What Slack would receive: posts to its incoming webhook and to `response_url`s.
struct StandIn {
    address: String,
    received: Receiver<(String, Vec<u8>)>,
}

impl StandIn {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        StandIn {
            address,
            received: http::posts(listener),
        }
    }

    /// The next post, which must go to a path starting with `prefix`.
    fn next(&self, prefix: &str) -> Value {
        let (head, body) = self
            .received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("nothing was posted to {prefix}: {e}"));
        let path = head.split(' ').nth(1).unwrap_or_default();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert!(path.starts_with(prefix), "posted to {path}: {body}");
        body
    }

    /// Nothing more arrives for a moment.
    fn quiet(&self) {
        match self.received.recv_timeout(Duration::from_millis(500)) {
            Err(RecvTimeoutError::Timeout) => {}
            other => panic!("something more was posted: {other:?}"),
        }
    }

    fn response_url(&self) -> String {
        format!("http://{}/actions/{TEAM}/1/reply", self.address)
    }
}

/// A press of one of holdpoint's buttons, as Slack's `block_actions` payload has it.
struct Press<'a> {
    user: &'a str,
    team: &'a str,
    action: &'a str,
    request: &'a str,
    confirm: Option<&'a str>,
    reason: Option<&'a str>,
    response_url: String,
}

impl Press<'_> {
    fn body(&self) -> String {
        let payload = json!({
            "type": "block_actions",
            "user": { "id": self.user, "username": "someone", "name": "someone",
                "team_id": self.team },
            "api_app_id": "A0HOLD",
            "token": "deprecated-verification-token",
            "container": { "type": "message", "message_ts": "1700000000.000100",
                "channel_id": "C0OPS", "is_ephemeral": false },
            "trigger_id": "1.2.3",
            "team": { "id": self.team, "domain": "example" },
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": { "id": "C0OPS", "name": "ops" },
            "state": { "values": {
                "confirm": { "confirm": { "type": "plain_text_input", "value": self.confirm } },
                "reason": { "reason": { "type": "plain_text_input", "value": self.reason } },
            } },
            "response_url": self.response_url,
            "actions": [{ "action_id": self.action, "block_id": "decide", "type": "button",
                "value": self.request, "action_ts": "1700000001.000200",
                "text": { "type": "plain_text", "text": self.action } }],
        });
        let mut form = String::from("payload=");
        for byte in payload.to_string().bytes() {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                form.push(char::from(byte));
            } else {
                form.push_str(&format!("%{byte:02X}"));
            }
        }
        form
    }
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

/// Sends `body` to `/slack/actions` as Slack would, signed with `secret` at `timestamp`.
fn send(served: &Served, body: &str, timestamp: u64, secret: &str) -> http::Reply {
    let timestamp = timestamp.to_string();
    let signature = signature(secret, &timestamp, body);
    http::request(
        &served.address,
        "POST",
        "/slack/actions",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Slack-Request-Timestamp", &timestamp),
            ("X-Slack-Signature", &signature),
            ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
        ],
        body,
    )
}

/// A Slack-ready home: alice, linked to `ALICE`; an agent; the stand-in's webhook.
fn slack_setup(name: &str, stand_in: &StandIn, passkey_required: &str) -> (Setup, String) {
    let setup = Setup::new(name);
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    std::fs::write(
        setup.home.join("slack-signing-secret"),
        format!("{SIGNING_SECRET}\n"),
    )
    .unwrap();
    setup.config(&format!(
        "passkey_required = \"{passkey_required}\"\n\n[server]\npublic_url = \"https://holdpoint.example.com\"\n\n[[webhook]]\nurl = \"http://{address}/services/{TEAM}/B0HOLD/abc\"\nformat = \"slack\"\n\n[slack]\nsigning_secret_file = \"slack-signing-secret\"\nteam = \"{TEAM}\"\n\n[slack.humans]\n{ALICE} = \"alice\"\nU0GHOST = \"nobody-by-that-name\"\n",
        address = stand_in.address
    ));
    (setup, token)
}

/// Asks the server to decide `command` for the agent.
fn decide(served: &Served, token: &str, command: &str) -> Value {
    http::json(
        &served.address,
        "POST",
        "/api/v1/decide",
        token,
        &json!({ "surface": "shell", "input": command, "cwd": "/tmp" }),
    )
    .json()
}

fn state_of(setup: &Setup, id: &str) -> String {
    let shown = setup.run(&["approvals", "show", id, "--format", "json"], "");
    assert_eq!(shown.status.code(), Some(0));
    let request: Value = serde_json::from_slice(&shown.stdout).unwrap();
    request["state"].as_str().unwrap().to_owned()
}

/// The blocks of `message` with `field` equal to `value`, anywhere in a block.
fn elements<'a>(message: &'a Value, kind: &str) -> Vec<&'a Value> {
    let mut found = Vec::new();
    for block in message["blocks"].as_array().unwrap() {
        if block["type"] == kind {
            found.push(block);
        }
        if let Some(elements) = block["elements"].as_array() {
            found.extend(elements.iter().filter(|e| e["type"] == kind));
        }
    }
    found
}

#[test]
fn a_request_is_approved_or_refused_from_slack_by_a_linked_human_and_forged_presses_do_nothing() {
    let stand_in = StandIn::start();
    let (setup, token) = slack_setup("slack-answers", &stand_in, "never");
    let served = setup.serve();

    let held = decide(&served, &token, DESTROY);
    assert_eq!(held["outcome"], "ask", "{held}");
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let target = setup
        .confirm_of(&id)
        .expect("a production destroy asks for its target");

    // The message shows the command whole, asks for the target, and has both buttons.
    let message = stand_in.next(&format!("/services/{TEAM}/"));
    let texts = message["blocks"].to_string();
    assert!(texts.contains(DESTROY), "{message}");
    let buttons = elements(&message, "button");
    let approve = buttons
        .iter()
        .find(|b| b["action_id"] == "approve")
        .unwrap();
    assert_eq!(approve["value"], id.as_str());
    assert!(buttons.iter().any(|b| b["action_id"] == "refuse"));
    let open = buttons.iter().find(|b| b["action_id"] == "open").unwrap();
    assert_eq!(
        open["url"],
        format!("https://holdpoint.example.com/approvals/{id}")
    );
    let inputs = elements(&message, "input");
    let confirm = inputs.iter().find(|b| b["block_id"] == "confirm").unwrap();
    assert!(
        confirm["label"]["text"].as_str().unwrap().contains(&target),
        "{confirm}"
    );

    let press = |user: &'static str, team: &'static str, action: &'static str| Press {
        user,
        team,
        action,
        request: &id,
        confirm: Some(&target),
        reason: None,
        response_url: stand_in.response_url(),
    };
    let good = press(ALICE, TEAM, "approve");

    // Not from Slack: another secret, an old press, a body changed after signing, none.
    let forged = send(&served, &good.body(), now_s(), "not-the-signing-secret");
    assert_eq!(forged.status, 401, "{}", forged.body);
    let stale = send(&served, &good.body(), now_s() - 600, SIGNING_SECRET);
    assert_eq!(stale.status, 401, "{}", stale.body);
    assert!(stale.body.contains("five minutes"), "{}", stale.body);
    let timestamp = now_s().to_string();
    let signed_for_bob = signature(
        SIGNING_SECRET,
        &timestamp,
        &press("U0BOB", TEAM, "approve").body(),
    );
    let swapped = http::request(
        &served.address,
        "POST",
        "/slack/actions",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Slack-Request-Timestamp", &timestamp),
            ("X-Slack-Signature", &signed_for_bob),
        ],
        &good.body(),
    );
    assert_eq!(swapped.status, 401, "{}", swapped.body);
    let unsigned = http::request(
        &served.address,
        "POST",
        "/slack/actions",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &good.body(),
    );
    assert_eq!(unsigned.status, 401, "{}", unsigned.body);
    stand_in.quiet();
    assert_eq!(state_of(&setup, &id), "pending");

    // From Slack, but not someone who may answer: each is told why, only them.
    for (who, team, why) in [
        ("U0EVE", TEAM, "not linked to a holdpoint human"),
        ("U0GHOST", TEAM, "not a holdpoint human"),
        (ALICE, "T0OTHER", "not the one holdpoint takes answers from"),
    ] {
        let reply = send(
            &served,
            &press(who, team, "approve").body(),
            now_s(),
            SIGNING_SECRET,
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let said = stand_in.next(&format!("/actions/{TEAM}/"));
        assert_eq!(said["response_type"], "ephemeral", "{said}");
        assert_eq!(said["replace_original"], false);
        assert!(said["text"].as_str().unwrap().contains(why), "{said}");
    }
    assert_eq!(state_of(&setup, &id), "pending");

    // A wrong target typed is refused as at the console; a refusal needs a reason.
    let mistyped = Press {
        confirm: Some("/srv"),
        ..press(ALICE, TEAM, "approve")
    };
    send(&served, &mistyped.body(), now_s(), SIGNING_SECRET);
    let said = stand_in.next("/actions/");
    assert!(
        said["text"].as_str().unwrap().contains("nothing was done"),
        "{said}"
    );
    send(
        &served,
        &press(ALICE, TEAM, "refuse").body(),
        now_s(),
        SIGNING_SECRET,
    );
    let said = stand_in.next("/actions/");
    assert!(
        said["text"].as_str().unwrap().contains("Reason box"),
        "{said}"
    );
    assert_eq!(state_of(&setup, &id), "pending");

    // alice's press, signed by Slack, with the target typed: approved, and said so in
    // place of the message; the agent's identical retry runs once.
    let body = good.body();
    let sent_at = now_s();
    let reply = send(&served, &body, sent_at, SIGNING_SECRET);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let said = stand_in.next(&format!("/actions/{TEAM}/"));
    assert_eq!(said["replace_original"], true, "{said}");
    assert!(
        said["text"]
            .as_str()
            .unwrap()
            .contains("Approved by alice in Slack"),
        "{said}"
    );
    assert_eq!(state_of(&setup, &id), "approved");
    let given = setup
        .records()
        .into_iter()
        .find(|r| r["kind"] == "approval_given")
        .expect("the approval is in the ledger");
    assert_eq!(given["actors"]["human"], "alice", "{given}");
    assert_eq!(given["body"]["proof"], "slack", "{given}");
    assert_eq!(decide(&served, &token, DESTROY)["outcome"], "allow");
    assert_eq!(decide(&served, &token, DESTROY)["outcome"], "ask");

    // The same press again, byte for byte with its signature: taken once only.
    let replayed = send(&served, &body, sent_at, SIGNING_SECRET);
    assert_eq!(replayed.status, 401, "{}", replayed.body);
    assert!(replayed.body.contains("already taken"), "{}", replayed.body);

    // A refusal with a reason, for the next request: the agent is told it.
    let again = stand_in.next(&format!("/services/{TEAM}/"));
    let next_id = elements(&again, "button")[0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(next_id, id);
    let refusal = Press {
        request: &next_id,
        reason: Some("not during the migration"),
        ..press(ALICE, TEAM, "refuse")
    };
    send(&served, &refusal.body(), now_s(), SIGNING_SECRET);
    let said = stand_in.next("/actions/");
    assert!(
        said["text"]
            .as_str()
            .unwrap()
            .contains("Refused by alice in Slack"),
        "{said}"
    );
    assert_eq!(state_of(&setup, &next_id), "refused");
    let retried = decide(&served, &token, DESTROY);
    assert_eq!(retried["outcome"], "deny", "{retried}");
    assert!(
        retried.to_string().contains("not during the migration"),
        "{retried}"
    );

    // An answer is posted only to Slack's own origin: a press naming another address
    // gets its answer in the response instead.
    let third = decide(&served, &token, "rm -rf /srv/other");
    let third_id = third["approval"]["id"].as_str().unwrap().to_owned();
    stand_in.next(&format!("/services/{TEAM}/"));
    let elsewhere = Press {
        request: &third_id,
        response_url: "http://127.0.0.2:9/collect".to_owned(),
        ..press("U0EVE", TEAM, "approve")
    };
    let reply = send(&served, &elsewhere.body(), now_s(), SIGNING_SECRET);
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("not linked"), "{}", reply.body);
    stand_in.quiet();
}

#[test]
fn where_a_passkey_is_required_a_slack_press_gets_the_consoles_link_not_an_approval() {
    let stand_in = StandIn::start();
    let (setup, token) = slack_setup("slack-passkey", &stand_in, "always");
    let served = setup.serve();
    let held = decide(&served, &token, DESTROY);
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    stand_in.next("/services/");
    let target = setup.confirm_of(&id);
    let press = Press {
        user: ALICE,
        team: TEAM,
        action: "approve",
        request: &id,
        confirm: target.as_deref(),
        reason: None,
        response_url: stand_in.response_url(),
    };
    send(&served, &press.body(), now_s(), SIGNING_SECRET);
    let said = stand_in.next("/actions/");
    assert_eq!(said["response_type"], "ephemeral", "{said}");
    let text = said["text"].as_str().unwrap();
    assert!(text.contains("only with a passkey"), "{text}");
    assert!(
        text.contains(&format!("https://holdpoint.example.com/approvals/{id}")),
        "{text}"
    );
    assert_eq!(state_of(&setup, &id), "pending");
}

#[test]
fn a_slack_setup_without_its_signing_secret_does_not_start_and_says_why() {
    let stand_in = StandIn::start();
    let (setup, _) = slack_setup("slack-no-secret", &stand_in, "never");
    std::fs::remove_file(setup.home.join("slack-signing-secret")).unwrap();
    let output = setup.run(&["serve", "--listen", "127.0.0.1:0"], "");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let said = crate::stderr(&output);
    assert!(said.contains("signing_secret_file"), "{said}");
    assert!(said.contains("signing secret"), "{said}");
}
