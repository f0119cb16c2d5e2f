//! The differential check of `holdpoint pg` against PostgreSQL: statements full of
//! quotes, escapes, dollar quotes, comments, multibyte characters and invalid bytes, each
//! hiding a change somewhere, are sent through the proxy, and the database is compared
//! before and after each one from a connection of its own.
//!
//! Shared by the test (`pg_differential.rs`) and the fuzz target (`crates/holdpoint/fuzz`,
//! which includes this file by path), so it uses only the standard library, `bytes` and
//! `holdpoint-pgwire`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::{Buf as _, BufMut as _, BytesMut};
use holdpoint_pgwire::Frame;

/// The names a run's statements use: the database, a role of the run's own (global
/// objects are changed only through it, and a role a statement makes is named after it),
/// and a directory where a statement that wrote a file on the server would leave it.
#[derive(Debug, Clone)]
pub struct Names {
    pub database: String,
    pub role: String,
    pub marker: String,
}

impl Names {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{db}", &self.database)
            .replace("{role}", &self.role)
            .replace("{marker}", &self.marker)
    }
}

// ----- the database ---------------------------------------------------------------

/// The tables, rows and audit the run starts from (run directly, as the superuser).
///
/// The event trigger records every DDL command and every object dropped into
/// `hp_audit.ddl`, a schema no statement of the run names. It is not what the check
/// relies on: the proxy connects upstream as a superuser, so a statement could turn it
/// off (`session_replication_role`, `ALTER EVENT TRIGGER`) or erase what it wrote; the
/// fingerprint below is computed from outside and would show either. The audit says, in
/// a failure message, what the statement did.
pub fn setup_sql(names: &Names) -> String {
    names.fill(
        r#"
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users (id) ON DELETE CASCADE, total numeric NOT NULL);
CREATE TABLE notes (body text);
INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 20) g;
INSERT INTO orders (user_id, total) SELECT 1 + g % 20, g * 1.5 FROM generate_series(1, 40) g;
INSERT INTO notes VALUES ('it''s'), (E'back\\slash'), ('$$dollar$$'), ('日本語 é'), (NULL);
CREATE SCHEMA hp_audit;
CREATE TABLE hp_audit.ddl (id bigserial PRIMARY KEY, event text, tag text, objects text);
CREATE FUNCTION hp_audit.record() RETURNS event_trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_EVENT = 'sql_drop' THEN
    INSERT INTO hp_audit.ddl (event, tag, objects)
      SELECT TG_EVENT, TG_TAG, string_agg(object_type || ' ' || coalesce(object_identity, '?'), ', ')
      FROM pg_event_trigger_dropped_objects();
  ELSE
    INSERT INTO hp_audit.ddl (event, tag, objects)
      SELECT TG_EVENT, TG_TAG, string_agg(object_type || ' ' || coalesce(object_identity, '?'), ', ')
      FROM pg_event_trigger_ddl_commands();
  END IF;
END
$f$;
CREATE EVENT TRIGGER hp_audit_ddl ON ddl_command_end EXECUTE FUNCTION hp_audit.record();
CREATE EVENT TRIGGER hp_audit_drop ON sql_drop EXECUTE FUNCTION hp_audit.record();
"#,
    )
}

/// Puts back what the run's statements may change outside the database (which is made
/// again from scratch): the run's role and a role a statement may create.
pub fn reset_globals_sql(names: &Names) -> String {
    names.fill(
        "DROP ROLE IF EXISTS {role}_made; DROP ROLE IF EXISTS {role}; CREATE ROLE {role} NOLOGIN",
    )
}

/// The catalogs of a database: what any DDL, grant, comment or large object changes.
const CATALOGS: &[&str] = &[
    "pg_aggregate",
    "pg_am",
    "pg_amop",
    "pg_amproc",
    "pg_attrdef",
    "pg_attribute",
    "pg_cast",
    "pg_class",
    "pg_collation",
    "pg_constraint",
    "pg_conversion",
    "pg_default_acl",
    "pg_depend",
    "pg_description",
    "pg_enum",
    "pg_event_trigger",
    "pg_extension",
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_foreign_table",
    "pg_index",
    "pg_inherits",
    "pg_init_privs",
    "pg_language",
    "pg_largeobject",
    "pg_largeobject_metadata",
    "pg_namespace",
    "pg_opclass",
    "pg_operator",
    "pg_opfamily",
    "pg_partitioned_table",
    "pg_policy",
    "pg_proc",
    "pg_publication",
    "pg_publication_rel",
    "pg_range",
    "pg_rewrite",
    "pg_seclabel",
    "pg_sequence",
    "pg_statistic_ext",
    "pg_transform",
    "pg_trigger",
    "pg_ts_config",
    "pg_ts_config_map",
    "pg_ts_dict",
    "pg_ts_parser",
    "pg_ts_template",
    "pg_type",
    "pg_user_mapping",
];

