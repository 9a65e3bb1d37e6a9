//! The conformance suite of [`VocabStore`] and `RecordWrite::Vocab`: each version of a term
//! is logged and kept, a stale or skipped version conflicts, and the store itself refuses an
//! invalid term or content that is not the term's canonical form.

use gawah_core::{Action, Commitment, LogEntry, OrgId, Sha256Digest};

use super::harness::{Harness, assert_head, commit_one, commit_org, run, time};
use crate::error::StoreError;
use crate::records::RecordStore;
use crate::store::{Database, RecordWrite, Store};
use crate::vocab::{
    MAX_KEY, MAX_LABEL, VocabKind, VocabStore, VocabTerm, VocabWrite, subject, term_change,
};

/// Runs every check of the vocabularies, each on a fresh store.
pub fn vocab_conformance<H: Harness>(harness: &H) {
    run(
        "vocab",
        harness,
        &[
            (
                "add, relabel and retire are logged versions",
                logged_versions,
            ),
            ("stale versions and existing keys conflict", conflicts),
            (
                "fixed vocabularies take label overrides only",
                fixed_vocabularies,
            ),
            (
                "invalid terms are refused by the store itself",
                invalid_terms,
            ),
        ],
    );
}

fn institution(key: &str, en: &str, fa: Option<&str>, active: bool) -> VocabTerm {
    VocabTerm {
        active,
        en: Some(en.into()),
        fa: fa.map(Into::into),
        key: key.into(),
        ps: None,
        vocab: VocabKind::Institution,
    }
}

fn commit(
    store: &dyn Store,
    org: &OrgId,
    term: VocabTerm,
    version: u64,
) -> Result<u64, StoreError> {
    commit_one(
        store,
        term_change(time(version as i64), "mbr_test", org, term, version)?,
    )
}

/// The entry at `idx` names the term, commits to the kept content under the kept salt, and
/// is a `create` for version 1, an `update` after.
fn check_logged(store: &dyn Database, org: &OrgId, term: &VocabTerm, version: u64, idx: u64) {
    let subject = subject(org, term.vocab, &term.key);
    let entry = LogEntry::parse(&store.entry(idx).unwrap()).unwrap();
    assert_eq!(entry.subject, subject);
    assert_eq!(entry.extra["org"], org.as_str());
    let action = if version == 1 {
        Action::Create
    } else {
        Action::Update
    };
    assert_eq!(entry.action, action);
    let kept = store.versions(&subject).unwrap();
    let v = kept
        .iter()
        .find(|v| v.version == version)
        .unwrap_or_else(|| panic!("version {version} of {subject} is kept"));
    assert_eq!(v.log_index, idx);
    assert_eq!(v.content, term.canonical_bytes().unwrap());
    assert_eq!(
        entry.commitment,
        Some(Commitment::new(&v.salt, &Sha256Digest::of(&v.content)))
    );
}

fn logged_versions<H: Harness>(_: &H, store: &H::Store) {
    let org = commit_org(store, "Org");
    let other = commit_org(store, "Other");
    let fa = Some("وزارت امر به معروف");
    let v1 = institution("mpvpv", "Ministry of Vice and Virtue", None, true);
    let v2 = institution("mpvpv", "Ministry of Vice and Virtue", fa, true);
    let v3 = institution("mpvpv", "Ministry of Vice and Virtue", fa, false);
    let mut indexes = Vec::new();
    for (n, v) in [&v1, &v2, &v3].into_iter().enumerate() {
        let version = n as u64 + 1;
        let idx = commit(store, &org, v.clone(), version).unwrap();
        check_logged(store, &org, v, version, idx);
        indexes.push(idx);
    }
    let row = store
        .vocab_term(&org, VocabKind::Institution, "mpvpv")
        .unwrap()
        .unwrap();
    assert_eq!(
        (&row.org, &row.term, row.version, row.log_index),
        (&org, &v3, 3, indexes[2])
    );
    assert_eq!((row.created_at, row.updated_at), (time(1), time(3)));
    let kept: Vec<u64> = store
        .versions(&subject(&org, VocabKind::Institution, "mpvpv"))
        .unwrap()
        .iter()
        .map(|v| v.log_index)
        .collect();
    assert_eq!(kept, indexes);
    // Listed by vocabulary, then key (byte order); retired, not deleted; per organisation.
    commit(store, &org, institution("police", "Police", None, true), 1).unwrap();
    // Byte order: `0` (0x30) < `_` (0x5f) < `i`; a locale's order ignores or moves `_`.
    commit(store, &org, institution("pol_z", "Polz", None, true), 1).unwrap();
    commit(store, &org, institution("pol0z", "Pol0z", None, true), 1).unwrap();
    let fixed = VocabTerm {
        active: true,
        en: Some("Schooling".into()),
        fa: None,
        key: "education".into(),
        ps: None,
        vocab: VocabKind::ViolationType,
    };
    commit(store, &org, fixed, 1).unwrap();
    commit(
        store,
        &other,
        institution("courts", "Courts", None, true),
        1,
    )
    .unwrap();
    let listed: Vec<(VocabKind, String)> = store
        .vocab_terms(&org)
        .unwrap()
        .into_iter()
        .map(|r| (r.term.vocab, r.term.key))
        .collect();
    assert_eq!(
        listed,
        [
            (VocabKind::Institution, "mpvpv".to_owned()),
            (VocabKind::Institution, "pol0z".to_owned()),
            (VocabKind::Institution, "pol_z".to_owned()),
            (VocabKind::Institution, "police".to_owned()),
            (VocabKind::ViolationType, "education".to_owned()),
        ]
    );
    assert_eq!(store.vocab_terms(&other).unwrap().len(), 1);
    assert!(
        store
            .vocab_terms(&OrgId::random().unwrap())
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .vocab_term(&other, VocabKind::Institution, "mpvpv")
            .unwrap()
            .is_none()
    );
}

