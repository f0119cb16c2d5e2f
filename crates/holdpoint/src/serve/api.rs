//! The JSON API under `/api/v1`, and its OpenAPI document, generated from these handlers
//! and types (`GET /api/v1/openapi.json`).
//!
//! API values are their own types, converted explicitly from the store's, so the API
//! changes only when this file does.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use holdpoint_core::Surface;
use holdpoint_ledger::{ApprovalRequest, ApprovalState, Vote, VoteKind};
use holdpoint_store::{AgentIdentity, Executed, Store as _, StoreError, StoredFreeze, StoredGrant};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AppState;
use super::auth::{Caller, random_hex};
use super::passkeys::{self, PasskeyAnswer, Presence, Purpose};
use crate::Failure;
use crate::home::{now_ms, os_user};
use crate::pipeline::{Decided, Request as Proposal, action_for, explain};
use crate::throttle::Client;

/// The API's routes, relative to `/api/v1`.
/// The largest body of a route that takes an agent's action.
const MAX_ACTION_BODY: usize = 32 * 1024 * 1024;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/sign-in", post(sign_in))
        // An agent's action may carry the whole text a file tool writes (`written`), so
        // these take more than the rest; only once the agent's credential is checked,
        // since extractors of the request's head run before its body is read.
        .route(
            "/decide",
            post(decide).layer(DefaultBodyLimit::max(MAX_ACTION_BODY)),
        )
        .route(
            "/refused",
            post(refused).layer(DefaultBodyLimit::max(MAX_ACTION_BODY)),
        )
        .route(
            "/executed",
            post(executed).layer(DefaultBodyLimit::max(MAX_ACTION_BODY)),
        )
        .route("/turns/instructed", post(turn_instructed))
        .route("/turns/end", post(turn_end))
        .route("/approvals", get(list_approvals))
        .route("/approvals/{id}", get(show_approval))
        .route("/approvals/{id}/approve", post(approve))
        .route("/approvals/{id}/deny", post(deny))
        .route("/grants", get(list_grants).post(create_grant))
        .route("/grants/{id}/revoke", post(revoke_grant))
        .route("/freezes", get(list_freezes).post(start_freeze))
        .route("/freezes/{id}/end", post(end_freeze))
        .route("/recovery/{id}/restore", post(restore))
        .route("/ledger", get(ledger_page))
        .route("/ledger/verify", get(verify_ledger))
        .route("/ledger/export", get(export_ledger))
        .route("/sessions/{session}/report", get(session_report))
        .route("/agents", post(add_agent))
        .route("/step-up", post(passkeys::step_up))
        .route(
            "/passkeys",
            get(passkeys::list_passkeys).post(passkeys::add_passkey),
        )
        .route("/passkeys/challenge", post(passkeys::start_passkey))
        .fallback(|| async { ApiError::not_found("no such API route: see /api/v1/openapi.json") })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "holdpoint API",
        version = "1",
        description = "Decide agents' actions, answer approval requests, issue grants and freezes, and read the signed ledger. Every route but sign-in and this document takes `Authorization: Bearer TOKEN`: an agent's credential (`holdpoint agent add`) or a human's sign-in token (POST /api/v1/sign-in)."
    ),
    paths(
        sign_in, decide, refused, executed, turn_instructed, turn_end, list_approvals, show_approval, approve, deny, list_grants,
        create_grant, revoke_grant, list_freezes, start_freeze, end_freeze, restore, ledger_page,
        verify_ledger, export_ledger, session_report, add_agent, passkeys::step_up,
        passkeys::list_passkeys, passkeys::start_passkey, passkeys::add_passkey
    ),
    modifiers(&BearerAuth, &CommonErrors),
    security(("bearer" = []))
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The errors every route can answer, added to each operation rather than repeated in
/// each handler's annotation: 401 without a valid credential (all but sign-in), 429 with
/// `Retry-After` for a client (or at sign-in, a name) that failed too often, and for
/// routes that take a body, 400, 415 and 422 for a body that is not what they take.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        let too_many = |mut response: utoipa::openapi::Response| {
            use utoipa::openapi::schema::{ObjectBuilder, Type};
            response.headers.insert(
                "Retry-After".to_owned(),
                utoipa::openapi::header::HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )
                    .description(Some("seconds until the client may try again"))
                    .build(),
            );
            response
        };
        for (path, item) in &mut openapi.paths.paths {
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                if path != "/sign-in" {
                    responses
                        .entry("401".to_owned())
                        .or_insert_with(|| error("no valid credential").into());
                }
                responses.entry("429".to_owned()).or_insert_with(|| {
                    too_many(error(
                        "too many failed sign-ins from this client (or, at sign-in, as this name): the credential was not checked",
                    ))
                    .into()
                });
                if operation.request_body.is_some() {
                    for (code, description) in [
                        ("400", "the body is not JSON, or a value in it is not valid"),
                        ("415", "the body is not sent as application/json"),
                        (
                            "422",
                            "the body lacks a field, or has one this route does not take",
                        ),
                    ] {
                        responses
                            .entry(code.to_owned())
                            .or_insert_with(|| error(description).into());
                    }
                }
            }
        }
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    Json(doc)
}

// ----- errors ---------------------------------------------------------------------

