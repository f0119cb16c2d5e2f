//! `holdpoint serve`: one process that holds the state for a team. It decides for hooks,
//! `holdpoint exec` and proxies that name it in `holdpoint.toml`, answers the JSON API
//! under `/api/v1`, and renders the web console where humans approve.
//!
//! The router is built by [`app`] from an [`AppState`], so tests drive it without a
//! socket.

pub(crate) mod api;
pub(crate) mod auth;
mod console;
pub(crate) mod decider;
pub(crate) mod html;
mod notify;
pub(crate) mod passkeys;
mod slack;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use holdpoint_core::Environment;
use holdpoint_store::SqlStore;

use crate::home::{Config, Home};
use crate::{Failure, exit, local};

pub use api::ApiDoc;
pub(crate) use api::new_agent;

/// The largest request body the server reads.
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The console's and the HTTP API's address [default: `[server] listen` in
    /// holdpoint.toml, else 127.0.0.1:7878]
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// The Unix socket for hooks, `exec` and proxies on this machine [default: `[server]
    /// socket`, else $HOLDPOINT_HOME/serve.sock]
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// The environment the agents act in [default: holdpoint.toml's]
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
}

/// Everything a request handler needs, shared by all of them.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
/// The state behind [`AppState`].
pub struct Shared {
    pub(crate) store: Arc<SqlStore>,
    /// A connection for long reads (ledger pages, exports, verification), so they never
    /// hold up the writer.
    pub(crate) reader: Arc<SqlStore>,
    pub(crate) home: Home,
    pub(crate) config: Config,
    pub(crate) environment: Environment,
    pub(crate) decider: decider::Decider,
    /// Agent tokens already checked against their password hash, by SHA-256: checking
    /// a password hash takes tens of milliseconds, far too long for every decision.
    pub(crate) agent_tokens: Mutex<HashMap<String, auth::Verified>>,
    /// Failed sign-ins by client and by human name, for the API, the console and the
    /// proxy alike.
    pub(crate) throttle: crate::throttle::Throttle,
    /// Bumped whenever an approval request changes, here or (on a PostgreSQL store,
    /// heard by `listening`) in any other process, to wake waiting clients.
    pub(crate) changes: tokio::sync::watch::Sender<u64>,
    /// On a PostgreSQL store: what hears the changes other processes commit.
    pub(crate) listening: Option<holdpoint_store::Listener>,
    pub(crate) notifier: notify::Notifier,
    /// The address the console was bound to, once it is.
    pub(crate) bound: std::sync::OnceLock<std::net::SocketAddr>,
    /// Whether this process serves the console.
    pub(crate) serves_console: bool,
    /// Humans' passkeys: the relying party and the ceremonies under way.
    pub(crate) passkeys: passkeys::Passkeys,
    /// Set: answers come from Slack too (`[slack]`).
    pub(crate) slack: Option<slack::Slack>,
    /// Held while a recovery point is put back: one restore at a time.
    pub(crate) restoring: Mutex<()>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Opens the store and loads the policies of the holdpoint home in `dir`, and starts
    /// the thread that records decisions.
    pub fn open(dir: &Path, environment: Option<&str>) -> Result<Self, String> {
        Self::open_home(
            Home {
                dir: dir.to_owned(),
            },
            environment,
            None,
            true,
        )
        .map_err(|f| f.message)
    }

    /// `serves_console`: this process serves the console (the server), rather than
    /// linking to one another process may serve (the proxy).
    pub(crate) fn open_home(
        home: Home,
        environment: Option<&str>,
        listen: Option<std::net::SocketAddr>,
        serves_console: bool,
    ) -> Result<Self, Failure> {
        home.check_owner()?;
        let mut config = home.load_config()?;
        if let Some(listen) = listen {
            config.server.listen = listen;
        }
        let environment = crate::home::environment(environment, &config)?;
        let engine = local::policy_engine_in(&home.policies())?;
        let store = Arc::new(home.open_store_as(&config, crate::home::Opening::KeptOpen)?);
        // The decisions read grants and freezes through a connection of their own, so
        // they never wait for the writer's sync.
        let reader = home.open_store_as(&config, crate::home::Opening::ToRead)?;
        let pages = home.open_store_as(&config, crate::home::Opening::ToRead)?;
        let inline_reader = home.open_store_as(&config, crate::home::Opening::ToRead)?;
        let decider = decider::Decider::start(
            Arc::clone(&store),
            reader,
            inline_reader,
            engine,
            config.clone(),
            home.dir.clone(),
        )?;
        let slack = config
            .slack
            .as_ref()
            .map(|slack| slack::Slack::open(slack, &config.webhooks))
            .transpose()?;
        let notifier = notify::Notifier::start(config.webhooks.clone(), slack.is_some());
        let (changes, _) = tokio::sync::watch::channel(0_u64);
        let heard = changes.clone();
        let listening = home.listen_to_store(&config, move |_| {
            heard.send_modify(|n| *n = n.wrapping_add(1));
        })?;
        let passkeys = passkeys::Passkeys::new(config.server.public_url.as_deref());
        Ok(AppState(Arc::new(Shared {
            store,
            reader: Arc::new(pages),
            home,
            config,
            environment,
            decider,
            agent_tokens: Mutex::new(HashMap::new()),
            throttle: crate::throttle::Throttle::default(),
            changes,
            listening,
            notifier,
            bound: std::sync::OnceLock::new(),
            serves_console,
            passkeys,
            slack,
            restoring: Mutex::new(()),
        })))
    }

