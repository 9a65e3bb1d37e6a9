//! Tests of `add-checkpoint`: the parser, every refusal, and the compare-and-set under
//! concurrent requests, against a real SQLite store.

use gawah_core::{Action, LogEntry};
use gawah_log::{
    Checkpoint, CosignatureCheck, MemoryTree, NoteSigner, consistency_proof, parse_signature_lines,
    tree_root,
};
use gawah_store::store::Store;
use gawah_store::witness::add_log_change;
use gawah_store::{SqliteStore, witness::WitnessStore};
use proptest::prelude::*;

use super::*;

const ORIGIN: &str = "a.example/log";

fn now() -> Timestamp {
    Timestamp::from_millis(1_767_225_600_000)
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    log: NoteSigner,
    witness: Cosigner,
}

/// A witness store that witnesses `ORIGIN`.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::create(&dir.path().join("db")).unwrap();
    let log = NoteSigner::new(ORIGIN, [1; 32]).unwrap();
    store
        .commit(&[add_log_change(now(), "cli", &log.verifier()).unwrap()])
        .unwrap();
    let witness = Cosigner::new("b.example/log/witness", [2; 32]).unwrap();
    Fixture {
        _dir: dir,
        store,
        log,
        witness,
    }
}

/// A tree of `n` entries whose contents depend on `seed` (another seed: a fork).
fn tree(n: u64, seed: &str) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        t.push(format!("{seed}{i}").as_bytes());
    }
    t
}

fn note(signer: &NoteSigner, t: &MemoryTree, size: u64) -> String {
    let text = Checkpoint {
        origin: signer.name().to_owned(),
        size,
        root: tree_root(size, t).unwrap(),
        extensions: vec![],
    }
    .to_text();
    signer.sign(&text).unwrap()
}

fn body(old: u64, proof: &[Hash], note: &str) -> Vec<u8> {
    let mut b = format!("old {old}\n");
    for h in proof {
        b.push_str(&BASE64.encode(h));
        b.push('\n');
    }
    b.push('\n');
    b.push_str(note);
    b.into_bytes()
}

/// The request from `old` to `size` of tree `t`, with its consistency proof.
fn request(f: &Fixture, t: &MemoryTree, old: u64, size: u64) -> Vec<u8> {
    let proof = if old == 0 || old == size {
        vec![]
    } else {
        consistency_proof(old, size, t).unwrap()
    };
    body(old, &proof, &note(&f.log, t, size))
}

fn ask(f: &Fixture, body: &[u8]) -> Answer {
    add_checkpoint(&f.store, &f.witness, now(), body).unwrap()
}

fn witnessed_size(f: &Fixture) -> u64 {
    f.store.witnessed_log(ORIGIN).unwrap().unwrap().size
}

#[test]
fn parses_the_spec_layout_strictly() {
    let h = [7u8; 32];
    let ok = body(3, &[h, h], "n\n\n— k AAAAAAAA\n");
    assert_eq!(
        parse_request(&ok).unwrap(),
        AddCheckpoint {
            old: 3,
            proof: vec![h, h],
            note: "n\n\n— k AAAAAAAA\n".into()
        }
    );
    let bad: &[&[u8]] = &[
        b"",
        b"garbage",
        b"old 3",
        b"old 03\n\nx\n",
        b"old -1\n\nx\n",
        b"old 18446744073709551616\n\nx\n",
        b"Old 3\n\nx\n",
        b"old  3\n\nx\n",
        b"old 3\nAAAA\n\nx\n",
        b"old 3\n!!!!\n\nx\n",
        b"old 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nno empty line",
        b"old 3\n\n",
        b"old 3\n\xff\n\nx\n",
    ];
    for b in bad {
        assert!(
            parse_request(b).is_err(),
            "{:?}",
            String::from_utf8_lossy(b)
        );
    }
    assert!(parse_request(&body(3, &vec![h; MAX_PROOF_LINES], "x\n")).is_ok());
    assert!(parse_request(&body(3, &vec![h; MAX_PROOF_LINES + 1], "x\n")).is_err());
}

#[test]
fn cosigns_the_first_checkpoint_then_only_consistent_ones() {
    let f = fixture();
    let t = tree(20, "a");
    let Answer::Cosigned(line) = ask(&f, &request(&f, &t, 0, 5)) else {
        panic!("first checkpoint refused");
    };
    let text = gawah_log::open_checkpoint(&note(&f.log, &t, 5), &f.log.verifier())
        .unwrap()
        .1
        .text;
    let sigs = parse_signature_lines(&line).unwrap();
    assert_eq!(
        f.witness.verifier().check(&text, &sigs),
        CosignatureCheck::Valid {
            time: 1_767_225_600
        }
    );
    assert_eq!(witnessed_size(&f), 5);
    // The next, with a proof from 5; then the same again (a refresh).
    assert!(matches!(
        ask(&f, &request(&f, &t, 5, 12)),
        Answer::Cosigned(_)
    ));
    assert!(matches!(
        ask(&f, &request(&f, &t, 12, 12)),
        Answer::Cosigned(_)
    ));
    assert_eq!(witnessed_size(&f), 12);
}

