//! Full verification of a data dir from its stored bytes: the tree recomputed from every
//! entry, every checkpoint's signature and root, every item's commitment and blob.
//!
//! Nothing here trusts the stored head or tree nodes: they are compared against what the
//! entries recompute to.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::sync::mpsc;

use gawah_core::{Action, Commitment, LogEntry, Sha256Digest};
use gawah_log::{
    Frontier, Hash, HashReader, NodeId, NoteVerifier, StorageError, leaf_hash, node_hash,
    open_checkpoint, tree_root,
};
use sha2::{Digest, Sha256};

use crate::blob::{BlobError, BlobStore};
use crate::error::StoreError;
use crate::store::{ItemRecord, Store};

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyFailure {
    /// An index below the head has no entry.
    EntryMissing(u64),
    /// An entry is not a valid canonical entry.
    EntryMalformed {
        /// Its index.
        index: u64,
        /// Why.
        reason: String,
    },
    /// The head disagrees with the recomputed tree.
    HeadMismatch(String),
    /// The stored tree nodes disagree with the recomputed root.
    StoredTreeMismatch(String),
    /// A checkpoint's signature or text is bad.
    CheckpointInvalid {
        /// Size the stored row claims.
        size: u64,
        /// Why.
        reason: String,
    },
    /// A checkpoint signs a root the entries do not produce.
    CheckpointRootMismatch(u64),
    /// An item's blob is missing.
    BlobMissing {
        /// The item.
        item: String,
    },
    /// An item's blob does not hash to the recorded SHA-256, or has another size.
    BlobCorrupt {
        /// The item.
        item: String,
        /// The recorded SHA-256.
        expected: String,
        /// What the blob hashes to.
        got: String,
    },
    /// An item's record does not match its log entry.
    ItemEntryMismatch {
        /// The item.
        item: String,
        /// Why.
        reason: String,
    },
    /// Reading failed.
    ReadError(String),
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EntryMissing(i) => write!(f, "log entry {i} is missing"),
            Self::EntryMalformed { index, reason } => {
                write!(f, "log entry {index} is malformed: {reason}")
            }
            Self::HeadMismatch(why) => write!(f, "log head does not match the entries: {why}"),
            Self::StoredTreeMismatch(why) => {
                write!(f, "stored tree does not match the entries: {why}")
            }
            Self::CheckpointInvalid { size, reason } => {
                write!(f, "checkpoint for size {size} is invalid: {reason}")
            }
            Self::CheckpointRootMismatch(size) => {
                write!(
                    f,
                    "checkpoint for size {size} signs a root the stored entries do not produce"
                )
            }
            Self::BlobMissing { item } => write!(f, "blob of {item} is missing"),
            Self::BlobCorrupt {
                item,
                expected,
                got,
            } => {
                write!(
                    f,
                    "blob of {item} is altered: expected sha256 {expected}, got {got}"
                )
            }
            Self::ItemEntryMismatch { item, reason } => {
                write!(f, "{item} does not match its log entry: {reason}")
            }
            Self::ReadError(why) => write!(f, "read error: {why}"),
        }
    }
}

/// What verification found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Items checked.
    pub items: u64,
    /// Blob bytes hashed.
    pub blob_bytes: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The size the latest valid checkpoint signs.
    pub checkpoint_size: Option<u64>,
    /// Every failure found.
    pub failures: Vec<VerifyFailure>,
}

