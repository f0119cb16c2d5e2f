//! The local machine as the analysers and the policy engine need it: the working and home
//! directories, readable scripts, the clock and the policy directory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use holdpoint_core::{
    Action, Analysis, AnalysisContext, Environment, Files, Program, Surface, analyse, content_hash,
};
use holdpoint_policy::{PolicyEngine, PolicySource};
use sha2::{Digest as _, Sha256};

use crate::Failure;

/// The largest script holdpoint reads to analyse; a larger one is opaque.
const MAX_SCRIPT: u64 = 256 * 1024;

/// Reads scripts an action would run, and remembers the hash of each so that the action's
/// digest changes when a script's text does.
#[derive(Debug, Default)]
pub(crate) struct LocalFiles {
    read: RefCell<Vec<String>>,
}

impl LocalFiles {
    /// The content hashes of the files read so far.
    pub fn take_hashes(&self) -> Vec<String> {
        std::mem::take(&mut self.read.borrow_mut())
    }
}

/// Where files are not files: what they hold is made up as they are read (`/proc`,
/// `/sys`), possibly without end, or they are devices.
const NOT_FILES: [&str; 3] = ["/proc/", "/sys/", "/dev/"];

impl Files for LocalFiles {
    fn read(&self, path: &str) -> Option<String> {
        let real = std::fs::canonicalize(path).ok()?;
        if NOT_FILES.iter().any(|prefix| real.starts_with(prefix)) {
            return None;
        }
        // Opened without blocking (a FIFO put in its place would wait for a writer), and
        // checked again once open, so that what is read is the regular file that was
        // checked.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
            .open(&real)
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_SCRIPT {
            return None;
        }
        // A file that grows while it is read stops at the limit too.
        let mut bytes = Vec::new();
        std::io::Read::take(file, MAX_SCRIPT + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() as u64 > MAX_SCRIPT {
            return None;
        }
        self.read.borrow_mut().push(content_hash(&bytes));
        String::from_utf8(bytes).ok()
    }

    fn program(&self, path: &str) -> Option<Program> {
        let real = std::fs::canonicalize(path).ok()?;
        if NOT_FILES.iter().any(|prefix| real.starts_with(prefix)) {
            return Some(Program::Unknown);
        }
        let meta = std::fs::metadata(&real).ok()?;
        if !meta.is_file() {
            return Some(Program::Unknown);
        }
        let mut head = [0u8; 512];
        let read = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
            .open(&real)
            .and_then(|mut file| file.read(&mut head))
            .ok()?;
        let head = head.get(..read).unwrap_or(&[]);
        if !head.starts_with(b"\x7fELF") {
            // What is not a program the kernel loads is a script: `#!` names its
            // interpreter, and text without one is run by the shell.
            let text = head.starts_with(b"#!")
                || (!head.contains(&0) && std::str::from_utf8(head).is_ok());
            return Some(if text {
                Program::Script
            } else {
                Program::Unknown
            });
        }
        let called = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let identity = identify(&real, &meta, &called);
        if let Some(hash) = &identity.hash {
            self.read.borrow_mut().push(hash.clone());
        }
        Some(identity.program)
    }

    fn entries(&self, path: &str) -> Option<Vec<String>> {
        if NOT_FILES.iter().any(|prefix| path.starts_with(prefix)) {
            return None;
        }
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path).ok()? {
            names.push(entry.ok()?.file_name().to_string_lossy().into_owned());
            if names.len() > MAX_ENTRIES {
                return None;
            }
        }
        Some(names)
    }

    fn which(&self, name: &str) -> Option<String> {
        which(name).map(|p| p.to_string_lossy().into_owned())
    }

    fn real_path(&self, path: &str) -> Option<String> {
        // Follow the links of the longest part of the path that exists; the rest does
        // not exist yet and cannot be a link.
        let mut existing = Path::new(path);
        let mut rest = Vec::new();
        loop {
            if let Ok(real) = std::fs::canonicalize(existing) {
                let mut real = real;
                for part in rest.iter().rev() {
                    real.push(part);
                }
                return Some(real.to_string_lossy().into_owned());
            }
            rest.push(existing.file_name()?.to_owned());
            existing = existing.parent()?;
        }
    }
}

/// The most names a directory is listed with for a glob; a larger one is not listed.
const MAX_ENTRIES: usize = 4096;

