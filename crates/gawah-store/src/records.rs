//! The case database seen through the store: organisations, members, credentials, edicts,
//! incidents. Writes go through [`Store::commit`](crate::Store::commit) as
//! [`RecordWrite`](crate::RecordWrite)s; this trait is the read side and the few
//! authentication updates that are not records (sessions, failed-login counters).

use gawah_core::edict::Edict;
use gawah_core::incident::Incident;
use gawah_core::vocab::Role;
use gawah_core::{IncidentId, MemberId, OrgId, Salt, Timestamp};

use crate::error::StoreError;

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    /// Its id.
    pub id: OrgId,
    /// Its name.
    pub name: String,
}

/// A member and the state of their credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Its id.
    pub id: MemberId,
    /// The organisation.
    pub org: OrgId,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// TOTP secret, if enrolled.
    pub totp_secret: Option<Vec<u8>>,
    /// Consecutive failed logins.
    pub failed_logins: u32,
    /// Locked until then, if locked.
    pub locked_until: Option<Timestamp>,
}

/// A new member.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Its id.
    pub id: MemberId,
    /// The organisation.
    pub org: OrgId,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// TOTP secret, if enrolled.
    pub totp_secret: Option<Vec<u8>>,
}

/// An API token as an admin sees it: never the secret, which is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// Whose.
    pub member: MemberId,
    /// When it was created.
    pub created_at: Timestamp,
}

impl ApiTokenRow {
    /// A row as both backends read it: the hash's bytes, the member's id, milliseconds.
    pub(crate) fn from_columns(
        hash: &[u8],
        member: &str,
        created: i64,
    ) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("api token: {what}"));
        Ok(Self {
            token_hash: hash
                .try_into()
                .map_err(|_| corrupt("hash is not 32 bytes"))?,
            member: member.parse().map_err(|_| corrupt("member id"))?,
            created_at: Timestamp::from_millis(created),
        })
    }
}

/// A web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Whose.
    pub member: MemberId,
    /// The form token bound to it.
    pub csrf: String,
    /// Password given, second factor still due.
    pub mfa_pending: bool,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// A new version of an incident: version 1 creates it.
#[derive(Debug, Clone)]
pub struct IncidentWrite {
    /// The incident.
    pub id: IncidentId,
    /// Its organisation.
    pub org: OrgId,
    /// The new content.
    pub incident: Incident,
    /// The new version number; the stored one must be one less.
    pub version: u64,
    /// The commitment salt of this version.
    pub salt: Salt,
    /// The canonical bytes the commitment covers, sealed under the record's data key (bound
    /// to `record_versions.content` of `<id>@<version>`).
    pub content: Vec<u8>,
    /// The confidential fields of this version, sealed under the record's data key (bound to
    /// `incidents.sealed` of the id); `incident` carries none of them.
    pub sealed: Option<Vec<u8>>,
    /// The record's data key, with version 1.
    pub data_key: Option<crate::keys::DataKeyRow>,
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    /// Its id.
    pub id: IncidentId,
    /// Its organisation.
    pub org: OrgId,
    /// Its content.
    pub incident: Incident,
    /// Current version.
    pub version: u64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// The confidential fields, sealed (see [`IncidentWrite::sealed`]).
    pub sealed: Option<Vec<u8>>,
}

/// An incident as a list shows it: its indexed columns, and its stored content as text (not
/// parsed: a page of 50 is read hundreds of times a second, and neither the HTML list nor the
/// API list needs the fields as values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentListRow {
    /// Its id.
    pub id: IncidentId,
    /// Current version.
    pub version: u64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// The source's own reference (as in the content).
    pub reference: Option<String>,
    /// Title (as in the content).
    pub title: String,
    /// Date as given (as in the content).
    pub date: String,
    /// Province code (as in the content).
    pub province: String,
    /// Verification status (as in the content).
    pub verification_status: String,
    /// If [`IncidentQuery::content`] asked for it, the internal fields as stored: the JSON
    /// object of an [`Incident`] as written, with its confidential fields null (they are only
    /// ever stored sealed).
    pub content: Option<String>,
}

/// A stored version of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVersion {
    /// Version number.
    pub version: u64,
    /// Its log entry.
    pub log_index: u64,
    /// The content committed to (sealed, bound to `record_versions.content` of
    /// `<id>@<version>`).
    pub content: Vec<u8>,
    /// The salt of the version's commitment.
    pub salt: gawah_core::Salt,
}

/// Which incidents to list.
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    /// Only this province.
    pub province: Option<String>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
    /// Also read each incident's stored content ([`IncidentListRow::content`]): the API
    /// list gives it, the HTML list does not, and without it a page is read from an index
    /// alone.
    pub content: bool,
}

