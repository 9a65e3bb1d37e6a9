//! Bad input gets a clear error (exit 2) or a correct result; never a panic, never a
//! half-written acknowledgement.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{Instance, run, s, write};

/// SHA-256 of 5 GiB of zero bytes, computed independently (Python's hashlib).
const ZEROS_5GIB_SHA256: &str = "7f06c62352aebd8125b2a1841e2b9e1ffcbed602f381c3dcb3200200e383d1d5";

fn log_size(inst: &Instance) -> i64 {
    inst.db()
        .query_row("SELECT size FROM log_head", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_missing_path_ingests_nothing() {
    let inst = Instance::new();
    let real = write(&inst.input_dir(), "real", b"x");
    let missing = inst.input_dir().join("missing");
    inst.run(&["ingest", s(&real), s(&missing)])
        .fails(2, "cannot ingest");
    assert_eq!(log_size(&inst), 0);
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_ingested() {
    let inst = Instance::new();
    let input = inst.input_dir();
    write(&input, "good", b"good");
    let fifo = input.join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let run = inst
        .run(&["ingest", "--json", s(&input)])
        .fails(2, "pipe: not a regular file");
    assert_eq!(run.json_lines().len(), 1);
    // A file whose read fails: /proc/self/mem reads fail at offset 0 whoever we are.
    inst.run(&["ingest", "/proc/self/mem"])
        .fails(2, "cannot ingest /proc/self/mem: reading input");
    assert_eq!(log_size(&inst), 1);
    inst.run(&["log", "verify"]).ok();
}

#[test]
fn a_file_without_read_permission_is_refused_when_not_root() {
    let inst = Instance::new();
    let f = write(&inst.input_dir(), "secret", b"x");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let as_root = std::fs::File::open(&f).is_ok();
    let out = if as_root {
        // Root reads anything: hand the data dir to an unprivileged user and run as that user.
        std::fs::set_permissions(inst.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(f.parent().unwrap(), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        // The unprivileged user needs its own copy of the key file (0600, its own).
        let key = inst.tmp.path().join("nobody.key");
        std::fs::copy(crate::harness::key_file(), &key).unwrap();
        assert!(
            Command::new("chown")
                .args(["-R", "65534:65534", s(&inst.dir), s(&key)])
                .status()
                .unwrap()
                .success()
        );
        Command::new("setpriv")
            .env("GAWAH_KEY_FILE", &key)
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_gawah"),
                "ingest",
                s(&f),
            ])
            .args(["--data-dir", s(&inst.dir)])
            .output()
            .unwrap()
    } else {
        crate::harness::gawah()
            .args(["ingest", s(&f), "--data-dir", s(&inst.dir)])
            .output()
            .unwrap()
    };
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let named: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Permission denied"))
        .collect();
    assert_eq!(named.len(), 1, "one line for the error: {stderr}");
    assert!(
        named[0].starts_with("gawah: error: cannot ingest ") && named[0].contains("secret"),
        "{stderr}"
    );
}

#[test]
fn an_empty_file_is_valid() {
    let inst = Instance::new();
    let f = write(&inst.input_dir(), "empty", b"");
    let line = &inst.run(&["ingest", "--json", s(&f)]).ok().json_lines()[0];
    assert_eq!(line["bytes"], 0);
    assert_eq!(
        line["sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    inst.run(&["log", "verify"]).ok();
}

#[test]
fn a_5_gib_sparse_file_streams_in_constant_memory() {
    let inst = Instance::new();
    let path = inst.input_dir().join("sparse");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(5 << 30)
        .unwrap();
    let rss_file = inst.tmp.path().join("rss");
    let out = Command::new("/usr/bin/time")
        .env("GAWAH_KEY_FILE", crate::harness::key_file())
        .args([
            "-f",
            "%M",
            "-o",
            s(&rss_file),
            env!("CARGO_BIN_EXE_gawah"),
            "ingest",
            "--json",
        ])
        .args([s(&path), "--data-dir", s(&inst.dir)])
        .output()
        .expect("/usr/bin/time (Debian package `time`)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["bytes"], 5u64 << 30);
    assert_eq!(line["sha256"], ZEROS_5GIB_SHA256);
    let peak_kib: u64 = std::fs::read_to_string(&rss_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        peak_kib < 64 * 1024,
        "peak RSS {peak_kib} KiB for a 5 GiB file"
    );
    let blob = inst.blob_path(ZEROS_5GIB_SHA256);
    assert_eq!(std::fs::metadata(&blob).unwrap().len(), 5 << 30);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_corrupt_database_is_refused_clearly() {
    for damage in [
        b"this is not a database at all, it is garbage".repeat(200),
        Vec::new(),
    ] {
        let inst = Instance::new();
        let f = write(&inst.input_dir(), "x", b"x");
        inst.run(&["ingest", s(&f)]).ok();
        let db = inst.dir.join("gawah.db");
        if damage.is_empty() {
            // Keep the header, destroy the pages behind it.
            let mut bytes = std::fs::read(&db).unwrap();
            for b in bytes.iter_mut().skip(100) {
                *b = 0xA5;
            }
            std::fs::write(&db, bytes).unwrap();
        } else {
            std::fs::write(&db, damage).unwrap();
        }
        let _ = std::fs::remove_file(inst.dir.join("gawah.db-wal"));
        for args in [
            &["log", "verify"][..],
            &["ingest", s(&f)],
            &["log", "checkpoint"],
        ] {
            inst.run(args).fails(2, "corrupt");
        }
    }
}

#[test]
fn a_data_dir_from_a_future_version_is_refused() {
    let inst = Instance::new();
    inst.db().pragma_update(None, "user_version", 99).unwrap();
    inst.run(&["log", "checkpoint"])
        .fails(2, "schema version 99, newer than this gawah supports");
    let inst = Instance::new();
    let config = inst.dir.join("gawah.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("layout = 1", "layout = 7");
    std::fs::write(&config, text).unwrap();
    inst.run(&["log", "key"])
        .fails(2, "layout version 7, newer than this gawah supports");
}

#[test]
fn bad_config_and_key_files_are_refused() {
    let inst = Instance::new();
    let config = inst.dir.join("gawah.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}colour = \"blue\"\n")).unwrap();
    inst.run(&["log", "key"]).fails(2, "unknown field `colour`");
    std::fs::write(&config, text).unwrap();
    let key = inst.dir.join("log-signing.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    inst.run(&["log", "key"]).fails(2, "lets others read it");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&key, "PRIVATE+KEY+nonsense\n").unwrap();
    inst.run(&["log", "key"]).fails(2, "signing key");
    run(&["log", "key", "--data-dir", "/nonexistent/dir"]).fails(2, "is not a gawah data dir");
}

#[test]
fn bad_arguments_are_refused() {
    let inst = Instance::new();
    inst.run(&["item", "show", "--json", "nonsense"])
        .fails(2, "bad item id");
    inst.run(&["item", "show", "--json", "item_00000000000000000000000000"])
        .fails(2, "no item");
    inst.run(&["log", "entry", "--index", "5"])
        .fails(2, "not found: log entry 5");
    inst.run(&["log", "consistency", "--from", "0", "--to", "0"])
        .fails(2, "need 0 < --from");
    inst.run(&["log", "prove", "--index", "0", "--size", "9"])
        .fails(2, "larger than the log");
    inst.run(&["log", "entry", "--index", "-1"])
        .fails(2, "unexpected argument");
    let f = write(&inst.input_dir(), "x", b"x");
    inst.run(&["ingest", "--case", "", s(&f)])
        .fails(2, "--case must be");
    run(&["ingest", s(&f)]).fails(2, "no data dir");
}
