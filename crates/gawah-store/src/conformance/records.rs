//! The conformance suite of [`RecordStore`](crate::RecordStore)'s own reads and the record
//! writes behind them (organisations, members, credentials, edicts, incidents, versions,
//! endorsements), over a [`Database`] trait object; and the helpers the people and upload
//! suites share. Run on SQLite below and on PostgreSQL in `tests/records_pg_p2.rs`.

use gawah_core::edict::Edict;
use gawah_core::incident::{Incident, IncidentInput};
use gawah_core::vocab::Role;
use gawah_core::{Action, IncidentId, LogEntry, MemberId, OrgId, Salt, Timestamp};

use crate::error::StoreError;
use crate::keys::DataKeyRow;
use crate::records::{IncidentListRow, IncidentQuery, IncidentWrite, NewMember, SessionRow};
use crate::store::{Change, Database, RecordWrite};

/// One check: it gets a fresh, empty database.
pub type Check = fn(&dyn Database);

/// Runs each named check of `suite` on a fresh database from `fresh`, naming it first.
pub fn run<S: Database>(suite: &str, checks: &[(&str, Check)], fresh: &dyn Fn() -> S) {
    for (name, check) in checks {
        eprintln!("{suite} conformance: {name}");
        check(&fresh());
    }
}

/// The checks of this suite.
pub const CHECKS: &[(&str, Check)] = &[
    ("organisations and members", orgs_and_members),
    ("failed logins and sessions", logins_and_sessions),
    (
        "API tokens listed and revoked",
        api_tokens_listed_and_revoked,
    ),
    ("edicts and endorsements", edicts_and_endorsements),
    ("incident versions", incident_versions),
    ("incident pages and totals", incident_pages),
    ("a listed incident is the stored one", listed_incident),
];

/// Runs this suite.
pub fn records_conformance<S: Database>(fresh: &dyn Fn() -> S) {
    run("records", CHECKS, fresh);
}

/// A time that tells changes apart.
pub fn at(i: i64) -> Timestamp {
    Timestamp::from_millis(1_767_225_600_000 + i)
}

/// Commits `record` with an entry about `subject`.
pub fn commit(db: &dyn Database, record: RecordWrite, subject: &str) -> Result<u64, StoreError> {
    let n = db.head()?.size as i64;
    let entry = LogEntry::new(
        at(n),
        "mem_test",
        Action::Create,
        &subject.to_ascii_lowercase(),
    );
    Ok(db.commit(&[Change { record, entry }])?[0])
}

/// A new organisation.
pub fn org(db: &dyn Database, name: &str) -> OrgId {
    let id = OrgId::random().expect("random id");
    let record = RecordWrite::Org {
        id: id.clone(),
        name: name.to_owned(),
    };
    commit(db, record, id.as_str()).expect("an organisation");
    id
}

/// A new member of `org`.
pub fn member(db: &dyn Database, org: &OrgId, username: &str, role: Role) -> MemberId {
    let id = MemberId::random().expect("random id");
    let m = NewMember {
        id: id.clone(),
        org: org.clone(),
        username: username.to_owned(),
        role,
        password_hash: format!("hash of {username}"),
        totp_secret: Some(vec![7; 20]),
    };
    commit(db, RecordWrite::Member(m), id.as_str()).expect("a member");
    id
}

/// A data key row for `record` (the store keeps it, never opens it).
pub fn data_key(record: &str) -> DataKeyRow {
    DataKeyRow {
        record: record.to_owned(),
        scope: "org_scope".into(),
        key_version: 1,
        wrapped: vec![9; 40],
    }
}

/// A valid incident.
pub fn incident(title: &str, date: &str, province: &str) -> Incident {
    IncidentInput {
        title: title.into(),
        date: date.into(),
        province: province.into(),
        ..Default::default()
    }
    .validate()
    .expect("a valid incident")
}

/// Version `version` of incident `id`.
pub fn incident_write(id: &IncidentId, org: &OrgId, i: Incident, version: u64) -> RecordWrite {
    RecordWrite::Incident(IncidentWrite {
        id: id.clone(),
        org: org.clone(),
        incident: i,
        version,
        salt: Salt([version as u8; 32]),
        content: format!("content {version}").into_bytes(),
        sealed: Some(vec![1, 2, 3]),
        data_key: (version == 1).then(|| data_key(id.as_str())),
    })
}

