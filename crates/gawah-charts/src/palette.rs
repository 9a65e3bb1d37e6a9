//! Colours: one per domain (qualitative) and a sequential scale for counts.
//!
//! Both come from Paul Tol's colour-blind-safe schemes (<https://personal.sron.nl/~pault/>):
//! "muted" for the domains, with a grey for "other", and "YlOrBr" for counts. Stacked
//! segments are also separated by a white line, so that no reading depends on hue alone.

use std::fmt;
use std::str::FromStr;

/// Text colour on light backgrounds.
pub(crate) const INK: &str = "#222222";
/// Axis lines, secondary text.
pub(crate) const MUTED: &str = "#555555";
/// Grid lines.
pub(crate) const GRID: &str = "#DDDDDD";
/// The one colour of a bar chart (Tol "bright" blue).
pub(crate) const BAR: &str = "#4477AA";
/// A suppressed value's bar: the same blue, pale.
pub(crate) const BAR_UNDER: &str = "#BBCCEE";
/// Tiles without data.
pub(crate) const NO_DATA: &str = "#E4E4E4";
/// Tiles with a count of zero.
pub(crate) const ZERO: &str = "#FFFFE5";

/// Sequential classes for positive counts, light to dark (Tol YlOrBr).
pub(crate) const SEQUENTIAL: [&str; 5] = ["#FEE391", "#FEC44F", "#FB9A29", "#CC4C02", "#662506"];

/// Text colour on a sequential class: white from the fourth class on.
pub(crate) fn ink_on_class(class: usize) -> &'static str {
    if class >= 3 { "#FFFFFF" } else { INK }
}

/// A domain of rights the edicts restrict: the violation types of `gawah_core::vocab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Domain {
    /// Schooling and university.
    Education,
    /// Paid work.
    Employment,
    /// Travel, the male-guardian rule.
    Movement,
    /// Dress codes.
    Dress,
    /// Health care.
    Health,
    /// Courts and justice.
    Justice,
    /// Parks, gyms, baths and other public places.
    PublicSpace,
    /// Media and public speech.
    Media,
    /// Political participation.
    PoliticalParticipation,
    /// Anything else.
    Other,
}

impl Domain {
    /// Every domain, in the order of stacking (bottom first) and of the legend.
    pub const ALL: [Domain; 10] = [
        Domain::Education,
        Domain::Employment,
        Domain::Movement,
        Domain::Dress,
        Domain::Health,
        Domain::Justice,
        Domain::PublicSpace,
        Domain::Media,
        Domain::PoliticalParticipation,
        Domain::Other,
    ];

    /// The vocabulary name (`public_space`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Education => "education",
            Domain::Employment => "employment",
            Domain::Movement => "movement",
            Domain::Dress => "dress",
            Domain::Health => "health",
            Domain::Justice => "justice",
            Domain::PublicSpace => "public_space",
            Domain::Media => "media",
            Domain::PoliticalParticipation => "political_participation",
            Domain::Other => "other",
        }
    }

    /// Its colour (Tol "muted"; grey for [`Domain::Other`]).
    pub fn colour(self) -> &'static str {
        match self {
            Domain::Education => "#332288",
            Domain::Employment => "#88CCEE",
            Domain::Movement => "#117733",
            Domain::Dress => "#DDCC77",
            Domain::Health => "#CC6677",
            Domain::Justice => "#44AA99",
            Domain::PublicSpace => "#882255",
            Domain::Media => "#999933",
            Domain::PoliticalParticipation => "#AA4499",
            Domain::Other => "#BBBBBB",
        }
    }

    /// Its position in [`Domain::ALL`], and so in count and label arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Domain::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown domain {s:?}"))
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_round_trip_and_have_distinct_colours() {
        for (i, d) in Domain::ALL.into_iter().enumerate() {
            assert_eq!(d.index(), i);
            assert_eq!(d.as_str().parse::<Domain>(), Ok(d));
        }
        let mut colours: Vec<_> = Domain::ALL.iter().map(|d| d.colour()).collect();
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), Domain::ALL.len());
    }
}
