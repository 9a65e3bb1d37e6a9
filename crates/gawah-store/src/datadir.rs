//! The data directory: everything one gawah instance keeps.
//!
//! ```text
//! D/gawah.toml        configuration (strict: unknown keys are refused)
//! D/log-signing.key   the log's Ed25519 signing key, mode 0600
//! D/witness-signing.key  the witness's Ed25519 cosigning key, mode 0600, made on first use
//! D/gawah.db          the SQLite store (with -wal and -shm beside it), unless gawah.toml
//!                     names a PostgreSQL database (`database_url`)
//! D/uploads/          partial files of resumable uploads (either database)
//! D/blobs/            the local blob store (unless `[blob]` in gawah.toml names another)
//! D/spool/            S3 writes being spooled (unlinked files only; see `blob_s3`)
//! ```
//! `gawah init` writes all of it once; nothing else writes the config or the key.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_core::random::random_bytes;
use gawah_log::{COSIGNATURE_ALG, Cosigner, NoteSigner};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::blob::{BlobError, BlobStore};
use crate::blob_config::{BlobConfig, open_blob_store, probe_blob_store};
use crate::blob_local::LocalBlobStore;
use crate::error::StoreError;
use crate::keys::{KeyError, KeyStore, Keyring};
use crate::pg::PgStore;
use crate::sqlite::{OpenMode, SqliteStore};
use crate::store::{Database, Store};
use gawah_core::seal::KeySource;

/// The data dir layout version this build writes.
pub const LAYOUT_VERSION: u32 = 1;
const CONFIG: &str = "gawah.toml";
const KEY: &str = "log-signing.key";
const WITNESS_KEY: &str = "witness-signing.key";
const DB: &str = "gawah.db";
const BLOBS: &str = "blobs";

/// The instance configuration in `gawah.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Layout version of the data dir.
    pub layout: u32,
    /// The log's origin line, also the signing key's name.
    pub origin: String,
    /// Where blobs are kept when not in `blobs/` (an S3 bucket or another folder); never a
    /// secret. See `blob_config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<BlobConfig>,
    /// The RFC 3161 timestamp authority asked to stamp checkpoints (`http://` or
    /// `https://`); `GAWAH_TSA_URL` overrides it. None: no trusted time. See
    /// `docs/TIMESTAMPS.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa_url: Option<String>,
    /// The PostgreSQL database holding records and the log (`postgres://user@host:port/db`),
    /// never with its password (from `GAWAH_DATABASE_URL` or `PGPASSWORD` at run time);
    /// `GAWAH_DATABASE_URL` overrides it. None: SQLite in `gawah.db`. See `pg::url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

/// Why a data dir cannot be created or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// `init` on a directory that already holds something.
    #[error("{0} already exists and is not empty; choose a new data dir")]
    NotEmpty(PathBuf),
    /// Not a gawah data dir.
    #[error("{0} is not a gawah data dir (no gawah.toml); run `gawah init --data-dir {0}` first")]
    NotADataDir(PathBuf),
    /// The config could not be read or parsed.
    #[error("bad config {path}: {reason}")]
    BadConfig {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Written by a newer gawah.
    #[error(
        "the data dir has layout version {0}, newer than this gawah supports ({LAYOUT_VERSION}); upgrade gawah"
    )]
    NewerLayout(u32),
    /// The signing key is missing, malformed or too open.
    #[error("signing key {path}: {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The store refused to open.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The keys could not be made or unlocked.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The blob store refused to open.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The configuration asks for something this build cannot do yet.
    #[error("{0}")]
    Unsupported(String),
}

