//! The pure core of holdpoint: the action model and the analysers that work out what a
//! proposed shell command, SQL statement, file edit or MCP call would really do.
//!
//! Nothing here performs I/O or reads the clock. Whatever the analysers need from the
//! outside world (the working directory, the home directory, the text of a script the
//! command runs) comes in through [`AnalysisContext`] and the [`Files`] trait, so that the
//! same input always gives the same answer.

mod action;
mod analysis;
mod effect;
mod file;
pub mod mcp;
mod nesting;
mod pattern;
pub mod recovery;
pub mod shell;
pub mod sql;
pub mod sql_settings;
pub mod sql_shape;

pub use action::{
    Action, ActionDigest, Environment, ParseEnvironmentError, ParseSurfaceError, Surface,
    content_hash,
};
pub use analysis::{AnalysisContext, Files, Gate, NoFiles, Program, analyse};
pub use effect::{Analysis, Effect, ObjectKind, ParseRiskError, Risk, Scope, Verb};
pub use mcp::{McpCall, McpServer, McpServerInfo, lowest_risk};
pub use nesting::{ANALYSIS_STACK, MAX_OPENERS, openers};
pub use pattern::glob_match;
