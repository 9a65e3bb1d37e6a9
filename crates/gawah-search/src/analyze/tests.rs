use super::*;
use proptest::prelude::*;

fn index(text: &str) -> Vec<String> {
    analyze(text, Mode::Index)
}

fn query(text: &str) -> Vec<String> {
    analyze(text, Mode::Query)
}

#[test]
fn arabic_letter_forms_fold_to_persian() {
    assert_eq!(normalize("علي"), "علی");
    assert_eq!(normalize("مصطفى"), "مصطفی");
    assert_eq!(normalize("كابل"), "کابل");
    assert_eq!(normalize("مدرسة"), "مدرسه");
    assert_eq!(normalize("متوسطۀ"), "متوسطه");
    assert_eq!(normalize("متوسطهٔ"), "متوسطه");
    assert_eq!(normalize("أحمد إسلام آب ٱلله"), "احمد اسلام اب الله");
}

#[test]
fn marks_and_invisible_characters_are_dropped() {
    assert_eq!(normalize("کـــابل"), "کابل", "tatweel");
    assert_eq!(normalize("مَکتَبٌ"), "مکتب", "harakat");
    assert_eq!(normalize("رحمٰن"), "رحمن", "superscript alef");
    assert_eq!(
        normalize("می\u{200C}گوید"),
        "میگوید",
        "ZWNJ joins the parts"
    );
    assert_eq!(normalize("a\u{200D}b\u{200E}c\u{200F}d\u{061C}e"), "abcde");
    assert_eq!(normalize("\u{202B}کابل\u{202C}\u{2067}x\u{2069}"), "کابلx");
}

#[test]
fn all_digit_sets_become_ascii() {
    assert_eq!(normalize("۲۰۲۲"), "2022");
    assert_eq!(normalize("٢٠٢٢"), "2022");
    assert_eq!(normalize("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩"), "0123456789 0123456789");
}

#[test]
fn pashto_letters_survive_nfkc_and_folding() {
    let pashto = "ښ ږ ځ څ ټ ډ ړ ڼ ې ۍ ئ ګ";
    assert_eq!(pashto.nfkc().collect::<String>(), pashto);
    assert_eq!(normalize(pashto), pashto);
    assert_ne!(normalize("ښار"), normalize("شار"));
    assert_ne!(normalize("ګډ"), normalize("گد"));
}

#[test]
fn presentation_forms_become_letters() {
    // Arabic presentation forms (as some PDFs and old fonts produce) are NFKC-folded.
    assert_eq!(normalize("\u{FEDF}\u{FEE8}"), "لن");
    assert_eq!(normalize("\u{FEFB}"), "لا");
}

#[test]
fn words_are_lowercased_and_english_is_stemmed() {
    assert_eq!(
        index("Girls' SCHOOLS were Banned, banning"),
        ["girl", "school", "were", "ban", "ban"]
    );
    assert_eq!(index("women's universities"), ["women", "universiti"]);
    assert_eq!(index("SYN-000123"), ["syn", "000123"]);
    assert_eq!(index("  ... ,;  "), Vec::<String>::new());
}

#[test]
fn arabic_script_words_are_not_stemmed() {
    assert_eq!(index("مکتب‌ها"), ["مکتبها"]);
    assert_eq!(index("ښوونځي"), ["ښوونځی"]);
}

#[test]
fn detached_affixes_add_joined_tokens_at_the_first_position() {
    let mut tokens = Vec::new();
    Analyzer::default().run("او می گوید کتاب ها", Mode::Index, &mut tokens);
    let got: Vec<_> = tokens
        .iter()
        .map(|t| (t.text.as_str(), t.position))
        .collect();
    assert_eq!(
        got,
        [
            ("او", 0),
            ("می", 1),
            ("میگوید", 1),
            ("گوید", 2),
            ("کتاب", 3),
            ("کتابها", 3),
            ("ها", 4),
        ]
    );
    assert!(index("نمی دانم").contains(&"نمیدانم".to_owned()));
    assert!(index("بی سواد ترین").contains(&"بیسوادترین".to_owned()));
}

