//! The log entry: what the transparency log records about each event, and its one canonical
//! byte encoding.
//!
//! An entry is a UTF-8 JSON object with sorted keys and no insignificant whitespace, at most
//! [`MAX_ENTRY_BYTES`] bytes. It holds ids, an action, a time and, for anything with content, a
//! salted [`Commitment`]; never content, a plain content hash or a name. To keep names out by
//! construction, `actor`, `subject` and every extra field accept only id-like tokens
//! (`[a-z0-9_.:-]`, at most 128 bytes). The schema is documented in `docs/LOG_ENTRIES.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::clock::Timestamp;
use crate::commitment::Commitment;

mod check;
#[cfg(test)]
mod tests;

/// The largest entry the log accepts (the C2SP tlog-tiles limit).
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// The entry schema version written by this code.
pub const ENTRY_VERSION: u64 = 1;
const MAX_TOKEN: usize = 128;
const RESERVED: [&str; 6] = ["v", "time", "actor", "action", "subject", "commitment"];

/// What happened: the kind of custody event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// An original file entered custody.
    Intake,
    /// Confidential data was read.
    View,
    /// Data left the system in an export or bundle.
    Export,
    /// Custody passed to or from another organisation.
    Transfer,
    /// A redacted working copy was made.
    Redaction,
    /// An analytical judgement was recorded (verification, rating, link).
    Analysis,
    /// A record was erased or its keys destroyed.
    Disposition,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
}

const ACTIONS: [(Action, &str); 9] = [
    (Action::Intake, "intake"),
    (Action::View, "view"),
    (Action::Export, "export"),
    (Action::Transfer, "transfer"),
    (Action::Redaction, "redaction"),
    (Action::Analysis, "analysis"),
    (Action::Disposition, "disposition"),
    (Action::Create, "create"),
    (Action::Update, "update"),
];

impl Action {
    /// The action's name in entries.
    pub fn as_str(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("unknown", |(_, s)| s)
    }
}

