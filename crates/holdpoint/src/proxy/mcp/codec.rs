//! MCP's stdio transport as bytes: newline-delimited JSON-RPC 2.0, one message per line.
//!
//! Pure: [`Lines`] cuts a byte stream into lines without ever holding more than the
//! limit of one, and [`parse`] reads one line as a [`Message`]; [`encode`] writes one.
//! Batches (JSON arrays) are not part of the current MCP revisions and are refused.

use serde_json::Value;

/// The largest message either side may send: 16 MiB, far more than any tool result an
/// agent can use, and little enough to hold.
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// A JSON-RPC request id: MCP allows a string or an integer (never null). A number is
/// kept as the text it was sent as, so that it goes back exactly as it came.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Id {
    Number(String),
    Text(String),
}

impl Id {
    /// An id as JSON carries it: a string or an integer, nothing else.
    pub fn from_value(value: &Value) -> Option<Id> {
        match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(Id::Number(n.to_string())),
            Value::String(s) => Some(Id::Text(s.clone())),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Id::Number(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Id::Text(text) => Value::String(text.clone()),
        }
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Id::Number(n.to_string())
    }
}

/// One JSON-RPC message. Members other than `jsonrpc`, `id`, `method`, `params`,
/// `result` and `error` are dropped: what is forwarded is exactly what was read.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    Request {
        id: Id,
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// A response; `id` is `None` only for an error answering a message that had no
    /// readable id.
    Response { id: Option<Id>, reply: Reply },
}

/// What a response carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Result(Value),
    /// The error object (`code`, `message`, optional `data`).
    Error(Value),
}

impl Message {
    /// An error response.
    pub fn error(id: Option<Id>, code: i64, message: &str) -> Message {
        Message::Response {
            id,
            reply: Reply::Error(serde_json::json!({"code": code, "message": message})),
        }
    }
}

/// JSON-RPC's error codes.
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
}

/// Why a line is not a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("a message longer than {MAX_MESSAGE} bytes")]
    TooLong,
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("a batch (JSON array), which MCP does not use")]
    Batch,
    /// JSON, but not a JSON-RPC 2.0 message; the id, when one could be read, so that the
    /// sender can be answered.
    #[error("not a JSON-RPC 2.0 message: {why}")]
    NotJsonRpc { id: Option<Id>, why: String },
}

impl CodecError {
    /// The JSON-RPC error that answers it.
    pub fn answer(&self) -> Message {
        match self {
            CodecError::NotJson(_) => Message::error(None, code::PARSE_ERROR, &self.to_string()),
            CodecError::NotJsonRpc { id, .. } => {
                Message::error(id.clone(), code::INVALID_REQUEST, &self.to_string())
            }
            CodecError::TooLong | CodecError::Batch => {
                Message::error(None, code::INVALID_REQUEST, &self.to_string())
            }
        }
    }
}

/// A line cut from the stream: its bytes, or the fact that it was too long (its bytes
/// were dropped as they came).
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(Vec<u8>),
    TooLong,
}

/// Cuts a byte stream into lines, holding at most [`MAX_MESSAGE`] bytes of one.
#[derive(Debug)]
pub struct Lines {
    limit: usize,
    buf: Vec<u8>,
    /// Inside a line already past the limit: drop bytes until its end.
    skipping: bool,
    /// Whether blank lines are given too (they end an event in a server-sent event
    /// stream); in JSON lines they are dropped.
    blank: bool,
    ready: std::collections::VecDeque<Line>,
}

impl Default for Lines {
    fn default() -> Self {
        Lines::with_limit(MAX_MESSAGE)
    }
}

impl Lines {
    pub fn with_limit(limit: usize) -> Self {
        Lines {
            limit,
            buf: Vec::new(),
            skipping: false,
            blank: false,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// Lines of a server-sent event stream: blank lines are given, as empty lines.
    pub fn keeping_blank_lines() -> Self {
        Lines {
            blank: true,
            ..Lines::default()
        }
    }

    /// Takes bytes read from the stream.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let end = bytes.iter().position(|b| *b == b'\n');
            let (part, rest) = match end {
                Some(i) => (bytes.get(..i).unwrap_or_default(), bytes.get(i + 1..)),
                None => (bytes, None),
            };
            if !self.skipping {
                if self.buf.len() + part.len() > self.limit {
                    self.buf = Vec::new();
                    self.skipping = true;
                } else {
                    self.buf.extend_from_slice(part);
                }
            }
            match rest {
                Some(rest) => {
                    if self.skipping {
                        self.ready.push_back(Line::TooLong);
                    } else {
                        let mut line = std::mem::take(&mut self.buf);
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        // Blank lines separate nothing and answer nothing, except
                        // in an event stream.
                        if self.blank || line.iter().any(|b| !b.is_ascii_whitespace()) {
                            self.ready.push_back(Line::Text(line));
                        }
                    }
                    self.skipping = false;
                    bytes = rest;
                }
                None => bytes = &[],
            }
        }
    }

