//! Analysis of an agent's own file tools (Claude Code's `Write` and `Edit`, Gemini CLI's
//! `write_file`, Codex's patches): judged by where the file lies, like a shell
//! redirection to the same path.
//!
//! The input is the operation and the path: `write PATH`, `edit PATH`, `delete PATH` or
//! `read PATH`.

use crate::analysis::{AnalysisContext, Files};
use crate::effect::{Analysis, Effect, ObjectKind, Risk, Scope, Verb};
use crate::shell::paths::{Location, Zone, zone};

/// What a file tool would do to `path`.
pub(crate) fn analyse(input: &str, ctx: &AnalysisContext, files: &dyn Files) -> Analysis {
    let input = input.trim();
    let (op, path) = input.split_once(' ').unwrap_or((input, ""));
    let path = path.trim();
    if path.is_empty() {
        return Analysis::unanalysable(
            format!("`{input}` names no file"),
            "a file tool call without a path".to_owned(),
        );
    }
    let (verb, outside_risk, doing) = match op {
        "read" => (Verb::Read, Risk::Read, "reads"),
        "edit" => (Verb::Write, Risk::Change, "edits"),
        // A whole-file write replaces whatever the file held, like `>`.
        "write" => (Verb::Write, Risk::Destroy, "overwrites"),
        "delete" => (Verb::Delete, Risk::Destroy, "deletes"),
        other => {
            return Analysis::unanalysable(
                format!("unknown file operation `{other}`"),
                format!("a file tool `{other}` holdpoint does not know"),
            );
        }
    };
    let location = Location::Local(Some(ctx.cwd.clone()));
    // Judge the file where it really is: a link in the workspace may point into
    // holdpoint's own files.
    let absolute = crate::shell::paths::normalise(&ctx.cwd, path);
    let real = files.real_path(&absolute).unwrap_or(absolute);
    let place = crate::shell::paths::stricter(
        zone(Some(path), path, &location, ctx),
        zone(Some(&real), &real, &location, ctx),
    );
    let effect = match place {
        // The signing key and the store hold what an agent must never see: a key that
        // could forge checkpoints and receipts, and the approvers' secret hashes.
        Zone::Protected(kind)
            if verb == Verb::Read && (secret(&real, ctx) || names_secret(&real, ctx)) =>
        {
            Effect::self_protection(
                kind,
                path,
                format!("reads `{path}`, holdpoint's signing key or store; only a human may"),
            )
        }
        _ if verb == Verb::Read => Effect::new(
            verb,
            ObjectKind::File,
            path,
            Risk::Read,
            format!("reads `{path}`"),
        ),
        Zone::Protected(kind) => Effect::self_protection(
            kind,
            path,
            format!("{doing} `{path}`, which protects holdpoint; only a human may"),
        ),
        Zone::Workspace | Zone::Temp => Effect::new(
            verb,
            ObjectKind::File,
            path,
            Risk::Workspace,
            format!("{doing} `{path}` in the workspace"),
        ),
        Zone::WholeWorkspace => Effect::new(
            verb,
            ObjectKind::Repository,
            path,
            outside_risk.max(Risk::Change),
            format!("{doing} `{path}`, the workspace or its history"),
        )
        .with_scope(Scope::All),
        Zone::Harmless => Effect::new(
            verb,
            ObjectKind::File,
            path,
            Risk::Read,
            format!("writes to `{path}`, which keeps nothing"),
        ),
        Zone::Device => Effect::new(
            verb,
            ObjectKind::Device,
            path,
            Risk::Destroy,
            format!("{doing} the device `{path}`"),
        ),
        Zone::Outside => Effect::new(
            verb,
            ObjectKind::File,
            path,
            outside_risk,
            format!("{doing} `{path}` outside the workspace"),
        ),
    };
    Analysis {
        effects: vec![effect],
        unanalysable: None,
    }
}

/// Whether a glob pattern (`~/.holdpoint/k*/*.key`) could match holdpoint's signing key
/// or its store.
pub(crate) fn names_secret(pattern: &str, ctx: &AnalysisContext) -> bool {
    let Some(home) = &ctx.holdpoint_home else {
        return false;
    };
    if !pattern.contains(['*', '?', '[']) {
        return false;
    }
    let home = home.trim_end_matches('/');
    ["keys/ledger.key", "store.db", "store.db-wal"]
        .iter()
        .any(|secret| crate::glob_match(pattern, &format!("{home}/{secret}")))
}

/// Whether `path` is holdpoint's signing key or its store, or a directory holding them.
pub(crate) fn secret(path: &str, ctx: &AnalysisContext) -> bool {
    let Some(home) = &ctx.holdpoint_home else {
        return false;
    };
    let home = home.trim_end_matches('/');
    // The directory itself too: a recursive search, copy or archive of it reads them.
    path.trim_end_matches('/')
        .strip_prefix(home)
        .is_some_and(|rest| {
            rest.is_empty() || rest.starts_with("/keys") || rest.starts_with("/store.db")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, risk: Risk, self_protection: bool) {
        let mut ctx = AnalysisContext::new("/home/dev/project");
        ctx.home = Some("/home/dev".to_owned());
        ctx.holdpoint_home = Some("/home/dev/.holdpoint".to_owned());
        let analysis = analyse(input, &ctx, &crate::NoFiles);
        assert_eq!(analysis.risk(), risk, "{input}");
        assert_eq!(analysis.self_protection(), self_protection, "{input}");
    }

    #[test]
    fn file_tools_are_judged_by_where_the_file_is() {
        check(
            "write /home/dev/project/src/main.rs",
            Risk::Workspace,
            false,
        );
        check("edit src/lib.rs", Risk::Workspace, false);
        check("write /tmp/scratch.txt", Risk::Workspace, false);
        check("edit /etc/hosts", Risk::Change, false);
        check("write /etc/hosts", Risk::Destroy, false);
        check("delete /srv/data/db.sqlite", Risk::Destroy, false);
        check("read /etc/passwd", Risk::Read, false);
        check("edit /home/dev/.claude/settings.json", Risk::Destroy, true);
        check(
            "edit /home/dev/project/.claude/settings.json",
            Risk::Destroy,
            true,
        );
        check(
            "write /home/dev/.holdpoint/holdpoint.toml",
            Risk::Destroy,
            true,
        );
        check("write /home/dev/.holdpoint/store.db", Risk::Destroy, true);
        check(
            "read /home/dev/.holdpoint/holdpoint.toml",
            Risk::Read,
            false,
        );
        check(
            "read /home/dev/.holdpoint/keys/ledger.key",
            Risk::Destroy,
            true,
        );
        check("read /home/dev/.holdpoint/store.db", Risk::Destroy, true);
        check("read /home/dev/.holdpoint", Risk::Destroy, true);
        check("read /home/dev/.holdpoint/k*/*.key", Risk::Destroy, true);
    }

    #[test]
    fn a_file_call_without_a_path_is_unanalysable() {
        let analysis = analyse("write", &AnalysisContext::new("/w"), &crate::NoFiles);
        assert!(analysis.unanalysable.is_some());
        assert!(analysis.risk() >= Risk::Change);
    }
}
