//! Where a path lies: in the workspace, in scratch space, on a device, in holdpoint's own
//! files, or somewhere on the machine that matters; and whether it holds credentials.
//!
//! A path may be a glob (`~/.[!.]*`, `.[g]it`, `?*`): it is judged by the strictest of
//! everything it could name, component by component, as bash would match it. An
//! operation may reach one path or the whole tree below it (a recursive delete, copy,
//! search or archive): a tree that contains holdpoint's home or an agent's hook settings
//! reaches them.

use std::sync::LazyLock;

use crate::analysis::{AnalysisContext, Files};
use crate::effect::ObjectKind;
use crate::pattern::{component_match, has_glob, matches_nearly_everything, name_match};

/// The part of the machine a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Zone {
    /// The agent's working directory or below.
    Workspace,
    /// The workspace itself, or its repository history (`.`, `*`, `.git`): losing it is
    /// losing all uncommitted work.
    WholeWorkspace,
    /// Inside a temporary directory (never the temporary directory itself).
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

/// How much of what a path names an operation reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// The path itself (a file read, a link removed, `rm` without `-r`).
    One,
    /// The path and everything below it (`rm -r`, `cp -r`, `grep -r`, `tar c`, `chmod
    /// -R`, a directory mounted into a container or an archive unpacked into it).
    Tree,
}

/// Files an agent's runtime reads its hook configuration from, and the files it reads
/// its MCP servers from: an agent that points a server past holdpoint's gateway (or
/// drops the hook) escapes it either way.
const HOOK_SETTINGS: &[&str] = &[
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude",
    ".claude.json",
    ".mcp.json",
    ".codex/hooks.json",
    ".codex/config.toml",
    ".codex",
    ".gemini/settings.json",
    ".gemini",
    ".cursor/hooks.json",
    ".cursor/mcp.json",
    ".cursor",
    "claude-code/managed-settings.json",
    "claude-code/managed-mcp.json",
];

/// The directories of hook settings in the home directory, and the system's: a tree
/// that holds one of them reaches the hooks.
const HOOK_DIRS: &[&str] = &[".claude", ".codex", ".gemini", ".cursor"];
const SYSTEM_HOOK_DIR: &str = "/etc/claude-code";

/// MCP settings files that lie directly in a project or the home directory, not in one
/// of the directories above.
const MCP_SETTINGS_FILES: &[&str] = &[".mcp.json", ".claude.json"];

/// The names hook and MCP settings files have, for `find` patterns that could match
/// them.
const HOOK_FILES: &[&str] = &[
    "settings.json",
    ".claude.json",
    ".mcp.json",
    "mcp.json",
    "managed-mcp.json",
    "settings.local.json",
    "hooks.json",
    "config.toml",
    "managed-settings.json",
    ".claude",
    ".codex",
    ".gemini",
    ".cursor",
];

/// Resolves `path` against `dir` and removes `.` and `..` components.
pub(crate) fn normalise(dir: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    };
    // Most paths are already in normal form: nothing to remove.
    let normal = joined.starts_with('/')
        && !joined.contains("//")
        && !joined.contains("/./")
        && !joined.contains("/../")
        && !joined.ends_with("/.")
        && !joined.ends_with("/..")
        && (joined.len() == 1 || !joined.ends_with('/'));
    if normal {
        return joined;
    }
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

fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).collect()
}

/// A name a glob component could stand for, to test one glob against another.
fn sample(component: &str) -> String {
    component
        .chars()
        .map(|c| match c {
            '*' | '?' => 'x',
            other => other,
        })
        .filter(|c| !matches!(c, '[' | ']' | '!' | '^' | '\\'))
        .collect()
}

/// Whether two path components, either of which may be a glob, could name the same
/// entry.
fn could_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (has_glob(a), has_glob(b)) {
        (false, false) => false,
        (true, false) => component_match(a, b),
        (false, true) => component_match(b, a),
        (true, true) => component_match(a, &sample(b)) || component_match(b, &sample(a)),
    }
}

