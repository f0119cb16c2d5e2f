//! The entry point of analysis and what it needs to know about the world.

use crate::action::{Action, Surface};
use crate::effect::{Analysis, Effect, Risk};
use crate::{file, mcp, shell, sql};

/// Facts about the machine the action would run on, supplied by the caller so that
/// analysis stays pure.
#[derive(Clone, Debug)]
pub struct AnalysisContext {
    /// The directory the action runs in.
    pub cwd: String,
    /// The agent's workspace (its project), when the agent names it; otherwise `cwd`.
    /// Writes below it are workspace work, wherever the action runs.
    pub workspace: Option<String>,
    /// The home directory of the user the action runs as, used to expand `~` and `$HOME`.
    pub home: Option<String>,
    /// Where holdpoint keeps its configuration, policies, store and keys.
    pub holdpoint_home: Option<String>,
    /// Directories whose contents are scratch space (`/tmp`, `/var/tmp`, `$TMPDIR`).
    pub temp_dirs: Vec<String>,
    /// The directories of `$PATH`, in order: where a program named without a path is
    /// found. A program made on the same command line in one of them can stand in for
    /// the program of that name.
    pub path: Vec<String>,
    /// holdpoint's own PostgreSQL proxies listening on this machine's loopback, which
    /// decide each statement sent through them: the SQL of a `psql` line that reaches
    /// only one of them is left to it (`shell::gate`).
    pub gates: Vec<Gate>,
    /// The real path of holdpoint's own executable: an MCP server the agent launches as
    /// `holdpoint mcp …` is holdpoint's gateway, which decides each call itself.
    pub holdpoint_program: Option<String>,
}

/// One of holdpoint's own proxies, listening on this machine's loopback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// The port it listens on.
    pub port: u16,
    /// The addresses, as a client names them (`127.0.0.1`, `::1`), at which nothing but
    /// the proxy can be listening on that port.
    pub hosts: Vec<String>,
    /// How a person knows it: `holdpoint pg on 127.0.0.1:6432`.
    pub name: String,
}

impl AnalysisContext {
    /// The workspace: where writes are the agent's own work.
    pub fn workspace(&self) -> &str {
        self.workspace.as_deref().unwrap_or(&self.cwd)
    }
    /// A context for the given working directory with the usual temporary directories
    /// and no home directory.
    pub fn new(cwd: impl Into<String>) -> Self {
        AnalysisContext {
            cwd: cwd.into(),
            workspace: None,
            home: None,
            holdpoint_home: None,
            temp_dirs: vec![
                "/tmp".to_owned(),
                "/var/tmp".to_owned(),
                "/dev/shm".to_owned(),
            ],
            path: Vec::new(),
            gates: Vec::new(),
            holdpoint_program: None,
        }
    }
}

/// Read access to files an action would execute (a script given to `bash`, a `.sql` file
/// given to `psql -f`), supplied by the caller. Analysis never opens files itself.
pub trait Files {
    /// The text of the file at `path` (absolute, or relative to the action's working
    /// directory), or `None` when it does not exist or cannot be read.
    fn read(&self, path: &str) -> Option<String>;

    /// Where `path` (absolute) really lies once existing symbolic links are followed, or
    /// `None` when that cannot be known. The default knows nothing.
    fn real_path(&self, _path: &str) -> Option<String> {
        None
    }

    /// What the program file at `path` (absolute) is, judged by its content, not its
    /// name; `None` when there is no such file or it cannot be told. The default knows
    /// nothing.
    fn program(&self, _path: &str) -> Option<Program> {
        None
    }

    /// The names in the directory `path` (absolute), for expanding a glob against what
    /// is there; `None` when it is not a directory that can be listed in full. The
    /// default knows nothing.
    fn entries(&self, _path: &str) -> Option<Vec<String>> {
        None
    }

    /// Where a program named without a path is found on the `PATH` (what `command -v`
    /// prints), or `None`. The default knows nothing.
    fn which(&self, _name: &str) -> Option<String> {
        None
    }
}

/// What a program file is, judged by its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Program {
    /// Its content is that of the program holdpoint knows by this name (a copy of or a
    /// link to `rm`, `bash` or holdpoint itself), wherever it lies and whatever it is
    /// called.
    Known(String),
    /// Text: a script, analysed by what it says (through [`Files::read`]).
    Script,
    /// A program holdpoint does not know: nothing about it can be assumed.
    Unknown,
}

/// A [`Files`] that can read nothing: every script is opaque.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&self, _path: &str) -> Option<String> {
        None
    }
}

/// Works out what an action would do.
pub fn analyse(action: &Action, ctx: &AnalysisContext, files: &dyn Files) -> Analysis {
    match action.surface {
        Surface::Shell => shell::analyse(&action.input, ctx, files),
        Surface::Sql => sql::analyse(&action.input, sql::Dialect::Postgres),
        Surface::File => file::analyse(&action.input, ctx, files),
        Surface::Mcp => mcp::analyse(&action.input, ctx, files),
        Surface::Http => Analysis {
            effects: vec![Effect::opaque(
                action.surface.as_str(),
                Risk::Change,
                format!("{} calls are not analysed yet", action.surface),
            )],
            unanalysable: None,
            shown: None,
        },
    }
}
