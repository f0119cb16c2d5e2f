//! Who is calling. Agents present their credential (`hpa.NAME.SECRET`, from `holdpoint
//! agent add`) as a bearer token. Humans sign in with their secret and then present the
//! sign-in's token (`hps.…`): as a bearer token to the API, or as an HttpOnly cookie in
//! the console, where every change must also carry the sign-in's CSRF token.
//!
//! Every credential that fails is counted against the client it came from (its address,
//! or the uid at the other end of the Unix socket), and a human's secret also against
//! the name it was given for ([`crate::throttle`]). A client over the limit has no new
//! credential checked, and so costs no password hash, until its window ends: it is
//! answered 429 with `Retry-After`. A credential this server has already checked (an
//! agent token it verified, a sign-in token that exists) is not a guess and still works
//! from such a client: whoever shares an address with working agents and humans (a NAT,
//! a reverse proxy) can hold up new sign-ins from it while it keeps failing, but cannot
//! lock out those already signed in.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, StatusCode, header};
use axum::serve::IncomingStream;
use holdpoint_store::{SignIn, Store as _};
use sha2::{Digest as _, Sha256};

use super::AppState;
use super::api::ApiError;
use crate::home::{millis, now_ms};
use crate::humans::secret_matches;
use crate::throttle::Client;

/// The console's sign-in cookie.
pub(crate) const COOKIE: &str = "holdpoint_session";
/// The header a cookie-authenticated API change carries.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// How long a checked agent token is trusted before the store is asked again whether
/// it still holds the same credential, so that issuing an agent a new credential stops
/// the old one within this time.
const TRUSTED_FOR: Duration = Duration::from_secs(10);

/// An agent token whose password hash was checked.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    agent: String,
    /// The password hash it was checked against.
    token_hash: String,
    at: Instant,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    Agent(String),
    Human {
        name: String,
        admin: bool,
        sign_in: SignIn,
        by_cookie: bool,
    },
}

impl Caller {
    /// The human's name; an agent is refused whatever it tries to do here.
    // INVARIANT: approve, refuse, grant, revoke, freeze and end a freeze all pass
    // through here, so an agent credential can never do them by any route.
    pub fn human(&self, what: &str) -> Result<&str, ApiError> {
        match self {
            Caller::Human { name, .. } => Ok(name),
            Caller::Agent(name) => Err(ApiError::forbidden(format!(
                "`{name}` is an agent, and an agent credential cannot {what}: a human must"
            ))),
        }
    }

    pub fn admin(&self, what: &str) -> Result<&str, ApiError> {
        match self {
            Caller::Human {
                name, admin: true, ..
            } => Ok(name),
            Caller::Human { name, .. } => Err(ApiError::forbidden(format!(
                "`{name}` is not an admin; only an admin may {what}"
            ))),
            Caller::Agent(name) => Err(ApiError::forbidden(format!(
                "`{name}` is an agent, and an agent credential cannot {what}"
            ))),
        }
    }

    pub fn agent(&self) -> Result<&str, ApiError> {
        match self {
            Caller::Agent(name) => Ok(name),
            Caller::Human { name, .. } => Err(ApiError::forbidden(format!(
                "`{name}` is a human; actions are proposed with an agent credential (`holdpoint agent add`)"
            ))),
        }
    }

    /// Whether this caller may see a request an agent made: humans see all, an agent
    /// only its own.
    pub fn may_see(&self, agent: &str) -> bool {
        match self {
            Caller::Agent(name) => name == agent,
            Caller::Human { .. } => true,
        }
    }
}

/// What the Unix socket knows of a client: the uid of the process at the other end, when
/// the system says. A local agent is best run as its own OS user, and then its failures
/// bar only that user, not the humans and other agents on the machine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalPeer(Option<u32>);

impl Connected<IncomingStream<'_, tokio::net::UnixListener>> for LocalPeer {
    fn connect_info(stream: IncomingStream<'_, tokio::net::UnixListener>) -> Self {
        LocalPeer(stream.io().peer_cred().ok().map(|c| c.uid()))
    }
}

