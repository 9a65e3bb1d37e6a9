//! Hostile inputs: SQL injection in every filter, search parameter, id and form field (no
//! server error, nothing of another organisation, data kept verbatim), and path traversal in
//! every path-like input (tiles, assets, item and upload ids, chart names, languages): a
//! client error, never a byte of a file outside.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use serde_json::{Value, json};

use crate::harness::{App, enc};
use crate::support::{form, get, post};

const SQLI: [&str; 12] = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "1; DROP TABLE incidents; --",
    "') UNION SELECT id, org_id, title FROM incidents --",
    "%' OR '%'='",
    "\\' OR 1=1 #",
    "1 OR 1=1",
    "inc_x' OR org_id != '",
    "'||(SELECT username FROM members LIMIT 1)||'",
    "*",
    "%",
];

/// What the other organisation holds; no answer to org 0 may contain it.
const THEIRS: &str = "OTHER-ORGANISATION-TITLE-5521";

#[tokio::test]
async fn sql_injection_finds_nothing_of_another_organisation() {
    let app = App::new();
    let theirs = app.incident(1, THEIRS).await;
    let (their_submission, _) = app.submission(1, "OTHER-ORGANISATION-REPORT");
    let mine = app.incident(0, "mine").await;
    let doc = app.member(0, Role::Documenter);
    let legal = app.member(0, Role::Legal);
    let admin = app.member(0, Role::Admin);
    let leaks = |body: &str| {
        body.contains(THEIRS) || body.contains(&theirs) || body.contains(&their_submission)
    };
    for p in SQLI {
        let e = enc(p);
        let q = format!(
            "q={e}&province={e}&type={e}&status={e}&perpetrator={e}&edict={e}&language={e}&reliability={e}&from={e}&to={e}&sort={e}&offset={e}&limit={e}"
        );
        for (token, path) in [
            (&doc.token, format!("/api/v1/incidents?province={e}")),
            (
                &doc.token,
                format!("/api/v1/incidents?province={e}&offset={e}&limit={e}"),
            ),
            (&doc.token, format!("/api/v1/incidents/{e}")),
            (&doc.token, format!("/api/v1/incidents/{e}/testimonies")),
            (&doc.token, format!("/api/v1/incidents/{e}/acts")),
            (&doc.token, format!("/api/v1/incidents/{e}/duplicates")),
            (&legal.token, format!("/api/v1/testimonies/{e}")),
            (&legal.token, format!("/api/v1/people/{e}")),
            (&legal.token, format!("/api/v1/submissions/{e}")),
            (&legal.token, format!("/api/v1/evidence/{e}/file")),
            (&doc.token, format!("/api/v1/uploads/{e}")),
            (&doc.token, format!("/api/v1/search?{q}")),
            (&doc.token, format!("/api/v1/search?q={e}")),
            (
                &admin.token,
                format!("/api/v1/access?record={e}&username={e}"),
            ),
            (&admin.token, format!("/api/v1/erasures?status={e}")),
        ] {
            let req = Request::builder()
                .uri(&path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let (status, _, body) = app.send(req).await;
            let body = String::from_utf8_lossy(&body);
            assert!(!status.is_server_error(), "{path}: {status} {body}");
            assert!(
                !leaks(&body),
                "{path} shows the other organisation's data: {body}"
            );
        }
        for (m, path) in [
            (doc, format!("/incidents?offset={e}")),
            (doc, format!("/search?{q}")),
            (doc, format!("/search?q={e}")),
            (doc, format!("/incidents/{e}")),
            (doc, format!("/incidents/{e}/edit")),
            (legal, format!("/testimonies/{e}")),
            (legal, format!("/evidence/{e}/file")),
            (admin, format!("/admin/access?record={e}&username={e}")),
            (doc, format!("/edicts?domain={e}")),
        ] {
            let (status, _, body) = get(&app, Some(m), &path).await;
            assert!(!status.is_server_error(), "{path}: {status}");
            assert!(!leaks(&body), "{path} shows the other organisation's data");
        }
        for (m, path, fields) in [
            (doc, format!("/intake/{e}/open"), vec![]),
            (
                doc,
                format!("/intake/{their_submission}/status"),
                vec![("status", p)],
            ),
            (
                doc,
                format!("/intake/{e}/status"),
                vec![("status", "closed")],
            ),
            (doc, format!("/incidents/{mine}/links"), vec![("other", p)]),
            (
                doc,
                format!("/incidents/{e}/testimonies"),
                vec![("statement", p), ("language", "en")],
            ),
            (
                admin,
                "/admin/vocabularies".into(),
                vec![("vocab", p), ("key", p), ("en", p)],
            ),
        ] {
            let before = app.log_size();
            let (status, _, body) = post(&app, m, &path, &fields).await;
            assert!(!status.is_server_error(), "POST {path}: {status}");
            assert!(
                !leaks(&body),
                "POST {path} shows the other organisation's data"
            );
            assert_eq!(
                app.log_size(),
                before,
                "POST {path} with {p:?} changed something"
            );
        }
        for (path, fields) in [
            ("/login", vec![("username", p), ("password", p)]),
            ("/submit/status", vec![("code", p)]),
            ("/submit", vec![("org", p), ("text", p)]),
        ] {
            let token = "sqli-form-token-0123456789abcdefghijklmn";
            let mut all = vec![("csrf", token)];
            all.extend(fields);
            let req = Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(
                    header::COOKIE,
                    format!("gawah_login_csrf={token}; gawah_submit_csrf={token}"),
                )
                .body(Body::from(form(&all)))
                .unwrap();
            let (status, h, body) = app.send(req).await;
            assert!(!status.is_server_error(), "{path}: {status}");
            assert!(
                h.get(header::SET_COOKIE)
                    .is_none_or(|c| !c.to_str().unwrap().starts_with("gawah_session"))
            );
            assert!(!leaks(&String::from_utf8_lossy(&body)));
        }
        // As data, the payload is kept exactly as typed.
        let record = json!({"ref": p, "title": p, "description": p, "date": "2022-03-23",
            "province": "AF-KAB", "violation_types": ["education"], "perpetrators": [p],
            "exact_location": p});
        let (status, v) = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&doc.token),
                Some(record),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let path = format!("/api/v1/incidents/{}", v["id"].as_str().unwrap());
        let (_, v) = app.api(Method::GET, &path, Some(&legal.token), None).await;
        for field in ["ref", "title", "description", "exact_location"] {
            assert_eq!(v[field], p, "{field}");
        }
        assert_eq!(v["perpetrators"], json!([p]));
    }
    // Both organisations still see exactly their own incidents; the tables are all there.
    let count = |v: &Value| v["total"].as_u64().unwrap();
    let (_, mine_list) = app
        .api(Method::GET, "/api/v1/incidents", Some(&doc.token), None)
        .await;
    assert_eq!(count(&mine_list), 1 + SQLI.len() as u64);
    let theirs_token = &app.member(1, Role::Documenter).token;
    let (_, their_list) = app
        .api(Method::GET, "/api/v1/incidents", Some(theirs_token), None)
        .await;
    assert_eq!(count(&their_list), 1);
    let (_, found) = app
        .api(Method::GET, "/api/v1/search?q=DROP", Some(&doc.token), None)
        .await;
    assert_eq!(found["total"], 1, "{found}");
}

