//! Blobs sealed as they are written: the plaintext is hashed (the original's SHA-256, which
//! proofs and bundles speak of) and sealed in chunks into a blob writer (which hashes the
//! sealed bytes, the blob's address). Constant memory whatever the size.
//!
//! A sealed blob's address is the SHA-256 of its sealed bytes, never of the original, so a
//! seized disk cannot confirm that a known file is held.

use std::io::{self, Write};

use gawah_core::seal::{Binding, SealWriter};
use gawah_core::{ItemId, Salt, Sha256Digest};
use sha2::{Digest, Sha256};

use crate::blob::{BlobError, BlobWriter};
use crate::vault::RecordKey;

/// Where a sealed item's content is bound: it opens only as this item's content.
pub fn content_binding(item: &str) -> Binding<'_> {
    Binding::new("blobs", "content", item)
}

/// A new item's content being sealed into a blob.
pub struct SealingWriter<W: Write> {
    seal: SealWriter<W>,
    hasher: Sha256,
    bytes: u64,
    /// The new item.
    pub id: ItemId,
    /// Its commitment salt.
    pub salt: Salt,
    /// Its data key (new).
    pub key: RecordKey,
}

impl<W: Write> std::fmt::Debug for SealingWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingWriter")
            .field("id", &self.id)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

/// A sealed blob written (not yet durable) and what it holds.
#[derive(Debug)]
pub struct SealedContent<W> {
    /// The inner writer, to commit or finish.
    pub writer: W,
    /// The new item.
    pub id: ItemId,
    /// Its commitment salt.
    pub salt: Salt,
    /// Its data key.
    pub key: RecordKey,
    /// SHA-256 of the original.
    pub sha256: Sha256Digest,
    /// Size of the original.
    pub bytes: u64,
}

impl<W: Write> SealingWriter<W> {
    /// Starts sealing item `id`'s content under `key` into `inner`.
    pub fn new(inner: W, id: ItemId, salt: Salt, key: RecordKey) -> io::Result<Self> {
        let seal = SealWriter::new(inner, &key.key, content_binding(id.as_str()))?;
        Ok(Self {
            seal,
            hasher: Sha256::new(),
            bytes: 0,
            id,
            salt,
            key,
        })
    }

    /// Seals the last chunk.
    pub fn finish(self) -> io::Result<SealedContent<W>> {
        let writer = self.seal.finish()?;
        Ok(SealedContent {
            writer,
            id: self.id,
            salt: self.salt,
            key: self.key,
            sha256: Sha256Digest(self.hasher.finalize().into()),
            bytes: self.bytes,
        })
    }
}

impl<W: Write> Write for SealingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.seal.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.seal.flush()
    }
}

impl<W: Write> SealingWriter<W> {
    /// Plaintext bytes written so far.
    pub fn written(&self) -> u64 {
        self.bytes
    }
}

impl SealedContent<Box<dyn BlobWriter>> {
    /// Makes the sealed blob durable; returns the content and the blob's address.
    pub fn commit(self) -> Result<(SealedContent<()>, Sha256Digest), BlobError> {
        let receipt = self.writer.commit()?;
        Ok((
            SealedContent {
                writer: (),
                id: self.id,
                salt: self.salt,
                key: self.key,
                sha256: self.sha256,
                bytes: self.bytes,
            },
            receipt.sha256,
        ))
    }
}
