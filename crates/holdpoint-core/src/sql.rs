//! SQL analysis: parse every statement of a script and say what each would do to the
//! database, how much of it, and whether it can be undone.
//!
//! Keywords are only ever read from the parser's tokens, so a keyword inside a string
//! literal, a quoted identifier or a comment never counts.

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CopySource, CopyTarget, Expr, FromTable, InTarget, MergeAction,
    MergeClauseKind, ObjectName, OnConflictAction, OnInsert, Query, SelectItem, SetExpr, Statement,
    TableFactor, UnaryOperator, Value, visit_relations, visit_statements,
};
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::effect::{Analysis, Effect, ObjectKind, Risk, Scope, Verb};
use crate::nesting::Nesting;

/// SQL scripts longer than this are not analysed: they are opaque.
const MAX_INPUT: usize = 1024 * 1024;

/// The SQL dialect to read a script in. Other dialects are tried when the first does
/// not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
    Sqlite,
}

/// Functions that change or destroy something when called, even from a `SELECT`.
const DESTROYING_FUNCTIONS: &[&str] = &[
    "pg_terminate_backend",
    "pg_drop_replication_slot",
    "lo_unlink",
    "pg_file_unlink",
    "pg_file_write",
    "pg_file_rename",
    "lo_export",
    "pg_replication_origin_drop",
    "pg_stat_reset",
    "pg_stat_reset_shared",
    "pg_stat_reset_single_table_counters",
    "pg_stat_statements_reset",
    "pg_truncate_visibility_map",
    "dblink_exec",
    "pg_promote",
    "pg_cancel_backend",
    "pg_logical_slot_get_changes",
    "pg_wal_replay_pause",
    "pg_drop_subscription",
    "sys_exec",
    "xp_cmdshell",
];
const CHANGING_FUNCTIONS: &[&str] = &[
    "nextval",
    "setval",
    "set_config",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_create_restore_point",
    "lo_import",
    "lo_create",
    "lo_from_bytea",
    "lo_put",
    "pg_file_write",
    "pg_file_rename",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_advisory_lock",
    "pg_replication_origin_create",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_import_system_collations",
    "pg_wal_replay_resume",
    "dblink",
    "dblink_connect",
    "pg_notify",
    "txid_current",
    "pg_current_xact_id",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "sleep",
    "benchmark",
    "get_lock",
    "release_lock",
];
/// Functions that reach past the database into the machine its engine runs on (the
/// SQLite shell's, whose engine runs in the agent's own process): what they do there,
/// never a change to data, which a database file in the workspace would make workspace
/// work.
const MACHINE_FUNCTIONS: &[(&str, Verb, ObjectKind, &str)] = &[
    (
        "load_extension",
        Verb::Execute,
        ObjectKind::Code,
        "loads a native library into the engine's process, running its code",
    ),
    (
        "writefile",
        Verb::Write,
        ObjectKind::File,
        "writes a file on the machine the engine runs on",
    ),
];

/// Functions known to only compute or read; any other function may have side effects.
const READING_FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_slope",
    "group_concat",
    "listagg",
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "trunc",
    "truncate_num",
    "sign",
    "sqrt",
    "cbrt",
    "power",
    "pow",
    "exp",
    "ln",
    "log",
    "log10",
    "mod",
    "div",
    "random",
    "greatest",
    "least",
    "pi",
    "degrees",
    "radians",
    "sin",
    "cos",
    "tan",
    "width_bucket",
    "lower",
    "upper",
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "bit_length",
    "substr",
    "substring",
    "trim",
    "ltrim",
    "rtrim",
    "btrim",
    "position",
    "strpos",
    "replace",
    "concat",
    "concat_ws",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "reverse",
    "split_part",
    "initcap",
    "format",
    "to_char",
    "to_number",
    "to_date",
    "to_timestamp",
    "md5",
    "sha256",
    "sha1",
    "encode",
    "decode",
    "regexp_replace",
    "regexp_match",
    "regexp_matches",
    "regexp_split_to_array",
    "regexp_split_to_table",
    "translate",
    "ascii",
    "chr",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "starts_with",
    "instr",
    "locate",
    "ifnull",
    "nvl",
    "coalesce",
    "nullif",
    "if",
    "iif",
    "case",
    "cast",
    "try_cast",
    "convert",
    "now",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "date_trunc",
    "date_part",
    "extract",
    "age",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_interval",
    "date",
    "time",
    "datetime",
    "julianday",
    "strftime",
    "unixepoch",
    "date_add",
    "date_sub",
    "datediff",
    "date_format",
    "str_to_date",
    "unix_timestamp",
    "from_unixtime",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "dayofweek",
    "weekday",
    "curdate",
    "curtime",
    "sysdate",
    "utc_timestamp",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "to_json",
    "to_jsonb",
    "json_extract",
    "jsonb_extract_path",
    "json_extract_path",
    "jsonb_extract_path_text",
    "json_extract_path_text",
    "jsonb_array_elements",
    "json_array_elements",
    "jsonb_array_length",
    "json_array_length",
    "jsonb_each",
    "json_each",
    "jsonb_object_keys",
    "json_object_keys",
    "jsonb_typeof",
    "json_typeof",
    "jsonb_set",
    "jsonb_insert",
    "jsonb_pretty",
    "jsonb_strip_nulls",
    "json_object",
    "json_array",
    "json_value",
    "json_query",
    "json_valid",
    "json_unquote",
    "json_contains",
    "row_to_json",
    "array_to_json",
    "array_length",
    "array_lower",
    "array_upper",
    "cardinality",
    "unnest",
    "array_position",
    "array_positions",
    "array_append",
    "array_prepend",
    "array_cat",
    "array_remove",
    "array_replace",
    "array_to_string",
    "string_to_array",
    "generate_series",
    "generate_subscripts",
    "exists",
    "any",
    "all",
    "some",
    "current_user",
    "session_user",
    "user",
    "current_schema",
    "current_schemas",
    "current_database",
    "current_catalog",
    "current_setting",
    "version",
    "inet_client_addr",
    "inet_server_addr",
    "has_table_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "has_column_privilege",
    "has_function_privilege",
    "has_sequence_privilege",
    "obj_description",
    "col_description",
    "format_type",
    "to_regclass",
    "to_regtype",
    "typeof",
    "uuid",
    "gen_random_uuid",
    "uuid_generate_v4",
    "currval",
    "lastval",
    "last_insert_id",
    "last_insert_rowid",
    "changes",
    "total_changes",
    "row_count",
    "found_rows",
    "database",
    "schema",
    "connection_id",
    "bool",
    "int",
    "integer",
    "text",
    "numeric",
    "float",
    "double",
    "char",
    "varchar",
    "bigint",
    "smallint",
    "decimal",
    "real",
    "timestamp",
    "interval",
    "boolean",
    "bytea",
    "hex",
    "unhex",
    "printf",
    "quote",
    "glob",
    "like",
    "ilike",
    "zeroblob",
    "randomblob",
    "soundex",
    "difference",
    "levenshtein",
    "similarity",
    "word_similarity",
    "ts_rank",
    "to_tsvector",
    "to_tsquery",
    "plainto_tsquery",
    "websearch_to_tsquery",
    "phraseto_tsquery",
    "ts_headline",
    "setweight",
    "st_distance",
    "st_within",
    "st_intersects",
    "st_astext",
    "st_geomfromtext",
    "st_makepoint",
    "st_setsrid",
    "host",
    "network",
    "masklen",
    "inet",
    "cidr",
    "isfinite",
    "justify_days",
    "justify_hours",
    "overlay",
    "bit_count",
    "get_byte",
    "set_byte",
    "length_in_bytes",
    "filter",
    "within",
    "over",
    "grouping",
    "rollup",
    "cube",
    "range_merge",
    "lower_inf",
    "upper_inf",
    "isempty",
    "tstzrange",
    "daterange",
    "int4range",
    "numrange",
    "array",
    "row",
    "values",
    "values_of",
];

/// Analyses a SQL script. A script that does not parse in any dialect is opaque.
pub fn analyse(sql: &str, dialect: Dialect) -> Analysis {
    let (mut analysis, exhausted) = analyse_in(sql, dialect, Nesting::default());
    if let Some(reason) = exhausted {
        analysis.unanalysable.get_or_insert(reason);
    }
    analysis
}

/// Analyses SQL found inside another text, within what is left of the chain's nesting
/// budget. With the analysis comes why the budget ran out, if it did anywhere inside.
pub(crate) fn analyse_within(
    sql: &str,
    dialect: Dialect,
    outer: Nesting,
) -> (Analysis, Option<String>) {
    match outer.enter_sql() {
        Ok(nesting) => analyse_in(sql, dialect, nesting),
        Err(too_deep) => {
            let reason = format!("the SQL {}", too_deep.reason());
            (
                Analysis::unanalysable(
                    reason.clone(),
                    "SQL nested too deeply to analyse".to_owned(),
                ),
                Some(reason),
            )
        }
    }
}

