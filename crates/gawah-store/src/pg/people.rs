//! People, acts, testimonies and erasures on PostgreSQL: writes inside the commit
//! transaction, and the [`PeopleStore`] reads. Same meaning as `sqlite_people.rs`: a
//! record's version is its optimistic lock, and an erased record (sealed values gone) takes
//! no new version.

use gawah_core::{IncidentId, OrgId, PersonId, TestimonyId};
use postgres::{GenericClient, Row};

use super::PgStore;
use super::error::from_pg;
use super::keys::write_data_key;
use super::records::{corrupt, insert_version};
use crate::error::StoreError;
use crate::records::{
    ActRow, ActWrite, ErasureApproveWrite, ErasureRequestWrite, PeopleStore, PersonWrite,
    SealedRow, SealedWrite, TestimonyRow, TestimonyWrite,
};
use crate::sqlite::to_i64;
use crate::sqlite_people::{
    SEALED_COLUMNS, SealedCols, TestimonyCols, add_act_row, check_approval, erasable_table,
    erasure_pending, new_row_key, sealed_conflict, to_sealed, to_testimony,
};

/// The tables of records with sealed fields.
#[derive(Clone, Copy)]
enum Sealed {
    People,
    Testimonies,
}

impl Sealed {
    /// The statement that moves a row to its next version, unless erased or changed.
    fn update_sql(self) -> &'static str {
        match self {
            Self::People => {
                "UPDATE people SET content = $3, sealed = $4, version = $5, updated_at = $6
                 WHERE id = $1 AND org_id = $2 AND version = $5::bigint - 1 AND sealed IS NOT NULL"
            }
            Self::Testimonies => {
                "UPDATE testimonies SET content = $3, sealed = $4, version = $5, updated_at = $6
                 WHERE id = $1 AND org_id = $2 AND version = $5::bigint - 1 AND sealed IS NOT NULL"
            }
        }
    }
}

/// Updates a sealed row to `w.version` (> 1), or [`StoreError::Conflict`].
fn update_sealed(
    tx: &mut impl GenericClient,
    table: Sealed,
    now: i64,
    w: &SealedWrite,
) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            table.update_sql(),
            &[
                &w.id,
                &w.org.as_str(),
                &w.internal,
                &w.sealed,
                &to_i64(w.version)?,
                &now,
            ],
        )
        .map_err(from_pg)?;
    if changed != 1 {
        return Err(sealed_conflict(w));
    }
    Ok(())
}

/// [`StoreError::NotFound`] unless `id` is a row of `org` in `table`.
fn require_in_org(
    tx: &mut impl GenericClient,
    table: &str,
    id: &str,
    org: &OrgId,
) -> Result<(), StoreError> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = $1 AND org_id = $2");
    tx.query_opt(&sql, &[&id, &org.as_str()])
        .map_err(from_pg)?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
}

/// `RecordWrite::Person`.
pub(crate) fn write_person(
    tx: &mut impl GenericClient,
    idx: i64,
    now: i64,
    p: &PersonWrite,
) -> Result<(), StoreError> {
    let w = &p.record;
    if w.version == 1 {
        write_data_key(tx, new_row_key(w, "people")?)?;
        tx.execute(
            "INSERT INTO people (id, org_id, content, sealed, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $5, 1)",
            &[&w.id, &w.org.as_str(), &w.internal, &w.sealed, &now],
        )
        .map_err(from_pg)?;
    } else {
        update_sealed(tx, Sealed::People, now, w)?;
    }
    insert_version(tx, &w.id, to_i64(w.version)?, idx, &w.salt, &w.content)
}

/// `RecordWrite::Testimony`: its incident (and person, if named) must be of its organisation.
pub(crate) fn write_testimony(
    tx: &mut impl GenericClient,
    idx: i64,
    now: i64,
    t: &TestimonyWrite,
) -> Result<(), StoreError> {
    let w = &t.record;
    require_in_org(tx, "incidents", t.incident.as_str(), &w.org)?;
    if let Some(p) = &t.person {
        require_in_org(tx, "people", p.as_str(), &w.org)?;
    }
    if w.version == 1 {
        write_data_key(tx, new_row_key(w, "testimonies")?)?;
        tx.execute(
            "INSERT INTO testimonies (id, org_id, content, sealed, created_at, updated_at,
                                      version, incident_id, person_id)
             VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7)",
            &[
                &w.id,
                &w.org.as_str(),
                &w.internal,
                &w.sealed,
                &now,
                &t.incident.as_str(),
                &t.person.as_ref().map(PersonId::as_str),
            ],
        )
        .map_err(from_pg)?;
    } else {
        update_sealed(tx, Sealed::Testimonies, now, w)?;
    }
    insert_version(tx, &w.id, to_i64(w.version)?, idx, &w.salt, &w.content)
}

