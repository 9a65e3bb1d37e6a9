//! PostgreSQL: the store for several `gawah serve` processes on one database.
//!
//! # Layout
//! - [`PgStore`] (here): opening, migrating and checking a database.
//! - `pool`: plain worker threads, each with one connection, that run the store's jobs.
//! - `append`: [`Store::commit`](crate::Store::commit), serialised by an advisory lock.
//! - `store`: the rest of the [`Store`](crate::Store) trait and the tree reader.
//! - `tree`: subtree hashes from `log_nodes` and, below level 4, from the entries.
//! - `items`: evidence item rows. `migrate`: the schema. `error`: retryable or not.
//! - [`url`]: which database, and where its password comes from.
//!
//! The schema means what SQLite's means (see `migrations/0001_schema.sql` for the
//! translation); the log head lives in the database, and every append reads it inside its
//! transaction, after taking the log's advisory lock. So any number of servers may append:
//! one at a time holds the lock, and if it dies the lock goes with its connection and the
//! next one takes over from the committed head. There is no leader to elect and no state in
//! memory to hand over.
//!
//! Every store trait is implemented, so a `PgStore` is a [`Database`](crate::store::Database)
//! and a data dir may keep its records here (see `DataDir::database`). Record writes are
//! dispatched in `append`, one function per [`RecordWrite`](crate::RecordWrite) in the module
//! of its records: `records` (orgs, members, tokens, edicts, endorsements, versions),
//! `incidents`, `uploads`, `people` (with erasure), `dispositions`, `derivatives`, `keys`,
//! `witness`, `timestamps`, `vocab`, `analysis`, `intake`.

mod analysis;
mod append;
mod derivatives;
mod dispositions;
mod error;
mod incidents;
mod intake;
mod items;
mod keys;
mod migrate;
mod people;
mod pool;
mod records;
mod store;
mod timestamps;
mod tree;
mod uploads;
pub mod url;
mod vocab;
mod witness;

use std::time::Duration;

use gawah_log::tree_root;

pub use migrate::SCHEMA_VERSION;
pub use url::DatabaseUrl;

use crate::error::StoreError;
use crate::sqlite::OpenMode;
use crate::store::Store;
// `pub(crate)` for `crate::migrate`, which copies rows in and out.
pub(crate) use error::from_pg;
use pool::Pool;
use tree::ClientReader;

/// At most this many connections per store (fewer on a machine with fewer cores).
const MAX_WORKERS: usize = 8;

/// Settings every connection starts with. `synchronous_commit=on`: a commit returns only
/// once its WAL is flushed, whatever the server's default. `lock_timeout`: an append waits
/// for the log lock at most this long, then fails as busy (retryable), as SQLite's busy
/// timeout. `idle_in_transaction_session_timeout`: a client that stops mid-transaction
/// (frozen, partitioned) loses its connection and so the log lock.
const SESSION_OPTIONS: &str = "-c synchronous_commit=on -c lock_timeout=60s \
     -c idle_in_transaction_session_timeout=60s -c statement_timeout=0";

/// A PostgreSQL database holding records and the log.
pub struct PgStore {
    pool: Pool,
    /// The URL without its password, for messages.
    name: String,
    /// This store's `application_name`.
    application: String,
    /// Anchors of deep incident list pages (see `incidents`).
    anchors: std::sync::Arc<incidents::ListAnchors>,
    /// The data dir whose `uploads/` holds partial upload files (see `uploads`).
    data_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.name)
            .field("pool", &self.pool)
            .finish()
    }
}

