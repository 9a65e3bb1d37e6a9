//! The one conformance suite of the [`Store`] trait, run against every backend: SQLite in
//! this crate's unit tests, PostgreSQL in `tests/store_pg.rs`. A new backend must pass it.
//!
//! [`store_conformance`] takes a function that makes a fresh, empty store and runs each check
//! on a store of its own, naming the check on stderr first so that a failure says which.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use gawah_core::{Action, ItemId, LogEntry, Salt, Sha256Digest, Timestamp};
use gawah_log::{
    Hash, HashReader, MemoryTree, NodeId, StorageError, consistency_proof, empty_root,
    inclusion_proof, leaf_hash, tree_root, verify_consistency, verify_inclusion,
};

use crate::blob::{BlobHash, BlobKey};
use crate::error::StoreError;
use crate::keys::DataKeyRow;
use crate::store::{Change, LogHead, NewItem, RecordWrite, Store};

/// One check: it gets a fresh, empty store.
pub type Check = fn(&dyn Store);

/// The checks, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("head starts empty", head_starts_empty),
    (
        "a failing batch leaves nothing",
        a_failing_batch_leaves_nothing,
    ),
    ("entries round-trip in contiguous order", entries_round_trip),
    ("roots and proofs match a recomputation", roots_and_proofs),
    ("checkpoints: one per size, never backwards", checkpoints),
    (
        "concurrent commits get contiguous indexes",
        concurrent_commits,
    ),
    ("custody events by subject", custody_by_subject),
    ("items round-trip", items_round_trip),
];

/// Runs every check, each on a fresh store from `fresh`.
pub fn store_conformance<S: Store>(fresh: &dyn Fn() -> S) {
    for (name, check) in CHECKS {
        eprintln!("store conformance: {name}");
        check(&fresh());
    }
}

const T0: i64 = 1_767_225_600_000;

/// A change that logs a view of `subject{i}` at a time that tells changes apart.
pub fn view(i: u64) -> Change {
    Change {
        record: RecordWrite::None,
        entry: LogEntry::new(
            Timestamp::from_millis(T0 + i as i64),
            "cli",
            Action::View,
            &format!("subject{i}"),
        ),
    }
}

/// A new plain evidence item with its intake change.
pub fn new_item(n: u8, case_ref: Option<&str>) -> (NewItem, Change) {
    let content = [n; 16];
    let id = ItemId::random().expect("randomness for a test id");
    let item = NewItem {
        id: id.clone(),
        sha256: Sha256Digest::of(&content),
        bytes: content.len() as u64,
        salt: Salt([n; 32]),
        case_ref: case_ref.map(str::to_owned),
        sealed: None,
        data_key: None,
        blob: None,
        confidential: false,
    };
    let entry = LogEntry::new(
        Timestamp::from_millis(T0 + i64::from(n)),
        "cli",
        Action::Intake,
        id.as_str(),
    );
    let change = Change {
        record: RecordWrite::Item(item.clone()),
        entry,
    };
    (item, change)
}

/// A store as the tree reader the proof functions take (they want a sized reader).
struct Nodes<'a>(&'a dyn Store);

impl HashReader for Nodes<'_> {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        self.0.read_nodes(ids)
    }
}

/// Every entry of the store, read back in order.
fn all_entries(store: &dyn Store) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    store
        .for_each_entry(0, u64::MAX, &mut |i, data| {
            out.push((i, data.to_vec()));
            Ok(())
        })
        .unwrap();
    out
}

fn head_starts_empty(store: &dyn Store) {
    assert_eq!(
        store.head().unwrap(),
        LogHead {
            size: 0,
            root: empty_root()
        }
    );
    assert!(matches!(store.entry(0), Err(StoreError::NotFound(_))));
    assert!(all_entries(store).is_empty());
    assert!(store.checkpoints().unwrap().is_empty());
    assert_eq!(store.latest_checkpoint().unwrap(), None);
    assert!(store.custody("subject0").unwrap().is_empty());
    assert_eq!(store.commit(&[]).unwrap(), Vec::<u64>::new());
    assert_eq!(store.head().unwrap().size, 0);
}