/// The largest unknown program whose content is hashed to bind an approval to it.
const MAX_HASHED: u64 = 16 * 1024 * 1024;

/// Programs holdpoint knows by their content, besides the program of the same name on
/// the `PATH` and holdpoint itself: those that delete, overwrite, run other programs or
/// talk to the network, and those whose names a table trusts to only read.
const KNOWN_PROGRAMS: &[&str] = &[
    "rm",
    "rmdir",
    "unlink",
    "shred",
    "dd",
    "truncate",
    "mv",
    "cp",
    "ln",
    "install",
    "find",
    "xargs",
    "env",
    "sudo",
    "doas",
    "nohup",
    "timeout",
    "nice",
    "setsid",
    "bash",
    "sh",
    "dash",
    "zsh",
    "ksh",
    "mksh",
    "fish",
    "busybox",
    "toybox",
    "python3",
    "python",
    "perl",
    "ruby",
    "node",
    "php",
    "awk",
    "gawk",
    "mawk",
    "sed",
    "tee",
    "tar",
    "rsync",
    "curl",
    "wget",
    "nc",
    "ncat",
    "socat",
    "ssh",
    "scp",
    "git",
    "chmod",
    "chown",
    "kill",
    "pkill",
    "killall",
    "systemctl",
    "psql",
    "mysql",
    "sqlite3",
    "mongosh",
    "redis-cli",
    "kubectl",
    "docker",
    "helm",
    "terraform",
    "aws",
    "gcloud",
    "az",
    "mkfs",
    "wipefs",
    "fdisk",
    "parted",
    "make",
    "gcc",
    "cc",
    "cat",
    "ls",
    "less",
    "more",
    "head",
    "tail",
    "grep",
    "echo",
    "printf",
    "true",
    "false",
    "pwd",
    "jq",
    "tree",
    "du",
    "wc",
    "sort",
    "uniq",
    "cut",
    "tr",
    "diff",
    "stat",
    "file",
    "which",
    "id",
    "whoami",
    "date",
    "uname",
    "tmux",
    "screen",
    "expect",
    "script",
    "crontab",
    "at",
    "gdb",
    "strace",
];

/// Where the dynamic loader may be: it runs any program it is given.
const LOADERS: &[&str] = &[
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/ld-linux-aarch64.so.1",
    "/lib/ld-linux-armhf.so.3",
    "/lib/ld-linux.so.2",
    "/lib/ld-musl-x86_64.so.1",
    "/lib/ld-musl-aarch64.so.1",
];

/// A program holdpoint knows, as found on this machine.
struct KnownProgram {
    name: String,
    path: PathBuf,
    dev: u64,
    ino: u64,
    size: u64,
}

impl KnownProgram {
    fn at(name: &str, path: &Path) -> Option<Self> {
        // Links are followed: the file is what is compared, by its device and inode.
        let meta = std::fs::metadata(path).ok()?;
        meta.is_file().then(|| KnownProgram {
            name: name.to_owned(),
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
        })
    }
}

/// The known programs on this machine, found once per process: each `PATH` directory is
/// listed once, and only the known names in it are looked at.
fn known_programs() -> &'static [KnownProgram] {
    static KNOWN: OnceLock<Vec<KnownProgram>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut known = Vec::new();
        if let Ok(exe) = std::env::current_exe() {
            known.extend(KnownProgram::at("holdpoint", &exe));
        }
        let mut wanted: std::collections::HashSet<&str> = KNOWN_PROGRAMS.iter().copied().collect();
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some(known_name) = wanted.get(name).copied() else {
                    continue;
                };
                // The first executable of the name on the `PATH` is the one that runs.
                let candidate = dir.join(name);
                if std::fs::metadata(&candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                {
                    wanted.remove(known_name);
                    known.extend(KnownProgram::at(known_name, &candidate));
                }
            }
        }
        for loader in LOADERS {
            let path = Path::new(loader);
            if let Some(name) = path.file_name() {
                known.extend(KnownProgram::at(&name.to_string_lossy(), path));
            }
        }
        known
    })
}