/// A new evidence item uploaded by a member (see [`RecordWrite::Evidence`](crate::RecordWrite)).
#[derive(Debug, Clone)]
pub struct EvidenceWrite {
    /// The item, its blob already durable.
    pub item: crate::store::NewItem,
    /// The organisation it belongs to.
    pub org: OrgId,
    /// Who uploaded it.
    pub member: MemberId,
    /// The incident it is linked to, if any (of the same organisation).
    pub incident: Option<IncidentId>,
    /// Marked confidential (stored; sealing comes later).
    pub confidential: bool,
    /// The resumable upload it finishes, if any: marked done in the same transaction.
    pub upload: Option<String>,
}

/// An evidence item linked to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedItem {
    /// The item.
    pub item: crate::store::ItemRecord,
    /// Marked confidential.
    pub confidential: bool,
    /// Index of the entry that linked it.
    pub link_index: u64,
}

/// A new resumable upload.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// Its id (`upl_` and 32 hex digits).
    pub id: String,
    /// The organisation of its uploader.
    pub org: OrgId,
    /// Its uploader.
    pub member: MemberId,
    /// Its total length in bytes.
    pub length: u64,
    /// The original file name (final component), if given.
    pub file_name: Option<String>,
    /// The case reference, if given.
    pub case_ref: Option<String>,
    /// The incident to link the item to, if given.
    pub incident: Option<IncidentId>,
    /// Marked confidential.
    pub confidential: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its metadata (the file name) sealed under the upload's data key, bound to
    /// `uploads.sealed` of the id.
    pub sealed: Option<Vec<u8>>,
    /// The upload's data key (it also encrypts the partial file).
    pub data_key: Option<crate::keys::DataKeyRow>,
}

/// The item a finished upload became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadDone {
    /// The item.
    pub item: gawah_core::ItemId,
    /// SHA-256 of its content; `None` for a confidential item (sealed with it).
    pub sha256: Option<gawah_core::Sha256Digest>,
    /// Its size.
    pub bytes: u64,
    /// Index of its intake entry.
    pub log_index: u64,
}

/// A resumable upload as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// Its id.
    pub id: String,
    /// The organisation of its uploader.
    pub org: OrgId,
    /// Its uploader.
    pub member: MemberId,
    /// Its total length in bytes.
    pub length: u64,
    /// The acknowledged offset: bytes durable in the partial file.
    pub offset: u64,
    /// The original file name, if given.
    pub file_name: Option<String>,
    /// The case reference, if given.
    pub case_ref: Option<String>,
    /// The incident to link the item to, if given.
    pub incident: Option<IncidentId>,
    /// Marked confidential.
    pub confidential: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// The item it became, once finished.
    pub done: Option<UploadDone>,
    /// Its sealed metadata (see [`NewUpload::sealed`]).
    pub sealed: Option<Vec<u8>>,
}

