//! Passkeys (WebAuthn) for humans: registering one, and the fresh assertion with user
//! verification that an approval carries as proof that the human is there. A program
//! driving a signed-in browser has the cookie, and perhaps a secret the browser fills in
//! by itself; it has no authenticator gesture.
//!
//! Each ceremony's challenge is kept here, in memory, for the one human and the one
//! purpose it was issued for (approving one request with one digest, or adding a
//! passkey), and is used once: an assertion for another request, another human, or one
//! sent twice finds no ceremony that fits.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use holdpoint_store::StoredPasskey;
use sha2::Digest as _;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use holdpoint_ledger::{ApprovalRequest, ApprovalState, Proof};
use holdpoint_store::Store as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::api::{ApiError, Body, ErrorBody};
use super::auth::{Caller, random_hex};
use crate::home::{now_ms, os_user};
use crate::throttle::Client;

/// How long a ceremony's challenge may be answered.
const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// The most ceremonies kept at once; past it the oldest goes.
const MOST_CEREMONIES: usize = 1024;

/// The relying party, and the ceremonies under way.
pub(crate) struct Passkeys {
    /// `Err`: why passkeys cannot be used with this server's address.
    webauthn: Result<Webauthn, String>,
    ceremonies: Mutex<HashMap<String, Ceremony>>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys")
            .field("usable", &self.webauthn.is_ok())
            .finish_non_exhaustive()
    }
}

/// A challenge handed out and not yet answered.
struct Ceremony {
    human: String,
    started: Instant,
    kind: CeremonyKind,
}

enum CeremonyKind {
    Register {
        name: String,
        state: PasskeyRegistration,
    },
    Assert {
        purpose: Purpose,
        state: PasskeyAuthentication,
    },
}

/// What a proof of presence is for: an assertion made for one proves nothing for
/// another. Each is something a program holding a human's sign-in must not do alone,
/// since it would let an agent act beyond what it was allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Approving request `request`, whose action has digest `digest`.
    Approve { request: String, digest: String },
    /// Adding another passkey.
    AddPasskey,
    /// Issuing a grant.
    Grant,
    /// Ending freeze `freeze`.
    EndFreeze { freeze: String },
    /// Issuing an agent a credential.
    AddAgent,
    /// Putting recovery point `point` back in its database.
    Restore { point: String },
    /// Signing in to the console.
    SignIn,
}

impl std::fmt::Display for Purpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Purpose::Approve { request, .. } => write!(f, "approving request {request}"),
            Purpose::AddPasskey => f.write_str("adding a passkey"),
            Purpose::Grant => f.write_str("issuing a grant"),
            Purpose::EndFreeze { freeze } => write!(f, "ending freeze {freeze}"),
            Purpose::AddAgent => f.write_str("adding an agent"),
            Purpose::Restore { point } => write!(f, "restoring recovery point {point}"),
            Purpose::SignIn => f.write_str("signing in"),
        }
    }
}

/// What a human sends to show they are there: for a human with a passkey, a fresh
/// assertion for the purpose; else their secret, given again.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Presence {
    /// For a human without a passkey: their secret, given again. A sign-in (token or
    /// cookie) alone is not enough, since a program holding it could use it.
    #[serde(default)]
    pub secret: Option<String>,
    /// For a human with a passkey: a fresh assertion for this purpose (`POST /step-up`),
    /// made with user verification.
    #[serde(default)]
    pub passkey: Option<PasskeyAnswer>,
}

/// The proof that `human` is there for `purpose`, from what they sent: a passkey
/// assertion made for it, for a human who has a passkey; else the secret, given again
/// (counted against the client and the name as a sign-in is). Checked before anything is
/// done, and a passkey's use stored.
pub(crate) async fn presence(
    state: &AppState,
    client: Client,
    human: &str,
    purpose: &Purpose,
    sent: Presence,
) -> Result<Proof, ApiError> {
    let who = human.to_owned();
    let passkeys = state.blocking(move |store| store.passkeys(&who)).await?;
    if let Some(answer) = sent.passkey {
        let used = state
            .passkeys
            .finish_assertion(&answer, human, purpose, &passkeys)?;
        state
            .blocking(move |store| store.passkey_used(&used.id, &used.credential, now_ms()))
            .await?;
        return Ok(Proof::Passkey);
    }
    if !passkeys.is_empty() {
        return Err(ApiError::forbidden(format!(
            "you have a passkey, so {purpose} needs it: use the console, which asks for it (or send `passkey`, from POST /step-up), or holdpoint's command line at the machine that holds its store; nothing was done"
        )));
    }
    let Some(secret) = sent.secret.filter(|s| !s.is_empty()) else {
        return Err(ApiError::forbidden(format!(
            "{purpose} needs proof that you are here, not only a sign-in: give your secret again (`secret`); nothing was done"
        )));
    };
    match super::auth::check_secret(state, human, &secret, client).await {
        Ok(()) => Ok(Proof::Secret),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => Err(ApiError::forbidden(
            "that is not your secret; nothing was done",
        )),
        Err(e) => Err(e),
    }
}

