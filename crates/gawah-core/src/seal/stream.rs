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
//!
//! [`SealWriter`] seals whatever is written to it; [`ChunkSealer`] seals chunks in place in
//! buffers the caller owns (one chunk's slot is its plaintext followed by room for its tag),
//! so a pipeline can read, seal and write the same buffer on different threads without a copy.

use std::io::{self, Read, Write};

use chacha20::cipher::consts::U10;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{Binding, SealError, SecretKey};
use crate::random::random_bytes;

const MAGIC: &[u8; 5] = b"GWSF\x01";
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// Bytes of each chunk's authentication tag.
pub const TAG: usize = 16;
/// Bytes of a full chunk sealed: its plaintext and its tag.
pub const SEALED_CHUNK: usize = CHUNK + TAG;
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

/// The cipher that seals a stream's chunks: XChaCha20-Poly1305 computed as its definition
/// says (draft-irtf-cfrg-xchacha, §2.3): ChaCha20-Poly1305 (RFC 8439) under the subkey
/// HChaCha20(key, first 16 bytes of the nonce), with the nonce `0000 ‖ last 8 bytes`.
///
/// Every chunk's 24-byte nonce starts with the stream's 19-byte prefix, so the subkey is the
/// same for all of a stream's chunks and is made once. The ChaCha20-Poly1305 is ring's
/// (assembly that computes ChaCha20 and Poly1305 in one pass), about twice as fast on x86-64
/// as `chacha20poly1305`'s two passes; the bytes are the same: a test compares every chunk
/// with `chacha20poly1305::XChaCha20Poly1305`, which [`SealReader`] opens them with.
struct ChunkCipher {
    key: ring::aead::LessSafeKey,
    /// Bytes 16..19 of the prefix, the first of the ChaCha20 nonce after its 4 zero bytes.
    tail: [u8; PREFIX - 16],
}

impl ChunkCipher {
    fn new(key: &SecretKey, prefix: &[u8; PREFIX]) -> Self {
        let head: [u8; 16] = prefix[..16].try_into().expect("19 > 16");
        let subkey = Zeroizing::new(<[u8; 32]>::from(chacha20::hchacha::<U10>(
            key.bytes().into(),
            &head.into(),
        )));
        let unbound = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &subkey[..])
            .expect("a ChaCha20-Poly1305 key is 32 bytes");
        Self {
            key: ring::aead::LessSafeKey::new(unbound),
            tail: prefix[16..].try_into().expect("3 bytes"),
        }
    }

    /// Seals one chunk in place; returns its tag. `counter` and `last` as in [`nonce`].
    fn seal(
        &self,
        counter: u32,
        last: bool,
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG], SealError> {
        let mut n = [0u8; 12];
        n[4..7].copy_from_slice(&self.tail);
        n[7..11].copy_from_slice(&counter.to_be_bytes());
        n[11] = u8::from(last);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(n),
                ring::aead::Aad::from(aad),
                buf,
            )
            .map_err(|_| SealError::Malformed("chunk too long"))?;
        let mut out = [0u8; TAG];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }
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

/// Seals a stream chunk by chunk, in place, in the caller's buffers: the same format as
/// [`SealWriter`], which is built on it.
///
/// The caller writes [`header`](ChunkSealer::header) first, then each chunk's slot after
/// [`seal`](ChunkSealer::seal) in the order sealed. The chunk rules of the format are enforced
/// here: a full slot ([`SEALED_CHUNK`] bytes) is never the last chunk; a shorter one is, and
/// nothing can be sealed after it.
pub struct ChunkSealer {
    cipher: ChunkCipher,
    aad: Vec<u8>,
    prefix: [u8; PREFIX],
    counter: u32,
    finished: bool,
}

impl std::fmt::Debug for ChunkSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSealer")
            .field("counter", &self.counter)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl ChunkSealer {
    /// Starts a sealed stream under `key`, bound to `at`, with a new random nonce prefix.
    pub fn new(key: &SecretKey, at: Binding<'_>) -> io::Result<Self> {
        let prefix: [u8; PREFIX] = random_bytes().map_err(io::Error::other)?;
        Ok(Self {
            cipher: ChunkCipher::new(key, &prefix),
            aad: at.aad(),
            prefix,
            counter: 0,
            finished: false,
        })
    }

    /// The stream's header, to be written before the first chunk.
    pub fn header(&self) -> [u8; HEADER] {
        let mut h = [0u8; HEADER];
        h[..MAGIC.len()].copy_from_slice(MAGIC);
        h[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&(CHUNK as u32).to_be_bytes());
        h[MAGIC.len() + 4..].copy_from_slice(&self.prefix);
        h
    }

    /// Seals the next chunk in place. `slot` holds the chunk's plaintext followed by [`TAG`]
    /// bytes of room; on return it holds the sealed chunk, ready to be written. A slot of
    /// [`SEALED_CHUNK`] bytes is a full chunk; a shorter one (at least [`TAG`] bytes) is the
    /// last chunk of the stream.
    pub fn seal(&mut self, slot: &mut [u8]) -> io::Result<()> {
        if self.finished {
            return Err(invalid(SealError::Malformed("chunk after the last")));
        }
        if slot.len() < TAG || slot.len() > SEALED_CHUNK {
            return Err(invalid(SealError::Malformed("bad chunk slot")));
        }
        let last = slot.len() < SEALED_CHUNK;
        // A full chunk must leave a counter for the chunk after it (at least the last).
        let next = match self.counter.checked_add(1) {
            Some(c) => c,
            None if last => self.counter,
            None => return Err(invalid(SealError::Malformed("file too large to seal"))),
        };
        let (data, tag_room) = slot.split_at_mut(slot.len() - TAG);
        let tag = self
            .cipher
            .seal(self.counter, last, &self.aad, data)
            .map_err(invalid)?;
        tag_room.copy_from_slice(&tag);
        self.counter = next;
        self.finished = last;
        Ok(())
    }

    /// Whether the last chunk has been sealed.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// Seals everything written to it into `inner`; call [`finish`](SealWriter::finish) at the end.
pub struct SealWriter<W: Write> {
    inner: W,
    sealer: ChunkSealer,
    /// The chunk being filled (plaintext), then sealed with its tag in place.
    buf: Zeroizing<Vec<u8>>,
}

impl<W: Write> std::fmt::Debug for SealWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealWriter")
            .field("counter", &self.sealer.counter)
            .finish_non_exhaustive()
    }
}

