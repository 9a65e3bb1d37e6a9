//! Incident operations shared by the pages and the API: authorisation, validation, and one
//! logged commit per change.

use gawah_core::incident::{Incident, IncidentConfidential, IncidentInput};
use gawah_core::{Action, Commitment, IncidentId, LogEntry, OrgId, Salt, Sha256Digest, Timestamp};
use gawah_store::records::{IncidentRow, IncidentWrite};
use gawah_store::vault::version_record;
use gawah_store::{Change, Ledger, LedgerError, RecordWrite, Vault};
use serde_json::Value;

use crate::ctx::Member;
use crate::error::AppError;
use crate::state::AppState;

/// The canonical bytes an incident version's commitment covers.
fn content(incident: &Incident) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(incident).map_err(|e| AppError::Internal(e.to_string()))
}

/// The change that writes `version` of an incident of `org` as `actor` at `time`: the record,
/// and its log entry committing to the canonical content under a fresh salt. The confidential
/// fields and the committed content are sealed under the incident's data key (made with
/// version 1).
pub fn incident_change(
    ledger: &Ledger,
    time: Timestamp,
    actor: &str,
    org: &OrgId,
    id: &IncidentId,
    incident: Incident,
    version: u64,
) -> Result<Change, AppError> {
    let bytes = content(&incident)?;
    let salt = Salt::random().map_err(|e| AppError::Internal(e.to_string()))?;
    let commitment = Commitment::new(&salt, &Sha256Digest::of(&bytes));
    let action = if version == 1 {
        Action::Create
    } else {
        Action::Update
    };
    let entry = LogEntry::new(time, actor, action, id.as_str())
        .with_commitment(commitment)
        .with_field("org", org.as_str());
    let key = ledger
        .vault()?
        .record_key(org.as_str(), id.as_str(), version)
        .map_err(LedgerError::from)?;
    let (internal, confidential) = incident.split();
    let sealed = Vault::seal_json(&key.key, "incidents", "sealed", id.as_str(), &confidential)
        .map_err(LedgerError::from)?;
    let content = Vault::seal_bytes(
        &key.key,
        "record_versions",
        "content",
        &version_record(id.as_str(), version),
        &bytes,
    )
    .map_err(LedgerError::from)?;
    let record = RecordWrite::Incident(IncidentWrite {
        id: id.clone(),
        org: org.clone(),
        incident: internal,
        version,
        salt,
        content,
        sealed: Some(sealed),
        data_key: key.new,
    });
    Ok(Change { record, entry })
}

/// The incident with its confidential fields opened. Reading them is a custody event: the
/// view is logged (as `m`) before anything is returned.
pub fn open_confidential(s: &AppState, m: &Member, row: IncidentRow) -> Result<Incident, AppError> {
    if !m.role.can_read_confidential() {
        return Err(AppError::Forbidden);
    }
    let incident = open_quiet(s, &row)?;
    log_view(s, m, row.id.as_str(), "confidential")?;
    Ok(incident)
}

/// Logs that `m` read confidential data of `subject` (`what`: which part).
pub fn log_view(s: &AppState, m: &Member, subject: &str, what: &str) -> Result<u64, AppError> {
    let entry = LogEntry::new(s.ledger.clock().now(), m.id.as_str(), Action::View, subject)
        .with_field("org", m.org.as_str())
        .with_field("part", what);
    let idx = s.ledger.commit(&[Change {
        record: RecordWrite::None,
        entry,
    }])?;
    idx.first()
        .copied()
        .ok_or_else(|| AppError::Internal("commit returned no index".into()))
}

fn write(
    s: &AppState,
    m: &Member,
    id: &IncidentId,
    incident: Incident,
    version: u64,
) -> Result<u64, AppError> {
    let change = incident_change(
        &s.ledger,
        s.ledger.clock().now(),
        m.id.as_str(),
        &m.org,
        id,
        incident,
        version,
    )?;
    let idx = s.ledger.commit(&[change])?;
    idx.first()
        .copied()
        .ok_or_else(|| AppError::Internal("commit returned no index".into()))
}

/// Creates an incident in the member's organisation.
pub fn create(
    s: &AppState,
    m: &Member,
    input: &IncidentInput,
) -> Result<(IncidentId, u64), AppError> {
    if !m.role.can_write_records() {
        return Err(AppError::Forbidden);
    }
    let incident = input.validate().map_err(AppError::Invalid)?;
    // Only analysts and admins record a verification judgement.
    if incident.verification_status != "unverified" && !m.role.can_analyse() {
        return Err(AppError::Forbidden);
    }
    let id = IncidentId::random().map_err(|e| AppError::Internal(e.to_string()))?;
    let idx = write(s, m, &id, incident, 1)?;
    Ok((id, idx))
}