fn analyse_in(sql: &str, dialect: Dialect, nesting: Nesting) -> (Analysis, Option<String>) {
    let (mut analysis, mut exhausted) = analyse_statements(sql, dialect, nesting);
    if dialect == Dialect::Postgres {
        for (language, body) in untrusted_code(sql) {
            analysis.effects.push(Effect::opaque(
                &language,
                Risk::Change,
                format!(
                    "runs `{language}` code on the database server, as the server's operating-system user"
                ),
            ));
            let Some(line) = crate::shell::interpreter_line(&language, &body) else {
                continue;
            };
            let remote = crate::shell::analyse_remote(&line, "the database server", nesting);
            if let Some(reason) = remote.unanalysable {
                exhausted.get_or_insert(reason);
            }
            analysis.effects.extend(remote.effects);
        }
    }
    if let Some((change, more)) = crate::sql_settings::changes(sql) {
        let name = change.name.clone();
        analysis.effects.push(change);
        if more {
            analysis.effects.push(Effect::opaque(
                "the SQL after it",
                Risk::Destroy,
                format!(
                    "the database reads the SQL after the change to `{name}` differently from holdpoint: it could do anything"
                ),
            ));
        }
    }
    (analysis, exhausted)
}

fn analyse_statements(sql: &str, dialect: Dialect, nesting: Nesting) -> (Analysis, Option<String>) {
    if sql.len() > MAX_INPUT {
        return (
            Analysis::unanalysable(
                format!(
                    "the SQL is {} bytes long; holdpoint analyses at most {MAX_INPUT}",
                    sql.len()
                ),
                "SQL too long to analyse".to_owned(),
            ),
            None,
        );
    }
    // Only the server's own grammar: another dialect's tokenizer reads the same bytes
    // otherwise (MySQL's `\'` escapes a quote, `#` starts a comment; SQLite's `[`
    // quotes a name), so where the server's grammar fails, another's reading may hide a
    // statement the server runs. What the grammar does not take is read from the
    // server's tokens (`fallback`), and is never `read` unless recognised there.
    let parser_dialect: &dyn SqlDialect = match dialect {
        Dialect::Postgres => &PostgreSqlDialect {},
        Dialect::MySql => &MySqlDialect {},
        Dialect::Sqlite => &SQLiteDialect {},
    };
    let statements = match Parser::parse_sql(parser_dialect, sql) {
        Ok(statements) => statements,
        Err(error) => return fallback(sql, &error.to_string(), nesting, parser_dialect),
    };
    let mut analyser = StatementAnalyser {
        nesting,
        ..StatementAnalyser::default()
    };
    // Effects since the start of an open transaction, so that a ROLLBACK can take back
    // what it undoes.
    let mut transaction: Option<usize> = None;
    // Savepoints of the open transaction, by name, with the effects before them.
    let mut savepoints: Vec<(String, usize)> = Vec::new();
    for statement in &statements {
        match statement {
            Statement::StartTransaction { .. } => {
                transaction = Some(analyser.effects.len());
                savepoints.clear();
            }
            Statement::Commit { .. } => {
                transaction = None;
                savepoints.clear();
            }
            Statement::Savepoint { name } if transaction.is_some() => {
                savepoints.push((name.to_string(), analyser.effects.len()));
            }
            // `ROLLBACK TO SAVEPOINT s` undoes what came after `SAVEPOINT s`.
            Statement::Rollback {
                savepoint: Some(name),
                ..
            } if dialect != Dialect::MySql => {
                let name = name.to_string();
                if let Some(at) = savepoints.iter().rposition(|(n, _)| *n == name) {
                    if let Some((_, start)) = savepoints.get(at) {
                        analyser.roll_back(*start);
                    }
                    savepoints.truncate(at + 1);
                }
            }
            // MySQL commits DDL on the spot, so only PostgreSQL and SQLite rollbacks are
            // taken to undo.
            Statement::Rollback {
                savepoint: None, ..
            } if dialect != Dialect::MySql => {
                if let Some(start) = transaction.take() {
                    analyser.roll_back(start);
                }
            }
            _ => {}
        }
        analyser.statement(statement, "");
    }
    (
        Analysis {
            effects: analyser.effects,
            unanalysable: None,
            shown: None,
        },
        analyser.exhausted,
    )
}

#[derive(Default)]
struct StatementAnalyser {
    effects: Vec<Effect>,
    /// Statements prepared earlier in the same script, by name, with their effects.
    prepared: HashMap<String, Vec<Effect>>,
    /// What the chain of analysis this SQL is part of has used of its nesting budget.
    nesting: Nesting,
    /// Why analysis inside this SQL ran out of budget, if it did.
    exhausted: Option<String>,
}

fn name_of(name: &ObjectName) -> String {
    name.to_string()
}

