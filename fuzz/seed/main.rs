//! Writes seed corpora for the fuzz targets into `<DIR>/<target>/`: real bundles made with
//! `BundleWriter` and signed with the fixed fuzz key (a legal bundle with custody records and
//! a consistency proof, a public one with a redacted copy), and their manifests, proofs and
//! checkpoints, so that mutations start from inputs that pass every check.
//!
//! For the parsers of outside input to the server and the CLI: the import fixtures of
//! `crates/gawah/tests/fixtures/import` and the examples of `docs/IMPORT.md` (import_csv,
//! import_jsonl), every kind of tile path (tile_path), tus headers (tus_headers), search texts
//! in the three languages (search_query), and multipart bodies as browsers and scripts send
//! them (multipart). See `other_seeds`.
//!
//! `cargo run --release --example seed -- DIR`

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use gawah_bundle::*;
use gawah_log::{
    Checkpoint, MemoryTree, NoteSigner, consistency_proof, inclusion_proof, tree_root,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct Log {
    tree: MemoryTree,
    entries: Vec<Vec<u8>>,
    signer: NoteSigner,
}

impl Log {
    fn push(&mut self, fields: &[(&str, &str)]) -> u64 {
        let mut map: BTreeMap<&str, Value> = BTreeMap::new();
        map.insert("v", json!(1));
        map.insert("actor", json!("cli"));
        map.insert(
            "time",
            json!(format!("2026-11-28T12:{:02}:00.000Z", self.entries.len())),
        );
        for (k, v) in fields {
            map.insert(k, json!(v));
        }
        let bytes = serde_json::to_vec(&map).unwrap();
        self.entries.push(bytes.clone());
        self.tree.push(&bytes)
    }

    fn checkpoint_at(&self, size: u64, cosign: bool) -> String {
        let cp = Checkpoint {
            origin: self.signer.name().to_owned(),
            size,
            root: tree_root(size, &self.tree).unwrap(),
            extensions: vec![],
        };
        let mut note = self.signer.sign(&cp.to_text()).unwrap();
        if cosign {
            note.push_str(&gawah_fuzz::witness().signature_line(&cp.to_text()).unwrap());
        }
        note
    }
}

struct Spec {
    purpose: Purpose,
    /// (id, content, original it is a redacted copy of)
    items: Vec<(&'static str, Vec<u8>, Option<&'static str>)>,
    consistency: bool,
}

fn bundle(spec: &Spec) -> Vec<u8> {
    let mut log = Log {
        tree: MemoryTree::new(),
        entries: Vec::new(),
        signer: gawah_fuzz::signer(),
    };
    log.push(&[("action", "create"), ("subject", "incident_1")]);
    let early = log.tree.size();
    let mut manifest = Manifest::new(
        gawah_fuzz::ORIGIN,
        spec.purpose,
        "CASE-1",
        "2026-11-28T12:00:00Z",
        0,
    );
    let mut proven = Vec::new();
    for (n, (id, content, original)) in spec.items.iter().enumerate() {
        let sha: [u8; 32] = Sha256::digest(content).into();
        let salt = [n as u8 + 1; 32];
        let c = commitment(&salt, &sha);
        let (first, derived_from) = match original {
            Some(orig) => {
                let oc = commitment(&[9; 32], &[0; 32]);
                let oe = log.push(&[("action", "intake"), ("subject", orig), ("commitment", &oc)]);
                proven.push(oe);
                let first = log.push(&[
                    ("action", "redaction"),
                    ("commitment", &c),
                    ("original", orig),
                    ("subject", id),
                ]);
                (
                    first,
                    Some(DerivedFrom {
                        item: (*orig).into(),
                        entry: oe,
                    }),
                )
            }
            None => (
                log.push(&[("action", "intake"), ("subject", id), ("commitment", &c)]),
                None,
            ),
        };
        let view = log.push(&[("action", "view"), ("subject", id)]);
        proven.extend([first, view]);
        manifest.items.push(Item {
            item: (*id).into(),
            path: format!("files/{id}.bin"),
            sha256: hex::encode(sha),
            bytes: content.len() as u64,
            salt: hex::encode(salt),
            entries: vec![first, view],
            metadata: serde_json::from_value(json!({"mime": "image/jpeg"})).unwrap(),
            custody: vec![json!({"entry": first, "action": if original.is_some() { "redaction" } else { "intake" }}), json!({"by": "documenter 1"})],
            derived_from,
        });
    }
    log.push(&[("action", "create"), ("subject", "incident_2")]);
    let size = log.tree.size();
    manifest.tree_size = size;
    let consistency = spec.consistency.then(|| {
        let r = |s| tree_root(s, &log.tree).unwrap();
        ConsistencyJson::new(
            early,
            size,
            &r(early),
            &r(size),
            &consistency_proof(early, size, &log.tree).unwrap(),
        )
    });
    if consistency.is_some() {
        manifest.consistency = Some(CONSISTENCY.into());
    }
    let proven: Vec<ProvenEntry> = proven
        .iter()
        .map(|&index| ProvenEntry {
            index,
            bytes: log.entries[index as usize].clone(),
            proof: inclusion_proof(index, size, &log.tree).unwrap(),
        })
        .collect();
    let mut w = BundleWriter::new(Cursor::new(Vec::new())).unwrap();
    w.add_bytes(MANIFEST, &manifest.to_json()).unwrap();
    for (id, content, _) in &spec.items {
        w.add_file(&format!("files/{id}.bin"), &content[..])
            .unwrap();
    }
    w.add_log(
        &log.checkpoint_at(size, spec.consistency),
        &log.signer.verifier_key(),
        &proven,
        consistency.as_ref(),
    )
    .unwrap();
    w.add_bytes(REPORT, b"<!doctype html><title>report</title>")
        .unwrap();
    w.add_bytes(README, b"see docs/BUNDLE.md\n").unwrap();
    w.finish().unwrap().into_inner()
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), bytes).unwrap();
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: seed DIR");
    let dir = Path::new(&dir);
    let key = gawah_fuzz::signer().verifier_key();
    let specs = [
        Spec {
            purpose: Purpose::Legal,
            items: vec![("item_a", b"a photo".to_vec(), None)],
            consistency: false,
        },
        Spec {
            purpose: Purpose::Legal,
            items: vec![
                ("item_a", b"a photo, already compressed".to_vec(), None),
                ("item_b", (0..600u32).map(|i| (i * 7) as u8).collect(), None),
            ],
            consistency: true,
        },
        Spec {
            purpose: Purpose::Public,
            items: vec![("item_c", b"blurred".to_vec(), Some("item_o"))],
            consistency: false,
        },
    ];
    for (n, spec) in specs.iter().enumerate() {
        let zip = bundle(spec);
        let report =
            verify_archive(Cursor::new(&zip), "seed", &key, None, &gawah_fuzz::policy()).unwrap();
        assert!(report.ok, "seed {n} does not verify:\n{report}");
        write(dir, "bundle_reader", &format!("bundle-{n}.zip"), &zip);
        let mut r = BundleReader::new(Cursor::new(&zip), &gawah_fuzz::limits()).unwrap();
        let names: Vec<String> = r.entries().iter().map(|e| e.name().to_owned()).collect();
        for name in names {
            let mut bytes = Vec::new();
            r.open_entry(&name)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            let flat = name.replace('/', "_");
            let target = match name.as_str() {
                MANIFEST => "manifest",
                CHECKPOINT => "signed_note",
                n if n.ends_with(".proof") => "tlog_proof",
                _ => continue,
            };
            write(dir, target, &format!("{n}-{flat}"), &bytes);
        }
    }
    // The verifier key, and a bare checkpoint text, as notes to mutate.
    write(dir, "signed_note", "key", format!("{key}\n").as_bytes());
    let cp = Checkpoint {
        origin: gawah_fuzz::ORIGIN.into(),
        size: 3,
        root: [1; 32],
        extensions: vec!["ext".into()],
    };
    write(
        dir,
        "signed_note",
        "checkpoint-text",
        cp.to_text().as_bytes(),
    );
    // A manifest with every optional field.
    let mut m = Manifest::new(
        gawah_fuzz::ORIGIN,
        Purpose::Public,
        "C",
        "2026-11-28T16:30:00.5+04:30",
        9,
    );
    m.consistency = Some(CONSISTENCY.into());
    m.notes = Some(json!({"left_out": ["item_z"], "n": 1.5, "u": "\u{202e}"}));
    write(dir, "manifest", "full", &m.to_json());
    other_seeds(dir);
    regressions(dir);
}

