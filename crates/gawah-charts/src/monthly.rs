//! Incidents per month, stacked by domain, with vertical markers for edicts.

use std::collections::BTreeMap;

use crate::bars::WIDTH;
use crate::font::{text_width, truncate};
use crate::format::{format_count, format_wide, localise_digits, ticks};
use crate::palette::{GRID, INK, MUTED};
use crate::svg::{Anchor, FONT_SIZE, Svg};
use crate::{ChartText, Domain, Style};

/// At most this many months are drawn (50 years); earlier ones are left out.
pub const MAX_MONTHS: i64 = 600;

const MARGIN: f64 = 16.0;
const PLOT_HEIGHT: f64 = 240.0;
const AXIS_LABELS: f64 = 36.0;
const LEGEND_ROW: f64 = 20.0;
const KEY_ROW: f64 = 20.0;
const MARKER_STACK: f64 = 17.0;
const MARKER_RADIUS: f64 = 7.5;
const MAX_MARKER_LEVELS: usize = 6;
const MARKER_FILL: &str = "#222222";
/// Intervals between x labels, in months: the first leaving room for the labels is used. Labels
/// fall every 6 months or every January (or every 2, 5, … Januaries); a chart of up to
/// [`SHORT_SPAN`] months may label every month, or every 2 or 3.
const PERIODS: [i64; 10] = [1, 2, 3, 6, 12, 24, 60, 120, 240, 600];
const SHORT_SPAN: usize = 18;
const MIN_LABEL_GAP: f64 = 12.0;

/// A stacked monthly chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthlyChart {
    /// Title, description, no-data text.
    pub text: ChartText,
    /// Direction and digits.
    pub style: Style,
    /// The legend's name of each domain, in the order of [`Domain::ALL`]; an empty one shows
    /// the vocabulary name.
    pub domain_labels: [String; 10],
    /// Month names, January first, for the x axis and tooltips (`Jan`, `جنوری`, …).
    pub month_names: [String; 12],
    /// Counts by month. Months may come in any order, with gaps (drawn as empty months);
    /// repeated months are added up; a month not written `YYYY-MM` is left out.
    pub months: Vec<MonthCounts>,
    /// Edicts to mark; the axis is extended to include them.
    pub markers: Vec<Marker>,
}

/// The counts of one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCounts {
    /// `YYYY-MM`.
    pub month: String,
    /// Incidents in each domain, in the order of [`Domain::ALL`].
    pub counts: [u64; 10],
}

/// A vertical line at a month, numbered, with its label in a tooltip and in the key below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// `YYYY-MM`; a marker with another form is left out.
    pub month: String,
    /// What happened (the edict's name).
    pub label: String,
}

/// Months since year 0 of a `YYYY-MM` string.
fn parse_month(s: &str) -> Option<i64> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// What is drawn, once the input is cleaned: months `first..first + len`, their stacks, and
/// the markers in date order.
struct Series {
    first: i64,
    stacks: Vec<[u64; 10]>,
    markers: Vec<(i64, String)>,
}

impl Series {
    fn new(chart: &MonthlyChart) -> Series {
        let mut by_month: BTreeMap<i64, [u64; 10]> = BTreeMap::new();
        for m in &chart.months {
            if let Some(i) = parse_month(&m.month) {
                let stack = by_month.entry(i).or_default();
                for (sum, n) in stack.iter_mut().zip(m.counts) {
                    *sum = sum.saturating_add(n);
                }
            }
        }
        let mut markers: Vec<(i64, String)> = chart
            .markers
            .iter()
            .filter_map(|m| Some((parse_month(&m.month)?, m.label.clone())))
            .collect();
        markers.sort_by_key(|(i, _)| *i);
        let all = by_month.keys().chain(markers.iter().map(|(i, _)| i));
        let (lo, hi) = all.fold((i64::MAX, i64::MIN), |(lo, hi), i| (lo.min(*i), hi.max(*i)));
        if lo > hi {
            return Series {
                first: 0,
                stacks: Vec::new(),
                markers: Vec::new(),
            };
        }
        let first = lo.max(hi - MAX_MONTHS + 1);
        let stacks = (first..=hi)
            .map(|i| by_month.get(&i).copied().unwrap_or_default())
            .collect();
        markers.retain(|(i, _)| *i >= first);
        Series {
            first,
            stacks,
            markers,
        }
    }
}

/// Geometry shared by the parts of the chart.
struct Frame {
    left: f64,
    top: f64,
    slot: f64,
    axis_top: u128,
}

