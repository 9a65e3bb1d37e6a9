//! Relevance: spelling variants meet, distinct letters stay distinct, syntax behaves.

mod common;

use common::{ORG, ids, ids_of, incident, index_of, query};
use gawah_search::{QueryError, SearchError, SearchIndex, SearchQuery, Sort};

/// The same Dari sentence in the spellings people and the synthetic corpus use.
fn spelling_corpus() -> SearchIndex {
    index_of(vec![
        // Persian letters, ZWNJ, no diacritics, Persian digits.
        incident(
            "persian",
            "کارمند زن",
            "نگهبان می‌گوید مکتب‌ها از ۲۰۲۲ بسته است؛ متوسطهٔ دختران",
        ),
        // Arabic yeh and kaf, ZWNJ as a space, Arabic-Indic digits, heh with yeh above.
        incident(
            "arabic",
            "كارمند زن",
            "نگهبان مي گويد مكتب ها از ٢٠٢٢ بسته است؛ متوسطۀ دختران",
        ),
        // ZWNJ dropped, harakat, ASCII digits, teh marbuta, tatweel.
        incident(
            "joined",
            "کارمَند زن",
            "نگهبان میگوید مَکتبها از 2022 بســته است؛ متوسطة دختران",
        ),
        incident("other", "دیگر", "موضوع دیگری در هرات"),
    ])
}

const ALL_THREE: [&str; 3] = ["arabic", "joined", "persian"];

#[test]
fn arabic_letters_find_persian_text_and_back() {
    let index = spelling_corpus();
    for q in [
        "كارمند",
        "کارمند",
        "مكتبها",
        "مکتب‌ها",
        "متوسطة",
        "متوسطهٔ",
        "متوسطۀ",
    ] {
        assert_eq!(ids(&index, q), ALL_THREE, "{q}");
    }
}

#[test]
fn zwnj_joined_and_spaced_forms_all_meet() {
    let index = spelling_corpus();
    for q in [
        "می‌گوید",
        "میگوید",
        "می گوید",
        "مي گويد",
        "مکتب ها",
        "مکتبها",
    ] {
        assert_eq!(ids(&index, q), ALL_THREE, "{q}");
    }
}

#[test]
fn a_query_written_with_zwnj_finds_any_split_of_the_word() {
    // "ییزې" is no affix the analyser knows, so only the ZWNJ in the query tells where to split.
    let index = index_of(vec![
        incident("zwnj", "", "د یوې سیمه‌ییزې موسسې دفتر"),
        incident("space", "", "د یوې سیمه ییزې موسسې دفتر"),
        incident("joined", "", "د یوې سیمهییزې موسسې دفتر"),
        incident("apart", "", "سیمه د ییزې موسسې"),
    ]);
    assert_eq!(ids(&index, "سیمه‌ییزې"), ["joined", "space", "zwnj"]);
    assert_eq!(
        ids(&index, "\"یوې سیمه‌ییزې موسسې\""),
        ["joined", "space", "zwnj"]
    );
    assert_eq!(
        ids(&index, "سیمهییزې"),
        ["joined", "zwnj"],
        "no ZWNJ, no split point"
    );
    assert_eq!(ids(&index, "موسسې -سیمه‌ییزې"), ["apart"]);
}

#[test]
fn diacritics_and_tatweel_are_ignored() {
    let index = spelling_corpus();
    for q in ["کارمَند", "کارمند", "بســته", "بسته", "مُکتَب‌ها"] {
        assert_eq!(ids(&index, q), ALL_THREE, "{q}");
    }
}

#[test]
fn every_digit_set_finds_every_other() {
    let index = spelling_corpus();
    for q in ["2022", "۲۰۲۲", "٢٠٢٢"] {
        assert_eq!(ids(&index, q), ALL_THREE, "{q}");
    }
}

#[test]
fn pashto_letters_are_not_folded_into_persian_ones() {
    // Minimal pairs: ښه "good" / شه "become!", ټول "all" / تول "weight", ړوند "blind" /
    // روند "course", ګډ "together" / گد (no word): each letter must keep the words apart.
    let index = index_of(vec![
        incident("x-sh", "ښه", "ټول ړوند ګډ"),
        incident("sh", "شه", "تول روند گد"),
    ]);
    for (q, expected) in [
        ("ښه", "x-sh"),
        ("شه", "sh"),
        ("ټول", "x-sh"),
        ("تول", "sh"),
        ("ړوند", "x-sh"),
        ("روند", "sh"),
        ("ګډ", "x-sh"),
        ("گد", "sh"),
    ] {
        assert_eq!(ids(&index, q), [expected], "{q}");
    }
}