/// Every input that once made a target fail (`fuzz/regressions/<target>/`), as a seed, so
/// that each run, the CI smoke included, replays it first.
fn regressions(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let Ok(targets) = std::fs::read_dir(&root) else {
        return;
    };
    for target in targets.flatten() {
        let name = target.file_name().to_string_lossy().into_owned();
        for input in std::fs::read_dir(target.path()).unwrap().flatten() {
            let bytes = std::fs::read(input.path()).unwrap();
            let file = format!("regression-{}", input.file_name().to_string_lossy());
            write(dir, &name, &file, &bytes);
        }
    }
}

/// The import fixtures, each as incidents (first byte 0) or edicts (1).
const FIXTURES: [(&str, u8, &[u8]); 4] = [
    (
        "incidents.csv",
        0,
        include_bytes!("../../crates/gawah/tests/fixtures/import/incidents.csv"),
    ),
    (
        "edicts.csv",
        1,
        include_bytes!("../../crates/gawah/tests/fixtures/import/edicts.csv"),
    ),
    (
        "incidents.jsonl",
        0,
        include_bytes!("../../crates/gawah/tests/fixtures/import/incidents.jsonl"),
    ),
    (
        "edicts.jsonl",
        1,
        include_bytes!("../../crates/gawah/tests/fixtures/import/edicts.jsonl"),
    ),
];

