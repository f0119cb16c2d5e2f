//! `holdpoint setup`: the layout in which an agent cannot touch holdpoint.
//!
//! `--system` (as root) makes holdpoint's own OS user and group, its home (0700) with
//! the store, keys, policies and a directory for upstream credentials, the socket's
//! directory for the agents' group, a tmpfiles.d rule and the systemd units. `--user
//! NAME` (as root) lets an OS user's agents be governed: the agents' group, an agent
//! credential only that user can read, its hooks pointed at the server's socket, and a
//! check that the user can reach nothing of holdpoint's home.
//!
//! Root writes nothing inside a directory another user owns: holdpoint's home is filled
//! by holdpoint's user and an agent's files are written by that user, each in a child
//! process of this binary (`holdpoint setup-step`). So a link planted in either cannot
//! turn a write of root's elsewhere, and every file has its owner from the start.

mod access;
pub(crate) mod units;

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Args, Subcommand};
use holdpoint_store::Store as _;
use nix::unistd::{Gid, Group, Uid, User};

use crate::home::{Home, ServerUrl, init_home, system_config};
use crate::hook::Agent;
use crate::humans::{secret_matches, store_failure, valid_name};
use crate::install::{Installed, merge_hooks};
use crate::{Failure, exit};
use access::Principal;
use units::{CLIENT_TOKEN, GATEWAY_UNIT, Layout, SERVE_UNIT, TMPFILES};

/// Where systemd reads the units an administrator installs.
const SYSTEM_UNITS: &str = "/etc/systemd/system";
/// The ledger's name for who issued a credential in `setup --user`: not a human, so
/// spelt in a way no human's name can be.
const ISSUER: &str = "root (holdpoint setup --user)";
/// The programs a child process is given to find.
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    /// Set up holdpoint as a system service: its own user and group, its home, the
    /// socket's directory for the agents' group, and the systemd units.
    #[arg(long, conflicts_with = "user")]
    system: bool,
    /// Let this OS user's agents be governed: the agents' group, an agent credential only
    /// the user can read, and its hooks pointed at the server's socket.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// With --user: the agents whose hooks to install (repeat for several).
    #[arg(long = "agent", value_enum, value_name = "AGENT", default_values_t = [Agent::ClaudeCode])]
    agents: Vec<Agent>,
    /// Say what would be done, and do nothing.
    #[arg(long)]
    dry_run: bool,
    /// holdpoint's home.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/holdpoint")]
    home: PathBuf,
    /// With --system: holdpoint's own OS user (and group).
    #[arg(long, value_name = "NAME", default_value = "holdpoint")]
    service_user: String,
    /// With --system: the group whose members may connect to the socket.
    #[arg(long, value_name = "NAME", default_value = "holdpoint-agents")]
    agents_group: String,
    /// With --system: the directory of the server's socket.
    #[arg(long, value_name = "DIR", default_value = "/run/holdpoint")]
    run_dir: PathBuf,
    /// With --system: where the systemd units go.
    #[arg(long, value_name = "DIR", default_value = SYSTEM_UNITS)]
    unit_dir: PathBuf,
    /// With --system: where the tmpfiles.d rule for the socket's directory goes.
    #[arg(long, value_name = "DIR", default_value = "/etc/tmpfiles.d")]
    tmpfiles_dir: PathBuf,
}

/// The steps `holdpoint setup` runs as another user (hidden: only setup starts them).
#[derive(Debug, Subcommand)]
pub(crate) enum Step {
    /// As holdpoint's user: fill $HOLDPOINT_HOME with the system configuration, keys,
    /// policies, store and the credentials directory, keeping what exists.
    InitSystem {
        #[arg(long)]
        socket: PathBuf,
        #[arg(long)]
        group: String,
    },
    /// As holdpoint's user: keep the credential on standard input if it is the agent's,
    /// else issue the agent a new one (`--check`: only say which).
    IssueAgent {
        name: String,
        #[arg(long)]
        check: bool,
    },
    /// As an agent's user: print its credential, if it has one.
    ReadToken,
    /// As an agent's user: write ~/.holdpoint (the server's address, the credential on
    /// standard input when one is given) and the agents' hooks.
    Client {
        #[arg(long)]
        socket: PathBuf,
        #[arg(long = "agent", value_enum)]
        agents: Vec<Agent>,
        #[arg(long)]
        dry_run: bool,
    },
}

