//! The keyring: organisation keys sealed under the key-encryption key (KEK), and one data key
//! per record wrapped under its organisation's key (see [`gawah_core::seal`]).
//!
//! Keys are rows like any record: written through [`Store::commit`](crate::Store::commit) as
//! [`RecordWrite`](crate::RecordWrite)s with a log entry each, read through [`KeyStore`].
//! An unlocked [`Keyring`] holds the KEK and caches organisation keys; it reads an
//! organisation key it has not seen from the store, so a key added by another process (a CLI
//! `admin org add` beside a running server) is found.
//!
//! Invariant: no key leaves this module unsealed except into memory that zeroizes it.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use gawah_core::seal::field::{unwrap_key, wrap_key};
use gawah_core::seal::{Binding, KdfParams, KeySource, KeySourceError, SealError, SecretKey};

use crate::error::StoreError;

/// The scope of items ingested outside any organisation (the CLI's `ingest`).
pub const INSTANCE_SCOPE: &str = "instance";
const CHECK_PLAINTEXT: &[u8] = b"gawah-keyring-check/v1";

/// How the KEK is derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kdf {
    /// Argon2id of a passphrase.
    Argon2id(KdfParams),
    /// A key file's 32 bytes.
    KeyFile,
}

/// The keyring's one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringRow {
    /// How the KEK is derived.
    pub kdf: Kdf,
    /// A known value sealed under the KEK: opens only with the right passphrase or key file.
    pub check: Vec<u8>,
}

/// An organisation key sealed under the KEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgKeyRow {
    /// An organisation id, or [`INSTANCE_SCOPE`].
    pub scope: String,
    /// Its version (1, then one more at each rotation).
    pub version: u32,
    /// The key, sealed.
    pub sealed: Vec<u8>,
}

/// A record's data key, wrapped under its scope's organisation key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRow {
    /// The record's id.
    pub record: String,
    /// The organisation key's scope.
    pub scope: String,
    /// The organisation key's version.
    pub key_version: u32,
    /// The key, wrapped.
    pub wrapped: Vec<u8>,
}

/// A rotation of one scope's organisation key: the new key and every data key rewrapped.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The new organisation key.
    pub key: OrgKeyRow,
    /// Every data key of the scope, rewrapped under it. The store refuses the rotation if
    /// the scope holds any data key not in this list.
    pub rewrapped: Vec<DataKeyRow>,
}

/// Reads of the keyring's rows.
pub trait KeyStore: Send + Sync {
    /// The keyring row, if the data dir has one.
    fn keyring(&self) -> Result<Option<KeyringRow>, StoreError>;
    /// Every organisation key of a scope, oldest first.
    fn org_keys(&self, scope: &str) -> Result<Vec<OrgKeyRow>, StoreError>;
    /// Every stored organisation key, for a change of passphrase.
    fn all_org_keys(&self) -> Result<Vec<OrgKeyRow>, StoreError>;
    /// A record's data key; `None` if it has none (never sealed, or shredded).
    fn data_key(&self, record: &str) -> Result<Option<DataKeyRow>, StoreError>;
    /// Every data key of a scope.
    fn scope_data_keys(&self, scope: &str) -> Result<Vec<DataKeyRow>, StoreError>;
    /// Whether a record was crypto-shredded.
    fn is_shredded(&self, record: &str) -> Result<bool, StoreError>;
}

/// Why keys could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The data dir has no keyring.
    #[error("this data dir has no keyring (it was created before sealing); create a new data dir")]
    NoKeyring,
    /// The passphrase does not unlock the keyring.
    #[error("wrong passphrase: it does not unlock this data dir's keys")]
    WrongPassphrase,
    /// The key file does not unlock the keyring.
    #[error("wrong key file: it does not unlock this data dir's keys")]
    WrongKeyFile,
    /// A passphrase was given for a keyring unlocked by a key file, or the other way round.
    #[error("this data dir is unlocked with {expected}, not {given}")]
    WrongKind {
        /// What the keyring needs.
        expected: &'static str,
        /// What was given.
        given: &'static str,
    },
    /// The key source could not be read.
    #[error(transparent)]
    Source(#[from] KeySourceError),
    /// A stored key or value does not open.
    #[error("{what}: {source}")]
    Seal {
        /// What was being opened.
        what: String,
        /// Why it failed.
        source: SealError,
    },
    /// The organisation has no key.
    #[error("no key for {0}")]
    NoOrgKey(String),
    /// The record's data key was destroyed.
    #[error("{0} was erased (its key was destroyed)")]
    Shredded(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn org_key_binding(scope: &str, version: u32) -> String {
    format!("{scope}@{version}")
}

fn check_binding() -> Binding<'static> {
    Binding::new("keyring", "check", "keyring")
}

/// An unlocked keyring.
pub struct Keyring {
    kek: SecretKey,
    /// Current (newest) key per scope.
    current: RwLock<HashMap<String, (u32, SecretKey)>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(<unlocked>)")
    }
}

