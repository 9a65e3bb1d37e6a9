//! Full verification of a data dir from its stored bytes: the tree recomputed from every
//! entry, every checkpoint's signature and root, every item's commitment and blob.
//!
//! Nothing here trusts the stored head or tree nodes: they are compared against what the
//! entries recompute to.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use gawah_core::{Action, Commitment, LogEntry};
use gawah_log::{Frontier, Hash, NoteVerifier, leaf_hash, open_checkpoint, tree_root};

use crate::blob::{BlobError, BlobHash, BlobKey, BlobStore};
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

/// Entries handed from the reading thread to the hashing one.
///
/// A chunk is either *raw*: the entries' bytes back to back, for the hashing thread to check
/// and hash; or *prepared*: the reading thread already checked each entry and hashed it as a
/// leaf, and only the leaf hashes travel. The reader prepares a chunk itself when the hashing
/// thread is behind, so the two threads share the per-entry work whatever each costs on the
/// machine at hand, and a prepared chunk saves copying the bytes.
struct Chunk {
    data: Vec<u8>,
    /// Raw: each entry's index and the end of its bytes in `data`.
    entries: Vec<(u64, usize)>,
    /// Prepared: each entry's index and leaf hash.
    leaves: Vec<(u64, Hash)>,
    /// Prepared: the entries that failed [`LogEntry::check`].
    malformed: Vec<(u64, String)>,
}

/// Entries per chunk: large enough that handing over costs nothing per entry, small enough
/// (about 0.5 MB) to stay in cache.
const CHUNK_ENTRIES: usize = 4096;

/// Chunks waiting for the hashing thread at which the reader starts preparing chunks itself.
const BACKLOG: usize = 2;

impl Chunk {
    fn new() -> Self {
        Self {
            data: Vec::with_capacity(CHUNK_ENTRIES * 128),
            entries: Vec::with_capacity(CHUNK_ENTRIES),
            leaves: Vec::with_capacity(CHUNK_ENTRIES),
            malformed: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.entries.len() + self.leaves.len()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.entries.clear();
        self.leaves.clear();
        self.malformed.clear();
    }

    fn push_raw(&mut self, idx: u64, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.entries.push((idx, self.data.len()));
    }

    fn push_prepared(&mut self, idx: u64, bytes: &[u8]) {
        if let Err(e) = LogEntry::check(bytes) {
            self.malformed.push((idx, e.to_string()));
        }
        self.leaves.push((idx, leaf_hash(bytes)));
    }
}

/// The hashing side of [`recompute`]: the tree's right edge and the roots it had at each
/// wanted size.
struct Recomputed {
    tree: Frontier,
    /// Checkpoint sizes, ascending, and the first not yet reached.
    wanted: Vec<u64>,
    next_wanted: usize,
    roots: BTreeMap<u64, Hash>,
    missing: Vec<u64>,
    malformed: Vec<(u64, String)>,
}

impl Recomputed {
    fn note_root(&mut self) {
        let size = self.tree.size();
        while matches!(self.wanted.get(self.next_wanted), Some(&w) if w < size) {
            self.next_wanted += 1;
        }
        if self.wanted.get(self.next_wanted) == Some(&size) {
            self.roots.insert(size, self.tree.root());
            self.next_wanted += 1;
        }
    }

    /// Appends zero leaves for missing entries until the tree has `size` leaves.
    fn fill_gap(&mut self, size: u64) {
        // A gap means entries were deleted; the recomputed tree then cannot match.
        while self.tree.size() < size {
            self.missing.push(self.tree.size());
            self.append_leaf(self.tree.size(), [0u8; 32]);
        }
    }

    fn append_leaf(&mut self, idx: u64, leaf: Hash) {
        self.fill_gap(idx);
        // Verification stores nothing: the completed subtrees are not needed.
        self.tree.append_with(leaf, |_, _| {});
        self.note_root();
    }

    #[cfg(test)]
    fn add(&mut self, idx: u64, bytes: &[u8]) {
        if let Err(e) = LogEntry::check(bytes) {
            self.malformed.push((idx, e.to_string()));
        }
        self.append_leaf(idx, leaf_hash(bytes));
    }

