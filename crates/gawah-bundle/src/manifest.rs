//! `manifest.json`: what the bundle holds and what it claims about each file.
//!
//! Unknown fields are refused, so nothing in the manifest can escape the verifier's notice:
//! a new field means a new format version. Free-form context goes in `metadata` (per item)
//! or `notes` (per bundle), which the report shows as the exporter's statements, unverified.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::layout::{CHECKPOINT, CONSISTENCY, FILES_DIR, FORMAT, KEY};
use crate::names::check_name;

/// Who the bundle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// For a court or mechanism: `files/` holds the originals, byte for byte.
    Legal,
    /// For publication: `files/` holds redacted working copies (see [`DerivedFrom`]).
    Public,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `gawah-bundle/1`.
    pub format: String,
    /// The log's origin: the first line of the checkpoint and the name of its key.
    pub origin: String,
    /// `legal` or `public`.
    pub purpose: Purpose,
    /// The case reference the bundle was made for.
    pub case: String,
    /// When the bundle was made, RFC 3339 (the exporter's clock: not proven by the log).
    pub created: String,
    /// Size of the tree in `log/checkpoint`.
    pub tree_size: u64,
    /// Always `log/checkpoint`.
    pub checkpoint: String,
    /// Always `log/key`.
    pub key: String,
    /// `log/consistency.json` when the bundle carries a consistency proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    /// `log/timestamp.tsr` when the bundle carries an RFC 3161 timestamp of its checkpoint
    /// (over `log/timestamp.txt`, the checkpoint's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The evidence files.
    pub items: Vec<Item>,
    /// Free-form context from the exporter; not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Value>,
}

/// One evidence file and the log entries about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The item's id, e.g. `item_4mhc3nx8z58zp2h0pnsfqffnyq`: the `subject` of its entries.
    pub item: String,
    /// Where the file is in the bundle, under `files/`.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// The commitment salt, 32 bytes in lowercase hex.
    pub salt: String,
    /// Log indexes of the entries about this item, oldest first. The first is the entry
    /// that committed to the file (`intake`, or `redaction` for a redacted copy).
    pub entries: Vec<u64>,
    /// What the exporter states about the file (EXIF, device, place...); not verified.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// The chain of custody as the exporter states it. Objects with an `entry` field are
    /// checked against that log entry: any `action`, `time`, `actor` or `subject` they give
    /// must be what the entry says.
    #[serde(default)]
    pub custody: Vec<Value>,
    /// For a redacted working copy: the original it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<DerivedFrom>,
}

/// The original a working copy was made from.
///
/// The copy's own first entry (a `redaction` entry, whose `original` field names the
/// original) commits to the copy, and that is what the verifier checks against the file.
/// The original's own intake entry is carried too (`entry`, with its proof), so anyone can see
/// that the original was logged before the copy; its commitment cannot be opened without the
/// original and its salt, which a public bundle does not hold. There is deliberately no
/// SHA-256 of the original here: published next to its log entry it would let anyone who
/// holds a copy of the original confirm it, which the salted commitment exists to prevent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedFrom {
    /// The original's item id.
    pub item: String,
    /// Log index of the original's commitment-bearing (intake) entry.
    pub entry: u64,
}

impl Manifest {
    /// A manifest with the fixed fields filled in and no items.
    pub fn new(origin: &str, purpose: Purpose, case: &str, created: &str, tree_size: u64) -> Self {
        Self {
            format: FORMAT.to_owned(),
            origin: origin.to_owned(),
            purpose,
            case: case.to_owned(),
            created: created.to_owned(),
            tree_size,
            checkpoint: CHECKPOINT.to_owned(),
            key: KEY.to_owned(),
            consistency: None,
            timestamp: None,
            items: Vec::new(),
            notes: None,
        }
    }

    /// The manifest as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        crate::layout::to_json(self)
    }

    /// Parses and checks the bundle-level fields; item fields are checked by
    /// [`Item::problems`], so that one bad item does not hide the others.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let m: Self = serde_json::from_slice(bytes)
            .map_err(|e| format!("manifest.json is not a valid manifest: {e}"))?;
        let fail = |what: String| Err(format!("manifest.json: {what}"));
        if m.format != FORMAT {
            return fail(format!(
                "format is {:?}, this verifier reads {FORMAT:?}",
                m.format
            ));
        }
        if m.origin.is_empty() || m.case.is_empty() {
            return fail("origin and case must not be empty".into());
        }
        if !is_rfc3339(&m.created) {
            return fail(format!("created ({:?}) is not an RFC 3339 time", m.created));
        }
        if m.checkpoint != CHECKPOINT || m.key != KEY {
            return fail(format!(
                "checkpoint and key must be {CHECKPOINT:?} and {KEY:?}"
            ));
        }
        if m.consistency.as_deref().is_some_and(|c| c != CONSISTENCY) {
            return fail(format!("consistency must be {CONSISTENCY:?}"));
        }
        if m.items.is_empty() {
            return fail("lists no items".into());
        }
        let mut ids = std::collections::HashSet::new();
        let mut paths = std::collections::HashSet::new();
        for item in &m.items {
            if !ids.insert(&item.item) || !paths.insert(&item.path) {
                return fail(format!(
                    "item {} or path {} is listed twice",
                    item.item, item.path
                ));
            }
        }
        Ok(m)
    }
}

