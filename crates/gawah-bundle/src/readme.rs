//! `README.txt`: how to verify a bundle by hand with the standard tools of a stock Debian or
//! Ubuntu system, without gawah and without a network.
//!
//! Every command line is indented by exactly four spaces, so the whole recipe can be run as
//! one script (the tests do exactly that, on real bundles, with `sh`).

use std::fmt::Write as _;

use crate::layout::{CHECKPOINT, KEY, entry_path, proof_text_path};
use crate::manifest::{Manifest, Purpose};

/// Quotes `s` for the POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The order in which an inclusion proof's hashes combine with the running hash, worked out
/// from the index and the tree size alone (RFC 9162 §2.1.3.2): `true` where the proof hash is
/// the left input (`h = node(p, h)`), `false` where it is the right one (`h = node(h, p)`).
pub fn inclusion_steps(index: u64, size: u64) -> Vec<bool> {
    let mut steps = Vec::new();
    if index >= size {
        return steps;
    }
    let (mut node, mut last) = (index, size - 1);
    while last > 0 {
        if node & 1 == 1 || node == last {
            steps.push(true);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            steps.push(false);
        }
        node >>= 1;
        last >>= 1;
    }
    steps
}

const INTRO: &str = "\
This file explains how to check the bundle yourself with standard tools found on any Debian
or Ubuntu system: sha256sum, basenc, base64, printf, cut, tr, sed, grep and awk (all in
the base system), and OpenSSL 3 for the signature. Nothing here needs gawah or a network.

The program gawah-verify makes all of these checks, and more, in one command:

    # gawah-verify THIS-BUNDLE.zip --key KEYFILE [--checkpoint EARLIER-CHECKPOINT]

Unpack the bundle into an empty folder (for example with `unzip`) and run the commands below
in that folder with the POSIX shell (sh or bash). Lines indented by four spaces are commands;
copy them exactly (no other lines are indented by exactly four spaces, so the whole file
can also be run as one script). Each check prints OK, or MISMATCH (or FAILED).

