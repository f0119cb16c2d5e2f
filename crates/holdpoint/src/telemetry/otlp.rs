//! Ledger records as OpenTelemetry data (OTLP's protobuf messages), kept pure: the
//! records in, the two requests out.
//!
//! - Every record is one log record: its exact stored text as the body (whose SHA-256
//!   is the record's hash, so a collector's copy stays checkable), `holdpoint.<kind>` as
//!   the event name, and attributes for what it says, under OpenTelemetry's semantic
//!   conventions where they have a name (`session.id`, `gen_ai.agent.name`,
//!   `user.name`, `deployment.environment.name`, `db.query.text`,
//!   `process.exit.code`), else under `holdpoint.`.
//! - Every agent session is a trace, its id derived from the session id, so that every
//!   process that sends a session's records gives it the same trace; records without a
//!   session each have a trace of their own. The agent's own telemetry names the same
//!   session under `session.id` (Claude Code's does), which links the two.
//! - Every decided action is one span of its session's trace, from its proposal to its
//!   decision (to what it did, for a read that ran in one `ran` record), with the
//!   decision, the risk and the reasons; a refusal is an error span. The records about
//!   that action (proposed, decided, held, approved, executed) carry its span's id.

use std::collections::HashMap;

use holdpoint_ledger::{Kind, Record, StoredRecord};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span::SpanKind, status::StatusCode,
};
use opentelemetry_semantic_conventions::attribute as semconv;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The agent's name, as OpenTelemetry's GenAI conventions name it.
const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
/// The agent's own id of the prompt a record belongs to, under the name Claude Code's
/// telemetry gives it, so that a collector joins the two.
const PROMPT_ID: &str = "prompt.id";

/// The actions whose spans are open (proposed, not yet decided) or recent (decided,
/// their outcome still to come), by digest: what links a record about an action to its
/// span. Bounded; a record whose action was forgotten keeps its session's trace only.
#[derive(Default)]
pub(crate) struct Spans {
    by_digest: HashMap<String, Open>,
    /// Each session's current prompt, by the agent's own id for it: from its turn's
    /// `instructed` record to the next.
    prompts: HashMap<String, String>,
}

/// The most actions [`Spans`] remembers.
const REMEMBERED: usize = 4096;

#[derive(Clone)]
struct Open {
    trace: [u8; 16],
    span: [u8; 8],
    start_ms: i64,
    /// What the proposal said, for the span's name and attributes.
    surface: String,
    target: String,
}

/// What is sent for a run of records.
pub(crate) struct Batch {
    pub logs: ExportLogsServiceRequest,
    pub spans: ExportTraceServiceRequest,
    /// Log records in the batch (one per ledger record).
    pub records: usize,
}

/// Who sends: the resource every log record and span is of.
pub(crate) fn resource(host: &str) -> Resource {
    Resource {
        attributes: vec![
            text(semconv::SERVICE_NAME, "holdpoint"),
            text(semconv::SERVICE_VERSION, env!("CARGO_PKG_VERSION")),
            text(semconv::HOST_NAME, host),
        ],
        ..Resource::default()
    }
}

/// The log records and spans for `records`, in order. `spans` carries what links an
/// action's records from one batch to the next.
pub(crate) fn encode(records: &[StoredRecord], spans: &mut Spans, resource: &Resource) -> Batch {
    let mut logs = Vec::with_capacity(records.len());
    let mut finished = Vec::new();
    for stored in records {
        let (log, span) = record(stored, spans);
        logs.push(log);
        finished.extend(span);
    }
    let scope = InstrumentationScope {
        name: "holdpoint".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        ..InstrumentationScope::default()
    };
    let schema_url = opentelemetry_semantic_conventions::SCHEMA_URL.to_owned();
    Batch {
        records: logs.len(),
        logs: ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(resource.clone()),
                scope_logs: vec![ScopeLogs {
                    scope: Some(scope.clone()),
                    log_records: logs,
                    schema_url: schema_url.clone(),
                }],
                schema_url: schema_url.clone(),
            }],
        },
        spans: ExportTraceServiceRequest {
            resource_spans: if finished.is_empty() {
                Vec::new()
            } else {
                vec![ResourceSpans {
                    resource: Some(resource.clone()),
                    scope_spans: vec![ScopeSpans {
                        scope: Some(scope),
                        spans: finished,
                        schema_url: schema_url.clone(),
                    }],
                    schema_url,
                }]
            },
        },
    }
}

