//! The strict scanner of the canonical form, shared by [`LogEntry::parse`] and
//! [`LogEntry::check`] (which `verify` runs on every entry of the log, so it is written to
//! be cheap: one pass over the bytes, a byte-class table, keys identified once and compared
//! by rank, the time validated by its fixed layout, no allocation and no UTF-8 decoding).
//!
//! The form accepted: `{`, then `"key":value` pairs joined by `,`, then `}` and nothing more.
//! Keys are tokens of at most 128 bytes in strictly ascending byte order (so no duplicates);
//! `v` is exactly `1`; every other value is a string whose bytes are printable ASCII without
//! `"` or `\` (so any escape, which `to_bytes` never writes, is refused) and then must be
//! valid for its field: a token, a known action, the fixed time form of a real date, or 64
//! lowercase hex digits. That is exactly the set of byte strings that
//! [`LogEntry::to_bytes`] can write and that re-encode to themselves.
//!
//! Errors are the ones of the first scanner (kept as the oracle in the tests): the fast path
//! only decides *whether* a value is valid, and on a refusal the cold [`value_error`] works
//! out *which* error the first scanner gave.
//!
//! [`LogEntry::parse`]: super::LogEntry::parse
//! [`LogEntry::check`]: super::LogEntry::check
//! [`LogEntry::to_bytes`]: super::LogEntry::to_bytes

use super::{Action, EntryError, MAX_ENTRY_BYTES, MAX_TOKEN, days_from_civil, text};
use crate::clock::Timestamp;

/// Byte class: an id-like token byte, `[a-z0-9_.:-]`.
pub(super) const TOKEN: u8 = 1;
/// Byte class: printable ASCII other than `"` and `\`, what a string value may hold.
const STR: u8 = 2;

/// The class bits of every byte.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut bits = 0;
        if matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-') {
            bits |= TOKEN;
        }
        if matches!(c, b' '..=b'~') && c != b'"' && c != b'\\' {
            bits |= STR;
        }
        t[i] = bits;
        i += 1;
    }
    t
};

#[inline(always)]
fn is(class: u8, c: u8) -> bool {
    CLASS[usize::from(c)] & class != 0
}

/// The index of the first byte at or after `i` that is not of `class` (or `b.len()`).
#[inline(always)]
pub(super) fn run_end(b: &[u8], mut i: usize, class: u8) -> usize {
    while let Some(&c) = b.get(i) {
        if !is(class, c) {
            break;
        }
        i += 1;
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// For each byte of `w` below 0x80 (others must be masked out by the caller), the high bit
/// set if the byte is in `lo..=hi`. Adding at most 0x80 to a byte below 0x80 never carries
/// into the next byte.
#[inline(always)]
const fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = w + (0x80 - lo as u64) * ONES;
    let above_hi = w + (0x7f - hi as u64) * ONES;
    at_least_lo & !above_hi & HIGH
}

/// The high bit of every byte of `w` that is an id-like token byte, `[a-z0-9_.:-]`.
#[inline(always)]
const fn token_bytes(w: u64) -> u64 {
    let ascii = !w & HIGH;
    let w = w & !HIGH;
    ascii
        & (in_range(w, b'a', b'z')
            | in_range(w, b'0', b':')
            | in_range(w, b'-', b'.')
            | in_range(w, b'_', b'_'))
}

/// The high bit of every byte of `w` that is a lowercase hex digit.
#[inline(always)]
const fn hex_bytes(w: u64) -> u64 {
    let ascii = !w & HIGH;
    let w = w & !HIGH;
    ascii & (in_range(w, b'0', b'9') | in_range(w, b'a', b'f'))
}

/// [`run_end`] for token bytes, eight bytes at a time.
#[inline(always)]
pub(super) fn token_end(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let other = !token_bytes(w) & HIGH;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    run_end(b, i, TOKEN)
}

/// Whether all 64 bytes are lowercase hex digits.
#[inline(always)]
pub(super) fn all_hex(v: &[u8; 64]) -> bool {
    v.chunks_exact(8).fold(HIGH, |acc, chunk| {
        acc & hex_bytes(u64::from_le_bytes(
            <[u8; 8]>::try_from(chunk).unwrap_or_default(),
        ))
    }) == HIGH
}

/// The kind of a key. The reserved keys are listed in ascending byte order of their names,
/// so two reserved keys compare like their names.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Action,
    Actor,
    Commitment,
    Subject,
    Time,
    V,
    Extra,
}

#[inline(always)]
fn key_kind(key: &[u8]) -> Key {
    match key {
        b"action" => Key::Action,
        b"actor" => Key::Actor,
        b"commitment" => Key::Commitment,
        b"subject" => Key::Subject,
        b"time" => Key::Time,
        b"v" => Key::V,
        _ => Key::Extra,
    }
}

