//! What a command reads, and where it sends it: holdpoint's own files and process
//! (self-protection), credentials (`read:secret`), and credentials sent to the network
//! (`destroy`: what has left cannot be called back).
//!
//! A command reads the contents of its operands unless it is known to look only at names
//! and metadata (`ls`, `du`, `find`, `stat`) or to use a credential without showing it
//! (`ssh -i`). A recursive read reaches everything below its operand, so a search or
//! copy of the home directory reads holdpoint's home.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::effect::{Effect, ObjectKind, Risk, Verb};
use crate::pattern::{glob_match, has_glob};

use super::Walker;
use super::paths::{self, Found, Location, Reach};
use super::tools::{self, Args};
use super::{Invocation, Stream, words::Expanded};

/// Commands that look only at names and metadata, or print a digest, never the contents
/// of what they name.
const NAMES_ONLY: &[&str] = &[
    "ls",
    "ll",
    "dir",
    "vdir",
    "exa",
    "eza",
    "lsd",
    "tree",
    "du",
    "df",
    "stat",
    "file",
    "find",
    "fd",
    "fdfind",
    "locate",
    "plocate",
    "mlocate",
    "realpath",
    "readlink",
    "basename",
    "dirname",
    "test",
    "[",
    "pwd",
    "cd",
    "pushd",
    "popd",
    "echo",
    "printf",
    "touch",
    "mkdir",
    "rmdir",
    "chmod",
    "chown",
    "chgrp",
    "chattr",
    "lsattr",
    "getfacl",
    "setfacl",
    "namei",
    "which",
    "whereis",
    "type",
    "command",
    "hash",
    "mountpoint",
    "sync",
    "wc",
    "md5sum",
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "b2sum",
    "cksum",
    "sum",
    "rm",
    "unlink",
    "shred",
    "srm",
    "truncate",
    "fallocate",
    "ln",
    "link",
    "tee",
    "sponge",
    "mktemp",
    "export",
    "declare",
    "typeset",
    "local",
    "alias",
    "true",
    "false",
    ":",
    "sleep",
    "date",
    "id",
    "whoami",
    "uname",
    "git-lfs",
];

/// Commands that use a credential they are given without showing it.
const USES_CREDENTIALS: &[&str] = &[
    "ssh",
    "ssh-add",
    "ssh-keygen",
    "ssh-copy-id",
    "ssh-keyscan",
    "source",
    ".",
    "sshfs",
    "autossh",
    "mosh",
];

/// Options whose value is a file of credentials the command uses, not shows.
const CREDENTIAL_USE_FLAGS: &[&str] = &[
    "-key",
    "-inkey",
    "-signkey",
    "-CAkey",
    "-keystore",
    "--keystore",
    "--keyfile",
    "--key-file",
    "--env-file",
    "--kubeconfig",
    "--identity-file",
    "--netrc-file",
    "--key",
    "--cert",
    "--cacert",
    "--private-key",
    "--ssh-key",
    "--password-file",
    "--client-key",
    "--tls-key",
];

/// Commands that print credentials: names (`*` a wildcard), a rule in the command
/// table's pattern language, and what they print.
const PRINTS_CREDENTIALS: &[(&[&str], &str, &str)] = &[
    (&["gh"], "auth token", "prints the GitHub token"),
    (
        &["gh"],
        "auth status -t|--show-token",
        "prints the GitHub token",
    ),
    (
        &["aws"],
        "configure export-credentials|get",
        "prints cloud credentials",
    ),
    (
        &["aws"],
        "ecr|ecr-public get-login-password",
        "prints a registry password",
    ),
    (
        &["aws"],
        "sts get-session-token|assume-role|assume-role-with-web-identity|assume-role-with-saml|get-federation-token",
        "prints temporary cloud credentials",
    ),
    (
        &["aws"],
        "secretsmanager get-secret-value|batch-get-secret-value",
        "prints secrets",
    ),
    (
        &["aws"],
        "ssm get-parameter|get-parameters|get-parameters-by-path --with-decryption",
        "prints decrypted parameters",
    ),
    (
        &["gcloud"],
        "auth print-access-token|print-identity-token",
        "prints a cloud token",
    ),
    (
        &["gcloud"],
        "auth application-default print-access-token",
        "prints a cloud token",
    ),
    (&["gcloud"], "secrets versions access", "prints a secret"),
    (&["az"], "account get-access-token", "prints a cloud token"),
    (&["az"], "keyvault secret show|download", "prints a secret"),
    (
        &["kubectl", "oc", "k"],
        "get secret|secrets|secret/*|secrets/* -o*|--output*",
        "prints the data of cluster secrets",
    ),
    (
        &["kubectl", "oc", "k"],
        "get ~secret/*|secrets/* -o*|--output*",
        "prints the data of cluster secrets",
    ),
    (
        &["kubectl", "oc", "k"],
        "config view --raw|--flatten",
        "prints cluster credentials",
    ),
    (
        &["kubectl", "oc", "k"],
        "create token",
        "prints a cluster token",
    ),
    (&["vault"], "kv get", "prints secrets"),
    (&["vault"], "read|print", "prints secrets"),
    (&["op"], "read|inject", "prints secrets from 1Password"),
    (&["op"], "item get", "prints secrets from 1Password"),
    (&["pass", "gopass"], "show|otp", "prints a password"),
    (
        &["security"],
        "find-generic-password|find-internet-password -w|-g",
        "prints a keychain password",
    ),
    (&["secret-tool"], "lookup", "prints a keyring secret"),
    (
        &["gpg", "gpg2"],
        "--export-secret-keys|--export-secret-subkeys|-d|--decrypt",
        "prints private keys or decrypted secrets",
    ),
    (
        &["git"],
        "credential fill|get",
        "prints stored git credentials",
    ),
    (
        &["docker-credential-*"],
        "get",
        "prints registry credentials",
    ),
    (&["heroku"], "auth:token", "prints the Heroku token"),
    (
        &["sops"],
        "-d|--decrypt|decrypt",
        "prints decrypted secrets",
    ),
    (
        &["ansible-vault"],
        "view|decrypt",
        "prints decrypted secrets",
    ),
    (&["sops"], "decrypt", "prints decrypted secrets"),
    (&["age", "rage"], "-d|--decrypt", "prints decrypted secrets"),
    (
        &["mc", "mcli"],
        "alias list|ls|export",
        "prints storage keys",
    ),
    (&["s3cmd"], "--dump-config", "prints storage keys"),
    (&["rclone"], "config show|dump", "prints storage keys"),
    (
        &["restic"],
        "cat masterkey",
        "prints the repository's master key",
    ),
    (
        &["borg", "borg2", "borgbackup"],
        "key export",
        "prints the repository key",
    ),
    (&["consul"], "acl token read|list", "prints ACL tokens"),
    (&["nomad"], "acl token self|info", "prints an ACL token"),
    (
        &["nomad"],
        "var get",
        "prints variables, which hold secrets",
    ),
    (
        &["salt", "salt-ssh"],
        "* pillar.*",
        "prints pillar data, which holds secrets",
    ),
    (
        &["salt-call"],
        "pillar.*",
        "prints pillar data, which holds secrets",
    ),
    (
        &["knife"],
        "data bag show --secret|--secret-file",
        "prints decrypted data bag items",
    ),
    (&["knife"], "vault show", "prints decrypted vault items"),
    (
        &["airflow"],
        "connections get|list|export",
        "prints connections with their passwords",
    ),
    (
        &["airflow"],
        "variables get|export",
        "prints variables, which may hold secrets",
    ),
    (
        &["airflow"],
        "config list|get-value",
        "prints configuration with its keys and passwords",
    ),
    (
        &["doppler"],
        "configure get|debug",
        "prints the Doppler token",
    ),
    (&["doppler"], "secrets get|download", "prints secrets"),
    (&["doppler"], "secrets $", "prints secrets"),
    (&["infisical"], "secrets get|export", "prints secrets"),
    (&["infisical"], "export", "prints secrets"),
    (&["chamber"], "read|export|env", "prints secrets"),
    (&["berglas"], "access", "prints a secret"),
];

