//! Cross-site scripting: every payload of [`PAYLOADS`] in every text a user can enter (incident,
//! testimony, intake, vocabulary labels, organisation and member names, edicts, search and
//! other reflected parameters, echoed form errors), then every page that shows it is read:
//! the value must be there, as text only (see `html::problems`), under a policy that forbids
//! inline script.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use gawah_core::{OrgId, edict};
use gawah_store::RecordWrite;
use serde_json::json;
use tower::ServiceExt;

use crate::harness::{App, Member, enc};
use crate::support::{assert_escaped, assert_inert, assert_shows, form, get, location, post};

/// Payloads, each short enough for every field (vocabulary labels take 120 characters) and
/// each with the marker in any tag or attribute name it would make.
pub const PAYLOADS: [&str; 18] = [
    r#"<script>alert("xssgw0")</script>"#,
    "<img src=x xssgw1 onerror=alert(1)>",
    r#""><svg xssgw2 onload=alert(1)>"#,
    "' xssgw3 onmouseover='alert(1)",
    r#"" xssgw4 autofocus onfocus="alert(1)"#,
    "javascript:alert('xssgw5')",
    "</textarea><script xssgw6>alert(1)</script>",
    "</title><script xssgw7>alert(1)</script>",
    "{{7*7}} {% raw %} ${7*7} { $org } #{7*7} xssgw8",
    "\u{202E}xssgw9 gpj.exe\u{202C}",
    r#"<a href="javascript:alert(1)" xssgw10>x</a>"#,
    "--><xssgw11>",
    "&lt;b xssgw12&gt; &#60;i&#62;",
    "<style xssgw13>*{display:none}</style>",
    r#"<iframe xssgw14 srcdoc="<script>alert(1)</script>">"#,
    r#""'><math><mi xlink:href="javascript:alert(1)" xssgw15>"#,
    "\u{FF1C}script\u{FF1E}xssgw16\u{FF1C}/script\u{FF1E}",
    "<svg><animate xssgw17 onbegin=alert(1) attributeName=x dur=1s>",
];

const CHARTS: [&str; 4] = ["monthly", "provinces", "edicts", "perpetrators"];