/// `holdpoint setup`.
pub(crate) fn run(args: &SetupArgs) -> Result<u8, Failure> {
    match (args.system, &args.user) {
        (true, None) => system(args),
        (false, Some(name)) => user(args, name),
        _ => Err(Failure::usage(
            "say what to set up: `holdpoint setup --system` (holdpoint's own user, home and service), then `holdpoint setup --user NAME` for each OS user whose agents it governs",
        )),
    }
}

/// `holdpoint setup-step`.
pub(crate) fn step(step: &Step) -> Result<u8, Failure> {
    match step {
        Step::InitSystem { socket, group } => init_system(socket, group),
        Step::IssueAgent { name, check } => issue_agent(name, *check),
        Step::ReadToken => read_token(),
        Step::Client {
            socket,
            agents,
            dry_run,
        } => client(socket, agents, *dry_run),
    }
}

/// The name of the user with `uid`, if it has one.
pub(crate) fn user_name(uid: u32) -> Option<String> {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// The id of the group named `name`, if there is one.
pub(crate) fn group_id(name: &str) -> Option<u32> {
    Group::from_name(name)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw())
}

/// What setup did, or would do, line by line.
#[derive(Debug)]
struct Report {
    dry_run: bool,
    changes: usize,
}

impl Report {
    /// A change: `done` as it is said once made (`created`), `would` as it would be.
    fn change(&mut self, done: &str, would: &str, what: impl std::fmt::Display) {
        self.changes += 1;
        if self.dry_run {
            println!("  {:<14}{what}", format!("would {would}"));
        } else {
            println!("  {done:<14}{what}");
        }
    }

    fn same(&mut self, what: impl std::fmt::Display) {
        println!("  {:<14}{what}", "unchanged");
    }

    /// The last line: what changed, or that nothing did.
    fn close(&self) {
        match (self.dry_run, self.changes) {
            (true, 0) => println!("dry run: nothing would change"),
            (true, n) => println!("dry run: {n} change(s) would be made; nothing was changed"),
            (false, 0) => println!("nothing changed: it was already set up this way"),
            (false, n) => println!("{n} change(s) made"),
        }
    }
}

fn linux_only(what: &str) -> Result<(), Failure> {
    if cfg!(target_os = "linux") {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "`{what}` makes users with useradd and systemd units, which are Linux's; on macOS follow the README's launchd section (untested)"
        )))
    }
}

fn require_root(what: &str) -> Result<(), Failure> {
    if rustix::process::geteuid().is_root() {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "`{what}` must run as root: it creates users, groups and files only root may (try sudo; --dry-run shows what it would do)"
        )))
    }
}

/// A name for a system user or group: what useradd and groupadd take everywhere.
fn system_name(name: &str, what: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "`{name}` cannot be the {what}: use lower-case letters, digits, `-` and `_`, starting with a letter, up to 32"
        )))
    }
}

fn plain(path: &Path, what: &str) -> Result<(), Failure> {
    if units::plain_path(path) {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "{what} `{}` must be an absolute path of letters, digits and `/-_.+@:`, so that a unit file can name it as it is",
            path.display()
        )))
    }
}

/// The holdpoint binary the units and hooks will run: this one, where every user may
/// run it and only root may change it, and where the service's sandbox can see it.
fn installed_binary() -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe()
        .and_then(fs::canonicalize)
        .map_err(|e| Failure::internal(format!("cannot find the holdpoint binary: {e}")))?;
    let fix = format!(
        "install it where every user may run it and only root may change it, e.g. `install -m 0755 {} /usr/local/bin/holdpoint`, and run that one",
        exe.display()
    );
    plain(&exe, "the holdpoint binary")?;
    for hidden in [
        "/home",
        "/root",
        "/tmp",
        "/var/tmp",
        "/run/user",
        "/dev/shm",
    ] {
        if exe.starts_with(hidden) {
            return Err(Failure::usage(format!(
                "holdpoint runs from `{}`, under {hidden}, which the service's sandbox hides or other users cannot reach: {fix}",
                exe.display()
            )));
        }
    }
    for path in exe.ancestors() {
        let meta = fs::metadata(path)
            .map_err(|e| Failure::internal(format!("cannot inspect `{}`: {e}", path.display())))?;
        if meta.uid() != 0 || meta.mode() & 0o022 != 0 {
            return Err(Failure::usage(format!(
                "`{}` can be changed by a user other than root, who could then change what holdpoint's service runs: {fix}",
                path.display()
            )));
        }
        if meta.mode() & 0o001 == 0 {
            return Err(Failure::usage(format!(
                "other users cannot reach or run `{}`: {fix}",
                path.display()
            )));
        }
    }
    Ok(exe)
}

