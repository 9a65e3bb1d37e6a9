//! Errors of handlers: short stable messages to clients, details in the server log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gawah_core::incident::FieldError;
use gawah_store::{LedgerError, StoreError};
use serde_json::json;

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
    /// A bug or an outage; details go to the log only.
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
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Self::NotFound,
            StoreError::Invalid(m) => Self::BadRequest(m),
            StoreError::Conflict(m) => Self::Conflict(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(s) => s.into(),
            LedgerError::Keys(gawah_store::KeyError::Shredded(_)) => Self::Gone,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
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
        resp
    }
}
