//! Downloading originals (a logged read, served so that it cannot run as a page) and redacted
//! working copies of images (rectangles blacked out, metadata dropped, linked to the untouched
//! original).

use std::io::Cursor;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use gawah_core::{ItemId, LogEntry};
use image::{DynamicImage, ImageDecoder, ImageEncoder, Rgb, RgbImage};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::harness::{App, enc};

const BOUNDARY: &str = "----gawah-redact-boundary-Qx81";

/// A multipart body: the incident, then the file.
fn multipart(incident: &str, file_name: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"incident\"\r\n\r\n{incident}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads `content` into `incident` of org `org` as its documenter; returns the item id.
async fn upload(app: &App, org: usize, incident: &str, name: &str, content: &[u8]) -> String {
    let token = &app.member(org, Role::Documenter).token;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/evidence")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(incident, name, content)))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["item"].as_str().unwrap().to_owned()
}

/// A photo-like RGB image: every pixel differs from its neighbours, none is black.
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 7 + 1) as u8,
            (y * 5 + 2) as u8,
            ((x ^ y) as u8).wrapping_mul(3) | 1,
        ])
    })
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// The latitude 12.34 as an EXIF rational: what must not survive.
const LATITUDE: [u8; 8] = [0, 0, 4, 210, 0, 0, 0, 100];

/// A JPEG of `img` with an EXIF segment holding a GPS position (N 34° 31′ 12.34″).
fn jpeg_with_gps(img: &RgbImage) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    // TIFF, big-endian: IFD0 with a GPSInfo pointer; the GPS IFD with latitude ref and value.
    let mut tiff: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2]);
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(tiff.len(), 56);
    for (num, den) in [(34u32, 1u32), (31, 1)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }
    tiff.extend_from_slice(&LATITUDE);
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap();
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG whose header claims 20000 × 20000 pixels (400 megapixels) and whose data is tiny.
fn png_bomb() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0, 1, 0, 1],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn sha_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn entry_at(app: &App, index: u64) -> LogEntry {
    LogEntry::parse(&app.state.ledger.store.entry(index).unwrap()).unwrap()
}

/// A GET with a bearer token or a session cookie; the response's headers are checked
/// against the log before its body is read.
async fn get(app: &App, path: &str, token: Option<&str>, session: Option<&str>) -> Got {
    let mut b = Request::builder().method(Method::GET).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(s) = session {
        b = b.header(header::COOKIE, format!("gawah_session={s}"));
    }
    let mut req = b.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let log_at_headers = app.log_size();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    Got {
        status,
        headers,
        body,
        log_at_headers,
    }
}

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The log's size when the response (headers, not yet the body) was handed back.
    log_at_headers: u64,
}

impl Got {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
    fn csp_sandboxed(&self) -> bool {
        self.headers
            .get_all(header::CONTENT_SECURITY_POLICY)
            .iter()
            .any(|v| {
                v.to_str()
                    .unwrap_or_default()
                    .split(';')
                    .any(|d| d.trim() == "sandbox")
            })
    }
}

async fn redact(app: &App, token: &str, item: &str, rects: Value) -> (StatusCode, Value) {
    app.api(
        Method::POST,
        &format!("/api/v1/evidence/{item}/redactions"),
        Some(token),
        Some(json!({ "rects": rects })),
    )
    .await
}

/// Signs a checkpoint and verifies the tree, the checkpoint and every item and blob.
fn verify(app: &App) {
    let ledger = &app.state.ledger;
    let cp = ledger.checkpoint().unwrap();
    let report = gawah_store::verify_all(
        ledger.store.as_ref(),
        &*ledger.blobs,
        &ledger.signer().verifier(),
    );
    assert!(report.ok(), "{:?}", report.failures);
    assert_eq!(report.checkpoint_size, Some(cp.size));
}

