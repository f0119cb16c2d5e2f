//! The SQL `holdpoint pg` sends with an allowed destroy to keep a recovery point in the
//! same transaction, and the walk that counts a held statement's blast radius.
//!
//! A statement destroys more than its own table when foreign keys cascade: a `DELETE`
//! takes the rows that reference the deleted ones `ON DELETE CASCADE` and overwrites
//! those that reference them `ON DELETE SET NULL` or `SET DEFAULT`; an `UPDATE` of a
//! referenced key does the same through `ON UPDATE`; `TRUNCATE … CASCADE` empties every
//! table that references the table, whatever the action; `DROP … CASCADE` drops the
//! foreign keys that point at the table and the views built on it. Which rows that is
//! depends on the data at the moment the statement runs, so the database finds them in
//! the same transaction, just before the statement: a PL/pgSQL walk from the table's
//! `regclass` along `pg_constraint`, one foreign key and one level at a time, carrying
//! the `ctid`s of the rows each step reaches (locked `FOR UPDATE`, after the table
//! itself is locked against other writers, so they are still the rows the statement
//! reaches). Each step's rows are copied into `holdpoint_recovery` as one part of the
//! point, noted in `holdpoint_recovery.parts` in the order `holdpoint restore` puts
//! them back: parents before children. The blast radius runs the same walk in a
//! read-only transaction, keeping nothing, and reads what it found from a setting.
//!
//! Where holdpoint cannot keep what the statement destroys (a cascade through a
//! partitioned or inherited table, one deeper than [`DEPTH`] foreign keys or longer than
//! [`STEPS`] steps, overwritten rows with no primary key to put them back by, objects a
//! `DROP … CASCADE` removes that are neither views nor foreign keys), the walk raises
//! SQLSTATE 42501 and the statement does not run: never without a complete recovery point.

use holdpoint_core::recovery::{Loss, Recoverable};
use serde::Deserialize;

use crate::log_cmd::counted;

/// A string as a SQL literal.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The schema and tables that hold recovery points, made when missing. A point is a row
/// of `points` and the table kept under its name; a part is one more thing the same
/// statement destroyed (rows of another table, a view, a foreign key), kept under the
/// point's name and the part's number.
// INVARIANT: `SETUP_STATEMENTS` is the number of statements here (their replies are
// hidden from the client).
pub(crate) const RECOVERY_SETUP: &str = "CREATE SCHEMA IF NOT EXISTS holdpoint_recovery; \
     CREATE TABLE IF NOT EXISTS holdpoint_recovery.points (id text PRIMARY KEY, schema_name text NOT NULL, table_name text NOT NULL, loss text NOT NULL, kept_at timestamptz NOT NULL DEFAULT now()); \
     CREATE TABLE IF NOT EXISTS holdpoint_recovery.parts (point text NOT NULL, n int NOT NULL, kind text NOT NULL, schema_name text NOT NULL, table_name text NOT NULL, kept_as text, via text, columns text, rows bigint, name text, definition text, search_path text, PRIMARY KEY (point, n));";

/// How many statements `RECOVERY_SETUP` holds.
pub(crate) const SETUP_STATEMENTS: usize = 3;

/// The most foreign keys deep holdpoint follows a cascade.
pub(crate) const DEPTH: u32 = 32;

/// The most steps (a foreign key followed from the rows one step reached) in one walk.
pub(crate) const STEPS: u32 = 256;

/// The PL/pgSQL variables of holdpoint's blocks. `hp_t` is the statement's table; the
/// block reports `hp_k` (rows of it kept), `hp_n` (rows the statement changed), `hp_d`
/// (rows of other tables kept) and `hp_m` (parts kept). The walk's steps are parallel
/// arrays, step 1 being the statement's own table: the table (`hp_rel`), the foreign key
/// followed to it (`hp_con`), what happens to
/// the rows (`hp_how`: `delete`, `update` or `truncate`), the columns changed (`hp_cols`,
/// as text of an `int2[]`), depth, the action's words (`hp_via`, `hp_columns`), and the
/// step's rows as a slice of `hp_tids` (`hp_first`, `hp_count`), or their number
/// (`hp_rows`). Every name starts with `hp_`, so none is taken for a column.
pub(crate) const DECLARE: &str = "hp_t regclass; hp_k bigint := 0; hp_n bigint := 0; hp_d bigint := 0; hp_m int := 0; \
     hp_rel oid[] := '{}'; hp_con oid[] := '{}'; hp_how text[] := '{}'; hp_cols text[] := '{}'; hp_depth int[] := '{}'; \
     hp_via text[] := '{}'; hp_columns text[] := '{}'; hp_first int[] := '{}'; hp_count int[] := '{}'; \
     hp_rows bigint[] := '{}'; hp_tids tid[] := '{}'; hp_found tid[]; hp_seen tid[]; \
     hp_j int; hp_i int; hp_r bigint; hp_c record; hp_h text; hp_set int2[]; hp_pk int2[]; hp_fk text; hp_key text;";

/// What a walk is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Just before the statement, in its transaction: lock what it reaches and stop it
    /// where holdpoint could not keep what it destroys.
    Keep,
    /// For the approver of a statement that will keep a recovery point: count, and say
    /// where `Keep` would stop it.
    Foresee,
    /// For the approver of one that will not: count.
    Count,
}

