//! Downloading an evidence item's original: `GET /evidence/{id}/file` for pages (session) and
//! `GET /api/v1/evidence/{id}/file` for the API (bearer token).
//!
//! A download is a read of the content: only roles that may read confidential data may do it,
//! and it is a `view` custody event (part `file`) committed before the first byte is sent.
//! Only items owned by the member's organisation (uploaded or derived by its members) can be
//! downloaded; another organisation's item, or one ingested by the CLI, is "not found".
//!
//! The response can never run as a page of this site: `Content-Disposition: attachment`,
//! `Content-Type: application/octet-stream`, `X-Content-Type-Options: nosniff` and a
//! `Content-Security-Policy: sandbox` (an HTML, SVG or polyglot upload opened anyway gets an
//! opaque origin, no script). `?view=image` asks for a PNG or JPEG to be shown inline, as the
//! redaction page does: it is then typed by its first bytes (`image/png`, `image/jpeg`) and
//! still sandboxed; anything else is served as an attachment all the same.
//!
//! The content streams in constant memory: the response body reads it from the ledger (opening
//! sealed blobs chunk by chunk) one chunk ahead of the client, each read on a blocking thread
//! that is given back as soon as the chunk is read, so no thread waits for a slow client.

use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use gawah_core::ItemId;
use gawah_store::records::OwnedItem;
use http_body::Frame;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::ctx::{ApiMember, Ctx, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// Bytes per chunk sent.
const CHUNK: usize = 256 << 10;
/// The policy of a download, beside the site's own: a sandbox, nothing loaded.
pub(crate) const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";

/// Blocking: an item of the member's organisation, or 404 (also for a malformed id).
pub(crate) fn owned_item(s: &AppState, m: &Member, id: &str) -> Result<OwnedItem, AppError> {
    let id: ItemId = id.trim().parse().map_err(|_| AppError::NotFound)?;
    s.ledger
        .store
        .owned_item(&m.org, &id)?
        .ok_or(AppError::NotFound)
}

/// An opened download: its name, how to type it, and its content.
struct Download {
    file_name: String,
    image: Option<&'static str>,
    content: Box<dyn Read + Send>,
}

/// The media type of a PNG or JPEG by its first bytes.
pub(crate) fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Blocking: checks the member, opens the content and the name, then logs the read (before
/// anything is sent). With `as_image`, peeks at the first bytes to type a PNG or JPEG.
fn open_download(s: &AppState, m: &Member, id: &str, as_image: bool) -> Result<Download, AppError> {
    if !m.role.can_read_confidential() {
        return Err(AppError::Forbidden);
    }
    let owned = owned_item(s, m, id)?;
    let item = &owned.item;
    let file_name = s
        .ledger
        .open_meta(item)?
        .file_name
        .unwrap_or_else(|| item.id.to_string());
    let mut content = s.ledger.open_content(item)?;
    let mut image = None;
    if as_image {
        let mut head = Vec::with_capacity(8);
        (&mut content)
            .take(8)
            .read_to_end(&mut head)
            .map_err(|e| AppError::Internal(format!("reading {}: {e}", item.id)))?;
        image = image_type(&head);
        content = Box::new(std::io::Cursor::new(head).chain(content));
    }
    crate::records::log_view(s, m, item.id.as_str(), "file")?;
    Ok(Download {
        file_name,
        image,
        content,
    })
}

/// `attachment; filename*=UTF-8''…` (RFC 6266, RFC 8187): every byte outside `attr-char`
/// percent-encoded, so no quote, semicolon or line break can reach the header.
fn disposition(kind: &str, name: &str) -> String {
    let mut out = format!("{kind}; filename*=UTF-8''");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The content being read.
type Content = Box<dyn Read + Send>;
/// A chunk read on a blocking thread, with the content to read the next one from.
type ChunkRead = JoinHandle<(Content, std::io::Result<Bytes>)>;

/// The response body: the content, read a chunk at a time on a blocking thread. The next
/// chunk is read while the client takes the last one (one chunk ahead, no more).
enum Streamed {
    Reading(ChunkRead),
    Done,
}

/// Reads the next chunk of `content` (empty at the end) on a blocking thread.
fn read_chunk(mut content: Content) -> ChunkRead {
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match content.read(&mut buf) {
                Ok(n) => {
                    buf.truncate(n);
                    return (content, Ok(Bytes::from(buf)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return (content, Err(e)),
            }
        }
    })
}

impl HttpBody for Streamed {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        let Streamed::Reading(task) = this else {
            return Poll::Ready(None);
        };
        let done = match std::task::ready!(Pin::new(task).poll(cx)) {
            Ok((content, Ok(chunk))) if !chunk.is_empty() => {
                *this = Streamed::Reading(read_chunk(content));
                return Poll::Ready(Some(Ok(Frame::data(chunk))));
            }
            Ok((_, Ok(_))) => None,
            // Cuts the response short: the client sees a broken transfer, never a file that
            // looks complete.
            Ok((_, Err(e))) => {
                tracing::error!(error = %e, "download failed");
                Some(Err(e))
            }
            Err(e) => {
                tracing::error!(error = %e, "download failed");
                Some(Err(std::io::Error::other(e)))
            }
        };
        *this = Streamed::Done;
        Poll::Ready(done)
    }
}

fn respond(d: Download) -> Response {
    let mut resp = Body::new(Streamed::Reading(read_chunk(d.content))).into_response();
    let h = resp.headers_mut();
    let (kind, media_type) = match d.image {
        Some(t) => ("inline", t),
        None => ("attachment", "application/octet-stream"),
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(v) = HeaderValue::from_str(&disposition(kind, &d.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOWNLOAD_CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[derive(Deserialize)]
struct FileQuery {
    view: Option<String>,
}

async fn download(
    state: &Arc<AppState>,
    m: Member,
    id: String,
    as_image: bool,
) -> Result<Response, AppError> {
    let d = blocking(state, move |s| open_download(s, &m, &id, as_image)).await?;
    Ok(respond(d))
}

/// `GET /api/v1/evidence/{id}/file`.
async fn api_file(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    download(&state, m, id, false)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /evidence/{id}/file`: the session's member; `?view=image` for an inline image.
async fn page_file(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<FileQuery>,
) -> Response {
    let m = match ctx.member() {
        Ok(m) => m.clone(),
        Err(e) => return crate::pages::error_page(&ctx, &e),
    };
    let as_image = q.view.as_deref() == Some("image");
    download(&state, m, id, as_image)
        .await
        .unwrap_or_else(|e| crate::pages::error_page(&ctx, &e))
}

/// `GET /api/v1/evidence/{id}/file` (registered by `api::routes`).
pub(crate) fn api_file_route() -> MethodRouter<Arc<AppState>> {
    get(api_file)
}

/// The page route of downloads.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/evidence/{id}/file", get(page_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_encodes_everything_but_attr_chars() {
        assert_eq!(
            disposition("attachment", "a b\";\r\nc.png"),
            "attachment; filename*=UTF-8''a%20b%22%3B%0D%0Ac.png"
        );
        assert_eq!(
            disposition("attachment", "عکس.jpg"),
            "attachment; filename*=UTF-8''%D8%B9%DA%A9%D8%B3.jpg"
        );
    }
}