/// A new incident of `org`.
pub fn new_incident(db: &dyn Database, org: &OrgId, i: Incident) -> IncidentId {
    let id = IncidentId::random().expect("random id");
    commit(db, incident_write(&id, org, i, 1), id.as_str()).expect("an incident");
    id
}

/// Asserts that `result` failed as `what` and logged nothing.
pub fn refused<T: std::fmt::Debug>(
    db: &dyn Database,
    size: u64,
    result: Result<T, StoreError>,
    what: fn(&StoreError) -> bool,
) {
    let err = result.expect_err("refused");
    assert!(what(&err), "unexpected error: {err}");
    assert_eq!(
        db.head().expect("head").size,
        size,
        "a refused write logs nothing"
    );
}

fn orgs_and_members(db: &dyn Database) {
    let b = org(db, "beta");
    let a = org(db, "alpha");
    let names: Vec<_> = db.orgs().unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(db.org_by_name("beta").unwrap().unwrap().id, b);
    assert!(db.org_by_name("Beta").unwrap().is_none());
    let size = db.head().unwrap().size;
    let dup = RecordWrite::Org {
        id: OrgId::random().unwrap(),
        name: "alpha".into(),
    };
    refused(
        db,
        size,
        commit(db, dup, "x"),
        |e| matches!(e, StoreError::Invalid(m) if m.contains("alpha")),
    );

    let m = member(db, &a, "zahra", Role::Documenter);
    let row = db.member_by_username("zahra").unwrap().unwrap();
    assert_eq!(
        (row.id.clone(), row.org.clone(), row.role),
        (m.clone(), a.clone(), Role::Documenter)
    );
    assert_eq!(row.totp_secret, Some(vec![7; 20]));
    assert_eq!((row.failed_logins, row.locked_until), (0, None));
    assert_eq!(db.member(&m).unwrap(), Some(row));
    assert!(db.member(&MemberId::random().unwrap()).unwrap().is_none());
    let size = db.head().unwrap().size;
    let taken = NewMember {
        id: MemberId::random().unwrap(),
        org: b.clone(),
        username: "zahra".into(),
        role: Role::Viewer,
        password_hash: "h".into(),
        totp_secret: None,
    };
    refused(
        db,
        size,
        commit(db, RecordWrite::Member(taken), "x"),
        |e| matches!(e, StoreError::Invalid(m) if m.contains("taken")),
    );
    // A member of an organisation that does not exist.
    let orphan = NewMember {
        id: MemberId::random().unwrap(),
        org: OrgId::random().unwrap(),
        username: "nobody".into(),
        role: Role::Viewer,
        password_hash: "h".into(),
        totp_secret: None,
    };
    assert!(commit(db, RecordWrite::Member(orphan), "x").is_err());

    let token = [5u8; 32];
    let record = RecordWrite::ApiToken {
        member: m.clone(),
        token_hash: token,
    };
    commit(db, record, m.as_str()).unwrap();
    assert_eq!(db.token_member(&token).unwrap().unwrap().id, m);
    assert!(db.token_member(&[6u8; 32]).unwrap().is_none());
}

