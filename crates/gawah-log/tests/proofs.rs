//! Property tests: proofs made from a `MemoryTree` verify, and any tampering is caught.

use gawah_log::{
    Frontier, Hash, MemoryTree, consistency_proof, inclusion_proof, leaf_hash, tree_root,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// RFC 6962 §2.1 MTH written straight from the definition, with its own hashing, as an
/// independent reference for the stored-node implementation.
fn naive_mth(entries: &[Vec<u8>]) -> Hash {
    match entries {
        [] => Sha256::digest([]).into(),
        [entry] => Sha256::digest([&[0u8][..], entry].concat()).into(),
        _ => {
            let mut k = 1;
            while k * 2 < entries.len() {
                k *= 2;
            }
            let (left, right) = (naive_mth(&entries[..k]), naive_mth(&entries[k..]));
            Sha256::digest([&[1u8][..], &left, &right].concat()).into()
        }
    }
}

/// A tree with `size + 1` leaves, so proofs can also be tried against the next size, and
/// the root and frontier after each append.
struct Fixture {
    tree: MemoryTree,
    entries: Vec<Vec<u8>>,
    roots: Vec<Hash>,
    frontiers: Vec<Frontier>,
}

fn fixture(size: u64, salt: u64) -> Fixture {
    let mut tree = MemoryTree::new();
    let mut entries = Vec::new();
    let mut roots = vec![tree.root()];
    let mut frontiers = vec![tree.frontier().clone()];
    for i in 0..=size {
        let entry = format!("{salt:x}/{i}").into_bytes();
        assert_eq!(tree.push(&entry), i);
        entries.push(entry);
        roots.push(tree.root());
        frontiers.push(tree.frontier().clone());
    }
    Fixture {
        tree,
        entries,
        roots,
        frontiers,
    }
}

/// Every variant of `hash` with exactly one bit flipped.
fn bit_flips(hash: &Hash) -> impl Iterator<Item = Hash> + '_ {
    (0..256).map(move |bit| {
        let mut flipped = *hash;
        flipped[bit / 8] ^= 1 << (bit % 8);
        flipped
    })
}

/// Every variant of `proof` with exactly one bit flipped in one of its hashes.
fn proof_flips(proof: &[Hash]) -> Vec<Vec<Hash>> {
    (0..proof.len())
        .flat_map(|i| {
            bit_flips(&proof[i]).map(move |h| {
                let mut p = proof.to_vec();
                p[i] = h;
                p
            })
        })
        .collect()
}

fn check_inclusion_tampering(f: &Fixture, index: u64, size: u64) {
    let n = size as usize;
    let leaf = leaf_hash(&f.entries[index as usize]);
    let proof = inclusion_proof(index, size, &f.tree).unwrap();
    let root = f.roots[n];
    for bad in proof_flips(&proof) {
        assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
    }
    for bad in bit_flips(&leaf) {
        assert!(verify_inclusion(index, size, &bad, &proof, &root).is_err());
    }
    for bad in bit_flips(&root) {
        assert!(verify_inclusion(index, size, &leaf, &proof, &bad).is_err());
    }
    for other in [index.wrapping_sub(1), index + 1, index ^ 1] {
        if other < size && other != index {
            assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err());
        }
    }
    // A size is only meaningful with its own root (the checkpoint signs them together),
    // so a changed size is tried against the real root of that size.
    assert!(verify_inclusion(index, size + 1, &leaf, &proof, &f.roots[n + 1]).is_err());
    if size - 1 > index {
        assert!(verify_inclusion(index, size - 1, &leaf, &proof, &f.roots[n - 1]).is_err());
    }
}

fn check_consistency_tampering(f: &Fixture, from: u64, size: u64) {
    let (m, n) = (from as usize, size as usize);
    let proof = consistency_proof(from, size, &f.tree).unwrap();
    let (old, new) = (f.roots[m], f.roots[n]);
    for bad in proof_flips(&proof) {
        assert!(verify_consistency(from, size, &old, &new, &bad).is_err());
    }
    for bad in bit_flips(&old) {
        assert!(verify_consistency(from, size, &bad, &new, &proof).is_err());
    }
    for bad in bit_flips(&new) {
        assert!(verify_consistency(from, size, &old, &bad, &proof).is_err());
    }
    let mut others = vec![(from, size + 1), (from + 1, size), (from - 1, size)];
    others.push((from, size - 1));
    for (a, b) in others {
        if (a, b) != (from, size) && a > 0 && a <= b {
            let (ra, rb) = (f.roots[a as usize], f.roots[b as usize]);
            assert!(
                verify_consistency(a, b, &ra, &rb, &proof).is_err(),
                "{a} {b}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn all_proofs_verify_and_tampering_fails(
        size in 1u64..=600,
        salt in any::<u64>(),
        pick in 0.0f64..1.0,
    ) {
        let f = fixture(size, salt);
        let root = f.roots[size as usize];
        for index in 0..size {
            let proof = inclusion_proof(index, size, &f.tree).unwrap();
            let leaf = leaf_hash(&f.entries[index as usize]);
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());
        }
        for from in 1..=size {
            let proof = consistency_proof(from, size, &f.tree).unwrap();
            let old = f.roots[from as usize];
            prop_assert!(verify_consistency(from, size, &old, &root, &proof).is_ok());
        }
        let chosen = ((size as f64) * pick) as u64;
        check_inclusion_tampering(&f, chosen, size);
        check_consistency_tampering(&f, chosen + 1, size);
    }

    #[test]
    fn stored_nodes_give_the_same_roots_and_frontiers(size in 0u64..=600, salt in any::<u64>()) {
        let f = fixture(size, salt);
        prop_assert_eq!(tree_root(size, &f.tree).unwrap(), naive_mth(&f.entries[..size as usize]));
        for k in 0..=size {
            let loaded = Frontier::load(k, &f.tree).unwrap();
            prop_assert_eq!(&loaded, &f.frontiers[k as usize]);
            prop_assert_eq!(loaded.root(), f.roots[k as usize]);
        }
    }
}

#[test]
fn proofs_outside_the_tree_are_refused() {
    let f = fixture(4, 0);
    assert!(inclusion_proof(5, 5, &f.tree).is_err());
    assert!(consistency_proof(0, 3, &f.tree).is_err());
    assert!(consistency_proof(4, 3, &f.tree).is_err());
    // Nodes past the stored tree are a storage error, not a guess.
    assert!(inclusion_proof(0, 9, &f.tree).is_err());
    assert!(tree_root(6, &f.tree).is_err());
}
