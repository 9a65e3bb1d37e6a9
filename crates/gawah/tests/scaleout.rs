//! Several `gawah serve` processes on one PostgreSQL database and one S3 bucket (Garage),
//! through the real binary and plain HTTP: concurrent uploads to two servers, a server
//! killed with SIGKILL mid-stream while the other takes over, and PostgreSQL restarted or
//! Garage stopped under a stream of uploads. After each: every upload acknowledged with 201
//! is in the store at the index it was given, `gawah log verify` recomputes the log and reads
//! every blob back, and no two checkpoints of one size differ.
//!
//! Needs `GAWAH_TEST_DATABASE_URL` and `GAWAH_TEST_S3_URL` with `AWS_*` (scripts/test.sh
//! starts both servers and exports them); without them a test fails, saying so. The outage
//! tests start a PostgreSQL or a Garage of their own (the repository's scripts, in a temp
//! folder) so that stopping it disturbs no other test. Nothing here sleeps to wait for
//! readiness: servers are ready when they print their address, backends when their script
//! returns, and progress is awaited on a channel with a bound.

#[path = "it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "shared/node.rs"]
mod node;

#[path = "scaleout/client.rs"]
mod client;
#[path = "scaleout/cluster.rs"]
mod cluster;
#[path = "scaleout/progress.rs"]
mod progress;
#[path = "scaleout/services.rs"]
mod services;

use std::collections::{BTreeMap, HashMap};
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use client::{Ack, Answer, ack_of, content, get, upload};
use cluster::{Deployment, Node, blob_url, shared_s3_url};
use gawah_store::conformance::pg_schemas::Schemas;
use progress::{Acks, Stop, wait_acks};
use services::Service;

/// The items table of a schema: id -> (sha256, log_index).
fn items_in(dbs: &Schemas, schema: &str) -> HashMap<String, (String, i64)> {
    dbs.admin()
        .query(
            &format!("SELECT id, sha256, log_index FROM {schema}.items"),
            &[],
        )
        .expect("read the items")
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect()
}

/// Every acknowledged upload is in `items` with the hash and index its answer gave.
fn assert_all_present(acks: &[Ack], items: &HashMap<String, (String, i64)>) {
    for ack in acks {
        let (sha, index) = items
            .get(&ack.item)
            .unwrap_or_else(|| panic!("acknowledged upload {ack:?} is missing"));
        assert_eq!(sha, &ack.sha256, "{ack:?}");
        assert_eq!(*index as u64, ack.log_index, "{ack:?}");
    }
}

/// Every acknowledged upload, through `gawah item show --json` on `server`'s data dir.
fn assert_all_shown(dep: &Deployment, server: usize, acks: &[Ack]) {
    for ack in acks {
        let run = dep.run(server, &["item", "show", "--json", &ack.item]).ok();
        let shown = &run.json_lines()[0];
        assert_eq!(shown["item"], ack.item.as_str(), "{shown}");
        assert_eq!(shown["sha256"], ack.sha256.as_str(), "{shown}");
        assert_eq!(shown["log_index"], ack.log_index, "{shown}");
    }
}

/// No two stored checkpoints of one size sign different roots (the primary key on `size`
/// makes this hold by construction; the query is the acceptance check, stated plainly).
fn assert_one_root_per_size(dbs: &Schemas, schema: &str) {
    let forks = dbs
        .admin()
        .query(
            &format!(
                "SELECT size, count(DISTINCT root) FROM {schema}.checkpoints \
                 GROUP BY size HAVING count(DISTINCT root) > 1"
            ),
            &[],
        )
        .expect("query the checkpoints");
    assert!(forks.is_empty(), "{} sizes have two roots", forks.len());
}

fn assert_distinct(acks: &[Ack]) {
    let mut indexes: Vec<u64> = acks.iter().map(|a| a.log_index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), acks.len(), "two uploads got one log index");
}

