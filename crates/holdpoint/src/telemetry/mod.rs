//! The ledger, sent on to the team's OpenTelemetry collector (`[telemetry]` in
//! holdpoint.toml) over OTLP/HTTP: every record as a log record, every decided action as
//! a span of its session's trace (`otlp`).
//!
//! The ledger is the queue. A sender reads records in order from the mark the store
//! keeps for the collector, posts a batch, and moves the mark only once the collector
//! has taken the batch: a collector that is down or slow delays nothing but the export
//! (no decision waits for it, and none is refused because of it), and a record it has
//! not taken is sent again later, never lost. Memory is bounded by one batch.
//!
//! One process sends to a collector at a time: the sender holds a lease in the store,
//! renewed at every round, which any other process with the same store (`serve`, `pg`,
//! `mcp`, `holdpoint telemetry send`) takes over once it lapses. A batch whose answer
//! was lost (the collector took it, then the connection broke) is sent again, so a
//! collector may see a record twice; `holdpoint.record.seq` tells the copies apart.

pub(crate) mod otlp;

use std::io::Read as _;
use std::time::Duration;

use clap::Subcommand;
use holdpoint_store::{SqlStore, Store as _};
use prost::Message as _;

use crate::Failure;
use crate::home::{Home, Setting, now_ms};

/// `[telemetry]`: where the records go.
#[derive(Debug, Clone)]
pub(crate) struct TelemetryConfig {
    /// The collector's OTLP/HTTP base address (`http://collector:4318`): logs go to
    /// `/v1/logs` beneath it, spans to `/v1/traces`.
    pub endpoint: String,
    /// Headers sent with every export (a collector's credentials), as `env:`/`file:`.
    pub headers: Vec<(String, Setting)>,
}

impl TelemetryConfig {
    fn logs_url(&self) -> String {
        format!("{}/v1/logs", self.endpoint)
    }

    fn traces_url(&self) -> String {
        format!("{}/v1/traces", self.endpoint)
    }
}

/// The most records in one export.
const BATCH: usize = 512;
/// How long a sender's lease lasts without being renewed.
const LEASE: Duration = Duration::from_secs(30);
/// How often an idle sender looks for new records.
const POLL: Duration = Duration::from_millis(500);
/// How long a sender waits after a failed export, at first and at most.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(15);
/// How long one export may take, all of it.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Subcommand)]
pub(crate) enum TelemetryCommand {
    /// Where sending the ledger to the collector stands: how many records are sent and
    /// waiting, which process sends, and the last failure.
    Status,
    /// Send the records the collector has not taken yet, then exit; with --follow, keep
    /// sending as records are appended (for a machine where no `holdpoint serve`, `pg`
    /// or `mcp` runs to send them).
    ///
    /// Exit status: 0 when everything was sent (or another holdpoint process is sending
    /// it), 1 when the collector did not take it (nothing is lost: it is sent later).
    Send {
        /// Keep sending new records until interrupted.
        #[arg(short, long)]
        follow: bool,
    },
}

pub(crate) fn run(command: &TelemetryCommand) -> Result<u8, Failure> {
    let home = Home::locate();
    let config = home.load_config()?;
    let Some(telemetry) = config.telemetry else {
        return Err(Failure::usage(format!(
            "no collector is set: add `[telemetry]` with `endpoint = \"http://collector:4318\"` (its OTLP/HTTP address) to `{}`",
            home.config().display()
        )));
    };
    let store = home.open_store()?;
    match command {
        TelemetryCommand::Status => {
            status(&store, &telemetry)?;
            Ok(0)
        }
        TelemetryCommand::Send { follow: true } => {
            let mut sender = Sender::new(store, telemetry, host());
            sender.run_forever();
        }
        TelemetryCommand::Send { follow: false } => send_once(store, telemetry),
    }
}