impl Walk {
    /// Whether rows to be overwritten must have a primary key to be put back by.
    fn identifies(self) -> bool {
        self != Walk::Count
    }
}

/// The PL/pgSQL that raises holdpoint's refusal (`Walk::Keep`) or the reason a walk
/// stops: SQLSTATE 42501 with `reason`, a `format()` string whose arguments are `args`.
fn refuse(walk: Walk, reason: &str, args: &str) -> String {
    let prefix = if walk == Walk::Keep {
        "holdpoint refused this statement: "
    } else {
        ""
    };
    let message = literal(&format!("{prefix}{reason}"));
    let args = if args.is_empty() {
        String::new()
    } else {
        format!(", {args}")
    };
    format!("RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format({message}{args});")
}

/// The statement that notes a recovery point of the table whose oid `oid` gives.
fn remember(kept_as: &str, loss: Loss, oid: &str) -> String {
    format!(
        "INSERT INTO holdpoint_recovery.points (id, schema_name, table_name, loss) \
         SELECT {kept}, n.nspname, c.relname, {loss} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = {oid};",
        kept = literal(kept_as),
        loss = literal(loss.as_str())
    )
}

/// The action (`pg_constraint.confdeltype` or `confupdtype`) foreign key `con` takes
/// when rows of the table it references are handled as `how` says with columns `cols`
/// changed; `a` (no action) when an `UPDATE` leaves the referenced columns alone.
fn action(how: &str, cols: &str) -> String {
    format!(
        "CASE WHEN {how} = 'delete' THEN con.confdeltype WHEN con.confkey && {cols} THEN con.confupdtype ELSE 'a' END"
    )
}

/// PL/pgSQL that stops the walk unless both tables are plain tables: the `ctid`s it
/// carries name rows of one table only, and a copy of a parent of an inheritance tree
/// would hold its children's rows too.
fn plain_tables(walk: Walk, child: &str, parent: &str) -> String {
    format!(
        "IF EXISTS (SELECT 1 FROM pg_class r WHERE r.oid IN ({child}, {parent}) AND (r.relkind <> 'r' OR r.relispartition)) \
            OR EXISTS (SELECT 1 FROM pg_inherits i WHERE {child} IN (i.inhrelid, i.inhparent) OR {parent} IN (i.inhrelid, i.inhparent)) THEN \
           {refuse} \
         END IF;",
        refuse = refuse(
            walk,
            "its cascade from `%s` to `%s` goes through a partitioned or inherited table, whose rows holdpoint cannot keep",
            &format!("{parent}::regclass, {child}::regclass"),
        ),
    )
}

/// PL/pgSQL that stops the walk past its budget.
fn within_budget(walk: Walk) -> String {
    format!(
        "IF hp_depth[hp_j] >= {DEPTH} OR cardinality(hp_rel) >= {STEPS} THEN {refuse} END IF;",
        refuse = refuse(
            walk,
            &format!(
                "its cascade goes more than {DEPTH} foreign keys deep or takes more than {STEPS} steps, more than holdpoint follows to keep a recovery point"
            ),
            "",
        ),
    )
}

/// PL/pgSQL that appends a step to the walk: the table `hp_c.conrelid` reached through
/// foreign key `con`; `rows` is its row count. Every value is cast, since
/// `array || NULL` would append nothing and the arrays must stay in step.
fn step(
    con: &str,
    how: &str,
    cols: &str,
    via: &str,
    columns: &str,
    found: &str,
    rows: &str,
) -> String {
    format!(
        "hp_rel := hp_rel || hp_c.conrelid; hp_con := hp_con || {con}::oid; hp_how := hp_how || ({how})::text; hp_cols := hp_cols || ({cols})::text; \
         hp_depth := hp_depth || (hp_depth[hp_j] + 1); hp_via := hp_via || ({via})::text; hp_columns := hp_columns || ({columns})::text; \
         hp_first := hp_first || (cardinality(hp_tids) + 1); hp_count := hp_count || coalesce(cardinality({found}), 0); \
         hp_rows := hp_rows || ({rows})::bigint; hp_tids := hp_tids || {found};"
    )
}

/// The rows of step `j` of the walk, as a slice of `hp_tids`.
fn rows_of(j: &str) -> String {
    format!("hp_tids[hp_first[{j}] : hp_first[{j}] + hp_count[{j}] - 1]")
}

