//! The authorisation matrix: every route × every role × own and another organisation's data.

use axum::http::{Method, StatusCode};
use gawah_core::vocab::Role;
use serde_json::json;

use crate::harness::{App, enc, sample};

fn writes(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Documenter | Role::Analyst)
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