fn api_tokens_listed_and_revoked(db: &dyn Database) {
    let o = org(db, "Tokens");
    let a = member(db, &o, "holder", Role::Documenter);
    let b = member(db, &o, "other", Role::Viewer);
    for (n, m) in [(1u8, &a), (2, &b), (3, &a)] {
        let record = RecordWrite::ApiToken {
            member: m.clone(),
            token_hash: [n; 32],
        };
        commit(db, record, m.as_str()).unwrap();
    }
    let listed = |db: &dyn Database| -> Vec<(u8, MemberId)> {
        let rows = db.api_tokens().unwrap();
        assert!(rows.windows(2).all(|w| w[0].created_at < w[1].created_at));
        rows.into_iter()
            .map(|t| (t.token_hash[0], t.member))
            .collect()
    };
    assert_eq!(listed(db), [(1, a.clone()), (2, b.clone()), (3, a.clone())]);
    let revoke = |member: &MemberId, n: u8| RecordWrite::RevokeApiToken {
        member: member.clone(),
        token_hash: [n; 32],
    };
    // Only the owner's token, and only one that exists: else refused, nothing logged.
    for (m, n) in [(&a, 2), (&a, 9)] {
        let size = db.head().unwrap().size;
        let result = commit(db, revoke(m, n), a.as_str());
        refused(db, size, result, |e| matches!(e, StoreError::NotFound(_)));
    }
    commit(db, revoke(&a, 1), a.as_str()).unwrap();
    assert!(db.token_member(&[1u8; 32]).unwrap().is_none());
    assert_eq!(db.token_member(&[3u8; 32]).unwrap().unwrap().id, a);
    assert_eq!(listed(db), [(2, b.clone()), (3, a.clone())]);
    let size = db.head().unwrap().size;
    let again = commit(db, revoke(&a, 1), a.as_str());
    refused(db, size, again, |e| matches!(e, StoreError::NotFound(_)));
}

fn logins_and_sessions(db: &dyn Database) {
    let o = org(db, "o");
    let m = member(db, &o, "user", Role::Admin);
    db.login_failed(&m, None).unwrap();
    db.login_failed(&m, None).unwrap();
    let row = db.member(&m).unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until), (2, None));
    db.login_failed(&m, Some(at(500))).unwrap();
    db.login_failed(&m, None).unwrap();
    let row = db.member(&m).unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until), (4, Some(at(500))));
    db.login_succeeded(&m).unwrap();
    let row = db.member(&m).unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until), (0, None));

    let hash = [1u8; 32];
    let mut s = SessionRow {
        member: m.clone(),
        csrf: "csrf-1".into(),
        mfa_pending: true,
        expires_at: at(1000),
    };
    db.session_put(&hash, &s).unwrap();
    assert_eq!(db.session(&hash, at(999)).unwrap(), Some(s.clone()));
    assert_eq!(
        db.session(&hash, at(1000)).unwrap(),
        None,
        "expired at its time"
    );
    s.mfa_pending = false;
    s.csrf = "csrf-2".into();
    s.expires_at = at(2000);
    db.session_put(&hash, &s).unwrap();
    assert_eq!(db.session(&hash, at(1500)).unwrap(), Some(s));
    assert_eq!(db.session(&[2u8; 32], at(0)).unwrap(), None);
    db.session_delete(&hash).unwrap();
    assert_eq!(db.session(&hash, at(0)).unwrap(), None);
}

fn edict(id: &str, date: &str, title: &str) -> Edict {
    Edict {
        id: id.into(),
        date: date.into(),
        domain: "education".into(),
        title: gawah_core::edict::Translated {
            en: title.into(),
            ..Default::default()
        },
        summary: Default::default(),
        issuing_body: Default::default(),
        scope: Default::default(),
        sources: Vec::new(),
    }
}

fn edicts_and_endorsements(db: &dyn Database) {
    for e in [
        edict("E002", "2022-03", "b"),
        edict("E001", "2022-03", "a"),
        edict("E000", "2023", "c"),
    ] {
        commit(db, RecordWrite::Edict(e.clone()), &e.id).unwrap();
    }
    let o = org(db, "o");
    let mut linked = incident("linked", "2023-01-02", "AF-KAB");
    linked.edicts = vec!["E001".into(), "E001".into()];
    new_incident(db, &o, linked);
    // A new text of an edict replaces it, even while an incident cites it.
    commit(
        db,
        RecordWrite::Edict(edict("E001", "2022-03", "a2")),
        "E001",
    )
    .unwrap();
    let got: Vec<_> = db
        .edicts()
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.title.en))
        .collect();
    assert_eq!(
        got,
        [
            ("E001".into(), "a2".into()),
            ("E002".into(), "b".into()),
            ("E000".into(), "c".into())
        ]
    );
    let mut bad = incident("bad", "2023-01-02", "AF-KAB");
    bad.edicts = vec!["E999".into()];
    let size = db.head().unwrap().size;
    let id = IncidentId::random().unwrap();
    refused(
        db,
        size,
        commit(db, incident_write(&id, &o, bad, 1), id.as_str()),
        |e| matches!(e, StoreError::Invalid(m) if m.contains("E999")),
    );

    assert!(db.endorsements().unwrap().is_empty());
    let p = org(db, "p");
    for who in [&p, &o, &p] {
        commit(
            db,
            RecordWrite::Endorsement { org: who.clone() },
            who.as_str(),
        )
        .unwrap();
    }
    let got: Vec<_> = db
        .endorsements()
        .unwrap()
        .into_iter()
        .map(|(o, t)| (o.name, t))
        .collect();
    let first = |name: &str| got.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(got.len(), 2, "one endorsement per organisation: {got:?}");
    assert!(
        first("p") < first("o"),
        "the first endorsement's time is kept: {got:?}"
    );
    assert_eq!(got[0].0, "p");
}

