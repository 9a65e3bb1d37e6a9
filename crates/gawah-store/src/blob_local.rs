//! The local-folder blob store: `<root>/sha256/<first two hex digits>/<sha256 hex>`.
//!
//! Durability order of a write, and what a crash at each point leaves:
//! 1. bytes streamed to `<root>/tmp/<pid>-<random>` while hashed: a crash leaves a temp file,
//!    removed by the next open once its process is gone;
//! 2. the temp file is fsynced and made read-only;
//! 3. hard-linked to its final name (a link never replaces an existing file, so content is
//!    never overwritten): a crash leaves the blob in place, unreferenced and harmless;
//! 4. the temp name is removed and the fan-out directory fsynced, so the new name is durable;
//!    only then does `commit` return.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use gawah_core::Sha256Digest;
use gawah_core::random::random_bytes;
use sha2::{Digest, Sha256};

use crate::blob::{BlobError, BlobReceipt, BlobStore, BlobWriter};

/// Blobs in a folder on the local file system.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating if needed) the store at `root`, and removes temp files left by
    /// processes that no longer run.
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        for dir in [root.join("sha256"), root.join("tmp")] {
            fs::create_dir_all(&dir).map_err(|e| BlobError::io(dir.display(), e))?;
        }
        let store = Self {
            root: root.to_owned(),
        };
        store.remove_stale_temps()?;
        Ok(store)
    }

    /// Where the blob with this key lives.
    pub fn path_of(&self, key: &Sha256Digest) -> PathBuf {
        let hex = key.to_hex();
        self.root.join("sha256").join(&hex[..2]).join(hex)
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

fn fsync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BlobError::io(format!("fsync {}", dir.display()), e))
}

impl BlobStore for LocalBlobStore {
    fn create(&self) -> Result<Box<dyn BlobWriter>, BlobError> {
        let nonce: [u8; 8] =
            random_bytes().map_err(|e| BlobError::io("temp name", io::Error::other(e)))?;
        let tmp_path =
            self.root
                .join("tmp")
                .join(format!("{}-{}", std::process::id(), hex::encode(nonce)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp_path)
            .map_err(|e| BlobError::io(format!("create {}", tmp_path.display()), e))?;
        Ok(Box::new(LocalWriter {
            file,
            tmp_path,
            store: self.clone(),
            hasher: Sha256::new(),
            bytes: 0,
            done: false,
        }))
    }

    fn open(&self, key: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        match File::open(self.path_of(key)) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(*key)),
            Err(e) => Err(BlobError::io(format!("open blob {key}"), e)),
        }
    }

    fn size(&self, key: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        match fs::metadata(self.path_of(key)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BlobError::io(format!("stat blob {key}"), e)),
        }
    }

    fn keys(&self) -> Result<Vec<Sha256Digest>, BlobError> {
        let top = self.root.join("sha256");
        let mut keys = Vec::new();
        let dirs = fs::read_dir(&top).map_err(|e| BlobError::io(top.display(), e))?;
        for dir in dirs {
            let dir = dir.map_err(|e| BlobError::io(top.display(), e))?.path();
            let files = fs::read_dir(&dir).map_err(|e| BlobError::io(dir.display(), e))?;
            for f in files.flatten() {
                if let Some(key) = f.file_name().to_str().and_then(|n| n.parse().ok()) {
                    keys.push(key);
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
    hasher: Sha256,
    bytes: u64,
    done: bool,
}

impl Write for LocalWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
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
        self.file
            .sync_all()
            .map_err(|e| BlobError::io(format!("fsync {tmp}"), e))?;
        fs::set_permissions(&self.tmp_path, fs::Permissions::from_mode(0o400))
            .map_err(|e| BlobError::io(format!("chmod {tmp}"), e))?;
        let sha256 = Sha256Digest(std::mem::take(&mut self.hasher).finalize().into());
        let dest = self.store.path_of(&sha256);
        let dir = dest.parent().unwrap_or(&self.store.root).to_owned();
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(|e| BlobError::io(dir.display(), e))?;
            fsync_dir(&self.store.root.join("sha256"))?;
        }
        match fs::hard_link(&self.tmp_path, &dest) {
            Ok(()) => {}
            // Same key, same bytes: keep the stored blob, never overwrite it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(BlobError::io(format!("link {}", dest.display()), e)),
        }
        self.done = true;
        let _ = fs::remove_file(&self.tmp_path);
        fsync_dir(&dir)?;
        Ok(BlobReceipt {
            sha256,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_commit_read_and_dedupe() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut w = store.create().unwrap();
        w.write_all(b"original evidence").unwrap();
        let r = w.commit().unwrap();
        assert_eq!(r.sha256, Sha256Digest::of(b"original evidence"));
        assert_eq!(r.bytes, 17);
        let mut again = store.create().unwrap();
        again.write_all(b"original evidence").unwrap();
        assert_eq!(again.commit().unwrap(), r);
        let mut back = Vec::new();
        store
            .open(&r.sha256)
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, b"original evidence");
        assert_eq!(store.keys().unwrap(), vec![r.sha256]);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut w = store.create().unwrap();
        w.write_all(b"half").unwrap();
        drop(w);
        assert!(store.keys().unwrap().is_empty());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert!(matches!(
            store.open(&Sha256Digest::of(b"half")),
            Err(BlobError::NotFound(_))
        ));
    }
}
