//! The enforcement pipeline shared by the agent hooks and `holdpoint exec`: turn a
//! proposal into an action, analyse it, decide it with the grants and freezes in force,
//! record it, and match it against approvals.

use holdpoint_core::{Action, Analysis, Effect, Environment, ObjectKind, Risk, Surface, Verb};
use holdpoint_ledger::{Actors, Body, Entry, Kind, Receipt, StoredRecord};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use holdpoint_policy::{
    Decision, DecisionRequest, Freeze, Grant, Judged, Memo, Outcome, PolicyEngine, PolicyError,
    PolicySource,
};
use holdpoint_store::{Executed, Proposal, Settlement, SqlStore, Store as _};

use crate::Failure;
use crate::home::{Config, Home, millis, now_ms, os_user};
use crate::humans::store_failure;
use crate::local;

/// What an adapter proposes, before analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub surface: Surface,
    pub input: String,
    pub cwd: String,
    /// The agent's project, when it names one: writes there are workspace work even when
    /// the action runs elsewhere. `None` makes `cwd` the workspace.
    pub workspace: Option<String>,
    pub agent: String,
    pub session: Option<String>,
    /// Content hashes the adapter adds to the digest (e.g. of a script a command runs).
    pub content: Vec<String>,
    /// A file tool's input (the path, the text it writes, the edits): its hash joins the
    /// digest, and approvers are shown what it writes, both made here from these bytes.
    pub written: Option<serde_json::Value>,
    /// The adapter runs an allowed command that runs the project's own code inside
    /// `holdpoint sandbox`; where it cannot, such a command is a change.
    pub confined: bool,
    /// The home directory `~` stands for in the agent's commands, as its client sent it
    /// to the server; `None`: this process's `$HOME`.
    pub home: Option<String>,
}

/// Everything that enforcement needs, opened once per process.
pub(crate) struct Pipeline {
    pub config: Config,
    pub environment: Environment,
    engine: Engine,
    /// Where this process looks for judgements made before, so that a request met again
    /// is decided without waiting for the policies to be parsed.
    memo: Memo,
    pub store: SqlStore,
}

/// The policy engine. A hook is a short process and parsing policies is much of its
/// start-up, so validated policies are parsed only when a decision needs them (a request
/// whose judgement is remembered, see [`Memo`], needs none), or, where the store
/// remembers nothing of them yet and every request will need them, at once on the other
/// core while the store opens and the action is analysed.
struct Engine {
    pending: Mutex<Option<Pending>>,
    ready: OnceLock<Result<PolicyEngine, String>>,
}

enum Pending {
    Deferred(Vec<PolicySource>),
    Parsing(JoinHandle<Result<PolicyEngine, PolicyError>>),
}

impl Engine {
    fn pending(pending: Pending) -> Self {
        Engine {
            pending: Mutex::new(Some(pending)),
            ready: OnceLock::new(),
        }
    }

    fn ready(engine: PolicyEngine) -> Self {
        let ready = OnceLock::new();
        let _ = ready.set(Ok(engine));
        Engine {
            pending: Mutex::new(None),
            ready,
        }
    }

    fn get(&self) -> Result<&PolicyEngine, Failure> {
        let result = self.ready.get_or_init(|| {
            let pending = self.pending.lock().ok().and_then(|mut slot| slot.take());
            let loaded = match pending {
                Some(Pending::Deferred(sources)) => PolicyEngine::load_validated(&sources),
                Some(Pending::Parsing(thread)) => match thread.join() {
                    Ok(loaded) => loaded,
                    Err(_) => return Err("loading the policies failed".to_owned()),
                },
                None => return Err("the policies were not loaded".to_owned()),
            };
            loaded.map_err(|e| local::invalid_policy(e).message)
        });
        result.as_ref().map_err(|e| Failure::usage(e.clone()))
    }
}

/// An action as decided and recorded.
pub(crate) struct Decided {
    pub action: Action,
    pub analysis: Analysis,
    pub decision: Decision,
    pub settlement: Settlement,
}

