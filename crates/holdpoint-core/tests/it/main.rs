//! Integration tests of the analysers against the project's corpus and fixed cases.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test stops at the first unexpected value, and says where"
)]

mod budget;
mod corpus;
mod fuzz;
mod mcp;
mod options;
mod ratchet;
mod shell;
mod sql;
