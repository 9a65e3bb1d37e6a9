//! Argon2id password hashes as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`),
//! computed in the memory of a process-wide [`ArgonPool`] rather than a fresh 19 MiB
//! allocation per hash (see `argon_pool` for why).
//!
//! The argon2 crate's `PasswordHasher`/`PasswordVerifier` always allocate, so the PHC string is
//! assembled and taken apart here, with the crate's own types; the format is exactly the one
//! those traits produced, so hashes stored before verify unchanged (the known-answer test
//! below holds both to the same string).

use std::num::NonZeroUsize;
use std::sync::LazyLock;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use gawah_core::random::random_bytes;

use super::argon_pool::ArgonPool;
use super::{AuthError, MIN_PASSWORD};
use tokio::sync::{Semaphore, SemaphorePermit};

/// OWASP's recommended Argon2id settings: 19 MiB, 2 passes, 1 lane (32-byte output).
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

/// The process's Argon2 memory: one slot per core, since more hashes at once than cores would
/// only share the CPU while each holding 19 MiB. Slots are allocated on first use.
static POOL: LazyLock<ArgonPool> = LazyLock::new(|| ArgonPool::new(slots(), M_COST as usize));

/// Turns at the pool for async callers, one per slot (see [`hashing_turn`]).
static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(slots()));

fn slots() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Waits, on the async side, for a turn to hash: hold it while a blocking thread calls
/// [`verify_password`] or [`hash_password`]. With a turn in hand a slot of the pool is free
/// (the web app's hashes all take turns), so a flood of logins queues here, holding no
/// thread, instead of parking the runtime's blocking threads on the pool, which every
/// database read of every other request needs too.
pub async fn hashing_turn() -> Option<SemaphorePermit<'static>> {
    // `acquire` fails only on a closed semaphore, and this one is never closed.
    TURNS.acquire().await.ok()
}

fn params() -> Result<Params, AuthError> {
    Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN))
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// An Argon2id PHC string for `password`, with a fresh random 16-byte salt. Blocks the thread
/// while every slot of the pool is in use: call it off the async runtime.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let len = password.chars().count();
    if !(MIN_PASSWORD..=1024).contains(&len) {
        return Err(AuthError::WeakPassword);
    }
    let salt: [u8; 16] = random_bytes()?;
    hash_with_salt(&POOL, password, &salt)
}

/// Whether `password` matches the PHC string; the hash is compared in constant time. A
/// malformed hash, another algorithm, or one needing more memory than the pool holds never
/// matches. Blocks like [`hash_password`].
pub fn verify_password(password: &str, phc: &str) -> bool {
    verify_in(&POOL, password, phc).unwrap_or(false)
}

/// A PHC string that no password matches, to spend the same time on unknown usernames.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2c2u7dlkAwRmx2K8mEd5RnMUWEXiNn4JkfRtCHwUSb8"
}

/// The PHC string for `password` with this salt, hashed in `pool`'s memory.
fn hash_with_salt(pool: &ArgonPool, password: &str, salt: &[u8]) -> Result<String, AuthError> {
    let err = |e: &dyn std::fmt::Display| AuthError::Hash(e.to_string());
    let params = params()?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; OUTPUT_LEN];
    run(pool, &argon, password.as_bytes(), salt, &mut out).map_err(|e| err(&e))?;
    let salt = SaltString::encode_b64(salt).map_err(|e| err(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| err(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| err(&e))?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against the PHC string, with its own version and parameters.
fn verify_in(
    pool: &ArgonPool,
    password: &str,
    phc: &str,
) -> Result<bool, argon2::password_hash::Error> {
    use argon2::password_hash::Error;
    let parsed = PasswordHash::new(phc)?;
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return Err(Error::Algorithm);
    }
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)?;
    let params = Params::try_from(&parsed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(Error::PhcStringField);
    };
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let argon = Argon2::new(Algorithm::Argon2id, version, params);
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    run(pool, &argon, password.as_bytes(), salt, out).map_err(|e| {
        if e == argon2::Error::MemoryTooLittle {
            tracing::warn!("a stored password hash needs more memory than the pool holds");
        }
        Error::Crypto
    })?;
    // `Output`'s equality is constant-time (it compares with `subtle`).
    Ok(Output::new(out)? == expected)
}

/// One Argon2 hash into `out`, in memory leased from `pool` for exactly its duration: at most
/// as many hashes run at once as the pool has slots.
fn run(
    pool: &ArgonPool,
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    // Refuse before waiting for a slot that could not hold it anyway.
    if argon.params().block_count() > pool.blocks() {
        return Err(argon2::Error::MemoryTooLittle);
    }
    let mut lease = pool.lease();
    argon.hash_password_into_with_memory(password, salt, out, lease.memory())
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