/// A passkey's assertion, as an answer carries it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAnswer {
    /// The ceremony the challenge came from (`POST /step-up`).
    pub ceremony: String,
    /// The browser's `PublicKeyCredential`, binary fields in base64url.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

impl Passkeys {
    /// The relying party for a server reached at `public_url`, or at `localhost` on any
    /// port when none is set. An address that is an IP cannot be a relying party: then
    /// passkeys are unavailable and say why.
    pub(crate) fn new(public_url: Option<&str>) -> Self {
        let webauthn = relying_party(public_url);
        Passkeys {
            webauthn,
            ceremonies: Mutex::new(HashMap::new()),
        }
    }

    fn webauthn(&self) -> Result<&Webauthn, ApiError> {
        self.webauthn
            .as_ref()
            .map_err(|why| ApiError::bad_request(why.clone()))
    }

    /// Why passkeys cannot be used with this server's address, if they cannot.
    pub(crate) fn unusable(&self) -> Option<&str> {
        self.webauthn.as_ref().err().map(String::as_str)
    }

    fn keep(&self, human: &str, kind: CeremonyKind) -> Result<String, ApiError> {
        let id = format!("wac-{}", random_hex(16)?);
        let mut ceremonies = self.lock();
        ceremonies.retain(|_, c| c.started.elapsed() < CEREMONY_TTL);
        if ceremonies.len() >= MOST_CEREMONIES
            && let Some(oldest) = ceremonies
                .iter()
                .min_by_key(|(_, c)| c.started)
                .map(|(id, _)| id.clone())
        {
            ceremonies.remove(&oldest);
        }
        ceremonies.insert(
            id.clone(),
            Ceremony {
                human: human.to_owned(),
                started: Instant::now(),
                kind,
            },
        );
        Ok(id)
    }

