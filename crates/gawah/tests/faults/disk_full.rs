//! Disk full during uploads, on a real `gawah serve` with its blobs on a small tmpfs: once
//! with the whole data dir there (database, WAL, blobs), once with only the blob folder
//! there (`gawah init --blob-url <folder>`), which shows the fault in the blob store alone.
//!
//! The disk is filled by a filler file to within 1 MiB; then one upload larger than the
//! free space and several smaller ones until three are refused. Each refusal must be a
//! clear 507; every upload acknowledged before, between and after must be whole and
//! readable; no temp file or partial blob may stay; after the filler is deleted, uploads
//! work again without a restart; after a stop and a restart `gawah log verify` holds and
//! the store's items are exactly the acknowledged uploads.

use crate::check::{
    Ack, ack_of, assert_downloads, assert_items, assert_no_partial_blobs, assert_storage_full,
    content,
};
use crate::http;
use crate::site::Site;
use crate::tmpfs::Tmpfs;

/// The tmpfs: room for a fresh data dir and a few MiB of uploads.
const FS_SIZE: u64 = 8 << 20;
/// What the filler leaves free.
const LEAVE: u64 = 1 << 20;
/// The smaller uploads: several fit in what is left, not all.
const SMALL: usize = 160 << 10;

/// What the tmpfs holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `gawah.db` (and its WAL), `blobs/`, `index/`, `uploads/`: everything.
    WholeDataDir,
    /// Only the blob folder; the database is on another disk with room to spare.
    BlobFolderOnly,
}

#[test]
fn uploads_on_a_full_data_dir_are_refused_with_507_and_lose_nothing() {
    uploads_until_full(Layout::WholeDataDir);
}

#[test]
fn uploads_on_a_full_blob_folder_are_refused_with_507_and_lose_nothing() {
    uploads_until_full(Layout::BlobFolderOnly);
}

/// Uploads `bytes` as `name`; `Some(ack)` for a 201.
fn send(addr: &str, token: &str, bytes: &[u8]) -> (http::Answer, Option<Ack>) {
    let answer = http::upload(addr, token, "fault.bin", bytes).expect("the server answers");
    let ack = ack_of(&answer, bytes);
    (answer, ack)
}

fn uploads_until_full(layout: Layout) {
    // Declared first, dropped last: unmounted after the server is gone.
    let fs = Tmpfs::mount(FS_SIZE);
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let site = match layout {
        Layout::WholeDataDir => Site::init(&fs.path().join("data"), None),
        Layout::BlobFolderOnly => Site::init(
            &elsewhere.path().join("data"),
            Some(&fs.path().join("blobs")),
        ),
    };
    let server = site.serve(0);
    let (addr, token) = (server.addr.clone(), site.token.clone());
    let mut acks: Vec<Ack> = Vec::new();
    for seed in 0..4 {
        let bytes = content(seed, 64 << 10);
        let (answer, ack) = send(&addr, &token, &bytes);
        acks.push(ack.unwrap_or_else(|| panic!("{layout:?}: upload {seed}: {answer:?}")));
    }

    let filler = fs.fill_leaving(LEAVE);
    let big = content(100, (fs.free() + (1 << 20)) as usize);
    let (answer, ack) = send(&addr, &token, &big);
    assert!(ack.is_none(), "{layout:?}: an upload larger than the disk");
    assert_storage_full(&answer, "an upload larger than the free space");
    assert_no_partial_blobs(&site.blobs);

    let (mut fitted, mut refused) = (0, 0);
    for seed in 200..264 {
        let bytes = content(seed, SMALL);
        match send(&addr, &token, &bytes) {
            (_, Some(ack)) => {
                acks.push(ack);
                fitted += 1;
            }
            (answer, None) => {
                assert_storage_full(&answer, "a smaller upload on the full disk");
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
        }
    }
    assert!(
        fitted >= 1 && refused == 3,
        "{layout:?}: {fitted} smaller uploads fitted in the last MiB, {refused} refused"
    );
    assert_no_partial_blobs(&site.blobs);
    eprintln!("{layout:?}: {fitted} smaller uploads fitted, then {refused} refused with 507");

    // Reads go on. Downloading an original logs a `view` entry first: with only the blob
    // folder full it is served; with the database on the full disk it is served while its
    // entry still fits (the WAL may reuse room a refused commit took), and refused clearly
    // once it does not: never served unlogged, never a 500.
    let list = http::get(&addr, Some(&token), "/api/v1/incidents").expect("list");
    assert_eq!(list.status, 200, "{layout:?}: {}", list.text());
    let edicts = http::get(&addr, None, "/api/v1/edicts").expect("edicts");
    assert_eq!(edicts.status, 200, "{layout:?}: {}", edicts.text());
    match layout {
        Layout::BlobFolderOnly => assert_downloads(&addr, &token, &acks),
        Layout::WholeDataDir => {
            let path = format!("/api/v1/evidence/{}/file", acks[0].item);
            let got = http::get(&addr, Some(&token), &path).expect("download");
            if got.status == 200 {
                assert!(got.body == acks[0].content, "the download differs");
            } else {
                assert_storage_full(&got, "a download whose read cannot be logged");
            }
            eprintln!(
                "{layout:?}: a download on the full disk answered {}",
                got.status
            );
        }
    }

    // Space freed: uploads work again, without a restart, and everything reads back whole.
    std::fs::remove_file(&filler).expect("delete the filler");
    let bytes = content(300, SMALL);
    let (answer, ack) = send(&addr, &token, &bytes);
    acks.push(ack.unwrap_or_else(|| panic!("{layout:?}: after freeing space: {answer:?}")));
    assert_downloads(&addr, &token, &acks);
    let log = server.stop();
    assert!(
        log.contains("answered 507"),
        "the server's log names the full disk:\n{log}"
    );

    assert_no_partial_blobs(&site.blobs);
    assert_items(&site, &acks, true);
    let report = site.verify();
    assert_eq!(report["items"], acks.len(), "{report}");

    // Restarted: it opens the store the fault left, and takes uploads.
    let again = site.serve(1);
    let bytes = content(400, SMALL);
    let (answer, ack) = send(&again.addr, &token, &bytes);
    acks.push(ack.unwrap_or_else(|| panic!("{layout:?}: after a restart: {answer:?}")));
    assert_downloads(&again.addr, &token, &acks);
    again.stop();
    assert_items(&site, &acks, true);
    site.verify();
}