#[test]
fn queries_join_detached_affixes_in_every_spelling() {
    for spelling in ["می گوید", "می‌گوید", "میگوید", "مي گويد"] {
        assert_eq!(query(spelling), ["میگوید"], "{spelling}");
    }
    assert_eq!(query("پارک ها را"), ["پارکها", "را"]);
    assert_eq!(query("بی سواد ترین"), ["بیسوادترین"]);
    assert_eq!(
        query("می. گوید"),
        ["می", "گوید"],
        "punctuation keeps words apart"
    );
    assert_eq!(query("school می"), ["school", "می"]);
}

#[test]
fn joined_words_are_recognised_for_phrase_slop() {
    assert!(may_be_detached("میگوید"));
    assert!(may_be_detached("پارکها"));
    assert!(!may_be_detached("می"));
    assert!(!may_be_detached("کابل"));
    assert!(!may_be_detached("school"));
}

#[test]
fn language_detection() {
    assert_eq!(detect_language(""), None);
    assert_eq!(detect_language("  2022 ... "), None);
    assert_eq!(detect_language("Girls turned away from school"), Some("en"));
    assert_eq!(
        detect_language("دختران از مکتب بازگردانده شدند"),
        Some("fa")
    );
    assert_eq!(
        detect_language("نجونې له ښوونځي بېرته ولېږل شوې"),
        Some("ps")
    );
    assert_eq!(detect_language("Report SYN-000001 کابل"), Some("en"));
    assert_eq!(detect_language("SYN-000001 کابل"), Some("fa"));
    assert_eq!(detect_language("[synthetic] کابل ولایت ښار"), Some("ps"));
}

#[test]
fn detected_language_matches_the_synthetic_corpus() {
    for i in gawah_demo::synthetic::incidents(17, 3_000) {
        let text = format!("{} {}", i.title, i.description);
        assert_eq!(detect_language(&text), Some(i.language), "{text}");
    }
}

#[test]
fn tokenizer_streams_the_index_tokens() {
    let mut tokenizer = GawahTokenizer::default();
    let mut stream = tokenizer.token_stream("می گوید schools");
    let mut seen = Vec::new();
    while let Some(token) = stream.next() {
        seen.push(token.text.clone());
    }
    assert_eq!(seen, index("می گوید schools"));
    assert!(!stream.advance(), "stays finished");
    assert_eq!(
        stream.token().text,
        "",
        "out of turn: an empty token, no panic"
    );
}

/// Characters that exercise every rule, for the property tests.
const ALPHABET: &str = "[ابپتجدرزسشکگلمنوهیيىكةۀأإآٱـًٌٍَُِّْٰٔ\u{200C}\u{200D}\u{200E}\u{200F}\u{202B}\u{2066}ښږځڅټډړڼېۍئګ0-9٠-٩۰-۹a-zA-Zéİß'\u{0301}\u{FEFB} .,-]{0,40}";

/// Regression (fuzzing, target search_query, 2026-11-29): a vowel sign after a space made a
/// token " \u{7A9}", holding the space.
#[test]
fn a_mark_after_a_space_is_not_glued_to_the_space() {
    assert_eq!(index(" \u{7A9}"), ["\u{7A9}"]);
    assert_eq!(query("ڿ \u{7A9}ی"), ["ڿ", "\u{7A9}", "ی"]);
    let crash = "مڿوید کی ڿوی\u{200C}کد \u{7A9}ی ڿ\u{64C} سیمه";
    for token in index(crash).iter().chain(&query(crash)) {
        assert!(
            !token.is_empty() && !token.contains(char::is_whitespace),
            "{token:?}"
        );
    }
}

proptest! {
    #[test]
    fn normalize_is_idempotent(text in ALPHABET) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn analysing_normalised_text_gives_the_same_tokens(text in ALPHABET) {
        let normalized = normalize(&text);
        prop_assert_eq!(index(&normalized), index(&text));
        prop_assert_eq!(query(&normalized), query(&text));
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let normalized = normalize(&text);
        prop_assert_eq!(normalize(&normalized), normalized);
        let _ = index(&text);
        let _ = query(&text);
        let _ = detect_language(&text);
    }

    #[test]
    fn every_query_token_of_a_text_is_indexed_for_it(text in ALPHABET) {
        let indexed = index(&text);
        for token in query(&text) {
            prop_assert!(indexed.contains(&token), "{token} missing from {indexed:?}");
        }
    }
}