    /// Runs a store call on a thread that may block.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqlStore) -> Result<T, holdpoint_store::StoreError> + Send + 'static,
    ) -> Result<T, api::ApiError> {
        off_thread(Arc::clone(&self.store), f).await
    }

    /// Runs a long read on the reading connection, on a thread that may block.
    pub(crate) async fn reading<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqlStore) -> Result<T, holdpoint_store::StoreError> + Send + 'static,
    ) -> Result<T, api::ApiError> {
        off_thread(Arc::clone(&self.reader), f).await
    }

    /// How long a client waiting for an approval request to change waits before it looks
    /// at the store again: 5 s when this process hears every change committed anywhere
    /// (`listening`), in case that connection was lost; else `unheard`, since answers
    /// given by another process reach it only by looking.
    pub(crate) fn look_again(&self, unheard: Duration) -> Duration {
        if self.listening.is_some() {
            Duration::from_secs(5)
        } else {
            unheard
        }
    }

    /// Wakes clients waiting for an approval request to change.
    pub(crate) fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// How many clients are waiting for an approval request to change.
    pub fn waiting(&self) -> usize {
        self.changes.receiver_count()
    }

    /// The console's address as approvers reach it.
    /// Where humans find the console: `public_url`, else the address of the server that
    /// is answering. In another process (the proxy) that is the server running on this
    /// home, if one is; `None` when none is.
    pub(crate) fn console_url(&self) -> Option<String> {
        if let Some(url) = &self.config.server.public_url {
            return Some(url.clone());
        }
        if self.serves_console {
            return Some(format!(
                "http://{}",
                self.bound.get().unwrap_or(&self.config.server.listen)
            ));
        }
        // A server writes its address next to its socket and answers on the socket
        // while it runs; a file left by one that crashed is not believed.
        std::os::unix::net::UnixStream::connect(&self.config.server.socket).ok()?;
        let url = std::fs::read_to_string(self.home.dir.join(CONSOLE_FILE)).ok()?;
        Some(url.trim().to_owned()).filter(|url| url.starts_with("http"))
    }

    /// Whether cookies may be sent only over HTTPS: when the console is published there.
    pub(crate) fn secure_cookies(&self) -> bool {
        self.config
            .server
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Where a running server writes its console's address, for the proxy's links.
const CONSOLE_FILE: &str = "console.url";

/// Runs `f` with `store` on a thread that may block.
async fn off_thread<T: Send + 'static>(
    store: Arc<SqlStore>,
    f: impl FnOnce(&SqlStore) -> Result<T, holdpoint_store::StoreError> + Send + 'static,
) -> Result<T, api::ApiError> {
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| api::ApiError::internal(format!("a store call failed: {e}")))?
        .map_err(api::ApiError::from)
}

/// The whole server: API, console and the OpenAPI document.
pub fn app(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes())
        .merge(console::routes())
        .route("/slack/actions", axum::routing::post(slack::actions))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// `$HOLDPOINT_HOME` as an absolute path, and a runtime for a long-running process
/// (`what`: the server, the proxy).
pub(crate) fn home_and_runtime(what: &str) -> Result<(Home, tokio::runtime::Runtime), Failure> {
    let mut home = Home::locate();
    home.dir = std::path::absolute(&home.dir)
        .map_err(|e| Failure::internal(format!("cannot resolve $HOLDPOINT_HOME: {e}")))?;
    // Connections are analysed on the runtime's threads, so they get the stack analysis
    // needs.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(holdpoint_core::ANALYSIS_STACK)
        .build()
        .map_err(|e| Failure::internal(format!("cannot start the {what}'s runtime: {e}")))?;
    Ok((home, runtime))
}

