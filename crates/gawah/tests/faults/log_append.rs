//! Disk full during log appends: the whole data dir, so `gawah.db` and its WAL, on a small
//! tmpfs filled by a filler file to within a few KiB; then incidents are created through
//! the API (each one a record, a custody event and a log entry in one transaction) until
//! the WAL cannot grow, while the server goes on signing checkpoints about once a second.
//!
//! Asserted: the refused append is a clear 507, and so is an upload (its intake entry)
//! while the disk is full; reads go on and list exactly the acknowledged incidents; every
//! checkpoint served at any point is the stored one and covers only stored entries (no
//! checkpoint is signed over an entry that a failed commit did not keep); after the filler
//! is deleted, appends work again without a restart; after a stop and a restart the log
//! verifies, each acknowledged incident is at the index it was given, and no other is stored.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::check::{
    Ack, ack_of, assert_items, assert_no_partial_blobs, assert_storage_full, content,
};
use crate::http;
use crate::site::{Node, Site};
use crate::tmpfs::Tmpfs;

/// The tmpfs: a fresh data dir and its WAL fit with room to spare.
const FS_SIZE: u64 = 6 << 20;
/// What the filler leaves free: room for a few appends' WAL frames, not many.
const LEAVE: u64 = 192 << 10;
/// Most appends tried on the full disk before one must have been refused.
const BOUND: usize = 200;

/// An incident as the API takes it; a description of a few KiB so that each append writes
/// a few pages to the WAL.
fn incident(n: usize) -> Value {
    json!({
        "title": format!("Fault injection incident {n}"),
        "date": "2024-03-21",
        "province": "AF-KAB",
        "violation_types": ["education"],
        "description": format!("Girls turned away from school, report {n}. ").repeat(60),
    })
}

/// An incident the server acknowledged with 201: its id and log index.
#[derive(Debug, Clone)]
struct Created {
    id: String,
    log_index: u64,
}

/// Creates incident `n`: `Ok` with what a 201 said, `Err` with any other answer.
fn create(server: &Node, token: &str, n: usize) -> Result<Created, http::Answer> {
    let answer = http::post_json(&server.addr, token, "/api/v1/incidents", &incident(n))
        .expect("the server answers");
    if answer.status != 201 {
        return Err(answer);
    }
    let j = answer.json();
    Ok(Created {
        id: j["id"].as_str().expect("201 names the incident").to_owned(),
        log_index: j["log_index"].as_u64().expect("201 gives the log index"),
    })
}

/// Reads `/log/checkpoint`: a note (kept in `seen` by size) or, while the disk is full and
/// the head has no checkpoint yet, a clear 507. Returns the size served, if any.
fn read_checkpoint(server: &Node, seen: &mut BTreeMap<u64, String>) -> Option<u64> {
    let answer = http::get(&server.addr, None, "/log/checkpoint").expect("checkpoint");
    if answer.status != 200 {
        assert_storage_full(&answer, "a checkpoint that cannot be stored");
        return None;
    }
    let note = answer.text();
    let size: u64 = note
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("not a checkpoint: {note}"));
    if let Some(before) = seen.insert(size, note.clone()) {
        assert_eq!(before, note, "two notes for size {size}");
    }
    Some(size)
}

/// How many incidents the API lists for the member.
fn listed(server: &Node, token: &str) -> u64 {
    let answer = http::get(&server.addr, Some(token), "/api/v1/incidents?limit=500").expect("list");
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["total"].as_u64().expect("a total")
}

/// How many incidents a search for a word they all hold finds (the index is brought up to
/// date first, as far as the disk allows).
fn searched(server: &Node, token: &str) -> u64 {
    let answer = http::get(&server.addr, Some(token), "/api/v1/search?q=school").expect("search");
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["total"].as_u64().expect("a total")
}

