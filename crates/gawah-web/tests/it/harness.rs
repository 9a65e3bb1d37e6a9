//! A whole application on a fresh data dir, driven in-process through its router, with two
//! organisations and one member of every role in each.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gawah_core::seal::{KeySource, SecretKey};
use gawah_core::vocab::Role;
use gawah_core::{Action, LogEntry, MemberId, OrgId, SystemClock};
use gawah_store::records::{NewMember, SessionRow};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, DataDir, Ledger, RecordWrite};
use gawah_web::AppState;
use gawah_web::auth::{hash_password, secret_hash};
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";
pub const TOTP_SECRET: &[u8] = b"12345678901234567890";

pub struct Member {
    #[allow(dead_code)]
    pub id: MemberId,
    pub username: String,
    pub token: String,
    pub session: String,
    pub csrf: String,
}

pub struct App {
    pub state: Arc<AppState>,
    pub router: Router,
    #[allow(dead_code)]
    pub orgs: [OrgId; 2],
    pub members: HashMap<(usize, Role), Member>,
    _tmp: tempfile::TempDir,
}

fn commit(ledger: &Ledger, record: RecordWrite, subject: &str) {
    let entry = LogEntry::new(ledger.clock().now(), "cli", Action::Create, subject);
    ledger.commit(&[Change { record, entry }]).expect("commit");
}

impl App {
    pub fn new() -> Self {
        Self::build(false)
    }

    /// The same application as behind TLS: cookies get the `Secure` attribute.
    #[allow(dead_code)] // used by tests/security
    pub fn with_secure_cookies() -> Self {
        Self::build(true)
    }