/// PL/pgSQL that follows the foreign keys from the rows of step 1 (the statement's own
/// rows, deleted or updated), step after step, until no foreign key reaches a row not
/// reached before: a row deleted is not reached again, and a row overwritten not again
/// through the same foreign key (through another, it has other columns changed, which
/// the approver is told and which may cascade on). To keep them, the rows reached are
/// locked, and rows to be overwritten must have a primary key, not among the columns
/// changed, to be put back by. What cannot be kept stops the walk only where a foreign
/// key reaches rows.
fn follow_rows(walk: Walk) -> String {
    let lock = if walk == Walk::Keep {
        " FOR UPDATE"
    } else {
        ""
    };
    let identified = if walk.identifies() {
        format!(
            "IF hp_h = 'update' THEN \
               hp_pk := (SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = hp_c.conrelid AND i.indisprimary); \
               IF hp_pk IS NULL THEN {no_key} END IF; \
               IF hp_pk && hp_set THEN {key_changed} END IF; \
             END IF;",
            no_key = refuse(
                walk,
                "foreign key `%s` would overwrite rows of `%s`, which has no primary key to put them back by",
                "hp_c.conname, hp_c.conrelid::regclass",
            ),
            key_changed = refuse(
                walk,
                "foreign key `%s` would change the primary key of `%s`, so its rows could not be matched to put them back",
                "hp_c.conname, hp_c.conrelid::regclass",
            ),
        )
    } else {
        String::new()
    };
    format!(
        "hp_j := 1; \
         WHILE hp_j <= cardinality(hp_rel) LOOP \
           FOR hp_c IN SELECT con.oid, con.conname, con.conrelid, con.conkey, con.confkey, \
               {action} AS act, \
               ARRAY(SELECT jsonb_array_elements_text(coalesce(nullif(to_jsonb(con) -> 'confdelsetcols', 'null'), '[]')))::int2[] AS setcols \
             FROM pg_constraint con WHERE con.contype = 'f' AND con.confrelid = hp_rel[hp_j] ORDER BY con.conname, con.oid \
           LOOP \
             CONTINUE WHEN hp_c.act NOT IN ('c', 'n', 'd'); \
             hp_h := CASE WHEN hp_how[hp_j] = 'delete' AND hp_c.act = 'c' THEN 'delete' ELSE 'update' END; \
             hp_set := CASE WHEN hp_h = 'delete' THEN NULL \
                            WHEN hp_how[hp_j] = 'delete' AND cardinality(hp_c.setcols) > 0 THEN hp_c.setcols \
                            ELSE hp_c.conkey END; \
             SELECT string_agg(format('c.%I', a.attname), ', ' ORDER BY k.o) INTO hp_fk \
               FROM unnest(hp_c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = hp_c.conrelid AND a.attnum = k.n; \
             SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY k.o) INTO hp_key \
               FROM unnest(hp_c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = hp_rel[hp_j] AND a.attnum = k.n; \
             hp_seen := '{{}}'; \
             FOR hp_i IN 1 .. cardinality(hp_rel) LOOP \
               IF hp_rel[hp_i] = hp_c.conrelid AND (hp_how[hp_i] = 'delete' OR (hp_h = 'update' AND hp_con[hp_i] = hp_c.oid)) THEN \
                 hp_seen := hp_seen || {seen}; \
               END IF; \
             END LOOP; \
             EXECUTE format('SELECT array_agg(s.ctid) FROM (SELECT c.ctid FROM %s c WHERE (%s) IN (SELECT %s FROM %s p WHERE p.ctid = ANY($1)){lock}) s \
                 WHERE s.ctid NOT IN (SELECT unnest($2::tid[]))', \
                 hp_c.conrelid::regclass, hp_fk, hp_key, hp_rel[hp_j]::regclass) \
               INTO hp_found USING {rows}, hp_seen; \
             CONTINUE WHEN hp_found IS NULL; \
             {plain} \
             {budget} \
             {identified} \
             {step} \
           END LOOP; \
           hp_j := hp_j + 1; \
         END LOOP;",
        action = action("hp_how[hp_j]", "hp_cols[hp_j]::int2[]"),
        plain = plain_tables(walk, "hp_c.conrelid", "hp_rel[hp_j]"),
        budget = within_budget(walk),
        seen = rows_of("hp_i"),
        rows = rows_of("hp_j"),
        step = step(
            "hp_c.oid",
            "hp_h",
            "hp_set",
            "format('ON %s %s', CASE WHEN hp_how[hp_j] = 'delete' THEN 'DELETE' ELSE 'UPDATE' END, \
                 CASE hp_c.act WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END)",
            "(SELECT string_agg(a.attname, ', ' ORDER BY k.o) FROM unnest(hp_set) WITH ORDINALITY k(n, o) \
                 JOIN pg_attribute a ON a.attrelid = hp_c.conrelid AND a.attnum = k.n)",
            "hp_found",
            "cardinality(hp_found)",
        ),
    )
}

/// PL/pgSQL that follows `TRUNCATE … CASCADE` from step 1: every table with a foreign key
/// to a table emptied is emptied too, whatever the key's action. To keep them, each is
/// locked as `TRUNCATE` would lock it before it is copied; otherwise its rows are
/// counted.
fn follow_tables(walk: Walk) -> String {
    // Kept, a table's rows are counted as they are copied.
    let lock = if walk == Walk::Keep {
        "EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', hp_c.conrelid::regclass); hp_r := NULL;"
    } else {
        "EXECUTE format('SELECT count(*) FROM %s', hp_c.conrelid::regclass) INTO hp_r;"
    };
    format!(
        "hp_j := 1; \
         WHILE hp_j <= cardinality(hp_rel) LOOP \
           FOR hp_c IN SELECT DISTINCT con.conrelid FROM pg_constraint con \
             WHERE con.contype = 'f' AND con.confrelid = hp_rel[hp_j] AND con.conrelid <> ALL (hp_rel) ORDER BY con.conrelid \
           LOOP \
             {plain} \
             {budget} \
             {lock} \
             {step} \
           END LOOP; \
           hp_j := hp_j + 1; \
         END LOOP;",
        plain = plain_tables(walk, "hp_c.conrelid", "hp_rel[hp_j]"),
        budget = within_budget(walk),
        step = step(
            "NULL",
            "'truncate'",
            "NULL::int2[]",
            "'TRUNCATE … CASCADE'",
            "NULL",
            "'{}'::tid[]",
            "hp_r",
        ),
    )
}