impl Item {
    /// What is wrong with this item's fields, if anything, each as a sentence.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !is_token(&self.item) {
            out.push(format!(
                "item id {:?} is not an id (1-128 of a-z 0-9 _ . : -)",
                self.item
            ));
        }
        if !self.path.starts_with(FILES_DIR) || check_name(&self.path).is_err() {
            out.push(format!(
                "path {:?} is not a safe name under files/",
                self.path
            ));
        }
        if !is_hex32(&self.sha256) {
            out.push(format!(
                "sha256 {:?} is not 64 lowercase hex digits",
                self.sha256
            ));
        }
        if !is_hex32(&self.salt) {
            out.push(format!(
                "salt {:?} is not 64 lowercase hex digits (32 bytes)",
                self.salt
            ));
        }
        if self.entries.is_empty() {
            out.push("lists no log entries".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.entries.iter().find(|e| !seen.insert(**e)) {
            out.push(format!("lists entry {dup} twice"));
        }
        if let Some(d) = &self.derived_from
            && (!is_token(&d.item) || d.item == self.item)
        {
            out.push(format!(
                "derived_from.item {:?} is not another item's id",
                d.item
            ));
        }
        out
    }
}

/// 1 to 128 bytes of `[a-z0-9_.:-]`, as log entries' ids are.
pub fn is_token(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b))
}

/// 64 lowercase hex digits.
pub fn is_hex32(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with plausible field ranges.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>, max: u32| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            && s[r].parse::<u32>().is_ok_and(|v| v <= max)
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let shape = num(0..4, 9999)
        && at(4, b'-')
        && num(5..7, 12)
        && at(7, b'-')
        && num(8..10, 31)
        && (at(10, b'T') || at(10, b't'))
        && num(11..13, 23)
        && at(13, b':')
        && num(14..16, 59)
        && at(16, b':')
        && num(17..19, 60);
    if !shape || s[5..7] == *"00" || s[8..10] == *"00" {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &frac[digits..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] if rest.len() == 6 => {
            let o = rest.as_bytes();
            o[3] == b':'
                && rest[1..3].parse::<u32>().is_ok_and(|h| h < 24)
                && rest[4..6].parse::<u32>().is_ok_and(|m| m < 60)
                && o[1..3].iter().chain(&o[4..6]).all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_shapes() {
        for ok in [
            "2026-11-28T12:00:00Z",
            "2026-11-28T12:00:00.107Z",
            "2026-11-28T16:30:00+04:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2026-11-28",
            "2026-13-01T00:00:00Z",
            "2026-11-28T12:00:00",
            "2026-11-28T12:00:00.Z",
            "2026-00-10T00:00:00Z",
            "2026-11-28T12:00:00+4:30",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_and_hex() {
        assert!(is_token("item_4mhc3nx8z58zp2h0pnsfqffnyq"));
        assert!(!is_token("Item"));
        assert!(!is_token(""));
        assert!(is_hex32(&"ab".repeat(32)));
        assert!(!is_hex32(&"AB".repeat(32)));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut m = Manifest::new(
            "example.org/log",
            Purpose::Legal,
            "CASE-1",
            "2026-11-28T12:00:00Z",
            3,
        );
        m.items.push(Item {
            item: "item_a".into(),
            path: "files/a.bin".into(),
            sha256: "0".repeat(64),
            bytes: 1,
            salt: "1".repeat(64),
            entries: vec![0],
            metadata: Map::new(),
            custody: vec![],
            derived_from: None,
        });
        let json = String::from_utf8(m.to_json()).unwrap();
        assert_eq!(Manifest::parse(json.as_bytes()).unwrap(), m);
        let extra = json.replacen("\"case\"", "\"verified\": true,\n  \"case\"", 1);
        assert!(
            Manifest::parse(extra.as_bytes())
                .unwrap_err()
                .contains("unknown field")
        );
    }

    /// Found by the `manifest` fuzz target: a number in a custody event read and written
    /// again must be the same number, or a manifest re-serialised differs from what was read.
    #[test]
    fn numbers_survive_a_round_trip() {
        let input = include_bytes!("../../../fuzz/regressions/manifest/float-roundtrip");
        let m = Manifest::parse(input).expect("the fuzzer's manifest parses");
        assert_eq!(Manifest::parse(&m.to_json()).expect("parses again"), m);
        for n in ["2.99999999e+173", "0.1", "1e-300", "123456789.123456789"] {
            let v: serde_json::Value = serde_json::from_str(n).expect("a number");
            let again: serde_json::Value =
                serde_json::from_str(&v.to_string()).expect("a number again");
            assert_eq!(again, v, "{n}");
        }
    }
}
