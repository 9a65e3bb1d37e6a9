//! Anonymous intake on PostgreSQL: intake keys and submissions written inside the commit's
//! transaction, and the [`IntakeStore`] reads. The same rows, order and refusals as on
//! SQLite (`sqlite_intake.rs`): a second intake key of an organisation, or a part number
//! taken by a concurrent addition, is a conflict.

use gawah_core::OrgId;
use postgres::{Client, Row};

use super::PgStore;
use super::error::from_pg;
use super::keys::{is_constraint, write_data_key};
use crate::error::StoreError;
use crate::intake::{
    IntakeKeyRow, IntakeKeyWrite, IntakeStore, SubmissionId, SubmissionPart, SubmissionPartWrite,
    SubmissionRow, SubmissionStatusWrite, SubmissionWrite,
};
use crate::records::OrgRow;
use crate::sqlite_intake::{
    self, SUBMISSION_COLUMNS, SubmissionCols, corrupt, key_taken, part_row, part_taken,
};

/// Writes an organisation's intake key and the data key that seals its identity.
pub(crate) fn write_intake_key(
    tx: &mut Client,
    now: i64,
    w: &IntakeKeyWrite,
) -> Result<(), StoreError> {
    write_data_key(tx, &w.data_key)?;
    tx.execute(
        "INSERT INTO intake_keys (org_id, recipient, identity, created_at) VALUES ($1, $2, $3, $4)",
        &[&w.org.as_str(), &w.recipient, &w.identity, &now],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            key_taken(w)
        } else {
            from_pg(e)
        }
    })?;
    Ok(())
}

/// Writes a new submission and its first part, logged as entry `idx`.
pub(crate) fn write_submission(
    tx: &mut Client,
    idx: i64,
    w: &SubmissionWrite,
) -> Result<(), StoreError> {
    let has_key = tx
        .query_opt(
            "SELECT 1 FROM intake_keys WHERE org_id = $1",
            &[&w.org.as_str()],
        )
        .map_err(from_pg)?;
    if has_key.is_none() {
        return Err(StoreError::NotFound(format!("intake key of {}", w.org)));
    }
    tx.execute(
        "INSERT INTO submissions (id, org_id, receipt_hash, status, created_day, updated_day)
         VALUES ($1, $2, $3, 'received', $4, $4)",
        &[
            &w.id.as_str(),
            &w.org.as_str(),
            &&w.receipt_hash[..],
            &w.day,
        ],
    )
    .map_err(from_pg)?;
    insert_part(tx, idx, &w.id, 1, &w.day, &w.sealed)
}

fn insert_part(
    tx: &mut Client,
    idx: i64,
    id: &SubmissionId,
    part: u32,
    day: &str,
    sealed: &[u8],
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO submission_parts (submission_id, part, sealed, created_day, log_index)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id.as_str(), &i64::from(part), &sealed, &day, &idx],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            part_taken(part, id)
        } else {
            from_pg(e)
        }
    })?;
    Ok(())
}

/// Adds a part to a submission that is not closed, logged as entry `idx`.
pub(crate) fn write_part(
    tx: &mut Client,
    idx: i64,
    w: &SubmissionPartWrite,
) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            "UPDATE submissions SET updated_day = $2 WHERE id = $1 AND status <> 'closed'",
            &[&w.id.as_str(), &w.day],
        )
        .map_err(from_pg)?;
    if changed != 1 {
        return Err(StoreError::NotFound(format!("open submission {}", w.id)));
    }
    insert_part(tx, idx, &w.id, w.part, &w.day, &w.sealed)
}

/// Moves a submission of the member's organisation to another status.
pub(crate) fn write_status(tx: &mut Client, w: &SubmissionStatusWrite) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            "UPDATE submissions SET status = $3, updated_day = $4 WHERE id = $1 AND org_id = $2",
            &[&w.id.as_str(), &w.org.as_str(), &w.status.as_str(), &w.day],
        )
        .map_err(from_pg)?;
    if changed != 1 {
        return Err(StoreError::NotFound(w.id.to_string()));
    }
    Ok(())
}

/// A submission row read into SQLite's [`SubmissionCols`] and checked by the same
/// [`sqlite_intake::submission_row`].
fn submission_row(r: &Row) -> Result<SubmissionRow, StoreError> {
    let cols: SubmissionCols = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
    sqlite_intake::submission_row(cols)
}

impl IntakeStore for PgStore {
    fn intake_key(&self, org: &OrgId) -> Result<Option<IntakeKeyRow>, StoreError> {
        let id = org.as_str().to_owned();
        let row = self.pool.read(move |c| {
            c.query_opt(
                "SELECT recipient, identity FROM intake_keys WHERE org_id = $1",
                &[&id],
            )
            .map_err(from_pg)
        })?;
        Ok(row.map(|r| IntakeKeyRow {
            org: org.clone(),
            recipient: r.get(0),
            identity: r.get(1),
        }))
    }

    fn intake_orgs(&self) -> Result<Vec<OrgRow>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query(
                "SELECT o.id, o.name FROM orgs o JOIN intake_keys k ON k.org_id = o.id
                 ORDER BY o.name",
                &[],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                Ok(OrgRow {
                    id: r.get::<_, &str>(0).parse().map_err(corrupt)?,
                    name: r.get(1),
                })
            })
            .collect()
    }

    fn submission_by_receipt(
        &self,
        receipt_hash: &[u8; 32],
    ) -> Result<Option<SubmissionRow>, StoreError> {
        let sql =
            format!("SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.receipt_hash = $1");
        let hash = receipt_hash.to_vec();
        self.pool
            .read(move |c| c.query_opt(&sql, &[&hash]).map_err(from_pg))?
            .as_ref()
            .map(submission_row)
            .transpose()
    }

    fn submission(
        &self,
        org: &OrgId,
        id: &SubmissionId,
    ) -> Result<Option<SubmissionRow>, StoreError> {
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = $1 AND s.org_id = $2"
        );
        let (id, org) = (id.as_str().to_owned(), org.as_str().to_owned());
        self.pool
            .read(move |c| c.query_opt(&sql, &[&id, &org]).map_err(from_pg))?
            .as_ref()
            .map(submission_row)
            .transpose()
    }

    fn submissions(&self, org: &OrgId, limit: u64) -> Result<Vec<SubmissionRow>, StoreError> {
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.org_id = $1
             ORDER BY s.id DESC LIMIT $2"
        );
        let org = org.as_str().to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool
            .read(move |c| c.query(&sql, &[&org, &limit]).map_err(from_pg))?
            .iter()
            .map(submission_row)
            .collect()
    }

    fn submission_parts(&self, id: &SubmissionId) -> Result<Vec<SubmissionPart>, StoreError> {
        let id = id.as_str().to_owned();
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT part, sealed, created_day, log_index FROM submission_parts
                 WHERE submission_id = $1 ORDER BY part",
                &[&id],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| part_row((r.get(0), r.get(1), r.get(2), r.get(3))))
            .collect()
    }
}
