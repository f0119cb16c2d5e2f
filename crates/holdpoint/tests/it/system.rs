//! The system layout (`holdpoint setup --system` and `--user`) on this machine, with
//! real OS users: holdpoint's own user runs the server, an agent's user runs the hooks,
//! and the agent's user can touch nothing of holdpoint's. Each test makes its own users,
//! groups and directories (names with a random suffix) and removes them when it ends,
//! also when it fails. The tests run as root.
//!
//! systemd is not PID 1 here, so the server is started as the service's command would
//! be, with the hardening that can be reproduced outside systemd: holdpoint's user and
//! group only, no new privileges, no capabilities, umask 077, a bare environment. The
//! unit files themselves are checked by `systemd-analyze`.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, PoisonError};

use serde_json::{Value, json};

use crate::setup::{Background, SECRET, Terminal, pipe, quote};
use crate::{stderr, stdout};

/// useradd and groupadd lock /etc/passwd and /etc/group: the tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A command the agent's hook is asked about, held in production for a human.
const DESTROY: &str = "rm -rf /var/lib/app/releases";
const TARGET: &str = "/var/lib/app/releases";
const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// One test's system layout. Dropping it stops the server and removes the users,
/// groups and directories it made.
struct System {
    /// holdpoint's own user (and group).
    service: String,
    /// The group whose members may connect to the socket.
    agents: String,
    /// The agent's OS user.
    agent: String,
    /// Another OS user, in no group of holdpoint's.
    outsider: String,
    home: PathBuf,
    run: PathBuf,
    /// Where the holdpoint binary is installed for the test (root's, 0755).
    bin_dir: PathBuf,
    /// Root's own directory: the units, the tmpfiles rule, the human's client set-up.
    scratch: PathBuf,
    server: Option<(Background, String)>,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl System {
    /// The names and directories of a new layout; nothing is made yet but the binary's
    /// copy and root's scratch directory.
    fn new() -> Self {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(
            rustix::process::geteuid().is_root(),
            "these tests make OS users and run holdpoint as them: run them as root"
        );
        for (tool, package) in [
            ("useradd", "passwd"),
            ("setpriv", "util-linux"),
            ("script", "bsdutils"),
        ] {
            assert!(
                Command::new("sh")
                    .args(["-c", &format!("command -v {tool}")])
                    .output()
                    .unwrap()
                    .status
                    .success(),
                "these tests need `{tool}`: `apt-get install {package}`, or run .ci/run"
            );
        }
        let mut bytes = [0u8; 4];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
            .unwrap();
        let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let system = System {
            service: format!("hp-svc-{suffix}"),
            agents: format!("hp-agents-{suffix}"),
            agent: format!("hp-agent-{suffix}"),
            outsider: format!("hp-other-{suffix}"),
            home: PathBuf::from(format!("/var/lib/hp-test-{suffix}")),
            run: PathBuf::from(format!("/run/hp-test-{suffix}")),
            bin_dir: PathBuf::from(format!("/opt/hp-test-{suffix}")),
            scratch: PathBuf::from(format!("/tmp/hp-test-{suffix}")),
            server: None,
            _turn: turn,
        };
        // The binary where every user may run it and only root may change it: a link
        // to the one cargo built (which lies under root's home), or a copy.
        std::fs::create_dir_all(&system.bin_dir).unwrap();
        std::fs::set_permissions(&system.bin_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let built = env!("CARGO_BIN_EXE_holdpoint");
        if std::fs::hard_link(built, system.bin()).is_err() {
            std::fs::copy(built, system.bin()).unwrap();
        }
        std::fs::set_permissions(system.bin(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(&system.scratch).unwrap();
        std::fs::set_permissions(&system.scratch, std::fs::Permissions::from_mode(0o700)).unwrap();
        system
    }

    /// A layout set up with `setup --system`, an agent's user set up with `setup
    /// --user`, and the outsider.
    fn set_up() -> Self {
        let system = System::new();
        let output = system.setup_system(&[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        root(&["useradd", "--create-home", &system.agent]);
        root(&["useradd", "--create-home", &system.outsider]);
        let output = system.setup_user(&[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}{}",
            stdout(&output),
            stderr(&output)
        );
        // The agent's project, its own.
        let project = system.project();
        std::fs::create_dir_all(&project).unwrap();
        chown(&project, &system.agent);
        system
    }

    fn bin(&self) -> PathBuf {
        self.bin_dir.join("holdpoint")
    }

    fn socket(&self) -> PathBuf {
        self.run.join("serve.sock")
    }

    fn project(&self) -> PathBuf {
        PathBuf::from(format!("/home/{}/project", self.agent))
    }

    /// `holdpoint setup --system` with this layout's names, and `extra`.
    fn setup_system(&self, extra: &[&str]) -> Output {
        let mut command = Command::new(self.bin());
        command
            .args(["setup", "--system", "--home"])
            .arg(&self.home)
            .args([
                "--service-user",
                &self.service,
                "--agents-group",
                &self.agents,
            ])
            .arg("--run-dir")
            .arg(&self.run)
            .arg("--unit-dir")
            .arg(self.scratch.join("units"))
            .arg("--tmpfiles-dir")
            .arg(self.scratch.join("tmpfiles"))
            .args(extra)
            .current_dir("/");
        pipe(command, "")
    }

    /// `holdpoint setup --user` for the agent's user, and `extra`.
    fn setup_user(&self, extra: &[&str]) -> Output {
        let mut command = Command::new(self.bin());
        command
            .args(["setup", "--user", &self.agent, "--home"])
            .arg(&self.home)
            .args(extra)
            .current_dir("/");
        pipe(command, "")
    }

    /// `argv` run as `user`, with its groups, a bare environment and `stdin`.
    fn as_user(&self, user: &str, argv: &[&str], stdin: &str) -> Output {
        let home = if user == self.service {
            self.home.clone()
        } else {
            PathBuf::from(format!("/home/{user}"))
        };
        let mut command = Command::new("setpriv");
        command
            .args([
                &format!("--reuid={user}"),
                &format!("--regid={}", gid_of(user)),
                "--init-groups",
                "--",
                "env",
                "-i",
            ])
            .arg(format!("HOME={}", home.display()))
            .arg(format!("USER={user}"))
            .arg(format!("PATH={PATH}"))
            .args(argv)
            .current_dir("/");
        pipe(command, stdin)
    }

    /// holdpoint run as holdpoint's own user, on its home.
    fn as_service(&self, args: &[&str], stdin: &str) -> Output {
        let home = format!("HOLDPOINT_HOME={}", self.home.display());
        let bin = self.bin();
        let mut argv = vec![home.as_str(), bin.to_str().unwrap()];
        argv.extend_from_slice(args);
        self.as_user(&self.service.clone(), &argv, stdin)
    }

    /// Starts `holdpoint serve` as the service's command would run: holdpoint's user and
    /// group only, no new privileges, no capabilities, umask 077, a bare environment
    /// (with a canary, to show that no other user can read it).
    fn serve(&mut self) -> String {
        let (process, address) =
            self.start_as_service("", "serve --listen 127.0.0.1:0", "at http://");
        self.server = Some((process, address.clone()));
        address
    }

    /// Starts `holdpoint ARGS` as `serve` starts the server, with the assignments in
    /// `env` besides; the process and the address its standard error gives after
    /// `marker`.
    fn start_as_service(
        &self,
        env: &str,
        args: &str,
        marker: &'static str,
    ) -> (Background, String) {
        let line = format!("umask 077; {env} exec {} {args}", self.bin().display());
        let mut command = Command::new("setpriv");
        command
            .args([
                &format!("--reuid={}", self.service),
                &format!("--regid={}", gid_of(&self.service)),
                "--clear-groups",
                "--no-new-privs",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--",
                "env",
                "-i",
            ])
            .arg(format!("HOLDPOINT_HOME={}", self.home.display()))
            .arg(format!("HOME={}", self.home.display()))
            .arg(format!("PATH={PATH}"))
            .arg("HOLDPOINT_CANARY=canary-in-the-environment")
            .args(["sh", "-c", &line])
            .current_dir("/");
        Background::start(command, marker)
    }

    fn server_pid(&self) -> u32 {
        self.server.as_ref().unwrap().0.pid()
    }

    /// Adds a human, as an administrator would: as holdpoint's user, at a terminal.
    fn add_human(&self, name: &str) {
        let line = format!(
            "setpriv --reuid={user} --regid={gid} --clear-groups -- env -i HOLDPOINT_HOME={home} HOME={home} PATH={PATH} {bin} human add {name}",
            user = self.service,
            gid = gid_of(&self.service),
            home = self.home.display(),
            bin = self.bin().display(),
        );
        let mut command = Command::new("script");
        command.args(["-qefc", &line, "/dev/null"]).current_dir("/");
        let mut t = Terminal::start(command);
        t.answer("new secret", SECRET);
        t.answer("repeat the secret", SECRET);
        let (code, text) = t.finish();
        assert_eq!(code, Some(0), "{text}");
    }

    /// Approves a request with `holdpoint approvals approve`, as a human on this machine
    /// whose holdpoint.toml names the server (over its socket), typing the secret and
    /// the target's name.
    fn approve(&self, id: &str) -> (Option<i32>, String) {
        let client = self.scratch.join("human");
        std::fs::create_dir_all(&client).unwrap();
        std::fs::write(
            client.join("holdpoint.toml"),
            format!("[server]\nurl = \"unix:{}\"\n", self.socket().display()),
        )
        .unwrap();
        let line = [
            self.bin().to_str().unwrap(),
            "approvals",
            "approve",
            id,
            "--as",
            "alice",
        ]
        .map(quote)
        .join(" ");
        let mut command = Command::new("script");
        command
            .args(["-qefc", &line, "/dev/null"])
            .env("HOLDPOINT_HOME", &client)
            .current_dir("/");
        let mut t = Terminal::start(command);
        let mut shown = t.answer("secret for alice", SECRET);
        shown.push_str(&t.answer("to confirm", TARGET));
        let (code, rest) = t.finish();
        (code, shown + &rest)
    }

    /// The agent's Claude Code hook, run as the agent's user, before `command`.
    fn hook(&self, command: &str) -> (Output, Option<Value>) {
        let input = json!({
            "session_id": "system-1",
            "transcript_path": "/tmp/t.jsonl",
            "cwd": self.project(),
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": { "command": command },
        });
        let bin = self.bin();
        let output = self.as_user(
            &self.agent,
            &[bin.to_str().unwrap(), "hook", "claude-code"],
            &input.to_string(),
        );
        let text = stdout(&output);
        let answer = (!text.trim().is_empty()).then(|| serde_json::from_str(&text).unwrap());
        (output, answer)
    }
}

impl Drop for System {
    fn drop(&mut self) {
        // The server first: a user with a running process cannot be removed.
        self.server = None;
        for user in [&self.agent, &self.outsider, &self.service] {
            let _ = Command::new("userdel").args(["--remove", user]).output();
        }
        for group in [&self.agents, &self.service] {
            let _ = Command::new("groupdel").arg(group).output();
        }
        for dir in [&self.home, &self.run, &self.bin_dir, &self.scratch] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs a command as root; it must succeed.
fn root(argv: &[&str]) {
    let output = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
    assert!(output.status.success(), "{argv:?}: {}", stderr(&output));
}

fn gid_of(user: &str) -> String {
    let output = Command::new("id").args(["-g", user]).output().unwrap();
    assert!(output.status.success(), "no user {user}");
    stdout(&output).trim().to_owned()
}

fn chown(path: &Path, user: &str) {
    root(&["chown", &format!("{user}:{user}"), path.to_str().unwrap()]);
}

/// The request a hook's refusal names.
fn request_id(reason: &str) -> String {
    let at = reason
        .find("request apr-")
        .unwrap_or_else(|| panic!("no request named in: {reason}"))
        + "request ".len();
    reason[at..at + 12].to_owned()
}

fn refusal(answer: Option<&Value>) -> String {
    let answer = answer.unwrap_or_else(|| panic!("no refusal: the call was allowed"));
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");
    answer["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The files of holdpoint's home, and the upstream password the test puts there.
fn state_files(system: &System) -> Vec<PathBuf> {
    let credentials = system.home.join("credentials/app.password");
    let output = system.as_user(
        &system.service.clone(),
        &[
            "sh",
            "-c",
            &format!(
                "umask 077; printf 'upstream-password' > {}",
                credentials.display()
            ),
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let files: Vec<PathBuf> = [
        "store.db",
        "store.db-wal",
        "keys/ledger.key",
        "keys/ledger.pub",
        "credentials/app.password",
        "policies/default.cedar",
        "holdpoint.toml",
    ]
    .iter()
    .map(|f| system.home.join(f))
    .collect();
    for file in &files {
        assert!(file.exists(), "{} is not there", file.display());
    }
    files
}

#[test]
fn the_agents_user_can_read_or_write_nothing_of_holdpoints_nor_its_processes_environment() {
    let mut system = System::set_up();
    system.serve();
    let files = state_files(&system);
    let agent = system.agent.clone();
    let denied = |output: &Output, what: &str| {
        assert!(
            !output.status.success(),
            "{what} succeeded: {}",
            stdout(output)
        );
        assert!(
            stderr(output).contains("Permission denied"),
            "{what}: not a permission error: {}",
            stderr(output)
        );
    };
    for file in &files {
        let path = file.to_str().unwrap();
        denied(
            &system.as_user(&agent, &["cat", path], ""),
            &format!("reading {path}"),
        );
        denied(
            &system.as_user(&agent, &["sh", "-c", &format!("printf x >> {path}")], ""),
            &format!("writing {path}"),
        );
    }
    let home = system.home.to_str().unwrap().to_owned();
    denied(
        &system.as_user(&agent, &["ls", &home], ""),
        "listing the home",
    );
    denied(
        &system.as_user(&agent, &["touch", &format!("{home}/planted")], ""),
        "creating a file in the home",
    );
    // The server's environment: the kernel lets only its own user (or a tracer) read it.
    let environ = format!("/proc/{}/environ", system.server_pid());
    denied(
        &system.as_user(&agent, &["cat", &environ], ""),
        "reading the server's environment",
    );
    let own = std::fs::read(&environ).unwrap();
    assert!(
        String::from_utf8_lossy(&own).contains("HOLDPOINT_CANARY=canary-in-the-environment"),
        "the canary is in the server's environment, as root sees it"
    );
    // The same for the database proxy, which reads its upstream password from the file
    // only holdpoint's user can read.
    let (proxy, _) = system.start_as_service(
        &format!(
            "HOLDPOINT_UPSTREAM_PASSWORD_FILE={}",
            system.home.join("credentials/app.password").display()
        ),
        "pg --listen 127.0.0.1:0 --upstream postgres://app@127.0.0.1:1/app",
        "connect to ",
    );
    denied(
        &system.as_user(
            &agent,
            &["cat", &format!("/proc/{}/environ", proxy.pid())],
            "",
        ),
        "reading the proxy's environment",
    );
    drop(proxy);

    // The socket is the agents' group's, 0660: the agent's user may connect, a user in
    // no group of holdpoint's may not (and cannot even enter its directory).
    let socket = system.socket();
    let meta = std::fs::metadata(&socket).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o660);
    assert_eq!(
        meta.gid().to_string(),
        stdout(
            &Command::new("getent")
                .args(["group", &system.agents])
                .output()
                .unwrap()
        )
        .split(':')
        .nth(2)
        .unwrap()
    );
    let connect = format!(
        "import socket; s = socket.socket(socket.AF_UNIX); s.connect({:?}); print('connected')",
        socket.to_str().unwrap()
    );
    let output = system.as_user(&agent, &["/usr/bin/python3", "-c", &connect], "");
    assert_eq!(stdout(&output).trim(), "connected", "{}", stderr(&output));
    let outsider = system.outsider.clone();
    let output = system.as_user(&outsider, &["/usr/bin/python3", "-c", &connect], "");
    assert!(
        stderr(&output).contains("PermissionError"),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    denied(
        &system.as_user(&outsider, &["ls", system.run.to_str().unwrap()], ""),
        "an outsider listing the socket's directory",
    );
    // The agent's own credential is its alone.
    let token = PathBuf::from(format!("/home/{agent}/.holdpoint/agent.token"));
    let meta = std::fs::metadata(&token).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    denied(
        &system.as_user(&outsider, &["cat", token.to_str().unwrap()], ""),
        "an outsider reading the agent's credential",
    );
}

#[test]
fn an_approval_works_from_the_agents_hook_through_the_socket_to_the_humans_cli_and_back() {
    let mut system = System::set_up();
    system.add_human("alice");
    system.serve();

    // `~` is the agent's home, not the server's (which is holdpoint's own): cleaning the
    // workspace through it is workspace work, allowed.
    let (output, answer) = system.hook("rm -rf ~/project/target");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(answer, None, "refused: {}", stdout(&output));

    let (output, answer) = system.hook(DESTROY);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let reason = refusal(answer.as_ref());
    assert!(reason.contains("held this action"), "{reason}");
    let id = request_id(&reason);

    let (code, text) = system.approve(&id);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(DESTROY),
        "the human sees the exact action: {text}"
    );
    assert!(text.contains(&format!("approved {id} as alice")), "{text}");

    // The identical retry is allowed once: no opinion from the hook.
    let (output, answer) = system.hook(DESTROY);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(answer, None, "allowed: {}", stdout(&output));
    let (_, answer) = system.hook(DESTROY);
    assert!(refusal(answer.as_ref()).contains("held"), "used once");

    // The ledger, read by holdpoint's user: the agent is named by its credential, the
    // approval by alice, and the hook never made a store of the agent's own.
    let export = system.as_service(&["log", "export"], "");
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    let records: Vec<Value> = stdout(&export)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"approval_given") && kinds.contains(&"approval_used"),
        "{kinds:?}"
    );
    let proposed: Vec<&Value> = records.iter().filter(|r| r["kind"] == "proposed").collect();
    assert!(!proposed.is_empty(), "{records:?}");
    assert!(
        proposed
            .iter()
            .all(|r| r["actors"]["agent"] == system.agent.as_str()),
        "{records:?}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "approval_given" && r["actors"]["human"] == "alice"),
        "{records:?}"
    );
    let verify = system.as_service(&["log", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    assert!(
        !PathBuf::from(format!("/home/{}/.holdpoint/store.db", system.agent)).exists(),
        "the hook opened a store of its own"
    );

    // With the server gone, the hook refuses rather than deciding by itself.
    system.server = None;
    let (output, answer) = system.hook("ls");
    assert_eq!(output.status.code(), Some(2));
    assert!(refusal(answer.as_ref()).contains("cannot be reached"));
}

#[test]
fn the_store_editing_attack_fails_and_the_retry_stays_held() {
    // Regression test for issue 14: through an allowed `npm run`, a script of the
    // agent's edited the approvals table in store.db, and the retry was allowed.
    let mut system = System::set_up();
    system.serve();
    let (_, answer) = system.hook(DESTROY);
    let id = request_id(&refusal(answer.as_ref()));

    let store = system.home.join("store.db");
    let script = system.project().join("approve.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh
# What a test or a package script of the agent's could run.
cat {store} > /dev/null || echo 'cannot read the store'
/usr/bin/python3 - <<'PY'
import sqlite3
db = sqlite3.connect('file:{store}?mode=rw', uri=True)
db.execute(\"UPDATE approvals SET state = 'approved', body = json_set(body, '$.state', 'approved') WHERE id = '{id}'\")
db.commit()
print('approved behind holdpoint')
PY
",
            store = store.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    chown(&script, &system.agent);
    let agent = system.agent.clone();
    let output = system.as_user(&agent, &[script.to_str().unwrap()], "");
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("Permission denied"), "{said}");
    assert!(said.contains("unable to open database file"), "{said}");
    assert!(!said.contains("approved behind holdpoint"), "{said}");

    let (_, answer) = system.hook(DESTROY);
    let reason = refusal(answer.as_ref());
    assert!(
        reason.contains(&format!("request {id}")),
        "still held by the same request: {reason}"
    );
}

#[test]
fn setup_says_what_it_would_do_does_it_once_and_then_changes_nothing() {
    let system = System::new();
    // A dry run changes nothing.
    let dry = system.setup_system(&["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(stdout(&dry).contains(&format!("would create  user {}", system.service)));
    assert!(stdout(&dry).contains("would create  /var/lib/hp-test-"));
    assert!(!system.home.exists());
    assert!(
        !Command::new("id")
            .arg(&system.service)
            .output()
            .unwrap()
            .status
            .success()
    );

    let first = system.setup_system(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stdout(&first).contains(&format!("created       user {}", system.service)));
    // systemd is not PID 1 here: said plainly, with the command to start the server.
    assert!(
        stderr(&first).contains("systemd is not running")
            && stderr(&first).contains(&format!("runuser -u {} --", system.service)),
        "{}",
        stderr(&first)
    );
    let meta = std::fs::metadata(&system.home).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o700);
    let meta = std::fs::metadata(&system.run).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o2750);
    let shell = stdout(
        &Command::new("getent")
            .args(["passwd", &system.service])
            .output()
            .unwrap(),
    );
    assert!(shell.trim_end().ends_with("nologin"), "{shell}");
    let config = std::fs::read_to_string(system.home.join("holdpoint.toml")).unwrap();
    assert!(config.contains(&format!("socket_group = \"{}\"", system.agents)));

    let again = system.setup_system(&[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("nothing changed"),
        "{}",
        stdout(&again)
    );
    assert!(
        stdout(&again)
            .lines()
            .filter(|l| l.starts_with("  "))
            .all(|l| l.starts_with("  unchanged ")),
        "{}",
        stdout(&again)
    );

    root(&["useradd", "--create-home", &system.agent]);
    let dry = system.setup_user(&["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("would issue"), "{}", stdout(&dry));
    assert!(!PathBuf::from(format!("/home/{}/.holdpoint", system.agent)).exists());
    let first = system.setup_user(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        stdout(&first).contains(&format!(
            "can read or write nothing under {}",
            system.home.display()
        )),
        "{}",
        stdout(&first)
    );
    let again = system.setup_user(&[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("nothing changed"),
        "{}",
        stdout(&again)
    );

    // Not root: refused, saying why, before anything is done.
    let agent = system.agent.clone();
    let output = system.as_user(
        &agent,
        &[system.bin().to_str().unwrap(), "setup", "--system"],
        "",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("must run as root"),
        "{}",
        stderr(&output)
    );

    // A home another user may enter is reported, and setup --system puts it right.
    root(&["chmod", "0755", system.home.to_str().unwrap()]);
    let output = system.setup_user(&[]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("could enter"),
        "{}",
        stderr(&output)
    );
    let fixed = system.setup_system(&[]);
    assert!(stdout(&fixed).contains("changed"), "{}", stdout(&fixed));
    assert_eq!(system.setup_user(&[]).status.code(), Some(0));
}

#[test]
fn the_units_pass_systemd_analyze_and_the_server_rates_at_least_ok() {
    let system = System::new();
    let output = system.setup_system(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let units = system.scratch.join("units");
    let analyze = |args: &[&str]| {
        Command::new("systemd-analyze")
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run systemd-analyze ({e}): apt-get install -y systemd")
            })
    };
    for unit in ["holdpoint.service", "holdpoint-gateway@pg.service"] {
        let path = units.join(unit);
        let output = analyze(&["verify", path.to_str().unwrap()]);
        assert!(
            output.status.success(),
            "{unit}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        let output = analyze(&["security", "--offline=true", path.to_str().unwrap()]);
        let text = stdout(&output);
        let overall = text
            .lines()
            .find(|l| l.contains("Overall exposure level"))
            .unwrap_or_else(|| panic!("{text}{}", stderr(&output)));
        eprintln!("systemd-analyze security --offline=true {unit}: {overall}");
        // "→ Overall exposure level for UNIT: 1.3 OK 🙂"
        let rating = overall
            .rsplit(": ")
            .next()
            .and_then(|r| r.split_whitespace().nth(1))
            .unwrap();
        assert!(
            ["SAFE", "OK"].contains(&rating),
            "{unit} is rated {rating}: {text}"
        );
    }
}

#[test]
fn a_psql_line_through_holdpoints_own_proxy_is_decided_once_by_the_proxy() {
    let database = crate::pg::Database::new("gate");
    database.seed(3);
    let mut system = System::set_up();
    system.add_human("alice");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    // The proxy is holdpoint's: in holdpoint.toml, run as holdpoint's own user.
    let config = system.home.join("holdpoint.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[[database]]\nlisten = \"127.0.0.1:{port}\"\nupstream = \"postgres://postgres@127.0.0.1:5432/{}\"\nwait = \"0s\"\n",
        database.name
    ));
    std::fs::write(&config, text).unwrap();
    system.serve();
    let (proxy, _) = system.start_as_service("", "pg", "connect to ");
    let drop_users = format!(
        "psql -X -h 127.0.0.1 -p {port} -U {agent} {db} -c 'DROP TABLE users'",
        agent = system.agent,
        db = database.name
    );

    // The hook leaves the statement to the proxy: no hold, nothing asked of a human.
    let (output, answer) = system.hook(&drop_users);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(answer, None, "held at the hook: {}", stdout(&output));
    // The same statement sent straight to the database is the hook's to hold.
    let direct = format!(
        "psql -X -h 127.0.0.1 -p 5432 {} -c 'DROP TABLE users'",
        database.name
    );
    let (_, answer) = system.hook(&direct);
    assert!(refusal(answer.as_ref()).contains("held"));
    // So is one that leaves the proxy's address for another on the way.
    let (_, answer) = system.hook(&format!("{drop_users} -d 'hostaddr=127.0.0.1 port=5432'"));
    assert!(refusal(answer.as_ref()).contains("held"));

    // The proxy, which sees the statement itself, holds it there once, and the table
    // is still there.
    let token_file = format!("/home/{}/.holdpoint/agent.token", system.agent);
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    let line = format!("PGPASSWORD={token} {drop_users}");
    let ran = system.as_user(&system.agent.clone(), &["sh", "-c", &line], "");
    assert!(!ran.status.success(), "{}", stdout(&ran));
    assert!(stderr(&ran).contains("held"), "{}", stderr(&ran));
    assert_eq!(database.direct("SELECT count(*) FROM users"), "3");

    let export = system.as_service(&["log", "export"], "");
    let records: Vec<Value> = stdout(&export)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let requested: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "approval_requested")
        .collect();
    // One request for the direct line, one more for its hostaddr variant, and one from
    // the proxy for the statement itself: none for the line the proxy decides.
    assert_eq!(requested.len(), 3, "{requested:#?}");
    let left = records
        .iter()
        .find(|r| {
            r["kind"] == "decided"
                && r["body"]["outcome"] == "allow"
                && r.to_string()
                    .contains(&format!("holdpoint pg on 127.0.0.1:{port}"))
        })
        .unwrap_or_else(|| panic!("the hook's decision names no proxy: {records:#?}"));
    assert_eq!(left["actors"]["agent"], system.agent.as_str(), "{left}");

    // An agent that stands in for the proxy on its port, once it is gone, has nothing
    // left to it: the listener is the agent's own user's.
    drop(proxy);
    let impostor = format!(
        "import socket, sys, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\nfor _ in range(100):\n    try:\n        s.bind(('127.0.0.1', {port}))\n        break\n    except OSError:\n        time.sleep(0.1)\ns.listen()\nprint('listening at 127.0.0.1:{port} ', file=sys.stderr, flush=True)\ntime.sleep(60)\n"
    );
    let mut command = Command::new("setpriv");
    command
        .args([
            &format!("--reuid={}", system.agent),
            &format!("--regid={}", gid_of(&system.agent)),
            "--init-groups",
            "--",
            "/usr/bin/python3",
            "-c",
            &impostor,
        ])
        .current_dir("/");
    let (_impostor, _) = Background::start(command, "listening at ");
    let (_, answer) = system.hook(&drop_users);
    assert!(refusal(answer.as_ref()).contains("held"), "{answer:?}");
}
