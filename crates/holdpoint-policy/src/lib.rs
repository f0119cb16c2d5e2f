//! The decision: Cedar policies, grants and freezes applied to an analysed action.
//!
//! Like the analysers, this crate does no I/O: policy text comes in as strings, the
//! clock comes in as a number, and the answer is a [`Decision`] value. The Cedar schema
//! and the default policy pack are compiled in.

mod decision;
mod engine;
mod guard;
mod memo;
mod scope;

pub use decision::{Decision, Outcome, Permitted};
pub use engine::{DecisionRequest, Determining, Judged, PolicyEngine, PolicyError, PolicySource};
pub use memo::Memo;
pub use scope::{Freeze, Grant};

/// The Cedar schema every policy is validated against.
pub const SCHEMA: &str = include_str!("pack/schema.cedarschema");

/// The default policy pack, used when no policy directory replaces it.
pub const DEFAULT_POLICIES: &str = include_str!("pack/default.cedar");

/// The file name under which the default pack is written for editing. A policy
/// directory that has a file of this name replaces the built-in pack with it.
pub const DEFAULT_POLICY_FILE: &str = "default.cedar";
