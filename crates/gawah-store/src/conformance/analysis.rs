//! The conformance suite of [`AnalysisStore`] and `RecordWrite::IncidentLink`: the change
//! sequence the search index follows, an organisation's incidents in date order, links
//! between incidents, what the public figures may count, and incidents sharing a file.
//!
//! The incidents, testimonies, members and files it reads are written with the record
//! store's own writes, so a backend passes it once those are stored too.

use gawah_core::figures::FigureInput;
use gawah_core::incident::{Incident, IncidentInput};
use gawah_core::vocab::Role;
use gawah_core::{Action, ErasureId, IncidentId, LogEntry, MemberId, OrgId, Salt, TestimonyId};

use super::harness::{Harness, assert_head, commit_one, commit_org, run, time};
use crate::analysis::{AnalysisStore, LinkWrite};
use crate::error::StoreError;
use crate::keys::{DataKeyRow, KeyStore};
use crate::records::{
    ErasureApproveWrite, ErasureRequestWrite, EvidenceWrite, IncidentWrite, NewMember, SealedWrite,
    TestimonyWrite,
};
use crate::store::{Change, RecordWrite, Store};
use crate::store_conformance::new_item;

/// Runs every check of the analysis reads, each on a fresh store.
pub fn analysis_conformance<H: Harness>(harness: &H) {
    run(
        "analysis",
        harness,
        &[
            ("incident changes, sequence and date order", changes),
            ("links between incidents", links),
            ("what the public figures may count", publishable),
            ("incidents that share a file", same_file),
        ],
    );
}

fn commit(store: &dyn Store, record: RecordWrite, subject: &str) -> Result<u64, StoreError> {
    let n = store.head()?.size as i64;
    let entry = LogEntry::new(time(n), "mbr_test", Action::Create, subject);
    commit_one(store, Change { record, entry })
}

fn data_key(record: &str, org: &OrgId) -> Option<DataKeyRow> {
    Some(DataKeyRow {
        record: record.to_owned(),
        scope: org.as_str().to_owned(),
        key_version: 1,
        wrapped: vec![9; 40],
    })
}

fn incident(date: &str, province: &str, types: &[&str], status: &str) -> Incident {
    IncidentInput {
        title: format!("In {province} on {date}"),
        date: date.into(),
        province: province.into(),
        violation_types: types.iter().map(|t| (*t).to_owned()).collect(),
        verification_status: Some(status.into()),
        ..Default::default()
    }
    .validate()
    .expect("a valid incident")
}

/// Writes version `version` of incident `id`; returns its log index.
fn write_incident(
    store: &dyn Store,
    org: &OrgId,
    id: &IncidentId,
    i: Incident,
    version: u64,
) -> u64 {
    let record = RecordWrite::Incident(IncidentWrite {
        id: id.clone(),
        org: org.clone(),
        incident: i,
        version,
        salt: Salt([version as u8; 32]),
        content: format!("content {version}").into_bytes(),
        sealed: Some(vec![1, 2, 3]),
        data_key: if version == 1 {
            data_key(id.as_str(), org)
        } else {
            None
        },
    });
    commit(store, record, id.as_str()).expect("an incident")
}

fn new_incident(store: &dyn Store, org: &OrgId, i: Incident) -> IncidentId {
    let id = IncidentId::random().unwrap();
    write_incident(store, org, &id, i, 1);
    id
}

fn plain(store: &dyn Store, org: &OrgId, date: &str) -> IncidentId {
    new_incident(store, org, incident(date, "AF-KAB", &[], "unverified"))
}

fn member(store: &dyn Store, org: &OrgId, name: &str, role: Role) -> MemberId {
    let id = MemberId::random().unwrap();
    let m = NewMember {
        id: id.clone(),
        org: org.clone(),
        username: name.into(),
        role,
        password_hash: "hash".into(),
        totp_secret: None,
    };
    commit(store, RecordWrite::Member(m), id.as_str()).expect("a member");
    id
}

