//! Anonymous intake: witnesses submit through the public form at `/submit` with no account;
//! members of the organisation read the submissions at `/intake` (and the API).
//!
//! What protects the witness:
//! - **Sealed on arrival.** Each part is serialised as JSON in memory and encrypted with age
//!   (X25519) to the organisation's intake recipient before anything is written; the store
//!   holds only the ciphertext, padded to a multiple of [`PAD`] bytes so that its length tells
//!   little of the text's. The identity that opens it is sealed under a data key of the
//!   organisation (so under the organisation key, the KEK and the passphrase).
//! - **Nothing about the sender.** No IP address, user agent or session is stored or logged
//!   for a submission. The log entry's actor is [`ANONYMOUS`] and its time, like the stored
//!   days and the id, is the start of the UTC day, because the log is public and an exact
//!   time could be matched against a watched network connection. The rate limiters key on
//!   the client address in memory only: never persisted, never logged, forgotten after their
//!   window. (Behind a reverse proxy or an onion service every client shares one address, and
//!   so one allowance.)
//! - **Receipt code.** 160 random bits in Crockford base32 (`XXXX-XXXX-...`), shown once;
//!   stored only as SHA-256. An unknown, malformed or mistyped code always gets the same
//!   answer through the same path (normalise, hash, look up).
//! - **Integrity.** Each part's log entry commits (salted) to the part's JSON; the salt travels
//!   inside the ciphertext, and opening a part checks the commitment against its entry.
//! - **Logged reads.** Every opening for a member is a `view` entry, committed before the
//!   content is returned.

use std::fmt;

use age::secrecy::ExposeSecret;
use gawah_core::testimony::Consent;
use gawah_core::vocab::is_province;
use gawah_core::{Action, Commitment, LogEntry, OrgId, Salt, Sha256Digest, Timestamp};
use gawah_store::intake::{
    IntakeKeyWrite, SubmissionId, SubmissionPartWrite, SubmissionRow, SubmissionStatus,
    SubmissionStatusWrite, SubmissionWrite, intake_key_record,
};
use gawah_store::{Change, Ledger, LedgerError, RecordWrite, Vault};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::ctx::Member;
use crate::error::AppError;
use crate::records::log_view;
use crate::state::AppState;

/// The actor of every anonymous submission's log entry.
pub const ANONYMOUS: &str = "anonymous";
/// Ciphertexts are padded to a multiple of this many bytes of plaintext.
pub const PAD: usize = 1024;
/// Longest text of a part, in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest "when" and "how to reach me", in characters.
pub const MAX_SHORT: usize = 500;
/// Most parts one submission takes.
pub const MAX_PARTS: u32 = 50;
/// Most submissions listed.
pub const MAX_LISTED: u64 = 500;
const DAY_MILLIS: i64 = 86_400_000;
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn internal(e: impl fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// What a witness wrote in one part. Only ever serialised into a value that is then
/// encrypted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartBody {
    /// What happened (the first part), or what the witness adds.
    pub text: String,
    /// When, in the witness's words or as a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// ISO 3166-2:AF province code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// How to reach the witness, if they want to be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Consent scopes.
    #[serde(default)]
    pub consent: Vec<Consent>,
    /// The language of the form it was written in.
    pub language: String,
}

impl fmt::Debug for PartBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PartBody(<redacted>)")
    }
}

/// What is encrypted: the part, where it belongs, and the salt of its log commitment.
#[derive(Serialize, Deserialize)]
struct Envelope {
    submission: String,
    part: u32,
    salt: String,
    body: PartBody,
}

/// A field of the form that is wrong, by its form name.
pub type FieldProblem = &'static str;

/// Checks a part as the witness typed it; returns it trimmed, or the fields that are wrong.
pub fn validate(mut body: PartBody, first: bool) -> Result<PartBody, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    body.text = body.text.trim().to_owned();
    if body.text.is_empty() || body.text.chars().count() > MAX_TEXT {
        problems.push("text");
    }
    let short = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    body.when = short(body.when);
    body.contact = short(body.contact);
    body.province = short(body.province);
    if body
        .when
        .as_ref()
        .is_some_and(|w| w.chars().count() > MAX_SHORT)
    {
        problems.push("when");
    }
    if body
        .contact
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_SHORT)
    {
        problems.push("contact");
    }
    if body.province.as_deref().is_some_and(|p| !is_province(p))
        || (!first && body.province.is_some())
    {
        problems.push("province");
    }
    body.consent.sort_by_key(|c| c.as_str());
    body.consent.dedup();
    if problems.is_empty() {
        Ok(body)
    } else {
        Err(problems)
    }
}

