//! The JSON API under `/api/v1`. Bearer tokens only; the route table here also generates the
//! OpenAPI document, so a route cannot exist undocumented.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use gawah_core::incident::IncidentInput;
use gawah_store::records::{IncidentListRow, IncidentQuery, IncidentRow};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::{ApiMember, BearerToken};
use crate::disposition;
use crate::error::AppError;
use crate::openapi::{self, RouteDoc};
use crate::records;
use crate::state::{AppState, blocking, reading};
use crate::testimonies;
use crate::upload;

/// Largest page of a list.
const MAX_LIMIT: u64 = 500;

fn incident_json(r: &IncidentRow) -> Value {
    let mut v = serde_json::to_value(&r.incident).unwrap_or_else(|_| json!({}));
    v["id"] = json!(r.id.as_str());
    v["version"] = json!(r.version);
    v["created_at"] = json!(r.created_at.to_rfc3339());
    v["updated_at"] = json!(r.updated_at.to_rfc3339());
    v
}

/// One listed incident written into `out` as [`incident_json`] gives it (the same members and
/// values; members in another order), without parsing the stored object: the stored content
/// is already the JSON object of the incident's fields, so the four row members are written
/// first and the stored members after them.
fn list_item_json(r: &IncidentListRow, out: &mut String) -> Result<(), AppError> {
    use std::fmt::Write as _;
    let members = r
        .content
        .as_deref()
        .map(str::trim)
        .and_then(|c| c.strip_prefix('{'))
        .and_then(|c| c.strip_suffix('}'))
        .ok_or_else(|| {
            AppError::Internal(format!(
                "incident {}: stored content missing or not an object",
                r.id
            ))
        })?;
    // Ids are base32 and the times RFC 3339: nothing in them needs escaping in JSON.
    let _ = write!(
        out,
        r#"{{"id":"{}","version":{},"created_at":"{}","updated_at":"{}""#,
        r.id.as_str(),
        r.version,
        r.created_at.to_rfc3339(),
        r.updated_at.to_rfc3339()
    );
    if !members.trim().is_empty() {
        out.push(',');
        out.push_str(members);
    }
    out.push('}');
    Ok(())
}

