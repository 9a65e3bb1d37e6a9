//! Tests of the RFC 3161 reader. The fixtures were made with `openssl ts -reply` by a local
//! test authority (ECDSA P-256) over `body.txt`, a checkpoint-shaped text.

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;

const BODY: &[u8] = include_bytes!("../tests/fixtures/timestamp/body.txt");
const GRANTED: &[u8] = include_bytes!("../tests/fixtures/timestamp/granted.tsr");
const TOKEN: &[u8] = include_bytes!("../tests/fixtures/timestamp/granted.tst");
const REJECTED: &[u8] = include_bytes!("../tests/fixtures/timestamp/rejected.tsr");

fn digest(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

#[test]
fn reads_a_granted_response() {
    let r = read_response(GRANTED).unwrap();
    assert_eq!(r.status, 0);
    assert_eq!(
        r.token, TOKEN,
        "the token is the ContentInfo openssl writes with -token_out"
    );
    assert_eq!(r.info.policy, "1.2.3.4.1");
    assert_eq!(r.info.serial, "03");
    assert_eq!(r.info.gen_time, "2026-11-29T08:17:13Z");
    assert_eq!(
        r.info.nonce.as_deref(),
        Some(&[0x28, 0x6f, 0x01, 0x5c, 0x42, 0x66, 0x1f, 0xbc][..])
    );
    assert!(r.info.stamps_sha256(&digest(BODY)));
    assert!(!r.info.stamps_sha256(&digest(b"another checkpoint\n")));
    assert_eq!(read_token(TOKEN).unwrap(), r.info);
}

#[test]
fn a_rejection_names_the_reason() {
    let e = read_response(REJECTED).unwrap_err();
    let TstError::NotGranted {
        status,
        name,
        detail,
    } = &e
    else {
        panic!("{e}");
    };
    assert_eq!((*status, *name), (2, "rejection"));
    assert!(
        detail.contains("Message digest algorithm is not supported"),
        "{detail}"
    );
    assert!(detail.contains("badAlg"), "{detail}");
}

#[test]
fn status_granted_without_token_is_refused() {
    // SEQUENCE { SEQUENCE { INTEGER 0 } }
    let e = read_response(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00]).unwrap_err();
    assert!(e.to_string().contains("none is given"), "{e}");
}

#[test]
fn der_rules_are_enforced() {
    // The status alone, in long form although short enough: not DER.
    let long = [0x30, 0x81, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02];
    assert!(
        read_response(&long)
            .unwrap_err()
            .to_string()
            .contains("shortest form")
    );
    let indefinite = [0x30, 0x80, 0x30, 0x03, 0x02, 0x01, 0x02, 0x00, 0x00];
    assert!(
        read_response(&indefinite)
            .unwrap_err()
            .to_string()
            .contains("indefinite")
    );
    let mut trailing = GRANTED.to_vec();
    trailing.push(0);
    assert!(
        read_response(&trailing)
            .unwrap_err()
            .to_string()
            .contains("after the end")
    );
    // A status INTEGER 2 written as 00 02.
    let padded = [0x30, 0x06, 0x30, 0x04, 0x02, 0x02, 0x00, 0x02];
    assert!(
        read_response(&padded)
            .unwrap_err()
            .to_string()
            .contains("redundant")
    );
    let huge = vec![0u8; MAX_RESPONSE_BYTES + 1];
    assert_eq!(
        read_response(&huge),
        Err(TstError::TooLarge(MAX_RESPONSE_BYTES + 1))
    );
}

#[test]
fn every_truncation_is_refused() {
    for n in 0..GRANTED.len() {
        assert!(read_response(&GRANTED[..n]).is_err(), "prefix of {n} bytes");
    }
}

#[test]
fn generalized_times() {
    let ok = [
        ("20261129081713Z", "2026-11-29T08:17:13Z"),
        ("20261129081713.5Z", "2026-11-29T08:17:13.5Z"),
        ("20261129081713.125Z", "2026-11-29T08:17:13.125Z"),
    ];
    for (der, rfc3339) in ok {
        assert_eq!(generalized_time(der.as_bytes()).unwrap(), rfc3339);
    }
    for bad in [
        "20261129081713",
        "20261129081713.50Z",
        "20261129081713.Z",
        "20261129081713+0100",
        "202611290817Z",
        "20261329081713Z",
        "20261100081713Z",
        "2026112908171Z3",
        "20261129081713ZZ",
    ] {
        assert!(generalized_time(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn oids_read_as_dotted_text() {
    assert_eq!(oid_text(OID_SHA256).unwrap(), "2.16.840.1.101.3.4.2.1");
    assert_eq!(oid_text(OID_TST_INFO).unwrap(), "1.2.840.113549.1.9.16.1.4");
    assert!(oid_text(&[]).is_err());
    assert!(oid_text(&[0x2a, 0x86]).is_err());
    assert!(oid_text(&[0x2a, 0x80, 0x01]).is_err());
}

#[test]
fn failure_bits() {
    assert_eq!(failure_reasons(&[0x07, 0x80]).unwrap().len(), 1);
    // systemFailure is bit 25: the fourth byte's second bit.
    let r = failure_reasons(&[0x06, 0, 0, 0, 0x40]).unwrap();
    assert!(r[0].starts_with("systemFailure"), "{r:?}");
    assert!(failure_reasons(&[0x08, 0x00]).is_err());
    assert!(failure_reasons(&[0x01]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_response(&bytes);
        let _ = read_token(&bytes);
    }

    #[test]
    fn mutations_never_panic_nor_keep_the_imprint(
        at in any::<prop::sample::Index>(),
        mask in 1u8..,
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = GRANTED.to_vec();
        let i = at.index(b.len());
        b[i] ^= mask;
        let d = digest(BODY);
        let start = GRANTED.windows(32).position(|w| w == d).unwrap();
        if let Ok(r) = read_response(&b) {
            // A flip in the stamped hash never leaves a token over the original body.
            prop_assert!(!(start..start + 32).contains(&i) || !r.info.stamps_sha256(&d));
        }
        let n = cut.index(b.len());
        let _ = read_response(&b[..n]);
    }
}