/// An error as the client sees it: a status and one sentence. Internal details go to
/// the server's log, never to the client.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds for a `Retry-After` header: a client refused for failing too often.
    retry_after: Option<u64>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What was wrong and what to do.
    error: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A client or name that failed to sign in too often, refused unchecked.
    pub fn too_many(refusal: &crate::throttle::Refusal) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: refusal.to_string(),
            retry_after: Some(refusal.seconds()),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        eprintln!("holdpoint serve: {}", detail.into());
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "holdpoint could not complete this; the server's log says why",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(e.to_string()),
            StoreError::Refused(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            StoreError::Invalid(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> Self {
        if f.code == crate::exit::USAGE {
            ApiError::bad_request(f.message)
        } else {
            ApiError::internal(f.message)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A JSON request body whose errors are answered as JSON errors.
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    ApiError::new(
        rejection.status(),
        format!(
            "the request body is not what this route takes: {}",
            rejection.body_text()
        ),
    )
}

// ----- values ---------------------------------------------------------------------

/// An action an agent proposes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `shell`, `sql`, `mcp`, `http` or `file`.
    #[schema(example = "shell")]
    surface: String,
    /// The command, statement, call or file operation, exactly as it would run.
    #[schema(example = "rm -rf build")]
    input: String,
    /// The absolute directory it would run in.
    #[schema(example = "/home/dev/project")]
    cwd: String,
    /// The agent's project, when it names one (writes there are workspace work).
    #[serde(default)]
    workspace: Option<String>,
    /// The agent's session id, for the session report.
    #[serde(default)]
    session: Option<String>,
    /// Content hashes that belong to the action (e.g. of a script a command runs).
    #[serde(default)]
    content: Vec<String>,
    /// A file tool's input as the agent gave it (`file_path`, and `content`, or
    /// `old_string` and `new_string`, or `edits`): the server hashes it into the digest
    /// and shows approvers what it writes, so that what they approve is what runs.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    written: Option<serde_json::Value>,
    /// The agent's side runs an allowed command that runs the project's own code
    /// (tests, builds, package scripts) inside `holdpoint sandbox`; without it, such a
    /// command is a change.
    #[serde(default)]
    confined: bool,
    /// The agent's home directory, which `~` stands for in its commands [default: the
    /// server's].
    #[serde(default)]
    #[schema(example = "/home/dev")]
    home: Option<String>,
}

impl ActionRequest {
    fn proposal(self, agent: &str) -> Result<Proposal, ApiError> {
        let surface: Surface = self
            .surface
            .parse()
            .map_err(|e| ApiError::bad_request(format!("surface: {e}")))?;
        if !self.cwd.starts_with('/') {
            return Err(ApiError::bad_request(format!(
                "cwd `{}` must be an absolute path",
                self.cwd
            )));
        }
        if self
            .workspace
            .as_deref()
            .is_some_and(|w| !w.starts_with('/'))
        {
            return Err(ApiError::bad_request("workspace must be an absolute path"));
        }
        if self.home.as_deref().is_some_and(|h| !h.starts_with('/')) {
            return Err(ApiError::bad_request("home must be an absolute path"));
        }
        Ok(Proposal {
            surface,
            input: self.input,
            cwd: self.cwd,
            workspace: self.workspace,
            agent: agent.to_owned(),
            session: self.session,
            content: self.content,
            written: self.written,
            confined: self.confined,
            home: self.home,
        })
    }
}

/// What holdpoint decided.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecideResponse {
    /// `allow`, `ask` (held for humans: the approval names the request) or `deny`.
    pub outcome: String,
    /// `read`, `workspace`, `change` or `destroy`.
    pub risk: String,
    pub reasons: Vec<String>,
    /// The policies that decided.
    pub policies: Vec<String>,
    /// One sentence for the agent: what was decided and what to do next.
    pub message: String,
    /// The ledger record of the decision.
    pub record: u64,
    /// The action's digest: a retry with the same digest is the same action.
    pub digest: String,
    pub approval: Option<ApprovalView>,
    /// Allowed only inside `holdpoint sandbox`, as the request offered.
    #[serde(default)]
    pub confine: bool,
}

/// An action the agent's own gateway refused before any policy was asked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusedRequest {
    action: ActionRequest,
    /// Why, as the agent was told: `the tool `write_file` is hidden from this agent by
    /// the gateway's configuration`.
    reason: String,
}

/// What happened when an action ran.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutedRequest {
    action: ActionRequest,
    /// `succeeded`, `failed`, or `observed` when only the agent's report is known.
    outcome: String,
    #[serde(default)]
    exit_status: Option<i32>,
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    detail: Option<String>,
    /// Who observed it, e.g. `claude-code post-tool hook`.
    observed_by: String,
}

/// A ledger record reference.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Recorded {
    pub record: u64,
}

/// The instruction a person gave the agent for a turn.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstructedRequest {
    /// The agent's session, as its hooks name it.
    session: String,
    /// What the person asked, as the agent received it.
    prompt: String,
    /// The agent's own id of the prompt (Claude Code's `prompt_id`), which its own
    /// telemetry names the turn by.
    #[serde(default)]
    prompt_id: Option<String>,
}

/// The end of an agent's turn.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TurnEndRequest {
    /// The agent's session, as its hooks name it.
    session: String,
}

/// holdpoint's account of a turn, from its ledger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TurnAccount {
    /// What to show the person; none when the turn did nothing worth an account.
    pub account: Option<String>,
    /// Something was refused or destroyed: the agent is to be told as well.
    pub tells_the_agent: bool,
}

