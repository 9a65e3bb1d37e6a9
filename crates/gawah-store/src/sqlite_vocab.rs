//! Vocabularies on SQLite: a term's version written inside
//! [`Store::commit`](crate::Store::commit)'s transaction, and the [`VocabStore`] reads.

use gawah_core::{OrgId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{SqliteStore, to_i64, to_u64};
use crate::sqlite_records::insert_version;
use crate::vocab::{VocabKind, VocabStore, VocabTerm, VocabTermRow, VocabWrite, invalid, subject};

/// Writes version `w.version` of a term as entry `idx` at `now`: version 1 inserts it (an
/// existing key is a conflict), a later one replaces the stored version one less. The term
/// must be valid and `w.content` its canonical bytes, so the stored row, the stored version
/// and the entry's commitment always describe the same term.
pub(crate) fn write_term(
    tx: &Connection,
    idx: i64,
    now: i64,
    w: &VocabWrite,
) -> Result<(), StoreError> {
    let t = &w.term;
    let version = term_version(w)?;
    let args = params![
        w.org.as_str(),
        t.vocab.as_str(),
        t.key,
        t.en,
        t.fa,
        t.ps,
        t.active,
        version,
        idx,
        now
    ];
    let changed = if w.version == 1 {
        tx.prepare_cached(
            "INSERT INTO vocab_terms (org_id, vocab, key, en, fa, ps, active, version, log_index, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (org_id, vocab, key) DO NOTHING",
        )?
        .execute(args)?
    } else {
        tx.prepare_cached(
            "UPDATE vocab_terms SET en = ?4, fa = ?5, ps = ?6, active = ?7, version = ?8,
                 log_index = ?9, updated_at = ?10
             WHERE org_id = ?1 AND vocab = ?2 AND key = ?3 AND version = ?8 - 1",
        )?
        .execute(args)?
    };
    if changed != 1 {
        return Err(term_conflict(w));
    }
    insert_version(tx, &term_subject(w), version, idx, &w.salt, &w.content)
}

/// Checks a term write before any SQL runs (both backends call it first): the term must be
/// valid and `w.content` its canonical bytes. Returns the version as stored.
pub(crate) fn term_version(w: &VocabWrite) -> Result<i64, StoreError> {
    let t = &w.term;
    t.validate().map_err(invalid)?;
    if w.content != t.canonical_bytes()? {
        return Err(StoreError::Invalid(
            "the committed content is not the term's canonical form".into(),
        ));
    }
    to_i64(w.version)
}

/// The refusal of a term write that changed no row: version 1 found the key taken, a later
/// version found another version than the one before it.
pub(crate) fn term_conflict(w: &VocabWrite) -> StoreError {
    let t = &w.term;
    StoreError::Conflict(if w.version == 1 {
        format!("{} {:?} exists already", t.vocab, t.key)
    } else {
        format!(
            "{} {:?} was changed by someone else; reload and try again",
            t.vocab, t.key
        )
    })
}

/// The subject under which a term's versions are kept.
pub(crate) fn term_subject(w: &VocabWrite) -> String {
    subject(&w.org, w.term.vocab, &w.term.key)
}

/// A term's columns, in [`VocabCols`]' order.
pub(crate) const COLUMNS: &str =
    "org_id, vocab, key, en, fa, ps, active, version, log_index, created_at, updated_at";

/// A term row as plain values, in [`COLUMNS`]' order (both backends read theirs into this).
pub(crate) type VocabCols = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    i64,
    i64,
    i64,
    i64,
);

fn cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<VocabCols> {
    r.try_into()
}

/// A term row checked and typed: a stored id or vocabulary that does not parse is corrupt.
pub(crate) fn vocab_row(c: VocabCols) -> Result<VocabTermRow, StoreError> {
    let (org, vocab, key, en, fa, ps, active, version, log_index, created, updated) = c;
    let corrupt = |e: String| StoreError::Corrupt(format!("vocabulary term {key:?}: {e}"));
    Ok(VocabTermRow {
        org: org
            .parse()
            .map_err(|e: gawah_core::IdError| corrupt(e.to_string()))?,
        term: VocabTerm {
            active,
            en,
            fa,
            key: key.clone(),
            ps,
            vocab: vocab.parse().map_err(corrupt)?,
        },
        version: to_u64(version)?,
        log_index: to_u64(log_index)?,
        created_at: Timestamp::from_millis(created),
        updated_at: Timestamp::from_millis(updated),
    })
}

