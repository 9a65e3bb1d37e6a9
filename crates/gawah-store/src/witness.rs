//! Witnessing (C2SP tlog-witness): the logs this instance witnesses, the witnesses it asks to
//! cosign its own checkpoints, and the cosignatures they returned.
//!
//! - **Configuration is logged.** Adding or removing a witnessed log or a witness is a state
//!   change like any other: a [`WitnessWrite`] committed with its entry (`create` to add,
//!   `disposition` to remove; subject `witnessed_log:<key id>` or `witness:<key id>`), which
//!   commits to the configuration's canonical JSON under a fresh salt, kept with every
//!   version in `record_versions`. So the log shows whose checkpoints this instance vouches
//!   for, and since when.
//! - **Cosigning is not logged.** Each accepted `add-checkpoint` moves the witnessed log's
//!   state and each received cosignature is stored, but neither writes a log entry: a log
//!   entry changes the log's checkpoint, so two instances witnessing each other would
//!   otherwise ask each other for cosignatures forever. The witness state is the latest
//!   checkpoint itself (signed by its log); cosigning is reported through tracing.
//!
//! Invariant: a witnessed log's state only moves by [`WitnessStore::advance_witnessed_log`],
//! a compare-and-set in one transaction, so two requests can never both be cosigned from the
//! same state: at most one checkpoint is cosigned per size, and the size never goes back.

use gawah_core::{Action, Commitment, LogEntry, Salt, Sha256Digest, Timestamp};
use gawah_log::{CosignatureVerifier, Hash, NoteVerifier};
use serde::Serialize;

use crate::error::StoreError;
use crate::store::{Change, RecordWrite, StoredCheckpoint};

/// A log this instance witnesses, and the latest checkpoint of it that it cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedLog {
    /// The log's origin, which is also its key's name.
    pub origin: String,
    /// The log's verifier key (`<name>+<key id>+<key>`).
    pub key: String,
    /// The size of the latest cosigned checkpoint (0 before the first).
    pub size: u64,
    /// Its root (`None` before the first).
    pub root: Option<Hash>,
    /// The signed note as received (`None` before the first).
    pub note: Option<String>,
    /// Witnessed now; a removed log keeps its state in case it is added again.
    pub active: bool,
    /// The entry that logged the latest change of the configuration.
    pub log_index: u64,
    /// When the state last moved (or the configuration changed).
    pub updated_at: Timestamp,
}

/// A tree head a witness holds: what an `add-checkpoint` request's old size must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WitnessedHead {
    /// Size (0 before the first checkpoint).
    pub size: u64,
    /// Root (`None` before the first checkpoint).
    pub root: Option<Hash>,
}

impl WitnessedLog {
    /// The head this log's state holds.
    pub fn head(&self) -> WitnessedHead {
        WitnessedHead {
            size: self.size,
            root: self.root,
        }
    }
}

/// A checkpoint a witness accepted: the state it moves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedCheckpoint {
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The note as received.
    pub note: String,
}

/// A witness this instance asks to cosign its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The witness's key name.
    pub name: String,
    /// Its verifier key (`<name>+<key id>+<base64(0x04 ‖ key)>`).
    pub key: String,
    /// Its submission prefix: requests go to `<url>/add-checkpoint`.
    pub url: String,
    /// Asked now.
    pub active: bool,
    /// The entry that logged the latest change of the configuration.
    pub log_index: u64,
}

/// A cosignature received for one of this instance's checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The checkpoint's size.
    pub size: u64,
    /// The witness's verifier key.
    pub witness_key: String,
    /// The signature line, newline included, verified before it was stored.
    pub line: String,
    /// When the witness says it cosigned (POSIX seconds).
    pub time: u64,
}

