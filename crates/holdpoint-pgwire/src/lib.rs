//! The PostgreSQL wire protocol (version 3.0) as holdpoint's proxy needs it: framing of
//! both directions, the messages the proxy looks inside, and the ones it writes itself.
//!
//! Pure: [`parse_startup`] and [`parse_frame`] take bytes from a buffer and return a
//! value, `None` when more bytes are needed; the read and write loops live in the proxy.
//! A message the proxy does not need to understand stays a [`Frame`] and is passed on
//! byte for byte.

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};

mod scram;

pub use scram::{Scram, ScramError};

/// Protocol version 3.0, as a startup message carries it.
pub const PROTOCOL_3_0: u32 = 196_608;
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const CANCEL_REQUEST: u32 = 80_877_102;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("a message of {size} bytes is larger than the {limit} bytes allowed")]
    TooLarge { size: usize, limit: usize },
    #[error("a message declares the impossible length {0}")]
    BadLength(i64),
    #[error("a malformed `{tag}` message: {what}")]
    Malformed { tag: char, what: &'static str },
    #[error("protocol version {major}.{minor} is not supported (only 3.0)")]
    Version { major: u16, minor: u16 },
    #[error("a `{tag}` message whose {what} is not valid UTF-8")]
    NotUtf8 { tag: char, what: &'static str },
}

/// The SQL text of a `Q` or `P` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sql {
    /// Valid UTF-8, as the server reads it with `client_encoding` UTF8.
    Text(String),
    /// Not valid UTF-8, shown with replacement characters for the record: never to be
    /// analysed as what the server would read.
    NotUtf8(String),
}

/// The first message of a connection, which has no tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Startup {
    /// The client asks for TLS; the answer is one byte, `S` or `N`.
    Ssl,
    /// The client asks for GSSAPI encryption; answered `N`.
    Gss,
    /// Cancel the query running on another connection.
    Cancel { pid: i32, key: Vec<u8> },
    /// Start a session: `user`, `database`, `application_name`, options…
    Params(Vec<(String, String)>),
}

impl Startup {
    /// One parameter of a startup message.
    pub fn param(&self, name: &str) -> Option<&str> {
        match self {
            Startup::Params(params) => params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str()),
            _ => None,
        }
    }
}

/// A message with a tag: its type byte and its body (without the length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub tag: u8,
    pub body: Bytes,
}

/// Reads the 4-byte length that starts every message and checks it: at least `min`, at
/// most `limit`.
fn length(buf: &[u8], at: usize, min: usize, limit: usize) -> Result<Option<usize>, ProtocolError> {
    let Some(bytes) = buf
        .get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
    else {
        return Ok(None);
    };
    let declared = i32::from_be_bytes(bytes);
    let Ok(size) = usize::try_from(declared) else {
        return Err(ProtocolError::BadLength(i64::from(declared)));
    };
    if size < min {
        return Err(ProtocolError::BadLength(i64::from(declared)));
    }
    if size > limit {
        return Err(ProtocolError::TooLarge { size, limit });
    }
    Ok(Some(size))
}

/// Takes the startup message from `buf`, or `None` when it is not all there yet.
pub fn parse_startup(buf: &mut BytesMut, limit: usize) -> Result<Option<Startup>, ProtocolError> {
    let Some(size) = length(buf, 0, 8, limit.min(10_000))? else {
        return Ok(None);
    };
    if buf.len() < size {
        return Ok(None);
    }
    let mut message = buf.split_to(size).freeze();
    message.advance(4);
    let code = message.get_u32();
    let malformed = |what| ProtocolError::Malformed { tag: '0', what };
    match code {
        SSL_REQUEST => Ok(Some(Startup::Ssl)),
        GSSENC_REQUEST => Ok(Some(Startup::Gss)),
        CANCEL_REQUEST => {
            if message.len() < 8 {
                return Err(malformed("a cancel request without its process id and key"));
            }
            let pid = message.get_i32();
            Ok(Some(Startup::Cancel {
                pid,
                key: message.to_vec(),
            }))
        }
        PROTOCOL_3_0 => {
            let mut params = Vec::new();
            loop {
                let mut text = |what| {
                    let text = cbytes(&mut message).ok_or(malformed(what))?;
                    String::from_utf8(text.to_vec())
                        .map_err(|_| ProtocolError::NotUtf8 { tag: '0', what })
                };
                let key = text("a parameter name")?;
                if key.is_empty() {
                    break;
                }
                let value = text("a parameter value")?;
                params.push((key, value));
            }
            Ok(Some(Startup::Params(params)))
        }
        other => Err(ProtocolError::Version {
            major: u16::try_from(other >> 16).unwrap_or(u16::MAX),
            minor: u16::try_from(other & 0xffff).unwrap_or(u16::MAX),
        }),
    }
}