/// Commands that run another command given in their arguments: what they read is judged
/// when that command is.
const RUNS_COMMANDS: &[&str] = &[
    "sudo",
    "doas",
    "timeout",
    "nice",
    "ionice",
    "nohup",
    "setsid",
    "unbuffer",
    "builtin",
    "caffeinate",
    "xvfb-run",
    "dbus-run-session",
    "catchsegv",
    "proxychains",
    "proxychains4",
    "torsocks",
    "tsocks",
    "faketime-off",
    "stdbuf",
    "then",
    "do",
    "else",
    "time",
    "command",
    "exec",
    "chrt",
    "taskset",
    "flock",
    "chroot",
    "watch",
    "strace",
    "ltrace",
    "nsenter",
    "unshare",
    "bwrap",
    "firejail",
    "systemd-run",
    "env",
    "bash",
    "sh",
    "zsh",
    "dash",
    "ksh",
    "ash",
    "mksh",
    "fish",
    "busybox",
    "tcsh",
    "csh",
    "eval",
    "xargs",
    "parallel",
    "su",
    "runuser",
    "sg",
    "script",
    "nix-shell",
    "npx",
    "bunx",
    "pnpx",
];

/// Commands that send what they read or are given to another machine.
const NETWORK_SENDERS: &[&str] = &[
    "curl",
    "wget",
    "wget2",
    "http",
    "https",
    "xh",
    "xhs",
    "curlie",
    "httpie",
    "aria2c",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ftp",
    "lftp",
    "tftp",
    "sftp",
    "ssh",
    "mail",
    "mailx",
    "sendmail",
    "mutt",
    "msmtp",
    "dig",
    "host",
    "nslookup",
    "drill",
    "ping",
    "ping6",
    "traceroute",
    "tracepath",
    "mtr",
    "whois",
    "nmap",
    "aws",
    "gsutil",
    "gcloud",
    "az",
    "s3cmd",
    "mc",
    "gh",
];

/// Commands that act on a process they are pointed at.
const PROCESS_TOOLS: &[&str] = &[
    "kill", "pkill", "killall", "gdb", "lldb", "strace", "ltrace", "perf", "gcore", "renice",
    "prlimit", "taskset", "ionice", "nsenter", "py-spy", "rbspy", "bpftrace", "reptyr", "pidof",
    "pgrep", "lsof", "cat", "head", "tail", "less", "more", "grep", "strings", "xxd", "od",
    "hexdump", "dd", "cp", "tr",
];

/// HTTP clients, whose URLs may name holdpoint's own API.
const HTTP_CLIENTS: &[&str] = &[
    "curl", "wget", "wget2", "http", "https", "xh", "xhs", "curlie", "httpie",
];

