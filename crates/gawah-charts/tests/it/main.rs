//! Integration tests, by boundary: the SVG charts, the province map, PNG, CSV.

mod csv;
mod png;
mod samples;
mod svg;
mod tiles;

use resvg::usvg::{self, roxmltree};

/// The SVG of every sample chart, in both languages, with a name for messages.
pub fn all_samples() -> Vec<(String, String)> {
    use samples::Lang;
    let mut out = Vec::new();
    for lang in [Lang::En, Lang::Fa] {
        out.push((
            format!("monthly {lang:?}"),
            gawah_charts::monthly_stacked(&samples::monthly(lang)),
        ));
        out.push((
            format!("tiles {lang:?}"),
            gawah_charts::province_tiles(&samples::tiles(lang)),
        ));
        out.push((
            format!("bars {lang:?}"),
            gawah_charts::bars(&samples::bars(lang)),
        ));
    }
    out
}

/// Parses with usvg (well-formed, valid enough to render), or fails the test.
pub fn usvg_parse(svg: &str) -> usvg::Tree {
    usvg::Tree::from_str(svg, &usvg::Options::default())
        .unwrap_or_else(|e| panic!("usvg rejects the SVG: {e}\n{svg}"))
}

/// Parses as XML, or fails the test.
pub fn xml(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"))
}
