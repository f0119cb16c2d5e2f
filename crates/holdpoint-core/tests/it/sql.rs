//! SQL analysis on fixed cases.

use holdpoint_core::sql::{Dialect, analyse};

#[test]
fn debug_print() {
    for s in ["TABLE users;", "PRAGMA table_info(users);", "EXPLAIN (ANALYZE, BUFFERS) UPDATE accounts SET balance = 0;"] {
        eprintln!("{s}: {:#?}", analyse(s, Dialect::Postgres));
        eprintln!("{:?}", sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect{}, s));
    }
}
