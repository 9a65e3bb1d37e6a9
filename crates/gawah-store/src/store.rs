//! The `Store` trait: records, custody events and the transparency log in one database.

use std::fmt;

use gawah_core::{ItemId, LogEntry, Salt, Sha256Digest, Timestamp};
use gawah_log::{Hash, HashReader};

use crate::blob::BlobKey;
use crate::error::StoreError;

/// The log's current size and root, kept in the same transaction as every append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHead {
    /// Number of entries.
    pub size: u64,
    /// RFC 6962 root of those entries.
    pub root: Hash,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size it signs.
    pub size: u64,
    /// Root it signs.
    pub root: Hash,
    /// The full signed note.
    pub note: String,
}

/// A new evidence item, its blob already durable.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The new item's id.
    pub id: ItemId,
    /// SHA-256 of the original.
    pub sha256: Sha256Digest,
    /// Size of the original.
    pub bytes: u64,
    /// The commitment salt.
    pub salt: Salt,
    /// The case it belongs to, if any.
    pub case_ref: Option<String>,
    /// The confidential metadata ([`ItemMeta`]: the original file name, and for a
    /// confidential item its SHA-256 and salt), sealed under the item's data key, bound to
    /// `items.sealed` of the id.
    pub sealed: Option<Vec<u8>>,
    /// The item's data key.
    pub data_key: Option<crate::keys::DataKeyRow>,
    /// For content stored sealed: the sealed blob's key (the BLAKE3 of its bytes).
    pub blob: Option<BlobKey>,
    /// A confidential item: its SHA-256 and salt are stored only inside `sealed`.
    pub confidential: bool,
}

/// An item's confidential metadata, sealed in `items.sealed`.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemMeta {
    /// The original file name (final path component only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// A confidential item's SHA-256 (hex), kept only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// A confidential item's commitment salt (hex), kept only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

impl fmt::Debug for ItemMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ItemMeta(<redacted>)")
    }
}

/// An evidence item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// The item's id.
    pub id: ItemId,
    /// SHA-256 of the original; `None` for a confidential item (it is in `sealed`).
    pub sha256: Option<Sha256Digest>,
    /// Size of the original.
    pub bytes: u64,
    /// The commitment salt; `None` for a confidential item (it is in `sealed`).
    pub salt: Option<Salt>,
    /// Where the stored bytes are: the original's SHA-256 for a plain blob, the sealed
    /// bytes' BLAKE3 for a sealed one (their SHA-256 for one sealed before BLAKE3
    /// addressing).
    pub blob: BlobKey,
    /// The case it belongs to, if any.
    pub case_ref: Option<String>,
    /// The original file name, if recorded before names were sealed (older data dirs).
    pub file_name: Option<String>,
    /// The confidential metadata, sealed ([`NewItem::sealed`]).
    pub sealed: Option<Vec<u8>>,
    /// When it entered custody.
    pub created_at: Timestamp,
    /// Index of its intake entry in the log.
    pub log_index: u64,
}

impl ItemRecord {
    /// Whether the stored blob is sealed (not the original's bytes).
    pub fn blob_sealed(&self) -> bool {
        self.sha256.map(BlobKey::from) != Some(self.blob)
    }

    /// The size of the stored blob.
    pub fn blob_bytes(&self) -> u64 {
        if self.blob_sealed() {
            gawah_core::seal::stream::sealed_len(self.bytes)
        } else {
            self.bytes
        }
    }
}

/// One custody event: an index into the log, by subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEvent {
    /// Index of the entry in the log.
    pub log_index: u64,
    /// The entry's subject.
    pub subject: String,
    /// The entry's action.
    pub action: String,
    /// The entry's actor.
    pub actor: String,
    /// The entry's time.
    pub time: Timestamp,
}

