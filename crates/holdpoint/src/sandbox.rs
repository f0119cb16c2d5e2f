//! `holdpoint sandbox -- CMD ARGS…`: runs a command with the kernel confining it, so that
//! what holdpoint allows because it stays in the workspace really does: Landlock limits
//! writes to the workspace, the temporary directories and harmless devices and keeps
//! holdpoint's home out of reach, a user namespace of its own (and a network namespace
//! unless `--net`) takes away the machine's privileges and network, and no new
//! privileges can be gained. What the kernel cannot enforce stops the command before it
//! runs, unless `--allow-unconfined` says to run it anyway.
//!
//! The restrictions are applied to holdpoint's own process, which then becomes the
//! command (`exec`): no code runs between a fork and an exec, so none of it needs
//! `unsafe`.

#[cfg(any(target_os = "linux", test))]
use std::ffi::OsString;
#[cfg(any(target_os = "linux", test))]
use std::path::Path;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Let the command use the network (otherwise it has none, not even loopback).
    #[arg(long)]
    net: bool,
    /// The directory the command may write in [default: the current directory].
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Another directory the command may write in (a tool's cache, say); repeatable. One
    /// that holds holdpoint's home or lies inside it is not granted.
    #[arg(long = "write", value_name = "DIR")]
    write: Vec<PathBuf>,
    /// Run the command even where the kernel cannot confine it as described, as far as it
    /// can, saying on standard error what is missing.
    #[arg(long)]
    allow_unconfined: bool,
    /// The command and its arguments, after `--`.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    command: Vec<String>,
}

/// What the command may do beneath a path.
#[cfg(any(target_os = "linux", test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Right {
    /// Read files, list directories, run programs.
    Read,
    /// List directories only (their names, not what the files hold).
    List,
    /// Everything: read, run, create, change, remove.
    Write,
    /// Read, write and control a device (a terminal, `/dev/null`); nothing created.
    Device,
}

/// One rule: `right` beneath `path`.
#[cfg(any(target_os = "linux", test))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub path: PathBuf,
    pub right: Right,
    /// Whether `path` is a directory; a rule on a file may carry only file rights.
    pub dir: bool,
}

/// A directory entry, as the plan needs it.
#[cfg(any(target_os = "linux", test))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: OsString,
    pub kind: EntryKind,
}

#[cfg(any(target_os = "linux", test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Dir,
    Link,
    Other,
}

/// Where things are, every path absolute and with its symbolic links resolved.
#[cfg(any(target_os = "linux", test))]
#[derive(Debug)]
pub(crate) struct Layout {
    pub workspace: PathBuf,
    /// `/tmp` and `/var/tmp`.
    pub temp_dirs: Vec<PathBuf>,
    /// `$TMPDIR`, when set to an absolute path.
    pub tmpdir: Option<PathBuf>,
    /// `$HOME`.
    pub user_home: Option<PathBuf>,
    /// Other directories the command may write in (`--write`).
    pub writable: Vec<PathBuf>,
    /// The harmless devices that exist here.
    pub devices: Vec<Grant>,
    /// holdpoint's home; it need not exist (a command must not be able to make it).
    pub home: PathBuf,
}

/// The rules to enforce, and what the user should know about them.
#[cfg(any(target_os = "linux", test))]
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub grants: Vec<Grant>,
    pub notes: Vec<String>,
}

