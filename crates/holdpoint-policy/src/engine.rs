//! The policy engine: policies loaded and validated once, then one Cedar evaluation per
//! decision against only the policies that can apply to the action's risk class and
//! whose guards (see [`crate::guard`]) its facts pass.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Entities, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use holdpoint_core::{Action, Analysis, Environment, Risk, Surface};

use crate::decision::{Decision, Outcome};
use crate::guard::{Facts, Slice};
use crate::scope::{Freeze, Grant};
use crate::{DEFAULT_POLICIES, DEFAULT_POLICY_FILE, SCHEMA};

/// A named piece of policy text: a file's name and content.
#[derive(Clone, Debug)]
pub struct PolicySource {
    pub name: String,
    pub text: String,
}

/// Why a set of policies could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the built-in schema is invalid: {0}")]
    Schema(String),
    #[error("`{file}` does not parse: {message}")]
    Parse { file: String, message: String },
    #[error("`{file}` defines a template; holdpoint policies must be static policies")]
    Template { file: String },
    #[error("policy `{id}` is defined twice (the second time in `{file}`)")]
    DuplicateId { id: String, file: String },
    #[error(
        "policy `{id}` in `{file}` has `@approval(\"{value}\")`; the quorum must be a whole number from 1 to 9"
    )]
    Approval {
        id: String,
        file: String,
        value: String,
    },
    #[error("the policies do not validate against holdpoint's schema:\n{0}")]
    Invalid(String),
}

/// One action to decide, with everything the decision depends on.
#[derive(Clone, Debug)]
pub struct DecisionRequest<'a> {
    pub action: &'a Action,
    pub analysis: &'a Analysis,
    /// Seconds since the epoch: the only clock the decision sees.
    pub now: i64,
    pub grants: &'a [Grant],
    pub freezes: &'a [Freeze],
    /// The least quorum for approving a `destroy`, as a team configures it.
    pub destroy_quorum: u32,
    /// The agent's session has an instruction from its person on record.
    pub instructed: bool,
}

/// Which context attributes the loaded policies mention, found by name in their text.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ContextUse {
    pub(crate) environment: bool,
    pub(crate) surface: bool,
    pub(crate) opaque: bool,
    pub(crate) unanalysable: bool,
    pub(crate) self_protection: bool,
    pub(crate) effects: bool,
    pub(crate) reads_secret: bool,
    pub(crate) frozen: bool,
    pub(crate) granted: bool,
    pub(crate) session: bool,
    pub(crate) instructed: bool,
    pub(crate) task: bool,
    pub(crate) time: bool,
    pub(crate) hour: bool,
    pub(crate) weekday: bool,
}

impl ContextUse {
    /// Every attribute.
    pub(crate) fn all() -> Self {
        ContextUse {
            environment: true,
            surface: true,
            opaque: true,
            unanalysable: true,
            self_protection: true,
            effects: true,
            reads_secret: true,
            frozen: true,
            granted: true,
            session: true,
            instructed: true,
            task: true,
            time: true,
            hour: true,
            weekday: true,
        }
    }

    pub(crate) fn merge(&mut self, other: ContextUse) {
        self.environment |= other.environment;
        self.surface |= other.surface;
        self.opaque |= other.opaque;
        self.unanalysable |= other.unanalysable;
        self.self_protection |= other.self_protection;
        self.effects |= other.effects;
        self.reads_secret |= other.reads_secret;
        self.frozen |= other.frozen;
        self.granted |= other.granted;
        self.session |= other.session;
        self.instructed |= other.instructed;
        self.task |= other.task;
        self.time |= other.time;
        self.hour |= other.hour;
        self.weekday |= other.weekday;
    }

    pub(crate) fn note(&mut self, text: &str) {
        let mentions = |name: &str| {
            text.match_indices(name).any(|(at, _)| {
                let before = text.get(..at).and_then(|t| t.chars().next_back());
                let after = text.get(at + name.len()..).and_then(|t| t.chars().next());
                let part_of_word =
                    |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !part_of_word(before) && !part_of_word(after)
            })
        };
        self.environment |= mentions("environment");
        self.surface |= mentions("surface");
        self.opaque |= mentions("opaque");
        self.unanalysable |= mentions("unanalysable");
        self.self_protection |= mentions("self_protection");
        self.effects |= mentions("effects");
        self.reads_secret |= mentions("reads_secret");
        self.frozen |= mentions("frozen");
        self.granted |= mentions("granted");
        self.session |= mentions("session");
        self.instructed |= mentions("instructed");
        self.task |= mentions("task");
        self.time |= mentions("time");
        self.hour |= mentions("hour");
        self.weekday |= mentions("weekday");
    }
}

/// What holdpoint keeps of each policy besides its Cedar form.
#[derive(Clone, Debug)]
struct PolicyNotes {
    /// The policy's id as text, written once.
    id: String,
    approval: Option<u32>,
    confirm_target: bool,
    reason: Option<String>,
}

/// Loaded, validated policies, split by the risk class they can apply to: a request is
/// evaluated against only the policies that could match it.
#[derive(Debug)]
pub struct PolicyEngine {
    /// Indexed by [`risk_index`].
    slices: [Slice; 4],
    actions: [EntityUid; 4],
    notes: HashMap<PolicyId, PolicyNotes>,
    authorizer: Authorizer,
    agent_type: EntityTypeName,
    target_type: EntityTypeName,
}

