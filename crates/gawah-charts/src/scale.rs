//! The tile map's colour classes: zero apart, then up to five classes of positive counts with
//! round bounds at the quintiles, so that one large province (Kabul) does not wash out the rest.

use crate::format::format_wide;
use crate::palette::{INK, NO_DATA, SEQUENTIAL, ZERO, ink_on_class};
use crate::{Style, Value};

/// Upper bounds of the classes, increasing; empty when no value is positive.
#[derive(Debug)]
pub(crate) struct Classes {
    bounds: Vec<u128>,
}

/// `q` rounded up to a round number: itself up to 10, a multiple of 5 under 100, else two
/// significant digits (`1234` → `1300`).
fn round_up(q: u128) -> u128 {
    if q <= 10 {
        return q;
    }
    let unit = if q < 100 {
        5
    } else {
        let mut unit = 1;
        while unit * 100 <= q {
            unit *= 10;
        }
        unit
    };
    q.div_ceil(unit) * unit
}

impl Classes {
    /// Classes for these values. A suppressed value counts as the largest it may hide (at
    /// least 1), so that it falls in the first class.
    pub(crate) fn new(values: impl Iterator<Item = Value>) -> Classes {
        let mut positives: Vec<u128> = values
            .filter_map(|v| match v {
                Value::Count(0) => None,
                Value::Count(n) => Some(u128::from(n)),
                Value::Under(n) => Some(u128::from(n.saturating_sub(1).max(1))),
            })
            .collect();
        positives.sort_unstable();
        let len = positives.len();
        let classes = SEQUENTIAL.len();
        let mut bounds: Vec<u128> = Vec::with_capacity(classes);
        for k in 1..=classes {
            let Some(q) = (k * len)
                .div_ceil(classes)
                .checked_sub(1)
                .and_then(|i| positives.get(i))
            else {
                continue;
            };
            let bound = round_up(*q);
            if bounds.last().is_none_or(|last| bound > *last) {
                bounds.push(bound);
            }
        }
        Classes { bounds }
    }

    /// The fill and text colour of a value.
    pub(crate) fn colours(&self, value: Value) -> (&'static str, &'static str) {
        let n = match value {
            Value::Count(0) => return (ZERO, INK),
            Value::Count(n) => u128::from(n),
            Value::Under(_) => 0,
        };
        let last = self.bounds.len().saturating_sub(1);
        let class = self.bounds.iter().position(|b| n <= *b).unwrap_or(last);
        // Spread few classes over the scale, so that two classes are not two near-equal yellows.
        let shade = (class * (SEQUENTIAL.len() - 1))
            .checked_div(last)
            .unwrap_or(0);
        (SEQUENTIAL[shade], ink_on_class(shade))
    }

    /// The legend: zero, each class with its range, no data.
    pub(crate) fn legend(&self, style: Style, no_data: &str) -> Vec<(&'static str, String)> {
        let mut entries = vec![(ZERO, format_wide(0, style.digits))];
        let mut low = 1;
        for bound in &self.bounds {
            let label = if low == *bound {
                format_wide(low, style.digits)
            } else {
                format!(
                    "{}–{}",
                    format_wide(low, style.digits),
                    format_wide(*bound, style.digits)
                )
            };
            entries.push((
                self.colours(Value::Count(u64::try_from(*bound).unwrap_or(u64::MAX)))
                    .0,
                label,
            ));
            low = bound + 1;
        }
        let no_data = if no_data.is_empty() { "—" } else { no_data };
        entries.push((NO_DATA, no_data.to_owned()));
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(ns: &[u64]) -> Classes {
        Classes::new(ns.iter().map(|n| Value::Count(*n)))
    }

    #[test]
    fn bounds_are_round_quintiles() {
        assert_eq!(round_up(7), 7);
        assert_eq!(round_up(33), 35);
        assert_eq!(round_up(1234), 1300);
        assert_eq!(round_up(100), 100);
        let c = counts(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1234]);
        assert_eq!(c.bounds, vec![3, 5, 7, 9, 1300]);
    }

    #[test]
    fn zero_is_apart_and_extremes_stay_in_range() {
        let c = counts(&[0, 20, 100]);
        assert_eq!(c.colours(Value::Count(0)).0, ZERO);
        assert_eq!(c.colours(Value::Count(1)).0, SEQUENTIAL[0]);
        assert_eq!(c.colours(Value::Count(100)).0, SEQUENTIAL[4]);
        assert_eq!(c.colours(Value::Count(u64::MAX)).0, SEQUENTIAL[4]);
        assert_eq!(c.colours(Value::Under(5)).0, SEQUENTIAL[0]);
        let huge = counts(&[u64::MAX, u64::MAX - 1]);
        assert!(huge.bounds.iter().all(|b| *b >= u128::from(u64::MAX - 1)));
        let empty = Classes::new(std::iter::empty());
        assert!(empty.bounds.is_empty());
        assert_eq!(empty.colours(Value::Under(5)).0, SEQUENTIAL[0]);
        assert_eq!(empty.legend(Style::default(), "").len(), 2);
    }
}
