//! The keyring, witnessing, timestamps, vocabularies, intake and analysis on PostgreSQL,
//! against a real server (never a mock): the conformance suites SQLite passes in the unit
//! tests, and the races only several servers on one database can run.
//!
//! Needs `GAWAH_TEST_DATABASE_URL` (see `gawah_store::conformance::pg_schemas`).

use gawah_core::seal::{KeySource, SecretKey};
use gawah_store::conformance::analysis::analysis_conformance;
use gawah_store::conformance::harness::{Harness, time};
use gawah_store::conformance::intake::intake_conformance;
use gawah_store::conformance::keys::keys_conformance;
use gawah_store::conformance::pg_schemas::Schemas;
use gawah_store::conformance::timestamps::timestamps_conformance;
use gawah_store::conformance::vocab::vocab_conformance;
use gawah_store::conformance::witness::witness_conformance;
use gawah_store::keys::{KeyStore, Keyring, KeyringRow, OrgKeyRow};
use gawah_store::sqlite::OpenMode;
use gawah_store::witness::{WitnessStore, WitnessedCheckpoint, WitnessedHead, add_log_change};
use gawah_store::{PgStore, Store, StoreError};

/// A fresh schema per store.
struct Pg {
    schemas: Schemas,
}

impl Pg {
    fn new() -> Self {
        Self {
            schemas: Schemas::new(),
        }
    }
}

impl Harness for Pg {
    type Store = PgStore;

    fn fresh(&self) -> PgStore {
        PgStore::open(&self.schemas.fresh().url, OpenMode::Checked).unwrap()
    }

    fn init_keyring(
        &self,
        store: &PgStore,
        ring: &KeyringRow,
        instance: &OrgKeyRow,
    ) -> Result<(), StoreError> {
        store.init_keyring(ring, instance)
    }
}

#[test]
fn postgres_passes_the_keys_suite() {
    keys_conformance(&Pg::new());
}

#[test]
fn postgres_passes_the_witness_suite() {
    witness_conformance(&Pg::new());
}

#[test]
fn postgres_passes_the_timestamps_suite() {
    timestamps_conformance(&Pg::new());
}

#[test]
fn postgres_passes_the_vocab_suite() {
    vocab_conformance(&Pg::new());
}

#[test]
fn postgres_passes_the_intake_suite() {
    intake_conformance(&Pg::new());
}

#[test]
fn postgres_passes_the_analysis_suite() {
    analysis_conformance(&Pg::new());
}

/// Several servers (stores with pools of their own) on one database, all advancing one
/// witnessed log from the same state with different checkpoints of the same size: exactly
/// one is accepted per round, so only one checkpoint of each size is ever cosigned.
#[test]
fn two_servers_never_cosign_two_checkpoints_of_one_size() {
    let pg = Pg::new();
    let db = pg.schemas.fresh();
    let servers: Vec<PgStore> = (0..3)
        .map(|_| PgStore::open(&db.url, OpenMode::Checked).unwrap())
        .collect();
    let log = gawah_log::NoteSigner::new("a.example/log", [1; 32]).unwrap();
    servers[0]
        .commit(&[add_log_change(time(0), "cli", &log.verifier()).unwrap()])
        .unwrap();
    let mut from = WitnessedHead {
        size: 0,
        root: None,
    };
    for round in 1..=10u8 {
        let size = u64::from(round) * 3;
        let winners: Vec<u8> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..12u8)
                .map(|n| {
                    let server = &servers[usize::from(n) % servers.len()];
                    s.spawn(move || {
                        let to = WitnessedCheckpoint {
                            size,
                            root: [round.wrapping_mul(16).wrapping_add(n); 32],
                            note: format!("note {size} from {n}"),
                        };
                        server
                            .advance_witnessed_log("a.example/log", from, &to, time(1))
                            .unwrap()
                            .then_some(to.root[0])
                    })
                })
                .collect();
            racers
                .into_iter()
                .filter_map(|r| r.join().unwrap())
                .collect()
        });
        assert_eq!(
            winners.len(),
            1,
            "round {round}: one winner, got {winners:?}"
        );
        for server in &servers {
            let state = server.witnessed_log("a.example/log").unwrap().unwrap();
            assert_eq!(
                state.head(),
                WitnessedHead {
                    size,
                    root: Some([winners[0]; 32])
                },
                "every server sees the winner"
            );
        }
        from = WitnessedHead {
            size,
            root: Some([winners[0]; 32]),
        };
    }
}

/// Servers initialising one new database at once store one keyring: the others are told
/// it has one, and the one stored unlocks with its winner's key file only.
#[test]
fn servers_initialising_at_once_store_one_keyring() {
    let pg = Pg::new();
    let db = pg.schemas.fresh();
    let servers: Vec<PgStore> = (0..4)
        .map(|_| PgStore::open(&db.url, OpenMode::Checked).unwrap())
        .collect();
    let sources: Vec<KeySource> = (0..servers.len())
        .map(|_| KeySource::KeyFile(SecretKey::random().unwrap()))
        .collect();
    let results: Vec<Result<(), StoreError>> = std::thread::scope(|s| {
        let racers: Vec<_> = servers
            .iter()
            .zip(&sources)
            .map(|(server, source)| {
                s.spawn(move || {
                    let (_, row, instance) = Keyring::create(source).unwrap();
                    server.init_keyring(&row, &instance)
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let winners: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        assert!(matches!(r, Ok(()) | Err(StoreError::Invalid(_))), "{r:?}");
    }
    let store = &servers[0];
    assert_eq!(store.all_org_keys().unwrap().len(), 1);
    for (i, source) in sources.iter().enumerate() {
        assert_eq!(Keyring::unlock(store, source).is_ok(), i == winners[0]);
    }
}
