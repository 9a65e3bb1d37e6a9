//! Witness protection through the API: testimonies and people with sealed fields, logged
//! reads, no plaintext on disk, tampering detected.

use axum::http::{Method, StatusCode};
use gawah_core::vocab::Role;
use serde_json::{Value, json};

use crate::harness::{App, files_containing, sample};

async fn testimony(app: &App, token: &str, incident: &str, body: Value) -> (StatusCode, Value) {
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{incident}/testimonies"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn testimonies_are_sealed_and_every_read_is_logged() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let incident = app.incident(0, "School closed").await;
    let (status, created) = testimony(
        &app,
        &t,
        &incident,
        json!({
            "statement": "canary-statement-7f3a: they closed the school",
            "witness_name": "canary-name-7f3a",
            "witness_contact": "canary-contact-7f3a",
            "language": "en",
            "consent": ["internal", "legal"]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("tst_"));

    // An authorised member reads it back; the read grew the log.
    for role in [Role::Documenter, Role::Analyst, Role::Legal, Role::Admin] {
        let token = app.member(0, role).token.clone();
        let before = app.log_size();
        let (status, got) = app
            .api(
                Method::GET,
                &format!("/api/v1/testimonies/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{role}: {got}");
        assert_eq!(
            got["statement"],
            "canary-statement-7f3a: they closed the school"
        );
        assert_eq!(got["witness_name"], "canary-name-7f3a");
        assert_eq!(got["consent"], json!(["internal", "legal"]));
        assert_eq!(
            app.log_size(),
            before + 1,
            "{role}: the read was not logged"
        );
        let last = app.state.ledger.store.custody(&id).unwrap();
        assert_eq!(last.last().unwrap().action, "view");
    }
    // A viewer sees the internal fields only, and nothing is logged.
    let viewer = app.member(0, Role::Viewer).token.clone();
    let before = app.log_size();
    let (status, got) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{id}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        got.get("statement").is_none() && got.get("witness_name").is_none(),
        "{got}"
    );
    assert_eq!(got["language"], "en");
    assert_eq!(app.log_size(), before);
    // Another organisation does not find it, nor can it add to the incident.
    let stranger = app.member(1, Role::Admin).token.clone();
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{id}"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = testimony(
        &app,
        &stranger,
        &incident,
        json!({"statement": "x", "language": "en"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The incident lists it without anything confidential.
    let (_, list) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{incident}/testimonies"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(list["testimonies"][0]["id"], id.as_str());
    assert!(!list.to_string().contains("canary"));
}

#[tokio::test]
async fn bad_testimonies_name_the_field_and_write_nothing() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let incident = app.incident(0, "x").await;
    let before = app.log_size();
    for (body, field) in [
        (json!({"statement": "", "language": "en"}), "statement"),
        (json!({"statement": "s", "language": "english"}), "language"),
        (
            json!({"statement": "s", "language": "en", "consent": ["everything"]}),
            "consent",
        ),
        (
            json!({"statement": "s", "language": "en", "consent": ["named_publication"]}),
            "witness_name",
        ),
    ] {
        let (status, v) = testimony(&app, &t, &incident, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["field"], field, "{v}");
    }
    let (status, _) = testimony(
        &app,
        &t,
        &incident,
        json!({"statement": "s", "language": "en", "extra": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let viewer = app.member(0, Role::Viewer).token.clone();
    let (status, _) = testimony(
        &app,
        &viewer,
        &incident,
        json!({"statement": "s", "language": "en"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.log_size(), before);
}

#[tokio::test]
async fn no_confidential_plaintext_reaches_the_disk() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let mut body = sample("canary incident");
    body["exact_location"] = json!("canary-location-91c2");
    let (status, inc) = app
        .api(Method::POST, "/api/v1/incidents", Some(&t), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inc}");
    let incident = inc["id"].as_str().unwrap().to_owned();
    let (status, _) = testimony(
        &app,
        &t,
        &incident,
        json!({"statement": "canary-statement-91c2", "witness_name": "canary-witness-91c2",
               "witness_contact": "canary-contact-91c2", "language": "fa", "consent": ["legal"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, person) = app
        .api(
            Method::POST,
            "/api/v1/people",
            Some(&t),
            Some(
                json!({"pseudonym": "V-1", "roles": ["victim"], "name": "canary-person-91c2",
                        "contact": "canary-phone-91c2", "notes": "canary-notes-91c2"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    // Edit the incident too: every version is sealed, not only the first.
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/incidents/{incident}"),
            Some(&t),
            Some(json!({"exact_location": "canary-location2-91c2"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let dir = app.data_dir();
    for canary in [
        "canary-location-91c2",
        "canary-location2-91c2",
        "canary-statement-91c2",
        "canary-witness-91c2",
        "canary-contact-91c2",
        "canary-person-91c2",
        "canary-phone-91c2",
        "canary-notes-91c2",
    ] {
        let found = files_containing(&dir, canary.as_bytes());
        assert!(found.is_empty(), "{canary} in {found:?}");
    }
    // ... while an authorised member still reads every one back.
    let person_id = person["id"].as_str().unwrap();
    let (_, p) = app
        .api(
            Method::GET,
            &format!("/api/v1/people/{person_id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(p["name"], "canary-person-91c2");
    assert_eq!(p["notes"], "canary-notes-91c2");
    let (_, i) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{incident}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(i["exact_location"], "canary-location2-91c2");
}

#[tokio::test]
async fn swapped_or_flipped_sealed_values_are_refused() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let incident = app.incident(0, "x").await;
    let mut ids = Vec::new();
    for n in 0..2 {
        let (_, v) = testimony(
            &app,
            &t,
            &incident,
            json!({"statement": format!("statement {n}"), "language": "en"}),
        )
        .await;
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    let db = rusqlite::Connection::open(app.data_dir().join("gawah.db")).unwrap();
    let sealed = |id: &str| -> Vec<u8> {
        db.query_row("SELECT sealed FROM testimonies WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let (a, b) = (sealed(&ids[0]), sealed(&ids[1]));
    // Swap the two rows' sealed values: each is bound to its own row, so neither opens.
    for (id, value) in [(&ids[0], &b), (&ids[1], &a)] {
        db.execute(
            "UPDATE testimonies SET sealed = ?1 WHERE id = ?2",
            rusqlite::params![value, id],
        )
        .unwrap();
    }
    for id in &ids {
        let (status, v) = app
            .api(
                Method::GET,
                &format!("/api/v1/testimonies/{id}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
        assert!(!v.to_string().contains("statement "), "{v}");
    }
    // Put them back, then flip one bit of one.
    let mut flipped = a.clone();
    flipped[a.len() / 2] ^= 0x04;
    db.execute(
        "UPDATE testimonies SET sealed = ?1 WHERE id = ?2",
        rusqlite::params![flipped, ids[0]],
    )
    .unwrap();
    db.execute(
        "UPDATE testimonies SET sealed = ?1 WHERE id = ?2",
        rusqlite::params![b, ids[1]],
    )
    .unwrap();
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{}", ids[0]),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{}", ids[1]),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["statement"], "statement 1");
}

#[tokio::test]
async fn acts_link_people_to_incidents_many_to_many() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let incidents = [app.incident(0, "a").await, app.incident(0, "b").await];
    let mut people = Vec::new();
    for (p, role) in [("V-1", "victim"), ("V-2", "victim"), ("P-1", "perpetrator")] {
        let (_, v) = app
            .api(
                Method::POST,
                "/api/v1/people",
                Some(&t),
                Some(json!({"pseudonym": p, "roles": [role]})),
            )
            .await;
        people.push(v["id"].as_str().unwrap().to_owned());
    }
    for incident in &incidents {
        let (status, v) = app
            .api(
                Method::POST,
                &format!("/api/v1/incidents/{incident}/acts"),
                Some(&t),
                Some(json!({"violation_type": "education", "victims": [people[0], people[1]], "perpetrators": [people[2]]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let (_, acts) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{}/acts", incidents[1]),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(acts["acts"][0]["victims"].as_array().unwrap().len(), 2);
    assert_eq!(acts["acts"][0]["perpetrators"][0], people[2].as_str());
    // Unknown violation type; another organisation's person.
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/incidents/{}/acts", incidents[0]),
            Some(&t),
            Some(json!({"violation_type": "jaywalking"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = app.member(1, Role::Documenter).token.clone();
    let (_, stranger) = app
        .api(
            Method::POST,
            "/api/v1/people",
            Some(&other),
            Some(json!({"pseudonym": "S"})),
        )
        .await;
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/incidents/{}/acts", incidents[0]),
            Some(&t),
            Some(json!({"violation_type": "education", "victims": [stranger["id"]]})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn erasure_needs_two_admins_and_leaves_a_log_that_verifies() {
    let app = App::new();
    let t = app.member(0, Role::Documenter).token.clone();
    let incident = app.incident(0, "x").await;
    let (_, created) = testimony(
        &app,
        &t,
        &incident,
        json!({"statement": "withdrawn-statement", "witness_name": "withdrawn-name", "language": "en", "consent": ["internal"]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, kept) = testimony(
        &app,
        &t,
        &incident,
        json!({"statement": "kept", "language": "en"}),
    )
    .await;
    let kept = kept["id"].as_str().unwrap().to_owned();
    // The data key as stored before, to try it after.
    let db = rusqlite::Connection::open(app.data_dir().join("gawah.db")).unwrap();
    let sealed: Vec<u8> = db
        .query_row("SELECT sealed FROM testimonies WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();

    // Only admins ask; the asking admin cannot approve; a second one can.
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/erasures",
            Some(&t),
            Some(json!({"record": id})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let a1 = app.member(0, Role::Admin).token.clone();
    let (status, req) = app
        .api(
            Method::POST,
            "/api/v1/erasures",
            Some(&a1),
            Some(json!({"record": id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{req}");
    let req_id = req["id"].as_str().unwrap().to_owned();
    let approve = format!("/api/v1/erasures/{req_id}/approve");
    let (status, _) = app.api(Method::POST, &approve, Some(&a1), None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the asker approved their own request"
    );
    // Still readable until approved.
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Another organisation's admin cannot approve it.
    let stranger = app.member(1, Role::Admin).token.clone();
    let (status, _) = app.api(Method::POST, &approve, Some(&stranger), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let a2 = app.second_admin(0);
    let (status, done) = app.api(Method::POST, &approve, Some(&a2), None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["erased"], true);

    // Gone for everyone; the other testimony is untouched.
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{id}"),
            Some(&a1),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::GONE);
    let (_, other) = app
        .api(
            Method::GET,
            &format!("/api/v1/testimonies/{kept}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(other["statement"], "kept");
    // The data key is gone, and the keys left cannot open what was sealed.
    let keys_left: i64 = db
        .query_row(
            "SELECT count(*) FROM data_keys WHERE record = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys_left, 0);
    let vault = app.state.ledger.vault().unwrap();
    let mut data_keys = db.prepare("SELECT record FROM data_keys").unwrap();
    let records: Vec<String> = data_keys
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for record in &records {
        let key = vault.key(record).unwrap();
        for binding_record in [id.as_str(), record.as_str()] {
            assert!(
                gawah_store::Vault::open_bytes(
                    &key,
                    "testimonies",
                    "sealed",
                    binding_record,
                    &sealed
                )
                .is_err()
            );
        }
    }
    // The log verifies, and holds the request and the approval.
    let ledger = &app.state.ledger;
    let cp = ledger.checkpoint().unwrap();
    let report = gawah_store::verify_all(
        ledger.store.as_ref(),
        &*ledger.blobs,
        &ledger.signer().verifier(),
    );
    assert!(report.ok(), "{:?}", report.failures);
    assert_eq!(report.checkpoint_size, Some(cp.size));
    let custody = app.state.ledger.store.custody(&id).unwrap();
    let disposition: Vec<_> = custody
        .iter()
        .filter(|c| c.action == "disposition")
        .collect();
    assert_eq!(disposition.len(), 2);
    // The access report shows the reads of it.
    let (status, report) = app
        .api(
            Method::GET,
            &format!("/api/v1/access?record={id}"),
            Some(&a1),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["reads"], 1);
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/access?record={id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/access?record={id}"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The access report as a page: admins only, per record and per member, reads counted.
#[tokio::test]
async fn the_access_report_page_lists_reads_for_admins_only() {
    let app = App::new();
    let incident = app.incident(0, "Access page").await;
    let reader = app.member(0, Role::Legal).token.clone();
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{incident}"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let admin = app.member(0, Role::Admin);
    let (status, _, html) = app
        .page(
            Method::GET,
            &format!("/admin/access?record={incident}"),
            Some(&admin.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<strong>1</strong>"), "one read: {html}");
    assert!(
        html.contains(">view<") && html.contains(">create<"),
        "{html}"
    );
    let legal = app.member(0, Role::Legal);
    let (status, _, html) = app
        .page(
            Method::GET,
            &format!("/admin/access?username={}", legal.username),
            Some(&admin.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<code>{incident}</code>")), "{html}");
    // Another organisation's record is not found; other roles may not look.
    let theirs = app.incident(1, "Theirs").await;
    let (_, _, html) = app
        .page(
            Method::GET,
            &format!("/admin/access?record={theirs}"),
            Some(&admin.session),
            None,
        )
        .await;
    assert!(html.contains("role=\"alert\""), "{html}");
    let (status, _, _) = app
        .page(
            Method::GET,
            &format!("/admin/access?record={incident}"),
            Some(&legal.session),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
