//! The web console: pages rendered by the server, with a style sheet and a small script
//! shipped in the binary. A human signs in with their secret; the sign-in lives in an
//! HttpOnly, SameSite=Strict cookie, and every form that changes something carries the
//! sign-in's CSRF token.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use holdpoint_ledger::{ApprovalState, Kind, Proof, Record, VoteKind};
use holdpoint_store::{SignIn, Store as _};
use serde::Deserialize;

use super::AppState;
use super::api::{AnswerRequest, ApiError, ApprovalView, FreezeView, GrantView, answer_request};
use super::auth::{COOKIE, Caller, identify, same, sha256_hex};
use super::html::{CSS, JS, Page, Viewer, e, rich, secure, url};
use super::passkeys::{self, PasskeyAnswer, Presence, Purpose};
use crate::approvals::one_line;
use crate::home::now_ms;
use crate::scope_cmd::{freeze_state, grant_state};
use crate::shown::visible;
use crate::throttle::Client;
use crate::time::{datetime, remaining};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/console.css",
            get(|| async { static_file("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/static/console.js",
            get(|| async { static_file("text/javascript; charset=utf-8", JS) }),
        )
        .route("/login", get(login_page).post(login))
        .route("/login/challenge", post(login_challenge))
        .route("/login/passkey", post(login_passkey))
        .route("/logout", post(logout))
        .route("/", get(queue))
        .route("/console/queue", get(queue_fragment))
        .route("/approvals/{id}", get(approval))
        .route("/approvals/{id}/approve", post(approve))
        .route("/approvals/{id}/deny", post(refuse))
        .route("/activity", get(activity))
        .route("/sessions/{id}", get(session))
        .route("/grants", get(grants).post(create_grant))
        .route("/grants/{id}/revoke", post(revoke_grant))
        .route("/freezes", get(freezes).post(start_freeze))
        .route("/freezes/{id}/end", post(end_freeze))
        .route("/passkeys", get(passkeys))
        .route("/recovery", get(recovery))
        .route("/recovery/{id}/restore", post(restore))
        .route("/people", get(people))
        .route("/sign-ins/{id}/end", post(end_sign_in))
        .route("/ledger", get(ledger))
        .route("/ledger/verify", post(verify))
}

fn static_file(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        text,
    )
        .into_response()
}

/// The human looking at the console, or a redirect to the sign-in page (or, for a
/// client that failed to sign in too often, the page saying so).
async fn viewer(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    here: &str,
) -> Result<Viewer, Response> {
    match identify_cookie(state, headers, client).await {
        Ok(Some(viewer)) => Ok(viewer),
        Ok(None) => Err(forget_cookie(
            headers,
            Redirect::to(&format!("/login?next={}", url(here))).into_response(),
        )),
        Err(error) => Err(error_page(None, &error)),
    }
}

/// The human the console's cookie names; `None` for no cookie, or one that names no
/// sign-in; an error only for a client refused for failing too often.
async fn identify_cookie(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
) -> Result<Option<Viewer>, ApiError> {
    // Only the cookie counts here: the console is for people with a browser (whose
    // `User-Agent` the sign-in is bound to).
    let mut cookie_only = HeaderMap::new();
    for value in headers.get_all(header::COOKIE) {
        cookie_only.append(header::COOKIE, value.clone());
    }
    if let Some(browser) = headers.get(header::USER_AGENT) {
        cookie_only.insert(header::USER_AGENT, browser.clone());
    }
    match identify(&cookie_only, client, state).await? {
        Some(Caller::Human { name, sign_in, .. }) => Ok(Some(Viewer {
            name,
            csrf: sign_in.csrf,
        })),
        _ => Ok(None),
    }
}

/// `response`, telling the browser to drop a sign-in cookie that named no sign-in: each
/// time it is sent counts as a failed sign-in, and the queue page polls every 2 s.
fn forget_cookie(headers: &HeaderMap, mut response: Response) -> Response {
    if super::auth::cookie(headers, COOKIE).is_some() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "holdpoint_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            ),
        );
    }
    response
}

/// Active freezes, as banner sentences.
async fn banner(state: &AppState) -> Vec<String> {
    let now = now_ms();
    let freezes = state
        .blocking(|store| store.freezes())
        .await
        .unwrap_or_default();
    freezes
        .into_iter()
        .filter(|f| f.freeze.active(f.freeze.environment, now / 1000))
        .map(|f| {
            format!(
                "{} is frozen{}: {} (started by {}). Change and destroy actions there are refused.",
                f.freeze.environment,
                f.freeze
                    .until
                    .map(|u| format!(" until {}", datetime(u * 1000)))
                    .unwrap_or_default(),
                f.freeze.reason,
                f.started_by
            )
        })
        .collect()
}

async fn page(state: &AppState, title: &str, viewer: &Viewer, body: String) -> Response {
    Page {
        title,
        viewer: Some(viewer),
        freezes: banner(state).await,
        body,
    }
    .render()
}

/// An error shown as a page, with the status that goes with it.
fn error_page(viewer: Option<&Viewer>, error: &ApiError) -> Response {
    let mut response = Page {
        title: "Not done",
        viewer,
        freezes: Vec::new(),
        body: format!(
            r#"<p class="error">{}</p><p><a href="javascript:history.back()">Back</a> · <a href="/">Queue</a></p>"#,
            e(error.message())
        ),
    }
    .render();
    *response.status_mut() = error.status();
    retry_after(response, error)
}