/// Works out the Landlock rules for `layout`; `list` reads a directory (`None` when it
/// cannot). An error is a layout the sandbox refuses.
///
/// Landlock only ever adds rights beneath a path; nothing can be taken away beneath a
/// path already granted. So "read everything except holdpoint's home" cannot be a rule
/// on `/`: it is built by walking from `/` down to the home and granting, at each
/// directory on the way, every entry that is not the next step of the path. The
/// directories on the path themselves get no rights beyond listing, so nothing new
/// can be made in them, and an entry that appears there after the command starts is
/// out of reach. A temporary directory that holds the home is granted the same way.
#[cfg(any(target_os = "linux", test))]
pub(crate) fn plan(
    layout: &Layout,
    list: &dyn Fn(&Path) -> Option<Vec<Entry>>,
) -> Result<Plan, String> {
    let home = &layout.home;
    let workspace = &layout.workspace;
    if home.starts_with(workspace) {
        return Err(format!(
            "the workspace `{}` holds holdpoint's home `{}`, so a command confined to it could change holdpoint's keys, store and policies; run it from a folder that does not contain the home, or give --workspace",
            workspace.display(),
            home.display()
        ));
    }
    if workspace.starts_with(home) {
        return Err(format!(
            "the workspace `{}` is inside holdpoint's home `{}`; run the command from a folder outside it, or give --workspace",
            workspace.display(),
            home.display()
        ));
    }
    let mut out = Plan::default();
    // Names are not secrets (holdpoint's file names are documented) and many programs
    // list directories on the way to their own, so every directory may be listed,
    // holdpoint's home included; what its files hold stays out of reach.
    out.grants.push(Grant {
        path: PathBuf::from("/"),
        right: Right::List,
        dir: true,
    });
    beneath_except(Path::new("/"), home, Right::Read, list, &mut out.grants);
    out.grants.push(Grant {
        path: workspace.clone(),
        right: Right::Write,
        dir: true,
    });
    let mut temp_dirs: Vec<&PathBuf> = layout.temp_dirs.iter().collect();
    if let Some(tmpdir) = &layout.tmpdir {
        // `$TMPDIR` comes from whoever starts the sandbox; one set to `/` or to a folder
        // holding `$HOME` would open the user's files, so it is not taken.
        let broad = tmpdir.parent().is_none()
            || layout
                .user_home
                .as_ref()
                .is_some_and(|h| h.starts_with(tmpdir));
        if broad {
            out.notes.push(format!(
                "$TMPDIR `{}` holds the home directory, so the command cannot write there",
                tmpdir.display()
            ));
        } else {
            temp_dirs.push(tmpdir);
        }
    }
    let mut seen: Vec<&PathBuf> = Vec::new();
    for temp in temp_dirs {
        if seen.contains(&temp) {
            continue;
        }
        seen.push(temp);
        if temp.starts_with(home) {
            out.notes.push(format!(
                "the temporary directory `{}` is inside holdpoint's home, so the command cannot write there",
                temp.display()
            ));
        } else if home.starts_with(temp) {
            out.notes.push(format!(
                "holdpoint's home `{}` is inside the temporary directory `{}`; to keep it out of reach, the command can write there only beneath entries that exist now and do not lead to it",
                home.display(),
                temp.display()
            ));
            beneath_except(temp, home, Right::Write, list, &mut out.grants);
        } else {
            out.grants.push(Grant {
                path: temp.clone(),
                right: Right::Write,
                dir: true,
            });
        }
    }
    for dir in &layout.writable {
        if dir.starts_with(home) || home.starts_with(dir) {
            out.notes.push(format!(
                "`{}` holds holdpoint's home or lies inside it, so the command cannot write there",
                dir.display()
            ));
        } else {
            out.grants.push(Grant {
                path: dir.clone(),
                right: Right::Write,
                dir: true,
            });
        }
    }
    out.grants.extend(
        layout
            .devices
            .iter()
            .filter(|d| !d.path.starts_with(home) && !home.starts_with(&d.path))
            .cloned(),
    );
    Ok(out)
}

