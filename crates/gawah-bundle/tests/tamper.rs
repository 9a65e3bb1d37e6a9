//! The tamper matrix: a good bundle verifies, and every kind of tampering is refused with a
//! message that names it.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use gawah_bundle::*;

#[test]
fn good_bundle_verifies() {
    let b = good();
    let report = check(&b.zip, &b.log.key());
    assert!(report.ok, "{report}");
    assert!(report.failures().is_empty());
    assert_eq!(report.items.len(), 2);
    assert!(report.items.iter().all(|i| i.ok));
    assert_eq!(report.tree_size, Some(b.log.size()));
    let text = report.to_string();
    for needle in [
        "RESULT: VERIFIED",
        "Item item_1abc: files/item_1abc.bin (VERIFIED)",
        "as entry 3 commits",
        "signed by example.org/gawah-test+",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // Custody records that name an entry are checked against it.
    assert!(
        text.contains("1 record(s) agree with their log entries"),
        "{text}"
    );
}

#[test]
fn one_byte_of_a_file_changed_in_place() {
    let b = good();
    let mut zip = b.zip.clone();
    let content = b"a photo, already compressed";
    let at = zip
        .windows(content.len())
        .position(|w| w == content)
        .unwrap();
    zip[at + 2] ^= 0x01;
    let report = check(&zip, &b.log.key());
    assert_refused(&report, "CRC-32 of files/item_1abc.bin");
    assert_refused(&report, "SHA-256 of files/item_1abc.bin is");
    assert_refused(&report, "differs from entry 3's commitment");
}

#[test]
fn one_byte_of_a_file_changed_and_the_zip_rebuilt() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        edit(f, "files/item_2abc.bin", |d| d[100] ^= 0x80)
    });
    let report = check(&zip, &b.log.key());
    assert_refused(&report, "SHA-256 of files/item_2abc.bin is");
    assert_refused(&report, "the file or its salt is not the one logged");
    assert!(report.items[0].ok && !report.items[1].ok);
}

#[test]
fn a_file_removed() {
    let b = good();
    let zip = rezip(&b.zip, |f| f.retain(|(n, _)| n != "files/item_1abc.bin"));
    assert_refused(
        &check(&zip, &b.log.key()),
        "files/item_1abc.bin is listed in the manifest but missing from the bundle",
    );
}

#[test]
fn a_file_added() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        f.push(("files/planted.jpg".into(), b"planted".to_vec()))
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "files/planted.jpg is in the bundle but not listed in the manifest",
    );
    // A stray log file is refused too.
    let zip = rezip(&b.zip, |f| {
        f.push(("log/entries/0".into(), b.log.entries[0].clone()))
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "log/entries/0 is in the bundle but not listed",
    );
}

#[test]
fn a_changed_manifest_sha256() {
    let b = good();
    let real = b.manifest.items[0].sha256.clone();
    let fake = "0".repeat(64);
    let zip = rezip(&b.zip, |f| replace(f, MANIFEST, &real, &fake));
    let report = check(&zip, &b.log.key());
    assert_refused(
        &report,
        &format!("SHA-256 of files/item_1abc.bin is {real}, the manifest says {fake}"),
    );
    // The commitment is recomputed from the file itself, so it still holds.
    assert!(
        !report.items[0]
            .checks
            .iter()
            .any(|c| c.what == "commitment" && c.failed())
    );
}

#[test]
fn a_changed_salt() {
    let b = good();
    let salt = b.manifest.items[1].salt.clone();
    let other = format!("{}0", &salt[..63]);
    assert_ne!(salt, other);
    let zip = rezip(&b.zip, |f| replace(f, MANIFEST, &salt, &other));
    assert_refused(
        &check(&zip, &b.log.key()),
        "differs from entry 5's commitment",
    );
}

#[test]
fn a_changed_checkpoint() {
    let b = good();
    let note = b.log.checkpoint();
    let root_line = note.lines().nth(2).unwrap().to_owned();
    let other_root = B64.encode([7u8; 32]);
    let zip = rezip(&b.zip, |f| replace(f, CHECKPOINT, &root_line, &other_root));
    let report = check(&zip, &b.log.key());
    assert_refused(
        &report,
        "does not verify: the checkpoint was altered after it was signed",
    );
    // Without a checkpoint nothing can be proven in the log.
    assert_refused(&report, "not checked: the checkpoint did not verify");
}

