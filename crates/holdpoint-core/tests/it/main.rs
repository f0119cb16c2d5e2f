//! Integration tests of the analysers against the project's corpus and fixed cases.

mod corpus;
mod fuzz;
mod shell;
mod sql;
