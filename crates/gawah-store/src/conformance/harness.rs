//! What the conformance suites of the keyring, witnessing, timestamps, vocabularies, intake
//! and analysis need from a backend besides its traits: a fresh store, and the keyring of a
//! new database (written outside the log, so by no trait).
//!
//! Each check gets a fresh store and names itself on stderr first, so that a failure says
//! which. Test code: a failure panics, saying what went wrong.

use gawah_core::{Action, LogEntry, OrgId, Timestamp};

use crate::error::StoreError;
use crate::keys::{KeyringRow, OrgKeyRow};
use crate::store::{Change, Database, RecordWrite, Store};

/// A backend under test.
pub trait Harness {
    /// The store the suites check: every store trait (the record store's supertraits
    /// include timestamps, vocabularies, intake and analysis).
    type Store: Database;

    /// A fresh, empty store.
    fn fresh(&self) -> Self::Store;

    /// Writes the keyring and instance key of a new database (the backend's
    /// `init_keyring`, which is not a logged change and so not part of any trait).
    fn init_keyring(
        &self,
        store: &Self::Store,
        ring: &KeyringRow,
        instance: &OrgKeyRow,
    ) -> Result<(), StoreError>;
}

/// One check of a suite: the harness, and a fresh store of it.
pub(crate) type Check<H> = fn(&H, &<H as Harness>::Store);

/// Runs each named check on a fresh store.
pub(crate) fn run<H: Harness>(suite: &str, harness: &H, checks: &[(&str, Check<H>)]) {
    for (name, check) in checks {
        eprintln!("{suite} conformance: {name}");
        check(harness, &harness.fresh());
    }
}

/// A fixed time, 2026-01-01, with `i` milliseconds added to tell changes apart.
pub fn time(i: i64) -> Timestamp {
    Timestamp::from_millis(1_767_225_600_000 + i)
}

/// Commits a new organisation named `name` through the store (where the backend stores
/// organisations).
pub fn commit_org(store: &dyn Store, name: &str) -> OrgId {
    let org = OrgId::random().expect("randomness for an organisation id");
    let record = RecordWrite::Org {
        id: org.clone(),
        name: name.to_owned(),
    };
    let entry = LogEntry::new(time(0), "cli", Action::Create, org.as_str());
    store
        .commit(&[Change { record, entry }])
        .expect("commit an organisation");
    org
}

/// Commits `change` and returns its log index.
pub(crate) fn commit_one(store: &dyn Store, change: Change) -> Result<u64, StoreError> {
    Ok(store.commit(&[change])?[0])
}

/// Asserts that a refused change left the log as it was.
pub(crate) fn assert_head(store: &dyn Store, size: u64) {
    assert_eq!(
        store.head().expect("head").size,
        size,
        "a refused change logged nothing"
    );
}

/// The suites on SQLite.
#[cfg(test)]
mod sqlite {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::sqlite::SqliteStore;

    /// Fresh SQLite databases in one temporary folder.
    struct Sqlite {
        dir: tempfile::TempDir,
        made: AtomicUsize,
    }

    impl Sqlite {
        fn new() -> Self {
            Self {
                dir: tempfile::tempdir().unwrap(),
                made: AtomicUsize::new(0),
            }
        }
    }

    impl Harness for Sqlite {
        type Store = SqliteStore;

        fn fresh(&self) -> SqliteStore {
            let n = self.made.fetch_add(1, Ordering::Relaxed);
            SqliteStore::create(&self.dir.path().join(format!("{n}.db"))).unwrap()
        }

        fn init_keyring(
            &self,
            store: &SqliteStore,
            ring: &KeyringRow,
            instance: &OrgKeyRow,
        ) -> Result<(), StoreError> {
            store.init_keyring(ring, instance)
        }
    }

    #[test]
    fn sqlite_passes_the_keys_suite() {
        super::super::keys::keys_conformance(&Sqlite::new());
    }

    #[test]
    fn sqlite_passes_the_witness_suite() {
        super::super::witness::witness_conformance(&Sqlite::new());
    }

    #[test]
    fn sqlite_passes_the_timestamps_suite() {
        super::super::timestamps::timestamps_conformance(&Sqlite::new());
    }

    #[test]
    fn sqlite_passes_the_vocab_suite() {
        super::super::vocab::vocab_conformance(&Sqlite::new());
    }

    #[test]
    fn sqlite_passes_the_intake_suite() {
        super::super::intake::intake_conformance(&Sqlite::new());
    }

    #[test]
    fn sqlite_passes_the_analysis_suite() {
        super::super::analysis::analysis_conformance(&Sqlite::new());
    }
}
