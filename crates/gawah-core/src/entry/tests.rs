use super::*;
use crate::commitment::{Salt, Sha256Digest};
use proptest::prelude::*;

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
    assert!(text.ends_with(
        "\"org\":\"org_1\",\"subject\":\"item_0123\",\"time\":\"2026-11-28T06:00:00.123Z\",\"v\":1}"
    ));
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

/// The strict scanner as first written (parse the time, then format it again and compare; keys
/// compared as slices; values decoded as UTF-8): the oracle of the faster scanner in
/// `check.rs`, which must accept the same bytes and refuse them with the same errors.
mod first_scanner {
    use super::super::*;

    pub fn parse(bytes: &[u8]) -> Result<LogEntry, EntryError> {
        let mut extra = BTreeMap::new();
        let f = scan(bytes, &mut |k, v| {
            extra.insert(k.to_owned(), v.to_owned());
        })?;
        Ok(LogEntry {
            time: f.time,
            actor: f.actor.to_owned(),
            action: f.action,
            subject: f.subject.to_owned(),
            commitment: f.commitment,
            extra,
        })
    }

    pub fn check(bytes: &[u8]) -> Result<(), EntryError> {
        scan(bytes, &mut |_, _| {}).map(|_| ())
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

    /// Parses exactly the form [`Timestamp::to_rfc3339`] writes.
    pub fn parse_rfc3339_millis(s: &str) -> Option<Timestamp> {
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
}

/// A time with the digits `y`, `mo`, `d` (and a fixed time of day) written in.
fn time_bytes(y: u32, mo: u32, d: u32, hms: [u32; 3]) -> [u8; 24] {
    let mut b = *b"0000-00-00T00:00:00.789Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, mo);
    put(8, 2, d);
    put(11, 2, hms[0]);
    put(14, 2, hms[1]);
    put(17, 2, hms[2]);
    b
}

fn fast_time(b: &[u8; 24]) -> Option<Timestamp> {
    check::Civil::parse(b).map(check::Civil::timestamp)
}

fn first_time(b: &[u8; 24]) -> Option<Timestamp> {
    std::str::from_utf8(b)
        .ok()
        .and_then(first_scanner::parse_rfc3339_millis)
}

/// Every year 0–9999 with every month 0–13 and day 0–32 (leap years, century years and
/// year 0 included), every time of day 00–99 in each position, and every byte value in
/// every position of two times: the layout check accepts exactly what the round trip through
/// `format_rfc3339` accepted, with the same instant.
#[test]
fn time_layout_check_agrees_with_the_round_trip() {
    let mut accepted = 0u32;
    for y in 0..=9999 {
        for mo in 0..=13 {
            for d in 0..=32 {
                let b = time_bytes(y, mo, d, [12, 34, 56]);
                let fast = fast_time(&b);
                assert_eq!(fast, first_time(&b), "{}", String::from_utf8_lossy(&b));
                accepted += u32::from(fast.is_some());
            }
        }
    }
    // 400 years of the Gregorian cycle have 146,097 days; 10,000 years, 25 cycles.
    assert_eq!(accepted, 25 * 146_097);
    for a in 0..=99 {
        for b in 0..=99 {
            for hms in [[a, b, 0], [a, 0, b], [0, a, b]] {
                let t = time_bytes(2024, 2, 29, hms);
                assert_eq!(
                    fast_time(&t),
                    first_time(&t),
                    "{}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
    }
    for base in [
        time_bytes(2000, 2, 29, [23, 59, 59]),
        *b"0000-01-01T00:00:00.000Z",
    ] {
        for at in 0..24 {
            for byte in 0..=255u8 {
                let mut t = base;
                t[at] = byte;
                assert_eq!(
                    fast_time(&t),
                    first_time(&t),
                    "{}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
    }
}

/// Valid entries in the bytes `to_bytes` writes: random tokens (up to and over the 128-byte
/// limit), actions, times (around years 0 and 9999, and ordinary), commitments and extra
/// fields, some with keys next to the reserved ones in byte order.
fn entry_strategy() -> impl Strategy<Value = Vec<u8>> {
    let token = "[a-z0-9_.:-]{1,20}|[a-z0-9_.:-]{126,129}";
    let time = prop_oneof![
        -62_167_219_200_000i64 - 100_000_000_000..-62_167_219_200_000 + 100_000_000_000,
        253_402_300_799_999i64 - 100_000_000_000..253_402_300_799_999 + 100_000_000_000,
        0i64..4_102_444_800_000,
    ];
    let key = prop_oneof![
        token.prop_map(|s| s),
        prop::sample::select(vec![
            "a",
            "action0",
            "actor",
            "actora",
            "b",
            "commitment",
            "commitmenu",
            "org",
            "subject",
            "subjects",
            "t",
            "time",
            "timf",
            "u",
            "v",
            "v0",
            "w",
            "zz",
            "9",
            "-",
        ])
        .prop_map(str::to_owned),
    ];
    (
        time,
        token,
        0..9usize,
        token,
        prop::option::of(any::<[u8; 32]>()),
        prop::collection::vec((key, token), 0..4),
    )
        .prop_filter_map("not encodable", |(t, actor, a, subject, c, extra)| {
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
            let mut e = LogEntry::new(Timestamp::from_millis(t), &actor, actions[a], &subject);
            e.commitment = c.map(Commitment);
            for (k, v) in extra {
                e = e.with_field(&k, &v);
            }
            e.to_bytes().ok()
        })
}

/// One edit of an entry's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at a position.
    Set(prop::sample::Index, u8),
    /// Insert a byte (often whitespace) at a position.
    Insert(prop::sample::Index, u8),
    /// Remove the byte at a position.
    Remove(prop::sample::Index),
    /// Set one of the 24 bytes of the time value (mostly to a digit).
    TimeByte(usize, u8),
    /// Set the date of the time value, around month ends and leap days.
    Date(u32, u32, u32),
    /// Swap two fields (keys out of order).
    SwapFields(prop::sample::Index, prop::sample::Index),
    /// Copy a field next to another (a duplicate key), or drop one.
    CopyField(prop::sample::Index, prop::sample::Index),
    DropField(prop::sample::Index),
}

fn byte_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"{}[]:,\"\\ 01Z9azA-_.:tTv\t\n\r\x00\x7f\xff\xc3".to_vec()),
        any::<u8>(),
    ]
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    prop_oneof![
        1 => (any::<Index>(), byte_strategy()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (
            any::<Index>(),
            prop_oneof![Just(b' '), Just(b'\n'), byte_strategy()]
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        1 => (
            0..24usize,
            prop_oneof![3 => b'0'..=b'9', 1 => byte_strategy()]
        )
            .prop_map(|(i, b)| Mutation::TimeByte(i, b)),
        3 => (
            prop::sample::select(vec![0, 1, 4, 100, 400, 1900, 2000, 2023, 2024, 9996, 9999]),
            prop_oneof![Just(2u32), 0..=13u32],
            prop::sample::select(vec![0, 1, 28, 29, 30, 31, 32]),
        )
            .prop_map(|(y, m, d)| Mutation::Date(y, m, d)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Mutation::SwapFields(i, j)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Mutation::CopyField(i, j)),
        1 => any::<Index>().prop_map(Mutation::DropField),
    ]
}

/// The fields of canonical-looking bytes: the body between `{` and `}` split at `,` (no
/// value `to_bytes` writes contains a comma).
fn fields(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let body = bytes.strip_prefix(b"{")?.strip_suffix(b"}")?;
    Some(body.split(|&c| c == b',').map(<[u8]>::to_vec).collect())
}

fn join(fields: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![b'{'];
    out.extend_from_slice(&fields.join(&b","[..]));
    out.push(b'}');
    out
}

/// Where the time value starts.
fn time_value(bytes: &[u8]) -> Option<usize> {
    let key = b"\"time\":\"";
    bytes
        .windows(key.len())
        .position(|w| w == key)
        .map(|p| p + key.len())
}

fn apply(m: &Mutation, bytes: &mut Vec<u8>) {
    let len = bytes.len();
    match m {
        Mutation::Set(i, b) if len > 0 => bytes[i.index(len)] = *b,
        Mutation::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
        Mutation::Remove(i) if len > 0 => {
            bytes.remove(i.index(len));
        }
        Mutation::TimeByte(at, b) => {
            if let Some(c) = time_value(bytes).and_then(|p| bytes.get_mut(p + at)) {
                *c = *b;
            }
        }
        Mutation::Date(y, mo, d) => {
            let date = time_bytes(*y, *mo, *d, [0, 0, 0]);
            if let Some(t) = time_value(bytes).and_then(|p| bytes.get_mut(p..p + 10)) {
                t.copy_from_slice(&date[..10]);
            }
        }
        Mutation::SwapFields(i, j) => {
            let Some(mut f) = fields(bytes) else { return };
            let n = f.len();
            f.swap(i.index(n), j.index(n));
            *bytes = join(&f);
        }
        Mutation::CopyField(i, j) => {
            let Some(mut f) = fields(bytes) else { return };
            let copy = f[i.index(f.len())].clone();
            f.insert(j.index(f.len() + 1), copy);
            *bytes = join(&f);
        }
        Mutation::DropField(i) => {
            let Some(mut f) = fields(bytes) else { return };
            if f.len() > 1 {
                f.remove(i.index(f.len()));
            }
            *bytes = join(&f);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// `check` accepts exactly the bytes that parse and re-encode to themselves, on random
    /// mutations of valid entries (bytes set, inserted and removed, time digits changed,
    /// whitespace inserted, fields reordered, duplicated and dropped); and `check` and
    /// `parse` give the same results and errors as the first scanner.
    #[test]
    fn check_accepts_exactly_the_canonical_bytes(
        entry in entry_strategy(),
        mutations in prop::collection::vec(mutation_strategy(), 0..4),
    ) {
        let mut m = entry;
        for mutation in &mutations {
            apply(mutation, &mut m);
        }
        let check = LogEntry::check(&m);
        let parsed = LogEntry::parse(&m);
        let canonical = parsed
            .as_ref()
            .is_ok_and(|e| e.to_bytes().as_deref() == Ok(&m[..]));
        prop_assert_eq!(check.is_ok(), canonical, "{}", String::from_utf8_lossy(&m));
        prop_assert_eq!(&check, &first_scanner::check(&m));
        prop_assert_eq!(&parsed, &first_scanner::parse(&m));
        prop_assert_eq!(check.err(), parsed.err());
    }
}

/// The eight-bytes-at-a-time token and hex classifiers agree with the byte table, for every
/// byte value at every position of a run and of the last, shorter chunk.
#[test]
fn word_classifiers_agree_with_the_byte_table() {
    let token = |c: u8| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-');
    for len in 0..=20 {
        for at in 0..len {
            for byte in 0..=255u8 {
                let mut b = vec![b'a'; len];
                b[at] = byte;
                let expected = if token(byte) { len } else { at };
                assert_eq!(check::token_end(&b, 0), expected, "{b:?}");
                assert_eq!(check::run_end(&b, 0, check::TOKEN), expected);
                assert_eq!(check::token_end(&b, at.min(3)), expected.max(at.min(3)));
            }
        }
    }
    for at in 0..64 {
        for byte in 0..=255u8 {
            let mut h = [b'0'; 64];
            h[at] = byte;
            assert_eq!(
                check::all_hex(&h),
                matches!(byte, b'0'..=b'9' | b'a'..=b'f'),
                "{at} {byte}"
            );
        }
    }
}
