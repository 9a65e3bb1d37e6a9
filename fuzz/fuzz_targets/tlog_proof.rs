//! Arbitrary text as a C2SP tlog-proof (`log/proofs/N.proof`): parsed strictly, so whatever
//! parses must print back to exactly the same text.
#![no_main]

use gawah_bundle::TlogProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(proof) = TlogProof::parse(text) {
        assert_eq!(proof.to_text(), text, "two texts for one proof");
        assert_eq!(TlogProof::parse(&proof.to_text()).as_ref(), Ok(&proof));
    }
});
