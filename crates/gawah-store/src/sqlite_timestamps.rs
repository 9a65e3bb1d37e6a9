//! [`TimestampStore`] on SQLite: table `checkpoint_timestamps` (migration 0010).

use gawah_core::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::error::StoreError;
use crate::sqlite::{SqliteStore, to_i64, to_u64};
use crate::timestamps::{StoredTimestamp, TimestampStore};

type Row = (i64, String, Vec<u8>, Vec<u8>, String, i64);

fn stored(row: Row) -> Result<StoredTimestamp, StoreError> {
    let (size, tsa_url, root, response, gen_time, fetched_at) = row;
    Ok(StoredTimestamp {
        size: to_u64(size)?,
        root: root.as_slice().try_into().map_err(|_| {
            StoreError::Corrupt(format!("stored timestamp root of {} bytes", root.len()))
        })?,
        tsa_url,
        response,
        gen_time,
        fetched_at: Timestamp::from_millis(fetched_at),
    })
}

impl TimestampStore for SqliteStore {
    fn timestamp_put(&self, t: &StoredTimestamp) -> Result<bool, StoreError> {
        let size = to_i64(t.size)?;
        let mut conn = self.lock();
        // One transaction: the checkpoint checked and the token kept see the same state.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let root: Option<Vec<u8>> = tx
            .query_row(
                "SELECT root FROM checkpoints WHERE size = ?1",
                [size],
                |r| r.get(0),
            )
            .optional()?;
        if root.as_deref() != Some(&t.root[..]) {
            return Err(StoreError::Invalid(format!(
                "no checkpoint of size {} with that root is stored; a timestamp is kept only for a signed checkpoint",
                t.size
            )));
        }
        let added = tx.execute(
            "INSERT INTO checkpoint_timestamps (size, tsa_url, root, response, gen_time, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (size, tsa_url) DO NOTHING",
            params![
                size,
                t.tsa_url,
                &t.root[..],
                t.response,
                t.gen_time,
                t.fetched_at.millis()
            ],
        )?;
        tx.commit()?;
        Ok(added == 1)
    }

    fn timestamps_at(&self, size: u64) -> Result<Vec<StoredTimestamp>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT size, tsa_url, root, response, gen_time, fetched_at
             FROM checkpoint_timestamps WHERE size = ?1 ORDER BY fetched_at, tsa_url",
        )?;
        let rows = stmt
            .query_map([to_i64(size)?], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<Result<Vec<Row>, _>>()?;
        rows.into_iter().map(stored).collect()
    }
}

#[cfg(test)]
mod tests {
    use gawah_core::{Action, LogEntry};

    use super::*;
    use crate::store::{Change, RecordWrite, Store};

    fn store_with_checkpoint() -> (tempfile::TempDir, SqliteStore, crate::StoredCheckpoint) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("t.db")).unwrap();
        let entry = LogEntry::new(Timestamp::from_millis(0), "cli", Action::View, "subject1");
        store
            .commit(&[Change {
                record: RecordWrite::None,
                entry,
            }])
            .unwrap();
        let cp = store
            .checkpoint_head(&|h| Ok(format!("o\n{}\nroot\n\n— o sig\n", h.size)))
            .unwrap();
        (dir, store, cp)
    }

    fn token(cp: &crate::StoredCheckpoint, url: &str, at: i64) -> StoredTimestamp {
        StoredTimestamp {
            size: cp.size,
            root: cp.root,
            tsa_url: url.into(),
            response: vec![1, 2, 3],
            gen_time: "2026-11-29T08:17:13Z".into(),
            fetched_at: Timestamp::from_millis(at),
        }
    }

    #[test]
    fn the_first_token_per_authority_is_kept() {
        let (_d, store, cp) = store_with_checkpoint();
        assert!(store.timestamp_put(&token(&cp, "http://a", 1)).unwrap());
        let mut later = token(&cp, "http://a", 2);
        later.response = vec![9];
        assert!(!store.timestamp_put(&later).unwrap());
        assert!(store.timestamp_put(&token(&cp, "http://b", 3)).unwrap());
        let kept = store.timestamps_at(cp.size).unwrap();
        assert_eq!(
            kept,
            vec![token(&cp, "http://a", 1), token(&cp, "http://b", 3)]
        );
        assert!(store.timestamps_at(cp.size + 1).unwrap().is_empty());
    }

    #[test]
    fn the_migration_runs_again_safely() {
        let (d, store, cp) = store_with_checkpoint();
        assert!(store.timestamp_put(&token(&cp, "http://a", 1)).unwrap());
        let sql = include_str!("migrations/0010_timestamps.sql");
        store.lock().execute_batch(sql).unwrap();
        // 0010 is the tenth migration: run it (and any after it) again.
        let before = 9;
        store
            .lock()
            .pragma_update(None, "user_version", before)
            .unwrap();
        drop(store);
        let path = d.path().join("t.db");
        let store = SqliteStore::open(&path, crate::sqlite::OpenMode::Checked).unwrap();
        assert_eq!(
            store.timestamps_at(cp.size).unwrap().len(),
            1,
            "kept across"
        );
    }

    #[test]
    fn only_for_a_stored_checkpoint() {
        let (_d, store, cp) = store_with_checkpoint();
        let mut wrong_root = token(&cp, "http://a", 1);
        wrong_root.root[0] ^= 1;
        assert!(matches!(
            store.timestamp_put(&wrong_root),
            Err(StoreError::Invalid(_))
        ));
        let mut no_such_size = token(&cp, "http://a", 1);
        no_such_size.size += 1;
        assert!(matches!(
            store.timestamp_put(&no_such_size),
            Err(StoreError::Invalid(_))
        ));
        assert!(store.timestamps_at(cp.size).unwrap().is_empty());
    }
}
