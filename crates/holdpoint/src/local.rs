//! The local machine as the analysers and the policy engine need it: the working and home
//! directories, readable scripts, the clock and the policy directory.

use std::cell::RefCell;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use holdpoint_core::{
    Action, Analysis, AnalysisContext, Environment, Files, Surface, analyse, content_hash,
};
use holdpoint_policy::{PolicyEngine, PolicySource};

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

/// [`analysis_context`] with holdpoint's home given.
pub(crate) fn analysis_context_in(cwd: &str, holdpoint_home: &Path) -> AnalysisContext {
    let mut ctx = AnalysisContext::new(cwd);
    ctx.home = std::env::var("HOME").ok().filter(|h| !h.is_empty());
    ctx.holdpoint_home = Some(holdpoint_home.to_string_lossy().into_owned());
    if let Ok(tmp) = std::env::var("TMPDIR")
        && !tmp.is_empty()
        && tmp != "/"
    {
        ctx.temp_dirs.push(tmp.trim_end_matches('/').to_owned());
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
