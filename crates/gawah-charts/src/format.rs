//! Numbers as text (ASCII or Persian digits) and round axis ticks.

use crate::{Digits, Value};

/// `n` grouped by thousands, in the given digits: `12,345` or `۱۲٬۳۴۵`.
pub fn format_count(n: u64, digits: Digits) -> String {
    format_wide(u128::from(n), digits)
}

/// Like [`format_count`], for axis values that may pass `u64::MAX` once rounded up.
pub(crate) fn format_wide(n: u128, digits: Digits) -> String {
    let plain = n.to_string();
    let separator = match digits {
        Digits::Ascii => ',',
        Digits::Persian => '\u{066C}',
    };
    let mut out = String::with_capacity(plain.len() * 3);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    localise_digits(&out, digits)
}

/// A value as shown on a chart: `12`, or `<5` for a suppressed cell.
pub(crate) fn format_value(value: Value, digits: Digits) -> String {
    match value {
        Value::Count(n) => format_count(n, digits),
        Value::Under(n) => format!("<{}", format_count(n, digits)),
    }
}

/// `s` with its ASCII digits replaced by the chosen digits (for years and other numbers that
/// are not grouped).
pub(crate) fn localise_digits(s: &str, digits: Digits) -> String {
    match digits {
        Digits::Ascii => s.to_owned(),
        Digits::Persian => s
            .chars()
            .map(|c| match c.to_digit(10) {
                // '۰' is U+06F0 and the Persian digits follow it in order.
                Some(d) if c.is_ascii_digit() => char::from_u32(0x06F0 + d).unwrap_or(c),
                _ => c,
            })
            .collect(),
    }
}

/// Round ticks for an axis from 0 to at least `max`: a step of 1, 2 or 5 times a power of ten
/// giving at most `target` intervals, and the top of the axis (a multiple of the step).
pub(crate) fn ticks(max: u128, target: u128) -> (u128, u128) {
    let max = max.max(1);
    let target = target.max(1);
    let raw = max.div_ceil(target);
    let mut power: u128 = 1;
    while power * 10 <= raw {
        power *= 10;
    }
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10 * power);
    (step, max.div_ceil(step) * step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_in_both_digit_styles() {
        assert_eq!(format_count(0, Digits::Ascii), "0");
        assert_eq!(format_count(999, Digits::Ascii), "999");
        assert_eq!(format_count(1234567, Digits::Ascii), "1,234,567");
        assert_eq!(format_count(1234567, Digits::Persian), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(
            format_count(u64::MAX, Digits::Ascii),
            "18,446,744,073,709,551,615"
        );
        assert_eq!(format_value(Value::Under(5), Digits::Persian), "<۵");
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(0, 5), (1, 1));
        assert_eq!(ticks(7, 5), (2, 8));
        assert_eq!(ticks(100, 5), (20, 100));
        assert_eq!(ticks(101, 5), (50, 150));
        assert_eq!(ticks(3, 5), (1, 3));
        let (step, top) = ticks(u128::from(u64::MAX) * 10, 5);
        assert!(top >= u128::from(u64::MAX) * 10 && top / step <= 5);
    }
}
