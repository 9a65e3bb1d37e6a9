//! A collector counting, for every facet, how many matching incidents hold each value.
//!
//! Counts come from the facet fields' columns (tantivy fast fields): per segment, one counter
//! per dictionary ordinal, turned into strings once at the end. Every match is visited, so the
//! counts are exact over the whole result set, not just the page.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::FACETS;

/// Facet name → value → count.
pub(crate) type FacetMap = BTreeMap<String, BTreeMap<String, u64>>;

/// What [`FacetCounts`] gathers: the number of matches and their facet counts.
#[derive(Debug, Default)]
pub(crate) struct Counted {
    pub total: u64,
    pub facets: FacetMap,
}

/// The collector; see the module doc.
#[derive(Debug, Default)]
pub(crate) struct FacetCounts;

/// One facet's column in one segment, with a counter per ordinal.
struct ColumnCounts {
    column: StrColumn,
    counts: Vec<u64>,
}

/// [`FacetCounts`] for one segment.
pub(crate) struct SegmentFacetCounts {
    columns: Vec<Option<ColumnCounts>>,
    total: u64,
    /// The ordinals of the current document in the current column, to count each value once.
    seen: Vec<u64>,
}

impl Collector for FacetCounts {
    type Fruit = Counted;
    type Child = SegmentFacetCounts;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounts> {
        let mut columns = Vec::with_capacity(FACETS.len());
        for name in FACETS {
            let column = reader.fast_fields().str(name)?;
            columns.push(column.map(|column| ColumnCounts {
                counts: vec![0; column.num_terms()],
                column,
            }));
        }
        Ok(SegmentFacetCounts {
            columns,
            total: 0,
            seen: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<std::io::Result<Counted>>) -> tantivy::Result<Counted> {
        let mut merged = Counted {
            total: 0,
            facets: FACETS
                .iter()
                .map(|name| ((*name).to_owned(), BTreeMap::new()))
                .collect(),
        };
        for fruit in fruits {
            let fruit = fruit?;
            merged.total += fruit.total;
            for (name, values) in fruit.facets {
                let into = merged.facets.entry(name).or_default();
                for (value, count) in values {
                    *into.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounts {
    /// An error if a value cannot be read back from its column's dictionary.
    type Fruit = std::io::Result<Counted>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        for counts in self.columns.iter_mut().flatten() {
            let mut ords = counts.column.term_ords(doc);
            let Some(first) = ords.next() else { continue };
            let Some(second) = ords.next() else {
                // The common case: one value.
                count(&mut counts.counts, first);
                continue;
            };
            self.seen.clear();
            self.seen.extend([first, second]);
            self.seen.extend(ords);
            self.seen.sort_unstable();
            self.seen.dedup();
            for &ord in &self.seen {
                count(&mut counts.counts, ord);
            }
        }
    }

    fn harvest(self) -> std::io::Result<Counted> {
        let mut facets = FacetMap::new();
        let mut value = String::new();
        for (name, column) in FACETS.iter().zip(self.columns) {
            let mut values = BTreeMap::new();
            for c in column.iter() {
                for (ord, &n) in c.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                    value.clear();
                    if c.column.ord_to_str(ord as u64, &mut value)? {
                        values.insert(value.clone(), n);
                    }
                }
            }
            facets.insert((*name).to_owned(), values);
        }
        Ok(Counted {
            total: self.total,
            facets,
        })
    }
}

fn count(counts: &mut [u64], ord: u64) {
    if let Some(slot) = counts.get_mut(ord as usize) {
        *slot += 1;
    }
}