fn assert_nothing_stored(store: &dyn Store, item: &NewItem) {
    assert_eq!(store.head().unwrap().size, 0, "the head moved");
    assert!(all_entries(store).is_empty(), "an entry was kept");
    assert_eq!(store.item(&item.id).unwrap(), None, "an item was kept");
    assert!(
        store.custody("subject0").unwrap().is_empty(),
        "a custody event was kept"
    );
}

fn a_failing_batch_leaves_nothing(store: &dyn Store) {
    let (item, item_change) = new_item(1, None);
    // The same item twice: the second insert violates the primary key.
    let batch = [view(0), item_change.clone(), item_change.clone()];
    let err = store.commit(&batch).unwrap_err();
    assert!(
        !err.is_retryable(),
        "a constraint violation is not retryable: {err}"
    );
    assert_nothing_stored(store, &item);

    // A confidential item without its sealed hashes is refused by the store itself.
    let (mut bad, mut bad_change) = new_item(2, None);
    bad.confidential = true;
    bad_change.record = RecordWrite::Item(bad.clone());
    let err = store
        .commit(&[view(0), item_change.clone(), bad_change])
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_nothing_stored(store, &item);

    // The good part alone goes in, from index 0.
    assert_eq!(store.commit(&[view(0), item_change]).unwrap(), vec![0, 1]);
    assert_eq!(store.head().unwrap().size, 2);
}

/// Batches of these sizes, 700 entries in all: past one page of a paged reader (512) and
/// across every level below and above the stored ones.
const SHAPES: [u64; 12] = [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 300, 257];

/// Commits [`SHAPES`] and returns the tree of what was committed.
fn commit_shapes(store: &dyn Store) -> MemoryTree {
    let mut expected = MemoryTree::new();
    let mut next = 0u64;
    for batch in SHAPES {
        let changes: Vec<Change> = (next..next + batch).map(view).collect();
        let indexes = store.commit(&changes).unwrap();
        assert_eq!(indexes, (next..next + batch).collect::<Vec<_>>());
        for c in &changes {
            expected.push(&c.entry.to_bytes().unwrap());
        }
        next += batch;
        let head = store.head().unwrap();
        assert_eq!((head.size, head.root), (next, expected.root()));
    }
    expected
}

