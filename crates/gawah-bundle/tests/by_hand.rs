//! README.txt's recipe, executed: the commands it prints are run with `sh` (dash on Debian)
//! in an unpacked bundle, with the real sha256sum, basenc, base64, awk and openssl.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use gawah_bundle::*;

/// The README's command lines (indented by exactly four spaces).
fn script(readme: &str) -> String {
    readme
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| !l.starts_with(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

fn unpack_to(zip: &[u8], dir: &Path) {
    for (name, bytes) in unpack(zip) {
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Runs the README of the bundle unpacked in `dir`; returns stdout and stderr together.
fn run(dir: &Path) -> String {
    let readme = std::fs::read_to_string(dir.join(README)).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(script(&readme))
        .current_dir(dir)
        .env("LC_ALL", "C")
        .output()
        .expect("sh runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tool_exists(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_tools_the_readme_uses_exist() {
    for tool in [
        "sha256sum",
        "basenc",
        "base64",
        "printf",
        "cut",
        "tr",
        "sed",
        "grep",
        "awk",
        "openssl",
        "mktemp",
        "tail",
    ] {
        assert!(
            tool_exists(tool),
            "{tool} is not installed; the README recipe needs it"
        );
    }
}

#[test]
fn readme_recipe_verifies_a_good_bundle() {
    let b = good();
    let dir = tempfile::tempdir().unwrap();
    unpack_to(&b.zip, dir.path());
    let out = run(dir.path());
    let mut expected = vec![
        "Signature Verified Successfully".to_owned(),
        "key id: OK".into(),
        "checkpoint size: OK".into(),
    ];
    for item in &b.manifest.items {
        expected.push(format!("{}: OK", item.path));
        expected.push(format!("{} commitment: OK", item.item));
        for n in &item.entries {
            expected.push(format!("entry {n} subject: OK"));
            expected.push(format!("entry {n} inclusion: OK"));
            expected.push(format!("entry {n} in proof file: OK"));
        }
    }
    for line in &expected {
        assert!(
            out.lines().any(|l| l == line),
            "{line:?} missing from the recipe's output:\n{out}"
        );
    }
    assert!(
        !out.contains("MISMATCH") && !out.contains("FAILED") && !out.contains("rror"),
        "{out}"
    );
}

#[test]
fn readme_recipe_catches_tampering() {
    let b = good();
    let dir = tempfile::tempdir().unwrap();
    unpack_to(&b.zip, dir.path());
    // One byte of a file.
    let file = dir.path().join("files/item_2abc.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    // One proof hash.
    let proof = dir.path().join(proof_text_path(3));
    let text = std::fs::read_to_string(&proof).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[3] = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [1u8; 32]);
    std::fs::write(&proof, lines.join("\n") + "\n").unwrap();
    // The checkpoint's size line.
    let cp = dir.path().join(CHECKPOINT);
    let note = std::fs::read_to_string(&cp)
        .unwrap()
        .replacen("\n9\n", "\n8\n", 1);
    std::fs::write(&cp, note).unwrap();

    let out = run(dir.path());
    for needle in [
        "files/item_2abc.bin: FAILED",
        "item_2abc commitment: MISMATCH",
        "entry 3 inclusion: MISMATCH",
        "checkpoint size: MISMATCH",
        "Signature Verification Failure",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    assert!(out.contains("files/item_1abc.bin: OK"), "{out}");
}

#[test]
fn readme_recipe_checks_redacted_copies() {
    let mut copy = item(5, b"a redacted png");
    copy.original = Some("item_orig5".into());
    let b = build(Spec {
        purpose: Purpose::Public,
        items: vec![copy],
        ..Spec::default()
    });
    let dir = tempfile::tempdir().unwrap();
    unpack_to(&b.zip, dir.path());
    let out = run(dir.path());
    for needle in [
        "item_5abc original: OK",
        "entry 3 subject: OK",
        "entry 3 inclusion: OK",
        "item_5abc commitment: OK",
    ] {
        assert!(
            out.lines().any(|l| l == needle),
            "{needle:?} missing from:\n{out}"
        );
    }
    assert!(!out.contains("MISMATCH"), "{out}");
    let readme = std::fs::read_to_string(dir.path().join(README)).unwrap();
    assert!(readme.contains("redacted working copies made for publication"));
}

/// The recipe's commitment line alone, on a file name that needs quoting.
#[test]
fn commitment_recipe_with_an_awkward_file_name() {
    let mut it = item(3, b"testimony audio");
    it.path = "files/it's a file (1).m4a".into();
    let b = build(Spec {
        items: vec![it],
        ..Spec::default()
    });
    assert!(check(&b.zip, &b.log.key()).ok);
    let dir = tempfile::tempdir().unwrap();
    unpack_to(&b.zip, dir.path());
    let out = run(dir.path());
    assert!(
        out.lines().any(|l| l == "item_3abc commitment: OK"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l == "files/it's a file (1).m4a: OK"),
        "{out}"
    );
}

#[test]
#[ignore = "prints a README for reading"]
fn print_readme() {
    let mut copy = item(5, b"a redacted png");
    copy.original = Some("item_orig5".into());
    let b = build(Spec {
        items: vec![item(1, b"x"), copy],
        ..Spec::default()
    });
    print!("{}", readme_text(&b.manifest));
}