/// One incident of the member's organisation; another organisation's is "not found".
pub fn read(s: &AppState, m: &Member, id: &str) -> Result<IncidentRow, AppError> {
    let id: IncidentId = id.parse().map_err(|_| AppError::NotFound)?;
    s.ledger
        .store
        .incident(&m.org, &id)?
        .ok_or(AppError::NotFound)
}

/// The incident with its confidential fields opened for the server's own use (merging a
/// patch), not shown to anyone, so not logged.
pub fn open_quiet(s: &AppState, row: &IncidentRow) -> Result<Incident, AppError> {
    let confidential: IncidentConfidential = match &row.sealed {
        Some(sealed) => s
            .ledger
            .vault()?
            .open_json("incidents", "sealed", row.id.as_str(), sealed)
            .map_err(LedgerError::from)?,
        None => IncidentConfidential::default(),
    };
    Ok(row.incident.clone().join(confidential))
}

/// One incident of the member's organisation with its confidential fields, if the member
/// may read them (the read is logged); without them otherwise.
pub fn read_revealed(s: &AppState, m: &Member, id: &str) -> Result<IncidentRow, AppError> {
    let mut row = read(s, m, id)?;
    if m.role.can_read_confidential() {
        row.incident = open_confidential(s, m, row.clone())?;
    }
    Ok(row)
}

/// The sealed metadata (file name; a confidential item's hash) of the evidence linked to an
/// incident, opened; each read is logged.
pub fn evidence_names(
    s: &AppState,
    m: &Member,
    row: &IncidentRow,
) -> Result<std::collections::HashMap<String, gawah_store::ItemMeta>, AppError> {
    if !m.role.can_read_confidential() {
        return Err(AppError::Forbidden);
    }
    let mut names = std::collections::HashMap::new();
    for linked in s.ledger.store.incident_items(&row.org, &row.id)? {
        let meta = s.ledger.open_meta(&linked.item)?;
        if meta.file_name.is_some() || meta.sha256.is_some() {
            log_view(s, m, linked.item.id.as_str(), "confidential")?;
            names.insert(linked.item.id.to_string(), meta);
        }
    }
    Ok(names)
}

/// The editable fields of a stored incident.
pub fn as_input(i: &Incident) -> IncidentInput {
    IncidentInput {
        reference: i.reference.clone(),
        title: i.title.clone(),
        description: i.description.clone(),
        date: i.date.clone(),
        date_precision: Some(i.date_precision.clone()),
        province: i.province.clone(),
        violation_types: i.violation_types.clone(),
        perpetrators: i.perpetrators.clone(),
        exact_location: i.exact_location.clone(),
        source_reliability: i.source_reliability.clone(),
        source_credibility: i.source_credibility,
        verification_status: Some(i.verification_status.clone()),
        edicts: i.edicts.clone(),
    }
}

/// Replaces an incident's fields with `input`, if the stored version is `expected`.
pub fn update(
    s: &AppState,
    m: &Member,
    id: &str,
    input: &IncidentInput,
    expected: Option<u64>,
) -> Result<u64, AppError> {
    if !m.role.can_write_records() {
        return Err(AppError::Forbidden);
    }
    let row = read(s, m, id)?;
    if !m.role.can_read_confidential() {
        return Err(AppError::Forbidden);
    }
    if expected.is_some_and(|v| v != row.version) {
        return Err(AppError::Conflict(format!(
            "{} was changed by someone else; reload and try again",
            row.id
        )));
    }
    let incident = input.validate().map_err(AppError::Invalid)?;
    // Only analysts and admins record a verification judgement.
    if incident.verification_status != row.incident.verification_status && !m.role.can_analyse() {
        return Err(AppError::Forbidden);
    }
    write(s, m, &row.id, incident, row.version + 1)
}

/// Applies a JSON merge patch (RFC 7386, top level) to an incident's fields.
pub fn patched(row: &IncidentRow, patch: &Value) -> Result<IncidentInput, AppError> {
    let Value::Object(changes) = patch else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut current = serde_json::to_value(as_input(&row.incident))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if let Value::Object(fields) = &mut current {
        for (k, v) in changes {
            fields.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(current).map_err(|e| AppError::BadRequest(e.to_string()))
}
