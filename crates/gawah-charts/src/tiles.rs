//! A tile-grid map of the 34 provinces of Afghanistan, coloured by count.
//!
//! Each province is one square on a 7 × 6 grid that keeps rough geography: Herat in the west,
//! Badakhshan in the north-east, Kandahar and Nimroz in the south, Kabul in the centre-east.
//! Tiles are the same size so that small, populous provinces (Kabul, Kapisa) count as much to
//! the eye as large, empty ones (Helmand, Badakhshan).

use std::collections::BTreeMap;

use crate::bars::WIDTH;
use crate::font::{text_width, truncate};
use crate::format::format_value;
use crate::palette::{INK, MUTED, NO_DATA};
use crate::scale::Classes;
use crate::svg::{Anchor, Svg, num};
use crate::{ChartText, Style, Value};

/// The ISO 3166-2:AF codes of the 34 provinces, in code order (as `shared/data/af-provinces.csv`).
pub const PROVINCE_CODES: [&str; 34] = [
    "AF-BAL", "AF-BAM", "AF-BDG", "AF-BDS", "AF-BGL", "AF-DAY", "AF-FRA", "AF-FYB", "AF-GHA",
    "AF-GHO", "AF-HEL", "AF-HER", "AF-JOW", "AF-KAB", "AF-KAN", "AF-KAP", "AF-KDZ", "AF-KHO",
    "AF-KNR", "AF-LAG", "AF-LOG", "AF-NAN", "AF-NIM", "AF-NUR", "AF-PAN", "AF-PAR", "AF-PIA",
    "AF-PKA", "AF-SAM", "AF-SAR", "AF-TAK", "AF-URU", "AF-WAR", "AF-ZAB",
];

/// Each province's tile: code, column (0 = west), row (0 = north), on a 7 × 6 grid.
pub const PROVINCE_GRID: [(&str, u8, u8); 34] = [
    ("AF-JOW", 2, 0),
    ("AF-BAL", 3, 0),
    ("AF-KDZ", 4, 0),
    ("AF-TAK", 5, 0),
    ("AF-BDS", 6, 0),
    ("AF-FYB", 1, 1),
    ("AF-SAR", 2, 1),
    ("AF-SAM", 3, 1),
    ("AF-BGL", 4, 1),
    ("AF-PAN", 5, 1),
    ("AF-NUR", 6, 1),
    ("AF-BDG", 0, 2),
    ("AF-GHO", 1, 2),
    ("AF-BAM", 2, 2),
    ("AF-PAR", 3, 2),
    ("AF-KAP", 4, 2),
    ("AF-KNR", 5, 2),
    ("AF-HER", 0, 3),
    ("AF-DAY", 1, 3),
    ("AF-WAR", 2, 3),
    ("AF-KAB", 3, 3),
    ("AF-LAG", 4, 3),
    ("AF-NAN", 5, 3),
    ("AF-FRA", 0, 4),
    ("AF-URU", 1, 4),
    ("AF-GHA", 2, 4),
    ("AF-LOG", 3, 4),
    ("AF-PIA", 4, 4),
    ("AF-KHO", 5, 4),
    ("AF-NIM", 0, 5),
    ("AF-HEL", 1, 5),
    ("AF-KAN", 2, 5),
    ("AF-ZAB", 3, 5),
    ("AF-PKA", 4, 5),
];

const MARGIN: f64 = 16.0;
const TILE: f64 = 76.0;
const PITCH: f64 = 80.0;
const COLUMNS: f64 = 7.0;
const ROWS: f64 = 6.0;
const LEGEND_ROW: f64 = 24.0;
const LEGEND_GAP: f64 = 24.0;

/// A province map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TileMap {
    /// Title, description, and the legend's text for provinces without data.
    pub text: ChartText,
    /// Direction and digits. In right-to-left charts the legend moves to the left; the map
    /// keeps its geography.
    pub style: Style,
    /// Values by province. A province not listed, or listed without a value, has no data; an
    /// unknown code is left out; of two entries for one code, the later wins.
    pub provinces: Vec<ProvinceValue>,
}