/// PL/pgSQL that starts the walk at the statement's table (`hp_t`) and follows it:
/// for a `DELETE` or `UPDATE`, only when a foreign key acts on it, and then from the
/// `ctid`s of the rows the statement matches; for `TRUNCATE … CASCADE`, from the table.
/// Leaves `hp_rel` empty when nothing cascades. To keep them, the table is first
/// locked against other writers, so the rows found are the rows the statement reaches.
fn walk(plan: &Recoverable, walk: Walk) -> String {
    match plan.loss {
        Loss::Drop => String::new(),
        Loss::Truncate => {
            let lock = if walk == Walk::Keep {
                "EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', hp_t);"
            } else {
                ""
            };
            if !plan.cascade {
                return lock.to_owned();
            }
            format!(
                "{lock} \
                 hp_rel := ARRAY[hp_t::oid]; hp_con := ARRAY[NULL::oid]; hp_how := ARRAY['truncate']; hp_cols := ARRAY[NULL]; hp_depth := ARRAY[0]; \
                 hp_via := ARRAY[NULL]; hp_columns := ARRAY[NULL]; hp_first := ARRAY[1]; hp_count := ARRAY[0]; hp_rows := ARRAY[NULL::bigint]; \
                 {follow} \
                 IF cardinality(hp_rel) = 1 THEN hp_rel := '{{}}'; END IF;",
                follow = follow_tables(walk),
            )
        }
        Loss::Delete | Loss::Update => {
            let how = literal(plan.loss.as_str());
            let columns = match &plan.columns {
                Some(columns) if plan.loss == Loss::Update => format!(
                    " AND a.attname = ANY (ARRAY[{}]::text[])",
                    columns
                        .iter()
                        .map(|c| literal(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                // An UPDATE whose columns are not known is taken to set them all.
                _ => String::new(),
            };
            let lock = if walk == Walk::Keep {
                "EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', hp_t);"
            } else {
                ""
            };
            // The rows an UPDATE overwrites are put back by primary key.
            let identified = if walk.identifies() && plan.loss == Loss::Update {
                format!(
                    "hp_pk := (SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = hp_t AND i.indisprimary); \
                     IF hp_pk IS NULL THEN {no_key} END IF; \
                     IF hp_pk && hp_set THEN {key_changed} END IF;",
                    no_key = refuse(
                        walk,
                        "`%s` has no primary key, so the rows this UPDATE overwrites could not be matched to put them back",
                        "hp_t",
                    ),
                    key_changed = refuse(
                        walk,
                        "it sets the primary key of `%s`, so the rows it overwrites could not be matched to put them back",
                        "hp_t",
                    ),
                )
            } else {
                String::new()
            };
            let matched = match &plan.predicate {
                Some(predicate) => format!(" WHERE {predicate}"),
                None => String::new(),
            };
            let tids = literal(&format!(
                "SELECT array_agg(hp_s.ctid) FROM (SELECT ctid FROM {}{matched}) hp_s",
                plan.source
            ));
            format!(
                "{lock} \
                 hp_set := CASE WHEN {how} = 'update' THEN ARRAY(SELECT a.attnum FROM pg_attribute a \
                     WHERE a.attrelid = hp_t AND a.attnum > 0 AND NOT a.attisdropped{columns})::int2[] END; \
                 {identified} \
                 IF EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = hp_t AND r.relkind = 'v') \
                    AND EXISTS (SELECT 1 FROM pg_rewrite w JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid \
                      JOIN pg_constraint con ON con.contype = 'f' AND con.confrelid = d.refobjid AND d.refclassid = 'pg_class'::regclass \
                      WHERE w.ev_class = hp_t) THEN \
                   {through_view} \
                 END IF; \
                 IF EXISTS (SELECT 1 FROM pg_constraint con WHERE con.contype = 'f' AND con.confrelid = hp_t \
                     AND {action} IN ('c', 'n', 'd')) THEN \
                   EXECUTE {tids} INTO hp_tids; \
                   hp_tids := coalesce(hp_tids, '{{}}'); \
                   hp_rel := ARRAY[hp_t::oid]; hp_con := ARRAY[NULL::oid]; hp_how := ARRAY[{how}]; hp_cols := ARRAY[hp_set::text]; hp_depth := ARRAY[0]; \
                   hp_via := ARRAY[NULL]; hp_columns := ARRAY[NULL]; hp_first := ARRAY[1]; hp_count := ARRAY[cardinality(hp_tids)]; \
                   hp_rows := ARRAY[cardinality(hp_tids)::bigint]; \
                   {follow} \
                 END IF;",
                action = action(&how, "hp_set"),
                through_view = refuse(
                    walk,
                    "it changes rows through view `%s`, and holdpoint does not follow the foreign keys of the tables under a view; run it on the table itself",
                    "hp_t",
                ),
                follow = follow_rows(walk),
            )
        }
    }
}

/// PL/pgSQL that keeps what `plan`'s statement destroys, as `kept_as`, and notes the
/// point, before the statement runs; sets `hp_t` and the counts. For a `DROP TABLE` it
/// is the whole of what is done instead of the statement (see `move_table`).
pub(crate) fn keep(plan: &Recoverable, kept_as: &str) -> String {
    if plan.loss == Loss::Drop {
        return move_table(plan, kept_as);
    }
    let kept = literal(kept_as);
    let copy = match plan.loss {
        Loss::Truncate => literal(&format!(
            "CREATE TABLE holdpoint_recovery.{kept_as} AS SELECT * FROM {}",
            plan.source
        )),
        _ => literal(&format!(
            "CREATE TABLE holdpoint_recovery.{kept_as} AS {}",
            plan.affected_rows()
        )),
    };
    format!(
        "hp_t := {table}::regclass; \
         {walk} \
         {remember} \
         IF cardinality(hp_rel) > 0 AND {rows_walked} THEN \
           EXECUTE format('CREATE TABLE holdpoint_recovery.%I AS SELECT * FROM %s WHERE ctid = ANY($1)', {kept}, hp_t) USING {first}; \
         ELSE \
           EXECUTE {copy}; \
         END IF; \
         EXECUTE format('SELECT count(*) FROM holdpoint_recovery.%I', {kept}) INTO hp_k; \
         FOR hp_j IN 2 .. cardinality(hp_rel) LOOP \
           IF hp_how[hp_j] = 'truncate' THEN \
             hp_m := hp_m + 1; \
             EXECUTE format('CREATE TABLE holdpoint_recovery.%I AS SELECT * FROM %s', {kept} || '_' || hp_m, hp_rel[hp_j]::regclass); \
           ELSE \
             hp_found := {slice}; \
             IF hp_how[hp_j] = 'update' THEN \
               hp_seen := '{{}}'; \
               FOR hp_i IN 1 .. cardinality(hp_rel) LOOP \
                 IF hp_rel[hp_i] = hp_rel[hp_j] AND (hp_how[hp_i] = 'delete' OR (hp_how[hp_i] = 'update' AND hp_i < hp_j)) THEN \
                   hp_seen := hp_seen || {seen}; \
                 END IF; \
               END LOOP; \
               hp_found := ARRAY(SELECT unnest(hp_found) EXCEPT SELECT unnest(hp_seen)); \
             END IF; \
             CONTINUE WHEN cardinality(hp_found) = 0; \
             hp_m := hp_m + 1; \
             EXECUTE format('CREATE TABLE holdpoint_recovery.%I AS SELECT * FROM %s WHERE ctid = ANY($1)', {kept} || '_' || hp_m, hp_rel[hp_j]::regclass) \
               USING hp_found; \
           END IF; \
           GET DIAGNOSTICS hp_i = ROW_COUNT; \
           INSERT INTO holdpoint_recovery.parts (point, n, kind, schema_name, table_name, kept_as, via, columns, rows) \
             SELECT {kept}, hp_m, hp_how[hp_j], ns.nspname, r.relname, {kept} || '_' || hp_m, hp_via[hp_j], hp_columns[hp_j], hp_i \
             FROM pg_class r JOIN pg_namespace ns ON ns.oid = r.relnamespace WHERE r.oid = hp_rel[hp_j]; \
           hp_d := hp_d + hp_i; \
         END LOOP;",
        table = literal(&plan.table),
        walk = walk(plan, Walk::Keep),
        remember = remember(kept_as, plan.loss, "hp_t"),
        rows_walked = if plan.loss == Loss::Truncate {
            "false"
        } else {
            "true"
        },
        first = rows_of("1"),
        slice = rows_of("hp_j"),
        seen = rows_of("hp_i"),
    )
}

/// The objects `DROP TABLE t CASCADE` would drop with `t` (whose oid the SQL expression
/// `t` gives), beyond the table's own parts: `view` (views and materialized views built
/// on it, at any depth), `constraint` (other tables' foreign keys that point at it) and
/// `other` (anything else: functions, columns and rules that use it, policies, …). Each
/// row: `kind`, `oid`, `depth` (of a view), `description`.
fn dependents(t: &str) -> String {
    format!(
        "WITH RECURSIVE views (oid, depth) AS ( \
           SELECT w.ev_class, 1 FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class \
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = {t} \
               AND w.ev_class <> {t} AND v.relkind IN ('v', 'm') \
           UNION \
           SELECT w.ev_class, views.depth + 1 FROM views JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = views.oid \
             JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class \
             WHERE d.classid = 'pg_rewrite'::regclass AND w.ev_class <> views.oid AND v.relkind IN ('v', 'm') AND views.depth < {DEPTH} \
         ), \
         moved AS (SELECT oid, max(depth) AS depth FROM views GROUP BY oid), \
         relations AS (SELECT {t}::oid AS oid UNION SELECT oid FROM moved) \
         SELECT 'view' AS kind, oid, depth, pg_describe_object('pg_class'::regclass, oid, 0) AS description FROM moved \
         UNION ALL \
         SELECT 'constraint', con.oid, 0, pg_describe_object('pg_constraint'::regclass, con.oid, 0) FROM pg_constraint con \
           WHERE con.contype = 'f' AND con.conparentid = 0 AND con.confrelid = {t} AND con.conrelid <> {t} \
         UNION ALL \
         SELECT DISTINCT 'other', d.objid, 0, pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_depend d \
           WHERE d.deptype = 'n' \
             AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM relations)) \
               OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT reltype FROM pg_class WHERE oid IN (SELECT oid FROM relations)))) \
             AND NOT (d.classid = 'pg_rewrite'::regclass \
               AND EXISTS (SELECT 1 FROM pg_rewrite w WHERE w.oid = d.objid AND w.ev_class IN (SELECT oid FROM relations))) \
             AND NOT (d.classid = 'pg_constraint'::regclass \
               AND EXISTS (SELECT 1 FROM pg_constraint con WHERE con.oid = d.objid AND con.contype = 'f' AND con.confrelid = {t}))"
    )
}

/// PL/pgSQL, with the table's name in `plan`, that moves the table into
/// `holdpoint_recovery` as `kept_as` and notes the point; refuses as `DROP` would when
/// the table is missing or (without `CASCADE`) other objects depend on it, and returns
/// quietly for `IF EXISTS`. With `CASCADE`, the views built on it are moved with it and
/// the foreign keys of other tables that point at it are dropped, their definitions
/// kept, which is all `DROP … CASCADE` takes from other tables (their rows stay);
/// anything else it would drop is refused. The table's own foreign keys to other tables
/// are dropped and kept too, so that no later `DELETE` elsewhere cascades into what was
/// kept, or is held up by it.
fn move_table(plan: &Recoverable, kept_as: &str) -> String {
    let missing = if plan.if_exists {
        "RETURN;".to_owned()
    } else {
        format!(
            "RAISE EXCEPTION 'table % does not exist', {} USING ERRCODE = '42P01';",
            literal(&plan.table)
        )
    };
    let kept = literal(kept_as);
    let dependents_checked = if plan.cascade {
        format!(
            "SELECT string_agg(x.description, ', ' ORDER BY x.description) INTO hp_fk FROM ({dependents}) x WHERE x.kind = 'other'; \
             IF hp_fk IS NOT NULL THEN {refuse} END IF;",
            dependents = dependents("hp_t"),
            refuse = refuse(
                Walk::Keep,
                "DROP … CASCADE would also drop %s, which holdpoint does not keep; drop those first",
                "hp_fk",
            ),
        )
    } else {
        "IF EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = hp_t AND d.classid = 'pg_rewrite'::regclass) \
            OR EXISTS (SELECT 1 FROM pg_constraint c WHERE c.confrelid = hp_t AND c.conrelid <> hp_t) THEN \
           RAISE EXCEPTION 'cannot drop table % because other objects depend on it', hp_t USING ERRCODE = '2BP01', HINT = 'Use DROP ... CASCADE to drop the dependent objects too.'; \
         END IF;"
            .to_owned()
    };
    let views = if plan.cascade {
        format!(
            "FOR hp_c IN SELECT x.oid FROM ({dependents}) x WHERE x.kind = 'view' ORDER BY x.depth, x.oid LOOP \
               hp_m := hp_m + 1; \
               INSERT INTO holdpoint_recovery.parts (point, n, kind, schema_name, table_name, kept_as) \
                 SELECT {kept}, hp_m, 'view', ns.nspname, r.relname, {kept} || '_' || hp_m \
                 FROM pg_class r JOIN pg_namespace ns ON ns.oid = r.relnamespace WHERE r.oid = hp_c.oid; \
               EXECUTE format('ALTER TABLE %s RENAME TO %I', hp_c.oid::regclass, {kept} || '_' || hp_m); \
               EXECUTE format('ALTER TABLE %s SET SCHEMA holdpoint_recovery', hp_c.oid::regclass); \
             END LOOP;",
            dependents = dependents("hp_t"),
        )
    } else {
        String::new()
    };
    format!(
        "hp_t := to_regclass({table}); \
         IF hp_t IS NULL THEN {missing} END IF; \
         {dependents_checked} \
         EXECUTE format('SELECT count(*) FROM %s', hp_t) INTO hp_k; \
         {remember} \
         FOR hp_c IN SELECT con.oid, con.conrelid, con.conname FROM pg_constraint con \
           WHERE con.contype = 'f' AND con.conparentid = 0 \
             AND ((con.confrelid = hp_t AND con.conrelid <> hp_t) OR (con.conrelid = hp_t AND con.confrelid <> hp_t)) \
           ORDER BY con.conrelid = hp_t, con.conname \
         LOOP \
           hp_m := hp_m + 1; \
           INSERT INTO holdpoint_recovery.parts (point, n, kind, schema_name, table_name, name, definition, search_path) \
             SELECT {kept}, hp_m, 'constraint', ns.nspname, r.relname, hp_c.conname, pg_get_constraintdef(hp_c.oid), current_setting('search_path') \
             FROM pg_class r JOIN pg_namespace ns ON ns.oid = r.relnamespace WHERE r.oid = hp_c.conrelid; \
           EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', hp_c.conrelid::regclass, hp_c.conname); \
         END LOOP; \
         {views} \
         EXECUTE format('ALTER TABLE %s RENAME TO %I', hp_t, {kept}); \
         EXECUTE format('ALTER TABLE %s SET SCHEMA holdpoint_recovery', hp_t);",
        table = literal(&plan.table),
        remember = remember(kept_as, Loss::Drop, "hp_t"),
    )
}

/// The setting a blast radius walk leaves what it found in, for the same transaction to
/// read: a read-only transaction can keep nothing, but it can set a setting.
pub(crate) const FOUND_SETTING: &str = "holdpoint.cascade";

/// A `DO` block, for a read-only transaction, that follows what `plan`'s statement
/// cascades to without keeping anything and leaves one JSON object per step
/// ([`Cascaded`]) in [`FOUND_SETTING`]. `None` when the statement cascades to nothing
/// holdpoint follows rows through.
fn follow(plan: &Recoverable, walk_for: Walk) -> Option<String> {
    if plan.loss == Loss::Drop || (plan.loss == Loss::Truncate && !plan.cascade) {
        return None;
    }
    let body = format!(
        "hp_t := {table}::regclass; \
         {walk} \
         PERFORM set_config({setting}, coalesce((SELECT jsonb_agg(jsonb_build_object('table', r::regclass::text, 'how', h, 'via', v, 'columns', cl, 'rows', n) ORDER BY o) \
           FROM unnest(hp_rel[2:], hp_how[2:], hp_via[2:], hp_columns[2:], hp_rows[2:]) WITH ORDINALITY u(r, h, v, cl, n, o)), '[]')::text, true);",
        table = literal(&plan.table),
        walk = walk(plan, walk_for),
        setting = literal(FOUND_SETTING),
    );
    let quote = dollar_quote(&body);
    Some(format!(
        "DO {quote} DECLARE {DECLARE} BEGIN {body} END {quote}"
    ))
}

/// What `plan`'s statement destroys beyond its own table, counted in `tx` (read-only,
/// with a statement timeout) for the approver: a clause to add to the blast radius
/// sentence, empty when there is nothing. `walk` says whether the statement will keep a
/// recovery point (`Walk::Foresee`) or not (`Walk::Count`).
pub(crate) async fn beyond(
    tx: &tokio_postgres::Transaction<'_>,
    plan: &Recoverable,
    walk: Walk,
) -> String {
    let message = |e: tokio_postgres::Error| match e.as_db_error() {
        Some(d) => (d.code().code() == "42501", d.message().to_owned()),
        None => (false, e.to_string()),
    };
    if plan.loss == Loss::Drop {
        if !plan.cascade {
            return String::new();
        }
        let rows = match tx.query(&dropped_with(), &[&plan.table]).await {
            Ok(rows) => rows,
            Err(e) => {
                return format!(
                    "; what DROP … CASCADE would take with it could not be listed: {}",
                    message(e).1
                );
            }
        };
        let (others, kept): (Vec<_>, Vec<_>) = rows
            .iter()
            .map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)))
            .partition(|(kind, _)| kind == "other");
        let mut clause = String::new();
        if !kept.is_empty() {
            let names: Vec<String> = kept.into_iter().map(|(_, what)| what).collect();
            clause.push_str(&format!(
                ", and with it {} (the views are set aside and the foreign keys kept, to be put back; the rows of other tables stay)",
                names.join(", ")
            ));
        }
        if !others.is_empty() {
            let names: Vec<String> = others.into_iter().map(|(_, what)| what).collect();
            clause.push_str(&format!(
                "; it would also drop {}, which holdpoint does not keep, so holdpoint will refuse to run it",
                names.join(", ")
            ));
        }
        return clause;
    }
    let Some(block) = follow(plan, walk) else {
        return String::new();
    };
    let found = match tx.execute(block.as_str(), &[]).await {
        Ok(_) => {
            tx.query_one("SELECT current_setting($1, true)", &[&FOUND_SETTING])
                .await
        }
        Err(e) => Err(e),
    };
    match found {
        Ok(row) => {
            let json: Option<String> = row.get(0);
            match serde_json::from_str::<Vec<Cascaded>>(json.as_deref().unwrap_or("[]")) {
                Ok(found) => cascade_sentence(&found),
                Err(e) => format!("; what its foreign keys cascade to could not be read: {e}"),
            }
        }
        Err(e) => match message(e) {
            (true, reason) if walk == Walk::Foresee => format!(
                "; holdpoint cannot keep what it destroys ({reason}), so it will refuse to run it"
            ),
            (_, reason) => {
                format!("; what its foreign keys cascade to could not be counted: {reason}")
            }
        },
    }
}