#[test]
fn two_servers_take_40_concurrent_uploads() {
    const UPLOADS: usize = 40;
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let dep = Deployment::init(&db.text, &blob_url(&shared_s3_url(), "concurrent"), &[], 2);
    let nodes = [dep.serve(0), dep.serve(1)];
    let start = Barrier::new(UPLOADS);
    let acks: Vec<Ack> = std::thread::scope(|sc| {
        let clients: Vec<_> = (0..UPLOADS)
            .map(|i| {
                let (dep, nodes, start) = (&dep, &nodes, &start);
                sc.spawn(move || {
                    let server = i % 2;
                    let bytes = content("concurrent", i, 0);
                    start.wait();
                    let answer = upload(&nodes[server].addr, &dep.token, "CASE-SCALE", &bytes)
                        .unwrap_or_else(|e| panic!("upload {i} to server {server}: {e}"));
                    ack_of(&answer, &bytes, server)
                        .unwrap_or_else(|| panic!("upload {i} to server {server}: {answer:?}"))
                })
            })
            .collect();
        clients
            .into_iter()
            .map(|c| c.join().expect("a client failed"))
            .collect()
    });
    assert_distinct(&acks);
    for node in nodes {
        node.stop();
    }

    // The second server's copy of the data dir sees everything both servers wrote.
    let report = dep.verify(1);
    assert_eq!(report["items"], UPLOADS, "{report}");
    assert!(report["checkpoints"].as_u64() >= Some(1), "{report}");
    assert_all_shown(&dep, 1, &acks);
    assert_all_present(&acks, &items_in(&dbs, &db.schema));
    assert_one_root_per_size(&dbs, &db.schema);
}

/// One client of the failover test: `each` uploads, first to server `first`; on a connection
/// error (the server is gone) the same upload goes to the other server, which it then keeps.
/// Only a 201 counts; any other answer fails the test.
fn failover_client(
    client: usize,
    each: usize,
    addrs: &[String; 2],
    token: &str,
    acks: &Acks,
    tx: &Sender<usize>,
    switched: &AtomicUsize,
) {
    let mut target = client % 2;
    for n in 0..each {
        let bytes = content("failover", client, n);
        let mut refused = 0;
        let answer = loop {
            match upload(&addrs[target], token, "CASE-FAILOVER", &bytes) {
                Ok(answer) => break answer,
                Err(e) => {
                    refused += 1;
                    assert!(
                        refused < 2,
                        "client {client}: no server took upload {n}: {e}"
                    );
                    target = 1 - target;
                    switched.fetch_add(1, Ordering::Relaxed);
                }
            }
        };
        let ack = ack_of(&answer, &bytes, target)
            .unwrap_or_else(|| panic!("client {client}, upload {n}, server {target}: {answer:?}"));
        acks.push(ack, tx);
    }
}

/// Reads `/log/checkpoint` from both servers until `stop`; the notes seen, by size, with
/// the servers that served them. A server that is gone is skipped.
fn watch_checkpoints(addrs: &[String; 2], stop: &Stop) -> BTreeMap<u64, Vec<(usize, String)>> {
    let mut seen: BTreeMap<u64, Vec<(usize, String)>> = BTreeMap::new();
    loop {
        for (server, addr) in addrs.iter().enumerate() {
            let Ok(answer) = get(addr, "/log/checkpoint") else {
                continue;
            };
            assert_eq!(answer.status, 200, "server {server}: {answer:?}");
            let size: u64 = answer
                .text
                .lines()
                .nth(1)
                .and_then(|l| l.parse().ok())
                .unwrap_or_else(|| panic!("not a checkpoint: {}", answer.text));
            seen.entry(size).or_default().push((server, answer.text));
        }
        // Paced, not synchronised: a look every 50 ms is enough to catch both servers.
        if stop.wait(Duration::from_millis(50)) {
            return seen;
        }
    }
}

