//! Facet counts are exact: every count checked against a brute-force count over the documents.

mod common;

use std::collections::BTreeMap;

use common::{ORG, query, synthetic_doc};
use gawah_search::{IncidentDoc, SearchIndex, SearchQuery, detect_language};

type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// 400 synthetic incidents of [`ORG`] and 150 of another organisation.
fn corpus() -> (SearchIndex, Vec<IncidentDoc>) {
    let ours: Vec<_> = gawah_demo::synthetic::incidents(7, 400)
        .map(|i| synthetic_doc(ORG, &i, 1))
        .collect();
    let theirs = gawah_demo::synthetic::incidents(8, 150).map(|i| synthetic_doc("org-b", &i, 1));
    let index = SearchIndex::in_memory().expect("index");
    // Two commits, so the index has several segments to merge counts across.
    index.upsert(ours[..250].to_vec(), 1).expect("upsert");
    index
        .upsert(ours[250..].iter().cloned().chain(theirs).collect(), 2)
        .expect("upsert");
    (index, ours)
}

/// The facets of `docs`, counted the slow way.
fn brute_force(docs: &[&IncidentDoc]) -> Facets {
    let mut facets: Facets = [
        "province",
        "violation_type",
        "perpetrator",
        "edict",
        "status",
        "reliability",
        "language",
        "year",
    ]
    .iter()
    .map(|name| ((*name).to_owned(), BTreeMap::new()))
    .collect();
    let mut add = |name: &str, values: Vec<String>| {
        let mut values = values;
        values.sort();
        values.dedup();
        for value in values {
            *facets.get_mut(name).unwrap().entry(value).or_default() += 1;
        }
    };
    for d in docs {
        let language = detect_language(&format!("{} {}", d.title, d.description));
        add("province", vec![d.province.clone()]);
        add("violation_type", d.violation_types.clone());
        add("perpetrator", d.perpetrators.clone());
        add("edict", d.edicts.clone());
        add("status", vec![d.verification_status.clone()]);
        add(
            "reliability",
            d.source_reliability.iter().cloned().collect(),
        );
        add(
            "language",
            language.iter().map(|l| (*l).to_owned()).collect(),
        );
        add("year", vec![d.date[..4].to_owned()]);
    }
    facets
}

/// First and last day of a date as comparable strings (31 stands for any month's end).
fn interval(date: &str) -> (String, String) {
    match date.len() {
        4 => (format!("{date}-01-01"), format!("{date}-12-31")),
        7 => (format!("{date}-01"), format!("{date}-31")),
        _ => (date.to_owned(), date.to_owned()),
    }
}

fn matches_filters(q: &SearchQuery, d: &IncidentDoc) -> bool {
    let any = |wanted: &[String], have: &[String]| {
        wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
    };
    let language = detect_language(&format!("{} {}", d.title, d.description))
        .map(str::to_owned)
        .into_iter()
        .collect::<Vec<_>>();
    let (start, end) = interval(&d.date);
    any(&q.province, std::slice::from_ref(&d.province))
        && any(&q.violation_type, &d.violation_types)
        && any(&q.perpetrator, &d.perpetrators)
        && any(&q.edict, &d.edicts)
        && any(&q.status, std::slice::from_ref(&d.verification_status))
        && any(
            &q.reliability,
            &d.source_reliability.iter().cloned().collect::<Vec<_>>(),
        )
        && any(&q.language, &language)
        && q.from.as_ref().is_none_or(|f| end >= interval(f).0)
        && q.to.as_ref().is_none_or(|t| start <= interval(t).1)
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

#[test]
fn filter_only_searches_count_exactly() {
    let (index, docs) = corpus();
    let searches = [
        query(""),
        SearchQuery {
            province: strings(&["AF-KAB", "AF-HER"]),
            status: strings(&["verified"]),
            ..query("")
        },
        SearchQuery {
            violation_type: strings(&["education"]),
            language: strings(&["fa"]),
            ..query("")
        },
        SearchQuery {
            from: Some("2022-12".into()),
            to: Some("2023-02-14".into()),
            ..query("")
        },
        SearchQuery {
            from: Some("2023".into()),
            reliability: strings(&["B", "C"]),
            perpetrator: strings(&["moe", "mohe", "mpvpv"]),
            ..query("")
        },
        SearchQuery {
            edict: strings(&["E027", "E028"]),
            to: Some("2023-06".into()),
            limit: 5,
            ..query("")
        },
    ];
    for q in &searches {
        let expected: Vec<&IncidentDoc> = docs.iter().filter(|d| matches_filters(q, d)).collect();
        assert!(
            !expected.is_empty(),
            "a useful test matches something: {q:?}"
        );
        let results = index.search(q).expect("search");
        assert_eq!(results.total as usize, expected.len(), "{q:?}");
        assert_eq!(results.hits.len(), expected.len().min(q.limit));
        assert_eq!(results.facets, brute_force(&expected), "{q:?}");
    }
}

#[test]
fn text_searches_count_over_all_matches_not_the_page() {
    let (index, docs) = corpus();
    for text in ["school", "مکتب", "محرم", "ښځې", "girls -university"] {
        let everything = index.search(&query(text)).expect("search");
        assert!(everything.total > 5, "{text}: {}", everything.total);
        let matched: Vec<&IncidentDoc> = everything
            .hits
            .iter()
            .map(|h| docs.iter().find(|d| d.id == h.id).expect("hit is ours"))
            .collect();
        assert_eq!(matched.len() as u64, everything.total, "{text}");
        let page = SearchQuery {
            limit: 3,
            ..query(text)
        };
        let paged = index.search(&page).expect("search");
        assert_eq!(paged.hits.len(), 3);
        assert_eq!(paged.total, everything.total);
        assert_eq!(paged.facets, brute_force(&matched), "{text}");
    }
}

#[test]
fn a_year_incident_overlaps_every_range_within_its_year() {
    let (index, docs) = corpus();
    let year_only = docs
        .iter()
        .find(|d| d.date.len() == 4)
        .expect("the corpus has year-precision dates");
    let q = SearchQuery {
        from: Some(format!("{}-06-01", year_only.date)),
        to: Some(format!("{}-06-30", year_only.date)),
        ..query("")
    };
    let hits = index.search(&q).expect("search").hits;
    assert!(hits.iter().any(|h| h.id == year_only.id));
    let bad = SearchQuery {
        from: Some("2023-02-30".into()),
        ..query("")
    };
    assert!(
        index
            .search(&bad)
            .unwrap_err()
            .to_string()
            .contains("2023-02-30")
    );
    let reversed = SearchQuery {
        from: Some("2024".into()),
        to: Some("2023".into()),
        ..query("")
    };
    assert!(index.search(&reversed).is_err());
}
