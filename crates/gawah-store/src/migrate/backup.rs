//! `gawah backup` and `gawah restore`: a consistent snapshot of a data dir in a folder, and
//! a new data dir made from one, verified in full before it appears under its name.
//!
//! ```text
//! BACKUP/manifest.json        format, origin, verifier key, head, latest checkpoint, blobs
//! BACKUP/gawah.db             SQLite snapshot of every table (sealed values stay sealed)
//! BACKUP/gawah.toml           the config a restored data dir gets (SQLite, local blobs)
//! BACKUP/source-gawah.toml    the config of the data dir backed up, for reference
//! BACKUP/log-signing.key      the log's signing key (0600): protect the backup like the server
//! BACKUP/witness-signing.key  the witness key, if the instance has one
//! BACKUP/blobs/               every blob an item names, as in a local blob store
//! ```
//! Both are written under a temporary name beside their final one and renamed into place
//! at the end, so a name that exists is a finished backup or a verified restore.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::{BlobCopy, Endpoint, MigrateError, copy_database, fsync_dir, io_err};
use crate::blob::{BlobKey, BlobStore};
use crate::blob_config::process_env;
use crate::blob_local::LocalBlobStore;
use crate::datadir::{Config, DataDir};
use crate::sqlite::{OpenMode, SqliteStore};
use crate::store::Store;

/// The manifest's format name.
pub const FORMAT: &str = "gawah-backup/1";
const MANIFEST: &str = "manifest.json";
const KEYS: &[&str] = &["log-signing.key", "witness-signing.key"];

/// The log's head in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// Entries.
    pub size: u64,
    /// Root, base64.
    pub root: String,
}

/// A blob in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobEntry {
    /// Its key as text: the SHA-256 of the stored bytes (64 hex digits), or for a sealed
    /// blob written since BLAKE3 addressing `blake3-` and the BLAKE3 of its bytes (the field
    /// keeps its first name, so backups made before still restore).
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// The log's verifier key.
    pub verifier_key: String,
    /// The head of the snapshot.
    pub head: Head,
    /// The latest signed checkpoint of the snapshot (the note), if any.
    pub checkpoint: Option<String>,
    /// Rows per table.
    pub tables: Vec<(String, u64)>,
    /// Every blob copied.
    pub blobs: Vec<BlobEntry>,
}

fn temp_beside(path: &Path, what: &str) -> Result<PathBuf, MigrateError> {
    let name = path
        .file_name()
        .ok_or_else(|| MigrateError::Invalid(format!("{} has no file name", path.display())))?;
    let tag: [u8; 4] = gawah_core::random::random_bytes()
        .map_err(|e| MigrateError::Invalid(format!("randomness: {e}")))?;
    let parent = path.parent().unwrap_or(Path::new("."));
    Ok(parent.join(format!(
        ".{}.{what}-{}",
        name.to_string_lossy(),
        hex::encode(tag)
    )))
}

pub(super) fn make_dir(path: &Path) -> Result<(), MigrateError> {
    fs::DirBuilder::new()
        .mode(0o700)
        .create(path)
        .map_err(io_err(format!("create {}", path.display())))
}

/// Copies a small file, fsynced, with `mode`; `false` if `from` does not exist.
pub(super) fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<bool, MigrateError> {
    use std::io::Write;
    let bytes = match fs::read(from) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err(format!("read {}", from.display()))(e)),
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(to)
        .map_err(io_err(format!("create {}", to.display())))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err(format!("write {}", to.display())))?;
    Ok(true)
}

fn sync_file(path: &Path) -> Result<(), MigrateError> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err(format!("fsync {}", path.display())))
}

/// The snapshot of the database into `out` (a new SQLite file): `VACUUM INTO` for SQLite
/// (one read transaction, so one consistent state), the row copy for PostgreSQL.
fn snapshot(dir: &DataDir, out: &Path) -> Result<(), MigrateError> {
    match dir.database_url(&process_env)? {
        Some(url) => {
            copy_database(&Endpoint::Postgres(url), &Endpoint::Sqlite(out.to_owned()))?;
        }
        None => {
            let db = dir.path.join("gawah.db");
            // Migrated and checked like any open; refused if its head contradicts its log.
            drop(SqliteStore::open(&db, OpenMode::Checked)?);
            let conn = rusqlite::Connection::open_with_flags(
                &db,
                // Not read-only: see `sqlite_rows::dump`.
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(60))?;
            let target = out
                .to_str()
                .ok_or_else(|| MigrateError::Invalid("the backup path is not UTF-8".into()))?;
            conn.execute("VACUUM INTO ?1", [target])?;
        }
    }
    sync_file(out)
}

