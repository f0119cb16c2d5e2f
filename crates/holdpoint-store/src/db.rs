//! What the store's logic asks of a SQL database, so that it is written once for both
//! databases it runs on (SQLite on one machine, PostgreSQL for a team).
//!
//! Statements are written once, in the SQL both understand, with SQLite's numbered
//! parameters (`?1`, `?2`); the PostgreSQL connection renumbers them (`$1`, `$2`). Values
//! go in as [`Arg`]s and come out as [`Row`]s of integers, texts and nulls: everything
//! the store keeps is one of those.

use holdpoint_ledger::StoredRecord;

use crate::StoreError;

/// A value a statement is given.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Int(i64::from(b))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(text)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(text: &'a String) -> Self {
        Arg::Text(text)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Arg::Null, Arg::Text)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(text: &'a Option<String>) -> Self {
        Arg::from(text.as_deref())
    }
}

impl<'a> From<&'a Value> for Arg<'a> {
    fn from(value: &'a Value) -> Self {
        match value {
            Value::Null => Arg::Null,
            Value::Int(n) => Arg::Int(*n),
            Value::Text(text) => Arg::Text(text),
        }
    }
}

/// The arguments of a statement, in order: `args![id, body]`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        &[$($crate::db::Arg::from($arg)),*]
    };
}
pub(crate) use args;

/// A value a statement returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// One row a query returned, its columns in the order the query named them.
#[derive(Debug)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn column(&self, i: usize) -> Result<&Value, StoreError> {
        self.0.get(i).ok_or_else(|| missing(i))
    }

    fn unexpected(&self, i: usize, wanted: &str) -> StoreError {
        StoreError::Corrupt(format!(
            "column {i} holds {:?} where {wanted} was expected",
            self.0.get(i)
        ))
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.column(i)? {
            Value::Int(n) => Ok(*n),
            _ => Err(self.unexpected(i, "an integer")),
        }
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.column(i)? {
            Value::Int(n) => Ok(Some(*n)),
            Value::Null => Ok(None),
            Value::Text(_) => Err(self.unexpected(i, "an integer")),
        }
    }

    /// Column `i`'s text, taken out of the row.
    pub(crate) fn text(&mut self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| self.unexpected(i, "a text"))
    }

    /// Column `i`'s text, taken out of the row, or `None` for a null.
    pub(crate) fn opt_text(&mut self, i: usize) -> Result<Option<String>, StoreError> {
        match self.0.get_mut(i) {
            Some(Value::Text(text)) => Ok(Some(std::mem::take(text))),
            Some(Value::Null) => Ok(None),
            Some(Value::Int(_)) => Err(self.unexpected(i, "a text")),
            None => Err(missing(i)),
        }
    }
}

fn missing(i: usize) -> StoreError {
    StoreError::Database(format!("a query returned no column {i}"))
}

/// A connection, inside a transaction or not: what the store's logic runs its
/// statements on.
pub(crate) trait Db {
    /// Runs one statement; how many rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError>;
    /// Runs a query, calling `each` with every row in order until it returns `false`.
    fn each(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;
    /// The column that orders a table's rows as they were inserted.
    fn insertion_order(&self) -> &'static str;

    /// Tells the processes listening on the store that the approval request `id`
    /// changed, once the transaction commits. Nothing on a store no other machine
    /// shares.
    fn announce_approvals(&mut self, _id: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Notes that the transaction signed a checkpoint at `size` (nothing to do but for
    /// the one that watches what a write did).
    fn signed_checkpoint(&mut self, _size: u64) {}

    /// Inserts ledger records, in order.
    fn insert_records(&mut self, records: &[StoredRecord]) -> Result<(), StoreError> {
        for record in records {
            self.execute(
                "INSERT INTO records (seq, hash, at_ms, kind, session, digest, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![
                    i64::try_from(record.seq).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    record.hash.to_string().as_str(),
                    record.at_ms,
                    record.kind.as_str(),
                    &record.session,
                    &record.digest,
                    record.text.as_str(),
                ],
            )?;
        }
        Ok(())
    }

    /// Every row a query returns.
    fn rows(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        self.each(sql, args, &mut |row| {
            rows.push(row);
            Ok(true)
        })?;
        Ok(rows)
    }

    /// The first row a query returns, if any.
    fn row(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Row>, StoreError> {
        let mut first = None;
        self.each(sql, args, &mut |row| {
            first = Some(row);
            Ok(false)
        })?;
        Ok(first)
    }
}

/// A database connection as the store holds it: a [`Db`] that also opens and ends the
/// store's transactions.
pub(crate) trait Connection: Db + Send {
    /// Begins a transaction that no other writer, in this process or another, runs
    /// beside: it sees everything committed before it and commits before the next
    /// writer reads anything.
    fn begin_write(&mut self) -> Result<(), StoreError>;
    /// Begins a transaction that reads one consistent state while writers go on.
    fn begin_read(&mut self) -> Result<(), StoreError>;
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Rolls back what the transaction did; a failure here (a connection already lost)
    /// leaves nothing to undo.
    fn rollback(&mut self);
    /// Housekeeping once a write has committed (what it wrote is durable already).
    fn committed(&mut self) {}
    /// Makes sure the connection is there before a statement outside a transaction,
    /// connecting again when it was lost.
    fn ready(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Whether a failed call found the connection gone, so that the next call
    /// connects again.
    fn lost(&mut self) -> bool {
        false
    }
}

/// Renumbers SQLite's parameters (`?1`) as PostgreSQL's (`$1`). The statements are the
/// store's own and hold no `?` anywhere else.
pub(crate) fn dollar_parameters(sql: &str) -> String {
    sql.replace('?', "$")
}
