//! People, acts and testimonies on SQLite: writes inside
//! [`Store::commit`](crate::Store::commit)'s transaction, and the [`PeopleStore`] reads.

use gawah_core::{ActId, IncidentId, OrgId, PersonId, TestimonyId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::keys::DataKeyRow;
use crate::records::{
    ActRow, ActWrite, DispositionStore, ErasureApproveWrite, ErasureRequestWrite, ErasureRow,
    PeopleStore, PersonWrite, SealedRow, SealedWrite, TestimonyRow, TestimonyWrite,
};
use crate::sqlite::{SqliteStore, to_i64, to_u64};
use crate::sqlite_keys::write_data_key;

fn corrupt<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// The data key a version-1 write of a `table` row must carry.
pub(crate) fn new_row_key<'w>(
    w: &'w SealedWrite,
    table: &str,
) -> Result<&'w DataKeyRow, StoreError> {
    w.data_key
        .as_ref()
        .ok_or_else(|| StoreError::Invalid(format!("a new {table} row needs its data key")))
}

/// The refusal of an update that found another version, or an erased row.
pub(crate) fn sealed_conflict(w: &SealedWrite) -> StoreError {
    StoreError::Conflict(format!(
        "{} was changed by someone else or erased; reload and try again",
        w.id
    ))
}

/// Inserts version 1 or updates to the next version; the version is the optimistic lock.
/// `extra` names columns beyond the common ones, with their values.
fn write_sealed(
    tx: &Connection,
    table: &str,
    idx: i64,
    now: i64,
    w: &SealedWrite,
    extra: &[(&str, Option<&str>)],
) -> Result<(), StoreError> {
    let version = to_i64(w.version)?;
    if w.version == 1 {
        write_data_key(tx, new_row_key(w, table)?)?;
        let cols: String = extra.iter().map(|(c, _)| format!(", {c}")).collect();
        let marks: String = (0..extra.len()).map(|i| format!(", ?{}", i + 6)).collect();
        let sql = format!(
            "INSERT INTO {table} (id, org_id, content, sealed, created_at, updated_at, version{cols})
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1{marks})"
        );
        let org = w.org.as_str();
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&w.id, &org, &w.internal, &w.sealed, &now];
        for (_, v) in extra {
            values.push(v);
        }
        tx.execute(&sql, values.as_slice())?;
    } else {
        let changed = tx.execute(
            &format!(
                "UPDATE {table} SET content = ?3, sealed = ?4, version = ?5, updated_at = ?6
                 WHERE id = ?1 AND org_id = ?2 AND version = ?5 - 1 AND sealed IS NOT NULL"
            ),
            params![w.id, w.org.as_str(), w.internal, w.sealed, version, now],
        )?;
        if changed != 1 {
            return Err(sealed_conflict(w));
        }
    }
    crate::sqlite_records::insert_version(tx, &w.id, version, idx, &w.salt, &w.content)
}

fn require_in_org(tx: &Connection, table: &str, id: &str, org: &OrgId) -> Result<(), StoreError> {
    let found = tx
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE id = ?1 AND org_id = ?2"),
            [id, org.as_str()],
            |_| Ok(()),
        )
        .optional()?;
    found.ok_or_else(|| StoreError::NotFound(id.to_owned()))
}

pub(crate) fn write_person(
    tx: &Connection,
    idx: i64,
    now: i64,
    p: &PersonWrite,
) -> Result<(), StoreError> {
    write_sealed(tx, "people", idx, now, &p.record, &[])
}

pub(crate) fn write_testimony(
    tx: &Connection,
    idx: i64,
    now: i64,
    t: &TestimonyWrite,
) -> Result<(), StoreError> {
    let org = &t.record.org;
    require_in_org(tx, "incidents", t.incident.as_str(), org)?;
    if let Some(p) = &t.person {
        require_in_org(tx, "people", p.as_str(), org)?;
    }
    if t.record.version == 1 {
        write_sealed(
            tx,
            "testimonies",
            idx,
            now,
            &t.record,
            &[
                ("incident_id", Some(t.incident.as_str())),
                ("person_id", t.person.as_ref().map(|p| p.as_str())),
            ],
        )
    } else {
        write_sealed(tx, "testimonies", idx, now, &t.record, &[])
    }
}

pub(crate) fn write_act(tx: &Connection, idx: i64, a: &ActWrite) -> Result<(), StoreError> {
    require_in_org(tx, "incidents", a.incident.as_str(), &a.org)?;
    tx.execute(
        "INSERT INTO acts (id, incident_id, violation_type, log_index) VALUES (?1, ?2, ?3, ?4)",
        params![a.id.as_str(), a.incident.as_str(), a.violation_type, idx],
    )?;
    let mut link = tx.prepare_cached(
        "INSERT OR IGNORE INTO act_people (act_id, person_id, role) VALUES (?1, ?2, ?3)",
    )?;
    for (people, role) in [(&a.victims, "victim"), (&a.perpetrators, "perpetrator")] {
        for p in people {
            require_in_org(tx, "people", p.as_str(), &a.org)?;
            link.execute(params![a.id.as_str(), p.as_str(), role])?;
        }
    }
    Ok(())
}