/// How a path (possibly a glob) stands to another path (possibly a glob).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Relation {
    /// It could be that path.
    Same,
    /// It could be a directory that holds that path.
    Above,
    /// It could be something inside that path.
    Below,
}

/// How the absolute path `path` could stand to the absolute path `target`; `None` when
/// it cannot name it, anything holding it or anything inside it.
pub(crate) fn relation(path: &str, target: &str) -> Option<Relation> {
    relation_to(path, target.split('/'))
}

/// [`relation`] to the path whose components `target` gives, which need not be written
/// out.
fn relation_to<'a>(path: &str, target: impl Iterator<Item = &'a str>) -> Option<Relation> {
    let mut ours = path.split('/').filter(|c| !c.is_empty());
    let mut theirs = target.filter(|c| !c.is_empty());
    loop {
        match (ours.next(), theirs.next()) {
            (Some(a), Some(b)) if could_match(a, b) => {}
            (Some(_), Some(_)) => return None,
            (None, None) => return Some(Relation::Same),
            (None, Some(_)) => return Some(Relation::Above),
            (Some(_), None) => return Some(Relation::Below),
        }
    }
}

/// Whether the text of a path names holdpoint's files or an agent's hook settings: the
/// path itself or (for a glob) anything it could match.
pub(crate) fn protected(path: &str, ctx: &AnalysisContext) -> Option<ObjectKind> {
    if path.contains("HOLDPOINT_HOME") {
        return Some(ObjectKind::Holdpoint);
    }
    let trimmed = path.trim_end_matches('/');
    if names_holdpoint_dir(trimmed)
        || holdpoint_homes(ctx).iter().any(|home| {
            trimmed.starts_with('/')
                && matches!(
                    relation(trimmed, home),
                    Some(Relation::Same | Relation::Below)
                )
        })
    {
        return Some(ObjectKind::Holdpoint);
    }
    if HOOK_SETTINGS.iter().any(|hook| {
        trimmed
            .strip_suffix(hook)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
    }) {
        return Some(ObjectKind::HookSettings);
    }
    if has_glob(trimmed) {
        let names_hooks = if trimmed.starts_with('/') {
            // A glob is judged against the places agents read hook settings from.
            let mut bases = vec![normalise("/", ctx.workspace())];
            bases.extend(ctx.home.as_deref().map(|h| normalise("/", h)));
            bases.push("/etc".to_owned());
            bases.iter().any(|base| {
                HOOK_SETTINGS.iter().any(|hook| {
                    relation(trimmed, &format!("{base}/{hook}")) == Some(Relation::Same)
                })
            })
        } else {
            components(trimmed).iter().any(|c| {
                HOOK_DIRS
                    .iter()
                    .chain(MCP_SETTINGS_FILES)
                    .any(|d| could_match(c, d))
            })
        };
        if names_hooks {
            return Some(ObjectKind::HookSettings);
        }
    }
    None
}

/// Where holdpoint's home is: the one in use, and `~/.holdpoint`, where it is unless told
/// otherwise (and where another one may be).
pub(crate) fn holdpoint_homes(ctx: &AnalysisContext) -> Vec<String> {
    let mut homes: Vec<String> = ctx
        .holdpoint_home
        .iter()
        .map(|home| normalise("/", home))
        .collect();
    if let Some(home) = ctx.home.as_deref().filter(|h| *h != "/") {
        let default = normalise(home, ".holdpoint");
        if !homes.contains(&default) {
            homes.push(default);
        }
    }
    homes
}

/// Whether a path has a `.holdpoint` component, holdpoint's home wherever it lies; a
/// glob counts where the directory it is relative to is not known (an absolute glob is
/// judged against the real home by [`relation`]).
fn names_holdpoint_dir(path: &str) -> bool {
    let relative = !path.starts_with('/');
    path.split('/')
        .any(|c| c == ".holdpoint" || (relative && !c.is_empty() && could_match(c, ".holdpoint")))
}