/// What the fingerprint reads, as one query of several statements; each row is a part
/// and its digest. Sent as text each time (never a stored function, which a statement
/// could replace).
///
/// Rows are read by version: every insert, update or delete of a row gives it a new
/// `xmin` (or removes it), while what `ANALYZE` and autovacuum write into the catalogs
/// is written in place and leaves `xmin` as it was. So a catalog's row count and highest
/// `xmin` change exactly when a statement changed it, and each table's rows are hashed
/// with their `ctid` and `xmin` (a row rewritten with the same values shows).
pub fn fingerprint_sql(names: &Names) -> String {
    let mut sql = String::new();
    for table in [
        "public.users",
        "public.orders",
        "public.notes",
        "hp_audit.ddl",
    ] {
        let _ = writeln!(
            sql,
            "SELECT 'rows of {table}', count(*) || ' ' || coalesce(md5(string_agg(ctid::text || xmin::text || t::text, ',' ORDER BY ctid)), '') FROM {table} t;"
        );
    }
    // Sequences move outside transactions; the audit's own is left out, as the event
    // trigger advances it even in a transaction that is rolled back.
    sql.push_str(
        "SELECT 'sequences', string_agg(s::text, ',') FROM (SELECT last_value, is_called FROM public.users_id_seq UNION ALL SELECT last_value, is_called FROM public.orders_id_seq) s;\n",
    );
    let catalogs: Vec<String> = CATALOGS
        .iter()
        .map(|catalog| {
            format!(
                "SELECT '{catalog}', count(*) || ' ' || coalesce(max(xmin::text::bigint), 0) FROM pg_catalog.{catalog}"
            )
        })
        .collect();
    sql.push_str(&catalogs.join("\nUNION ALL "));
    sql.push_str(";\n");
    // Shared by every database of the server, where other tests (and other runs) make and
    // drop their own databases, roles and settings (`hp_…`): those are left out, the
    // run's own are in.
    let roles = "rolname IN ('{role}', '{role}_made') OR rolname NOT LIKE 'hp\\_%'";
    let shared: [(&str, &str); 6] = [
        (
            "roles",
            &format!("SELECT oid, xmin, rolname FROM pg_authid WHERE {roles}"),
        ),
        (
            "role and database settings",
            &format!(
                "SELECT setdatabase, setrole, xmin FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = '{{db}}') OR setdatabase = 0 AND (setrole = 0 OR setrole IN (SELECT oid FROM pg_authid WHERE {roles}))"
            ),
        ),
        (
            "databases",
            "SELECT oid, xmin, datname FROM pg_database WHERE datname = '{db}' OR datname NOT LIKE 'hp\\_%'",
        ),
        (
            "memberships",
            &format!(
                "SELECT roleid, member, xmin FROM pg_auth_members WHERE member IN (SELECT oid FROM pg_authid WHERE {roles})"
            ),
        ),
        (
            "server",
            "SELECT (SELECT count(*) FROM pg_tablespace), (SELECT count(*) FROM pg_replication_slots), (SELECT count(*) FROM pg_subscription), (SELECT count(*) FROM pg_prepared_xacts), (SELECT count(*) FROM pg_shdescription)",
        ),
        // ALTER SYSTEM writes this file and nothing else.
        (
            "server configuration",
            "SELECT (pg_stat_file('postgresql.auto.conf')).modification",
        ),
    ];
    for (part, select) in shared {
        let _ = writeln!(
            sql,
            "SELECT '{part}', count(*) || ' ' || coalesce(md5(string_agg(c::text, ',' ORDER BY c::text)), '') FROM ({}) c;",
            names.fill(select)
        );
    }
    sql
}

/// A fingerprint: each part of the database and its digest, or why it could not be read
/// (a statement dropped a table it reads).
pub type Fingerprint = Result<BTreeMap<String, String>, String>;

/// A row of a result, in text; `None` for NULL.
pub type Row = Vec<Option<String>>;

/// A plain connection to the server, as the superuser, for setting up and fingerprints.
pub struct Direct {
    socket: TcpStream,
    buf: BytesMut,
}

impl Direct {
    pub fn connect(address: &str, database: &str) -> Result<Self, String> {
        let mut socket = TcpStream::connect(address).map_err(|e| format!("{address}: {e}"))?;
        socket
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        socket
            .write_all(&holdpoint_pgwire::startup_message(&[
                ("user", "postgres"),
                ("database", database),
            ]))
            .map_err(|e| e.to_string())?;
        let mut direct = Direct {
            socket,
            buf: BytesMut::new(),
        };
        let (_, errors, _) = direct.until_ready()?;
        match errors.first() {
            Some(error) => Err(format!("connecting to {database}: {error}")),
            None => Ok(direct),
        }
    }

    /// Runs `sql` (one or several statements); the rows, or the first error.
    pub fn query(&mut self, sql: &str) -> Result<Vec<Row>, String> {
        let mut out = BytesMut::new();
        holdpoint_pgwire::query_message(sql).encode(&mut out);
        self.socket.write_all(&out).map_err(|e| e.to_string())?;
        let (rows, errors, _) = self.until_ready()?;
        match errors.into_iter().next() {
            Some(error) => Err(error),
            None => Ok(rows),
        }
    }

