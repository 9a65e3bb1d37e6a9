//! The conformance suite of [`WitnessStore`] and `RecordWrite::Witness`: configuration
//! changes are logged and versioned, a witnessed log's state moves only by compare-and-set
//! (also when many threads race for it), and cosignatures are kept per checkpoint.

use gawah_core::{Action, LogEntry};
use gawah_log::{Cosigner, NoteSigner};

use super::harness::{Harness, assert_head, commit_one, run, time};
use crate::error::StoreError;
use crate::records::RecordStore;
use crate::store::{LogHead, Store, StoredCheckpoint};
use crate::witness::{
    StoredCosignature, WitnessStore, WitnessedCheckpoint, WitnessedHead, add_log_change,
    add_witness_change, cosigned_note, remove_log_change, remove_witness_change,
};

/// Runs every check of witnessing, each on a fresh store.
pub fn witness_conformance<H: Harness>(harness: &H) {
    run(
        "witness",
        harness,
        &[
            (
                "a witnessed log is logged and moves only by compare-and-set",
                compare_and_set,
            ),
            ("racing advances: one winner per state", racing_advances),
            ("witnesses and their cosignatures", cosignatures),
        ],
    );
}

const ORIGIN: &str = "a.example/log";

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, [1; 32]).expect("a log key")
}

fn checkpoint(size: u64, root: u8) -> WitnessedCheckpoint {
    WitnessedCheckpoint {
        size,
        root: [root; 32],
        note: format!("note {size}"),
    }
}

const EMPTY: WitnessedHead = WitnessedHead {
    size: 0,
    root: None,
};

/// Witnesses [`ORIGIN`]; returns the subject of its configuration.
fn witness_log(store: &dyn Store) -> String {
    let change = add_log_change(time(0), "cli", &log_signer().verifier()).unwrap();
    let subject = change.entry.subject.clone();
    commit_one(store, change).unwrap();
    subject
}

fn compare_and_set<H: Harness>(_: &H, store: &H::Store) {
    let log = log_signer().verifier();
    let subject = witness_log(store);
    let idx = store.head().unwrap().size - 1;
    let entry = LogEntry::parse(&store.entry(idx).unwrap()).unwrap();
    assert_eq!(
        subject,
        format!("witnessed_log:{}", hex::encode(log.key_id()))
    );
    assert_eq!(
        (entry.subject.as_str(), entry.action),
        (subject.as_str(), Action::Create)
    );
    let row = store
        .witnessed_log(ORIGIN)
        .unwrap()
        .expect("the witnessed log");
    assert_eq!(
        (row.active, row.size, row.root, row.log_index),
        (true, 0, None, idx)
    );
    assert_eq!(row.key, log.verifier_key());
    // Adding it again is a conflict, and nothing is written.
    let again = commit_one(store, add_log_change(time(1), "cli", &log).unwrap());
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_head(store, idx + 1);

    let advance = |from, to: &WitnessedCheckpoint| {
        store
            .advance_witnessed_log(ORIGIN, from, to, time(2))
            .unwrap()
    };
    assert!(advance(EMPTY, &checkpoint(5, 1)));
    // A second request from the same state (a fork at 5, or another size) loses.
    assert!(!advance(EMPTY, &checkpoint(5, 2)));
    assert!(!advance(EMPTY, &checkpoint(7, 3)));
    let at5 = store.witnessed_log(ORIGIN).unwrap().unwrap();
    assert_eq!(
        at5.head(),
        WitnessedHead {
            size: 5,
            root: Some([1; 32])
        }
    );
    assert_eq!(
        (at5.note.as_deref(), at5.updated_at),
        (Some("note 5"), time(2))
    );
    // Same size, other root: the state is not what the caller compared with.
    let forged = WitnessedHead {
        size: 5,
        root: Some([2; 32]),
    };
    assert!(!advance(forged, &checkpoint(9, 9)));
    // Never backwards; unknown logs never move.
    assert!(!advance(at5.head(), &checkpoint(4, 4)));
    assert!(
        !store
            .advance_witnessed_log("other", EMPTY, &checkpoint(1, 1), time(2))
            .unwrap()
    );
    assert!(advance(at5.head(), &checkpoint(8, 8)));
    // The right root with the wrong size is not the state either.
    assert!(!advance(
        WitnessedHead {
            size: 7,
            root: Some([8; 32])
        },
        &checkpoint(9, 9)
    ));
    // A removed log is not advanced, and keeps its state when added again.
    let row = store.witnessed_log(ORIGIN).unwrap().unwrap();
    commit_one(store, remove_log_change(time(3), "cli", &row).unwrap()).unwrap();
    assert!(!store.witnessed_log(ORIGIN).unwrap().unwrap().active);
    assert!(!advance(row.head(), &checkpoint(9, 9)));
    let twice = commit_one(store, remove_log_change(time(3), "cli", &row).unwrap());
    assert!(matches!(twice, Err(StoreError::NotFound(_))), "{twice:?}");
    commit_one(store, add_log_change(time(4), "cli", &log).unwrap()).unwrap();
    let back = store.witnessed_log(ORIGIN).unwrap().unwrap();
    assert_eq!((back.active, back.size), (true, 8));
    assert_eq!(store.witnessed_logs().unwrap(), [back]);
    // Every configuration change kept its content, as a new version.
    let versions: Vec<u64> = store
        .versions(&subject)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
}