impl VerifyReport {
    /// Whether everything held.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Verifies the log, checkpoints, items and blobs.
pub fn verify_all(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    verifier: &NoteVerifier,
) -> VerifyReport {
    let mut report = VerifyReport::default();
    let checkpoints: Vec<(u64, String)> = match store.checkpoints() {
        Ok(c) => c.into_iter().map(|c| (c.size, c.note)).collect(),
        Err(e) => {
            report
                .failures
                .push(VerifyFailure::ReadError(e.to_string()));
            Vec::new()
        }
    };
    let wanted: Vec<u64> = checkpoints.iter().map(|(s, _)| *s).collect();
    let roots = match recompute(store, &wanted, &mut report) {
        Ok(r) => r,
        Err(e) => {
            report
                .failures
                .push(VerifyFailure::ReadError(e.to_string()));
            return report;
        }
    };
    check_checkpoints(&checkpoints, verifier, &roots, &mut report);
    if let Err(e) = check_items(store, blobs, &mut report) {
        report
            .failures
            .push(VerifyFailure::ReadError(e.to_string()));
    }
    report
}

/// Entries handed from the reading thread to the hashing one: their bytes back to back.
struct Chunk {
    data: Vec<u8>,
    /// Each entry's index and the end of its bytes in `data`.
    entries: Vec<(u64, usize)>,
}

/// Entries per chunk: large enough that handing over costs nothing per entry, small enough
/// (about 0.5 MB) to stay in cache.
const CHUNK_ENTRIES: usize = 4096;

impl Chunk {
    fn new() -> Self {
        Self {
            data: Vec::with_capacity(CHUNK_ENTRIES * 128),
            entries: Vec::with_capacity(CHUNK_ENTRIES),
        }
    }
}

/// The right edge of the tree being recomputed: the same merge rule as
/// [`Frontier::append`], without returning (and allocating) the completed subtrees, which
/// verification does not store. Roots are taken through [`Frontier`] itself.
#[derive(Default)]
struct Edge {
    size: u64,
    hashes: Vec<Hash>,
}

impl Edge {
    fn append(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0;
        while (self.size >> level) & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                unreachable!("the edge has one hash per set bit of its size");
            };
            hash = node_hash(&left, &hash);
            level += 1;
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    fn root(&self) -> Hash {
        // The edge's hashes are exactly the frontier's subtree roots, largest first.
        struct Hashes<'a>(&'a [Hash]);
        impl HashReader for Hashes<'_> {
            fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
                if ids.len() == self.0.len() {
                    Ok(self.0.to_vec())
                } else {
                    Err(StorageError("frontier size mismatch".into()))
                }
            }
        }
        Frontier::load(self.size, &Hashes(&self.hashes))
            .map(|f| f.root())
            .unwrap_or_else(|_| unreachable!("an edge of size n has one hash per set bit of n"))
    }
}

/// The hashing side of [`recompute`].
struct Recomputed {
    edge: Edge,
    /// Checkpoint sizes, ascending, and the first not yet reached.
    wanted: Vec<u64>,
    next_wanted: usize,
    roots: BTreeMap<u64, Hash>,
    missing: Vec<u64>,
    malformed: Vec<(u64, String)>,
}

impl Recomputed {
    fn note_root(&mut self) {
        while matches!(self.wanted.get(self.next_wanted), Some(&w) if w < self.edge.size) {
            self.next_wanted += 1;
        }
        if self.wanted.get(self.next_wanted) == Some(&self.edge.size) {
            self.roots.insert(self.edge.size, self.edge.root());
            self.next_wanted += 1;
        }
    }

    /// Appends zero leaves for missing entries until the tree has `size` leaves.
    fn fill_gap(&mut self, size: u64) {
        // A gap means entries were deleted; the recomputed tree then cannot match.
        while self.edge.size < size {
            self.missing.push(self.edge.size);
            self.edge.append([0u8; 32]);
            self.note_root();
        }
    }

    fn add(&mut self, idx: u64, bytes: &[u8]) {
        self.fill_gap(idx);
        if let Err(e) = LogEntry::check(bytes) {
            self.malformed.push((idx, e.to_string()));
        }
        self.edge.append(leaf_hash(bytes));
        self.note_root();
    }
}

