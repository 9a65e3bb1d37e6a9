//! Typed identifiers. An id says what a thing is and reveals nothing about its content.

use std::fmt;
use std::str::FromStr;

use crate::random::{RandomError, random_bytes};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const ITEM_PREFIX: &str = "item_";
const BODY_LEN: usize = 26;

/// The id of an evidence item: `item_` and 26 characters of lowercase Crockford base32 over
/// 128 random bits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(String);

/// A string that is not a well-formed id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid {kind} id: {value:?}")]
pub struct IdError {
    kind: &'static str,
    value: String,
}

impl ItemId {
    /// A fresh random id.
    pub fn random() -> Result<Self, RandomError> {
        let bytes: [u8; 16] = random_bytes()?;
        Ok(Self(format!("{ITEM_PREFIX}{}", base32(&bytes))))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn base32(bytes: &[u8; 16]) -> String {
    let n = u128::from_be_bytes(*bytes);
    (0..BODY_LEN)
        .rev()
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect()
}

impl FromStr for ItemId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let body = s.strip_prefix(ITEM_PREFIX);
        let ok = body.is_some_and(|b| {
            b.len() == BODY_LEN
                && b.bytes().all(|c| ALPHABET.contains(&c))
                && b.as_bytes()[0] <= b'7' // 26 × 5 = 130 bits: the top digit holds 3 bits
        });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError {
                kind: "item",
                value: s.chars().take(80).collect(),
            })
        }
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_parse_back_and_differ() {
        let a = ItemId::random().unwrap();
        let b = ItemId::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().parse::<ItemId>().unwrap(), a);
        assert_eq!(a.as_str().len(), ITEM_PREFIX.len() + BODY_LEN);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "item_",
            "item_abc",
            "case_0000000000000000000000000",
            "item_8zzzzzzzzzzzzzzzzzzzzzzzzz",
            "item_0000000000000000000000000u",
        ] {
            assert!(bad.parse::<ItemId>().is_err(), "{bad}");
        }
    }
}
