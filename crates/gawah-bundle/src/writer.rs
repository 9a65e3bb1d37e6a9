//! Writing a bundle: a zip archive of stored (uncompressed) files, streamed in constant
//! memory, with the SHA-256 of each file computed while it is written.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::crc32::Crc32;
use crate::error::ZipError;
use crate::names::{check_name, collision_key, collision_kind};
use crate::zipfmt::*;

const CHUNK: usize = 64 * 1024;

/// What the central directory needs to know of a written file.
#[derive(Debug)]
struct Written {
    name: String,
    offset: u64,
    size: u64,
    crc: u32,
    descriptor: bool,
}

/// Writes a bundle archive to any `Write + Seek`, which must be at position 0.
///
/// Files are stored, never compressed, in the order they are added. A file of 4 GiB or more
/// is written with ZIP64 sizes and a data descriptor, so it streams without knowing its size
/// in advance. Names are checked as [`crate::check_name`] describes, and names that collide
/// (same text, same NFC text, or equal ignoring case) are refused.
///
/// Dropping the writer without [`finish`](BundleWriter::finish) leaves an archive without a
/// central directory, which no reader accepts.
#[derive(Debug)]
pub struct BundleWriter<W: Write + Seek> {
    out: W,
    pos: u64,
    written: Vec<Written>,
    keys: HashMap<String, String>,
}

impl BundleWriter<BundleFile> {
    /// Creates `path` (refused if it exists). The archive is written to a temporary file in
    /// the same folder and only renamed to `path` by [`commit`](BundleWriter::commit), so a
    /// half-written bundle never has the final name.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, ZipError> {
        BundleWriter::new(BundleFile::create(path.as_ref())?)
    }

    /// Finishes the archive, flushes it to disk and gives it its final name.
    pub fn commit(self) -> Result<PathBuf, ZipError> {
        self.finish()?.persist()
    }
}

impl<W: Write + Seek> BundleWriter<W> {
    /// A writer over `out`, which must be positioned at its start.
    pub fn new(mut out: W) -> Result<Self, ZipError> {
        if out.stream_position()? != 0 {
            return Err(ZipError::Unsupported(
                "a bundle must be written from the start of its file".into(),
            ));
        }
        Ok(Self {
            out,
            pos: 0,
            written: Vec::new(),
            keys: HashMap::new(),
        })
    }

    /// Adds `bytes` as `name`; returns their SHA-256 and length.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<([u8; 32], u64), ZipError> {
        self.add_file(name, bytes)
    }

    /// Streams `reader` to its end into the archive as `name`; returns the SHA-256 and the
    /// length of what was read. On an error the archive is unusable: drop it.
    pub fn add_file(
        &mut self,
        name: &str,
        mut reader: impl Read,
    ) -> Result<([u8; 32], u64), ZipError> {
        self.claim(name)?;
        let offset = self.pos;
        let needed = if needs64(offset) {
            NEEDED_ZIP64
        } else {
            NEEDED_PLAIN
        };
        let header = local_header(name, needed, FLAG_UTF8, 0, 0);
        self.out.write_all(&header)?;
        let data_start = offset + header.len() as u64;

        let (mut sha, mut crc, mut size) = (Sha256::new(), Crc32::new(), 0u64);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            sha.update(&buf[..n]);
            crc.update(&buf[..n]);
            self.out.write_all(&buf[..n])?;
            size += n as u64;
        }
        let crc = crc.value();
        let descriptor = needs64(size);
        if descriptor {
            // Too large for the header's 32-bit fields: say so in the flags (CRC and sizes
            // stay zero there) and put them after the data (APPNOTE 4.3.9).
            self.patch(
                offset + 4,
                &[
                    &NEEDED_ZIP64.to_le_bytes(),
                    &(FLAG_UTF8 | FLAG_DESCRIPTOR).to_le_bytes(),
                ],
            )?;
            let mut desc = Vec::with_capacity(DESCRIPTOR_LEN as usize);
            desc.put32(DESCRIPTOR_SIG);
            desc.put32(crc);
            desc.put64(size);
            desc.put64(size);
            self.out.write_all(&desc)?;
        } else {
            // `size` < 2^32 - 1 here, so the cast is exact.
            let small = size as u32;
            self.patch(
                offset + 14,
                &[
                    &crc.to_le_bytes(),
                    &small.to_le_bytes(),
                    &small.to_le_bytes(),
                ],
            )?;
        }
        self.pos = data_start + size + if descriptor { DESCRIPTOR_LEN } else { 0 };
        self.written.push(Written {
            name: name.to_owned(),
            offset,
            size,
            crc,
            descriptor,
        });
        Ok((sha.finalize().into(), size))
    }

    /// Writes the central directory and the end records; returns the output.
    pub fn finish(mut self) -> Result<W, ZipError> {
        let cd_offset = self.pos;
        let mut cd = Vec::new();
        for w in &self.written {
            central_record(&mut cd, w);
        }
        let cd_size = cd.len() as u64;
        let count = self.written.len() as u64;
        let mut end = Vec::new();
        let zip64 = count >= u64::from(SENTINEL16) || needs64(cd_size) || needs64(cd_offset);
        if zip64 {
            let record_at = cd_offset + cd_size;
            end.put32(ZIP64_EOCD_SIG);
            end.put64(ZIP64_EOCD_LEN - 12);
            end.put16(MADE_BY);
            end.put16(NEEDED_ZIP64);
            end.put32(0);
            end.put32(0);
            end.put64(count);
            end.put64(count);
            end.put64(cd_size);
            end.put64(cd_offset);
            end.put32(ZIP64_LOCATOR_SIG);
            end.put32(0);
            end.put64(record_at);
            end.put32(1);
        }
        let count16 = u16::try_from(count)
            .ok()
            .filter(|&c| c < SENTINEL16)
            .unwrap_or(SENTINEL16);
        let small = |v: u64| {
            u32::try_from(v)
                .ok()
                .filter(|&v| v < SENTINEL32)
                .unwrap_or(SENTINEL32)
        };
        end.put32(EOCD_SIG);
        end.put16(0);
        end.put16(0);
        end.put16(count16);
        end.put16(count16);
        end.put32(small(cd_size));
        end.put32(small(cd_offset));
        end.put16(0);
        self.out.write_all(&cd)?;
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Validates `name` and reserves it (and everything it collides with).
    fn claim(&mut self, name: &str) -> Result<(), ZipError> {
        check_name(name)?;
        let key = collision_key(name);
        if let Some(other) = self.keys.get(&key) {
            return Err(ZipError::Duplicate {
                name: name.to_owned(),
                other: other.clone(),
                how: collision_kind(name, other),
            });
        }
        self.keys.insert(key, name.to_owned());
        Ok(())
    }

    /// Overwrites bytes at `at`, then returns to the end of what is written.
    fn patch(&mut self, at: u64, parts: &[&[u8]]) -> Result<(), ZipError> {
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(at))?;
        for part in parts {
            self.out.write_all(part)?;
        }
        self.out.seek(SeekFrom::Start(end))?;
        Ok(())
    }
}