/// Grants `right` on every entry beneath `root` except those on the way to `hidden`
/// (see [`plan`]). Symbolic links get no rule: Landlock judges the path a link leads to,
/// which its own rules (or their absence) cover.
#[cfg(any(target_os = "linux", test))]
fn beneath_except(
    root: &Path,
    hidden: &Path,
    right: Right,
    list: &dyn Fn(&Path) -> Option<Vec<Entry>>,
    grants: &mut Vec<Grant>,
) {
    let Ok(rest) = hidden.strip_prefix(root) else {
        return;
    };
    let mut dir = root.to_path_buf();
    for step in rest.components() {
        let step = step.as_os_str();
        // A directory that cannot be listed gives nothing beneath it: whatever is there
        // stays out of reach, which is the safe side.
        for entry in list(&dir).unwrap_or_default() {
            if entry.name != step && entry.kind != EntryKind::Link {
                grants.push(Grant {
                    path: dir.join(&entry.name),
                    right,
                    dir: entry.kind == EntryKind::Dir,
                });
            }
        }
        dir.push(step);
    }
}

#[cfg(target_os = "linux")]
pub(crate) use linux::run;

#[cfg(not(target_os = "linux"))]
pub(crate) fn run(args: &SandboxArgs) -> Result<u8, crate::Failure> {
    use std::os::unix::process::CommandExt as _;

    let Some((program, rest)) = args.command.split_first() else {
        return Err(crate::Failure::usage("give the command to run after `--`"));
    };
    let missing = format!(
        "holdpoint sandbox confines commands with Linux's Landlock and namespaces, which {} does not have",
        std::env::consts::OS
    );
    if !args.allow_unconfined {
        return Err(crate::Failure {
            message: format!("{missing}; the command was not run"),
            code: crate::exit::NOT_CONFINED,
        });
    }
    eprintln!("holdpoint sandbox: {missing}; running the command unconfined (--allow-unconfined)");
    let error = std::process::Command::new(program).args(rest).exec();
    Err(exec_failure(program, &error))
}

/// Whether this machine's kernel can confine a command as `holdpoint sandbox` does:
/// Landlock with the rights holdpoint asks for, and user namespaces allowed. A cheap
/// question to the kernel (a ruleset made and dropped, nothing restricted), for deciding
/// before the command runs; `holdpoint sandbox` itself checks what it gets and runs
/// nothing it could not confine.
pub(crate) fn available() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        linux::available()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(format!("{} has no Landlock", std::env::consts::OS))
    }
}

/// The arguments of `holdpoint sandbox` that confine a command to `workspace` as
/// `[sandbox]` in holdpoint.toml says, up to and including `--`.
pub(crate) fn arguments(config: &crate::home::SandboxConfig, workspace: &str) -> Vec<String> {
    let mut args = vec![
        "sandbox".to_owned(),
        "--workspace".to_owned(),
        workspace.to_owned(),
    ];
    if config.network {
        args.push("--net".to_owned());
    }
    for dir in config.writable_dirs() {
        args.push("--write".to_owned());
        args.push(dir.to_string_lossy().into_owned());
    }
    args.push("--".to_owned());
    args
}

/// A shell command line that runs `command_line` inside the sandbox: what a hook gives
/// back to its agent in place of the command it was asked about.
pub(crate) fn wrapped(
    config: &crate::home::SandboxConfig,
    workspace: &str,
    command_line: &str,
) -> Result<String, crate::Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| crate::Failure::internal(format!("cannot find the holdpoint binary: {e}")))?;
    let shell = if std::path::Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    let mut words = vec![exe.to_string_lossy().into_owned()];
    words.extend(arguments(config, workspace));
    words.extend([shell.to_owned(), "-c".to_owned(), command_line.to_owned()]);
    Ok(words
        .iter()
        .map(|w| crate::exec::shell_quote(w))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The command a line made by [`wrapped`] runs, or `None` for any other line.
pub(crate) fn unwrapped(command_line: &str) -> Option<String> {
    let words = quoted_words(command_line)?;
    let [exe, sandbox, ..] = words.as_slice() else {
        return None;
    };
    if sandbox != "sandbox" || !exe.ends_with("holdpoint") {
        return None;
    }
    let end = words.iter().position(|w| w == "--")?;
    match words.get(end + 1..)? {
        [shell, flag, original] if shell.ends_with("sh") && flag == "-c" => Some(original.clone()),
        _ => None,
    }
}

/// The words of a line made by `exec::shell_quote`: plain words, or `'…'` with `'\''`
/// for a quote; `None` for anything else.
fn quoted_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if_eq(&' ').is_some() {}
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        if first == '\'' {
            loop {
                match chars.next() {
                    Some('\'') => {
                        for c in chars.by_ref() {
                            if c == '\'' {
                                break;
                            }
                            word.push(c);
                        }
                        // `'\''` continues the word with a quote.
                        if chars.next_if_eq(&'\\').is_some() {
                            chars.next_if_eq(&'\'')?;
                            word.push('\'');
                            continue;
                        }
                        break;
                    }
                    _ => return None,
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ' ') {
                word.push(c);
            }
        }
        words.push(word);
    }
}