fn risk_index(risk: Risk) -> usize {
    match risk {
        Risk::Read => 0,
        Risk::Workspace => 1,
        Risk::Change => 2,
        Risk::Destroy => 3,
    }
}

fn schema() -> Result<Schema, PolicyError> {
    Schema::from_cedarschema_str(SCHEMA)
        .map(|(schema, _)| schema)
        .map_err(|e| PolicyError::Schema(e.to_string()))
}

fn type_name(name: &str) -> Result<EntityTypeName, PolicyError> {
    EntityTypeName::from_str(name).map_err(|e| PolicyError::Schema(e.to_string()))
}

impl PolicyEngine {
    /// Whether any policy reads `context.instructed`: when none does, a caller need not
    /// look up whether the session has an instruction.
    pub fn reads_instructed(&self) -> bool {
        self.slices.iter().any(|slice| slice.used.instructed)
    }

    /// The engine with the default pack only.
    pub fn default_pack() -> Result<Self, PolicyError> {
        Self::load(&[])
    }

    /// Loads policies: the default pack, extended by `sources`, unless one of them is
    /// named `default.cedar`, which then replaces the pack. Every policy is validated
    /// against the schema.
    pub fn load(sources: &[PolicySource]) -> Result<Self, PolicyError> {
        Self::load_checked(sources, true)
    }

    /// Loads policies whose [`PolicyEngine::fingerprint`] a previous [`PolicyEngine::load`]
    /// validated, without validating them again: parsing the schema and type-checking
    /// are most of a short-lived process's start-up. Policies that are nonetheless wrong
    /// fail at evaluation, which denies.
    pub fn load_validated(sources: &[PolicySource]) -> Result<Self, PolicyError> {
        Self::load_checked(sources, false)
    }