/// The longest session id and instruction a turn route takes.
const MOST_SESSION: usize = 256;
const MOST_PROMPT: usize = 1024 * 1024;

fn turn_session(session: &str) -> Result<(), ApiError> {
    if !crate::turn::is_name(session, MOST_SESSION) {
        return Err(ApiError::bad_request(format!(
            "`session` must name the agent's session in 1 to {MOST_SESSION} bytes, without control characters"
        )));
    }
    Ok(())
}

/// An approval request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalView {
    pub id: String,
    /// `pending`, `approved`, `refused`, `used` or `expired`.
    pub state: String,
    pub risk: String,
    pub agent: String,
    pub session: Option<String>,
    pub surface: String,
    pub input: String,
    pub cwd: String,
    pub target: String,
    pub environment: String,
    /// What the action would do, in sentences.
    pub effects: Vec<String>,
    pub reasons: Vec<String>,
    pub policies: Vec<String>,
    /// How many distinct humans must approve, and how many have.
    pub quorum: u32,
    pub approvals: u32,
    pub votes: Vec<VoteView>,
    /// When set, each approver must send this as `confirm`: the name of what the action
    /// destroys (or its target's, where analysis names nothing fit to type).
    pub confirm_target: Option<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub digest: String,
    /// What the action writes beyond its input, for the approver: a file tool's text,
    /// or an edit's lines before (`-`) and after (`+`); made from the bytes the digest
    /// covers, at most 256 KiB of them.
    pub shown: Option<String>,
    /// What the person asked the agent for in the turn that proposed the action, where
    /// the agent passed it on (Claude Code's `UserPromptSubmit`): its text, or a note
    /// that only its hash was kept.
    pub asked: Option<String>,
    /// The task of the agent's grant in force when the action was held, if it had one.
    pub task: Option<String>,
}

/// One human's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VoteView {
    pub human: String,
    /// `approve` or `refuse`.
    pub answer: String,
    pub reason: Option<String>,
    pub at_ms: i64,
    /// What proved the human was there: `terminal` (the secret typed at holdpoint's
    /// command line on this machine), `secret` (given again to the server with the
    /// answer) or `passkey`; absent for refusals and for answers from before proofs.
    pub proof: Option<String>,
}

impl ApprovalView {
    pub(crate) fn from_request(r: &ApprovalRequest, now_ms: i64) -> Self {
        let field = |key: &str| crate::approvals::action_field(r, key);
        let state = if r.state == ApprovalState::Pending && r.expired_at(now_ms) {
            ApprovalState::Expired
        } else {
            r.state
        };
        ApprovalView {
            id: r.id.clone(),
            state: state.as_str().to_owned(),
            risk: r.risk.clone(),
            agent: r.agent.clone(),
            session: r.session.clone(),
            surface: field("surface"),
            input: field("input"),
            cwd: field("cwd"),
            target: field("target"),
            environment: field("environment"),
            effects: r.effects.clone(),
            reasons: r.reasons.clone(),
            policies: r.policies.clone(),
            quorum: r.quorum,
            approvals: u32::try_from(r.approvals()).unwrap_or(u32::MAX),
            votes: r
                .votes
                .iter()
                .map(|v| VoteView {
                    human: v.human.clone(),
                    answer: match v.kind {
                        VoteKind::Approve => "approve",
                        VoteKind::Refuse => "refuse",
                    }
                    .to_owned(),
                    reason: v.reason.clone(),
                    at_ms: v.at_ms,
                    proof: v.proof.map(|p| p.as_str().to_owned()),
                })
                .collect(),
            confirm_target: r.confirm_target.clone(),
            created_ms: r.created_ms,
            expires_ms: r.expires_ms,
            digest: r.digest.clone(),
            shown: r.shown.clone(),
            asked: r.asked.clone(),
            task: r.task.clone(),
        }
    }
}

/// A human's answer to a request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// Why; required to refuse, recorded either way.
    #[serde(default)]
    reason: Option<String>,
    /// The name of what the action destroys, when the request asks approvers to type it.
    #[serde(default)]
    confirm: Option<String>,
    /// To approve, for a human without a passkey: their secret, given again. A sign-in
    /// (token or cookie) alone does not approve, since a program holding it could.
    #[serde(default)]
    secret: Option<String>,
    /// To approve, for a human with a passkey: a fresh assertion for this request
    /// (`POST /step-up` with `for`: `approve`), made with user verification.
    #[serde(default)]
    passkey: Option<PasskeyAnswer>,
}

