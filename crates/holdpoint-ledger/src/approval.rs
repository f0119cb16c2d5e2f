//! Approval requests and the rules a human's answer must follow: bound to one action
//! digest, answered before it expires, never by the agent that asked, quorum counted
//! over distinct humans, used once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalState {
    /// Waiting for humans.
    Pending,
    /// Enough humans approved; the identical action may run once.
    Approved,
    /// A human refused.
    Refused,
    /// The approved action ran; the approval cannot be used again.
    Used,
    /// Nobody answered, or the approval was not used, in time.
    Expired,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Refused => "refused",
            ApprovalState::Used => "used",
            ApprovalState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<ApprovalState> {
        [
            ApprovalState::Pending,
            ApprovalState::Approved,
            ApprovalState::Refused,
            ApprovalState::Used,
            ApprovalState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl fmt::Display for ApprovalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VoteKind {
    Approve,
    Refuse,
}

/// What showed that a human, and not a program holding their sign-in, gave an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proof {
    /// The human's secret, typed at a terminal and checked on this machine.
    Terminal,
    /// The human's secret, given again to the server with the answer.
    Secret,
    /// A fresh WebAuthn assertion with user verification, for this request.
    Passkey,
    /// A press of the request's Approve button in Slack by the Slack user linked to this
    /// human, with Slack's signature on it checked: only a person in a Slack client
    /// makes a press.
    Slack,
}

impl Proof {
    pub fn as_str(self) -> &'static str {
        match self {
            Proof::Terminal => "terminal",
            Proof::Secret => "secret",
            Proof::Passkey => "passkey",
            Proof::Slack => "slack",
        }
    }
}

impl fmt::Display for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One human's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub human: String,
    pub kind: VoteKind,
    pub reason: Option<String>,
    pub at_ms: i64,
    /// What proved the human was there (`None` in answers recorded before proofs were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// A held action waiting for humans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub id: String,
    /// The digest of the one action this request can let through.
    pub digest: String,
    /// The action as proposed (surface, input, cwd, target, environment), for the approver.
    pub action: serde_json::Value,
    /// What analysis found, in sentences.
    pub effects: Vec<String>,
    pub risk: String,
    pub reasons: Vec<String>,
    pub policies: Vec<String>,
    /// How many distinct humans must approve.
    pub quorum: u32,
    /// When set, each approver must type this target name to confirm.
    pub confirm_target: Option<String>,
    /// The agent that asked, and its session.
    pub agent: String,
    pub session: Option<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub state: ApprovalState,
    pub votes: Vec<Vote>,
    /// What the approver is shown of the action's content beyond its input (the text a
    /// file tool writes, an edit's lines before and after), from the bytes the digest
    /// covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
    /// What the person asked the agent for in the turn that proposed the action, as
    /// recorded (`instructed`), for the approver to set beside what the agent wants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<String>,
    /// The task of the agent's grant in force when the request was made (the one that
    /// lasts longest), for the approver to set beside what the agent wants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
}

/// Why a human's answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("request `{id}` is {state}, not pending: it can no longer be answered")]
    NotPending { id: String, state: ApprovalState },
    #[error("request `{0}` expired before it was answered")]
    Expired(String),
    #[error("`{0}` asked for this action and cannot approve its own request")]
    OwnRequest(String),
    #[error("`{human}` already answered request `{id}`: the quorum counts distinct humans")]
    AlreadyAnswered { id: String, human: String },
    #[error("the typed target `{typed}` does not match `{expected}`")]
    TargetMismatch { typed: String, expected: String },
}

impl ApprovalRequest {
    /// Whether the request's time is up at `now`.
    pub fn expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_ms
    }

    /// The distinct humans who approved.
    pub fn approvals(&self) -> usize {
        self.votes
            .iter()
            .filter(|v| v.kind == VoteKind::Approve)
            .count()
    }

    /// Applies one human's answer, or says why it cannot be taken. `confirmed` is the
    /// target name the human typed, when the request asks for one.
    pub fn answer(&mut self, vote: Vote, confirmed: Option<&str>) -> Result<(), Refusal> {
        if self.state != ApprovalState::Pending {
            return Err(Refusal::NotPending {
                id: self.id.clone(),
                state: self.state,
            });
        }
        if self.expired_at(vote.at_ms) {
            return Err(Refusal::Expired(self.id.clone()));
        }
        if vote.human == self.agent {
            return Err(Refusal::OwnRequest(vote.human));
        }
        if self.votes.iter().any(|v| v.human == vote.human) {
            return Err(Refusal::AlreadyAnswered {
                id: self.id.clone(),
                human: vote.human,
            });
        }
        if vote.kind == VoteKind::Approve
            && let Some(expected) = &self.confirm_target
            && confirmed.map(str::trim) != Some(expected.as_str())
        {
            return Err(Refusal::TargetMismatch {
                typed: confirmed.unwrap_or_default().to_owned(),
                expected: expected.clone(),
            });
        }
        let kind = vote.kind;
        self.votes.push(vote);
        match kind {
            VoteKind::Refuse => self.state = ApprovalState::Refused,
            VoteKind::Approve => {
                if self.approvals() >= usize::try_from(self.quorum.max(1)).unwrap_or(1) {
                    self.state = ApprovalState::Approved;
                }
            }
        }
        Ok(())
    }

    /// Whether the identical action may run now on the strength of this request.
    pub fn usable(&self, digest: &str, now_ms: i64) -> bool {
        self.state == ApprovalState::Approved && self.digest == digest && !self.expired_at(now_ms)
    }
}