#[test]
fn a_truncated_proof() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        edit(f, &proof_json_path(3), |d| {
            let mut p: ProofJson = serde_json::from_slice(d).unwrap();
            p.proof.pop();
            *d = serde_json::to_vec(&p).unwrap();
        })
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "the inclusion proof of entry 3 does not lead to the checkpoint's root: proof has",
    );
    // The tlog-proof form is checked as well.
    let zip = rezip(&b.zip, |f| {
        edit(f, &proof_text_path(3), |d| {
            let mut p = TlogProof::parse(std::str::from_utf8(d).unwrap()).unwrap();
            p.hashes.pop();
            *d = p.to_text().into_bytes();
        })
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "log/proofs/3.proof does not match the entry",
    );
}

#[test]
fn an_altered_proof_hash() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        edit(f, &proof_json_path(4), |d| {
            let mut p: ProofJson = serde_json::from_slice(d).unwrap();
            p.proof[1] = B64.encode([0xAB; 32]);
            *d = serde_json::to_vec(&p).unwrap();
        })
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "the inclusion proof of entry 4 does not lead to the checkpoint's root: computed root does not match",
    );
}

#[test]
fn an_altered_log_entry() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        replace(f, &entry_path(4), "\"view\"", "\"open\"")
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "log/proofs/4.json is for index 4",
    );
}

#[test]
fn another_logs_key() {
    let b = good();
    let other = Log::new("example.net/another-log", 7);
    let report = check(&b.zip, &other.key());
    assert_refused(
        &report,
        "the checkpoint is not signed by the key you gave (example.net/another-log+",
    );
    assert_refused(&report, "it is signed by: example.org/gawah-test");
    assert_refused(&report, "log/key (example.org/gawah-test+");
    // Same name, different key: the key id differs, so it is still "not signed by".
    let impostor = Log::new(ORIGIN, 8);
    assert_refused(
        &check(&b.zip, &impostor.key()),
        "not signed by the key you gave",
    );
}

#[test]
fn garbage_instead_of_a_zip() {
    let b = good();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_refused(
        &check(&garbage, &b.log.key()),
        "not a zip archive: no end-of-central-directory record",
    );
    assert_refused(
        &check(b"PK", &b.log.key()),
        "not a zip archive: shorter than the smallest zip archive",
    );
}

#[test]
fn an_empty_file() {
    let b = good();
    assert_refused(&check(b"", &b.log.key()), "the file is empty (0 bytes)");
}

#[test]
fn dot_dot_path_in_the_zip() {
    let b = good();
    let mut entries = raw_entries(&b.zip);
    entries.push(Raw::new("files/../../etc/cron.d/x", b"* * * * * root sh"));
    assert_refused(
        &check(&raw_zip(&entries), &b.log.key()),
        "unsafe name \"files/../../etc/cron.d/x\": '.' or '..' path component",
    );
}

#[test]
fn absolute_path_in_the_zip() {
    let b = good();
    let mut entries = raw_entries(&b.zip);
    entries.push(Raw::new("/etc/passwd", b"root::0:0"));
    assert_refused(
        &check(&raw_zip(&entries), &b.log.key()),
        "unsafe name \"/etc/passwd\": absolute path",
    );
    let entries = vec![Raw::new("C:/Windows/x", b"")];
    assert!(reader_error(&raw_zip(&entries), &Limits::default()).contains("colon"));
}

#[test]
fn symlink_entry() {
    let b = good();
    let mut entries = raw_entries(&b.zip);
    let mut link = Raw::new("files/link", b"/etc/shadow");
    link.attrs = 0o120_777 << 16;
    entries.push(link);
    assert_refused(
        &check(&raw_zip(&entries), &b.log.key()),
        "\"files/link\" is a symbolic link",
    );
}