fn first_keyword(statement: &Statement) -> String {
    statement
        .to_string()
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

impl StatementAnalyser {
    fn push(&mut self, effect: Effect) {
        if !self.effects.contains(&effect) {
            self.effects.push(effect);
        }
    }

    /// Takes back the effects a rolled-back transaction undoes: changes to tables and
    /// schemas. What a rollback cannot undo (ended sessions, programs run, sequences
    /// advanced, anything opaque) stays.
    fn roll_back(&mut self, start: usize) {
        let undone = |e: &Effect| {
            !e.opaque
                && matches!(
                    e.object,
                    ObjectKind::Table | ObjectKind::Row | ObjectKind::Schema | ObjectKind::Role
                )
        };
        let since: Vec<Effect> = self
            .effects
            .drain(start.min(self.effects.len())..)
            .collect();
        let count = since.len();
        let kept: Vec<Effect> = since.into_iter().filter(|e| !undone(e)).collect();
        let any_undone = kept.len() < count;
        self.effects.extend(kept);
        if any_undone {
            self.push(Effect::new(
                Verb::Read,
                ObjectKind::Database,
                "transaction",
                Risk::Read,
                "changes made inside a transaction that is rolled back",
            ));
        }
    }

    fn add(
        &mut self,
        verb: Verb,
        object: ObjectKind,
        name: &str,
        risk: Risk,
        scope: Scope,
        summary: String,
    ) {
        self.push(Effect::new(verb, object, name, risk, summary).with_scope(scope));
    }

    /// Adds the effects of one statement; `context` prefixes summaries ("EXPLAIN ANALYZE
    /// runs: …").
    fn statement(&mut self, statement: &Statement, context: &str) {
        self.functions(statement, context);
        match statement {
            Statement::Query(query) => self.query(query, context),
            Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_) => {
                self.dml(statement, context);
                self.nested_dml(statement, true, context);
            }
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    let table = name_of(&target.name);
                    self.add(
                        Verb::Delete,
                        ObjectKind::Table,
                        &table,
                        Risk::Destroy,
                        Scope::All,
                        format!("{context}deletes every row of table `{table}` (TRUNCATE)"),
                    );
                }
            }
            Statement::Drop {
                object_type,
                names,
                cascade,
                ..
            } => {
                let kind = format!("{object_type}").to_ascii_lowercase();
                let object = match kind.as_str() {
                    "table" | "view" | "materialized view" | "foreign table" | "index"
                    | "sequence" => ObjectKind::Table,
                    "schema" => ObjectKind::Schema,
                    "database" => ObjectKind::Database,
                    "role" | "user" | "group" => ObjectKind::Role,
                    _ => ObjectKind::Database,
                };
                let cascade = if *cascade {
                    ", and everything that depends on it"
                } else {
                    ""
                };
                for name in names {
                    let name = name_of(name);
                    self.add(
                        Verb::Delete,
                        object,
                        &name,
                        Risk::Destroy,
                        Scope::All,
                        format!("{context}drops {kind} `{name}`{cascade}"),
                    );
                }
            }
            Statement::DropFunction(_)
            | Statement::DropDomain(_)
            | Statement::DropProcedure { .. }
            | Statement::DropSecret { .. }
            | Statement::DropPolicy(_)
            | Statement::DropRule(_)
            | Statement::DropConnector { .. }
            | Statement::DropExtension(_)
            | Statement::DropOperator(_)
            | Statement::DropOperatorFamily(_)
            | Statement::DropOperatorClass(_)
            | Statement::DropTrigger(_) => {
                let what = first_keyword_rest(statement);
                self.add(
                    Verb::Delete,
                    ObjectKind::Schema,
                    &what,
                    Risk::Destroy,
                    Scope::One,
                    format!("{context}drops {what}"),
                );
            }
            Statement::AlterTable(alter) => {
                let table = name_of(&alter.name);
                for operation in &alter.operations {
                    // The operation's name says whether it drops something; matching on the
                    // name keeps every present and future `Drop…` operation covered.
                    let debug = format!("{operation:?}");
                    let text = operation.to_string();
                    let upper = text.to_ascii_uppercase();
                    let rewrites = upper.contains(" TYPE ") && upper.contains(" USING ");
                    if debug.starts_with("Drop") || upper.starts_with("DROP") || rewrites {
                        self.add(
                            Verb::Delete,
                            ObjectKind::Table,
                            &table,
                            Risk::Destroy,
                            Scope::All,
                            format!("{context}alters table `{table}`: {text}"),
                        );
                    } else {
                        self.add(
                            Verb::Write,
                            ObjectKind::Table,
                            &table,
                            Risk::Change,
                            Scope::One,
                            format!("{context}alters table `{table}`: {text}"),
                        );
                    }
                }
            }
            Statement::Copy {
                source, to, target, ..
            } => {
                let table = match source {
                    CopySource::Table { table_name, .. } => name_of(table_name),
                    CopySource::Query(_) => "a query".to_owned(),
                };
                match (to, target) {
                    (_, CopyTarget::Program { command }) => {
                        self.push(Effect::opaque(
                            command,
                            Risk::Change,
                            format!(
                                "{context}COPY runs the program `{}` on the database server",
                                short(command)
                            ),
                        ));
                        let remote = crate::shell::analyse_remote(
                            command,
                            "the database server",
                            self.nesting,
                        );
                        if let Some(reason) = remote.unanalysable {
                            self.exhausted.get_or_insert(reason);
                        }
                        for effect in remote.effects {
                            self.push(effect);
                        }
                    }
                    (false, _) => self.add(
                        Verb::Write,
                        ObjectKind::Table,
                        &table,
                        Risk::Change,
                        Scope::Some,
                        format!("{context}loads rows into table `{table}` (COPY … FROM)"),
                    ),
                    (true, CopyTarget::File { filename }) => self.add(
                        Verb::Write,
                        ObjectKind::File,
                        filename,
                        Risk::Change,
                        Scope::One,
                        format!("{context}writes `{table}` to the server file `{filename}`"),
                    ),
                    (true, _) => self.add(
                        Verb::Read,
                        ObjectKind::Table,
                        &table,
                        Risk::Read,
                        Scope::All,
                        format!("{context}copies `{table}` out"),
                    ),
                }
            }
            Statement::Explain {
                analyze,
                statement: inner,
                options,
                ..
            } => {
                let analyze_option = options.iter().flatten().any(|o| {
                    o.name.value.eq_ignore_ascii_case("analyze")
                        && o.arg.as_ref().is_none_or(|a| {
                            truth(a) != Some(false) && !a.to_string().eq_ignore_ascii_case("off")
                        })
                });
                if *analyze || analyze_option {
                    self.statement(inner, &format!("{context}EXPLAIN ANALYZE executes it: "));
                } else {
                    self.add(
                        Verb::Read,
                        ObjectKind::Database,
                        "plan",
                        Risk::Read,
                        Scope::One,
                        format!("{context}shows a query plan without running it"),
                    );
                }
            }
            Statement::ExplainTable { table_name, .. } => {
                let table = name_of(table_name);
                self.add(
                    Verb::Read,
                    ObjectKind::Table,
                    &table,
                    Risk::Read,
                    Scope::One,
                    format!("{context}describes table `{table}`"),
                );
            }
            Statement::Prepare {
                name,
                statement: inner,
                ..
            } => {
                let before = self.effects.len();
                self.statement(inner, &format!("{context}PREPARE {name}: "));
                let effects = self.effects.get(before..).unwrap_or(&[]).to_vec();
                self.prepared
                    .insert(name.value.to_ascii_lowercase(), effects);
            }
            Statement::Execute {
                name, parameters, ..
            } => {
                let key = name
                    .as_ref()
                    .map(|n| n.to_string().to_ascii_lowercase())
                    .unwrap_or_default();
                // SQL Server's `EXEC sp_executesql N'…'` runs the SQL in its string.
                let dynamic = parameters.first().and_then(|p| match p {
                    Expr::Value(value) => string_value(&value.value).map(str::to_owned),
                    _ => None,
                });
                if key.ends_with("sp_executesql") {
                    match dynamic {
                        Some(text) => {
                            let (analysis, ran_out) =
                                analyse_within(&text, Dialect::Postgres, self.nesting);
                            if let Some(reason) = ran_out {
                                self.exhausted.get_or_insert(reason);
                            }
                            analysis.effects.into_iter().for_each(|e| self.push(e));
                        }
                        None => self.push(Effect::opaque(
                            &key,
                            Risk::Change,
                            format!("{context}runs SQL built at run time (`sp_executesql`)"),
                        )),
                    }
                    return;
                }
                match self.prepared.get(&key).cloned() {
                    Some(effects) => effects.into_iter().for_each(|e| self.push(e)),
                    None => {
                        let shown = name
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "a dynamic statement".to_owned());
                        self.push(Effect::opaque(
                            &shown,
                            Risk::Change,
                            format!("{context}executes `{shown}`, a statement not visible here"),
                        ));
                    }
                }
            }
            Statement::Call(function) => {
                let name = name_of(&function.name);
                self.push(Effect::opaque(
                    &name,
                    Risk::Change,
                    format!(
                        "{context}calls procedure `{name}`, whose effects holdpoint cannot see"
                    ),
                ));
            }
            Statement::CreateTable(create) if create.or_replace => {
                let table = name_of(&create.name);
                self.add(
                    Verb::Delete,
                    ObjectKind::Table,
                    &table,
                    Risk::Destroy,
                    Scope::All,
                    format!("{context}replaces table `{table}` and every row it had (CREATE OR REPLACE TABLE)"),
                );
            }
            Statement::CreateFunction(_)
            | Statement::CreateProcedure { .. }
            | Statement::CreateRule(_) => {
                // Code planted to run later: judged by what its body would do. A rule's
                // body is what follows DO; `ON DELETE` before it only names the event.
                let what = first_keyword_rest(statement);
                let text = statement.to_string();
                // Writes of new data (`ON INSERT`, `ON UPDATE`) that a rule turns into
                // nothing are lost; deletes turned into nothing keep what they would delete.
                let upper = text.to_ascii_uppercase();
                let event = upper.split(" DO ").next().unwrap_or("");
                let body = match statement {
                    Statement::CreateRule(_) => text
                        .to_ascii_uppercase()
                        .find(" DO ")
                        .and_then(|at| text.get(at + 4..))
                        .unwrap_or(&text)
                        .to_owned(),
                    _ => text,
                };
                let discards = matches!(statement, Statement::CreateRule(_))
                    && (event.contains(" ON INSERT ") || event.contains(" ON UPDATE "))
                    && body
                        .to_ascii_uppercase()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .windows(2)
                        .any(|w| w == ["INSTEAD", "NOTHING"]);
                if mentions_destruction(&body) {
                    self.add(Verb::Delete, ObjectKind::Schema, &what, Risk::Destroy, Scope::Some, format!("{context}defines code that drops, truncates or deletes when it runs ({what})"));
                } else if discards {
                    // `DO INSTEAD NOTHING`: every later write it names is silently lost.
                    self.add(Verb::Delete, ObjectKind::Schema, &what, Risk::Destroy, Scope::Some, format!("{context}makes later writes do nothing, so what they write is lost ({what})"));
                } else {
                    self.add(
                        Verb::Write,
                        ObjectKind::Schema,
                        &what,
                        Risk::Change,
                        Scope::One,
                        format!("{context}changes the database: {what}"),
                    );
                }
            }
            Statement::Kill { .. } => {
                self.add(
                    Verb::Delete,
                    ObjectKind::Process,
                    "connection",
                    Risk::Destroy,
                    Scope::One,
                    format!("{context}kills a database connection or query"),
                );
            }
            Statement::Grant(_)
            | Statement::Revoke(_)
            | Statement::GrantRole(_)
            | Statement::RevokeRole(_)
            | Statement::AlterDefaultPrivileges(_)
            | Statement::Deny(_) => {
                let what = first_keyword(statement);
                self.add(
                    Verb::Admin,
                    ObjectKind::Role,
                    &what,
                    Risk::Change,
                    Scope::One,
                    format!("{context}changes privileges ({what} …)"),
                );
            }
            Statement::Pragma { name, value, is_eq } => {
                let name = name_of(name);
                let (risk, summary) = if value.is_some() && (*is_eq || is_pragma_setter(&name)) {
                    (
                        Risk::Change,
                        format!("{context}changes the SQLite setting `{name}`"),
                    )
                } else {
                    (
                        Risk::Read,
                        format!("{context}reads the SQLite setting `{name}`"),
                    )
                };
                self.add(
                    verb_for(risk),
                    ObjectKind::Database,
                    &name,
                    risk,
                    Scope::One,
                    summary,
                );
            }
            Statement::Set(_) => {
                let text = statement.to_string();
                let upper = text.to_ascii_uppercase();
                if upper.starts_with("SET GLOBAL")
                    || upper.starts_with("SET PERSIST")
                    || upper.contains("@@GLOBAL")
                {
                    self.add(
                        Verb::Admin,
                        ObjectKind::Database,
                        "settings",
                        Risk::Change,
                        Scope::All,
                        format!("{context}changes server-wide settings ({text})"),
                    );
                } else {
                    self.add(
                        Verb::Read,
                        ObjectKind::Database,
                        "session",
                        Risk::Read,
                        Scope::One,
                        format!("{context}changes a setting of this session only"),
                    );
                }
            }
            Statement::ShowFunctions { .. }
            | Statement::ShowVariable { .. }
            | Statement::ShowStatus { .. }
            | Statement::ShowVariables { .. }
            | Statement::ShowCreate { .. }
            | Statement::ShowColumns { .. }
            | Statement::ShowCatalogs { .. }
            | Statement::ShowDatabases { .. }
            | Statement::ShowProcessList { .. }
            | Statement::ShowSchemas { .. }
            | Statement::ShowCharset(_)
            | Statement::ShowObjects(_)
            | Statement::ShowTables { .. }
            | Statement::ShowViews { .. }
            | Statement::ShowCollation { .. }
            | Statement::Use(_)
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Declare { .. }
            | Statement::Fetch { .. }
            | Statement::Close { .. }
            | Statement::Deallocate { .. }
            | Statement::Discard { .. }
            | Statement::Analyze(_) => {
                let what = first_keyword(statement);
                self.add(
                    Verb::Read,
                    ObjectKind::Database,
                    &what,
                    Risk::Read,
                    Scope::One,
                    format!("{context}{what} only reads or controls this session"),
                );
            }
            // MySQL's `RESET MASTER` (and `RESET REPLICA`, `RESET SLAVE`) delete the binary
            // logs and replication state.
            other
                if matches!(
                    first_keyword(other).to_ascii_uppercase().as_str(),
                    "RESET MASTER" | "RESET REPLICA" | "RESET SLAVE" | "RESET BINARY"
                ) =>
            {
                let what = first_keyword(other);
                self.add(
                    Verb::Delete,
                    ObjectKind::Database,
                    &what,
                    Risk::Destroy,
                    Scope::All,
                    format!(
                        "{context}deletes the server's binary logs or replication state ({what})"
                    ),
                );
            }
            other => {
                let what = first_keyword_rest(other);
                let object = if what.to_ascii_uppercase().contains("TABLE") {
                    ObjectKind::Table
                } else {
                    ObjectKind::Database
                };
                self.add(
                    Verb::Write,
                    object,
                    &what,
                    Risk::Change,
                    Scope::One,
                    format!("{context}changes the database: {what}"),
                );
            }
        }
    }

    /// An INSERT, UPDATE, DELETE or MERGE, with its reach.
    fn dml(&mut self, statement: &Statement, context: &str) {
        match statement {
            Statement::Insert(insert) if insert.overwrite => {
                let table = insert.table.to_string();
                self.add(
                    Verb::Delete,
                    ObjectKind::Table,
                    &table,
                    Risk::Destroy,
                    Scope::All,
                    format!("{context}replaces every row of table `{table}` (INSERT OVERWRITE)"),
                );
            }
            Statement::Insert(insert)
                if insert.on.as_ref().is_some_and(updates_unconditionally)
                    && insert
                        .source
                        .as_deref()
                        .is_some_and(|q| query_reads_whole(q, &insert.table.to_string())) =>
            {
                // Every row read back from the table itself conflicts with itself.
                let table = insert.table.to_string();
                self.overwrites_every_row(
                    &table,
                    context,
                    "an upsert of the whole table into itself",
                );
            }
            Statement::Insert(insert) => {
                let table = insert.table.to_string();
                self.add(
                    Verb::Write,
                    ObjectKind::Table,
                    &table,
                    Risk::Change,
                    Scope::Some,
                    format!("{context}inserts rows into table `{table}`"),
                );
            }
            Statement::Update(update) => {
                let table = update.table.relation.to_string();
                self.scoped_write(
                    &table,
                    update.selection.as_ref(),
                    update.limit.is_some(),
                    update.from.is_some(),
                    "updates",
                    context,
                );
            }
            Statement::Delete(delete) => {
                let table = delete_target(delete.tables.first(), &delete.from);
                self.scoped_write(
                    &table,
                    delete.selection.as_ref(),
                    delete.limit.is_some(),
                    delete.using.is_some(),
                    "deletes",
                    context,
                );
            }
            Statement::Merge(merge) if merges_every_row(merge) => {
                let table = factor_table(&merge.table).unwrap_or_else(|| merge.table.to_string());
                self.overwrites_every_row(&table, context, "MERGE of the whole table with itself");
            }
            _ => {
                let text = statement.to_string().to_ascii_uppercase();
                let (risk, verb) = if text.contains("THEN DELETE") {
                    (Risk::Destroy, "merges into and deletes from")
                } else {
                    (Risk::Change, "merges rows into")
                };
                let table = first_relation(statement);
                self.add(
                    verb_for(risk),
                    ObjectKind::Table,
                    &table,
                    risk,
                    Scope::Some,
                    format!("{context}{verb} table `{table}`"),
                );
            }
        }
    }

    /// A statement that writes over every row of `table`, `how` saying why.
    fn overwrites_every_row(&mut self, table: &str, context: &str, how: &str) {
        self.add(
            Verb::Write,
            ObjectKind::Table,
            table,
            Risk::Destroy,
            Scope::All,
            format!("{context}overwrites every row of table `{table}` ({how})"),
        );
    }

    /// Data-modifying statements nested inside another (`WITH d AS (DELETE …)`, `INSERT …
    /// SELECT` with a CTE).
    fn nested_dml<V: sqlparser::ast::Visit>(&mut self, node: &V, skip_first: bool, context: &str) {
        let mut nested: Vec<Statement> = Vec::new();
        let _ = visit_statements(node, |s| {
            nested.push(s.clone());
            ControlFlow::<()>::Continue(())
        });
        // When the node is a statement itself, the visitor meets it first; its own effect
        // is already recorded.
        if skip_first {
            nested.drain(..1.min(nested.len()));
        }
        for statement in nested.into_iter().filter(|s| {
            matches!(
                s,
                Statement::Insert(_)
                    | Statement::Update(_)
                    | Statement::Delete(_)
                    | Statement::Merge(_)
            )
        }) {
            let before = format!("{context}a data-modifying clause ");
            self.dml(&statement, &before);
        }
    }

    fn query(&mut self, query: &Query, context: &str) {
        let modifies = has_dml(query);
        if modifies {
            self.nested_dml(query, false, context);
        }
        if let SetExpr::Select(select) = query.body.as_ref()
            && let Some(into) = &select.into
        {
            let table = into
                .targets
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            self.add(
                Verb::Write,
                ObjectKind::Table,
                &table,
                Risk::Change,
                Scope::One,
                format!("{context}creates table `{table}` from a query (SELECT INTO)"),
            );
            return;
        }
        if !modifies {
            let mut tables: Vec<String> = Vec::new();
            let _ = visit_relations(query, |r| {
                let name = name_of(r);
                if !tables.contains(&name) {
                    tables.push(name);
                }
                ControlFlow::<()>::Continue(())
            });
            let summary = if tables.is_empty() {
                format!("{context}only reads (a query)")
            } else {
                format!(
                    "{context}only reads {}",
                    tables
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.add(
                Verb::Read,
                ObjectKind::Table,
                &tables.join(", "),
                Risk::Read,
                Scope::Some,
                summary,
            );
        }
    }

    /// An UPDATE or DELETE: whole-table when it has no WHERE, or one that is always true.
    fn scoped_write(
        &mut self,
        table: &str,
        selection: Option<&Expr>,
        limited: bool,
        joined: bool,
        verb: &str,
        context: &str,
    ) {
        let always = match selection {
            None => Some("without WHERE".to_owned()),
            // With other tables joined in, a WHERE that only matches rows up between the
            // tables keeps every row that has a partner.
            Some(predicate) if joined && only_joins(predicate) => Some(format!(
                "with a WHERE that only joins tables (`{predicate}`)"
            )),
            Some(predicate)
                if truth(predicate) == Some(true) || selects_whole_table(predicate, table) =>
            {
                Some(format!("with a WHERE that is always true (`{predicate}`)"))
            }
            Some(_) => None,
        };
        let deletes = verb == "deletes";
        match always {
            Some(how) if !limited && deletes => {
                self.add(
                    Verb::Delete,
                    ObjectKind::Table,
                    table,
                    Risk::Destroy,
                    Scope::All,
                    format!("{context}deletes every row of table `{table}` (DELETE {how})"),
                );
            }
            Some(how) if !limited => {
                self.overwrites_every_row(table, context, &format!("UPDATE {how}"));
            }
            _ => {
                let summary = if selection.is_some() {
                    format!("{context}{verb} the rows of table `{table}` that match its WHERE")
                } else {
                    format!("{context}{verb} a limited number of rows of table `{table}` (LIMIT)")
                };
                self.add(
                    if deletes { Verb::Delete } else { Verb::Write },
                    ObjectKind::Row,
                    table,
                    Risk::Change,
                    Scope::Some,
                    summary,
                );
            }
        }
    }

    /// Function calls anywhere in the statement, judged by name.
    fn functions(&mut self, statement: &Statement, context: &str) {
        /// One walk over the statement: every function call, by name, with the text of
        /// those not known to read, and SQL handed to a function as text
        /// (`cron.schedule(…, 'DELETE FROM events')`, `dblink(…, 'DELETE …')`), which
        /// runs somewhere, now or later.
        #[derive(Default)]
        struct Seen {
            calls: Vec<String>,
            unknown_texts: Vec<(String, String)>,
            handed: Vec<(String, String)>,
        }
        fn last_name(name: &sqlparser::ast::ObjectName) -> String {
            name.0
                .last()
                .map(|part| {
                    part.to_string()
                        .trim_matches('"')
                        .trim_matches('`')
                        .to_ascii_lowercase()
                })
                .unwrap_or_default()
        }
        fn literal_sql(arg: &sqlparser::ast::FunctionArg) -> Option<&str> {
            let (sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(
                Expr::Value(value),
            ))
            | sqlparser::ast::FunctionArg::Named {
                arg: sqlparser::ast::FunctionArgExpr::Expr(Expr::Value(value)),
                ..
            }) = arg
            else {
                return None;
            };
            string_value(&value.value).filter(|text| looks_like_sql(text))
        }
        impl sqlparser::ast::Visitor for Seen {
            type Break = ();
            fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
                let Expr::Function(function) = expr else {
                    return ControlFlow::Continue(());
                };
                let name = last_name(&function.name);
                // Functions that only read or build text (`format('DROP TABLE %I', t)`,
                // `has_table_privilege(…, 'DELETE')`) run none of it.
                if !is_reading_function(&name) {
                    self.unknown_texts
                        .push((name.clone(), function.to_string()));
                    if let sqlparser::ast::FunctionArguments::List(list) = &function.args {
                        for text in list.args.iter().filter_map(literal_sql) {
                            if text.trim().contains(char::is_whitespace) {
                                self.handed.push((name.clone(), text.to_owned()));
                            }
                        }
                    }
                }
                if !self.calls.contains(&name) {
                    self.calls.push(name);
                }
                ControlFlow::Continue(())
            }
            // Functions in FROM (`dblink(…) AS t(…)`) are table factors, not expressions.
            fn pre_visit_table_factor(
                &mut self,
                factor: &sqlparser::ast::TableFactor,
            ) -> ControlFlow<()> {
                let call = match factor {
                    sqlparser::ast::TableFactor::Function { name, args, .. } => Some((name, args)),
                    sqlparser::ast::TableFactor::Table {
                        name,
                        args: Some(args),
                        ..
                    } => Some((name, &args.args)),
                    _ => None,
                };
                if let Some((name, args)) = call {
                    let name = last_name(name);
                    for arg in args {
                        if let sqlparser::ast::FunctionArg::Unnamed(_) = arg
                            && let Some(text) = literal_sql(arg)
                        {
                            self.handed.push((name.clone(), text.to_owned()));
                        }
                    }
                }
                ControlFlow::Continue(())
            }
        }
        let mut seen = Seen::default();
        let _ = sqlparser::ast::Visit::visit(statement, &mut seen);
        let Seen {
            calls,
            unknown_texts,
            handed,
        } = seen;
        for (name, text) in handed {
            let (analysis, ran_out) = analyse_within(&text, Dialect::Postgres, self.nesting);
            if let Some(reason) = ran_out {
                self.exhausted.get_or_insert(reason);
            }
            for mut effect in analysis.effects {
                effect.summary =
                    format!("{context}passes SQL to `{name}`, which {}", effect.summary);
                self.push(effect);
            }
        }
        for (name, text) in unknown_texts {
            if mentions_destruction(&text) && !DESTROYING_FUNCTIONS.contains(&name.as_str()) {
                self.add(
                    Verb::Delete,
                    ObjectKind::Database,
                    &name,
                    Risk::Destroy,
                    Scope::Some,
                    format!("{context}passes SQL that drops, truncates or deletes to `{name}`"),
                );
            }
        }
        for name in calls {
            if DESTROYING_FUNCTIONS.contains(&name.as_str()) {
                self.add(
                    Verb::Delete,
                    ObjectKind::Process,
                    &name,
                    Risk::Destroy,
                    Scope::Some,
                    format!("{context}calls `{name}`, which ends sessions or deletes server state"),
                );
            } else if let Some((_, verb, object, does)) =
                MACHINE_FUNCTIONS.iter().find(|(known, ..)| *known == name)
            {
                self.add(
                    *verb,
                    *object,
                    &name,
                    Risk::Change,
                    Scope::One,
                    format!("{context}calls `{name}`, which {does}"),
                );
            } else if CHANGING_FUNCTIONS.contains(&name.as_str()) {
                self.add(
                    Verb::Write,
                    ObjectKind::Database,
                    &name,
                    Risk::Change,
                    Scope::One,
                    format!("{context}calls `{name}`, which changes server state"),
                );
            } else if !is_reading_function(&name) {
                self.push(Effect::opaque(
                    &name,
                    Risk::Change,
                    format!(
                        "{context}calls `{name}`, a function whose effects holdpoint does not know"
                    ),
                ));
            }
        }
    }
}

