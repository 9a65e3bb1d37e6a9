//! The blob store: original files, kept byte for byte under their SHA-256, and sealed files
//! under the BLAKE3 of their sealed bytes.

use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

use gawah_core::Sha256Digest;
use sha2::Digest as _;

/// The hash a blob is addressed by; the writer computes it over the bytes as they stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlobHash {
    /// SHA-256: originals (a plain blob's key is the original's SHA-256, which proofs and
    /// bundles speak of), and sealed blobs written before BLAKE3 addressing.
    Sha256,
    /// BLAKE3: sealed blobs. Their address only has to name the stored bytes (the
    /// original's SHA-256 is kept sealed with the item), and BLAKE3 costs a quarter of
    /// SHA-256 on the same bytes, which sealed ingest would otherwise pay on every byte.
    Blake3,
}

impl BlobHash {
    /// The name stored with a blob's key (`sha256`, `blake3`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Blake3 => "blake3",
        }
    }

    /// The hash named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "blake3" => Some(Self::Blake3),
            _ => None,
        }
    }

    /// A hasher of this kind, for bytes streamed into a blob.
    pub fn hasher(self) -> BlobHasher {
        match self {
            Self::Sha256 => BlobHasher::Sha256(sha2::Sha256::new()),
            Self::Blake3 => BlobHasher::Blake3(Box::new(blake3::Hasher::new())),
        }
    }
}

/// Hashes a blob's bytes as they stream, with the blob's [`BlobHash`].
#[derive(Clone)]
pub enum BlobHasher {
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// BLAKE3 (boxed: its state is about 2 KiB).
    Blake3(Box<blake3::Hasher>),
}

impl fmt::Debug for BlobHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHasher({})", self.hash().name())
    }
}

impl BlobHasher {
    /// Which hash this is.
    pub fn hash(&self) -> BlobHash {
        match self {
            Self::Sha256(_) => BlobHash::Sha256,
            Self::Blake3(_) => BlobHash::Blake3,
        }
    }

    /// Hashes more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Blake3(h) => {
                h.update(bytes);
            }
        }
    }

    /// The key of the bytes hashed.
    pub fn finalize(self) -> BlobKey {
        match self {
            Self::Sha256(h) => BlobKey::from(Sha256Digest(h.finalize().into())),
            Self::Blake3(h) => BlobKey {
                hash: BlobHash::Blake3,
                digest: *h.finalize().as_bytes(),
            },
        }
    }
}

/// A blob's key: the hash it is addressed by and the digest of its bytes under that hash.
///
/// Written as text, a SHA-256 key is its 64 hex digits (as always) and a BLAKE3 key is
/// `blake3-` and its 64 hex digits, so the two never collide as names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey {
    hash: BlobHash,
    digest: [u8; 32],
}

impl BlobKey {
    /// The key of a blob whose bytes have `digest` under `hash`.
    pub fn new(hash: BlobHash, digest: [u8; 32]) -> Self {
        Self { hash, digest }
    }

    /// The hash the blob is addressed by.
    pub fn hash(&self) -> BlobHash {
        self.hash
    }

    /// The digest's 64 lowercase hex digits (without the hash's name).
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }

    /// The key whose digest is written `digest_hex` (64 lowercase hex digits: one key, one
    /// name), under `hash`; `None` for anything else.
    pub fn from_digest_hex(hash: BlobHash, digest_hex: &str) -> Option<Self> {
        if digest_hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut digest = [0u8; 32];
        hex::decode_to_slice(digest_hex, &mut digest).ok()?;
        Some(Self { hash, digest })
    }

    /// The SHA-256 this key is, if it is one.
    pub fn sha256(&self) -> Option<Sha256Digest> {
        (self.hash == BlobHash::Sha256).then_some(Sha256Digest(self.digest))
    }

    /// The key of `bytes` under `hash` (for tests and small blobs).
    pub fn of(hash: BlobHash, bytes: &[u8]) -> Self {
        let mut h = hash.hasher();
        h.update(bytes);
        h.finalize()
    }
}

impl From<Sha256Digest> for BlobKey {
    fn from(d: Sha256Digest) -> Self {
        Self {
            hash: BlobHash::Sha256,
            digest: d.0,
        }
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hash {
            BlobHash::Sha256 => f.write_str(&self.digest_hex()),
            BlobHash::Blake3 => write!(f, "blake3-{}", self.digest_hex()),
        }
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({self})")
    }
}

/// Text that is not a blob key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a blob key: {0:?}")]
pub struct BlobKeyError(pub String);

