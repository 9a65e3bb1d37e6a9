//! The S3 store's streams: writes spooled to an unlinked local file while hashed (single
//! and batched), and reads by ranged `GET`s with one range fetched ahead.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use bytes::Bytes;
use gawah_core::random::random_bytes;
use object_store::GetOptions;
use object_store::path::Path as ObjectPath;

use super::{Inner, READ_CHUNK, s3_error, wait};
use crate::blob::{
    BatchWriter, BlobBatch, BlobError, BlobHash, BlobHasher, BlobReceipt, BlobWriter,
};

/// Bytes being spooled to an unlinked local file while hashed.
struct Spool {
    file: File,
    hasher: BlobHasher,
    bytes: u64,
}

impl Spool {
    fn new(dir: &Path, hash: BlobHash) -> Result<Self, BlobError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| BlobError::io(format!("create {}", dir.display()), e))?;
        let nonce: [u8; 8] =
            random_bytes().map_err(|e| BlobError::io("spool name", io::Error::other(e)))?;
        let path = dir.join(format!("{}-{}", std::process::id(), hex::encode(nonce)));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| BlobError::io(format!("create {}", path.display()), e))?;
        // Unlinked at once: the bytes live as long as the handle, and a crash leaves nothing.
        fs::remove_file(&path)
            .map_err(|e| BlobError::io(format!("unlink {}", path.display()), e))?;
        Ok(Self {
            file,
            hasher: hash.hasher(),
            bytes: 0,
        })
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    /// The receipt, and the file rewound for the upload.
    fn finish(mut self) -> Result<(File, BlobReceipt), BlobError> {
        self.file
            .rewind()
            .map_err(|e| BlobError::io("rewind the spooled blob", e))?;
        let receipt = BlobReceipt {
            key: self.hasher.finalize(),
            bytes: self.bytes,
        };
        Ok((self.file, receipt))
    }
}

pub(super) struct S3Writer {
    spool: Spool,
    store: Arc<Inner>,
}

impl S3Writer {
    pub(super) fn new(store: Arc<Inner>, hash: BlobHash) -> Result<Self, BlobError> {
        Ok(Self {
            spool: Spool::new(&store.spool, hash)?,
            store,
        })
    }
}

impl Write for S3Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.spool.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobWriter for S3Writer {
    fn written(&self) -> u64 {
        self.spool.bytes
    }

    fn commit(self: Box<Self>) -> Result<BlobReceipt, BlobError> {
        let (file, receipt) = self.spool.finish()?;
        self.store.put_blob(file, &receipt)?;
        Ok(receipt)
    }
}

pub(super) struct S3Batch {
    store: Arc<Inner>,
    /// Finished blobs, spooled, not yet uploaded.
    pending: Vec<(File, BlobReceipt)>,
}

impl S3Batch {
    pub(super) fn new(store: Arc<Inner>) -> Self {
        Self {
            store,
            pending: Vec::new(),
        }
    }
}

impl fmt::Debug for S3Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Batch")
            .field("url", &self.store.name)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl BlobBatch for S3Batch {
    fn create_with(&mut self, hash: BlobHash) -> Result<Box<dyn BatchWriter + '_>, BlobError> {
        Ok(Box::new(S3BatchWriter {
            spool: Spool::new(&self.store.spool, hash)?,
            batch: self,
        }))
    }

    fn len(&self) -> usize {
        self.pending.len()
    }

    fn commit(self: Box<Self>) -> Result<Vec<BlobReceipt>, BlobError> {
        let mut receipts = Vec::with_capacity(self.pending.len());
        for (file, receipt) in self.pending {
            self.store.put_blob(file, &receipt)?;
            receipts.push(receipt);
        }
        Ok(receipts)
    }
}

struct S3BatchWriter<'a> {
    spool: Spool,
    batch: &'a mut S3Batch,
}

impl Write for S3BatchWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.spool.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BatchWriter for S3BatchWriter<'_> {
    fn written(&self) -> u64 {
        self.spool.bytes
    }

    fn finish(self: Box<Self>) -> Result<BlobReceipt, BlobError> {
        let (file, receipt) = self.spool.finish()?;
        self.batch.pending.push((file, receipt.clone()));
        Ok(receipt)
    }
}

/// Reads a blob by ranged `GET`s of [`READ_CHUNK`] bytes, fetching the next range while the
/// caller reads the current one: at most two chunks in memory.
pub(super) struct S3Reader {
    store: Arc<Inner>,
    path: ObjectPath,
    size: u64,
    /// Offset of the next range to ask for.
    next: u64,
    /// What is left of the current range.
    chunk: Bytes,
    /// The next range, on its way, with its expected length.
    prefetch: Option<(Receiver<object_store::Result<Bytes>>, u64)>,
}

impl S3Reader {
    pub(super) fn new(store: Arc<Inner>, path: ObjectPath, size: u64) -> Self {
        Self {
            store,
            path,
            size,
            next: 0,
            chunk: Bytes::new(),
            prefetch: None,
        }
    }

    fn request_next(&mut self) {
        if self.next >= self.size || self.prefetch.is_some() {
            return;
        }
        let end = self.size.min(self.next + READ_CHUNK);
        let client = Arc::clone(&self.store.client);
        let path = self.path.clone();
        let range = self.next..end;
        let rx = self.store.spawn(async move {
            let options = GetOptions::new().with_range(Some(range));
            client.get_opts(&path, options).await?.bytes().await
        });
        self.prefetch = Some((rx, end - self.next));
        self.next = end;
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        self.request_next();
        let Some((rx, expected)) = self.prefetch.take() else {
            return Ok(()); // at the end
        };
        let what = format!("read {}", self.path);
        let bytes = wait(rx)
            .map_err(io::Error::other)?
            .map_err(|e| io::Error::other(s3_error(what.clone(), e)))?;
        if bytes.len() as u64 != expected {
            // An immutable object of known size answered a range with another length.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{what}: expected {expected} bytes, got {}", bytes.len()),
            ));
        }
        self.chunk = bytes;
        self.request_next();
        Ok(())
    }
}

impl Read for S3Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.chunk.is_empty() {
            self.next_chunk()?;
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}
