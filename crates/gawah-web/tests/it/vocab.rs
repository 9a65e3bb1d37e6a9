//! Editable vocabularies: admins add perpetrator institutions with Dari and Pashto labels and
//! override the labels of violation types; forms offer the institutions, pages show the
//! labels of the page's language in that organisation only; every change is one entry.

use axum::http::{Method, StatusCode};
use gawah_core::LogEntry;
use gawah_core::vocab::Role;
use gawah_web::i18n::Tr;
use gawah_web::lang::Lang;
use serde_json::{Value, json};

use crate::harness::{App, enc};

const MPVPV_EN: &str = "Ministry for the Propagation of Virtue and the Prevention of Vice";
const MPVPV_FA: &str = "وزارت امر به معروف و نهی از منکر";
const MPVPV_PS: &str = "د امر بالمعروف او نهی عن المنکر وزارت";
/// A Dari wording a team prefers to the interface's `domain-education`.
const EDUCATION_FA: &str = "محرومیت دختران از مکتب";

/// Posts the vocabulary form as `role` of `org` with that member's form token.
async fn post_term(
    app: &App,
    org: usize,
    role: Role,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let m = app.member(org, role);
    post_with(app, org, role, &m.csrf.clone(), fields).await
}

async fn post_with(
    app: &App,
    org: usize,
    role: Role,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let m = app.member(org, role);
    let mut form = format!("csrf={}", enc(csrf));
    for (k, v) in fields {
        form.push_str(&format!("&{k}={}", enc(v)));
    }
    let (status, _, body) = app
        .page(
            Method::POST,
            "/admin/vocabularies",
            Some(&m.session),
            Some(&form),
        )
        .await;
    (status, body)
}

fn new_mpvpv() -> Vec<(&'static str, &'static str)> {
    vec![
        ("vocab", "institution"),
        ("version", "0"),
        ("active", "on"),
        ("key", "mpvpv"),
        ("en", MPVPV_EN),
        ("fa", MPVPV_FA),
        ("ps", MPVPV_PS),
    ]
}

async fn get(app: &App, org: usize, role: Role, path: &str) -> (StatusCode, String) {
    let m = app.member(org, role);
    let (status, _, body) = app.page(Method::GET, path, Some(&m.session), None).await;
    (status, body)
}

fn last_entry(app: &App) -> LogEntry {
    let idx = app.log_size() - 1;
    LogEntry::parse(&app.state.ledger.store.entry(idx).unwrap()).unwrap()
}

/// Signs a checkpoint and verifies the whole log, as `gawah log verify` does.
fn verify(app: &App) {
    let ledger = &app.state.ledger;
    let cp = ledger.checkpoint().unwrap();
    let report = gawah_store::verify_all(
        ledger.store.as_ref(),
        &*ledger.blobs,
        &ledger.signer().verifier(),
    );
    assert!(report.ok(), "{:?}", report.failures);
    assert_eq!(report.checkpoint_size, Some(cp.size));
}

