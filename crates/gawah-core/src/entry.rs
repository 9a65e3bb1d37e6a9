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
        let f = scan(bytes, &mut |k, v| {
            extra.insert(k.to_owned(), v.to_owned());
        })?;
        Ok(Self {
            time: f.time,
            actor: f.actor.to_owned(),
            action: f.action,
            subject: f.subject.to_owned(),
            commitment: f.commitment,
            extra,
        })
    }

    /// Checks that `bytes` are a canonical entry, accepting and refusing exactly what
    /// [`parse`](LogEntry::parse) does, without building the entry.
    pub fn check(bytes: &[u8]) -> Result<(), EntryError> {
        scan(bytes, &mut |_, _| {}).map(|_| ())
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

/// The fields of an entry as borrowed from its bytes.
struct Scanned<'a> {
    time: Timestamp,
    actor: &'a str,
    action: Action,
    subject: &'a str,
    commitment: Option<Commitment>,
}

fn not_canonical() -> EntryError {
    EntryError::NotCanonical("keys unsorted, whitespace or non-canonical values")
}

fn is_token_byte(c: u8) -> bool {
    matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-')
}

/// The strict scanner of the canonical form: `{`, then `"key":value` pairs joined by `,`,
/// then `}` and nothing more. Keys are tokens in strictly ascending byte order (so no
/// duplicates); `v` is exactly `1`; every other value is a string whose bytes are printable
/// ASCII without `"` or `\` (so any escape, which `to_bytes` never writes, is refused) and
/// then must be valid for its field: a token, a known action, the fixed time form of a real
/// date, or 64 lowercase hex digits. Extra fields go to `extra` in order.
fn scan<'a>(
    bytes: &'a [u8],
    extra: &mut dyn FnMut(&'a str, &'a str),
) -> Result<Scanned<'a>, EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    let Some(body) = bytes.strip_prefix(b"{").and_then(|b| b.strip_suffix(b"}")) else {
        return Err(EntryError::NotCanonical("not a JSON object"));
    };
    let mut rest = body;
    let mut prev: &[u8] = &[];
    let (mut time, mut actor, mut action, mut subject) = (None, None, None, None);
    let mut commitment = None;
    let mut version = false;
    loop {
        // "key":
        let Some(after) = rest.strip_prefix(b"\"") else {
            return Err(not_canonical());
        };
        let klen = after.iter().take_while(|&&c| is_token_byte(c)).count();
        let (key, after) = after.split_at(klen);
        let Some(after) = after.strip_prefix(b"\":") else {
            return Err(not_canonical());
        };
        if key.is_empty() || key.len() > MAX_TOKEN || key <= prev {
            return Err(not_canonical());
        }
        prev = key;
        // value
        let after = if key == b"v" {
            let Some(after) = after.strip_prefix(b"1") else {
                return Err(EntryError::BadField("v".into()));
            };
            version = true;
            after
        } else {
            let Some(after) = after.strip_prefix(b"\"") else {
                return Err(EntryError::BadField(text(key).into()));
            };
            let vlen = after
                .iter()
                .take_while(|&&c| (b' '..=b'~').contains(&c) && c != b'"' && c != b'\\')
                .count();
            let (value, after) = after.split_at(vlen);
            let Some(after) = after.strip_prefix(b"\"") else {
                return Err(not_canonical());
            };
            let value = text(value);
            let bad = || EntryError::BadField(text(key).into());
            match key {
                b"action" => action = Some(value.parse::<Action>()?),
                b"actor" => actor = Some(token(value, "actor")?),
                b"subject" => subject = Some(token(value, "subject")?),
                b"time" => time = Some(parse_rfc3339_millis(value).ok_or_else(bad)?),
                b"commitment" => {
                    let lower_hex = value.len() == 64
                        && value
                            .bytes()
                            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                    commitment = Some(
                        value
                            .parse::<Commitment>()
                            .ok()
                            .filter(|_| lower_hex)
                            .ok_or_else(bad)?,
                    );
                }
                _ => extra(text(key), token(value, text(key))?),
            }
            after
        };
        // , or the end
        match after {
            [b',', more @ ..] => rest = more,
            [] => break,
            _ => return Err(not_canonical()),
        }
    }
    let missing = |k: &str| EntryError::BadField(k.to_owned());
    if !version {
        return Err(missing("v"));
    }
    Ok(Scanned {
        time: time.ok_or_else(|| missing("time"))?,
        actor: actor.ok_or_else(|| missing("actor"))?,
        action: action.ok_or_else(|| missing("action"))?,
        subject: subject.ok_or_else(|| missing("subject"))?,
        commitment,
    })
}

/// Bytes already checked to be ASCII as text.
fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

