//! Redacted working copies of images: chosen rectangles blacked out, kept as a new item
//! linked to the untouched original (`POST /api/v1/evidence/{id}/redactions`; the page form
//! is in `pages::redact`).
//!
//! The original is decoded (PNG or JPEG only, its EXIF orientation applied so that the
//! rectangles are in the pixels a viewer sees), each rectangle is filled with opaque black,
//! and the result is encoded as a PNG that carries pixels only: no EXIF, GPS, ICC profile or
//! text chunk of the original survives. The copy then becomes an item exactly as an upload
//! does: its sealed blob is made durable, then one commit writes the item, its owner, its
//! incident link, its `derivatives` row and a `redaction` entry (subject: the copy; `original`:
//! the original's id).
//!
//! Memory is bounded: the original is read only up to [`MAX_SOURCE_BYTES`] and refused beyond
//! [`MAX_PIXELS`] before its pixels are decoded; the decoder's own allocation limit stops a
//! decompression bomb that lies about its size.
//!
//! Who may redact: those who may add evidence (admins, documenters) and read confidential data.

use std::io::{Cursor, Read};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use gawah_core::incident::FieldError;
use gawah_core::{Action, Commitment, ItemId, LogEntry};
use gawah_store::records::{DerivativeKind, DerivativeWrite, EvidenceWrite, OwnedItem};
use gawah_store::{Change, IngestMeta, RecordWrite};
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use serde_json::{Value, json};

use crate::ctx::{ApiMember, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// Most rectangles in one redaction.
pub const MAX_RECTS: usize = 200;
/// Largest image redacted, in pixels (100 megapixels).
pub const MAX_PIXELS: u64 = 100_000_000;
/// Largest original file read for a redaction.
pub const MAX_SOURCE_BYTES: u64 = 256 << 20;
/// Most memory the decoder may take (the decoded pixels count).
const MAX_DECODE_ALLOC: u64 = 1 << 30;

/// A rectangle in pixels of the original: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width, at least 1.
    pub w: u32,
    /// Height, at least 1.
    pub h: u32,
}

fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldError {
        field,
        message: message.into(),
    }])
}

/// Reads `[[x, y, w, h], ...]`: 1 to [`MAX_RECTS`] rectangles of non-negative integers, each
/// at least one pixel wide and high. Bounds are checked against the image later.
pub fn parse_rects(v: &Value) -> Result<Vec<Rect>, AppError> {
    let list = v
        .as_array()
        .ok_or_else(|| invalid("rects", "must be a list of [x, y, w, h] rectangles"))?;
    if list.is_empty() {
        return Err(invalid("rects", "choose at least one rectangle"));
    }
    if list.len() > MAX_RECTS {
        return Err(invalid(
            "rects",
            format!("at most {MAX_RECTS} rectangles at a time"),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            let n: Vec<u32> = r
                .as_array()
                .filter(|a| a.len() == 4)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_u64().and_then(|c| u32::try_from(c).ok()))
                        .collect()
                })
                .unwrap_or_default();
            match n[..] {
                [x, y, w, h] if w > 0 && h > 0 => Ok(Rect { x, y, w, h }),
                [_, _, _, _] => Err(invalid(
                    "rects",
                    format!("rectangle {}: width and height must be at least 1", i + 1),
                )),
                _ => Err(invalid(
                    "rects",
                    format!(
                        "rectangle {}: must be four non-negative integers [x, y, w, h]",
                        i + 1
                    ),
                )),
            }
        })
        .collect()
}

