//! The [`Store`] trait on PostgreSQL.
//!
//! Every method sends one job to the pool (reads may be repeated once on a new connection;
//! writes never are). Reads that visit many rows go page by page, so memory stays bounded
//! whatever the log's size: entries and items are immutable once committed, and the log
//! grows only at its end, so pages read at different moments still join into a consistent
//! sequence.

use gawah_core::{ItemId, Timestamp};
use gawah_log::{Hash, HashReader, NodeId, StorageError};
use postgres::GenericClient;

use super::PgStore;
use super::append::{append_in, read_head};
use super::error::from_pg;
use super::items::{ITEM_COLUMNS, item_from_row};
use super::tree::read_nodes_on;
use crate::error::StoreError;
use crate::sqlite::{to_i64, to_u64};
use crate::store::{
    Change, CustodyEvent, EntryVisitor, ItemRecord, LogHead, Store, StoredCheckpoint,
};

/// Entries per page of [`Store::for_each_entry`]: at most 32 MiB of entries (65,535 bytes
/// each at most), typically well under 1 MiB.
const ENTRY_PAGE: i64 = 512;
/// Items per page of [`Store::for_each_item`].
const ITEM_PAGE: i64 = 512;

fn checkpoint_from(size: i64, root: &[u8], note: String) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        size: to_u64(size)?,
        root: root
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("checkpoint {size}: root not 32 bytes")))?,
        note,
    })
}

pub(crate) fn latest_checkpoint_on(
    c: &mut impl GenericClient,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row = c
        .query_opt(
            "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            &[],
        )
        .map_err(from_pg)?;
    row.map(|r| checkpoint_from(r.get(0), r.get(1), r.get(2)))
        .transpose()
}

/// Stores the checkpoint signed for `head` unless one for its size exists; returns the
/// one stored for that size. Two servers signing the same head at once store one note: the
/// primary key on `size` lets the first in, and the second reads it back.
fn store_checkpoint(
    c: &mut impl GenericClient,
    head: LogHead,
    note: String,
) -> Result<StoredCheckpoint, StoreError> {
    let size = to_i64(head.size)?;
    // Never a checkpoint beyond the head: the head only grows, and this one was read
    // committed, but the guard costs nothing.
    c.execute(
        "INSERT INTO checkpoints (size, root, note)
         SELECT $1, $2, $3 WHERE $1 <= (SELECT size FROM log_head WHERE id = 1)
         ON CONFLICT (size) DO NOTHING",
        &[&size, &&head.root[..], &note],
    )
    .map_err(from_pg)?;
    let row = c
        .query_opt(
            "SELECT size, root, note FROM checkpoints WHERE size = $1",
            &[&size],
        )
        .map_err(from_pg)?
        .ok_or_else(|| {
            StoreError::Inconsistent(format!("no checkpoint stored for size {}", head.size))
        })?;
    let stored = checkpoint_from(row.get(0), row.get(1), row.get(2))?;
    if stored.root != head.root {
        return Err(StoreError::Inconsistent(format!(
            "the checkpoint at size {} signs another root than the log's",
            head.size
        )));
    }
    Ok(stored)
}

impl Store for PgStore {
    fn head(&self) -> Result<LogHead, StoreError> {
        self.pool.read(|c| read_head(c, false))
    }

    fn commit(&self, changes: &[Change]) -> Result<Vec<u64>, StoreError> {
        let changes = changes.to_vec();
        self.pool.transaction(move |c| append_in(c, &changes))
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let idx = to_i64(index)?;
        self.pool
            .read(move |c| {
                c.query_opt("SELECT data FROM log_entries WHERE idx = $1", &[&idx])
                    .map_err(from_pg)
            })?
            .map(|r| r.get(0))
            .ok_or_else(|| StoreError::NotFound(format!("log entry {index}")))
    }

    fn for_each_entry(
        &self,
        start: u64,
        end: u64,
        f: &mut EntryVisitor<'_>,
    ) -> Result<(), StoreError> {
        // Integers are signed: an open-ended range stops at i64::MAX.
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let (mut next, end) = (clamp(start), clamp(end));
        while next < end {
            let rows = self.pool.read(move |c| {
                c.query(
                    "SELECT idx, data FROM log_entries WHERE idx >= $1 AND idx < $2
                     ORDER BY idx LIMIT $3",
                    &[&next, &end, &ENTRY_PAGE],
                )
                .map_err(from_pg)
            })?;
            for row in &rows {
                let idx: i64 = row.get(0);
                f(to_u64(idx)?, row.get::<_, &[u8]>(1))?;
                next = idx + 1;
            }
            if (rows.len() as i64) < ENTRY_PAGE {
                break;
            }
        }
        Ok(())
    }

    fn item(&self, id: &ItemId) -> Result<Option<ItemRecord>, StoreError> {
        let id = id.as_str().to_owned();
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = $1");
        self.pool
            .read(move |c| c.query_opt(&sql, &[&id]).map_err(from_pg))?
            .map(|r| item_from_row(&r))
            .transpose()
    }

    fn for_each_item(
        &self,
        f: &mut dyn FnMut(ItemRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE log_index > $1 ORDER BY log_index LIMIT $2"
        );
        let mut after = -1i64;
        loop {
            let sql = sql.clone();
            let rows = self
                .pool
                .read(move |c| c.query(&sql, &[&after, &ITEM_PAGE]).map_err(from_pg))?;
            for row in &rows {
                let item = item_from_row(row)?;
                after = to_i64(item.log_index)?;
                f(item)?;
            }
            if (rows.len() as i64) < ITEM_PAGE {
                return Ok(());
            }
        }
    }

    fn custody(&self, subject: &str) -> Result<Vec<CustodyEvent>, StoreError> {
        let subject = subject.to_owned();
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT log_index, subject, action, actor, time FROM custody_events
                 WHERE subject = $1 ORDER BY log_index",
                &[&subject],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                Ok(CustodyEvent {
                    log_index: to_u64(r.get(0))?,
                    subject: r.get(1),
                    action: r.get(2),
                    actor: r.get(3),
                    time: Timestamp::from_millis(r.get(4)),
                })
            })
            .collect()
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query(
                "SELECT size, root, note FROM checkpoints ORDER BY size",
                &[],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| checkpoint_from(r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.pool.read(latest_checkpoint_on)
    }

    /// Reads the head and the latest checkpoint in one snapshot, signs on the caller's
    /// thread (the signer need not be `Send`), then stores the note unless another server
    /// stored one for that size first, in which case that one is returned.
    fn checkpoint_head(
        &self,
        sign: &dyn Fn(LogHead) -> Result<String, StoreError>,
    ) -> Result<StoredCheckpoint, StoreError> {
        let (head, latest) = self.pool.read(|c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(from_pg)?;
            let head = read_head(&mut tx, false)?;
            let latest = latest_checkpoint_on(&mut tx)?;
            Ok((head, latest))
        })?;
        if let Some(latest) = latest {
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
        self.pool
            .transaction(move |c| store_checkpoint(c, head, note))
    }
}

impl HashReader for PgStore {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        let ids = ids.to_vec();
        self.pool
            .read(move |c| read_nodes_on(c, &ids))
            .map_err(|e| StorageError(e.to_string()))
    }
}