async fn incident_with(app: &App, org: usize, perpetrators: &[&str]) -> String {
    let t = app.member(org, Role::Documenter).token.clone();
    let mut body = crate::harness::sample("vocab");
    body["perpetrators"] = json!(perpetrators);
    let (status, v) = app
        .api(Method::POST, "/api/v1/incidents", Some(&t), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn admins_add_institutions_through_the_form_and_no_one_else_can() {
    let app = App::new();
    let (status, body) = get(&app, 0, Role::Admin, "/admin/vocabularies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(r#"href="/admin/vocabularies""#),
        "admin nav links the page"
    );
    assert!(body.contains(&format!(
        r#"name="csrf" value="{}""#,
        app.member(0, Role::Admin).csrf
    )));
    for role in [Role::Documenter, Role::Analyst, Role::Viewer, Role::Legal] {
        assert_eq!(
            get(&app, 0, role, "/admin/vocabularies").await.0,
            StatusCode::FORBIDDEN
        );
        let (_, page) = get(&app, 0, role, "/incidents").await;
        assert!(!page.contains("/admin/vocabularies"), "{role} sees no link");
    }
    let size = app.log_size();
    // A forged form token, then a documenter with a valid one: refused, nothing logged.
    let (status, _) = post_with(&app, 0, Role::Admin, "forged", &new_mpvpv()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_term(&app, 0, Role::Documenter, &new_mpvpv()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.log_size(), size);
    let store = &app.state.ledger.store;
    assert!(store.vocab_terms(&app.orgs[0]).unwrap().is_empty());

    let (status, body) = post_term(&app, 0, Role::Admin, &new_mpvpv()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(app.log_size(), size + 1);
    let entry = last_entry(&app);
    assert_eq!(
        entry.subject,
        format!("vocab:{}:institution:mpvpv", app.orgs[0])
    );
    assert_eq!(entry.action.as_str(), "create");
    assert_eq!(entry.actor, app.member(0, Role::Admin).id.as_str());
    assert_eq!(entry.extra["org"], app.orgs[0].as_str());
    let terms = store.vocab_terms(&app.orgs[0]).unwrap();
    assert_eq!(terms.len(), 1);
    let t = &terms[0].term;
    assert_eq!(
        (t.fa.as_deref(), t.ps.as_deref()),
        (Some(MPVPV_FA), Some(MPVPV_PS))
    );
    assert!(store.vocab_terms(&app.orgs[1]).unwrap().is_empty());
    let (_, page) = get(&app, 0, Role::Admin, "/admin/vocabularies").await;
    assert!(page.contains(MPVPV_FA) && page.contains(r#"id="institution-mpvpv""#));

    // The same key again, a bad key, a missing English label: refused, nothing logged.
    let (status, page) = post_term(&app, 0, Role::Admin, &new_mpvpv()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains(&Tr::new(Lang::En).t("vocab-error-conflict")));
    let mut bad = new_mpvpv();
    bad[3] = ("key", "Vice police!");
    let (status, page) = post_term(&app, 0, Role::Admin, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Vice police!"),
        "the form keeps what was typed"
    );
    let mut unnamed = new_mpvpv();
    unnamed[3] = ("key", "police");
    unnamed[4] = ("en", "  ");
    let (status, _) = post_term(&app, 0, Role::Admin, &unnamed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.log_size(), size + 1);
    verify(&app);
}

#[tokio::test]
async fn forms_offer_active_institutions_and_pages_show_their_labels() {
    let app = App::new();
    assert_eq!(
        post_term(&app, 0, Role::Admin, &new_mpvpv()).await.0,
        StatusCode::SEE_OTHER
    );
    let moe = [
        ("vocab", "institution"),
        ("version", "0"),
        ("active", "on"),
        ("key", "moe"),
        ("en", "Ministry of Education"),
        ("fa", "وزارت معارف"),
        ("ps", "د پوهنې وزارت"),
    ];
    assert_eq!(
        post_term(&app, 0, Role::Admin, &moe).await.0,
        StatusCode::SEE_OTHER
    );

    let (_, form) = get(&app, 0, Role::Documenter, "/incidents/new?lang=fa").await;
    assert!(form.contains(r#"list="institution-terms""#));
    assert!(
        form.contains(&format!(r#"<option value="mpvpv">{MPVPV_FA}</option>"#)),
        "{form}"
    );
    let (_, other) = get(&app, 1, Role::Documenter, "/incidents/new").await;
    assert!(
        !other.contains(r#"<option value="mpvpv">"#),
        "another organisation's term"
    );

    // Recorded by key, by English label (as older data does) and as free text.
    let id = incident_with(
        &app,
        0,
        &["mpvpv", "ministry of education", "A local commander"],
    )
    .await;
    let (_, page) = get(&app, 0, Role::Viewer, &format!("/incidents/{id}?lang=fa")).await;
    assert!(page.contains(&format!("<bdi>{MPVPV_FA}</bdi>")), "{page}");
    assert!(page.contains("<bdi>وزارت معارف</bdi>"));
    assert!(page.contains("<bdi>A local commander</bdi>"));
    let (_, page) = get(&app, 0, Role::Viewer, &format!("/incidents/{id}?lang=ps")).await;
    assert!(page.contains(&format!("<bdi>{MPVPV_PS}</bdi>")));
    let (_, page) = get(&app, 0, Role::Viewer, &format!("/incidents/{id}?lang=en")).await;
    assert!(page.contains(&format!("<bdi>{MPVPV_EN}</bdi>")));

    // The form's fields: a known key and an institution not yet in the list.
    let m = app.member(0, Role::Documenter);
    let form = format!(
        "csrf={}&title=form&date=2023-05&province=AF-HER&violation_types=movement&perpetrators=mpvpv&perpetrators={}&perpetrators=",
        enc(&m.csrf),
        enc("Checkpoint guards")
    );
    let (status, headers, _) = app
        .page(
            Method::POST,
            "/incidents/new",
            Some(&m.session),
            Some(&form),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let created = headers["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (_, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{created}"),
            Some(&m.token),
            None,
        )
        .await;
    assert_eq!(
        v["perpetrators"],
        json!(["mpvpv", "Checkpoint guards"]),
        "API values are keys"
    );

    // Retired: no longer offered, still named on the incidents that recorded it.
    let size = app.log_size();
    let retire = [
        ("vocab", "institution"),
        ("version", "1"),
        ("key", "mpvpv"),
        ("en", MPVPV_EN),
        ("fa", MPVPV_FA),
        ("ps", MPVPV_PS),
    ];
    assert_eq!(
        post_term(&app, 0, Role::Admin, &retire).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.log_size(), size + 1);
    assert_eq!(last_entry(&app).action.as_str(), "update");
    let (_, form) = get(&app, 0, Role::Documenter, "/incidents/new?lang=fa").await;
    assert!(!form.contains(r#"<option value="mpvpv">"#));
    assert!(form.contains(r#"<option value="moe">"#));
    let (_, page) = get(&app, 0, Role::Viewer, &format!("/incidents/{id}?lang=fa")).await;
    assert!(page.contains(&format!("<bdi>{MPVPV_FA}</bdi>")));

    // The analysis bars count a key and its English label as one institution.
    let (_, csv) = get(&app, 0, Role::Viewer, "/analysis/perpetrators.csv?lang=fa").await;
    assert!(csv.contains(&format!("mpvpv,{MPVPV_FA},2")), "{csv}");
    verify(&app);
}

#[tokio::test]
async fn a_violation_type_label_override_shows_in_that_organisation_only() {
    let app = App::new();
    let default_fa = Tr::new(Lang::Fa).t("domain-education");
    assert_ne!(default_fa, EDUCATION_FA);
    let mine = incident_with(&app, 0, &[]).await;
    let theirs = incident_with(&app, 1, &[]).await;
    let size = app.log_size();
    let fields = [
        ("vocab", "violation_type"),
        ("version", "0"),
        ("key", "education"),
        ("en", ""),
        ("fa", EDUCATION_FA),
        ("ps", ""),
    ];
    let (status, body) = post_term(&app, 0, Role::Admin, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(app.log_size(), size + 1);
    assert_eq!(
        last_entry(&app).subject,
        format!("vocab:{}:violation_type:education", app.orgs[0])
    );

    let (_, page) = get(&app, 0, Role::Viewer, &format!("/incidents/{mine}?lang=fa")).await;
    assert!(
        page.contains(EDUCATION_FA) && !page.contains(&default_fa),
        "{page}"
    );
    let (_, page) = get(&app, 0, Role::Viewer, &format!("/incidents/{mine}?lang=en")).await;
    assert!(
        page.contains(&Tr::new(Lang::En).t("domain-education")),
        "no English override"
    );
    let (_, page) = get(
        &app,
        1,
        Role::Viewer,
        &format!("/incidents/{theirs}?lang=fa"),
    )
    .await;
    assert!(page.contains(&default_fa) && !page.contains(EDUCATION_FA));
    let (_, form) = get(&app, 0, Role::Documenter, "/incidents/new?lang=fa").await;
    assert!(form.contains(EDUCATION_FA));
    let (_, search) = get(&app, 0, Role::Viewer, "/search?lang=fa").await;
    assert!(search.contains(EDUCATION_FA), "facets and hits");
    let (_, search) = get(&app, 1, Role::Viewer, "/search?lang=fa").await;
    assert!(!search.contains(EDUCATION_FA));
    // Public pages are the project's, not one organisation's.
    let (_, _, figures) = app.page(Method::GET, "/figures?lang=fa", None, None).await;
    assert!(!figures.contains(EDUCATION_FA));

    // The keys of a fixed list are not the admins' to add.
    let made_up = [
        ("vocab", "violation_type"),
        ("version", "0"),
        ("key", "schooling"),
        ("fa", "مکتب"),
    ];
    assert_eq!(
        post_term(&app, 0, Role::Admin, &made_up).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.log_size(), size + 1);
    verify(&app);
}

#[tokio::test]
async fn the_api_lists_terms_to_members_and_takes_changes_from_admins() {
    let app = App::new();
    let admin = app.member(0, Role::Admin).token.clone();
    let viewer = app.member(0, Role::Viewer).token.clone();
    let documenter = app.member(0, Role::Documenter).token.clone();
    let (status, v) = app
        .api(Method::GET, "/api/v1/vocabularies", Some(&viewer), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let types = v["vocabularies"]["violation_type"].as_array().unwrap();
    assert_eq!(types.len(), 10);
    assert_eq!(
        v["vocabularies"]["verification_status"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(v["vocabularies"]["institution"], json!([]));
    assert_eq!(
        types[0]["labels"]["fa"],
        Tr::new(Lang::Fa).t("domain-education")
    );
    assert_eq!(types[0]["version"], 0);

    let term = json!({"key": "police", "en": "Police", "fa": "پولیس", "ps": "پولیس"});
    let post = |token: String, vocab: &'static str, body: Value| {
        let app = &app;
        async move {
            app.api(
                Method::POST,
                &format!("/api/v1/vocabularies/{vocab}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let size = app.log_size();
    assert_eq!(
        post(documenter, "institution", term.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(admin.clone(), "perpetrator", term.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.log_size(), size);
    let (status, v) = post(admin.clone(), "institution", term.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["version"].clone(), v["changed"].clone()),
        (json!(1), json!(true))
    );
    assert_eq!(v["log_index"], json!(size));
    // Unchanged: nothing logged. Based on an old version: a conflict.
    let (_, v) = post(admin.clone(), "institution", term.clone()).await;
    assert_eq!(v["changed"], json!(false));
    let mut stale = term.clone();
    stale["version"] = json!(0);
    stale["en"] = json!("Police force");
    assert_eq!(
        post(admin.clone(), "institution", stale).await.0,
        StatusCode::CONFLICT
    );
    let retire = json!({"key": "education", "active": false});
    let (status, v) = post(admin.clone(), "violation_type", retire).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(app.log_size(), size + 1);

    let (_, v) = app
        .api(Method::GET, "/api/v1/vocabularies", Some(&viewer), None)
        .await;
    assert_eq!(v["vocabularies"]["institution"][0]["labels"]["fa"], "پولیس");
    let other = app.member(1, Role::Admin).token.clone();
    let (_, v) = app
        .api(Method::GET, "/api/v1/vocabularies", Some(&other), None)
        .await;
    assert_eq!(v["vocabularies"]["institution"], json!([]));
    verify(&app);
}
