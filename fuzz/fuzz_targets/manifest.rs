//! Arbitrary bytes as `manifest.json`: refused with a message, or parsed into a manifest that
//! survives a round trip through `to_json`.
#![no_main]

use gawah_bundle::{Manifest, is_rfc3339};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::parse(data) {
        for item in &m.items {
            let _ = item.problems();
        }
        let again = Manifest::parse(&m.to_json()).expect("a parsed manifest parses again");
        assert_eq!(again, m);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = is_rfc3339(s);
    }
});