/// Runs `program` as root; its standard error is the failure's message.
fn run_tool(program: &str, args: &[&str]) -> Result<String, Failure> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::internal(format!("cannot run `{program}`: {e}")))?;
    if !output.status.success() {
        return Err(Failure::internal(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a `holdpoint setup-step` as `user` (its own uid and group, no others), with a
/// clean environment, `stdin` on standard input; its standard output.
fn run_as(
    user: &User,
    holdpoint_home: Option<&Path>,
    args: &[&str],
    stdin: &str,
) -> Result<String, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::internal(format!("cannot find the holdpoint binary: {e}")))?;
    let mut command = Command::new(exe);
    command
        .arg("setup-step")
        .args(args)
        .uid(user.uid.as_raw())
        .gid(user.gid.as_raw())
        .env_clear()
        .env("HOME", &user.dir)
        .env("USER", &user.name)
        .env("LOGNAME", &user.name)
        .env("PATH", PATH)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(home) = holdpoint_home {
        command.env("HOLDPOINT_HOME", home);
    }
    let mut child = command
        .spawn()
        .map_err(|e| Failure::internal(format!("cannot run holdpoint as `{}`: {e}", user.name)))?;
    if let Some(mut pipe) = child.stdin.take() {
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Failure::internal(format!("holdpoint as `{}`: {e}", user.name)))?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        let message = message.trim().trim_start_matches("holdpoint: ");
        return Err(Failure {
            message: format!("as `{}`: {message}", user.name),
            code: output.status.code().map_or(exit::INTERNAL, |c| {
                u8::try_from(c).unwrap_or(exit::INTERNAL)
            }),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn lookup_user(name: &str) -> Result<Option<User>, Failure> {
    User::from_name(name)
        .map_err(|e| Failure::internal(format!("cannot look up the user `{name}`: {e}")))
}

/// The ids of every group `name` belongs to, as its processes get them at log-in.
fn groups_of(name: &str) -> Result<Vec<u32>, Failure> {
    Ok(run_tool("id", &["-G", name])?
        .split_whitespace()
        .filter_map(|g| g.parse().ok())
        .collect())
}

fn owner_name(uid: u32, gid: u32) -> String {
    let group = Group::from_gid(Gid::from_raw(gid))
        .ok()
        .flatten()
        .map_or_else(|| gid.to_string(), |g| g.name);
    format!(
        "{}:{group}",
        user_name(uid).unwrap_or_else(|| uid.to_string())
    )
}

// ----- --system -----------------------------------------------------------------------

fn system(args: &SetupArgs) -> Result<u8, Failure> {
    linux_only("holdpoint setup --system")?;
    if !args.dry_run {
        require_root("holdpoint setup --system")?;
    }
    system_name(&args.service_user, "service user")?;
    system_name(&args.agents_group, "agents' group")?;
    if args.service_user == args.agents_group {
        return Err(Failure::usage(
            "the agents' group must not be holdpoint's own group",
        ));
    }
    plain(&args.home, "the home")?;
    plain(&args.run_dir, "the socket's directory")?;
    let layout = Layout {
        bin: installed_binary()?,
        home: args.home.clone(),
        run_dir: args.run_dir.clone(),
        service_user: args.service_user.clone(),
        agents_group: args.agents_group.clone(),
    };
    println!(
        "holdpoint setup --system{}",
        if args.dry_run {
            " (dry run: nothing is changed)"
        } else {
            ""
        }
    );
    let mut report = Report {
        dry_run: args.dry_run,
        changes: 0,
    };
    ensure_group(&mut report, &layout.service_user)?;
    ensure_service_user(&mut report, &layout)?;
    ensure_group(&mut report, &layout.agents_group)?;
    let service = lookup_user(&layout.service_user)?;
    let ids = service.as_ref().map(|u| (u.uid.as_raw(), u.gid.as_raw()));
    ensure_dir(&mut report, &layout.home, 0o700, ids)?;
    fill_home(&mut report, &layout, service.as_ref())?;
    let run_ids = ids
        .zip(group_id(&layout.agents_group))
        .map(|((uid, _), gid)| (uid, gid));
    ensure_dir(&mut report, &layout.run_dir, 0o2750, run_ids)?;
    ensure_file(
        &mut report,
        &args.tmpfiles_dir.join(TMPFILES),
        &layout.tmpfiles(),
    )?;
    let serve = ensure_file(
        &mut report,
        &args.unit_dir.join(SERVE_UNIT),
        &layout.serve_unit(),
    )?;
    let gateway = ensure_file(
        &mut report,
        &args.unit_dir.join(GATEWAY_UNIT),
        &layout.gateway_unit(),
    )?;
    start(&mut report, args, &layout, serve || gateway)?;
    report.close();
    if !args.dry_run && report.changes > 0 {
        println!(
            "\nNext, at a terminal:\n  runuser -u {user} -- env HOLDPOINT_HOME={home} {bin} human add NAME   # who approves\n  {bin} setup --user NAME --agent claude-code   # each OS user whose agents it governs\nHumans approve with `holdpoint approvals approve ID`, with [server] url = \"http://127.0.0.1:7878\" in their own ~/.holdpoint/holdpoint.toml.",
            user = layout.service_user,
            home = layout.home.display(),
            bin = layout.bin.display(),
        );
    }
    Ok(exit::ALLOW)
}

fn ensure_group(report: &mut Report, name: &str) -> Result<(), Failure> {
    if group_id(name).is_some() {
        report.same(format!("group {name}"));
        return Ok(());
    }
    if !report.dry_run {
        run_tool("groupadd", &["--system", name])?;
    }
    report.change("created", "create", format!("group {name}"));
    Ok(())
}

fn ensure_service_user(report: &mut Report, layout: &Layout) -> Result<(), Failure> {
    let name = &layout.service_user;
    if let Some(user) = lookup_user(name)? {
        if user.uid.is_root() {
            return Err(Failure::usage(format!(
                "`{name}` is root: holdpoint's user must be one of its own"
            )));
        }
        report.same(format!("user {name} (uid {})", user.uid));
        return Ok(());
    }
    let shell = [
        "/usr/sbin/nologin",
        "/sbin/nologin",
        "/usr/bin/false",
        "/bin/false",
    ]
    .into_iter()
    .find(|s| Path::new(s).exists())
    .unwrap_or("/bin/false");
    let home = layout.home.display().to_string();
    if !report.dry_run {
        run_tool(
            "useradd",
            &[
                "--system",
                "--gid",
                name,
                "--home-dir",
                &home,
                "--no-create-home",
                "--shell",
                shell,
                "--comment",
                "holdpoint server",
                name,
            ],
        )?;
    }
    report.change(
        "created",
        "create",
        format!("user {name} (home {home}, shell {shell}: no log-in)"),
    );
    Ok(())
}

/// A directory with `mode`, owned by `ids` (uid, gid) when they are known.
fn ensure_dir(
    report: &mut Report,
    path: &Path,
    mode: u32,
    ids: Option<(u32, u32)>,
) -> Result<(), Failure> {
    let described = |ids: Option<(u32, u32)>| match ids {
        Some((uid, gid)) => format!("{} ({mode:04o}, {})", path.display(), owner_name(uid, gid)),
        None => format!("{} ({mode:04o})", path.display()),
    };
    let fail = |e: std::io::Error| Failure::internal(format!("`{}`: {e}", path.display()));
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => Err(Failure::usage(format!(
            "`{}` exists and is not a directory (a symbolic link is not taken): move it away",
            path.display()
        ))),
        Ok(meta) => {
            let owner_ok = ids.is_none_or(|(uid, gid)| meta.uid() == uid && meta.gid() == gid);
            if owner_ok && meta.mode() & 0o7777 == mode {
                report.same(described(ids));
                return Ok(());
            }
            if !report.dry_run {
                if let Some((uid, gid)) = ids {
                    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(fail)?;
                }
                fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(fail)?;
            }
            report.change(
                "changed",
                "change",
                format!(
                    "{} (was {:04o}, {})",
                    described(ids),
                    meta.mode() & 0o7777,
                    owner_name(meta.uid(), meta.gid())
                ),
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !report.dry_run {
                fs::create_dir_all(path).map_err(fail)?;
                if let Some((uid, gid)) = ids {
                    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(fail)?;
                }
                // After the owner: the mode holds the set-group-id bit.
                fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(fail)?;
            }
            report.change("created", "create", described(ids));
            Ok(())
        }
        Err(e) => Err(fail(e)),
    }
}

/// A root-owned file (0644) with `text`; whether it was, or would be, written.
fn ensure_file(report: &mut Report, path: &Path, text: &str) -> Result<bool, Failure> {
    let fail =
        |e: std::io::Error| Failure::internal(format!("cannot write `{}`: {e}", path.display()));
    let existed = match fs::read_to_string(path) {
        Ok(existing) if existing == text => {
            report.same(path.display());
            return Ok(false);
        }
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(fail(e)),
    };
    if !report.dry_run {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(fail)?;
        }
        // Through a new file and a rename, so a crash leaves the old text or the new.
        let temp = path.with_extension("holdpoint-tmp");
        let _ = fs::remove_file(&temp);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)
            .map_err(fail)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(fail)?;
        fs::rename(&temp, path).map_err(fail)?;
    }
    if existed {
        report.change("updated", "update", path.display());
    } else {
        report.change("created", "create", path.display());
    }
    Ok(true)
}

/// The home's files, made by holdpoint's own user.
fn fill_home(report: &mut Report, layout: &Layout, service: Option<&User>) -> Result<(), Failure> {
    let home = Home {
        dir: layout.home.clone(),
    };
    let files = [
        home.config(),
        home.key(),
        home.public_key(),
        home.policies().join(holdpoint_policy::DEFAULT_POLICY_FILE),
        home.store(),
        home.dir.join("credentials"),
    ];
    let Some(service) = service.filter(|_| !report.dry_run) else {
        if let Err(e) = fs::read_dir(&home.dir)
            && e.kind() == std::io::ErrorKind::PermissionDenied
        {
            report.change(
                "initialised",
                "initialise",
                format!(
                    "{} (keys, policies, store, credentials/), keeping what exists: only root can look inside",
                    home.dir.display()
                ),
            );
            return Ok(());
        }
        for file in files {
            if file.exists() {
                report.same(file.display());
            } else {
                report.change("created", "create", file.display());
            }
        }
        return Ok(());
    };
    let socket = layout.socket().display().to_string();
    let home_dir = layout.home.clone();
    let out = run_as(
        service,
        Some(&home_dir),
        &[
            "init-system",
            "--socket",
            &socket,
            "--group",
            &layout.agents_group,
        ],
        "",
    )?;
    for line in out.lines() {
        if let Some(path) = line.strip_prefix("created ") {
            report.change("created", "create", path);
        } else if let Some(path) = line.strip_prefix("kept ") {
            report.same(path);
        }
    }
    let config = home.load_config()?;
    if config.server.socket != layout.socket()
        || config.server.socket_group.as_deref() != Some(layout.agents_group.as_str())
    {
        eprintln!(
            "holdpoint: `{}` keeps its own [server] socket and socket_group; this layout expects socket = \"{}\" and socket_group = \"{}\"",
            home.config().display(),
            layout.socket().display(),
            layout.agents_group
        );
    }
    Ok(())
}

/// Enables and starts the server where systemd runs; says how to start it by hand
/// where it does not.
fn start(
    report: &mut Report,
    args: &SetupArgs,
    layout: &Layout,
    units_changed: bool,
) -> Result<(), Failure> {
    if !Path::new("/run/systemd/system").is_dir() {
        eprintln!(
            "holdpoint: systemd is not running on this machine (it is not PID 1), so nothing {was} started; the layout and the units {are} written. Start the server by hand, as holdpoint's user:\n  runuser -u {user} -- env HOLDPOINT_HOME={home} {bin} serve\nThe socket's directory {run} is made again after a reboot by `systemd-tmpfiles --create`, or by hand: install -d -m 2750 -o {user} -g {group} {run}",
            user = layout.service_user,
            group = layout.agents_group,
            home = layout.home.display(),
            bin = layout.bin.display(),
            run = layout.run_dir.display(),
            was = if report.dry_run { "would be" } else { "was" },
            are = if report.dry_run { "would be" } else { "are" },
        );
        return Ok(());
    }
    if args.unit_dir != Path::new(SYSTEM_UNITS) {
        println!(
            "the units are in {}, not {SYSTEM_UNITS}: install them yourself, then `systemctl enable --now {SERVE_UNIT}`",
            args.unit_dir.display()
        );
        return Ok(());
    }
    let asks = |verb: &str, unit: &str| {
        Command::new("systemctl")
            .args([verb, "--quiet", unit])
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut units = vec![SERVE_UNIT.to_owned()];
    let databases = Home {
        dir: layout.home.clone(),
    }
    .load_config()
    .map(|c| !c.databases.is_empty())
    .unwrap_or(false);
    if databases {
        units.push(GATEWAY_UNIT.replace('@', "@pg"));
    } else {
        println!(
            "  (once holdpoint.toml lists a [[database]]: systemctl enable --now holdpoint-gateway@pg)"
        );
    }
    if units_changed && !report.dry_run {
        run_tool("systemctl", &["daemon-reload"])?;
    }
    for unit in &units {
        let (enabled, active) = (asks("is-enabled", unit), asks("is-active", unit));
        if !enabled {
            if !report.dry_run {
                run_tool("systemctl", &["enable", unit])?;
            }
            report.change("enabled", "enable", unit);
        }
        if !active {
            if !report.dry_run {
                run_tool("systemctl", &["start", unit])?;
            }
            report.change("started", "start", unit);
        } else if units_changed {
            if !report.dry_run {
                run_tool("systemctl", &["restart", unit])?;
            }
            report.change("restarted", "restart", unit);
        }
        if enabled && active && !units_changed {
            report.same(format!("{unit} (enabled, running)"));
        }
    }
    Ok(())
}

// ----- --user ---------------------------------------------------------------------------

fn user(args: &SetupArgs, name: &str) -> Result<u8, Failure> {
    linux_only("holdpoint setup --user")?;
    if !args.dry_run {
        require_root("holdpoint setup --user")?;
    }
    valid_name(name)?;
    let bin = installed_binary()?;
    let home = Home {
        dir: args.home.clone(),
    };
    let not_set_up = || {
        Failure::usage(format!(
            "`{}` is not holdpoint's system home: run `holdpoint setup --system` first (as root)",
            home.dir.display()
        ))
    };
    match fs::metadata(home.config()) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Failure::usage(format!(
                "cannot look into `{}`: run this as root",
                home.dir.display()
            )));
        }
        Err(_) => return Err(not_set_up()),
    }
    let config = home.load_config()?;
    let group = config.server.socket_group.clone().ok_or_else(not_set_up)?;
    let socket = config.server.socket.clone();
    let service_uid = fs::metadata(&home.dir)
        .map_err(|e| Failure::internal(format!("`{}`: {e}", home.dir.display())))?
        .uid();
    let service = User::from_uid(Uid::from_raw(service_uid))
        .ok()
        .flatten()
        .ok_or_else(not_set_up)?;
    let target = lookup_user(name)?.ok_or_else(|| {
        Failure::usage(format!(
            "there is no OS user `{name}`: create it first (e.g. `useradd --create-home {name}`)"
        ))
    })?;
    if target.uid.is_root() || target.uid == service.uid {
        return Err(Failure::usage(format!(
            "`{name}` runs holdpoint or the machine; an agent's user must be one of its own"
        )));
    }
    println!(
        "holdpoint setup --user {name}{}",
        if args.dry_run {
            " (dry run: nothing is changed)"
        } else {
            ""
        }
    );
    let mut report = Report {
        dry_run: args.dry_run,
        changes: 0,
    };

    // The socket's group.
    let names = run_tool("id", &["-nG", name])?;
    if names.split_whitespace().any(|g| g == group) {
        report.same(format!("{name} in group {group}"));
    } else {
        if !report.dry_run {
            run_tool("usermod", &["--append", "--groups", &group, name])?;
        }
        report.change(
            "added",
            "add",
            format!("{name} to group {group} (it may connect to the socket; from its next log-in)"),
        );
    }

    // The credential: kept when the user holds a valid one, else issued.
    let held = run_as(&target, None, &["read-token"], "")?;
    let mut issue = vec!["issue-agent", name];
    if report.dry_run {
        issue.push("--check");
    }
    let answer = run_as(&service, Some(&home.dir), &issue, held.trim())?;
    let token = match answer.lines().collect::<Vec<_>>().as_slice() {
        ["kept"] => {
            report.same(format!("agent credential of {name}"));
            None
        }
        ["issue"] => {
            report.change("issued", "issue", format!("an agent credential to {name}"));
            None
        }
        ["issued", token] => {
            report.change("issued", "issue", format!("an agent credential to {name}"));
            Some((*token).to_owned())
        }
        _ => {
            return Err(Failure::internal(format!(
                "issuing the credential answered: {answer}"
            )));
        }
    };

    // The user's own files, written as the user.
    let socket_text = socket.display().to_string();
    let mut client_args = vec!["client", "--socket", &socket_text];
    for agent in &args.agents {
        client_args.extend(["--agent", agent.name()]);
    }
    if report.dry_run {
        client_args.push("--dry-run");
    }
    let out = run_as(&target, None, &client_args, token.as_deref().unwrap_or(""))?;
    for line in out.lines() {
        match line.split_once(' ') {
            Some(("created", what)) => report.change("created", "create", what),
            Some(("updated", what)) => report.change("updated", "update", what),
            Some(("kept", what)) => report.same(what),
            _ => {}
        }
    }

    // What the user can reach.
    let who = Principal {
        uid: target.uid.as_raw(),
        gids: groups_of(name)?,
    };
    let reachable = access::reachable(&home.dir, &who);
    if !reachable.is_empty() {
        let list: Vec<String> = reachable
            .iter()
            .map(|(path, how)| format!("{how} `{}`", path.display()))
            .collect();
        return Err(Failure::internal(format!(
            "{name} could {}: holdpoint's home must be {}'s alone (0700); fix it, e.g. `holdpoint setup --system` again",
            list.join(", "),
            service.name
        )));
    }
    println!(
        "  {:<14}{name} can read or write nothing under {}",
        "checked",
        home.dir.display()
    );
    if socket.exists() {
        if access::may_connect(&socket, &who) {
            println!(
                "  {:<14}{name} may connect to {}",
                "checked",
                socket.display()
            );
        } else {
            eprintln!(
                "holdpoint: {name} cannot connect to `{}`: is the socket the group {group}'s (0660)?",
                socket.display()
            );
        }
    } else {
        println!(
            "  (the server is not running: there is no {}; start it, and {name}'s agents are refused until it answers)",
            socket.display()
        );
    }
    report.close();
    if !args.dry_run {
        println!(
            "{name}'s agents now ask holdpoint's server through {} as agent `{name}`; their hooks run {}.",
            socket.display(),
            bin.display()
        );
    }
    Ok(exit::ALLOW)
}

