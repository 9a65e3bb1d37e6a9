use super::render::{BURSTS, FIRST_DAY, LAST_DAY, earliest_key};
use super::*;
use crate::DOMAINS as ALL_DOMAINS;
use std::collections::HashMap;

#[test]
fn same_seed_same_corpus_different_seed_different_corpus() {
    let a: Vec<_> = incidents(7, 500).collect();
    let b: Vec<_> = incidents(7, 500).collect();
    let c: Vec<_> = incidents(8, 500).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn produces_exactly_n_numbered_incidents() {
    assert_eq!(incidents(1, 0).count(), 0);
    let all: Vec<_> = incidents(1, 1234).collect();
    assert_eq!(all.len(), 1234);
    assert_eq!(all[0].r#ref, "SYN-000001");
    assert_eq!(all[122].r#ref, "SYN-000123");
}

#[test]
fn every_field_is_valid() {
    let edicts = crate::edicts().expect("edicts parse");
    let dates: HashMap<_, _> = edicts.iter().map(|e| (e.id.as_str(), e)).collect();
    let provinces: Vec<_> = PROVINCE_INDEX.iter().map(|p| p.0).collect();
    let perps: Vec<_> = perpetrators().iter().map(|p| p.0).collect();
    let (first, last) = (civil_from_days(FIRST_DAY), civil_from_days(LAST_DAY));
    for i in incidents(42, 20_000) {
        let marker = MARKERS[["en", "fa", "ps"]
            .iter()
            .position(|l| *l == i.language)
            .unwrap()];
        assert!(
            i.description.starts_with(marker),
            "{}: {}",
            i.r#ref,
            i.description
        );
        assert!(!i.title.is_empty() && !i.title.contains('{') && !i.description.contains('{'));
        let key = earliest_key(&i.date);
        let expected_len = match i.date_precision {
            "day" => 10,
            "month" => 7,
            "year" => 4,
            other => panic!("bad precision {other}"),
        };
        assert_eq!(i.date.len(), expected_len, "{}", i.date);
        assert!(
            key.0 >= first.0 && (key.0, key.1, key.2) <= last,
            "{}",
            i.date
        );
        if i.date_precision == "day" {
            assert!(key >= first, "{}", i.date);
        }
        assert!(provinces.contains(&i.province.as_str()));
        assert!((1..=2).contains(&i.violation_types.len()));
        for t in &i.violation_types {
            assert!(ALL_DOMAINS.contains(&t.as_str()) && t != "accountability");
        }
        assert!(perps.contains(&i.perpetrator.as_str()));
        for id in &i.edicts {
            let edict = dates
                .get(id.as_str())
                .unwrap_or_else(|| panic!("unknown edict {id}"));
            assert!(i.violation_types.contains(&edict.domain), "{id} domain");
            assert!(earliest_key(&edict.date) <= key, "{id} after {}", i.date);
        }
        assert!(('A'..='F').contains(&i.source_reliability));
        assert!((1..=6).contains(&i.source_credibility));
        assert!(["unverified", "partially_verified", "verified"].contains(&i.verification_status));
        assert!(i.victims >= 1 && !i.exact_location.is_empty() && !i.witness_pseudonym.is_empty());
    }
}

#[test]
fn language_mix_is_within_five_points_of_target() {
    let mut counts = HashMap::new();
    for i in incidents(2025, 10_000) {
        *counts.entry(i.language).or_insert(0u32) += 1;
    }
    for (lang, target) in [("fa", 4500), ("ps", 2500), ("en", 3000)] {
        let got = counts.get(lang).copied().unwrap_or(0);
        assert!(got.abs_diff(target) <= 500, "{lang}: {got} of 10000");
    }
}

#[test]
fn reports_surge_after_the_university_ban() {
    let in_month = |y: &str| {
        incidents(3, 20_000)
            .filter(|i| i.date.starts_with(y))
            .count()
    };
    // January 2023, after the December 2022 ban, against the same month a year earlier.
    assert!(in_month("2023-01") > 2 * in_month("2022-01"));
}

#[test]
fn spelling_variants_occur_in_dari_and_pashto_only() {
    let has = |s: &str, c: char| s.contains(c);
    let (mut yeh, mut kaf, mut digits, mut harakat, mut fa_ps) = (0, 0, 0, 0, 0);
    for i in incidents(11, 5_000) {
        let text = format!("{} {}", i.title, i.description);
        if i.language == "en" {
            assert!(
                !text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{text}"
            );
            continue;
        }
        fa_ps += 1;
        yeh += usize::from(has(&text, '\u{064A}') && i.language == "fa");
        kaf += usize::from(has(&text, '\u{0643}'));
        digits += usize::from(text.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c)));
        harakat += usize::from(has(&text, '\u{064E}'));
    }
    for (name, n) in [
        ("yeh", yeh),
        ("kaf", kaf),
        ("digits", digits),
        ("harakat", harakat),
    ] {
        assert!(n > fa_ps / 40, "{name} variant too rare: {n} of {fa_ps}");
    }
}

#[test]
fn no_person_names_only_roles_and_pseudonyms() {
    for i in incidents(5, 2_000) {
        assert!(
            i.witness_pseudonym.starts_with("Witness ") || i.witness_pseudonym.starts_with("شاهد ")
        );
    }
}

#[test]
fn static_indexes_agree_with_the_dataset() {
    let edicts = crate::edicts().expect("edicts parse");
    let index: Vec<_> = EDICT_INDEX.iter().map(|e| (e.0, e.1, e.2)).collect();
    let data: Vec<_> = edicts
        .iter()
        .map(|e| (e.id.as_str(), e.date.as_str(), e.domain.as_str()))
        .collect();
    assert_eq!(index, data);
    let provinces = crate::provinces().expect("provinces parse");
    for (p, q) in provinces.iter().zip(PROVINCE_INDEX.iter()) {
        assert_eq!(
            (p.code.as_str(), p.en.as_str(), p.fa.as_str(), p.ps.as_str()),
            *q
        );
    }
    for (id, day, domain, _) in BURSTS {
        let e = edicts
            .iter()
            .find(|e| e.id == id)
            .expect("burst edict exists");
        let (y, m, d) = civil_from_days(day);
        assert_eq!(e.date, format!("{y:04}-{m:02}-{d:02}"), "{id}");
        assert_eq!(e.domain, domain, "{id}");
    }
}

#[test]
fn every_language_has_a_template_for_every_domain() {
    for lang in 0..3 {
        let all = templates::for_language(lang);
        assert!(all.len() >= 12);
        for domain in ALL_DOMAINS.iter().filter(|d| **d != "accountability") {
            assert!(all.iter().any(|t| t.domain == *domain), "{lang} {domain}");
        }
    }
}

#[test]
fn civil_day_conversion_round_trips() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    for day in FIRST_DAY..=LAST_DAY {
        let (y, m, d) = civil_from_days(day);
        assert_eq!(days_from_civil(y, m, d), day);
    }
}

#[test]
fn canonical_incidents_differ_only_in_spelling() {
    let (mut differ, mut fa_ps) = (0, 0);
    for (varied, plain) in incidents(13, 3_000).zip(canonical_incidents(13, 3_000)) {
        let without_text = |i: &SyntheticIncident| SyntheticIncident {
            title: String::new(),
            description: String::new(),
            exact_location: String::new(),
            witness_pseudonym: String::new(),
            ..i.clone()
        };
        assert_eq!(without_text(&varied), without_text(&plain));
        if varied.language == "en" {
            assert_eq!(varied, plain);
            continue;
        }
        fa_ps += 1;
        differ += usize::from(varied.description != plain.description);
        let text = format!("{} {}", plain.title, plain.description);
        let variant_chars = ['\u{0643}', '\u{064E}', '\u{06C0}'];
        assert!(!text.contains(variant_chars), "{text}");
        assert!(!text.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c)));
        if plain.language == "fa" {
            assert!(!text.contains('\u{064A}'), "{text}");
        }
    }
    assert!(
        differ > fa_ps / 2,
        "variants applied to {differ} of {fa_ps}"
    );
}