/// A sealed record's columns, in [`SealedCols`]' order.
pub(crate) const SEALED_COLUMNS: &str =
    "id, org_id, content, sealed, version, created_at, updated_at";

fn sealed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TestimonyCols> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ),
        r.get(7).ok().flatten(),
        r.get(8).ok().flatten(),
    ))
}

/// A sealed record's row as plain values, in [`SEALED_COLUMNS`]' order (both backends read
/// theirs into this and check it with [`to_sealed`]).
pub(crate) type SealedCols = (String, String, String, Option<Vec<u8>>, i64, i64, i64);

/// A testimony's row as plain values: [`SealedCols`], `incident_id`, `person_id`.
pub(crate) type TestimonyCols = (SealedCols, Option<String>, Option<String>);

/// A sealed record checked and typed: an organisation that does not parse is corrupt.
pub(crate) fn to_sealed(c: SealedCols) -> Result<SealedRow, StoreError> {
    let (id, org, internal, sealed, version, created, updated) = c;
    Ok(SealedRow {
        id,
        org: org.parse().map_err(corrupt)?,
        internal,
        sealed,
        version: to_u64(version)?,
        created_at: Timestamp::from_millis(created),
        updated_at: Timestamp::from_millis(updated),
    })
}

/// A testimony checked and typed: it must name its incident.
pub(crate) fn to_testimony(
    (c, incident, person): TestimonyCols,
) -> Result<TestimonyRow, StoreError> {
    Ok(TestimonyRow {
        record: to_sealed(c)?,
        incident: incident
            .ok_or_else(|| StoreError::Corrupt("testimony without incident".into()))?
            .parse()
            .map_err(corrupt)?,
        person: person.map(|p| p.parse()).transpose().map_err(corrupt)?,
    })
}

impl PeopleStore for SqliteStore {
    fn person(&self, org: &OrgId, id: &PersonId) -> Result<Option<SealedRow>, StoreError> {
        let row = self
            .lock()
            .query_row(
                &format!("SELECT {SEALED_COLUMNS} FROM people WHERE id = ?1 AND org_id = ?2"),
                [id.as_str(), org.as_str()],
                sealed_row,
            )
            .optional()?;
        row.map(|(c, _, _)| to_sealed(c)).transpose()
    }

    fn people(&self, org: &OrgId) -> Result<Vec<SealedRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SEALED_COLUMNS} FROM people WHERE org_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([org.as_str()], sealed_row)?;
        rows.map(|r| to_sealed(r?.0)).collect()
    }

    fn testimony(&self, org: &OrgId, id: &TestimonyId) -> Result<Option<TestimonyRow>, StoreError> {
        let row = self
            .lock()
            .query_row(
                &format!(
                    "SELECT {SEALED_COLUMNS}, incident_id, person_id FROM testimonies WHERE id = ?1 AND org_id = ?2"
                ),
                [id.as_str(), org.as_str()],
                sealed_row,
            )
            .optional()?;
        row.map(to_testimony).transpose()
    }

    fn incident_testimonies(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<TestimonyRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SEALED_COLUMNS}, incident_id, person_id FROM testimonies
             WHERE incident_id = ?1 AND org_id = ?2 ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([incident.as_str(), org.as_str()], sealed_row)?;
        rows.map(|r| to_testimony(r?)).collect()
    }

    fn incident_acts(&self, org: &OrgId, incident: &IncidentId) -> Result<Vec<ActRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT a.id, a.violation_type, p.person_id, p.role
             FROM acts a JOIN incidents i ON i.id = a.incident_id
             LEFT JOIN act_people p ON p.act_id = a.id
             WHERE a.incident_id = ?1 AND i.org_id = ?2 ORDER BY a.log_index, p.role, p.person_id",
        )?;
        let mut rows = stmt.query([incident.as_str(), org.as_str()])?;
        let mut acts: Vec<ActRow> = Vec::new();
        while let Some(r) = rows.next()? {
            add_act_row(&mut acts, (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))?;
        }
        Ok(acts)
    }
}

/// A row of `incident_acts`' join as plain values: act id, violation type, and one of its
/// people with their role (both `None` for an act without people).
pub(crate) type ActCols = (String, String, Option<String>, Option<String>);

