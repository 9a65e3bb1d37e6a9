//! The embedded default store: SQLite in WAL mode with `synchronous=FULL`.
//!
//! Appends serialise through `BEGIN IMMEDIATE`, which takes SQLite's write lock across
//! processes; inside it the head is read from the database, never from memory. A commit
//! returns only after the WAL is fsynced, so an acknowledged change survives power loss.

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use gawah_core::{ItemId, Salt, Timestamp};
use gawah_log::{Frontier, Hash, HashReader, NodeId, StorageError, leaf_hash, tree_root};
use rusqlite::{
    CachedStatement, Connection, OpenFlags, OptionalExtension, TransactionBehavior, params,
};

use crate::blob::{BlobHash, BlobKey};
use crate::error::StoreError;
use crate::store::{
    Change, CustodyEvent, EntryVisitor, ItemRecord, LogHead, NewItem, RecordWrite, Store,
    StoredCheckpoint,
};

/// Schema migrations, in order; `PRAGMA user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_ledger.sql"),
    include_str!("migrations/0002_case_database.sql"),
    include_str!("migrations/0003_uploads.sql"),
    include_str!("migrations/0004_sealing.sql"),
    include_str!("migrations/0005_log_nodes_from_level_4.sql"),
    include_str!("migrations/0006_incident_counts.sql"),
    include_str!("migrations/0007_incident_links.sql"),
    include_str!("migrations/0008_vocabularies.sql"),
    include_str!("migrations/0009_witness.sql"),
    include_str!("migrations/0010_timestamps.sql"),
    include_str!("migrations/0011_incident_list_index.sql"),
    include_str!("migrations/0012_blob_hash.sql"),
];
/// The newest schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Whether to check the log head when opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Refuse to open a store whose head contradicts its stored tree or checkpoints.
    Checked,
    /// Open whatever is there, for `log verify` to examine and report.
    Audit,
}

/// A SQLite database file holding records and the log.
///
/// One connection writes (every transaction, and anything that must see its own writes);
/// reads that stand alone go to a small pool of read-only connections, which WAL lets run
/// beside the writer and each other, so concurrent readers do not queue behind one lock.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: ReaderPool,
    /// Positions in incident lists, for deep pages.
    pub(crate) anchors: crate::sqlite_records::ListAnchors,
}

/// Incidents between two cached list positions (see `ListAnchors`): a deep page skips fewer
/// than this many index entries. 64 (was 256): stepping over entries was most of an HTML
/// page's work once it read the index alone; 1,563 cached keys per 100,000 incidents.
const LIST_ANCHOR_STRIDE: u64 = 64;

/// Page cache of the one writing connection (KiB; SQLite's default is 2 MiB). It keeps the
/// interior pages and the randomly-inserted index pages that appends touch, so they are not
/// read again from the OS on every commit. It is kept small on purpose: an append-mostly
/// writer fills any cache with the new pages it writes (about as fast as the database grows)
/// and never reads most of them again, so a larger cache only holds a server's memory up as
/// the database grows (docs/RELIABILITY.md, "Soak").
const WRITER_CACHE_KIB: i64 = 16 * 1024;
/// Page cache of each read-only connection (KiB). Readers share the OS page cache; this only
/// keeps the hottest index pages per connection, and bounds the pool's memory to
/// `MAX_READERS` times it.
const READER_CACHE_KIB: i64 = 16 * 1024;
/// At most this many read-only connections (fewer on a machine with fewer cores).
const MAX_READERS: usize = 8;

