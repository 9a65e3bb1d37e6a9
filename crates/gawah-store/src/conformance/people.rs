//! The conformance suite of [`PeopleStore`](crate::records::PeopleStore) and
//! [`DispositionStore`](crate::records::DispositionStore): people, testimonies and acts with
//! their organisation checks and versions, and erasure by two admins (crypto-shredding).

use gawah_core::vocab::Role;
use gawah_core::{ActId, ErasureId, IncidentId, OrgId, PersonId, Salt, TestimonyId};

use super::records::{Check, commit, data_key, incident, member, new_incident, org, refused, run};
use crate::error::StoreError;
use crate::records::{
    ActWrite, ErasureApproveWrite, ErasureRequestWrite, PersonWrite, SealedWrite, TestimonyWrite,
};
use crate::store::{Database, RecordWrite};

/// The checks of this suite.
pub const CHECKS: &[(&str, Check)] = &[
    ("people and their versions", people),
    ("testimonies and acts", testimonies_and_acts),
    ("erasure by two admins", erasure),
];

/// Runs this suite.
pub fn people_conformance<S: Database>(fresh: &dyn Fn() -> S) {
    run("people", CHECKS, fresh);
}

/// Version `version` of a sealed record `id`.
fn sealed(id: &str, org: &OrgId, version: u64) -> SealedWrite {
    SealedWrite {
        id: id.to_owned(),
        org: org.clone(),
        version,
        internal: format!("{{\"v\":{version}}}"),
        sealed: vec![version as u8; 8],
        salt: Salt([version as u8; 32]),
        content: format!("content {version}").into_bytes(),
        data_key: (version == 1).then(|| data_key(id)),
    }
}

fn person_write(id: &PersonId, org: &OrgId, version: u64) -> RecordWrite {
    RecordWrite::Person(PersonWrite {
        record: sealed(id.as_str(), org, version),
    })
}

fn new_person(db: &dyn Database, org: &OrgId) -> PersonId {
    let id = PersonId::random().unwrap();
    commit(db, person_write(&id, org, 1), id.as_str()).unwrap();
    id
}

fn testimony_write(
    id: &TestimonyId,
    org: &OrgId,
    incident: &IncidentId,
    person: Option<&PersonId>,
    version: u64,
) -> RecordWrite {
    RecordWrite::Testimony(TestimonyWrite {
        record: sealed(id.as_str(), org, version),
        incident: incident.clone(),
        person: person.cloned(),
    })
}

fn people(db: &dyn Database) {
    let (o, other) = (org(db, "o"), org(db, "other"));
    let ids: Vec<PersonId> = (0..3).map(|_| new_person(db, &o)).collect();
    new_person(db, &other);
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let listed: Vec<String> = db.people(&o).unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(
        listed,
        sorted.iter().map(|p| p.to_string()).collect::<Vec<_>>()
    );
    let p = &ids[0];
    let row = db.person(&o, p).unwrap().unwrap();
    assert_eq!((row.version, row.internal.as_str()), (1, "{\"v\":1}"));
    assert_eq!(row.sealed, Some(vec![1; 8]));
    assert!(db.person(&other, p).unwrap().is_none());
    commit(db, person_write(p, &o, 2), p.as_str()).unwrap();
    let row = db.person(&o, p).unwrap().unwrap();
    assert_eq!((row.version, row.sealed.clone()), (2, Some(vec![2; 8])));
    let size = db.head().unwrap().size;
    refused(db, size, commit(db, person_write(p, &o, 2), "x"), |e| {
        matches!(e, StoreError::Conflict(_))
    });
    refused(db, size, commit(db, person_write(p, &other, 3), "x"), |e| {
        matches!(e, StoreError::Conflict(_))
    });
    let mut keyless = person_write(&PersonId::random().unwrap(), &o, 1);
    if let RecordWrite::Person(w) = &mut keyless {
        w.record.data_key = None;
    }
    refused(db, size, commit(db, keyless, "x"), |e| {
        matches!(e, StoreError::Invalid(_))
    });
    let versions = db.versions(p.as_str()).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
}

