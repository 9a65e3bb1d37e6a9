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

use serde_json::Value;

use crate::clock::Timestamp;
use crate::commitment::Commitment;

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
        self.validate()?;
        let mut fields: BTreeMap<&str, Value> = BTreeMap::new();
        fields.insert("v", Value::from(ENTRY_VERSION));
        fields.insert("time", Value::from(self.time.to_rfc3339()));
        fields.insert("actor", Value::from(self.actor.as_str()));
        fields.insert("action", Value::from(self.action.as_str()));
        fields.insert("subject", Value::from(self.subject.as_str()));
        if let Some(c) = &self.commitment {
            fields.insert("commitment", Value::from(c.to_hex()));
        }
        for (k, v) in &self.extra {
            fields.insert(k, Value::from(v.as_str()));
        }
        let bytes = encode_sorted(&fields);
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        Ok(bytes)
    }

    /// Parses canonical entry bytes; anything not byte-for-byte canonical is refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let map: serde_json::Map<String, Value> = serde_json::from_slice(bytes)
            .map_err(|_| EntryError::NotCanonical("not a JSON object"))?;
        let entry = Self::from_map(&map)?;
        if entry.to_bytes()? != bytes {
            return Err(EntryError::NotCanonical(
                "keys unsorted, whitespace or non-canonical values",
            ));
        }
        Ok(entry)
    }

    fn from_map(map: &serde_json::Map<String, Value>) -> Result<Self, EntryError> {
        let text = |k: &str| {
            map.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| EntryError::BadField(k.to_owned()))
        };
        if map.get("v").and_then(Value::as_u64) != Some(ENTRY_VERSION) {
            return Err(EntryError::BadField("v".to_owned()));
        }
        let time =
            parse_rfc3339_millis(text("time")?).ok_or(EntryError::BadField("time".into()))?;
        let commitment = match map.get("commitment") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(|s| s.parse::<Commitment>().ok())
                    .ok_or(EntryError::BadField("commitment".into()))?,
            ),
        };
        let mut extra = BTreeMap::new();
        for (k, v) in map.iter().filter(|(k, _)| !RESERVED.contains(&k.as_str())) {
            let v = v.as_str().ok_or_else(|| EntryError::BadField(k.clone()))?;
            extra.insert(k.clone(), v.to_owned());
        }
        Ok(Self {
            time,
            actor: text("actor")?.to_owned(),
            action: text("action")?.parse()?,
            subject: text("subject")?.to_owned(),
            commitment,
            extra,
        })
    }
}

fn encode_sorted(fields: &BTreeMap<&str, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Serialising a &str or a scalar Value into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, v);
    }
    out.push(b'}');
    out
}

/// Parses exactly the form [`Timestamp::to_rfc3339`] writes.
fn parse_rfc3339_millis(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 24 || &s[4..5] != "-" || &s[7..8] != "-" || &s[10..11] != "T" || &s[23..] != "Z" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let t = Timestamp::from_millis(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms);
    // Round trip rejects impossible dates such as February 30th.
    (t.to_rfc3339() == s).then_some(t)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitment::{Salt, Sha256Digest};

    fn sample() -> LogEntry {
        LogEntry::new(
            Timestamp::from_millis(1_795_845_600_123),
            "cli",
            Action::Intake,
            "item_0123",
        )
        .with_commitment(Commitment::new(&Salt([1; 32]), &Sha256Digest::of(b"x")))
        .with_field("org", "org_1")
    }

    #[test]
    fn canonical_bytes_are_sorted_and_compact() {
        let bytes = sample().to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\"action\":\"intake\",\"actor\":\"cli\",\"commitment\":\""));
        assert!(text.ends_with("\"org\":\"org_1\",\"subject\":\"item_0123\",\"time\":\"2026-11-28T06:00:00.123Z\",\"v\":1}"));
        assert!(!text.contains(' '));
        assert_eq!(LogEntry::parse(&bytes).unwrap(), sample());
    }

    #[test]
    fn refuses_non_canonical_and_names() {
        let text = String::from_utf8(sample().to_bytes().unwrap()).unwrap();
        let spaced = text.replacen(',', ", ", 1);
        assert!(matches!(
            LogEntry::parse(spaced.as_bytes()),
            Err(EntryError::NotCanonical(_))
        ));
        let mut named = sample();
        named.actor = "Malalai Joya".into();
        assert_eq!(named.to_bytes(), Err(EntryError::NotAToken("actor".into())));
        assert!(sample().with_field("v", "2").to_bytes().is_err());
        assert!(LogEntry::parse(b"[]").is_err());
        assert!(LogEntry::parse(&vec![b' '; MAX_ENTRY_BYTES + 1]).is_err());
        let bad_date = text.replace("2026-11-28", "2026-02-30");
        assert!(LogEntry::parse(bad_date.as_bytes()).is_err());
    }
}
