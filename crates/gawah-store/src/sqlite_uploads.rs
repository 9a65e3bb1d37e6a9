//! Evidence uploads on SQLite: the item, its owner and its incident link written inside
//! [`Store::commit`](crate::Store::commit)'s transaction, and the [`UploadStore`] reads and
//! the resumable uploads' state.

use std::path::PathBuf;

use gawah_core::{IncidentId, OrgId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::records::{EvidenceWrite, LinkedItem, NewUpload, UploadDone, UploadRow, UploadStore};
use crate::sqlite::{SqliteStore, to_i64, to_u64};

/// Writes an uploaded item, its owner, its link and (for a resumable upload) the upload's
/// completion inside the caller's transaction, as entry `idx` at `now`.
pub(crate) fn write_evidence(
    tx: &Connection,
    idx: i64,
    now: i64,
    e: &EvidenceWrite,
) -> Result<(), StoreError> {
    let item = &e.item;
    crate::sqlite::insert_item(tx, item, now, idx)?;
    tx.prepare_cached(
        "INSERT INTO item_owners (item_id, org_id, member_id, confidential) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        item.id.as_str(),
        e.org.as_str(),
        e.member.as_str(),
        e.confidential
    ])?;
    if let Some(incident) = &e.incident {
        // Only an incident of the same organisation may be linked.
        let same_org: Option<i64> = tx
            .prepare_cached("SELECT 1 FROM incidents WHERE id = ?1 AND org_id = ?2")?
            .query_row([incident.as_str(), e.org.as_str()], |r| r.get(0))
            .optional()?;
        if same_org.is_none() {
            return Err(StoreError::NotFound(format!("incident {incident}")));
        }
        tx.prepare_cached(
            "INSERT INTO incident_items (incident_id, item_id, log_index) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![incident.as_str(), item.id.as_str(), idx])?;
    }
    if let Some(upload) = &e.upload {
        // The upload's own key (its sealed name, its partial file) is no longer needed.
        tx.execute("DELETE FROM data_keys WHERE record = ?1", [upload])?;
        let changed = tx
            .prepare_cached(
                "UPDATE uploads SET item_id = ?2, received = length
                 WHERE id = ?1 AND item_id IS NULL AND received = length AND org_id = ?3",
            )?
            .execute(params![upload, item.id.as_str(), e.org.as_str()])?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "upload {upload} is not complete, already finished, or gone"
            )));
        }
    }
    Ok(())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// An upload's columns in `UPLOAD_SELECT`'s order (both backends read them into this).
pub(crate) type UploadCols = (
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<Vec<u8>>,
);

const UPLOAD_SELECT: &str =
    "SELECT u.id, u.org_id, u.member_id, u.length, u.received, u.file_name, u.case_ref,
        u.incident_id, u.confidential, u.created_at, u.item_id, i.sha256, i.bytes, i.log_index,
        u.sealed
     FROM uploads u LEFT JOIN items i ON i.id = u.item_id WHERE u.id = ?1";

fn upload_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<UploadCols> {
    r.try_into()
}

pub(crate) fn upload_row(c: UploadCols) -> Result<UploadRow, StoreError> {
    let (id, org, member, length, received, file_name, case_ref, incident, conf, created, item) =
        (c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10);
    let done = match (item, c.11, c.12, c.13) {
        (Some(item), sha, Some(bytes), Some(log_index)) => Some(UploadDone {
            item: item.parse().map_err(|e| corrupt("upload item", e))?,
            sha256: sha
                .map(|s| s.parse().map_err(|e| corrupt("upload sha256", e)))
                .transpose()?,
            bytes: to_u64(bytes)?,
            log_index: to_u64(log_index)?,
        }),
        (None, ..) => None,
        _ => return Err(corrupt("upload", format!("{id} names a missing item"))),
    };
    Ok(UploadRow {
        org: org.parse().map_err(|e| corrupt("upload org", e))?,
        member: member.parse().map_err(|e| corrupt("upload member", e))?,
        length: to_u64(length)?,
        offset: to_u64(received)?,
        file_name,
        case_ref,
        incident: incident
            .map(|i| i.parse::<IncidentId>())
            .transpose()
            .map_err(|e| corrupt("upload incident", e))?,
        confidential: conf,
        created_at: Timestamp::from_millis(created),
        done,
        sealed: c.14,
        id,
    })
}

