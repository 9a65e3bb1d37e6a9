//! The upload paths' error: an [`AppError`], or one of the few statuses only uploads answer
//! with (413, 412, 410, 423 and the tus offset conflict), and how each becomes a response.
//! The multipart, page and tus paths all report through it, so it lives apart from them.

use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gawah_core::upload::UploadError;
use gawah_store::LedgerError;
use serde_json::json;

use super::max_upload;
use crate::error::AppError;

/// An upload failure: an application error, or a status the rest of the app does not use.
#[derive(Debug)]
pub(super) enum UpErr {
    App(AppError),
    Status(StatusCode, String),
    /// tus: the offset sent is not the stored one.
    Mismatch(u64),
}

impl From<AppError> for UpErr {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<gawah_store::StoreError> for UpErr {
    fn from(e: gawah_store::StoreError) -> Self {
        Self::App(e.into())
    }
}

impl From<LedgerError> for UpErr {
    fn from(e: LedgerError) -> Self {
        Self::App(e.into())
    }
}

/// The header and field parsers' errors (gawah_core::upload): 412 for the tus version, 400
/// otherwise.
impl From<UploadError> for UpErr {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Version => UpErr::Status(StatusCode::PRECONDITION_FAILED, e.to_string()),
            e => bad(e.to_string()),
        }
    }
}

impl From<gawah_store::BlobError> for UpErr {
    fn from(e: gawah_store::BlobError) -> Self {
        // An unreachable blob store is a 503 (see crate::error), anything else a 500.
        Self::App(e.into())
    }
}

pub(super) fn internal(e: impl std::fmt::Display) -> UpErr {
    UpErr::App(AppError::Internal(e.to_string()))
}

pub(super) fn bad(msg: impl Into<String>) -> UpErr {
    UpErr::App(AppError::BadRequest(msg.into()))
}

pub(super) fn too_large() -> UpErr {
    UpErr::Status(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the upload is larger than the limit of {} bytes",
            max_upload()
        ),
    )
}

pub(super) fn multipart_err(e: &MultipartError) -> UpErr {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    bad(format!("malformed multipart body: {}", e.body_text()))
}

impl UpErr {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::App(e) => e.status(),
            Self::Status(s, _) => *s,
            Self::Mismatch(_) => StatusCode::CONFLICT,
        }
    }
}

impl IntoResponse for UpErr {
    fn into_response(self) -> Response {
        match self {
            Self::App(e) => e.into_response(),
            Self::Status(s, m) => (s, Json(json!({"error": m}))).into_response(),
            Self::Mismatch(at) => (
                StatusCode::CONFLICT,
                [("upload-offset", at.to_string())],
                Json(json!({"error": format!("the upload is at offset {at}")})),
            )
                .into_response(),
        }
    }
}

/// Inside [`blocking`](crate::state::blocking), every error is an [`AppError`]; statuses it
/// lacks become messages.
pub(super) fn up_to_app(e: UpErr) -> AppError {
    match e {
        UpErr::App(a) => a,
        UpErr::Status(StatusCode::LOCKED, m) => AppError::Conflict(m),
        UpErr::Status(_, m) => AppError::BadRequest(m),
        UpErr::Mismatch(at) => AppError::Conflict(format!("the upload is at offset {at}")),
    }
}