impl Pipeline {
    /// The pipeline of `home`, whose `config` the caller has read.
    pub fn open(home: &Home, config: Config, env_flag: Option<&str>) -> Result<Self, Failure> {
        // Validation is remembered per policy fingerprint in the store, so that each
        // short hook process does not type-check the same policies again: only policies
        // never validated are validated, and at once.
        let sources = local::policy_sources(None)?;
        let memo = Memo::new(&sources);
        let fingerprint = memo.fingerprint();
        let environment = crate::home::environment(env_flag, &config)?;
        let store = home.open_store_as(&config, crate::home::Opening::ShortLived)?;
        let engine = if store
            .policies_validated(fingerprint)
            .map_err(store_failure)?
        {
            if store.remembers(fingerprint).map_err(store_failure)? {
                Engine::pending(Pending::Deferred(sources))
            } else {
                Engine::pending(Pending::Parsing(std::thread::spawn(move || {
                    PolicyEngine::load_validated(&sources)
                })))
            }
        } else {
            let engine = PolicyEngine::load(&sources).map_err(local::invalid_policy)?;
            store
                .mark_policies_validated(fingerprint, now_ms())
                .map_err(store_failure)?;
            Engine::ready(engine)
        };
        Ok(Pipeline {
            config,
            environment,
            engine,
            memo,
            store,
        })
    }

    /// The action a request describes, with the hashes of any scripts it runs.
    pub fn action(&self, request: &Request) -> (Action, Analysis) {
        let home = local::holdpoint_home();
        let agent = nix::unistd::getuid().as_raw();
        action_for(request, self.environment, &home, || {
            crate::gates::gates(&self.config.databases, &home, Some(agent))
        })
    }

    /// Decides, records and settles one request.
    pub fn propose(&self, request: &Request) -> Result<Decided, Failure> {
        let (action, analysis) = self.action(request);
        let now = now_ms();
        let (grants, freezes) = scope(&self.store)?;
        // Looked up only for policies that read it.
        let instructed = self.memo.reads_instructed() && instructed(&self.store, &action)?;
        let request = DecisionRequest {
            action: &action,
            analysis: &analysis,
            now: now / 1000,
            grants: &grants,
            freezes: &freezes,
            destroy_quorum: self.config.destroy_quorum,
            instructed,
        };
        let decision = match self.judge(&request, now)? {
            Ok(judged) => judged.decision(&request),
            Err(refusal) => refusal,
        };
        let settlement = self
            .store
            .settle(&proposal(&action, &analysis, &decision, &self.config), now)
            .map_err(|e| Failure::internal(format!("cannot record the decision: {e}")))?;
        Ok(settled(action, analysis, decision, settlement))
    }

    /// What the policies say about `request`: remembered, or judged by the engine and
    /// remembered. Remembering is a cache: when it fails the decision stands.
    fn judge(
        &self,
        request: &DecisionRequest<'_>,
        now_ms: i64,
    ) -> Result<Result<Judged, Decision>, Failure> {
        let key = self.memo.key(request);
        let remembered = self.store.remembered(&key).map_err(store_failure)?;
        if let Some(judged) = remembered.and_then(|text| serde_json::from_str(&text).ok()) {
            return Ok(Ok(judged));
        }
        let judged = self.engine.get()?.judge(request);
        if let Ok(judged) = &judged
            && let Ok(text) = serde_json::to_string(judged)
        {
            let _ = self
                .store
                .remember(self.memo.fingerprint(), &key, &text, now_ms);
        }
        Ok(judged)
    }

    /// Records a request refused before any policy was asked (an MCP gateway's own
    /// configuration hides the tool, or its server never listed it): its proposal and a
    /// denial giving `reason`, decided by `gateway`.
    pub fn refused(&self, request: &Request, reason: &str) -> Result<Decided, Failure> {
        let (action, analysis) = self.action(request);
        let decision = refusal(&analysis, reason);
        let settlement = self
            .store
            .settle(
                &proposal(&action, &analysis, &decision, &self.config),
                now_ms(),
            )
            .map_err(|e| Failure::internal(format!("cannot record the refusal: {e}")))?;
        Ok(settled(action, analysis, decision, settlement))
    }

    /// Records what was observed when an action ran.
    pub fn executed(&self, action: &Action, executed: &Executed) -> Result<StoredRecord, Failure> {
        record_executed(&self.store, action, executed, now_ms())
            .map_err(|e| Failure::internal(format!("cannot record the outcome: {e}")))
    }
}

/// Appends what was observed when an action ran, bound to the action's digest.
pub(crate) fn record_executed(
    store: &SqlStore,
    action: &Action,
    executed: &Executed,
    now_ms: i64,
) -> Result<StoredRecord, holdpoint_store::StoreError> {
    store
        .append(&[executed_entry(action, executed)], now_ms)?
        .pop()
        .ok_or_else(|| holdpoint_store::StoreError::Database("the outcome was not recorded".into()))
}

