//! The SVG charts: well-formed, titled, escaped, mirrored, deterministic, robust.

use gawah_charts::{
    Bar, BarChart, ChartText, Digits, Marker, MonthCounts, MonthlyChart, ProvinceValue, Style,
    TileMap, Value, bars, monthly_stacked, province_tiles, to_png,
};

use crate::samples::{self, Lang};
use crate::{all_samples, usvg_parse, xml};

const SCRIPT: &str = "<script>alert(1)</script>";
const QUOTES: &str = "\"&'";
const PAYLOADS: [&str; 4] = [SCRIPT, QUOTES, "]]><x y='1'/>&amp;", "nul\u{0}esc\u{1b}"];

#[test]
fn every_chart_parses_and_carries_role_title_desc_size_and_font() {
    for (name, svg) in all_samples() {
        usvg_parse(&svg);
        let doc = xml(&svg);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{name}");
        assert_eq!(root.attribute("role"), Some("img"), "{name}");
        assert_eq!(
            root.attribute("font-family"),
            Some("Vazirmatn, sans-serif"),
            "{name}"
        );
        let (w, h) = (
            root.attribute("width").unwrap(),
            root.attribute("height").unwrap(),
        );
        assert_eq!(w, "800", "{name}");
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {w} {h}").as_str()),
            "{name}"
        );
        let height: f64 = h.parse().unwrap();
        assert!((100.0..1200.0).contains(&height), "{name}: {height}");
        let mut children = root.children().filter(|n| n.is_element());
        let title = children.next().unwrap();
        let desc = children.next().unwrap();
        assert_eq!(title.tag_name().name(), "title", "{name}");
        assert_eq!(desc.tag_name().name(), "desc", "{name}");
        assert!(!title.text().unwrap_or("").is_empty() && !desc.text().unwrap_or("").is_empty());
    }
}

#[test]
fn samples_carry_their_titles() {
    let svg = monthly_stacked(&samples::monthly(Lang::En));
    assert!(svg.contains("<title>Incidents per month by domain</title>"));
    let svg = province_tiles(&samples::tiles(Lang::Fa));
    assert!(svg.contains("<title>رویدادها به تفکیک ولایت</title>"));
    let svg = bars(&samples::bars(Lang::En));
    assert!(svg.contains("<title>Enforcement incidents by edict</title>"));
}

fn text(payload: &str) -> ChartText {
    ChartText {
        title: payload.into(),
        desc: payload.into(),
        no_data: payload.into(),
    }
}

/// Every chart with `payload` in every caller string, in both directions.
fn poisoned(payload: &str) -> Vec<String> {
    let mut out = Vec::new();
    for rtl in [false, true] {
        let style = Style {
            rtl,
            digits: Digits::Ascii,
        };
        out.push(monthly_stacked(&MonthlyChart {
            text: text(payload),
            style,
            domain_labels: std::array::from_fn(|_| payload.into()),
            month_names: std::array::from_fn(|_| payload.into()),
            months: vec![MonthCounts {
                month: "2022-01".into(),
                counts: [3; 10],
            }],
            markers: vec![Marker {
                month: "2022-01".into(),
                label: payload.into(),
            }],
        }));
        out.push(province_tiles(&TileMap {
            text: text(payload),
            style,
            provinces: vec![ProvinceValue {
                code: "AF-KAB".into(),
                label: payload.into(),
                value: Some(Value::Count(4)),
            }],
        }));
        out.push(bars(&BarChart {
            text: text(payload),
            style,
            bars: vec![Bar {
                label: payload.into(),
                value: Value::Count(2),
            }],
        }));
        out.push(bars(&BarChart {
            text: text(payload),
            style,
            bars: vec![],
        }));
    }
    out
}

