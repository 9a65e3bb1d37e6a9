//! Witnessing on SQLite: configuration changes written inside
//! [`Store::commit`](crate::Store::commit)'s transaction, the compare-and-set of a witnessed
//! log's state, and the cosignatures received.

use gawah_core::Timestamp;
use gawah_log::Hash;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::StoreError;
use crate::sqlite::{SqliteStore, to_i64, to_u64};
use crate::sqlite_records::insert_version;
use crate::witness::{
    StoredCosignature, Witness, WitnessChange, WitnessStore, WitnessWrite, WitnessedCheckpoint,
    WitnessedHead, WitnessedLog,
};

/// Writes a configuration change as entry `idx` at `now`, and keeps the content and salt its
/// entry commits to as the subject's next version. Adding what is active already, or
/// removing what is not, is refused.
pub(crate) fn write_witness(
    tx: &Connection,
    idx: i64,
    now: i64,
    c: &WitnessChange,
) -> Result<(), StoreError> {
    let changed = match &c.write {
        WitnessWrite::AddLog { origin, key } => tx
            .prepare_cached(
                "INSERT INTO witnessed_logs (origin, key, size, active, log_index, created_at, updated_at)
                 VALUES (?1, ?2, 0, 1, ?3, ?4, ?4)
                 ON CONFLICT (origin) DO UPDATE SET key = excluded.key, active = 1,
                     log_index = excluded.log_index, updated_at = excluded.updated_at
                 WHERE active = 0",
            )?
            .execute(params![origin, key, idx, now])?,
        WitnessWrite::RemoveLog { origin } => tx
            .prepare_cached(
                "UPDATE witnessed_logs SET active = 0, log_index = ?2, updated_at = ?3
                 WHERE origin = ?1 AND active = 1",
            )?
            .execute(params![origin, idx, now])?,
        WitnessWrite::Add { name, key, url } => tx
            .prepare_cached(
                "INSERT INTO witnesses (name, key, url, active, log_index, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)
                 ON CONFLICT (name) DO UPDATE SET key = excluded.key, url = excluded.url,
                     active = 1, log_index = excluded.log_index, updated_at = excluded.updated_at
                 WHERE active = 0",
            )?
            .execute(params![name, key, url, idx, now])?,
        WitnessWrite::Remove { name } => tx
            .prepare_cached(
                "UPDATE witnesses SET active = 0, log_index = ?2, updated_at = ?3
                 WHERE name = ?1 AND active = 1",
            )?
            .execute(params![name, idx, now])?,
    };
    if changed != 1 {
        return Err(c.write.not_applied());
    }
    let version: i64 = tx
        .prepare_cached(
            "SELECT coalesce(max(version), 0) + 1 FROM record_versions WHERE subject = ?1",
        )?
        .query_row([&c.subject], |r| r.get(0))?;
    insert_version(tx, &c.subject, version, idx, &c.salt, &c.content)
}

/// A witnessed log's columns, in [`LogCols`]' order.
pub(crate) const LOG_COLUMNS: &str = "origin, key, size, root, note, active, log_index, updated_at";

/// A witnessed log row as plain values, in [`LOG_COLUMNS`]' order (both backends read theirs
/// into this and check it with [`log_row`]).
pub(crate) type LogCols = (
    String,
    String,
    i64,
    Option<Vec<u8>>,
    Option<String>,
    bool,
    i64,
    i64,
);

