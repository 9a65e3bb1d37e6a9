//! The [`BlobStore`] conformance suite: every backend runs it (the local folder in this
//! crate's unit tests, S3 against a real Garage in `tests/blob_s3.rs`), and a new backend
//! must pass it. It checks the contract written on the trait, through the trait only.
//!
//! Built for tests (`cfg(test)`) and behind the `test-support` feature; it panics on the
//! first broken promise, naming it.

use std::collections::BTreeSet;
use std::io::{Read, Write};

use crate::blob::{BlobError, BlobHash, BlobKey, BlobReceipt, BlobStore};

/// The SHA-256 key of `bytes`.
fn sha(bytes: &[u8]) -> BlobKey {
    BlobKey::of(BlobHash::Sha256, bytes)
}

/// Runs every check against `store`, which must be empty when called (for S3: a fresh
/// prefix). Leaves the blobs it wrote in place.
pub fn blob_conformance(store: &dyn BlobStore) {
    assert_eq!(keys(store), BTreeSet::new(), "the store must start empty");
    let mut expected = BTreeSet::new();
    round_trips_byte_for_byte(store, &mut expected);
    missing_keys_are_absent(store);
    existing_bytes_keep_the_blob(store, &expected);
    dropped_writer_leaves_nothing(store, &expected);
    batch_is_visible_only_after_commit(store, &mut expected);
    dropped_batch_leaves_nothing(store, &expected);
    concurrent_writers_of_the_same_bytes(store, &mut expected);
    streams_a_large_blob(store, &mut expected);
    both_hashes_side_by_side(store, &mut expected);
    assert_eq!(
        keys(store),
        expected,
        "keys() lists exactly the committed blobs"
    );
}

fn keys(store: &dyn BlobStore) -> BTreeSet<BlobKey> {
    let listed = store.keys().expect("keys");
    let set: BTreeSet<_> = listed.iter().copied().collect();
    assert_eq!(set.len(), listed.len(), "keys() lists a key twice");
    set
}

/// Deterministic bytes that do not compress or repeat: a different blob per `seed`.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < len {
        // xorshift64*
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let word = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        let take = word.len().min(len - out.len());
        out.extend_from_slice(&word[..take]);
    }
    out
}

/// Writes `content` in uneven pieces and commits it.
fn put(store: &dyn BlobStore, content: &[u8]) -> BlobReceipt {
    let mut w = store.create().expect("create");
    for piece in content.chunks(7919) {
        w.write_all(piece).expect("write");
    }
    assert_eq!(w.written(), content.len() as u64, "written() counts bytes");
    w.commit().expect("commit")
}

fn read_all(store: &dyn BlobStore, key: &BlobKey) -> Vec<u8> {
    let mut back = Vec::new();
    store
        .open(key)
        .expect("open")
        .read_to_end(&mut back)
        .expect("read");
    back
}

fn round_trips_byte_for_byte(store: &dyn BlobStore, expected: &mut BTreeSet<BlobKey>) {
    // Empty, one byte, several MiB, and one byte past 16 MiB (a part boundary for S3).
    for (seed, len) in [(1, 0), (2, 1), (3, (3 << 20) + 17), (4, (16 << 20) + 1)] {
        let content = pattern(seed, len);
        let r = put(store, &content);
        assert_eq!(r.key, sha(&content), "key = SHA-256");
        assert_eq!(r.sha256().ok().map(BlobKey::from), Some(r.key));
        assert_eq!(r.bytes, len as u64, "receipt counts bytes");
        assert_eq!(store.size(&r.key).expect("size"), Some(len as u64));
        assert!(read_all(store, &r.key) == content, "{len} bytes differ");
        expected.insert(r.key);
    }
}

fn missing_keys_are_absent(store: &dyn BlobStore) {
    let missing = sha(b"never written");
    assert_eq!(store.size(&missing).expect("size"), None);
    match store.open(&missing) {
        Err(BlobError::NotFound(k)) => assert_eq!(k, missing),
        Err(e) => panic!("open of a missing key: {e}"),
        Ok(_) => panic!("open of a missing key succeeded"),
    }
}

