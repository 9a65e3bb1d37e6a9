//! Test fixtures: a real log (gawah-log's tree, entries, proofs, a signed checkpoint), real
//! bundles written with `BundleWriter`, and a raw zip builder for archives the writer would
//! refuse to make.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use gawah_bundle::*;
use gawah_log::{
    Checkpoint, Hash, MemoryTree, NoteSigner, consistency_proof, inclusion_proof, tree_root,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const ORIGIN: &str = "example.org/gawah-test";

/// A log: an in-memory tree, its entries, and its signing key.
pub struct Log {
    pub tree: MemoryTree,
    pub entries: Vec<Vec<u8>>,
    pub signer: NoteSigner,
}

impl Log {
    pub fn new(origin: &str, seed: u8) -> Self {
        Self {
            tree: MemoryTree::new(),
            entries: Vec::new(),
            signer: NoteSigner::new(origin, [seed; 32]).unwrap(),
        }
    }

    pub fn key(&self) -> String {
        self.signer.verifier_key()
    }

    /// Appends a canonical entry built from `fields` (plus `v` and a time).
    pub fn push(&mut self, fields: &[(&str, &str)]) -> u64 {
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        map.insert("v".into(), json!(1));
        map.insert("actor".into(), json!("cli"));
        map.insert(
            "time".into(),
            json!(format!(
                "2026-11-28T12:{:02}:00.000Z",
                self.entries.len() % 60
            )),
        );
        for (k, v) in fields {
            map.insert((*k).into(), json!(v));
        }
        let bytes = serde_json::to_vec(&map).unwrap();
        self.entries.push(bytes.clone());
        self.tree.push(&bytes)
    }

    pub fn filler(&mut self, n: usize) {
        for i in 0..n {
            let subject = format!("incident_{i}");
            self.push(&[("action", "create"), ("subject", &subject)]);
        }
    }

    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    pub fn checkpoint_at(&self, size: u64) -> String {
        let cp = Checkpoint {
            origin: self.signer.name().to_owned(),
            size,
            root: tree_root(size, &self.tree).unwrap(),
            extensions: vec![],
        };
        self.signer.sign(&cp.to_text()).unwrap()
    }

    pub fn checkpoint(&self) -> String {
        self.checkpoint_at(self.size())
    }

    pub fn proven(&self, index: u64) -> ProvenEntry {
        ProvenEntry {
            index,
            bytes: self.entries[index as usize].clone(),
            proof: inclusion_proof(index, self.size(), &self.tree).unwrap(),
        }
    }

    pub fn consistency(&self, from: u64) -> ConsistencyJson {
        let to = self.size();
        let proof = consistency_proof(from, to, &self.tree).unwrap();
        let r = |s| tree_root(s, &self.tree).unwrap();
        ConsistencyJson::new(from, to, &r(from), &r(to), &proof)
    }
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// One evidence file to put in a bundle.
#[derive(Clone)]
pub struct ItemSpec {
    pub id: String,
    pub path: String,
    pub content: Vec<u8>,
    pub salt: [u8; 32],
    /// Further `view` entries about the item.
    pub views: usize,
    /// For a redacted copy: the original's id (its intake entry is logged first).
    pub original: Option<String>,
}

pub fn item(n: u8, content: &[u8]) -> ItemSpec {
    ItemSpec {
        id: format!("item_{n}abc"),
        path: format!("files/item_{n}abc.bin"),
        content: content.to_vec(),
        salt: [n.wrapping_mul(17).wrapping_add(1); 32],
        views: 1,
        original: None,
    }
}

/// Everything about a built bundle a test may need.
pub struct Built {
    pub zip: Vec<u8>,
    pub log: Log,
    pub manifest: Manifest,
    /// Checkpoint notes at sizes before the items were logged (for consistency tests).
    pub early_size: u64,
}

pub struct Spec {
    pub purpose: Purpose,
    pub items: Vec<ItemSpec>,
    /// Sign an early checkpoint at this many filler entries and carry a consistency proof.
    pub consistency_from_early: bool,
    pub filler: usize,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            purpose: Purpose::Legal,
            items: vec![
                item(1, b"a photo, already compressed"),
                item(2, &(0..5000u32).map(|i| (i * 7) as u8).collect::<Vec<_>>()),
            ],
            consistency_from_early: false,
            filler: 3,
        }
    }
}