/// A record written together with its log entry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RecordWrite {
    /// No record, only the event (a view, an export).
    None,
    /// A new evidence item.
    Item(NewItem),
    /// A new organisation.
    Org {
        /// Its id.
        id: gawah_core::OrgId,
        /// Its name.
        name: String,
    },
    /// A new member.
    Member(crate::records::NewMember),
    /// A new API token (stored as its SHA-256).
    ApiToken {
        /// Whose.
        member: gawah_core::MemberId,
        /// SHA-256 of the token.
        token_hash: [u8; 32],
    },
    /// An API token revoked: its row is deleted, so it no longer authenticates. Refused
    /// (`NotFound`) if the member has no such token.
    RevokeApiToken {
        /// Whose.
        member: gawah_core::MemberId,
        /// SHA-256 of the token.
        token_hash: [u8; 32],
    },
    /// An edict or milestone, inserted or replaced.
    Edict(gawah_core::edict::Edict),
    /// A new version of an incident.
    Incident(crate::records::IncidentWrite),
    /// An organisation endorses the declaration.
    Endorsement {
        /// Which.
        org: gawah_core::OrgId,
    },
    /// A new evidence item uploaded by a member: the item, its owner, and its link to an
    /// incident, all written with the item's intake entry.
    Evidence(crate::records::EvidenceWrite),
    /// A new organisation key (an organisation's first).
    OrgKey(crate::keys::OrgKeyRow),
    /// A key rotation: the new version and every data key of the scope rewrapped.
    RotateKey(crate::keys::Rotation),
    /// A new passphrase or key file: the keyring row and every organisation key resealed.
    Rekey {
        /// The new keyring row.
        ring: crate::keys::KeyringRow,
        /// Every organisation key, resealed.
        keys: Vec<crate::keys::OrgKeyRow>,
    },
    /// A person, version 1 or a new version.
    Person(crate::records::PersonWrite),
    /// A testimony, version 1 or a new version.
    Testimony(crate::records::TestimonyWrite),
    /// An act within an incident and the people in it.
    Act(crate::records::ActWrite),
    /// One admin asks to erase a record.
    ErasureRequest(crate::records::ErasureRequestWrite),
    /// A second admin approves: the record's data key is destroyed.
    ErasureApprove(crate::records::ErasureApproveWrite),
    /// A derived working copy (a redacted image): the new item as an upload, and its link to
    /// the untouched original.
    Derivative(crate::records::DerivativeWrite),
    /// An organisation's intake key for anonymous submissions.
    IntakeKey(crate::intake::IntakeKeyWrite),
    /// A new anonymous submission and its first part.
    Submission(crate::intake::SubmissionWrite),
    /// A further part of an anonymous submission.
    SubmissionPart(crate::intake::SubmissionPartWrite),
    /// A submission's new status.
    SubmissionStatus(crate::intake::SubmissionStatusWrite),
    /// Two incidents an analyst judged to be reports of the same event.
    IncidentLink(crate::analysis::LinkWrite),
    /// A version of a vocabulary term of an organisation.
    Vocab(crate::vocab::VocabWrite),
    /// A change of the witnessing configuration: a log witnessed, a witness asked.
    Witness(crate::witness::WitnessChange),
}

/// One state change: a record write and the entry that logs it, committed together.
#[derive(Debug, Clone)]
pub struct Change {
    /// What to write.
    pub record: RecordWrite,
    /// The entry that logs it; its custody event is derived from it.
    pub entry: LogEntry,
}

/// Called with each entry's index and bytes, in order.
pub type EntryVisitor<'a> = dyn FnMut(u64, &[u8]) -> Result<(), StoreError> + 'a;

/// The record store.
///
/// Contract:
/// - **Atomicity**: [`commit`](Store::commit) writes every record, custody event and log entry
///   of the batch and moves the log head in one transaction: after a crash, all of it or none
///   of it is there. It returns only after that transaction is durable.
/// - **Serialisation**: appends from any number of handles, threads and processes on one store
///   are serialised by the database; each reads the head inside its own transaction and never
///   trusts an in-memory copy.
/// - **Monotonicity**: the log only grows; at most one checkpoint is stored per size, and never
///   one for a size larger than the head.
/// - **Reads** see a consistent snapshot of committed state.
/// - **Errors**: [`StoreError::is_retryable`] tells whether trying again may help. Only an
///   `Ok` from `commit` acknowledges a batch: after a connection lost during the commit
///   (PostgreSQL) the batch may or may not be there, and the error says to retry.
pub trait Store: HashReader + Send + Sync + fmt::Debug {
    /// The log head.
    fn head(&self) -> Result<LogHead, StoreError>;
    /// Commits a batch of changes; returns the log index of each, in order.
    fn commit(&self, changes: &[Change]) -> Result<Vec<u64>, StoreError>;
    /// The raw bytes of entry `index`.
    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError>;
    /// Calls `f` with each entry in `[start, end)`, in order.
    fn for_each_entry(
        &self,
        start: u64,
        end: u64,
        f: &mut EntryVisitor<'_>,
    ) -> Result<(), StoreError>;
    /// An evidence item.
    fn item(&self, id: &ItemId) -> Result<Option<ItemRecord>, StoreError>;
    /// Calls `f` with every evidence item.
    fn for_each_item(
        &self,
        f: &mut dyn FnMut(ItemRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// The custody events of one subject, oldest first.
    fn custody(&self, subject: &str) -> Result<Vec<CustodyEvent>, StoreError>;
    /// Every stored checkpoint, smallest size first.
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// The checkpoint with the largest size, if any.
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// The checkpoint for the current head, signing one with `sign` if none exists yet.
    /// `sign` receives the head and returns the signed note text.
    fn checkpoint_head(
        &self,
        sign: &dyn Fn(LogHead) -> Result<String, StoreError>,
    ) -> Result<StoredCheckpoint, StoreError>;
}

/// The whole database: the log and records ([`Store`]), the case database's reads
/// ([`RecordStore`](crate::records::RecordStore)), the keys and the witness state.
pub trait Database:
    Store + crate::records::RecordStore + crate::keys::KeyStore + crate::witness::WitnessStore
{
    /// Upcast, for code that needs only the keys.
    fn as_key_store(&self) -> &dyn crate::keys::KeyStore;
}

impl<T: Store + crate::records::RecordStore + crate::keys::KeyStore + crate::witness::WitnessStore>
    Database for T
{
    fn as_key_store(&self) -> &dyn crate::keys::KeyStore {
        self
    }
}
