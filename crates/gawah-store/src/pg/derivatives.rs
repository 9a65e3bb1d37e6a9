//! Derived working copies on PostgreSQL: the new item written as an upload (item, owner,
//! incident link) plus its `derivatives` row, inside the commit transaction; and the reads
//! of ownership and derivatives. Same meaning as `sqlite_derivatives.rs`.

use gawah_core::{ItemId, OrgId};
use postgres::Client;

use super::PgStore;
use super::error::from_pg;
use super::items::{ITEM_COLUMNS, ITEM_WIDTH, item_from_row};
use super::records::corrupt;
use super::uploads::write_evidence;
use crate::error::StoreError;
use crate::records::{DerivativeRow, DerivativeStore, DerivativeWrite, OwnedItem};
use crate::sqlite::to_u64;

/// `RecordWrite::Derivative`: the original must be an item of the same organisation.
pub(crate) fn write_derivative(
    tx: &mut Client,
    idx: i64,
    now: i64,
    d: &DerivativeWrite,
) -> Result<(), StoreError> {
    let same_org = tx
        .query_opt(
            "SELECT 1 FROM item_owners WHERE item_id = $1 AND org_id = $2",
            &[&d.original.as_str(), &d.evidence.org.as_str()],
        )
        .map_err(from_pg)?;
    if same_org.is_none() {
        return Err(StoreError::NotFound(format!("item {}", d.original)));
    }
    write_evidence(tx, idx, now, &d.evidence)?;
    tx.execute(
        "INSERT INTO derivatives (item_id, original_id, kind, params, log_index)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &d.evidence.item.id.as_str(),
            &d.original.as_str(),
            &d.kind.as_str(),
            &d.params,
            &idx,
        ],
    )
    .map_err(from_pg)?;
    Ok(())
}

impl DerivativeStore for PgStore {
    fn owned_item(&self, org: &OrgId, item: &ItemId) -> Result<Option<OwnedItem>, StoreError> {
        let (org, item) = (org.as_str().to_owned(), item.as_str().to_owned());
        let columns = ITEM_COLUMNS
            .split(", ")
            .map(|c| format!("i.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, o.confidential,
                    (SELECT l.incident_id FROM incident_items l WHERE l.item_id = i.id
                     ORDER BY l.log_index LIMIT 1)
             FROM items i JOIN item_owners o ON o.item_id = i.id
             WHERE i.id = $1 AND o.org_id = $2"
        );
        let row = self
            .pool
            .read(move |c| c.query_opt(&sql, &[&item, &org]).map_err(from_pg))?;
        let Some(r) = row else {
            return Ok(None);
        };
        let get = |e: postgres::Error| corrupt("owned item row", e);
        let incident: Option<String> = r.try_get(ITEM_WIDTH + 1).map_err(get)?;
        let confidential: i64 = r.try_get(ITEM_WIDTH).map_err(get)?;
        Ok(Some(OwnedItem {
            item: item_from_row(&r)?,
            confidential: confidential != 0,
            incident: incident
                .map(|i| i.parse())
                .transpose()
                .map_err(|e| corrupt("item incident", e))?,
        }))
    }

    fn derivatives(&self, original: &ItemId) -> Result<Vec<DerivativeRow>, StoreError> {
        let original = original.as_str().to_owned();
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT item_id, original_id, kind, params, log_index FROM derivatives
                 WHERE original_id = $1 ORDER BY log_index",
                &[&original],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                let (item, original): (String, String) = (r.get(0), r.get(1));
                Ok(DerivativeRow {
                    item: item.parse().map_err(|e| corrupt("derivative", e))?,
                    original: original.parse().map_err(|e| corrupt("derivative", e))?,
                    kind: r.get(2),
                    params: r.get(3),
                    log_index: to_u64(r.get(4))?,
                })
            })
            .collect()
    }
}