fn log_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogCols> {
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

/// A witnessed log checked and typed: a stored root that is not 32 bytes is corrupt.
pub(crate) fn log_row(c: LogCols) -> Result<WitnessedLog, StoreError> {
    let (origin, key, size, root, note, active, log_index, updated) = c;
    let root = root
        .map(|r| {
            Hash::try_from(r.as_slice()).map_err(|_| {
                StoreError::Corrupt(format!("witnessed log {origin}: root is not 32 bytes"))
            })
        })
        .transpose()?;
    Ok(WitnessedLog {
        origin,
        key,
        size: to_u64(size)?,
        root,
        note,
        active,
        log_index: to_u64(log_index)?,
        updated_at: Timestamp::from_millis(updated),
    })
}

/// A cosignature row as plain values: size, witness key, line, time.
pub(crate) type CosignatureCols = (i64, String, String, i64);

fn cosignature_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<CosignatureCols> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

/// A cosignature as stored.
pub(crate) fn cosignature_row(c: CosignatureCols) -> Result<StoredCosignature, StoreError> {
    let (size, witness_key, line, time) = c;
    Ok(StoredCosignature {
        size: to_u64(size)?,
        witness_key,
        line,
        time: to_u64(time)?,
    })
}

/// A witness row as plain values: name, key, URL, active, log index.
pub(crate) type WitnessCols = (String, String, String, bool, i64);

/// A witness as stored.
pub(crate) fn witness_row(c: WitnessCols) -> Result<Witness, StoreError> {
    let (name, key, url, active, log_index) = c;
    Ok(Witness {
        name,
        key,
        url,
        active,
        log_index: to_u64(log_index)?,
    })
}

/// Refuses a cosignature that is not exactly one signature line, before any SQL runs.
pub(crate) fn check_cosignature(c: &StoredCosignature) -> Result<(), StoreError> {
    if !c.line.ends_with('\n') || c.line.matches('\n').count() != 1 {
        return Err(StoreError::Invalid(
            "a cosignature is one signature line".into(),
        ));
    }
    Ok(())
}

impl WitnessStore for SqliteStore {
    fn witnessed_logs(&self) -> Result<Vec<WitnessedLog>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {LOG_COLUMNS} FROM witnessed_logs ORDER BY origin"
        ))?;
        let rows = stmt.query_map([], log_cols)?;
        rows.map(|r| log_row(r?)).collect()
    }

    fn witnessed_log(&self, origin: &str) -> Result<Option<WitnessedLog>, StoreError> {
        self.read()?
            .prepare_cached(&format!(
                "SELECT {LOG_COLUMNS} FROM witnessed_logs WHERE origin = ?1"
            ))?
            .query_row([origin], log_cols)
            .optional()?
            .map(log_row)
            .transpose()
    }

    fn advance_witnessed_log(
        &self,
        origin: &str,
        from: WitnessedHead,
        to: &WitnessedCheckpoint,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        if to.size < from.size {
            return Ok(false);
        }
        let mut conn = self.lock();
        // The write lock is taken first, so no other request reads or moves this state
        // between the comparison and the update.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from_root = from.root.map(|r| r.to_vec());
        let changed = tx.execute(
            "UPDATE witnessed_logs SET size = ?3, root = ?4, note = ?5, updated_at = ?6
             WHERE origin = ?1 AND active = 1 AND size = ?2 AND root IS ?7",
            params![
                origin,
                to_i64(from.size)?,
                to_i64(to.size)?,
                &to.root[..],
                to.note,
                now.millis(),
                from_root,
            ],
        )?;
        if changed != 1 {
            return Ok(false);
        }
        tx.commit()?;
        Ok(true)
    }

    fn witnesses(&self) -> Result<Vec<Witness>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT name, key, url, active, log_index FROM witnesses ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.map(|r| witness_row(r?)).collect()
    }

    fn put_cosignature(&self, c: &StoredCosignature, now: Timestamp) -> Result<(), StoreError> {
        check_cosignature(c)?;
        self.lock()
            .prepare_cached(
                "INSERT INTO checkpoint_cosignatures (size, witness_key, line, time, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (size, witness_key) DO UPDATE SET line = excluded.line,
                     time = excluded.time, received_at = excluded.received_at
                 WHERE excluded.time >= time",
            )?
            .execute(params![
                to_i64(c.size)?,
                c.witness_key,
                c.line,
                to_i64(c.time)?,
                now.millis()
            ])
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::NotFound(format!(
                    "no checkpoint of size {} to store a cosignature for",
                    c.size
                )),
                _ => e.into(),
            })?;
        Ok(())
    }

    fn cosignatures(&self, size: u64) -> Result<Vec<StoredCosignature>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT size, witness_key, line, time FROM checkpoint_cosignatures
             WHERE size = ?1 ORDER BY witness_key",
        )?;
        let rows = stmt.query_map([to_i64(size)?], cosignature_cols)?;
        rows.map(|r| cosignature_row(r?)).collect()
    }

    fn last_cosigned_size(&self, witness_key: &str) -> Result<Option<u64>, StoreError> {
        let size: Option<i64> = self.read()?.query_row(
            "SELECT max(size) FROM checkpoint_cosignatures WHERE witness_key = ?1",
            [witness_key],
            |r| r.get(0),
        )?;
        size.map(to_u64).transpose()
    }
}

#[cfg(test)]
mod tests {
    use gawah_log::{Cosigner, NoteSigner};

    use super::*;
    use crate::store::{LogHead, Store};
    use crate::witness::{
        add_log_change, add_witness_change, cosigned_note, remove_log_change, remove_witness_change,
    };

