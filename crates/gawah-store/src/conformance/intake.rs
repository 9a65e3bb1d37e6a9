//! The conformance suite of [`IntakeStore`] and the intake writes (`IntakeKey`, `Submission`,
//! `SubmissionPart`, `SubmissionStatus`): one intake key per organisation with its data key,
//! submissions found by receipt or by organisation, parts numbered without gaps or doubles,
//! and a closed submission takes no more.

use gawah_core::{Action, LogEntry, OrgId};

use super::harness::{Harness, assert_head, commit_one, commit_org, run, time};
use crate::error::StoreError;
use crate::intake::{
    IntakeKeyWrite, IntakeStore, SubmissionId, SubmissionPartWrite, SubmissionStatus,
    SubmissionStatusWrite, SubmissionWrite, intake_key_record,
};
use crate::keys::{DataKeyRow, KeyStore};
use crate::store::{Change, RecordWrite, Store};

/// Runs every check of intake, each on a fresh store.
pub fn intake_conformance<H: Harness>(harness: &H) {
    run(
        "intake",
        harness,
        &[
            ("one intake key per organisation", intake_keys),
            ("submissions, parts and statuses", submissions),
            ("submissions are listed newest first", listing),
        ],
    );
}

fn logged(record: RecordWrite, subject: &str) -> Change {
    Change {
        record,
        entry: LogEntry::new(time(0), "anonymous", Action::Intake, subject),
    }
}

fn key_write(org: &OrgId, recipient: &str) -> IntakeKeyWrite {
    IntakeKeyWrite {
        org: org.clone(),
        recipient: recipient.into(),
        identity: vec![7; 40],
        data_key: DataKeyRow {
            record: intake_key_record(org),
            scope: org.as_str().into(),
            key_version: 1,
            wrapped: vec![3; 60],
        },
    }
}

fn add_key(store: &dyn Store, org: &OrgId) {
    commit_one(
        store,
        logged(
            RecordWrite::IntakeKey(key_write(org, "age1x")),
            org.as_str(),
        ),
    )
    .unwrap();
}

fn submit(
    store: &dyn Store,
    org: &OrgId,
    id: &SubmissionId,
    receipt: u8,
) -> Result<u64, StoreError> {
    let w = SubmissionWrite {
        id: id.clone(),
        org: org.clone(),
        receipt_hash: [receipt; 32],
        day: "2026-01-01".into(),
        sealed: vec![receipt; 10],
    };
    commit_one(store, logged(RecordWrite::Submission(w), id.as_str()))
}

fn add_part(store: &dyn Store, id: &SubmissionId, part: u32) -> Result<u64, StoreError> {
    let w = SubmissionPartWrite {
        id: id.clone(),
        part,
        day: "2026-01-02".into(),
        sealed: vec![part as u8; 12],
    };
    commit_one(store, logged(RecordWrite::SubmissionPart(w), id.as_str()))
}

fn set_status(
    store: &dyn Store,
    org: &OrgId,
    id: &SubmissionId,
    status: SubmissionStatus,
) -> Result<u64, StoreError> {
    let w = SubmissionStatusWrite {
        id: id.clone(),
        org: org.clone(),
        status,
        day: "2026-01-03".into(),
    };
    commit_one(store, logged(RecordWrite::SubmissionStatus(w), id.as_str()))
}

fn intake_keys<H: Harness>(_: &H, store: &H::Store) {
    // Byte order: "Zeta" before "alpha".
    let alpha = commit_org(store, "alpha");
    let zeta = commit_org(store, "Zeta");
    let silent = commit_org(store, "silent");
    assert!(store.intake_orgs().unwrap().is_empty());
    assert_eq!(store.intake_key(&alpha).unwrap(), None);
    commit_one(
        store,
        logged(RecordWrite::IntakeKey(key_write(&alpha, "age1alpha")), "a"),
    )
    .unwrap();
    add_key(store, &zeta);
    let key = store
        .intake_key(&alpha)
        .unwrap()
        .expect("alpha's intake key");
    assert_eq!(
        (&key.org, key.recipient.as_str(), key.identity.as_slice()),
        (&alpha, "age1alpha", &[7; 40][..])
    );
    assert_eq!(
        store.data_key(&intake_key_record(&alpha)).unwrap(),
        Some(key_write(&alpha, "").data_key)
    );
    let names: Vec<String> = store
        .intake_orgs()
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["Zeta", "alpha"]);
    assert_eq!(store.intake_key(&silent).unwrap(), None);
    // A second key is a conflict, and leaves the first.
    let size = store.head().unwrap().size;
    let mut second = key_write(&alpha, "age1other");
    second.data_key.record = "intake:second".into();
    let e = commit_one(store, logged(RecordWrite::IntakeKey(second), "a"));
    assert!(matches!(e, Err(StoreError::Conflict(_))), "{e:?}");
    assert_head(store, size);
    assert_eq!(
        store.intake_key(&alpha).unwrap().unwrap().recipient,
        "age1alpha"
    );
    assert_eq!(store.data_key("intake:second").unwrap(), None);
}