/// The places whose loss or exposure weakens holdpoint, each with what it is: its home
/// and the agents' hook settings directories.
fn protected_roots(ctx: &AnalysisContext) -> Vec<(String, ObjectKind)> {
    let mut roots: Vec<(String, ObjectKind)> = holdpoint_homes(ctx)
        .into_iter()
        .map(|home| (home, ObjectKind::Holdpoint))
        .collect();
    if let Some(home) = &ctx.home {
        for dir in HOOK_DIRS {
            roots.push((normalise(home, dir), ObjectKind::HookSettings));
        }
    }
    roots.push((SYSTEM_HOOK_DIR.to_owned(), ObjectKind::HookSettings));
    roots
}

/// Whether an operation on the whole tree at `absolute` reaches holdpoint's files or
/// hook settings because the tree holds them (`rm -rf ~`, `chmod -R 000 /home`).
pub(crate) fn tree_protected(absolute: &str, ctx: &AnalysisContext) -> Option<ObjectKind> {
    protected_roots(ctx).into_iter().find_map(|(root, kind)| {
        matches!(
            relation(absolute, &root),
            Some(Relation::Same | Relation::Above)
        )
        .then_some(kind)
    })
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
    zone_reaching(value, text, location, ctx, Reach::One)
}

/// The absolute path a path word stands for, where the directory it is relative to is
/// known.
pub(crate) fn absolute(value: &str, location: &Location) -> Option<String> {
    match (value.starts_with('/'), location) {
        (true, _) => Some(normalise("/", value)),
        (false, Location::Local(Some(dir))) => Some(normalise(dir, value)),
        (false, _) => None,
    }
}

/// The zone of a path word for an operation that reaches `reach` of it.
pub(crate) fn zone_reaching(
    value: Option<&str>,
    text: &str,
    location: &Location,
    ctx: &AnalysisContext,
    reach: Reach,
) -> Zone {
    let Some(path) = value else {
        return match protected(text, ctx) {
            Some(kind) => Zone::Protected(kind),
            None => Zone::Outside,
        };
    };
    let Some(absolute) = absolute(path, location) else {
        // Relative to a directory analysis cannot know: only its name can be judged.
        return match protected(path, ctx) {
            Some(kind) => Zone::Protected(kind),
            None => Zone::Outside,
        };
    };
    if let Some(kind) = protected(&absolute, ctx) {
        return Zone::Protected(kind);
    }
    if reach == Reach::Tree
        && matches!(location, Location::Local(_))
        && let Some(kind) = tree_protected(&absolute, ctx)
    {
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
    let local = matches!(location, Location::Local(_));
    let workspace = normalise("/", ctx.workspace());
    let in_workspace = local && workspace != "/" && is_under(&absolute, &workspace);
    // The workspace and its history come before scratch space: a workspace under /tmp
    // is still the agent's uncommitted work.
    if in_workspace {
        let relative = absolute
            .strip_prefix(&workspace)
            .unwrap_or("")
            .trim_start_matches('/');
        let parts = components(relative);
        let first = parts.first().copied().unwrap_or("");
        if relative.is_empty()
            || could_match(first, ".git")
            || (parts.len() == 1 && matches_nearly_everything(first))
            || relative == ".*"
        {
            return Zone::WholeWorkspace;
        }
    }
    if in_temp(&absolute, ctx, reach) {
        return Zone::Temp;
    }
    if in_workspace {
        return Zone::Workspace;
    }
    Zone::Outside
}

/// Whether a path is scratch space: inside a temporary directory, and not a glob
/// standing for everything in one (`/tmp/*` is all of `/tmp`). The directory itself is
/// scratch only for what reaches one path of it (a file copied into `/tmp/`), never for
/// a tree (`rm -rf /tmp` deletes every user's and service's files).
fn in_temp(absolute: &str, ctx: &AnalysisContext, reach: Reach) -> bool {
    ctx.temp_dirs.iter().any(|tmp| {
        let tmp = normalise("/", tmp);
        if absolute == tmp {
            return reach == Reach::One;
        }
        let Some(rest) = absolute
            .strip_prefix(&tmp)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            return false;
        };
        let parts = components(rest);
        match parts.as_slice() {
            [] => false,
            [only] => !matches_nearly_everything(only),
            _ => true,
        }
    })
}

