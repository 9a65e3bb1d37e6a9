//! The province map: the 34 provinces, each once, on distinct grid squares.

use std::collections::BTreeSet;

use gawah_charts::{Domain, PROVINCE_CODES, PROVINCE_GRID, province_tiles};

use crate::samples::{self, Lang};
use crate::xml;

/// Codes of `tests/data/af-provinces.csv`, a copy of `shared/data/af-provinces.csv`.
fn reference_codes() -> BTreeSet<String> {
    include_str!("../data/af-provinces.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_codes_are_the_34_of_the_reference_data_and_of_gawah_core() {
    let ours: BTreeSet<String> = PROVINCE_CODES.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(ours.len(), 34);
    assert_eq!(ours, reference_codes());
    let core: BTreeSet<String> = gawah_core::vocab::PROVINCES
        .iter()
        .map(|(c, _)| (*c).to_owned())
        .collect();
    assert_eq!(ours, core);
    let grid: BTreeSet<String> = PROVINCE_GRID
        .iter()
        .map(|(c, _, _)| (*c).to_owned())
        .collect();
    assert_eq!(grid, ours);
}

#[test]
fn the_domains_are_the_violation_types_of_gawah_core() {
    let ours: Vec<&str> = Domain::ALL.iter().map(|d| d.as_str()).collect();
    assert_eq!(ours, gawah_core::vocab::VIOLATION_TYPES);
}

#[test]
fn no_two_provinces_share_a_square_and_geography_holds() {
    let squares: BTreeSet<(u8, u8)> = PROVINCE_GRID.iter().map(|(_, c, r)| (*c, *r)).collect();
    assert_eq!(squares.len(), 34);
    let at = |code: &str| {
        PROVINCE_GRID
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, c, r)| (*c, *r))
            .unwrap()
    };
    let (her, bds, kan, kab) = (at("AF-HER"), at("AF-BDS"), at("AF-KAN"), at("AF-KAB"));
    assert_eq!(her.0, 0, "Herat is westmost");
    assert_eq!(bds, (6, 0), "Badakhshan is the north-east corner");
    assert!(
        kan.1 == 5 && kab.0 > kan.0,
        "Kandahar south, Kabul east of it"
    );
    assert!(kab.1 > bds.1 && kab.1 < kan.1 && kab.0 > her.0);
}

/// The tiles as drawn: (title, x, y, fill) of each group's rect.
fn tiles(svg: &str) -> Vec<(String, String, String, String)> {
    let doc = xml(svg);
    doc.descendants()
        .filter(|n| n.has_tag_name("g"))
        .filter_map(|g| {
            let title = g
                .children()
                .find(|n| n.has_tag_name("title"))?
                .text()?
                .to_owned();
            let rect = g.children().find(|n| n.has_tag_name("rect"))?;
            let attr = |a| rect.attribute(a).unwrap_or("").to_owned();
            Some((title, attr("x"), attr("y"), attr("fill")))
        })
        .collect()
}

#[test]
fn the_map_draws_34_tiles_at_34_places() {
    for lang in [Lang::En, Lang::Fa] {
        let svg = province_tiles(&samples::tiles(lang));
        let tiles = tiles(&svg);
        assert_eq!(tiles.len(), 34);
        for code in PROVINCE_CODES {
            let n = tiles
                .iter()
                .filter(|t| t.0.contains(&format!("({code})")))
                .count();
            assert_eq!(n, 1, "{code}");
        }
        let places: BTreeSet<(&str, &str)> =
            tiles.iter().map(|t| (t.1.as_str(), t.2.as_str())).collect();
        assert_eq!(places.len(), 34);
    }
}

#[test]
fn geography_is_not_mirrored() {
    let x_of = |svg: &str, code: &str| -> f64 {
        let t = tiles(svg);
        t.iter()
            .find(|t| t.0.contains(code))
            .unwrap()
            .1
            .parse()
            .unwrap()
    };
    for lang in [Lang::En, Lang::Fa] {
        let svg = province_tiles(&samples::tiles(lang));
        assert!(x_of(&svg, "AF-HER") < x_of(&svg, "AF-KAB"), "{lang:?}");
        assert!(x_of(&svg, "AF-KAB") < x_of(&svg, "AF-BDS"), "{lang:?}");
    }
}

#[test]
fn missing_zero_and_suppressed_provinces_are_distinct() {
    let svg = province_tiles(&samples::tiles(Lang::En));
    let tiles = tiles(&svg);
    let fill = |code: &str| tiles.iter().find(|t| t.0.contains(code)).unwrap().3.clone();
    let title = |code: &str| tiles.iter().find(|t| t.0.contains(code)).unwrap().0.clone();
    // Panjshir is not listed, Nuristan is listed without a value: both "no data".
    assert_eq!(fill("AF-PAN"), fill("AF-NUR"));
    assert_eq!(title("AF-NUR"), "Nuristan (AF-NUR): —");
    assert_eq!(title("AF-PAN"), "PAN (AF-PAN): —");
    assert_eq!(
        title("AF-BDG"),
        "Badghis (AF-BDG): &lt;5".replace("&lt;", "<")
    );
    let (none, zero, some) = (fill("AF-PAN"), fill("AF-DAY"), fill("AF-KAB"));
    assert!(
        none != zero && zero != some && none != some,
        "{none} {zero} {some}"
    );
    assert!(
        svg.contains("No data"),
        "the legend names the no-data style"
    );
}