#[tokio::test]
async fn download_is_the_original_as_an_attachment_logged_before_it_is_sent() {
    let app = App::new();
    let incident = app.incident(0, "download").await;
    let data = png(&picture(40, 30));
    let item = upload(&app, 0, &incident, "gate photo عکس;1.png", &data).await;
    let analyst = app.member(0, Role::Analyst);
    for (path, token, session) in [
        (
            format!("/api/v1/evidence/{item}/file"),
            Some(analyst.token.as_str()),
            None,
        ),
        (
            format!("/evidence/{item}/file"),
            None,
            Some(analyst.session.as_str()),
        ),
    ] {
        let before = app.log_size();
        let got = get(&app, &path, token, session).await;
        assert_eq!(got.status, StatusCode::OK, "{path}");
        assert_eq!(got.body, data, "{path}: byte for byte");
        assert_eq!(
            got.header("content-disposition"),
            "attachment; filename*=UTF-8''gate%20photo%20%D8%B9%DA%A9%D8%B3%3B1.png"
        );
        assert_eq!(got.header("content-type"), "application/octet-stream");
        assert_eq!(got.header("x-content-type-options"), "nosniff");
        assert!(got.csp_sandboxed(), "{:?}", got.headers);
        // One view, committed before the response was handed back.
        assert_eq!(got.log_at_headers, before + 1, "{path}");
        assert_eq!(app.log_size(), before + 1);
        let e = entry_at(&app, before);
        assert_eq!(e.action.as_str(), "view");
        assert_eq!(e.subject, item);
        assert_eq!(e.actor, analyst.id.as_str());
        assert_eq!(e.extra["part"], "file");
    }
    // The redaction page's inline view: typed as the image it is, still sandboxed.
    let got = get(
        &app,
        &format!("/evidence/{item}/file?view=image"),
        None,
        Some(&analyst.session),
    )
    .await;
    assert_eq!(got.header("content-type"), "image/png");
    assert!(got.header("content-disposition").starts_with("inline;"));
    assert!(got.csp_sandboxed());
    assert_eq!(got.body, data);
    // HTML stays an attachment even when asked to be shown.
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let page = upload(&app, 0, &incident, "x.html", html).await;
    let got = get(
        &app,
        &format!("/evidence/{page}/file?view=image"),
        None,
        Some(&analyst.session),
    )
    .await;
    assert_eq!(got.header("content-type"), "application/octet-stream");
    assert!(got.header("content-disposition").starts_with("attachment;"));
    assert!(got.csp_sandboxed());
    verify(&app);
}

