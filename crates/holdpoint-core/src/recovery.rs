//! What a destructive SQL statement would destroy, for keeping a copy first: the table
//! a `DROP TABLE` removes, or the rows a `TRUNCATE`, `DELETE` or `UPDATE` would remove or
//! overwrite. Only single statements on one table are planned; anything else has no plan
//! (and so no recovery point). What the statement's foreign keys cascade to is for the
//! database to say when it runs: the plan only says whether it may cascade
//! (`cascade`) and which columns an `UPDATE` sets.

use sqlparser::ast::{
    AssignmentTarget, CascadeOption, FromTable, ObjectName, ObjectType, Statement, TableFactor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// What kind of loss a statement causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// The whole table goes.
    Drop,
    /// Every row goes.
    Truncate,
    /// The rows matching the predicate go.
    Delete,
    /// The rows matching the predicate are overwritten.
    Update,
}

impl Loss {
    pub fn as_str(self) -> &'static str {
        match self {
            Loss::Drop => "drop",
            Loss::Truncate => "truncate",
            Loss::Delete => "delete",
            Loss::Update => "update",
        }
    }
}

/// A statement's loss, as SQL fragments to copy it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recoverable {
    pub loss: Loss,
    /// The table as written, e.g. `public.users` or `"Users"`.
    pub table: String,
    /// `FROM` what the affected rows are selected: the table with the statement's alias.
    pub source: String,
    /// The `WHERE` condition, when the statement has one.
    pub predicate: Option<String>,
    /// `DROP … CASCADE` or `TRUNCATE … CASCADE`: other objects or tables go too.
    /// (`DELETE` and `UPDATE` cascade along the foreign keys whatever they say.)
    pub cascade: bool,
    /// `DROP TABLE IF EXISTS`: a missing table is not an error.
    pub if_exists: bool,
    /// The columns an `UPDATE` sets, as PostgreSQL names them (unquoted names folded
    /// to lower case); `None` for other statements, or when one cannot be named.
    pub columns: Option<Vec<String>>,
}

impl Recoverable {
    /// A query selecting every row the statement would remove or overwrite.
    pub fn affected_rows(&self) -> String {
        match &self.predicate {
            Some(predicate) => format!("SELECT * FROM {} WHERE {predicate}", self.source),
            None => format!("SELECT * FROM {}", self.source),
        }
    }
}

/// The plan for one PostgreSQL statement, or `None` when it is not a single-table loss
/// this knows how to keep.
pub fn plan(sql: &str) -> Option<Recoverable> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let [statement] = statements.as_slice() else {
        return None;
    };
    match statement {
        Statement::Drop {
            object_type: ObjectType::Table,
            names,
            cascade,
            if_exists,
            temporary: false,
            ..
        } => {
            let [name] = names.as_slice() else {
                return None;
            };
            Some(Recoverable {
                loss: Loss::Drop,
                table: name.to_string(),
                source: name.to_string(),
                predicate: None,
                cascade: *cascade,
                if_exists: *if_exists,
                columns: None,
            })
        }
        Statement::Truncate(truncate) => {
            let [target] = truncate.table_names.as_slice() else {
                return None;
            };
            Some(Recoverable {
                loss: Loss::Truncate,
                table: target.name.to_string(),
                source: target.name.to_string(),
                predicate: None,
                cascade: truncate.cascade == Some(CascadeOption::Cascade),
                if_exists: false,
                columns: None,
            })
        }
        Statement::Delete(delete) => {
            let (FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables)) =
                &delete.from;
            let [table] = tables.as_slice() else {
                return None;
            };
            if delete.using.is_some() || !table.joins.is_empty() || !delete.tables.is_empty() {
                return None;
            }
            let (name, source) = single_table(&table.relation)?;
            Some(Recoverable {
                loss: Loss::Delete,
                table: name,
                source,
                predicate: delete.selection.as_ref().map(ToString::to_string),
                cascade: false,
                if_exists: false,
                columns: None,
            })
        }
        Statement::Update(update) => {
            if update.from.is_some() || !update.table.joins.is_empty() {
                return None;
            }
            let (name, source) = single_table(&update.table.relation)?;
            Some(Recoverable {
                loss: Loss::Update,
                table: name,
                source,
                predicate: update.selection.as_ref().map(ToString::to_string),
                cascade: false,
                if_exists: false,
                columns: update
                    .assignments
                    .iter()
                    .map(|assignment| match &assignment.target {
                        AssignmentTarget::ColumnName(column) => {
                            column_name(column).map(|c| vec![c])
                        }
                        AssignmentTarget::Tuple(columns) => {
                            columns.iter().map(column_name).collect()
                        }
                    })
                    .collect::<Option<Vec<Vec<String>>>>()
                    .map(|columns| columns.concat()),
            })
        }
        _ => None,
    }
}