fn is_reading_function(name: &str) -> bool {
    if READING_FUNCTIONS.contains(&name) {
        return true;
    }
    let info_prefixes = [
        "pg_get_",
        "pg_is_",
        "pg_has_",
        "pg_stat_get_",
        "pg_current_",
        "pg_relation_",
        "pg_table_",
        "pg_column_",
        "pg_total_",
        "pg_database_",
        "pg_size_",
        "pg_indexes_",
        "pg_last_",
        "pg_encoding_",
        "pg_describe_",
        "pg_wal_lsn_",
        "pg_walfile_",
        "pg_tablespace_",
        "pg_postmaster_",
        "pg_conf_",
        "pg_control_",
        "pg_partition_",
        "pg_index_",
        "pg_opclass_",
        "pg_function_",
        "pg_type_",
        "pg_options_",
        "pg_collation_",
        "pg_visible_",
        "has_",
        "json_",
        "jsonb_",
        "array_",
        "st_",
        "regexp_",
        "to_",
        "date_",
        "time_",
        "make_",
        "ts_",
        "string_",
        "str_",
        "bit_",
        "int",
        "float",
        "uuid_",
    ];
    info_prefixes.iter().any(|p| name.starts_with(p))
        || name.ends_with("_size")
        || matches!(
            name,
            "pg_typeof"
                | "pg_backend_pid"
                | "pg_blocking_pids"
                | "pg_sleep"
                | "pg_sleep_for"
                | "pg_my_temp_schema"
                | "pg_jit_available"
                | "pg_trigger_depth"
                | "pg_notification_queue_usage"
                | "pg_client_encoding"
                | "pg_listening_channels"
                | "pg_safe_snapshot_blocking_pids"
                | "pg_xact_commit_timestamp"
                | "pg_snapshot_xmin"
                | "pg_ls_waldir"
                | "pg_ls_logdir"
                | "pg_ls_tmpdir"
                | "pg_ls_archive_statusdir"
        )
}