fn entries_round_trip(store: &dyn Store) {
    commit_shapes(store);
    let size: u64 = SHAPES.iter().sum();
    let entries = all_entries(store);
    assert_eq!(entries.len() as u64, size);
    for (n, (i, data)) in entries.iter().enumerate() {
        assert_eq!(*i, n as u64);
        assert_eq!(*data, view(*i).entry.to_bytes().unwrap(), "entry {i}");
    }
    assert_eq!(store.entry(599).unwrap(), entries[599].1);
    assert!(matches!(store.entry(size), Err(StoreError::NotFound(_))));
    let mut part = Vec::new();
    store
        .for_each_entry(10, 530, &mut |i, _| {
            part.push(i);
            Ok(())
        })
        .unwrap();
    assert_eq!(part, (10..530).collect::<Vec<_>>());
    let mut none = 0;
    store
        .for_each_entry(size, u64::MAX, &mut |_, _| {
            none += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(none, 0);
    // A visitor's error stops the walk and comes back as it was.
    let err = store
        .for_each_entry(0, size, &mut |i, _| {
            if i == 3 {
                Err(StoreError::Conflict("stop".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
}

fn roots_and_proofs(store: &dyn Store) {
    let expected = commit_shapes(store);
    let size = expected.size();
    for n in (1..=size).filter(|n| *n < 40 || n % 37 == 0 || *n == size) {
        assert_eq!(
            tree_root(n, &Nodes(store)).unwrap(),
            tree_root(n, &expected).unwrap(),
            "root at {n}"
        );
    }
    let root = store.head().unwrap().root;
    for i in [0, 1, 7, 8, 15, 16, 17, 255, 256, 511, 512, 600, size - 1] {
        let proof = inclusion_proof(i, size, &Nodes(store)).unwrap();
        let leaf = leaf_hash(&store.entry(i).unwrap());
        verify_inclusion(i, size, &leaf, &proof, &root).unwrap();
    }
    for from in [1, 7, 16, 17, 64, 100, 129, 512, size] {
        let proof = consistency_proof(from, size, &Nodes(store)).unwrap();
        let old = tree_root(from, &Nodes(store)).unwrap();
        verify_consistency(from, size, &old, &root, &proof).unwrap();
    }
}

fn note_for(head: LogHead) -> String {
    format!("test/log\n{}\n{}\n", head.size, hex::encode(head.root))
}

fn checkpoints(store: &dyn Store) {
    let signed = AtomicUsize::new(0);
    let sign = |head: LogHead| {
        signed.fetch_add(1, Ordering::SeqCst);
        Ok(note_for(head))
    };
    store.commit(&(0..3).map(view).collect::<Vec<_>>()).unwrap();
    let first = store.checkpoint_head(&sign).unwrap();
    assert_eq!(
        (first.size, first.note.clone()),
        (3, note_for(store.head().unwrap()))
    );
    assert_eq!(
        store.checkpoint_head(&sign).unwrap(),
        first,
        "the same size, the same one"
    );
    assert_eq!(signed.load(Ordering::SeqCst), 1, "signed once per size");

    // A failed signature stores nothing.
    store.commit(&[view(3)]).unwrap();
    let refuse = |_: LogHead| Err(StoreError::Invalid("no key".into()));
    assert!(store.checkpoint_head(&refuse).is_err());
    assert_eq!(store.checkpoints().unwrap(), vec![first.clone()]);

    // Many callers at one head: one checkpoint, the same for all.
    store
        .commit(&(4..20).map(view).collect::<Vec<_>>())
        .unwrap();
    let got = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let cp = store.checkpoint_head(&|h| Ok(note_for(h))).unwrap();
                got.lock().unwrap().push(cp);
            });
        }
    });
    let got = got.into_inner().unwrap();
    assert!(
        got.iter().all(|cp| *cp == got[0]),
        "one checkpoint per size"
    );
    assert_eq!(got[0].size, 20);
    assert_eq!(got[0].root, tree_root(20, &Nodes(store)).unwrap());
    let all = store.checkpoints().unwrap();
    assert_eq!(all.iter().map(|c| c.size).collect::<Vec<_>>(), vec![3, 20]);
    assert_eq!(store.latest_checkpoint().unwrap(), Some(got[0].clone()));
    // Never backwards: the next one is for the head, beyond the latest.
    store.commit(&[view(20)]).unwrap();
    assert_eq!(store.checkpoint_head(&sign).unwrap().size, 21);
}

fn concurrent_commits(store: &dyn Store) {
    const THREADS: u64 = 4;
    const COMMITS: u64 = 25;
    let acknowledged = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let acknowledged = &acknowledged;
            s.spawn(move || {
                let mut last = None;
                for k in 0..COMMITS {
                    let base = (t * COMMITS + k) * 4;
                    let changes: Vec<Change> = (base..base + 1 + k % 3).map(view).collect();
                    let indexes = store.commit(&changes).unwrap();
                    assert!(
                        indexes.windows(2).all(|w| w[1] == w[0] + 1),
                        "a batch is contiguous"
                    );
                    assert!(
                        last < indexes.first().copied(),
                        "a thread's commits only grow"
                    );
                    last = indexes.last().copied();
                    let mut acked = acknowledged.lock().unwrap();
                    acked.extend(indexes.into_iter().zip(changes));
                }
            });
        }
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    let indexes: BTreeSet<u64> = acknowledged.iter().map(|(i, _)| *i).collect();
    assert_eq!(indexes.len(), acknowledged.len(), "no index given twice");
    assert_eq!(indexes, (0..acknowledged.len() as u64).collect(), "no gap");
    let entries = all_entries(store);
    for (i, change) in &acknowledged {
        assert_eq!(
            entries[*i as usize].1,
            change.entry.to_bytes().unwrap(),
            "entry {i}"
        );
    }
    let mut tree = MemoryTree::new();
    for (_, data) in &entries {
        tree.push(data);
    }
    let head = store.head().unwrap();
    assert_eq!((head.size, head.root), (tree.size(), tree.root()));
    assert_eq!(tree_root(head.size, &Nodes(store)).unwrap(), head.root);
}

fn custody_by_subject(store: &dyn Store) {
    let at = |ms: i64, actor: &str, action: Action, subject: &str| Change {
        record: RecordWrite::None,
        entry: LogEntry::new(Timestamp::from_millis(T0 + ms), actor, action, subject),
    };
    store
        .commit(&[
            at(1, "member_a", Action::View, "item_a"),
            at(2, "cli", Action::View, "item_b"),
        ])
        .unwrap();
    store
        .commit(&[at(3, "member_b", Action::Export, "item_a")])
        .unwrap();
    let events = store.custody("item_a").unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.log_index,
                e.subject.as_str(),
                e.action.as_str(),
                e.actor.as_str(),
                e.time,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                0,
                "item_a",
                "view",
                "member_a",
                Timestamp::from_millis(T0 + 1)
            ),
            (
                2,
                "item_a",
                "export",
                "member_b",
                Timestamp::from_millis(T0 + 3)
            ),
        ]
    );
    assert_eq!(store.custody("item_b").unwrap().len(), 1);
    assert!(store.custody("item_c").unwrap().is_empty());
}

