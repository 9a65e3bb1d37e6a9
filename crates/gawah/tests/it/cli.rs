//! The command line as users' scripts use it: outputs, proofs that verify, exit codes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_log::{Hash, NoteVerifier, open_checkpoint, verify_consistency, verify_inclusion};
use serde_json::Value;

use crate::harness::{Instance, run, s, sha256sum, write};

fn hash(v: &Value) -> Hash {
    let bytes = B64
        .decode(v.as_str().expect("base64 string"))
        .expect("base64");
    bytes.try_into().expect("32 bytes")
}

#[test]
fn ingest_show_prove_and_verify_a_folder() {
    let inst = Instance::new();
    let input = inst.input_dir();
    let a = write(&input, "a.txt", "سلام، گواه\n".as_bytes());
    let b = write(&input, "sub/b.bin", &[0u8, 1, 2, 255]);
    let empty = write(&input, "sub/empty", b"");
    let lines = inst
        .run(&["ingest", "--case", "CASE-1", "--json", s(&input)])
        .ok()
        .json_lines();
    assert_eq!(lines.len(), 3);
    for (line, path) in lines.iter().zip([&a, &b, &empty]) {
        assert_eq!(line["path"], s(path));
        assert_eq!(line["sha256"], sha256sum(path));
        assert_eq!(line["bytes"], std::fs::metadata(path).unwrap().len());
        let shown = inst
            .run(&["item", "show", "--json", line["item"].as_str().unwrap()])
            .ok()
            .json_lines();
        assert_eq!(shown[0]["sha256"], line["sha256"]);
        assert_eq!(shown[0]["log_index"], line["log_index"]);
        assert_eq!(shown[0]["case"], "CASE-1");
        assert_eq!(shown[0]["custody"][0]["action"], "intake");
    }
    let key = inst.run(&["log", "key"]).ok().stdout.trim().to_owned();
    let verifier = NoteVerifier::parse(&key).expect("verifier key parses");
    let note = inst.run(&["log", "checkpoint"]).ok().stdout;
    let (cp, _) = open_checkpoint(&note, &verifier).expect("checkpoint verifies");
    assert_eq!((cp.origin.as_str(), cp.size), ("test.example/gawah", 3));
    for line in &lines {
        let idx = line["log_index"].as_u64().unwrap();
        let proof = &inst
            .run(&["log", "prove", "--json", "--index", &idx.to_string()])
            .ok()
            .json_lines()[0];
        let entry = inst
            .run(&["log", "entry", "--index", &idx.to_string()])
            .ok()
            .stdout;
        assert!(
            !entry.contains(line["sha256"].as_str().unwrap()),
            "a plain hash entered the log"
        );
        assert_eq!(
            hash(&proof["leaf_hash"]),
            gawah_log::leaf_hash(entry.as_bytes())
        );
        assert_eq!(hash(&proof["root"]), cp.root);
        let path: Vec<Hash> = proof["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        verify_inclusion(idx, cp.size, &hash(&proof["leaf_hash"]), &path, &cp.root)
            .expect("inclusion");
    }
    let c = &inst
        .run(&["log", "consistency", "--json", "--from", "1", "--to", "3"])
        .ok()
        .json_lines()[0];
    let path: Vec<Hash> = c["proof"].as_array().unwrap().iter().map(hash).collect();
    verify_consistency(1, 3, &hash(&c["root_from"]), &hash(&c["root_to"]), &path)
        .expect("consistency");
    let v = inst.run(&["log", "verify"]).ok();
    assert!(v.stdout.contains("ok: 3 entries, 3 items"), "{v:?}");
}

#[test]
fn entries_hold_only_ids_commitments_and_times() {
    let inst = Instance::new();
    let f = write(
        &inst.input_dir(),
        "Testimony of a witness.txt",
        b"statement",
    );
    let line = &inst
        .run(&["ingest", "--json", "--case", "Named Case", s(&f)])
        .ok()
        .json_lines()[0];
    let entry = inst.run(&["log", "entry", "--index", "0"]).ok().stdout;
    let parsed: Value = serde_json::from_str(&entry).unwrap();
    let keys: Vec<&str> = parsed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["action", "actor", "commitment", "subject", "time", "v"]
    );
    assert_eq!(parsed["subject"], line["item"]);
    for secret in [
        "Testimony",
        "witness",
        "Named",
        "statement",
        line["sha256"].as_str().unwrap(),
    ] {
        assert!(!entry.contains(secret), "{secret:?} leaked into {entry}");
    }
}

#[test]
fn data_dir_from_environment_and_exit_codes() {
    let inst = Instance::new();
    let out = crate::harness::gawah()
        .args(["log", "key"])
        .env("GAWAH_DATA_DIR", &inst.dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let key = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<&str> = key.trim().splitn(3, '+').collect();
    assert_eq!(parts[0], "test.example/gawah");
    assert_eq!(parts[1].len(), 8);
    assert_eq!(B64.decode(parts[2]).unwrap()[0], 1);
    run(&["log", "key"]).fails(2, "no data dir");
    run(&["no-such-command"]).fails(2, "unrecognized subcommand");
    inst.run(&["log", "prove", "--index", "0"])
        .fails(2, "not in a tree of size 0");
    run(&["init", "--data-dir", s(&inst.dir)]).fails(2, "already exists and is not empty");
}

#[test]
fn two_ingests_at_once_serialise_through_the_database() {
    let inst = Instance::new();
    let input = inst.input_dir();
    for i in 0..40 {
        write(&input, &format!("x/{i}"), format!("x{i}").as_bytes());
        write(&input, &format!("y/{i}"), format!("y{i}").as_bytes());
    }
    let spawn = |sub: &str| {
        crate::harness::gawah()
            .args([
                "ingest",
                "--json",
                "--data-dir",
                s(&inst.dir),
                s(&input.join(sub)),
            ])
            .output()
            .unwrap()
    };
    let (x, y) = std::thread::scope(|sc| {
        let x = sc.spawn(|| spawn("x"));
        let y = sc.spawn(|| spawn("y"));
        (x.join().unwrap(), y.join().unwrap())
    });
    assert!(x.status.success() && y.status.success());
    let mut indexes: Vec<u64> = [x.stdout, y.stdout]
        .iter()
        .flat_map(|o| {
            String::from_utf8_lossy(o)
                .lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["log_index"]
                        .as_u64()
                        .unwrap()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    indexes.sort();
    assert_eq!(indexes, (0..80).collect::<Vec<_>>());
    assert!(
        inst.run(&["log", "verify"])
            .ok()
            .stdout
            .contains("ok: 80 entries, 80 items")
    );
}