/// docs/IMPORT.md, whose `csv` and `json` code blocks are examples.
const IMPORT_DOC: &str = include_str!("../../docs/IMPORT.md");

fn with_kind(kind: u8, file: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(file);
    v
}

fn other_seeds(dir: &Path) {
    for (name, kind, file) in FIXTURES {
        let target = if name.ends_with(".csv") {
            "import_csv"
        } else {
            "import_jsonl"
        };
        write(dir, target, name, &with_kind(kind, file));
    }
    let mut block: Option<(&str, String)> = None;
    let mut n = 0;
    for line in IMPORT_DOC.lines() {
        match (&mut block, line) {
            (None, "```csv") => block = Some(("import_csv", String::new())),
            (None, "```json") => block = Some(("import_jsonl", String::new())),
            (Some((target, text)), "```") => {
                // An edict example holds "issuing_body" or "#sector".
                let kind = u8::from(text.contains("issuing_body") || text.contains("#sector"));
                write(
                    dir,
                    target,
                    &format!("doc-{n}"),
                    &with_kind(kind, text.as_bytes()),
                );
                n += 1;
                block = None;
            }
            (Some((_, text)), l) => {
                text.push_str(l);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    let tiles = [
        "tile/0/000",
        "tile/0/x001/x234/067",
        "tile/1/005.p/17",
        "tile/entries/x001/x234/067.p/8",
        "tile/63/x018/x446/x744/x073/x709/x551/615",
        "0/001.p/255",
    ];
    for (i, t) in tiles.iter().enumerate() {
        write(dir, "tile_path", &format!("tile-{i}"), t.as_bytes());
    }
    let tus: [&[u8]; 4] = [
        b"\x0f1.0.0\n1024\n0\nfilename d29ybGQucG5n,confidential dHJ1ZQ==,case Q0FTRS0x,incident",
        b"\x0b1.0.0\n18446744073709551615\n\nname,x",
        b"\x061.0.0\n007\n42\n",
        b"\x08\n\n\nfilename Li4vLi4vZXRjL3Bhc3N3ZA==",
    ];
    for (i, t) in tus.iter().enumerate() {
        write(dir, "tus_headers", &format!("tus-{i}"), t);
    }
    let searches = [
        "school closure -university",
        "\"girls' school\" Kabul",
        "«مکتب دختران» -پوهنتون",
        "“نجونو ښوونځي” هرات",
        "می گوید کتاب‌های سیمه‌ییزې",
        "AND title:x * ~ -\"\" \u{200c}\u{200d}\u{202e}ي ك ة ٤٢",
    ];
    for (i, s) in searches.iter().enumerate() {
        write(dir, "search_query", &format!("search-{i}"), s.as_bytes());
    }
    let bodies = [
        (
            "multipart/form-data; boundary=XyZ",
            0u8,
            "--XyZ\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\nCASE-1\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"confidential\"\r\n\r\non\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\a\\\\p.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n\u{1} photo bytes\r\n--XyZ--\r\n",
        ),
        (
            "multipart/form-data; boundary=\"----WebKitFormBoundary7MA4YWxkTrZu0gW\"",
            7,
            "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n\
             Content-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken\r\n\
             ------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n\
             Content-Disposition: form-data; name=\"incident\"\r\n\r\ninc_0123\r\n\
             ------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n\
             Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\r\n\
             ------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n",
        ),
        (
            "multipart/form-data;boundary=b",
            33,
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n\
             one\r\n--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ntwo\r\n--b--\r\n",
        ),
    ];
    for (i, (ct, knob, body)) in bodies.iter().enumerate() {
        let mut v = format!("{ct}\n").into_bytes();
        v.push(*knob);
        v.extend_from_slice(body.as_bytes());
        write(dir, "multipart", &format!("form-{i}"), &v);
    }
}