    /// What a validation result is valid for: the schema, holdpoint's version and every
    /// policy source's name and text.
    pub fn fingerprint(sources: &[PolicySource]) -> String {
        use sha2::{Digest as _, Sha256};
        let mut hasher = Sha256::new();
        for part in [SCHEMA, DEFAULT_POLICIES, env!("CARGO_PKG_VERSION")] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        for source in sources {
            for part in [&source.name, &source.text] {
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part.as_bytes());
            }
        }
        holdpoint_core::content_hash(&hasher.finalize())
    }

    fn load_checked(sources: &[PolicySource], validate: bool) -> Result<Self, PolicyError> {
        // Cedar builds its extension functions (parsing each one's name) the first time
        // an authorizer is made, about as much work as parsing the policies: on a
        // thread of its own, the two are done at once.
        let authorizer = std::thread::Builder::new()
            .name("cedar-extensions".to_owned())
            .spawn(Authorizer::new);
        let mut all: Vec<PolicySource> = Vec::new();
        if let Some(pack) = pack_in_force(sources) {
            all.push(PolicySource {
                name: format!("built-in {DEFAULT_POLICY_FILE}"),
                text: pack.to_owned(),
            });
        }
        all.extend(sources.iter().cloned());

        let mut combined = PolicySet::new();
        let mut notes = HashMap::new();
        for source in &all {
            let parsed = PolicySet::from_str(&source.text).map_err(|e| PolicyError::Parse {
                file: source.name.clone(),
                message: parse_message(&e, &source.text),
            })?;
            if parsed.templates().next().is_some() {
                return Err(PolicyError::Template {
                    file: source.name.clone(),
                });
            }
            for (n, policy) in parsed.policies().enumerate() {
                // One pass over the annotations: looking each up by name parses the name
                // every time, which is most of a short process's policy loading.
                let mut annotation: HashMap<&str, &str> = HashMap::new();
                for (key, value) in policy.annotations() {
                    annotation.insert(key, value);
                }
                let annotation = |key: &str| annotation.get(key).copied();
                let id = annotation("id")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{}#{}", file_name(&source.name), n + 1));
                let policy_id = PolicyId::new(&id);
                if notes.contains_key(&policy_id) {
                    return Err(PolicyError::DuplicateId {
                        id,
                        file: source.name.clone(),
                    });
                }
                let approval = match annotation("approval") {
                    None => None,
                    Some(value) => match value.trim() {
                        "" => Some(1),
                        text => match text.parse::<u32>() {
                            Ok(quorum @ 1..=9) => Some(quorum),
                            _ => {
                                return Err(PolicyError::Approval {
                                    id,
                                    file: source.name.clone(),
                                    value: value.to_owned(),
                                });
                            }
                        },
                    },
                };
                notes.insert(
                    policy_id.clone(),
                    PolicyNotes {
                        id: policy_id.to_string(),
                        approval,
                        confirm_target: annotation("confirm") == Some("target"),
                        reason: annotation("reason").map(str::to_owned),
                    },
                );
                combined
                    .add(policy.new_id(policy_id))
                    .map_err(|e| PolicyError::Parse {
                        file: source.name.clone(),
                        message: e.to_string(),
                    })?;
            }
        }

        let validation = if validate {
            Some(Validator::new(schema()?).validate(&combined, ValidationMode::Strict))
        } else {
            None
        };
        if let Some(validation) = validation.filter(|v| !v.validation_passed()) {
            let messages: Vec<String> = validation
                .validation_errors()
                .map(|e| format!("  policy `{}`: {e}", e.policy_id()))
                .collect();
            return Err(PolicyError::Invalid(messages.join("\n")));
        }

        let action_type = type_name("Action")?;
        let actions = Risk::ALL.map(|risk| {
            EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(risk.as_str()))
        });
        let mut slices: [Slice; 4] = Default::default();
        for policy in combined.policies() {
            let applies: Vec<usize> = match policy.action_constraint() {
                ActionConstraint::Any => (0..4).collect(),
                ActionConstraint::Eq(uid) => {
                    actions.iter().position(|a| *a == uid).into_iter().collect()
                }
                ActionConstraint::In(uids) => actions
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| uids.contains(a))
                    .map(|(i, _)| i)
                    .collect(),
            };
            for index in applies {
                let Some(slice) = slices.get_mut(index) else {
                    continue;
                };
                slice.add(policy.clone()).map_err(|e| PolicyError::Parse {
                    file: policy.id().to_string(),
                    message: e.to_string(),
                })?;
            }
        }
        Ok(PolicyEngine {
            slices,
            actions,
            notes,
            authorizer: authorizer
                .ok()
                .and_then(|thread| thread.join().ok())
                .unwrap_or_default(),
            agent_type: type_name("Agent")?,
            target_type: type_name("Target")?,
        })
    }

    /// The number of policies loaded.
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// A policy's id as text.
    fn id_text(&self, id: &PolicyId) -> String {
        self.notes
            .get(id)
            .map_or_else(|| id.to_string(), |notes| notes.id.clone())
    }

    /// Whether the policies refuse `agent` every action on `surface` against `target` in
    /// `environment` at risk class `lowest` and at each class above it, whatever the
    /// rest: what an action's analysis finds (its effects, whether it is opaque, reads
    /// credentials or touches holdpoint), grants, freezes, the session and the time are
    /// left unknown to Cedar's partial evaluation, which must still come to a denial. A
    /// policy that could permit once one of those is known keeps the answer `false`.
    pub fn refuses_from(
        &self,
        lowest: Risk,
        agent: &str,
        target: &str,
        environment: Environment,
        surface: Surface,
    ) -> bool {
        const UNKNOWN: [&str; 11] = [
            "opaque",
            "unanalysable",
            "self_protection",
            "effects",
            "reads_secret",
            "frozen",
            "granted",
            "session",
            "time",
            "hour",
            "weekday",
        ];
        let mut pairs = vec![
            (
                "environment".to_owned(),
                RestrictedExpression::new_string(environment.as_str().to_owned()),
            ),
            (
                "surface".to_owned(),
                RestrictedExpression::new_string(surface.as_str().to_owned()),
            ),
        ];
        pairs.extend(
            UNKNOWN
                .iter()
                .map(|name| ((*name).to_owned(), RestrictedExpression::new_unknown(name))),
        );
        let Ok(context) = Context::from_pairs(pairs) else {
            return false;
        };
        let principal =
            EntityUid::from_type_name_and_id(self.agent_type.clone(), EntityId::new(agent));
        let resource =
            EntityUid::from_type_name_and_id(self.target_type.clone(), EntityId::new(target));
        Risk::ALL
            .into_iter()
            .filter(|risk| *risk >= lowest)
            .all(|risk| {
                let index = risk_index(risk);
                let (Some(slice), Some(action)) = (self.slices.get(index), self.actions.get(index))
                else {
                    return false;
                };
                let Ok(request) = Request::new(
                    principal.clone(),
                    action.clone(),
                    resource.clone(),
                    context.clone(),
                    None,
                ) else {
                    return false;
                };
                let response = self.authorizer.is_authorized_partial(
                    &request,
                    &slice.policies,
                    &Entities::empty(),
                );
                response.decision() == Some(cedar_policy::Decision::Deny)
            })
    }

    /// Decides one action. Never fails: anything that goes wrong is a denial that says
    /// what went wrong.
    pub fn decide(&self, request: &DecisionRequest<'_>) -> Decision {
        match self.judge(request) {
            Ok(judged) => judged.decision(request),
            Err(refusal) => refusal,
        }
    }

    /// What the policies say about one request, or the denial that says why they could
    /// not be asked. A [`Judged`] depends on nothing but what [`crate::Memo::key`] hashes.
    pub fn judge(&self, request: &DecisionRequest<'_>) -> Result<Judged, Decision> {
        let action = request.action;
        let risk = request.analysis.risk();
        let index = risk_index(risk);
        let scope = Scope::of(request);
        let Some(slice) = self.slices.get(index) else {
            return Err(Decision::deny(
                risk,
                "holdpoint has no policies for this risk class",
            ));
        };
        let (policies, used) = slice.for_facts(scope.facts(request));
        let context = Context::from_pairs(
            context_values(used, request, &scope)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.expression())),
        )
        .map_err(|error| {
            Decision::deny(
                risk,
                format!("holdpoint could not build the policy context: {error}"),
            )
        })?;
        let Some(action_uid) = self.actions.get(index) else {
            return Err(Decision::deny(
                risk,
                "holdpoint has no policies for this risk class",
            ));
        };
        let principal =
            EntityUid::from_type_name_and_id(self.agent_type.clone(), EntityId::new(&action.agent));
        let resource = EntityUid::from_type_name_and_id(
            self.target_type.clone(),
            EntityId::new(&action.target),
        );
        // The request is not checked against the schema: its context carries only the
        // attributes the policies mention (see `ContextUse`), and the policies themselves
        // were validated strictly when they were loaded.
        let cedar_request = Request::new(principal, action_uid.clone(), resource, context, None)
            .map_err(|error| {
                Decision::deny(
                    risk,
                    format!("holdpoint could not build the policy request: {error}"),
                )
            })?;
        let response = self
            .authorizer
            .is_authorized(&cedar_request, policies, &Entities::empty());
        let determining: BTreeSet<PolicyId> = response.diagnostics().reason().cloned().collect();
        Ok(Judged {
            permitted: response.decision() == cedar_policy::Decision::Allow,
            errors: response
                .diagnostics()
                .errors()
                .map(ToString::to_string)
                .collect(),
            determining: determining
                .iter()
                .map(|id| {
                    let notes = self.notes.get(id);
                    Determining {
                        id: self.id_text(id),
                        approval: notes.and_then(|n| n.approval),
                        confirm_target: notes.is_some_and(|n| n.confirm_target),
                        reason: notes.and_then(|n| n.reason.clone()),
                    }
                })
                .collect(),
        })
    }
}