#[test]
fn caller_strings_are_escaped() {
    for payload in PAYLOADS {
        for svg in poisoned(payload) {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("<x "), "{svg}");
            let doc = xml(&svg);
            assert!(
                doc.descendants()
                    .all(|n| !matches!(n.tag_name().name(), "script" | "x"))
            );
            // The title survives whole, as text (forbidden control characters replaced).
            let title = doc.root_element().first_element_child().unwrap();
            let expected = payload.replace(['\u{0}', '\u{1b}'], "\u{FFFD}");
            assert_eq!(title.text(), Some(expected.as_str()));
            usvg_parse(&svg);
            to_png(&svg, 0.5).expect("renders");
        }
    }
}

fn first_rect_x(svg: &str) -> (f64, f64) {
    let doc = xml(svg);
    let rect = doc
        .descendants()
        .find(|n| n.has_tag_name("rect"))
        .expect("a rect");
    let num = |a| rect.attribute(a).unwrap().parse::<f64>().unwrap();
    (num("x"), num("width"))
}

fn anchors(svg: &str) -> Vec<String> {
    let doc = xml(svg);
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.attribute("text-anchor").unwrap_or("").to_owned())
        .collect()
}

#[test]
fn right_to_left_mirrors_bars() {
    let ltr = samples::bars(Lang::En);
    let rtl = BarChart {
        style: Style {
            rtl: true,
            ..ltr.style
        },
        ..ltr.clone()
    };
    let (ltr, rtl) = (bars(&ltr), bars(&rtl));
    let ((lx, lw), (rx, rw)) = (first_rect_x(&ltr), first_rect_x(&rtl));
    assert_eq!(lw, rw);
    assert!((lx - (800.0 - rx - rw)).abs() < 0.02, "{lx} vs {rx}");
    assert!(rx < lx);
    // The label (first text) hangs from the reading start: left, or right.
    assert_eq!(anchors(&ltr)[0], "start");
    assert_eq!(anchors(&rtl)[0], "end");
    assert!(rtl.contains("&#x2067;") && !ltr.contains("&#x2067;"));
}

#[test]
fn right_to_left_mirrors_the_months() {
    let (ltr, rtl) = (samples::monthly(Lang::En), samples::monthly(Lang::Fa));
    let (ltr, rtl) = (monthly_stacked(&ltr), monthly_stacked(&rtl));
    // The first drawn rect is the first month's bottom segment: near the start of time.
    assert!(first_rect_x(&ltr).0 < 100.0);
    assert!(first_rect_x(&rtl).0 > 700.0);
    // The value axis's labels (the first texts) face the plot from its reading start.
    assert_eq!(anchors(&ltr)[0], "end");
    assert_eq!(anchors(&rtl)[0], "start");
}

#[test]
fn output_is_deterministic() {
    assert_eq!(all_samples(), all_samples());
    let chart = samples::tiles(Lang::Fa);
    assert_eq!(province_tiles(&chart), province_tiles(&chart.clone()));
}

