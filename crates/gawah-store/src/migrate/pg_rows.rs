//! Reading every table of a PostgreSQL schema in one snapshot, and writing them into an
//! empty one in one transaction.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};

use super::rows::{Msg, RowSender, SEEDED, TABLES, TableCounts, Value, check_columns};
use super::{MigrateError, load_error};
use crate::error::StoreError;
use crate::pg::{PgStore, from_pg};

/// Every table of the schema gawah uses (the first on `search_path`).
fn table_names(client: &mut Client) -> Result<Vec<String>, StoreError> {
    let rows = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .map_err(from_pg)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

fn columns(client: &mut Client, table: &str) -> Result<Vec<String>, StoreError> {
    let rows = client
        .query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .map_err(from_pg)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

fn value(table: &str, row: &postgres::Row, i: usize) -> Result<Value, MigrateError> {
    let ty = row.columns()[i].type_();
    let v = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
    } else if *ty == Type::TEXT {
        row.try_get::<_, Option<String>>(i)
            .map(|v| v.map(Value::Text))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)
            .map(|v| v.map(Value::Bytes))
    } else {
        return Err(MigrateError::Schema(format!(
            "table {table} has a column of type {ty}, which the copy does not know"
        )));
    };
    Ok(v.map_err(from_pg)?.unwrap_or(Value::Null))
}

/// Sends every table of `store`'s schema, read in one REPEATABLE READ, READ ONLY
/// transaction (one snapshot: appends committed meanwhile are not seen), to `tx`. Blocks
/// until the writer has taken every message.
pub fn dump(store: &PgStore, tx: SyncSender<Msg>) -> Result<TableCounts, MigrateError> {
    let failed = tx.clone();
    let result = store
        .in_transaction(move |client| Ok(dump_in(client, &tx)))
        .map_err(MigrateError::from)
        .and_then(|r| r);
    if let Err(e) = &result {
        let _ = failed.send(Msg::Failed(e.to_string()));
    }
    result
}

fn dump_in(client: &mut Client, tx: &SyncSender<Msg>) -> Result<TableCounts, MigrateError> {
    client
        .batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .map_err(from_pg)?;
    super::rows::check_tables(&table_names(client)?).map_err(MigrateError::Schema)?;
    let mut out = RowSender::new(tx);
    for &table in TABLES {
        let cols = Arc::new(columns(client, table)?);
        out.table(table, cols.clone())?;
        let sql = format!("SELECT {} FROM {table}", cols.join(", "));
        let mut rows = client
            .query_raw(sql.as_str(), std::iter::empty::<i64>())
            .map_err(from_pg)?;
        while let Some(row) = rows.next().map_err(from_pg)? {
            let values = (0..cols.len())
                .map(|i| value(table, &row, i))
                .collect::<Result<Vec<_>, _>>()?;
            out.row(values)?;
        }
    }
    out.end()
}

/// The first table of an empty-looking schema that holds something, if any.
fn first_nonempty(client: &mut Client) -> Result<Option<&'static str>, StoreError> {
    let size: i64 = client
        .query_one("SELECT size FROM log_head WHERE id = 1", &[])
        .map_err(from_pg)?
        .get(0);
    if size != 0 {
        return Ok(Some("log_head"));
    }
    for &table in TABLES.iter().filter(|t| **t != "log_head") {
        let any: bool = client
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
            .map_err(from_pg)?
            .get(0);
        if any {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

/// The key appends lock (`pg::append::LOG_LOCK`, ASCII "glog"): holding it keeps every
/// server from appending to the target while the copy runs.
const LOG_LOCK: i64 = 0x676c_6f67;

/// A parameter for a column of type `ty`: NULL needs the column's type to be sent.
fn param(v: &Value, ty: &Type) -> Box<dyn ToSql + Sync> {
    match v {
        Value::Int(i) => Box::new(*i),
        Value::Text(t) => Box::new(t.clone()),
        Value::Bytes(b) => Box::new(b.clone()),
        Value::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        Value::Null if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
        Value::Null => Box::new(None::<String>),
    }
}

/// Writes what `rx` brings into `store`'s (empty) schema in one transaction, committed only
/// after [`Msg::End`]; refuses a schema that holds anything. The log's advisory lock is
/// taken first, so no server can append to the target while the copy runs.
pub fn load(store: &PgStore, rx: Receiver<Msg>) -> Result<TableCounts, MigrateError> {
    // The closure must fail for the transaction to roll back, and its error type is the
    // pool's: the copy's own error waits here and replaces it.
    let why: Arc<Mutex<Option<MigrateError>>> = Arc::default();
    let slot = why.clone();
    let result = store.in_transaction(move |client| {
        load_in(client, &rx).map_err(|e| {
            let message = e.to_string();
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            StoreError::Invalid(message)
        })
    });
    result.map_err(|e| {
        why.lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or(MigrateError::Store(e))
    })
}

fn load_in(client: &mut Client, rx: &Receiver<Msg>) -> Result<TableCounts, MigrateError> {
    client
        .execute(
            "SELECT pg_advisory_xact_lock(($1::bigint << 32) | 'log_head'::regclass::oid::bigint)",
            &[&LOG_LOCK],
        )
        .map_err(from_pg)?;
    if let Some(table) = first_nonempty(client)? {
        return Err(MigrateError::TargetNotEmpty(table.to_owned()));
    }
    let mut counts: TableCounts = Vec::with_capacity(TABLES.len());
    let mut insert: Option<postgres::Statement> = None;
    loop {
        match rx.recv().map_err(|_| load_error("the reader stopped"))? {
            Msg::Table { name, columns } => {
                check_columns(name, &columns, &self::columns(client, name)?)
                    .map_err(MigrateError::Schema)?;
                if SEEDED.contains(&name) {
                    client
                        .execute(&format!("DELETE FROM {name}"), &[])
                        .map_err(from_pg)?;
                }
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {name} ({}) VALUES ({})",
                    columns.join(", "),
                    marks.join(", ")
                );
                insert = Some(client.prepare(&sql).map_err(from_pg)?);
                counts.push((name, 0));
            }
            Msg::Rows(rows) => {
                let (stmt, count) = match (&insert, counts.last_mut()) {
                    (Some(stmt), Some((_, count))) => (stmt, count),
                    _ => return Err(load_error("rows before a table")),
                };
                for row in &rows {
                    let params: Vec<Box<dyn ToSql + Sync>> = row
                        .iter()
                        .zip(stmt.params())
                        .map(|(v, ty)| param(v, ty))
                        .collect();
                    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| &**p).collect();
                    client.execute(stmt, &refs).map_err(from_pg)?;
                    *count += 1;
                }
            }
            Msg::Failed(why) => return Err(MigrateError::Source(why)),
            Msg::End => break,
        }
    }
    Ok(counts)
}