impl AnswerRequest {
    pub(crate) fn new(
        reason: Option<String>,
        confirm: Option<String>,
        secret: Option<String>,
        passkey: Option<PasskeyAnswer>,
    ) -> Self {
        AnswerRequest {
            reason,
            confirm,
            secret,
            passkey,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalFilter {
    /// Only requests in this state: `pending`, `approved`, `refused`, `used`, `expired`.
    state: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Wait {
    /// Seconds to wait for a pending request to change before answering (at most 60).
    wait: Option<u64>,
}

/// A task-scoped grant to ask for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    agent: String,
    /// What the grant is for, in words: the agent is told it.
    task: String,
    /// Target patterns; `*` matches any run of characters (`shell:*@staging`).
    targets: Vec<String>,
    /// The highest risk it allows: `read`, `workspace`, `change` or `destroy`.
    #[serde(default = "default_max_risk")]
    max_risk: String,
    /// How long it lasts, e.g. `2h`.
    #[serde(default = "default_ttl")]
    ttl: String,
    /// Proof that the human is there (`Presence`): the secret again, or a passkey's
    /// assertion for `grant`.
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    passkey: Option<PasskeyAnswer>,
}

fn default_max_risk() -> String {
    "change".to_owned()
}

fn default_ttl() -> String {
    "1h".to_owned()
}

/// A grant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    pub agent: String,
    pub task: String,
    pub targets: Vec<String>,
    pub max_risk: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
    pub revoked: bool,
    pub issued_by: String,
    pub created_ms: i64,
}

impl From<StoredGrant> for GrantView {
    fn from(g: StoredGrant) -> Self {
        GrantView {
            id: g.grant.id,
            agent: g.grant.agent,
            task: g.grant.task,
            targets: g.grant.targets,
            max_risk: g.grant.max_risk.as_str().to_owned(),
            expires_at: g.grant.expires_at,
            revoked: g.grant.revoked,
            issued_by: g.issued_by,
            created_ms: g.created_ms,
        }
    }
}

/// A freeze to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    /// `production`, `staging` or `development`.
    environment: String,
    /// Why: refused agents are told it.
    reason: String,
    /// When it ends, e.g. `2026-12-01 18:00` (UTC); or give `duration`; neither: until
    /// a human ends it.
    #[serde(default)]
    until: Option<String>,
    /// How long it lasts, e.g. `4h`.
    #[serde(default)]
    duration: Option<String>,
}

/// A freeze.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FreezeView {
    pub id: String,
    pub environment: String,
    pub reason: String,
    /// Seconds since the epoch.
    pub starts_at: i64,
    pub until: Option<i64>,
    pub ended: bool,
    /// Whether it is in force now.
    pub active: bool,
    pub started_by: String,
    pub ended_by: Option<String>,
}

impl FreezeView {
    pub(crate) fn from_stored(f: StoredFreeze, now_ms: i64) -> Self {
        FreezeView {
            active: f.freeze.active(f.freeze.environment, now_ms / 1000),
            id: f.id,
            environment: f.freeze.environment.as_str().to_owned(),
            reason: f.freeze.reason,
            starts_at: f.freeze.starts_at,
            until: f.freeze.until,
            ended: f.freeze.ended,
            started_by: f.started_by,
            ended_by: f.ended_by,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The first record's sequence number (from 1).
    from: Option<u64>,
    /// How many records, at most 1000.
    limit: Option<usize>,
}

/// A page of the ledger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerPage {
    /// Records in the ledger.
    pub size: u64,
    pub records: Vec<LedgerRecord>,
    /// Where the next page starts, if there is one.
    pub next: Option<u64>,
}

/// One record, as hashed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerRecord {
    pub seq: u64,
    pub hash: String,
    pub at_ms: i64,
    pub kind: String,
    /// The record's JSON, exactly the text that was hashed, parsed.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
}

/// The result of verifying the whole ledger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Verification {
    pub verified: bool,
    pub records: u64,
    pub checkpoints: u64,
    /// The size the last signed checkpoint covers.
    pub signed_size: u64,
    pub root: Option<String>,
    /// The first thing wrong, when verification fails.
    pub problem: Option<String>,
    /// The record where the ledger breaks.
    pub broken_at: Option<u64>,
    pub millis: u64,
}

/// A human's name and secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    name: String,
    secret: String,
}

/// A sign-in.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignInResponse {
    pub human: String,
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub expires_ms: i64,
}

/// An agent to issue a credential to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    name: String,
    /// Proof that the admin is there (`Presence`): the secret again, or a passkey's
    /// assertion for `add-agent`.
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    passkey: Option<PasskeyAnswer>,
}

/// A new agent credential, shown only this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgentCreated {
    pub name: String,
    pub token: String,
}

// ----- handlers -------------------------------------------------------------------

/// Sign a human in: the token is a bearer token for the API, good from this client (its
/// address, or local user) with this `User-Agent` only.
#[utoipa::path(post, path = "/sign-in", request_body = SignInRequest, security(()),
    responses((status = 200, body = SignInResponse), (status = 401, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    headers: axum::http::HeaderMap,
    Body(request): Body<SignInRequest>,
) -> Result<Json<SignInResponse>, ApiError> {
    let (token, sign_in) =
        super::auth::sign_in(&state, &request.name, &request.secret, client, &headers).await?;
    Ok(Json(SignInResponse {
        human: sign_in.human,
        token,
        expires_ms: sign_in.expires_ms,
    }))
}

/// Decide an agent's action and record it (agents only). `ask` holds it: the answer
/// names the approval request; once humans approve it, proposing the identical action
/// again is allowed once.
#[utoipa::path(post, path = "/decide", request_body = ActionRequest,
    responses((status = 200, body = DecideResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn decide(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Body(request): Body<ActionRequest>,
) -> Result<Json<DecideResponse>, ApiError> {
    let proposal = request.proposal(caller.agent()?)?;
    let home = &state.decider.holdpoint_home;
    // Only a client on this machine's socket reaches this machine's loopback, as a
    // user the kernel names.
    let (action, analysis) = action_for(&proposal, state.environment, home, || match client {
        Client::LocalUser(uid) => crate::gates::gates(&state.config.databases, home, Some(uid)),
        _ => Vec::new(),
    });
    let decided = state.decider.decide(action, analysis).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{e}; the action is refused"),
        )
    })?;
    if decided.settlement.new_request {
        state.changed();
        if let Some(approval) = &decided.settlement.approval {
            state
                .notifier
                .requested(approval, state.console_url().as_deref());
        }
    }
    Ok(Json(response(&state, &decided)))
}