// ----- the steps ---------------------------------------------------------------------

fn init_system(socket: &Path, group: &str) -> Result<u8, Failure> {
    let home = Home::locate();
    let (mut created, mut kept) = init_home(&home, &system_config(socket, group))?;
    let credentials = home.dir.join("credentials");
    if credentials.is_dir() {
        kept.push(credentials);
    } else {
        fs::create_dir(&credentials)
            .and_then(|()| fs::set_permissions(&credentials, fs::Permissions::from_mode(0o700)))
            .map_err(|e| {
                Failure::internal(format!("cannot create `{}`: {e}", credentials.display()))
            })?;
        created.push(credentials);
    }
    for path in created {
        println!("created {}", path.display());
    }
    for path in kept {
        println!("kept {}", path.display());
    }
    Ok(exit::ALLOW)
}

fn stdin_text() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Failure::internal(format!("cannot read standard input: {e}")))?;
    Ok(text.trim().to_owned())
}

fn issue_agent(name: &str, check: bool) -> Result<u8, Failure> {
    valid_name(name)?;
    let presented = stdin_text()?;
    let store = Home::locate().open_store()?;
    let current = store
        .agents()
        .map_err(store_failure)?
        .into_iter()
        .find(|a| a.name == name);
    if let Some(agent) = current
        && !presented.is_empty()
        && secret_matches(&presented, &agent.token_hash)
    {
        println!("kept");
        return Ok(exit::ALLOW);
    }
    if check {
        println!("issue");
        return Ok(exit::ALLOW);
    }
    let (token, identity) = crate::serve::new_agent(name, crate::agents::new_secret()?)?;
    store
        .add_agent(identity, ISSUER, Some("root".to_owned()))
        .map_err(store_failure)?;
    println!("issued\n{token}");
    Ok(exit::ALLOW)
}

