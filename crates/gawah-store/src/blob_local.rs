//! The local-folder blob store: `<root>/<hash>/<first two hex digits>/<digest hex>`, where
//! `<hash>` is `sha256` (originals) or `blake3` (sealed blobs), see [`BlobHash`].
//!
//! The 256 fan-out folders of each hash are made (and their names fsynced) once, when the
//! store is first opened, so a write never has to check for or create one.
//!
//! Durability order of a single write ([`BlobStore::create`], [`BlobWriter::commit`]), and
//! what a crash at each point leaves:
//! 1. bytes streamed to `<root>/tmp/<pid>-<random>` while hashed: a crash leaves a temp file,
//!    removed by the next open once its process is gone;
//! 2. the temp file is made read-only and fsynced: its bytes are durable, still under the temp
//!    name only;
//! 3. hard-linked to its final name (a link never replaces an existing file, so content is
//!    never overwritten): a crash leaves the blob in place, complete, unreferenced, harmless;
//! 4. the temp name is removed and the fan-out folder fsynced, so the new name is durable;
//!    only then does `commit` return.
//!
//! Durability order of a batch ([`BlobStore::batch`], [`BlobBatch::commit`]):
//! 1. every blob is streamed to its own temp file while hashed and made read-only, without
//!    any fsync: a crash leaves temp files (possibly torn), which are never linked anywhere
//!    and are removed by the next open;
//! 2. `syncfs` of the file system holding the store makes every temp file's bytes and inode
//!    durable at once: a crash from here on leaves complete temp files, still unnamed;
//! 3. only now is each hard-linked to its final name (never replacing an existing one) and its
//!    temp name removed. Because step 2 finished first, a name that survives a crash always
//!    points at complete bytes that hash to it; a crash leaves some blobs in place, complete
//!    and unreferenced, harmless (a later identical write keeps them);
//! 4. a second `syncfs` makes the new names durable; only then does `commit` return, and only
//!    then may the caller commit records that name the blobs.
//!
//! One `syncfs` costs about what one fsync does on this kind of disk, so a batch of n blobs
//! pays two syncs instead of 2n. It also flushes whatever else is dirty on the same file
//! system, which costs time but never correctness.
//!
//! Early writeback: while a large blob is streamed, every [`WRITEBACK`] bytes the writer asks
//! the kernel to start writing the bytes just written to the disk ([`Writeback`]), so the disk
//! works while the rest is still being read and hashed, and the final fsync or `syncfs` has
//! little left to do. It is only a hint: it changes when bytes reach the disk, never the order
//! above (nothing is linked under a name before the sync that makes its bytes durable).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use gawah_core::random::random_bytes;

use crate::blob::{
    BatchWriter, BlobBatch, BlobError, BlobHash, BlobHasher, BlobKey, BlobReceipt, BlobStore,
    BlobWriter,
};

/// Every hash a blob may be addressed by, each with its folder.
const HASHES: [BlobHash; 2] = [BlobHash::Sha256, BlobHash::Blake3];