    fn add_chunk(&mut self, chunk: &mut Chunk) {
        let mut start = 0;
        for &(idx, end) in &chunk.entries {
            let bytes = &chunk.data[start..end];
            if let Err(e) = LogEntry::check(bytes) {
                self.malformed.push((idx, e.to_string()));
            }
            self.append_leaf(idx, leaf_hash(bytes));
            start = end;
        }
        for &(idx, leaf) in &chunk.leaves {
            self.append_leaf(idx, leaf);
        }
        self.malformed.append(&mut chunk.malformed);
    }
}

/// Recomputes the tree from the entries; returns the root at each wanted size.
///
/// Two threads overlap: this one reads the entries from the store in chunks, a second one
/// folds them into the tree; checking each entry's canonical form and hashing it as a leaf
/// is done by whichever of the two has time (see [`Chunk`]).
fn recompute(
    store: &dyn Store,
    wanted: &[u64],
    report: &mut VerifyReport,
) -> Result<BTreeMap<u64, Hash>, StoreError> {
    let head = store.head()?;
    let mut wanted = wanted.to_vec();
    wanted.sort_unstable();
    let mut tree = Recomputed {
        tree: Frontier::empty(),
        wanted,
        next_wanted: 0,
        roots: BTreeMap::new(),
        missing: Vec::new(),
        malformed: Vec::new(),
    };
    tree.note_root();
    let waiting = AtomicUsize::new(0);
    let (read, tree) = std::thread::scope(|s| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Chunk>(4);
        let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
        let waiting = &waiting;
        let hasher = s.spawn(move || {
            for mut chunk in full_rx {
                waiting.fetch_sub(1, Ordering::Relaxed);
                tree.add_chunk(&mut chunk);
                chunk.clear();
                // The reader may have finished; then the chunk is simply dropped.
                let _ = empty_tx.send(chunk);
            }
            tree
        });
        let send = |chunk: Chunk| {
            waiting.fetch_add(1, Ordering::Relaxed);
            full_tx
                .send(chunk)
                .map_err(|_| StoreError::Database("the hashing thread stopped".into()))
        };
        let mut chunk = Chunk::new();
        let mut prepare = false;
        let mut read = store.for_each_entry(0, u64::MAX, &mut |idx, bytes| {
            if prepare {
                chunk.push_prepared(idx, bytes);
            } else {
                chunk.push_raw(idx, bytes);
            }
            if chunk.len() >= CHUNK_ENTRIES {
                let next = empty_rx.try_recv().unwrap_or_else(|_| Chunk::new());
                send(std::mem::replace(&mut chunk, next))?;
                prepare = waiting.load(Ordering::Relaxed) >= BACKLOG;
            }
            Ok(())
        });
        if read.is_ok() && chunk.len() > 0 {
            read = send(chunk);
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
    let root = tree.tree.root();
    let size = tree.tree.size();
    report.entries = size;
    report
        .failures
        .extend(tree.missing.into_iter().map(VerifyFailure::EntryMissing));
    tree.malformed.sort_by_key(|(index, _)| *index);
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
    // A confidential item's hash and salt are sealed: its commitment is checked by whoever
    // holds the keys (or a bundle's recipient, who is given them), not here.
    let expected = match (&item.salt, &item.sha256) {
        (Some(salt), Some(sha)) => Some(Commitment::new(salt, sha)),
        _ => entry.commitment,
    };
    Ok(if entry.subject != item.id.as_str() {
        Some(format!(
            "entry {} is about {}",
            item.log_index, entry.subject
        ))
    } else if !matches!(entry.action, Action::Intake | Action::Redaction) {
        // An item enters custody by intake, or is made from another by a redaction (a
        // working copy, with its own commitment).
        Some(format!("entry {} is not an intake", item.log_index))
    } else if entry.commitment.is_none() || entry.commitment != expected {
        Some("the commitment does not match the recorded sha256 and salt".into())
    } else {
        None
    })
}

fn check_blob(blobs: &dyn BlobStore, item: &ItemRecord, report: &mut VerifyReport) {
    let item_name = item.id.to_string();
    let mut reader = match blobs.open(&item.blob) {
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
    match hash_stream(&mut reader, item.blob.hash()) {
        Ok((key, bytes)) => {
            report.blob_bytes += bytes;
            // A sealed blob is checked against its own address (the sealed bytes' BLAKE3,
            // or SHA-256 if sealed before BLAKE3 addressing) and its sealed length, without
            // keys; a plain one against the original's SHA-256.
            if key != item.blob || bytes != item.blob_bytes() {
                report.failures.push(VerifyFailure::BlobCorrupt {
                    item: item_name,
                    expected: item.blob.to_string(),
                    got: format!("{key} ({bytes} bytes)"),
                });
            }
        }
        Err(e) => report.failures.push(VerifyFailure::ReadError(format!(
            "blob of {item_name}: {e}"
        ))),
    }
}

/// The blob key (under `hash`) and length of a stream, in constant memory.
pub fn hash_stream(reader: &mut dyn Read, hash: BlobHash) -> io::Result<(BlobKey, u64)> {
    let mut hasher = hash.hasher();
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
    Ok((hasher.finalize(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recomputed_roots_match_the_frontier_at_every_wanted_size() {
        let mut tree = Recomputed {
            tree: Frontier::empty(),
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
                assert_eq!(tree.tree.root(), frontier.root());
            }
        }
        assert_eq!(tree.roots, expected);
        assert_eq!(tree.missing, vec![4]);
        assert_eq!(tree.malformed.len(), 8);
    }
    /// A chunk prepared by the reader and the same chunk left raw for the hashing thread
    /// give the same tree and the same malformed entries.
    #[test]
    fn prepared_and_raw_chunks_agree() {
        let entries: Vec<Vec<u8>> = (0..40u64)
            .map(|i| {
                let e = LogEntry::new(
                    gawah_core::Timestamp::from_millis(1_767_225_600_000 + i as i64),
                    "cli",
                    Action::View,
                    &format!("s{i}"),
                );
                let mut b = e.to_bytes().unwrap();
                if i == 7 {
                    b.insert(1, b' ');
                }
                b
            })
            .collect();
        let run = |prepared: bool| {
            let mut tree = Recomputed {
                tree: Frontier::empty(),
                wanted: vec![16, 40],
                next_wanted: 0,
                roots: BTreeMap::new(),
                missing: Vec::new(),
                malformed: Vec::new(),
            };
            for part in entries.chunks(16).enumerate() {
                let mut chunk = Chunk::new();
                for (j, b) in part.1.iter().enumerate() {
                    let idx = (part.0 * 16 + j) as u64;
                    if prepared {
                        chunk.push_prepared(idx, b);
                    } else {
                        chunk.push_raw(idx, b);
                    }
                }
                tree.add_chunk(&mut chunk);
            }
            (tree.roots, tree.malformed)
        };
        let (raw_roots, raw_bad) = run(false);
        let (prep_roots, prep_bad) = run(true);
        assert_eq!(raw_roots.len(), 2);
        assert_eq!(raw_roots, prep_roots);
        assert_eq!(raw_bad.len(), 1);
        assert_eq!(raw_bad[0].0, 7);
        assert_eq!(raw_bad, prep_bad);
    }
}
