//! `gawah migrate-store`: a data dir's records and blobs moved to another database and
//! blob store, verified, and only then the data dir pointed at them.

use std::path::{Path, PathBuf};

use gawah_log::NoteVerifier;

use super::{
    BlobCopy, Endpoint, MigrateError, TableCounts, check_copy, copy_all, copy_database,
    write_atomically,
};
use crate::blob_config::{BlobConfig, BlobLocation, open_blob_store, process_env};
use crate::datadir::{Config, DataDir};
use crate::pg::DatabaseUrl;
use crate::sqlite::OpenMode;

/// Where a migration goes.
#[derive(Debug, Clone)]
pub struct Destination {
    /// `None`: SQLite in the data dir's `gawah.db`.
    pub database: Option<DatabaseUrl>,
    /// `None`: the data dir's own `blobs/` folder.
    pub blob: Option<BlobConfig>,
}

impl Destination {
    /// From the command line: `sqlite` or a `postgres://` URL; `s3://...` or a folder (the
    /// data dir's own `blobs/` folder is recorded as the default, no `[blob]` table).
    pub fn parse(dir: &DataDir, database: &str, blob: &str) -> Result<Self, MigrateError> {
        let database = match database {
            "sqlite" => None,
            url => Some(DatabaseUrl::parse(url)?),
        };
        let own = dir.path.join("blobs");
        let blob = match BlobLocation::parse(blob)? {
            BlobLocation::Local(p) if same_path(&p, &own) => None,
            _ => Some(BlobConfig::for_init(blob, &process_env)?),
        };
        Ok(Self { database, blob })
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// What a migration did.
#[derive(Debug, Clone)]
pub struct Migrated {
    /// The source database, for messages.
    pub from: String,
    /// The target database, for messages.
    pub to: String,
    /// Rows copied per table.
    pub tables: TableCounts,
    /// The blobs copied.
    pub blobs: BlobCopy,
    /// The log's size (equal on both after verification).
    pub size: u64,
    /// Items whose blobs the verification hashed.
    pub items: u64,
    /// The old config, kept.
    pub old_config: PathBuf,
}

/// The name the old config is kept under.
pub const CONFIG_BEFORE: &str = "gawah.toml.before-migration";

/// Migrates the data dir at `path` to `to`: rows, blobs, verification, then the config
/// rewritten (the old one kept as [`CONFIG_BEFORE`]); a SQLite source's `gawah.db` (and
/// its `-wal`, `-shm`) is then renamed `gawah.db.before-migration`, so the data dir can
/// later be migrated back into a fresh `gawah.db`. Nothing of the data dir changes unless
/// the verification passed.
pub fn migrate_data_dir(path: &Path, to: &Destination) -> Result<Migrated, MigrateError> {
    let dir = DataDir::open(path)?;
    let db_file = dir.path.join("gawah.db");
    let from = match dir.database_url(&process_env)? {
        Some(url) => Endpoint::Postgres(url),
        None => Endpoint::Sqlite(db_file.clone()),
    };
    let target = match &to.database {
        Some(url) => Endpoint::Postgres(url.clone()),
        None => Endpoint::Sqlite(db_file.clone()),
    };
    if matches!(target, Endpoint::Sqlite(_)) && matches!(from, Endpoint::Sqlite(_)) {
        return Err(MigrateError::Invalid(
            "the data dir already keeps its records in SQLite".into(),
        ));
    }
    let tables = copy_database(&from, &target)?;
    let source_blobs = dir.blobs()?;
    let target_blobs = open_blob_store(to.blob.as_ref(), &dir.path, &process_env)?;
    let blobs = copy_all(source_blobs.as_ref(), target_blobs.as_ref())?;
    let verifier = NoteVerifier::parse(&dir.signer()?.verifier_key())
        .map_err(|e| MigrateError::Verify(format!("verifier key: {e}")))?;
    let check = {
        let source = from.open(OpenMode::Audit)?;
        let copied = target.open(OpenMode::Checked)?;
        check_copy(
            source.as_ref(),
            copied.as_ref(),
            target_blobs.as_ref(),
            &verifier,
        )?
    };
    let old_config = dir.path.join(CONFIG_BEFORE);
    let config_path = dir.path.join("gawah.toml");
    let old = std::fs::read(&config_path)
        .map_err(super::io_err(format!("read {}", config_path.display())))?;
    write_atomically(&old_config, &old)?;
    let config = Config {
        database_url: to.database.as_ref().map(DatabaseUrl::without_password),
        blob: to.blob.clone(),
        ..dir.config.clone()
    };
    let text = toml::to_string(&config).map_err(|e| MigrateError::Invalid(e.to_string()))?;
    write_atomically(&config_path, text.as_bytes())?;
    if let Endpoint::Sqlite(p) = &from {
        set_aside(p)?;
    }
    Ok(Migrated {
        from: from.describe(),
        to: target.describe(),
        tables,
        blobs,
        size: check.size,
        items: check.report.items,
        old_config,
    })
}

/// Renames a SQLite database no longer in use (and its WAL and shared-memory files) to
/// `<name>.before-migration` (or `.before-migration.N` if that is taken).
fn set_aside(db: &Path) -> Result<(), MigrateError> {
    let base = db.display().to_string();
    let mut n = 0u32;
    let target = loop {
        let t = if n == 0 {
            format!("{base}.before-migration")
        } else {
            format!("{base}.before-migration.{n}")
        };
        if !Path::new(&t).exists() {
            break t;
        }
        n += 1;
    };
    for suffix in ["-wal", "-shm", ""] {
        let from = format!("{base}{suffix}");
        if Path::new(&from).exists() {
            std::fs::rename(&from, format!("{target}{suffix}"))
                .map_err(super::io_err(format!("rename {from}")))?;
        }
    }
    if let Some(parent) = db.parent() {
        super::fsync_dir(parent)?;
    }
    Ok(())
}
