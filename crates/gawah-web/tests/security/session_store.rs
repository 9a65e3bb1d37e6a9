//! What a stolen session is worth: a cookie works for 12 hours from sign-in and not a
//! millisecond longer, and the server keeps only the SHA-256 of it, so a copy of the database
//! yields no cookie. Time is the ledger's clock, a [`FixedClock`] here, moved by hand.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use gawah_core::seal::{KeySource, SecretKey};
use gawah_core::vocab::Role;
use gawah_core::{Action, FixedClock, LogEntry, MemberId, OrgId, Timestamp};
use gawah_store::records::NewMember;
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, DataDir, Ledger, RecordWrite};
use gawah_web::AppState;
use gawah_web::auth::hash_password;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::harness::{PASSWORD, files_containing};
use crate::session::cookie_value;
use crate::support::{form, location};

const TWELVE_HOURS: i64 = 12 * 3600 * 1000;
/// 2026-11-28T06:00:00Z.
const START: i64 = 1_795_845_600_000;
const USERNAME: &str = "clocked-documenter";
const LOGIN_TOKEN: &str = "login-token-0123456789abcdefghijklmnopq";

/// An application on a fresh data dir whose clock moves only when told, with one documenter.
struct Clocked {
    router: Router,
    clock: Arc<FixedClock>,
    dir: std::path::PathBuf,
    _tmp: tempfile::TempDir,
}

fn commit(ledger: &Ledger, record: RecordWrite, subject: &str) {
    let entry = LogEntry::new(ledger.clock().now(), "cli", Action::Create, subject);
    ledger.commit(&[Change { record, entry }]).unwrap();
}

impl Clocked {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let source = KeySource::KeyFile(SecretKey::random().unwrap());
        let (data, keyring) = DataDir::init(&dir, Some("test.example/clock"), &source).unwrap();
        let clock = Arc::new(FixedClock::new(Timestamp::from_millis(START)));
        let ledger = Ledger::new(
            Arc::new(data.store(OpenMode::Checked).unwrap()),
            Box::new(data.blobs().unwrap()),
            data.signer().unwrap(),
            clock.clone(),
            "cli",
        )
        .with_keys(Arc::new(keyring));
        let org = OrgId::random().unwrap();
        let record = RecordWrite::Org {
            id: org.clone(),
            name: "Clocked Org".into(),
        };
        commit(&ledger, record, org.as_str());
        let id = MemberId::random().unwrap();
        let member = NewMember {
            id: id.clone(),
            org,
            username: USERNAME.into(),
            role: Role::Documenter,
            password_hash: hash_password(PASSWORD).unwrap(),
            totp_secret: None,
        };
        commit(&ledger, RecordWrite::Member(member), id.as_str());
        let state = Arc::new(AppState::new(ledger, false).unwrap());
        Self {
            router: gawah_web::router(state),
            clock,
            dir,
            _tmp: tmp,
        }
    }

    async fn send(&self, mut req: Request<Body>) -> (StatusCode, HeaderMap) {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        (resp.status(), resp.headers().clone())
    }

    /// Signs in with the password; the session cookie's value.
    async fn sign_in(&self) -> String {
        let body = form(&[
            ("csrf", LOGIN_TOKEN),
            ("username", USERNAME),
            ("password", PASSWORD),
        ]);
        let req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("gawah_login_csrf={LOGIN_TOKEN}"))
            .body(Body::from(body))
            .unwrap();
        let (status, headers) = self.send(req).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        cookie_value(&headers, "gawah_session").expect("a session cookie")
    }

    /// Whether `cookie` opens a members' page (else it is sent to the login page).
    async fn signed_in(&self, cookie: &str) -> bool {
        let req = Request::builder()
            .uri("/incidents")
            .header(header::COOKIE, format!("gawah_session={cookie}"))
            .body(Body::empty())
            .unwrap();
        match self.send(req).await {
            (StatusCode::OK, _) => true,
            (StatusCode::SEE_OTHER, h) if location(&h) == "/login" => false,
            other => panic!("neither a page nor the login: {other:?}"),
        }
    }

    /// The stored sessions: (token_hash, expires_at), read as a thief with the file would.
    fn sessions(&self) -> Vec<(Vec<u8>, i64)> {
        let db = rusqlite::Connection::open(self.dir.join("gawah.db")).unwrap();
        let mut stmt = db
            .prepare("SELECT token_hash, expires_at FROM sessions")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

#[tokio::test]
async fn sessions_are_stored_only_as_sha256_and_end_after_twelve_hours() {
    let app = Clocked::new();
    let cookie = app.sign_in().await;
    assert!(app.signed_in(&cookie).await);

    // Stored: the SHA-256 of the cookie's text and an end 12 hours after sign-in; the cookie
    // itself in no file of the data dir.
    let stored = app.sessions();
    assert_eq!(stored.len(), 1, "one session");
    let (hash, expires) = &stored[0];
    assert_eq!(
        hash.as_slice(),
        Sha256::digest(cookie.as_bytes()).as_slice()
    );
    assert_eq!(*expires, START + TWELVE_HOURS);
    let found = files_containing(&app.dir, cookie.as_bytes());
    assert!(found.is_empty(), "the session id is stored in {found:?}");
    // What the database holds is no cookie, in any spelling.
    assert!(!app.signed_in(&hex::encode(hash)).await);
    let base64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash);
    assert!(!app.signed_in(&base64url).await);

    // Valid to the last millisecond of its 12 hours, then refused.
    app.clock.advance(TWELVE_HOURS - 1);
    assert!(app.signed_in(&cookie).await, "still within 12 hours");
    app.clock.advance(1);
    assert!(!app.signed_in(&cookie).await, "12 hours after sign-in");
    app.clock.advance(TWELVE_HOURS);
    assert!(!app.signed_in(&cookie).await);
    // A new sign-in is a new session, with its own 12 hours.
    let again = app.sign_in().await;
    assert_ne!(again, cookie);
    assert!(app.signed_in(&again).await);
}