#[test]
fn directory_and_odd_attributes() {
    let mut e = Raw::new("files/x", b"");
    e.attrs = 0o040_755 << 16;
    assert!(reader_error(&raw_zip(&[e]), &Limits::default()).contains("is not a plain file"));
    let e = Raw::new("files/", b"");
    assert!(reader_error(&raw_zip(&[e]), &Limits::default()).contains("empty path component"));
}

#[test]
fn duplicate_names() {
    let b = good();
    let mut entries = raw_entries(&b.zip);
    entries.push(Raw::new("files/item_1abc.bin", b"a second version"));
    assert_refused(
        &check(&raw_zip(&entries), &b.log.key()),
        "duplicate name \"files/item_1abc.bin\": the same as \"files/item_1abc.bin\"",
    );
    let mut entries = raw_entries(&b.zip);
    entries.push(Raw::new("FILES/Item_1abc.BIN", b"a second version"));
    assert_refused(
        &check(&raw_zip(&entries), &b.log.key()),
        "equal ignoring case to \"files/item_1abc.bin\"",
    );
    let entries = vec![
        Raw::new("files/\u{622}.txt", b"1"),
        Raw::new("files/\u{627}\u{653}.txt", b"2"),
    ];
    assert!(
        reader_error(&raw_zip(&entries), &Limits::default())
            .contains("the same Unicode text (NFC) as")
    );
}

#[test]
fn declared_size_far_larger_than_the_file() {
    let b = good();
    let mut entries = raw_entries(&b.zip);
    let i = entries
        .iter()
        .position(|e| e.name == b"files/item_2abc.bin")
        .unwrap();
    entries[i].declared = Some(3_000_000_000);
    let zip = raw_zip(&entries);
    assert_refused(
        &check(&zip, &b.log.key()),
        "\"files/item_2abc.bin\" declares 3000000000 bytes but only",
    );
    // With a caller's limit below the declared size, the limit refuses it first.
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(
        reader_error(&zip, &limits)
            .contains("declares 3000000000 bytes, more than the limit of 1048576 bytes")
    );
    let limits = Limits {
        max_total_bytes: 1000,
        ..Limits::default()
    };
    assert!(reader_error(&b.zip, &limits).contains("more than the limit of 1000 bytes"));
}

#[test]
fn deflate_entry() {
    let b = good();
    let mut entries = raw_entries(&b.zip);
    let mut e = Raw::new("files/compressed.bin", b"\x03\x00");
    e.method = 8;
    entries.insert(1, e);
    assert_refused(
        &check(&raw_zip(&entries), &b.log.key()),
        "\"files/compressed.bin\" uses compression method 8 (DEFLATE): bundles use only STORE (0)",
    );
}

#[test]
fn encrypted_entry() {
    let mut e = Raw::new("files/secret.bin", b"xxxxxxxxxxxx");
    e.flags |= 1;
    assert!(
        reader_error(&raw_zip(&[e]), &Limits::default())
            .contains("\"files/secret.bin\" is encrypted")
    );
}

#[test]
fn too_many_entries() {
    let b = good();
    let limits = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    let msg = reader_error(&b.zip, &limits);
    assert!(msg.contains("more than the limit of 5"), "{msg}");
}

#[test]
fn overlapping_entries_and_hidden_bytes() {
    let mut entries = vec![
        Raw::new("files/a", b"0123456789"),
        Raw::new("files/b", b"abcdef"),
    ];
    entries[1].offset = Some(5);
    assert!(
        reader_error(&raw_zip(&entries), &Limits::default()).contains("inside the previous entry")
    );
    // Bytes before the first entry (a polyglot or a prepended stub).
    let good_zip = raw_zip(&[Raw::new("files/a", b"0123")]);
    let mut prefixed = b"#!/bin/sh\n".to_vec();
    prefixed.extend_from_slice(&good_zip);
    let msg = reader_error(&prefixed, &Limits::default());
    assert!(
        msg.contains("does not end where") || msg.contains("unaccounted"),
        "{msg}"
    );
    // Bytes after the end record.
    let mut appended = good_zip.clone();
    appended.extend_from_slice(b"trailing");
    assert!(
        reader_error(&appended, &Limits::default()).contains("no end-of-central-directory record")
    );
}

