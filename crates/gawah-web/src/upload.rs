//! Evidence uploads: a multipart `POST /api/v1/evidence`, tus 1.0 resumable uploads under
//! `/api/v1/uploads` (core protocol, creation and termination), and the incident page's plain
//! form (`POST /incidents/{id}/evidence`), which works without JavaScript.
//!
//! Every path streams: the async handler reads the body chunk by chunk and gathers the chunks
//! into blocks, each written on a blocking thread while the next one fills (`sink`), so memory
//! does not grow with the file (files of several GB) and no thread waits for a slow client. An upload becomes an item exactly as an ingest does: the
//! blob is made durable first, then one [`Store::commit`](gawah_store::Store::commit) writes
//! the item, its owner, its link to an incident and its intake entry (actor: the member).
//!
//! Resumable uploads keep their bytes in `<data dir>/uploads/<id>.part`. At the end of each
//! `PATCH` the part file is fsynced and only then is the new offset stored and answered, so an
//! acknowledged offset survives a crash; the next `PATCH` cuts the file back to the stored
//! offset before appending. The part file is locked (`flock`) while a request writes it, also
//! across processes; `HEAD` waits (a while) for a running or interrupted `PATCH` to record what
//! it received. When the offset reaches the length, the part file is streamed into the blob
//! store and recorded in the same request, and removed.
//!
//! Who may upload: admins and documenters, into their own organisation's incidents. The tus
//! endpoints also serve the incident page's script (`assets/upload.js`), which authenticates
//! with the page session plus its form token in a header (see [`CSRF_HEADER`]); every other
//! API route takes bearer tokens only.
//!
//! Layout: `error` (the upload error and its responses), `placement` (recording an upload as
//! an item, ownership and role checks, sealing a stream into a blob), `form` (the multipart
//! API and page form), `tus` (the tus plumbing shared by its endpoints: headers, caller, part
//! file), `sink` (blocks from async chunks to a blocking writer), `resource` (tus options, creation, offset, status, termination) and `patch` (tus
//! appends and finishing an upload).

mod error;
mod form;
mod patch;
mod placement;
mod resource;
mod sink;
mod tus;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, options, post};

pub(crate) use placement::may_upload;

use crate::state::AppState;

/// The tus protocol version spoken.
pub use gawah_core::upload::TUS_VERSION;
/// The tus extensions supported.
pub const TUS_EXTENSIONS: &str = "creation,termination";
/// The default largest upload: 20 GiB. `GAWAH_MAX_UPLOAD_BYTES` overrides it.
pub const DEFAULT_MAX_UPLOAD: u64 = 20 << 30;
/// Writes are gathered into blocks of this size (an upload holds at most two: one filling,
/// one being written).
const BLOCK: usize = 1 << 20;
/// A request body that sends nothing for this long is ended (what arrived is kept).
const IDLE: Duration = Duration::from_secs(120);

/// The largest upload accepted, in bytes (`GAWAH_MAX_UPLOAD_BYTES`, default 20 GiB).
pub fn max_upload() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var("GAWAH_MAX_UPLOAD_BYTES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|v| *v > 0)
            .unwrap_or(DEFAULT_MAX_UPLOAD)
    })
}

/// The header in which the incident page's script sends the session's form token.
pub(crate) const CSRF_HEADER: &str = "x-gawah-csrf";

// ---------------------------------------------------------------------------------------
// Routes.

/// `POST /api/v1/evidence` (registered by `api::routes`).
pub(crate) fn evidence_route() -> MethodRouter<Arc<AppState>> {
    post(form::post_evidence).layer(DefaultBodyLimit::disable())
}

/// `/api/v1/uploads`: tus discovery and creation (registered by `api::routes`).
pub(crate) fn uploads_route() -> MethodRouter<Arc<AppState>> {
    options(resource::tus_options).post(resource::tus_create)
}

/// `/api/v1/uploads/{id}`: tus offset, append, termination, and the JSON status (registered
/// by `api::routes`).
pub(crate) fn upload_route() -> MethodRouter<Arc<AppState>> {
    get(resource::upload_status)
        .head(resource::tus_head)
        .patch(patch::tus_patch)
        .delete(resource::tus_delete)
        .layer(DefaultBodyLimit::disable())
}

/// The page routes of uploads: the incident page's form.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(
        "/incidents/{id}/evidence",
        post(form::post_page_evidence).layer(DefaultBodyLimit::disable()),
    )
}
