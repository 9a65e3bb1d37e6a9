//! The tus 1.0 plumbing every tus endpoint shares: the protocol headers, who is asking
//! ([`tus_request`]), the member's own upload ([`own_upload`]), the locked part file that holds
//! an unfinished upload's bytes ([`lock_part`]), and the headers naming a finished upload's item.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gawah_core::ItemId;
use gawah_core::upload::valid_upload_id;
use gawah_store::records::UploadRow;

use super::error::{UpErr, bad, internal};
use super::{CSRF_HEADER, TUS_VERSION};
use crate::ctx::{ApiMember, Ctx, Member};
use crate::error::AppError;
use crate::state::AppState;

/// How long a request waits for another request writing the same upload.
const LOCK_WAIT: Duration = Duration::from_secs(60);

pub(super) fn tus_headers(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub(super) fn tus(result: Result<Response, UpErr>) -> Response {
    tus_headers(result.unwrap_or_else(IntoResponse::into_response))
}

/// Checks `Tus-Resumable`; 412 with the supported version otherwise.
fn check_tus(headers: &HeaderMap) -> Result<(), UpErr> {
    let raw = headers.get("tus-resumable").map(HeaderValue::as_bytes);
    Ok(gawah_core::upload::check_resumable(raw)?)
}

pub(super) fn header_u64(headers: &HeaderMap, name: &str) -> Result<u64, UpErr> {
    let raw = headers.get(name).map(HeaderValue::as_bytes);
    Ok(gawah_core::upload::header_number(name, raw)?)
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
pub(super) fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, UpErr> {
    let raw = headers.get("upload-metadata").map(HeaderValue::as_bytes);
    Ok(gawah_core::upload::metadata(raw)?)
}

/// A fresh upload id: `upl_` and 128 random bits in hex.
pub(super) fn new_upload_id() -> Result<String, AppError> {
    let bytes: [u8; 16] =
        gawah_core::random::random_bytes().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("upl_{}", hex::encode(bytes)))
}

pub(super) fn part_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.part"))
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens an upload's part file and locks it, waiting up to [`LOCK_WAIT`] for another
/// request (in any process) to let go. `None` if it does not exist and `create` is false.
pub(super) fn lock_part(path: &Path, create: bool) -> Result<Option<File>, UpErr> {
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .mode(0o600)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(internal(format!("open {}: {e}", path.display()))),
    };
    if create && let Some(dir) = path.parent() {
        fsync_dir(dir).map_err(internal)?;
    }
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(UpErr::Status(
                    StatusCode::LOCKED,
                    "another request is writing this upload; try again".into(),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(internal(e)),
        }
    }
}

/// Blocking: the member's own upload, or 404 (400 for a malformed id).
pub(super) fn own_upload(s: &AppState, m: &Member, id: &str) -> Result<UploadRow, UpErr> {
    if !valid_upload_id(id) {
        return Err(bad("not an upload id"));
    }
    match s.ledger.store.upload(id)? {
        Some(mut row) if row.member == m.id && row.org == m.org => {
            // A confidential item's hash is sealed; its uploader is told it from the item.
            if let Some(d) = &mut row.done
                && d.sha256.is_none()
                && let Some(item) = s.ledger.store.item(&d.item)?
            {
                let meta = s.ledger.open_meta(&item)?;
                d.sha256 = meta.sha256.and_then(|h| h.parse().ok());
            }
            Ok(row)
        }
        _ => Err(AppError::NotFound.into()),
    }
}

/// The hex SHA-256 of a finished upload's item.
pub(super) fn done_sha(d: &gawah_store::records::UploadDone) -> String {
    d.sha256.map(|h| h.to_hex()).unwrap_or_default()
}

