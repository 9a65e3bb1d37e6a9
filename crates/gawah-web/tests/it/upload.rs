//! Evidence uploads: multipart through the API and the incident page's form, tus 1.0
//! resumable uploads, and a 3 GB upload interrupted halfway and resumed over real TCP.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use gawah_core::{ItemId, LogEntry};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::App;

const BOUNDARY: &str = "----gawah-test-boundary-7MA4YWxkTrZu0gW";

/// One multipart part: name, file name (for a file part), content.
type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Deterministic content that is not a repeated pattern.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

async fn post_evidence(app: &App, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/evidence")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let (status, _, bytes) = app.send(b.body(Body::from(body)).unwrap()).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn entry_at(app: &App, index: u64) -> LogEntry {
    LogEntry::parse(&app.state.ledger.store.entry(index).unwrap()).unwrap()
}

/// Signs a checkpoint of the current head, then verifies everything: the tree, the
/// checkpoint's signature, every item against its entry and its blob.
fn verify(app: &App) {
    let ledger = &app.state.ledger;
    let cp = ledger.checkpoint().unwrap();
    assert_eq!(cp.size, app.log_size());
    let report = gawah_store::verify_all(
        ledger.store.as_ref(),
        &*ledger.blobs,
        &ledger.signer().verifier(),
    );
    assert!(report.ok(), "{:?}", report.failures);
    assert!(report.items > 0);
    assert_eq!(report.checkpoint_size, Some(cp.size));
}

