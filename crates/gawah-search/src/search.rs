//! Running searches, and finding incidents similar to one.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::analyze::{Mode, analyze};
use crate::facets::FacetCounts;
use crate::query::{MAX_WINDOW, build};
use crate::schema::key;
use crate::{Hit, SearchError, SearchIndex, SearchQuery, SearchResults, Sort};

/// How many of an incident's words make up a "similar incidents" query.
const SIMILAR_TERMS: usize = 25;

impl SearchIndex {
    /// Run `q`: the page of hits, the total, and exact facet counts over all matches.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let (query, scored) = build(q, &self.fields)?;
        let searcher = self.reader.searcher();
        // TopDocs needs a limit of at least one; a page of 0 hits is cut afterwards.
        let top = TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset);
        let order = match q.sort {
            Sort::Relevance if scored => None,
            Sort::Relevance | Sort::Newest => Some(Order::Desc),
            Sort::Oldest => Some(Order::Asc),
        };
        let (page, counted) = match order {
            None => {
                let (page, counted) =
                    searcher.search(&query, &(top.order_by_score(), FacetCounts))?;
                (page, counted)
            }
            Some(order) => {
                let by_date = top.order_by_fast_field::<i64>("date_start", order);
                let (page, counted) = searcher.search(&query, &(by_date, FacetCounts))?;
                let page = page.into_iter().map(|(_, address)| (0.0, address));
                (page.collect(), counted)
            }
        };
        let hits = page
            .into_iter()
            .take(q.limit)
            .map(|(score, address)| self.hit(&searcher, address, score))
            .collect::<Result<_, _>>()?;
        Ok(SearchResults {
            total: counted.total,
            hits,
            facets: counted.facets,
        })
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: f32,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let f = &self.fields;
        Ok(Hit {
            id: first(&doc, f.id).unwrap_or_default(),
            reference: first(&doc, f.reference),
            title: first(&doc, f.title).unwrap_or_default(),
            date: first(&doc, f.date).unwrap_or_default(),
            province: first(&doc, f.province).unwrap_or_default(),
            violation_types: all(&doc, f.violation_type),
            verification_status: first(&doc, f.status).unwrap_or_default(),
            language: first(&doc, f.language),
            score,
        })
    }

    /// Up to `limit` incidents of `org` whose title and description are most like those of
    /// incident `id`, best first, without `id` itself: candidates for duplicate detection. The
    /// query is the incident's `SIMILAR_TERMS` most distinctive words (term frequency ×
    /// inverse document frequency), any of which may match.
    pub fn similar(
        &self,
        org: &str,
        id: &str,
        limit: usize,
    ) -> Result<Vec<(String, f32)>, SearchError> {
        let searcher = self.reader.searcher();
        let own_key = Term::from_field_text(self.fields.key, &key(org, id));
        let own = TermQuery::new(own_key.clone(), IndexRecordOption::Basic);
        let found = searcher.search(&own, &TopDocs::with_limit(1).order_by_score())?;
        let Some(&(_, address)) = found.first() else {
            return Err(SearchError::UnknownIncident { id: id.to_owned() });
        };
        let limit = limit.min(MAX_WINDOW);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = [self.fields.title, self.fields.description]
            .map(|field| first(&doc, field).unwrap_or_default())
            .join("\n");
        let words = self.distinctive_terms(&searcher, &text)?;
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let any_word = BooleanQuery::new(
            words
                .into_iter()
                .map(|t| {
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                    (Occur::Should, q)
                })
                .collect(),
        );
        let org_term = Term::from_field_text(self.fields.org, org);
        let org_only = TermQuery::new(org_term, IndexRecordOption::Basic);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(any_word)),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(org_only), 0.0)),
            ),
            (Occur::MustNot, Box::new(own)),
        ]);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        top.into_iter()
            .map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                Ok((first(&doc, self.fields.id).unwrap_or_default(), score))
            })
            .collect()
    }

    /// The most distinctive analysed words of `text` by tf × idf.
    fn distinctive_terms(&self, searcher: &Searcher, text: &str) -> Result<Vec<Term>, SearchError> {
        let mut frequencies: HashMap<String, u32> = HashMap::new();
        for token in analyze(text, Mode::Index) {
            *frequencies.entry(token).or_default() += 1;
        }
        let docs = searcher.num_docs() as f64;
        let mut weighted = Vec::with_capacity(frequencies.len());
        for (token, tf) in frequencies {
            let term = Term::from_field_text(self.fields.text, &token);
            let df = searcher.doc_freq(&term)? as f64;
            let idf = (1.0 + (docs - df + 0.5) / (df + 0.5)).ln();
            weighted.push((f64::from(tf) * idf, token, term));
        }
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(weighted
            .into_iter()
            .take(SIMILAR_TERMS)
            .map(|(_, _, term)| term)
            .collect())
    }
}

fn first(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn all(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}