fn existing_bytes_keep_the_blob(store: &dyn BlobStore, expected: &BTreeSet<BlobKey>) {
    let content = pattern(3, (3 << 20) + 17);
    let before = keys(store);
    let again = put(store, &content);
    assert!(expected.contains(&again.key));
    assert_eq!(
        keys(store),
        before,
        "a second commit of the same bytes adds nothing"
    );
    assert!(read_all(store, &again.key) == content);
}

fn dropped_writer_leaves_nothing(store: &dyn BlobStore, expected: &BTreeSet<BlobKey>) {
    let mut w = store.create().expect("create");
    w.write_all(b"half an upload").expect("write");
    drop(w);
    assert_eq!(store.size(&sha(b"half an upload")).expect("size"), None);
    assert_eq!(&keys(store), expected, "a dropped writer left a blob");
}

fn batch_is_visible_only_after_commit(store: &dyn BlobStore, expected: &mut BTreeSet<BlobKey>) {
    let existing = put(store, b"already here");
    expected.insert(existing.key);
    let mut batch = store.batch().expect("batch");
    let mut receipts = Vec::new();
    for content in [&b"first"[..], b"second", b"already here", b"first", b""] {
        let mut w = batch.create().expect("batch create");
        w.write_all(content).expect("write");
        assert_eq!(w.written(), content.len() as u64);
        let r = w.finish().expect("finish");
        assert_eq!(r.key, sha(content));
        receipts.push(r);
    }
    for fresh in [&b"first"[..], b"second"] {
        let key = sha(fresh);
        assert_eq!(
            store.size(&key).expect("size"),
            None,
            "visible before commit"
        );
        assert!(matches!(store.open(&key), Err(BlobError::NotFound(_))));
    }
    // A writer dropped unfinished is not part of the batch.
    let mut w = batch.create().expect("batch create");
    w.write_all(b"abandoned").expect("write");
    drop(w);
    assert_eq!(batch.len(), 5);
    assert!(!batch.is_empty());
    assert_eq!(
        batch.commit().expect("batch commit"),
        receipts,
        "receipts in order"
    );
    for (r, content) in receipts
        .iter()
        .zip([&b"first"[..], b"second", b"already here"])
    {
        assert_eq!(store.size(&r.key).expect("size"), Some(r.bytes));
        assert_eq!(read_all(store, &r.key), content);
        expected.insert(r.key);
    }
    expected.insert(sha(b""));
    assert_eq!(store.size(&sha(b"abandoned")).expect("size"), None);
}

fn dropped_batch_leaves_nothing(store: &dyn BlobStore, expected: &BTreeSet<BlobKey>) {
    let mut batch = store.batch().expect("batch");
    let mut w = batch.create().expect("batch create");
    w.write_all(b"never committed").expect("write");
    w.finish().expect("finish");
    drop(batch);
    assert_eq!(store.size(&sha(b"never committed")).expect("size"), None);
    let empty = store.batch().expect("batch");
    assert!(empty.is_empty());
    assert_eq!(empty.commit().expect("empty commit"), Vec::new());
    assert_eq!(&keys(store), expected, "a dropped batch left a blob");
}

fn concurrent_writers_of_the_same_bytes(store: &dyn BlobStore, expected: &mut BTreeSet<BlobKey>) {
    let same = pattern(5, 1 << 20);
    let receipts: Vec<BlobReceipt> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..6)
            .map(|i| {
                let same = &same;
                s.spawn(move || {
                    let mine = put(store, same);
                    // Readers run beside the writers: a blob is whole or absent.
                    if let Ok(Some(n)) = store.size(&mine.key) {
                        assert_eq!(n, same.len() as u64);
                    }
                    let other = pattern(100 + i, 4096 + i as usize);
                    assert_eq!(put(store, &other).key, sha(&other));
                    mine
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().expect("writer thread"))
            .collect()
    });
    assert!(
        receipts.windows(2).all(|w| w[0] == w[1]),
        "same bytes, same receipt"
    );
    assert!(read_all(store, &receipts[0].key) == same);
    expected.insert(receipts[0].key);
    for i in 0..6u64 {
        expected.insert(sha(&pattern(100 + i, 4096 + i as usize)));
    }
}

