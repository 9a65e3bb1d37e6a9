//! The conformance suite of [`UploadStore`](crate::records::UploadStore) and
//! [`DerivativeStore`](crate::records::DerivativeStore): uploaded items with their owner and
//! incident link, resumable uploads and their completion, derived working copies.

use gawah_core::vocab::Role;
use gawah_core::{IncidentId, ItemId, MemberId, OrgId, Salt, Sha256Digest};

use super::records::{
    Check, at, commit, data_key, incident, member, new_incident, org, refused, run,
};
use crate::error::StoreError;
use crate::records::{DerivativeKind, DerivativeWrite, EvidenceWrite, NewUpload};
use crate::store::{Database, NewItem, RecordWrite};

/// The checks of this suite.
pub const CHECKS: &[(&str, Check)] = &[
    ("uploaded items, owners and links", evidence),
    ("resumable uploads", resumable),
    ("derived working copies", derivatives),
];

/// Runs this suite. The stores must have a folder for uploads (a data dir).
pub fn uploads_conformance<S: Database>(fresh: &dyn Fn() -> S) {
    run("uploads", CHECKS, fresh);
}

fn evidence_write(
    org: &OrgId,
    member: &MemberId,
    incident: Option<&IncidentId>,
    n: u8,
) -> EvidenceWrite {
    let content = [n; 10];
    EvidenceWrite {
        item: NewItem {
            id: ItemId::random().unwrap(),
            sha256: Sha256Digest::of(&content),
            bytes: content.len() as u64,
            salt: Salt([n; 32]),
            case_ref: Some("case".into()),
            sealed: None,
            data_key: None,
            blob: None,
            confidential: false,
        },
        org: org.clone(),
        member: member.clone(),
        incident: incident.cloned(),
        confidential: n % 2 == 1,
        upload: None,
    }
}

fn evidence(db: &dyn Database) {
    let (o, other) = (org(db, "o"), org(db, "other"));
    let m = member(db, &o, "m", Role::Documenter);
    let inc = new_incident(db, &o, incident("i", "2023-01-01", "AF-KAB"));
    let theirs = new_incident(db, &other, incident("t", "2023-01-01", "AF-KAB"));
    let size = db.head().unwrap().size;
    let stray = evidence_write(&o, &m, Some(&theirs), 1);
    refused(
        db,
        size,
        commit(db, RecordWrite::Evidence(stray), "x"),
        |e| matches!(e, StoreError::NotFound(_)),
    );
    let (a, b) = (
        evidence_write(&o, &m, Some(&inc), 1),
        evidence_write(&o, &m, Some(&inc), 2),
    );
    let ia = commit(db, RecordWrite::Evidence(a.clone()), a.item.id.as_str()).unwrap();
    let ib = commit(db, RecordWrite::Evidence(b.clone()), b.item.id.as_str()).unwrap();
    let unlinked = evidence_write(&o, &m, None, 3);
    commit(db, RecordWrite::Evidence(unlinked.clone()), "u").unwrap();

    let linked = db.incident_items(&o, &inc).unwrap();
    let got: Vec<_> = linked
        .iter()
        .map(|l| (l.item.id.clone(), l.confidential, l.link_index))
        .collect();
    assert_eq!(
        got,
        [
            (a.item.id.clone(), true, ia),
            (b.item.id.clone(), false, ib)
        ]
    );
    assert_eq!(linked[0].item.sha256, Some(a.item.sha256));
    assert!(db.incident_items(&other, &inc).unwrap().is_empty());
    assert_eq!(
        db.item_incidents(&a.item.id).unwrap(),
        [(o.clone(), inc.clone())]
    );
    assert!(db.item_incidents(&unlinked.item.id).unwrap().is_empty());

    let owned = db.owned_item(&o, &a.item.id).unwrap().unwrap();
    assert_eq!(
        (owned.confidential, owned.incident, owned.item.log_index),
        (true, Some(inc), ia)
    );
    let owned = db.owned_item(&o, &unlinked.item.id).unwrap().unwrap();
    assert_eq!((owned.confidential, owned.incident), (true, None));
    assert!(db.owned_item(&other, &a.item.id).unwrap().is_none());
}

fn new_upload(org: &OrgId, member: &MemberId, length: u64) -> NewUpload {
    let id = format!(
        "upl_{}",
        hex::encode(gawah_core::random::random_bytes::<16>().unwrap())
    );
    NewUpload {
        data_key: Some(data_key(&id)),
        id,
        org: org.clone(),
        member: member.clone(),
        length,
        file_name: Some("photo.jpg".into()),
        case_ref: None,
        incident: None,
        confidential: true,
        created_at: at(7),
        sealed: Some(vec![4; 12]),
    }
}

