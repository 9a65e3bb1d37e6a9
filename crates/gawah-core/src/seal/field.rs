//! Sealing small values (fields, keys) with XChaCha20-Poly1305.
//!
//! Format: `0x01 ‖ nonce (24 random bytes) ‖ ciphertext ‖ tag (16 bytes)`; the associated data
//! is [`Binding::aad`]. A random 192-bit nonce never repeats in practice, so one key can seal
//! any number of values.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{SealError, SecretKey};
use crate::random::random_bytes;

const VERSION: u8 = 1;
const NONCE: usize = 24;
const TAG: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const OVERHEAD: usize = 1 + NONCE + TAG;
const DOMAIN: &[u8] = b"gawah-seal/v1";

/// Where a sealed value lives: it opens only there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    /// The table (or kind of thing) holding it.
    pub table: &'a str,
    /// The column (or field) holding it.
    pub column: &'a str,
    /// The record it belongs to (its id, with a version where there are several).
    pub record: &'a str,
}

impl<'a> Binding<'a> {
    /// A binding to `table.column` of `record`.
    pub fn new(table: &'a str, column: &'a str, record: &'a str) -> Self {
        Self {
            table,
            column,
            record,
        }
    }

    /// The associated data: the domain and each part, length-prefixed so that no two
    /// bindings encode alike.
    pub fn aad(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            DOMAIN.len() + 12 + self.table.len() + self.column.len() + self.record.len(),
        );
        for part in [
            DOMAIN,
            self.table.as_bytes(),
            self.column.as_bytes(),
            self.record.as_bytes(),
        ] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }
}

fn cipher(key: &SecretKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.bytes().into())
}

/// Seals `plaintext` under `key`, bound to `at`.
pub fn seal(key: &SecretKey, at: Binding<'_>, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let nonce: [u8; NONCE] = random_bytes()?;
    let aad = at.aad();
    let ct = cipher(key)
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| SealError::Malformed("plaintext too long"))?;
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens a value sealed by [`seal`] under `key` at `at`.
pub fn open(
    key: &SecretKey,
    at: Binding<'_>,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < OVERHEAD {
        return Err(SealError::Malformed("too short"));
    }
    if sealed[0] != VERSION {
        return Err(SealError::Malformed("unknown version"));
    }
    let (nonce, ct) = sealed[1..].split_at(NONCE);
    let aad = at.aad();
    cipher(key)
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Refused)
}

/// Wraps `key` under `wrapping`, bound to `at`.
pub fn wrap_key(
    wrapping: &SecretKey,
    at: Binding<'_>,
    key: &SecretKey,
) -> Result<Vec<u8>, SealError> {
    seal(wrapping, at, key.bytes())
}

/// Unwraps a key wrapped by [`wrap_key`].
pub fn unwrap_key(
    wrapping: &SecretKey,
    at: Binding<'_>,
    wrapped: &[u8],
) -> Result<SecretKey, SealError> {
    let bytes = open(wrapping, at, wrapped)?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| SealError::Malformed("a wrapped key is not 32 bytes"))?;
    Ok(SecretKey::from_bytes(arr))
}