impl Frame {
    fn bottom(&self) -> f64 {
        self.top + PLOT_HEIGHT
    }
    fn right(&self) -> f64 {
        WIDTH - MARGIN
    }
    fn centre(&self, month: usize) -> f64 {
        self.left + (month as f64 + 0.5) * self.slot
    }
    fn y(&self, v: u128) -> f64 {
        self.bottom() - v as f64 / self.axis_top.max(1) as f64 * PLOT_HEIGHT
    }
}

/// The chart as SVG: one stacked bar per month from the first to the last (empty months
/// included), round ticks on the value axis, x labels every January (or every 6 months, or
/// sparser, as room allows), a legend of the ten domains, and the markers numbered in date
/// order with a key below.
pub fn monthly_stacked(chart: &MonthlyChart) -> String {
    let style = chart.style;
    let series = Series::new(chart);
    let totals: Vec<u128> = series
        .stacks
        .iter()
        .map(|s| s.iter().map(|n| u128::from(*n)).sum())
        .collect();
    let (step, axis_top) = ticks(totals.iter().copied().max().unwrap_or(0), 5);
    let tick_width = text_width(&format_wide(axis_top, style.digits), FONT_SIZE);
    let left = MARGIN + tick_width + 8.0;
    let slot = (WIDTH - MARGIN - left) / series.stacks.len().max(1) as f64;
    let levels = marker_levels(&series, slot);
    let depth = levels.iter().copied().max().map_or(1, |l| l + 1);
    let frame = Frame {
        left,
        top: MARGIN + depth as f64 * MARKER_STACK,
        slot,
        axis_top,
    };
    let legend = legend_layout(chart, frame.left, frame.right());
    let legend_rows = legend.last().map_or(0, |item| item.row + 1);
    let legend_top = frame.bottom() + AXIS_LABELS;
    let key_top = legend_top + legend_rows as f64 * LEGEND_ROW + 8.0;
    let height = key_top + series.markers.len() as f64 * KEY_ROW + MARGIN;

    let mut svg = Svg::new(WIDTH, height, &chart.text, style);
    draw_value_axis(&mut svg, &frame, step, style);
    draw_stacks(&mut svg, &frame, &series, chart);
    draw_month_axis(&mut svg, &frame, &series, chart);
    if series.stacks.is_empty() || totals.iter().all(|t| *t == 0) {
        let attrs = format!("fill=\"{MUTED}\"");
        let mid = (frame.left + frame.right()) / 2.0;
        let y = frame.top + PLOT_HEIGHT / 2.0;
        svg.text(mid, y, Anchor::Middle, &attrs, &chart.text.no_data);
    }
    for item in &legend {
        let y = legend_top + item.row as f64 * LEGEND_ROW;
        svg.rect(
            item.x,
            y,
            12.0,
            12.0,
            &format!("fill=\"{}\"", item.domain.colour()),
            "",
        );
        let attrs = format!("fill=\"{INK}\"");
        svg.text(item.x + 16.0, y + 10.5, Anchor::Start, &attrs, &item.label);
    }
    draw_markers(&mut svg, &frame, &series, &levels, chart, key_top);
    svg.finish()
}

/// The level of each marker's numbered circle: the lowest where it does not touch an earlier
/// one, up to [`MAX_MARKER_LEVELS`] (beyond, circles overlap; the key still lists them all).
fn marker_levels(series: &Series, slot: f64) -> Vec<usize> {
    let mut last_x: Vec<f64> = Vec::new();
    let mut levels = Vec::with_capacity(series.markers.len());
    for (index, _) in &series.markers {
        let x = (index - series.first) as f64 * slot;
        let free = last_x
            .iter()
            .position(|l| x - l >= 2.0 * MARKER_RADIUS + 2.0);
        let level = free.unwrap_or(last_x.len()).min(MAX_MARKER_LEVELS - 1);
        match last_x.get_mut(level) {
            Some(l) => *l = x,
            None => last_x.push(x),
        }
        levels.push(level);
    }
    levels
}

