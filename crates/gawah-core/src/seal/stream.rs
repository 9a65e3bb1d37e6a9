//! Sealing files of any size in constant memory: a chunked AEAD stream.
//!
//! ```text
//! header: "GWSF" ‖ 0x01 ‖ chunk size (u32 BE) ‖ nonce prefix (19 random bytes)
//! chunks: XChaCha20-Poly1305(data key, nonce = prefix ‖ counter (u32 BE) ‖ last (0 or 1),
//!                            aad = Binding::aad) of `chunk size` bytes each, the last shorter
//! ```
//! Every chunk but the last holds exactly `chunk size` plaintext bytes; the last holds fewer
//! (possibly none) and carries `last = 1` in its nonce. So reordering, dropping, duplicating or
//! truncating chunks, or appending after the last, fails to open.

use std::io::{self, Read, Write};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{Binding, SealError, SecretKey};
use crate::random::random_bytes;

const MAGIC: &[u8; 5] = b"GWSF\x01";
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const PREFIX: usize = 19;
/// Bytes of the header.
pub const HEADER: usize = MAGIC.len() + 4 + PREFIX;

/// The sealed size of a plaintext of `len` bytes.
pub fn sealed_len(len: u64) -> u64 {
    let chunks = len / CHUNK as u64 + 1;
    HEADER as u64 + len + chunks * TAG as u64
}

fn nonce(prefix: &[u8; PREFIX], counter: u32, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..PREFIX].copy_from_slice(prefix);
    n[PREFIX..PREFIX + 4].copy_from_slice(&counter.to_be_bytes());
    n[23] = u8::from(last);
    n.into()
}

/// Seals one chunk in place. Not generic, so that it is compiled (optimised) here and not
/// in every crate that instantiates [`SealWriter`] for its writer type.
#[inline(never)]
fn encrypt_chunk(
    cipher: &XChaCha20Poly1305,
    nonce: &XNonce,
    aad: &[u8],
    buf: &mut [u8],
) -> Result<Tag, SealError> {
    cipher
        .encrypt_in_place_detached(nonce, aad, buf)
        .map_err(|_| SealError::Malformed("chunk too long"))
}

/// Opens one chunk in place (see [`encrypt_chunk`]).
#[inline(never)]
fn decrypt_chunk(
    cipher: &XChaCha20Poly1305,
    nonce: &XNonce,
    aad: &[u8],
    buf: &mut [u8],
    tag: &Tag,
) -> Result<(), SealError> {
    cipher
        .decrypt_in_place_detached(nonce, aad, buf, tag)
        .map_err(|_| SealError::Refused)
}

fn invalid(e: SealError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Seals everything written to it into `inner`; call [`finish`](SealWriter::finish) at the end.
pub struct SealWriter<W: Write> {
    inner: W,
    cipher: XChaCha20Poly1305,
    aad: Vec<u8>,
    prefix: [u8; PREFIX],
    counter: u32,
    buf: Zeroizing<Vec<u8>>,
}

impl<W: Write> std::fmt::Debug for SealWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealWriter")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl<W: Write> SealWriter<W> {
    /// Starts a sealed stream in `inner` under `key`, bound to `at`; writes the header.
    pub fn new(mut inner: W, key: &SecretKey, at: Binding<'_>) -> io::Result<Self> {
        let prefix: [u8; PREFIX] = random_bytes().map_err(io::Error::other)?;
        inner.write_all(MAGIC)?;
        inner.write_all(&(CHUNK as u32).to_be_bytes())?;
        inner.write_all(&prefix)?;
        Ok(Self {
            inner,
            cipher: XChaCha20Poly1305::new(key.bytes().into()),
            aad: at.aad(),
            prefix,
            counter: 0,
            buf: Zeroizing::new(Vec::with_capacity(CHUNK + TAG)),
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let n = nonce(&self.prefix, self.counter, last);
        let tag = encrypt_chunk(&self.cipher, &n, &self.aad, &mut self.buf[..]).map_err(invalid)?;
        self.inner.write_all(&self.buf)?;
        self.inner.write_all(&tag)?;
        self.buf.clear();
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| invalid(SealError::Malformed("file too large to seal")))?;
        Ok(())
    }

    /// Seals the last chunk and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = (CHUNK - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        if self.buf.len() == CHUNK {
            // A full chunk is never the last: the last is always shorter (possibly empty).
            self.seal_chunk(false)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Opens a stream sealed by [`SealWriter`], reading the plaintext.
pub struct SealReader<R: Read> {
    inner: R,
    cipher: XChaCha20Poly1305,
    aad: Vec<u8>,
    prefix: [u8; PREFIX],
    counter: u32,
    chunk: usize,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    done: bool,
}

impl<R: Read> std::fmt::Debug for SealReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealReader")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> SealReader<R> {
    /// Reads the header of a sealed stream under `key`, bound to `at`.
    pub fn new(mut inner: R, key: &SecretKey, at: Binding<'_>) -> io::Result<Self> {
        let mut header = [0u8; HEADER];
        if read_full(&mut inner, &mut header)? != HEADER || &header[..MAGIC.len()] != MAGIC {
            return Err(invalid(SealError::Malformed("not a sealed file")));
        }
        let chunk = u32::from_be_bytes(header[5..9].try_into().expect("4 bytes")) as usize;
        if chunk == 0 || chunk > 16 * 1024 * 1024 {
            return Err(invalid(SealError::Malformed("bad chunk size")));
        }
        let mut prefix = [0u8; PREFIX];
        prefix.copy_from_slice(&header[9..]);
        Ok(Self {
            inner,
            cipher: XChaCha20Poly1305::new(key.bytes().into()),
            aad: at.aad(),
            prefix,
            counter: 0,
            chunk,
            buf: Zeroizing::new(Vec::new()),
            pos: 0,
            done: false,
        })
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        self.buf.resize(self.chunk + TAG, 0);
        let got = read_full(&mut self.inner, &mut self.buf)?;
        if got < TAG {
            return Err(invalid(SealError::Malformed("truncated")));
        }
        let last = got < self.chunk + TAG;
        if last {
            let mut extra = [0u8; 1];
            if read_full(&mut self.inner, &mut extra)? != 0 {
                return Err(invalid(SealError::Malformed("data after the last chunk")));
            }
        }
        self.buf.truncate(got);
        let tag = Tag::clone_from_slice(&self.buf[got - TAG..]);
        self.buf.truncate(got - TAG);
        let n = nonce(&self.prefix, self.counter, last);
        decrypt_chunk(&self.cipher, &n, &self.aad, &mut self.buf[..], &tag).map_err(invalid)?;
        self.counter = self.counter.wrapping_add(1);
        self.pos = 0;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for SealReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
