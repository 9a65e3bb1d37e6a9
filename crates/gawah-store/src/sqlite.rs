//! The embedded default store: SQLite in WAL mode with `synchronous=FULL`.
//!
//! Appends serialise through `BEGIN IMMEDIATE`, which takes SQLite's write lock across
//! processes; inside it the head is read from the database, never from memory. A commit
//! returns only after the WAL is fsynced, so an acknowledged change survives power loss.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use gawah_core::{ItemId, Salt, Timestamp};
use gawah_log::{Frontier, Hash, HashReader, NodeId, StorageError, leaf_hash, tree_root};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

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
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
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
        // A 64 MiB page cache (the default is 2 MiB) keeps the indexes that appends touch in
        // memory instead of re-reading and spilling pages; temporary tables and sorts stay in
        // memory. Neither changes what is durable: commits still fsync the WAL.
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
             PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;",
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the connection half-used: every use is
        // a complete statement or a transaction that rolls back on drop.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
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

fn read_nodes_on(conn: &Connection, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
    let mut stmt = conn
        .prepare_cached("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2")
        .map_err(|e| StorageError(e.to_string()))?;
    ids.iter()
        .map(|id| {
            let idx =
                i64::try_from(id.index).map_err(|_| StorageError("index out of range".into()))?;
            let bytes: Option<Vec<u8>> = stmt
                .query_row(params![id.level, idx], |r| r.get(0))
                .optional()
                .map_err(|e| StorageError(e.to_string()))?;
            let bytes = bytes.ok_or_else(|| StorageError(format!("missing tree node {id:?}")))?;
            bytes
                .try_into()
                .map_err(|_| StorageError(format!("tree node {id:?} is not 32 bytes")))
        })
        .collect()
}

impl HashReader for SqliteStore {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        read_nodes_on(&self.lock(), ids)
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
    tx.prepare_cached(
        "INSERT INTO items (id, sha256, bytes, salt, case_ref, file_name, created_at, log_index)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        item.id.as_str(),
        item.sha256.to_hex(),
        to_i64(item.bytes)?,
        &item.salt.0[..],
        item.case_ref,
        item.file_name,
        created_ms,
        idx
    ])?;
    Ok(())
}

/// Writes one change inside the caller's transaction; returns its log index.
fn write_change(
    tx: &Connection,
    frontier: &mut Frontier,
    change: &Change,
) -> Result<u64, StoreError> {
    let bytes = change
        .entry
        .to_bytes()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let index = frontier.size();
    let idx = to_i64(index)?;
    tx.prepare_cached("INSERT INTO log_entries (idx, data) VALUES (?1, ?2)")?
        .execute(params![idx, bytes])?;
    let mut insert_node =
        tx.prepare_cached("INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
    for (id, hash) in frontier.append(leaf_hash(&bytes)) {
        insert_node.execute(params![id.level, to_i64(id.index)?, &hash[..]])?;
    }
    let e = &change.entry;
    tx.prepare_cached(
        "INSERT INTO custody_events (log_index, subject, action, actor, time) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![idx, e.subject, e.action.as_str(), e.actor, e.time.millis()])?;
    match &change.record {
        RecordWrite::None => {}
        RecordWrite::Item(item) => insert_item(tx, item, e.time.millis(), idx)?,
        other => crate::sqlite_records::write_record(tx, idx, e.time, other)?,
    }
    Ok(index)
}

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

type ItemRow = (
    String,
    String,
    i64,
    Vec<u8>,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

fn item_record(row: ItemRow) -> Result<ItemRecord, StoreError> {
    let (id, sha, bytes, salt, case_ref, file_name, created, log_index) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("item {id}: bad {what}"));
    Ok(ItemRecord {
        id: id.parse::<ItemId>().map_err(|_| corrupt("id"))?,
        sha256: sha.parse().map_err(|_| corrupt("sha256"))?,
        bytes: to_u64(bytes)?,
        salt: Salt(salt.as_slice().try_into().map_err(|_| corrupt("salt"))?),
        case_ref,
        file_name,
        created_at: Timestamp::from_millis(created),
        log_index: to_u64(log_index)?,
    })
}

const ITEM_COLUMNS: &str = "id, sha256, bytes, salt, case_ref, file_name, created_at, log_index";

impl Store for SqliteStore {
    fn head(&self) -> Result<LogHead, StoreError> {
        read_head(&self.lock())
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
        let indexes = changes
            .iter()
            .map(|c| write_change(&tx, &mut frontier, c))
            .collect::<Result<Vec<_>, _>>()?;
        tx.execute(
            "UPDATE log_head SET size = ?1, root = ?2 WHERE id = 1",
            params![to_i64(frontier.size())?, &frontier.root()[..]],
        )?;
        tx.commit()?;
        Ok(indexes)
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        self.lock()
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
        let conn = self.lock();
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
            .lock()
            .query_row(&sql, [id.as_str()], item_from_row)
            .optional()?;
        row.map(item_record).transpose()
    }

    fn for_each_item(
        &self,
        f: &mut dyn FnMut(ItemRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let conn = self.lock();
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
        let conn = self.lock();
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
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT size, root, note FROM checkpoints ORDER BY size")?;
        let rows = stmt.query_map([], checkpoint_row)?;
        rows.map(|r| stored_checkpoint(r?)).collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        latest_checkpoint_on(&self.lock())
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