/// Whether a path lies where the agent may have put a program of its own: the
/// workspace, a temporary directory, the home directory, the user's runtime directory.
pub(crate) fn agent_writable(absolute: &str, ctx: &AnalysisContext) -> bool {
    let workspace = normalise("/", ctx.workspace());
    (workspace != "/" && is_under(absolute, &workspace))
        || ctx
            .temp_dirs
            .iter()
            .any(|tmp| is_under(absolute, &normalise("/", tmp)))
        || ctx
            .home
            .as_deref()
            .is_some_and(|home| home != "/" && is_under(absolute, &normalise("/", home)))
        || absolute.starts_with("/run/user/")
        || absolute.starts_with("/dev/fd/")
        || absolute.starts_with("/proc/")
}

/// Whether a path lies inside holdpoint's home (or is it): its configuration (which may
/// hold a database password), keys, store, policies and socket.
pub(crate) fn in_holdpoint_home(absolute: &str, ctx: &AnalysisContext) -> bool {
    absolute.contains("HOLDPOINT_HOME")
        || names_holdpoint_dir(absolute)
        || holdpoint_homes(ctx).iter().any(|home| {
            matches!(
                relation(absolute, home),
                Some(Relation::Same | Relation::Below)
            )
        })
}

/// Whether a tree at `absolute` holds holdpoint's home.
pub(crate) fn holds_holdpoint_home(absolute: &str, ctx: &AnalysisContext) -> bool {
    holdpoint_homes(ctx)
        .iter()
        .any(|home| relation(absolute, home) == Some(Relation::Above))
}

/// Files that hold credentials, by where they lie under the home directory.
const HOME_CREDENTIALS: &[&str] = &[
    ".ssh/id_*",
    ".ssh/*_rsa",
    ".ssh/*_dsa",
    ".ssh/*_ecdsa",
    ".ssh/*_ed25519",
    ".ssh/*.pem",
    ".aws/credentials",
    ".aws/sso/cache/*",
    ".aws/cli/cache/*",
    ".netrc",
    ".pgpass",
    ".my.cnf",
    ".mylogin.cnf",
    ".kube/config",
    ".docker/config.json",
    ".config/gh/hosts.yml",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".gem/credentials",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".config/gcloud/credentials.db",
    ".config/gcloud/access_tokens.db",
    ".config/gcloud/application_default_credentials.json",
    ".config/gcloud/legacy_credentials/*/*",
    ".azure/accessTokens.json",
    ".azure/msal_token_cache.*",
    ".terraform.d/credentials.tfrc.json",
    ".vault-token",
    ".gnupg/private-keys-v1.d/*",
    ".gnupg/secring.gpg",
    ".password-store/*",
    ".config/hub",
    ".boto",
    ".s3cfg",
    ".config/rclone/rclone.conf",
    ".mc/config.json",
    ".config/doctl/config.yaml",
    ".local/share/keyrings/*",
    ".fly/config.yml",
    ".databrickscfg",
    ".composer/auth.json",
    ".config/op/*",
    ".config/helm/repositories.yaml",
];

/// Directories that hold little but credentials: reading one as a tree reads them.
const HOME_CREDENTIAL_DIRS: &[&str] = &[
    ".ssh",
    ".aws",
    ".kube",
    ".docker",
    ".gnupg",
    ".config/gh",
    ".config/gcloud",
    ".azure",
    ".password-store",
    ".terraform.d",
];

/// Credentials of the machine and of processes.
const SYSTEM_CREDENTIALS: &[&str] = &[
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/ssh/ssh_host_*_key",
    "/etc/ssl/private/*",
    "/run/secrets/*",
    "/var/run/secrets/*/*/*",
    "/run/secrets/*/*/*",
    "/proc/*/environ",
    "/proc/*/task/*/environ",
];

