//! Credentials: Argon2id passwords, random secrets stored only as their SHA-256, TOTP
//! (RFC 6238) second factors, lockout after repeated failures.
//!
//! Password hashing runs in a bounded pool of reused Argon2 memory (`argon_pool`), so that
//! the server's memory stays flat under logins and at most one hash per core runs at once;
//! `hash_password` and `verify_password` may therefore wait, and are called off the async
//! runtime.

mod argon_pool;
mod password;

pub use password::{dummy_hash, hash_password, hashing_turn, verify_password};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use gawah_core::Timestamp;
use gawah_core::random::random_bytes;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Failed logins before a member is locked.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// How long a lock lasts.
pub const LOCK_MILLIS: i64 = 15 * 60 * 1000;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// Why a credential operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The password is too short or too long.
    #[error("the password must be {MIN_PASSWORD} to 1024 characters")]
    WeakPassword,
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// No randomness.
    #[error(transparent)]
    Random(#[from] gawah_core::random::RandomError),
}

/// A new random secret (session or API token), URL-safe, 256 bits.
pub fn new_secret() -> Result<String, AuthError> {
    Ok(B64URL.encode(random_bytes::<32>()?))
}

/// What is stored of a secret: its SHA-256.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // `black_box` keeps the optimiser from turning the fold into an early-exit comparison.
    std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

/// The RFC 6238 TOTP code (HMAC-SHA1, 30-second steps, 6 digits) at time `t`.
pub fn totp(secret: &[u8], t: Timestamp) -> u32 {
    let step = (t.millis().max(0) / 1000 / 30) as u64;
    hotp(secret, step)
}

fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return u32::MAX; // HMAC takes keys of any length; this cannot happen
    };
    mac.update(&counter.to_be_bytes());
    let d = mac.finalize().into_bytes();
    let off = (d[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([d[off] & 0x7f, d[off + 1], d[off + 2], d[off + 3]]);
    bin % 1_000_000
}

/// Whether `code` is the TOTP code now, or one step before or after (clock drift).
pub fn verify_totp(secret: &[u8], code: &str, now: Timestamp) -> bool {
    let code = gawah_core::calendar::to_ascii_digits(code.trim());
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // Every window is computed and compared, each in constant time, so the answer's timing
    // tells nothing of how close a guess came or which window matched.
    [-30_000i64, 0, 30_000].iter().fold(false, |ok, d| {
        let expected = format!(
            "{:06}",
            totp(secret, Timestamp::from_millis(now.millis() + d))
        );
        ok | constant_time_eq(expected.as_bytes(), code.as_bytes())
    })
}

/// A fresh TOTP secret (160 bits, as RFC 4226 recommends).
pub fn new_totp_secret() -> Result<Vec<u8>, AuthError> {
    Ok(random_bytes::<20>()?.to_vec())
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((n >> (35 - i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app scans.
pub fn totp_uri(issuer: &str, username: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}",
        enc(issuer),
        enc(username),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 rows, truncated to 6 digits.
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(
                totp(secret, Timestamp::from_millis(t * 1000)),
                code,
                "t={t}"
            );
        }
    }

    #[test]
    fn totp_accepts_neighbouring_steps_only() {
        let secret = b"12345678901234567890";
        let now = Timestamp::from_millis(1_111_111_111_000);
        assert!(verify_totp(secret, "050471", now));
        assert!(!verify_totp(secret, "050472", now));
        assert!(!verify_totp(secret, "50471", now));
        assert!(!verify_totp(secret, "０50471", now));
        assert!(
            verify_totp(secret, "۰۵۰۴۷۱", now),
            "Persian digits from a Dari keyboard"
        );
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterx", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", dummy_hash()));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert!(
            constant_time_eq(b"abc", b"abc")
                && !constant_time_eq(b"abc", b"abd")
                && !constant_time_eq(b"ab", b"abc")
        );
    }
}
