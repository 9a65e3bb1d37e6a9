//! tus `PATCH`: appending to an upload's part file, encrypted at its offset, durable before
//! acknowledged; and, once the offset reaches the length, [`finalize`], which streams the part
//! file into the blob store and records the item.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gawah_core::ItemId;
use gawah_core::seal::SecretKey;
use gawah_core::seal::partial::PartialCipher;
use gawah_core::upload::valid_upload_id;
use gawah_store::records::UploadRow;
use gawah_store::{IngestedItem, ItemMeta, LedgerError, Vault};

use super::error::{UpErr, bad, internal, too_large};
use super::placement::{Placement, can_upload, content_length, record};
use super::sink::{BlockSink, BlockWrite};
use super::tus::{
    blocking_up, done_headers, done_sha, header_u64, lock_part, own_upload, part_path, tus,
    tus_request,
};
use super::{BLOCK, IDLE, max_upload};
use crate::ctx::Member;
use crate::error::AppError;
use crate::state::AppState;

/// A long `PATCH` makes what it has received durable, and acknowledges it in the store, at
/// least this often (so its last fsync, and a crash, cost at most this much).
const SYNC_EVERY: u64 = 64 << 20;

/// What a `PATCH` ended with.
enum Patched {
    Offset(u64),
    Done(u64, ItemId, String, u64),
}

/// An upload's part file, open and locked, being appended to at the end of what it holds.
struct PartWriter {
    state: Arc<AppState>,
    id: String,
    path: PathBuf,
    file: File,
    cipher: PartialCipher,
    /// Where the next byte goes: every byte before it is in the file (not yet all durable).
    pos: u64,
    /// The offset the store holds: every byte before it is durable and acknowledged.
    acked: u64,
}

impl PartWriter {
    /// Blocking: makes every byte written so far durable, and only then stores the new offset.
    fn sync(&mut self) -> Result<(), UpErr> {
        if self.pos == self.acked {
            return Ok(());
        }
        self.file
            .sync_data()
            .map_err(|e| AppError::io(format_args!("fsync {}", self.path.display()), e))?;
        if !self
            .state
            .ledger
            .store
            .upload_advance(&self.id, self.acked, self.pos)?
        {
            return Err(AppError::Conflict("the upload changed meanwhile".into()).into());
        }
        self.acked = self.pos;
        Ok(())
    }
}

impl BlockWrite for PartWriter {
    /// Encrypts the block at its offset before it touches the disk, appends it, and makes a
    /// long `PATCH` durable and acknowledged every [`SYNC_EVERY`] bytes.
    fn write_block(&mut self, block: &mut Vec<u8>) -> Result<(), UpErr> {
        self.cipher.apply_at(self.pos, block);
        self.file
            .write_all(block)
            .map_err(|e| AppError::io(format_args!("writing {}", self.path.display()), e))?;
        self.pos += block.len() as u64;
        if self.pos - self.acked >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }
}

/// What a `PATCH` finds when it opens the part file.
enum Opened {
    /// Appending at the stored offset of the upload (the row as read under the lock).
    Writing(Box<(PartWriter, UploadRow)>),
    /// The upload was finished already (by an earlier request that was interrupted).
    Finished(Patched),
}

/// Blocking: locks the part file, checks `offset` against what the store holds under the
/// lock, and opens the file for appending there.
fn open_part(s: &Arc<AppState>, m: &Member, id: &str, offset: u64) -> Result<Opened, UpErr> {
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
            Ok(Opened::Finished(Patched::Done(
                row.length,
                d.item.clone(),
                done_sha(d),
                d.log_index,
            )))
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
    Ok(Opened::Writing(Box::new((
        PartWriter {
            state: s.clone(),
            id: id.to_owned(),
            path,
            file,
            cipher: PartialCipher::new(&key, id),
            pos: row.offset,
            acked: row.offset,
        },
        row,
    ))))
}

/// Blocking: after the last block, makes what arrived durable and acknowledged, then finishes
/// the upload if it is complete. `over`: the client sent more than the upload's length.
fn close_part(mut w: PartWriter, row: UploadRow, m: &Member, over: bool) -> Result<Patched, UpErr> {
    w.sync()?;
    let new_offset = w.acked;
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
    let item = finalize(&w.state, &row, m, &mut w.file)?;
    Ok(Patched::Done(
        new_offset,
        item.item,
        item.sha256.to_hex(),
        item.log_index,
    ))
}

/// Appends the body at `offset`: the bytes are gathered into blocks on this task and each
/// block is written on a blocking thread (see [`BlockSink`]). Runs as a task of its own, so
/// that it goes on to its end when the request is dropped (the client went away): what
/// arrived is then kept and acknowledged in the store.
async fn append(
    state: Arc<AppState>,
    m: Member,
    id: String,
    offset: u64,
    mut body: Body,
) -> Result<Patched, UpErr> {
    let (st, member) = (state.clone(), m.clone());
    let opened = blocking_up(&state, move |_| open_part(&st, &member, &id, offset)).await?;
    let (writer, row) = match opened {
        Opened::Finished(done) => return Ok(done),
        Opened::Writing(open) => *open,
    };
    let room = row.length - row.offset;
    let mut sink = BlockSink::new(writer);
    let mut written = 0u64;
    let mut over = false;
    loop {
        let frame = tokio::time::timeout(
            IDLE,
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)),
        )
        .await;
        match frame {
            Ok(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let take = (data.len() as u64).min(room - written) as usize;
                sink.push(&data[..take]).await?;
                written += take as u64;
                if take < data.len() {
                    over = true;
                    break;
                }
            }
            // The end, a broken connection, or a stall: what arrived is kept either way.
            Ok(None | Some(Err(_))) | Err(_) => break,
        }
    }
    drop(body);
    let writer = sink.finish().await?;
    blocking_up(&state, move |_| close_part(writer, row, &m, over)).await
}

/// `PATCH /api/v1/uploads/{id}`: appends at `Upload-Offset`.
pub(super) async fn tus_patch(
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
    let (m, parts, body) = tus_request(&state, req).await?;
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
    let patched = tokio::spawn(append(state, m, id, offset, body))
        .await
        .map_err(internal)??;
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
pub(super) fn finalize(
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
