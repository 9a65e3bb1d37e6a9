//! Checks of the embedded dataset against itself and against `shared/data`.

use super::*;
use std::collections::HashSet;
use std::path::PathBuf;

/// Records of a CSV file with a header row, split into fields (RFC 4180 quoting).
fn read_csv(name: &str) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reference data {} must exist: {e}", path.display()));
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            ('\r', false) => {}
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records.remove(0);
    records
}

fn is_arabic_script(s: &str) -> bool {
    let letters = s.chars().filter(|c| c.is_alphabetic());
    let (mut arabic, mut total) = (0, 0);
    for c in letters {
        total += 1;
        if matches!(c, '\u{0600}'..='\u{06FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
        {
            arabic += 1;
        }
    }
    // Acronyms such as UNAMA or CNN may stay in Latin letters inside Dari and Pashto text.
    total > 0 && arabic * 10 >= total * 8
}

fn valid_date(date: &str) -> bool {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let num = |r: std::ops::Range<usize>| date[r].parse::<u32>().unwrap_or(0);
    match b.len() {
        4 => digits(0..4),
        7 => digits(0..4) && b[4] == b'-' && digits(5..7) && (1..=12).contains(&num(5..7)),
        10 => {
            let year = num(0..4);
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let days = [
                31,
                28 + u32::from(leap),
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            valid_date(&date[..7])
                && b[7] == b'-'
                && digits(8..10)
                && (1..=days[num(5..7) as usize - 1]).contains(&num(8..10))
        }
        _ => false,
    }
}

fn check_translated(t: &Translated, what: &str) {
    assert!(!t.en.trim().is_empty(), "{what}: English is empty");
    assert!(
        is_arabic_script(&t.fa),
        "{what}: Dari is not in Arabic script: {}",
        t.fa
    );
    assert!(
        is_arabic_script(&t.ps),
        "{what}: Pashto is not in Arabic script: {}",
        t.ps
    );
}

fn check_records(records: &[DemoEdict], prefix: char, csv: &str) {
    let rows = read_csv(csv);
    assert_eq!(records.len(), rows.len(), "{csv}: row count");
    let mut ids = HashSet::new();
    for (i, (e, row)) in records.iter().zip(&rows).enumerate() {
        assert_eq!(e.id, format!("{prefix}{:03}", i + 1), "ids are sequential");
        assert!(ids.insert(e.id.clone()), "{} is duplicated", e.id);
        assert_eq!(
            (&e.id, &e.date, &e.domain),
            (&row[0], &row[1], &row[2]),
            "{}",
            e.id
        );
        assert!(valid_date(&e.date), "{}: bad date {}", e.id, e.date);
        assert!(DOMAINS.contains(&e.domain.as_str()), "{}: bad domain", e.id);
        for (t, field) in [(&e.title, "title"), (&e.summary, "summary")] {
            check_translated(t, &format!("{} {field}", e.id));
        }
        check_translated(&e.issuing_body, &format!("{} issuing_body", e.id));
        check_translated(&e.scope, &format!("{} scope", e.id));
        assert_eq!(e.sources.len(), 1, "{}", e.id);
        let source = &e.sources[0];
        assert!(source.url.starts_with("https://") || source.url.starts_with("http://"));
        assert_eq!(
            (&source.title, &source.url),
            (&row[7], &row[8]),
            "{}: source",
            e.id
        );
    }
}

#[test]
fn edicts_match_the_reference_facts() {
    let edicts = edicts().expect("edicts.json parses");
    check_records(&edicts, 'E', "edicts-facts.csv");
    assert!(edicts.iter().all(|e| e.domain != "accountability"));
}

#[test]
fn milestones_match_the_reference_facts() {
    let milestones = milestones().expect("milestones.json parses");
    check_records(&milestones, 'A', "accountability-facts.csv");
    assert!(milestones.iter().all(|e| e.domain == "accountability"));
}

#[test]
fn provinces_match_the_iso_list() {
    let provinces = provinces().expect("provinces.json parses");
    let rows = read_csv("af-provinces.csv");
    assert_eq!(provinces.len(), rows.len());
    assert_eq!(provinces.len(), 34);
    for (p, row) in provinces.iter().zip(&rows) {
        assert_eq!((&p.code, &p.en), (&row[0], &row[1]));
        assert!(
            is_arabic_script(&p.fa) && is_arabic_script(&p.ps),
            "{}",
            p.code
        );
    }
}

#[test]
fn declaration_is_complete_and_not_attributed() {
    let declaration = declaration().expect("declaration.json parses");
    check_translated(&declaration.title, "declaration title");
    assert!((4..=6).contains(&declaration.paragraphs.len()));
    for (i, p) in declaration.paragraphs.iter().enumerate() {
        check_translated(p, &format!("declaration paragraph {i}"));
    }
    assert!(
        declaration.paragraphs[0]
            .en
            .contains("does not speak for any real organisation")
    );
}

#[test]
fn translated_falls_back_to_english() {
    let t = Translated {
        en: "e".into(),
        fa: "ف".into(),
        ps: "پ".into(),
    };
    assert_eq!(
        (t.get("fa"), t.get("ps"), t.get("en"), t.get("de")),
        ("ف", "پ", "e", "e")
    );
}

#[test]
fn date_validation_rejects_bad_dates() {
    for good in ["2021", "2021-08", "2024-02-29", "2025-11-30"] {
        assert!(valid_date(good), "{good}");
    }
    for bad in [
        "21",
        "2021-13",
        "2023-02-29",
        "2021-02-30",
        "2021/08/01",
        "2021-8-1",
        "",
    ] {
        assert!(!valid_date(bad), "{bad}");
    }
}
