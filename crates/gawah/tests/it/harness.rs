//! A small harness: run the real binary on a fresh data dir and read what it says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

/// The key file every test data dir is unlocked with (a test key, mode 0600), made once.
pub fn key_file() -> &'static Path {
    static KEY: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = KEY.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("test.key");
        std::fs::write(&path, format!("{}\n", "5e".repeat(32))).expect("write key");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        (dir, path)
    });
    path
}

/// The gawah binary under test, unlocking keys with [`key_file`].
pub fn gawah() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gawah"));
    c.env_remove("GAWAH_DATA_DIR")
        .env_remove("GAWAH_PASSPHRASE_FILE")
        .env("GAWAH_KEY_FILE", key_file());
    c
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished command printed.
    pub fn from_output(out: Output) -> Self {
        let run = Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "gawah panicked: {}",
            run.stderr
        );
        run
    }

    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success, got {self:?}");
        self
    }

    /// Asserts the exit code and that stderr mentions `needle`.
    #[track_caller]
    pub fn fails(self, code: i32, needle: &str) -> Self {
        assert_eq!(self.code, code, "wrong exit code: {self:?}");
        let all = format!("{}{}", self.stdout, self.stderr);
        assert!(
            all.contains(needle),
            "expected {needle:?} in output: {self:?}"
        );
        self
    }

    /// stdout as JSON lines.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }
}

/// Runs gawah with `args` and collects its output.
pub fn run(args: &[&str]) -> Run {
    Run::from_output(gawah().args(args).output().expect("spawn gawah"))
}

/// A fresh, initialised data dir in a temp folder that lives as long as this value.
pub struct Instance {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Instance {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        run(&[
            "init",
            "--data-dir",
            s(&dir),
            "--origin",
            "test.example/gawah",
        ])
        .ok();
        Self { tmp, dir }
    }

    /// Runs `gawah <args> --data-dir <dir>`.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data-dir", s(&self.dir)]);
        run(&all)
    }

    /// A folder for inputs.
    pub fn input_dir(&self) -> PathBuf {
        let p = self.tmp.path().join("in");
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// Opens the database directly, as an attacker with disk access would.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.join("gawah.db")).expect("open db")
    }

    /// Adds a member with a password (through stdin) and returns a new API token of theirs.
    pub fn member_token(&self, org: &str, username: &str, role: &str) -> String {
        member_token_with(gawah, &self.dir, org, username, role)
    }

    /// Path of the blob with this hex SHA-256.
    pub fn blob_path(&self, sha: &str) -> PathBuf {
        self.dir.join("blobs/sha256").join(&sha[..2]).join(sha)
    }
}

/// Adds a member of `org` to the data dir at `dir` (a password through stdin) and returns a
/// new API token of theirs; `command` makes each `gawah` command (with the environment the
/// data dir needs, such as `PGPASSWORD`).
pub fn member_token_with(
    command: impl Fn() -> Command,
    dir: &Path,
    org: &str,
    username: &str,
    role: &str,
) -> String {
    let mut add = command()
        .args([
            "admin",
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
        ])
        .args(["--org", org, "--password-stdin", "--data-dir", s(dir)])
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
    let out = command()
        .args([
            "admin",
            "token",
            "create",
            "--username",
            username,
            "--data-dir",
            s(dir),
        ])
        .output()
        .expect("spawn gawah");
    Run::from_output(out)
        .ok()
        .stdout
        .trim()
        .lines()
        .last()
        .expect("a token")
        .to_owned()
}

/// A running `gawah serve`, stopped (and its output collected) by [`Server::stop`].
pub struct Server {
    child: Child,
    addr: String,
    stdout: String,
}

