//! Testimonies and people: records whose most dangerous fields (statements, names,
//! contacts) are sealed, and whose every read of those fields is logged.
//!
//! Each version commits (in the log) to its canonical JSON, internal and confidential fields
//! together; that JSON is stored only sealed, the confidential fields sealed apart from the
//! internal ones so that lists need no key.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gawah_core::person::{PersonConfidential, PersonInput, PersonInternal};
use gawah_core::testimony::{TestimonyConfidential, TestimonyInput, TestimonyInternal};
use gawah_core::{
    ActId, Action, Commitment, IncidentId, LogEntry, PersonId, Salt, Sha256Digest, TestimonyId,
};
use gawah_store::records::{
    ActWrite, PersonWrite, SealedRow, SealedWrite, TestimonyRow, TestimonyWrite,
};
use gawah_store::vault::version_record;
use gawah_store::{Change, LedgerError, RecordWrite, Vault};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::ctx::{ApiMember, Member};
use crate::error::AppError;
use crate::records::log_view;
use crate::state::{AppState, blocking};

fn internal_err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// The change writing `version` of a sealed record of `table`.
#[allow(clippy::too_many_arguments)]
fn sealed_change<C: Serialize>(
    s: &AppState,
    m: &Member,
    table: &'static str,
    id: &str,
    version: u64,
    internal: String,
    confidential: &C,
    canonical: Value,
    wrap: impl FnOnce(SealedWrite) -> RecordWrite,
) -> Result<Change, AppError> {
    let bytes = serde_json::to_vec(&canonical).map_err(internal_err)?;
    let salt = Salt::random().map_err(internal_err)?;
    let commitment = Commitment::new(&salt, &Sha256Digest::of(&bytes));
    let key = s
        .ledger
        .vault()?
        .record_key(m.org.as_str(), id, version)
        .map_err(LedgerError::from)?;
    let sealed =
        Vault::seal_json(&key.key, table, "sealed", id, confidential).map_err(LedgerError::from)?;
    let content = Vault::seal_bytes(
        &key.key,
        "record_versions",
        "content",
        &version_record(id, version),
        &bytes,
    )
    .map_err(LedgerError::from)?;
    let action = if version == 1 {
        Action::Create
    } else {
        Action::Update
    };
    let entry = LogEntry::new(s.ledger.clock().now(), m.id.as_str(), action, id)
        .with_commitment(commitment)
        .with_field("org", m.org.as_str());
    let record = wrap(SealedWrite {
        id: id.to_owned(),
        org: m.org.clone(),
        version,
        internal,
        sealed,
        salt,
        content,
        data_key: key.new,
    });
    Ok(Change { record, entry })
}

fn commit_one(s: &AppState, change: Change) -> Result<u64, AppError> {
    s.ledger
        .commit(&[change])?
        .first()
        .copied()
        .ok_or_else(|| internal_err("commit returned no index"))
}

/// Opens a record's sealed part; the caller has checked the role. Logs the read first.
fn open_logged<C: DeserializeOwned>(
    s: &AppState,
    m: &Member,
    table: &str,
    row: &SealedRow,
) -> Result<C, AppError> {
    let sealed = row.sealed.as_deref().ok_or(AppError::Gone)?;
    let value = s
        .ledger
        .vault()?
        .open_json(table, "sealed", &row.id, sealed)
        .map_err(LedgerError::from)?;
    log_view(s, m, &row.id, "confidential")?;
    Ok(value)
}

/// Records a testimony given in `incident` of the member's organisation.
pub fn create_testimony(
    s: &AppState,
    m: &Member,
    incident: &str,
    input: &TestimonyInput,
) -> Result<(TestimonyId, u64), AppError> {
    if !m.role.can_write_records() {
        return Err(AppError::Forbidden);
    }
    let incident = own_incident(s, m, incident)?;
    let (internal, confidential) = input.validate().map_err(AppError::Invalid)?;
    let id = TestimonyId::random().map_err(internal_err)?;
    let canonical = json!({
        "incident": incident.as_str(),
        "internal": internal,
        "confidential": confidential,
    });
    let internal_json = serde_json::to_string(&internal).map_err(internal_err)?;
    let change = sealed_change(
        s,
        m,
        "testimonies",
        id.as_str(),
        1,
        internal_json,
        &confidential,
        canonical,
        |record| {
            RecordWrite::Testimony(TestimonyWrite {
                record,
                incident: incident.clone(),
                person: None,
            })
        },
    )?;
    let idx = commit_one(s, change)?;
    Ok((id, idx))
}

