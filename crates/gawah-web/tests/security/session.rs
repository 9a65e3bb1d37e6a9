//! Sessions and forms: CSRF on every state-changing route (and a guard that fails when the
//! router grows a form route this file does not try), cookie attributes, session fixation,
//! logout, lockout after repeated failures, and constant-time comparison of secrets.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use gawah_store::records::SessionRow;
use gawah_web::auth::{MAX_FAILED_LOGINS, constant_time_eq, secret_hash, totp};
use tower::ServiceExt;

use crate::harness::{App, Member, PASSWORD, TOTP_SECRET};
use crate::support::{form, get, location, multipart, png, post, post_multipart, upload};

/// A cookie's value in `Set-Cookie`.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookie(headers, name)
        .map(|c| c.split(';').next().unwrap_or_default()[name.len() + 1..].to_owned())
}

/// A cookie's whole `Set-Cookie` line.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// A request from address `n` (the login limit counts per address).
async fn send_from(app: &App, n: u8, mut req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let ip = IpAddr::V4(Ipv4Addr::new(10, 7, 0, n));
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = axum::body::to_bytes(resp.into_body(), 16 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn form_request(path: &str, cookies: &str, body: String) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies)
        .body(Body::from(body))
        .unwrap()
}

/// The form token in a page's hidden `csrf` input.
fn page_token(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a form token");
    let rest = &page[at + 19..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Every state-changing page route this file tries, as the router declares it.
const FORM_ROUTES: [&str; 20] = [
    "/incidents/new",
    "/incidents/{id}/edit",
    "/incidents/{id}/reveal",
    "/incidents/{id}/testimonies",
    "/testimonies/{id}/reveal",
    "/incidents/{id}/links",
    "/incidents/{id}/evidence",
    "/evidence/{id}/redact",
    "/intake/enable",
    "/intake/{id}/open",
    "/intake/{id}/status",
    "/admin/vocabularies",
    "/declaration/endorse",
    "/logout",
    "/login",
    "/login/totp",
    "/submit",
    "/submit/status",
    "/submit/status/add",
    // The upload form's resumable twin: a session with the token in a header.
    "/api/v1/uploads",
];

/// State-changing routes that are not forms: no session or cookie is read (checked below),
/// so there is nothing for a forged request to ride on.
const NOT_FORMS: [(&str, &str); 1] = [(
    "/add-checkpoint",
    "C2SP tlog-witness: a log's signed checkpoint, authenticated by its signature",
)];

/// `(path, methods, source file)` of every `.route(...)` in the crate's source that takes
/// more than GET.
fn state_changing_routes_in_source() -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(".route(") {
                rest = &rest[at + 7..];
                let mut depth = 1;
                let end = rest
                    .char_indices()
                    .find(|(_, c)| {
                        depth += match c {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let call = &rest[..end];
                let Some(path) = call.split('"').nth(1) else {
                    continue; // the API's table: checked through its documentation below
                };
                let methods: Vec<&str> = ["post(", "put(", "patch(", "delete("]
                    .into_iter()
                    .filter(|m| call.contains(m))
                    .collect();
                if !methods.is_empty() {
                    found.push((path.to_owned(), methods.join(" "), text.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn every_state_changing_route_is_in_the_csrf_table() {
    let routes = state_changing_routes_in_source();
    assert!(routes.len() >= 15, "the scan found too little: {routes:?}");
    for (path, methods, source) in &routes {
        if NOT_FORMS.iter().any(|(p, _)| p == path) {
            assert!(
                !source.contains("Ctx") && !source.contains("cookie"),
                "{path} is listed as reading no session, but its module does"
            );
            continue;
        }
        assert!(
            FORM_ROUTES.contains(&path.as_str()),
            "{path} ({methods}) changes state and is not in FORM_ROUTES: add it to the CSRF test"
        );
    }
    for path in FORM_ROUTES.iter().filter(|p| !p.starts_with("/api/")) {
        assert!(
            routes.iter().any(|(p, _, _)| p == path),
            "{path} is no longer a route"
        );
    }
}

/// What a refused form did: 403 (422 when the form lacks the field altogether and is refused
/// before it is read) and nothing logged.
#[track_caller]
fn assert_refused(app: &App, before: u64, status: StatusCode, what: &str) {
    let missing = what.contains("no token");
    assert!(
        status == StatusCode::FORBIDDEN || (missing && status == StatusCode::UNPROCESSABLE_ENTITY),
        "{what}: {status}"
    );
    assert_eq!(app.log_size(), before, "{what}: something was logged");
}

/// A form route as a member sends it: the fields without the token.
struct Case<'a> {
    path: String,
    who: &'a Member,
    fields: Vec<(&'static str, String)>,
    multipart: bool,
}

impl Case<'_> {
    async fn send(&self, app: &App, session: &str, csrf: Option<&str>) -> StatusCode {
        let mut fields: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = csrf {
            fields.push(("csrf", t));
        }
        fields.extend(self.fields.iter().map(|(k, v)| (*k, v.as_str())));
        let as_member = Member {
            id: self.who.id.clone(),
            username: self.who.username.clone(),
            token: String::new(),
            session: session.to_owned(),
            csrf: String::new(),
        };
        if self.multipart {
            let body = multipart(&fields, Some(("a.txt", b"evidence bytes")));
            return post_multipart(app, &as_member, &self.path, body).await.0;
        }
        app.page(
            Method::POST,
            &self.path,
            Some(session),
            Some(&form(&fields)),
        )
        .await
        .0
    }
}

#[tokio::test]
async fn every_session_form_refuses_a_missing_or_foreign_token() {
    let app = App::new();
    let doc = app.member(0, Role::Documenter);
    let legal = app.member(0, Role::Legal);
    let analyst = app.member(0, Role::Analyst);
    let admin = app.member(0, Role::Admin);
    let viewer = app.member(0, Role::Viewer);
    let incident = app.incident(0, "csrf target").await;
    let other = app.incident(0, "csrf other").await;
    let t = [
        ("statement", "s"),
        ("language", "en"),
        ("consent", "internal"),
    ];
    let tst = location(
        &post(&app, doc, &format!("/incidents/{incident}/testimonies"), &t)
            .await
            .1,
    );
    let item = upload(&app, doc, &incident, "p.png", &png()).await;
    let (submission, _) = app.submission(0, "a report");
    let s = |v: &str| v.to_owned();
    let incident_fields = || {
        vec![
            ("title", s("t")),
            ("date", s("2022")),
            ("province", s("AF-KAB")),
            ("violation_types", s("education")),
        ]
    };
    let mut edit = incident_fields();
    edit.push(("version", s("1")));
    let cases = vec![
        (doc, "/incidents/new".to_owned(), incident_fields(), false),
        (doc, format!("/incidents/{incident}/edit"), edit, false),
        (
            legal,
            format!("/incidents/{incident}/reveal"),
            vec![],
            false,
        ),
        (
            doc,
            format!("/incidents/{incident}/testimonies"),
            vec![
                ("statement", s("s")),
                ("language", s("en")),
                ("consent", s("internal")),
            ],
            false,
        ),
        (legal, format!("{tst}/reveal"), vec![], false),
        (
            analyst,
            format!("/incidents/{incident}/links"),
            vec![("other", other.clone())],
            false,
        ),
        (doc, format!("/incidents/{incident}/evidence"), vec![], true),
        (
            doc,
            format!("/evidence/{item}/redact"),
            vec![("x", s("0")), ("y", s("0")), ("w", s("2")), ("h", s("2"))],
            false,
        ),
        (admin, "/intake/enable".to_owned(), vec![], false),
        (doc, format!("/intake/{submission}/open"), vec![], false),
        (
            doc,
            format!("/intake/{submission}/status"),
            vec![("status", s("under_review"))],
            false,
        ),
        (
            admin,
            "/admin/vocabularies".to_owned(),
            vec![
                ("vocab", s("institution")),
                ("version", s("0")),
                ("key", s("csrf_term")),
                ("en", s("Term")),
            ],
            false,
        ),
        (admin, "/declaration/endorse".to_owned(), vec![], false),
        (viewer, "/logout".to_owned(), vec![], false),
    ];
    // A token from a page another member (of the same organisation) was given.
    let mut page_tokens = Vec::new();
    for role in [Role::Analyst, Role::Viewer] {
        let m = app.member(0, role);
        let (_, _, page) = get(&app, Some(m), "/incidents").await;
        page_tokens.push((m.username.clone(), page_token(&page)));
    }
    for (who, path, fields, multipart) in cases {
        let case = Case {
            path: path.clone(),
            who,
            fields,
            multipart,
        };
        // A second session of the same member: its token is not this session's.
        let second = format!("second-session-{path}");
        let row = SessionRow {
            member: who.id.clone(),
            csrf: format!("second-csrf-{path}"),
            mfa_pending: false,
            expires_at: gawah_core::Timestamp::from_millis(i64::MAX / 2),
        };
        app.state
            .ledger
            .store
            .session_put(&secret_hash(&second), &row)
            .unwrap();
        let foreign_member = &app.member(1, Role::Admin).csrf;
        let foreign_page_token = &page_tokens
            .iter()
            .find(|(u, _)| *u != who.username)
            .unwrap()
            .1;
        for (token, what) in [
            (None, "no token"),
            (Some(""), "an empty token"),
            (Some(row.csrf.as_str()), "another session's token"),
            (Some(foreign_member.as_str()), "another member's token"),
            (
                Some(foreign_page_token.as_str()),
                "a token from another member's page",
            ),
        ] {
            let before = app.log_size();
            let status = case.send(&app, &who.session, token).await;
            assert_refused(&app, before, status, &format!("{path} with {what}"));
        }
        let status = case.send(&app, &who.session, Some(&who.csrf)).await;
        assert!(
            status != StatusCode::FORBIDDEN && !status.is_server_error(),
            "{path} with its own token: {status}"
        );
    }
}

#[tokio::test]
async fn the_anonymous_forms_need_their_double_submit_token() {
    let app = App::new();
    let (_, code) = app.submission(0, "first part");
    let org = app.orgs[0].to_string();
    let good = "submit-token-0123456789abcdefghijklmnop";
    let other = "submit-token-of-another-browser-0123456";
    for (path, fields) in [
        (
            "/submit",
            vec![
                ("org", org.as_str()),
                ("text", "hello"),
                ("consent", "internal"),
            ],
        ),
        ("/submit/status", vec![("code", code.as_str())]),
        (
            "/submit/status/add",
            vec![("code", code.as_str()), ("text", "more")],
        ),
        (
            "/login",
            vec![("username", "documenter0"), ("password", PASSWORD)],
        ),
    ] {
        let cookie = if path == "/login" {
            "gawah_login_csrf"
        } else {
            "gawah_submit_csrf"
        };
        for (n, (jar, token, what)) in [
            (String::new(), Some(good), "no cookie"),
            (format!("{cookie}={good}"), None, "no token"),
            (
                format!("{cookie}={good}"),
                Some(other),
                "another browser's token",
            ),
            (
                format!("{cookie}={other}"),
                Some(good),
                "another browser's cookie",
            ),
            (format!("{cookie}="), Some(""), "both empty"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut all: Vec<(&str, &str)> = token.map(|t| ("csrf", t)).into_iter().collect();
            all.extend(fields.iter().copied());
            let before = app.log_size();
            let req = form_request(path, &jar, form(&all));
            let (status, h, _) = send_from(&app, n as u8 + 1, req).await;
            assert_refused(&app, before, status, &format!("{path}: {what}"));
            assert!(
                cookie_value(&h, "gawah_session").is_none(),
                "{path}: {what}"
            );
        }
        let mut all = vec![("csrf", good)];
        all.extend(fields.iter().copied());
        let req = form_request(path, &format!("{cookie}={good}"), form(&all));
        let (status, _, body) = send_from(&app, 9, req).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::SEE_OTHER,
            "{path} with its token: {status} {body}"
        );
    }
}

#[tokio::test]
async fn a_cookie_alone_never_authorises_the_api() {
    let app = App::new();
    let doc = app.member(0, Role::Documenter);
    let incident = app.incident(0, "api target").await;
    let (_, docs) = gawah_web::api::routes();
    let mut tried = 0;
    for d in docs
        .iter()
        .filter(|d| d.method != "get" && d.method != "options")
    {
        let path = d
            .path
            .replace("{id}", &incident)
            .replace("{vocab}", "institution");
        let method = Method::from_bytes(d.method.to_uppercase().as_bytes()).unwrap();
        let content_type = if method == Method::PATCH && path.starts_with("/api/v1/uploads") {
            "application/offset+octet-stream"
        } else {
            "application/json"
        };
        let req = Request::builder()
            .method(method)
            .uri(&path)
            .header(header::COOKIE, format!("gawah_session={}", doc.session))
            .header(header::CONTENT_TYPE, content_type)
            .header("upload-offset", "0")
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "5")
            .body(Body::from("{}"))
            .unwrap();
        let before = app.log_size();
        let (status, _, _) = app.send(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {path}", d.method);
        assert_eq!(app.log_size(), before);
        tried += 1;
    }
    assert!(tried >= 10, "only {tried} state-changing API routes");
    // The upload script's way in: the session with its token in a header, never a foreign one.
    for token in ["", "csrf-analyst0", "csrf-documenter1"] {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/uploads")
            .header(header::COOKIE, format!("gawah_session={}", doc.session))
            .header("x-gawah-csrf", token)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "5")
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.send(req).await.0,
            StatusCode::FORBIDDEN,
            "tus with {token:?}"
        );
    }
}

/// Signs in with the password from address `n`: the response.
async fn sign_in(
    app: &App,
    n: u8,
    username: &str,
    password: &str,
    jar: &str,
) -> (StatusCode, HeaderMap, String) {
    let token = "login-token-0123456789abcdefghijklmnopq";
    let cookies = format!("gawah_login_csrf={token}{jar}");
    let body = form(&[
        ("csrf", token),
        ("username", username),
        ("password", password),
    ]);
    send_from(app, n, form_request("/login", &cookies, body)).await
}

async fn second_factor(
    app: &App,
    n: u8,
    pending: &str,
    code: &str,
) -> (StatusCode, HeaderMap, String) {
    let token = "login-token-0123456789abcdefghijklmnopq";
    let cookies = format!("gawah_login_csrf={token}; gawah_session={pending}");
    let body = form(&[("csrf", token), ("code", code)]);
    send_from(app, n, form_request("/login/totp", &cookies, body)).await
}

#[tokio::test]
async fn cookies_carry_their_documented_attributes() {
    for secure in [false, true] {
        let app = if secure {
            App::with_secure_cookies()
        } else {
            App::new()
        };
        let (_, h, _) = get(&app, None, "/login").await;
        let login = set_cookie(&h, "gawah_login_csrf").unwrap();
        let (_, h, _) = get(&app, None, "/submit").await;
        let submit = set_cookie(&h, "gawah_submit_csrf").unwrap();
        let (status, h, _) = sign_in(&app, 1, "documenter0", PASSWORD, "").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let session = set_cookie(&h, "gawah_session").unwrap();
        for (c, path) in [(&login, "/"), (&submit, "/submit"), (&session, "/")] {
            let attrs: Vec<&str> = c.split(';').map(str::trim).collect();
            assert!(attrs.contains(&"HttpOnly"), "{c}");
            assert!(attrs.contains(&"SameSite=Strict"), "{c}");
            assert!(attrs.contains(&format!("Path={path}").as_str()), "{c}");
            assert_eq!(attrs.contains(&"Secure"), secure, "{c}");
            assert!(!attrs.iter().any(|a| a.starts_with("Domain")), "{c}");
        }
        assert!(
            session.contains("Max-Age=43200"),
            "a 12-hour session: {session}"
        );
        let value = cookie_value(&h, "gawah_session").unwrap();
        assert!(value.len() >= 43, "256 bits: {value}");
        let (_, h, _) = get(&app, None, "/?lang=fa").await;
        let lang = set_cookie(&h, "gawah_lang").unwrap();
        assert!(lang.contains("SameSite=Strict"), "{lang}");
    }
}

#[tokio::test]
async fn signing_in_never_keeps_a_session_id_from_before() {
    let app = App::new();
    let attacker = app.member(0, Role::Viewer);
    // An id the attacker made up, and the attacker's own valid session, planted in turn.
    for planted in ["attacker-chosen-id", attacker.session.as_str()] {
        let jar = format!("; gawah_session={planted}");
        let (status, h, _) = sign_in(&app, 1, "documenter0", PASSWORD, &jar).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let fresh = cookie_value(&h, "gawah_session").unwrap();
        assert_ne!(fresh, planted);
        let (_, _, page) = get(&app, Some(&fresh_member(&fresh)), "/incidents").await;
        assert!(page.contains("documenter0"));
        // The planted id did not become the victim's.
        let (status, h, page) = app
            .page(Method::GET, "/incidents", Some(planted), None)
            .await;
        if planted == attacker.session {
            assert!(page.contains(&attacker.username) && !page.contains("documenter0"));
        } else {
            assert_eq!(
                (status, location(&h)),
                (StatusCode::SEE_OTHER, "/login".into())
            );
        }
    }
    // With a second factor: the id changes again once it is given; the pending one dies.
    let (_, h, _) = sign_in(&app, 2, "admin0", PASSWORD, "").await;
    let pending = cookie_value(&h, "gawah_session").unwrap();
    let code = format!("{:06}", totp(TOTP_SECRET, app.state.ledger.clock().now()));
    let (status, h, _) = second_factor(&app, 2, &pending, &code).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let full = cookie_value(&h, "gawah_session").unwrap();
    assert_ne!(full, pending);
    let now = app.state.ledger.clock().now();
    assert!(
        app.state
            .ledger
            .store
            .session(&secret_hash(&pending), now)
            .unwrap()
            .is_none()
    );
}

fn fresh_member(session: &str) -> Member {
    Member {
        id: gawah_core::MemberId::random().unwrap(),
        username: String::new(),
        token: String::new(),
        session: session.to_owned(),
        csrf: String::new(),
    }
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let app = App::new();
    let (_, h, _) = sign_in(&app, 1, "analyst0", PASSWORD, "").await;
    let session = cookie_value(&h, "gawah_session").unwrap();
    let (_, _, page) = app
        .page(Method::GET, "/incidents/new", Some(&session), None)
        .await;
    let csrf = page_token(&page);
    let body = form(&[("csrf", &csrf)]);
    let (status, h, _) = app
        .page(Method::POST, "/logout", Some(&session), Some(&body))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cleared = set_cookie(&h, "gawah_session").unwrap();
    assert!(
        cleared.starts_with("gawah_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let now = app.state.ledger.clock().now();
    assert!(
        app.state
            .ledger
            .store
            .session(&secret_hash(&session), now)
            .unwrap()
            .is_none()
    );
    // The old cookie and its token, replayed: nothing opens, nothing is written.
    let (status, h, _) = app
        .page(Method::GET, "/incidents", Some(&session), None)
        .await;
    assert_eq!(
        (status, location(&h)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
    let before = app.log_size();
    let replay = form(&[
        ("csrf", &csrf),
        ("title", "t"),
        ("date", "2022"),
        ("province", "AF-KAB"),
    ]);
    let (status, _, _) = app
        .page(
            Method::POST,
            "/incidents/new",
            Some(&session),
            Some(&replay),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(app.log_size(), before);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_only_that_account() {
    let app = App::new();
    let locked_until = |name: &str| {
        let m = app
            .state
            .ledger
            .store
            .member_by_username(name)
            .unwrap()
            .unwrap();
        m.locked_until
    };
    // Each attempt from its own address, so the per-address limit is not what stops them.
    for n in 1..=MAX_FAILED_LOGINS {
        assert!(
            locked_until("viewer0").is_none(),
            "locked after {} failures",
            n - 1
        );
        let (status, h, _) = sign_in(&app, n as u8, "viewer0", "wrong password!", "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(cookie_value(&h, "gawah_session").is_none());
    }
    assert!(
        locked_until("viewer0").is_some(),
        "not locked after {MAX_FAILED_LOGINS}"
    );
    let (status, h, body) = sign_in(&app, 50, "viewer0", PASSWORD, "").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the right password is refused while locked"
    );
    assert!(cookie_value(&h, "gawah_session").is_none() && body.contains("locked"));
    let (status, h, _) = sign_in(&app, 50, "viewer1", PASSWORD, "").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "another account is not locked"
    );
    assert!(cookie_value(&h, "gawah_session").is_some());
    // Unknown names say the same as a wrong password.
    let failed = gawah_web::i18n::Tr::new(gawah_web::lang::Lang::En).t("login-failed");
    for (n, name) in [(51, "nobody-here"), (52, "analyst0")] {
        let (_, _, body) = sign_in(&app, n, name, "wrong password!", "").await;
        assert!(body.contains(&failed) && !body.contains("locked"), "{name}");
    }
}

#[tokio::test]
async fn guessing_the_second_factor_locks_the_account_too() {
    let app = App::new();
    let now = app.state.ledger.clock().now();
    let right = totp(TOTP_SECRET, now);
    let wrong = format!("{:06}", (right + 500_000) % 1_000_000);
    let mut pending = String::new();
    for n in 0..MAX_FAILED_LOGINS {
        // The right password again halfway: it must not wipe out the wrong codes so far.
        if n == 0 || n == MAX_FAILED_LOGINS / 2 {
            let (status, h, _) = sign_in(&app, 30 + n as u8, "admin0", PASSWORD, "").await;
            assert_eq!(status, StatusCode::SEE_OTHER, "attempt {n}");
            pending = cookie_value(&h, "gawah_session").unwrap();
        }
        let (status, h, _) = second_factor(&app, 10 + n as u8, &pending, &wrong).await;
        assert_eq!(status, StatusCode::OK);
        assert!(cookie_value(&h, "gawah_session").is_none());
    }
    let m = app
        .state
        .ledger
        .store
        .member_by_username("admin0")
        .unwrap()
        .unwrap();
    assert!(
        m.locked_until.is_some(),
        "not locked after {MAX_FAILED_LOGINS} wrong codes"
    );
    let (status, h, body) = second_factor(&app, 40, &pending, &format!("{right:06}")).await;
    assert!(
        cookie_value(&h, "gawah_session").is_none(),
        "the right code opened a locked account: {status} {body}"
    );
    // The other organisation's admin is not affected.
    let (_, h, _) = sign_in(&app, 41, "admin1", PASSWORD, "").await;
    let other = cookie_value(&h, "gawah_session").unwrap();
    let (status, _, _) = second_factor(&app, 41, &other, &format!("{right:06}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_address_is_limited_others_are_not() {
    let app = App::new();
    let mut limited = false;
    for i in 0..12 {
        let (status, _, _) = sign_in(&app, 60, &format!("nobody{i}"), "x", "").await;
        limited |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "no per-address limit");
    let (status, _, _) = sign_in(&app, 61, "documenter0", PASSWORD, "").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "another address is not limited"
    );
}

#[test]
fn secrets_are_compared_in_constant_time() {
    // The comparator's answers.
    assert!(constant_time_eq(b"", b""));
    assert!(constant_time_eq(b"same token", b"same token"));
    assert!(!constant_time_eq(b"same token", b"same tokeN"));
    assert!(!constant_time_eq(b"Xame token", b"same token"));
    assert!(!constant_time_eq(b"short", b"shorter"));
    assert!(!constant_time_eq(b"", b"x"));
    // Its body folds every byte with XOR; it has no early exit but the length.
    let auth =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/auth.rs")).unwrap();
    let start = auth.find("pub fn constant_time_eq").unwrap();
    let body = &auth[start..start + auth[start..].find("\n}\n").unwrap()];
    assert!(body.contains('^') && body.contains("fold"), "{body}");
    assert!(
        !body.contains("a == b") && !body.contains("return true"),
        "{body}"
    );
    // Every form token and the second factor go through it: no `==` or `!=` on a secret in
    // the crate's source (lengths and other plain values excepted by name).
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let secret_words = ["csrf", "token", "secret", "receipt", "totp(", "password"];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for line in code.lines() {
                let l = line.trim();
                if l.starts_with("//") || !(l.contains("==") || l.contains("!=")) {
                    continue;
                }
                // Lengths, and names compared with a literal (a form field called "csrf").
                if l.contains(".len()") || l.contains("== \"") || l.contains("!= \"") {
                    continue;
                }
                assert!(
                    !secret_words.iter().any(|w| l.to_lowercase().contains(w)),
                    "{}: a secret compared with ==: {l}",
                    path.display()
                );
            }
        }
    }
    // The second factor: the right code and its neighbours only.
    let now = gawah_core::Timestamp::from_millis(1_111_111_111_000);
    let code = format!("{:06}", totp(TOTP_SECRET, now));
    assert!(gawah_web::auth::verify_totp(TOTP_SECRET, &code, now));
    let later = gawah_core::Timestamp::from_millis(1_111_111_111_000 + 90_000);
    assert!(!gawah_web::auth::verify_totp(TOTP_SECRET, &code, later));
}