pub fn build(spec: Spec) -> Built {
    let mut log = Log::new(ORIGIN, 42);
    log.filler(spec.filler);
    let early_size = log.size();
    let mut manifest = Manifest::new(
        ORIGIN,
        spec.purpose,
        "CASE-2026-001",
        "2026-11-28T12:00:00Z",
        0,
    );
    let mut proven = Vec::new();
    for it in &spec.items {
        let sha = sha256(&it.content);
        let c = commitment(&it.salt, &sha);
        let mut derived_from = None;
        let first = match &it.original {
            Some(orig) => {
                let orig_commit = commitment(&[9; 32], &sha256(b"the original"));
                let oe = log.push(&[
                    ("action", "intake"),
                    ("subject", orig),
                    ("commitment", &orig_commit),
                ]);
                proven.push(oe);
                derived_from = Some(DerivedFrom {
                    item: orig.clone(),
                    entry: oe,
                });
                log.push(&[
                    ("action", "redaction"),
                    ("subject", &it.id),
                    ("commitment", &c),
                    ("original", orig),
                ])
            }
            None => log.push(&[
                ("action", "intake"),
                ("subject", &it.id),
                ("commitment", &c),
            ]),
        };
        let mut entries = vec![first];
        for _ in 0..it.views {
            entries.push(log.push(&[("action", "view"), ("subject", &it.id)]));
        }
        proven.extend(&entries);
        manifest.items.push(Item {
            item: it.id.clone(),
            path: it.path.clone(),
            sha256: hex::encode(sha),
            bytes: it.content.len() as u64,
            salt: hex::encode(it.salt),
            custody: vec![json!({"entry": first, "action": if it.original.is_some() { "redaction" } else { "intake" }, "by": "documenter 1"})],
            metadata: serde_json::from_value(json!({"mime": "application/octet-stream"})).unwrap(),
            entries,
            derived_from,
        });
    }
    log.filler(2);
    manifest.tree_size = log.size();
    let consistency = spec
        .consistency_from_early
        .then(|| log.consistency(early_size));
    if consistency.is_some() {
        manifest.consistency = Some(CONSISTENCY.into());
    }
    proven.sort_unstable();
    proven.dedup();
    let proven: Vec<ProvenEntry> = proven.iter().map(|&i| log.proven(i)).collect();
    let mut w = BundleWriter::new(Cursor::new(Vec::new())).unwrap();
    w.add_bytes(MANIFEST, &manifest.to_json()).unwrap();
    for it in &spec.items {
        let (sha, n) = w.add_file(&it.path, &it.content[..]).unwrap();
        assert_eq!((sha, n), (sha256(&it.content), it.content.len() as u64));
    }
    w.add_log(&log.checkpoint(), &log.key(), &proven, consistency.as_ref())
        .unwrap();
    w.add_bytes(REPORT, b"<!doctype html><title>report</title>")
        .unwrap();
    w.add_bytes(README, readme_text(&manifest).as_bytes())
        .unwrap();
    let zip = w.finish().unwrap().into_inner();
    Built {
        zip,
        log,
        manifest,
        early_size,
    }
}

pub fn good() -> Built {
    build(Spec::default())
}

pub fn check(zip: &[u8], key: &str) -> Report {
    check_with(zip, key, None, &Policy::default())
}

pub fn check_with(zip: &[u8], key: &str, trusted: Option<&str>, policy: &Policy) -> Report {
    verify_archive(Cursor::new(zip), "test.zip", key, trusted, policy).unwrap()
}

/// Asserts the report failed with a message containing `needle`.
#[track_caller]
pub fn assert_refused(report: &Report, needle: &str) {
    assert!(!report.ok, "verified but should not have:\n{report}");
    let failures = report.failures();
    assert!(
        failures.iter().any(|f| f.contains(needle)),
        "no failure mentions {needle:?}; failures:\n{}",
        failures.join("\n")
    );
}

/// Every (name, bytes) of a valid archive, in order.
pub fn unpack(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut r = BundleReader::new(Cursor::new(zip), &Limits::default()).unwrap();
    let names: Vec<String> = r.entries().iter().map(|e| e.name().to_owned()).collect();
    names
        .into_iter()
        .map(|n| {
            let mut buf = Vec::new();
            r.open_entry(&n).unwrap().read_to_end(&mut buf).unwrap();
            (n, buf)
        })
        .collect()
}

