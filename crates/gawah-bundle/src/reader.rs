//! Reading a bundle archive defensively.
//!
//! [`BundleReader::new`] reads the whole structure before handing out a single byte, and
//! refuses anything but the one layout [`crate::BundleWriter`] produces (see `zipfmt`):
//! unsafe or colliding names, symbolic links and other non-regular entries, compression,
//! encryption, sizes beyond the caller's [`Limits`] or beyond the archive, local headers that
//! disagree with the central directory, overlapping entries or unaccounted bytes, comments,
//! extra fields other than ZIP64, and anything truncated.
//!
//! Since nothing is compressed, a declared size must be matched by that many bytes actually
//! present in the file: an archive cannot expand to more than its own size.
//!
//! Reading a file of [`TWO_THREADS_FROM`] bytes or more to its end ([`EntryReader::finish`],
//! [`BundleReader::digest`]) computes its SHA-256 on the calling thread and its CRC-32 on a
//! second one, over the same buffers: the checks are the same, the time is about that of the
//! SHA-256 alone.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread;

use sha2::{Digest, Sha256};

use crate::crc32::Crc32;
use crate::error::ZipError;
use crate::structure::{check_locals, malformed, read_central, read_end};
use crate::zipfmt::{CENTRAL_LEN, EOCD_LEN};

/// Entries of at least this many bytes are read to their end on two threads (SHA-256 on
/// the reading thread, CRC-32 on another); below it a thread costs more than it saves.
pub const TWO_THREADS_FROM: u64 = 4 << 20;
/// Bytes read at a time when reading an entry to its end.
const BLOCK: usize = 1 << 20;
/// Blocks queued for the CRC-32 thread at most.
const IN_FLIGHT: usize = 2;

fn ended_inside_entry() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside an entry")
}

/// Bounds the reader enforces before reading any content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files) in the archive.
    pub max_entries: u64,
    /// Largest single entry, in bytes.
    pub max_entry_bytes: u64,
    /// Largest sum of all entries, in bytes.
    pub max_total_bytes: u64,
    /// Largest manifest, proof, checkpoint or other small file the verifier reads into memory.
    pub max_json_bytes: u64,
}

impl Default for Limits {
    /// 200,000 entries, 64 GiB per file, 256 GiB in all, 8 MiB per JSON file.
    fn default() -> Self {
        Self {
            max_entries: 200_000,
            max_entry_bytes: 64 << 30,
            max_total_bytes: 256 << 30,
            max_json_bytes: 8 << 20,
        }
    }
}

/// One file in the archive, as its (validated) headers describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) crc32: u32,
    pub(crate) data_start: u64,
}

impl EntryInfo {
    /// The file's name (a safe relative path).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Its CRC-32 as the archive records it.
    pub fn crc32(&self) -> u32 {
        self.crc32
    }
}

/// The result of reading one entry to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryDigest {
    /// SHA-256 of the bytes read.
    pub sha256: [u8; 32],
    /// Number of bytes read.
    pub bytes: u64,
    /// CRC-32 recorded in the archive.
    pub stored_crc: u32,
    /// CRC-32 of the bytes read.
    pub actual_crc: u32,
}

impl EntryDigest {
    /// Whether the bytes match the archive's CRC-32.
    pub fn crc_ok(&self) -> bool {
        self.stored_crc == self.actual_crc
    }
}

/// A bundle archive whose structure has been checked.
#[derive(Debug)]
pub struct BundleReader<R> {
    inner: R,
    entries: Vec<EntryInfo>,
    index: HashMap<String, usize>,
}

impl BundleReader<BufReader<File>> {
    /// Opens and checks the archive at `path`.
    pub fn open(path: impl AsRef<Path>, limits: &Limits) -> Result<Self, ZipError> {
        let file = File::open(path)?;
        if !file.metadata()?.is_file() {
            return Err(ZipError::NotZip("not a regular file"));
        }
        Self::new(BufReader::with_capacity(64 * 1024, file), limits)
    }
}