/// The start of the UTC day of `t`.
pub fn day_start(t: Timestamp) -> Timestamp {
    Timestamp::from_millis(t.millis() - t.millis().rem_euclid(DAY_MILLIS))
}

/// `YYYY-MM-DD` of `t`.
pub fn day_of(t: Timestamp) -> String {
    let (y, m, d) = t.civil_date();
    format!("{y:04}-{m:02}-{d:02}")
}

/// A new receipt code: 20 random bytes as 32 Crockford base32 digits in groups of four.
pub fn new_receipt() -> Result<String, AppError> {
    let bytes = Zeroizing::new(gawah_core::random::random_bytes::<20>().map_err(internal)?);
    let mut digits = String::with_capacity(40);
    let mut acc: u64 = 0;
    let mut bits = 0;
    for b in bytes.iter() {
        acc = (acc << 8) | u64::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let i = ((acc >> bits) & 31) as usize;
            if !digits.is_empty() && digits.len() % 5 == 4 {
                digits.push('-');
            }
            digits.push(CROCKFORD[i] as char);
        }
    }
    Ok(digits)
}

/// A receipt code as typed, in canonical form: Crockford digits only, upper case, with the
/// usual misreadings (O for 0, I and L for 1) and Persian or Arabic-Indic digits mapped.
pub fn normalise_receipt(typed: &str) -> String {
    typed
        .chars()
        .filter_map(|c| {
            let c = match c {
                '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
                '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
                'o' | 'O' => '0',
                'i' | 'I' | 'l' | 'L' => '1',
                c => c.to_ascii_uppercase(),
            };
            (c.is_ascii() && CROCKFORD.contains(&(c as u8))).then_some(c)
        })
        .collect()
}

/// What is stored of a receipt code.
pub fn receipt_hash(typed: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"gawah-receipt/v1\n");
    h.update(normalise_receipt(typed).as_bytes());
    h.finalize().into()
}

/// The change that gives `org` its intake key: a fresh age X25519 identity sealed under a new
/// data key of the organisation, and its recipient in the clear. The organisation key must be
/// committed already.
pub fn intake_key_change(ledger: &Ledger, org: &OrgId, actor: &str) -> Result<Change, LedgerError> {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let record = intake_key_record(org);
    let key = ledger.vault()?.record_key(org.as_str(), &record, 1)?;
    let secret = identity.to_string();
    let sealed = Vault::seal_bytes(
        &key.key,
        "intake_keys",
        "identity",
        org.as_str(),
        secret.expose_secret().as_bytes(),
    )?;
    // A data key asked for at version 1 is always new.
    let data_key = key
        .new
        .ok_or_else(|| LedgerError::Store(gawah_store::StoreError::Invalid(record.clone())))?;
    let entry = LogEntry::new(ledger.clock().now(), actor, Action::Create, org.as_str())
        .with_field("intake_key", "created");
    Ok(Change {
        record: RecordWrite::IntakeKey(IntakeKeyWrite {
            org: org.clone(),
            recipient,
            identity: sealed,
            data_key,
        }),
        entry,
    })
}

/// Gives `org` its intake key, as `actor`; returns the entry's index.
pub fn create_intake_key(ledger: &Ledger, org: &OrgId, actor: &str) -> Result<u64, LedgerError> {
    let change = intake_key_change(ledger, org, actor)?;
    let idx = ledger.commit(&[change])?;
    Ok(idx.first().copied().unwrap_or_default())
}

/// Encrypts a part to `recipient`; returns the ciphertext and the commitment for its entry.
fn seal_part(
    recipient: &age::x25519::Recipient,
    id: &SubmissionId,
    part: u32,
    body: PartBody,
) -> Result<(Vec<u8>, Commitment), AppError> {
    let body_json = Zeroizing::new(serde_json::to_vec(&body).map_err(internal)?);
    let salt = Salt::random().map_err(internal)?;
    let commitment = Commitment::new(&salt, &Sha256Digest::of(&body_json));
    let envelope = Envelope {
        submission: id.to_string(),
        part,
        salt: hex::encode(salt.0),
        body,
    };
    let mut plain = Zeroizing::new(serde_json::to_vec(&envelope).map_err(internal)?);
    // JSON allows trailing whitespace: pad to a multiple of PAD.
    let padded = plain.len().div_ceil(PAD) * PAD;
    plain.resize(padded, b' ');
    let sealed = age::encrypt(recipient, &plain).map_err(internal)?;
    Ok((sealed, commitment))
}

fn recipient_of(s: &AppState, org: &OrgId) -> Result<age::x25519::Recipient, AppError> {
    let key = s.ledger.store.intake_key(org)?.ok_or(AppError::NotFound)?;
    key.recipient.parse().map_err(internal)
}

