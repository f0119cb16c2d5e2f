//! A connection up to its first statement: TLS when configured, the agent's credential,
//! the login to the real database (SCRAM or a password), and the server's greeting with
//! its cancel key replaced by one of the proxy's. Also how `holdpoint restore` reaches the
//! same database (`upstream_password_for`, `client_config`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use holdpoint_core::sql_settings::{self, PINNED};
use holdpoint_pgwire::{self as wire, Fields, Frame, Startup};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::driver;
use super::{ClientStream, Fault, MAX_MESSAGE, Proxy, cancel, fatal, read_frame, write_frames};
use crate::Failure;
use crate::home::TlsFiles;
use crate::serve::auth::verify_agent;
use crate::throttle::Client;

/// The real database.
#[derive(Debug, Clone)]
pub(super) struct Upstream {
    pub(super) address: String,
    pub(super) user: String,
    pub(super) password: Option<String>,
    pub(super) database: String,
}

impl Upstream {
    pub(super) fn parse(url: &str) -> Result<Self, String> {
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

/// Reads one startup message.
pub(super) async fn read_startup<S: AsyncRead + Unpin>(
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
pub(super) fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, Failure> {
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

/// A new connection: TLS first when the client asks for it (and required when the proxy
/// has a certificate), then the session.
pub(super) async fn connection(proxy: &Arc<Proxy>, mut client: TcpStream) -> Result<(), Fault> {
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
    let cancelled = Arc::new(super::Cancelled::default());
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

    let result = driver::drive(
        Arc::clone(proxy),
        agent,
        session,
        (client, buf),
        (upstream, up_buf),
        cancelled,
    )
    .await;
    if let Ok(mut cancels) = proxy.cancels.lock() {
        cancels.remove(&ours);
    }
    result
}

/// The session a client names in its `application_name` (`holdpoint-session=ID`, alone
/// or after other words), so that its statements are reported with the agent's other
/// actions of that session: up to 128 letters, digits and `._:-`.
pub(super) fn named_session(application_name: Option<&str>) -> Option<String> {
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
pub(super) fn unpinned(frame: &Frame) -> Option<String> {
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
pub(super) async fn open_upstream(
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