#[test]
fn refuses_with_the_status_the_protocol_gives() {
    let f = fixture();
    let t = tree(20, "a");
    assert!(matches!(
        ask(&f, &request(&f, &t, 0, 8)),
        Answer::Cosigned(_)
    ));
    // Old size mismatch: 409 with the size held.
    assert_eq!(ask(&f, &request(&f, &t, 5, 12)), Answer::Conflict(8));
    assert_eq!(ask(&f, &request(&f, &t, 0, 12)), Answer::Conflict(8));
    // Old size beyond the checkpoint: 400.
    assert!(matches!(
        ask(&f, &body(9, &[], &note(&f.log, &t, 8))),
        Answer::BadRequest(_)
    ));
    // A wrong proof: 422.
    let mut proof = consistency_proof(8, 12, &t).unwrap();
    proof[0][0] ^= 1;
    assert!(matches!(
        ask(&f, &body(8, &proof, &note(&f.log, &t, 12))),
        Answer::BadProof(_)
    ));
    assert!(matches!(
        ask(&f, &body(8, &[], &note(&f.log, &t, 12))),
        Answer::BadProof(_)
    ));
    // Unknown log: 404.
    let other = NoteSigner::new("c.example/log", [3; 32]).unwrap();
    assert_eq!(
        ask(&f, &body(0, &[], &note(&other, &t, 3))),
        Answer::UnknownLog
    );
    // Signed by another key under the log's name, or altered after signing: 403.
    let impostor = NoteSigner::new(ORIGIN, [4; 32]).unwrap();
    assert_eq!(
        ask(&f, &body(8, &[], &note(&impostor, &t, 8))),
        Answer::Forbidden
    );
    let altered = note(&f.log, &t, 8).replacen("\n8\n", "\n9\n", 1);
    assert_eq!(ask(&f, &body(8, &[], &altered)), Answer::Forbidden);
    // Garbage and oversize.
    assert!(matches!(ask(&f, b"\x00\x01"), Answer::BadRequest(_)));
    assert_eq!(ask(&f, &vec![b'a'; MAX_BODY + 1]), Answer::TooLarge);
    assert!(matches!(
        ask(&f, &body(8, &[], "a.example/log\nnot a note\n")),
        Answer::BadRequest(_)
    ));
    // Nothing of this moved the state.
    assert_eq!(witnessed_size(&f), 8);
}

/// A fork signed with the log's real key: the same size with another root, or a larger tree
/// that does not extend the witnessed one. Both refused, the state unchanged.
#[test]
fn refuses_a_forked_checkpoint() {
    let f = fixture();
    let t = tree(20, "a");
    let fork = tree(20, "b");
    assert!(matches!(
        ask(&f, &request(&f, &t, 0, 8)),
        Answer::Cosigned(_)
    ));
    let before = f.store.witnessed_log(ORIGIN).unwrap();
    assert_eq!(ask(&f, &request(&f, &fork, 8, 8)), Answer::Conflict(8));
    assert!(matches!(
        ask(&f, &request(&f, &fork, 8, 12)),
        Answer::BadProof(_)
    ));
    assert_eq!(f.store.witnessed_log(ORIGIN).unwrap(), before);
}

/// Two requests from the same state, racing: exactly one is cosigned.
#[test]
fn concurrent_requests_from_one_state_cosign_once() {
    for round in 0..10 {
        let f = fixture();
        let t = tree(20, "a");
        let fork = tree(20, "b");
        let a = request(&f, &t, 0, 9);
        let b = request(&f, &fork, 0, 9);
        let answers: Vec<Answer> = std::thread::scope(|s| {
            let ha = s.spawn(|| ask(&f, &a));
            let hb = s.spawn(|| ask(&f, &b));
            vec![ha.join().unwrap(), hb.join().unwrap()]
        });
        let cosigned = answers
            .iter()
            .filter(|a| matches!(a, Answer::Cosigned(_)))
            .count();
        assert_eq!(cosigned, 1, "round {round}: {answers:?}");
        assert!(answers.contains(&Answer::Conflict(9)), "{answers:?}");
    }
}

#[test]
fn a_removed_log_is_not_witnessed() {
    let f = fixture();
    let t = tree(4, "a");
    let row = f.store.witnessed_log(ORIGIN).unwrap().unwrap();
    f.store
        .commit(&[gawah_store::witness::remove_log_change(now(), "cli", &row).unwrap()])
        .unwrap();
    assert_eq!(ask(&f, &request(&f, &t, 0, 4)), Answer::UnknownLog);
    // The entry logging the removal is a disposition.
    let last = f.store.head().unwrap().size - 1;
    let e = LogEntry::parse(&f.store.entry(last).unwrap()).unwrap();
    assert_eq!(e.action, Action::Disposition);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any bytes, and any single-byte change of a valid request, are answered without a
    /// panic, and a changed request is never cosigned as something the log did not sign.
    #[test]
    fn never_panics_nor_cosigns_a_changed_request(
        junk in proptest::collection::vec(any::<u8>(), 0..600),
        at in 0usize..400,
        byte in any::<u8>(),
    ) {
        let f = fixture();
        prop_assert!(!matches!(ask(&f, &junk), Answer::Cosigned(_)));
        let t = tree(10, "a");
        prop_assert!(matches!(ask(&f, &request(&f, &t, 0, 3)), Answer::Cosigned(_)));
        let mut changed = request(&f, &t, 3, 7);
        let i = at % changed.len();
        prop_assume!(changed[i] != byte);
        changed[i] = byte;
        if let Answer::Cosigned(_) = ask(&f, &changed) {
            // Only a change outside what is checked may pass: the signature lines' block
            // cannot change without failing, so the parsed request must still be the same.
            let original = parse_request(&request(&f, &t, 3, 7)).unwrap();
            let parsed = parse_request(&changed).unwrap();
            prop_assert_eq!(parsed.old, original.old);
            prop_assert_eq!(parsed.proof, original.proof);
        }
        prop_assert!(witnessed_size(&f) == 3 || witnessed_size(&f) == 7);
    }
}