/// Starts a thread that sends the ledger of the store at `home` to the collector as long
/// as the process runs. Called by every long-running process; they share the work
/// through the lease.
pub(crate) fn start(home: &Home, telemetry: &TelemetryConfig) -> Result<(), Failure> {
    let store = home.open_store()?;
    let sender = Sender::new(store, telemetry.clone(), host());
    std::thread::Builder::new()
        .name("holdpoint-telemetry".to_owned())
        .spawn(move || {
            let mut sender = sender;
            sender.run_forever()
        })
        .map_err(|e| Failure::internal(format!("cannot start the telemetry thread: {e}")))?;
    Ok(())
}

fn status(store: &SqlStore, telemetry: &TelemetryConfig) -> Result<(), Failure> {
    let stored = |e: holdpoint_store::StoreError| Failure::internal(e.to_string());
    let head = store.size().map_err(stored)?;
    let state = store.export_state(&telemetry.endpoint).map_err(stored)?;
    println!("collector  {}", telemetry.endpoint);
    let next = state.as_ref().map_or(0, |s| s.next_seq);
    let sent = next.saturating_sub(1).min(head);
    println!(
        "sent       through record {sent} of {head} ({} waiting)",
        head.saturating_sub(sent)
    );
    let now = now_ms();
    match state
        .as_ref()
        .and_then(|s| s.holder.as_deref().map(|h| (h, s.lease_until_ms)))
    {
        Some((holder, until)) if until > now => println!("sender     {holder}"),
        _ => println!(
            "sender     none: records are sent while `holdpoint serve`, `pg` or `mcp` runs, or by `holdpoint telemetry send`"
        ),
    }
    if let Some(state) = state
        && let (Some(failure), Some(at)) = (state.failure, state.failed_ms)
    {
        println!("failed     {}: {failure}", crate::time::ago(now - at));
    }
    Ok(())
}

/// Sends what is waiting, then gives the lease up, so that the next sender (this
/// command run again, a server starting) need not wait for it to lapse.
fn send_once(store: SqlStore, telemetry: TelemetryConfig) -> Result<u8, Failure> {
    let mut sender = Sender::new(store, telemetry, host());
    let sent = sender.send_waiting();
    let _ = sender
        .store
        .release_export(&sender.telemetry.endpoint, &sender.holder);
    sent
}

/// The name this machine gives itself, for the resource and the lease's holder.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// What one round of sending did.
enum Round {
    /// A batch went out: its records, and the last one's number.
    Sent { records: usize, through: u64 },
    /// The collector has every record.
    Idle,
    /// Another process holds the lease (named).
    Held(String),
}

struct Sender {
    store: SqlStore,
    telemetry: TelemetryConfig,
    /// Who this sender is, in the lease: host, process and a random part.
    holder: String,
    agent: ureq::Agent,
    spans: otlp::Spans,
    resource: opentelemetry_proto::tonic::resource::v1::Resource,
    /// Where this sender's [`otlp::Spans`] stands: the records after it are unread.
    read_to: Option<u64>,
}

impl Sender {
    fn new(store: SqlStore, telemetry: TelemetryConfig, host: String) -> Self {
        let mut random = [0u8; 4];
        let _ = getrandom::fill(&mut random);
        let holder = format!(
            "{host} pid {} ({:08x})",
            std::process::id(),
            u32::from_be_bytes(random)
        );
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .new_agent();
        Sender {
            store,
            resource: otlp::resource(&host),
            telemetry,
            holder,
            agent,
            spans: otlp::Spans::default(),
            read_to: None,
        }
    }

    /// Sends until the process ends, taking the lease whenever it is free, and waiting
    /// longer after each failure (its reason kept in the store for `telemetry status`,
    /// and said once on standard error).
    fn run_forever(&mut self) -> ! {
        let mut wait = FIRST_RETRY;
        let mut said: Option<String> = None;
        loop {
            match self.round() {
                Ok(Round::Sent { .. }) => {
                    wait = FIRST_RETRY;
                    if said.take().is_some() {
                        eprintln!(
                            "holdpoint: telemetry: the collector at {} takes records again",
                            self.telemetry.endpoint
                        );
                    }
                }
                Ok(Round::Idle) => std::thread::sleep(POLL),
                Ok(Round::Held(_)) => std::thread::sleep(LEASE / 3),
                Err(why) => {
                    let _ = self.store.export_failed(
                        &self.telemetry.endpoint,
                        &self.holder,
                        &why,
                        now_ms(),
                    );
                    if said.as_deref() != Some(why.as_str()) {
                        eprintln!(
                            "holdpoint: telemetry: {why}; retrying (nothing is lost: the records stay in the ledger)"
                        );
                        said = Some(why);
                    }
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(LAST_RETRY);
                }
            }
        }
    }

