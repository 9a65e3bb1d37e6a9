//! One gawah deployment of several servers, as docs/STORAGE.md ("Several servers") tells an
//! operator to make it: `gawah init` once on PostgreSQL and S3, then the data dir copied to
//! each server (the same gawah.toml and log signing key; the keyring is in the database);
//! each server keeps its own `uploads/`, `spool/` and search index in its copy.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::{Run, gawah, s};

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
        let mut add = self
            .command()
            .args(["admin", "user", "add", "--username", username])
            .args(["--role", "documenter", "--org", org, "--password-stdin"])
            .args(["--data-dir", s(&self.dirs[0])])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn gawah");
        add.stdin
            .take()
            .expect("stdin")
            .write_all(b"a long test password\n")
            .expect("write the password");
        assert!(add.wait().expect("wait").success(), "admin user add failed");
        let out = self
            .run(0, &["admin", "token", "create", "--username", username])
            .ok();
        out.stdout
            .trim()
            .lines()
            .last()
            .expect("a token")
            .to_owned()
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

/// A running `gawah serve`: its address, its process, its log (stderr, in a file, so a
/// busy server never blocks on a full pipe).
pub struct Node {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    log: PathBuf,
    exited: bool,
}

impl Node {
    fn start(mut cmd: Command, dir: &Path, log: &Path) -> Self {
        let stderr = std::fs::File::create(log).expect("create the server log");
        let mut child = cmd
            .env("GAWAH_LOG", "info")
            .args(["serve", "--data-dir", s(dir), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn gawah serve");
        // Readiness: the line with the address, printed once the socket listens.
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let addr = loop {
            let mut line = String::new();
            let n = out.read_line(&mut line).expect("read the server's stdout");
            if n == 0 {
                let _ = child.wait();
                panic!(
                    "gawah serve exited before listening: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if let Some(rest) = line.trim().strip_prefix("gawah is serving on http://") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        // Anything printed later is read and dropped, so stdout never fills either.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        Self {
            child,
            addr,
            log: log.to_owned(),
            exited: false,
        }
    }

    /// SIGKILL: the process dies at once, mid-request, holding whatever it held.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
        self.exited = true;
    }

    /// SIGTERM (graceful: in-flight requests finish), then its log.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "could not signal the server");
        let status = self.child.wait().expect("wait for the server");
        self.exited = true;
        let log = self.log();
        assert!(status.success(), "gawah serve failed: {status}\n{log}");
        log
    }

    /// What it wrote to stderr so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if !self.exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