/// Takes one tagged message from `buf`, or `None` when it is not all there yet.
pub fn parse_frame(buf: &mut BytesMut, limit: usize) -> Result<Option<Frame>, ProtocolError> {
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    let Some(size) = length(buf, 1, 4, limit)? else {
        return Ok(None);
    };
    if buf.len() < size + 1 {
        // Room for the rest, so it is read in as few calls as it arrives in.
        buf.reserve(size + 1 - buf.len());
        return Ok(None);
    }
    let mut message = buf.split_to(size + 1).freeze();
    message.advance(5);
    Ok(Some(Frame { tag, body: message }))
}

/// Whether `buf` already holds a whole tagged message (or one too large to wait for).
pub fn frame_waiting(buf: &[u8]) -> bool {
    match length(buf, 1, 4, usize::MAX) {
        Ok(Some(size)) => buf.len() > size,
        Ok(None) => false,
        Err(_) => true,
    }
}

impl Frame {
    pub fn new(tag: u8, body: impl Into<Bytes>) -> Self {
        Frame {
            tag,
            body: body.into(),
        }
    }

    /// Appends the message as it goes on the wire.
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(self.body.len() + 5);
        out.put_u8(self.tag);
        out.put_u32(u32::try_from(self.body.len() + 4).unwrap_or(u32::MAX));
        out.put_slice(&self.body);
    }

    fn malformed(&self, what: &'static str) -> ProtocolError {
        ProtocolError::Malformed {
            tag: char::from(self.tag),
            what,
        }
    }

    fn reader(&self) -> Bytes {
        self.body.clone()
    }
}

/// The bytes of a NUL-terminated string, taken from the front of `bytes`.
fn cbytes(bytes: &mut Bytes) -> Option<Bytes> {
    let end = bytes.iter().position(|&b| b == 0)?;
    let text = bytes.split_to(end);
    bytes.advance(1);
    Some(text)
}

/// A NUL-terminated string from the server, whose text is only shown or recorded.
fn cstring(bytes: &mut Bytes) -> Option<String> {
    cbytes(bytes).map(|text| String::from_utf8_lossy(&text).into_owned())
}

impl Frame {
    /// A NUL-terminated string from the client. What the proxy decides on is read
    /// strictly: two names that differ only in bytes that are not UTF-8 must never be
    /// taken for one.
    fn client_string(&self, body: &mut Bytes, what: &'static str) -> Result<String, ProtocolError> {
        let text = cbytes(body).ok_or_else(|| self.malformed(what))?;
        String::from_utf8(text.to_vec()).map_err(|_| ProtocolError::NotUtf8 {
            tag: char::from(self.tag),
            what,
        })
    }

    /// The SQL text of a message, from the front of `body`.
    fn sql(&self, body: &mut Bytes) -> Result<Sql, ProtocolError> {
        let text = cbytes(body).ok_or_else(|| self.malformed("a query without its end"))?;
        Ok(match String::from_utf8(text.to_vec()) {
            Ok(text) => Sql::Text(text),
            Err(_) => Sql::NotUtf8(String::from_utf8_lossy(&text).into_owned()),
        })
    }
}

fn put_cstring(out: &mut BytesMut, text: &str) {
    // A NUL inside would end the string early on the other side.
    out.put_slice(text.replace('\0', "").as_bytes());
    out.put_u8(0);
}

// ----- what the client sends ------------------------------------------------------

/// `Q`: the text of a simple query.
pub fn query_text(frame: &Frame) -> Result<Sql, ProtocolError> {
    frame.sql(&mut frame.reader())
}

/// `P`: a statement to prepare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parse {
    pub statement: String,
    pub query: Sql,
    /// How many parameter types the client declared.
    pub declared_types: usize,
}

