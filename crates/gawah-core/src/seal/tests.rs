use std::io::{Read, Write};

use proptest::prelude::*;

use super::field::{unwrap_key, wrap_key};
use super::stream::{CHUNK, HEADER, sealed_len};
use super::*;

fn key() -> SecretKey {
    SecretKey::random().unwrap()
}

#[test]
fn a_sealed_field_opens_only_where_it_was_sealed() {
    let k = key();
    let at = Binding::new("testimonies", "statement", "tst_1");
    let sealed = seal(&k, at, b"canary-statement").unwrap();
    assert_eq!(&open(&k, at, &sealed).unwrap()[..], b"canary-statement");
    // moved to another row, column or table
    for other in [
        Binding::new("testimonies", "statement", "tst_2"),
        Binding::new("testimonies", "witness_name", "tst_1"),
        Binding::new("people", "statement", "tst_1"),
    ] {
        assert_eq!(open(&k, other, &sealed), Err(SealError::Refused));
    }
    // another key
    assert_eq!(open(&key(), at, &sealed), Err(SealError::Refused));
    // no plaintext in the sealed bytes
    assert!(!sealed.windows(6).any(|w| w == b"canary"));
}

#[test]
fn every_flipped_bit_is_refused() {
    let k = key();
    let at = Binding::new("t", "c", "r");
    let sealed = seal(&k, at, b"short value").unwrap();
    for i in 0..sealed.len() * 8 {
        let mut bad = sealed.clone();
        bad[i / 8] ^= 1 << (i % 8);
        assert!(
            open(&k, at, &bad).is_err(),
            "bit {i} flipped and still opened"
        );
    }
    assert!(open(&k, at, &sealed[..sealed.len() - 1]).is_err());
    assert!(open(&k, at, &[]).is_err());
}

#[test]
fn bindings_are_unambiguous() {
    // Length prefixes: moving a byte from one part to the next changes the associated data.
    let a = Binding::new("ab", "c", "d").aad();
    let b = Binding::new("a", "bc", "d").aad();
    assert_ne!(a, b);
}

#[test]
fn wrapped_keys_unwrap_only_with_the_wrapping_key_and_binding() {
    let org = key();
    let dk = key();
    let at = Binding::new("data_keys", "key", "inc_1");
    let wrapped = wrap_key(&org, at, &dk).unwrap();
    assert_eq!(unwrap_key(&org, at, &wrapped).unwrap(), dk);
    assert!(unwrap_key(&key(), at, &wrapped).is_err());
    assert!(unwrap_key(&org, Binding::new("data_keys", "key", "inc_2"), &wrapped).is_err());
}

#[test]
fn secrets_are_redacted_in_debug() {
    let k = SecretKey::from_bytes([0xab; 32]);
    let text = format!("{k:?}");
    assert!(!text.contains("ab") && !text.contains("171"), "{text}");
    let src = KeySource::Passphrase(zeroize::Zeroizing::new("hunter2-passphrase".into()));
    assert!(!format!("{src:?}").contains("hunter2"));
}

fn seal_stream(k: &SecretKey, at: Binding<'_>, data: &[u8]) -> Vec<u8> {
    let mut w = SealWriter::new(Vec::new(), k, at).unwrap();
    // odd write sizes cross chunk boundaries
    for part in data.chunks(7919) {
        w.write_all(part).unwrap();
    }
    w.finish().unwrap()
}

fn open_stream(k: &SecretKey, at: Binding<'_>, sealed: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    SealReader::new(sealed, k, at)?.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn streams_round_trip_at_chunk_edges() {
    let k = key();
    let at = Binding::new("blobs", "file", "item_1");
    for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let sealed = seal_stream(&k, at, &data);
        assert_eq!(sealed.len() as u64, sealed_len(len as u64), "len {len}");
        assert_eq!(open_stream(&k, at, &sealed).unwrap(), data, "len {len}");
    }
}

#[test]
fn altered_streams_are_refused() {
    let k = key();
    let at = Binding::new("blobs", "file", "item_1");
    let data = vec![7u8; 2 * CHUNK + 100];
    let sealed = seal_stream(&k, at, &data);
    let chunk = CHUNK + 16;
    // truncated at a chunk boundary (drops the last chunk)
    assert!(open_stream(&k, at, &sealed[..HEADER + 2 * chunk]).is_err());
    // truncated in the middle
    assert!(open_stream(&k, at, &sealed[..sealed.len() - 1]).is_err());
    // appended after the last chunk
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(open_stream(&k, at, &longer).is_err());
    // two chunks swapped
    let mut swapped = sealed.clone();
    let (a, b) = (HEADER, HEADER + chunk);
    let first = swapped[a..a + chunk].to_vec();
    swapped.copy_within(b..b + chunk, a);
    swapped[b..b + chunk].copy_from_slice(&first);
    assert!(open_stream(&k, at, &swapped).is_err());
    // a bit flipped in the middle
    let mut flipped = sealed.clone();
    flipped[HEADER + chunk + 5] ^= 0x10;
    assert!(open_stream(&k, at, &flipped).is_err());
    // another record
    assert!(open_stream(&k, Binding::new("blobs", "file", "item_2"), &sealed).is_err());
    // not sealed at all
    assert!(open_stream(&k, at, b"plain text file").is_err());
}

#[test]
fn a_passphrase_derives_the_same_key_with_the_same_params_only() {
    let params = KdfParams {
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
        salt: [1; 16],
    };
    let p = |s: &str| KeySource::Passphrase(zeroize::Zeroizing::new(s.into()));
    let a = p("correct horse battery").derive(&params).unwrap();
    assert_eq!(a, p("correct horse battery").derive(&params).unwrap());
    assert_ne!(a, p("correct horse batterY").derive(&params).unwrap());
    let salted = KdfParams {
        salt: [2; 16],
        ..params
    };
    assert_ne!(a, p("correct horse battery").derive(&salted).unwrap());
    assert!(p("short").check_strength().is_err());
    assert!(p("long enough passphrase").check_strength().is_ok());
}

#[test]
fn key_files_must_be_private_and_well_formed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.key");
    let made = KeySource::create_key_file(&path).unwrap();
    let params = KdfParams::recommended().unwrap();
    let read = KeySource::key_file(&path).unwrap();
    assert_eq!(made.derive(&params).unwrap(), read.derive(&params).unwrap());
    assert!(matches!(
        KeySource::create_key_file(&path),
        Err(KeySourceError::Exists(_))
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = KeySource::key_file(&path).unwrap_err();
    assert!(err.to_string().contains("chmod 600"), "{err}");
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "not hex").unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(matches!(
        KeySource::key_file(&bad),
        Err(KeySourceError::BadKeyFile(_))
    ));
    assert!(matches!(
        KeySource::key_file(&dir.path().join("missing")),
        Err(KeySourceError::Read { .. })
    ));
}

proptest! {
    #[test]
    fn any_field_round_trips(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let k = key();
        let at = Binding::new("t", "c", "r");
        prop_assert_eq!(&open(&k, at, &seal(&k, at, &data).unwrap()).unwrap()[..], &data[..]);
    }
}
