//! PostgreSQL errors as [`StoreError`]s, split into retryable and not.
//!
//! Retryable: a lost or refused connection ([`StoreError::Unavailable`]: the server restarted,
//! a backend was terminated, a failover), and the losers of a concurrency race
//! ([`StoreError::Busy`]: serialization failure, deadlock, a lock not had within
//! `lock_timeout`). Not retryable: everything else, constraint violations included, which
//! are [`StoreError::Database`] as on SQLite, so both backends answer a bad batch alike.
//! Messages carry the SQLSTATE, the server's message and the constraint's name, never the
//! DETAIL line (which may quote a row's values).

use postgres::error::SqlState;

use crate::error::StoreError;

/// The client's messages for a connection that failed or did not answer.
const LOST: [&str; 3] = [
    "error connecting to server",
    "error communicating with the server",
    "timeout waiting for server",
];

/// Maps an error of the client or the server.
pub(crate) fn from_pg(e: postgres::Error) -> StoreError {
    if e.is_closed() {
        return StoreError::Unavailable(e.to_string());
    }
    let Some(db) = e.as_db_error() else {
        // No answer from the server: a refused or broken connection, or a timeout (the
        // client's kinds are private; their messages are its stable names for them). Errors
        // of the client's own making (a value of the wrong type) are none of these.
        let text = e.to_string();
        let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        return if io || LOST.iter().any(|l| text.starts_with(l)) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Database(e.to_string())
        };
    };
    let code = db.code();
    let mut text = format!("{} ({})", db.message(), code.code());
    if let Some(c) = db.constraint() {
        text.push_str(&format!(", constraint {c}"));
    }
    if retry_race(code) {
        StoreError::Busy
    } else if unavailable(code) {
        StoreError::Unavailable(text)
    } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        StoreError::Corrupt(text)
    } else if *code == SqlState::DISK_FULL {
        StoreError::Full(text)
    } else {
        StoreError::Database(text)
    }
}

/// Lost a race: running the same transaction again may succeed.
fn retry_race(code: &SqlState) -> bool {
    [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::QUERY_CANCELED,
    ]
    .contains(code)
}

/// The server is going away, not yet up, or full: another attempt, perhaps on another
/// connection, may succeed.
fn unavailable(code: &SqlState) -> bool {
    // Class 08: connection exception.
    code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::IDLE_SESSION_TIMEOUT,
            SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        ]
        .contains(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn races_are_busy_and_shutdowns_unavailable() {
        assert!(retry_race(&SqlState::T_R_SERIALIZATION_FAILURE));
        assert!(retry_race(&SqlState::T_R_DEADLOCK_DETECTED));
        assert!(!retry_race(&SqlState::UNIQUE_VIOLATION));
        assert!(unavailable(&SqlState::ADMIN_SHUTDOWN));
        assert!(unavailable(&SqlState::CONNECTION_FAILURE));
        assert!(!unavailable(&SqlState::CHECK_VIOLATION));
        assert!(!unavailable(&SqlState::FOREIGN_KEY_VIOLATION));
    }
}