impl Walker<'_> {
    /// Judges what the command `base` (run as `inv`) reads and where it sends it.
    pub(super) fn reads(&mut self, inv: &Invocation, base: &str, args: &[String]) {
        let text = inv.display();
        if matches!(self.location, Location::Remote(_)) {
            // On another machine holdpoint's files are not there, but credentials are,
            // and what is printed comes back.
            self.prints_credentials(base, args, inv);
            if !RUNS_COMMANDS.contains(&base)
                && !NAMES_ONLY.contains(&base)
                && !USES_CREDENTIALS.contains(&base)
            {
                for (operand, reach) in self.content_operands(inv, base, args) {
                    let Some(value) = operand.value.clone() else {
                        continue;
                    };
                    let credential = paths::credential(&value, self.ctx)
                        || (reach == Reach::Tree
                            && value.starts_with('/')
                            && paths::tree_holds_credentials(&value, self.ctx));
                    if credential {
                        self.secret_read(&value, format!("`{text}` reads credentials (`{value}`)"));
                        break;
                    }
                }
            }
            return;
        }
        self.holdpoint_process(inv, base, &text);
        self.holdpoint_api(inv, base, args, &text);
        self.mounts(inv, base, args, &text);
        self.writes_over(base, args, &text);
        self.prints_credentials(base, args, inv);
        if RUNS_COMMANDS.contains(&base) {
            // What they run is judged when it runs; naming holdpoint's key or store is
            // refused to them too.
            self.names_key_or_store(inv, &text);
            return;
        }
        // Credentials the command reads from files (not ones it prints of its own).
        let mut secret_here = false;
        if !NAMES_ONLY.contains(&base) && !USES_CREDENTIALS.contains(&base) {
            for (operand, reach) in self.content_operands(inv, base, args) {
                match self.operand_read(&operand, reach, &text) {
                    OperandRead::Holdpoint => return,
                    OperandRead::Secret => secret_here = true,
                    OperandRead::Nothing => {}
                }
            }
        } else {
            // Naming holdpoint's key or store is refused even to commands that look only
            // at names.
            self.names_key_or_store(inv, &text);
        }
        if secret_here && base == "git" && args.iter().any(|a| a == "add") {
            self.staged_secret = true;
        }
        let sends = self.sends_to_network(base, args);
        if sends && (secret_here || self.pipe_secret || self.redirect_secret || self.args_secret) {
            self.credentials_sent(&text);
        } else if base == "git"
            && self.staged_secret
            && args.iter().any(|a| a == "push" || a == "send-email")
        {
            self.push(Effect::new(
                Verb::Write,
                ObjectKind::Network,
                &text,
                Risk::Destroy,
                format!("`{text}` pushes credentials added on the same line to another machine, which cannot be taken back"),
            ));
        }
    }

    /// Records that the command `text` sends credentials to another machine. Every rule
    /// that finds a send (the reads of its operands, a network client's input, an
    /// upload's files) records it here, so that it is one effect however many found it.
    pub(super) fn credentials_sent(&mut self, text: &str) {
        self.push(Effect::new(
            Verb::Write,
            ObjectKind::Network,
            text,
            Risk::Destroy,
            format!("`{text}` sends credentials to another machine, which cannot be taken back"),
        ));
    }

    /// Records a credential read and counts it, so that what is done with its output
    /// (a pipe, a command substitution) is known to carry it.
    pub(super) fn secret_read(&mut self, name: &str, summary: String) {
        self.secret_reads += 1;
        self.push(Effect::secret_read(name, summary));
    }

    /// A file read by a redirection (`< FILE`, `3< FILE`): whether it holds credentials.
    pub(super) fn input_redirect(&mut self, path: &Expanded) -> bool {
        let what = format!("< {}", path.best());
        matches!(
            self.operand_read(path, Reach::One, &what),
            OperandRead::Secret
        )
    }

    /// Whether the current command's standard input carries credentials, from a pipe or
    /// a redirection.
    pub(super) fn secret_input(&self) -> bool {
        self.pipe_secret || self.redirect_secret
    }

    /// What one operand read with `reach` reaches.
    pub(super) fn operand_read(
        &mut self,
        operand: &Expanded,
        reach: Reach,
        text: &str,
    ) -> OperandRead {
        let Some(value) = operand.value.as_deref().or(operand.decoded.as_deref()) else {
            // Known only when it runs: only the words it was written with can be judged.
            if operand.text.contains("HOLDPOINT_HOME")
                || (operand.text.starts_with("/proc/") && mentions_holdpoint(&operand.text))
                || operand
                    .text
                    .trim_end_matches('/')
                    .ends_with("/holdpoint.toml")
            {
                self.holdpoint_read(text, &operand.text);
                return OperandRead::Holdpoint;
            }
            return OperandRead::Nothing;
        };
        if value.is_empty() || value == "-" {
            return OperandRead::Nothing;
        }
        if operand.found {
            let (root, name) = value.rsplit_once('/').unwrap_or(("", value));
            let root = if root.is_empty() { "/" } else { root };
            let Some(root) = self.absolute_of(root) else {
                return OperandRead::Nothing;
            };
            let found = Found { root: &root, name };
            if found.reaches_holdpoint(self.ctx, self.files) {
                self.holdpoint_read(text, value);
                return OperandRead::Holdpoint;
            }
            if found.reaches_credentials(self.ctx) {
                self.secret_read(
                    value,
                    format!("`{text}` reads credentials it finds below `{root}`"),
                );
                return OperandRead::Secret;
            }
            return OperandRead::Nothing;
        }
        // Quoted text is not a glob: `'s/.*//'` names nothing but itself.
        let literal;
        let value = if operand.glob || operand.decoded.is_some() {
            value
        } else {
            literal = escape_glob(value);
            literal.as_str()
        };
        let mut secret = false;
        for path in self.read_candidates(value, operand.glob) {
            if paths::in_holdpoint_home(&path, self.ctx)
                || (reach == Reach::Tree && paths::holds_holdpoint_home(&path, self.ctx))
                || (path.starts_with("/proc/") && mentions_holdpoint(&operand.text))
            {
                self.holdpoint_read(text, &path);
                return OperandRead::Holdpoint;
            }
            secret |= paths::credential(&path, self.ctx)
                || (reach == Reach::Tree && paths::tree_holds_credentials(&path, self.ctx));
        }
        if secret {
            self.secret_read(value, format!("`{text}` reads credentials (`{value}`)"));
            return OperandRead::Secret;
        }
        OperandRead::Nothing
    }

    fn holdpoint_read(&mut self, text: &str, path: &str) {
        self.push(Effect::self_protection(
            ObjectKind::Holdpoint,
            path,
            format!(
                "`{text}` reads `{path}`, holdpoint's own files (its configuration may hold a database password; its key and store must stay with holdpoint); only a human may"
            ),
        ));
    }

    /// The absolute paths a path word read here may stand for: as written, through links
    /// made on the same line or already on disk, and what a glob matches on disk.
    fn read_candidates(&self, value: &str, glob: bool) -> Vec<String> {
        let Some(absolute) = self.absolute_of(value) else {
            // Relative to a directory analysis cannot know: judged by its name alone.
            return vec![value.to_owned()];
        };
        let mut out = vec![absolute.clone()];
        let linked = self.through_links(&absolute, true);
        if linked != absolute {
            out.push(linked.clone());
        }
        if glob
            && has_glob(&linked)
            && let Some(matches) = paths::expand_glob(self.files, &linked)
        {
            out.extend(matches);
        }
        let mut real: Vec<String> = out
            .iter()
            .filter_map(|p| self.files.real_path(p))
            .filter(|p| !out.contains(p))
            .collect();
        out.append(&mut real);
        out
    }

    /// A path word as an absolute path, where the directory it is relative to is known.
    pub(super) fn absolute_of(&self, value: &str) -> Option<String> {
        paths::absolute(value, &self.location)
    }

    /// `absolute` with a symbolic link made earlier on the same line followed: always
    /// when `follow_last`, otherwise only for paths below the link.
    pub(super) fn through_links(&self, absolute: &str, follow_last: bool) -> String {
        for (link, target) in self.links.iter().rev() {
            let below = absolute
                .strip_prefix(link.as_str())
                .filter(|rest| rest.starts_with('/') || (rest.is_empty() && follow_last));
            if let Some(rest) = below {
                return paths::normalise("/", &format!("{target}{rest}"));
            }
        }
        absolute.to_owned()
    }

    /// Naming holdpoint's signing key or store (or a glob that could match them), to read,
    /// copy or query it, is refused to every command.
    fn names_key_or_store(&mut self, inv: &Invocation, text: &str) {
        for arg in inv.args() {
            let Some(value) = &arg.value else { continue };
            for candidate in path_candidates(value) {
                let Some(absolute) = self.absolute_of(candidate) else {
                    continue;
                };
                let real = self.files.real_path(&absolute);
                if crate::file::key_or_store(&absolute, self.ctx)
                    || real
                        .as_deref()
                        .is_some_and(|r| crate::file::key_or_store(r, self.ctx))
                    || crate::file::names_secret(&absolute, self.ctx)
                {
                    self.push(Effect::self_protection(
                        ObjectKind::Holdpoint,
                        &absolute,
                        format!("`{text}` uses `{absolute}`, holdpoint's signing key or store; only a human may"),
                    ));
                    return;
                }
            }
        }
    }

    /// The operands whose contents the command reads, and how far.
    fn content_operands(
        &self,
        inv: &Invocation,
        base: &str,
        args: &[String],
    ) -> Vec<(Expanded, Reach)> {
        let expanded = inv.args();
        let recursive = recursive(base, args);
        let reach = if recursive { Reach::Tree } else { Reach::One };
        let positionals = |value_flags: &[&str]| -> Vec<Expanded> {
            let mut out = Vec::new();
            let mut i = 0;
            let mut after_dashes = false;
            while let Some(arg) = expanded.get(i) {
                let word = arg.best();
                if after_dashes {
                    out.push(arg.clone());
                } else if word == "--" {
                    after_dashes = true;
                } else if word.starts_with('-') && word.len() > 1 {
                    if value_flags.contains(&word) {
                        i += 1;
                    }
                } else {
                    out.push(arg.clone());
                }
                i += 1;
            }
            out
        };
        let flag_values = |flags: &[&str]| -> Vec<Expanded> {
            let mut out = Vec::new();
            for (i, arg) in expanded.iter().enumerate() {
                let word = arg.best();
                for flag in flags {
                    if word == *flag {
                        out.extend(expanded.get(i + 1).cloned());
                    } else if let Some(value) = word.strip_prefix(&format!("{flag}=")) {
                        out.push(with_value(arg, value));
                    }
                }
            }
            out
        };
        match base {
            "cp" | "mv" | "install" | "rsync" | "scp" | "rclone" | "gsutil" | "s3cmd" => {
                let value_flags: &[&str] = match base {
                    "rsync" => tools::lookup("rsync").map_or(&[][..], |t| t.value_flags),
                    "scp" => &["-i", "-P", "-o", "-F", "-J", "-l", "-c", "-S"],
                    _ => &[
                        "-t",
                        "--target-directory",
                        "-S",
                        "--suffix",
                        "-m",
                        "--mode",
                        "-o",
                        "-g",
                    ],
                };
                let mut sources = positionals(value_flags);
                if matches!(base, "rclone" | "gsutil" | "s3cmd") && !sources.is_empty() {
                    sources.remove(0);
                }
                let targeted = args
                    .iter()
                    .any(|a| a == "-t" || a.starts_with("--target-directory"));
                if !targeted {
                    sources.pop();
                }
                let reach = if base == "mv" { Reach::Tree } else { reach };
                sources.into_iter().map(|s| (s, reach)).collect()
            }
            "aws" => {
                // `aws s3 cp|mv|sync SRC DEST`: the source is read and sent.
                let split = Args::split(args, &["--profile", "--region", "--endpoint-url"]);
                match split.positionals.as_slice() {
                    ["s3", "cp" | "mv" | "sync", source, _] => {
                        let reach = if args.iter().any(|a| a == "--recursive")
                            || split.positionals.get(1) == Some(&"sync")
                        {
                            Reach::Tree
                        } else {
                            Reach::One
                        };
                        vec![(Expanded::literal(source), reach)]
                    }
                    _ => Vec::new(),
                }
            }
            "tar" | "bsdtar" | "gtar" => {
                let first = args.first().map(String::as_str).unwrap_or("");
                let creates = args.iter().any(|a| {
                    matches!(
                        a.as_str(),
                        "-c" | "--create" | "-r" | "--append" | "-u" | "--update"
                    )
                }) || (!first.starts_with("--")
                    && first
                        .trim_start_matches('-')
                        .chars()
                        .any(|c| matches!(c, 'c' | 'r' | 'u')));
                if !creates {
                    return Vec::new();
                }
                let archive = flag_value_in(args, &["-f", "--file"]);
                let mut dir: Option<String> = None;
                let mut out = Vec::new();
                let mut i = 0;
                // The first word may be a bundle of letters with the archive's name after
                // it (`tar czf out.tgz …`).
                let bundle_takes_file = !first.starts_with('-') && first.contains('f');
                while let Some(arg) = expanded.get(i) {
                    let word = arg.best();
                    if i == 0 && !word.starts_with('-') {
                        i += 1 + usize::from(bundle_takes_file);
                        continue;
                    }
                    if word == "-C" || word == "--directory" {
                        dir = expanded.get(i + 1).map(|d| d.best().to_owned());
                        i += 2;
                        continue;
                    }
                    if let Some(d) = word.strip_prefix("--directory=") {
                        dir = Some(d.to_owned());
                    } else if word.starts_with('-') {
                        let takes =
                            matches!(
                                word,
                                "-f" | "--file"
                                    | "-T"
                                    | "--files-from"
                                    | "-X"
                                    | "--exclude-from"
                                    | "-b"
                                    | "-I"
                                    | "--use-compress-program"
                                    | "-H"
                                    | "--format"
                                    | "-V"
                                    | "--label"
                                    | "-N"
                                    | "--newer"
                            ) || (word.len() > 2 && !word.starts_with("--") && word.ends_with('f'));
                        i += 1 + usize::from(takes);
                        continue;
                    } else if Some(word) != archive.as_deref() {
                        let member = match (&dir, &arg.value) {
                            (Some(dir), Some(value)) if !value.starts_with('/') => {
                                with_value(arg, &format!("{}/{value}", dir.trim_end_matches('/')))
                            }
                            _ => arg.clone(),
                        };
                        out.push((member, Reach::Tree));
                    }
                    i += 1;
                }
                out
            }
            "zip" => positionals(&["-b", "-t", "-tt", "-x", "-i", "-P", "--password"])
                .into_iter()
                .skip(1)
                .map(|m| (m, reach))
                .collect(),
            "7z" | "7za" | "7zz" | "7zr" => {
                let members = positionals(&[]);
                if members
                    .first()
                    .is_some_and(|m| m.best() == "a" || m.best() == "u")
                {
                    members
                        .into_iter()
                        .skip(2)
                        .map(|m| (m, Reach::Tree))
                        .collect()
                } else {
                    Vec::new()
                }
            }
            "grep" | "egrep" | "fgrep" | "zgrep" | "rg" | "ag" | "ack" | "ugrep" | "git-grep" => {
                let value_flags = [
                    "-e",
                    "-f",
                    "-m",
                    "-A",
                    "-B",
                    "-C",
                    "--regexp",
                    "--file",
                    "--max-count",
                    "--context",
                    "--after-context",
                    "--before-context",
                    "-d",
                    "-D",
                    "--label",
                    "-g",
                    "--glob",
                    "-t",
                    "--type",
                    "-T",
                    "--type-not",
                    "-j",
                    "--threads",
                    "-M",
                    "--max-columns",
                    "--include",
                    "--exclude",
                    "--exclude-dir",
                    "--ignore-file",
                    "--pre",
                    "-E",
                    "--encoding",
                ];
                let explicit_pattern = args.iter().any(|a| {
                    a == "-e" || a == "-f" || a.starts_with("--regexp") || a.starts_with("--file")
                });
                let mut files = positionals(&value_flags);
                if !explicit_pattern && !files.is_empty() {
                    files.remove(0);
                }
                let mut out: Vec<(Expanded, Reach)> =
                    files.into_iter().map(|f| (f, reach)).collect();
                out.extend(
                    flag_values(&["-f", "--file"])
                        .into_iter()
                        .map(|f| (f, Reach::One)),
                );
                if out.is_empty() && recursive {
                    out.push((Expanded::literal("."), Reach::Tree));
                }
                out
            }
            "sed" | "gsed" | "awk" | "gawk" | "mawk" | "nawk" => {
                let value_flags = ["-e", "-f", "--expression", "--file", "-F", "-v", "-l"];
                let explicit = args.iter().any(|a| {
                    a == "-e"
                        || a == "-f"
                        || a.starts_with("--expression")
                        || a.starts_with("--file")
                });
                let mut files = positionals(&value_flags);
                if !explicit && !files.is_empty() {
                    files.remove(0);
                }
                files.into_iter().map(|f| (f, Reach::One)).collect()
            }
            "git" => {
                let split = Args::split(args, &["-C", "-c", "--git-dir", "--work-tree"]);
                let sub = split.positionals.first().copied().unwrap_or("");
                if matches!(
                    sub,
                    "add"
                        | "show"
                        | "diff"
                        | "log"
                        | "blame"
                        | "annotate"
                        | "grep"
                        | "cat-file"
                        | "archive"
                        | "format-patch"
                        | "bundle"
                        | "hash-object"
                        | "stage"
                ) {
                    positionals(&["-C", "-c", "-m", "-o", "--output", "--format", "-n"])
                        .into_iter()
                        .skip(1)
                        .map(|p| (p, Reach::One))
                        .collect()
                } else {
                    Vec::new()
                }
            }
            "curl" | "wget" | "wget2" | "http" | "https" | "xh" | "curlie" => {
                let mut out = Vec::new();
                for (i, arg) in expanded.iter().enumerate() {
                    let word = arg.best();
                    let data_flag = matches!(
                        word,
                        "-d" | "--data"
                            | "--data-binary"
                            | "--data-urlencode"
                            | "--data-ascii"
                            | "--json"
                            | "-F"
                            | "--form"
                    );
                    let file_flag = matches!(
                        word,
                        "-T" | "--upload-file"
                            | "-K"
                            | "--config"
                            | "--post-file"
                            | "--body-file"
                            | "-i"
                            | "--input-file"
                    );
                    if data_flag || file_flag {
                        if let Some(value) = expanded.get(i + 1) {
                            out.extend(curl_file(value, file_flag).map(|f| (f, Reach::One)));
                        }
                    } else if let Some((flag, value)) = word.split_once('=')
                        && matches!(
                            flag,
                            "--data"
                                | "--data-binary"
                                | "--post-file"
                                | "--body-file"
                                | "--upload-file"
                                | "--json"
                                | "--form"
                        )
                    {
                        let file_flag =
                            matches!(flag, "--post-file" | "--body-file" | "--upload-file");
                        out.extend(
                            curl_file(&with_value(arg, value), file_flag).map(|f| (f, Reach::One)),
                        );
                    } else if let Some(path) = word.strip_prefix("file://") {
                        // A local file fetched as a URL is read.
                        out.push((with_value(arg, path), Reach::One));
                    } else if !word.starts_with('-')
                        && word.starts_with('@')
                        && matches!(base, "http" | "https" | "xh" | "curlie")
                    {
                        out.push((with_value(arg, word.trim_start_matches('@')), Reach::One));
                    } else if let Some((_, file)) =
                        word.split_once("=@").or_else(|| word.split_once(":=@"))
                        && matches!(base, "http" | "https" | "xh" | "curlie")
                    {
                        out.push((with_value(arg, file), Reach::One));
                    }
                }
                out
            }
            "dd" => expanded
                .iter()
                .filter_map(|a| a.best().strip_prefix("if=").map(|v| with_value(a, v)))
                .map(|f| (f, Reach::One))
                .collect(),
            "docker" | "podman" | "nerdctl" | "kubectl" | "oc" | "k" | "helm" | "terraform"
            | "tofu" | "ansible" | "ansible-playbook" | "gcloud" | "az" | "systemctl"
            | "journalctl" | "npm" | "pnpm" | "yarn" | "pip" | "pip3" | "cargo" | "go" | "make"
            | "gmake" => Vec::new(),
            _ => {
                // Anything else reads every file it names, as far as anyone can tell.
                let mut out = Vec::new();
                let mut skip_next = false;
                for arg in expanded {
                    if skip_next {
                        skip_next = false;
                        continue;
                    }
                    let word = arg.best();
                    if CREDENTIAL_USE_FLAGS.contains(&word) {
                        skip_next = true;
                        continue;
                    }
                    if CREDENTIAL_USE_FLAGS
                        .iter()
                        .any(|f| word.starts_with(&format!("{f}=")))
                    {
                        continue;
                    }
                    match &arg.value {
                        Some(value) => {
                            for candidate in path_candidates(value) {
                                out.push((with_value(arg, candidate), reach));
                            }
                        }
                        None => out.push((arg.clone(), reach)),
                    }
                }
                out
            }
        }
    }

    /// Whether the command prints credentials by what it is asked to do (`gh auth token`,
    /// `kubectl get secret -o yaml`, `printenv`), or prints a variable whose name says it
    /// holds one (`echo $AWS_SECRET_ACCESS_KEY`).
    fn prints_credentials(&mut self, base: &str, args: &[String], inv: &Invocation) {
        /// The entries of `PRINTS_CREDENTIALS` that can name a program: by exact name,
        /// and those named by a glob.
        struct Index {
            exact: HashMap<&'static str, Vec<usize>>,
            globs: Vec<usize>,
        }
        static INDEX: LazyLock<Index> = LazyLock::new(|| {
            let mut index = Index {
                exact: HashMap::new(),
                globs: Vec::new(),
            };
            for (at, (names, _, _)) in PRINTS_CREDENTIALS.iter().enumerate() {
                for name in *names {
                    if name.contains(['*', '?', '[']) {
                        index.globs.push(at);
                    } else {
                        index.exact.entry(name).or_default().push(at);
                    }
                }
            }
            index
        });
        let mut candidates: Vec<usize> = INDEX.exact.get(base).cloned().unwrap_or_default();
        candidates.extend(INDEX.globs.iter().copied().filter(|at| {
            PRINTS_CREDENTIALS
                .get(*at)
                .is_some_and(|(names, _, _)| names.iter().any(|n| glob_match(n, base)))
        }));
        candidates.sort_unstable();
        candidates.dedup();
        // The candidates are exactly the entries that name this program.
        if !candidates.is_empty() {
            let value_flags = tools::lookup(base).map_or(&[][..], |t| t.value_flags);
            let split = Args::split(args, value_flags);
            let printed = candidates
                .iter()
                .filter_map(|at| PRINTS_CREDENTIALS.get(*at))
                .find(|(_, pattern, _)| tools::matches(pattern, &split));
            if let Some((_, _, what)) = printed {
                let text = inv.display();
                self.secret_read(&text, format!("`{text}` {what}"));
                return;
            }
        }
        let text = || inv.display();
        // `printenv`, `export -p`, `declare -p`, `set`: the environment or every variable.
        let dumps = match base {
            "printenv" => args.iter().all(|a| a.starts_with('-')),
            "export" | "declare" | "typeset" => {
                args.is_empty() || args.iter().all(|a| a == "-p" || a == "-x" || a == "-px")
            }
            "set" => args.is_empty(),
            "compgen" => false,
            _ => false,
        };
        if dumps {
            let text = text();
            self.secret_read(
                &text,
                format!("`{text}` prints the environment, which may hold credentials"),
            );
            return;
        }
        // `env` with nothing to run prints the environment.
        if base == "env"
            && args
                .iter()
                .all(|a| a.starts_with('-') || a.contains('=') || a.is_empty())
            && !args
                .iter()
                .any(|a| a == "-S" || a == "--split-string" || a == "-u")
        {
            let text = text();
            self.secret_read(
                &text,
                format!("`{text}` prints the environment, which may hold credentials"),
            );
            return;
        }
        // `ps e`, `ps auxeww`: the environment of every process.
        if base == "ps"
            && args
                .first()
                .is_some_and(|a| !a.starts_with('-') && a.contains('e'))
        {
            let text = text();
            self.secret_read(
                &text,
                format!("`{text}` prints the environment of processes"),
            );
            return;
        }
        if matches!(base, "echo" | "printf" | "printenv") {
            let named = inv.args().iter().any(|arg| {
                if base == "printenv" {
                    credential_variable(arg.best())
                } else {
                    variables_in(&arg.text).any(credential_variable)
                }
            });
            if named {
                let text = text();
                self.secret_read(
                    &text,
                    format!("`{text}` prints a variable that holds a credential"),
                );
            }
        }
    }

    /// A process tool pointed at holdpoint's own process (`gdb -p $(pgrep holdpoint)`,
    /// `pkill -f 'holdpoint serve'`, `/proc/$(pidof holdpoint)/environ`).
    fn holdpoint_process(&mut self, inv: &Invocation, base: &str, text: &str) {
        if !PROCESS_TOOLS.contains(&base) {
            return;
        }
        let names_holdpoint = inv.args().iter().any(|arg| {
            let written = &arg.text;
            let at_process = matches!(
                base,
                "kill"
                    | "pkill"
                    | "killall"
                    | "gdb"
                    | "lldb"
                    | "strace"
                    | "ltrace"
                    | "perf"
                    | "gcore"
                    | "renice"
                    | "prlimit"
                    | "taskset"
                    | "ionice"
                    | "nsenter"
                    | "py-spy"
                    | "rbspy"
                    | "bpftrace"
                    | "reptyr"
            ) || written.starts_with("/proc/")
                || arg.best().starts_with("/proc/");
            at_process && (mentions_holdpoint(written) || mentions_holdpoint(arg.best()))
        });
        if names_holdpoint && !matches!(base, "pgrep" | "pidof") {
            self.push(Effect::self_protection(
                ObjectKind::Holdpoint,
                text,
                format!("`{text}` acts on holdpoint's own process (its memory, environment or life); only a human may"),
            ));
        }
    }

    /// A request to holdpoint's own API or console for what only a human may do:
    /// approving or refusing, granting, ending a freeze, adding an agent, signing in.
    fn holdpoint_api(&mut self, inv: &Invocation, base: &str, args: &[String], text: &str) {
        let raw_sockets = matches!(
            base,
            "nc" | "ncat" | "netcat" | "socat" | "telnet" | "openssl"
        );
        let sent = match (&inv.stdin, raw_sockets) {
            (Stream::Text(sent), true) => sent.clone(),
            _ => String::new(),
        };
        if !HTTP_CLIENTS.contains(&base) && sent.is_empty() {
            return;
        }
        let writes = !sent.is_empty()
            || args.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "-d" | "--data"
                        | "--data-binary"
                        | "--data-raw"
                        | "--data-urlencode"
                        | "-F"
                        | "--form"
                        | "--json"
                        | "-T"
                        | "--upload-file"
                        | "--post-data"
                        | "--post-file"
                ) || a.starts_with("--data")
                    || a.starts_with("--post-")
                    || a.starts_with("--method")
                    || a.starts_with("-X")
                    || a.starts_with("--request")
                    || matches!(a.as_str(), "POST" | "PUT" | "DELETE" | "PATCH")
            });
        let urls = args
            .iter()
            .map(String::as_str)
            .chain(sent.split_whitespace());
        for url in urls {
            if human_only_route(url, writes) {
                self.push(Effect::self_protection(
                    ObjectKind::Holdpoint,
                    text,
                    format!("`{text}` asks holdpoint's own server for what only a human may do (approve, refuse, grant, end a freeze, add an agent, sign in)"),
                ));
                return;
            }
        }
    }

    /// A container given a host directory that holds holdpoint's home (`docker run -v
    /// ~:/h`): what runs inside can read and change holdpoint's files.
    fn mounts(&mut self, inv: &Invocation, base: &str, args: &[String], text: &str) {
        if !matches!(
            base,
            "docker" | "podman" | "nerdctl" | "systemd-nspawn" | "bwrap" | "firejail"
        ) {
            return;
        }
        let _ = inv;
        let mut sources: Vec<String> = Vec::new();
        if base == "bwrap" {
            // `--bind SRC DEST`: the command bwrap runs is analysed with its own paths,
            // which mean what they say where a tree is bound at its own place (`--bind /
            // /`); bound elsewhere, they would name holdpoint's files by another path.
            let mut i = 0;
            while let Some(flag) = args.get(i) {
                if flag.starts_with("--") && flag.contains("bind") {
                    if let (Some(source), Some(dest)) = (args.get(i + 1), args.get(i + 2))
                        && source.trim_end_matches('/') != dest.trim_end_matches('/')
                    {
                        sources.push(source.clone());
                    }
                    i += 3;
                } else {
                    i += 1;
                }
            }
        }
        let others: &[String] = if base == "bwrap" { &[] } else { args };
        let mut iter = others.iter().peekable();
        while let Some(arg) = iter.next() {
            let (flag, value) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let mut value = || value.clone().or_else(|| iter.peek().map(|v| (*v).clone()));
            match flag {
                "-v" | "--volume" | "--bind" | "--bind-ro" | "--ro-bind" | "--whitelist" => {
                    if let Some(v) = value() {
                        sources.push(v.split(':').next().unwrap_or("").to_owned());
                    }
                }
                "--mount" => {
                    if let Some(v) = value() {
                        for part in v.split(',') {
                            if let Some(src) = part
                                .strip_prefix("source=")
                                .or_else(|| part.strip_prefix("src="))
                            {
                                sources.push(src.to_owned());
                            }
                        }
                    }
                }
                short if short.starts_with("-v") && short.len() > 2 => {
                    sources.push(
                        short
                            .get(2..)
                            .unwrap_or("")
                            .split(':')
                            .next()
                            .unwrap_or("")
                            .to_owned(),
                    );
                }
                _ => {}
            }
        }
        for source in sources
            .iter()
            .filter(|s| s.starts_with('/') || s.starts_with('.'))
        {
            let Some(absolute) = self.absolute_of(source) else {
                continue;
            };
            let absolute = self.through_links(&absolute, true);
            if paths::in_holdpoint_home(&absolute, self.ctx)
                || paths::holds_holdpoint_home(&absolute, self.ctx)
                || paths::tree_protected(&absolute, self.ctx).is_some()
            {
                self.push(Effect::self_protection(
                    ObjectKind::Holdpoint,
                    text,
                    format!("`{text}` gives a container `{source}`, which holds holdpoint's own files or hook settings; only a human may"),
                ));
                return;
            }
        }
    }

    /// An archive unpacked, or a directory's contents copied, over a tree that holds
    /// holdpoint's home or hook settings (`tar -xf x.tar -C ~`, `rsync -a dotfiles/
    /// ~/`): the names written are not known, so any of those files may be replaced.
    fn writes_over(&mut self, base: &str, args: &[String], text: &str) {
        let first = args.first().map(String::as_str).unwrap_or("");
        let positionals = Args::split(
            args,
            &["-C", "--directory", "-f", "--file", "-d", "-e", "-t"],
        )
        .positionals;
        let destination: Option<String> = match base {
            "tar" | "bsdtar" | "gtar" => {
                let extracts = args
                    .iter()
                    .any(|a| matches!(a.as_str(), "-x" | "--extract" | "--get"))
                    || (!first.starts_with("--") && first.trim_start_matches('-').contains('x'));
                extracts.then(|| {
                    flag_value_in(args, &["-C", "--directory"]).unwrap_or_else(|| ".".to_owned())
                })
            }
            "unzip" => Some(flag_value_in(args, &["-d"]).unwrap_or_else(|| ".".to_owned())),
            "7z" | "7za" | "7zz" | "7zr" if matches!(positionals.first(), Some(&("x" | "e"))) => {
                Some(
                    args.iter()
                        .find_map(|a| a.strip_prefix("-o").map(str::to_owned))
                        .unwrap_or_else(|| ".".to_owned()),
                )
            }
            "cpio"
                if args.iter().any(|a| {
                    a == "--extract"
                        || (a.starts_with('-') && !a.starts_with("--") && a.contains('i'))
                }) =>
            {
                Some(".".to_owned())
            }
            "rsync" | "cp" if positionals.len() >= 2 => {
                let (dest, sources) = positionals.split_last().unwrap_or((&"", &[]));
                let contents = sources
                    .iter()
                    .any(|s| s.ends_with("/.") || (base == "rsync" && s.ends_with('/')))
                    || (base == "cp"
                        && args
                            .iter()
                            .any(|a| a == "-T" || a == "--no-target-directory"));
                contents.then(|| (*dest).to_owned())
            }
            _ => None,
        };
        let Some(destination) = destination else {
            return;
        };
        if let paths::Zone::Protected(kind) =
            self.zone_reaching(&Expanded::literal(&destination), Reach::Tree)
        {
            self.push(Effect::self_protection(
                kind,
                &destination,
                format!("`{text}` writes files it does not name into `{destination}`, which holds holdpoint's files or hook settings; only a human may"),
            ));
        }
    }

    /// Whether the command sends data to another machine.
    fn sends_to_network(&self, base: &str, args: &[String]) -> bool {
        let remote_operand = || {
            args.iter().any(|a| {
                !a.starts_with('-')
                    && !a.starts_with('/')
                    && !a.starts_with('.')
                    && a.split_once(':')
                        .is_some_and(|(host, _)| !host.is_empty() && !host.contains('/'))
            })
        };
        match base {
            "openssl" => args.first().is_some_and(|a| a == "s_client"),
            "scp" | "rsync" | "rclone" | "sftp" => remote_operand() || base == "sftp",
            "git" => args.iter().any(|a| a == "push" || a == "send-email"),
            "gh" => args
                .iter()
                .any(|a| matches!(a.as_str(), "gist" | "api" | "issue" | "pr" | "release")),
            _ => NETWORK_SENDERS.contains(&base),
        }
    }
}