fn incident_versions(db: &dyn Database) {
    let (o, other) = (org(db, "o"), org(db, "other"));
    let first = incident("first", "2023-05-01", "AF-KAB");
    let id = new_incident(db, &o, first.clone());
    let row = db.incident(&o, &id).unwrap().unwrap();
    assert_eq!(
        (row.version, row.incident.clone(), row.sealed.clone()),
        (1, first, Some(vec![1, 2, 3]))
    );
    assert_eq!(row.created_at, row.updated_at);
    assert!(
        db.incident(&other, &id).unwrap().is_none(),
        "another organisation's"
    );

    let second = incident("second", "2023-05-02", "AF-HER");
    let idx = commit(db, incident_write(&id, &o, second.clone(), 2), id.as_str()).unwrap();
    let row2 = db.incident(&o, &id).unwrap().unwrap();
    assert_eq!((row2.version, row2.incident), (2, second.clone()));
    assert_eq!(row2.created_at, row.created_at);
    assert!(row2.updated_at > row.updated_at);

    let size = db.head().unwrap().size;
    refused(
        db,
        size,
        commit(db, incident_write(&id, &o, second.clone(), 2), "x"),
        |e| matches!(e, StoreError::Conflict(_)),
    );
    refused(
        db,
        size,
        commit(db, incident_write(&id, &other, second.clone(), 3), "x"),
        |e| matches!(e, StoreError::Conflict(_)),
    );
    let mut exact = second.clone();
    exact.exact_location = Some("a street".into());
    refused(
        db,
        size,
        commit(db, incident_write(&id, &o, exact, 3), "x"),
        |e| matches!(e, StoreError::Invalid(_)),
    );
    let mut keyless = incident_write(&IncidentId::random().unwrap(), &o, second, 1);
    if let RecordWrite::Incident(w) = &mut keyless {
        w.data_key = None;
    }
    refused(db, size, commit(db, keyless, "x"), |e| {
        matches!(e, StoreError::Invalid(_))
    });

    let versions = db.versions(id.as_str()).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(versions[1].log_index, idx);
    assert_eq!(
        (versions[1].salt.0, versions[1].content.clone()),
        ([2; 32], b"content 2".to_vec())
    );
    assert!(db.versions("inc_none").unwrap().is_empty());
}

/// A list row carries the incident as `incident` reads it: the indexed columns agree with
/// the fields, and the stored content parses to the same incident, after an update too.
fn listed_incident(db: &dyn Database) {
    let o = org(db, "o");
    let mut first = incident("first \"quoted\" تیتر", "2023-05-01", "AF-KAB");
    first.reference = Some("REF-1".into());
    first.description = "line one\nline two".into();
    let id = new_incident(db, &o, first.clone());
    let mut second = first.clone();
    second.title = "second".into();
    second.reference = None;
    second.province = "AF-HER".into();
    second.verification_status = "verified".into();
    commit(db, incident_write(&id, &o, second.clone(), 2), id.as_str()).unwrap();
    let q = IncidentQuery {
        limit: 10,
        ..Default::default()
    };
    let (bare, _) = db.incidents(&o, &q).unwrap();
    let q = IncidentQuery { content: true, ..q };
    let (rows, total) = db.incidents(&o, &q).unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    // Without content, the same row less its content.
    assert_eq!(bare[0].content, None);
    assert_eq!(
        bare[0],
        IncidentListRow {
            content: None,
            ..rows[0].clone()
        }
    );
    let (r, stored) = (&rows[0], db.incident(&o, &id).unwrap().unwrap());
    assert_eq!(
        (&r.id, r.version, r.created_at, r.updated_at),
        (&id, 2, stored.created_at, stored.updated_at)
    );
    assert_eq!(
        (
            &r.reference,
            &r.title,
            &r.date,
            &r.province,
            &r.verification_status
        ),
        (
            &None,
            &second.title,
            &second.date,
            &second.province,
            &second.verification_status
        )
    );
    let parsed: Incident = serde_json::from_str(r.content.as_deref().unwrap()).unwrap();
    assert_eq!((&parsed, &stored.incident), (&second, &second));
}

