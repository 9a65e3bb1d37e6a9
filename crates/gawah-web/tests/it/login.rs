//! Signing in: password, TOTP for admins, lockout, a fresh session, CSRF on the login form.

use axum::http::{HeaderMap, Method, StatusCode};
use gawah_core::vocab::Role;

use crate::harness::{App, PASSWORD, TOTP_SECRET, enc};

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        })
}

async fn login_form(app: &App) -> String {
    let (status, headers, body) = app.page(Method::GET, "/login", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let set = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let token = cookie(&headers, "gawah_login_csrf").unwrap();
    assert!(body.contains(&token));
    token
}

async fn post_login(
    app: &App,
    csrf: &str,
    username: &str,
    password: &str,
    session: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded");
    let mut cookies = format!("gawah_login_csrf={csrf}");
    if let Some(s) = session {
        cookies.push_str(&format!("; gawah_session={s}"));
    }
    req = req.header("cookie", cookies);
    let body = format!(
        "csrf={}&username={}&password={}",
        enc(csrf),
        enc(username),
        enc(password)
    );
    let (s, h, b) = app
        .send(req.body(axum::body::Body::from(body)).unwrap())
        .await;
    (s, h, String::from_utf8_lossy(&b).into_owned())
}

#[tokio::test]
async fn a_documenter_signs_in_with_a_password_and_gets_a_new_session() {
    let app = App::new();
    let csrf = login_form(&app).await;
    let user = app.member(0, Role::Documenter).username.clone();
    let fixed = "attacker-chosen-session";
    let (status, headers, _) = post_login(&app, &csrf, &user, PASSWORD, Some(fixed)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/incidents");
    let session = cookie(&headers, "gawah_session").unwrap();
    assert_ne!(session, fixed, "session fixation");
    assert!(session.len() >= 43);
    let (status, _, body) = app
        .page(Method::GET, "/incidents", Some(&session), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&user));
    // Without the login CSRF cookie the form is refused.
    let (status, _, _) = post_login(&app, "", &user, PASSWORD, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_needs_the_second_factor() {
    let app = App::new();
    let csrf = login_form(&app).await;
    let user = app.member(0, Role::Admin).username.clone();
    let (status, headers, _) = post_login(&app, &csrf, &user, PASSWORD, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login");
    let pending = cookie(&headers, "gawah_session").unwrap();
    // Password alone gives no access.
    let (status, h, _) = app
        .page(Method::GET, "/incidents", Some(&pending), None)
        .await;
    assert_eq!(
        (status, h["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let now = app.state.ledger.clock().now();
    let code = format!("{:06}", gawah_web::auth::totp(TOTP_SECRET, now));
    let wrong = format!(
        "{:06}",
        (gawah_web::auth::totp(TOTP_SECRET, now) + 1) % 1_000_000
    );
    let totp = |code: String| {
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/login/totp")
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "cookie",
                format!("gawah_login_csrf={csrf}; gawah_session={pending}"),
            )
            .body(axum::body::Body::from(format!(
                "csrf={}&code={code}",
                enc(&csrf)
            )))
            .unwrap()
    };
    let (status, _, body) = app.send(totp(wrong)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("not valid"));
    let (status, headers, _) = app.send(totp(code)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let full = cookie(&headers, "gawah_session").unwrap();
    assert_ne!(
        full, pending,
        "the session id changes after the second factor"
    );
    assert_eq!(
        app.page(Method::GET, "/incidents", Some(&full), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.page(Method::GET, "/incidents", Some(&pending), None)
            .await
            .0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let app = App::new();
    let csrf = login_form(&app).await;
    let user = app.member(0, Role::Viewer).username.clone();
    for _ in 0..5 {
        let (status, _, body) = post_login(&app, &csrf, &user, "wrong password!", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Wrong username or password") || body.contains("locked"));
    }
    let (status, _, body) = post_login(&app, &csrf, &user, PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("locked"),
        "the right password does not open a locked account"
    );
    // The per-address limit stops a flood even across usernames.
    let mut limited = false;
    for i in 0..10 {
        let (status, _, _) = post_login(&app, &csrf, &format!("nobody{i}"), "x", None).await;
        limited |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "no rate limit");
}