impl<W: Write> SealWriter<W> {
    /// Starts a sealed stream in `inner` under `key`, bound to `at`; writes the header.
    pub fn new(mut inner: W, key: &SecretKey, at: Binding<'_>) -> io::Result<Self> {
        let sealer = ChunkSealer::new(key, at)?;
        inner.write_all(&sealer.header())?;
        Ok(Self {
            inner,
            sealer,
            buf: Zeroizing::new(Vec::with_capacity(SEALED_CHUNK)),
        })
    }

    fn seal_chunk(&mut self) -> io::Result<()> {
        let len = self.buf.len() + TAG;
        self.buf.resize(len, 0);
        self.sealer.seal(&mut self.buf[..])?;
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Seals the last chunk and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk()?;
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
            self.seal_chunk()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Seals `data` with a [`ChunkSealer`] into one buffer, as a pipeline would.
    fn seal_chunks(sealer: &mut ChunkSealer, data: &[u8]) -> Vec<u8> {
        let mut out = sealer.header().to_vec();
        let mut rest = data;
        loop {
            let n = rest.len().min(CHUNK);
            let mut slot = rest[..n].to_vec();
            slot.resize(n + TAG, 0);
            // A full chunk when data remains or ends exactly here: then an empty last follows.
            sealer.seal(&mut slot).unwrap();
            out.extend_from_slice(&slot);
            rest = &rest[n..];
            if n < CHUNK {
                return out;
            }
        }
    }

    #[test]
    fn chunks_are_exactly_xchacha20_poly1305_of_the_format() {
        let key = SecretKey::random().unwrap();
        let at = Binding::new("blobs", "content", "item-1");
        let aad = at.aad();
        let reference = XChaCha20Poly1305::new(key.bytes().into());
        for len in [
            0,
            1,
            15,
            16,
            17,
            63,
            64,
            65,
            1000,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            3 * CHUNK + 77,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 13 % 256) as u8).collect();
            let mut sealer = ChunkSealer::new(&key, at).unwrap();
            let sealed = seal_chunks(&mut sealer, &data);
            assert!(sealer.is_finished());
            assert_eq!(sealed.len() as u64, sealed_len(len as u64));
            // The same bytes from chacha20poly1305's XChaCha20-Poly1305, chunk by chunk.
            let mut expected = sealer.header().to_vec();
            let chunks = len / CHUNK + 1;
            for (i, start) in (0..chunks).map(|i| (i, i * CHUNK)) {
                let end = (start + CHUNK).min(len);
                let mut buf = data[start..end].to_vec();
                let n = nonce(&sealer.prefix, i as u32, i + 1 == chunks);
                let tag = reference
                    .encrypt_in_place_detached(&n, &aad, &mut buf)
                    .unwrap();
                expected.extend_from_slice(&buf);
                expected.extend_from_slice(&tag);
            }
            assert_eq!(sealed, expected, "length {len}");
            let mut back = Vec::new();
            SealReader::new(&sealed[..], &key, at)
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data);
        }
    }

    #[test]
    fn the_chunk_rules_are_enforced() {
        let key = SecretKey::random().unwrap();
        let at = Binding::new("blobs", "content", "item-2");
        let mut sealer = ChunkSealer::new(&key, at).unwrap();
        assert!(
            sealer.seal(&mut [0u8; TAG - 1]).is_err(),
            "no room for the tag"
        );
        assert!(
            sealer.seal(&mut vec![0u8; SEALED_CHUNK + 1]).is_err(),
            "too long"
        );
        sealer.seal(&mut vec![0u8; SEALED_CHUNK]).unwrap();
        assert!(!sealer.is_finished(), "a full chunk is never the last");
        sealer.seal(&mut [0u8; TAG + 3]).unwrap();
        assert!(sealer.is_finished());
        assert!(
            sealer.seal(&mut [0u8; TAG]).is_err(),
            "nothing after the last"
        );
        assert!(sealer.seal(&mut vec![0u8; SEALED_CHUNK]).is_err());
        // Two streams under one key never share a nonce prefix (random, 152 bits).
        let other = ChunkSealer::new(&key, at).unwrap();
        assert_ne!(other.header(), sealer.header());
    }

    #[test]
    fn the_counter_cannot_wrap() {
        let key = SecretKey::random().unwrap();
        let mut sealer = ChunkSealer::new(&key, Binding::new("blobs", "content", "x")).unwrap();
        sealer.counter = u32::MAX;
        assert!(sealer.seal(&mut vec![0u8; SEALED_CHUNK]).is_err());
        sealer.seal(&mut [0u8; TAG]).unwrap();
        assert!(sealer.is_finished());
    }
}
