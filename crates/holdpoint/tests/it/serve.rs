//! `holdpoint serve`: the router driven without a socket (every API route, each role
//! refused where it must be, CSRF, injection), and a few runs over a real socket (a hook
//! held, approved through the API, retried and allowed; a server that is down; webhooks).

use std::io::{BufRead as _, BufReader, Read as _};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use holdpoint::serve::{AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::http;
use crate::setup::{SECRET, Setup};

/// A set-up home with an admin (alice), a human who is not an admin (bob), two agents,
/// and the server's state opened on it.
struct World {
    setup: Setup,
    state: AppState,
    /// Built once, as the server builds it once and clones it for each connection.
    router: axum::Router,
    bot: String,
    other_bot: String,
}

impl World {
    fn new(name: &str) -> Self {
        Self::with_config(name, None)
    }

    /// A world whose holdpoint.toml is `config`.
    fn with_config(name: &str, config: Option<&str>) -> Self {
        let setup = Setup::new(name);
        if let Some(config) = config {
            setup.config(config);
        }
        setup.add_human("alice", None);
        let bot = setup.add_agent("bot");
        let other_bot = setup.add_agent("other-bot");
        setup.add_human("bob", Some("alice"));
        let state = AppState::open(&setup.home, None).unwrap();
        World {
            setup,
            router: app(state.clone()),
            state,
            bot,
            other_bot,
        }
    }

    /// Sends one request through the router; returns the status and the body (JSON when
    /// it is JSON, else a string).
    async fn call(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.send(Self::request(method, path, auth, body)).await
    }

    /// As [`World::call`], from a client at `from` as the TCP listener tells the router;
    /// with the response's `Retry-After`.
    async fn call_from(
        &self,
        from: &str,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> (StatusCode, Option<u64>, Value) {
        self.send_from(from, Self::request(method, path, auth, body))
            .await
    }

    async fn send_from(
        &self,
        from: &str,
        mut request: Request<Body>,
    ) -> (StatusCode, Option<u64>, Value) {
        let address: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(address));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let (status, body) = Self::read(response).await;
        (status, retry_after, body)
    }

    fn request(method: &str, path: &str, auth: Auth<'_>, body: Option<&Value>) -> Request<Body> {
        let mut request = Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            Auth::Cookie(token, csrf) => {
                request = request.header(header::COOKIE, format!("holdpoint_session={token}"));
                if let Some(csrf) = csrf {
                    request = request.header("x-csrf-token", csrf);
                }
            }
        }
        match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap()
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        Self::read(response).await
    }

    async fn read(response: axum::response::Response) -> (StatusCode, Value) {
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// A human's API token.
    async fn sign_in(&self, name: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/sign-in",
                Auth::None,
                Some(&json!({ "name": name, "secret": SECRET })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// The agent `token` proposes a shell command; returns the answer.
    async fn propose(&self, token: &str, input: &str) -> Value {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/decide",
                Auth::Bearer(token),
                Some(
                    &json!({ "surface": "shell", "input": input, "cwd": "/tmp", "session": "s-1" }),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// The console's cookie, with the CSRF header when given.
    Cookie(&'a str, Option<&'a str>),
}

const DESTROY: &str = "rm -rf /srv/data";
const TARGET: &str = "/srv/data";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_allows_and_refuses_each_role_as_it_must() {
    let w = World::new("serve-roles");
    let alice = w.sign_in("alice").await;
    let bob = w.sign_in("bob").await;
    // Material for the routes that need an id: a held request of `bot`, a grant, a
    // freeze (started and ended as part of the table below).
    let held = w.propose(&w.bot, DESTROY).await;
    assert_eq!(held["outcome"], "ask", "{held}");
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let other_held = w.propose(&w.other_bot, "rm -rf /srv/other").await;
    let other_id = other_held["approval"]["id"].as_str().unwrap().to_owned();

    let decide = json!({ "surface": "shell", "input": "ls", "cwd": "/tmp" });
    let executed = json!({ "action": decide, "outcome": "succeeded", "exit_status": 0, "observed_by": "test" });
    let refused =
        json!({ "action": decide, "reason": "the tool is hidden by the gateway's configuration" });
    let grant = json!({ "agent": "bot", "task": "rotate logs", "targets": ["shell:*@staging"], "max_risk": "change", "ttl": "1h", "secret": SECRET });
    let freeze = json!({ "environment": "staging", "reason": "release", "duration": "1h" });
    let confirm = json!({ "confirm": TARGET, "secret": SECRET });
    let refuse = json!({ "reason": "not now" });
    let agent = json!({ "name": "ci-bot", "secret": SECRET });
    let step_up = json!({ "for": "add-passkey" });
    let new_passkey = json!({ "name": "laptop", "secret": SECRET });
    let passkey = json!({ "ceremony": "wac-0", "credential": {} });

    // (method, path, body, anonymous, agent, human, admin)
    type Row<'a> = (&'a str, String, Option<&'a Value>, u16, u16, u16, u16);
    let rows: Vec<Row> = vec![
        (
            "GET",
            "/api/v1/openapi.json".into(),
            None,
            200,
            200,
            200,
            200,
        ),
        (
            "POST",
            "/api/v1/decide".into(),
            Some(&decide),
            401,
            200,
            403,
            403,
        ),
        (
            "POST",
            "/api/v1/executed".into(),
            Some(&executed),
            401,
            200,
            403,
            403,
        ),
        (
            "POST",
            "/api/v1/refused".into(),
            Some(&refused),
            401,
            200,
            403,
            403,
        ),
        ("GET", "/api/v1/approvals".into(), None, 401, 200, 200, 200),
        (
            "GET",
            format!("/api/v1/approvals/{id}"),
            None,
            401,
            200,
            200,
            200,
        ),
        (
            "POST",
            format!("/api/v1/approvals/{id}/approve"),
            Some(&confirm),
            401,
            403,
            200,
            409,
        ),
        (
            "POST",
            format!("/api/v1/approvals/{other_id}/deny"),
            Some(&refuse),
            401,
            403,
            200,
            409,
        ),
        ("GET", "/api/v1/grants".into(), None, 401, 200, 200, 200),
        (
            "POST",
            "/api/v1/grants".into(),
            Some(&grant),
            401,
            403,
            200,
            200,
        ),
        ("GET", "/api/v1/freezes".into(), None, 401, 200, 200, 200),
        (
            "POST",
            "/api/v1/freezes".into(),
            Some(&freeze),
            401,
            403,
            200,
            200,
        ),
        (
            "GET",
            "/api/v1/ledger?from=1&limit=5".into(),
            None,
            401,
            403,
            200,
            200,
        ),
        (
            "GET",
            "/api/v1/ledger/verify".into(),
            None,
            401,
            403,
            200,
            200,
        ),
        (
            "GET",
            "/api/v1/ledger/export".into(),
            None,
            401,
            403,
            200,
            200,
        ),
        (
            "GET",
            "/api/v1/sessions/s-1/report".into(),
            None,
            401,
            403,
            200,
            200,
        ),
        (
            "POST",
            "/api/v1/agents".into(),
            Some(&agent),
            401,
            403,
            403,
            200,
        ),
        // Humans without a passkey have nothing to assert with.
        (
            "POST",
            "/api/v1/step-up".into(),
            Some(&step_up),
            401,
            403,
            400,
            400,
        ),
        ("GET", "/api/v1/passkeys".into(), None, 401, 403, 200, 200),
        (
            "POST",
            "/api/v1/passkeys/challenge".into(),
            Some(&new_passkey),
            401,
            403,
            200,
            200,
        ),
        // No such ceremony.
        (
            "POST",
            "/api/v1/passkeys".into(),
            Some(&passkey),
            401,
            403,
            403,
            403,
        ),
    ];
    for (method, path, body, anonymous, agent, human, admin) in rows {
        for (who, auth, expected) in [
            ("anonymous", Auth::None, anonymous),
            ("agent", Auth::Bearer(&w.bot), agent),
            ("human", Auth::Bearer(&bob), human),
            ("admin", Auth::Bearer(&alice), admin),
        ] {
            let (status, answer) = w.call(method, &path, auth, body).await;
            assert_eq!(
                status.as_u16(),
                expected,
                "{method} {path} as {who}: {answer}"
            );
            if status.is_client_error() {
                assert!(
                    answer["error"].as_str().is_some_and(|e| !e.is_empty()),
                    "{answer}"
                );
            }
        }
    }

    // Revoking and ending need the ids just made; an agent is refused both.
    let (_, grants) = w
        .call("GET", "/api/v1/grants", Auth::Bearer(&alice), None)
        .await;
    let grant_id = grants[0]["id"].as_str().unwrap().to_owned();
    let (_, freezes) = w
        .call("GET", "/api/v1/freezes", Auth::Bearer(&alice), None)
        .await;
    let freeze_id = freezes[0]["id"].as_str().unwrap().to_owned();
    // Ending a freeze lets agents act again: it needs the secret given again too.
    let proof = json!({ "secret": SECRET });
    for (path, body) in [
        (format!("/api/v1/grants/{grant_id}/revoke"), None),
        (format!("/api/v1/freezes/{freeze_id}/end"), Some(&proof)),
    ] {
        let (status, answer) = w.call("POST", &path, Auth::Bearer(&w.bot), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("agent credential cannot")
        );
        let (status, answer) = w.call("POST", &path, Auth::Bearer(&bob), body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        let (status, _) = w.call("POST", &path, Auth::Bearer(&bob), body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path} twice");
    }

    // An agent sees only its own requests: of the two held, the admin sees both and
    // `bot` its one.
    let (_, all) = w
        .call("GET", "/api/v1/approvals", Auth::Bearer(&alice), None)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let (_, mine) = w
        .call("GET", "/api/v1/approvals", Auth::Bearer(&w.bot), None)
        .await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["id"], id.as_str(), "{mine:?}");
    assert_eq!(mine[0]["agent"], "bot", "{mine:?}");
    let (status, _) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{other_id}"),
            Auth::Bearer(&w.bot),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The admin's new agent credential works at once, for deciding only.
    let (_, created) = w
        .call(
            "POST",
            "/api/v1/agents",
            Auth::Bearer(&alice),
            Some(&json!({ "name": "ci-bot-2", "secret": SECRET })),
        )
        .await;
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("hpa.ci-bot-2."));
    let answer = w.propose(token, "ls").await;
    assert_eq!(answer["outcome"], "allow");

    // Nothing an agent tried changed anything: the ledger has no answer, grant or freeze
    // by an agent, and it verifies.
    let (_, verify) = w
        .call("GET", "/api/v1/ledger/verify", Auth::Bearer(&alice), None)
        .await;
    assert_eq!(verify["verified"], true, "{verify}");
    for record in w.setup.records() {
        let kind = record["kind"].as_str().unwrap();
        if [
            "approval_given",
            "approval_refused",
            "grant_issued",
            "grant_revoked",
            "freeze_started",
            "freeze_ended",
            "agent_added",
        ]
        .contains(&kind)
        {
            let human = record["actors"]["human"].as_str().unwrap_or("");
            assert!(
                ["alice", "bob"].contains(&human),
                "{kind} by `{human}`: {record}"
            );
        }
    }
}

/// A program holding a human's sign-in (a token copied off a laptop, or the cookie of a
/// browser an agent drives) cannot approve: an approval carries the secret again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_alone_does_not_approve_the_secret_given_again_does_and_is_recorded() {
    let w = World::new("serve-presence");
    let alice = w.sign_in("alice").await;
    let (cookie, csrf) = console_sign_in(&w, "alice").await;
    let held = w.propose(&w.bot, DESTROY).await;
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/approvals/{id}/approve");
    let tries = [
        (
            Auth::Bearer(&alice),
            json!({ "confirm": TARGET }),
            "give your secret again",
        ),
        (
            Auth::Bearer(&alice),
            json!({ "confirm": TARGET, "secret": "" }),
            "give your secret again",
        ),
        (
            Auth::Bearer(&alice),
            json!({ "confirm": TARGET, "secret": "correct horse batter" }),
            "that is not your secret",
        ),
        (
            Auth::Cookie(&cookie, Some(&csrf)),
            json!({ "confirm": TARGET }),
            "give your secret again",
        ),
    ];
    for (auth, body, said) in tries {
        let (status, answer) = w.call("POST", &path, auth, Some(&body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(said), "{body}: {answer}");
        assert!(message.contains("nothing was done"), "{answer}");
    }
    // The console's form, with the cookie and its CSRF token but no secret: refused on
    // the request's page, beside the form, with what was typed kept.
    let confirm = format!("confirm={}", TARGET.replace(':', "%3A").replace('@', "%40"));
    let (status, page) = form(
        &w,
        &format!("/approvals/{id}/approve"),
        &cookie,
        &format!("csrf={csrf}&{confirm}&reason=ticket+42"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains(r#"id="answer-error""#), "{page}");
    assert!(page.contains("give your secret again"), "{page}");
    assert!(page.contains(r#"value="ticket 42""#), "{page}");
    assert!(page.contains(&format!(r#"value="{TARGET}""#)), "{page}");
    // With a wrong secret, what was typed is kept but never the secret.
    let (status, page) = form(
        &w,
        &format!("/approvals/{id}/approve"),
        &cookie,
        &format!("csrf={csrf}&{confirm}&secret=not+mine"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("that is not your secret"), "{page}");
    assert!(!page.contains("not mine"), "{page}");
    let (_, request) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{id}"),
            Auth::Bearer(&alice),
            None,
        )
        .await;
    assert_eq!(request["state"], "pending", "{request}");
    assert_eq!(request["votes"], json!([]));
    assert!(
        !w.setup
            .records()
            .iter()
            .any(|r| r["kind"] == "approval_given"),
        "an approval without proof was recorded"
    );

    // With the secret: approved, and the vote and its record say what proved it.
    let (status, answer) = w
        .call(
            "POST",
            &path,
            Auth::Bearer(&alice),
            Some(&json!({ "confirm": TARGET, "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "approved");
    assert_eq!(answer["votes"][0]["proof"], "secret", "{answer}");
    let given: Vec<Value> = w
        .setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "approval_given")
        .collect();
    assert_eq!(given.len(), 1);
    assert_eq!(given[0]["body"]["proof"], "secret", "{}", given[0]);
}

/// With `passkey_required`, a production destroy is approved by a passkey only: the
/// secret, which a password manager could fill in for a driven browser, is refused, and
/// the console says what is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_required_refuses_the_secret_for_a_production_destroy() {
    let w = World::with_config(
        "serve-passkey-required",
        Some("passkey_required = \"production-destroys\"\n"),
    );
    let alice = w.sign_in("alice").await;
    let held = w.propose(&w.bot, DESTROY).await;
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let (status, answer) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            Auth::Bearer(&alice),
            Some(&json!({ "confirm": TARGET, "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("may be approved only with a passkey"),
        "{answer}"
    );
    let (cookie, _) = console_sign_in(&w, "alice").await;
    let (_, page) = w
        .call(
            "GET",
            &format!("/approvals/{id}"),
            Auth::Cookie(&cookie, None),
            None,
        )
        .await;
    let page = page.as_str().unwrap();
    assert!(page.contains(r#"id="needs-passkey""#), "{page}");
    assert!(!page.contains(r#"name="secret""#), "{page}");
    let (_, request) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{id}"),
            Auth::Bearer(&alice),
            None,
        )
        .await;
    assert_eq!(request["state"], "pending", "{request}");

    // A bad value is refused with what to write.
    let setup = Setup::new("serve-passkey-required-bad");
    setup.config("passkey_required = \"sometimes\"\n");
    let error = AppState::open(&setup.home, None).unwrap_err();
    assert!(error.contains("\"production-destroys\""), "{error}");
}

/// A sign-in copied off the machine or browser that made it gets nothing: the token from
/// another address, or with another browser's `User-Agent`, is refused; its human sees
/// their sign-ins and ends one, which then works nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_works_only_where_it_was_made_and_its_human_can_end_it() {
    let w = World::new("serve-sign-in-bound");
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    let sign_in = |from: &'static str| {
        let mut request = World::request(
            "POST",
            "/api/v1/sign-in",
            Auth::None,
            Some(&json!({ "name": "alice", "secret": SECRET })),
        );
        request
            .headers_mut()
            .insert(header::USER_AGENT, firefox.parse().unwrap());
        (from, request)
    };
    let (from, request) = sign_in("10.0.4.1");
    let (status, _, body) = w.send_from(from, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let use_it = |from: &'static str, agent: &str| {
        let mut request = World::request("GET", "/api/v1/approvals", Auth::Bearer(&token), None);
        request
            .headers_mut()
            .insert(header::USER_AGENT, agent.parse().unwrap());
        (from, request)
    };
    let (from, request) = use_it("10.0.4.1", firefox);
    let (status, _, body) = w.send_from(from, request).await;
    assert_eq!(status, StatusCode::OK, "where it was made: {body}");
    for (from, agent) in [("10.0.9.9", firefox), ("10.0.4.1", "curl/8.5.0")] {
        let (from, request) = use_it(from, agent);
        let (status, _, body) = w.send_from(from, request).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "from {from} as {agent}: {body}"
        );
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("another address or browser"),
            "{body}"
        );
    }

    // The console lists both of alice's sign-ins; she ends the API one from it.
    let (cookie, csrf) = console_sign_in(&w, "alice").await;
    let (_, page) = w
        .call("GET", "/passkeys", Auth::Cookie(&cookie, None), None)
        .await;
    let page = page.as_str().unwrap().to_owned();
    assert!(page.contains("this one"), "{page}");
    assert!(
        page.contains("10.0.4.1") && page.contains("Firefox/140.0"),
        "{page}"
    );
    let start = page.find("/sign-ins/").unwrap() + "/sign-ins/".len();
    let id = page[start..start + 16].to_owned();
    let (status, page) = form(
        &w,
        &format!("/sign-ins/{id}/end"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (from, request) = use_it("10.0.4.1", firefox);
    let (status, _, body) = w.send_from(from, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "ended, yet: {body}");
    // Another's sign-in, or one that is not there, is not ended.
    let (status, _) = form(
        &w,
        "/sign-ins/0000000000000000/end",
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// What the server answers `bot`'s proposal of `action`.
async fn decide_as_bot(w: &World, action: Value) -> Value {
    let (status, answer) = w
        .call(
            "POST",
            "/api/v1/decide",
            Auth::Bearer(&w.bot),
            Some(&action),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// A file write of several MiB (a lock file, generated data) is decided through the
/// server with its whole text, and the approver is shown the first 256 KiB of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_of_megabytes_is_decided_through_the_server() {
    let w = World::new("serve-big-write");
    let content = "0123456789abcdef\n".repeat(3 * 1024 * 1024 / 17);
    let answer = decide_as_bot(
        &w,
        json!({"surface": "file", "input": "write /etc/big.lock", "cwd": "/tmp",
               "written": {"file_path": "/etc/big.lock", "content": content}}),
    )
    .await;
    assert_eq!(answer["outcome"], "ask", "{answer}");
    let shown = answer["approval"]["shown"].as_str().unwrap();
    assert!(shown.len() < 300 * 1024, "{}", shown.len());
    assert!(shown.ends_with("the approval covers all of them"));
}

/// An agent that proposes a file write itself, with the hash of the text its real call
/// will write but not the text, gets an approval that covers nothing: the real call,
/// which carries the text, is another request, and its approver is shown the text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_approved_only_with_the_text_the_approver_saw() {
    let w = World::new("serve-written");
    let alice = w.sign_in("alice").await;
    let written = json!({"file_path": "/etc/hosts", "content": "0.0.0.0 bank.example\n"});
    let hash = holdpoint_core::content_hash(written.to_string().as_bytes());
    let blind = decide_as_bot(
        &w,
        json!({"surface": "file", "input": "write /etc/hosts", "cwd": "/tmp", "content": [hash]}),
    )
    .await;
    assert_eq!(blind["outcome"], "ask", "{blind}");
    let blind_id = blind["approval"]["id"].as_str().unwrap().to_owned();
    let (_, request) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{blind_id}"),
            Auth::Bearer(&alice),
            None,
        )
        .await;
    assert_eq!(request["shown"], Value::Null, "{request}");
    let (status, answer) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{blind_id}/approve"),
            Auth::Bearer(&alice),
            Some(&json!({ "confirm": "/etc/hosts", "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let real = decide_as_bot(
        &w,
        json!({"surface": "file", "input": "write /etc/hosts", "cwd": "/tmp", "written": written}),
    )
    .await;
    assert_eq!(
        real["outcome"], "ask",
        "the blind approval let it through: {real}"
    );
    let real_id = real["approval"]["id"].as_str().unwrap().to_owned();
    assert_ne!(real_id, blind_id);
    let (_, request) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{real_id}"),
            Auth::Bearer(&alice),
            None,
        )
        .await;
    assert!(
        request["shown"]
            .as_str()
            .unwrap()
            .ends_with("0.0.0.0 bank.example\n"),
        "{request}"
    );
}

/// The console lists the agents with a credential and the humans, with their roles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_lists_agents_and_humans() {
    let w = World::new("serve-people");
    let (cookie, _) = console_sign_in(&w, "alice").await;
    let (status, body) = w
        .call("GET", "/people", Auth::Cookie(&cookie, None), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = body.as_str().unwrap();
    let table = |id: &str| -> Vec<String> {
        let start = body.find(&format!(r#"<table id="{id}">"#)).unwrap();
        let table = &body[start..start + body[start..].find("</table>").unwrap()];
        table
            .split("<tr><td>")
            .skip(1)
            .map(|row| row.split("</td>").next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(table("agents"), ["bot", "other-bot"]);
    assert_eq!(table("humans"), ["alice", "bob"]);
    assert!(
        body.contains("<td>alice</td><td>admin</td><td>0</td>"),
        "{body}"
    );
    assert!(
        body.contains("<td>bob</td><td>approver</td><td>0</td>"),
        "{body}"
    );
}

/// A table with nothing in it says so, rather than showing bare headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_console_tables_say_why_they_are_empty() {
    let w = World::new("serve-empty");
    let (cookie, _) = console_sign_in(&w, "alice").await;
    for (page, said) in [
        ("/grants", "No grants"),
        ("/freezes", "No freezes"),
        ("/activity", "No decisions match"),
        ("/recovery", "No recovery points"),
    ] {
        let (status, body) = w.call("GET", page, Auth::Cookie(&cookie, None), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let body = body.as_str().unwrap();
        assert!(
            body.contains(r#"<tr class="empty">"#) && body.contains(said),
            "{page}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_action_approved_through_the_api_runs_once() {
    let w = World::new("serve-approve");
    let alice = w.sign_in("alice").await;
    let held = w.propose(&w.bot, DESTROY).await;
    assert_eq!(held["outcome"], "ask");
    assert!(
        held["message"]
            .as_str()
            .unwrap()
            .contains("/approvals/apr-"),
        "{held}"
    );
    let id = held["approval"]["id"].as_str().unwrap().to_owned();

    // A wrong target name is refused; the request stays pending.
    let (status, answer) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            Auth::Bearer(&alice),
            Some(&json!({ "confirm": "shell:other", "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    // A long-poll on the request ends as soon as it is approved.
    let waiter = {
        let w_state = w.state.clone();
        let bot = w.bot.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let request = Request::get(format!("/api/v1/approvals/{id}?wait=30"))
                .header(header::AUTHORIZATION, format!("Bearer {bot}"))
                .body(Body::empty())
                .unwrap();
            let response = app(w_state).oneshot(request).await.unwrap();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                started.elapsed(),
                serde_json::from_slice::<Value>(&bytes).unwrap(),
            )
        })
    };
    // The approval is given once the long-poll is waiting, so that it is the approval
    // that ends it.
    let started = Instant::now();
    while w.state.waiting() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the long-poll never started waiting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !waiter.is_finished(),
        "the long-poll answered before the approval"
    );
    let (status, answer) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            Auth::Bearer(&alice),
            Some(&json!({ "confirm": TARGET, "reason": "planned", "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "approved");
    let (waited, seen) = waiter.await.unwrap();
    assert_eq!(seen["state"], "approved", "{seen}");
    assert!(
        waited < Duration::from_secs(10),
        "the long-poll waited {waited:?}"
    );

    // The identical retry is allowed once; a changed action is a new request; the same
    // action again is held again.
    let retry = w.propose(&w.bot, DESTROY).await;
    assert_eq!(retry["outcome"], "allow", "{retry}");
    assert!(
        retry["message"]
            .as_str()
            .unwrap()
            .contains("approved by alice")
    );
    let changed = w.propose(&w.bot, "rm -rf /srv/data2").await;
    assert_eq!(changed["outcome"], "ask");
    let again = w.propose(&w.bot, DESTROY).await;
    assert_eq!(again["outcome"], "ask");
    assert_ne!(again["approval"]["id"], id.as_str());

    // A refusal stands for the identical action, with the human's reason.
    let second = again["approval"]["id"].as_str().unwrap().to_owned();
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{second}/deny"),
            Auth::Bearer(&alice),
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a refusal needs a reason");
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{second}/deny"),
            Auth::Bearer(&alice),
            Some(&json!({ "reason": "freeze week" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let refused = w.propose(&w.bot, DESTROY).await;
    assert_eq!(refused["outcome"], "deny");
    assert!(
        refused["message"].as_str().unwrap().contains("freeze week"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_one_clear_json_error_and_change_nothing() {
    let w = World::new("serve-bad");
    let size_before = w.setup.records().len();
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        (
            "POST",
            "/api/v1/decide",
            "{not json".into(),
            400,
            "not what this route takes",
        ),
        (
            "POST",
            "/api/v1/decide",
            json!({ "surface": "shell", "input": "ls" }).to_string(),
            422,
            "cwd",
        ),
        (
            "POST",
            "/api/v1/decide",
            json!({ "surface": "shell", "input": "ls", "cwd": "/", "extra": 1 }).to_string(),
            422,
            "extra",
        ),
        (
            "POST",
            "/api/v1/decide",
            json!({ "surface": "telnet", "input": "ls", "cwd": "/" }).to_string(),
            400,
            "surface",
        ),
        (
            "POST",
            "/api/v1/decide",
            json!({ "surface": "shell", "input": "ls", "cwd": "tmp" }).to_string(),
            400,
            "absolute",
        ),
        // An action may carry a file's whole text, up to 32 MiB; every other body, 1 MiB.
        (
            "POST",
            "/api/v1/decide",
            "x".repeat(33 * 1024 * 1024),
            413,
            "",
        ),
        (
            "POST",
            "/api/v1/grants",
            "x".repeat(2 * 1024 * 1024),
            413,
            "",
        ),
        (
            "GET",
            "/api/v1/approvals?state=lost",
            String::new(),
            400,
            "state",
        ),
        (
            "GET",
            "/api/v1/approvals/apr-nothere",
            String::new(),
            404,
            "apr-nothere",
        ),
        (
            "GET",
            "/api/v1/no-such-route",
            String::new(),
            404,
            "openapi",
        ),
    ];
    for (method, path, body, expected, mention) in cases {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", w.bot))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, answer) = w.send(request).await;
        assert_eq!(
            status.as_u16(),
            expected,
            "{method} {path} {}: {answer}",
            &body[..body.len().min(60)]
        );
        if expected != 413 {
            let error = answer["error"]
                .as_str()
                .unwrap_or_else(|| panic!("no JSON error: {answer}"));
            assert!(error.contains(mention), "{error}");
        }
    }
    // A token that is not one, and a forged agent token.
    for token in ["nonsense", "hpa.bot.0000", "hps.0000"] {
        let (status, answer) = w
            .call("GET", "/api/v1/approvals", Auth::Bearer(token), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {answer}");
    }
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/sign-in",
            Auth::None,
            Some(&json!({ "name": "alice", "secret": "wrong" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/sign-in",
            Auth::None,
            Some(&json!({ "name": "nobody", "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        w.setup.records().len(),
        size_before,
        "a bad request was recorded"
    );
}

/// The console's sign-in for `name`: the session cookie value and the page's CSRF token.
async fn console_sign_in(w: &World, name: &str) -> (String, String) {
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "name={name}&secret={}&next=%2F",
            SECRET.replace(' ', "+")
        )))
        .unwrap();
    let response = app(w.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("holdpoint_session=")
        .unwrap()
        .to_owned();
    let (_, page) = w
        .call("GET", "/grants", Auth::Cookie(&token, None), None)
        .await;
    let page = page.as_str().unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = page[at..at + 32].to_owned();
    (token, csrf)
}

async fn form(w: &World, path: &str, cookie: &str, body: &str) -> (StatusCode, String) {
    let request = Request::post(path)
        .header(header::COOKIE, format!("holdpoint_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let (status, body) = w.send(request).await;
    (
        status,
        body.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| body.to_string()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_changes_need_the_sign_ins_csrf_token() {
    let w = World::new("serve-csrf");
    let held = w.propose(&w.bot, DESTROY).await;
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let (alice, alice_csrf) = console_sign_in(&w, "alice").await;
    let (bob, bob_csrf) = console_sign_in(&w, "bob").await;
    assert_ne!(alice_csrf, bob_csrf);
    let path = format!("/approvals/{id}/approve");
    let confirm = format!(
        "confirm={}&secret={}",
        TARGET.replace(':', "%3A").replace('@', "%40"),
        SECRET.replace(' ', "+")
    );

    // No token, a wrong one, and another human's: refused, nothing recorded.
    let (status, _) = form(&w, &path, &alice, &confirm).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no csrf field");
    for wrong in ["0".repeat(32), bob_csrf.clone(), String::new()] {
        let (status, page) = form(&w, &path, &alice, &format!("csrf={wrong}&{confirm}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "csrf `{wrong}`: {page}");
        assert!(page.contains("CSRF token does not match"), "{page}");
    }
    // The API with the cookie: a change needs the header too.
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            Auth::Cookie(&alice, None),
            Some(&json!({ "confirm": TARGET, "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            Auth::Cookie(&alice, Some(&bob_csrf)),
            Some(&json!({ "confirm": TARGET, "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A cookie nobody was given is no sign-in: the console asks to sign in.
    let (status, _) = form(
        &w,
        &path,
        "hps.forged",
        &format!("csrf={alice_csrf}&{confirm}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, request) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{id}"),
            Auth::Bearer(&w.bot),
            None,
        )
        .await;
    assert_eq!(request["state"], "pending", "{request}");
    assert_eq!(request["votes"], json!([]));

    // Bob's own cookie and token approve as bob, whatever the form says.
    let (status, page) = form(
        &w,
        &path,
        &bob,
        &format!("csrf={bob_csrf}&{confirm}&human=alice"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, request) = w
        .call(
            "GET",
            &format!("/api/v1/approvals/{id}"),
            Auth::Bearer(&w.bot),
            None,
        )
        .await;
    assert_eq!(request["state"], "approved", "{request}");
    assert_eq!(request["votes"][0]["human"], "bob");

    // Signing out ends the sign-in: the cookie no longer works.
    let (status, _) = form(&w, "/logout", &bob, &format!("csrf={bob_csrf}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = w
        .call("GET", "/api/v1/approvals", Auth::Cookie(&bob, None), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_from_agents_and_humans_is_shown_escaped_and_stored_intact() {
    let w = World::new("serve-inject");
    let alice = w.sign_in("alice").await;
    let script = r#"<script>alert(1)</script>"#;
    let img = r#""><img src=x onerror=alert(2)>"#;
    let sql = "x'); DROP TABLE records; --";
    // The freeze's reason is in the banner on every page; its own script tells it apart.
    let frozen = r#"<script>alert(3)</script>"#;
    let input = format!("rm -rf /srv/{sql} # {script} {img}");
    let held = w.propose(&w.bot, &input).await;
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let (status, _) = w
        .call("POST", "/api/v1/grants", Auth::Bearer(&alice), Some(&json!({ "agent": format!("bot{script}"), "task": format!("{sql} {img}"), "targets": [format!("shell:{script}")], "secret": SECRET })))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/freezes",
            Auth::Bearer(&alice),
            Some(&json!({ "environment": "staging", "reason": format!("{frozen}{sql}") })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/approvals/{id}/deny"),
            Auth::Bearer(&alice),
            Some(&json!({ "reason": format!("{img}{sql}") })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (cookie, _) = console_sign_in(&w, "alice").await;
    // Each page shows the text it is about, escaped: a page that dropped the text would
    // have no live markup either.
    let script_shown = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let img_shown = "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;";
    let frozen_shown = "&lt;script&gt;alert(3)&lt;/script&gt;x&#39;); DROP TABLE records; --";
    let banner = r#"<div class="banner" role="alert">"#;
    let action = [script_shown, img_shown];
    let grant = format!("bot{script_shown}");
    let freeze = format!("<td>{frozen_shown}</td>");
    for (page, shown) in [
        (format!("/approvals/{id}"), &action[..]),
        ("/grants".into(), &[grant.as_str(), img_shown][..]),
        ("/freezes".into(), &[freeze.as_str()][..]),
        ("/activity".into(), &action[..]),
        ("/sessions/s-1".into(), &action[..]),
        ("/ledger".into(), &[script_shown][..]),
        ("/".into(), &[][..]),
    ] {
        let (status, html) = w
            .call("GET", &page, Auth::Cookie(&cookie, None), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let html = html.as_str().unwrap();
        for text in shown {
            assert!(
                html.contains(text),
                "{page} does not show `{text}`:\n{html}"
            );
        }
        let in_banner = html
            .split(banner)
            .nth(1)
            .is_some_and(|rest| rest.contains(frozen_shown));
        assert!(
            in_banner,
            "{page} has no banner showing the freeze:\n{html}"
        );
        assert!(!html.contains("<script>alert"), "{page} has a live script");
        assert!(!html.contains("<img src=x"), "{page} has a live image");
        assert!(
            !html.contains(r#""><img"#),
            "{page} breaks out of an attribute"
        );
    }
    let (_, detail) = w
        .call(
            "GET",
            &format!("/approvals/{id}"),
            Auth::Cookie(&cookie, None),
            None,
        )
        .await;
    let detail = detail.as_str().unwrap();
    assert!(
        detail.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the text is shown, escaped"
    );
    assert!(detail.contains("DROP TABLE records; --"));
    let (_, page) = w
        .call("GET", "/freezes", Auth::Cookie(&cookie, None), None)
        .await;
    assert!(
        page.as_str().unwrap().contains(r#"class="banner""#),
        "the freeze banner shows"
    );
    // The console's responses forbid inline script outright.
    let response = app(w.state.clone())
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let policy = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );

    // Names are checked, not escaped: markup or SQL in one is refused at the door.
    let (status, answer) = w
        .call(
            "POST",
            "/api/v1/agents",
            Auth::Bearer(&alice),
            Some(&json!({ "name": script })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/sign-in",
            Auth::None,
            Some(&json!({ "name": "alice' OR '1'='1", "secret": "' OR '1'='1" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Stored as given: the SQL text is data, the tables are intact, the ledger verifies.
    let (_, grants) = w
        .call("GET", "/api/v1/grants", Auth::Bearer(&alice), None)
        .await;
    assert_eq!(grants[0]["task"], format!("{sql} {img}"));
    let (_, verify) = w
        .call("GET", "/api/v1/ledger/verify", Auth::Bearer(&alice), None)
        .await;
    assert_eq!(verify["verified"], true, "{verify}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let w = World::new("serve-openapi");
    let (status, doc) = w
        .call("GET", "/api/v1/openapi.json", Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/decide",
        "/executed",
        "/approvals",
        "/approvals/{id}",
        "/approvals/{id}/approve",
        "/approvals/{id}/deny",
        "/grants",
        "/grants/{id}/revoke",
        "/freezes",
        "/freezes/{id}/end",
        "/ledger",
        "/ledger/verify",
        "/ledger/export",
        "/sessions/{session}/report",
        "/agents",
        "/sign-in",
        "/step-up",
        "/passkeys",
        "/passkeys/challenge",
    ] {
        assert!(paths.contains_key(path), "{path} is not described");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["DecideResponse"].is_object());
}

// ----- failed sign-ins are throttled ----------------------------------------------

/// How long 20 refusals may take in all: far less than one password hash each (a check
/// of a wrong secret is timed below for comparison).
const TWENTY_REFUSALS: Duration = Duration::from_millis(100);

/// Asserts a refusal for failing too often, naming `who`; returns its `Retry-After`.
fn assert_throttled(status: StatusCode, retry_after: Option<u64>, body: &Value, who: &str) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let seconds = retry_after.unwrap_or_else(|| panic!("a 429 without Retry-After: {body}"));
    assert!((1..=60).contains(&seconds), "Retry-After: {seconds}");
    let message = body["error"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| body.as_str().map(str::to_owned))
        .unwrap();
    assert!(
        message.contains(&format!("too many failed sign-ins {who}")),
        "{message}"
    );
}

async fn approvals_from(w: &World, from: &str, token: &str) -> (StatusCode, Option<u64>, Value) {
    w.call_from(from, "GET", "/api/v1/approvals", Auth::Bearer(token), None)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_agent_and_sign_in_tokens_are_throttled_per_address_before_any_hash() {
    let w = World::new("serve-throttle-tokens");
    let guesser = "10.0.0.1";
    // Alice signed in there before the guessing began.
    let (status, _, body) = w
        .call_from(
            guesser,
            "POST",
            "/api/v1/sign-in",
            Auth::None,
            Some(&json!({ "name": "alice", "secret": SECRET })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let alice = body["token"].as_str().unwrap().to_owned();
    // Ten failures of every kind: a wrong secret for an agent that exists (each costs a
    // password hash), an agent that does not exist, malformed tokens, and sign-in
    // tokens nobody was given.
    let started = Instant::now();
    for token in [
        "hpa.bot.wrong",
        "hpa.bot.guess",
        "hpa.bot.0000",
        "hpa.bot.1111",
    ] {
        let (status, _, body) = approvals_from(&w, guesser, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {body}");
    }
    let hashed = started.elapsed() / 4;
    for token in [
        "hpa.nobody.secret",
        "hpa.ghost.secret",
        "hpa.no-dot",
        "nonsense",
        "hps.forged-1",
        "hps.forged-2",
    ] {
        let (status, _, body) = approvals_from(&w, guesser, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {body}");
    }
    // The eleventh is refused unchecked, quickly, whatever it is.
    let started = Instant::now();
    for _ in 0..20 {
        let (status, retry_after, body) = approvals_from(&w, guesser, "hpa.bot.wrong").await;
        assert_throttled(status, retry_after, &body, "from 10.0.0.1");
    }
    let refused = started.elapsed();
    eprintln!("a wrong agent secret checked: {hashed:?}; 20 refused unchecked: {refused:?}");
    assert!(refused < TWENTY_REFUSALS, "20 refusals took {refused:?}");
    for token in ["hpa.nobody.secret", "nonsense", "hps.forged-3"] {
        let (status, retry_after, body) = approvals_from(&w, guesser, token).await;
        assert_throttled(status, retry_after, &body, "from 10.0.0.1");
    }
    // Even a right credential the server has not checked before is refused from there;
    // from another address it works, and once checked it is no guess, so it works
    // from the barred address too.
    let (status, retry_after, body) = approvals_from(&w, guesser, &w.other_bot).await;
    assert_throttled(status, retry_after, &body, "from 10.0.0.1");
    let (status, _, body) = w
        .call_from(
            "10.0.0.2",
            "GET",
            "/api/v1/approvals",
            Auth::Bearer(&w.other_bot),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = approvals_from(&w, guesser, &w.other_bot).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same for a human's sign-in token that exists, made there before.
    let (status, _, body) = approvals_from(&w, guesser, &alice).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn sign_in_body(name: &str, secret: &str) -> Value {
    json!({ "name": name, "secret": secret })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_sign_ins_are_throttled_per_address_and_per_name_before_any_hash() {
    let w = World::new("serve-throttle-sign-in");
    let sign_in = |from: &'static str, name: &'static str, secret: &'static str| {
        let body = sign_in_body(name, secret);
        let w = &w;
        async move {
            w.call_from(from, "POST", "/api/v1/sign-in", Auth::None, Some(&body))
                .await
        }
    };
    // Alice works from 10.0.1.9.
    let (status, _, body) = sign_in("10.0.1.9", "alice", SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Ten wrong secrets from one address; the eleventh try is refused unhashed, even
    // with the right secret.
    let started = Instant::now();
    for _ in 0..10 {
        let (status, _, body) = sign_in("10.0.1.1", "alice", "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let hashed = started.elapsed() / 10;
    let (status, retry_after, body) = sign_in("10.0.1.1", "alice", SECRET).await;
    assert_throttled(status, retry_after, &body, "from 10.0.1.1");
    let started = Instant::now();
    for _ in 0..20 {
        let (status, retry_after, body) = sign_in("10.0.1.1", "alice", "wrong").await;
        assert_throttled(status, retry_after, &body, "from 10.0.1.1");
    }
    let refused = started.elapsed();
    eprintln!("a wrong secret checked: {hashed:?}; 20 sign-ins refused unchecked: {refused:?}");
    assert!(refused < TWENTY_REFUSALS, "20 refusals took {refused:?}");

    // Another address signs in. Alice's name failed ten times, so a new address is
    // refused as her until the window ends; where she signed in before, she still can.
    let (status, _, body) = sign_in("10.0.1.2", "bob", SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, retry_after, body) = sign_in("10.0.1.2", "alice", SECRET).await;
    assert_throttled(status, retry_after, &body, "as `alice`");
    let (status, _, body) = sign_in("10.0.1.9", "alice", SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A guess spread over many addresses, one each, is slowed by the name's count.
    let guessers: Vec<String> = (1..=10).map(|i| format!("10.0.2.{i}")).collect();
    for from in &guessers {
        let (status, _, body) = w
            .call_from(
                from,
                "POST",
                "/api/v1/sign-in",
                Auth::None,
                Some(&sign_in_body("bob", "guess")),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{from}: {body}");
    }
    let (status, retry_after, body) = sign_in("10.0.2.100", "bob", SECRET).await;
    assert_throttled(status, retry_after, &body, "as `bob`");
}

/// The console's sign-in form, as a browser sends it.
fn login_form(name: &str, secret: &str) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "name={name}&secret={}&next=%2F",
            secret.replace(' ', "+")
        )))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_sign_ins_are_throttled_per_address_before_any_hash() {
    let w = World::new("serve-throttle-console");
    let guesser = "10.0.3.1";
    for _ in 0..10 {
        let (status, _, page) = w.send_from(guesser, login_form("alice", "wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(page.as_str().unwrap().contains("wrong name or secret"));
    }
    let (status, retry_after, page) = w.send_from(guesser, login_form("alice", SECRET)).await;
    assert_throttled(status, retry_after, &page, "from 10.0.3.1");
    assert!(
        page.as_str()
            .unwrap()
            .contains(r#"<p class="error" id="error">"#),
        "the sign-in form says why: {page}"
    );
    let started = Instant::now();
    for _ in 0..20 {
        let (status, retry_after, page) = w.send_from(guesser, login_form("alice", "wrong")).await;
        assert_throttled(status, retry_after, &page, "from 10.0.3.1");
    }
    let refused = started.elapsed();
    eprintln!("20 console sign-ins refused unchecked: {refused:?}");
    assert!(refused < TWENTY_REFUSALS, "20 refusals took {refused:?}");
    // One count for the console and the API.
    let (status, retry_after, body) = w
        .call_from(
            guesser,
            "POST",
            "/api/v1/sign-in",
            Auth::None,
            Some(&sign_in_body("bob", SECRET)),
        )
        .await;
    assert_throttled(status, retry_after, &body, "from 10.0.3.1");
    // A cookie from the barred address that names no sign-in is refused as such, not
    // sent to a sign-in form that would refuse it.
    let page = Request::get("/grants")
        .header(header::COOKIE, "holdpoint_session=hps.forged")
        .body(Body::empty())
        .unwrap();
    let (status, retry_after, page) = w.send_from(guesser, page).await;
    assert_throttled(status, retry_after, &page, "from 10.0.3.1");
    // Another address signs in at the console.
    let response = w
        .router
        .clone()
        .oneshot({
            let mut request = login_form("bob", SECRET);
            request
                .extensions_mut()
                .insert(ConnectInfo(std::net::SocketAddr::from(([10, 0, 3, 2], 1))));
            request
        })
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers().contains_key(header::SET_COOKIE));
    // A browser holding a cookie that names no sign-in is told to drop it, so that it
    // does not count as a failure every time the queue page polls.
    let page = Request::get("/")
        .header(header::COOKIE, "holdpoint_session=hps.ended")
        .body(Body::empty())
        .unwrap();
    let response = w.router.clone().oneshot(page).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("holdpoint_session=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
}

// ----- over a real socket ---------------------------------------------------------

#[test]
fn a_hook_through_the_server_is_held_approved_through_the_api_retried_and_allowed() {
    let setup = Setup::new("serve-socket");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let served = setup.serve();
    assert!(served.socket.exists(), "no socket: {}", served.log());
    setup.use_server(&token);
    let input = json!({
        "session_id": "sock-1",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": setup.work().to_str().unwrap(),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": DESTROY },
    });
    let (output, answer) = setup.hook("claude-code", &input);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let answer = answer.unwrap();
    let reason = answer["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");
    assert!(reason.contains(&served.url("/approvals/apr-")), "{reason}");
    let id = reason.split("request ").nth(1).unwrap()[..12].to_owned();

    let alice = http::sign_in(&served.address, "alice", SECRET);
    let approved = http::json(
        &served.address,
        "POST",
        &format!("/api/v1/approvals/{id}/approve"),
        &alice,
        &json!({ "confirm": TARGET, "secret": SECRET }),
    );
    assert_eq!(approved.status, 200, "{}", approved.body);

    let (output, answer) = setup.hook("claude-code", &input);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        answer,
        None,
        "an allowed call gets no opinion: {:?}",
        crate::stdout(&output)
    );
    let (_, answer) = setup.hook("claude-code", &input);
    assert_eq!(
        answer.unwrap()["hookSpecificOutput"]["permissionDecision"],
        "deny",
        "used once"
    );

    // The post-tool event is recorded under the same digest, through the server.
    let mut post = input.clone();
    post["hook_event_name"] = json!("PostToolUse");
    post["tool_response"] = json!({ "stdout": "", "stderr": "" });
    let (output, _) = setup.hook("claude-code", &post);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let records = setup.records();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"approval_used") && kinds.contains(&"executed"),
        "{kinds:?}"
    );
    let agents: Vec<&str> = records
        .iter()
        .filter_map(|r| r["actors"]["agent"].as_str())
        .collect();
    assert!(!agents.is_empty(), "{records:?}");
    assert!(
        agents.iter().all(|a| *a == "claude"),
        "the credential names the agent: {agents:?}"
    );
}

#[test]
fn through_the_server_a_turns_instruction_is_recorded_and_its_end_told_from_the_servers_ledger() {
    let setup = Setup::new("serve-turns");
    setup.add_human("alice", None);
    let claude = setup.add_agent("claude");
    let codex = setup.add_agent("codex");
    let _served = setup.serve();
    setup.use_server(&claude);
    let cwd = setup.work().to_str().unwrap().to_owned();
    let event = |name: &str, extra: Value| {
        let mut input = json!({
            "session_id": "turn-1", "transcript_path": "/tmp/t.jsonl", "cwd": cwd,
            "permission_mode": "default", "hook_event_name": name,
        });
        for (key, value) in extra.as_object().unwrap() {
            input[key] = value.clone();
        }
        input
    };
    let hook = |input: &Value| {
        let (output, answer) = setup.hook("claude-code", input);
        assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
        answer
    };
    // The person's instruction goes to the server's ledger, secrets redacted there.
    let said = "clear out staging; the deploy token is ghp_0123456789abcdefABCDEF";
    assert_eq!(
        hook(&event("UserPromptSubmit", json!({"prompt": said}))),
        None
    );
    // The turn: a held destroy, which shows the instruction, and a refusal.
    let bash = |command: &str| {
        event(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_input": {"command": command}}),
        )
    };
    let answer = hook(&bash(DESTROY)).unwrap();
    let reason = answer["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = reason.split("request ").nth(1).unwrap()[..12].to_owned();
    let shown = setup.run(&["approvals", "show", &id, "--format", "json"], "");
    let request: Value = serde_json::from_str(&crate::stdout(&shown)).unwrap();
    let asked = request["asked"]
        .as_str()
        .unwrap_or_else(|| panic!("{request}"));
    assert!(asked.starts_with("clear out staging"), "{asked}");
    assert!(
        asked.contains("[redacted]") && !asked.contains("ghp_0123"),
        "{asked}"
    );
    let config = format!("{}/holdpoint.toml", setup.home.display());
    let refused = format!("echo 'url = \"http://example.com\"' >> {config}");
    let answer = hook(&bash(&refused)).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");

    // The turn's end: the server's account, which tells the agent once.
    let answer = hook(&event("Stop", json!({"stop_hook_active": false}))).unwrap();
    let account = answer["systemMessage"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    assert!(account.contains("from its ledger"), "{account}");
    assert!(account.contains("asked: \"clear out staging"), "{account}");
    assert!(account.contains(&format!("held: `{DESTROY}`")), "{account}");
    assert!(
        account.contains(&format!("refused: `{refused}`")),
        "{account}"
    );
    assert_eq!(answer["decision"], "block", "{answer}");
    let answer = hook(&event("Stop", json!({"stop_hook_active": true}))).unwrap();
    assert_eq!(
        answer.get("decision"),
        None,
        "never blocked twice: {answer}"
    );
    let account = answer["systemMessage"].as_str().unwrap();
    assert!(
        account.contains(&format!("held: `{DESTROY}`")) && !account.contains("refused"),
        "{account}"
    );

    // Another agent naming the same session is given no account of it.
    setup.use_server(&codex);
    let answer = hook(&event("Stop", json!({"stop_hook_active": false}))).unwrap();
    let message = answer["systemMessage"].as_str().unwrap();
    assert!(
        message.contains("holdpoint could not give its account")
            && message.contains("another agent's records")
            && !message.contains(DESTROY),
        "{message}"
    );
    assert_eq!(answer.get("decision"), None, "{answer}");
    // The instruction is the server's record, under the agent its credential names.
    let instructed: Vec<Value> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "instructed")
        .collect();
    assert_eq!(instructed.len(), 1, "{instructed:?}");
    assert_eq!(instructed[0]["actors"]["agent"], "claude");
    assert_eq!(instructed[0]["actors"]["session"], "turn-1");
}

#[test]
fn with_a_server_named_the_approvals_command_asks_it_and_the_secret_is_checked_there() {
    let setup = Setup::new("serve-cli");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    let _served = setup.serve();
    setup.use_server(&token);
    let input = json!({
        "session_id": "cli-1", "transcript_path": "/tmp/t.jsonl",
        "cwd": setup.work().to_str().unwrap(), "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": { "command": DESTROY },
    });
    let (_, answer) = setup.hook("claude-code", &input);
    let reason = answer.unwrap()["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = reason.split("request ").nth(1).unwrap()[..12].to_owned();

    // The agent lists its own requests with its credential, from a pipe.
    let listed = setup.run(&["approvals", "list", "--format", "json"], "");
    assert_eq!(listed.status.code(), Some(0), "{}", crate::stderr(&listed));
    let listed: Value = serde_json::from_str(&crate::stdout(&listed)).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    // Answering needs a human at the terminal; a wrong secret is refused by the server.
    let denied = setup.run(&["approvals", "deny", &id, "--reason", "no"], "");
    assert_eq!(denied.status.code(), Some(2));
    assert!(crate::stderr(&denied).contains("terminal"));
    let mut t = setup.terminal(&[
        "approvals",
        "deny",
        &id,
        "--reason",
        "not now",
        "--as",
        "alice",
    ]);
    t.answer("secret for alice", "not the secret");
    let (code, text) = t.finish();
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("wrong secret"), "{text}");
    let mut t = setup.terminal(&[
        "approvals",
        "deny",
        &id,
        "--reason",
        "not now",
        "--as",
        "alice",
    ]);
    t.answer("secret for alice", SECRET);
    let (code, text) = t.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("refused {id} as alice")), "{text}");
    let (_, answer) = setup.hook("claude-code", &input);
    let reason = answer.unwrap()["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("not now"), "{reason}");
}

#[test]
fn hooks_and_exec_refuse_when_the_named_server_is_down_or_the_credential_is_wrong() {
    let setup = Setup::new("serve-down");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude");
    setup.use_server(&token);
    let input = json!({
        "session_id": "down-1", "transcript_path": "/tmp/t.jsonl",
        "cwd": setup.work().to_str().unwrap(), "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": { "command": "ls" },
    });
    let (output, answer) = setup.hook("claude-code", &input);
    assert_eq!(output.status.code(), Some(2));
    let reason = answer.unwrap()["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("cannot be reached") && reason.contains("holdpoint serve"),
        "{reason}"
    );
    let output = setup.run(&["exec", "--", "true"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(crate::stderr(&output).contains("cannot be reached"));

    let _served = setup.serve();
    setup.use_server("hpa.claude.not-the-secret");
    let (output, answer) = setup.hook("claude-code", &input);
    assert_eq!(output.status.code(), Some(2));
    let reason = answer.unwrap()["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("401") && reason.contains("not valid"),
        "{reason}"
    );
    setup.use_server(&token);
    let (output, answer) = setup.hook("claude-code", &input);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    assert_eq!(answer, None);
}

#[test]
fn exec_through_the_server_waits_for_an_approval_given_in_the_api() {
    let setup = Setup::new("serve-exec");
    setup.add_human("alice", None);
    let token = setup.add_agent("runner");
    let served = setup.serve();
    setup.use_server(&token);
    let flag = setup.scratch.0.join("ran");
    let mark = setup.scratch.0.join("mark");
    std::fs::copy("/usr/bin/touch", &mark).unwrap();
    let mut child = setup
        .command(&[
            "exec",
            "--wait",
            "60s",
            "--",
            mark.to_str().unwrap(),
            flag.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.contains("held this action"), "{first}");
    let id = first.split("request ").nth(1).unwrap()[..12]
        .trim_end_matches(['.', ' '])
        .to_owned();
    let alice = http::sign_in(&served.address, "alice", SECRET);
    let started = Instant::now();
    let approved = http::json(
        &served.address,
        "POST",
        &format!("/api/v1/approvals/{id}/approve"),
        &alice,
        &json!({ "secret": SECRET }),
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    let status = child.wait().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(flag.exists(), "the approved command ran");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "exec noticed the approval late"
    );
}

#[test]
fn a_new_request_is_posted_to_the_webhook_and_a_dead_webhook_delays_nothing() {
    let setup = Setup::new("serve-webhook");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_address = listener.local_addr().unwrap();
    // A webhook that takes the connection and never answers: a decision that waited for
    // it would wait for the client's 10 s timeout.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = black_hole.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in black_hole.incoming() {
            held.push(stream);
        }
    });
    setup.config(&format!(
        "[server]\npublic_url = \"https://holdpoint.example.com\"\n\n[[webhook]]\nurl = \"http://{dead}/dead\"\n\n[[webhook]]\nurl = \"http://{hook_address}/hooks/abc\"\n"
    ));
    let served = setup.serve();
    let rx = http::posts(listener);
    let started = Instant::now();
    let held = http::json(
        &served.address,
        "POST",
        "/api/v1/decide",
        &token,
        &json!({ "surface": "shell", "input": DESTROY, "cwd": "/tmp" }),
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the decision waited for webhooks: {:?}",
        started.elapsed()
    );
    assert_eq!(held.header("content-type"), Some("application/json"));
    assert_eq!(held.json()["outcome"], "ask");
    let id = held.json()["approval"]["id"].as_str().unwrap().to_owned();
    // The dead webhook waits out its timeouts and backoff; the live one gets it at once.
    let (head, body) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the webhook was never called");
    let body = String::from_utf8(body).unwrap();
    assert!(head.starts_with("POST /hooks/abc HTTP/1.1"), "{head}");
    let message: Value = serde_json::from_str(&body).unwrap();
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("https://holdpoint.example.com/approvals/{id}")),
        "{text}"
    );
    assert!(text.contains("rm -rf /srv/data"), "{text}");
    assert_eq!(message["holdpoint"]["request"], id.as_str());
    assert_eq!(message["holdpoint"]["risk"], "destroy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_edited_while_the_server_runs_takes_effect_and_a_broken_one_refuses_all() {
    let w = World::new("serve-policy");
    assert_eq!(w.propose(&w.bot, "ls").await["outcome"], "allow");
    let broken = w.setup.home.join("policies/broken.cedar");
    std::fs::write(
        &broken,
        "permit(principal, action, resource) when { nonsense",
    )
    .unwrap();
    let started = Instant::now();
    let error = loop {
        let (status, answer) = w
            .call(
                "POST",
                "/api/v1/decide",
                Auth::Bearer(&w.bot),
                Some(&json!({ "surface": "shell", "input": "ls", "cwd": "/tmp" })),
            )
            .await;
        if status != StatusCode::OK {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
            break answer["error"].as_str().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the broken policy was never noticed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        error.contains("policies do not load") && error.contains("refused"),
        "{error}"
    );
    std::fs::remove_file(&broken).unwrap();
    let started = Instant::now();
    loop {
        let (status, answer) = w
            .call(
                "POST",
                "/api/v1/decide",
                Auth::Bearer(&w.bot),
                Some(&json!({ "surface": "shell", "input": "ls", "cwd": "/tmp" })),
            )
            .await;
        if status == StatusCode::OK {
            assert_eq!(answer["outcome"], "allow");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the fixed policies were never loaded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn the_server_counts_failures_by_tcp_address_and_by_the_unix_socket_user() {
    use std::os::unix::fs::MetadataExt as _;
    let setup = Setup::new("serve-throttle-socket");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let served = setup.serve();
    let sign_in = |secret: &str| {
        http::request(
            &served.address,
            "POST",
            "/api/v1/sign-in",
            &[("Content-Type", "application/json")],
            &json!({ "name": "alice", "secret": secret }).to_string(),
        )
    };
    for _ in 0..10 {
        let reply = sign_in("wrong");
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let refused = sign_in(SECRET);
    assert_eq!(refused.status, 429, "{}", refused.body);
    let seconds: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "Retry-After: {seconds}");
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("too many failed sign-ins from 127.0.0.1"),
        "{}",
        refused.body
    );

    // The Unix socket counts apart, by the uid at the other end: the agent's credential,
    // never checked before, works there while TCP from 127.0.0.1 is barred.
    let approvals = |token: &str| {
        let authorization = format!("Bearer {token}");
        http::request_unix(
            &served.socket,
            "GET",
            "/api/v1/approvals",
            &[("Authorization", authorization.as_str())],
            "",
        )
    };
    let reply = approvals(&token);
    assert_eq!(reply.status, 200, "{}", reply.body);
    for i in 0..10 {
        let reply = approvals(&format!("hpa.bot.wrong-{i}"));
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    // The server made its socket, so the socket's owner is the uid this test runs as.
    let uid = std::fs::metadata(&served.socket).unwrap().uid();
    let refused = approvals("hpa.bot.wrong");
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains(&format!("too many failed sign-ins from local user {uid}")),
        "{}",
        refused.body
    );
}
