//! Server-rendered charts for the analysis pages: SVG, PNG and CSV.
//!
//! Every chart is a pure function from data to a `String` of SVG: no JavaScript, no external
//! asset, no id that could clash with another chart on the same page. The same input always
//! gives the same bytes. Labels come translated from the caller; this crate only lays out,
//! escapes and formats numbers.
//!
//! # Layout
//!
//! - [`monthly_stacked`] (`monthly.rs`): incidents per month, stacked by [`Domain`], with edict
//!   markers.
//! - [`province_tiles`] (`tiles.rs`): a tile-grid map of the 34 provinces.
//! - [`bars`] (`bars.rs`): horizontal bars with labels and values.
//! - [`to_png`] (`png.rs`): rasterises any of them with resvg and the crate's own font.
//! - [`csv_table`] (`csv.rs`): RFC 4180 with an optional HXL row and a formula-injection guard.
//! - `svg.rs` (writer, escaping, mirroring), `font.rs` (the embedded font; text widths by
//!   shaping with harfrust, as resvg does), `palette.rs` (colours), `scale.rs` (the map's colour
//!   classes), `format.rs` (digits and ticks).
//!
//! # Right to left
//!
//! With [`Style::rtl`] the layout is mirrored: time runs from right to left, the value axis is on
//! the right, bars grow leftwards, text hangs from its right end. Text anchors are physical
//! (`text-anchor="end"` means the right end): the root says `direction="ltr"`, because browsers
//! flip anchors by `direction` (which an SVG inside a right-to-left page would otherwise
//! inherit) and resvg does not; instead every text of a right-to-left chart is wrapped in a
//! Unicode right-to-left isolate (U+2067 … U+2069), which both honour.
//! The tile map keeps its geography in either direction; only its legend moves.
//!
//! Invariant: every caller string reaches the SVG only through `svg::escape`.

mod bars;
mod csv;
mod font;
mod format;
mod monthly;
mod palette;
mod png;
mod scale;
mod svg;
mod tiles;

pub use bars::{Bar, BarChart, bars};
pub use csv::csv_table;
pub use font::{FONT_FAMILY, FONT_TTF};
pub use format::format_count;
pub use monthly::{MAX_MONTHS, Marker, MonthCounts, MonthlyChart, monthly_stacked};
pub use palette::Domain;
pub use png::to_png;
pub use tiles::{PROVINCE_CODES, PROVINCE_GRID, ProvinceValue, TileMap, province_tiles};

/// Texts every chart carries, already translated by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartText {
    /// The SVG's `<title>`: its accessible name.
    pub title: String,
    /// The SVG's `<desc>`: a sentence saying what the chart shows.
    pub desc: String,
    /// Shown for missing data: in the tile map's legend, and across an empty chart.
    pub no_data: String,
}

/// How numbers are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Digits {
    /// `0123456789`, grouped with `,`.
    #[default]
    Ascii,
    /// Extended Arabic-Indic digits `۰۱۲۳۴۵۶۷۸۹` (Dari, Pashto), grouped with `٬` (U+066C).
    Persian,
}

/// Direction and digits of a chart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Style {
    /// Mirror the layout for a right-to-left language (Dari, Pashto).
    pub rtl: bool,
    /// How numbers are written.
    pub digits: Digits,
}

/// A count to show: exact, or known only to be under a threshold (a suppressed cell, shown as
/// `<5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// An exact count.
    Count(u64),
    /// Under this number; drawn as the smallest class, labelled `<n`.
    Under(u64),
}

impl Value {
    /// The number used for scales: the count, or the threshold less one (the largest value the
    /// suppressed cell may hide).
    pub fn magnitude(self) -> u64 {
        match self {
            Value::Count(n) => n,
            Value::Under(n) => n.saturating_sub(1),
        }
    }
}

/// Why a chart could not be rasterised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The SVG did not parse.
    #[error("invalid SVG: {0}")]
    Svg(String),
    /// The scale was not a finite number in `(0, 8]`.
    #[error("scale must be a number in (0, 8], got {0}")]
    Scale(f32),
    /// The image would be empty or larger than the pixel budget.
    #[error("image of {width}×{height} pixels is empty or too large")]
    Size {
        /// Width asked for, in pixels.
        width: u64,
        /// Height asked for, in pixels.
        height: u64,
    },
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}
