//! Keeping the search index in step with the incidents.
//!
//! The index (`<data dir>/index`, see `gawah-search`) is derived: it can be deleted and
//! rebuilt at any time (`gawah index rebuild`). It holds only internal fields, never a
//! confidential one: [`incident_doc`] is the one place that decides what enters it, and the
//! confidential fields of an incident are sealed in the row and absent from its content.
//!
//! The index remembers the log index of the latest change it holds (its watermark). Catching
//! up is reading every incident changed after it ([`AnalysisStore::incident_changes`]), in
//! log order, whichever process wrote them; log indexes only grow and commit in order, so
//! nothing is skipped.

use std::cell::RefCell;

use gawah_search::{IncidentDoc, SearchError, SearchIndex};

use crate::analysis::AnalysisStore;
use crate::error::StoreError;
use crate::records::IncidentRow;

/// Incidents read and written per batch.
const BATCH: usize = 5_000;

/// Why the index could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading the incidents failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the index failed (or another process is writing it: try again later).
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What the index holds of an incident: its internal fields only.
pub fn incident_doc(row: &IncidentRow, seq: u64) -> IncidentDoc {
    let i = &row.incident;
    IncidentDoc {
        id: row.id.to_string(),
        org: row.org.to_string(),
        reference: i.reference.clone(),
        title: i.title.clone(),
        description: i.description.clone(),
        date: i.date.clone(),
        province: i.province.clone(),
        violation_types: i.violation_types.clone(),
        perpetrators: i.perpetrators.clone(),
        edicts: i.edicts.clone(),
        verification_status: i.verification_status.clone(),
        source_reliability: i.source_reliability.clone(),
        source_credibility: i.source_credibility,
        seq,
    }
}

/// Adds every incident changed since the index's watermark; returns how many.
pub fn sync_index(store: &dyn AnalysisStore, index: &SearchIndex) -> Result<usize, SyncError> {
    let mut after = index.watermark()?;
    let mut total = 0;
    loop {
        let changes = store.incident_changes(after, BATCH)?;
        let Some(last) = changes.last().map(|(_, seq)| *seq) else {
            return Ok(total);
        };
        total += changes.len();
        let docs = changes
            .iter()
            .map(|(r, seq)| incident_doc(r, *seq))
            .collect();
        index.upsert(docs, last)?;
        after = last;
    }
}

/// Empties the index and adds every incident again; returns how many.
pub fn rebuild_index(store: &dyn AnalysisStore, index: &SearchIndex) -> Result<u64, SyncError> {
    let watermark = store.incident_seq()?;
    let failed: RefCell<Option<StoreError>> = RefCell::new(None);
    let mut after = 0u64;
    let mut batch: std::vec::IntoIter<(IncidentRow, u64)> = Vec::new().into_iter();
    let docs = std::iter::from_fn(|| {
        loop {
            if let Some((row, seq)) = batch.next() {
                return Some(incident_doc(&row, seq));
            }
            if failed.borrow().is_some() {
                return None;
            }
            match store.incident_changes(after, BATCH) {
                Ok(rows) if rows.is_empty() => return None,
                Ok(rows) => {
                    after = rows.last().map_or(after, |(_, s)| *s);
                    batch = rows.into_iter();
                }
                Err(e) => {
                    *failed.borrow_mut() = Some(e);
                    return None;
                }
            }
        }
    });
    let n = index.rebuild(docs, watermark)?;
    if let Some(e) = failed.into_inner() {
        return Err(e.into());
    }
    // Changes committed while rebuilding (after the watermark read first) are caught up.
    sync_index(store, index)?;
    Ok(n)
}