/// The first eight bytes of `"action":`, `"actor":`, `"commitment":`, `"subject":` and
/// `"time":` as little-endian words.
const fn word(b: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*b)
}
const ACTION: u64 = word(b"\"action\"");
const ACTOR: u64 = word(b"\"actor\":");
const COMMITMENT: u64 = word(b"\"commitm");
const SUBJECT: u64 = word(b"\"subject");
const TIME: u64 = word(b"\"time\":\"");

/// A shortcut for the reserved keys: if `"name":` starts at `b[i]` for a reserved name, its
/// kind and name (the `"name":` is then `name.len() + 3` bytes). A word compare instead of
/// a token scan and a name match; `None` (the general path, which handles every key) if the
/// bytes are anything else.
#[inline(always)]
fn reserved_key(b: &[u8], i: usize) -> Option<(Key, &'static [u8])> {
    if let Some(w) = b.get(i..i + 8) {
        let found = match u64::from_le_bytes(<[u8; 8]>::try_from(w).ok()?) {
            ACTION if b.get(i + 8) == Some(&b':') => Some((Key::Action, &b"action"[..])),
            ACTOR => Some((Key::Actor, &b"actor"[..])),
            COMMITMENT if b.get(i + 8..i + 12) == Some(b"ent\":") => {
                Some((Key::Commitment, &b"commitment"[..]))
            }
            SUBJECT if b.get(i + 8..i + 10) == Some(b"\":") => {
                Some((Key::Subject, &b"subject"[..]))
            }
            TIME => Some((Key::Time, &b"time"[..])),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    (b.get(i..i + 4) == Some(b"\"v\":")).then_some((Key::V, &b"v"[..]))
}

/// A time of the fixed form `YYYY-MM-DDTHH:MM:SS.mmmZ`, validated: a real date of years
/// 0 to 9999 (proleptic Gregorian) and a time of day.
#[derive(Clone, Copy)]
pub(super) struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
}

impl Civil {
    /// Validates `b` as the form [`Timestamp::to_rfc3339`] writes for years 0 to 9999 (the
    /// only ones whose form is 24 bytes): the fixed separators, 17 ASCII digits, month 1–12,
    /// day 1 to the length of that month (29 in February of a leap year), hour 0–23,
    /// minute and second 0–59 (no leap seconds), any millisecond. Exactly these forms are the
    /// ones `to_rfc3339` writes back unchanged.
    #[inline(always)]
    pub(super) fn parse(b: &[u8; 24]) -> Option<Self> {
        const DIGITS: [usize; 17] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
        let mut ok = b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'.'
            && b[23] == b'Z';
        for i in DIGITS {
            ok &= b[i].wrapping_sub(b'0') < 10;
        }
        if !ok {
            return None;
        }
        let d = |i: usize| i64::from(b[i] - b'0');
        let c = Self {
            year: d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3),
            month: d(5) * 10 + d(6),
            day: d(8) * 10 + d(9),
            hour: d(11) * 10 + d(12),
            minute: d(14) * 10 + d(15),
            second: d(17) * 10 + d(18),
            milli: d(20) * 100 + d(21) * 10 + d(22),
        };
        let valid = (1..=12).contains(&c.month)
            && c.day >= 1
            && c.day <= days_in_month(c.year, c.month)
            && c.hour <= 23
            && c.minute <= 59
            && c.second <= 59;
        valid.then_some(c)
    }

    /// The instant.
    pub(super) fn timestamp(self) -> Timestamp {
        let days = days_from_civil(self.year, self.month, self.day);
        Timestamp::from_millis(
            ((days * 24 + self.hour) * 60 + self.minute) * 60_000 + self.second * 1000 + self.milli,
        )
    }
}

/// The number of days of `month` (1–12) in `year` of the proleptic Gregorian calendar.
#[inline(always)]
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Decodes 64 lowercase hex digits (already validated).
pub(super) fn decode_hex32(hex: &[u8; 64]) -> [u8; 32] {
    let nibble = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = (nibble(pair[0]) << 4) | nibble(pair[1]);
    }
    out
}

/// The fields of an entry as borrowed from its bytes, each already validated.
pub(super) struct Scanned<'a> {
    pub(super) time: Civil,
    pub(super) actor: &'a [u8],
    pub(super) action: Action,
    pub(super) subject: &'a [u8],
    pub(super) commitment: Option<&'a [u8; 64]>,
}

fn not_canonical() -> EntryError {
    EntryError::NotCanonical("keys unsorted, whitespace or non-canonical values")
}

