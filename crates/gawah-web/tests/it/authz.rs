//! The authorisation matrix: every route × every role × own and another organisation's data.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use serde_json::json;

use crate::harness::{App, enc, sample};

fn writes(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Documenter | Role::Analyst)
}

/// Who adds evidence (DESIGN.md: documenters do the intake of files; admins may too).
fn uploads(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Documenter)
}

#[tokio::test]
async fn api_routes_by_role_and_organisation() {
    let app = App::new();
    let own = app.incident(0, "own incident").await;
    let other = app.incident(1, "other incident").await;
    for role in Role::ALL {
        let t = app.member(0, role).token.clone();
        let t = Some(t.as_str());
        let (s, v) = app.api(Method::GET, "/api/v1/incidents", t, None).await;
        assert_eq!(s, StatusCode::OK, "{role}");
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["title"] != "other incident"),
            "{role} sees another org's list"
        );
        assert_eq!(
            app.api(Method::GET, &format!("/api/v1/incidents/{own}"), t, None)
                .await
                .0,
            StatusCode::OK,
            "{role}"
        );
        assert_eq!(
            app.api(Method::GET, &format!("/api/v1/incidents/{other}"), t, None)
                .await
                .0,
            StatusCode::NOT_FOUND,
            "{role}"
        );
        let create = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                t,
                Some(sample("by role")),
            )
            .await
            .0;
        assert_eq!(
            create,
            if writes(role) {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            },
            "{role} create"
        );
        let patch = app
            .api(
                Method::PATCH,
                &format!("/api/v1/incidents/{own}"),
                t,
                Some(json!({"title": "changed"})),
            )
            .await
            .0;
        assert_eq!(
            patch,
            if writes(role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            },
            "{role} patch own"
        );
        let patch_other = app
            .api(
                Method::PATCH,
                &format!("/api/v1/incidents/{other}"),
                t,
                Some(json!({"title": "x"})),
            )
            .await
            .0;
        assert_eq!(patch_other, StatusCode::NOT_FOUND, "{role} patch other");
        assert_eq!(
            app.api(Method::GET, "/api/v1/edicts", t, None).await.0,
            StatusCode::OK
        );
    }
    for (method, path) in [
        (Method::GET, "/api/v1/incidents".to_owned()),
        (Method::POST, "/api/v1/incidents".into()),
        (Method::GET, format!("/api/v1/incidents/{own}")),
        (Method::PATCH, format!("/api/v1/incidents/{own}")),
    ] {
        assert_eq!(
            app.api(method.clone(), &path, None, Some(sample("anon")))
                .await
                .0,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert_eq!(
            app.api(
                method.clone(),
                &path,
                Some("not-a-token"),
                Some(sample("anon"))
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    // A session cookie never authorises the API.
    let s = app.member(0, Role::Admin).session.clone();
    let (status, _, _) = app
        .page(Method::GET, "/api/v1/incidents", Some(&s), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.api(Method::GET, "/api/v1/edicts", None, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.api(Method::GET, "/api/openapi.json", None, None)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn pages_by_role_and_organisation() {
    let app = App::new();
    let own = app.incident(0, "own incident").await;
    let other = app.incident(1, "other incident").await;
    for role in Role::ALL {
        let m = app.member(0, role);
        let s = Some(m.session.as_str());
        let (status, _, body) = app.page(Method::GET, "/incidents", s, None).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert!(
            body.contains("own incident") && !body.contains("other incident"),
            "{role}"
        );
        assert_eq!(
            app.page(Method::GET, &format!("/incidents/{own}"), s, None)
                .await
                .0,
            StatusCode::OK,
            "{role}"
        );
        assert_eq!(
            app.page(Method::GET, &format!("/incidents/{other}"), s, None)
                .await
                .0,
            StatusCode::NOT_FOUND,
            "{role}"
        );
        assert_eq!(
            app.page(Method::GET, &format!("/incidents/{other}/edit"), s, None)
                .await
                .0,
            StatusCode::NOT_FOUND,
            "{role}"
        );
        let form = format!(
            "csrf={}&title=From+a+form&date=2023-01-05&province=AF-HER&violation_types=employment",
            enc(&m.csrf)
        );
        let (status, headers, _) = app
            .page(Method::POST, "/incidents/new", s, Some(&form))
            .await;
        if writes(role) {
            assert_eq!(status, StatusCode::SEE_OTHER, "{role}");
            assert!(
                headers["location"]
                    .to_str()
                    .unwrap()
                    .starts_with("/incidents/inc_")
            );
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        }
        let edit = format!(
            "csrf={}&version=1&title=Edited&date=2023-01-05&province=AF-HER",
            enc(&m.csrf)
        );
        let status = app
            .page(
                Method::POST,
                &format!("/incidents/{other}/edit"),
                s,
                Some(&edit),
            )
            .await
            .0;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{role} edits another org's incident: {status}"
        );
    }
    // Signed out: pages send you to sign in; posts are refused.
    let (status, headers, _) = app.page(Method::GET, "/incidents", None, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login");
    assert_eq!(
        app.page(Method::POST, "/incidents/new", None, Some("title=x"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    for path in [
        "/",
        "/edicts",
        "/declaration",
        "/login",
        "/log/key",
        "/log/checkpoint",
    ] {
        assert_eq!(
            app.page(Method::GET, path, None, None).await.0,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[tokio::test]
async fn every_form_needs_its_csrf_token() {
    let app = App::new();
    let own = app.incident(0, "own incident").await;
    let m = app.member(0, Role::Admin);
    let s = Some(m.session.as_str());
    for (path, form) in [
        (
            "/incidents/new".to_owned(),
            "title=x&date=2022&province=AF-KAB".to_owned(),
        ),
        (
            format!("/incidents/{own}/edit"),
            "version=1&title=x&date=2022&province=AF-KAB".into(),
        ),
        ("/declaration/endorse".into(), String::new()),
        ("/logout".into(), String::new()),
    ] {
        for bad in ["", "&csrf=wrong"] {
            let status = app
                .page(Method::POST, &path, s, Some(&format!("{form}{bad}")))
                .await
                .0;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{path} with {bad:?}: {status}"
            );
        }
    }
    let before = app.log_size();
    let status = app
        .page(
            Method::POST,
            "/declaration/endorse",
            s,
            Some(&format!("csrf={}", enc(&m.csrf))),
        )
        .await
        .0;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.log_size(), before + 1, "the endorsement is logged");
    let doc = app
        .page(
            Method::POST,
            "/declaration/endorse",
            Some(&app.member(0, Role::Viewer).session),
            Some(&format!("csrf={}", enc(&app.member(0, Role::Viewer).csrf))),
        )
        .await
        .0;
    assert_eq!(doc, StatusCode::FORBIDDEN, "only admins endorse");
}

const BOUNDARY: &str = "----gawah-authz-boundary";

/// A multipart body: text fields, then one small file.
fn multipart(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\nnot really a png\r\n--{BOUNDARY}--\r\n"
    ));
    body.into_bytes()
}

/// Who sends a request of the upload matrix.
#[derive(Clone, Copy)]
enum As<'a> {
    Nobody,
    /// A bearer token.
    Token(&'a str),
    /// A page session, with the form token (in the form, or in `X-Gawah-CSRF` for tus).
    Session(&'a str, &'a str),
    /// A page session alone.
    Cookie(&'a str),
}

async fn send(
    app: &App,
    method: Method,
    path: &str,
    who: As<'_>,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap) {
    let mut b = Request::builder().method(method).uri(path);
    match who {
        As::Nobody => {}
        As::Token(t) => b = b.header(header::AUTHORIZATION, format!("Bearer {t}")),
        As::Session(s, csrf) => {
            b = b
                .header(header::COOKIE, format!("gawah_session={s}"))
                .header("x-gawah-csrf", csrf);
        }
        As::Cookie(s) => b = b.header(header::COOKIE, format!("gawah_session={s}")),
    }
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    let (status, headers, _) = app.send(b.body(Body::from(body)).unwrap()).await;
    (status, headers)
}

fn tus_create_headers(incident: &str) -> Vec<(&'static str, String)> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        ("tus-resumable", "1.0.0".into()),
        ("upload-length", "4".into()),
        (
            "upload-metadata",
            format!("filename {},incident {}", b64("a.png"), b64(incident)),
        ),
    ]
}

fn tus_patch_headers() -> Vec<(&'static str, String)> {
    vec![
        ("tus-resumable", "1.0.0".into()),
        ("upload-offset", "0".into()),
        ("content-type", "application/offset+octet-stream".into()),
    ]
}

/// `expected` if the role uploads, else 403 (the role is checked before the incident).
fn by_role(role: Role, expected: StatusCode) -> StatusCode {
    if uploads(role) {
        expected
    } else {
        StatusCode::FORBIDDEN
    }
}

#[tokio::test]
async fn upload_routes_by_role_and_organisation() {
    let app = App::new();
    let own = app.incident(0, "own incident").await;
    let other = app.incident(1, "other incident").await;
    let multipart_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let form_header = [(header::CONTENT_TYPE.as_str(), multipart_type.clone())];
    // An unfinished tus upload of org 0's documenter, which only she may see or continue.
    let owner = app.member(0, Role::Documenter);
    let (status, h) = send(
        &app,
        Method::POST,
        "/api/v1/uploads",
        As::Token(&owner.token),
        &tus_create_headers(&own),
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let upload = h["location"].to_str().unwrap().to_owned();
    let tus_v = [("tus-resumable", "1.0.0".to_owned())];

    for (org, role) in [0, 1].into_iter().flat_map(|o| Role::ALL.map(|r| (o, r))) {
        let m = app.member(org, role);
        let (mine, theirs) = if org == 0 {
            (&own, &other)
        } else {
            (&other, &own)
        };
        let who = format!("org {org} {role}");
        // Multipart through the API.
        for (incident, expected) in [(mine, StatusCode::CREATED), (theirs, StatusCode::NOT_FOUND)] {
            let body = multipart(&[("incident", incident)]);
            let (status, _) = send(
                &app,
                Method::POST,
                "/api/v1/evidence",
                As::Token(&m.token),
                &form_header,
                body,
            )
            .await;
            assert_eq!(
                status,
                by_role(role, expected),
                "{who}: POST /api/v1/evidence"
            );
        }
        // tus creation, with a token and with the page's session and form token.
        for auth in [As::Token(&m.token), As::Session(&m.session, &m.csrf)] {
            for (incident, expected) in
                [(mine, StatusCode::CREATED), (theirs, StatusCode::NOT_FOUND)]
            {
                let (status, _) = send(
                    &app,
                    Method::POST,
                    "/api/v1/uploads",
                    auth,
                    &tus_create_headers(incident),
                    Vec::new(),
                )
                .await;
                assert_eq!(
                    status,
                    by_role(role, expected),
                    "{who}: POST /api/v1/uploads"
                );
            }
        }
        // Someone else's upload: not found, whatever the role (PATCH checks the role first).
        if !(org == 0 && role == Role::Documenter) {
            for auth in [As::Token(&m.token), As::Session(&m.session, &m.csrf)] {
                let head = send(&app, Method::HEAD, &upload, auth, &tus_v, Vec::new())
                    .await
                    .0;
                assert_eq!(head, StatusCode::NOT_FOUND, "{who}: HEAD");
                let patch = send(
                    &app,
                    Method::PATCH,
                    &upload,
                    auth,
                    &tus_patch_headers(),
                    b"data".to_vec(),
                )
                .await
                .0;
                assert_eq!(patch, by_role(role, StatusCode::NOT_FOUND), "{who}: PATCH");
                let delete = send(&app, Method::DELETE, &upload, auth, &tus_v, Vec::new())
                    .await
                    .0;
                assert_eq!(delete, StatusCode::NOT_FOUND, "{who}: DELETE");
            }
            let get = send(
                &app,
                Method::GET,
                &upload,
                As::Token(&m.token),
                &[],
                Vec::new(),
            )
            .await
            .0;
            assert_eq!(get, StatusCode::NOT_FOUND, "{who}: GET");
        }
        // The incident page's form, and whether the page offers it.
        for (incident, expected) in [
            (mine, StatusCode::SEE_OTHER),
            (theirs, StatusCode::NOT_FOUND),
        ] {
            let body = multipart(&[("csrf", &m.csrf)]);
            let path = format!("/incidents/{incident}/evidence");
            let (status, _) = send(
                &app,
                Method::POST,
                &path,
                As::Cookie(&m.session),
                &form_header,
                body,
            )
            .await;
            assert_eq!(status, by_role(role, expected), "{who}: POST {path}");
        }
        let (_, _, page) = app
            .page(
                Method::GET,
                &format!("/incidents/{mine}"),
                Some(&m.session),
                None,
            )
            .await;
        assert_eq!(
            page.contains(r#"name="file""#),
            uploads(role),
            "{who}: the form is offered"
        );
        assert_eq!(
            page.contains("/assets/upload.js"),
            uploads(role),
            "{who}: the script"
        );
    }

    // The owner continues and finishes her upload, with the page session and form token too.
    let patch = send(
        &app,
        Method::PATCH,
        &upload,
        As::Session(&owner.session, &owner.csrf),
        &tus_patch_headers(),
        b"data".to_vec(),
    )
    .await;
    assert_eq!(patch.0, StatusCode::NO_CONTENT);
    assert_eq!(patch.1["upload-offset"], "4");
    assert!(patch.1.contains_key("x-gawah-item"));

    // Without credentials: 401 from the API, sign-in for pages (a post is refused).
    let d = app.member(0, Role::Documenter);
    let body = multipart(&[("incident", &own)]);
    let anon = [
        As::Nobody,
        As::Token("not-a-token"),
        As::Cookie(&d.session),
        As::Session("no-session", &d.csrf),
    ];
    for who in anon {
        let status = send(
            &app,
            Method::POST,
            "/api/v1/evidence",
            who,
            &form_header,
            body.clone(),
        )
        .await
        .0;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "POST /api/v1/evidence");
        let status = send(
            &app,
            Method::POST,
            "/api/v1/uploads",
            who,
            &tus_create_headers(&own),
            Vec::new(),
        )
        .await
        .0;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "POST /api/v1/uploads");
        for (method, headers, body) in [
            (Method::HEAD, tus_v.to_vec(), Vec::new()),
            (Method::PATCH, tus_patch_headers(), b"data".to_vec()),
            (Method::DELETE, tus_v.to_vec(), Vec::new()),
            (Method::GET, Vec::new(), Vec::new()),
        ] {
            let status = send(&app, method.clone(), &upload, who, &headers, body)
                .await
                .0;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {upload}");
        }
    }
    // A session with a wrong form token in the header: refused as a forged form.
    let status = send(
        &app,
        Method::POST,
        "/api/v1/uploads",
        As::Session(&d.session, "wrong"),
        &tus_create_headers(&own),
        Vec::new(),
    )
    .await
    .0;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Discovery is public (it says only what the server speaks).
    let status = send(
        &app,
        Method::OPTIONS,
        "/api/v1/uploads",
        As::Nobody,
        &[],
        Vec::new(),
    )
    .await
    .0;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let form_path = format!("/incidents/{own}/evidence");
    let status = send(
        &app,
        Method::POST,
        &form_path,
        As::Nobody,
        &form_header,
        multipart(&[("csrf", &d.csrf)]),
    )
    .await
    .0;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "POST {form_path}");
    let (status, headers, _) = app
        .page(Method::GET, &format!("/incidents/{own}"), None, None)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login");
    // A form without its token, or with another session's.
    let other_csrf = &app.member(0, Role::Admin).csrf;
    for fields in [vec![], vec![("csrf", other_csrf.as_str())]] {
        let status = send(
            &app,
            Method::POST,
            &form_path,
            As::Cookie(&d.session),
            &form_header,
            multipart(&fields),
        )
        .await
        .0;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
