//! Pages as a browser without JavaScript sees them: languages, headers, forms that keep input.

use axum::http::{Method, StatusCode, header};
use gawah_core::vocab::Role;

use crate::harness::{App, enc};

#[tokio::test]
async fn language_choice_direction_and_memory() {
    let app = App::new();
    let (_, headers, body) = app.page(Method::GET, "/edicts?lang=fa", None, None).await;
    assert!(
        body.contains(r#"<html lang="fa" dir="rtl">"#),
        "{}",
        &body[..200]
    );
    let set = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(";");
    assert!(set.contains("gawah_lang=fa"));
    let req = axum::http::Request::builder()
        .uri("/")
        .header(header::COOKIE, "gawah_lang=ps")
        .body(axum::body::Body::empty())
        .unwrap();
    let (_, _, b) = app.send(req).await;
    assert!(String::from_utf8_lossy(&b).contains(r#"<html lang="ps" dir="rtl">"#));
    let req = axum::http::Request::builder()
        .uri("/")
        .header(header::ACCEPT_LANGUAGE, "de, fa-AF;q=0.8, en;q=0.5")
        .body(axum::body::Body::empty())
        .unwrap();
    let (_, _, b) = app.send(req).await;
    assert!(String::from_utf8_lossy(&b).contains(r#"<html lang="fa" dir="rtl">"#));
    let (_, _, body) = app.page(Method::GET, "/", None, None).await;
    assert!(body.contains(r#"<html lang="en" dir="ltr">"#));
}

#[tokio::test]
async fn security_headers_and_no_outside_assets() {
    let app = App::new();
    for path in [
        "/",
        "/edicts",
        "/declaration",
        "/login",
        "/api/v1/edicts",
        "/log/checkpoint",
        "/nonexistent",
    ] {
        let (_, headers, body) = app.page(Method::GET, path, None, None).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        for bad in [
            "<script",
            "src=\"http",
            "href=\"http://",
            "style=\"",
            "@import",
        ] {
            assert!(
                !body.contains(bad) || (bad.starts_with("href") && path == "/edicts"),
                "{path} has {bad}"
            );
        }
    }
    let (status, headers, _) = app
        .page(
            Method::GET,
            "/assets/fonts/vazirmatn-variable.woff2",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "font/woff2");
}

#[tokio::test]
async fn a_form_with_errors_keeps_what_was_typed() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let title = "دختران دانشگاه — <b>test</b>";
    let form = format!(
        "csrf={}&title={}&date=2022-13-40&province=AF-ZZZ&description={}&violation_types=education&exact_location={}",
        enc(&m.csrf),
        enc(title),
        enc("شرح مفصل"),
        enc("near the gate")
    );
    let (status, _, body) = app
        .page(
            Method::POST,
            "/incidents/new",
            Some(&m.session),
            Some(&form),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("دختران دانشگاه — &#60;b&#62;test&#60;/b&#62;")
            || body.contains("دختران دانشگاه — &lt;b&gt;test&lt;/b&gt;"),
        "title kept and escaped: {}",
        &body[body.find("f-title").unwrap_or(0)..][..300]
    );
    assert!(
        body.contains("شرح مفصل") && body.contains("near the gate") && body.contains("2022-13-40")
    );
    assert!(body.contains(r#"value="education" checked"#));
    assert!(body.contains(r##"href="#f-date""##) && body.contains(r##"href="#f-province""##));
    assert!(body.contains("aria-invalid=\"true\""));
    assert_eq!(
        app.page(Method::GET, "/incidents", Some(&m.session), None)
            .await
            .2
            .matches("<tr>")
            .count(),
        1,
        "nothing saved"
    );
}

#[tokio::test]
async fn an_incident_recorded_in_dari_shows_its_history() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let form = format!(
        "csrf={}&title={}&date=2022-12-21&province=AF-BAL&violation_types=education&edicts=E001",
        enc(&m.csrf),
        enc("منع ورود دختران به دانشگاه بلخ"),
    );
    let (status, headers, body) = app
        .page(
            Method::POST,
            "/incidents/new?lang=fa",
            Some(&m.session),
            Some(&form),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let (status, _, page) = app
        .page(
            Method::GET,
            &format!("{location}?lang=fa"),
            Some(&m.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("منع ورود دختران به دانشگاه بلخ"));
    assert!(page.contains(&m.username), "history names the member");
    assert!(page.contains("۱۴۰۱"), "the Solar Hijri date is shown");
}

#[tokio::test]
async fn field_errors_are_shown_in_the_page_language_and_the_api_keeps_english() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let form = format!(
        "csrf={}&title=&date=2022-13-40&province=AF-ZZZ&source_credibility=9",
        enc(&m.csrf)
    );
    for (lang, expected) in [
        (
            "en",
            [
                "This field is required.",
                "Not a date.",
                "Choose a province",
            ],
        ),
        (
            "fa",
            [
                "پر کردن این بخش الزامی است.",
                "این تاریخ نیست.",
                "یک ولایت را",
            ],
        ),
        (
            "ps",
            ["دا برخه ډکول اړین دي.", "دا نېټه نه ده.", "یو ولایت وټاکئ"],
        ),
    ] {
        let (status, _, body) = app
            .page(
                Method::POST,
                &format!("/incidents/new?lang={lang}"),
                Some(&m.session),
                Some(&form),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        for text in expected {
            assert!(body.contains(text), "{lang}: {text:?} missing");
        }
        if lang != "en" {
            assert!(!body.contains("is required"), "{lang}: an English message");
        }
    }
    // The API names the fields and explains in English.
    let (status, v) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            Some(&m.token),
            Some(serde_json::json!({"title": "", "date": "2022", "province": "AF-KAB"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["fields"][0]["field"], "title");
    assert_eq!(v["fields"][0]["message"], "is required");
}

#[tokio::test]
async fn the_history_shows_readable_times_with_the_solar_hijri_date() {
    let app = App::new();
    let m = app.member(0, Role::Documenter);
    let id = app.incident(0, "history times").await;
    for (lang, hijri_digit) in [("en", false), ("fa", true), ("ps", true)] {
        let (_, _, page) = app
            .page(
                Method::GET,
                &format!("/incidents/{id}?lang={lang}"),
                Some(&m.session),
                None,
            )
            .await;
        let row = &page[page
            .find(r#"<table class="history""#)
            .expect("history table")..];
        let cell = &row[row.find("<time datetime=\"").expect("a time")..];
        let shown = &cell[cell.find('>').unwrap() + 1..cell.find("</time>").unwrap()];
        // `YYYY-MM-DD HH:MM UTC`, not RFC 3339.
        assert_eq!(shown.len(), 20, "{lang}: {shown}");
        assert!(
            shown.ends_with(" UTC") && shown.as_bytes()[10] == b' ',
            "{lang}: {shown}"
        );
        let hijri = &cell[cell.find(r#"<span class="hijri">("#).expect("hijri date")..];
        let persian = hijri.chars().take(40).any(|c| ('۰'..='۹').contains(&c));
        assert_eq!(persian, hijri_digit, "{lang}: {hijri:.60}");
    }
}
