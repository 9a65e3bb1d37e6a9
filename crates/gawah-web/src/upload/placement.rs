//! What every upload path shares once the bytes are in: where an item goes ([`Placement`]),
//! recording it in one commit ([`record`]), the ownership and role checks, and sealing a
//! stream of chunks into a new blob ([`sink_blob`]).

use std::io::Write;

use axum::http::{HeaderMap, header};
use gawah_core::vocab::Role;
use gawah_core::{Action, Commitment, IncidentId, LogEntry};
use gawah_store::records::EvidenceWrite;
use gawah_store::sealed_blob::SealingWriter;
use gawah_store::{BlobWriter, Change, IngestMeta, IngestedItem, RecordWrite};

use super::error::UpErr;
use super::sink::BlockWrite;
use crate::ctx::Member;
use crate::error::AppError;
use crate::state::AppState;

/// Where an uploaded item goes, besides its content.
#[derive(Debug, Clone)]
pub(super) struct Placement {
    pub(super) member: Member,
    pub(super) incident: Option<IncidentId>,
    pub(super) case_ref: Option<String>,
    pub(super) file_name: Option<String>,
    pub(super) confidential: bool,
    pub(super) upload: Option<String>,
}

/// Blocking: makes a finished blob durable, then records the item, its owner, its link and
/// its intake entry in one commit. Returns once that is durable.
pub(super) fn record(
    s: &AppState,
    writer: SealedUpload,
    p: Placement,
) -> Result<IngestedItem, AppError> {
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
pub(super) fn own_incident(s: &AppState, m: &Member, id: &str) -> Result<IncidentId, AppError> {
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

pub(super) fn can_upload(m: &Member) -> Result<(), AppError> {
    if may_upload(m.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub(super) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A file streamed into a blob, not yet durable nor recorded.
pub(super) struct StagedBlob {
    pub(super) writer: SealedUpload,
}

/// An upload's content being sealed into a new blob.
pub(super) type SealedUpload = SealingWriter<Box<dyn BlobWriter>>;

impl BlockWrite for SealedUpload {
    fn write_block(&mut self, block: &mut Vec<u8>) -> Result<(), UpErr> {
        self.write_all(block)
            .map_err(|e| AppError::io("writing the upload", e).into())
    }
}
