//! Copying blobs from one blob store to another, streamed, each checked on arrival.

use std::io;

use super::MigrateError;
use crate::blob::{BlobKey, BlobStore};

/// What a blob copy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlobCopy {
    /// Blobs written to the target.
    pub copied: u64,
    /// Blobs the target already had with the same size (left as they are; the full
    /// verification after the copy hashes every blob an item names).
    pub skipped: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Copies the blob `key` unless `to` has it with the same size. Streams in constant memory;
/// the target's commit returns only once the blob is durable there, and the key it
/// computed must be `key` (the bytes read are the bytes stored).
pub fn copy_blob(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    key: &BlobKey,
    report: &mut BlobCopy,
) -> Result<(), MigrateError> {
    let blob = |e: crate::blob::BlobError| MigrateError::Blob(e.to_string());
    let size = from
        .size(key)?
        .ok_or_else(|| MigrateError::Blob(format!("blob {key} vanished from the source")))?;
    if to.size(key)? == Some(size) {
        report.skipped += 1;
        return Ok(());
    }
    let mut reader = from.open(key)?;
    let mut writer = to.create_with(key.hash())?;
    io::copy(&mut reader, &mut writer)
        .map_err(|e| MigrateError::Blob(format!("copy blob {key}: {e}")))?;
    let receipt = writer.commit().map_err(blob)?;
    if receipt.key != *key || receipt.bytes != size {
        return Err(MigrateError::Blob(format!(
            "blob {key} read back as {} ({} bytes, expected {size}): the source is altered",
            receipt.key, receipt.bytes
        )));
    }
    report.copied += 1;
    report.bytes += size;
    Ok(())
}

/// Copies every blob of `from` (every key, referenced or not) to `to`.
pub fn copy_all(from: &dyn BlobStore, to: &dyn BlobStore) -> Result<BlobCopy, MigrateError> {
    let mut report = BlobCopy::default();
    for key in from.keys()? {
        copy_blob(from, to, &key, &mut report)?;
    }
    Ok(report)
}
