//! Witnessing end to end, with two data dirs and a real `gawah serve` for the witness: A
//! exports a case bundle, B imports and verifies it, B witnesses A, A has its checkpoint
//! cosigned by B, and A's next bundle verifies with B as a 1-of-1 witness policy (and not
//! with another witness key); a forked checkpoint of A, signed with A's real key, is refused
//! by B and leaves B's state as it was.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_log::{Checkpoint, NoteSigner};
use serde_json::Value;

use crate::harness::{Instance, Server, run, s, write};

/// A fresh data dir whose log has its own origin (two instances must not share one).
fn instance(origin: &str) -> Instance {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    run(&["init", "--data-dir", s(&dir), "--origin", origin]).ok();
    Instance { tmp, dir }
}

/// Writes `text` (plus a newline) to a file in the instance's temp folder.
fn file(inst: &Instance, name: &str, text: &str) -> std::path::PathBuf {
    write(
        inst.tmp.path(),
        name,
        format!("{}\n", text.trim()).as_bytes(),
    )
}

fn export(inst: &Instance, case: &str, name: &str) -> std::path::PathBuf {
    let out = inst.tmp.path().join(name);
    inst.run(&[
        "export",
        "--case",
        case,
        "--purpose",
        "legal",
        "--out",
        s(&out),
    ])
    .ok();
    out
}

fn log_size(inst: &Instance) -> i64 {
    inst.db()
        .query_row("SELECT size FROM log_head", [], |r| r.get(0))
        .unwrap()
}

/// B's view of A: `witness list --json`'s entry for A's origin.
fn witnessed(b: &Instance, origin: &str) -> Value {
    let list = b.run(&["witness", "list", "--json"]).ok().json_lines();
    list[0]["witnessed_logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["origin"] == origin)
        .cloned()
        .unwrap_or(Value::Null)
}

/// A witness key of the same name as `b`'s but another key: what an impostor would hold.
fn other_witness_key(b: &Instance) -> String {
    let name = format!(
        "{}/witness",
        b.run(&["log", "key"])
            .ok()
            .stdout
            .split('+')
            .next()
            .unwrap()
    );
    gawah_log::Cosigner::new(&name, [5; 32])
        .unwrap()
        .verifier_key()
}

/// A's log signer, read from its key file, as someone holding A's real key would.
fn signer_of(a: &Instance) -> NoteSigner {
    let text = std::fs::read_to_string(a.dir.join("log-signing.key")).unwrap();
    let parts: Vec<&str> = text.trim().splitn(5, '+').collect();
    let raw = B64.decode(parts[4]).unwrap();
    NoteSigner::new(parts[2], raw[1..].try_into().unwrap()).unwrap()
}

/// Unpacks the bundle and runs its README's commands (the lines indented by four spaces)
/// with `sh`, `WKEY` set to a witness key; returns what they printed.
fn readme_with_witness(bundle: &std::path::Path, wkey: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let limits = gawah_bundle::Limits::default();
    let mut zip = gawah_bundle::BundleReader::open(bundle, &limits).unwrap();
    let names: Vec<String> = zip.entries().iter().map(|e| e.name().to_owned()).collect();
    for name in names {
        let bytes = zip.read_bounded(&name, 1 << 30).unwrap();
        write(dir.path(), &name, &bytes);
    }
    let readme = std::fs::read_to_string(dir.path().join("README.txt")).unwrap();
    let script: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| !l.starts_with(' '))
        .collect();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script.join("\n"))
        .current_dir(dir.path())
        .env("LC_ALL", "C")
        .env("WKEY", wkey)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn post(server: &Server, body: &str) -> (u16, Vec<String>, String) {
    server.raw(
        "POST",
        "/add-checkpoint",
        &["Content-Type: text/plain".to_owned()],
        body.as_bytes(),
    )
}