/// An item linked to an incident as plain values: the item's columns, its owner's
/// confidential flag (`None` without an owner row), the link's log index.
pub(crate) type LinkedCols = (crate::sqlite::ItemRow, Option<bool>, i64);

/// A linked item checked and typed; an item without an owner row is not confidential.
pub(crate) fn linked_item((item, conf, link): LinkedCols) -> Result<LinkedItem, StoreError> {
    Ok(LinkedItem {
        item: crate::sqlite::item_record(item)?,
        confidential: conf.unwrap_or(false),
        link_index: to_u64(link)?,
    })
}

/// An incident an item is linked to, as its organisation and id.
pub(crate) fn item_incident(
    org: String,
    incident: String,
) -> Result<(OrgId, IncidentId), StoreError> {
    Ok((
        org.parse().map_err(|e| corrupt("incident_items", e))?,
        incident.parse().map_err(|e| corrupt("incident_items", e))?,
    ))
}

impl UploadStore for SqliteStore {
    fn incident_items(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<LinkedItem>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT i.id, i.sha256, i.bytes, i.salt, i.case_ref, i.file_name, i.created_at, i.log_index,
                    i.sealed, i.blob_digest, i.blob_hash, o.confidential, l.log_index
             FROM incident_items l
             JOIN incidents n ON n.id = l.incident_id
             JOIN items i ON i.id = l.item_id
             LEFT JOIN item_owners o ON o.item_id = i.id
             WHERE l.incident_id = ?1 AND n.org_id = ?2
             ORDER BY l.log_index",
        )?;
        let rows = stmt.query_map([incident.as_str(), org.as_str()], |r| {
            let at = crate::sqlite::ITEM_WIDTH;
            Ok((crate::sqlite::item_from_row(r)?, r.get(at)?, r.get(at + 1)?))
        })?;
        rows.map(|r| linked_item(r?)).collect()
    }

    fn item_incidents(
        &self,
        item: &gawah_core::ItemId,
    ) -> Result<Vec<(OrgId, IncidentId)>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT n.org_id, n.id FROM incident_items l JOIN incidents n ON n.id = l.incident_id
             WHERE l.item_id = ?1 ORDER BY l.log_index",
        )?;
        let rows = stmt.query_map([item.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (org, incident) = r?;
            item_incident(org, incident)
        })
        .collect()
    }

    fn uploads_dir(&self) -> Result<PathBuf, StoreError> {
        let db = self
            .lock()
            .path()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| StoreError::Invalid("the database has no folder for uploads".into()))?;
        let dir = db
            .parent()
            .map_or_else(|| PathBuf::from("uploads"), |p| p.join("uploads"));
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .create(&dir)
                .map_err(|e| StoreError::Database(format!("create {}: {e}", dir.display())))?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| StoreError::Database(format!("chmod {}: {e}", dir.display())))?;
        }
        Ok(dir)
    }

    fn upload_create(&self, u: &NewUpload) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if let Some(key) = &u.data_key {
            crate::sqlite_keys::write_data_key(&tx, key)?;
        }
        tx.execute(
            "INSERT INTO uploads (id, org_id, member_id, length, received, file_name, case_ref, incident_id, confidential, created_at, sealed)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                u.id,
                u.org.as_str(),
                u.member.as_str(),
                to_i64(u.length)?,
                u.file_name,
                u.case_ref,
                u.incident.as_ref().map(IncidentId::as_str),
                u.confidential,
                u.created_at.millis(),
                u.sealed
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn upload(&self, id: &str) -> Result<Option<UploadRow>, StoreError> {
        self.read()?
            .query_row(UPLOAD_SELECT, [id], upload_cols)
            .optional()?
            .map(upload_row)
            .transpose()
    }

    fn upload_advance(&self, id: &str, from: u64, to: u64) -> Result<bool, StoreError> {
        let changed = self.lock().execute(
            "UPDATE uploads SET received = ?3
             WHERE id = ?1 AND received = ?2 AND item_id IS NULL AND ?3 <= length",
            params![id, to_i64(from)?, to_i64(to)?],
        )?;
        Ok(changed == 1)
    }

    fn upload_delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .execute("DELETE FROM uploads WHERE id = ?1", [id])?
            == 1)
    }
}