/// The item a finished upload became, as headers.
pub(super) fn done_headers(resp: &mut Response, item: &ItemId, sha256: &str, log_index: u64) {
    let h = resp.headers_mut();
    for (k, v) in [
        ("x-gawah-item", item.as_str().to_owned()),
        ("x-gawah-sha256", sha256.to_owned()),
        ("x-gawah-log-index", log_index.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
}

/// Runs `f` on a blocking thread, keeping [`UpErr`]s as they are.
pub(super) async fn blocking_up<T, F>(state: &Arc<AppState>, f: F) -> Result<T, UpErr>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T, UpErr> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(internal)?
}

/// A tus request checked (its `Tus-Resumable`) and taken apart, with who sent it (see
/// [`api_member`]).
pub(super) async fn tus_request(
    state: &Arc<AppState>,
    req: axum::extract::Request,
) -> Result<(Member, axum::http::request::Parts, axum::body::Body), UpErr> {
    check_tus(req.headers())?;
    let (mut parts, body) = req.into_parts();
    let m = api_member(state, &mut parts).await?;
    Ok((m, parts, body))
}

/// Who sends a tus request: a bearer token, as everywhere in the API; or, for the incident
/// page's upload script only, the page session together with that session's form token in
/// [`CSRF_HEADER`]. The cookie alone never authorises anything here: a page of another site
/// cannot set that header on a request to us without a CORS preflight, which we never grant,
/// and the session cookie is `SameSite=Strict`. A wrong token is 403, as on every form.
async fn api_member(
    state: &Arc<AppState>,
    parts: &mut axum::http::request::Parts,
) -> Result<Member, UpErr> {
    let bearer = parts.headers.contains_key(header::AUTHORIZATION);
    if let Some(token) = parts.headers.get(CSRF_HEADER).filter(|_| !bearer) {
        let token = token.to_str().unwrap_or_default().to_owned();
        let ctx = <Ctx as axum::extract::FromRequestParts<Arc<AppState>>>::from_request_parts(
            parts, state,
        )
        .await
        .map_err(UpErr::App)?;
        let m = ctx.member()?.clone();
        ctx.check_csrf(&token)?;
        return Ok(m);
    }
    let ApiMember(m) =
        <ApiMember as axum::extract::FromRequestParts<Arc<AppState>>>::from_request_parts(
            parts, state,
        )
        .await
        .map_err(UpErr::App)?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use gawah_core::upload::clean_name;

    use super::*;

    #[test]
    fn names_and_metadata() {
        assert_eq!(clean_name("C:\\photos\\a.jpg").as_deref(), Some("a.jpg"));
        let mut h = HeaderMap::new();
        h.insert(
            "upload-metadata",
            HeaderValue::from_static("filename d29ybGQucG5n,is_confidential,case Q0FTRS0x"),
        );
        assert_eq!(
            metadata(&h).unwrap(),
            vec![
                ("filename".into(), "world.png".into()),
                ("is_confidential".into(), String::new()),
                ("case".into(), "CASE-1".into())
            ]
        );
        assert!(valid_upload_id(&new_upload_id().unwrap()));
        assert!(!valid_upload_id("upl_XYZ"));
        assert!(!valid_upload_id("inc_00000000000000000000000000"));
    }

    /// The byte-level parsers in gawah-core read header values as `HeaderValue::to_str` does.
    #[test]
    fn header_text_is_what_the_header_type_calls_text() {
        for b in 0..=255u8 {
            let raw = [b'a', b, b'a'];
            if let Ok(v) = HeaderValue::from_bytes(&raw) {
                assert_eq!(
                    v.to_str().is_ok(),
                    gawah_core::upload::is_header_text(&raw),
                    "byte {b:#04x}"
                );
            }
        }
    }

    #[test]
    fn tus_errors_keep_their_statuses() {
        let mut h = HeaderMap::new();
        let status = |r: Result<(), UpErr>| r.map_err(|e| e.status());
        assert_eq!(status(check_tus(&h)), Err(StatusCode::PRECONDITION_FAILED));
        h.insert("tus-resumable", HeaderValue::from_static("1.0.0"));
        assert_eq!(status(check_tus(&h)), Ok(()));
        h.insert("upload-length", HeaderValue::from_static("x"));
        let e = header_u64(&h, "Upload-Length")
            .map(|_| ())
            .map_err(|e| e.status());
        assert_eq!(e, Err(StatusCode::BAD_REQUEST));
    }
}