/// `response` with the `Retry-After` header `error` asks for, if any.
fn retry_after(mut response: Response, error: &ApiError) -> Response {
    if let Some(seconds) = error.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

/// The human sending a form that changes something: signed in, and the form carries
/// their sign-in's CSRF token. Otherwise the page to answer with.
async fn signed_form(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    here: &str,
    csrf: &str,
) -> Result<Viewer, Response> {
    let viewer = viewer(state, headers, client, here).await?;
    match csrf_refusal(&viewer, csrf) {
        Some(refused) => Err(refused),
        None => Ok(viewer),
    }
}

/// After a change: on to `to`, or the error as a page.
fn finish<T>(done: Result<T, ApiError>, viewer: &Viewer, to: &str) -> Response {
    match done {
        Ok(_) => Redirect::to(to).into_response(),
        Err(error) => error_page(Some(viewer), &error),
    }
}

/// The refusal of a form whose CSRF token is not the sign-in's.
fn csrf_refusal(viewer: &Viewer, sent: &str) -> Option<Response> {
    if same(sent, &viewer.csrf) {
        None
    } else {
        Some(error_page(
            Some(viewer),
            &ApiError::forbidden(
                "this form is stale or did not come from this console (its CSRF token does not match your sign-in): reload the page and try again",
            ),
        ))
    }
}

// ----- sign-in --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only paths on this server, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The redirect to `next` that sets the sign-in's cookie.
fn signed_in(state: &AppState, next: &str, token: &str, sign_in: &SignIn) -> Response {
    let max_age = (sign_in.expires_ms - sign_in.created_ms) / 1000;
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if state.secure_cookies() {
            "; Secure"
        } else {
            ""
        }
    );
    let mut response = Redirect::to(next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    secure(response)
}

fn login_form(next: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|m| format!(r#"<p class="error" id="error">{}</p>"#, e(m)))
        .unwrap_or_default();
    Page {
        title: "Sign in",
        viewer: None,
        freezes: Vec::new(),
        body: format!(
            r#"{error}<form method="post" action="/login" class="stack card">
<input type="hidden" name="next" value="{next}">
<label>Name <input name="name" id="name" autocomplete="username" required autofocus></label>
<label>Secret <input name="secret" id="secret" type="password" autocomplete="current-password" required></label>
<button type="submit" id="sign-in">Sign in</button>
<p class="muted">Humans are added with <code>holdpoint human add NAME</code>; the secret is the one typed there.</p>
</form>
<form method="post" action="/login/passkey" class="stack card" id="passkey-login">
<input type="hidden" name="next" value="{next}"><input type="hidden" name="name" value="">
<input type="hidden" name="ceremony" value=""><input type="hidden" name="credential" value="">
<p class="error passkey-error" role="alert" hidden></p>
<button type="submit" id="passkey-sign-in">Sign in with a passkey</button>
<p class="muted">Type your name above first; your authenticator is asked instead of your secret.</p>
</form>"#,
            next = e(next)
        ),
    }
    .render()
}

async fn login_page(Query(next): Query<Next>) -> Response {
    login_form(&safe_next(next.next.as_deref()), None)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    name: String,
    secret: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let signed = super::auth::sign_in(&state, &form.name, &form.secret, client, &headers).await;
    login_answer(&state, &next, signed)
}

/// A sign-in's answer: the redirect that sets its cookie, or the form again with why.
fn login_answer(
    state: &AppState,
    next: &str,
    signed: Result<(String, SignIn), ApiError>,
) -> Response {
    match signed {
        Ok((token, sign_in)) => signed_in(state, next, &token, &sign_in),
        Err(error) => {
            let mut response = login_form(next, Some(error.message()));
            *response.status_mut() = error.status();
            retry_after(response, &error)
        }
    }
}

/// The name a passkey sign-in is for.
#[derive(Debug, Deserialize)]
struct LoginChallenge {
    name: String,
}

/// A passkey challenge for signing `name` in (JSON, for the sign-in page's script).
async fn login_challenge(
    State(state): State<AppState>,
    client: Client,
    axum::Json(asked): axum::Json<LoginChallenge>,
) -> Response {
    let name = asked.name.trim().to_owned();
    let started = async {
        // Asking costs nothing to guess with, but is counted against the client as a
        // failure would be when there is nothing to ask for.
        state
            .throttle
            .reserve(client, None, std::time::Instant::now())
            .map_err(|refusal| ApiError::too_many(&refusal))?;
        let who = name.clone();
        let passkeys = state.blocking(move |store| store.passkeys(&who)).await?;
        if passkeys.is_empty() {
            return Err(ApiError::bad_request(
                "no passkey is registered for that name: sign in with the secret",
            ));
        }
        state
            .throttle
            .succeeded(client, None, std::time::Instant::now());
        let (ceremony, options) =
            state
                .passkeys
                .start_assertion(&name, Purpose::SignIn, &passkeys)?;
        Ok(serde_json::json!({ "ceremony": ceremony, "options": options }))
    };
    match started.await {
        Ok(challenge) => secure(axum::Json(challenge).into_response()),
        Err(error) => secure(error.into_response()),
    }
}

#[derive(Debug, Deserialize)]
struct PasskeyLoginForm {
    name: String,
    ceremony: String,
    credential: String,
    next: Option<String>,
}

/// Signs a human in with a passkey's assertion for `Purpose::SignIn`.
async fn login_passkey(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<PasskeyLoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let signed = async {
        let sent = presence_of(None, Some(form.ceremony), Some(form.credential))?;
        if sent.passkey.is_none() {
            return Err(ApiError::bad_request("no passkey answer came"));
        }
        passkeys::presence(&state, client, &form.name, &Purpose::SignIn, sent)
            .await
            .map_err(|error| {
                // A failed assertion is a failed sign-in; a store that failed is not.
                if !error.status().is_client_error() {
                    return error;
                }
                match state.throttle.failed(client, std::time::Instant::now()) {
                    Ok(()) => error,
                    Err(refusal) => ApiError::too_many(&refusal),
                }
            })?;
        super::auth::open_sign_in(&state, &form.name, client, &headers).await
    };
    login_answer(&state, &next, signed.await)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// A form's CSRF token and its proof that the human is there (`proof_fields`).
#[derive(Debug, Deserialize)]
struct ProvenForm {
    csrf: String,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    ceremony: Option<String>,
    #[serde(default)]
    credential: Option<String>,
}

/// Whether the viewer has a passkey, and so proves with it (`proof_fields`).
async fn has_passkey(state: &AppState, viewer: &Viewer) -> Result<bool, ApiError> {
    let who = viewer.name.clone();
    Ok(!state
        .blocking(move |store| store.passkeys(&who))
        .await?
        .is_empty())
}

/// The part of a form that proves the human is there for what it does, and the
/// attribute its `<form>` carries: for a human with a passkey, hidden fields the script
/// fills with a fresh assertion for `step_up` (what it asks `POST /step-up` for) before
/// the form goes; for one without, their secret again.
fn proof_fields(
    has_passkey: bool,
    step_up: &serde_json::Value,
    button: &str,
    id: &str,
) -> (String, String) {
    if has_passkey {
        (
            format!(r#" data-step-up="{}""#, e(&step_up.to_string())),
            format!(
                r#"<input type="hidden" name="ceremony" value=""><input type="hidden" name="credential" value="">
<p class="error passkey-error" role="alert" hidden></p>
<button type="submit" class="approve" id="{id}">{button} with your passkey</button>"#,
                id = e(id),
                button = e(button)
            ),
        )
    } else {
        (
            String::new(),
            format!(
                r#"<label>Your secret, to show it is you and not a program using your sign-in <input type="password" name="secret" id="{id}-secret" required autocomplete="current-password"></label>
<button type="submit" class="approve" id="{id}">{button}</button>"#,
                id = e(id),
                button = e(button)
            ),
        )
    }
}

/// A form of one button posting to `action` (a path, its parts already escaped for a
/// URL) with the viewer's CSRF token and the proof `proof_fields` asks for `step_up`;
/// the button's label and id.
fn proven_form(
    viewer: &Viewer,
    passkey: bool,
    step_up: &serde_json::Value,
    action: &str,
    (label, button): (&str, &str),
) -> String {
    let (step_up, proof) = proof_fields(passkey, step_up, label, button);
    format!(
        r#"<form method="post" action="{action}" class="stack"{step_up}><input type="hidden" name="csrf" value="{csrf}">{proof}</form>"#,
        action = e(action),
        csrf = e(&viewer.csrf)
    )
}

/// The proof a form sent (`proof_fields`).
fn presence_of(
    secret: Option<String>,
    ceremony: Option<String>,
    credential: Option<String>,
) -> Result<Presence, ApiError> {
    let passkey = match (ceremony, credential) {
        (Some(ceremony), Some(credential)) if !ceremony.is_empty() => {
            let credential = serde_json::from_str(&credential).map_err(|e| {
                ApiError::bad_request(format!(
                    "the passkey's answer is not JSON ({e}); nothing was done"
                ))
            })?;
            Some(PasskeyAnswer {
                ceremony,
                credential,
            })
        }
        _ => None,
    };
    Ok(Presence { secret, passkey })
}

async fn logout(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = signed_form(&state, &headers, client, "/", &form.csrf).await {
        return refused;
    }
    if let Some(token) = super::auth::cookie(&headers, COOKIE) {
        let hash = sha256_hex(&token);
        let _ = state
            .blocking(move |store| store.close_sign_in(&hash))
            .await;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "holdpoint_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}

// ----- queue and approvals -----------------------------------------------------------

/// Table rows, or one that says why there are none.
fn or_empty(rows: String, columns: usize, message: &str) -> String {
    if rows.is_empty() {
        format!(
            r#"<tr class="empty"><td colspan="{columns}" class="muted">{}</td></tr>"#,
            e(message)
        )
    } else {
        rows
    }
}

fn pill(class: &str, text: &str) -> String {
    format!(r#"<span class="pill {class}">{}</span>"#, e(text))
}

async fn queue(State(state): State<AppState>, client: Client, headers: HeaderMap) -> Response {
    let viewer = match viewer(&state, &headers, client, "/").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let table = match queue_table(&state).await {
        Ok(table) => table,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    page(
        &state,
        "Waiting for approval",
        &viewer,
        format!(
            r#"<p class="muted">Actions agents proposed that policy holds for a human. This list updates by itself.</p>
<div id="queue" data-live="/console/queue">{table}</div>"#
        ),
    )
    .await
}

async fn queue_fragment(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Response {
    match identify_cookie(&state, &headers, client).await {
        Ok(Some(_)) => {}
        Ok(None) => return forget_cookie(&headers, StatusCode::UNAUTHORIZED.into_response()),
        Err(error) => return error.into_response(),
    }
    match queue_table(&state).await {
        Ok(table) => secure(axum::response::Html(table).into_response()),
        Err(error) => error.into_response(),
    }
}

async fn queue_table(state: &AppState) -> Result<String, ApiError> {
    let now = now_ms();
    let requests = state.blocking(move |store| store.approvals(now)).await?;
    let pending: Vec<ApprovalView> = requests
        .iter()
        .filter(|r| r.state == ApprovalState::Pending && !r.expired_at(now))
        .map(|r| ApprovalView::from_request(r, now))
        .collect();
    // What the live queue compares to decide whether to redraw: the requests and their
    // answers, not the times left, which the page counts down itself.
    let version = sha256_hex(
        &pending
            .iter()
            .map(|r| format!("{}:{}", r.id, r.approvals))
            .collect::<Vec<_>>()
            .join(","),
    );
    let version = version.get(..16).unwrap_or_default();
    if pending.is_empty() {
        return Ok(format!(
            r#"<div data-version="{version}"><p class="card" id="empty">No actions are waiting for approval.</p></div>"#
        ));
    }
    let mut rows = String::new();
    for r in &pending {
        let _ = write!(
            rows,
            r#"<tr class="request" data-id="{id}"><td>{risk}</td><td>{env}</td><td>{agent}</td><td class="action"><a href="/approvals/{id_url}">{input}</a></td><td>{effect}</td><td>{votes} of {quorum}</td><td data-expires="{expires}">{left}</td></tr>"#,
            id = e(&r.id),
            id_url = url(&r.id),
            risk = pill(&format!("risk-{}", r.risk), &r.risk),
            env = e(&r.environment),
            agent = e(&r.agent),
            input = e(&one_line(&r.input, 160)),
            effect = rich(
                &r.effects
                    .first()
                    .map(|s| one_line(s, 120))
                    .unwrap_or_default()
            ),
            votes = r.approvals,
            quorum = r.quorum,
            expires = r.expires_ms,
            left = e(&remaining(r.expires_ms - now)),
        );
    }
    Ok(format!(
        r#"<div data-version="{version}"><table><thead><tr><th>Risk</th><th>Environment</th><th>Agent</th><th>Action</th><th>What it would do</th><th>Approvals</th><th>Time left</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    ))
}

async fn approval(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let viewer = match viewer(&state, &headers, client, &format!("/approvals/{id}")).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    request_page(&state, &viewer, id, None).await
}

/// An answer the server did not take, shown on the request's page with what was typed
/// (never the secret).
struct Retry {
    kind: VoteKind,
    error: ApiError,
    reason: Option<String>,
    confirm: Option<String>,
}

/// A request's page; after an answer that was not taken, with why beside the form it
/// came from and what was typed in it.
async fn request_page(
    state: &AppState,
    viewer: &Viewer,
    id: String,
    retry: Option<Retry>,
) -> Response {
    let (state, viewer) = (state.clone(), viewer.clone());
    let lookup = id.clone();
    let request = match state.blocking(move |store| store.approval(&lookup)).await {
        Ok(Some(request)) => request,
        Ok(None) => {
            return error_page(
                Some(&viewer),
                &ApiError::not_found(format!("no approval request `{id}`")),
            );
        }
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let now = now_ms();
    let r = ApprovalView::from_request(&request, now);
    let grants = state
        .blocking(|store| store.grants())
        .await
        .unwrap_or_default();
    let grants: Vec<String> = grants
        .into_iter()
        .filter(|g| g.grant.agent == r.agent && !g.grant.revoked && now / 1000 < g.grant.expires_at)
        .map(|g| {
            format!(
                "{}: {} (up to {} on {})",
                g.grant.id,
                g.grant.task,
                g.grant.max_risk,
                g.grant.targets.join(", ")
            )
        })
        .collect();
    let list = |items: &[String]| -> String {
        if items.is_empty() {
            return r#"<span class="muted">none</span>"#.to_owned();
        }
        format!(
            "<ul>{}</ul>",
            items
                .iter()
                .map(|i| format!("<li>{}</li>", rich(i)))
                .collect::<String>()
        )
    };
    let votes: Vec<String> = request
        .votes
        .iter()
        .map(|v| {
            format!(
                "{} {}{} at {}{}",
                v.human,
                match v.kind {
                    VoteKind::Approve => "approved",
                    VoteKind::Refuse => "refused",
                },
                match v.proof {
                    Some(Proof::Terminal) => " (secret typed at a terminal)",
                    Some(Proof::Secret) => " (secret given again)",
                    Some(Proof::Passkey) => " (passkey)",
                    Some(Proof::Slack) => " (in Slack)",
                    None => "",
                },
                datetime(v.at_ms),
                v.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let session = r
        .session
        .as_deref()
        .map(|s| format!(r#"<a href="/sessions/{}">{}</a>"#, url(s), e(s)))
        .unwrap_or_else(|| r#"<span class="muted">none</span>"#.to_owned());
    let step_up = serde_json::json!({ "for": "approve", "request": r.id });
    let passkey = match has_passkey(&state, &viewer).await {
        Ok(passkey) => passkey,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let (passkey_form, mut proof) =
        proof_fields(passkey, &step_up, "Approve this exact action", "approve");
    if passkey_form.is_empty() && state.config.passkey_required.covers(&request) {
        proof = r#"<p class="error" id="needs-passkey">Only a passkey may approve this request (<code>passkey_required</code> in holdpoint.toml), and you have none yet: add one on the <a href="/passkeys">Passkeys</a> page.</p>"#.to_owned();
    }
    // What was typed in the form an answer came from, and why it was not taken.
    let typed = |kind: VoteKind, field: fn(&Retry) -> Option<&str>| -> &str {
        retry
            .as_ref()
            .filter(|r| r.kind == kind)
            .and_then(field)
            .unwrap_or("")
    };
    let error_for = |kind: VoteKind| -> String {
        retry
            .as_ref()
            .filter(|r| r.kind == kind)
            .map(|r| {
                format!(
                    r#"<p class="error" id="answer-error" role="alert">{}</p>"#,
                    rich(r.error.message())
                )
            })
            .unwrap_or_default()
    };
    let answer = if r.state == "pending" {
        let confirm = r
            .confirm_target
            .as_deref()
            .map(|t| {
                format!(
                    r#"<label>Type the name of what it destroys to confirm: <code>{}</code><input name="confirm" id="confirm" required autocomplete="off" value="{}"></label>"#,
                    e(t),
                    e(typed(VoteKind::Approve, |r| r.confirm.as_deref()))
                )
            })
            .unwrap_or_default();
        format!(
            r#"<h2>Your answer</h2><div class="answers">
<form method="post" action="/approvals/{id}/approve" class="stack card approve-form"{passkey_form}><input type="hidden" name="csrf" value="{csrf}">{confirm}
{approve_error}<label>Note (optional) <input name="reason" id="approve-reason" value="{approve_reason}"></label>
{proof}
<p class="muted">Lets this exact action run once, when the agent retries it. Any change to it needs a new approval.</p></form>
<form method="post" action="/approvals/{id}/deny" class="stack card"><input type="hidden" name="csrf" value="{csrf}">
{refuse_error}<label>Reason (the agent is told) <input name="reason" id="refuse-reason" required value="{refuse_reason}"></label>
<button type="submit" class="refuse" id="refuse">Refuse</button></form></div>"#,
            id = url(&r.id),
            csrf = e(&viewer.csrf),
            approve_error = error_for(VoteKind::Approve),
            approve_reason = e(typed(VoteKind::Approve, |r| r.reason.as_deref())),
            refuse_error = error_for(VoteKind::Refuse),
            refuse_reason = e(typed(VoteKind::Refuse, |r| r.reason.as_deref())),
        )
    } else {
        format!(
            r#"<p class="card">This request is {}: it can no longer be answered.</p>"#,
            pill(&format!("s-{}", r.state), &r.state)
        )
    };
    let body = format!(
        r#"<div class="card"><p>{risk} {state} <strong>{agent}</strong> wants to run this in <strong>{env}</strong>:</p>
<pre id="action">{input}</pre>{shown}{asked}{task}</div>
<div class="card"><dl>
<dt>What it would do</dt><dd id="effects">{effects}</dd>
<dt>Why it is held</dt><dd id="reasons">{reasons}</dd>
<dt>Policies</dt><dd>{policies}</dd>
<dt>Target</dt><dd>{target}</dd>
<dt>Working directory</dt><dd>{cwd}</dd>
<dt>Agent</dt><dd>{agent}</dd>
<dt>Session</dt><dd>{session}</dd>
<dt>Agent's grants</dt><dd>{grants}</dd>
<dt>Approvals</dt><dd id="quorum">{approvals} of {quorum} needed</dd>
<dt>Answers so far</dt><dd>{votes}</dd>
<dt>Requested</dt><dd>{created}</dd>
<dt>Time left</dt><dd data-expires="{expires}">{left}</dd>
<dt>Digest</dt><dd><code>{digest}</code></dd>
</dl></div>{answer}"#,
        risk = pill(&format!("risk-{}", r.risk), &r.risk),
        state = pill(&format!("s-{}", r.state), &r.state),
        agent = e(&r.agent),
        env = e(&r.environment),
        input = e(&visible(&r.input)),
        shown = shown_block(r.shown.as_deref()),
        asked = r.asked.as_deref().map_or_else(String::new, |asked| format!(
            r#"<p>The person asked: <q id="asked">{}</q></p>"#,
            e(&visible(asked))
        )),
        task = r.task.as_deref().map_or_else(String::new, |task| format!(
            r#"<p>Its grant is for: <q id="task">{}</q></p>"#,
            e(&visible(task))
        )),
        effects = list(&r.effects),
        reasons = list(&r.reasons),
        policies = e(&r.policies.join(", ")),
        target = e(&r.target),
        cwd = e(&r.cwd),
        grants = list(&grants),
        approvals = r.approvals,
        quorum = r.quorum,
        votes = list(&votes),
        created = e(&datetime(r.created_ms)),
        expires = r.expires_ms,
        left = e(&remaining(r.expires_ms - now)),
        digest = e(&r.digest),
    );
    page(&state, &format!("Request {}", r.id), &viewer, body).await
}

/// The most lines of what an action writes shown before the rest is folded away.
const SHOWN_LINES: usize = 60;

/// What an action writes (a file's text, an edit's lines), whitespace and invisible
/// characters made visible; lines added and removed marked; past `SHOWN_LINES`, the
/// rest one click away.
fn shown_block(shown: Option<&str>) -> String {
    let Some(shown) = shown else {
        return String::new();
    };
    let shown = visible(shown);
    let mut lines = shown.split('\n');
    let head = lines.next().unwrap_or("");
    let mut body: Vec<&str> = lines.collect();
    // A text that ends with a newline has no line after it.
    if body.last() == Some(&"") {
        body.pop();
    }
    let render = |lines: &[&str]| -> String {
        lines
            .iter()
            .map(|line| {
                let class = if line.starts_with('+') && head.starts_with("edits") {
                    "added"
                } else if line.starts_with('-') && head.starts_with("edits") {
                    "removed"
                } else {
                    "line"
                };
                format!(r#"<span class="{class}">{}</span>"#, e(line))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (first, rest) = body.split_at(body.len().min(SHOWN_LINES));
    let more = if rest.is_empty() {
        String::new()
    } else {
        format!(
            r#"<details><summary>{} more lines</summary><pre class="shown">{}</pre></details>"#,
            rest.len(),
            render(rest)
        )
    };
    format!(
        r#"<p id="shown-head">{}</p><pre id="shown" class="shown">{}</pre>{more}"#,
        e(head),
        render(first)
    )
}

#[derive(Debug, Deserialize)]
struct AnswerForm {
    csrf: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    confirm: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    /// A passkey's assertion: its ceremony, and the credential as JSON.
    #[serde(default)]
    ceremony: Option<String>,
    #[serde(default)]
    credential: Option<String>,
}

async fn approve(
    state: State<AppState>,
    client: Client,
    headers: HeaderMap,
    id: Path<String>,
    form: Form<AnswerForm>,
) -> Response {
    answer(state, client, headers, id, form, VoteKind::Approve).await
}

async fn refuse(
    state: State<AppState>,
    client: Client,
    headers: HeaderMap,
    id: Path<String>,
    form: Form<AnswerForm>,
) -> Response {
    answer(state, client, headers, id, form, VoteKind::Refuse).await
}

async fn answer(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
    kind: VoteKind,
) -> Response {
    let viewer = match signed_form(
        &state,
        &headers,
        client,
        &format!("/approvals/{id}"),
        &form.csrf,
    )
    .await
    {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let sent = match presence_of(form.secret, form.ceremony, form.credential) {
        Ok(sent) => sent,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let (typed_reason, typed_confirm) = (form.reason.clone(), form.confirm.clone());
    let answer = AnswerRequest::new(
        form.reason,
        form.confirm.filter(|c| !c.is_empty()),
        sent.secret,
        sent.passkey,
    );
    let done = answer_request(
        &state,
        client,
        id.clone(),
        viewer.name.clone(),
        kind,
        answer,
    )
    .await;
    match done {
        Ok(_) => Redirect::to(&format!("/approvals/{}", url(&id))).into_response(),
        Err(error) => {
            let status = error.status();
            let retry = Retry {
                kind,
                error,
                reason: typed_reason,
                confirm: typed_confirm,
            };
            let mut page = request_page(&state, &viewer, id, Some(retry)).await;
            *page.status_mut() = status;
            page
        }
    }
}

// ----- activity -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ActivityFilter {
    agent: Option<String>,
    session: Option<String>,
    environment: Option<String>,
    decision: Option<String>,
}

/// One decision as the activity page shows it.
struct Row {
    seq: u64,
    at_ms: i64,
    agent: String,
    session: String,
    environment: String,
    input: String,
    outcome: String,
    risk: String,
}

/// How many of the latest records the activity page reads.
const ACTIVITY_WINDOW: u64 = 20_000;

async fn activity(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Query(filter): Query<ActivityFilter>,
) -> Response {
    let viewer = match viewer(&state, &headers, client, "/activity").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let records = state
        .reading(|store| {
            let size = store.size()?;
            let from = size.saturating_sub(ACTIVITY_WINDOW) + 1;
            let mut all = Vec::new();
            let mut next = from;
            loop {
                let page = store.records(next, 5000)?;
                let Some(last) = page.last() else { break };
                next = last.seq + 1;
                all.extend(page);
            }
            Ok(all)
        })
        .await;
    let records = match records {
        Ok(records) => records,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut proposed: HashMap<String, (String, String)> = HashMap::new();
    let mut rows = Vec::new();
    for stored in &records {
        let Ok(record) = stored.record() else {
            continue;
        };
        let digest = record.digest.clone().unwrap_or_default();
        let text = |body: &serde_json::Value, key: &str| {
            body.get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        // A `ran` record is read as the proposal and decision it stands for.
        for (kind, body) in record.parts() {
            match kind {
                Kind::Proposed => {
                    proposed.insert(
                        digest.clone(),
                        (text(body, "input"), text(body, "environment")),
                    );
                }
                Kind::Decided => {
                    let (input, environment) = proposed.get(&digest).cloned().unwrap_or_default();
                    rows.push(Row {
                        seq: stored.seq,
                        at_ms: stored.at_ms,
                        agent: record.actors.agent.clone().unwrap_or_default(),
                        session: record.actors.session.clone().unwrap_or_default(),
                        environment,
                        input,
                        outcome: text(body, "outcome"),
                        risk: text(body, "risk"),
                    });
                }
                _ => {}
            }
        }
    }
    let wanted = |value: &str, filter: &Option<String>| {
        filter.as_deref().is_none_or(|f| f.is_empty() || f == value)
    };
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            wanted(&r.agent, &filter.agent)
                && wanted(&r.session, &filter.session)
                && wanted(&r.environment, &filter.environment)
                && wanted(&r.outcome, &filter.decision)
        })
        .collect();
    let chart = chart(&rows);
    let select = |name: &str, current: &Option<String>, options: &[&str]| {
        let mut html =
            format!(r#"<label>{name} <select name="{name}"><option value="">any</option>"#);
        for option in options {
            let selected = if current.as_deref() == Some(option) {
                " selected"
            } else {
                ""
            };
            let _ = write!(html, r#"<option{selected}>{}</option>"#, e(option));
        }
        html.push_str("</select></label>");
        html
    };
    let mut table = String::new();
    for r in rows.iter().rev().take(500) {
        let _ = write!(
            table,
            r#"<tr><td>{at}</td><td>{outcome}</td><td>{risk}</td><td>{agent}</td><td><a href="/sessions/{session_url}">{session}</a></td><td>{env}</td><td class="action">{input}</td><td><a href="/ledger?from={seq}">#{seq}</a></td></tr>"#,
            at = e(&datetime(r.at_ms)),
            outcome = pill(&format!("d-{}", r.outcome), &r.outcome),
            risk = pill(&format!("risk-{}", r.risk), &r.risk),
            agent = e(&r.agent),
            session_url = url(&r.session),
            session = e(&one_line(&r.session, 24)),
            env = e(&r.environment),
            input = e(&one_line(&r.input, 140)),
            seq = r.seq,
        );
    }
    let body = format!(
        r#"<form method="get" class="filters">
<label>agent <input name="agent" value="{agent}"></label>
<label>session <input name="session" value="{session}"></label>
{env}{decision}<button type="submit">Filter</button></form>
<h2>Actions per hour</h2>{chart}
<h2>Decisions</h2><p class="muted">{count} decisions among the latest {window} ledger records{shown}.</p>
<table id="activity"><thead><tr><th>Time</th><th>Decision</th><th>Risk</th><th>Agent</th><th>Session</th><th>Environment</th><th>Action</th><th>Record</th></tr></thead><tbody>{table}</tbody></table>"#,
        table = or_empty(
            table,
            8,
            "No decisions match: none has been recorded yet, or the filters leave none."
        ),
        agent = e(filter.agent.as_deref().unwrap_or("")),
        session = e(filter.session.as_deref().unwrap_or("")),
        env = select(
            "environment",
            &filter.environment,
            &["production", "staging", "development"]
        ),
        decision = select("decision", &filter.decision, &["allow", "ask", "deny"]),
        count = rows.len(),
        window = ACTIVITY_WINDOW,
        shown = if rows.len() > 500 {
            ", the newest 500 shown"
        } else {
            ""
        },
    );
    page(&state, "Activity", &viewer, body).await
}

/// A stacked bar chart of decisions per hour, as inline SVG.
fn chart(rows: &[&Row]) -> String {
    let mut hours: BTreeMap<i64, [u32; 3]> = BTreeMap::new();
    for r in rows {
        let slot = hours.entry(r.at_ms / 3_600_000).or_default();
        let i = match r.outcome.as_str() {
            "allow" => 0,
            "ask" => 1,
            _ => 2,
        };
        if let Some(n) = slot.get_mut(i) {
            *n += 1;
        }
    }
    if hours.is_empty() {
        return r#"<p class="muted">No decisions yet.</p>"#.to_owned();
    }
    let hours: Vec<(i64, [u32; 3])> = hours.into_iter().rev().take(48).rev().collect();
    let max = hours
        .iter()
        .map(|(_, c)| c.iter().sum::<u32>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (width, height, bar) = (
        960u32,
        160u32,
        960 / u32::try_from(hours.len()).unwrap_or(1).max(1),
    );
    let mut svg = format!(
        r#"<svg id="chart" viewBox="0 0 {width} {h}" width="100%" role="img" aria-label="Actions per hour by decision">"#,
        h = height + 20
    );
    for (i, (hour, counts)) in hours.iter().enumerate() {
        let x = u32::try_from(i).unwrap_or(0) * bar;
        let mut y = height;
        for (count, colour, name) in counts
            .iter()
            .zip(["#1f7a4d", "#a15c00", "#b3261e"])
            .zip(["allow", "ask", "deny"])
            .map(|((c, col), n)| (c, col, n))
        {
            if *count == 0 {
                continue;
            }
            let h = (count * height / max).max(1);
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}"><title>{when}: {count} {name}</title></rect>"#,
                w = bar.saturating_sub(2).max(1),
                when = e(&datetime(hour * 3_600_000)),
            );
        }
        if i % 6 == 0 {
            let _ = write!(
                svg,
                r##"<text x="{x}" y="{ty}" font-size="11" fill="#5b6678">{label}</text>"##,
                ty = height + 15,
                label = e(&datetime(hour * 3_600_000)
                    .chars()
                    .skip(5)
                    .take(11)
                    .collect::<String>()),
            );
        }
    }
    svg.push_str("</svg>");
    format!(
        r#"<div class="chart">{svg}<p class="legend"><span class="pill d-allow">allow</span><span class="pill d-ask">ask</span><span class="pill d-deny">deny</span></p></div>"#
    )
}

// ----- session report -------------------------------------------------------------

async fn session(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let viewer = match viewer(&state, &headers, client, &format!("/sessions/{id}")).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let report = match super::api::report(&state, id.clone()).await {
        Ok(report) => report,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut rows = String::new();
    for item in &report.actions {
        let class = match item.status.as_str() {
            "allowed" => "d-allow",
            "blocked" => "d-deny",
            _ => "d-ask",
        };
        let _ = write!(
            rows,
            r#"<tr><td>{at}</td><td>{status}</td><td>{risk}</td><td class="action">{input}</td><td>{reasons}</td><td>{approval}</td><td>{outcomes}</td></tr>"#,
            at = e(&item.at),
            status = pill(class, &item.status),
            risk = pill(&format!("risk-{}", item.risk), &item.risk),
            input = e(&item.input),
            reasons = e(&item.reasons.join("; ")),
            approval = item
                .approval
                .as_deref()
                .map(|approval| format!(
                    r#"<a href="/approvals/{}">{}</a> {}"#,
                    url(approval),
                    e(approval),
                    e(&item.approved_by.join(", "))
                ))
                .unwrap_or_default(),
            outcomes = e(&item.outcomes.join("; ")),
        );
    }
    let body = format!(
        r#"<div class="card"><dl><dt>Agents</dt><dd>{agents}</dd><dt>From</dt><dd>{first}</dd><dt>To</dt><dd>{last}</dd>
<dt>Actions</dt><dd id="counts">{counts}</dd></dl></div>
<p class="muted">Built from the signed ledger alone, never from the agent's own account.</p>
<table id="report"><thead><tr><th>Time</th><th>Status</th><th>Risk</th><th>Action</th><th>Reasons</th><th>Approval</th><th>What happened</th></tr></thead><tbody>{rows}</tbody></table>"#,
        rows = or_empty(rows, 7, "This session has no recorded actions."),
        agents = e(&report.agents.join(", ")),
        first = e(report.first.as_deref().unwrap_or("")),
        last = e(report.last.as_deref().unwrap_or("")),
        counts = e(&report.counts()),
    );
    page(&state, &format!("Session {id}"), &viewer, body).await
}

// ----- grants and freezes ---------------------------------------------------------

async fn grants(State(state): State<AppState>, client: Client, headers: HeaderMap) -> Response {
    let viewer = match viewer(&state, &headers, client, "/grants").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let now = now_ms() / 1000;
    let mut grants: Vec<GrantView> = match state.blocking(|store| store.grants()).await {
        Ok(grants) => grants.into_iter().map(GrantView::from).collect(),
        Err(error) => return error_page(Some(&viewer), &error),
    };
    grants.sort_by_key(|g| std::cmp::Reverse(g.created_ms));
    let mut rows = String::new();
    for g in &grants {
        let live = !g.revoked && now < g.expires_at;
        let state_text = grant_state(g.revoked, g.expires_at, now);
        let revoke = if live {
            format!(
                r#"<form method="post" action="/grants/{id}/revoke" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="refuse">Revoke</button></form>"#,
                id = url(&g.id),
                csrf = e(&viewer.csrf)
            )
        } else {
            String::new()
        };
        let _ = write!(
            rows,
            r#"<tr><td>{id}</td><td>{agent}</td><td>{task}</td><td>{risk}</td><td class="action">{targets}</td><td>{state}</td><td>{by}</td><td>{revoke}</td></tr>"#,
            id = e(&g.id),
            agent = e(&g.agent),
            task = e(&g.task),
            risk = e(&g.max_risk),
            targets = e(&g.targets.join(", ")),
            state = e(&state_text),
            by = e(&g.issued_by),
        );
    }
    let wanted = serde_json::json!({ "for": "grant" });
    let passkey = match has_passkey(&state, &viewer).await {
        Ok(passkey) => passkey,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let (step_up, proof) = proof_fields(passkey, &wanted, "Issue grant", "grant");
    let body = format!(
        r#"<p class="muted">A grant lets one agent act on the named targets up to a risk, for a while, without asking each time.</p>
<table id="grants"><thead><tr><th>Id</th><th>Agent</th><th>Task</th><th>Up to</th><th>Targets</th><th>State</th><th>Issued by</th><th></th></tr></thead><tbody>{grant_rows}</tbody></table>
<h2>Issue a grant</h2>
<form method="post" action="/grants" class="stack card"{step_up}><input type="hidden" name="csrf" value="{csrf}">
<label>Agent <input name="agent" required></label>
<label>Task (the agent is told) <input name="task" required></label>
<label>Targets, comma-separated (<code>*</code> matches anything) <input name="targets" placeholder="shell:*@staging" required></label>
<label>Up to risk <select name="max_risk"><option>read</option><option>workspace</option><option selected>change</option><option>destroy</option></select></label>
<label>For <input name="ttl" value="1h" required></label>
{proof}</form>"#,
        csrf = e(&viewer.csrf),
        grant_rows = or_empty(
            rows,
            8,
            "No grants: every action is decided by the policies alone."
        ),
    );
    page(&state, "Grants", &viewer, body).await
}

#[derive(Debug, Deserialize)]
struct GrantForm {
    csrf: String,
    agent: String,
    task: String,
    targets: String,
    max_risk: String,
    ttl: String,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    ceremony: Option<String>,
    #[serde(default)]
    credential: Option<String>,
}

async fn create_grant(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<GrantForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/grants", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let targets: Vec<String> = form
        .targets
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let grant = match crate::scope_cmd::new_grant(
        &form.agent,
        &form.task,
        &targets,
        &form.max_risk,
        &form.ttl,
        viewer.name.clone(),
    ) {
        Ok(grant) => grant,
        Err(failure) => return error_page(Some(&viewer), &failure.into()),
    };
    let proven = match presence_of(form.secret, form.ceremony, form.credential) {
        Ok(sent) => passkeys::presence(&state, client, &viewer.name, &Purpose::Grant, sent).await,
        Err(error) => Err(error),
    };
    if let Err(error) = proven {
        return error_page(Some(&viewer), &error);
    }
    let done = state
        .blocking(move |store| store.issue_grant(grant, crate::home::os_user()))
        .await;
    finish(done, &viewer, "/grants")
}

async fn revoke_grant(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/grants", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let human = viewer.name.clone();
    let done = state
        .blocking(move |store| store.revoke_grant(&id, &human, crate::home::os_user(), now_ms()))
        .await;
    finish(done, &viewer, "/grants")
}

async fn freezes(State(state): State<AppState>, client: Client, headers: HeaderMap) -> Response {
    let viewer = match viewer(&state, &headers, client, "/freezes").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let now = now_ms();
    let mut freezes: Vec<FreezeView> = match state.blocking(|store| store.freezes()).await {
        Ok(freezes) => freezes
            .into_iter()
            .map(|f| FreezeView::from_stored(f, now))
            .collect(),
        Err(error) => return error_page(Some(&viewer), &error),
    };
    freezes.sort_by_key(|f| std::cmp::Reverse(f.starts_at));
    // Asked once for the page, whatever the number of freezes to end.
    let passkey = match has_passkey(&state, &viewer).await {
        Ok(passkey) => passkey,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut rows = String::new();
    for f in &freezes {
        let state_text = freeze_state(f.ended, f.ended_by.as_deref(), f.active, f.until);
        let end = if f.active {
            proven_form(
                &viewer,
                passkey,
                &serde_json::json!({ "for": "end-freeze", "freeze": f.id }),
                &format!("/freezes/{}/end", url(&f.id)),
                ("End freeze", &format!("end-{}", f.id)),
            )
        } else {
            String::new()
        };
        let _ = write!(
            rows,
            r#"<tr><td>{id}</td><td>{env}</td><td>{reason}</td><td>{state}</td><td>{by}</td><td>{since}</td><td>{end}</td></tr>"#,
            id = e(&f.id),
            env = e(&f.environment),
            reason = e(&f.reason),
            state = e(&state_text),
            by = e(&f.started_by),
            since = e(&datetime(f.starts_at * 1000)),
        );
    }
    let body = format!(
        r#"<p class="muted">During a freeze every change and destroy action in the environment is refused, whatever the policies or grants say.</p>
<table id="freezes"><thead><tr><th>Id</th><th>Environment</th><th>Reason</th><th>State</th><th>Started by</th><th>Since</th><th></th></tr></thead><tbody>{freeze_rows}</tbody></table>
<h2>Start a freeze</h2>
<form method="post" action="/freezes" class="stack card"><input type="hidden" name="csrf" value="{csrf}">
<label>Environment <select name="environment"><option>production</option><option>staging</option><option>development</option></select></label>
<label>Reason (refused agents are told) <input name="reason" required></label>
<label>For (e.g. 4h; empty: until ended) <input name="duration"></label>
<button type="submit" class="refuse">Start freeze</button></form>"#,
        csrf = e(&viewer.csrf),
        freeze_rows = or_empty(rows, 7, "No freezes: agents act as the policies say."),
    );
    page(&state, "Freezes", &viewer, body).await
}

// ----- recovery points, agents and humans ---------------------------------------

/// The recovery points `holdpoint pg` kept before destroys, newest first.
async fn recovery(State(state): State<AppState>, client: Client, headers: HeaderMap) -> Response {
    let viewer = match viewer(&state, &headers, client, "/recovery").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let mut points = match state.blocking(|store| store.recoveries()).await {
        Ok(points) => points,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    points.sort_by_key(|p| std::cmp::Reverse(p.created_ms));
    let passkey = match has_passkey(&state, &viewer).await {
        Ok(passkey) => passkey,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut rows = String::new();
    for p in &points {
        let restore = if p.state == "kept" {
            proven_form(
                &viewer,
                passkey,
                &serde_json::json!({ "for": "restore", "point": p.id }),
                &format!("/recovery/{}/restore", url(&p.id)),
                ("Restore", &format!("restore-{}", p.id)),
            )
        } else {
            String::new()
        };
        let _ = write!(
            rows,
            r#"<tr><td>{id}</td><td>{state}</td><td>{table}</td><td>{loss}</td><td>{rows}</td><td class="action">{statement}</td><td>{agent}</td><td>{at}</td><td>{restore}</td></tr>"#,
            id = e(&p.id),
            state = e(&p.state),
            table = e(&p.table),
            loss = e(&p.loss),
            rows = p.rows.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            statement = e(&one_line(&p.statement, 160)),
            agent = e(&p.agent),
            at = e(&datetime(p.created_ms)),
        );
    }
    let body = format!(
        r#"<p class="muted">What <code>holdpoint pg</code> kept before a statement destroyed it. Restore puts it back in one transaction, or changes nothing; <code>holdpoint restore ID</code> does the same at the terminal, and <code>holdpoint recovery purge</code> takes points away for good.</p>
<table id="recovery"><thead><tr><th>Id</th><th>State</th><th>Table</th><th>Loss</th><th>Rows</th><th>Statement</th><th>Agent</th><th>Kept</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#,
        rows = or_empty(
            rows,
            9,
            "No recovery points: nothing was destroyed through holdpoint pg."
        ),
    );
    page(&state, "Recovery points", &viewer, body).await
}

/// Puts a recovery point back, for a signed-in human who proves they are there.
async fn restore(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ProvenForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/recovery", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let done = match presence_of(form.secret, form.ceremony, form.credential) {
        Ok(sent) => super::api::restore_point(&state, client, viewer.name.clone(), id, sent).await,
        Err(error) => Err(error),
    };
    finish(done, &viewer, "/recovery")
}

/// The agents with a credential and the humans who answer them.
async fn people(State(state): State<AppState>, client: Client, headers: HeaderMap) -> Response {
    let viewer = match viewer(&state, &headers, client, "/people").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let listed = state
        .blocking(|store| {
            let humans = store.humans()?;
            let mut keys = Vec::with_capacity(humans.len());
            for human in &humans {
                keys.push(store.passkeys(&human.name)?.len());
            }
            Ok((store.agents()?, humans, keys))
        })
        .await;
    let (agents, humans, keys) = match listed {
        Ok(listed) => listed,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut agent_rows = String::new();
    for a in &agents {
        let _ = write!(
            agent_rows,
            r#"<tr><td>{name}</td><td>{since}</td><td><a href="/activity?agent={link}">activity</a></td></tr>"#,
            name = e(&a.name),
            since = e(&datetime(a.created_ms)),
            link = url(&a.name),
        );
    }
    let mut human_rows = String::new();
    for (h, keys) in humans.iter().zip(&keys) {
        let _ = write!(
            human_rows,
            r#"<tr><td>{name}</td><td>{role}</td><td>{keys}</td><td>{since}</td></tr>"#,
            name = e(&h.name),
            role = if h.admin { "admin" } else { "approver" },
            since = e(&datetime(h.created_ms)),
        );
    }
    let body = format!(
        r#"<h2>Agents</h2>
<p class="muted">Each has a credential of its own (<code>holdpoint agent add NAME</code>).</p>
<table id="agents"><thead><tr><th>Name</th><th>Since</th><th></th></tr></thead><tbody>{agents}</tbody></table>
<h2>Humans</h2>
<p class="muted">They approve, grant and freeze (<code>holdpoint human add NAME</code>); an admin also adds humans and agents.</p>
<table id="humans"><thead><tr><th>Name</th><th>Role</th><th>Passkeys</th><th>Since</th></tr></thead><tbody>{humans}</tbody></table>"#,
        agents = or_empty(
            agent_rows,
            3,
            "No agents have a credential: hooks that open the store themselves need none."
        ),
        humans = or_empty(human_rows, 4, "No humans."),
    );
    page(&state, "Agents and humans", &viewer, body).await
}

// ----- passkeys -------------------------------------------------------------------

async fn passkeys(State(state): State<AppState>, client: Client, headers: HeaderMap) -> Response {
    let viewer = match viewer(&state, &headers, client, "/passkeys").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let who = viewer.name.clone();
    let keys = match state.blocking(move |store| store.passkeys(&who)).await {
        Ok(keys) => keys,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut rows = String::new();
    for key in &keys {
        let _ = write!(
            rows,
            r#"<tr><td>{name}</td><td>{added}</td><td>{used}</td></tr>"#,
            name = e(&key.name),
            added = e(&datetime(key.created_ms)),
            used = e(&key
                .used_ms
                .map(datetime)
                .unwrap_or_else(|| "never".to_owned())),
        );
    }
    if rows.is_empty() {
        rows = r#"<tr><td colspan="3" class="muted">You have no passkey yet: approvals ask for your secret again.</td></tr>"#.to_owned();
    }
    let proof = if keys.is_empty() {
        r#"<label>Your secret, to show it is you <input type="password" name="secret" id="passkey-secret" required autocomplete="current-password"></label>"#
    } else {
        r#"<p class="muted">Your passkey is asked for first: only you can add another.</p>"#
    };
    let form = match state.passkeys.unusable() {
        Some(why) => format!(r#"<p class="error">{}</p>"#, e(why)),
        None => format!(
            r#"<form id="add-passkey" class="stack card"><input type="hidden" name="csrf" value="{csrf}">
<label>Name it (laptop, security key) <input name="name" id="passkey-name" required maxlength="64"></label>
{proof}
<p class="error" id="passkey-error" role="alert" hidden></p>
<button type="submit" id="add">Add a passkey</button></form>"#,
            csrf = e(&viewer.csrf),
        ),
    };
    let who = viewer.name.clone();
    let now = now_ms();
    let sign_ins = match state
        .blocking(move |store| store.sign_ins_of(&who, now))
        .await
    {
        Ok(sign_ins) => sign_ins,
        Err(error) => return error_page(Some(&viewer), &error),
    };
    let mut open = String::new();
    for sign_in in &sign_ins {
        let id = sign_in.token_hash.get(..16).unwrap_or("");
        let this = same(&sign_in.csrf, &viewer.csrf);
        let _ = write!(
            open,
            r#"<tr><td>{since}</td><td>{until}</td><td>{from}</td><td>{browser}</td><td>{end}</td></tr>"#,
            since = e(&datetime(sign_in.created_ms)),
            until = e(&datetime(sign_in.expires_ms)),
            from = e(if sign_in.client.is_empty() {
                "unknown"
            } else {
                &sign_in.client
            }),
            browser = e(&one_line(&sign_in.browser, 80)),
            end = if this {
                r#"<span class="muted">this one</span>"#.to_owned()
            } else {
                format!(
                    r#"<form method="post" action="/sign-ins/{id}/end" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" id="end-sign-in-{id}">End</button></form>"#,
                    id = e(id),
                    csrf = e(&viewer.csrf)
                )
            },
        );
    }
    let body = format!(
        r#"<p class="muted">With a passkey, approving needs your authenticator (a fingerprint, a face, a PIN or a security key) as well as your sign-in: a program driving this browser cannot give it. Without one, approvals ask for your secret again.</p>
<table id="passkeys"><thead><tr><th>Name</th><th>Added</th><th>Last used</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Add a passkey</h2>
{form}
<h2>Your sign-ins</h2>
<p class="muted">Each is good only from the address and browser that made it. End any you do not recognise.</p>
<table id="sign-ins"><thead><tr><th>Since</th><th>Until</th><th>From</th><th>Browser</th><th></th></tr></thead><tbody>{open}</tbody></table>"#
    );
    page(&state, "Passkeys", &viewer, body).await
}

/// Ends one of the viewer's own sign-ins, named by the start of its token's hash.
async fn end_sign_in(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/passkeys", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let who = viewer.name.clone();
    let now = now_ms();
    let ended = state
        .blocking(move |store| {
            let found = store
                .sign_ins_of(&who, now)?
                .into_iter()
                .find(|s| id.len() == 16 && s.token_hash.starts_with(&id));
            match found {
                Some(sign_in) => store.close_sign_in(&sign_in.token_hash).map(|()| true),
                None => Ok(false),
            }
        })
        .await;
    match ended {
        Ok(true) => finish(Ok(()), &viewer, "/passkeys"),
        Ok(false) => error_page(
            Some(&viewer),
            &ApiError::not_found("you have no such sign-in open"),
        ),
        Err(error) => error_page(Some(&viewer), &error),
    }
}

#[derive(Debug, Deserialize)]
struct FreezeForm {
    csrf: String,
    environment: String,
    reason: String,
    #[serde(default)]
    duration: Option<String>,
}

async fn start_freeze(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<FreezeForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/freezes", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let duration = form.duration.filter(|d| !d.trim().is_empty());
    let freeze = match crate::scope_cmd::new_freeze(
        &form.environment,
        &form.reason,
        None,
        duration.as_deref(),
        viewer.name.clone(),
    ) {
        Ok(freeze) => freeze,
        Err(failure) => return error_page(Some(&viewer), &failure.into()),
    };
    let done = state
        .blocking(move |store| store.start_freeze(freeze, crate::home::os_user(), now_ms()))
        .await;
    finish(done, &viewer, "/freezes")
}

async fn end_freeze(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ProvenForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/freezes", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let purpose = Purpose::EndFreeze { freeze: id.clone() };
    let proven = match presence_of(form.secret, form.ceremony, form.credential) {
        Ok(sent) => passkeys::presence(&state, client, &viewer.name, &purpose, sent).await,
        Err(error) => Err(error),
    };
    if let Err(error) = proven {
        return error_page(Some(&viewer), &error);
    }
    let human = viewer.name.clone();
    let done = state
        .blocking(move |store| store.end_freeze(&id, &human, crate::home::os_user(), now_ms()))
        .await;
    finish(done, &viewer, "/freezes")
}

// ----- ledger ---------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct LedgerQuery {
    from: Option<u64>,
}

async fn ledger(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Query(query): Query<LedgerQuery>,
) -> Response {
    let viewer = match viewer(&state, &headers, client, "/ledger").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    ledger_page(&state, &viewer, query.from, None).await
}

async fn ledger_page(
    state: &AppState,
    viewer: &Viewer,
    from: Option<u64>,
    verified: Option<String>,
) -> Response {
    let status = state
        .reading(move |store| {
            let size = store.size()?;
            let last = store.checkpoints()?.pop();
            let from = from.unwrap_or_else(|| size.saturating_sub(49)).max(1);
            Ok((size, last, store.records(from, 50)?))
        })
        .await;
    let (size, last, records) = match status {
        Ok(status) => status,
        Err(error) => return error_page(Some(viewer), &error),
    };
    let mut rows = String::new();
    for r in records.iter().rev() {
        let record: Option<Record> = r.record().ok();
        let actors = record
            .as_ref()
            .map(|rec| {
                [
                    rec.actors.agent.as_deref().map(|a| format!("agent {a}")),
                    rec.actors.human.as_deref().map(|h| format!("human {h}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            })
            .unwrap_or_default();
        let _ = write!(
            rows,
            r#"<tr id="record-{seq}"><td>#{seq}</td><td>{at}</td><td>{kind}</td><td>{actors}</td><td>{approval}</td><td><code>{hash}</code></td></tr>"#,
            seq = r.seq,
            at = e(&datetime(r.at_ms)),
            kind = e(&r.kind),
            actors = e(&actors),
            approval = record
                .as_ref()
                .and_then(|rec| rec.approval.as_deref())
                .map(|a| format!(r#"<a href="/approvals/{}">{}</a>"#, url(a), e(a)))
                .unwrap_or_default(),
            hash = e(&r.hash.to_string().chars().take(16).collect::<String>()),
        );
    }
    let checkpoint = last
        .map(|c| {
            format!(
                "#{} at {}, root <code>{}</code> (key {})",
                c.size,
                e(&datetime(c.at_ms)),
                e(&c.root.to_string()),
                e(&c.key_id)
            )
        })
        .unwrap_or_else(|| "none yet".to_owned());
    let body = format!(
        r#"{verified}<div class="card"><dl><dt>Records</dt><dd id="size">{size}</dd><dt>Last signed checkpoint</dt><dd>{checkpoint}</dd></dl>
<form method="post" action="/ledger/verify" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" id="verify">Verify now</button></form></div>
<table id="ledger"><thead><tr><th>Record</th><th>Time</th><th>Kind</th><th>Who</th><th>Approval</th><th>Hash</th></tr></thead><tbody>{rows}</tbody></table>"#,
        rows = or_empty(rows, 6, "The ledger has no records yet."),
        verified = verified.unwrap_or_default(),
        csrf = e(&viewer.csrf),
    );
    page(state, "Ledger", viewer, body).await
}

async fn verify(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let viewer = match signed_form(&state, &headers, client, "/ledger", &form.csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let message = match super::api::verification(&state).await {
        Ok(v) if v.verified => format!(
            r#"<p class="notice" id="verified">Ledger verified: {}, {}, in {} ms.</p>"#,
            crate::log_cmd::counted(v.records, "record"),
            crate::log_cmd::counted(v.checkpoints, "signed checkpoint"),
            v.millis
        ),
        Ok(v) => format!(
            r#"<p class="error" id="verified">Verification FAILED at record #{}: {}</p>"#,
            v.broken_at.unwrap_or(0),
            e(v.problem.as_deref().unwrap_or(""))
        ),
        Err(error) => return error_page(Some(&viewer), &error),
    };
    ledger_page(&state, &viewer, None, Some(message)).await
}