/// Opens a testimony's confidential part for `m` (who may read it); the read is logged.
pub fn open_testimony(
    s: &AppState,
    m: &Member,
    row: &TestimonyRow,
) -> Result<TestimonyConfidential, AppError> {
    if !m.role.can_read_confidential() {
        return Err(AppError::Forbidden);
    }
    open_logged(s, m, "testimonies", &row.record)
}

/// A testimony of the member's organisation: internal fields always, the statement and the
/// witness's name and contact only for roles that may read them (and that read is logged).
pub fn testimony_json(s: &AppState, m: &Member, id: &str) -> Result<Value, AppError> {
    let id: TestimonyId = id.parse().map_err(|_| AppError::NotFound)?;
    let row = s
        .ledger
        .store
        .testimony(&m.org, &id)?
        .ok_or(AppError::NotFound)?;
    let mut v = testimony_internal_json(&row)?;
    if m.role.can_read_confidential() {
        let c = open_testimony(s, m, &row)?;
        v["statement"] = json!(c.statement);
        v["witness_name"] = json!(c.witness_name);
        v["witness_contact"] = json!(c.witness_contact);
    }
    Ok(v)
}

/// A testimony's internal fields as JSON.
pub fn testimony_internal_json(row: &TestimonyRow) -> Result<Value, AppError> {
    let internal: TestimonyInternal =
        serde_json::from_str(&row.record.internal).map_err(internal_err)?;
    let mut v = serde_json::to_value(&internal).map_err(internal_err)?;
    v["id"] = json!(row.record.id);
    v["incident"] = json!(row.incident.as_str());
    v["person"] = json!(row.person.as_ref().map(|p| p.as_str()));
    v["version"] = json!(row.record.version);
    v["erased"] = json!(row.record.sealed.is_none());
    v["created_at"] = json!(row.record.created_at.to_rfc3339());
    Ok(v)
}

/// Records a person in the member's organisation.
pub fn create_person(
    s: &AppState,
    m: &Member,
    input: &PersonInput,
) -> Result<(PersonId, u64), AppError> {
    if !m.role.can_write_records() {
        return Err(AppError::Forbidden);
    }
    let (internal, confidential) = input.validate().map_err(AppError::Invalid)?;
    let id = PersonId::random().map_err(internal_err)?;
    let canonical = json!({"internal": internal, "confidential": confidential});
    let internal_json = serde_json::to_string(&internal).map_err(internal_err)?;
    let change = sealed_change(
        s,
        m,
        "people",
        id.as_str(),
        1,
        internal_json,
        &confidential,
        canonical,
        |record| RecordWrite::Person(PersonWrite { record }),
    )?;
    let idx = commit_one(s, change)?;
    Ok((id, idx))
}

/// A person of the member's organisation, like [`testimony_json`].
pub fn person_json(s: &AppState, m: &Member, id: &str) -> Result<Value, AppError> {
    let id: PersonId = id.parse().map_err(|_| AppError::NotFound)?;
    let row = s
        .ledger
        .store
        .person(&m.org, &id)?
        .ok_or(AppError::NotFound)?;
    let internal: PersonInternal = serde_json::from_str(&row.internal).map_err(internal_err)?;
    let mut v = serde_json::to_value(&internal).map_err(internal_err)?;
    v["id"] = json!(row.id);
    v["version"] = json!(row.version);
    v["erased"] = json!(row.sealed.is_none());
    if m.role.can_read_confidential() && row.sealed.is_some() {
        let c: PersonConfidential = open_logged(s, m, "people", &row)?;
        v["name"] = json!(c.name);
        v["contact"] = json!(c.contact);
        v["notes"] = json!(c.notes);
    }
    Ok(v)
}

/// An act in an incident: a violation with its victims and perpetrators (people of the
/// same organisation).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActInput {
    /// The violation type.
    pub violation_type: String,
    /// Person ids of the victims.
    #[serde(default)]
    pub victims: Vec<String>,
    /// Person ids of the perpetrators.
    #[serde(default)]
    pub perpetrators: Vec<String>,
}