/// Read-only connections, opened on demand up to `max`, handed out one per read.
#[derive(Debug)]
struct ReaderPool {
    path: PathBuf,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

#[derive(Debug, Default)]
struct PoolState {
    idle: Vec<Connection>,
    open: usize,
}

impl ReaderPool {
    fn new(path: &Path) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            path: path.to_owned(),
            max: (cores * 2).clamp(2, MAX_READERS),
            state: Mutex::new(PoolState::default()),
            returned: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self) -> Result<Reader<'_>, StoreError> {
        let mut state = self.state();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Reader {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Reader {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.state().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        // The writer set WAL mode, which is persistent; a reader must not try to change it.
        conn.execute_batch(&format!(
            "PRAGMA cache_size=-{READER_CACHE_KIB}; PRAGMA temp_store=MEMORY;"
        ))?;
        Ok(conn)
    }
}

/// A read-only connection lent by the pool; back to the pool on drop.
struct Reader<'a> {
    pool: &'a ReaderPool,
    conn: Option<Connection>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lent reader holds its connection")
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a lent reader holds its connection")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A statement left in a read transaction would pin an old snapshot and keep the
            // WAL from being checkpointed; such a connection is closed, not reused.
            let mut state = self.pool.state();
            if conn.is_autocommit() {
                state.idle.push(conn);
            } else {
                state.open -= 1;
            }
            drop(state);
            self.pool.returned.notify_one();
        }
    }
}

impl SqliteStore {
    /// Creates a new database at `path` (which must not exist) with the current schema.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists",
                path.display()
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let store = Self::connect(path, flags)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database, migrating an older schema and refusing a newer one.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "no database at {}; run `gawah init` first",
                path.display()
            )));
        }
        let store = Self::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        store.migrate()?;
        if mode == OpenMode::Checked {
            store.check_head()?;
        }
        Ok(store)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Database(format!(
                "could not enable WAL (got {mode})"
            )));
        }
        // A page cache of its own (see `WRITER_CACHE_KIB`); temporary tables and sorts stay in
        // memory. Neither changes what is durable: commits still fsync the WAL.
        conn.execute_batch(&format!(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;
             PRAGMA cache_size=-{WRITER_CACHE_KIB}; PRAGMA temp_store=MEMORY;"
        ))?;
        Ok(Self {
            conn: Mutex::new(conn),
            readers: ReaderPool::new(path),
            anchors: crate::sqlite_records::ListAnchors::new(LIST_ANCHOR_STRIDE),
        })
    }

    /// The writer connection: every transaction, and reads that must see its own writes.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the connection half-used: every use is
        // a complete statement or a transaction that rolls back on drop.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection for a read that stands alone; it sees every committed write.
    pub(crate) fn read(
        &self,
    ) -> Result<impl std::ops::DerefMut<Target = Connection> + '_, StoreError> {
        self.readers.get()
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.lock();
        // Migrations may rebuild a table, which SQLite allows only with foreign keys off (the
        // pragma is a no-op inside a transaction); `foreign_key_check` before the commit
        // proves the rebuilt tables still satisfy every reference.
        conn.pragma_update(None, "foreign_keys", false)?;
        let result = Self::migrate_in(&mut conn);
        conn.pragma_update(None, "foreign_keys", true)?;
        result
    }

    fn migrate_in(conn: &mut Connection) -> Result<(), StoreError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            if !already_applied(&tx, i)? {
                tx.execute_batch(sql)?;
            }
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = broken {
            return Err(StoreError::Inconsistent(format!(
                "migration left a broken reference in table {table}"
            )));
        }
        tx.commit()?;
        Ok(())
    }

    /// Refuses a head that contradicts the stored entries, tree or checkpoints.
    fn check_head(&self) -> Result<(), StoreError> {
        let head = self.head()?;
        let last: Option<i64> =
            self.lock()
                .query_row("SELECT max(idx) FROM log_entries", [], |r| r.get(0))?;
        let last = last.map(to_u64).transpose()?;
        let expected_last = head.size.checked_sub(1);
        if last != expected_last {
            return Err(StoreError::Inconsistent(format!(
                "head says {} entries but the last stored entry is {:?}",
                head.size, last
            )));
        }
        if tree_root(head.size, self)? != head.root {
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
            if tree_root(cp.size, self)? != cp.root {
                return Err(StoreError::Inconsistent(format!(
                    "the checkpoint at size {} does not match the stored tree",
                    cp.size
                )));
            }
        }
        Ok(())
    }
}

fn read_head(conn: &Connection) -> Result<LogHead, StoreError> {
    let (size, root): (i64, Vec<u8>) =
        conn.query_row("SELECT size, root FROM log_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(LogHead {
        size: to_u64(size)?,
        root: to_hash(&root)?,
    })
}

pub(crate) fn to_u64(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative count {v}")))
}

pub(crate) fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{v} is out of range")))
}