const SYSTEM_CREDENTIAL_DIRS: &[&str] = &["/etc/ssl/private", "/run/secrets", "/var/run/secrets"];

/// File names that hold credentials wherever they lie.
const CREDENTIAL_NAMES: &[&str] = &[
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "privkey.pem",
    "key.pem",
    "*-key.pem",
    "*_key.pem",
    "credentials.json",
    "client_secret*.json",
    "service-account*.json",
    ".htpasswd",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    "secrets.yml",
    "secrets.yaml",
    "secrets.json",
    "*.tfstate",
    "*.tfstate.backup",
];

/// Names like those above that hold no secret: examples, templates and public keys.
const NOT_CREDENTIALS: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    ".env.defaults",
    ".env.schema",
    "*.pub",
    "*.example",
    "*.sample",
    "*.template",
];

/// Names one of each credential name could be, to test a glob against.
const CREDENTIAL_SAMPLES: &[&str] = &[
    ".env",
    ".env.local",
    ".env.production",
    "production.env",
    "id_rsa",
    "id_ed25519",
    "id_ecdsa",
    "server.key",
    "cert.p12",
    "cert.pfx",
    "release.jks",
    "release.keystore",
    "privkey.pem",
    "key.pem",
    "tls-key.pem",
    "tls_key.pem",
    "credentials.json",
    "client_secret.json",
    "service-account.json",
    ".htpasswd",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    "secrets.yml",
    "secrets.yaml",
    "secrets.json",
    "terraform.tfstate",
];

/// Code a program runs as it starts, whoever starts it later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Startup {
    /// A shell's start-up file (`~/.bashrc`, `~/.profile`, `/etc/profile.d/*`, zsh's and
    /// fish's): every later shell runs it.
    Shell,
    /// Python's: a `.pth` file in a site-packages directory (its `import` lines run) and
    /// `sitecustomize.py`/`usercustomize.py`: every later Python runs it.
    Python,
}

/// Whether a file is run by a program as it starts, and by which.
pub(crate) fn startup_file(absolute: &str) -> Option<Startup> {
    let name = absolute.rsplit('/').next().unwrap_or(absolute);
    let shell = matches!(
        name,
        ".bashrc"
            | ".bash_profile"
            | ".bash_login"
            | ".bash_logout"
            | ".profile"
            | ".zshrc"
            | ".zshenv"
            | ".zprofile"
            | ".zlogin"
            | ".kshrc"
            | ".mkshrc"
            | "bash.bashrc"
            | "zshrc"
            | "zshenv"
            | "zprofile"
            | "config.fish"
    ) || absolute == "/etc/profile"
        || absolute.starts_with("/etc/profile.d/")
        || absolute.starts_with("/etc/zsh/");
    let in_site = absolute.contains("/site-packages/") || absolute.contains("/dist-packages/");
    let python = (in_site && name.ends_with(".pth"))
        || matches!(name, "sitecustomize.py" | "usercustomize.py");
    if shell {
        Some(Startup::Shell)
    } else if python {
        Some(Startup::Python)
    } else {
        None
    }
}

/// Whether a file name (or a glob for one) could be a credential file's name.
pub(crate) fn credential_name(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    if has_glob(name) {
        return CREDENTIAL_SAMPLES
            .iter()
            .any(|sample| component_match(name, sample));
    }
    CREDENTIAL_NAMES.iter().any(|p| component_match(p, name))
        && !NOT_CREDENTIALS.iter().any(|p| component_match(p, name))
}

/// A place credentials are kept at: its pattern (relative to a home, or absolute) and
/// the pattern's last part, by which a name rules out most places at once.
struct Place {
    pattern: &'static str,
    last: &'static str,
    /// Whether `last` is a glob.
    glob: bool,
}