    /// The next complete line, if any.
    pub fn next_line(&mut self) -> Option<Line> {
        self.ready.pop_front()
    }

    /// Whether part of a line is held (the stream ended inside a message).
    pub fn partial(&self) -> bool {
        self.skipping || !self.buf.is_empty()
    }
}

/// Reads one line as a message.
pub fn parse(line: &[u8]) -> Result<Message, CodecError> {
    if line.len() > MAX_MESSAGE {
        return Err(CodecError::TooLong);
    }
    let value: Value =
        serde_json::from_slice(line).map_err(|e| CodecError::NotJson(e.to_string()))?;
    let Value::Object(mut object) = value else {
        return Err(if value.is_array() {
            CodecError::Batch
        } else {
            CodecError::NotJsonRpc {
                id: None,
                why: "not an object".to_owned(),
            }
        });
    };
    let raw_id = object.remove("id");
    let id = raw_id.as_ref().and_then(Id::from_value);
    let bad = |why: &str| CodecError::NotJsonRpc {
        id: id.clone(),
        why: why.to_owned(),
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(bad("`jsonrpc` is not \"2.0\""));
    }
    if raw_id.is_some() && id.is_none() && !object.contains_key("error") {
        return Err(bad("the id is neither a string nor an integer"));
    }
    let params = match object.remove("params") {
        None => None,
        Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
        Some(_) => return Err(bad("`params` is neither an object nor an array")),
    };
    match (object.remove("method"), raw_id) {
        (Some(Value::String(method)), None) => Ok(Message::Notification { method, params }),
        (Some(Value::String(method)), Some(_)) => match id {
            Some(id) => Ok(Message::Request { id, method, params }),
            None => Err(bad("the id is neither a string nor an integer")),
        },
        (Some(_), _) => Err(bad("`method` is not a string")),
        (None, raw_id) => {
            if params.is_some() {
                return Err(bad("a response with `params`"));
            }
            let reply = match (object.remove("result"), object.remove("error")) {
                (Some(result), None) => Reply::Result(result),
                (None, Some(error)) => {
                    if !error_object(&error) {
                        return Err(bad("`error` has no integer `code` and string `message`"));
                    }
                    Reply::Error(error)
                }
                (Some(_), Some(_)) => return Err(bad("a response with both `result` and `error`")),
                (None, None) => return Err(bad("neither a request nor a response")),
            };
            match (raw_id, &reply) {
                (Some(_), _) if id.is_some() => Ok(Message::Response { id, reply }),
                (Some(Value::Null), Reply::Error(_)) => Ok(Message::Response { id: None, reply }),
                _ => Err(bad("a response without a string or integer id")),
            }
        }
    }
}

fn error_object(error: &Value) -> bool {
    error.get("code").is_some_and(|c| c.is_i64())
        && error.get("message").is_some_and(Value::is_string)
}

/// One message as a line, newline included. JSON text written compactly holds no
/// newline: strings escape theirs.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(message, &mut out);
    out
}

/// [`encode`], appended to `out`.
pub fn encode_into(message: &Message, out: &mut Vec<u8>) {
    let wire = match message {
        Message::Request { id, method, params } => Wire {
            id: Some(id.to_value()),
            method: Some(method),
            params: params.as_ref(),
            ..Wire::default()
        },
        Message::Notification { method, params } => Wire {
            method: Some(method),
            params: params.as_ref(),
            ..Wire::default()
        },
        Message::Response { id, reply } => Wire {
            id: Some(id.as_ref().map_or(Value::Null, Id::to_value)),
            result: match reply {
                Reply::Result(result) => Some(result),
                Reply::Error(_) => None,
            },
            error: match reply {
                Reply::Error(error) => Some(error),
                Reply::Result(_) => None,
            },
            ..Wire::default()
        },
    };
    // Writing JSON to memory fails only for a map with keys that are not strings,
    // which a `Value` cannot hold.
    if serde_json::to_writer(&mut *out, &wire).is_ok() {
        out.push(b'\n');
    }
}

/// A message as it is written, borrowing what it carries.
#[derive(Default, serde::Serialize)]
struct Wire<'a> {
    jsonrpc: Version,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a Value>,
}

