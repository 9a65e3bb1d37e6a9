//! A small harness: run the real binary on a fresh data dir and read what it says.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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

    /// Path of the blob with this hex SHA-256.
    pub fn blob_path(&self, sha: &str) -> PathBuf {
        self.dir.join("blobs/sha256").join(&sha[..2]).join(sha)
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