impl<R: Read + Seek> BundleReader<R> {
    /// Checks the archive in `inner` and indexes its entries.
    pub fn new(mut inner: R, limits: &Limits) -> Result<Self, ZipError> {
        let len = inner.seek(SeekFrom::End(0))?;
        if len == 0 {
            return Err(ZipError::Empty);
        }
        if len < EOCD_LEN {
            return Err(ZipError::NotZip("shorter than the smallest zip archive"));
        }
        let eocd_at = len - EOCD_LEN;
        let (count, cd_size, cd_offset, cd_end) = read_end(&mut inner, eocd_at)?;
        if count > limits.max_entries {
            return Err(ZipError::TooManyEntries {
                count,
                limit: limits.max_entries,
            });
        }
        if cd_offset.checked_add(cd_size) != Some(cd_end) {
            return Err(malformed(
                "the central directory does not end where the end record begins",
            ));
        }
        let max_record = CENTRAL_LEN as u64 + crate::names::MAX_NAME_BYTES as u64 + 28;
        if cd_size < count * CENTRAL_LEN as u64 || cd_size > count.saturating_mul(max_record) {
            return Err(malformed(format!(
                "a central directory of {cd_size} bytes cannot hold {count} entries"
            )));
        }
        let centrals = read_central(&mut inner, cd_offset, cd_size, count, limits)?;
        let entries = check_locals(&mut inner, centrals, cd_offset)?;
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        Ok(Self {
            inner,
            entries,
            index,
        })
    }

    /// Every entry, in archive order.
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// The entry named exactly `name`.
    pub fn entry(&self, name: &str) -> Option<&EntryInfo> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// A stream over the bytes of `name`, hashing them as they are read.
    pub fn open_entry(&mut self, name: &str) -> Result<EntryReader<'_, R>, ZipError> {
        let info = self
            .entry(name)
            .cloned()
            .ok_or_else(|| ZipError::NotFound(name.to_owned()))?;
        self.inner.seek(SeekFrom::Start(info.data_start))?;
        Ok(EntryReader {
            inner: &mut self.inner,
            remaining: info.size,
            sha: Sha256::new(),
            crc: Crc32::new(),
            info,
        })
    }

    /// Reads all of `name` into memory if it is at most `limit` bytes; checks its CRC-32.
    pub fn read_bounded(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, ZipError> {
        let size = self
            .entry(name)
            .ok_or_else(|| ZipError::NotFound(name.to_owned()))?
            .size;
        if size > limit {
            return Err(ZipError::ReadLimit {
                name: name.to_owned(),
                size,
                limit,
            });
        }
        let mut out = Vec::with_capacity(size as usize);
        let mut reader = self.open_entry(name)?;
        reader
            .read_to_end(&mut out)
            .map_err(|e| reader.crc_error().unwrap_or(ZipError::Io(e)))?;
        Ok(out)
    }

    /// Reads `name` to its end in constant memory; returns its SHA-256, length and CRCs.
    pub fn digest(&mut self, name: &str) -> Result<EntryDigest, ZipError> {
        self.open_entry(name)?.finish()
    }
}

/// A stream over one entry's bytes that computes their SHA-256 and CRC-32 as they pass.
/// At the end of the entry, a CRC-32 mismatch is an `InvalidData` error.
#[derive(Debug)]
pub struct EntryReader<'a, R> {
    inner: &'a mut R,
    remaining: u64,
    sha: Sha256,
    crc: Crc32,
    info: EntryInfo,
}