/// The failure to report when the command cannot be started: 127 when it is not found,
/// 126 otherwise, as shells do.
fn exec_failure(program: &str, error: &std::io::Error) -> crate::Failure {
    let code = if error.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    crate::Failure {
        message: format!("cannot run `{program}`: {error}"),
        code,
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeMap;
    use std::os::unix::process::CommandExt as _;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use landlock::{
        ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible as _, LandlockStatus,
        PathBeneath, PathFd, Ruleset, RulesetAttr as _, RulesetCreatedAttr as _, RulesetStatus,
        Scope, make_bitflags,
    };
    use nix::libc;
    use nix::sched::{CloneFlags, unshare};
    use nix::unistd::{getgid, getuid};
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule, TargetArch,
    };

    use super::{Entry, EntryKind, Grant, Layout, Right, SandboxArgs, exec_failure, plan};
    use crate::{Failure, exit, local};

    /// The Landlock ABI whose rights holdpoint asks for: 7 (Linux 6.15), the one this
    /// code was written and tested against. Newer rights (such as ABI 9's control of
    /// Unix socket connections) would refuse what holdpoint does not yet grant, so they
    /// are taken up deliberately, not by following the kernel.
    const ABI_USED: ABI = ABI::V7;

    pub(crate) fn available() -> Result<(), String> {
        let namespaces = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
            .ok()
            .and_then(|n| n.trim().parse::<u64>().ok());
        if namespaces == Some(0) {
            return Err("this kernel allows no user namespaces".to_owned());
        }
        Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(ABI_USED))
            .and_then(|ruleset| ruleset.create())
            .map(|_| ())
            .map_err(|e| format!("this kernel's Landlock cannot confine as holdpoint needs ({e})"))
    }

    pub(crate) fn run(args: &SandboxArgs) -> Result<u8, Failure> {
        let Some((program, rest)) = args.command.split_first() else {
            return Err(Failure::usage("give the command to run after `--`"));
        };
        let layout = layout(args.workspace.as_deref(), &args.write)?;
        let plan = plan(&layout, &list).map_err(Failure::usage)?;
        for note in &plan.notes {
            eprintln!("holdpoint sandbox: {note}");
        }
        // Every path is opened now, before the namespaces change how the process sees
        // the machine.
        let rules = plan
            .grants
            .iter()
            .filter_map(|grant| {
                let access = access(grant);
                // A path that went away, or cannot be opened, is simply not granted.
                let fd = PathFd::new(&grant.path).ok()?;
                (!access.is_empty()).then(|| PathBeneath::new(fd, access))
            })
            .collect::<Vec<_>>();
        let allow = args.allow_unconfined;
        if let Err(what) = enter_namespaces(args.net) {
            shortfall(&what, allow)?;
        }
        if let Err(what) = restrict(rules, args.net) {
            shortfall(&what, allow)?;
        }
        if let Err(what) = forbid_terminal_input() {
            shortfall(&what, allow)?;
        }
        let error = Command::new(program).args(rest).exec();
        Err(exec_failure(program, &error))
    }

    /// Reports what the kernel could not do: a refusal that runs nothing, or with
    /// `--allow-unconfined` a warning.
    fn shortfall(what: &str, allow_unconfined: bool) -> Result<(), Failure> {
        if allow_unconfined {
            eprintln!("holdpoint sandbox: {what}; running the command anyway (--allow-unconfined)");
            Ok(())
        } else {
            Err(Failure {
                message: format!(
                    "{what}; the command was not run (--allow-unconfined runs it less confined)"
                ),
                code: exit::NOT_CONFINED,
            })
        }
    }

    /// The workspace, the temporary directories, the devices and holdpoint's home of
    /// this machine, resolved.
    fn layout(workspace: Option<&Path>, writable: &[PathBuf]) -> Result<Layout, Failure> {
        let workspace = match workspace {
            Some(dir) => dir.to_path_buf(),
            None => PathBuf::from(local::current_dir()?),
        };
        let workspace = std::fs::canonicalize(&workspace)
            .ok()
            .filter(|w| w.is_dir())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "the workspace `{}` is not a directory that exists",
                    workspace.display()
                ))
            })?;
        let existing_dir = |path: PathBuf| {
            std::fs::canonicalize(path)
                .ok()
                .filter(|p: &PathBuf| p.is_dir())
        };
        let temp_dirs = ["/tmp", "/var/tmp"]
            .into_iter()
            .filter_map(|t| existing_dir(PathBuf::from(t)))
            .collect();
        let tmpdir = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .filter(|t| t.is_absolute())
            .and_then(existing_dir);
        let user_home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|h| h.is_absolute())
            .map(|h| real_path(&h));
        let devices = [
            ("/dev/null", Right::Device),
            ("/dev/zero", Right::Device),
            ("/dev/full", Right::Device),
            ("/dev/urandom", Right::Device),
            ("/dev/tty", Right::Device),
            ("/dev/ptmx", Right::Device),
            ("/dev/pts", Right::Device),
            ("/dev/shm", Right::Write),
        ]
        .into_iter()
        .filter_map(|(path, right)| {
            let path = std::fs::canonicalize(path).ok()?;
            let dir = path.is_dir();
            Some(Grant { path, right, dir })
        })
        .collect();
        let home = std::path::absolute(local::holdpoint_home())
            .map_err(|e| Failure::internal(format!("cannot resolve holdpoint's home: {e}")))?;
        let writable = writable
            .iter()
            .map(|dir| {
                existing_dir(dir.clone()).ok_or_else(|| {
                    Failure::usage(format!(
                        "--write `{}` is not a directory that exists",
                        dir.display()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Layout {
            workspace,
            temp_dirs,
            tmpdir,
            user_home,
            writable,
            devices,
            home: real_path(&home),
        })
    }

    /// `path` with the symbolic links of its longest existing part resolved; the rest
    /// does not exist yet and cannot be a link.
    fn real_path(path: &Path) -> PathBuf {
        let mut existing = path;
        let mut rest = Vec::new();
        loop {
            if let Ok(mut real) = std::fs::canonicalize(existing) {
                real.extend(rest.iter().rev());
                return real;
            }
            match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name);
                    existing = parent;
                }
                _ => return path.to_path_buf(),
            }
        }
    }

    fn list(dir: &Path) -> Option<Vec<Entry>> {
        let entries = std::fs::read_dir(dir).ok()?;
        Some(
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    let kind = match entry.file_type() {
                        Ok(t) if t.is_symlink() => EntryKind::Link,
                        Ok(t) if t.is_dir() => EntryKind::Dir,
                        _ => EntryKind::Other,
                    };
                    Entry {
                        name: entry.file_name(),
                        kind,
                    }
                })
                .collect(),
        )
    }

    /// The Landlock rights a grant stands for.
    fn access(grant: &Grant) -> BitFlags<AccessFs> {
        let possible = if grant.dir {
            AccessFs::from_all(ABI_USED)
        } else {
            AccessFs::from_file(ABI_USED)
        };
        let wanted = match grant.right {
            Right::Read => AccessFs::from_read(ABI_USED),
            Right::List => make_bitflags!(AccessFs::{ReadDir}),
            Right::Write => AccessFs::from_all(ABI_USED),
            Right::Device => make_bitflags!(AccessFs::{
                ReadFile | ReadDir | WriteFile | Truncate | IoctlDev
            }),
        };
        wanted & possible
    }

    /// Gives the process a user namespace of its own, and without `net` a network
    /// namespace in which only a loopback interface exists, down. The command keeps its
    /// user and group ids (mapped to themselves), but holds no capability over the
    /// machine: root inside is not root outside.
    fn enter_namespaces(net: bool) -> Result<(), String> {
        let (uid, gid) = (getuid(), getgid());
        let mut flags = CloneFlags::CLONE_NEWUSER;
        if !net {
            flags |= CloneFlags::CLONE_NEWNET;
        }
        let made = if net {
            "a user namespace"
        } else {
            "a user and network namespace (the command would have the network)"
        };
        unshare(flags).map_err(|e| format!("the kernel would not make {made}: {e}"))?;
        // Without `deny` here an unprivileged process may not write its group map.
        for (file, text) in [
            ("/proc/self/setgroups", "deny".to_owned()),
            ("/proc/self/uid_map", format!("{uid} {uid} 1\n")),
            ("/proc/self/gid_map", format!("{gid} {gid} 1\n")),
        ] {
            std::fs::write(file, text).map_err(|e| {
                format!("the kernel would not map the user in the new namespace ({file}: {e})")
            })?;
        }
        Ok(())
    }

    /// Enforces the rules on this process with Landlock (which sets no-new-privileges),
    /// and refuses everything Landlock knows but no rule grants.
    fn restrict(rules: Vec<PathBeneath<PathFd>>, net: bool) -> Result<(), String> {
        let failed = |e: landlock::RulesetError| format!("Landlock refused the rules: {e}");
        // Best effort, then a check of the status: the kernel's shortfall is reported
        // in words below, rather than as the crate's error.
        let mut ruleset = Ruleset::default()
            .set_compatibility(CompatLevel::BestEffort)
            .handle_access(AccessFs::from_all(ABI_USED))
            .map_err(failed)?
            .scope(Scope::from_all(ABI_USED))
            .map_err(failed)?;
        if !net {
            // A second wall behind the network namespace: no TCP bind or connect.
            ruleset = ruleset
                .handle_access(AccessNet::from_all(ABI_USED))
                .map_err(failed)?;
        }
        let status = ruleset
            .create()
            .map_err(failed)?
            .add_rules(rules.into_iter().map(Ok::<_, landlock::RulesetError>))
            .map_err(failed)?
            .restrict_self()
            .map_err(failed)?;
        if status.ruleset != RulesetStatus::FullyEnforced {
            return Err(match status.landlock {
                LandlockStatus::NotImplemented => {
                    "this kernel has no Landlock (it needs Linux 6.12 or later, built with CONFIG_SECURITY_LANDLOCK)".to_owned()
                }
                LandlockStatus::NotEnabled => {
                    "this kernel has Landlock but it is not enabled (add `landlock` to the `lsm=` boot parameter)".to_owned()
                }
                LandlockStatus::Available { effective_abi, .. } => format!(
                    "this kernel's Landlock is {effective_abi:?}, which cannot enforce every rule (limits on truncation, the network, device control or signals need ABI 6, Linux 6.12 or later)"
                ),
            });
        }
        if !status.no_new_privs {
            return Err("the kernel would not set no-new-privileges".to_owned());
        }
        Ok(())
    }

    /// Refuses `TIOCSTI` and `TIOCLINUX`, with which a command could type into the
    /// terminal it was started from and have the shell there run, unconfined, whatever
    /// it typed. Landlock does not cover them: the terminal was opened before it. The
    /// filter stops 32-bit x86 programs, whose system calls it does not check.
    fn forbid_terminal_input() -> Result<(), String> {
        let failed = |e: seccompiler::BackendError| {
            format!("the kernel would not take a seccomp filter: {e}")
        };
        let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(failed)?;
        let ioctl = |request: u64| -> Result<SeccompRule, seccompiler::BackendError> {
            // The kernel reads the request as 32 bits, so only those are compared: a
            // request with high bits set is the same request.
            SeccompRule::new(vec![SeccompCondition::new(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Eq,
                request,
            )?])
        };
        // The asm-generic numbers, which every architecture seccompiler knows (x86_64,
        // aarch64, riscv64) uses.
        const TIOCSTI: u64 = 0x5412;
        const TIOCLINUX: u64 = 0x541C;
        let requests = [
            ioctl(TIOCSTI).map_err(failed)?,
            ioctl(TIOCLINUX).map_err(failed)?,
        ];
        let filter = SeccompFilter::new(
            BTreeMap::from([(libc::SYS_ioctl, requests.to_vec())]),
            SeccompAction::Allow,
            SeccompAction::Errno(u32::try_from(libc::EPERM).unwrap_or(1)),
            arch,
        )
        .map_err(failed)?;
        let program = BpfProgram::try_from(filter).map_err(failed)?;
        seccompiler::apply_filter(&program)
            .map_err(|e| format!("the kernel would not take a seccomp filter: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine of directories: each path and its entries (a trailing `/` marks a
    /// directory, a trailing `@` a symbolic link).
    fn machine(dirs: &[(&str, &[&str])]) -> impl Fn(&Path) -> Option<Vec<Entry>> {
        let dirs: Vec<(PathBuf, Vec<Entry>)> = dirs
            .iter()
            .map(|(dir, names)| {
                let entries = names
                    .iter()
                    .map(|n| {
                        let (name, kind) = if let Some(n) = n.strip_suffix('/') {
                            (n, EntryKind::Dir)
                        } else if let Some(n) = n.strip_suffix('@') {
                            (n, EntryKind::Link)
                        } else {
                            (*n, EntryKind::Other)
                        };
                        Entry {
                            name: name.into(),
                            kind,
                        }
                    })
                    .collect();
                (PathBuf::from(dir), entries)
            })
            .collect();
        move |path: &Path| {
            dirs.iter()
                .find(|(d, _)| d == path)
                .map(|(_, entries)| entries.clone())
        }
    }

    fn layout(workspace: &str, temps: &[&str], home: &str) -> Layout {
        Layout {
            workspace: workspace.into(),
            temp_dirs: temps.iter().map(PathBuf::from).collect(),
            tmpdir: None,
            user_home: Some("/home/ann".into()),
            writable: Vec::new(),
            devices: vec![Grant {
                path: "/dev/null".into(),
                right: Right::Device,
                dir: false,
            }],
            home: home.into(),
        }
    }

    /// The grants of a plan as `RIGHT PATH` lines, for comparing.
    fn check(layout: &Layout, dirs: &[(&str, &[&str])], expected: &[&str]) {
        let plan = plan(layout, &machine(dirs)).unwrap_or_else(|e| panic!("refused: {e}"));
        let lines: Vec<String> = plan
            .grants
            .iter()
            .map(|g| format!("{:?} {}", g.right, g.path.display()))
            .collect();
        assert_eq!(lines, expected);
    }

    const ROOT: (&str, &[&str]) = ("/", &["usr/", "etc/", "home/", "tmp/", "bin@", "dev/"]);

    #[test]
    fn reads_everything_but_the_home_by_its_siblings() {
        check(
            &layout("/home/ann/app", &["/tmp"], "/home/ann/.holdpoint"),
            &[
                ROOT,
                ("/home", &["ann/", "bob/"]),
                ("/home/ann", &["app/", ".holdpoint/", ".bashrc", "notes@"]),
            ],
            &[
                "List /",
                "Read /usr",
                "Read /etc",
                "Read /tmp",
                "Read /dev",
                "Read /home/bob",
                "Read /home/ann/app",
                "Read /home/ann/.bashrc",
                "Write /home/ann/app",
                "Write /tmp",
                "Device /dev/null",
            ],
        );
    }

    #[test]
    fn a_temporary_directory_holding_the_home_is_granted_around_it() {
        let layout = layout("/tmp/t/work", &["/tmp", "/tmp"], "/tmp/t/.holdpoint");
        let dirs: &[(&str, &[&str])] = &[
            ROOT,
            ("/tmp", &["t/", "other/", "f"]),
            ("/tmp/t", &["work/", ".holdpoint/"]),
        ];
        check(
            &layout,
            dirs,
            &[
                "List /",
                "Read /usr",
                "Read /etc",
                "Read /home",
                "Read /dev",
                "Read /tmp/other",
                "Read /tmp/f",
                "Read /tmp/t/work",
                "Write /tmp/t/work",
                "Write /tmp/other",
                "Write /tmp/f",
                "Write /tmp/t/work",
                "Device /dev/null",
            ],
        );
        let notes = plan(&layout, &machine(dirs)).unwrap().notes;
        assert_eq!(notes.len(), 1, "{notes:?}");
    }

    #[test]
    fn a_home_that_does_not_exist_yet_cannot_be_made() {
        // Nothing is granted on /home/ann itself, so `.holdpoint` cannot be created.
        check(
            &layout("/home/ann/app", &[], "/home/ann/.holdpoint"),
            &[ROOT, ("/home", &["ann/"]), ("/home/ann", &["app/"])],
            &[
                "List /",
                "Read /usr",
                "Read /etc",
                "Read /tmp",
                "Read /dev",
                "Read /home/ann/app",
                "Write /home/ann/app",
                "Device /dev/null",
            ],
        );
    }

    #[test]
    fn a_temporary_directory_inside_the_home_is_not_writable() {
        let layout = layout("/w", &["/h/tmp"], "/h");
        let plan = plan(&layout, &machine(&[("/", &["w/", "h/"])])).unwrap();
        assert!(!plan.grants.iter().any(|g| g.path.starts_with("/h")));
        assert_eq!(plan.notes.len(), 1);
    }

    #[test]
    fn a_tmpdir_holding_home_is_not_taken() {
        for (tmpdir, taken) in [
            ("/", false),
            ("/home", false),
            ("/home/ann", false),
            ("/home/ann/tmp", true),
            ("/scratch", true),
            ("/tmp", true),
        ] {
            let mut layout = layout("/w", &["/tmp"], "/h");
            layout.tmpdir = Some(tmpdir.into());
            let plan = plan(&layout, &machine(&[ROOT])).unwrap();
            let writable: Vec<_> = plan
                .grants
                .iter()
                .filter(|g| g.right == Right::Write)
                .map(|g| g.path.to_str().unwrap())
                .collect();
            assert_eq!(writable.contains(&tmpdir), taken, "{tmpdir}: {writable:?}");
            assert_eq!(plan.notes.is_empty(), taken, "{tmpdir}: {:?}", plan.notes);
        }
    }

    #[test]
    fn workspaces_overlapping_the_home_are_refused() {
        for (workspace, home) in [
            ("/home/ann", "/home/ann/.holdpoint"),
            ("/", "/home/ann/.holdpoint"),
            ("/home/ann/.holdpoint", "/home/ann/.holdpoint"),
            ("/home/ann/.holdpoint/policies", "/home/ann/.holdpoint"),
        ] {
            let refused = plan(&layout(workspace, &[], home), &machine(&[ROOT]));
            assert!(refused.is_err(), "{workspace} with home {home}");
        }
    }
}