/// Records an act in an incident of the member's organisation.
pub fn create_act(
    s: &AppState,
    m: &Member,
    incident: &str,
    input: &ActInput,
) -> Result<(ActId, u64), AppError> {
    if !m.role.can_write_records() {
        return Err(AppError::Forbidden);
    }
    let incident = own_incident(s, m, incident)?;
    let field = |field: &'static str, message: String| {
        AppError::Invalid(vec![gawah_core::incident::FieldError { field, message }])
    };
    if !gawah_core::vocab::VIOLATION_TYPES.contains(&input.violation_type.as_str()) {
        return Err(field(
            "violation_type",
            format!("unknown violation type {:?}", input.violation_type),
        ));
    }
    let parse = |ids: &[String], name: &'static str| -> Result<Vec<PersonId>, AppError> {
        ids.iter()
            .map(|p| {
                p.parse()
                    .map_err(|_| field(name, format!("not a person id: {p:?}")))
            })
            .collect()
    };
    let id = ActId::random().map_err(internal_err)?;
    let write = ActWrite {
        id: id.clone(),
        org: m.org.clone(),
        incident: incident.clone(),
        violation_type: input.violation_type.clone(),
        victims: parse(&input.victims, "victims")?,
        perpetrators: parse(&input.perpetrators, "perpetrators")?,
    };
    let entry = LogEntry::new(
        s.ledger.clock().now(),
        m.id.as_str(),
        Action::Create,
        id.as_str(),
    )
    .with_field("org", m.org.as_str())
    .with_field("incident", incident.as_str());
    let idx = commit_one(
        s,
        Change {
            record: RecordWrite::Act(write),
            entry,
        },
    )?;
    Ok((id, idx))
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))
}

fn created(location: String, id: &str, log_index: u64) -> Response {
    (
        StatusCode::CREATED,
        [("location", location)],
        Json(json!({"id": id, "log_index": log_index})),
    )
        .into_response()
}

/// `POST /api/v1/incidents/{id}/testimonies`.
pub async fn api_create_testimony(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(incident): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let input: TestimonyInput = parse_json(&body)?;
    let (id, idx) = blocking(&state, move |s| create_testimony(s, &m, &incident, &input)).await?;
    Ok(created(
        format!("/api/v1/testimonies/{id}"),
        id.as_str(),
        idx,
    ))
}

/// `GET /api/v1/testimonies/{id}`.
pub async fn api_testimony(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        blocking(&state, move |s| testimony_json(s, &m, &id)).await?,
    ))
}

/// `POST /api/v1/people`.
pub async fn api_create_person(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let input: PersonInput = parse_json(&body)?;
    let (id, idx) = blocking(&state, move |s| create_person(s, &m, &input)).await?;
    Ok(created(format!("/api/v1/people/{id}"), id.as_str(), idx))
}

/// `GET /api/v1/people/{id}`.
pub async fn api_person(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        blocking(&state, move |s| person_json(s, &m, &id)).await?,
    ))
}

/// `POST /api/v1/incidents/{id}/acts`.
pub async fn api_create_act(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(incident): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let input: ActInput = parse_json(&body)?;
    let location = format!("/api/v1/incidents/{incident}/acts");
    let (id, idx) = blocking(&state, move |s| create_act(s, &m, &incident, &input)).await?;
    Ok(created(location, id.as_str(), idx))
}

/// The incident of the member's organisation named in a path.
fn own_incident(s: &AppState, m: &Member, incident: &str) -> Result<IncidentId, AppError> {
    let incident: IncidentId = incident.parse().map_err(|_| AppError::NotFound)?;
    s.ledger
        .store
        .incident(&m.org, &incident)?
        .ok_or(AppError::NotFound)?;
    Ok(incident)
}

/// `GET /api/v1/incidents/{id}/testimonies`: the internal fields of an incident's
/// testimonies (nothing confidential, so no read to log).
pub async fn api_incident_testimonies(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(incident): Path<String>,
) -> Result<Json<Value>, AppError> {
    let v = blocking(&state, move |s| {
        let incident = own_incident(s, &m, &incident)?;
        let testimonies = s
            .ledger
            .store
            .incident_testimonies(&m.org, &incident)?
            .iter()
            .map(testimony_internal_json)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({"testimonies": testimonies}))
    })
    .await?;
    Ok(Json(v))
}

/// `GET /api/v1/incidents/{id}/acts`: who did what to whom, by person id.
pub async fn api_incident_acts(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(incident): Path<String>,
) -> Result<Json<Value>, AppError> {
    let v = blocking(&state, move |s| {
        let incident = own_incident(s, &m, &incident)?;
        let acts: Vec<Value> = s
            .ledger
            .store
            .incident_acts(&m.org, &incident)?
            .into_iter()
            .map(|a| {
                json!({
                    "id": a.id.as_str(),
                    "violation_type": a.violation_type,
                    "victims": a.victims.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                    "perpetrators": a.perpetrators.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({"acts": acts}))
    })
    .await?;
    Ok(Json(v))
}