fn to_hash(b: &[u8]) -> Result<Hash, StoreError> {
    b.try_into()
        .map_err(|_| StoreError::Corrupt(format!("stored hash of {} bytes", b.len())))
}

/// Tree levels below this are not stored in `log_nodes` (since migration 0005): a node there
/// covers at most 8 entries, so it is recomputed from them on read (at most 15 entries per
/// proof or frontier). This keeps about one node row per 8 entries instead of two per entry,
/// which was most of the cost of an append.
const STORED_MIN_LEVEL: u8 = 4;

fn read_nodes_on(conn: &Connection, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
    let err = |e: rusqlite::Error| StorageError(e.to_string());
    let mut stmt = conn
        .prepare_cached("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2")
        .map_err(err)?;
    ids.iter()
        .map(|id| {
            if id.level < STORED_MIN_LEVEL {
                return node_from_entries(conn, *id);
            }
            let idx =
                i64::try_from(id.index).map_err(|_| StorageError("index out of range".into()))?;
            let bytes: Option<Vec<u8>> = stmt
                .query_row(params![id.level, idx], |r| r.get(0))
                .optional()
                .map_err(err)?;
            let bytes = bytes.ok_or_else(|| StorageError(format!("missing tree node {id:?}")))?;
            bytes
                .try_into()
                .map_err(|_| StorageError(format!("tree node {id:?} is not 32 bytes")))
        })
        .collect()
}

/// A subtree below [`STORED_MIN_LEVEL`], hashed from the entries under it; a missing entry
/// is an error, as a missing stored node is.
fn node_from_entries(conn: &Connection, id: NodeId) -> Result<Hash, StorageError> {
    let err = |e: rusqlite::Error| StorageError(e.to_string());
    let lo = id.index << id.level;
    let hi = lo + (1 << id.level);
    let range = |v: u64| i64::try_from(v).map_err(|_| StorageError("index out of range".into()));
    let mut stmt = conn
        .prepare_cached(
            "SELECT idx, data FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )
        .map_err(err)?;
    let mut rows = stmt.query(params![range(lo)?, range(hi)?]).map_err(err)?;
    let mut subtree = Frontier::empty();
    while let Some(row) = rows.next().map_err(err)? {
        let idx: i64 = row.get(0).map_err(err)?;
        if u64::try_from(idx).ok() != Some(lo + subtree.size()) {
            break;
        }
        let data = row.get_ref(1).map_err(err)?;
        let data = data
            .as_blob()
            .map_err(|_| StorageError(format!("log entry {idx} is not a blob")))?;
        subtree.append_with(leaf_hash(data), |_, _| {});
    }
    if subtree.size() != hi - lo {
        return Err(StorageError(format!(
            "missing tree node {id:?}: log entry {} is missing",
            lo + subtree.size()
        )));
    }
    Ok(subtree.root())
}

impl HashReader for SqliteStore {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        let conn = self.read().map_err(|e| StorageError(e.to_string()))?;
        read_nodes_on(&conn, ids)
    }
}

struct ConnReader<'a>(&'a Connection);

impl HashReader for ConnReader<'_> {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        read_nodes_on(self.0, ids)
    }
}

/// Inserts an evidence item row, recorded as entry `idx` at `created_ms`.
pub(crate) fn insert_item(
    tx: &Connection,
    item: &NewItem,
    created_ms: i64,
    idx: i64,
) -> Result<(), StoreError> {
    if let Some(key) = &item.data_key {
        crate::sqlite_keys::write_data_key(tx, key)?;
    }
    let (sha, salt, (blob_digest, blob_hash)) = item_hashes(item)?;
    tx.prepare_cached(
        "INSERT INTO items (id, sha256, bytes, salt, case_ref, created_at, log_index, blob_digest,
                           sealed, blob_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        item.id.as_str(),
        sha,
        to_i64(item.bytes)?,
        salt,
        item.case_ref,
        created_ms,
        idx,
        blob_digest,
        item.sealed,
        blob_hash,
    ])?;
    Ok(())
}