impl FromStr for BlobKey {
    type Err = BlobKeyError;
    fn from_str(s: &str) -> Result<Self, BlobKeyError> {
        let (hash, hex_digits) = match s.strip_prefix("blake3-") {
            Some(rest) => (BlobHash::Blake3, rest),
            None => (BlobHash::Sha256, s),
        };
        Self::from_digest_hex(hash, hex_digits)
            .ok_or_else(|| BlobKeyError(s.chars().take(80).collect()))
    }
}

/// What a committed write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobReceipt {
    /// The blob's key: the hash asked for, over the bytes written.
    pub key: BlobKey,
    /// Number of bytes written.
    pub bytes: u64,
}

impl BlobReceipt {
    /// The SHA-256 of the bytes written, for a writer created with [`BlobHash::Sha256`].
    pub fn sha256(&self) -> Result<Sha256Digest, BlobError> {
        self.key.sha256().ok_or_else(|| {
            BlobError::io(
                format!("blob {}", self.key),
                std::io::Error::other("the blob was not addressed by SHA-256"),
            )
        })
    }
}

/// What went wrong in the blob store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// No blob under that key.
    #[error("blob {0} not found")]
    NotFound(BlobKey),
    /// The backend failed; the message says where.
    #[error("blob store: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The backend could not be reached or did not answer (refused connection, timeout,
    /// interrupted transfer): nothing was acknowledged, and the same call may succeed later.
    #[error("blob store unavailable: {context}: {source}")]
    Unavailable {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The store is misconfigured (bad URL, missing credentials): retrying will not help.
    #[error("blob store configuration: {0}")]
    Config(String),
}

impl BlobError {
    pub(crate) fn io(context: impl fmt::Display, source: std::io::Error) -> Self {
        Self::Io {
            context: context.to_string(),
            source,
        }
    }

    /// Whether the same call may succeed if tried again later (the backend was unreachable),
    /// as opposed to a failure that will repeat (missing blob, refused access, bad config).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// Whether the write failed because the file system it writes to is full (or the
    /// writer's quota is spent): nothing was kept, and the same write succeeds only once
    /// space has been freed.
    pub fn is_storage_full(&self) -> bool {
        match self {
            Self::Io { source, .. } | Self::Unavailable { source, .. } => is_storage_full(source),
            _ => false,
        }
    }
}

/// Whether an I/O error says that the disk (or the quota) is full: `ENOSPC`, `EDQUOT`,
/// also when a writer on the way (the sealing stream) wrapped the file's error in its own.
pub fn is_storage_full(e: &std::io::Error) -> bool {
    let full = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        )
    };
    if full(e) {
        return true;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match e.get_ref() {
        Some(inner) => Some(inner),
        None => None,
    };
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>().is_some_and(full) {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A content-addressed store of immutable blobs.
///
/// Contract:
/// - **Durability**: once [`BlobWriter::commit`] returns `Ok`, the blob survives a crash or
///   power loss. Before that, nothing is visible under the key.
/// - **Batches**: blobs written through a [`BlobBatch`] are neither durable nor visible under
///   their keys when [`BatchWriter::finish`] returns (it only tells the key); they become
///   durable, and visible under their keys, together when [`BlobBatch::commit`] returns `Ok`.
///   A record naming a batched blob may be committed only after that. A crash or an error
///   before it leaves none of the batch's blobs under a key it does not hash to: at worst some
///   are in place, complete and unreferenced, the rest nowhere.
/// - **Integrity**: whatever is visible under a key, at any moment and after any crash, is
///   exactly the bytes that hash to that key under the key's hash (a blob's bytes are
///   durable before its name is written).
/// - **Addressing**: the writer hashes with the [`BlobHash`] it was created with; keys of
///   different hashes are different names, so a store holds blobs of both side by side.
/// - **Immutability**: an existing key is never overwritten; committing bytes whose key exists
///   keeps the existing blob (same key, so the same bytes) and discards the new copy.
/// - **Memory**: writes and reads stream; memory use does not grow with blob size.
/// - **Concurrency**: any number of writers and readers, in any number of processes, may use
///   one store at once.
/// - **Errors**: every error names the operation; a failed write leaves no partial blob.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Starts writing a new blob addressed by `hash`, made durable on its own by
    /// [`BlobWriter::commit`].
    fn create_with(&self, hash: BlobHash) -> Result<Box<dyn BlobWriter>, BlobError>;
    /// Starts writing a new blob addressed by its SHA-256 (an original).
    fn create(&self) -> Result<Box<dyn BlobWriter>, BlobError> {
        self.create_with(BlobHash::Sha256)
    }
    /// Starts a batch of blobs made durable together (cheaper per blob than
    /// [`create`](BlobStore::create) for many small blobs).
    fn batch(&self) -> Result<Box<dyn BlobBatch>, BlobError>;
    /// Opens a blob for reading.
    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError>;
    /// The size of a blob, or `None` if absent.
    fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError>;
    /// Every key in the store.
    fn keys(&self) -> Result<Vec<BlobKey>, BlobError>;
}

/// A boxed store is a store, so `Box<dyn BlobStore>` (what [`crate::DataDir::blobs`] opens)
/// goes wherever a store is expected.
impl<T: BlobStore + ?Sized> BlobStore for Box<T> {
    fn create_with(&self, hash: BlobHash) -> Result<Box<dyn BlobWriter>, BlobError> {
        (**self).create_with(hash)
    }
    fn batch(&self) -> Result<Box<dyn BlobBatch>, BlobError> {
        (**self).batch()
    }
    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError> {
        (**self).open(key)
    }
    fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        (**self).size(key)
    }
    fn keys(&self) -> Result<Vec<BlobKey>, BlobError> {
        (**self).keys()
    }
}