    /// The ceremony `id`, taken (it is answered once, rightly or not), if it is `human`'s
    /// and still fresh.
    fn take(&self, id: &str, human: &str) -> Result<CeremonyKind, ApiError> {
        let ceremony = self.lock().remove(id);
        match ceremony {
            Some(c) if c.human == human && c.started.elapsed() < CEREMONY_TTL => Ok(c.kind),
            _ => Err(ApiError::forbidden(
                "that passkey challenge is unknown, used, expired or someone else's: ask for a new one; nothing was done",
            )),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ceremony>> {
        self.ceremonies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts registering a passkey called `name` for `human`, who has `existing`.
    pub(crate) fn start_registration(
        &self,
        human: &str,
        name: &str,
        existing: &[StoredPasskey],
    ) -> Result<(String, CreationChallengeResponse), ApiError> {
        let webauthn = self.webauthn()?;
        let exclude = existing
            .iter()
            .filter_map(|p| passkey(p).ok())
            .map(|p| p.cred_id().clone())
            .collect::<Vec<_>>();
        let (options, state) = webauthn
            .start_passkey_registration(user_id(human), human, human, Some(exclude))
            .map_err(|e| ApiError::internal(format!("cannot start a passkey registration: {e}")))?;
        let name = name.to_owned();
        let id = self.keep(human, CeremonyKind::Register { name, state })?;
        Ok((id, options))
    }

    /// Finishes a registration: the passkey to store, or why it is refused.
    pub(crate) fn finish_registration(
        &self,
        ceremony: &str,
        human: &str,
        credential: &serde_json::Value,
        now_ms: i64,
    ) -> Result<StoredPasskey, ApiError> {
        let webauthn = self.webauthn()?;
        let CeremonyKind::Register { name, state } = self.take(ceremony, human)? else {
            return Err(ApiError::forbidden(
                "that challenge was for an assertion, not a registration",
            ));
        };
        let credential: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|e| {
                ApiError::bad_request(format!("`credential` is not a WebAuthn registration: {e}"))
            })?;
        let key = webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| ApiError::forbidden(format!("the passkey was not registered: {e}")))?;
        Ok(StoredPasskey {
            id: serde_json::to_value(key.cred_id())
                .ok()
                .and_then(|id| id.as_str().map(str::to_owned))
                .ok_or_else(|| ApiError::internal("a passkey's id could not be written"))?,
            human: human.to_owned(),
            name,
            credential: serde_json::to_value(&key)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            created_ms: now_ms,
            used_ms: None,
        })
    }

    /// Starts an assertion by one of `human`'s `passkeys`, good for `purpose` only.
    pub(crate) fn start_assertion(
        &self,
        human: &str,
        purpose: Purpose,
        passkeys: &[StoredPasskey],
    ) -> Result<(String, RequestChallengeResponse), ApiError> {
        let webauthn = self.webauthn()?;
        let keys = passkeys
            .iter()
            .filter_map(|p| passkey(p).ok())
            .collect::<Vec<_>>();
        if keys.is_empty() {
            return Err(ApiError::bad_request(
                "you have no passkey: register one on the console's Passkeys page, or give your secret again",
            ));
        }
        let (options, state) = webauthn
            .start_passkey_authentication(&keys)
            .map_err(|e| ApiError::internal(format!("cannot start a passkey assertion: {e}")))?;
        let id = self.keep(human, CeremonyKind::Assert { purpose, state })?;
        Ok((id, options))
    }

    /// Checks an assertion: made for `purpose`, by one of `human`'s passkeys, with user
    /// verification. Returns the passkey used, its credential updated (the signature
    /// counter), to be stored.
    pub(crate) fn finish_assertion(
        &self,
        answer: &PasskeyAnswer,
        human: &str,
        purpose: &Purpose,
        passkeys: &[StoredPasskey],
    ) -> Result<StoredPasskey, ApiError> {
        let webauthn = self.webauthn()?;
        let CeremonyKind::Assert {
            purpose: issued_for,
            state,
        } = self.take(&answer.ceremony, human)?
        else {
            return Err(ApiError::forbidden(
                "that challenge was for a registration, not an assertion",
            ));
        };
        if issued_for != *purpose {
            return Err(ApiError::forbidden(format!(
                "that passkey assertion was made for {issued_for}, not for {purpose}; nothing was done"
            )));
        }
        let credential: PublicKeyCredential = serde_json::from_value(answer.credential.clone())
            .map_err(|e| {
                ApiError::bad_request(format!("`credential` is not a WebAuthn assertion: {e}"))
            })?;
        let result = webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(|e| {
                ApiError::forbidden(format!(
                    "the passkey did not prove it is you ({e}); nothing was done"
                ))
            })?;
        // The library requires user verification for passkeys; checked again here,
        // since it is the point.
        if !result.user_verified() {
            return Err(ApiError::forbidden(
                "the passkey was used without user verification (a PIN or biometric); nothing was done",
            ));
        }
        let used = passkeys
            .iter()
            .find(|p| passkey(p).is_ok_and(|k| k.cred_id() == result.cred_id()))
            .ok_or_else(|| ApiError::forbidden("that passkey is not yours; nothing was done"))?;
        let mut key = passkey(used)?;
        key.update_credential(&result);
        Ok(StoredPasskey {
            credential: serde_json::to_value(&key)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            ..used.clone()
        })
    }
}

/// The stored passkey as the WebAuthn library reads it.
fn passkey(stored: &StoredPasskey) -> Result<Passkey, ApiError> {
    serde_json::from_value(stored.credential.clone())
        .map_err(|e| ApiError::internal(format!("passkey {} cannot be read: {e}", stored.id)))
}

/// A human's WebAuthn user handle: the same for every one of their passkeys, derived
/// from their name so that it needs no column of its own.
fn user_id(human: &str) -> Uuid {
    let digest = sha2::Sha256::digest(format!("holdpoint human {human}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    Uuid::from_bytes(bytes)
}

fn relying_party(public_url: Option<&str>) -> Result<Webauthn, String> {
    let (origin, any_port) = match public_url {
        Some(url) => (url.to_owned(), false),
        None => ("http://localhost".to_owned(), true),
    };
    let origin =
        Url::parse(&origin).map_err(|e| format!("public_url `{origin}` is not a URL: {e}"))?;
    let Some(host) = origin.domain() else {
        return Err(format!(
            "passkeys need the console reached by a name, not an IP address: set public_url to one (or open the console at http://localhost:PORT); `{origin}` has none"
        ));
    };
    let host = host.to_owned();
    WebauthnBuilder::new(&host, &origin)
        .map(|b| b.rp_name("holdpoint").allow_any_port(any_port))
        .and_then(WebauthnBuilder::build)
        .map_err(|e| format!("passkeys cannot be used with `{origin}`: {e}"))
}

// ----- the API's routes ------------------------------------------------------------

/// What a challenge is asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpRequest {
    /// `approve` (with `request`), `grant`, `end-freeze` (with `freeze`), `restore`
    /// (with `point`), `add-agent` or `add-passkey`.
    #[serde(rename = "for")]
    purpose: String,
    /// The approval request to approve.
    #[serde(default)]
    request: Option<String>,
    /// The freeze to end.
    #[serde(default)]
    freeze: Option<String>,
    /// The recovery point to restore.
    #[serde(default)]
    point: Option<String>,
}

/// A WebAuthn challenge, to be answered within 5 minutes, once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    /// Names the challenge when it is answered.
    ceremony: String,
    /// The options for `navigator.credentials.get` (an assertion) or `.create` (a new
    /// passkey), under `publicKey`, binary fields in base64url.
    #[schema(value_type = Object)]
    options: serde_json::Value,
}

/// A passkey, as its human sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    id: String,
    name: String,
    created_ms: i64,
    used_ms: Option<i64>,
}

