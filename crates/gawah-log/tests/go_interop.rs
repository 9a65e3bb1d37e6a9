//! Cross-check with Go's independent implementation (golang.org/x/mod/sumdb/note and
//! sumdb/tlog): Go must accept our signed checkpoint, verifier key and proofs, and refuse
//! tampered ones. Needs `go` and Debian's golang-golang-x-mod-dev; it fails without them
//! rather than skipping, so CI cannot silently lose the check.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gawah_log::{
    Checkpoint, Hash, MemoryTree, NoteSigner, consistency_proof, inclusion_proof, leaf_hash,
    tree_root,
};

const GO_PATH: &str = "/usr/share/gocode";
const INSTALL_HINT: &str = "run `apt-get install -y golang-go golang-golang-x-mod-dev`";

/// Reads the checks below, one per line, and reports those whose outcome differs from the
/// expected "ok" or "bad".
const GO_PROGRAM: &str = r#"package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func hashes(fields []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, f := range fields {
		b, err := base64.StdEncoding.DecodeString(f)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("bad hash %q", f)
		}
		var h tlog.Hash
		copy(h[:], b)
		out = append(out, h)
	}
	return out, nil
}

func check(known note.Verifiers, f []string) error {
	if f[0] == "note" {
		msg, err := base64.StdEncoding.DecodeString(f[2])
		if err != nil {
			return err
		}
		_, err = note.Open(msg, known)
		return err
	}
	a, _ := strconv.ParseInt(f[2], 10, 64)
	b, _ := strconv.ParseInt(f[3], 10, 64)
	h, err := hashes(f[4:])
	if err != nil {
		return err
	}
	if f[0] == "inc" {
		return tlog.CheckRecord(h[2:], b, h[1], a, h[0])
	}
	return tlog.CheckTree(h[2:], b, h[1], a, h[0])
}

func main() {
	input, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	lines := strings.Split(strings.TrimSpace(string(input)), "\n")
	v, err := note.NewVerifier(lines[0])
	if err != nil {
		fmt.Println("verifier key refused:", err)
		os.Exit(1)
	}
	mismatches := 0
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		err := check(note.VerifierList(v), f)
		if (err == nil) != (f[1] == "ok") {
			mismatches++
			fmt.Printf("mismatch: %.60s: %v\n", line, err)
		}
	}
	fmt.Printf("checked %d, %d mismatches\n", len(lines)-1, mismatches)
	if mismatches > 0 {
		os.Exit(1)
	}
}
"#;

fn b64(hash: &Hash) -> String {
    BASE64.encode(hash)
}

fn line(kind: &str, ok: bool, a: u64, b: u64, hashes: &[Hash]) -> String {
    let mut out = format!("{kind} {} {a} {b}", if ok { "ok" } else { "bad" });
    for hash in hashes {
        write!(out, " {}", b64(hash)).unwrap();
    }
    out
}

fn flip(hash: &Hash) -> Hash {
    let mut flipped = *hash;
    flipped[31] ^= 1;
    flipped
}

/// Our checkpoint note, proofs over a 300-leaf tree, and tampered copies of each.
fn checks() -> (String, Vec<String>) {
    let mut tree = MemoryTree::new();
    for i in 0..300u32 {
        tree.push(format!("entry {i}").as_bytes());
    }
    let signer = NoteSigner::new("gawah.example/interop", [42; 32]).unwrap();
    let checkpoint = Checkpoint {
        origin: signer.name().to_owned(),
        size: tree.size(),
        root: tree.root(),
        extensions: vec!["timestamp 2025-01-01".to_owned()],
    };
    let note = signer.sign(&checkpoint.to_text()).unwrap();
    let mut lines = vec![
        format!("note ok {}", BASE64.encode(&note)),
        format!("note bad {}", BASE64.encode(note.replacen("300", "301", 1))),
    ];
    for (index, size) in [(0, 1), (0, 300), (7, 8), (123, 255), (255, 256), (299, 300)] {
        let root = tree_root(size, &tree).unwrap();
        let leaf = leaf_hash(format!("entry {index}").as_bytes());
        let mut hashes = vec![leaf, root];
        hashes.extend(inclusion_proof(index, size, &tree).unwrap());
        lines.push(line("inc", true, index, size, &hashes));
        hashes[1] = flip(&root);
        lines.push(line("inc", false, index, size, &hashes));
    }
    for (from, to) in [
        (1, 300),
        (3, 7),
        (128, 256),
        (200, 299),
        (299, 300),
        (300, 300),
    ] {
        let (old, new) = (
            tree_root(from, &tree).unwrap(),
            tree_root(to, &tree).unwrap(),
        );
        let mut hashes = vec![old, new];
        hashes.extend(consistency_proof(from, to, &tree).unwrap());
        lines.push(line("con", true, from, to, &hashes));
        hashes[0] = flip(&old);
        lines.push(line("con", false, from, to, &hashes));
    }
    (signer.verifier_key(), lines)
}

fn require_go() {
    let go = Command::new("go").arg("version").output();
    assert!(
        go.is_ok_and(|out| out.status.success()),
        "`go` is not on PATH: {INSTALL_HINT}"
    );
    let note_pkg = Path::new(GO_PATH).join("src/golang.org/x/mod/sumdb/note");
    assert!(
        note_pkg.is_dir(),
        "{} is missing: {INSTALL_HINT}",
        note_pkg.display()
    );
}

#[test]
fn go_accepts_our_checkpoints_and_proofs() {
    require_go();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go_interop");
    std::fs::create_dir_all(&dir).unwrap();
    let (vkey, lines) = checks();
    std::fs::write(dir.join("main.go"), GO_PROGRAM).unwrap();
    std::fs::write(
        dir.join("input.txt"),
        format!("{vkey}\n{}\n", lines.join("\n")),
    )
    .unwrap();
    let out = Command::new("go")
        .args(["run", "main.go", "input.txt"])
        .current_dir(&dir)
        .env("GO111MODULE", "off")
        .env("GOPATH", GO_PATH)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOFLAGS", "")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "go failed:\n{stdout}\n{stderr}");
    let expected = format!("checked {}, 0 mismatches", lines.len());
    assert!(
        stdout.contains(&expected),
        "unexpected go output:\n{stdout}\n{stderr}"
    );
}