#[tokio::test]
async fn download_is_refused_to_viewers_other_orgs_and_for_cli_items() {
    let app = App::new();
    let incident = app.incident(0, "refusals").await;
    let item = upload(&app, 0, &incident, "a.png", &png(&picture(8, 8))).await;
    let path = format!("/api/v1/evidence/{item}/file");
    let before = app.log_size();
    let viewer = app.member(0, Role::Viewer);
    assert_eq!(
        get(&app, &path, Some(&viewer.token), None).await.status,
        StatusCode::FORBIDDEN
    );
    let page = format!("/evidence/{item}/file");
    assert_eq!(
        get(&app, &page, None, Some(&viewer.session)).await.status,
        StatusCode::FORBIDDEN
    );
    let other = app.member(1, Role::Admin);
    assert_eq!(
        get(&app, &path, Some(&other.token), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A session cookie alone does not open the API.
    let analyst = app.member(0, Role::Analyst);
    assert_eq!(
        get(&app, &path, None, Some(&analyst.session)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // An item ingested by the CLI has no organisation: not downloadable through the web.
    let cli = app
        .state
        .ledger
        .ingest(&mut &b"cli bytes"[..], Default::default(), &mut |_| {})
        .unwrap();
    let before_cli = app.log_size();
    let admin = app.member(0, Role::Admin);
    let got = get(
        &app,
        &format!("/api/v1/evidence/{}/file", cli.item),
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let got = get(
        &app,
        "/api/v1/evidence/not-an-id/file",
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert_eq!(app.log_size(), before_cli);
    assert_eq!(before + 1, before_cli, "only the CLI's intake was logged");
}

#[tokio::test]
async fn a_redacted_copy_is_black_inside_the_rectangles_and_the_original_elsewhere() {
    let app = App::new();
    let incident = app.incident(0, "redaction").await;
    let original = picture(64, 48);
    let data = png(&original);
    let item = upload(&app, 0, &incident, "faces.png", &data).await;
    let id: ItemId = item.parse().unwrap();
    let before_rec = app.state.ledger.store.item(&id).unwrap().unwrap();
    let doc = app.member(0, Role::Documenter);
    let rects = [[2u32, 3, 10, 5], [40, 30, 24, 18], [0, 0, 1, 1]];
    let before = app.log_size();
    let (status, v) = redact(&app, &doc.token, &item, json!(rects)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["original"], item);
    let copy = v["item"].as_str().unwrap().to_owned();
    let log_index = v["log_index"].as_u64().unwrap();
    assert_eq!(log_index, before);
    assert_eq!(app.log_size(), before + 1, "one entry: the redaction");

    // The copy's pixels: black inside a rectangle, the original's everywhere else.
    let admin = app.member(0, Role::Admin);
    let got = get(
        &app,
        &format!("/api/v1/evidence/{copy}/file"),
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(sha_hex(&got.body), v["sha256"]);
    assert_eq!(got.body.len() as u64, v["bytes"].as_u64().unwrap());
    assert!(
        got.header("content-disposition")
            .ends_with("faces-redacted.png")
    );
    let out = image::load_from_memory_with_format(&got.body, image::ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    assert_eq!(out.dimensions(), original.dimensions());
    let inside = |x: u32, y: u32| {
        rects
            .iter()
            .any(|r| x >= r[0] && x < r[0] + r[2] && y >= r[1] && y < r[1] + r[3])
    };
    let mut black = 0;
    for (x, y, p) in out.enumerate_pixels() {
        if inside(x, y) {
            assert_eq!(*p, Rgb([0, 0, 0]), "({x}, {y}) inside");
            black += 1;
        } else {
            assert_eq!(p, original.get_pixel(x, y), "({x}, {y}) outside");
        }
    }
    assert_eq!(black, 10 * 5 + 24 * 18 + 1);

    // The original is untouched: same record, same content.
    let after_rec = app.state.ledger.store.item(&id).unwrap().unwrap();
    assert_eq!(after_rec, before_rec);
    let got = get(
        &app,
        &format!("/api/v1/evidence/{item}/file"),
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(sha_hex(&got.body), sha_hex(&data));

    // The derivative row, and the redaction entry naming the original.
    let derived = app.state.ledger.store.derivatives(&id).unwrap();
    assert_eq!(derived.len(), 1);
    assert_eq!(derived[0].item.as_str(), copy);
    assert_eq!(derived[0].kind, "redaction");
    assert_eq!(derived[0].log_index, log_index);
    let params: Value = serde_json::from_str(&derived[0].params).unwrap();
    assert_eq!(params["rects"], json!(rects));
    let e = entry_at(&app, log_index);
    assert_eq!(e.action.as_str(), "redaction");
    assert_eq!(e.subject, copy);
    assert_eq!(e.actor, doc.id.as_str());
    assert_eq!(e.extra["original"], item);
    assert_eq!(e.extra["incident"], incident);
    assert!(e.commitment.is_some());
    let copy_rec = app
        .state
        .ledger
        .store
        .item(&copy.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(copy_rec.log_index, log_index);

    // The incident page lists the copy next to its original, with the links.
    let (status, _, html) = app
        .page(
            Method::GET,
            &format!("/incidents/{incident}"),
            Some(&doc.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/evidence/{item}/file\"")),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/evidence/{item}/redact\"")));
    assert!(html.contains("Redacted copy of"));
    assert!(html.contains(&format!("<code>{copy}</code>")));
    // A viewer sees neither link.
    let viewer = app.member(0, Role::Viewer);
    let (_, _, html) = app
        .page(
            Method::GET,
            &format!("/incidents/{incident}"),
            Some(&viewer.session),
            None,
        )
        .await;
    assert!(!html.contains("/file\""));
    assert!(!html.contains("/redact\""));
    verify(&app);
}

#[tokio::test]
async fn exif_gps_of_a_jpeg_does_not_survive_into_the_copy() {
    let app = App::new();
    let incident = app.incident(0, "gps").await;
    let original = picture(32, 24);
    let data = jpeg_with_gps(&original);
    // The fixture does carry EXIF with the GPS position.
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&data)).unwrap();
    let exif = decoder
        .exif_metadata()
        .unwrap()
        .expect("the fixture has EXIF");
    assert!(exif.windows(8).any(|w| w == LATITUDE));
    let decoded = DynamicImage::from_decoder(decoder).unwrap().to_rgb8();
    let item = upload(&app, 0, &incident, "street.jpg", &data).await;
    let doc = app.member(0, Role::Documenter);
    let (status, v) = redact(&app, &doc.token, &item, json!([[4, 4, 8, 8]])).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let copy = v["item"].as_str().unwrap();
    let got = get(
        &app,
        &format!("/api/v1/evidence/{copy}/file"),
        Some(&doc.token),
        None,
    )
    .await;
    let out = &got.body;
    assert!(out.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        !out.windows(4)
            .any(|w| w == b"Exif" || w == b"eXIf" || w == b"iCCP" || w == b"tEXt")
    );
    assert!(!out.windows(8).any(|w| w == LATITUDE));
    let mut png = image::codecs::png::PngDecoder::new(Cursor::new(out)).unwrap();
    assert_eq!(png.exif_metadata().unwrap(), None);
    let img = DynamicImage::from_decoder(png).unwrap().to_rgb8();
    for (x, y, p) in img.enumerate_pixels() {
        if (4..12).contains(&x) && (4..12).contains(&y) {
            assert_eq!(*p, Rgb([0, 0, 0]));
        } else {
            assert_eq!(p, decoded.get_pixel(x, y), "({x}, {y})");
        }
    }
    verify(&app);
}

#[tokio::test]
async fn bad_redactions_are_refused_and_leave_nothing() {
    let app = App::new();
    let incident = app.incident(0, "refused").await;
    let item = upload(&app, 0, &incident, "p.png", &png(&picture(20, 10))).await;
    let text = upload(&app, 0, &incident, "notes.txt", b"not an image at all").await;
    let bomb = upload(&app, 0, &incident, "bomb.png", &png_bomb()).await;
    let doc = app.member(0, Role::Documenter);
    let before = app.log_size();
    let too_many = vec![[0, 0, 1, 1]; 201];
    for rects in [
        json!([]),
        json!("0,0,1,1"),
        json!([[0, 0, 0, 5]]),
        json!([[0, 0, 5]]),
        json!([[-1, 0, 5, 5]]),
        json!([[16, 0, 5, 5]]),
        json!([[0, 6, 5, 5]]),
        json!(too_many),
    ] {
        let (status, v) = redact(&app, &doc.token, &item, rects.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rects}: {v}");
        assert_eq!(v["fields"][0]["field"], "rects", "{rects}: {v}");
    }
    let (status, v) = redact(&app, &doc.token, &text, json!([[0, 0, 1, 1]])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"][0]["field"], "item");
    assert!(v["error"].as_str().unwrap().contains("PNG and JPEG"), "{v}");
    let (status, v) = redact(&app, &doc.token, &bomb, json!([[0, 0, 1, 1]])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"][0]["field"], "item");
    assert!(v["error"].as_str().unwrap().contains("too large"), "{v}");
    // Roles: analysts, legal officers and viewers do not add evidence; another org's item
    // is not found.
    for role in [Role::Analyst, Role::Legal, Role::Viewer] {
        let (status, _) = redact(
            &app,
            &app.member(0, role).token,
            &item,
            json!([[0, 0, 1, 1]]),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
    let (status, _) = redact(
        &app,
        &app.member(1, Role::Admin).token,
        &item,
        json!([[0, 0, 1, 1]]),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.log_size(), before, "nothing logged");
    let id: ItemId = item.parse().unwrap();
    assert!(app.state.ledger.store.derivatives(&id).unwrap().is_empty());
    // An admin may.
    let (status, v) = redact(
        &app,
        &app.member(0, Role::Admin).token,
        &item,
        json!([[0, 0, 20, 10]]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    verify(&app);
}

#[tokio::test]
async fn the_redaction_page_works_without_javascript() {
    let app = App::new();
    let incident = app.incident(0, "page").await;
    let original = picture(30, 20);
    let item = upload(&app, 0, &incident, "p.png", &png(&original)).await;
    let doc = app.member(0, Role::Documenter);
    let path = format!("/evidence/{item}/redact");
    let (status, _, html) = app.page(Method::GET, &path, Some(&doc.session), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("src=\"/evidence/{item}/file?view=image\"")));
    assert!(
        html.contains("width=\"30\" height=\"20\""),
        "the size is read"
    );
    assert_eq!(html.matches("name=\"x\"").count(), 5);
    assert!(html.contains("<script src=\"/assets/redact.js\""));
    // More rows: the filled one is kept and five empty ones follow.
    let row = |x: &str, y: &str, w: &str, h: &str| format!("&x={x}&y={y}&w={w}&h={h}");
    let csrf = format!("csrf={}", enc(&doc.csrf));
    let form = format!(
        "{csrf}{}{}&more=1",
        row("1", "2", "3", "4"),
        row("", "", "", "")
    );
    let (status, _, html) = app
        .page(Method::POST, &path, Some(&doc.session), Some(&form))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("name=\"x\"").count(), 6);
    assert!(html.contains("name=\"x\" min=\"0\" step=\"1\" inputmode=\"numeric\" value=\"1\""));
    // A half-filled row is named.
    let form = format!("{csrf}{}", row("1", "", "3", "4"));
    let (status, _, html) = app
        .page(Method::POST, &path, Some(&doc.session), Some(&form))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("fill in all four numbers"), "{html}");
    // Out of bounds.
    let form = format!("{csrf}{}", row("25", "0", "10", "5"));
    let (status, _, html) = app
        .page(Method::POST, &path, Some(&doc.session), Some(&form))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Check the rectangles"));
    // Without the form token: refused.
    let form = row("0", "0", "5", "5");
    let (status, _, _) = app
        .page(Method::POST, &path, Some(&doc.session), Some(&form[1..]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Done: back to the incident, with the copy listed.
    let form = format!("{csrf}{}{}", row("0", "0", "5", "5"), row("", "", "", ""));
    let (status, headers, _) = app
        .page(Method::POST, &path, Some(&doc.session), Some(&form))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"],
        format!("/incidents/{incident}#evidence")
    );
    let derived = app
        .state
        .ledger
        .store
        .derivatives(&item.parse().unwrap())
        .unwrap();
    assert_eq!(derived.len(), 1);
    // Viewers and analysts cannot open the page.
    for role in [Role::Viewer, Role::Analyst] {
        let (status, _, _) = app
            .page(Method::GET, &path, Some(&app.member(0, role).session), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
    // The script is served from the site itself.
    let (status, headers, js) = app.page(Method::GET, "/assets/redact.js", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.contains("redact-row"));
}
