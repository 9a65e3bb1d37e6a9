//! A PostgreSQL or Garage server of a test's own, started with the repository's scripts in a
//! temp folder, so that the test may restart or stop it without disturbing the shared ones
//! other tests use. Stopped when dropped, also when the test fails.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A server run by `scripts/<script>` in a folder of its own.
pub struct Service {
    _tmp: tempfile::TempDir,
    script: PathBuf,
    dir: PathBuf,
    exports: Vec<(String, String)>,
}

impl Service {
    /// A PostgreSQL 15 of the test's own (`scripts/postgres.sh start`).
    pub fn postgres() -> Self {
        Self::start("postgres.sh", "pg")
    }

    /// A single-node Garage of the test's own (`scripts/garage.sh start`).
    pub fn garage() -> Self {
        Self::start("garage.sh", "garage")
    }

    fn start(script: &str, sub: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("gawah-scaleout-")
            .tempdir()
            .expect("tempdir");
        // As root, postgres.sh runs the server as an unprivileged user, who must reach the
        // folder inside (the same reason scripts/test.sh opens its services folder).
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the services folder");
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scripts")
            .join(script);
        let dir = tmp.path().join(sub);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut service = Self {
            _tmp: tmp,
            script,
            dir,
            exports: Vec::new(),
        };
        let printed = service.script(&["start"]);
        service.exports = printed
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        service
    }

    /// A variable the script printed (`GAWAH_TEST_DATABASE_URL`, `AWS_ENDPOINT_URL`, ...).
    pub fn export(&self, name: &str) -> String {
        self.exports
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{} printed no {name}", self.script.display()))
    }

    /// Every variable the script printed whose name starts with `prefix`.
    pub fn exports_with(&self, prefix: &str) -> Vec<(String, String)> {
        self.exports
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Stops the server (state kept).
    pub fn stop(&self) {
        self.script(&["stop"]);
    }

    /// Starts it again after [`Service::stop`]; returns once it answers.
    pub fn start_again(&self) {
        self.script(&["start"]);
    }

    /// PostgreSQL only: stops it the way a crash would, then starts it again (recovery);
    /// returns once it answers.
    pub fn restart_immediate(&self) {
        self.script(&["restart", "DIR", "immediate"]);
    }

    /// Runs the script with `args` (`DIR` in them, or else appended, is the folder);
    /// panics with its output if it fails.
    fn script(&self, args: &[&str]) -> String {
        let dir = self.dir.to_str().expect("utf-8 path");
        let mut all: Vec<&str> = args
            .iter()
            .map(|a| if *a == "DIR" { dir } else { a })
            .collect();
        if !args.contains(&"DIR") {
            all.push(dir);
        }
        let out = Command::new("bash")
            .arg(&self.script)
            .args(&all)
            .output()
            .expect("run a service script");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{} {all:?} failed: {stdout}{}",
            self.script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}
