//! `holdpoint sandbox`: what a confined command can and cannot do, judged by the files it
//! leaves behind and what it could reach, not only by its exit status. These tests run
//! as root on the test machine, which file permissions do not stop; Landlock does.

use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::setup::Setup;
use crate::{stderr, stdout};

/// A home directory with a workspace and holdpoint's home in it, kept outside every
/// temporary directory (which the sandbox lets commands write in), under Cargo's
/// scratch folder for tests. Removed when dropped.
#[derive(Debug)]
struct Machine {
    root: PathBuf,
    user_home: PathBuf,
    work: PathBuf,
    holdpoint_home: PathBuf,
}

impl Machine {
    fn new(name: &str) -> Self {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sandbox-{name}-{}", std::process::id()));
        let mut temps = vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
        temps.extend(std::env::var_os("TMPDIR").map(PathBuf::from));
        for temp in temps {
            let temp = std::fs::canonicalize(&temp).unwrap_or(temp);
            assert!(
                !root.starts_with(&temp),
                "the test's home `{}` must lie outside the temporary directory `{}`: set CARGO_TARGET_DIR elsewhere",
                root.display(),
                temp.display()
            );
        }
        let _ = std::fs::remove_dir_all(&root);
        let user_home = root.join("home");
        let work = user_home.join("project");
        std::fs::create_dir_all(&work).unwrap();
        let machine = Machine {
            holdpoint_home: user_home.join(".holdpoint"),
            user_home,
            work,
            root,
        };
        let init = machine.holdpoint(&["init"]).output().unwrap();
        assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
        machine
    }

    fn holdpoint(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_holdpoint"));
        command
            .args(args)
            .current_dir(&self.work)
            .env("HOME", &self.user_home)
            .env("HOLDPOINT_HOME", &self.holdpoint_home)
            .stdin(Stdio::null());
        command
    }

    /// Runs `bash -c script` in the sandbox with `flags`.
    fn sandbox(&self, flags: &[&str], script: &str) -> Output {
        let mut args = vec!["sandbox"];
        args.extend(flags);
        args.extend(["--", "bash", "-c", script]);
        self.holdpoint(&args).output().unwrap()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Whether `path` exists; removes it, so that a test that fails leaves nothing behind.
fn made(path: &Path) -> bool {
    let exists = path.exists();
    let _ = std::fs::remove_file(path);
    exists
}

#[test]
fn sandbox_writes_land_only_in_the_workspace_and_temporary_directories() {
    let m = Machine::new("writes");
    let pid = std::process::id();
    let tmp = PathBuf::from(format!("/tmp/holdpoint-sandbox-{pid}"));
    let var_tmp = PathBuf::from(format!("/var/tmp/holdpoint-sandbox-{pid}"));
    let etc = PathBuf::from(format!("/etc/holdpoint-sandbox-{pid}"));
    let var = PathBuf::from(format!("/var/holdpoint-sandbox-{pid}"));
    let outside = m.user_home.join("outside");
    let kept = m.user_home.join("kept");
    std::fs::write(&kept, "still here").unwrap();
    let planted = m.holdpoint_home.join("planted");
    let policy = m.holdpoint_home.join("policies").join("allow-all.cedar");
    let script = format!(
        "echo x > made-here; mkdir -p build/out && echo x > build/out/a.o; \
         for f in {tmp} {var_tmp} {etc} {var} {outside} {planted} {policy}; do echo x > $f; done; \
         rm -f {kept}; echo done",
        tmp = tmp.display(),
        var_tmp = var_tmp.display(),
        etc = etc.display(),
        var = var.display(),
        outside = outside.display(),
        planted = planted.display(),
        policy = policy.display(),
        kept = kept.display(),
    );
    let output = m.sandbox(&[], &script);
    let (tmp, var_tmp, etc, var) = (made(&tmp), made(&var_tmp), made(&etc), made(&var));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "done\n");
    assert!(m.work.join("made-here").exists(), "{}", stderr(&output));
    assert!(m.work.join("build/out/a.o").exists(), "{}", stderr(&output));
    assert!(tmp, "a new file in /tmp: {}", stderr(&output));
    assert!(var_tmp, "a new file in /var/tmp: {}", stderr(&output));
    assert!(!etc, "a file was written in /etc");
    assert!(!var, "a file was written in /var");
    assert!(!outside.exists(), "a file was written in $HOME");
    assert!(!planted.exists(), "a file was written in holdpoint's home");
    assert!(!policy.exists(), "a policy was planted");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "still here");
    assert_eq!(
        stderr(&output).matches("Permission denied").count(),
        6,
        "{}",
        stderr(&output)
    );
}

#[test]
fn sandbox_keeps_holdpoints_home_unreadable() {
    let m = Machine::new("read");
    let files = [
        "holdpoint.toml",
        "keys/ledger.key",
        "store.db",
        "policies/default.cedar",
    ];
    let script = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "cat {} > stolen-{i}",
                m.holdpoint_home.join(f).to_str().unwrap()
            )
        })
        .chain([
            "cp -r \"$HOLDPOINT_HOME\" copy".to_owned(),
            "ls \"$HOLDPOINT_HOME\"".to_owned(),
        ])
        .collect::<Vec<_>>()
        .join("; ");
    let output = m.sandbox(&[], &script);
    for (i, file) in files.iter().enumerate() {
        assert!(
            !std::fs::read(m.holdpoint_home.join(file))
                .unwrap()
                .is_empty(),
            "{file} is empty"
        );
        let stolen = std::fs::read(m.work.join(format!("stolen-{i}"))).unwrap();
        assert!(stolen.is_empty(), "{file} was read: {}", stderr(&output));
    }
    // The copy holds no file's text: at most the names.
    let copy = m.work.join("copy");
    if copy.exists() {
        for file in files {
            let copied = std::fs::read(copy.join(file)).unwrap_or_default();
            assert!(copied.is_empty(), "{file} was copied");
        }
    }
    // Names may be listed; they are documented anyway.
    assert!(
        stdout(&output).contains("holdpoint.toml"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("Permission denied"));
}

