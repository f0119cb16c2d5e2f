//! `holdpoint pg`: a PostgreSQL proxy. Agents connect to it with their holdpoint
//! credential (user: the agent's name, password: its token) and never see the real
//! database's; every statement is analysed and decided before it is forwarded, and what
//! it did (the command tag, or the error) is recorded in the ledger.
//!
//! A refused statement is not answered by the proxy out of turn: it is replaced, in
//! order, by a statement the server rejects as a syntax error, and that error is
//! rewritten into holdpoint's refusal on the way back. So the server ends an implicit
//! transaction or a pipeline exactly as it would for any failed statement, and replies
//! stay in the order the client expects.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use holdpoint_core::recovery::{self, Loss, Recoverable};
use holdpoint_core::sql_settings::{self, PINNED};
use holdpoint_core::{
    Action, Analysis, AnalysisContext, Effect, Environment, ObjectKind, Risk, Surface, sql_shape,
};
use holdpoint_ledger::{ApprovalState, VoteKind};
use holdpoint_pgwire::{self as wire, Fields, Frame, Sql, Startup};
use holdpoint_policy::{Decision, Outcome};
use holdpoint_store::{Executed, RecoveryPoint, Store as _};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_rustls::TlsAcceptor;

use crate::home::{DatabaseConfig, TlsFiles, now_ms};
use crate::keep::{self, DECLARE, RECOVERY_SETUP, SETUP_STATEMENTS, literal};
use crate::serve::AppState;
use crate::serve::auth::verify_agent;
use crate::serve::decider::{Early, Stamp};
use crate::throttle::Client;
use crate::{Failure, exit, local};

