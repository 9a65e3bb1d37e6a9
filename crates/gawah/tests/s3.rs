//! The binary end to end with its blobs in S3, against a real Garage: `init --blob-url`,
//! `ingest`, `item show`, `log verify`, and the errors of a missing key, a changed URL and
//! a data dir pointed at an empty prefix.
//!
//! Needs the variables `scripts/garage.sh DIR` prints (`GAWAH_TEST_S3_URL`, `AWS_*`), which
//! the test command evals first; without them the test fails, saying so.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use gawah_store::blob_config::{BlobConfig, BlobLocation, process_env};
use gawah_store::{BlobStore, S3BlobStore};
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gawah(key_file: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gawah"));
    c.env_remove("GAWAH_DATA_DIR")
        .env_remove("GAWAH_PASSPHRASE_FILE")
        .env_remove("GAWAH_BLOB_URL")
        .env("GAWAH_KEY_FILE", key_file)
        .args(args);
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.output().expect("spawn gawah");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "gawah panicked: {}",
        run.stderr
    );
    run
}

fn ok(run: Run) -> Run {
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    run
}

fn test_url() -> String {
    let base = process_env("GAWAH_TEST_S3_URL").unwrap_or_else(|| {
        panic!(
            "GAWAH_TEST_S3_URL is not set: start Garage with \
             `eval \"$(scripts/garage.sh /tmp/gawah-garage)\"` (scripts/test.sh does) and run again"
        )
    });
    let nonce: [u8; 6] = gawah_core::random::random_bytes().unwrap();
    format!("{}/cli-{}", base.trim_end_matches('/'), hex::encode(nonce))
}

fn s3_store(url: &str, spool: &Path) -> S3BlobStore {
    let config = BlobConfig::for_init(url, &process_env).unwrap();
    let BlobLocation::S3(s3) = BlobLocation::parse(url).unwrap() else {
        panic!("not s3: {url}");
    };
    S3BlobStore::open(&config.s3_settings(s3, &process_env).unwrap(), spool).unwrap()
}

/// Bytes that do not repeat (a multipart upload of distinct parts).
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn init_ingest_show_and_verify_with_blobs_in_garage() {
    let url = test_url();
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("test.key");
    std::fs::write(&key, format!("{}\n", "5e".repeat(32))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir: PathBuf = tmp.path().join("data");
    let d = dir.to_str().unwrap();

    // Init records the location, never a key, and reaches the bucket first.
    let no_bucket = gawah(
        &key,
        &[
            "init",
            "--data-dir",
            d,
            "--blob-url",
            "s3://gawah-no-such-bucket",
        ],
        &[],
    );
    assert_eq!(no_bucket.code, 2, "{}", no_bucket.stderr);
    assert!(
        no_bucket.stderr.contains("gawah-no-such-bucket"),
        "{}",
        no_bucket.stderr
    );
    assert!(!dir.exists(), "a failed init left a data dir");
    ok(gawah(
        &key,
        &["init", "--data-dir", d],
        &[("GAWAH_BLOB_URL", Some(&url))],
    ));
    let toml = std::fs::read_to_string(dir.join("gawah.toml")).unwrap();
    assert!(toml.contains(&format!("url = \"{url}\"")), "{toml}");
    for secret in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        let value = process_env(secret).unwrap();
        assert!(!toml.contains(&value), "{secret} written to gawah.toml");
    }

    // Ingest: empty, small, a multipart-sized file, and a confidential one (sealed).
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let files = [
        ("empty.txt", Vec::new()),
        ("note.txt", b"testimony transcript, page 1".to_vec()),
        ("video.bin", noise((20 << 20) + 3)),
    ];
    for (name, bytes) in &files {
        std::fs::File::create(input.join(name))
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }
    let ingest = ok(gawah(
        &key,
        &["ingest", "--json", "--data-dir", d, input.to_str().unwrap()],
        &[],
    ));
    let lines: Vec<Value> = ingest
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), files.len());
    let secret_file = tmp.path().join("witness.txt");
    std::fs::write(&secret_file, b"a witness's name").unwrap();
    ok(gawah(
        &key,
        &[
            "ingest",
            "--confidential",
            "--data-dir",
            d,
            secret_file.to_str().unwrap(),
        ],
        &[],
    ));

    // The blobs are in the bucket, none in the data dir.
    let spool = tempfile::tempdir().unwrap();
    let store = s3_store(&url, spool.path());
    let keys = store.keys().unwrap();
    assert_eq!(
        keys.len(),
        files.len() + 1,
        "three plain blobs and a sealed one"
    );
    let sealed: Vec<_> = keys
        .iter()
        .filter(|k| k.hash() == gawah_store::BlobHash::Blake3)
        .collect();
    assert_eq!(
        sealed.len(),
        1,
        "the sealed blob is under its BLAKE3: {keys:?}"
    );
    for line in &lines {
        let sha: gawah_core::Sha256Digest = line["sha256"].as_str().unwrap().parse().unwrap();
        assert!(keys.contains(&sha.into()), "{line} not in the bucket");
        let shown = ok(gawah(
            &key,
            &[
                "item",
                "show",
                "--json",
                "--data-dir",
                d,
                line["item"].as_str().unwrap(),
            ],
            &[],
        ));
        assert!(shown.stdout.contains(line["sha256"].as_str().unwrap()));
    }
    assert!(!dir.join("blobs").exists(), "blobs written locally");

    // Verification reads every blob back from S3.
    ok(gawah(&key, &["log", "verify", "--data-dir", d], &[]));

    // Without keys, or with another URL, gawah refuses clearly.
    let no_secret = gawah(
        &key,
        &["log", "verify", "--data-dir", d],
        &[("AWS_SECRET_ACCESS_KEY", None)],
    );
    assert_eq!(no_secret.code, 2);
    assert!(
        no_secret.stderr.contains("AWS_SECRET_ACCESS_KEY"),
        "{}",
        no_secret.stderr
    );
    let moved = gawah(
        &key,
        &["log", "verify", "--data-dir", d],
        &[("GAWAH_BLOB_URL", Some("s3://elsewhere"))],
    );
    assert_eq!(moved.code, 2);
    assert!(moved.stderr.contains("s3://elsewhere"), "{}", moved.stderr);

    // The same records pointed at an empty prefix: every blob is reported missing.
    let copy = tmp.path().join("copy");
    copy_dir(&dir, &copy);
    let empty = format!("{url}-empty");
    std::fs::write(copy.join("gawah.toml"), toml.replace(&url, &empty)).unwrap();
    let bad = gawah(
        &key,
        &["log", "verify", "--data-dir", copy.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        bad.code, 1,
        "stdout: {}\nstderr: {}",
        bad.stdout, bad.stderr
    );
    assert!(
        format!("{}{}", bad.stdout, bad.stderr).contains("missing"),
        "{}{}",
        bad.stdout,
        bad.stderr
    );
}
