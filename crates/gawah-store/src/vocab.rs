//! An organisation's editable vocabularies, with labels in English, Dari and Pashto.
//!
//! - **Perpetrator institutions** ([`VocabKind::Institution`]) are an open list: admins add
//!   terms, change their labels and retire them. A retired term is no longer offered for new
//!   incidents but still names what old incidents recorded, so terms are never deleted.
//! - **Violation types and verification statuses** are fixed lists of keys
//!   (`gawah_core::vocab`): admins may only override a key's label in a language; without an
//!   override the interface's own message is shown. Their keys are not editable, not
//!   retirable and not deletable because they carry meaning beyond one organisation's pages:
//!   violation types are the API's `violation_types` values, the ten domains the charts
//!   stack, and the domains the public figures add up across every organisation; statuses are
//!   the API's `verification_status` values and decide what the public figures count
//!   (`disputed` is left out). A renamed or removed key would silently change the meaning of
//!   stored incidents and of published numbers.
//!
//! Every change is a logged state change: a [`VocabWrite`] committed with an entry (action
//! `create` for version 1, else `update`; subject [`subject`]) that commits to the term's
//! canonical JSON under a fresh salt; the content and salt of every version are kept in
//! `record_versions`, like an incident's. Labels are internal, not confidential, so the
//! content is stored in the clear.

use std::fmt;
use std::str::FromStr;

use gawah_core::incident::FieldError;
use gawah_core::vocab::{VERIFICATION_STATUSES, VIOLATION_TYPES};
use gawah_core::{Action, Commitment, LogEntry, OrgId, Salt, Sha256Digest, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::store::{Change, RecordWrite};

/// Longest key, in bytes: the log subject `vocab:<org>:<vocab>:<key>` stays a token of at
/// most 128 bytes.
pub const MAX_KEY: usize = 48;
/// Longest label, in characters.
pub const MAX_LABEL: usize = 120;

/// Which vocabulary a term belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VocabKind {
    /// Perpetrator institutions: open, per organisation.
    Institution,
    /// Violation types (domains): fixed keys, labels may be overridden.
    ViolationType,
    /// Verification statuses: fixed keys, labels may be overridden.
    VerificationStatus,
}

impl VocabKind {
    /// Every vocabulary.
    pub const ALL: [VocabKind; 3] = [
        VocabKind::Institution,
        VocabKind::ViolationType,
        VocabKind::VerificationStatus,
    ];

    /// The name in URLs, the API and log subjects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Institution => "institution",
            Self::ViolationType => "violation_type",
            Self::VerificationStatus => "verification_status",
        }
    }

    /// The only keys a fixed vocabulary has; `None` for an open one.
    pub fn fixed_keys(self) -> Option<&'static [&'static str]> {
        match self {
            Self::Institution => None,
            Self::ViolationType => Some(&VIOLATION_TYPES),
            Self::VerificationStatus => Some(&VERIFICATION_STATUSES),
        }
    }
}

impl FromStr for VocabKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown vocabulary {s:?}"))
    }
}

impl fmt::Display for VocabKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One term as committed: its canonical JSON (fields in this order, which is byte order) is
/// what the log entry's commitment covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VocabTerm {
    /// Offered for new incidents (always true in a fixed vocabulary).
    pub active: bool,
    /// The English label; for a fixed vocabulary an override, `None` for the default.
    pub en: Option<String>,
    /// The Dari label, if given.
    pub fa: Option<String>,
    /// The stable key: what incidents and the API store.
    pub key: String,
    /// The Pashto label, if given.
    pub ps: Option<String>,
    /// The vocabulary.
    pub vocab: VocabKind,
}