impl VocabStore for SqliteStore {
    fn vocab_terms(&self, org: &OrgId) -> Result<Vec<VocabTermRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM vocab_terms WHERE org_id = ?1 ORDER BY vocab, key"
        ))?;
        let rows = stmt.query_map([org.as_str()], cols)?;
        rows.map(|r| vocab_row(r?)).collect()
    }

    fn vocab_term(
        &self,
        org: &OrgId,
        vocab: VocabKind,
        key: &str,
    ) -> Result<Option<VocabTermRow>, StoreError> {
        self.read()?
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM vocab_terms WHERE org_id = ?1 AND vocab = ?2 AND key = ?3"
            ))?
            .query_row(params![org.as_str(), vocab.as_str(), key], cols)
            .optional()?
            .map(vocab_row)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use gawah_core::{Action, Commitment, LogEntry, Salt, Sha256Digest};

    use super::*;
    use crate::records::RecordStore;
    use crate::sqlite::OpenMode;
    use crate::store::{Change, RecordWrite, Store};
    use crate::vocab::{MAX_KEY, term_change};

    fn time() -> Timestamp {
        Timestamp::from_millis(1_767_225_600_000)
    }

    fn store_with_org(path: &std::path::Path) -> (SqliteStore, OrgId) {
        let store = SqliteStore::create(path).unwrap();
        let org = OrgId::random().unwrap();
        let record = RecordWrite::Org {
            id: org.clone(),
            name: "Org".into(),
        };
        let entry = LogEntry::new(time(), "cli", Action::Create, org.as_str());
        store.commit(&[Change { record, entry }]).unwrap();
        (store, org)
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
        store: &SqliteStore,
        org: &OrgId,
        term: VocabTerm,
        version: u64,
    ) -> Result<u64, StoreError> {
        let change = term_change(time(), "mbr_test", org, term, version)?;
        Ok(store.commit(&[change])?[0])
    }

    /// The entry at `idx` names the term, commits to the stored content under the stored
    /// salt, and is a `create` for version 1, an `update` after.
    fn check_logged(store: &SqliteStore, org: &OrgId, term: &VocabTerm, version: u64, idx: u64) {
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
        let (salt, content): (Vec<u8>, Vec<u8>) = store
            .lock()
            .query_row(
                "SELECT salt, content FROM record_versions WHERE subject = ?1 AND version = ?2 AND log_index = ?3",
                params![subject, version as i64, idx as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(content, term.canonical_bytes().unwrap());
        let salt = Salt(salt.try_into().unwrap());
        assert_eq!(
            entry.commitment,
            Some(Commitment::new(&salt, &Sha256Digest::of(&content)))
        );
    }

    #[test]
    fn add_relabel_and_retire_are_logged_versions() {
        let dir = tempfile::tempdir().unwrap();
        let (store, org) = store_with_org(&dir.path().join("db"));
        let v1 = institution("mpvpv", "Ministry of Vice and Virtue", None, true);
        let i1 = commit(&store, &org, v1.clone(), 1).unwrap();
        check_logged(&store, &org, &v1, 1, i1);
        let v2 = institution(
            "mpvpv",
            "Ministry of Vice and Virtue",
            Some("وزارت امر به معروف"),
            true,
        );
        let i2 = commit(&store, &org, v2.clone(), 2).unwrap();
        check_logged(&store, &org, &v2, 2, i2);
        let v3 = institution(
            "mpvpv",
            "Ministry of Vice and Virtue",
            Some("وزارت امر به معروف"),
            false,
        );
        let i3 = commit(&store, &org, v3.clone(), 3).unwrap();
        check_logged(&store, &org, &v3, 3, i3);

        let row = store
            .vocab_term(&org, VocabKind::Institution, "mpvpv")
            .unwrap()
            .unwrap();
        assert_eq!((row.term, row.version, row.log_index), (v3, 3, i3));
        let versions = store
            .versions(&subject(&org, VocabKind::Institution, "mpvpv"))
            .unwrap();
        let indexes: Vec<u64> = versions.iter().map(|v| v.log_index).collect();
        assert_eq!(indexes, [i1, i2, i3]);
        // Retired, not deleted: still listed.
        assert_eq!(store.vocab_terms(&org).unwrap().len(), 1);
        assert!(
            store
                .vocab_terms(&OrgId::random().unwrap())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn stale_versions_and_existing_keys_conflict_and_log_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, org) = store_with_org(&dir.path().join("db"));
        commit(&store, &org, institution("police", "Police", None, true), 1).unwrap();
        let size = store.head().unwrap().size;
        let again = commit(
            &store,
            &org,
            institution("police", "Police force", None, true),
            1,
        );
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let skipped = commit(
            &store,
            &org,
            institution("police", "Police force", None, true),
            3,
        );
        assert!(
            matches!(skipped, Err(StoreError::Conflict(_))),
            "{skipped:?}"
        );
        let unknown = commit(&store, &org, institution("courts", "Courts", None, true), 2);
        assert!(
            matches!(unknown, Err(StoreError::Conflict(_))),
            "{unknown:?}"
        );
        assert_eq!(store.head().unwrap().size, size);
        let row = store
            .vocab_term(&org, VocabKind::Institution, "police")
            .unwrap()
            .unwrap();
        assert_eq!(row.term.en.as_deref(), Some("Police"));
    }

    #[test]
    fn fixed_vocabularies_take_label_overrides_only() {
        let dir = tempfile::tempdir().unwrap();
        let (store, org) = store_with_org(&dir.path().join("db"));
        let fixed = |key: &str, active: bool| VocabTerm {
            active,
            en: None,
            fa: Some("آموزش دختران".into()),
            key: key.into(),
            ps: None,
            vocab: VocabKind::ViolationType,
        };
        commit(&store, &org, fixed("education", true), 1).unwrap();
        for (term, field) in [
            (fixed("education", false), "active"),
            (fixed("schooling", true), "key"),
        ] {
            let e = commit(&store, &org, term, 2).unwrap_err();
            assert!(
                matches!(&e, StoreError::Invalid(m) if m.starts_with(field)),
                "{e:?}"
            );
        }
        let row = store
            .vocab_term(&org, VocabKind::ViolationType, "education")
            .unwrap()
            .unwrap();
        assert_eq!(row.term.fa.as_deref(), Some("آموزش دختران"));
        assert!(row.term.active);
    }

    #[test]
    fn invalid_terms_are_refused_by_the_store_itself() {
        let dir = tempfile::tempdir().unwrap();
        let (store, org) = store_with_org(&dir.path().join("db"));
        for (key, en) in [("Bad Key", "x"), ("", "x"), ("1st", "x"), ("ok", " ")] {
            assert!(
                commit(&store, &org, institution(key, en, None, true), 1).is_err(),
                "{key:?}"
            );
        }
        assert!(
            commit(
                &store,
                &org,
                institution(&"k".repeat(MAX_KEY + 1), "x", None, true),
                1
            )
            .is_err()
        );
        let long = "x".repeat(crate::vocab::MAX_LABEL + 1);
        assert!(commit(&store, &org, institution("long", &long, None, true), 1).is_err());
        // Writes built by hand: content that is not the term's canonical form, and an
        // invalid key with matching content.
        let size = store.head().unwrap().size;
        let forged = |edit: &dyn Fn(&mut VocabWrite)| {
            let term = institution("gdi", "GDI", None, true);
            let mut change = term_change(time(), "mbr_test", &org, term, 1).unwrap();
            if let RecordWrite::Vocab(w) = &mut change.record {
                edit(w);
            }
            store.commit(&[change])
        };
        let other_content = forged(&|w| w.term.en = Some("Something else".into()));
        assert!(matches!(other_content, Err(StoreError::Invalid(_))));
        let bad_key = forged(&|w| {
            w.term.key = "GDI!".into();
            w.content = w.term.canonical_bytes().unwrap();
        });
        assert!(matches!(bad_key, Err(StoreError::Invalid(m)) if m.starts_with("key")));
        assert_eq!(store.head().unwrap().size, size);
        assert!(store.vocab_terms(&org).unwrap().is_empty());
    }

    /// The migration runs again over its own table without error or loss, whether replayed
    /// on open (schema version set back) or executed twice in a row.
    #[test]
    fn the_migration_is_safe_to_run_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let org = {
            let (store, org) = store_with_org(&path);
            commit(
                &store,
                &org,
                institution("moe", "Ministry of Education", None, true),
                1,
            )
            .unwrap();
            let conn = store.lock();
            let sql = include_str!("migrations/0008_vocabularies.sql");
            conn.execute_batch(sql).unwrap();
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", 7).unwrap();
            org
        };
        let store = SqliteStore::open(&path, OpenMode::Checked).unwrap();
        let version: i64 = store
            .lock()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, crate::sqlite::SCHEMA_VERSION);
        let terms = store.vocab_terms(&org).unwrap();
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].term.en.as_deref(), Some("Ministry of Education"));
        commit(
            &store,
            &org,
            institution("moe", "Ministry of Education", Some("وزارت معارف"), true),
            2,
        )
        .unwrap();
    }
}
