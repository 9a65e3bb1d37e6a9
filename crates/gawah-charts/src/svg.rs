//! A small SVG writer: escaping, number formatting, and mirroring for right-to-left charts.
//!
//! Charts lay out in logical coordinates (as for a left-to-right language); when mirroring is on
//! the writer flips x and text anchors. Every caller string goes through [`escape`].

use std::fmt::Write as _;

use crate::font::FONT_FAMILY;
use crate::{ChartText, Style};

/// Base font size in pixels.
pub(crate) const FONT_SIZE: f64 = 12.0;

/// `s` as XML character data or attribute value: markup characters escaped, and characters
/// XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) replaced by U+FFFD,
/// so that no input can break the document.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: at most two decimals, no trailing zeros, `0` for anything not finite.
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let s = format!("{:.2}", (v * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Where a text hangs from its x, in logical terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The reading start: left in a left-to-right chart.
    Start,
    /// The centre.
    Middle,
    /// The reading end.
    End,
}

/// An SVG document being written.
#[derive(Debug)]
pub(crate) struct Svg {
    out: String,
    width: f64,
    rtl: bool,
    /// Whether x and anchors are flipped; on for right-to-left charts, except where a chart
    /// keeps physical positions (the map's geography).
    pub(crate) mirror: bool,
}

impl Svg {
    /// Opens a document of `width` × `height` pixels with its title and description.
    pub(crate) fn new(width: f64, height: f64, text: &ChartText, style: Style) -> Svg {
        let (w, h) = (num(width), num(height));
        let mut out = String::with_capacity(16 * 1024);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" direction=\"ltr\" font-family=\"{FONT_FAMILY}\" \
             font-size=\"{}\">\
             <title>{}</title><desc>{}</desc>",
            num(FONT_SIZE),
            escape(&text.title),
            escape(&text.desc),
        );
        Svg {
            out,
            width,
            rtl: style.rtl,
            mirror: style.rtl,
        }
    }

    /// Physical x of a logical x.
    pub(crate) fn x(&self, x: f64) -> f64 {
        if self.mirror { self.width - x } else { x }
    }

    fn anchor(&self, anchor: Anchor) -> &'static str {
        match (anchor, self.mirror) {
            (Anchor::Middle, _) => "middle",
            (Anchor::Start, false) | (Anchor::End, true) => "start",
            (Anchor::End, false) | (Anchor::Start, true) => "end",
        }
    }

    /// A rectangle at logical `x`; `attrs` are written as they are (trusted, never caller text);
    /// `title` becomes its tooltip.
    pub(crate) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str, title: &str) {
        let left = if self.mirror { self.width - x - w } else { x };
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {attrs}",
            num(left),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
        );
        self.close_with_title("rect", title);
    }

    /// A line between logical points.
    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {attrs}/>",
            num(self.x(x1)),
            num(y1),
            num(self.x(x2)),
            num(y2),
        );
    }

    /// A circle at a logical centre, with a tooltip.
    pub(crate) fn circle(&mut self, cx: f64, cy: f64, r: f64, attrs: &str, title: &str) {
        let _ = write!(
            self.out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {attrs}",
            num(self.x(cx)),
            num(cy),
            num(r)
        );
        self.close_with_title("circle", title);
    }

    /// A line of text at logical `x`, baseline `y`. In a right-to-left chart the text is a
    /// right-to-left isolate, so that mixed Arabic-script, Latin and digits order correctly.
    pub(crate) fn text(&mut self, x: f64, y: f64, anchor: Anchor, attrs: &str, content: &str) {
        let (open, close) = if self.rtl {
            ("&#x2067;", "&#x2069;")
        } else {
            ("", "")
        };
        let _ = write!(
            self.out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" {attrs}>{open}{}{close}</text>",
            num(self.x(x)),
            num(y),
            self.anchor(anchor),
            escape(content),
        );
    }

    /// Opens a group whose tooltip is `title` (empty: none).
    pub(crate) fn group(&mut self, title: &str) {
        self.out.push_str("<g>");
        if !title.is_empty() {
            let _ = write!(self.out, "<title>{}</title>", escape(title));
        }
    }

    /// Closes the last group.
    pub(crate) fn end_group(&mut self) {
        self.out.push_str("</g>");
    }

    /// The finished document.
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }

    /// Ends an element opened as `<tag ...`: self-closing, or with a `<title>` child.
    fn close_with_title(&mut self, tag: &str, title: &str) {
        if title.is_empty() {
            self.out.push_str("/>");
        } else {
            let _ = write!(self.out, "><title>{}</title></{tag}>", escape(title));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(
            escape("<script>\"&'</script>"),
            "&lt;script&gt;&quot;&amp;&apos;&lt;/script&gt;"
        );
        assert_eq!(
            escape("a\u{0}b\u{1b}c\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}"
        );
        assert_eq!(escape("کابل\tx"), "کابل\tx");
    }

    #[test]
    fn numbers_are_short_and_finite() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.256), "1.26");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(num(120.5), "120.5");
    }
}
