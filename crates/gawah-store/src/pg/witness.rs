//! Witnessing on PostgreSQL: configuration changes written inside the commit's transaction,
//! the compare-and-set of a witnessed log's state, and the cosignatures received. The same
//! rows and refusals as on SQLite (`sqlite_witness.rs`).
//!
//! The compare-and-set is one conditional `UPDATE ... WHERE size = $old AND root IS NOT
//! DISTINCT FROM $old_root`, whose row count says who won. Under READ COMMITTED a second
//! update of the same row waits for the first to commit, then evaluates its `WHERE` again on
//! the row as the first left it, so of two servers advancing from one state only one matches:
//! at most one checkpoint of a log is ever cosigned per size, by any number of servers.

use gawah_core::Timestamp;
use postgres::{Client, Row};

use super::PgStore;
use super::error::from_pg;
use super::keys::is_constraint;
use super::records::insert_version;
use crate::error::StoreError;
use crate::sqlite::{to_i64, to_u64};
use crate::sqlite_witness::{
    self, LOG_COLUMNS, LogCols, check_cosignature, cosignature_row, witness_row,
};
use crate::witness::{
    StoredCosignature, Witness, WitnessChange, WitnessStore, WitnessWrite, WitnessedCheckpoint,
    WitnessedHead, WitnessedLog,
};

/// Writes a configuration change as entry `idx` at `now`, and keeps the content and salt its
/// entry commits to as the subject's next version. Adding what is active already, or
/// removing what is not, is refused.
pub(crate) fn write_witness(
    tx: &mut Client,
    idx: i64,
    now: i64,
    c: &WitnessChange,
) -> Result<(), StoreError> {
    let changed = match &c.write {
        WitnessWrite::AddLog { origin, key } => tx.execute(
            "INSERT INTO witnessed_logs (origin, key, size, active, log_index, created_at,
                                         updated_at)
             VALUES ($1, $2, 0, 1, $3, $4, $4)
             ON CONFLICT (origin) DO UPDATE SET key = excluded.key, active = 1,
                 log_index = excluded.log_index, updated_at = excluded.updated_at
             WHERE witnessed_logs.active = 0",
            &[origin, key, &idx, &now],
        ),
        WitnessWrite::RemoveLog { origin } => tx.execute(
            "UPDATE witnessed_logs SET active = 0, log_index = $2, updated_at = $3
             WHERE origin = $1 AND active = 1",
            &[origin, &idx, &now],
        ),
        WitnessWrite::Add { name, key, url } => tx.execute(
            "INSERT INTO witnesses (name, key, url, active, log_index, created_at, updated_at)
             VALUES ($1, $2, $3, 1, $4, $5, $5)
             ON CONFLICT (name) DO UPDATE SET key = excluded.key, url = excluded.url,
                 active = 1, log_index = excluded.log_index, updated_at = excluded.updated_at
             WHERE witnesses.active = 0",
            &[name, key, url, &idx, &now],
        ),
        WitnessWrite::Remove { name } => tx.execute(
            "UPDATE witnesses SET active = 0, log_index = $2, updated_at = $3
             WHERE name = $1 AND active = 1",
            &[name, &idx, &now],
        ),
    }
    .map_err(from_pg)?;
    if changed != 1 {
        return Err(c.write.not_applied());
    }
    let version: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) + 1 FROM record_versions WHERE subject = $1",
            &[&c.subject],
        )
        .map_err(from_pg)?
        .get(0);
    insert_version(tx, &c.subject, version, idx, &c.salt, &c.content)
}

/// A witnessed log row read into SQLite's [`LogCols`] (a flag column is an integer here) and
/// checked by the same [`sqlite_witness::log_row`].
fn log_row(r: &Row) -> Result<WitnessedLog, StoreError> {
    let cols: LogCols = (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get::<_, i64>(5) != 0,
        r.get(6),
        r.get(7),
    );
    sqlite_witness::log_row(cols)
}

