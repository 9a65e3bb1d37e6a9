//! Full-text and faceted search over incidents, in Dari, Pashto and English.
//!
//! A tantivy index of [`IncidentDoc`]s, analysed by [`analyze`] (the same analysis at index and
//! query time, so every spelling variant of a word meets the others), with exact facet counts
//! over the whole result set. The index is derived state: [`SearchIndex::rebuild`] recreates it
//! from the store, and [`SearchIndex::open`] wipes and recreates a folder whose schema version
//! differs from this build's.
//!
//! # What reaches the index
//!
//! Only the fields of [`IncidentDoc`]; nothing else is indexed or stored. `IncidentDoc` has no
//! confidential field: names, contacts, exact places, testimony text and statements never reach
//! the index, so the folder holds nothing that the database's sealing protects. Searchable text
//! is the title, description, reference and perpetrators; the language facet is detected from
//! the title and description.
//!
//! # Query syntax
//!
//! See [`SearchQuery::text`]: words are ANDed, `"double-quoted phrases"` match in order, a
//! leading `-` excludes a word or phrase; no other operator exists, and bad text gives a
//! [`QueryError`] the user can read.
//!
//! # Layout
//!
//! - [`analyze`]: normalisation, tokenizer, language detection.
//! - `schema`: fields, documents, date intervals.
//! - `index`: [`SearchIndex`]: opening, versioning, writing.
//! - `query`: the query syntax and the tantivy query built from a [`SearchQuery`].
//! - `facets`: the collector counting facet values over all matches.
//! - `search`: running searches and "similar incident" look-ups.
//!
//! Invariant: the index can always be deleted and rebuilt from the store; nothing else depends
//! on its contents.

pub mod analyze;
mod error;
#[cfg(feature = "index")]
mod facets;
#[cfg(feature = "index")]
mod index;
mod query;
#[cfg(feature = "index")]
mod schema;
#[cfg(feature = "index")]
mod search;

use std::collections::BTreeMap;

use serde::Serialize;

pub use analyze::detect_language;
pub use error::{QueryError, SearchError};
#[cfg(feature = "index")]
pub use index::SearchIndex;
pub use query::{Clause, MAX_QUERY_CHARS, MAX_QUERY_TERMS, MAX_WINDOW, ParsedText, parse_text};

/// One incident as the index sees it. Holds no confidential field (see the crate doc).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IncidentDoc {
    /// The incident's id; unique within its organisation.
    pub id: String,
    /// The organisation that owns it; searches never cross organisations.
    pub org: String,
    /// The organisation's own reference, if any (searchable).
    pub reference: Option<String>,
    /// Title (searchable).
    pub title: String,
    /// Public description (searchable); never testimony text.
    pub description: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: the interval the incident happened in.
    pub date: String,
    /// ISO 3166-2:AF province code, e.g. `AF-KAB`.
    pub province: String,
    /// Violation type keys.
    pub violation_types: Vec<String>,
    /// Perpetrator keys or names (searchable, and a facet).
    pub perpetrators: Vec<String>,
    /// Ids of the edicts the incident enforces.
    pub edicts: Vec<String>,
    /// `unverified`, `partially_verified`, `verified`, ...
    pub verification_status: String,
    /// Source reliability, `A` to `F`.
    pub source_reliability: Option<String>,
    /// Information credibility, 1 to 6.
    pub source_credibility: Option<u8>,
    /// Log index of the incident's latest change.
    pub seq: u64,
}

/// The order of hits.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum Sort {
    /// Best BM25 match first; with no words to score (empty text, or exclusions only), newest
    /// first.
    #[default]
    Relevance,
    /// Latest start of the date interval first.
    Newest,
    /// Earliest start of the date interval first.
    Oldest,
}

/// A search: text, filters, order and page. Filters of one facet are ORed, facets are ANDed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SearchQuery {
    /// The organisation searched; always restricts.
    pub org: String,
    /// Words (all must match), `"phrases"` (in order) and `-excluded` words or phrases. Empty
    /// text matches every incident within the filters. At most [`MAX_QUERY_CHARS`] characters
    /// and [`MAX_QUERY_TERMS`] terms.
    pub text: String,
    /// Province codes.
    pub province: Vec<String>,
    /// Violation type keys.
    pub violation_type: Vec<String>,
    /// Perpetrator keys.
    pub perpetrator: Vec<String>,
    /// Edict ids.
    pub edict: Vec<String>,
    /// Verification statuses.
    pub status: Vec<String>,
    /// Source reliabilities.
    pub reliability: Vec<String>,
    /// Detected languages: `fa`, `ps`, `en`.
    pub language: Vec<String>,
    /// `YYYY[-MM[-DD]]`: incidents whose date interval ends on or after the start of this one.
    pub from: Option<String>,
    /// `YYYY[-MM[-DD]]`: incidents whose date interval starts on or before the end of this one.
    pub to: Option<String>,
    /// Order of hits.
    pub sort: Sort,
    /// Hits to skip (`offset + limit` at most [`MAX_WINDOW`]).
    pub offset: usize,
    /// Hits to return; 0 gives only the total and facets.
    pub limit: usize,
}

/// What a search found.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SearchResults {
    /// Number of matching incidents.
    pub total: u64,
    /// The requested page of them.
    pub hits: Vec<Hit>,
    /// Facet name → value → number of matching incidents with that value, over all matches.
    /// Names: `province`, `violation_type`, `perpetrator`, `edict`, `status`, `reliability`,
    /// `language`, `year`; every name is present, possibly with no value.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One matching incident.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Hit {
    /// The incident's id.
    pub id: String,
    /// Its reference, if any.
    pub reference: Option<String>,
    /// Its title.
    pub title: String,
    /// Its date as given.
    pub date: String,
    /// Its province code.
    pub province: String,
    /// Its violation types.
    pub violation_types: Vec<String>,
    /// Its verification status.
    pub verification_status: String,
    /// The language detected from title and description.
    pub language: Option<String>,
    /// BM25 score for relevance order; 0 otherwise.
    pub score: f32,
}
