//! The conformance suite of [`TimestampStore`]: a token is kept only for a stored
//! checkpoint, once per size and authority, and the first one kept stands, also when several
//! threads keep one at once.

use gawah_core::Timestamp;

use super::harness::{Harness, run, time};
use crate::error::StoreError;
use crate::store::{Store, StoredCheckpoint};
use crate::store_conformance::view;
use crate::timestamps::{StoredTimestamp, TimestampStore};

/// Runs every check of the timestamp store, each on a fresh store.
pub fn timestamps_conformance<H: Harness>(harness: &H) {
    run(
        "timestamps",
        harness,
        &[
            ("the first token per authority is kept", first_token_kept),
            ("only for a stored checkpoint", only_for_a_checkpoint),
            ("racing puts keep one token", racing_puts),
        ],
    );
}

fn checkpoint(store: &dyn Store) -> StoredCheckpoint {
    let size = store.head().unwrap().size;
    store.commit(&[view(size)]).unwrap();
    store
        .checkpoint_head(&|h| Ok(format!("o\n{}\nroot\n\n— o sig\n", h.size)))
        .unwrap()
}

fn token(cp: &StoredCheckpoint, url: &str, at: i64) -> StoredTimestamp {
    StoredTimestamp {
        size: cp.size,
        root: cp.root,
        tsa_url: url.into(),
        response: vec![1, 2, 3],
        gen_time: "2026-11-29T08:17:13Z".into(),
        fetched_at: Timestamp::from_millis(at),
    }
}

fn first_token_kept<H: Harness>(_: &H, store: &H::Store) {
    let cp = checkpoint(store);
    assert!(store.timestamp_put(&token(&cp, "http://b", 1)).unwrap());
    let mut later = token(&cp, "http://b", 2);
    later.response = vec![9];
    assert!(!store.timestamp_put(&later).unwrap());
    assert!(store.timestamp_put(&token(&cp, "http://a", 3)).unwrap());
    // The same time: by authority.
    assert!(store.timestamp_put(&token(&cp, "http://c", 1)).unwrap());
    assert_eq!(
        store.timestamps_at(cp.size).unwrap(),
        [
            token(&cp, "http://b", 1),
            token(&cp, "http://c", 1),
            token(&cp, "http://a", 3)
        ]
    );
    assert!(store.timestamps_at(cp.size + 1).unwrap().is_empty());
    // Another checkpoint's tokens are its own.
    let next = checkpoint(store);
    assert!(
        store
            .timestamp_put(&token(&next, "http://b", time(0).millis()))
            .unwrap()
    );
    assert_eq!(store.timestamps_at(cp.size).unwrap().len(), 3);
    assert_eq!(store.timestamps_at(next.size).unwrap().len(), 1);
}

fn only_for_a_checkpoint<H: Harness>(_: &H, store: &H::Store) {
    let cp = checkpoint(store);
    let mut wrong_root = token(&cp, "http://a", 1);
    wrong_root.root[0] ^= 1;
    let e = store.timestamp_put(&wrong_root);
    assert!(matches!(e, Err(StoreError::Invalid(_))), "{e:?}");
    let mut no_such_size = token(&cp, "http://a", 1);
    no_such_size.size += 1;
    let e = store.timestamp_put(&no_such_size);
    assert!(matches!(e, Err(StoreError::Invalid(_))), "{e:?}");
    assert!(store.timestamps_at(cp.size).unwrap().is_empty());
}

fn racing_puts<H: Harness>(_: &H, store: &H::Store) {
    let cp = checkpoint(store);
    let kept: usize = std::thread::scope(|s| {
        let racers: Vec<_> = (0..8)
            .map(|n| {
                let t = token(&cp, "http://a", n);
                s.spawn(move || store.timestamp_put(&t).unwrap())
            })
            .collect();
        racers
            .into_iter()
            .map(|r| usize::from(r.join().unwrap()))
            .sum()
    });
    assert_eq!(kept, 1, "exactly one put keeps its token");
    assert_eq!(store.timestamps_at(cp.size).unwrap().len(), 1);
}
