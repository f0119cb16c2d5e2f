//! The action model: what an agent proposes, and the digest that binds an approval to it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Where an action enters holdpoint, which decides how its input is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// A shell command line, as an agent's shell tool would run it.
    Shell,
    /// One or more SQL statements for a database.
    Sql,
    /// A tool call to an MCP server.
    Mcp,
    /// An HTTP request.
    Http,
    /// An agent's own file tool (write, edit, delete, read); the input is the operation
    /// and the path, e.g. `write /etc/hosts`.
    File,
}

impl Surface {
    /// The lowercase name used on the command line, in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Shell => "shell",
            Surface::Sql => "sql",
            Surface::Mcp => "mcp",
            Surface::Http => "http",
            Surface::File => "file",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A surface name that holdpoint does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown surface `{0}`: expected `shell` or `sql`")]
pub struct ParseSurfaceError(pub String);

impl FromStr for Surface {
    type Err = ParseSurfaceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "shell" => Ok(Surface::Shell),
            "sql" => Ok(Surface::Sql),
            "mcp" => Ok(Surface::Mcp),
            "http" => Ok(Surface::Http),
            "file" => Ok(Surface::File),
            other => Err(ParseSurfaceError(other.to_owned())),
        }
    }
}

/// The environment a target belongs to. Where nothing says otherwise, holdpoint assumes
/// production: an unknown environment is treated as the strictest one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Staging,
    Development,
}

impl Environment {
    /// The lowercase name used on the command line, in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
            Environment::Development => "development",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An environment name that holdpoint does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment `{0}`: expected `production`, `staging` or `development`")]
pub struct ParseEnvironmentError(pub String);

impl FromStr for Environment {
    type Err = ParseEnvironmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "production" | "prod" => Ok(Environment::Production),
            "staging" | "stage" => Ok(Environment::Staging),
            "development" | "dev" => Ok(Environment::Development),
            _ => Err(ParseEnvironmentError(s.to_owned())),
        }
    }
}

/// What an agent proposes to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub surface: Surface,
    /// The input exactly as the agent gave it.
    pub input: String,
    /// The working directory the action would run in.
    pub cwd: String,
    /// The target system, e.g. `postgres:app@production` or `shell:host@production`.
    pub target: String,
    pub environment: Environment,
    /// The agent identity that proposed the action.
    pub agent: String,
    /// The agent's session, when its runtime names one. Not part of the digest: a retry
    /// from a new session is still the same action.
    pub session: Option<String>,
    /// Content hashes (`sha256:…`) of the scripts or files the action executes, so that
    /// an approval does not carry over to a script whose text has changed.
    pub executed_content: Vec<String>,
}

/// The version tag of the canonical encoding. Changing the encoding means a new tag, so
/// that a digest never silently changes meaning.
const CANONICAL_V1: &[u8] = b"holdpoint.action.v1";

impl Action {
    /// The input as it takes part in the digest: line endings unified and surrounding
    /// white space removed, which changes nothing a shell or database would run.
    pub fn normalised_input(&self) -> String {
        self.input.replace("\r\n", "\n").trim().to_owned()
    }

    /// The canonical encoding: a version tag, then each field that makes two actions the
    /// same, length-prefixed so that no two different actions encode alike.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.input.len());
        push_field(&mut out, CANONICAL_V1);
        push_field(&mut out, self.surface.as_str().as_bytes());
        push_field(&mut out, self.normalised_input().as_bytes());
        push_field(&mut out, self.cwd.as_bytes());
        push_field(&mut out, self.target.as_bytes());
        push_field(&mut out, self.environment.as_str().as_bytes());
        push_field(&mut out, self.agent.as_bytes());
        let mut content = self.executed_content.clone();
        content.sort();
        push_field(&mut out, &(content.len() as u64).to_be_bytes());
        for hash in &content {
            push_field(&mut out, hash.as_bytes());
        }
        out
    }

    /// SHA-256 over the canonical encoding.
    pub fn digest(&self) -> ActionDigest {
        ActionDigest(Sha256::digest(self.canonical_bytes()).into())
    }
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The SHA-256 digest of an action's canonical encoding, shown as `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionDigest(pub [u8; 32]);

impl fmt::Display for ActionDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::with_capacity(7 + 64);
        text.push_str("sha256:");
        for byte in self.0 {
            for digit in [byte >> 4, byte & 0x0f] {
                text.push(char::from_digit(u32::from(digit), 16).unwrap_or('0'));
            }
        }
        f.write_str(&text)
    }
}

impl fmt::Debug for ActionDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for ActionDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Hex SHA-256 of some content, as recorded in [`Action::executed_content`].
pub fn content_hash(content: &[u8]) -> String {
    let digest: [u8; 32] = Sha256::digest(content).into();
    ActionDigest(digest).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(input: &str) -> Action {
        Action {
            surface: Surface::Shell,
            input: input.to_owned(),
            cwd: "/home/dev/project".to_owned(),
            target: "shell:host@production".to_owned(),
            environment: Environment::Production,
            agent: "claude".to_owned(),
            session: Some("s1".to_owned()),
            executed_content: vec![],
        }
    }

    #[test]
    fn digest_is_stable_across_versions() {
        // Pinned: a change here breaks every stored approval, so it must be deliberate
        // and come with a new version tag.
        assert_eq!(
            action("rm -rf /tmp/x").digest().to_string(),
            "sha256:ab708d1e9d540439a216ac8af813f277a428716295f783236d3813ce196ef278"
        );
        assert_eq!(action("ls").digest(), action("  ls\n").digest());
        assert_eq!(action("ls").digest(), action("ls\r\n").digest());
    }

    #[test]
    fn one_changed_byte_changes_the_digest() {
        assert_ne!(
            action("rm -rf /tmp/x").digest(),
            action("rm -rf /tmp/y").digest()
        );
        let mut other_agent = action("ls");
        other_agent.agent = "codex".to_owned();
        assert_ne!(action("ls").digest(), other_agent.digest());
        let mut other_cwd = action("ls");
        other_cwd.cwd = "/srv".to_owned();
        assert_ne!(action("ls").digest(), other_cwd.digest());
    }

    #[test]
    fn session_is_not_part_of_the_digest() {
        let mut retry = action("ls");
        retry.session = Some("s2".to_owned());
        assert_eq!(action("ls").digest(), retry.digest());
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let mut a = action("ab");
        a.cwd = "c".to_owned();
        let mut b = action("a");
        b.cwd = "bc".to_owned();
        assert_ne!(a.digest(), b.digest());
    }
}
