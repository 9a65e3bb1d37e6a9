//! Renders the sample charts (English and Dari) as SVG and PNG, to look at them:
//! `cargo run -p gawah-charts --example render -- /tmp/charts`.

#[path = "../tests/it/samples.rs"]
mod samples;

use samples::Lang;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/charts".to_owned());
    std::fs::create_dir_all(&dir)?;
    for (lang, suffix) in [(Lang::En, "en"), (Lang::Fa, "fa")] {
        let charts = [
            (
                "monthly",
                gawah_charts::monthly_stacked(&samples::monthly(lang)),
            ),
            ("tiles", gawah_charts::province_tiles(&samples::tiles(lang))),
            ("bars", gawah_charts::bars(&samples::bars(lang))),
        ];
        for (name, svg) in charts {
            let path = format!("{dir}/{name}-{suffix}");
            std::fs::write(format!("{path}.svg"), &svg)?;
            std::fs::write(format!("{path}.png"), gawah_charts::to_png(&svg, 1.0)?)?;
            println!("{path}.png");
        }
    }
    for (name, svg) in edge_cases() {
        let path = format!("{dir}/edge-{name}");
        std::fs::write(format!("{path}.svg"), &svg)?;
        std::fs::write(format!("{path}.png"), gawah_charts::to_png(&svg, 1.0)?)?;
        println!("{path}.png");
    }
    Ok(())
}

/// An empty chart, a short one, a long one, and a map without data.
fn edge_cases() -> Vec<(&'static str, String)> {
    use gawah_charts::{MonthCounts, MonthlyChart, TileMap};
    let base = samples::monthly(Lang::En);
    let months = |n: u64| -> Vec<MonthCounts> {
        (0..n)
            .map(|i| MonthCounts {
                month: format!("{:04}-{:02}", 2005 + (i + 4) / 12, (i + 4) % 12 + 1),
                counts: std::array::from_fn(|d| (i * 7 + d as u64 * 3) % 11),
            })
            .collect()
    };
    let empty = MonthlyChart {
        months: vec![],
        markers: vec![],
        ..base.clone()
    };
    let short = MonthlyChart {
        months: months(5),
        markers: vec![],
        ..base.clone()
    };
    let long = MonthlyChart {
        months: months(240),
        ..base
    };
    let no_data = TileMap {
        provinces: vec![],
        ..samples::tiles(Lang::Fa)
    };
    vec![
        ("monthly-empty", gawah_charts::monthly_stacked(&empty)),
        ("monthly-short", gawah_charts::monthly_stacked(&short)),
        ("monthly-long", gawah_charts::monthly_stacked(&long)),
        ("tiles-empty", gawah_charts::province_tiles(&no_data)),
    ]
}
