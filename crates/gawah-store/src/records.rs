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
    /// The canonical bytes the commitment covers.
    pub content: Vec<u8>,
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
}

/// A stored version of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVersion {
    /// Version number.
    pub version: u64,
    /// Its log entry.
    pub log_index: u64,
    /// The content committed to.
    pub content: Vec<u8>,
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
}

/// The item a finished upload became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadDone {
    /// The item.
    pub item: gawah_core::ItemId,
    /// SHA-256 of its content.
    pub sha256: gawah_core::Sha256Digest,
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
pub trait RecordStore: Send + Sync + UploadStore {
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
    /// Every edict and milestone, by date.
    fn edicts(&self) -> Result<Vec<Edict>, StoreError>;
    /// One incident of an organisation.
    fn incident(&self, org: &OrgId, id: &IncidentId) -> Result<Option<IncidentRow>, StoreError>;
    /// A page of an organisation's incidents, newest first, and the total.
    fn incidents(
        &self,
        org: &OrgId,
        q: &IncidentQuery,
    ) -> Result<(Vec<IncidentRow>, u64), StoreError>;
    /// The stored versions of a record, oldest first.
    fn versions(&self, subject: &str) -> Result<Vec<RecordVersion>, StoreError>;
    /// Organisations that endorsed the declaration, with the time.
    fn endorsements(&self) -> Result<Vec<(OrgRow, Timestamp)>, StoreError>;
}