/// A local file header with its name and no extra field.
fn local_header(name: &str, needed: u16, flags: u16, crc: u32, size: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(LOCAL_LEN as usize + name.len());
    h.put32(LOCAL_SIG);
    h.put16(needed);
    h.put16(flags);
    h.put16(0); // STORE
    h.put16(DOS_TIME);
    h.put16(DOS_DATE);
    h.put32(crc);
    h.put32(size);
    h.put32(size);
    // Names are at most 1024 bytes (checked), so they fit.
    h.put16(name.len() as u16);
    h.put16(0);
    h.extend_from_slice(name.as_bytes());
    h
}

/// One central directory record, with a ZIP64 extra field holding whichever of the sizes
/// and the offset do not fit in 32 bits.
fn central_record(cd: &mut Vec<u8>, w: &Written) {
    let mut extra = Vec::new();
    let big_size = needs64(w.size);
    let big_offset = needs64(w.offset);
    if big_size || big_offset {
        extra.put16(ZIP64_EXTRA_ID);
        let n = if big_size { 16 } else { 0 } + if big_offset { 8 } else { 0 };
        extra.put16(n);
        if big_size {
            extra.put64(w.size);
            extra.put64(w.size);
        }
        if big_offset {
            extra.put64(w.offset);
        }
    }
    let size32 = if big_size { SENTINEL32 } else { w.size as u32 };
    let offset32 = if big_offset {
        SENTINEL32
    } else {
        w.offset as u32
    };
    let needed = if big_size || big_offset {
        NEEDED_ZIP64
    } else {
        NEEDED_PLAIN
    };
    let flags = if w.descriptor {
        FLAG_UTF8 | FLAG_DESCRIPTOR
    } else {
        FLAG_UTF8
    };
    cd.put32(CENTRAL_SIG);
    cd.put16(MADE_BY);
    cd.put16(needed);
    cd.put16(flags);
    cd.put16(0);
    cd.put16(DOS_TIME);
    cd.put16(DOS_DATE);
    cd.put32(w.crc);
    cd.put32(size32);
    cd.put32(size32);
    cd.put16(w.name.len() as u16);
    cd.put16(extra.len() as u16);
    cd.put16(0); // comment
    cd.put16(0); // disk
    cd.put16(0); // internal attributes
    cd.put32(REGULAR_FILE_ATTRS);
    cd.put32(offset32);
    cd.extend_from_slice(w.name.as_bytes());
    cd.extend_from_slice(&extra);
}

/// A bundle being written to disk under a temporary name, renamed into place by
/// [`persist`](BundleFile::persist); removed if dropped before that.
#[derive(Debug)]
pub struct BundleFile {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    renamed: bool,
}

impl BundleFile {
    /// Creates the temporary file beside `target`; refuses if `target` exists.
    pub fn create(target: &Path) -> Result<Self, ZipError> {
        if target.exists() {
            return Err(ZipError::Io(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", target.display()),
            )));
        }
        let file_name = target.file_name().ok_or_else(|| {
            ZipError::Unsupported(format!("{} is not a file path", target.display()))
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(file_name);
        temp_name.push(".partial");
        let temp = target.with_file_name(temp_name);
        let file = File::options().write(true).create_new(true).open(&temp)?;
        Ok(Self {
            file: Some(BufWriter::new(file)),
            temp,
            target: target.to_owned(),
            renamed: false,
        })
    }

    /// Flushes and fsyncs the file, renames it to its final name and fsyncs the folder.
    pub fn persist(mut self) -> Result<PathBuf, ZipError> {
        let file = self
            .file
            .take()
            .ok_or_else(|| ZipError::Unsupported("already persisted".into()))?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        if self.target.exists() {
            return Err(ZipError::Io(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", self.target.display()),
            )));
        }
        std::fs::rename(&self.temp, &self.target)?;
        self.renamed = true;
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(self.target.clone())
    }

    fn inner(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("bundle file already persisted"))
    }
}

impl Drop for BundleFile {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

impl Write for BundleFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner()?.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner()?.flush()
    }
}

impl Seek for BundleFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner()?.seek(pos)
    }
}
