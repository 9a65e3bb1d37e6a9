//! Confidential text must not outlive the page in a browser's or a proxy's cache: every page
//! and API answer a member reads says `Cache-Control: no-store`; only static assets and the
//! public log's tiles, which hold nothing confidential, may be cached.

use gawah_core::vocab::Role;

use crate::harness::App;
use crate::support::get;

#[tokio::test]
async fn pages_and_answers_that_reveal_records_are_never_cached() {
    let app = App::new();
    let incident = app.incident(0, "cache check").await;
    let doc = app.member(0, Role::Documenter);
    for path in [
        format!("/incidents/{incident}"),
        "/incidents".to_owned(),
        "/search?q=cache".to_owned(),
        "/".to_owned(),
    ] {
        let (status, headers, _) = get(&app, Some(doc), &path).await;
        assert!(status.is_success(), "{path}: {status}");
        assert_eq!(
            headers.get("cache-control").and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    // The API, with a bearer token.
    let req = axum::http::Request::builder()
        .uri(format!("/api/v1/incidents/{incident}"))
        .header("authorization", format!("Bearer {}", doc.token))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, headers, _) = app.send(req).await;
    assert!(status.is_success(), "API: {status}");
    assert_eq!(headers["cache-control"], "no-store", "API");
    // A handler's own policy is kept: the public log's checkpoint is not confidential.
    let (status, headers, _) = get(&app, None, "/log/checkpoint").await;
    assert!(status.is_success(), "{status}");
    let policy = headers["cache-control"].to_str().unwrap();
    assert_ne!(policy, "no-store", "the handler's own policy was replaced");
}