WHAT IS PROVEN, IN SHORT

  1. log/checkpoint is a statement signed by the organisation's log key: \"the log had N
     entries, and their Merkle tree root was R\". The log is append-only and public: once
     the organisation has published a checkpoint, it cannot change an entry without
     everyone holding that checkpoint being able to tell.
  2. log/entries/N is entry N of the log, byte for byte, and log/proofs/N.proof proves that
     it is in the tree whose root the checkpoint signs (RFC 6962 Merkle inclusion proof).
  3. Each evidence file's first entry holds a commitment:
         SHA-256( \"gawah-commit/v1\" || salt || SHA-256(file) )
     where the salt is 32 random bytes kept secret by the organisation and handed over in
     manifest.json. Recomputing the commitment from the file proves that this exact file
     was in custody when the entry was logged. Without the salt nobody can test a guessed
     file against the public log, which is why the log can be public.

STEP 0. Helper functions (define them once, in the same shell)

    hex2bin() { tr 'abcdef' 'ABCDEF' | basenc --base16 -d; }
    b64hex() { base64 -d | basenc --base16 -w0 | tr 'ABCDEF' 'abcdef'; }
    leaf() { { printf '\\000'; cat \"log/entries/$1\"; } | sha256sum | cut -c1-64; }
    node() { { printf '\\001'; printf '%s' \"$1\" | hex2bin; printf '%s' \"$2\" | hex2bin; } | sha256sum | cut -c1-64; }
    proofhash() { sed -n \"$(($2 + 3))p\" \"log/proofs/$1.proof\" | b64hex; }
    same() { if [ \"$2\" = \"$3\" ]; then echo \"$1: OK\"; else echo \"$1: MISMATCH\"; fi; }

  hex2bin turns hexadecimal into bytes (`xxd -r -p` does the same where xxd is installed);
  b64hex turns base64 into hexadecimal; leaf and node are the RFC 6962 hashes of a log entry
  (SHA-256 of a 0x00 byte and the entry) and of two subtrees (SHA-256 of a 0x01 byte, the
  left hash and the right hash); proofhash N K prints the K-th hash of entry N's proof.
";

/// The text of `README.txt` for a bundle with this manifest.
pub fn readme_text(m: &Manifest) -> String {
    let mut t = String::new();
    let what = match m.purpose {
        Purpose::Legal => {
            "files/ holds the original files, byte for byte as they were taken into custody"
        }
        Purpose::Public => {
            "files/ holds redacted working copies made for publication, not the originals"
        }
    };
    let _ = writeln!(t, "HOW TO VERIFY THIS EVIDENCE BUNDLE BY HAND\n");
    let _ = writeln!(t, "Log:      {}", m.origin);
    let _ = writeln!(t, "Case:     {}", m.case);
    let _ = writeln!(t, "Made:     {} (as the exporter states)", m.created);
    let _ = writeln!(
        t,
        "Purpose:  {} ({what})",
        if m.purpose == Purpose::Legal {
            "legal"
        } else {
            "public"
        }
    );
    let _ = writeln!(t, "Items:    {}\n", m.items.len());
    t.push_str(INTRO);

    t.push_str("\nSTEP 1. Every file is the one listed (SHA-256)\n\n");
    for item in &m.items {
        let _ = writeln!(
            t,
            "    echo {} | sha256sum -c -",
            sh(&format!("{}  {}", item.sha256, item.path))
        );
    }
    t.push_str("\n  Each line must print the file's name and OK.\n");

    let _ = write!(
        t,
        "
STEP 2. The checkpoint is signed by the log's key

  KEY must be the organisation's published verifier key, which you should obtain from them
  independently (a copy is in {KEY}; compare the two). It has the form
  <name>+<key id>+<base64 of 0x01 and the 32-byte Ed25519 public key>. The checkpoint's text
  is everything before its blank line; the signature is the base64 after the log's name on
  the line that starts with an em dash, without its first 4 bytes (the key id).

    KEY=$(cat {KEY})
    t=$(mktemp -d)
    awk 'NF == 0 {{ exit }} {{ print }}' {CHECKPOINT} > \"$t/text\"
    grep -F {sig} {CHECKPOINT} | cut -d' ' -f3 | base64 -d | tail -c 64 > \"$t/sig\"
    {{ printf '\\060\\052\\060\\005\\006\\003\\053\\145\\160\\003\\041\\000'; printf '%s' \"$KEY\" | cut -d+ -f3- | base64 -d | tail -c 32; }} > \"$t/key.der\"
    openssl pkeyutl -verify -pubin -keyform DER -inkey \"$t/key.der\" -rawin -in \"$t/text\" -sigfile \"$t/sig\"
    same 'key id' \"$( {{ printf '%s\\n\\001' {name}; printf '%s' \"$KEY\" | cut -d+ -f3- | base64 -d | tail -c 32; }} | sha256sum | cut -c1-8)\" \"$(printf '%s' \"$KEY\" | cut -d+ -f2)\"
    same 'checkpoint size' \"$(sed -n 2p {CHECKPOINT})\" {size}
    root=$(sed -n 3p {CHECKPOINT} | b64hex)

  OpenSSL must print \"Signature Verified Successfully\". (The 12 bytes printed before the
  key wrap it as a standard Ed25519 public key; the key id is the first 4 bytes of
  SHA-256(name, newline, 0x01, key).)
",
        sig = sh(&format!("\u{2014} {} ", m.origin)),
        name = sh(&m.origin),
        size = m.tree_size,
    );

    t.push_str(
        "
STEP 3. Every file's commitment is the one in its first log entry

  Recompute SHA-256(\"gawah-commit/v1\" || salt || SHA-256(file)) from the salt in the
  manifest and the file itself, and compare it with the entry's \"commitment\"; the entry's
  \"subject\" must be the item's id.

",
    );
    for item in &m.items {
        let Some(first) = item.entries.first() else {
            continue;
        };
        let entry = entry_path(*first);
        let _ = writeln!(
            t,
            "    c=$( {{ printf 'gawah-commit/v1'; printf '%s' {salt} | hex2bin; sha256sum < {path} | cut -c1-64 | hex2bin; }} | sha256sum | cut -c1-64 )\n    \
             same {label} \"$c\" \"$(grep -o '\"commitment\":\"[0-9a-f]*\"' {entry} | cut -d'\"' -f4)\"",
            salt = sh(&item.salt),
            path = sh(&item.path),
            label = sh(&format!("{} commitment", item.item)),
        );
    }
    for item in &m.items {
        for n in &item.entries {
            let _ = writeln!(
                t,
                "    grep -qF {pat} {e} && echo {ok} || echo {bad}",
                pat = sh(&format!("\"subject\":\"{}\"", item.item)),
                e = entry_path(*n),
                ok = sh(&format!("entry {n} subject: OK")),
                bad = sh(&format!("entry {n} subject: MISMATCH")),
            );
        }
    }

    let _ = write!(
        t,
        "
STEP 4. Every entry is in the signed tree (inclusion proofs)

  log/proofs/N.proof is a C2SP tlog-proof: line 1 names the format, line 2 (\"extra\") is the
  entry itself in base64, line 3 is the index, then come the proof hashes in base64, one per
  line, a blank line, and the checkpoint. Start from the entry's leaf hash and combine it
  with each proof hash in turn; whether the proof hash goes on the left or on the right
  follows from the index and the tree size ({size} entries) alone (RFC 9162, section
  2.1.3.2), and is written out below. The result must be the checkpoint's root.

",
        size = m.tree_size
    );
    let mut indexes: Vec<u64> = m
        .items
        .iter()
        .flat_map(|i| {
            i.entries
                .iter()
                .copied()
                .chain(i.derived_from.as_ref().map(|d| d.entry))
        })
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    for n in indexes {
        let _ = writeln!(t, "    h=$(leaf {n})");
        for (k, left) in inclusion_steps(n, m.tree_size).iter().enumerate() {
            let p = format!("\"$(proofhash {n} {})\"", k + 1);
            let (a, b) = if *left {
                (p.as_str(), "\"$h\"")
            } else {
                ("\"$h\"", p.as_str())
            };
            let _ = writeln!(t, "    h=$(node {a} {b})");
        }
        let _ = writeln!(t, "    same 'entry {n} inclusion' \"$h\" \"$root\"");
    }
    let _ = writeln!(t, "\n  The entry in the proof file is the entry itself:\n");
    for n in m.items.iter().flat_map(|i| i.entries.iter()) {
        let _ = writeln!(
            t,
            "    same 'entry {n} in proof file' \"$(sed -n 2p {p} | cut -d' ' -f2 | b64hex)\" \"$(basenc --base16 -w0 < {e} | tr 'ABCDEF' 'abcdef')\"",
            p = proof_text_path(*n),
            e = entry_path(*n),
        );
    }

    let derived: Vec<_> = m
        .items
        .iter()
        .filter_map(|i| i.derived_from.as_ref().map(|d| (i, d)))
        .collect();
    if !derived.is_empty() {
        t.push_str(
            "
REDACTED COPIES

  These files are redacted working copies. Each copy's first entry is a \"redaction\" entry
  that commits to the copy (checked above) and names the original in its \"original\"
  field. The original's own intake entry is included too, so you can see when the original
  was logged; its commitment can only be opened with the original file and its salt, which
  this bundle does not hold.

",
        );
        for (item, d) in derived {
            let first = item.entries.first().copied().unwrap_or_default();
            let _ = writeln!(
                t,
                "    grep -qF {pat} {e} && echo {ok} || echo {bad}",
                pat = sh(&format!("\"original\":\"{}\"", d.item)),
                e = entry_path(first),
                ok = sh(&format!("{} original: OK", item.item)),
                bad = sh(&format!("{} original: MISMATCH", item.item)),
            );
            let _ = writeln!(
                t,
                "    grep -qF {pat} {e} && echo {ok} || echo {bad}",
                pat = sh(&format!("\"subject\":\"{}\"", d.item)),
                e = entry_path(d.entry),
                ok = sh(&format!("entry {} subject: OK", d.entry)),
                bad = sh(&format!("entry {} subject: MISMATCH", d.entry)),
            );
        }
    }

    if let Some(section) = crate::timestamp::readme_section(m) {
        t.push_str(&section);
    }
    t.push_str(crate::witnesses::README_SECTION);
    t.push_str(
        "
STEP 5 (recommended). The log has not been forked

  A signature only shows that the organisation's key signed this checkpoint. To be sure the
  organisation has not shown different histories to different people, compare it with a
  checkpoint you obtained independently earlier (from the organisation's website, a witness
  or another court): if both have the same size they must be identical; if yours is older,
  log/consistency.json (if present) proves that this one extends it (RFC 6962 consistency
  proof). gawah-verify checks this with --checkpoint.

WHAT IS NOT PROVEN

  1. The metadata and custody notes in manifest.json are the exporter's statements, except
     where a custody record names a log entry: those gawah-verify compares with the entry.
  2. The times in log entries are the organisation's clock. The checkpoint proves the order
     of entries, and an independent timestamp on a checkpoint (if the organisation has one)
     proves when it existed at the latest.
  3. report.html is a convenience for reading, not evidence.
",
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_match_rfc_9162_examples() {
        // A tree of 7 leaves: leaf 6 is alone on the right edge; its proof is the subtree
        // [4, 6) then [0, 4), both on the left.
        assert_eq!(inclusion_steps(6, 7), vec![true, true]);
        // Leaf 0 of 8: three right siblings.
        assert_eq!(inclusion_steps(0, 8), vec![false, false, false]);
        assert_eq!(inclusion_steps(0, 1), Vec::<bool>::new());
        assert_eq!(inclusion_steps(5, 6), vec![true, true]);
        assert_eq!(inclusion_steps(3, 3), Vec::<bool>::new());
    }

    #[test]
    fn quoting() {
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
    }
}