/// Scans `bytes` as a canonical entry (see the module doc). Extra fields go to `extra` in
/// order, as validated tokens.
#[inline(always)]
pub(super) fn scan<'a>(
    bytes: &'a [u8],
    mut extra: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<Scanned<'a>, EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    let Some(b) = bytes.strip_prefix(b"{").and_then(|b| b.strip_suffix(b"}")) else {
        return Err(EntryError::NotCanonical("not a JSON object"));
    };
    let (mut time, mut actor, mut action, mut subject) = (None, None, None, None);
    let mut commitment = None;
    let mut version = false;
    // The previous key and its kind (`None` before the first key).
    let mut prev: (&[u8], Option<Key>) = (&[], None);
    let mut i = 0;
    loop {
        // "key":
        let (key, kind) = match reserved_key(b, i) {
            Some((kind, name)) => {
                i += name.len() + 3;
                (&b[i - name.len() - 2..i - 2], kind)
            }
            None => {
                if b.get(i) != Some(&b'"') {
                    return Err(not_canonical());
                }
                let key_end = token_end(b, i + 1);
                let key = &b[i + 1..key_end];
                if b.get(key_end..key_end + 2) != Some(b"\":") {
                    return Err(not_canonical());
                }
                if key.is_empty() || key.len() > MAX_TOKEN {
                    return Err(not_canonical());
                }
                i = key_end + 2;
                (key, key_kind(key))
            }
        };
        let ascending = match prev.1 {
            None => true,
            // Ranks of reserved keys compare like their names; no byte comparison needed.
            Some(p) if p != Key::Extra && kind != Key::Extra => kind > p,
            Some(_) => key > prev.0,
        };
        if !ascending {
            return Err(not_canonical());
        }
        prev = (key, Some(kind));
        // value
        if kind == Key::V {
            if b.get(i) != Some(&b'1') {
                return Err(EntryError::BadField("v".into()));
            }
            version = true;
            i += 1;
        } else {
            if b.get(i) != Some(&b'"') {
                return Err(EntryError::BadField(text(key).into()));
            }
            let start = i + 1;
            // The value's end (its closing quote) if it is valid for its field.
            let end = match kind {
                Key::Time => b
                    .get(start..start + 24)
                    .and_then(|v| <&[u8; 24]>::try_from(v).ok())
                    .and_then(Civil::parse)
                    .map(|c| {
                        time = Some(c);
                        start + 24
                    }),
                Key::Commitment => b
                    .get(start..start + 64)
                    .and_then(|v| <&[u8; 64]>::try_from(v).ok())
                    .filter(|v| all_hex(v))
                    .map(|v| {
                        commitment = Some(v);
                        start + 64
                    }),
                Key::Action => {
                    let end = token_end(b, start);
                    action_named(&b[start..end]).map(|a| {
                        action = Some(a);
                        end
                    })
                }
                _ => {
                    let end = token_end(b, start);
                    let value = &b[start..end];
                    (!value.is_empty() && value.len() <= MAX_TOKEN).then(|| {
                        match kind {
                            Key::Actor => actor = Some(value),
                            Key::Subject => subject = Some(value),
                            _ => extra(key, value),
                        }
                        end
                    })
                }
            };
            match end {
                Some(end) if b.get(end) == Some(&b'"') => i = end + 1,
                _ => return Err(value_error(&b[start..], key, kind)),
            }
        }
        // , or the end
        match b.get(i) {
            Some(b',') => i += 1,
            None => break,
            Some(_) => return Err(not_canonical()),
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

#[inline(always)]
fn action_named(name: &[u8]) -> Option<Action> {
    Some(match name {
        b"intake" => Action::Intake,
        b"view" => Action::View,
        b"export" => Action::Export,
        b"transfer" => Action::Transfer,
        b"redaction" => Action::Redaction,
        b"analysis" => Action::Analysis,
        b"disposition" => Action::Disposition,
        b"create" => Action::Create,
        b"update" => Action::Update,
        _ => return None,
    })
}

/// The error for a string value (starting at `rest`, after its opening quote) that the fast
/// path refused: not closed after printable ASCII, or closed but not valid for its field.
#[cold]
#[inline(never)]
fn value_error(rest: &[u8], key: &[u8], kind: Key) -> EntryError {
    let len = run_end(rest, 0, STR);
    if rest.get(len) != Some(&b'"') {
        return not_canonical();
    }
    let value = text(&rest[..len]);
    match kind {
        Key::Action => EntryError::UnknownAction(value.chars().take(40).collect()),
        Key::Actor => EntryError::NotAToken("actor".into()),
        Key::Subject => EntryError::NotAToken("subject".into()),
        Key::Extra => EntryError::NotAToken(text(key).chars().take(40).collect()),
        Key::Time | Key::Commitment | Key::V => EntryError::BadField(text(key).into()),
    }
}