impl FromStr for Action {
    type Err = EntryError;
    fn from_str(s: &str) -> Result<Self, EntryError> {
        ACTIONS
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(a, _)| *a)
            .ok_or_else(|| EntryError::UnknownAction(s.chars().take(40).collect()))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why bytes or values do not make a valid entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryError {
    /// Larger than [`MAX_ENTRY_BYTES`].
    #[error("entry is {0} bytes, over the limit of 65535")]
    TooLarge(usize),
    /// Not a JSON object, or not in canonical form.
    #[error("entry is not canonical JSON: {0}")]
    NotCanonical(&'static str),
    /// A required field is missing or has the wrong type.
    #[error("entry field {0:?} is missing or invalid")]
    BadField(String),
    /// A token field holds something other than an id-like token.
    #[error("entry field {0:?} must be an id-like token ([a-z0-9_.:-], at most 128 bytes)")]
    NotAToken(String),
    /// The action is not one this version knows.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When the event happened.
    pub time: Timestamp,
    /// Who caused it: a member id, or `cli` for the local operator.
    pub actor: String,
    /// What happened.
    pub action: Action,
    /// The id of the record it happened to.
    pub subject: String,
    /// The salted commitment to the content, for anything with content.
    pub commitment: Option<Commitment>,
    /// Further id-like fields (for example `org`), each a token.
    pub extra: BTreeMap<String, String>,
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_TOKEN
        && s.bytes()
            .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-'))
}

impl LogEntry {
    /// A new entry without commitment or extra fields.
    pub fn new(time: Timestamp, actor: &str, action: Action, subject: &str) -> Self {
        Self {
            time,
            actor: actor.to_owned(),
            action,
            subject: subject.to_owned(),
            commitment: None,
            extra: BTreeMap::new(),
        }
    }

    /// The entry with a commitment.
    pub fn with_commitment(mut self, c: Commitment) -> Self {
        self.commitment = Some(c);
        self
    }

    /// The entry with one more id-like field.
    pub fn with_field(mut self, key: &str, value: &str) -> Self {
        self.extra.insert(key.to_owned(), value.to_owned());
        self
    }

    fn validate(&self) -> Result<(), EntryError> {
        for (name, value) in [("actor", &self.actor), ("subject", &self.subject)] {
            if !is_token(value) {
                return Err(EntryError::NotAToken(name.to_owned()));
            }
        }
        for (k, v) in &self.extra {
            if RESERVED.contains(&k.as_str()) || !is_token(k) || !is_token(v) {
                return Err(EntryError::NotAToken(k.chars().take(40).collect()));
            }
        }
        Ok(())
    }

    /// The canonical bytes: sorted keys, no whitespace. Errors if a field is not a token or
    /// the result would exceed [`MAX_ENTRY_BYTES`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, EntryError> {
        let mut out = Vec::with_capacity(128 + if self.commitment.is_some() { 80 } else { 0 });
        self.write_bytes(&mut out)?;
        Ok(out)
    }

    /// Appends the canonical bytes (as [`to_bytes`](LogEntry::to_bytes) returns them) to
    /// `out`, for callers that reuse one buffer. On an error `out` is left as it was.
    ///
    /// Every value is an id-like token, lowercase hex, the fixed time form or the integer
    /// version, none of which JSON escapes, so the bytes are written directly: a JSON object
    /// with its keys in ascending byte order and no whitespace.
    pub fn write_bytes(&self, out: &mut Vec<u8>) -> Result<(), EntryError> {
        self.validate()?;
        let start = out.len();
        let time_fixed = format_rfc3339(self.time);
        let time_other;
        let time: &[u8] = match &time_fixed {
            Some(t) => t,
            None => {
                time_other = self.time.to_rfc3339();
                time_other.as_bytes()
            }
        };
        let mut hex = [0u8; 64];
        let commitment = self.commitment.map(|c| {
            // Writing 32 bytes as hex into 64 bytes cannot fail.
            let _ = hex::encode_to_slice(c.0, &mut hex);
        });
        let version = [b'0' + ENTRY_VERSION as u8];
        // The reserved keys in ascending order; the extra keys are merged in among them.
        let fixed: [(&str, Option<Field<'_>>); 6] = [
            ("action", Some(Field::Str(self.action.as_str().as_bytes()))),
            ("actor", Some(Field::Str(self.actor.as_bytes()))),
            ("commitment", commitment.map(|()| Field::Str(&hex[..]))),
            ("subject", Some(Field::Str(self.subject.as_bytes()))),
            ("time", Some(Field::Str(time))),
            ("v", Some(Field::Raw(&version))),
        ];
        let mut extra = self.extra.iter().peekable();
        let mut first = true;
        out.push(b'{');
        for (key, value) in fixed {
            while let Some((k, v)) = extra.next_if(|(k, _)| k.as_str() < key) {
                write_field(out, &mut first, k, Field::Str(v.as_bytes()));
            }
            if let Some(value) = value {
                write_field(out, &mut first, key, value);
            }
        }
        for (k, v) in extra {
            write_field(out, &mut first, k, Field::Str(v.as_bytes()));
        }
        out.push(b'}');
        let len = out.len() - start;
        if len > MAX_ENTRY_BYTES {
            out.truncate(start);
            return Err(EntryError::TooLarge(len));
        }
        Ok(())
    }

    /// Parses canonical entry bytes; anything not byte-for-byte canonical is refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut extra = BTreeMap::new();
        let f = check::scan(bytes, |k, v| {
            extra.insert(text(k).to_owned(), text(v).to_owned());
        })?;
        Ok(Self {
            time: f.time.timestamp(),
            actor: text(f.actor).to_owned(),
            action: f.action,
            subject: text(f.subject).to_owned(),
            commitment: f.commitment.map(|hex| Commitment(check::decode_hex32(hex))),
            extra,
        })
    }

    /// Checks that `bytes` are a canonical entry, accepting and refusing exactly what
    /// [`parse`](LogEntry::parse) does (with the same error), without building the entry:
    /// no allocation, no UTF-8 decoding, no time arithmetic beyond the range checks.
    pub fn check(bytes: &[u8]) -> Result<(), EntryError> {
        check::scan(bytes, |_, _| {}).map(|_| ())
    }
}

/// A value as written: a JSON string (its bytes need no escaping) or raw digits.
#[derive(Clone, Copy)]
enum Field<'a> {
    Str(&'a [u8]),
    Raw(&'a [u8]),
}

fn write_field(out: &mut Vec<u8>, first: &mut bool, key: &str, value: Field<'_>) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    match value {
        Field::Str(v) => {
            out.push(b'"');
            out.extend_from_slice(v);
            out.push(b'"');
        }
        Field::Raw(v) => out.extend_from_slice(v),
    }
}

/// Bytes already checked to be ASCII as text.
fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

/// The form [`Timestamp::to_rfc3339`] writes, for years 0 to 9999 (the only ones whose form
/// is 24 bytes, and so the only ones an entry can hold); `None` for other years.
fn format_rfc3339(t: Timestamp) -> Option<[u8; 24]> {
    let (y, m, d) = t.civil_date();
    if !(0..=9999).contains(&y) {
        return None;
    }
    let ms_of_day = t.millis().rem_euclid(86_400_000);
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, i64::from(m));
    put(8, 2, i64::from(d));
    put(11, 2, h);
    put(14, 2, min);
    put(17, 2, s);
    put(20, 3, ms);
    Some(out)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