#[test]
fn sandbox_hides_other_processes_environment_and_signals() {
    let m = Machine::new("proc");
    let mut proxy = Command::new("sleep")
        .arg("60")
        .env("HOLDPOINT_UPSTREAM_PASSWORD", "s3cret-upstream")
        .spawn()
        .unwrap();
    let pid = proxy.id();
    let output = m.sandbox(
        &[],
        &format!("cat /proc/{pid}/environ; kill -TERM {pid}; echo done"),
    );
    let alive = proxy.try_wait().unwrap().is_none();
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert!(!stdout(&output).contains("s3cret"), "{}", stdout(&output));
    assert!(stdout(&output).ends_with("done\n"), "{}", stderr(&output));
    assert!(alive, "the sandboxed command stopped a process outside");
}

#[test]
fn sandbox_has_the_network_only_with_net() {
    let m = Machine::new("net");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected");

    let output = m.sandbox(&[], &connect);
    assert_ne!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(!stdout(&output).contains("connected"));
    assert!(listener.accept().is_err(), "a connection came through");

    let output = m.sandbox(&["--net"], &connect);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "connected\n");
    assert!(listener.accept().is_ok(), "no connection came through");

    // A fresh network namespace would still let a command listen on its own loopback;
    // Landlock refuses binding TCP ports too.
    let bind = "perl -MIO::Socket::INET -e 'IO::Socket::INET->new(Listen => 1, LocalAddr => q(0.0.0.0:0)) or die qq(bind: $!\\n); print qq(bound\\n)'";
    let output = m.sandbox(&[], bind);
    assert!(
        stderr(&output).contains("bind: Permission denied"),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let output = m.sandbox(&["--net"], bind);
    assert_eq!(
        stdout(&output),
        "bound\n",
        "perl is needed: {}",
        stderr(&output)
    );
}

#[test]
fn sandbox_passes_the_commands_exit_status_through() {
    let m = Machine::new("status");
    assert_eq!(m.sandbox(&[], "exit 7").status.code(), Some(7));
    assert_eq!(m.sandbox(&[], "true").status.code(), Some(0));
    let killed = m.sandbox(&[], "kill -TERM $$").status;
    assert_eq!(killed.signal(), Some(15), "{killed:?}");
    let missing = m
        .holdpoint(&["sandbox", "--", "no-such-command-anywhere"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(127), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("cannot run `no-such-command-anywhere`"));
}

#[test]
fn sandbox_refuses_a_workspace_that_holds_holdpoints_home() {
    let m = Machine::new("refuse");
    for workspace in [m.user_home.clone(), m.holdpoint_home.join("policies")] {
        let output = m
            .holdpoint(&[
                "sandbox",
                "--workspace",
                workspace.to_str().unwrap(),
                "--",
                "touch",
                m.work.join("ran").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("holdpoint's home"),
            "{}",
            stderr(&output)
        );
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
        assert!(!m.work.join("ran").exists(), "the command ran");
    }
    let output = m
        .holdpoint(&["sandbox", "--workspace", "/no/such/dir", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn sandbox_keeps_a_home_inside_a_temporary_directory_out_of_reach() {
    // The usual test layout: everything, holdpoint's home too, under /tmp, which the
    // sandbox otherwise lets commands write in whole.
    let setup = Setup::new("sandbox-tmp-home");
    let home = setup.home.to_str().unwrap().to_owned();
    let output = setup.run(
        &[
            "sandbox",
            "--",
            "bash",
            "-c",
            &format!(
                "cat {home}/holdpoint.toml; echo x > {home}/planted; echo x > made; echo done"
            ),
        ],
        "",
    );
    assert_eq!(stdout(&output), "done\n", "{}", stderr(&output));
    assert!(!setup.home.join("planted").exists());
    assert!(setup.work().join("made").exists(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is inside the temporary directory"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sandbox_help_says_what_is_confined() {
    let output = crate::holdpoint(&["sandbox", "--help"], "");
    let help = stdout(&output);
    for words in [
        "--net",
        "--workspace",
        "--allow-unconfined",
        "Not confined",
        "125",
    ] {
        assert!(help.contains(words), "{words} missing from: {help}");
    }
}

#[test]
fn sandbox_that_cannot_confine_runs_nothing() {
    // Inside a sandbox the kernel will not map a user into a new namespace (the files
    // that do it are not writable there), so a second sandbox cannot be made: it must
    // refuse, saying why, rather than run the command less confined.
    let m = Machine::new("closed");
    let bin = env!("CARGO_BIN_EXE_holdpoint");
    let output = m.sandbox(&[], &format!("{bin} sandbox -- touch ran"));
    assert_eq!(output.status.code(), Some(125), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the command was not run"),
        "{}",
        stderr(&output)
    );
    assert!(!m.work.join("ran").exists(), "the command ran");

    let output = m.sandbox(
        &[],
        &format!("{bin} sandbox --allow-unconfined -- touch ran"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("running the command anyway"),
        "{}",
        stderr(&output)
    );
    assert!(m.work.join("ran").exists(), "{}", stderr(&output));
}
