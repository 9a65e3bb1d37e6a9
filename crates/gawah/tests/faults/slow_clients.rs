//! Slow clients cannot starve the server: more stalled uploads, more stalled resumable
//! uploads and more stalled downloads at once than the server has blocking threads (`BLOCKING_THREADS` in `src/cmd/serve.rs`, 32), and the
//! server still answers reads and takes new uploads. Each stalled client sent a little and
//! then nothing (as a phone on a dead connection does, or an adversary on purpose); if any of
//! them kept a blocking thread waiting for its next bytes, the pool would be full and every
//! request that reads the database would wait for the stalls to time out (two minutes).
//! After the stalled clients go away: the multipart uploads leave nothing behind, and the
//! resumable ones keep, durable and acknowledged, exactly the bytes that arrived.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::http;
use crate::site::Site;

/// Stalled clients of each kind, each kind alone more than the server's 32 blocking threads
/// (so a path that held a thread per client would exhaust the pool by itself).
const MULTIPART: usize = 34;
const TUS: usize = 34;
const DOWNLOADS: usize = 34;
/// What each stalled upload sends before it stops.
const SENT: usize = 1000;
/// Bound on every wait here (polling a condition, or a request's answer): far less than the
/// two minutes a stalled request takes to time out, so a starved server fails the test.
const BOUND: Duration = Duration::from_secs(45);

/// Polls `cond` until it holds, at most [`BOUND`]; panics with `what` otherwise.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < BOUND, "not within {BOUND:?}: {what}");
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// Files in `dir` whose name ends with `suffix` ("" for all).
fn count(dir: &Path, suffix: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
            .count()
    })
}

/// Opens a connection and sends `head` then `body`, and nothing more.
fn stall(addr: &str, head: &str, body: &[u8]) -> TcpStream {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.write_all(head.as_bytes()).expect("send head");
    conn.write_all(body).expect("send body");
    conn
}

/// Sends one request and reads the whole answer (`Connection: close`): status and head.
fn exchange(addr: &str, head: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(BOUND)).expect("timeout");
    conn.write_all(head.as_bytes()).expect("send");
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).expect("read the answer");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A header's value in an answer's text.
fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Runs `f` on a thread and waits for its result at most [`BOUND`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(BOUND)
        .unwrap_or_else(|_| panic!("{what}: no answer within {BOUND:?}"))
}

#[test]
fn stalled_uploads_and_downloads_do_not_starve_the_server() {
    let data = tempfile::tempdir().expect("tempdir");
    let site = Site::init(&data.path().join("data"), None);
    let node = site.serve(0);
    let addr = node.addr.clone();
    let token = site.token.clone();
    let reader = site.inst.member_token("Org Faults", "analyst", "analyst");

    // An item big enough that a client that stops reading leaves the server with more to send.
    let big: Vec<u8> = (0..8u32 << 20).map(|i| (i % 253) as u8).collect();
    let stored = http::upload(&addr, &token, "big.bin", &big).expect("upload");
    assert_eq!(stored.status, 201, "{}", stored.text());
    let item = stored.json()["item"].as_str().expect("item id").to_owned();

    let tmp = site.blobs.join("tmp");
    let parts = site.inst.dir.join("uploads");
    let before = count(&tmp, "");
    let mut stalled = Vec::new();

    // Multipart uploads that announce a megabyte and send a thousand bytes of it.
    let boundary = "gawahslowboundary";
    let mut prefix = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    prefix.extend_from_slice(&[7u8; SENT]);
    let head = format!(
        "POST /api/v1/evidence HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        1 << 20
    );
    for _ in 0..MULTIPART {
        stalled.push(stall(&addr, &head, &prefix));
    }
    // Each one is streaming once its blob's temp file exists.
    wait_until("every stalled multipart upload streams into a blob", || {
        count(&tmp, "") >= before + MULTIPART
    });

    // Resumable uploads whose PATCH sends a thousand of the megabyte it announces.
    let mut uploads = Vec::new();
    for _ in 0..TUS {
        let (status, answer) = exchange(
            &addr,
            &format!(
                "POST /api/v1/uploads HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                 Tus-Resumable: 1.0.0\r\nUpload-Length: {}\r\nContent-Length: 0\r\n\
                 Connection: close\r\n\r\n",
                1 << 20
            ),
        );
        assert_eq!(status, 201, "{answer}");
        let location = header(&answer, "location").expect("Location").to_owned();
        let head = format!(
            "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n\
             Content-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
            1 << 20
        );
        stalled.push(stall(&addr, &head, &[9u8; SENT]));
        uploads.push(location);
    }
    wait_until("every stalled PATCH has its part file", || {
        count(&parts, ".part") >= TUS
    });

    // Downloads of the big item by clients that read the head and then stop reading.
    for i in 0..DOWNLOADS {
        let mut conn = stall(
            &addr,
            &format!(
                "GET /api/v1/evidence/{item}/file HTTP/1.1\r\nHost: {addr}\r\n\
                 Authorization: Bearer {reader}\r\n\r\n"
            ),
            &[],
        );
        conn.set_read_timeout(Some(BOUND)).expect("timeout");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = conn.read(&mut byte).unwrap_or_else(|e| {
                panic!("download {i}: no head within {BOUND:?} ({e}): the server is starved")
            });
            assert_eq!(n, 1, "the download ended before its head");
            head.push(byte[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        stalled.push(conn);
    }
    assert_eq!(stalled.len(), MULTIPART + TUS + DOWNLOADS);

    // With all of them stalled: reads and a new upload are answered.
    let (a, t) = (addr.clone(), reader.clone());
    let list = within("a read while 102 clients stall", move || {
        http::get(&a, Some(&t), "/api/v1/incidents")
    })
    .expect("list incidents");
    assert_eq!(list.status, 200, "{}", list.text());
    let (a, t) = (addr.clone(), token.clone());
    let fresh = within("an upload while 102 clients stall", move || {
        http::upload(&a, &t, "fresh.txt", b"taken in while others stall")
    })
    .expect("upload");
    assert_eq!(fresh.status, 201, "{}", fresh.text());

    // The stalled clients go away.
    drop(stalled);
    wait_until("the abandoned multipart uploads leave no temp file", || {
        count(&tmp, "") == before
    });
    for location in &uploads {
        // What arrived before the client went away is kept and acknowledged.
        wait_until("a broken PATCH acknowledges what arrived", || {
            let (status, answer) = exchange(
                &addr,
                &format!(
                    "HEAD {location} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                     Tus-Resumable: 1.0.0\r\nConnection: close\r\n\r\n"
                ),
            );
            status == 200 && header(&answer, "upload-offset") == Some(&SENT.to_string())
        });
    }
    let report = site.verify();
    assert_eq!(report["items"], 2, "{report}");
    drop(node);
}