/// Evidence uploads: the items linked to incidents, and the state of resumable uploads (which
/// is not a record: it changes with every chunk and is never logged; the item it becomes is).
pub trait UploadStore: Send + Sync {
    /// The items linked to an incident of `org`, oldest first.
    fn incident_items(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<LinkedItem>, StoreError>;
    /// The incidents an item is linked to, with their organisation, oldest link first.
    fn item_incidents(
        &self,
        item: &gawah_core::ItemId,
    ) -> Result<Vec<(OrgId, IncidentId)>, StoreError>;
    /// The folder for the partial files of resumable uploads (`uploads/` beside the
    /// database), created if missing.
    fn uploads_dir(&self) -> Result<std::path::PathBuf, StoreError>;
    /// Stores a new resumable upload at offset 0.
    fn upload_create(&self, upload: &NewUpload) -> Result<(), StoreError>;
    /// A resumable upload, finished or not.
    fn upload(&self, id: &str) -> Result<Option<UploadRow>, StoreError>;
    /// Moves an unfinished upload's offset from `from` to `to`; false (and no change) if its
    /// offset is not `from`, it is finished, or it is gone.
    fn upload_advance(&self, id: &str, from: u64, to: u64) -> Result<bool, StoreError>;
    /// Forgets an upload (its item, if any, stays); false if there was none.
    fn upload_delete(&self, id: &str) -> Result<bool, StoreError>;
}

/// Reads of the case database, and authentication state that is not a record.
pub trait RecordStore:
    Send
    + Sync
    + UploadStore
    + PeopleStore
    + DispositionStore
    + DerivativeStore
    + crate::intake::IntakeStore
    + crate::analysis::AnalysisStore
    + crate::vocab::VocabStore
    + crate::timestamps::TimestampStore
{
    /// Every organisation.
    fn orgs(&self) -> Result<Vec<OrgRow>, StoreError>;
    /// An organisation by name.
    fn org_by_name(&self, name: &str) -> Result<Option<OrgRow>, StoreError>;
    /// A member by login name.
    fn member_by_username(&self, username: &str) -> Result<Option<MemberRow>, StoreError>;
    /// A member by id.
    fn member(&self, id: &MemberId) -> Result<Option<MemberRow>, StoreError>;
    /// Records a failed login, locking the member until `lock_until` if given.
    fn login_failed(&self, id: &MemberId, lock_until: Option<Timestamp>) -> Result<(), StoreError>;
    /// Clears the failed-login counter.
    fn login_succeeded(&self, id: &MemberId) -> Result<(), StoreError>;
    /// Stores a session.
    fn session_put(&self, token_hash: &[u8; 32], session: &SessionRow) -> Result<(), StoreError>;
    /// A session, if it exists and has not expired at `now`.
    fn session(
        &self,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError>;
    /// Ends a session.
    fn session_delete(&self, token_hash: &[u8; 32]) -> Result<(), StoreError>;
    /// The member an API token belongs to.
    fn token_member(&self, token_hash: &[u8; 32]) -> Result<Option<MemberRow>, StoreError>;
    /// Every API token of the instance (their hashes, owners and creation times), oldest
    /// first. A revoked token is gone.
    fn api_tokens(&self) -> Result<Vec<ApiTokenRow>, StoreError>;
    /// Every edict and milestone, by date.
    fn edicts(&self) -> Result<Vec<Edict>, StoreError>;
    /// One incident of an organisation.
    fn incident(&self, org: &OrgId, id: &IncidentId) -> Result<Option<IncidentRow>, StoreError>;
    /// A page of an organisation's incidents, newest first, and the total.
    fn incidents(
        &self,
        org: &OrgId,
        q: &IncidentQuery,
    ) -> Result<(Vec<IncidentListRow>, u64), StoreError>;
    /// The stored versions of a record, oldest first.
    fn versions(&self, subject: &str) -> Result<Vec<RecordVersion>, StoreError>;
    /// Organisations that endorsed the declaration, with the time.
    fn endorsements(&self) -> Result<Vec<(OrgRow, Timestamp)>, StoreError>;
}

/// A new version of a record with sealed fields (a person or a testimony): version 1
/// creates it.
#[derive(Debug, Clone)]
pub struct SealedWrite {
    /// The record's id.
    pub id: String,
    /// Its organisation.
    pub org: OrgId,
    /// The new version number; the stored one must be one less.
    pub version: u64,
    /// The internal fields as JSON (stored in the clear).
    pub internal: String,
    /// The confidential fields, sealed under the record's data key (bound to
    /// `<table>.sealed` of the id).
    pub sealed: Vec<u8>,
    /// The commitment salt of this version.
    pub salt: Salt,
    /// The canonical bytes the commitment covers, sealed (bound to `record_versions.content`
    /// of `<id>@<version>`).
    pub content: Vec<u8>,
    /// The record's data key, with version 1.
    pub data_key: Option<crate::keys::DataKeyRow>,
}

/// A person, written as a [`SealedWrite`].
#[derive(Debug, Clone)]
pub struct PersonWrite {
    /// The record.
    pub record: SealedWrite,
}

/// A testimony, written as a [`SealedWrite`], given in an incident, by a person if known.
#[derive(Debug, Clone)]
pub struct TestimonyWrite {
    /// The record.
    pub record: SealedWrite,
    /// The incident (of the same organisation).
    pub incident: IncidentId,
    /// The person who gave it, if recorded (of the same organisation).
    pub person: Option<gawah_core::PersonId>,
}

/// An act within an incident: a violation, its victims and its perpetrators.
#[derive(Debug, Clone)]
pub struct ActWrite {
    /// Its id.
    pub id: gawah_core::ActId,
    /// The organisation of the incident and the people.
    pub org: OrgId,
    /// The incident.
    pub incident: IncidentId,
    /// The violation type.
    pub violation_type: String,
    /// Victims.
    pub victims: Vec<gawah_core::PersonId>,
    /// Perpetrators.
    pub perpetrators: Vec<gawah_core::PersonId>,
}

/// A stored record with sealed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    /// Its id.
    pub id: String,
    /// Its organisation.
    pub org: OrgId,
    /// The internal fields as JSON.
    pub internal: String,
    /// The confidential fields, sealed; `None` once shredded.
    pub sealed: Option<Vec<u8>>,
    /// Current version.
    pub version: u64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A stored testimony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestimonyRow {
    /// The record.
    pub record: SealedRow,
    /// Its incident.
    pub incident: IncidentId,
    /// Who gave it, if recorded.
    pub person: Option<gawah_core::PersonId>,
}

/// A stored act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActRow {
    /// Its id.
    pub id: gawah_core::ActId,
    /// The violation type.
    pub violation_type: String,
    /// Victims.
    pub victims: Vec<gawah_core::PersonId>,
    /// Perpetrators.
    pub perpetrators: Vec<gawah_core::PersonId>,
}

/// Reads of people, acts and testimonies.
pub trait PeopleStore: Send + Sync {
    /// A person of an organisation.
    fn person(
        &self,
        org: &OrgId,
        id: &gawah_core::PersonId,
    ) -> Result<Option<SealedRow>, StoreError>;
    /// An organisation's people, by id.
    fn people(&self, org: &OrgId) -> Result<Vec<SealedRow>, StoreError>;
    /// A testimony of an organisation.
    fn testimony(
        &self,
        org: &OrgId,
        id: &gawah_core::TestimonyId,
    ) -> Result<Option<TestimonyRow>, StoreError>;
    /// The testimonies given in an incident, oldest first.
    fn incident_testimonies(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<TestimonyRow>, StoreError>;
    /// The acts of an incident.
    fn incident_acts(&self, org: &OrgId, incident: &IncidentId) -> Result<Vec<ActRow>, StoreError>;
}

/// A request to erase a record (crypto-shredding), made by one admin.
#[derive(Debug, Clone)]
pub struct ErasureRequestWrite {
    /// The request's id.
    pub id: gawah_core::ErasureId,
    /// The organisation of the record and the admin.
    pub org: OrgId,
    /// The record to erase (a person or a testimony of the organisation).
    pub record: String,
    /// The admin who asks.
    pub requested_by: MemberId,
}

/// The approval of an erasure by a second admin: destroys the record's data key in the same
/// transaction.
#[derive(Debug, Clone)]
pub struct ErasureApproveWrite {
    /// The request.
    pub id: gawah_core::ErasureId,
    /// The organisation.
    pub org: OrgId,
    /// The approving admin; must not be the one who asked.
    pub approved_by: MemberId,
}

/// An erasure request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRow {
    /// Its id.
    pub id: gawah_core::ErasureId,
    /// The record.
    pub record: String,
    /// Who asked.
    pub requested_by: MemberId,
    /// The entry that logged the request.
    pub request_index: u64,
    /// Who approved, once approved (the record is then erased).
    pub approved_by: Option<MemberId>,
    /// The entry that logged the approval.
    pub approve_index: Option<u64>,
}

/// Erasures and the access report.
pub trait DispositionStore: Send + Sync {
    /// An organisation's erasure requests, newest first.
    fn erasures(&self, org: &OrgId) -> Result<Vec<ErasureRow>, StoreError>;
    /// The custody events by one actor (a member id), newest first, at most `limit`.
    fn custody_by_actor(
        &self,
        actor: &str,
        limit: u64,
    ) -> Result<Vec<crate::store::CustodyEvent>, StoreError>;
}

/// What a derived working copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DerivativeKind {
    /// An image with chosen rectangles blacked out.
    Redaction,
}

