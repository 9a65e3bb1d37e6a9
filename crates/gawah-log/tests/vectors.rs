//! RFC 6962 proof test vectors from transparency-dev/merkle (see the README beside them):
//! every case with `wantErr: false` must verify and every case with `wantErr: true` must not.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gawah_log::{verify_consistency_bytes, verify_inclusion_bytes};
use serde_json::Value;

/// Cases in the vendored copy (98 each); fewer means the folder was truncated or moved.
const MIN_INCLUSION_CASES: usize = 98;
const MIN_CONSISTENCY_CASES: usize = 98;

/// The vectors live in the `shared/` checkout beside the repository, locally and in CI.
fn vectors_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/rfc6962-merkle");
    assert!(
        dir.is_dir(),
        "test vectors missing at {}: check out shared/ beside the repository",
        dir.display()
    );
    dir
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn cases(kind: &str) -> Vec<(PathBuf, Value)> {
    let mut files = Vec::new();
    json_files(&vectors_dir().join(kind), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            (path, value)
        })
        .collect()
}

fn bytes(value: &Value) -> Vec<u8> {
    BASE64.decode(value.as_str().unwrap()).unwrap()
}

/// `null` proofs in the vectors mean an empty proof.
fn proof(value: &Value) -> Vec<Vec<u8>> {
    value
        .as_array()
        .map(|items| items.iter().map(bytes).collect())
        .unwrap_or_default()
}

fn number(value: &Value) -> u64 {
    value.as_u64().unwrap()
}

/// Runs every case, returns how many there were and how many expected success.
fn check_all(kind: &str, verify: impl Fn(&Value) -> bool) -> (usize, usize) {
    let cases = cases(kind);
    let mut failures = Vec::new();
    let mut accepting = 0;
    for (path, case) in &cases {
        let want_err = case["wantErr"].as_bool().unwrap();
        accepting += usize::from(!want_err);
        if verify(case) == want_err {
            failures.push(format!("{} (wantErr {want_err})", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{kind} cases failed:\n{}",
        failures.join("\n")
    );
    (cases.len(), accepting)
}

#[test]
fn inclusion_vectors() {
    let (total, accepting) = check_all("inclusion", |case| {
        verify_inclusion_bytes(
            number(&case["leafIdx"]),
            number(&case["treeSize"]),
            &bytes(&case["leafHash"]),
            &proof(&case["proof"]),
            &bytes(&case["root"]),
        )
        .is_ok()
    });
    assert!(total >= MIN_INCLUSION_CASES, "only {total} inclusion cases");
    assert!(accepting >= 6, "only {accepting} accepting inclusion cases");
}

#[test]
fn consistency_vectors() {
    let (total, accepting) = check_all("consistency", |case| {
        verify_consistency_bytes(
            number(&case["size1"]),
            number(&case["size2"]),
            &bytes(&case["root1"]),
            &bytes(&case["root2"]),
            &proof(&case["proof"]),
        )
        .is_ok()
    });
    assert!(
        total >= MIN_CONSISTENCY_CASES,
        "only {total} consistency cases"
    );
    assert!(
        accepting >= 6,
        "only {accepting} accepting consistency cases"
    );
}
