//! What the fuzz targets and the seed writer share: the fixed log key the seeds are signed
//! with (so that mutated seeds reach the signature, proof and commitment checks), and the
//! small limits the reader runs under.

use gawah_bundle::{Limits, Policy};
use gawah_log::{NoteSigner, NoteVerifier};

/// The seeds' log.
pub const ORIGIN: &str = "fuzz.example/log";
/// A second log that cosigns some seed checkpoints.
pub const WITNESS: &str = "witness.example/w1";

/// The seeds' log key (a fixed seed: this key protects nothing).
pub fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, [7; 32]).expect("a valid key name")
}

/// The witness key.
pub fn witness() -> NoteSigner {
    NoteSigner::new(WITNESS, [8; 32]).expect("a valid key name")
}

/// Both verifiers.
pub fn verifiers() -> [NoteVerifier; 2] {
    [signer().verifier(), witness().verifier()]
}

/// Limits far below the defaults, so that no input can make a target allocate much.
pub fn limits() -> Limits {
    Limits {
        max_entries: 64,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 2 << 20,
        max_json_bytes: 64 << 10,
    }
}

/// The verifier's policy with those limits.
pub fn policy() -> Policy {
    Policy {
        limits: limits(),
        ..Policy::default()
    }
}

/// What the two import targets share: the file's first byte chooses incidents (even) or
/// edicts (odd), the rest is the file, read as `gawah import` reads it.
///
/// Asserts: rows come in file order, each on a line of the file; a refused row has at least
/// one fault, each with a message; an incident or edict that validates survives the JSON
/// round trip (serialised as a JSON line, read back through the JSON Lines path, validated
/// again: the same record), so what is imported is exactly what a re-import of its JSON gives.
pub fn check_import(data: &[u8]) {
    use gawah_core::import::{Kind, Row, Rows};
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let kind = if first % 2 == 0 {
        Kind::Incidents
    } else {
        Kind::Edicts
    };
    let Ok((mut rows, _notes)) = Rows::open(file, kind) else {
        return;
    };
    let lines = file.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let mut last = 0;
    while let Ok(Some((line, parsed))) = rows.next_row() {
        assert!(
            line > last && line <= lines,
            "row on line {line} after {last}"
        );
        last = line;
        match parsed {
            Err(faults) => {
                assert!(!faults.is_empty(), "a row refused without a fault");
                assert!(faults.iter().all(|f| !f.message.is_empty()));
            }
            Ok(Row::Incident(input)) => {
                if let Ok(incident) = input.validate() {
                    let json = serde_json::to_vec(&incident).expect("an incident serialises");
                    match reread(&json, Kind::Incidents) {
                        Row::Incident(again) => {
                            assert_eq!(again.validate().as_ref(), Ok(&incident))
                        }
                        Row::Edict(_) => unreachable!(),
                    }
                }
            }
            Ok(Row::Edict(e)) => {
                if let Ok(edict) = gawah_core::import::validate_edict(&e, &gawah_demo::DOMAINS) {
                    let json = serde_json::to_vec(&edict).expect("an edict serialises");
                    match reread(&json, Kind::Edicts) {
                        Row::Edict(again) => assert_eq!(
                            gawah_core::import::validate_edict(&again, &gawah_demo::DOMAINS)
                                .as_ref(),
                            Ok(&edict)
                        ),
                        Row::Incident(_) => unreachable!(),
                    }
                }
            }
        }
    }
}

/// One JSON line through the JSON Lines path; it must parse.
fn reread(json: &[u8], kind: gawah_core::import::Kind) -> gawah_core::import::Row {
    let (mut rows, _) =
        gawah_core::import::Rows::open(json, kind).expect("a JSON object is JSON Lines");
    assert!(rows.is_json_lines());
    match rows.next_row() {
        Ok(Some((1, Ok(row)))) => row,
        other => panic!("a valid record's JSON does not read back: {other:?}"),
    }
}