impl From<&StoredPasskey> for PasskeyView {
    fn from(p: &StoredPasskey) -> Self {
        PasskeyView {
            id: p.id.clone(),
            name: p.name.clone(),
            created_ms: p.created_ms,
            used_ms: p.used_ms,
        }
    }
}

/// What registering a passkey starts with: its name, and proof that the human is there.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasskey {
    /// What to call it ("laptop", "security key").
    name: String,
    /// The human's secret, given again: the proof for a first passkey.
    #[serde(default)]
    secret: Option<String>,
    /// An assertion by a passkey already registered, for `add-passkey`: the proof once
    /// the human has one.
    #[serde(default)]
    passkey: Option<PasskeyAnswer>,
}

/// A new passkey's credential, answering its registration challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyCredential {
    ceremony: String,
    /// The browser's `PublicKeyCredential` from `navigator.credentials.create`, binary
    /// fields in base64url.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

fn challenge<T: Serialize>(ceremony: String, options: &T) -> Result<Json<Challenge>, ApiError> {
    Ok(Json(Challenge {
        ceremony,
        options: serde_json::to_value(options).map_err(|e| ApiError::internal(e.to_string()))?,
    }))
}

/// The purpose of approving request `id`, which must be waiting for an answer, and the
/// request.
pub(crate) async fn approving(
    state: &AppState,
    id: &str,
) -> Result<(Purpose, ApprovalRequest), ApiError> {
    let lookup = id.to_owned();
    let request = state
        .blocking(move |store| store.approval(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no approval request `{id}`")))?;
    if request.state != ApprovalState::Pending || request.expired_at(now_ms()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("request {id} is no longer waiting for an answer"),
        ));
    }
    let purpose = Purpose::Approve {
        request: id.to_owned(),
        digest: request.digest.clone(),
    };
    Ok((purpose, request))
}

/// Why `request` cannot be approved with what was `sent`, when configuration says only
/// a passkey approves it (`passkey_required`) and none came.
pub(crate) fn needs_passkey(
    state: &AppState,
    request: &ApprovalRequest,
    sent: &Presence,
) -> Result<(), ApiError> {
    if sent.passkey.is_none() && state.config.passkey_required.covers(request) {
        return Err(ApiError::forbidden(format!(
            "request {} may be approved only with a passkey (`passkey_required` in holdpoint.toml): approve it in the console, which asks for yours (add one on its Passkeys page first); nothing was done",
            request.id
        )));
    }
    Ok(())
}