pub fn parse_message(frame: &Frame) -> Result<Parse, ProtocolError> {
    let mut body = frame.reader();
    let statement = frame.client_string(&mut body, "statement name")?;
    let query = frame.sql(&mut body)?;
    if body.remaining() < 2 {
        return Err(frame.malformed("no parameter type count"));
    }
    let declared_types = usize::try_from(body.get_i16())
        .map_err(|_| frame.malformed("a negative parameter type count"))?;
    Ok(Parse {
        statement,
        query,
        declared_types,
    })
}

/// `B`: the portal and the prepared statement it binds.
pub fn bind_names(frame: &Frame) -> Result<(String, String), ProtocolError> {
    let mut body = frame.reader();
    let portal = frame.client_string(&mut body, "portal name")?;
    let statement = frame.client_string(&mut body, "statement name")?;
    Ok((portal, statement))
}

/// `E`: the portal to run.
pub fn execute_portal(frame: &Frame) -> Result<String, ProtocolError> {
    frame.client_string(&mut frame.reader(), "portal name")
}

/// `C` from the client: what to close, `S` (statement) or `P` (portal), and its name.
pub fn close_target(frame: &Frame) -> Result<(u8, String), ProtocolError> {
    let mut body = frame.reader();
    if body.is_empty() {
        return Err(frame.malformed("nothing to close"));
    }
    let kind = body.get_u8();
    let name = frame.client_string(&mut body, "name")?;
    Ok((kind, name))
}

/// `p`: a password.
pub fn password(frame: &Frame) -> Result<String, ProtocolError> {
    frame.client_string(&mut frame.reader(), "password")
}

// ----- what the server sends ------------------------------------------------------

/// `R`: what the server asks to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    Ok,
    Cleartext,
    Md5 { salt: [u8; 4] },
    Sasl { mechanisms: Vec<String> },
    SaslContinue(Vec<u8>),
    SaslFinal(Vec<u8>),
    Other(i32),
}

pub fn authentication(frame: &Frame) -> Result<Authentication, ProtocolError> {
    let mut body = frame.reader();
    if body.len() < 4 {
        return Err(frame.malformed("no authentication code"));
    }
    Ok(match body.get_i32() {
        0 => Authentication::Ok,
        3 => Authentication::Cleartext,
        5 => {
            let salt = body
                .get(..4)
                .and_then(|s| <[u8; 4]>::try_from(s).ok())
                .ok_or_else(|| frame.malformed("no MD5 salt"))?;
            Authentication::Md5 { salt }
        }
        10 => {
            let mut mechanisms = Vec::new();
            while let Some(m) = cstring(&mut body) {
                if m.is_empty() {
                    break;
                }
                mechanisms.push(m);
            }
            Authentication::Sasl { mechanisms }
        }
        11 => Authentication::SaslContinue(body.to_vec()),
        12 => Authentication::SaslFinal(body.to_vec()),
        other => Authentication::Other(other),
    })
}

/// `K`: the process id and secret key that cancel requests name.
pub fn backend_key(frame: &Frame) -> Result<(i32, Vec<u8>), ProtocolError> {
    let mut body = frame.reader();
    if body.len() < 8 {
        return Err(frame.malformed("no process id and key"));
    }
    let pid = body.get_i32();
    Ok((pid, body.to_vec()))
}

/// `S` from the server: a setting's name and its value, reported at start-up and
/// whenever it changes.
pub fn parameter(frame: &Frame) -> Result<(String, String), ProtocolError> {
    let mut body = frame.reader();
    let name = cstring(&mut body).ok_or_else(|| frame.malformed("no setting name"))?;
    let value = cstring(&mut body).ok_or_else(|| frame.malformed("no setting value"))?;
    Ok((name, value))
}

/// `Z`: the transaction status, `I` (idle), `T` (in a transaction) or `E` (failed).
pub fn ready_status(frame: &Frame) -> Result<u8, ProtocolError> {
    frame
        .body
        .first()
        .copied()
        .ok_or_else(|| frame.malformed("no transaction status"))
}

/// `C` from the server: the command tag, e.g. `DELETE 1206`.
pub fn command_tag(frame: &Frame) -> Result<String, ProtocolError> {
    cstring(&mut frame.reader()).ok_or_else(|| frame.malformed("a tag without its end"))
}

/// The fields of an `E` (error) or `N` (notice) message: `S` severity, `C` SQLSTATE, `M`
/// message, `D` detail, `H` hint…
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<(u8, String)>);