#[test]
fn a_log_append_on_a_full_disk_is_refused_with_507_and_no_checkpoint_outruns_the_log() {
    // Declared first, dropped last: unmounted after the server is gone.
    let fs = Tmpfs::mount(FS_SIZE);
    let site = Site::init(&fs.path().join("data"), None);
    let token = site.token.clone();
    let server = site.serve(0);
    let mut seen = BTreeMap::new();
    let mut created: Vec<Created> = (0..3)
        .map(|n| create(&server, &token, n).unwrap_or_else(|a| panic!("incident {n}: {a:?}")))
        .collect();
    read_checkpoint(&server, &mut seen).expect("a checkpoint before the fault");
    // The index is brought up to date now, so that no index write competes with the
    // appends for the last KiB.
    assert_eq!(searched(&server, &token), created.len() as u64);

    let filler = fs.fill_leaving(LEAVE);
    let mut fitted = 0;
    let refused = (3..3 + BOUND).find_map(|n| {
        let outcome = create(&server, &token, n);
        read_checkpoint(&server, &mut seen);
        match outcome {
            Ok(c) => {
                created.push(c);
                fitted += 1;
                None
            }
            Err(answer) => Some(answer),
        }
    });
    let refused = refused.unwrap_or_else(|| {
        panic!(
            "{BOUND} appends fitted in {LEAVE} bytes: the disk never filled ({} free)",
            fs.free()
        )
    });
    assert_storage_full(&refused, "an incident whose log entry cannot be appended");
    assert!(fitted >= 1, "the filler left no room for a single append");
    eprintln!(
        "{fitted} appends fitted after the filler, then one was refused; {} bytes free",
        fs.free()
    );

    // Still full: more appends are refused, an upload's intake entry too; reads go on and
    // list exactly what was acknowledged.
    for n in 0..3 {
        let again = create(&server, &token, 1000 + n).expect_err("an append on the full disk");
        assert_storage_full(&again, "another append on the full disk");
    }
    let bytes = content(7, 1024);
    let upload = http::upload(&server.addr, &token, "note.txt", &bytes).expect("upload");
    assert!(
        ack_of(&upload, &bytes).is_none(),
        "an upload on the full disk"
    );
    assert_storage_full(&upload, "an upload whose intake entry cannot be appended");
    assert_eq!(listed(&server, &token), created.len() as u64);
    read_checkpoint(&server, &mut seen);
    // A search answers from the index as it stands: it cannot take the newest incidents
    // in while the disk is full, and must not fail for that.
    assert!(searched(&server, &token) <= created.len() as u64);

    // Space freed: appends work again without a restart, and a checkpoint covers them.
    std::fs::remove_file(&filler).expect("delete the filler");
    let last = create(&server, &token, 2000).unwrap_or_else(|a| panic!("after freeing: {a:?}"));
    let bytes = content(8, 4096);
    let answer = http::upload(&server.addr, &token, "note.txt", &bytes).expect("upload");
    let ack: Ack = ack_of(&answer, &bytes).unwrap_or_else(|| panic!("{answer:?}"));
    let size = read_checkpoint(&server, &mut seen).expect("a checkpoint once space is freed");
    assert!(size > ack.log_index.max(last.log_index), "{size}");
    created.push(last);
    assert_eq!(listed(&server, &token), created.len() as u64);
    assert_eq!(searched(&server, &token), created.len() as u64);
    server.stop();

    assert_stored(&site, &created, &seen);
    assert_items(&site, std::slice::from_ref(&ack), true);
    assert_no_partial_blobs(&site.blobs);
    site.verify();

    // Restarted on what the fault left: it opens, appends, and the log still verifies.
    let again = site.serve(1);
    created.push(create(&again, &token, 3000).unwrap_or_else(|a| panic!("restarted: {a:?}")));
    assert_eq!(listed(&again, &token), created.len() as u64);
    read_checkpoint(&again, &mut seen);
    again.stop();
    assert_stored(&site, &created, &seen);
    site.verify();
}

/// The store holds exactly the acknowledged incidents, each created by the entry at the
/// index it was given; every checkpoint served is the stored note of its size, and no
/// stored checkpoint is beyond the log's stored head.
fn assert_stored(site: &Site, created: &[Created], seen: &BTreeMap<u64, String>) {
    let db = site.inst.db();
    let head: u64 = db
        .query_row("SELECT size FROM log_head", [], |r| r.get::<_, i64>(0))
        .expect("the head") as u64;
    let stored: u64 = db
        .query_row("SELECT count(*) FROM incidents", [], |r| r.get::<_, i64>(0))
        .expect("count incidents") as u64;
    assert_eq!(stored, created.len() as u64, "incidents never acknowledged");
    for c in created {
        assert!(c.log_index < head, "{c:?} is beyond the head {head}");
        let data: Vec<u8> = db
            .query_row(
                "SELECT data FROM log_entries WHERE idx = ?1",
                [c.log_index as i64],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{c:?}: no entry: {e}"));
        let entry: Value = serde_json::from_slice(&data).expect("an entry is JSON");
        assert_eq!(entry["subject"], c.id.as_str(), "{entry}");
        assert_eq!(entry["action"], "create", "{entry}");
    }
    let beyond: i64 = db
        .query_row(
            "SELECT count(*) FROM checkpoints WHERE size > ?1",
            [head as i64],
            |r| r.get(0),
        )
        .expect("count checkpoints");
    assert_eq!(beyond, 0, "a checkpoint beyond the stored head {head}");
    for (size, note) in seen {
        assert!(
            *size <= head,
            "a checkpoint of size {size} was served, head {head}"
        );
        let stored: String = db
            .query_row(
                "SELECT note FROM checkpoints WHERE size = ?1",
                [*size as i64],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("the checkpoint of size {size} served is not stored: {e}"));
        assert_eq!(
            &stored, note,
            "size {size}: served another note than the stored one"
        );
    }
}