/// Checks every rectangle lies within a `width` × `height` image.
pub fn check_bounds(rects: &[Rect], width: u32, height: u32) -> Result<(), AppError> {
    for (i, r) in rects.iter().enumerate() {
        let right = u64::from(r.x) + u64::from(r.w);
        let bottom = u64::from(r.y) + u64::from(r.h);
        if right > u64::from(width) || bottom > u64::from(height) {
            return Err(invalid(
                "rects",
                format!(
                    "rectangle {} goes beyond the image, which is {width} × {height} pixels",
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

fn not_image() -> AppError {
    invalid(
        "item",
        "only PNG and JPEG images can be redacted; this item is not one, or it cannot be read",
    )
}

fn too_large() -> AppError {
    invalid(
        "item",
        format!(
            "the image is too large to redact here (more than {} megapixels or {} MiB)",
            MAX_PIXELS / 1_000_000,
            MAX_SOURCE_BYTES >> 20
        ),
    )
}

fn image_err(e: image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => too_large(),
        image::ImageError::IoError(e) => AppError::Internal(format!("decoding: {e}")),
        _ => not_image(),
    }
}

/// Decodes a PNG or JPEG, refusing anything else and anything over the limits; applies its
/// EXIF orientation. Checks `rects` against the oriented size before decoding the pixels.
pub fn decode(bytes: &[u8], rects: &[Rect]) -> Result<DynamicImage, AppError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| AppError::Internal(format!("reading: {e}")))?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg)) {
        return Err(not_image());
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(image_err)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(too_large());
    }
    let orientation = decoder.orientation().map_err(image_err)?;
    let (w, h) = if swaps_sides(orientation) {
        (h, w)
    } else {
        (w, h)
    };
    check_bounds(rects, w, h)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(image_err)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Fills every rectangle with opaque black, in the image's own pixel format.
pub fn black_out(img: DynamicImage, rects: &[Rect]) -> DynamicImage {
    use image::{ImageBuffer, Luma, LumaA, Pixel, Rgb, Rgba};
    fn fill<P: Pixel>(buf: &mut ImageBuffer<P, Vec<P::Subpixel>>, rects: &[Rect], black: P) {
        for r in rects {
            for y in r.y..r.y + r.h {
                for x in r.x..r.x + r.w {
                    buf.put_pixel(x, y, black);
                }
            }
        }
    }
    let mut img = img;
    match &mut img {
        DynamicImage::ImageLuma8(b) => fill(b, rects, Luma([0])),
        DynamicImage::ImageLumaA8(b) => fill(b, rects, LumaA([0, u8::MAX])),
        DynamicImage::ImageRgb8(b) => fill(b, rects, Rgb([0, 0, 0])),
        DynamicImage::ImageRgba8(b) => fill(b, rects, Rgba([0, 0, 0, u8::MAX])),
        DynamicImage::ImageLuma16(b) => fill(b, rects, Luma([0])),
        DynamicImage::ImageLumaA16(b) => fill(b, rects, LumaA([0, u16::MAX])),
        DynamicImage::ImageRgb16(b) => fill(b, rects, Rgb([0, 0, 0])),
        DynamicImage::ImageRgba16(b) => fill(b, rects, Rgba([0, 0, 0, u16::MAX])),
        _ => {
            // Not produced by the PNG or JPEG decoders; kept correct all the same.
            let mut b = img.to_rgba16();
            fill(&mut b, rects, Rgba([0, 0, 0, u16::MAX]));
            return DynamicImage::ImageRgba16(b);
        }
    }
    img
}

/// Encodes as a PNG carrying the pixels only (no EXIF, ICC profile or text chunk).
pub fn encode_png(img: &DynamicImage, out: &mut impl std::io::Write) -> Result<(), AppError> {
    image::codecs::png::PngEncoder::new(out)
        .write_image(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .map_err(|e| AppError::Internal(format!("encoding the redacted copy: {e}")))
}

/// How much of a file is read to find an image's size (a JPEG's EXIF segments come first).
const HEADER_BYTES: u64 = 256 << 10;

/// Blocking: the size of a PNG or JPEG item as displayed (EXIF orientation applied), read
/// from its first bytes; `None` if it is not one or the size is not within them.
pub(crate) fn dimensions(s: &AppState, item: &gawah_store::ItemRecord) -> Option<(u32, u32)> {
    let mut head = Vec::new();
    s.ledger
        .open_content(item)
        .ok()?
        .take(HEADER_BYTES)
        .read_to_end(&mut head)
        .ok()?;
    let reader = ImageReader::new(Cursor::new(&head))
        .with_guessed_format()
        .ok()?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg)) {
        return None;
    }
    let mut decoder = reader.into_decoder().ok()?;
    let (w, h) = decoder.dimensions();
    Some(if swaps_sides(decoder.orientation().ok()?) {
        (h, w)
    } else {
        (w, h)
    })
}

/// Whether an orientation turns the image a quarter.
fn swaps_sides(o: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::{Rotate90, Rotate90FlipH, Rotate270, Rotate270FlipH};
    matches!(o, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH)
}

/// What the incident page shows beside an evidence item.
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemLinks {
    /// A PNG or JPEG (it can be redacted).
    pub image: bool,
    /// The original this is a redacted copy of.
    pub copy_of: Option<String>,
    /// The redacted copies made from it.
    pub copies: Vec<String>,
}

/// Blocking: for each item linked to an incident, whether it is an image (only looked at for
/// a member who may redact: it opens the first bytes), and its derivative links.
pub(crate) fn item_links(
    s: &AppState,
    m: &Member,
    items: &[gawah_store::records::LinkedItem],
) -> Result<std::collections::HashMap<String, ItemLinks>, AppError> {
    let mut out: std::collections::HashMap<String, ItemLinks> = std::collections::HashMap::new();
    for linked in items {
        let item = &linked.item;
        let copies = s.ledger.store.derivatives(&item.id)?;
        for c in &copies {
            out.entry(c.item.to_string()).or_default().copy_of = Some(item.id.to_string());
        }
        let links = out.entry(item.id.to_string()).or_default();
        links.copies = copies.iter().map(|c| c.item.to_string()).collect();
        if may_redact(m.role) {
            // An item that cannot be opened (its key destroyed) is simply not offered.
            let mut head = Vec::with_capacity(8);
            links.image = s.ledger.open_content(item).is_ok_and(|r| {
                r.take(8).read_to_end(&mut head).is_ok()
                    && crate::evidence::image_type(&head).is_some()
            });
        }
    }
    Ok(out)
}

/// A redacted copy, recorded.
#[derive(Debug, Clone)]
pub struct Redacted {
    /// The new item.
    pub item: ItemId,
    /// SHA-256 of its PNG (hex).
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Index of its `redaction` entry.
    pub log_index: u64,
    /// The original.
    pub original: ItemId,
    /// The incident both are linked to, if any.
    pub incident: Option<gawah_core::IncidentId>,
}

/// Whether a role may make redacted copies.
pub(crate) fn may_redact(role: gawah_core::vocab::Role) -> bool {
    crate::upload::may_upload(role) && role.can_read_confidential()
}

/// Blocking: reads the member's item `id`, blacks out `rects`, and records the copy.
pub fn redact(s: &AppState, m: &Member, id: &str, rects: &[Rect]) -> Result<Redacted, AppError> {
    if !may_redact(m.role) {
        return Err(AppError::Forbidden);
    }
    let owned = crate::evidence::owned_item(s, m, id)?;
    if owned.item.bytes > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    s.ledger
        .open_content(&owned.item)?
        .take(MAX_SOURCE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::Internal(format!("reading {}: {e}", owned.item.id)))?;
    let img = black_out(decode(&bytes, rects)?, rects);
    drop(bytes);
    record(s, m, &owned, &img, rects)
}

/// Blocking: seals the PNG of `img` into a durable blob, then commits the copy's item, owner,
/// incident link, derivative row and `redaction` entry together.
fn record(
    s: &AppState,
    m: &Member,
    original: &OwnedItem,
    img: &DynamicImage,
    rects: &[Rect],
) -> Result<Redacted, AppError> {
    let orig = &original.item;
    let mut writer = s.ledger.create_sealed(m.org.as_str())?;
    encode_png(img, &mut writer)?;
    let content = writer
        .finish()
        .map_err(|e| AppError::Internal(format!("sealing the redacted copy: {e}")))?;
    let (content, blob) = content
        .commit()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let stem = s
        .ledger
        .open_meta(orig)?
        .file_name
        .map(|n| {
            n.rsplit_once('.')
                .map_or(n.clone(), |(stem, _)| stem.to_owned())
        })
        .unwrap_or_else(|| orig.id.to_string());
    let meta = IngestMeta {
        case_ref: orig.case_ref.clone(),
        file_name: Some(format!("{stem}-redacted.png")),
        confidential: original.confidential,
    };
    let item = s.ledger.sealed_item(content, blob, &meta)?;
    let (id, sha256, bytes) = (item.id.clone(), item.sha256, item.bytes);
    let mut entry = LogEntry::new(
        s.ledger.clock().now(),
        m.id.as_str(),
        Action::Redaction,
        id.as_str(),
    )
    .with_commitment(Commitment::new(&item.salt, &item.sha256))
    .with_field("org", m.org.as_str())
    .with_field("original", orig.id.as_str());
    if let Some(i) = &original.incident {
        entry = entry.with_field("incident", i.as_str());
    }
    let params = json!({"rects": rects.iter().map(|r| [r.x, r.y, r.w, r.h]).collect::<Vec<_>>()});
    let record = RecordWrite::Derivative(DerivativeWrite {
        evidence: EvidenceWrite {
            item,
            org: m.org.clone(),
            member: m.id.clone(),
            incident: original.incident.clone(),
            confidential: original.confidential,
            upload: None,
        },
        original: orig.id.clone(),
        kind: DerivativeKind::Redaction,
        params: params.to_string(),
    });
    let idx = s.ledger.commit(&[Change { record, entry }])?;
    let log_index = idx
        .first()
        .copied()
        .ok_or_else(|| AppError::Internal("commit returned no index".into()))?;
    Ok(Redacted {
        item: id,
        sha256: sha256.to_hex(),
        bytes,
        log_index,
        original: orig.id.clone(),
        incident: original.incident.clone(),
    })
}

/// `POST /api/v1/evidence/{id}/redactions` with `{"rects": [[x, y, w, h], ...]}`.
async fn api_redact(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    if !may_redact(m.role) {
        return Err(AppError::Forbidden);
    }
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let rects = parse_rects(body.get("rects").unwrap_or(&Value::Null))?;
    let done = blocking(&state, move |s| redact(s, &m, &id, &rects)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "item": done.item.as_str(),
            "sha256": done.sha256,
            "bytes": done.bytes,
            "log_index": done.log_index,
            "original": done.original.as_str(),
        })),
    )
        .into_response())
}

/// `POST /api/v1/evidence/{id}/redactions` (registered by `api::routes`).
pub(crate) fn api_route() -> MethodRouter<Arc<AppState>> {
    post(api_redact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rects_are_parsed_strictly() {
        let ok = parse_rects(&json!([[0, 1, 2, 3]])).unwrap();
        assert_eq!(
            ok,
            vec![Rect {
                x: 0,
                y: 1,
                w: 2,
                h: 3
            }]
        );
        for bad in [
            json!([]),
            json!(null),
            json!([[0, 0, 0, 1]]),
            json!([[0, 0, 1]]),
            json!([[-1, 0, 1, 1]]),
            json!([[0.5, 0, 1, 1]]),
            json!([["0", 0, 1, 1]]),
            json!(vec![[0, 0, 1, 1]; MAX_RECTS + 1]),
        ] {
            match parse_rects(&bad) {
                Err(AppError::Invalid(f)) => assert_eq!(f[0].field, "rects", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(check_bounds(&ok, 2, 4).is_ok());
        assert!(check_bounds(&ok, 1, 4).is_err());
        assert!(check_bounds(&ok, 2, 3).is_err());
    }
}
