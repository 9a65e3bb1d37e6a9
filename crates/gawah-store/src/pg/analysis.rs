//! [`AnalysisStore`] on PostgreSQL, and the write of incident links. The same rows, order
//! and refusals as on SQLite (`sqlite_analysis.rs`); incident rows are read with SQLite's
//! own row check (`incident_row`), as items are.
//!
//! The JSON that SQLite reads with `json_extract` and `json_each` is read here with `jsonb`
//! operators on the same stored text: a missing or `null` list reads as no list, and a
//! testimony whose consent is missing or names neither publication keeps its incident out
//! of the public figures, as on SQLite.

use gawah_core::figures::FigureInput;
use gawah_core::{IncidentId, OrgId};
use postgres::Client;

use super::PgStore;
use super::error::from_pg;
use super::incidents::incident_at;
use crate::analysis::{AnalysisStore, IncidentLink, LinkWrite};
use crate::error::StoreError;
use crate::records::IncidentRow;
use crate::sqlite::to_u64;
use crate::sqlite_analysis::{
    already_linked, check_link, figure_row, incident_id, link_pair, link_row,
};
use crate::sqlite_records::INCIDENT_COLUMNS;

/// Writes a link inside the caller's transaction, as entry `idx` at `now`. Both incidents must
/// belong to the organisation; linking an incident to itself or twice is refused.
pub(crate) fn write_link(
    tx: &mut Client,
    idx: i64,
    now: i64,
    l: &LinkWrite,
) -> Result<(), StoreError> {
    check_link(l)?;
    let found: i64 = tx
        .query_one(
            "SELECT count(*) FROM incidents WHERE id IN ($1, $2) AND org_id = $3",
            &[&l.a.as_str(), &l.b.as_str(), &l.org.as_str()],
        )
        .map_err(from_pg)?
        .get(0);
    if found != 2 {
        return Err(StoreError::NotFound("incident".into()));
    }
    let (a, b) = link_pair(l);
    let inserted = tx
        .execute(
            "INSERT INTO incident_links (a, b, kind, org_id, actor, log_index, created_at)
             VALUES ($1, $2, 'duplicate', $3, $4, $5, $6)
             ON CONFLICT (a, b, kind) DO NOTHING",
            &[
                &a.as_str(),
                &b.as_str(),
                &l.org.as_str(),
                &l.by.as_str(),
                &idx,
                &now,
            ],
        )
        .map_err(from_pg)?;
    if inserted == 0 {
        return Err(already_linked());
    }
    Ok(())
}

impl AnalysisStore for PgStore {
    fn incident_changes(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(IncidentRow, u64)>, StoreError> {
        let cols = INCIDENT_COLUMNS
            .split(", ")
            .map(|c| format!("i.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // The newest version of each incident changed after `after`: an incident changed twice
        // since appears once, at its latest change.
        let sql = format!(
            "SELECT {cols}, v.log_index FROM record_versions v
             JOIN incidents i ON i.id = v.subject AND i.version = v.version
             WHERE v.log_index > $1 ORDER BY v.log_index LIMIT $2"
        );
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool
            .read(move |c| c.query(&sql, &[&after, &limit]).map_err(from_pg))?
            .iter()
            .map(|r| Ok((incident_at(r, 0)?, to_u64(r.get(7))?)))
            .collect()
    }

    fn incident_seq(&self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .pool
            .read(|c| {
                c.query_one(
                    "SELECT max(v.log_index) FROM record_versions v
                     JOIN incidents i ON i.id = v.subject AND i.version = v.version",
                    &[],
                )
                .map_err(from_pg)
            })?
            .get(0);
        v.map_or(Ok(0), to_u64)
    }

    fn org_incidents(&self, org: &OrgId) -> Result<Vec<IncidentRow>, StoreError> {
        let sql =
            format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = $1 ORDER BY date, id");
        let org = org.as_str().to_owned();
        self.pool
            .read(move |c| c.query(&sql, &[&org]).map_err(from_pg))?
            .iter()
            .map(|r| incident_at(r, 0))
            .collect()
    }

    fn publishable_incidents(&self) -> Result<Vec<FigureInput>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query(
                "SELECT i.date, i.province,
                        nullif(i.content::jsonb -> 'violation_types', 'null'::jsonb)::text
                 FROM incidents i
                 WHERE i.verification_status <> 'disputed'
                   AND NOT EXISTS (
                     SELECT 1 FROM testimonies t WHERE t.incident_id = i.id AND (
                       EXISTS (SELECT 1 FROM shredded s WHERE s.record = t.id)
                       OR NOT coalesce((t.content::jsonb -> 'consent')
                                ?| array['anonymised_publication', 'named_publication'],
                                false)))",
                &[],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| figure_row((r.get(0), r.get(1), r.get(2))))
            .collect()
    }

    fn incident_links(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<IncidentLink>, StoreError> {
        let (incident, org) = (incident.as_str().to_owned(), org.as_str().to_owned());
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT CASE WHEN a = $1 THEN b ELSE a END, kind, actor, log_index, created_at
                 FROM incident_links WHERE (a = $1 OR b = $1) AND org_id = $2
                 ORDER BY log_index",
                &[&incident, &org],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| link_row((r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))))
            .collect()
    }

    fn same_file_incidents(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<IncidentId>, StoreError> {
        let (incident, org) = (incident.as_str().to_owned(), org.as_str().to_owned());
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT DISTINCT l2.incident_id
                 FROM incident_items l1
                 JOIN items x ON x.id = l1.item_id AND x.sha256 IS NOT NULL
                 JOIN items y ON y.sha256 = x.sha256
                 JOIN incident_items l2 ON l2.item_id = y.id
                 JOIN incidents i ON i.id = l2.incident_id
                 WHERE l1.incident_id = $1 AND l2.incident_id <> $1 AND i.org_id = $2
                 ORDER BY l2.incident_id",
                &[&incident, &org],
            )
            .map_err(from_pg)
        })?;
        rows.iter().map(|r| incident_id(r.get(0))).collect()
    }
}