/// Whether migration `i` (counted from 0) is in the schema already though `user_version` is
/// older (a store set back by hand, or by a test that runs migrations again): migrations
/// that alter a table cannot say `IF NOT EXISTS`, so they are recognised here. The others
/// are written to be safe to run twice.
fn already_applied(tx: &Connection, i: usize) -> Result<bool, StoreError> {
    let has_column = |table: &str, column: &str| -> Result<bool, StoreError> {
        let n: i64 = tx.query_row(
            "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    };
    match i {
        // 0012_blob_hash.sql
        11 => has_column("items", "blob_hash"),
        _ => Ok(false),
    }
}

/// The hash columns of a new item row (both backends): `sha256` and `salt`, and the stored
/// blob's key (`blob_digest`, `blob_hash`). A confidential item must come sealed, and its
/// hash and salt live only in `sealed`: a seized database must not confirm that a known
/// file is held.
pub(crate) type ItemHashes = (Option<String>, Option<Vec<u8>>, (String, &'static str));

/// Checks a new item and returns its [`ItemHashes`].
pub(crate) fn item_hashes(item: &NewItem) -> Result<ItemHashes, StoreError> {
    if item.confidential && (item.sealed.is_none() || item.blob.is_none()) {
        return Err(StoreError::Invalid(
            "a confidential item needs sealed content and sealed hashes".into(),
        ));
    }
    let (sha, salt) = if item.confidential {
        (None, None)
    } else {
        (Some(item.sha256.to_hex()), Some(item.salt.0.to_vec()))
    };
    let blob = item.blob.unwrap_or(BlobKey::from(item.sha256));
    Ok((sha, salt, (blob.digest_hex(), blob.hash().name())))
}

/// The statements every change runs, prepared once per commit rather than looked up in the
/// statement cache once per change.
struct AppendStatements<'c> {
    entry: CachedStatement<'c>,
    node: CachedStatement<'c>,
    custody: CachedStatement<'c>,
}

impl<'c> AppendStatements<'c> {
    fn prepare(tx: &'c Connection) -> Result<Self, StoreError> {
        Ok(Self {
            entry: tx.prepare_cached("INSERT INTO log_entries (idx, data) VALUES (?1, ?2)")?,
            node: tx
                .prepare_cached("INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?,
            custody: tx.prepare_cached(
                "INSERT INTO custody_events (log_index, subject, action, actor, time) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
        })
    }
}

/// Writes one change inside the caller's transaction; returns its log index.
fn write_change(
    tx: &Connection,
    stmts: &mut AppendStatements<'_>,
    frontier: &mut Frontier,
    change: &Change,
) -> Result<u64, StoreError> {
    let bytes = change
        .entry
        .to_bytes()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let index = frontier.size();
    let idx = to_i64(index)?;
    stmts.entry.execute(params![idx, bytes])?;
    let mut stored = Ok(());
    frontier.append_with(leaf_hash(&bytes), |id, hash| {
        if id.level >= STORED_MIN_LEVEL && stored.is_ok() {
            // Node indexes are below the entry index, which fits an i64.
            let node = id.index as i64;
            stored = stmts
                .node
                .execute(params![id.level, node, &hash[..]])
                .map(|_| ());
        }
    });
    stored?;
    let e = &change.entry;
    stmts.custody.execute(params![
        idx,
        e.subject,
        e.action.as_str(),
        e.actor,
        e.time.millis()
    ])?;
    match &change.record {
        RecordWrite::None => {}
        RecordWrite::Item(item) => insert_item(tx, item, e.time.millis(), idx)?,
        other => crate::sqlite_records::write_record(tx, idx, e.time, other)?,
    }
    Ok(index)
}

/// How many columns an item row has ([`ITEM_COLUMNS`]): a query's own columns after them
/// start here.
pub(crate) const ITEM_WIDTH: usize = 11;

pub(crate) fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
        (
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
        ),
    ))
}

pub(crate) type ItemRow = (
    (String, Option<String>, i64, Option<Vec<u8>>),
    (
        Option<String>,
        Option<String>,
        i64,
        i64,
        Option<Vec<u8>>,
        String,
        String,
    ),
);

pub(crate) fn item_record(row: ItemRow) -> Result<ItemRecord, StoreError> {
    let ((id, sha, bytes, salt), (case_ref, file_name, created, log_index, sealed, digest, hash)) =
        row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("item {id}: bad {what}"));
    Ok(ItemRecord {
        id: id.parse::<ItemId>().map_err(|_| corrupt("id"))?,
        sha256: sha
            .map(|h| h.parse().map_err(|_| corrupt("sha256")))
            .transpose()?,
        bytes: to_u64(bytes)?,
        salt: salt
            .map(|v| {
                v.as_slice()
                    .try_into()
                    .map(Salt)
                    .map_err(|_| corrupt("salt"))
            })
            .transpose()?,
        blob: BlobHash::from_name(&hash)
            .and_then(|h| BlobKey::from_digest_hex(h, &digest))
            .ok_or_else(|| corrupt("blob key"))?,
        case_ref,
        file_name,
        sealed,
        created_at: Timestamp::from_millis(created),
        log_index: to_u64(log_index)?,
    })
}

/// The columns of an item row, in the order [`item_from_row`] (and PostgreSQL's reader)
/// reads them; [`ITEM_WIDTH`] of them.
pub(crate) const ITEM_COLUMNS: &str = "id, sha256, bytes, salt, case_ref, file_name, \
                                       created_at, log_index, sealed, blob_digest, blob_hash";

impl Store for SqliteStore {
    fn head(&self) -> Result<LogHead, StoreError> {
        read_head(&*self.read()?)
    }

    fn commit(&self, changes: &[Change]) -> Result<Vec<u64>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = read_head(&tx)?;
        let mut frontier = Frontier::load(head.size, &ConnReader(&tx))?;
        if frontier.root() != head.root {
            return Err(StoreError::Inconsistent(
                "head root differs from the stored tree".into(),
            ));
        }
        let mut stmts = AppendStatements::prepare(&tx)?;
        let indexes = changes
            .iter()
            .map(|c| write_change(&tx, &mut stmts, &mut frontier, c))
            .collect::<Result<Vec<_>, _>>()?;
        drop(stmts);
        tx.execute(
            "UPDATE log_head SET size = ?1, root = ?2 WHERE id = 1",
            params![to_i64(frontier.size())?, &frontier.root()[..]],
        )?;
        tx.commit()?;
        if changes
            .iter()
            .any(|c| matches!(c.record, RecordWrite::ErasureApprove(_)))
        {
            // A destroyed key must not linger: copy the WAL (whose new pages hold the zeroed
            // row, `secure_delete`) back into the database file, overwriting the old page,
            // and empty the WAL. Best effort: a busy reader only delays it to the next
            // checkpoint, and the key was sealed under the organisation key anyway.
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        Ok(indexes)
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        self.read()?
            .query_row(
                "SELECT data FROM log_entries WHERE idx = ?1",
                [to_i64(index)?],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("log entry {index}")))
    }

    fn for_each_entry(
        &self,
        start: u64,
        end: u64,
        f: &mut EntryVisitor<'_>,
    ) -> Result<(), StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare(
            "SELECT idx, data FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        // SQLite integers are signed: an open-ended range stops at i64::MAX.
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![clamp(start), clamp(end)])?;
        while let Some(row) = rows.next()? {
            let idx: i64 = row.get(0)?;
            let data = row
                .get_ref(1)?
                .as_blob()
                .map_err(|_| StoreError::Corrupt(format!("log entry {idx} is not a blob")))?;
            f(to_u64(idx)?, data)?;
        }
        Ok(())
    }

    fn item(&self, id: &ItemId) -> Result<Option<ItemRecord>, StoreError> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?1");
        let row = self
            .read()?
            .query_row(&sql, [id.as_str()], item_from_row)
            .optional()?;
        row.map(item_record).transpose()
    }

    fn for_each_item(
        &self,
        f: &mut dyn FnMut(ItemRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM items ORDER BY log_index"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            f(item_record(item_from_row(row)?)?)?;
        }
        Ok(())
    }

    fn custody(&self, subject: &str) -> Result<Vec<CustodyEvent>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare(
            "SELECT log_index, subject, action, actor, time FROM custody_events WHERE subject = ?1 ORDER BY log_index",
        )?;
        let rows = stmt.query_map([subject], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (idx, subject, action, actor, time) = row?;
            Ok(CustodyEvent {
                log_index: to_u64(idx)?,
                subject,
                action,
                actor,
                time: Timestamp::from_millis(time),
            })
        })
        .collect()
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare("SELECT size, root, note FROM checkpoints ORDER BY size")?;
        let rows = stmt.query_map([], checkpoint_row)?;
        rows.map(|r| stored_checkpoint(r?)).collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        latest_checkpoint_on(&*self.read()?)
    }

    fn checkpoint_head(
        &self,
        sign: &dyn Fn(LogHead) -> Result<String, StoreError>,
    ) -> Result<StoredCheckpoint, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = read_head(&tx)?;
        if let Some(latest) = latest_checkpoint_on(&tx)? {
            if latest.size > head.size {
                return Err(StoreError::Inconsistent(format!(
                    "stored checkpoint for size {} is ahead of the log ({})",
                    latest.size, head.size
                )));
            }
            if latest.size == head.size {
                return Ok(latest);
            }
        }
        let note = sign(head)?;
        tx.execute(
            "INSERT INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)",
            params![to_i64(head.size)?, &head.root[..], note],
        )?;
        tx.commit()?;
        Ok(StoredCheckpoint {
            size: head.size,
            root: head.root,
            note,
        })
    }
}

