//! Incidents on PostgreSQL: versioned writes inside the commit transaction, one incident,
//! and list pages with their totals.
//!
//! As on SQLite (`sqlite_records.rs`), totals come from `incident_counts` and a list version
//! from `incident_list_versions`, both kept by triggers in the transaction that writes the
//! incident; and a deep page starts from a cached anchor (the `(date, id)` key of every
//! `stride`-th incident in list order, valid for one list version) instead of stepping
//! over every row before it. Total, version, anchors and page are read in one snapshot
//! (REPEATABLE READ), so a page never mixes two states of the list. The cache is per
//! store; another server's writes move the version in the database, so its anchors are
//! never used for a list they no longer describe.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gawah_core::{IncidentId, OrgId};
use postgres::{GenericClient, Row, Transaction};

use super::PgStore;
use super::error::from_pg;
use super::keys::write_data_key;
use super::records::{constraint, corrupt, insert_version};
use crate::error::StoreError;
use crate::records::{IncidentListRow, IncidentQuery, IncidentRow, IncidentWrite};
use crate::sqlite::{to_i64, to_u64};
use crate::sqlite_records::{
    self, INCIDENT_COLUMNS, IncidentCols, ListCols, incident_conflict, incident_values,
    new_incident_key,
};

/// Incidents between two anchors: a deep page skips fewer than this many index entries (as
/// SQLite's).
pub(crate) const LIST_ANCHOR_STRIDE: u64 = 64;
/// At most this many lists keep anchors; past it the cache starts over.
const MAX_ANCHORED_LISTS: usize = 512;

/// `RecordWrite::Incident`: version 1 creates it (with its data key); a later version
/// replaces it if the stored version is the one before, else [`StoreError::Conflict`].
pub(crate) fn write_incident(
    tx: &mut impl GenericClient,
    idx: i64,
    now: i64,
    w: &IncidentWrite,
) -> Result<(), StoreError> {
    let i = &w.incident;
    let (content, version) = incident_values(w)?;
    if w.version == 1 {
        write_data_key(tx, new_incident_key(w)?)?;
        tx.execute(
            "INSERT INTO incidents (id, org_id, ref, title, date, province, verification_status,
                                    content, version, created_at, updated_at, sealed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10)",
            &[
                &w.id.as_str(),
                &w.org.as_str(),
                &i.reference,
                &i.title,
                &i.date,
                &i.province,
                &i.verification_status,
                &content,
                &now,
                &w.sealed,
            ],
        )
        .map_err(from_pg)?;
    } else {
        let changed = tx
            .execute(
                "UPDATE incidents SET ref = $3, title = $4, date = $5, province = $6,
                     verification_status = $7, content = $8, version = $9, updated_at = $10,
                     sealed = $11
                 WHERE id = $1 AND org_id = $2 AND version = $9::bigint - 1",
                &[
                    &w.id.as_str(),
                    &w.org.as_str(),
                    &i.reference,
                    &i.title,
                    &i.date,
                    &i.province,
                    &i.verification_status,
                    &content,
                    &version,
                    &now,
                    &w.sealed,
                ],
            )
            .map_err(from_pg)?;
        if changed != 1 {
            return Err(incident_conflict(w));
        }
        tx.execute(
            "DELETE FROM incident_edicts WHERE incident_id = $1",
            &[&w.id.as_str()],
        )
        .map_err(from_pg)?;
    }
    for edict in &i.edicts {
        tx.execute(
            "INSERT INTO incident_edicts (incident_id, edict_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&w.id.as_str(), edict],
        )
        .map_err(|e| constraint(e, &format!("no edict {edict:?}")))?;
    }
    insert_version(tx, w.id.as_str(), version, idx, &w.salt, &w.content)
}

