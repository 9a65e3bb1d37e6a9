//! What every fault test checks after its fault: the answers were clear, everything
//! acknowledged is stored, whole and readable, nothing unacknowledged is half-kept.

use std::collections::BTreeMap;
use std::path::Path;

use gawah_store::{BlobHash, BlobKey};
use sha2::{Digest, Sha256};

use crate::http::{self, Answer};
use crate::site::Site;

/// An upload answered 201: what was sent and what the answer said.
#[derive(Debug, Clone)]
pub struct Ack {
    pub item: String,
    pub log_index: u64,
    pub content: Vec<u8>,
}

/// Hex SHA-256 of `bytes`, computed here, not by the code under test.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Distinct, incompressible content: `len` bytes from a seed.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = crate::harness::Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    rng.bytes(len)
}

/// An answer to an upload of `sent`: `Some(ack)` for a 201 (checked against what was sent),
/// `None` for any other status.
pub fn ack_of(answer: &Answer, sent: &[u8]) -> Option<Ack> {
    if answer.status != 201 {
        return None;
    }
    let j = answer.json();
    assert_eq!(j["sha256"], sha256_hex(sent), "hashed other bytes: {j}");
    assert_eq!(j["bytes"], sent.len() as u64, "{j}");
    Some(Ack {
        item: j["item"].as_str().expect("201 names the item").to_owned(),
        log_index: j["log_index"].as_u64().expect("201 gives the log index"),
        content: sent.to_vec(),
    })
}

/// A clear answer to a write that met a full disk: 507, saying that storage is full and
/// that nothing was saved, and no `Retry-After` (only freeing space helps).
#[track_caller]
pub fn assert_storage_full(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 507, "{what}: {answer:?} {}", answer.text());
    let error = answer.error();
    assert!(
        error.contains("storage is full") && error.contains("nothing was saved"),
        "{what}: unclear error {error:?}"
    );
    assert_eq!(answer.header("retry-after"), None, "{what}: {answer:?}");
}

/// The blob folder holds no temp file and no partial blob: every blob's bytes hash to its
/// name. (A complete blob no record names is allowed: it is what a failed commit leaves.)
pub fn assert_no_partial_blobs(blobs: &Path) {
    let tmp: Vec<_> = std::fs::read_dir(blobs.join("tmp"))
        .expect("read blobs/tmp")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(tmp.is_empty(), "temp files left behind: {tmp:?}");
    // Originals under their SHA-256, sealed blobs (every upload) under their BLAKE3.
    let mut seen = 0;
    for hash in [BlobHash::Sha256, BlobHash::Blake3] {
        let top = blobs.join(hash.name());
        for fan in std::fs::read_dir(&top).unwrap_or_else(|e| panic!("read {top:?}: {e}")) {
            for blob in std::fs::read_dir(fan.expect("fan-out").path()).expect("read a fan-out") {
                let path = blob.expect("a blob").path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let bytes = std::fs::read(&path).expect("read a blob");
                let key = BlobKey::of(hash, &bytes);
                assert_eq!(key.digest_hex(), name, "partial blob {}", path.display());
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no blob at all under {blobs:?}");
}

/// Every acknowledged upload is an item, at the index its answer gave and with the hash of
/// what was sent. With `exactly`, there is no other item: no upload answered with an error
/// became one. (Without it, items committed by a server killed before it could answer are
/// allowed: they were never acknowledged, and are whole.)
pub fn assert_items(site: &Site, acks: &[Ack], exactly: bool) {
    let db = site.inst.db();
    let mut stmt = db
        .prepare("SELECT id, sha256, log_index FROM items")
        .expect("query the items");
    let stored: BTreeMap<String, (Option<String>, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .expect("read the items")
        .map(|r| r.expect("an item row"))
        .collect();
    for ack in acks {
        let (sha, index) = stored
            .get(&ack.item)
            .unwrap_or_else(|| panic!("acknowledged upload {} is missing", ack.item));
        assert_eq!(sha.as_deref(), Some(sha256_hex(&ack.content).as_str()));
        assert_eq!(*index as u64, ack.log_index, "{}", ack.item);
    }
    if exactly {
        assert_eq!(
            stored.len(),
            acks.len(),
            "an upload answered with an error was stored"
        );
    }
}

/// Downloads every acknowledged upload and compares it byte for byte.
pub fn assert_downloads(addr: &str, token: &str, acks: &[Ack]) {
    for ack in acks {
        let path = format!("/api/v1/evidence/{}/file", ack.item);
        let got = http::get(addr, Some(token), &path).expect("download");
        assert_eq!(got.status, 200, "{}: {}", ack.item, got.text());
        assert!(
            got.body == ack.content,
            "{}: the download differs from what was uploaded",
            ack.item
        );
    }
}
