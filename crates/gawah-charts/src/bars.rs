//! Horizontal bars with labels and values ("edict → enforcement incidents", "perpetrator
//! institutions").

use crate::font::{text_width, truncate};
use crate::format::format_value;
use crate::palette::{BAR, BAR_UNDER, INK, MUTED};
use crate::svg::{Anchor, FONT_SIZE, Svg};
use crate::{ChartText, Style, Value};

/// Width of every chart, in pixels: the analysis pages are 800 pixels wide.
pub(crate) const WIDTH: f64 = 800.0;
const MARGIN: f64 = 16.0;
const ROW: f64 = 26.0;
const BAR_HEIGHT: f64 = 18.0;
const GAP: f64 = 8.0;
/// Labels take at most this share of the width; longer ones are cut with an ellipsis.
const LABEL_SHARE: f64 = 0.38;

/// A bar chart: one bar per row, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BarChart {
    /// Title, description, no-data text.
    pub text: ChartText,
    /// Direction and digits.
    pub style: Style,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Its label; cut with an ellipsis if long, shown whole in the tooltip.
    pub label: String,
    /// Its length.
    pub value: Value,
}

/// The chart as SVG: labels at the reading start, bars growing towards the reading end, each
/// value printed after its bar. The scale runs from 0 to the largest value; a suppressed value
/// (`<5`) is drawn pale, at the largest length it may hide.
pub fn bars(chart: &BarChart) -> String {
    let style = chart.style;
    let rows = chart.bars.len().max(1) as f64;
    let height = 2.0 * MARGIN + rows * ROW;
    let mut svg = Svg::new(WIDTH, height, &chart.text, style);
    if chart.bars.is_empty() {
        let attrs = format!("fill=\"{MUTED}\"");
        svg.text(
            WIDTH / 2.0,
            MARGIN + ROW * 0.65,
            Anchor::Middle,
            &attrs,
            &chart.text.no_data,
        );
        return svg.finish();
    }

    let values: Vec<String> = chart
        .bars
        .iter()
        .map(|b| format_value(b.value, style.digits))
        .collect();
    let label_width = chart
        .bars
        .iter()
        .map(|b| text_width(&b.label, FONT_SIZE))
        .fold(0.0, f64::max)
        .min(WIDTH * LABEL_SHARE);
    let value_width = values
        .iter()
        .map(|v| text_width(v, FONT_SIZE))
        .fold(0.0, f64::max);
    let bar_start = MARGIN + label_width + GAP;
    let bar_room = (WIDTH - MARGIN - value_width - GAP - bar_start).max(1.0);
    let max = chart
        .bars
        .iter()
        .map(|b| b.value.magnitude())
        .max()
        .unwrap_or(0)
        .max(1) as f64;

    for (i, (bar, value)) in chart.bars.iter().zip(&values).enumerate() {
        let top = MARGIN + i as f64 * ROW;
        let baseline = top + ROW / 2.0 + FONT_SIZE * 0.35;
        let length = bar.value.magnitude() as f64 / max * bar_room;
        svg.group(&format!("{}: {value}", bar.label));
        let label = truncate(&bar.label, FONT_SIZE, label_width);
        svg.text(
            MARGIN,
            baseline,
            Anchor::Start,
            &format!("fill=\"{INK}\""),
            &label,
        );
        let fill = match bar.value {
            Value::Count(_) => format!("fill=\"{BAR}\""),
            Value::Under(_) => {
                format!("fill=\"{BAR_UNDER}\" stroke=\"{BAR}\" stroke-width=\"0.5\"")
            }
        };
        let y = top + (ROW - BAR_HEIGHT) / 2.0;
        svg.rect(bar_start, y, length, BAR_HEIGHT, &fill, "");
        let attrs = format!("fill=\"{INK}\"");
        svg.text(
            bar_start + length + GAP / 2.0,
            baseline,
            Anchor::Start,
            &attrs,
            value,
        );
        svg.end_group();
    }
    svg.finish()
}
