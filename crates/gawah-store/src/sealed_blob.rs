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

/// Why [`seal_from`] stopped.
#[derive(Debug)]
pub enum SealFromError {
    /// Reading the input failed.
    Input(io::Error),
    /// Sealing or writing the blob failed.
    Output(io::Error),
}

/// Plaintext read per step of [`seal_from`].
const STEP: usize = 1 << 20;

/// A writer that hands what it is given, in steps, to another thread.
struct ChannelWriter {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(STEP));
        self.tx
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the blob writer stopped"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= STEP {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Seals all of `input` into `inner` as item `id`'s content, with the work split over three
/// threads so that it overlaps on two cores: this one reads and hashes the plaintext, a
/// second seals it, a third writes the sealed bytes (the blob writer hashing them).
/// `progress` sees the plaintext bytes read so far. Memory: a few 1 MiB steps in flight;
/// plaintext buffers are zeroized.
pub fn seal_from<W: Write + Send>(
    input: &mut dyn std::io::Read,
    mut inner: W,
    id: ItemId,
    salt: Salt,
    key: RecordKey,
    progress: &mut dyn FnMut(u64),
) -> Result<SealedContent<W>, SealFromError> {
    let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    let out = ChannelWriter {
        tx: out_tx,
        buf: Vec::with_capacity(STEP),
    };
    let mut seal = SealWriter::new(out, &key.key, content_binding(id.as_str()))
        .map_err(SealFromError::Output)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<zeroize::Zeroizing<Vec<u8>>>(4);
    let (read, sealed, written, hasher, bytes) = std::thread::scope(|s| {
        let writer = s.spawn(move || -> io::Result<W> {
            for step in out_rx {
                inner.write_all(&step)?;
            }
            Ok(inner)
        });
        let sealer = s.spawn(move || -> io::Result<()> {
            for step in rx {
                seal.write_all(&step)?;
            }
            // Seals the last chunk and flushes; dropping the channel writer ends the writer.
            seal.finish().map(drop)
        });
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let read = loop {
            let mut step = zeroize::Zeroizing::new(vec![0u8; STEP]);
            let n = match input.read(&mut step) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            };
            step.truncate(n);
            hasher.update(&step[..]);
            bytes += n as u64;
            progress(bytes);
            if tx.send(step).is_err() {
                break Ok(()); // the sealer failed; its error is reported below
            }
        };
        drop(tx);
        let panicked = || io::Error::other("a sealing thread panicked");
        let sealed = sealer.join().unwrap_or_else(|_| Err(panicked()));
        let written = writer.join().unwrap_or_else(|_| Err(panicked()));
        (read, sealed, written, hasher, bytes)
    });
    // On a read error the stream was ended short; the blob is dropped (discarded) here.
    read.map_err(SealFromError::Input)?;
    // The writer's own error explains a sealer that found the channel closed.
    let writer = written.map_err(SealFromError::Output)?;
    sealed.map_err(SealFromError::Output)?;
    Ok(SealedContent {
        writer,
        id,
        salt,
        key,
        sha256: Sha256Digest(hasher.finalize().into()),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use gawah_core::seal::{SealReader, SecretKey};

    use super::*;

    fn key() -> RecordKey {
        RecordKey {
            key: SecretKey::random().unwrap(),
            new: None,
        }
    }

    #[test]
    fn three_threads_seal_what_one_would_and_hash_the_original() {
        let data: Vec<u8> = (0..3 * STEP + 12_345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let id: ItemId = ItemId::random().unwrap();
        let k = key();
        let key_copy = k.key.clone();
        let mut seen = 0;
        let out = seal_from(
            &mut &data[..],
            Vec::new(),
            id.clone(),
            Salt::random().unwrap(),
            k,
            &mut |n| seen = n,
        )
        .unwrap();
        assert_eq!(seen, data.len() as u64);
        assert_eq!(out.sha256, Sha256Digest::of(&data));
        assert_eq!(
            out.writer.len() as u64,
            gawah_core::seal::stream::sealed_len(data.len() as u64)
        );
        let mut back = Vec::new();
        SealReader::new(&out.writer[..], &key_copy, content_binding(id.as_str()))
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn a_read_error_is_the_input_s_and_nothing_is_returned() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk gone"));
                }
                self.0 -= 1;
                buf[..10].fill(1);
                Ok(10)
            }
        }
        let r = seal_from(
            &mut Failing(3),
            Vec::new(),
            ItemId::random().unwrap(),
            Salt::random().unwrap(),
            key(),
            &mut |_| {},
        );
        assert!(matches!(r, Err(SealFromError::Input(_))), "{r:?}");
    }
}