impl Keyring {
    /// A new keyring for `source`: the keyring row and the instance key to write.
    pub fn create(source: &KeySource) -> Result<(Self, KeyringRow, OrgKeyRow), KeyError> {
        let (kek, row) = new_kek(source)?;
        let ring = Self {
            kek,
            current: RwLock::new(HashMap::new()),
        };
        let instance = ring.new_org_key(INSTANCE_SCOPE, 1)?;
        Ok((ring, row, instance))
    }

    /// Unlocks the keyring of `store` with `source`.
    pub fn unlock(store: &dyn KeyStore, source: &KeySource) -> Result<Self, KeyError> {
        let row = store.keyring()?.ok_or(KeyError::NoKeyring)?;
        let kek = derive(source, &row.kdf)?;
        if gawah_core::seal::open(&kek, check_binding(), &row.check).is_err() {
            return Err(if source.is_passphrase() {
                KeyError::WrongPassphrase
            } else {
                KeyError::WrongKeyFile
            });
        }
        Ok(Self {
            kek,
            current: RwLock::new(HashMap::new()),
        })
    }

    /// A new organisation key for `scope` at `version`, sealed for storage.
    pub fn new_org_key(&self, scope: &str, version: u32) -> Result<OrgKeyRow, KeyError> {
        let key = SecretKey::random().map_err(|e| seal_err("new key", e))?;
        let at = org_key_binding(scope, version);
        let sealed = wrap_key(&self.kek, Binding::new("org_keys", "key", &at), &key)
            .map_err(|e| seal_err("new key", e))?;
        Ok(OrgKeyRow {
            scope: scope.to_owned(),
            version,
            sealed,
        })
    }

    fn open_org_key(&self, row: &OrgKeyRow) -> Result<SecretKey, KeyError> {
        let at = org_key_binding(&row.scope, row.version);
        unwrap_key(&self.kek, Binding::new("org_keys", "key", &at), &row.sealed)
            .map_err(|e| seal_err(&format!("organisation key {at}"), e))
    }

    /// The key of `scope` at `version`.
    fn org_key(
        &self,
        store: &dyn KeyStore,
        scope: &str,
        version: Option<u32>,
    ) -> Result<(u32, SecretKey), KeyError> {
        let cached = self.current.read().unwrap_or_else(|p| p.into_inner());
        if let Some((v, k)) = cached.get(scope)
            && version.is_none_or(|want| want == *v)
        {
            return Ok((*v, k.clone()));
        }
        drop(cached);
        let rows = store.org_keys(scope)?;
        let newest = rows
            .last()
            .ok_or_else(|| KeyError::NoOrgKey(scope.into()))?;
        let key = self.open_org_key(newest)?;
        self.current
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(scope.to_owned(), (newest.version, key.clone()));
        match version {
            None => Ok((newest.version, key)),
            Some(v) if v == newest.version => Ok((v, key)),
            Some(v) => {
                let row = rows
                    .iter()
                    .find(|r| r.version == v)
                    .ok_or_else(|| KeyError::NoOrgKey(org_key_binding(scope, v)))?;
                Ok((v, self.open_org_key(row)?))
            }
        }
    }

    /// A fresh data key for `record` in `scope`, and its wrapped form to store with it.
    pub fn new_data_key(
        &self,
        store: &dyn KeyStore,
        scope: &str,
        record: &str,
    ) -> Result<(SecretKey, DataKeyRow), KeyError> {
        let (version, org) = self.org_key(store, scope, None)?;
        let key = SecretKey::random().map_err(|e| seal_err("new key", e))?;
        let wrapped = wrap_key(&org, Binding::new("data_keys", "key", record), &key)
            .map_err(|e| seal_err("new key", e))?;
        Ok((
            key,
            DataKeyRow {
                record: record.to_owned(),
                scope: scope.to_owned(),
                key_version: version,
                wrapped,
            },
        ))
    }

