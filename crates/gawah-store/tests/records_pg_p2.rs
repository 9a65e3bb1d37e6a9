//! The record, people and upload suites on a real PostgreSQL (never a mock): the same
//! conformance functions SQLite passes in this crate's unit tests.
//!
//! Needs `GAWAH_TEST_DATABASE_URL` (see `conformance::pg_schemas`); without it these tests
//! fail, saying so. Each store gets a schema of its own and a data dir for its uploads.

use gawah_store::PgStore;
use gawah_store::conformance::pg_schemas::Schemas;
use gawah_store::conformance::{people, records, uploads};
use gawah_store::sqlite::OpenMode;

/// Fresh stores, each in its own schema with its own data dir under `dir`.
fn fresh<'a>(dbs: &'a Schemas, dir: &'a tempfile::TempDir) -> impl Fn() -> PgStore + 'a {
    move || {
        let db = dbs.fresh();
        let store = PgStore::open_with_workers(&db.url, OpenMode::Checked, 2).unwrap();
        store.with_data_dir(dir.path().join(&db.schema))
    }
}

#[test]
fn postgres_passes_the_records_suite() {
    let (dbs, dir) = (Schemas::new(), tempfile::tempdir().unwrap());
    records::records_conformance(&fresh(&dbs, &dir));
}

#[test]
fn postgres_passes_the_people_suite() {
    let (dbs, dir) = (Schemas::new(), tempfile::tempdir().unwrap());
    people::people_conformance(&fresh(&dbs, &dir));
}

#[test]
fn postgres_passes_the_uploads_suite() {
    let (dbs, dir) = (Schemas::new(), tempfile::tempdir().unwrap());
    uploads::uploads_conformance(&fresh(&dbs, &dir));
}

/// Without a data dir there is no folder for partial uploads, as for a SQLite database
/// without a file.
#[test]
fn a_store_without_a_data_dir_has_no_uploads_folder() {
    let dbs = Schemas::new();
    let store = PgStore::open(&dbs.fresh().url, OpenMode::Checked).unwrap();
    let err = gawah_store::records::UploadStore::uploads_dir(&store).unwrap_err();
    assert!(matches!(err, gawah_store::StoreError::Invalid(_)), "{err}");
}