type CheckpointRow = (i64, Vec<u8>, String);

fn checkpoint_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CheckpointRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn stored_checkpoint((size, root, note): CheckpointRow) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        size: to_u64(size)?,
        root: to_hash(&root)?,
        note,
    })
}

fn latest_checkpoint_on(conn: &Connection) -> Result<Option<StoredCheckpoint>, StoreError> {
    conn.query_row(
        "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
        [],
        checkpoint_row,
    )
    .optional()?
    .map(stored_checkpoint)
    .transpose()
}

#[cfg(test)]
mod ledger_tests {
    use gawah_core::{Action, LogEntry, Sha256Digest};
    use gawah_log::{MemoryTree, consistency_proof, inclusion_proof};

    use super::*;

    fn change(i: u64) -> Change {
        Change {
            record: RecordWrite::None,
            entry: LogEntry::new(
                Timestamp::from_millis(1_767_225_600_000 + i as i64),
                "cli",
                Action::View,
                &format!("subject{i}"),
            ),
        }
    }

    fn low_node_rows(store: &SqliteStore) -> i64 {
        store
            .lock()
            .query_row(
                "SELECT count(*) FROM log_nodes WHERE level < ?1",
                [STORED_MIN_LEVEL],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Roots and proofs from the store, whose low levels are hashed from entries, equal
    /// those of a tree that keeps every node, at every size and in every batch shape.
    #[test]
    fn roots_and_proofs_match_a_tree_that_stores_every_node() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("db")).unwrap();
        let mut expected = MemoryTree::new();
        let mut next = 0u64;
        for batch in [1, 1, 2, 3, 5, 8, 13, 1, 21, 34, 1, 1, 40] {
            let changes: Vec<Change> = (next..next + batch).map(change).collect();
            store.commit(&changes).unwrap();
            for c in &changes {
                expected.push(&c.entry.to_bytes().unwrap());
            }
            next += batch;
            assert_eq!(store.head().unwrap().root, expected.root());
        }
        let size = expected.size();
        assert_eq!(size, 131);
        assert_eq!(low_node_rows(&store), 0);
        for n in 1..=size {
            assert_eq!(
                tree_root(n, &store).unwrap(),
                tree_root(n, &expected).unwrap()
            );
        }
        for i in 0..size {
            assert_eq!(
                inclusion_proof(i, size, &store).unwrap(),
                inclusion_proof(i, size, &expected).unwrap()
            );
        }
        for from in [1, 7, 16, 17, 64, 100, 129] {
            assert_eq!(
                consistency_proof(from, size, &store).unwrap(),
                consistency_proof(from, size, &expected).unwrap()
            );
        }
    }