    pub fn fingerprint(&mut self, sql: &str) -> Fingerprint {
        let rows = self.query(sql)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut row = row.into_iter();
                let part = row.next().flatten().unwrap_or_default();
                let digest = row.next().flatten().unwrap_or_default();
                (part, digest)
            })
            .collect())
    }

    /// Reads to ready-for-query: the rows, the errors and the transaction status.
    fn until_ready(&mut self) -> Result<(Vec<Row>, Vec<String>, u8), String> {
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        loop {
            let Some(frame) = next_frame(&mut self.socket, &mut self.buf)? else {
                return Err("the server closed the connection".to_owned());
            };
            match frame.tag {
                b'D' => rows.push(data_row(&frame)),
                b'E' => errors.push(error_text(&frame)),
                b'Z' => return Ok((rows, errors, ready(&frame))),
                _ => {}
            }
        }
    }
}

fn data_row(frame: &Frame) -> Row {
    let mut body = frame.body.clone();
    let mut row = Vec::new();
    if body.remaining() < 2 {
        return row;
    }
    let columns = body.get_i16();
    for _ in 0..columns {
        if body.remaining() < 4 {
            break;
        }
        let length = body.get_i32();
        match usize::try_from(length) {
            Ok(length) if length <= body.remaining() => {
                row.push(Some(
                    String::from_utf8_lossy(&body.split_to(length)).into_owned(),
                ));
            }
            _ => row.push(None),
        }
    }
    row
}

fn error_text(frame: &Frame) -> String {
    match holdpoint_pgwire::fields(frame) {
        Ok(fields) => format!(
            "{} {}",
            fields.get(b'C').unwrap_or("?????"),
            fields.get(b'M').unwrap_or("")
        ),
        Err(e) => format!("an error that does not read: {e}"),
    }
}

fn ready(frame: &Frame) -> u8 {
    holdpoint_pgwire::ready_status(frame).unwrap_or(b'?')
}

/// The next message from `socket`; `None` when the other side closed.
fn next_frame(socket: &mut TcpStream, buf: &mut BytesMut) -> Result<Option<Frame>, String> {
    loop {
        if let Some(frame) =
            holdpoint_pgwire::parse_frame(buf, 1 << 26).map_err(|e| e.to_string())?
        {
            return Ok(Some(frame));
        }
        let mut chunk = [0u8; 16384];
        match socket.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
            // A socket with a read timeout is not restarted after the process was
            // stopped and continued: read again.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("no reply: {e}")),
        }
    }
}

// ----- through the proxy ------------------------------------------------------------

/// How a statement is sent: as a simple query, or prepared, bound and run (one
/// statement only, as the server allows there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Simple,
    Extended,
}

/// What came back for one statement.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// holdpoint refused it (SQLSTATE 42501, a message of holdpoint's): it never
    /// reached the server.
    pub refused: bool,
    /// The server's errors (and holdpoint's refusals), `SQLSTATE message`.
    pub errors: Vec<String>,
    pub tags: Vec<String>,
    /// The transaction status at ready-for-query (`I`, `T`, `E`); `None` when the proxy
    /// closed the connection first.
    pub status: Option<u8>,
}

impl Reply {
    /// Whether holdpoint forwarded the statement: it answered, and not with a refusal.
    /// (In production with `--no-wait` only what policy allows as `read` is forwarded.)
    pub fn forwarded(&self) -> bool {
        !self.refused && self.status.is_some()
    }

    /// What holdpoint did with the statement, in words.
    pub fn verdict(&self) -> &'static str {
        match (self.refused, self.status) {
            (true, _) => "holdpoint refused this statement, yet the database changed after it",
            (false, Some(_)) => "holdpoint forwarded this statement (allowed as read)",
            (false, None) => "the proxy ended the connection without refusing this statement",
        }
    }
}

/// The frames that send `statement`, byte for byte (no check that it is UTF-8 or free of
/// NUL bytes: that is the point).
pub fn frames(statement: &[u8], protocol: Protocol) -> BytesMut {
    let mut out = BytesMut::new();
    match protocol {
        Protocol::Simple => {
            let mut body = statement.to_vec();
            body.push(0);
            Frame::new(b'Q', body).encode(&mut out);
        }
        Protocol::Extended => {
            let mut parse = vec![0u8];
            parse.extend_from_slice(statement);
            parse.extend_from_slice(&[0, 0, 0]);
            Frame::new(b'P', parse).encode(&mut out);
            // Unnamed portal and statement, no parameters, text results.
            Frame::new(b'B', vec![0u8, 0, 0, 0, 0, 0, 0, 0]).encode(&mut out);
            let mut execute = vec![0u8];
            execute.put_i32(0);
            Frame::new(b'E', execute).encode(&mut out);
            Frame::new(b'S', Vec::new()).encode(&mut out);
        }
    }
    out
}

