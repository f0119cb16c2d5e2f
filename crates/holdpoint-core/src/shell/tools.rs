//! Command knowledge as data: what common tools do, by subcommand and flags.
//!
//! Each [`Tool`] lists rules in a small pattern language, tried in order; the first
//! that matches gives the risk and what the command does. A tool that no rule matches
//! gets its `otherwise` answer, and a command that no tool names is at least `change`:
//! holdpoint calls a command `read` only when this table positively knows it to be.
//!
//! A rule's pattern is a list of terms separated by spaces, all of which must hold:
//! - `push|p`: the next positional argument is one of these (`*` in a word is a
//!   wildcard; matching is exact otherwise);
//! - `-f|--force`: one of these flags is present (`--force-with-lease*` matches by
//!   prefix; one-letter flags also match inside a bundle such as `-rf`);
//! - `!-n|--dry-run`: none of these flags is present;
//! - `~:*|+*`: some positional argument after those matched so far is one of these;
//! - `--`: the arguments contain a `--` separator;
//! - `$`: no positional argument is left.
//!
//! Risk `workspace` marks work that is routine inside the agent's working directory
//! (building, testing, committing); it counts as `change` when the command runs anywhere
//! else.

use crate::effect::{ObjectKind, Risk};

use Risk::{Change, Destroy, Read, Workspace};

/// What the table knows about one tool.
#[derive(Debug)]
pub(crate) struct Tool {
    pub names: &'static [&'static str],
    pub object: ObjectKind,
    /// Flags that take the next argument as their value, so that the value is not
    /// mistaken for a subcommand.
    pub value_flags: &'static [&'static str],
    pub rules: &'static [Rule],
    pub otherwise: (Risk, &'static str),
}

/// `(pattern, risk, what the command does)`.
pub(crate) type Rule = (&'static str, Risk, &'static str);

/// The arguments of one command split into flags and positionals.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    pub flags: Vec<&'a str>,
    pub positionals: Vec<&'a str>,
    pub double_dash: bool,
}

impl<'a> Args<'a> {
    pub fn split(args: &'a [String], value_flags: &[&str]) -> Self {
        let mut out = Args { flags: Vec::new(), positionals: Vec::new(), double_dash: false };
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if out.double_dash {
                out.positionals.push(arg);
            } else if arg == "--" {
                out.double_dash = true;
            } else if arg.starts_with('-') && arg.len() > 1 {
                out.flags.push(arg);
                if value_flags.contains(&arg.as_str()) {
                    iter.next();
                }
            } else {
                out.positionals.push(arg);
            }
        }
        out
    }

    /// Whether the flag is present: exactly, as `--flag=value`, or (for a one-letter
    /// flag) inside a bundle of one-letter flags.
    pub fn has_flag(&self, flag: &str) -> bool {
        if let Some(prefix) = flag.strip_suffix('*') {
            return self.flags.iter().any(|f| f.starts_with(prefix));
        }
        let short = flag.len() == 2 && flag.starts_with('-') && !flag.starts_with("--");
        self.flags.iter().any(|f| {
            *f == flag
                || (flag.starts_with("--") && f.strip_prefix(flag).is_some_and(|rest| rest.starts_with('=')))
                || (short
                    && !f.starts_with("--")
                    && f.len() > 2
                    && f.chars().skip(1).all(|c| c.is_ascii_alphabetic())
                    && flag.chars().nth(1).is_some_and(|c| f.contains(c)))
        })
    }
}