impl<R: Read> EntryReader<'_, R> {
    /// The entry being read.
    pub fn info(&self) -> &EntryInfo {
        &self.info
    }

    /// Reads the rest of the entry and returns what was read in all. A CRC-32 mismatch is
    /// reported in the digest, not as an error, so the caller can also see the SHA-256.
    ///
    /// From [`TWO_THREADS_FROM`] bytes on, the CRC-32 is computed on a second thread while
    /// this one reads and computes the SHA-256: the same bytes go through the same two
    /// checks, in about half the time on two cores.
    pub fn finish(mut self) -> Result<EntryDigest, ZipError> {
        let done = self.remaining >= TWO_THREADS_FROM && self.rest_on_two_threads()?;
        if !done {
            let mut buf = vec![0u8; BLOCK.min(self.remaining as usize)];
            while self.remaining > 0 {
                self.read_some(&mut buf)?;
            }
        }
        Ok(EntryDigest {
            sha256: self.sha.finalize().into(),
            bytes: self.info.size,
            stored_crc: self.info.crc32,
            actual_crc: self.crc.value(),
        })
    }

    /// Reads the rest of the entry in blocks of [`BLOCK`] bytes straight into buffers shared
    /// with a CRC-32 thread: this thread reads a block, hands it to the CRC-32 thread and
    /// hashes it with SHA-256 meanwhile; the CRC-32 thread gives the buffer back when done.
    /// Each byte is read once and copied nowhere else; both checks see every byte, in order.
    ///
    /// Returns `Ok(false)`, having read nothing, if the system cannot start a thread.
    fn rest_on_two_threads(&mut self) -> io::Result<bool> {
        let (to_crc, blocks) = mpsc::sync_channel::<(Arc<Vec<u8>>, usize)>(IN_FLIGHT);
        let (give_back, given_back) = mpsc::channel::<Arc<Vec<u8>>>();
        let mut crc = self.crc;
        thread::scope(|scope| {
            let worker = thread::Builder::new()
                .name("gawah-bundle crc32".into())
                .spawn_scoped(scope, move || {
                    for (block, n) in blocks {
                        crc.update(&block[..n]);
                        // Refused only if the reading thread stopped early: nothing to do then.
                        let _ = give_back.send(block);
                    }
                    crc
                });
            let Ok(worker) = worker else {
                return Ok(false);
            };
            let read = self.pump(to_crc, &given_back);
            // `to_crc` is dropped by now, so the worker ends once it has seen every block.
            self.crc = worker
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            read.map(|()| true)
        })
    }

    /// The reading side of [`EntryReader::rest_on_two_threads`].
    fn pump(
        &mut self,
        to_crc: mpsc::SyncSender<(Arc<Vec<u8>>, usize)>,
        given_back: &mpsc::Receiver<Arc<Vec<u8>>>,
    ) -> io::Result<()> {
        let stopped = || io::Error::other("the CRC-32 thread stopped");
        let mut allocated = 0;
        while self.remaining > 0 {
            let mut block = match given_back.try_recv() {
                Ok(b) => b,
                Err(_) if allocated < IN_FLIGHT + 2 => {
                    allocated += 1;
                    Arc::new(vec![0u8; BLOCK])
                }
                Err(_) => given_back.recv().map_err(|_| stopped())?,
            };
            // The CRC-32 thread has dropped its handle when it gives a block back.
            let buf = Arc::get_mut(&mut block).ok_or_else(stopped)?;
            let want = BLOCK.min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
            let mut n = 0;
            while n < want {
                match self.inner.read(&mut buf[n..want]) {
                    Ok(0) => return Err(ended_inside_entry()),
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            to_crc
                .send((Arc::clone(&block), n))
                .map_err(|_| stopped())?;
            self.sha.update(&block[..n]);
            self.remaining -= n as u64;
        }
        Ok(())
    }

    fn crc_error(&self) -> Option<ZipError> {
        let actual = self.crc.value();
        (self.remaining == 0 && actual != self.info.crc32).then(|| ZipError::Crc {
            name: self.info.name.clone(),
            stored: self.info.crc32,
            actual,
        })
    }

    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = loop {
            match self.inner.read(&mut buf[..want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 && want > 0 {
            return Err(ended_inside_entry());
        }
        self.sha.update(&buf[..n]);
        self.crc.update(&buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            if let Some(e) = self.crc_error() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
            }
            return Ok(0);
        }
        self.read_some(buf)
    }
}
