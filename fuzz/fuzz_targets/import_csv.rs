//! Arbitrary bytes as a CSV import file (`gawah import incidents|edicts`; the first byte
//! chooses which): RFC 4180 records, the HXL hashtag row and its column mapping, rows into
//! incident inputs and edicts, and their validation (`gawah_fuzz::check_import` says what is
//! asserted). Also each line on its own through the record parser: whatever parses, written
//! back with every field quoted, parses to the same fields.
#![no_main]

use gawah_core::import::parse_record;
use libfuzzer_sys::fuzz_target;

/// A record with every field quoted and its quotes doubled.
fn quoted(fields: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        for &b in f {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    out
}

fuzz_target!(|data: &[u8]| {
    gawah_fuzz::check_import(data);
    for line in data
        .get(1..)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .take(16)
    {
        if let Ok(fields) = parse_record(line) {
            assert!(!fields.is_empty());
            let again = parse_record(&quoted(&fields)).expect("a quoted record parses");
            assert_eq!(again, fields);
        }
    }
});
