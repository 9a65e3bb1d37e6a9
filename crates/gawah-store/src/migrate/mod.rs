//! Moving a data dir's records between SQLite and PostgreSQL and its blobs between a local
//! folder and S3 (`gawah migrate-store`), and consistent snapshots of it (`gawah backup`,
//! `gawah restore`; see [`backup`]).
//!
//! A migration copies the database *rows*, table by table in the order of
//! [`rows::TABLES`], not a replay of the log: entries, tree nodes, checkpoints, the keyring
//! and sealed keys, record versions and custody events arrive byte for byte, so every
//! signature, commitment and sealed value stays valid (nothing is decrypted or re-signed).
//! The source is read in one snapshot and the target written in one transaction that
//! commits only after the last row: a copy that fails leaves the target empty. The target
//! must be empty. Then every blob is copied (streamed; one the target already has with the
//! same size is skipped), and [`check_copy`] verifies the target from scratch before the
//! caller points the data dir at it. See `docs/STORAGE.md`, "Migration, backup and
//! restore".

pub mod backup;
pub mod blobs;
pub mod datadir;
mod pg_rows;
mod restore;
pub mod rows;
mod sqlite_rows;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use gawah_log::{NoteVerifier, tree_root};

use crate::blob::{BlobError, BlobStore};
use crate::error::StoreError;
use crate::pg::{DatabaseUrl, PgStore};
use crate::sqlite::{OpenMode, SqliteStore};
use crate::store::Database;
use crate::verify::{VerifyReport, verify_all};

pub use backup::{Manifest, backup, read_manifest};
pub use blobs::{BlobCopy, copy_all};
pub use datadir::{Destination, Migrated, migrate_data_dir};
pub use restore::{Restored, restore};
pub use rows::TableCounts;

/// Why a migration, backup or restore stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// A database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blob store refused, or a blob did not copy intact.
    #[error("{0}")]
    Blob(String),
    /// The schemas do not match what the copy knows.
    #[error("schema: {0}")]
    Schema(String),
    /// Reading the source failed.
    #[error("reading the source: {0}")]
    Source(String),
    /// Writing the target failed.
    #[error("writing the target: {0}")]
    Target(String),
    /// The target already holds data.
    #[error(
        "the target database is not empty (table {0} has rows); migrate only into an empty database"
    )]
    TargetNotEmpty(String),
    /// The copy does not verify.
    #[error("verification of the copy failed: {0}")]
    Verify(String),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The data dir could not be opened or is set up in a way that cannot be migrated.
    #[error(transparent)]
    DataDir(#[from] crate::datadir::DataDirError),
    /// Something asked for cannot be done.
    #[error("{0}")]
    Invalid(String),
}

impl From<BlobError> for MigrateError {
    fn from(e: BlobError) -> Self {
        Self::Blob(e.to_string())
    }
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

pub(crate) fn load_error(why: &str) -> MigrateError {
    MigrateError::Target(why.to_owned())
}

pub(crate) fn io_err(
    context: impl std::fmt::Display,
) -> impl FnOnce(std::io::Error) -> MigrateError {
    let context = context.to_string();
    move |source| MigrateError::Io { context, source }
}

/// A database a copy reads or writes.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (the schema its URL's `search_path` names).
    Postgres(DatabaseUrl),
}

impl Endpoint {
    /// For messages: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(p) => p.display().to_string(),
            Self::Postgres(u) => u.redacted(),
        }
    }

    /// Opens it as a store (migrating its schema to this build's).
    pub fn open(&self, mode: OpenMode) -> Result<Arc<dyn Database>, StoreError> {
        Ok(match self {
            Self::Sqlite(p) => Arc::new(SqliteStore::open(p, mode)?),
            Self::Postgres(u) => Arc::new(PgStore::open(u, mode)?),
        })
    }
}

/// Copies every row of `from` into the empty database `to` (a SQLite file that does not
/// exist yet is created), as described in the module doc. Returns the rows per table,
/// which the reader and the writer must agree on.
pub fn copy_database(from: &Endpoint, to: &Endpoint) -> Result<TableCounts, MigrateError> {
    if from.describe() == to.describe() {
        return Err(MigrateError::Invalid(format!(
            "the source and the target are the same database ({})",
            from.describe()
        )));
    }
    // Opening brings both schemas to this build's version; a source whose head contradicts
    // its log is refused here, before anything is copied.
    let source_pg = match from {
        Endpoint::Sqlite(p) => {
            drop(SqliteStore::open(p, OpenMode::Checked)?);
            None
        }
        Endpoint::Postgres(u) => Some(PgStore::open(u, OpenMode::Checked)?),
    };
    let target_pg = match to {
        Endpoint::Sqlite(p) if p.exists() => {
            drop(SqliteStore::open(p, OpenMode::Audit)?);
            None
        }
        Endpoint::Sqlite(p) => {
            drop(SqliteStore::create(p)?);
            None
        }
        Endpoint::Postgres(u) => Some(PgStore::open(u, OpenMode::Audit)?),
    };
    let (tx, rx) = sync_channel(4);
    let (read, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || match (from, &source_pg) {
            (Endpoint::Postgres(_), Some(pg)) => pg_rows::dump(pg, tx),
            (Endpoint::Sqlite(p), _) => sqlite_rows::dump(p, &tx),
            _ => Err(MigrateError::Invalid("no source store".into())),
        });
        let written = match (to, &target_pg) {
            (Endpoint::Postgres(_), Some(pg)) => pg_rows::load(pg, rx),
            (Endpoint::Sqlite(p), _) => sqlite_rows::load(p, rx),
            _ => Err(MigrateError::Invalid("no target store".into())),
        };
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(MigrateError::Source("the reader panicked".into())));
        (read, written)
    });
    // The writer's error first: when it stops, the reader only sees a closed channel.
    let written = written?;
    let read = read?;
    if read != written {
        return Err(MigrateError::Verify(format!(
            "rows read {read:?} differ from rows written {written:?}"
        )));
    }
    Ok(written)
}