fn testimonies_and_acts(db: &dyn Database) {
    let (o, other) = (org(db, "o"), org(db, "other"));
    let inc = new_incident(db, &o, incident("i", "2023-01-01", "AF-KAB"));
    let theirs = new_incident(db, &other, incident("t", "2023-01-01", "AF-KAB"));
    let (p, q) = (new_person(db, &o), new_person(db, &o));
    let stranger = new_person(db, &other);

    let size = db.head().unwrap().size;
    let t = TestimonyId::random().unwrap();
    let not_found = |e: &StoreError| matches!(e, StoreError::NotFound(_));
    refused(
        db,
        size,
        commit(db, testimony_write(&t, &o, &theirs, None, 1), "x"),
        not_found,
    );
    refused(
        db,
        size,
        commit(db, testimony_write(&t, &o, &inc, Some(&stranger), 1), "x"),
        not_found,
    );
    commit(db, testimony_write(&t, &o, &inc, Some(&p), 1), t.as_str()).unwrap();
    let t2 = TestimonyId::random().unwrap();
    commit(db, testimony_write(&t2, &o, &inc, None, 1), t2.as_str()).unwrap();
    commit(db, testimony_write(&t, &o, &inc, Some(&p), 2), t.as_str()).unwrap();
    let row = db.testimony(&o, &t).unwrap().unwrap();
    assert_eq!(
        (row.incident.clone(), row.person.clone(), row.record.version),
        (inc.clone(), Some(p.clone()), 2)
    );
    assert!(db.testimony(&other, &t).unwrap().is_none());
    let listed: Vec<_> = db
        .incident_testimonies(&o, &inc)
        .unwrap()
        .into_iter()
        .map(|t| t.record.id)
        .collect();
    assert_eq!(listed, [t.to_string(), t2.to_string()], "oldest first");
    assert!(db.incident_testimonies(&other, &inc).unwrap().is_empty());

    let act = |victims: Vec<PersonId>, perpetrators: Vec<PersonId>, incident: &IncidentId| {
        RecordWrite::Act(ActWrite {
            id: ActId::random().unwrap(),
            org: o.clone(),
            incident: incident.clone(),
            violation_type: "forced_marriage".into(),
            victims,
            perpetrators,
        })
    };
    let size = db.head().unwrap().size;
    refused(
        db,
        size,
        commit(db, act(vec![stranger.clone()], vec![], &inc), "x"),
        not_found,
    );
    refused(
        db,
        size,
        commit(db, act(vec![p.clone()], vec![], &theirs), "x"),
        not_found,
    );
    commit(
        db,
        act(vec![q.clone(), p.clone(), p.clone()], vec![q.clone()], &inc),
        "a",
    )
    .unwrap();
    commit(db, act(vec![], vec![], &inc), "b").unwrap();
    let acts = db.incident_acts(&o, &inc).unwrap();
    assert_eq!(acts.len(), 2);
    let mut victims = vec![p.clone(), q.clone()];
    victims.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(
        (acts[0].victims.clone(), acts[0].perpetrators.clone()),
        (victims, vec![q.clone()])
    );
    assert!(acts[1].victims.is_empty() && acts[1].perpetrators.is_empty());
    assert!(db.incident_acts(&other, &inc).unwrap().is_empty());
}

fn erasure(db: &dyn Database) {
    let o = org(db, "o");
    let (a1, a2) = (
        member(db, &o, "a1", Role::Admin),
        member(db, &o, "a2", Role::Admin),
    );
    let p = new_person(db, &o);
    commit(db, person_write(&p, &o, 2), p.as_str()).unwrap();
    let request = |record: &str| {
        RecordWrite::ErasureRequest(ErasureRequestWrite {
            id: ErasureId::random().unwrap(),
            org: o.clone(),
            record: record.to_owned(),
            requested_by: a1.clone(),
        })
    };
    let size = db.head().unwrap().size;
    let unknown = PersonId::random().unwrap();
    refused(db, size, commit(db, request(unknown.as_str()), "x"), |e| {
        matches!(e, StoreError::NotFound(_))
    });
    refused(db, size, commit(db, request(o.as_str()), "x"), |e| {
        matches!(e, StoreError::Invalid(_))
    });
    let RecordWrite::ErasureRequest(req) = request(p.as_str()) else {
        unreachable!()
    };
    let id = req.id.clone();
    let req_idx = commit(db, RecordWrite::ErasureRequest(req), p.as_str()).unwrap();
    let size = db.head().unwrap().size;
    refused(db, size, commit(db, request(p.as_str()), "x"), |e| {
        matches!(e, StoreError::Conflict(_))
    });
    let approve = |by: &gawah_core::MemberId| {
        RecordWrite::ErasureApprove(ErasureApproveWrite {
            id: id.clone(),
            org: o.clone(),
            approved_by: by.clone(),
        })
    };
    refused(db, size, commit(db, approve(&a1), "x"), |e| {
        matches!(e, StoreError::Invalid(_))
    });
    assert!(db.data_key(p.as_str()).unwrap().is_some());
    let idx = commit(db, approve(&a2), p.as_str()).unwrap();
    assert!(
        db.data_key(p.as_str()).unwrap().is_none(),
        "the key is destroyed"
    );
    assert!(db.is_shredded(p.as_str()).unwrap());
    let row = db.person(&o, &p).unwrap().unwrap();
    assert_eq!(row.sealed, None);
    assert!(db.versions(p.as_str()).unwrap().is_empty());
    let size = db.head().unwrap().size;
    refused(db, size, commit(db, approve(&a2), "x"), |e| {
        matches!(e, StoreError::Conflict(_))
    });
    refused(db, size, commit(db, person_write(&p, &o, 3), "x"), |e| {
        matches!(e, StoreError::Conflict(_))
    });

    let rows = db.erasures(&o).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].request_index, rows[0].approve_index),
        (req_idx, Some(idx))
    );
    assert_eq!(
        (rows[0].requested_by.clone(), rows[0].approved_by.clone()),
        (a1.clone(), Some(a2.clone()))
    );
    // A second request of another record is listed first (newest first).
    let q = new_person(db, &o);
    commit(db, request(q.as_str()), q.as_str()).unwrap();
    let rows = db.erasures(&o).unwrap();
    assert_eq!(
        (rows[0].record.as_str(), rows[1].record.as_str()),
        (q.as_str(), p.as_str())
    );

    let events = db.custody_by_actor("mem_test", 3).unwrap();
    let head = db.head().unwrap().size;
    let got: Vec<u64> = events.iter().map(|e| e.log_index).collect();
    assert_eq!(
        got,
        [head - 1, head - 2, head - 3],
        "newest first, at most the limit"
    );
    assert!(db.custody_by_actor("nobody", 10).unwrap().is_empty());
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_passes_the_people_suite() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        super::people_conformance(&|| {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            crate::SqliteStore::create(&dir.path().join(format!("{i}.db"))).unwrap()
        });
    }
}