impl DerivativeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redaction => "redaction",
        }
    }
}

/// A derived working copy (a redacted image) made from an original item: written as a new
/// uploaded item ([`EvidenceWrite`]) plus its link to the untouched original, with the new
/// item's log entry.
#[derive(Debug, Clone)]
pub struct DerivativeWrite {
    /// The new item, its owner and its incident link, as for an upload.
    pub evidence: EvidenceWrite,
    /// The original (an item of the same organisation).
    pub original: gawah_core::ItemId,
    /// What was done.
    pub kind: DerivativeKind,
    /// How, as JSON (for a redaction: the rectangles).
    pub params: String,
}

/// A stored derivative link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivativeRow {
    /// The derived item.
    pub item: gawah_core::ItemId,
    /// Its original.
    pub original: gawah_core::ItemId,
    /// What was done (`redaction`).
    pub kind: String,
    /// How, as JSON.
    pub params: String,
    /// The entry that logged it (the derived item's).
    pub log_index: u64,
}

/// An item owned by an organisation (uploaded or derived by one of its members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedItem {
    /// The item.
    pub item: crate::store::ItemRecord,
    /// Marked confidential.
    pub confidential: bool,
    /// The incident it is linked to, if any.
    pub incident: Option<IncidentId>,
}

/// Reads of item ownership and of derived working copies.
pub trait DerivativeStore: Send + Sync {
    /// An item of `org`; `None` if unknown, of another organisation, or without an owner
    /// (ingested by the CLI).
    fn owned_item(
        &self,
        org: &OrgId,
        item: &gawah_core::ItemId,
    ) -> Result<Option<OwnedItem>, StoreError>;
    /// The working copies derived from `original`, oldest first.
    fn derivatives(&self, original: &gawah_core::ItemId) -> Result<Vec<DerivativeRow>, StoreError>;
}