/// What [`check_copy`] found.
#[derive(Debug, Clone)]
pub struct CopyCheck {
    /// The log's size (the same on both).
    pub size: u64,
    /// The full verification of the target.
    pub report: VerifyReport,
}

/// Verifies a copy: the target's head and latest checkpoint equal the source's, its tree
/// recomputes to the head's root, and a full `gawah log verify` of it (every entry, every
/// checkpoint's signature, every item's commitment and blob in `blobs`) passes.
pub fn check_copy(
    source: &dyn Database,
    target: &dyn Database,
    blobs: &dyn BlobStore,
    verifier: &NoteVerifier,
) -> Result<CopyCheck, MigrateError> {
    let fail = |what: String| Err(MigrateError::Verify(what));
    let (head, copied) = (source.head()?, target.head()?);
    if head != copied {
        return fail(format!(
            "the source's head is at size {} but the copy's at {}; was the source written to \
             during the migration? Stop every server first",
            head.size, copied.size
        ));
    }
    if source.latest_checkpoint()? != target.latest_checkpoint()? {
        return fail("the latest checkpoints differ".into());
    }
    let root = tree_root(copied.size, &target)
        .map_err(|e| MigrateError::Verify(format!("the copy's tree: {e}")))?;
    if root != copied.root {
        return fail("the copy's tree does not hash to its head's root".into());
    }
    let report = verify_all(target, blobs, verifier);
    if !report.ok() {
        let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
        return fail(failures.join("; "));
    }
    Ok(CopyCheck {
        size: copied.size,
        report,
    })
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsynced, renamed over
/// `path`, the folder fsynced. A crash leaves the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MigrateError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_err(format!("create {}", tmp.display())))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err(format!("write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io_err(format!("rename to {}", path.display())))?;
    fsync_dir(dir)
}

/// Fsyncs a folder, so that the names made or renamed in it are durable.
pub fn fsync_dir(dir: &Path) -> Result<(), MigrateError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(format!("fsync {}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob_local::LocalBlobStore;
    use crate::ledger::{IngestMeta, Ledger};
    use gawah_core::{FixedClock, Timestamp};
    use gawah_log::NoteSigner;

    fn ledger(db: &Path, blobs: &Path) -> Ledger {
        let store = SqliteStore::create(db).expect("create");
        let blobs = LocalBlobStore::open(blobs).expect("blobs");
        let signer = NoteSigner::new("test.example/migrate", [7; 32]).expect("signer");
        let clock = Arc::new(FixedClock::new(Timestamp::from_millis(1_700_000_000_000)));
        Ledger::new(Arc::new(store), Box::new(blobs), signer, clock, "test")
    }

    #[test]
    fn a_copy_is_row_for_row_verified_and_only_into_an_empty_target() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (tmp.path().join("a.db"), tmp.path().join("b.db"));
        let blobs_dir = tmp.path().join("blobs");
        let l = ledger(&a, &blobs_dir);
        for i in 0..5u8 {
            let mut bytes: &[u8] = &[i; 100];
            l.ingest(&mut bytes, IngestMeta::default(), &mut |_| {})
                .expect("ingest");
        }
        l.checkpoint().expect("checkpoint");
        let verifier = NoteVerifier::parse(&l.verifier_key()).expect("verifier");
        drop(l);

        let counts = copy_database(&Endpoint::Sqlite(a.clone()), &Endpoint::Sqlite(b.clone()))
            .expect("copy");
        let n = |t: &str| counts.iter().find(|(name, _)| *name == t).map(|(_, n)| *n);
        assert_eq!(n("log_entries"), Some(5));
        assert_eq!(n("items"), Some(5));
        assert_eq!(n("checkpoints"), Some(1));

        let source = Endpoint::Sqlite(a.clone())
            .open(OpenMode::Checked)
            .expect("a");
        let target = Endpoint::Sqlite(b.clone())
            .open(OpenMode::Checked)
            .expect("b");
        let blobs = LocalBlobStore::open(&blobs_dir).expect("blobs");
        let check = check_copy(source.as_ref(), target.as_ref(), &blobs, &verifier)
            .expect("the copy verifies");
        assert_eq!(check.size, 5);
        assert_eq!(check.report.items, 5);
        drop((source, target));

        // Into a target that holds something: refused, and nothing is written.
        let again = copy_database(&Endpoint::Sqlite(a.clone()), &Endpoint::Sqlite(b.clone()));
        assert!(
            matches!(again, Err(MigrateError::TargetNotEmpty(_))),
            "{again:?}"
        );

        // A copy that differs from its source is not accepted.
        let conn = rusqlite::Connection::open(&b).expect("open b");
        conn.execute("DELETE FROM checkpoints", []).expect("alter");
        drop(conn);
        let source = Endpoint::Sqlite(a).open(OpenMode::Checked).expect("a");
        let target = Endpoint::Sqlite(b).open(OpenMode::Audit).expect("b");
        let bad = check_copy(source.as_ref(), target.as_ref(), &blobs, &verifier);
        assert!(matches!(bad, Err(MigrateError::Verify(_))), "{bad:?}");
    }
}
