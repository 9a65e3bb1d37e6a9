//! Property tests: random bytes and random mutations of a good bundle never panic and never
//! verify.

mod common;

use std::sync::OnceLock;

use common::*;
use proptest::prelude::*;

fn fixture() -> &'static (Vec<u8>, String) {
    static GOOD: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    GOOD.get_or_init(|| {
        let b = good();
        assert!(check(&b.zip, &b.log.key()).ok);
        (b.zip, b.log.key())
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { at: usize },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    Overwrite { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<prop::sample::Index>();
    prop_oneof![
        4 => (at.clone(), 1u8..).prop_map(|(at, mask)| Mutation::Flip { at: at.index(usize::MAX), mask }),
        1 => at.clone().prop_map(|at| Mutation::Truncate { at: at.index(usize::MAX) }),
        1 => (at.clone(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at: at.index(usize::MAX), byte }),
        1 => at.clone().prop_map(|at| Mutation::Delete { at: at.index(usize::MAX) }),
        1 => (at, prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Overwrite { at: at.index(usize::MAX), bytes }),
    ]
}

fn apply(zip: &[u8], m: &Mutation) -> Vec<u8> {
    let mut z = zip.to_vec();
    let len = z.len();
    match m {
        Mutation::Flip { at, mask } => z[at % len] ^= mask,
        Mutation::Truncate { at } => z.truncate(at % len),
        Mutation::Insert { at, byte } => z.insert(at % (len + 1), *byte),
        Mutation::Delete { at } => {
            z.remove(at % len);
        }
        Mutation::Overwrite { at, bytes } => {
            let start = at % len;
            for (i, b) in bytes.iter().enumerate() {
                if let Some(slot) = z.get_mut(start + i) {
                    *slot = *b;
                }
            }
        }
    }
    z
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_verify(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let (_, key) = fixture();
        let report = check(&bytes, key);
        prop_assert!(!report.ok);
        prop_assert!(!report.failures().is_empty());
    }

    #[test]
    fn random_bytes_behind_a_zip_signature_never_verify(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (_, key) = fixture();
        let mut z = b"PK\x03\x04".to_vec();
        z.extend_from_slice(&bytes);
        z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0");
        prop_assert!(!check(&z, key).ok);
    }

    #[test]
    fn mutated_bundles_never_verify(m in mutation()) {
        let (zip, key) = fixture();
        let changed = apply(zip, &m);
        prop_assume!(changed != *zip);
        let report = check(&changed, key);
        prop_assert!(!report.ok, "{:?} verified:\n{}", m, report);
        prop_assert!(!report.failures().is_empty());
    }
}

/// Every single-byte change anywhere in the archive is caught (exhaustive over positions).
#[test]
fn every_single_byte_flip_is_caught() {
    let (zip, key) = fixture();
    for at in 0..zip.len() {
        let mut z = zip.clone();
        z[at] ^= 0x20;
        let report = check(&z, key);
        assert!(!report.ok, "flipping byte {at} went unnoticed");
    }
}