/// An incident row selected as [`INCIDENT_COLUMNS`] from column `at` on, read into
/// SQLite's [`IncidentCols`] and checked by the same [`sqlite_records::incident_row`].
pub(crate) fn incident_at(r: &Row, at: usize) -> Result<IncidentRow, StoreError> {
    let get = |e: postgres::Error| corrupt("incident row", e);
    let cols: IncidentCols = (
        r.try_get(at).map_err(get)?,
        r.try_get(at + 1).map_err(get)?,
        r.try_get(at + 2).map_err(get)?,
        r.try_get(at + 3).map_err(get)?,
        r.try_get(at + 4).map_err(get)?,
        r.try_get(at + 5).map_err(get)?,
        r.try_get(at + 6).map_err(get)?,
    );
    sqlite_records::incident_row(cols)
}

/// A list row selected as [`sqlite_records::list_columns`] gives it, read into SQLite's
/// [`ListCols`] and checked by the same [`sqlite_records::list_row`].
fn list_at(r: &Row) -> Result<IncidentListRow, StoreError> {
    let get = |e: postgres::Error| corrupt("incident list row", e);
    let cols: ListCols = (
        r.try_get(0).map_err(get)?,
        r.try_get(1).map_err(get)?,
        r.try_get(2).map_err(get)?,
        r.try_get(3).map_err(get)?,
        r.try_get(4).map_err(get)?,
        r.try_get(5).map_err(get)?,
        r.try_get(6).map_err(get)?,
        r.try_get(7).map_err(get)?,
        r.try_get(8).map_err(get)?,
        r.try_get(9).map_err(get)?,
    );
    sqlite_records::list_row(cols)
}

/// An organisation and a province filter.
type ListKey = (String, Option<String>);
/// The `(date, id)` keys of positions `stride`, `2 * stride`, ... of a list.
type Anchors = Arc<Vec<(String, String)>>;

/// The anchors of incident lists, by list version (see the module doc).
#[derive(Debug)]
pub(crate) struct ListAnchors {
    stride: u64,
    cache: Mutex<HashMap<ListKey, (i64, Anchors)>>,
}

