//! Signed notes: Go's documented example as a known answer, and the format's refusals.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gawah_log::{NoteError, NoteSigner, NoteVerifier, open_note};

/// From the documentation of golang.org/x/mod/sumdb/note (example_test.go).
const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const SIG_LINE: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/// The Go private key is `PRIVATE+KEY+<name>+<key id>+base64(0x01 ‖ seed)`.
fn peter() -> NoteSigner {
    let encoded = SKEY.splitn(5, '+').nth(4).unwrap();
    let bytes = BASE64.decode(encoded).unwrap();
    assert_eq!(bytes[0], 0x01, "Ed25519 algorithm byte");
    NoteSigner::new("PeterNeumann", bytes[1..].try_into().unwrap()).unwrap()
}

fn other_signer(name: &str) -> NoteSigner {
    NoteSigner::new(name, [7; 32]).unwrap()
}

fn signed() -> String {
    format!("{TEXT}\n{SIG_LINE}")
}

#[test]
fn go_example_signs_identically() {
    let signer = peter();
    assert_eq!(signer.verifier_key(), VKEY);
    assert_eq!(signer.key_id(), [0xc7, 0x4f, 0x20, 0xa3]);
    assert_eq!(signer.signature_line(TEXT).unwrap(), SIG_LINE);
    assert_eq!(signer.sign(TEXT).unwrap(), signed());
}

#[test]
fn go_example_verifies() {
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_id(), [0xc7, 0x4f, 0x20, 0xa3]);
    assert_eq!(verifier.verifier_key(), VKEY);
    let note = open_note(&signed(), &[verifier]).unwrap();
    assert_eq!(note.text, TEXT);
    assert_eq!(note.signatures.len(), 1);
    assert_eq!(note.signatures[0].name, "PeterNeumann");
    assert!(note.unverified.is_empty());
}

#[test]
fn debug_does_not_show_the_key() {
    let shown = format!("{:?}", peter());
    assert!(shown.contains("PeterNeumann"));
    assert!(!shown.to_lowercase().contains("secret") && !shown.contains("SigningKey"));
    assert!(!shown.contains("AYEKFALV"));
}

#[test]
fn unknown_cosignatures_are_kept_unverified() {
    let witness = other_signer("witness.example/w1");
    let note = format!("{}{}", signed(), witness.signature_line(TEXT).unwrap());
    let opened = open_note(&note, &[peter().verifier()]).unwrap();
    assert_eq!(opened.unverified.len(), 1);
    assert_eq!(opened.unverified[0].name, "witness.example/w1");
    let both = open_note(&note, &[peter().verifier(), witness.verifier()]).unwrap();
    assert_eq!(both.signatures.len(), 2);
}

fn refused(note: &str) -> NoteError {
    open_note(note, &[peter().verifier()]).unwrap_err()
}

#[test]
fn tampering_is_refused() {
    let tampered_text = signed().replacen("cryptography", "cryptographY", 1);
    assert!(matches!(
        refused(&tampered_text),
        NoteError::BadSignature { .. }
    ));
    let tampered_sig = signed().replacen("x08go/", "x08go+", 1);
    assert!(matches!(
        refused(&tampered_sig),
        NoteError::BadSignature { .. }
    ));
}

#[test]
fn wrong_key_is_refused() {
    let impostor = other_signer("PeterNeumann");
    let note = impostor.sign(TEXT).unwrap();
    // Same name, different key id: not ours, so no verified signature.
    assert!(matches!(refused(&note), NoteError::NoVerifiedSignature));
    assert!(open_note(&signed(), &[impostor.verifier()]).is_err());
    assert!(open_note(&signed(), &[]).is_err());
}

#[test]
fn malformed_notes_are_refused() {
    let cases = [
        format!("{TEXT}{SIG_LINE}"),                            // no blank line
        format!("{TEXT}\n{}", SIG_LINE.trim_end()),             // no final newline
        format!("{TEXT}\n{}", SIG_LINE.replacen('—', "-", 1)),  // hyphen, not em dash
        format!("{TEXT}\n{}", SIG_LINE.replacen("— ", "—", 1)), // no space after the dash
        format!("{TEXT}\n{}", SIG_LINE.replacen(' ', "  ", 2)), // double space
        format!("{TEXT}\n{SIG_LINE}\n"),                        // blank line at the end
        format!("{TEXT}\n{SIG_LINE}{SIG_LINE}"),                // duplicate signature
        format!("{TEXT}\n— PeterNeumann AAAA\n"),               // signature of 3 bytes
        format!("{TEXT}\n— PeterNeumann x08go!!\n"),            // not base64
        format!("{TEXT}\n— Peter+Neumann {}", &SIG_LINE[17..]), // '+' in name
        format!("tab\there\n\n{SIG_LINE}"),                     // control character
        format!("{TEXT}\n"),                                    // no signatures at all
        String::new(),
    ];
    for note in &cases {
        assert!(
            open_note(note, &[peter().verifier()]).is_err(),
            "accepted {note:?}"
        );
    }
    let huge = format!("{}\n{SIG_LINE}", "a\n".repeat(200_000));
    assert!(matches!(refused(&huge), NoteError::TooLarge));
}

#[test]
fn signer_refuses_bad_names_and_texts() {
    for name in ["", "a+b", "a b", "a\u{a0}b", "a\nb", "tab\t"] {
        assert!(NoteSigner::new(name, [1; 32]).is_err(), "accepted {name:?}");
    }
    let signer = peter();
    assert!(signer.sign("").is_err());
    assert!(signer.sign("no newline").is_err());
    assert!(signer.sign("bell\u{7}\n").is_err());
}

#[test]
fn verifier_keys_are_checked() {
    let cases = [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // wrong id
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // uppercase id
        "PeterNeumannX+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // other name
        "PeterNeumann+c74f20a3+AhpccQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // algorithm 2
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",   // short
        "PeterNeumann+c74f20a3",
        "PeterNeumann",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ];
    for vkey in cases {
        assert!(NoteVerifier::parse(vkey).is_err(), "accepted {vkey}");
    }
    // Go's own test of a wrong-length key with an adjusted key hash.
    let long = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
    assert!(NoteVerifier::parse(long).is_err());
}