/// The column an assignment sets, as PostgreSQL names it: `SET "Total" = …` sets
/// `Total`, `SET total = …` and `SET TOTAL = …` set `total`. A name with more parts
/// (`SET t.total`, a field of a composite column) is left unnamed.
fn column_name(target: &ObjectName) -> Option<String> {
    let [part] = target.0.as_slice() else {
        return None;
    };
    let ident = part.as_ident()?;
    Some(match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    })
}

/// A plain table (with its alias), not a subquery or function.
fn single_table(relation: &TableFactor) -> Option<(String, String)> {
    match relation {
        TableFactor::Table {
            name, args: None, ..
        } => Some((name.to_string(), relation.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_name_the_table_and_the_rows() {
        let p = plan("DROP TABLE public.users").unwrap_or_else(|| unreachable!());
        assert_eq!(
            (p.loss, p.table.as_str(), p.cascade),
            (Loss::Drop, "public.users", false)
        );
        let p = plan("truncate users").unwrap_or_else(|| unreachable!());
        assert_eq!(p.affected_rows(), "SELECT * FROM users");
        let p = plan("DELETE FROM users u WHERE u.created < now() - interval '1 day'")
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            p.affected_rows(),
            "SELECT * FROM users u WHERE u.created < now() - INTERVAL '1 day'"
        );
        let p = plan("UPDATE users SET email = ''").unwrap_or_else(|| unreachable!());
        assert_eq!((p.loss, p.predicate), (Loss::Update, None));
        assert_eq!(p.columns, Some(vec!["email".to_owned()]));
        let p = plan("DROP TABLE users -- if exists").unwrap_or_else(|| unreachable!());
        assert!(!p.if_exists, "a comment is not a clause");
        assert!(plan("DROP TABLE IF EXISTS users").is_some_and(|p| p.if_exists));
        assert!(plan("DROP TABLE a, b").is_none());
        assert!(plan("DELETE FROM a USING b WHERE a.id = b.id").is_none());
        assert!(plan("SELECT 1").is_none());
        assert!(plan("DROP TABLE a; DROP TABLE b").is_none());
    }

    #[test]
    fn plans_say_what_may_cascade() {
        let check = |sql: &str, cascade: bool, columns: Option<&[&str]>| {
            let p = plan(sql).unwrap_or_else(|| unreachable!("{sql}"));
            let columns = columns.map(|c| c.iter().map(|c| (*c).to_owned()).collect());
            assert_eq!((p.cascade, p.columns), (cascade, columns), "{sql}");
        };
        check("TRUNCATE parent CASCADE", true, None);
        check("TRUNCATE parent RESTRICT", false, None);
        check("TRUNCATE parent", false, None);
        check("DROP TABLE parent CASCADE", true, None);
        check("DELETE FROM parent", false, None);
        check(
            "UPDATE parent SET ID = 1, \"Code\" = 'x'",
            false,
            Some(&["id", "Code"]),
        );
        check(
            "UPDATE parent SET (a, b) = (1, 2)",
            false,
            Some(&["a", "b"]),
        );
        check("UPDATE parent p SET p.code = 'x'", false, None);
    }
}