fn draw_value_axis(svg: &mut Svg, frame: &Frame, step: u128, style: Style) {
    let grid = format!("stroke=\"{GRID}\" stroke-width=\"1\"");
    let label = format!("fill=\"{MUTED}\"");
    let mut v: u128 = 0;
    while v <= frame.axis_top {
        let y = frame.y(v);
        svg.line(frame.left, y, frame.right(), y, &grid);
        let text = format_wide(v, style.digits);
        svg.text(frame.left - 6.0, y + 4.0, Anchor::End, &label, &text);
        v += step;
    }
    let axis = format!("stroke=\"{MUTED}\" stroke-width=\"1\"");
    svg.line(frame.left, frame.top, frame.left, frame.bottom(), &axis);
    svg.line(
        frame.left,
        frame.bottom(),
        frame.right(),
        frame.bottom(),
        &axis,
    );
}

fn month_name(chart: &MonthlyChart, index: i64) -> String {
    let m = index.rem_euclid(12) as usize;
    let name = chart.month_names.get(m).map_or("", String::as_str);
    if name.is_empty() {
        localise_digits(&format!("{:02}", m + 1), chart.style.digits)
    } else {
        name.to_owned()
    }
}

fn year(chart: &MonthlyChart, index: i64) -> String {
    localise_digits(&format!("{:04}", index.div_euclid(12)), chart.style.digits)
}

/// "Month year", for tooltips and the key.
fn month_label(chart: &MonthlyChart, index: i64) -> String {
    format!("{} {}", month_name(chart, index), year(chart, index))
}

fn domain_label(chart: &MonthlyChart, domain: Domain) -> String {
    match chart.domain_labels.get(domain.index()) {
        Some(l) if !l.is_empty() => l.clone(),
        _ => domain.as_str().to_owned(),
    }
}

fn draw_stacks(svg: &mut Svg, frame: &Frame, series: &Series, chart: &MonthlyChart) {
    let width = frame.slot * if frame.slot >= 4.0 { 0.78 } else { 1.0 };
    let digits = chart.style.digits;
    for (i, stack) in series.stacks.iter().enumerate() {
        if stack.iter().all(|n| *n == 0) {
            continue;
        }
        let month = month_label(chart, series.first + i as i64);
        let total: u128 = stack.iter().map(|n| u128::from(*n)).sum();
        svg.group(&format!("{month}: {}", format_wide(total, digits)));
        let mut below: u128 = 0;
        for domain in Domain::ALL {
            let n = stack[domain.index()];
            if n == 0 {
                continue;
            }
            let (y0, y1) = (frame.y(below), frame.y(below + u128::from(n)));
            below += u128::from(n);
            let attrs = format!(
                "fill=\"{}\" stroke=\"#FFFFFF\" stroke-width=\"0.5\"",
                domain.colour()
            );
            let title = format!(
                "{month} · {}: {}",
                domain_label(chart, domain),
                format_count(n, digits)
            );
            let x = frame.centre(i) - width / 2.0;
            svg.rect(x, y1, width, y0 - y1, &attrs, &title);
        }
        svg.end_group();
    }
}

fn draw_month_axis(svg: &mut Svg, frame: &Frame, series: &Series, chart: &MonthlyChart) {
    let names_width = chart
        .month_names
        .iter()
        .map(|n| text_width(n, FONT_SIZE))
        .fold(text_width("0000", FONT_SIZE), f64::max);
    let year_width = text_width("0000", FONT_SIZE);
    let period = PERIODS
        .into_iter()
        .filter(|p| *p >= 6 || series.stacks.len() <= SHORT_SPAN)
        .find(|p| {
            let need = if *p < 12 { names_width } else { year_width };
            *p as f64 * frame.slot >= need + MIN_LABEL_GAP
        })
        .unwrap_or(MAX_MONTHS);
    let tick = format!("stroke=\"{MUTED}\" stroke-width=\"1\"");
    let attrs = format!("fill=\"{INK}\"");
    let mut first_label = true;
    for i in 0..series.stacks.len() {
        let index = series.first + i as i64;
        if index.rem_euclid(period) != 0 {
            continue;
        }
        let x = frame.centre(i);
        let y = frame.bottom();
        svg.line(x, y, x, y + 4.0, &tick);
        let january = index.rem_euclid(12) == 0;
        if period >= 12 {
            svg.text(x, y + 17.0, Anchor::Middle, &attrs, &year(chart, index));
        } else {
            svg.text(
                x,
                y + 17.0,
                Anchor::Middle,
                &attrs,
                &month_name(chart, index),
            );
            if january || first_label {
                svg.text(x, y + 31.0, Anchor::Middle, &attrs, &year(chart, index));
            }
        }
        first_label = false;
    }
}

/// One legend entry, placed.
struct LegendItem {
    domain: Domain,
    label: String,
    x: f64,
    row: usize,
}

