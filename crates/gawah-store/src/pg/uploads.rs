//! Evidence uploads on PostgreSQL: the item, its owner and its incident link written inside
//! the commit transaction, the [`UploadStore`] reads, and the resumable uploads' state.
//!
//! The partial files of resumable uploads stay on local disk, in `uploads/` of the data dir
//! the store was given ([`PgStore::with_data_dir`]), as on SQLite (where the folder is beside
//! the database file). So a resumable upload must be resumed on the server that began it;
//! its row, and the item it becomes, are in the shared database.

use std::path::PathBuf;

use gawah_core::{IncidentId, ItemId, OrgId};
use postgres::{Client, Row};

use super::PgStore;
use super::error::from_pg;
use super::items::{ITEM_COLUMNS, ITEM_WIDTH, ItemStatements, insert_item, item_cols};
use super::keys::write_data_key;
use super::records::{corrupt, flag};
use crate::error::StoreError;
use crate::records::{EvidenceWrite, LinkedItem, NewUpload, UploadRow, UploadStore};
use crate::sqlite::to_i64;
use crate::sqlite_uploads::{UploadCols, item_incident, linked_item};

/// `RecordWrite::Evidence`: an uploaded item, its owner, its link and (for a resumable
/// upload) the upload's completion, as entry `idx` at `now`.
pub(crate) fn write_evidence(
    tx: &mut Client,
    idx: i64,
    now: i64,
    e: &EvidenceWrite,
) -> Result<(), StoreError> {
    let item = &e.item;
    let stmts = ItemStatements::prepare(tx)?;
    insert_item(tx, &stmts, item, now, idx)?;
    tx.execute(
        "INSERT INTO item_owners (item_id, org_id, member_id, confidential)
         VALUES ($1, $2, $3, $4)",
        &[
            &item.id.as_str(),
            &e.org.as_str(),
            &e.member.as_str(),
            &flag(e.confidential),
        ],
    )
    .map_err(from_pg)?;
    if let Some(incident) = &e.incident {
        // Only an incident of the same organisation may be linked.
        let same_org = tx
            .query_opt(
                "SELECT 1 FROM incidents WHERE id = $1 AND org_id = $2",
                &[&incident.as_str(), &e.org.as_str()],
            )
            .map_err(from_pg)?;
        if same_org.is_none() {
            return Err(StoreError::NotFound(format!("incident {incident}")));
        }
        tx.execute(
            "INSERT INTO incident_items (incident_id, item_id, log_index) VALUES ($1, $2, $3)",
            &[&incident.as_str(), &item.id.as_str(), &idx],
        )
        .map_err(from_pg)?;
    }
    if let Some(upload) = &e.upload {
        // The upload's own key (its sealed name, its partial file) is no longer needed.
        tx.execute("DELETE FROM data_keys WHERE record = $1", &[upload])
            .map_err(from_pg)?;
        let changed = tx
            .execute(
                "UPDATE uploads SET item_id = $2, received = length
                 WHERE id = $1 AND item_id IS NULL AND received = length AND org_id = $3",
                &[upload, &item.id.as_str(), &e.org.as_str()],
            )
            .map_err(from_pg)?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "upload {upload} is not complete, already finished, or gone"
            )));
        }
    }
    Ok(())
}

const UPLOAD_SELECT: &str =
    "SELECT u.id, u.org_id, u.member_id, u.length, u.received, u.file_name, u.case_ref,
        u.incident_id, u.confidential, u.created_at, u.item_id, i.sha256, i.bytes, i.log_index,
        u.sealed
     FROM uploads u LEFT JOIN items i ON i.id = u.item_id WHERE u.id = $1";

fn upload_row(r: &Row) -> Result<UploadRow, StoreError> {
    let get = |e: postgres::Error| corrupt("upload row", e);
    let cols: UploadCols = (
        r.try_get(0).map_err(get)?,
        r.try_get(1).map_err(get)?,
        r.try_get(2).map_err(get)?,
        r.try_get(3).map_err(get)?,
        r.try_get(4).map_err(get)?,
        r.try_get(5).map_err(get)?,
        r.try_get(6).map_err(get)?,
        r.try_get(7).map_err(get)?,
        r.try_get::<_, i64>(8).map_err(get)? != 0,
        r.try_get(9).map_err(get)?,
        r.try_get(10).map_err(get)?,
        r.try_get(11).map_err(get)?,
        r.try_get(12).map_err(get)?,
        r.try_get(13).map_err(get)?,
        r.try_get(14).map_err(get)?,
    );
    crate::sqlite_uploads::upload_row(cols)
}