/// The ledger entry for what was observed when an action ran.
pub(crate) fn executed_entry(action: &Action, executed: &Executed) -> Entry {
    Entry::new(
        Kind::Executed,
        Actors {
            agent: Some(action.agent.clone()),
            session: action.session.clone(),
            os_user: os_user(),
            ..Actors::default()
        },
        Body::of(executed),
    )
    .digest(action.digest().to_string())
}

/// The one ledger entry for a read allowed at once and what it did: what its
/// `proposed`, `decided` and `executed` records would have said.
pub(crate) fn ran_entry(
    action: &Action,
    analysis: &Analysis,
    decision: &Decision,
    executed: Executed,
) -> Entry {
    let effects = effect_sentences(analysis);
    let body = holdpoint_store::Ran {
        proposed: holdpoint_store::Proposed::from_action(action),
        decided: holdpoint_store::Decided::new(Outcome::Allow.as_str(), decision, &effects),
        executed,
    };
    Entry::new(
        Kind::Ran,
        Actors {
            agent: Some(action.agent.clone()),
            session: action.session.clone(),
            grant: decision.grant.clone(),
            os_user: os_user(),
            ..Actors::default()
        },
        Body::of(&body),
    )
    .digest(action.digest().to_string())
}

/// The action a request describes, analysed on this machine, with the hashes of any
/// scripts it runs. `gates` says which of holdpoint's own proxies the agent's SQL may be
/// left to (`gates::gates`), asked only of a line that runs `psql`.
pub(crate) fn action_for(
    request: &Request,
    environment: Environment,
    holdpoint_home: &std::path::Path,
    gates: impl FnOnce() -> Vec<holdpoint_core::Gate>,
) -> (Action, Analysis) {
    let mut ctx = local::analysis_context_in(&request.cwd, holdpoint_home);
    if request.surface == Surface::Shell && request.input.contains("psql") {
        ctx.gates = gates();
    }
    ctx.workspace.clone_from(&request.workspace);
    if request.home.is_some() {
        // The server runs as holdpoint's own user, whose home is holdpoint's: `~` in an
        // agent's command is the agent's home, which its client names.
        ctx.home.clone_from(&request.home);
    }
    let mut action = Action {
        surface: request.surface,
        input: request.input.clone(),
        cwd: request.cwd.clone(),
        target: local::default_target(request.surface, environment),
        environment,
        agent: request.agent.clone(),
        session: request.session.clone(),
        executed_content: Vec::new(),
    };
    let mut analysis = local::analyse_here(&mut action, &ctx);
    // What a file write puts in the file is bound by `written` alone, whose text the
    // approver is shown: a hash a client sends for it would bind text nobody saw.
    let writes = request.surface == Surface::File
        && request
            .input
            .lines()
            .any(|line| line.starts_with("write ") || line.starts_with("edit "));
    if !writes {
        action
            .executed_content
            .extend(request.content.iter().cloned());
    }
    if let Some(written) = &request.written {
        action
            .executed_content
            .push(holdpoint_core::content_hash(written.to_string().as_bytes()));
        analysis.shown = Some(crate::shown::written(written));
    }
    // Workspace work that runs the project's own code is that only inside the sandbox.
    if analysis.runs_project_code() {
        analysis.effects.push(if request.confined {
            Effect::new(
                Verb::Execute,
                ObjectKind::Code,
                "holdpoint sandbox",
                Risk::Workspace,
                "runs the project's own code inside holdpoint's sandbox, which lets it write only in the workspace, temporary directories and tool caches, and read nothing of holdpoint's",
            )
        } else {
            Effect::new(
                Verb::Execute,
                ObjectKind::Code,
                "project code",
                Risk::Change,
                "runs the project's own code, which can do anything the user can, and holdpoint cannot confine it here",
            )
        });
    }
    (action, analysis)
}

/// Whether an allowed action is to run inside `holdpoint sandbox`.
pub(crate) fn confined(decided: &Decided) -> bool {
    decided.settlement.outcome == Outcome::Allow && decided.analysis.runs_project_code()
}

/// Whether the person gave `action`'s agent an instruction in its session: what a
/// policy reads as `context.instructed`.
pub(crate) fn instructed(store: &SqlStore, action: &Action) -> Result<bool, Failure> {
    match &action.session {
        Some(session) => store
            .instructed(&action.agent, session)
            .map_err(|e| Failure::internal(format!("cannot read the session's instructions: {e}"))),
        None => Ok(false),
    }
}