fn token<'a>(value: &'a str, field: &str) -> Result<&'a str, EntryError> {
    if is_token(value) {
        Ok(value)
    } else {
        Err(EntryError::NotAToken(field.chars().take(40).collect()))
    }
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

/// Parses exactly the form [`Timestamp::to_rfc3339`] writes.
fn parse_rfc3339_millis(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[23] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if b[13] != b':' || b[16] != b':' || b[19] != b'.' {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let t = Timestamp::from_millis(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms);
    // Round trip rejects impossible dates such as February 30th.
    (format_rfc3339(t).as_ref().map(|f| &f[..]) == Some(b)).then_some(t)
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

    /// The encoder and parser as first written (serde_json values in a sorted map, and a
    /// round trip to check canonical form): the oracle the fast ones are compared with.
    mod reference {
        use super::super::*;
        use serde_json::Value;

        pub fn to_bytes(e: &LogEntry) -> Result<Vec<u8>, EntryError> {
            e.validate()?;
            let mut fields: BTreeMap<&str, Value> = BTreeMap::new();
            fields.insert("v", Value::from(ENTRY_VERSION));
            fields.insert("time", Value::from(e.time.to_rfc3339()));
            fields.insert("actor", Value::from(e.actor.as_str()));
            fields.insert("action", Value::from(e.action.as_str()));
            fields.insert("subject", Value::from(e.subject.as_str()));
            if let Some(c) = &e.commitment {
                fields.insert("commitment", Value::from(c.to_hex()));
            }
            for (k, v) in &e.extra {
                fields.insert(k, Value::from(v.as_str()));
            }
            let mut out = vec![b'{'];
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, k).unwrap();
                out.push(b':');
                serde_json::to_writer(&mut out, v).unwrap();
            }
            out.push(b'}');
            if out.len() > MAX_ENTRY_BYTES {
                return Err(EntryError::TooLarge(out.len()));
            }
            Ok(out)
        }

        pub fn parse(bytes: &[u8]) -> Result<LogEntry, EntryError> {
            if bytes.len() > MAX_ENTRY_BYTES {
                return Err(EntryError::TooLarge(bytes.len()));
            }
            let map: serde_json::Map<String, Value> = serde_json::from_slice(bytes)
                .map_err(|_| EntryError::NotCanonical("not a JSON object"))?;
            let text = |k: &str| {
                map.get(k)
                    .and_then(Value::as_str)
                    .ok_or_else(|| EntryError::BadField(k.to_owned()))
            };
            if map.get("v").and_then(Value::as_u64) != Some(ENTRY_VERSION) {
                return Err(EntryError::BadField("v".to_owned()));
            }
            let time = text("time")?;
            let time = old_time(time).ok_or(EntryError::BadField("time".into()))?;
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
            let entry = LogEntry {
                time,
                actor: text("actor")?.to_owned(),
                action: text("action")?.parse()?,
                subject: text("subject")?.to_owned(),
                commitment,
                extra,
            };
            if to_bytes(&entry)? != bytes {
                return Err(EntryError::NotCanonical("mismatch"));
            }
            Ok(entry)
        }

        fn old_time(s: &str) -> Option<Timestamp> {
            let b = s.as_bytes();
            if b.len() != 24 || !s.is_ascii() {
                return None;
            }
            if &s[4..5] != "-" || &s[7..8] != "-" || &s[10..11] != "T" || &s[23..] != "Z" {
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
            (t.to_rfc3339() == s).then_some(t)
        }
    }

    /// A small deterministic generator (xorshift64*), so failures replay.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len() as u64) as usize]
        }
        fn token(&mut self) -> String {
            const CHARS: &[u8] = b"abcxyz0189_.:-";
            let len = match self.below(20) {
                0 => 127 + self.below(4) as usize, // around the 128-byte limit
                _ => 1 + self.below(30) as usize,
            };
            (0..len).map(|_| *self.pick(CHARS) as char).collect()
        }
    }

    fn random_entry(r: &mut Rng) -> LogEntry {
        let time = match r.below(6) {
            // around year 0, year 9999, the epoch, and ordinary times
            0 => -62_167_219_200_000 + r.below(4_000_000_000) as i64 - 2_000_000_000,
            1 => 253_402_300_799_999 - r.below(4_000_000_000) as i64 + 2_000_000_000,
            2 => r.below(4_000_000_000) as i64 - 2_000_000_000,
            _ => r.below(4_102_444_800_000) as i64,
        };
        let actions = [
            Action::Intake,
            Action::View,
            Action::Export,
            Action::Transfer,
            Action::Redaction,
            Action::Analysis,
            Action::Disposition,
            Action::Create,
            Action::Update,
        ];
        let mut e = LogEntry::new(
            Timestamp::from_millis(time),
            &r.token(),
            *r.pick(&actions),
            &r.token(),
        );
        if r.below(2) == 0 {
            let mut c = [0u8; 32];
            c.iter_mut().for_each(|b| *b = r.next() as u8);
            e = e.with_commitment(Commitment(c));
        }
        let keys = [
            "a",
            "action0",
            "actor",
            "b",
            "commitment",
            "org",
            "subject",
            "subjects",
            "time",
            "u",
            "v",
            "v0",
            "w",
            "zz",
            "9",
            "-",
        ];
        for _ in 0..r.below(4) {
            let key = if r.below(3) == 0 {
                r.token()
            } else {
                (*r.pick(&keys)).to_owned()
            };
            e = e.with_field(&key, &r.token());
        }
        if r.below(50) == 0 {
            e.actor = "Not A Token".into();
        }
        e
    }

    fn mutate(r: &mut Rng, bytes: &mut Vec<u8>) {
        const INTERESTING: &[u8] = b"{}[]:,\"\\ 01Z9azA-_.:tTv\t\n\x00\x7f\xff\xc3";
        for _ in 0..1 + r.below(3) {
            let len = bytes.len() as u64;
            let at = r.below(len.max(1)) as usize;
            let byte = if r.below(4) == 0 {
                r.next() as u8
            } else {
                *r.pick(INTERESTING)
            };
            match r.below(6) {
                0 | 1 if !bytes.is_empty() => bytes[at] = byte,
                2 => bytes.insert(at.min(bytes.len()), byte),
                3 if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                4 if !bytes.is_empty() => {
                    // Duplicate or drop a span, as a repeated or missing field would.
                    let end = (at + 1 + r.below(40) as usize).min(bytes.len());
                    let span: Vec<u8> = bytes[at..end].to_vec();
                    if r.below(2) == 0 {
                        let to = r.below(bytes.len() as u64) as usize;
                        bytes.splice(to..to, span);
                    } else {
                        bytes.drain(at..end);
                    }
                }
                _ => {
                    // Swap two bytes (keys out of order, digits exchanged).
                    if bytes.len() > 1 {
                        let other = r.below(len) as usize;
                        bytes.swap(at, other);
                    }
                }
            }
        }
    }

    #[test]
    fn fast_encoding_and_parsing_agree_with_the_reference() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted_mutants, mut valid) = (0, 0);
        for _ in 0..20_000 {
            let e = random_entry(&mut r);
            let fast = e.to_bytes();
            assert_eq!(fast.is_ok(), reference::to_bytes(&e).is_ok(), "{e:?}");
            let Ok(bytes) = fast else { continue };
            assert_eq!(Ok(&bytes), reference::to_bytes(&e).as_ref());
            // parse(to_bytes(e)) == e exactly when the reference agrees (years outside
            // 0..=9999 encode but cannot be parsed back, by either).
            let back = LogEntry::parse(&bytes);
            assert_eq!(back.as_ref().ok(), reference::parse(&bytes).as_ref().ok());
            assert_eq!(LogEntry::check(&bytes).is_ok(), back.is_ok());
            if let Ok(back) = back {
                valid += 1;
                assert_eq!(back, e);
            }
            for _ in 0..10 {
                let mut m = bytes.clone();
                mutate(&mut r, &mut m);
                let fast = LogEntry::parse(&m);
                let slow = reference::parse(&m);
                assert_eq!(
                    fast.as_ref().ok(),
                    slow.as_ref().ok(),
                    "{:?}",
                    String::from_utf8_lossy(&m)
                );
                assert_eq!(LogEntry::check(&m).is_ok(), fast.is_ok());
                if let Ok(parsed) = fast {
                    // Accepted mutants are canonical: they re-encode to the same bytes.
                    assert_eq!(parsed.to_bytes().unwrap(), m);
                    accepted_mutants += 1;
                }
            }
        }
        // The generator must exercise both sides.
        assert!(valid > 10_000, "{valid}");
        assert!(accepted_mutants > 100, "{accepted_mutants}");
    }

    #[test]
    fn write_bytes_appends_and_leaves_the_buffer_on_error() {
        let mut buf = b"prefix".to_vec();
        sample().write_bytes(&mut buf).unwrap();
        assert_eq!(&buf[6..], &sample().to_bytes().unwrap()[..]);
        let mut huge = sample();
        for i in 0..600 {
            huge = huge.with_field(&format!("k{i:04}"), &"x".repeat(120));
        }
        assert!(matches!(
            huge.write_bytes(&mut buf),
            Err(EntryError::TooLarge(_))
        ));
        assert_eq!(&buf[6..], &sample().to_bytes().unwrap()[..]);
    }
}