/// `holdpoint serve`.
pub(crate) fn run(args: &ServeArgs) -> Result<u8, Failure> {
    let (home, runtime) = home_and_runtime("server")?;
    // The state starts threads and opens the store outside the runtime's threads.
    let state = AppState::open_home(home, args.env.as_deref(), args.listen, true)?;
    let listen = state.config.server.listen;
    let socket = args
        .socket
        .clone()
        .unwrap_or_else(|| state.config.server.socket.clone());
    runtime.block_on(serve(state, listen, socket))
}

async fn serve(
    state: AppState,
    listen: std::net::SocketAddr,
    socket: PathBuf,
) -> Result<u8, Failure> {
    let tcp = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Failure::usage(format!(
            "cannot listen on {listen}: {e}; choose another address with --listen"
        ))
    })?;
    let listen = tcp.local_addr().unwrap_or(listen);
    let _ = state.bound.set(listen);
    let unix = bind_socket(&socket, state.config.server.socket_group.as_deref()).await?;
    let console = state.home.dir.join(CONSOLE_FILE);
    if let Err(e) = std::fs::write(&console, format!("http://{listen}\n")) {
        eprintln!(
            "holdpoint serve: cannot write `{}` ({e}): the proxy's messages will not link to this console",
            console.display()
        );
    }
    let router = app(state.clone());
    eprintln!(
        "holdpoint serve: console and API at http://{listen} (environment {}); socket {}",
        state.environment,
        socket.display()
    );
    if state.config.server.public_url.is_none() && !listen.ip().is_loopback() {
        eprintln!(
            "holdpoint serve: set [server] public_url to the https:// address approvers use, so sign-in cookies are sent only over HTTPS"
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    // Each request knows its client (the TCP peer's address, the socket peer's uid), for
    // counting failed sign-ins.
    let tcp_server = axum::serve(
        tcp,
        router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stopped(stop_rx.clone()));
    let unix_server = axum::serve(
        unix,
        router.into_make_service_with_connect_info::<auth::LocalPeer>(),
    )
    .with_graceful_shutdown(stopped(stop_rx));
    let tcp_task = tokio::spawn(async move { tcp_server.await });
    let unix_task = tokio::spawn(async move { unix_server.await });
    shutdown_signal().await;
    eprintln!("holdpoint serve: stopping; requests in progress finish first");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let _ = tcp_task.await;
        let _ = unix_task.await;
    })
    .await;
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(&console);
    Ok(exit::ALLOW)
}

/// Binds the Unix socket, replacing a stale one that nothing answers on. With `group`,
/// only that group's members (and holdpoint's own user) may connect; without, any local
/// user may. Either way every client proves who it is with a credential.
async fn bind_socket(
    path: &Path,
    group: Option<&str>,
) -> Result<tokio::net::UnixListener, Failure> {
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(Failure::usage(format!(
                "another holdpoint serve is answering on `{}`",
                path.display()
            )));
        }
        std::fs::remove_file(path).map_err(|e| {
            Failure::internal(format!(
                "cannot remove the stale socket `{}`: {e}",
                path.display()
            ))
        })?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(|e| {
        Failure::usage(format!(
            "cannot listen on the socket `{}`: {e}",
            path.display()
        ))
    })?;
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let mode = match group {
        // Every client proves who it is with a credential, so any local user may
        // connect: agents are best run as another OS user than the one that owns
        // $HOLDPOINT_HOME (`holdpoint setup --system`).
        None => 0o666,
        Some(name) => {
            let gid = crate::setup::group_id(name).ok_or_else(|| {
                Failure::usage(format!(
                    "[server] socket_group names `{name}`, which is not a group on this machine"
                ))
            })?;
            // In the directory `holdpoint setup --system` makes (set-group-id, owned by
            // the group) the socket has the group already: the service's system-call
            // filter refuses chown. Elsewhere the server, a member of the group, gives it.
            let has = std::fs::metadata(path).map(|m| m.gid()).unwrap_or(u32::MAX);
            if has != gid {
                std::os::unix::fs::chown(path, None, Some(gid)).map_err(|e| {
                    Failure::internal(format!(
                        "cannot give the socket `{}` to group `{name}` ({e}): make its directory set-group-id and owned by the group (`install -d -m 2750 -g {name} DIR`), or run holdpoint serve as a member of the group",
                        path.display()
                    ))
                })?;
            }
            0o660
        }
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        Failure::internal(format!(
            "cannot set the socket `{}`'s permissions: {e}",
            path.display()
        ))
    })?;
    Ok(listener)
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