#[test]
fn two_instances_witness_and_a_fork_is_refused() {
    let a_origin = "a.example/gawah";
    let a = instance(a_origin);
    let b = instance("b.example/gawah");
    let input = a.input_dir();
    let photo = write(&input, "gate.jpg", b"a photo of the closed school gate");
    a.run(&["ingest", "--case", "CASE-1", s(&photo)]).ok();
    let a_key = file(&a, "a.key", &a.run(&["log", "key"]).ok().stdout);

    // A exports; B imports (verified with A's key) and verifies it on its own.
    let first = export(&a, "CASE-1", "first.zip");
    b.run(&["import", "bundle", "--key", s(&a_key), s(&first)])
        .ok();
    run(&["verify", s(&first), "--key", s(&a_key)]).ok();

    // B witnesses A; its witness key is made on first use and is stable.
    let b_wkey = b.run(&["witness", "key"]).ok().stdout.trim().to_owned();
    assert!(b_wkey.starts_with("b.example/gawah/witness+"), "{b_wkey}");
    let a_vkey = a.run(&["log", "key"]).ok().stdout.trim().to_owned();
    b.run(&["witness", "add-log", "--key", &a_vkey]).ok();
    b.run(&["witness", "add-log", "--key", &a_vkey])
        .fails(2, "witnessed already");
    assert_eq!(b.run(&["witness", "key"]).ok().stdout.trim(), b_wkey);
    let server = Server::start(&b.dir);

    // A asks B; the cosignature is stored and B's state follows, without a log entry on B.
    let b_size = log_size(&b);
    a.run(&["witness", "add", "--url", &server.url(), "--key", &b_wkey])
        .ok();
    let cosign = a.run(&["log", "cosign", "--json"]).ok().json_lines();
    assert_eq!(cosign[0]["ok"], true, "{cosign:?}");
    let size = cosign[0]["size"].as_u64().unwrap();
    assert_eq!(witnessed(&b, a_origin)["size"], size);
    assert_eq!(log_size(&b), b_size, "cosigning is not a log entry");

    // A's new bundle carries the cosignature and verifies with B as a 1-of-1 policy.
    let second = export(&a, "CASE-1", "second.zip");
    let ok = run(&[
        "verify",
        s(&second),
        "--key",
        s(&a_key),
        "--witness",
        &b_wkey,
        "--min-witnesses",
        "1",
    ])
    .ok();
    assert!(
        ok.stdout.contains("cosigned by b.example/gawah/witness"),
        "{ok:?}"
    );
    assert!(ok.stdout.contains("1 of 1 witnesses"), "{ok:?}");
    // Bundles without a witness policy still verify, and so does the first one (no
    // cosignature) unless a witness is required.
    run(&["verify", s(&second), "--key", s(&a_key)]).ok();
    // By hand, as README.txt says: OpenSSL verifies the log's signature and B's cosignature.
    let by_hand = readme_with_witness(&second, &b_wkey);
    assert_eq!(
        by_hand.matches("Signature Verified Successfully").count(),
        2,
        "{by_hand}"
    );
    assert!(by_hand.contains("cosignature key id: OK"), "{by_hand}");
    assert!(by_hand.contains("witness key id: OK"), "{by_hand}");
    assert!(
        !by_hand.contains("MISMATCH") && !by_hand.contains("MISSING"),
        "{by_hand}"
    );
    // An impostor's key under B's name: OpenSSL refuses and the key ids differ.
    let by_hand = readme_with_witness(&second, &other_witness_key(&b));
    assert!(
        by_hand.contains("cosignature key id: MISMATCH"),
        "{by_hand}"
    );
    assert_eq!(
        by_hand.matches("Signature Verified Successfully").count(),
        1,
        "only the log's own signature: {by_hand}"
    );
    run(&[
        "verify",
        s(&first),
        "--key",
        s(&a_key),
        "--witness",
        &b_wkey,
    ])
    .fails(1, "only 0 of 1 witnesses");
    // Another witness key (A's own, made now) is not B's: the policy fails.
    let other = a.run(&["witness", "key"]).ok().stdout.trim().to_owned();
    run(&[
        "verify",
        s(&second),
        "--key",
        s(&a_key),
        "--witness",
        &other,
    ])
    .fails(1, "only 0 of 1 witnesses");
    run(&[
        "verify",
        s(&second),
        "--key",
        s(&a_key),
        "--witness",
        &other,
        "--witness",
        &b_wkey,
        "--min-witnesses",
        "1",
    ])
    .ok();
    run(&[
        "verify",
        s(&second),
        "--key",
        s(&a_key),
        "--min-witnesses",
        "1",
    ])
    .fails(2, "witness");

    // A forgets what B cosigned: B answers 409 with its size, A retries from it with a
    // consistency proof (the export added entries since).
    a.db()
        .execute("DELETE FROM checkpoint_cosignatures", [])
        .unwrap();
    let again = a.run(&["log", "cosign", "--json"]).ok().json_lines();
    assert_eq!(again[0]["ok"], true, "{again:?}");
    let held = again[0]["size"].as_u64().unwrap();
    assert!(held > size);
    let before = witnessed(&b, a_origin);
    assert_eq!(before["size"], held);

    // A fork of A, signed with A's real key: the same size with another root is refused
    // with 409 and B's size; a larger tree with a made-up proof with 422.
    let signer = signer_of(&a);
    let forged = |size: u64, root: u8| {
        let text = Checkpoint {
            origin: a_origin.to_owned(),
            size,
            root: [root; 32],
            extensions: vec![],
        }
        .to_text();
        signer.sign(&text).unwrap()
    };
    let (status, headers, body) = post(&server, &format!("old {held}\n\n{}", forged(held, 7)));
    assert_eq!(status, 409, "{body}");
    assert_eq!(body, format!("{held}\n"));
    assert!(
        headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("content-type: text/x.tlog.size")),
        "{headers:?}"
    );
    let proof = format!("{}\n", B64.encode([9u8; 32]));
    let (status, _, body) = post(
        &server,
        &format!("old {held}\n{proof}\n{}", forged(held + 1, 7)),
    );
    assert_eq!(status, 422, "{body}");
    // A stale old size, another log, garbage.
    let (status, _, body) = post(&server, &format!("old 0\n\n{}", forged(held, 7)));
    assert_eq!((status, body), (409, format!("{held}\n")));
    let stranger = NoteSigner::new("c.example/gawah", [3; 32]).unwrap();
    let text = Checkpoint {
        origin: "c.example/gawah".into(),
        size: 1,
        root: [1; 32],
        extensions: vec![],
    }
    .to_text();
    let (status, _, _) = post(
        &server,
        &format!("old 0\n\n{}", stranger.sign(&text).unwrap()),
    );
    assert_eq!(status, 404);
    let (status, _, _) = post(&server, "old x\n\nnot a checkpoint\n");
    assert_eq!(status, 400);
    assert_eq!(witnessed(&b, a_origin), before, "B's state is unchanged");
    assert_eq!(log_size(&b), b_size);

    // A's log is still sound, and B's server reported its work.
    a.run(&["log", "verify"]).ok();
    b.run(&["log", "verify"]).ok();
    let out = server.stop();
    assert!(out.contains("cosigned a checkpoint"), "{out}");
    assert!(!out.contains("panicked"), "{out}");
}

#[test]
fn a_witness_that_refuses_fails_the_cosign_run() {
    let a = instance("a.example/gawah");
    let b = instance("b.example/gawah");
    // B has a witness key but does not witness A: 404, and `log cosign` exits 1.
    let b_wkey = b.run(&["witness", "key"]).ok().stdout.trim().to_owned();
    let server = Server::start(&b.dir);
    a.run(&["witness", "add", "--url", &server.url(), "--key", &b_wkey])
        .ok();
    a.run(&["log", "cosign"]).fails(1, "refused with 404");
    assert!(a.run(&["witness", "list", "--json"]).ok().json_lines()[0]["witnesses"][0]
        ["last_cosigned_size"]
        .is_null());
    // Bad keys and URLs are refused before anything is written.
    a.run(&["witness", "add", "--url", "ftp://x", "--key", &b_wkey])
        .fails(2, "http");
    let a_vkey = a.run(&["log", "key"]).ok().stdout.trim().to_owned();
    a.run(&["witness", "add", "--url", &server.url(), "--key", &a_vkey])
        .fails(2, "cosignature key");
    a.run(&["witness", "add-log", "--key", &a_vkey])
        .fails(2, "own log");
    server.stop();
}
