//! Arbitrary bytes as a bundle archive: the reader must refuse or read them, and the verifier
//! must report on them, never panic, hang or allocate beyond the limits.
#![no_main]

use std::io::{Cursor, Read};

use gawah_bundle::{BundleReader, verify_archive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = gawah_fuzz::limits();
    if let Ok(mut zip) = BundleReader::new(Cursor::new(data), &limits) {
        let entries = zip.entries().to_vec();
        assert!(entries.len() as u64 <= limits.max_entries);
        for e in &entries {
            assert!(e.size() <= limits.max_entry_bytes);
            // Nothing is compressed: every declared byte is in the input.
            assert!(e.size() <= data.len() as u64);
            let name = e.name();
            assert!(gawah_bundle::check_name(name).is_ok(), "{name:?}");
            let d = zip
                .digest(name)
                .expect("a checked entry can be read to its end");
            assert_eq!(d.bytes, e.size());
            // The same bytes through the streaming reader: same outcome as the digest.
            let mut bytes = Vec::new();
            let read = zip.open_entry(name).unwrap().read_to_end(&mut bytes);
            assert_eq!(read.is_ok(), d.crc_ok(), "{name:?}");
            if read.is_ok() {
                assert_eq!(gawah_bundle::crc32(&bytes), e.crc32());
                assert_eq!(bytes.len() as u64, e.size());
            }
            let bounded = zip.read_bounded(name, limits.max_json_bytes);
            assert!(bounded.is_ok() == (d.crc_ok() && e.size() <= limits.max_json_bytes));
        }
    }
    let key = gawah_fuzz::signer().verifier_key();
    let report = verify_archive(
        Cursor::new(data),
        "fuzz.zip",
        &key,
        None,
        &gawah_fuzz::policy(),
    )
    .expect("the key is valid, so only the report can say no");
    // Rendering the report must not panic either.
    let _ = report.to_string();
});