/// Sends `statement` on an agent's connection through the proxy and reads the replies to
/// ready-for-query. A `COPY … FROM STDIN` the server starts is failed at once.
pub fn send(socket: &mut TcpStream, statement: &[u8], protocol: Protocol) -> Result<Reply, String> {
    socket
        .write_all(&frames(statement, protocol))
        .map_err(|e| format!("sending: {e}"))?;
    let mut buf = BytesMut::new();
    let mut reply = Reply::default();
    loop {
        let Some(frame) = next_frame(socket, &mut buf)? else {
            return Ok(reply);
        };
        match frame.tag {
            b'E' => {
                let text = error_text(&frame);
                if text.starts_with("42501 holdpoint") {
                    reply.refused = true;
                }
                reply.errors.push(text);
            }
            b'C' => reply
                .tags
                .push(holdpoint_pgwire::command_tag(&frame).unwrap_or_default()),
            b'G' => {
                let mut out = BytesMut::new();
                Frame::new(b'f', b"no data\0".to_vec()).encode(&mut out);
                socket
                    .write_all(&out)
                    .map_err(|e| format!("failing COPY: {e}"))?;
            }
            b'Z' => {
                reply.status = Some(ready(&frame));
                return Ok(reply);
            }
            _ => {}
        }
    }
}

// ----- the statements -------------------------------------------------------------

/// A small deterministic generator, so that a run can be replayed from its seed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // xorshift64*, never at zero.
        self.0 |= 1;
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // below(len) is less than len, and no list here is empty.
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Harmless reads, also ones that quote, escape and comment.
pub const READS: &[&str] = &[
    "SELECT * FROM users",
    "SELECT count(*) FROM orders WHERE total > 10",
    "SELECT email FROM users WHERE id = 2",
    "TABLE notes",
    "VALUES (1, 'a')",
    "SHOW search_path",
    "EXPLAIN SELECT * FROM orders",
    "SELECT u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id",
    "SELECT 'it''s', E'tab\\there', $$dollar$$, $q$tagged$q$, U&'\\0041', \"id\" FROM \"users\"",
    "SELECT 'é日本😀'",
    "SELECT 1 /* a /* nested */ comment */",
    "SELECT 1 -- a comment",
    "SELECT current_setting('standard_conforming_strings')",
    "SELECT body FROM notes WHERE body LIKE '%\\%%'",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SELECT E'\\x41\\101\\u0041'",
    "SELECT $a$ $b$ $a$",
    "SELECT 1 AS a$b, 2 AS \"we\"\"ird\"",
];

/// Changes: what a misread would let run. `{role}`, `{db}` and `{marker}` are filled in.
pub const PAYLOADS: &[&str] = &[
    "DROP TABLE users CASCADE",
    "DROP TABLE IF EXISTS notes",
    "DELETE FROM orders",
    "DELETE FROM users WHERE id = 3",
    "UPDATE users SET email = 'smuggled'",
    "UPDATE orders SET total = 0 WHERE id < 5",
    "INSERT INTO notes (body) VALUES ('smuggled')",
    "TRUNCATE notes",
    "ALTER TABLE users ADD COLUMN smuggled int",
    "ALTER TABLE notes RENAME TO smuggled",
    "CREATE TABLE smuggled (a int)",
    "CREATE TEMP TABLE smuggled_temp (a int)",
    "CREATE FUNCTION smuggled() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE INDEX smuggled_ix ON users (email)",
    "CREATE SCHEMA smuggled",
    "CREATE ROLE {role}_made",
    "ALTER ROLE {role} SET work_mem = '1MB'",
    "ALTER ROLE {role} CONNECTION LIMIT 3",
    "ALTER DATABASE {db} SET work_mem = '1MB'",
    "GRANT SELECT ON users TO {role}",
    "COMMENT ON TABLE users IS 'smuggled'",
    "SELECT setval('users_id_seq', 999)",
    "SELECT nextval('orders_id_seq')",
    "SELECT lo_create(4242)",
    "COPY (SELECT 1) TO PROGRAM 'touch {marker}/program'",
    "COPY notes TO '{marker}/file'",
    "WITH gone AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM gone",
    "DO $d$ BEGIN DELETE FROM orders; END $d$",
    "ALTER EVENT TRIGGER hp_audit_ddl DISABLE",
    "INSERT INTO notes SELECT body FROM notes",
];

/// Changes made by an expression, for hiding inside one statement (the extended protocol
/// takes only one).
pub const EXPRESSIONS: &[&str] = &[
    "setval('users_id_seq', 999)",
    "nextval('orders_id_seq')",
    "lo_create(4243)",
    "lo_from_bytea(4244, 'x')",
    "pg_catalog.setval('orders_id_seq', 77)",
];

/// Statements PostgreSQL runs without changing anything that holdpoint's parser may not
/// take, so that analysis falls back to other readings of the same bytes.
pub const UNPARSED: &[&str] = &[
    "SELECT * FROM ROWS FROM (generate_series(1, 2))",
    "SELECT * FROM users FOR KEY SHARE",
    "SELECT 1 FROM users FOR NO KEY UPDATE SKIP LOCKED",
    "SELECT XMLELEMENT(NAME a)",
    "TABLE users ORDER BY id",
    "SELECT 1 BETWEEN SYMMETRIC 2 AND 0",
    // Taken by the parser, for the other readings to be tried less often.
    "LISTEN hp_channel",
    "SELECT 1 OPERATOR(pg_catalog.+) 1",
    "SELECT 'a' COLLATE \"C\"",
    "SELECT B'101', X'1F'",
    "SELECT ARRAY[1, 2][1]",
    "SELECT 1 WHERE 1 = ANY ('{1}')",
];