fn read_token() -> Result<u8, Failure> {
    let path = Home::locate().dir.join(CLIENT_TOKEN);
    match fs::read_to_string(&path) {
        Ok(text) => println!("{}", text.trim()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Failure::internal(format!(
                "cannot read `{}`: {e}",
                path.display()
            )));
        }
    }
    Ok(exit::ALLOW)
}

fn client(socket: &Path, agents: &[Agent], dry_run: bool) -> Result<u8, Failure> {
    let token = stdin_text()?;
    let home = Home::locate();
    let fail = |path: &Path, e: std::io::Error| {
        Failure::internal(format!("cannot write `{}`: {e}", path.display()))
    };
    // ~/.holdpoint, the user's own.
    match fs::symlink_metadata(&home.dir) {
        Ok(meta) if meta.is_dir() && meta.mode() & 0o077 == 0 => {
            println!("kept {} (0700)", home.dir.display());
        }
        Ok(meta) if meta.is_dir() => {
            if !dry_run {
                fs::set_permissions(&home.dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| fail(&home.dir, e))?;
            }
            println!("updated {} (0700)", home.dir.display());
        }
        Ok(_) => {
            return Err(Failure::usage(format!(
                "`{}` is not a directory: move it away",
                home.dir.display()
            )));
        }
        Err(_) => {
            if !dry_run {
                fs::create_dir_all(&home.dir)
                    .and_then(|()| {
                        fs::set_permissions(&home.dir, fs::Permissions::from_mode(0o700))
                    })
                    .map_err(|e| fail(&home.dir, e))?;
            }
            println!("created {} (0700)", home.dir.display());
        }
    }
    // The server's address.
    let config = home.config();
    let text = units::client_config(socket);
    match fs::read_to_string(&config) {
        Ok(existing) => {
            let loaded = home.load_config()?;
            let same = existing == text
                || (loaded.server.url == Some(ServerUrl::Unix(socket.to_owned()))
                    && loaded.server.token_file == Some(home.dir.join(CLIENT_TOKEN)));
            if !same {
                return Err(Failure::usage(format!(
                    "`{}` exists and does not send decisions to the server at {}: it is this user's own set-up; move it away and run setup again",
                    config.display(),
                    socket.display()
                )));
            }
            println!("kept {}", config.display());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !dry_run {
                write_private(&config, &text)?;
            }
            println!("created {}", config.display());
        }
        Err(e) => return Err(fail(&config, e)),
    }
    // The credential.
    let file = home.dir.join(CLIENT_TOKEN);
    let exists = file.exists();
    if token.is_empty() {
        if exists {
            println!("kept {} (0600)", file.display());
        } else if dry_run {
            println!("created {} (0600)", file.display());
        } else {
            return Err(Failure::internal("no credential was issued to write"));
        }
    } else {
        if !dry_run {
            write_private(&file, &format!("{token}\n"))?;
        }
        println!(
            "{} {} (0600)",
            if exists { "updated" } else { "created" },
            file.display()
        );
    }
    // The hooks.
    for agent in agents {
        let (path, installed) = merge_hooks(*agent, None, !dry_run)?;
        let word = match installed {
            Installed::New => "created",
            Installed::Updated => "updated",
            Installed::Unchanged => "kept",
        };
        println!(
            "{word} {} ({}'s hooks)",
            path.display(),
            agent.display_name()
        );
    }
    Ok(exit::ALLOW)
}

/// Writes a file only its owner can read (0600), through a new file and a rename.
fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    let fail =
        |e: std::io::Error| Failure::internal(format!("cannot write `{}`: {e}", path.display()));
    let temp = path.with_extension("holdpoint-tmp");
    let _ = fs::remove_file(&temp);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(fail)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    fs::rename(&temp, path).map_err(fail)
}