    /// The data key of `record`.
    pub fn data_key(&self, store: &dyn KeyStore, record: &str) -> Result<SecretKey, KeyError> {
        let Some(row) = store.data_key(record)? else {
            return Err(if store.is_shredded(record)? {
                KeyError::Shredded(record.into())
            } else {
                KeyError::NoOrgKey(format!("data key of {record}"))
            });
        };
        let (_, org) = self.org_key(store, &row.scope, Some(row.key_version))?;
        unwrap_key(&org, Binding::new("data_keys", "key", record), &row.wrapped)
            .map_err(|e| seal_err(&format!("data key of {record}"), e))
    }

    /// A rotation of `scope`'s key: a new version and every data key rewrapped under it.
    pub fn rotate(&self, store: &dyn KeyStore, scope: &str) -> Result<Rotation, KeyError> {
        let (version, _) = self.org_key(store, scope, None)?;
        let next = version + 1;
        let key_row = self.new_org_key(scope, next)?;
        let new_key = self.open_org_key(&key_row)?;
        let mut rewrapped = Vec::new();
        for row in store.scope_data_keys(scope)? {
            let (_, old) = self.org_key(store, scope, Some(row.key_version))?;
            let at = Binding::new("data_keys", "key", &row.record);
            let dk = unwrap_key(&old, at, &row.wrapped)
                .map_err(|e| seal_err(&format!("data key of {}", row.record), e))?;
            rewrapped.push(DataKeyRow {
                wrapped: wrap_key(&new_key, at, &dk).map_err(|e| seal_err("rewrap", e))?,
                key_version: next,
                ..row
            });
        }
        self.current
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(scope);
        Ok(Rotation {
            key: key_row,
            rewrapped,
        })
    }

    /// The keyring row and every organisation key resealed for a new passphrase or key file.
    pub fn rekey(
        &self,
        store: &dyn KeyStore,
        new_source: &KeySource,
    ) -> Result<(KeyringRow, Vec<OrgKeyRow>), KeyError> {
        let (next_kek, row) = new_kek(new_source)?;
        let mut resealed = Vec::new();
        for old in store.all_org_keys()? {
            let key = self.open_org_key(&old)?;
            let at = org_key_binding(&old.scope, old.version);
            resealed.push(OrgKeyRow {
                sealed: wrap_key(&next_kek, Binding::new("org_keys", "key", &at), &key)
                    .map_err(|e| seal_err("reseal", e))?,
                ..old
            });
        }
        Ok((row, resealed))
    }
}

/// A new KEK for `source` (fresh KDF salt) and the keyring row that tells it apart.
fn new_kek(source: &KeySource) -> Result<(SecretKey, KeyringRow), KeyError> {
    source.check_strength()?;
    let kdf = if source.is_passphrase() {
        Kdf::Argon2id(KdfParams::recommended()?)
    } else {
        Kdf::KeyFile
    };
    let kek = derive(source, &kdf)?;
    let check = gawah_core::seal::seal(&kek, check_binding(), CHECK_PLAINTEXT)
        .map_err(|source| seal_err("keyring check", source))?;
    Ok((kek, KeyringRow { kdf, check }))
}

fn derive(source: &KeySource, kdf: &Kdf) -> Result<SecretKey, KeyError> {
    match (kdf, source.is_passphrase()) {
        (Kdf::Argon2id(params), true) => Ok(source.derive(params)?),
        (Kdf::KeyFile, false) => Ok(source.derive(&KdfParams {
            m_cost: 0,
            t_cost: 0,
            p_cost: 0,
            salt: [0; 16],
        })?),
        (Kdf::Argon2id(_), false) => Err(KeyError::WrongKind {
            expected: "a passphrase (--passphrase-file or GAWAH_PASSPHRASE_FILE)",
            given: "a key file",
        }),
        (Kdf::KeyFile, true) => Err(KeyError::WrongKind {
            expected: "a key file (--key-file or GAWAH_KEY_FILE)",
            given: "a passphrase",
        }),
    }
}

fn seal_err(what: &str, source: SealError) -> KeyError {
    KeyError::Seal {
        what: what.to_owned(),
        source,
    }
}
