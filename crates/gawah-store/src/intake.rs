//! Anonymous intake: each organisation's intake key (an age X25519 recipient, and its identity
//! sealed under a data key of the organisation), and the submissions witnesses make through
//! the public form, every part encrypted to the recipient before it reaches the store.
//!
//! The store never sees a submission's plaintext: a part is stored as the age ciphertext the
//! web server made in memory. Nothing about the sender is kept: no address, no user agent, and
//! times only to the day. The witness's receipt code is kept only as its SHA-256.

use gawah_core::{Id, IdKind, OrgId};

use crate::error::StoreError;
use crate::records::OrgRow;

/// The kind of submission ids (`sub_` and 26 characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubmissionKind;

impl IdKind for SubmissionKind {
    const PREFIX: &'static str = "sub_";
    const NAME: &'static str = "a submission";
}

/// The id of an anonymous submission. Made with [`Id::at`] the start of its day, so that the
/// id tells no more than the day it arrived.
pub type SubmissionId = Id<SubmissionKind>;

/// The data key record that seals an organisation's intake identity.
pub fn intake_key_record(org: &OrgId) -> String {
    format!("intake:{org}")
}

/// Where a submission stands, as the witness sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionStatus {
    /// Arrived; nobody has looked at it yet.
    Received,
    /// A member is looking at it.
    UnderReview,
    /// Done with; no more parts are taken.
    Closed,
}

impl SubmissionStatus {
    /// Every status, in order.
    pub const ALL: [Self; 3] = [Self::Received, Self::UnderReview, Self::Closed];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::UnderReview => "under_review",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An organisation's new intake key (its first; there is one per organisation).
#[derive(Debug, Clone)]
pub struct IntakeKeyWrite {
    /// The organisation.
    pub org: OrgId,
    /// The age X25519 recipient (`age1...`), public.
    pub recipient: String,
    /// The identity (`AGE-SECRET-KEY-1...`) sealed under `data_key`, bound to
    /// `intake_keys.identity` of the organisation id.
    pub identity: Vec<u8>,
    /// The data key (record [`intake_key_record`]) wrapped under the organisation key, so
    /// that a rotation of the organisation key rewraps it like any other.
    pub data_key: crate::keys::DataKeyRow,
}

/// An organisation's intake key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeKeyRow {
    /// The organisation.
    pub org: OrgId,
    /// The age X25519 recipient.
    pub recipient: String,
    /// The identity, sealed (see [`IntakeKeyWrite::identity`]).
    pub identity: Vec<u8>,
}

/// A new submission and its first part.
#[derive(Debug, Clone)]
pub struct SubmissionWrite {
    /// Its id.
    pub id: SubmissionId,
    /// The organisation it was sent to (which must have an intake key).
    pub org: OrgId,
    /// SHA-256 of the witness's receipt code.
    pub receipt_hash: [u8; 32],
    /// The day it arrived, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The first part, age-encrypted to the organisation's recipient.
    pub sealed: Vec<u8>,
}

/// A further part added by the witness with the receipt code.
#[derive(Debug, Clone)]
pub struct SubmissionPartWrite {
    /// The submission.
    pub id: SubmissionId,
    /// Its part number: one more than the parts it has (a concurrent addition conflicts).
    pub part: u32,
    /// The day it arrived.
    pub day: String,
    /// The part, age-encrypted to the organisation's recipient.
    pub sealed: Vec<u8>,
}

/// A member moves a submission of their organisation to another status.
#[derive(Debug, Clone)]
pub struct SubmissionStatusWrite {
    /// The submission.
    pub id: SubmissionId,
    /// The member's organisation; another organisation's submission is not found.
    pub org: OrgId,
    /// The new status.
    pub status: SubmissionStatus,
    /// The day of the change.
    pub day: String,
}

/// A submission as stored, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRow {
    /// Its id.
    pub id: SubmissionId,
    /// The organisation it was sent to.
    pub org: OrgId,
    /// Where it stands.
    pub status: SubmissionStatus,
    /// The day it arrived.
    pub created_day: String,
    /// The day of its last part or change of status.
    pub updated_day: String,
    /// How many parts it has.
    pub parts: u32,
}

/// One stored part of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionPart {
    /// Its number, from 1.
    pub part: u32,
    /// The age ciphertext.
    pub sealed: Vec<u8>,
    /// The day it arrived.
    pub created_day: String,
    /// The entry that logged its arrival.
    pub log_index: u64,
}

/// Reads of intake keys and submissions.
pub trait IntakeStore: Send + Sync {
    /// An organisation's intake key, if it has one.
    fn intake_key(&self, org: &OrgId) -> Result<Option<IntakeKeyRow>, StoreError>;
    /// The organisations that take submissions (those with an intake key), by name.
    fn intake_orgs(&self) -> Result<Vec<OrgRow>, StoreError>;
    /// The submission whose receipt code has this SHA-256, of any organisation.
    fn submission_by_receipt(
        &self,
        receipt_hash: &[u8; 32],
    ) -> Result<Option<SubmissionRow>, StoreError>;
    /// One submission of an organisation.
    fn submission(
        &self,
        org: &OrgId,
        id: &SubmissionId,
    ) -> Result<Option<SubmissionRow>, StoreError>;
    /// An organisation's submissions, newest first, at most `limit`.
    fn submissions(&self, org: &OrgId, limit: u64) -> Result<Vec<SubmissionRow>, StoreError>;
    /// The parts of a submission, in order.
    fn submission_parts(&self, id: &SubmissionId) -> Result<Vec<SubmissionPart>, StoreError>;
}
