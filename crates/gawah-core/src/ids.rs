//! Typed identifiers. An id says what a thing is and reveals nothing about its content:
//! a prefix naming the kind, then 26 characters of lowercase Crockford base32 over 128 bits.
//!
//! New ids are time-ordered: the 128 bits are 48 bits of milliseconds since the Unix epoch
//! (when the id was made), then 80 random bits. Ids made later sort after ids made earlier
//! (to the millisecond), so database indexes keyed by id grow at their right edge instead of
//! at random pages. Ids made before this layout (128 random bits) have the same form and
//! still parse; the rule that the first character is at most `7` holds for both.

use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::str::FromStr;

use crate::clock::{Clock, SystemClock, Timestamp};
use crate::random::{RandomError, random_bytes};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const BODY_LEN: usize = 26;
/// Bits of the random tail; the time takes the 48 bits above it.
const RANDOM_BITS: u32 = 80;
const MAX_MILLIS: i64 = (1 << 48) - 1;

/// A kind of record that has ids.
pub trait IdKind: 'static {
    /// The prefix of its ids, ending in `_`.
    const PREFIX: &'static str;
    /// Its name in error messages.
    const NAME: &'static str;
}

macro_rules! id_kinds {
    ($($kind:ident $alias:ident $prefix:literal $name:literal;)*) => {$(
        #[doc = concat!("The kind of ", $name, " ids.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $kind;
        impl IdKind for $kind {
            const PREFIX: &'static str = $prefix;
            const NAME: &'static str = $name;
        }
        #[doc = concat!("The id of ", $name, ".")]
        pub type $alias = Id<$kind>;
    )*};
}

id_kinds! {
    ItemKind ItemId "item_" "an evidence item";
    OrgKind OrgId "org_" "an organisation";
    MemberKind MemberId "mem_" "a member";
    IncidentKind IncidentId "inc_" "an incident";
    PersonKind PersonId "per_" "a person";
    TestimonyKind TestimonyId "tst_" "a testimony";
    ActKind ActId "act_" "an act";
    ErasureKind ErasureId "era_" "an erasure request";
}

/// A typed id.
pub struct Id<K> {
    text: String,
    kind: PhantomData<K>,
}

/// A string that is not a well-formed id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid id of {kind}: {value:?}")]
pub struct IdError {
    kind: &'static str,
    value: String,
}

impl<K: IdKind> Id<K> {
    /// A fresh id made now (by the system clock): time-ordered, with 80 random bits.
    pub fn random() -> Result<Self, RandomError> {
        Self::at(SystemClock.now())
    }

    /// A fresh id made at `time`: 48 bits of its milliseconds since the epoch (clamped to
    /// 0 ..= 2^48 - 1, which is the year 10889), then 80 random bits.
    pub fn at(time: Timestamp) -> Result<Self, RandomError> {
        let tail: [u8; 10] = random_bytes()?;
        let mut bytes = [0u8; 16];
        bytes[6..].copy_from_slice(&tail);
        let n = ((time.millis().clamp(0, MAX_MILLIS) as u128) << RANDOM_BITS)
            | u128::from_be_bytes(bytes);
        Ok(Self {
            text: format!("{}{}", K::PREFIX, base32(n)),
            kind: PhantomData,
        })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn base32(n: u128) -> String {
    (0..BODY_LEN)
        .rev()
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect()
}

impl<K: IdKind> FromStr for Id<K> {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let ok = s.strip_prefix(K::PREFIX).is_some_and(|b| {
            b.len() == BODY_LEN
                && b.bytes().all(|c| ALPHABET.contains(&c))
                && b.as_bytes()[0] <= b'7' // 26 × 5 = 130 bits: the top digit holds 3 bits
        });
        if ok {
            Ok(Self {
                text: s.to_owned(),
                kind: PhantomData,
            })
        } else {
            Err(IdError {
                kind: K::NAME,
                value: s.chars().take(80).collect(),
            })
        }
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Self {
            text: self.text.clone(),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<K> Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.text)
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
        assert_eq!(a.as_str().len(), "item_".len() + BODY_LEN);
        let org = OrgId::random().unwrap();
        assert!(org.as_str().starts_with("org_"));
        assert!(org.as_str().parse::<ItemId>().is_err());
    }

    #[test]
    fn ids_are_time_ordered() {
        let early = ItemId::at(Timestamp::from_millis(1_767_225_600_000)).unwrap();
        let later = ItemId::at(Timestamp::from_millis(1_767_225_600_001)).unwrap();
        assert!(early < later);
        assert_eq!(later.as_str().parse::<ItemId>().unwrap(), later);
        // The top 48 bits are the milliseconds: 26 - 80/5 = 10 characters of time.
        let same = ItemId::at(Timestamp::from_millis(1_767_225_600_000)).unwrap();
        assert_eq!(early.as_str()[..15], same.as_str()[..15]);
        assert_ne!(early, same);
        let max = ItemId::at(Timestamp::from_millis(i64::MAX)).unwrap();
        let min = ItemId::at(Timestamp::from_millis(-5)).unwrap();
        assert!(max.as_str().as_bytes()[5] <= b'7');
        assert!(min.as_str().starts_with("item_0000000000"));
        assert!(max.as_str().parse::<ItemId>().is_ok() && min.as_str().parse::<ItemId>().is_ok());
    }

    #[test]
    fn ids_of_the_old_random_layout_still_parse() {
        for old in [
            "item_7zzzzzzzzzzzzzzzzzzzzzzzzz",
            "item_3k8f2q9v0w1x2y3z4a5b6c7d8e",
            "item_00000000000000000000000000",
        ] {
            assert_eq!(old.parse::<ItemId>().unwrap().as_str(), old);
        }
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
            "item_000000000000000000000000i0",
        ] {
            assert!(bad.parse::<ItemId>().is_err(), "{bad}");
        }
    }
}
