//! Arbitrary header values through the tus 1.0 header parsers of the upload routes
//! (`gawah_core::upload`): `Tus-Resumable`, `Upload-Length`, `Upload-Offset`,
//! `Upload-Metadata` and the upload's fields taken from its metadata.
//!
//! Input: a first byte whose low four bits say which of the four headers are present, then
//! their values separated by `\n` (the last takes the rest). Asserts: only `1.0.0` is
//! accepted as the version; an accepted number is exactly the decimal digits sent (leading
//! zeros aside); accepted metadata, written back as `key base64`, parses to the same pairs;
//! the fields taken from it are clean (a file name is one path component without control
//! characters, at most 255 bytes; cleaning again changes nothing).
#![no_main]

use base64::Engine;
use gawah_core::upload::{
    MAX_NAME, TUS_VERSION, UploadFields, check_resumable, clean_case, clean_name, header_number,
    metadata,
};
use libfuzzer_sys::fuzz_target;

fn check_number(name: &str, raw: Option<&[u8]>) {
    if let Ok(n) = header_number(name, raw) {
        let raw = raw.expect("a number was sent");
        let digits: &[u8] = match raw.iter().position(|&b| b != b'0') {
            Some(i) => &raw[i..],
            None => b"0",
        };
        assert_eq!(n.to_string().as_bytes(), digits);
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let one = |(k, v): &(String, String)| {
        if v.is_empty() {
            k.clone()
        } else {
            format!("{k} {}", b64.encode(v))
        }
    };
    pairs.iter().map(one).collect::<Vec<_>>().join(",")
}

fn check_fields(f: &UploadFields) {
    if let Some(name) = &f.file_name {
        assert!(!name.is_empty() && name.len() <= MAX_NAME);
        assert!(!name.contains(['/', '\\']) && !name.chars().any(char::is_control));
        assert!(name != "." && name != "..");
        assert_eq!(clean_name(name).as_ref(), Some(name));
    }
    if let Some(case) = &f.case_ref {
        assert_eq!(clean_case(case).as_ref(), Ok(&Some(case.clone())));
    }
    if let Some(incident) = &f.incident {
        assert!(!incident.trim().is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&present, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(4, |&b| b == b'\n');
    let mut values: [Option<&[u8]>; 4] = [None; 4];
    for (i, v) in values.iter_mut().enumerate() {
        let part = parts.next().unwrap_or_default();
        *v = (present & (1 << i) != 0).then_some(part);
    }
    let [version, length, offset, meta] = values;
    assert_eq!(
        check_resumable(version).is_ok(),
        version == Some(TUS_VERSION.as_bytes())
    );
    check_number("Upload-Length", length);
    check_number("Upload-Offset", offset);
    let Ok(pairs) = metadata(meta) else {
        return;
    };
    let text = encode(&pairs);
    let again = metadata(meta.map(|_| text.as_bytes())).expect("written metadata parses");
    assert_eq!(again, pairs);
    if let Ok(fields) = UploadFields::from_metadata(&pairs) {
        check_fields(&fields);
    }
});