#[test]
fn a_server_killed_mid_stream_loses_no_acknowledged_upload() {
    const CLIENTS: usize = 6;
    const EACH: usize = 15;
    const KILL_AFTER: usize = 20;
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let dep = Deployment::init(&db.text, &blob_url(&shared_s3_url(), "failover"), &[], 2);
    let mut first = dep.serve(0);
    let second = dep.serve(1);
    let addrs = [first.addr.clone(), second.addr.clone()];
    let (acks, switched, watching) = (Acks::new(), AtomicUsize::new(0), Stop::new());
    let (tx, rx) = channel();
    let (at_kill, seen) = std::thread::scope(|sc| {
        let watcher = sc.spawn(|| watch_checkpoints(&addrs, &watching));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let tx = tx.clone();
                let (addrs, token, acks, switched) = (&addrs, &dep.token, &acks, &switched);
                sc.spawn(move || failover_client(c, EACH, addrs, token, acks, &tx, switched))
            })
            .collect();
        wait_acks(&rx, KILL_AFTER, "before the kill");
        // Both servers are appending now; the first dies holding whatever it holds (a
        // transaction, the log's advisory lock, half a request).
        first.kill();
        let at_kill = acks.len();
        for c in clients {
            c.join().expect("a client failed");
        }
        watching.set();
        (
            at_kill,
            watcher.join().expect("the checkpoint watcher failed"),
        )
    });
    let acks = acks.take();
    assert_eq!(
        acks.len(),
        CLIENTS * EACH,
        "every upload was acknowledged in the end"
    );
    assert!(at_kill < acks.len(), "nothing was uploaded after the kill");
    assert!(
        switched.load(Ordering::Relaxed) >= 1,
        "no client had to fail over"
    );
    assert!(
        acks[at_kill..].iter().any(|a| a.server == 1),
        "the surviving server took the uploads after the kill"
    );
    assert_distinct(&acks);
    eprintln!(
        "failover: {} acknowledged, {at_kill} before the kill, {} by the killed server, \
         {} retried elsewhere after a connection error, checkpoints of {} sizes read",
        acks.len(),
        acks.iter().filter(|a| a.server == 0).count(),
        switched.load(Ordering::Relaxed),
        seen.len()
    );

    // The survivor still signs the head: its checkpoint is the log's size.
    let head: i64 = dbs
        .admin()
        .query_one(&format!("SELECT size FROM {}.log_head", db.schema), &[])
        .expect("read the head")
        .get(0);
    let cp = get(&addrs[1], "/log/checkpoint").expect("the survivor answers");
    assert_eq!(
        cp.text.lines().nth(1),
        Some(head.to_string().as_str()),
        "{cp:?}"
    );
    second.stop();

    // Checkpoints read from both servers: one note per size, and it is the stored one.
    for server in [0, 1] {
        assert!(
            seen.values().flatten().any(|(s, _)| *s == server),
            "no checkpoint read from server {server}"
        );
    }
    for (size, notes) in &seen {
        let stored: String = dbs
            .admin()
            .query_one(
                &format!("SELECT note FROM {}.checkpoints WHERE size = $1", db.schema),
                &[&(*size as i64)],
            )
            .expect("the checkpoint served is stored")
            .get(0);
        for (server, note) in notes {
            assert_eq!(
                note, &stored,
                "server {server} served another note for size {size}"
            );
        }
    }

    let report = dep.verify(1);
    assert!(
        report["items"].as_u64() >= Some(acks.len() as u64),
        "{report}"
    );
    assert_all_present(&acks, &items_in(&dbs, &db.schema));
    let by_killed: Vec<Ack> = acks.iter().filter(|a| a.server == 0).cloned().collect();
    assert_all_shown(&dep, 0, &by_killed);
    assert_one_root_per_size(&dbs, &db.schema);
}

/// A 503 that says which backend is down, that nothing was saved, and when to try again.
fn assert_unavailable(answer: &Answer, backend: &str) {
    assert_eq!(answer.status, 503, "{answer:?}");
    let error = answer.json["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(backend) && error.contains("unavailable"),
        "unclear error while {backend} is down: {answer:?}"
    );
    let retry: Option<u64> = answer.retry_after.as_deref().and_then(|r| r.parse().ok());
    assert!(retry.is_some_and(|s| s >= 1), "no Retry-After: {answer:?}");
}

/// One client of an outage test: uploads until `stop`. A 201 is acknowledged; a 503 must be
/// a clear one, and the client waits as its `Retry-After` asks; anything else (another
/// status, or no answer at all) fails the test: the server stays up while a backend is down.
fn outage_client(
    client: usize,
    node: &Node,
    token: &str,
    backend: &str,
    acks: &Acks,
    tx: &Sender<usize>,
    stop: &Stop,
) -> usize {
    let mut refused = 0;
    for n in 0.. {
        if stop.is_set() {
            break;
        }
        let bytes = content(backend, client, n);
        let answer = upload(&node.addr, token, "CASE-OUTAGE", &bytes)
            .unwrap_or_else(|e| panic!("client {client}: no answer: {e}\n{}", node.log()));
        if let Some(ack) = ack_of(&answer, &bytes, 0) {
            acks.push(ack, tx);
            // Paced, not synchronised: a steady stream, not as many items as the box can
            // write while the backend takes its time to stop.
            stop.wait(Duration::from_millis(20));
            continue;
        }
        assert_unavailable(&answer, backend);
        refused += 1;
        let secs = answer.retry_after.as_deref().and_then(|r| r.parse().ok());
        stop.wait(Duration::from_secs(secs.unwrap_or(1)));
    }
    refused
}

