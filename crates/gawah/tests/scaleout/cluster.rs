//! One gawah deployment of several servers, as docs/STORAGE.md ("Several servers") tells an
//! operator to make it: `gawah init` once on PostgreSQL and S3, then the data dir copied to
//! each server (the same gawah.toml and log signing key; the keyring is in the database);
//! each server keeps its own `uploads/`, `spool/` and search index in its copy.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Run, gawah, s};
pub use crate::node::Node;

/// The password in a `postgres://user:password@host/...` URL (the test servers' are hex).
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

/// A blob URL of the test's own under `base` (`s3://bucket`): a fresh prefix.
pub fn blob_url(base: &str, test: &str) -> String {
    let nonce: [u8; 6] = gawah_core::random::random_bytes().expect("randomness");
    format!(
        "{}/scaleout-{test}-{}",
        base.trim_end_matches('/'),
        hex::encode(nonce)
    )
}

/// The shared Garage's bucket, from `GAWAH_TEST_S3_URL`; panics with how to get one.
pub fn shared_s3_url() -> String {
    std::env::var("GAWAH_TEST_S3_URL").unwrap_or_else(|_| {
        panic!(
            "GAWAH_TEST_S3_URL is not set: start Garage with \
             `eval \"$(scripts/garage.sh /tmp/gawah-garage)\"` (scripts/test.sh does) and run again"
        )
    })
}

/// Data dirs of one deployment, one per server, and a documenter's API token.
pub struct Deployment {
    tmp: tempfile::TempDir,
    dirs: Vec<PathBuf>,
    env: Vec<(String, String)>,
    /// A documenter's bearer token (member of organisation "Org Scale").
    pub token: String,
}

impl Deployment {
    /// `gawah init` on `database_url` (with its password) and `blob_url`, an organisation
    /// and a documenter, then the data dir copied for each of `servers`. `env` is given to
    /// every command (a dedicated Garage's `AWS_*`).
    pub fn init(
        database_url: &str,
        blob_url: &str,
        env: &[(String, String)],
        servers: usize,
    ) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let first = tmp.path().join("server-0");
        let mut env = env.to_vec();
        env.push(("PGPASSWORD".into(), password_of(database_url)));
        let mut dep = Self {
            tmp,
            dirs: vec![first.clone()],
            env,
            token: String::new(),
        };
        let mut init = dep.command();
        init.env_remove("PGPASSWORD")
            .args(["init", "--data-dir", s(&first)])
            .args(["--origin", "scaleout.example/gawah"])
            .args(["--database-url", database_url, "--blob-url", blob_url]);
        Run::from_output(init.output().expect("spawn gawah")).ok();
        dep.run(0, &["admin", "org", "add", "Org Scale"]).ok();
        dep.token = dep.member_token("Org Scale", "doc");
        for n in 1..servers {
            let dir = dep.tmp.path().join(format!("server-{n}"));
            copy_dir(&first, &dir);
            dep.dirs.push(dir);
        }
        dep
    }

    /// The gawah binary with this deployment's environment (and no other store chosen).
    pub fn command(&self) -> Command {
        let mut c = gawah();
        c.env_remove("GAWAH_DATABASE_URL")
            .env_remove("GAWAH_BLOB_URL");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs `gawah <args> --data-dir <server's dir>`.
    pub fn run(&self, server: usize, args: &[&str]) -> Run {
        let out = self
            .command()
            .args(args)
            .args(["--data-dir", s(&self.dirs[server])])
            .output()
            .expect("spawn gawah");
        Run::from_output(out)
    }

    /// Starts `gawah serve` on the server's data dir.
    pub fn serve(&self, server: usize) -> Node {
        let log = self.tmp.path().join(format!("serve-{server}.log"));
        Node::start(self.command(), &self.dirs[server], &log)
    }

    /// `gawah log verify --json` on the server's copy: its report, asserted ok.
    pub fn verify(&self, server: usize) -> serde_json::Value {
        let run = self.run(server, &["log", "verify", "--json"]);
        let report = run
            .json_lines()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no report: {run:?}"));
        assert_eq!(report["ok"], true, "the log does not verify: {run:?}");
        assert_eq!(run.code, 0, "{run:?}");
        report
    }

    fn member_token(&self, org: &str, username: &str) -> String {
        let dir = &self.dirs[0];
        crate::harness::member_token_with(|| self.command(), dir, org, username, "documenter")
    }
}

/// Copies a data dir made by `init` (files and folders, modes kept; folders 0700).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    for entry in std::fs::read_dir(from).expect("read the data dir") {
        let entry = entry.expect("read the data dir");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            // std::fs::copy keeps the mode: the signing key stays 0600.
            std::fs::copy(entry.path(), &dest).expect("copy a data dir file");
        }
    }
}
