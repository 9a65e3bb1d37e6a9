//! Sealing and opening records' confidential parts with an unlocked [`Keyring`].
//!
//! Each record has one data key, made with its first version and wrapped under its scope's
//! organisation key. Its confidential fields are sealed as one JSON object bound to
//! `<table>.sealed` of the record; each version's committed content is sealed bound to
//! `record_versions.content` of `<id>@<version>`.

use gawah_core::seal::{Binding, SecretKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::keys::{DataKeyRow, KeyError, KeyStore, Keyring};

/// The keyring and the store its keys are in.
#[derive(Clone, Copy)]
pub struct Vault<'a> {
    /// The unlocked keyring.
    pub keys: &'a Keyring,
    /// Where the wrapped keys are.
    pub store: &'a dyn KeyStore,
}

impl std::fmt::Debug for Vault<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<unlocked>)")
    }
}

/// A record's data key, and its wrapped form if it is new (to store with version 1).
#[derive(Debug)]
pub struct RecordKey {
    /// The key.
    pub key: SecretKey,
    /// Its wrapped form, for a new record.
    pub new: Option<DataKeyRow>,
}

fn seal_err(what: String, source: gawah_core::seal::SealError) -> KeyError {
    KeyError::Seal { what, source }
}

/// The binding of a record version's sealed content.
pub fn version_record(id: &str, version: u64) -> String {
    format!("{id}@{version}")
}

impl Vault<'_> {
    /// The data key of `record`: a new one in `scope` for version 1, else the stored one.
    pub fn record_key(
        &self,
        scope: &str,
        record: &str,
        version: u64,
    ) -> Result<RecordKey, KeyError> {
        if version == 1 {
            let (key, row) = self.keys.new_data_key(self.store, scope, record)?;
            Ok(RecordKey {
                key,
                new: Some(row),
            })
        } else {
            Ok(RecordKey {
                key: self.keys.data_key(self.store, record)?,
                new: None,
            })
        }
    }

    /// The stored data key of `record`.
    pub fn key(&self, record: &str) -> Result<SecretKey, KeyError> {
        self.keys.data_key(self.store, record)
    }

    /// Seals `value` as JSON under `key`, bound to `table.column` of `record`.
    pub fn seal_json<T: Serialize>(
        key: &SecretKey,
        table: &str,
        column: &str,
        record: &str,
        value: &T,
    ) -> Result<Vec<u8>, KeyError> {
        let bytes = Zeroizing::new(serde_json::to_vec(value).map_err(|e| {
            seal_err(
                format!("{table}.{column} of {record}"),
                gawah_core::seal::SealError::Malformed(if e.is_io() { "io" } else { "json" }),
            )
        })?);
        Self::seal_bytes(key, table, column, record, &bytes)
    }

    /// Seals `bytes` under `key`, bound to `table.column` of `record`.
    pub fn seal_bytes(
        key: &SecretKey,
        table: &str,
        column: &str,
        record: &str,
        bytes: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        gawah_core::seal::seal(key, Binding::new(table, column, record), bytes)
            .map_err(|e| seal_err(format!("{table}.{column} of {record}"), e))
    }

    /// Opens bytes sealed at `table.column` of `record` under `key`.
    pub fn open_bytes(
        key: &SecretKey,
        table: &str,
        column: &str,
        record: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        gawah_core::seal::open(key, Binding::new(table, column, record), sealed)
            .map_err(|e| seal_err(format!("{table}.{column} of {record}"), e))
    }

    /// Opens JSON sealed at `table.column` of `record` with the record's stored key.
    pub fn open_json<T: DeserializeOwned>(
        &self,
        table: &str,
        column: &str,
        record: &str,
        sealed: &[u8],
    ) -> Result<T, KeyError> {
        let key = self.key(record)?;
        let bytes = Self::open_bytes(&key, table, column, record, sealed)?;
        serde_json::from_slice(&bytes).map_err(|_| {
            seal_err(
                format!("{table}.{column} of {record}"),
                gawah_core::seal::SealError::Malformed("not the expected JSON"),
            )
        })
    }
}
