//! Search, duplicate links and public figures over HTTP: each organisation finds only its own
//! incidents, the index follows each commit, links are logged and checked, and the public
//! figures count only what consent allows, with small cells suppressed.

use axum::http::{Method, StatusCode};
use gawah_core::vocab::Role;
use serde_json::{Value, json};

use crate::harness::{App, enc};

async fn create(app: &App, org: usize, body: Value) -> String {
    create_as(app, org, Role::Documenter, body).await
}

async fn create_as(app: &App, org: usize, role: Role, body: Value) -> String {
    let token = app.member(org, role).token.clone();
    let (status, v) = app
        .api(Method::POST, "/api/v1/incidents", Some(&token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

fn incident(title: &str, date: &str, province: &str) -> Value {
    json!({"title": title, "date": date, "province": province, "violation_types": ["education"]})
}

async fn search(app: &App, role: Role, query: &str) -> (StatusCode, Value) {
    let token = app.member(0, role).token.clone();
    app.api(
        Method::GET,
        &format!("/api/v1/search?{query}"),
        Some(&token),
        None,
    )
    .await
}

#[tokio::test]
async fn search_sees_each_commit_and_only_its_own_organisation() {
    let app = App::new();
    let ours = create(
        &app,
        0,
        incident("مکتب دخترانه بسته شد", "2022-03-23", "AF-KAB"),
    )
    .await;
    create(
        &app,
        1,
        incident("مکتب دخترانه بسته شد", "2022-03-23", "AF-KAB"),
    )
    .await;
    // Found at once, written with Arabic letters, by any member of the organisation.
    for role in [Role::Viewer, Role::Analyst] {
        let (status, v) = search(&app, role, &format!("q={}", enc("مكتب"))).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["id"], ours.as_str());
    }
    let second = create(
        &app,
        0,
        incident("Girls' school closed", "2022-09-01", "AF-HER"),
    )
    .await;
    let (_, v) = search(&app, Role::Viewer, "q=schools").await;
    assert_eq!(
        v["items"][0]["id"],
        second.as_str(),
        "the index follows commits"
    );
    let (_, all) = search(&app, Role::Viewer, "").await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["facets"]["province"], json!({"AF-HER": 1, "AF-KAB": 1}));
    let (_, kab) = search(
        &app,
        Role::Viewer,
        "province=AF-KAB&province=AF-HER&sort=newest",
    )
    .await;
    assert_eq!(kab["items"][0]["id"], second.as_str());
    // Errors are clear; no token, no answer.
    let (status, v) = search(&app, Role::Viewer, "sort=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("sort"));
    let (status, _) = app.api(Method::GET, "/api/v1/search?q=x", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The page works without JavaScript: results and facet links.
    let m = app.member(0, Role::Viewer);
    let (status, _, html) = app
        .page(
            Method::GET,
            &format!("/search?q={}", enc("مکتب")),
            Some(&m.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/incidents/{ours}")), "{html}");
    assert!(html.contains("province=AF-KAB"), "facet link");
    let (_, _, bad) = app
        .page(Method::GET, "/search?from=someday", Some(&m.session), None)
        .await;
    assert!(
        bad.contains("role=\"alert\""),
        "a bad date is said on the page"
    );
}

#[tokio::test]
async fn duplicates_are_suggested_and_linked_by_analysts_only() {
    let app = App::new();
    let a = create(
        &app,
        0,
        incident(
            "Girls' secondary school in Herat closed",
            "2022-03-23",
            "AF-HER",
        ),
    )
    .await;
    let b = create(
        &app,
        0,
        incident(
            "Girls secondary school closed in Herat city",
            "2022-03-25",
            "AF-HER",
        ),
    )
    .await;
    let far = create(
        &app,
        0,
        incident("Market closed to women", "2024-01-10", "AF-BAL"),
    )
    .await;
    let other_org = create(
        &app,
        1,
        incident(
            "Girls' secondary school in Herat closed",
            "2022-03-23",
            "AF-HER",
        ),
    )
    .await;
    let analyst = app.member(0, Role::Analyst).token.clone();
    let (status, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{a}/duplicates"),
            Some(&analyst),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.first(), Some(&b.as_str()), "{v}");
    assert!(
        !ids.contains(&far.as_str()) && !ids.contains(&other_org.as_str()),
        "{v}"
    );
    let reasons = &v["suggestions"][0]["reasons"];
    assert_eq!(
        reasons,
        &json!(["close_date", "same_province", "similar_text"])
    );

    // A documenter may not link; an analyst may, once; the link is logged.
    let documenter = app.member(0, Role::Documenter).token.clone();
    let path = format!("/api/v1/incidents/{a}/links");
    let (status, _) = app
        .api(
            Method::POST,
            &path,
            Some(&documenter),
            Some(json!({"other": b})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let before = app.log_size();
    let (status, v) = app
        .api(
            Method::POST,
            &path,
            Some(&analyst),
            Some(json!({"other": b})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(app.log_size(), before + 1);
    let (status, _) = app
        .api(
            Method::POST,
            &path,
            Some(&analyst),
            Some(json!({"other": b})),
        )
        .await;
    assert!(status.is_client_error(), "linked twice: {status}");
    let (status, _) = app
        .api(
            Method::POST,
            &path,
            Some(&analyst),
            Some(json!({"other": other_org})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another organisation's incident"
    );
    let (status, _) = app
        .api(
            Method::POST,
            &path,
            Some(&analyst),
            Some(json!({"other": a})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.log_size(), before + 1, "refused links are not logged");
    // Both sides show the link; it is no longer suggested; both reports are still there.
    for (x, y) in [(&a, &b), (&b, &a)] {
        let (_, v) = app
            .api(
                Method::GET,
                &format!("/api/v1/incidents/{x}/duplicates"),
                Some(&analyst),
                None,
            )
            .await;
        assert_eq!(v["links"][0]["id"], y.as_str(), "{v}");
        assert!(
            v["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["id"] != y.as_str())
        );
    }
    // The page offers the link form to analysts.
    let m = app.member(0, Role::Analyst);
    let (status, _, html) = app
        .page(
            Method::GET,
            &format!("/incidents/{far}/duplicates"),
            Some(&m.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, _, _) = app
        .page(
            Method::POST,
            &format!("/incidents/{far}/links"),
            Some(&m.session),
            Some(&format!("csrf={}&other={a}", enc(&m.csrf))),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = app
        .page(
            Method::POST,
            &format!("/incidents/{far}/links"),
            Some(&m.session),
            Some(&format!("csrf=forged&other={b}")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "CSRF");
}

async fn testimony(app: &App, incident: &str, consent: &[&str]) -> String {
    let token = app.member(0, Role::Documenter).token.clone();
    let (status, v) = app
        .api(
            Method::POST,
            &format!("/api/v1/incidents/{incident}/testimonies"),
            Some(&token),
            Some(json!({"statement": "s", "language": "en", "consent": consent})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// The CSV's cell for a dimension and key.
fn cell<'a>(csv: &'a str, dim: &str, key: &str) -> &'a str {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c[0] == dim && c[1..4].contains(&key))
        .map(|c| *c.last().unwrap())
        .unwrap_or_else(|| panic!("no row {dim} {key} in {csv}"))
}

#[tokio::test]
async fn public_figures_obey_consent_and_suppress_small_cells() {
    let app = App::new();
    // Kabul: 6 incidents without testimonies (open sources) — counted.
    for i in 0..6 {
        create(&app, 0, incident(&format!("k{i}"), "2023-01-05", "AF-KAB")).await;
    }
    // Balkh: 5 incidents whose witnesses consented to anonymised publication — counted.
    let mut balkh = Vec::new();
    for i in 0..5 {
        let id = create(&app, 0, incident(&format!("b{i}"), "2023-02-05", "AF-BAL")).await;
        balkh.push(testimony(&app, &id, &["internal", "anonymised_publication"]).await);
    }
    // Herat: 7 incidents, each with one witness who did not consent — none counted.
    for i in 0..7 {
        let id = create(&app, 1, incident(&format!("h{i}"), "2023-02-05", "AF-HER")).await;
        let token = app.member(1, Role::Documenter).token.clone();
        let (status, _) = app
            .api(
                Method::POST,
                &format!("/api/v1/incidents/{id}/testimonies"),
                Some(&token),
                Some(json!({"statement": "s", "language": "en", "consent": ["internal", "legal"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // Kandahar: 5 disputed incidents — not counted. Bamyan: 2 — counted, but under 5.
    for i in 0..5 {
        let mut body = incident(&format!("d{i}"), "2023-02-05", "AF-KAN");
        body["verification_status"] = json!("disputed");
        create_as(&app, 0, Role::Analyst, body).await;
    }
    for i in 0..2 {
        create(&app, 1, incident(&format!("m{i}"), "2023-02", "AF-BAM")).await;
    }
    let (status, headers, csv) = app.page(Method::GET, "/figures.csv", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("dimension,month,province,domain,incidents")
    );
    assert!(
        lines.next().unwrap().starts_with("#meta+dimension,"),
        "HXL row"
    );
    assert_eq!(cell(&csv, "total", ""), "13");
    assert_eq!(cell(&csv, "province", "AF-KAB"), "6");
    assert_eq!(cell(&csv, "province", "AF-BAL"), "5");
    assert_eq!(
        cell(&csv, "province", "AF-HER"),
        "<5",
        "no consent, not counted"
    );
    assert_eq!(
        cell(&csv, "province", "AF-KAN"),
        "<5",
        "disputed, not counted"
    );
    assert_eq!(cell(&csv, "province", "AF-BAM"), "<5", "small cell");
    // Secondary suppression: no incident is dated to the year only, a lone suppressed cell
    // that the total would give away; so the smallest month is hidden with it.
    assert_eq!(cell(&csv, "month", "unknown"), "<5");
    assert_eq!(cell(&csv, "month", "2023-01"), "<5");
    assert_eq!(cell(&csv, "month", "2023-02"), "7");
    assert_eq!(cell(&csv, "domain", "education"), "13");
    assert!(
        csv.lines().all(|l| !l.contains("AF-KAB,education")),
        "never finer than one dimension"
    );
    // A witness withdraws and the testimony is erased: the incident leaves the figures.
    let a1 = app.member(0, Role::Admin).token.clone();
    let (status, req) = app
        .api(
            Method::POST,
            "/api/v1/erasures",
            Some(&a1),
            Some(json!({"record": balkh[0]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{req}");
    let approve = format!("/api/v1/erasures/{}/approve", req["id"].as_str().unwrap());
    let (status, _) = app
        .api(Method::POST, &approve, Some(&app.second_admin(0)), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, csv) = app.page(Method::GET, "/figures.csv", None, None).await;
    assert_eq!(
        cell(&csv, "province", "AF-BAL"),
        "<5",
        "4 left after the erasure"
    );
    assert_eq!(cell(&csv, "total", ""), "12");
    // The page, public, in Dari.
    let (status, _, html) = app.page(Method::GET, "/figures?lang=fa", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("dir=\"rtl\""));
    assert!(
        html.contains("&lt;5") || html.contains("&#60;5"),
        "suppressed cells shown as <5: {html}"
    );
}

#[tokio::test]
async fn analysis_charts_render_and_download_as_svg_png_and_csv() {
    let app = App::new();
    let mut first = incident("School closed", "2022-03-23", "AF-KAB");
    first["perpetrators"] = json!(["Ministry of Education"]);
    create(&app, 0, first).await;
    create(&app, 0, incident("Another closed", "2022-04-02", "AF-HER")).await;
    create(&app, 1, incident("Not ours", "2022-04-02", "AF-BAL")).await;
    let m = app.member(0, Role::Viewer);
    for lang in ["en", "fa"] {
        let (status, _, html) = app
            .page(
                Method::GET,
                &format!("/analysis?lang={lang}"),
                Some(&m.session),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(html.matches("<svg").count(), 4, "four inline charts");
        assert!(!html.contains("<script"), "no script in the page");
        assert!(
            !html.contains(" style=\""),
            "no inline style (CSP allows none)"
        );
    }
    for (file, mime) in [
        ("monthly.svg", "image/svg+xml"),
        ("provinces.png", "image/png"),
        ("perpetrators.csv", "text/csv; charset=utf-8"),
    ] {
        let (status, headers, body) = app
            .page(
                Method::GET,
                &format!("/analysis/{file}"),
                Some(&m.session),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert_eq!(headers["content-type"], mime);
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        if file.ends_with(".png") {
            assert!(body.as_bytes().starts_with(b"\x89PNG") || body.starts_with("\u{FFFD}PNG"));
        }
        if file.ends_with(".csv") {
            assert!(body.contains("Ministry of Education,1"), "{body}");
        }
    }
    let (_, _, csv) = app
        .page(
            Method::GET,
            "/analysis/provinces.csv",
            Some(&m.session),
            None,
        )
        .await;
    assert!(csv.contains("AF-KAB,") && csv.contains(",0\r\n"), "{csv}");
    assert!(
        !csv.contains("AF-BAL,Balkh,1"),
        "another organisation's incident counted: {csv}"
    );
    let (status, _, _) = app
        .page(Method::GET, "/analysis/secrets.svg", Some(&m.session), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .page(Method::GET, "/analysis/monthly.svg", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
