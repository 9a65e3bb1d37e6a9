//! Where gawah keeps things: the [`Store`] of records and the log, the [`BlobStore`] of
//! original files, the data directory that holds both, and the [`Ledger`] that ties them
//! together into durable, logged operations.
//!
//! # Layout
//! - [`store`]: the `Store` trait and the types that cross it.
//! - [`sqlite`]: the embedded default, SQLite in WAL mode.
//! - [`blob`] and [`blob_local`]: the `BlobStore` trait and its local-folder backend.
//! - [`keys`]: the keyring: organisation and data keys, sealed.
//! - [`datadir`]: the data directory: config, signing key, database, blobs.
//! - [`ledger`]: ingest, checkpoints and verification over a store and a blob store.
//! - [`verify`]: recomputing everything from stored bytes and naming each failure.
//!
//! Invariant: every state change goes through [`Store::commit`], one transaction that writes
//! the records, their custody events and their log entries, and moves the log head.
//! Invariant: a blob is durable before any record that names it is committed.

pub mod analysis;
pub mod blob;
pub mod blob_local;
pub mod datadir;
pub mod error;
pub mod intake;
pub mod keys;
pub mod ledger;
pub mod records;
pub mod sealed_blob;
pub mod search;
pub mod sqlite;
mod sqlite_analysis;
mod sqlite_derivatives;
mod sqlite_intake;
mod sqlite_keys;
mod sqlite_people;
mod sqlite_records;
mod sqlite_uploads;
mod sqlite_vocab;
pub mod store;
pub mod vault;
pub mod verify;
pub mod vocab;

pub use blob::{BlobError, BlobReceipt, BlobStore, BlobWriter};
pub use blob_local::LocalBlobStore;
pub use datadir::{Config, DataDir, DataDirError};
pub use error::StoreError;
pub use keys::{INSTANCE_SCOPE, KeyError, KeyStore, Keyring};
pub use ledger::{IngestMeta, IngestedItem, Ledger, LedgerError, SealedMeta};
pub use records::RecordStore;
pub use sqlite::SqliteStore;
pub use store::{
    Change, CustodyEvent, ItemMeta, ItemRecord, LogHead, NewItem, RecordWrite, Store,
    StoredCheckpoint,
};
pub use vault::Vault;
pub use verify::{VerifyFailure, VerifyReport, verify_all};
