//! Arbitrary bytes as a JSON Lines import file (`gawah import incidents|edicts`; the first
//! byte chooses which): each line as an object with the API's fields, unknown fields and
//! wrong types named by field, then validation (`gawah_fuzz::check_import` says what is
//! asserted). The seeds start with `{`, so mutations mostly stay on the JSON Lines path; a
//! mutation that makes the file CSV is checked all the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gawah_fuzz::check_import(data);
});