fn commit_one(s: &AppState, change: Change) -> Result<u64, AppError> {
    s.ledger
        .commit(&[change])?
        .first()
        .copied()
        .ok_or_else(|| internal("commit returned no index"))
}

/// Takes a new submission for `org` (which must take submissions); returns its id and the
/// witness's receipt code.
pub fn submit(
    s: &AppState,
    org: &OrgId,
    body: PartBody,
) -> Result<(SubmissionId, String), AppError> {
    let recipient = recipient_of(s, org)?;
    let day = day_start(s.ledger.clock().now());
    let id = SubmissionId::at(day).map_err(internal)?;
    let code = new_receipt()?;
    let (sealed, commitment) = seal_part(&recipient, &id, 1, body)?;
    let entry = LogEntry::new(day, ANONYMOUS, Action::Intake, id.as_str())
        .with_commitment(commitment)
        .with_field("org", org.as_str())
        .with_field("part", "1");
    let record = RecordWrite::Submission(SubmissionWrite {
        id: id.clone(),
        org: org.clone(),
        receipt_hash: receipt_hash(&code),
        day: day_of(day),
        sealed,
    });
    commit_one(s, Change { record, entry })?;
    Ok((id, code))
}

/// The submission a receipt code belongs to; "not found" for any code that is not one.
pub fn by_receipt(s: &AppState, code: &str) -> Result<SubmissionRow, AppError> {
    let hash = receipt_hash(code);
    s.ledger
        .store
        .submission_by_receipt(&hash)?
        .ok_or(AppError::NotFound)
}

/// Adds a part to the submission of a receipt code; returns the submission as it now is.
/// A closed submission takes no more parts (a conflict).
pub fn add_part(s: &AppState, code: &str, body: PartBody) -> Result<SubmissionRow, AppError> {
    let row = by_receipt(s, code)?;
    if row.status == SubmissionStatus::Closed {
        return Err(AppError::Conflict("this submission is closed".into()));
    }
    if row.parts >= MAX_PARTS {
        return Err(AppError::TooMany);
    }
    let recipient = recipient_of(s, &row.org)?;
    let part = row.parts + 1;
    let day = day_start(s.ledger.clock().now());
    let (sealed, commitment) = seal_part(&recipient, &row.id, part, body)?;
    let entry = LogEntry::new(day, ANONYMOUS, Action::Intake, row.id.as_str())
        .with_commitment(commitment)
        .with_field("org", row.org.as_str())
        .with_field("part", &part.to_string());
    let record = RecordWrite::SubmissionPart(SubmissionPartWrite {
        id: row.id.clone(),
        part,
        day: day_of(day),
        sealed,
    });
    commit_one(s, Change { record, entry })?;
    by_receipt(s, code)
}

fn may_read(m: &Member) -> Result<(), AppError> {
    if m.role.can_read_confidential() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The member's organisation's submissions, newest first, without content.
pub fn list(s: &AppState, m: &Member) -> Result<Vec<SubmissionRow>, AppError> {
    may_read(m)?;
    Ok(s.ledger.store.submissions(&m.org, MAX_LISTED)?)
}

/// One submission of the member's organisation, without content.
pub fn read(s: &AppState, m: &Member, id: &str) -> Result<SubmissionRow, AppError> {
    may_read(m)?;
    let id: SubmissionId = id.parse().map_err(|_| AppError::NotFound)?;
    s.ledger
        .store
        .submission(&m.org, &id)?
        .ok_or(AppError::NotFound)
}

/// One opened part.
#[derive(Debug, Clone)]
pub struct OpenedPart {
    /// Its number.
    pub part: u32,
    /// The day it arrived.
    pub day: String,
    /// What the witness wrote.
    pub body: PartBody,
}

/// The organisation's intake identity, opened.
fn identity(s: &AppState, org: &OrgId) -> Result<age::x25519::Identity, AppError> {
    let row = s.ledger.store.intake_key(org)?.ok_or(AppError::NotFound)?;
    let vault = s.ledger.vault()?;
    let key = vault
        .key(&intake_key_record(org))
        .map_err(LedgerError::from)?;
    let secret = Vault::open_bytes(&key, "intake_keys", "identity", org.as_str(), &row.identity)
        .map_err(LedgerError::from)?;
    let text = std::str::from_utf8(&secret).map_err(internal)?;
    text.parse().map_err(internal)
}

/// Decrypts one stored part and checks it against where it is and its log entry.
fn open_part(
    s: &AppState,
    identity: &age::x25519::Identity,
    id: &SubmissionId,
    part: &gawah_store::intake::SubmissionPart,
) -> Result<OpenedPart, AppError> {
    let plain = Zeroizing::new(age::decrypt(identity, &part.sealed).map_err(internal)?);
    let envelope: Envelope = serde_json::from_slice(&plain).map_err(internal)?;
    if envelope.submission != id.as_str() || envelope.part != part.part {
        return Err(internal(format!("part {} of {id} is misplaced", part.part)));
    }
    let salt: [u8; 32] = hex::decode(&envelope.salt)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| internal("bad salt"))?;
    let body_json = Zeroizing::new(serde_json::to_vec(&envelope.body).map_err(internal)?);
    let expected = Commitment::new(&Salt(salt), &Sha256Digest::of(&body_json));
    let entry = LogEntry::parse(&s.ledger.store.entry(part.log_index)?).map_err(internal)?;
    if entry.subject != id.as_str() || entry.commitment != Some(expected) {
        return Err(internal(format!(
            "part {} of {id} does not match its log entry",
            part.part
        )));
    }
    Ok(OpenedPart {
        part: part.part,
        day: part.created_day.clone(),
        body: envelope.body,
    })
}

