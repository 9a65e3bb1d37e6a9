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
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use gawah_store::ledger::IngestBatch;
use gawah_store::sqlite::OpenMode;
use gawah_store::{IngestMeta, Ledger};
use indicatif::ProgressBar;
use serde_json::json;

use crate::Outcome;
use crate::cli::Global;
use crate::output::{json_line, progress};

/// Commit a batch once it holds this many files,
/// (growing from `FIRST_BATCH_FILES`, doubling with each batch, so the first files are
/// acknowledged quickly and a long ingest pays the syncs once per thousand files),
const BATCH_FILES: usize = 1024;
const FIRST_BATCH_FILES: usize = 32;
/// or this many bytes,
const BATCH_BYTES: u64 = 64 << 20;
/// or has waited this long for its first file's acknowledgement.
const BATCH_WAIT: Duration = Duration::from_millis(500);
const MAX_CASE_REF: usize = 200;

pub fn run(
    g: &Global,
    case_ref: Option<String>,
    confidential: bool,
    paths: &[PathBuf],
) -> Result<Outcome> {
    if let Some(c) = &case_ref
        && (c.is_empty() || c.len() > MAX_CASE_REF || c.chars().any(char::is_control))
    {
        bail!("--case must be 1 to {MAX_CASE_REF} characters without control characters");
    }
    for p in paths {
        fs::metadata(p).with_context(|| format!("cannot ingest {}", p.display()))?;
    }
    let ledger = super::keys::open_unlocked(g, OpenMode::Checked)?;
    let mut failed = 0usize;
    let files = collect(paths, &mut failed);
    let total: u64 = files.iter().map(|(_, len)| len).sum();
    let bar = progress(total, true);
    // Two stages overlap: this thread commits (syncs, links, records, acknowledges) one batch
    // while a second thread stages the next (reads, hashes, writes temp files). The channel
    // holds no batch: the stager hands a batch over only when the committer takes it.
    let (to_commit, batches) = mpsc::sync_channel::<Batch>(0);
    let (committed, staging) = thread::scope(|s| {
        // The sender moves into the stager: when it stops, for any reason, the loop below
        // ends.
        let stager = {
            let (ledger, files, bar, failed) = (&ledger, &files, &bar, &mut failed);
            let template = IngestMeta {
                case_ref,
                file_name: None,
                confidential,
            };
            s.spawn(move || stage_all(ledger, files, &template, bar, failed, to_commit))
        };
        let mut committed = 0usize;
        let mut result = Ok(());
        for batch in batches.iter() {
            match batch.commit(&ledger, g.json) {
                Ok(n) => committed += n,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // On an error the stager's next hand-over fails and it stops; its staged blobs are
        // dropped unrecorded (temp files removed).
        drop(batches);
        let staging = stager
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the staging thread panicked")));
        (result.map(|()| committed), staging)
    });
    let committed = committed?;
    staging?;
    bar.finish_and_clear();
    let cp = ledger.checkpoint()?;
    if !g.json {
        eprintln!(
            "{} files ingested; log size {}; checkpoint signed",
            committed, cp.size
        );
    }
    if failed > 0 {
        bail!("{failed} file(s) could not be ingested (see above); {committed} were");
    }
    Ok(Outcome::Ok)
}

/// Stages every file into batches and hands each due batch to `to_commit`. Stops early, with
/// `Ok`, if the committer has gone (it reports its own error).
fn stage_all(
    ledger: &Ledger,
    files: &[(PathBuf, u64)],
    template: &IngestMeta,
    bar: &ProgressBar,
    failed: &mut usize,
    to_commit: mpsc::SyncSender<Batch>,
) -> Result<()> {
    let mut batch = Batch::new(ledger.begin_batch()?);
    let mut limit = FIRST_BATCH_FILES;
    let mut done_bytes = 0u64;
    for (path, _) in files {
        match stage(
            ledger,
            &mut batch.staged,
            path,
            template.clone(),
            &mut |n| bar.set_position(done_bytes + n),
        ) {
            Ok(()) => batch.push(path.clone()),
            Err(e) => {
                *failed += 1;
                bar.suspend(|| eprintln!("gawah: error: cannot ingest {}: {e:#}", path.display()));
            }
        }
        done_bytes = bar.position();
        if batch.is_due(limit) {
            limit = (limit * 2).min(BATCH_FILES);
            let next = Batch::new(ledger.begin_batch()?);
            if to_commit.send(std::mem::replace(&mut batch, next)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.staged.is_empty() {
        let _ = to_commit.send(batch);
    }
    Ok(())
}

fn stage(
    ledger: &Ledger,
    batch: &mut IngestBatch,
    path: &Path,
    template: IngestMeta,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let mut file = File::open(path)?;
    if !file.metadata()?.is_file() {
        bail!("not a regular file");
    }
    let meta = IngestMeta {
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        ..template
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

/// Files staged into one batch, in order.
struct Batch {
    paths: Vec<PathBuf>,
    staged: IngestBatch,
    since: Option<Instant>,
}

impl Batch {
    fn new(staged: IngestBatch) -> Self {
        Self {
            paths: Vec::new(),
            staged,
            since: None,
        }
    }

    fn push(&mut self, path: PathBuf) {
        self.since.get_or_insert_with(Instant::now);
        self.paths.push(path);
    }

    fn is_due(&self, files: usize) -> bool {
        self.staged.len() >= files
            || self.staged.bytes() >= BATCH_BYTES
            || self.since.is_some_and(|t| t.elapsed() >= BATCH_WAIT)
    }

    /// Makes the batch's blobs durable, records them in one transaction, and only then prints
    /// one acknowledgement per file. Returns how many were committed.
    fn commit(self, ledger: &Ledger, json: bool) -> Result<usize> {
        if self.staged.is_empty() {
            return Ok(0);
        }
        let done = ledger
            .commit_batch(self.staged)
            .context("recording the batch")?;
        for (path, item) in self.paths.iter().zip(&done) {
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
        Ok(done.len())
    }
}