#[test]
fn english_words_match_by_stem() {
    let index = index_of(vec![
        incident(
            "a",
            "Girls' school closed",
            "The banning of secondary education",
        ),
        incident("b", "Park entry refused", "Women were banned from the park"),
        incident("c", "Radio", "Voices taken off air"),
    ]);
    assert_eq!(ids(&index, "schools"), ["a"]);
    assert_eq!(ids(&index, "SCHOOLING"), ["a"]);
    assert_eq!(ids(&index, "banned"), ["a", "b"]);
    assert_eq!(ids(&index, "ban"), ["a", "b"]);
    assert_eq!(ids(&index, "girl"), ["a"]);
}

#[test]
fn words_are_anded_and_exclusions_remove() {
    let index = index_of(vec![
        incident("a", "School closed in Kabul", "girls sent home"),
        incident(
            "b",
            "University closed in Kabul",
            "women students sent home",
        ),
        incident("c", "School closed in Herat", "girls sent home"),
    ]);
    assert_eq!(ids(&index, "closed kabul"), ["a", "b"]);
    assert_eq!(ids(&index, "closed -university"), ["a", "c"]);
    assert_eq!(ids(&index, "closed -\"in kabul\""), ["c"]);
    assert_eq!(ids(&index, "-school"), ["b"], "exclusion alone: all others");
    assert!(ids(&index, "school university").is_empty());
}

#[test]
fn phrases_respect_word_order() {
    let index = index_of(vec![
        incident("a", "Girls banned from school", ""),
        incident("b", "School banned girls' clubs", ""),
        incident("fa", "", "نگهبان می گوید مکتب بسته است"),
    ]);
    assert_eq!(ids(&index, "\"girls banned\""), ["a"]);
    assert_eq!(ids(&index, "\"banned girls\""), ["b"]);
    assert_eq!(ids(&index, "\"school banned\""), ["b"]);
    assert_eq!(ids(&index, "girls banned"), ["a", "b"]);
    // A phrase holding a word whose affix the text wrote detached still matches, in order.
    assert_eq!(ids(&index, "\"می‌گوید مکتب\""), ["fa"]);
    assert_eq!(ids(&index, "«نگهبان میگوید مکتب»"), ["fa"]);
    assert!(ids(&index, "\"مکتب میگوید\"").is_empty());
}

#[test]
fn title_reference_and_perpetrators_are_searchable() {
    let mut doc = incident("a", "Title words", "Description words");
    doc.reference = Some("REF-2024-0042".to_owned());
    doc.perpetrators = vec!["mpvpv".to_owned()];
    let index = index_of(vec![doc, incident("b", "Other", "Nothing")]);
    for q in ["title", "description", "mpvpv", "\"REF-2024-0042\"", "0042"] {
        assert_eq!(ids(&index, q), ["a"], "{q}");
    }
}

#[test]
fn an_organisation_sees_only_its_own_incidents() {
    let mut theirs = incident("b", "School closed", "");
    theirs.org = "org-b".to_owned();
    let index = index_of(vec![incident("a", "School closed", ""), theirs]);
    assert_eq!(ids(&index, "school"), ["a"]);
    assert_eq!(
        ids(&index, ""),
        ["a"],
        "empty text: everything of the organisation"
    );
    let other = SearchQuery {
        org: "org-b".to_owned(),
        ..query("")
    };
    assert_eq!(ids_of(&index, &other), ["b"]);
    let nobody = SearchQuery {
        org: String::new(),
        ..query("")
    };
    assert!(matches!(
        index.search(&nobody),
        Err(SearchError::Query(QueryError::NoOrganisation))
    ));
}

#[test]
fn bad_query_text_is_a_readable_error_not_a_panic() {
    let index = index_of(vec![incident("a", "School", "")]);
    let error = index.search(&query("school \"girls")).unwrap_err();
    assert!(matches!(
        error,
        SearchError::Query(QueryError::UnclosedQuote)
    ));
    assert!(error.to_string().contains("not closed"), "{error}");
    let long = index.search(&query(&"x ".repeat(600))).unwrap_err();
    assert!(long.to_string().contains("too long"), "{long}");
    let many = index.search(&query(&"x ".repeat(40))).unwrap_err();
    assert!(many.to_string().contains("too many words"), "{many}");
    for odd in [
        "AND OR NOT",
        "title:school",
        "*",
        "~2 ^3",
        "(((",
        "\"\"",
        "- - -",
        "\u{200F}",
    ] {
        index.search(&query(odd)).expect("odd text is plain text");
    }
}