/// Ask for a passkey challenge (humans only) for one purpose: approving one pending
/// request, issuing a grant, ending one freeze, restoring one recovery point, adding an
/// agent or another passkey. The
/// assertion that answers it proves nothing else.
#[utoipa::path(post, path = "/step-up", request_body = StepUpRequest,
    responses((status = 200, body = Challenge), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(crate) async fn step_up(
    State(state): State<AppState>,
    caller: Caller,
    Body(ask): Body<StepUpRequest>,
) -> Result<Json<Challenge>, ApiError> {
    let human = caller.human("ask for a passkey challenge")?.to_owned();
    let purpose = match (ask.purpose.as_str(), ask.request, ask.freeze) {
        ("approve", Some(id), _) => approving(&state, &id).await?.0,
        ("approve", None, _) => {
            return Err(ApiError::bad_request(
                "say which request to approve: `request`",
            ));
        }
        ("end-freeze", _, Some(freeze)) => Purpose::EndFreeze { freeze },
        ("end-freeze", _, None) => {
            return Err(ApiError::bad_request("say which freeze to end: `freeze`"));
        }
        ("add-passkey", _, _) => Purpose::AddPasskey,
        ("grant", _, _) => Purpose::Grant,
        ("add-agent", _, _) => Purpose::AddAgent,
        ("restore", _, _) => match ask.point {
            Some(point) => Purpose::Restore { point },
            None => {
                return Err(ApiError::bad_request(
                    "say which recovery point to restore: `point`",
                ));
            }
        },
        (other, _, _) => {
            return Err(ApiError::bad_request(format!(
                "`for` is `approve`, `grant`, `end-freeze`, `restore`, `add-agent` or `add-passkey`, not `{other}`"
            )));
        }
    };
    let who = human.clone();
    let passkeys = state.blocking(move |store| store.passkeys(&who)).await?;
    let (ceremony, options) = state.passkeys.start_assertion(&human, purpose, &passkeys)?;
    challenge(ceremony, &options)
}

/// Your passkeys (humans only).
#[utoipa::path(get, path = "/passkeys",
    responses((status = 200, body = Vec<PasskeyView>), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_passkeys(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PasskeyView>>, ApiError> {
    let human = caller.human("list passkeys")?.to_owned();
    let passkeys = state.blocking(move |store| store.passkeys(&human)).await?;
    Ok(Json(passkeys.iter().map(PasskeyView::from).collect()))
}

/// Start registering a passkey (humans only). A first passkey needs the secret given
/// again; once a human has one, a new one needs an assertion by it (`add-passkey`), so
/// that a program holding a sign-in and a secret cannot add its own.
#[utoipa::path(post, path = "/passkeys/challenge", request_body = NewPasskey,
    responses((status = 200, body = Challenge), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn start_passkey(
    State(state): State<AppState>,
    client: Client,
    caller: Caller,
    Body(new): Body<NewPasskey>,
) -> Result<Json<Challenge>, ApiError> {
    let human = caller.human("add a passkey")?.to_owned();
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name the passkey in 1 to 64 characters, without control characters",
        ));
    }
    let sent = Presence {
        secret: new.secret,
        passkey: new.passkey,
    };
    presence(&state, client, &human, &Purpose::AddPasskey, sent).await?;
    let who = human.clone();
    let passkeys = state.blocking(move |store| store.passkeys(&who)).await?;
    let (ceremony, options) = state
        .passkeys
        .start_registration(&human, &name, &passkeys)?;
    challenge(ceremony, &options)
}

/// Finish registering a passkey (humans only), recorded in the ledger as `passkey_added`.
#[utoipa::path(post, path = "/passkeys", request_body = PasskeyCredential,
    responses((status = 200, body = PasskeyView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn add_passkey(
    State(state): State<AppState>,
    caller: Caller,
    Body(answer): Body<PasskeyCredential>,
) -> Result<Json<PasskeyView>, ApiError> {
    let human = caller.human("add a passkey")?.to_owned();
    let passkey = state.passkeys.finish_registration(
        &answer.ceremony,
        &human,
        &answer.credential,
        now_ms(),
    )?;
    let view = PasskeyView::from(&passkey);
    state
        .blocking(move |store| store.add_passkey(&passkey, os_user()))
        .await?;
    Ok(Json(view))
}
