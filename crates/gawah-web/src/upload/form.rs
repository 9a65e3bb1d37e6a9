//! The multipart paths: `POST /api/v1/evidence` and the incident page's plain form
//! (`POST /incidents/{id}/evidence`). Each reads the form field by field, streams the file into
//! a blob as it arrives, then records it as an item.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Field, Multipart};
use axum::extract::{FromRequest, Path as UrlPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gawah_core::IncidentId;
use gawah_core::upload::{FormField, TextField, clean_case, clean_name, truthy};
use gawah_store::IngestedItem;
use serde_json::json;

use super::error::{UpErr, bad, multipart_err, too_large};
use super::placement::{Placement, StagedBlob, can_upload, content_length, own_incident, record};
use super::sink::BlockSink;
use super::{IDLE, max_upload};
use crate::ctx::{ApiMember, Ctx, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// Streams one multipart field into a new blob, a block at a time (see [`BlockSink`]).
async fn stream_field(
    state: &Arc<AppState>,
    org: &str,
    field: &mut Field<'_>,
) -> Result<StagedBlob, UpErr> {
    let max = max_upload();
    let org = org.to_owned();
    let writer = blocking(state, move |s| {
        s.ledger.create_sealed(&org).map_err(AppError::from)
    })
    .await?;
    let mut sink = BlockSink::new(writer);
    let mut bytes = 0u64;
    loop {
        match tokio::time::timeout(IDLE, field.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                bytes += chunk.len() as u64;
                if bytes > max {
                    // Dropping the sink drops the unfinished blob, which removes it.
                    return Err(too_large());
                }
                sink.push(&chunk).await?;
            }
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(multipart_err(&e)),
            Err(_) => return Err(bad("the upload stalled")),
        }
    }
    Ok(StagedBlob {
        writer: sink.finish().await?,
    })
}

/// Reads a small text field.
async fn text_field(field: &mut Field<'_>, name: &str) -> Result<String, UpErr> {
    let mut text = TextField::default();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_err(&e))? {
        text.push(name, &chunk)?;
    }
    Ok(text.finish(name)?)
}

/// A read multipart form: the file staged, the other fields checked.
struct EvidenceForm {
    blob: Option<StagedBlob>,
    file_name: Option<String>,
    case_ref: Option<String>,
    incident: Option<IncidentId>,
    confidential: bool,
}

/// Reads an evidence form. With `csrf`, its `csrf` field must match and come before the file
/// (a browser sends fields in form order). With `fixed`, the incident comes from the URL.
async fn read_form(
    state: &Arc<AppState>,
    mut form: Multipart,
    m: &Member,
    csrf: Option<&Ctx>,
    fixed: Option<IncidentId>,
) -> Result<EvidenceForm, UpErr> {
    let mut out = EvidenceForm {
        blob: None,
        file_name: None,
        case_ref: None,
        incident: fixed.clone(),
        confidential: false,
    };
    let mut csrf_ok = csrf.is_none();
    while let Some(mut field) = form.next_field().await.map_err(|e| multipart_err(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        match FormField::of(&name, fixed.is_some()) {
            FormField::File => {
                if out.blob.is_some() {
                    return Err(bad("file: send one file per upload"));
                }
                if !csrf_ok {
                    return Err(AppError::Forbidden.into());
                }
                let file_name = field.file_name().and_then(clean_name);
                let staged = stream_field(state, m.org.as_str(), &mut field).await?;
                // A browser sends an empty part without a name when no file was chosen.
                if file_name.is_none() && staged.writer.written() == 0 {
                    continue;
                }
                out.file_name = file_name;
                out.blob = Some(staged);
            }
            FormField::Case => out.case_ref = clean_case(&text_field(&mut field, "case").await?)?,
            FormField::Incident => {
                let id = text_field(&mut field, "incident").await?;
                if !id.trim().is_empty() {
                    let member = m.clone();
                    out.incident =
                        Some(blocking(state, move |s| own_incident(s, &member, &id)).await?);
                }
            }
            FormField::Confidential => {
                out.confidential = truthy(&text_field(&mut field, &name).await?)
            }
            FormField::Csrf => {
                let token = text_field(&mut field, "csrf").await?;
                if let Some(ctx) = csrf {
                    ctx.check_csrf(&token)?;
                    csrf_ok = true;
                }
            }
            FormField::Other => {
                // Unknown fields are read and ignored, within the text limit.
                text_field(&mut field, &name).await?;
            }
        }
    }
    Ok(out)
}

/// Records a read form's file as an item of `m`.
async fn commit_form(
    state: &Arc<AppState>,
    m: &Member,
    form: EvidenceForm,
) -> Result<IngestedItem, UpErr> {
    let blob = form.blob.ok_or_else(|| bad("missing field: file"))?;
    let placement = Placement {
        member: m.clone(),
        incident: form.incident,
        case_ref: form.case_ref,
        file_name: form.file_name,
        confidential: form.confidential,
        upload: None,
    };
    Ok(blocking(state, move |s| record(s, blob.writer, placement)).await?)
}

fn check_declared_size(headers: &HeaderMap) -> Result<(), UpErr> {
    // The multipart framing adds a little; anything declared beyond that is refused unread.
    match content_length(headers) {
        Some(n) if n > max_upload().saturating_add(1 << 20) => Err(too_large()),
        _ => Ok(()),
    }
}

async fn multipart_of(state: &Arc<AppState>, req: Request) -> Result<Multipart, UpErr> {
    Multipart::from_request(req, state).await.map_err(|_| {
        bad("the body must be multipart/form-data with a `file` field (and optional `case`, `incident`, `confidential`)")
    })
}

/// `POST /api/v1/evidence`.
pub(super) async fn post_evidence(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    req: Request,
) -> Response {
    let result = async {
        can_upload(&m)?;
        check_declared_size(req.headers())?;
        let form = multipart_of(&state, req).await?;
        let form = read_form(&state, form, &m, None, None).await?;
        commit_form(&state, &m, form).await
    }
    .await;
    match result {
        Ok(item) => (StatusCode::CREATED, Json(item_json(&item))).into_response(),
        Err(e) => e.into_response(),
    }
}

fn item_json(item: &IngestedItem) -> serde_json::Value {
    json!({
        "item": item.item.as_str(),
        "sha256": item.sha256.to_hex(),
        "bytes": item.bytes,
        "log_index": item.log_index,
    })
}

/// `POST /incidents/{id}/evidence`: the incident page's form; redirects back to the page.
pub(super) async fn post_page_evidence(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    let result = async {
        let m = ctx.member()?.clone();
        can_upload(&m)?;
        let member = m.clone();
        let incident = blocking(&state, move |s| own_incident(s, &member, &id)).await?;
        check_declared_size(req.headers())?;
        let form = multipart_of(&state, req).await?;
        let form = read_form(&state, form, &m, Some(&ctx), Some(incident.clone())).await?;
        commit_form(&state, &m, form).await?;
        Ok::<_, UpErr>(incident)
    }
    .await;
    match result {
        Ok(incident) => Redirect::to(&format!("/incidents/{incident}#evidence")).into_response(),
        Err(e) => {
            let status = e.status();
            let app = match e {
                UpErr::App(a) => a,
                UpErr::Status(_, m) => AppError::BadRequest(m),
                UpErr::Mismatch(_) => AppError::Conflict(String::new()),
            };
            let mut resp = crate::pages::error_page(&ctx, &app);
            *resp.status_mut() = status;
            resp
        }
    }
}
