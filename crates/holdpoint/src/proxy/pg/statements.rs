//! One connection's statements, as plain data: the replies the client is owed, in the
//! order the server will give them; what the server holds under each prepared statement
//! and portal name, as its replies confirm it; and the refusals sent in place of
//! statements. No I/O, no locks, no store: the driver (`driver.rs`) tells it what each
//! side sent and acts on what it returns, so each rule here is tested without a socket
//! or a database (the tests at the end).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use holdpoint_core::{Action, Risk};
use holdpoint_pgwire::Fields;

use super::decide::Bearing;
use super::keeping::Keeping;
use crate::serve::decider::Allowed;

/// A reply the client is owed, in the order the server will give them.
#[derive(Debug)]
pub(super) enum Slot {
    /// A simple query: done at the next ready-for-query; its tags and error collect here.
    Simple {
        action: Option<Action>,
        /// A statement allowed at once (a read, or a change inside a transaction): its
        /// records, written with its outcome.
        allowed: Option<Allowed>,
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
        /// A statement allowed at once (a read, or a change inside a transaction): its
        /// records, written with its outcome.
        allowed: Option<Allowed>,
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
pub(super) enum Step {
    Parse(String, Option<Prepared>),
    Bind(String, Option<Prepared>),
    CloseStatement(String),
    ClosePortal(String),
}

/// A prepared statement's or a portal's name.
pub(super) enum Name<'a> {
    Statement(&'a str),
    Portal(&'a str),
}

/// What a name stands for on the server, as far as holdpoint knows.
pub(super) enum Known {
    /// Prepared or bound with this action.
    Runs(Prepared),
    /// Refused, failed or closed: the server does not hold it and fails what uses it.
    Absent,
    /// Not prepared through holdpoint (SQL `PREPARE`, `DECLARE`): refused.
    Unknown,
}

/// What the pipeline so far says a name stands for; `None` when it does not touch it.
pub(super) fn lookup(pipeline: &[Step], name: &Name<'_>) -> Option<Known> {
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
pub(super) fn unknown_statement(name: &str) -> Fields {
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
pub(super) struct Prepared {
    pub(super) action: Action,
    pub(super) risk: Risk,
    /// How it stands to the transaction it runs in.
    pub(super) bearing: Bearing,
    pub(super) keeping: Option<Box<Keeping>>,
    /// A statement allowed at once when it was prepared: its records, until its first run
    /// takes them to write with its outcome. Shared by every copy of the statement;
    /// when the last goes without a run, they are written as they are.
    allowed: Arc<Mutex<Option<Allowed>>>,
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
    pub(super) fn new(
        action: Action,
        risk: Risk,
        bearing: Bearing,
        keeping: Option<Box<Keeping>>,
        allowed: Option<Allowed>,
    ) -> Self {
        Prepared {
            action,
            risk,
            bearing,
            keeping,
            allowed: Arc::new(Mutex::new(allowed)),
            covered: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            decided: Instant::now(),
        }
    }

    /// The records of the read it was prepared as, for its first run to write.
    pub(super) fn take_allowed(&self) -> Option<Allowed> {
        self.allowed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Whether this run needs a decision of its own.
    pub(super) fn decide_again(&self) -> bool {
        self.risk != Risk::Read
            && !(self.covered.swap(false, Ordering::Relaxed)
                && self.decided.elapsed() < COVERED_FOR)
    }
}

/// A simple query's slot, with nothing of holdpoint's around it.
pub(super) fn simple(action: Option<Action>, allowed: Option<Allowed>) -> Slot {
    Slot::Simple {
        action,
        allowed,
        started: Instant::now(),
        tags: Vec::new(),
        error: None,
        hide: 0,
        tag: None,
        kept: None,
    }
}

/// What the server answered the oldest statement owed a reply.
pub(super) enum Completion {
    Tag(String),
    Error(String),
    /// One of holdpoint's markers failed: the statement it stood for never ran.
    Refused,
}

/// A statement whose outcome is known, to be recorded against its action.
#[derive(Debug)]
pub(super) struct Done {
    pub(super) action: Action,
    pub(super) allowed: Option<Allowed>,
    pub(super) started: Instant,
    /// `succeeded`, `failed` or `not run`.
    pub(super) outcome: &'static str,
    pub(super) detail: String,
}

/// Whether a statement's text can be read as the server will read it, when an earlier
/// statement may have changed the settings it depends on.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Settings {
    /// Nothing sent since the server last reported them could change them.
    Known,
    /// Known at the next ready-for-query: what is owed ends there.
    AtReady,
    /// Not before the client ends its pipeline with Sync: the statement is refused.
    Unknowable,
}

/// One connection's statements (see the module's documentation).
pub(super) struct Statements {
    owed: VecDeque<Slot>,
    held: Held,
    /// Refusals sent to the server as syntax errors, by their marker number.
    refusals: HashMap<u64, Fields>,
    next_refusal: u64,
    /// Part of every marker, notice and quote of holdpoint's, so a client cannot forge one.
    nonce: String,
    /// A statement that could change how the server reads SQL was sent, and the server
    /// has not reported its settings since (it does just before ready-for-query).
    // INVARIANT: set before such a statement is sent; cleared only at a ready-for-query
    // that leaves nothing owed, after the reports before it were checked.
    unsure: bool,
    /// The transaction status the server gave at its last ready-for-query (`I`, `T`,
    /// `E`; `?` when unreadable).
    status: u8,
    /// A statement that could end the transaction (or act outside it) was sent since
    /// nothing was owed: the status may no longer hold.
    // INVARIANT: set before such a statement is sent; cleared only at a ready-for-query
    // that leaves nothing owed.
    ended: bool,
}

impl Statements {
    pub(super) fn new(nonce: String) -> Self {
        Statements {
            owed: VecDeque::new(),
            held: Held::default(),
            refusals: HashMap::new(),
            next_refusal: 1,
            nonce,
            unsure: false,
            status: b'I',
            ended: false,
        }
    }

    /// Whether a statement sent now runs inside an explicit transaction block, which
    /// the server rolls back if the connection is lost before it commits: the server
    /// said so at its last ready-for-query, and nothing sent since could have ended it.
    pub(super) fn in_transaction(&self) -> bool {
        self.status == b'T' && !self.ended
    }

    /// A statement that could end the transaction, or act outside it, is about to be
    /// sent.
    pub(super) fn sent_ender(&mut self) {
        self.ended = true;
    }

    /// A reply the client is now owed, after every one owed before it.
    pub(super) fn owe(&mut self, slot: Slot) {
        self.owed.push_back(slot);
    }

    /// A step sent to the server: in the pipeline and among the replies owed.
    pub(super) fn step(&mut self, pipeline: &mut Vec<Step>, step: Step) {
        pipeline.push(step.clone());
        self.owed.push_back(Slot::Step(step));
    }

    /// A statement that could change how the server reads SQL is about to be sent.
    pub(super) fn sent_unsure(&mut self) {
        self.unsure = true;
    }

    /// Whether the next statement's text is read as the server will read it.
    pub(super) fn settings(&self) -> Settings {
        if !self.unsure {
            Settings::Known
        } else if matches!(
            self.owed.back(),
            None | Some(Slot::Simple { .. } | Slot::Sync)
        ) {
            Settings::AtReady
        } else {
            Settings::Unknowable
        }
    }

    /// The name under which a refused run's marker is prepared (and fails to be).
    pub(super) fn refusing(&self) -> String {
        format!("holdpoint_refused_{}", self.nonce)
    }

    /// A marker the server will reject as a syntax error, standing for `refusal`.
    pub(super) fn marker(&mut self, refusal: Fields) -> String {
        let n = self.next_refusal;
        self.next_refusal += 1;
        self.refusals.insert(n, refusal);
        format!("HOLDPOINT_REFUSED_{}_{n}", self.nonce)
    }

    /// The refusal an error from the server stands for, when it is one of ours; each
    /// marker stands for its refusal once.
    pub(super) fn refusal(&mut self, error: &Fields) -> Option<Fields> {
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
        self.refusals.remove(&n)
    }

    /// A reply for the oldest statement still owed one; what is done with it, when an
    /// `Execute` it ends is to be recorded.
    pub(super) fn answered(&mut self, completion: Completion) -> Option<Done> {
        match self.owed.front_mut() {
            Some(Slot::Simple { tags, error, .. }) => {
                match completion {
                    Completion::Tag(tag) => tags.push(tag),
                    Completion::Error(text) => *error = Some(text),
                    Completion::Refused => {}
                }
                None
            }
            Some(Slot::Execute { .. }) => {
                let Some(Slot::Execute {
                    action: Some(action),
                    allowed,
                    started,
                    ..
                }) = self.owed.pop_front()
                else {
                    return None;
                };
                let (outcome, detail) = match completion {
                    Completion::Tag(tag) => ("succeeded", tag),
                    Completion::Error(text) => ("failed", text),
                    Completion::Refused => return None,
                };
                Some(Done {
                    action,
                    allowed,
                    started,
                    outcome,
                    detail,
                })
            }
            Some(Slot::Step(_)) => {
                if let Some(Slot::Step(step)) = self.owed.pop_front() {
                    self.failed(step);
                }
                None
            }
            Some(Slot::Sync) | None => None,
        }
    }

    /// The server confirmed the oldest step owed a reply: it now holds what it names.
    pub(super) fn confirmed(&mut self) {
        if !matches!(self.owed.front(), Some(Slot::Step(_))) {
            return;
        }
        if let Some(Slot::Step(step)) = self.owed.pop_front() {
            self.held.apply(step);
        }
    }

    /// The server failed a step. A `Parse` or `Bind` into the unnamed statement or
    /// portal has dropped the one before it first.
    fn failed(&mut self, step: Step) {
        match step {
            Step::Parse(name, _) if name.is_empty() => {
                self.held.statements.remove("");
            }
            Step::Bind(name, _) if name.is_empty() => {
                self.held.portals.remove("");
            }
            _ => {}
        }
    }

    /// Whether steps from before `pipeline`, or simple queries, still wait for the
    /// server's answer. Steps are answered in order, so the pipeline's own are the last
    /// of those owed.
    pub(super) fn unsettled(&self, pipeline: &[Step]) -> bool {
        let steps = self
            .owed
            .iter()
            .filter(|slot| matches!(slot, Slot::Step(_)))
            .count();
        steps > pipeline.len()
            || self
                .owed
                .iter()
                .any(|slot| matches!(slot, Slot::Simple { .. }))
    }

    /// What the server holds under `name`, as its replies so far confirm.
    pub(super) fn held(&self, name: &Name<'_>) -> Known {
        let found = match name {
            Name::Statement(name) => self.held.statements.get(*name),
            Name::Portal(name) => self.held.portals.get(*name),
        };
        found.cloned().map_or(Known::Unknown, Known::Runs)
    }

    /// Ready for the next query: the simple query or pipeline up to this point is done.
    /// Returns the slots it finishes, in order, for their outcomes to be recorded.
    /// `status` is the server's transaction status: outside a transaction it holds no
    /// portals.
    pub(super) fn ready(&mut self, status: Option<u8>) -> Vec<Slot> {
        let mut finished = Vec::new();
        while let Some(slot) = self.owed.pop_front() {
            let last = matches!(slot, Slot::Simple { .. } | Slot::Sync);
            finished.push(slot);
            if last {
                break;
            }
        }
        // The server reports changed settings just before ready-for-query, and they
        // were checked on the way: with nothing more owed, they are known.
        if self.owed.is_empty() {
            self.unsure = false;
            self.ended = false;
        }
        self.status = status.unwrap_or(b'?');
        for slot in &finished {
            if let Slot::Simple { action, tags, .. } = slot {
                self.simple_done(action.as_ref().map(|a| a.input.as_str()), tags);
            }
        }
        if status == Some(b'I') {
            self.held.portals.clear();
        }
        finished
    }

    /// What a finished simple query did to the prepared statements the server holds:
    /// it drops the unnamed one, and SQL `DEALLOCATE` or `DISCARD` drop named ones.
    fn simple_done(&mut self, sql: Option<&str>, tags: &[String]) {
        let held = &mut self.held;
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

    /// Whether this reply answers a statement holdpoint added (and so is not shown);
    /// `tag` is its command tag (`None`: a notice).
    pub(super) fn hidden(&mut self, tag: Option<&str>) -> bool {
        let Some(Slot::Simple { hide, .. }) = self.owed.front_mut() else {
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

    /// The recovery point the oldest `Execute` owed a reply keeps, if it keeps one.
    pub(super) fn take_keeping(&mut self) -> Option<Box<Keeping>> {
        match self.owed.front_mut() {
            Some(Slot::Execute { keeping, .. }) => keeping.take(),
            _ => None,
        }
    }

    /// Whether a notice is the count a keeping block reports (and so not the client's);
    /// the counts go to the simple query or the `Execute` it belongs to.
    pub(super) fn counted(&mut self, notice: &Fields) -> bool {
        let prefix = format!("HOLDPOINT_KEPT_{} ", self.nonce);
        let Some(counts) = notice.get(b'M').and_then(|m| m.strip_prefix(&prefix)) else {
            return false;
        };
        let mut numbers = counts.split(' ').map(|n| n.parse::<u64>().ok());
        let mut next = || numbers.next().flatten();
        let (rows, changed, cascaded_rows, parts) = (next(), next(), next(), next());
        if let Some(
            Slot::Execute {
                keeping: Some(keeping),
                ..
            }
            | Slot::Simple {
                kept: Some(keeping),
                ..
            },
        ) = self.owed.front_mut()
        {
            keeping.point.rows = rows;
            keeping.changed = changed;
            keeping.cascaded = (cascaded_rows.unwrap_or(0), parts.unwrap_or(0));
        }
        true
    }

    /// How many replies the client is owed.
    pub(super) fn owed(&self) -> usize {
        self.owed.len()
    }

    /// Every reply still owed, once the connection is over.
    pub(super) fn drain(&mut self) -> Vec<Slot> {
        self.owed.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use holdpoint_core::{Environment, Surface};

    use super::*;

    fn action(sql: &str) -> Action {
        Action {
            surface: Surface::Sql,
            input: sql.to_owned(),
            cwd: "/".to_owned(),
            target: "postgres:app@production".to_owned(),
            environment: Environment::Production,
            agent: "claude".to_owned(),
            session: None,
            executed_content: Vec::new(),
        }
    }

    fn prepared(sql: &str, risk: Risk) -> Option<Prepared> {
        Some(Prepared::new(action(sql), risk, Bearing::Reads, None, None))
    }

    fn execute(sql: &str) -> Slot {
        Slot::Execute {
            action: Some(action(sql)),
            allowed: None,
            started: Instant::now(),
            keeping: None,
        }
    }

    fn error(message: &str) -> Fields {
        Fields::new("ERROR", "42601", message)
    }

    fn runs(known: &Known) -> Option<&str> {
        match known {
            Known::Runs(prepared) => Some(&prepared.action.input),
            Known::Absent | Known::Unknown => None,
        }
    }

    #[test]
    fn a_marker_stands_for_its_refusal_once_and_another_connections_never() {
        let mut statements = Statements::new("n0nce".to_owned());
        let refusal = Fields::new("ERROR", "42501", "holdpoint refused this statement");
        let marker = statements.marker(refusal);
        let echoed = error(&format!("syntax error at or near \"{marker}\""));
        let back = statements
            .refusal(&echoed)
            .map(|f| f.get(b'M').map(str::to_owned));
        assert_eq!(
            back,
            Some(Some("holdpoint refused this statement".to_owned()))
        );
        assert!(statements.refusal(&echoed).is_none(), "used twice");
        // A client that writes a marker of its own, with another nonce, gets the
        // server's error as it is.
        let mut other = Statements::new("other".to_owned());
        let forged = other.marker(Fields::new("ERROR", "42501", "x"));
        let marker = statements.marker(Fields::new("ERROR", "42501", "y"));
        assert!(statements.refusal(&error(&forged)).is_none());
        assert!(statements.refusal(&error(&marker)).is_some());
    }

    #[test]
    fn a_name_is_held_once_the_server_confirms_it_and_not_when_it_fails() {
        let mut statements = Statements::new("n".to_owned());
        let mut pipeline = Vec::new();
        let read = prepared("SELECT 1", Risk::Read);
        statements.step(&mut pipeline, Step::Parse("a".to_owned(), read));
        let change = prepared("UPDATE t SET x = 1", Risk::Change);
        statements.step(&mut pipeline, Step::Parse("b".to_owned(), change));
        statements.owe(Slot::Sync);
        // Until the server answers, nothing is held.
        assert!(runs(&statements.held(&Name::Statement("a"))).is_none());
        assert!(statements.unsettled(&[]));
        statements.confirmed();
        assert!(
            statements
                .answered(Completion::Error("42P01: no table".to_owned()))
                .is_none()
        );
        let finished = statements.ready(Some(b'I'));
        assert!(matches!(finished.as_slice(), [Slot::Sync]));
        assert_eq!(
            runs(&statements.held(&Name::Statement("a"))),
            Some("SELECT 1")
        );
        assert!(matches!(
            statements.held(&Name::Statement("b")),
            Known::Unknown
        ));
        assert!(!statements.unsettled(&[]));
    }

    #[test]
    fn a_failed_parse_into_the_unnamed_statement_drops_the_one_before_it() {
        let mut statements = Statements::new("n".to_owned());
        let mut pipeline = Vec::new();
        statements.step(
            &mut pipeline,
            Step::Parse(String::new(), prepared("SELECT 1", Risk::Read)),
        );
        statements.confirmed();
        assert!(runs(&statements.held(&Name::Statement(""))).is_some());
        statements.step(
            &mut pipeline,
            Step::Parse(String::new(), prepared("SELEC 2", Risk::Read)),
        );
        statements.answered(Completion::Error("42601: syntax error".to_owned()));
        assert!(matches!(
            statements.held(&Name::Statement("")),
            Known::Unknown
        ));
    }

    #[test]
    fn each_run_is_recorded_as_it_ended_and_those_a_failure_skipped_as_not_run() {
        let mut statements = Statements::new("n".to_owned());
        statements.owe(execute("INSERT INTO t VALUES (1)"));
        statements.owe(execute("INSERT INTO t VALUES ('x')"));
        statements.owe(execute("INSERT INTO t VALUES (3)"));
        statements.owe(Slot::Sync);
        let first = statements.answered(Completion::Tag("INSERT 0 1".to_owned()));
        let second = statements.answered(Completion::Error("22P02: invalid".to_owned()));
        let done = |d: Option<Done>| d.map(|d| (d.action.input, d.outcome, d.detail));
        assert_eq!(
            done(first),
            Some((
                "INSERT INTO t VALUES (1)".to_owned(),
                "succeeded",
                "INSERT 0 1".to_owned()
            ))
        );
        assert_eq!(
            done(second),
            Some((
                "INSERT INTO t VALUES ('x')".to_owned(),
                "failed",
                "22P02: invalid".to_owned()
            ))
        );
        // The server skips the rest of the pipeline up to Sync: ready-for-query ends it.
        let skipped: Vec<String> = statements
            .ready(Some(b'I'))
            .into_iter()
            .filter_map(|slot| match slot {
                Slot::Execute {
                    action: Some(action),
                    ..
                } => Some(action.input),
                _ => None,
            })
            .collect();
        assert_eq!(skipped, ["INSERT INTO t VALUES (3)"]);
        // A refused run's marker failing records nothing: its refusal was recorded when
        // it was decided.
        statements.owe(execute("DROP TABLE t"));
        assert!(statements.answered(Completion::Refused).is_none());
        assert!(statements.drain().is_empty());
    }

    #[test]
    fn settings_are_unsure_until_a_ready_for_query_leaves_nothing_owed() {
        let mut statements = Statements::new("n".to_owned());
        assert_eq!(statements.settings(), Settings::Known);
        statements.sent_unsure();
        statements.owe(simple(
            Some(action("SET standard_conforming_strings = off")),
            None,
        ));
        // The simple query ends at ready-for-query: waiting for it is enough.
        assert_eq!(statements.settings(), Settings::AtReady);
        statements.owe(execute("SELECT 'a\\b'"));
        // Inside a pipeline not ended by Sync, the server reports nothing first.
        assert_eq!(statements.settings(), Settings::Unknowable);
        statements.ready(Some(b'I'));
        assert_eq!(statements.settings(), Settings::Unknowable, "still owed");
        statements.answered(Completion::Tag("SELECT 1".to_owned()));
        statements.owe(Slot::Sync);
        assert_eq!(statements.settings(), Settings::AtReady);
        statements.ready(Some(b'I'));
        assert_eq!(statements.settings(), Settings::Known);
    }

    #[test]
    fn deallocate_forgets_its_statement_and_discard_or_an_unread_name_forgets_all() {
        let mut statements = Statements::new("n".to_owned());
        let mut pipeline = Vec::new();
        for name in ["a", "Mixed", "c"] {
            let sql = format!("SELECT '{name}'");
            statements.step(
                &mut pipeline,
                Step::Parse(name.to_owned(), prepared(&sql, Risk::Read)),
            );
            statements.confirmed();
        }
        let run = |statements: &mut Statements, sql: &str, tag: &str| {
            statements.owe(simple(Some(action(sql)), None));
            statements.answered(Completion::Tag(tag.to_owned()));
            statements.ready(Some(b'I'));
        };
        run(&mut statements, "DEALLOCATE a", "DEALLOCATE");
        assert!(matches!(
            statements.held(&Name::Statement("a")),
            Known::Unknown
        ));
        run(
            &mut statements,
            "deallocate prepare \"Mixed\";",
            "DEALLOCATE",
        );
        assert!(matches!(
            statements.held(&Name::Statement("Mixed")),
            Known::Unknown
        ));
        assert!(runs(&statements.held(&Name::Statement("c"))).is_some());
        // Which statements this dropped is not allowed: none is trusted after it.
        run(
            &mut statements,
            "DO $$ BEGIN EXECUTE 'DEALLOCATE c'; END $$; DEALLOCATE ALL",
            "DEALLOCATE ALL",
        );
        assert!(matches!(
            statements.held(&Name::Statement("c")),
            Known::Unknown
        ));
    }

    #[test]
    fn portals_end_with_the_transaction() {
        let mut statements = Statements::new("n".to_owned());
        let mut pipeline = Vec::new();
        statements.step(
            &mut pipeline,
            Step::Bind("p".to_owned(), prepared("SELECT 1", Risk::Read)),
        );
        statements.confirmed();
        statements.owe(Slot::Sync);
        statements.ready(Some(b'T'));
        assert!(runs(&statements.held(&Name::Portal("p"))).is_some());
        statements.owe(Slot::Sync);
        statements.ready(Some(b'I'));
        assert!(matches!(
            statements.held(&Name::Portal("p")),
            Known::Unknown
        ));
    }

    #[test]
    fn the_replies_to_holdpoints_own_statements_are_hidden_and_no_more() {
        let mut statements = Statements::new("n".to_owned());
        statements.owe(Slot::Simple {
            allowed: None,
            action: Some(action("DELETE FROM t")),
            started: Instant::now(),
            tags: Vec::new(),
            error: None,
            hide: 2,
            tag: None,
            kept: None,
        });
        assert!(statements.hidden(Some("CREATE SCHEMA")));
        assert!(statements.hidden(None), "a notice of holdpoint's");
        assert!(statements.hidden(Some("DO")));
        assert!(!statements.hidden(Some("DELETE 3")), "the client's own");
        assert!(!statements.hidden(None));
    }

    #[test]
    fn a_count_notice_is_taken_only_with_this_connections_nonce() {
        let mut statements = Statements::new("n0nce".to_owned());
        let notice = |text: &str| Fields::new("NOTICE", "00000", text);
        assert!(statements.counted(&notice("HOLDPOINT_KEPT_n0nce 3 3 0 0")));
        assert!(!statements.counted(&notice("HOLDPOINT_KEPT_other 3 3 0 0")));
        assert!(!statements.counted(&notice("HOLDPOINT_KEPT_n0nce")));
    }

    #[test]
    fn a_statement_runs_in_a_transaction_only_while_nothing_sent_could_have_ended_it() {
        let mut statements = Statements::new("n".to_owned());
        assert!(!statements.in_transaction(), "a new connection is idle");
        // BEGIN, answered: inside a block.
        statements.sent_ender();
        statements.owe(simple(None, None));
        statements.ready(Some(b'T'));
        assert!(statements.in_transaction());
        // COMMIT sent, and another statement pipelined behind it: the ready-for-query
        // of an earlier statement still says `T`, but COMMIT may have ended it.
        statements.owe(simple(None, None));
        statements.sent_ender();
        statements.owe(simple(None, None));
        statements.ready(Some(b'T'));
        assert!(!statements.in_transaction(), "COMMIT is still owed");
        statements.ready(Some(b'I'));
        assert!(!statements.in_transaction(), "idle after COMMIT");
        // An unreadable status is no transaction.
        statements.owe(simple(None, None));
        statements.ready(None);
        assert!(!statements.in_transaction());
    }
}
