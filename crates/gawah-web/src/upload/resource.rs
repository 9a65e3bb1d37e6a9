//! The tus upload as a resource: discovery (`OPTIONS`), creation (`POST`), its offset
//! (`HEAD`), its JSON status (`GET`) and termination (`DELETE`). Appending is in `patch`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gawah_core::IncidentId;
use gawah_core::upload::UploadFields;
use gawah_store::records::{NewUpload, UploadRow};
use gawah_store::{ItemMeta, LedgerError, Vault};
use serde_json::json;

use super::error::{UpErr, bad, too_large, up_to_app};
use super::patch::finalize;
use super::placement::{can_upload, own_incident};
use super::tus::{
    blocking_up, done_headers, done_sha, header_u64, lock_part, metadata, new_upload_id,
    own_upload, part_path, tus, tus_headers, tus_request,
};
use super::{TUS_EXTENSIONS, TUS_VERSION, max_upload};
use crate::ctx::{ApiMember, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// `OPTIONS /api/v1/uploads`: what this server speaks.
pub(super) async fn tus_options() -> Response {
    tus_headers(
        (
            StatusCode::NO_CONTENT,
            [
                ("tus-version", TUS_VERSION.to_owned()),
                ("tus-extension", TUS_EXTENSIONS.to_owned()),
                ("tus-max-size", max_upload().to_string()),
            ],
        )
            .into_response(),
    )
}

/// `POST /api/v1/uploads`: creates an upload.
pub(super) async fn tus_create(State(state): State<Arc<AppState>>, req: Request) -> Response {
    tus(tus_create_inner(state, req).await)
}

async fn tus_create_inner(state: Arc<AppState>, req: Request) -> Result<Response, UpErr> {
    let (m, parts, _) = tus_request(&state, req).await?;
    can_upload(&m)?;
    if parts.headers.contains_key("upload-defer-length") {
        return Err(bad(
            "Upload-Defer-Length is not supported; send Upload-Length",
        ));
    }
    let length = header_u64(&parts.headers, "Upload-Length")?;
    if length > max_upload() {
        return Err(too_large());
    }
    let UploadFields {
        file_name,
        case_ref,
        incident,
        confidential,
    } = UploadFields::from_metadata(&metadata(&parts.headers)?)?;
    let id = new_upload_id()?;
    let member = m.clone();
    let upload_id = id.clone();
    let done = blocking(&state, move |s| {
        let incident = incident.map(|i| own_incident(s, &member, &i)).transpose()?;
        let now = s.ledger.clock().now();
        // The upload's own key seals its name now and encrypts its partial file as it comes.
        let key = s
            .ledger
            .vault()?
            .record_key(member.org.as_str(), &upload_id, 1)
            .map_err(LedgerError::from)?;
        let meta = ItemMeta {
            file_name,
            ..ItemMeta::default()
        };
        let sealed = Vault::seal_json(&key.key, "uploads", "sealed", &upload_id, &meta)
            .map_err(LedgerError::from)?;
        s.ledger.store.upload_create(&NewUpload {
            id: upload_id.clone(),
            org: member.org.clone(),
            member: member.id.clone(),
            length,
            file_name: None,
            case_ref,
            incident,
            confidential,
            created_at: now,
            sealed: Some(sealed),
            data_key: key.new,
        })?;
        let dir = s.ledger.store.uploads_dir()?;
        let path = part_path(&dir, &upload_id);
        let Some(mut file) = lock_part(&path, true).map_err(up_to_app)? else {
            return Err(AppError::Internal(
                "could not create the partial file".into(),
            ));
        };
        if length > 0 {
            return Ok(None);
        }
        // Nothing to send: the (empty) item is recorded now.
        let row = s
            .ledger
            .store
            .upload(&upload_id)?
            .ok_or(AppError::NotFound)?;
        finalize(s, &row, &member, &mut file)
            .map(Some)
            .map_err(up_to_app)
    })
    .await?;
    let mut resp = (
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/api/v1/uploads/{id}")),
            (header::HeaderName::from_static("upload-offset"), "0".into()),
        ],
    )
        .into_response();
    if let Some(item) = done {
        done_headers(&mut resp, &item.item, &item.sha256.to_hex(), item.log_index);
    }
    Ok(resp)
}

/// Blocking: the upload after any request writing it has finished, with a stale part file
/// of a finished upload removed.
///
/// An upload complete but not yet recorded (the server stopped between its last
/// acknowledgement and the item's commit) is recorded now: a client that sees the offset at
/// the length considers the upload finished and sends nothing more.
fn settled(s: &AppState, m: &Member, id: &str) -> Result<UploadRow, UpErr> {
    let row = own_upload(s, m, id)?;
    let path = part_path(&s.ledger.store.uploads_dir()?, id);
    if row.done.is_some() {
        let _ = std::fs::remove_file(path);
        return Ok(row);
    }
    let Some(mut file) = lock_part(&path, false)? else {
        return own_upload(s, m, id);
    };
    let row = own_upload(s, m, id)?;
    if row.done.is_none() && row.offset == row.length {
        finalize(s, &row, m, &mut file)?;
        return own_upload(s, m, id);
    }
    Ok(row)
}

/// `HEAD /api/v1/uploads/{id}`: the acknowledged offset.
pub(super) async fn tus_head(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    tus(async {
        let (m, ..) = tus_request(&state, req).await?;
        let row = blocking_up(&state, move |s| settled(s, &m, &id)).await?;
        let mut resp = (
            StatusCode::OK,
            [
                ("upload-offset", row.offset.to_string()),
                ("upload-length", row.length.to_string()),
            ],
        )
            .into_response();
        if let Some(d) = &row.done {
            done_headers(&mut resp, &d.item, &done_sha(d), d.log_index);
        }
        Ok(resp)
    }
    .await)
}

/// `GET /api/v1/uploads/{id}`: the upload as JSON, with its item once finished.
pub(super) async fn upload_status(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let result = blocking_up(&state, move |s| settled(s, &m, &id)).await;
    match result {
        Ok(row) => {
            let mut v = json!({
                "id": row.id,
                "offset": row.offset,
                "length": row.length,
                "file_name": row.file_name,
                "case": row.case_ref,
                "incident": row.incident.as_ref().map(IncidentId::as_str),
                "confidential": row.confidential,
                "created_at": row.created_at.to_rfc3339(),
                "done": row.done.is_some(),
            });
            if let Some(d) = &row.done {
                v["item"] = json!(d.item.as_str());
                v["sha256"] = json!(done_sha(d));
                v["bytes"] = json!(d.bytes);
                v["log_index"] = json!(d.log_index);
            }
            Json(v).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `DELETE /api/v1/uploads/{id}`: terminates an upload (a finished upload's item stays).
pub(super) async fn tus_delete(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    tus(async {
        let (m, ..) = tus_request(&state, req).await?;
        blocking_up(&state, move |s| {
            own_upload(s, &m, &id)?;
            let path = part_path(&s.ledger.store.uploads_dir()?, &id);
            let lock = lock_part(&path, false)?;
            s.ledger.store.upload_delete(&id)?;
            if lock.is_some() {
                let _ = std::fs::remove_file(&path);
            }
            Ok(())
        })
        .await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }
    .await)
}
