//! SQL analysis on fixed cases: one line each, the SQL and the class expected.

use holdpoint_core::Scope;
use holdpoint_core::sql::{Dialect, analyse};

#[track_caller]
fn check(sql: &str, expected: &str) {
    let analysis = analyse(sql, Dialect::Postgres);
    assert_eq!(
        analysis.risk().to_string(),
        expected,
        "{sql}: {analysis:#?}"
    );
}

#[test]
fn reads() {
    check("SELECT * FROM users WHERE id = 1", "read");
    check("SELECT 'DROP TABLE users'", "read");
    check("SELECT * FROM \"delete\"", "read");
    check("-- DROP TABLE users\nSELECT 1", "read");
    check("/* TRUNCATE users */ SELECT count(*) FROM orders", "read");
    check("EXPLAIN DELETE FROM users", "read");
    check("SHOW search_path", "read");
    check("BEGIN; SELECT 1; COMMIT;", "read");
    check("SELECT pg_size_pretty(pg_database_size('app'))", "read");
    check("TABLE users", "read");
}

#[test]
fn changes() {
    check("INSERT INTO users (email) VALUES ('a@b.c')", "change");
    check("UPDATE users SET name = 'x' WHERE id = 5", "change");
    check("DELETE FROM users WHERE id = 5", "change");
    check("CREATE INDEX idx ON users (email)", "change");
    check("ALTER TABLE users ADD COLUMN age int", "change");
    check("GRANT SELECT ON users TO analyst", "change");
    check("COPY users FROM '/tmp/users.csv'", "change");
    check("SELECT nextval('users_id_seq')", "change");
    check("SELECT my_function(1)", "change");
    check("EXECUTE stmt", "change");
}

#[test]
fn destroys() {
    check("DROP TABLE users", "destroy");
    check("DrOp/**/TABLE users", "destroy");
    check("TRUNCATE users", "destroy");
    check("DELETE FROM users", "destroy");
    check("DELETE FROM users WHERE 1=1", "destroy");
    check("DELETE FROM users WHERE true", "destroy");
    check("DELETE FROM users WHERE 'a' = 'a' OR id = 3", "destroy");
    check("DELETE FROM users WHERE id = id", "destroy");
    check("UPDATE users SET email = NULL", "destroy");
    check("ALTER TABLE users DROP COLUMN email", "destroy");
    check("SELECT 1; DROP TABLE users", "destroy");
    check(
        "WITH d AS (DELETE FROM users RETURNING *) SELECT count(*) FROM d",
        "destroy",
    );
    check("EXPLAIN ANALYZE DELETE FROM users", "destroy");
    check(
        "EXPLAIN (ANALYZE, BUFFERS) UPDATE accounts SET balance = 0",
        "destroy",
    );
    check("PREPARE p AS DELETE FROM users; EXECUTE p", "destroy");
    check(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
        "destroy",
    );
    check("SELECT pg_drop_replication_slot('s')", "destroy");
    check("DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$", "destroy");
    check("DROP SCHEMA public CASCADE", "destroy");
    // A rule that makes later writes do nothing loses everything they write.
    check(
        "CREATE RULE mute AS ON INSERT TO audit_log DO INSTEAD NOTHING",
        "destroy",
    );
    check(
        "CREATE RULE log AS ON INSERT TO orders DO ALSO INSERT INTO order_log VALUES (NEW.id)",
        "change",
    );
    // Deletes turned into nothing keep what they would have deleted.
    check(
        "CREATE RULE keep AS ON DELETE TO orders DO INSTEAD NOTHING",
        "change",
    );
}

#[test]
fn unparseable_sql_is_never_read() {
    let garbage = analyse("SELEC * FRM users", Dialect::Postgres);
    assert!(
        garbage.unanalysable.is_some() && garbage.risk() >= holdpoint_core::Risk::Change,
        "{garbage:?}"
    );
    check("DO $$ BEGIN RAISE NOTICE 'hi'; END $$", "change");
    assert!(analyse("DO $$ BEGIN RAISE NOTICE 'hi'; END $$", Dialect::Postgres).opaque());
    assert!(
        analyse("ALTER SYSTEM SET work_mem = '64MB'", Dialect::Postgres).risk()
            >= holdpoint_core::Risk::Change
    );
}

