//! Where a path lies: in the workspace, in scratch space, on a device, in holdpoint's own
//! files, or somewhere on the machine that matters.

use crate::analysis::AnalysisContext;
use crate::effect::ObjectKind;

/// The part of the machine a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Zone {
    /// The agent's working directory or below.
    Workspace,
    /// The workspace itself, or its repository history (`.`, `*`, `.git`): losing it is
    /// losing all uncommitted work.
    WholeWorkspace,
    /// Temporary directories.
    Temp,
    /// `/dev/null`, standard streams, terminals: writing there loses nothing.
    Harmless,
    /// A block or character device that holds data.
    Device,
    /// holdpoint's configuration, store, policies or keys, or an agent's hook settings.
    Protected(ObjectKind),
    /// Anywhere else, including paths that are only known when the command runs.
    Outside,
}

/// The directory commands run in, as far as analysis can follow `cd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// A directory on this machine; `None` once a `cd` went somewhere unknown.
    Local(Option<String>),
    /// Another machine, reached by `ssh`, `kubectl exec` or `docker exec`.
    Remote(String),
}

/// Files an agent's runtime reads its hook configuration from.
const HOOK_SETTINGS: &[&str] = &[
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude",
    ".codex/hooks.json",
    ".codex/config.toml",
    ".codex",
    ".gemini/settings.json",
    ".gemini",
    ".cursor/hooks.json",
    ".cursor",
    "claude-code/managed-settings.json",
];

/// Resolves `path` against `dir` and removes `.` and `..` components.
pub(crate) fn normalise(dir: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
        || dir.is_empty()
}

/// Whether the text of a path names holdpoint's files or an agent's hook settings.
pub(crate) fn protected(path: &str, ctx: &AnalysisContext) -> Option<ObjectKind> {
    if path.contains("HOLDPOINT_HOME") {
        return Some(ObjectKind::Holdpoint);
    }
    let trimmed = path.trim_end_matches('/');
    // A pattern (`find ~ -name '.hold*'`) is protected when it could name a protected
    // file. Like the shell's, only a pattern that starts with a dot matches dotfiles.
    let pattern = |component: &str, name: &str| {
        component == name
            || (component.starts_with('.')
                && component.contains('*')
                && crate::pattern::glob_match(component, name))
    };
    if trimmed.split('/').any(|c| pattern(c, ".holdpoint"))
        || ctx
            .holdpoint_home
            .as_deref()
            .is_some_and(|home| is_under(trimmed, home))
    {
        return Some(ObjectKind::Holdpoint);
    }
    if HOOK_SETTINGS
        .iter()
        .any(|hook| trimmed == *hook || trimmed.ends_with(&format!("/{hook}")))
        || trimmed.split('/').any(|c| {
            [".claude", ".codex", ".gemini", ".cursor"]
                .iter()
                .any(|d| c != *d && pattern(c, d))
        })
    {
        return Some(ObjectKind::HookSettings);
    }
    None
}

/// The stricter of two zones: the one whose writes risk more.
pub(crate) fn stricter(a: Zone, b: Zone) -> Zone {
    fn rank(zone: &Zone) -> u8 {
        match zone {
            Zone::Harmless => 0,
            Zone::Temp => 1,
            Zone::Workspace => 2,
            Zone::WholeWorkspace => 3,
            Zone::Outside => 4,
            Zone::Device => 5,
            Zone::Protected(_) => 6,
        }
    }
    if rank(&b) > rank(&a) { b } else { a }
}

/// The zone of a path word. `value` is `None` when the path is only known at run time.
pub(crate) fn zone(
    value: Option<&str>,
    text: &str,
    location: &Location,
    ctx: &AnalysisContext,
) -> Zone {
    let Some(path) = value else {
        return match protected(text, ctx) {
            Some(kind) => Zone::Protected(kind),
            None => Zone::Outside,
        };
    };
    let dir = match location {
        Location::Local(Some(dir)) => Some(dir.as_str()),
        Location::Local(None) | Location::Remote(_) => None,
    };
    let absolute = match (path.starts_with('/'), dir) {
        (true, _) => normalise("/", path),
        (false, Some(dir)) => normalise(dir, path),
        (false, None) => {
            // Relative to a directory analysis cannot know: only its name can be judged.
            return match protected(path, ctx) {
                Some(kind) => Zone::Protected(kind),
                None => Zone::Outside,
            };
        }
    };
    if let Some(kind) = protected(&absolute, ctx) {
        return Zone::Protected(kind);
    }
    if let Some(device) = absolute.strip_prefix("/dev/") {
        let harmless = [
            "null", "zero", "stdout", "stderr", "stdin", "tty", "random", "urandom", "full",
        ];
        return if harmless.contains(&device)
            || device.starts_with("fd/")
            || device.starts_with("pts/")
        {
            Zone::Harmless
        } else if device.starts_with("shm/") {
            Zone::Temp
        } else {
            Zone::Device
        };
    }
    if ctx.temp_dirs.iter().any(|tmp| is_under(&absolute, tmp)) {
        return Zone::Temp;
    }
    if matches!(location, Location::Remote(_)) {
        return Zone::Outside;
    }
    let workspace = normalise("/", ctx.workspace());
    if workspace == "/" || !is_under(&absolute, &workspace) {
        return Zone::Outside;
    }
    let relative = absolute
        .strip_prefix(&workspace)
        .unwrap_or("")
        .trim_start_matches('/');
    let first = relative.split('/').next().unwrap_or("");
    if relative.is_empty() || first == ".git" || relative == "*" || relative == ".*" {
        return Zone::WholeWorkspace;
    }
    Zone::Workspace
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Zone) {
        let mut ctx = AnalysisContext::new("/home/dev/project");
        ctx.home = Some("/home/dev".to_owned());
        let location = Location::Local(Some("/home/dev/project".to_owned()));
        assert_eq!(zone(Some(path), path, &location, &ctx), expected, "{path}");
    }

    #[test]
    fn zones() {
        check("src/main.rs", Zone::Workspace);
        check("./target", Zone::Workspace);
        check("/home/dev/project/build", Zone::Workspace);
        check(".", Zone::WholeWorkspace);
        check("*", Zone::WholeWorkspace);
        check(".git", Zone::WholeWorkspace);
        check("/home/dev/project/", Zone::WholeWorkspace);
        check("..", Zone::Outside);
        check("../other", Zone::Outside);
        check("src/../../x", Zone::Outside);
        check("/home/dev/project-old", Zone::Outside);
        check("/etc/hosts", Zone::Outside);
        check("/tmp/x", Zone::Temp);
        check("/dev/null", Zone::Harmless);
        check("/dev/sda", Zone::Device);
        check(
            "/home/dev/.holdpoint/keys",
            Zone::Protected(ObjectKind::Holdpoint),
        );
        check(
            ".claude/settings.json",
            Zone::Protected(ObjectKind::HookSettings),
        );
        check(
            "/home/dev/.codex/hooks.json",
            Zone::Protected(ObjectKind::HookSettings),
        );
    }
}
