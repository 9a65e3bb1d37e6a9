//! `gawah export --case` and `gawah verify`: a legal bundle of a case verifies offline with
//! the log's key, holds the originals byte for byte (sealed ones opened), is logged, and any
//! tampering or another key is refused.

use crate::harness::{Instance, s, write};

fn setup() -> (Instance, std::path::PathBuf, Vec<Vec<u8>>) {
    let inst = Instance::new();
    let dir = inst.input_dir();
    let plain = b"a photo of the closed school gate".to_vec();
    let sealed = b"an audio statement, confidential".to_vec();
    let other = b"a file of another case".to_vec();
    let p1 = write(&dir, "gate.jpg", &plain);
    let p2 = write(&dir, "statement.ogg", &sealed);
    let p3 = write(&dir, "other.txt", &other);
    inst.run(&["ingest", "--case", "CASE-7", s(&p1)]).ok();
    inst.run(&["ingest", "--case", "CASE-7", "--confidential", s(&p2)])
        .ok();
    inst.run(&["ingest", "--case", "CASE-8", s(&p3)]).ok();
    let key = inst.tmp.path().join("log.key");
    let out = inst.run(&["log", "key"]).ok();
    std::fs::write(&key, out.stdout).unwrap();
    (inst, key, vec![plain, sealed])
}

fn log_size(inst: &Instance) -> i64 {
    inst.db()
        .query_row("SELECT size FROM log_head", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_legal_bundle_verifies_offline_and_every_tampering_is_refused() {
    let (inst, key, originals) = setup();
    let bundle = inst.tmp.path().join("case-7.zip");
    let before = log_size(&inst);
    let trusted = inst.tmp.path().join("trusted.checkpoint");
    let cp = inst.run(&["log", "checkpoint"]).ok();
    std::fs::write(&trusted, cp.stdout).unwrap();
    inst.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "legal",
        "--out",
        s(&bundle),
    ])
    .ok();
    assert_eq!(log_size(&inst), before + 2, "one export entry per item");
    // Verified by the verifier alone, with only the key and the bundle.
    let v = crate::harness::run(&["verify", s(&bundle), "--key", s(&key)]).ok();
    assert!(
        v.stdout.contains("VERIFIED") || v.stdout.to_lowercase().contains("verified"),
        "{v:?}"
    );
    let with_trusted = crate::harness::run(&[
        "verify",
        s(&bundle),
        "--key",
        s(&key),
        "--checkpoint",
        s(&trusted),
    ]);
    assert_eq!(with_trusted.code, 0, "{with_trusted:?}");
    // The originals are in it byte for byte, the sealed one opened, the other case's not.
    let mut reader =
        gawah_bundle::BundleReader::open(&bundle, &gawah_bundle::Limits::default()).unwrap();
    let manifest =
        gawah_bundle::Manifest::parse(&reader.read_bounded("manifest.json", 1 << 20).unwrap())
            .unwrap();
    assert_eq!(manifest.items.len(), 2);
    let mut got: Vec<Vec<u8>> = manifest
        .items
        .iter()
        .map(|i| reader.read_bounded(&i.path, 1 << 20).unwrap())
        .collect();
    got.sort();
    let mut want = originals.clone();
    want.sort();
    assert_eq!(got, want);
    let names: Vec<&str> = manifest
        .items
        .iter()
        .filter_map(|i| i.metadata.get("file_name").and_then(|n| n.as_str()))
        .collect();
    assert!(
        names.contains(&"statement.ogg") && names.contains(&"gate.jpg"),
        "{names:?}"
    );
    // Exchange: another instance imports it (verified with the sender's key), keeps the
    // files with their hashes, logs the transfer, and can hand them on in its own bundle.
    let b = Instance::new();
    let b_before = log_size(&b);
    b.run(&["import", "bundle", "--key", s(&key), s(&bundle)])
        .ok();
    assert_eq!(
        log_size(&b),
        b_before + 4,
        "the bundle, two files, the transfer"
    );
    let transfers: i64 = b
        .db()
        .query_row(
            "SELECT count(*) FROM custody_events WHERE action = 'transfer'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(transfers, 1);
    b.run(&["log", "verify"]).ok();
    let b_key = b.tmp.path().join("b.key");
    std::fs::write(&b_key, b.run(&["log", "key"]).ok().stdout).unwrap();
    let onward = b.tmp.path().join("onward.zip");
    b.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "legal",
        "--out",
        s(&onward),
    ])
    .ok();
    crate::harness::run(&["verify", s(&onward), "--key", s(&b_key)]).ok();
    let mut r2 =
        gawah_bundle::BundleReader::open(&onward, &gawah_bundle::Limits::default()).unwrap();
    let m2 =
        gawah_bundle::Manifest::parse(&r2.read_bounded("manifest.json", 1 << 20).unwrap()).unwrap();
    let mut hashes: Vec<&str> = m2.items.iter().map(|i| i.sha256.as_str()).collect();
    hashes.sort();
    let mut sent: Vec<&str> = manifest.items.iter().map(|i| i.sha256.as_str()).collect();
    sent.push(
        m2.items
            .iter()
            .find(|i| i.metadata.get("file_name").and_then(|n| n.as_str()) == Some("case-7.zip"))
            .map(|i| i.sha256.as_str())
            .unwrap(),
    );
    sent.sort();
    assert_eq!(
        hashes, sent,
        "the same files, and the sender's bundle itself"
    );

    // Tampering: one byte of the archive, another log's key.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes
        .windows(originals[0].len())
        .position(|w| w == originals[0].as_slice())
        .unwrap();
    bytes[at] ^= 1;
    let tampered = inst.tmp.path().join("tampered.zip");
    std::fs::write(&tampered, &bytes).unwrap();
    crate::harness::run(&["verify", s(&tampered), "--key", s(&key)]).fails(1, "");
    let b_size = log_size(&b);
    b.run(&["import", "bundle", "--key", s(&key), s(&tampered)])
        .fails(1, "nothing was imported");
    assert_eq!(
        log_size(&b),
        b_size,
        "a bundle that does not verify leaves no trace"
    );
    let other = Instance::new();
    let other_key = other.tmp.path().join("other.key");
    std::fs::write(&other_key, other.run(&["log", "key"]).ok().stdout).unwrap();
    crate::harness::run(&["verify", s(&bundle), "--key", s(&other_key)]).fails(1, "key");
    // Never overwrites; an unknown case is a clear error.
    inst.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "legal",
        "--out",
        s(&bundle),
    ])
    .fails(2, "exists");
    inst.run(&[
        "export",
        "--case",
        "NO-SUCH",
        "--purpose",
        "legal",
        "--out",
        s(&inst.tmp.path().join("x.zip")),
    ])
    .fails(2, "NO-SUCH");
    // A public bundle never holds an original: without redacted copies there is nothing to send.
    inst.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "public",
        "--out",
        s(&inst.tmp.path().join("p.zip")),
    ])
    .fails(2, "redacted");
    inst.run(&["log", "verify"]).ok();
}