impl Server {
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, |_| {})
    }

    /// Like [`Server::start`], with the command adjusted first (its environment, its keys).
    pub fn start_with(dir: &Path, adjust: impl FnOnce(&mut Command)) -> Self {
        let mut cmd = gawah();
        cmd.env("GAWAH_LOG", "debug");
        adjust(&mut cmd);
        let mut child = cmd
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

    /// One HTTP/1.1 request with a bearer token and a JSON body; the status and the JSON body.
    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.send(method, path, token, "application/json", body.as_bytes())
    }

    /// One HTTP/1.1 request with a bearer token and any body; the status and the JSON body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let mut conn = TcpStream::connect(&self.addr).unwrap();
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .unwrap();
        conn.write_all(body).unwrap();
        let mut response = Vec::new();
        conn.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response);
        let status: u16 = response[9..12].parse().unwrap();
        let (_, payload) = response.split_once("\r\n\r\n").unwrap();
        (status, serde_json::from_str(payload).unwrap_or(Value::Null))
    }

    /// One HTTP/1.1 request with any headers (`Name: value` lines) and body: the status, the
    /// response's header lines and its body.
    #[allow(dead_code)] // used by security_logs
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[String],
        body: &[u8],
    ) -> (u16, Vec<String>, String) {
        let mut conn = TcpStream::connect(&self.addr).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for h in headers {
            head.push_str(&format!("{h}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        conn.write_all(head.as_bytes()).unwrap();
        conn.write_all(body).unwrap();
        let mut response = Vec::new();
        conn.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response);
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head[9..12].parse().unwrap();
        let lines = head.lines().skip(1).map(str::to_owned).collect();
        (status, lines, payload.to_owned())
    }

    /// The base URL it serves on (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM, then everything it printed.
    pub fn stop(mut self) -> String {
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

/// A path as &str (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Writes `bytes` to `dir/name`, creating folders.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Hex SHA-256, computed independently of the code under test (by sha256sum).
pub fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A small deterministic generator, so failures can be replayed from the printed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
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

/// What [`Server::record_case`] made: ids, and the documenter's API token.
pub struct Recorded {
    pub incident: String,
    pub testimony: String,
    pub upload: String,
    pub token: String,
}

impl Instance {
    /// Through a real server's API, as a new documenter of `org`: an incident, a testimony
    /// (its statement sealed, consented for internal use) and a small upload linked to the
    /// incident. `text` varies the statement and the file so that data dirs differ.
    pub fn record_case(&self, org: &str, text: &str) -> Recorded {
        self.run(&["admin", "org", "add", org]).ok();
        let token = self.member_token(org, "doc", "documenter");
        let server = Server::start(&self.dir);
        let (status, inc) = server.call(
            "POST",
            "/api/v1/incidents",
            &token,
            Some(
                json!({"title": format!("School closed: {text}"), "date": "2022-03-23",
                        "province": "AF-HER", "violation_types": ["education"]}),
            ),
        );
        assert_eq!(status, 201, "{inc}");
        let incident = inc["id"].as_str().expect("incident id").to_owned();
        let (status, t) = server.call(
            "POST",
            &format!("/api/v1/incidents/{incident}/testimonies"),
            &token,
            Some(
                json!({"statement": format!("sent home at the gate: {text}"),
                        "language": "en", "consent": ["internal"]}),
            ),
        );
        assert_eq!(status, 201, "{t}");
        let testimony = t["id"].as_str().expect("testimony id").to_owned();
        let boundary = "gawahrecordcaseboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"incident\"\r\n\r\n{incident}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gate.txt\"\r\n\
             Content-Type: text/plain\r\n\r\na photo of the closed gate: {text}\r\n--{boundary}--\r\n"
        );
        let (status, up) = server.send(
            "POST",
            "/api/v1/evidence",
            &token,
            &format!("multipart/form-data; boundary={boundary}"),
            body.as_bytes(),
        );
        assert_eq!(status, 201, "{up}");
        let upload = up["item"].as_str().expect("item id").to_owned();
        server.stop();
        Recorded {
            incident,
            testimony,
            upload,
            token,
        }
    }
}
