use super::*;
use argon2::password_hash::PasswordHasher;
use std::sync::Barrier;

const PASSWORD: &str = "correct horse battery";
/// "somesaltsomesalt", the dummy hash's salt.
const SALT: &[u8; 16] = b"somesaltsomesalt";
/// The PHC string of `PASSWORD` with `SALT`, as the argon2 crate's own `PasswordHasher` made
/// it before hashing moved into the pool (the test below still checks that it does).
const KNOWN: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$/HetJC6LZ4lnwgLB+wJSS2a9bFu2Kq4HxwNWzoJq2qU";

fn crate_hasher() -> Argon2<'static> {
    let params = Params::new(M_COST, T_COST, P_COST, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[test]
fn known_answer_matches_the_crates_own_hasher() {
    let salt = SaltString::encode_b64(SALT).unwrap();
    let by_crate = crate_hasher()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string();
    let pool = ArgonPool::new(1, M_COST as usize);
    assert_eq!(hash_with_salt(&pool, PASSWORD, SALT).unwrap(), KNOWN);
    assert_eq!(by_crate, KNOWN);
    assert!(verify_password(PASSWORD, KNOWN));
    assert!(!verify_password("correct horse batterz", KNOWN));
}

#[test]
fn phc_round_trip_keeps_the_stored_format() {
    let phc = hash_password(PASSWORD).unwrap();
    let rest = phc
        .strip_prefix("$argon2id$v=19$m=19456,t=2,p=1$")
        .expect("the stored format");
    let (salt, hash) = rest.split_once('$').expect("salt and hash");
    // 16 bytes of salt and 32 of hash, in unpadded standard base64.
    assert_eq!((salt.len(), hash.len()), (22, 43), "{phc}");
    assert!(verify_password(PASSWORD, &phc));
    // A hash made here verifies with the crate's own verifier, and the other way round.
    use argon2::password_hash::PasswordVerifier;
    let parsed = PasswordHash::new(&phc).unwrap();
    assert!(
        crate_hasher()
            .verify_password(PASSWORD.as_bytes(), &parsed)
            .is_ok()
    );
    let by_crate = crate_hasher()
        .hash_password(
            PASSWORD.as_bytes(),
            &SaltString::encode_b64(&[7u8; 16]).unwrap(),
        )
        .unwrap()
        .to_string();
    assert!(verify_password(PASSWORD, &by_crate));
    assert_ne!(
        hash_password(PASSWORD).unwrap(),
        phc,
        "a fresh salt each time"
    );
}

#[test]
fn wrong_passwords_and_bad_hashes_are_refused() {
    let phc = hash_password(PASSWORD).unwrap();
    assert!(!verify_password("correct horse batterx", &phc));
    assert!(!verify_password("", &phc));
    assert!(!verify_password(PASSWORD, "not a hash"));
    assert!(!verify_password(PASSWORD, dummy_hash()));
    // The same hash relabelled as another Argon2 variant, or with one character changed.
    assert!(!verify_password(
        PASSWORD,
        &phc.replacen("argon2id", "argon2i", 1)
    ));
    let mut tampered = phc.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    assert!(!verify_password(
        PASSWORD,
        &String::from_utf8(tampered).unwrap()
    ));
    // Parameters beyond the pool's memory are refused without hashing.
    assert!(!verify_password(
        PASSWORD,
        &phc.replacen("m=19456", "m=65536", 1)
    ));
}

/// N + 3 hashes at once on a pool of N slots: every one succeeds, and no more than N ever held
/// memory together (the pool's count of outstanding leases; the bound itself is shown
/// deterministically in `argon_pool`'s tests).
#[test]
fn concurrent_hashes_beyond_the_pool_all_succeed() {
    const SLOTS: usize = 2;
    let pool = ArgonPool::new(SLOTS, M_COST as usize);
    let start = Barrier::new(SLOTS + 3);
    let phcs: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..SLOTS + 3)
            .map(|i| {
                let (pool, start) = (&pool, &start);
                s.spawn(move || {
                    start.wait();
                    hash_with_salt(pool, PASSWORD, &[i as u8; 16]).unwrap()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(pool.most_lent() <= SLOTS);
    assert_eq!(phcs.len(), SLOTS + 3);
    for phc in &phcs {
        assert!(verify_password(PASSWORD, phc));
        assert!(!verify_password("correct horse batterx", phc));
    }
}
