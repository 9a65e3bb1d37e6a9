//! The PostgreSQL store against a real PostgreSQL (never a mock).
//!
//! Needs `GAWAH_TEST_DATABASE_URL`, which `scripts/postgres.sh start DIR` prints; the test
//! command evals it before `cargo test`. Without it these tests fail, saying so: a skipped
//! test would read as a passing one. Every store a test opens lives in a schema of its own
//! (`gawah_t_<random>`, through the URL's `options=-c search_path=...`), so tests run in
//! parallel; the schemas are dropped at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use gawah_core::{Action, LogEntry, Timestamp};
use gawah_log::{MemoryTree, tree_root};
use gawah_store::conformance::pg_schemas::{Schemas, base_url};
use gawah_store::pg::{DatabaseUrl, SCHEMA_VERSION};
use gawah_store::sqlite::OpenMode;
use gawah_store::store_conformance::{store_conformance, view};
use gawah_store::{Change, PgStore, RecordWrite, Store, StoreError};
use postgres::{Client, NoTls};

#[test]
fn postgres_passes_the_store_conformance_suite() {
    let dbs = Schemas::new();
    store_conformance(&|| PgStore::open(&dbs.fresh().url, OpenMode::Checked).unwrap());
}

#[test]
fn two_servers_starting_at_once_migrate_once_and_a_newer_schema_is_refused() {
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let url = &db.url;
    std::thread::scope(|s| {
        let opened: Vec<_> = (0..3)
            .map(|_| s.spawn(|| PgStore::open(url, OpenMode::Checked)))
            .collect();
        for h in opened {
            let store = h.join().unwrap().unwrap();
            assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        }
    });
    let mut c = db.connect();
    c.batch_execute("UPDATE schema_version SET version = version + 1")
        .unwrap();
    let err = PgStore::open(url, OpenMode::Checked).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
}

#[test]
fn a_head_that_contradicts_the_log_is_refused_at_open() {
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let url = &db.url;
    let store = PgStore::open(url, OpenMode::Checked).unwrap();
    store
        .commit(&(0..20).map(view).collect::<Vec<_>>())
        .unwrap();
    drop(store);
    let mut c = db.connect();
    c.batch_execute("UPDATE log_head SET size = size - 1")
        .unwrap();
    let err = PgStore::open(url, OpenMode::Checked).unwrap_err();
    assert!(matches!(err, StoreError::Inconsistent(_)), "{err}");
    // `log verify` still opens it, to report.
    let audit = PgStore::open(url, OpenMode::Audit).unwrap();
    assert_eq!(audit.head().unwrap().size, 19);
}

#[test]
fn a_batch_with_a_refused_record_leaves_nothing() {
    let dbs = Schemas::new();
    let store = PgStore::open(&dbs.fresh().url, OpenMode::Checked).unwrap();
    // An endorsement by an organisation that does not exist: a foreign key refuses it, as
    // on SQLite, and the entry before it in the batch goes too.
    let change = Change {
        record: RecordWrite::Endorsement {
            org: gawah_core::OrgId::random().unwrap(),
        },
        entry: view(1).entry,
    };
    let err = store.commit(&[view(0), change]).unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    assert_eq!(store.head().unwrap().size, 0);
}

#[test]
fn an_unreachable_server_is_retryable_and_a_wrong_password_is_not() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = DatabaseUrl::parse(&format!("postgres://gawah:x@127.0.0.1:{port}/gawah")).unwrap();
    let err = PgStore::open(&url, OpenMode::Checked).unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        !err.to_string().contains(":x@"),
        "the password leaked: {err}"
    );

    let base = base_url();
    let wrong = DatabaseUrl::parse(&base).unwrap().without_password();
    let wrong = wrong.replacen("://gawah@", "://gawah:wrong-password@", 1);
    let err = PgStore::open(&DatabaseUrl::parse(&wrong).unwrap(), OpenMode::Checked).unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(
        !err.to_string().contains("wrong-password"),
        "the password leaked: {err}"
    );
}

/// Ends every connection of `store` on the server and waits (bounded) until their backends
/// are gone; returns how many there were.
fn kill_connections(admin: &mut Client, store: &PgStore) -> usize {
    let pids: Vec<i32> = admin
        .query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
            &[&store.application_name()],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS p(pid)",
            &[&pids],
        )
        .unwrap();
    let gone = || {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)",
                &[&pids],
            )
            .unwrap()
            .get(0);
        left == 0
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut gone = gone;
    while !gone() {
        assert!(
            std::time::Instant::now() < deadline,
            "backends {pids:?} did not end"
        );
        std::thread::yield_now();
    }
    pids.len()
}

