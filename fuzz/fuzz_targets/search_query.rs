//! Arbitrary text through gawah-search's query parser (`parse_text`: words, quoted phrases
//! in three quote styles, exclusions, ZWNJ words) and so through the Dari/Pashto/English
//! analyzer, plus the analyzer on its own in both modes.
//!
//! Asserts: an accepted text is within the limits and yields at most `MAX_QUERY_TERMS`
//! terms, no empty token and no one-token phrase; parsing is deterministic; `normalize` is
//! idempotent (its doc says so); an analysed token holds no whitespace.
#![no_main]

use gawah_search::analyze::{Mode, analyze, normalize};
use gawah_search::{Clause, MAX_QUERY_CHARS, MAX_QUERY_TERMS, parse_text};
use libfuzzer_sys::fuzz_target;

fn check_clause(c: &Clause) {
    match c {
        Clause::Term(t) => assert!(!t.is_empty(), "an empty term"),
        Clause::Phrase(tokens, slop) => {
            assert!(tokens.len() >= 2, "a phrase of one token");
            assert!(tokens.iter().all(|t| !t.is_empty()), "an empty token");
            assert!(*slop as usize <= tokens.len());
        }
        Clause::Either(options) => {
            assert_eq!(options.len(), 2);
            assert_ne!(options[0], options[1]);
            options.iter().for_each(check_clause);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_text(text);
    if let Ok(p) = &parsed {
        assert!(text.chars().count() <= MAX_QUERY_CHARS);
        let terms: usize = p.include.iter().chain(&p.exclude).map(Clause::terms).sum();
        assert!(terms <= MAX_QUERY_TERMS);
        p.include.iter().chain(&p.exclude).for_each(check_clause);
    }
    assert_eq!(format!("{parsed:?}"), format!("{:?}", parse_text(text)));
    let once = normalize(text);
    assert_eq!(normalize(&once), once, "normalize is not idempotent");
    if text.len() <= 4096 {
        for mode in [Mode::Index, Mode::Query] {
            for token in analyze(text, mode) {
                assert!(!token.is_empty() && !token.chars().any(char::is_whitespace));
            }
        }
    }
});