    /// Sends batches until the collector has every record, or does not take one.
    fn send_waiting(&mut self) -> Result<u8, Failure> {
        let endpoint = self.telemetry.endpoint.clone();
        let head = self
            .store
            .size()
            .map_err(|e| Failure::internal(e.to_string()))?;
        let mut sent = 0usize;
        loop {
            match self.round() {
                Ok(Round::Sent { records, through }) => {
                    sent += records;
                    eprintln!("sent {sent} records (through #{through} of {head})");
                }
                Ok(Round::Idle) => {
                    println!("the collector at {endpoint} has every record ({sent} sent now)");
                    return Ok(0);
                }
                Ok(Round::Held(holder)) => {
                    println!(
                        "another holdpoint process is sending to {endpoint} ({holder}); `holdpoint telemetry status` shows how far it is"
                    );
                    return Ok(0);
                }
                Err(why) => {
                    let _ = self
                        .store
                        .export_failed(&endpoint, &self.holder, &why, now_ms());
                    return Err(Failure::internal(format!(
                        "{why}; nothing is lost: the records stay in the ledger and are sent when the collector takes them"
                    )));
                }
            }
        }
    }

    /// Takes or renews the lease, then sends the next batch, if any.
    fn round(&mut self) -> Result<Round, String> {
        let stored = |e: holdpoint_store::StoreError| format!("the store failed: {e}");
        let endpoint = &self.telemetry.endpoint;
        let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let claimed = self
            .store
            .claim_export(endpoint, &self.holder, now_ms(), lease_ms)
            .map_err(stored)?;
        let next = match claimed {
            Ok(next) => next,
            Err(holder) => return Ok(Round::Held(holder)),
        };
        // Another sender moved the mark since this one last read: what links one
        // batch's records to the next no longer follows on.
        if self.read_to != Some(next) {
            self.spans = otlp::Spans::default();
        }
        let records = self.store.records(next, BATCH).map_err(stored)?;
        let Some(last) = records.last().map(|r| r.seq) else {
            self.read_to = Some(next);
            return Ok(Round::Idle);
        };
        let batch = otlp::encode(&records, &mut self.spans, &self.resource);
        // Read past: a failed post reads these again, from a fresh start.
        self.read_to = None;
        self.post(&self.telemetry.logs_url(), &batch.logs.encode_to_vec())?;
        if !batch.spans.resource_spans.is_empty() {
            self.post(&self.telemetry.traces_url(), &batch.spans.encode_to_vec())?;
        }
        let kept = self
            .store
            .exported(endpoint, &self.holder, last.saturating_add(1), now_ms())
            .map_err(stored)?;
        if kept {
            self.read_to = Some(last.saturating_add(1));
        }
        Ok(Round::Sent {
            records: batch.records,
            through: last,
        })
    }

    /// Posts one OTLP/HTTP request; anything but a 2xx answer is a failure, said with
    /// what the collector answered.
    fn post(&self, url: &str, body: &[u8]) -> Result<(), String> {
        let mut request = self
            .agent
            .post(url)
            .header("Content-Type", "application/x-protobuf");
        for (name, setting) in &self.telemetry.headers {
            let value = setting
                .resolve(&format!("`[telemetry] headers` `{name}`"))
                .map_err(|f| f.message)?;
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .send(body)
            .map_err(|e| format!("cannot reach the collector at {url}: {e}"))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let mut text = String::new();
        let _ = response
            .into_body()
            .into_reader()
            .take(300)
            .read_to_string(&mut text);
        let text = text.trim();
        Err(format!(
            "the collector at {url} answered {status}{}",
            if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            }
        ))
    }
}