/// A request from its own address (the intake's rate limits count per address).
async fn send_from(app: &App, n: usize, mut req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let ip = IpAddr::V4(Ipv4Addr::new(10, 9, (n / 250) as u8, (n % 250) as u8 + 1));
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = axum::body::to_bytes(resp.into_body(), 16 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

const SUBMIT_TOKEN: &str = "security-submit-token-0123456789abcdef";

/// An anonymous form post holding the intake's token cookie, from address `n`.
async fn anonymous_post(
    app: &App,
    n: usize,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut all = vec![("csrf", SUBMIT_TOKEN)];
    all.extend_from_slice(fields);
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("gawah_submit_csrf={SUBMIT_TOKEN}"))
        .body(Body::from(form(&all)))
        .unwrap();
    send_from(app, n, req).await
}

/// The receipt code on a receipt page.
fn receipt(page: &str) -> String {
    let at = page.find("id=\"receipt-code\"").expect("a receipt code");
    let rest = &page[at..];
    rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn incident_and_testimony_fields_are_only_ever_text() {
    let app = App::new();
    let doc = app.member(0, Role::Documenter);
    let legal = app.member(0, Role::Legal);
    for (n, p) in PAYLOADS.iter().enumerate() {
        let what = |page: &str| format!("payload {n} on {page}");
        let mut fields = vec![
            ("title", *p),
            ("ref", *p),
            ("description", *p),
            ("perpetrators", *p),
            ("exact_location", *p),
            ("date", *p),
            ("province", "AF-KAB"),
            ("violation_types", "education"),
        ];
        let (status, h, body) = post(&app, doc, "/incidents/new", &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", what("form"));
        assert_escaped(&h, &body, p, &what("the form with errors"));
        fields[5] = ("date", "2022-03-23");
        let (status, h, body) = post(&app, doc, "/incidents/new", &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {body}", what("create"));
        let path = location(&h);
        for page in [
            path.clone(),
            format!("{path}/edit"),
            format!("{path}/duplicates"),
        ] {
            let (status, h, body) = get(&app, Some(doc), &page).await;
            assert_eq!(status, StatusCode::OK, "{}", what(&page));
            assert_escaped(&h, &body, p, &what(&page));
        }
        let (_, h, body) = post(&app, legal, &format!("{path}/reveal"), &[]).await;
        assert_escaped(&h, &body, p, &what("the revealed incident"));

        let mut t = vec![
            ("statement", *p),
            ("witness_name", *p),
            ("witness_contact", *p),
            ("language", "en"),
            ("consent", "internal"),
            ("taken_on", *p),
        ];
        let (status, h, body) = post(&app, doc, &format!("{path}/testimonies"), &t).await;
        assert_eq!(status, StatusCode::OK, "{}", what("testimony form"));
        assert_escaped(&h, &body, p, &what("the testimony form with errors"));
        t.pop();
        let (status, h, _) = post(&app, doc, &format!("{path}/testimonies"), &t).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", what("testimony"));
        let testimony = location(&h);
        let (_, h, body) = get(&app, Some(legal), &testimony).await;
        assert_inert(&h, &body, &what("the testimony"));
        let (_, h, body) = post(&app, legal, &format!("{testimony}/reveal"), &[]).await;
        assert_escaped(&h, &body, p, &what("the revealed testimony"));
        let (_, h, body) = get(&app, Some(doc), &path).await;
        assert_inert(&h, &body, &what("the incident with its testimony"));
    }
    for page in [
        "/incidents",
        "/search?limit=100",
        "/search?sort=oldest&limit=100",
    ] {
        let (_, h, body) = get(&app, Some(doc), page).await;
        for p in PAYLOADS {
            assert_escaped(&h, &body, p, page);
        }
    }
    let (_, h, body) = get(&app, Some(doc), "/analysis").await;
    assert_inert(&h, &body, "/analysis");
    for chart in CHARTS {
        let (status, h, svg) = get(&app, Some(doc), &format!("/analysis/{chart}.svg")).await;
        assert_eq!(status, StatusCode::OK);
        assert_inert(&h, &svg, chart);
    }
    let (_, v) = app
        .api(Method::GET, "/api/v1/incidents", Some(&doc.token), None)
        .await;
    let titles: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    for p in PAYLOADS {
        assert!(titles.contains(&p), "stored verbatim: {p:?}");
    }
}

#[tokio::test]
async fn anonymous_submissions_are_only_ever_text() {
    let app = App::new();
    let doc = app.member(0, Role::Documenter);
    let org = app.orgs[0].to_string();
    for (n, p) in PAYLOADS.iter().enumerate() {
        let what = |page: &str| format!("payload {n} on {page}");
        let mut fields = vec![
            ("org", org.as_str()),
            ("text", *p),
            ("when", *p),
            ("contact", *p),
            ("consent", "internal"),
            ("province", *p),
        ];
        let (status, h, body) = anonymous_post(&app, n, "/submit", &fields).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            what("submit")
        );
        assert_escaped(&h, &body, p, &what("the intake form with errors"));
        fields.pop();
        let (status, h, body) = anonymous_post(&app, n, "/submit", &fields).await;
        assert_eq!(status, StatusCode::OK, "{}", what("submit"));
        assert_inert(&h, &body, &what("the receipt"));
        let code = receipt(&body);
        let (_, h, body) = anonymous_post(&app, n, "/submit/status", &[("code", p)]).await;
        assert_inert(&h, &body, &what("a wrong receipt code"));
        let add = [("code", code.as_str()), ("text", p), ("contact", p)];
        let (status, h, body) = anonymous_post(&app, n, "/submit/status/add", &add).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", what("add"));
        assert_inert(&h, &body, &what("the added part"));
    }
    let (_, v) = app
        .api(Method::GET, "/api/v1/submissions", Some(&doc.token), None)
        .await;
    let ids: Vec<String> = v["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), PAYLOADS.len());
    let (_, h, body) = get(&app, Some(doc), "/intake").await;
    assert_inert(&h, &body, "/intake");
    let mut shown = String::new();
    for id in ids {
        let (status, h, body) = post(&app, doc, &format!("/intake/{id}/open"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_inert(&h, &body, "an opened submission");
        shown.push_str(&body);
    }
    for p in PAYLOADS {
        assert_shows(&shown, p, "the opened submissions");
    }
}

/// An organisation named `name`, taking submissions, with an admin of the same name.
fn org_named(app: &App, name: &str) -> (OrgId, Member) {
    let org = OrgId::random().unwrap();
    app.commit_record(
        RecordWrite::Org {
            id: org.clone(),
            name: name.to_owned(),
        },
        org.as_str(),
    );
    let key = app
        .state
        .ledger
        .keys()
        .unwrap()
        .new_org_key(org.as_str(), 1)
        .unwrap();
    app.commit_record(RecordWrite::OrgKey(key), org.as_str());
    gawah_web::intake::create_intake_key(&app.state.ledger, &org, "cli").unwrap();
    let admin = app.extra_member(&org, Role::Admin, name);
    (org, admin)
}

/// An edict whose every text is `p`, with a `javascript:` source, dated last so it leads the
/// home page.
fn edict_named(app: &App, p: &str) {
    let t = edict::Translated {
        en: p.to_owned(),
        fa: p.to_owned(),
        ps: p.to_owned(),
    };
    let e = edict::Edict {
        id: "E900".into(),
        date: "2099-01-01".into(),
        domain: "education".into(),
        title: t.clone(),
        summary: t.clone(),
        issuing_body: t.clone(),
        scope: t,
        sources: vec![edict::Source {
            title: p.to_owned(),
            url: "javascript:alert('xssgw-source')".into(),
        }],
    };
    app.commit_record(RecordWrite::Edict(e), "edict:e900");
}

#[tokio::test]
async fn vocabulary_labels_names_and_edicts_are_only_ever_text() {
    for (n, p) in PAYLOADS.iter().enumerate() {
        let what = |page: &str| format!("payload {n} on {page}");
        let app = App::new();
        let admin = app.member(0, Role::Admin);
        let doc = app.member(0, Role::Documenter);
        let labels = [("en", *p), ("fa", *p), ("ps", *p)];
        let mut term = vec![("vocab", "institution"), ("version", "0"), ("active", "on")];
        term.push(("key", "BAD KEY"));
        term.extend(labels);
        let (status, h, body) = post(&app, admin, "/admin/vocabularies", &term).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            what("vocab")
        );
        assert_escaped(&h, &body, p, &what("the vocabulary form with errors"));
        term[3] = ("key", "xssgw_inst");
        let (status, _, body) = post(&app, admin, "/admin/vocabularies", &term).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {body}", what("vocab"));
        let mut fixed = vec![("vocab", "violation_type"), ("version", "0")];
        fixed.push(("key", "education"));
        fixed.extend(labels);
        let (status, _, _) = post(&app, admin, "/admin/vocabularies", &fixed).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", what("label override"));
        let incident = json!({"title": "labelled", "date": "2022-03-23", "province": "AF-KAB",
            "violation_types": ["education"], "perpetrators": ["xssgw_inst"]});
        let (status, v) = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&doc.token),
                Some(incident),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        edict_named(&app, p);
        for (m, page) in [
            (admin, "/admin/vocabularies".to_owned()),
            (doc, "/incidents/new".to_owned()),
            (doc, format!("/incidents/{id}")),
            (doc, format!("/incidents/{id}?lang=fa")),
            (doc, "/search?lang=ps".to_owned()),
            (doc, "/edicts".to_owned()),
            (doc, "/".to_owned()),
        ] {
            let (status, h, body) = get(&app, Some(m), &page).await;
            assert_eq!(status, StatusCode::OK, "{}", what(&page));
            assert_escaped(&h, &body, p, &what(&page));
        }
        for page in ["/analysis", "/figures", "/declaration"] {
            let (_, h, body) = get(&app, Some(doc), page).await;
            assert_inert(&h, &body, &what(page));
        }
        for chart in CHARTS {
            let (_, h, svg) = get(&app, Some(doc), &format!("/analysis/{chart}.svg")).await;
            assert_inert(&h, &svg, &what(chart));
        }

        // An organisation and its admin named with the payload.
        let (org, named) = org_named(&app, p);
        let (_, h, body) = get(&app, None, &format!("/submit?org={org}")).await;
        assert_escaped(&h, &body, p, &what("/submit"));
        let fields = [
            ("org", org.as_str()),
            ("text", "hello"),
            ("consent", "internal"),
        ];
        let (status, h, body) = anonymous_post(&app, n, "/submit", &fields).await;
        assert_eq!(status, StatusCode::OK);
        assert_escaped(&h, &body, p, &what("the receipt"));
        let (status, _, _) = post(&app, &named, "/declaration/endorse", &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", what("endorse"));
        let (_, h, body) = get(&app, None, "/declaration").await;
        assert_escaped(&h, &body, p, &what("/declaration"));
        let (_, h, body) = get(&app, Some(&named), "/incidents").await;
        assert_escaped(&h, &body, p, &what("the navigation"));
        let (status, v) = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&named.token),
                Some(crate::harness::sample("by a named admin")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let page = format!("/incidents/{}", v["id"].as_str().unwrap());
        let (_, h, body) = get(&app, Some(&named), &page).await;
        assert_escaped(&h, &body, p, &what("the history"));
    }
}

#[tokio::test]
async fn reflected_parameters_are_only_ever_text() {
    let app = App::new();
    let doc = app.member(0, Role::Documenter);
    let admin = app.member(0, Role::Admin);
    for (n, p) in PAYLOADS.iter().enumerate() {
        let what = |page: &str| format!("payload {n} on {page}");
        let e = enc(p);
        // Language choice by query, cookie and header: unknown values fall back to English.
        for page in [
            format!("/?lang={e}"),
            format!("/edicts?lang={e}&domain={e}"),
        ] {
            let (status, h, body) = get(&app, None, &page).await;
            assert_eq!(status, StatusCode::OK, "{}", what(&page));
            assert_inert(&h, &body, &what(&page));
            assert!(
                body.contains(r#"<html lang="en" dir="ltr">"#),
                "{}",
                what(&page)
            );
            let cookies: Vec<_> = h.get_all(header::SET_COOKIE).iter().collect();
            assert!(
                cookies.is_empty(),
                "{}: {cookies:?}",
                what("the language cookie")
            );
        }
        for (name, value) in [
            (header::COOKIE, format!("gawah_lang={p}")),
            (header::ACCEPT_LANGUAGE, (*p).to_owned()),
        ] {
            let req = Request::builder()
                .uri("/login")
                .header(
                    name.clone(),
                    HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                )
                .body(Body::empty())
                .unwrap();
            let (_, h, body) = send_from(&app, n, req).await;
            assert_inert(&h, &body, &what(name.as_str()));
        }
        // Ids and names in paths come back as "not found", never as markup.
        for page in [
            format!("/incidents/{e}"),
            format!("/incidents/{e}/duplicates"),
            format!("/incidents/{e}/testimonies/new"),
            format!("/testimonies/{e}"),
            format!("/evidence/{e}/redact"),
            format!("/evidence/{e}/file"),
            format!("/analysis/{e}"),
        ] {
            let (status, h, body) = get(&app, Some(doc), &page).await;
            assert!(
                status.is_client_error() || status == StatusCode::OK,
                "{}",
                what(&page)
            );
            assert_inert(&h, &body, &what(&page));
        }
        // Echoed into forms: search, the access report, the login form.
        let search = format!("/search?q={e}&from={e}&to={e}&sort={e}&province={e}&type={e}");
        let (_, h, body) = get(&app, Some(doc), &search).await;
        assert_escaped(&h, &body, p, &what("/search"));
        let access = format!("/admin/access?record={e}&username={e}");
        let (_, h, body) = get(&app, Some(admin), &access).await;
        assert_escaped(&h, &body, p, &what("/admin/access"));
        let (_, h, body) = get(&app, None, "/login").await;
        let token = crate::session::cookie_value(&h, "gawah_login_csrf").unwrap();
        assert_inert(&h, &body, &what("/login"));
        let req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("gawah_login_csrf={token}"))
            .body(Body::from(form(&[
                ("csrf", &token),
                ("username", p),
                ("password", "not the password"),
            ])))
            .unwrap();
        let (status, h, body) = send_from(&app, n, req).await;
        assert_eq!(status, StatusCode::OK, "{}", what("login"));
        assert_escaped(&h, &body, p, &what("the login form with errors"));
        // The API answers JSON, never HTML, even when it echoes.
        let bad = format!("{{\"title\": \"{}\"", p.replace('"', "'"));
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/incidents")
            .header(header::AUTHORIZATION, format!("Bearer {}", doc.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(bad))
            .unwrap();
        let (status, h, _) = send_from(&app, n, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", what("the API"));
        assert_eq!(h[header::CONTENT_TYPE], "application/json");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
}
