//! The keyring on PostgreSQL: key writes inside the commit's transaction, the keyring of a
//! new database, and the [`KeyStore`] reads. The same rows and refusals as on SQLite
//! (`sqlite_keys.rs`): a key version that exists is a conflict, and so is a rotation or a
//! change of passphrase that raced with another writer.

use gawah_core::seal::KdfParams;
use postgres::{Client, GenericClient, Row};

use super::PgStore;
use super::error::from_pg;
use crate::error::StoreError;
use crate::keys::{DataKeyRow, Kdf, KeyStore, KeyringRow, OrgKeyRow, Rotation};

/// Whether the server refused a statement for a constraint (SQLSTATE class 23): what
/// SQLite reports as a constraint violation, which the stores map to their own variants.
pub(crate) fn is_constraint(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("23"))
}

/// A stored integer that must fit a `u32` (key versions, KDF costs).
fn small(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v}")))
}

/// Writes the keyring row: replacing the one there, or (`replace` false) only if there is
/// none; returns whether it was written.
fn write_keyring(
    tx: &mut impl GenericClient,
    ring: &KeyringRow,
    replace: bool,
) -> Result<bool, StoreError> {
    let (kdf, m, t, p, salt) = match &ring.kdf {
        Kdf::Argon2id(k) => (
            "argon2id",
            Some(i64::from(k.m_cost)),
            Some(i64::from(k.t_cost)),
            Some(i64::from(k.p_cost)),
            Some(k.salt.to_vec()),
        ),
        Kdf::KeyFile => ("keyfile", None, None, None, None),
    };
    let on_conflict = if replace {
        "DO UPDATE SET kdf = excluded.kdf, m_cost = excluded.m_cost, t_cost = excluded.t_cost,
             p_cost = excluded.p_cost, salt = excluded.salt, check_value = excluded.check_value"
    } else {
        "DO NOTHING"
    };
    let written = tx
        .execute(
            &format!(
                "INSERT INTO keyring (id, kdf, m_cost, t_cost, p_cost, salt, check_value)
                 VALUES (1, $1, $2, $3, $4, $5, $6) ON CONFLICT (id) {on_conflict}"
            ),
            &[&kdf, &m, &t, &p, &salt, &ring.check],
        )
        .map_err(from_pg)?;
    Ok(written == 1)
}

/// Stores an organisation key; refuses a version that exists.
pub(crate) fn write_org_key(
    tx: &mut impl GenericClient,
    key: &OrgKeyRow,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO org_keys (scope, version, sealed, created_at) VALUES ($1, $2, $3, $4)",
        &[&key.scope, &i64::from(key.version), &key.sealed, &now],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!(
                "{} already has a key version {}",
                key.scope, key.version
            ))
        } else {
            from_pg(e)
        }
    })?;
    Ok(())
}

/// Stores a record's data key.
pub(crate) fn write_data_key(
    tx: &mut impl GenericClient,
    key: &DataKeyRow,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO data_keys (record, scope, key_version, wrapped) VALUES ($1, $2, $3, $4)",
        &[
            &key.record,
            &key.scope,
            &i64::from(key.key_version),
            &key.wrapped,
        ],
    )
    .map_err(from_pg)?;
    Ok(())
}

/// Replaces a scope's key: stores the new version, rewraps every data key, deletes the old
/// versions. Refuses if a data key of the scope was added since the rotation was prepared.
pub(crate) fn write_rotation(tx: &mut Client, r: &Rotation, now: i64) -> Result<(), StoreError> {
    write_org_key(tx, &r.key, now)?;
    let update = tx
        .prepare(
            "UPDATE data_keys SET key_version = $1, wrapped = $2 WHERE record = $3 AND scope = $4",
        )
        .map_err(from_pg)?;
    for k in &r.rewrapped {
        let changed = tx
            .execute(
                &update,
                &[&i64::from(k.key_version), &k.wrapped, &k.record, &k.scope],
            )
            .map_err(from_pg)?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "the data key of {} changed during the rotation; try again",
                k.record
            )));
        }
    }
    let left: i64 = tx
        .query_one(
            "SELECT count(*) FROM data_keys WHERE scope = $1 AND key_version <> $2",
            &[&r.key.scope, &i64::from(r.key.version)],
        )
        .map_err(from_pg)?
        .get(0);
    if left != 0 {
        return Err(StoreError::Conflict(
            "data keys were added during the rotation; try again".into(),
        ));
    }
    tx.execute(
        "DELETE FROM org_keys WHERE scope = $1 AND version < $2",
        &[&r.key.scope, &i64::from(r.key.version)],
    )
    .map_err(from_pg)?;
    Ok(())
}

/// Replaces the keyring row and reseals every organisation key (a new passphrase).
pub(crate) fn write_rekey(
    tx: &mut Client,
    ring: &KeyringRow,
    keys: &[OrgKeyRow],
) -> Result<(), StoreError> {
    let stored: i64 = tx
        .query_one("SELECT count(*) FROM org_keys", &[])
        .map_err(from_pg)?
        .get(0);
    if stored != keys.len() as i64 {
        return Err(StoreError::Conflict(
            "organisation keys changed during the change of passphrase; try again".into(),
        ));
    }
    write_keyring(tx, ring, true)?;
    let update = tx
        .prepare("UPDATE org_keys SET sealed = $1 WHERE scope = $2 AND version = $3")
        .map_err(from_pg)?;
    for k in keys {
        let changed = tx
            .execute(&update, &[&k.sealed, &k.scope, &i64::from(k.version)])
            .map_err(from_pg)?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "the key {}@{} is gone; try again",
                k.scope, k.version
            )));
        }
    }
    Ok(())
}

