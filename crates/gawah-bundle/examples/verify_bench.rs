//! Writes a bundle of ITEMS files of MIB mebibytes each to a temporary folder, then verifies
//! it, printing the time and throughput of both, beside a baseline from the same run: one
//! pass of SHA-256 alone over the whole archive in 1 MiB reads (what `openssl dgst -sha256`
//! does). `scripts/bench-verify.sh` measures the real `gawah verify` against openssl.
//!
//! `cargo run --release -p gawah-bundle --example verify_bench -- [ITEMS] [MIB]`

use std::io::Read;
use std::time::Instant;

use gawah_bundle::*;
use gawah_log::{Checkpoint, MemoryTree, NoteSigner, inclusion_proof};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "bench.example/log";

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let items = args.next().unwrap_or(20);
    let mib = args.next().unwrap_or(50);
    let size = mib << 20;
    let signer = NoteSigner::new(ORIGIN, [1; 32]).unwrap();
    let mut tree = MemoryTree::new();
    let mut entries = Vec::new();
    let mut manifest = Manifest::new(ORIGIN, Purpose::Legal, "BENCH-1", "2026-11-28T12:00:00Z", 0);
    let content = |i: u64| std::io::repeat((i % 251) as u8).take(size);
    for i in 0..items {
        let (mut sha, mut buf, mut r) = (Sha256::new(), vec![0u8; 1 << 16], content(i));
        while let Ok(n @ 1..) = r.read(&mut buf) {
            sha.update(&buf[..n]);
        }
        let sha: [u8; 32] = sha.finalize().into();
        let salt = [(i % 256) as u8; 32];
        let id = format!("item_{i}");
        let entry = format!(
            r#"{{"action":"intake","actor":"cli","commitment":"{}","subject":"{id}","time":"2026-11-28T12:00:00.000Z","v":1}}"#,
            commitment(&salt, &sha)
        );
        let n = tree.push(entry.as_bytes());
        entries.push((n, entry.into_bytes()));
        manifest.items.push(Item {
            item: id.clone(),
            path: format!("files/{id}.bin"),
            sha256: hex::encode(sha),
            bytes: size,
            salt: hex::encode(salt),
            entries: vec![n],
            metadata: Default::default(),
            custody: vec![],
            derived_from: None,
        });
    }
    manifest.tree_size = tree.size();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: tree.size(),
        root: tree.root(),
        extensions: vec![],
    };
    let note = signer.sign(&cp.to_text()).unwrap();
    let proven: Vec<ProvenEntry> = entries
        .into_iter()
        .map(|(index, bytes)| ProvenEntry {
            index,
            bytes,
            proof: inclusion_proof(index, cp.size, &tree).unwrap(),
        })
        .collect();

    let dir = std::env::temp_dir().join(format!("gawah-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.zip");
    let total = (items * size) as f64 / (1 << 20) as f64;
    let start = Instant::now();
    let mut w = BundleWriter::create(&path).unwrap();
    w.add_bytes(MANIFEST, &manifest.to_json()).unwrap();
    for (i, item) in manifest.items.iter().enumerate() {
        w.add_file(&item.path, content(i as u64)).unwrap();
    }
    w.add_log(&note, &signer.verifier_key(), &proven, None)
        .unwrap();
    w.add_bytes(README, readme_text(&manifest).as_bytes())
        .unwrap();
    w.commit().unwrap();
    let t = start.elapsed().as_secs_f64();
    println!(
        "write:  {items} items, {total:.0} MiB in {t:.2} s ({:.0} MiB/s)",
        total / t
    );
    let start = Instant::now();
    let report = verify(&path, &signer.verifier_key(), None, &Policy::default()).unwrap();
    let t = start.elapsed().as_secs_f64();
    println!(
        "verify: {} in {t:.2} s ({:.0} MiB/s)",
        if report.ok { "VERIFIED" } else { "FAILED" },
        total / t
    );
    let start = Instant::now();
    let (mut file, mut sha) = (std::fs::File::open(&path).unwrap(), Sha256::new());
    let mut buf = vec![0u8; 1 << 20];
    while let Ok(n @ 1..) = file.read(&mut buf) {
        sha.update(&buf[..n]);
    }
    let digest = sha.finalize();
    let b = start.elapsed().as_secs_f64();
    println!(
        "sha256: the whole archive in {b:.2} s ({:.0} MiB/s, {:02x}{:02x}..); verify / sha256 = {:.2}",
        total / b,
        digest[0],
        digest[1],
        t / b
    );
    std::fs::remove_dir_all(&dir).unwrap();
    // The two checks on their own, in memory, one thread each.
    let data: Vec<u8> = (0..256u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let start = Instant::now();
    let h = Sha256::digest(&data);
    let s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let c = crc32(&data);
    let c_t = start.elapsed().as_secs_f64();
    println!(
        "in memory, 256 MiB: SHA-256 {:.0} MiB/s, CRC-32 {:.0} MiB/s ({:02x}, {c:08x})",
        256.0 / s,
        256.0 / c_t,
        h[0]
    );
    assert!(report.ok, "{report}");
}
