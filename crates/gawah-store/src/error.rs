//! Errors of the record store, split into those worth retrying and those that are not.

/// What went wrong in the record store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file is not a database, or is damaged.
    #[error("the database is corrupt or not a gawah database: {0}")]
    Corrupt(String),
    /// The data dir was written by a newer version of gawah.
    #[error(
        "the database has schema version {found}, newer than this gawah supports ({supported}); upgrade gawah"
    )]
    NewerSchema {
        /// Version found on disk.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// Stored state contradicts itself (for example the log head and the stored tree).
    #[error("refusing to use an inconsistent log: {0}")]
    Inconsistent(String),
    /// Another writer holds the database for longer than the wait allows; safe to retry.
    #[error("the database is busy; try again")]
    Busy,
    /// The database server could not be reached, or the connection was lost (a database
    /// server, PostgreSQL); safe to retry. A commit that fails this way may or may not have
    /// committed: only an `Ok` acknowledges it.
    #[error("the database is unavailable ({0}); try again")]
    Unavailable(String),
    /// A record the caller named does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller asked for something invalid.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The record changed since the caller read it.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The disk holding the database is full (SQLite's `SQLITE_FULL`, PostgreSQL's
    /// `disk_full`): the transaction was rolled back, nothing of it is stored. Not retryable
    /// as such: it succeeds again only once an operator has freed space.
    #[error("the disk holding the database is full: {0}")]
    Full(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// Whether repeating the same operation may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Busy | Self::Unavailable(_))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => Self::Busy,
            Some(C::NotADatabase | C::DatabaseCorrupt) => Self::Corrupt(e.to_string()),
            Some(C::DiskFull) => Self::Full(e.to_string()),
            _ => Self::Database(e.to_string()),
        }
    }
}

impl From<gawah_log::StorageError> for StoreError {
    fn from(e: gawah_log::StorageError) -> Self {
        Self::Inconsistent(e.to_string())
    }
}

impl From<gawah_log::ProofError> for StoreError {
    fn from(e: gawah_log::ProofError) -> Self {
        Self::Inconsistent(e.to_string())
    }
}