/// The API list answer, `{"total":N,"items":[...]}`, written as text in one buffer.
fn list_json(rows: &[IncidentListRow], total: u64) -> Result<String, AppError> {
    let room = rows
        .iter()
        .map(|r| r.content.as_ref().map_or(0, String::len) + 160)
        .sum::<usize>()
        + 40;
    let mut out = String::with_capacity(room);
    out.push_str(r#"{"total":"#);
    out.push_str(&total.to_string());
    out.push_str(r#","items":["#);
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        list_item_json(r, &mut out)?;
    }
    out.push_str("]}");
    Ok(out)
}

async fn edicts(State(state): State<Arc<AppState>>) -> Result<Json<Value>, AppError> {
    let all = blocking(&state, |s| Ok(s.ledger.store.edicts()?)).await?;
    Ok(Json(json!({"edicts": all})))
}

#[derive(Deserialize)]
struct ListParams {
    province: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

async fn list_incidents(
    BearerToken(token): BearerToken,
    State(state): State<Arc<AppState>>,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    let q = IncidentQuery {
        province: p.province,
        offset: p.offset.unwrap_or(0),
        limit: p.limit.unwrap_or(50).min(MAX_LIMIT),
        content: true,
    };
    // The token is looked up in the same store turn as the page (the hottest API route).
    let body = reading(&state, move |s| {
        let m = token.member(s)?;
        let (rows, total) = s.ledger.store.incidents(&m.org, &q)?;
        list_json(&rows, total)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn create_incident(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let input: IncidentInput = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let (id, log_index) = blocking(&state, move |s| records::create(s, &m, &input)).await?;
    Ok((
        StatusCode::CREATED,
        [("location", format!("/api/v1/incidents/{id}"))],
        Json(json!({"id": id.as_str(), "log_index": log_index})),
    )
        .into_response())
}

async fn get_incident(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let row = blocking(&state, move |s| records::read_revealed(s, &m, &id)).await?;
    Ok(Json(incident_json(&row)))
}

async fn patch_incident(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let patch: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let expected = patch.get("version").and_then(Value::as_u64);
    let mut fields = patch.clone();
    if let Value::Object(o) = &mut fields {
        o.remove("version");
    }
    let row = blocking(&state, move |s| {
        let mut row = records::read(s, &m, &id)?;
        if !m.role.can_write_records() {
            return Err(AppError::Forbidden);
        }
        row.incident = records::open_quiet(s, &row)?;
        let input = records::patched(&row, &fields)?;
        records::update(s, &m, &id, &input, expected)?;
        records::read_revealed(s, &m, &id)
    })
    .await?;
    Ok(Json(incident_json(&row)))
}

async fn openapi_json() -> Json<Value> {
    Json(openapi::document(&routes().1))
}

fn add(
    router: Router<Arc<AppState>>,
    docs: &mut Vec<RouteDoc>,
    path: &'static str,
    method: MethodRouter<Arc<AppState>>,
    doc: &[RouteDoc],
) -> Router<Arc<AppState>> {
    docs.extend(doc.iter().cloned().map(|d| RouteDoc { path, ..d }));
    router.route(path, method)
}

/// The API router and the documentation of every route in it.
pub fn routes() -> (Router<Arc<AppState>>, Vec<RouteDoc>) {
    let mut docs = Vec::new();
    let r = Router::new();
    let r = add(
        r,
        &mut docs,
        "/api/v1/edicts",
        get(edicts),
        &[openapi::EDICTS_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/incidents",
        get(list_incidents).post(create_incident),
        &[openapi::INCIDENTS_GET, openapi::INCIDENTS_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/incidents/{id}",
        get(get_incident).patch(patch_incident),
        &[openapi::INCIDENT_GET, openapi::INCIDENT_PATCH],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/incidents/{id}/testimonies",
        get(testimonies::api_incident_testimonies).post(testimonies::api_create_testimony),
        &[openapi::TESTIMONIES_GET, openapi::TESTIMONIES_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/testimonies/{id}",
        get(testimonies::api_testimony),
        &[openapi::TESTIMONY_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/incidents/{id}/acts",
        get(testimonies::api_incident_acts).post(testimonies::api_create_act),
        &[openapi::ACTS_GET, openapi::ACTS_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/people",
        axum::routing::post(testimonies::api_create_person),
        &[openapi::PEOPLE_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/people/{id}",
        get(testimonies::api_person),
        &[openapi::PERSON_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/erasures",
        get(disposition::api_list).post(disposition::api_request),
        &[openapi::ERASURES_GET, openapi::ERASURES_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/erasures/{id}/approve",
        axum::routing::post(disposition::api_approve),
        &[openapi::ERASURE_APPROVE],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/access",
        get(disposition::api_access),
        &[openapi::ACCESS_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/evidence",
        upload::evidence_route(),
        &[openapi::EVIDENCE_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/evidence/{id}/file",
        crate::evidence::api_file_route(),
        &[openapi::EVIDENCE_FILE_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/evidence/{id}/redactions",
        crate::redact::api_route(),
        &[openapi::REDACTIONS_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/uploads",
        upload::uploads_route(),
        &[openapi::UPLOADS_OPTIONS, openapi::UPLOADS_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/uploads/{id}",
        upload::upload_route(),
        &[
            openapi::UPLOAD_GET,
            openapi::UPLOAD_HEAD,
            openapi::UPLOAD_PATCH,
            openapi::UPLOAD_DELETE,
        ],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/submissions",
        get(crate::intake_api::api_list),
        &[openapi::SUBMISSIONS_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/submissions/{id}",
        get(crate::intake_api::api_open).patch(crate::intake_api::api_status),
        &[openapi::SUBMISSION_GET, openapi::SUBMISSION_PATCH],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/search",
        get(crate::search::api_search),
        &[openapi::SEARCH_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/incidents/{id}/duplicates",
        get(crate::search::api_duplicates),
        &[openapi::DUPLICATES_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/incidents/{id}/links",
        axum::routing::post(crate::search::api_link),
        &[openapi::LINKS_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/vocabularies",
        get(crate::vocab::api_list),
        &[openapi::VOCABULARIES_GET],
    );
    let r = add(
        r,
        &mut docs,
        "/api/v1/vocabularies/{vocab}",
        axum::routing::post(crate::vocab::api_save),
        &[openapi::VOCABULARY_POST],
    );
    let r = add(
        r,
        &mut docs,
        "/api/openapi.json",
        get(openapi_json),
        &[openapi::OPENAPI_GET],
    );
    (r, docs)
}