/// What one operand turned out to read.
pub(super) enum OperandRead {
    /// holdpoint's own files: self-protection was recorded, nothing else matters.
    Holdpoint,
    /// Credentials.
    Secret,
    Nothing,
}

/// A path with its pattern characters quoted, so that it only matches itself.
fn escape_glob(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An expanded word with another value (a part of it), keeping whether it is known.
fn with_value(arg: &Expanded, value: &str) -> Expanded {
    Expanded {
        value: arg.value.as_ref().map(|_| value.to_owned()),
        text: value.to_owned(),
        glob: arg.glob,
        found: arg.found,
        decoded: arg.decoded.clone(),
        ..Expanded::default()
    }
}

/// The file a curl data or upload option reads: `@FILE` for data (`name=@FILE` and
/// `name=<FILE` for forms), the value itself for uploads and configuration.
fn curl_file(value: &Expanded, whole: bool) -> Option<Expanded> {
    let word = value.best();
    if whole {
        return Some(value.clone());
    }
    if let Some(file) = word.strip_prefix('@') {
        return Some(with_value(value, file));
    }
    word.split_once("=@")
        .or_else(|| word.split_once("=<"))
        .or_else(|| word.split_once("@"))
        .map(|(_, file)| with_value(value, file))
}

/// The paths a word may name: itself, the part after `=` (`--db=/path`), after `file:`
/// (`file:/path?mode=ro`), after `@` (`@/path`).
fn path_candidates(value: &str) -> Vec<&str> {
    let mut out = vec![value];
    if let Some((_, after)) = value.split_once('=') {
        out.push(after);
    }
    if let Some(after) = value.strip_prefix("file:") {
        out.push(after.split('?').next().unwrap_or(""));
    }
    if let Some(after) = value.strip_prefix('@') {
        out.push(after);
    }
    out.retain(|c| !c.is_empty() && !c.starts_with('-'));
    out
}

/// The value of the first of `flags` in `args`.
fn flag_value_in(args: &[String], flags: &[&str]) -> Option<String> {
    super::flag_value(args, flags).map(str::to_owned)
}

/// Whether a command reads its operands as whole trees.
fn recursive(base: &str, args: &[String]) -> bool {
    if matches!(
        base,
        "rg" | "ag"
            | "ack"
            | "ugrep"
            | "rclone"
            | "restic"
            | "borg"
            | "duplicity"
            | "rdiff-backup"
            | "kopia"
            | "mv"
    ) {
        return true;
    }
    args.iter().take_while(|a| *a != "--").any(|a| {
        if let Some(long) = a.strip_prefix("--") {
            return matches!(
                long,
                "recursive" | "archive" | "dereference-recursive" | "recurse"
            ) || long.starts_with("directories=recurse");
        }
        let Some(short) = a.strip_prefix('-') else {
            return false;
        };
        short.chars().all(|c| c.is_ascii_alphanumeric())
            && (short.contains(['r', 'R'])
                || (matches!(base, "cp" | "rsync" | "scp") && short.contains('a')))
    })
}

/// Whether a text names holdpoint (a process selected by name, a `pgrep` for it).
fn mentions_holdpoint(text: &str) -> bool {
    text.to_ascii_lowercase().contains("holdpoint")
}

/// The names of the variables a word's text expands (`$X`, `${X}`, `${X:-…}`).
fn variables_in(text: &str) -> impl Iterator<Item = &str> {
    text.split('$').skip(1).filter_map(|rest| {
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        rest.get(..end).filter(|name| !name.is_empty())
    })
}

/// Whether a variable's name says it holds a credential (`GITHUB_TOKEN`, `PGPASSWORD`,
/// `AWS_SECRET_ACCESS_KEY`, `DATABASE_URL`).
pub(super) fn credential_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    [
        "TOKEN",
        "SECRET",
        "PASSW",
        "PASSPHRASE",
        "CREDENTIAL",
        "APIKEY",
        "API_KEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "AUTH_KEY",
        "SIGNING_KEY",
        "MASTER_KEY",
        "ENCRYPTION_KEY",
        "COOKIE",
    ]
    .iter()
    .any(|marker| upper.contains(marker))
        || upper == "DATABASE_URL"
        || upper.ends_with("_DSN")
        || upper.ends_with("_PAT")
}

/// Whether a URL (or request text) names one of holdpoint's routes that only a human
/// may use; `writes` says whether the request sends data or names a method.
pub(crate) fn human_only_route(url: &str, writes: bool) -> bool {
    let path = url.split_once("://").map_or(url, |(_, rest)| {
        rest.find('/').map_or("", |at| rest.get(at..).unwrap_or(""))
    });
    let path = path.split(['?', '#']).next().unwrap_or("");
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let tail = |n: usize| parts.get(parts.len().saturating_sub(n)..).unwrap_or(&[]);
    let acting = matches!(
        tail(3),
        ["approvals", _, "approve" | "deny"] | ["freezes", _, "end"]
    );
    let creating = writes
        && (matches!(tail(1), ["grants" | "agents" | "sign-in" | "login"])
            && (path.contains("/api/") || parts.len() == 1));
    acting || creating
}