/// Writes a backup of the data dir at `path` into the new folder `out`.
pub fn backup(path: &Path, out: &Path) -> Result<Manifest, MigrateError> {
    let dir = DataDir::open(path)?;
    if out.exists() {
        return Err(MigrateError::Invalid(format!(
            "{} already exists; give a new folder",
            out.display()
        )));
    }
    let signer = dir.signer()?;
    let tmp = temp_beside(out, "backup")?;
    make_dir(&tmp)?;
    let result = write_backup(&dir, &tmp, signer.verifier_key());
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    fsync_dir(&tmp)?;
    fs::rename(&tmp, out).map_err(io_err(format!("rename to {}", out.display())))?;
    fsync_dir(out.parent().unwrap_or(Path::new(".")))?;
    Ok(manifest)
}

fn write_backup(dir: &DataDir, tmp: &Path, verifier_key: String) -> Result<Manifest, MigrateError> {
    let db = tmp.join("gawah.db");
    snapshot(dir, &db)?;
    let store = SqliteStore::open(&db, OpenMode::Checked)?;
    let head = store.head()?;
    let checkpoint = store.latest_checkpoint()?.map(|c| c.note);
    let tables = table_counts(&db)?;
    let mut keys: Vec<BlobKey> = Vec::new();
    store.for_each_item(&mut |item| {
        keys.push(item.blob);
        Ok(())
    })?;
    drop(store);
    keys.sort_unstable();
    keys.dedup();
    let from = dir.blobs()?;
    let to = LocalBlobStore::open(&tmp.join("blobs"))?;
    let mut copied = BlobCopy::default();
    let mut blobs = Vec::with_capacity(keys.len());
    for key in &keys {
        super::blobs::copy_blob(from.as_ref(), &to, key, &mut copied)?;
        let bytes = to.size(key)?.unwrap_or(0);
        blobs.push(BlobEntry {
            sha256: key.to_string(),
            bytes,
        });
    }
    for key in KEYS {
        copy_file(&dir.path.join(key), &tmp.join(key), 0o600)?;
    }
    copy_file(
        &dir.path.join("gawah.toml"),
        &tmp.join("source-gawah.toml"),
        0o600,
    )?;
    let restored = Config {
        database_url: None,
        blob: None,
        ..dir.config.clone()
    };
    let text = toml::to_string(&restored).map_err(|e| MigrateError::Invalid(e.to_string()))?;
    super::write_atomically(&tmp.join("gawah.toml"), text.as_bytes())?;
    let manifest = Manifest {
        format: FORMAT.into(),
        origin: dir.config.origin.clone(),
        verifier_key,
        head: Head {
            size: head.size,
            root: B64.encode(head.root),
        },
        checkpoint,
        tables,
        blobs,
    };
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| MigrateError::Invalid(e.to_string()))?;
    super::write_atomically(&tmp.join(MANIFEST), &json)?;
    Ok(manifest)
}

fn table_counts(db: &Path) -> Result<Vec<(String, u64)>, MigrateError> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let mut out = Vec::new();
    for table in super::rows::TABLES {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        out.push(((*table).to_owned(), u64::try_from(n).unwrap_or(0)));
    }
    Ok(out)
}

/// Reads a backup's manifest.
pub fn read_manifest(backup: &Path) -> Result<Manifest, MigrateError> {
    let path = backup.join(MANIFEST);
    let bytes = fs::read(&path).map_err(io_err(format!("read {}", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        MigrateError::Invalid(format!(
            "{} is not a gawah backup manifest: {e}",
            path.display()
        ))
    })?;
    if manifest.format != FORMAT {
        return Err(MigrateError::Invalid(format!(
            "backup format {:?} is not {FORMAT:?}",
            manifest.format
        )));
    }
    Ok(manifest)
}