/// `"2.0"`, the only version of JSON-RPC.
#[derive(Default)]
struct Version;

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("2.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(chunks: &[&[u8]], limit: usize) -> Vec<Line> {
        let mut lines = Lines::with_limit(limit);
        for chunk in chunks {
            lines.push(chunk);
        }
        std::iter::from_fn(|| lines.next_line()).collect()
    }

    #[test]
    fn lines_are_cut_at_newlines_whatever_the_chunks() {
        let text = b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\"";
        for split in 0..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(
                lines(&[a, b], 100),
                vec![
                    Line::Text(b"{\"a\":1}".to_vec()),
                    Line::Text(b"{\"b\":2}".to_vec())
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn an_oversized_line_is_dropped_as_it_comes_and_the_next_one_is_read() {
        let long = vec![b'x'; 50];
        assert_eq!(
            lines(&[&long, &long, b"\n{}\n"], 60),
            vec![Line::TooLong, Line::Text(b"{}".to_vec())]
        );
        let mut held = Lines::with_limit(60);
        held.push(&long);
        held.push(&long);
        assert!(held.buf.len() <= 60 && held.partial());
    }

    fn check(line: &str, expected: Result<Message, CodecError>) {
        assert_eq!(parse(line.as_bytes()), expected, "{line}");
    }

    #[test]
    fn messages_are_read_by_their_members() {
        check(
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#,
            Ok(Message::Request {
                id: Id::Number("7".into()),
                method: "tools/list".into(),
                params: None,
            }),
        );
        check(
            r#"{"jsonrpc":"2.0","id":"a","method":"x","params":{"k":1}}"#,
            Ok(Message::Request {
                id: Id::Text("a".into()),
                method: "x".into(),
                params: Some(json!({"k":1})),
            }),
        );
        check(
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            Ok(Message::Notification {
                method: "notifications/initialized".into(),
                params: None,
            }),
        );
        check(
            r#"{"jsonrpc":"2.0","id":0,"result":{}}"#,
            Ok(Message::Response {
                id: Some(Id::Number("0".into())),
                reply: Reply::Result(json!({})),
            }),
        );
        check(
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#,
            Ok(Message::Response {
                id: None,
                reply: Reply::Error(json!({"code":-32700,"message":"x"})),
            }),
        );
    }

    #[test]
    fn what_is_not_a_message_is_refused_with_its_id_when_it_has_one() {
        let not = |id: Option<Id>, why: &str| {
            Err(CodecError::NotJsonRpc {
                id,
                why: why.into(),
            })
        };
        check("[]", Err(CodecError::Batch));
        check(
            r#"[{"jsonrpc":"2.0","id":1,"method":"a"}]"#,
            Err(CodecError::Batch),
        );
        assert!(matches!(parse(b"{nope"), Err(CodecError::NotJson(_))));
        check(r#""text""#, not(None, "not an object"));
        check(
            r#"{"id":3,"method":"a"}"#,
            not(Some(Id::Number("3".into())), "`jsonrpc` is not \"2.0\""),
        );
        check(
            r#"{"jsonrpc":"2.0","id":1.5,"method":"a"}"#,
            not(None, "the id is neither a string nor an integer"),
        );
        check(
            r#"{"jsonrpc":"2.0","id":null,"method":"a"}"#,
            not(None, "the id is neither a string nor an integer"),
        );
        check(
            r#"{"jsonrpc":"2.0","id":2,"method":"a","params":3}"#,
            not(
                Some(Id::Number("2".into())),
                "`params` is neither an object nor an array",
            ),
        );
        check(
            r#"{"jsonrpc":"2.0","id":2,"result":1,"error":{"code":1,"message":"m"}}"#,
            not(
                Some(Id::Number("2".into())),
                "a response with both `result` and `error`",
            ),
        );
        check(
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":"x"}}"#,
            not(
                Some(Id::Number("2".into())),
                "`error` has no integer `code` and string `message`",
            ),
        );
        check(
            r#"{"jsonrpc":"2.0","id":null,"result":1}"#,
            not(None, "the id is neither a string nor an integer"),
        );
        check(
            r#"{"jsonrpc":"2.0","result":1}"#,
            not(None, "a response without a string or integer id"),
        );
    }

    #[test]
    fn encoding_reads_back_as_the_same_message_on_one_line() {
        let messages = [
            Message::Request {
                id: Id::Number("18446744073709551615".into()),
                method: "tools/call".into(),
                params: Some(json!({"name":"a\nb","arguments":{"x":"\u{2028}"}})),
            },
            Message::Notification {
                method: "notifications/cancelled".into(),
                params: Some(json!({"requestId":"r"})),
            },
            Message::error(Some(Id::Text("e".into())), code::INTERNAL_ERROR, "boom"),
            Message::error(None, code::PARSE_ERROR, "bad"),
        ];
        for message in messages {
            let line = encode(&message);
            assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
            assert_eq!(line.last(), Some(&b'\n'));
            let body = line.get(..line.len() - 1).unwrap();
            assert_eq!(parse(body), Ok(message));
        }
    }

    #[test]
    fn duplicate_members_are_read_once_and_forwarded_as_read() {
        // serde_json keeps the last of duplicate keys; whatever it kept is what is
        // encoded, so the server never sees a member holdpoint did not decide.
        let message =
            parse(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}"#)
                .unwrap();
        let line = String::from_utf8(encode(&message)).unwrap();
        assert_eq!(line.matches("method").count(), 1, "{line}");
    }
}