    fn time() -> Timestamp {
        Timestamp::from_millis(1_767_225_600_000)
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("db")).unwrap();
        (dir, store)
    }

    fn checkpoint(size: u64, root: u8) -> WitnessedCheckpoint {
        WitnessedCheckpoint {
            size,
            root: [root; 32],
            note: format!("note {size}"),
        }
    }

    #[test]
    fn adding_a_log_is_logged_and_its_state_moves_only_by_compare_and_set() {
        let (_d, store) = store();
        let log = NoteSigner::new("a.example/log", [1; 32])
            .unwrap()
            .verifier();
        let idx = store
            .commit(&[add_log_change(time(), "cli", &log).unwrap()])
            .unwrap()[0];
        let entry = gawah_core::LogEntry::parse(&store.entry(idx).unwrap()).unwrap();
        assert_eq!(
            entry.subject,
            format!("witnessed_log:{}", hex::encode(log.key_id()))
        );
        assert_eq!(entry.action, gawah_core::Action::Create);
        // Adding it again is a conflict, and nothing is written.
        let again = store.commit(&[add_log_change(time(), "cli", &log).unwrap()]);
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert_eq!(store.head().unwrap().size, 1);

        let o = "a.example/log";
        let empty = WitnessedHead {
            size: 0,
            root: None,
        };
        assert!(
            store
                .advance_witnessed_log(o, empty, &checkpoint(5, 1), time())
                .unwrap()
        );
        // A second request from the same state (a fork at 5, or another size) loses.
        assert!(
            !store
                .advance_witnessed_log(o, empty, &checkpoint(5, 2), time())
                .unwrap()
        );
        assert!(
            !store
                .advance_witnessed_log(o, empty, &checkpoint(7, 3), time())
                .unwrap()
        );
        let at5 = store.witnessed_log(o).unwrap().unwrap();
        assert_eq!(
            at5.head(),
            WitnessedHead {
                size: 5,
                root: Some([1; 32])
            }
        );
        // Same size, other root: the state is not what the caller compared with.
        let forged = WitnessedHead {
            size: 5,
            root: Some([2; 32]),
        };
        assert!(
            !store
                .advance_witnessed_log(o, forged, &checkpoint(9, 9), time())
                .unwrap()
        );
        // Never backwards.
        assert!(
            !store
                .advance_witnessed_log(o, at5.head(), &checkpoint(4, 4), time())
                .unwrap()
        );
        assert!(
            store
                .advance_witnessed_log(o, at5.head(), &checkpoint(8, 8), time())
                .unwrap()
        );
        // A removed log is not advanced, and keeps its state when added again.
        let row = store.witnessed_log(o).unwrap().unwrap();
        store
            .commit(&[remove_log_change(time(), "cli", &row).unwrap()])
            .unwrap();
        assert!(
            !store
                .advance_witnessed_log(o, row.head(), &checkpoint(9, 9), time())
                .unwrap()
        );
        store
            .commit(&[add_log_change(time(), "cli", &log).unwrap()])
            .unwrap();
        let back = store.witnessed_log(o).unwrap().unwrap();
        assert!(back.active);
        assert_eq!(back.size, 8);
        // Every configuration change kept its content, as a new version.
        let versions: i64 = store
            .lock()
            .query_row(
                "SELECT count(*) FROM record_versions WHERE subject = ?1",
                [&entry.subject],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(versions, 3);
    }

    #[test]
    fn witnesses_and_their_cosignatures() {
        let (_d, store) = store();
        let w = Cosigner::new("b.example/witness", [2; 32]).unwrap();
        let change =
            add_witness_change(time(), "cli", &w.verifier(), "http://127.0.0.1:1").unwrap();
        store.commit(&[change]).unwrap();
        assert!(add_witness_change(time(), "cli", &w.verifier(), "ftp://x").is_err());
        let listed = store.witnesses().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, w.verifier_key());

        let signer = NoteSigner::new("a.example/log", [1; 32]).unwrap();
        let sign = |head: LogHead| {
            let text = gawah_log::Checkpoint {
                origin: "a.example/log".into(),
                size: head.size,
                root: head.root,
                extensions: vec![],
            }
            .to_text();
            Ok(signer.sign(&text).unwrap())
        };
        let cp = store.checkpoint_head(&sign).unwrap();
        let text = gawah_log::open_checkpoint(&cp.note, &signer.verifier())
            .unwrap()
            .1
            .text;
        let line = w.cosign(&text, 100).unwrap();
        let c = StoredCosignature {
            size: cp.size,
            witness_key: w.verifier_key(),
            line: line.clone(),
            time: 100,
        };
        // Only for a checkpoint that exists.
        let missing = StoredCosignature {
            size: cp.size + 1,
            ..c.clone()
        };
        assert!(store.put_cosignature(&missing, time()).is_err());
        store.put_cosignature(&c, time()).unwrap();
        // An older cosignature does not replace a newer one.
        let older = StoredCosignature {
            time: 50,
            line: w.cosign(&text, 50).unwrap(),
            ..c.clone()
        };
        store.put_cosignature(&older, time()).unwrap();
        assert_eq!(store.cosignatures(cp.size).unwrap(), vec![c]);
        assert_eq!(
            store.last_cosigned_size(&w.verifier_key()).unwrap(),
            Some(cp.size)
        );
        assert_eq!(store.last_cosigned_size("other").unwrap(), None);
        let note = cosigned_note(&store, &cp).unwrap();
        assert_eq!(note, format!("{}{line}", cp.note));
        let opened = gawah_log::open_note(&note, &[signer.verifier()]).unwrap();
        assert!(matches!(
            w.verifier().check(&opened.text, &opened.unverified),
            gawah_log::CosignatureCheck::Valid { time: 100 }
        ));

        let row = store.witnesses().unwrap().remove(0);
        store
            .commit(&[remove_witness_change(time(), "cli", &row).unwrap()])
            .unwrap();
        assert!(!store.witnesses().unwrap()[0].active);
        let twice = store.commit(&[remove_witness_change(time(), "cli", &row).unwrap()]);
        assert!(matches!(twice, Err(StoreError::NotFound(_))), "{twice:?}");
    }
}
