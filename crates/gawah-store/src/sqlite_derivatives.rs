//! Derived working copies on SQLite: the new item written as an upload (item, owner,
//! incident link) plus its `derivatives` row, inside [`Store::commit`](crate::Store::commit)'s
//! transaction; and the reads of ownership and derivatives.

use gawah_core::{ItemId, OrgId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::records::{DerivativeRow, DerivativeStore, DerivativeWrite, OwnedItem};
use crate::sqlite::{SqliteStore, to_u64};

/// Writes a derived item and its link to the original inside the caller's transaction, as
/// entry `idx` at `now`. The original must be an item of the same organisation.
pub(crate) fn write_derivative(
    tx: &Connection,
    idx: i64,
    now: i64,
    d: &DerivativeWrite,
) -> Result<(), StoreError> {
    let same_org: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM item_owners WHERE item_id = ?1 AND org_id = ?2")?
        .query_row(params![d.original.as_str(), d.evidence.org.as_str()], |r| {
            r.get(0)
        })
        .optional()?;
    if same_org.is_none() {
        return Err(StoreError::NotFound(format!("item {}", d.original)));
    }
    crate::sqlite_uploads::write_evidence(tx, idx, now, &d.evidence)?;
    tx.prepare_cached(
        "INSERT INTO derivatives (item_id, original_id, kind, params, log_index)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        d.evidence.item.id.as_str(),
        d.original.as_str(),
        d.kind.as_str(),
        d.params,
        idx
    ])?;
    Ok(())
}

impl DerivativeStore for SqliteStore {
    fn owned_item(&self, org: &OrgId, item: &ItemId) -> Result<Option<OwnedItem>, StoreError> {
        let conn = self.read()?;
        let row = conn
            .prepare_cached(
                "SELECT i.id, i.sha256, i.bytes, i.salt, i.case_ref, i.file_name, i.created_at,
                        i.log_index, i.sealed, i.blob_digest, i.blob_hash, o.confidential,
                        (SELECT l.incident_id FROM incident_items l WHERE l.item_id = i.id
                         ORDER BY l.log_index LIMIT 1)
                 FROM items i JOIN item_owners o ON o.item_id = i.id
                 WHERE i.id = ?1 AND o.org_id = ?2",
            )?
            .query_row([item.as_str(), org.as_str()], |r| {
                Ok((
                    crate::sqlite::item_from_row(r)?,
                    r.get::<_, bool>(crate::sqlite::ITEM_WIDTH)?,
                    r.get::<_, Option<String>>(crate::sqlite::ITEM_WIDTH + 1)?,
                ))
            })
            .optional()?;
        let Some((item, confidential, incident)) = row else {
            return Ok(None);
        };
        Ok(Some(OwnedItem {
            item: crate::sqlite::item_record(item)?,
            confidential,
            incident: incident
                .map(|i| i.parse())
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("item incident: {e}")))?,
        }))
    }

    fn derivatives(&self, original: &ItemId) -> Result<Vec<DerivativeRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT item_id, original_id, kind, params, log_index FROM derivatives
             WHERE original_id = ?1 ORDER BY log_index",
        )?;
        let rows = stmt.query_map([original.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let corrupt = |e: gawah_core::IdError| StoreError::Corrupt(format!("derivative: {e}"));
        rows.map(|r| {
            let (item, original, kind, params, log_index) = r?;
            Ok(DerivativeRow {
                item: item.parse().map_err(corrupt)?,
                original: original.parse().map_err(corrupt)?,
                kind,
                params,
                log_index: to_u64(log_index)?,
            })
        })
        .collect()
    }
}
