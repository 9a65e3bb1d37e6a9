//! PNG: decodes, has the size asked for, shows ink, and draws Arabic script with the crate's font.

use gawah_charts::{FONT_TTF, to_png};
use image::{GenericImageView, RgbaImage};

use crate::all_samples;

fn decode(png: &[u8]) -> RgbaImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a PNG")
        .to_rgba8()
}

/// Pixels darker than mid-grey.
fn dark_pixels(img: &RgbaImage) -> usize {
    img.pixels()
        .filter(|p| u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]) < 3 * 128)
        .count()
}

#[test]
fn every_chart_rasterises_at_its_size_with_ink() {
    for (name, svg) in all_samples() {
        let height: u32 = crate::xml(&svg)
            .root_element()
            .attribute("height")
            .unwrap()
            .parse::<f64>()
            .unwrap()
            .ceil() as u32;
        let img = decode(&to_png(&svg, 1.0).unwrap());
        assert_eq!(img.dimensions(), (800, height), "{name}");
        assert!(dark_pixels(&img) > 500, "{name}: nearly blank");
        let img = decode(&to_png(&svg, 2.0).unwrap());
        assert_eq!(img.dimensions(), (1600, 2 * height), "{name}");
    }
}

fn word(text: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"60\" viewBox=\"0 0 200 60\" \
         font-family=\"Vazirmatn, sans-serif\" font-size=\"32\"><text x=\"100\" y=\"42\" \
         text-anchor=\"middle\">{text}</text></svg>"
    )
}

#[test]
fn arabic_script_draws_ink_with_the_embedded_font() {
    // A blank control first, so that the check below can fail.
    let blank = decode(&to_png(&word(""), 1.0).unwrap());
    assert_eq!(dark_pixels(&blank), 0);
    for text in ["گواه", "ښځې", "Kabul", "۱۲۳"] {
        let img = decode(&to_png(&word(text), 1.0).unwrap());
        assert!(dark_pixels(&img) > 50, "{text} drew no ink");
    }
}

#[test]
fn a_family_the_crate_lacks_falls_back_to_the_embedded_font() {
    let svg = word("گواه").replace("Vazirmatn, sans-serif", "Times New Roman");
    let img = decode(&to_png(&svg, 1.0).unwrap());
    assert!(dark_pixels(&img) > 50);
}

#[test]
fn the_font_covers_pashto_dari_digits_and_what_the_charts_print() {
    let face = ttf_parser::Face::parse(FONT_TTF, 0).expect("the font parses");
    let pashto = "ښږځڅټډړڼېۍګ";
    let dari = "گچپژکی";
    let others = "۰۱۲۳۴۵۶۷۸۹\u{066C}…—–·abcXYZ0123456789<";
    for c in pashto.chars().chain(dari.chars()).chain(others.chars()) {
        assert!(
            face.glyph_index(c).is_some(),
            "no glyph for {c} (U+{:04X})",
            c as u32
        );
    }
    assert!(
        face.glyph_index('\u{4E2D}').is_none(),
        "the check can fail: no CJK"
    );
}

#[test]
fn the_image_dimensions_follow_the_scale() {
    let svg = word("x");
    let img = image::load_from_memory(&to_png(&svg, 0.5).unwrap()).unwrap();
    assert_eq!(img.dimensions(), (100, 30));
}
