//! The `gawah-verify` binary: output and exit codes.

mod common;

use std::process::Command;

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_gawah-verify");

struct Setup {
    _dir: tempfile::TempDir,
    bundle: std::path::PathBuf,
    key: std::path::PathBuf,
    checkpoint: std::path::PathBuf,
}

fn setup(zip: &[u8], key: &str, checkpoint: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.zip");
    let keyfile = dir.path().join("log.key");
    let cp = dir.path().join("checkpoint");
    std::fs::write(&bundle, zip).unwrap();
    std::fs::write(&keyfile, format!("{key}\n")).unwrap();
    std::fs::write(&cp, checkpoint).unwrap();
    Setup {
        _dir: dir,
        bundle,
        key: keyfile,
        checkpoint: cp,
    }
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verified_bundle_exits_0() {
    let b = good();
    let s = setup(&b.zip, &b.log.key(), &b.log.checkpoint());
    let (code, out, _) = run(&[
        s.bundle.as_os_str(),
        "--key".as_ref(),
        s.key.as_os_str(),
        "--checkpoint".as_ref(),
        s.checkpoint.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("RESULT: VERIFIED"), "{out}");
    let (code, out, _) = run(&[
        s.bundle.as_os_str(),
        "--key".as_ref(),
        s.key.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["items"][0]["checks"][0]["outcome"], "pass");
}

#[test]
fn failed_verification_exits_1() {
    let b = good();
    let zip = rezip(&b.zip, |f| f.retain(|(n, _)| n != "files/item_2abc.bin"));
    let s = setup(&zip, &b.log.key(), "");
    let (code, out, _) = run(&[s.bundle.as_os_str(), "--key".as_ref(), s.key.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("RESULT: NOT VERIFIED. 2 check(s) failed"),
        "{out}"
    );
    assert!(
        out.contains("files/item_2abc.bin is listed in the manifest but missing from the bundle")
    );
    let garbage = setup(b"not a zip at all, just text", &b.log.key(), "");
    let (code, out, _) = run(&[
        garbage.bundle.as_os_str(),
        "--key".as_ref(),
        garbage.key.as_os_str(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not a zip archive"));
}

#[test]
fn usage_and_input_errors_exit_2() {
    let b = good();
    let s = setup(&b.zip, "not a key", "not a checkpoint");
    let (code, _, err) = run(&[s.bundle.as_os_str(), "--key".as_ref(), s.key.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("the key is not a verifier key"), "{err}");
    let good_key = setup(&b.zip, &b.log.key(), "not a checkpoint");
    let (code, _, err) = run(&[
        good_key.bundle.as_os_str(),
        "--key".as_ref(),
        good_key.key.as_os_str(),
        "--checkpoint".as_ref(),
        good_key.checkpoint.as_os_str(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the trusted checkpoint does not verify"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "/nonexistent/bundle.zip".as_ref(),
        "--key".as_ref(),
        good_key.key.as_os_str(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/bundle.zip"), "{err}");
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("usage: gawah-verify"), "{err}");
    let (code, _, err) = run(&["a".as_ref(), "--key".as_ref()]);
    assert_eq!(code, 2);
    assert!(err.contains("--key needs a value"), "{err}");
    let (code, _, err) = run(&["a".as_ref(), "--frobnicate".as_ref()]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown option --frobnicate"), "{err}");
    let (code, out, _) = run(&["--help".as_ref()]);
    assert_eq!(code, 0);
    assert!(out.contains("exit status: 0 verified, 1 not verified, 2 usage or input error"));
}
