//! Helpers shared by the integration tests.
#![allow(dead_code)]

use gawah_demo::synthetic::SyntheticIncident;
use gawah_search::{IncidentDoc, SearchIndex, SearchQuery};

/// The organisation most tests use.
pub const ORG: &str = "org-a";

/// A minimal incident of [`ORG`] with the given text.
pub fn incident(id: &str, title: &str, description: &str) -> IncidentDoc {
    IncidentDoc {
        id: id.to_owned(),
        org: ORG.to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        date: "2023-01-15".to_owned(),
        province: "AF-KAB".to_owned(),
        violation_types: vec!["education".to_owned()],
        verification_status: "unverified".to_owned(),
        ..IncidentDoc::default()
    }
}

/// The search document of a synthetic incident: only the fields an `IncidentDoc` has, as the
/// store would build it (the confidential `exact_location` and the witness stay behind).
pub fn synthetic_doc(org: &str, i: &SyntheticIncident, seq: u64) -> IncidentDoc {
    IncidentDoc {
        id: i.r#ref.to_lowercase(),
        org: org.to_owned(),
        reference: Some(i.r#ref.clone()),
        title: i.title.clone(),
        description: i.description.clone(),
        date: i.date.clone(),
        province: i.province.clone(),
        violation_types: i.violation_types.clone(),
        perpetrators: vec![i.perpetrator.clone()],
        edicts: i.edicts.clone(),
        verification_status: i.verification_status.to_owned(),
        source_reliability: Some(i.source_reliability.to_string()),
        source_credibility: Some(i.source_credibility),
        seq,
    }
}

/// A search of [`ORG`] for `text`, 1,000 hits per page.
pub fn query(text: &str) -> SearchQuery {
    SearchQuery {
        org: ORG.to_owned(),
        text: text.to_owned(),
        limit: 1_000,
        ..SearchQuery::default()
    }
}

/// The sorted ids of the hits of `q`; panics on error (tests only).
pub fn ids_of(index: &SearchIndex, q: &SearchQuery) -> Vec<String> {
    let results = index.search(q).expect("search runs");
    assert_eq!(
        results.total as usize,
        results.hits.len(),
        "one page holds all"
    );
    let mut ids: Vec<_> = results.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

/// The sorted ids of the hits of a search for `text`.
pub fn ids(index: &SearchIndex, text: &str) -> Vec<String> {
    ids_of(index, &query(text))
}

/// An in-memory index holding `docs`.
pub fn index_of(docs: Vec<IncidentDoc>) -> SearchIndex {
    let index = SearchIndex::in_memory().expect("in-memory index");
    index.upsert(docs, 1).expect("upsert");
    index
}