impl Fields {
    pub fn get(&self, code: u8) -> Option<&str> {
        self.0
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.as_str())
    }

    /// An error or notice as holdpoint writes it.
    pub fn new(severity: &str, sqlstate: &str, message: &str) -> Self {
        Fields(vec![
            (b'S', severity.to_owned()),
            (b'V', severity.to_owned()),
            (b'C', sqlstate.to_owned()),
            (b'M', message.to_owned()),
        ])
    }

    pub fn with(mut self, code: u8, value: &str) -> Self {
        self.0.push((code, value.to_owned()));
        self
    }

    pub fn frame(&self, tag: u8) -> Frame {
        let mut out = BytesMut::new();
        for (code, value) in &self.0 {
            out.put_u8(*code);
            put_cstring(&mut out, value);
        }
        out.put_u8(0);
        Frame::new(tag, out.freeze())
    }
}

pub fn fields(frame: &Frame) -> Result<Fields, ProtocolError> {
    let mut body = frame.reader();
    let mut out = Vec::new();
    while body.has_remaining() {
        let code = body.get_u8();
        if code == 0 {
            return Ok(Fields(out));
        }
        let value = cstring(&mut body).ok_or_else(|| frame.malformed("a field without its end"))?;
        out.push((code, value));
    }
    Err(frame.malformed("fields without their end"))
}

// ----- what the proxy writes ------------------------------------------------------

pub fn ready_for_query(status: u8) -> Frame {
    Frame::new(b'Z', vec![status])
}

pub fn authentication_ok() -> Frame {
    Frame::new(b'R', 0i32.to_be_bytes().to_vec())
}

pub fn authentication_cleartext() -> Frame {
    Frame::new(b'R', 3i32.to_be_bytes().to_vec())
}

pub fn backend_key_data(pid: i32, key: &[u8]) -> Frame {
    let mut out = BytesMut::new();
    out.put_i32(pid);
    out.put_slice(key);
    Frame::new(b'K', out.freeze())
}

pub fn parameter_status(name: &str, value: &str) -> Frame {
    let mut out = BytesMut::new();
    put_cstring(&mut out, name);
    put_cstring(&mut out, value);
    Frame::new(b'S', out.freeze())
}

/// A startup message with these parameters (protocol 3.0).
pub fn startup_message(params: &[(&str, &str)]) -> BytesMut {
    let mut body = BytesMut::new();
    body.put_u32(PROTOCOL_3_0);
    for (key, value) in params {
        put_cstring(&mut body, key);
        put_cstring(&mut body, value);
    }
    body.put_u8(0);
    let mut out = BytesMut::new();
    out.put_u32(u32::try_from(body.len() + 4).unwrap_or(u32::MAX));
    out.put_slice(&body);
    out
}

/// A cancel request for a server's process.
pub fn cancel_request(pid: i32, key: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    out.put_u32(u32::try_from(12 + key.len()).unwrap_or(u32::MAX));
    out.put_u32(CANCEL_REQUEST);
    out.put_i32(pid);
    out.put_slice(key);
    out
}

pub fn password_message(password: &str) -> Frame {
    let mut out = BytesMut::new();
    put_cstring(&mut out, password);
    Frame::new(b'p', out.freeze())
}

/// The first SASL message: the mechanism and the client's first message.
pub fn sasl_initial_response(mechanism: &str, data: &[u8]) -> Frame {
    let mut out = BytesMut::new();
    put_cstring(&mut out, mechanism);
    out.put_i32(i32::try_from(data.len()).unwrap_or(i32::MAX));
    out.put_slice(data);
    Frame::new(b'p', out.freeze())
}

pub fn sasl_response(data: &[u8]) -> Frame {
    Frame::new(b'p', data.to_vec())
}

pub fn query_message(text: &str) -> Frame {
    let mut out = BytesMut::new();
    put_cstring(&mut out, text);
    Frame::new(b'Q', out.freeze())
}

/// `P` with no parameter types.
pub fn parse_frame_for(statement: &str, query: &str) -> Frame {
    let mut out = BytesMut::new();
    put_cstring(&mut out, statement);
    put_cstring(&mut out, query);
    out.put_i16(0);
    Frame::new(b'P', out.freeze())
}

/// `C` from the server: a command tag.
pub fn command_complete(tag: &str) -> Frame {
    let mut out = BytesMut::new();
    put_cstring(&mut out, tag);
    Frame::new(b'C', out.freeze())
}

pub fn terminate() -> Frame {
    Frame::new(b'X', Bytes::new())
}