/// A change of the witnessing configuration, written with its log entry.
#[derive(Debug, Clone)]
pub enum WitnessWrite {
    /// Witness a log (again): its state, if it had one, is kept.
    AddLog {
        /// The log's origin (its key's name).
        origin: String,
        /// Its verifier key.
        key: String,
    },
    /// Stop witnessing a log.
    RemoveLog {
        /// The log's origin.
        origin: String,
    },
    /// Ask a witness (again).
    Add {
        /// The witness's key name.
        name: String,
        /// Its verifier key.
        key: String,
        /// Its submission prefix.
        url: String,
    },
    /// Stop asking a witness.
    Remove {
        /// The witness's key name.
        name: String,
    },
}

impl WitnessWrite {
    /// Why the write changed no row: what it adds is there already, or what it removes is
    /// not. The same on every backend.
    pub(crate) fn not_applied(&self) -> crate::error::StoreError {
        use crate::error::StoreError;
        match self {
            WitnessWrite::AddLog { origin, .. } => {
                StoreError::Conflict(format!("the log {origin} is witnessed already"))
            }
            WitnessWrite::Add { name, .. } => {
                StoreError::Conflict(format!("the witness {name} is configured already"))
            }
            WitnessWrite::RemoveLog { origin } => {
                StoreError::NotFound(format!("witnessed log {origin}"))
            }
            WitnessWrite::Remove { name } => StoreError::NotFound(format!("witness {name}")),
        }
    }
}

/// A [`WitnessWrite`] with the salt and canonical content its entry commits to.
#[derive(Debug, Clone)]
pub struct WitnessChange {
    /// What changes.
    pub write: WitnessWrite,
    /// The entry's subject, under which the version is kept.
    pub subject: String,
    /// The commitment salt.
    pub salt: Salt,
    /// The canonical JSON committed to.
    pub content: Vec<u8>,
}

/// The configuration as committed, fields in byte order (canonical JSON).
#[derive(Serialize)]
struct Committed<'a> {
    active: bool,
    key: &'a str,
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

fn change(
    time: Timestamp,
    actor: &str,
    write: WitnessWrite,
    what: Committed<'_>,
    key_id: [u8; 4],
) -> Result<Change, StoreError> {
    let content = serde_json::to_vec(&what).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let salt = Salt::random().map_err(|e| StoreError::Database(e.to_string()))?;
    let subject = format!("{}:{}", what.kind, hex::encode(key_id));
    let action = if what.active {
        Action::Create
    } else {
        Action::Disposition
    };
    let entry = LogEntry::new(time, actor, action, &subject)
        .with_commitment(Commitment::new(&salt, &Sha256Digest::of(&content)));
    let record = RecordWrite::Witness(WitnessChange {
        write,
        subject,
        salt,
        content,
    });
    Ok(Change { record, entry })
}

/// The change that makes this instance witness the log whose key is `log`.
pub fn add_log_change(
    time: Timestamp,
    actor: &str,
    log: &NoteVerifier,
) -> Result<Change, StoreError> {
    let key = log.verifier_key();
    let what = Committed {
        active: true,
        key: &key,
        kind: "witnessed_log",
        name: log.name(),
        url: None,
    };
    let write = WitnessWrite::AddLog {
        origin: log.name().to_owned(),
        key: key.clone(),
    };
    change(time, actor, write, what, log.key_id())
}

/// The change that stops witnessing `log`.
pub fn remove_log_change(
    time: Timestamp,
    actor: &str,
    log: &WitnessedLog,
) -> Result<Change, StoreError> {
    let verifier = NoteVerifier::parse(&log.key)
        .map_err(|e| StoreError::Corrupt(format!("stored key of {}: {e}", log.origin)))?;
    let what = Committed {
        active: false,
        key: &log.key,
        kind: "witnessed_log",
        name: &log.origin,
        url: None,
    };
    let write = WitnessWrite::RemoveLog {
        origin: log.origin.clone(),
    };
    change(time, actor, write, what, verifier.key_id())
}