/// Recomputes the tree from the entries; returns the root at each wanted size.
///
/// Two threads overlap: this one reads the entries from the store in chunks, a second one
/// checks each entry's canonical form and hashes it into the tree.
fn recompute(
    store: &dyn Store,
    wanted: &[u64],
    report: &mut VerifyReport,
) -> Result<BTreeMap<u64, Hash>, StoreError> {
    let head = store.head()?;
    let mut wanted = wanted.to_vec();
    wanted.sort_unstable();
    let mut tree = Recomputed {
        edge: Edge::default(),
        wanted,
        next_wanted: 0,
        roots: BTreeMap::new(),
        missing: Vec::new(),
        malformed: Vec::new(),
    };
    tree.note_root();
    let (read, tree) = std::thread::scope(|s| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Chunk>(4);
        let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
        let hasher = s.spawn(move || {
            for mut chunk in full_rx {
                let mut start = 0;
                for &(idx, end) in &chunk.entries {
                    tree.add(idx, &chunk.data[start..end]);
                    start = end;
                }
                chunk.data.clear();
                chunk.entries.clear();
                // The reader may have finished; then the chunk is simply dropped.
                let _ = empty_tx.send(chunk);
            }
            tree
        });
        let mut chunk = Chunk::new();
        let mut read = store.for_each_entry(0, u64::MAX, &mut |idx, bytes| {
            chunk.data.extend_from_slice(bytes);
            chunk.entries.push((idx, chunk.data.len()));
            if chunk.entries.len() >= CHUNK_ENTRIES {
                let next = empty_rx.try_recv().unwrap_or_else(|_| Chunk::new());
                full_tx
                    .send(std::mem::replace(&mut chunk, next))
                    .map_err(|_| StoreError::Database("the hashing thread stopped".into()))?;
            }
            Ok(())
        });
        if read.is_ok() && !chunk.entries.is_empty() {
            read = full_tx
                .send(chunk)
                .map_err(|_| StoreError::Database("the hashing thread stopped".into()));
        }
        drop(full_tx);
        let tree = hasher
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read, tree)
    });
    read?;
    let mut tree = tree;
    tree.fill_gap(head.size);
    let root = tree.edge.root();
    let size = tree.edge.size;
    report.entries = size;
    report
        .failures
        .extend(tree.missing.into_iter().map(VerifyFailure::EntryMissing));
    report.failures.extend(
        tree.malformed
            .into_iter()
            .map(|(index, reason)| VerifyFailure::EntryMalformed { index, reason }),
    );
    if size != head.size || root != head.root {
        report.failures.push(VerifyFailure::HeadMismatch(format!(
            "head is size {} root {}, entries give size {} root {}",
            head.size,
            hex::encode(head.root),
            size,
            hex::encode(root)
        )));
    }
    match tree_root(size, &store) {
        Ok(r) if r == root => {}
        Ok(_) => report.failures.push(VerifyFailure::StoredTreeMismatch(
            "stored nodes give another root".into(),
        )),
        Err(e) => report
            .failures
            .push(VerifyFailure::StoredTreeMismatch(e.to_string())),
    }
    Ok(tree.roots)
}

