//! The S3 blob store against a real Garage (never a mock).
//!
//! Needs the variables `scripts/garage.sh DIR` prints (`GAWAH_TEST_S3_URL`, `AWS_*`); the
//! test command evals them before `cargo test`. Without them these tests fail, saying so:
//! a skipped S3 test would read as a passing one. The outage test starts a Garage of its
//! own through the same script, so stopping it disturbs no other test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use gawah_core::Sha256Digest;
use gawah_store::blob_config::{BlobConfig, BlobLocation, S3Settings, process_env};
use gawah_store::blob_conformance::{blob_conformance, pattern};
use gawah_store::{BlobError, BlobKey, BlobStore, S3BlobStore};

/// The test bucket's URL with a fresh prefix, so every run starts from an empty store.
fn fresh_url(base: &str, what: &str) -> String {
    let nonce: [u8; 6] = gawah_core::random::random_bytes().unwrap();
    format!(
        "{}/{what}-{}",
        base.trim_end_matches('/'),
        hex::encode(nonce)
    )
}

fn settings_from(url: &str, env: &dyn Fn(&str) -> Option<String>) -> S3Settings {
    let config = BlobConfig::for_init(url, env).unwrap();
    let BlobLocation::S3(s3) = BlobLocation::parse(url).unwrap() else {
        panic!("{url} is not an s3:// URL");
    };
    config.s3_settings(s3, env).unwrap()
}

fn test_settings(what: &str) -> S3Settings {
    let base = process_env("GAWAH_TEST_S3_URL").unwrap_or_else(|| {
        panic!(
            "GAWAH_TEST_S3_URL is not set: start Garage with \
             `eval \"$(scripts/garage.sh /tmp/gawah-garage)\"` (scripts/test.sh does) and run again"
        )
    });
    settings_from(&fresh_url(&base, what), &process_env)
}

fn spool_is_empty(spool: &Path) -> bool {
    std::fs::read_dir(spool).map_or(true, |mut d| d.next().is_none())
}

#[test]
fn s3_passes_the_blob_conformance_suite() {
    let spool = tempfile::tempdir().unwrap();
    let store = S3BlobStore::open(&test_settings("conformance"), spool.path()).unwrap();
    store.check_access().unwrap();
    blob_conformance(&store);
    assert!(spool_is_empty(spool.path()), "spooled files are unlinked");
}

#[test]
fn a_missing_bucket_or_a_wrong_secret_is_a_clear_permanent_error() {
    let spool = tempfile::tempdir().unwrap();
    let good = test_settings("refused");
    let mut no_bucket = good.clone();
    no_bucket.url.bucket = "gawah-no-such-bucket".into();
    let store = S3BlobStore::open(&no_bucket, spool.path()).unwrap();
    let err = store.check_access().unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains("list s3://gawah-no-such-bucket"),
        "{err}"
    );

    let mut wrong = good;
    wrong.credentials.secret_access_key = "0".repeat(64).into();
    let store = S3BlobStore::open(&wrong, spool.path()).unwrap();
    let mut w = store.create().unwrap();
    w.write_all(b"refused").unwrap();
    let err = w.commit().unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    let text = err.to_string();
    assert!(text.contains("head s3://"), "{text}");
    assert!(!text.contains(&"0".repeat(64)), "the secret leaked: {text}");
}

/// A Garage of this test's own, stopped when the test ends however it ends.
struct OwnGarage {
    dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/garage.sh")
}

impl OwnGarage {
    /// Starts (or restarts, same state and ports) and returns the variables it printed.
    fn start(&self) -> Vec<(String, String)> {
        let out = Command::new(script())
            .arg("start")
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "garage.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn stop(&self) {
        let status = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "garage.sh stop");
    }
}

impl Drop for OwnGarage {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn garage_stopped_mid_run_fails_clearly_and_acknowledges_nothing_then_a_retry_works() {
    let garage = OwnGarage {
        dir: tempfile::tempdir().unwrap(),
    };
    let vars = garage.start();
    let env = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let url = fresh_url(&env("GAWAH_TEST_S3_URL").unwrap(), "outage");
    let spool = tempfile::tempdir().unwrap();
    let store = S3BlobStore::open(&settings_from(&url, &env), spool.path()).unwrap();

    let before = pattern(7, 100_000);
    let mut w = store.create().unwrap();
    w.write_all(&before).unwrap();
    let kept = w.commit().unwrap();

    // The server goes away while a writer is open: its commit fails, retryable, and names
    // what it was doing; reads fail too, and never as "not found".
    let during = pattern(8, (16 << 20) + 5); // a multipart upload
    let mut w = store.create().unwrap();
    w.write_all(&during).unwrap();
    garage.stop();
    let err = w.commit().unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(matches!(err, BlobError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("s3://"), "{err}");
    let read = store.open(&kept.key).map(drop).unwrap_err();
    assert!(read.is_retryable(), "{read}");
    let size = store.size(&kept.key).unwrap_err();
    assert!(size.is_retryable(), "{size}");
    assert!(store.keys().unwrap_err().is_retryable());

    // Back up: nothing of the failed write is there; the retry succeeds; the first blob
    // was never touched.
    garage.start();
    let key = BlobKey::from(Sha256Digest::of(&during));
    assert_eq!(
        store.size(&key).unwrap(),
        None,
        "a failed commit left a blob"
    );
    let mut w = store.create().unwrap();
    w.write_all(&during).unwrap();
    assert_eq!(w.commit().unwrap().key, key);
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut store.open(&key).unwrap(), &mut back).unwrap();
    assert!(back == during);
    assert_eq!(store.keys().unwrap().len(), 2);
    assert_eq!(store.size(&kept.key).unwrap(), Some(before.len() as u64));
    assert!(spool_is_empty(spool.path()));
}