/// A dollar quote that `text` does not hold, so it cannot end the quoted text early.
fn dollar_quote(text: &str) -> String {
    (0u64..)
        .map(|i| format!("$hp_walk{i}$"))
        .find(|quote| !text.contains(quote.as_str()))
        .unwrap_or_else(|| "$hp_walk$".to_owned())
}

/// The objects `DROP TABLE … CASCADE` would take with the table, as a query whose one
/// parameter is the table's name: `kind` and `description` (see `dependents`).
pub(crate) fn dropped_with() -> String {
    format!(
        "SELECT x.kind, x.description FROM ({}) x ORDER BY x.kind = 'other', x.depth, x.description",
        dependents("to_regclass($1::text)")
    )
}

/// One step of a cascade, as the blast radius walk found it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Cascaded {
    /// The table, as `regclass` prints it.
    pub table: String,
    /// `delete`, `update` or `truncate`.
    pub how: String,
    /// `ON DELETE CASCADE`, `ON UPDATE SET NULL`, `TRUNCATE … CASCADE`, …
    pub via: String,
    /// The columns changed, for `update`.
    pub columns: Option<String>,
    pub rows: Option<i64>,
}

/// What a statement cascades to, for the approver: `, and 12 rows of `orders` by ON
/// DELETE CASCADE, 3 rows of `notes` have `parent_id` set to NULL`. The steps that reach
/// the same table in the same way are added up; empty when there are none.
pub(crate) fn cascade_sentence(found: &[Cascaded]) -> String {
    let mut added: Vec<(&Cascaded, i64)> = Vec::new();
    for step in found {
        let rows = step.rows.unwrap_or(0);
        match added.iter_mut().find(|(seen, _)| {
            (&seen.table, &seen.how, &seen.via, &seen.columns)
                == (&step.table, &step.how, &step.via, &step.columns)
        }) {
            Some((_, total)) => *total = total.saturating_add(rows),
            None => added.push((step, rows)),
        }
    }
    let phrases: Vec<String> = added
        .iter()
        .map(|(step, rows)| {
            let columns = step.columns.as_deref().unwrap_or("");
            let have = if rows.to_string() == "1" {
                "has"
            } else {
                "have"
            };
            match (step.how.as_str(), step.via.as_str()) {
                ("truncate", _) => format!(
                    "table `{}` ({}) by {}",
                    step.table,
                    counted(rows, "row"),
                    step.via
                ),
                ("update", via) if via.ends_with("SET NULL") => {
                    format!(
                        "{} of `{}` {have} `{columns}` set to NULL",
                        counted(rows, "row"),
                        step.table
                    )
                }
                ("update", via) if via.ends_with("SET DEFAULT") => format!(
                    "{} of `{}` {have} `{columns}` set to its default",
                    counted(rows, "row"),
                    step.table
                ),
                ("update", via) => format!(
                    "{} of `{}` {have} `{columns}` changed by {via}",
                    counted(rows, "row"),
                    step.table
                ),
                (_, via) => format!("{} of `{}` by {via}", counted(rows, "row"), step.table),
            }
        })
        .collect();
    if phrases.is_empty() {
        String::new()
    } else {
        format!(", and {}", phrases.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(table: &str, how: &str, via: &str, columns: Option<&str>, rows: i64) -> Cascaded {
        Cascaded {
            table: table.to_owned(),
            how: how.to_owned(),
            via: via.to_owned(),
            columns: columns.map(str::to_owned),
            rows: Some(rows),
        }
    }

    #[test]
    fn the_sentence_names_every_table_and_its_count() {
        let check = |found: &[Cascaded], expected: &str| {
            assert_eq!(cascade_sentence(found), expected);
        };
        check(&[], "");
        check(
            &[
                step("orders", "delete", "ON DELETE CASCADE", None, 12),
                step(
                    "notes",
                    "update",
                    "ON DELETE SET NULL",
                    Some("parent_id"),
                    3,
                ),
                step("lines", "delete", "ON DELETE CASCADE", None, 30),
            ],
            ", and 12 rows of `orders` by ON DELETE CASCADE, 3 rows of `notes` have `parent_id` set to NULL, 30 rows of `lines` by ON DELETE CASCADE",
        );
        // A tree of one table, followed level by level, is added up.
        check(
            &[
                step("emp", "delete", "ON DELETE CASCADE", None, 2),
                step("emp", "delete", "ON DELETE CASCADE", None, 1),
            ],
            ", and 3 rows of `emp` by ON DELETE CASCADE",
        );
        check(
            &[
                step(
                    "orders",
                    "update",
                    "ON UPDATE CASCADE",
                    Some("parent_code"),
                    4,
                ),
                step("tags", "update", "ON DELETE SET DEFAULT", Some("kind"), 1),
                step("audit", "truncate", "TRUNCATE … CASCADE", None, 9),
            ],
            ", and 4 rows of `orders` have `parent_code` changed by ON UPDATE CASCADE, 1 row of `tags` has `kind` set to its default, table `audit` (9 rows) by TRUNCATE … CASCADE",
        );
    }

    #[test]
    fn a_walk_quotes_around_what_it_holds() {
        assert_eq!(dollar_quote("SELECT 1"), "$hp_walk0$");
        assert_eq!(dollar_quote("x = '$hp_walk0$'"), "$hp_walk1$");
    }
}