/// Whether two files of the same size hold the same bytes, read side by side and
/// compared until the first difference (remembered per process).
fn same_content(a: &Path, b: &Path) -> bool {
    static SEEN: OnceLock<Mutex<HashMap<(PathBuf, PathBuf), bool>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (a.to_owned(), b.to_owned());
    if let Ok(remembered) = seen.lock()
        && let Some(same) = remembered.get(&key)
    {
        return *same;
    }
    let same = (|| {
        let mut left = std::fs::File::open(a).ok()?;
        let mut right = std::fs::File::open(b).ok()?;
        let mut ours = vec![0u8; 1 << 20];
        let mut theirs = vec![0u8; 1 << 20];
        loop {
            let n = read_full(&mut left, &mut ours)?;
            let m = read_full(&mut right, &mut theirs)?;
            if n != m || ours.get(..n) != theirs.get(..m) {
                return Some(false);
            }
            if n == 0 {
                return Some(true);
            }
        }
    })()
    .unwrap_or(false);
    if let Ok(mut remembered) = seen.lock() {
        remembered.insert(key, same);
    }
    same
}

/// Fills `buffer` as far as the file goes; the count read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> Option<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = file.read(buffer.get_mut(filled..)?).ok()?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Some(filled)
}

/// The SHA-256 of a file's content; `None` past `MAX_HASHED` or when it cannot be read.
fn file_hash(path: &Path) -> Option<[u8; 32]> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_HASHED {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut reader = std::io::BufReader::new(file.take(MAX_HASHED + 1));
    std::io::copy(&mut reader, &mut hasher).ok()?;
    Some(<[u8; 32]>::from(hasher.finalize()))
}

/// What a program is, and the content hash that says so where one was computed.
struct Identified {
    program: Program,
    hash: Option<String>,
}

/// What the program at `real` (called `called`) is: the same file as a known program, or
/// the same size and content. Several known names for one file (a multi-call program
/// such as busybox, which acts as the name it is run by) make it what it is called.
fn identify(real: &Path, meta: &std::fs::Metadata, called: &str) -> Identified {
    let same_name = which(called).and_then(|path| KnownProgram::at(called, &path));
    let candidates: Vec<&KnownProgram> = same_name.iter().chain(known_programs().iter()).collect();
    let mut matched: Vec<&KnownProgram> = candidates
        .iter()
        .copied()
        .filter(|k| k.dev == meta.dev() && k.ino == meta.ino())
        .collect();
    let mut hash = None;
    if matched.is_empty() {
        // Only a program of exactly the same size can be a copy; only those are read
        // and compared, byte for byte.
        matched = candidates
            .iter()
            .copied()
            .filter(|k| k.size == meta.len() && same_content(real, &k.path))
            .collect();
        // What is unknown is bound by its content, so that an approval covers it; past
        // the size worth hashing per call, by where it is and when it last changed.
        if matched.is_empty() {
            hash = Some(match file_hash(real) {
                Some(h) => content_hash_of(&h),
                None => format!(
                    "file:{}:{}:{}:{}.{}",
                    meta.dev(),
                    meta.ino(),
                    meta.len(),
                    meta.mtime(),
                    meta.mtime_nsec()
                ),
            });
        }
    }
    let program = match matched.as_slice() {
        [] => Program::Unknown,
        [first, rest @ ..] => {
            let multi_call = rest
                .iter()
                .any(|k| k.name != first.name && k.dev == first.dev && k.ino == first.ino);
            if multi_call || matched.iter().any(|k| k.name == called) {
                Program::Known(called.to_owned())
            } else {
                Program::Known(first.name.clone())
            }
        }
    };
    Identified { program, hash }
}