/// Decides an analysed action with the grants and freezes in force, and whether its
/// session has an instruction on record.
pub(crate) fn decide(
    engine: &PolicyEngine,
    config: &Config,
    (action, analysis): (&Action, &Analysis),
    now_ms: i64,
    (grants, freezes): (&[Grant], &[Freeze]),
    instructed: bool,
) -> Decision {
    engine.decide(&DecisionRequest {
        action,
        analysis,
        now: now_ms / 1000,
        grants,
        freezes,
        destroy_quorum: config.destroy_quorum,
        instructed,
    })
}

/// What analysis found that decided the action, in sentences, as records give it.
fn effect_sentences(analysis: &Analysis) -> Vec<String> {
    analysis
        .deciding_effects()
        .map(|e| e.summary.clone())
        .collect()
}

/// What the store records for a decided action.
pub(crate) fn proposal<'a>(
    action: &'a Action,
    analysis: &Analysis,
    decision: &'a Decision,
    config: &Config,
) -> Proposal<'a> {
    Proposal {
        action,
        decision,
        effects: effect_sentences(analysis),
        os_user: os_user(),
        approval_ttl_ms: millis(config.approval_ttl),
        confirm: confirm_name(analysis),
        shown: analysis.shown.clone(),
    }
}

/// What an approver types to confirm a destroy: the name of the first thing it
/// destroys (the path, the table, the namespace), as GitHub asks for the repository's
/// name, rather than the target's, which is the same for every command on a machine.
/// `None` when analysis names nothing fit to type: empty, over 200 characters, or with
/// a character a person cannot see for what it is (a control or format character, a
/// zero-width space, a direction override), which would make the prompt lie.
pub(crate) fn confirm_name(analysis: &Analysis) -> Option<String> {
    let visible =
        |c: char| c.is_ascii_graphic() || c == ' ' || (!c.is_ascii() && c.is_alphanumeric());
    analysis
        .deciding_effects()
        .filter(|e| e.risk == holdpoint_core::Risk::Destroy)
        .map(|e| e.name.trim())
        .find(|name| !name.is_empty() && name.chars().count() <= 200 && name.chars().all(visible))
        .map(str::to_owned)
}

/// The denial of an action refused before any policy was asked, decided by `gateway`.
pub(crate) fn refusal(analysis: &Analysis, reason: &str) -> Decision {
    Decision {
        policies: vec!["gateway".to_owned()],
        ..Decision::deny(analysis.risk(), reason)
    }
}

/// The decision as it stands once approvals are taken into account.
pub(crate) fn settled(
    action: Action,
    analysis: Analysis,
    decision: Decision,
    settlement: Settlement,
) -> Decided {
    let decision = match (&settlement.approval, settlement.outcome) {
        (Some(approval), Outcome::Allow) => {
            decision.approved(&settlement.approved_by, &approval.id)
        }
        // A human's standing refusal of this exact action.
        (_, Outcome::Deny) if decision.outcome != Outcome::Deny => Decision {
            outcome: Outcome::Deny,
            reasons: settlement.reasons.clone(),
            ..decision
        },
        _ => decision,
    };
    Decided {
        action,
        analysis,
        decision,
        settlement,
    }
}

/// The grants and freezes as the decision takes them.
pub(crate) fn scope(store: &SqlStore) -> Result<(Vec<Grant>, Vec<Freeze>), Failure> {
    let grants = store.grants().map_err(store_failure)?;
    let freezes = store.freezes().map_err(store_failure)?;
    Ok((
        grants.into_iter().map(|g| g.grant).collect(),
        freezes.into_iter().map(|f| f.freeze).collect(),
    ))
}

/// The signed receipt for a `decided` record, or for the decision a `ran` record holds.
pub(crate) fn receipt(store: &SqlStore, record: &StoredRecord) -> Result<Receipt, Failure> {
    let parsed = record
        .record()
        .map_err(|e| Failure::internal(format!("record #{}: {e}", record.seq)))?;
    let Some(decided) = parsed
        .parts()
        .into_iter()
        .find_map(|(kind, body)| (kind == Kind::Decided).then(|| body.clone()))
    else {
        return Err(Failure::usage(format!(
            "record #{} is `{}`, not a decision: receipts are for `decided` and `ran` records",
            record.seq, parsed.kind
        )));
    };
    let key = store.key().ok_or_else(|| {
        Failure::internal(
            "receipts are signed with holdpoint's key, which this process cannot read",
        )
    })?;
    let body: holdpoint_store::Decided = serde_json::from_value(decided)
        .map_err(|e| Failure::internal(format!("record #{}: {e}", record.seq)))?;
    Ok(Receipt {
        v: 1,
        record: record.seq,
        record_hash: record.hash,
        at_ms: parsed.at_ms,
        agent: parsed.actors.agent,
        session: parsed.actors.session,
        human: parsed.actors.human,
        os_user: parsed.actors.os_user,
        digest: parsed.digest,
        decision: body.outcome,
        risk: body.risk,
        policies: body.policies,
        reasons: body.reasons,
        approval: parsed.approval,
        grant: body.grant,
        key_id: String::new(),
        signature: String::new(),
    }
    .sign(key))
}

