//! The operating system's random generator, the only source of randomness in gawah.
//!
//! A failure to read randomness is not recoverable in any safe way (a salt or key made of
//! predictable bytes would defeat its purpose), so it is reported as an error the caller must
//! propagate rather than papered over.

/// The OS could not provide random bytes.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random generator failed: {0}")]
pub struct RandomError(String);

/// Returns `N` bytes from the OS random generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
    Ok(buf)
}