fn org_key_row(r: &Row) -> Result<OrgKeyRow, StoreError> {
    Ok(OrgKeyRow {
        scope: r.get(0),
        version: small(r.get(1), "organisation key version")?,
        sealed: r.get(2),
    })
}

fn data_key_row(r: &Row) -> Result<DataKeyRow, StoreError> {
    Ok(DataKeyRow {
        record: r.get(0),
        scope: r.get(1),
        key_version: small(r.get(2), "data key version")?,
        wrapped: r.get(3),
    })
}

fn keyring_row(r: &Row) -> Result<KeyringRow, StoreError> {
    let (kdf, m, t, p): (&str, Option<i64>, Option<i64>, Option<i64>) =
        (r.get(0), r.get(1), r.get(2), r.get(3));
    let salt: Option<Vec<u8>> = r.get(4);
    let kdf = match (kdf, m, t, p, salt) {
        ("keyfile", ..) => Kdf::KeyFile,
        ("argon2id", Some(m), Some(t), Some(p), Some(salt)) => Kdf::Argon2id(KdfParams {
            m_cost: small(m, "keyring m_cost")?,
            t_cost: small(t, "keyring t_cost")?,
            p_cost: small(p, "keyring p_cost")?,
            salt: salt
                .try_into()
                .map_err(|_| StoreError::Corrupt("keyring salt".into()))?,
        }),
        _ => return Err(StoreError::Corrupt("keyring parameters".into())),
    };
    Ok(KeyringRow {
        kdf,
        check: r.get(5),
    })
}

impl PgStore {
    /// Writes the keyring and the instance key of a new database. Part of creating the
    /// store (like its schema), so not a logged change: the log of a new data dir is empty.
    /// Refuses a database that has a keyring; two servers initialising at once store one.
    pub fn init_keyring(&self, ring: &KeyringRow, instance: &OrgKeyRow) -> Result<(), StoreError> {
        let (ring, instance) = (ring.clone(), instance.clone());
        self.pool.transaction(move |tx| {
            // A second initialiser at once waits for the first's row, then finds it.
            if !write_keyring(tx, &ring, false)? {
                return Err(StoreError::Invalid(
                    "the data dir already has a keyring".into(),
                ));
            }
            write_org_key(tx, &instance, 0)
        })
    }
}

impl KeyStore for PgStore {
    fn keyring(&self) -> Result<Option<KeyringRow>, StoreError> {
        self.pool
            .read(|c| {
                c.query_opt(
                    "SELECT kdf, m_cost, t_cost, p_cost, salt, check_value FROM keyring
                     WHERE id = 1",
                    &[],
                )
                .map_err(from_pg)
            })?
            .as_ref()
            .map(keyring_row)
            .transpose()
    }

    fn org_keys(&self, scope: &str) -> Result<Vec<OrgKeyRow>, StoreError> {
        let scope = scope.to_owned();
        self.pool
            .read(move |c| {
                c.query(
                    "SELECT scope, version, sealed FROM org_keys WHERE scope = $1
                     ORDER BY version",
                    &[&scope],
                )
                .map_err(from_pg)
            })?
            .iter()
            .map(org_key_row)
            .collect()
    }

    fn all_org_keys(&self) -> Result<Vec<OrgKeyRow>, StoreError> {
        self.pool
            .read(|c| {
                c.query(
                    "SELECT scope, version, sealed FROM org_keys ORDER BY scope, version",
                    &[],
                )
                .map_err(from_pg)
            })?
            .iter()
            .map(org_key_row)
            .collect()
    }

    fn data_key(&self, record: &str) -> Result<Option<DataKeyRow>, StoreError> {
        let record = record.to_owned();
        self.pool
            .read(move |c| {
                c.query_opt(
                    "SELECT record, scope, key_version, wrapped FROM data_keys WHERE record = $1",
                    &[&record],
                )
                .map_err(from_pg)
            })?
            .as_ref()
            .map(data_key_row)
            .transpose()
    }

    fn scope_data_keys(&self, scope: &str) -> Result<Vec<DataKeyRow>, StoreError> {
        let scope = scope.to_owned();
        self.pool
            .read(move |c| {
                c.query(
                    "SELECT record, scope, key_version, wrapped FROM data_keys WHERE scope = $1",
                    &[&scope],
                )
                .map_err(from_pg)
            })?
            .iter()
            .map(data_key_row)
            .collect()
    }

    fn is_shredded(&self, record: &str) -> Result<bool, StoreError> {
        let record = record.to_owned();
        Ok(self
            .pool
            .read(move |c| {
                c.query_opt("SELECT 1 FROM shredded WHERE record = $1", &[&record])
                    .map_err(from_pg)
            })?
            .is_some())
    }
}