/// The grant and the freeze that apply to a request, found once.
pub(crate) struct Scope<'a> {
    grant: Option<&'a Grant>,
    freeze: Option<&'a Freeze>,
}

impl<'a> Scope<'a> {
    pub(crate) fn of(request: &DecisionRequest<'a>) -> Self {
        let action = request.action;
        let risk = request.analysis.risk();
        Scope {
            grant: request
                .grants
                .iter()
                .find(|g| g.covers(&action.agent, &action.target, risk, request.now)),
            freeze: request
                .freezes
                .iter()
                .find(|f| f.active(action.environment, request.now)),
        }
    }

    /// The facts that choose which policies are evaluated at all (see [`crate::guard`]).
    pub(crate) fn facts(&self, request: &DecisionRequest<'_>) -> Facts {
        let analysis = request.analysis;
        Facts::new(
            [
                analysis.opaque(),
                analysis.unanalysable.is_some(),
                analysis.self_protection(),
                analysis.reads_secret(),
                self.freeze.is_some(),
                self.grant.is_some(),
            ],
            request.action.environment,
        )
    }
}

/// The value of one context attribute, before it becomes Cedar's.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum ContextValue {
    Text(String),
    Flag(bool),
    Number(i64),
    Texts(BTreeSet<String>),
}

impl ContextValue {
    fn expression(self) -> RestrictedExpression {
        match self {
            ContextValue::Text(text) => RestrictedExpression::new_string(text),
            ContextValue::Flag(flag) => RestrictedExpression::new_bool(flag),
            ContextValue::Number(number) => RestrictedExpression::new_long(number),
            ContextValue::Texts(texts) => RestrictedExpression::new_set(
                texts.into_iter().map(RestrictedExpression::new_string),
            ),
        }
    }
}

/// The Cedar context's attributes: only those `used` names. Building one costs time per
/// attribute; a policy that reads one that is missing fails to evaluate, and a failed
/// evaluation is a denial. The one source of the context, for evaluating and for
/// [`crate::Memo::key`].
pub(crate) fn context_values(
    used: ContextUse,
    request: &DecisionRequest<'_>,
    scope: &Scope<'_>,
) -> Vec<(&'static str, ContextValue)> {
    let analysis = request.analysis;
    let action = request.action;
    let now = request.now;
    let mut values = Vec::with_capacity(15);
    let mut put = |wanted: bool, name: &'static str, value: &dyn Fn() -> ContextValue| {
        if wanted {
            values.push((name, value()));
        }
    };
    put(used.environment, "environment", &|| {
        ContextValue::Text(action.environment.as_str().to_owned())
    });
    put(used.surface, "surface", &|| {
        ContextValue::Text(action.surface.as_str().to_owned())
    });
    put(used.opaque, "opaque", &|| {
        ContextValue::Flag(analysis.opaque())
    });
    put(used.unanalysable, "unanalysable", &|| {
        ContextValue::Flag(analysis.unanalysable.is_some())
    });
    put(used.self_protection, "self_protection", &|| {
        ContextValue::Flag(analysis.self_protection())
    });
    put(used.effects, "effects", &|| {
        ContextValue::Texts(
            analysis
                .effects
                .iter()
                .map(|e| format!("{}:{}", serde_plain(&e.verb), serde_plain(&e.object)))
                .collect(),
        )
    });
    put(used.reads_secret, "reads_secret", &|| {
        ContextValue::Flag(analysis.reads_secret())
    });
    put(used.frozen, "frozen", &|| {
        ContextValue::Flag(scope.freeze.is_some())
    });
    put(used.granted, "granted", &|| {
        ContextValue::Flag(scope.grant.is_some())
    });
    put(used.session, "session", &|| {
        ContextValue::Text(action.session.clone().unwrap_or_default())
    });
    put(used.instructed, "instructed", &|| {
        ContextValue::Flag(request.instructed)
    });
    put(used.task, "task", &|| {
        let in_force = || {
            request
                .grants
                .iter()
                .filter(|g| !g.revoked && now < g.expires_at && g.agent == action.agent)
                .max_by_key(|g| g.expires_at)
        };
        ContextValue::Text(
            scope
                .grant
                .or_else(in_force)
                .map(|g| g.task.clone())
                .unwrap_or_default(),
        )
    });
    put(used.time, "time", &|| ContextValue::Number(now));
    put(used.hour, "hour", &|| {
        ContextValue::Number(now.rem_euclid(86_400) / 3_600)
    });
    // 1970-01-01 was a Thursday (4 when Monday is 1).
    put(used.weekday, "weekday", &|| {
        ContextValue::Number((now.div_euclid(86_400) + 3).rem_euclid(7) + 1)
    });
    values
}

