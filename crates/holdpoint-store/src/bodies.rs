//! The bodies of ledger records, one versioned type per kind, converted explicitly from
//! holdpoint's own types so that the hash chain never changes because a struct did.

use holdpoint_core::Action;
use holdpoint_policy::Decision;
use serde::{Deserialize, Serialize};

/// `proposed`: the action as the agent proposed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposed {
    pub surface: String,
    pub input: String,
    pub cwd: String,
    pub target: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub executed_content: Vec<String>,
}

impl Proposed {
    pub fn from_action(action: &Action) -> Self {
        Proposed {
            surface: action.surface.as_str().to_owned(),
            input: action.input.clone(),
            cwd: action.cwd.clone(),
            target: action.target.clone(),
            environment: action.environment.as_str().to_owned(),
            executed_content: action.executed_content.clone(),
        }
    }
}

/// `decided`: the outcome and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub outcome: String,
    pub risk: String,
    pub reasons: Vec<String>,
    pub policies: Vec<String>,
    pub effects: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    /// Humans whose approval let the action through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_by: Vec<String>,
}

impl Decided {
    pub fn new(outcome: &str, decision: &Decision, effects: &[String]) -> Self {
        Decided {
            outcome: outcome.to_owned(),
            risk: decision.risk.as_str().to_owned(),
            reasons: decision.reasons.clone(),
            policies: decision.policies.clone(),
            effects: effects.to_vec(),
            grant: decision.grant.clone(),
            approved_by: Vec::new(),
        }
    }
}

/// `approval_requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequested {
    pub risk: String,
    pub quorum: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_target: Option<String>,
    pub expires_ms: i64,
}

/// `approval_given` and `approval_refused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalAnswered {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub approvals: usize,
    pub quorum: u32,
    pub state: String,
    /// What proved the human was there: `terminal`, `secret`, `passkey` or `slack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

/// `passkey_added`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyAdded {
    /// The credential's id (base64url), as assertions name it.
    pub id: String,
    /// What the human called it.
    pub name: String,
}

/// `passkey_removed`: whose, and which (the human who removed it is the record's actor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRemoved {
    pub human: String,
    pub id: String,
    pub name: String,
}

/// `instructed`: the person's instruction for a turn (the agent and session are the
/// record's actors). `text` is `None` where only the hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instructed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The SHA-256 of the instruction as the agent passed it on, before any redaction.
    pub sha256: String,
    /// How many secrets were replaced by `[redacted]` in `text`.
    pub redacted: u32,
    /// The agent's own id of this prompt, where it gives one (Claude Code's
    /// `prompt_id`, Codex's `turn_id`, Cursor's `generation_id`): what its own
    /// telemetry names the turn by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_id: Option<String>,
}

/// `approval_used`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalUsed {
    pub approved_by: Vec<String>,
}

/// `executed`: what holdpoint observed when the action ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Executed {
    /// `succeeded`, `failed`, or `observed` when only the agent's report of it is known.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// A short excerpt of what the tool reported, when the agent passes it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Who observed it: `holdpoint exec`, or the agent's post-tool hook.
    pub observed_by: String,
}

/// `ran`: a read that was allowed and ran, as the three records it stands for would say
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ran {
    pub proposed: Proposed,
    pub decided: Decided,
    pub executed: Executed,
}

/// `grant_issued`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantIssued {
    pub id: String,
    pub task: String,
    pub targets: Vec<String>,
    pub max_risk: String,
    pub expires_at: i64,
}

/// `grant_revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRevoked {
    pub id: String,
}

/// `freeze_started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeStarted {
    pub id: String,
    pub environment: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// `freeze_ended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeEnded {
    pub id: String,
}

/// `human_added`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanAdded {
    pub name: String,
    /// Whether the new human may add identities.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}

/// `approval_noted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalNoted {
    pub note: String,
}

/// `recovery_restored` and `recovery_purged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySettled {
    pub id: String,
    pub table: String,
}

/// `agent_added`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentAdded {
    pub name: String,
}

/// A record body as JSON. Serialising these plain structs cannot fail; `Null` would
/// only make the record say less.
pub fn json<T: Serialize>(body: &T) -> serde_json::Value {
    serde_json::to_value(body).unwrap_or(serde_json::Value::Null)
}