fn response(state: &AppState, decided: &Decided) -> DecideResponse {
    let now = now_ms();
    DecideResponse {
        outcome: decided.settlement.outcome.as_str().to_owned(),
        risk: decided.decision.risk.as_str().to_owned(),
        reasons: decided.decision.reasons.clone(),
        policies: decided.decision.policies.clone(),
        message: explain(decided, state.console_url().as_deref()),
        record: decided.settlement.decided.seq,
        digest: decided.action.digest().to_string(),
        approval: decided
            .settlement
            .approval
            .as_ref()
            .map(|a| ApprovalView::from_request(a, now)),
        confine: crate::pipeline::confined(decided),
    }
}

/// Record an action the agent's gateway refused before any policy was asked (agents
/// only): its proposal and a denial decided by `gateway`, durable before the answer.
/// It can only add a refusal to the ledger, never allow anything.
#[utoipa::path(post, path = "/refused", request_body = RefusedRequest,
    responses((status = 200, body = Recorded), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn refused(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<RefusedRequest>,
) -> Result<Json<Recorded>, ApiError> {
    let proposal = request.action.proposal(caller.agent()?)?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.len() > 1_000 {
        return Err(ApiError::bad_request(
            "`reason` must say why the gateway refused the action, in at most 1,000 bytes",
        ));
    }
    let (action, analysis) = action_for(
        &proposal,
        state.environment,
        &state.decider.holdpoint_home,
        Vec::new,
    );
    let decided = state
        .decider
        .refused_durably(action, analysis, reason)
        .await
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))?;
    state.changed();
    Ok(Json(Recorded {
        record: decided.settlement.decided.seq,
    }))
}

/// Record what happened when an action ran (agents only).
#[utoipa::path(post, path = "/executed", request_body = ExecutedRequest,
    responses((status = 200, body = Recorded), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn executed(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<ExecutedRequest>,
) -> Result<Json<Recorded>, ApiError> {
    let proposal = request.action.proposal(caller.agent()?)?;
    let (action, _) = action_for(
        &proposal,
        state.environment,
        &state.decider.holdpoint_home,
        Vec::new,
    );
    let executed = Executed {
        outcome: request.outcome,
        exit_status: request.exit_status,
        duration_ms: request.duration_ms,
        detail: request.detail,
        observed_by: request.observed_by,
    };
    let record = state
        .blocking(move |store| {
            crate::pipeline::record_executed(store, &action, &executed, now_ms())
        })
        .await?;
    Ok(Json(Recorded { record: record.seq }))
}

/// Record the instruction a person gave for a turn of the agent's session (agents
/// only), as this server's `instructions` setting keeps it (redacted text, or its hash
/// alone); approval requests of that session then show it.
#[utoipa::path(post, path = "/turns/instructed", request_body = InstructedRequest,
    responses((status = 200, body = Recorded), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn turn_instructed(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<InstructedRequest>,
) -> Result<Json<Recorded>, ApiError> {
    let agent = caller.agent()?.to_owned();
    turn_session(&request.session)?;
    if request.prompt.len() > MOST_PROMPT {
        return Err(ApiError::bad_request(format!(
            "`prompt` is longer than {MOST_PROMPT} bytes"
        )));
    }
    let most_id = crate::turn::MOST_PROMPT_ID;
    if request
        .prompt_id
        .as_deref()
        .is_some_and(|id| !crate::turn::is_name(id, most_id))
    {
        return Err(ApiError::bad_request(format!(
            "`prompt_id` must be 1 to {most_id} bytes, without control characters"
        )));
    }
    let entry = crate::turn::instruction(
        &agent,
        &request.session,
        &request.prompt,
        request.prompt_id.as_deref(),
        state.config.instructions,
        None,
    );
    let record = state
        .blocking(move |store| store.append(&[entry], now_ms()))
        .await?;
    state.changed();
    Ok(Json(Recorded {
        record: record.last().map_or(0, |r| r.seq),
    }))
}

/// End a turn of the agent's session (agents only): holdpoint's account of what it did,
/// from the ledger since the turn before (refused, still held, failed, changed,
/// destroyed, recovery points kept), or none when there is nothing of that. Only a
/// session whose records are all the caller's has one.
#[utoipa::path(post, path = "/turns/end", request_body = TurnEndRequest,
    responses((status = 200, body = TurnAccount), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn turn_end(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<TurnEndRequest>,
) -> Result<Json<TurnAccount>, ApiError> {
    let agent = caller.agent()?.to_owned();
    turn_session(&request.session)?;
    let store = std::sync::Arc::clone(&state.store);
    let account = tokio::task::spawn_blocking(move || {
        crate::turn::account_in(&store, &request.session, Some(&agent))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|why| ApiError::new(StatusCode::FORBIDDEN, why))?;
    Ok(Json(TurnAccount {
        tells_the_agent: account.as_ref().is_some_and(|a| a.tells_the_agent),
        account: account.map(|a| a.text),
    }))
}

/// Approval requests, newest first. An agent sees only its own.
#[utoipa::path(get, path = "/approvals", params(ApprovalFilter),
    responses((status = 200, body = Vec<ApprovalView>), (status = 400, body = ErrorBody)))]
async fn list_approvals(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<ApprovalFilter>,
) -> Result<Json<Vec<ApprovalView>>, ApiError> {
    let wanted = match filter.state.as_deref() {
        None | Some("") => None,
        Some(text) => Some(ApprovalState::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "state `{text}` is not one of pending, approved, refused, used, expired"
            ))
        })?),
    };
    let now = now_ms();
    let requests = state.blocking(move |store| store.approvals(now)).await?;
    Ok(Json(
        requests
            .iter()
            .filter(|r| caller.may_see(&r.agent))
            .filter(|r| wanted.is_none_or(|s| r.state == s))
            .map(|r| ApprovalView::from_request(r, now))
            .collect(),
    ))
}

