//! The blob store: original files, kept byte for byte under their SHA-256.

use std::fmt;
use std::io::{Read, Write};

use gawah_core::Sha256Digest;

/// What a committed write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobReceipt {
    /// SHA-256 of the bytes written, which is also the blob's key.
    pub sha256: Sha256Digest,
    /// Number of bytes written.
    pub bytes: u64,
}

/// What went wrong in the blob store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// No blob under that key.
    #[error("blob {0} not found")]
    NotFound(Sha256Digest),
    /// The backend failed; the message says where.
    #[error("blob store: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The backend could not be reached or did not answer (refused connection, timeout,
    /// interrupted transfer): nothing was acknowledged, and the same call may succeed later.
    #[error("blob store unavailable: {context}: {source}")]
    Unavailable {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The store is misconfigured (bad URL, missing credentials): retrying will not help.
    #[error("blob store configuration: {0}")]
    Config(String),
}

impl BlobError {
    pub(crate) fn io(context: impl fmt::Display, source: std::io::Error) -> Self {
        Self::Io {
            context: context.to_string(),
            source,
        }
    }

    /// Whether the same call may succeed if tried again later (the backend was unreachable),
    /// as opposed to a failure that will repeat (missing blob, refused access, bad config).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// Whether the write failed because the file system it writes to is full (or the
    /// writer's quota is spent): nothing was kept, and the same write succeeds only once
    /// space has been freed.
    pub fn is_storage_full(&self) -> bool {
        match self {
            Self::Io { source, .. } | Self::Unavailable { source, .. } => is_storage_full(source),
            _ => false,
        }
    }
}

/// Whether an I/O error says that the disk (or the quota) is full: `ENOSPC`, `EDQUOT`,
/// also when a writer on the way (the sealing stream) wrapped the file's error in its own.
pub fn is_storage_full(e: &std::io::Error) -> bool {
    let full = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        )
    };
    if full(e) {
        return true;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match e.get_ref() {
        Some(inner) => Some(inner),
        None => None,
    };
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>().is_some_and(full) {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A content-addressed store of immutable blobs.
///
/// Contract:
/// - **Durability**: once [`BlobWriter::commit`] returns `Ok`, the blob survives a crash or
///   power loss. Before that, nothing is visible under the key.
/// - **Batches**: blobs written through a [`BlobBatch`] are neither durable nor visible under
///   their keys when [`BatchWriter::finish`] returns (it only tells the key); they become
///   durable, and visible under their keys, together when [`BlobBatch::commit`] returns `Ok`.
///   A record naming a batched blob may be committed only after that. A crash or an error
///   before it leaves none of the batch's blobs under a key it does not hash to: at worst some
///   are in place, complete and unreferenced, the rest nowhere.
/// - **Integrity**: whatever is visible under a key, at any moment and after any crash, is
///   exactly the bytes that hash to that key (a blob's bytes are durable before its name is
///   written).
/// - **Immutability**: an existing key is never overwritten; committing bytes whose key exists
///   keeps the existing blob (same SHA-256, so the same bytes) and discards the new copy.
/// - **Memory**: writes and reads stream; memory use does not grow with blob size.
/// - **Concurrency**: any number of writers and readers, in any number of processes, may use
///   one store at once.
/// - **Errors**: every error names the operation; a failed write leaves no partial blob.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Starts writing a new blob, made durable on its own by [`BlobWriter::commit`].
    fn create(&self) -> Result<Box<dyn BlobWriter>, BlobError>;
    /// Starts a batch of blobs made durable together (cheaper per blob than
    /// [`create`](BlobStore::create) for many small blobs).
    fn batch(&self) -> Result<Box<dyn BlobBatch>, BlobError>;
    /// Opens a blob for reading.
    fn open(&self, key: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError>;
    /// The size of a blob, or `None` if absent.
    fn size(&self, key: &Sha256Digest) -> Result<Option<u64>, BlobError>;
    /// Every key in the store.
    fn keys(&self) -> Result<Vec<Sha256Digest>, BlobError>;
}

/// A boxed store is a store, so `Box<dyn BlobStore>` (what [`crate::DataDir::blobs`] opens)
/// goes wherever a store is expected.
impl<T: BlobStore + ?Sized> BlobStore for Box<T> {
    fn create(&self) -> Result<Box<dyn BlobWriter>, BlobError> {
        (**self).create()
    }
    fn batch(&self) -> Result<Box<dyn BlobBatch>, BlobError> {
        (**self).batch()
    }
    fn open(&self, key: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        (**self).open(key)
    }
    fn size(&self, key: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        (**self).size(key)
    }
    fn keys(&self) -> Result<Vec<Sha256Digest>, BlobError> {
        (**self).keys()
    }
}

/// A blob being written. Dropping it without [`commit`](BlobWriter::commit) discards it.
pub trait BlobWriter: Write + Send {
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Makes the blob durable under the SHA-256 of its bytes.
    fn commit(self: Box<Self>) -> Result<BlobReceipt, BlobError>;
}

/// Blobs made durable together. Dropping it without [`commit`](BlobBatch::commit) discards
/// every blob of the batch that is not yet in place.
pub trait BlobBatch: Send + fmt::Debug {
    /// Starts writing the next blob of the batch.
    fn create(&mut self) -> Result<Box<dyn BatchWriter + '_>, BlobError>;
    /// Number of blobs finished into the batch so far.
    fn len(&self) -> usize;
    /// Whether no blob has been finished into the batch.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Makes every finished blob of the batch durable under its key; returns their receipts
    /// in the order they were finished. Only after `Ok` may records naming them be committed.
    fn commit(self: Box<Self>) -> Result<Vec<BlobReceipt>, BlobError>;
}

/// A blob being written into a [`BlobBatch`]. Dropping it without
/// [`finish`](BatchWriter::finish) discards it.
pub trait BatchWriter: Write + Send {
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Ends the blob and adds it to its batch. Returns the key it will have; it is neither
    /// durable nor visible under that key until the batch commits.
    fn finish(self: Box<Self>) -> Result<BlobReceipt, BlobError>;
}

#[cfg(test)]
mod tests {
    use std::io;

    #[test]
    fn a_full_disk_is_recognised_also_inside_another_error() {
        // 28 and 122 are ENOSPC and EDQUOT on Linux; 5 is EIO.
        assert!(super::is_storage_full(&io::Error::from_raw_os_error(28)));
        assert!(super::is_storage_full(&io::Error::from_raw_os_error(122)));
        let wrapped = io::Error::other(io::Error::from_raw_os_error(28));
        assert!(super::is_storage_full(&wrapped));
        assert!(!super::is_storage_full(&io::Error::other("disk gone")));
        assert!(!super::is_storage_full(&io::Error::from_raw_os_error(5)));
    }
}
