//! Erasure by crypto-shredding (two admins: one asks, another approves) and the access
//! report (who read what). Admins only, of their own organisation.
//!
//! An approved erasure destroys the record's data key in the transaction that logs the
//! approval: its sealed fields and every sealed version can no longer be opened by anyone,
//! while the log, which holds only commitments, and every other record still verify.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gawah_core::vocab::Role;
use gawah_core::{Action, ErasureId, LogEntry};
use gawah_store::records::{ErasureApproveWrite, ErasureRequestWrite};
use gawah_store::{Change, CustodyEvent, RecordWrite};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::{ApiMember, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

fn admin(m: &Member) -> Result<(), AppError> {
    if m.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn commit_one(s: &AppState, record: RecordWrite, entry: LogEntry) -> Result<u64, AppError> {
    s.ledger
        .commit(&[Change { record, entry }])?
        .first()
        .copied()
        .ok_or_else(|| AppError::Internal("commit returned no index".into()))
}

/// One admin asks to erase `record` (a person or testimony of the organisation).
pub fn request(s: &AppState, m: &Member, record: &str) -> Result<(ErasureId, u64), AppError> {
    admin(m)?;
    let id = ErasureId::random().map_err(|e| AppError::Internal(e.to_string()))?;
    let entry = LogEntry::new(
        s.ledger.clock().now(),
        m.id.as_str(),
        Action::Disposition,
        record,
    )
    .with_field("org", m.org.as_str())
    .with_field("erasure", id.as_str())
    .with_field("step", "requested");
    let write = RecordWrite::ErasureRequest(ErasureRequestWrite {
        id: id.clone(),
        org: m.org.clone(),
        record: record.to_owned(),
        requested_by: m.id.clone(),
    });
    let idx = commit_one(s, write, entry)?;
    Ok((id, idx))
}

/// A second admin approves: the record is erased. Returns the record and the log index.
pub fn approve(s: &AppState, m: &Member, id: &str) -> Result<(String, u64), AppError> {
    admin(m)?;
    let id: ErasureId = id.parse().map_err(|_| AppError::NotFound)?;
    let row = s
        .ledger
        .store
        .erasures(&m.org)?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    let entry = LogEntry::new(
        s.ledger.clock().now(),
        m.id.as_str(),
        Action::Disposition,
        &row.record,
    )
    .with_field("org", m.org.as_str())
    .with_field("erasure", id.as_str())
    .with_field("step", "approved");
    let write = RecordWrite::ErasureApprove(ErasureApproveWrite {
        id,
        org: m.org.clone(),
        approved_by: m.id.clone(),
    });
    let idx = commit_one(s, write, entry)?;
    Ok((row.record, idx))
}

fn event_json(c: &CustodyEvent) -> Value {
    json!({
        "log_index": c.log_index,
        "subject": c.subject,
        "action": c.action,
        "actor": c.actor,
        "time": c.time.to_rfc3339(),
    })
}

/// Which report.
#[derive(Debug, Deserialize)]
pub struct AccessQuery {
    /// Every custody event of this record.
    pub record: Option<String>,
    /// Every custody event by this member (id) of the organisation.
    pub member: Option<String>,
}

/// The access report: the custody events of a record, or by a member of the organisation.
pub fn access(s: &AppState, m: &Member, q: &AccessQuery) -> Result<Value, AppError> {
    let (reads, events) = access_events(s, m, q)?;
    Ok(json!({
        "reads": reads,
        "events": events.iter().map(event_json).collect::<Vec<_>>(),
    }))
}

/// The events of the access report and how many of them are reads (views and exports).
pub fn access_events(
    s: &AppState,
    m: &Member,
    q: &AccessQuery,
) -> Result<(usize, Vec<CustodyEvent>), AppError> {
    admin(m)?;
    let events = match (&q.record, &q.member) {
        (Some(record), None) => {
            let events = s.ledger.store.custody(record)?;
            // Only records of the admin's own organisation: every event of one carries it.
            let own = events.first().is_some_and(|_| {
                s.ledger
                    .store
                    .entry(events[0].log_index)
                    .ok()
                    .and_then(|b| gawah_core::LogEntry::parse(&b).ok())
                    .and_then(|e| e.extra.get("org").cloned())
                    .is_some_and(|o| o == m.org.as_str())
            });
            if !own {
                return Err(AppError::NotFound);
            }
            events
        }
        (None, Some(member)) => {
            let mid = member.parse().map_err(|_| AppError::NotFound)?;
            let row = s.ledger.store.member(&mid)?.ok_or(AppError::NotFound)?;
            if row.org != m.org {
                return Err(AppError::NotFound);
            }
            s.ledger.store.custody_by_actor(member, 10_000)?
        }
        _ => {
            return Err(AppError::BadRequest(
                "give exactly one of record and member".into(),
            ));
        }
    };
    let reads = events
        .iter()
        .filter(|e| matches!(e.action.as_str(), "view" | "export"))
        .count();
    Ok((reads, events))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    record: String,
}

/// `POST /api/v1/erasures`.
pub async fn api_request(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let body: RequestBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let (id, idx) = blocking(&state, move |s| request(s, &m, &body.record)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id.as_str(), "log_index": idx})),
    )
        .into_response())
}

/// `GET /api/v1/erasures`.
pub async fn api_list(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, AppError> {
    let v = blocking(&state, move |s| {
        admin(&m)?;
        let rows = s.ledger.store.erasures(&m.org)?;
        Ok(json!({"erasures": rows.iter().map(|r| json!({
            "id": r.id.as_str(), "record": r.record, "requested_by": r.requested_by.as_str(),
            "request_index": r.request_index,
            "approved_by": r.approved_by.as_ref().map(|a| a.as_str()),
            "approve_index": r.approve_index,
        })).collect::<Vec<_>>()}))
    })
    .await?;
    Ok(Json(v))
}

/// `POST /api/v1/erasures/{id}/approve`.
pub async fn api_approve(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (record, idx) = blocking(&state, move |s| approve(s, &m, &id)).await?;
    Ok(Json(
        json!({"record": record, "erased": true, "log_index": idx}),
    ))
}

/// `GET /api/v1/access`.
pub async fn api_access(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Query(q): Query<AccessQuery>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(blocking(&state, move |s| access(s, &m, &q)).await?))
}