/// One approval request. With `wait`, a pending request is answered when it changes or
/// when the time is up, whichever comes first (long-poll).
#[utoipa::path(get, path = "/approvals/{id}", params(("id" = String, Path), Wait),
    responses((status = 200, body = ApprovalView), (status = 404, body = ErrorBody)))]
async fn show_approval(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(wait): Query<Wait>,
) -> Result<Json<ApprovalView>, ApiError> {
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(wait.wait.unwrap_or(0).min(60));
    let mut changes = state.changes.subscribe();
    loop {
        let lookup = id.clone();
        let request = state
            .blocking(move |store| store.approval(&lookup))
            .await?
            .filter(|r| caller.may_see(&r.agent))
            .ok_or_else(|| ApiError::not_found(format!("no approval request `{id}`")))?;
        let view = ApprovalView::from_request(&request, now_ms());
        let now = tokio::time::Instant::now();
        if view.state != "pending" || now >= deadline {
            return Ok(Json(view));
        }
        // Answers given here wake the wait at once, and on a PostgreSQL store so do
        // answers any other process commits. On SQLite, answers given at another
        // process's command line are seen within half a second.
        let again = state.look_again(Duration::from_millis(500));
        let _ = tokio::time::timeout((deadline - now).min(again), changes.changed()).await;
    }
}