/// Path-like segments that try to leave their folder, URL-encoded as a client would send them.
fn traversals(outside: &std::path::Path) -> Vec<String> {
    let abs = enc(&outside.display().to_string());
    vec![
        "..".into(),
        "../..".into(),
        "..%2f..%2fsentinel.txt".into(),
        "..%2F..%2F..%2Fsentinel.txt".into(),
        "%2e%2e%2f%2e%2e%2fsentinel.txt".into(),
        "%2e%2e/%2e%2e/sentinel.txt".into(),
        "..%5c..%5csentinel.txt".into(),
        "..%5C..%5C..%5Csentinel.txt".into(),
        "%2fetc%2fpasswd".into(),
        abs,
        "sentinel.txt%00.png".into(),
        "%00".into(),
        "..%00%2f..%00%2fsentinel.txt".into(),
        "%c0%ae%c0%ae%2f%c0%ae%c0%ae%2fsentinel.txt".into(),
        "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afsentinel.txt".into(),
        "%e0%80%ae%e0%80%ae%2fsentinel.txt".into(),
        "....%2f%2f....%2f%2fsentinel.txt".into(),
        "..%252f..%252fsentinel.txt".into(),
        "%252e%252e%252fsentinel.txt".into(),
        "item_..%2f..%2fsentinel.txt".into(),
    ]
}

const SENTINEL: &str = "SENTINEL-OUTSIDE-THE-DATA-DIR-41c7";

/// Nothing of a file outside: the sentinel, a password file, the database, the sources.
fn outside_bytes(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.contains(SENTINEL)
        || text.contains("root:x:0:0")
        || text.contains("SQLite format 3")
        || text.contains("[package]")
        || text.contains("use axum")
}