fn io_err(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> DataDirError {
    let context = context.to_string();
    move |source| DataDirError::Io { context, source }
}

/// An opened data dir.
#[derive(Debug)]
pub struct DataDir {
    /// Its path.
    pub path: PathBuf,
    /// Its configuration.
    pub config: Config,
}

impl DataDir {
    /// Creates a new data dir at `path` (absent or empty) with a fresh signing key and a
    /// keyring unlocked by `keys`. Returns the opened dir and the unlocked keyring.
    pub fn init(
        path: &Path,
        origin: Option<&str>,
        keys: &KeySource,
    ) -> Result<(Self, Keyring), DataDirError> {
        Self::init_with_blobs(path, origin, keys, None)
    }

    /// [`DataDir::init`], keeping blobs where `blob` says (`None`: in `blobs/`). The store
    /// is reached (an S3 bucket listed) before the config is written, so a wrong bucket,
    /// endpoint or key fails the init instead of the first ingest.
    pub fn init_with_blobs(
        path: &Path,
        origin: Option<&str>,
        keys: &KeySource,
        blob: Option<BlobConfig>,
    ) -> Result<(Self, Keyring), DataDirError> {
        Self::init_with_settings(path, origin, keys, blob, None)
    }

    /// [`DataDir::init_with_blobs`], also naming the timestamp authority (`tsa_url`) that
    /// stamps checkpoints; a URL that is not `http://` or `https://` is refused before
    /// anything is written.
    pub fn init_with_settings(
        path: &Path,
        origin: Option<&str>,
        keys: &KeySource,
        blob: Option<BlobConfig>,
        tsa_url: Option<String>,
    ) -> Result<(Self, Keyring), DataDirError> {
        Self::init_with_database(path, origin, keys, blob, tsa_url, None)
    }

    /// [`DataDir::init_with_settings`], keeping records and the log in the PostgreSQL
    /// database `database` (`None`: SQLite in `gawah.db`); `gawah.toml` records its URL
    /// without the password (which later comes from `GAWAH_DATABASE_URL` or `PGPASSWORD`).
    /// The database is reached and checked before anything is written here: one that
    /// already holds a gawah log or keyring is refused, as a non-empty folder is.
    pub fn init_with_database(
        path: &Path,
        origin: Option<&str>,
        keys: &KeySource,
        blob: Option<BlobConfig>,
        tsa_url: Option<String>,
        database: Option<&crate::pg::DatabaseUrl>,
    ) -> Result<(Self, Keyring), DataDirError> {
        if let Some(url) = &tsa_url {
            crate::timestamp::check_url(url).map_err(|e| DataDirError::BadConfig {
                path: path.join(CONFIG),
                reason: e.to_string(),
            })?;
        }
        if let Some(b) = &blob {
            // Before anything is written: a bad URL, missing keys or an unreachable bucket
            // leave no half-made dir (the probe writes nothing under `path`).
            probe_blob_store(b, path, &crate::blob_config::process_env)?;
        }
        // Refused before anything is written: a weak passphrase leaves no half-made dir.
        let (keyring, ring_row, instance_key) = Keyring::create(keys)?;
        let pg = database.map(open_new_postgres).transpose()?;
        if path.exists()
            && fs::read_dir(path)
                .map_err(io_err(path.display()))?
                .next()
                .is_some()
        {
            return Err(DataDirError::NotEmpty(path.to_owned()));
        }
        let origin = match origin {
            Some(o) => o.to_owned(),
            None => format!(
                "localhost/gawah/{}",
                hex::encode(random_bytes::<4>().map_err(|e| DataDirError::Io {
                    context: "random origin".into(),
                    source: std::io::Error::other(e)
                },)?)
            ),
        };
        let seed = Zeroizing::new(random_bytes::<32>().map_err(|e| DataDirError::Io {
            context: "signing key".into(),
            source: std::io::Error::other(e),
        })?);
        let signer = NoteSigner::new(&origin, *seed).map_err(|e| DataDirError::BadConfig {
            path: path.join(CONFIG),
            reason: format!("origin {origin:?} is not a valid key name: {e}"),
        })?;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(io_err(format!("create {}", path.display())))?;
        write_new(
            &path.join(KEY),
            encode_private_key(&signer, &seed).as_bytes(),
        )?;
        match &pg {
            Some(pg) => pg.init_keyring(&ring_row, &instance_key)?,
            None => SqliteStore::create(&path.join(DB))?.init_keyring(&ring_row, &instance_key)?,
        }
        drop(pg);
        let config = Config {
            layout: LAYOUT_VERSION,
            origin,
            blob,
            tsa_url,
            database_url: database.map(|d| d.without_password()),
        };
        if config.blob.is_none() {
            LocalBlobStore::open(&path.join(BLOBS))?;
        }
        let text = toml::to_string(&config).map_err(|e| DataDirError::BadConfig {
            path: path.join(CONFIG),
            reason: e.to_string(),
        })?;
        // The config goes last: a data dir without it is an unfinished init, never opened.
        write_new(&path.join(CONFIG), text.as_bytes())?;
        fsync_dir(path)?;
        Ok((
            Self {
                path: path.to_owned(),
                config,
            },
            keyring,
        ))
    }

    /// Opens an existing data dir and checks its config.
    pub fn open(path: &Path) -> Result<Self, DataDirError> {
        let config_path = path.join(CONFIG);
        match fs::metadata(&config_path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(DataDirError::NotADataDir(path.to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DataDirError::NotADataDir(path.to_owned()));
            }
            Err(e) => return Err(io_err(config_path.display())(e)),
        }
        let text = fs::read_to_string(&config_path).map_err(io_err(config_path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|e| DataDirError::BadConfig {
            path: config_path.clone(),
            reason: e.message().to_owned(),
        })?;
        if config.layout > LAYOUT_VERSION {
            return Err(DataDirError::NewerLayout(config.layout));
        }
        if let Some(url) = &config.database_url {
            // Strict: a bad URL, or a password written into the file, is refused at once.
            let bad = |reason: String| DataDirError::BadConfig {
                path: config_path.clone(),
                reason,
            };
            let parsed = crate::pg::DatabaseUrl::parse(url).map_err(|e| bad(e.to_string()))?;
            if parsed.has_password() {
                return Err(bad(
                    "database_url must not hold a password; give it in GAWAH_DATABASE_URL or \
                     PGPASSWORD"
                        .into(),
                ));
            }
        }
        Ok(Self {
            path: path.to_owned(),
            config,
        })
    }

    /// Opens the SQLite store in `gawah.db`, for tools that work on the file itself;
    /// refused for a data dir whose records are in PostgreSQL (see [`DataDir::database`]).
    pub fn store(&self, mode: OpenMode) -> Result<SqliteStore, DataDirError> {
        if let Some(url) = self.database_url(&crate::blob_config::process_env)? {
            return Err(DataDirError::Unsupported(format!(
                "this data dir keeps its records in PostgreSQL ({url}), and this works only \
                 on a SQLite data dir"
            )));
        }
        Ok(SqliteStore::open(&self.path.join(DB), mode)?)
    }

    /// Opens the record store: PostgreSQL if a database is named (`GAWAH_DATABASE_URL`,
    /// else `database_url` in `gawah.toml`, the password from the environment), with this
    /// data dir for its partial uploads; else SQLite in `gawah.db`.
    pub fn database(&self, mode: OpenMode) -> Result<Arc<dyn Database>, DataDirError> {
        match self.database_url(&crate::blob_config::process_env)? {
            Some(url) => Ok(Arc::new(
                PgStore::open(&url, mode)?.with_data_dir(self.path.clone()),
            )),
            None => Ok(Arc::new(SqliteStore::open(&self.path.join(DB), mode)?)),
        }
    }

    /// The PostgreSQL database this data dir uses, if any: `GAWAH_DATABASE_URL` in `env`,
    /// else `database_url` in `gawah.toml`, with the password from the environment.
    pub fn database_url(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<crate::pg::DatabaseUrl>, DataDirError> {
        Ok(crate::pg::DatabaseUrl::from_settings(
            self.config.database_url.as_deref(),
            env,
        )?)
    }

    /// Where the records are, for messages: the PostgreSQL URL without its password, or the
    /// path of `gawah.db`.
    pub fn describe_database(&self) -> String {
        match self.database_url(&crate::blob_config::process_env) {
            Ok(Some(url)) => url.to_string(),
            Ok(None) => self.path.join(DB).display().to_string(),
            Err(e) => format!("(database not configured: {e})"),
        }
    }

    /// Where the search index lives (derived from the database; rebuilt when missing).
    pub fn index_path(&self) -> PathBuf {
        self.path.join("index")
    }

    /// Opens (or creates) the search index.
    pub fn search_index(&self) -> Result<gawah_search::SearchIndex, gawah_search::SearchError> {
        gawah_search::SearchIndex::open(&self.index_path())
    }

    /// Opens the blob store the config names: `blobs/` by default, or the `[blob]` location
    /// (S3 keys from the environment). Callers use it as a `dyn BlobStore`.
    pub fn blobs(&self) -> Result<Box<dyn BlobStore>, DataDirError> {
        Ok(open_blob_store(
            self.config.blob.as_ref(),
            &self.path,
            &crate::blob_config::process_env,
        )?)
    }

    /// Loads the log signing key, refusing a key file that others can read.
    pub fn signer(&self) -> Result<NoteSigner, DataDirError> {
        let path = self.path.join(KEY);
        let bad = |reason: String| DataDirError::BadKey {
            path: path.clone(),
            reason,
        };
        let meta = fs::metadata(&path).map_err(|e| bad(e.to_string()))?;
        if meta.mode() & 0o077 != 0 {
            return Err(bad(format!(
                "mode {:o} lets others read it; run `chmod 600 {}`",
                meta.mode() & 0o777,
                path.display()
            )));
        }
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?);
        let signer = decode_private_key(text.trim_end()).map_err(bad)?;
        if signer.name() != self.config.origin {
            return Err(bad(format!(
                "key name {:?} is not the origin {:?}",
                signer.name(),
                self.config.origin
            )));
        }
        Ok(signer)
    }
}

/// The witness key: a key of its own, not the log's, because a cosignature states something
/// else than a checkpoint signature and the two must be revocable apart. Same file rules as
/// the log key: mode 0600, refused if others may read it.
impl DataDir {
    /// The witness's key name: `<origin>/witness`, a schema-less URL as the cosignature spec
    /// advises, naming this instance.
    pub fn witness_name(&self) -> String {
        format!("{}/witness", self.config.origin)
    }

    /// Loads the witness key; `None` if this instance has none yet.
    pub fn witness_signer(&self) -> Result<Option<Cosigner>, DataDirError> {
        let path = self.path.join(WITNESS_KEY);
        let bad = |reason: String| DataDirError::BadKey {
            path: path.clone(),
            reason,
        };
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(bad(e.to_string())),
        };
        if meta.mode() & 0o077 != 0 {
            return Err(bad(format!(
                "mode {:o} lets others read it; run `chmod 600 {}`",
                meta.mode() & 0o777,
                path.display()
            )));
        }
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?);
        let cosigner = decode_witness_key(text.trim_end()).map_err(bad)?;
        if cosigner.name() != self.witness_name() {
            return Err(bad(format!(
                "key name {:?} is not {:?}",
                cosigner.name(),
                self.witness_name()
            )));
        }
        Ok(Some(cosigner))
    }

    /// Loads the witness key, creating it (0600, fsynced) if there is none; `true` if it was
    /// created now. Two processes creating it at once end up with the same key.
    pub fn witness_signer_or_create(&self) -> Result<(Cosigner, bool), DataDirError> {
        if let Some(c) = self.witness_signer()? {
            return Ok((c, false));
        }
        let seed = Zeroizing::new(random_bytes::<32>().map_err(|e| DataDirError::Io {
            context: "witness key".into(),
            source: std::io::Error::other(e),
        })?);
        let name = self.witness_name();
        let cosigner = Cosigner::new(&name, *seed).map_err(|e| DataDirError::BadConfig {
            path: self.path.join(CONFIG),
            reason: format!("{name:?} is not a valid key name: {e}"),
        })?;
        let mut raw = Zeroizing::new(vec![COSIGNATURE_ALG]);
        raw.extend_from_slice(&*seed);
        let text = Zeroizing::new(format!(
            "PRIVATE+KEY+{name}+{}+{}\n",
            hex::encode(cosigner.key_id()),
            B64.encode(&*raw)
        ));
        match write_new(&self.path.join(WITNESS_KEY), text.as_bytes()) {
            Ok(()) => {
                fsync_dir(&self.path)?;
                Ok((cosigner, true))
            }
            // Another process made it first: use theirs.
            Err(DataDirError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                let c = self.witness_signer()?.ok_or_else(|| DataDirError::BadKey {
                    path: self.path.join(WITNESS_KEY),
                    reason: "vanished while being created".into(),
                })?;
                Ok((c, false))
            }
            Err(e) => Err(e),
        }
    }
}