/// One record's log record, and the span it finishes, if any.
fn record(stored: &StoredRecord, spans: &mut Spans) -> (LogRecord, Option<Span>) {
    let mut attributes = vec![
        int("holdpoint.record.seq", stored.seq),
        text("holdpoint.record.kind", &stored.kind),
        text("holdpoint.record.hash", &stored.hash.hex()),
    ];
    let mut severity = SeverityNumber::Info;
    let mut finished = None;
    let mut link = None;
    // A record this holdpoint cannot read (a newer kind) is still sent: its text, its
    // number and its kind.
    if let Ok(record) = stored.record() {
        let actors = &record.actors;
        for (key, value) in [
            (semconv::SESSION_ID, &actors.session),
            (GEN_AI_AGENT_NAME, &actors.agent),
            (semconv::USER_NAME, &actors.human),
            ("holdpoint.grant.id", &actors.grant),
            ("holdpoint.os_user", &actors.os_user),
            ("holdpoint.action.digest", &record.digest),
            ("holdpoint.approval.id", &record.approval),
        ] {
            if let Some(value) = value {
                attributes.push(text(key, value));
            }
        }
        for (kind, body) in record.parts() {
            describe(kind, body, &mut attributes, &mut severity);
        }
        (link, finished) = follow(&record, spans);
        if let Some(session) = &actors.session {
            if record.kind == Kind::Instructed {
                if spans.prompts.len() >= REMEMBERED {
                    spans.prompts.clear();
                }
                match record.body.get("prompt_id").and_then(Value::as_str) {
                    Some(id) => spans.prompts.insert(session.clone(), id.to_owned()),
                    None => spans.prompts.remove(session),
                };
            }
            if let Some(id) = spans.prompts.get(session) {
                attributes.push(text(PROMPT_ID, id));
                if let Some(span) = &mut finished {
                    span.attributes.push(text(PROMPT_ID, id));
                }
            }
        }
    }
    let trace = link.as_ref().map(|(trace, _)| trace.to_vec()).or_else(|| {
        stored
            .session
            .as_deref()
            .map(|session| session_trace(session).to_vec())
    });
    let at = nanos(stored.at_ms);
    let log = LogRecord {
        time_unix_nano: at,
        observed_time_unix_nano: at,
        severity_number: severity as i32,
        severity_text: severity_text(severity).to_owned(),
        event_name: format!("holdpoint.{}", stored.kind),
        body: Some(string(&stored.text)),
        attributes,
        trace_id: trace.unwrap_or_default(),
        span_id: link.map(|(_, span)| span.to_vec()).unwrap_or_default(),
        ..LogRecord::default()
    };
    (log, finished)
}