/// Shapes that make the same bytes read differently to different lexers. `{P}` is a
/// change, `{X}` a changing expression, `{R}` a read, `{U}` a statement holdpoint's
/// parser may not take. Every shape has a change in it.
pub const SHAPES: &[&str] = &[
    "{P}",
    "{R}; {P}",
    "SELECT 'a\\' ; {P}; {U}; SELECT ' , ' -- '",
    "SELECT 'a\\' , ' ; {P}; -- '",
    "SELECT E'a\\\\' ; {P}; -- '",
    "SELECT E'a\\'' ; {P}; -- '",
    "SELECT N'a\\' ; {P}; {U}; SELECT ' , ' -- '",
    "SELECT e'\\\\\\' ; {P}; -- '",
    "SELECT U&'a\\' ; {P}; -- '",
    "SELECT U&'\\0027' ; {P}; -- '",
    "SELECT U&'d\\0061t\\+000061' UESCAPE '\\' ; {P}",
    "SELECT ';{P}' , $$ $$ ;{P}",
    "SELECT $$ ' $$ ; {P}; -- '",
    "SELECT $t$ $$ $t$ ; {P}; -- $$",
    "SELECT $a$ $b$ ; {P}; $b$ $a$",
    "SELECT 1 AS a$b$ ; {P}; SELECT 1 AS c$b$",
    "SELECT $1$ ; {P}; $1$",
    "SELECT $é$ ; {P}; $é$",
    "SELECT e$a$ ; {P}; $a$",
    "SELECT 1 /*/ ; {P}; /*/ */",
    "SELECT 1 /* /* */ ; {P}; -- */ */",
    "SELECT 1 /* */ ; {P}; /* */",
    "SELECT 1 -- \n; {P}",
    "SELECT 1 --\r; {P}",
    "SELECT 1 #-1; {P}; {U}",
    "SELECT 1 # '; {P}; {U}; -- '",
    "SELECT \"a\"\";{P};--\" FROM users",
    "SELECT 1 AS `a`; {P}; {U}; SELECT 1 AS `b`",
    "SELECT 1 AS [a; {P}; {U}; SELECT 1 AS ]",
    "SELECT 'x' /* ' ; {P}; {U}; -- */",
    "{R} /* {P} */ ; {U}",
    "SELECT '{P}'",
    "SELECT $${P}$$",
    "{R} -- ; {P}",
    "SELECT 'a\\' , {X}, ' -- '",
    "SELECT N'a\\' , {X} , ' -- '",
    "SELECT 'a\\' , {X} FROM ROWS FROM (now()) -- '",
    "SELECT E'\\\\' , {X}",
    "SELECT $$ $$ , {X} -- $$",
    "SELECT 1 /* /* */ , {X} -- */ */",
    "SELECT {X}",
    "{R}; {P}; COMMIT; {U}; SELECT 'a\\' , ' -- '",
    "PREPARE p AS {P}; EXECUTE p",
    "EXPLAIN {P}",
    "EXPLAIN (ANALYZE false) {P}",
    "EXPLAIN (ANALYZE 0) {P}",
    "EXPLAIN (ANALYZE 'on') {P}",
    "BEGIN; {P}; ROLLBACK",
    "BEGIN; {P}; ROLLBACK; {P}",
    "BEGIN; {P}; COMMIT; ROLLBACK",
    "BEGIN; {P}; END",
    "BEGIN; {P}; ABORT",
    "BEGIN; SAVEPOINT s; {P}; ROLLBACK TO s; COMMIT",
    "BEGIN; {P}; ROLLBACK AND CHAIN; {P}; COMMIT",
    "START TRANSACTION; {P}; ROLLBACK /* ; COMMIT */",
    "BEGIN; {P}; ROLLBACK -- \n; COMMIT",
    "BEGIN; {P}; /* ROLLBACK */ COMMIT",
    "BEGIN; {P}; {U}; ROLLBACK",
    "SELECT 'a\\' ; BEGIN; {P}; COMMIT; SELECT ' ; ROLLBACK -- '",
];

/// Pieces that mutations insert: quotes, escapes, dollar quotes, comments, separators,
/// whitespace PostgreSQL does and does not take, multibyte characters, NUL and bytes that
/// are not UTF-8.
pub const PIECES: &[&[u8]] = &[
    b"'",
    b"''",
    b"\"",
    b"\\",
    b"\\'",
    b"E'",
    b"e'",
    b"N'",
    b"U&'",
    b"U&\"",
    b"B'",
    b"X'",
    b"$$",
    b"$t$",
    b"$a$",
    b"$1",
    b"$",
    b"/*",
    b"*/",
    b"--",
    b"-- ",
    b"#",
    b"`",
    b"[",
    b"]",
    b";",
    b"\n",
    b"\r",
    b"\t",
    b"\x0b",
    b"\x0c",
    b"\0",
    " UESCAPE '!'".as_bytes(),
    b"!",
    b"::",
    b"COMMIT;",
    b"BEGIN;",
    b"ROLLBACK;",
    "é".as_bytes(),
    "日".as_bytes(),
    "😀".as_bytes(),
    "\u{a0}".as_bytes(),
    "\u{2028}".as_bytes(),
    "\u{3000}".as_bytes(),
    "\u{feff}".as_bytes(),
    "\u{200b}".as_bytes(),
    "ʼ".as_bytes(),
    "＇".as_bytes(),
    b"\x81\\",
    b"\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe0\x80",
    b"\xa4\\",
];

