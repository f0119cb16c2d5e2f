//! Grants and freezes: the task-scoped permissions and the change freezes that humans
//! issue, as the decision sees them.

use holdpoint_core::{Environment, Risk, glob_match};
use serde::{Deserialize, Serialize};

/// A task-scoped, time-boxed permission issued by a human to an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub agent: String,
    pub task: String,
    /// Targets it covers; `*` in a pattern matches any run of characters
    /// (`postgres:app@production`, `shell:*@staging`).
    pub targets: Vec<String>,
    /// The highest risk it allows without a new approval.
    pub max_risk: Risk,
    /// Seconds since the epoch after which it no longer applies.
    pub expires_at: i64,
    pub revoked: bool,
}

impl Grant {
    /// Whether the grant covers this agent acting on this target at this risk now.
    pub fn covers(&self, agent: &str, target: &str, risk: Risk, now: i64) -> bool {
        !self.revoked
            && now < self.expires_at
            && self.agent == agent
            && risk <= self.max_risk
            && self
                .targets
                .iter()
                .any(|pattern| glob_match(pattern, target))
    }
}

/// A window during which changes to an environment are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub environment: Environment,
    pub reason: String,
    pub starts_at: i64,
    /// When it ends by itself; `None` until a human ends it.
    pub until: Option<i64>,
    pub ended: bool,
}

impl Freeze {
    pub fn active(&self, environment: Environment, now: i64) -> bool {
        !self.ended
            && self.environment == environment
            && self.starts_at <= now
            && self.until.is_none_or(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            id: "g1".to_owned(),
            agent: "claude".to_owned(),
            task: "fix the config".to_owned(),
            targets: vec!["postgres:*@staging".to_owned()],
            max_risk: Risk::Change,
            expires_at: 1_000,
            revoked: false,
        }
    }

    #[test]
    fn a_grant_covers_only_its_agent_targets_risk_and_time() {
        let g = grant();
        assert!(g.covers("claude", "postgres:app@staging", Risk::Change, 10));
        assert!(!g.covers("codex", "postgres:app@staging", Risk::Change, 10));
        assert!(!g.covers("claude", "postgres:app@production", Risk::Change, 10));
        assert!(!g.covers("claude", "postgres:app@staging", Risk::Destroy, 10));
        assert!(!g.covers("claude", "postgres:app@staging", Risk::Change, 1_000));
        assert!(
            !Grant {
                revoked: true,
                ..grant()
            }
            .covers("claude", "postgres:app@staging", Risk::Read, 10)
        );
    }

    #[test]
    fn a_freeze_is_active_in_its_window() {
        let f = Freeze {
            environment: Environment::Production,
            reason: "release".to_owned(),
            starts_at: 10,
            until: Some(20),
            ended: false,
        };
        // A freeze holds from its first second to the one before it ends, and not a
        // second earlier: an action decided before it started was not frozen.
        assert!(!f.active(Environment::Production, 9));
        assert!(f.active(Environment::Production, 10));
        assert!(f.active(Environment::Production, 19));
        assert!(!f.active(Environment::Production, 20));
        assert!(!f.active(Environment::Staging, 15));
        assert!(!Freeze { ended: true, ..f }.active(Environment::Production, 15));
    }
}
