//! The key-encryption key (KEK): what unlocks the organisation keys.
//!
//! It comes from a passphrase through Argon2id (salt and costs stored with the keyring), or
//! from a key file holding 32 random bytes as 64 hex digits. Either file must be readable by
//! its owner only: a secret that other users of the machine can read is refused.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::SecretKey;
use crate::random::random_bytes;

/// Shortest passphrase accepted for a new keyring.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Argon2id costs and salt, stored with the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// 16 random bytes.
    pub salt: [u8; 16],
}

impl KdfParams {
    /// Fresh parameters: 64 MiB, 3 passes, 1 lane (the second recommended option of RFC 9106
    /// §4), and a new salt.
    pub fn recommended() -> Result<Self, KeySourceError> {
        Ok(Self {
            m_cost: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
            salt: random_bytes().map_err(|e| KeySourceError::Kdf(e.to_string()))?,
        })
    }
}

/// Why the key source could not be read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeySourceError {
    /// The file is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Group or others may read the file.
    #[error("{path} is readable by other users (mode {mode:04o}); run `chmod 600 {path}`")]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file does not hold 64 hex digits.
    #[error("{0} is not a gawah key file (expected 64 hex digits)")]
    BadKeyFile(PathBuf),
    /// The passphrase is empty or too short.
    #[error("the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")]
    WeakPassphrase,
    /// A key file to be created already exists.
    #[error("{0} already exists; refusing to overwrite a key file")]
    Exists(PathBuf),
    /// Argon2id failed (bad parameters).
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

/// What unlocks the keyring.
pub enum KeySource {
    /// A passphrase, stretched with Argon2id.
    Passphrase(Zeroizing<String>),
    /// 32 random bytes from a key file.
    KeyFile(SecretKey),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Passphrase(_) => f.write_str("KeySource::Passphrase(<redacted>)"),
            Self::KeyFile(_) => f.write_str("KeySource::KeyFile(<redacted>)"),
        }
    }
}

fn read_private(path: &Path) -> Result<Zeroizing<String>, KeySourceError> {
    let read = |source| KeySourceError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = fs::metadata(path).map_err(read)?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeySourceError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(Zeroizing::new(fs::read_to_string(path).map_err(read)?))
}

impl KeySource {
    /// The passphrase in `path` (one line; a final newline is not part of it).
    pub fn passphrase_file(path: &Path) -> Result<Self, KeySourceError> {
        let text = read_private(path)?;
        let line = text.strip_suffix('\n').unwrap_or(&text);
        let line = line.strip_suffix('\r').unwrap_or(line);
        Ok(Self::Passphrase(Zeroizing::new(line.to_owned())))
    }

    /// The key in key file `path`.
    pub fn key_file(path: &Path) -> Result<Self, KeySourceError> {
        let text = read_private(path)?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), &mut bytes[..])
            .map_err(|_| KeySourceError::BadKeyFile(path.to_owned()))?;
        Ok(Self::KeyFile(SecretKey::from_bytes(*bytes)))
    }

    /// Creates a new key file at `path` (mode 0600, never overwriting) and returns its key.
    pub fn create_key_file(path: &Path) -> Result<Self, KeySourceError> {
        let key =
            Zeroizing::new(random_bytes::<32>().map_err(|e| KeySourceError::Kdf(e.to_string()))?);
        let mut text = Zeroizing::new(hex::encode(&key[..]));
        text.push('\n');
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => KeySourceError::Exists(path.to_owned()),
                _ => KeySourceError::Read {
                    path: path.to_owned(),
                    source,
                },
            })?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|source| KeySourceError::Read {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self::KeyFile(SecretKey::from_bytes(*key)))
    }

    /// Refuses a passphrase too short for a new keyring.
    pub fn check_strength(&self) -> Result<(), KeySourceError> {
        match self {
            Self::Passphrase(p) if p.chars().count() < MIN_PASSPHRASE_CHARS => {
                Err(KeySourceError::WeakPassphrase)
            }
            _ => Ok(()),
        }
    }

    /// Whether this source is a passphrase (needs [`KdfParams`]).
    pub fn is_passphrase(&self) -> bool {
        matches!(self, Self::Passphrase(_))
    }

    /// The KEK: Argon2id of the passphrase with `params`, or the key file's key.
    pub fn derive(&self, params: &KdfParams) -> Result<SecretKey, KeySourceError> {
        match self {
            Self::KeyFile(k) => Ok(k.clone()),
            Self::Passphrase(p) => {
                let argon = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    argon2::Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))
                        .map_err(|e| KeySourceError::Kdf(e.to_string()))?,
                );
                let mut out = Zeroizing::new([0u8; 32]);
                argon
                    .hash_password_into(p.as_bytes(), &params.salt, &mut out[..])
                    .map_err(|e| KeySourceError::Kdf(e.to_string()))?;
                Ok(SecretKey::from_bytes(*out))
            }
        }
    }
}