    fn build(secure_cookies: bool) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("data");
        let source = KeySource::KeyFile(SecretKey::random().unwrap());
        let (dir, keyring) = DataDir::init(&path, Some("test.example/web"), &source).unwrap();
        let ledger = Ledger::new(
            Arc::new(dir.store(OpenMode::Checked).unwrap()),
            Box::new(dir.blobs().unwrap()),
            dir.signer().unwrap(),
            Arc::new(SystemClock),
            "cli",
        )
        .with_keys(Arc::new(keyring));
        for e in gawah_demo::edicts().unwrap() {
            let edict: gawah_core::edict::Edict =
                serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
            let subject = format!("edict:{}", edict.id.to_lowercase());
            commit(&ledger, RecordWrite::Edict(edict), &subject);
        }
        let password_hash = hash_password(PASSWORD).unwrap();
        let orgs = [OrgId::random().unwrap(), OrgId::random().unwrap()];
        let mut members = HashMap::new();
        for (o, org) in orgs.iter().enumerate() {
            commit(
                &ledger,
                RecordWrite::Org {
                    id: org.clone(),
                    name: format!("Org {o}"),
                },
                org.as_str(),
            );
            let key = ledger.keys().unwrap().new_org_key(org.as_str(), 1).unwrap();
            commit(&ledger, RecordWrite::OrgKey(key), org.as_str());
            gawah_web::intake::create_intake_key(&ledger, org, "cli").unwrap();
            for role in Role::ALL {
                let id = MemberId::random().unwrap();
                let username = format!("{}{o}", role.as_str());
                let totp_secret = (role == Role::Admin).then(|| TOTP_SECRET.to_vec());
                let m = NewMember {
                    id: id.clone(),
                    org: org.clone(),
                    username: username.clone(),
                    role,
                    password_hash: password_hash.clone(),
                    totp_secret,
                };
                commit(&ledger, RecordWrite::Member(m), id.as_str());
                let token = format!("token-{username}");
                commit(
                    &ledger,
                    RecordWrite::ApiToken {
                        member: id.clone(),
                        token_hash: secret_hash(&token),
                    },
                    &format!("token:{id}"),
                );
                let session = format!("session-{username}");
                let csrf = format!("csrf-{username}");
                let row = SessionRow {
                    member: id.clone(),
                    csrf: csrf.clone(),
                    mfa_pending: false,
                    expires_at: gawah_core::Timestamp::from_millis(i64::MAX / 2),
                };
                ledger
                    .store
                    .session_put(&secret_hash(&session), &row)
                    .unwrap();
                members.insert(
                    (o, role),
                    Member {
                        id,
                        username,
                        token,
                        session,
                        csrf,
                    },
                );
            }
        }
        let state = Arc::new(AppState::new(ledger, secure_cookies).expect("state"));
        let router = gawah_web::router(state.clone());
        Self {
            state,
            router,
            orgs,
            members,
            _tmp: tmp,
        }
    }

    pub fn member(&self, org: usize, role: Role) -> &Member {
        &self.members[&(org, role)]
    }

    /// Sends a request as if from 127.0.0.1.
    pub async fn send(&self, mut req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
            .await
            .unwrap()
            .to_vec();
        (status, headers, body)
    }

    /// An API call with an optional bearer token and JSON body.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (status, _, bytes) = self.send(req).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// A page request with an optional session cookie.
    pub async fn page(
        &self,
        method: Method,
        path: &str,
        session: Option<&str>,
        form: Option<&str>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(s) = session {
            b = b.header(header::COOKIE, format!("gawah_session={s}"));
        }
        let req = match form {
            Some(f) => b
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(f.to_owned()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (status, headers, bytes) = self.send(req).await;
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// A second admin of `org` (made on first use); returns its API token.
    pub fn second_admin(&self, org: usize) -> String {
        let ledger = &self.state.ledger;
        let id = MemberId::random().unwrap();
        let username = format!("admin-b{org}");
        let m = NewMember {
            id: id.clone(),
            org: self.orgs[org].clone(),
            username: username.clone(),
            role: Role::Admin,
            password_hash: hash_password(PASSWORD).unwrap(),
            totp_secret: Some(TOTP_SECRET.to_vec()),
        };
        commit(ledger, RecordWrite::Member(m), id.as_str());
        let token = format!("token-{username}");
        commit(
            ledger,
            RecordWrite::ApiToken {
                member: id.clone(),
                token_hash: secret_hash(&token),
            },
            &format!("token:{id}"),
        );
        token
    }

    /// Commits `record` with a `create` entry for `subject`, as the CLI would.
    #[allow(dead_code)] // used by tests/security
    pub fn commit_record(&self, record: RecordWrite, subject: &str) {
        commit(&self.state.ledger, record, subject);
    }

    /// Another member of `org` (any organisation, not only the two made here) with this
    /// username (any text: names come from the CLI unchecked), a session and an API token;
    /// TOTP for admins, as for the others.
    #[allow(dead_code)] // used by tests/security
    pub fn extra_member(&self, org: &OrgId, role: Role, username: &str) -> Member {
        let ledger = &self.state.ledger;
        let id = MemberId::random().unwrap();
        let m = NewMember {
            id: id.clone(),
            org: org.clone(),
            username: username.to_owned(),
            role,
            password_hash: hash_password(PASSWORD).unwrap(),
            totp_secret: (role == Role::Admin).then(|| TOTP_SECRET.to_vec()),
        };
        commit(ledger, RecordWrite::Member(m), id.as_str());
        let token = format!("token-{id}");
        let record = RecordWrite::ApiToken {
            member: id.clone(),
            token_hash: secret_hash(&token),
        };
        commit(ledger, record, &format!("token:{id}"));
        let (session, csrf) = (format!("session-{id}"), format!("csrf-{id}"));
        let row = SessionRow {
            member: id.clone(),
            csrf: csrf.clone(),
            mfa_pending: false,
            expires_at: gawah_core::Timestamp::from_millis(i64::MAX / 2),
        };
        ledger
            .store
            .session_put(&secret_hash(&session), &row)
            .unwrap();
        Member {
            id,
            username: username.to_owned(),
            token,
            session,
            csrf,
        }
    }

    /// The data dir on disk.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._tmp.path().join("data")
    }

    /// Creates an incident in `org` through the API; returns its id.
    pub async fn incident(&self, org: usize, title: &str) -> String {
        let token = self.member(org, Role::Documenter).token.clone();
        let (status, v) = self
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&token),
                Some(sample(title)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// An anonymous submission to `org` (straight through the intake code, not the form);
    /// returns its id and receipt code.
    pub fn submission(&self, org: usize, text: &str) -> (String, String) {
        let body = gawah_web::intake::PartBody {
            text: text.to_owned(),
            language: "en".into(),
            ..Default::default()
        };
        let (id, code) = gawah_web::intake::submit(&self.state, &self.orgs[org], body).unwrap();
        (id.to_string(), code)
    }

    pub fn log_size(&self) -> u64 {
        self.state.ledger.store.head().unwrap().size
    }
}

pub fn sample(title: &str) -> Value {
    serde_json::json!({
        "ref": "REF-1",
        "title": title,
        "description": "Girls were turned away at the school gate.",
        "date": "2022-03-23",
        "province": "AF-KAB",
        "violation_types": ["education"],
        "exact_location": "the gate of a girls' school"
    })
}

/// URL-encodes a form value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every file under `dir` that holds `needle`.
pub fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                found.push(p.display().to_string());
            }
        }
    }
    found
}