/// What mutations put in place of a space: whitespace PostgreSQL takes, a vertical tab
/// (which 15 does not) and Unicode spaces (which it does not either), and comments.
const WHITESPACE: &[&[u8]] = &[
    b"\t",
    b"\n",
    b"\r",
    b"\x0b",
    b"\x0c",
    "\u{a0}".as_bytes(),
    "\u{2028}".as_bytes(),
    "\u{3000}".as_bytes(),
    b"/**/",
    b"--\n",
];

/// What joins two statements into one text.
const JOINTS: &[&[u8]] = &[b";", b" ", b"\n", b"; -- \n"];

/// Words of which one must be in a statement for it to be worth sending: a mutation that
/// cut the change out leaves nothing to smuggle.
const CHANGE_WORDS: &[&str] = &[
    "DROP",
    "DELETE",
    "UPDATE",
    "INSERT",
    "ALTER",
    "CREATE",
    "TRUNCATE",
    "COPY",
    "setval",
    "nextval",
    "lo_create",
    "lo_from",
    "COMMENT",
    "GRANT",
];

/// Builds statements from the shapes, each with a change in it, mutated 0 to 4 times.
pub struct Generator {
    pub rng: Rng,
    names: Names,
}

impl Generator {
    pub fn new(seed: u64, names: Names) -> Self {
        Generator {
            rng: Rng(seed),
            names,
        }
    }

    /// A shape with its holes filled, before mutation.
    pub fn instance(&mut self) -> Vec<u8> {
        let shape = *self.rng.pick(SHAPES);
        let mut text = String::new();
        let mut rest = shape;
        while let Some(at) = rest.find('{') {
            let (before, after) = rest.split_at(at);
            text.push_str(before);
            let hole = after.get(..3).unwrap_or("");
            let filling = match hole {
                "{P}" => *self.rng.pick(PAYLOADS),
                "{X}" => *self.rng.pick(EXPRESSIONS),
                "{R}" => *self.rng.pick(READS),
                "{U}" => *self.rng.pick(UNPARSED),
                _ => {
                    text.push('{');
                    rest = after.get(1..).unwrap_or("");
                    continue;
                }
            };
            text.push_str(filling);
            rest = after.get(3..).unwrap_or("");
        }
        text.push_str(rest);
        self.names.fill(&text).into_bytes()
    }

    /// The next statement and the protocol to send it with.
    pub fn statement(&mut self) -> (Vec<u8>, Protocol) {
        loop {
            let mut bytes = self.instance();
            let edits = self.rng.below(5);
            for _ in 0..edits {
                self.mutate(&mut bytes);
            }
            let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
            if CHANGE_WORDS
                .iter()
                .any(|word| text.contains(&word.to_ascii_lowercase()))
            {
                let protocol = if self.rng.chance(50) {
                    Protocol::Simple
                } else {
                    Protocol::Extended
                };
                return (bytes, protocol);
            }
        }
    }

    /// A place in `bytes`, mostly where a UTF-8 character starts.
    fn place(&mut self, bytes: &[u8]) -> usize {
        let at = self.rng.below(bytes.len() + 1);
        if self.rng.chance(90) {
            let mut at = at;
            while bytes.get(at).is_some_and(|b| (b & 0xC0) == 0x80) {
                at += 1;
            }
            at
        } else {
            at
        }
    }

    /// One random edit.
    pub fn mutate(&mut self, bytes: &mut Vec<u8>) {
        match self.rng.below(8) {
            // Insert a piece, several times as often as anything else.
            0..=2 => {
                let piece = *self.rng.pick(PIECES);
                let at = self.place(bytes);
                bytes.splice(at..at, piece.iter().copied());
            }
            // Cut a short span.
            3 => {
                let from = self.place(bytes);
                let to = (from + 1 + self.rng.below(4)).min(bytes.len());
                if from < to {
                    bytes.drain(from..to);
                }
            }
            // Repeat a span.
            4 => {
                let from = self.place(bytes);
                let to = (from + 1 + self.rng.below(12)).min(bytes.len());
                let span: Vec<u8> = bytes.get(from..to).unwrap_or_default().to_vec();
                let at = self.place(bytes);
                bytes.splice(at..at, span);
            }
            // Another kind of whitespace in place of a space.
            5 => {
                let spaces: Vec<usize> = bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b' ')
                    .map(|(at, _)| at)
                    .collect();
                if !spaces.is_empty() {
                    let at = *self.rng.pick(&spaces);
                    let other = *self.rng.pick(WHITESPACE);
                    bytes.splice(at..at + 1, other.iter().copied());
                }
            }
            // Change the case of a span.
            6 => {
                let from = self.place(bytes);
                let to = (from + 1 + self.rng.below(8)).min(bytes.len());
                for b in bytes.get_mut(from..to).unwrap_or_default() {
                    if b.is_ascii_lowercase() {
                        b.make_ascii_uppercase();
                    } else {
                        b.make_ascii_lowercase();
                    }
                }
            }
            // Join another statement on.
            _ => {
                let other = self.instance();
                let joint = *self.rng.pick(JOINTS);
                bytes.extend_from_slice(joint);
                bytes.extend(other);
            }
        }
    }
}