/// The attributes of one part of a record (a `ran` record has three).
fn describe(
    kind: Kind,
    body: &Value,
    attributes: &mut Vec<KeyValue>,
    severity: &mut SeverityNumber,
) {
    let field = |key: &str| body.get(key).and_then(Value::as_str);
    match kind {
        Kind::Proposed => {
            for (name, key) in [
                ("holdpoint.surface", "surface"),
                ("holdpoint.target", "target"),
                (semconv::DEPLOYMENT_ENVIRONMENT_NAME, "environment"),
                ("holdpoint.input", "input"),
            ] {
                if let Some(value) = field(key) {
                    attributes.push(text(name, value));
                }
            }
            if field("surface") == Some("sql")
                && let Some(input) = field("input")
            {
                attributes.push(text(semconv::DB_QUERY_TEXT, input));
            }
        }
        Kind::Decided => {
            if let Some(outcome) = field("outcome") {
                attributes.push(text("holdpoint.decision", outcome));
                if outcome == "deny" {
                    *severity = SeverityNumber::Warn;
                }
            }
            if let Some(risk) = field("risk") {
                attributes.push(text("holdpoint.risk", risk));
            }
            let reasons = strings(body.get("reasons"));
            if !reasons.is_empty() {
                attributes.push(list("holdpoint.reasons", &reasons));
            }
        }
        Kind::Executed => {
            if let Some(outcome) = field("outcome") {
                attributes.push(text("holdpoint.outcome", outcome));
                if outcome == "failed" {
                    *severity = SeverityNumber::Warn;
                }
            }
            if let Some(status) = body.get("exit_status").and_then(Value::as_i64) {
                attributes.push(signed(semconv::PROCESS_EXIT_CODE, status));
            }
            if let Some(ms) = body.get("duration_ms").and_then(Value::as_u64) {
                attributes.push(int("holdpoint.duration_ms", ms));
            }
        }
        Kind::ApprovalRefused | Kind::ApprovalExpired => *severity = SeverityNumber::Warn,
        _ => {}
    }
}

/// The trace and span a record about an action belongs to.
type Link = ([u8; 16], [u8; 8]);

/// Follows an action through its records: a proposal opens its span, the decision
/// finishes it, and any record about the action links to it. The link (trace and span
/// ids) for this record, and the span it finishes.
fn follow(record: &Record, spans: &mut Spans) -> (Option<Link>, Option<Span>) {
    let Some(digest) = record.digest.as_deref() else {
        return (None, None);
    };
    let session = record.actors.session.as_deref();
    let mut finished = None;
    for (kind, body) in record.parts() {
        match kind {
            Kind::Proposed => {
                if spans.by_digest.len() >= REMEMBERED {
                    spans.by_digest.clear();
                }
                let start_ms = match (record.kind, body_duration(&record.body)) {
                    // A read that ran is recorded once, after it ran.
                    (Kind::Ran, Some(ms)) => record.at_ms.saturating_sub(ms),
                    _ => record.at_ms,
                };
                let open = Open {
                    trace: session.map_or_else(|| action_trace(record.seq), session_trace),
                    span: span_id(record.seq),
                    start_ms,
                    surface: body
                        .get("surface")
                        .and_then(Value::as_str)
                        .unwrap_or("action")
                        .to_owned(),
                    target: body
                        .get("target")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                };
                spans.by_digest.insert(digest.to_owned(), open);
            }
            Kind::Decided => {
                let open = spans.by_digest.get(digest).cloned().unwrap_or_else(|| {
                    // Its proposal came before this sender began: the span is the
                    // decision alone.
                    Open {
                        trace: session.map_or_else(|| action_trace(record.seq), session_trace),
                        span: span_id(record.seq),
                        start_ms: record.at_ms,
                        surface: "action".to_owned(),
                        target: String::new(),
                    }
                });
                spans.by_digest.insert(digest.to_owned(), open.clone());
                finished = Some(span(record, body, &open));
            }
            _ => {}
        }
    }
    let link = spans
        .by_digest
        .get(digest)
        .map(|open| (open.trace, open.span));
    (link, finished)
}

