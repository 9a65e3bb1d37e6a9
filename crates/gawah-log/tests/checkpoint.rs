//! C2SP checkpoints: round trips, strict parsing, and opening signed ones.

use gawah_log::{Checkpoint, MemoryTree, NoteError, NoteSigner, open_checkpoint};

const ORIGIN: &str = "gawah.example/log";

fn sample() -> Checkpoint {
    let mut tree = MemoryTree::new();
    for entry in [b"a", b"b", b"c"] {
        tree.push(entry);
    }
    Checkpoint {
        origin: ORIGIN.to_owned(),
        size: tree.size(),
        root: tree.root(),
        extensions: vec!["ext one".to_owned()],
    }
}

#[test]
fn text_round_trips() {
    let checkpoint = sample();
    let text = checkpoint.to_text();
    assert!(text.starts_with("gawah.example/log\n3\n"));
    assert!(text.ends_with("=\next one\n"));
    assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint);
    let plain = Checkpoint {
        extensions: Vec::new(),
        size: 0,
        ..checkpoint
    };
    assert_eq!(Checkpoint::parse(&plain.to_text()).unwrap(), plain);
}

#[test]
fn known_text_parses() {
    // The example of c2sp.org/tlog-checkpoint.
    let text =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let checkpoint = Checkpoint::parse(text).unwrap();
    assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(checkpoint.size, 20_852_163);
    assert_eq!(checkpoint.root[0], 0x0a);
    assert_eq!(checkpoint.to_text(), text);
}

#[test]
fn non_canonical_texts_are_refused() {
    let good = sample().to_text();
    let root_line = good.lines().nth(2).unwrap().to_owned();
    let cases = [
        good.trim_end().to_owned(),             // no final newline
        format!("\n3\n{root_line}\n"),          // empty origin
        format!("{ORIGIN}\n03\n{root_line}\n"), // leading zero
        format!("{ORIGIN}\n+3\n{root_line}\n"), // sign
        format!("{ORIGIN}\n-3\n{root_line}\n"),
        format!("{ORIGIN}\n 3\n{root_line}\n"),
        format!("{ORIGIN}\n\n{root_line}\n"), // empty size
        format!("{ORIGIN}\n18446744073709551616\n{root_line}\n"), // overflows u64
        format!("{ORIGIN}\n3\n{}\n", &root_line[..40]), // short root
        format!("{ORIGIN}\n3\nAAAA\n"),       // 3-byte root
        format!("{ORIGIN}\n3\n{root_line}x\n"), // not base64
        format!("{ORIGIN}\n3\n{root_line}\n\n"), // empty extension line
        format!("{ORIGIN}\n3\n{root_line}\nok\n\nok\n"),
        format!("{ORIGIN}\n3\n"),                // missing root
        format!("{ORIGIN}\r\n3\n{root_line}\n"), // control character
    ];
    for text in &cases {
        assert!(Checkpoint::parse(text).is_err(), "accepted {text:?}");
    }
    assert!(Checkpoint::parse(&format!("{ORIGIN}\n0\n{root_line}\n")).is_ok());
}

#[test]
fn signed_checkpoint_opens() {
    let signer = NoteSigner::new(ORIGIN, [9; 32]).unwrap();
    let witness = NoteSigner::new("witness.example", [3; 32]).unwrap();
    let text = sample().to_text();
    let note = format!(
        "{}{}",
        signer.sign(&text).unwrap(),
        witness.signature_line(&text).unwrap()
    );
    let (checkpoint, opened) = open_checkpoint(&note, &signer.verifier()).unwrap();
    assert_eq!(checkpoint, sample());
    assert_eq!(opened.unverified.len(), 1);
}

#[test]
fn checkpoint_from_another_origin_is_refused() {
    let signer = NoteSigner::new("other.example/log", [9; 32]).unwrap();
    let note = signer.sign(&sample().to_text()).unwrap();
    assert!(matches!(
        open_checkpoint(&note, &signer.verifier()),
        Err(NoteError::OriginMismatch { .. })
    ));
    let right = NoteSigner::new(ORIGIN, [9; 32]).unwrap();
    assert!(open_checkpoint(&note, &right.verifier()).is_err());
}