/// Whether `word` matches a pattern word where `*` stands for any run of characters.
pub(crate) fn glob_match(pattern: &str, word: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else { return pattern == word };
    let Some(mut rest) = word.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = rest.get(at + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn any_of(alternatives: &str, word: &str) -> bool {
    alternatives.split('|').any(|alt| glob_match(alt, word))
}

/// Whether a rule's pattern holds for these arguments.
pub(crate) fn matches(pattern: &str, args: &Args<'_>) -> bool {
    let mut next = 0;
    for term in pattern.split_whitespace() {
        let holds = if term == "$" {
            args.positionals.len() <= next
        } else if term == "--" {
            args.double_dash
        } else if let Some(flags) = term.strip_prefix('!') {
            !flags.split('|').any(|f| args.has_flag(f))
        } else if let Some(words) = term.strip_prefix('~') {
            args.positionals.iter().skip(next).any(|p| any_of(words, p))
        } else if term.starts_with('-') {
            term.split('|').any(|f| args.has_flag(f))
        } else {
            let holds = args.positionals.get(next).is_some_and(|p| any_of(term, p));
            next += 1;
            holds
        };
        if !holds {
            return false;
        }
    }
    true
}

/// The tool the table knows by this command name, if any.
pub(crate) fn lookup(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.names.iter().any(|n| glob_match(n, name)))
}

/// The first rule of `tool` that holds for `args`.
pub(crate) fn classify(tool: &Tool, args: &[String]) -> (Risk, &'static str) {
    let split = Args::split(args, tool.value_flags);
    tool.rules
        .iter()
        .find(|(pattern, _, _)| matches(pattern, &split))
        .map(|(_, risk, what)| (*risk, *what))
        .unwrap_or(tool.otherwise)
}

const PACKAGE_READ: &str = "list|ls|search|show|info|view|outdated|policy|depends|rdepends|why|explain|audit|check|doctor|config|help|version|-v|--version|-h|--help";

static TOOLS: &[Tool] = &[
    // Plain inspection: these only read, whatever their arguments.
    Tool {
        names: &[
            "ls", "ll", "dir", "cat", "less", "more", "head", "tail", "grep", "egrep", "fgrep", "rg", "ag", "ack",
            "wc", "pwd", "echo", "printf", "which", "whereis", "type", "file", "stat", "du", "df", "free", "uptime",
            "whoami", "id", "uname", "printenv", "ps", "pgrep", "lsof", "netstat", "ss", "ping", "traceroute",
            "tracepath", "dig", "nslookup", "host", "whois", "diff", "cmp", "comm", "uniq", "cut", "tr", "jq",
            "xxd", "od", "hexdump", "strings", "base64", "base32", "md5sum", "sha1sum", "sha256sum", "sha512sum",
            "b2sum", "cksum", "tree", "locate", "basename", "dirname", "realpath", "readlink", "test", "[", "[[",
            "true", "false", ":", "sleep", "seq", "yes", "tac", "rev", "nl", "fold", "fmt", "column", "paste",
            "join", "man", "help", "history", "nproc", "lscpu", "lsblk", "blkid", "lsusb", "lspci", "lsmod",
            "dmesg", "last", "w", "who", "getent", "groups", "locale", "tput", "clear", "cal", "bc", "expr",
            "export", "set", "unset", "alias", "read", "wait", "trap", "shift", "local", "declare", "typeset",
            "readonly", "exit", "return", "break", "continue", "let", "shopt", "ulimit", "umask", "hash", "jobs",
            "fg", "bg", "disown", "pushd", "popd", "dirs", "top", "htop", "iostat", "vmstat", "mpstat", "sar",
            "nvidia-smi", "env", "tty", "logname", "arch", "getconf", "lsattr", "namei", "pstree", "iotop",
            "vim", "view", "zcat", "zless", "zgrep", "bzcat", "xzcat", "sort", "shuf", "numfmt", "factor",
            "pg_isready", "pg_config", "pg_controldata", "mysqldump", "pg_dump", "pg_dumpall", "mongodump",
            "nc", "telnet", "openssl", "ssh-keygen", "gpg", "xmllint", "yamllint", "jsonlint", "hadolint",
            "shellcheck", "tldr", "info", "apropos", "whatis", "free", "watch", "journalctl", "timedatectl",
            "hostnamectl", "loginctl", "resolvectl", "networkctl", "lsns", "findmnt", "mount", "ldd", "nm",
            "objdump", "readelf", "size", "cloc", "tokei", "scc", "fd", "fdfind", "bat", "exa", "eza", "delta",
            "fzf", "glow", "htop", "btop", "duf", "ncdu", "dust", "procs", "ssh-add",
        ],
        object: ObjectKind::File,
        value_flags: &[],
        rules: &[],
        otherwise: (Read, "only reads"),
    },
    Tool {
        names: &["git"],
        object: ObjectKind::Repository,
        value_flags: &["-C", "-c", "--git-dir", "--work-tree", "--namespace", "-m", "-F", "-b", "-B", "--message", "--format", "--author", "--date", "-n", "--since", "--until", "-U"],
        rules: &[
            ("push -n|--dry-run", Read, "shows what a push would do"),
            ("push -f|--force|--force-with-lease*|--force-if-includes|--mirror|--delete|-d|--prune", Destroy, "force-pushes or deletes remote history"),
            ("push ~:*|+*", Destroy, "deletes or force-updates a remote branch"),
            ("push", Change, "pushes commits to a remote"),
            ("reset --hard|--merge|--keep", Destroy, "discards uncommitted work"),
            ("reset", Workspace, "moves the branch head in the workspace"),
            ("clean -n|--dry-run", Read, "lists untracked files"),
            ("clean", Destroy, "deletes untracked files, which no history keeps"),
            ("checkout -f|--force", Destroy, "discards uncommitted changes"),
            ("checkout --", Destroy, "discards uncommitted changes to files"),
            ("checkout ~.|./|*|:/", Destroy, "discards uncommitted changes to files"),
            ("checkout", Workspace, "switches branches in the workspace"),
            ("restore --staged !--worktree|-W", Workspace, "unstages changes"),
            ("restore", Destroy, "discards uncommitted changes to files"),
            ("switch --discard-changes|-f|--force", Destroy, "discards uncommitted changes"),
            ("switch", Workspace, "switches branches in the workspace"),
            ("stash drop|clear", Destroy, "deletes stashed work"),
            ("stash list|show", Read, "shows stashed work"),
            ("stash", Workspace, "stashes work in the workspace"),
            ("branch -D|-f|--force", Destroy, "deletes or moves a branch, losing commits only it holds"),
            ("branch --delete --force", Destroy, "deletes a branch, losing commits only it holds"),
            ("branch -d|--delete|-m|--move|-M|-c|--copy|-u|--set-upstream-to*|--unset-upstream", Workspace, "changes local branches"),
            ("branch -a|-r|--list|-l|-v|-vv|--contains|--merged|--no-merged|--show-current|--all|--remotes", Read, "lists branches"),
            ("branch $", Read, "lists branches"),
            ("branch", Workspace, "creates a local branch"),
            ("tag -d|--delete", Workspace, "deletes a local tag"),
            ("tag -l|--list|-n", Read, "lists tags"),
            ("tag $", Read, "lists tags"),
            ("tag", Workspace, "creates a local tag"),
            ("reflog expire|delete", Destroy, "deletes the record of earlier states"),
            ("reflog", Read, "shows the record of earlier states"),
            ("gc --prune*", Destroy, "prunes unreachable commits for good"),
            ("prune|filter-branch|filter-repo", Destroy, "rewrites or prunes history for good"),
            ("update-ref -d", Destroy, "deletes a reference"),
            ("update-ref|replace|symbolic-ref", Change, "rewrites references"),
            ("worktree remove -f|--force", Destroy, "removes a worktree with its uncommitted changes"),
            ("worktree list", Read, "lists worktrees"),
            ("config --global|--system", Change, "changes git configuration outside the repository"),
            ("config --get*|--list|-l|--show-origin|--show-scope", Read, "reads git configuration"),
            ("config * $", Read, "reads git configuration"),
            ("config", Workspace, "changes the repository's configuration"),
            ("remote $", Read, "lists remotes"),
            ("remote -v|--verbose|show|get-url", Read, "lists remotes"),
            ("submodule status|summary|foreach", Read, "shows submodules"),
            ("status|log|diff|show|blame|annotate|shortlog|describe|rev-parse|rev-list|ls-files|ls-tree|ls-remote|cat-file|grep|whatchanged|show-ref|for-each-ref|count-objects|fsck|check-ignore|check-attr|name-rev|merge-base|var|help|version|--version|cherry|range-diff|show-branch|verify-commit|verify-tag|difftool|instaweb|request-pull", Read, "only reads the repository"),
            ("add|commit|mv|rm|init|clone|merge|rebase|cherry-pick|revert|am|apply|fetch|pull|remote|worktree|submodule|notes|bisect|archive|format-patch|gc|maintenance|repack|sparse-checkout|lfs|mergetool|stage|restore|commit-tree|read-tree|write-tree|update-index|hash-object|bundle|fast-import|credential|citool|gui|pack-refs|rerere|switch|checkout", Workspace, "changes the local repository"),
        ],
        otherwise: (Change, "runs a git command holdpoint does not know"),
    },
    Tool {
        names: &["terraform", "tofu", "terragrunt", "opentofu"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-var", "-var-file", "-target", "-chdir", "-out", "-state", "-replace"],
        rules: &[
            ("plan|show|output|validate|version|providers|graph|console|-version|--version|-help|help|metadata|modules|test", Read, "only plans or inspects infrastructure"),
            ("destroy", Destroy, "destroys the infrastructure it manages"),
            ("apply|run-all -destroy", Destroy, "destroys the infrastructure it manages"),
            ("run-all destroy", Destroy, "destroys the infrastructure it manages"),
            ("apply|import|refresh|taint|untaint|force-unlock|run-all", Change, "changes real infrastructure"),
            ("state list|show|pull", Read, "reads the state"),
            ("state push -force", Destroy, "overwrites the state"),
            ("state", Change, "rewrites the state"),
            ("workspace delete", Destroy, "deletes a workspace and its state"),
            ("workspace list|show", Read, "lists workspaces"),
            ("workspace", Change, "switches or creates workspaces"),
            ("init|fmt|get|login|logout", Workspace, "prepares the working directory"),
        ],
        otherwise: (Change, "runs a terraform command holdpoint does not know"),
    },
    Tool {
        names: &["pulumi"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-s", "--stack", "-C", "--cwd", "-m", "--message", "-t", "--target"],
        rules: &[
            ("destroy|down", Destroy, "destroys the stack's infrastructure"),
            ("stack rm", Destroy, "deletes a stack and its state"),
            ("state delete", Destroy, "deletes a resource from the state"),
            ("preview|pre|whoami|version|about|logs|--version|help", Read, "only previews or inspects"),
            ("stack ls|output|export|history|graph|tag $", Read, "reads the stack"),
            ("config get", Read, "reads configuration"),
            ("config $", Read, "reads configuration"),
            ("up|update --preview-only", Read, "only previews"),
        ],
        otherwise: (Change, "changes real infrastructure"),
    },
    Tool {
        names: &["kubectl", "oc", "k", "microk8s.kubectl"],
        object: ObjectKind::Cluster,
        value_flags: &["-n", "--namespace", "--context", "--cluster", "--user", "--kubeconfig", "-l", "--selector", "-o", "--output", "-f", "--filename", "-c", "--container", "-s", "--server", "--field-selector", "--token", "--as", "-k", "--kustomize", "--template", "-p", "--patch", "--type", "--image", "--replicas", "--timeout", "--since", "--tail", "--sort-by", "-L", "--label-columns"],
        rules: &[
            ("--dry-run*", Read, "only shows what would change"),
            ("get|describe|logs|top|explain|api-resources|api-versions|version|cluster-info|diff|events|wait|completion|plugin|kustomize|certificate", Read, "only reads the cluster"),
            ("config view|get-contexts|current-context|get-clusters|get-users", Read, "reads the client configuration"),
            ("auth can-i|whoami", Read, "checks permissions"),
            ("rollout status|history", Read, "reads rollout state"),
            ("delete|drain", Destroy, "deletes resources from the cluster"),
            ("apply --prune", Destroy, "deletes resources not in the manifests"),
            ("replace --force", Destroy, "deletes and recreates resources"),
            ("scale --replicas=0", Destroy, "scales workloads to zero, stopping them"),
            ("config", Workspace, "changes the client configuration"),
        ],
        otherwise: (Change, "changes the cluster"),
    },
    Tool {
        names: &["helm"],
        object: ObjectKind::Cluster,
        value_flags: &["-n", "--namespace", "-f", "--values", "--set", "--set-string", "--kube-context", "--version", "-o", "--output", "--repo", "--kubeconfig", "--timeout"],
        rules: &[
            ("--dry-run*", Read, "only shows what would change"),
            ("uninstall|delete|del|un", Destroy, "uninstalls a release and deletes its resources"),
            ("template|lint|list|ls|status|get|history|hist|show|inspect|search|version|env|diff|verify|completion|help", Read, "only renders or inspects"),
            ("repo list|ls", Read, "lists chart repositories"),
            ("package|pull|fetch|create|dependency|dep", Workspace, "works on local charts"),
        ],
        otherwise: (Change, "changes releases in the cluster"),
    },
    Tool {
        names: &["docker", "podman", "nerdctl"],
        object: ObjectKind::Container,
        value_flags: &["-H", "--host", "--context", "-f", "--file", "-p", "--project-name", "--env-file", "--profile", "-c", "--config", "--log-level"],
        rules: &[
            ("ps|images|inspect|logs|version|info|stats|top|history|search|port|diff|events|--version|help", Read, "only inspects containers"),
            ("image|container|volume|network|context|node|service|secret|config|plugin|buildx|builder|manifest|system|stack|swarm ls|list|inspect|df|ps|logs|history|events|info", Read, "only inspects containers"),
            ("compose|stack ps|logs|config|ls|images|top|port|version|events", Read, "only inspects services"),
            ("rm|rmi|kill|stop|prune|pause", Destroy, "stops or deletes containers or images"),
            ("image|container|volume|network|system|builder|buildx|context|node|service|stack|secret|config|plugin rm|remove|prune|kill|stop|leave", Destroy, "stops or deletes containers, volumes or images"),
            ("swarm leave", Destroy, "leaves the swarm"),
            ("compose down|rm|kill|stop|pause", Destroy, "stops or removes services"),
            ("build|pull|tag|login|logout|save|load|commit", Workspace, "builds or fetches images locally"),
            ("compose|buildx build|pull|bake", Workspace, "builds or fetches images locally"),
        ],
        otherwise: (Change, "runs or changes containers"),
    },
    Tool {
        names: &["aws"],
        object: ObjectKind::Infrastructure,
        value_flags: &["--profile", "--region", "--output", "--query", "--endpoint-url", "--cli-input-json", "--color"],
        rules: &[
            ("--dryrun|--dry-run", Read, "only shows what would change"),
            ("s3 rm|rb", Destroy, "deletes objects or buckets"),
            ("s3 sync --delete", Destroy, "deletes objects missing from the source"),
            ("s3 ls|presign", Read, "lists storage"),
            ("s3 cp|mv|sync|mb|website", Change, "writes to storage"),
            ("s3api delete-*", Destroy, "deletes objects or buckets"),
            ("* delete-*|terminate-*|remove-*|deregister-*|purge-*|destroy-*|stop-*|disable-*|cancel-*|revoke-*|detach-*|reset-*|batch-delete-*|empty-*|schedule-key-deletion|disassociate-*|release-*", Destroy, "deletes or stops cloud resources"),
            ("* describe-*|list-*|get-*|lookup-*|search-*|scan|query|head-*|batch-get-*|filter-log-events|tail|validate-*|estimate-*|simulate-*|test-*|wait|help", Read, "only reads cloud resources"),
            ("sts|pricing|configure list|list-profiles|get|export-credentials", Read, "only reads configuration"),
            ("configure", Workspace, "changes local configuration"),
        ],
        otherwise: (Change, "changes cloud resources"),
    },
    Tool {
        names: &["gcloud", "az"],
        object: ObjectKind::Infrastructure,
        value_flags: &["--project", "--zone", "--region", "--format", "--filter", "-g", "--resource-group", "--subscription", "-o", "--output", "--query", "--configuration", "--account"],
        rules: &[
            ("--dry-run", Read, "only shows what would change"),
            ("~delete|remove|stop|reset|purge|deallocate|destroy|disable|abandon-instances|delete-instances|wipe|truncate|drop|revoke|detach-disk", Destroy, "deletes or stops cloud resources"),
            ("~list|describe|show|get|get-iam-policy|get-value|read|print-access-token|print-identity-token|info|version|help|search|tail|list-*|describe-*|show-*|check-*|exists|wait|query|logs|get-credentials|account", Read, "only reads cloud resources"),
            ("config|init|login|auth", Workspace, "changes local configuration"),
        ],
        otherwise: (Change, "changes cloud resources"),
    },
    Tool {
        names: &["gsutil"],
        object: ObjectKind::Storage,
        value_flags: &["-o", "-h", "-p"],
        rules: &[
            ("rm|rb", Destroy, "deletes objects or buckets"),
            ("rsync -d", Destroy, "deletes objects missing from the source"),
            ("ls|cat|du|stat|hash|version|help|ver|ls-*", Read, "only reads storage"),
        ],
        otherwise: (Change, "writes to storage"),
    },
    Tool {
        names: &["dropdb", "dropuser", "pg_dropcluster", "pg_resetwal", "pg_resetxlog", "mysqladmin-drop"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[("--help|-?|--version|-V", Read, "prints help")],
        otherwise: (Destroy, "deletes a database, role or cluster"),
    },
    Tool {
        names: &["createdb", "createuser", "vacuumdb", "reindexdb", "clusterdb", "pg_basebackup", "pg_upgrade", "initdb", "pg_createcluster", "pg_receivewal", "pg_rewind"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[("--help|-?|--version|-V", Read, "prints help")],
        otherwise: (Change, "changes a database server"),
    },
    Tool {
        names: &["pg_restore", "mongorestore"],
        object: ObjectKind::Database,
        value_flags: &["-d", "--dbname", "-h", "-p", "-U", "-f", "--file", "-n", "-t", "--uri", "--db"],
        rules: &[
            ("-l|--list|--help|--version", Read, "lists an archive"),
            ("-c|--clean|--drop|--if-exists", Destroy, "drops database objects before restoring"),
        ],
        otherwise: (Change, "loads data into a database"),
    },
    Tool {
        names: &["pg_ctl", "pg_ctlcluster"],
        object: ObjectKind::Service,
        value_flags: &["-D", "--pgdata", "-m", "--mode", "-l", "--log", "-o", "-w", "-t"],
        rules: &[
            ("~stop|kill", Destroy, "stops the database server"),
            ("~status", Read, "shows the server status"),
        ],
        otherwise: (Change, "starts or restarts the database server"),
    },
    Tool {
        names: &["mysqladmin", "mariadb-admin"],
        object: ObjectKind::Database,
        value_flags: &["-u", "--user", "-h", "--host", "-P", "--port", "-S", "--socket"],
        rules: &[
            ("~drop|shutdown|kill|purge", Destroy, "drops a database or stops the server"),
            ("~status|ping|processlist|variables|version|extended-status", Read, "shows server status"),
        ],
        otherwise: (Change, "changes the database server"),
    },
    Tool {
        names: &["systemctl"],
        object: ObjectKind::Service,
        value_flags: &["-H", "--host", "-M", "--machine", "-t", "--type", "--state", "-p", "--property", "-n", "--lines", "-o", "--output", "--signal", "-s"],
        rules: &[
            ("stop|kill|mask|isolate|poweroff|reboot|halt|kexec|rescue|emergency|suspend|hibernate|hybrid-sleep|soft-reboot", Destroy, "stops services or the machine"),
            ("disable --now", Destroy, "stops and disables a service"),
            ("status|show|cat|list-units|list-unit-files|list-timers|list-sockets|list-dependencies|list-jobs|list-machines|list-paths|is-active|is-enabled|is-failed|is-system-running|get-default|help|--version|show-environment", Read, "only reads service state"),
            ("$", Read, "lists services"),
        ],
        otherwise: (Change, "changes services"),
    },
    Tool {
        names: &["service", "rc-service"],
        object: ObjectKind::Service,
        value_flags: &[],
        rules: &[
            ("* stop|zap", Destroy, "stops a service"),
            ("* status", Read, "shows a service's status"),
            ("--status-all|$", Read, "lists services"),
        ],
        otherwise: (Change, "changes a service"),
    },
    Tool {
        names: &["kill"],
        object: ObjectKind::Process,
        value_flags: &[],
        rules: &[("-l|-L|--list|-0", Read, "lists signals or checks a process exists")],
        otherwise: (Destroy, "kills processes"),
    },
    Tool {
        names: &["pkill", "killall", "skill", "xkill", "killall5", "fuser"],
        object: ObjectKind::Process,
        value_flags: &[],
        rules: &[("fuser !-k|--kill", Read, "lists processes using files")],
        otherwise: (Destroy, "kills processes"),
    },
    Tool {
        names: &["shutdown", "reboot", "halt", "poweroff", "init", "telinit"],
        object: ObjectKind::Host,
        value_flags: &[],
        rules: &[("-c|--help", Change, "cancels a pending shutdown")],
        otherwise: (Destroy, "stops or restarts the machine"),
    },
    Tool {
        names: &["crontab"],
        object: ObjectKind::Service,
        value_flags: &["-u"],
        rules: &[("-l", Read, "lists scheduled jobs"), ("-r|-ri", Destroy, "deletes every scheduled job")],
        otherwise: (Change, "replaces scheduled jobs"),
    },
    Tool {
        names: &["atrm", "userdel", "groupdel", "deluser", "delgroup", "lvremove", "vgremove", "pvremove", "blkdiscard", "srm", "mkswap", "pvcreate", "wipe"],
        object: ObjectKind::Device,
        value_flags: &[],
        rules: &[("--help|--version", Read, "prints help")],
        otherwise: (Destroy, "deletes data, users or volumes for good"),
    },
    Tool {
        names: &["mkfs", "mkfs.*", "mke2fs", "mkdosfs", "mkntfs"],
        object: ObjectKind::Device,
        value_flags: &[],
        rules: &[("-V|--version|--help", Read, "prints help")],
        otherwise: (Destroy, "creates a file system, erasing the device"),
    },
    Tool {
        names: &["wipefs"],
        object: ObjectKind::Device,
        value_flags: &["-t", "-o", "--offset"],
        rules: &[("-n|--no-act", Read, "only shows signatures"), ("!-a|--all|-o|--offset", Read, "lists signatures")],
        otherwise: (Destroy, "erases file system signatures"),
    },
    Tool {
        names: &["fdisk", "sfdisk", "gdisk", "sgdisk", "cfdisk", "parted", "cryptsetup", "mdadm", "hdparm", "sdparm", "nvme"],
        object: ObjectKind::Device,
        value_flags: &["-t", "-u"],
        rules: &[
            ("-l|--list|-p|--print|-d|--dump|-s|--show|-i|--info|-V|--version|-h|--help|--query|--detail|--examine|-D|-E|-Q", Read, "only reads partitions"),
            ("~print|list|status|isLuks|luksDump|smart-log|id-ctrl", Read, "only reads devices"),
        ],
        otherwise: (Destroy, "rewrites partitions or erases devices"),
    },
    Tool {
        names: &["zfs", "zpool", "btrfs", "lvm", "lvcreate", "lvextend", "lvresize", "lvreduce", "vgcreate", "vgextend", "vgreduce", "tune2fs", "resize2fs", "xfs_growfs", "losetup", "swapoff", "swapon", "umount", "fsck", "e2fsck"],
        object: ObjectKind::Device,
        value_flags: &["-o", "-t"],
        rules: &[
            ("~destroy|rollback|labelclear|delete|reduce|lvreduce", Destroy, "destroys volumes, snapshots or pools"),
            ("lvreduce|vgreduce", Destroy, "shrinks volumes, losing data"),
            ("~list|get|status|iostat|show|usage|df|history|events", Read, "only reads volumes"),
        ],
        otherwise: (Change, "changes volumes or file systems"),
    },
    Tool {
        names: &["iptables", "ip6tables", "iptables-legacy", "nft", "ufw", "firewall-cmd"],
        object: ObjectKind::Network,
        value_flags: &["-t", "--table"],
        rules: &[
            ("-L|--list|-S|--list-rules|-C|--check|--list-all|--state|--get-*|--query-*", Read, "only lists rules"),
            ("list|status|show", Read, "only lists rules"),
            ("-F|--flush|-X|--delete-chain|-Z", Destroy, "deletes firewall rules"),
            ("flush|reset|delete|disable", Destroy, "deletes firewall rules"),
        ],
        otherwise: (Change, "changes firewall rules"),
    },
    Tool {
        names: &["ip", "route", "ifconfig", "hostname", "date", "sysctl", "timedatectl-set"],
        object: ObjectKind::Network,
        value_flags: &["-4", "-6", "-n", "-f"],
        rules: &[
            ("~flush|del|delete", Destroy, "deletes network configuration"),
            ("~add|set|change|replace|append|down|up|-w|--write|-s|--set|-p|--load", Change, "changes system configuration"),
            ("hostname|date *", Change, "changes system configuration"),
        ],
        otherwise: (Read, "only reads system configuration"),
    },
    Tool {
        names: &["useradd", "usermod", "passwd", "groupadd", "groupmod", "chpasswd", "adduser", "addgroup", "visudo", "chsh", "gpasswd", "at", "batch", "mount.*", "modprobe", "rmmod", "insmod", "ldconfig", "update-alternatives", "sysctl-write", "setenforce", "chroot-setup", "certbot", "ssh-copy-id", "scp", "sftp"],
        object: ObjectKind::Host,
        value_flags: &[],
        rules: &[("--help|--version|-V", Read, "prints help")],
        otherwise: (Change, "changes the machine's configuration"),
    },
    // Package managers of the operating system.
    Tool {
        names: &["apt", "apt-get", "aptitude", "yum", "dnf", "microdnf", "zypper", "apk", "snap", "flatpak", "port", "pkg", "emerge", "xbps-install", "nix-env"],
        object: ObjectKind::Package,
        value_flags: &["-o", "-c", "-t", "--repo", "-R"],
        rules: &[
            ("-s|--simulate|--dry-run|--just-print|--no-act|--recon|--assumeno", Read, "only simulates"),
            ("purge|autopurge|autoremove --purge", Destroy, "removes packages and their configuration"),
            ("remove --purge", Destroy, "removes packages and their configuration"),
            (PACKAGE_READ, Read, "only reads package information"),
            ("list-*|show*|search*|info*|query|madison|changelog|download|source|rdepends|provides|whatprovides|repolist|check-update|history|deplist|-Q*|-S?|-Si|-Ss|-Qi|-Ql|-Qs", Read, "only reads package information"),
        ],
        otherwise: (Change, "installs, removes or upgrades system packages"),
    },
    Tool {
        names: &["dpkg", "rpm", "pacman", "brew"],
        object: ObjectKind::Package,
        value_flags: &["--root", "--admindir"],
        rules: &[
            ("-P|--purge|uninstall --zap|-Rns|-Rn", Destroy, "removes packages and their configuration"),
            ("-l|--list|-L|--listfiles|-s|--status|-S|--search|-q|--query|-Q|-Qi|-Ql|-Qs|-Ss|-Si|-V|--verify|--print-architecture|--version|--get-selections|-qa|-qi|-ql|-qf", Read, "only reads package information"),
            ("list|ls|search|info|home|deps|uses|leaves|outdated|doctor|config|--version|desc|cat|log|options|tap-info|--prefix|--cellar|--cache|--repository|commands", Read, "only reads package information"),
        ],
        otherwise: (Change, "installs, removes or upgrades packages"),
    },
    // Language package managers and build tools: routine in the workspace.
    Tool {
        names: &["npm", "pnpm", "yarn", "bun"],
        object: ObjectKind::Package,
        value_flags: &["--prefix", "-w", "--workspace", "--filter", "-F", "--registry", "--cwd", "-C", "--dir"],
        rules: &[
            ("-g|--global|--location=global", Change, "changes packages outside the workspace"),
            ("global", Change, "changes packages outside the workspace"),
            ("unpublish", Destroy, "deletes a published package version"),
            ("publish|deprecate|owner|access|dist-tag|adduser|login|logout|token|team|org|star|unstar|hook|profile", Change, "changes the package registry"),
            ("ls|list|view|info|show|outdated|audit|search|whoami|help|-v|--version|version|doctor|explain|why|root|bin|prefix|config|get|fund|query|licenses|ping|bugs|docs|repo|-h|--help|sbom|diff", Read, "only reads package information"),
            ("run|run-script|x|exec|dlx !-h", Workspace, "runs a project script"),
            ("install|i|add|ci|uninstall|remove|rm|r|un|update|up|upgrade|test|t|tst|start|build|init|create|link|unlink|prune|pack|rebuild|dedupe|ddp|cache|install-test|it|set|shrinkwrap|stop|restart|import|patch|why|format|lint|dev|serve|typecheck|check|fmt|watch|compile|preview|bench|coverage|clean|generate|storybook|e2e|tsc|vitest|jest|eslint|prettier|$", Workspace, "works on the project's packages or scripts"),
        ],
        otherwise: (Change, "runs a project script holdpoint does not know"),
    },
    Tool {
        names: &["cargo"],
        object: ObjectKind::Package,
        value_flags: &["-p", "--package", "--manifest-path", "--target", "--target-dir", "--features", "-F", "-j", "--jobs", "--color", "-Z", "--bin", "--example", "--test", "--bench", "--profile", "--config"],
        rules: &[
            ("yank", Destroy, "withdraws a published version"),
            ("publish|owner|login|logout", Change, "changes the package registry"),
            ("install|uninstall", Change, "changes installed binaries outside the workspace"),
            ("tree|metadata|search|--version|-V|version|help|locate-project|pkgid|read-manifest|verify-project|info|--list", Read, "only reads package information"),
        ],
        otherwise: (Workspace, "builds, tests or formats the project"),
    },
    Tool {
        names: &["go"],
        object: ObjectKind::Package,
        value_flags: &["-C", "-o", "-run", "-tags", "-ldflags", "-gcflags", "-mod", "-p", "-timeout", "-bench", "-count"],
        rules: &[
            ("install", Change, "installs binaries outside the workspace"),
            ("env -w|-u", Change, "changes the Go environment"),
            ("env|version|list|doc|help", Read, "only reads"),
        ],
        otherwise: (Workspace, "builds or tests the project"),
    },
    Tool {
        names: &["pip", "pip3", "pipx", "pip3.*", "easy_install"],
        object: ObjectKind::Package,
        value_flags: &["-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-t", "--target", "--prefix", "--root", "-f", "--find-links"],
        rules: &[
            ("--dry-run", Read, "only shows what would be installed"),
            ("list|show|freeze|check|search|index|--version|-V|help|config|debug|inspect|hash", Read, "only reads package information"),
            ("cache list|info|dir", Read, "only reads the cache"),
            ("download|wheel", Workspace, "downloads packages into the workspace"),
        ],
        otherwise: (Change, "installs or removes Python packages"),
    },
    Tool {
        names: &["uv", "poetry", "pdm", "pipenv", "hatch", "rye", "conda", "mamba", "micromamba"],
        object: ObjectKind::Package,
        value_flags: &["-p", "--python", "--directory", "-C", "-n", "--name", "-e", "--env", "--project"],
        rules: &[
            ("publish|upload", Change, "publishes a package"),
            ("env remove", Change, "removes an environment"),
            ("tool|self|global|--global|-g", Change, "changes tools outside the workspace"),
            ("pip install|uninstall --system", Change, "changes system Python packages"),
            ("show|list|info|version|--version|help|search|tree|check|config|--help", Read, "only reads package information"),
            ("env info|list", Read, "only reads environments"),
            ("pip list|show|freeze|check|tree", Read, "only reads package information"),
        ],
        otherwise: (Workspace, "works on the project's environment"),
    },
    Tool {
        names: &["gem", "bundle", "bundler", "composer", "mix", "rebar3", "dotnet", "mvn", "mvnw", "gradle", "gradlew", "sbt", "lein", "cabal", "stack", "dune", "opam", "swift", "nuget"],
        object: ObjectKind::Package,
        value_flags: &["-f", "--file", "-p", "--project", "-c", "--configuration", "-s", "--settings", "-P"],
        rules: &[
            ("yank|unpublish", Destroy, "withdraws a published version"),
            ("ef database drop", Destroy, "drops the database"),
            ("ef database update|migrations remove", Change, "changes the database schema"),
            ("deploy|publish|push|release|release:perform|upload|nuget push|owner|signin|login|-g|--global|global", Change, "publishes or changes things outside the workspace"),
            ("ecto.drop|ecto.reset|ecto.rollback", Destroy, "drops or rolls back the database"),
            ("ecto.migrate|ecto.create|ecto.setup|ecto.load", Change, "changes the database"),
            ("gem install|uninstall|update|cleanup", Change, "changes installed gems"),
            ("list|search|info|env|query|contents|which|spec|outdated|show|--version|-v|version|help|dependency|dependencies|licenses|audit|check|doctor|tree", Read, "only reads package information"),
        ],
        otherwise: (Workspace, "builds, tests or fetches for the project"),
    },
    Tool {
        names: &["gem"],
        object: ObjectKind::Package,
        value_flags: &[],
        rules: &[],
        otherwise: (Change, "installs or removes gems"),
    },
    Tool {
        names: &["make", "gmake", "just", "task", "ninja", "cmake", "meson", "bazel", "bazelisk", "buck", "buck2", "scons", "invoke", "nox", "tox", "pre-commit", "lefthook", "earthly"],
        object: ObjectKind::Command,
        value_flags: &["-C", "-f", "--file", "-j", "--jobs", "-B", "-S", "-G", "-D", "--build", "-e", "-o", "-l", "--justfile", "-d", "--directory", "--target"],
        rules: &[
            ("-n|--dry-run|--just-print|--recon|-q|--question|-p|--print-data-base|--list|-l|--summary|--help|--version|-h|--show|query|info|--evaluate", Read, "only shows what would run"),
            ("~install|deploy|deploy-*|release|publish|push|upload|uninstall|prod|production|prod-*|migrate|migrate-*|db-*|db:*|*-prod|*-production|destroy|teardown|drop|reset|rollback|apply|terraform*|k8s*|kube*|helm*|docker-push|ship|promote|provision|seed|backup|restore|purge|nuke|wipe", Change, "runs a build target that may act outside the workspace"),
        ],
        otherwise: (Workspace, "builds or tests the project"),
    },
    Tool {
        names: &["pytest", "py.test", "jest", "vitest", "mocha", "ava", "tap", "karma", "playwright", "cypress", "tsc", "eslint", "prettier", "black", "ruff", "mypy", "pyright", "flake8", "pylint", "isort", "autopep8", "yapf", "rustfmt", "gofmt", "goimports", "golangci-lint", "clang-format", "clang-tidy", "rubocop", "standardrb", "phpunit", "phpstan", "psalm", "stylelint", "biome", "deno", "tsx", "ts-node", "esbuild", "vite", "webpack", "rollup", "parcel", "turbo", "nx", "lerna", "rustc", "gcc", "g++", "cc", "c++", "clang", "clang++", "javac", "java", "kotlinc", "scalac", "ghc", "zig", "nim", "tflint", "tfsec", "checkov", "trivy", "semgrep", "bandit", "safety", "codespell", "markdownlint", "actionlint", "buf", "protoc", "sqlfluff", "sqlc", "swag", "mkdocs", "sphinx-build", "hugo", "jekyll", "asciidoctor", "pandoc", "cloc", "ctags", "coverage", "nyc", "c8", "hyperfine", "criterion", "grpcurl-local", "jupyter", "ipython", "nbconvert", "gdb", "lldb", "valgrind", "strace", "ltrace", "perf", "cargo-nextest", "nextest", "wasm-pack", "trunk", "tauri", "expo", "react-native", "flutter", "dart", "elm", "gleam", "crystal", "shards", "zola", "storybook", "next", "nuxt", "astro", "svelte-kit", "ng", "vue-cli-service", "tailwindcss", "postcss", "sass", "lessc", "patch", "diff3", "split", "csplit", "gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "zip", "unzip", "7z", "7za", "unrar", "cpio", "ar", "wget", "mktemp", "mkfifo", "ssh-agent", "direnv", "asdf", "mise", "rtx", "nvm", "pyenv", "rbenv", "rustup", "volta", "fnm", "corepack", "git-lfs", "pnpx", "code", "codium", "subl", "idea", "xdg-open", "open"],
        object: ObjectKind::Command,
        value_flags: &[],
        rules: &[("--version|-V|--help|-h", Read, "prints its version")],
        otherwise: (Workspace, "builds, tests, checks or formats the project"),
    },
    // Migration and framework tools.
    Tool {
        names: &["rails", "rake", "bin/rails", "bin/rake"],
        object: ObjectKind::Database,
        value_flags: &["-e", "--environment", "-f", "--rakefile"],
        rules: &[
            ("-T|--tasks|-P|--prereqs|-D|--describe|-W|--where|--version|-v|-h|--help", Read, "lists tasks"),
            ("db:drop*|db:reset|db:purge|db:schema:load|db:structure:load|db:setup|db:rollback|db:migrate:reset|db:migrate:redo|db:migrate:down|db:truncate_all|db:seed:replant|db:fixtures:load|db:test:purge|db:environment:set|tmp:clear|log:clear|assets:clobber", Destroy, "drops, resets or rolls back the database"),
            ("db:migrate*|db:seed|db:create*|db:prepare|db:schema:cache:*|db:encryption:init|data:migrate", Change, "changes the database"),
            ("db:version|db:migrate:status|routes|about|stats|notes|middleware|secret|credentials:show|db:schema:dump|db:abort_if_pending_migrations|time:zones*|initializers|zeitwerk:check|version", Read, "only reads"),
            ("test|test:*|spec|spec:*|assets:precompile|assets:clean|generate|g|new|destroy|d|lint|rubocop|yarn:install|javascript:*|css:*|tailwindcss:*|dartsass:*|app:update", Workspace, "works on the project"),
        ],
        otherwise: (Change, "runs a task holdpoint does not know"),
    },
    Tool {
        names: &["manage.py", "django-admin"],
        object: ObjectKind::Database,
        value_flags: &["--settings", "--database", "--pythonpath", "-v", "--verbosity"],
        rules: &[
            ("flush|reset_db|reset_schema|drop_test_database|clear_cache|clearsessions", Destroy, "deletes all data from the database"),
            ("migrate * zero", Destroy, "unapplies every migration, dropping the tables"),
            ("migrate * *", Destroy, "migrates backwards, which may drop tables"),
            ("migrate --plan", Read, "only shows the migration plan"),
            ("migrate|createsuperuser|loaddata|changepassword|createcachetable|remove_stale_contenttypes|collectstatic|shell|shell_plus|dbshell|runscript|update_index|rebuild_index|sync_*", Change, "changes the database or the deployment"),
            ("showmigrations|check|sqlmigrate|diffsettings|inspectdb|help|version|--version|dumpdata|sqlflush|sqlsequencereset|show_urls|validate_templates|findstatic|print_settings", Read, "only reads"),
            ("makemigrations|startapp|startproject|test|runserver|compilemessages|makemessages|squashmigrations|optimizemigration|graph_models|test_coverage", Workspace, "works on the project"),
        ],
        otherwise: (Change, "runs a management command holdpoint does not know"),
    },
    Tool {
        names: &["prisma"],
        object: ObjectKind::Database,
        value_flags: &["--schema", "--name", "-n", "--file", "--url"],
        rules: &[
            ("migrate reset", Destroy, "drops the database and reapplies migrations"),
            ("db push --force-reset|--accept-data-loss", Destroy, "resets the database or accepts data loss"),
            ("migrate resolve|deploy|dev", Change, "applies migrations to the database"),
            ("migrate status|diff", Read, "only compares schemas"),
            ("db push|seed|execute|pull", Change, "changes the database"),
            ("validate|version|-v|--version|help|--help|debug", Read, "only checks"),
            ("generate|format|init", Workspace, "works on the project"),
        ],
        otherwise: (Change, "changes the database"),
    },
    Tool {
        names: &["alembic"],
        object: ObjectKind::Database,
        value_flags: &["-c", "--config", "-n", "--name", "-x", "-m", "--message"],
        rules: &[
            ("--sql|upgrade|downgrade --sql", Read, "only prints SQL"),
            ("~--sql", Read, "only prints SQL"),
            ("downgrade", Destroy, "rolls back migrations, which drops schema objects"),
            ("upgrade|stamp|merge-heads", Change, "changes the database schema"),
            ("current|history|heads|branches|show|check|list_templates|--version|--help|-h", Read, "only reads"),
            ("revision|init|merge|edit|ensure_version", Workspace, "works on migration files"),
        ],
        otherwise: (Change, "changes the database"),
    },
    Tool {
        names: &["flyway"],
        object: ObjectKind::Database,
        value_flags: &[],
        rules: &[
            ("~clean|undo", Destroy, "drops every object in the schemas"),
            ("~info|validate|check|version|help|-v|-?", Read, "only reads"),
        ],
        otherwise: (Change, "changes the database schema"),
    },
    Tool {
        names: &["liquibase", "lb"],
        object: ObjectKind::Database,
        value_flags: &["--changelog-file", "--changeLogFile", "--url", "--username", "--password", "--defaults-file", "--tag", "--count"],
        rules: &[
            ("~rollbackSQL|rollback-sql|rollbackCountSQL|rollback-count-sql|rollbackToDateSQL|rollback-to-date-sql|updateSQL|update-sql|updateCountSQL|update-count-sql|futureRollbackSQL|future-rollback-sql|status|history|diff|validate|snapshot|generateChangeLog|generate-changelog|diffChangeLog|diff-changelog|--version|unexpected-changesets|unexpectedChangeSets|list-locks|listLocks|dbDoc|db-doc|help|checks|connect", Read, "only reads or prints SQL"),
            ("~dropAll|drop-all|rollback*|rollbackCount|rollbackToDate|update-testing-rollback|updateTestingRollback", Destroy, "drops objects or rolls back changes"),
        ],
        otherwise: (Change, "changes the database schema"),
    },
    Tool {
        names: &["knex"],
        object: ObjectKind::Database,
        value_flags: &["--knexfile", "--env", "--cwd", "--specific"],
        rules: &[
            ("migrate:rollback|migrate:down|migrate:unlock", Destroy, "rolls back migrations, which drops schema objects"),
            ("migrate:status|migrate:list|migrate:currentVersion|--version|--help", Read, "only reads"),
            ("migrate:make|seed:make|init", Workspace, "works on migration files"),
        ],
        otherwise: (Change, "changes the database"),
    },
    Tool {
        names: &["sequelize", "sequelize-cli"],
        object: ObjectKind::Database,
        value_flags: &["--env", "--config", "--to", "--name", "--seed"],
        rules: &[
            ("db:drop|db:migrate:undo*|db:seed:undo*", Destroy, "drops the database or undoes migrations"),
            ("db:migrate:status|--version|--help|help", Read, "only reads"),
            ("migration:*|model:*|seed:generate|seed:create|init*", Workspace, "works on migration files"),
        ],
        otherwise: (Change, "changes the database"),
    },
    Tool {
        names: &["typeorm", "typeorm-ts-node-commonjs", "typeorm-ts-node-esm", "mikro-orm", "drizzle-kit", "diesel", "sqlx", "dbmate", "goose", "migrate", "atlas", "sqitch", "refinery", "artisan", "supabase", "hasura", "php-artisan"],
        object: ObjectKind::Database,
        value_flags: &["-d", "--dataSource", "--config", "-c", "--database-url", "--path", "-path", "-database", "--env", "--url", "--dir", "--schema", "--source", "-dir"],
        rules: &[
            ("~schema:drop|migration:revert|migration:down|drop|down|reset|rollback|redo|revert|down-to|wipe|fresh|migrate:fresh|migrate:reset|migrate:refresh|migrate:rollback|db:wipe|clean|schema:fresh|force", Destroy, "drops the database or rolls back migrations"),
            ("~status|version|info|list|show|check|schema:log|migration:show|migrate:status|route:list|about|--version|--help|inspect|lint|validate|print-schema|diff", Read, "only reads"),
            ("~generate|new|create|make:*|migration:generate|migration:create|add|init|prepare|print|dump", Workspace, "works on migration files"),
        ],
        otherwise: (Change, "changes the database"),
    },
    Tool {
        names: &["heroku", "fly", "flyctl", "vercel", "netlify", "railway", "render", "doctl", "linode-cli", "hcloud", "scw", "ibmcloud", "oci", "exoscale", "upcloud", "vultr-cli", "wrangler", "firebase", "amplify", "eb", "serverless", "sls", "sam", "cdk", "cdktf", "copilot", "ansible-playbook", "salt", "chef-client", "puppet", "nomad", "argocd", "flux", "istioctl", "linkerd", "eksctl", "kind", "minikube", "k3d", "k9s", "skaffold", "tilt", "kustomize", "kubeadm", "velero", "stern", "kubectx", "kubens"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-a", "--app", "-r", "--remote", "--project", "--context", "-n", "--namespace", "-o", "--output", "--region", "-i", "--inventory", "-e", "--stage", "--profile", "-c", "--config"],
        rules: &[
            ("--check|--diff|--dry-run|--dryrun|-C|--list-hosts|--list-tasks|--syntax-check|--preview|--plan", Read, "only shows what would change"),
            ("~destroy|delete|remove|rm|pg:reset|pg:killall|apps:destroy|addons:destroy|ps:kill|ps:stop|stop|uninstall|purge|wipe|teardown|scale=0|sites:delete|down|prune|reset|terminate|cordon|drain|projects:delete|deprovision", Destroy, "deletes or stops deployed resources"),
            ("~logs|status|list|ls|info|show|get|describe|whoami|version|--version|help|releases|ps|config|inspect|diff|synth|template|build|lint|validate|dashboard|context|history|top|tail|env|open|doctor|preview|plan|graph|ping", Read, "only reads deployed resources"),
        ],
        otherwise: (Change, "changes deployed resources"),
    },
    Tool {
        names: &["vault"],
        object: ObjectKind::Secret,
        value_flags: &["-address", "-namespace", "-format", "-field", "-mount", "-path", "-method"],
        rules: &[
            ("kv delete|destroy", Destroy, "deletes secrets"),
            ("kv metadata delete", Destroy, "deletes secrets with their history"),
            ("kv metadata get|list", Read, "reads secret metadata"),
            ("delete|destroy", Destroy, "deletes secrets"),
            ("secrets|auth|audit disable", Destroy, "disables a secrets engine, auth method or audit log"),
            ("policy delete", Destroy, "deletes a policy"),
            ("token|lease revoke", Destroy, "revokes credentials"),
            ("operator seal|step-down|raft", Destroy, "seals or reconfigures the vault"),
            ("kv get|list", Read, "reads secrets"),
            ("read|list|status|version|login|print|path-help|-version", Read, "only reads"),
            ("token lookup|capabilities", Read, "only reads"),
            ("policy|secrets|auth|audit|namespace read|list", Read, "only reads"),
        ],
        otherwise: (Change, "changes secrets or vault configuration"),
    },
    Tool {
        names: &["consul"],
        object: ObjectKind::Secret,
        value_flags: &["-http-addr", "-token", "-datacenter", "-format"],
        rules: &[
            ("kv delete", Destroy, "deletes keys"),
            ("services deregister", Destroy, "deregisters services"),
            ("leave|force-leave", Destroy, "removes a node from the cluster"),
            ("kv get|export", Read, "reads keys"),
            ("members|catalog|info|version|monitor|operator|acl|config|intention|snapshot", Read, "only reads"),
        ],
        otherwise: (Change, "changes the cluster"),
    },
    Tool {
        names: &["etcdctl"],
        object: ObjectKind::Secret,
        value_flags: &["--endpoints", "--cacert", "--cert", "--key", "-w", "--write-out", "--user", "--dial-timeout"],
        rules: &[
            ("del|rm|rmdir|compaction|compact|defrag", Destroy, "deletes keys or history"),
            ("lease revoke", Destroy, "revokes a lease and deletes its keys"),
            ("member|user|role remove|delete", Destroy, "removes members, users or roles"),
            ("auth disable", Destroy, "disables authentication"),
            ("snapshot restore", Destroy, "replaces the data directory from a snapshot"),
            ("get|ls|endpoint|version|watch|check", Read, "only reads"),
            ("alarm|member|user|role list|get", Read, "only reads"),
            ("snapshot status|save", Read, "only reads"),
        ],
        otherwise: (Change, "changes keys or cluster membership"),
    },
    Tool {
        names: &["gh", "glab", "hub"],
        object: ObjectKind::Repository,
        value_flags: &["-R", "--repo", "-q", "--jq", "-t", "--template", "-H", "--header", "-b", "--body", "--title", "-L", "--limit", "-s", "--state", "-a", "--assignee", "--base", "--head", "-m"],
        rules: &[
            ("repo|release|secret|variable|run|cache|label|gist|ssh-key|gpg-key|codespace|project|environment|deploy-key|ruleset delete|remove|rm", Destroy, "deletes repositories, releases, secrets or history"),
            ("repo archive", Destroy, "archives the repository"),
            ("extension remove", Change, "removes an extension"),
            ("api -X|--method ~DELETE|delete", Destroy, "sends a DELETE request to the forge"),
            ("api -XDELETE|--method=DELETE", Destroy, "sends a DELETE request to the forge"),
            ("api -X|--method|-f|-F|--field|--raw-field|--input", Change, "sends a writing request to the forge"),
            ("api|search|browse|status|--version|version|help|completion", Read, "only reads"),
            ("auth status|token", Read, "only reads"),
            ("pr|issue|repo|run|workflow|release|gist|cache|label|secret|variable|ruleset|project|codespace|org|extension|alias|config|auth view|list|diff|status|checks|watch|get|ls|show", Read, "only reads"),
            ("pr|repo checkout|clone", Workspace, "fetches into the workspace"),
        ],
        otherwise: (Change, "changes the forge: comments, merges, releases or settings"),
    },
    Tool {
        names: &["curl"],
        object: ObjectKind::Network,
        value_flags: &["-H", "--header", "-u", "--user", "-A", "--user-agent", "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar", "--cacert", "--cert", "--key", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "--retry", "--resolve", "-x", "--proxy", "--url", "-r", "--range", "--limit-rate", "-K", "--config"],
        rules: &[
            ("-X|--request ~DELETE|delete", Destroy, "sends a DELETE request"),
            ("-XDELETE|--request=DELETE", Destroy, "sends a DELETE request"),
            ("-X|--request ~GET|HEAD|OPTIONS|get|head", Read, "sends a reading request"),
            ("-XGET|-XHEAD|--request=GET|--request=HEAD", Read, "sends a reading request"),
            ("-X*|--request*|-d|--data*|-F|--form*|-T|--upload-file|--json|-P|--ftp-port", Change, "sends a writing request"),
            ("-o|--output|-O|--remote-name|--remote-name-all|--output-dir", Workspace, "downloads to a file"),
        ],
        otherwise: (Read, "fetches a URL to standard output"),
    },
    Tool {
        names: &["http", "https", "xh", "xhs"],
        object: ObjectKind::Network,
        value_flags: &["-a", "--auth", "-A", "--auth-type", "--session", "-o", "--output", "--verify", "--cert"],
        rules: &[
            ("DELETE|delete", Destroy, "sends a DELETE request"),
            ("GET|HEAD|OPTIONS|get|head", Read, "sends a reading request"),
            ("POST|PUT|PATCH|post|put|patch", Change, "sends a writing request"),
            ("-f|--form|--raw|-d|--download", Change, "sends a writing request"),
            ("~*=*|*:=*|*@*", Change, "sends data in a writing request"),
        ],
        otherwise: (Read, "sends a reading request"),
    },
    Tool {
        names: &["openssl-write", "ssh-keyscan", "nmap", "mtr", "arp", "iw", "nmcli", "tcpdump", "tshark", "ngrep"],
        object: ObjectKind::Network,
        value_flags: &[],
        rules: &[],
        otherwise: (Read, "only observes the network"),
    },
    Tool {
        names: &["tar", "bsdtar", "gtar"],
        object: ObjectKind::File,
        value_flags: &["-f", "--file", "-C", "--directory", "-T", "--files-from", "-X", "--exclude-from", "--exclude"],
        rules: &[("-t|--list|--diff|-d|--compare", Read, "only lists an archive")],
        otherwise: (Workspace, "packs or unpacks an archive"),
    },
    Tool {
        names: &["ansible"],
        object: ObjectKind::Infrastructure,
        value_flags: &["-i", "--inventory", "-u", "--user", "-e", "--extra-vars", "-f", "--forks", "-l", "--limit", "-M", "--module-path", "-t", "--tree", "-B", "-P", "--become-user", "-c", "--connection"],
        rules: &[
            ("--check|-C|--list-hosts|--syntax-check", Read, "only shows what would change"),
            ("~*state=absent*|*state=stopped*|*state=killed*|*state=unmounted*|*force=yes*", Destroy, "removes or stops things on the managed hosts"),
            ("-m|--module-name ~ping|setup|gather_facts|stat|find|slurp|*_info|*_facts|debug", Read, "only gathers facts from the managed hosts"),
        ],
        otherwise: (Change, "changes the managed hosts"),
    },
    Tool {
        names: &["rsync"],
        object: ObjectKind::File,
        value_flags: &["-e", "--rsh", "--exclude", "--include", "--exclude-from", "--include-from", "--filter", "-f", "--chmod", "--chown", "--port", "--password-file", "--log-file", "-T", "--temp-dir", "--partial-dir", "--backup-dir", "--suffix"],
        rules: &[("-n|--dry-run|--list-only", Read, "only shows what would be copied")],
        otherwise: (Change, "copies files"),
    },
];
