//! The conformance suite of [`KeyStore`] and the key writes (`OrgKey`, `RotateKey`,
//! `Rekey`), driven through the real [`Keyring`]: what the store keeps must unlock, rotate and
//! rekey, and a rotation or change of passphrase that raced with another writer is refused.

use gawah_core::seal::{KdfParams, KeySource, SecretKey};
use gawah_core::{Action, LogEntry};

use super::harness::{Harness, assert_head, commit_one, run, time};
use crate::error::StoreError;
use crate::keys::{INSTANCE_SCOPE, Kdf, KeyError, KeyStore, Keyring, KeyringRow, OrgKeyRow};
use crate::store::{Change, RecordWrite, Store};
use crate::store_conformance::new_item;

/// Runs every check of the keyring, each on a fresh store.
pub fn keys_conformance<H: Harness>(harness: &H) {
    run(
        "keys",
        harness,
        &[
            ("the keyring row round-trips, once", keyring_row),
            (
                "organisation keys: versions in order, no duplicate",
                org_keys,
            ),
            ("data keys open after a rotation", rotation),
            (
                "a rotation that raced a new data key is refused",
                rotation_race,
            ),
            ("a change of key file reseals every key", rekey),
            (
                "a change of key file that raced a new key is refused",
                rekey_race,
            ),
        ],
    );
}

fn key_file() -> KeySource {
    KeySource::KeyFile(SecretKey::random().expect("randomness"))
}

fn key(scope: &str, version: u32, sealed: u8) -> OrgKeyRow {
    OrgKeyRow {
        scope: scope.into(),
        version,
        sealed: vec![sealed; 48],
    }
}

fn change(record: RecordWrite, subject: &str) -> Change {
    Change {
        record,
        entry: LogEntry::new(time(1), "cli", Action::Update, subject),
    }
}

/// A store with a keyring unlocked by a key file; the ring and its source.
fn unlocked<H: Harness>(h: &H, store: &H::Store) -> (Keyring, KeySource) {
    let source = key_file();
    let (ring, row, instance) = Keyring::create(&source).expect("a new keyring");
    h.init_keyring(store, &row, &instance)
        .expect("init the keyring");
    (ring, source)
}

/// Commits a plain item whose data key is a fresh one of `scope`; returns the record id and
/// the key.
fn item_with_key(
    store: &dyn Store,
    ring: &Keyring,
    ks: &dyn KeyStore,
    scope: &str,
) -> (String, SecretKey) {
    let (mut item, mut change) = new_item(7, None);
    let record = item.id.as_str().to_owned();
    let (dk, row) = ring
        .new_data_key(ks, scope, &record)
        .expect("a new data key");
    item.data_key = Some(row);
    change.record = RecordWrite::Item(item);
    store.commit(&[change]).expect("commit an item");
    (record, dk)
}

fn keyring_row<H: Harness>(h: &H, store: &H::Store) {
    assert_eq!(store.keyring().unwrap(), None);
    let row = KeyringRow {
        kdf: Kdf::Argon2id(KdfParams {
            m_cost: 65_536,
            t_cost: 3,
            p_cost: 1,
            salt: [9; 16],
        }),
        check: vec![1, 2, 3],
    };
    h.init_keyring(store, &row, &key(INSTANCE_SCOPE, 1, 5))
        .unwrap();
    assert_eq!(store.keyring().unwrap(), Some(row.clone()));
    assert_eq!(
        store.org_keys(INSTANCE_SCOPE).unwrap(),
        [key(INSTANCE_SCOPE, 1, 5)]
    );
    let again = h.init_keyring(
        store,
        &KeyringRow {
            kdf: Kdf::KeyFile,
            ..row.clone()
        },
        &key("x", 1, 1),
    );
    assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");
    assert_eq!(
        store.keyring().unwrap(),
        Some(row),
        "the first keyring stays"
    );
    assert!(store.org_keys("x").unwrap().is_empty());
    assert_eq!(
        store.head().unwrap().size,
        0,
        "a keyring is not a logged change"
    );
}

fn org_keys<H: Harness>(_: &H, store: &H::Store) {
    for k in [key("org_b", 1, 1), key("org_a", 1, 2), key("org_b", 2, 3)] {
        commit_one(store, change(RecordWrite::OrgKey(k.clone()), &k.scope)).unwrap();
    }
    assert_eq!(
        store.org_keys("org_b").unwrap(),
        [key("org_b", 1, 1), key("org_b", 2, 3)]
    );
    assert_eq!(
        store.all_org_keys().unwrap(),
        [key("org_a", 1, 2), key("org_b", 1, 1), key("org_b", 2, 3)]
    );
    assert!(store.org_keys("org_c").unwrap().is_empty());
    let size = store.head().unwrap().size;
    let twice = commit_one(
        store,
        change(RecordWrite::OrgKey(key("org_a", 1, 9)), "org_a"),
    );
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_head(store, size);
    assert_eq!(store.org_keys("org_a").unwrap(), [key("org_a", 1, 2)]);
    assert_eq!(store.data_key("nothing").unwrap(), None);
    assert!(!store.is_shredded("nothing").unwrap());
}