/// Adds one row of `incident_acts`' join to `acts`, whose rows come grouped by act: a new act
/// id starts an act, and the row's person joins its victims or perpetrators.
pub(crate) fn add_act_row(acts: &mut Vec<ActRow>, c: ActCols) -> Result<(), StoreError> {
    let (id, violation_type, person, role) = c;
    let id: ActId = id.parse().map_err(corrupt)?;
    if acts.last().is_none_or(|a| a.id != id) {
        acts.push(ActRow {
            id,
            violation_type,
            victims: Vec::new(),
            perpetrators: Vec::new(),
        });
    }
    let act = acts
        .last_mut()
        .ok_or_else(|| StoreError::Database("act list".into()))?;
    if let (Some(p), Some(role)) = (person, role) {
        let p: PersonId = p.parse().map_err(corrupt)?;
        match role.as_str() {
            "victim" => act.victims.push(p),
            _ => act.perpetrators.push(p),
        }
    }
    Ok(())
}

/// The table of an erasable record, by its id's prefix.
pub(crate) fn erasable_table(record: &str) -> Result<&'static str, StoreError> {
    if record.parse::<TestimonyId>().is_ok() {
        Ok("testimonies")
    } else if record.parse::<PersonId>().is_ok() {
        Ok("people")
    } else {
        Err(StoreError::Invalid(format!(
            "{record} cannot be erased: only people and testimonies can"
        )))
    }
}

pub(crate) fn write_erasure_request(
    tx: &Connection,
    idx: i64,
    r: &ErasureRequestWrite,
) -> Result<(), StoreError> {
    let table = erasable_table(&r.record)?;
    require_in_org(tx, table, &r.record, &r.org)?;
    let pending = tx
        .query_row(
            "SELECT 1 FROM erasure_requests WHERE record = ?1 AND approved_by IS NULL",
            [&r.record],
            |_| Ok(()),
        )
        .optional()?;
    if pending.is_some() {
        return Err(erasure_pending(r));
    }
    tx.execute(
        "INSERT INTO erasure_requests (id, org_id, record, requested_by, request_index)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            r.id.as_str(),
            r.org.as_str(),
            r.record,
            r.requested_by.as_str(),
            idx
        ],
    )?;
    Ok(())
}

pub(crate) fn write_erasure_approve(
    tx: &Connection,
    idx: i64,
    a: &ErasureApproveWrite,
) -> Result<(), StoreError> {
    let found: Option<(String, String, Option<String>)> = tx
        .query_row(
            "SELECT record, requested_by, approved_by FROM erasure_requests WHERE id = ?1 AND org_id = ?2",
            [a.id.as_str(), a.org.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (record, requested_by, approved) =
        found.ok_or_else(|| StoreError::NotFound(a.id.to_string()))?;
    check_approval(a, &requested_by, approved.as_deref())?;
    tx.execute(
        "UPDATE erasure_requests SET approved_by = ?1, approve_index = ?2 WHERE id = ?3",
        params![a.approved_by.as_str(), idx, a.id.as_str()],
    )?;
    crate::sqlite_keys::write_shred(tx, &record, idx)
}

/// The refusal of a second erasure request of a record while one is waiting.
pub(crate) fn erasure_pending(r: &ErasureRequestWrite) -> StoreError {
    StoreError::Conflict(format!(
        "an erasure of {} is already waiting for approval",
        r.record
    ))
}

/// Refuses an approval of a request approved already (`approved`), or by the admin who made
/// it (`requested_by`).
pub(crate) fn check_approval(
    a: &ErasureApproveWrite,
    requested_by: &str,
    approved: Option<&str>,
) -> Result<(), StoreError> {
    if approved.is_some() {
        return Err(StoreError::Conflict(format!(
            "{} was already approved",
            a.id
        )));
    }
    if requested_by == a.approved_by.as_str() {
        return Err(StoreError::Invalid(
            "a second admin must approve an erasure; the one who asked cannot".into(),
        ));
    }
    Ok(())
}

impl DispositionStore for SqliteStore {
    fn erasures(&self, org: &OrgId) -> Result<Vec<ErasureRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, record, requested_by, request_index, approved_by, approve_index
             FROM erasure_requests WHERE org_id = ?1 ORDER BY request_index DESC",
        )?;
        let rows = stmt.query_map([org.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (id, record, by, ri, approved, ai) = row?;
            Ok(ErasureRow {
                id: id.parse().map_err(corrupt)?,
                record,
                requested_by: by.parse().map_err(corrupt)?,
                request_index: to_u64(ri)?,
                approved_by: approved.map(|a| a.parse()).transpose().map_err(corrupt)?,
                approve_index: ai.map(to_u64).transpose()?,
            })
        })
        .collect()
    }

    fn custody_by_actor(
        &self,
        actor: &str,
        limit: u64,
    ) -> Result<Vec<crate::store::CustodyEvent>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT log_index, subject, action, actor, time FROM custody_events
             WHERE actor = ?1 ORDER BY log_index DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![actor, to_i64(limit)?], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (idx, subject, action, actor, time) = row?;
            Ok(crate::store::CustodyEvent {
                log_index: to_u64(idx)?,
                subject,
                action,
                actor,
                time: Timestamp::from_millis(time),
            })
        })
        .collect()
    }
}