#[test]
fn cut_connections_come_back_and_a_tokio_thread_may_call_the_store() {
    let dbs = Schemas::new();
    let store = PgStore::open(&dbs.fresh().url, OpenMode::Checked).unwrap();
    store.commit(&[view(0)]).unwrap();
    assert!(kill_connections(&mut dbs.admin(), &store) > 0);
    // Reads are repeated once on a new connection; this one must succeed.
    assert_eq!(store.head().unwrap().size, 1);
    // Connections cut while idle are found dead before the next job runs on them: commits
    // on every worker succeed.
    assert!(kill_connections(&mut dbs.admin(), &store) > 0);
    for i in 1..10 {
        store.commit(&[view(i)]).unwrap();
    }
    // The web server calls the store from its runtime's threads: that must not panic.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let size = rt.block_on(async { store.head().map(|h| h.size) }).unwrap();
    assert_eq!(size, 10);
}

/// The entry of writer `w`'s `k`th change, unique across the test.
fn change_of(w: usize, k: usize) -> Change {
    Change {
        record: RecordWrite::None,
        entry: LogEntry::new(
            Timestamp::from_millis(1_767_225_600_000 + k as i64),
            &format!("writer{w}"),
            Action::View,
            &format!("item_{w}_{k}"),
        ),
    }
}

/// Two servers (two stores with pools of their own) append at once while a third party
/// cuts one server's connections again and again, mid-stream, and both sign checkpoints.
/// Every acknowledged entry is there at its index, the log has no gap and verifies, no two
/// checkpoints share a size, and the other server never notices.
#[test]
fn two_servers_append_while_one_loses_its_connections() {
    const WRITERS_PER_SERVER: usize = 2;
    const COMMITS: usize = 120;
    const KILLS: usize = 6;
    let dbs = Schemas::new();
    let db = dbs.fresh();
    let url = &db.url;
    let servers = [
        PgStore::open_with_workers(url, OpenMode::Checked, 3).unwrap(),
        PgStore::open_with_workers(url, OpenMode::Checked, 3).unwrap(),
    ];
    let acked = Mutex::new(BTreeMap::<u64, Vec<u8>>::new());
    let attempted = Mutex::new(BTreeSet::<Vec<u8>>::new());
    let failures = [AtomicUsize::new(0), AtomicUsize::new(0)];
    // Server 0's (acknowledged, failed) commits, which the killer waits on.
    let victim = (Mutex::new((0usize, 0usize)), Condvar::new());
    let mut kills = 0;
    std::thread::scope(|s| {
        for (n, server) in servers.iter().enumerate() {
            for t in 0..WRITERS_PER_SERVER {
                let (acked, attempted, failures) = (&acked, &attempted, &failures);
                let victim = &victim;
                s.spawn(move || {
                    let w = n * WRITERS_PER_SERVER + t;
                    for k in 0..COMMITS {
                        let changes: Vec<Change> =
                            (0..1 + k % 3).map(|j| change_of(w, k * 3 + j)).collect();
                        let bytes: Vec<Vec<u8>> = changes
                            .iter()
                            .map(|c| c.entry.to_bytes().unwrap())
                            .collect();
                        attempted.lock().unwrap().extend(bytes.iter().cloned());
                        match server.commit(&changes) {
                            Ok(indexes) => {
                                acked.lock().unwrap().extend(indexes.into_iter().zip(bytes));
                                if n == 0 {
                                    victim.0.lock().unwrap().0 += 1;
                                }
                            }
                            Err(e) => {
                                assert!(e.is_retryable(), "server {n}: {e}");
                                failures[n].fetch_add(1, Ordering::SeqCst);
                                if n == 0 {
                                    victim.0.lock().unwrap().1 += 1;
                                }
                            }
                        }
                        victim.1.notify_all();
                        if k % 10 == 0 {
                            match server.checkpoint_head(&|h| Ok(format!("t\n{}\n", h.size))) {
                                Ok(_) => {}
                                Err(e) => assert!(e.is_retryable(), "server {n}: {e}"),
                            }
                        }
                    }
                });
            }
        }
        // The killer: after every 20 acknowledged commits of server 0, cut all its
        // connections, whatever they are doing.
        let mut admin = Client::connect(&base_url(), NoTls).unwrap();
        let total = WRITERS_PER_SERVER * COMMITS;
        for round in 1..=KILLS {
            let progress = victim.0.lock().unwrap();
            let progress = victim
                .1
                .wait_while(progress, |(ok, failed)| {
                    *ok < round * 20 && *ok + *failed < total
                })
                .unwrap();
            drop(progress);
            kills += kill_connections(&mut admin, &servers[0]);
        }
    });
    assert!(
        kills >= KILLS,
        "the connections were cut ({kills} backends)"
    );
    assert!(
        failures[0].load(Ordering::SeqCst) > 0,
        "a cut hit server 0 mid-stream"
    );
    assert_eq!(
        failures[1].load(Ordering::SeqCst),
        0,
        "server 1 never noticed"
    );
    assert!(
        victim.0.lock().unwrap().0 > KILLS * 20,
        "server 0 kept committing after its connections were cut"
    );

    // A third server opens the database, checked, and finds everything.
    let check = PgStore::open(url, OpenMode::Checked).unwrap();
    let head = check.head().unwrap();
    let mut tree = MemoryTree::new();
    let attempted = attempted.into_inner().unwrap();
    check
        .for_each_entry(0, u64::MAX, &mut |i, data| {
            assert_eq!(i, tree.size(), "no gap");
            assert!(attempted.contains(data), "entry {i} was never sent");
            tree.push(data);
            Ok(())
        })
        .unwrap();
    assert_eq!((head.size, head.root), (tree.size(), tree.root()));
    for (i, bytes) in acked.into_inner().unwrap() {
        assert_eq!(check.entry(i).unwrap(), bytes, "acknowledged entry {i}");
    }
    let checkpoints = check.checkpoints().unwrap();
    let sizes: BTreeSet<u64> = checkpoints.iter().map(|c| c.size).collect();
    assert_eq!(sizes.len(), checkpoints.len(), "one checkpoint per size");
    assert!(!checkpoints.is_empty());
    for cp in &checkpoints {
        assert!(cp.size <= head.size);
        assert_eq!(
            tree_root(cp.size, &tree).unwrap(),
            cp.root,
            "checkpoint {}",
            cp.size
        );
    }
}