#[tokio::test]
async fn path_traversal_never_reaches_a_file_outside() {
    let app = App::new();
    let home = app.data_dir().parent().unwrap().to_owned();
    let sentinel = home.join("sentinel.txt");
    std::fs::write(&sentinel, SENTINEL).unwrap();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let incident = app.incident(0, "traversal").await;
    let doc = app.member(0, Role::Documenter);
    let legal = app.member(0, Role::Legal);
    app.state.ledger.checkpoint().unwrap();
    for t in traversals(&sentinel) {
        let mut requests: Vec<(Method, String, Option<&str>)> = Vec::new();
        for path in [
            format!("/log/tile/{t}"),
            format!("/log/tile/0/{t}"),
            format!("/log/tile/entries/{t}"),
            format!("/log/tile/0/000.p/{t}"),
            format!("/assets/{t}"),
            format!("/assets/fonts/{t}"),
            format!("/assets/{t}/app.css"),
            format!("/evidence/{t}/file"),
            format!("/evidence/{t}/redact"),
            format!("/analysis/{t}"),
            format!("/analysis/{t}.csv"),
            format!("/analysis/{t}%2fmonthly.svg"),
            format!("/incidents/{t}"),
            format!("/testimonies/{t}"),
            format!("/figures.csv/{t}"),
        ] {
            requests.push((Method::GET, path, Some(&legal.session)));
        }
        for (method, path) in [
            (Method::GET, format!("/api/v1/evidence/{t}/file")),
            (Method::GET, format!("/api/v1/uploads/{t}")),
            (Method::HEAD, format!("/api/v1/uploads/{t}")),
            (Method::PATCH, format!("/api/v1/uploads/{t}")),
            (Method::DELETE, format!("/api/v1/uploads/{t}")),
            (Method::GET, format!("/api/v1/incidents/{t}")),
            (Method::POST, format!("/api/v1/vocabularies/{t}")),
            (Method::POST, format!("/api/v1/evidence/{t}/redactions")),
        ] {
            requests.push((method, path, None));
        }
        for (method, path, session) in requests {
            let mut b = Request::builder().method(method.clone()).uri(&path);
            b = match session {
                Some(s) => b.header(header::COOKIE, format!("gawah_session={s}")),
                None => b
                    .header(header::AUTHORIZATION, format!("Bearer {}", legal.token))
                    .header("tus-resumable", "1.0.0")
                    .header("upload-offset", "0")
                    .header(header::CONTENT_TYPE, "application/offset+octet-stream"),
            };
            let (status, _, body) = app.send(b.body(Body::from("AAAA")).unwrap()).await;
            assert!(
                status.is_client_error(),
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            assert!(
                !outside_bytes(&body),
                "{method} {path} served a file outside"
            );
        }
        // Languages are codes from a closed list: anything else is English, and not kept.
        for page in [format!("/?lang={t}"), format!("/edicts?lang={t}")] {
            let (status, h, body) = get(&app, Some(doc), &page).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(body.contains(r#"<html lang="en""#) && !outside_bytes(body.as_bytes()));
            assert!(h.get(header::SET_COOKIE).is_none(), "{page}");
        }
        let req = Request::builder()
            .uri("/")
            .header(header::COOKIE, format!("gawah_lang={t}"))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = app.send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&body).contains(r#"<html lang="en""#));
    }
    // Upload names with folders keep only their last part, and land in the blob store only.
    for name in [
        "../../sentinel.txt",
        "..\\..\\sentinel.txt",
        "/etc/passwd",
        "a/../../b.html",
    ] {
        let item = crate::support::upload(&app, doc, &incident, name, b"overwrite?").await;
        let (status, h, body) = get(&app, Some(legal), &format!("/evidence/{item}/file")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "overwrite?");
        let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap();
        let file_name = disposition.rsplit("''").next().unwrap();
        assert!(
            !file_name.contains('/') && !file_name.contains("%2F") && !file_name.contains("%5C"),
            "{name}: {disposition}"
        );
    }
    let metadata = format!(
        "filename {},incident {}",
        base64_of("../../sentinel.txt"),
        base64_of(&incident)
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {}", doc.token))
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "4")
        .header("upload-metadata", metadata)
        .body(Body::empty())
        .unwrap();
    let (status, h, _) = app.send(req).await;
    assert_eq!(status, StatusCode::CREATED);
    let upload = h[header::LOCATION].to_str().unwrap().to_owned();
    let req = Request::builder()
        .method(Method::PATCH)
        .uri(&upload)
        .header(header::AUTHORIZATION, format!("Bearer {}", doc.token))
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header(header::CONTENT_TYPE, "application/offset+octet-stream")
        .body(Body::from("tus!"))
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::NO_CONTENT);
    assert_eq!(std::fs::read_to_string(&sentinel).unwrap(), SENTINEL);
    assert_eq!(
        listing(),
        before,
        "a file appeared or went beside the data dir"
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