/// The places of each list, split once: files and directories under a home, then
/// files and directories of the machine.
static PLACES: LazyLock<[Vec<Place>; 4]> = LazyLock::new(|| {
    let places = |list: &'static [&'static str]| -> Vec<Place> {
        list.iter()
            .map(|pattern| {
                let last = pattern.rsplit('/').next().unwrap_or("");
                Place {
                    pattern,
                    last,
                    glob: has_glob(last),
                }
            })
            .collect()
    };
    [
        places(HOME_CREDENTIALS),
        places(HOME_CREDENTIAL_DIRS),
        places(SYSTEM_CREDENTIALS),
        places(SYSTEM_CREDENTIAL_DIRS),
    ]
});

/// Whether `path` stands to one of the credential files and directories at fixed
/// places as `wanted` asks. Only the places `keep` accepts are tried, and none is
/// written out.
fn any_credential_place(
    path: &str,
    ctx: &AnalysisContext,
    dirs: bool,
    keep: impl Fn(&Place) -> bool,
    wanted: impl Fn(Relation) -> bool,
) -> bool {
    let stands = |home: &'_ str, pattern: &'_ str| {
        relation_to(path, home.split('/').chain(pattern.split('/'))).is_some_and(&wanted)
    };
    let [home_files, home_dirs, system_files, system_dirs] = &*PLACES;
    let (under_home, system) = if dirs {
        (home_dirs, system_dirs)
    } else {
        (home_files, system_files)
    };
    // The user's home, made once a place is kept, and every other home on the machine
    // (`/root`, `/home/*`).
    let mut own: Option<Option<String>> = None;
    for place in under_home.iter().filter(|place| keep(place)) {
        let own = own.get_or_insert_with(|| {
            ctx.home
                .as_deref()
                .filter(|h| *h != "/")
                .map(|home| normalise("/", home))
        });
        let mut homes = own.iter().map(String::as_str).chain(["/root", "/home/*"]);
        if homes.any(|home| stands(home, place.pattern)) {
            return true;
        }
    }
    system
        .iter()
        .filter(|place| keep(place))
        .any(|place| stands("", place.pattern))
}

/// Whether reading the file at `absolute` (or a glob) could read a credential.
pub(crate) fn credential(absolute: &str, ctx: &AnalysisContext) -> bool {
    let name = absolute.rsplit('/').next().unwrap_or("");
    if !has_glob(name) && NOT_CREDENTIALS.iter().any(|p| component_match(p, name)) {
        return false;
    }
    // A place is the same path only if its last part could be this name: that is tried
    // first, since it rules out nearly every place at once. A plain name (nearly every
    // one) is compared as it is, and matched only by a place whose last part is a glob.
    let plain = !has_glob(name);
    let named = |place: &Place| {
        if plain {
            place.last == name || (place.glob && component_match(place.last, name))
        } else {
            could_match(place.last, name)
        }
    };
    credential_name(name)
        || any_credential_place(absolute, ctx, false, named, |r| r == Relation::Same)
}

/// Whether reading the whole tree at `absolute` reads credentials kept at their usual
/// places (`~/.ssh`, `~/.aws`, or a directory holding them, such as the home).
pub(crate) fn tree_holds_credentials(absolute: &str, ctx: &AnalysisContext) -> bool {
    let holds = |r: Relation| matches!(r, Relation::Same | Relation::Above);
    credential(absolute, ctx)
        || any_credential_place(absolute, ctx, true, |_| true, holds)
        || any_credential_place(absolute, ctx, false, |_| true, holds)
}

/// What `find` finds below `root` with names matching `name` (any depth, dotfiles
/// included): whether it could be in holdpoint's home, hook settings or credentials.
pub(crate) struct Found<'a> {
    pub root: &'a str,
    pub name: &'a str,
}