/// What Cedar answered for one request, with what holdpoint keeps of each policy that
/// determined it: everything a decision takes from the policies. The rest of a
/// [`Decision`] (the effects' sentences, the grant, the freeze, the quorum a team sets)
/// comes from the request, in [`Judged::decision`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Judged {
    pub permitted: bool,
    /// Policies that failed to evaluate, which holdpoint refuses on.
    pub errors: Vec<String>,
    /// The policies that determined the answer, in id order.
    pub determining: Vec<Determining>,
}

/// A policy that determined an answer, with its annotations.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Determining {
    pub id: String,
    pub approval: Option<u32>,
    pub confirm_target: bool,
    pub reason: Option<String>,
}

impl Judged {
    /// The decision for `request`, which must be the request this was judged for (or
    /// one with the same [`crate::Memo::key`]).
    pub fn decision(&self, request: &DecisionRequest<'_>) -> Decision {
        let analysis = request.analysis;
        let action = request.action;
        let risk = analysis.risk();
        let scope = Scope::of(request);
        let mut reasons: Vec<String> = analysis
            .deciding_effects()
            .map(|e| e.summary.clone())
            .collect();
        if let Some(why) = &analysis.unanalysable {
            reasons.push(why.clone());
        }
        // Cedar skips a policy whose evaluation fails; holdpoint refuses instead, since a
        // skipped forbid would otherwise let the action through.
        if !self.errors.is_empty() {
            reasons.extend(
                self.errors
                    .iter()
                    .map(|e| format!("a policy failed to evaluate, so holdpoint refuses: {e}")),
            );
            return Decision {
                reasons,
                ..Decision::deny(risk, "")
            }
            .without_blank_reasons();
        }
        let explain = |reasons: &mut Vec<String>, determining: &[&Determining]| {
            reasons.extend(determining.iter().filter_map(|d| d.reason.clone()));
        };
        let all: Vec<&Determining> = self.determining.iter().collect();
        let mut decision = Decision {
            outcome: Outcome::Deny,
            risk,
            reasons: Vec::new(),
            policies: self.determining.iter().map(|d| d.id.clone()).collect(),
            quorum: 0,
            confirm_target: false,
            grant: None,
        };
        if !self.permitted {
            if decision.policies.is_empty() {
                reasons.push(format!(
                    "no policy permits `{risk}` actions in {}",
                    action.environment
                ));
            } else {
                if let Some(freeze) = scope.freeze {
                    reasons.push(format!(
                        "{} is frozen: {}",
                        action.environment, freeze.reason
                    ));
                }
                explain(&mut reasons, &all);
            }
        } else {
            let approvals: Vec<&Determining> = self
                .determining
                .iter()
                .filter(|d| d.approval.is_some())
                .collect();
            if approvals.is_empty() {
                decision.outcome = Outcome::Allow;
                // A grant is named only where it was what allowed the action.
                let used_grant = scope.grant.filter(|_| risk >= Risk::Change);
                decision.grant = used_grant.map(|g| g.id.clone());
                if let Some(grant) = used_grant {
                    reasons.push(format!(
                        "grant `{}` for task \"{}\" covers it",
                        grant.id, grant.task
                    ));
                }
                explain(&mut reasons, &all);
            } else {
                decision.outcome = Outcome::Ask;
                let annotated = approvals
                    .iter()
                    .filter_map(|d| d.approval)
                    .max()
                    .unwrap_or(1);
                let configured = if risk == Risk::Destroy {
                    request.destroy_quorum
                } else {
                    1
                };
                decision.quorum = annotated.max(configured).max(1);
                decision.confirm_target = approvals.iter().any(|d| d.confirm_target);
                explain(&mut reasons, &approvals);
                decision.policies = approvals.iter().map(|d| d.id.clone()).collect();
            }
        }
        decision.reasons = reasons;
        decision.without_blank_reasons()
    }
}

impl Decision {
    fn without_blank_reasons(mut self) -> Self {
        self.reasons.retain(|r| !r.trim().is_empty());
        self
    }
}

