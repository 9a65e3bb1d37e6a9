//! Arbitrary text through gawah-log's note and checkpoint parsers: signed-note opening and
//! signature verification (with the seeds' key and a witness key), checkpoint parsing, and
//! verifier-key parsing. Strict parsers: whatever parses must print back to the same text.
#![no_main]

use gawah_log::{Checkpoint, NoteVerifier, open_checkpoint, open_note};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verifiers = gawah_fuzz::verifiers();
    if let Ok(note) = open_note(text, &verifiers) {
        assert!(!note.signatures.is_empty());
        assert!(text.starts_with(&note.text));
    }
    if let Ok((cp, note)) = open_checkpoint(text, &verifiers[0]) {
        assert_eq!(cp.origin, verifiers[0].name());
        assert_eq!(cp.to_text(), note.text, "two texts for one checkpoint");
    }
    if let Ok(cp) = Checkpoint::parse(text) {
        assert_eq!(cp.to_text(), text, "two texts for one checkpoint");
    }
    if let Some(body) = gawah_bundle::note_text(text)
        && let Ok(cp) = Checkpoint::parse(body)
    {
        assert_eq!(cp.to_text(), body);
    }
    for line in text.lines().take(8) {
        if let Ok(v) = NoteVerifier::parse(line) {
            let again = NoteVerifier::parse(&v.verifier_key()).expect("a parsed key parses again");
            assert_eq!((again.name(), again.key_id()), (v.name(), v.key_id()));
        }
    }
});