/// A PNG of `w` × `h` pixels in a gradient.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 20) as u8, (y * 20) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_public_bundle_holds_redacted_copies_only_and_verifies() {
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", "Org P"]).ok();
    let token = inst.member_token("Org P", "doc", "documenter");
    let server = crate::harness::Server::start(&inst.dir);
    let original = png(12, 10);
    let boundary = "gawahboundary7";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\nCASE-P\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"face-of-witness.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(&original);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, up) = server.send(
        "POST",
        "/api/v1/evidence",
        &token,
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    );
    assert_eq!(status, 201, "{up}");
    let item = up["item"].as_str().unwrap().to_owned();
    let (status, copy) = server.call(
        "POST",
        &format!("/api/v1/evidence/{item}/redactions"),
        &token,
        Some(serde_json::json!({"rects": [[0, 0, 6, 5]]})),
    );
    assert_eq!(status, 201, "{copy}");
    server.stop();
    let key = inst.tmp.path().join("log.key");
    std::fs::write(&key, inst.run(&["log", "key"]).ok().stdout).unwrap();
    let bundle = inst.tmp.path().join("public.zip");
    inst.run(&[
        "export",
        "--case",
        "CASE-P",
        "--purpose",
        "public",
        "--out",
        s(&bundle),
    ])
    .ok();
    crate::harness::run(&["verify", s(&bundle), "--key", s(&key)]).ok();
    let raw = std::fs::read(&bundle).unwrap();
    assert!(
        !raw.windows(original.len())
            .any(|w| w == original.as_slice()),
        "the original is in a public bundle"
    );
    assert!(
        !raw.windows(8).any(|w| w == b"face-of-"),
        "a file name is in a public bundle"
    );
    let mut reader =
        gawah_bundle::BundleReader::open(&bundle, &gawah_bundle::Limits::default()).unwrap();
    let manifest =
        gawah_bundle::Manifest::parse(&reader.read_bounded("manifest.json", 1 << 20).unwrap())
            .unwrap();
    assert_eq!(manifest.items.len(), 1);
    let it = &manifest.items[0];
    assert_eq!(it.item, copy["item"].as_str().unwrap());
    assert_eq!(it.derived_from.as_ref().unwrap().item, item);
    assert!(it.metadata.get("file_name").is_none());
    inst.run(&["log", "verify"]).ok();
}