fn resumable(db: &dyn Database) {
    let dir = db.uploads_dir().unwrap();
    assert!(
        dir.is_dir() && dir.ends_with("uploads"),
        "{}",
        dir.display()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);

    let o = org(db, "o");
    let m = member(db, &o, "m", Role::Documenter);
    let u = new_upload(&o, &m, 10);
    db.upload_create(&u).unwrap();
    let row = db.upload(&u.id).unwrap().unwrap();
    assert_eq!(
        (row.offset, row.length, row.confidential, row.done.clone()),
        (0, 10, true, None)
    );
    assert_eq!(
        (row.file_name.as_deref(), row.sealed.clone(), row.created_at),
        (Some("photo.jpg"), Some(vec![4; 12]), at(7))
    );
    assert!(db.data_key(&u.id).unwrap().is_some());
    assert!(
        !db.upload_advance(&u.id, 3, 5).unwrap(),
        "not at that offset"
    );
    assert!(
        !db.upload_advance(&u.id, 0, 11).unwrap(),
        "beyond its length"
    );
    assert!(db.upload_advance(&u.id, 0, 6).unwrap());
    assert!(!db.upload_advance("upl_none", 0, 1).unwrap());

    let mut finish = evidence_write(&o, &m, None, 5);
    finish.upload = Some(u.id.clone());
    let size = db.head().unwrap().size;
    refused(
        db,
        size,
        commit(db, RecordWrite::Evidence(finish.clone()), "x"),
        |e| matches!(e, StoreError::Conflict(_)),
    );
    assert!(db.upload_advance(&u.id, 6, 10).unwrap());
    let idx = commit(db, RecordWrite::Evidence(finish.clone()), "x").unwrap();
    let done = db.upload(&u.id).unwrap().unwrap().done.unwrap();
    assert_eq!(
        (done.item, done.sha256, done.bytes, done.log_index),
        (finish.item.id.clone(), Some(finish.item.sha256), 10, idx)
    );
    assert!(
        db.data_key(&u.id).unwrap().is_none(),
        "the upload's key is gone"
    );
    assert!(!db.upload_advance(&u.id, 10, 10).unwrap(), "finished");
    let mut again = evidence_write(&o, &m, None, 6);
    again.upload = Some(u.id.clone());
    let size = db.head().unwrap().size;
    refused(
        db,
        size,
        commit(db, RecordWrite::Evidence(again), "x"),
        |e| matches!(e, StoreError::Conflict(_)),
    );
    assert!(db.upload_delete(&u.id).unwrap());
    assert!(!db.upload_delete(&u.id).unwrap());
    assert!(db.upload(&u.id).unwrap().is_none());
    assert!(
        db.owned_item(&o, &finish.item.id).unwrap().is_some(),
        "the item stays"
    );
}

fn derivatives(db: &dyn Database) {
    let (o, other) = (org(db, "o"), org(db, "other"));
    let m = member(db, &o, "m", Role::Documenter);
    let mo = member(db, &other, "mo", Role::Documenter);
    let inc = new_incident(db, &o, incident("i", "2023-01-01", "AF-KAB"));
    let original = evidence_write(&o, &m, Some(&inc), 2);
    commit(db, RecordWrite::Evidence(original.clone()), "o").unwrap();
    let derive = |org: &OrgId, by: &MemberId, n: u8| DerivativeWrite {
        evidence: evidence_write(org, by, Some(&inc), n),
        original: original.item.id.clone(),
        kind: DerivativeKind::Redaction,
        params: format!("[{n}]"),
    };
    let size = db.head().unwrap().size;
    refused(
        db,
        size,
        commit(db, RecordWrite::Derivative(derive(&other, &mo, 3)), "x"),
        |e| matches!(e, StoreError::NotFound(_)),
    );
    let (d1, d2) = (derive(&o, &m, 4), derive(&o, &m, 6));
    let i1 = commit(db, RecordWrite::Derivative(d1.clone()), "d").unwrap();
    let i2 = commit(db, RecordWrite::Derivative(d2.clone()), "d").unwrap();
    let rows = db.derivatives(&original.item.id).unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.item.clone(),
                r.kind.as_str(),
                r.params.as_str(),
                r.log_index,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (d1.evidence.item.id.clone(), "redaction", "[4]", i1),
            (d2.evidence.item.id.clone(), "redaction", "[6]", i2)
        ]
    );
    assert_eq!(rows[0].original, original.item.id);
    let owned = db.owned_item(&o, &d1.evidence.item.id).unwrap().unwrap();
    assert_eq!(owned.incident, Some(inc.clone()));
    assert_eq!(db.incident_items(&o, &inc).unwrap().len(), 3);
    assert!(db.derivatives(&d1.evidence.item.id).unwrap().is_empty());
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_passes_the_uploads_suite() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        super::uploads_conformance(&|| {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sub = dir.path().join(i.to_string());
            std::fs::create_dir(&sub).unwrap();
            crate::SqliteStore::create(&sub.join("gawah.db")).unwrap()
        });
    }
}
