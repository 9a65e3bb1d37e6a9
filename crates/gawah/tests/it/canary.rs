//! The canary test: a unique string in every confidential field, through the real server;
//! after it stops, no copy anywhere under the data dir nor in its log output, while an
//! authorised member read each one back and each read grew the log.

use serde_json::json;

use crate::harness::{Instance, Server, files_containing};

#[test]
fn no_canary_survives_on_disk_or_in_the_server_log() {
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", "Canary Org"]).ok();
    let token = inst.member_token("Canary Org", "doc", "documenter");

    let server = Server::start(&inst.dir);
    let canaries = [
        "cnry-location-e41d",
        "cnry-statement-e41d",
        "cnry-witness-e41d",
        "cnry-wcontact-e41d",
        "cnry-person-e41d",
        "cnry-pcontact-e41d",
        "cnry-notes-e41d",
    ];
    let (status, inc) = server.call(
        "POST",
        "/api/v1/incidents",
        &token,
        Some(
            json!({"title": "Canary", "date": "2023-01-02", "province": "AF-BAL",
                    "violation_types": ["education"], "exact_location": canaries[0]}),
        ),
    );
    assert_eq!(status, 201, "{inc}");
    let incident = inc["id"].as_str().unwrap().to_owned();
    let (status, tst) = server.call(
        "POST",
        &format!("/api/v1/incidents/{incident}/testimonies"),
        &token,
        Some(
            json!({"statement": canaries[1], "witness_name": canaries[2],
                    "witness_contact": canaries[3], "language": "fa", "consent": ["legal"]}),
        ),
    );
    assert_eq!(status, 201, "{tst}");
    let (status, per) = server.call(
        "POST",
        "/api/v1/people",
        &token,
        Some(json!({"pseudonym": "W-9", "name": canaries[4], "contact": canaries[5], "notes": canaries[6]})),
    );
    assert_eq!(status, 201, "{per}");
    // A bad request with a canary in it: refused, and its text must not be logged either.
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/incidents/{incident}/testimonies"),
        &token,
        Some(json!({"statement": canaries[1], "language": "not a language"})),
    );
    assert_eq!(status, 422);

    // Read back, each read growing the log by one.
    let reads = [
        (
            format!("/api/v1/incidents/{incident}"),
            "exact_location",
            canaries[0],
        ),
        (
            format!("/api/v1/testimonies/{}", tst["id"].as_str().unwrap()),
            "statement",
            canaries[1],
        ),
        (
            format!("/api/v1/people/{}", per["id"].as_str().unwrap()),
            "notes",
            canaries[6],
        ),
    ];
    let head = || -> u64 {
        let size: i64 = inst
            .db()
            .query_row("SELECT size FROM log_head", [], |r| r.get(0))
            .unwrap();
        size as u64
    };
    for (path, field, canary) in reads {
        let before = head();
        let (status, v) = server.call("GET", &path, &token, None);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v[field], canary);
        assert_eq!(head(), before + 1, "the read of {path} was not logged");
    }
    // The search index is filled by the server (and by `gawah search`): it is under the data
    // dir too, and the incident is in it.
    let (status, found) = server.call("GET", "/api/v1/search?q=Canary", &token, None);
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1, "{found}");
    let output = server.stop();
    assert!(inst.dir.join("index").is_dir());
    for canary in canaries {
        assert!(!output.contains(canary), "{canary} in the server output");
        let found = files_containing(&inst.dir, canary.as_bytes());
        assert!(found.is_empty(), "{canary} in {found:?}");
    }
    inst.run(&["log", "verify"]).ok();
}