/// The span of a decided action.
fn span(record: &Record, decided: &Value, open: &Open) -> Span {
    let outcome = decided.get("outcome").and_then(Value::as_str).unwrap_or("");
    let mut attributes = vec![
        text("holdpoint.surface", &open.surface),
        text("holdpoint.decision", outcome),
        int("holdpoint.record.seq", record.seq),
    ];
    if !open.target.is_empty() {
        attributes.push(text("holdpoint.target", &open.target));
    }
    if let Some(risk) = decided.get("risk").and_then(Value::as_str) {
        attributes.push(text("holdpoint.risk", risk));
    }
    let reasons = strings(decided.get("reasons"));
    if !reasons.is_empty() {
        attributes.push(list("holdpoint.reasons", &reasons));
    }
    for (key, value) in [
        (semconv::SESSION_ID, &record.actors.session),
        (GEN_AI_AGENT_NAME, &record.actors.agent),
        ("holdpoint.action.digest", &record.digest),
    ] {
        if let Some(value) = value {
            attributes.push(text(key, value));
        }
    }
    let status = if outcome == "deny" {
        Status {
            code: StatusCode::Error as i32,
            message: format!("refused: {}", reasons.join("; ")),
        }
    } else {
        Status::default()
    };
    Span {
        trace_id: open.trace.to_vec(),
        span_id: open.span.to_vec(),
        name: format!("holdpoint {}", open.surface),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: nanos(open.start_ms),
        end_time_unix_nano: nanos(record.at_ms.max(open.start_ms)),
        attributes,
        status: Some(status),
        ..Span::default()
    }
}

/// How long a `ran` record's read took, when it says.
fn body_duration(body: &Value) -> Option<i64> {
    body.get("executed")?.get("duration_ms")?.as_i64()
}

/// The trace of an agent session: the same for every process that sends it.
pub(crate) fn session_trace(session: &str) -> [u8; 16] {
    first(&Sha256::digest(format!("holdpoint session\0{session}")))
}

/// The trace of an action outside any session.
fn action_trace(seq: u64) -> [u8; 16] {
    first(&Sha256::digest(format!("holdpoint action\0{seq}")))
}

/// The span of the action proposed (or decided, or run) in record `seq`.
pub(crate) fn span_id(seq: u64) -> [u8; 8] {
    first(&Sha256::digest(format!("holdpoint span\0{seq}")))
}

/// The first `N` bytes of a SHA-256 digest.
fn first<const N: usize>(digest: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = *d;
    }
    out
}

fn nanos(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

fn severity_text(severity: SeverityNumber) -> &'static str {
    match severity {
        SeverityNumber::Warn => "WARN",
        _ => "INFO",
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn string(value: &str) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(value.to_owned())),
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(string(value)),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: u64) -> KeyValue {
    signed(key, i64::try_from(value).unwrap_or(i64::MAX))
}

fn signed(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..KeyValue::default()
    }
}

fn list(key: &str, values: &[String]) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: values.iter().map(|v| string(v)).collect(),
            })),
        }),
        ..KeyValue::default()
    }
}

#[cfg(test)]
mod tests {
    use holdpoint_ledger::Hash;

    use super::*;

    fn stored(seq: u64, text: &str, kind: &str) -> StoredRecord {
        StoredRecord {
            seq,
            hash: Hash::leaf(text.as_bytes()),
            text: text.to_owned(),
            at_ms: 1_700_000_000_000,
            kind: kind.to_owned(),
            session: Some("s-1".to_owned()),
            digest: None,
        }
    }

    fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
        attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
    }

    #[test]
    fn a_record_this_holdpoint_cannot_read_is_still_sent_with_its_text_number_and_kind() {
        let text = r#"{"v":9,"seq":4,"kind":"teleported","body":{}}"#;
        let batch = encode(
            &[stored(4, text, "teleported")],
            &mut Spans::default(),
            &resource("host"),
        );
        let logs = &batch.logs.resource_logs;
        let log = logs
            .first()
            .and_then(|r| r.scope_logs.first())
            .and_then(|s| s.log_records.first());
        let Some(log) = log else {
            panic!("no log record: {logs:?}");
        };
        assert_eq!(log.event_name, "holdpoint.teleported");
        assert_eq!(
            log.body.as_ref().and_then(|b| b.value.clone()),
            Some(any_value::Value::StringValue(text.to_owned()))
        );
        assert_eq!(
            attribute(&log.attributes, "holdpoint.record.seq"),
            Some(&any_value::Value::IntValue(4))
        );
        // Its session still places it in the session's trace.
        assert_eq!(log.trace_id, session_trace("s-1").to_vec());
        assert!(batch.spans.resource_spans.is_empty());
    }
}