/// A SHA-256 as the digest's content hashes are written.
fn content_hash_of(hash: &[u8; 32]) -> String {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Where `name` is found on this process's `PATH`: the first executable file.
fn which(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// A thread that may analyse actions: its stack holds the deepest nesting the analysers
/// accept (`holdpoint_core::ANALYSIS_STACK`). Every thread that calls [`analyse_here`] is
/// made here or by a runtime built with the same stack size.
pub(crate) fn analysis_thread(name: &str) -> std::thread::Builder {
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(holdpoint_core::ANALYSIS_STACK)
}

/// Analyses an action on this machine, reading the scripts it runs, and adds their
/// content hashes to the action so that its digest covers them.
pub(crate) fn analyse_here(action: &mut Action, ctx: &AnalysisContext) -> Analysis {
    let files = LocalFiles::default();
    let analysis = analyse(action, ctx, &files);
    action.executed_content.extend(files.take_hashes());
    analysis
}

/// The target an action has when nothing names one: `shell:local@production`.
pub(crate) fn default_target(surface: Surface, environment: Environment) -> String {
    format!("{surface}:local@{environment}")
}

/// The analysis context for actions run in `cwd` by the current user.
pub(crate) fn analysis_context(cwd: &str) -> AnalysisContext {
    analysis_context_in(cwd, &holdpoint_home())
}

/// The real path of this executable, found once a process: the server and the gateway
/// make a context for every action.
fn own_program() -> &'static Option<String> {
    static PROGRAM: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PROGRAM.get_or_init(|| {
        std::env::current_exe()
            .and_then(std::fs::canonicalize)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    })
}

/// [`analysis_context`] with holdpoint's home given.
pub(crate) fn analysis_context_in(cwd: &str, holdpoint_home: &Path) -> AnalysisContext {
    let mut ctx = AnalysisContext::new(cwd);
    ctx.home = std::env::var("HOME").ok().filter(|h| !h.is_empty());
    ctx.holdpoint_home = Some(holdpoint_home.to_string_lossy().into_owned());
    ctx.holdpoint_program = own_program().clone();
    if let Ok(tmp) = std::env::var("TMPDIR")
        && !tmp.is_empty()
        && tmp != "/"
    {
        ctx.temp_dirs.push(tmp.trim_end_matches('/').to_owned());
    }
    if let Some(path) = std::env::var_os("PATH") {
        ctx.path = std::env::split_paths(&path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.to_string_lossy().into_owned())
            .collect();
    }
    ctx
}

/// `$HOLDPOINT_HOME`, or `~/.holdpoint`.
pub(crate) fn holdpoint_home() -> PathBuf {
    match std::env::var_os("HOLDPOINT_HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".holdpoint"),
    }
}

/// The current directory as a string, for analysis.
pub(crate) fn current_dir() -> Result<String, Failure> {
    let dir = std::env::current_dir()
        .map_err(|e| Failure::internal(format!("cannot read the current directory: {e}")))?;
    Ok(dir.to_string_lossy().into_owned())
}

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The policy directory in force: `--policies`, else `$HOLDPOINT_POLICIES`, else
/// `$HOLDPOINT_HOME/policies` when it exists. `None` means the built-in pack alone.
pub(crate) fn policy_dir(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = flag {
        return Some(dir.to_owned());
    }
    if let Some(dir) = std::env::var_os("HOLDPOINT_POLICIES").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let default = holdpoint_home().join("policies");
    default.is_dir().then_some(default)
}

/// The `.cedar` files of a policy directory, in name order.
pub(crate) fn read_policy_dir(dir: &Path) -> Result<Vec<PolicySource>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::usage(format!(
            "cannot read the policy directory `{}`: {e}",
            dir.display()
        ))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Failure::usage(format!(
            "the policy directory `{}` has no `.cedar` files; add policies or leave it out to use the built-in pack",
            dir.display()
        )));
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))?;
            Ok(PolicySource {
                name: path.display().to_string(),
                text,
            })
        })
        .collect()
}

/// The policy sources in force: the files of the policy directory, if any.
pub(crate) fn policy_sources(flag: Option<&Path>) -> Result<Vec<PolicySource>, Failure> {
    match policy_dir(flag) {
        Some(dir) => read_policy_dir(&dir),
        None => Ok(Vec::new()),
    }
}

/// Loads the policies of one directory (the built-in pack where it does not exist), as
/// the long-running processes do with their home's. An invalid policy is an error.
pub(crate) fn policy_engine_in(dir: &Path) -> Result<PolicyEngine, Failure> {
    let sources = if dir.is_dir() {
        read_policy_dir(dir)?
    } else {
        Vec::new()
    };
    PolicyEngine::load(&sources).map_err(invalid_policy)
}

/// Loads the policies in force. An invalid policy stops everything: holdpoint never
/// decides with policies it could not check.
pub(crate) fn policy_engine(flag: Option<&Path>) -> Result<PolicyEngine, Failure> {
    PolicyEngine::load(&policy_sources(flag)?).map_err(invalid_policy)
}

pub(crate) fn invalid_policy(e: holdpoint_policy::PolicyError) -> Failure {
    Failure::usage(format!(
        "{e}\nfix the policy, or check it with `holdpoint policy validate`"
    ))
}