/// 64 MiB written under BLAKE3 and read back a piece at a time: the test never holds the
/// blob.
fn streams_a_large_blob(store: &dyn BlobStore, expected: &mut BTreeSet<BlobKey>) {
    const PIECE: usize = 1 << 20;
    const PIECES: u64 = 64;
    let mut hasher = blake3::Hasher::new();
    let mut w = store.create_with(BlobHash::Blake3).expect("create");
    for i in 0..PIECES {
        let piece = pattern(1000 + i, PIECE);
        hasher.update(&piece);
        w.write_all(&piece).expect("write");
    }
    let r = w.commit().expect("commit 64 MiB");
    let total = PIECES * PIECE as u64;
    let key = BlobKey::new(BlobHash::Blake3, *hasher.finalize().as_bytes());
    assert_eq!(r.key, key, "key = BLAKE3 of the bytes");
    assert_eq!(r.bytes, total);
    assert_eq!(store.size(&r.key).expect("size"), Some(total));
    let mut reader = store.open(&r.key).expect("open");
    let mut back = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut read = 0u64;
    loop {
        let n = reader.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        back.update(&buf[..n]);
        read += n as u64;
    }
    assert_eq!(read, total);
    assert_eq!(back.finalize(), hasher.finalize(), "64 MiB read back");
    expected.insert(r.key);
}

/// The same bytes under both hashes are two blobs with two keys, each found under its own;
/// a batch may mix them; a BLAKE3 key never finds the SHA-256 blob or the other way round.
fn both_hashes_side_by_side(store: &dyn BlobStore, expected: &mut BTreeSet<BlobKey>) {
    let content = pattern(7, 70_001);
    let by_sha = put(store, &content);
    let mut w = store.create_with(BlobHash::Blake3).expect("create");
    w.write_all(&content).expect("write");
    let by_b3 = w.commit().expect("commit");
    assert_eq!(by_b3.key, BlobKey::of(BlobHash::Blake3, &content));
    assert_ne!(by_sha.key, by_b3.key);
    assert!(by_b3.sha256().is_err(), "a BLAKE3 receipt is no SHA-256");
    for r in [&by_sha, &by_b3] {
        assert_eq!(
            store.size(&r.key).expect("size"),
            Some(content.len() as u64)
        );
        assert!(read_all(store, &r.key) == content);
        expected.insert(r.key);
    }
    // Same digest bytes, other hash: not there.
    let hex = by_sha.key.digest_hex();
    let mut digest = [0u8; 32];
    hex::decode_to_slice(&hex, &mut digest).expect("hex");
    let other = BlobKey::new(BlobHash::Blake3, digest);
    assert_eq!(store.size(&other).expect("size"), None);
    assert!(matches!(store.open(&other), Err(BlobError::NotFound(k)) if k == other));

    let mut batch = store.batch().expect("batch");
    let mut receipts = Vec::new();
    for (content, hash) in [
        (&b"mixed one"[..], BlobHash::Blake3),
        (&b"mixed two"[..], BlobHash::Sha256),
    ] {
        let mut w = batch.create_with(hash).expect("batch create");
        w.write_all(content).expect("write");
        let r = w.finish().expect("finish");
        assert_eq!(r.key, BlobKey::of(hash, content));
        receipts.push(r);
    }
    assert_eq!(batch.commit().expect("batch commit"), receipts);
    for r in receipts {
        assert_eq!(store.size(&r.key).expect("size"), Some(r.bytes));
        expected.insert(r.key);
    }
}