impl PgStore {
    /// The data dir whose `uploads/` holds partial upload files (see the module doc).
    /// Without one, [`UploadStore::uploads_dir`] is refused, as for an in-memory SQLite.
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
}

impl UploadStore for PgStore {
    fn incident_items(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<LinkedItem>, StoreError> {
        let (org, incident) = (org.as_str().to_owned(), incident.as_str().to_owned());
        let columns = ITEM_COLUMNS
            .split(", ")
            .map(|c| format!("i.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, o.confidential, l.log_index
             FROM incident_items l
             JOIN incidents n ON n.id = l.incident_id
             JOIN items i ON i.id = l.item_id
             LEFT JOIN item_owners o ON o.item_id = i.id
             WHERE l.incident_id = $1 AND n.org_id = $2
             ORDER BY l.log_index"
        );
        let rows = self
            .pool
            .read(move |c| c.query(&sql, &[&incident, &org]).map_err(from_pg))?;
        rows.iter()
            .map(|r| {
                let get = |e: postgres::Error| corrupt("linked item row", e);
                let conf: Option<i64> = r.try_get(ITEM_WIDTH).map_err(get)?;
                let linked_at = r.try_get(ITEM_WIDTH + 1).map_err(get)?;
                linked_item((item_cols(r)?, conf.map(|c| c != 0), linked_at))
            })
            .collect()
    }

    fn item_incidents(&self, item: &ItemId) -> Result<Vec<(OrgId, IncidentId)>, StoreError> {
        let item = item.as_str().to_owned();
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT n.org_id, n.id FROM incident_items l JOIN incidents n ON n.id = l.incident_id
                 WHERE l.item_id = $1 ORDER BY l.log_index",
                &[&item],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| item_incident(r.get(0), r.get(1)))
            .collect()
    }

    fn uploads_dir(&self) -> Result<PathBuf, StoreError> {
        let dir = self
            .data_dir
            .as_ref()
            .map(|d| d.join("uploads"))
            .ok_or_else(|| StoreError::Invalid("the database has no folder for uploads".into()))?;
        if !dir.is_dir() {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| StoreError::Database(format!("create {}: {e}", dir.display())))?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| StoreError::Database(format!("chmod {}: {e}", dir.display())))?;
        }
        Ok(dir)
    }

    fn upload_create(&self, u: &NewUpload) -> Result<(), StoreError> {
        let u = u.clone();
        self.pool.transaction(move |c| {
            if let Some(key) = &u.data_key {
                write_data_key(c, key)?;
            }
            c.execute(
                "INSERT INTO uploads (id, org_id, member_id, length, received, file_name,
                                      case_ref, incident_id, confidential, created_at, sealed)
                 VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $10)",
                &[
                    &u.id,
                    &u.org.as_str(),
                    &u.member.as_str(),
                    &to_i64(u.length)?,
                    &u.file_name,
                    &u.case_ref,
                    &u.incident.as_ref().map(IncidentId::as_str),
                    &flag(u.confidential),
                    &u.created_at.millis(),
                    &u.sealed,
                ],
            )
            .map_err(from_pg)?;
            Ok(())
        })
    }

    fn upload(&self, id: &str) -> Result<Option<UploadRow>, StoreError> {
        let id = id.to_owned();
        let row = self
            .pool
            .read(move |c| c.query_opt(UPLOAD_SELECT, &[&id]).map_err(from_pg))?;
        row.as_ref().map(upload_row).transpose()
    }

    fn upload_advance(&self, id: &str, from: u64, to: u64) -> Result<bool, StoreError> {
        let (id, from, to) = (id.to_owned(), to_i64(from)?, to_i64(to)?);
        let changed = self.pool.transaction(move |c| {
            c.execute(
                "UPDATE uploads SET received = $3
                 WHERE id = $1 AND received = $2 AND item_id IS NULL AND $3 <= length",
                &[&id, &from, &to],
            )
            .map_err(from_pg)
        })?;
        Ok(changed == 1)
    }

    fn upload_delete(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let changed = self.pool.transaction(move |c| {
            c.execute("DELETE FROM uploads WHERE id = $1", &[&id])
                .map_err(from_pg)
        })?;
        Ok(changed == 1)
    }
}
