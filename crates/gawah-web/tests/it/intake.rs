//! Anonymous intake: the public form at /submit, the receipt code, and the members' reading.
//! Submissions are stored only age-encrypted to the organisation's recipient, open only with
//! that organisation's identity, and leave no address behind.

use std::str::FromStr;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use gawah_core::LogEntry;
use gawah_core::vocab::Role;
use gawah_store::Vault;
use gawah_store::intake::intake_key_record;
use serde_json::json;

use crate::harness::{App, enc, files_containing};

const TOKEN: &str = "submit-form-token-0123456789abcdefghij";

/// A form post from an anonymous browser holding the intake token cookie (if `cookie`).
async fn post(app: &App, path: &str, form: &str, cookie: bool) -> (StatusCode, String) {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if cookie {
        b = b.header(header::COOKIE, format!("gawah_submit_csrf={TOKEN}"));
    }
    let (status, _, body) = app.send(b.body(Body::from(form.to_owned())).unwrap()).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn submit_form(app: &App, org: usize, text: &str, contact: &str) -> String {
    format!(
        "csrf={TOKEN}&org={}&text={}&when={}&province=AF-HER&contact={}&consent=internal&consent=legal",
        app.orgs[org],
        enc(text),
        enc("last spring"),
        enc(contact)
    )
}

/// Submits through the form; returns the receipt code shown.
async fn submit(app: &App, org: usize, text: &str, contact: &str) -> String {
    let (status, page) = post(app, "/submit", &submit_form(app, org, text, contact), true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let at = page.find("id=\"receipt-code\"").expect("a receipt code");
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find('<').unwrap();
    rest[start..end].to_owned()
}

/// The stored id of the only submission whose first part is `text`'s (by listing the API).
async fn only_submission(app: &App, org: usize) -> String {
    let t = app.member(org, Role::Documenter).token.clone();
    let (status, v) = app
        .api(Method::GET, "/api/v1/submissions", Some(&t), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let list = v["submissions"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    list[0]["id"].as_str().unwrap().to_owned()
}

fn stored_parts(app: &App, id: &str) -> Vec<Vec<u8>> {
    let db = rusqlite::Connection::open(app.data_dir().join("gawah.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT sealed FROM submission_parts WHERE submission_id = ?1 ORDER BY part")
        .unwrap();
    stmt.query_map([id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// An organisation's intake identity, opened with the keyring as the server does.
fn identity_of(app: &App, org: usize) -> age::x25519::Identity {
    let org = &app.orgs[org];
    let s = &app.state.ledger;
    let row = s.store.intake_key(org).unwrap().unwrap();
    let key = s.vault().unwrap().key(&intake_key_record(org)).unwrap();
    let secret =
        Vault::open_bytes(&key, "intake_keys", "identity", org.as_str(), &row.identity).unwrap();
    age::x25519::Identity::from_str(std::str::from_utf8(&secret).unwrap()).unwrap()
}

fn last_entry(app: &App) -> LogEntry {
    let s = &app.state.ledger.store;
    LogEntry::parse(&s.entry(s.head().unwrap().size - 1).unwrap()).unwrap()
}

#[tokio::test]
async fn a_submission_is_sealed_on_arrival_and_opens_only_with_its_organisations_key() {
    let app = App::new();
    let (status, headers, page) = app.page(Method::GET, "/submit", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"text\"") && page.contains("name=\"consent\""));
    assert!(!page.contains("<script"), "the form needs no script");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("gawah_submit_csrf=") && cookie.contains("Path=/submit"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    let before = app.log_size();
    let code = submit(
        &app,
        0,
        "canary-intake-5e1d the school was closed",
        "canary-contact-5e1d",
    )
    .await;
    assert_eq!(code.len(), 39, "{code}");
    assert_eq!(app.log_size(), before + 1, "one entry for the submission");
    let id = only_submission(&app, 0).await;

    // The entry: intake by `anonymous`, at the start of the day, with no address.
    let entry = last_entry(&app);
    assert_eq!(entry.action.as_str(), "intake");
    assert_eq!(entry.actor, "anonymous");
    assert_eq!(entry.subject, id);
    assert!(entry.time.millis() % 86_400_000 == 0, "{}", entry.time);
    assert!(entry.commitment.is_some());
    let bytes = String::from_utf8(entry.to_bytes().unwrap()).unwrap();
    assert!(!bytes.contains("127.0.0.1"), "{bytes}");

    // Nothing of it in the clear on disk, nor the client's address, nor the receipt code.
    for needle in [
        &b"canary-intake-5e1d"[..],
        b"canary-contact-5e1d",
        b"127.0.0.1",
        code.as_bytes(),
    ] {
        let found = files_containing(&app.data_dir(), needle);
        assert!(
            found.is_empty(),
            "{} found in {found:?}",
            String::from_utf8_lossy(needle)
        );
    }

    // The stored bytes are age ciphertext: they open with this organisation's identity only.
    let parts = stored_parts(&app, &id);
    assert_eq!(parts.len(), 1);
    assert!(parts[0].starts_with(b"age-encryption.org/v1\n"));
    let plain = age::decrypt(&identity_of(&app, 0), &parts[0]).unwrap();
    assert!(
        String::from_utf8(plain)
            .unwrap()
            .contains("canary-intake-5e1d")
    );
    assert!(age::decrypt(&identity_of(&app, 1), &parts[0]).is_err());
    assert!(age::decrypt(&age::x25519::Identity::generate(), &parts[0]).is_err());

    // A documenter opens it on the page: the content is shown and the read logged first.
    let m = app.member(0, Role::Documenter);
    let before = app.log_size();
    let (status, _, page) = app
        .page(
            Method::POST,
            &format!("/intake/{id}/open"),
            Some(&m.session),
            Some(&format!("csrf={}", m.csrf)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("canary-intake-5e1d the school was closed"));
    assert!(page.contains("canary-contact-5e1d") && page.contains("last spring"));
    assert!(
        page.contains("<dd>English</dd>"),
        "the form's language: {page}"
    );
    assert_eq!(app.log_size(), before + 1);
    let view = last_entry(&app);
    assert_eq!(
        (
            view.action.as_str(),
            view.actor.as_str(),
            view.subject.as_str()
        ),
        ("view", m.id.as_str(), id.as_str())
    );
}

#[tokio::test]
async fn the_receipt_code_shows_the_status_and_takes_more_parts_until_closed() {
    let app = App::new();
    let code = submit(&app, 0, "first part", "").await;
    // Typed in lower case, with spaces and Persian digits where the code has digits.
    let persian: String = code
        .to_lowercase()
        .replace('-', " ")
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x06F0 + d).unwrap(),
            None => c,
        })
        .collect();
    let (status, page) = post(
        &app,
        "/submit/status",
        &format!("csrf={TOKEN}&code={}", enc(&persian)),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<dd id=\"submission-status\">received</dd>"),
        "{page}"
    );
    assert!(page.contains("<dd id=\"submission-parts\">1</dd>"));

    let before = app.log_size();
    let add = format!(
        "csrf={TOKEN}&code={}&text={}",
        enc(&code),
        enc("canary-part-two-77aa")
    );
    let (status, page) = post(&app, "/submit/status/add", &add, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<dd id=\"submission-parts\">2</dd>"),
        "{page}"
    );
    assert_eq!(app.log_size(), before + 1);
    assert_eq!(last_entry(&app).actor, "anonymous");
    assert!(files_containing(&app.data_dir(), b"canary-part-two-77aa").is_empty());

    // Members see both parts, then close it; the witness sees that and can add no more.
    let id = only_submission(&app, 0).await;
    let t = app.member(0, Role::Analyst).token.clone();
    let (status, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/submissions/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["content"][0]["text"], "first part");
    assert_eq!(v["content"][1]["text"], "canary-part-two-77aa");
    let (status, v) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/submissions/{id}"),
            Some(&t),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("closed")),
        "{v}"
    );
    let (_, page) = post(
        &app,
        "/submit/status",
        &format!("csrf={TOKEN}&code={}", enc(&code)),
        true,
    )
    .await;
    assert!(
        page.contains("<dd id=\"submission-status\">closed</dd>"),
        "{page}"
    );
    assert!(!page.contains("/submit/status/add"));
    let (status, _) = post(&app, "/submit/status/add", &add, true).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn every_wrong_code_gets_the_same_answer() {
    let app = App::new();
    submit(&app, 0, "something", "").await;
    let mut answers = Vec::new();
    for code in [
        "",
        "x",
        "0000-0000-0000-0000-0000-0000-0000-0000",
        "ABCD-EFGH",
        "'; DROP TABLE submissions; --",
    ] {
        let (status, page) = post(
            &app,
            "/submit/status",
            &format!("csrf={TOKEN}&code={}", enc(code)),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{code}");
        assert!(page.contains("There is no report with that code"));
        answers.push(page);
        let (status, add) = post(
            &app,
            "/submit/status/add",
            &format!("csrf={TOKEN}&code={}&text=more", enc(code)),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{code}");
        assert_eq!(add, answers[0]);
    }
    assert!(answers.iter().all(|a| *a == answers[0]));
}

#[tokio::test]
async fn the_forms_need_their_token() {
    let app = App::new();
    let form = submit_form(&app, 0, "no token", "");
    let before = app.log_size();
    assert_eq!(
        post(&app, "/submit", &form, false).await.0,
        StatusCode::FORBIDDEN
    );
    let wrong = form.replace(TOKEN, "another-token-0123456789abcdefghijklmn");
    assert_eq!(
        post(&app, "/submit", &wrong, true).await.0,
        StatusCode::FORBIDDEN
    );
    let code = submit(&app, 0, "with token", "").await;
    let check = format!("csrf=x&code={}", enc(&code));
    assert_eq!(
        post(&app, "/submit/status", &check, true).await.0,
        StatusCode::FORBIDDEN
    );
    let add = format!("code={}&text=more", enc(&code));
    assert_eq!(
        post(&app, "/submit/status/add", &add, true).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.log_size(), before + 1);

    // The members' forms need the session's token.
    let id = only_submission(&app, 0).await;
    let m = app.member(0, Role::Admin);
    for (path, form) in [
        (format!("/intake/{id}/open"), "csrf=wrong".to_owned()),
        (format!("/intake/{id}/status"), "status=closed".to_owned()),
    ] {
        let (status, _, _) = app
            .page(Method::POST, &path, Some(&m.session), Some(&form))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.log_size(), before + 1);
}

#[tokio::test]
async fn submissions_and_code_checks_are_rate_limited() {
    let app = App::new();
    for i in 0..10 {
        submit(&app, 0, &format!("report {i}"), "").await;
    }
    let (status, _) = post(
        &app,
        "/submit",
        &submit_form(&app, 0, "one too many", ""),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let check = format!("csrf={TOKEN}&code=WRONG");
    for _ in 0..20 {
        assert_eq!(
            post(&app, "/submit/status", &check, true).await.0,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        post(&app, "/submit/status", &check, true).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_kept() {
    let app = App::new();
    let before = app.log_size();
    let form = format!("csrf={TOKEN}&org=org_nope&text=&province=AF-XXX");
    let (status, page) = post(&app, "/submit", &form, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["f-org", "f-text", "f-province"] {
        assert!(
            page.contains(&format!("href=\"#{field}\"")),
            "{field}: {page}"
        );
    }
    assert_eq!(app.log_size(), before);
}

#[tokio::test]
async fn only_readers_of_the_receiving_organisation_see_it() {
    let app = App::new();
    submit(&app, 0, "canary-org0-only", "").await;
    let id = only_submission(&app, 0).await;
    let before = app.log_size();

    // Another organisation's documenter: not in the list, not found.
    let other = app.member(1, Role::Documenter);
    let (status, _, page) = app
        .page(Method::GET, "/intake", Some(&other.session), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&id));
    let (status, _, page) = app
        .page(
            Method::POST,
            &format!("/intake/{id}/open"),
            Some(&other.session),
            Some(&format!("csrf={}", other.csrf)),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("canary-org0-only"));
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/submissions/{id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/submissions/{id}"),
            Some(&other.token),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A viewer of the receiving organisation: no list, no content.
    let viewer = app.member(0, Role::Viewer);
    let (status, _, _) = app
        .page(Method::GET, "/intake", Some(&viewer.session), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, page) = app
        .page(
            Method::POST,
            &format!("/intake/{id}/open"),
            Some(&viewer.session),
            Some(&format!("csrf={}", viewer.csrf)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains("canary-org0-only"));
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/submissions",
            Some(&viewer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signed out: the list sends to the login page; nothing was read or logged.
    let (status, _, _) = app.page(Method::GET, "/intake", None, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.log_size(), before);

    // The list of the receiving organisation shows it, without content.
    let m = app.member(0, Role::Legal);
    let (_, _, page) = app
        .page(Method::GET, "/intake", Some(&m.session), None)
        .await;
    assert!(page.contains(&id) && !page.contains("canary-org0-only"));
}

#[tokio::test]
async fn an_organisation_without_an_intake_key_takes_none_until_an_admin_enables_it() {
    let app = App::new();
    // A third organisation made the old way, without an intake key.
    let org = gawah_core::OrgId::random().unwrap();
    let ledger = &app.state.ledger;
    let entry = LogEntry::new(
        ledger.clock().now(),
        "cli",
        gawah_core::Action::Create,
        org.as_str(),
    );
    ledger
        .commit(&[gawah_store::Change {
            record: gawah_store::RecordWrite::Org {
                id: org.clone(),
                name: "Org 2".into(),
            },
            entry,
        }])
        .unwrap();
    let (_, _, page) = app.page(Method::GET, "/submit", None, None).await;
    assert!(!page.contains(org.as_str()));
    let form = format!("csrf={TOKEN}&org={org}&text=hello");
    assert_eq!(
        post(&app, "/submit", &form, true).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // An admin of organisation 0 sees the public link; enabling again changes nothing.
    let admin = app.member(0, Role::Admin);
    let (_, _, page) = app
        .page(Method::GET, "/intake", Some(&admin.session), None)
        .await;
    assert!(page.contains(&format!("/submit?org={}", app.orgs[0])));
    let before = app.log_size();
    let (status, _, _) = app
        .page(
            Method::POST,
            "/intake/enable",
            Some(&admin.session),
            Some(&format!("csrf={}", admin.csrf)),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.log_size(), before);
    // A documenter may not enable it.
    let doc = app.member(0, Role::Documenter);
    let (status, _, _) = app
        .page(
            Method::POST,
            "/intake/enable",
            Some(&doc.session),
            Some(&format!("csrf={}", doc.csrf)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
