//! A small tmpfs of the test's own, so that "the disk is full" is a real `ENOSPC` from the
//! kernel and not a simulation: mounted by [`Tmpfs::mount`], unmounted when dropped (also
//! when the test panics), and filled to within a chosen number of bytes by a filler file
//! that the test deletes to free the space again.
//!
//! Mounting needs root or `CAP_SYS_ADMIN` (the tests run as root, here and in CI). Without
//! it the test fails, saying so: a fault-injection test that quietly skips proves nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The page size tmpfs allocates in: a file of n bytes takes n rounded up to it.
pub const PAGE: u64 = 4096;

/// A mounted tmpfs; unmounted on drop.
pub struct Tmpfs {
    dir: PathBuf,
    /// The folder holding the mount point, removed after the unmount.
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` (rounded up to whole KiB) on a fresh folder.
    pub fn mount(bytes: u64) -> Self {
        let parent = tempfile::tempdir().expect("tempdir for the mount point");
        let dir = parent.path().join("fs");
        std::fs::create_dir(&dir).expect("mkdir the mount point");
        let size = format!("size={}k,mode=0700", bytes.div_ceil(1024));
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(&dir)
            .output();
        let why = match out {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
            Err(e) => Some(format!("cannot run mount: {e}")),
        };
        if let Some(why) = why {
            panic!(
                "the fault-injection tests mount a small tmpfs to fill it up, which needs root \
                 or CAP_SYS_ADMIN (run them as root, as CI does): `mount -t tmpfs -o {size} \
                 tmpfs {}` failed: {why}",
                dir.display()
            );
        }
        Self {
            dir,
            _parent: parent,
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Bytes free for an unprivileged write, as the kernel counts them now.
    pub fn free(&self) -> u64 {
        let st = rustix::fs::statvfs(&self.dir).expect("statvfs the tmpfs");
        st.f_bavail * st.f_frsize
    }

    /// Writes a filler file that leaves `leave` bytes (rounded down to whole pages) free;
    /// returns its path. Deleting it frees the space again.
    pub fn fill_leaving(&self, leave: u64) -> PathBuf {
        let free = self.free();
        assert!(free > leave, "only {free} bytes free, cannot leave {leave}");
        let path = self.dir.join(format!("filler-{}", free));
        let size = (free - leave) / PAGE * PAGE;
        let mut file = std::fs::File::create(&path).expect("create the filler");
        let block = vec![0x5a_u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            file.write_all(&block[..n]).expect("write the filler");
            left -= n as u64;
        }
        drop(file);
        let now = self.free();
        // At most `leave` plus the page rounding; less if the server wrote meanwhile.
        assert!(
            now <= leave + PAGE,
            "the filler left {now} bytes free, more than {leave}"
        );
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let plain = Command::new("umount").arg(&self.dir).status();
        if !matches!(plain, Ok(s) if s.success()) {
            // Still busy (a child not yet reaped after a panic): detach it now, freed when
            // the last file on it is closed.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}
