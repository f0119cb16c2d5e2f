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
//!
//! The shape every proxy of holdpoint's takes (ARCHITECTURE.md): the codec is
//! `holdpoint-pgwire`; the session's state is `statements.rs` (which reply answers which
//! statement, what the server holds under each name, the refusal markers), plain data
//! tested without a socket; the loop is `driver.rs`, with `startup.rs` before it and
//! `decide.rs`, `keeping.rs` and `blast.rs` for what it asks of the decider and the
//! database. This file is the listener and what its connections share.

mod blast;
mod decide;
mod driver;
mod keeping;
mod startup;
mod statements;

pub(crate) use startup::{client_config, upstream_password_for};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use holdpoint_core::Environment;
use holdpoint_pgwire::{self as wire, Fields, Frame};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use crate::home::{DatabaseConfig, TlsFiles};
use crate::serve::AppState;
use crate::{Failure, exit};
use startup::{Upstream, acceptor, connection};

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
    cancels: Mutex<HashMap<CancelKey, (CancelKey, Arc<Cancelled>)>>,
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
    // The connections still open end here: a read they were running leaves its
    // decision with the writer as it goes (`ReadAllowed`).
    runtime.shutdown_timeout(Duration::from_secs(2));
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

/// A connection's cancel requests: how many have come, and a wake-up for a statement
/// waiting for an approval. A statement notes how many had come as its deciding began
/// ([`Cancelled::seen`]), so that one coming after that ends its wait even when it came
/// before the wait began.
#[derive(Debug, Default)]
pub(super) struct Cancelled {
    count: AtomicU64,
    notify: tokio::sync::Notify,
}

impl Cancelled {
    fn cancel(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// How many cancel requests have come so far.
    pub(super) fn seen(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Returns once a cancel request has come after the `seen` first: at once if one
    /// already has.
    pub(super) async fn after(&self, seen: u64) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Enabled before the count is read, so that a cancel in between wakes it.
        notified.as_mut().enable();
        if self.seen() != seen {
            return;
        }
        notified.await;
    }
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
    cancelled.cancel();
    if let Ok(mut socket) = TcpStream::connect(&proxy.upstream.address).await {
        let _ = socket.write_all(&wire::cancel_request(pid, &key)).await;
        let _ = socket.shutdown().await;
    }
}
