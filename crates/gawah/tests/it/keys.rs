//! Keys: a passphrase or a key file unlocks them; anything wrong is refused before anything
//! is written; rotation and a change of passphrase keep every record readable.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::{Instance, files_containing, gawah, s, sha256sum, write};

/// Every file under `dir` with its SHA-256, to show that nothing changed. The WAL index
/// (`-shm`) is left out: it is SQLite's shared-memory file, rewritten by any reader, holding
/// no data.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().ends_with("-shm") {
                out.push((p.display().to_string(), sha256sum(&p)));
            }
        }
    }
    out.sort();
    out
}

fn private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Runs gawah with a passphrase file instead of the test key file.
fn with_passphrase(pass: &Path, args: &[&str]) -> crate::harness::Run {
    let out = gawah()
        .env_remove("GAWAH_KEY_FILE")
        .env("GAWAH_PASSPHRASE_FILE", pass)
        .args(args)
        .output()
        .unwrap();
    crate::harness::Run::from_output(out)
}

#[test]
fn a_wrong_missing_or_open_secret_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = tmp.path().join("pass");
    private(&pass, "a long enough passphrase\n");
    let dir = tmp.path().join("data");
    with_passphrase(&pass, &["init", "--data-dir", s(&dir)]).ok();
    with_passphrase(
        &pass,
        &["admin", "org", "add", "Org", "--data-dir", s(&dir)],
    )
    .ok();
    let before = snapshot(&dir);

    let wrong = tmp.path().join("wrong");
    private(&wrong, "another long passphrase\n");
    with_passphrase(&wrong, &["admin", "org", "add", "X", "--data-dir", s(&dir)])
        .fails(2, "wrong passphrase");
    with_passphrase(
        &wrong,
        &["serve", "--data-dir", s(&dir), "--listen", "127.0.0.1:0"],
    )
    .fails(2, "wrong passphrase");
    // A key file where a passphrase is expected, a missing one, one others can read.
    let run = |key: &Path, args: &[&str]| {
        crate::harness::Run::from_output(
            gawah()
                .env("GAWAH_KEY_FILE", key)
                .args(args)
                .output()
                .unwrap(),
        )
    };
    run(
        crate::harness::key_file(),
        &["serve", "--data-dir", s(&dir), "--listen", "127.0.0.1:0"],
    )
    .fails(2, "unlocked with a passphrase");
    run(
        &tmp.path().join("missing.key"),
        &["ingest", s(&pass), "--data-dir", s(&dir)],
    )
    .fails(2, "missing.key");
    let open = tmp.path().join("open");
    std::fs::write(&open, "a long enough passphrase\n").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    with_passphrase(
        &open,
        &["serve", "--data-dir", s(&dir), "--listen", "127.0.0.1:0"],
    )
    .fails(2, "chmod 600");
    // No secret at all, without a terminal.
    crate::harness::Run::from_output(
        gawah()
            .env_remove("GAWAH_KEY_FILE")
            .args(["ingest", s(&pass), "--data-dir", s(&dir)])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    )
    .fails(2, "needs the keys");
    assert_eq!(snapshot(&dir), before, "a refused command wrote something");

    // A weak passphrase makes no data dir at all.
    let weak = tmp.path().join("weak");
    private(&weak, "short\n");
    let other = tmp.path().join("other");
    with_passphrase(&weak, &["init", "--data-dir", s(&other)]).fails(2, "at least 12");
    assert!(!other.exists());
}