    /// A missing entry under a low node is an error, never a made-up hash.
    #[test]
    fn a_low_node_over_a_missing_entry_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("db")).unwrap();
        store
            .commit(&(0..8).map(change).collect::<Vec<_>>())
            .unwrap();
        store
            .lock()
            .execute_batch("PRAGMA foreign_keys=OFF; DELETE FROM log_entries WHERE idx = 5;")
            .unwrap();
        assert!(store.read_nodes(&[NodeId::new(3, 0)]).is_err());
        assert!(store.read_nodes(&[NodeId::leaf(5)]).is_err());
        assert!(store.read_nodes(&[NodeId::new(1, 1)]).is_ok());
    }

    /// Queries read their own columns after an item's at `ITEM_WIDTH`: it must count them.
    #[test]
    fn item_width_counts_the_item_columns() {
        assert_eq!(ITEM_COLUMNS.split(", ").count(), ITEM_WIDTH);
    }

    /// A store written before migration 0012 (one `blob_sha256` column) opens; its items
    /// keep their blob keys as SHA-256, a sealed one (stored under the SHA-256 of its sealed
    /// bytes then) included, and new sealed items are stored under BLAKE3 beside them.
    #[test]
    fn a_store_from_before_blake3_addressing_migrates() {
        use crate::store_conformance::{new_item, view};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let (plain, plain_change) = new_item(1, None);
        let (mut sealed, mut sealed_change) = new_item(2, None);
        let old_key = BlobKey::from(Sha256Digest::of(b"sealed bytes, addressed the old way"));
        sealed.sealed = Some(vec![7; 40]);
        sealed.blob = Some(old_key);
        sealed_change.record = RecordWrite::Item(sealed.clone());
        {
            let store = SqliteStore::create(&path).unwrap();
            store
                .commit(&[view(0), plain_change, sealed_change])
                .unwrap();
            // Back to schema 11, as an older build left it.
            let conn = store.lock();
            conn.execute_batch(
                "ALTER TABLE items DROP COLUMN blob_hash;
                 ALTER TABLE items RENAME COLUMN blob_digest TO blob_sha256;
                 PRAGMA user_version = 11;",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path, OpenMode::Checked).unwrap();
        let got = store.item(&plain.id).unwrap().unwrap();
        assert_eq!(got.blob, BlobKey::from(plain.sha256));
        assert!(!got.blob_sealed());
        let got = store.item(&sealed.id).unwrap().unwrap();
        assert_eq!(got.blob, old_key);
        assert_eq!(got.blob.hash(), BlobHash::Sha256);
        assert!(
            got.blob_sealed(),
            "sealed by its own address, not the original's"
        );

        let (mut new, mut new_change) = new_item(3, None);
        new.sealed = Some(vec![8; 40]);
        new.blob = Some(BlobKey::of(
            BlobHash::Blake3,
            b"sealed bytes, addressed now",
        ));
        new_change.record = RecordWrite::Item(new.clone());
        store.commit(&[new_change]).unwrap();
        assert_eq!(
            store.item(&new.id).unwrap().unwrap().blob,
            new.blob.unwrap()
        );
    }

    /// A store written before migration 0005 (a node row at every level) opens, drops its
    /// low rows and keeps its roots.
    #[test]
    fn a_store_with_every_node_stored_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut expected = MemoryTree::new();
        {
            let store = SqliteStore::create(&path).unwrap();
            let changes: Vec<Change> = (0..40).map(change).collect();
            store.commit(&changes).unwrap();
            let conn = store.lock();
            let mut insert = conn
                .prepare("INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
                .unwrap();
            for c in &changes {
                expected.push(&c.entry.to_bytes().unwrap());
            }
            for level in 0..STORED_MIN_LEVEL {
                for idx in 0..(40u64 >> level) {
                    let id = NodeId::new(level, idx);
                    let hash = expected.read_nodes(&[id]).unwrap()[0];
                    insert
                        .execute(params![level, idx as i64, &hash[..]])
                        .unwrap();
                }
            }
            drop(insert);
            conn.pragma_update(None, "user_version", 4).unwrap();
        }
        let store = SqliteStore::open(&path, OpenMode::Checked).unwrap();
        assert_eq!(low_node_rows(&store), 0);
        assert_eq!(tree_root(40, &store).unwrap(), expected.root());
        assert_eq!(
            tree_root(23, &store).unwrap(),
            tree_root(23, &expected).unwrap()
        );
    }
}