/// The largest message either side may send.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// How often a waiting client is reminded what it waits for.
const NOTICE_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub(crate) struct PgArgs {
    /// The address agents connect to [default: 127.0.0.1:6432].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The real database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE. The password
    /// may instead be given in a file named by $HOLDPOINT_UPSTREAM_PASSWORD_FILE, or in
    /// $HOLDPOINT_UPSTREAM_PASSWORD; agents never see it.
    /// Without it, every [[database]] in holdpoint.toml is served.
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// The environment this database belongs to [default: holdpoint.toml's].
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// Refuse a held statement at once, naming the approval request, instead of waiting
    /// for the approval.
    #[arg(long, conflicts_with = "wait")]
    no_wait: bool,
    /// How long a held statement waits for approval [default: exec_wait, 10m].
    #[arg(long, value_name = "DURATION")]
    wait: Option<String>,
    /// A PEM certificate chain: agents must then connect over TLS (sslmode=require, or
    /// verify-full with its CA). Needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// The real database.
#[derive(Debug, Clone)]
struct Upstream {
    address: String,
    user: String,
    password: Option<String>,
    database: String,
}

impl Upstream {
    fn parse(url: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{url}` is not a database address: write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            )
        };
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(bad)?;
        let (who, rest) = rest.rsplit_once('@').ok_or_else(bad)?;
        let (host, database) = rest.split_once('/').ok_or_else(bad)?;
        let database = database.split('?').next().unwrap_or("");
        let (user, password) = match who.split_once(':') {
            Some((user, password)) => (user, Some(password.to_owned())),
            None => (who, None),
        };
        if user.is_empty() || host.is_empty() || database.is_empty() {
            return Err(bad());
        }
        let address = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:5432")
        };
        Ok(Upstream {
            address,
            user: user.to_owned(),
            password,
            database: database.to_owned(),
        })
    }
}

/// A process id and secret key, as a cancel request names a connection.
type CancelKey = (i32, Vec<u8>);

/// What the proxy shares between connections.
struct Proxy {
    state: AppState,
    upstream: Upstream,
    environment: Environment,
    /// `None`: refuse held statements at once.
    wait: Option<Duration>,
    /// Set: agents connect over TLS only.
    tls: Option<TlsAcceptor>,
    /// Cancel keys handed to clients: the server's they stand for, and how to end the
    /// connection's wait for an approval.
    cancels: Mutex<HashMap<CancelKey, (CancelKey, Arc<tokio::sync::Notify>)>>,
    next: AtomicU64,
    /// This process's part of every session id it makes (`pg-claude-7kq2mxtd-3`), so
    /// that ids never repeat across proxies or restarts.
    instance: String,
}

/// `holdpoint pg`.
pub(crate) fn run(args: &PgArgs) -> Result<u8, Failure> {
    let (home, runtime) = crate::serve::home_and_runtime("proxy")?;
    let state = AppState::open_home(home, args.env.as_deref(), None, false)?;
    let flag_wait = match &args.wait {
        Some(text) => Some(humantime::parse_duration(text).map_err(|e| {
            Failure::usage(format!(
                "--wait `{text}` is not a duration ({e}); write e.g. 5m"
            ))
        })?),
        None => None,
    };
    // The databases: the one on the command line, or those in holdpoint.toml.
    let databases = match &args.upstream {
        Some(upstream) => vec![DatabaseConfig {
            listen: args
                .listen
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 6432))),
            upstream: upstream.clone(),
            environment: None,
            wait: if args.no_wait {
                Some(Duration::ZERO)
            } else {
                flag_wait
            },
            tls: args
                .tls_cert
                .clone()
                .zip(args.tls_key.clone())
                .map(|(cert, key)| TlsFiles { cert, key }),
            password_file: None,
        }],
        None if state.config.databases.is_empty() => {
            return Err(Failure::usage(
                "name the database with --upstream postgres://USER@HOST:PORT/DATABASE, or list it as a [[database]] in holdpoint.toml",
            ));
        }
        None => state.config.databases.clone(),
    };
    let instance = holdpoint_store::new_id("")
        .map_err(|e| Failure::internal(e.to_string()))?
        .trim_start_matches('-')
        .to_owned();
    let mut proxies = Vec::new();
    for database in databases {
        let mut upstream = Upstream::parse(&database.upstream).map_err(Failure::usage)?;
        if upstream.password.is_none() {
            upstream.password = crate::home::upstream_password(database.password_file.as_deref())?;
        }
        let wait = database.wait.unwrap_or(state.config.exec_wait);
        proxies.push((
            database.listen,
            Arc::new(Proxy {
                environment: database.environment.unwrap_or(state.environment),
                state: state.clone(),
                upstream,
                wait: (!wait.is_zero()).then_some(wait),
                tls: database.tls.as_ref().map(acceptor).transpose()?,
                cancels: Mutex::new(HashMap::new()),
                next: AtomicU64::new(1),
                instance: instance.clone(),
            }),
        ));
    }
    let served = runtime.block_on(async move {
        let mut listeners = Vec::new();
        for (address, proxy) in proxies {
            listeners.push(tokio::spawn(listen(proxy, address)));
        }
        for listener in listeners {
            match listener.await {
                Ok(Ok(_)) => {}
                Ok(Err(failure)) => return Err(failure),
                Err(e) => return Err(Failure::internal(e.to_string())),
            }
        }
        Ok(exit::ALLOW)
    });
    // What the statements did is written before the process ends.
    eprintln!("holdpoint pg: stopping; writing the outcomes not yet recorded");
    if !state.decider.flush(Duration::from_secs(10)) {
        eprintln!("holdpoint pg: the ledger did not take every outcome within 10 s");
    }
    served
}

async fn listen(proxy: Arc<Proxy>, address: SocketAddr) -> Result<u8, Failure> {
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        Failure::usage(format!(
            "cannot listen on {address}: {e}; choose another with --listen"
        ))
    })?;
    let bound = listener.local_addr().unwrap_or(address);
    if !bound.ip().is_loopback() && proxy.tls.is_none() {
        eprintln!(
            "holdpoint pg: listening on {bound}, beyond this machine, without TLS: agents' credentials cross the network in the clear; give the proxy a certificate (--tls-cert, --tls-key) or prefer a loopback address or an encrypted tunnel"
        );
    }
    eprintln!(
        "holdpoint pg: agents connect to {bound}{} (database {}, environment {}); upstream {}",
        if proxy.tls.is_some() { " over TLS" } else { "" },
        proxy.upstream.database,
        proxy.environment,
        proxy.upstream.address
    );
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let _ = socket.set_nodelay(true);
                let proxy = Arc::clone(&proxy);
                tokio::spawn(async move {
                    if let Err(e) = connection(&proxy, socket).await {
                        eprintln!("holdpoint pg: a connection ended: {e}");
                    }
                });
            }
            () = crate::serve::shutdown_signal() => {
                return Ok(exit::ALLOW);
            }
        }
    }
}

/// Where a connection's failure came from, which decides what the client is told.
#[derive(Debug)]
enum Fault {
    /// The agent's side sent something that is not the protocol, or went away.
    Client(String),
    /// The database refused or went away.
    Upstream(String),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Client(e) => write!(f, "from the agent's side: {e}"),
            Fault::Upstream(e) => write!(f, "from the database: {e}"),
        }
    }
}

/// Reads one startup message.
async fn read_startup<S: AsyncRead + Unpin>(
    socket: &mut S,
    buf: &mut BytesMut,
) -> Result<Startup, Fault> {
    loop {
        match wire::parse_startup(buf, MAX_MESSAGE) {
            Ok(Some(startup)) => return Ok(startup),
            Ok(None) => {
                if socket
                    .read_buf(buf)
                    .await
                    .map_err(|e| Fault::Client(e.to_string()))?
                    == 0
                {
                    return Err(Fault::Client("closed before starting".to_owned()));
                }
            }
            Err(e) => return Err(Fault::Client(e.to_string())),
        }
    }
}

/// The TLS configuration for a certificate and key read from PEM files.
fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, Failure> {
    use pki_types::pem::PemObject as _;
    use tokio_rustls::rustls::{self, pki_types};
    let unreadable = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        Failure::usage(format!(
            "cannot read the TLS {what} {}: {e}; give a PEM file",
            path.display()
        ))
    };
    let chain = pki_types::CertificateDer::pem_file_iter(&files.cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| unreadable("certificate", &files.cert, &e))?;
    if chain.is_empty() {
        return Err(unreadable(
            "certificate",
            &files.cert,
            &"it holds no certificate",
        ));
    }
    let key = pki_types::PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| unreadable("private key", &files.key, &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Failure::internal(format!("TLS: {e}")))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| {
        Failure::usage(format!(
            "the TLS certificate {} and key {} do not go together: {e}",
            files.cert.display(),
            files.key.display()
        ))
    })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Reads one tagged message; `None` when the peer closed.
async fn read_frame<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut BytesMut,
) -> Result<Option<Frame>, String> {
    loop {
        if let Some(frame) = wire::parse_frame(buf, MAX_MESSAGE).map_err(|e| e.to_string())? {
            return Ok(Some(frame));
        }
        if reader.read_buf(buf).await.map_err(|e| e.to_string())? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err("closed in the middle of a message".to_owned())
            };
        }
    }
}

async fn write_frames<W: tokio::io::AsyncWrite + Unpin>(
    writer: &mut W,
    frames: &[Frame],
) -> std::io::Result<()> {
    let mut out = BytesMut::new();
    for frame in frames {
        frame.encode(&mut out);
    }
    writer.write_all(&out).await?;
    // TLS keeps what it was given until flushed; a socket has nothing to flush.
    writer.flush().await
}

/// A fatal error for the client, then the connection ends.
async fn fatal<S: AsyncWrite + Unpin>(socket: &mut S, sqlstate: &str, message: &str) {
    let _ = write_frames(
        socket,
        &[Fields::new("FATAL", sqlstate, message).frame(b'E')],
    )
    .await;
    let _ = socket.shutdown().await;
}

/// A client's connection, in the clear or over TLS, as the halves the two directions
/// own.
trait ClientStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    fn halves(self) -> (ClientRead, ClientWrite);
}

type ClientRead = Box<dyn AsyncRead + Send + Unpin>;
type ClientWrite = Box<dyn AsyncWrite + Send + Unpin>;

impl ClientStream for TcpStream {
    fn halves(self) -> (ClientRead, ClientWrite) {
        let (read, write) = self.into_split();
        (Box::new(read), Box::new(write))
    }
}

impl ClientStream for tokio_rustls::server::TlsStream<TcpStream> {
    fn halves(self) -> (ClientRead, ClientWrite) {
        let (read, write) = tokio::io::split(self);
        (Box::new(read), Box::new(write))
    }
}

/// A new connection: TLS first when the client asks for it (and required when the proxy
/// has a certificate), then the session.
async fn connection(proxy: &Arc<Proxy>, mut client: TcpStream) -> Result<(), Fault> {
    let mut buf = BytesMut::with_capacity(8192);
    let peer = client
        .peer_addr()
        .map_err(|e| Fault::Client(e.to_string()))?
        .ip();
    loop {
        let startup = match read_startup(&mut client, &mut buf).await {
            Ok(startup) => startup,
            Err(fault) => {
                fatal(&mut client, "08P01", &format!("holdpoint: {fault}")).await;
                return Err(fault);
            }
        };
        match (&proxy.tls, startup) {
            (Some(tls), Startup::Ssl) => {
                if !buf.is_empty() {
                    // What was sent before the handshake would be taken as coming from
                    // inside it.
                    let message = "sent more after asking for TLS".to_owned();
                    fatal(&mut client, "08P01", &format!("holdpoint: {message}")).await;
                    return Err(Fault::Client(message));
                }
                client
                    .write_all(b"S")
                    .await
                    .map_err(|e| Fault::Client(e.to_string()))?;
                let mut secured = tls
                    .accept(client)
                    .await
                    .map_err(|e| Fault::Client(format!("TLS handshake: {e}")))?;
                let startup = match read_startup(&mut secured, &mut buf).await {
                    Ok(startup @ (Startup::Params(_) | Startup::Cancel { .. })) => startup,
                    Ok(Startup::Ssl | Startup::Gss) => {
                        let message = "asked for encryption twice".to_owned();
                        fatal(&mut secured, "08P01", &format!("holdpoint: {message}")).await;
                        return Err(Fault::Client(message));
                    }
                    Err(fault) => {
                        fatal(&mut secured, "08P01", &format!("holdpoint: {fault}")).await;
                        return Err(fault);
                    }
                };
                return session(proxy, secured, startup, buf, peer).await;
            }
            (_, Startup::Ssl | Startup::Gss) => {
                // Not this kind of encryption: the client may go on in the clear, ask for
                // TLS instead, or give up.
                client
                    .write_all(b"N")
                    .await
                    .map_err(|e| Fault::Client(e.to_string()))?;
            }
            (Some(_), Startup::Params(_)) => {
                let message = "holdpoint: this proxy takes connections over TLS only: connect with sslmode=require (or verify-full)";
                fatal(&mut client, "28000", message).await;
                return Err(Fault::Client("connected without TLS".to_owned()));
            }
            (_, startup) => return session(proxy, client, startup, buf, peer).await,
        }
    }
}

/// A connection from its startup message on: the agent's credential, the database's
/// greeting, then statements in both directions until either side ends.
async fn session<S: ClientStream>(
    proxy: &Arc<Proxy>,
    mut client: S,
    startup: Startup,
    mut buf: BytesMut,
    peer: std::net::IpAddr,
) -> Result<(), Fault> {
    let params = match &startup {
        Startup::Cancel { pid, key } => {
            cancel(proxy, *pid, key.clone()).await;
            return Ok(());
        }
        Startup::Params(params) => params,
        Startup::Ssl | Startup::Gss => return Ok(()),
    };
    let param = |name: &str| startup.param(name).map(str::to_owned);
    let Some(user) = param("user") else {
        fatal(
            &mut client,
            "28000",
            "holdpoint: connect with your agent's name as the user",
        )
        .await;
        return Err(Fault::Client("no user".to_owned()));
    };
    let database = param("database").unwrap_or_else(|| user.clone());
    if database != proxy.upstream.database {
        let message = format!(
            "holdpoint: this proxy serves the database `{}`, not `{database}`",
            proxy.upstream.database
        );
        fatal(&mut client, "3D000", &message).await;
        return Err(Fault::Client(message));
    }

    // The agent proves who it is with its holdpoint credential as the password. Failures
    // are counted per address as on the server's API (`crate::throttle`): past ten in a
    // minute, no credential from the address is checked, so none costs a password hash.
    write_frames(&mut client, &[wire::authentication_cleartext()])
        .await
        .map_err(|e| Fault::Client(e.to_string()))?;
    let token = match read_frame(&mut client, &mut buf).await {
        Ok(Some(frame)) if frame.tag == b'p' => wire::password(&frame).unwrap_or_default(),
        Ok(_) => return Err(Fault::Client("no password".to_owned())),
        Err(e) => return Err(Fault::Client(e)),
    };
    let from = Client::address(peer);
    let agent = match verify_agent(&proxy.state, &token, from).await {
        Ok(agent) if agent == user => agent,
        Ok(agent) => {
            // A good credential under the wrong name fails the sign-in like any other.
            let _ = proxy.state.throttle.failed(from, Instant::now());
            let message = format!(
                "holdpoint: that credential is agent `{agent}`'s; connect as user `{agent}`"
            );
            fatal(&mut client, "28P01", &message).await;
            return Err(Fault::Client(message));
        }
        // Refused unchecked: the address failed too often.
        Err(e) if e.status() == axum::http::StatusCode::TOO_MANY_REQUESTS => {
            let message = format!("holdpoint: {}", e.message());
            fatal(&mut client, "28P01", &message).await;
            return Err(Fault::Client(message));
        }
        Err(e) => {
            let message = format!(
                "holdpoint: password authentication failed for agent `{user}`: {}; the password is the agent's credential from `holdpoint agent add`",
                e.message()
            );
            fatal(&mut client, "28P01", &message).await;
            return Err(Fault::Client(message));
        }
    };

    let session = named_session(startup.param("application_name")).unwrap_or_else(|| {
        format!(
            "pg-{agent}-{}-{}",
            proxy.instance,
            proxy.next.fetch_add(1, Ordering::Relaxed)
        )
    });
    let (mut upstream, mut up_buf) = match open_upstream(proxy, &agent, params).await {
        Ok(opened) => opened,
        Err(message) => {
            fatal(
                &mut client,
                "08001",
                &format!("holdpoint: cannot reach the database: {message}"),
            )
            .await;
            return Err(Fault::Upstream(message));
        }
    };
    // The server's greeting: parameters, its cancel key (replaced by one of ours),
    // notices, and ready.
    let mut ours = (0i32, Vec::new());
    let cancelled = Arc::new(tokio::sync::Notify::new());
    let mut greeting = vec![wire::authentication_ok()];
    loop {
        let frame = match read_frame(&mut upstream, &mut up_buf).await {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => {
                fatal(
                    &mut client,
                    "08006",
                    "holdpoint: the database closed the connection",
                )
                .await;
                return Err(Fault::Upstream("closed during start-up".to_owned()));
            }
        };
        match frame.tag {
            b'K' => {
                if let Ok((pid, key)) = wire::backend_key(&frame) {
                    // A secret key a client of another connection cannot guess.
                    let mut mine = [0u8; 4];
                    getrandom::fill(&mut mine)
                        .map_err(|e| Fault::Upstream(format!("no randomness: {e}")))?;
                    let our_pid =
                        i32::try_from(proxy.next.fetch_add(1, Ordering::Relaxed) % 1_000_000_000)
                            .unwrap_or(1);
                    ours = (our_pid, mine.to_vec());
                    if let Ok(mut cancels) = proxy.cancels.lock() {
                        cancels.insert(ours.clone(), ((pid, key), Arc::clone(&cancelled)));
                    }
                    greeting.push(wire::backend_key_data(ours.0, &ours.1));
                }
            }
            b'Z' => {
                greeting.push(
                    Fields::new("NOTICE", "00000", &format!("holdpoint: every statement on this connection is decided and recorded as session {session}"))
                        .frame(b'N'),
                );
                greeting.push(frame);
                break;
            }
            b'E' => {
                let fields = wire::fields(&frame).unwrap_or_default();
                let message = fields.get(b'M').unwrap_or("refused").to_owned();
                fatal(
                    &mut client,
                    "08004",
                    &format!("holdpoint: the database refused the connection: {message}"),
                )
                .await;
                return Err(Fault::Upstream(message));
            }
            b'S' => {
                if let Some(message) = unpinned(&frame) {
                    fatal(&mut client, "08004", &format!("holdpoint: {message}")).await;
                    return Err(Fault::Upstream(message));
                }
                greeting.push(frame);
            }
            _ => greeting.push(frame),
        }
    }
    write_frames(&mut client, &greeting)
        .await
        .map_err(|e| Fault::Client(e.to_string()))?;

    let (client_read, client_write) = client.halves();
    let (upstream_read, upstream_write) = upstream.into_split();
    // Random, so that a client cannot make the server echo a marker of ours.
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| Fault::Upstream(format!("no randomness: {e}")))?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let link = Arc::new(Link {
        cancelled,
        client: tokio::sync::Mutex::new(client_write),
        pending: Mutex::new(VecDeque::new()),
        refusals: Mutex::new(HashMap::new()),
        refusing: format!("holdpoint_refused_{nonce}"),
        held: Mutex::new(Held::default()),
        settled: tokio::sync::Notify::new(),
        unsure: AtomicBool::new(false),
        nonce,
        next_refusal: AtomicU64::new(1),
    });
    let context = Context {
        proxy: Arc::clone(proxy),
        agent,
        session,
        link: Arc::clone(&link),
    };
    let mut to_upstream = tokio::spawn(forward_client(
        context.clone(),
        client_read,
        buf,
        upstream_write,
    ));
    let mut to_client = tokio::spawn(forward_upstream(context.clone(), upstream_read, up_buf));
    let result = tokio::select! {
        done = &mut to_upstream => { to_client.abort(); done }
        done = &mut to_client => { to_upstream.abort(); done }
    };
    context.unanswered();
    if let Ok(mut cancels) = proxy.cancels.lock() {
        cancels.remove(&ours);
    }
    match result {
        Ok(result) => result,
        Err(e) => Err(Fault::Client(e.to_string())),
    }
}

/// The session a client names in its `application_name` (`holdpoint-session=ID`, alone
/// or after other words), so that its statements are reported with the agent's other
/// actions of that session: up to 128 letters, digits and `._:-`.
fn named_session(application_name: Option<&str>) -> Option<String> {
    let id = application_name?
        .split_whitespace()
        .find_map(|word| word.strip_prefix("holdpoint-session="))?;
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    valid.then(|| id.to_owned())
}

/// The complaint about a setting the server reports (`S`) when it is one holdpoint pins
/// and its value is not the pinned one.
fn unpinned(frame: &Frame) -> Option<String> {
    let (name, value) = wire::parameter(frame).ok()?;
    let setting = PINNED
        .iter()
        .map(|(setting, _)| *setting)
        .find(|setting| setting.eq_ignore_ascii_case(&name))?;
    (sql_settings::pinned(setting, &value) != Some(true)).then(|| {
        format!("the database reads SQL with `{setting}` = `{value}`, which is not how holdpoint reads it")
    })
}

/// Connects to the database and authenticates as holdpoint's user.
async fn open_upstream(
    proxy: &Proxy,
    agent: &str,
    params: &[(String, String)],
) -> Result<(TcpStream, BytesMut), String> {
    let upstream = &proxy.upstream;
    let mut socket = tokio::time::timeout(
        Duration::from_secs(10),
        TcpStream::connect(&upstream.address),
    )
    .await
    .map_err(|_| format!("{} did not answer in 10 s", upstream.address))?
    .map_err(|e| format!("{}: {e}", upstream.address))?;
    let _ = socket.set_nodelay(true);
    let application = format!(
        "holdpoint/{agent}{}",
        params
            .iter()
            .find(|(k, _)| k == "application_name")
            .map(|(_, v)| format!(" ({v})"))
            .unwrap_or_default()
    );
    // Only settings that change how values are shown pass on; `options` could change
    // what the session is allowed to do. The settings that decide how the server reads
    // SQL text are pinned to the ones holdpoint reads with, whatever the client asked
    // for: a start-up setting outranks every `ALTER ROLE` or `ALTER DATABASE … SET`.
    let mut startup: Vec<(&str, &str)> = vec![
        ("user", upstream.user.as_str()),
        ("database", upstream.database.as_str()),
        ("application_name", application.as_str()),
    ];
    startup.extend(PINNED);
    for (key, value) in params {
        if [
            "DateStyle",
            "TimeZone",
            "extra_float_digits",
            "IntervalStyle",
        ]
        .contains(&key.as_str())
        {
            startup.push((key.as_str(), value.as_str()));
        }
    }
    socket
        .write_all(&wire::startup_message(&startup))
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = BytesMut::new();
    loop {
        let frame = read_frame(&mut socket, &mut buf)
            .await?
            .ok_or("it closed the connection during authentication")?;
        match frame.tag {
            b'R' => match wire::authentication(&frame).map_err(|e| e.to_string())? {
                wire::Authentication::Ok => break,
                wire::Authentication::Cleartext => {
                    let password = upstream.password.as_deref().ok_or(
                        "it asks for a password: give it in a password_file, $HOLDPOINT_UPSTREAM_PASSWORD_FILE or $HOLDPOINT_UPSTREAM_PASSWORD",
                    )?;
                    write_frames(&mut socket, &[wire::password_message(password)])
                        .await
                        .map_err(|e| e.to_string())?;
                }
                wire::Authentication::Sasl { mechanisms }
                    if mechanisms.iter().any(|m| m == "SCRAM-SHA-256") =>
                {
                    let password = upstream.password.as_deref().ok_or(
                        "it asks for a password: give it in a password_file, $HOLDPOINT_UPSTREAM_PASSWORD_FILE or $HOLDPOINT_UPSTREAM_PASSWORD",
                    )?;
                    scram(&mut socket, &mut buf, password).await?;
                }
                other => {
                    return Err(format!(
                        "it asks for an authentication holdpoint does not speak ({other:?}); use scram-sha-256, password or trust for holdpoint's user in pg_hba.conf"
                    ));
                }
            },
            b'E' => {
                let fields = wire::fields(&frame).unwrap_or_default();
                return Err(fields.get(b'M').unwrap_or("refused").to_owned());
            }
            _ => {}
        }
    }
    // What follows the authentication (parameters, key, ready) is read by the caller,
    // starting with what was already read past it.
    Ok((socket, buf))
}

/// Authenticates to the database with SCRAM-SHA-256; returns once the server proved it
/// knows the password too (its `AuthenticationOk` follows).
async fn scram(socket: &mut TcpStream, buf: &mut BytesMut, password: &str) -> Result<(), String> {
    let mut random = [0u8; 18];
    getrandom::fill(&mut random).map_err(|e| format!("no randomness: {e}"))?;
    let nonce: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let mut exchange = wire::Scram::new(password, &nonce);
    write_frames(
        socket,
        &[wire::sasl_initial_response(
            "SCRAM-SHA-256",
            &exchange.client_first(),
        )],
    )
    .await
    .map_err(|e| e.to_string())?;
    let next = async |socket: &mut TcpStream, buf: &mut BytesMut| {
        let frame = read_frame(socket, buf)
            .await?
            .ok_or("it closed the connection during authentication")?;
        match frame.tag {
            b'R' => wire::authentication(&frame).map_err(|e| e.to_string()),
            b'E' => Err(wire::fields(&frame)
                .unwrap_or_default()
                .get(b'M')
                .unwrap_or("refused")
                .to_owned()),
            other => Err(format!(
                "an unexpected `{}` during authentication",
                char::from(other)
            )),
        }
    };
    let wire::Authentication::SaslContinue(server_first) = next(socket, buf).await? else {
        return Err("it broke off the SCRAM exchange".to_owned());
    };
    let client_final = exchange
        .client_final(&server_first)
        .map_err(|e| e.to_string())?;
    write_frames(socket, &[wire::sasl_response(&client_final)])
        .await
        .map_err(|e| e.to_string())?;
    let wire::Authentication::SaslFinal(server_final) = next(socket, buf).await? else {
        return Err("it broke off the SCRAM exchange".to_owned());
    };
    exchange
        .verify_server_final(&server_final)
        .map_err(|e| e.to_string())
}

/// A reply the client is owed, in the order the server will give them.
#[derive(Debug)]
enum Slot {
    /// A simple query: done at the next ready-for-query; its tags and error collect here.
    Simple {
        action: Option<Action>,
        started: Instant,
        tags: Vec<String>,
        error: Option<String>,
        /// Replies to statements holdpoint added to keep a recovery point: not the
        /// client's, so not shown to it.
        hide: usize,
        /// The tag the client is owed when holdpoint did its statement another way (a
        /// `DROP TABLE` done as a move).
        tag: Option<String>,
        /// The recovery point kept, recorded once the statement succeeded.
        kept: Option<Box<Keeping>>,
    },
    /// An `Execute` of an extended-protocol statement: done at its command tag or error.
    Execute {
        action: Option<Action>,
        started: Instant,
        /// The recovery point its statement keeps before it destroys.
        keeping: Option<Box<Keeping>>,
    },
    /// A `Sync`: done at the next ready-for-query.
    Sync,
    /// A `Parse`, `Bind` or `Close`: done when the server confirms it (and then holds
    /// what it names) or fails or skips it (and does not).
    Step(Step),
}

/// What a `Parse`, `Bind` or `Close` does to the prepared statements and portals the
/// server holds. `None`: refused by holdpoint, or bound to what the server does not
/// hold; the server fails it.
#[derive(Clone, Debug)]
enum Step {
    Parse(String, Option<Prepared>),
    Bind(String, Option<Prepared>),
    CloseStatement(String),
    ClosePortal(String),
}

/// A prepared statement's or a portal's name.
enum Name<'a> {
    Statement(&'a str),
    Portal(&'a str),
}

/// What a name stands for on the server, as far as holdpoint knows.
enum Known {
    /// Prepared or bound with this action.
    Runs(Prepared),
    /// Refused, failed or closed: the server does not hold it and fails what uses it.
    Absent,
    /// Not prepared through holdpoint (SQL `PREPARE`, `DECLARE`): refused.
    Unknown,
}

/// What the pipeline so far says a name stands for; `None` when it does not touch it.
fn lookup(pipeline: &[Step], name: &Name<'_>) -> Option<Known> {
    pipeline.iter().rev().find_map(|step| {
        let (named, prepared) = match (step, name) {
            (Step::Parse(named, prepared), Name::Statement(_))
            | (Step::Bind(named, prepared), Name::Portal(_)) => (named, prepared.clone()),
            (Step::CloseStatement(named), Name::Statement(_))
            | (Step::ClosePortal(named), Name::Portal(_)) => (named, None),
            _ => return None,
        };
        let wanted = match name {
            Name::Statement(n) | Name::Portal(n) => *n,
        };
        (named == wanted).then(|| prepared.map_or(Known::Absent, Known::Runs))
    })
}

/// The refusal of a statement or portal holdpoint did not see prepared.
fn unknown_statement(name: &str) -> Fields {
    Fields::new(
        "ERROR",
        "42501",
        &format!(
            "holdpoint refused to run `{name}`: it was not prepared through holdpoint's protocol messages (SQL PREPARE and DECLARE are run only as statements); prepare it with a Parse message"
        ),
    )
}

/// The prepared statements and portals the server holds, as its replies confirm them.
#[derive(Default)]
struct Held {
    statements: HashMap<String, Prepared>,
    portals: HashMap<String, Prepared>,
}

impl Held {
    fn apply(&mut self, step: Step) {
        match step {
            Step::Parse(name, Some(prepared)) => {
                self.statements.insert(name, prepared);
            }
            Step::Bind(name, Some(prepared)) => {
                self.portals.insert(name, prepared);
            }
            Step::Parse(name, None) | Step::CloseStatement(name) => {
                self.statements.remove(&name);
            }
            Step::Bind(name, None) | Step::ClosePortal(name) => {
                self.portals.remove(&name);
            }
        }
    }
}

/// A prepared statement: the action it runs, how policy classed it when it was
/// decided, and the recovery point it keeps.
#[derive(Clone, Debug)]
struct Prepared {
    action: Action,
    risk: Risk,
    keeping: Option<Box<Keeping>>,
    /// Set until the statement first runs. A read runs on the decision made when it was
    /// prepared; a change or destroy runs once on it, and each later run is decided
    /// again, with the freezes, grants and approvals as they are then.
    covered: Arc<std::sync::atomic::AtomicBool>,
    decided: Instant,
}

/// How long after it was decided a prepared change or destroy may first run on that
/// decision: drivers run what they prepared at once, and a statement prepared long
/// before a freeze does not run in it.
const COVERED_FOR: Duration = Duration::from_secs(10);

impl Prepared {
    fn new(action: Action, risk: Risk, keeping: Option<Box<Keeping>>) -> Self {
        Prepared {
            action,
            risk,
            keeping,
            covered: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            decided: Instant::now(),
        }
    }

    /// Whether this run needs a decision of its own.
    fn decide_again(&self) -> bool {
        self.risk != Risk::Read
            && !(self.covered.swap(false, Ordering::Relaxed)
                && self.decided.elapsed() < COVERED_FOR)
    }
}

/// A destroy run after a block of holdpoint's that first keeps what it destroys (the
/// same block, for one prepared over the extended protocol); the block reports the
/// counts in a notice.
#[derive(Clone, Debug)]
struct Keeping {
    point: RecoveryPoint,
    loss: Loss,
    /// Rows the statement itself changed, from the block's notice.
    changed: Option<u64>,
    /// Rows kept of other tables its cascades reach, and the parts kept besides the
    /// table itself (rows of other tables, views, foreign keys).
    cascaded: (u64, u64),
}

/// What both directions of one connection share.
struct Link {
    /// Woken by the client's cancel request, which ends a wait for an approval.
    cancelled: Arc<tokio::sync::Notify>,
    client: tokio::sync::Mutex<ClientWrite>,
    pending: Mutex<VecDeque<Slot>>,
    /// Refusals sent to the server as syntax errors, by their marker number.
    refusals: Mutex<HashMap<u64, Fields>>,
    /// Part of every marker, so a client cannot forge one.
    nonce: String,
    next_refusal: AtomicU64,
    /// The name under which a refused run's marker is prepared (and fails to be).
    refusing: String,
    /// What the server holds, from its replies.
    held: Mutex<Held>,
    /// Woken at every ready-for-query, when the steps before it are settled.
    settled: tokio::sync::Notify,
    /// A statement that could change how the server reads SQL was sent, and the server
    /// has not yet reported its settings since (it does at ready-for-query).
    // INVARIANT: set before such a statement is sent; cleared only at a ready-for-query
    // that leaves nothing owed, after the reports before it were checked.
    unsure: AtomicBool,
}

impl Link {
    fn push(&self, slot: Slot) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.push_back(slot);
        }
    }

    /// A marker the server will reject as a syntax error, standing for `refusal`.
    fn marker(&self, refusal: Fields) -> String {
        let n = self.next_refusal.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut refusals) = self.refusals.lock() {
            refusals.insert(n, refusal);
        }
        format!("HOLDPOINT_REFUSED_{}_{n}", self.nonce)
    }

    /// The refusal an error from the server stands for, when it is one of ours.
    fn refusal(&self, error: &Fields) -> Option<Fields> {
        let message = error.get(b'M')?;
        let prefix = format!("HOLDPOINT_REFUSED_{}_", self.nonce);
        let at = message.find(&prefix)? + prefix.len();
        let n: u64 = message
            .get(at..)?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()?;
        self.refusals.lock().ok()?.remove(&n)
    }

    async fn send(&self, frames: &[Frame]) -> Result<(), Fault> {
        let mut client = self.client.lock().await;
        write_frames(&mut *client, frames)
            .await
            .map_err(|e| Fault::Client(e.to_string()))
    }
}

#[derive(Clone)]
struct Context {
    proxy: Arc<Proxy>,
    agent: String,
    session: String,
    link: Arc<Link>,
}

/// What becomes of a statement.
enum Verdict {
    Forward(Action, Risk),
    Refuse(Fields),
}

/// Client to server: every statement decided before it goes on.
async fn forward_client(
    cx: Context,
    mut client: ClientRead,
    mut buf: BytesMut,
    mut upstream: OwnedWriteHalf,
) -> Result<(), Fault> {
    // What this pipeline (since the last Sync) prepared, bound and closed; what earlier
    // ones did is known from the server's replies (`Link::held`).
    let mut pipeline: Vec<Step> = Vec::new();
    let mut memo = Memo::default();
    let mut out = BytesMut::new();
    loop {
        let frame = match read_frame(&mut client, &mut buf).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(e) => {
                let _ = cx
                    .link
                    .send(&[Fields::new("FATAL", "08P01", &format!("holdpoint: {e}")).frame(b'E')])
                    .await;
                return Err(Fault::Client(e));
            }
        };
        if matches!(frame.tag, b'Q' | b'P') {
            // What is already decided goes on before a decision that may wait for a human.
            send_out(&mut upstream, &mut out).await?;
        }
        // Whether what is forwarded could change how the server reads SQL.
        let mut unsure = false;
        let forward = match frame.tag {
            b'Q' => {
                let query = wire::query_text(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let (sql, unreadable) = cx.reading(query, &mut upstream, &mut out).await?;
                match cx.decide(&sql, &mut memo, unreadable).await? {
                    Verdict::Forward(action, risk) => {
                        unsure |= risk > Risk::Read;
                        let plan = (risk == Risk::Destroy)
                            .then(|| recovery::plan(&sql))
                            .flatten();
                        match plan {
                            Some(plan) => {
                                // Keep what it would destroy, in the same transaction.
                                let (query, slot) = cx.keeping(&plan, action, &sql)?;
                                cx.link.push(slot);
                                wire::query_message(&query)
                            }
                            None => {
                                cx.link.push(simple(Some(action)));
                                frame
                            }
                        }
                    }
                    Verdict::Refuse(refusal) => {
                        cx.link.push(simple(None));
                        wire::query_message(&cx.link.marker(refusal))
                    }
                }
            }
            b'P' => {
                let parse =
                    wire::parse_message(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let (query, unreadable) = cx.reading(parse.query, &mut upstream, &mut out).await?;
                match cx.decide(&query, &mut memo, unreadable).await? {
                    Verdict::Forward(action, risk) => {
                        let plan = (risk == Risk::Destroy
                            && parse.declared_types == 0
                            && !query.contains('$')
                            && !query.to_ascii_lowercase().contains("returning"))
                        .then(|| recovery::plan(&query))
                        .flatten();
                        match plan {
                            Some(plan) => {
                                // Keep what it would destroy, in the same statement.
                                let (block, keeping) = cx.keeping_block(&plan, &action, &query)?;
                                let prepared = Prepared::new(action, risk, Some(Box::new(keeping)));
                                cx.step(
                                    &mut pipeline,
                                    Step::Parse(parse.statement.clone(), Some(prepared)),
                                );
                                wire::parse_frame_for(&parse.statement, &block)
                            }
                            None => {
                                let prepared = Prepared::new(action, risk, None);
                                cx.step(
                                    &mut pipeline,
                                    Step::Parse(parse.statement, Some(prepared)),
                                );
                                frame
                            }
                        }
                    }
                    Verdict::Refuse(refusal) => {
                        let marker = cx.link.marker(refusal);
                        cx.step(&mut pipeline, Step::Parse(parse.statement.clone(), None));
                        wire::parse_frame_for(&parse.statement, &marker)
                    }
                }
            }
            b'B' => {
                let (portal, statement) =
                    wire::bind_names(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let known = match lookup(&pipeline, &Name::Statement(&statement)) {
                    Some(known) => known,
                    None => {
                        cx.confirmed(
                            &pipeline,
                            &mut upstream,
                            &mut out,
                            &Name::Statement(&statement),
                        )
                        .await?
                    }
                };
                match known {
                    Known::Runs(prepared) => {
                        cx.step(&mut pipeline, Step::Bind(portal, Some(prepared)));
                        frame
                    }
                    // The server fails it as it would without holdpoint.
                    Known::Absent => {
                        cx.step(&mut pipeline, Step::Bind(portal, None));
                        frame
                    }
                    Known::Unknown => {
                        cx.step(&mut pipeline, Step::Bind(portal, None));
                        let refusal = unknown_statement(&statement);
                        wire::parse_frame_for(&cx.link.refusing, &cx.link.marker(refusal))
                    }
                }
            }
            b'E' => {
                let portal =
                    wire::execute_portal(&frame).map_err(|e| Fault::Client(e.to_string()))?;
                let known = match lookup(&pipeline, &Name::Portal(&portal)) {
                    Some(known) => known,
                    None => {
                        cx.confirmed(&pipeline, &mut upstream, &mut out, &Name::Portal(&portal))
                            .await?
                    }
                };
                let (prepared, again) = match known {
                    Known::Runs(prepared) if prepared.decide_again() => {
                        send_out(&mut upstream, &mut out).await?;
                        let again = match prepared.keeping {
                            Some(_) => Verdict::Refuse(Fields::new(
                                "ERROR",
                                "42501",
                                "holdpoint keeps a recovery point for every run of a destroy: prepare the statement again to run it again",
                            )),
                            None => cx.decide(&prepared.action.input, &mut memo, None).await?,
                        };
                        (Some(prepared), Some(again))
                    }
                    Known::Runs(prepared) => (Some(prepared), None),
                    Known::Absent => (None, None),
                    Known::Unknown => (None, Some(Verdict::Refuse(unknown_statement(&portal)))),
                };
                let started = Instant::now();
                match (again, prepared) {
                    (Some(Verdict::Refuse(refusal)), _) => {
                        // In place of the run, a statement the server rejects: it fails
                        // the pipeline or transaction as the run's own error would.
                        cx.link.push(Slot::Execute {
                            action: None,
                            started,
                            keeping: None,
                        });
                        wire::parse_frame_for(&cx.link.refusing, &cx.link.marker(refusal))
                    }
                    (Some(Verdict::Forward(action, risk)), _) => {
                        unsure |= risk > Risk::Read;
                        cx.link.push(Slot::Execute {
                            action: Some(action),
                            started,
                            keeping: None,
                        });
                        frame
                    }
                    (None, prepared) => {
                        unsure |= prepared.as_ref().is_some_and(|p| p.risk > Risk::Read);
                        let (action, keeping) =
                            prepared.map_or((None, None), |p| (Some(p.action), p.keeping));
                        cx.link.push(Slot::Execute {
                            action,
                            started,
                            keeping,
                        });
                        frame
                    }
                }
            }
            b'S' => {
                cx.link.push(Slot::Sync);
                pipeline.clear();
                frame
            }
            b'C' => {
                if let Ok((kind, name)) = wire::close_target(&frame) {
                    let step = if kind == b'S' {
                        Step::CloseStatement(name)
                    } else {
                        Step::ClosePortal(name)
                    };
                    cx.step(&mut pipeline, step);
                }
                frame
            }
            b'F' => {
                // A function call by object id runs code without any SQL to analyse.
                let refusal = Fields::new(
                    "ERROR",
                    "42501",
                    "holdpoint refused this function call: calls by object id cannot be analysed; call the function in a statement",
                );
                cx.link.push(simple(None));
                wire::query_message(&cx.link.marker(refusal))
            }
            _ => frame,
        };
        // Set once its reply is owed (so a ready-for-query before it cannot clear it) and
        // before it is sent (so its own cannot come first).
        if unsure {
            cx.link.unsure.store(true, Ordering::SeqCst);
        }
        let terminate = forward.tag == b'X';
        forward.encode(&mut out);
        // Send at once unless more of a pipeline is already waiting to be read.
        if buf.is_empty() || out.len() > 64 * 1024 || terminate {
            upstream
                .write_all(&out)
                .await
                .map_err(|e| Fault::Upstream(e.to_string()))?;
            out.clear();
        }
        if terminate {
            return Ok(());
        }
    }
}

/// Sends what waits in `out` to the server.
async fn send_out(upstream: &mut OwnedWriteHalf, out: &mut BytesMut) -> Result<(), Fault> {
    if !out.is_empty() {
        upstream
            .write_all(out)
            .await
            .map_err(|e| Fault::Upstream(e.to_string()))?;
        out.clear();
    }
    Ok(())
}

fn simple(action: Option<Action>) -> Slot {
    Slot::Simple {
        action,
        started: Instant::now(),
        tags: Vec::new(),
        error: None,
        hide: 0,
        tag: None,
        kept: None,
    }
}

/// Server to client: refusals rewritten, outcomes recorded.
async fn forward_upstream(
    cx: Context,
    mut upstream: OwnedReadHalf,
    mut buf: BytesMut,
) -> Result<(), Fault> {
    // Replies go out together when the server sent several at once (a row description,
    // rows, a tag and ready-for-query), in one write instead of one each.
    let mut out: Vec<Frame> = Vec::new();
    loop {
        if !out.is_empty() && !wire::frame_waiting(&buf) {
            cx.link.send(&out).await?;
            out.clear();
        }
        let frame = match read_frame(&mut upstream, &mut buf).await {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => {
                out.push(
                    Fields::new(
                        "FATAL",
                        "08006",
                        "holdpoint: the database closed the connection",
                    )
                    .frame(b'E'),
                );
                let _ = cx.link.send(&out).await;
                return Err(Fault::Upstream("closed the connection".to_owned()));
            }
        };
        let frame = match frame.tag {
            b'E' => {
                let error = wire::fields(&frame).unwrap_or_default();
                match cx.link.refusal(&error) {
                    Some(refusal) => {
                        // Ours: the statement it stands for never ran, and was recorded
                        // as refused when it was decided.
                        cx.complete_front(Completion::Refused);
                        refusal.frame(b'E')
                    }
                    None => {
                        let text = format!(
                            "{}: {}",
                            error.get(b'C').unwrap_or("?????"),
                            error.get(b'M').unwrap_or("")
                        );
                        cx.complete_front(Completion::Error(text));
                        frame
                    }
                }
            }
            b'C' => {
                let tag = wire::command_tag(&frame).unwrap_or_default();
                if cx.hidden(Some(&tag)) {
                    continue;
                }
                match cx.take_keeping() {
                    Some(keeping) => {
                        // The client's statement ran inside holdpoint's block: it gets
                        // the statement's own tag.
                        let (tag, detail) = cx.kept(*keeping).await;
                        cx.complete_front(Completion::Tag(detail));
                        wire::command_complete(&tag)
                    }
                    None => {
                        cx.complete_front(Completion::Tag(tag));
                        frame
                    }
                }
            }
            b'N' if cx.counted(&frame) => continue,
            b'N' if cx.hidden(None) => continue,
            b'I' => {
                cx.complete_front(Completion::Tag("EMPTY".to_owned()));
                frame
            }
            b's' => {
                cx.complete_front(Completion::Tag("SUSPENDED".to_owned()));
                frame
            }
            b'1' | b'2' | b'3' => {
                cx.confirm();
                frame
            }
            b'S' => {
                if let Some(message) = unpinned(&frame) {
                    // What the client sends next would be read by the server otherwise
                    // than by holdpoint: nothing more goes through this connection.
                    eprintln!(
                        "holdpoint pg: session {}: {message}; connection ended",
                        cx.session
                    );
                    out.push(
                        Fields::new(
                            "FATAL",
                            "08006",
                            &format!("holdpoint: {message}; the connection is ended"),
                        )
                        .frame(b'E'),
                    );
                    let _ = cx.link.send(&out).await;
                    return Err(Fault::Upstream(message));
                }
                frame
            }
            b'Z' => {
                let owed = cx.ready(wire::ready_status(&frame).ok()).await;
                if let Some(tag) = owed {
                    out.push(wire::command_complete(&tag));
                }
                frame
            }
            _ => frame,
        };
        out.push(frame);
    }
}

/// What a connection learnt of the statements it sent, by shape (numbers made
/// parameters: `sql_shape`): the analysis of each shape that reads, and the decision
/// policy last gave it. A shape is learnt only when the statement and its shape are both
/// analysed as reads; every other statement is analysed whole each time.
#[derive(Default)]
struct Memo {
    shapes: HashMap<String, Option<Learnt>>,
}

struct Learnt {
    analysis: Analysis,
    decision: Option<(Stamp, Decision)>,
}

/// The most shapes a connection keeps; beyond, it starts again.
const MEMO_SHAPES: usize = 1024;

impl Memo {
    /// The analysis of `action`'s statement, and the shape under which what follows
    /// from it is kept (`None`: nothing is).
    fn analyse(&mut self, action: &Action) -> (Analysis, Option<String>) {
        let analyse = |input: &str| {
            let mut action = Action {
                input: input.to_owned(),
                ..action.clone()
            };
            local::analyse_here(&mut action, &AnalysisContext::new("/"))
        };
        let Some(shape) = sql_shape::shape(&action.input) else {
            return (analyse(&action.input), None);
        };
        match self.shapes.get(&shape) {
            Some(Some(learnt)) => return (learnt.analysis.clone(), Some(shape)),
            Some(None) => return (analyse(&action.input), None),
            None => {}
        }
        let reads = |a: &Analysis| a.risk() == Risk::Read && !a.opaque();
        let analysis = analyse(&action.input);
        let learnt =
            (reads(&analysis) && (shape == action.input || reads(&analyse(&shape)))).then(|| {
                Learnt {
                    analysis: analysis.clone(),
                    decision: None,
                }
            });
        if self.shapes.len() >= MEMO_SHAPES {
            self.shapes.clear();
        }
        let kept = learnt.is_some();
        self.shapes.insert(shape.clone(), learnt);
        (analysis, kept.then_some(shape))
    }
}

/// How a request a statement waited on was answered.
enum Answer {
    /// Refused, with who refused and why.
    Refused(String),
    Other(ApprovalState),
}

enum Completion {
    Tag(String),
    Error(String),
    Refused,
}

impl Context {
    /// The text of a statement from the client, and why it cannot be read as the server
    /// will read it, if it cannot: it is not UTF-8, or an earlier statement may have
    /// changed the settings it depends on and the server has not reported them yet.
    async fn reading(
        &self,
        sql: Sql,
        upstream: &mut OwnedWriteHalf,
        out: &mut BytesMut,
    ) -> Result<(String, Option<Effect>), Fault> {
        match sql {
            Sql::NotUtf8(shown) => Ok((
                shown,
                Some(Effect::self_protection(
                    ObjectKind::SqlReading,
                    "client_encoding",
                    "sends bytes that are not valid UTF-8: the database could read them otherwise than holdpoint, which reads every statement as UTF-8",
                )),
            )),
            Sql::Text(text) if sql_settings::reads_the_same_everywhere(&text) => Ok((text, None)),
            Sql::Text(text) => {
                let known = self.settings_known(upstream, out).await?;
                let unsure = (!known).then(|| {
                    Effect::self_protection(
                        ObjectKind::SqlReading,
                        "standard_conforming_strings",
                        "has backslashes or non-ASCII text and follows, in the same pipeline, a statement that could have changed how the database reads it: send Sync before it",
                    )
                });
                Ok((text, unsure))
            }
        }
    }

    /// Waits until the server has reported its settings since the last statement that
    /// could have changed them (at ready-for-query); `false` when that cannot come first,
    /// because the client has not ended its pipeline with Sync.
    async fn settings_known(
        &self,
        upstream: &mut OwnedWriteHalf,
        out: &mut BytesMut,
    ) -> Result<bool, Fault> {
        loop {
            let settled = self.link.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if !self.link.unsure.load(Ordering::SeqCst) {
                return Ok(true);
            }
            let answered = self.link.pending.lock().is_ok_and(|pending| {
                matches!(
                    pending.back(),
                    None | Some(Slot::Simple { .. } | Slot::Sync)
                )
            });
            if !answered {
                return Ok(false);
            }
            send_out(upstream, out).await?;
            settled.await;
        }
    }

    /// Analyses and decides one statement; waits for an approval when it is held and the
    /// proxy waits. `unreadable`, when given, is why the statement cannot be analysed: it
    /// is then decided on that alone.
    async fn decide(
        &self,
        sql: &str,
        memo: &mut Memo,
        unreadable: Option<Effect>,
    ) -> Result<Verdict, Fault> {
        let proxy = &self.proxy;
        let action = Action {
            surface: Surface::Sql,
            input: sql.to_owned(),
            cwd: "/".to_owned(),
            target: format!("postgres:{}@{}", proxy.upstream.database, proxy.environment),
            environment: proxy.environment,
            agent: self.agent.clone(),
            session: Some(self.session.clone()),
            executed_content: Vec::new(),
        };
        let started = Instant::now();
        loop {
            let (mut analysis, shape) = match &unreadable {
                Some(effect) => (
                    Analysis {
                        effects: vec![effect.clone()],
                        unanalysable: None,
                    },
                    None,
                ),
                None => memo.analyse(&action),
            };
            // This connection reads SQL with pinned settings: changing them is changing
            // holdpoint.
            if let Some(change) = analysis
                .effects
                .iter()
                .find(|e| e.object == ObjectKind::SqlReading && !e.self_protection)
            {
                let name = change.name.clone();
                analysis.effects.push(Effect::self_protection(
                    ObjectKind::SqlReading,
                    &name,
                    format!("changes `{name}`, which holdpoint pins on this connection so that the database reads every statement as holdpoint does"),
                ));
            }
            // The recovery points are holdpoint's: an agent reads them, never changes them.
            if analysis.risk() > Risk::Read
                && sql.to_ascii_lowercase().contains("holdpoint_recovery")
            {
                analysis.effects.push(Effect::self_protection(
                    ObjectKind::Schema,
                    "holdpoint_recovery",
                    "changes holdpoint's recovery points, which only `holdpoint restore` and `holdpoint recovery purge` change",
                ));
            }
            let mut unkept = None;
            let kept = shape
                .and_then(|shape| memo.shapes.get_mut(&shape))
                .and_then(Option::as_mut)
                .map_or(&mut unkept, |learnt| &mut learnt.decision);
            if proxy
                .state
                .decider
                .allow_read_inline(&action, &analysis, kept)
            {
                return Ok(Verdict::Forward(action, Risk::Read));
            }
            let decided = match proxy
                .state
                .decider
                .decide_read_early(action.clone(), analysis)
                .await
            {
                Ok(Early::Read(action)) => return Ok(Verdict::Forward(action, Risk::Read)),
                Ok(Early::Settled(decided)) => *decided,
                Err(e) => {
                    return Ok(Verdict::Refuse(Fields::new(
                        "ERROR",
                        "42501",
                        &format!(
                            "holdpoint could not decide this statement, so it is refused: {e}"
                        ),
                    )));
                }
            };
            if decided.settlement.new_request
                && let Some(approval) = &decided.settlement.approval
            {
                // The blast radius, for the approver, counted once the statement is held.
                let keeps = decided.decision.risk == Risk::Destroy;
                for note in blast_radius(&proxy.upstream, sql, keeps).await {
                    let (id, note) = (approval.id.clone(), note.clone());
                    if let Err(e) = proxy
                        .state
                        .blocking(move |store| store.note_approval(&id, &note, now_ms()))
                        .await
                    {
                        eprintln!(
                            "holdpoint pg: the blast radius was not added: {}",
                            e.message()
                        );
                    }
                }
                proxy.state.changed();
                proxy
                    .state
                    .notifier
                    .requested(approval, proxy.state.console_url().as_deref());
            }
            let reasons = decided.decision.reasons.join("; ");
            let record = decided.settlement.decided.seq;
            match decided.settlement.outcome {
                // What could not be read is never forwarded, whatever a policy says.
                Outcome::Allow if unreadable.is_none() => {
                    return Ok(Verdict::Forward(decided.action, decided.decision.risk));
                }
                Outcome::Allow => {
                    return Ok(Verdict::Refuse(Fields::new(
                        "ERROR",
                        "42501",
                        &format!("holdpoint refused this statement: {reasons}"),
                    )));
                }
                Outcome::Deny => {
                    return Ok(Verdict::Refuse(
                        Fields::new(
                            "ERROR",
                            "42501",
                            &format!("holdpoint refused this statement: {reasons}"),
                        )
                        .with(
                            b'D',
                            &format!("{} risk; ledger record #{record}", decided.decision.risk),
                        ),
                    ));
                }
                Outcome::Ask => {
                    let Some(approval) = decided.settlement.approval.clone() else {
                        return Ok(Verdict::Refuse(Fields::new(
                            "ERROR",
                            "42501",
                            "holdpoint held this statement but opened no request",
                        )));
                    };
                    let how = match proxy.state.console_url() {
                        Some(url) => format!(
                            "a human approves it with `holdpoint approvals approve {id}` or in the console at {url}/approvals/{id}",
                            id = approval.id
                        ),
                        None => format!(
                            "a human approves it with `holdpoint approvals approve {id}` (no holdpoint console is running for this proxy)",
                            id = approval.id
                        ),
                    };
                    let Some(wait) = proxy.wait else {
                        return Ok(Verdict::Refuse(
                            Fields::new(
                                "ERROR",
                                "42501",
                                &format!("holdpoint held this statement for approval: request {}: {reasons}", approval.id),
                            )
                            .with(b'H', &format!("{how}; then run exactly the same statement again")),
                        ));
                    };
                    match self
                        .wait_for(&approval.id, &how, wait.saturating_sub(started.elapsed()))
                        .await?
                    {
                        None => {
                            return Ok(Verdict::Refuse(
                                Fields::new(
                                    "ERROR",
                                    "57014",
                                    &format!(
                                        "canceling statement due to user request: holdpoint stopped waiting for request {}",
                                        approval.id
                                    ),
                                )
                                .with(b'H', "the request stays open; once a human approves it, run exactly the same statement again"),
                            ));
                        }
                        Some(Answer::Other(ApprovalState::Approved)) => continue,
                        Some(Answer::Refused(why)) => {
                            // The human's own words reach the agent.
                            return Ok(Verdict::Refuse(
                                Fields::new(
                                    "ERROR",
                                    "42501",
                                    &format!(
                                        "holdpoint did not run this statement: request {} is refused: {why}",
                                        approval.id
                                    ),
                                )
                                .with(b'D', &why),
                            ));
                        }
                        Some(Answer::Other(state)) => {
                            return Ok(Verdict::Refuse(Fields::new(
                                "ERROR",
                                "42501",
                                &format!(
                                    "holdpoint did not run this statement: request {} is {}",
                                    approval.id,
                                    if state == ApprovalState::Pending {
                                        "still waiting; the wait is over"
                                    } else {
                                        state.as_str()
                                    }
                                ),
                            )));
                        }
                    }
                }
            }
        }
    }

    /// Waits for a request to be answered, telling the client now and then; `None` when
    /// the client cancelled the statement.
    async fn wait_for(&self, id: &str, how: &str, wait: Duration) -> Result<Option<Answer>, Fault> {
        let started = Instant::now();
        let mut told = None::<Instant>;
        let cancelled = self.link.cancelled.notified();
        tokio::pin!(cancelled);
        cancelled.as_mut().enable();
        loop {
            if told.is_none_or(|t| t.elapsed() >= NOTICE_EVERY) {
                told = Some(Instant::now());
                let notice = Fields::new(
                    "NOTICE",
                    "00000",
                    &format!(
                        "holdpoint: waiting for approval of request {id} ({}s of {}s): {how}",
                        started.elapsed().as_secs(),
                        wait.as_secs()
                    ),
                );
                self.link.send(&[notice.frame(b'N')]).await?;
            }
            let lookup = id.to_owned();
            let request = self
                .proxy
                .state
                .blocking(move |store| store.approval(&lookup))
                .await
                .map_err(|e| Fault::Upstream(e.message().to_owned()))?;
            let state = request.as_ref().map_or(ApprovalState::Expired, |r| {
                if r.state == ApprovalState::Pending && r.expired_at(now_ms()) {
                    ApprovalState::Expired
                } else {
                    r.state
                }
            });
            if state == ApprovalState::Refused {
                let vote = request
                    .as_ref()
                    .and_then(|r| r.votes.iter().find(|v| v.kind == VoteKind::Refuse));
                let why = match vote {
                    Some(vote) => format!(
                        "{} refused it{}",
                        vote.human,
                        vote.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_else(|| " without giving a reason".to_owned())
                    ),
                    None => "a human refused it".to_owned(),
                };
                return Ok(Some(Answer::Refused(why)));
            }
            if state != ApprovalState::Pending || started.elapsed() >= wait {
                return Ok(Some(Answer::Other(state)));
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
                () = &mut cancelled => return Ok(None),
            }
        }
    }

    /// A reply for the oldest statement still owed one.
    fn complete_front(&self, completion: Completion) {
        let done = {
            let Ok(mut pending) = self.link.pending.lock() else {
                return;
            };
            match pending.front_mut() {
                Some(Slot::Simple { tags, error, .. }) => {
                    match completion {
                        Completion::Tag(tag) => tags.push(tag),
                        Completion::Error(text) => *error = Some(text),
                        Completion::Refused => {}
                    }
                    None
                }
                Some(Slot::Execute { .. }) => match pending.pop_front() {
                    Some(Slot::Execute {
                        action, started, ..
                    }) => Some((action, started, completion)),
                    _ => None,
                },
                Some(Slot::Step(_)) => {
                    if let Some(Slot::Step(step)) = pending.pop_front() {
                        self.failed(step);
                    }
                    None
                }
                Some(Slot::Sync) | None => None,
            }
        };
        if let Some((Some(action), started, completion)) = done {
            let (outcome, detail) = match completion {
                Completion::Tag(tag) => ("succeeded", tag),
                Completion::Error(text) => ("failed", text),
                Completion::Refused => return,
            };
            self.record(&action, outcome, detail, started);
        }
    }

    /// Records a step sent to the server, in the pipeline and among the replies owed.
    fn step(&self, pipeline: &mut Vec<Step>, step: Step) {
        pipeline.push(step.clone());
        self.link.push(Slot::Step(step));
    }

    /// What the server holds under `name`, once the steps of earlier pipelines and
    /// earlier simple queries are settled (what waits to be sent goes first, so that the
    /// server can answer them).
    async fn confirmed(
        &self,
        pipeline: &[Step],
        upstream: &mut OwnedWriteHalf,
        out: &mut BytesMut,
        name: &Name<'_>,
    ) -> Result<Known, Fault> {
        loop {
            let settled = self.link.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if !self.unsettled(pipeline) {
                break;
            }
            send_out(upstream, out).await?;
            settled.await;
        }
        let held = self
            .link
            .held
            .lock()
            .map_err(|_| Fault::Upstream("lost track of prepared statements".to_owned()))?;
        let found = match name {
            Name::Statement(name) => held.statements.get(*name),
            Name::Portal(name) => held.portals.get(*name),
        };
        Ok(found.cloned().map_or(Known::Unknown, Known::Runs))
    }

    /// Whether steps from before `pipeline`, or simple queries, still wait for the
    /// server's answer. Steps are answered in order, so the pipeline's own are the last
    /// of those owed.
    fn unsettled(&self, pipeline: &[Step]) -> bool {
        let Ok(pending) = self.link.pending.lock() else {
            return false;
        };
        let steps = pending
            .iter()
            .filter(|slot| matches!(slot, Slot::Step(_)))
            .count();
        steps > pipeline.len()
            || pending
                .iter()
                .any(|slot| matches!(slot, Slot::Simple { .. }))
    }

    /// The server confirmed the oldest step owed a reply: it now holds what it names.
    fn confirm(&self) {
        let step = {
            let Ok(mut pending) = self.link.pending.lock() else {
                return;
            };
            if !matches!(pending.front(), Some(Slot::Step(_))) {
                return;
            }
            match pending.pop_front() {
                Some(Slot::Step(step)) => step,
                _ => return,
            }
        };
        if let Ok(mut held) = self.link.held.lock() {
            held.apply(step);
        }
    }

    /// The server failed a step. A `Parse` or `Bind` into the unnamed statement or
    /// portal has dropped the one before it first.
    fn failed(&self, step: Step) {
        if let Ok(mut held) = self.link.held.lock() {
            match step {
                Step::Parse(name, _) if name.is_empty() => {
                    held.statements.remove("");
                }
                Step::Bind(name, _) if name.is_empty() => {
                    held.portals.remove("");
                }
                _ => {}
            }
        }
    }

    /// What a finished simple query did to the prepared statements the server holds:
    /// it drops the unnamed one, and SQL `DEALLOCATE` or `DISCARD` drop named ones.
    fn simple_done(&self, sql: Option<&str>, tags: &[String]) {
        let Ok(mut held) = self.link.held.lock() else {
            return;
        };
        held.statements.remove("");
        if !tags
            .iter()
            .any(|t| t.starts_with("DEALLOCATE") || t.starts_with("DISCARD"))
        {
            return;
        }
        let words: Vec<&str> = sql
            .unwrap_or("")
            .trim()
            .trim_end_matches(';')
            .split_whitespace()
            .collect();
        let name = match words.as_slice() {
            [verb, name] | [verb, _, name]
                if verb.eq_ignore_ascii_case("deallocate")
                    && !name.eq_ignore_ascii_case("all")
                    && (words.len() == 2
                        || words
                            .get(1)
                            .is_some_and(|w| w.eq_ignore_ascii_case("prepare"))) =>
            {
                Some(
                    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                        Some(quoted) => quoted.to_owned(),
                        None => name.to_ascii_lowercase(),
                    },
                )
            }
            _ => None,
        };
        match name {
            Some(name) => {
                held.statements.remove(&name);
            }
            // Which ones it dropped is not known: none is trusted any more.
            None => held.statements.clear(),
        }
    }

    /// Ready for the next query: simple queries and pipelines up to this point are done.
    /// Returns the tag the client is still owed, if any. `status` is the server's
    /// transaction status: outside a transaction it holds no portals.
    async fn ready(&self, status: Option<u8>) -> Option<String> {
        let finished: Vec<Slot> = {
            let Ok(mut pending) = self.link.pending.lock() else {
                return None;
            };
            let mut finished = Vec::new();
            while let Some(slot) = pending.pop_front() {
                let last = matches!(slot, Slot::Simple { .. } | Slot::Sync);
                finished.push(slot);
                if last {
                    break;
                }
            }
            // The server reports changed settings just before ready-for-query, and they
            // were checked on the way: with nothing more owed, they are known.
            if pending.is_empty() {
                self.link.unsure.store(false, Ordering::SeqCst);
            }
            finished
        };
        for slot in &finished {
            if let Slot::Simple { action, tags, .. } = slot {
                self.simple_done(action.as_ref().map(|a| a.input.as_str()), tags);
            }
        }
        if status == Some(b'I')
            && let Ok(mut held) = self.link.held.lock()
        {
            held.portals.clear();
        }
        self.link.settled.notify_waiters();
        let mut owed = None;
        for slot in finished {
            match slot {
                Slot::Simple {
                    action: Some(action),
                    started,
                    mut tags,
                    error,
                    tag,
                    kept,
                    ..
                } => match error {
                    Some(error) => self.record(&action, "failed", error, started),
                    None => {
                        tags.extend(tag.clone());
                        owed = tag;
                        // No count: the block returned early (`DROP TABLE IF EXISTS` of a
                        // table that is not there) and nothing was kept.
                        if let Some(keeping) = kept.filter(|k| k.point.rows.is_some()) {
                            tags.push(self.record_point(*keeping).await);
                        }
                        self.record(&action, "succeeded", tags.join(", "), started);
                    }
                },
                Slot::Execute {
                    action: Some(action),
                    started,
                    ..
                } => self.record(
                    &action,
                    "not run",
                    "an earlier statement of the same pipeline failed".to_owned(),
                    started,
                ),
                _ => {}
            }
        }
        owed
    }

    /// Whether this reply answers a statement holdpoint added (and so is not shown);
    /// `tag` is its command tag (`None`: a notice).
    fn hidden(&self, tag: Option<&str>) -> bool {
        let Ok(mut pending) = self.link.pending.lock() else {
            return false;
        };
        let Some(Slot::Simple { hide, .. }) = pending.front_mut() else {
            return false;
        };
        if *hide == 0 {
            return false;
        }
        if tag.is_some() {
            *hide -= 1;
        }
        true
    }

    /// The query that keeps what `plan` would destroy and then runs `sql` (or, for a
    /// `DROP TABLE`, moves the table instead), and the reply it is owed.
    fn keeping(
        &self,
        plan: &Recoverable,
        action: Action,
        sql: &str,
    ) -> Result<(String, Slot), Fault> {
        let keeping = self.keeping_point(plan, &action, sql)?;
        let kept_as = keeping.point.id.replace('-', "_");
        let body = format!("{} {}", keep::keep(plan, &kept_as), self.kept_notice());
        let quote = self.dollar_quote(&[&body])?;
        let block = format!("DO {quote} DECLARE {DECLARE} BEGIN {body} END {quote}");
        // The setup and the block answer with tags of their own, hidden from the client.
        let hide = SETUP_STATEMENTS + 1;
        let (query, tag) = if plan.loss == Loss::Drop {
            // Moved, not dropped; the client is owed DROP's own tag.
            (
                format!("{RECOVERY_SETUP} {block}"),
                Some("DROP TABLE".to_owned()),
            )
        } else {
            (format!("{RECOVERY_SETUP} {block}; {sql}"), None)
        };
        Ok((
            query,
            Slot::Simple {
                action: Some(action),
                started: Instant::now(),
                tags: Vec::new(),
                error: None,
                hide,
                tag,
                kept: Some(Box::new(keeping)),
            },
        ))
    }

    /// The one statement that keeps what `plan` would destroy and then runs `sql` (or,
    /// for a `DROP TABLE`, moves the table instead): a `DO` block, so that it can stand
    /// in for a statement prepared over the extended protocol, with no replies of its
    /// own but a notice of the counts.
    fn keeping_block(
        &self,
        plan: &Recoverable,
        action: &Action,
        sql: &str,
    ) -> Result<(String, Keeping), Fault> {
        let keeping = self.keeping_point(plan, action, sql)?;
        let kept_as = keeping.point.id.replace('-', "_");
        let run = if plan.loss == Loss::Drop {
            String::new()
        } else {
            format!(
                "EXECUTE {}; GET DIAGNOSTICS hp_n = ROW_COUNT;",
                literal(sql.trim().trim_end_matches(';'))
            )
        };
        let body = format!(
            "{RECOVERY_SETUP} {keep} {run} {notice}",
            keep = keep::keep(plan, &kept_as),
            notice = self.kept_notice(),
        );
        // Everything inside, the statement and what holdpoint made of it, is checked.
        let quote = self.dollar_quote(&[&body])?;
        let block = format!("DO {quote} DECLARE {DECLARE} BEGIN {body} END {quote}");
        Ok((block, keeping))
    }

    /// The PL/pgSQL notice in which a keeping block reports its counts (see `counted`).
    fn kept_notice(&self) -> String {
        format!(
            "RAISE NOTICE 'HOLDPOINT_KEPT_{} % % % %', hp_k, hp_n, hp_d, hp_m;",
            self.link.nonce
        )
    }

    /// What a statement about to run keeps, before the counts are known.
    fn keeping_point(
        &self,
        plan: &Recoverable,
        action: &Action,
        sql: &str,
    ) -> Result<Keeping, Fault> {
        Ok(Keeping {
            point: self.recovery_point(plan, action, sql)?,
            loss: plan.loss,
            changed: None,
            cascaded: (0, 0),
        })
    }

    /// The recovery point a statement about to run keeps.
    fn recovery_point(
        &self,
        plan: &Recoverable,
        action: &Action,
        sql: &str,
    ) -> Result<RecoveryPoint, Fault> {
        let upstream = &self.proxy.upstream;
        Ok(RecoveryPoint {
            id: holdpoint_store::new_id("rcv").map_err(|e| Fault::Upstream(e.to_string()))?,
            loss: plan.loss.as_str().to_owned(),
            table: plan.table.clone(),
            address: upstream.address.clone(),
            database: upstream.database.clone(),
            user: upstream.user.clone(),
            statement: sql.to_owned(),
            digest: action.digest().to_string(),
            agent: action.agent.clone(),
            session: action.session.clone(),
            rows: None,
            created_ms: now_ms(),
            state: "kept".to_owned(),
        })
    }

    /// This connection's dollar quote for holdpoint's `DO` blocks, refused when one of
    /// `texts` to be put inside holds it.
    fn dollar_quote(&self, texts: &[&str]) -> Result<String, Fault> {
        let quote = format!("$hp_{}$", self.link.nonce);
        if texts.iter().any(|text| text.contains(&quote)) {
            return Err(Fault::Client(
                "a statement holdpoint cannot quote".to_owned(),
            ));
        }
        Ok(quote)
    }

    /// The recovery point the oldest `Execute` owed a reply keeps, if it keeps one.
    fn take_keeping(&self) -> Option<Box<Keeping>> {
        let mut pending = self.link.pending.lock().ok()?;
        match pending.front_mut() {
            Some(Slot::Execute { keeping, .. }) => keeping.take(),
            _ => None,
        }
    }

    /// Whether `notice` is the count a keeping block reports (and so not the client's);
    /// the counts go to the simple query or the `Execute` it belongs to.
    fn counted(&self, notice: &Frame) -> bool {
        let fields = wire::fields(notice).unwrap_or_default();
        let prefix = format!("HOLDPOINT_KEPT_{} ", self.link.nonce);
        let Some(counts) = fields.get(b'M').and_then(|m| m.strip_prefix(&prefix)) else {
            return false;
        };
        let mut numbers = counts.split(' ').map(|n| n.parse::<u64>().ok());
        let mut next = || numbers.next().flatten();
        let (rows, changed, cascaded_rows, parts) = (next(), next(), next(), next());
        if let Ok(mut pending) = self.link.pending.lock()
            && let Some(
                Slot::Execute {
                    keeping: Some(keeping),
                    ..
                }
                | Slot::Simple {
                    kept: Some(keeping),
                    ..
                },
            ) = pending.front_mut()
        {
            keeping.point.rows = rows;
            keeping.changed = changed;
            keeping.cascaded = (cascaded_rows.unwrap_or(0), parts.unwrap_or(0));
        }
        true
    }

    /// Records a recovery point its statement kept; returns the tag the client is owed
    /// and the outcome to record.
    async fn kept(&self, keeping: Keeping) -> (String, String) {
        let tag = match keeping.loss {
            Loss::Drop => "DROP TABLE".to_owned(),
            Loss::Truncate => "TRUNCATE TABLE".to_owned(),
            Loss::Delete => format!("DELETE {}", keeping.changed.unwrap_or(0)),
            Loss::Update => format!("UPDATE {}", keeping.changed.unwrap_or(0)),
        };
        if keeping.point.rows.is_none() && keeping.loss == Loss::Drop {
            // `DROP TABLE IF EXISTS` of a table that is not there: nothing was kept.
            return (tag.clone(), tag);
        }
        let detail = format!("{tag}, {}", self.record_point(keeping).await);
        (tag, detail)
    }

    /// Records a recovery point the database now holds; returns the words for the
    /// statement's outcome.
    async fn record_point(&self, keeping: Keeping) -> String {
        let point = keeping.point;
        let id = point.id.clone();
        let with = match keeping.cascaded {
            (_, 0) => String::new(),
            (_, parts) if keeping.loss == Loss::Drop => {
                format!(", with the views and foreign keys around it ({parts})")
            }
            (rows, _) => format!(
                ", with {} its foreign keys cascade to",
                crate::log_cmd::counted(rows, "row")
            ),
        };
        let recorded = self
            .proxy
            .state
            .blocking(move |store| store.keep_recovery(&point, now_ms()))
            .await;
        if let Err(e) = recorded {
            eprintln!(
                "holdpoint pg: recovery point {id} was kept in the database but not recorded: {}",
                e.message()
            );
        }
        format!("recovery point {id} kept{with}")
    }

    /// Records the statements sent that were never answered, once the connection is
    /// over: that nobody saw what they did is recorded, rather than nothing.
    fn unanswered(&self) {
        let slots: Vec<Slot> = self
            .link
            .pending
            .lock()
            .map(|mut pending| pending.drain(..).collect())
            .unwrap_or_default();
        for slot in slots {
            if let Slot::Simple {
                action: Some(action),
                started,
                ..
            }
            | Slot::Execute {
                action: Some(action),
                started,
                ..
            } = slot
            {
                self.record(
                    &action,
                    "unknown",
                    "the connection closed before the database answered".to_owned(),
                    started,
                );
            }
        }
    }

    /// Records what a statement did, bound to its action's digest. Not waited for: the
    /// decision was durable before the statement went on.
    fn record(&self, action: &Action, outcome: &str, detail: String, started: Instant) {
        let executed = Executed {
            outcome: outcome.to_owned(),
            exit_status: None,
            duration_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            detail: Some(detail),
            observed_by: "holdpoint pg".to_owned(),
        };
        self.proxy.state.decider.record(action, executed);
    }
}

/// The password `holdpoint restore` connects with to `database` at `address` as `user`:
/// that of the `[[database]]` in holdpoint.toml naming the same upstream, else what the
/// proxy would use without one (`$HOLDPOINT_UPSTREAM_PASSWORD_FILE`, then
/// `$HOLDPOINT_UPSTREAM_PASSWORD`).
pub(crate) fn upstream_password_for(
    config: &crate::home::Config,
    address: &str,
    user: &str,
    database: &str,
) -> Result<Option<String>, Failure> {
    for listed in &config.databases {
        if let Ok(upstream) = Upstream::parse(&listed.upstream)
            && upstream.address == address
            && upstream.user == user
            && upstream.database == database
        {
            return match upstream.password {
                Some(password) => Ok(Some(password)),
                None => crate::home::upstream_password(listed.password_file.as_deref()),
            };
        }
    }
    crate::home::upstream_password(None)
}

/// A client connection's settings for the database at `address` (`host:port`), as
/// holdpoint's own user: what counting a blast radius and restoring use.
pub(crate) fn client_config(
    address: &str,
    user: &str,
    database: &str,
    password: Option<&str>,
    application: &str,
    timeout: Duration,
) -> tokio_postgres::Config {
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "5432"));
    let mut config = tokio_postgres::Config::new();
    config
        .host(host)
        .port(port.parse().unwrap_or(5432))
        .user(user)
        .dbname(database)
        .application_name(application)
        .connect_timeout(timeout);
    if let Some(password) = password {
        config.password(password);
    }
    config
}

/// How long counting the rows a statement would touch may take.
const COUNT_TIMEOUT: Duration = Duration::from_secs(2);

/// What a destructive statement would touch, counted on a connection of its own in a
/// read-only transaction with a statement timeout: the rows a `DELETE` or `UPDATE`
/// matches, the size and rows of a table a `DROP` or `TRUNCATE` removes, and what its
/// foreign keys cascade to (`keep::beyond`; `keeps`: the statement will keep a recovery
/// point, so where it could not keep one is said too). A sentence for the approver; one
/// saying why when it cannot be counted.
async fn blast_radius(upstream: &Upstream, sql: &str, keeps: bool) -> Vec<String> {
    let Some(plan) = recovery::plan(sql) else {
        return Vec::new();
    };
    let walk = if keeps {
        keep::Walk::Foresee
    } else {
        keep::Walk::Count
    };
    let counted = tokio::time::timeout(COUNT_TIMEOUT * 2, count(upstream, &plan, walk)).await;
    let sentence = match counted {
        Ok(Ok(sentence)) => sentence,
        Ok(Err(e)) => format!("the rows it would touch could not be counted: {e}"),
        Err(_) => format!(
            "the rows it would touch could not be counted within {} s",
            COUNT_TIMEOUT.as_secs() * 2
        ),
    };
    vec![sentence]
}

async fn count(
    upstream: &Upstream,
    plan: &Recoverable,
    walk: keep::Walk,
) -> Result<String, String> {
    let (mut client, connection) = client_config(
        &upstream.address,
        &upstream.user,
        &upstream.database,
        upstream.password.as_deref(),
        "holdpoint blast radius",
        COUNT_TIMEOUT,
    )
    .connect(tokio_postgres::NoTls)
    .await
    .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {}",
        COUNT_TIMEOUT.as_millis()
    ))
    .await
    .map_err(|e| e.to_string())?;
    let error = |e: tokio_postgres::Error| {
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned())
    };
    let mut sentence = match plan.loss {
        Loss::Delete | Loss::Update => {
            let row = tx
                .query_one(
                    &format!("SELECT count(*) FROM ({}) affected", plan.affected_rows()),
                    &[],
                )
                .await
                .map_err(error)?;
            let rows: i64 = row.get(0);
            let verb = if plan.loss == Loss::Delete {
                "delete"
            } else {
                "overwrite"
            };
            format!(
                "would {verb} {} of table `{}` (counted just now)",
                crate::log_cmd::counted(rows, "row"),
                plan.table
            )
        }
        Loss::Drop | Loss::Truncate => {
            let row = tx
                .query_one(
                    "SELECT pg_size_pretty(pg_total_relation_size(to_regclass($1))),                      (SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1))",
                    &[&plan.table],
                )
                .await
                .map_err(error)?;
            let size: Option<String> = row.get(0);
            let estimate: Option<i64> = row.get(1);
            let Some(size) = size else {
                return Ok(format!("table `{}` does not exist now", plan.table));
            };
            let rows = match estimate {
                Some(rows) if rows >= 0 => {
                    format!("about {}", crate::log_cmd::counted(rows, "row"))
                }
                _ => {
                    let row = tx
                        .query_one(&format!("SELECT count(*) FROM {}", plan.source), &[])
                        .await
                        .map_err(error)?;
                    crate::log_cmd::counted(row.get::<_, i64>(0), "row")
                }
            };
            let verb = if plan.loss == Loss::Drop {
                "drop"
            } else {
                "empty"
            };
            format!(
                "would {verb} table `{}`: {rows}, {size} on disk",
                plan.table
            )
        }
    };
    sentence.push_str(&keep::beyond(&tx, plan, walk).await);
    let _ = tx.rollback().await;
    Ok(sentence)
}

/// Forwards a client's cancel request to the server, with the server's own key.
async fn cancel(proxy: &Proxy, pid: i32, key: Vec<u8>) {
    let target = proxy
        .cancels
        .lock()
        .ok()
        .and_then(|cancels| cancels.get(&(pid, key)).cloned());
    let Some(((pid, key), cancelled)) = target else {
        return;
    };
    // A statement held for approval has not reached the server: its wait ends here.
    cancelled.notify_waiters();
    if let Ok(mut socket) = TcpStream::connect(&proxy.upstream.address).await {
        let _ = socket.write_all(&wire::cancel_request(pid, &key)).await;
        let _ = socket.shutdown().await;
    }
}