/// Approve a request (humans only, with proof that they are there: `secret` given again,
/// or, for a human with a passkey, `passkey`, an assertion for this request from
/// `POST /step-up`). It is approved once the quorum of distinct humans is reached; then
/// the identical action may run once.
#[utoipa::path(post, path = "/approvals/{id}/approve", params(("id" = String, Path)),
    request_body = AnswerRequest,
    responses((status = 200, body = ApprovalView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Path(id): Path<String>,
    Body(answer): Body<AnswerRequest>,
) -> Result<Json<ApprovalView>, ApiError> {
    let human = caller.human("approve a request")?.to_owned();
    answer_request(&state, client, id, human, VoteKind::Approve, answer)
        .await
        .map(Json)
}

/// Refuse a request (humans only); a reason is required.
#[utoipa::path(post, path = "/approvals/{id}/deny", params(("id" = String, Path)),
    request_body = AnswerRequest,
    responses((status = 200, body = ApprovalView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn deny(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Path(id): Path<String>,
    Body(answer): Body<AnswerRequest>,
) -> Result<Json<ApprovalView>, ApiError> {
    let human = caller.human("refuse a request")?.to_owned();
    answer_request(&state, client, id, human, VoteKind::Refuse, answer)
        .await
        .map(Json)
}

/// One human's answer, recorded. An approval carries a proof that the human is there,
/// checked before anything is recorded (a refusal needs none: it lets nothing run).
pub(crate) async fn answer_request(
    state: &AppState,
    client: Client,
    id: String,
    human: String,
    kind: VoteKind,
    answer: AnswerRequest,
) -> Result<ApprovalView, ApiError> {
    let reason = answer.reason.filter(|r| !r.trim().is_empty());
    if kind == VoteKind::Refuse && reason.is_none() {
        return Err(ApiError::bad_request(
            "say why the action is refused: the agent is told the reason",
        ));
    }
    let proof = match kind {
        VoteKind::Approve => {
            let (purpose, request) = passkeys::approving(state, &id).await?;
            let sent = Presence {
                secret: answer.secret,
                passkey: answer.passkey,
            };
            passkeys::needs_passkey(state, &request, &sent)?;
            Some(passkeys::presence(state, client, &human, &purpose, sent).await?)
        }
        VoteKind::Refuse => None,
    };
    let now = now_ms();
    let vote = Vote {
        human,
        kind,
        reason,
        at_ms: now,
        proof,
    };
    let confirm = answer.confirm;
    let request = state
        .blocking(move |store| store.answer(&id, vote, confirm.as_deref(), os_user()))
        .await?;
    state.changed();
    Ok(ApprovalView::from_request(&request, now))
}

/// Grants, newest first.
#[utoipa::path(get, path = "/grants", responses((status = 200, body = Vec<GrantView>)))]
async fn list_grants(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    let grants = state.blocking(|store| store.grants()).await?;
    let mut grants: Vec<GrantView> = grants
        .into_iter()
        .filter(|g| caller.may_see(&g.grant.agent))
        .map(GrantView::from)
        .collect();
    grants.sort_by_key(|g| std::cmp::Reverse(g.created_ms));
    Ok(Json(grants))
}

/// Issue a grant (humans only).
#[utoipa::path(post, path = "/grants", request_body = GrantRequest,
    responses((status = 200, body = GrantView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn create_grant(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Body(request): Body<GrantRequest>,
) -> Result<Json<GrantView>, ApiError> {
    let human = caller.human("issue a grant")?.to_owned();
    let grant = crate::scope_cmd::new_grant(
        &request.agent,
        &request.task,
        &request.targets,
        &request.max_risk,
        &request.ttl,
        human.clone(),
    )?;
    let sent = Presence {
        secret: request.secret,
        passkey: request.passkey,
    };
    passkeys::presence(&state, client, &human, &Purpose::Grant, sent).await?;
    let grant = state
        .blocking(move |store| store.issue_grant(grant, os_user()))
        .await?;
    Ok(Json(grant.into()))
}

/// Revoke a grant (humans only).
#[utoipa::path(post, path = "/grants/{id}/revoke", params(("id" = String, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn revoke_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<GrantView>, ApiError> {
    let human = caller.human("revoke a grant")?.to_owned();
    let grant = state
        .blocking(move |store| store.revoke_grant(&id, &human, os_user(), now_ms()))
        .await?;
    Ok(Json(grant.into()))
}

/// Freezes, newest first.
#[utoipa::path(get, path = "/freezes", responses((status = 200, body = Vec<FreezeView>)))]
async fn list_freezes(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<FreezeView>>, ApiError> {
    let now = now_ms();
    let freezes = state.blocking(|store| store.freezes()).await?;
    let mut freezes: Vec<FreezeView> = freezes
        .into_iter()
        .map(|f| FreezeView::from_stored(f, now))
        .collect();
    freezes.sort_by_key(|f| std::cmp::Reverse(f.starts_at));
    Ok(Json(freezes))
}

/// Start a freeze (humans only): change and destroy actions in the environment are
/// denied while it lasts.
#[utoipa::path(post, path = "/freezes", request_body = FreezeRequest,
    responses((status = 200, body = FreezeView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn start_freeze(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<FreezeRequest>,
) -> Result<Json<FreezeView>, ApiError> {
    let human = caller.human("start a freeze")?.to_owned();
    let freeze = crate::scope_cmd::new_freeze(
        &request.environment,
        &request.reason,
        request.until.as_deref(),
        request.duration.as_deref(),
        human,
    )?;
    let now = now_ms();
    let freeze = state
        .blocking(move |store| store.start_freeze(freeze, os_user(), now))
        .await?;
    Ok(Json(FreezeView::from_stored(freeze, now)))
}

/// End a freeze (humans only, with proof that they are there: `Presence`).
#[utoipa::path(post, path = "/freezes/{id}/end", params(("id" = String, Path)),
    request_body = Presence,
    responses((status = 200, body = FreezeView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn end_freeze(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Path(id): Path<String>,
    Body(sent): Body<Presence>,
) -> Result<Json<FreezeView>, ApiError> {
    let human = caller.human("end a freeze")?.to_owned();
    let purpose = Purpose::EndFreeze { freeze: id.clone() };
    passkeys::presence(&state, client, &human, &purpose, sent).await?;
    let now = now_ms();
    let freeze = state
        .blocking(move |store| store.end_freeze(&id, &human, os_user(), now))
        .await?;
    Ok(Json(FreezeView::from_stored(freeze, now)))
}

/// What a restore put back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Restored {
    /// The recovery point, now `restored`.
    pub point: String,
    /// What was put back, in a sentence.
    pub done: String,
}

/// Put a recovery point back in its database (humans only, with proof that they are
/// there: `Presence`), in one transaction, with the proxy's credentials for that
/// database; the ledger records who restored it. One restore runs at a time.
#[utoipa::path(post, path = "/recovery/{id}/restore", params(("id" = String, Path)),
    request_body = Presence,
    responses((status = 200, body = Restored), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Path(id): Path<String>,
    Body(sent): Body<Presence>,
) -> Result<Json<Restored>, ApiError> {
    let human = caller.human("restore a recovery point")?.to_owned();
    restore_point(&state, client, human, id, sent)
        .await
        .map(Json)
}

/// Restores recovery point `id` for `human`, once `sent` proves they are there.
pub(crate) async fn restore_point(
    state: &AppState,
    client: Client,
    human: String,
    id: String,
    sent: Presence,
) -> Result<Restored, ApiError> {
    let purpose = Purpose::Restore { point: id.clone() };
    passkeys::presence(state, client, &human, &purpose, sent).await?;
    let worker = state.clone();
    let restored = tokio::task::spawn_blocking(move || {
        let _one_at_a_time = worker
            .restoring
            .lock()
            .map_err(|_| Failure::internal("an earlier restore failed midway"))?;
        let point = crate::recovery_cmd::kept(&worker.store, &id)?;
        let done =
            crate::recovery_cmd::put_back_recorded(&worker.store, &worker.config, &point, &human)?;
        Ok::<_, Failure>(Restored {
            point: point.id,
            done,
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("a restore failed: {e}")))?;
    restored.map_err(|failure| {
        let status = if failure.code != crate::exit::USAGE {
            // The database refused, or could not be reached.
            StatusCode::BAD_GATEWAY
        } else if failure.message.starts_with("no recovery point") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::CONFLICT
        };
        ApiError::new(status, failure.message)
    })
}

/// A page of ledger records (humans only).
#[utoipa::path(get, path = "/ledger", params(Page),
    responses((status = 200, body = LedgerPage), (status = 403, body = ErrorBody)))]
async fn ledger_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<Json<LedgerPage>, ApiError> {
    caller.human("read the ledger")?;
    let from = page.from.unwrap_or(1).max(1);
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let (size, records) = state
        .reading(move |store| Ok((store.size()?, store.records(from, limit)?)))
        .await?;
    let next = records
        .last()
        .map(|r| r.seq + 1)
        .filter(|next| *next <= size);
    let records = records
        .into_iter()
        .map(|r| LedgerRecord {
            record: serde_json::from_str(&r.text).unwrap_or(serde_json::Value::Null),
            seq: r.seq,
            hash: r.hash.to_string(),
            at_ms: r.at_ms,
            kind: r.kind,
        })
        .collect();
    Ok(Json(LedgerPage {
        size,
        records,
        next,
    }))
}

/// Verify the whole ledger now: every hash, link and signed checkpoint (humans only).
#[utoipa::path(get, path = "/ledger/verify",
    responses((status = 200, body = Verification), (status = 403, body = ErrorBody)))]
async fn verify_ledger(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Verification>, ApiError> {
    caller.human("verify the ledger")?;
    verification(&state).await.map(Json)
}

pub(crate) async fn verification(state: &AppState) -> Result<Verification, ApiError> {
    let home = state.home.clone();
    let store = std::sync::Arc::clone(&state.reader);
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let key = home.verifying_key(None)?;
        let result = crate::log_cmd::verify(&store, &home, key)?;
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok::<_, Failure>(match result {
            Ok(report) => Verification {
                verified: true,
                records: report.records,
                checkpoints: report.checkpoints,
                signed_size: report.signed_size,
                root: Some(report.root.to_string()),
                problem: None,
                broken_at: None,
                millis,
            },
            Err(broken) => Verification {
                verified: false,
                records: store.size().unwrap_or(0),
                checkpoints: 0,
                signed_size: 0,
                root: None,
                problem: Some(broken.to_string()),
                broken_at: Some(broken.record()),
                millis,
            },
        })
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(ApiError::from)
}

/// The whole ledger as JSON lines, each the exact text that was hashed (humans only).
#[utoipa::path(get, path = "/ledger/export",
    responses((status = 200, content_type = "application/x-ndjson", body = String),
        (status = 403, body = ErrorBody)))]
async fn export_ledger(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.human("export the ledger")?;
    let pages = futures_util::stream::unfold(Some(1u64), move |from| {
        let state = state.clone();
        async move {
            let from = from?;
            let page = state.reading(move |store| store.records(from, 1000)).await;
            match page {
                Err(e) => Some((Err(std::io::Error::other(e.message().to_owned())), None)),
                Ok(records) if records.is_empty() => None,
                Ok(records) => {
                    let next = records.last().map(|r| r.seq + 1);
                    let text: String = records.iter().map(|r| format!("{}\n", r.text)).collect();
                    Some((Ok(text), next))
                }
            }
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(pages),
    )
        .into_response())
}

/// What an agent session did, from the ledger (humans only).
#[utoipa::path(get, path = "/sessions/{session}/report", params(("session" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn session_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(session): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.human("read a session report")?;
    let report = report(&state, session).await?;
    Ok(Json(
        serde_json::to_value(&report).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

pub(crate) async fn report(
    state: &AppState,
    session: String,
) -> Result<crate::report::Report, ApiError> {
    let store = std::sync::Arc::clone(&state.store);
    tokio::task::spawn_blocking(move || crate::report::build(&store, &session))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|f| {
            if f.code == crate::exit::USAGE {
                ApiError::not_found(f.message)
            } else {
                ApiError::internal(f.message)
            }
        })
}

/// Issue an agent a credential (admins only). Issuing one to an existing agent replaces
/// its old credential.
#[utoipa::path(post, path = "/agents", request_body = AgentRequest,
    responses((status = 200, body = AgentCreated), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn add_agent(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Body(request): Body<AgentRequest>,
) -> Result<Json<AgentCreated>, ApiError> {
    let admin = caller.admin("add an agent")?.to_owned();
    crate::humans::valid_name(&request.name)?;
    let sent = Presence {
        secret: request.secret,
        passkey: request.passkey,
    };
    passkeys::presence(&state, client, &admin, &Purpose::AddAgent, sent).await?;
    let (token, identity) = new_agent(&request.name, random_hex(32)?)?;
    state
        .blocking(move |store| store.add_agent(identity, &admin, os_user()))
        .await?;
    if let Ok(mut cache) = state.agent_tokens.lock() {
        cache.clear();
    }
    Ok(Json(AgentCreated {
        name: request.name,
        token,
    }))
}

/// An agent's token and its identity as stored (with the token's password hash).
pub(crate) fn new_agent(name: &str, secret: String) -> Result<(String, AgentIdentity), Failure> {
    let token = format!("hpa.{name}.{secret}");
    let identity = AgentIdentity {
        name: name.to_owned(),
        token_hash: crate::humans::hash_secret(&token)?,
        created_ms: now_ms(),
    };
    Ok((token, identity))
}
