//! Reading every table of a SQLite database in one snapshot, and writing them into an
//! empty one in one transaction.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, params_from_iter};

use super::rows::{Msg, RowSender, SEEDED, TABLES, TableCounts, Value, check_columns};
use super::{MigrateError, load_error};
use crate::error::StoreError;

fn open(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(60))?;
    Ok(conn)
}

/// Every table of the database, for [`super::rows::check_tables`].
pub fn table_names(conn: &Connection) -> Result<Vec<String>, StoreError> {
    // SQLite's own tables (`sqlite_sequence`, `sqlite_stat1`...) are its bookkeeping.
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

fn value(table: &str, v: ValueRef<'_>) -> Result<Value, String> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|_| format!("table {table} holds text that is not UTF-8"))?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        ValueRef::Real(_) => {
            return Err(format!("table {table} holds a REAL, which no column has"));
        }
    })
}

/// Sends every table of the database at `path`, read inside one read transaction (one
/// snapshot of the WAL: whatever commits meanwhile is not seen), to `tx`. Returns the
/// rows sent per table. Errors are also sent as [`Msg::Failed`], so the writer rolls back.
pub fn dump(path: &Path, tx: &SyncSender<Msg>) -> Result<TableCounts, MigrateError> {
    let result = dump_inner(path, tx);
    if let Err(e) = &result {
        let _ = tx.send(Msg::Failed(e.to_string()));
    }
    result
}

fn dump_inner(path: &Path, tx: &SyncSender<Msg>) -> Result<TableCounts, MigrateError> {
    // Read-write flags, though nothing is written: a read-only connection cannot open a
    // WAL database whose shared-memory file is gone (no other connection open).
    let mut conn = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let snapshot = conn.transaction()?;
    super::rows::check_tables(&table_names(&snapshot)?).map_err(MigrateError::Schema)?;
    let mut out = RowSender::new(tx);
    for &table in TABLES {
        let cols = Arc::new(columns(&snapshot, table)?);
        out.table(table, cols.clone())?;
        let mut stmt = snapshot.prepare(&format!("SELECT * FROM {table}"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(cols.len());
            for i in 0..cols.len() {
                values.push(value(table, row.get_ref(i)?).map_err(MigrateError::Schema)?);
            }
            out.row(values)?;
        }
    }
    out.end()
}

fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Text(t) => SqlValue::Text(t.clone()),
        Value::Bytes(b) => SqlValue::Blob(b.clone()),
    }
}

/// Whether the database holds nothing but what its schema made: an empty log, no rows in
/// any other table. Names the first table that holds something.
pub fn first_nonempty(conn: &Connection) -> Result<Option<&'static str>, StoreError> {
    let size: i64 = conn.query_row("SELECT size FROM log_head WHERE id = 1", [], |r| r.get(0))?;
    if size != 0 {
        return Ok(Some("log_head"));
    }
    for &table in TABLES.iter().filter(|t| **t != "log_head") {
        let any: bool =
            conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), [], |r| {
                r.get(0)
            })?;
        if any {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

/// Writes what `rx` brings into the (empty) database at `path` in one `BEGIN IMMEDIATE`
/// transaction, committed only after [`Msg::End`]; refuses a database that holds anything.
pub fn load(path: &Path, rx: Receiver<Msg>) -> Result<TableCounts, MigrateError> {
    let mut conn = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;")?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Checked at commit, not per row: the order of TABLES satisfies every reference, and a
    // violation still fails the whole copy.
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    if let Some(table) = first_nonempty(&tx)? {
        return Err(MigrateError::TargetNotEmpty(table.to_owned()));
    }
    let mut counts: TableCounts = Vec::with_capacity(TABLES.len());
    let mut insert: Option<String> = None;
    loop {
        match rx.recv().map_err(|_| load_error("the reader stopped"))? {
            Msg::Table { name, columns } => {
                check_columns(name, &columns, &self::columns(&tx, name)?)
                    .map_err(MigrateError::Schema)?;
                if SEEDED.contains(&name) {
                    tx.execute(&format!("DELETE FROM {name}"), [])?;
                }
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                insert = Some(format!(
                    "INSERT INTO {name} ({}) VALUES ({})",
                    columns.join(", "),
                    marks.join(", ")
                ));
                counts.push((name, 0));
            }
            Msg::Rows(rows) => {
                let (sql, count) = match (&insert, counts.last_mut()) {
                    (Some(sql), Some((_, count))) => (sql, count),
                    _ => return Err(load_error("rows before a table")),
                };
                let mut stmt = tx.prepare_cached(sql)?;
                for row in &rows {
                    stmt.execute(params_from_iter(row.iter().map(sql_value)))?;
                    *count += 1;
                }
            }
            Msg::Failed(why) => return Err(MigrateError::Source(why)),
            Msg::End => break,
        }
    }
    tx.commit()?;
    Ok(counts)
}