/// A blob being written. Dropping it without [`commit`](BlobWriter::commit) discards it.
pub trait BlobWriter: Write + Send {
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Makes the blob durable under the key of its bytes.
    fn commit(self: Box<Self>) -> Result<BlobReceipt, BlobError>;
}

/// Blobs made durable together. Dropping it without [`commit`](BlobBatch::commit) discards
/// every blob of the batch that is not yet in place.
pub trait BlobBatch: Send + fmt::Debug {
    /// Starts writing the next blob of the batch, addressed by `hash`.
    fn create_with(&mut self, hash: BlobHash) -> Result<Box<dyn BatchWriter + '_>, BlobError>;
    /// Starts writing the next blob of the batch, addressed by its SHA-256 (an original).
    fn create(&mut self) -> Result<Box<dyn BatchWriter + '_>, BlobError> {
        self.create_with(BlobHash::Sha256)
    }
    /// Number of blobs finished into the batch so far.
    fn len(&self) -> usize;
    /// Whether no blob has been finished into the batch.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Makes every finished blob of the batch durable under its key; returns their receipts
    /// in the order they were finished. Only after `Ok` may records naming them be committed.
    fn commit(self: Box<Self>) -> Result<Vec<BlobReceipt>, BlobError>;
}

/// A blob being written into a [`BlobBatch`]. Dropping it without
/// [`finish`](BatchWriter::finish) discards it.
pub trait BatchWriter: Write + Send {
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Ends the blob and adds it to its batch. Returns the key it will have; it is neither
    /// durable nor visible under that key until the batch commits.
    fn finish(self: Box<Self>) -> Result<BlobReceipt, BlobError>;
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::{BlobHash, BlobKey};

    #[test]
    fn keys_are_written_with_their_hash_and_read_back() {
        let sha = BlobKey::of(BlobHash::Sha256, b"abc");
        assert_eq!(
            sha.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let b3 = BlobKey::of(BlobHash::Blake3, b"abc");
        assert_eq!(
            b3.to_string(),
            "blake3-6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        for key in [sha, b3] {
            assert_eq!(key.to_string().parse::<BlobKey>(), Ok(key));
        }
        assert_eq!(
            sha.sha256().map(|d| d.to_hex()),
            Some(sha.digest_hex()),
            "a SHA-256 key is the SHA-256"
        );
        assert_eq!(b3.sha256(), None);
        for bad in [
            "",
            "blake3-",
            "blake3-6437",
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            "sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "blake3-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adff",
        ] {
            assert!(bad.parse::<BlobKey>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_full_disk_is_recognised_also_inside_another_error() {
        // 28 and 122 are ENOSPC and EDQUOT on Linux; 5 is EIO.
        assert!(super::is_storage_full(&io::Error::from_raw_os_error(28)));
        assert!(super::is_storage_full(&io::Error::from_raw_os_error(122)));
        let wrapped = io::Error::other(io::Error::from_raw_os_error(28));
        assert!(super::is_storage_full(&wrapped));
        assert!(!super::is_storage_full(&io::Error::other("disk gone")));
        assert!(!super::is_storage_full(&io::Error::from_raw_os_error(5)));
    }
}
