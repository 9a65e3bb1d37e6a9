//! An embedded gawah (SQLite and a local blob folder) made by the real binary, and a running
//! `gawah serve` on it whose log goes to a file outside the data dir (so that a full disk,
//! or a busy server, never blocks it on a pipe).

use std::path::{Path, PathBuf};

use crate::harness::{Instance, Run, gawah, s};
pub use crate::node::Node;

/// A data dir with an organisation and a documenter's API token.
pub struct Site {
    /// The data dir and the temp folder of the test (logs, inputs).
    pub inst: Instance,
    /// The blob folder, wherever it is.
    pub blobs: PathBuf,
    /// A documenter's bearer token.
    pub token: String,
}

impl Site {
    /// `gawah init` at `data_dir` (blobs in `data_dir/blobs`, or in `blob_dir` when given),
    /// then an organisation and a documenter.
    pub fn init(data_dir: &Path, blob_dir: Option<&Path>) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut args = vec!["init", "--data-dir", s(data_dir)];
        args.extend(["--origin", "faults.example/gawah"]);
        if let Some(b) = blob_dir {
            args.extend(["--blob-url", s(b)]);
        }
        let out = gawah()
            .env_remove("GAWAH_BLOB_URL")
            .env_remove("GAWAH_DATABASE_URL")
            .args(&args)
            .output()
            .expect("spawn gawah");
        Run::from_output(out).ok();
        let inst = Instance {
            tmp,
            dir: data_dir.to_owned(),
        };
        inst.run(&["admin", "org", "add", "Org Faults"]).ok();
        let token = inst.member_token("Org Faults", "doc", "documenter");
        let blobs = blob_dir.map_or_else(|| data_dir.join("blobs"), Path::to_owned);
        Self { inst, blobs, token }
    }

    /// Starts `gawah serve` on the data dir; its log is `serve-<n>.log` in the temp folder.
    pub fn serve(&self, n: usize) -> Node {
        let log = self.inst.tmp.path().join(format!("serve-{n}.log"));
        Node::start(gawah(), &self.inst.dir, &log)
    }

    /// `gawah log verify --json`: its report, asserted ok.
    pub fn verify(&self) -> serde_json::Value {
        let run = self.inst.run(&["log", "verify", "--json"]);
        let report = run
            .json_lines()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no report: {run:?}"));
        assert_eq!(report["ok"], true, "the log does not verify: {run:?}");
        assert_eq!(run.code, 0, "{run:?}");
        report
    }
}
