//! Evidence items on PostgreSQL: the rows the ledger's ingest writes and reads.

use postgres::{Client, GenericClient, Row, Statement};

use super::error::from_pg;
use crate::error::StoreError;
pub(crate) use crate::sqlite::{ITEM_COLUMNS, ITEM_WIDTH};
use crate::sqlite::{ItemRow, item_hashes, item_record, to_i64};
use crate::store::{ItemRecord, NewItem};

/// An item row (selected as [`ITEM_COLUMNS`]) as a record; the same checks as on SQLite.
pub(crate) fn item_from_row(r: &Row) -> Result<ItemRecord, StoreError> {
    item_record(item_cols(r)?)
}

/// An item row (selected as [`ITEM_COLUMNS`]) read into SQLite's [`ItemRow`].
pub(crate) fn item_cols(r: &Row) -> Result<ItemRow, StoreError> {
    let get = |e: postgres::Error| StoreError::Corrupt(format!("item row: {e}"));
    Ok((
        (
            r.try_get(0).map_err(get)?,
            r.try_get(1).map_err(get)?,
            r.try_get(2).map_err(get)?,
            r.try_get(3).map_err(get)?,
        ),
        (
            r.try_get(4).map_err(get)?,
            r.try_get(5).map_err(get)?,
            r.try_get(6).map_err(get)?,
            r.try_get(7).map_err(get)?,
            r.try_get(8).map_err(get)?,
            r.try_get(9).map_err(get)?,
            r.try_get(10).map_err(get)?,
        ),
    ))
}

/// The statements an item write runs, prepared once per commit.
pub(crate) struct ItemStatements {
    item: Statement,
    data_key: Statement,
}

impl ItemStatements {
    pub(crate) fn prepare(tx: &mut Client) -> Result<Self, StoreError> {
        Ok(Self {
            item: tx
                .prepare(
                    "INSERT INTO items (id, sha256, bytes, salt, case_ref, created_at, log_index,
                                        blob_digest, sealed, blob_hash)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .map_err(from_pg)?,
            data_key: tx
                .prepare(
                    "INSERT INTO data_keys (record, scope, key_version, wrapped)
                     VALUES ($1, $2, $3, $4)",
                )
                .map_err(from_pg)?,
        })
    }
}

/// Inserts an evidence item recorded as entry `idx` at `created_ms`, with its data key.
pub(crate) fn insert_item(
    tx: &mut impl GenericClient,
    stmts: &ItemStatements,
    item: &NewItem,
    created_ms: i64,
    idx: i64,
) -> Result<(), StoreError> {
    if let Some(key) = &item.data_key {
        tx.execute(
            &stmts.data_key,
            &[
                &key.record,
                &key.scope,
                &i64::from(key.key_version),
                &key.wrapped,
            ],
        )
        .map_err(from_pg)?;
    }
    let (sha, salt, (blob_digest, blob_hash)) = item_hashes(item)?;
    tx.execute(
        &stmts.item,
        &[
            &item.id.as_str(),
            &sha,
            &to_i64(item.bytes)?,
            &salt,
            &item.case_ref,
            &created_ms,
            &idx,
            &blob_digest,
            &item.sealed,
            &blob_hash,
        ],
    )
    .map_err(from_pg)?;
    Ok(())
}
