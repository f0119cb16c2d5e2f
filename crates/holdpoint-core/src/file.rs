//! Analysis of an agent's own file tools (Claude Code's `Write`, `Edit`, `Read` and
//! `Grep`, Gemini CLI's `write_file`, Codex's patches): judged by where the file lies,
//! like a shell redirection to the same path.
//!
//! The input is one operation and path per line: `write PATH`, `edit PATH`, `delete
//! PATH`, `read PATH` (a file's contents), `search PATH` (the contents of everything
//! below, as `Grep` reads them) or `list PATH` (names only, as `Glob` and `LS`).

use crate::analysis::{AnalysisContext, Files};
use crate::effect::{Analysis, Effect, ObjectKind, Risk, Scope, Verb};
use crate::shell::paths::{self, Location, Reach, Zone, zone};

/// What file tool calls would do.
pub(crate) fn analyse(input: &str, ctx: &AnalysisContext, files: &dyn Files) -> Analysis {
    let lines: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return one(input, ctx, files);
    }
    let mut analysis = Analysis::default();
    for line in lines {
        let part = one(line, ctx, files);
        for effect in part.effects {
            if !analysis.effects.contains(&effect) {
                analysis.effects.push(effect);
            }
        }
        if analysis.unanalysable.is_none() {
            analysis.unanalysable = part.unanalysable;
        }
    }
    analysis
}

/// What one file tool operation would do to its path.
fn one(input: &str, ctx: &AnalysisContext, files: &dyn Files) -> Analysis {
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
        "read" | "search" | "list" => (Verb::Read, Risk::Read, "reads"),
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
    let absolute = paths::normalise(&ctx.cwd, path);
    let real = files
        .real_path(&absolute)
        .unwrap_or_else(|| absolute.clone());
    if verb == Verb::Read {
        return Analysis {
            effects: vec![read(op, path, &absolute, &real, ctx)],
            unanalysable: None,
            shown: None,
        };
    }
    let place = paths::stricter(
        zone(Some(path), path, &location, ctx),
        zone(Some(&real), &real, &location, ctx),
    );
    let effect = match place {
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
        shown: None,
    }
}

/// What a read tool shows: names only (`list`), a file's contents (`read`), or the
/// contents of everything below (`search`). Contents of holdpoint's home (its key,
/// store, and configuration, which may hold a database password) are only a human's to
/// read; credentials are a read of their own.
fn read(op: &str, path: &str, absolute: &str, real: &str, ctx: &AnalysisContext) -> Effect {
    let reach = if op == "search" {
        Reach::Tree
    } else {
        Reach::One
    };
    // The path where it really is, and as named when that differs (a link).
    let places: &[&str] = if real == absolute {
        &[absolute]
    } else {
        &[absolute, real]
    };
    if op == "list" {
        return Effect::new(
            Verb::Read,
            ObjectKind::File,
            path,
            Risk::Read,
            format!("lists the names in `{path}`"),
        );
    }
    let holdpoint = places.iter().any(|p| {
        paths::in_holdpoint_home(p, ctx)
            || (reach == Reach::Tree && paths::holds_holdpoint_home(p, ctx))
    });
    if holdpoint || names_secret(absolute, ctx) {
        return Effect::self_protection(
            ObjectKind::Holdpoint,
            path,
            format!(
                "reads `{path}`, which holds holdpoint's own files (its configuration, key or store); only a human may"
            ),
        );
    }
    let credentials = places.iter().any(|p| {
        paths::credential(p, ctx) || (reach == Reach::Tree && paths::tree_holds_credentials(p, ctx))
    });
    if credentials {
        return Effect::secret_read(path, format!("reads credentials in `{path}`"));
    }
    Effect::new(
        Verb::Read,
        ObjectKind::File,
        path,
        Risk::Read,
        format!("reads `{path}`"),
    )
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
        .any(|secret| {
            paths::relation(pattern, &format!("{home}/{secret}")) == Some(paths::Relation::Same)
        })
}

/// Whether `path` is holdpoint's signing key or its store (not the directories above
/// them, whose names any command may list).
pub(crate) fn key_or_store(path: &str, ctx: &AnalysisContext) -> bool {
    let Some(home) = &ctx.holdpoint_home else {
        return false;
    };
    let home = home.trim_end_matches('/');
    path.trim_end_matches('/')
        .strip_prefix(home)
        .is_some_and(|rest| rest.starts_with("/keys") || rest.starts_with("/store.db"))
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
            Risk::Destroy,
            true,
        );
        check(
            "read /home/dev/.holdpoin?/holdpoint.toml",
            Risk::Destroy,
            true,
        );
        check("search /home/dev", Risk::Destroy, true);
        check("search /home", Risk::Destroy, true);
        check("list /home/dev", Risk::Read, false);
        check("list /home/dev/.holdpoint", Risk::Read, false);
        check("search /home/dev/project", Risk::Read, false);
        check("read /home/dev/project/.env", Risk::Read, false);
        check("read /home/dev/.ssh/id_ed25519", Risk::Read, false);
        check(
            "read /home/dev/project/README.md\nread /home/dev/.holdpoint/store.db",
            Risk::Destroy,
            true,
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
    fn credential_reads_are_their_own_effect() {
        let mut ctx = AnalysisContext::new("/home/dev/project");
        ctx.home = Some("/home/dev".to_owned());
        for (input, secret) in [
            ("read .env", true),
            ("read .env.example", false),
            ("read /home/dev/.aws/credentials", true),
            ("search /home/dev/.ssh", true),
            ("list /home/dev/.ssh", false),
            ("read src/main.rs", false),
        ] {
            let analysis = analyse(input, &ctx, &crate::NoFiles);
            assert_eq!(analysis.reads_secret(), secret, "{input}");
            assert_eq!(analysis.risk(), Risk::Read, "{input}");
        }
    }

    #[test]
    fn a_file_call_without_a_path_is_unanalysable() {
        let analysis = analyse("write", &AnalysisContext::new("/w"), &crate::NoFiles);
        assert!(analysis.unanalysable.is_some());
        assert!(analysis.risk() >= Risk::Change);
    }
}