fn items_round_trip(store: &dyn Store) {
    let (plain, plain_change) = new_item(7, Some("case-1"));
    let (mut secret, mut secret_change) = new_item(8, None);
    let sealed_blob = BlobKey::of(BlobHash::Blake3, b"sealed bytes");
    secret.confidential = true;
    secret.sealed = Some(vec![9; 48]);
    secret.blob = Some(sealed_blob);
    secret.data_key = Some(DataKeyRow {
        record: secret.id.as_str().to_owned(),
        scope: crate::keys::INSTANCE_SCOPE.to_owned(),
        key_version: 1,
        wrapped: vec![3; 72],
    });
    secret_change.record = RecordWrite::Item(secret.clone());
    store
        .commit(&[view(0), plain_change, secret_change])
        .unwrap();

    let got = store.item(&plain.id).unwrap().expect("the plain item");
    assert_eq!(got.id, plain.id);
    assert_eq!(
        (got.sha256, got.salt.clone()),
        (Some(plain.sha256), Some(plain.salt.clone()))
    );
    assert_eq!((got.bytes, got.blob), (16, BlobKey::from(plain.sha256)));
    assert_eq!(got.case_ref.as_deref(), Some("case-1"));
    assert_eq!(
        (got.log_index, got.created_at),
        (1, Timestamp::from_millis(T0 + 7))
    );
    assert!(!got.blob_sealed());

    let hidden = store
        .item(&secret.id)
        .unwrap()
        .expect("the confidential item");
    assert_eq!(
        (hidden.sha256, hidden.salt.clone()),
        (None, None),
        "kept only sealed"
    );
    assert_eq!(hidden.sealed, secret.sealed);
    assert_eq!((hidden.blob, hidden.log_index), (sealed_blob, 2));
    assert!(hidden.blob_sealed());

    let mut seen = Vec::new();
    store
        .for_each_item(&mut |item| {
            seen.push(item);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, vec![got, hidden]);
    let unknown = ItemId::random().unwrap();
    assert_eq!(store.item(&unknown).unwrap(), None);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::SqliteStore;

    #[test]
    fn sqlite_passes_the_store_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let n = AtomicUsize::new(0);
        super::store_conformance(&|| {
            let path = dir
                .path()
                .join(format!("{}.db", n.fetch_add(1, Ordering::SeqCst)));
            SqliteStore::create(&path).unwrap()
        });
    }
}
