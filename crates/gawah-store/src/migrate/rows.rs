//! The tables a copy moves, in one place for both directions, and the rows that travel
//! between a source's snapshot and a target's transaction.
//!
//! The list is explicit rather than read from a catalogue: a table missing here is a
//! table a copy would silently leave behind, so `check_tables` compares it with every
//! table the source database has and refuses a difference. Columns are read from the
//! source and must be the same set on the target (a schema that differs between backends
//! is a bug that a copy must not hide).

use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use super::MigrateError;

/// Every table of the schema (SQLite `user_version` 10, PostgreSQL version 1), in an order
/// where each table comes after the tables its foreign keys name.
pub const TABLES: &[&str] = &[
    "log_head",
    "log_entries",
    "log_nodes",
    "checkpoints",
    "custody_events",
    "items",
    "orgs",
    "members",
    "sessions",
    "api_tokens",
    "edicts",
    "incidents",
    "incident_edicts",
    "record_versions",
    "endorsements",
    "item_owners",
    "incident_items",
    "uploads",
    "keyring",
    "org_keys",
    "data_keys",
    "shredded",
    "people",
    "acts",
    "act_people",
    "testimonies",
    "erasure_requests",
    "intake_keys",
    "submissions",
    "submission_parts",
    "derivatives",
    "incident_counts",
    "incident_list_versions",
    "incident_links",
    "vocab_terms",
    "witnessed_logs",
    "witnesses",
    "checkpoint_cosignatures",
    "checkpoint_timestamps",
];

/// Tables whose rows an empty target already has (the empty log's head, made by the
/// schema) or gains by itself while the copy runs (incident counts and list versions, kept
/// by triggers as incidents are inserted). The target's rows are deleted when the copy
/// reaches the table, then the source's rows inserted, so they end up as the source has
/// them, byte for byte.
pub const SEEDED: &[&str] = &["log_head", "incident_counts", "incident_list_versions"];

/// Tables the schema keeps for itself, never copied: each backend counts its own versions.
pub const OWN: &[&str] = &["schema_version", "sqlite_sequence"];

/// Rows per message from the reader to the writer: large enough that a message costs
/// nothing per row, small enough to keep memory flat (entries are at most 64 KiB).
pub const BATCH_ROWS: usize = 512;

/// One value of a column. The schema uses three types on both backends: integers
/// (`INTEGER`/`BIGINT`), text (`TEXT`) and bytes (`BLOB`/`BYTEA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// What the reader sends the writer, in this order: for each table of [`TABLES`] a
/// `Table`, then its rows; then `End`. The writer commits only after `End`, so a reader
/// that stops half way (an error, a crash) leaves the target as it was.
#[derive(Debug)]
pub enum Msg {
    /// The next table and its columns (the source's order; each row follows it).
    Table {
        /// The table.
        name: &'static str,
        /// Its columns.
        columns: Arc<Vec<String>>,
    },
    /// Rows of the current table.
    Rows(Vec<Vec<Value>>),
    /// The reader failed; the writer rolls back.
    Failed(String),
    /// Every table was sent.
    End,
}

/// Rows copied per table, as the reader counted them and the writer wrote them.
pub type TableCounts = Vec<(&'static str, u64)>;

/// The reader's end of the channel, the same for both backends: announces each table,
/// sends its rows in batches of [`BATCH_ROWS`], counts them, and ends the stream.
#[derive(Debug)]
pub struct RowSender<'a> {
    tx: &'a SyncSender<Msg>,
    batch: Vec<Vec<Value>>,
    counts: TableCounts,
}

impl<'a> RowSender<'a> {
    /// A sender on `tx`.
    pub fn new(tx: &'a SyncSender<Msg>) -> Self {
        RowSender {
            tx,
            batch: Vec::with_capacity(BATCH_ROWS),
            counts: Vec::with_capacity(TABLES.len()),
        }
    }

    fn send(&self, msg: Msg) -> Result<(), MigrateError> {
        self.tx
            .send(msg)
            .map_err(|_| MigrateError::Target("the writer stopped".into()))
    }

    fn flush(&mut self) -> Result<(), MigrateError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_ROWS));
        self.send(Msg::Rows(rows))
    }

    /// Ends the table before (if any) and announces `name` with its columns.
    pub fn table(
        &mut self,
        name: &'static str,
        columns: Arc<Vec<String>>,
    ) -> Result<(), MigrateError> {
        self.flush()?;
        self.counts.push((name, 0));
        self.send(Msg::Table { name, columns })
    }

    /// One row of the current table.
    pub fn row(&mut self, values: Vec<Value>) -> Result<(), MigrateError> {
        if let Some((_, n)) = self.counts.last_mut() {
            *n += 1;
        }
        self.batch.push(values);
        if self.batch.len() == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends what is left and `End`; the rows sent per table.
    pub fn end(mut self) -> Result<TableCounts, MigrateError> {
        self.flush()?;
        self.send(Msg::End)?;
        Ok(self.counts)
    }
}

/// Refuses a source with a table that [`TABLES`] does not name (or lacks one it names):
/// a copy must never leave a table behind.
pub fn check_tables(found: &[String]) -> Result<(), String> {
    let known = |t: &str| TABLES.contains(&t) || OWN.contains(&t);
    if let Some(extra) = found.iter().find(|t| !known(t)) {
        return Err(format!(
            "the source has a table {extra:?} that the copy does not know; upgrade gawah"
        ));
    }
    if let Some(missing) = TABLES.iter().find(|t| !found.iter().any(|f| f == *t)) {
        return Err(format!("the source has no table {missing:?}"));
    }
    Ok(())
}

/// Refuses a target whose columns of `table` differ from the source's.
pub fn check_columns(table: &str, source: &[String], target: &[String]) -> Result<(), String> {
    let mut a = source.to_vec();
    let mut b = target.to_vec();
    a.sort();
    b.sort();
    if a != b {
        return Err(format!(
            "table {table} has columns {a:?} on the source but {b:?} on the target"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_listed_once() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(!TABLES[i + 1..].contains(t), "{t} twice");
        }
        assert!(SEEDED.iter().all(|t| TABLES.contains(t)));
    }

    #[test]
    fn an_unknown_or_missing_table_is_refused() {
        let mut found: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
        assert!(check_tables(&found).is_ok());
        found.push("new_table".into());
        assert!(check_tables(&found).unwrap_err().contains("new_table"));
        found.pop();
        found.retain(|t| t != "keyring");
        assert!(check_tables(&found).unwrap_err().contains("keyring"));
    }
}