/// A checkpoint the recipient got earlier: the bundle proves the log grew from it (with
/// `--since`), and without that proof the verifier does not take consistency on trust.
#[test]
fn a_bundle_proves_consistency_with_an_earlier_trusted_checkpoint() {
    let (inst, key, _) = setup();
    let trusted = inst.tmp.path().join("trusted.checkpoint");
    std::fs::write(&trusted, inst.run(&["log", "checkpoint"]).ok().stdout).unwrap();
    let size = log_size(&inst).to_string();
    let more = write(&inst.input_dir(), "later.txt", b"a later file");
    inst.run(&["ingest", "--case", "CASE-7", s(&more)]).ok();
    let with = inst.tmp.path().join("with.zip");
    inst.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "legal",
        "--out",
        s(&with),
        "--since",
        &size,
    ])
    .ok();
    crate::harness::run(&[
        "verify",
        s(&with),
        "--key",
        s(&key),
        "--checkpoint",
        s(&trusted),
    ])
    .ok();
    let without = inst.tmp.path().join("without.zip");
    inst.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "legal",
        "--out",
        s(&without),
    ])
    .ok();
    crate::harness::run(&[
        "verify",
        s(&without),
        "--key",
        s(&key),
        "--checkpoint",
        s(&trusted),
    ])
    .fails(1, "");
    inst.run(&[
        "export",
        "--case",
        "CASE-7",
        "--purpose",
        "legal",
        "--out",
        s(&inst.tmp.path().join("x.zip")),
        "--since",
        "999999",
    ])
    .fails(2, "--since");
}

/// A legal bundle carries the case's testimonies whose witness consented to legal
/// proceedings (their latest version, verified like any file, its reading logged) and
/// nothing of the others: not their text, not their ids.
#[test]
fn a_legal_bundle_holds_only_testimonies_consented_for_legal_use() {
    use serde_json::json;
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", "Org C"]).ok();
    let token = inst.member_token("Org C", "doc", "documenter");
    let server = crate::harness::Server::start(&inst.dir);
    let (status, inc) = server.call(
        "POST",
        "/api/v1/incidents",
        &token,
        Some(
            json!({"title": "School closed", "date": "2022-03-23", "province": "AF-HER",
                    "violation_types": ["education"]}),
        ),
    );
    assert_eq!(status, 201, "{inc}");
    let incident = inc["id"].as_str().unwrap().to_owned();
    let testimony = |statement: &str, consent: &[&str]| -> String {
        let (status, t) = server.call(
            "POST",
            &format!("/api/v1/incidents/{incident}/testimonies"),
            &token,
            Some(json!({"statement": statement, "language": "fa", "consent": consent})),
        );
        assert_eq!(status, 201, "{t}");
        t["id"].as_str().unwrap().to_owned()
    };
    let legal = testimony("stmt-consented-for-court-5b1", &["internal", "legal"]);
    let internal = testimony("stmt-internal-only-5b1", &["internal"]);
    let public_only = testimony("stmt-public-only-5b1", &["anonymised_publication"]);
    let boundary = "gawahboundary8";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\nCASE-T\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"incident\"\r\n\r\n{incident}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gate.jpg\"\r\nContent-Type: image/jpeg\r\n\r\na photo of the gate\r\n--{boundary}--\r\n").as_bytes(),
    );
    let (status, up) = server.send(
        "POST",
        "/api/v1/evidence",
        &token,
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    );
    assert_eq!(status, 201, "{up}");
    server.stop();

    let key = inst.tmp.path().join("log.key");
    std::fs::write(&key, inst.run(&["log", "key"]).ok().stdout).unwrap();
    let bundle = inst.tmp.path().join("legal.zip");
    let before = log_size(&inst);
    let out = inst
        .run(&[
            "export",
            "--json",
            "--case",
            "CASE-T",
            "--purpose",
            "legal",
            "--out",
            s(&bundle),
        ])
        .ok();
    let summary = &out.json_lines()[0];
    assert_eq!(summary["testimonies"], 1, "{summary}");
    assert_eq!(summary["testimonies_withheld"], 2, "{summary}");
    assert_eq!(
        log_size(&inst),
        before + 2,
        "the item and the testimony: one export entry each"
    );
    crate::harness::run(&["verify", s(&bundle), "--key", s(&key)]).ok();

    let raw = std::fs::read(&bundle).unwrap();
    let has = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("stmt-consented-for-court-5b1"));
    for absent in [
        "stmt-internal-only-5b1",
        "stmt-public-only-5b1",
        &internal,
        &public_only,
    ] {
        assert!(!has(absent), "{absent} is in a legal bundle");
    }
    let mut reader =
        gawah_bundle::BundleReader::open(&bundle, &gawah_bundle::Limits::default()).unwrap();
    let manifest =
        gawah_bundle::Manifest::parse(&reader.read_bounded("manifest.json", 1 << 20).unwrap())
            .unwrap();
    let t = manifest
        .items
        .iter()
        .find(|i| i.item == legal)
        .expect("the consented testimony");
    assert_eq!(t.metadata["kind"], "testimony");
    assert_eq!(t.metadata["consent"], json!(["internal", "legal"]));
    let content = reader.read_bounded(&t.path, 1 << 20).unwrap();
    let text: serde_json::Value = serde_json::from_slice(&content).unwrap();
    assert!(
        text.to_string().contains("stmt-consented-for-court-5b1"),
        "{text}"
    );

    // A public bundle never carries a testimony: with no redacted copy, nothing may go in.
    let public = inst.tmp.path().join("public.zip");
    inst.run(&[
        "export",
        "--case",
        "CASE-T",
        "--purpose",
        "public",
        "--out",
        s(&public),
    ])
    .fails(2, "no redacted working copy");
    assert!(!public.exists());
    inst.run(&["log", "verify"]).ok();
}