/// Uploads from three clients to `node` while `outage` runs; returns what was acknowledged.
fn uploads_through(
    node: &Node,
    token: &str,
    backend: &str,
    outage: impl FnOnce(&dyn Fn(&str)),
) -> Vec<Ack> {
    let (acks, stop) = (Acks::new(), Stop::new());
    let (tx, rx) = channel();
    std::thread::scope(|sc| {
        let clients: Vec<_> = (0..3)
            .map(|c| {
                let tx = tx.clone();
                let (acks, stop) = (&acks, &stop);
                sc.spawn(move || outage_client(c, node, token, backend, acks, &tx, stop))
            })
            .collect();
        // `progress(what)`: five more uploads acknowledged, within the bound.
        let progress = |what: &str| wait_acks(&rx, acks.len() + 5, what);
        progress("before the outage");
        outage(&progress);
        stop.set();
        let refused: usize = clients
            .into_iter()
            .map(|c| c.join().expect("a client failed"))
            .sum();
        eprintln!(
            "{backend}: {} uploads acknowledged, {refused} answered 503",
            acks.len()
        );
    });
    acks.take()
}

#[test]
fn postgres_restarted_under_uploads_answers_503_and_loses_nothing() {
    let s3 = shared_s3_url();
    let pg = Service::postgres();
    let url = pg.export("GAWAH_TEST_DATABASE_URL");
    let dep = Deployment::init(&url, &blob_url(&s3, "pg-restart"), &[], 1);
    let node = dep.serve(0);
    let acks = uploads_through(&node, &dep.token, "the database", |progress| {
        // A crash: no shutdown checkpoint, connections cut mid-transaction, recovery on start.
        pg.restart_immediate();
        progress("after PostgreSQL crashed and came back");
        // Down for a while: every request is a clear 503 until it is back.
        pg.stop();
        let probe = upload(
            &node.addr,
            &dep.token,
            "CASE-OUTAGE",
            b"while the database is down",
        )
        .expect("the server answers while PostgreSQL is down");
        assert_unavailable(&probe, "the database");
        pg.start_again();
        progress("after PostgreSQL came back");
    });
    let log = node.stop();
    assert!(
        log.contains("answered 503"),
        "the outage is in the log: {log}"
    );
    assert_distinct(&acks);
    let report = dep.verify(0);
    assert!(
        report["items"].as_u64() >= Some(acks.len() as u64),
        "{report}"
    );
    assert_all_shown(&dep, 0, &acks);
}

#[test]
fn garage_stopped_under_uploads_answers_503_and_loses_nothing() {
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let garage = Service::garage();
    let url = blob_url(&garage.export("GAWAH_TEST_S3_URL"), "garage-stop");
    let dep = Deployment::init(&db.text, &url, &garage.exports_with("AWS_"), 1);
    let node = dep.serve(0);
    let acks = uploads_through(&node, &dep.token, "file storage", |progress| {
        garage.stop();
        let probe = upload(
            &node.addr,
            &dep.token,
            "CASE-OUTAGE",
            b"while storage is down",
        )
        .expect("the server answers while Garage is down");
        assert_unavailable(&probe, "file storage");
        garage.start_again();
        progress("after Garage came back");
    });
    node.stop();
    assert_distinct(&acks);
    // A refused upload failed before its commit (the blob first, then the record), so the
    // items are exactly the acknowledged ones; verify reads every blob back and checks it.
    let report = dep.verify(0);
    assert_eq!(report["items"], acks.len(), "{report}");
    assert_all_present(&acks, &items_in(&dbs, &db.schema));
    assert_one_root_per_size(&dbs, &db.schema);
}