/// One sentence for the agent or the person at the terminal: what holdpoint decided.
/// `console` is the web console's address, when a server decided.
pub(crate) fn explain(decided: &Decided, console: Option<&str>) -> String {
    let settlement = &decided.settlement;
    let seq = settlement.decided.seq;
    let reasons = format!("{}.", decided.decision.reasons.join("; "));
    match (settlement.outcome, &settlement.approval) {
        (Outcome::Allow, Some(approval)) => format!(
            "holdpoint: allowed once, approved by {} (request {}, ledger #{seq})",
            settlement.approved_by.join(", "),
            approval.id
        ),
        (Outcome::Allow, None) => format!(
            "holdpoint: allowed ({} risk; ledger #{seq})",
            decided.decision.risk
        ),
        (Outcome::Ask, Some(approval)) => {
            let quorum = if approval.quorum > 1 {
                format!(" ({} distinct humans must approve)", approval.quorum)
            } else {
                String::new()
            };
            let confirm = if approval.confirm_target.is_some() {
                ", typing the name of what it destroys to confirm"
            } else {
                ""
            };
            let console = console
                .map(|url| format!(" or in the console at {url}/approvals/{}", approval.id))
                .unwrap_or_default();
            format!(
                "holdpoint held this action for human approval: request {id}{quorum}. {reasons} A human approves it at their own terminal with `holdpoint approvals approve {id}`{console}{confirm}; it expires in {ttl}. After it is approved, retry exactly the same action once: any change needs a new approval. An agent cannot approve it. (ledger #{seq})",
                id = approval.id,
                ttl = humantime::format_duration(std::time::Duration::from_secs(
                    u64::try_from((approval.expires_ms - now_ms()).max(0) / 1000).unwrap_or(0)
                )),
            )
        }
        (Outcome::Ask, None) | (Outcome::Deny, _) => {
            let risk = decided.decision.risk;
            let what = if risk == Risk::Destroy && decided.analysis.self_protection() {
                "holdpoint refused this action, which would weaken holdpoint's own protection"
            } else {
                "holdpoint refused this action"
            };
            format!("{what}: {reasons} (ledger #{seq})")
        }
    }
}

#[cfg(test)]
mod tests {
    use holdpoint_core::{Analysis, Effect, ObjectKind, Risk, Verb};

    use super::confirm_name;

    fn destroying(names: &[&str]) -> Analysis {
        let mut analysis = Analysis::default();
        for name in names {
            analysis.effects.push(Effect::new(
                Verb::Delete,
                ObjectKind::File,
                *name,
                Risk::Destroy,
                format!("deletes `{name}`"),
            ));
        }
        analysis
    }

    #[test]
    fn the_approver_types_the_first_visible_name_of_what_is_destroyed() {
        assert_eq!(
            confirm_name(&destroying(&["/var/lib/app"])).as_deref(),
            Some("/var/lib/app")
        );
        assert_eq!(
            confirm_name(&destroying(&["données"])).as_deref(),
            Some("données")
        );
        // Names a person cannot read for what they are give way to the next, or to the
        // target.
        for unreadable in [
            "",
            "a\u{202e}gpj.exe",
            "zero\u{200b}width",
            "line\nbreak",
            &"x".repeat(201),
        ] {
            assert_eq!(
                confirm_name(&destroying(&[unreadable])),
                None,
                "{unreadable:?}"
            );
        }
        assert_eq!(
            confirm_name(&destroying(&["a\u{202e}b", "users"])).as_deref(),
            Some("users")
        );
        // A change is not what the approver confirms.
        let mut change = Analysis::default();
        change.effects.push(Effect::new(
            Verb::Write,
            ObjectKind::File,
            "/etc/hosts",
            Risk::Change,
            "writes `/etc/hosts`".to_owned(),
        ));
        assert_eq!(confirm_name(&change), None);
    }
}