/// Opens the PostgreSQL database of a new data dir (creating its schema) and refuses one
/// that already holds a gawah instance: a second data dir on it would sign the same log with
/// another key.
fn open_new_postgres(url: &crate::pg::DatabaseUrl) -> Result<PgStore, DataDirError> {
    let pg = PgStore::open(url, OpenMode::Checked)?;
    if pg.head()?.size > 0 || pg.keyring()?.is_some() {
        return Err(DataDirError::Unsupported(format!(
            "{url} already holds a gawah log; give a new database (or schema), or open the \
             data dir that uses it"
        )));
    }
    Ok(pg)
}

fn decode_witness_key(text: &str) -> Result<Cosigner, String> {
    let parts: Vec<&str> = text.splitn(5, '+').collect(); // base64 may hold '+'
    let [p, k, name, id, key] = parts[..] else {
        return Err("not a PRIVATE+KEY+name+id+key line".into());
    };
    if p != "PRIVATE" || k != "KEY" {
        return Err("not a PRIVATE+KEY+name+id+key line".into());
    }
    let raw = Zeroizing::new(
        B64.decode(key)
            .map_err(|_| "key is not base64".to_string())?,
    );
    if raw.len() != 33 || raw[0] != COSIGNATURE_ALG {
        return Err("not an Ed25519 cosignature key".into());
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&raw[1..]);
    let cosigner = Cosigner::new(name, *seed).map_err(|e| e.to_string())?;
    if hex::encode(cosigner.key_id()) != id {
        return Err("key id does not match the key".into());
    }
    Ok(cosigner)
}

