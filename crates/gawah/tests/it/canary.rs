//! The canary test: a unique string in every confidential field, through the real server;
//! after it stops, no copy anywhere under the data dir nor in its log output, while an
//! authorised member read each one back and each read grew the log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use crate::harness::{Instance, files_containing, gawah, s};

/// A running `gawah serve`, stopped (and its output collected) by [`Server::stop`].
struct Server {
    child: Child,
    addr: String,
    stdout: String,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let mut child = gawah()
            .env("GAWAH_LOG", "debug")
            .args(["serve", "--data-dir", s(dir), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Readiness: the line with the address, printed once the socket listens.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut stdout = String::new();
        let addr = loop {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "server exited: {stdout}"
            );
            stdout.push_str(&line);
            if let Some(rest) = line.trim().strip_prefix("gawah is serving on http://") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        child.stdout = Some(out.into_inner());
        Self {
            child,
            addr,
            stdout,
        }
    }

    /// One HTTP/1.1 request with a bearer token; the status and the JSON body.
    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut conn = TcpStream::connect(&self.addr).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        conn.read_to_string(&mut response).unwrap();
        let status: u16 = response[9..12].parse().unwrap();
        let (_, payload) = response.split_once("\r\n\r\n").unwrap();
        (status, serde_json::from_str(payload).unwrap_or(Value::Null))
    }

    /// SIGTERM, then everything it printed.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let mut rest = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        self.child.wait().unwrap();
        format!("{}{rest}{err}", self.stdout)
    }
}

#[test]
fn no_canary_survives_on_disk_or_in_the_server_log() {
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", "Canary Org"]).ok();
    let mut add = gawah()
        .args([
            "admin",
            "user",
            "add",
            "--username",
            "doc",
            "--role",
            "documenter",
        ])
        .args([
            "--org",
            "Canary Org",
            "--password-stdin",
            "--data-dir",
            s(&inst.dir),
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long test password\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let token = inst
        .run(&["admin", "token", "create", "--username", "doc"])
        .ok()
        .stdout
        .trim()
        .to_owned();

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