// ----- the check --------------------------------------------------------------------

/// A statement as sent, and what came back.
#[derive(Debug, Clone)]
pub struct Sent {
    pub statement: Vec<u8>,
    pub protocol: Protocol,
    pub reply: Reply,
}

impl std::fmt::Display for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} ({:?} protocol): {}",
            self.reply.verdict(),
            self.protocol,
            shown(&self.statement)
        )?;
        writeln!(f, "  bytes: {:02x?}", self.statement)?;
        writeln!(
            f,
            "  reply: tags {:?}, errors {:?}, status {:?}",
            self.reply.tags,
            self.reply.errors,
            self.reply.status.map(char::from)
        )
    }
}

/// The database was not as before after the last of `sent`. Statements holdpoint refused
/// are compared in groups, so the ones before it were refused since the last comparison:
/// they never reached the server, unless holdpoint is wrong about that too.
#[derive(Debug, Clone)]
pub struct Finding {
    pub sent: Vec<Sent>,
    /// Each part that changed, with its digest before and after.
    pub changed: Vec<String>,
    /// What the event trigger recorded.
    pub audit: Vec<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some((last, before)) = self.sent.split_last() else {
            return Ok(());
        };
        write!(f, "{last}")?;
        if !before.is_empty() {
            writeln!(
                f,
                "  (also sent since the last comparison, and refused: {})",
                before
                    .iter()
                    .map(|sent| shown(&sent.statement))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        for change in &self.changed {
            writeln!(f, "  changed: {change}")?;
        }
        for line in &self.audit {
            writeln!(f, "  event trigger: {line}")?;
        }
        Ok(())
    }
}

/// `bytes` as a Rust byte string literal: every byte that is not printable ASCII
/// escaped, so that the exact statement can be pasted back.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::from("b\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// What differs between two fingerprints.
pub fn differences(before: &Fingerprint, after: &Fingerprint) -> Vec<String> {
    match (before, after) {
        (Ok(before), Ok(after)) => {
            let mut parts: Vec<&String> = before.keys().chain(after.keys()).collect();
            parts.sort();
            parts.dedup();
            parts
                .into_iter()
                .filter_map(|part| {
                    let (was, is) = (before.get(part), after.get(part));
                    (was != is).then(|| {
                        format!(
                            "{part}: {} -> {}",
                            was.map_or("-", String::as_str),
                            is.map_or("-", String::as_str)
                        )
                    })
                })
                .collect()
        }
        (Ok(_), Err(error)) => vec![format!("the database cannot be read as before: {error}")],
        (Err(error), _) => vec![format!("the fingerprint before failed: {error}")],
    }
}

/// Whether the directory where a statement would write a server file holds one.
pub fn files_written(names: &Names) -> Vec<String> {
    std::fs::read_dir(&names.marker)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| format!("the server wrote {}", e.path().display()))
                .collect()
        })
        .unwrap_or_default()
}

/// The server the run's database lives on.
pub const SERVER: &str = "127.0.0.1:5432";

/// Makes the run's database (again) from nothing, with its role, tables and audit, and an
/// empty directory for files the server might write.
pub fn make_database(names: &Names) -> Result<(), String> {
    let mut admin = Direct::connect(SERVER, "postgres")?;
    admin.query(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        names.database
    ))?;
    admin.query(&format!("CREATE DATABASE {}", names.database))?;
    admin.query(&reset_globals_sql(names))?;
    Direct::connect(SERVER, &names.database)?.query(&setup_sql(names))?;
    marker_directory(names)
}

/// An empty directory the server (another user) may write into.
pub fn marker_directory(names: &Names) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::remove_dir_all(&names.marker);
    std::fs::create_dir_all(&names.marker).map_err(|e| format!("{}: {e}", names.marker))?;
    std::fs::set_permissions(&names.marker, std::fs::Permissions::from_mode(0o777))
        .map_err(|e| format!("{}: {e}", names.marker))
}

/// Removes what a run left outside its database (the database itself is its owner's).
pub fn clean_up(names: &Names) {
    if let Ok(mut admin) = Direct::connect(SERVER, "postgres") {
        let _ = admin.query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            names.database
        ));
        let _ =
            admin.query(&names.fill("DROP ROLE IF EXISTS {role}_made; DROP ROLE IF EXISTS {role}"));
    }
    let _ = std::fs::remove_dir_all(&names.marker);
}