#[test]
fn local_header_disagrees_with_central_directory() {
    let zip = raw_zip(&[Raw::new("files/a", b"0123456789")]);
    // The CRC-32 in the local header (offset 14).
    let mut z = zip.clone();
    z[14] ^= 1;
    assert!(reader_error(&z, &Limits::default()).contains(
        "the local header of \"files/a\" disagrees with the central directory on CRC-32"
    ));
    // The name in the local header.
    let mut z = zip.clone();
    z[30 + 6] = b'b';
    assert!(reader_error(&z, &Limits::default()).contains("on name"));
}

#[test]
fn entry_about_another_subject() {
    let b = good();
    // List item 2's view entry under item 1.
    let zip = rezip(&b.zip, |f| {
        replace(
            f,
            MANIFEST,
            "\"entries\": [\n        3,\n        4\n      ]",
            "\"entries\": [\n        3,\n        4,\n        6\n      ]",
        )
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "entry 6 is about \"item_2abc\", not item_1abc",
    );
}

#[test]
fn custody_that_contradicts_the_log() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        replace(
            f,
            MANIFEST,
            "\"action\": \"intake\"",
            "\"action\": \"view\"",
        )
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "custody record 0 says action \"view\", but log entry 3 says \"intake\"",
    );
}

#[test]
fn unknown_manifest_field() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        replace(
            f,
            MANIFEST,
            "\"case\":",
            "\"verified_by_court\": true,\n  \"case\":",
        )
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "unknown field `verified_by_court`",
    );
}

#[test]
fn public_bundle_with_redacted_copies_verifies() {
    let mut copy = item(5, b"a redacted png");
    copy.original = Some("item_orig5".into());
    let b = build(Spec {
        purpose: Purpose::Public,
        items: vec![copy],
        ..Spec::default()
    });
    let report = check(&b.zip, &b.log.key());
    assert!(report.ok, "{report}");
    assert!(
        report
            .to_string()
            .contains("a redacted copy of item_orig5, which was logged at entry 3"),
        "{report}"
    );
}

#[test]
fn a_copy_presented_as_an_original() {
    let mut copy = item(5, b"a redacted png");
    copy.original = Some("item_orig5".into());
    let b = build(Spec {
        purpose: Purpose::Public,
        items: vec![copy],
        ..Spec::default()
    });
    let zip = rezip(&b.zip, |f| {
        edit(f, MANIFEST, |d| {
            let mut m: Manifest = serde_json::from_slice(d).unwrap();
            m.items[0].derived_from = None;
            *d = m.to_json();
        })
    });
    // Entry 3 (the original's intake) is then no longer referenced, so its files are strays.
    let report = check(&zip, &b.log.key());
    assert_refused(
        &report,
        "says this file is a redacted copy of item_orig5, but the manifest presents it as an original",
    );
    // A copy attributed to the wrong original.
    let zip = rezip(&b.zip, |f| {
        replace(
            f,
            MANIFEST,
            "\"item\": \"item_orig5\"",
            "\"item\": \"item_other\"",
        )
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "the manifest says this is a copy of item_other, but entry 4 is a \"redaction\" entry naming original \"item_orig5\"",
    );
}

#[test]
fn an_item_listed_twice() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        edit(f, MANIFEST, |d| {
            let mut m: Manifest = serde_json::from_slice(d).unwrap();
            m.items.push(m.items[0].clone());
            *d = m.to_json();
        })
    });
    assert_refused(
        &check(&zip, &b.log.key()),
        "item item_1abc or path files/item_1abc.bin is listed twice",
    );
}

#[test]
#[ignore = "prints a failing report for reading"]
fn print_failing_report() {
    let b = good();
    let zip = rezip(&b.zip, |f| {
        edit(f, &proof_json_path(3), |d| {
            let mut p: ProofJson = serde_json::from_slice(d).unwrap();
            p.proof.pop();
            *d = serde_json::to_vec(&p).unwrap();
        });
        edit(f, "files/item_2abc.bin", |d| d[0] ^= 1);
    });
    print!("{}", check(&zip, &b.log.key()));
}