fn conflicts<H: Harness>(_: &H, store: &H::Store) {
    let org = commit_org(store, "Org");
    commit(store, &org, institution("police", "Police", None, true), 1).unwrap();
    let size = store.head().unwrap().size;
    for (term, version) in [
        (institution("police", "Police force", None, true), 1),
        (institution("police", "Police force", None, true), 3),
        (institution("courts", "Courts", None, true), 2),
    ] {
        let e = commit(store, &org, term, version);
        assert!(matches!(e, Err(StoreError::Conflict(_))), "{e:?}");
    }
    assert_head(store, size);
    let row = store
        .vocab_term(&org, VocabKind::Institution, "police")
        .unwrap()
        .unwrap();
    assert_eq!((row.term.en.as_deref(), row.version), (Some("Police"), 1));
    // The same key in another organisation is another term.
    let other = commit_org(store, "Other");
    commit(
        store,
        &other,
        institution("police", "Police", None, true),
        1,
    )
    .unwrap();
}

fn fixed_vocabularies<H: Harness>(_: &H, store: &H::Store) {
    let org = commit_org(store, "Org");
    let fixed = |key: &str, active: bool| VocabTerm {
        active,
        en: None,
        fa: Some("آموزش دختران".into()),
        key: key.into(),
        ps: None,
        vocab: VocabKind::ViolationType,
    };
    commit(store, &org, fixed("education", true), 1).unwrap();
    for (term, field) in [
        (fixed("education", false), "active"),
        (fixed("schooling", true), "key"),
    ] {
        let e = commit(store, &org, term, 2).unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid(m) if m.starts_with(field)),
            "{e:?}"
        );
    }
    let row = store
        .vocab_term(&org, VocabKind::ViolationType, "education")
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.term.en, row.term.fa.as_deref()),
        (None, Some("آموزش دختران"))
    );
    assert!(row.term.active);
}

fn invalid_terms<H: Harness>(_: &H, store: &H::Store) {
    let org = commit_org(store, "Org");
    let size = store.head().unwrap().size;
    let long_key = "k".repeat(MAX_KEY + 1);
    let long_label = "x".repeat(MAX_LABEL + 1);
    for (key, en) in [
        ("Bad Key", "x"),
        ("", "x"),
        ("1st", "x"),
        ("ok", " "),
        (&long_key, "x"),
        ("long", &long_label),
    ] {
        assert!(
            commit(store, &org, institution(key, en, None, true), 1).is_err(),
            "{key:?}"
        );
    }
    // Writes built by hand: content that is not the term's canonical form, and an invalid
    // key with matching content.
    let forged = |edit: &dyn Fn(&mut VocabWrite)| {
        let term = institution("gdi", "GDI", None, true);
        let mut change = term_change(time(0), "mbr_test", &org, term, 1).unwrap();
        if let RecordWrite::Vocab(w) = &mut change.record {
            edit(w);
        }
        store.commit(&[change])
    };
    let other_content = forged(&|w| w.term.en = Some("Something else".into()));
    assert!(
        matches!(other_content, Err(StoreError::Invalid(_))),
        "{other_content:?}"
    );
    let bad_key = forged(&|w| {
        w.term.key = "GDI!".into();
        w.content = w.term.canonical_bytes().unwrap();
    });
    assert!(
        matches!(&bad_key, Err(StoreError::Invalid(m)) if m.starts_with("key")),
        "{bad_key:?}"
    );
    assert_head(store, size);
    assert!(store.vocab_terms(&org).unwrap().is_empty());
}
