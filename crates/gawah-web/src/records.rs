//! Incident operations shared by the pages and the API: authorisation, validation, and one
//! logged commit per change.

use gawah_core::incident::{Incident, IncidentInput};
use gawah_core::{Action, Commitment, IncidentId, LogEntry, OrgId, Salt, Sha256Digest, Timestamp};
use gawah_store::records::{IncidentRow, IncidentWrite};
use gawah_store::{Change, RecordWrite};
use serde_json::Value;

use crate::ctx::Member;
use crate::error::AppError;
use crate::state::AppState;

/// The canonical bytes an incident version's commitment covers.
fn content(incident: &Incident) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(incident).map_err(|e| AppError::Internal(e.to_string()))
}

/// The change that writes `version` of an incident of `org` as `actor` at `time`: the record,
/// and its log entry committing to the canonical content under a fresh salt.
pub fn incident_change(
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
    let record = RecordWrite::Incident(IncidentWrite {
        id: id.clone(),
        org: org.clone(),
        incident,
        version,
        salt,
        content: bytes,
    });
    Ok(Change { record, entry })
}

fn write(
    s: &AppState,
    m: &Member,
    id: &IncidentId,
    incident: Incident,
    version: u64,
) -> Result<u64, AppError> {
    let change = incident_change(
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
