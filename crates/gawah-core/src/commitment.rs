//! Salted commitments: the only trace of content that ever enters the log.
//!
//! `commitment = SHA-256("gawah-commit/v1" ‖ salt ‖ SHA-256(content))`. The 32-byte salt is kept
//! with the record, never in the log, so that a known photo or document cannot be confirmed
//! from the public log by hashing it; whoever is handed the salt (a court, in a bundle) can check
//! the commitment.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::random::{RandomError, random_bytes};

const DOMAIN: &[u8] = b"gawah-commit/v1";

/// A SHA-256 digest of content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A string that is not 64 lowercase or uppercase hex digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a 32-byte hex value: {0:?}")]
pub struct HexError(pub String);

fn parse_hex32(s: &str) -> Result<[u8; 32], HexError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| HexError(s.chars().take(80).collect()))?;
    Ok(out)
}

impl FromStr for Sha256Digest {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, HexError> {
        parse_hex32(s).map(Self)
    }
}

/// The random salt of one commitment. Kept with the record; never logged.
#[derive(Clone, PartialEq, Eq, Zeroize)]
pub struct Salt(pub [u8; 32]);

impl Salt {
    /// A fresh salt from the OS random generator.
    pub fn random() -> Result<Self, RandomError> {
        random_bytes().map(Self)
    }

    /// Lowercase hex, as bundles carry it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Salt {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, HexError> {
        parse_hex32(s).map(Self)
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

/// A commitment to content, as it appears in a log entry (hex).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment(pub [u8; 32]);

impl Commitment {
    /// Commits to content whose SHA-256 is `content` under `salt`.
    pub fn new(salt: &Salt, content: &Sha256Digest) -> Self {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(salt.0);
        h.update(content.0);
        Self(h.finalize().into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Commitment {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, HexError> {
        parse_hex32(s).map(Self)
    }
}

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_matches_definition() {
        let salt = Salt([7u8; 32]);
        let content = Sha256Digest::of(b"photo bytes");
        let mut pre = b"gawah-commit/v1".to_vec();
        pre.extend_from_slice(&[7u8; 32]);
        pre.extend_from_slice(&content.0);
        assert_eq!(Commitment::new(&salt, &content).0, Sha256Digest::of(&pre).0);
    }

    #[test]
    fn different_salts_hide_equal_content() {
        let content = Sha256Digest::of(b"same");
        let a = Commitment::new(&Salt::random().unwrap(), &content);
        let b = Commitment::new(&Salt::random().unwrap(), &content);
        assert_ne!(a, b);
    }

    #[test]
    fn hex_round_trip_and_rejects() {
        let d = Sha256Digest::of(b"x");
        assert_eq!(d.to_hex().parse::<Sha256Digest>().unwrap(), d);
        assert!("abc".parse::<Sha256Digest>().is_err());
        assert!("zz".repeat(32).parse::<Sha256Digest>().is_err());
        assert_eq!(format!("{:?}", Salt([1; 32])), "Salt(..)");
    }
}