/// Opens every part of a submission of the member's organisation with the organisation's
/// identity; the read is logged (as a `view` of the submission) before it is returned.
pub fn open(
    s: &AppState,
    m: &Member,
    id: &str,
) -> Result<(SubmissionRow, Vec<OpenedPart>), AppError> {
    let row = read(s, m, id)?;
    let identity = identity(s, &row.org)?;
    let parts = s
        .ledger
        .store
        .submission_parts(&row.id)?
        .iter()
        .map(|p| open_part(s, &identity, &row.id, p))
        .collect::<Result<Vec<_>, _>>()?;
    log_view(s, m, row.id.as_str(), "confidential")?;
    Ok((row, parts))
}

/// Moves a submission of the member's organisation to `status` (logged).
pub fn set_status(
    s: &AppState,
    m: &Member,
    id: &str,
    status: &str,
) -> Result<SubmissionRow, AppError> {
    let row = read(s, m, id)?;
    let status = SubmissionStatus::parse(status).ok_or_else(|| {
        AppError::BadRequest("status: one of received, under_review, closed".into())
    })?;
    let now = s.ledger.clock().now();
    let entry = LogEntry::new(now, m.id.as_str(), Action::Update, row.id.as_str())
        .with_field("org", m.org.as_str())
        .with_field("status", status.as_str());
    let record = RecordWrite::SubmissionStatus(SubmissionStatusWrite {
        id: row.id.clone(),
        org: m.org.clone(),
        status,
        day: day_of(now),
    });
    commit_one(s, Change { record, entry })?;
    read(s, m, id)
}

/// Whether the member's organisation takes submissions.
pub fn takes_submissions(s: &AppState, org: &OrgId) -> Result<bool, AppError> {
    Ok(s.ledger.store.intake_key(org)?.is_some())
}

/// An admin lets their organisation take submissions (creates its intake key).
pub fn enable(s: &AppState, m: &Member) -> Result<(), AppError> {
    if m.role != gawah_core::vocab::Role::Admin {
        return Err(AppError::Forbidden);
    }
    if takes_submissions(s, &m.org)? {
        return Ok(());
    }
    create_intake_key(&s.ledger, &m.org, m.id.as_str())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_codes_are_160_bits_in_groups_and_normalise() {
        let code = new_receipt().unwrap();
        assert_eq!(code.len(), 32 + 7, "{code}");
        assert_eq!(code.split('-').count(), 8);
        assert_ne!(code, new_receipt().unwrap());
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(receipt_hash(&typed), receipt_hash(&code));
        assert_eq!(normalise_receipt("o1-Il ۱۲٣é"), "0111123");
        assert_ne!(receipt_hash("AAAA"), receipt_hash("AAAB"));
    }

    #[test]
    fn validation_trims_and_names_fields() {
        let ok = validate(
            PartBody {
                text: "  x  ".into(),
                province: Some("AF-KAB".into()),
                when: Some(" ".into()),
                ..PartBody::default()
            },
            true,
        )
        .unwrap();
        assert_eq!(ok.text, "x");
        assert_eq!(ok.when, None);
        let bad = validate(
            PartBody {
                province: Some("AF-XXX".into()),
                contact: Some("c".repeat(MAX_SHORT + 1)),
                ..PartBody::default()
            },
            true,
        )
        .unwrap_err();
        assert_eq!(bad, vec!["text", "contact", "province"]);
    }

    #[test]
    fn day_start_is_midnight_utc() {
        let t = Timestamp::from_millis(1_767_225_600_000 + 12_345_678);
        assert_eq!(day_start(t).millis(), 1_767_225_600_000);
        assert_eq!(day_of(t), "2026-01-01");
    }
}
