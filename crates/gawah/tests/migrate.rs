//! `gawah migrate-store` end to end: a data dir on SQLite and a local folder moved to
//! PostgreSQL and S3 (Garage), then back to SQLite and a local folder; after each step
//! `gawah log verify` passes, the head and the items are the same, and `gawah serve`
//! serves the migrated data (a testimony, an upload's download).
//!
//! Needs `GAWAH_TEST_DATABASE_URL` (`scripts/postgres.sh start DIR`) and
//! `GAWAH_TEST_S3_URL` with the `AWS_*` variables (`scripts/garage.sh DIR`); without them
//! the test fails, saying so.

#[path = "it/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

use gawah_store::conformance::pg_schemas::Schemas;
use harness::{Instance, Run, Server, gawah, s, write};
use serde_json::Value;

fn s3_url() -> String {
    let base = std::env::var("GAWAH_TEST_S3_URL").unwrap_or_else(|_| {
        panic!(
            "GAWAH_TEST_S3_URL is not set: start Garage with \
             `eval \"$(scripts/garage.sh /tmp/gawah-garage)\"` (scripts/test.sh does) and run again"
        )
    });
    let nonce: [u8; 6] = gawah_core::random::random_bytes().expect("random");
    format!(
        "{}/migrate-{}",
        base.trim_end_matches('/'),
        hex::encode(nonce)
    )
}

/// The password of the test server's URL, which commands get through `PGPASSWORD`.
fn password_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let userinfo = rest.split_once('@').map_or("", |(u, _)| u);
    userinfo.split_once(':').map_or("", |(_, p)| p).to_owned()
}

/// `gawah <args> --data-dir <dir>`, with the database password in `PGPASSWORD` and no
/// `GAWAH_DATABASE_URL` (which would override gawah.toml).
fn run_in(dir: &Path, password: &str, args: &[&str]) -> Run {
    Run::from_output(
        gawah()
            .env_remove("GAWAH_DATABASE_URL")
            .env_remove("GAWAH_BLOB_URL")
            .env("PGPASSWORD", password)
            .args(args)
            .args(["--data-dir", s(dir)])
            .output()
            .expect("spawn gawah"),
    )
}

/// What must not change across a migration: the verified log and the items.
#[derive(Debug, PartialEq)]
struct State {
    size: Value,
    items: Value,
    checkpoint: Value,
    shown: Vec<String>,
}

fn state(dir: &Path, password: &str, items: &[String]) -> State {
    let verified = run_in(dir, password, &["log", "verify", "--json"])
        .ok()
        .json_lines();
    assert_eq!(verified[0]["ok"], true, "{verified:?}");
    let shown = items
        .iter()
        .map(|i| {
            run_in(dir, password, &["item", "show", "--json", i])
                .ok()
                .stdout
        })
        .collect();
    State {
        size: verified[0]["entries"].clone(),
        items: verified[0]["items"].clone(),
        checkpoint: verified[0]["checkpoint_size"].clone(),
        shown,
    }
}

fn serves(dir: &Path, password: &str, token: &str, testimony: &str, upload: &str) {
    let server = Server::start_with(dir, |c| {
        c.env_remove("GAWAH_DATABASE_URL")
            .env_remove("GAWAH_BLOB_URL")
            .env("PGPASSWORD", password);
    });
    let (status, t) = server.call(
        "GET",
        &format!("/api/v1/testimonies/{testimony}"),
        token,
        None,
    );
    assert_eq!(status, 200, "{t}");
    assert!(t.to_string().contains("sent home at the gate"), "{t}");
    let (status, _, body) = server.raw(
        "GET",
        &format!("/api/v1/evidence/{upload}/file"),
        &[format!("Authorization: Bearer {token}")],
        b"",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("a photo of the closed gate"), "{body}");
    server.stop();
}

#[test]
fn migrate_sqlite_and_folder_to_postgres_and_s3_and_back() {
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let password = password_of(&db.text);
    let bucket = s3_url();
    let inst = Instance::new();
    let inputs = inst.input_dir();
    let mut items = Vec::new();
    for (name, confidential) in [("order.txt", false), ("names.txt", true)] {
        let f = write(&inputs, name, format!("content of {name}").as_bytes());
        let mut args = vec!["ingest", "--json"];
        if confidential {
            args.push("--confidential");
        }
        args.push(s(&f));
        let out = inst.run(&args).ok().json_lines();
        items.push(out[0]["item"].as_str().expect("item").to_owned());
    }
    let harness::Recorded {
        testimony,
        upload,
        token,
        ..
    } = inst.record_case("Org M", "migrate");
    items.push(upload.clone());
    inst.run(&["log", "checkpoint"]).ok();
    let before = state(&inst.dir, &password, &items);

    // To PostgreSQL and S3.
    let moved = run_in(
        &inst.dir,
        &password,
        &[
            "migrate-store",
            "--to-database-url",
            &db.text,
            "--to-blob-url",
            &bucket,
            "--json",
        ],
    )
    .ok()
    .json_lines();
    assert_eq!(moved[0]["ok"], true, "{moved:?}");
    assert_eq!(moved[0]["blobs_copied"], 3, "{moved:?}");
    let config = std::fs::read_to_string(inst.dir.join("gawah.toml")).expect("config");
    assert!(config.contains("database_url = \"postgres://"), "{config}");
    assert!(config.contains(&bucket), "{config}");
    assert!(!config.contains(&password), "no password in gawah.toml");
    assert!(inst.dir.join("gawah.toml.before-migration").is_file());
    assert!(
        !inst.dir.join("gawah.db").exists(),
        "the old database is set aside"
    );
    assert_eq!(state(&inst.dir, &password, &items), before);
    // Serving reads (logged as views), so the log grows here.
    serves(&inst.dir, &password, &token, &testimony, &upload);
    let served = state(&inst.dir, &password, &items);
    assert_ne!(served.size, before.size, "the reads were logged");

    // Into a target that is not empty: refused, and the data dir is left as it was.
    let again = run_in(
        &inst.dir,
        &password,
        &[
            "migrate-store",
            "--to-database-url",
            &db.text,
            "--to-blob-url",
            &bucket,
        ],
    );
    assert_eq!(again.code, 2, "{again:?}");

    // Back to SQLite and the data dir's own folder.
    let blobs = inst.dir.join("blobs");
    let back = run_in(
        &inst.dir,
        &password,
        &[
            "migrate-store",
            "--to-database-url",
            "sqlite",
            "--to-blob-url",
            s(&blobs),
            "--json",
        ],
    )
    .ok()
    .json_lines();
    assert_eq!(back[0]["ok"], true, "{back:?}");
    assert_eq!(
        back[0]["blobs_skipped"], 3,
        "the folder still had them: {back:?}"
    );
    let config = std::fs::read_to_string(inst.dir.join("gawah.toml")).expect("config");
    assert!(!config.contains("database_url"), "{config}");
    assert!(!config.contains("[blob]"), "{config}");
    assert!(inst.dir.join("gawah.db").is_file());
    assert_eq!(state(&inst.dir, &password, &items), served);
    serves(&inst.dir, &password, &token, &testimony, &upload);
}
