//! A running `gawah serve` whose log goes to a file (so that a busy server, or one on a full
//! disk, never blocks on a pipe), for the test binaries that start servers of their own
//! making (`scaleout.rs`, `faults.rs`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::s;

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
    /// Starts `cmd serve --data-dir DIR` on a free loopback port, its stderr in `log`;
    /// returns once it listens.
    pub fn start(mut cmd: Command, dir: &Path, log: &Path) -> Self {
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

    /// SIGTERM (graceful: in-flight requests finish), then its log, asserting a clean exit
    /// and no panic.
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
        assert!(!log.contains("panicked"), "gawah serve panicked:\n{log}");
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
