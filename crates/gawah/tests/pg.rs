//! A data dir on PostgreSQL, end to end through the real binary: `gawah init
//! --database-url`, ingest, an organisation and a member, `gawah serve` taking an upload and
//! a testimony over the API, and `gawah log verify` recomputing everything from the database.
//!
//! Needs `GAWAH_TEST_DATABASE_URL` (`eval "$(scripts/postgres.sh start DIR)"`); without it
//! the test fails, saying so. The data dir's database is a fresh schema of its own; the
//! password reaches every command after `init` through `PGPASSWORD`, as an operator's would
//! (`gawah.toml` keeps the URL without it).

#[path = "it/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};

use gawah_store::conformance::pg_schemas::Schemas;
use harness::{Run, Server, gawah, s, write};
use serde_json::json;

/// The password in a `postgres://user:password@host/...` URL (the test server's is hex).
fn password_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let userinfo = rest.split_once('@').map_or("", |(u, _)| u);
    let password = userinfo.split_once(':').map_or("", |(_, p)| p);
    assert!(
        !password.is_empty() && !password.contains('%'),
        "the test URL needs a plain password"
    );
    password.to_owned()
}

/// A data dir on a fresh schema, and the password its commands are given.
struct PgDir {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    inputs: PathBuf,
    password: String,
}

impl PgDir {
    /// Runs `gawah <args> --data-dir <dir>` with the password in `PGPASSWORD`.
    fn run(&self, args: &[&str]) -> Run {
        let out = gawah()
            .env_remove("GAWAH_DATABASE_URL")
            .env("PGPASSWORD", &self.password)
            .args(args)
            .args(["--data-dir", s(&self.dir)])
            .output()
            .expect("spawn gawah");
        Run::from_output(out)
    }

    /// Adds a member (password through stdin) and returns a new API token of theirs.
    fn member_token(&self, org: &str, username: &str, role: &str) -> String {
        let command = || {
            let mut c = gawah();
            c.env_remove("GAWAH_DATABASE_URL")
                .env("PGPASSWORD", &self.password);
            c
        };
        harness::member_token_with(command, &self.dir, org, username, role)
    }
}

fn init(dbs: &Schemas) -> PgDir {
    let db = dbs.fresh();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let inputs = tmp.path().join("in");
    let out = gawah()
        .env_remove("GAWAH_DATABASE_URL")
        .env_remove("PGPASSWORD")
        .args([
            "init",
            "--data-dir",
            s(&dir),
            "--origin",
            "pg.example/gawah",
        ])
        .args(["--database-url", &db.text])
        .output()
        .expect("spawn gawah");
    Run::from_output(out).ok();
    PgDir {
        _tmp: tmp,
        dir,
        inputs,
        password: password_of(&db.text),
    }
}

/// The schema the data dir's `database_url` names.
fn schema_of(dir: &Path) -> String {
    let config = std::fs::read_to_string(dir.join("gawah.toml")).expect("gawah.toml");
    config
        .split("search_path%3D")
        .nth(1)
        .and_then(|r| r.split(['"', '&']).next())
        .expect("the schema in database_url")
        .to_owned()
}

/// The log's size as the database holds it.
fn log_size(dbs: &Schemas, dir: &Path) -> i64 {
    let schema = schema_of(dir);
    dbs.admin()
        .query_one(&format!("SELECT size FROM {schema}.log_head"), &[])
        .expect("read the log head")
        .get(0)
}

#[test]
fn a_data_dir_on_postgres_ingests_serves_and_verifies() {
    let dbs = Schemas::new();
    let pg = init(&dbs);
    let config = std::fs::read_to_string(pg.dir.join("gawah.toml")).unwrap();
    assert!(config.contains("database_url = \"postgres://"), "{config}");
    assert!(!config.contains(&pg.password), "no password in gawah.toml");
    assert!(!pg.dir.join("gawah.db").exists(), "no SQLite database");

    // Without the password the database refuses, saying so.
    let out = gawah()
        .env_remove("GAWAH_DATABASE_URL")
        .env_remove("PGPASSWORD")
        .args(["log", "verify", "--data-dir", s(&pg.dir)])
        .output()
        .unwrap();
    let refused = Run::from_output(out);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(!refused.stderr.contains(&pg.password), "{refused:?}");

    let file = write(&pg.inputs, "statement.txt", b"a statement taken in Herat");
    pg.run(&["ingest", "--case", "CASE-PG", s(&file)]).ok();
    pg.run(&["admin", "org", "add", "Org PG"]).ok();
    // A second organisation of the same name is refused by the database, as on SQLite.
    pg.run(&["admin", "org", "add", "Org PG"])
        .fails(2, "an organisation named \"Org PG\" exists");
    let token = pg.member_token("Org PG", "doc", "documenter");
    let before = log_size(&dbs, &pg.dir);

    let server = Server::start_with(&pg.dir, |c| {
        c.env_remove("GAWAH_DATABASE_URL")
            .env("PGPASSWORD", &pg.password);
    });
    let (status, inc) = server.call(
        "POST",
        "/api/v1/incidents",
        &token,
        Some(
            json!({"title": "School closed", "date": "2022-03-23", "province": "AF-HER",
                    "violation_types": ["education"]}),
        ),
    );
    assert_eq!(status, 201, "{inc}");
    let incident = inc["id"].as_str().unwrap().to_owned();
    let (status, t) = server.call(
        "POST",
        &format!("/api/v1/incidents/{incident}/testimonies"),
        &token,
        Some(json!({"statement": "she was sent home", "language": "fa",
                    "consent": ["internal"]})),
    );
    assert_eq!(status, 201, "{t}");
    let testimony = t["id"].as_str().unwrap().to_owned();
    let boundary = "gawahpgboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\nCASE-PG\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"incident\"\r\n\r\n{incident}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gate.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\na photo of the gate\r\n--{boundary}--\r\n"
    );
    let (status, up) = server.send(
        "POST",
        "/api/v1/evidence",
        &token,
        &format!("multipart/form-data; boundary={boundary}"),
        body.as_bytes(),
    );
    assert_eq!(status, 201, "{up}");
    let (status, got) = server.call(
        "GET",
        &format!("/api/v1/testimonies/{testimony}"),
        &token,
        None,
    );
    assert_eq!(status, 200, "{got}");
    assert!(got.to_string().contains("she was sent home"), "{got}");
    let (status, list) = server.call("GET", "/api/v1/incidents", &token, None);
    assert_eq!(status, 200, "{list}");
    assert!(list.to_string().contains(&incident), "{list}");
    server.stop();

    assert!(
        log_size(&dbs, &pg.dir) >= before + 3,
        "the incident, the testimony and the upload are logged"
    );
    let size = log_size(&dbs, &pg.dir);
    let verified = pg.run(&["log", "verify", "--json"]).ok();
    let report = &verified.json_lines()[0];
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["entries"], size, "{report}");
    assert_eq!(
        report["items"], 2,
        "the ingested file and the upload: {report}"
    );

    // A row changed behind gawah's back is found.
    let schema = schema_of(&pg.dir);
    dbs.admin()
        .batch_execute(&format!("UPDATE {schema}.items SET bytes = bytes + 1"))
        .expect("tamper");
    let tampered = pg.run(&["log", "verify", "--json"]);
    assert_ne!(tampered.code, 0, "{tampered:?}");
    assert_eq!(tampered.json_lines()[0]["ok"], false, "{tampered:?}");
}