/// Unpacks, lets `f` change the files, and writes a new, structurally valid archive.
pub fn rezip(zip: &[u8], f: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
    let mut files = unpack(zip);
    f(&mut files);
    let mut w = BundleWriter::new(Cursor::new(Vec::new())).unwrap();
    for (name, bytes) in &files {
        w.add_bytes(name, bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Replaces the content of `name`.
pub fn edit(files: &mut [(String, Vec<u8>)], name: &str, f: impl FnOnce(&mut Vec<u8>)) {
    let entry = files
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in bundle"));
    f(&mut entry.1);
}

/// Replaces text in `name`, which must contain it.
pub fn replace(files: &mut [(String, Vec<u8>)], name: &str, from: &str, to: &str) {
    edit(files, name, |b| {
        let s = String::from_utf8(b.clone()).unwrap();
        assert!(s.contains(from), "{name} does not contain {from:?}");
        *b = s.replacen(from, to, 1).into_bytes();
    });
}

/// An entry for the raw zip builder, which writes whatever it is told.
#[derive(Clone)]
pub struct Raw {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub method: u16,
    pub flags: u16,
    pub made_by: u16,
    pub attrs: u32,
    /// Size to declare instead of the data's length.
    pub declared: Option<u32>,
    /// Offset to declare in the central directory instead of the real one.
    pub offset: Option<u32>,
}

impl Raw {
    pub fn new(name: &str, data: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            method: 0,
            flags: 0x0800,
            made_by: (3 << 8) | 45,
            attrs: 0o100_644 << 16,
            declared: None,
            offset: None,
        }
    }
}

pub fn raw_entries(zip: &[u8]) -> Vec<Raw> {
    unpack(zip)
        .into_iter()
        .map(|(n, d)| Raw::new(&n, &d))
        .collect()
}

/// Writes a zip archive with 32-bit fields only, exactly as told.
pub fn raw_zip(entries: &[Raw]) -> Vec<u8> {
    fn p16(o: &mut Vec<u8>, v: u16) {
        o.extend_from_slice(&v.to_le_bytes());
    }
    fn p32(o: &mut Vec<u8>, v: u32) {
        o.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        let size = e.declared.unwrap_or(e.data.len() as u32);
        p32(&mut out, 0x0403_4b50);
        p16(&mut out, 10);
        p16(&mut out, e.flags);
        p16(&mut out, e.method);
        p16(&mut out, 0);
        p16(&mut out, 0x21);
        p32(&mut out, crc32(&e.data));
        p32(&mut out, size);
        p32(&mut out, size);
        p16(&mut out, e.name.len() as u16);
        p16(&mut out, 0);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);
    }
    let cd_start = out.len() as u32;
    for (e, off) in entries.iter().zip(&offsets) {
        let size = e.declared.unwrap_or(e.data.len() as u32);
        p32(&mut out, 0x0201_4b50);
        p16(&mut out, e.made_by);
        p16(&mut out, 10);
        p16(&mut out, e.flags);
        p16(&mut out, e.method);
        p16(&mut out, 0);
        p16(&mut out, 0x21);
        p32(&mut out, crc32(&e.data));
        p32(&mut out, size);
        p32(&mut out, size);
        p16(&mut out, e.name.len() as u16);
        p16(&mut out, 0);
        p16(&mut out, 0);
        p16(&mut out, 0);
        p16(&mut out, 0);
        p32(&mut out, e.attrs);
        p32(&mut out, e.offset.unwrap_or(*off));
        out.extend_from_slice(&e.name);
    }
    let cd_size = out.len() as u32 - cd_start;
    p32(&mut out, 0x0605_4b50);
    p16(&mut out, 0);
    p16(&mut out, 0);
    p16(&mut out, entries.len() as u16);
    p16(&mut out, entries.len() as u16);
    p32(&mut out, cd_size);
    p32(&mut out, cd_start);
    p16(&mut out, 0);
    out
}

/// Opens `zip` with the reader and returns its error message.
pub fn reader_error(zip: &[u8], limits: &Limits) -> String {
    BundleReader::new(Cursor::new(zip), limits)
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

pub fn hash_of(h: &Hash) -> String {
    hex::encode(h)
}