/// The client a request came from, as the connection told the router.
pub(crate) fn client_of(extensions: &Extensions) -> Client {
    if let Some(ConnectInfo(address)) = extensions.get::<ConnectInfo<SocketAddr>>() {
        return Client::address(address.ip());
    }
    match extensions.get::<ConnectInfo<LocalPeer>>() {
        Some(ConnectInfo(LocalPeer(Some(uid)))) => Client::LocalUser(*uid),
        _ => Client::LocalSocket,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(client_of(&parts.extensions))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = client_of(&parts.extensions);
        let caller = identify(&parts.headers, client, state).await?.ok_or_else(|| {
            ApiError::unauthorized(
                "sign in first: send `Authorization: Bearer TOKEN` (an agent's credential, or a human's token from POST /api/v1/sign-in)",
            )
        })?;
        if let Caller::Human {
            sign_in,
            by_cookie: true,
            ..
        } = &caller
            && !matches!(parts.method, Method::GET | Method::HEAD)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same(sent, &sign_in.csrf) {
                return Err(ApiError::forbidden(format!(
                    "a change made with the console's cookie must carry the `{CSRF_HEADER}` header of the sign-in"
                )));
            }
        }
        Ok(caller)
    }
}

/// The caller the headers name, `None` when they name none (or only a cookie that names
/// no sign-in). `client` is who the failures are counted against.
pub(crate) async fn identify(
    headers: &HeaderMap,
    client: Client,
    state: &AppState,
) -> Result<Option<Caller>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Some(token) = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
        else {
            return Err(failed(
                state,
                client,
                ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`"),
            ));
        };
        return if token.starts_with("hpa.") {
            agent(state, token, client).await.map(Some)
        } else if token.starts_with("hps.") {
            human(state, token, false, client, headers).await.map(Some)
        } else {
            Err(failed(
                state,
                client,
                ApiError::unauthorized("that is not a holdpoint token"),
            ))
        };
    }
    match cookie(headers, COOKIE) {
        Some(token) => match human(state, &token, true, client, headers).await {
            Ok(caller) => Ok(Some(caller)),
            // Said as it is, rather than asking a human to sign in where they cannot.
            Err(error) if error.status() == StatusCode::TOO_MANY_REQUESTS => Err(error),
            Err(_) => Ok(None),
        },
        None => Ok(None),
    }
}

/// A credential that failed without costing a password hash: counted against `client`
/// and answered with `error`, or, when the client is already over the limit, answered
/// with that instead.
fn failed(state: &AppState, client: Client, error: ApiError) -> ApiError {
    match state.throttle.failed(client, Instant::now()) {
        Ok(()) => error,
        Err(refusal) => ApiError::too_many(&refusal),
    }
}

/// The value of one cookie.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `n` random bytes as hex.
pub(crate) fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The agent a credential belongs to, checked: what the proxies ask of a connecting
/// agent, with the failures counted against `client` as on the API.
pub(crate) async fn verify_agent(
    state: &AppState,
    token: &str,
    client: Client,
) -> Result<String, ApiError> {
    if !token.starts_with("hpa.") {
        return Err(failed(
            state,
            client,
            ApiError::unauthorized("that is not an agent credential"),
        ));
    }
    match agent(state, token, client).await? {
        Caller::Agent(name) => Ok(name),
        Caller::Human { .. } => Err(ApiError::unauthorized("that is not an agent credential")),
    }
}

async fn agent(state: &AppState, token: &str, client: Client) -> Result<Caller, ApiError> {
    let key = sha256_hex(token);
    let known = state
        .agent_tokens
        .lock()
        .ok()
        .and_then(|cache| cache.get(&key).cloned());
    if let Some(verified) = &known
        && verified.at.elapsed() < TRUSTED_FOR
    {
        return Ok(Caller::Agent(verified.agent.clone()));
    }
    // A token this server never verified is a guess until it is checked, and a client
    // over the limit gets none checked.
    if known.is_none() {
        state
            .throttle
            .admit(client, Instant::now())
            .map_err(|refusal| ApiError::too_many(&refusal))?;
    }
    let refused = || {
        ApiError::unauthorized(
            "the agent credential is not valid (a newer one may have replaced it)",
        )
    };
    let name = token
        .strip_prefix("hpa.")
        .and_then(|rest| rest.rsplit_once('.'))
        .map(|(name, _)| name.to_owned());
    let Some(name) = name else {
        return Err(failed(state, client, refused()));
    };
    let agents = state.blocking(|store| store.agents()).await?;
    let Some(identity) = agents.into_iter().find(|a| a.name == name) else {
        return Err(failed(state, client, refused()));
    };
    // Checked before against the credential the store still holds: no need to pay for
    // the password hash again.
    let unchanged = known.is_some_and(|v| v.agent == name && v.token_hash == identity.token_hash);
    if !unchanged {
        // Counted as a failure from here, so that guesses sent at once cannot all be
        // hashed before the first one fails.
        state
            .throttle
            .reserve(client, None, Instant::now())
            .map_err(|refusal| ApiError::too_many(&refusal))?;
        let token = token.to_owned();
        let hash = identity.token_hash.clone();
        let matches = tokio::task::spawn_blocking(move || secret_matches(&token, &hash))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if !matches {
            return Err(refused());
        }
        state.throttle.succeeded(client, None, Instant::now());
    }
    if let Ok(mut cache) = state.agent_tokens.lock() {
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(
            key,
            Verified {
                agent: name.clone(),
                token_hash: identity.token_hash,
                at: Instant::now(),
            },
        );
    }
    Ok(Caller::Agent(name))
}

async fn human(
    state: &AppState,
    token: &str,
    by_cookie: bool,
    client: Client,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let hash = sha256_hex(token);
    let now = now_ms();
    // Looking a token up costs no password hash, and one that exists is no guess, so it
    // works even from a client over the limit; one that names no sign-in (forged, ended
    // or expired) is a failure.
    let Some(sign_in) = state
        .blocking(move |store| store.sign_in(&hash, now))
        .await?
    else {
        return Err(failed(
            state,
            client,
            ApiError::unauthorized("the sign-in has expired or ended: sign in again"),
        ));
    };
    // A sign-in is good only where it was made: a token or cookie copied to another
    // client, or into another browser, is refused there.
    if !sign_in.client.is_empty()
        && (sign_in.client != client.to_string() || sign_in.browser != browser(headers))
    {
        return Err(failed(
            state,
            client,
            ApiError::unauthorized(
                "that sign-in was made from another address or browser: sign in again here",
            ),
        ));
    }
    let humans = state.blocking(|store| store.humans()).await?;
    let Some(human) = humans.into_iter().find(|h| h.name == sign_in.human) else {
        return Err(ApiError::unauthorized("that human no longer exists"));
    };
    Ok(Caller::Human {
        name: human.name,
        admin: human.admin,
        sign_in,
        by_cookie,
    })
}

/// Whether `secret` is the human `name`'s. The attempt is counted against `client` and
/// against `name` before the secret is hashed, and taken back if it was right; a client
/// or a name over the limit is refused without a hash.
pub(crate) async fn check_secret(
    state: &AppState,
    name: &str,
    secret: &str,
    client: Client,
) -> Result<(), ApiError> {
    state
        .throttle
        .reserve(client, Some(name), Instant::now())
        .map_err(|refusal| ApiError::too_many(&refusal))?;
    let humans = state.blocking(|store| store.humans()).await?;
    let hash = humans
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.secret_hash.clone());
    let secret = secret.to_owned();
    // An unknown name costs the same password-hash check as a wrong secret, so the time
    // taken does not tell which names exist.
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => secret_matches(&secret, &hash),
        None => {
            let _ = secret_matches(&secret, DECOY_HASH);
            false
        }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    if !matches {
        // The reservation stands as the failure.
        return Err(ApiError::unauthorized("wrong name or secret"));
    }
    state.throttle.succeeded(client, Some(name), Instant::now());
    Ok(())
}

/// A new sign-in token for a human who gave the right secret, good from `client` with
/// `headers`' `User-Agent` only. The attempt is counted as `check_secret` counts it.
pub(crate) async fn sign_in(
    state: &AppState,
    name: &str,
    secret: &str,
    client: Client,
    headers: &HeaderMap,
) -> Result<(String, SignIn), ApiError> {
    check_secret(state, name, secret, client).await?;
    open_sign_in(state, name, client, headers).await
}

/// Opens a sign-in for `name`, who has proved who they are, from `client` with `headers`'
/// `User-Agent`.
pub(crate) async fn open_sign_in(
    state: &AppState,
    name: &str,
    client: Client,
    headers: &HeaderMap,
) -> Result<(String, SignIn), ApiError> {
    let token = format!("hps.{}", random_hex(32)?);
    let now = now_ms();
    let record = SignIn {
        token_hash: sha256_hex(&token),
        human: name.to_owned(),
        csrf: random_hex(16)?,
        created_ms: now,
        expires_ms: now.saturating_add(millis(state.config.server.sign_in_ttl)),
        client: client.to_string(),
        browser: browser(headers),
    };
    let stored = record.clone();
    state
        .blocking(move |store| store.open_sign_in(&stored))
        .await?;
    Ok((token, record))
}

/// The `User-Agent` a request came with, as a sign-in keeps it (at most 256 characters).
pub(crate) fn browser(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(256)
        .collect()
}

/// The password hash of a secret nobody knows, checked when the name is unknown.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";
