//! The JSON API: creation, validation naming the field, updates, conflicts, logging.

use axum::http::{Method, StatusCode};
use gawah_core::vocab::Role;
use serde_json::{Value, json};

use crate::harness::{App, sample};

#[tokio::test]
async fn create_read_patch_and_log() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let before = app.log_size();
    let mut body = sample("دختران از مکتب برگردانده شدند");
    body["edicts"] = json!([]);
    let (status, created) = app
        .api(Method::POST, "/api/v1/incidents", Some(&t), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("inc_"));
    assert_eq!(app.log_size(), before + 1);
    let (_, got) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(got["title"], "دختران از مکتب برگردانده شدند");
    assert_eq!(got["date_precision"], "day");
    assert_eq!(got["ref"], "REF-1");
    assert_eq!(got["version"], 1);
    let (status, patched) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/incidents/{id}"),
            Some(&t),
            Some(json!({"province": "AF-HER", "version": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["province"], "AF-HER");
    assert_eq!(patched["title"], "دختران از مکتب برگردانده شدند");
    assert_eq!(patched["version"], 2);
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/incidents/{id}"),
            Some(&t),
            Some(json!({"title": "stale", "version": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Create, update, and two reads of the confidential exact location (the GET and the
    // PATCH's answer), each logged; the refused PATCH wrote nothing.
    assert_eq!(app.log_size(), before + 4);
    let custody = app.state.ledger.store.custody(id).unwrap();
    assert_eq!(
        custody
            .iter()
            .map(|c| c.action.as_str())
            .collect::<Vec<_>>(),
        ["create", "view", "update", "view"]
    );
    // The exact location came back to the documenter, and survived the patch.
    assert_eq!(got["exact_location"], patched["exact_location"]);
    assert!(got["exact_location"].is_string(), "{got}");
    // A viewer reads the incident without it, and nothing is logged.
    let before_viewer = app.log_size();
    let v = app.member(0, Role::Viewer).token.clone();
    let (status, seen) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{id}"),
            Some(&v),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(seen["exact_location"].is_null(), "{seen}");
    assert_eq!(app.log_size(), before_viewer);
    let versions = app.state.ledger.store.versions(id).unwrap();
    assert_eq!(versions.len(), 2);
}

/// The list writes each item from the stored text (no parse): it must give the members and
/// values the single-incident answer gives a member who may not see the exact location,
/// with text that needs escaping in JSON, in Dari, after an update.
#[tokio::test]
async fn a_listed_incident_is_the_one_a_get_answers() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let v = app.member(0, Role::Viewer).token.clone();
    let mut ids = Vec::new();
    for title in ["نخست \"در گیومه\" \\ و خط\nنو", "second </script>"] {
        let mut body = sample(title);
        body["edicts"] = json!([]);
        let (status, created) = app
            .api(Method::POST, "/api/v1/incidents", Some(&t), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/incidents/{}", ids[0]),
            Some(&t),
            Some(json!({"province": "AF-HER", "source_credibility": 2, "version": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, list) = app
        .api(Method::GET, "/api/v1/incidents?limit=10", Some(&v), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        let id = item["id"].as_str().unwrap();
        let (_, got) = app
            .api(
                Method::GET,
                &format!("/api/v1/incidents/{id}"),
                Some(&v),
                None,
            )
            .await;
        assert_eq!(item, &got);
    }
    let first = items.iter().find(|i| i["id"] == ids[0].as_str()).unwrap();
    assert_eq!(
        (&first["version"], &first["province"], &first["title"]),
        (
            &json!(2),
            &json!("AF-HER"),
            &json!("نخست \"در گیومه\" \\ و خط\nنو")
        )
    );
}

#[tokio::test]
async fn invalid_input_names_the_field() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    for (field, value, expect) in [
        ("date", json!("2022-02-30"), "date"),
        ("date", json!("yesterday"), "date"),
        ("province", json!("AF-XYZ"), "province"),
        ("title", json!(""), "title"),
        ("title", json!("x".repeat(301)), "title"),
        ("violation_types", json!(["flying"]), "violation_types"),
        ("source_credibility", json!(9), "source_credibility"),
    ] {
        let mut body = sample("t");
        body[field] = value;
        let (status, v) = app
            .api(Method::POST, "/api/v1/incidents", Some(&t), Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        assert_eq!(v["fields"][0]["field"], expect, "{v}");
        assert!(v["error"].as_str().unwrap().starts_with(expect));
    }
    let (status, v) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            Some(&t),
            Some(json!({"title": "x", "colour": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("colour"), "{v}");
    let (status, v) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            Some(&t),
            Some(json!({"title": "x", "date": "2022", "province": "AF-KAB", "edicts": ["E999"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("E999"));
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = App::new();
    let (status, doc) = app.api(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let (_, docs) = gawah_web::api::routes();
    let paths = doc["paths"].as_object().unwrap();
    for d in &docs {
        assert!(
            paths[d.path][d.method].is_object(),
            "{} {} undocumented",
            d.method,
            d.path
        );
    }
    // Every documented operation answers something other than 404/405 at its path.
    let t = app.member(0, Role::Admin).token.clone();
    let id = app.incident(0, "x").await;
    let (_, person) = app
        .api(
            Method::POST,
            "/api/v1/people",
            Some(&t),
            Some(json!({"pseudonym": "P-1"})),
        )
        .await;
    let (_, testimony) = app
        .api(
            Method::POST,
            &format!("/api/v1/incidents/{id}/testimonies"),
            Some(&t),
            Some(json!({"statement": "s", "language": "en"})),
        )
        .await;
    let (_, erasure) = app
        .api(
            Method::POST,
            "/api/v1/erasures",
            Some(&t),
            Some(json!({"record": person["id"]})),
        )
        .await;
    // An image item of the organisation, for the evidence routes.
    let evidence = {
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            &[200u8; 12],
            2,
            2,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
        let boundary = "doc-boundary";
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\n\r\n").into_bytes();
        body.extend_from_slice(&png);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/evidence")
            .header("authorization", format!("Bearer {t}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(axum::body::Body::from(body))
            .unwrap();
        let (_, _, bytes) = app.send(req).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        v["item"].as_str().unwrap().to_owned()
    };
    let (submission, _) = app.submission(0, "doc");
    for (path, ops) in paths {
        // Each {id} is a record of the kind the path names.
        let this_id = if path.starts_with("/api/v1/submissions/") {
            submission.clone()
        } else if path.starts_with("/api/v1/evidence/") {
            evidence.clone()
        } else if path.starts_with("/api/v1/erasures/") {
            erasure["id"].as_str().unwrap().to_owned()
        } else if path.starts_with("/api/v1/people/") {
            person["id"].as_str().unwrap().to_owned()
        } else if path.starts_with("/api/v1/testimonies/") {
            testimony["id"].as_str().unwrap().to_owned()
        } else {
            id.clone()
        };
        for method in ops.as_object().unwrap().keys() {
            let m: Method = method.to_uppercase().parse().unwrap();
            let (status, _) = app
                .api(
                    m,
                    &path
                        .replace("{id}", &this_id)
                        .replace("{vocab}", "institution"),
                    Some(&t),
                    Some(sample("doc")),
                )
                .await;
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {status}"
            );
        }
    }
    assert_eq!(
        paths.len(),
        25,
        "a route was added without a test update: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
}