/// Blobs in a folder on the local file system.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating if needed) the store at `root` with its fan-out folders, and removes
    /// temp files left by processes that no longer run.
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        let folders = HASHES.map(|h| root.join(h.name()));
        for dir in folders.iter().chain([&root.join("tmp")]) {
            fs::create_dir_all(dir).map_err(|e| BlobError::io(dir.display(), e))?;
        }
        let store = Self {
            root: root.to_owned(),
        };
        for hash in HASHES {
            store.make_fanout(hash)?;
        }
        store.remove_stale_temps()?;
        Ok(store)
    }

    /// Where the blob with this key lives.
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        let hex = key.digest_hex();
        self.root.join(key.hash().name()).join(&hex[..2]).join(hex)
    }

    /// Creates the 256 fan-out folders of `hash` if the last of them is missing, then fsyncs
    /// their parent (and the root, which holds the hash folders and `tmp/`) so that their
    /// names are durable before any blob is linked into them.
    fn make_fanout(&self, hash: BlobHash) -> Result<(), BlobError> {
        let top = self.root.join(hash.name());
        if top.join("ff").is_dir() {
            return Ok(());
        }
        for i in 0..=255u8 {
            let dir = top.join(hex::encode([i]));
            match fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(BlobError::io(dir.display(), e)),
            }
        }
        fsync_dir(&top)?;
        fsync_dir(&self.root)
    }

    /// Hard-links a complete, durable temp file to the blob's final name; an existing blob
    /// under that name is kept (same key, same bytes). Returns the fan-out folder.
    fn link_in_place(&self, tmp: &Path, key: &BlobKey) -> Result<PathBuf, BlobError> {
        let dest = self.path_of(key);
        let dir = dest.parent().unwrap_or(&self.root).to_owned();
        let mut result = fs::hard_link(tmp, &dest);
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::NotFound) && !dir.is_dir() {
            // A fan-out folder removed since open: make it again, its name durable first.
            fs::create_dir_all(&dir).map_err(|e| BlobError::io(dir.display(), e))?;
            fsync_dir(&self.root.join(key.hash().name()))?;
            result = fs::hard_link(tmp, &dest);
        }
        match result {
            Ok(()) => Ok(dir),
            // Same key, same bytes: keep the stored blob, never overwrite it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(dir),
            Err(e) => Err(BlobError::io(format!("link {}", dest.display()), e)),
        }
    }

    fn new_temp(&self, name: &str) -> Result<(File, PathBuf), BlobError> {
        let tmp_path = self.root.join("tmp").join(name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp_path)
            .map_err(|e| BlobError::io(format!("create {}", tmp_path.display()), e))?;
        Ok((file, tmp_path))
    }

    /// `syncfs` of the file system holding the store: every dirty page, inode and folder
    /// entry on it is durable when this returns.
    fn sync_fs(&self) -> Result<(), BlobError> {
        let root = File::open(&self.root)
            .map_err(|e| BlobError::io(format!("open {}", self.root.display()), e))?;
        rustix::fs::syncfs(&root).map_err(|e| {
            BlobError::io(
                format!("syncfs {}", self.root.display()),
                io::Error::from(e),
            )
        })
    }

    fn remove_stale_temps(&self) -> Result<(), BlobError> {
        let tmp = self.root.join("tmp");
        let entries = fs::read_dir(&tmp).map_err(|e| BlobError::io(tmp.display(), e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name.to_str().and_then(|n| n.split('-').next());
            let alive = pid.is_some_and(|p| Path::new("/proc").join(p).exists());
            if !alive {
                // A temp file of a dead process is never referenced: removing it loses nothing.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

/// Bytes streamed between two early-writeback hints.
const WRITEBACK: u64 = 8 << 20;

/// Starts the writeback of a temp file's bytes as they are written, a window at a time.
///
/// On Linux, `posix_fadvise(DONTNEED)` starts asynchronous writeback of the dirty pages of its
/// range (as `sync_file_range(SYNC_FILE_RANGE_WRITE)` does) and then drops the pages of the
/// range that are already clean. Each hint covers the window just written (start writing it)
/// and the one before (written back by now: drop it from the page cache), so a large blob
/// neither waits for the final sync to reach the disk nor fills the page cache. Failures are
/// ignored: the hint never decides durability, the fsync or `syncfs` does.
#[derive(Debug, Default)]
struct Writeback {
    /// Where the next window starts.
    next: u64,
    /// Where the previous window started.
    prev: u64,
}

impl Writeback {
    fn wrote(&mut self, file: &File, written: u64) {
        // Whole pages only: a page under writeback makes the next write into it wait, and
        // the last page written is usually partly filled.
        let end = written & !(PAGE - 1);
        if end < self.next + WRITEBACK {
            return;
        }
        let _ = rustix::fs::fadvise(
            file,
            self.prev,
            std::num::NonZeroU64::new(end - self.prev),
            rustix::fs::Advice::DontNeed,
        );
        self.prev = self.next;
        self.next = end;
    }
}

/// The page size assumed for early writeback (a multiple of it works too).
const PAGE: u64 = 4096;

fn fsync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BlobError::io(format!("fsync {}", dir.display()), e))
}

fn nonce_hex() -> Result<String, BlobError> {
    let nonce: [u8; 8] =
        random_bytes().map_err(|e| BlobError::io("temp name", io::Error::other(e)))?;
    Ok(hex::encode(nonce))
}

impl BlobStore for LocalBlobStore {
    fn create_with(&self, hash: BlobHash) -> Result<Box<dyn BlobWriter>, BlobError> {
        let name = format!("{}-{}", std::process::id(), nonce_hex()?);
        let (file, tmp_path) = self.new_temp(&name)?;
        Ok(Box::new(LocalWriter {
            file,
            tmp_path,
            store: self.clone(),
            hasher: hash.hasher(),
            bytes: 0,
            writeback: Writeback::default(),
            done: false,
        }))
    }

    fn batch(&self) -> Result<Box<dyn BlobBatch>, BlobError> {
        Ok(Box::new(LocalBatch {
            store: self.clone(),
            prefix: format!("{}-{}", std::process::id(), nonce_hex()?),
            next: 0,
            pending: Vec::new(),
        }))
    }

    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError> {
        match File::open(self.path_of(key)) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(*key)),
            Err(e) => Err(BlobError::io(format!("open blob {key}"), e)),
        }
    }

    fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match fs::metadata(self.path_of(key)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BlobError::io(format!("stat blob {key}"), e)),
        }
    }

    fn keys(&self) -> Result<Vec<BlobKey>, BlobError> {
        let mut keys = Vec::new();
        for hash in HASHES {
            let top = self.root.join(hash.name());
            let dirs = fs::read_dir(&top).map_err(|e| BlobError::io(top.display(), e))?;
            for dir in dirs {
                let dir = dir.map_err(|e| BlobError::io(top.display(), e))?.path();
                let files = fs::read_dir(&dir).map_err(|e| BlobError::io(dir.display(), e))?;
                for f in files.flatten() {
                    let name = f.file_name();
                    if let Some(key) = name
                        .to_str()
                        .and_then(|n| BlobKey::from_digest_hex(hash, n))
                    {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

struct LocalWriter {
    file: File,
    tmp_path: PathBuf,
    store: LocalBlobStore,
    hasher: BlobHasher,
    bytes: u64,
    writeback: Writeback,
    done: bool,
}

impl Write for LocalWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.writeback.wrote(&self.file, self.bytes);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl BlobWriter for LocalWriter {
    fn written(&self) -> u64 {
        self.bytes
    }

    fn commit(mut self: Box<Self>) -> Result<BlobReceipt, BlobError> {
        let tmp = self.tmp_path.display().to_string();
        // Read-only before the fsync, so the mode is durable with the bytes.
        self.file
            .set_permissions(fs::Permissions::from_mode(0o400))
            .map_err(|e| BlobError::io(format!("chmod {tmp}"), e))?;
        // Step 2: the bytes are durable under the temp name only.
        self.file
            .sync_all()
            .map_err(|e| BlobError::io(format!("fsync {tmp}"), e))?;
        let key = self.hasher.clone().finalize();
        // Step 3: the final name points at durable, complete bytes (or at an existing blob).
        let dir = self.store.link_in_place(&self.tmp_path, &key)?;
        self.done = true;
        let _ = fs::remove_file(&self.tmp_path);
        // Step 4: the name is durable; only now is the blob acknowledged.
        fsync_dir(&dir)?;
        Ok(BlobReceipt {
            key,
            bytes: self.bytes,
        })
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

/// A blob finished into a batch: complete in its temp file, not yet durable nor named.
#[derive(Debug)]
struct Pending {
    tmp_path: PathBuf,
    receipt: BlobReceipt,
}

#[derive(Debug)]
struct LocalBatch {
    store: LocalBlobStore,
    /// `<pid>-<random>`: temp names are `<prefix>-<n>`, so stale ones are recognised by pid.
    prefix: String,
    next: u64,
    pending: Vec<Pending>,
}

impl BlobBatch for LocalBatch {
    fn create_with(&mut self, hash: BlobHash) -> Result<Box<dyn BatchWriter + '_>, BlobError> {
        let name = format!("{}-{}", self.prefix, self.next);
        self.next += 1;
        let (file, tmp_path) = self.store.new_temp(&name)?;
        Ok(Box::new(LocalBatchWriter {
            file: Some(file),
            tmp_path,
            batch: self,
            hasher: hash.hasher(),
            bytes: 0,
            writeback: Writeback::default(),
        }))
    }

    fn len(&self) -> usize {
        self.pending.len()
    }

    fn commit(mut self: Box<Self>) -> Result<Vec<BlobReceipt>, BlobError> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        // Step 2: every temp file's bytes and inode are durable (names not yet written).
        self.store.sync_fs()?;
        // Step 3: link each into place. On an error, `Drop` removes the temp files not yet
        // linked; those linked are complete and durable, harmless without a record.
        let pending = std::mem::take(&mut self.pending);
        let mut receipts = Vec::with_capacity(pending.len());
        let mut rest = pending.into_iter();
        while let Some(p) = rest.next() {
            if let Err(e) = self.store.link_in_place(&p.tmp_path, &p.receipt.key) {
                self.pending = std::iter::once(p).chain(rest).collect();
                return Err(e);
            }
            let _ = fs::remove_file(&p.tmp_path);
            receipts.push(p.receipt);
        }
        // Step 4: the names are durable; only now may records naming the blobs commit.
        self.store.sync_fs()?;
        Ok(receipts)
    }
}

impl Drop for LocalBatch {
    fn drop(&mut self) {
        for p in &self.pending {
            let _ = fs::remove_file(&p.tmp_path);
        }
    }
}

struct LocalBatchWriter<'a> {
    /// `None` once finished.
    file: Option<File>,
    tmp_path: PathBuf,
    batch: &'a mut LocalBatch,
    hasher: BlobHasher,
    bytes: u64,
    writeback: Writeback,
}

impl Write for LocalBatchWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("finished"))?;
        let n = file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.writeback.wrote(file, self.bytes);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BatchWriter for LocalBatchWriter<'_> {
    fn written(&self) -> u64 {
        self.bytes
    }

    fn finish(mut self: Box<Self>) -> Result<BlobReceipt, BlobError> {
        let file = self
            .file
            .take()
            .ok_or_else(|| BlobError::io("finish blob", io::Error::other("finished twice")))?;
        // Step 1: complete and read-only, not yet durable; made durable by the batch's sync.
        let chmod = file.set_permissions(fs::Permissions::from_mode(0o400));
        drop(file);
        if let Err(e) = chmod {
            let _ = fs::remove_file(&self.tmp_path);
            return Err(BlobError::io(
                format!("chmod {}", self.tmp_path.display()),
                e,
            ));
        }
        let receipt = BlobReceipt {
            key: self.hasher.clone().finalize(),
            bytes: self.bytes,
        };
        self.batch.pending.push(Pending {
            tmp_path: std::mem::take(&mut self.tmp_path),
            receipt: receipt.clone(),
        });
        Ok(receipt)
    }
}

impl Drop for LocalBatchWriter<'_> {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp_count(dir: &Path) -> usize {
        fs::read_dir(dir.join("tmp")).unwrap().count()
    }

    /// The contract, checked as for every backend.
    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        crate::blob_conformance::blob_conformance(&store);
        assert_eq!(tmp_count(dir.path()), 0, "temp files left behind");
    }

    #[test]
    fn dropped_writers_and_batches_leave_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut w = store.create().unwrap();
        w.write_all(b"half").unwrap();
        drop(w);
        assert_eq!(tmp_count(dir.path()), 0);
        let mut batch = store.batch().unwrap();
        let mut w = batch.create().unwrap();
        w.write_all(b"never committed").unwrap();
        w.finish().unwrap();
        let mut w = batch.create().unwrap();
        w.write_all(b"never finished").unwrap();
        drop(w);
        assert_eq!(tmp_count(dir.path()), 1, "the finished blob waits in tmp/");
        drop(batch);
        assert_eq!(tmp_count(dir.path()), 0);
        assert!(store.keys().unwrap().is_empty());
    }

    #[test]
    fn fanout_folders_exist_after_open() {
        let dir = tempfile::tempdir().unwrap();
        LocalBlobStore::open(dir.path()).unwrap();
        assert_eq!(
            fs::read_dir(dir.path().join("sha256")).unwrap().count(),
            256
        );
        // A folder removed later is made again on first use.
        fs::remove_dir(dir.path().join("sha256").join("2d")).unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut w = store.create().unwrap();
        w.write_all(b"x").unwrap(); // sha256 2d711642...
        let r = w.commit().unwrap();
        assert!(store.path_of(&r.key).is_file());
    }

    #[test]
    fn blobs_are_read_only_files_at_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut one = store.create().unwrap();
        one.write_all(b"single").unwrap();
        let mut keys = vec![one.commit().unwrap().key];
        let mut batch = store.batch().unwrap();
        for (content, hash) in [
            (&b"first"[..], BlobHash::Sha256),
            (&b"second"[..], BlobHash::Blake3),
        ] {
            let mut w = batch.create_with(hash).unwrap();
            w.write_all(content).unwrap();
            keys.push(w.finish().unwrap().key);
        }
        assert!(
            store
                .path_of(&keys[2])
                .starts_with(dir.path().join("blake3")),
            "a BLAKE3 key lives under blake3/"
        );
        batch.commit().unwrap();
        for key in &keys {
            let meta = fs::metadata(store.path_of(key)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o400);
        }
        assert_eq!(tmp_count(dir.path()), 0);
    }
}