#[test]
fn sql_the_postgresql_grammar_does_not_take_is_read_with_postgresql_tokens() {
    // Regression: where sqlparser's PostgreSQL grammar failed (`CHECKPOINT`, `DO`, `ROWS
    // FROM`), the text was read in MySQL's dialect, whose `\'`, `#` and `--` past a
    // carriage return hid from analysis what PostgreSQL runs; `holdpoint pg` forwarded
    // these as reads and the table was dropped (found by the proxy's differential test).
    for sql in [
        "SELECT'\\';DROP TABLE notes;CHECKPOINT--'",
        "SELECT N'\\';DROP TABLE notes;CHECKPOINT--'",
        "SELECT 1#1;DROP TABLE notes;CHECKPOINT",
        "SELECT 1--\r;DROP TABLE notes;CHECKPOINT",
        "SELECT E'\\'';DO $$BEGIN DROP TABLE notes;END$$--'",
    ] {
        check(sql, "destroy");
    }
    check(
        "SELECT'\\',lo_create(4242)FROM ROWS FROM(now())--'",
        "change",
    );
    // The price: what only another dialect's grammar took is now read from its tokens,
    // and is not `read` there, however harmless.
    check("SELECT * FROM users FOR KEY SHARE", "change");
}

#[test]
fn whole_table_scope_is_reported() {
    let analysis = analyse("DELETE FROM users", Dialect::Postgres);
    let effect = analysis.effects.first().unwrap();
    assert_eq!(effect.scope, Scope::All);
    assert!(
        effect.summary.contains("every row of table `users`"),
        "{}",
        effect.summary
    );
}

#[test]
fn a_table_merged_or_upserted_into_itself_is_overwritten_whole() {
    check(
        "MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN UPDATE SET email = NULL",
        "destroy",
    );
    check(
        "MERGE INTO users u USING (SELECT * FROM users) s ON u.id = s.id WHEN MATCHED THEN DELETE",
        "destroy",
    );
    check(
        "INSERT INTO users SELECT * FROM users ON CONFLICT (id) DO UPDATE SET email = NULL",
        "destroy",
    );
    // A WHERE that is always true narrows nothing.
    check(
        "MERGE INTO users u USING (SELECT * FROM users WHERE 1 = 1) s ON u.id = s.id WHEN MATCHED THEN UPDATE SET email = NULL",
        "destroy",
    );
    check(
        "INSERT INTO users SELECT * FROM users WHERE true ON CONFLICT (id) DO UPDATE SET email = NULL",
        "destroy",
    );
    // A source of its own, a condition, or rows picked out: the rows it names.
    check(
        "MERGE INTO users u USING staging s ON u.id = s.id WHEN MATCHED THEN UPDATE SET email = s.email",
        "change",
    );
    check(
        "MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED AND u.id = 4 THEN UPDATE SET email = NULL",
        "change",
    );
    check(
        "INSERT INTO users SELECT * FROM users WHERE id = 4 ON CONFLICT (id) DO UPDATE SET email = NULL",
        "change",
    );
    check(
        "INSERT INTO users SELECT * FROM users ON CONFLICT (id) DO NOTHING",
        "change",
    );
    check(
        "INSERT INTO users (id, email) VALUES (1, 'a@b.c') ON CONFLICT (id) DO UPDATE SET email = excluded.email",
        "change",
    );
}

#[test]
fn rows_created_before_now_are_every_row() {
    check(
        "DELETE FROM orders WHERE created_at < now() + interval '100 years'",
        "destroy",
    );
    check(
        "DELETE FROM orders WHERE created_at <= CURRENT_TIMESTAMP",
        "destroy",
    );
    check("DELETE FROM orders WHERE now() > created_at", "destroy");
    // The rows older than a time in the past, or rows whose time may be in the future.
    check(
        "DELETE FROM orders WHERE created_at < now() - interval '90 days'",
        "change",
    );
    check("DELETE FROM sessions WHERE expires_at < now()", "change");
}

#[test]
fn untrusted_procedural_code_is_read_as_the_server_would_run_it() {
    // plperlu, plpython3u and plsh run with the database server's own rights: their
    // code is analysed as its interpreter's, on the server.
    check(
        "DO LANGUAGE plperlu $$ unlink '/srv/data/orders.csv' $$",
        "destroy",
    );
    check(
        "CREATE FUNCTION wipe() RETURNS void AS $$ import shutil; shutil.rmtree('/srv/data') $$ LANGUAGE plpython3u",
        "destroy",
    );
    check(
        "CREATE FUNCTION f() RETURNS text AS $$\n#!/bin/sh\nrm -rf /srv/data\n$$ LANGUAGE plsh",
        "destroy",
    );
    // Code that only computes is still code run on the server.
    check(
        "CREATE FUNCTION add(a int, b int) RETURNS int AS $$ return a + b $$ LANGUAGE plpython3u",
        "change",
    );
    // A trusted language cannot reach the server's files; the word as data is data.
    check("SELECT 'LANGUAGE plperlu'", "read");
}
