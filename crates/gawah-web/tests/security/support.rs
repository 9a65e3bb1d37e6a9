//! What the security tests share: requests as a member, and the checks every page gets.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::http::{HeaderMap, Method, StatusCode};

use crate::harness::{App, Member, enc};
use crate::html;

/// Every payload carries this, so that input turned into markup is recognisable.
pub const MARKER: &str = "xssgw";

/// A URL-encoded form body.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A GET as `m` (or signed out).
pub async fn get(app: &App, m: Option<&Member>, path: &str) -> (StatusCode, HeaderMap, String) {
    app.page(Method::GET, path, m.map(|m| m.session.as_str()), None)
        .await
}

/// A form POST as `m`, with its form token first.
pub async fn post(
    app: &App,
    m: &Member,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut all = vec![("csrf", m.csrf.as_str())];
    all.extend_from_slice(fields);
    app.page(Method::POST, path, Some(&m.session), Some(&form(&all)))
        .await
}

/// The `Location` of a redirect.
pub fn location(headers: &HeaderMap) -> String {
    headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn allowed() -> &'static BTreeSet<String> {
    static ALLOWED: OnceLock<BTreeSet<String>> = OnceLock::new();
    ALLOWED.get_or_init(html::allowed_elements)
}

/// The site's policy forbids inline script (and so inline handlers and `javascript:` URLs).
#[track_caller]
pub fn assert_csp(headers: &HeaderMap, what: &str) {
    let policies: Vec<&str> = headers
        .get_all("content-security-policy")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let site = policies
        .iter()
        .find(|p| p.contains("script-src"))
        .unwrap_or_else(|| panic!("{what}: no script-src in {policies:?}"));
    let script_src = site
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_default();
    assert_eq!(script_src, "script-src 'self'", "{what}: {site}");
    for p in &policies {
        assert!(
            !p.contains("unsafe-inline") && !p.contains("unsafe-eval") && !p.contains('*'),
            "{what}: {p}"
        );
    }
    assert!(site.contains("object-src 'none'") && site.contains("base-uri 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
}

/// Nothing in `body` is markup made from input, and the policy forbids inline script.
#[track_caller]
pub fn assert_inert(headers: &HeaderMap, body: &str, what: &str) {
    assert_csp(headers, what);
    let found = html::problems(body, MARKER, allowed());
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

/// `payload` reached the page as text (so the checks above were not vacuous).
#[track_caller]
pub fn assert_shows(body: &str, payload: &str, what: &str) {
    assert!(
        html::decode(body).contains(payload),
        "{what}: the value {payload:?} is not on the page"
    );
}

/// Both: the value is on the page, and only as text.
#[track_caller]
pub fn assert_escaped(headers: &HeaderMap, body: &str, payload: &str, what: &str) {
    assert_inert(headers, body, what);
    assert_shows(body, payload, what);
}

pub const BOUNDARY: &str = "----gawah-security-boundary";

/// A multipart body: text fields in order, then a file part if given.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, content)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/html\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A multipart POST to a page route with `m`'s session cookie.
pub async fn post_multipart(
    app: &App,
    m: &Member,
    path: &str,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, String) {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("cookie", format!("gawah_session={}", m.session))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    let (status, headers, bytes) = app.send(req).await;
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Uploads `content` named `file_name` into `incident` through the API as `m`; the item id.
pub async fn upload(
    app: &App,
    m: &Member,
    incident: &str,
    file_name: &str,
    content: &[u8],
) -> String {
    let body = multipart(&[("incident", incident)], Some((file_name, content)));
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/evidence")
        .header("authorization", format!("Bearer {}", m.token))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    let (status, _, bytes) = app.send(req).await;
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["item"].as_str().unwrap().to_owned()
}

/// A small real PNG.
pub fn png() -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(8, 6, |x, y| image::Rgb([x as u8 * 30, y as u8 * 40, 200]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&img, 8, 6, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}