impl ListAnchors {
    pub(crate) fn new(stride: u64) -> Self {
        Self {
            stride: stride.max(1),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The anchors of a list at `version`, from the cache or built in the caller's snapshot
    /// (which `version` was read from).
    fn get(
        &self,
        tx: &mut Transaction<'_>,
        org: &str,
        province: Option<&str>,
        version: i64,
    ) -> Result<Anchors, StoreError> {
        let key = (org.to_owned(), province.map(str::to_owned));
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .map(|(v, a)| (*v, a.clone()));
        match cached {
            Some((v, anchors)) if v == version => return Ok(anchors),
            // A reader on an older snapshot than the cache: built for it alone.
            Some((v, _)) if v > version => return self.build(tx, org, province).map(Arc::new),
            _ => {}
        }
        // Built without holding the lock (the build is a query); two readers may both
        // build, and the later one stores the same anchors again.
        let anchors = Arc::new(self.build(tx, org, province)?);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_ANCHORED_LISTS {
            cache.clear();
        }
        if cache.get(&key).is_none_or(|(v, _)| *v < version) {
            cache.insert(key, (version, anchors.clone()));
        }
        Ok(anchors)
    }

    /// Walks the list's index once on the server and returns every `stride`-th key.
    fn build(
        &self,
        tx: &mut Transaction<'_>,
        org: &str,
        province: Option<&str>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let stride = to_i64(self.stride)?;
        let rows = tx
            .query(
                "SELECT date, id FROM (
                     SELECT date, id, row_number() OVER (ORDER BY date DESC, id) - 1 AS pos
                     FROM incidents
                     WHERE org_id = $1 AND ($2::text IS NULL OR province = $2)
                 ) l
                 WHERE pos > 0 AND pos % $3 = 0 ORDER BY pos",
                &[&org, &province, &stride],
            )
            .map_err(from_pg)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

/// A page of a list: total, and the rows at `q` (see [`PgStore::pg_incidents`]).
fn list_page(
    tx: &mut Transaction<'_>,
    anchors: &ListAnchors,
    org: &str,
    q: &IncidentQuery,
) -> Result<(Vec<IncidentListRow>, u64), StoreError> {
    let province = q.province.as_deref();
    let total: i64 = tx
        .query_one(
            "SELECT coalesce(sum(n), 0)::bigint FROM incident_counts
             WHERE org_id = $1 AND ($2::text IS NULL OR province = $2)",
            &[&org, &province],
        )
        .map_err(from_pg)?
        .get(0);
    let total = to_u64(total)?;
    if q.offset >= total || q.limit == 0 {
        return Ok((Vec::new(), total));
    }
    let stride = anchors.stride;
    let anchor = if q.offset >= stride {
        let version: i64 = tx
            .query_one(
                "SELECT coalesce(max(v), 0)::bigint FROM incident_list_versions WHERE org_id = $1",
                &[&org],
            )
            .map_err(from_pg)?
            .get(0);
        let list = anchors.get(tx, org, province, version)?;
        usize::try_from(q.offset / stride - 1)
            .ok()
            .and_then(|j| list.get(j).cloned())
    } else {
        None
    };
    let limit = to_i64(q.limit)?;
    let columns = sqlite_records::list_columns(q);
    // One statement per shape, so that each is planned on its index
    // (`incidents_org_date`, or `incidents_org_province_date` with a province).
    let rows = match (&anchor, province) {
        (None, None) => tx.query(
            &format!(
                "SELECT {columns} FROM incidents WHERE org_id = $1
                 ORDER BY date DESC, id LIMIT $2 OFFSET $3"
            ),
            &[&org, &limit, &to_i64(q.offset)?],
        ),
        (None, Some(p)) => tx.query(
            &format!(
                "SELECT {columns} FROM incidents WHERE org_id = $1 AND province = $4
                 ORDER BY date DESC, id LIMIT $2 OFFSET $3"
            ),
            &[&org, &limit, &to_i64(q.offset)?, &p],
        ),
        (Some((date, id)), None) => tx.query(
            &format!(
                "SELECT {columns} FROM incidents WHERE org_id = $1
                     AND date <= $4 AND (date < $4 OR id >= $5)
                 ORDER BY date DESC, id LIMIT $2 OFFSET $3"
            ),
            &[&org, &limit, &to_i64(q.offset % stride)?, date, id],
        ),
        (Some((date, id)), Some(p)) => tx.query(
            &format!(
                "SELECT {columns} FROM incidents WHERE org_id = $1 AND province = $6
                     AND date <= $4 AND (date < $4 OR id >= $5)
                 ORDER BY date DESC, id LIMIT $2 OFFSET $3"
            ),
            &[&org, &limit, &to_i64(q.offset % stride)?, date, id, &p],
        ),
    }
    .map_err(from_pg)?;
    let rows = rows.iter().map(list_at).collect::<Result<_, _>>()?;
    Ok((rows, total))
}

impl PgStore {
    pub(super) fn pg_incident(
        &self,
        org: &OrgId,
        id: &IncidentId,
    ) -> Result<Option<IncidentRow>, StoreError> {
        let (org, id) = (org.as_str().to_owned(), id.as_str().to_owned());
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1 AND org_id = $2");
        let row = self
            .pool
            .read(move |c| c.query_opt(&sql, &[&id, &org]).map_err(from_pg))?;
        row.as_ref().map(|r| incident_at(r, 0)).transpose()
    }

    /// A page of an organisation's incidents, newest first (date, then id), and the total.
    pub(super) fn pg_incidents(
        &self,
        org: &OrgId,
        q: &IncidentQuery,
    ) -> Result<(Vec<IncidentListRow>, u64), StoreError> {
        let (org, q, anchors) = (org.as_str().to_owned(), q.clone(), self.anchors.clone());
        self.pool.read(move |c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(from_pg)?;
            list_page(&mut tx, &anchors, &org, &q)
        })
    }
}