/// A PostgreSQL server of this test's own (`scripts/postgres.sh` in a temporary folder), so
/// that restarting it disturbs no other test; stopped when the test ends, however it ends.
struct OwnServer {
    dir: tempfile::TempDir,
}

impl OwnServer {
    fn script(args: &[&str]) -> String {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postgres.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts it; returns it and its URL.
    fn start() -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let exports = Self::script(&["start", &path]);
        let url = exports
            .lines()
            .find_map(|l| l.strip_prefix("export GAWAH_TEST_DATABASE_URL="))
            .expect("the script prints the URL")
            .to_owned();
        (Self { dir }, url)
    }

    /// Stops it the way a crash would, and starts it again on the same port.
    fn crash_and_restart(&self) {
        Self::script(&["restart", self.dir.path().to_str().unwrap(), "immediate"]);
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        if let Some(path) = self.dir.path().to_str() {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
            let _ = std::process::Command::new("bash")
                .args([script, "stop", path])
                .output();
        }
    }
}

/// The server crashes and comes back: every acknowledged entry survived (synchronous
/// commit), the same store handle goes on without being reopened, and the log verifies.
#[test]
fn acknowledged_entries_survive_a_server_crash_and_the_store_carries_on() {
    let (server, url) = OwnServer::start();
    let url = DatabaseUrl::parse(&url).unwrap();
    let store = PgStore::open(&url, OpenMode::Checked).unwrap();
    let first: Vec<Change> = (0..40).map(view).collect();
    assert_eq!(store.commit(&first).unwrap(), (0..40).collect::<Vec<_>>());
    let cp = store
        .checkpoint_head(&|h| Ok(format!("t\n{}\n", h.size)))
        .unwrap();

    server.crash_and_restart();

    assert_eq!(
        store.head().unwrap().size,
        40,
        "nothing acknowledged was lost"
    );
    for i in 40..60 {
        store.commit(&[view(i)]).unwrap();
    }
    assert_eq!(store.latest_checkpoint().unwrap(), Some(cp));
    let reopened = PgStore::open(&url, OpenMode::Checked).unwrap();
    let mut tree = MemoryTree::new();
    reopened
        .for_each_entry(0, u64::MAX, &mut |i, data| {
            assert_eq!(data, view(i).entry.to_bytes().unwrap(), "entry {i}");
            tree.push(data);
            Ok(())
        })
        .unwrap();
    assert_eq!(reopened.head().unwrap().root, tree.root());
    assert_eq!(tree.size(), 60);
}