fn field(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn is_key(key: &str) -> bool {
    key.len() <= MAX_KEY
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

/// A label as typed: trimmed, and `None` when empty.
pub fn label(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl VocabTerm {
    /// The label in `lang` (`en`, `fa`, `ps`), if this term has one.
    pub fn label(&self, lang: &str) -> Option<&str> {
        match lang {
            "fa" => self.fa.as_deref(),
            "ps" => self.ps.as_deref(),
            _ => self.en.as_deref(),
        }
    }

    /// Every rule a term must keep; all errors, by the API's field names.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        match self.vocab.fixed_keys() {
            Some(keys) if !keys.contains(&self.key.as_str()) => errors.push(field(
                "key",
                format!(
                    "the keys of {} are fixed: one of {}",
                    self.vocab,
                    keys.join(", ")
                ),
            )),
            Some(_) if !self.active => errors.push(field(
                "active",
                "a term of a fixed vocabulary cannot be retired",
            )),
            Some(_) => {}
            None if !is_key(&self.key) => errors.push(field(
                "key",
                format!(
                    "a key is 1 to {MAX_KEY} of a-z, 0-9 and _, starting with a letter (it is stored in incidents and named in the public log)"
                ),
            )),
            None if self.en.is_none() => errors.push(field("en", "an English label is required")),
            None => {}
        }
        for (name, value) in [("en", &self.en), ("fa", &self.fa), ("ps", &self.ps)] {
            let Some(v) = value else { continue };
            if v.trim().is_empty() || v.trim() != v {
                errors.push(field(name, "must not be blank or start or end with spaces"));
            } else if v.chars().count() > MAX_LABEL {
                errors.push(field(name, format!("at most {MAX_LABEL} characters")));
            } else if v.chars().any(char::is_control) {
                errors.push(field(name, "must be one line of text"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The canonical bytes the commitment covers.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(self).map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

/// The log subject of a term: `vocab:<org>:<vocab>:<key>`, a token because the key is one.
pub fn subject(org: &OrgId, vocab: VocabKind, key: &str) -> String {
    format!("vocab:{org}:{vocab}:{key}")
}

/// A version of a term, written with its log entry.
#[derive(Debug, Clone)]
pub struct VocabWrite {
    /// The organisation.
    pub org: OrgId,
    /// The term.
    pub term: VocabTerm,
    /// The new version; 1 creates the term, otherwise the stored one must be one less.
    pub version: u64,
    /// The commitment salt of this version.
    pub salt: Salt,
    /// The canonical bytes committed to ([`VocabTerm::canonical_bytes`]).
    pub content: Vec<u8>,
}

/// A term as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabTermRow {
    /// The organisation.
    pub org: OrgId,
    /// The term.
    pub term: VocabTerm,
    /// Current version.
    pub version: u64,
    /// The entry that logged the current version.
    pub log_index: u64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// The change that writes `version` of `term` for `org` as `actor` at `time`: the record and
/// its entry, committing to the canonical content under a fresh salt. Refuses an invalid term.
pub fn term_change(
    time: Timestamp,
    actor: &str,
    org: &OrgId,
    term: VocabTerm,
    version: u64,
) -> Result<Change, StoreError> {
    term.validate().map_err(invalid)?;
    let content = term.canonical_bytes()?;
    let salt = Salt::random().map_err(|e| StoreError::Database(e.to_string()))?;
    let action = if version == 1 {
        Action::Create
    } else {
        Action::Update
    };
    let entry = LogEntry::new(time, actor, action, &subject(org, term.vocab, &term.key))
        .with_commitment(Commitment::new(&salt, &Sha256Digest::of(&content)))
        .with_field("org", org.as_str());
    let record = RecordWrite::Vocab(VocabWrite {
        org: org.clone(),
        term,
        version,
        salt,
        content,
    });
    Ok(Change { record, entry })
}

/// Field errors as one store error.
pub fn invalid(errors: Vec<FieldError>) -> StoreError {
    StoreError::Invalid(
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Reads of the vocabularies.
///
/// Contract: reads see committed state; terms are never deleted, so a key once read stays
/// readable (perhaps retired, perhaps relabelled).
pub trait VocabStore: Send + Sync {
    /// Every term of an organisation, by vocabulary, then key.
    fn vocab_terms(&self, org: &OrgId) -> Result<Vec<VocabTermRow>, StoreError>;
    /// One term of an organisation.
    fn vocab_term(
        &self,
        org: &OrgId,
        vocab: VocabKind,
        key: &str,
    ) -> Result<Option<VocabTermRow>, StoreError>;
}