/// A short id from random bytes: the prefix, a dash and eight lowercase letters and
/// digits (without look-alikes), short enough to type: `apr-7kq2mxtd`.
pub fn short_id(prefix: &str, random: [u8; 5]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bits: u64 = 0;
    for byte in random {
        bits = (bits << 8) | u64::from(byte);
    }
    let mut id = format!("{prefix}-");
    for i in (0..8).rev() {
        let index = usize::try_from((bits >> (i * 5)) & 31).unwrap_or(0);
        id.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'a')));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(quorum: u32) -> ApprovalRequest {
        ApprovalRequest {
            id: "apr-test".into(),
            digest: "sha256:aa".into(),
            action: serde_json::json!({}),
            effects: vec![],
            risk: "destroy".into(),
            reasons: vec![],
            policies: vec![],
            quorum,
            confirm_target: None,
            agent: "claude-code".into(),
            session: None,
            created_ms: 0,
            expires_ms: 1_000,
            state: ApprovalState::Pending,
            votes: vec![],
            shown: None,
            asked: None,
            task: None,
        }
    }

    fn approve(human: &str, at_ms: i64) -> Vote {
        Vote {
            human: human.into(),
            kind: VoteKind::Approve,
            reason: None,
            at_ms,
            proof: Some(Proof::Terminal),
        }
    }

    #[test]
    fn quorum_counts_distinct_humans() {
        let mut r = request(2);
        r.answer(approve("alice", 1), None).unwrap();
        assert_eq!(r.state, ApprovalState::Pending);
        assert!(matches!(
            r.answer(approve("alice", 2), None),
            Err(Refusal::AlreadyAnswered { .. })
        ));
        assert_eq!(r.state, ApprovalState::Pending);
        r.answer(approve("bob", 3), None).unwrap();
        assert_eq!(r.state, ApprovalState::Approved);
        assert!(r.usable("sha256:aa", 4));
        assert!(!r.usable("sha256:ab", 4));
    }

    #[test]
    fn the_requester_and_late_answers_are_refused() {
        let mut r = request(1);
        assert_eq!(
            r.answer(approve("claude-code", 1), None),
            Err(Refusal::OwnRequest("claude-code".into()))
        );
        assert_eq!(
            r.answer(approve("alice", 1_000), None),
            Err(Refusal::Expired("apr-test".into()))
        );
    }

    #[test]
    fn a_confirmed_target_must_be_typed_exactly() {
        let mut r = request(1);
        r.confirm_target = Some("postgres:app@production".into());
        assert!(matches!(
            r.answer(approve("alice", 1), Some("postgres:app")),
            Err(Refusal::TargetMismatch { .. })
        ));
        r.answer(approve("alice", 1), Some("postgres:app@production"))
            .unwrap();
        assert_eq!(r.state, ApprovalState::Approved);
    }

    #[test]
    fn one_refusal_ends_the_request() {
        let mut r = request(2);
        r.answer(
            Vote {
                human: "bob".into(),
                kind: VoteKind::Refuse,
                reason: Some("not during the freeze".into()),
                at_ms: 1,
                proof: Some(Proof::Terminal),
            },
            None,
        )
        .unwrap();
        assert_eq!(r.state, ApprovalState::Refused);
        assert!(matches!(
            r.answer(approve("alice", 2), None),
            Err(Refusal::NotPending { .. })
        ));
    }

    #[test]
    fn ids_are_short_and_distinct() {
        let a = short_id("apr", [1, 2, 3, 4, 5]);
        let b = short_id("apr", [1, 2, 3, 4, 6]);
        assert_eq!(a.len(), 12);
        assert_ne!(a, b);
    }
}