fn changes<H: Harness>(_: &H, store: &H::Store) {
    assert_eq!(store.incident_seq().unwrap(), 0);
    assert!(store.incident_changes(0, 10).unwrap().is_empty());
    let (a, b) = (commit_org(store, "A"), commit_org(store, "B"));
    let i1 = plain(store, &a, "2024-03-01");
    let i2 = plain(store, &a, "2023-05");
    let idx2 = store.head().unwrap().size - 1;
    let i3 = plain(store, &a, "2024-03-01");
    let idx3 = store.head().unwrap().size - 1;
    let j1 = plain(store, &b, "2022");
    let idxj = store.head().unwrap().size - 1;
    let changed = incident("2024-03-01", "AF-HER", &["education"], "verified");
    let u = write_incident(store, &a, &i1, changed.clone(), 2);
    commit(store, RecordWrite::None, "view").unwrap();

    let seen = |after, limit| -> Vec<(IncidentId, u64)> {
        let rows = store.incident_changes(after, limit).unwrap();
        rows.into_iter().map(|(r, idx)| (r.id, idx)).collect()
    };
    // Once each, at its latest change, in log order.
    assert_eq!(
        seen(0, 100),
        [
            (i2.clone(), idx2),
            (i3.clone(), idx3),
            (j1.clone(), idxj),
            (i1.clone(), u)
        ]
    );
    assert_eq!(seen(idx3, 100), [(j1.clone(), idxj), (i1.clone(), u)]);
    assert_eq!(seen(0, 1), [(i2.clone(), idx2)]);
    assert!(seen(u, 100).is_empty());
    assert_eq!(store.incident_seq().unwrap(), u);
    let latest = store.incident_changes(idx3, 100).unwrap().pop().unwrap().0;
    assert_eq!(
        (latest.version, &latest.incident, &latest.org),
        (2, &changed, &a)
    );
    assert_eq!(latest.sealed.as_deref(), Some(&[1, 2, 3][..]));

    // By date, then id (i1 and i3 share a date); only the organisation's own.
    let listed: Vec<IncidentId> = store
        .org_incidents(&a)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut by_date = vec![
        (changed.date.clone(), i1.clone()),
        ("2023-05".to_owned(), i2),
        ("2024-03-01".to_owned(), i3),
    ];
    by_date.sort();
    assert_eq!(
        listed,
        by_date.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
    assert_eq!(store.org_incidents(&b).unwrap().len(), 1);
    assert!(
        store
            .org_incidents(&OrgId::random().unwrap())
            .unwrap()
            .is_empty()
    );
}

fn links<H: Harness>(_: &H, store: &H::Store) {
    let (a, b) = (commit_org(store, "A"), commit_org(store, "B"));
    let (i1, i2, i3) = (
        plain(store, &a, "2024"),
        plain(store, &a, "2024"),
        plain(store, &a, "2024"),
    );
    let j1 = plain(store, &b, "2024");
    let by = MemberId::random().unwrap();
    let link = |x: &IncidentId, y: &IncidentId, org: &OrgId| {
        let w = LinkWrite {
            org: org.clone(),
            a: x.clone(),
            b: y.clone(),
            by: by.clone(),
        };
        commit(store, RecordWrite::IncidentLink(w), x.as_str())
    };
    let size = store.head().unwrap().size;
    assert!(matches!(link(&i1, &i1, &a), Err(StoreError::Invalid(_))));
    assert!(matches!(link(&i1, &j1, &a), Err(StoreError::NotFound(_))));
    assert!(matches!(link(&i1, &i2, &b), Err(StoreError::NotFound(_))));
    assert_head(store, size);
    let l1 = link(&i1, &i2, &a).unwrap();
    let size = store.head().unwrap().size;
    let twice = link(&i2, &i1, &a);
    assert!(matches!(twice, Err(StoreError::Invalid(_))), "{twice:?}");
    assert_head(store, size);
    let l2 = link(&i3, &i1, &a).unwrap();

    let of = |i: &IncidentId, org: &OrgId| -> Vec<(IncidentId, u64)> {
        let links = store.incident_links(org, i).unwrap();
        for l in &links {
            assert_eq!(
                (l.kind.as_str(), l.actor.as_str()),
                ("duplicate", by.as_str())
            );
            assert_eq!(l.created_at, time(l.log_index as i64));
        }
        links.into_iter().map(|l| (l.other, l.log_index)).collect()
    };
    assert_eq!(of(&i1, &a), [(i2.clone(), l1), (i3.clone(), l2)]);
    assert_eq!(of(&i2, &a), [(i1.clone(), l1)]);
    assert_eq!(of(&i3, &a), [(i1.clone(), l2)]);
    assert!(of(&i1, &b).is_empty(), "another organisation's view");
    assert!(of(&j1, &b).is_empty());
}

/// A testimony of `incident` with this consent (`None`: no consent field at all).
fn testimony(
    store: &dyn Store,
    org: &OrgId,
    incident: &IncidentId,
    consent: Option<&[&str]>,
) -> TestimonyId {
    let id = TestimonyId::random().unwrap();
    let internal = match consent {
        Some(c) => serde_json::json!({ "consent": c, "language": "fa" }),
        None => serde_json::json!({ "language": "fa" }),
    };
    let record = RecordWrite::Testimony(TestimonyWrite {
        record: SealedWrite {
            id: id.as_str().to_owned(),
            org: org.clone(),
            version: 1,
            internal: internal.to_string(),
            sealed: vec![4; 20],
            salt: Salt([4; 32]),
            content: b"sealed content".to_vec(),
            data_key: data_key(id.as_str(), org),
        },
        incident: incident.clone(),
        person: None,
    });
    commit(store, record, id.as_str()).expect("a testimony");
    id
}

/// An incident of an organisation, the consents of its testimonies (`None`: a testimony
/// without a consent field), and whether the public figures may count it.
type Case<'a> = (&'a OrgId, Incident, &'a [Option<&'a [&'a str]>], bool);

fn publishable<H: Harness>(_: &H, store: &H::Store) {
    let (a, b) = (commit_org(store, "A"), commit_org(store, "B"));
    let anonymised: &[&str] = &["internal", "anonymised_publication"];
    let cases: [Case<'_>; 7] = [
        (
            &a,
            incident("2024-01", "AF-KAB", &["education", "movement"], "verified"),
            &[Some(anonymised)],
            true,
        ),
        (
            &b,
            incident("2023", "AF-HER", &["dress"], "unverified"),
            &[Some(&["named_publication"])],
            true,
        ),
        (
            &a,
            incident("2022-02-02", "AF-BAL", &[], "partially_verified"),
            &[],
            true,
        ),
        (
            &a,
            incident("2024-02", "AF-KAB", &["health"], "disputed"),
            &[Some(anonymised)],
            false,
        ),
        (
            &a,
            incident("2024-03", "AF-KAB", &["health"], "verified"),
            &[Some(&["internal", "legal"])],
            false,
        ),
        (
            &a,
            incident("2024-04", "AF-KAB", &["media"], "verified"),
            &[Some(anonymised), None],
            false,
        ),
        (
            &a,
            incident("2024-05", "AF-KAB", &["media"], "verified"),
            &[Some(&[])],
            false,
        ),
    ];
    let mut expected = Vec::new();
    for (org, i, consents, counted) in cases {
        let id = new_incident(store, org, i.clone());
        for c in consents {
            testimony(store, org, &id, *c);
        }
        if counted {
            expected.push(figure(&i));
        }
    }
    // A withdrawn witness takes the incident out of the figures.
    let erased = incident("2025", "AF-KAN", &["justice"], "verified");
    let id = new_incident(store, &a, erased.clone());
    let t = testimony(store, &a, &id, Some(anonymised));
    let mut with_erased = expected.clone();
    with_erased.push(figure(&erased));
    with_erased.sort();
    assert_eq!(counted(store), with_erased);
    assert!(!store.is_shredded(t.as_str()).unwrap());
    erase(store, &a, &t);
    // Erased: its key destroyed, and the keyring says so.
    assert!(store.is_shredded(t.as_str()).unwrap());
    assert_eq!(store.data_key(t.as_str()).unwrap(), None);
    expected.sort();
    assert_eq!(counted(store), expected);
}

type Figure = (String, String, Vec<String>);

fn figure(i: &Incident) -> Figure {
    (
        i.date.clone(),
        i.province.clone(),
        i.violation_types.clone(),
    )
}

/// The figures' inputs, in an order of their own (the store promises none).
fn counted(store: &dyn AnalysisStore) -> Vec<Figure> {
    let mut out: Vec<Figure> = store
        .publishable_incidents()
        .unwrap()
        .into_iter()
        .map(|f: FigureInput| (f.date, f.province, f.domains))
        .collect();
    out.sort();
    out
}

/// Erases `record` as two admins of `org` do: one asks, the other approves.
fn erase(store: &dyn Store, org: &OrgId, record: &TestimonyId) {
    let asks = member(store, org, &format!("asks-{record}"), Role::Admin);
    let approves = member(store, org, &format!("approves-{record}"), Role::Admin);
    let id = ErasureId::random().unwrap();
    let request = ErasureRequestWrite {
        id: id.clone(),
        org: org.clone(),
        record: record.as_str().to_owned(),
        requested_by: asks,
    };
    commit(store, RecordWrite::ErasureRequest(request), record.as_str()).unwrap();
    let approve = ErasureApproveWrite {
        id,
        org: org.clone(),
        approved_by: approves,
    };
    commit(store, RecordWrite::ErasureApprove(approve), record.as_str()).unwrap();
}

fn same_file<H: Harness>(_: &H, store: &H::Store) {
    let (a, b) = (commit_org(store, "A"), commit_org(store, "B"));
    let (ma, mb) = (
        member(store, &a, "ma", Role::Documenter),
        member(store, &b, "mb", Role::Documenter),
    );
    let (a1, a2, a3, a4) = (
        plain(store, &a, "2024"),
        plain(store, &a, "2024"),
        plain(store, &a, "2024"),
        plain(store, &a, "2024"),
    );
    let b1 = plain(store, &b, "2024");
    let file = |content: u8, org: &OrgId, member: &MemberId, incident: &IncidentId| {
        let (item, change) = new_item(content, None);
        let w = EvidenceWrite {
            item,
            org: org.clone(),
            member: member.clone(),
            incident: Some(incident.clone()),
            confidential: false,
            upload: None,
        };
        store
            .commit(&[Change {
                record: RecordWrite::Evidence(w),
                entry: change.entry,
            }])
            .expect("a file");
    };
    // The same bytes in a1 (twice), a2, a4 and b1; other bytes in a3.
    file(1, &a, &ma, &a1);
    file(1, &a, &ma, &a1);
    file(1, &a, &ma, &a2);
    file(2, &a, &ma, &a3);
    file(1, &a, &ma, &a4);
    file(1, &b, &mb, &b1);
    let mut others = vec![a2.clone(), a4.clone()];
    others.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(store.same_file_incidents(&a, &a1).unwrap(), others);
    assert!(store.same_file_incidents(&a, &a3).unwrap().is_empty());
    // b1 holds the same bytes, but in another organisation.
    assert!(store.same_file_incidents(&b, &b1).unwrap().is_empty());
}
