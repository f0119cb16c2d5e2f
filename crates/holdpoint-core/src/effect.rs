//! Effects: what analysis finds an action would do, and the risk that follows.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much an action can hurt, in increasing order.
///
/// `Workspace` sits between reading and changing: writes confined to the agent's working
/// directory or to temporary directories are routine work (editing, building, testing),
/// not changes to a real system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Read,
    Workspace,
    Change,
    Destroy,
}

impl Risk {
    /// The lowercase name, which is also the Cedar action id.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Read => "read",
            Risk::Workspace => "workspace",
            Risk::Change => "change",
            Risk::Destroy => "destroy",
        }
    }

    pub const ALL: [Risk; 4] = [Risk::Read, Risk::Workspace, Risk::Change, Risk::Destroy];
}

/// A risk class name that holdpoint does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown risk `{0}`: expected `read`, `workspace`, `change` or `destroy`")]
pub struct ParseRiskError(pub String);

impl std::str::FromStr for Risk {
    type Err = ParseRiskError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Risk::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseRiskError(s.to_owned()))
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an effect does to its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Read,
    Write,
    Delete,
    Execute,
    Admin,
}

/// The kind of thing an effect acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    File,
    Device,
    Repository,
    Database,
    Table,
    Schema,
    Role,
    Row,
    Service,
    Process,
    Host,
    Infrastructure,
    Cluster,
    Container,
    Package,
    Secret,
    Storage,
    Network,
    Code,
    Command,
    Holdpoint,
    HookSettings,
    /// The settings that decide how a database reads SQL text (`client_encoding`,
    /// `standard_conforming_strings`).
    SqlReading,
}

/// How much of the object an effect touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    One,
    Some,
    All,
}

/// One thing an action would do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Effect {
    pub verb: Verb,
    pub object: ObjectKind,
    /// The object's name as far as analysis can tell (`users`, `/var/lib/postgresql`).
    pub name: String,
    pub scope: Scope,
    pub risk: Risk,
    pub reversible: bool,
    /// Analysis could not see inside: a variable command name, downloaded code, dynamic
    /// SQL. An opaque effect is never `read`.
    pub opaque: bool,
    /// The effect would weaken holdpoint itself: approve, grant, end a freeze, or write
    /// holdpoint's files or an agent's hook settings.
    pub self_protection: bool,
    /// The action runs the project's own code (its tests, build scripts, package
    /// scripts), which can do anything the user can: `workspace` only where the kernel
    /// confines it to the workspace.
    pub runs_project_code: bool,
    /// One sentence for a person: "deletes every row of table `users`".
    pub summary: String,
}

impl Effect {
    /// An effect with the given verb, object, risk and summary; one object, reversible
    /// unless the risk is `destroy`.
    pub fn new(
        verb: Verb,
        object: ObjectKind,
        name: impl Into<String>,
        risk: Risk,
        summary: impl Into<String>,
    ) -> Self {
        Effect {
            verb,
            object,
            name: name.into(),
            scope: Scope::One,
            risk,
            reversible: risk < Risk::Destroy,
            opaque: false,
            self_protection: false,
            runs_project_code: false,
            summary: summary.into(),
        }
    }

    /// Something analysis cannot see inside. `risk` is raised to at least `change`.
    pub fn opaque(name: impl Into<String>, risk: Risk, summary: impl Into<String>) -> Self {
        let mut effect = Effect::new(
            Verb::Execute,
            ObjectKind::Code,
            name,
            risk.max(Risk::Change),
            summary,
        );
        effect.opaque = true;
        effect
    }

    /// An effect on holdpoint itself or on an agent's hook settings.
    pub fn self_protection(
        object: ObjectKind,
        name: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        let mut effect = Effect::new(Verb::Admin, object, name, Risk::Destroy, summary);
        effect.self_protection = true;
        effect
    }

    /// A read of credentials (`read:secret`): a key, a token, a password file, the
    /// environment. It changes nothing, so its risk is `read`, but what it shows cannot
    /// be taken back; the default pack holds it in production.
    pub fn secret_read(name: impl Into<String>, summary: impl Into<String>) -> Self {
        Effect::new(Verb::Read, ObjectKind::Secret, name, Risk::Read, summary)
    }

    /// Whether this effect reads credentials.
    pub fn reads_secret(&self) -> bool {
        self.verb == Verb::Read && self.object == ObjectKind::Secret
    }

    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }
}

/// Everything analysis found about one action.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    pub effects: Vec<Effect>,
    /// Why the input could not be analysed at all (it did not parse), if so. Such an
    /// action is opaque and is never allowed without a human.
    pub unanalysable: Option<String>,
    /// What an approver is shown of the action's content beyond its input: the text a
    /// file tool writes, an edit's lines before and after. Made from the same bytes whose
    /// hash is in the action's digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
}

impl Analysis {
    /// The highest risk among the effects; `read` for an action with no effect.
    pub fn risk(&self) -> Risk {
        self.effects
            .iter()
            .map(|e| e.risk)
            .max()
            .unwrap_or(Risk::Read)
    }

    /// Whether the action is `workspace` work only because the project's own code it
    /// runs is expected to stay in the workspace: it is that only where it is confined.
    pub fn runs_project_code(&self) -> bool {
        self.risk() == Risk::Workspace && self.effects.iter().any(|e| e.runs_project_code)
    }

    pub fn opaque(&self) -> bool {
        self.unanalysable.is_some() || self.effects.iter().any(|e| e.opaque)
    }

    pub fn self_protection(&self) -> bool {
        self.effects.iter().any(|e| e.self_protection)
    }

    /// Whether the action reads credentials (`read:secret`).
    pub fn reads_secret(&self) -> bool {
        self.effects.iter().any(Effect::reads_secret)
    }

    /// The effects that set the risk, for reasons shown to a person. Read effects are
    /// left out when anything riskier is present.
    pub fn deciding_effects(&self) -> impl Iterator<Item = &Effect> {
        let risk = self.risk();
        self.effects.iter().filter(move |e| {
            e.risk == risk
                || e.self_protection
                || e.reads_secret()
                || (e.opaque && risk > Risk::Read)
        })
    }

    pub(crate) fn unanalysable(reason: String, summary: String) -> Self {
        Analysis {
            effects: vec![Effect::opaque("input", Risk::Change, summary)],
            unanalysable: Some(reason),
            shown: None,
        }
    }
}
