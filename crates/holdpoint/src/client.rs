//! A small blocking HTTP/1.1 client for `holdpoint serve`'s API, over its Unix socket or
//! TCP. Hooks are short processes on the agent's critical path: a
//! request here is a connect, one write and one read, with no runtime to start.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::home::ServerUrl;

/// The largest response read.
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Where to connect.
#[derive(Debug, Clone)]
pub(crate) enum Peer {
    Unix(PathBuf),
    Tcp(String),
}

impl From<&ServerUrl> for Peer {
    fn from(url: &ServerUrl) -> Self {
        match url {
            ServerUrl::Unix(path) => Peer::Unix(path.clone()),
            ServerUrl::Http(host) => Peer::Tcp(host.clone()),
        }
    }
}

trait Stream: std::io::Read + std::io::Write {}
impl<T: std::io::Read + std::io::Write> Stream for T {}

/// Sends one request and reads the whole response. `host` is the Host header.
pub(crate) fn send(
    peer: &Peer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    timeout: Duration,
) -> Result<Response, String> {
    let (mut stream, host): (Box<dyn Stream>, String) = match peer {
        Peer::Unix(path) => {
            let stream = UnixStream::connect(path)
                .map_err(|e| format!("cannot connect to `{}`: {e}", path.display()))?;
            stream
                .set_read_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            stream
                .set_write_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            (Box::new(stream), "localhost".to_owned())
        }
        Peer::Tcp(host) => {
            let address = host
                .to_socket_addrs()
                .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
                .next()
                .ok_or_else(|| format!("`{host}` has no address"))?;
            let stream = TcpStream::connect_timeout(&address, timeout)
                .map_err(|e| format!("cannot connect to `{host}`: {e}"))?;
            stream
                .set_read_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            stream
                .set_write_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            let _ = stream.set_nodelay(true);
            (Box::new(stream), host.clone())
        }
    };
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        if value.contains(['\r', '\n']) {
            return Err(format!("the `{name}` header has a line break"));
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or_default();
    request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream
        .write_all(&bytes)
        .and_then(|()| stream.flush())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    read_response(stream)
}

fn read_response(stream: Box<dyn Stream>) -> Result<Response, String> {
    let mut reader = BufReader::new(stream.take(MAX_RESPONSE));
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("no answer: {e}"))?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP answer: `{}`", line.trim()))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("the answer broke off: {e}"))?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader
                .read_line(&mut line)
                .map_err(|e| format!("the answer broke off: {e}"))?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| "a malformed chunked answer".to_owned())?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size];
            reader
                .read_exact(&mut chunk)
                .map_err(|e| format!("the answer broke off: {e}"))?;
            body.extend_from_slice(&chunk);
            line.clear();
            reader
                .read_line(&mut line)
                .map_err(|e| format!("the answer broke off: {e}"))?;
        }
    } else if let Some(length) = length {
        body.resize(length, 0);
        reader
            .read_exact(&mut body)
            .map_err(|e| format!("the answer broke off: {e}"))?;
    } else {
        reader
            .read_to_end(&mut body)
            .map_err(|e| format!("the answer broke off: {e}"))?;
    }
    Ok(Response { status, body })
}