/// Removes what a run left outside its database when it ends, however it ends.
pub struct Cleanup(pub Names);

impl Drop for Cleanup {
    fn drop(&mut self) {
        clean_up(&self.0);
    }
}

/// Sends statements through the proxy one at a time and compares the database before and
/// after each.
pub struct Checker<C: FnMut() -> TcpStream> {
    pub names: Names,
    connect: C,
    agent: Option<TcpStream>,
    on_connection: usize,
    direct: Direct,
    fingerprint_sql: String,
    baseline: Fingerprint,
    /// Statements sent, and of them forwarded.
    pub sent: usize,
    pub forwarded: usize,
    /// `COMMIT`s sent after a statement that left a transaction open.
    pub commits: usize,
    /// Time spent waiting for the proxy, and reading fingerprints, and how many were
    /// read.
    pub proxy_time: Duration,
    pub fingerprint_time: Duration,
    pub fingerprints: usize,
    /// Statements sent since the database was last compared.
    unchecked: Vec<Sent>,
}

/// A new agent connection after this many statements, so that what a statement did to
/// its session (settings, prepared names, cursors) does not pile up.
const STATEMENTS_PER_CONNECTION: usize = 250;

/// Statements holdpoint refused (so that the server never saw them) compared together.
const REFUSED_CHECKED_TOGETHER: usize = 25;

impl<C: FnMut() -> TcpStream> Checker<C> {
    /// A checker for the database `names` say, made with `make_database`; `connect` opens
    /// an agent's connection through the proxy, past start-up.
    pub fn new(names: Names, connect: C) -> Result<Self, String> {
        let mut direct = Direct::connect(SERVER, &names.database)?;
        let fingerprint_sql = fingerprint_sql(&names);
        let baseline = direct.fingerprint(&fingerprint_sql);
        baseline
            .as_ref()
            .map_err(|e| format!("the fingerprint: {e}"))?;
        Ok(Checker {
            names,
            connect,
            agent: None,
            on_connection: 0,
            direct,
            fingerprint_sql,
            baseline,
            sent: 0,
            forwarded: 0,
            commits: 0,
            proxy_time: Duration::ZERO,
            fingerprint_time: Duration::ZERO,
            fingerprints: 0,
            unchecked: Vec::new(),
        })
    }

    /// Sends `statement`; a `Finding` when the database changed after it.
    pub fn check(
        &mut self,
        statement: &[u8],
        protocol: Protocol,
    ) -> Result<Option<Finding>, String> {
        if self.on_connection >= STATEMENTS_PER_CONNECTION {
            self.agent = None;
        }
        let agent = match &mut self.agent {
            Some(agent) => agent,
            None => {
                self.on_connection = 0;
                self.agent.insert((self.connect)())
            }
        };
        self.on_connection += 1;
        self.sent += 1;
        let started = Instant::now();
        let reply = send(agent, statement, protocol)?;
        if reply.forwarded() {
            self.forwarded += 1;
        }
        match reply.status {
            // The proxy ended the connection.
            None => self.agent = None,
            // Make whatever the statement did in a transaction it left open permanent, so
            // that it shows (a failed one is rolled back).
            Some(b'T' | b'E') => {
                self.commits += 1;
                let after = send(agent, b"COMMIT", Protocol::Simple)?;
                if after.status.is_none() {
                    self.agent = None;
                }
            }
            Some(_) => {}
        }
        self.proxy_time += started.elapsed();
        // What holdpoint refused never reached the server: such statements are checked
        // together, every so often, to show that none of them ran; everything else at
        // once.
        let refused = reply.refused;
        self.unchecked.push(Sent {
            statement: statement.to_vec(),
            protocol,
            reply,
        });
        if refused && self.unchecked.len() < REFUSED_CHECKED_TOGETHER {
            return Ok(None);
        }
        self.finish()
    }

    /// Checks the statements sent since the last check.
    pub fn finish(&mut self) -> Result<Option<Finding>, String> {
        let sent = std::mem::take(&mut self.unchecked);
        if sent.is_empty() {
            return Ok(None);
        }
        let started = Instant::now();
        let now = self.direct.fingerprint(&self.fingerprint_sql);
        self.fingerprint_time += started.elapsed();
        self.fingerprints += 1;
        let mut changed = differences(&self.baseline, &now);
        changed.extend(files_written(&self.names));
        if changed.is_empty() {
            return Ok(None);
        }
        let audit = self
            .direct
            .query("SELECT id, event, tag, objects FROM hp_audit.ddl ORDER BY id")
            .unwrap_or_default()
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| v.unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        Ok(Some(Finding {
            sent,
            changed,
            audit,
        }))
    }

    /// After a finding: the database made again and a new baseline.
    pub fn reset(&mut self) -> Result<(), String> {
        self.agent = None;
        self.unchecked.clear();
        make_database(&self.names)?;
        self.direct = Direct::connect(SERVER, &self.names.database)?;
        self.baseline = self.direct.fingerprint(&self.fingerprint_sql);
        self.baseline
            .as_ref()
            .map_err(|e| format!("the fingerprint: {e}"))?;
        Ok(())
    }
}