impl WitnessStore for PgStore {
    fn witnessed_logs(&self) -> Result<Vec<WitnessedLog>, StoreError> {
        let sql = format!("SELECT {LOG_COLUMNS} FROM witnessed_logs ORDER BY origin");
        self.pool
            .read(move |c| c.query(&sql, &[]).map_err(from_pg))?
            .iter()
            .map(log_row)
            .collect()
    }

    fn witnessed_log(&self, origin: &str) -> Result<Option<WitnessedLog>, StoreError> {
        let sql = format!("SELECT {LOG_COLUMNS} FROM witnessed_logs WHERE origin = $1");
        let origin = origin.to_owned();
        self.pool
            .read(move |c| c.query_opt(&sql, &[&origin]).map_err(from_pg))?
            .as_ref()
            .map(log_row)
            .transpose()
    }

    fn advance_witnessed_log(
        &self,
        origin: &str,
        from: WitnessedHead,
        to: &WitnessedCheckpoint,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        if to.size < from.size {
            return Ok(false);
        }
        let origin = origin.to_owned();
        let (from_size, to_size) = (to_i64(from.size)?, to_i64(to.size)?);
        let from_root = from.root.map(|r| r.to_vec());
        let (to_root, note, now) = (to.root.to_vec(), to.note.clone(), now.millis());
        // A transaction of one statement: never repeated after it began (a lost commit
        // leaves the outcome unknown, and the caller, told it failed, cosigns nothing).
        let changed = self.pool.transaction(move |tx| {
            tx.execute(
                "UPDATE witnessed_logs SET size = $3, root = $4, note = $5, updated_at = $6
                 WHERE origin = $1 AND active = 1 AND size = $2
                   AND root IS NOT DISTINCT FROM $7::bytea",
                &[
                    &origin, &from_size, &to_size, &to_root, &note, &now, &from_root,
                ],
            )
            .map_err(from_pg)
        })?;
        Ok(changed == 1)
    }

    fn witnesses(&self) -> Result<Vec<Witness>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query(
                "SELECT name, key, url, active, log_index FROM witnesses ORDER BY name",
                &[],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                let active = r.get::<_, i64>(3) != 0;
                witness_row((r.get(0), r.get(1), r.get(2), active, r.get(4)))
            })
            .collect()
    }

    fn put_cosignature(&self, c: &StoredCosignature, now: Timestamp) -> Result<(), StoreError> {
        check_cosignature(c)?;
        let (size, time, now) = (to_i64(c.size)?, to_i64(c.time)?, now.millis());
        let (key, line) = (c.witness_key.clone(), c.line.clone());
        self.pool.transaction(move |tx| {
            tx.execute(
                "INSERT INTO checkpoint_cosignatures (size, witness_key, line, time, received_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (size, witness_key) DO UPDATE SET line = excluded.line,
                     time = excluded.time, received_at = excluded.received_at
                 WHERE excluded.time >= checkpoint_cosignatures.time",
                &[&size, &key, &line, &time, &now],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::NotFound(format!(
                        "no checkpoint of size {size} to store a cosignature for"
                    ))
                } else {
                    from_pg(e)
                }
            })
        })?;
        Ok(())
    }

    fn cosignatures(&self, size: u64) -> Result<Vec<StoredCosignature>, StoreError> {
        let size = to_i64(size)?;
        self.pool
            .read(move |c| {
                c.query(
                    "SELECT size, witness_key, line, time FROM checkpoint_cosignatures
                     WHERE size = $1 ORDER BY witness_key",
                    &[&size],
                )
                .map_err(from_pg)
            })?
            .iter()
            .map(|r| cosignature_row((r.get(0), r.get(1), r.get(2), r.get(3))))
            .collect()
    }

    fn last_cosigned_size(&self, witness_key: &str) -> Result<Option<u64>, StoreError> {
        let key = witness_key.to_owned();
        let size: Option<i64> = self
            .pool
            .read(move |c| {
                c.query_one(
                    "SELECT max(size) FROM checkpoint_cosignatures WHERE witness_key = $1",
                    &[&key],
                )
                .map_err(from_pg)
            })?
            .get(0);
        size.map(to_u64).transpose()
    }
}
