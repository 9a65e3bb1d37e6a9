//! `gawah restore`: a new data dir (SQLite and a local blob folder) made from a backup,
//! verified in full, and checked against a checkpoint the caller trusted before.

use std::fs;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_log::{
    Hash, NoteVerifier, consistency_proof, open_checkpoint, tree_root, verify_consistency,
};

use super::backup::{Manifest, read_manifest};
use super::{BlobCopy, MigrateError, fsync_dir, io_err};
use crate::blob::BlobKey;
use crate::blob_local::LocalBlobStore;
use crate::sqlite::{OpenMode, SqliteStore};
use crate::store::Store;
use crate::verify::verify_all;

/// What a restore found.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Entries, items and blob bytes verified.
    pub entries: u64,
    /// Items verified.
    pub items: u64,
    /// The trusted checkpoint's size, if one was given and held.
    pub trusted_size: Option<u64>,
    /// Everything found wrong; the data dir was made only if this is empty.
    pub problems: Vec<String>,
}

impl Restored {
    /// Whether the restore holds (and the data dir exists).
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Restores the backup at `from` into the new data dir `to` (absent or an empty folder).
/// The data dir is built under a temporary name, verified (every entry, checkpoint, item
/// and blob; the head and checkpoint the manifest names; with `trusted`, a checkpoint note
/// taken before, consistency with it), and renamed to `to` only if all holds.
pub fn restore(from: &Path, to: &Path, trusted: Option<&str>) -> Result<Restored, MigrateError> {
    let manifest = read_manifest(from)?;
    if to.exists()
        && fs::read_dir(to)
            .map_err(io_err(to.display()))?
            .next()
            .is_some()
    {
        return Err(MigrateError::Invalid(format!(
            "{} already exists and is not empty; restore into a new data dir",
            to.display()
        )));
    }
    let verifier = NoteVerifier::parse(&manifest.verifier_key)
        .map_err(|e| MigrateError::Invalid(format!("the manifest's verifier key: {e}")))?;
    let trusted = trusted
        .map(|note| {
            open_checkpoint(note, &verifier)
                .map(|(c, _)| c)
                .map_err(|e| {
                    MigrateError::Invalid(format!(
                        "the trusted checkpoint is not a checkpoint of this log ({}): {e}",
                        manifest.origin
                    ))
                })
        })
        .transpose()?;
    let tmp = to.with_file_name(format!(
        ".{}.restore",
        to.file_name()
            .map_or_else(|| "data".into(), |n| n.to_string_lossy().into_owned())
    ));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(format!("remove {}", tmp.display())))?;
    }
    super::backup::make_dir(&tmp)?;
    let mut restored = Restored {
        manifest,
        entries: 0,
        items: 0,
        trusted_size: None,
        problems: Vec::new(),
    };
    let result = build(from, &tmp, &verifier, trusted.as_ref(), &mut restored);
    if result.is_err() || !restored.ok() {
        let _ = fs::remove_dir_all(&tmp);
        return result.map(|()| restored);
    }
    if to.exists() {
        fs::remove_dir(to).map_err(io_err(format!("remove empty {}", to.display())))?;
    }
    fs::rename(&tmp, to).map_err(io_err(format!("rename to {}", to.display())))?;
    fsync_dir(to.parent().unwrap_or(Path::new(".")))?;
    Ok(restored)
}

fn build(
    from: &Path,
    tmp: &Path,
    verifier: &NoteVerifier,
    trusted: Option<&gawah_log::Checkpoint>,
    out: &mut Restored,
) -> Result<(), MigrateError> {
    use super::backup::copy_file;
    for (name, mode) in [
        ("gawah.db", 0o600),
        ("gawah.toml", 0o600),
        ("log-signing.key", 0o600),
        ("witness-signing.key", 0o600),
    ] {
        let found = copy_file(&from.join(name), &tmp.join(name), mode)?;
        if !found && name != "witness-signing.key" {
            out.problems
                .push(format!("the backup has no {name}; it is incomplete"));
        }
    }
    if !out.problems.is_empty() {
        return Ok(());
    }
    copy_blobs(from, tmp, out)?;
    let store = SqliteStore::open(&tmp.join("gawah.db"), OpenMode::Audit)?;
    let blobs = LocalBlobStore::open(&tmp.join("blobs"))?;
    let report = verify_all(&store, &blobs, verifier);
    out.entries = report.entries;
    out.items = report.items;
    out.problems
        .extend(report.failures.iter().map(ToString::to_string));
    let head = store.head()?;
    let m = &out.manifest;
    if head.size != m.head.size || B64.encode(head.root) != m.head.root {
        out.problems.push(format!(
            "the restored log's head (size {}) is not the one the manifest names (size {})",
            head.size, m.head.size
        ));
    }
    if store.latest_checkpoint()?.map(|c| c.note) != m.checkpoint {
        out.problems
            .push("the restored latest checkpoint is not the one the manifest names".into());
    }
    if let Some(cp) = trusted {
        match check_trusted(&store, head.size, &head.root, cp) {
            Ok(()) => out.trusted_size = Some(cp.size),
            Err(why) => out.problems.push(why),
        }
    }
    drop(store);
    fsync_dir(tmp)
}

/// Copies the manifest's blobs into the new data dir's blob folder, each hashed as it is
/// written: a blob whose bytes are not its name is a problem, not an error, so that every
/// altered blob is named.
fn copy_blobs(from: &Path, tmp: &Path, out: &mut Restored) -> Result<(), MigrateError> {
    let source = LocalBlobStore::open(&from.join("blobs"))?;
    let target = LocalBlobStore::open(&tmp.join("blobs"))?;
    let mut copied = BlobCopy::default();
    for entry in &out.manifest.blobs {
        let Ok(key) = entry.sha256.parse::<BlobKey>() else {
            out.problems.push(format!(
                "the manifest names a bad blob key {:?}",
                entry.sha256
            ));
            continue;
        };
        if let Err(e) = super::blobs::copy_blob(&source, &target, &key, &mut copied) {
            out.problems.push(format!("blob {key} in the backup: {e}"));
        }
    }
    Ok(())
}

/// The restored log (size `size`, root `root`) against a checkpoint trusted before: the
/// same root at its size, and a consistency proof from it to the head.
fn check_trusted(
    store: &SqliteStore,
    size: u64,
    root: &Hash,
    cp: &gawah_log::Checkpoint,
) -> Result<(), String> {
    if cp.size > size {
        return Err(format!(
            "the backup is older than the trusted checkpoint: the restored log has {size} \
             entries, the trusted checkpoint signs {}; entries were logged after this backup \
             was taken",
            cp.size
        ));
    }
    if cp.size == 0 {
        return Ok(());
    }
    let at = tree_root(cp.size, &store).map_err(|e| format!("tree at size {}: {e}", cp.size))?;
    if at != cp.root {
        return Err(format!(
            "the restored log is not consistent with the trusted checkpoint: at size {} its \
             root is {}, the checkpoint signs {} (a different history: a fork or an altered \
             backup)",
            cp.size,
            B64.encode(at),
            B64.encode(cp.root)
        ));
    }
    let proof = consistency_proof(cp.size, size, &store).map_err(|e| e.to_string())?;
    verify_consistency(cp.size, size, &cp.root, root, &proof).map_err(|e| {
        format!(
            "no valid consistency proof from the trusted checkpoint (size {}) to the restored \
             head (size {size}): {e}",
            cp.size
        )
    })
}
