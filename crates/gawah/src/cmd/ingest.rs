//! `gawah ingest`: files and folders into custody.
//!
//! Files are staged and committed in batches. Durability order of one batch, and what a
//! crash at each step leaves:
//! 1. each file is streamed into a temp file of the batch while hashed, without fsync
//!    ([`Ledger::stage_into`]): a crash leaves temp files only, removed by the next run;
//! 2. the batch's blobs are made durable together (one sync), hard-linked to their SHA-256
//!    names, and the names made durable (a second sync) ([`Ledger::commit_batch`]): a crash
//!    leaves at most complete, unreferenced blobs;
//! 3. one transaction writes the items, their custody events and their log entries and moves
//!    the head: a crash before it commits leaves none of the batch recorded;
//! 4. only then is each file's line printed: every line printed is an acknowledged, durable
//!    ingest.
//!
//! A checkpoint is signed once at the end.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use gawah_store::ledger::IngestBatch;
use gawah_store::sqlite::OpenMode;
use gawah_store::{IngestMeta, Ledger};
use serde_json::json;

use super::open_ledger;
use crate::Outcome;
use crate::cli::Global;
use crate::output::{json_line, progress};

/// Commit a batch once it holds this many files,
const BATCH_FILES: usize = 256;
/// or this many bytes,
const BATCH_BYTES: u64 = 64 << 20;
/// or has waited this long for its first file's acknowledgement.
const BATCH_WAIT: Duration = Duration::from_millis(500);
const MAX_CASE_REF: usize = 200;

pub fn run(g: &Global, case_ref: Option<String>, paths: &[PathBuf]) -> Result<Outcome> {
    if let Some(c) = &case_ref
        && (c.is_empty() || c.len() > MAX_CASE_REF || c.chars().any(char::is_control))
    {
        bail!("--case must be 1 to {MAX_CASE_REF} characters without control characters");
    }
    for p in paths {
        fs::metadata(p).with_context(|| format!("cannot ingest {}", p.display()))?;
    }
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let mut failed = 0usize;
    let files = collect(paths, &mut failed);
    let total: u64 = files.iter().map(|(_, len)| len).sum();
    let bar = progress(total, true);
    let mut batch = Batch::new(ledger.begin_batch()?);
    let mut done_bytes = 0u64;
    for (path, _) in &files {
        match stage(
            &ledger,
            &mut batch.staged,
            path,
            case_ref.clone(),
            &mut |n| bar.set_position(done_bytes + n),
        ) {
            Ok(()) => batch.push(path.clone()),
            Err(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("gawah: error: cannot ingest {}: {e:#}", path.display()));
            }
        }
        done_bytes = bar.position();
        if batch.is_due() {
            batch.commit(&ledger, g.json)?;
        }
    }
    batch.commit(&ledger, g.json)?;
    bar.finish_and_clear();
    let cp = ledger.checkpoint()?;
    if !g.json {
        eprintln!(
            "{} files ingested; log size {}; checkpoint signed",
            batch.committed, cp.size
        );
    }
    if failed > 0 {
        bail!(
            "{failed} file(s) could not be ingested (see above); {} were",
            batch.committed
        );
    }
    Ok(Outcome::Ok)
}

fn stage(
    ledger: &Ledger,
    batch: &mut IngestBatch,
    path: &Path,
    case_ref: Option<String>,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let mut file = File::open(path)?;
    if !file.metadata()?.is_file() {
        bail!("not a regular file");
    }
    let meta = IngestMeta {
        case_ref,
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
    };
    Ok(ledger.stage_into(batch, &mut file, meta, progress)?)
}

/// Regular files under `paths`, sorted within each folder, with their sizes. Symbolic links
/// to files are followed; links to folders are not (they could loop).
fn collect(paths: &[PathBuf], failed: &mut usize) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, true, &mut out, failed);
    }
    out
}

fn walk(path: &Path, top: bool, out: &mut Vec<(PathBuf, u64)>, failed: &mut usize) {
    let mut fail = |why: String| {
        *failed += 1;
        eprintln!("gawah: error: cannot ingest {}: {why}", path.display());
    };
    let link = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    if meta.is_file() {
        out.push((path.to_owned(), meta.len()));
    } else if meta.is_dir() && (top || !link.file_type().is_symlink()) {
        let mut children: Vec<PathBuf> = match fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return fail(e.to_string()),
        };
        children.sort();
        for c in children {
            walk(&c, false, out, failed);
        }
    } else if meta.is_dir() {
        eprintln!(
            "gawah: note: not following the link to a folder {}",
            path.display()
        );
    } else {
        fail("not a regular file".into());
    }
}

struct Batch {
    /// The files staged so far, in the order of `staged`.
    paths: Vec<PathBuf>,
    staged: IngestBatch,
    since: Option<Instant>,
    committed: usize,
}

impl Batch {
    fn new(staged: IngestBatch) -> Self {
        Self {
            paths: Vec::new(),
            staged,
            since: None,
            committed: 0,
        }
    }

    fn push(&mut self, path: PathBuf) {
        self.since.get_or_insert_with(Instant::now);
        self.paths.push(path);
    }

    fn is_due(&self) -> bool {
        self.staged.len() >= BATCH_FILES
            || self.staged.bytes() >= BATCH_BYTES
            || self.since.is_some_and(|t| t.elapsed() >= BATCH_WAIT)
    }

    /// Commits the batch and prints one acknowledgement per file.
    fn commit(&mut self, ledger: &Ledger, json: bool) -> Result<()> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let paths = std::mem::take(&mut self.paths);
        let staged = std::mem::replace(&mut self.staged, ledger.begin_batch()?);
        let done = ledger.commit_batch(staged).context("recording the batch")?;
        for (path, item) in paths.iter().zip(&done) {
            if json {
                json_line(
                    &json!({"item": item.item.as_str(), "path": path, "sha256": item.sha256.to_hex(), "bytes": item.bytes, "log_index": item.log_index}),
                )?;
            } else {
                println!(
                    "{}  {}  {:>12}  {}",
                    item.item,
                    item.sha256,
                    item.bytes,
                    path.display()
                );
            }
        }
        self.committed += done.len();
        self.since = None;
        Ok(())
    }
}
