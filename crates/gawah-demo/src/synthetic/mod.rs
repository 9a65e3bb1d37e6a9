//! A deterministic corpus of synthetic incidents, for demos, tests and benchmarks.
//!
//! Every incident is fictional and says so: its `ref` is `SYN-000123` and its description begins
//! with `[synthetic] `, `[نمونه] ` (Dari) or `[بېلګه] ` (Pashto). People appear only as roles
//! ("a midwife", "یک قابله") and pseudonyms ("Witness 12"); places below the province are
//! invented. The same seed always gives the same corpus, on every platform.
//!
//! # Shape
//!
//! - Language: Dari 45%, Pashto 25%, English 30%.
//! - Dates from 2021-08-15 to 2025-11-30: 60% spread evenly, 40% in bursts of up to 90 days
//!   after ten major edicts (the burst after the December 2022 university ban is three times
//!   as large as the others). Precision: day 75%, month 20%, year 5%.
//! - Each incident links the edicts of its domains that it could enforce: those whose earliest
//!   possible date is on or before the incident's earliest possible date (the most recent one
//!   and, half the time, one earlier).
//!
//! # Spelling variants (Dari and Pashto text only; English is never varied)
//!
//! Chosen independently per incident, applied to title and description (not to the marker):
//!
//! | variant | share of fa/ps incidents |
//! |---|---|
//! | Arabic yeh ي U+064A for every Persian yeh ی U+06CC | 15% |
//! | Arabic kaf ك U+0643 for every keheh ک U+06A9 | 15% |
//! | ZWNJ written as a space ("می گوید") | 20% |
//! | ZWNJ dropped ("میگوید") | 5% |
//! | fatha U+064E after the first letter of every third word | 10% |
//! | heh with yeh above ۀ U+06C0 for heh + hamza above (هٔ) | 10% |
//! | digits: Persian ۰–۹ / ASCII 0–9 / Arabic-Indic ٠–٩ | 60% / 25% / 15% |
//!
//! Pashto letters (ښ ږ ځ څ ټ ډ ړ ڼ ې ۍ ئ ګ) are never altered. Note that Pashto does use ي
//! U+064A as a letter of its own (e.g. "وايي"), which the templates keep; the yeh variant only
//! rewrites U+06CC.

mod index;
mod render;
mod templates;
mod variants;

pub(crate) use index::{EDICT_INDEX, PROVINCE_INDEX};
pub use render::{Label, perpetrators};

/// One synthetic incident. Field meanings follow the incident API of `gawah-web`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticIncident {
    /// `SYN-000001`, numbered from one in generation order.
    pub r#ref: String,
    /// A short title in the incident's language.
    pub title: String,
    /// Starts with the synthetic marker of its language.
    pub description: String,
    /// `en`, `fa` or `ps`.
    pub language: &'static str,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, as `date_precision` says.
    pub date: String,
    /// `day`, `month` or `year`.
    pub date_precision: &'static str,
    /// ISO 3166-2:AF code.
    pub province: String,
    /// One or two of the incident domains (all of [`crate::DOMAINS`] but `accountability`).
    pub violation_types: Vec<String>,
    /// A key of [`perpetrators`].
    pub perpetrator: String,
    /// Ids of the edicts this incident enforces.
    pub edicts: Vec<String>,
    /// Source reliability, `A` to `F`.
    pub source_reliability: char,
    /// Information credibility, 1 to 6.
    pub source_credibility: u8,
    /// `unverified`, `partially_verified` or `verified`.
    pub verification_status: &'static str,
    /// A fictional exact place; confidential in the application.
    pub exact_location: String,
    /// How many people were harmed.
    pub victims: u8,
    /// A pseudonym such as `Witness 12`, in the incident's language.
    pub witness_pseudonym: String,
}

/// The markers that open every synthetic description: English, Dari, Pashto.
pub const MARKERS: [&str; 3] = ["[synthetic] ", "[نمونه] ", "[بېلګه] "];

/// `n` synthetic incidents for `seed`; the same arguments always give the same incidents.
pub fn incidents(seed: u64, n: usize) -> impl Iterator<Item = SyntheticIncident> {
    let mut rng = SplitMix64(seed);
    (0..n).map(move |index| render::incident(&mut rng, index, true))
}

/// The incidents of [`incidents`] for the same arguments, with their text in the standard
/// spelling: no spelling variant applied. Every other field is the same, so this is the ground
/// truth of what each incident says, for measuring search recall across spelling variants.
pub fn canonical_incidents(seed: u64, n: usize) -> impl Iterator<Item = SyntheticIncident> {
    let mut rng = SplitMix64(seed);
    (0..n).map(move |index| render::incident(&mut rng, index, false))
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`; the modulo bias is negligible for the small bounds used here.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// True with probability `percent`/100.
    pub(crate) fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if month <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        month,
        day,
    )
}

#[cfg(test)]
mod tests;