#[tokio::test]
async fn multipart_upload_records_links_and_lists_the_item() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let incident = app.incident(0, "school gate").await;
    // Larger than axum's default body limit (2 MB), which these routes lift.
    let data = content(3_000_000, 1);
    let before = app.log_size();
    let body = multipart(&[
        ("incident", None, incident.as_bytes()),
        ("case", None, b"CASE-7"),
        ("file", Some("C:\\photos\\gate photo.jpg"), &data),
    ]);
    let (status, v) = post_evidence(&app, Some(&m.token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["sha256"], sha_hex(&data));
    assert_eq!(v["bytes"], 3_000_000);
    let item: ItemId = v["item"].as_str().unwrap().parse().unwrap();
    let log_index = v["log_index"].as_u64().unwrap();
    assert_eq!(log_index, before, "one entry, for the item");
    assert_eq!(app.log_size(), before + 1);
    // The item, its blob and its intake entry (actor: the member; linked incident named).
    let rec = app.state.ledger.store.item(&item).unwrap().unwrap();
    assert_eq!(rec.case_ref.as_deref(), Some("CASE-7"));
    // The file name is sealed: absent in the clear, opened with the keys.
    assert_eq!(rec.file_name, None);
    let meta = app.state.ledger.open_meta(&rec).unwrap();
    assert_eq!(meta.file_name.as_deref(), Some("gate photo.jpg"));
    assert_eq!(rec.log_index, log_index);
    let e = entry_at(&app, log_index);
    assert_eq!(e.action.as_str(), "intake");
    assert_eq!(e.subject, item.as_str());
    assert_eq!(e.actor, m.id.as_str());
    assert_eq!(e.extra["incident"], incident);
    // Stored sealed: the blob is not the original's bytes, and opens to them with the keys.
    assert!(rec.blob_sealed());
    assert_eq!(
        rec.blob.hash(),
        gawah_store::BlobHash::Blake3,
        "a sealed blob is addressed by BLAKE3"
    );
    let mut blob = Vec::new();
    std::io::Read::read_to_end(
        &mut app.state.ledger.blobs.open(&rec.blob).unwrap(),
        &mut blob,
    )
    .unwrap();
    assert!(!blob.windows(64).any(|w| w == &data[1000..1064]));
    blob.clear();
    std::io::Read::read_to_end(&mut app.state.ledger.open_content(&rec).unwrap(), &mut blob)
        .unwrap();
    assert_eq!(blob, data);
    // On the incident page: id, size, sha256, log index; the file name is sealed.
    let (status, _, page) = app
        .page(
            Method::GET,
            &format!("/incidents/{incident}"),
            Some(&m.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("gate photo.jpg"),
        "the file name is shown unasked"
    );
    // Revealed on request (a logged read), with everything else.
    let before_reveal = app.log_size();
    let (status, _, page) = app
        .page(
            Method::POST,
            &format!("/incidents/{incident}/reveal"),
            Some(&m.session),
            Some(&format!("csrf={}", m.csrf)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.log_size(),
        before_reveal + 2,
        "one view for the incident, one for the item"
    );
    for expected in [
        item.as_str(),
        "gate photo.jpg",
        "2.9 MiB",
        &sha_hex(&data),
        &format!("<td>{log_index}</td>"),
    ] {
        assert!(page.contains(expected), "page lacks {expected}");
    }
    // The file may also come before the fields.
    let small = content(10, 2);
    let body = multipart(&[
        ("file", Some("note.txt"), &small),
        ("incident", None, incident.as_bytes()),
    ]);
    let (status, v) = post_evidence(&app, Some(&m.token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["sha256"], sha_hex(&small));
    let listed = app
        .state
        .ledger
        .store
        .incident_items(&app.orgs[0], &incident.parse().unwrap())
        .unwrap();
    assert_eq!(listed.len(), 2);
    // Without an incident: recorded, linked to nothing.
    let (status, v) = post_evidence(
        &app,
        Some(&m.token),
        multipart(&[("file", Some("x"), b"x")]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    verify(&app);
}

#[tokio::test]
async fn multipart_upload_errors() {
    let app = App::new();
    let own = app.incident(0, "own").await;
    let other = app.incident(1, "other").await;
    let file = content(1000, 3);
    let with = |incident: &str| {
        multipart(&[
            ("incident", None, incident.as_bytes()),
            ("file", Some("f.bin"), &file),
        ])
    };
    let before = app.log_size();
    for role in [Role::Viewer, Role::Legal, Role::Analyst] {
        let t = app.member(0, role).token.clone();
        let (status, v) = post_evidence(&app, Some(&t), with(&own)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {v}");
    }
    for role in [Role::Admin, Role::Documenter] {
        let t = app.member(0, role).token.clone();
        let (status, v) = post_evidence(&app, Some(&t), with(&other)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role}: {v}");
        let (status, v) = post_evidence(&app, Some(&t), with("inc_nonsense")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role}: {v}");
    }
    let (status, _) = post_evidence(&app, None, with(&own)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post_evidence(&app, Some("token-nobody"), with(&own)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let t = app.member(0, Role::Documenter).token.clone();
    let (status, v) = post_evidence(
        &app,
        Some(&t),
        multipart(&[("incident", None, own.as_bytes()), ("case", None, b"C")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("file"), "{v}");
    // Not multipart at all.
    let (status, v) = app
        .api(
            Method::POST,
            "/api/v1/evidence",
            Some(&t),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    // Declared larger than the limit: refused before reading.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/evidence")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::CONTENT_LENGTH, "99999999999999")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.log_size(), before, "nothing logged");
    // No blob was left behind either.
    assert!(app.state.ledger.blobs.keys().unwrap().is_empty());
}

async fn page_upload(
    app: &App,
    session: &str,
    incident: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/incidents/{incident}/evidence"))
        .header(header::COOKIE, format!("gawah_session={session}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, headers, _) = app.send(req).await;
    let location = headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

#[tokio::test]
async fn the_incident_page_form_uploads_without_javascript() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let incident = app.incident(0, "page upload").await;
    let (_, _, page) = app
        .page(
            Method::GET,
            &format!("/incidents/{incident}"),
            Some(&m.session),
            None,
        )
        .await;
    assert!(page.contains(r#"enctype="multipart/form-data""#));
    assert!(page.contains(&format!(r#"action="/incidents/{incident}/evidence""#)));
    assert!(page.contains(&format!(r#"name="csrf" value="{}""#, m.csrf)));
    assert!(page.contains(r#"type="checkbox" name="confidential""#));
    let data = content(2_500_000, 4);
    let form = |csrf: &str| {
        multipart(&[
            ("csrf", None, csrf.as_bytes()),
            ("file", Some("witness.m4a"), &data),
            ("case", None, b""),
            ("confidential", None, b"on"),
        ])
    };
    let (status, location) = page_upload(&app, &m.session, &incident, form(&m.csrf)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/incidents/{incident}#evidence"));
    let (_, _, page) = app
        .page(
            Method::POST,
            &format!("/incidents/{incident}/reveal"),
            Some(&m.session),
            Some(&format!("csrf={}", m.csrf)),
        )
        .await;
    assert!(page.contains("witness.m4a") && page.contains(&sha_hex(&data)));
    let listed = app
        .state
        .ledger
        .store
        .incident_items(&app.orgs[0], &incident.parse().unwrap())
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].confidential, "the checkbox is stored");
    let before = app.log_size();
    // Wrong or missing form token; the token after the file; no file chosen.
    let (status, _) = page_upload(&app, &m.session, &incident, form("wrong")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let late = multipart(&[("file", Some("a"), b"a"), ("csrf", None, m.csrf.as_bytes())]);
    let (status, _) = page_upload(&app, &m.session, &incident, late).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let none = multipart(&[("csrf", None, m.csrf.as_bytes()), ("file", Some(""), b"")]);
    let (status, _) = page_upload(&app, &m.session, &incident, none).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Roles, organisations, sessions.
    let viewer = app.member(0, Role::Viewer);
    let (status, _) = page_upload(&app, &viewer.session, &incident, form(&viewer.csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger = app.member(1, Role::Documenter);
    let (status, _) = page_upload(&app, &stranger.session, &incident, form(&stranger.csrf)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page_upload(&app, "no-session", &incident, form(&m.csrf)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.log_size(), before);
    // A viewer sees the list but not the form.
    let (_, _, page) = app
        .page(
            Method::GET,
            &format!("/incidents/{incident}"),
            Some(&viewer.session),
            None,
        )
        .await;
    // ... without the sealed file name or, the item being confidential, its hash: a viewer
    // cannot open them.
    assert!(page.contains(listed[0].item.id.as_str()) && !page.contains(r#"name="file""#));
    assert!(!page.contains("witness.m4a") && !page.contains("/reveal"));
    assert!(!page.contains(&sha_hex(&data)));
    verify(&app);
}

/// A tus request through the router.
async fn tus(
    app: &App,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn tus_v() -> (&'static str, String) {
    ("tus-resumable", "1.0.0".to_owned())
}

fn chunk_headers(offset: usize) -> Vec<(&'static str, String)> {
    vec![
        tus_v(),
        ("content-type", "application/offset+octet-stream".into()),
        ("upload-offset", offset.to_string()),
    ]
}

#[tokio::test]
async fn tus_create_patch_head_resume_and_finish() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let incident = app.incident(0, "tus").await;
    // Discovery.
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/v1/uploads")
        .body(Body::empty())
        .unwrap();
    let (status, h, _) = app.send(req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["tus-version"], "1.0.0");
    assert_eq!(h["tus-resumable"], "1.0.0");
    assert!(h["tus-extension"].to_str().unwrap().contains("creation"));
    assert!(h["tus-extension"].to_str().unwrap().contains("termination"));
    assert_eq!(h["tus-max-size"], (20u64 << 30).to_string().as_str());
    // Creation.
    let data = content(1_000_003, 5);
    let meta = format!(
        "filename {},case {},incident {}",
        b64("تصویر.png"),
        b64("CASE-9"),
        b64(&incident)
    );
    let (status, h, _) = tus(
        &app,
        Method::POST,
        "/api/v1/uploads",
        &m.token,
        &[
            tus_v(),
            ("upload-length", data.len().to_string()),
            ("upload-metadata", meta),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(h["tus-resumable"], "1.0.0");
    let location = h[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/api/v1/uploads/upl_"), "{location}");
    // Half, then HEAD.
    let half = data.len() / 2;
    let (status, h, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &m.token,
        &chunk_headers(0),
        data[..half].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["upload-offset"], half.to_string().as_str());
    assert!(h.get("x-gawah-item").is_none());
    let (status, h, _) = tus(
        &app,
        Method::HEAD,
        &location,
        &m.token,
        &[tus_v()],
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["upload-offset"], half.to_string().as_str());
    assert_eq!(h["upload-length"], data.len().to_string().as_str());
    assert_eq!(h["cache-control"], "no-store");
    // A stale offset: 409, nothing written.
    let (status, h, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &m.token,
        &chunk_headers(half - 10),
        data[half - 10..].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(h["upload-offset"], half.to_string().as_str());
    // No Tus-Resumable: 412 with the version spoken; wrong content type: 415.
    let (status, h, _) = tus(&app, Method::HEAD, &location, &m.token, &[], Vec::new()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(h["tus-resumable"], "1.0.0");
    let mut headers = chunk_headers(half);
    headers.remove(0);
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &m.token,
        &headers,
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let mut headers = chunk_headers(half);
    headers[1].1 = "application/octet-stream".into();
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &m.token,
        &headers,
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Another member (same or other organisation) does not see it.
    for (org, role) in [(0, Role::Admin), (1, Role::Documenter)] {
        let other = app.member(org, role).token.clone();
        let (status, _, _) = tus(
            &app,
            Method::HEAD,
            &location,
            &other,
            &[tus_v()],
            Vec::new(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "org {org} {role}");
        let (status, _, _) = tus(
            &app,
            Method::PATCH,
            &location,
            &other,
            &chunk_headers(half),
            data[half..].to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "org {org} {role}");
    }
    let before = app.log_size();
    // The rest: done, with the item named.
    let (status, h, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &m.token,
        &chunk_headers(half),
        data[half..].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["upload-offset"], data.len().to_string().as_str());
    assert_eq!(h["x-gawah-sha256"], sha_hex(&data).as_str());
    let item: ItemId = h["x-gawah-item"].to_str().unwrap().parse().unwrap();
    assert_eq!(app.log_size(), before + 1);
    let (status, v) = app.api(Method::GET, &location, Some(&m.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["done"], true);
    assert_eq!(v["item"], item.as_str());
    assert_eq!(v["sha256"], sha_hex(&data));
    assert_eq!(v["bytes"], data.len());
    let rec = app.state.ledger.store.item(&item).unwrap().unwrap();
    // The file name is sealed: absent in the clear, opened with the keys.
    assert_eq!(rec.file_name, None);
    let meta = app.state.ledger.open_meta(&rec).unwrap();
    assert_eq!(meta.file_name.as_deref(), Some("تصویر.png"));
    assert_eq!(rec.case_ref.as_deref(), Some("CASE-9"));
    assert_eq!(v["log_index"], rec.log_index);
    let (status, h, _) = tus(
        &app,
        Method::HEAD,
        &location,
        &m.token,
        &[tus_v()],
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["x-gawah-item"], item.as_str());
    // The partial file is gone; the item is on the incident page.
    let dir = app.state.ledger.store.uploads_dir().unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let (_, _, page) = app
        .page(
            Method::POST,
            &format!("/incidents/{incident}/reveal"),
            Some(&m.session),
            Some(&format!("csrf={}", m.csrf)),
        )
        .await;
    assert!(page.contains(item.as_str()) && page.contains("تصویر.png"));
    // Repeating the last PATCH is harmless.
    let (status, h, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &m.token,
        &chunk_headers(data.len()),
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["x-gawah-item"], item.as_str());
    // The item's intake, and the two logged reads of the reveal above (incident, item).
    assert_eq!(app.log_size(), before + 3);
    verify(&app);
}

#[tokio::test]
async fn tus_errors_and_termination() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let other_incident = app.incident(1, "theirs").await;
    let create = |headers: Vec<(&'static str, String)>, token: String| {
        let app = &app;
        async move {
            tus(
                app,
                Method::POST,
                "/api/v1/uploads",
                &token,
                &headers,
                Vec::new(),
            )
            .await
        }
    };
    let t = m.token.clone();
    let (status, _, _) = create(vec![("upload-length", "10".into())], t.clone()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, body) = create(vec![tus_v()], t.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("Upload-Length"));
    let (status, _, _) = create(
        vec![tus_v(), ("upload-length", (21u64 << 30).to_string())],
        t.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, _) = create(
        vec![
            tus_v(),
            ("upload-length", "10".into()),
            (
                "upload-metadata",
                format!("incident {}", b64(&other_incident)),
            ),
        ],
        t.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let viewer = app.member(0, Role::Viewer).token.clone();
    let (status, _, _) = create(vec![tus_v(), ("upload-length", "10".into())], viewer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = create(
        vec![tus_v(), ("upload-length", "10".into())],
        "nobody".into(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // More bytes than announced: 413, the announced ones kept.
    let (status, h, _) = create(vec![tus_v(), ("upload-length", "10".into())], t.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let location = h[header::LOCATION].to_str().unwrap().to_owned();
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(0),
        b"0123".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(4),
        b"456789abc".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, h, _) = tus(&app, Method::HEAD, &location, &t, &[tus_v()], Vec::new()).await;
    assert_eq!(h["upload-offset"], "10");
    // Terminated: gone for good, partial data removed, nothing logged.
    let before = app.log_size();
    let (status, h, _) = create(vec![tus_v(), ("upload-length", "100".into())], t.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let location = h[header::LOCATION].to_str().unwrap().to_owned();
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(0),
        vec![7; 40],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let stranger = app.member(1, Role::Documenter).token.clone();
    let (status, _, _) = tus(
        &app,
        Method::DELETE,
        &location,
        &stranger,
        &[tus_v()],
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = tus(&app, Method::DELETE, &location, &t, &[], Vec::new()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, h, _) = tus(&app, Method::DELETE, &location, &t, &[tus_v()], Vec::new()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["tus-resumable"], "1.0.0");
    let (status, _, _) = tus(&app, Method::HEAD, &location, &t, &[tus_v()], Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let id = location.rsplit('/').next().unwrap();
    let dir = app.state.ledger.store.uploads_dir().unwrap();
    assert!(!dir.join(format!("{id}.part")).exists());
    assert_eq!(app.log_size(), before);
    // An empty file is finished at creation.
    let (status, h, _) = create(vec![tus_v(), ("upload-length", "0".into())], t.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(h.get("x-gawah-item").is_some());
    assert_eq!(app.log_size(), before + 1);
    verify(&app);
}

// ---------------------------------------------------------------------------------------
// A large upload over real TCP, interrupted halfway and resumed.

const GEN_BLOCK: usize = 1 << 20;

/// Deterministic content of any length, made block by block: a fixed pseudo-random block with
/// the block's number in its first eight bytes, so no two blocks are equal.
struct Generator {
    base: Vec<u8>,
}

impl Generator {
    fn new() -> Self {
        Self {
            base: content(GEN_BLOCK, 42),
        }
    }

    /// Fills `buf` with block `k`.
    fn block(&self, k: u64, buf: &mut Vec<u8>) {
        buf.clear();
        buf.extend_from_slice(&self.base);
        buf[..8].copy_from_slice(&k.to_le_bytes());
    }
}

/// Writes one HTTP/1.1 request head.
async fn write_head(s: &mut TcpStream, method: &str, path: &str, headers: &[(&str, String)]) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
}

/// Reads a whole response (the server closes the connection after it).
async fn read_response(s: &mut TcpStream) -> (u16, Vec<(String, String)>) {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, Vec<(String, String)>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    write_head(&mut s, method, path, headers).await;
    read_response(&mut s).await
}

/// Sends bytes `[from, to)` of the generated content, hashing them into `hasher.0` and
/// keeping the hash state at every block boundary in `hasher.1` (to rewind to any offset).
async fn send_range(
    s: &mut TcpStream,
    gen_: &Generator,
    from: u64,
    to: u64,
    hasher: Arc<Mutex<(Sha256, Vec<Sha256>)>>,
) {
    let mut buf = Vec::with_capacity(GEN_BLOCK);
    let mut at = from;
    while at < to {
        let k = at / GEN_BLOCK as u64;
        let start = (at % GEN_BLOCK as u64) as usize;
        gen_.block(k, &mut buf);
        let end = ((to - k * GEN_BLOCK as u64) as usize).min(GEN_BLOCK);
        {
            let mut h = hasher.lock().unwrap();
            if start == 0 {
                let state = h.0.clone();
                h.1.push(state);
            }
            h.0.update(&buf[start..end]);
        }
        s.write_all(&buf[start..end]).await.unwrap();
        at = k * GEN_BLOCK as u64 + end as u64;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3_gb_upload_interrupted_halfway_resumes_with_the_right_sha256() {
    let total: u64 = std::env::var("GAWAH_TUS_BIG_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000_000_000);
    let started = Instant::now();
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let token = m.token.clone();
    let incident = app.incident(0, "large video").await;
    // A real server on a loopback port, bound before anything is sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    let auth = ("authorization", format!("Bearer {token}"));
    let (status, h) = request(
        addr,
        "POST",
        "/api/v1/uploads",
        &[
            auth.clone(),
            tus_v(),
            ("upload-length", total.to_string()),
            (
                "upload-metadata",
                format!("filename {},incident {}", b64("video.mp4"), b64(&incident)),
            ),
            ("content-length", "0".into()),
        ],
    )
    .await;
    assert_eq!(status, 201);
    let location = get(&h, "location").unwrap().to_owned();
    let gen_ = Arc::new(Generator::new());
    let hasher = Arc::new(Mutex::new((Sha256::new(), Vec::new())));
    // First PATCH: the whole length announced, the connection dropped after about half.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let first = {
        let (gen_, hasher, location, auth) =
            (gen_.clone(), hasher.clone(), location.clone(), auth.clone());
        tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            write_head(
                &mut s,
                "PATCH",
                &location,
                &[
                    auth,
                    tus_v(),
                    ("content-type", "application/offset+octet-stream".into()),
                    ("upload-offset", "0".into()),
                    ("content-length", total.to_string()),
                ],
            )
            .await;
            // About half of the announced body, then nothing: the request is mid-way when
            // this future is aborted, which drops the connection.
            send_range(&mut s, &gen_, 0, total / 2, hasher).await;
            let _ = tx.send(());
            std::future::pending::<()>().await;
        })
    };
    rx.await.unwrap();
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    let interrupted = started.elapsed();
    // HEAD: what the server acknowledged (it waits for the interrupted PATCH to record it).
    let (status, h) = request(addr, "HEAD", &location, &[auth.clone(), tus_v()]).await;
    assert_eq!(status, 200);
    let offset: u64 = get(&h, "upload-offset").unwrap().parse().unwrap();
    assert_eq!(get(&h, "upload-length").unwrap(), total.to_string());
    assert!(offset > 0 && offset < total, "offset {offset}");
    // Resume from there: rewind the running hash to the acknowledged offset.
    {
        let mut h = hasher.lock().unwrap();
        let k = offset / GEN_BLOCK as u64;
        let mut state = h.1[k as usize].clone();
        let mut buf = Vec::new();
        gen_.block(k, &mut buf);
        state.update(&buf[..(offset % GEN_BLOCK as u64) as usize]);
        h.0 = state;
        h.1.clear();
    }
    let mut s = TcpStream::connect(addr).await.unwrap();
    write_head(
        &mut s,
        "PATCH",
        &location,
        &[
            auth.clone(),
            tus_v(),
            ("content-type", "application/offset+octet-stream".into()),
            ("upload-offset", offset.to_string()),
            ("content-length", (total - offset).to_string()),
        ],
    )
    .await;
    send_range(&mut s, &gen_, offset, total, hasher.clone()).await;
    let (status, h) = read_response(&mut s).await;
    assert_eq!(status, 204, "{h:?}");
    assert_eq!(get(&h, "upload-offset").unwrap(), total.to_string());
    let expected = hex::encode(hasher.lock().unwrap().0.clone().finalize());
    assert_eq!(get(&h, "x-gawah-sha256").unwrap(), expected);
    let item: ItemId = get(&h, "x-gawah-item").unwrap().parse().unwrap();
    let rec = app.state.ledger.store.item(&item).unwrap().unwrap();
    assert_eq!(rec.sha256.unwrap().to_hex(), expected);
    assert_eq!(rec.bytes, total);
    assert_eq!(
        app.state.ledger.blobs.size(&rec.blob).unwrap(),
        Some(gawah_core::seal::stream::sealed_len(total))
    );
    let linked = app
        .state
        .ledger
        .store
        .incident_items(&app.orgs[0], &incident.parse().unwrap())
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].item.id, item);
    server.abort();
    eprintln!(
        "{total} bytes: interrupted at {offset} after {:.1?}, finished after {:.1?}",
        interrupted,
        started.elapsed()
    );
}

#[tokio::test]
async fn tus_recovers_what_a_crash_leaves() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let store = &app.state.ledger.store;
    let dir = store.uploads_dir().unwrap();
    let data = content(5000, 6);
    let create = || async {
        let (status, h, _) = tus(
            &app,
            Method::POST,
            "/api/v1/uploads",
            &t,
            &[tus_v(), ("upload-length", data.len().to_string())],
            Vec::new(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let location = h[header::LOCATION].to_str().unwrap().to_owned();
        let id = location.rsplit('/').next().unwrap().to_owned();
        (location, id)
    };
    // Bytes written after the last acknowledgement (a crash before the fsync and the offset
    // update) are cut off: the next PATCH starts at the acknowledged offset.
    let (location, id) = create().await;
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(0),
        data[..1000].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let part = dir.join(format!("{id}.part"));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&part)
        .unwrap();
    std::io::Write::write_all(&mut f, &[0xEE; 700]).unwrap();
    drop(f);
    let (_, h, _) = tus(&app, Method::HEAD, &location, &t, &[tus_v()], Vec::new()).await;
    assert_eq!(h["upload-offset"], "1000");
    let (status, h, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(1000),
        data[1000..].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["x-gawah-sha256"], sha_hex(&data).as_str());
    // Complete and acknowledged, but stopped before the item was recorded: the next HEAD
    // (which a resuming client sends, and after which it sends nothing) records it.
    let (location, id) = create().await;
    // What the server would have written: the bytes encrypted at their offsets under the
    // upload's own key (no plaintext reaches the disk).
    let key = app.state.ledger.vault().unwrap().key(&id).unwrap();
    let mut encrypted = data.clone();
    gawah_core::seal::partial::PartialCipher::new(&key, &id).apply_at(0, &mut encrypted);
    assert_ne!(encrypted, data);
    std::fs::write(dir.join(format!("{id}.part")), &encrypted).unwrap();
    assert!(store.upload_advance(&id, 0, data.len() as u64).unwrap());
    let before = app.log_size();
    let (status, h, _) = tus(&app, Method::HEAD, &location, &t, &[tus_v()], Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["upload-offset"], data.len().to_string().as_str());
    assert_eq!(h["x-gawah-sha256"], sha_hex(&data).as_str());
    assert_eq!(app.log_size(), before + 1);
    assert!(!dir.join(format!("{id}.part")).exists());
    // Partial data lost with the offset past zero: 410, start again.
    let (location, id) = create().await;
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(0),
        data[..10].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    std::fs::remove_file(dir.join(format!("{id}.part"))).unwrap();
    let (status, _, _) = tus(
        &app,
        Method::PATCH,
        &location,
        &t,
        &chunk_headers(10),
        data[10..].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    verify(&app);
}
