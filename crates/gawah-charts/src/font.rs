//! The font shipped in the crate, and text widths measured with it.
//!
//! Widths come from shaping with harfrust, the shaper resvg uses, so Arabic letters are measured
//! in their joined forms (about a quarter narrower than isolated ones). Browsers draw with the
//! same family (the web crate serves Vazirmatn); [`text_width`] adds a small margin for their
//! own shaping and hinting.

use std::sync::OnceLock;

use harfrust::{ShapeOptions, ShaperData, UnicodeBuffer};

/// Vazirmatn Regular (SIL Open Font License 1.1), from the npm package `vazirmatn` 33.0.3; see
/// `assets/README.md`. It has Latin, Arabic, Persian and Pashto letters, and both digit sets.
pub const FONT_TTF: &[u8] = include_bytes!("../assets/Vazirmatn-Regular.ttf");

/// The family named in every chart, then the generic fallback.
pub const FONT_FAMILY: &str = "Vazirmatn, sans-serif";

/// Advance of a character when the font cannot be read, in ems (never with the shipped font).
const FALLBACK_ADVANCE: f64 = 0.6;

/// Margin on measured widths, for the browser's own shaping and hinting.
const MARGIN: f64 = 1.04;

struct Shaping {
    font: harfrust::FontRef<'static>,
    data: ShaperData,
    units_per_em: f64,
}

fn shaping() -> Option<&'static Shaping> {
    static SHAPING: OnceLock<Option<Shaping>> = OnceLock::new();
    SHAPING
        .get_or_init(|| {
            let font = harfrust::FontRef::new(FONT_TTF).ok()?;
            let data = ShaperData::new(&font);
            let face = ttf_parser::Face::parse(FONT_TTF, 0).ok()?;
            let units_per_em = f64::from(face.units_per_em());
            Some(Shaping {
                font,
                data,
                units_per_em,
            })
        })
        .as_ref()
}

/// Width in pixels of `s` set at `size` pixels.
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let ems = match shaping() {
        Some(shaping) => {
            let shaper = shaping.data.shaper(&shaping.font).build();
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str(s);
            buffer.guess_segment_properties();
            let glyphs = shaper.shape(buffer, ShapeOptions::new());
            let units: i64 = glyphs
                .glyph_positions()
                .iter()
                .map(|p| i64::from(p.x_advance))
                .sum();
            units as f64 / shaping.units_per_em
        }
        None => s.chars().count() as f64 * FALLBACK_ADVANCE,
    };
    ems * size * MARGIN
}

/// `s` if it fits in `max` pixels at `size`, else its longest prefix that fits followed by `…`.
pub(crate) fn truncate(s: &str, size: f64, max: f64) -> String {
    if text_width(s, size) <= max {
        return s.to_owned();
    }
    let room = max - text_width("…", size);
    // Char boundaries; the widest prefix that fits, by bisection (widths grow with length).
    let ends: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .chain([s.len()])
        .collect();
    let (mut lo, mut hi) = (0, ends.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(&s[..ends[mid - 1]], size) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let kept = if lo == 0 {
        ""
    } else {
        s[..ends[lo - 1]].trim_end()
    };
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_parses_and_measures() {
        assert!(shaping().is_some());
        let w = text_width("Kabul", 12.0);
        assert!(w > 20.0 && w < 45.0, "{w}");
        assert!(text_width("کابل", 12.0) > 10.0);
        // Joined Arabic is narrower than its letters apart.
        let joined = text_width("ننگرهار", 12.0);
        let apart: f64 = "ننگرهار"
            .chars()
            .map(|c| text_width(&c.to_string(), 12.0))
            .sum();
        assert!(joined < 0.9 * apart, "{joined} vs {apart}");
        assert_eq!(text_width("", 12.0), 0.0);
    }

    #[test]
    fn truncation_keeps_short_text_and_cuts_long_text() {
        assert_eq!(truncate("Kabul", 12.0, 100.0), "Kabul");
        let cut = truncate(&"Ministry ".repeat(20), 12.0, 100.0);
        assert!(
            cut.ends_with('…') && text_width(&cut, 12.0) <= 100.0,
            "{cut}"
        );
        assert_eq!(truncate("abc", 12.0, 0.0), "…");
    }
}