#[test]
fn ingested_file_names_are_sealed_and_open_with_the_keys_only() {
    let inst = Instance::new();
    let f = write(&inst.input_dir(), "canary-name-5b1e.jpg", b"photo");
    let out = inst.run(&["ingest", "--json", s(&f)]).ok();
    let item = out.json_lines()[0]["item"].as_str().unwrap().to_owned();
    let db = std::fs::read(inst.dir.join("gawah.db")).unwrap();
    let wal = std::fs::read(inst.dir.join("gawah.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(16).any(|w| w == b"canary-name-5b1e"));
    }
    let shown = inst
        .run(&["item", "show", "--json", &item])
        .ok()
        .json_lines();
    assert!(shown[0]["file_name"].is_null());
    let size = |i: &Instance| {
        i.run(&["log", "checkpoint"])
            .ok()
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let before = size(&inst);
    let shown = inst
        .run(&["item", "show", "--json", "--confidential", &item])
        .ok()
        .json_lines();
    assert_eq!(shown[0]["file_name"], "canary-name-5b1e.jpg");
    let after = size(&inst);
    assert_eq!(
        after.parse::<u64>().unwrap(),
        before.parse::<u64>().unwrap() + 1,
        "the read is logged"
    );
    let actions: Vec<String> = shown[0]["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["intake", "view"]);
    inst.run(&["log", "verify"]).ok();
}

#[test]
fn rotation_and_a_new_passphrase_keep_every_record_readable() {
    let inst = Instance::new();
    let f = write(&inst.input_dir(), "interview.m4a", b"audio");
    let item = inst.run(&["ingest", "--json", s(&f)]).ok().json_lines()[0]["item"]
        .as_str()
        .unwrap()
        .to_owned();
    inst.run(&["admin", "keys", "rotate", "--org", "instance"])
        .ok();
    inst.run(&["admin", "keys", "rotate", "--org", "instance"])
        .ok();
    let versions: Vec<i64> = {
        let db = inst.db();
        let mut st = db
            .prepare("SELECT version FROM org_keys WHERE scope = 'instance'")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(versions, [3], "old versions are deleted after a rotation");
    let shown = inst
        .run(&["item", "show", "--json", "--confidential", &item])
        .ok()
        .json_lines();
    assert_eq!(shown[0]["file_name"], "interview.m4a");

    // Move from the key file to a passphrase: the old key file stops working.
    let pass = inst.tmp.path().join("pass");
    private(&pass, "a brand new passphrase\n");
    inst.run(&[
        "admin",
        "keys",
        "change-passphrase",
        "--new-passphrase-file",
        s(&pass),
    ])
    .ok();
    inst.run(&["item", "show", "--confidential", &item])
        .fails(2, "unlocked with a passphrase");
    let shown = with_passphrase(
        &pass,
        &[
            "item",
            "show",
            "--json",
            "--confidential",
            &item,
            "--data-dir",
            s(&inst.dir),
        ],
    )
    .ok()
    .json_lines();
    assert_eq!(shown[0]["file_name"], "interview.m4a");
    inst.run(&["log", "verify"]).ok();
}

#[test]
fn confidential_files_are_sealed_while_proofs_speak_of_the_original() {
    let inst = Instance::new();
    // Unique bytes, large enough to span several sealed chunks, in two files (one folder).
    let mut canary = Vec::new();
    for i in 0..40_000u32 {
        canary.extend_from_slice(format!("canary-bytes-{i:08}|").as_bytes());
    }
    let folder = inst.input_dir();
    let a = write(&folder, "a/interview-canary-3c7.m4a", &canary);
    write(&folder, "a/b.txt", b"short canary-text-3c7");
    let out = inst
        .run(&["ingest", "--confidential", "--json", s(&folder.join("a"))])
        .ok()
        .json_lines();
    assert_eq!(out.len(), 2);
    let first = out.iter().find(|l| l["bytes"] == canary.len()).unwrap();
    assert_eq!(
        first["sha256"],
        sha256sum(&a),
        "the original's SHA-256 is acknowledged"
    );
    for needle in [
        &b"canary-bytes-00012345"[..],
        b"canary-text-3c7",
        b"interview-canary-3c7",
    ] {
        let found = files_containing(&inst.dir, needle);
        assert!(
            found.is_empty(),
            "{} in {found:?}",
            String::from_utf8_lossy(needle)
        );
    }
    // Nor the original's SHA-256, in hex or raw, anywhere under the data dir.
    let hex = sha256sum(&a);
    assert!(files_containing(&inst.dir, hex.as_bytes()).is_empty());
    assert!(files_containing(&inst.dir, &hex::decode(&hex).unwrap()).is_empty());
    let item = first["item"].as_str().unwrap();
    let shown = inst
        .run(&["item", "show", "--json", item])
        .ok()
        .json_lines();
    assert!(shown[0]["sha256"].is_null() && shown[0]["salt"].is_null());
    assert_eq!(shown[0]["confidential"], true);
    let opened = inst
        .run(&["item", "show", "--json", "--confidential", item])
        .ok()
        .json_lines();
    assert_eq!(opened[0]["sha256"], hex);
    // The commitment in the log is to the original: SHA-256("gawah-commit/v1" ‖ salt ‖ sha).
    let salt = hex::decode(opened[0]["salt"].as_str().unwrap()).unwrap();
    let mut pre = b"gawah-commit/v1".to_vec();
    pre.extend_from_slice(&salt);
    pre.extend_from_slice(&hex::decode(&hex).unwrap());
    let tmp = inst.tmp.path().join("pre");
    std::fs::write(&tmp, &pre).unwrap();
    assert_eq!(opened[0]["commitment"], sha256sum(&tmp));
    inst.run(&["log", "verify"]).ok();
    // A flipped byte in the sealed blob is found by verify.
    let blobs = inst.dir.join("blobs");
    let mut victim = None;
    let mut stack = vec![blobs];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::metadata(&p).unwrap().len() > 100_000 {
                victim = Some(p);
            }
        }
    }
    let victim = victim.expect("the sealed blob");
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[50_000] ^= 1;
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&victim, bytes).unwrap();
    inst.run(&["log", "verify"]).fails(1, item);
}
