//! Evidence uploads: a multipart `POST /api/v1/evidence`, tus 1.0 resumable uploads under
//! `/api/v1/uploads` (core protocol, creation and termination), and the incident page's plain
//! form (`POST /incidents/{id}/evidence`), which works without JavaScript.
//!
//! Every path streams: the async handler reads the body chunk by chunk and hands the chunks
//! through a bounded channel to a blocking task that writes them, so memory does not grow with
//! the file (files of several GB). An upload becomes an item exactly as an ingest does: the
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

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::{Bytes, HttpBody};
use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, options, post};
use gawah_core::seal::SecretKey;
use gawah_core::seal::partial::PartialCipher;
use gawah_core::upload::{
    FormField, TextField, UploadError, UploadFields, clean_case, clean_name, truthy,
    valid_upload_id,
};
use gawah_core::vocab::Role;
use gawah_core::{Action, Commitment, IncidentId, ItemId, LogEntry};
use gawah_store::records::{EvidenceWrite, NewUpload, UploadRow};
use gawah_store::sealed_blob::SealingWriter;
use gawah_store::{
    BlobWriter, Change, IngestMeta, IngestedItem, ItemMeta, LedgerError, RecordWrite, Vault,
};
use serde_json::json;
use tokio::sync::mpsc;

use crate::ctx::{ApiMember, Ctx, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// The tus protocol version spoken.
pub use gawah_core::upload::TUS_VERSION;
/// The tus extensions supported.
pub const TUS_EXTENSIONS: &str = "creation,termination";
/// The default largest upload: 20 GiB. `GAWAH_MAX_UPLOAD_BYTES` overrides it.
pub const DEFAULT_MAX_UPLOAD: u64 = 20 << 30;
/// Chunks queued between a request and its writer: bounds memory per upload.
const QUEUE: usize = 16;
/// Writes are gathered into blocks of this size.
const BLOCK: usize = 1 << 20;
/// A request body that sends nothing for this long is ended (what arrived is kept).
const IDLE: Duration = Duration::from_secs(120);
/// How long a request waits for another request writing the same upload.
const LOCK_WAIT: Duration = Duration::from_secs(60);
/// A long `PATCH` makes what it has received durable, and acknowledges it in the store, at
/// least this often (so its last fsync, and a crash, cost at most this much).
const SYNC_EVERY: u64 = 64 << 20;

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

/// An upload failure: an application error, or a status the rest of the app does not use.
#[derive(Debug)]
enum UpErr {
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

fn internal(e: impl std::fmt::Display) -> UpErr {
    UpErr::App(AppError::Internal(e.to_string()))
}

fn bad(msg: impl Into<String>) -> UpErr {
    UpErr::App(AppError::BadRequest(msg.into()))
}

fn too_large() -> UpErr {
    UpErr::Status(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the upload is larger than the limit of {} bytes",
            max_upload()
        ),
    )
}

fn multipart_err(e: &MultipartError) -> UpErr {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    bad(format!("malformed multipart body: {}", e.body_text()))
}

impl UpErr {
    fn status(&self) -> StatusCode {
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

/// Where an uploaded item goes, besides its content.
#[derive(Debug, Clone)]
struct Placement {
    member: Member,
    incident: Option<IncidentId>,
    case_ref: Option<String>,
    file_name: Option<String>,
    confidential: bool,
    upload: Option<String>,
}

/// Blocking: makes a finished blob durable, then records the item, its owner, its link and
/// its intake entry in one commit. Returns once that is durable.
fn record(s: &AppState, writer: SealedUpload, p: Placement) -> Result<IngestedItem, AppError> {
    let time = s.ledger.clock().now();
    let content = writer
        .finish()
        .map_err(|e| AppError::io("sealing the upload", e))?;
    let (content, blob) = content.commit().map_err(AppError::from)?;
    let meta = IngestMeta {
        case_ref: p.case_ref.clone(),
        file_name: p.file_name.clone(),
        confidential: p.confidential,
    };
    // Every upload is stored sealed; a confidential one also keeps its hash and salt sealed.
    let item = s.ledger.sealed_item(content, blob, &meta)?;
    let (id, sha256, bytes) = (item.id.clone(), item.sha256, item.bytes);
    let mut entry = LogEntry::new(time, p.member.id.as_str(), Action::Intake, id.as_str())
        .with_commitment(Commitment::new(&item.salt, &item.sha256))
        .with_field("org", p.member.org.as_str());
    if let Some(i) = &p.incident {
        entry = entry.with_field("incident", i.as_str());
    }
    let record = RecordWrite::Evidence(EvidenceWrite {
        item,
        org: p.member.org.clone(),
        member: p.member.id.clone(),
        incident: p.incident,
        confidential: p.confidential,
        upload: p.upload,
    });
    let idx = s.ledger.commit(&[Change { record, entry }])?;
    let log_index = idx
        .first()
        .copied()
        .ok_or_else(|| AppError::Internal("commit returned no index".into()))?;
    Ok(IngestedItem {
        item: id,
        sha256,
        bytes,
        log_index,
    })
}

/// Blocking: the member's own incident, or 404 (also for a malformed id).
fn own_incident(s: &AppState, m: &Member, id: &str) -> Result<IncidentId, AppError> {
    let id: IncidentId = id.trim().parse().map_err(|_| AppError::NotFound)?;
    s.ledger
        .store
        .incident(&m.org, &id)?
        .map(|r| r.id)
        .ok_or(AppError::NotFound)
}

/// Whether a role may add evidence: the intake of files is the documenters' work (and the
/// admins'); analysts, legal officers and viewers read it (DESIGN.md, "People who use it").
pub(crate) fn may_upload(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Documenter)
}

fn can_upload(m: &Member) -> Result<(), AppError> {
    if may_upload(m.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------
// Multipart: the API and the page form.

/// A file streamed into a blob, not yet durable nor recorded.
struct StagedBlob {
    writer: SealedUpload,
}

/// An upload's content being sealed into a new blob.
type SealedUpload = SealingWriter<Box<dyn BlobWriter>>;

/// Blocking: seals the chunks from `rx` into a new blob of `org` until the channel closes.
fn sink_blob(
    s: &AppState,
    org: &str,
    mut rx: mpsc::Receiver<Bytes>,
) -> Result<StagedBlob, AppError> {
    let mut writer = s.ledger.create_sealed(org)?;
    let mut block = Vec::with_capacity(BLOCK);
    let write = |w: &mut SealedUpload, b: &[u8]| {
        w.write_all(b)
            .map_err(|e| AppError::io("writing the upload", e))
    };
    while let Some(chunk) = rx.blocking_recv() {
        if block.len() + chunk.len() > BLOCK && !block.is_empty() {
            write(&mut writer, &block)?;
            block.clear();
        }
        if chunk.len() >= BLOCK {
            write(&mut writer, &chunk)?;
        } else {
            block.extend_from_slice(&chunk);
        }
    }
    write(&mut writer, &block)?;
    Ok(StagedBlob { writer })
}

/// Streams one multipart field into a new blob (bounded channel to a blocking writer).
async fn stream_field(
    state: &Arc<AppState>,
    org: &str,
    field: &mut Field<'_>,
) -> Result<StagedBlob, UpErr> {
    let max = max_upload();
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
    let st = state.clone();
    let org = org.to_owned();
    let task = tokio::task::spawn_blocking(move || sink_blob(&st, &org, rx));
    let mut bytes = 0u64;
    let mut failed = None;
    loop {
        match tokio::time::timeout(IDLE, field.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                bytes += chunk.len() as u64;
                if bytes > max {
                    failed = Some(too_large());
                    break;
                }
                if tx.send(chunk).await.is_err() {
                    break; // the writer failed; its error is reported below
                }
            }
            Ok(Ok(None)) => break,
            Ok(Err(e)) => {
                failed = Some(multipart_err(&e));
                break;
            }
            Err(_) => {
                failed = Some(bad("the upload stalled"));
                break;
            }
        }
    }
    drop(tx);
    let staged = task.await.map_err(internal)?;
    // On failure the staged blob is dropped here, which removes it.
    match failed {
        Some(e) => Err(e),
        None => Ok(staged?),
    }
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
async fn post_evidence(
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
async fn post_page_evidence(
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

// ---------------------------------------------------------------------------------------
// tus 1.0: core protocol, creation, termination.

fn tus_headers(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn tus(result: Result<Response, UpErr>) -> Response {
    tus_headers(result.unwrap_or_else(IntoResponse::into_response))
}

/// Checks `Tus-Resumable`; 412 with the supported version otherwise.
fn check_tus(headers: &HeaderMap) -> Result<(), UpErr> {
    let raw = headers.get("tus-resumable").map(HeaderValue::as_bytes);
    Ok(gawah_core::upload::check_resumable(raw)?)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<u64, UpErr> {
    let raw = headers.get(name).map(HeaderValue::as_bytes);
    Ok(gawah_core::upload::header_number(name, raw)?)
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, UpErr> {
    let raw = headers.get("upload-metadata").map(HeaderValue::as_bytes);
    Ok(gawah_core::upload::metadata(raw)?)
}

/// A fresh upload id: `upl_` and 128 random bits in hex.
fn new_upload_id() -> Result<String, AppError> {
    let bytes: [u8; 16] =
        gawah_core::random::random_bytes().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("upl_{}", hex::encode(bytes)))
}

fn part_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.part"))
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens an upload's part file and locks it, waiting up to [`LOCK_WAIT`] for another
/// request (in any process) to let go. `None` if it does not exist and `create` is false.
fn lock_part(path: &Path, create: bool) -> Result<Option<File>, UpErr> {
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
fn own_upload(s: &AppState, m: &Member, id: &str) -> Result<UploadRow, UpErr> {
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
fn done_sha(d: &gawah_store::records::UploadDone) -> String {
    d.sha256.map(|h| h.to_hex()).unwrap_or_default()
}

/// An upload's sealed metadata, opened with its key (the name of a row from before sealing
/// comes from its `file_name` column).
fn upload_meta(key: &SecretKey, row: &UploadRow) -> Result<ItemMeta, AppError> {
    match &row.sealed {
        Some(sealed) => {
            let bytes = Vault::open_bytes(key, "uploads", "sealed", &row.id, sealed)
                .map_err(LedgerError::from)?;
            serde_json::from_slice(&bytes).map_err(|e| AppError::Internal(e.to_string()))
        }
        None => Ok(ItemMeta {
            file_name: row.file_name.clone(),
            ..ItemMeta::default()
        }),
    }
}

/// Blocking: streams a complete part file into the blob store and records the item; then
/// removes the part file. The caller holds the part file's lock.
fn finalize(
    s: &AppState,
    row: &UploadRow,
    m: &Member,
    file: &mut File,
) -> Result<IngestedItem, UpErr> {
    file.seek(SeekFrom::Start(0)).map_err(internal)?;
    let key = s.ledger.vault()?.key(&row.id).map_err(LedgerError::from)?;
    let file_name = upload_meta(&key, row)?.file_name;
    let mut cipher = PartialCipher::new(&key, &row.id);
    let mut writer = s.ledger.create_sealed(m.org.as_str())?;
    let mut buf = vec![0u8; BLOCK];
    let mut input = Read::take(&mut *file, row.length);
    let mut at = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(internal(format!("reading the partial upload: {e}"))),
        };
        cipher.apply_at(at, &mut buf[..n]);
        at += n as u64;
        writer
            .write_all(&buf[..n])
            .map_err(|e| AppError::io("writing the upload", e))?;
    }
    if writer.written() != row.length {
        return Err(internal(format!(
            "the partial file of {} holds {} of {} acknowledged bytes",
            row.id,
            writer.written(),
            row.length
        )));
    }
    let item = record(
        s,
        writer,
        Placement {
            member: m.clone(),
            incident: row.incident.clone(),
            case_ref: row.case_ref.clone(),
            file_name,
            confidential: row.confidential,
            upload: Some(row.id.clone()),
        },
    )?;
    let dir = s.ledger.store.uploads_dir()?;
    let _ = std::fs::remove_file(part_path(&dir, &row.id));
    Ok(item)
}

/// The item a finished upload became, as headers.
fn done_headers(resp: &mut Response, item: &ItemId, sha256: &str, log_index: u64) {
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

/// `OPTIONS /api/v1/uploads`: what this server speaks.
async fn tus_options() -> Response {
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
async fn tus_create(State(state): State<Arc<AppState>>, req: Request) -> Response {
    tus(tus_create_inner(state, req).await)
}

async fn tus_create_inner(state: Arc<AppState>, req: Request) -> Result<Response, UpErr> {
    check_tus(req.headers())?;
    let (mut parts, _) = req.into_parts();
    let m = api_member(&state, &mut parts).await?;
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

/// Inside [`blocking`], every error is an [`AppError`]; statuses it lacks become messages.
fn up_to_app(e: UpErr) -> AppError {
    match e {
        UpErr::App(a) => a,
        UpErr::Status(StatusCode::LOCKED, m) => AppError::Conflict(m),
        UpErr::Status(_, m) => AppError::BadRequest(m),
        UpErr::Mismatch(at) => AppError::Conflict(format!("the upload is at offset {at}")),
    }
}

/// Runs `f` on a blocking thread, keeping [`UpErr`]s as they are.
async fn blocking_up<T, F>(state: &Arc<AppState>, f: F) -> Result<T, UpErr>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T, UpErr> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(internal)?
}

/// The header in which the incident page's script sends the session's form token.
pub(crate) const CSRF_HEADER: &str = "x-gawah-csrf";

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
async fn tus_head(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    tus(async {
        check_tus(req.headers())?;
        let (mut parts, _) = req.into_parts();
        let m = api_member(&state, &mut parts).await?;
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
async fn upload_status(
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

/// What a `PATCH` ended with.
enum Patched {
    Offset(u64),
    Done(u64, ItemId, String, u64),
}

/// Blocking: appends the chunks from `rx` to the part file at `offset`, fsyncs, stores the
/// new offset, and finishes the upload when complete.
fn patch_blocking(
    s: &AppState,
    m: &Member,
    id: &str,
    offset: u64,
    mut rx: mpsc::Receiver<Bytes>,
) -> Result<Patched, UpErr> {
    let row = own_upload(s, m, id)?;
    let path = part_path(&s.ledger.store.uploads_dir()?, id);
    let mut file = match lock_part(&path, row.offset == 0 && row.done.is_none())? {
        Some(f) => Some(f),
        None if row.done.is_some() => None,
        None => {
            return Err(UpErr::Status(
                StatusCode::GONE,
                "the partial data of this upload is lost; start a new upload".into(),
            ));
        }
    };
    // Under the lock: what an earlier (perhaps interrupted) request recorded.
    let row = own_upload(s, m, id)?;
    if let Some(d) = &row.done {
        if let Some(f) = file.take() {
            drop(f);
            let _ = std::fs::remove_file(&path);
        }
        return if offset == row.length {
            Ok(Patched::Done(
                row.length,
                d.item.clone(),
                done_sha(d),
                d.log_index,
            ))
        } else {
            Err(UpErr::Mismatch(row.length))
        };
    }
    let Some(mut file) = file else {
        return Err(internal("no partial file"));
    };
    if offset != row.offset {
        return Err(UpErr::Mismatch(row.offset));
    }
    // Bytes after the acknowledged offset were never acknowledged: cut them off.
    file.set_len(row.offset).map_err(internal)?;
    file.seek(SeekFrom::Start(row.offset)).map_err(internal)?;
    let key = s.ledger.vault()?.key(id).map_err(LedgerError::from)?;
    let mut cipher = PartialCipher::new(&key, id);
    let mut pos = row.offset;
    let room = row.length - row.offset;
    let mut written = 0u64;
    let mut acked = row.offset;
    let mut over = false;
    let mut block = Vec::with_capacity(BLOCK);
    loop {
        let chunk = rx.blocking_recv();
        let end = chunk.is_none();
        if let Some(chunk) = chunk {
            let take = (chunk.len() as u64).min(room - written) as usize;
            block.extend_from_slice(&chunk[..take]);
            written += take as u64;
            over = take < chunk.len();
        }
        if block.len() >= BLOCK || end || over {
            // Encrypted at its offset before it touches the disk.
            cipher.apply_at(pos, &mut block);
            pos += block.len() as u64;
            file.write_all(&block)
                .map_err(|e| AppError::io(format_args!("writing {}", path.display()), e))?;
            block.clear();
        }
        let at = row.offset + written;
        if at > acked && (end || over || at - acked >= SYNC_EVERY) {
            // Durable before acknowledged.
            file.sync_data()
                .map_err(|e| AppError::io(format_args!("fsync {}", path.display()), e))?;
            if !s.ledger.store.upload_advance(id, acked, at)? {
                return Err(AppError::Conflict("the upload changed meanwhile".into()).into());
            }
            acked = at;
        }
        if end || over {
            break;
        }
    }
    let new_offset = acked;
    if over {
        return Err(UpErr::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "more bytes than Upload-Length ({}); the first {new_offset} are kept",
                row.length
            ),
        ));
    }
    if new_offset < row.length {
        return Ok(Patched::Offset(new_offset));
    }
    let row = UploadRow {
        offset: new_offset,
        ..row
    };
    let item = finalize(s, &row, m, &mut file)?;
    Ok(Patched::Done(
        new_offset,
        item.item,
        item.sha256.to_hex(),
        item.log_index,
    ))
}

/// `PATCH /api/v1/uploads/{id}`: appends at `Upload-Offset`.
async fn tus_patch(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    tus(tus_patch_inner(state, id, req).await)
}

async fn tus_patch_inner(
    state: Arc<AppState>,
    id: String,
    req: Request,
) -> Result<Response, UpErr> {
    check_tus(req.headers())?;
    let (mut parts, mut body) = req.into_parts();
    let m = api_member(&state, &mut parts).await?;
    can_upload(&m)?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.eq_ignore_ascii_case("application/offset+octet-stream") {
        return Err(UpErr::Status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/offset+octet-stream".into(),
        ));
    }
    let offset = header_u64(&parts.headers, "Upload-Offset")?;
    if !valid_upload_id(&id) {
        return Err(bad("not an upload id"));
    }
    if let Some(n) = content_length(&parts.headers)
        && offset.saturating_add(n) > max_upload()
    {
        return Err(too_large());
    }
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
    let st = state.clone();
    // The writer runs to its end even if this request is dropped (the client went away):
    // it then keeps and acknowledges in the store what arrived.
    let task = tokio::task::spawn_blocking(move || patch_blocking(&st, &m, &id, offset, rx));
    loop {
        let frame = tokio::time::timeout(
            IDLE,
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)),
        )
        .await;
        match frame {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                    && tx.send(data).await.is_err()
                {
                    break; // the writer stopped; its answer says why
                }
            }
            // The end, a broken connection, or a stall: what arrived is kept either way.
            Ok(None | Some(Err(_))) | Err(_) => break,
        }
    }
    drop(tx);
    drop(body);
    let patched = task.await.map_err(internal)??;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let at = match &patched {
        Patched::Offset(at) | Patched::Done(at, ..) => *at,
    };
    resp.headers_mut().insert(
        "upload-offset",
        HeaderValue::from_str(&at.to_string()).map_err(internal)?,
    );
    if let Patched::Done(_, item, sha, log_index) = &patched {
        done_headers(&mut resp, item, sha, *log_index);
    }
    Ok(resp)
}

/// `DELETE /api/v1/uploads/{id}`: terminates an upload (a finished upload's item stays).
async fn tus_delete(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    tus(async {
        check_tus(req.headers())?;
        let (mut parts, _) = req.into_parts();
        let m = api_member(&state, &mut parts).await?;
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

// ---------------------------------------------------------------------------------------
// Routes.

/// `POST /api/v1/evidence` (registered by `api::routes`).
pub(crate) fn evidence_route() -> MethodRouter<Arc<AppState>> {
    post(post_evidence).layer(DefaultBodyLimit::disable())
}

/// `/api/v1/uploads`: tus discovery and creation (registered by `api::routes`).
pub(crate) fn uploads_route() -> MethodRouter<Arc<AppState>> {
    options(tus_options).post(tus_create)
}

/// `/api/v1/uploads/{id}`: tus offset, append, termination, and the JSON status (registered
/// by `api::routes`).
pub(crate) fn upload_route() -> MethodRouter<Arc<AppState>> {
    get(upload_status)
        .head(tus_head)
        .patch(tus_patch)
        .delete(tus_delete)
        .layer(DefaultBodyLimit::disable())
}

/// The page routes of uploads: the incident page's form.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(
        "/incidents/{id}/evidence",
        post(post_page_evidence).layer(DefaultBodyLimit::disable()),
    )
}

#[cfg(test)]
mod tests {
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