/// `RecordWrite::Act`: the act and its people, all of the incident's organisation.
pub(crate) fn write_act(
    tx: &mut impl GenericClient,
    idx: i64,
    a: &ActWrite,
) -> Result<(), StoreError> {
    require_in_org(tx, "incidents", a.incident.as_str(), &a.org)?;
    tx.execute(
        "INSERT INTO acts (id, incident_id, violation_type, log_index) VALUES ($1, $2, $3, $4)",
        &[
            &a.id.as_str(),
            &a.incident.as_str(),
            &a.violation_type,
            &idx,
        ],
    )
    .map_err(from_pg)?;
    for (people, role) in [(&a.victims, "victim"), (&a.perpetrators, "perpetrator")] {
        for p in people {
            require_in_org(tx, "people", p.as_str(), &a.org)?;
            tx.execute(
                "INSERT INTO act_people (act_id, person_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&a.id.as_str(), &p.as_str(), &role],
            )
            .map_err(from_pg)?;
        }
    }
    Ok(())
}

/// `RecordWrite::ErasureRequest`: one waiting request per record at a time.
pub(crate) fn write_erasure_request(
    tx: &mut impl GenericClient,
    idx: i64,
    r: &ErasureRequestWrite,
) -> Result<(), StoreError> {
    require_in_org(tx, erasable_table(&r.record)?, &r.record, &r.org)?;
    let pending = tx
        .query_opt(
            "SELECT 1 FROM erasure_requests WHERE record = $1 AND approved_by IS NULL",
            &[&r.record],
        )
        .map_err(from_pg)?;
    if pending.is_some() {
        return Err(erasure_pending(r));
    }
    tx.execute(
        "INSERT INTO erasure_requests (id, org_id, record, requested_by, request_index)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &r.id.as_str(),
            &r.org.as_str(),
            &r.record,
            &r.requested_by.as_str(),
            &idx,
        ],
    )
    .map_err(from_pg)?;
    Ok(())
}

/// `RecordWrite::ErasureApprove`: by a second admin; destroys the record's data key.
pub(crate) fn write_erasure_approve(
    tx: &mut impl GenericClient,
    idx: i64,
    a: &ErasureApproveWrite,
) -> Result<(), StoreError> {
    let found = tx
        .query_opt(
            "SELECT record, requested_by, approved_by FROM erasure_requests
             WHERE id = $1 AND org_id = $2",
            &[&a.id.as_str(), &a.org.as_str()],
        )
        .map_err(from_pg)?
        .ok_or_else(|| StoreError::NotFound(a.id.to_string()))?;
    let (record, requested_by, approved): (String, String, Option<String>) =
        (found.get(0), found.get(1), found.get(2));
    check_approval(a, &requested_by, approved.as_deref())?;
    tx.execute(
        "UPDATE erasure_requests SET approved_by = $1, approve_index = $2 WHERE id = $3",
        &[&a.approved_by.as_str(), &idx, &a.id.as_str()],
    )
    .map_err(from_pg)?;
    shred(tx, &record, idx)
}

/// Destroys a record's data key and the sealed values of its current row, and forgets its
/// versions' sealed content (crypto-shredding, as `sqlite_keys::write_shred`).
fn shred(tx: &mut impl GenericClient, record: &str, idx: i64) -> Result<(), StoreError> {
    let deleted = tx
        .execute("DELETE FROM data_keys WHERE record = $1", &[&record])
        .map_err(from_pg)?;
    if deleted != 1 {
        return Err(StoreError::NotFound(format!(
            "{record} has no key to destroy"
        )));
    }
    tx.execute(
        "INSERT INTO shredded (record, log_index) VALUES ($1, $2)",
        &[&record, &idx],
    )
    .map_err(from_pg)?;
    for sql in [
        "UPDATE incidents SET sealed = NULL WHERE id = $1",
        "UPDATE people SET sealed = NULL WHERE id = $1",
        "UPDATE testimonies SET sealed = NULL WHERE id = $1",
        "UPDATE items SET sealed = NULL WHERE id = $1",
        "DELETE FROM record_versions WHERE subject = $1",
    ] {
        tx.execute(sql, &[&record]).map_err(from_pg)?;
    }
    Ok(())
}