fn racing_advances<H: Harness>(_: &H, store: &H::Store) {
    witness_log(store);
    let mut from = EMPTY;
    for round in 1..=5u8 {
        // Eight requests from one state, each with another checkpoint of the same size.
        let won: Vec<u8> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8u8)
                .map(|n| {
                    s.spawn(move || {
                        let to = checkpoint(u64::from(round) * 10, round * 16 + n);
                        store
                            .advance_witnessed_log(ORIGIN, from, &to, time(5))
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
            won.len(),
            1,
            "round {round}: exactly one winner, got {won:?}"
        );
        let state = store.witnessed_log(ORIGIN).unwrap().unwrap().head();
        assert_eq!(
            state,
            WitnessedHead {
                size: u64::from(round) * 10,
                root: Some([won[0]; 32])
            }
        );
        from = state;
    }
}

fn sign_head(signer: &NoteSigner) -> impl Fn(LogHead) -> Result<String, StoreError> + '_ {
    move |head| {
        let text = gawah_log::Checkpoint {
            origin: ORIGIN.into(),
            size: head.size,
            root: head.root,
            extensions: vec![],
        }
        .to_text();
        signer
            .sign(&text)
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

fn cosignatures<H: Harness>(_: &H, store: &H::Store) {
    let w = Cosigner::new("b.example/witness", [2; 32]).unwrap();
    let add = add_witness_change(time(0), "cli", &w.verifier(), "http://127.0.0.1:1").unwrap();
    let idx = commit_one(store, add).unwrap();
    let listed = store.witnesses().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].key.as_str(), listed[0].url.as_str()),
        (w.verifier_key().as_str(), "http://127.0.0.1:1")
    );
    assert_eq!((listed[0].active, listed[0].log_index), (true, idx));
    let again = commit_one(
        store,
        add_witness_change(time(0), "cli", &w.verifier(), "http://x").unwrap(),
    );
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let signer = log_signer();
    let cp: StoredCheckpoint = store.checkpoint_head(&sign_head(&signer)).unwrap();
    let text = gawah_log::open_checkpoint(&cp.note, &signer.verifier())
        .unwrap()
        .1
        .text;
    let line = w.cosign(&text, 100).unwrap();
    let c = StoredCosignature {
        size: cp.size,
        witness_key: w.verifier_key(),
        line: line.clone(),
        time: 100,
    };
    // Only for a checkpoint that exists, and only one line.
    let missing = StoredCosignature {
        size: cp.size + 1,
        ..c.clone()
    };
    let e = store.put_cosignature(&missing, time(1));
    assert!(matches!(e, Err(StoreError::NotFound(_))), "{e:?}");
    let two = StoredCosignature {
        line: format!("{line}{line}"),
        ..c.clone()
    };
    assert!(matches!(
        store.put_cosignature(&two, time(1)),
        Err(StoreError::Invalid(_))
    ));
    store.put_cosignature(&c, time(1)).unwrap();
    // An older cosignature does not replace a newer one; a newer one does.
    let older = StoredCosignature {
        time: 50,
        line: w.cosign(&text, 50).unwrap(),
        ..c.clone()
    };
    store.put_cosignature(&older, time(2)).unwrap();
    assert_eq!(
        store.cosignatures(cp.size).unwrap(),
        std::slice::from_ref(&c)
    );
    let newer = StoredCosignature {
        time: 200,
        line: w.cosign(&text, 200).unwrap(),
        ..c.clone()
    };
    store.put_cosignature(&newer, time(3)).unwrap();
    assert_eq!(
        store.cosignatures(cp.size).unwrap(),
        std::slice::from_ref(&newer)
    );
    assert!(store.cosignatures(cp.size + 1).unwrap().is_empty());
    assert_eq!(
        store.last_cosigned_size(&w.verifier_key()).unwrap(),
        Some(cp.size)
    );
    assert_eq!(store.last_cosigned_size("other").unwrap(), None);
    let note = cosigned_note(store, &cp).unwrap();
    assert_eq!(note, format!("{}{}", cp.note, newer.line));
    let opened = gawah_log::open_note(&note, &[signer.verifier()]).unwrap();
    assert!(matches!(
        w.verifier().check(&opened.text, &opened.unverified),
        gawah_log::CosignatureCheck::Valid { time: 200 }
    ));

    let row = store.witnesses().unwrap().remove(0);
    commit_one(store, remove_witness_change(time(4), "cli", &row).unwrap()).unwrap();
    assert!(!store.witnesses().unwrap()[0].active);
    let size = store.head().unwrap().size;
    let twice = commit_one(store, remove_witness_change(time(4), "cli", &row).unwrap());
    assert!(matches!(twice, Err(StoreError::NotFound(_))), "{twice:?}");
    assert_head(store, size);
}