fn submissions<H: Harness>(_: &H, store: &H::Store) {
    let org = commit_org(store, "Org");
    let other = commit_org(store, "Other");
    let id = SubmissionId::at(time(0)).unwrap();
    let size = store.head().unwrap().size;
    let e = submit(store, &org, &id, 1);
    assert!(
        matches!(e, Err(StoreError::NotFound(_))),
        "no intake key: {e:?}"
    );
    assert_head(store, size);
    add_key(store, &org);
    let first = submit(store, &org, &id, 1).unwrap();
    let row = store
        .submission(&org, &id)
        .unwrap()
        .expect("the submission");
    assert_eq!(
        (&row.id, &row.org, row.status, row.parts),
        (&id, &org, SubmissionStatus::Received, 1)
    );
    assert_eq!(
        (row.created_day.as_str(), row.updated_day.as_str()),
        ("2026-01-01", "2026-01-01")
    );
    assert_eq!(store.submission_by_receipt(&[1; 32]).unwrap(), Some(row));
    assert_eq!(store.submission_by_receipt(&[2; 32]).unwrap(), None);
    assert_eq!(
        store.submission(&other, &id).unwrap(),
        None,
        "another organisation's"
    );
    // A receipt is unique.
    let twin = SubmissionId::at(time(1)).unwrap();
    assert!(submit(store, &org, &twin, 1).is_err());

    let second = add_part(store, &id, 2).unwrap();
    let size = store.head().unwrap().size;
    let e = add_part(store, &id, 2);
    assert!(
        matches!(e, Err(StoreError::Conflict(_))),
        "part 2 twice: {e:?}"
    );
    assert_head(store, size);
    let parts = store.submission_parts(&id).unwrap();
    let summary: Vec<(u32, u8, &str, u64)> = parts
        .iter()
        .map(|p| (p.part, p.sealed[0], p.created_day.as_str(), p.log_index))
        .collect();
    assert_eq!(
        summary,
        [(1, 1, "2026-01-01", first), (2, 2, "2026-01-02", second)]
    );
    assert_eq!(parts[1].sealed, vec![2; 12]);
    let row = store.submission(&org, &id).unwrap().unwrap();
    assert_eq!((row.parts, row.updated_day.as_str()), (2, "2026-01-02"));

    let e = set_status(store, &other, &id, SubmissionStatus::Closed);
    assert!(matches!(e, Err(StoreError::NotFound(_))), "{e:?}");
    set_status(store, &org, &id, SubmissionStatus::UnderReview).unwrap();
    add_part(store, &id, 3).unwrap();
    set_status(store, &org, &id, SubmissionStatus::Closed).unwrap();
    let row = store.submission(&org, &id).unwrap().unwrap();
    assert_eq!(
        (row.status, row.parts, row.updated_day.as_str()),
        (SubmissionStatus::Closed, 3, "2026-01-03")
    );
    let e = add_part(store, &id, 4);
    assert!(matches!(e, Err(StoreError::NotFound(_))), "closed: {e:?}");
    let unknown = SubmissionId::at(time(2)).unwrap();
    assert!(matches!(
        add_part(store, &unknown, 1),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.submission_parts(&unknown).unwrap().is_empty());
}

fn listing<H: Harness>(_: &H, store: &H::Store) {
    let org = commit_org(store, "Org");
    let other = commit_org(store, "Other");
    add_key(store, &org);
    add_key(store, &other);
    let day = 86_400_000;
    let ids: Vec<SubmissionId> = (0..4)
        .map(|d| SubmissionId::at(time(d * day)).unwrap())
        .collect();
    for (n, id) in ids.iter().enumerate() {
        submit(store, &org, id, n as u8 + 10).unwrap();
    }
    submit(store, &other, &SubmissionId::at(time(9 * day)).unwrap(), 99).unwrap();
    let listed: Vec<SubmissionId> = store
        .submissions(&org, 3)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, [ids[3].clone(), ids[2].clone(), ids[1].clone()]);
    assert_eq!(store.submissions(&org, 100).unwrap().len(), 4);
    assert_eq!(store.submissions(&org, 0).unwrap().len(), 0);
    assert!(
        store
            .submissions(&OrgId::random().unwrap(), 10)
            .unwrap()
            .is_empty()
    );
}
