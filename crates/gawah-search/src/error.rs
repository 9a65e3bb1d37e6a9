//! Errors: a query the user can fix, a busy index the caller can retry, and the rest.

use std::path::PathBuf;

#[cfg(feature = "index")]
use tantivy::TantivyError;
#[cfg(feature = "index")]
use tantivy::directory::error::LockError;

/// Why a search or an index operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The search text or a filter cannot be understood; the message is for the user.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// Another process (or another `SearchIndex` on the same folder) is writing the index.
    /// Retryable: try again shortly.
    #[error("the search index is being written by another process; try again shortly")]
    Busy,
    /// The folder given to [`crate::SearchIndex::open`] holds files that are not a gawah search
    /// index, so it is not wiped.
    #[error("{path} is not empty and is not a gawah search index; refusing to use or wipe it")]
    NotAnIndex {
        /// The folder.
        path: PathBuf,
    },
    /// A file or folder operation on the index folder failed.
    #[error("search index folder {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The system's complaint.
        #[source]
        source: std::io::Error,
    },
    /// The commit payload does not hold a watermark (the index was written by something else).
    #[error("search index commit payload {payload:?} is not a watermark; rebuild the index")]
    BadPayload {
        /// What was found.
        payload: String,
    },
    /// [`crate::SearchIndex::similar`] was asked about an incident the index does not hold.
    #[error("incident {id} is not in the search index")]
    UnknownIncident {
        /// The id asked for.
        id: String,
    },
    /// The search library failed (disk full, corrupt segment, ...). A rebuild usually helps.
    #[cfg(feature = "index")]
    #[error("search index: {0}")]
    Index(TantivyError),
}

impl SearchError {
    /// Whether writing the index failed because its disk is full (or a quota is spent).
    /// The index is then as it was before the write, a moment behind the database, and
    /// catches up by itself once space is freed: a search may still answer from it.
    pub fn is_storage_full(&self) -> bool {
        let full = |e: &std::io::Error| {
            matches!(
                e.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        };
        match self {
            Self::Io { source, .. } => full(source),
            #[cfg(feature = "index")]
            Self::Index(TantivyError::IoError(e)) => full(e),
            #[cfg(feature = "index")]
            Self::Index(TantivyError::OpenWriteError(
                tantivy::directory::error::OpenWriteError::IoError { io_error, .. },
            )) => full(io_error),
            // A segment written on the index's own threads fails as text: ENOSPC (28) and
            // EDQUOT (122) as the standard library words them.
            #[cfg(feature = "index")]
            Self::Index(TantivyError::ErrorInThread(m) | TantivyError::InternalError(m)) => {
                m.contains("(os error 28)") || m.contains("(os error 122)")
            }
            _ => false,
        }
    }
}

#[cfg(feature = "index")]
impl From<TantivyError> for SearchError {
    fn from(error: TantivyError) -> Self {
        match error {
            TantivyError::LockFailure(LockError::LockBusy, _) => SearchError::Busy,
            other => SearchError::Index(other),
        }
    }
}

/// What is wrong with a search's text or filters. Messages are short and meant for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The text is longer than allowed.
    #[error("the search text is too long ({chars} characters; at most {max})")]
    TooLong {
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The text has more words than allowed.
    #[error("the search has too many words ({terms}; at most {max})")]
    TooManyTerms {
        /// Words counted, phrases word by word.
        terms: usize,
        /// The limit.
        max: usize,
    },
    /// A `"` opens a phrase that is never closed.
    #[error("a quoted phrase is not closed: add the closing \"")]
    UnclosedQuote,
    /// A `-` is followed by nothing to exclude.
    #[error("\"-\" must be followed by a word or a quoted phrase to exclude")]
    EmptyExclusion,
    /// A date filter is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or is not a real date.
    #[error("date {value:?} is not YYYY, YYYY-MM or YYYY-MM-DD")]
    BadDate {
        /// The value given.
        value: String,
    },
    /// `from` is after `to`.
    #[error("the date range is empty: {from} is after {to}")]
    EmptyDateRange {
        /// The `from` value.
        from: String,
        /// The `to` value.
        to: String,
    },
    /// `offset + limit` is larger than a search may page through.
    #[error("cannot page beyond result {max}; narrow the search")]
    PageTooDeep {
        /// The limit on `offset + limit`.
        max: usize,
    },
    /// The organisation is missing.
    #[error("no organisation given for the search")]
    NoOrganisation,
}