fn is_pragma_setter(name: &str) -> bool {
    !matches!(
        name.to_ascii_lowercase().as_str(),
        "table_info"
            | "table_xinfo"
            | "index_list"
            | "index_info"
            | "foreign_key_list"
            | "table_list"
            | "integrity_check"
            | "quick_check"
            | "compile_options"
            | "database_list"
            | "function_list"
            | "module_list"
            | "pragma_list"
            | "collation_list"
            | "foreign_key_check"
    )
}

fn verb_for(risk: Risk) -> Verb {
    match risk {
        Risk::Read => Verb::Read,
        Risk::Destroy => Verb::Delete,
        Risk::Workspace | Risk::Change => Verb::Write,
    }
}

/// The statement's text up to its first parenthesis or `AS`, for naming it.
fn first_keyword_rest(statement: &Statement) -> String {
    let text = statement.to_string();
    let cut = text.split(['(', ';']).next().unwrap_or(&text);
    let words: Vec<&str> = cut.split_whitespace().take(6).collect();
    words.join(" ")
}

fn delete_target(first: Option<&ObjectName>, from: &FromTable) -> String {
    if let Some(name) = first {
        return name_of(name);
    }
    let tables = match from {
        FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
    };
    tables
        .first()
        .map(|t| t.relation.to_string())
        .unwrap_or_else(|| "?".to_owned())
}