/// The serde name of a unit enum variant (`delete`, `table`).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The built-in pack, unless one of `sources` is named `default.cedar` and replaces it.
pub(crate) fn pack_in_force(sources: &[PolicySource]) -> Option<&'static str> {
    let replaced = sources
        .iter()
        .any(|s| file_name(&s.name) == DEFAULT_POLICY_FILE);
    (!replaced).then_some(DEFAULT_POLICIES)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Cedar's parse errors as one line each, with where they are.
fn parse_message(error: &cedar_policy::ParseErrors, text: &str) -> String {
    use miette::Diagnostic as _;
    error
        .iter()
        .map(|e| {
            let help = e.help().map(|h| format!(" ({h})")).unwrap_or_default();
            let at = e.labels().and_then(|mut l| l.next()).map(|l| {
                let before = text.get(..l.offset()).unwrap_or(text);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
                format!(" at line {line}, column {column}")
            });
            let at = at.unwrap_or_default();
            format!("{e}{at}{help}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
pub(crate) mod tests {
    use holdpoint_core::{AnalysisContext, Environment, NoFiles, Surface, analyse};

    use super::*;

    /// An action of `claude`'s in `/home/dev/project`, on the app's target.
    pub(crate) fn action(surface: Surface, input: &str, environment: Environment) -> Action {
        Action {
            surface,
            input: input.to_owned(),
            cwd: "/home/dev/project".to_owned(),
            target: format!("{surface}:app@{environment}"),
            environment,
            agent: "claude".to_owned(),
            session: None,
            executed_content: Vec::new(),
        }
    }

    fn decide_with(
        engine: &PolicyEngine,
        action: &Action,
        grants: &[Grant],
        freezes: &[Freeze],
        destroy_quorum: u32,
    ) -> Decision {
        let analysis = analyse(action, &AnalysisContext::new("/home/dev/project"), &NoFiles);
        engine.decide(&DecisionRequest {
            action,
            analysis: &analysis,
            now: 1_000,
            grants,
            freezes,
            destroy_quorum,
            instructed: false,
        })
    }

    #[test]
    fn the_default_pack_decides_each_risk() {
        let engine = PolicyEngine::default_pack().unwrap();
        let read = decide_with(
            &engine,
            &action(Surface::Sql, "SELECT 1", Environment::Production),
            &[],
            &[],
            1,
        );
        assert_eq!(
            (read.outcome, read.policies.clone()),
            (Outcome::Allow, vec!["read".to_owned()]),
            "{read:?}"
        );
        let drop = decide_with(
            &engine,
            &action(Surface::Sql, "DROP TABLE users", Environment::Production),
            &[],
            &[],
            1,
        );
        assert_eq!(drop.outcome, Outcome::Ask);
        assert!(drop.confirm_target);
        assert_eq!(drop.quorum, 1);
        assert!(
            drop.reasons
                .iter()
                .any(|r| r.contains("drops table `users`")),
            "{drop:?}"
        );
    }

    #[test]
    fn a_team_quorum_applies_to_destroy_only() {
        let engine = PolicyEngine::default_pack().unwrap();
        let drop = decide_with(
            &engine,
            &action(Surface::Sql, "DROP TABLE users", Environment::Production),
            &[],
            &[],
            2,
        );
        assert_eq!((drop.outcome, drop.quorum), (Outcome::Ask, 2));
        let insert = decide_with(
            &engine,
            &action(
                Surface::Sql,
                "INSERT INTO t VALUES (1)",
                Environment::Production,
            ),
            &[],
            &[],
            2,
        );
        assert_eq!((insert.outcome, insert.quorum), (Outcome::Ask, 1));
    }

    #[test]
    fn a_grant_is_named_and_a_freeze_overrides_it() {
        let engine = PolicyEngine::default_pack().unwrap();
        let change = action(
            Surface::Shell,
            "kubectl apply -f deploy.yaml",
            Environment::Production,
        );
        let grant = Grant {
            id: "g7".to_owned(),
            agent: "claude".to_owned(),
            task: "roll out the config fix".to_owned(),
            targets: vec!["shell:*@production".to_owned()],
            max_risk: Risk::Change,
            expires_at: 2_000,
            revoked: false,
        };
        let granted = decide_with(&engine, &change, std::slice::from_ref(&grant), &[], 1);
        assert_eq!(
            (granted.outcome, granted.grant.as_deref()),
            (Outcome::Allow, Some("g7"))
        );
        assert!(
            granted
                .reasons
                .iter()
                .any(|r| r.contains("roll out the config fix")),
            "{granted:?}"
        );
        let freeze = Freeze {
            environment: Environment::Production,
            reason: "release week".to_owned(),
            starts_at: 0,
            until: None,
            ended: false,
        };
        let frozen = decide_with(&engine, &change, &[grant], &[freeze], 1);
        assert_eq!(
            (frozen.outcome, frozen.policies.clone()),
            (Outcome::Deny, vec!["freeze".to_owned()])
        );
        assert!(
            frozen.reasons.iter().any(|r| r.contains("release week")),
            "{frozen:?}"
        );
    }

    #[test]
    fn policies_read_the_task_the_agent_was_given_leave_for() {
        let extra = PolicySource {
            name: "task.cedar".to_owned(),
            text: r#"
                @id("certs-task-touches-no-database")
                forbid (principal, action in [Action::"change", Action::"destroy"], resource)
                when { context.task like "*certs*" && context.surface == "sql" };
            "#
            .to_owned(),
        };
        let engine = PolicyEngine::load(&[extra]).unwrap();
        let grant = |task: &str, targets: &str, expires_at: i64| Grant {
            id: format!("g-{expires_at}"),
            agent: "claude".to_owned(),
            task: task.to_owned(),
            targets: vec![targets.to_owned()],
            max_risk: Risk::Change,
            expires_at,
            revoked: false,
        };
        let insert = action(
            Surface::Sql,
            "INSERT INTO t VALUES (1)",
            Environment::Staging,
        );
        let policies = |grants: &[Grant]| decide_with(&engine, &insert, grants, &[], 1).policies;
        let refused = vec!["certs-task-touches-no-database".to_owned()];
        // No grant: no task.
        assert_ne!(policies(&[]), refused);
        // A grant in force for this agent, though it covers shell only: its task counts.
        assert_eq!(
            policies(&[grant("rotate the certs", "shell:*", 2_000)]),
            refused
        );
        // An expired one does not, nor another agent's.
        assert_ne!(
            policies(&[grant("rotate the certs", "shell:*", 900)]),
            refused
        );
        let mut other = grant("rotate the certs", "shell:*", 2_000);
        other.agent = "codex".to_owned();
        assert_ne!(policies(&[other]), refused);
        // The grant that covers the action is the one whose task counts.
        let covering = grant("load the fixtures", "sql:*", 1_500);
        let longer = grant("rotate the certs", "shell:*", 3_000);
        assert_ne!(policies(&[longer.clone(), covering]), refused);
        assert_eq!(policies(&[longer]), refused);
    }

    #[test]
    fn refusals_whatever_the_arguments_are_found_and_nothing_else() {
        let target = "mcp:local@production";
        let refuses = |engine: &PolicyEngine, lowest, agent: &str, environment| {
            engine.refuses_from(lowest, agent, target, environment, Surface::Mcp)
        };
        // The default pack refuses nothing outright: production asks.
        let pack = PolicyEngine::default_pack().unwrap();
        for risk in Risk::ALL {
            assert!(!refuses(&pack, risk, "claude", Environment::Production));
        }
        let extra = PolicySource {
            name: "reader.cedar".to_owned(),
            text: r#"
                @id("reader-only-reads")
                forbid (principal == Agent::"reader", action in [Action::"change", Action::"destroy"], resource)
                when { context.surface == "mcp" };
                @id("no-workspace-in-production")
                forbid (principal == Agent::"reader", action == Action::"workspace", resource)
                when { context.environment == "production" };
                @id("no-deletes")
                forbid (principal == Agent::"cautious", action, resource)
                when { context.effects.contains("delete:file") };
                @id("not-while-frozen")
                forbid (principal == Agent::"cautious", action, resource)
                when { context.frozen };
                @id("not-at-night")
                forbid (principal == Agent::"cautious", action, resource)
                when { context.hour < 6 };
                @id("grants-only")
                forbid (principal == Agent::"granted", action == Action::"destroy", resource)
                unless { context.granted };
            "#
            .to_owned(),
        };
        let engine = PolicyEngine::load(&[extra]).unwrap();
        let production = Environment::Production;
        // A forbid on the agent, the class and known facts refuses from that class up,
        // and a tool that may also act lower is not refused.
        assert!(refuses(&engine, Risk::Change, "reader", production));
        assert!(refuses(&engine, Risk::Destroy, "reader", production));
        assert!(refuses(&engine, Risk::Workspace, "reader", production));
        assert!(!refuses(&engine, Risk::Read, "reader", production));
        assert!(!refuses(
            &engine,
            Risk::Workspace,
            "reader",
            Environment::Development
        ));
        assert!(!refuses(&engine, Risk::Change, "claude", production));
        // What the arguments, a freeze, a grant or the hour decide is not known when
        // the tools are listed: none of those refuses a tool outright.
        for agent in ["cautious", "granted"] {
            for risk in Risk::ALL {
                assert!(
                    !refuses(&engine, risk, agent, production),
                    "{agent} {risk:?}"
                );
            }
        }
        // Checked against concrete decisions: every `change` the reader could propose
        // on the mcp surface is denied.
        for input in [
            r#"{"server":{"name":"fs"},"method":"tools/call","name":"write_file","arguments":{"path":"/etc/x","content":""}}"#,
            r#"{"server":{"name":"x"},"method":"tools/call","name":"frobnicate","arguments":{}}"#,
        ] {
            let mut action = action(Surface::Mcp, input, production);
            action.agent = "reader".to_owned();
            action.target = target.to_owned();
            let decision = decide_with(&engine, &action, &[], &[], 1);
            assert_eq!(decision.outcome, Outcome::Deny, "{input}: {decision:?}");
        }
    }

    #[test]
    fn decisions_through_guards_are_the_whole_slices_decisions() {
        // Guards on every fact, both ways round, in `when` and `unless`, and one that
        // would fail to evaluate past its guard.
        let extra = PolicySource {
            name: "guarded.cedar".to_owned(),
            text: r#"
                @id("opaque-staging") @approval("2")
                permit (principal, action, resource)
                when { context.opaque && context.environment == "staging" };
                @id("destroy-only-granted")
                forbid (principal, action == Action::"destroy", resource)
                unless { context.granted };
                @id("frozen-overflow")
                forbid (principal, action, resource)
                when { context.frozen && context.time * 9223372036854775807 > 0 };
                @id("development-unprotected")
                permit (principal, action, resource)
                when { "development" == context.environment && !context.self_protection
                       && context.hour >= 0 };
            "#
            .to_owned(),
        };
        let inputs = [
            (Surface::Shell, "git status"),
            (Surface::Shell, "cat ~/.ssh/id_ed25519"),
            (Surface::Shell, "echo aGkK | base64 -d | sh"),
            (Surface::Shell, "holdpoint approvals approve 12"),
            (Surface::Shell, "kubectl apply -f deploy.yaml"),
            (Surface::Shell, "rm -rf /var/lib/app"),
            (Surface::Shell, "mkdir -p target/out"),
            (Surface::Shell, "if then fi ((("),
            (Surface::Sql, "SELECT 1"),
            (Surface::Sql, "UPDATE t SET a = 1 WHERE id = 2"),
            (Surface::Sql, "DROP TABLE users"),
        ];
        let grant = Grant {
            id: "g1".to_owned(),
            agent: "claude".to_owned(),
            task: "the task".to_owned(),
            targets: vec!["*".to_owned()],
            max_risk: Risk::Destroy,
            expires_at: 2_000,
            revoked: false,
        };
        for sources in [Vec::new(), vec![extra]] {
            let warmed = PolicyEngine::load(&sources).unwrap();
            for environment in [
                Environment::Production,
                Environment::Staging,
                Environment::Development,
            ] {
                let freeze = Freeze {
                    environment,
                    reason: "release".to_owned(),
                    starts_at: 0,
                    until: None,
                    ended: false,
                };
                for (surface, input) in inputs {
                    let action = action(surface, input, environment);
                    for (grants, freezes) in [
                        (Vec::new(), Vec::new()),
                        (vec![grant.clone()], Vec::new()),
                        (Vec::new(), vec![freeze.clone()]),
                        (vec![grant.clone()], vec![freeze.clone()]),
                    ] {
                        let fresh = PolicyEngine::load_validated(&sources).unwrap();
                        let whole = decide_with(&fresh, &action, &grants, &freezes, 1);
                        // Twice, so that the second is through the guards whatever the
                        // loops did before.
                        decide_with(&warmed, &action, &grants, &freezes, 1);
                        let guarded = decide_with(&warmed, &action, &grants, &freezes, 1);
                        assert_eq!(
                            guarded, whole,
                            "{input} in {environment}, grants {grants:?}, freezes {freezes:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_policy_that_fails_to_evaluate_denies() {
        // Cedar would skip this forbid (its arithmetic overflows) and allow the read;
        // holdpoint denies instead.
        let overflow = PolicySource {
            name: "overflow.cedar".to_owned(),
            text: "@id(\"overflow\") forbid (principal, action, resource) when { context.time * 9223372036854775807 > 0 };".to_owned(),
        };
        let engine = PolicyEngine::load(&[overflow]).unwrap();
        let read = decide_with(
            &engine,
            &action(Surface::Sql, "SELECT 1", Environment::Development),
            &[],
            &[],
            1,
        );
        assert_eq!(read.outcome, Outcome::Deny, "{read:?}");
        assert!(
            read.reasons
                .iter()
                .any(|r| r.contains("failed to evaluate")),
            "{read:?}"
        );
    }

    #[test]
    fn loading_refuses_what_it_cannot_check() {
        let source = |text: &str| {
            vec![PolicySource {
                name: "user.cedar".to_owned(),
                text: text.to_owned(),
            }]
        };
        let unknown_attribute = PolicyEngine::load(&source(
            "forbid (principal, action, resource) when { context.is_friday };",
        ));
        assert!(
            matches!(unknown_attribute, Err(PolicyError::Invalid(ref m)) if m.contains("is_friday")),
            "{unknown_attribute:?}"
        );
        let template = PolicyEngine::load(&source(
            "permit (principal == ?principal, action, resource);",
        ));
        assert!(
            matches!(template, Err(PolicyError::Template { .. })),
            "{template:?}"
        );
        let quorum = PolicyEngine::load(&source(
            "@id(\"q\") @approval(\"many\") permit (principal, action, resource);",
        ));
        assert!(
            matches!(quorum, Err(PolicyError::Approval { .. })),
            "{quorum:?}"
        );
        let duplicate = PolicyEngine::load(&source(
            "@id(\"read\") permit (principal, action, resource);",
        ));
        assert!(
            matches!(duplicate, Err(PolicyError::DuplicateId { .. })),
            "{duplicate:?}"
        );
        let syntax = PolicyEngine::load(&source("permit (principal, action resource);"));
        assert!(
            matches!(syntax, Err(PolicyError::Parse { ref message, .. }) if message.contains("line 1")),
            "{syntax:?}"
        );
    }
}