impl Found<'_> {
    /// Whether a name `find` matches with `-name PATTERN` (where `*` matches a leading
    /// dot, unlike the shell's globs).
    fn name_matches(&self, name: &str) -> bool {
        self.name == "*" || name_match(self.name, name)
    }

    /// Whether the found entries could include holdpoint's files: the root holds or is
    /// in holdpoint's home, and some name in it could match (what is there is listed
    /// when it can be; otherwise anything could be).
    pub fn reaches_holdpoint(&self, ctx: &AnalysisContext, files: &dyn Files) -> bool {
        if in_holdpoint_home(self.root, ctx) {
            return true;
        }
        holdpoint_homes(ctx).iter().any(|home| {
            if !matches!(
                relation(self.root, home),
                Some(Relation::Same | Relation::Above)
            ) {
                return false;
            }
            if self.name_matches(home.rsplit('/').next().unwrap_or("")) {
                return true;
            }
            match list_tree(files, home, 3) {
                Some(names) => names.iter().any(|n| self.name_matches(n)),
                None => {
                    // A home its parent does not hold holds nothing; one that cannot be
                    // listed could hold anything.
                    let (parent, name) = home.rsplit_once('/').unwrap_or(("", home));
                    let parent = if parent.is_empty() { "/" } else { parent };
                    files
                        .entries(parent)
                        .is_none_or(|entries| entries.iter().any(|e| e == name))
                }
            }
        })
    }

    /// Whether the found entries could include an agent's hook settings.
    pub fn reaches_hooks(&self, ctx: &AnalysisContext) -> bool {
        let holds = protected_roots(ctx).into_iter().any(|(root, kind)| {
            kind == ObjectKind::HookSettings
                && matches!(
                    relation(self.root, &root),
                    Some(Relation::Same | Relation::Above)
                )
        });
        holds && HOOK_FILES.iter().any(|n| self.name_matches(n))
    }

    /// Whether the found entries could include credentials.
    pub fn reaches_credentials(&self, ctx: &AnalysisContext) -> bool {
        let by_name = if self.name == "*" {
            false
        } else if has_glob(self.name) {
            CREDENTIAL_SAMPLES.iter().any(|s| self.name_matches(s))
        } else {
            credential_name(self.name)
        };
        let named = |place: &Place| self.name_matches(&sample(place.last));
        by_name
            || any_credential_place(self.root, ctx, false, named, |r| {
                matches!(r, Relation::Same | Relation::Above)
            })
    }
}

/// The names below the directory `dir`, `depth` levels deep at most, or `None` when
/// it cannot be listed. (An entry that cannot be listed is taken for a file.)
fn list_tree(files: &dyn Files, dir: &str, depth: u32) -> Option<Vec<String>> {
    let entries = files.entries(dir)?;
    let mut names = Vec::new();
    for entry in entries {
        if depth > 1
            && let Some(below) = list_tree(files, &format!("{dir}/{entry}"), depth - 1)
        {
            names.extend(below);
        }
        names.push(entry);
    }
    Some(names)
}

/// The most entries one glob is expanded to; past it, what it matches is not listed.
const MAX_MATCHES: usize = 256;