fn first_relation<V: sqlparser::ast::Visit>(node: &V) -> String {
    let mut first = None;
    let _ = visit_relations(node, |r| {
        first = Some(name_of(r));
        ControlFlow::<()>::Break(())
    });
    first.unwrap_or_else(|| "?".to_owned())
}

fn has_dml(query: &Query) -> bool {
    let mut found = false;
    let _ = visit_statements(query, |s| {
        if matches!(
            s,
            Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
                | Statement::Merge(_)
        ) {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// A constant value of an expression, where one can be worked out without data.
#[derive(Debug, PartialEq)]
enum Constant {
    Bool(bool),
    Number(f64),
    Text(String),
}

fn constant(expr: &Expr) -> Option<Constant> {
    match expr {
        Expr::Nested(inner) => constant(inner),
        Expr::Value(value) => match &value.value {
            Value::Boolean(b) => Some(Constant::Bool(*b)),
            Value::Number(n, _) => n.to_string().parse().ok().map(Constant::Number),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                Some(Constant::Text(s.clone()))
            }
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match constant(expr)? {
            Constant::Number(n) => Some(Constant::Number(-n)),
            _ => None,
        },
        _ => truth(expr).map(Constant::Bool),
    }
}

/// The text of a string literal.
fn string_value(value: &Value) -> Option<&str> {
    match value {
        Value::SingleQuotedString(text)
        | Value::EscapedStringLiteral(text)
        | Value::NationalStringLiteral(text)
        | Value::DoubleQuotedString(text) => Some(text),
        Value::DollarQuotedString(quoted) => Some(&quoted.value),
        _ => None,
    }
}

/// Whether text handed to a function reads as a SQL statement.
fn looks_like_sql(text: &str) -> bool {
    let first = text
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "DELETE"
            | "UPDATE"
            | "INSERT"
            | "DROP"
            | "TRUNCATE"
            | "ALTER"
            | "CREATE"
            | "GRANT"
            | "REVOKE"
            | "COPY"
            | "DO"
            | "CALL"
            | "VACUUM"
            | "MERGE"
            | "REPLACE"
            | "EXECUTE"
            | "WITH"
            | "SELECT"
            | "SET"
            | "RESET"
            | "REINDEX"
            | "CLUSTER"
            | "COMMENT"
            | "SECURITY"
    )
}

/// Whether a predicate is always true or always false, where that can be told without
/// data: `1=1`, `true`, `'a'='a'`, `id = id`, `NOT false`, `x = 5 OR 1 = 1`.
fn truth(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Nested(inner) => truth(inner),
        Expr::Value(value) => match &value.value {
            Value::Boolean(b) => Some(*b),
            Value::Number(n, _) => n.to_string().parse::<f64>().ok().map(|n| n != 0.0),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => truth(expr).map(|b| !b),
        Expr::IsTrue(inner) => truth(inner),
        // `coalesce(NULL, true)`: the first argument that is not NULL.
        Expr::Function(function)
            if function.name.0.last().is_some_and(|n| {
                matches!(
                    n.to_string().to_ascii_lowercase().as_str(),
                    "coalesce" | "ifnull" | "nvl"
                )
            }) =>
        {
            let sqlparser::ast::FunctionArguments::List(list) = &function.args else {
                return None;
            };
            for arg in &list.args {
                let sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(
                    expr,
                )) = arg
                else {
                    return None;
                };
                match expr {
                    Expr::Value(v) if matches!(v.value, Value::Null) => continue,
                    other => return truth(other),
                }
            }
            None
        }
        Expr::IsNotFalse(inner) => truth(inner),
        Expr::IsFalse(inner) => truth(inner).map(|b| !b),
        // A column, or a comparison, that is not NULL: true of every row but those with
        // NULLs, which is as good as every row when judging a DELETE's reach.
        Expr::IsNotNull(inner) => match inner.as_ref() {
            Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::BinaryOp { .. }
            | Expr::Nested(_) => Some(true),
            other => constant(other).map(|_| true),
        },
        Expr::IsNull(inner) => constant(inner).map(|_| false),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::And => match (truth(left), truth(right)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            BinaryOperator::Or => match (truth(left), truth(right)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Gt
            | BinaryOperator::Lt
            | BinaryOperator::GtEq
            | BinaryOperator::LtEq
            | BinaryOperator::Spaceship => {
                // The same column on both sides compares equal on every row that is not
                // NULL: as good as always true for judging a DELETE's reach.
                if left == right
                    && matches!(
                        left.as_ref(),
                        Expr::Identifier(_) | Expr::CompoundIdentifier(_)
                    )
                {
                    return Some(matches!(
                        op,
                        BinaryOperator::Eq
                            | BinaryOperator::GtEq
                            | BinaryOperator::LtEq
                            | BinaryOperator::Spaceship
                    ));
                }
                compare(constant(left)?, op, constant(right)?)
            }
            _ => None,
        },
        Expr::Like {
            negated,
            expr,
            pattern,
            ..
        }
        | Expr::ILike {
            negated,
            expr,
            pattern,
            ..
        } => {
            let Constant::Text(p) = constant(pattern)? else {
                return None;
            };
            if p.chars().all(|c| c == '%') && !p.is_empty() {
                let matches_all = constant(expr).is_some()
                    || matches!(
                        expr.as_ref(),
                        Expr::Identifier(_) | Expr::CompoundIdentifier(_)
                    );
                return matches_all.then_some(!negated);
            }
            None
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let (Constant::Number(v), Constant::Number(l), Constant::Number(h)) =
                (constant(expr)?, constant(low)?, constant(high)?)
            else {
                return None;
            };
            Some((l <= v && v <= h) != *negated)
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated,
            ..
        } => {
            let value = constant(expr)?;
            let values: Option<Vec<Constant>> = list.iter().map(constant).collect();
            Some(values?.contains(&value) != *negated)
        }
        Expr::Exists { subquery, negated } => {
            // An uncorrelated EXISTS over a whole table holds for every row; one over no
            // table (`EXISTS (SELECT 1)`) always has its row.
            let SetExpr::Select(select) = subquery.body.as_ref() else {
                return None;
            };
            select
                .selection
                .as_ref()
                .is_none_or(|w| truth(w) == Some(true))
                .then_some(!negated)
        }
        _ => None,
    }
}

/// `id IN (SELECT id FROM users)` inside a statement on `users`: every row matches.
fn selects_whole_table(predicate: &Expr, table: &str) -> bool {
    let Expr::In {
        expr,
        target: InTarget::Subquery(query),
        negated: false,
        ..
    } = predicate
    else {
        return match predicate {
            Expr::Nested(inner) => selects_whole_table(inner, table),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => selects_whole_table(left, table) || selects_whole_table(right, table),
            _ => created_before_now(predicate),
        };
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let unfiltered = select
        .selection
        .as_ref()
        .is_none_or(|s| truth(s) == Some(true));
    let same_table = select.from.len() == 1
        && select
            .from
            .iter()
            .all(|t| t.joins.is_empty() && t.relation.to_string() == table);
    let same_column = match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(column)] => last_ident(column) == last_ident(expr),
        _ => false,
    };
    unfiltered && same_table && same_column && query.limit_clause.is_none()
}

/// Whether a predicate only equates columns (`o.customer_id = c.id AND …`), with no
/// constant to narrow it.
fn only_joins(predicate: &Expr) -> bool {
    match predicate {
        Expr::Nested(inner) => only_joins(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => only_joins(left) && only_joins(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => last_ident(left).is_some() && last_ident(right).is_some(),
        _ => false,
    }
}

/// Whether a predicate holds for every row because it compares when a row was created
/// with the present or a time after it (`created_at < now() + interval '100 years'`): no
/// row was created in the future.
fn created_before_now(predicate: &Expr) -> bool {
    let Expr::BinaryOp { left, op, right } = predicate else {
        return false;
    };
    let (column, time) = match op {
        BinaryOperator::Lt | BinaryOperator::LtEq => (left, right),
        BinaryOperator::Gt | BinaryOperator::GtEq => (right, left),
        _ => return false,
    };
    let creation = last_ident(column).is_some_and(|name| {
        let name = name.replace('_', "");
        name.contains("created") || name.contains("inserted") || name.starts_with("creation")
    });
    creation && now_or_later(time)
}

/// Whether an expression is the present (`now()`, `CURRENT_TIMESTAMP`, …) or the present
/// plus a positive interval.
fn now_or_later(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => now_or_later(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Plus,
            right,
        } => {
            let positive = |e: &Expr| {
                let text = e.to_string();
                text.to_ascii_uppercase().starts_with("INTERVAL") && !text.contains('-')
            };
            (now_or_later(left) && positive(right)) || (positive(left) && now_or_later(right))
        }
        _ => {
            let text = expr.to_string().to_ascii_lowercase();
            matches!(
                text.as_str(),
                "now()"
                    | "current_timestamp"
                    | "current_timestamp()"
                    | "current_date"
                    | "localtimestamp"
                    | "localtimestamp()"
                    | "clock_timestamp()"
                    | "statement_timestamp()"
                    | "transaction_timestamp()"
                    | "sysdate()"
                    | "utc_timestamp()"
                    | "getdate()"
            )
        }
    }
}

fn last_ident(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(ident.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
        _ => None,
    }
}

fn compare(left: Constant, op: &BinaryOperator, right: Constant) -> Option<bool> {
    let ordering = match (&left, &right) {
        (Constant::Number(a), Constant::Number(b)) => a.partial_cmp(b)?,
        (Constant::Text(a), Constant::Text(b)) => a.cmp(b),
        (Constant::Bool(a), Constant::Bool(b)) => a.cmp(b),
        (Constant::Text(a), Constant::Number(b)) | (Constant::Number(b), Constant::Text(a)) => {
            // MySQL and SQLite compare '1' = 1 as numbers.
            let a: f64 = a.parse().ok()?;
            if matches!(left, Constant::Text(_)) {
                a.partial_cmp(b)?
            } else {
                b.partial_cmp(&a)?
            }
        }
        _ => return None,
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    Some(match op {
        BinaryOperator::Eq | BinaryOperator::Spaceship => ordering == Equal,
        BinaryOperator::NotEq => ordering != Equal,
        BinaryOperator::Gt => ordering == Greater,
        BinaryOperator::Lt => ordering == Less,
        BinaryOperator::GtEq => ordering != Less,
        BinaryOperator::LtEq => ordering != Greater,
        _ => return None,
    })
}

/// For SQL that no dialect parses: read the tokens statement by statement, name what can
/// be named, and mark the script opaque. Nothing here is ever `read`.
/// PostgreSQL's untrusted procedural languages: their code runs on the database server
/// with the server's own operating-system rights (plpython3u, plperlu, pltclu, plsh,
/// plr), unlike the trusted ones (plpgsql, plperl, pltcl, plv8), which cannot reach the
/// server's files or programs.
const UNTRUSTED_LANGUAGES: &[&str] = &[
    "plpython3u",
    "plpythonu",
    "plpython2u",
    "plperlu",
    "pltclu",
    "plsh",
    "plr",
];

/// The code of every statement that names an untrusted procedural language (`DO
/// LANGUAGE plpython3u $$…$$`, `CREATE FUNCTION … LANGUAGE plperlu AS '…'`): the
/// language, and the statement's quoted text, where its body is.
fn untrusted_code(sql: &str) -> Vec<(String, String)> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for statement in tokens.split(|t| *t == Token::SemiColon) {
        let words: Vec<&Token> = statement
            .iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect();
        let language = words.windows(2).find_map(|pair| {
            let [Token::Word(keyword), name] = pair else {
                return None;
            };
            if keyword.keyword != Keyword::LANGUAGE {
                return None;
            }
            let name = match name {
                Token::Word(word) => word.value.to_ascii_lowercase(),
                Token::SingleQuotedString(text) => text.to_ascii_lowercase(),
                _ => return None,
            };
            UNTRUSTED_LANGUAGES.contains(&name.as_str()).then_some(name)
        });
        let Some(language) = language else {
            continue;
        };
        let body: Vec<String> = statement
            .iter()
            .filter_map(|t| match t {
                Token::DollarQuotedString(s) => Some(s.value.clone()),
                Token::SingleQuotedString(s) if !s.eq_ignore_ascii_case(&language) => {
                    Some(s.clone())
                }
                _ => None,
            })
            .collect();
        out.push((language, body.join("\n")));
    }
    out
}

/// The command of a `COPY … PROGRAM 'command'` among a statement's tokens.
fn program(statement: &[Token]) -> Option<String> {
    let at = statement.iter().position(
        |t| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::PROGRAM),
    )?;
    match statement.get(at + 1)? {
        Token::SingleQuotedString(text) | Token::EscapedStringLiteral(text) => Some(text.clone()),
        Token::DollarQuotedString(text) => Some(text.value.clone()),
        _ => None,
    }
}

/// Text shown in a sentence: its first 80 characters.
fn short(text: &str) -> String {
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn fallback(
    sql: &str,
    error: &str,
    nesting: Nesting,
    dialect: &dyn SqlDialect,
) -> (Analysis, Option<String>) {
    // The parser's message quotes the token it stopped at, which may be most of the input.
    let reason = format!("the SQL could not be parsed: {}", short(error));
    // The target's own tokenizer, so that statements split where its server splits them.
    let tokens = match Tokenizer::new(dialect, sql).tokenize() {
        Ok(tokens) => tokens,
        Err(error) => {
            return (
                Analysis::unanalysable(
                    format!("the SQL could not be read: {error}"),
                    "SQL that does not parse".to_owned(),
                ),
                None,
            );
        }
    };
    let mut effects = Vec::new();
    let mut exhausted = None;
    let words = |tokens: &[Token]| -> Vec<(Keyword, String)> {
        tokens
            .iter()
            .filter_map(|t| match t {
                Token::Word(w) if w.quote_style.is_none() => {
                    Some((w.keyword, w.value.to_ascii_uppercase()))
                }
                _ => None,
            })
            .collect()
    };
    for statement in tokens.split(|t| *t == Token::SemiColon) {
        let statement: Vec<Token> = statement
            .iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .cloned()
            .collect();
        let keywords = words(&statement);
        let Some((first, _)) = keywords.first() else {
            continue;
        };
        let second = keywords.get(1).map(|(k, _)| *k);
        let text = shown(&statement);
        // SQL Server's `EXEC sp_executesql N'…'` runs the SQL in its string.
        if keywords
            .first()
            .is_some_and(|(_, w)| w == "EXEC" || w == "EXECUTE")
            && keywords
                .get(1)
                .is_some_and(|(_, w)| w.eq_ignore_ascii_case("SP_EXECUTESQL"))
            && let Some(inner) = statement.iter().find_map(|t| match t {
                Token::NationalStringLiteral(s) | Token::SingleQuotedString(s) => Some(s.clone()),
                _ => None,
            })
        {
            let (analysis, ran_out) = analyse_within(&inner, Dialect::Postgres, nesting);
            if let Some(reason) = ran_out {
                exhausted.get_or_insert(reason);
            }
            effects.extend(analysis.effects);
            continue;
        }
        // `COPY … PROGRAM` with a string the parser does not take there (a dollar-quoted
        // one, which PostgreSQL accepts) still runs that program.
        if let Some(command) = program(&statement) {
            effects.push(Effect::opaque(
                &command,
                Risk::Change,
                format!(
                    "COPY runs the program `{}` on the database server",
                    short(&command)
                ),
            ));
            let remote = crate::shell::analyse_remote(&command, "the database server", nesting);
            if let Some(reason) = remote.unanalysable {
                exhausted.get_or_insert(reason);
            }
            effects.extend(remote.effects);
            continue;
        }
        let effect = match (first, second) {
            (Keyword::DO, _) => {
                let body: String = statement
                    .iter()
                    .filter_map(|t| match t {
                        Token::DollarQuotedString(s) => Some(s.value.clone()),
                        Token::SingleQuotedString(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let destroys = mentions_destruction(&body);
                let risk = if destroys {
                    Risk::Destroy
                } else {
                    Risk::Change
                };
                let summary = if destroys {
                    "runs a DO block that drops, truncates or deletes"
                } else {
                    "runs a DO block: procedural code holdpoint cannot see into"
                };
                Effect::opaque("DO", risk, summary)
            }
            (Keyword::TABLE, _)
                if keywords.len() <= 3 && !statement.iter().any(|t| matches!(t, Token::LParen)) =>
            {
                Effect::new(
                    Verb::Read,
                    ObjectKind::Table,
                    &text,
                    Risk::Read,
                    format!("only reads (`{text}`)"),
                )
            }
            (Keyword::PRAGMA, _)
                if keywords
                    .get(1)
                    .is_some_and(|(_, name)| !is_pragma_setter(name))
                    && !statement.iter().any(|t| matches!(t, Token::Eq)) =>
            {
                Effect::new(
                    Verb::Read,
                    ObjectKind::Database,
                    &text,
                    Risk::Read,
                    format!("reads SQLite metadata (`{text}`)"),
                )
            }
            (Keyword::ALTER, Some(Keyword::SYSTEM)) => Effect::new(
                Verb::Admin,
                ObjectKind::Database,
                "ALTER SYSTEM",
                Risk::Change,
                "changes the server's configuration (ALTER SYSTEM)",
            ),
            // MySQL's `RESET MASTER` and `PURGE BINARY LOGS` delete the binary logs.
            (Keyword::RESET, _)
                if keywords
                    .get(1)
                    .is_some_and(|(_, w)| matches!(w.as_str(), "MASTER" | "BINARY"))
                    || keywords.get(1).is_some_and(|(_, w)| w == "REPLICA") =>
            {
                Effect::new(
                    Verb::Delete,
                    ObjectKind::Database,
                    &text,
                    Risk::Destroy,
                    format!("deletes the server's binary logs or replication state (`{text}`)"),
                )
            }
            (Keyword::PURGE, _) => Effect::new(
                Verb::Delete,
                ObjectKind::Database,
                &text,
                Risk::Destroy,
                format!("purges database objects or logs (`{text}`)"),
            ),
            (Keyword::DROP | Keyword::TRUNCATE, _) => Effect::new(
                Verb::Delete,
                ObjectKind::Database,
                &text,
                Risk::Destroy,
                format!("drops or empties database objects (`{text}`)"),
            )
            .with_scope(Scope::All),
            (Keyword::DELETE | Keyword::UPDATE, _) => Effect::new(
                Verb::Delete,
                ObjectKind::Table,
                &text,
                Risk::Destroy,
                format!(
                    "deletes or rewrites rows whose extent holdpoint could not read (`{text}`)"
                ),
            ),
            // ClickHouse's mutations: `ALTER TABLE t DELETE WHERE …`, `… UPDATE c = … WHERE
            // …`, whose extent the tokens alone do not tell.
            (Keyword::ALTER, _)
                if keywords
                    .iter()
                    .any(|(k, _)| matches!(k, Keyword::DELETE | Keyword::UPDATE)) =>
            {
                Effect::new(
                    Verb::Delete,
                    ObjectKind::Table,
                    &text,
                    Risk::Destroy,
                    format!(
                        "deletes or rewrites rows whose extent holdpoint could not read (`{text}`)"
                    ),
                )
            }
            (Keyword::ALTER, _) if keywords.iter().any(|(k, _)| *k == Keyword::DROP) => {
                Effect::new(
                    Verb::Delete,
                    ObjectKind::Table,
                    &text,
                    Risk::Destroy,
                    format!("drops part of a database object (`{text}`)"),
                )
            }
            _ => Effect::opaque(
                &text,
                Risk::Change,
                format!("runs `{text}`, which holdpoint could not parse"),
            ),
        };
        effects.push(effect);
        for (i, token) in statement.iter().enumerate() {
            if let (Token::Word(w), Some(Token::LParen)) = (token, statement.get(i + 1)) {
                let name = w.value.to_ascii_lowercase();
                if DESTROYING_FUNCTIONS.contains(&name.as_str()) {
                    effects.push(Effect::new(
                        Verb::Delete,
                        ObjectKind::Process,
                        &name,
                        Risk::Destroy,
                        format!("calls `{name}`, which ends sessions or deletes server state"),
                    ));
                }
            }
        }
    }
    if effects.is_empty() {
        return (
            Analysis::unanalysable(reason, "SQL that does not parse".to_owned()),
            exhausted,
        );
    }
    // Statements read from their tokens alone are trusted only as far as they were
    // recognised; anything opaque leaves the whole script unanalysable.
    let unanalysable = effects.iter().any(|e| e.opaque).then_some(reason);
    (
        Analysis {
            effects,
            unanalysable,
            shown: None,
        },
        exhausted,
    )
}

fn shown(tokens: &[Token]) -> String {
    let text: String = tokens
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    short(&text)
}

/// Whether procedural code (a DO block, a function or rule body) drops, truncates or
/// deletes: by its keywords, by the statements it builds as strings for EXECUTE, and by
/// strings it builds by concatenation (`'DR' || 'OP TABLE '`).
pub(crate) fn mentions_destruction(code: &str) -> bool {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, code)
        .tokenize()
        .unwrap_or_default();
    let destructive = |tokens: &[Token]| {
        tokens.iter().any(|t| matches!(t, Token::Word(w) if w.quote_style.is_none() && matches!(w.keyword, Keyword::DROP | Keyword::TRUNCATE | Keyword::DELETE)))
    };
    if destructive(&tokens) {
        return true;
    }
    let strings: Vec<&str> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::SingleQuotedString(text) => Some(text.as_str()),
            Token::DollarQuotedString(quoted) => Some(quoted.value.as_str()),
            _ => None,
        })
        .collect();
    let joined = strings.concat();
    strings
        .iter()
        .copied()
        .chain(std::iter::once(joined.as_str()))
        .any(|text| text != code && !text.is_empty() && mentions_destruction_once(text))
}

fn mentions_destruction_once(text: &str) -> bool {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .unwrap_or_default();
    tokens.iter().any(|t| matches!(t, Token::Word(w) if w.quote_style.is_none() && matches!(w.keyword, Keyword::DROP | Keyword::TRUNCATE | Keyword::DELETE)))
        || tokens.iter().any(|t| matches!(t, Token::SingleQuotedString(inner) if mentions_destruction_once(inner)))
}

/// A table's name as compared: its last part, unquoted, in lower case.
fn relation_name(name: &str) -> String {
    name.rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .to_ascii_lowercase()
}

/// Whether a query reads every row of `table` and nothing else: `SELECT … FROM table`
/// without a WHERE that can be false, LIMIT, joins or grouping.
fn query_reads_whole(query: &Query, table: &str) -> bool {
    if query.limit_clause.is_some() || query.fetch.is_some() {
        return false;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    match select.from.as_slice() {
        [from]
            if from.joins.is_empty()
                && select
                    .selection
                    .as_ref()
                    .is_none_or(|w| truth(w) == Some(true))
                && select.having.is_none() =>
        {
            factor_reads_whole(&from.relation, table)
        }
        _ => false,
    }
}

/// The table a FROM item names, without its alias.
fn factor_table(factor: &TableFactor) -> Option<String> {
    match factor {
        TableFactor::Table { name, .. } => Some(name.to_string()),
        _ => None,
    }
}

/// Whether a FROM item is `table` itself, or a subquery reading all of it.
fn factor_reads_whole(factor: &TableFactor, table: &str) -> bool {
    match factor {
        TableFactor::Table { name, .. } => relation_name(&name.to_string()) == relation_name(table),
        TableFactor::Derived { subquery, .. } => query_reads_whole(subquery, table),
        _ => false,
    }
}

/// Whether an INSERT's conflict clause updates every conflicting row.
fn updates_unconditionally(on: &OnInsert) -> bool {
    match on {
        OnInsert::DuplicateKeyUpdate(assignments) => !assignments.is_empty(),
        OnInsert::OnConflict(conflict) => matches!(
            &conflict.action,
            OnConflictAction::DoUpdate(update) if update.selection.is_none()
        ),
        // A form this version of the parser does not name: it may update.
        _ => true,
    }
}

/// Whether a MERGE updates or deletes every row of its target: its source is the
/// target itself, whole, and a WHEN MATCHED clause without a condition updates or
/// deletes.
fn merges_every_row(merge: &sqlparser::ast::Merge) -> bool {
    factor_table(&merge.table).is_some_and(|table| factor_reads_whole(&merge.source, &table))
        && merge.clauses.iter().any(|clause| {
            clause.clause_kind == MergeClauseKind::Matched
                && clause.predicate.is_none()
                && matches!(
                    clause.action,
                    MergeAction::Update(_) | MergeAction::Delete { .. }
                )
        })
}