/// A sealed record's row read into SQLite's [`SealedCols`] and checked by the same
/// [`to_sealed`].
fn sealed_cols(r: &Row) -> Result<SealedCols, StoreError> {
    let get = |e: postgres::Error| corrupt("sealed row", e);
    Ok((
        r.try_get(0).map_err(get)?,
        r.try_get(1).map_err(get)?,
        r.try_get(2).map_err(get)?,
        r.try_get(3).map_err(get)?,
        r.try_get(4).map_err(get)?,
        r.try_get(5).map_err(get)?,
        r.try_get(6).map_err(get)?,
    ))
}

fn sealed_row(r: &Row) -> Result<SealedRow, StoreError> {
    to_sealed(sealed_cols(r)?)
}

/// A testimony selected as [`SEALED_COLUMNS`], `incident_id`, `person_id`.
fn testimony_row(r: &Row) -> Result<TestimonyRow, StoreError> {
    let get = |e: postgres::Error| corrupt("testimony row", e);
    let cols: TestimonyCols = (
        sealed_cols(r)?,
        r.try_get(7).map_err(get)?,
        r.try_get(8).map_err(get)?,
    );
    to_testimony(cols)
}

impl PeopleStore for PgStore {
    fn person(&self, org: &OrgId, id: &PersonId) -> Result<Option<SealedRow>, StoreError> {
        let (org, id) = (org.as_str().to_owned(), id.as_str().to_owned());
        let sql = format!("SELECT {SEALED_COLUMNS} FROM people WHERE id = $1 AND org_id = $2");
        let row = self
            .pool
            .read(move |c| c.query_opt(&sql, &[&id, &org]).map_err(from_pg))?;
        row.as_ref().map(sealed_row).transpose()
    }

    fn people(&self, org: &OrgId) -> Result<Vec<SealedRow>, StoreError> {
        let org = org.as_str().to_owned();
        let sql = format!("SELECT {SEALED_COLUMNS} FROM people WHERE org_id = $1 ORDER BY id");
        let rows = self
            .pool
            .read(move |c| c.query(&sql, &[&org]).map_err(from_pg))?;
        rows.iter().map(sealed_row).collect()
    }

    fn testimony(&self, org: &OrgId, id: &TestimonyId) -> Result<Option<TestimonyRow>, StoreError> {
        let (org, id) = (org.as_str().to_owned(), id.as_str().to_owned());
        let sql = format!(
            "SELECT {SEALED_COLUMNS}, incident_id, person_id FROM testimonies
             WHERE id = $1 AND org_id = $2"
        );
        let row = self
            .pool
            .read(move |c| c.query_opt(&sql, &[&id, &org]).map_err(from_pg))?;
        row.as_ref().map(testimony_row).transpose()
    }

    fn incident_testimonies(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<TestimonyRow>, StoreError> {
        let (org, incident) = (org.as_str().to_owned(), incident.as_str().to_owned());
        let sql = format!(
            "SELECT {SEALED_COLUMNS}, incident_id, person_id FROM testimonies
             WHERE incident_id = $1 AND org_id = $2 ORDER BY created_at, id"
        );
        let rows = self
            .pool
            .read(move |c| c.query(&sql, &[&incident, &org]).map_err(from_pg))?;
        rows.iter().map(testimony_row).collect()
    }

    fn incident_acts(&self, org: &OrgId, incident: &IncidentId) -> Result<Vec<ActRow>, StoreError> {
        let (org, incident) = (org.as_str().to_owned(), incident.as_str().to_owned());
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT a.id, a.violation_type, p.person_id, p.role
                 FROM acts a JOIN incidents i ON i.id = a.incident_id
                 LEFT JOIN act_people p ON p.act_id = a.id
                 WHERE a.incident_id = $1 AND i.org_id = $2
                 ORDER BY a.log_index, p.role, p.person_id",
                &[&incident, &org],
            )
            .map_err(from_pg)
        })?;
        let mut acts: Vec<ActRow> = Vec::new();
        for r in &rows {
            add_act_row(&mut acts, (r.get(0), r.get(1), r.get(2), r.get(3)))?;
        }
        Ok(acts)
    }
}
