//! The keyring on SQLite: key writes inside [`Store::commit`](crate::Store::commit)'s
//! transaction, and the [`KeyStore`] reads.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::keys::{DataKeyRow, Kdf, KeyStore, KeyringRow, OrgKeyRow, Rotation};
use crate::sqlite::SqliteStore;
use gawah_core::seal::KdfParams;

/// Writes the keyring row (once, at init).
pub(crate) fn write_keyring(tx: &Connection, ring: &KeyringRow) -> Result<(), StoreError> {
    let (kdf, m, t, p, salt) = match &ring.kdf {
        Kdf::Argon2id(k) => (
            "argon2id",
            Some(k.m_cost),
            Some(k.t_cost),
            Some(k.p_cost),
            Some(k.salt.to_vec()),
        ),
        Kdf::KeyFile => ("keyfile", None, None, None, None),
    };
    tx.execute(
        "INSERT OR REPLACE INTO keyring (id, kdf, m_cost, t_cost, p_cost, salt, check_value)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![kdf, m, t, p, salt, ring.check],
    )?;
    Ok(())
}

/// Stores an organisation key; refuses a version that exists.
pub(crate) fn write_org_key(tx: &Connection, key: &OrgKeyRow, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO org_keys (scope, version, sealed, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![key.scope, key.version, key.sealed, now],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(format!(
            "{} already has a key version {}",
            key.scope, key.version
        )),
        _ => e.into(),
    })?;
    Ok(())
}

/// Stores a record's data key.
pub(crate) fn write_data_key(tx: &Connection, key: &DataKeyRow) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO data_keys (record, scope, key_version, wrapped) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key.record, key.scope, key.key_version, key.wrapped])?;
    Ok(())
}

/// Replaces a scope's key: stores the new version, rewraps every data key, deletes the old
/// versions. Refuses if a data key of the scope was added since the rotation was prepared.
pub(crate) fn write_rotation(tx: &Connection, r: &Rotation, now: i64) -> Result<(), StoreError> {
    write_org_key(tx, &r.key, now)?;
    let mut update = tx.prepare_cached(
        "UPDATE data_keys SET key_version = ?1, wrapped = ?2 WHERE record = ?3 AND scope = ?4",
    )?;
    for k in &r.rewrapped {
        if update.execute(params![k.key_version, k.wrapped, k.record, k.scope])? != 1 {
            return Err(StoreError::Conflict(format!(
                "the data key of {} changed during the rotation; try again",
                k.record
            )));
        }
    }
    let left: i64 = tx.query_row(
        "SELECT count(*) FROM data_keys WHERE scope = ?1 AND key_version <> ?2",
        params![r.key.scope, r.key.version],
        |row| row.get(0),
    )?;
    if left != 0 {
        return Err(StoreError::Conflict(
            "data keys were added during the rotation; try again".into(),
        ));
    }
    tx.execute(
        "DELETE FROM org_keys WHERE scope = ?1 AND version < ?2",
        params![r.key.scope, r.key.version],
    )?;
    Ok(())
}

/// Replaces the keyring row and reseals every organisation key (a new passphrase).
pub(crate) fn write_rekey(
    tx: &Connection,
    ring: &KeyringRow,
    keys: &[OrgKeyRow],
) -> Result<(), StoreError> {
    let stored: i64 = tx.query_row("SELECT count(*) FROM org_keys", [], |r| r.get(0))?;
    if stored != keys.len() as i64 {
        return Err(StoreError::Conflict(
            "organisation keys changed during the change of passphrase; try again".into(),
        ));
    }
    write_keyring(tx, ring)?;
    let mut update =
        tx.prepare_cached("UPDATE org_keys SET sealed = ?1 WHERE scope = ?2 AND version = ?3")?;
    for k in keys {
        if update.execute(params![k.sealed, k.scope, k.version])? != 1 {
            return Err(StoreError::Conflict(format!(
                "the key {}@{} is gone; try again",
                k.scope, k.version
            )));
        }
    }
    Ok(())
}

