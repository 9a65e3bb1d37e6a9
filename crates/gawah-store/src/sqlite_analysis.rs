//! [`AnalysisStore`] on SQLite, and the write of incident links.

use gawah_core::figures::FigureInput;
use gawah_core::{IncidentId, OrgId, Timestamp};
use rusqlite::{Connection, params};

use crate::analysis::{AnalysisStore, IncidentLink, LinkWrite};
use crate::error::StoreError;
use crate::records::IncidentRow;
use crate::sqlite::{SqliteStore, to_u64};
use crate::sqlite_records::{INCIDENT_COLUMNS, incident_cols, incident_row};

/// Writes a link inside the caller's transaction, as entry `idx` at `now`. Both incidents must
/// belong to the organisation; linking an incident to itself or twice is refused.
pub(crate) fn write_link(
    tx: &Connection,
    idx: i64,
    now: i64,
    l: &LinkWrite,
) -> Result<(), StoreError> {
    check_link(l)?;
    let mut stmt =
        tx.prepare_cached("SELECT count(*) FROM incidents WHERE id IN (?1, ?2) AND org_id = ?3")?;
    let found: i64 = stmt.query_row(params![l.a.as_str(), l.b.as_str(), l.org.as_str()], |r| {
        r.get(0)
    })?;
    if found != 2 {
        return Err(StoreError::NotFound("incident".into()));
    }
    let (a, b) = link_pair(l);
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO incident_links (a, b, kind, org_id, actor, log_index, created_at)
             VALUES (?1, ?2, 'duplicate', ?3, ?4, ?5, ?6)",
        )?
        .execute(params![a.as_str(), b.as_str(), l.org.as_str(), l.by.as_str(), idx, now])?;
    if inserted == 0 {
        return Err(already_linked());
    }
    Ok(())
}

/// Refuses a link of an incident to itself, before any SQL runs (both backends).
pub(crate) fn check_link(l: &LinkWrite) -> Result<(), StoreError> {
    if l.a == l.b {
        return Err(StoreError::Invalid(
            "an incident cannot be linked to itself".into(),
        ));
    }
    Ok(())
}

/// The link's incidents in byte order, as the columns' collation compares (`CHECK (a < b)`).
pub(crate) fn link_pair(l: &LinkWrite) -> (&IncidentId, &IncidentId) {
    if l.a.as_str() < l.b.as_str() {
        (&l.a, &l.b)
    } else {
        (&l.b, &l.a)
    }
}

/// The refusal of a link that is stored already.
pub(crate) fn already_linked() -> StoreError {
    StoreError::Invalid("these incidents are already linked".into())
}

/// A stored incident id; one that does not parse is corrupt.
pub(crate) fn incident_id(s: String) -> Result<IncidentId, StoreError> {
    s.parse()
        .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))
}

/// A row of `publishable_incidents`: date, province, and the incident's violation types as
/// JSON text (`None` for a missing or `null` list).
pub(crate) type FigureCols = (String, String, Option<String>);

/// A publishable incident's figures; violation types that are not a list of strings are
/// corrupt.
pub(crate) fn figure_row(c: FigureCols) -> Result<FigureInput, StoreError> {
    let (date, province, types) = c;
    let domains: Vec<String> = match types {
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| StoreError::Corrupt(format!("violation types: {e}")))?,
        None => Vec::new(),
    };
    Ok(FigureInput {
        date,
        province,
        domains,
    })
}

/// A row of `incident_links`: the other incident, kind, actor, log index, time.
pub(crate) type LinkCols = (String, String, String, i64, i64);

/// A link as seen from one of its incidents.
pub(crate) fn link_row(c: LinkCols) -> Result<IncidentLink, StoreError> {
    let (other, kind, actor, idx, at) = c;
    Ok(IncidentLink {
        other: incident_id(other)?,
        kind,
        actor,
        log_index: to_u64(idx)?,
        created_at: Timestamp::from_millis(at),
    })
}

impl AnalysisStore for SqliteStore {
    fn incident_changes(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(IncidentRow, u64)>, StoreError> {
        let conn = self.read()?;
        let cols = INCIDENT_COLUMNS
            .split(", ")
            .map(|c| format!("i.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // The newest version of each incident changed after `after`: an incident changed twice
        // since appears once, at its latest change.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {cols}, v.log_index FROM record_versions v
             JOIN incidents i ON i.id = v.subject AND i.version = v.version
             WHERE v.log_index > ?1 ORDER BY v.log_index LIMIT ?2"
        ))?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after, limit], |r| {
            Ok((incident_cols(r)?, r.get::<_, i64>(7)?))
        })?;
        rows.map(|r| {
            let (cols, idx) = r?;
            Ok((incident_row(cols)?, to_u64(idx)?))
        })
        .collect()
    }

    fn incident_seq(&self) -> Result<u64, StoreError> {
        let conn = self.read()?;
        let v: Option<i64> = conn
            .prepare_cached(
                "SELECT max(v.log_index) FROM record_versions v
                 JOIN incidents i ON i.id = v.subject AND i.version = v.version",
            )?
            .query_row([], |r| r.get(0))?;
        v.map_or(Ok(0), to_u64)
    }

    fn org_incidents(&self, org: &OrgId) -> Result<Vec<IncidentRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = ?1 ORDER BY date, id"
        ))?;
        let rows = stmt.query_map([org.as_str()], incident_cols)?;
        rows.map(|r| incident_row(r?)).collect()
    }

    fn publishable_incidents(&self) -> Result<Vec<FigureInput>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT i.date, i.province, json_extract(i.content, '$.violation_types')
             FROM incidents i
             WHERE i.verification_status <> 'disputed'
               AND NOT EXISTS (
                 SELECT 1 FROM testimonies t WHERE t.incident_id = i.id AND (
                   EXISTS (SELECT 1 FROM shredded s WHERE s.record = t.id)
                   OR NOT EXISTS (SELECT 1 FROM json_each(t.content, '$.consent') c
                                  WHERE c.value IN ('anonymised_publication', 'named_publication'))))",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        rows.map(|r| figure_row(r?)).collect()
    }

    fn incident_links(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<IncidentLink>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT CASE WHEN a = ?1 THEN b ELSE a END, kind, actor, log_index, created_at
             FROM incident_links WHERE (a = ?1 OR b = ?1) AND org_id = ?2 ORDER BY log_index",
        )?;
        let rows = stmt.query_map([incident.as_str(), org.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|r| link_row(r?)).collect()
    }

    fn same_file_incidents(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<IncidentId>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT l2.incident_id
             FROM incident_items l1
             JOIN items x ON x.id = l1.item_id AND x.sha256 IS NOT NULL
             JOIN items y ON y.sha256 = x.sha256
             JOIN incident_items l2 ON l2.item_id = y.id
             JOIN incidents i ON i.id = l2.incident_id
             WHERE l1.incident_id = ?1 AND l2.incident_id <> ?1 AND i.org_id = ?2
             ORDER BY l2.incident_id",
        )?;
        let rows = stmt.query_map([incident.as_str(), org.as_str()], |r| r.get::<_, String>(0))?;
        rows.map(|r| incident_id(r?)).collect()
    }
}