const PROVINCES: [&str; 3] = ["AF-KAB", "AF-HER", "AF-BAL"];

/// The page a plain sort of `all` (id, date, province) gives.
fn expected(all: &[(String, String, String)], q: &IncidentQuery) -> (Vec<String>, u64) {
    let mut rows: Vec<_> = all
        .iter()
        .filter(|(_, _, p)| q.province.as_ref().is_none_or(|q| q == p))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total = rows.len() as u64;
    let page = rows
        .into_iter()
        .skip(q.offset as usize)
        .take(q.limit as usize)
        .map(|r| r.0.clone())
        .collect();
    (page, total)
}

fn check_pages(db: &dyn Database, org: &OrgId, all: &[(String, String, String)]) {
    for province in [None, Some("AF-HER".to_owned()), Some("AF-NIM".to_owned())] {
        for (limit, content) in [(1, false), (7, true), (50, false), (50, true)] {
            for offset in [
                0, 1, 6, 99, 100, 101, 255, 256, 257, 258, 262, 299, 300, 301, 520,
            ] {
                let q = IncidentQuery {
                    province: province.clone(),
                    offset,
                    limit,
                    content,
                };
                let (rows, total) = db.incidents(org, &q).unwrap();
                let got: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
                assert_eq!((got, total), expected(all, &q), "{q:?}");
            }
        }
    }
}

/// Pages and totals equal a plain sort's, across the list anchors' stride (256), after
/// incidents move (new dates and provinces), for one organisation among two.
fn incident_pages(db: &dyn Database) {
    let (o, other) = (org(db, "o"), org(db, "other"));
    let mut all = Vec::new();
    let mut changes = Vec::new();
    for i in 0..310usize {
        let id = IncidentId::random().unwrap();
        let date = format!("2023-{:02}-{:02}", 1 + i % 12, 1 + i % 5);
        let province = PROVINCES[i % 3];
        let i64i = i as i64;
        changes.push(Change {
            record: incident_write(&id, &o, incident(&format!("i{i}"), &date, province), 1),
            entry: LogEntry::new(at(i64i), "mem_test", Action::Create, id.as_str()),
        });
        all.push((id.to_string(), date, province.to_owned()));
    }
    db.commit(&changes).unwrap();
    new_incident(db, &other, incident("theirs", "2024-01-01", "AF-HER"));
    check_pages(db, &o, &all);
    // Moves: new dates and provinces change the order and the counts.
    for (n, i) in (0..all.len()).step_by(9).enumerate() {
        let id: IncidentId = all[i].0.parse().unwrap();
        let date = format!("2024-02-{:02}", 1 + n % 3);
        let province = if n % 2 == 0 { "AF-NIM" } else { "AF-HER" };
        commit(
            db,
            incident_write(&id, &o, incident("moved", &date, province), 2),
            id.as_str(),
        )
        .unwrap();
        all[i] = (all[i].0.clone(), date, province.to_owned());
    }
    check_pages(db, &o, &all);
    let (_, total) = db.incidents(&other, &IncidentQuery::default()).unwrap();
    assert_eq!(total, 1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_passes_the_records_suite() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        super::records_conformance(&|| {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sub = dir.path().join(i.to_string());
            std::fs::create_dir(&sub).unwrap();
            crate::SqliteStore::create(&sub.join("gawah.db")).unwrap()
        });
    }
}
