//! Decisions and the one type that lets an action through.

use std::fmt;

use holdpoint_core::{Action, Risk};
use serde::Serialize;

/// What happens to an action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allow,
    /// Hold for human approval.
    Ask,
    /// The default: whatever is not positively allowed or held is refused.
    #[default]
    Deny,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Ask => "ask",
            Outcome::Deny => "deny",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer for one action, with the reasons a person is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub risk: Risk,
    /// Sentences for a person: what the action does, then why the policies decided so.
    pub reasons: Vec<String>,
    /// The ids of the policies that decided.
    pub policies: Vec<String>,
    /// For `ask`: how many distinct humans must approve.
    pub quorum: u32,
    /// For `ask`: the approver must type the name of what the action destroys to confirm.
    pub confirm_target: bool,
    /// The grant that allowed the action, if one did.
    pub grant: Option<String>,
}

impl Decision {
    /// A denial for a reason outside the policies (an error, an invalid input).
    pub fn deny(risk: Risk, reason: impl Into<String>) -> Self {
        Decision {
            outcome: Outcome::Deny,
            risk,
            reasons: vec![reason.into()],
            policies: Vec::new(),
            quorum: 0,
            confirm_target: false,
            grant: None,
        }
    }

    /// A held decision after enough humans approved it: the outcome becomes `allow` and
    /// the reasons say who approved. Any other decision is returned unchanged: an
    /// approval never overrides a denial.
    pub fn approved(mut self, humans: &[String], request: &str) -> Self {
        if self.outcome == Outcome::Ask {
            self.outcome = Outcome::Allow;
            self.reasons.push(format!(
                "approved by {} in request `{request}`",
                humans.join(", ")
            ));
        }
        self
    }

    /// The action, cleared to run, if the decision allows it; otherwise the decision
    /// back. This is the only way to make a [`Permitted`].
    pub fn permit(self, action: Action) -> Result<Permitted<Action>, Decision> {
        match self.outcome {
            Outcome::Allow => Ok(Permitted(action)),
            Outcome::Ask | Outcome::Deny => Err(self),
        }
    }
}

/// A value that policy allowed to run. Only [`Decision::permit`] makes one, so code that
/// executes or forwards takes this type and cannot be handed an undecided action.
#[derive(Debug)]
pub struct Permitted<T>(T);

impl<T> Permitted<T> {
    pub fn get(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}