/// The paths an absolute glob matches on this machine, listed through `files`; `None`
/// when some directory it goes through cannot be listed or it matches too much.
pub(crate) fn expand_glob(files: &dyn Files, pattern: &str) -> Option<Vec<String>> {
    let mut paths = vec![String::new()];
    for component in components(pattern) {
        let mut next = Vec::new();
        for base in &paths {
            if has_glob(component) {
                let dir = if base.is_empty() { "/" } else { base.as_str() };
                for entry in files.entries(dir)? {
                    if component_match(component, &entry) {
                        next.push(format!("{base}/{entry}"));
                    }
                }
            } else {
                next.push(format!("{base}/{component}"));
            }
            if next.len() > MAX_MATCHES {
                return None;
            }
        }
        paths = next;
    }
    Some(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> AnalysisContext {
        let mut ctx = AnalysisContext::new("/home/dev/project");
        ctx.home = Some("/home/dev".to_owned());
        ctx.holdpoint_home = Some("/home/dev/.holdpoint".to_owned());
        ctx
    }

    fn check(path: &str, expected: Zone) {
        let ctx = context();
        let location = Location::Local(Some("/home/dev/project".to_owned()));
        assert_eq!(zone(Some(path), path, &location, &ctx), expected, "{path}");
    }

    fn check_tree(path: &str, expected: Zone) {
        let ctx = context();
        let location = Location::Local(Some("/home/dev/project".to_owned()));
        assert_eq!(
            zone_reaching(Some(path), path, &location, &ctx, Reach::Tree),
            expected,
            "{path}"
        );
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

    #[test]
    fn globs_are_judged_by_what_they_could_name() {
        check(".[g]it", Zone::WholeWorkspace);
        check(".git*", Zone::WholeWorkspace);
        check("?*", Zone::WholeWorkspace);
        check("[!.]*", Zone::WholeWorkspace);
        check("*.log", Zone::Workspace);
        check("build/.[!.]*", Zone::Workspace);
        check("/home/dev/.[!.]*", Zone::Protected(ObjectKind::Holdpoint));
        check(
            "/home/dev/.holdpoin?/holdpoint.toml",
            Zone::Protected(ObjectKind::Holdpoint),
        );
        check(
            "/home/dev/.clau?e/settings.json",
            Zone::Protected(ObjectKind::HookSettings),
        );
        check("/home/dev/*", Zone::Outside);
    }

    #[test]
    fn temporary_directories_are_scratch_only_inside() {
        check("/tmp/", Zone::Temp);
        check_tree("/tmp", Zone::Outside);
        check_tree("/tmp/", Zone::Outside);
        check("/tmp/*", Zone::Outside);
        check_tree("/tmp/build", Zone::Temp);
        check("/tmp/pytest-of-dev/*", Zone::Temp);
        check("/var/tmp/x", Zone::Temp);
    }

    #[test]
    fn trees_that_hold_protected_places_are_protected() {
        check_tree("/home/dev", Zone::Protected(ObjectKind::Holdpoint));
        check_tree("/home", Zone::Protected(ObjectKind::Holdpoint));
        check_tree("/", Zone::Protected(ObjectKind::Holdpoint));
        check_tree("/home/dev/project", Zone::WholeWorkspace);
        check_tree("/home/dev/Downloads", Zone::Outside);
        check("/home/dev", Zone::Outside);
    }

    #[test]
    fn a_workspace_under_tmp_keeps_its_history() {
        let mut ctx = context();
        ctx.workspace = Some("/tmp/proj".to_owned());
        let location = Location::Local(Some("/tmp/proj".to_owned()));
        assert_eq!(
            zone(Some(".git"), ".git", &location, &ctx),
            Zone::WholeWorkspace
        );
        assert_eq!(zone(Some("build"), "build", &location, &ctx), Zone::Temp);
    }

    #[test]
    fn credentials() {
        let ctx = context();
        for (path, expected) in [
            ("/home/dev/project/.env", true),
            ("/home/dev/project/.env.local", true),
            ("/home/dev/project/.env.example", false),
            ("/home/dev/project/.env*", true),
            ("/home/dev/project/*.md", false),
            ("/home/dev/.ssh/id_ed25519", true),
            ("/home/dev/.ssh/id_ed25519.pub", false),
            ("/home/dev/.ssh/known_hosts", false),
            ("/home/dev/.ssh/*", true),
            ("/home/dev/.aws/credentials", true),
            ("/home/dev/.aws/config", false),
            ("/home/dev/.kube/config", true),
            ("/home/dev/.pgpass", true),
            ("/proc/self/environ", true),
            ("/etc/hosts", false),
            ("/home/dev/project/src/main.rs", false),
        ] {
            assert_eq!(credential(path, &ctx), expected, "{path}");
        }
        assert!(tree_holds_credentials("/home/dev/.ssh", &ctx));
        assert!(tree_holds_credentials("/home/dev", &ctx));
        assert!(!tree_holds_credentials("/home/dev/project", &ctx));
    }
}
