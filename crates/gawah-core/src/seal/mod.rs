//! Envelope encryption of confidential data.
//!
//! ```text
//! passphrase --Argon2id--> KEK  (or a 32-byte key file used as the KEK)
//! KEK        seals         organisation keys   (one per organisation, versioned for rotation)
//! org key    wraps         data keys           (one per record: incident, person, testimony, file)
//! data key   seals         confidential fields and files
//! ```
//!
//! Every sealed value is XChaCha20-Poly1305 with a random 24-byte nonce and associated data
//! that binds it to where it lives ([`Binding`]: table, column, record id), so a ciphertext
//! copied to another row or column fails to open, and a flipped bit fails to open.
//! Destroying a record's wrapped data key makes everything sealed under it unrecoverable
//! (crypto-shredding) without touching the log, which holds only commitments.
//!
//! Secrets live in [`SecretKey`], zeroized on drop and redacted in `Debug`.
//!
//! # Layout
//! - [`field`]: sealing small values ([`seal`], [`open`]) and wrapping keys.
//! - [`stream`]: sealing files in fixed-size chunks with constant memory.
//! - [`kek`]: deriving the key-encryption key from a passphrase or a key file.
//! - [`partial`]: resumable uploads' partial files, encrypted at any offset as they arrive.

pub mod field;
pub mod kek;
pub mod partial;
pub mod stream;

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::random::{RandomError, random_bytes};

pub use field::{Binding, open, seal};
pub use kek::{KdfParams, KeySource, KeySourceError};
pub use stream::{SealReader, SealWriter};

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// Wrong key, wrong place (table, column or record) or altered bytes: AEAD refused it.
    #[error("sealed data does not open: wrong key, moved from another row, or altered")]
    Refused,
    /// Not in a format this version reads.
    #[error("sealed data is malformed: {0}")]
    Malformed(&'static str),
    /// The random generator failed.
    #[error("{0}")]
    Random(String),
}

impl From<RandomError> for SealError {
    fn from(e: RandomError) -> Self {
        Self::Random(e.to_string())
    }
}

/// A 256-bit symmetric key: zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A fresh key from the OS random generator.
    pub fn random() -> Result<Self, SealError> {
        Ok(Self(random_bytes()?))
    }

    /// A key from bytes (the caller zeroizes its copy).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes, for the cipher.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests;
