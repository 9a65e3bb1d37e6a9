//! Anonymous intake on SQLite: intake keys and submissions written inside
//! [`Store::commit`](crate::Store::commit)'s transaction, and the [`IntakeStore`] reads.

use gawah_core::OrgId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::intake::{
    IntakeKeyRow, IntakeKeyWrite, IntakeStore, SubmissionId, SubmissionPart, SubmissionPartWrite,
    SubmissionRow, SubmissionStatus, SubmissionStatusWrite, SubmissionWrite,
};
use crate::records::OrgRow;
use crate::sqlite::{SqliteStore, to_u64};
use crate::sqlite_keys::write_data_key;

pub(crate) fn corrupt<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Corrupt(format!("submission: {e}"))
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// Writes an organisation's intake key and the data key that seals its identity.
pub(crate) fn write_intake_key(
    tx: &Connection,
    now: i64,
    w: &IntakeKeyWrite,
) -> Result<(), StoreError> {
    write_data_key(tx, &w.data_key)?;
    tx.execute(
        "INSERT INTO intake_keys (org_id, recipient, identity, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![w.org.as_str(), w.recipient, w.identity, now],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            key_taken(w)
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Writes a new submission and its first part, logged as entry `idx`.
pub(crate) fn write_submission(
    tx: &Connection,
    idx: i64,
    w: &SubmissionWrite,
) -> Result<(), StoreError> {
    let has_key = tx
        .prepare_cached("SELECT 1 FROM intake_keys WHERE org_id = ?1")?
        .query_row([w.org.as_str()], |_| Ok(()))
        .optional()?;
    if has_key.is_none() {
        return Err(StoreError::NotFound(format!("intake key of {}", w.org)));
    }
    tx.prepare_cached(
        "INSERT INTO submissions (id, org_id, receipt_hash, status, created_day, updated_day)
         VALUES (?1, ?2, ?3, 'received', ?4, ?4)",
    )?
    .execute(params![
        w.id.as_str(),
        w.org.as_str(),
        &w.receipt_hash[..],
        w.day
    ])?;
    insert_part(tx, idx, &w.id, 1, &w.day, &w.sealed)
}

fn insert_part(
    tx: &Connection,
    idx: i64,
    id: &SubmissionId,
    part: u32,
    day: &str,
    sealed: &[u8],
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO submission_parts (submission_id, part, sealed, created_day, log_index)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.as_str(), part, sealed, day, idx])
    .map_err(|e| {
        if is_constraint(&e) {
            part_taken(part, id)
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// The refusal of a second intake key of an organisation.
pub(crate) fn key_taken(w: &IntakeKeyWrite) -> StoreError {
    StoreError::Conflict(format!("{} already has an intake key", w.org))
}

/// The refusal of a part number already taken (by a concurrent addition).
pub(crate) fn part_taken(part: u32, id: &SubmissionId) -> StoreError {
    StoreError::Conflict(format!("part {part} of {id} exists; try again"))
}

/// Adds a part to a submission that is not closed, logged as entry `idx`.
pub(crate) fn write_part(
    tx: &Connection,
    idx: i64,
    w: &SubmissionPartWrite,
) -> Result<(), StoreError> {
    let changed = tx
        .prepare_cached(
            "UPDATE submissions SET updated_day = ?2 WHERE id = ?1 AND status <> 'closed'",
        )?
        .execute(params![w.id.as_str(), w.day])?;
    if changed != 1 {
        return Err(StoreError::NotFound(format!("open submission {}", w.id)));
    }
    insert_part(tx, idx, &w.id, w.part, &w.day, &w.sealed)
}

/// Moves a submission of the member's organisation to another status.
pub(crate) fn write_status(tx: &Connection, w: &SubmissionStatusWrite) -> Result<(), StoreError> {
    let changed = tx
        .prepare_cached(
            "UPDATE submissions SET status = ?3, updated_day = ?4 WHERE id = ?1 AND org_id = ?2",
        )?
        .execute(params![
            w.id.as_str(),
            w.org.as_str(),
            w.status.as_str(),
            w.day
        ])?;
    if changed != 1 {
        return Err(StoreError::NotFound(w.id.to_string()));
    }
    Ok(())
}

/// A submission's columns (of `submissions s`), in [`SubmissionCols`]' order.
pub(crate) const SUBMISSION_COLUMNS: &str =
    "s.id, s.org_id, s.status, s.created_day, s.updated_day,
     (SELECT count(*) FROM submission_parts p WHERE p.submission_id = s.id)";

/// A submission row as plain values, in [`SUBMISSION_COLUMNS`]' order (both backends read
/// theirs into this and check it with [`submission_row`]).
pub(crate) type SubmissionCols = (String, String, String, String, String, i64);

fn submission_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubmissionCols> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// A submission checked and typed: an id, organisation, status or part count that does not
/// parse is corrupt.
pub(crate) fn submission_row(c: SubmissionCols) -> Result<SubmissionRow, StoreError> {
    let (id, org, status, created_day, updated_day, parts) = c;
    Ok(SubmissionRow {
        id: id.parse().map_err(corrupt)?,
        org: org.parse().map_err(corrupt)?,
        status: SubmissionStatus::parse(&status).ok_or_else(|| corrupt(status))?,
        created_day,
        updated_day,
        parts: u32::try_from(parts).map_err(corrupt)?,
    })
}

impl IntakeStore for SqliteStore {
    fn intake_key(&self, org: &OrgId) -> Result<Option<IntakeKeyRow>, StoreError> {
        let row: Option<(String, Vec<u8>)> = self
            .read()?
            .prepare_cached("SELECT recipient, identity FROM intake_keys WHERE org_id = ?1")?
            .query_row([org.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(recipient, identity)| IntakeKeyRow {
            org: org.clone(),
            recipient,
            identity,
        }))
    }

    fn intake_orgs(&self) -> Result<Vec<OrgRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT o.id, o.name FROM orgs o JOIN intake_keys k ON k.org_id = o.id ORDER BY o.name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        rows.map(|r| {
            let (id, name) = r?;
            Ok(OrgRow {
                id: id.parse().map_err(corrupt)?,
                name,
            })
        })
        .collect()
    }

    fn submission_by_receipt(
        &self,
        receipt_hash: &[u8; 32],
    ) -> Result<Option<SubmissionRow>, StoreError> {
        let row = self
            .read()?
            .prepare_cached(&format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.receipt_hash = ?1"
            ))?
            .query_row([&receipt_hash[..]], submission_cols)
            .optional()?;
        row.map(submission_row).transpose()
    }

    fn submission(
        &self,
        org: &OrgId,
        id: &SubmissionId,
    ) -> Result<Option<SubmissionRow>, StoreError> {
        let row = self
            .read()?
            .prepare_cached(&format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = ?1 AND s.org_id = ?2"
            ))?
            .query_row([id.as_str(), org.as_str()], submission_cols)
            .optional()?;
        row.map(submission_row).transpose()
    }

    fn submissions(&self, org: &OrgId, limit: u64) -> Result<Vec<SubmissionRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.org_id = ?1
             ORDER BY s.id DESC LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![org.as_str(), limit], submission_cols)?;
        rows.map(|r| submission_row(r?)).collect()
    }

    fn submission_parts(&self, id: &SubmissionId) -> Result<Vec<SubmissionPart>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT part, sealed, created_day, log_index FROM submission_parts
             WHERE submission_id = ?1 ORDER BY part",
        )?;
        let rows = stmt.query_map([id.as_str()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        rows.map(|r| part_row(r?)).collect()
    }
}

/// A submission part as plain values: part, sealed content, day, log index.
pub(crate) type PartCols = (i64, Vec<u8>, String, i64);

/// A submission part checked and typed.
pub(crate) fn part_row(c: PartCols) -> Result<SubmissionPart, StoreError> {
    let (part, sealed, created_day, log_index) = c;
    Ok(SubmissionPart {
        part: u32::try_from(part).map_err(corrupt)?,
        sealed,
        created_day,
        log_index: to_u64(log_index)?,
    })
}
