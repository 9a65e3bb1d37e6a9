//! The API for anonymous submissions, for members of the receiving organisation: the list
//! (no content), one submission opened (a logged read), and its status. The submitting side
//! is the form at `/submit` only.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use gawah_store::intake::SubmissionRow;
use serde_json::{Value, json};

use crate::ctx::ApiMember;
use crate::error::AppError;
use crate::intake::{self, OpenedPart};
use crate::state::{AppState, blocking};

fn row_json(r: &SubmissionRow) -> Value {
    json!({
        "id": r.id.as_str(),
        "status": r.status.as_str(),
        "received_on": r.created_day,
        "updated_on": r.updated_day,
        "parts": r.parts,
    })
}

fn part_json(p: &OpenedPart) -> Value {
    let b = &p.body;
    json!({
        "part": p.part,
        "received_on": p.day,
        "text": b.text,
        "when": b.when,
        "province": b.province,
        "contact": b.contact,
        "consent": b.consent.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "language": b.language,
    })
}

/// `GET /api/v1/submissions`: the organisation's submissions, newest first, without content.
pub async fn api_list(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, AppError> {
    let rows = blocking(&state, move |s| intake::list(s, &m)).await?;
    Ok(Json(
        json!({"submissions": rows.iter().map(row_json).collect::<Vec<_>>()}),
    ))
}

/// `GET /api/v1/submissions/{id}`: one submission with every part opened; the read is logged.
pub async fn api_open(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (row, parts) = blocking(&state, move |s| intake::open(s, &m, &id)).await?;
    let mut v = row_json(&row);
    v["content"] = json!(parts.iter().map(part_json).collect::<Vec<_>>());
    Ok(Json(v))
}

/// `PATCH /api/v1/submissions/{id}` with `{"status": ...}`: moves it to another status.
pub async fn api_status(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let patch: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let status = patch
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| AppError::BadRequest("status: required".into()))?
        .to_owned();
    let row = blocking(&state, move |s| intake::set_status(s, &m, &id, &status)).await?;
    Ok(Json(row_json(&row)))
}