/// One province's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceValue {
    /// ISO 3166-2:AF code (`AF-KAB`).
    pub code: String,
    /// Short label printed on the tile (a translated name); empty shows the code without
    /// `AF-`. The tooltip shows the label and the code.
    pub label: String,
    /// Its count; `None` for no data (the tile shows the label and `—`).
    pub value: Option<Value>,
}

/// The map as SVG: 34 tiles, each with its label and count (or `—` without data), and the
/// legend of the scale beside the map.
pub fn province_tiles(map: &TileMap) -> String {
    let style = map.style;
    let values: BTreeMap<&str, &ProvinceValue> = map
        .provinces
        .iter()
        .filter(|p| PROVINCE_CODES.contains(&p.code.as_str()))
        .map(|p| (p.code.as_str(), p))
        .collect();
    let scale = Classes::new(values.values().filter_map(|p| p.value));
    let legend = scale.legend(style, &map.text.no_data);
    let grid_width = COLUMNS * PITCH;
    let height = (ROWS * PITCH).max(legend.len() as f64 * LEGEND_ROW) + 2.0 * MARGIN;
    let mut svg = Svg::new(WIDTH, height, &map.text, style);

    // The map keeps its geography: only its place on the page is mirrored.
    let origin = svg.x(MARGIN) - if style.rtl { grid_width } else { 0.0 };
    svg.mirror = false;
    for (code, column, row) in PROVINCE_GRID {
        let x = origin + f64::from(column) * PITCH;
        let y = MARGIN + f64::from(row) * PITCH;
        draw_tile(
            &mut svg,
            x,
            y,
            code,
            values.get(code).copied(),
            &scale,
            style,
        );
    }
    svg.mirror = style.rtl;

    let legend_x = MARGIN + grid_width + LEGEND_GAP;
    let room = WIDTH - MARGIN - legend_x - 24.0;
    for (i, (fill, label)) in legend.iter().enumerate() {
        let y = MARGIN + i as f64 * LEGEND_ROW;
        let attrs = format!("fill=\"{fill}\" stroke=\"{MUTED}\" stroke-width=\"0.5\"");
        let attrs = if *fill == NO_DATA {
            format!("{attrs} stroke-dasharray=\"3 2\"")
        } else {
            attrs
        };
        svg.rect(legend_x, y, 16.0, 16.0, &attrs, "");
        let text = truncate(label, 12.0, room);
        svg.text(
            legend_x + 24.0,
            y + 12.5,
            Anchor::Start,
            &format!("fill=\"{INK}\""),
            &text,
        );
    }
    svg.finish()
}

fn draw_tile(
    svg: &mut Svg,
    x: f64,
    y: f64,
    code: &str,
    value: Option<&ProvinceValue>,
    scale: &Classes,
    style: Style,
) {
    let short = code.trim_start_matches("AF-");
    let label = value.map_or(short, |p| if p.label.is_empty() { short } else { &p.label });
    let value = value.and_then(|p| p.value);
    let shown = value.map_or_else(|| "—".to_owned(), |v| format_value(v, style.digits));
    svg.group(&format!("{label} ({code}): {shown}"));
    let (fill, ink, border) = match value {
        Some(v) => {
            let (fill, ink) = scale.colours(v);
            (fill, ink, "")
        }
        None => (
            NO_DATA,
            MUTED,
            " stroke=\"#999999\" stroke-dasharray=\"4 3\"",
        ),
    };
    let attrs = format!("fill=\"{fill}\" rx=\"3\"{border}");
    svg.rect(x, y, TILE, TILE, &attrs, "");
    let centre = x + TILE / 2.0;
    let label = truncate(label, 11.0, TILE - 8.0);
    let small = format!("fill=\"{ink}\" font-size=\"11\"");
    svg.text(centre, y + 26.0, Anchor::Middle, &small, &label);
    // A count is never cut: a long one is set smaller.
    let size = (15.0 * (TILE - 8.0) / text_width(&shown, 15.0).max(1.0)).clamp(6.0, 15.0);
    let big = format!("fill=\"{ink}\" font-size=\"{}\"", num(size));
    svg.text(centre, y + 52.0, Anchor::Middle, &big, &shown);
    svg.end_group();
}
