//! Active content uploaded as evidence (HTML, SVG with script, a GIF/HTML polyglot, a PDF with
//! JavaScript, a PNG with HTML after it, names ending `.html`) comes back byte for byte, only
//! ever as something a browser will not run as a page of this site.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gawah_core::vocab::Role;

use crate::harness::App;
use crate::support::{BOUNDARY, get, multipart, png, upload};

/// Files a browser would run if it took them for a page, with the names they arrive under.
fn active_files() -> Vec<(&'static str, Vec<u8>)> {
    let mut png_html = png();
    png_html.extend_from_slice(b"<html><script>alert('png')</script></html>");
    vec![
        ("x.html", b"<!doctype html><html><script>alert('html')</script></html>".to_vec()),
        (
            "x.svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#
                .to_vec(),
        ),
        (
            "polyglot.gif",
            b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00<html><script>alert('gif')</script></html>*/=1;"
                .to_vec(),
        ),
        (
            "js.pdf",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
                .to_vec(),
        ),
        ("photo.png.html", png_html.clone()),
        ("photo.png", png_html),
        ("page.xhtml", b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(3)</script></html>".to_vec()),
        ("x.html\r\nContent-Type: text/html", b"<script>alert('header')</script>".to_vec()),
    ]
}

/// A response that no browser will render as a page of ours.
#[track_caller]
fn assert_inert_download(h: &HeaderMap, inline_image: bool, what: &str) {
    let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    let content_type = h[header::CONTENT_TYPE].to_str().unwrap();
    if inline_image {
        assert!(disposition.starts_with("inline;"), "{what}: {disposition}");
        assert_eq!(content_type, "image/png", "{what}");
    } else {
        assert!(
            disposition.starts_with("attachment;"),
            "{what}: {disposition}"
        );
        assert_eq!(content_type, "application/octet-stream", "{what}");
    }
    assert!(
        !disposition.contains('\r') && !disposition.contains('\n') && !disposition.contains('"'),
        "{what}: {disposition}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    let policies: Vec<&str> = h
        .get_all("content-security-policy")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        policies.iter().any(
            |p| p.split(';').any(|d| d.trim() == "sandbox") && p.contains("default-src 'none'")
        ),
        "{what}: {policies:?}"
    );
    assert_eq!(h[header::CACHE_CONTROL], "no-store", "{what}");
}

/// Uploads through the incident page's plain form; returns nothing (the page lists the item).
async fn page_upload(app: &App, incident: &str, name: &str, content: &[u8]) {
    let doc = app.member(0, Role::Documenter);
    let body = multipart(&[("csrf", &doc.csrf)], Some((name, content)));
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/incidents/{incident}/evidence"))
        .header(header::COOKIE, format!("gawah_session={}", doc.session))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, _, _) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
}

/// Uploads through tus with the name in the metadata; returns the item id.
async fn tus_upload(app: &App, incident: &str, name: &str, content: &[u8]) -> String {
    use base64::Engine;
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let token = &app.member(0, Role::Documenter).token;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("tus-resumable", "1.0.0")
        .header("upload-length", content.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "filename {},incident {}",
                b64(name.as_bytes()),
                b64(incident.as_bytes())
            ),
        )
        .body(Body::empty())
        .unwrap();
    let (status, h, _) = app.send(req).await;
    assert_eq!(status, StatusCode::CREATED);
    let req = Request::builder()
        .method(Method::PATCH)
        .uri(h[header::LOCATION].to_str().unwrap())
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header(header::CONTENT_TYPE, "application/offset+octet-stream")
        .body(Body::from(content.to_vec()))
        .unwrap();
    let (status, h, _) = app.send(req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    h["x-gawah-item"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn active_content_is_served_only_as_a_sandboxed_attachment() {
    let app = App::new();
    let doc = app.member(0, Role::Documenter);
    let legal = app.member(0, Role::Legal);
    let incident = app.incident(0, "active content").await;
    let mut items = Vec::new();
    for (name, content) in active_files() {
        let clean = name.replace("\r\n", " ");
        items.push((
            upload(&app, doc, &incident, &clean, &content).await,
            clean.clone(),
            content.clone(),
        ));
        items.push((
            tus_upload(&app, &incident, name, &content).await,
            clean.clone(),
            content.clone(),
        ));
        page_upload(&app, &incident, &clean, &content).await;
    }
    // The form's uploads, by listing the incident's items through the API's own view.
    let (_, _, page) = get(&app, Some(legal), &format!("/incidents/{incident}")).await;
    let listed = page.matches("/evidence/item_").count();
    assert!(
        listed >= active_files().len() * 3,
        "{listed} download links"
    );
    for (item, name, content) in &items {
        for (path, session, token) in [
            (format!("/evidence/{item}/file"), Some(&legal.session), None),
            (
                format!("/api/v1/evidence/{item}/file"),
                None,
                Some(&legal.token),
            ),
            (
                format!("/evidence/{item}/file?view=image"),
                Some(&legal.session),
                None,
            ),
            (
                format!("/evidence/{item}/file?view=html"),
                Some(&legal.session),
                None,
            ),
        ] {
            let mut b = Request::builder().uri(&path);
            if let Some(s) = session {
                b = b.header(header::COOKIE, format!("gawah_session={s}"));
            }
            if let Some(t) = token {
                b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let (status, h, body) = app.send(b.body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(&body, content, "{name}: not byte for byte");
            // Only a file that starts as a PNG is ever shown inline, as the image it is.
            let inline = path.ends_with("view=image") && content.starts_with(b"\x89PNG");
            assert_inert_download(&h, inline, &format!("{name} at {path}"));
        }
    }
    // Charts and public figures are downloads too, typed as what they are.
    for path in [
        "/analysis/monthly.svg",
        "/analysis/monthly.csv",
        "/figures.csv",
    ] {
        let (status, h, _) = get(&app, Some(doc), path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment"),
            "{path}: {disposition}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        crate::support::assert_csp(&h, path);
    }
}
