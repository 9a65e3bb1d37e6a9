//! [`TimestampStore`] on PostgreSQL: table `checkpoint_timestamps`, as on SQLite
//! (`sqlite_timestamps.rs`).
//!
//! The checkpoint is checked and the token kept in one transaction, the checkpoint's row
//! read `FOR SHARE`; checkpoints are never deleted or changed anyway. Two servers keeping a
//! token from one authority for one size at once keep one: the primary key lets the first
//! in, and the second's `ON CONFLICT DO NOTHING` reports that it kept nothing.

use gawah_core::Timestamp;
use postgres::Row;

use super::PgStore;
use super::error::from_pg;
use crate::error::StoreError;
use crate::sqlite::{to_i64, to_u64};
use crate::timestamps::{StoredTimestamp, TimestampStore};

fn stored(r: &Row) -> Result<StoredTimestamp, StoreError> {
    let root: Vec<u8> = r.get(2);
    Ok(StoredTimestamp {
        size: to_u64(r.get(0))?,
        root: root.as_slice().try_into().map_err(|_| {
            StoreError::Corrupt(format!("stored timestamp root of {} bytes", root.len()))
        })?,
        tsa_url: r.get(1),
        response: r.get(3),
        gen_time: r.get(4),
        fetched_at: Timestamp::from_millis(r.get(5)),
    })
}

impl TimestampStore for PgStore {
    fn timestamp_put(&self, t: &StoredTimestamp) -> Result<bool, StoreError> {
        let size = to_i64(t.size)?;
        let t = t.clone();
        self.pool.transaction(move |tx| {
            let root: Option<Vec<u8>> = tx
                .query_opt(
                    "SELECT root FROM checkpoints WHERE size = $1 FOR SHARE",
                    &[&size],
                )
                .map_err(from_pg)?
                .map(|r| r.get(0));
            if root.as_deref() != Some(&t.root[..]) {
                return Err(StoreError::Invalid(format!(
                    "no checkpoint of size {} with that root is stored; a timestamp is kept only for a signed checkpoint",
                    t.size
                )));
            }
            let added = tx
                .execute(
                    "INSERT INTO checkpoint_timestamps
                         (size, tsa_url, root, response, gen_time, fetched_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (size, tsa_url) DO NOTHING",
                    &[
                        &size,
                        &t.tsa_url,
                        &&t.root[..],
                        &t.response,
                        &t.gen_time,
                        &t.fetched_at.millis(),
                    ],
                )
                .map_err(from_pg)?;
            Ok(added == 1)
        })
    }

    fn timestamps_at(&self, size: u64) -> Result<Vec<StoredTimestamp>, StoreError> {
        let size = to_i64(size)?;
        self.pool
            .read(move |c| {
                c.query(
                    "SELECT size, tsa_url, root, response, gen_time, fetched_at
                     FROM checkpoint_timestamps WHERE size = $1 ORDER BY fetched_at, tsa_url",
                    &[&size],
                )
                .map_err(from_pg)
            })?
            .iter()
            .map(stored)
            .collect()
    }
}
