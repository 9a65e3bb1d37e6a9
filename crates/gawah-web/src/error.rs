//! Errors of handlers: short stable messages to clients, details in the server log.
//!
//! A backend that is down or busy for now (the database restarting, the blob store
//! unreachable, a lock held too long) is a 503 with `Retry-After`, never a 500: nothing was
//! acknowledged and the same request may succeed shortly, on this server or another one
//! behind the same load balancer. A full disk (the database's, the blob folder's or the
//! upload spool's) is a 507 Insufficient Storage naming the cause, without `Retry-After`:
//! nothing was saved, and the request can succeed only once an operator has freed space.
//! Every other store failure stays a 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gawah_core::incident::FieldError;
use gawah_store::{BlobError, KeyError, LedgerError, StoreError};
use serde_json::json;

/// Seconds a client is asked to wait before trying a 503 again: a database restart or a
/// blob store coming back takes seconds, and a load balancer may send the retry elsewhere.
pub const RETRY_AFTER_SECS: u32 = 2;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No or bad credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, not allowed.
    #[error("forbidden")]
    Forbidden,
    /// Unknown, or not yours.
    #[error("not found")]
    NotFound,
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Fields failed validation.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// Changed by someone else meanwhile.
    #[error("{0}")]
    Conflict(String),
    /// The record was erased (crypto-shredded).
    #[error("erased: this record's confidential data was destroyed")]
    Gone,
    /// Too many attempts.
    #[error("too many attempts; wait a minute and try again")]
    TooMany,
    /// A backend is unreachable or busy for now; nothing was acknowledged and the same
    /// request may succeed later. `what` names the backend for the client; `detail` (the
    /// backend's own error) goes to the log only.
    #[error("{what} is temporarily unavailable; try again shortly")]
    Unavailable {
        /// The backend, as a client may read it ("the database", "file storage").
        what: &'static str,
        /// The underlying error, for the log.
        detail: String,
    },
    /// The disk the request had to write to is full; nothing of the request was saved.
    /// `detail` (which file system, which file) goes to the log only.
    #[error(
        "the server's storage is full; nothing was saved. Ask an administrator to free space, then try again"
    )]
    StorageFull {
        /// The underlying error, for the log.
        detail: String,
    },
    /// A bug or a failure that will repeat; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone => StatusCode::GONE,
            Self::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::StorageFull { .. } => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A failed write to a local file: [`AppError::StorageFull`] when the disk is full,
    /// else [`AppError::Internal`]. `context` says what was being written, for the log.
    pub fn io(context: impl std::fmt::Display, e: std::io::Error) -> Self {
        let detail = format!("{context}: {e}");
        if gawah_store::blob::is_storage_full(&e) {
            Self::StorageFull { detail }
        } else {
            Self::Internal(detail)
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Self::NotFound,
            StoreError::Invalid(m) => Self::BadRequest(m),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Full(detail) => Self::StorageFull { detail },
            other if other.is_retryable() => Self::Unavailable {
                what: "the database",
                detail: other.to_string(),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        if e.is_storage_full() {
            Self::StorageFull {
                detail: e.to_string(),
            }
        } else if e.is_retryable() {
            Self::Unavailable {
                what: "file storage",
                detail: e.to_string(),
            }
        } else {
            Self::Internal(e.to_string())
        }
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(s) | LedgerError::Keys(KeyError::Store(s)) => s.into(),
            LedgerError::Blob(b) => b.into(),
            LedgerError::Keys(KeyError::Shredded(_)) => Self::Gone,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(detail) => tracing::error!(%detail, "internal error"),
            Self::Unavailable { detail, .. } => {
                tracing::warn!(%detail, "a backend is unavailable; answered 503")
            }
            Self::StorageFull { detail } => {
                tracing::error!(%detail, "storage is full; answered 507 until space is freed")
            }
            _ => {}
        }
        let mut body = json!({"error": self.to_string()});
        if let Self::Invalid(fields) = &self {
            body["fields"] = json!(fields);
            if let Some(first) = fields.first() {
                body["error"] = json!(format!("{}: {}", first.field, first.message));
            }
        }
        let mut resp = (self.status(), Json(body)).into_response();
        if matches!(self, Self::Unauthenticated) {
            resp.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if matches!(self, Self::Unavailable { .. }) {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECS),
            );
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(e: AppError) -> (StatusCode, Option<String>) {
        let resp = e.into_response();
        let retry = resp
            .headers()
            .get(axum::http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (resp.status(), retry)
    }

    #[test]
    fn an_unreachable_or_busy_backend_is_503_with_retry_after() {
        let retry = Some(RETRY_AFTER_SECS.to_string());
        let down = StoreError::Unavailable("connection refused".into());
        assert_eq!(
            answer(down.into()),
            (StatusCode::SERVICE_UNAVAILABLE, retry.clone())
        );
        assert_eq!(
            answer(StoreError::Busy.into()),
            (StatusCode::SERVICE_UNAVAILABLE, retry.clone())
        );
        let blob = BlobError::Unavailable {
            context: "upload s3://b/k".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        let through_ledger = AppError::from(LedgerError::Blob(blob));
        assert_eq!(
            through_ledger.to_string(),
            "file storage is temporarily unavailable; try again shortly"
        );
        assert_eq!(
            answer(through_ledger),
            (StatusCode::SERVICE_UNAVAILABLE, retry)
        );
    }

    #[test]
    fn a_full_disk_is_507_naming_the_cause_without_retry_after() {
        let db = StoreError::Full("database or disk is full".into());
        assert_eq!(answer(db.into()), (StatusCode::INSUFFICIENT_STORAGE, None));
        let blob = BlobError::Io {
            context: "write blobs/tmp/1-ab".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        let through_ledger = AppError::from(LedgerError::Blob(blob));
        assert!(through_ledger.to_string().contains("storage is full"));
        assert_eq!(
            answer(through_ledger),
            (StatusCode::INSUFFICIENT_STORAGE, None)
        );
        let quota = std::io::Error::from(std::io::ErrorKind::QuotaExceeded);
        assert_eq!(
            AppError::io("writing the upload", quota).status(),
            StatusCode::INSUFFICIENT_STORAGE
        );
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            AppError::io("writing the upload", other).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn a_failure_that_will_repeat_stays_500_without_retry_after() {
        let broken = StoreError::Database("syntax error".into());
        assert_eq!(
            answer(broken.into()),
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        );
        let refused = BlobError::Config("missing AWS_ACCESS_KEY_ID".into());
        assert_eq!(
            answer(refused.into()),
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        );
    }
}