fn check_checkpoints(
    checkpoints: &[(u64, String)],
    verifier: &NoteVerifier,
    roots: &BTreeMap<u64, Hash>,
    report: &mut VerifyReport,
) {
    for (size, note) in checkpoints {
        report.checkpoints += 1;
        let cp = match open_checkpoint(note, verifier) {
            Ok((cp, _)) => cp,
            Err(e) => {
                report.failures.push(VerifyFailure::CheckpointInvalid {
                    size: *size,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if cp.size != *size {
            report.failures.push(VerifyFailure::CheckpointInvalid {
                size: *size,
                reason: format!("the note signs size {}", cp.size),
            });
        } else if roots.get(size) != Some(&cp.root) {
            report
                .failures
                .push(VerifyFailure::CheckpointRootMismatch(*size));
        } else {
            report.checkpoint_size = report.checkpoint_size.max(Some(*size));
        }
    }
}

fn check_items(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    let mut items = Vec::new();
    store.for_each_item(&mut |item| {
        items.push(item);
        Ok(())
    })?;
    for item in items {
        report.items += 1;
        if let Some(reason) = entry_mismatch(store, &item)? {
            report.failures.push(VerifyFailure::ItemEntryMismatch {
                item: item.id.to_string(),
                reason,
            });
        }
        check_blob(blobs, &item, report);
    }
    Ok(())
}

fn entry_mismatch(store: &dyn Store, item: &ItemRecord) -> Result<Option<String>, StoreError> {
    let bytes = match store.entry(item.log_index) {
        Ok(b) => b,
        Err(StoreError::NotFound(_)) => {
            return Ok(Some(format!("entry {} is missing", item.log_index)));
        }
        Err(e) => return Err(e),
    };
    let Ok(entry) = LogEntry::parse(&bytes) else {
        return Ok(Some(format!("entry {} is malformed", item.log_index)));
    };
    let expected = Commitment::new(&item.salt, &item.sha256);
    Ok(if entry.subject != item.id.as_str() {
        Some(format!(
            "entry {} is about {}",
            item.log_index, entry.subject
        ))
    } else if entry.action != Action::Intake {
        Some(format!("entry {} is not an intake", item.log_index))
    } else if entry.commitment != Some(expected) {
        Some("the commitment does not match the recorded sha256 and salt".into())
    } else {
        None
    })
}

fn check_blob(blobs: &dyn BlobStore, item: &ItemRecord, report: &mut VerifyReport) {
    let item_name = item.id.to_string();
    let mut reader = match blobs.open(&item.sha256) {
        Ok(r) => r,
        Err(BlobError::NotFound(_)) => {
            report
                .failures
                .push(VerifyFailure::BlobMissing { item: item_name });
            return;
        }
        Err(e) => {
            report
                .failures
                .push(VerifyFailure::ReadError(e.to_string()));
            return;
        }
    };
    match hash_stream(&mut reader) {
        Ok((digest, bytes)) => {
            report.blob_bytes += bytes;
            if digest != item.sha256 || bytes != item.bytes {
                report.failures.push(VerifyFailure::BlobCorrupt {
                    item: item_name,
                    expected: item.sha256.to_hex(),
                    got: format!("{} ({bytes} bytes)", digest.to_hex()),
                });
            }
        }
        Err(e) => report.failures.push(VerifyFailure::ReadError(format!(
            "blob of {item_name}: {e}"
        ))),
    }
}

/// SHA-256 and length of a stream, in constant memory.
pub fn hash_stream(reader: &mut dyn Read) -> io::Result<(Sha256Digest, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((Sha256Digest(hasher.finalize().into()), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recomputed_roots_match_the_frontier_at_every_wanted_size() {
        let mut tree = Recomputed {
            edge: Edge::default(),
            wanted: vec![0, 1, 3, 3, 6, 100],
            next_wanted: 0,
            roots: BTreeMap::new(),
            missing: Vec::new(),
            malformed: Vec::new(),
        };
        tree.note_root();
        let mut frontier = Frontier::empty();
        let mut expected = BTreeMap::from([(0, frontier.root())]);
        for i in 0..9u64 {
            let bytes = format!("entry {i}");
            if i == 4 {
                // A gap: entry 4 is missing, a zero leaf stands in for it.
                frontier.append([0u8; 32]);
            } else {
                tree.add(i, bytes.as_bytes());
                frontier.append(leaf_hash(bytes.as_bytes()));
            }
            if [1, 3, 6].contains(&frontier.size()) {
                expected.insert(frontier.size(), frontier.root());
            }
            if i != 4 {
                assert_eq!(tree.edge.root(), frontier.root());
            }
        }
        assert_eq!(tree.roots, expected);
        assert_eq!(tree.missing, vec![4]);
        assert_eq!(tree.malformed.len(), 8);
    }
}
