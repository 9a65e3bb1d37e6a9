//! Blobs sealed as they are written: the plaintext is hashed (the original's SHA-256, which
//! proofs and bundles speak of) and sealed in chunks into a blob writer (which hashes the
//! sealed bytes, the blob's address). Constant memory whatever the size.
//!
//! A sealed blob's address is the BLAKE3 of its sealed bytes (the writer is created with
//! [`BlobHash::Blake3`](crate::blob::BlobHash)), never a hash of the original, so a
//! seized disk cannot confirm that a known file is held.

use std::io::{self, Read, Write};

use gawah_core::seal::stream::{CHUNK, ChunkSealer, SEALED_CHUNK, TAG};
use gawah_core::seal::{Binding, SealWriter};
use gawah_core::{ItemId, Salt, Sha256Digest};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::blob::{BlobError, BlobKey, BlobWriter};
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
    pub fn commit(self) -> Result<(SealedContent<()>, BlobKey), BlobError> {
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
            receipt.key,
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

/// Chunks per step of [`seal_from`]: 1 MiB of plaintext.
const STEP_CHUNKS: usize = 16;
/// Bytes of a step's buffer: that many chunk slots (plaintext, then room for the tag).
const STEP_BYTES: usize = STEP_CHUNKS * SEALED_CHUNK;
/// Step buffers in [`seal_from`]'s pipeline: all of its memory. Enough for each of the three
/// threads to hold one while others wait in the queues between them.
const STEPS: usize = 12;

/// One step of [`seal_from`]'s pipeline: a buffer of chunk slots, of which the first `len`
/// bytes are in use. Between the reader and the sealer the slots hold plaintext (the buffer
/// is zeroized when dropped); after the sealer, exactly the sealed bytes of its chunks, in
/// stream order, ready to be written.
struct Step {
    buf: Zeroizing<Vec<u8>>,
    len: usize,
}

impl Step {
    /// The slots in use, one per chunk.
    fn slots(&mut self) -> impl Iterator<Item = &mut [u8]> {
        self.buf[..self.len].chunks_mut(SEALED_CHUNK)
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Seals all of `input` into `inner` as item `id`'s content, in the stream format of
/// [`SealWriter`], with the work split over three threads so that it overlaps on two cores:
/// this one reads and hashes the plaintext, a second seals it, a third writes the sealed bytes
/// (the blob writer hashing them). Each chunk is read into its slot of a step buffer, sealed
/// there in place with its tag after it, and written from there: no copy between the stages,
/// and the buffers go round (reader, sealer, writer, reader) so nothing is allocated per step.
/// `progress` sees the plaintext bytes read so far. Memory: [`STEPS`] buffers of about 1 MiB;
/// they hold plaintext only until sealed in place, and are zeroized when dropped.
pub fn seal_from<W: Write + Send>(
    input: &mut dyn Read,
    mut inner: W,
    id: ItemId,
    salt: Salt,
    key: RecordKey,
    progress: &mut dyn FnMut(u64),
) -> Result<SealedContent<W>, SealFromError> {
    use std::sync::mpsc::sync_channel;

    let mut sealer =
        ChunkSealer::new(&key.key, content_binding(id.as_str())).map_err(SealFromError::Output)?;
    let header = sealer.header();
    // Every channel can hold every buffer, so a send never waits: only a receive does.
    let (to_seal, seal_rx) = sync_channel::<Step>(STEPS);
    let (to_write, write_rx) = sync_channel::<Step>(STEPS);
    let (to_read, free) = sync_channel::<Step>(STEPS);
    let (read, sealed, written, hasher, bytes) = std::thread::scope(|s| {
        let writer = s.spawn(move || -> io::Result<W> {
            inner.write_all(&header)?;
            for step in write_rx {
                inner.write_all(&step.buf[..step.len])?;
                // The reader may have stopped; the buffer is then dropped (zeroized).
                let _ = to_read.send(step);
            }
            Ok(inner)
        });
        let sealer = s.spawn(move || -> io::Result<bool> {
            for mut step in seal_rx {
                for slot in step.slots() {
                    sealer.seal(slot)?;
                }
                if to_write.send(step).is_err() {
                    break; // the writer failed; its error is reported
                }
            }
            // The reader stops after the last chunk, or early on an error.
            Ok(sealer.is_finished())
        });
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut made = 0;
        let read = 'steps: loop {
            let mut step = match free.try_recv() {
                Ok(step) => step,
                Err(_) if made < STEPS => {
                    made += 1;
                    Step {
                        buf: Zeroizing::new(vec![0u8; STEP_BYTES]),
                        len: 0,
                    }
                }
                Err(_) => match free.recv() {
                    Ok(step) => step,
                    // The writer stopped: its error is reported.
                    Err(_) => break Ok(false),
                },
            };
            step.len = 0;
            let mut last = false;
            for slot in step.buf.chunks_mut(SEALED_CHUNK) {
                let n = match read_full(input, &mut slot[..CHUNK]) {
                    Ok(n) => n,
                    Err(e) => break 'steps Err(e),
                };
                hasher.update(&slot[..n]);
                bytes += n as u64;
                // A full chunk is never the last; a short one (possibly empty) is.
                step.len += n + TAG;
                if n < CHUNK {
                    last = true;
                    break;
                }
            }
            progress(bytes);
            if to_seal.send(step).is_err() {
                break Ok(false); // the sealer failed; its error is reported
            }
            if last {
                break Ok(true);
            }
        };
        drop(to_seal);
        drop(free);
        let panicked = || io::Error::other("a sealing thread panicked");
        let sealed = sealer.join().unwrap_or_else(|_| Err(panicked()));
        let written = writer.join().unwrap_or_else(|_| Err(panicked()));
        (read, sealed, written, hasher, bytes)
    });
    // On a read error the stream was ended short; the blob is dropped (discarded) here.
    let complete = read.map_err(SealFromError::Input)?;
    // The writer's own error explains a sealer that found the channel closed.
    let writer = written.map_err(SealFromError::Output)?;
    let finished = sealed.map_err(SealFromError::Output)?;
    if !complete || !finished {
        // Unreachable unless a stage stopped without an error: never return a short blob.
        return Err(SealFromError::Output(io::Error::other(
            "the sealing pipeline stopped early",
        )));
    }
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
        let step = STEP_CHUNKS * CHUNK;
        // Empty, one chunk, step edges (a full step is followed by an empty last chunk),
        // more steps than buffers, and input that arrives in odd short reads.
        for (len, dribble) in [
            (0, false),
            (CHUNK, false),
            (step - 1, false),
            (step, false),
            (step + 1, true),
            ((STEPS + 3) * step + 12_345, false),
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let id: ItemId = ItemId::random().unwrap();
            let k = key();
            let key_copy = k.key.clone();
            let mut seen = 0;
            struct Dribble<'a>(&'a [u8]);
            impl Read for Dribble<'_> {
                fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                    let n = self.0.len().min(buf.len()).min(1_000);
                    buf[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let mut input: Box<dyn Read> = if dribble {
                Box::new(Dribble(&data))
            } else {
                Box::new(&data[..])
            };
            let out = seal_from(
                &mut input,
                Vec::new(),
                id.clone(),
                Salt::random().unwrap(),
                k,
                &mut |n| seen = n,
            )
            .unwrap();
            assert_eq!(seen, data.len() as u64);
            assert_eq!(out.bytes, data.len() as u64);
            assert_eq!(out.sha256, Sha256Digest::of(&data));
            assert_eq!(
                out.writer.len() as u64,
                gawah_core::seal::stream::sealed_len(data.len() as u64),
                "length {len}"
            );
            let mut back = Vec::new();
            SealReader::new(&out.writer[..], &key_copy, content_binding(id.as_str()))
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "length {len}");
        }
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

    #[test]
    fn a_write_error_is_the_output_s() {
        #[derive(Debug)]
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(io::Error::other("disk full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let data = vec![3u8; (STEPS + 2) * STEP_CHUNKS * CHUNK];
        let r = seal_from(
            &mut &data[..],
            Full(3 << 20),
            ItemId::random().unwrap(),
            Salt::random().unwrap(),
            key(),
            &mut |_| {},
        );
        assert!(matches!(r, Err(SealFromError::Output(_))), "{r:?}");
    }
}
