//! SIGKILL of `gawah serve` on the embedded store under concurrent uploads: six clients
//! stream uploads of up to 384 KiB; once a number of them are acknowledged the server is
//! killed mid-stream (requests in flight, a transaction perhaps open, blobs half-written),
//! then started again on the same data dir; three rounds.
//!
//! After every kill `gawah log verify` holds and every upload acknowledged with 201 is an
//! item at the index its answer gave, with the hash of what was sent. At the end the server,
//! restarted, serves every acknowledged upload back byte for byte, the blob folder holds no
//! temp file or partial blob, and the log still verifies. Uploads cut off by the kill got
//! no answer and count for nothing; one that committed just before the kill is a whole
//! item that was never acknowledged, which is allowed.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use crate::check::{Ack, ack_of, assert_downloads, assert_items, assert_no_partial_blobs, content};
use crate::http;
use crate::site::Site;

const CLIENTS: usize = 6;
const ROUNDS: usize = 3;
/// Uploads acknowledged in a round before the kill.
const KILL_AFTER: usize = 15;
/// Longest a round may take to reach `KILL_AFTER` acknowledgements.
const PROGRESS_BOUND: Duration = Duration::from_secs(180);

/// Waits until the running count sent on `rx` reaches `at_least`, within the bound.
fn wait_acks(rx: &Receiver<usize>, at_least: usize) {
    let deadline = Instant::now() + PROGRESS_BOUND;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(n) if n >= at_least => return,
            Ok(_) => {}
            Err(e) => panic!("fewer than {at_least} uploads acknowledged: {e}"),
        }
    }
}

/// One client: uploads until the server is gone (a connection error: that upload was not
/// acknowledged). Every answer must be a 201; anything else fails the test.
fn client(
    round: usize,
    c: usize,
    addr: &str,
    token: &str,
    acks: &Mutex<Vec<Ack>>,
    tx: &Sender<usize>,
) {
    for n in 0.. {
        let seed = (round * 100 + c) as u64 * 100_000 + n;
        let len = 1 + (seed.wrapping_mul(2_654_435_761) % (384 << 10)) as usize;
        let bytes = content(seed, len);
        let Ok(answer) = http::upload(addr, token, "load.bin", &bytes) else {
            return;
        };
        let ack = ack_of(&answer, &bytes)
            .unwrap_or_else(|| panic!("round {round}, client {c}, upload {n}: {answer:?}"));
        let mut all = acks.lock().unwrap_or_else(|p| p.into_inner());
        all.push(ack);
        let _ = tx.send(all.len());
    }
}

#[test]
fn sigkill_of_the_server_under_concurrent_uploads_loses_nothing_acknowledged() {
    let data = tempfile::tempdir().expect("tempdir");
    let site = Site::init(&data.path().join("data"), None);
    let acks = Mutex::new(Vec::new());
    for round in 0..ROUNDS {
        let mut server = site.serve(round);
        let before = acks.lock().unwrap_or_else(|p| p.into_inner()).len();
        let (tx, rx) = channel();
        let addr = server.addr.clone();
        std::thread::scope(|sc| {
            for c in 0..CLIENTS {
                let (tx, addr, token, acks) = (tx.clone(), &addr, &site.token, &acks);
                sc.spawn(move || client(round, c, addr, token, acks, &tx));
            }
            wait_acks(&rx, before + KILL_AFTER);
            // Uploads are in flight from every client: the kill cuts some mid-body, some
            // mid-commit, some after the commit and before the answer.
            server.kill();
        });
        let acks = acks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let report = site.verify();
        assert_items(&site, &acks, false);
        eprintln!(
            "round {round}: {} acknowledged in all, {} items stored",
            acks.len(),
            report["items"]
        );
    }

    let acks = acks.into_inner().unwrap_or_else(|p| p.into_inner());
    let server = site.serve(ROUNDS);
    assert_downloads(&server.addr, &site.token, &acks);
    let bytes = content(u64::MAX, 1000);
    let answer = http::upload(&server.addr, &site.token, "after.bin", &bytes).expect("upload");
    assert!(ack_of(&answer, &bytes).is_some(), "{answer:?}");
    server.stop();
    // Opening the blob store removed the temp files the dead processes left.
    assert_no_partial_blobs(&site.blobs);
    site.verify();
}