/// Destroys a record's data key and the sealed values of its current row.
pub(crate) fn write_shred(tx: &Connection, record: &str, idx: i64) -> Result<(), StoreError> {
    if tx.execute("DELETE FROM data_keys WHERE record = ?1", [record])? != 1 {
        return Err(StoreError::NotFound(format!(
            "{record} has no key to destroy"
        )));
    }
    tx.execute(
        "INSERT INTO shredded (record, log_index) VALUES (?1, ?2)",
        params![record, idx],
    )?;
    for table in ["incidents", "people", "testimonies", "items"] {
        tx.execute(
            &format!("UPDATE {table} SET sealed = NULL WHERE id = ?1"),
            [record],
        )?;
    }
    tx.execute("DELETE FROM record_versions WHERE subject = ?1", [record])
        .map(|_| ())
        .map_err(Into::into)
}

fn org_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrgKeyRow> {
    Ok(OrgKeyRow {
        scope: r.get(0)?,
        version: r.get(1)?,
        sealed: r.get(2)?,
    })
}

fn data_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DataKeyRow> {
    Ok(DataKeyRow {
        record: r.get(0)?,
        scope: r.get(1)?,
        key_version: r.get(2)?,
        wrapped: r.get(3)?,
    })
}

impl SqliteStore {
    /// Writes the keyring and the instance key of a new data dir. Part of creating the store
    /// (like its schema), so not a logged change: the log of a new data dir is empty.
    pub fn init_keyring(&self, ring: &KeyringRow, instance: &OrgKeyRow) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let empty: i64 = tx.query_row("SELECT count(*) FROM keyring", [], |r| r.get(0))?;
        if empty != 0 {
            return Err(StoreError::Invalid(
                "the data dir already has a keyring".into(),
            ));
        }
        write_keyring(&tx, ring)?;
        write_org_key(&tx, instance, 0)?;
        tx.commit()?;
        Ok(())
    }
}

impl KeyStore for SqliteStore {
    fn keyring(&self) -> Result<Option<KeyringRow>, StoreError> {
        type Row = (
            String,
            Option<u32>,
            Option<u32>,
            Option<u32>,
            Option<Vec<u8>>,
            Vec<u8>,
        );
        let row: Option<Row> = self
            .lock()
            .query_row(
                "SELECT kdf, m_cost, t_cost, p_cost, salt, check_value FROM keyring WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((kdf, m, t, p, salt, check)) = row else {
            return Ok(None);
        };
        let kdf = match (kdf.as_str(), m, t, p, salt) {
            ("keyfile", ..) => Kdf::KeyFile,
            ("argon2id", Some(m_cost), Some(t_cost), Some(p_cost), Some(salt)) => {
                Kdf::Argon2id(KdfParams {
                    m_cost,
                    t_cost,
                    p_cost,
                    salt: salt
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("keyring salt".into()))?,
                })
            }
            _ => return Err(StoreError::Corrupt("keyring parameters".into())),
        };
        Ok(Some(KeyringRow { kdf, check }))
    }

    fn org_keys(&self, scope: &str) -> Result<Vec<OrgKeyRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT scope, version, sealed FROM org_keys WHERE scope = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map([scope], org_key_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn all_org_keys(&self) -> Result<Vec<OrgKeyRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT scope, version, sealed FROM org_keys ORDER BY scope, version",
        )?;
        let rows = stmt.query_map([], org_key_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn data_key(&self, record: &str) -> Result<Option<DataKeyRow>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT record, scope, key_version, wrapped FROM data_keys WHERE record = ?1",
                [record],
                data_key_row,
            )
            .optional()?)
    }

    fn scope_data_keys(&self, scope: &str) -> Result<Vec<DataKeyRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT record, scope, key_version, wrapped FROM data_keys WHERE scope = ?1",
        )?;
        let rows = stmt.query_map([scope], data_key_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn is_shredded(&self, record: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT 1 FROM shredded WHERE record = ?1", [record], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }
}
