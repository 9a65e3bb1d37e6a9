//! PNG: the same SVG, rasterised by resvg with the crate's own font.
//!
//! Fonts come only from [`FONT_TTF`](crate::FONT_TTF): no system font is ever looked up, so an
//! image is the same on every machine. Images referenced by the SVG are never loaded (our charts
//! have none; this keeps a foreign SVG from reading files).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::ChartError;
use crate::font::FONT_TTF;

/// The family name inside the font file.
const FAMILY: &str = "Vazirmatn";
/// Largest scale accepted.
const MAX_SCALE: f32 = 8.0;
/// Largest image, in pixels (about 256 MB of RGBA).
const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// A database holding only the embedded font, under every generic family name.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_font_data(FONT_TTF.to_vec());
            db.set_sans_serif_family(FAMILY);
            db.set_serif_family(FAMILY);
            db.set_monospace_family(FAMILY);
            db.set_cursive_family(FAMILY);
            db.set_fantasy_family(FAMILY);
            Arc::new(db)
        })
        .clone()
}

fn options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: fonts(),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        resources_dir: None,
        ..usvg::Options::default()
    }
}

/// `svg` as a PNG at `scale` times its size (1.0: one pixel per SVG unit), on white.
///
/// # Errors
///
/// [`ChartError::Scale`] for a scale outside `(0, 8]`, [`ChartError::Svg`] if the SVG does not
/// parse, [`ChartError::Size`] for an empty image or one over 64 Mpixels,
/// [`ChartError::Encode`] if PNG encoding fails.
pub fn to_png(svg: &str, scale: f32) -> Result<Vec<u8>, ChartError> {
    if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
        return Err(ChartError::Scale(scale));
    }
    let tree = usvg::Tree::from_str(svg, &options()).map_err(|e| ChartError::Svg(e.to_string()))?;
    let size = tree.size();
    // Finite and bounded: usvg sizes are positive finite floats, the scale at most 8.
    let width = (size.width() * scale).ceil() as u64;
    let height = (size.height() * scale).ceil() as u64;
    let too_large = ChartError::Size { width, height };
    if width == 0 || height == 0 || width.saturating_mul(height) > MAX_PIXELS {
        return Err(too_large);
    }
    let (w, h) = (u32::try_from(width), u32::try_from(height));
    let mut pixmap = match (w, h) {
        (Ok(w), Ok(h)) => Pixmap::new(w, h).ok_or(too_large)?,
        _ => return Err(too_large),
    };
    pixmap.fill(Color::WHITE);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ChartError::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_holds_only_the_embedded_font() {
        let db = fonts();
        assert_eq!(db.len(), 1);
        let face = db.faces().next().expect("one face");
        assert!(
            face.families.iter().any(|(name, _)| name == FAMILY),
            "{:?}",
            face.families
        );
    }

    #[test]
    fn bad_scales_and_documents_are_errors() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        for scale in [0.0, -1.0, f32::NAN, f32::INFINITY, 9.0] {
            assert!(matches!(to_png(svg, scale), Err(ChartError::Scale(_))));
        }
        assert!(matches!(to_png("<svg", 1.0), Err(ChartError::Svg(_))));
        assert!(matches!(to_png("", 1.0), Err(ChartError::Svg(_))));
        let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>"#;
        assert!(matches!(to_png(huge, 1.0), Err(ChartError::Size { .. })));
    }

    #[test]
    fn measured_widths_cover_the_rendered_text() {
        let samples = [
            "Women barred from NGO work",
            "Political participation",
            "منع کار زنان در نهادهای غیردولتی",
            "مشارکت سیاسی",
            "ښځې په ښوونځي کې",
            "۱٬۲۳۴",
        ];
        for s in samples {
            let svg = format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"40\" \
                 font-family=\"Vazirmatn\" font-size=\"12\"><text x=\"10\" y=\"20\">{s}</text></svg>"
            );
            let tree = usvg::Tree::from_str(&svg, &options()).expect("parses");
            let rendered = f64::from(tree.root().abs_bounding_box().width());
            let measured = crate::font::text_width(s, 12.0);
            assert!(
                rendered <= measured && rendered >= 0.85 * measured,
                "{s}: rendered {rendered}, measured {measured}"
            );
        }
    }
}
