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