/// `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>`, the signed-note private key form.
fn encode_private_key(signer: &NoteSigner, seed: &[u8; 32]) -> String {
    let mut raw = Zeroizing::new(vec![1u8]);
    raw.extend_from_slice(seed);
    format!(
        "PRIVATE+KEY+{}+{}+{}\n",
        signer.name(),
        hex::encode(signer.key_id()),
        B64.encode(&*raw)
    )
}

fn decode_private_key(text: &str) -> Result<NoteSigner, String> {
    let parts: Vec<&str> = text.splitn(5, '+').collect(); // base64 may hold '+'
    let [p, k, name, id, key] = parts[..] else {
        return Err("not a PRIVATE+KEY+name+id+key line".into());
    };
    if p != "PRIVATE" || k != "KEY" {
        return Err("not a PRIVATE+KEY+name+id+key line".into());
    }
    let raw = Zeroizing::new(
        B64.decode(key)
            .map_err(|_| "key is not base64".to_string())?,
    );
    if raw.len() != 33 || raw[0] != 1 {
        return Err("not an Ed25519 key".into());
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&raw[1..]);
    let signer = NoteSigner::new(name, *seed).map_err(|e| e.to_string())?;
    if hex::encode(signer.key_id()) != id {
        return Err("key id does not match the key".into());
    }
    Ok(signer)
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), DataDirError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(format!("create {}", path.display())))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io_err(format!("write {}", path.display())))
}

fn fsync_dir(path: &Path) -> Result<(), DataDirError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err(format!("fsync {}", path.display())))
}