#[test]
fn sorting_and_paging() {
    let mut docs = Vec::new();
    for (id, date) in [
        ("a", "2022"),
        ("b", "2023-06-01"),
        ("c", "2021-09"),
        ("d", "2024-01-02"),
    ] {
        let mut doc = incident(id, "School closed", "");
        doc.date = date.to_owned();
        docs.push(doc);
    }
    let index = index_of(docs);
    let order = |sort: Sort, offset: usize, limit: usize| {
        let q = SearchQuery {
            sort,
            offset,
            limit,
            ..query("school")
        };
        let results = index.search(&q).expect("search");
        assert_eq!(results.total, 4);
        results.hits.into_iter().map(|h| h.id).collect::<Vec<_>>()
    };
    assert_eq!(order(Sort::Newest, 0, 10), ["d", "b", "a", "c"]);
    assert_eq!(order(Sort::Oldest, 0, 10), ["c", "a", "b", "d"]);
    assert_eq!(order(Sort::Oldest, 1, 2), ["a", "b"]);
    assert!(
        order(Sort::Relevance, 0, 0).is_empty(),
        "limit 0: counts only"
    );
    let deep = SearchQuery {
        offset: 20_000,
        ..query("school")
    };
    assert!(matches!(
        index.search(&deep),
        Err(SearchError::Query(QueryError::PageTooDeep { .. }))
    ));
}

#[test]
fn relevance_puts_the_better_match_first() {
    let index = index_of(vec![
        incident(
            "weak",
            "Report",
            "A long description that mentions a school once among many other words here",
        ),
        incident("strong", "School school", "school"),
    ]);
    let hits = index.search(&query("school")).expect("search").hits;
    assert_eq!(hits[0].id, "strong");
    assert!(hits[0].score > hits[1].score && hits[1].score > 0.0);
}

#[test]
fn hits_carry_their_fields_and_detected_language() {
    let mut doc = incident("a", "بازگرداندن دختران از مکتب", "مکتب بسته شد");
    doc.reference = Some("R-1".to_owned());
    doc.violation_types = vec!["education".to_owned(), "movement".to_owned()];
    let index = index_of(vec![doc]);
    let hit = &index.search(&query("مکتب")).expect("search").hits[0];
    assert_eq!(hit.id, "a");
    assert_eq!(hit.reference.as_deref(), Some("R-1"));
    assert_eq!(hit.title, "بازگرداندن دختران از مکتب");
    assert_eq!(
        (hit.date.as_str(), hit.province.as_str()),
        ("2023-01-15", "AF-KAB")
    );
    assert_eq!(hit.violation_types, ["education", "movement"]);
    assert_eq!(hit.verification_status, "unverified");
    assert_eq!(hit.language.as_deref(), Some("fa"));
    assert_eq!(ORG, "org-a");
}

#[test]
fn similar_finds_near_duplicates_of_the_same_organisation() {
    let mut foreign = incident(
        "z",
        "Girls turned away from secondary school in Kandahar",
        "",
    );
    foreign.org = "org-b".to_owned();
    let index = index_of(vec![
        incident(
            "a",
            "Girls turned away from secondary school in Kandahar",
            "officials sent girls home",
        ),
        incident(
            "b",
            "Girls turned away from secondary school in Kandahar",
            "officials sent 40 girls home",
        ),
        incident("c", "Women refused entry to a park", "guards cited the ban"),
        foreign,
    ]);
    let similar = index.similar(ORG, "a", 10).expect("similar");
    assert_eq!(similar.first().map(|s| s.0.as_str()), Some("b"));
    assert!(
        similar.iter().all(|(id, _)| id != "a" && id != "z"),
        "{similar:?}"
    );
    assert!(matches!(
        index.similar(ORG, "missing", 10),
        Err(SearchError::UnknownIncident { .. })
    ));
    assert!(
        index.similar("org-b", "a", 10).is_err(),
        "ids are per organisation"
    );
}