/// The change that makes this instance ask `witness` at `url` to cosign.
pub fn add_witness_change(
    time: Timestamp,
    actor: &str,
    witness: &CosignatureVerifier,
    url: &str,
) -> Result<Change, StoreError> {
    check_url(url)?;
    let key = witness.verifier_key();
    let what = Committed {
        active: true,
        key: &key,
        kind: "witness",
        name: witness.name(),
        url: Some(url),
    };
    let write = WitnessWrite::Add {
        name: witness.name().to_owned(),
        key: key.clone(),
        url: url.to_owned(),
    };
    change(time, actor, write, what, witness.key_id())
}

/// The change that stops asking `witness`.
pub fn remove_witness_change(
    time: Timestamp,
    actor: &str,
    witness: &Witness,
) -> Result<Change, StoreError> {
    let verifier = CosignatureVerifier::parse(&witness.key)
        .map_err(|e| StoreError::Corrupt(format!("stored key of {}: {e}", witness.name)))?;
    let what = Committed {
        active: false,
        key: &witness.key,
        kind: "witness",
        name: &witness.name,
        url: Some(&witness.url),
    };
    let write = WitnessWrite::Remove {
        name: witness.name.clone(),
    };
    change(time, actor, write, what, verifier.key_id())
}

/// A submission prefix: `http://` or `https://`, printable ASCII, no query or fragment, at
/// most 1024 bytes (it is stored and put in requests as given).
pub fn check_url(url: &str) -> Result<(), StoreError> {
    let bad = |why: &str| StoreError::Invalid(format!("witness URL {url:?}: {why}"));
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("must start with http:// or https://"))?;
    if url.len() > 1024 || rest.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("must be a short URL of printable ASCII"));
    }
    if url.contains(['?', '#']) {
        return Err(bad("must not hold a query or fragment"));
    }
    Ok(())
}

/// The checkpoint's note with every stored cosignature of its size appended: still a valid
/// signed note for the log's key, and what bundles carry.
pub fn cosigned_note(
    store: &dyn WitnessStore,
    checkpoint: &StoredCheckpoint,
) -> Result<String, StoreError> {
    let mut note = checkpoint.note.clone();
    for c in store.cosignatures(checkpoint.size)? {
        if !note.contains(&c.line) {
            note.push_str(&c.line);
        }
    }
    Ok(note)
}

/// Witness state and configuration.
///
/// Contract:
/// - Configuration changes go through [`Store::commit`](crate::Store::commit) as
///   [`RecordWrite::Witness`], with their entries; everything here else writes no entry.
/// - **Compare-and-set**: [`advance_witnessed_log`](WitnessStore::advance_witnessed_log)
///   moves a log's state only if it still is `from`, in one transaction; it is durable when
///   it returns `true`.
/// - Reads see committed state.
pub trait WitnessStore: Send + Sync {
    /// Every log ever witnessed (active or not), by origin.
    fn witnessed_logs(&self) -> Result<Vec<WitnessedLog>, StoreError>;
    /// One witnessed log by origin, active or not.
    fn witnessed_log(&self, origin: &str) -> Result<Option<WitnessedLog>, StoreError>;
    /// Moves an active log's state from `from` to `to`; `false` (and nothing written) if the
    /// log is not active or its state is no longer `from`.
    fn advance_witnessed_log(
        &self,
        origin: &str,
        from: WitnessedHead,
        to: &WitnessedCheckpoint,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Every witness ever configured (active or not), by name.
    fn witnesses(&self) -> Result<Vec<Witness>, StoreError>;
    /// Stores a verified cosignature of this instance's checkpoint of `c.size` (which must
    /// exist), replacing an older one by the same key for that size.
    fn put_cosignature(&self, c: &StoredCosignature, now: Timestamp) -> Result<(), StoreError>;
    /// The cosignatures stored for the checkpoint of `size`, by witness key.
    fn cosignatures(&self, size: u64) -> Result<Vec<StoredCosignature>, StoreError>;
    /// The largest size the witness with this key has cosigned, if any.
    fn last_cosigned_size(&self, witness_key: &str) -> Result<Option<u64>, StoreError>;
}