fn texts(svg: &str) -> String {
    let doc = xml(svg);
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn numbers_follow_the_digit_style() {
    for lang in [Lang::En, Lang::Fa] {
        let all = [
            monthly_stacked(&samples::monthly(lang)),
            province_tiles(&samples::tiles(lang)),
            bars(&samples::bars(lang)),
        ];
        for svg in all {
            let t = texts(&svg);
            let ascii = t.chars().any(|c| c.is_ascii_digit());
            let persian = t.chars().any(|c| ('۰'..='۹').contains(&c));
            match lang {
                Lang::En => assert!(ascii && !persian, "{t}"),
                Lang::Fa => assert!(persian && !ascii, "{t}"),
            }
        }
    }
    let svg = province_tiles(&samples::tiles(Lang::Fa));
    assert!(texts(&svg).contains("۱٬۲۳۴"), "Kabul's count, grouped");
}

#[test]
fn long_labels_are_cut_and_whole_in_the_tooltip() {
    let label =
        "Women barred from work in national and international non-governmental organisations";
    let svg = bars(&samples::bars(Lang::En));
    let shown = texts(&svg);
    assert!(!shown.contains(label) && shown.contains("Women barred from work in"));
    assert!(shown.contains('…'));
    assert!(svg.contains(&format!("<title>{label}: 88</title>")));
}

#[test]
fn months_are_labelled_by_year_and_markers_numbered_in_date_order() {
    let mut chart = samples::monthly(Lang::En);
    chart.markers.reverse();
    let svg = monthly_stacked(&chart);
    let shown = texts(&svg);
    for year in ["2022", "2023", "2024"] {
        assert!(shown.contains(year), "{year}");
    }
    assert!(shown.contains("Jul"));
    assert!(svg.contains("<title>1. Sep 2021 — Girls&apos; secondary schools closed</title>"));
    assert!(svg.contains("<title>8. Aug 2024 — Law on the propagation of virtue</title>"));
    assert!(shown.contains("Dec 2021 — Mahram required for travel over 72 km"));
    assert_eq!(
        svg.matches("stroke-dasharray=\"4 3\"").count(),
        8,
        "one line per marker"
    );
}

fn monthly_with(months: Vec<MonthCounts>, markers: Vec<Marker>) -> String {
    monthly_stacked(&MonthlyChart {
        months,
        markers,
        ..samples::monthly(Lang::Fa)
    })
}

fn month(m: &str, counts: [u64; 10]) -> MonthCounts {
    MonthCounts {
        month: m.into(),
        counts,
    }
}

#[test]
fn degenerate_inputs_render() {
    let marker = |m: &str| Marker {
        month: m.into(),
        label: "x".into(),
    };
    let charts = [
        monthly_with(vec![], vec![]),
        monthly_with(vec![], vec![marker("2022-01")]),
        monthly_with(vec![month("2022-01", [0; 10])], vec![]),
        monthly_with(
            vec![month("2022-01", [u64::MAX; 10]), month("2022-02", [1; 10])],
            vec![],
        ),
        monthly_with(
            vec![month("junk", [1; 10]), month("2022-13", [1; 10])],
            vec![marker("x")],
        ),
        monthly_with(
            vec![month("0000-01", [1; 10]), month("9999-12", [1; 10])],
            vec![],
        ),
        monthly_stacked(&MonthlyChart::default()),
        province_tiles(&TileMap::default()),
        province_tiles(&TileMap {
            provinces: vec![
                ProvinceValue {
                    code: "AF-KAB".into(),
                    label: String::new(),
                    value: Some(Value::Count(u64::MAX)),
                },
                ProvinceValue {
                    code: "AF-HER".into(),
                    label: String::new(),
                    value: Some(Value::Count(0)),
                },
                ProvinceValue {
                    code: "XX-YYY".into(),
                    label: "?".into(),
                    value: Some(Value::Count(3)),
                },
                ProvinceValue {
                    code: "AF-BAL".into(),
                    label: String::new(),
                    value: Some(Value::Under(0)),
                },
            ],
            ..TileMap::default()
        }),
        bars(&BarChart::default()),
        bars(&BarChart {
            bars: vec![
                Bar {
                    label: String::new(),
                    value: Value::Count(0),
                },
                Bar {
                    label: "a".repeat(10_000),
                    value: Value::Count(u64::MAX),
                },
                Bar {
                    label: "b".into(),
                    value: Value::Under(u64::MAX),
                },
            ],
            ..BarChart::default()
        }),
    ];
    for svg in charts {
        usvg_parse(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        to_png(&svg, 1.0).expect("renders");
    }
}

#[test]
fn an_empty_chart_says_so() {
    let svg = monthly_with(vec![], vec![]);
    assert!(texts(&svg).contains("بدون معلومات"));
    let svg = bars(&BarChart {
        text: ChartText {
            no_data: "No data".into(),
            ..ChartText::default()
        },
        ..BarChart::default()
    });
    assert!(texts(&svg).contains("No data"));
}