impl PgStore {
    /// Connects to `url`, creates or migrates the schema (refusing a newer one) and, in
    /// [`OpenMode::Checked`], refuses a log whose head contradicts its entries, tree or
    /// checkpoints. Uses a pool sized for this machine.
    pub fn open(url: &DatabaseUrl, mode: OpenMode) -> Result<Self, StoreError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::open_with_workers(url, mode, (cores * 2).clamp(2, MAX_WORKERS))
    }

    /// [`PgStore::open`] with `workers` connections.
    pub fn open_with_workers(
        url: &DatabaseUrl,
        mode: OpenMode,
        workers: usize,
    ) -> Result<Self, StoreError> {
        let mut config = url.client_config()?;
        // A name of its own per store, so that an operator (or a test) can tell its
        // connections from another server's in `pg_stat_activity`.
        let tag: [u8; 4] =
            gawah_core::random::random_bytes().map_err(|e| StoreError::Database(e.to_string()))?;
        let application = format!("gawah-{}", hex::encode(tag));
        // The URL's own options (say `-c search_path=gawah`) first, then ours.
        let options = match config.get_options() {
            Some(own) if !own.is_empty() => format!("{own} {SESSION_OPTIONS}"),
            _ => SESSION_OPTIONS.to_owned(),
        };
        config
            .application_name(&application)
            .options(&options)
            .connect_timeout(Duration::from_secs(10))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .tcp_user_timeout(Duration::from_secs(60));
        let store = Self {
            pool: Pool::new(config, workers)?,
            name: url.redacted(),
            application,
            anchors: std::sync::Arc::new(incidents::ListAnchors::new(
                incidents::LIST_ANCHOR_STRIDE,
            )),
            data_dir: None,
        };
        store
            .pool
            .transaction(migrate::migrate)
            .map_err(|e| match e {
                StoreError::Unavailable(m) => {
                    StoreError::Unavailable(format!("{}: {m}", store.name))
                }
                other => other,
            })?;
        if mode == OpenMode::Checked {
            store.check_head()?;
        }
        Ok(store)
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.pool.read(migrate::schema_version)
    }

    /// This store's `application_name` on the server: its connections in
    /// `pg_stat_activity`, for an operator, or for tests that cut them
    /// (`pg_terminate_backend`) to play a dying server.
    pub fn application_name(&self) -> &str {
        &self.application
    }

    /// The root of the first `size` entries, from the stored tree; a lost connection stays
    /// a retryable error instead of reading as a broken tree.
    fn root_at(&self, size: u64) -> Result<gawah_log::Hash, StoreError> {
        self.pool.read(move |c| {
            let reader = ClientReader::new(c);
            tree_root(size, &reader).map_err(|e| reader.error_or(e.into()))
        })
    }

    /// Refuses a head that contradicts the stored entries, tree or checkpoints.
    fn check_head(&self) -> Result<(), StoreError> {
        let head = self.head()?;
        let last: Option<i64> = self.pool.read(|c| {
            Ok(c.query_one("SELECT max(idx) FROM log_entries", &[])
                .map_err(from_pg)?
                .get(0))
        })?;
        let last = last.map(crate::sqlite::to_u64).transpose()?;
        if last != head.size.checked_sub(1) {
            return Err(StoreError::Inconsistent(format!(
                "head says {} entries but the last stored entry is {:?}",
                head.size, last
            )));
        }
        if self.root_at(head.size)? != head.root {
            return Err(StoreError::Inconsistent(
                "the head root does not match the stored tree".into(),
            ));
        }
        if let Some(cp) = self.latest_checkpoint()? {
            if cp.size > head.size {
                return Err(StoreError::Inconsistent(format!(
                    "a checkpoint signs size {} but the log has only {} entries",
                    cp.size, head.size
                )));
            }
            if self.root_at(cp.size)? != cp.root {
                return Err(StoreError::Inconsistent(format!(
                    "the checkpoint at size {} does not match the stored tree",
                    cp.size
                )));
            }
        }
        Ok(())
    }
}

impl PgStore {
    /// Runs `f` in one transaction of this store's pool (see `Pool::transaction`); for
    /// `crate::migrate`, which copies rows in or out as a whole.
    pub(crate) fn in_transaction<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut postgres::Client) -> Result<R, StoreError> + Send + 'static,
    {
        self.pool.transaction(f)
    }
}