/// The legend flows in reading order and wraps at the plot's width.
fn legend_layout(chart: &MonthlyChart, left: f64, right: f64) -> Vec<LegendItem> {
    let mut items = Vec::with_capacity(Domain::ALL.len());
    let (mut x, mut row) = (left, 0);
    for domain in Domain::ALL {
        let label = truncate(&domain_label(chart, domain), FONT_SIZE, 220.0);
        let width = 16.0 + text_width(&label, FONT_SIZE) + 18.0;
        if x > left && x + width > right + 18.0 {
            x = left;
            row += 1;
        }
        items.push(LegendItem {
            domain,
            label,
            x,
            row,
        });
        x += width;
    }
    items
}

fn draw_markers(
    svg: &mut Svg,
    frame: &Frame,
    series: &Series,
    levels: &[usize],
    chart: &MonthlyChart,
    key: f64,
) {
    let digits = chart.style.digits;
    let line = format!("stroke=\"{MARKER_FILL}\" stroke-width=\"1\" stroke-dasharray=\"4 3\"");
    let dot = format!("fill=\"{MARKER_FILL}\"");
    let number = "fill=\"#FFFFFF\" font-size=\"10\"";
    for (n, ((index, label), level)) in series.markers.iter().zip(levels).enumerate() {
        let number_text = format_count(n as u64 + 1, digits);
        let title = format!("{number_text}. {} — {label}", month_label(chart, *index));
        let cy = frame.top - MARKER_RADIUS - 2.0 - *level as f64 * MARKER_STACK;
        let x = frame.centre((index - series.first) as usize);
        svg.group(&title);
        svg.line(x, frame.top - 2.0, x, frame.bottom(), &line);
        svg.circle(x, cy, MARKER_RADIUS, &dot, "");
        svg.text(x, cy + 3.5, Anchor::Middle, number, &number_text);
        svg.end_group();

        let y = key + n as f64 * KEY_ROW;
        let kx = frame.left + MARKER_RADIUS;
        svg.circle(kx, y + MARKER_RADIUS, MARKER_RADIUS, &dot, "");
        svg.text(
            kx,
            y + MARKER_RADIUS + 3.5,
            Anchor::Middle,
            number,
            &number_text,
        );
        let text = format!("{} — {label}", month_label(chart, *index));
        let room = frame.right() - kx - MARKER_RADIUS - 8.0;
        let attrs = format!("fill=\"{INK}\"");
        let shown = truncate(&text, FONT_SIZE, room);
        svg.text(
            kx + MARKER_RADIUS + 6.0,
            y + MARKER_RADIUS + 4.0,
            Anchor::Start,
            &attrs,
            &shown,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2021-08"), Some(2021 * 12 + 7));
        assert_eq!(parse_month("0000-01"), Some(0));
        for bad in [
            "2021-13",
            "2021-00",
            "2021-8",
            "21-08",
            "2021-08-01",
            "２０２１-08",
            "",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn series_fills_gaps_sums_repeats_and_includes_markers() {
        let mut counts = [0; 10];
        counts[0] = 2;
        let chart = MonthlyChart {
            months: vec![
                MonthCounts {
                    month: "2022-03".into(),
                    counts,
                },
                MonthCounts {
                    month: "2022-01".into(),
                    counts,
                },
                MonthCounts {
                    month: "2022-03".into(),
                    counts,
                },
                MonthCounts {
                    month: "junk".into(),
                    counts,
                },
            ],
            markers: vec![Marker {
                month: "2021-12".into(),
                label: "x".into(),
            }],
            ..MonthlyChart::default()
        };
        let s = Series::new(&chart);
        assert_eq!(s.first, 2021 * 12 + 11);
        assert_eq!(s.stacks.len(), 4);
        assert_eq!(s.stacks[1][0], 2);
        assert_eq!(s.stacks[2][0], 0);
        assert_eq!(s.stacks[3][0], 4);
    }

    #[test]
    fn a_huge_span_keeps_only_the_latest_months() {
        let chart = MonthlyChart {
            months: vec![
                MonthCounts {
                    month: "0001-01".into(),
                    counts: [1; 10],
                },
                MonthCounts {
                    month: "9999-12".into(),
                    counts: [1; 10],
                },
            ],
            ..MonthlyChart::default()
        };
        assert_eq!(Series::new(&chart).stacks.len(), MAX_MONTHS as usize);
    }
}
