//! Where gawah keeps things: the [`Store`] of records and the log, the [`BlobStore`] of
//! original files, the data directory that holds both, and the [`Ledger`] that ties them
//! together into durable, logged operations.
//!
//! # Layout
//! - [`store`]: the `Store` trait and the types that cross it.
//! - [`sqlite`]: the embedded default, SQLite in WAL mode.
//! - [`pg`]: PostgreSQL, for several servers on one database (the `Store` trait so far).
//! - [`blob`] and [`blob_local`]: the `BlobStore` trait and its local-folder backend;
//!   [`blob_s3`] the S3-compatible one, [`blob_config`] which of them a data dir uses.
//! - [`keys`]: the keyring: organisation and data keys, sealed.
//! - [`datadir`]: the data directory: config, signing key, database, blobs.
//! - [`ledger`]: ingest, checkpoints and verification over a store and a blob store.
//! - [`verify`]: recomputing everything from stored bytes and naming each failure.
//! - [`timestamp`] and [`timestamps`]: RFC 3161 tokens over checkpoints: the client of a
//!   timestamp authority, and the [`timestamps::TimestampStore`] that keeps the tokens.
//! - [`witness`]: logs this instance witnesses, witnesses it asks, cosignatures received.
//! - [`migrate`]: moving a data dir between backends (rows copied, then verified), and
//!   consistent backups and their verified restore.
//!
//! Invariant: every state change goes through [`Store::commit`], one transaction that writes
//! the records, their custody events and their log entries, and moves the log head.
//! Invariant: a blob is durable before any record that names it is committed.

pub mod analysis;
pub mod blob;
pub mod blob_config;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod blob_conformance;
pub mod blob_local;
pub mod blob_s3;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod conformance;
pub mod datadir;
pub mod error;
pub mod intake;
pub mod keys;
pub mod ledger;
pub mod migrate;
pub mod pg;
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
mod sqlite_timestamps;
mod sqlite_uploads;
mod sqlite_vocab;
mod sqlite_witness;
pub mod store;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod store_conformance;
pub mod timestamp;
pub mod timestamps;
pub mod vault;
pub mod verify;
pub mod vocab;
pub mod witness;

pub use blob::{BlobError, BlobHash, BlobKey, BlobReceipt, BlobStore, BlobWriter};
pub use blob_config::{BlobConfig, BlobLocation, open_blob_store};
pub use blob_local::LocalBlobStore;
pub use blob_s3::S3BlobStore;
pub use datadir::{Config, DataDir, DataDirError};
pub use error::StoreError;
pub use keys::{INSTANCE_SCOPE, KeyError, KeyStore, Keyring};
pub use ledger::{IngestMeta, IngestedItem, Ledger, LedgerError, SealedMeta};
pub use pg::PgStore;
pub use records::RecordStore;
pub use sqlite::SqliteStore;
pub use store::{
    Change, CustodyEvent, ItemMeta, ItemRecord, LogHead, NewItem, RecordWrite, Store,
    StoredCheckpoint,
};
pub use vault::Vault;
pub use verify::{VerifyFailure, VerifyReport, verify_all};
