//! Partial files of resumable uploads, encrypted as their bytes arrive.
//!
//! A resumable upload appends at whatever offset the client resumes from, so its partial file
//! cannot be sealed in fixed chunks like a finished blob. It is encrypted with the XChaCha20
//! keystream at each byte's offset instead (a seekable stream cipher), under the upload's own
//! data key and a nonce derived from its id: no plaintext reaches the disk. It is not
//! authenticated; when the upload completes, the partial file is decrypted and sealed with
//! authentication into the blob store (see [`stream`](super::stream)), and the upload's key is
//! destroyed. Rewriting a range (a client resending bytes after an interruption) reuses the
//! keystream for that range; the bytes resent are the same bytes, so nothing more is revealed.

use chacha20::XChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use sha2::{Digest, Sha256};

use super::SecretKey;

/// The keystream of upload `id` under `key`.
pub struct PartialCipher(XChaCha20);

impl std::fmt::Debug for PartialCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PartialCipher(<redacted>)")
    }
}

impl PartialCipher {
    /// The cipher of upload `id`.
    pub fn new(key: &SecretKey, id: &str) -> Self {
        let mut domain = Sha256::new();
        domain.update(b"gawah-partial/v1\0");
        domain.update(id.as_bytes());
        let digest = domain.finalize();
        let nonce: [u8; 24] = digest[..24].try_into().expect("32 > 24");
        Self(XChaCha20::new(key.bytes().into(), &nonce.into()))
    }

    /// Encrypts (or decrypts: the same operation) `buf`, which sits at `offset` of the file.
    #[inline(never)]
    pub fn apply_at(&mut self, offset: u64, buf: &mut [u8]) {
        self.0.seek(offset);
        self.0.apply_keystream(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_split_of_the_file_encrypts_alike_and_decrypts_back() {
        let key = SecretKey::random().unwrap();
        let plain: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut whole = plain.clone();
        PartialCipher::new(&key, "upl_1").apply_at(0, &mut whole);
        assert_ne!(whole, plain);
        // Appended in uneven pieces, resumed by a new cipher each time.
        let mut pieces = plain.clone();
        let mut at = 0;
        for len in [1, 63, 64, 4097, 30_000, 65_775] {
            PartialCipher::new(&key, "upl_1").apply_at(at as u64, &mut pieces[at..at + len]);
            at += len;
        }
        assert_eq!(pieces, whole);
        PartialCipher::new(&key, "upl_1").apply_at(0, &mut whole);
        assert_eq!(whole, plain);
        // Another upload's stream differs.
        let mut other = plain.clone();
        PartialCipher::new(&key, "upl_2").apply_at(0, &mut other);
        assert_ne!(&other[..32], &pieces[..32]);
    }
}