fn rotation<H: Harness>(h: &H, store: &H::Store) {
    let (ring, _) = unlocked(h, store);
    let (a, key_a) = item_with_key(store, &ring, store, INSTANCE_SCOPE);
    let (b, key_b) = item_with_key(store, &ring, store, INSTANCE_SCOPE);
    let before = store.data_key(&a).unwrap().expect("a's data key");
    assert_eq!(
        (before.scope.as_str(), before.key_version),
        (INSTANCE_SCOPE, 1)
    );
    assert_eq!(store.scope_data_keys(INSTANCE_SCOPE).unwrap().len(), 2);

    let rotation = ring.rotate(store, INSTANCE_SCOPE).unwrap();
    commit_one(
        store,
        change(RecordWrite::RotateKey(rotation), INSTANCE_SCOPE),
    )
    .unwrap();
    // Only the new version is kept, and every data key is wrapped under it.
    let versions: Vec<u32> = store
        .org_keys(INSTANCE_SCOPE)
        .unwrap()
        .iter()
        .map(|k| k.version)
        .collect();
    assert_eq!(versions, [2]);
    let after = store.data_key(&a).unwrap().expect("a's data key");
    assert_eq!(after.key_version, 2);
    assert_ne!(after.wrapped, before.wrapped);
    // A keyring that never saw the rotation reads the new key from the store.
    assert!(ring.data_key(store, &a).unwrap() == key_a);
    assert!(ring.data_key(store, &b).unwrap() == key_b);
}

fn rotation_race<H: Harness>(h: &H, store: &H::Store) {
    let (ring, _) = unlocked(h, store);
    item_with_key(store, &ring, store, INSTANCE_SCOPE);
    let rotation = ring.rotate(store, INSTANCE_SCOPE).unwrap();
    // Another writer adds a data key under version 1 after the rotation was prepared.
    let (late, late_key) = item_with_key(store, &ring, store, INSTANCE_SCOPE);
    let size = store.head().unwrap().size;
    let raced = commit_one(
        store,
        change(RecordWrite::RotateKey(rotation.clone()), INSTANCE_SCOPE),
    );
    assert!(matches!(raced, Err(StoreError::Conflict(_))), "{raced:?}");
    assert_head(store, size);
    assert_eq!(
        store.org_keys(INSTANCE_SCOPE).unwrap().len(),
        1,
        "nothing rotated"
    );
    assert!(ring.data_key(store, &late).unwrap() == late_key);
    // The same version twice is refused as well.
    let fresh = ring.rotate(store, INSTANCE_SCOPE).unwrap();
    commit_one(
        store,
        change(RecordWrite::RotateKey(fresh.clone()), INSTANCE_SCOPE),
    )
    .unwrap();
    let replay = commit_one(store, change(RecordWrite::RotateKey(fresh), INSTANCE_SCOPE));
    assert!(matches!(replay, Err(StoreError::Conflict(_))), "{replay:?}");
}

fn rekey<H: Harness>(h: &H, store: &H::Store) {
    let (ring, old) = unlocked(h, store);
    commit_one(
        store,
        change(
            RecordWrite::OrgKey(ring.new_org_key("org_a", 1).unwrap()),
            "org_a",
        ),
    )
    .unwrap();
    let (record, dk) = item_with_key(store, &ring, store, "org_a");
    let new = key_file();
    let (row, keys) = ring.rekey(store, &new).unwrap();
    assert_eq!(keys.len(), 2);
    commit_one(
        store,
        change(
            RecordWrite::Rekey {
                ring: row.clone(),
                keys,
            },
            "keyring",
        ),
    )
    .unwrap();
    assert_eq!(store.keyring().unwrap(), Some(row));
    let reopened = Keyring::unlock(store, &new).expect("the new key file unlocks");
    assert!(reopened.data_key(store, &record).unwrap() == dk);
    assert!(matches!(
        Keyring::unlock(store, &old),
        Err(KeyError::WrongKeyFile)
    ));
}

fn rekey_race<H: Harness>(h: &H, store: &H::Store) {
    let (ring, old) = unlocked(h, store);
    let (row, keys) = ring.rekey(store, &key_file()).unwrap();
    commit_one(
        store,
        change(
            RecordWrite::OrgKey(ring.new_org_key("org_a", 1).unwrap()),
            "org_a",
        ),
    )
    .unwrap();
    let size = store.head().unwrap().size;
    let raced = commit_one(
        store,
        change(
            RecordWrite::Rekey {
                ring: row.clone(),
                keys: keys.clone(),
            },
            "keyring",
        ),
    );
    assert!(matches!(raced, Err(StoreError::Conflict(_))), "{raced:?}");
    // A resealed key that is gone (same count, other key) is refused too.
    let mut gone = keys;
    gone.push(OrgKeyRow {
        scope: "org_z".into(),
        ..gone[0].clone()
    });
    let vanished = commit_one(
        store,
        change(
            RecordWrite::Rekey {
                ring: row,
                keys: gone,
            },
            "keyring",
        ),
    );
    assert!(
        matches!(vanished, Err(StoreError::Conflict(_))),
        "{vanished:?}"
    );
    assert_head(store, size);
    Keyring::unlock(store, &old).expect("the old key file still unlocks");
}
